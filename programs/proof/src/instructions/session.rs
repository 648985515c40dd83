use anchor_lang::prelude::*;
use anchor_spl::token_interface::{self, CloseAccount, Mint, TokenAccount, TokenInterface};
use registry::state::NetworkConfig;
use registry::tokens::transfer;

use crate::errors::ProofError;
use crate::events::{SessionCloseRequested, SessionClosed, SessionOpened};
use crate::state::{Model, Session, seeds};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct OpenSessionArgs {
    pub session_id: u64,
    /// The key whose vouchers authorise payments from this session.
    pub authorizer: Pubkey,
    pub deposit: u64,
}

#[event_cpi]
#[derive(Accounts)]
#[instruction(args: OpenSessionArgs)]
pub struct OpenSession<'info> {
    pub network: Box<Account<'info, NetworkConfig>>,

    pub model: Box<Account<'info, Model>>,

    #[account(
        init,
        payer = consumer,
        space = 8 + Session::INIT_SPACE,
        seeds = [seeds::SESSION, consumer.key().as_ref(), &args.session_id.to_le_bytes()],
        bump,
    )]
    pub session: Box<Account<'info, Session>>,

    #[account(
        init,
        payer = consumer,
        seeds = [seeds::SESSION_VAULT, session.key().as_ref()],
        bump,
        token::mint = payment_mint,
        token::authority = session,
        token::token_program = token_program,
    )]
    pub vault: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(
        mut,
        token::mint = payment_mint,
        token::authority = consumer,
        token::token_program = token_program,
    )]
    pub consumer_token: Box<InterfaceAccount<'info, TokenAccount>>,

    #[account(address = network.payment_mint @ ProofError::WrongAccount)]
    pub payment_mint: Box<InterfaceAccount<'info, Mint>>,

    #[account(mut)]
    pub consumer: Signer<'info>,

    pub token_program: Interface<'info, TokenInterface>,
    pub system_program: Program<'info, System>,
}

/// Opens a prepaid inference balance for one model, depositing `deposit`.
pub fn open_handler(ctx: Context<OpenSession>, args: OpenSessionArgs) -> Result<()> {
    require!(args.deposit > 0, ProofError::ZeroAmount);
    require!(
        args.authorizer != Pubkey::default(),
        ProofError::InvalidAuthorizer
    );
    let a = &ctx.accounts;
    transfer(
        &a.token_program.to_account_info(),
        &a.consumer_token.to_account_info(),
        &a.vault.to_account_info(),
        &a.consumer.to_account_info(),
        &a.payment_mint,
        args.deposit,
        &[],
    )?;
    let (consumer, model, vault, mint) = (
        a.consumer.key(),
        a.model.key(),
        a.vault.key(),
        a.payment_mint.key(),
    );
    let session = &mut ctx.accounts.session;
    session.set_inner(Session {
        consumer,
        session_id: args.session_id,
        model,
        authorizer: args.authorizer,
        payment_mint: mint,
        vault,
        deposited: args.deposit,
        spent: 0,
        closing_at: None,
        bump: ctx.bumps.session,
        vault_bump: ctx.bumps.vault,
    });
    let key = session.key();
    emit_cpi!(SessionOpened {
        session: key,
        consumer,
        model,
        authorizer: args.authorizer,
        deposit: args.deposit,
    });
    Ok(())
}

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
pub fn request_close_handler(ctx: Context<RequestCloseSession>) -> Result<()> {
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
pub fn close_handler(ctx: Context<CloseSession>) -> Result<()> {
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
