//! Every refusal of [`crate::relink`].

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

/// Rust symbol names in errors, without the hash suffix.
pub(crate) fn demangle(name: &str) -> String {
    format!("{:#}", rustc_demangle::demangle(name))
}
