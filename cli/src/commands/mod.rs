//! One function per subcommand; each returns the JSON object printed for it.

use gpunet_sdk::client::{ClientError, Result as ClientResult};

use crate::args::{Cli, Command};
use crate::output::Output;
use crate::{Context, Outcome, Result, keys};

pub(crate) mod device;
pub(crate) mod lease;
pub(crate) mod network;
pub(crate) mod proof;
mod wallet;

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> Result<Outcome> {
    let ctx = Context {
        url: cli.url,
        keypair_path: cli.keypair.unwrap_or_else(keys::default_keypair_path),
        out: Output { json: cli.json },
    };
    let value = match cli.command {
        Command::Localnet(args) => {
            return crate::localnet::run(&ctx, *args)
                .await
                .map(|()| Outcome::Printed);
        }
        // People read the narration; the summary object is for --json.
        Command::Demo(args) => {
            let summary = crate::demo::command(&ctx, &args).await?;
            if !ctx.out.json {
                return Ok(Outcome::Printed);
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
        // Batches report every item, failed or not.
        Command::Lease(command) => return lease::run(&ctx, command).await,
        Command::Model(command) => proof::model(&ctx, command).await?,
        Command::Session(command) => proof::session(&ctx, command).await?,
        Command::Receipts(command) => proof::receipts(&ctx, command).await?,
    };
    Ok(Outcome::Done(value))
}

/// A read of an account that may be missing: `None` when it does not exist; any other
/// failure (RPC, an account that does not decode) is an error, not an absence.
fn absent_if_not_found<T>(read: ClientResult<T>) -> Result<Option<T>> {
    match read {
        Ok(value) => Ok(Some(value)),
        Err(ClientError::NotFound { .. }) => Ok(None),
        Err(e) => Err(e.into()),
    }
}
