use anchor_lang::prelude::*;
use anchor_spl::token_interface::{Mint, TokenAccount, TokenInterface};
use common::tokens::transfer;
use registry::state::NetworkConfig;

use crate::errors::ProofError;
use crate::events::SessionOpened;
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
pub fn handler(ctx: Context<OpenSession>, args: OpenSessionArgs) -> Result<()> {
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
        version: Session::VERSION,
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
        reserved: [0; 32],
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
