use anchor_lang::prelude::*;

use crate::errors::StakingError;
use crate::state::{Slash, SlashReason, StakeAccount, StakingConfig, seeds};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct MissedSlashArgs {
    /// The device whose stake is slashed (must be `stake.device`).
    pub device: Pubkey,
    pub missed_epochs: u64,
    /// `StakingConfig::missed_slash(specs, missed_epochs)`, computed by escrow from this
    /// config and the device it just settled (escrow is trusted with it: only its PDA signs).
    pub amount: u64,
    /// The hire the epochs were missed in.
    pub evidence: [u8; 32],
    /// The renter, who receives the renter share.
    pub beneficiary: Pubkey,
}

#[event_cpi]
#[derive(Accounts)]
#[instruction(args: MissedSlashArgs)]
pub struct ProposeMissedSlash<'info> {
    pub config: Box<Account<'info, StakingConfig>>,

    /// The escrow PDA registered in the config; only escrow settlement can sign for it.
    #[account(address = config.escrow_authority @ StakingError::NotEscrowAuthority)]
    pub escrow_authority: Signer<'info>,

    #[account(mut, constraint = stake.device == args.device @ StakingError::WrongAccount)]
    pub stake: Box<Account<'info, StakeAccount>>,

    #[account(
        init,
        payer = payer,
        space = 8 + Slash::INIT_SPACE,
        seeds = [seeds::SLASH, stake.key().as_ref(), &stake.slashes_proposed.to_le_bytes()],
        bump,
    )]
    pub slash: Box<Account<'info, Slash>>,

    #[account(mut)]
    pub payer: Signer<'info>,

    pub system_program: Program<'info, System>,
}

/// Proposes the slash for `missed_epochs` hired epochs the device did not attest
/// (`missed_epoch_bps` of its minimum stake each). Called by escrow settlement through CPI.
pub fn handler(ctx: Context<ProposeMissedSlash>, args: MissedSlashArgs) -> Result<()> {
    let amount = args.amount;
    let reason = SlashReason::MissedEpochs {
        count: args.missed_epochs,
    };
    let window = ctx.accounts.config.challenge_window_seconds;
    let bump = ctx.bumps.slash;
    let event = Slash::open(
        &mut ctx.accounts.stake,
        &mut ctx.accounts.slash,
        bump,
        amount,
        reason,
        args.evidence,
        Some(args.beneficiary),
        window,
    )?;
    emit_cpi!(event);
    Ok(())
}
