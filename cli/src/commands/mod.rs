//! The command line's global flags and commands ([`Cli`]) and their dispatch: one
//! function per subcommand, each returning the JSON object printed for it.

use std::path::PathBuf;

use clap::{Parser, Subcommand};
use gpunet_sdk::Pubkey;

use crate::amount::Amount;
use crate::demo::DemoArgs;
use crate::help::AMOUNTS;
use crate::keys::parse_pubkey;
use crate::localnet::LocalnetArgs;
use crate::output::Output;
use crate::{Context, Outcome, Result, keys};

pub(crate) mod device;
pub(crate) mod lease;
pub(crate) mod network;
pub(crate) mod proof;
pub(crate) mod wallet;

use device::{DeviceCommand, StakeCommand};
use lease::LeaseCommand;
use network::NetworkCommand;
use proof::{ModelCommand, ReceiptsCommand, SessionCommand};
use wallet::Token;

/// gpunet: the GPU-compute marketplace on Solana, from the command line.
#[derive(Debug, Parser)]
#[command(
    name = "gpunet",
    version,
    about = "gpunet: rent GPU clusters, supply devices, stake and prove compute on Solana",
    long_about = "gpunet: rent GPU clusters, supply devices, stake and prove compute on Solana.\n\n\
                  Every command that changes the chain sends one transaction (or one per item \
                  for batches) signed by --keypair, which also pays the fee; the help of each \
                  command says which role that key plays (admin, device owner, device agent, \
                  renter, consumer, model owner).\n\n\
                  Start a local chain with `gpunet localnet` (add --demo for a scripted tour).",
    after_help = AMOUNTS
)]
pub struct Cli {
    /// JSON-RPC URL of the chain
    #[arg(
        long,
        global = true,
        env = "GPUNET_URL",
        default_value = "http://127.0.0.1:8899"
    )]
    pub url: String,

    /// Keypair file that signs and pays (JSON array of 64 bytes, as `solana-keygen`
    /// writes) [default: ~/.config/solana/id.json]
    #[arg(long, global = true, env = "GPUNET_KEYPAIR")]
    pub keypair: Option<PathBuf>,

    /// Machine output: one JSON object per command on stdout; errors as {"error": "..."}
    /// (exit status 1; 2 for a command line that does not parse)
    #[arg(long, global = true)]
    pub json: bool,

    #[command(subcommand)]
    pub command: Command,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Start a local chain with every gpunet program deployed, initialise the network on
    /// it, and serve until Ctrl-C
    #[command(
        long_about = "Start a local chain (JSON-RPC, WebSocket, Yellowstone gRPC) with \
                            every gpunet program deployed, --keypair as their upgrade \
                            authority; airdrop SOL to that key, create a USDC-like mint and a \
                            network-token mint (the key is their mint authority), initialise \
                            the network and staking with short epochs, write the addresses to \
                            --state (replacing the development verifier keys of an earlier \
                            run, which only its chain knew), and serve until Ctrl-C. State \
                            lives in memory only."
    )]
    Localnet(Box<LocalnetArgs>),

    /// Run the scripted tour against a running network: devices, stakes, a leased cluster,
    /// attested and settled epochs, inference receipts and rewards
    #[command(
        long_about = "Run the scripted tour against a network started by `gpunet \
                            localnet`: register and stake devices (owner and agent keys), \
                            lease them as a cluster, attest epochs with the verifier quorum, \
                            wait for the epochs to become final on the chain clock, settle \
                            (owners paid, missed epochs refunded), submit job and inference \
                            receipts and claim block rewards. --keypair must be the mint \
                            authority of the network's mints (the localnet authority)."
    )]
    Demo(DemoArgs),

    /// Create a new keypair file (default: the --keypair path)
    Keygen {
        /// Where to write it [default: the --keypair path]
        #[arg(long)]
        outfile: Option<PathBuf>,
        /// Overwrite an existing file
        #[arg(long)]
        force: bool,
    },

    /// Print the address of --keypair
    Address,

    /// Request SOL from the chain's faucet (localnet and test clusters)
    #[command(after_help = AMOUNTS)]
    Airdrop {
        /// SOL to request (1.5 = 1.5 SOL; lamports with a `u` suffix)
        #[arg(default_value = "10")]
        sol: Amount,
        /// Recipient [default: --keypair's address]
        #[arg(long, value_parser = parse_pubkey)]
        to: Option<Pubkey>,
    },

    /// SOL, USDC and network-token balances of a wallet
    Balance {
        /// Wallet [default: --keypair's address]
        #[arg(value_parser = parse_pubkey)]
        wallet: Option<Pubkey>,
    },

    /// Mint the network's USDC or network tokens to a wallet (signed by the mint
    /// authority: on localnet, its --keypair)
    #[command(after_help = AMOUNTS)]
    Mint {
        /// Which mint
        token: Token,
        /// How much, in whole tokens (1.5), or base units with a `u` suffix (1500000u)
        amount: Amount,
        /// Recipient wallet (paid in its associated token account) [default: --keypair]
        #[arg(long, value_parser = parse_pubkey)]
        to: Option<Pubkey>,
    },

    /// The network configuration (init: admin only)
    #[command(subcommand)]
    Network(NetworkCommand),

    /// Devices: register and manage (owner), attest uptime (agent)
    #[command(subcommand)]
    Device(DeviceCommand),

    /// Stakes and block rewards of devices
    #[command(subcommand)]
    Stake(StakeCommand),

    /// Leases (GPU clusters) and their hires (renter); settlement (anyone)
    #[command(subcommand)]
    Lease(LeaseCommand),

    /// Inference models (model owner)
    #[command(subcommand)]
    Model(ModelCommand),

    /// Prepaid inference sessions (consumer)
    #[command(subcommand)]
    Session(SessionCommand),

    /// Proof-of-compute receipts (device agent)
    #[command(subcommand)]
    Receipts(ReceiptsCommand),
}

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
