//! Address assignment and the encoding of the SBFv0 shared object.
//!
//! What the agave 4.2 loader (solana-sbpf 0.21.1, `Executable::load_with_lenient_parser`,
//! used for SBPF V0 files, i.e. `e_flags == 0`) demands, and how this file satisfies it:
//!
//! * `ET_DYN`, `EM_BPF`, ELFCLASS64, little endian, `ELFOSABI_NONE`.
//! * Exactly one section named `.text`; `e_entry` inside it, 8-byte aligned.
//! * No section named `.bss*`, and no writable `.data*` other than `.data.rel*`.
//! * With `reject_broken_elfs` (set for deployment): `sh_addr == sh_offset` for `.text`
//!   and for every section it maps read-only (`.text`, `.rodata`, `.data.rel.ro`,
//!   `.eh_frame`), and those must not overlap. We therefore make **every virtual address
//!   equal to its file offset**; the loader then adds `MM_PROGRAM_START`
//!   (0x1_0000_0000) itself. Link-time addresses below are relative to 0.
//! * Section headers in ascending, non-overlapping file order, not overlapping the ELF
//!   header or the program/section header tables; section 0 is `SHT_NULL`; section
//!   names shorter than 16 bytes.
//! * Dynamic info is found through `PT_DYNAMIC`; `DT_REL` is translated through the
//!   program header containing it; `DT_RELENT` must be 16 and `DT_RELSZ` non-zero when
//!   `DT_REL` is present; `DT_SYMTAB` must equal the `sh_addr` of the `SHT_DYNSYM`
//!   section; names in `.dynsym` come from the section named `.dynstr` (max 63 bytes).
//!   The tables are read in place, so they are 8-byte aligned in the file.
//! * The loader patches relocations at `r_offset` used as a *file* offset (fine, since
//!   addresses equal offsets) and decides "instruction or data" by whether `r_offset`
//!   lies inside `.text`.
//!
//! File layout (every piece 8-byte aligned):
//! `ELF header | program headers | .text | .rodata | .dynsym | .dynstr | .rel.dyn |
//! .dynamic | .shstrtab | section headers`.

use std::collections::BTreeMap;

use crate::error::RelinkError;
use crate::input::{InputObject, SectionKind};

const EHDR_SIZE: u64 = 64;
const PHDR_SIZE: u64 = 56;
const SHDR_SIZE: u64 = 64;
const SYM_SIZE: u64 = 24;
const REL_SIZE: u64 = 16;
const DYN_SIZE: u64 = 16;

/// eBPF instruction size; `.text` pieces are kept at this granularity so that no
/// padding (which would decode as an invalid opcode 0) is ever inserted between them.
pub(crate) const INSN_SIZE: u64 = 8;

// ELF constants (kept local and plain: they are part of the format, not of any API).
const ET_DYN: u16 = 3;
const EM_BPF: u16 = 247;
const PT_LOAD: u32 = 1;
const PT_DYNAMIC: u32 = 2;
const PF_X: u32 = 1;
const PF_W: u32 = 2;
const PF_R: u32 = 4;
const SHT_PROGBITS: u32 = 1;
const SHT_STRTAB: u32 = 3;
const SHT_DYNAMIC: u32 = 6;
const SHT_REL: u32 = 9;
const SHT_DYNSYM: u32 = 11;
const SHF_WRITE: u64 = 1;
const SHF_ALLOC: u64 = 2;
const SHF_EXECINSTR: u64 = 4;
const STB_GLOBAL: u8 = 1;
const STT_NOTYPE: u8 = 0;
const STT_FUNC: u8 = 2;
const DT_NULL: u64 = 0;
const DT_STRTAB: u64 = 5;
const DT_SYMTAB: u64 = 6;
const DT_STRSZ: u64 = 10;
const DT_SYMENT: u64 = 11;
const DT_REL: u64 = 17;
const DT_RELSZ: u64 = 18;
const DT_RELENT: u64 = 19;
const DT_FLAGS: u64 = 30;
const DT_RELCOUNT: u64 = 0x6fff_fffa;
const DF_TEXTREL: u64 = 4;

/// `R_BPF_64_RELATIVE`: the loader adds `MM_PROGRAM_START` to a link-time address.
pub(crate) const R_BPF_64_RELATIVE: u32 = 8;
/// `R_BPF_64_32` in a dynamic table: a call to be resolved by name (syscall hash).
pub(crate) const R_BPF_64_32: u32 = 10;

fn align_up(value: u64, align: u64) -> u64 {
    let align = align.max(1);
    value.div_ceil(align) * align
}

/// One merged output section.
#[derive(Debug, Default)]
pub(crate) struct Merged {
    /// Link-time virtual address (== file offset).
    pub addr: u64,
    pub bytes: Vec<u8>,
    pub align: u64,
}

impl Merged {
    pub fn end(&self) -> u64 {
        self.addr + self.bytes.len() as u64
    }
}

/// Where every loaded input section went.
#[derive(Debug)]
pub(crate) struct Placement {
    pub text: Merged,
    pub rodata: Merged,
    /// Input section index -> (kind, offset inside the merged section of that kind).
    placed: BTreeMap<usize, (SectionKind, u64)>,
}

impl Placement {
    /// Concatenates the input `.text*` pieces into `.text` and the read-only pieces
    /// into `.rodata`, in input order, and assigns final addresses.
    pub fn new(input: &InputObject) -> Result<Self, RelinkError> {
        let mut placed = BTreeMap::new();
        let mut text = Merged {
            align: INSN_SIZE,
            ..Merged::default()
        };
        let mut rodata = Merged {
            align: 8,
            ..Merged::default()
        };
        for section in &input.sections {
            match section.kind {
                SectionKind::Text => {
                    if !(section.data.len() as u64).is_multiple_of(INSN_SIZE) {
                        return Err(RelinkError::TextNotInstructionSized {
                            section: section.name.clone(),
                            size: section.data.len() as u64,
                        });
                    }
                    placed.insert(section.index, (SectionKind::Text, text.bytes.len() as u64));
                    text.bytes.extend_from_slice(&section.data);
                }
                SectionKind::ReadOnly => {
                    let offset = align_up(rodata.bytes.len() as u64, section.align);
                    rodata.bytes.resize(to_usize(offset)?, 0);
                    rodata.align = rodata.align.max(section.align);
                    placed.insert(section.index, (SectionKind::ReadOnly, offset));
                    rodata.bytes.extend_from_slice(&section.data);
                }
                SectionKind::Writable | SectionKind::Dropped => {}
            }
        }

        let phnum = program_header_count(!rodata.bytes.is_empty());
        text.addr = align_up(EHDR_SIZE + phnum * PHDR_SIZE, INSN_SIZE);
        rodata.addr = align_up(text.end(), rodata.align);
        if rodata.end() > u64::from(u32::MAX) {
            // Data relocations are encoded as 32-bit addresses in SBFv0 (see relocate.rs).
            return Err(RelinkError::OutputTooLarge);
        }
        Ok(Placement {
            text,
            rodata,
            placed,
        })
    }

    /// Link-time address of an input section, if it was placed.
    pub fn section_addr(&self, index: usize) -> Option<(SectionKind, u64)> {
        let (kind, offset) = *self.placed.get(&index)?;
        let base = match kind {
            SectionKind::Text => self.text.addr,
            _ => self.rodata.addr,
        };
        Some((kind, base + offset))
    }

    /// Offset inside the merged buffer of an input section.
    pub fn section_offset(&self, index: usize) -> Option<(SectionKind, u64)> {
        self.placed.get(&index).copied()
    }
}

fn program_header_count(has_rodata: bool) -> u64 {
    // PT_LOAD .text, [PT_LOAD .rodata], PT_LOAD dynamic tables, PT_DYNAMIC
    if has_rodata { 4 } else { 3 }
}

pub(crate) fn to_usize(value: u64) -> Result<usize, RelinkError> {
    usize::try_from(value).map_err(|_| RelinkError::OutputTooLarge)
}

/// A dynamic relocation for the loader.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub(crate) enum DynReloc {
    /// `R_BPF_64_RELATIVE` at this address (an `lddw` in `.text`, or a 64-bit slot in
    /// `.rodata` in the legacy "address in the high half" encoding).
    Relative(u64),
    /// `R_BPF_64_32` at this `call` instruction, against the named undefined symbol.
    Call(u64, String),
}

/// The entry point as it will be written.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Entry {
    pub addr: u64,
    /// `Some(size)` when a real `entrypoint` symbol exists; it is then exported in
    /// `.dynsym` as conventional for Solana programs (the loader uses `e_entry` only).
    pub exported_size: Option<u64>,
}

/// Little-endian byte sink.
struct Out(Vec<u8>);

impl Out {
    fn u8(&mut self, v: u8) {
        self.0.push(v);
    }
    fn u16(&mut self, v: u16) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u32(&mut self, v: u32) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn u64(&mut self, v: u64) {
        self.0.extend_from_slice(&v.to_le_bytes());
    }
    fn pad_to(&mut self, offset: u64) -> Result<(), RelinkError> {
        let offset = to_usize(offset)?;
        debug_assert!(offset >= self.0.len());
        self.0.resize(offset, 0);
        Ok(())
    }
    fn pos(&self) -> u64 {
        self.0.len() as u64
    }
}

/// Section-name string table builder.
#[derive(Default)]
struct StrTab(Vec<u8>);

impl StrTab {
    fn new() -> Self {
        StrTab(vec![0])
    }
    fn add(&mut self, s: &str) -> u32 {
        let at = self.0.len() as u32;
        self.0.extend_from_slice(s.as_bytes());
        self.0.push(0);
        at
    }
}

struct SectionHeader {
    name: u32,
    sh_type: u32,
    flags: u64,
    addr: u64,
    offset: u64,
    size: u64,
    link: u32,
    info: u32,
    align: u64,
    entsize: u64,
}

/// Writes the final shared object.
///
/// `relocs` may be in any order; they are emitted sorted (all `RELATIVE` first, as
/// `DT_RELCOUNT` promises, then the named calls), so the output is deterministic.
pub(crate) fn write_shared_object(
    placement: &Placement,
    mut relocs: Vec<DynReloc>,
    entry: Entry,
) -> Result<Vec<u8>, RelinkError> {
    relocs.sort();
    let has_rodata = !placement.rodata.bytes.is_empty();

    // Dynamic symbols: null, [entrypoint], then every imported name once, sorted.
    let imports: Vec<&str> = {
        let mut names: Vec<&str> = relocs
            .iter()
            .filter_map(|r| match r {
                DynReloc::Call(_, name) => Some(name.as_str()),
                DynReloc::Relative(_) => None,
            })
            .collect();
        names.sort_unstable();
        names.dedup();
        names
    };
    let mut dynstr = StrTab::new();
    let entry_name = entry.exported_size.map(|_| dynstr.add("entrypoint"));
    let import_names: Vec<u32> = imports.iter().map(|n| dynstr.add(n)).collect();
    let first_import_index = 1 + u64::from(entry_name.is_some());
    let dynsym_count = first_import_index + imports.len() as u64;

    // Layout after .text/.rodata.
    let mut cursor = if has_rodata {
        placement.rodata.end()
    } else {
        placement.text.end()
    };
    let dynsym_off = align_up(cursor, 8);
    cursor = dynsym_off + dynsym_count * SYM_SIZE;
    let dynstr_off = cursor;
    cursor += dynstr.0.len() as u64;
    let reldyn_off = align_up(cursor, 8);
    let reldyn_size = relocs.len() as u64 * REL_SIZE;
    cursor = reldyn_off + reldyn_size;
    let dynamic_off = align_up(cursor, 8);
    let mut dynamic: Vec<(u64, u64)> = Vec::new();
    if !relocs.is_empty() {
        let relative_count = relocs
            .iter()
            .filter(|r| matches!(r, DynReloc::Relative(_)))
            .count() as u64;
        dynamic.push((DT_FLAGS, DF_TEXTREL));
        dynamic.push((DT_REL, reldyn_off));
        dynamic.push((DT_RELSZ, reldyn_size));
        dynamic.push((DT_RELENT, REL_SIZE));
        if relative_count > 0 {
            dynamic.push((DT_RELCOUNT, relative_count));
        }
    }
    dynamic.push((DT_SYMTAB, dynsym_off));
    dynamic.push((DT_SYMENT, SYM_SIZE));
    dynamic.push((DT_STRTAB, dynstr_off));
    dynamic.push((DT_STRSZ, dynstr.0.len() as u64));
    dynamic.push((DT_NULL, 0));
    let dynamic_size = dynamic.len() as u64 * DYN_SIZE;
    let dynamic_end = dynamic_off + dynamic_size;

    // Section headers.
    let mut shstrtab = StrTab::new();
    let mut shdrs = vec![SectionHeader {
        name: 0,
        sh_type: 0,
        flags: 0,
        addr: 0,
        offset: 0,
        size: 0,
        link: 0,
        info: 0,
        align: 0,
        entsize: 0,
    }];
    let text_index = shdrs.len() as u32;
    shdrs.push(SectionHeader {
        name: shstrtab.add(".text"),
        sh_type: SHT_PROGBITS,
        flags: SHF_ALLOC | SHF_EXECINSTR,
        addr: placement.text.addr,
        offset: placement.text.addr,
        size: placement.text.bytes.len() as u64,
        link: 0,
        info: 0,
        align: INSN_SIZE,
        entsize: 0,
    });
    if has_rodata {
        shdrs.push(SectionHeader {
            name: shstrtab.add(".rodata"),
            sh_type: SHT_PROGBITS,
            flags: SHF_ALLOC,
            addr: placement.rodata.addr,
            offset: placement.rodata.addr,
            size: placement.rodata.bytes.len() as u64,
            link: 0,
            info: 0,
            align: placement.rodata.align,
            entsize: 0,
        });
    }
    let dynsym_index = shdrs.len() as u32;
    let dynstr_index = dynsym_index + 1;
    shdrs.push(SectionHeader {
        name: shstrtab.add(".dynsym"),
        sh_type: SHT_DYNSYM,
        flags: SHF_ALLOC,
        addr: dynsym_off,
        offset: dynsym_off,
        size: dynsym_count * SYM_SIZE,
        link: dynstr_index,
        info: 1, // index of the first non-local symbol
        align: 8,
        entsize: SYM_SIZE,
    });
    shdrs.push(SectionHeader {
        name: shstrtab.add(".dynstr"),
        sh_type: SHT_STRTAB,
        flags: SHF_ALLOC,
        addr: dynstr_off,
        offset: dynstr_off,
        size: dynstr.0.len() as u64,
        link: 0,
        info: 0,
        align: 1,
        entsize: 0,
    });
    if !relocs.is_empty() {
        shdrs.push(SectionHeader {
            name: shstrtab.add(".rel.dyn"),
            sh_type: SHT_REL,
            flags: SHF_ALLOC,
            addr: reldyn_off,
            offset: reldyn_off,
            size: reldyn_size,
            link: dynsym_index,
            info: 0,
            align: 8,
            entsize: REL_SIZE,
        });
    }
    shdrs.push(SectionHeader {
        name: shstrtab.add(".dynamic"),
        sh_type: SHT_DYNAMIC,
        flags: SHF_ALLOC | SHF_WRITE,
        addr: dynamic_off,
        offset: dynamic_off,
        size: dynamic_size,
        link: dynstr_index,
        info: 0,
        align: 8,
        entsize: DYN_SIZE,
    });
    let shstrtab_index = shdrs.len() as u16;
    let shstrtab_name = shstrtab.add(".shstrtab");
    let shstrtab_off = dynamic_end;
    shdrs.push(SectionHeader {
        name: shstrtab_name,
        sh_type: SHT_STRTAB,
        flags: 0,
        addr: 0,
        offset: shstrtab_off,
        size: shstrtab.0.len() as u64,
        link: 0,
        info: 0,
        align: 1,
        entsize: 0,
    });
    let shoff = align_up(shstrtab_off + shstrtab.0.len() as u64, 8);

    // Program headers: (type, flags, offset/vaddr, size, align)
    let mut phdrs: Vec<(u32, u32, u64, u64, u64)> = vec![(
        PT_LOAD,
        PF_R | PF_X,
        placement.text.addr,
        placement.text.bytes.len() as u64,
        INSN_SIZE,
    )];
    if has_rodata {
        phdrs.push((
            PT_LOAD,
            PF_R,
            placement.rodata.addr,
            placement.rodata.bytes.len() as u64,
            placement.rodata.align,
        ));
    }
    phdrs.push((
        PT_LOAD,
        PF_R | PF_W,
        dynsym_off,
        dynamic_end - dynsym_off,
        8,
    ));
    phdrs.push((PT_DYNAMIC, PF_R | PF_W, dynamic_off, dynamic_size, 8));
    debug_assert_eq!(phdrs.len() as u64, program_header_count(has_rodata));

    let mut out = Out(Vec::with_capacity(to_usize(
        shoff + shdrs.len() as u64 * SHDR_SIZE,
    )?));
    // ELF header
    out.0
        .extend_from_slice(&[0x7f, b'E', b'L', b'F', 2, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 0]);
    out.u16(ET_DYN);
    out.u16(EM_BPF);
    out.u32(1); // e_version
    out.u64(entry.addr);
    out.u64(EHDR_SIZE); // e_phoff
    out.u64(shoff);
    out.u32(0); // e_flags: 0 selects SBPF V0
    out.u16(EHDR_SIZE as u16);
    out.u16(PHDR_SIZE as u16);
    out.u16(phdrs.len() as u16);
    out.u16(SHDR_SIZE as u16);
    out.u16(shdrs.len() as u16);
    out.u16(shstrtab_index);
    for &(p_type, p_flags, at, size, align) in &phdrs {
        out.u32(p_type);
        out.u32(p_flags);
        out.u64(at); // p_offset
        out.u64(at); // p_vaddr
        out.u64(at); // p_paddr
        out.u64(size); // p_filesz
        out.u64(size); // p_memsz
        out.u64(align);
    }

    out.pad_to(placement.text.addr)?;
    out.0.extend_from_slice(&placement.text.bytes);
    if has_rodata {
        out.pad_to(placement.rodata.addr)?;
        out.0.extend_from_slice(&placement.rodata.bytes);
    }

    out.pad_to(dynsym_off)?;
    out.0.extend_from_slice(&[0; SYM_SIZE as usize]);
    if let (Some(name), Some(size)) = (entry_name, entry.exported_size) {
        out.u32(name);
        out.u8((STB_GLOBAL << 4) | STT_FUNC);
        out.u8(0); // st_other: default visibility
        out.u16(text_index as u16);
        out.u64(entry.addr);
        out.u64(size);
    }
    for &name in &import_names {
        out.u32(name);
        out.u8((STB_GLOBAL << 4) | STT_NOTYPE);
        out.u8(0);
        out.u16(0); // SHN_UNDEF
        out.u64(0); // st_value 0: the loader treats it as a syscall
        out.u64(0);
    }
    debug_assert_eq!(out.pos(), dynstr_off);
    out.0.extend_from_slice(&dynstr.0);

    out.pad_to(reldyn_off)?;
    for reloc in &relocs {
        let (offset, info) = match reloc {
            DynReloc::Relative(offset) => (*offset, u64::from(R_BPF_64_RELATIVE)),
            DynReloc::Call(offset, name) => {
                let index = imports
                    .binary_search(&name.as_str())
                    .map_err(|_| RelinkError::Internal("import missing from .dynsym"))?;
                let sym = first_import_index + index as u64;
                (*offset, (sym << 32) | u64::from(R_BPF_64_32))
            }
        };
        out.u64(offset);
        out.u64(info);
    }

    out.pad_to(dynamic_off)?;
    for &(tag, value) in &dynamic {
        out.u64(tag);
        out.u64(value);
    }
    debug_assert_eq!(out.pos(), shstrtab_off);
    out.0.extend_from_slice(&shstrtab.0);

    out.pad_to(shoff)?;
    for sh in &shdrs {
        out.u32(sh.name);
        out.u32(sh.sh_type);
        out.u64(sh.flags);
        out.u64(sh.addr);
        out.u64(sh.offset);
        out.u64(sh.size);
        out.u32(sh.link);
        out.u32(sh.info);
        out.u64(sh.align);
        out.u64(sh.entsize);
    }
    Ok(out.0)
}
