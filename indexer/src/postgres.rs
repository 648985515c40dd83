//! A private PostgreSQL cluster for when no `DATABASE_URL` is given: initialised in a data
//! directory of its own on first use, started on a free local port, stopped when dropped.
//! The server binaries come from Debian's `postgresql` package, installed if missing.
//! PostgreSQL refuses to run as root, so as root the cluster belongs to the `postgres`
//! system user (created by the package) and its commands run through `runuser`.

use std::path::{Path, PathBuf};
use std::process::Command;

#[derive(Debug, thiserror::Error)]
pub enum PostgresError {
    #[error("PostgreSQL server binaries not found and `apt-get install postgresql` failed: {0}")]
    NotInstalled(String),
    #[error("{command}: {message}")]
    Command { command: String, message: String },
    #[error("{path}: {error}")]
    Io {
        path: PathBuf,
        error: std::io::Error,
    },
}

/// A running private cluster. Dropping it stops the server (the data stays).
pub struct PrivatePostgres {
    bin: PathBuf,
    data_dir: PathBuf,
    port: u16,
    running: bool,
}

/// The role and database the indexer uses in its private cluster.
const USER: &str = "gpunet";
const DATABASE: &str = "gpunet";

impl PrivatePostgres {
    /// Starts the cluster in `data_dir` (initialising it the first time) on `port`, and
    /// makes sure the `gpunet` database exists.
    pub fn start(data_dir: &Path, port: u16) -> Result<Self, PostgresError> {
        let bin = server_binaries()?;
        std::fs::create_dir_all(data_dir).map_err(|error| PostgresError::Io {
            path: data_dir.into(),
            error,
        })?;
        let data_dir = data_dir.canonicalize().map_err(|error| PostgresError::Io {
            path: data_dir.into(),
            error,
        })?;
        let mut pg = PrivatePostgres {
            bin,
            data_dir,
            port,
            running: false,
        };
        if !pg.data_dir.join("PG_VERSION").exists() {
            pg.initdb()?;
        }
        pg.resume()?;
        pg.ensure_database()?;
        Ok(pg)
    }

    /// `postgres://gpunet@127.0.0.1:<port>/gpunet`.
    pub fn url(&self) -> String {
        format!("postgres://{USER}@127.0.0.1:{}/{DATABASE}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Stops the server (fast shutdown: open connections are cut, committed data kept).
    pub fn stop(&mut self) -> Result<(), PostgresError> {
        if self.running {
            self.pg_ctl(&["stop", "-m", "fast", "-w"])?;
            self.running = false;
        }
        Ok(())
    }

    /// Starts the server again after [`stop`](Self::stop).
    pub fn resume(&mut self) -> Result<(), PostgresError> {
        if !self.running {
            let options = format!(
                "-p {} -c listen_addresses=127.0.0.1 -k {}",
                self.port,
                self.data_dir.display()
            );
            let log = self.data_dir.join("server.log");
            let log = log.to_string_lossy().into_owned();
            self.pg_ctl(&["start", "-w", "-t", "60", "-l", &log, "-o", &options])?;
            self.running = true;
        }
        Ok(())
    }

    fn initdb(&self) -> Result<(), PostgresError> {
        if as_root() {
            chown_to_postgres(&self.data_dir)?;
        }
        let data = self.data_dir.to_string_lossy().into_owned();
        run(self.command(
            "initdb",
            &[
                "-D",
                &data,
                "-U",
                USER,
                "--auth=trust",
                "-E",
                "UTF8",
                "--locale=C",
            ],
        ))
    }

    fn ensure_database(&self) -> Result<(), PostgresError> {
        let port = self.port.to_string();
        let exists = output(self.command(
            "psql",
            &[
                "-h",
                "127.0.0.1",
                "-p",
                &port,
                "-U",
                USER,
                "-d",
                "postgres",
                "-tAc",
                "SELECT 1 FROM pg_database WHERE datname = 'gpunet'",
            ],
        ))?;
        if exists.trim() != "1" {
            run(self.command(
                "createdb",
                &["-h", "127.0.0.1", "-p", &port, "-U", USER, DATABASE],
            ))?;
        }
        Ok(())
    }

    fn pg_ctl(&self, args: &[&str]) -> Result<(), PostgresError> {
        let data = self.data_dir.to_string_lossy().into_owned();
        let mut all = vec!["-D", &data];
        all.extend_from_slice(args);
        run(self.command("pg_ctl", &all))
    }

    /// `tool` from the server's bin directory, as the cluster's owner.
    fn command(&self, tool: &str, args: &[&str]) -> Command {
        let program = self.bin.join(tool);
        if as_root() {
            let mut command = Command::new("runuser");
            command
                .args(["-u", "postgres", "--"])
                .arg(program)
                .args(args);
            command
        } else {
            let mut command = Command::new(program);
            command.args(args);
            command
        }
    }
}

impl Drop for PrivatePostgres {
    fn drop(&mut self) {
        if let Err(e) = self.stop() {
            eprintln!("gpunet-indexer: stopping the private PostgreSQL: {e}");
        }
    }
}

fn as_root() -> bool {
    // SAFETY: geteuid has no preconditions and cannot fail.
    unsafe { libc::geteuid() == 0 }
}

fn chown_to_postgres(dir: &Path) -> Result<(), PostgresError> {
    let mut command = Command::new("chown");
    command.args(["-R", "postgres:postgres"]).arg(dir);
    run(command)
}

/// The newest installed server's bin directory; installs Debian's package when none is.
fn server_binaries() -> Result<PathBuf, PostgresError> {
    if let Some(bin) = newest_server() {
        return Ok(bin);
    }
    let mut install = if as_root() {
        Command::new("apt-get")
    } else {
        let mut sudo = Command::new("sudo");
        sudo.arg("apt-get");
        sudo
    };
    install
        .args(["install", "-y", "-q", "postgresql"])
        .env("DEBIAN_FRONTEND", "noninteractive");
    run(install).map_err(|e| PostgresError::NotInstalled(e.to_string()))?;
    newest_server().ok_or_else(|| PostgresError::NotInstalled("no initdb after install".into()))
}

fn newest_server() -> Option<PathBuf> {
    let mut versions: Vec<(u32, PathBuf)> = std::fs::read_dir("/usr/lib/postgresql")
        .ok()?
        .filter_map(|entry| {
            let entry = entry.ok()?;
            let version = entry.file_name().to_str()?.parse().ok()?;
            let bin = entry.path().join("bin");
            bin.join("initdb").exists().then_some((version, bin))
        })
        .collect();
    versions.sort();
    versions.pop().map(|(_, bin)| bin)
}

fn output(mut command: Command) -> Result<String, PostgresError> {
    let shown = format!("{command:?}");
    let out = command.output().map_err(|e| PostgresError::Command {
        command: shown.clone(),
        message: e.to_string(),
    })?;
    if !out.status.success() {
        return Err(PostgresError::Command {
            command: shown,
            message: String::from_utf8_lossy(&out.stderr).trim().to_string(),
        });
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

fn run(command: Command) -> Result<(), PostgresError> {
    output(command).map(|_| ())
}
