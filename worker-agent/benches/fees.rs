//! What one device's agent pays the chain: runs a real agent (8 × H100 profile, the
//! localnet verifier quorum of 2) through a hire with a job, 64 inferences, settlements and
//! claims, then reads every transaction its key paid for and prints, per kind, the fee and
//! the rent it put down, and the daily cost at hourly epochs.
//!
//! `cargo bench -p gpunet-agent --bench fees` (the output is docs/worker-agent.md's "Fees").

#[path = "../tests/common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::time::Duration;

use common::{Agent, Inference, Net, hire, until};
use solana_client::nonblocking::rpc_client::RpcClient;
use solana_client::rpc_client::GetConfirmedSignaturesForAddress2Config;
use solana_client::rpc_config::RpcTransactionConfig;
use solana_client::rpc_config::UiTransactionEncoding;
use solana_client::rpc_response::OptionSerializer;
use solana_commitment_config::CommitmentConfig;

const INFERENCES: usize = 64;

#[derive(Default)]
struct Kind {
    count: u64,
    fees: u64,
    rent: u64,
}

fn main() {
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .unwrap();
    runtime.block_on(run());
}

async fn run() {
    let net = Net::start("fees", 4).await;
    let supplier = net.supplier("h100x8").await;
    let inference = Inference::set_up(&net, &supplier, "cat", 10_000_000).await;
    let mut agent = Agent::start_with(
        &net,
        &supplier,
        &[],
        &["--batch-wait-ms", "60000", "--claim-every-epochs", "1"],
    );
    agent.ready().await;
    let (renter, lease, _, start) = hire(&net, &supplier, "cmd:sleep 1", 3).await;
    let charged = inference
        .serve(&agent, &supplier.device, 0, INFERENCES)
        .await;
    until("the hire settled", Duration::from_secs(120), || async {
        let hire = renter.hire(&lease, &supplier.device).await.unwrap();
        hire.is_settled().then_some(())
    })
    .await;
    let end = start + 3;
    net.wait_for_epoch(end + 3).await;
    until("rewards claimed", Duration::from_secs(60), || async {
        let stake = supplier
            .owner
            .stake_account(&supplier.device)
            .await
            .unwrap();
        (!stake.pending_rewards.iter().any(|p| p.epoch < end)).then_some(())
    })
    .await;
    until(
        "every receipt on chain",
        Duration::from_secs(60),
        || async { (agent.metric("gpunet_agent_receipts_pending").await == 0).then_some(()) },
    )
    .await;
    let on_chain = common::receipts_on_chain(&renter, &supplier.device).await;
    assert!(
        on_chain > INFERENCES as u64,
        "{on_chain} receipts:\n{}",
        agent.log_text()
    );
    let log = agent.log_text();
    agent.kill();

    // Every transaction the agent key paid for, by the instructions it ran.
    let rpc =
        RpcClient::new_with_commitment(net.localnet.rpc_url.clone(), CommitmentConfig::confirmed());
    let mut signatures = Vec::new();
    let mut before = None;
    loop {
        let page = rpc
            .get_signatures_for_address_with_config(
                &supplier.agent,
                GetConfirmedSignaturesForAddress2Config {
                    before,
                    until: None,
                    limit: Some(1000),
                    commitment: Some(CommitmentConfig::confirmed()),
                },
            )
            .await
            .unwrap();
        let Some(last) = page.last() else { break };
        before = Some(last.signature.parse().unwrap());
        signatures.extend(
            page.iter()
                .filter(|s| s.err.is_none())
                .map(|s| s.signature.clone()),
        );
    }
    let mut kinds: BTreeMap<String, Kind> = BTreeMap::new();
    let config = RpcTransactionConfig {
        encoding: Some(UiTransactionEncoding::Base64),
        commitment: Some(CommitmentConfig::confirmed()),
        max_supported_transaction_version: Some(0),
    };
    for signature in &signatures {
        let tx = rpc
            .get_transaction_with_config(&signature.parse().unwrap(), config)
            .await
            .unwrap();
        let meta = tx.transaction.meta.expect("a status");
        let OptionSerializer::Some(logs) = meta.log_messages else {
            panic!("no logs for {signature}")
        };
        // Top-level gpunet instructions, as Anchor names them in the logs.
        let mut names: Vec<String> = logs
            .iter()
            .filter_map(|l| l.strip_prefix("Program log: Instruction: "))
            .filter(|n| {
                !n.starts_with("GetAccountDataSize")
                    && !n.starts_with("InitializeAccount")
                    && !n.starts_with("Transfer")
                    && !n.starts_with("Create")
            })
            .map(str::to_string)
            .collect();
        names.dedup();
        if names.is_empty() {
            // Not the agent's: its funding (the faucet pays).
            continue;
        }
        let kind = kinds.entry(names.join(" + ")).or_default();
        // The agent pays the fee and any rent (its key is the fee payer: account 0).
        let spent = meta.pre_balances[0] - meta.post_balances[0];
        kind.count += 1;
        kind.fees += meta.fee;
        kind.rent += spent - meta.fee;
    }

    println!(
        "| transaction (instructions) | count | fee each (lamports) | rent put down (lamports, once) |"
    );
    println!("|---|---:|---:|---:|");
    for (name, kind) in &kinds {
        println!(
            "| {name} | {} | {} | {} |",
            kind.count,
            kind.fees / kind.count,
            kind.rent
        );
    }
    let fee_of = |prefix: &str| {
        kinds
            .iter()
            .find(|(name, _)| name.starts_with(prefix))
            .map(|(_, k)| k.fees / k.count)
            .unwrap_or(0)
    };
    let attest = fee_of("AttestUptime");
    let settle = fee_of("SettleHire");
    let claim = fee_of("ClaimRewards");
    let job = fee_of("SubmitJobReceipts");
    let inference_batch = fee_of("SubmitInferenceReceipts");
    // The rent an attestation puts down: the epoch's reward account, created by the first
    // device to register a weight for the epoch (here, the only one, every epoch).
    let epoch_rent = kinds
        .iter()
        .find(|(name, _)| name.starts_with("AttestUptime"))
        .map(|(_, k)| k.rent / k.count)
        .unwrap_or(0);
    // The largest inference batch the agent sent (sized to fit one transaction).
    let per_batch = log
        .lines()
        .filter_map(|l| {
            let (_, rest) = l.split_once(" on chain (")?;
            rest.strip_suffix(")")
                .unwrap_or(rest)
                .split_once(" inferences")?
                .0
                .parse::<u64>()
                .ok()
        })
        .max()
        .expect("inference batches in the log");
    println!();
    println!(
        "One device a day at hourly epochs (24 epochs), default schedule (settle every epoch, \
         claim every 4), hired all day, no inferences:"
    );
    println!();
    println!("| what | transactions a day | lamports a day |");
    println!("|---|---:|---:|");
    let rows = [
        ("attestation + reward weight", 24, attest),
        ("hire settlement", 24, settle),
        ("job reports (every 15 min)", 96, job),
        ("reward claims", 6, claim),
    ];
    let mut total = 0;
    for (what, n, fee) in rows {
        println!("| {what} | {n} | {} |", n * fee);
        total += n * fee;
    }
    println!(
        "| **fees** | **150** | **{total}** ({:.6} SOL) |",
        total as f64 / 1e9
    );
    println!(
        "| epoch reward accounts' rent, paid by the first device to register each epoch (at most) | | {} ({:.6} SOL) |",
        24 * epoch_rent,
        (24 * epoch_rent) as f64 / 1e9
    );
    println!();
    println!(
        "Inferences: at most {per_batch} receipts fit one batch transaction ({inference_batch} \
         lamports: the agent's and the voucher's signatures), so 1,000 inferences cost {} lamports.",
        1_000_u64.div_ceil(per_batch) * inference_batch
    );
    println!();
    println!(
        "Measured: {} transactions paid by one agent key ({INFERENCES} inferences, charged \
         {charged} USDC base units).",
        kinds.values().map(|k| k.count).sum::<u64>()
    );
}
