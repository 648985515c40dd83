use anchor_lang::prelude::*;

use crate::events::ModelRegistered;
use crate::state::{Model, seeds, validate_model};

#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug)]
pub struct RegisterModelArgs {
    pub model_id: u64,
    pub royalty_bps: u16,
    pub price_per_unit: u64,
    pub metadata_uri: String,
    pub metadata_hash: [u8; 32],
}

#[event_cpi]
#[derive(Accounts)]
#[instruction(args: RegisterModelArgs)]
pub struct RegisterModel<'info> {
    #[account(
        init,
        payer = owner,
        space = 8 + Model::INIT_SPACE,
        seeds = [seeds::MODEL, owner.key().as_ref(), &args.model_id.to_le_bytes()],
        bump,
    )]
    pub model: Box<Account<'info, Model>>,

    #[account(mut)]
    pub owner: Signer<'info>,

    pub system_program: Program<'info, System>,
}

pub fn handler(ctx: Context<RegisterModel>, args: RegisterModelArgs) -> Result<()> {
    validate_model(args.royalty_bps, &args.metadata_uri)?;
    let owner = ctx.accounts.owner.key();
    let model = &mut ctx.accounts.model;
    model.set_inner(Model {
        version: Model::VERSION,
        owner,
        model_id: args.model_id,
        royalty_bps: args.royalty_bps,
        price_per_unit: args.price_per_unit,
        metadata_uri: args.metadata_uri.clone(),
        metadata_hash: args.metadata_hash,
        bump: ctx.bumps.model,
        reserved: [0; 32],
    });
    let key = model.key();
    emit_cpi!(ModelRegistered {
        model: key,
        owner,
        model_id: args.model_id,
        royalty_bps: args.royalty_bps,
        price_per_unit: args.price_per_unit,
        metadata_uri: args.metadata_uri,
        metadata_hash: args.metadata_hash,
    });
    Ok(())
}
