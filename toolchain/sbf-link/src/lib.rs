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
//! * `options` and `error`: what a caller may ask for, and every refusal;
//! * `input`: reads the object with the `object` crate and classifies sections;
//! * `layout`: merges sections, assigns addresses, encodes the output ELF;
//! * `relocate`: resolves relocations into instruction/data encodings and dynamic
//!   relocations.
//!
//! The output is a pure function of the input bytes and options (no timestamps, no
//! hash-map iteration order), so identical input gives identical output.

mod error;
mod input;
mod layout;
mod options;
mod relocate;

pub use error::RelinkError;
use error::demangle;
pub use options::{RelinkOptions, SYSCALLS};

use input::{InputObject, SectionKind, SymbolPlace};
use layout::{Entry, Placement};

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
