//! `gpunet`: parses the command line, runs the command, prints its result or its error
//! (as JSON with `--json`), and exits non-zero on failure.

use std::ffi::OsString;
use std::process::ExitCode;

use clap::Parser;
use gpunet_cli::Outcome;
use gpunet_cli::args::Cli;
use gpunet_cli::output::Output;

/// The exit status of a command line that does not parse (clap's).
const USAGE_ERROR: u8 = 2;

fn main() -> ExitCode {
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(error) => return usage_error(&error, std::env::args_os()),
    };
    let out = Output { json: cli.json };
    let runtime = match tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()
    {
        Ok(runtime) => runtime,
        Err(e) => {
            out.error(&format!("cannot start the async runtime: {e}"));
            return ExitCode::FAILURE;
        }
    };
    match runtime.block_on(gpunet_cli::run(cli)) {
        Ok(Outcome::Done(value)) => {
            out.result(&value);
            ExitCode::SUCCESS
        }
        Ok(Outcome::Printed) => ExitCode::SUCCESS,
        Ok(Outcome::Failed(mut value)) => {
            if out.json {
                out.result(&value);
            } else {
                let error = value.as_object_mut().and_then(|v| v.remove("error"));
                out.result(&value);
                out.error(error.as_ref().and_then(|e| e.as_str()).unwrap_or("failed"));
            }
            ExitCode::FAILURE
        }
        Err(error) => {
            out.error(&error.0);
            ExitCode::FAILURE
        }
    }
}

/// A command line clap refused, or a request for help or the version (printed as usual,
/// exit status 0). With `--json` anywhere among the options the error is a JSON object on
/// stdout, like every other error of a `--json` run.
fn usage_error(error: &clap::Error, args: impl Iterator<Item = OsString>) -> ExitCode {
    let json = args
        .skip(1)
        .take_while(|a| a != "--")
        .any(|a| a == "--json");
    if !error.use_stderr() || !json {
        error.exit();
    }
    Output { json }.error(&gpunet_cli::args::usage_message(error));
    ExitCode::from(USAGE_ERROR)
}
