//! Escrow program: ids, PDAs, instruction builders and the read-only settlement views.

use anchor_lang::{InstructionData, ToAccountMetas};
pub use escrow::constants::{MAX_JOB_LEN, MAX_SETTLE_EPOCHS};
pub use escrow::errors::EscrowError;
pub use escrow::events::*;
pub use escrow::instructions::CreateLeaseArgs;
use escrow::state::seeds;
pub use escrow::state::{
    DeviceLock, EpochTerms, Hire, JOB_SCHEMES, Lease, LeaseTotals, Settlement,
};
use registry::state::{Device, NetworkConfig};

use crate::{Instruction, Pubkey};

pub const PROGRAM_ID: Pubkey = escrow::ID;

/// Where a `Hire` account's `lease` and `device` keys start in its data (discriminator,
/// layout version, then `lease`, `device`): what `getProgramAccounts` and Yellowstone
/// filters compare against.
pub const HIRE_LEASE_OFFSET: usize = 8 + 1;
pub const HIRE_DEVICE_OFFSET: usize = HIRE_LEASE_OFFSET + 32;

/// `["lease", renter, lease_id]`.
pub fn lease_address(renter: &Pubkey, lease_id: u64) -> Pubkey {
    find(&[seeds::LEASE, renter.as_ref(), &lease_id.to_le_bytes()])
}

/// `["vault", lease]`: the lease's token account.
pub fn vault_address(lease: &Pubkey) -> Pubkey {
    find(&[seeds::VAULT, lease.as_ref()])
}

/// `["hire", lease, device]`.
pub fn hire_address(lease: &Pubkey, device: &Pubkey) -> Pubkey {
    find(&[seeds::HIRE, lease.as_ref(), device.as_ref()])
}

/// `["lock", device]`: exists while the device is hired.
pub fn lock_address(device: &Pubkey) -> Pubkey {
    find(&[seeds::LOCK, device.as_ref()])
}

/// The PDA that signs the escrow's `emit_cpi!` events.
pub fn event_authority() -> Pubkey {
    find(&[b"__event_authority"])
}

fn find(seeds: &[&[u8]]) -> Pubkey {
    crate::pda(&PROGRAM_ID, seeds)
}

fn instruction(accounts: impl ToAccountMetas, data: impl InstructionData) -> Instruction {
    crate::anchor_instruction(PROGRAM_ID, accounts, data)
}

/// The token accounts and programs every money-moving escrow instruction needs.
#[derive(Clone, Copy, Debug)]
pub struct Payment {
    pub mint: Pubkey,
    /// SPL Token or Token-2022: the program that owns `mint`.
    pub token_program: Pubkey,
}

/// `create_lease`, signed by the renter. `args.job` is `cmd:<shell command>`,
/// `image:<container image reference>` or empty (the worker agent's benchmark workload).
pub fn create_lease(renter: Pubkey, payment: Payment, args: CreateLeaseArgs) -> Instruction {
    let lease = lease_address(&renter, args.lease_id);
    let accounts = escrow::accounts::CreateLease {
        config: crate::registry::config_address(),
        lease,
        vault: vault_address(&lease),
        payment_mint: payment.mint,
        renter,
        token_program: payment.token_program,
        system_program: solana_sdk_ids::system_program::ID,
        event_authority: event_authority(),
        program: PROGRAM_ID,
    };
    instruction(accounts, escrow::instruction::CreateLease { args })
}

/// The escrow's `["slasher"]` PDA: register it as `escrow_authority` in the staking config.
pub fn slasher_address() -> Pubkey {
    Pubkey::new_from_array(escrow::constants::SLASHER.0)
}

/// `add_hire` of `device` for `epochs`, signed by the renter, paying from `renter_token`.
pub fn add_hire(
    renter: Pubkey,
    lease: Pubkey,
    device: Pubkey,
    renter_token: Pubkey,
    payment: Payment,
    epochs: u64,
) -> Instruction {
    let accounts = escrow::accounts::AddHire {
        config: crate::registry::config_address(),
        lease,
        device,
        staking_config: crate::staking::config_address(),
        stake: crate::staking::stake_address(&device),
        hire: hire_address(&lease, &device),
        lock: lock_address(&device),
        vault: vault_address(&lease),
        renter_token,
        payment_mint: payment.mint,
        renter,
        token_program: payment.token_program,
        system_program: solana_sdk_ids::system_program::ID,
        event_authority: event_authority(),
        program: PROGRAM_ID,
    };
    instruction(accounts, escrow::instruction::AddHire { epochs })
}

/// Where a settlement pays: the device owner's, the treasury's and the renter's token
/// accounts in the payment mint.
#[derive(Clone, Copy, Debug)]
pub struct Payees {
    pub owner_token: Pubkey,
    pub treasury_token: Pubkey,
    pub renter_token: Pubkey,
}

/// `settle_hire`, sent by anyone: `payer` pays the rent of the slash record when epochs
/// were missed; `next_slash_id` is the device stake's `slashes_proposed`.
pub fn settle_hire(
    payer: Pubkey,
    lease: Pubkey,
    device: Pubkey,
    payees: Payees,
    payment: Payment,
    next_slash_id: u64,
) -> Instruction {
    let stake = crate::staking::stake_address(&device);
    let accounts = escrow::accounts::SettleHire {
        config: crate::registry::config_address(),
        lease,
        hire: hire_address(&lease, &device),
        device,
        vault: vault_address(&lease),
        owner_token: payees.owner_token,
        treasury_token: payees.treasury_token,
        renter_token: payees.renter_token,
        payment_mint: payment.mint,
        token_program: payment.token_program,
        staking_config: crate::staking::config_address(),
        stake,
        slash: crate::staking::slash_address(&stake, next_slash_id),
        slasher: slasher_address(),
        payer,
        staking_event_authority: crate::staking::event_authority(),
        staking_program: crate::staking::PROGRAM_ID,
        system_program: solana_sdk_ids::system_program::ID,
        event_authority: event_authority(),
        program: PROGRAM_ID,
    };
    instruction(accounts, escrow::instruction::SettleHire {})
}

/// `extend_hire` by `epochs`, signed by the renter.
pub fn extend_hire(
    renter: Pubkey,
    lease: Pubkey,
    device: Pubkey,
    renter_token: Pubkey,
    payment: Payment,
    epochs: u64,
) -> Instruction {
    let accounts = escrow::accounts::ExtendHire {
        config: crate::registry::config_address(),
        lease,
        hire: hire_address(&lease, &device),
        device,
        vault: vault_address(&lease),
        renter_token,
        payment_mint: payment.mint,
        renter,
        token_program: payment.token_program,
        event_authority: event_authority(),
        program: PROGRAM_ID,
    };
    instruction(accounts, escrow::instruction::ExtendHire { epochs })
}

/// `release_hire`, signed by `caller` (the renter, or anyone once allowed).
pub fn release_hire(
    caller: Pubkey,
    renter: Pubkey,
    lease: Pubkey,
    device: Pubkey,
    renter_token: Pubkey,
    payment: Payment,
) -> Instruction {
    let accounts = escrow::accounts::ReleaseHire {
        config: crate::registry::config_address(),
        lease,
        hire: hire_address(&lease, &device),
        lock: lock_address(&device),
        vault: vault_address(&lease),
        renter_token,
        renter,
        payment_mint: payment.mint,
        caller,
        token_program: payment.token_program,
        event_authority: event_authority(),
        program: PROGRAM_ID,
    };
    instruction(accounts, escrow::instruction::ReleaseHire {})
}

/// `terminate_lease`, signed by the renter.
pub fn terminate_lease(renter: Pubkey, lease: Pubkey) -> Instruction {
    let accounts = escrow::accounts::TerminateLease {
        config: crate::registry::config_address(),
        lease,
        renter,
        event_authority: event_authority(),
        program: PROGRAM_ID,
    };
    instruction(accounts, escrow::instruction::TerminateLease {})
}

/// `close_hire` (anyone may send it; the rent goes to the renter).
pub fn close_hire(renter: Pubkey, lease: Pubkey, device: Pubkey) -> Instruction {
    let accounts = escrow::accounts::CloseHire {
        lease,
        hire: hire_address(&lease, &device),
        renter,
        event_authority: event_authority(),
        program: PROGRAM_ID,
    };
    instruction(accounts, escrow::instruction::CloseHire {})
}

/// `close_lease`, signed by the renter.
pub fn close_lease(
    renter: Pubkey,
    lease: Pubkey,
    renter_token: Pubkey,
    payment: Payment,
) -> Instruction {
    let accounts = escrow::accounts::CloseLease {
        lease,
        vault: vault_address(&lease),
        renter_token,
        payment_mint: payment.mint,
        renter,
        token_program: payment.token_program,
        event_authority: event_authority(),
        program: PROGRAM_ID,
    };
    instruction(accounts, escrow::instruction::CloseLease {})
}

/// "Settleable now": what `settle_hire` would pay, charge and refund at unix time `now`
/// (the program's own computation, run on decoded accounts).
pub fn settleable_now(
    config: &NetworkConfig,
    hire: &Hire,
    device: &Device,
    now: i64,
) -> anchor_lang::Result<Settlement> {
    hire.settlement(&device.uptime, config.epoch_at(now)?)
}

/// "Refundable now": what releasing the hire at unix time `now` would refund at once.
pub fn refundable_now(
    config: &NetworkConfig,
    lease: &Lease,
    hire: &Hire,
    now: i64,
) -> anchor_lang::Result<u64> {
    hire.refundable(config.epoch_at(now)?, lease.terminated_at_epoch)
}

#[cfg(test)]
mod tests {
    use super::*;
    use anchor_lang::AccountSerialize;

    #[test]
    fn the_hire_filter_offsets_point_at_its_lease_and_device() {
        let (lease, device) = (Pubkey::new_unique(), Pubkey::new_unique());
        let hire = Hire {
            version: Hire::VERSION,
            lease,
            device,
            owner: Pubkey::new_unique(),
            gpu_count: 1,
            price_per_gpu_hour: 0,
            terms: EpochTerms {
                price: 0,
                renter_fee: 0,
                supplier_fee: 0,
            },
            start_epoch: 0,
            end_epoch: 0,
            settled_through: 0,
            released: false,
            epochs_paid: 0,
            epochs_missed: 0,
            paid_to_owner: 0,
            fees: 0,
            refunded: 0,
            bump: 0,
            reserved: [0; 32],
        };
        let mut data = Vec::new();
        hire.try_serialize(&mut data).unwrap();
        assert_eq!(&data[HIRE_LEASE_OFFSET..][..32], lease.as_ref());
        assert_eq!(&data[HIRE_DEVICE_OFFSET..][..32], device.as_ref());
    }
}
