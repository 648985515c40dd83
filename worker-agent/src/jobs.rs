//! Hires: the agent watches the chain for hires of its device (polling the RPC endpoint,
//! or woken by a Yellowstone subscription to the device's hire accounts) and runs each
//! running hire's job, named by its lease:
//!
//! - `cmd:<command>`: run with `sh -c`;
//! - `image:<reference>`: run in a container (`podman` or `docker`);
//! - empty: the built-in benchmark workload, one bounded run per report interval.
//!
//! While a job runs, the agent reports the compute it used (GPU-milliseconds: wall time
//! × the GPUs hired; the built-in workload reports its measured run time) as a job receipt
//! every report interval (a quarter epoch, at most 15 minutes) and when it ends. A job
//! is stopped a report interval before its hire ends, so its last report can still be
//! recorded. The job's output goes to `<data dir>/jobs/<hire>.log`; each receipt's
//! result hash is the SHA-256 of that log so far.

use std::collections::HashMap;
use std::path::PathBuf;
use std::process::Stdio;
use std::sync::Arc;
use std::sync::atomic::Ordering::Relaxed;
use std::time::{Duration, Instant};

use futures::StreamExt;
use gpunet_sdk::Pubkey;
use gpunet_sdk::client::ClientError;
use gpunet_sdk::escrow::Hire;
use gpunet_sdk::proof::ReceiptKind;
use sha2::{Digest, Sha256};
use tokio::sync::watch;

use crate::agent::{Agent, pause};
use crate::config::Watch;

use crate::outbox::{JobState, Receipt};
pub use gpunet_agent_config::on_path;

/// A job the agent is running: how to stop it.
struct Running {
    stop: watch::Sender<bool>,
    task: tokio::task::JoinHandle<()>,
}

pub async fn run(agent: Arc<Agent>, mut shutdown: watch::Receiver<bool>) {
    let poll = agent.config.poll;
    let (wake_tx, mut wake) = watch::channel(());
    if agent.config.watch == Watch::Yellowstone {
        tokio::spawn(subscribe(agent.clone(), wake_tx, shutdown.clone()));
    }
    let mut running: HashMap<Pubkey, Running> = HashMap::new();
    let mut failures = 0;
    loop {
        match step(&agent, &mut running).await {
            Ok(()) => failures = 0,
            Err(e) => {
                failures += 1;
                agent.failed("watching hires", &e);
            }
        }
        // With Yellowstone, a hire change wakes the watcher at once; it still looks
        // every few polls for hires that start or end by the clock alone.
        let wait = match agent.config.watch {
            Watch::Rpc => agent.backoff(failures),
            Watch::Yellowstone => agent.backoff(failures).max(poll * 4),
        };
        tokio::select! {
            keep = pause(&mut shutdown, wait) => if !keep { break },
            _ = wake.changed() => {}
        }
    }
    for (_, job) in running.drain() {
        let _ = job.stop.send(true);
        let _ = job.task.await;
    }
}

/// Starts the job of every running hire that has none, stops those whose hire ended.
async fn step(
    agent: &Arc<Agent>,
    running: &mut HashMap<Pubkey, Running>,
) -> Result<(), ClientError> {
    running.retain(|_, job| !job.task.is_finished());
    let hires = agent
        .chain
        .client
        .hires_of_device(&agent.chain.device)
        .await?;
    let (now, epoch) = (agent.chain.now(), agent.chain.epoch());
    let interval = report_interval(agent.chain.epoch_seconds()).as_secs() as i64;
    let mut active = 0;
    for (address, hire) in hires {
        let hired = !hire.released && hire.start_epoch <= epoch && epoch < hire.end_epoch;
        active += u64::from(hired);
        // A job stops one report interval before its hire ends (see the module doc).
        let live = hired && now < agent.chain.epoch_start(hire.end_epoch) - interval;
        match (live, running.get(&address)) {
            (true, None) => {
                let done = agent
                    .outbox
                    .job(&address)
                    .ok()
                    .flatten()
                    .is_some_and(|job| job.state.ended());
                if done {
                    continue;
                }
                let lease = agent.chain.client.lease(&hire.lease).await?;
                let (stop, stopped) = watch::channel(false);
                let task = tokio::spawn(run_job(
                    agent.clone(),
                    address,
                    hire,
                    lease.job.clone(),
                    stopped,
                ));
                running.insert(address, Running { stop, task });
            }
            (false, Some(job)) => {
                let _ = job.stop.send(true);
            }
            _ => {}
        }
    }
    agent.metrics.hires_active.store(active, Relaxed);
    Ok(())
}

/// Wakes the watcher whenever one of the device's hire accounts changes.
async fn subscribe(
    agent: Arc<Agent>,
    wake: watch::Sender<()>,
    mut shutdown: watch::Receiver<bool>,
) {
    use yellowstone_grpc_client::GeyserGrpcClient;
    use yellowstone_grpc_proto::prelude::{
        CommitmentLevel, SubscribeRequest, SubscribeRequestFilterAccounts,
        SubscribeRequestFilterAccountsFilter, SubscribeRequestFilterAccountsFilterMemcmp,
        subscribe_request_filter_accounts_filter::Filter,
        subscribe_request_filter_accounts_filter_memcmp::Data,
    };
    let endpoint = agent.config.grpc_url.clone().unwrap_or_default();
    let mut failures = 0;
    loop {
        let session = async {
            let mut client = GeyserGrpcClient::build_from_shared(endpoint.clone())
                .and_then(|b| b.x_token(agent.config.grpc_token.clone()))
                .map_err(|e| e.to_string())?
                .connect()
                .await
                .map_err(|e| e.to_string())?;
            let memcmp = |offset: u64, bytes: Vec<u8>| SubscribeRequestFilterAccountsFilter {
                filter: Some(Filter::Memcmp(SubscribeRequestFilterAccountsFilterMemcmp {
                    offset,
                    data: Some(Data::Bytes(bytes)),
                })),
            };
            let accounts = SubscribeRequestFilterAccounts {
                owner: vec![gpunet_sdk::escrow::PROGRAM_ID.to_string()],
                filters: vec![
                    memcmp(
                        0,
                        <Hire as gpunet_sdk::Discriminator>::DISCRIMINATOR.to_vec(),
                    ),
                    memcmp(
                        gpunet_sdk::escrow::HIRE_DEVICE_OFFSET as u64,
                        agent.chain.device.to_bytes().to_vec(),
                    ),
                ],
                ..Default::default()
            };
            let request = SubscribeRequest {
                accounts: [("hires".to_string(), accounts)].into(),
                commitment: Some(CommitmentLevel::Confirmed as i32),
                ..Default::default()
            };
            let (_sink, mut stream) = client
                .subscribe_with_request(Some(request))
                .await
                .map_err(|e| e.to_string())?;
            while let Some(update) = stream.next().await {
                update.map_err(|e| e.to_string())?;
                let _ = wake.send(());
            }
            Err::<(), String>("the stream ended".into())
        };
        tokio::select! {
            result = session => {
                if let Err(e) = result {
                    failures += 1;
                    agent.failed("Yellowstone subscription", &e);
                }
            }
            _ = shutdown.changed() => return,
        }
        if !pause(&mut shutdown, agent.backoff(failures)).await {
            return;
        }
    }
}

/// The interval between job reports for epochs of `epoch_seconds`: a quarter epoch,
/// between 1 s and 15 min.
pub fn report_interval(epoch_seconds: u32) -> Duration {
    Duration::from_millis(u64::from(epoch_seconds) * 250)
        .clamp(Duration::from_secs(1), Duration::from_secs(900))
}

/// How a job is run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum JobSpec {
    Command(String),
    Image(String),
    Builtin,
}

impl JobSpec {
    pub fn parse(spec: &str) -> Result<JobSpec, String> {
        if spec.is_empty() {
            Ok(JobSpec::Builtin)
        } else if let Some(command) = spec.strip_prefix("cmd:") {
            Ok(JobSpec::Command(command.to_string()))
        } else if let Some(image) = spec.strip_prefix("image:") {
            Ok(JobSpec::Image(image.to_string()))
        } else {
            Err(format!("unknown job {spec:?}: expected cmd:… or image:…"))
        }
    }
}

/// Runs the job of `hire` until it ends, its hire is about to end, or `stop`.
async fn run_job(
    agent: Arc<Agent>,
    address: Pubkey,
    hire: Hire,
    spec: String,
    mut stop: watch::Receiver<bool>,
) {
    let interval = report_interval(agent.chain.epoch_seconds());
    let deadline = agent.chain.epoch_start(hire.end_epoch) - interval.as_secs() as i64;
    let log_path = agent
        .config
        .data_dir
        .join("jobs")
        .join(format!("{address}.log"));
    if let Err(e) = agent
        .outbox
        .job_started(&address, &hire.lease, &spec, agent.chain.now())
    {
        agent.failed("recording a job", &e);
        return;
    }
    agent.metrics.jobs_started.fetch_add(1, Relaxed);
    agent.log(format!("hire {address}: job {spec:?} started"));
    let mut reporter = Reporter {
        agent: &agent,
        hire: address,
        gpus: u64::from(hire.gpu_count.max(1)),
        log_path: log_path.clone(),
        since: Instant::now(),
    };
    // The job's process (`None`: the built-in workload), or why it cannot run.
    let command = match JobSpec::parse(&spec) {
        Ok(JobSpec::Builtin) => None,
        Ok(JobSpec::Command(command)) => {
            let mut cmd = tokio::process::Command::new("sh");
            cmd.arg("-c").arg(command);
            Some(Ok(cmd))
        }
        Ok(JobSpec::Image(image)) => Some(
            container_runtime(&agent)
                .map(|runtime| {
                    let mut cmd = tokio::process::Command::new(&runtime);
                    cmd.args(["run", "--rm", "--name", &format!("gpunet-{address}")]);
                    if agent.hardware.has_gpu && runtime.ends_with("docker") {
                        cmd.args(["--gpus", "all"]);
                    }
                    cmd.arg(image);
                    cmd
                })
                .ok_or_else(|| "no container runtime (podman or docker) found".to_string()),
        ),
        Err(e) => Some(Err(e)),
    };
    let outcome = match command {
        None => builtin(&agent, &mut reporter, deadline, interval, &mut stop).await,
        Some(Ok(cmd)) => {
            process(
                &agent,
                cmd,
                &hire,
                address,
                &mut reporter,
                deadline,
                interval,
                &mut stop,
            )
            .await
        }
        Some(Err(why)) => Outcome::Failed(None, why),
    };
    let (state, code, detail) = match outcome {
        Outcome::Exited(0) => {
            agent.metrics.jobs_finished.fetch_add(1, Relaxed);
            (JobState::Done, Some(0), None)
        }
        Outcome::Exited(code) => {
            agent.metrics.jobs_failed.fetch_add(1, Relaxed);
            (
                JobState::Failed,
                Some(code),
                Some(format!("exited with {code}")),
            )
        }
        Outcome::Failed(code, why) => {
            agent.metrics.jobs_failed.fetch_add(1, Relaxed);
            (JobState::Failed, code, Some(why))
        }
        // Stopped by the hire's end or the agent's shutdown: run again after a restart
        // if the hire still runs.
        Outcome::Stopped => (JobState::Stopped, None, None),
    };
    agent.log(format!(
        "hire {address}: job {}{}",
        state.as_str(),
        detail
            .as_deref()
            .map(|d| format!(": {d}"))
            .unwrap_or_default()
    ));
    if let Err(e) = agent
        .outbox
        .job_ended(&address, state, code, detail.as_deref())
    {
        agent.failed("recording a job", &e);
    }
}

enum Outcome {
    Exited(i32),
    Failed(Option<i32>, String),
    Stopped,
}

/// Writes job receipts: the compute used since the last one.
struct Reporter<'a> {
    agent: &'a Agent,
    hire: Pubkey,
    gpus: u64,
    log_path: PathBuf,
    since: Instant,
}

impl Reporter<'_> {
    /// Reports the wall time since the last report × the GPUs hired.
    fn report_elapsed(&mut self) {
        let ms = self.since.elapsed().as_millis() as u64;
        self.since = Instant::now();
        let hash = file_hash(&self.log_path);
        self.report(ms.saturating_mul(self.gpus), hash);
    }

    fn report(&self, units: u64, result_hash: [u8; 32]) {
        if units == 0 {
            return;
        }
        let receipt = Receipt {
            kind: ReceiptKind::LeaseJob,
            reference: self.hire,
            model: Pubkey::default(),
            compute_units: u32::try_from(units).unwrap_or(u32::MAX),
            result_hash,
            at: self.agent.chain.now(),
            amount: 0,
        };
        if let Err(e) = self.agent.outbox.job_report(&receipt) {
            self.agent.failed("recording a job report", &e);
        }
    }
}

fn file_hash(path: &std::path::Path) -> [u8; 32] {
    let bytes = std::fs::read(path).unwrap_or_default();
    Sha256::digest(&bytes).into()
}

/// The built-in workload: one benchmark run per interval, each reported with its
/// measured time and digest.
async fn builtin(
    agent: &Agent,
    reporter: &mut Reporter<'_>,
    deadline: i64,
    interval: Duration,
    stop: &mut watch::Receiver<bool>,
) -> Outcome {
    let mut round = 0u64;
    loop {
        if agent.chain.now() >= deadline || *stop.borrow() {
            return Outcome::Stopped;
        }
        let (device, size, rounds) = (
            agent.chain.device,
            agent.config.benchmark_size,
            agent.config.benchmark_rounds,
        );
        // A fresh input per round: the hire, the round and the epoch seed it.
        let seed_epoch = agent
            .chain
            .epoch()
            .wrapping_mul(1 << 20)
            .wrapping_add(round);
        let proof = tokio::task::spawn_blocking(move || {
            crate::benchmark::run(&device, seed_epoch, size, rounds)
        })
        .await
        .expect("the benchmark does not panic");
        round += 1;
        let ms = proof.elapsed.as_millis().max(1) as u64;
        reporter.report(ms.saturating_mul(reporter.gpus), proof.digest);
        if !pause(stop, interval).await {
            return Outcome::Stopped;
        }
    }
}

/// Runs a job process (its own process group, killed with the agent), reporting every
/// interval, until it exits or must stop.
#[allow(clippy::too_many_arguments)]
async fn process(
    agent: &Agent,
    mut command: tokio::process::Command,
    hire: &Hire,
    address: Pubkey,
    reporter: &mut Reporter<'_>,
    deadline: i64,
    interval: Duration,
    stop: &mut watch::Receiver<bool>,
) -> Outcome {
    let log = match std::fs::create_dir_all(reporter.log_path.parent().expect("a jobs dir"))
        .and_then(|()| {
            std::fs::OpenOptions::new()
                .create(true)
                .append(true)
                .open(&reporter.log_path)
        }) {
        Ok(log) => log,
        Err(e) => return Outcome::Failed(None, format!("job log: {e}")),
    };
    let err_log = match log.try_clone() {
        Ok(l) => l,
        Err(e) => return Outcome::Failed(None, format!("job log: {e}")),
    };
    command
        .env("GPUNET_HIRE", address.to_string())
        .env("GPUNET_LEASE", hire.lease.to_string())
        .env("GPUNET_DEVICE", agent.chain.device.to_string())
        .env("GPUNET_GPUS", hire.gpu_count.to_string())
        .stdin(Stdio::null())
        .stdout(log)
        .stderr(err_log)
        .kill_on_drop(true);
    // SAFETY: only async-signal-safe calls between fork and exec.
    unsafe {
        command.pre_exec(|| {
            libc::setpgid(0, 0);
            libc::prctl(libc::PR_SET_PDEATHSIG, libc::SIGKILL);
            Ok(())
        });
    }
    let mut child = match command.spawn() {
        Ok(child) => child,
        Err(e) => return Outcome::Failed(None, format!("cannot start the job: {e}")),
    };
    let pid = child.id();
    let mut ticker = tokio::time::interval(interval);
    ticker.tick().await;
    loop {
        tokio::select! {
            status = child.wait() => {
                reporter.report_elapsed();
                return match status {
                    Ok(status) => match status.code() {
                        Some(code) => Outcome::Exited(code),
                        None => Outcome::Failed(None, format!("ended by {status}")),
                    },
                    Err(e) => Outcome::Failed(None, e.to_string()),
                };
            }
            _ = ticker.tick() => {
                reporter.report_elapsed();
                if agent.chain.now() >= deadline {
                    terminate(pid, &mut child).await;
                    return Outcome::Stopped;
                }
            }
            _ = stop.changed() => {
                terminate(pid, &mut child).await;
                reporter.report_elapsed();
                return Outcome::Stopped;
            }
        }
    }
}

/// SIGTERM to the job's process group, SIGKILL after 5 s.
async fn terminate(pid: Option<u32>, child: &mut tokio::process::Child) {
    if let Some(pid) = pid {
        // SAFETY: signals the job's own process group.
        unsafe {
            libc::kill(-(pid as i32), libc::SIGTERM);
        }
    }
    if tokio::time::timeout(Duration::from_secs(5), child.wait())
        .await
        .is_err()
    {
        if let Some(pid) = pid {
            // SAFETY: as above.
            unsafe {
                libc::kill(-(pid as i32), libc::SIGKILL);
            }
        }
        let _ = child.wait().await;
    }
}

/// The configured container runtime, or `podman` / `docker` when installed.
fn container_runtime(agent: &Agent) -> Option<String> {
    if let Some(runtime) = &agent.config.container_runtime {
        return Some(runtime.clone());
    }
    ["podman", "docker"]
        .into_iter()
        .find_map(on_path)
        .map(|p| p.display().to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn job_specs_parse_by_scheme() {
        assert_eq!(JobSpec::parse("").unwrap(), JobSpec::Builtin);
        assert_eq!(
            JobSpec::parse("cmd:echo hi").unwrap(),
            JobSpec::Command("echo hi".into())
        );
        assert_eq!(
            JobSpec::parse("image:alpine:3").unwrap(),
            JobSpec::Image("alpine:3".into())
        );
        assert!(JobSpec::parse("ftp://x").is_err());
    }

    #[test]
    fn reports_come_four_times_an_epoch_within_bounds() {
        assert_eq!(report_interval(3600), Duration::from_secs(900));
        assert_eq!(report_interval(4), Duration::from_secs(1));
        assert_eq!(report_interval(60), Duration::from_secs(15));
        assert_eq!(report_interval(7200), Duration::from_secs(900));
    }
}
