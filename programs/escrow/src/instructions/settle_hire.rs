use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};
use registry::state::{Device, NetworkConfig};
use staking::program::Staking;
use staking::state::StakingConfig;

use crate::constants::SLASHER;
use crate::errors::EscrowError;
use crate::events::HireSettled;
use crate::state::{Hire, Lease, Settlement, seeds};
use crate::vault;
use staking::instructions::MissedSlashArgs;

#[event_cpi]
#[derive(Accounts)]
pub struct SettleHire<'info> {
    /// The registry's `NetworkConfig` (owner and discriminator checked by `Account`; the
    /// registry creates exactly one, at `["network"]`).
    pub config: Box<Account<'info, NetworkConfig>>,

    #[account(mut)]
    pub lease: Box<Account<'info, Lease>>,

    #[account(
        mut,
        has_one = lease @ EscrowError::WrongAccount,
        has_one = device @ EscrowError::WrongAccount,
    )]
    pub hire: Box<Account<'info, Hire>>,

    pub device: Box<Account<'info, Device>>,

    #[account(mut, address = lease.vault @ EscrowError::WrongAccount)]
    pub vault: Box<InterfaceAccount<'info, TokenAccount>>,

    /// Any token account of the device owner in the payment mint.
    #[account(
        mut,
        token::mint = payment_mint,
        token::authority = hire.owner,
        token::token_program = token_program,
    )]
    pub owner_token: Box<InterfaceAccount<'info, TokenAccount>>,

    /// Any token account of the network treasury in the payment mint.
    #[account(
        mut,
        token::mint = payment_mint,
        token::authority = config.treasury,
        token::token_program = token_program,
    )]
    pub treasury_token: Box<InterfaceAccount<'info, TokenAccount>>,

    /// Any token account of the renter in the payment mint.
    #[account(
        mut,
        token::mint = payment_mint,
        token::authority = lease.renter,
        token::token_program = token_program,
    )]
    pub renter_token: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(address = lease.payment_mint @ EscrowError::WrongPaymentMint)]
    pub payment_mint: Box<InterfaceAccount<'info, Mint>>,

    pub token_program: Interface<'info, TokenInterface>,

    /// CHECK: the staking program's config; read (owner- and discriminator-checked) only
    /// when epochs were missed, to price the slash, and passed on to the staking program.
    pub staking_config: UncheckedAccount<'info>,

    /// CHECK: the device's stake account; the staking program checks that it belongs to
    /// `hire.device` when a slash is proposed, otherwise unused.
    #[account(mut)]
    pub stake: UncheckedAccount<'info>,

    /// CHECK: the next slash PDA of the stake (`["slash", stake, slashes_proposed]`); the
    /// staking program creates and checks it when epochs were missed, otherwise unused.
    #[account(mut)]
    pub slash: UncheckedAccount<'info>,

    /// CHECK: this program's `["slasher"]` PDA, which signs the slash proposal.
    #[account(address = Pubkey::new_from_array(SLASHER.0))]
    pub slasher: UncheckedAccount<'info>,

    /// Pays the rent of a slash record when epochs were missed.
    #[account(mut)]
    pub payer: Signer<'info>,

    /// CHECK: the staking program's event authority (checked by the staking program).
    pub staking_event_authority: UncheckedAccount<'info>,

    pub staking_program: Program<'info, Staking>,
    pub system_program: Program<'info, System>,
}

/// Settles the hire's final epochs (at most `MAX_SETTLE_EPOCHS` per call): attested ones
/// pay the owner minus the supplier fee, missed ones refund the renter and are proposed for
/// slashing to the staking program. Anyone may call.
pub fn handler(ctx: Context<SettleHire>) -> Result<()> {
    let current = ctx.accounts.config.epoch_at(Clock::get()?.unix_timestamp)?;
    let s = ctx
        .accounts
        .hire
        .settlement(&ctx.accounts.device.uptime, current)?;
    require!(!s.is_empty(), EscrowError::NothingToSettle);

    let a = &ctx.accounts;
    let vault = a.vault.to_account_info();
    let token_program = a.token_program.to_account_info();
    for (to, amount) in [
        (a.owner_token.to_account_info(), s.to_owner),
        (a.treasury_token.to_account_info(), s.to_treasury),
        (a.renter_token.to_account_info(), s.to_renter),
    ] {
        vault::pay_out(
            &a.lease,
            &vault,
            &to,
            &a.payment_mint,
            &token_program,
            amount,
        )?;
    }

    if s.missed > 0 {
        propose_slash(&ctx, &s)?;
    }

    let hire = &mut ctx.accounts.hire;
    hire.settled_through = s.to_epoch;
    hire.epochs_paid += s.attested;
    hire.epochs_missed += s.missed;
    hire.paid_to_owner = hire
        .paid_to_owner
        .checked_add(s.to_owner)
        .ok_or(EscrowError::Overflow)?;
    hire.fees = hire
        .fees
        .checked_add(s.to_treasury)
        .ok_or(EscrowError::Overflow)?;
    hire.refunded = hire
        .refunded
        .checked_add(s.to_renter)
        .ok_or(EscrowError::Overflow)?;
    let totals = &mut ctx.accounts.lease.totals;
    // Bounded by the deposits, which are u64.
    totals.paid_to_owners += s.to_owner;
    totals.fees += s.to_treasury;
    totals.refunded += s.to_renter;

    let (lease, hire_key, device) = (hire.lease, hire.key(), hire.device);
    emit_cpi!(HireSettled {
        lease,
        hire: hire_key,
        device,
        from_epoch: s.from_epoch,
        to_epoch: s.to_epoch,
        attested: s.attested,
        missed: s.missed,
        missed_mask: s.missed_mask,
        to_owner: s.to_owner,
        to_treasury: s.to_treasury,
        to_renter: s.to_renter,
    });
    Ok(())
}

/// Asks the staking program to slash the device for the missed epochs, signed by the
/// escrow's slasher PDA; the renter is the beneficiary and the hire the evidence.
fn propose_slash(ctx: &Context<SettleHire>, s: &Settlement) -> Result<()> {
    let a = &ctx.accounts;
    require_keys_eq!(
        *a.staking_config.owner,
        staking::ID,
        EscrowError::WrongAccount
    );
    let staking_config = StakingConfig::try_deserialize(&mut &a.staking_config.data.borrow()[..])?;
    let amount = staking_config.missed_slash(&a.device.specs, s.missed)?;
    let signer: &[&[u8]] = &[seeds::SLASHER, &[SLASHER.1]];
    staking::cpi::propose_missed_slash(
        CpiContext::new_with_signer(
            staking::ID,
            staking::cpi::accounts::ProposeMissedSlash {
                config: a.staking_config.to_account_info(),
                escrow_authority: a.slasher.to_account_info(),
                stake: a.stake.to_account_info(),
                slash: a.slash.to_account_info(),
                payer: a.payer.to_account_info(),
                system_program: a.system_program.to_account_info(),
                event_authority: a.staking_event_authority.to_account_info(),
                program: a.staking_program.to_account_info(),
            },
            &[signer],
        ),
        MissedSlashArgs {
            device: a.hire.device,
            missed_epochs: s.missed,
            amount,
            evidence: a.hire.key().to_bytes(),
            beneficiary: a.lease.renter,
        },
    )
}
