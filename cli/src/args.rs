//! The command line: global flags and every subcommand, with the help users read.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};
use gpunet_sdk::Pubkey;

use crate::amount::Amount;
use crate::keys::{parse_hash, parse_pubkey};

const AMOUNTS: &str = "Amounts are in whole tokens, as with spl-token and the Solana CLI: 1.5 = \
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

#[derive(Debug, Args)]
pub struct LocalnetArgs {
    /// Address the servers bind
    #[arg(long, default_value = "127.0.0.1")]
    pub bind: String,
    /// JSON-RPC port
    #[arg(long, default_value_t = 8899)]
    pub rpc_port: u16,
    /// WebSocket (pubsub) port
    #[arg(long, default_value_t = 8900)]
    pub ws_port: u16,
    /// Yellowstone gRPC port
    #[arg(long, default_value_t = 10000)]
    pub grpc_port: u16,
    /// Recent slots of gRPC updates kept for `from_slot` replay
    #[arg(long, default_value_t = 2000)]
    pub replay_slots: u64,
    /// Slot duration in milliseconds
    #[arg(long, default_value_t = 400)]
    pub slot_time_ms: u64,
    /// Directory of the built programs (<name>.so) [default: target/deploy of this checkout]
    #[arg(long)]
    pub programs: Option<PathBuf>,
    /// Start the chain only; do not initialise the network
    #[arg(long)]
    pub no_init: bool,
    /// After start-up, run the tour (`gpunet demo`) against the chain
    #[arg(long, conflicts_with = "no_init")]
    pub demo: bool,
    /// In the tour, run a real gpunet-agent per device (they keep attesting until Ctrl-C;
    /// data under <state dir>/agents/) instead of scripting the agents
    #[arg(long, requires = "demo")]
    pub agents: bool,
    /// The gpunet-agent binary [default: next to gpunet, else on the PATH]
    #[arg(long, requires = "agents")]
    pub agent_bin: Option<PathBuf>,
    /// The agents' HTTP ports start here (agent i: 127.0.0.1:<port + i>)
    #[arg(long, default_value_t = 9100)]
    pub agent_port: u16,
    /// The explorer API following this chain (shown by the tour under "where to look")
    #[arg(long, env = "GPUNET_EXPLORER_URL")]
    pub explorer_url: Option<String>,
    #[command(flatten)]
    pub network: NetworkInitArgs,
}

#[derive(Debug, Args)]
pub struct DemoArgs {
    /// The state file written by `gpunet localnet` or `gpunet network init` (verifier
    /// keys, endpoints)
    #[arg(long, default_value = ".gpunet/localnet.json")]
    pub state: PathBuf,
    /// Devices to register and hire
    #[arg(long, default_value_t = 3, value_parser = clap::value_parser!(u64).range(1..=64))]
    pub devices: u64,
    /// Epochs each device is hired for (the last device misses the last one, to show a
    /// refund and a slash)
    #[arg(long, default_value_t = 2, value_parser = clap::value_parser!(u64).range(1..=8))]
    pub epochs: u64,
    /// The explorer API following the chain (shown under "where to look")
    #[arg(long, env = "GPUNET_EXPLORER_URL")]
    pub explorer_url: Option<String>,
    /// Run a real gpunet-agent per device (its data under <state dir>/agents/) instead of
    /// scripting the agents' transactions
    #[arg(long)]
    pub agents: bool,
    /// The gpunet-agent binary [default: next to gpunet, else on the PATH]
    #[arg(long, requires = "agents")]
    pub agent_bin: Option<PathBuf>,
}

/// The network parameters; unset values take the production defaults for `network init`
/// and the local ones for `localnet` (short epochs, short cooldowns, dev verifiers).
#[derive(Debug, Args)]
pub struct NetworkInitArgs {
    /// Where to write the created addresses (JSON)
    #[arg(long, default_value = ".gpunet/localnet.json")]
    pub state: PathBuf,
    /// Payment mint [default: create a 6-decimal USDC-like mint, --keypair its authority]
    #[arg(long, value_parser = parse_pubkey)]
    pub payment_mint: Option<Pubkey>,
    /// Network-token mint [default: create a 9-decimal mint, --keypair its authority]
    #[arg(long, value_parser = parse_pubkey)]
    pub stake_mint: Option<Pubkey>,
    /// Epoch length in seconds [default: 3600; localnet: 4]
    #[arg(long)]
    pub epoch_seconds: Option<u32>,
    /// Wallet receiving fees and slashes [default: --keypair's address]
    #[arg(long, value_parser = parse_pubkey)]
    pub treasury: Option<Pubkey>,
    /// Renter fee, basis points of the price
    #[arg(long, default_value_t = 25)]
    pub renter_fee_bps: u16,
    /// Supplier fee, basis points of the price
    #[arg(long, default_value_t = 50)]
    pub supplier_fee_bps: u16,
    /// Inference fee, basis points of each payment
    #[arg(long, default_value_t = 200)]
    pub inference_fee_bps: u16,
    /// A verifier's address (repeat for several)
    #[arg(long = "verifier", value_parser = parse_pubkey)]
    pub verifiers: Vec<Pubkey>,
    /// Generate this many development verifier keys into `verifiers/` next to the state
    /// file, written once the network is initialised [localnet: 3]
    #[arg(long)]
    pub generate_verifiers: Option<u8>,
    /// Verifier signatures required per attestation [default: a majority of the verifiers;
    /// 0 without verifiers]
    #[arg(long)]
    pub quorum: Option<u8>,
    /// Minimum stake per GPU of multiplier 1×, in network tokens
    #[arg(long, default_value = "200")]
    pub base_stake_per_gpu: Amount,
    /// Block rewards per epoch, in network tokens
    #[arg(long, default_value = "4566")]
    pub emission_per_epoch: Amount,
    /// Network tokens minted into the emission vault (only when the stake mint is created
    /// here)
    #[arg(long, default_value = "1000000")]
    pub fund_emission: Amount,
    /// Epochs after an epoch's end during which its reward weight may still be registered
    /// [default: 2; localnet: 1]
    #[arg(long)]
    pub grace_epochs: Option<u32>,
    /// Unstake cooldown in seconds [default: 14 days; localnet: 60]
    #[arg(long)]
    pub cooldown_seconds: Option<u32>,
    /// Slash challenge window in seconds (shorter than the cooldown) [default: 3 days;
    /// localnet: 30]
    #[arg(long)]
    pub challenge_window_seconds: Option<u32>,
}

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

/// A device's hardware, as flags (all optional on update).
#[derive(Debug, Args, Default)]
pub struct SpecArgs {
    /// GPU model code (0 = CPU only; the staking config maps codes to multipliers, e.g.
    /// 100 = H100, weighs 4× on localnet)
    #[arg(long)]
    pub gpu_model: Option<u16>,
    /// Number of GPUs (1..=1024) [register default: 1]
    #[arg(long)]
    pub gpus: Option<u16>,
    /// Memory per GPU, MiB [register default: 24576]
    #[arg(long)]
    pub vram_mib: Option<u32>,
    /// CPU cores [register default: 16]
    #[arg(long)]
    pub cpu_cores: Option<u16>,
    /// RAM, MiB [register default: 65536]
    #[arg(long)]
    pub ram_mib: Option<u32>,
    /// Download bandwidth, Mbit/s [register default: 1000]
    #[arg(long)]
    pub down_mbps: Option<u32>,
    /// Upload bandwidth, Mbit/s [register default: 1000]
    #[arg(long)]
    pub up_mbps: Option<u32>,
    /// Country, ISO 3166-1 alpha-2 [register default: US]
    #[arg(long)]
    pub country: Option<String>,
    /// Region code [register default: 0]
    #[arg(long)]
    pub region: Option<u16>,
    /// Supplier group code [register default: 0]
    #[arg(long)]
    pub supplier_group: Option<u8>,
    /// Security tier code [register default: 0]
    #[arg(long)]
    pub security_tier: Option<u8>,
    /// Runs on renewable energy [register default: no]
    #[arg(long, overrides_with = "no_green")]
    pub green: bool,
    /// Does not run on renewable energy (undoes --green on update)
    #[arg(long, overrides_with = "green")]
    pub no_green: bool,
}

impl SpecArgs {
    /// `--green` / `--no-green` (the last one given), `None` when neither is.
    pub fn green(&self) -> Option<bool> {
        match (self.green, self.no_green) {
            (true, _) => Some(true),
            (_, true) => Some(false),
            _ => None,
        }
    }
}

#[derive(Debug, Subcommand)]
pub enum DeviceCommand {
    /// Register a device (signed by its owner, --keypair, who pays the rent and is paid
    /// for its work); prints the device address
    #[command(after_help = AMOUNTS)]
    Register {
        /// Device number, chosen by the owner (one owner can run many devices)
        #[arg(long)]
        id: u64,
        /// The agent key running on the machine (attests uptime, submits receipts)
        #[arg(long, value_parser = parse_pubkey)]
        agent: Pubkey,
        /// Price per GPU-hour in USDC (2.5 = 2.5 USDC)
        #[arg(long)]
        price: Amount,
        #[command(flatten)]
        specs: SpecArgs,
    },
    /// Change a device's price, agent key or specs (owner)
    #[command(after_help = AMOUNTS)]
    Update {
        /// Device address (printed by `device register`)
        #[arg(value_parser = parse_pubkey)]
        device: Pubkey,
        /// New price per GPU-hour in USDC (applies to new hires)
        #[arg(long)]
        price: Option<Amount>,
        /// New agent key (the old one can no longer attest)
        #[arg(long, value_parser = parse_pubkey)]
        agent: Option<Pubkey>,
        #[command(flatten)]
        specs: SpecArgs,
    },
    /// Pause a device: it keeps its hires and attests, but takes no new hire (owner)
    Pause {
        /// Device address (printed by `device register`)
        #[arg(value_parser = parse_pubkey)]
        device: Pubkey,
    },
    /// Make a paused device hireable again (owner)
    Resume {
        /// Device address (printed by `device register`)
        #[arg(value_parser = parse_pubkey)]
        device: Pubkey,
    },
    /// Retire a device for good (owner)
    Retire {
        /// Device address (printed by `device register`)
        #[arg(value_parser = parse_pubkey)]
        device: Pubkey,
    },
    /// Attest an epoch of uptime (signed by the device's agent key, --keypair), with the
    /// verifiers' co-signatures when the network requires a quorum
    Attest {
        /// Device address (printed by `device register`)
        #[arg(value_parser = parse_pubkey)]
        device: Pubkey,
        /// Epoch to attest (the current or the previous one) [default: current]
        #[arg(long)]
        epoch: Option<u64>,
        /// Minutes of uptime in the epoch [default: the whole epoch]
        #[arg(long)]
        uptime_minutes: Option<u16>,
        /// Proof-of-work benchmark digest, 64 hex digits [default: zeros]
        #[arg(long, value_parser = parse_hash)]
        pow_digest: Option<[u8; 32]>,
        /// A verifier's keypair file that co-signs (repeat to reach the quorum)
        #[arg(long = "verifier-keypair")]
        verifier_keypairs: Vec<PathBuf>,
        /// Also register the epoch's block-reward weight in the same transaction
        #[arg(long)]
        register_weight: bool,
    },
    /// Show a device (specs, price, status, uptime) and its stake
    Show {
        /// Device address (printed by `device register`)
        #[arg(value_parser = parse_pubkey)]
        device: Pubkey,
    },
}

#[derive(Debug, Subcommand)]
pub enum StakeCommand {
    /// Stake network tokens for a device from the owner's token account (owner)
    #[command(after_help = AMOUNTS)]
    Deposit {
        /// Device address (printed by `device register`)
        #[arg(value_parser = parse_pubkey)]
        device: Pubkey,
        /// Network tokens (200 = 200 tokens)
        amount: Amount,
    },
    /// Start unstaking: the amount stops counting now and cools down (owner)
    #[command(after_help = AMOUNTS)]
    Unstake {
        /// Device address (printed by `device register`)
        #[arg(value_parser = parse_pubkey)]
        device: Pubkey,
        /// Network tokens to unstake (200 = 200 tokens)
        amount: Amount,
    },
    /// Withdraw the cooled-down stake to the owner's token account (owner)
    Withdraw {
        /// Device address (printed by `device register`)
        #[arg(value_parser = parse_pubkey)]
        device: Pubkey,
    },
    /// Register an attested epoch's block-reward weight (agent)
    RegisterWeight {
        /// Device address (printed by `device register`)
        #[arg(value_parser = parse_pubkey)]
        device: Pubkey,
        /// The attested epoch whose weight to register (within the grace epochs after it)
        #[arg(long)]
        epoch: u64,
    },
    /// Claim the block rewards of final epochs (anyone; paid to the owner). Epochs named
    /// with --epochs that are not final yet are waited for
    Claim {
        /// Device address (printed by `device register`)
        #[arg(value_parser = parse_pubkey)]
        device: Pubkey,
        /// Epochs to claim, waiting until the last is final [default: every registered
        /// epoch that is final now]
        #[arg(long, value_delimiter = ',')]
        epochs: Vec<u64>,
    },
    /// Show a device's stake account
    Show {
        /// Device address (printed by `device register`)
        #[arg(value_parser = parse_pubkey)]
        device: Pubkey,
    },
}

#[derive(Debug, Subcommand)]
pub enum LeaseCommand {
    /// Open a lease (a cluster) with its escrow vault (renter); prints the lease address
    #[command(after_help = AMOUNTS)]
    Create {
        /// Lease number, chosen by the renter
        #[arg(long)]
        id: u64,
        /// Name (1 to 32 bytes)
        #[arg(long)]
        name: String,
        /// What the leased devices run, read by the worker agent (at most 128 bytes):
        /// `cmd:<shell command>` (run with `sh -c`) or `image:<container image reference>`;
        /// empty (the default) runs the agent's built-in CPU/GPU benchmark workload
        #[arg(long, value_name = "SPEC", default_value = "")]
        job: String,
        /// Highest price per GPU-hour accepted, in USDC
        #[arg(long)]
        max_price: Amount,
    },
    /// Hire devices into a lease for a number of epochs, depositing (price + renter fee)
    /// × epochs each (renter); one transaction per device, with a progress bar. Every
    /// device's signature or error is printed; the exit status is non-zero if any failed
    Hire {
        /// Lease address (printed by `lease create`)
        #[arg(value_parser = parse_pubkey)]
        lease: Pubkey,
        /// Devices: a comma-separated list of addresses, or a file of addresses (one per
        /// line, or a JSON array)
        #[arg(long)]
        devices: String,
        /// Epochs to hire for (billing starts with the next epoch)
        #[arg(long)]
        epochs: u64,
    },
    /// Hire a device for more epochs at its original terms (renter)
    Extend {
        /// Lease address (printed by `lease create`)
        #[arg(value_parser = parse_pubkey)]
        lease: Pubkey,
        /// Device address (printed by `device register`)
        #[arg(value_parser = parse_pubkey)]
        device: Pubkey,
        /// Epochs to add after the hire's current end, deposited at its original terms
        #[arg(long)]
        epochs: u64,
    },
    /// Release a device: it is free at once, later epochs are refunded (renter; anyone
    /// once the lease is terminated or the hire ended)
    Release {
        /// Lease address (printed by `lease create`)
        #[arg(value_parser = parse_pubkey)]
        lease: Pubkey,
        /// Device address (printed by `device register`)
        #[arg(value_parser = parse_pubkey)]
        device: Pubkey,
    },
    /// Stop a lease: no hire, extension or billing past the running epoch (renter)
    Terminate {
        /// Lease address (printed by `lease create`)
        #[arg(value_parser = parse_pubkey)]
        lease: Pubkey,
    },
    /// Settle final epochs: owners paid for attested epochs, the renter refunded for
    /// missed ones (anyone; the sender pays fees and any slash record's rent). Every
    /// device's signature or error is printed; the exit status is non-zero if any failed
    Settle {
        /// Lease address (printed by `lease create`)
        #[arg(value_parser = parse_pubkey)]
        lease: Pubkey,
        /// Only these devices [default: every hire of the lease]
        #[arg(long = "device", value_parser = parse_pubkey)]
        devices: Vec<Pubkey>,
        /// Settle every epoch before this one (at most each hire's end), waiting until the
        /// chain's clock makes them final [default: the epochs final now]
        #[arg(long, value_name = "EPOCH")]
        through: Option<u64>,
    },
    /// Close the lease's released, settled hires, then the lease, sweeping the vault back
    /// (renter). Hires not yet released and settled are listed as skipped and keep the
    /// lease open (non-zero exit status)
    Close {
        /// Lease address (printed by `lease create`)
        #[arg(value_parser = parse_pubkey)]
        lease: Pubkey,
    },
    /// Show a lease, its totals and its hires
    Show {
        /// Lease address (printed by `lease create`)
        #[arg(value_parser = parse_pubkey)]
        lease: Pubkey,
    },
}

#[derive(Debug, Subcommand)]
pub enum ModelCommand {
    /// Register a model (owner, paid royalties); prints the model address
    #[command(after_help = AMOUNTS)]
    Register {
        /// Model number, chosen by the owner
        #[arg(long)]
        id: u64,
        /// Royalty, basis points of each inference payment
        #[arg(long)]
        royalty_bps: u16,
        /// Price per compute unit (GPU-millisecond) in USDC: 0.000003, or 3u in base units
        #[arg(long)]
        price_per_unit: Amount,
        /// Metadata URI (at most 128 bytes)
        #[arg(long)]
        uri: String,
        /// Metadata hash, 64 hex digits [default: zeros]
        #[arg(long, value_parser = parse_hash)]
        hash: Option<[u8; 32]>,
    },
    /// Change a model's royalty, price or metadata (owner)
    #[command(after_help = AMOUNTS)]
    Update {
        /// Model address (printed by `model register`)
        #[arg(value_parser = parse_pubkey)]
        model: Pubkey,
        /// New royalty, basis points of each inference payment
        #[arg(long)]
        royalty_bps: Option<u16>,
        /// New price per compute unit (GPU-millisecond) in USDC: 0.000003, or 3u in base
        /// units
        #[arg(long)]
        price_per_unit: Option<Amount>,
        /// New metadata URI (at most 128 bytes)
        #[arg(long)]
        uri: Option<String>,
        /// New metadata hash, 64 hex digits
        #[arg(long, value_parser = parse_hash)]
        hash: Option<[u8; 32]>,
    },
    /// Show a model
    Show {
        /// Model address (printed by `model register`)
        #[arg(value_parser = parse_pubkey)]
        model: Pubkey,
    },
}

#[derive(Debug, Subcommand)]
pub enum SessionCommand {
    /// Open a prepaid inference session for a model (consumer); prints its address
    #[command(after_help = AMOUNTS)]
    Open {
        /// Model address (printed by `model register`)
        #[arg(value_parser = parse_pubkey)]
        model: Pubkey,
        /// Session number, chosen by the consumer
        #[arg(long)]
        id: u64,
        /// The key whose vouchers authorise payments [default: --keypair]
        #[arg(long, value_parser = parse_pubkey)]
        authorizer: Option<Pubkey>,
        /// USDC deposited
        #[arg(long)]
        deposit: Amount,
    },
    /// Close a session (consumer): the first call gives one epoch's notice, a call after
    /// the notice refunds the rest
    Close {
        /// Session address (printed by `session open`)
        #[arg(value_parser = parse_pubkey)]
        session: Pubkey,
    },
    /// Show a session
    Show {
        /// Session address (printed by `session open`)
        #[arg(value_parser = parse_pubkey)]
        session: Pubkey,
    },
}

#[derive(Debug, Subcommand)]
pub enum ReceiptsCommand {
    /// Submit a batch of receipts for a device (signed by its agent key, --keypair):
    /// inference receipts of a session (paid, with the authoriser's voucher) or job
    /// receipts of a running hire
    Submit {
        /// Device address (printed by `device register`)
        #[arg(value_parser = parse_pubkey)]
        device: Pubkey,
        /// Records: compute units (GPU-ms) each, optionally with a result hash:
        /// `1200,800:<64 hex>`
        #[arg(long, value_delimiter = ',', required = true)]
        records: Vec<String>,
        /// Inference: the session paying for the records
        #[arg(long, value_parser = parse_pubkey, conflicts_with = "lease")]
        session: Option<Pubkey>,
        /// Inference: keypair file of the session's authoriser, who signs the voucher
        #[arg(long, requires = "session")]
        authorizer_keypair: Option<PathBuf>,
        /// Lease job: the lease whose hire of the device the work belongs to
        #[arg(long, value_parser = parse_pubkey, requires = "model")]
        lease: Option<Pubkey>,
        /// Lease job: the model the work ran
        #[arg(long, value_parser = parse_pubkey)]
        model: Option<Pubkey>,
    },
    /// Show a device's receipt log (count, compute units, amounts, hash-chain head)
    Show {
        /// Device address (printed by `device register`)
        #[arg(value_parser = parse_pubkey)]
        device: Pubkey,
    },
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
