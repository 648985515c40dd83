use anchor_lang::prelude::*;
use common::ed25519::count_signers;
use registry::state::NetworkConfig;

use crate::errors::StakingError;
use crate::state::{Slash, SlashReason, StakeAccount, StakingConfig, seeds};

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
pub fn handler(ctx: Context<ProposeFraudSlash>, amount: u64, evidence: [u8; 32]) -> Result<()> {
    let network = &ctx.accounts.network;
    require!(network.verifier_quorum > 0, StakingError::NoVerifiers);
    require!(amount > 0, StakingError::ZeroAmount);
    let stake = &ctx.accounts.stake;
    let message = fraud_slash_message(&stake.key(), stake.slashes_proposed, amount, &evidence);
    let signed = count_signers(
        &ctx.accounts.instructions.to_account_info(),
        &network.verifiers,
        &message,
    )
    .map_err(StakingError::from)?;
    require!(
        signed >= usize::from(network.verifier_quorum),
        StakingError::VerifierQuorumNotMet
    );
    let window = ctx.accounts.config.challenge_window_seconds;
    let bump = ctx.bumps.slash;
    let event = Slash::open(
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
