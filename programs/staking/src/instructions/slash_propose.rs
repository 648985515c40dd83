use anchor_lang::prelude::*;
use registry::state::NetworkConfig;
use registry::state::attestation::count_verifier_signatures;

use crate::errors::StakingError;
use crate::events::SlashProposed;
use crate::state::{Slash, SlashReason, SlashStatus, StakeAccount, StakingConfig, seeds};

pub const SLASH_DOMAIN: &[u8; 15] = b"gpunet:slash:v1";
pub const SLASH_MESSAGE_LEN: usize = 15 + 32 + 8 + 8 + 32;

/// What the verifiers sign to propose a fraud slash of `amount` against `stake`; the slash
/// id makes every proposal's message unique, so signatures cannot be replayed.
pub fn fraud_slash_message(
    stake: &Pubkey,
    slash_id: u64,
    amount: u64,
    evidence: &[u8; 32],
) -> [u8; SLASH_MESSAGE_LEN] {
    let mut m = [0u8; SLASH_MESSAGE_LEN];
    m[..15].copy_from_slice(SLASH_DOMAIN);
    m[15..47].copy_from_slice(stake.as_ref());
    m[47..55].copy_from_slice(&slash_id.to_le_bytes());
    m[55..63].copy_from_slice(&amount.to_le_bytes());
    m[63..].copy_from_slice(evidence);
    m
}

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
pub fn missed_handler(ctx: Context<ProposeMissedSlash>, args: MissedSlashArgs) -> Result<()> {
    let amount = args.amount;
    let reason = SlashReason::MissedEpochs {
        count: args.missed_epochs,
    };
    let window = ctx.accounts.config.challenge_window_seconds;
    let bump = ctx.bumps.slash;
    let event = open(
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

#[event_cpi]
#[derive(Accounts)]
pub struct ProposeFraudSlash<'info> {
    pub network: Box<Account<'info, NetworkConfig>>,

    pub config: Box<Account<'info, StakingConfig>>,

    #[account(mut)]
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

    /// CHECK: the instructions sysvar (address checked when signatures are read).
    pub instructions: UncheckedAccount<'info>,

    pub system_program: Program<'info, System>,
}

/// Proposes a fraud slash backed by a quorum of verifier signatures over
/// `fraud_slash_message(stake, slash_id, amount, evidence)` in ed25519 instructions of the
/// same transaction. All of it goes to the treasury.
pub fn fraud_handler(
    ctx: Context<ProposeFraudSlash>,
    amount: u64,
    evidence: [u8; 32],
) -> Result<()> {
    let network = &ctx.accounts.network;
    require!(network.verifier_quorum > 0, StakingError::NoVerifiers);
    require!(amount > 0, StakingError::ZeroAmount);
    let stake = &ctx.accounts.stake;
    let message = fraud_slash_message(&stake.key(), stake.slashes_proposed, amount, &evidence);
    let signed = count_verifier_signatures(
        &ctx.accounts.instructions.to_account_info(),
        &network.verifiers,
        &message,
    )?;
    require!(
        signed >= usize::from(network.verifier_quorum),
        StakingError::VerifierQuorumNotMet
    );
    let window = ctx.accounts.config.challenge_window_seconds;
    let bump = ctx.bumps.slash;
    let event = open(
        &mut ctx.accounts.stake,
        &mut ctx.accounts.slash,
        bump,
        amount,
        SlashReason::Fraud,
        evidence,
        None,
        window,
    )?;
    emit_cpi!(event);
    Ok(())
}

/// Records a pending slash against the stake; withdrawals wait until it is resolved.
#[allow(clippy::too_many_arguments)]
fn open(
    stake: &mut Account<StakeAccount>,
    slash: &mut Account<Slash>,
    bump: u8,
    amount: u64,
    reason: SlashReason,
    evidence: [u8; 32],
    beneficiary: Option<Pubkey>,
    window: u32,
) -> Result<SlashProposed> {
    let now = Clock::get()?.unix_timestamp;
    let slash_id = stake.slashes_proposed;
    slash.set_inner(Slash {
        stake: stake.key(),
        device: stake.device,
        slash_id,
        amount,
        reason,
        evidence,
        beneficiary,
        proposed_at: now,
        status: SlashStatus::Pending,
        taken: 0,
        bump,
    });
    stake.slashes_proposed += 1;
    stake.pending_slashes += 1;
    stake.pending_slash_amount = stake
        .pending_slash_amount
        .checked_add(amount)
        .ok_or(StakingError::Overflow)?;
    Ok(SlashProposed {
        slash: slash.key(),
        device: stake.device,
        slash_id,
        amount,
        reason,
        evidence,
        beneficiary,
        challenge_ends_at: now + i64::from(window),
    })
}
