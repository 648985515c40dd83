//! End-to-end tests: LLVM IR fixtures -> `llc` (upstream LLVM 22, eBPF object) ->
//! `relink` -> loaded, verified and executed by the exact loader/VM agave 4.2.2 uses
//! (solana-sbpf 0.21.1), in the interpreter and the JIT.
//!
//! `llc` is required: the project installs LLVM 22. Set `LLC` to override its path.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::Arc;

use gpunet_sbf_link::{RelinkError, RelinkOptions, SYSCALLS, relink};
use solana_sbpf::{
    aligned_memory::AlignedMemory,
    declare_builtin_function,
    ebpf::{self, HOST_ALIGN},
    elf::{ElfError, Executable},
    error::{EbpfError, ProgramResult},
    memory_region::{AccessType, MemoryMapping, MemoryRegion},
    program::{BuiltinFunctionDefinition, BuiltinProgram, SBPFVersion},
    verifier::RequisiteVerifier,
    vm::{CallFrame, Config, ContextObject, EbpfVm, ExecutionMode},
};

// ---------------------------------------------------------------------------
// Building fixtures

fn llc() -> PathBuf {
    if let Some(path) = std::env::var_os("LLC") {
        return PathBuf::from(path);
    }
    let default = Path::new("/usr/lib/llvm-22/bin/llc");
    if default.exists() {
        return default.to_path_buf();
    }
    PathBuf::from("llc-22")
}

/// Compiles `tests/fixtures/<name>.ll` exactly as the toolchain does (plus `extra` flags).
/// The object goes to stdout, so tests running in parallel never share a file.
fn compile(name: &str, extra: &[&str]) -> Vec<u8> {
    let fixture = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures")
        .join(format!("{name}.ll"));
    let llc = llc();
    let output = Command::new(&llc)
        .args([
            "-march=bpfel",
            "-mcpu=v2",
            "-mattr=+allows-misaligned-mem-access",
            "-bpf-stack-size=4096",
            "-filetype=obj",
        ])
        .args(extra)
        .arg(&fixture)
        .args(["-o", "-"])
        .output()
        .unwrap_or_else(|e| {
            panic!(
                "cannot run {} ({e}); LLVM 22's llc is required (set LLC to its path)",
                llc.display()
            )
        });
    assert!(
        output.status.success(),
        "llc failed on {}: {}",
        fixture.display(),
        String::from_utf8_lossy(&output.stderr)
    );
    output.stdout
}

fn relink_fixture(name: &str, extra: &[&str]) -> Vec<u8> {
    relink(&compile(name, extra), &RelinkOptions::default())
        .unwrap_or_else(|e| panic!("relinking {name}: {e}"))
}

// ---------------------------------------------------------------------------
// A minimal runtime: agave's V0 loader settings and a few syscalls

struct Context {
    remaining: u64,
    mapping: MemoryMapping,
    logs: Vec<String>,
}

impl ContextObject for Context {
    fn consume(&mut self, amount: u64) {
        self.remaining = self.remaining.saturating_sub(amount);
    }
    fn get_remaining(&self) -> u64 {
        self.remaining
    }
    fn active_mapping_ptr(&mut self) -> std::ptr::NonNull<MemoryMapping> {
        std::ptr::NonNull::from(&mut self.mapping)
    }
}

declare_builtin_function!(
    /// `sol_log_(ptr, len)`: records the UTF-8 string.
    SyscallLog,
    fn rust(
        ctx: &mut Context,
        addr: u64,
        len: u64,
        _arg3: u64,
        _arg4: u64,
        _arg5: u64,
    ) -> Result<u64, Box<dyn std::error::Error>> {
        let host = match ctx.mapping.map(AccessType::Load, addr, len) {
            ProgramResult::Ok(host) => host,
            ProgramResult::Err(err) => return Err(Box::new(err)),
        };
        // SAFETY: `map` checked that [host, host + len) is inside a mapped region.
        let bytes = unsafe { std::slice::from_raw_parts(host as *const u8, len as usize) };
        ctx.logs.push(String::from_utf8(bytes.to_vec())?);
        Ok(0)
    }
);

declare_builtin_function!(
    /// `abort()`: records the call and fails the program, like agave's.
    SyscallAbort,
    fn rust(
        ctx: &mut Context,
        _arg1: u64,
        _arg2: u64,
        _arg3: u64,
        _arg4: u64,
        _arg5: u64,
    ) -> Result<u64, Box<dyn std::error::Error>> {
        ctx.logs.push("<abort>".to_owned());
        Err("program aborted".into())
    }
);

/// Loader settings of `solana_syscalls::create_program_runtime_environment` (agave
/// 4.2.2) for mainnet with V0 enabled, as morphed for deployment
/// (`reject_broken_elfs = true`). The three variants cover the feature switches that
/// change how an ELF is loaded or memory is mapped.
#[derive(Clone, Copy, Debug)]
enum Runtime {
    /// `virtual_address_space_adjustments` inactive, no debugging features.
    Mainnet,
    /// `virtual_address_space_adjustments` active: no stack gaps, unaligned mapping.
    AddressSpaceAdjustments,
    /// `debugging_features`: symbol and section labels (changes ELF loading).
    Debugging,
}

const RUNTIMES: [Runtime; 3] = [
    Runtime::Mainnet,
    Runtime::AddressSpaceAdjustments,
    Runtime::Debugging,
];

fn config(runtime: Runtime) -> Config {
    let adjustments = matches!(runtime, Runtime::AddressSpaceAdjustments);
    let debugging = matches!(runtime, Runtime::Debugging);
    Config {
        max_call_depth: 64,
        stack_frame_size: 4096,
        enable_address_translation: true,
        enable_stack_frame_gaps: !adjustments,
        instruction_meter_checkpoint_distance: 10000,
        enable_instruction_meter: true,
        enable_register_tracing: debugging,
        enable_symbol_and_section_labels: debugging,
        reject_broken_elfs: true,
        enabled_sbpf_versions: SBPFVersion::V0..=SBPFVersion::V0,
        optimize_rodata: false,
        aligned_memory_mapping: !adjustments,
        allow_memory_region_zero: false,
        ..Config::default()
    }
}

fn loader(runtime: Runtime) -> Arc<BuiltinProgram<Context>> {
    let mut loader = BuiltinProgram::new_loader(config(runtime));
    SyscallLog::register(&mut loader, "sol_log_").expect("register sol_log_");
    SyscallAbort::register(&mut loader, "abort").expect("register abort");
    Arc::new(loader)
}

fn load(so: &[u8], runtime: Runtime) -> Result<Executable<Context>, ElfError> {
    Executable::load(so, loader(runtime))
}

#[derive(Debug, PartialEq)]
struct Outcome {
    result: Result<u64, String>,
    logs: Vec<String>,
}

/// Runs the program with `input` mapped at MM_INPUT_START (r1), as agave does.
fn execute(executable: &Executable<Context>, input: &[u8], jit: bool) -> Outcome {
    let config = executable.get_config();
    let version = executable.get_sbpf_version();
    assert_eq!(version, SBPFVersion::V0);
    let mut stack = AlignedMemory::<HOST_ALIGN>::zero_filled(config.stack_size());
    let stack_len = stack.len();
    let mut heap = AlignedMemory::<HOST_ALIGN>::zero_filled(32 * 1024);
    let mut input_mem = AlignedMemory::<HOST_ALIGN>::from_slice(input);
    let gap = if version.stack_frame_gaps() && config.enable_stack_frame_gaps {
        config.stack_frame_size as u64
    } else {
        0
    };
    let regions = vec![
        executable.get_ro_region(),
        MemoryRegion::new_gapped(&mut stack, ebpf::MM_STACK_START, gap),
        MemoryRegion::new(&mut heap, ebpf::MM_HEAP_START),
        MemoryRegion::new(&mut input_mem, ebpf::MM_INPUT_START),
    ];
    // SAFETY: stack, heap and input outlive the mapping (all dropped at the end of this fn).
    let mapping = unsafe { MemoryMapping::new(regions, config, version) }.expect("memory mapping");
    let mut context = Context {
        remaining: 100_000,
        mapping,
        logs: Vec::new(),
    };
    let result = {
        let mut vm = EbpfVm::new(
            executable.get_loader().clone(),
            version,
            &mut context,
            stack_len,
        );
        vm.registers[1] = ebpf::MM_INPUT_START;
        let (_, result) = if jit {
            vm.execute_program(executable, &mut ExecutionMode::Jit, &mut [])
        } else {
            let mut frames = vec![CallFrame::default(); config.max_call_depth];
            vm.execute_program(executable, &mut ExecutionMode::Interpreted, &mut frames)
        };
        Result::<u64, EbpfError>::from(result).map_err(|e| e.to_string())
    };
    Outcome {
        result,
        logs: context.logs,
    }
}

/// JIT-compiles and runs, where solana-sbpf has a JIT (x86_64, like validators).
#[cfg(all(target_arch = "x86_64", not(target_os = "windows")))]
fn execute_jit(executable: &Executable<Context>, input: &[u8]) -> Option<Outcome> {
    executable.jit_compile().expect("JIT compilation");
    Some(execute(executable, input, true))
}

#[cfg(not(all(target_arch = "x86_64", not(target_os = "windows"))))]
fn execute_jit(_executable: &Executable<Context>, _input: &[u8]) -> Option<Outcome> {
    None
}

/// Loads `so` under every runtime variant, verifies it like deployment does, runs it in
/// the interpreter and the JIT, checks both agree, and returns the outcome.
fn run(so: &[u8], input: &[u8]) -> Outcome {
    let mut outcomes = Vec::new();
    for runtime in RUNTIMES {
        let executable =
            load(so, runtime).unwrap_or_else(|e| panic!("loading under {runtime:?}: {e}"));
        executable
            .verify::<RequisiteVerifier>()
            .unwrap_or_else(|e| panic!("verifying under {runtime:?}: {e}"));
        let interpreted = execute(&executable, input, false);
        if let Some(jitted) = execute_jit(&executable, input) {
            assert_eq!(
                interpreted, jitted,
                "interpreter and JIT disagree under {runtime:?}"
            );
        }
        outcomes.push(interpreted);
    }
    let first = outcomes.remove(0);
    for other in outcomes {
        assert_eq!(first, other, "runtime variants disagree");
    }
    first
}

fn ok(value: u64, logs: &[&str]) -> Outcome {
    Outcome {
        result: Ok(value),
        logs: logs.iter().map(|s| s.to_string()).collect(),
    }
}

// ---------------------------------------------------------------------------
// Output shape

fn header_u16(so: &[u8], at: usize) -> u16 {
    u16::from_le_bytes([so[at], so[at + 1]])
}

fn header_u32(so: &[u8], at: usize) -> u32 {
    u32::from_le_bytes(so[at..at + 4].try_into().unwrap())
}

#[test]
fn output_is_an_sbfv0_shared_object() {
    let so = relink_fixture("vtable", &[]);
    assert_eq!(&so[..4], b"\x7fELF");
    assert_eq!(so[4], 2, "ELFCLASS64");
    assert_eq!(so[5], 1, "little endian");
    assert_eq!(header_u16(&so, 16), 3, "ET_DYN");
    assert_eq!(header_u16(&so, 18), 247, "EM_BPF");
    assert_eq!(header_u32(&so, 48), 0, "e_flags 0 = SBPF V0");

    // Section names, via the object crate's generic reader.
    use object::{Object, ObjectSection};
    let file = object::File::parse(&*so).expect("parse output");
    let names: Vec<_> = file
        .sections()
        .map(|s| s.name().unwrap().to_owned())
        .collect();
    assert_eq!(
        names,
        [
            ".text",
            ".rodata",
            ".dynsym",
            ".dynstr",
            ".rel.dyn",
            ".dynamic",
            ".shstrtab"
        ]
    );
    for section in file.sections() {
        let name = section.name().unwrap();
        if name != ".shstrtab" {
            assert_eq!(
                section.address(),
                section.file_range().unwrap().0,
                "{name}: vaddr != offset"
            );
        }
    }
}

// ---------------------------------------------------------------------------
// Behaviour

#[test]
fn returns_a_constant_from_the_entrypoint() {
    // `not_the_entry` (returning 7) comes first in .text: e_entry must be `entrypoint`.
    let so = relink_fixture("const", &[]);
    assert_eq!(run(&so, &[0; 8]), ok(42, &[]));
}

#[test]
fn internal_calls_are_pc_relative() {
    // add_one(4) = 5, triple(5) = 15, fact(5) = 120
    let so = relink_fixture("calls", &[]);
    assert_eq!(run(&so, &[0; 8]), ok(135, &[]));
}

#[test]
fn cross_section_calls_are_resolved() {
    // With -function-sections every call is an R_BPF_64_32 relocation, the local one
    // against a section symbol.
    let so = relink_fixture("calls", &["-function-sections", "-data-sections"]);
    assert_eq!(run(&so, &[0; 8]), ok(135, &[]));
}

#[test]
fn calls_into_a_shared_section_use_the_implicit_addend() {
    // second(1) = 101, first(101) = 505; ignoring the addend would call `first` twice.
    let so = relink_fixture("sections", &[]);
    assert_eq!(run(&so, &[0; 8]), ok(505, &[]));
}

#[test]
fn rodata_strings_are_logged_through_a_syscall() {
    let so = relink_fixture("log", &[]);
    assert_eq!(run(&so, &[0; 8]), ok(0, &["hello, solana!", "orl"]));
}

#[test]
fn a_security_txt_section_is_read_only_data_with_its_pointer_relocated() {
    let so = relink_fixture("security_txt", &[]);
    assert_eq!(run(&so, &[0; 8]), ok(0, &["BEGIN\0name\0END\0"]));
}

#[test]
fn rodata_strings_in_separate_sections() {
    let so = relink_fixture("log", &["-data-sections", "-function-sections"]);
    assert_eq!(run(&so, &[0; 8]), ok(0, &["hello, solana!", "orl"]));
}

fn vtable_input(index: u64, flag: u8) -> Vec<u8> {
    let mut input = index.to_le_bytes().to_vec();
    input.push(flag);
    input.resize(16, 0);
    input
}

#[test]
fn function_pointer_tables_and_callx() {
    let logs = ["via table", "table"];
    for extra in [&[][..], &["-function-sections", "-data-sections"][..]] {
        let so = relink_fixture("vtable", extra);
        // table[0] = double: 14, then lddw'd double: 28
        assert_eq!(run(&so, &vtable_input(0, 0)), ok(28, &logs), "{extra:?}");
        // table[1] = square: 49, then double: 98
        assert_eq!(run(&so, &vtable_input(1, 0)), ok(98, &logs), "{extra:?}");
        // table[2] = plus_ten (global symbol, not a section symbol): 17, then square: 289
        assert_eq!(run(&so, &vtable_input(2, 1)), ok(289, &logs), "{extra:?}");
    }
}

#[test]
fn bpf_trap_becomes_abort() {
    let so = relink_fixture("trap", &[]);
    assert_eq!(run(&so, &0u64.to_le_bytes()), ok(1, &[]));
    let outcome = run(&so, &1u64.to_le_bytes());
    assert_eq!(outcome.logs, ["<abort>"]);
    let err = outcome.result.expect_err("abort must fail the program");
    assert!(err.contains("program aborted"), "{err}");
}

#[test]
fn undefined_weak_symbols_have_address_zero() {
    let so = relink_fixture("weak", &[]);
    assert_eq!(run(&so, &[0; 8]), ok(11, &[]));
}

#[test]
fn empty_bss_is_tolerated() {
    let so = relink_fixture("empty_bss", &[]);
    assert_eq!(run(&so, &[0; 8]), ok(5, &[]));
}

// ---------------------------------------------------------------------------
// Refusals

#[test]
fn writable_data_is_refused_naming_the_symbols() {
    let object = compile("writable", &[]);
    let err = relink(&object, &RelinkOptions::default()).expect_err("must refuse");
    assert_eq!(
        err,
        RelinkError::WritableData {
            sections: vec![".bss".into(), ".data".into()],
            symbols: vec!["STATE".into(), "program::COUNTER".into()],
        }
    );
    let message = err.to_string();
    assert!(
        message.contains("program::COUNTER") && message.contains("STATE"),
        "{message}"
    );
}

#[test]
fn unknown_external_symbols_are_refused() {
    let object = compile("unknown", &[]);
    let err = relink(&object, &RelinkOptions::default()).expect_err("must refuse");
    assert_eq!(
        err,
        RelinkError::UnknownSyscalls {
            names: vec!["not_a_syscall".into()]
        }
    );
    assert!(err.to_string().contains("not_a_syscall"));

    // Allowed explicitly, it links; agave's loader (reject_broken_elfs) then refuses it.
    for opts in [
        RelinkOptions {
            allow_unknown_externals: true,
            ..RelinkOptions::default()
        },
        RelinkOptions {
            extra_syscalls: vec!["not_a_syscall".into()],
            ..RelinkOptions::default()
        },
    ] {
        let so = relink(&object, &opts).expect("allowed unknown external");
        match load(&so, Runtime::Mainnet) {
            Err(ElfError::UnresolvedSymbol(name, _, _)) => assert_eq!(name, "not_a_syscall"),
            other => panic!("expected UnresolvedSymbol, got {:?}", other.map(|_| ())),
        }
    }
}

#[test]
fn absolute_32_bit_addresses_are_refused() {
    let object = compile("abs32", &[]);
    let err = relink(&object, &RelinkOptions::default()).expect_err("must refuse");
    assert!(
        matches!(&err, RelinkError::UnsupportedRelocation { relocation, .. }
            if relocation.starts_with("R_BPF_64_ABS32")),
        "{err:?}"
    );
}

#[test]
fn missing_entrypoint() {
    let object = compile("no_entry", &[]);
    assert_eq!(
        relink(&object, &RelinkOptions::default()),
        Err(RelinkError::NoEntrypoint)
    );
    let opts = RelinkOptions {
        allow_missing_entrypoint: true,
        ..RelinkOptions::default()
    };
    let so = relink(&object, &opts).expect("allowed missing entrypoint");
    // Entry is the start of .text, so it still loads (and runs `helper`).
    let executable = load(&so, Runtime::Mainnet).expect("loads");
    assert_eq!(executable.get_entrypoint_instruction_offset(), 0);
}

#[test]
fn not_an_object() {
    assert!(matches!(
        relink(b"not an elf at all", &RelinkOptions::default()),
        Err(RelinkError::MalformedInput(_))
    ));
    // An already linked shared object is not a relocatable input.
    let so = relink_fixture("const", &[]);
    assert_eq!(
        relink(&so, &RelinkOptions::default()),
        Err(RelinkError::NotRelocatable { e_type: 3 })
    );
}

// ---------------------------------------------------------------------------
// Determinism and the syscall list

#[test]
fn output_is_deterministic() {
    for name in ["vtable", "log", "calls"] {
        let object = compile(name, &[]);
        let first = relink(&object, &RelinkOptions::default()).expect("relink");
        let second = relink(&object, &RelinkOptions::default()).expect("relink");
        assert_eq!(first, second, "{name}: same object, different output");
        // A fresh llc run must give the same bytes end to end too.
        let again = relink(&compile(name, &[]), &RelinkOptions::default()).expect("relink");
        assert_eq!(first, again, "{name}: recompiled object, different output");
    }
}

#[test]
fn syscall_list_has_no_duplicates_and_excludes_alloc_free() {
    let mut names = SYSCALLS.to_vec();
    names.sort_unstable();
    names.dedup();
    assert_eq!(names.len(), SYSCALLS.len());
    assert!(!SYSCALLS.contains(&"sol_alloc_free_"));
    assert!(SYSCALLS.contains(&"abort") && SYSCALLS.contains(&"sol_log_"));
}
