//! `kill -9` between building a receipt batch and recording that it landed: after a
//! restart every receipt is on chain exactly once and the session paid exactly what was
//! charged. The agent kills itself with SIGKILL at the named point (GPUNET_AGENT_FAULT),
//! so each case hits its window every time.

mod common;

use std::os::unix::process::ExitStatusExt;
use std::time::Duration;

use common::{Agent, Inference, Net, receipts_on_chain, until};

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_kill_between_building_and_confirming_a_batch_loses_and_duplicates_nothing() {
    let net = Net::start("crash", 3).await;
    for (fault, landed_before_restart) in [("batch-built", false), ("batch-sent", true)] {
        let supplier = net.supplier("cpu").await;
        let inference = Inference::set_up(&net, &supplier, "cat", 1_000_000).await;
        let device = supplier.device;
        let client = &inference.consumer;

        // Three inferences, then the batch: the agent dies at the fault point. The batch
        // is built when the third receipt arrives and not before (it holds three at most,
        // and receipts wait far longer than the test for company), so it holds all three
        // however slowly they come.
        let mut agent = Agent::start_with(
            &net,
            &supplier,
            &[("GPUNET_AGENT_FAULT", fault)],
            &["--batch-max", "3", "--batch-wait-ms", "3600000"],
        );
        agent.ready().await;
        let charged = inference.serve(&agent, &device, 0, 3).await;
        let status = agent.exited(Duration::from_secs(30)).await;
        assert_eq!(
            status.signal(),
            Some(9),
            "{fault}: killed by SIGKILL\n{}",
            agent.log_text()
        );
        assert!(
            agent
                .log_text()
                .contains(&format!("fault injected at {fault}"))
        );
        let before = receipts_on_chain(client, &device).await;
        assert_eq!(
            before,
            if landed_before_restart { 3 } else { 0 },
            "{fault}: on chain before the restart"
        );

        // Restarted (same data directory, the default batching), the agent finishes the
        // batch it had built.
        let mut agent = Agent::start(&net, &supplier, &[]);
        agent.ready().await;
        until("the outbox drained", Duration::from_secs(30), || async {
            (agent.metric("gpunet_agent_receipts_pending").await == 0).then_some(())
        })
        .await;
        // And nothing more arrives later: each receipt once, paid once.
        tokio::time::sleep(Duration::from_secs(2)).await;
        assert_eq!(
            receipts_on_chain(client, &device).await,
            3,
            "{fault}\n{}",
            agent.log_text()
        );
        assert_eq!(
            client
                .session_paid(&inference.session, &device)
                .await
                .unwrap(),
            charged
        );
        assert_eq!(
            client.session(&inference.session).await.unwrap().spent,
            charged
        );
        assert_eq!(
            agent.metric("gpunet_agent_receipts_confirmed_total").await,
            3
        );
        if landed_before_restart {
            assert!(
                agent.log_text().contains("already on chain"),
                "the restarted agent found the batch on chain:\n{}",
                agent.log_text()
            );
            assert_eq!(agent.metric("gpunet_agent_batch_failures_total").await, 0);
        }

        // The agent goes on serving after the restart, numbering from the log.
        let more = inference.serve(&agent, &device, charged, 1).await;
        assert!(more > charged);
        until("the fourth receipt", Duration::from_secs(30), || async {
            (receipts_on_chain(client, &device).await == 4).then_some(())
        })
        .await;
        assert_eq!(
            client
                .session_paid(&inference.session, &device)
                .await
                .unwrap(),
            more
        );
        agent.kill();
    }
}
