//! gpunet proof-of-compute: models, prepaid inference sessions, and batches of job and
//! inference receipts submitted by device agents. Records live in instruction data, never
//! one account each; a per-device `ReceiptLog` keeps counters, totals and a hash chain
//! over every batch, from which anyone can verify the records rebuilt from transactions.
//! `lib.rs` only dispatches; each instruction lives in `instructions/<instruction>.rs`,
//! named after it.

use anchor_lang::prelude::*;

pub mod constants;
pub mod errors;
pub mod events;
pub mod instructions;
pub mod program_id;
pub mod recording;
pub mod state;

use instructions::*;
pub use program_id::*;
use state::{InferenceTerms, ReceiptBatch};

common::security_txt!("gpunet proof");

#[program]
pub mod proof {
    use super::*;

    /// Registers a model: royalty, price per compute unit, metadata. Owner signs and pays.
    pub fn register_model(ctx: Context<RegisterModel>, args: RegisterModelArgs) -> Result<()> {
        instructions::register_model::handler(ctx, args)
    }

    /// Changes a model's royalty, price or metadata. Owner only.
    pub fn update_model(ctx: Context<UpdateModel>, args: UpdateModelArgs) -> Result<()> {
        instructions::update_model::handler(ctx, args)
    }

    /// Opens a prepaid inference session for a model with its authorising key.
    pub fn open_session(ctx: Context<OpenSession>, args: OpenSessionArgs) -> Result<()> {
        instructions::open_session::handler(ctx, args)
    }

    /// Gives one epoch's notice before the session can be closed. Consumer only.
    pub fn request_close_session(ctx: Context<RequestCloseSession>) -> Result<()> {
        instructions::request_close_session::handler(ctx)
    }

    /// Returns what is left and closes the session after the notice. Consumer only.
    pub fn close_session(ctx: Context<CloseSession>) -> Result<()> {
        instructions::close_session::handler(ctx)
    }

    /// A batch of paid inference receipts, signed by the device's agent key.
    pub fn submit_inference_receipts(
        ctx: Context<SubmitInferenceReceipts>,
        batch: ReceiptBatch,
        terms: InferenceTerms,
    ) -> Result<()> {
        instructions::submit_inference_receipts::handler(ctx, batch, terms)
    }

    /// A batch of lease-job receipts for an active hire, signed by the agent key.
    pub fn submit_job_receipts(
        ctx: Context<SubmitJobReceipts>,
        batch: ReceiptBatch,
        model: Pubkey,
    ) -> Result<()> {
        instructions::submit_job_receipts::handler(ctx, batch, model)
    }
}
