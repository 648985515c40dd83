//! `gpunet network init|show`.

use clap::{Args, Subcommand};
use gpunet_sdk::registry;
use serde_json::{Value, json};

use crate::error::absent_if_not_found;
use crate::help::AMOUNTS;
use crate::setup::{Defaults, Endpoints, NetworkInitArgs, init_network};
use crate::{Context, Result, views};

/// `network init`: the parameters, and whether existing verifier key files may be
/// replaced.
#[derive(Debug, Args)]
pub struct NetworkInitCommand {
    #[command(flatten)]
    pub network: NetworkInitArgs,
    /// Overwrite existing verifier key files (--generate-verifiers); without it, init
    /// refuses to replace them before sending anything
    #[arg(long)]
    pub force: bool,
}

#[derive(Debug, Subcommand)]
pub enum NetworkCommand {
    /// Initialise the network and staking (signed by the programs' upgrade authority, who
    /// becomes the admin); writes the addresses to --state
    #[command(after_help = AMOUNTS)]
    Init(Box<NetworkInitCommand>),
    /// Show the network and staking configuration and the current epoch
    Show,
}

pub async fn run(ctx: &Context, command: NetworkCommand) -> Result<Value> {
    match command {
        NetworkCommand::Init(init) => {
            let client = ctx.client()?;
            let endpoints = Endpoints {
                rpc_url: ctx.url.clone(),
                ..Endpoints::default()
            };
            let args = &init.network;
            let state = init_network(
                &client,
                args,
                Defaults::PRODUCTION,
                endpoints,
                init.force,
                &ctx.out,
            )
            .await?;
            let mut value = serde_json::to_value(&state).expect("state serialises");
            value["state_file"] = json!(args.state.display().to_string());
            Ok(value)
        }
        NetworkCommand::Show => show(ctx).await,
    }
}

async fn show(ctx: &Context) -> Result<Value> {
    let client = ctx.reader();
    let config = client.network_config().await?;
    let now = client.clock().await?.unix_timestamp;
    let epoch = config.epoch_at(now).ok();
    let mut value = views::network(&registry::config_address(), &config, epoch);
    value["staking"] = match absent_if_not_found(client.staking_config().await)? {
        Some(staking) => views::staking(&staking),
        None => Value::Null,
    };
    Ok(value)
}
