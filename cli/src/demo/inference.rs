//! Inference: a model, a consumer's prepaid session, and receipts paid by the
//! authoriser's voucher (scripted, or served over HTTP by a real agent).

use gpunet_sdk::Pubkey;
use gpunet_sdk::client::GpunetClient;
use gpunet_sdk::proof::RegisterModelArgs;
use gpunet_sdk::voucher::{self, Voucher};
use serde_json::{Value, json};
use solana_keypair::Keypair;
use solana_signer::Signer;

use crate::fleet::{self, Fleet};
use crate::output::Output;
use crate::{CliError, Result};

use super::world::*;

/// A model (owned by a new party) and a consumer's prepaid session for it, whose vouchers
/// `authorizer` signs.
pub(super) struct Market {
    pub(super) model: Pubkey,
    pub(super) model_owner: Pubkey,
    pub(super) consumer: GpunetClient,
    pub(super) authorizer: Keypair,
    pub(super) session: Pubkey,
}

pub(super) async fn open_market(
    client: &GpunetClient,
    network: &Network,
    steps: &mut Vec<Value>,
    out: &Output,
) -> Result<Market> {
    let model_owner = party(client).await?;
    let registered = model_owner
        .register_model(RegisterModelArgs {
            model_id: 1,
            royalty_bps: 1_000,
            price_per_unit: MODEL_PRICE_PER_UNIT,
            metadata_uri: "ipfs://gpunet-demo/llama-3-8b".into(),
            metadata_hash: [7; 32],
        })
        .await?;
    let model = registered.address;
    step(
        steps,
        out,
        format!(
            "model {model} registered: {MODEL_PRICE_PER_UNIT} USDC base units per GPU-ms, 10% \
             royalty"
        ),
        &registered.signature,
    );
    let consumer = party(client).await?;
    let consumer_usdc = network.usdc_units(CONSUMER_USDC * 100)?;
    client
        .mint_to(&network.payment_mint, &consumer.pubkey(), consumer_usdc)
        .await?;
    let authorizer = Keypair::new();
    let deposit = consumer_usdc / 2;
    let opened = consumer
        .open_session(&model, 1, &authorizer.pubkey(), deposit)
        .await?;
    let session = opened.address;
    step(
        steps,
        out,
        format!(
            "session {session} opened by consumer {}: {} USDC prepaid",
            consumer.pubkey(),
            network.usdc(deposit)
        ),
        &opened.signature,
    );
    Ok(Market {
        model,
        model_owner: model_owner.pubkey(),
        consumer,
        authorizer,
        session,
    })
}

/// The scripted inference receipts: the first device's agent key submits a batch with
/// the authoriser's voucher.
pub(super) async fn inference(
    client: &GpunetClient,
    network: &Network,
    supplier: &Supplier,
    steps: &mut Vec<Value>,
    out: &Output,
) -> Result<Value> {
    let market = open_market(client, network, steps, out).await?;
    let agent = &supplier.agent;
    let batch = agent
        .next_receipt_batch(&supplier.device, records(&INFERENCE_RECORDS, 101))
        .await?;
    let signature = agent
        .submit_inference_receipts_authorized(
            &supplier.device,
            &market.session,
            batch,
            &market.authorizer,
        )
        .await?;
    let summary =
        inference_summary(client, network, supplier, &market, INFERENCE_RECORDS.len()).await?;
    step(
        steps,
        out,
        format!(
            "device {} served {} inferences ({} GPU-ms): {}",
            supplier.device,
            INFERENCE_RECORDS.len(),
            INFERENCE_RECORDS.iter().sum::<u32>(),
            summary["text"].as_str().unwrap_or_default()
        ),
        &signature,
    );
    Ok(summary)
}

/// What the session paid the first device, as the summary reports it.
pub(super) async fn inference_summary(
    client: &GpunetClient,
    network: &Network,
    supplier: &Supplier,
    market: &Market,
    records: usize,
) -> Result<Value> {
    let paid = client
        .session_paid(&market.session, &supplier.device)
        .await?;
    let log = client.receipt_log(&supplier.device).await?;
    Ok(json!({
        "model": market.model.to_string(),
        "model_owner": market.model_owner.to_string(),
        "session": market.session.to_string(),
        "consumer": market.consumer.pubkey().to_string(),
        "records": records,
        "paid": paid,
        "worker": log.totals.worker,
        "royalty": log.totals.royalty,
        "fee": log.totals.fee,
        "text": format!(
            "{} USDC paid by voucher (worker {}, royalty {}, fee {})",
            network.usdc(paid),
            network.usdc(log.totals.worker),
            network.usdc(log.totals.royalty),
            network.usdc(log.totals.fee)
        ),
    }))
}

/// The consumer sends requests to the first device's agent, each with the next voucher;
/// the agent answers, and records and is paid for them on chain.
pub(super) async fn serve_inferences(
    client: &GpunetClient,
    network: &Network,
    fleet: &Fleet,
    supplier: &Supplier,
    market: &Market,
    out: &Output,
) -> Result<Value> {
    let http = reqwest::Client::new();
    let max_cost = u64::from(fleet::MODEL_MAX_UNITS) * MODEL_PRICE_PER_UNIT;
    let mut charged = 0u64;
    let prompts = [
        "hello gpunet",
        "what is proof of compute",
        "rent me a cluster",
    ];
    for prompt in prompts {
        let cumulative = charged + max_cost;
        let signed = Voucher::sign(
            &market.authorizer,
            &market.session,
            &supplier.device,
            cumulative,
        );
        let response = http
            .post(format!("{}/v1/inference", fleet.url(0)))
            .header(voucher::SESSION_HEADER, market.session.to_string())
            .header(voucher::VOUCHER_HEADER, signed.header())
            .body(prompt)
            .send()
            .await
            .map_err(|e| CliError(format!("inference request: {e}")))?;
        let status = response.status();
        let header = |name: &str| -> u64 {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok()?.parse().ok())
                .unwrap_or(0)
        };
        let (units, amount) = (
            header(voucher::UNITS_HEADER),
            header(voucher::AMOUNT_HEADER),
        );
        let total = header(voucher::CHARGED_HEADER);
        let answer = response
            .text()
            .await
            .map_err(|e| CliError(format!("inference answer: {e}")))?;
        if !status.is_success() {
            return Err(CliError(format!(
                "the agent refused an inference: {status} {answer}"
            )));
        }
        charged = total;
        out.say(format!(
            "   {prompt:?} -> {answer:?}: {units} GPU-ms, {} USDC, voucher up to {} USDC",
            network.usdc(amount),
            network.usdc(cumulative)
        ));
    }
    wait_until("the inference receipts on chain", || async {
        let paid = client
            .session_paid(&market.session, &supplier.device)
            .await?;
        Ok((paid == charged).then_some(()))
    })
    .await?;
    let summary = inference_summary(client, network, supplier, market, prompts.len()).await?;
    out.say(format!(
        "   device {} recorded the {} inferences on chain: {}",
        supplier.device,
        prompts.len(),
        summary["text"].as_str().unwrap_or_default()
    ));
    Ok(summary)
}
