use anchor_lang::prelude::*;
use anchor_spl::token_interface::{self, CloseAccount, Mint, TokenAccount, TokenInterface};
use common::tokens::transfer;

use crate::errors::ProofError;
use crate::events::SessionClosed;
use crate::state::Session;

#[event_cpi]
#[derive(Accounts)]
pub struct CloseSession<'info> {
    #[account(mut, close = consumer, has_one = consumer @ ProofError::NotConsumer, has_one = vault @ ProofError::WrongAccount)]
    pub session: Box<Account<'info, Session>>,

    #[account(mut)]
    pub vault: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(
        mut,
        token::mint = payment_mint,
        token::authority = consumer,
        token::token_program = token_program,
    )]
    pub consumer_token: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(address = session.payment_mint @ ProofError::WrongAccount)]
    pub payment_mint: Box<InterfaceAccount<'info, Mint>>,

    #[account(mut)]
    pub consumer: Signer<'info>,

    pub token_program: Interface<'info, TokenInterface>,
}

/// After the notice, returns what is left to the consumer and closes the session.
pub fn handler(ctx: Context<CloseSession>) -> Result<()> {
    let now = Clock::get()?.unix_timestamp;
    let a = &ctx.accounts;
    let closing_at = a.session.closing_at.ok_or(ProofError::CloseNotRequested)?;
    require!(now >= closing_at, ProofError::CloseNoticePending);
    let refunded = a.vault.amount;
    let authority = a.session.to_account_info();
    a.session.with_signer(|signer| -> Result<()> {
        transfer(
            &a.token_program.to_account_info(),
            &a.vault.to_account_info(),
            &a.consumer_token.to_account_info(),
            &authority,
            &a.payment_mint,
            refunded,
            signer,
        )?;
        token_interface::close_account(CpiContext::new_with_signer(
            a.token_program.key(),
            CloseAccount {
                account: a.vault.to_account_info(),
                destination: a.consumer.to_account_info(),
                authority: authority.clone(),
            },
            signer,
        ))
    })?;
    let key = a.session.key();
    emit_cpi!(SessionClosed {
        session: key,
        refunded
    });
    Ok(())
}
