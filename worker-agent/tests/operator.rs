//! What the operator of a machine sees: an `image:` job goes to the container runtime with
//! the hire's name; a low SOL balance is warned about and makes the health degraded; a
//! machine unlike its registration is warned about.

mod common;

use std::time::Duration;

use common::{Agent, Net, hire, until};
use gpunet_agent::config::Settings;
use gpunet_agent::outbox::Outbox;

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn an_image_job_runs_in_the_configured_container_runtime() {
    let net = Net::start("container", 4).await;
    let supplier = net.supplier("rtx4090x2").await;
    // A stand-in runtime that prints how it was called (no container engine here).
    let runtime = supplier.dir.path("fake-runtime");
    std::fs::write(&runtime, "#!/bin/sh\necho \"runtime: $*\"\n").unwrap();
    std::fs::set_permissions(
        &runtime,
        std::os::unix::fs::PermissionsExt::from_mode(0o755),
    )
    .unwrap();
    Settings {
        container_runtime: Some(runtime.display().to_string()),
        ..Settings::default()
    }
    .write(&supplier.dir.path("agent.toml"))
    .unwrap();
    let mut agent = Agent::start(&net, &supplier, &[]);
    agent.ready().await;
    let (_, _, hire_address, _) = hire(&net, &supplier, "image:registry.example/train:1", 2).await;

    let log_path = supplier.dir.path(&format!("jobs/{hire_address}.log"));
    let log = until("the container job ran", Duration::from_secs(30), || async {
        std::fs::read_to_string(&log_path)
            .ok()
            .filter(|l| l.contains("runtime:"))
    })
    .await;
    // The GPU machine's runtime is not docker: no --gpus flag.
    assert_eq!(
        log,
        format!("runtime: run --rm --name gpunet-{hire_address} registry.example/train:1\n")
    );
    let outbox = Outbox::open(&supplier.dir.path("outbox.sqlite")).unwrap();
    let job = until(
        "the job recorded as done",
        Duration::from_secs(10),
        || async {
            outbox
                .job(&hire_address)
                .unwrap()
                .filter(|j| j.state == gpunet_agent::outbox::JobState::Done)
        },
    )
    .await;
    assert_eq!(job.exit_code, Some(0));
    agent.kill();
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_low_balance_or_a_machine_unlike_its_registration_is_warned_about() {
    let net = Net::start("balance", 4).await;
    let supplier = net.supplier("cpu").await;
    // The agent key holds 1 SOL; warn below 5. The device is registered as a CPU machine
    // and the agent runs as an 8 × H100 one.
    let mut agent = Agent::start_with(
        &net,
        &supplier,
        &[],
        &[
            "--low-balance-lamports",
            "5000000000",
            "--profile",
            "h100x8",
        ],
    );
    agent.ready().await;
    let health = until("degraded health", Duration::from_secs(20), || async {
        let health = agent.health().await;
        (health["low_balance"] == true).then_some(health)
    })
    .await;
    assert_eq!(health["status"], "degraded");
    assert!(
        health["problems"].to_string().contains("low SOL balance"),
        "{health}"
    );
    let balance = health["sol_balance_lamports"].as_u64().unwrap();
    assert!(balance > 0 && balance <= 1_000_000_000, "{balance}");
    assert_eq!(agent.metric("gpunet_agent_low_balance").await, 1);
    assert_eq!(
        agent.metric("gpunet_agent_sol_balance_lamports").await,
        balance
    );
    assert!(
        agent.log_text().contains("WARNING: the agent key"),
        "{}",
        agent.log_text()
    );
    assert!(
        agent.log_text().contains(
            "WARNING: the device is registered with 1 GPU(s) of model 0 but this machine has \
             8 of model 100"
        ),
        "{}",
        agent.log_text()
    );
    agent.kill();
}
