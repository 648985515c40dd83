use anchor_lang::prelude::*;

use crate::errors::ProofError;
use crate::events::ModelUpdated;
use crate::state::{Model, validate_model};

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

pub fn handler(ctx: Context<UpdateModel>, args: UpdateModelArgs) -> Result<()> {
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
