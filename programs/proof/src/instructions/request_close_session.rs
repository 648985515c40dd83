use anchor_lang::prelude::*;
use registry::state::NetworkConfig;

use crate::errors::ProofError;
use crate::events::SessionCloseRequested;
use crate::state::Session;

#[event_cpi]
#[derive(Accounts)]
pub struct RequestCloseSession<'info> {
    pub network: Box<Account<'info, NetworkConfig>>,

    #[account(mut, has_one = consumer @ ProofError::NotConsumer)]
    pub session: Box<Account<'info, Session>>,

    pub consumer: Signer<'info>,
}

/// Gives notice: the session can be closed one epoch from now, so that workers can still
/// submit the receipts the consumer's vouchers already cover.
pub fn handler(ctx: Context<RequestCloseSession>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let notice = i64::from(ctx.accounts.network.epoch_seconds);
    let session = &mut ctx.accounts.session;
    require!(session.closing_at.is_none(), ProofError::SessionClosing);
    let closing_at = now + notice;
    session.closing_at = Some(closing_at);
    let key = session.key();
    emit_cpi!(SessionCloseRequested {
        session: key,
        closing_at
    });
    Ok(())
}
