use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};
use registry::state::NetworkConfig;

use crate::errors::EscrowError;
use crate::events::LeaseCreated;
use crate::state::{Lease, LeaseTotals, seeds, validate_job, validate_name};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct CreateLeaseArgs {
    /// Chosen by the renter; one renter can run many leases.
    pub lease_id: u64,
    pub name: String,
    /// `cmd:<shell command>`, `image:<container image reference>`, or empty for the
    /// worker agent's built-in benchmark workload; at most `MAX_JOB_LEN` bytes.
    pub job: String,
    pub max_price_per_gpu_hour: u64,
}

#[event_cpi]
#[derive(Accounts)]
#[instruction(args: CreateLeaseArgs)]
pub struct CreateLease<'info> {
    /// The registry's `NetworkConfig` (owner and discriminator checked by `Account`; the
    /// registry creates exactly one, at `["network"]`).
    pub config: Box<Account<'info, NetworkConfig>>,

    #[account(
        init,
        payer = renter,
        space = 8 + Lease::INIT_SPACE,
        seeds = [seeds::LEASE, renter.key().as_ref(), &args.lease_id.to_le_bytes()],
        bump,
    )]
    pub lease: Box<Account<'info, Lease>>,

    #[account(
        init,
        payer = renter,
        seeds = [seeds::VAULT, lease.key().as_ref()],
        bump,
        token::mint = payment_mint,
        token::authority = lease,
        token::token_program = token_program,
    )]
    pub vault: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(
        address = config.payment_mint @ EscrowError::WrongPaymentMint,
        mint::token_program = token_program,
    )]
    pub payment_mint: Box<InterfaceAccount<'info, Mint>>,

    #[account(mut)]
    pub renter: Signer<'info>,

    pub token_program: Interface<'info, TokenInterface>,
    pub system_program: Program<'info, System>,
}

pub fn handler(ctx: Context<CreateLease>, args: CreateLeaseArgs) -> Result<()> {
    require!(!ctx.accounts.config.paused, EscrowError::NetworkPaused);
    validate_name(&args.name)?;
    validate_job(&args.job)?;
    require!(
        args.max_price_per_gpu_hour > 0,
        EscrowError::InvalidMaxPrice
    );
    let now = Clock::get()?.unix_timestamp;
    let renter = ctx.accounts.renter.key();
    let vault = ctx.accounts.vault.key();
    let payment_mint = ctx.accounts.payment_mint.key();
    let lease = &mut ctx.accounts.lease;
    lease.set_inner(Lease {
        version: Lease::VERSION,
        renter,
        lease_id: args.lease_id,
        name: args.name.clone(),
        job: args.job.clone(),
        payment_mint,
        vault,
        max_price_per_gpu_hour: args.max_price_per_gpu_hour,
        created_at: now,
        terminated_at_epoch: None,
        hires: 0,
        active_hires: 0,
        totals: LeaseTotals::default(),
        bump: ctx.bumps.lease,
        vault_bump: ctx.bumps.vault,
        reserved: [0; 32],
    });
    let lease_key = lease.key();
    emit_cpi!(LeaseCreated {
        lease: lease_key,
        renter,
        lease_id: args.lease_id,
        name: args.name,
        job: args.job,
        payment_mint,
        vault,
        max_price_per_gpu_hour: args.max_price_per_gpu_hour,
        created_at: now,
    });
    Ok(())
}
