//! Reading the relocatable eBPF object that `llc -march=bpfel -filetype=obj` writes.
//!
//! The rest of the relinker never touches the input ELF again: this module turns it
//! into plain data (sections with their bytes and relocations, and an index-addressed
//! symbol table), deciding for every section which output it belongs to.

use object::elf;
use object::read::elf::{FileHeader, Rel as _, Rela as _, SectionHeader as _, Sym as _};
use object::{LittleEndian, read::SectionIndex};

use crate::error::RelinkError;

type Elf = elf::FileHeader64<LittleEndian>;

/// Largest section alignment accepted; anything larger is surely not eBPF output (and
/// would only bloat the read-only image with padding).
const MAX_ALIGN: u64 = 4096;

/// Where a section's bytes end up in the shared object.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SectionKind {
    /// Code: merged into the one `.text` the loader accepts.
    Text,
    /// Read-only data: merged into `.rodata`, which the loader maps read-only together
    /// with `.text` at `MM_PROGRAM_START` (0x1_0000_0000).
    ReadOnly,
    /// Writable data (`.data`, `.bss`, TLS, ...). The SBFv0 loader has no writable
    /// program memory, so any byte in here is an error (an empty one is tolerated).
    Writable,
    /// Not loaded: debug info, BTF, `.eh_frame` (SBF programs abort on panic and have
    /// no unwinder), `.comment`, address-significance tables, ...
    Dropped,
}

/// A relocation as found in a `.rel*` (or `.rela*`) section.
#[derive(Debug, Clone, Copy)]
pub(crate) struct InputReloc {
    /// Byte offset inside the relocated section.
    pub offset: u64,
    /// Raw `R_BPF_*` type.
    pub r_type: u32,
    /// Index into [`InputObject::symbols`].
    pub symbol: usize,
    /// `Some` for RELA relocations; REL ones (what LLVM's BPF backend writes) keep their
    /// addend implicitly in the relocated bytes.
    pub explicit_addend: Option<i64>,
}

/// A section that occupies (or would occupy) memory.
#[derive(Debug)]
pub(crate) struct InputSection {
    /// ELF section index in the input.
    pub index: usize,
    pub name: String,
    pub kind: SectionKind,
    /// `sh_size`.
    pub size: u64,
    pub align: u64,
    /// Contents (zero-filled for `SHT_NOBITS`); empty for writable and dropped
    /// sections, which are never copied.
    pub data: Vec<u8>,
    pub relocations: Vec<InputReloc>,
}

/// Where a symbol is defined.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum SymbolPlace {
    Undefined,
    /// `SHN_ABS`: the value is a constant, not an address.
    Absolute,
    /// `SHN_COMMON`: a tentative (writable, zero-initialised) definition.
    Common,
    /// Defined in the input section with this ELF index.
    Section(usize),
}

#[derive(Debug, Clone)]
pub(crate) struct InputSymbol {
    pub name: String,
    pub value: u64,
    pub size: u64,
    pub st_type: u8,
    pub global: bool,
    /// `STB_WEAK`: an undefined weak symbol's address is 0.
    pub weak: bool,
    pub place: SymbolPlace,
}

impl InputSymbol {
    /// Whether this symbol names something a human wrote (not a section or file symbol).
    pub fn is_named_entity(&self) -> bool {
        !self.name.is_empty()
            && self.st_type != elf::STT_SECTION.0
            && self.st_type != elf::STT_FILE.0
    }
}

#[derive(Debug)]
pub(crate) struct InputObject {
    /// Every `SHF_ALLOC` section (with the relocations that patch it), in input order.
    pub sections: Vec<InputSection>,
    /// Indexed by ELF symbol index; entry 0 is the null symbol (`None`).
    pub symbols: Vec<Option<InputSymbol>>,
}

impl InputObject {
    pub fn section_by_index(&self, index: usize) -> Option<&InputSection> {
        self.sections.iter().find(|s| s.index == index)
    }
}

fn parse_err(what: &'static str) -> impl Fn(object::read::Error) -> RelinkError {
    move |e| RelinkError::MalformedInput(format!("{what}: {e}"))
}

/// Parses and classifies the input object.
pub(crate) fn read(data: &[u8]) -> Result<InputObject, RelinkError> {
    // Check the identity by hand first, so that a big-endian or 32-bit file gets a
    // precise error instead of a generic parse failure.
    let ident = data
        .get(..16)
        .ok_or_else(|| RelinkError::MalformedInput("file is shorter than an ELF header".into()))?;
    if ident[..4] != elf::ELFMAG {
        return Err(RelinkError::MalformedInput("not an ELF file".into()));
    }
    // e_ident[EI_CLASS] == ELFCLASS64, e_ident[EI_DATA] == ELFDATA2LSB
    if ident[4] != elf::ELFCLASS64.0 || ident[5] != elf::ELFDATA2LSB.0 {
        return Err(RelinkError::NotBpfel);
    }

    let header = Elf::parse(data).map_err(parse_err("ELF header"))?;
    let endian = LittleEndian;
    let machine = header.e_machine(endian).0;
    if machine != elf::EM_BPF.0 {
        return Err(RelinkError::NotBpfel);
    }
    let e_type = header.e_type(endian).0;
    if e_type != elf::ET_REL.0 {
        return Err(RelinkError::NotRelocatable { e_type });
    }

    let sections = header
        .sections(endian, data)
        .map_err(parse_err("section headers"))?;
    let symtab = sections
        .symbols(endian, data, elf::SHT_SYMTAB)
        .map_err(parse_err("symbol table"))?;

    let mut symbols = Vec::with_capacity(symtab.len());
    for (index, sym) in symtab.enumerate() {
        if index.0 == 0 {
            symbols.push(None);
            continue;
        }
        let name = symtab
            .symbol_name(endian, sym)
            .map_err(parse_err("symbol name"))?;
        let shndx = sym.st_shndx(endian);
        let place = if shndx == elf::SHN_UNDEF {
            SymbolPlace::Undefined
        } else if shndx == elf::SHN_ABS {
            SymbolPlace::Absolute
        } else if shndx == elf::SHN_COMMON {
            SymbolPlace::Common
        } else {
            match symtab
                .symbol_section(endian, sym, index)
                .map_err(parse_err("symbol section"))?
            {
                Some(SectionIndex(i)) => SymbolPlace::Section(i),
                None => SymbolPlace::Undefined,
            }
        };
        symbols.push(Some(InputSymbol {
            name: String::from_utf8_lossy(name).into_owned(),
            value: sym.st_value(endian),
            size: sym.st_size(endian),
            st_type: sym.st_type().0,
            global: sym.st_bind() != elf::STB_LOCAL,
            weak: sym.st_bind() == elf::STB_WEAK,
            place,
        }));
    }

    let mut out = Vec::new();
    for (SectionIndex(index), shdr) in sections.enumerate() {
        let sh_type = shdr.sh_type(endian);
        let flags = shdr.sh_flags(endian);
        if index == 0 || !flags.contains(elf::SHF_ALLOC) {
            // Relocation tables, symbol/string tables, debug info, BTF, .comment, ...
            // Nothing there is loaded, and relocations *in* them do not matter.
            continue;
        }
        let name = sections
            .section_name(endian, shdr)
            .map_err(parse_err("section name"))?;
        let name = String::from_utf8_lossy(name).into_owned();
        let kind = classify(&name, flags);
        let size = shdr.sh_size(endian);
        let align = shdr.sh_addralign(endian).max(1);
        if !align.is_power_of_two() || align > MAX_ALIGN {
            return Err(RelinkError::UnsupportedAlignment {
                section: name,
                align,
            });
        }
        // Writable and dropped sections are never copied (a large `.bss` would only be
        // allocated to be refused); their size is all that matters.
        let data_bytes = match kind {
            SectionKind::Writable | SectionKind::Dropped => Vec::new(),
            _ if sh_type == elf::SHT_NOBITS => {
                if size > u64::from(u32::MAX) {
                    return Err(RelinkError::OutputTooLarge);
                }
                vec![0; size as usize]
            }
            _ => shdr
                .data(endian, data)
                .map_err(parse_err("section data"))?
                .to_vec(),
        };
        out.push(InputSection {
            index,
            name,
            kind,
            size,
            align,
            data: data_bytes,
            relocations: Vec::new(),
        });
    }

    // Attach relocations to the sections they patch.
    for (_, shdr) in sections.enumerate() {
        let target = shdr.info_link(endian).0;
        let Some(section) = out.iter_mut().find(|s| s.index == target) else {
            continue;
        };
        if let Some((rels, _)) = shdr.rel(endian, data).map_err(parse_err("relocations"))? {
            for rel in rels {
                section.relocations.push(InputReloc {
                    offset: rel.r_offset(endian),
                    r_type: rel.r_type(endian).0,
                    symbol: rel.r_sym(endian) as usize,
                    explicit_addend: None,
                });
            }
        } else if let Some((relas, _)) =
            shdr.rela(endian, data).map_err(parse_err("relocations"))?
        {
            for rela in relas {
                section.relocations.push(InputReloc {
                    offset: rela.r_offset(endian),
                    r_type: rela.r_type(endian, false).0,
                    symbol: rela.r_sym(endian, false) as usize,
                    explicit_addend: Some(rela.r_addend(endian)),
                });
            }
        }
    }
    for section in &mut out {
        // Stable order regardless of how the relocation tables were split.
        section.relocations.sort_by_key(|r| r.offset);
    }

    Ok(InputObject {
        sections: out,
        symbols,
    })
}

/// Decides where an allocated section goes.
///
/// Names are consulted only where flags cannot tell: `.data.rel.ro*` is flagged
/// writable by LLVM (it is written by a dynamic loader before RELRO protection), but
/// on Solana nothing ever writes it after our load-time relocation, so it is read-only
/// data; so is `.security.txt`, where `solana-security-txt` puts a program's contact (an
/// immutable `static &str`, writable-flagged only for its relocated pointer); `.eh_frame`
/// is allocated but useless without an unwinder.
fn classify(name: &str, flags: elf::SectionFlags) -> SectionKind {
    if name == ".eh_frame" || name == ".eh_frame_hdr" || name.starts_with(".eh_frame.") {
        SectionKind::Dropped
    } else if flags.contains(elf::SHF_EXECINSTR) {
        SectionKind::Text
    } else if flags.contains(elf::SHF_TLS) {
        SectionKind::Writable
    } else if flags.contains(elf::SHF_WRITE) {
        if name == ".data.rel.ro" || name.starts_with(".data.rel.ro.") || name == ".security.txt" {
            SectionKind::ReadOnly
        } else {
            SectionKind::Writable
        }
    } else {
        SectionKind::ReadOnly
    }
}
