//! A ready network for device and lease tests: registry and escrow deployed, the network
//! initialised with USDC, a treasury token account, and helpers that register devices,
//! attest epochs and run leases through the sdk's instruction builders.

use gpunet_sdk::escrow::{self, CreateLeaseArgs, Hire, Lease, Payees, Payment};
use gpunet_sdk::registry::{
    self, AttestUptimeArgs, Device, DeviceSpecs, FeeSchedule, InitializeNetworkArgs, NetworkConfig,
    RegisterDeviceArgs,
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

pub struct Market {
    pub chain: Chain,
    pub admin: Keypair,
    pub usdc: Pubkey,
    pub usdc_authority: Keypair,
    pub treasury: Keypair,
    pub treasury_token: Pubkey,
    pub epoch_seconds: u32,
}

/// A registered device with its keys and the owner's USDC account.
pub struct TestDevice {
    pub owner: Keypair,
    pub agent: Keypair,
    pub address: Pubkey,
    pub owner_token: Pubkey,
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
            epoch_seconds,
        }
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

    pub fn register_device(&mut self, device_id: u64, gpu_count: u16, price: u64) -> TestDevice {
        let owner = self.chain.funded_keypair(10);
        let agent = self.chain.funded_keypair(1);
        let ix = registry::register_device(
            owner.pubkey(),
            RegisterDeviceArgs {
                device_id,
                agent: agent.pubkey(),
                specs: specs(gpu_count),
                price_per_gpu_hour: price,
            },
        );
        self.chain.execute(&[ix], &[&owner]);
        let owner_token = self.chain.create_token_account(&owner.pubkey(), &self.usdc);
        TestDevice {
            address: registry::device_address(&owner.pubkey(), device_id),
            owner,
            agent,
            owner_token,
        }
    }

    pub fn device(&self, device: &TestDevice) -> Device {
        self.chain.anchor_account(&device.address)
    }

    pub fn attest(&mut self, device: &TestDevice, epoch: u64) -> Result<Executed, Failed> {
        let ix = registry::attest_uptime(
            device.agent.pubkey(),
            device.address,
            AttestUptimeArgs {
                epoch,
                uptime_minutes: (self.epoch_seconds / 60).max(1) as u16,
                pow_digest: [epoch as u8; 32],
            },
        );
        self.chain.send(&[ix], &[&device.agent])
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
        let ix = escrow::settle_hire(
            renter.lease,
            device.address,
            self.payees(renter, device),
            self.payment(),
        );
        self.chain.send(&[ix], &[caller])
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
