//! Test harness: the programs exactly as built for the chain (`target/deploy/*.so`, never
//! a native build) running in litesvm, plus helpers for the things every test needs —
//! funded keypairs, a USDC-like mint and token accounts, moving the clock by epochs, and
//! the compute units and logs of every transaction.

use std::path::PathBuf;

use anchor_lang::AccountDeserialize;
use litesvm::LiteSVM;
use litesvm::types::{FailedTransactionMetadata, TransactionMetadata};
use solana_account::Account;
use solana_clock::Clock;
use solana_instruction::Instruction;
pub use solana_instruction::error::InstructionError;
use solana_keypair::Keypair;
use solana_program_pack::Pack;
use solana_signer::Signer;
use solana_transaction::Transaction;
use solana_transaction_error::TransactionError;

pub use gpunet_sdk::Pubkey;

pub mod market;
pub mod report;
pub mod rng;

/// USDC's decimals: amounts in tests are in micro-dollars.
pub const USDC_DECIMALS: u8 = 6;
pub const LAMPORTS_PER_SOL: u64 = 1_000_000_000;
/// Anchor numbers a program's own errors from here.
pub const ANCHOR_ERROR_OFFSET: u32 = 6000;
/// `TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb`.
pub const TOKEN_2022_PROGRAM_ID: Pubkey =
    Pubkey::from_str_const("TokenzQdBNbLqP5VEhdkAS6EPFLC1PHnBqCXEpPxuEb");

/// Where `toolchain/build-sbf` puts the programs (override: `GPUNET_DEPLOY_DIR`).
pub fn deploy_dir() -> PathBuf {
    match std::env::var_os("GPUNET_DEPLOY_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => PathBuf::from(env!("CARGO_MANIFEST_DIR")).join("../target/deploy"),
    }
}

/// The built program `name` (e.g. "registry"); panics with the command to run if missing.
pub fn program_elf(name: &str) -> Vec<u8> {
    let path = deploy_dir().join(format!("{name}.so"));
    std::fs::read(&path).unwrap_or_else(|e| {
        panic!(
            "cannot read {} ({e}); build the programs first: toolchain/build-sbf",
            path.display()
        )
    })
}

/// A successful transaction.
#[derive(Debug)]
pub struct Executed {
    pub compute_units: u64,
    pub logs: Vec<String>,
    pub return_data: Vec<u8>,
    /// Data of every inner instruction (CPI), in order: `emit_cpi!` events live here.
    pub inner_instructions: Vec<Vec<u8>>,
}

impl Executed {
    /// Every event of type `E` the transaction emitted, from `emit_cpi!` inner
    /// instructions and `emit!` logs, in order.
    pub fn events<E>(&self) -> Vec<E>
    where
        E: anchor_lang::Event + anchor_lang::AnchorDeserialize + anchor_lang::Discriminator,
    {
        use base64::Engine as _;
        let logged = self.logs.iter().filter_map(|line| {
            let payload = line.strip_prefix("Program data: ")?;
            base64::engine::general_purpose::STANDARD
                .decode(payload)
                .ok()
        });
        self.inner_instructions
            .iter()
            .cloned()
            .chain(logged)
            .filter_map(|data| gpunet_sdk::decode_event(&data))
            .collect()
    }

    /// The one event of type `E`; panics if there is none or more than one.
    #[track_caller]
    pub fn event<E>(&self) -> E
    where
        E: anchor_lang::Event + anchor_lang::AnchorDeserialize + anchor_lang::Discriminator,
    {
        let mut events = self.events::<E>();
        assert_eq!(
            events.len(),
            1,
            "expected exactly one event; logs:\n{}",
            self.logs.join("\n")
        );
        events.remove(0)
    }
}

/// A failed transaction, with what is needed to assert on why.
#[derive(Debug)]
pub struct Failed {
    pub error: TransactionError,
    pub logs: Vec<String>,
    pub compute_units: u64,
}

impl Failed {
    /// The custom error code of the failing instruction, if it failed with one.
    pub fn custom_code(&self) -> Option<u32> {
        match self.error {
            TransactionError::InstructionError(_, InstructionError::Custom(code)) => Some(code),
            _ => None,
        }
    }

    /// The error of the failing instruction, if an instruction failed.
    pub fn instruction_error(&self) -> Option<&InstructionError> {
        match &self.error {
            TransactionError::InstructionError(_, error) => Some(error),
            _ => None,
        }
    }

    /// Asserts the failure is the given Anchor error (program or framework) and returns self.
    #[track_caller]
    pub fn assert_anchor_error(&self, code: u32) {
        assert_eq!(
            self.custom_code(),
            Some(code),
            "expected custom error {code}, got {:?}\nlogs:\n{}",
            self.error,
            self.logs.join("\n")
        );
    }
}

impl From<TransactionMetadata> for Executed {
    fn from(meta: TransactionMetadata) -> Self {
        Executed {
            compute_units: meta.compute_units_consumed,
            logs: meta.logs,
            return_data: meta.return_data.data,
            inner_instructions: meta
                .inner_instructions
                .into_iter()
                .flatten()
                .map(|inner| inner.instruction.data)
                .collect(),
        }
    }
}

impl From<FailedTransactionMetadata> for Failed {
    fn from(failed: FailedTransactionMetadata) -> Self {
        Failed {
            error: failed.err,
            logs: failed.meta.logs,
            compute_units: failed.meta.compute_units_consumed,
        }
    }
}

/// A litesvm chain with the gpunet programs deployed.
pub struct Chain {
    pub svm: LiteSVM,
    /// Upgrade authority of every deployed program (the deployer).
    pub deployer: Keypair,
    /// Keys are derived from this counter, so every run of a test (and every compute-unit
    /// measurement, which depends on PDA bump searches) sees the same addresses.
    keys_made: u64,
}

impl Default for Chain {
    fn default() -> Self {
        Self::new()
    }
}

impl Chain {
    /// A fresh chain (mainnet feature set, SPL Token and Token-2022 preloaded) with the
    /// gpunet programs deployed through the upgradeable loader, `deployer` as upgrade
    /// authority.
    pub fn new() -> Self {
        let mut chain = Chain::empty();
        let deployer = chain.deployer.pubkey();
        chain.deploy("registry", gpunet_sdk::registry::PROGRAM_ID, Some(deployer));
        chain.deploy("escrow", gpunet_sdk::escrow::PROGRAM_ID, Some(deployer));
        chain.deploy("staking", gpunet_sdk::staking::PROGRAM_ID, Some(deployer));
        chain.deploy("proof", gpunet_sdk::proof::PROGRAM_ID, Some(deployer));
        chain
    }

    /// A fresh chain with no gpunet program.
    pub fn empty() -> Self {
        let mut chain = Chain {
            svm: LiteSVM::new(),
            deployer: Keypair::new_from_array([0; 32]),
            keys_made: 0,
        };
        chain.deployer = chain.keypair();
        let deployer = chain.deployer.pubkey();
        chain
            .svm
            .airdrop(&deployer, 100 * LAMPORTS_PER_SOL)
            .expect("airdrop");
        chain
    }

    /// A new keypair, the same one in every run (the n-th key of a chain is fixed).
    pub fn keypair(&mut self) -> Keypair {
        self.keys_made += 1;
        let mut secret = [0x6b; 32];
        secret[..8].copy_from_slice(&self.keys_made.to_le_bytes());
        Keypair::new_from_array(secret)
    }

    /// Deploys `target/deploy/<name>.so` at `program_id` through the upgradeable loader,
    /// with the given upgrade authority (None: immutable).
    pub fn deploy(&mut self, name: &str, program_id: Pubkey, upgrade_authority: Option<Pubkey>) {
        self.deploy_elf(&program_elf(name), program_id, upgrade_authority);
    }

    pub fn deploy_elf(
        &mut self,
        elf: &[u8],
        program_id: Pubkey,
        upgrade_authority: Option<Pubkey>,
    ) {
        self.svm
            .add_program(program_id, elf)
            .unwrap_or_else(|e| panic!("loading program {program_id}: {e:?}"));
        // litesvm deploys without an upgrade authority; set it in the program-data header.
        let program_data = gpunet_sdk::program_data_address(&program_id);
        let mut account = self
            .svm
            .get_account(&program_data)
            .expect("program data account");
        gpunet_sdk::upgradeable_loader::set_upgrade_authority(&mut account.data, upgrade_authority);
        self.svm
            .set_account(program_data, account)
            .expect("set program data");
    }

    /// A new keypair holding `sol` SOL.
    pub fn funded_keypair(&mut self, sol: u64) -> Keypair {
        let keypair = self.keypair();
        self.svm
            .airdrop(&keypair.pubkey(), sol * LAMPORTS_PER_SOL)
            .expect("airdrop");
        keypair
    }

    /// A transaction of `instructions` signed by `signers` at the latest blockhash; the
    /// first signer pays the fee.
    fn transaction(&self, instructions: &[Instruction], signers: &[&Keypair]) -> Transaction {
        let payer = signers.first().expect("at least one signer").pubkey();
        Transaction::new_signed_with_payer(
            instructions,
            Some(&payer),
            signers,
            self.svm.latest_blockhash(),
        )
    }

    /// Sends `instructions` in one transaction; the first signer pays the fee.
    pub fn send(
        &mut self,
        instructions: &[Instruction],
        signers: &[&Keypair],
    ) -> Result<Executed, Failed> {
        let tx = self.transaction(instructions, signers);
        let result = self.svm.send_transaction(tx);
        // A new blockhash per transaction: tests may legitimately repeat one.
        self.svm.expire_blockhash();
        result.map(Executed::from).map_err(Failed::from)
    }

    /// The wire size of a transaction of `instructions` signed by `signers` (the limit is
    /// 1,232 bytes), and its signature count (each costs the base fee).
    pub fn transaction_size(
        &self,
        instructions: &[Instruction],
        signers: &[&Keypair],
    ) -> (usize, usize) {
        let tx = self.transaction(instructions, signers);
        let size = bincode::serialize(&tx).expect("serialize").len();
        (size, tx.signatures.len())
    }

    /// Like `send`, but the transaction must succeed.
    #[track_caller]
    pub fn execute(&mut self, instructions: &[Instruction], signers: &[&Keypair]) -> Executed {
        match self.send(instructions, signers) {
            Ok(executed) => executed,
            Err(failed) => panic!(
                "transaction failed: {:?}\nlogs:\n{}",
                failed.error,
                failed.logs.join("\n")
            ),
        }
    }

    pub fn account(&self, address: &Pubkey) -> Option<Account> {
        self.svm.get_account(address)
    }

    /// Decodes the Anchor account at `address`; panics if missing or malformed.
    #[track_caller]
    pub fn anchor_account<T: AccountDeserialize>(&self, address: &Pubkey) -> T {
        let account = self
            .account(address)
            .unwrap_or_else(|| panic!("no account at {address}"));
        gpunet_sdk::decode_account(&account.data)
            .unwrap_or_else(|e| panic!("decoding {address}: {e}"))
    }

    // --- tokens ---------------------------------------------------------------------

    /// A new SPL Token mint with `decimals`, minted by `authority`.
    pub fn create_mint(&mut self, authority: &Pubkey, decimals: u8) -> Pubkey {
        self.create_mint_of(&spl_token_interface::ID, authority, decimals)
    }

    /// A new mint of `token_program` (SPL Token or Token-2022, no extensions).
    pub fn create_mint_of(
        &mut self,
        token_program: &Pubkey,
        authority: &Pubkey,
        decimals: u8,
    ) -> Pubkey {
        let mint = self.keypair();
        // The Token-2022 interface builds this instruction for either token program.
        let initialize = spl_token_2022_interface::instruction::initialize_mint2(
            token_program,
            &mint.pubkey(),
            authority,
            None,
            decimals,
        )
        .expect("initialize_mint2");
        self.create_token_program_account(
            &mint,
            token_program,
            spl_token_interface::state::Mint::LEN,
            initialize,
        );
        mint.pubkey()
    }

    /// A USDC-like mint (6 decimals) and its authority.
    pub fn create_usdc(&mut self) -> (Pubkey, Keypair) {
        let authority = self.funded_keypair(1);
        let mint = self.create_mint(&authority.pubkey(), USDC_DECIMALS);
        (mint, authority)
    }

    /// A new SPL Token account of `mint` owned by `owner`.
    pub fn create_token_account(&mut self, owner: &Pubkey, mint: &Pubkey) -> Pubkey {
        let account = self.keypair();
        let initialize = spl_token_interface::instruction::initialize_account3(
            &spl_token_interface::ID,
            &account.pubkey(),
            mint,
            owner,
        )
        .expect("initialize_account3");
        let space = spl_token_interface::state::Account::LEN;
        self.create_token_program_account(&account, &spl_token_interface::ID, space, initialize);
        account.pubkey()
    }

    /// Creates `account` (rent-exempt, `space` bytes, owned by `token_program`) and runs
    /// `initialize` on it in the same transaction.
    fn create_token_program_account(
        &mut self,
        account: &Keypair,
        token_program: &Pubkey,
        space: usize,
        initialize: Instruction,
    ) {
        let lamports = self.svm.minimum_balance_for_rent_exemption(space);
        let payer = self.funded_keypair(1);
        let create = solana_system_interface::instruction::create_account(
            &payer.pubkey(),
            &account.pubkey(),
            lamports,
            space as u64,
            token_program,
        );
        self.execute(&[create, initialize], &[&payer, account]);
    }

    pub fn mint_to(&mut self, mint: &Pubkey, authority: &Keypair, to: &Pubkey, amount: u64) {
        let ix = spl_token_interface::instruction::mint_to(
            &spl_token_interface::ID,
            mint,
            to,
            &authority.pubkey(),
            &[],
            amount,
        )
        .expect("mint_to");
        self.execute(&[ix], &[authority]);
    }

    /// Balance of an SPL token account, in base units.
    #[track_caller]
    pub fn token_balance(&self, account: &Pubkey) -> u64 {
        let data = self
            .account(account)
            .unwrap_or_else(|| panic!("no token account {account}"))
            .data;
        spl_token_interface::state::Account::unpack(&data)
            .expect("token account")
            .amount
    }

    // --- time -----------------------------------------------------------------------

    pub fn clock(&self) -> Clock {
        self.svm.get_sysvar::<Clock>()
    }

    /// Moves the clock forward by `seconds` (and slots at 400 ms each).
    pub fn warp_seconds(&mut self, seconds: i64) {
        let mut clock = self.clock();
        clock.unix_timestamp += seconds;
        clock.slot += (seconds.max(0) as u64 * 5).div_ceil(2);
        self.svm.set_sysvar(&clock);
        self.svm.expire_blockhash();
    }

    /// Moves the clock forward by whole epochs of `epoch_seconds`.
    pub fn warp_epochs(&mut self, epochs: u64, epoch_seconds: u32) {
        self.warp_seconds((epochs * u64::from(epoch_seconds)) as i64);
    }
}
