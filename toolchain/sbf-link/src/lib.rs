//! Relinks the relocatable eBPF object produced by upstream LLVM
//! (`llc -march=bpfel -mcpu=v2 -filetype=obj`) into the SBFv0 shared object that
//! Solana's loader (agave 4.2, solana-sbpf 0.21.1, SBPF version V0) deploys and runs.
//!
//! Upstream LLVM cannot emit that shared object itself: its BPF target has no dynamic
//! linking model, the V0 loader wants one `.text`, one read-only image whose addresses
//! equal file offsets, syscalls as named dynamic relocations, absolute addresses as
//! `R_BPF_64_RELATIVE` (with a legacy encoding for data), and `callx` with the register
//! in the imm field. The modules split the work:
//!
//! * `input`: reads the object with the `object` crate and classifies sections;
//! * `layout`: merges sections, assigns addresses, encodes the output ELF;
//! * `relocate`: resolves relocations into instruction/data encodings and dynamic
//!   relocations.
//!
//! The output is a pure function of the input bytes and options (no timestamps, no
//! hash-map iteration order), so identical input gives identical output.

mod input;
mod layout;
mod relocate;

use input::{InputObject, SectionKind, SymbolPlace};
use layout::{Entry, Placement};

/// Options for [`relink`].
#[derive(Debug, Clone, Default)]
pub struct RelinkOptions {
    /// Succeed without an `entrypoint` symbol (a dependency built as `cdylib` has none).
    /// `e_entry` is then the start of `.text` — not 0, because the loader rejects an
    /// entry outside `.text` and `.text` never starts at 0. Without this option a missing
    /// entrypoint is [`RelinkError::NoEntrypoint`].
    pub allow_missing_entrypoint: bool,
    /// Accept calls to undefined symbols that are not in [`SYSCALLS`] or
    /// [`extra_syscalls`](Self::extra_syscalls). The result will only load on a runtime
    /// that registers them (agave rejects unknown names at deployment).
    pub allow_unknown_externals: bool,
    /// Additional syscall names to accept (e.g. a feature-gated one added after this list).
    pub extra_syscalls: Vec<String>,
}

/// Syscall names registered by agave 4.2.2 (`solana-syscalls` 4.2.2,
/// `create_program_runtime_environment`), minus `sol_alloc_free_`, which deployment
/// refuses. Some are registered only while their feature is active: `sol_blake3`,
/// `sol_sha512`, `sol_curve_*`, `sol_get_fees_sysvar` (until fees are disabled),
/// `sol_get_last_restart_slot`, `sol_alt_bn128_*`, `sol_big_mod_exp`, `sol_poseidon`,
/// `sol_remaining_compute_units`, `sol_get_sysvar`, `sol_get_epoch_stake`.
pub const SYSCALLS: &[&str] = &[
    "abort",
    "sol_panic_",
    "sol_log_",
    "sol_log_64_",
    "sol_log_pubkey",
    "sol_log_compute_units_",
    "sol_log_data",
    "sol_create_program_address",
    "sol_try_find_program_address",
    "sol_sha256",
    "sol_keccak256",
    "sol_secp256k1_recover",
    "sol_blake3",
    "sol_sha512",
    "sol_curve_validate_point",
    "sol_curve_group_op",
    "sol_curve_multiscalar_mul",
    "sol_curve_decompress",
    "sol_curve_pairing_map",
    "sol_get_clock_sysvar",
    "sol_get_epoch_schedule_sysvar",
    "sol_get_fees_sysvar",
    "sol_get_rent_sysvar",
    "sol_get_last_restart_slot",
    "sol_get_epoch_rewards_sysvar",
    "sol_get_sysvar",
    "sol_get_epoch_stake",
    "sol_memcpy_",
    "sol_memmove_",
    "sol_memset_",
    "sol_memcmp_",
    "sol_get_processed_sibling_instruction",
    "sol_get_stack_height",
    "sol_set_return_data",
    "sol_get_return_data",
    "sol_invoke_signed_c",
    "sol_invoke_signed_rust",
    "sol_alt_bn128_group_op",
    "sol_alt_bn128_compression",
    "sol_big_mod_exp",
    "sol_poseidon",
    "sol_remaining_compute_units",
];

/// Everything that can make [`relink`] refuse an object. Locations are given as input
/// section name plus byte offset inside that section.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum RelinkError {
    #[error("malformed input object: {0}")]
    MalformedInput(String),
    #[error("input is not a 64-bit little-endian eBPF (EM_BPF) ELF object")]
    NotBpfel,
    #[error("input is not a relocatable object (e_type {e_type}, expected ET_REL)")]
    NotRelocatable { e_type: u16 },
    #[error(
        "writable data is not supported on Solana (a `static mut`, an interior-mutable \
         `static`, or a global a dependency writes); sections {sections:?} define {symbols:?}"
    )]
    WritableData {
        sections: Vec<String>,
        symbols: Vec<String>,
    },
    #[error("no `entrypoint` symbol is defined")]
    NoEntrypoint,
    #[error("`entrypoint` is defined in {section}, which is not code")]
    EntrypointNotInText { section: String },
    #[error("code section {section} is {size} bytes, not a whole number of 8-byte instructions")]
    TextNotInstructionSized { section: String, size: u64 },
    #[error("calls to symbols that are not Solana syscalls: {names:?}")]
    UnknownSyscalls { names: Vec<String> },
    #[error("external symbol name `{name}` is longer than the loader's 63-byte limit")]
    SymbolNameTooLong { name: String },
    #[error(
        "{section}+{offset:#x}: the address of undefined symbol `{symbol}` is taken; only calls may target external (syscall) symbols"
    )]
    UndefinedDataReference {
        symbol: String,
        section: String,
        offset: u64,
    },
    #[error("{section}+{offset:#x}: reference to `{symbol}` in writable data")]
    ReferenceToWritableData {
        symbol: String,
        section: String,
        offset: u64,
    },
    #[error(
        "{section}+{offset:#x}: reference to `{symbol}` in {target_section}, which is not loaded"
    )]
    ReferenceToDiscardedSection {
        symbol: String,
        target_section: String,
        section: String,
        offset: u64,
    },
    #[error(
        "{section}+{offset:#x}: relocation refers to symbol index {index}, which does not exist"
    )]
    BadSymbolIndex {
        section: String,
        offset: u64,
        index: usize,
    },
    #[error("{section}+{offset:#x}: call target `{symbol}` is not code")]
    CallTargetNotCode {
        section: String,
        offset: u64,
        symbol: String,
    },
    #[error("{section}+{offset:#x}: call target lies outside .text or between instructions")]
    CallTargetOutOfRange { section: String, offset: u64 },
    #[error(
        "{section}+{offset:#x}: a function whose first instruction calls itself cannot be encoded in SBFv0 (imm -1 means syscall)"
    )]
    UnencodableSelfCall { section: String, offset: u64 },
    #[error("{section}+{offset:#x}: relocation is not on an instruction boundary")]
    MisalignedRelocation { section: String, offset: u64 },
    #[error("{section}+{offset:#x}: {relocation} reaches past the end of the section")]
    RelocationOutOfBounds {
        section: String,
        offset: u64,
        relocation: String,
    },
    #[error(
        "{section}+{offset:#x}: {relocation} expects a `{expected}` instruction, found opcode {opcode:#04x}"
    )]
    RelocationOnWrongInstruction {
        section: String,
        offset: u64,
        relocation: String,
        expected: &'static str,
        opcode: u8,
    },
    #[error("{section}+{offset:#x}: {relocation} cannot be expressed for the SBFv0 loader")]
    UnsupportedRelocation {
        section: String,
        offset: u64,
        relocation: String,
    },
    #[error("{section}+{offset:#x}: address {value:#x} is outside the 32-bit program image")]
    AddressOutOfRange {
        section: String,
        offset: u64,
        value: u64,
    },
    #[error(
        ".text instruction {instruction}: `call -1` without a relocation (the loader would treat it as a syscall)"
    )]
    UnresolvedCall { instruction: usize },
    #[error(".text instruction {instruction}: pc-relative call target is outside .text")]
    CallOutOfText { instruction: usize },
    #[error(".text instruction {instruction}: `callx` with an invalid register encoding")]
    InvalidCallx { instruction: usize },
    #[error(".text instruction {instruction}: `lddw` is cut off by the end of .text")]
    TruncatedLddw { instruction: usize },
    #[error(
        "section {section} asks for alignment {align}; at most 4096 (a power of two) is supported"
    )]
    UnsupportedAlignment { section: String, align: u64 },
    #[error("the program image does not fit in 4 GiB")]
    OutputTooLarge,
    #[error("internal relinker error: {0}")]
    Internal(&'static str),
}

/// Relinks a relocatable eBPF object into an SBFv0 shared object.
pub fn relink(object: &[u8], opts: &RelinkOptions) -> Result<Vec<u8>, RelinkError> {
    let input = input::read(object)?;
    check_no_writable_data(&input)?;
    let mut placement = Placement::new(&input)?;
    let entry = find_entry(&input, &placement, opts)?;
    let dynamic = relocate::apply(&input, &mut placement, opts)?;
    layout::write_shared_object(&placement, dynamic, entry)
}

/// Solana programs have no writable program memory: every global must be immutable.
/// Empty writable sections (LLVM sometimes emits a zero-sized `.bss`) are harmless.
fn check_no_writable_data(input: &InputObject) -> Result<(), RelinkError> {
    let mut sections = Vec::new();
    let mut indices = Vec::new();
    for section in &input.sections {
        if section.kind == SectionKind::Writable && section.size != 0 {
            sections.push(section.name.clone());
            indices.push(section.index);
        }
    }
    let mut symbols: Vec<String> = input
        .symbols
        .iter()
        .flatten()
        .filter(|s| s.is_named_entity())
        .filter(|s| match s.place {
            SymbolPlace::Section(i) => indices.contains(&i),
            SymbolPlace::Common => true,
            _ => false,
        })
        .map(|s| demangle(&s.name))
        .collect();
    if input
        .symbols
        .iter()
        .flatten()
        .any(|s| s.place == SymbolPlace::Common)
    {
        sections.push("COMMON".into());
    }
    if sections.is_empty() {
        return Ok(());
    }
    symbols.sort();
    symbols.dedup();
    Err(RelinkError::WritableData { sections, symbols })
}

fn find_entry(
    input: &InputObject,
    placement: &Placement,
    opts: &RelinkOptions,
) -> Result<Entry, RelinkError> {
    // Prefer the global definition; a local symbol of the same name is a fallback.
    let mut candidates: Vec<_> = input
        .symbols
        .iter()
        .flatten()
        .filter(|s| s.name == "entrypoint" && matches!(s.place, SymbolPlace::Section(_)))
        .collect();
    candidates.sort_by_key(|s| !s.global);
    let Some(symbol) = candidates.first() else {
        return if opts.allow_missing_entrypoint {
            Ok(Entry {
                addr: placement.text.addr,
                exported_size: None,
            })
        } else {
            Err(RelinkError::NoEntrypoint)
        };
    };
    let SymbolPlace::Section(index) = symbol.place else {
        return Err(RelinkError::Internal(
            "entrypoint candidate without section",
        ));
    };
    match placement.section_addr(index) {
        Some((SectionKind::Text, base)) if symbol.value.is_multiple_of(layout::INSN_SIZE) => {
            Ok(Entry {
                addr: base + symbol.value,
                exported_size: Some(symbol.size),
            })
        }
        _ => Err(RelinkError::EntrypointNotInText {
            section: input
                .section_by_index(index)
                .map(|s| s.name.clone())
                .unwrap_or_else(|| format!("#{index}")),
        }),
    }
}

/// Rust symbol names in errors, without the hash suffix.
pub(crate) fn demangle(name: &str) -> String {
    format!("{:#}", rustc_demangle::demangle(name))
}
