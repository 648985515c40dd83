//! The tour's worker agents: one real `gpunet-agent` process per device, each with its own
//! agent key, data directory, config file, simulated hardware profile and HTTP port, as a
//! supplier would run it on the device. They attest, run the lease's job, serve
//! inferences, settle and claim by themselves; the tour only watches the chain (and stops
//! one agent for an epoch).

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use gpunet_agent_config::config::{ModelConfig, Settings, Watch};
use gpunet_agent_config::hardware::HardwareOverrides;
use gpunet_sdk::Pubkey;
use gpunet_sdk::client::keyfile;
use solana_keypair::Keypair;

use crate::{CliError, Result};

/// The most compute units (GPU-ms) one inference may be charged at the tour's agents.
pub const MODEL_MAX_UNITS: u32 = 1_000;

/// Where the agents run and from which binary.
#[derive(Clone, Debug)]
pub struct FleetOptions {
    /// The `gpunet-agent` binary.
    pub binary: PathBuf,
    /// Each agent's data directory goes under it (`device-<i>/`), emptied first.
    pub dir: PathBuf,
    /// Agent `i` listens on 127.0.0.1:`base_port + i`; `None`: any free port.
    pub base_port: Option<u16>,
}

/// The `gpunet-agent` binary: `explicit`, else the one next to this executable, else
/// `gpunet-agent` on the PATH.
pub fn agent_binary(explicit: Option<&Path>) -> Result<PathBuf> {
    if let Some(path) = explicit {
        return if path.is_file() {
            Ok(path.to_path_buf())
        } else {
            Err(CliError(format!(
                "no gpunet-agent binary at {}",
                path.display()
            )))
        };
    }
    let sibling = std::env::current_exe()
        .ok()
        .and_then(|exe| Some(exe.parent()?.join("gpunet-agent")))
        .filter(|p| p.is_file());
    let on_path = || gpunet_agent_config::on_path("gpunet-agent");
    sibling.or_else(on_path).ok_or_else(|| {
        CliError(
            "the tour with agents needs the gpunet-agent binary: build it (cargo build -p \
             gpunet-agent) or pass --agent-bin"
                .into(),
        )
    })
}

/// What one agent runs for.
pub struct AgentSpec {
    pub device: Pubkey,
    pub key: Keypair,
    /// The simulated hardware profile (see `gpunet_agent_config::hardware::PROFILES`).
    pub hardware: HardwareOverrides,
    /// Models it serves: (model address, inference command).
    pub models: Vec<(Pubkey, String)>,
}

struct Member {
    device: Pubkey,
    dir: PathBuf,
    url: String,
    child: Option<Child>,
}

pub struct Fleet {
    options: FleetOptions,
    members: Vec<Member>,
}

/// The chain the agents talk to.
pub struct Chain<'a> {
    pub rpc_url: &'a str,
    pub grpc_url: Option<&'a str>,
    pub verifier_keypairs: &'a [PathBuf],
}

impl Fleet {
    pub fn new(options: FleetOptions) -> Fleet {
        Fleet {
            options,
            members: Vec::new(),
        }
    }

    /// Writes agent `spec`'s key and config file (the agent's data directory is emptied
    /// first: a new chain, a new agent). Returns its index.
    pub fn add(&mut self, spec: AgentSpec, chain: &Chain) -> Result<usize> {
        let i = self.members.len();
        let dir = self.options.dir.join(format!("device-{i}"));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir)
            .map_err(|e| CliError(format!("cannot create {}: {e}", dir.display())))?;
        let keypair = dir.join("agent-keypair.json");
        keyfile::write(&spec.key, &keypair).map_err(CliError)?;
        let port = match self.options.base_port {
            Some(base) => base
                .checked_add(i as u16)
                .ok_or_else(|| CliError(format!("no port for agent {i} above {base}")))?,
            None => free_port()?,
        };
        let settings = Settings {
            rpc_url: Some(chain.rpc_url.to_string()),
            watch: Some(if chain.grpc_url.is_some() {
                Watch::Yellowstone
            } else {
                Watch::Rpc
            }),
            grpc_url: chain.grpc_url.map(str::to_string),
            keypair: Some(keypair),
            device: Some(spec.device.to_string()),
            listen: Some(format!("127.0.0.1:{port}")),
            poll_ms: Some(250),
            batch_wait_ms: Some(1_000),
            benchmark_size: Some(64),
            settle_every_epochs: Some(1),
            claim_every_epochs: Some(1),
            verifier_keypairs: Some(chain.verifier_keypairs.to_vec()),
            hardware: Some(spec.hardware),
            models: Some(
                spec.models
                    .iter()
                    .map(|(model, command)| ModelConfig {
                        address: model.to_string(),
                        command: command.clone(),
                        max_units: Some(MODEL_MAX_UNITS),
                    })
                    .collect(),
            ),
            ..Settings::default()
        };
        settings.write(&dir.join("agent.toml")).map_err(CliError)?;
        self.members.push(Member {
            device: spec.device,
            dir,
            url: format!("http://127.0.0.1:{port}"),
            child: None,
        });
        Ok(i)
    }

    pub fn len(&self) -> usize {
        self.members.len()
    }

    pub fn is_empty(&self) -> bool {
        self.members.is_empty()
    }

    /// Agent `i`'s HTTP endpoint (health, metrics, inference).
    pub fn url(&self, i: usize) -> &str {
        &self.members[i].url
    }

    /// Agent `i`'s log file.
    pub fn log(&self, i: usize) -> PathBuf {
        self.members[i].dir.join("agent.log")
    }

    pub fn device(&self, i: usize) -> Pubkey {
        self.members[i].device
    }

    /// Starts agent `i` and waits until it answers on `/health`.
    pub async fn start(&mut self, i: usize) -> Result<()> {
        let member = &mut self.members[i];
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(member.dir.join("agent.log"))
            .map_err(|e| CliError(format!("agent log: {e}")))?;
        let child = Command::new(&self.options.binary)
            .arg("--data-dir")
            .arg(&member.dir)
            .arg("--config")
            .arg(member.dir.join("agent.toml"))
            .arg("run")
            .env_remove("GPUNET_AGENT_FAULT")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(log)
            .spawn()
            .map_err(|e| {
                CliError(format!(
                    "cannot start {}: {e}",
                    self.options.binary.display()
                ))
            })?;
        member.child = Some(child);
        let health = format!("{}/health", member.url);
        let deadline = Instant::now() + Duration::from_secs(60);
        loop {
            if let Ok(response) = reqwest::get(&health).await
                && response.status().is_success()
            {
                return Ok(());
            }
            if let Some(Ok(Some(status))) = member.child.as_mut().map(Child::try_wait) {
                return Err(CliError(format!(
                    "agent {i} exited ({status}); see {}",
                    member.dir.join("agent.log").display()
                )));
            }
            if Instant::now() > deadline {
                return Err(CliError(format!(
                    "agent {i} did not answer on {health}; see {}",
                    member.dir.join("agent.log").display()
                )));
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Stops agent `i` (SIGTERM, then SIGKILL after 10 s) and waits for it.
    pub fn stop(&mut self, i: usize) {
        if let Some(child) = self.members[i].child.take() {
            stop(child);
        }
    }
}

impl Drop for Fleet {
    fn drop(&mut self) {
        for member in &mut self.members {
            if let Some(child) = member.child.take() {
                stop(child);
            }
        }
    }
}

fn stop(mut child: Child) {
    // SAFETY: signals a child process this fleet started.
    unsafe {
        libc::kill(child.id() as i32, libc::SIGTERM);
    }
    let deadline = Instant::now() + Duration::from_secs(10);
    while Instant::now() < deadline {
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    let _ = child.kill();
    let _ = child.wait();
}

fn free_port() -> Result<u16> {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .map_err(|e| CliError(format!("no free port: {e}")))
}
