//! The command line: global flags and the commands, with the help users read. Each command
//! group's arguments live next to its handler (`commands/`, `localnet`, `demo`, `setup`)
//! and are re-exported here.

use std::path::PathBuf;

use clap::{Parser, Subcommand, ValueEnum};
use gpunet_sdk::Pubkey;

use crate::amount::Amount;
pub use crate::commands::device::{DeviceCommand, SpecArgs, StakeCommand};
pub use crate::commands::lease::LeaseCommand;
pub use crate::commands::network::{NetworkCommand, NetworkInitCommand};
pub use crate::commands::proof::{ModelCommand, ReceiptsCommand, SessionCommand};
pub use crate::demo::DemoArgs;
use crate::keys::parse_pubkey;
pub use crate::localnet::LocalnetArgs;
pub use crate::setup::NetworkInitArgs;

pub(crate) const AMOUNTS: &str = "Amounts are in whole tokens, as with spl-token and the Solana CLI: 1.5 = \
                       1.5 USDC, 200 = 200 network tokens. Base units take a `u` suffix: \
                       1500000u = 1.5 USDC (1 USDC = 1000000u, 1 network token = \
                       1000000000u, 1 SOL = 1000000000u lamports).";

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

#[derive(Clone, Copy, Debug, ValueEnum)]
pub enum Token {
    /// The payment mint (USDC)
    Usdc,
    /// The network token (stake and rewards)
    Stake,
}

/// The message of a command line clap refused, without its decorations: the error and
/// its tips on one line, with no `error:` prefix, usage block or pointer to `--help`. A
/// command group given without its subcommand (clap answers with the group's help) is
/// named with the subcommands it takes.
pub fn usage_message(error: &clap::Error) -> String {
    let text = error.render().to_string();
    if error.kind() == clap::error::ErrorKind::DisplayHelpOnMissingArgumentOrSubcommand {
        let usage = text
            .lines()
            .find_map(|line| line.trim().strip_prefix("Usage: "))
            .unwrap_or("gpunet");
        let subcommands: Vec<&str> = text
            .lines()
            .skip_while(|line| !line.starts_with("Commands:"))
            .skip(1)
            .take_while(|line| !line.trim().is_empty())
            .filter(|line| line.starts_with("  ") && !line.starts_with("   "))
            .filter_map(|line| line.split_whitespace().next())
            .filter(|name| *name != "help")
            .collect();
        return format!(
            "a subcommand is required ({usage}): {}",
            subcommands.join(", ")
        );
    }
    text.lines()
        .map(str::trim)
        .take_while(|line| !line.starts_with("Usage:"))
        .filter(|line| !line.is_empty() && !line.starts_with("For more information"))
        .map(|line| line.strip_prefix("error: ").unwrap_or(line))
        .collect::<Vec<_>>()
        .join(" ")
}

#[cfg(test)]
mod tests {
    use clap::CommandFactory;

    use super::*;

    /// Every argument of every subcommand, as `gpunet sub sub --flag`, with no help text.
    fn undocumented(command: &clap::Command, path: &str, found: &mut Vec<String>) {
        for arg in command.get_arguments() {
            let builtin = matches!(arg.get_id().as_str(), "help" | "version");
            if !builtin && arg.get_help().is_none() && arg.get_long_help().is_none() {
                found.push(format!("{path} {}", arg.get_id()));
            }
        }
        for sub in command.get_subcommands() {
            undocumented(sub, &format!("{path} {}", sub.get_name()), found);
        }
    }

    #[test]
    fn every_argument_has_help() {
        let mut found = Vec::new();
        undocumented(&Cli::command(), "gpunet", &mut found);
        assert!(found.is_empty(), "arguments without help: {found:#?}");
    }

    #[test]
    fn green_is_a_switch_pair_and_the_last_one_wins() {
        let specs = |args: &[&str]| {
            let mut argv = vec![
                "gpunet",
                "device",
                "update",
                "11111111111111111111111111111112",
            ];
            argv.extend(args);
            match Cli::try_parse_from(argv).unwrap().command {
                Command::Device(DeviceCommand::Update { specs, .. }) => specs.green(),
                other => panic!("{other:?}"),
            }
        };
        assert_eq!(specs(&[]), None);
        assert_eq!(specs(&["--green"]), Some(true));
        assert_eq!(specs(&["--no-green"]), Some(false));
        assert_eq!(specs(&["--green", "--no-green"]), Some(false));
        assert_eq!(specs(&["--no-green", "--green"]), Some(true));
    }

    #[test]
    fn a_usage_message_is_the_error_alone() {
        let error = Cli::try_parse_from(["gpunet", "lease", "hire"]).unwrap_err();
        let message = usage_message(&error);
        assert!(
            message.starts_with("the following required arguments were not provided:"),
            "{message}"
        );
        assert!(message.contains("--devices <DEVICES>"), "{message}");
        assert!(
            !message.contains("Usage:") && !message.contains("error:"),
            "{message}"
        );
    }
}
