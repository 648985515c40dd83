use anchor_lang::prelude::*;

use crate::errors::ProofError;
use crate::events::{ModelRegistered, ModelUpdated};
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

pub fn register_handler(ctx: Context<RegisterModel>, args: RegisterModelArgs) -> Result<()> {
    validate_model(args.royalty_bps, &args.metadata_uri)?;
    let owner = ctx.accounts.owner.key();
    let model = &mut ctx.accounts.model;
    model.set_inner(Model {
        owner,
        model_id: args.model_id,
        royalty_bps: args.royalty_bps,
        price_per_unit: args.price_per_unit,
        metadata_uri: args.metadata_uri.clone(),
        metadata_hash: args.metadata_hash,
        bump: ctx.bumps.model,
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

/// `None` leaves a field as it is. Price and royalty changes apply to receipts submitted
/// from then on.
#[derive(AnchorSerialize, AnchorDeserialize, Clone, Debug, Default)]
pub struct UpdateModelArgs {
    pub royalty_bps: Option<u16>,
    pub price_per_unit: Option<u64>,
    pub metadata_uri: Option<String>,
    pub metadata_hash: Option<[u8; 32]>,
}

#[event_cpi]
#[derive(Accounts)]
pub struct UpdateModel<'info> {
    #[account(mut, has_one = owner @ ProofError::NotModelOwner)]
    pub model: Box<Account<'info, Model>>,

    pub owner: Signer<'info>,
}

pub fn update_handler(ctx: Context<UpdateModel>, args: UpdateModelArgs) -> Result<()> {
    require!(
        args.royalty_bps.is_some()
            || args.price_per_unit.is_some()
            || args.metadata_uri.is_some()
            || args.metadata_hash.is_some(),
        ProofError::EmptyUpdate
    );
    let model = &mut ctx.accounts.model;
    let royalty = args.royalty_bps.unwrap_or(model.royalty_bps);
    let uri = args
        .metadata_uri
        .unwrap_or_else(|| model.metadata_uri.clone());
    validate_model(royalty, &uri)?;
    model.royalty_bps = royalty;
    model.metadata_uri = uri;
    if let Some(price) = args.price_per_unit {
        model.price_per_unit = price;
    }
    if let Some(hash) = args.metadata_hash {
        model.metadata_hash = hash;
    }
    let event = ModelUpdated {
        model: model.key(),
        royalty_bps: model.royalty_bps,
        price_per_unit: model.price_per_unit,
        metadata_uri: model.metadata_uri.clone(),
        metadata_hash: model.metadata_hash,
    };
    emit_cpi!(event);
    Ok(())
}
