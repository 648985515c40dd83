//! A hired agent, watching the chain over Yellowstone gRPC, runs its lease's job, reports
//! the compute it used as job receipts on chain, and settles the hire: every epoch
//! attested, so the owner is paid for all of them.

mod common;

use std::time::Duration;

use common::{Agent, Net, hire, until};
use gpunet_agent::outbox::Outbox;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_hired_agent_runs_the_job_and_its_receipts_land() {
    let net = Net::start("jobs", 4).await;
    let supplier = net.supplier("rtx4090x2").await;
    let grpc = net.localnet.grpc_url.clone();
    let mut agent = Agent::start_with(
        &net,
        &supplier,
        &[],
        &["--watch", "yellowstone", "--grpc-url", &grpc],
    );
    agent.ready().await;
    let job = "cmd:echo started on $GPUNET_GPUS GPUs; sleep 2; echo finished";
    let epochs = 3;
    let (renter, lease, hire_address, start) = hire(&net, &supplier, job, epochs).await;
    let device = supplier.device;

    // The job ran to its end, in its hire's epochs, with the hire's environment.
    let log_path = supplier.dir.path(&format!("jobs/{hire_address}.log"));
    until("the job finished", Duration::from_secs(40), || async {
        let log = std::fs::read_to_string(&log_path).unwrap_or_default();
        log.contains("finished").then_some(())
    })
    .await;
    assert_eq!(
        std::fs::read_to_string(&log_path).unwrap(),
        "started on 2 GPUs\nfinished\n"
    );
    assert!(net.epoch().await >= start, "not before the hire started");

    // Its compute (2 s or a little more, × 2 GPUs) is on chain as job receipts, as the
    // outbox recorded it.
    let outbox = Outbox::open(&supplier.dir.path("outbox.sqlite")).unwrap();
    let job_row = outbox
        .job(&hire_address)
        .unwrap()
        .expect("the job is recorded");
    assert_eq!(
        (job_row.state.as_str(), job_row.exit_code),
        ("done", Some(0))
    );
    assert!(
        (4_000..8_000).contains(&job_row.reported_units),
        "GPU-ms reported: {}",
        job_row.reported_units
    );
    let log = until(
        "the job receipts on chain",
        Duration::from_secs(30),
        || async {
            let log: Option<gpunet_sdk::proof::ReceiptLog> = renter
                .maybe_anchor_account(
                    "receipt log",
                    &gpunet_sdk::proof::receipt_log_address(&device),
                )
                .await
                .unwrap();
            log.filter(|l| l.compute_units == job_row.reported_units)
        },
    )
    .await;
    assert!(log.count >= 1);
    assert_eq!(log.totals.amount, 0, "jobs are paid through the lease");

    // The hire ran out: every epoch attested and settled by the agent, the owner paid for
    // all of them, nothing refunded.
    let hire = until("the hire settled", Duration::from_secs(60), || async {
        let hire = renter.hire(&lease, &device).await.unwrap();
        hire.is_settled().then_some(hire)
    })
    .await;
    assert_eq!(
        (hire.epochs_paid, hire.epochs_missed),
        (epochs, 0),
        "{}",
        agent.log_text()
    );
    let t = hire.terms;
    assert_eq!(hire.paid_to_owner, epochs * (t.price - t.supplier_fee));
    assert_eq!(hire.refunded, 0);
    // The agent counts its settlement once it has seen it confirmed, a moment after the
    // chain shows it: wait for the count, not a sample.
    until(
        "the settlement counted",
        Duration::from_secs(10),
        || async {
            let settled = agent.metric("gpunet_agent_settlements_total").await >= 1;
            let idle = agent.metric("gpunet_agent_hires_active").await == 0;
            (settled && idle).then_some(())
        },
    )
    .await;
    assert_eq!(agent.metric("gpunet_agent_jobs_finished_total").await, 1);
    agent.kill();
}
