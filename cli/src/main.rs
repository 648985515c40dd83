//! `gpunet`: parses the command line, runs the command, prints its result or its error
//! (as JSON with `--json`), and exits non-zero on failure.

use std::process::ExitCode;

use clap::Parser;
use gpunet_cli::args::Cli;
use gpunet_cli::output::Output;

fn main() -> ExitCode {
    let cli = Cli::parse();
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
        Ok(Some(value)) => {
            out.result(&value);
            ExitCode::SUCCESS
        }
        Ok(None) => ExitCode::SUCCESS,
        Err(error) => {
            out.error(&error.0);
            ExitCode::FAILURE
        }
    }
}
