//! A ready network for device and lease tests: registry and escrow deployed, the network
//! initialised with USDC, a treasury token account, and helpers that register devices,
//! attest epochs and run leases through the sdk's instruction builders.

use gpunet_sdk::escrow::{self, CreateLeaseArgs, Hire, Lease, Payees, Payment};
use gpunet_sdk::proof::{
    self, InferencePayees, InferenceTerms, OpenSessionArgs, ReceiptBatch, RegisterModelArgs,
};
use gpunet_sdk::registry::{
    self, AttestUptimeArgs, Device, DeviceSpecs, FeeSchedule, InitializeNetworkArgs, NetworkConfig,
    RegisterDeviceArgs,
};
use gpunet_sdk::staking::{
    self, EmissionSchedule, HardwareMultiplier, SlashPolicy, StakeAccount, StakeMint, StakingParams,
};
use solana_keypair::Keypair;
use solana_signer::Signer;

use crate::{Chain, Executed, Failed, Pubkey};

/// Fees used unless a test says otherwise: 0.25 % renter, 0.5 % supplier, 2 % inference.
pub fn default_fees() -> FeeSchedule {
    FeeSchedule {
        renter_fee_bps: 25,
        supplier_fee_bps: 50,
        inference_fee_bps: 200,
    }
}

/// An 8-GPU machine in Germany on a 1 Gbit/s line.
pub fn specs(gpu_count: u16) -> DeviceSpecs {
    DeviceSpecs {
        gpu_model: 4090,
        gpu_count,
        vram_mib: 24_576,
        cpu_cores: 32,
        ram_mib: 128 * 1024,
        bandwidth_down_mbps: 1_000,
        bandwidth_up_mbps: 1_000,
        country: *b"DE",
        region: 0,
        supplier_group: 1,
        security_tier: 0,
        green: true,
    }
}

/// One USDC, in base units (6 decimals).
pub const USDC: u64 = 1_000_000;

/// One network token, in base units (9 decimals).
pub const TOKEN: u64 = 1_000_000_000;

/// Staking parameters used unless a test says otherwise: 200 tokens per GPU (H100, model
/// 100, weighs 4×), 14-day cooldown, 3-day challenge window, 1 % of the minimum stake per
/// missed hired epoch (half to the renter), 4,566 tokens per epoch, 2 grace epochs.
pub fn default_staking_params() -> StakingParams {
    StakingParams {
        base_stake_per_gpu: 200 * TOKEN,
        default_multiplier_bps: 10_000,
        multipliers: vec![HardwareMultiplier {
            gpu_model: 100,
            multiplier_bps: 40_000,
        }],
        cooldown_seconds: 14 * 24 * 3600,
        challenge_window_seconds: 3 * 24 * 3600,
        slash: SlashPolicy {
            missed_epoch_bps: 100,
            renter_share_bps: 5_000,
        },
        emission: EmissionSchedule {
            start_epoch: 0,
            per_epoch: 4_566 * TOKEN,
            decay_bps: 0,
            decay_period_epochs: 1,
            cap: u64::MAX,
        },
        grace_epochs: 2,
        escrow_authority: escrow::slasher_address(),
    }
}

pub struct Market {
    pub chain: Chain,
    pub admin: Keypair,
    pub usdc: Pubkey,
    pub usdc_authority: Keypair,
    pub treasury: Keypair,
    pub treasury_token: Pubkey,
    pub stake_mint: Pubkey,
    pub stake_authority: Keypair,
    /// The treasury's account in the stake mint (slashes).
    pub treasury_stake_token: Pubkey,
    pub epoch_seconds: u32,
}

/// A registered device with its keys and the owner's USDC account.
pub struct TestDevice {
    pub owner: Keypair,
    pub agent: Keypair,
    pub address: Pubkey,
    pub owner_token: Pubkey,
    /// The owner's account in the stake mint (stake, rewards).
    pub owner_stake_token: Pubkey,
}

/// A renter with a funded USDC account and one lease.
pub struct Renter {
    pub wallet: Keypair,
    pub token: Pubkey,
    pub lease_id: u64,
    pub lease: Pubkey,
}

impl Market {
    pub fn new() -> Self {
        Self::with(default_fees(), 3600, vec![], 0)
    }

    pub fn with(fees: FeeSchedule, epoch_seconds: u32, verifiers: Vec<Pubkey>, quorum: u8) -> Self {
        let mut chain = Chain::new();
        let admin = chain.deployer.insecure_clone();
        let (usdc, usdc_authority) = chain.create_usdc();
        let stake_authority = chain.funded_keypair(1);
        let stake_mint = chain.create_mint(&stake_authority.pubkey(), 9);
        let treasury = chain.keypair();
        let treasury_token = chain.create_token_account(&treasury.pubkey(), &usdc);
        let args = InitializeNetworkArgs {
            fees,
            epoch_seconds,
            treasury: treasury.pubkey(),
            verifiers,
            verifier_quorum: quorum,
        };
        let ix = registry::initialize_network(admin.pubkey(), usdc, stake_mint, args);
        chain.execute(&[ix], &[&admin]);
        let mint = StakeMint {
            mint: stake_mint,
            token_program: spl_token_interface::ID,
        };
        let ix = staking::initialize_staking(admin.pubkey(), mint, default_staking_params());
        chain.execute(&[ix], &[&admin]);
        // Pre-fund the emission vault for many epochs of rewards.
        chain.mint_to(
            &stake_mint,
            &stake_authority,
            &staking::emission_vault_address(),
            1_000_000 * TOKEN,
        );
        let treasury_stake_token = chain.create_token_account(&treasury.pubkey(), &stake_mint);
        // Start at the beginning of an epoch, well after genesis.
        let config: NetworkConfig = chain.anchor_account(&registry::config_address());
        let now = chain.clock().unix_timestamp;
        let into_epoch = (now - config.genesis_timestamp) % i64::from(epoch_seconds);
        chain.warp_seconds(10 * i64::from(epoch_seconds) - into_epoch);
        Market {
            chain,
            admin,
            usdc,
            usdc_authority,
            treasury,
            treasury_token,
            stake_mint,
            stake_authority,
            treasury_stake_token,
            epoch_seconds,
        }
    }

    pub fn stake_mint(&self) -> StakeMint {
        StakeMint {
            mint: self.stake_mint,
            token_program: spl_token_interface::ID,
        }
    }

    pub fn stake_account(&self, device: &TestDevice) -> StakeAccount {
        self.chain
            .anchor_account(&staking::stake_address(&device.address))
    }

    /// Mints `amount` stake tokens to the owner and stakes them for the device.
    pub fn stake(&mut self, device: &TestDevice, amount: u64) -> Result<Executed, Failed> {
        let authority = self.stake_authority.insecure_clone();
        self.chain.mint_to(
            &self.stake_mint,
            &authority,
            &device.owner_stake_token,
            amount,
        );
        let ix = staking::stake(
            device.owner.pubkey(),
            device.address,
            device.owner_stake_token,
            self.stake_mint(),
            amount,
        );
        self.chain.send(&[ix], &[&device.owner])
    }

    /// A device as `register_device` makes it, without any stake.
    pub fn register_unstaked_device(
        &mut self,
        device_id: u64,
        gpu_count: u16,
        price: u64,
    ) -> TestDevice {
        self.register_device_with(device_id, specs(gpu_count), price)
    }

    pub fn payment(&self) -> Payment {
        Payment {
            mint: self.usdc,
            token_program: spl_token_interface::ID,
        }
    }

    pub fn config(&self) -> NetworkConfig {
        self.chain.anchor_account(&registry::config_address())
    }

    pub fn current_epoch(&self) -> u64 {
        self.config()
            .epoch_at(self.chain.clock().unix_timestamp)
            .expect("epoch")
    }

    pub fn warp_epochs(&mut self, epochs: u64) {
        self.chain.warp_epochs(epochs, self.epoch_seconds);
    }

    /// Registers a device and stakes exactly its minimum (200 tokens per GPU).
    pub fn register_device(&mut self, device_id: u64, gpu_count: u16, price: u64) -> TestDevice {
        let device = self.register_unstaked_device(device_id, gpu_count, price);
        self.stake(&device, u64::from(gpu_count) * 200 * TOKEN)
            .expect("stake the minimum");
        device
    }

    pub fn register_device_with(
        &mut self,
        device_id: u64,
        specs: DeviceSpecs,
        price: u64,
    ) -> TestDevice {
        let owner = self.chain.funded_keypair(10);
        let agent = self.chain.funded_keypair(1);
        let ix = registry::register_device(
            owner.pubkey(),
            RegisterDeviceArgs {
                device_id,
                agent: agent.pubkey(),
                specs,
                price_per_gpu_hour: price,
            },
        );
        self.chain.execute(&[ix], &[&owner]);
        let owner_token = self.chain.create_token_account(&owner.pubkey(), &self.usdc);
        let owner_stake_token = self
            .chain
            .create_token_account(&owner.pubkey(), &self.stake_mint);
        TestDevice {
            address: registry::device_address(&owner.pubkey(), device_id),
            owner,
            agent,
            owner_token,
            owner_stake_token,
        }
    }

    pub fn device(&self, device: &TestDevice) -> Device {
        self.chain.anchor_account(&device.address)
    }

    /// The device's agent attests a full epoch of uptime.
    pub fn attest(&mut self, device: &TestDevice, epoch: u64) -> Result<Executed, Failed> {
        let ix = self.attest_ix(device, epoch);
        self.chain.send(&[ix], &[&device.agent])
    }

    pub fn attest_ix(&self, device: &TestDevice, epoch: u64) -> solana_instruction::Instruction {
        registry::attest_uptime(
            device.agent.pubkey(),
            device.address,
            AttestUptimeArgs {
                epoch,
                uptime_minutes: (self.epoch_seconds / 60).max(1) as u16,
                pow_digest: [epoch as u8; 32],
            },
        )
    }

    /// A renter holding `usdc` base units with lease `lease_id` opened at `max_price`.
    pub fn renter(&mut self, usdc: u64, lease_id: u64, max_price: u64) -> Renter {
        let wallet = self.chain.funded_keypair(10);
        let token = self
            .chain
            .create_token_account(&wallet.pubkey(), &self.usdc);
        let authority = self.usdc_authority.insecure_clone();
        self.chain.mint_to(&self.usdc, &authority, &token, usdc);
        let ix = escrow::create_lease(
            wallet.pubkey(),
            self.payment(),
            CreateLeaseArgs {
                lease_id,
                name: format!("cluster {lease_id}"),
                job: String::new(),
                max_price_per_gpu_hour: max_price,
            },
        );
        self.chain.execute(&[ix], &[&wallet]);
        Renter {
            lease_id,
            lease: escrow::lease_address(&wallet.pubkey(), lease_id),
            wallet,
            token,
        }
    }

    pub fn add_hire(
        &mut self,
        renter: &Renter,
        device: &TestDevice,
        epochs: u64,
    ) -> Result<Executed, Failed> {
        let ix = escrow::add_hire(
            renter.wallet.pubkey(),
            renter.lease,
            device.address,
            renter.token,
            self.payment(),
            epochs,
        );
        self.chain.send(&[ix], &[&renter.wallet])
    }

    pub fn payees(&self, renter: &Renter, device: &TestDevice) -> Payees {
        Payees {
            owner_token: device.owner_token,
            treasury_token: self.treasury_token,
            renter_token: renter.token,
        }
    }

    /// `settle_hire` sent by `caller`.
    pub fn settle(
        &mut self,
        caller: &Keypair,
        renter: &Renter,
        device: &TestDevice,
    ) -> Result<Executed, Failed> {
        let ix = self.settle_ix(caller, renter, device, self.payees(renter, device));
        self.chain.send(&[ix], &[caller])
    }

    /// `settle_hire` sent by `caller` with the given payees.
    pub fn settle_ix(
        &self,
        caller: &Keypair,
        renter: &Renter,
        device: &TestDevice,
        payees: Payees,
    ) -> solana_instruction::Instruction {
        let next_slash = self
            .chain
            .account(&staking::stake_address(&device.address))
            .map(|a| {
                gpunet_sdk::decode_account::<StakeAccount>(&a.data)
                    .expect("stake account")
                    .slashes_proposed
            })
            .unwrap_or(0);
        escrow::settle_hire(
            caller.pubkey(),
            renter.lease,
            device.address,
            payees,
            self.payment(),
            next_slash,
        )
    }

    pub fn extend(
        &mut self,
        renter: &Renter,
        device: &TestDevice,
        epochs: u64,
    ) -> Result<Executed, Failed> {
        let ix = escrow::extend_hire(
            renter.wallet.pubkey(),
            renter.lease,
            device.address,
            renter.token,
            self.payment(),
            epochs,
        );
        self.chain.send(&[ix], &[&renter.wallet])
    }

    pub fn release(
        &mut self,
        caller: &Keypair,
        renter: &Renter,
        device: &TestDevice,
    ) -> Result<Executed, Failed> {
        let ix = escrow::release_hire(
            caller.pubkey(),
            renter.wallet.pubkey(),
            renter.lease,
            device.address,
            renter.token,
            self.payment(),
        );
        self.chain.send(&[ix], &[caller])
    }

    pub fn terminate(&mut self, renter: &Renter) -> Result<Executed, Failed> {
        let ix = escrow::terminate_lease(renter.wallet.pubkey(), renter.lease);
        self.chain.send(&[ix], &[&renter.wallet])
    }

    pub fn close_hire(
        &mut self,
        caller: &Keypair,
        renter: &Renter,
        device: &TestDevice,
    ) -> Result<Executed, Failed> {
        let ix = escrow::close_hire(renter.wallet.pubkey(), renter.lease, device.address);
        self.chain.send(&[ix], &[caller])
    }

    pub fn close_lease(&mut self, renter: &Renter) -> Result<Executed, Failed> {
        let ix = escrow::close_lease(
            renter.wallet.pubkey(),
            renter.lease,
            renter.token,
            self.payment(),
        );
        self.chain.send(&[ix], &[&renter.wallet])
    }

    pub fn lease(&self, renter: &Renter) -> Lease {
        self.chain.anchor_account(&renter.lease)
    }

    pub fn hire(&self, renter: &Renter, device: &TestDevice) -> Hire {
        self.chain
            .anchor_account(&escrow::hire_address(&renter.lease, &device.address))
    }

    pub fn vault_balance(&self, renter: &Renter) -> u64 {
        self.chain
            .token_balance(&escrow::vault_address(&renter.lease))
    }
}

impl Default for Market {
    fn default() -> Self {
        Self::new()
    }
}

impl Market {
    /// The agent's usual transaction: attest `epoch` and register its reward weight.
    pub fn attest_and_register(
        &mut self,
        device: &TestDevice,
        epoch: u64,
    ) -> Result<Executed, Failed> {
        let attest = self.attest_ix(device, epoch);
        let register = staking::register_weight(device.agent.pubkey(), device.address, epoch);
        self.chain.send(&[attest, register], &[&device.agent])
    }

    pub fn register_weight(&mut self, device: &TestDevice, epoch: u64) -> Result<Executed, Failed> {
        let ix = staking::register_weight(device.agent.pubkey(), device.address, epoch);
        self.chain.send(&[ix], &[&device.agent])
    }

    /// `claim_rewards` of `epochs` for the device, sent by `caller`.
    pub fn claim(
        &mut self,
        caller: &Keypair,
        device: &TestDevice,
        epochs: &[u64],
    ) -> Result<Executed, Failed> {
        let ix = staking::claim_rewards(
            device.address,
            device.owner_stake_token,
            self.stake_mint(),
            epochs,
        );
        self.chain.send(&[ix], &[caller])
    }

    pub fn epoch_rewards(&self, epoch: u64) -> staking::EpochRewards {
        self.chain
            .anchor_account(&staking::epoch_rewards_address(epoch))
    }

    pub fn slash(&self, device: &TestDevice, slash_id: u64) -> staking::Slash {
        let stake = staking::stake_address(&device.address);
        self.chain
            .anchor_account(&staking::slash_address(&stake, slash_id))
    }

    pub fn stake_vault_balance(&self, device: &TestDevice) -> u64 {
        self.chain
            .token_balance(&staking::stake_vault_address(&device.address))
    }
}

/// A model (10 % royalty, 3 payment units per compute unit) and a consumer's inference
/// session for it (100 USDC deposited out of 1,000), with the key that signs its vouchers.
pub struct InferenceSession {
    pub model_owner: Keypair,
    pub model: Pubkey,
    /// The model owner's USDC account (royalties).
    pub royalty_token: Pubkey,
    pub consumer: Keypair,
    pub consumer_token: Pubkey,
    pub authorizer: Keypair,
    pub session: Pubkey,
}

impl Market {
    /// Registers a model and opens session 7 of a new consumer for it.
    pub fn open_inference_session(&mut self) -> InferenceSession {
        let model_owner = self.chain.funded_keypair(10);
        let ix = proof::register_model(
            model_owner.pubkey(),
            RegisterModelArgs {
                model_id: 1,
                royalty_bps: 1_000,
                price_per_unit: 3,
                metadata_uri: "ipfs://llama".into(),
                metadata_hash: [1; 32],
            },
        );
        self.chain.execute(&[ix], &[&model_owner]);
        let model = proof::model_address(&model_owner.pubkey(), 1);
        let royalty_token = self
            .chain
            .create_token_account(&model_owner.pubkey(), &self.usdc);
        let consumer = self.chain.funded_keypair(10);
        let consumer_token = self
            .chain
            .create_token_account(&consumer.pubkey(), &self.usdc);
        let authority = self.usdc_authority.insecure_clone();
        self.chain
            .mint_to(&self.usdc, &authority, &consumer_token, 1_000 * USDC);
        let authorizer = self.chain.keypair();
        let ix = proof::open_session(
            consumer.pubkey(),
            model,
            consumer_token,
            self.payment(),
            OpenSessionArgs {
                session_id: 7,
                authorizer: authorizer.pubkey(),
                deposit: 100 * USDC,
            },
        );
        self.chain.execute(&[ix], &[&consumer]);
        let session = proof::session_address(&consumer.pubkey(), 7);
        InferenceSession {
            model_owner,
            model,
            royalty_token,
            consumer,
            consumer_token,
            authorizer,
            session,
        }
    }

    /// The terms of `open_inference_session`'s model under the network's inference fee.
    pub fn inference_terms(&self) -> InferenceTerms {
        InferenceTerms {
            price_per_unit: 3,
            royalty_bps: 1_000,
            fee_bps: self.config().fees.inference_fee_bps,
        }
    }

    /// Records of `units` compute units each, timestamped in the last minute.
    pub fn receipt_batch(&self, first_seq: u64, units: &[u32]) -> ReceiptBatch {
        let now = self.chain.clock().unix_timestamp;
        let records = units.iter().zip(1u8..).map(|(cu, n)| (*cu, [n; 32]));
        gpunet_sdk::proof::receipt_batch(first_seq, now - 60, records)
    }
}

impl InferenceSession {
    pub fn payees(&self, m: &Market, device: &TestDevice) -> InferencePayees {
        InferencePayees {
            worker_token: device.owner_token,
            royalty_token: self.royalty_token,
            treasury_token: m.treasury_token,
        }
    }

    /// An ed25519 voucher instruction of `signer`: `device` may have been paid up to
    /// `cumulative` from `session`.
    pub fn voucher(
        &self,
        signer: &Keypair,
        session: Pubkey,
        device: &Pubkey,
        cumulative: u64,
    ) -> solana_instruction::Instruction {
        let message = proof::voucher_message(&session, device, cumulative);
        proof::voucher(
            signer.pubkey(),
            signer.sign_message(&message).into(),
            &session,
            device,
            cumulative,
        )
    }

    /// `submit_inference_receipts` of `device` for this session, signed by `agent`.
    pub fn submit_ix(
        &self,
        m: &Market,
        agent: &Keypair,
        device: &TestDevice,
        batch: ReceiptBatch,
        terms: InferenceTerms,
    ) -> solana_instruction::Instruction {
        proof::submit_inference_receipts(
            agent.pubkey(),
            device.address,
            self.session,
            self.model,
            self.payees(m, device),
            m.payment(),
            batch,
            terms,
        )
    }
}
