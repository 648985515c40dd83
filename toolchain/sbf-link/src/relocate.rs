//! Resolving the object's relocations into SBFv0 encodings plus dynamic relocations.
//!
//! How each case is encoded, and why (solana-sbpf 0.21.1, `Executable::relocate`):
//!
//! * **Internal call** (`R_BPF_64_32` against a defined function, or a `call` LLVM already
//!   resolved inside one section): `call imm` with `imm = target - (pc + 1)` in
//!   instructions. The V0 loader scans `.text` for every `call` whose imm is not -1 and
//!   registers the pc-relative target itself, so no dynamic relocation is needed (and an
//!   internal call must never end up with imm == -1).
//! * **External call** (`R_BPF_64_32` against an undefined symbol: a syscall): `call -1`
//!   plus a dynamic `R_BPF_64_32` against a `.dynsym` entry of that name with
//!   `st_value == 0`; the loader replaces the imm with the murmur3 hash of the name,
//!   which the VM looks up in its syscall registry (and, with `reject_broken_elfs`,
//!   refuses to load an unknown name). `__bpf_trap` (what upstream LLVM emits for
//!   `llvm.trap`) becomes `abort`.
//! * **`lddw` of an address** (`R_BPF_64_64`): the link-time address (relative to 0) is
//!   written into both imm halves and a dynamic `R_BPF_64_RELATIVE` is emitted at the
//!   instruction; the loader reads the 64-bit value back and adds `MM_PROGRAM_START`
//!   because it is below it.
//! * **64-bit pointer in read-only data** (`R_BPF_64_ABS64`: vtables, function-pointer
//!   tables, `&str` in statics): `R_BPF_64_RELATIVE` whose slot is outside `.text`
//!   takes the loader's *legacy* path: it reads only the `u32` at `offset + 4`, adds
//!   `MM_PROGRAM_START` and overwrites all 8 bytes. So the slot must hold the address in
//!   its HIGH half; we write 0 in the low half (the slot then reads as `addr << 32`).
//! * **`R_BPF_64_ABS32`** to an address cannot be expressed (the loader has no 32-bit
//!   data relocation and program addresses do not fit in 32 bits): error. Against an
//!   absolute symbol it is a plain constant and is resolved here.
//! * **`callx`**: upstream LLVM encodes the register in the dst field; SBFv0 reads it
//!   from the imm field (dst must be a valid register too, so it is cleared to r0).

use std::collections::BTreeSet;

use crate::error::{RelinkError, demangle};
use crate::input::{InputObject, InputReloc, InputSection, SectionKind, SymbolPlace};
use crate::layout::{DynReloc, INSN_SIZE, Placement, to_usize};
use crate::options::{RelinkOptions, SYSCALLS};

const R_BPF_NONE: u32 = 0;
const R_BPF_64_64: u32 = 1;
const R_BPF_64_ABS64: u32 = 2;
const R_BPF_64_ABS32: u32 = 3;
const R_BPF_64_32: u32 = 10;

const OP_LDDW: u8 = 0x18;
const OP_CALL: u8 = 0x85;
const OP_CALLX: u8 = 0x8d;

/// `src` field value LLVM (and SBPF V3+) uses for bpf-to-bpf calls.
const PSEUDO_CALL: u8 = 1;

/// What a relocation's symbol resolves to.
enum Target<'a> {
    /// Link-time address inside the loaded image.
    Address { addr: u64, kind: SectionKind },
    /// A constant (`SHN_ABS` symbol, or symbol index 0).
    Absolute(u64),
    /// Must come from the runtime: only calls (syscalls) may do that. The address of
    /// an undefined *weak* symbol is 0, as in any ELF link.
    Undefined { name: &'a str, weak: bool },
}

/// Where a relocation is, for error messages.
struct Site<'a> {
    section: &'a InputSection,
    offset: u64,
    r_type: u32,
    symbol: usize,
}

impl Site<'_> {
    fn section(&self) -> String {
        self.section.name.clone()
    }
}

fn resolve<'a>(
    input: &'a InputObject,
    placement: &Placement,
    site: &Site<'_>,
) -> Result<Target<'a>, RelinkError> {
    if site.symbol == 0 {
        return Ok(Target::Absolute(0));
    }
    let symbol = input
        .symbols
        .get(site.symbol)
        .and_then(Option::as_ref)
        .ok_or_else(|| RelinkError::BadSymbolIndex {
            section: site.section(),
            offset: site.offset,
            index: site.symbol,
        })?;
    match symbol.place {
        SymbolPlace::Undefined => Ok(Target::Undefined {
            name: &symbol.name,
            weak: symbol.weak,
        }),
        SymbolPlace::Absolute => Ok(Target::Absolute(symbol.value)),
        SymbolPlace::Common => Err(RelinkError::ReferenceToWritableData {
            symbol: demangle(&symbol.name),
            section: site.section(),
            offset: site.offset,
        }),
        SymbolPlace::Section(index) => match placement.section_addr(index) {
            Some((kind, base)) => Ok(Target::Address {
                addr: base.wrapping_add(symbol.value),
                kind,
            }),
            None => {
                let target = input.section_by_index(index);
                let name = if symbol.is_named_entity() {
                    demangle(&symbol.name)
                } else {
                    target.map(|s| s.name.clone()).unwrap_or_default()
                };
                match target.map(|s| s.kind) {
                    Some(SectionKind::Writable) => Err(RelinkError::ReferenceToWritableData {
                        symbol: name,
                        section: site.section(),
                        offset: site.offset,
                    }),
                    _ => Err(RelinkError::ReferenceToDiscardedSection {
                        symbol: name,
                        target_section: target
                            .map(|s| s.name.clone())
                            .unwrap_or_else(|| format!("#{index}")),
                        section: site.section(),
                        offset: site.offset,
                    }),
                }
            }
        },
    }
}

fn read_u32(bytes: &[u8], at: usize) -> u32 {
    let mut b = [0; 4];
    b.copy_from_slice(&bytes[at..at + 4]);
    u32::from_le_bytes(b)
}

fn read_u64(bytes: &[u8], at: usize) -> u64 {
    let mut b = [0; 8];
    b.copy_from_slice(&bytes[at..at + 8]);
    u64::from_le_bytes(b)
}

fn write_u32(bytes: &mut [u8], at: usize, value: u32) {
    bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
}

fn write_u64(bytes: &mut [u8], at: usize, value: u64) {
    bytes[at..at + 8].copy_from_slice(&value.to_le_bytes());
}

/// Link-time addresses must stay below `MM_PROGRAM_START`, or the loader would not
/// rebase them (and the legacy data encoding only has 32 bits).
fn check_address(value: u64, site: &Site<'_>) -> Result<u64, RelinkError> {
    if value == 0 || value > u64::from(u32::MAX) {
        return Err(RelinkError::AddressOutOfRange {
            section: site.section(),
            offset: site.offset,
            value,
        });
    }
    Ok(value)
}

/// Applies every relocation, rewrites `callx`, checks every `call`, and returns the
/// dynamic relocations the loader must process.
pub(crate) fn apply(
    input: &InputObject,
    placement: &mut Placement,
    opts: &RelinkOptions,
) -> Result<Vec<DynReloc>, RelinkError> {
    let mut state = State {
        input,
        opts,
        dynamic: Vec::new(),
        relocated_calls: BTreeSet::new(),
        unknown: BTreeSet::new(),
    };
    for section in &input.sections {
        let Some((kind, base)) = placement.section_offset(section.index) else {
            continue;
        };
        for reloc in &section.relocations {
            if reloc.r_type == R_BPF_NONE {
                continue;
            }
            let site = Site {
                section,
                offset: reloc.offset,
                r_type: reloc.r_type,
                symbol: reloc.symbol,
            };
            // Every later bound check adds at most 16 to an offset checked here.
            if reloc.offset > section.data.len() as u64 {
                return Err(out_of_bounds(&site));
            }
            match kind {
                SectionKind::Text => state.text(placement, base, reloc, &site)?,
                SectionKind::ReadOnly => state.rodata(placement, base, reloc, &site)?,
                SectionKind::Writable | SectionKind::Dropped => {}
            }
        }
    }
    if !state.unknown.is_empty() {
        return Err(RelinkError::UnknownSyscalls {
            names: state.unknown.into_iter().collect(),
        });
    }
    fix_and_check_text(&mut placement.text.bytes, &state.relocated_calls)?;
    Ok(state.dynamic)
}

/// What relocation processing accumulates.
struct State<'a> {
    input: &'a InputObject,
    opts: &'a RelinkOptions,
    dynamic: Vec<DynReloc>,
    /// Positions (in merged `.text`) of calls that had a relocation.
    relocated_calls: BTreeSet<usize>,
    /// Undefined call targets that are not syscalls (reported together).
    unknown: BTreeSet<String>,
}

impl State<'_> {
    /// A relocation in code: `lddw` of an address, or a call.
    fn text(
        &mut self,
        placement: &mut Placement,
        base: u64,
        reloc: &InputReloc,
        site: &Site<'_>,
    ) -> Result<(), RelinkError> {
        let pos = to_usize(base + text_site(site)?)?;
        let insn_addr = placement.text.addr + pos as u64;
        let text = &placement.text.bytes;
        match reloc.r_type {
            R_BPF_64_64 => {
                expect_opcode(text, pos, OP_LDDW, "lddw", site)?;
                if reloc.offset + 2 * INSN_SIZE > site.section.data.len() as u64 {
                    return Err(out_of_bounds(site));
                }
                let addend = reloc.explicit_addend.unwrap_or_else(|| {
                    (u64::from(read_u32(text, pos + 4))
                        | (u64::from(read_u32(text, pos + 12)) << 32)) as i64
                });
                let value = match resolve(self.input, placement, site)? {
                    Target::Address { addr, .. } => {
                        self.dynamic.push(DynReloc::Relative(insn_addr));
                        check_address(addr.wrapping_add_signed(addend), site)?
                    }
                    Target::Absolute(v) => v.wrapping_add_signed(addend),
                    Target::Undefined { weak: true, .. } => 0,
                    Target::Undefined { name, .. } => return Err(undefined_data(name, site)),
                };
                let text = &mut placement.text.bytes;
                write_u32(text, pos + 4, value as u32);
                write_u32(text, pos + 12, (value >> 32) as u32);
            }
            R_BPF_64_32 => {
                expect_opcode(text, pos, OP_CALL, "call", site)?;
                self.relocated_calls.insert(pos);
                let imm = read_u32(text, pos + 4) as i32;
                match resolve(self.input, placement, site)? {
                    Target::Undefined { name, .. } => {
                        let name = syscall_name(name);
                        if name.len() > MAX_DYNSYM_NAME {
                            return Err(RelinkError::SymbolNameTooLong {
                                name: name.to_owned(),
                            });
                        }
                        if !is_known_syscall(name, self.opts) {
                            self.unknown.insert(demangle(name));
                        }
                        let text = &mut placement.text.bytes;
                        text[pos + 1] &= 0x0f; // src = 0: not a bpf-to-bpf call
                        write_u32(text, pos + 4, u32::MAX); // imm = -1
                        self.dynamic
                            .push(DynReloc::Call(insn_addr, name.to_owned()));
                    }
                    Target::Address {
                        addr,
                        kind: SectionKind::Text,
                    } => {
                        // LLVM stores the implicit addend A in the imm as (A / 8 - 1).
                        let addend = reloc
                            .explicit_addend
                            .unwrap_or((i64::from(imm) + 1) * INSN_SIZE as i64);
                        let target = addr.wrapping_add_signed(addend);
                        let imm = call_displacement(placement, insn_addr, target, site)?;
                        let text = &mut placement.text.bytes;
                        text[pos + 1] = (text[pos + 1] & 0x0f) | (PSEUDO_CALL << 4);
                        write_u32(text, pos + 4, imm as u32);
                    }
                    Target::Address { .. } | Target::Absolute(_) => {
                        return Err(RelinkError::CallTargetNotCode {
                            section: site.section(),
                            offset: site.offset,
                            symbol: symbol_name(self.input, site.symbol),
                        });
                    }
                }
            }
            other => return Err(unsupported(other, site)),
        }
        Ok(())
    }

    /// A relocation in read-only data: a pointer (64-bit) or a 32-bit constant.
    fn rodata(
        &mut self,
        placement: &mut Placement,
        base: u64,
        reloc: &InputReloc,
        site: &Site<'_>,
    ) -> Result<(), RelinkError> {
        let width = match reloc.r_type {
            R_BPF_64_ABS64 => 8,
            R_BPF_64_ABS32 => 4,
            other => return Err(unsupported(other, site)),
        };
        if reloc.offset + width > site.section.data.len() as u64 {
            return Err(out_of_bounds(site));
        }
        let pos = to_usize(base + reloc.offset)?;
        let slot_addr = placement.rodata.addr + pos as u64;
        let data = &placement.rodata.bytes;
        let implicit = if width == 8 {
            read_u64(data, pos) as i64
        } else {
            i64::from(read_u32(data, pos))
        };
        let addend = reloc.explicit_addend.unwrap_or(implicit);
        let value = match resolve(self.input, placement, site)? {
            Target::Address { addr, .. } if width == 8 => {
                let value = check_address(addr.wrapping_add_signed(addend), site)?;
                self.dynamic.push(DynReloc::Relative(slot_addr));
                // Legacy V0 data encoding: the address in the high half.
                value << 32
            }
            Target::Address { .. } => return Err(unsupported(reloc.r_type, site)),
            Target::Absolute(v) => v.wrapping_add_signed(addend),
            Target::Undefined { weak: true, .. } => 0,
            Target::Undefined { name, .. } => return Err(undefined_data(name, site)),
        };
        let data = &mut placement.rodata.bytes;
        if width == 8 {
            write_u64(data, pos, value);
        } else {
            write_u32(data, pos, value as u32);
        }
        Ok(())
    }
}

/// The loader reads `.dynsym` names with a 64-byte limit including the terminator.
const MAX_DYNSYM_NAME: usize = 63;

/// The runtime name for an undefined call target.
fn syscall_name(name: &str) -> &str {
    match name {
        // upstream LLVM lowers `llvm.trap` to a call to `__bpf_trap`
        "__bpf_trap" => "abort",
        other => other,
    }
}

fn is_known_syscall(name: &str, opts: &RelinkOptions) -> bool {
    opts.allow_unknown_externals
        || SYSCALLS.contains(&name)
        || opts.extra_syscalls.iter().any(|s| s == name)
}

fn symbol_name(input: &InputObject, index: usize) -> String {
    input
        .symbols
        .get(index)
        .and_then(Option::as_ref)
        .map(|s| demangle(&s.name))
        .unwrap_or_default()
}

/// Checks that a text relocation sits on an instruction and returns its offset.
fn text_site(site: &Site<'_>) -> Result<u64, RelinkError> {
    if !site.offset.is_multiple_of(INSN_SIZE) {
        return Err(RelinkError::MisalignedRelocation {
            section: site.section(),
            offset: site.offset,
        });
    }
    if site.offset + INSN_SIZE > site.section.data.len() as u64 {
        return Err(out_of_bounds(site));
    }
    Ok(site.offset)
}

fn expect_opcode(
    text: &[u8],
    pos: usize,
    opcode: u8,
    expected: &'static str,
    site: &Site<'_>,
) -> Result<(), RelinkError> {
    if text[pos] != opcode {
        return Err(RelinkError::RelocationOnWrongInstruction {
            section: site.section(),
            offset: site.offset,
            relocation: relocation_name(site.r_type),
            expected,
            opcode: text[pos],
        });
    }
    Ok(())
}

/// pc-relative displacement, in instructions, from the call at `insn_addr` to `target`.
fn call_displacement(
    placement: &Placement,
    insn_addr: u64,
    target: u64,
    site: &Site<'_>,
) -> Result<i32, RelinkError> {
    let text = &placement.text;
    if target < text.addr || target >= text.end() || !(target - text.addr).is_multiple_of(INSN_SIZE)
    {
        return Err(RelinkError::CallTargetOutOfRange {
            section: site.section(),
            offset: site.offset,
        });
    }
    let delta = (target as i64 - insn_addr as i64) / INSN_SIZE as i64 - 1;
    if delta == -1 {
        // A call to itself would read as "external call" (-1) to the loader.
        return Err(RelinkError::UnencodableSelfCall {
            section: site.section(),
            offset: site.offset,
        });
    }
    i32::try_from(delta).map_err(|_| RelinkError::CallTargetOutOfRange {
        section: site.section(),
        offset: site.offset,
    })
}

/// Rewrites `callx` to the SBFv0 encoding and checks all unrelocated calls.
fn fix_and_check_text(
    text: &mut [u8],
    relocated_calls: &BTreeSet<usize>,
) -> Result<(), RelinkError> {
    let count = text.len() / INSN_SIZE as usize;
    let mut i = 0;
    while i < count {
        let pos = i * INSN_SIZE as usize;
        match text[pos] {
            OP_LDDW => {
                if i + 1 >= count {
                    return Err(RelinkError::TruncatedLddw { instruction: i });
                }
                i += 2;
                continue;
            }
            OP_CALL if !relocated_calls.contains(&pos) => {
                let imm = read_u32(text, pos + 4) as i32;
                if imm == -1 {
                    // Without a relocation the loader would take it for a syscall.
                    return Err(RelinkError::UnresolvedCall { instruction: i });
                }
                let target = i as i64 + 1 + i64::from(imm);
                if target < 0 || target >= count as i64 {
                    return Err(RelinkError::CallOutOfText { instruction: i });
                }
            }
            OP_CALLX => {
                let dst = text[pos + 1] & 0x0f;
                let imm = read_u32(text, pos + 4);
                let register = if dst != 0 {
                    if imm != 0 && imm != u32::from(dst) {
                        return Err(RelinkError::InvalidCallx { instruction: i });
                    }
                    u32::from(dst)
                } else {
                    imm
                };
                if register > 9 {
                    return Err(RelinkError::InvalidCallx { instruction: i });
                }
                text[pos + 1] &= 0xf0;
                write_u32(text, pos + 4, register);
            }
            _ => {}
        }
        i += 1;
    }
    Ok(())
}

fn out_of_bounds(site: &Site<'_>) -> RelinkError {
    RelinkError::RelocationOutOfBounds {
        section: site.section(),
        offset: site.offset,
        relocation: relocation_name(site.r_type),
    }
}

fn unsupported(r_type: u32, site: &Site<'_>) -> RelinkError {
    RelinkError::UnsupportedRelocation {
        section: site.section(),
        offset: site.offset,
        relocation: relocation_name(r_type),
    }
}

fn undefined_data(name: &str, site: &Site<'_>) -> RelinkError {
    RelinkError::UndefinedDataReference {
        symbol: demangle(name),
        section: site.section(),
        offset: site.offset,
    }
}

/// Human name of an `R_BPF_*` type.
pub(crate) fn relocation_name(r_type: u32) -> String {
    let name = match r_type {
        0 => "R_BPF_NONE",
        1 => "R_BPF_64_64",
        2 => "R_BPF_64_ABS64",
        3 => "R_BPF_64_ABS32",
        4 => "R_BPF_64_NODYLD32",
        8 => "R_BPF_64_RELATIVE",
        10 => "R_BPF_64_32",
        _ => return format!("unknown relocation type {r_type}"),
    };
    format!("{name} ({r_type})")
}
