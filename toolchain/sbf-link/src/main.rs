//! `gpunet-sbf-link`: the linker rustc calls for the `sbf-solana-solana` target.
//!
//! rustc's `bpf` linker flavour hands us bitcode objects and rlibs with bpf-linker's
//! command line. We turn them into a Solana SBFv0 shared object in four steps, any
//! error being fatal (upstream LLVM's BPF backend reports some errors and then keeps
//! going with wrong code, so "it produced a file" proves nothing):
//!
//! 1. `bpf-linker --emit llvm-bc`: link every crate's bitcode into one module, exporting
//!    the Solana syscall names so their declarations keep their arguments.
//! 2. `opt-22` with our legalisation plugin (toolchain/llvm): rewrite what the BPF
//!    backend cannot lower (more than five arguments, i128 arithmetic, 64-bit
//!    multiply-with-overflow, variable-length mem intrinsics) and reject floats.
//! 3. `llc-22`: eBPF object code.
//! 4. the relinker (this crate's library): relocatable eBPF object -> SBFv0 `.so`.
//!
//! Tool locations come from the environment that `toolchain/build-sbf` sets:
//! `GPUNET_SBF_HOME` (bpf-linker and the pass plugin) and `GPUNET_LLVM_BIN`.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitCode};

use gpunet_sbf_link::{RelinkError, RelinkOptions, SYSCALLS, relink};

/// The opt pipeline (see toolchain/llvm/README.md): LLVM's own wide div/rem expansion
/// first (its output contains i128 shifts and multiplies that our pass then expands), our
/// legalisation, cleanup, and a final legalisation run that also checks what is left
/// (floats, anything the backend would mis-lower) and fails the build on it.
const OPT_PIPELINE: &str = "require<libcall-lowering-info>,function(expand-ir-insts<O2>),\
sbf-legalize<no-check>,function(instcombine<no-verify-fixpoint>,simplifycfg),sbf-legalize";

fn main() -> ExitCode {
    match run() {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("gpunet-sbf-link: error: {message}");
            ExitCode::FAILURE
        }
    }
}

struct Tools {
    bpf_linker: PathBuf,
    opt: PathBuf,
    llc: PathBuf,
    plugin: PathBuf,
}

impl Tools {
    fn from_env() -> Result<Self, String> {
        let home = std::env::var_os("GPUNET_SBF_HOME")
            .map(PathBuf::from)
            .ok_or("GPUNET_SBF_HOME is not set (run the build through toolchain/build-sbf)")?;
        let llvm_bin = std::env::var_os("GPUNET_LLVM_BIN")
            .map(PathBuf::from)
            .unwrap_or_else(|| PathBuf::from("/usr/lib/llvm-22/bin"));
        let tools = Tools {
            bpf_linker: home.join("bin/bpf-linker"),
            opt: llvm_bin.join("opt"),
            llc: llvm_bin.join("llc"),
            plugin: home.join("lib/libsbf-legalize.so"),
        };
        for path in [&tools.bpf_linker, &tools.opt, &tools.llc, &tools.plugin] {
            if !path.exists() {
                return Err(format!(
                    "{} is missing (run toolchain/build-sbf, which installs it)",
                    path.display()
                ));
            }
        }
        Ok(tools)
    }
}

fn run() -> Result<(), String> {
    let args: Vec<OsString> = std::env::args_os().skip(1).collect();
    let (output, forwarded) = split_output(&args)?;
    let tools = Tools::from_env()?;

    let stem = output.with_extension("");
    let linked = stem.with_extension("linked.bc");
    let legal = stem.with_extension("legal.bc");
    let object = stem.with_extension("o");

    // 1. link bitcode
    let mut link = Command::new(&tools.bpf_linker);
    link.args(&forwarded)
        .arg("--emit")
        .arg("llvm-bc")
        .arg("--cpu-features=+allows-misaligned-mem-access")
        .arg("--export")
        .arg(SYSCALLS.join(","))
        .arg("-o")
        .arg(&linked);
    run_tool("bpf-linker", &mut link)?;

    // 2. legalise
    let mut opt = Command::new(&tools.opt);
    opt.arg(format!("-load-pass-plugin={}", tools.plugin.display()))
        .arg(format!("-passes={OPT_PIPELINE}"))
        .arg("-expand-div-rem-bits=64")
        .arg(&linked)
        .arg("-o")
        .arg(&legal);
    run_tool("opt (sbf-legalize)", &mut opt)?;

    // 3. code generation
    let mut llc = Command::new(&tools.llc);
    llc.args([
        "-march=bpfel",
        "-mcpu=v2",
        "-mattr=+allows-misaligned-mem-access",
        "-bpf-stack-size=4096",
        "-filetype=obj",
    ])
    .arg(&legal)
    .arg("-o")
    .arg(&object);
    run_tool("llc", &mut llc)?;

    // 4. relink to SBFv0
    let bytes = std::fs::read(&object).map_err(|e| format!("reading {}: {e}", object.display()))?;
    let shared = match relink(&bytes, &RelinkOptions::default()) {
        Ok(shared) => shared,
        // A dependency that declares `cdylib` itself (solana-zk-sdk does) gets "linked"
        // too; it has no entrypoint and nobody deploys it.
        Err(RelinkError::NoEntrypoint) if !exports_entrypoint(&forwarded) => {
            eprintln!(
                "gpunet-sbf-link: note: {} has no `entrypoint`; leaving the object unlinked",
                output.display()
            );
            bytes
        }
        Err(e) => return Err(format!("relinking {}: {e}", object.display())),
    };
    std::fs::write(&output, shared).map_err(|e| format!("writing {}: {e}", output.display()))?;
    Ok(())
}

/// Separates `-o <path>` / `--output <path>` from the arguments forwarded to bpf-linker.
fn split_output(args: &[OsString]) -> Result<(PathBuf, Vec<OsString>), String> {
    let mut output = None;
    let mut forwarded = Vec::with_capacity(args.len());
    let mut iter = args.iter();
    while let Some(arg) = iter.next() {
        match arg.to_str() {
            Some("-o" | "--output") => {
                let path = iter.next().ok_or("-o needs a path")?;
                output = Some(PathBuf::from(path));
            }
            // rustc asks for debug info; SBF programs ship without it.
            Some("--debug") => {}
            _ => forwarded.push(arg.clone()),
        }
    }
    let output = output.ok_or("no output path (-o) given")?;
    Ok((output, forwarded))
}

/// Whether rustc asked us to export `entrypoint` (a real program) rather than nothing.
fn exports_entrypoint(args: &[OsString]) -> bool {
    let Some(at) = args.iter().position(|arg| arg == "--export-symbols") else {
        return false;
    };
    let Some(path) = args.get(at + 1) else {
        return false;
    };
    let symbols = std::fs::read_to_string(Path::new(path)).unwrap_or_default();
    symbols.lines().any(|line| line.trim() == "entrypoint")
}

/// Runs a tool, echoing its diagnostics, and fails if it fails OR if it printed any
/// `error` diagnostic (LLVM's BPF backend reports some errors without failing).
fn run_tool(name: &str, command: &mut Command) -> Result<(), String> {
    let out = command
        .output()
        .map_err(|e| format!("cannot run {name} ({:?}): {e}", command.get_program()))?;
    let stderr = String::from_utf8_lossy(&out.stderr);
    if !stderr.trim().is_empty() {
        eprint!("{stderr}");
    }
    if !out.status.success() {
        return Err(format!("{name} failed ({})", out.status));
    }
    if stderr
        .lines()
        .any(|line| line.contains("error:") || line.contains("error "))
    {
        return Err(format!(
            "{name} reported an error diagnostic; refusing to emit a program"
        ));
    }
    Ok(())
}
