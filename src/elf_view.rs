//! An ELF file read for `toyemu inspect`: its header, every program header
//! (segment), every section header, and the symbols that name addresses.
//!
//! Unlike the loader (`toyemu_kernel::elf`), which reads only what running
//! needs and refuses what it cannot run, this reads any ELF file, 32- or
//! 64-bit, either byte order, to show it. What cannot be read at all (not
//! ELF, cut short, headers past the end) is an [`ElfError`]; section headers
//! that are broken only cost the sections (the kernel never reads them
//! either), and the reason is kept in [`ElfView::sections_unreadable`].
//! Every offset and size from the file is checked before it is used.

use goblin::container::{Container, Ctx, Endian};
use goblin::elf::program_header::{self as ph, ProgramHeader};
use goblin::elf::section_header::{self as sh, SectionHeader};
use goblin::elf::sym::{self, Sym};
use goblin::elf::{header, Elf};
use toyemu_kernel::ElfError;

/// One program header, as in the file.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    /// Its index in the program header table.
    pub index: usize,
    pub p_type: u32,
    pub flags: u32,
    pub offset: u64,
    pub vaddr: u64,
    pub filesz: u64,
    pub memsz: u64,
    pub align: u64,
}

impl Segment {
    pub fn is_load(&self) -> bool {
        self.p_type == ph::PT_LOAD
    }
    /// `LOAD`, `GNU_STACK`, … as readelf names it, or the number.
    pub fn type_name(&self) -> String {
        match ph::pt_to_str(self.p_type) {
            "UNKNOWN_PT" => match self.p_type {
                0x6474_e553 => "GNU_PROPERTY".into(),
                0x6474_e554 => "GNU_SFRAME".into(),
                t => format!("{t:#x}"),
            },
            s => s.trim_start_matches("PT_").to_string(),
        }
    }
    /// `r-x` from PF_R, PF_W, PF_X.
    pub fn rwx(&self) -> String {
        let bit = |b: u32, c: char| if self.flags & b != 0 { c } else { '-' };
        [bit(ph::PF_R, 'r'), bit(ph::PF_W, 'w'), bit(ph::PF_X, 'x')]
            .iter()
            .collect()
    }
    /// One past the last byte in memory (wider than the file's fields, so
    /// it cannot overflow).
    pub fn mem_end(&self) -> u128 {
        self.vaddr as u128 + self.memsz as u128
    }
    pub fn file_end(&self) -> u128 {
        self.offset as u128 + self.filesz as u128
    }
}

/// One section header, with its name.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section {
    pub index: usize,
    pub name: String,
    pub sh_type: u32,
    pub flags: u64,
    pub addr: u64,
    pub offset: u64,
    pub size: u64,
    /// sh_link: for a symbol table, the section holding its names.
    pub link: u32,
}

impl Section {
    pub fn is_alloc(&self) -> bool {
        self.flags & sh::SHF_ALLOC as u64 != 0
    }
    pub fn is_nobits(&self) -> bool {
        self.sh_type == sh::SHT_NOBITS
    }
    pub fn is_tls(&self) -> bool {
        self.flags & sh::SHF_TLS as u64 != 0
    }
    /// `PROGBITS`, `NOBITS`, … or the number.
    pub fn type_name(&self) -> String {
        match sh::sht_to_str(self.sh_type) {
            "UNKNOWN_SHT" => format!("{:#x}", self.sh_type),
            s => s.trim_start_matches("SHT_").to_string(),
        }
    }
    /// readelf's flag letters: W A X M S I L G T E.
    pub fn flag_letters(&self) -> String {
        let letters = [
            (sh::SHF_WRITE, 'W'),
            (sh::SHF_ALLOC, 'A'),
            (sh::SHF_EXECINSTR, 'X'),
            (sh::SHF_MERGE, 'M'),
            (sh::SHF_STRINGS, 'S'),
            (sh::SHF_INFO_LINK, 'I'),
            (sh::SHF_LINK_ORDER, 'L'),
            (sh::SHF_GROUP, 'G'),
            (sh::SHF_TLS, 'T'),
        ];
        letters
            .iter()
            .filter(|(b, _)| self.flags & *b as u64 != 0)
            .map(|(_, c)| *c)
            .collect()
    }
}

/// A symbol with an address: a function or an object.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Symbol {
    pub name: String,
    pub value: u64,
    pub size: u64,
}

/// The whole file as `toyemu inspect` shows it.
#[derive(Clone, Debug)]
pub struct ElfView {
    pub is_64: bool,
    pub big_endian: bool,
    pub e_type: u16,
    pub machine: u16,
    pub entry: u64,
    pub file_len: u64,
    /// Every program header, in file order.
    pub segments: Vec<Segment>,
    /// Every section header, in index order (empty if there are none).
    pub sections: Vec<Section>,
    /// Why the section headers could not be read, if they could not.
    pub sections_unreadable: Option<String>,
    /// Symbols with an address, sorted by it.
    pub symbols: Vec<Symbol>,
}

impl ElfView {
    /// Read `bytes` as an ELF file.
    pub fn read(bytes: &[u8]) -> Result<ElfView, ElfError> {
        let (is_64, big_endian) = ident(bytes)?;
        let h = Elf::parse_header(bytes).map_err(|e| ElfError::Malformed(e.to_string()))?;
        let ctx = Ctx::new(
            if is_64 {
                Container::Big
            } else {
                Container::Little
            },
            if big_endian {
                Endian::Big
            } else {
                Endian::Little
            },
        );
        let segments = program_headers(&h, bytes, ctx)?;
        let (sections, sections_unreadable) = match section_headers(&h, bytes, ctx) {
            Ok(s) => (s, None),
            Err(why) => (Vec::new(), Some(why)),
        };
        let symbols = symbols(&sections, bytes, ctx);
        Ok(ElfView {
            is_64,
            big_endian,
            e_type: h.e_type,
            machine: h.e_machine,
            entry: h.e_entry,
            file_len: bytes.len() as u64,
            segments,
            sections,
            sections_unreadable,
            symbols,
        })
    }

    /// The PT_LOAD segments, in file order.
    pub fn loads(&self) -> impl Iterator<Item = &Segment> {
        self.segments.iter().filter(|s| s.is_load())
    }

    /// `name` or `name+0x1c` for the symbol holding `addr`.
    pub fn symbol_at(&self, addr: u64) -> Option<String> {
        let i = self.symbols.partition_point(|s| s.value <= addr);
        let s = self.symbols.get(i.checked_sub(1)?)?;
        let off = addr - s.value;
        if s.size != 0 && off >= s.size {
            return None;
        }
        Some(match off {
            0 => s.name.clone(),
            _ => format!("{}+{off:#x}", s.name),
        })
    }

    /// The allocated section holding `addr`.
    pub fn section_at(&self, addr: u64) -> Option<&Section> {
        self.sections.iter().find(|s| {
            s.is_alloc() && s.addr <= addr && (addr as u128) < s.addr as u128 + s.size as u128
        })
    }

    /// The sections that lie in `seg`, by the rule readelf's "Section to
    /// Segment mapping" uses.
    pub fn sections_in<'a>(&'a self, seg: &'a Segment) -> impl Iterator<Item = &'a Section> {
        self.sections
            .iter()
            .filter(move |s| s.index != 0 && section_in_segment(s, seg))
    }
}

/// Class and byte order from e_ident, with the common wrong files named.
fn ident(b: &[u8]) -> Result<(bool, bool), ElfError> {
    if b.len() < 4 || &b[..4] != b"\x7fELF" {
        return Err(ElfError::NotElf);
    }
    if b.len() < header::SIZEOF_IDENT {
        return Err(ElfError::Truncated(format!(
            "{} bytes, shorter than e_ident",
            b.len()
        )));
    }
    let is_64 = match b[header::EI_CLASS] {
        header::ELFCLASS32 => false,
        header::ELFCLASS64 => true,
        c => return Err(ElfError::Malformed(format!("unknown EI_CLASS {c}"))),
    };
    let big = match b[header::EI_DATA] {
        header::ELFDATA2LSB => false,
        header::ELFDATA2MSB => true,
        d => return Err(ElfError::Malformed(format!("unknown EI_DATA {d}"))),
    };
    let need = if is_64 {
        header::header64::SIZEOF_EHDR
    } else {
        header::header32::SIZEOF_EHDR
    };
    if b.len() < need {
        return Err(ElfError::Truncated(format!(
            "{} bytes, shorter than the {need}-byte ELF header",
            b.len()
        )));
    }
    Ok((is_64, big))
}

/// The program header table: it must be where e_phoff says, whole.
fn program_headers(h: &header::Header, b: &[u8], ctx: Ctx) -> Result<Vec<Segment>, ElfError> {
    if h.e_phnum == 0 {
        return Ok(Vec::new());
    }
    let entsize = ProgramHeader::size(ctx);
    if h.e_phentsize as usize != entsize {
        return Err(ElfError::BadPhentsize(h.e_phentsize));
    }
    let end = h.e_phoff as u128 + (h.e_phnum as usize * entsize) as u128;
    if end > b.len() as u128 {
        return Err(ElfError::Truncated(format!(
            "the program headers end at {end:#x}, past the end of the {}-byte file",
            b.len()
        )));
    }
    let phdrs = ProgramHeader::parse(b, h.e_phoff as usize, h.e_phnum as usize, ctx)
        .map_err(|e| ElfError::Malformed(e.to_string()))?;
    Ok(phdrs
        .into_iter()
        .enumerate()
        .map(|(index, p)| Segment {
            index,
            p_type: p.p_type,
            flags: p.p_flags,
            offset: p.p_offset,
            vaddr: p.p_vaddr,
            filesz: p.p_filesz,
            memsz: p.p_memsz,
            align: p.p_align,
        })
        .collect())
}

/// The section headers with their names; `Err` says why they are unreadable.
fn section_headers(h: &header::Header, b: &[u8], ctx: Ctx) -> Result<Vec<Section>, String> {
    if h.e_shoff == 0 {
        return Ok(Vec::new());
    }
    let entsize = SectionHeader::size(ctx);
    if h.e_shentsize as usize != entsize {
        return Err(format!(
            "e_shentsize {} is not {entsize}, the size of a section header",
            h.e_shentsize
        ));
    }
    if h.e_shoff as u128 + entsize as u128 > b.len() as u128 {
        return Err(format!(
            "e_shoff {:#x} is past the end of the {}-byte file",
            h.e_shoff,
            b.len()
        ));
    }
    let headers = SectionHeader::parse(b, h.e_shoff as usize, h.e_shnum as usize, ctx)
        .map_err(|e| format!("the section headers: {e}"))?;
    // SHN_XINDEX: the real index of the names' table is in section 0's sh_link.
    let strndx = match h.e_shstrndx as u32 {
        sh::SHN_XINDEX => headers.first().map_or(0, |s| s.sh_link as usize),
        i => i as usize,
    };
    let names = headers.get(strndx).filter(|s| s.sh_type == sh::SHT_STRTAB);
    Ok(headers
        .iter()
        .enumerate()
        .map(|(index, s)| Section {
            index,
            name: names.map_or_else(String::new, |t| {
                c_string(b, t.sh_offset, t.sh_size, s.sh_name as u64)
            }),
            sh_type: s.sh_type,
            flags: s.sh_flags,
            addr: s.sh_addr,
            offset: s.sh_offset,
            size: s.sh_size,
            link: s.sh_link,
        })
        .collect())
}

/// The NUL-terminated string at `at` in the string table of `size` bytes at
/// `offset`, or "" where the file says something impossible.
fn c_string(b: &[u8], offset: u64, size: u64, at: u64) -> String {
    let Some(start) = offset.checked_add(at) else {
        return String::new();
    };
    let end = offset.saturating_add(size).min(b.len() as u64);
    if at >= size || start >= end {
        return String::new();
    }
    let raw = &b[start as usize..end as usize];
    let s = raw.split(|&c| c == 0).next().unwrap_or(&[]);
    String::from_utf8_lossy(s).into_owned()
}

/// Functions and objects from .symtab (or .dynsym), sorted by address.
fn symbols(sections: &[Section], b: &[u8], ctx: Ctx) -> Vec<Symbol> {
    let table = sections
        .iter()
        .find(|s| s.sh_type == sh::SHT_SYMTAB)
        .or_else(|| sections.iter().find(|s| s.sh_type == sh::SHT_DYNSYM));
    let Some(table) = table else {
        return Vec::new();
    };
    let entsize = match ctx.container {
        Container::Big => sym::sym64::SIZEOF_SYM,
        Container::Little => sym::sym32::SIZEOF_SYM,
    };
    let count = table.size / entsize as u64;
    if table.offset as u128 + table.size as u128 > b.len() as u128 {
        return Vec::new();
    }
    let Ok(syms) = Sym::parse(b, table.offset as usize, count as usize, ctx) else {
        return Vec::new();
    };
    let strtab = sections
        .get(table.link as usize)
        .filter(|t| t.sh_type == sh::SHT_STRTAB);
    let mut out: Vec<Symbol> = syms
        .iter()
        .filter(|s| {
            matches!(
                s.st_type(),
                sym::STT_FUNC | sym::STT_OBJECT | sym::STT_NOTYPE
            ) && s.st_shndx != sh::SHN_UNDEF as usize
                && s.st_value != 0
        })
        .filter_map(|s| {
            let name = strtab.map(|t| c_string(b, t.offset, t.size, s.st_name as u64))?;
            (!name.is_empty() && !name.starts_with('$')).then_some(Symbol {
                name,
                value: s.st_value,
                size: s.st_size,
            })
        })
        .collect();
    // Functions before plain labels at the same address.
    out.sort_by_key(|s| (s.value, s.size == 0));
    out.dedup_by_key(|s| s.value);
    out
}

/// Does section `s` lie in segment `p`? The rule of readelf's "Section to
/// Segment mapping" (binutils' ELF_SECTION_IN_SEGMENT_STRICT, less .tbss
/// outside PT_TLS), written out: TLS sections only in TLS, RELRO and LOAD
/// segments; only allocated
/// sections in LOAD-like segments; file bytes inside the segment's file
/// range; addresses inside its memory; no empty section at the very start
/// or end of a DYNAMIC or NOTE segment.
pub fn section_in_segment(s: &Section, p: &Segment) -> bool {
    let (pt, tls) = (p.p_type, s.is_tls());
    let tls_ok = if tls {
        matches!(pt, ph::PT_TLS | ph::PT_GNU_RELRO | ph::PT_LOAD)
    } else {
        pt != ph::PT_TLS && pt != ph::PT_PHDR
    };
    let load_like = matches!(
        pt,
        ph::PT_LOAD | ph::PT_DYNAMIC | ph::PT_GNU_EH_FRAME | ph::PT_GNU_STACK | ph::PT_GNU_RELRO
    ) || pt == 0x6474_e554;
    // A .tbss takes no room outside the TLS segment: readelf leaves it out
    // of the others (its lines are each thread's copy, made at run time).
    let tbss_elsewhere = tls && s.is_nobits() && pt != ph::PT_TLS;
    if !tls_ok || tbss_elsewhere || (load_like && !s.is_alloc()) {
        return false;
    }
    let size = s.size;
    let in_file = s.is_nobits()
        || (s.offset >= p.offset
            && s.offset - p.offset <= p.filesz.wrapping_sub(1)
            && (s.offset - p.offset) as u128 + size as u128 <= p.filesz as u128);
    let in_memory = !s.is_alloc()
        || (s.addr >= p.vaddr
            && s.addr - p.vaddr <= p.memsz.wrapping_sub(1)
            && (s.addr - p.vaddr) as u128 + size as u128 <= p.memsz as u128);
    let edge_ok = !matches!(pt, ph::PT_DYNAMIC | ph::PT_NOTE)
        || s.size != 0
        || p.memsz == 0
        || ((s.is_nobits() || (s.offset > p.offset && s.offset - p.offset < p.filesz))
            && (!s.is_alloc() || (s.addr > p.vaddr && s.addr - p.vaddr < p.memsz)));
    in_file && in_memory && edge_ok
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_wrong_files_are_named() {
        assert_eq!(ElfView::read(b"hello").unwrap_err(), ElfError::NotElf);
        assert!(matches!(
            ElfView::read(b"\x7fELF\x01\x01").unwrap_err(),
            ElfError::Truncated(_)
        ));
        let mut b = vec![0u8; 64];
        b[..4].copy_from_slice(b"\x7fELF");
        b[4] = 3;
        assert!(ElfView::read(&b)
            .unwrap_err()
            .to_string()
            .contains("EI_CLASS"));
        b[4] = 1;
        b[5] = 1;
        // A 32-bit header with no program or section headers reads, empty.
        let v = ElfView::read(&b).unwrap();
        assert!(v.segments.is_empty() && v.sections.is_empty());
    }

    #[test]
    fn sections_lie_in_segments_by_address_and_offset() {
        let load = Segment {
            index: 0,
            p_type: ph::PT_LOAD,
            flags: ph::PF_R | ph::PF_W,
            offset: 0x1000,
            vaddr: 0x0804_a000,
            filesz: 0x100,
            memsz: 0x400,
            align: 0x1000,
        };
        let data = Section {
            index: 1,
            name: ".data".into(),
            sh_type: sh::SHT_PROGBITS,
            flags: (sh::SHF_ALLOC | sh::SHF_WRITE) as u64,
            addr: 0x0804_a000,
            offset: 0x1000,
            size: 0x100,
            link: 0,
        };
        let bss = Section {
            name: ".bss".into(),
            sh_type: sh::SHT_NOBITS,
            addr: 0x0804_a100,
            offset: 0x1100,
            size: 0x300,
            ..data.clone()
        };
        let comment = Section {
            name: ".comment".into(),
            flags: 0,
            addr: 0,
            ..data.clone()
        };
        assert!(section_in_segment(&data, &load));
        assert!(section_in_segment(&bss, &load));
        assert!(!section_in_segment(&comment, &load), "not allocated");
        let past = Section {
            addr: 0x0804_a400,
            ..bss.clone()
        };
        assert!(!section_in_segment(&past, &load));
    }
}
