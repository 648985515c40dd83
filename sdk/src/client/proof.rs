//! Proof-of-compute actions: models (owner), inference sessions (consumer), receipts
//! (device agent).

use solana_keypair::Keypair;
use solana_transaction::Signature;

use super::due::{DUE_PATIENCE, Due, Step};
use super::{ClientError, GpunetClient, Registered, Result};
use crate::Instruction;
use crate::Pubkey;
use crate::proof::{
    self, InferencePayees, InferenceTerms, OpenSessionArgs, ReceiptBatch, RegisterModelArgs,
    UpdateModelArgs,
};

pub use crate::voucher::Voucher;

impl GpunetClient {
    /// `register_model` (owner = the client's wallet).
    pub async fn register_model(&self, args: RegisterModelArgs) -> Result<Registered> {
        let address = proof::model_address(&self.pubkey(), args.model_id);
        let ix = proof::register_model(self.pubkey(), args);
        let signature = self.send(&[ix], &[]).await?;
        Ok(Registered { address, signature })
    }

    /// `update_model` (owner): royalty, price, metadata, each optional.
    pub async fn update_model(&self, model: &Pubkey, args: UpdateModelArgs) -> Result<Signature> {
        self.model(model).await?;
        let ix = proof::update_model(self.pubkey(), *model, args);
        self.send(&[ix], &[]).await
    }

    /// `open_session` (consumer = the client's wallet): deposits `deposit` payment base
    /// units from the consumer's associated account; `authorizer` signs the vouchers.
    pub async fn open_session(
        &self,
        model: &Pubkey,
        session_id: u64,
        authorizer: &Pubkey,
        deposit: u64,
    ) -> Result<Registered> {
        self.model(model).await?;
        let payment = self.payment().await?;
        let (_, consumer_token) =
            self.ensure_token_account_ix(&self.pubkey(), &payment.mint, &payment.token_program);
        let args = OpenSessionArgs {
            session_id,
            authorizer: *authorizer,
            deposit,
        };
        let ix = proof::open_session(self.pubkey(), *model, consumer_token, payment, args);
        let signature = self.send(&[ix], &[]).await?;
        Ok(Registered {
            address: proof::session_address(&self.pubkey(), session_id),
            signature,
        })
    }

    /// `request_close_session` (consumer): starts the one-epoch notice.
    pub async fn request_close_session(&self, session: &Pubkey) -> Result<Signature> {
        self.session(session).await?;
        let ix = proof::request_close_session(self.pubkey(), *session);
        self.send(&[ix], &[]).await
    }

    /// `close_session` (consumer, after the notice): refunds the rest, once the notice is
    /// over by the clock that executes it (waiting for it, see [`due`](super::due)).
    pub async fn close_session(&self, session: &Pubkey) -> Result<Signature> {
        let closing_at = self.session(session).await?.closing_at;
        let payment = self.payment().await?;
        let (create, consumer_token) =
            self.ensure_token_account_ix(&self.pubkey(), &payment.mint, &payment.token_program);
        let ix = proof::close_session(self.pubkey(), *session, consumer_token, payment);
        self.send_once_due(
            format!("closing session {session}"),
            closing_at.unwrap_or(i64::MIN),
            &["CloseNoticePending"],
            vec![create, ix],
        )
        .await
    }

    /// The terms an inference batch for `model` must state now: the model's price and
    /// royalty and the network's inference fee.
    pub async fn inference_terms(&self, model: &Pubkey) -> Result<InferenceTerms> {
        let model = self.model(model).await?;
        let fee_bps = self.network_config().await?.fees.inference_fee_bps;
        Ok(InferenceTerms {
            price_per_unit: model.price_per_unit,
            royalty_bps: model.royalty_bps,
            fee_bps,
        })
    }

    /// `submit_inference_receipts` (agent = the client's wallet) of `batch` for
    /// `session`, with the authoriser's `voucher` in the same transaction. The device
    /// owner, the model owner and the treasury are paid in their associated accounts
    /// (created when missing).
    pub async fn submit_inference_receipts(
        &self,
        device: &Pubkey,
        session: &Pubkey,
        batch: ReceiptBatch,
        voucher: &Voucher,
    ) -> Result<Signature> {
        let latest = latest_timestamp(&batch);
        let ixs = self
            .inference_receipts_instructions(device, session, batch, voucher)
            .await?;
        self.send_receipts(device, latest, ixs).await
    }

    /// The instructions of [`submit_inference_receipts`](Self::submit_inference_receipts):
    /// the missing payee accounts' creation, the voucher, the batch (last).
    pub async fn inference_receipts_instructions(
        &self,
        device: &Pubkey,
        session: &Pubkey,
        batch: ReceiptBatch,
        voucher: &Voucher,
    ) -> Result<Vec<Instruction>> {
        let owner = self.device(device).await?.owner;
        let model = self.session(session).await?.model;
        let model_owner = self.model(&model).await?.owner;
        let treasury = self.network_config().await?.treasury;
        let terms = self.inference_terms(&model).await?;
        let payment = self.payment().await?;
        let (mut ixs, accounts) = self
            .payment_accounts(&[owner, model_owner, treasury])
            .await?;
        let payees = InferencePayees {
            worker_token: accounts[0],
            royalty_token: accounts[1],
            treasury_token: accounts[2],
        };
        ixs.push(proof::voucher(
            voucher.authorizer,
            voucher.signature,
            session,
            device,
            voucher.cumulative,
        ));
        ixs.push(proof::submit_inference_receipts(
            self.pubkey(),
            *device,
            *session,
            model,
            payees,
            payment,
            batch,
            terms,
        ));
        Ok(ixs)
    }

    /// [`submit_inference_receipts`](Self::submit_inference_receipts) with a voucher
    /// signed here by `authorizer`, covering what the device was paid from the session so
    /// far plus this batch's amount at the current terms.
    pub async fn submit_inference_receipts_authorized(
        &self,
        device: &Pubkey,
        session: &Pubkey,
        batch: ReceiptBatch,
        authorizer: &Keypair,
    ) -> Result<Signature> {
        let model = self.session(session).await?.model;
        let price = self.inference_terms(&model).await?.price_per_unit;
        let units: u64 = batch
            .records
            .iter()
            .map(|r| u64::from(r.compute_units))
            .sum();
        let amount = units
            .checked_mul(price)
            .ok_or_else(|| ClientError::Invalid("the batch's amount overflows a u64".into()))?;
        let paid = self.session_paid(session, device).await?;
        let voucher = Voucher::sign(authorizer, session, device, paid.saturating_add(amount));
        self.submit_inference_receipts(device, session, batch, &voucher)
            .await
    }

    /// `submit_job_receipts` (agent) of `batch` for the running `hire` of `device`.
    pub async fn submit_job_receipts(
        &self,
        device: &Pubkey,
        hire: &Pubkey,
        batch: ReceiptBatch,
        model: &Pubkey,
    ) -> Result<Signature> {
        self.device(device).await?;
        let running = self
            .anchor_account::<crate::escrow::Hire>("hire", hire)
            .await?;
        let config = self.network_config().await?;
        let latest = latest_timestamp(&batch);
        let ixs = vec![proof::submit_job_receipts(
            self.pubkey(),
            *device,
            *hire,
            batch,
            *model,
        )];
        // The hire must be running by the executing clock: from its first epoch on, and
        // the records not from that clock's future.
        let due = Due {
            what: format!("job receipts of device {device} for hire {hire}"),
            at: latest.max(super::due::epoch_start(&config, running.start_epoch)?),
            not_yet: &["FutureTimestamp", "HireNotActive"],
            done_elsewhere: &[],
            once: true,
            wait_at_most: Some(DUE_PATIENCE),
            extra_signers: &[],
        };
        let ixs = &ixs;
        let done = self
            .send_when_due(due, move |refusal| async move {
                if refusal.as_deref() == Some("HireNotActive") {
                    let now = self.hire_state(hire).await?;
                    if now.released || self.current_epoch().await? >= now.end_epoch {
                        return Ok(Step::GiveUp);
                    }
                }
                Ok(Step::Send(ixs.clone()))
            })
            .await?;
        Ok(done.signature().expect("a receipt batch is always sent"))
    }

    async fn hire_state(&self, hire: &Pubkey) -> Result<crate::escrow::Hire> {
        self.anchor_account("hire", hire).await
    }

    /// Sends a receipt batch whose latest record is stamped `latest` (chain time): the
    /// program refuses records from its future, so it waits for the clock that executes
    /// it to reach that time (see [`due`](super::due)).
    async fn send_receipts(
        &self,
        device: &Pubkey,
        latest: i64,
        ixs: Vec<Instruction>,
    ) -> Result<Signature> {
        self.send_once_due(
            format!("receipts of device {device} stamped up to {latest}"),
            latest,
            &["FutureTimestamp"],
            ixs,
        )
        .await
    }
}

/// The chain time of a batch's latest record.
fn latest_timestamp(batch: &ReceiptBatch) -> i64 {
    let offset = batch.records.iter().map(|r| r.time_offset).max();
    batch
        .base_timestamp
        .saturating_add(i64::from(offset.unwrap_or_default()))
}
