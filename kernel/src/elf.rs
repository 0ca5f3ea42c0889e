//! An ELF executable, checked and described: its entry point, its
//! `PT_LOAD` segments widened to pages, and where its program headers are.
//!
//! Accepts what Linux's `binfmt_elf` would run without an interpreter:
//! ELF32, little-endian, `EM_386`, `ET_EXEC`, no `PT_INTERP`; everything
//! else is refused with an [`ElfError`] naming the defect. Nothing here maps
//! or copies anything: `exec` turns the segments into VMAs whose pages are
//! filled from the image on first touch.

use crate::layout::{MMAP_MIN_ADDR, TASK_SIZE};
use crate::vma::Prot;
use goblin::container::{Container, Ctx, Endian};
use goblin::elf::{header, program_header as ph, Elf};
use std::fmt;
use std::sync::Arc;
use toyemu_emulator::{VirtAddr, PAGE_SIZE};

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ElfError {
    NotElf,
    Truncated(String),
    Malformed(String),
    WrongClass,
    BigEndian,
    WrongMachine(u16),
    WrongType(u16),
    Dynamic(String),
    /// e_phentsize is not the 32 bytes of an Elf32_Phdr.
    BadPhentsize(u16),
    /// More program headers than the 4 KiB Linux reads (128 of them).
    TooManyProgramHeaders(u16),
    NoLoadSegment,
    FileSizeExceedsMemSize {
        index: usize,
        filesz: u64,
        memsz: u64,
    },
    SegmentPastEndOfFile {
        index: usize,
        end: u64,
        file_len: usize,
    },
    Misaligned {
        index: usize,
        vaddr: u64,
        offset: u64,
    },
    BelowMinAddr {
        index: usize,
        vaddr: u64,
    },
    ReachesKernel {
        index: usize,
        end: u64,
    },
    Overlap {
        first: usize,
        second: usize,
    },
    EntryNotExecutable {
        entry: u64,
    },
}

impl fmt::Display for ElfError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        use ElfError::*;
        match self {
            NotElf => write!(f, "not an ELF file (bad magic)"),
            Truncated(m) => write!(f, "truncated ELF file: {m}"),
            Malformed(m) => write!(f, "malformed ELF file: {m}"),
            WrongClass => write!(f, "64-bit ELF (ELFCLASS64): toyemu runs 32-bit i386 executables (build with -m32)"),
            BigEndian => write!(f, "big-endian ELF: toyemu runs little-endian i386 executables"),
            WrongMachine(m) => write!(f, "ELF machine {} ({m}) is not Intel 80386 (EM_386)", header::machine_to_str(*m)),
            WrongType(t) if *t == header::ET_DYN => write!(
                f,
                "position-independent executable (ET_DYN): toyemu loads static ET_EXEC files (link with -static -no-pie)"
            ),
            WrongType(t) => write!(f, "ELF type {} is not an executable (ET_EXEC)", header::et_to_str(*t)),
            Dynamic(interp) => write!(
                f,
                "dynamically linked (PT_INTERP {interp}): toyemu has no dynamic loader, link with -static"
            ),
            BadPhentsize(n) => write!(
                f,
                "e_phentsize {n} is not {} (the size of an Elf32_Phdr)",
                ph::program_header32::SIZEOF_PHDR
            ),
            TooManyProgramHeaders(n) => write!(
                f,
                "too many program headers: {n} of them, more than the {MAX_PHDR_BYTES} bytes Linux reads"
            ),
            NoLoadSegment => write!(f, "no PT_LOAD segment: nothing to run"),
            FileSizeExceedsMemSize { index, filesz, memsz } => {
                write!(f, "segment {index}: p_filesz {filesz:#x} is larger than p_memsz {memsz:#x}")
            }
            SegmentPastEndOfFile { index, end, file_len } => {
                write!(f, "segment {index}: file range ends at {end:#x}, past the end of the {file_len}-byte file")?;
                overflow_note(f, *end, "p_offset + p_filesz")
            }
            Misaligned { index, vaddr, offset } => write!(
                f,
                "segment {index}: p_vaddr {vaddr:#x} and p_offset {offset:#x} differ modulo the 4 KiB page"
            ),
            BelowMinAddr { index, vaddr } => write!(
                f,
                "segment {index}: p_vaddr {vaddr:#x} is below {:#x}, the null guard",
                MMAP_MIN_ADDR.0
            ),
            ReachesKernel { index, end } => {
                write!(
                    f,
                    "segment {index}: ends at {end:#x}, reaching kernel space at {:#010x}",
                    TASK_SIZE.0
                )?;
                overflow_note(f, *end, "p_vaddr + p_memsz")
            }
            Overlap { first, second } => write!(f, "segments {first} and {second} overlap"),
            EntryNotExecutable { entry } => write!(f, "entry point {entry:#x} is not in an executable segment"),
        }
    }
}
impl std::error::Error for ElfError {}

/// Say so when a sum of two 32-bit fields does not fit in 32 bits.
fn overflow_note(f: &mut fmt::Formatter<'_>, end: u64, what: &str) -> fmt::Result {
    if end > u32::MAX as u64 {
        write!(f, " ({what} overflows 32 bits)")?;
    }
    Ok(())
}

/// Linux's load_elf_phdrs reads at most one page of program headers.
const MAX_PHDR_BYTES: usize = 4096;

/// One `PT_LOAD`, widened to whole pages the way Linux maps it: file bytes
/// from the page start, zeroes after `vaddr + filesz`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Segment {
    /// The segment's own p_vaddr and sizes, as in the file.
    pub vaddr: u32,
    pub memsz: u32,
    pub filesz: u32,
    pub offset: u32,
    pub prot: Prot,
}

impl Segment {
    pub fn start(&self) -> VirtAddr {
        VirtAddr(self.vaddr).page_base()
    }
    pub fn end(&self) -> VirtAddr {
        // Checked at load: vaddr + memsz <= TASK_SIZE, so this cannot overflow.
        VirtAddr(self.vaddr + self.memsz)
            .page_align_up()
            .expect("segment below TASK_SIZE")
    }
    /// The file range that backs the pages from `start()`.
    pub fn file_window(&self) -> (u32, u32, u32) {
        let lead = self.vaddr - self.start().0;
        (self.start().0, self.offset - lead, self.filesz + lead)
    }
}

/// A checked executable, shared by the processes that run it.
#[derive(Debug)]
pub struct ElfImage {
    pub bytes: Arc<[u8]>,
    /// Where the file is, as an absolute path (`/proc/self/exe`, the maps
    /// line); empty when it came from memory.
    pub path: String,
    /// The host's device and inode numbers for it (0 when unknown).
    pub dev: u64,
    pub ino: u64,
    pub entry: VirtAddr,
    pub segments: Vec<Segment>,
    /// Where the program headers are in memory (AT_PHDR), if mapped.
    pub phdr: VirtAddr,
    pub phent: u32,
    pub phnum: u32,
}

impl ElfImage {
    /// The image as the file at `path` (absolute), with its host identity.
    pub fn at_path(mut self, path: impl Into<String>, dev: u64, ino: u64) -> ElfImage {
        self.path = path.into();
        self.dev = dev;
        self.ino = ino;
        self
    }

    pub fn parse(bytes: impl Into<Arc<[u8]>>) -> Result<ElfImage, ElfError> {
        let bytes: Arc<[u8]> = bytes.into();
        check_ident(&bytes)?;
        // Only the ELF header and the program headers, as Linux reads them:
        // section headers, symbols and the rest play no part in running.
        let h = Elf::parse_header(&bytes).map_err(|e| ElfError::Malformed(e.to_string()))?;
        if h.e_machine != header::EM_386 {
            return Err(ElfError::WrongMachine(h.e_machine));
        }
        if h.e_type != header::ET_EXEC {
            return Err(ElfError::WrongType(h.e_type));
        }
        let phdrs = program_headers(&h, &bytes)?;
        if let Some(p) = phdrs.iter().find(|p| p.p_type == ph::PT_INTERP) {
            return Err(ElfError::Dynamic(interpreter(p, &bytes)));
        }
        let mut segments = Vec::new();
        for (index, p) in phdrs.iter().filter(|p| p.p_type == ph::PT_LOAD).enumerate() {
            let seg = check_segment(index, p, bytes.len())?;
            // An empty segment maps nothing, as in Linux's elf_map.
            if seg.memsz > 0 {
                segments.push(seg);
            }
        }
        if segments.is_empty() {
            return Err(ElfError::NoLoadSegment);
        }
        // Sorted by start, only neighbours can overlap: O(n log n) even for
        // a file that claims 65535 program headers.
        let mut order: Vec<usize> = (0..segments.len()).collect();
        order.sort_by_key(|&i| segments[i].start());
        for w in order.windows(2) {
            let (a, b) = (&segments[w[0]], &segments[w[1]]);
            if b.start() < a.end() {
                return Err(ElfError::Overlap {
                    first: w[0].min(w[1]),
                    second: w[0].max(w[1]),
                });
            }
        }
        let entry = h.e_entry;
        let exec = segments.iter().any(|s| {
            s.prot.contains(Prot::EXEC)
                && (s.vaddr as u64..(s.vaddr + s.memsz) as u64).contains(&entry)
        });
        if !exec {
            return Err(ElfError::EntryNotExecutable { entry });
        }
        let phdr = phdr_address(&h, &phdrs, &segments);
        Ok(ElfImage {
            path: String::new(),
            dev: 0,
            ino: 0,
            entry: VirtAddr(entry as u32),
            phdr,
            phent: h.e_phentsize as u32,
            phnum: h.e_phnum as u32,
            segments,
            bytes,
        })
    }
}

/// The program header table, checked as Linux's load_elf_phdrs does.
fn program_headers(h: &header::Header, bytes: &[u8]) -> Result<Vec<ph::ProgramHeader>, ElfError> {
    if h.e_phnum == 0 {
        return Err(ElfError::NoLoadSegment);
    }
    let entsize = ph::program_header32::SIZEOF_PHDR;
    if h.e_phentsize as usize != entsize {
        return Err(ElfError::BadPhentsize(h.e_phentsize));
    }
    let size = h.e_phnum as usize * entsize;
    if size > MAX_PHDR_BYTES {
        return Err(ElfError::TooManyProgramHeaders(h.e_phnum));
    }
    let end = h.e_phoff + size as u64;
    if end > bytes.len() as u64 {
        return Err(ElfError::Truncated(format!(
            "the program headers end at {end:#x}, past the end of the {}-byte file",
            bytes.len()
        )));
    }
    let ctx = Ctx::new(Container::Little, Endian::Little);
    ph::ProgramHeader::parse(bytes, h.e_phoff as usize, h.e_phnum as usize, ctx)
        .map_err(|e| ElfError::Malformed(e.to_string()))
}

/// The interpreter a `PT_INTERP` names, for the error message.
fn interpreter(p: &ph::ProgramHeader, bytes: &[u8]) -> String {
    let at = || format!("at {:#x}", p.p_offset);
    let Some(end) = p.p_offset.checked_add(p.p_filesz) else {
        return at();
    };
    let Some(raw) = bytes.get(p.p_offset as usize..end.min(bytes.len() as u64) as usize) else {
        return at();
    };
    let name = raw.split(|&b| b == 0).next().unwrap_or(&[]);
    if name.is_empty() {
        return at();
    }
    String::from_utf8_lossy(&name[..name.len().min(256)]).into_owned()
}

/// Check e_ident before goblin, so the common wrong files get precise words.
fn check_ident(b: &[u8]) -> Result<(), ElfError> {
    if b.len() < 4 || &b[..4] != b"\x7fELF" {
        return Err(ElfError::NotElf);
    }
    if b.len() < 16 {
        return Err(ElfError::Truncated(format!(
            "{} bytes, shorter than e_ident",
            b.len()
        )));
    }
    match b[header::EI_CLASS] {
        header::ELFCLASS32 => {}
        header::ELFCLASS64 => return Err(ElfError::WrongClass),
        c => return Err(ElfError::Malformed(format!("unknown EI_CLASS {c}"))),
    }
    match b[header::EI_DATA] {
        header::ELFDATA2LSB => {}
        header::ELFDATA2MSB => return Err(ElfError::BigEndian),
        d => return Err(ElfError::Malformed(format!("unknown EI_DATA {d}"))),
    }
    if b.len() < header::header32::SIZEOF_EHDR {
        return Err(ElfError::Truncated(format!(
            "{} bytes, shorter than the {}-byte ELF header",
            b.len(),
            header::header32::SIZEOF_EHDR
        )));
    }
    Ok(())
}

fn check_segment(
    index: usize,
    p: &ph::ProgramHeader,
    file_len: usize,
) -> Result<Segment, ElfError> {
    let (vaddr, memsz, filesz, offset) = (p.p_vaddr, p.p_memsz, p.p_filesz, p.p_offset);
    if filesz > memsz {
        return Err(ElfError::FileSizeExceedsMemSize {
            index,
            filesz,
            memsz,
        });
    }
    let file_end = offset.saturating_add(filesz);
    if file_end > file_len as u64 {
        return Err(ElfError::SegmentPastEndOfFile {
            index,
            end: file_end,
            file_len,
        });
    }
    if vaddr % PAGE_SIZE as u64 != offset % PAGE_SIZE as u64 {
        return Err(ElfError::Misaligned {
            index,
            vaddr,
            offset,
        });
    }
    if vaddr < MMAP_MIN_ADDR.0 as u64 {
        return Err(ElfError::BelowMinAddr { index, vaddr });
    }
    let end = vaddr.saturating_add(memsz);
    if end > TASK_SIZE.0 as u64 {
        return Err(ElfError::ReachesKernel { index, end });
    }
    let mut prot = Prot::empty();
    prot.set(Prot::READ, p.p_flags & ph::PF_R != 0);
    prot.set(Prot::WRITE, p.p_flags & ph::PF_W != 0);
    prot.set(Prot::EXEC, p.p_flags & ph::PF_X != 0);
    Ok(Segment {
        vaddr: vaddr as u32,
        memsz: memsz as u32,
        filesz: filesz as u32,
        offset: offset as u32,
        prot,
    })
}

/// AT_PHDR: PT_PHDR if present, else where the PT_LOAD covering e_phoff puts it.
fn phdr_address(h: &header::Header, phdrs: &[ph::ProgramHeader], segments: &[Segment]) -> VirtAddr {
    if let Some(p) = phdrs.iter().find(|p| p.p_type == ph::PT_PHDR) {
        return VirtAddr(p.p_vaddr as u32);
    }
    let off = h.e_phoff as u32;
    segments
        .iter()
        .find(|s| s.offset <= off && off < s.offset + s.filesz)
        .map_or(VirtAddr(0), |s| VirtAddr(s.vaddr + (off - s.offset)))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// (type, flags, offset, vaddr, filesz, memsz) of one program header.
    type Ph = (u32, u32, u32, u32, u32, u32);
    const TEXT: Ph = (
        ph::PT_LOAD,
        ph::PF_R | ph::PF_X,
        0,
        0x0804_8000,
        0x200,
        0x200,
    );
    const DATA: Ph = (
        ph::PT_LOAD,
        ph::PF_R | ph::PF_W,
        0x1000,
        0x0804_9000,
        0x10,
        0x2000,
    );

    /// A small ELF32 i386 executable with these program headers, 0x1100 bytes long.
    fn elf(phs: &[Ph], entry: u32) -> Vec<u8> {
        let mut b = vec![0u8; 0x1100];
        b[..4].copy_from_slice(b"\x7fELF");
        b[4] = header::ELFCLASS32;
        b[5] = header::ELFDATA2LSB;
        b[6] = 1;
        let put16 =
            |b: &mut Vec<u8>, at: usize, v: u16| b[at..at + 2].copy_from_slice(&v.to_le_bytes());
        let put32 =
            |b: &mut Vec<u8>, at: usize, v: u32| b[at..at + 4].copy_from_slice(&v.to_le_bytes());
        put16(&mut b, 16, header::ET_EXEC);
        put16(&mut b, 18, header::EM_386);
        put32(&mut b, 20, 1);
        put32(&mut b, 24, entry);
        put32(&mut b, 28, 52); // e_phoff
        put16(&mut b, 40, 52); // e_ehsize
        put16(&mut b, 42, 32); // e_phentsize
        put16(&mut b, 44, phs.len() as u16);
        for (i, &(t, fl, off, va, fs, ms)) in phs.iter().enumerate() {
            let at = 52 + 32 * i;
            for (k, v) in [t, off, va, va, fs, ms, fl, 0x1000].into_iter().enumerate() {
                put32(&mut b, at + 4 * k, v);
            }
        }
        b
    }

    fn err(bytes: Vec<u8>) -> ElfError {
        ElfImage::parse(bytes).expect_err("must be refused")
    }

    #[test]
    fn accepts_a_well_formed_executable() {
        let img = ElfImage::parse(elf(&[TEXT, DATA], 0x0804_8100)).unwrap();
        assert_eq!(img.segments.len(), 2);
        assert_eq!(img.entry, VirtAddr(0x0804_8100));
        assert_eq!(img.phdr, VirtAddr(0x0804_8034));
        assert_eq!(img.segments[1].end(), VirtAddr(0x0804_b000));
    }

    #[test]
    fn refuses_each_defect_with_its_name() {
        let good = elf(&[TEXT, DATA], 0x0804_8100);
        let mut b = good.clone();
        b[4] = header::ELFCLASS64;
        assert_eq!(err(b), ElfError::WrongClass);
        let mut b = good.clone();
        b[5] = header::ELFDATA2MSB;
        assert_eq!(err(b), ElfError::BigEndian);
        let mut b = good.clone();
        b[18] = 40; // EM_ARM
        assert_eq!(err(b), ElfError::WrongMachine(40));
        let mut b = good.clone();
        b[16] = header::ET_DYN as u8;
        assert!(err(b).to_string().contains("position-independent"));
        assert_eq!(err(b"hello".to_vec()), ElfError::NotElf);
        assert!(matches!(err(good[..30].to_vec()), ElfError::Truncated(_)));
        let interp = (ph::PT_INTERP, ph::PF_R, 0x100, 0, 0x10, 0x10);
        assert!(matches!(
            err(elf(&[interp, TEXT], 0x0804_8100)),
            ElfError::Dynamic(_)
        ));
        assert_eq!(err(elf(&[], 0x0804_8100)), ElfError::NoLoadSegment);
        let fat = (ph::PT_LOAD, ph::PF_R, 0x1000, 0x0804_9000, 0x20, 0x10);
        assert!(matches!(
            err(elf(&[TEXT, fat], 0x0804_8100)),
            ElfError::FileSizeExceedsMemSize { index: 1, .. }
        ));
        let past = (ph::PT_LOAD, ph::PF_R, 0x1000, 0x0804_9000, 0x1000, 0x1000);
        assert!(matches!(
            err(elf(&[TEXT, past], 0x0804_8100)),
            ElfError::SegmentPastEndOfFile { .. }
        ));
        let skew = (ph::PT_LOAD, ph::PF_R, 0x1000, 0x0804_9004, 0x10, 0x10);
        assert!(matches!(
            err(elf(&[TEXT, skew], 0x0804_8100)),
            ElfError::Misaligned { .. }
        ));
        let low = (ph::PT_LOAD, ph::PF_R, 0x1000, 0x1000, 0x10, 0x10);
        assert!(matches!(
            err(elf(&[TEXT, low], 0x0804_8100)),
            ElfError::BelowMinAddr { .. }
        ));
        let high = (ph::PT_LOAD, ph::PF_R, 0x1000, 0xbfff_f000, 0x10, 0x2000);
        assert!(matches!(
            err(elf(&[TEXT, high], 0x0804_8100)),
            ElfError::ReachesKernel { .. }
        ));
        let wrap = (
            ph::PT_LOAD,
            ph::PF_R,
            0x1000,
            0x0804_9000,
            0x10,
            0xffff_ffff,
        );
        assert!(matches!(
            err(elf(&[TEXT, wrap], 0x0804_8100)),
            ElfError::ReachesKernel { .. }
        ));
        let over = (ph::PT_LOAD, ph::PF_R, 0x1000, 0x0804_8000, 0x10, 0x10);
        assert_eq!(
            err(elf(&[TEXT, over], 0x0804_8100)),
            ElfError::Overlap {
                first: 0,
                second: 1
            }
        );
        assert!(matches!(
            err(elf(&[TEXT, DATA], 0x0804_9000)),
            ElfError::EntryNotExecutable { .. }
        ));
    }
}
