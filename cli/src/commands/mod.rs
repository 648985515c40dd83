//! One function per subcommand; each returns the JSON object printed for it.

use serde_json::Value;

use crate::args::{Cli, Command};
use crate::output::Output;
use crate::{Context, Result, keys};

mod device;
mod lease;
mod network;
mod proof;
mod wallet;

/// Runs a parsed command line. `Ok(None)` when the command printed its own output (the
/// long-running `localnet`, the narrated `demo`).
pub async fn run(cli: Cli) -> Result<Option<Value>> {
    let ctx = Context {
        url: cli.url,
        keypair_path: cli.keypair.unwrap_or_else(keys::default_keypair_path),
        out: Output { json: cli.json },
    };
    let value = match cli.command {
        Command::Localnet(args) => return crate::localnet::run(&ctx, args).await.map(|()| None),
        // People read the narration; the summary object is for --json.
        Command::Demo(args) => {
            let summary = crate::demo::command(&ctx, &args).await?;
            if !ctx.out.json {
                return Ok(None);
            }
            summary
        }
        Command::Keygen { outfile, force } => wallet::keygen(&ctx, outfile, force)?,
        Command::Address => wallet::address(&ctx)?,
        Command::Airdrop { sol, to } => wallet::airdrop(&ctx, &sol, to).await?,
        Command::Balance { wallet } => wallet::balance(&ctx, wallet).await?,
        Command::Mint { token, amount, to } => wallet::mint(&ctx, token, &amount, to).await?,
        Command::Network(command) => network::run(&ctx, command).await?,
        Command::Device(command) => device::run(&ctx, command).await?,
        Command::Stake(command) => device::stake(&ctx, command).await?,
        Command::Lease(command) => lease::run(&ctx, command).await?,
        Command::Model(command) => proof::model(&ctx, command).await?,
        Command::Session(command) => proof::session(&ctx, command).await?,
        Command::Receipts(command) => proof::receipts(&ctx, command).await?,
    };
    Ok(Some(value))
}
