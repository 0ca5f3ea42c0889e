//! Malformed executables, one row per defect: each is written with the
//! `object` crate's ELF writer from a good executable with one thing wrong,
//! and toyemu must refuse it with an error that names the defect — or, for
//! the rows Linux accepts, run it and give every frame back.

use object::elf;
use object::write::elf::{FileHeader, ProgramHeader, Writer};
use object::Endianness;
use std::path::Path;
use toyemu::{Options, RunError};
use toyemu_kernel::Console;

const TEXT_VA: u64 = 0x0804_9000;
const DATA_VA: u64 = 0x0804_a000;
/// mov eax, 1; mov ebx, 42; int 0x80 — exit(42).
const EXIT_42: [u8; 12] = [0xb8, 1, 0, 0, 0, 0xbb, 42, 0, 0, 0, 0xcd, 0x80];
const INTERP: &[u8] = b"/lib/ld-linux.so.2\0";
/// Offsets of ELF32 header fields the writer fills in itself.
const E_SHOFF: usize = 32;
const E_PHENTSIZE: usize = 42;
const E_SHNUM: usize = 48;

/// What to write: a header, program headers, and a file of `len` bytes with
/// the exit code at 0x1000 and the interpreter name at 0x800.
#[derive(Clone)]
struct Exe {
    is_64: bool,
    endian: Endianness,
    e_type: u16,
    e_machine: u16,
    e_entry: u64,
    phdrs: Vec<ProgramHeader>,
    len: usize,
    /// Cut the written file to this many bytes.
    truncate: Option<usize>,
    /// Bytes to overwrite after writing (fields the writer always gets right).
    patch: Vec<(usize, Vec<u8>)>,
}

fn load(p_flags: u32, p_offset: u64, p_vaddr: u64, p_filesz: u64, p_memsz: u64) -> ProgramHeader {
    ProgramHeader {
        p_type: elf::PT_LOAD,
        p_flags,
        p_offset,
        p_vaddr,
        p_paddr: p_vaddr,
        p_filesz,
        p_memsz,
        p_align: 0x1000,
    }
}

fn text() -> ProgramHeader {
    load(
        elf::PF_R | elf::PF_X,
        0x1000,
        TEXT_VA,
        EXIT_42.len() as u64,
        0x100,
    )
}

fn data() -> ProgramHeader {
    load(elf::PF_R | elf::PF_W, 0x2000, DATA_VA, 0x10, 0x3000)
}

/// A static i386 executable that exits with 42; every case changes one thing.
fn good() -> Exe {
    Exe {
        is_64: false,
        endian: Endianness::Little,
        e_type: elf::ET_EXEC,
        e_machine: elf::EM_386,
        e_entry: TEXT_VA,
        phdrs: vec![text(), data()],
        len: 0x2010,
        truncate: None,
        patch: Vec::new(),
    }
}

impl Exe {
    fn with(mut self, f: impl FnOnce(&mut Exe)) -> Exe {
        f(&mut self);
        self
    }
    fn write(&self) -> Vec<u8> {
        let mut out = Vec::new();
        let mut w = Writer::new(self.endian, self.is_64, &mut out);
        w.reserve_file_header();
        w.reserve_program_headers(self.phdrs.len() as u32);
        w.reserve_until(self.len);
        w.write_file_header(&FileHeader {
            os_abi: elf::ELFOSABI_SYSV,
            abi_version: 0,
            e_type: self.e_type,
            e_machine: self.e_machine,
            e_entry: self.e_entry,
            e_flags: 0,
        })
        .expect("header");
        w.write_align_program_headers();
        for ph in &self.phdrs {
            w.write_program_header(ph);
        }
        // The interpreter name and the code, unless the headers are in the way.
        if w.len() <= 0x800 {
            w.pad_until(0x800);
            w.write(INTERP);
            w.pad_until(0x1000);
            w.write(&EXIT_42);
        }
        w.pad_until(self.len);
        for (at, bytes) in &self.patch {
            out[*at..*at + bytes.len()].copy_from_slice(bytes);
        }
        if let Some(n) = self.truncate {
            out.truncate(n);
        }
        out
    }
}

enum Expect {
    /// Refused, the message containing this.
    Refused(&'static str),
    /// Runs (exit 42), as on Linux.
    Runs,
}
use Expect::*;

fn cases() -> Vec<(&'static str, Exe, Expect)> {
    let g = good;
    vec![
        ("the good executable", g(), Runs),
        (
            "not ELF at all",
            g().with(|e| e.truncate = Some(3)),
            Refused("not an ELF file"),
        ),
        (
            "shorter than e_ident",
            g().with(|e| e.truncate = Some(10)),
            Refused("truncated ELF file: 10 bytes, shorter than e_ident"),
        ),
        (
            "truncated ELF header",
            g().with(|e| e.truncate = Some(40)),
            Refused("truncated ELF file: 40 bytes, shorter than the 52-byte ELF header"),
        ),
        (
            "truncated program headers",
            g().with(|e| e.truncate = Some(52 + 40)),
            Refused("truncated ELF file"),
        ),
        (
            "64-bit",
            g().with(|e| e.is_64 = true),
            Refused("64-bit ELF (ELFCLASS64)"),
        ),
        (
            "big-endian",
            g().with(|e| e.endian = Endianness::Big),
            Refused("big-endian ELF"),
        ),
        (
            "ARM machine",
            g().with(|e| e.e_machine = elf::EM_ARM),
            Refused("is not Intel 80386 (EM_386)"),
        ),
        (
            "x86-64 machine in an ELF32",
            g().with(|e| e.e_machine = elf::EM_X86_64),
            Refused("is not Intel 80386 (EM_386)"),
        ),
        (
            "ET_DYN (PIE)",
            g().with(|e| e.e_type = elf::ET_DYN),
            Refused("position-independent executable (ET_DYN)"),
        ),
        (
            "ET_REL (object file)",
            g().with(|e| e.e_type = elf::ET_REL),
            Refused("is not an executable (ET_EXEC)"),
        ),
        (
            "ET_CORE",
            g().with(|e| e.e_type = elf::ET_CORE),
            Refused("is not an executable (ET_EXEC)"),
        ),
        (
            "wrong e_phentsize",
            g().with(|e| e.patch.push((E_PHENTSIZE, 40u16.to_le_bytes().to_vec()))),
            Refused("e_phentsize 40"),
        ),
        (
            "PT_INTERP",
            g().with(|e| {
                let interp = ProgramHeader {
                    p_type: elf::PT_INTERP,
                    p_flags: elf::PF_R,
                    p_offset: 0x800,
                    p_vaddr: 0,
                    p_paddr: 0,
                    p_filesz: INTERP.len() as u64,
                    p_memsz: INTERP.len() as u64,
                    p_align: 1,
                };
                e.phdrs.insert(0, interp);
            }),
            Refused("dynamically linked (PT_INTERP /lib/ld-linux.so.2)"),
        ),
        (
            "no program headers",
            g().with(|e| e.phdrs.clear()),
            Refused("no PT_LOAD segment"),
        ),
        (
            "only a PT_NOTE",
            g().with(|e| {
                e.phdrs = vec![ProgramHeader {
                    p_type: elf::PT_NOTE,
                    ..text()
                }];
            }),
            Refused("no PT_LOAD segment"),
        ),
        (
            "too many program headers",
            g().with(|e| {
                e.len = 0x3000;
                e.phdrs.extend(std::iter::repeat_n(
                    ProgramHeader {
                        p_type: elf::PT_NOTE,
                        ..text()
                    },
                    200,
                ));
            }),
            Refused("program headers"),
        ),
        (
            "segments not in address order (Linux maps them all the same)",
            g().with(|e| e.phdrs.swap(0, 1)),
            Runs,
        ),
        (
            "section headers pointing past the end (Linux never reads them)",
            g().with(|e| {
                e.patch
                    .push((E_SHOFF, 0xffff_ff00u32.to_le_bytes().to_vec()));
                e.patch.push((E_SHNUM, 9u16.to_le_bytes().to_vec()));
            }),
            Runs,
        ),
        (
            "segments overlapping (same page)",
            g().with(|e| e.phdrs[1] = load(elf::PF_R | elf::PF_W, 0x2000, TEXT_VA, 0x10, 0x10)),
            Refused("segments 0 and 1 overlap"),
        ),
        (
            "segments overlapping (second inside the first's bss)",
            g().with(|e| e.phdrs[0].p_memsz = 0x1800),
            Refused("segments 0 and 1 overlap"),
        ),
        (
            "p_vaddr and p_offset differ modulo the page",
            g().with(|e| e.phdrs[1].p_vaddr = DATA_VA + 4),
            Refused(
                "segment 1: p_vaddr 0x804a004 and p_offset 0x2000 differ modulo the 4 KiB page",
            ),
        ),
        (
            "p_align 2 MiB, congruent modulo the page only",
            g().with(|e| e.phdrs.iter_mut().for_each(|p| p.p_align = 0x20_0000)),
            Runs,
        ),
        (
            "p_align not a power of two",
            g().with(|e| e.phdrs[1].p_align = 0x3000),
            Runs,
        ),
        (
            "segment at address 0",
            g().with(|e| e.phdrs[1].p_vaddr = 0),
            Refused("segment 1: p_vaddr 0x0 is below 0x10000, the null guard"),
        ),
        (
            "segment in the null guard",
            g().with(|e| e.phdrs[1].p_vaddr = 0xf000),
            Refused("is below 0x10000, the null guard"),
        ),
        (
            "segment reaching kernel space",
            g().with(|e| e.phdrs[1].p_vaddr = 0xbfff_f000),
            Refused("segment 1: ends at 0xc0002000, reaching kernel space at 0xc0000000"),
        ),
        (
            "segment where the stack goes",
            g().with(|e| e.phdrs[1].p_vaddr = 0xbfff_0000),
            Refused("stack"),
        ),
        (
            "empty PT_LOAD (p_memsz 0: Linux maps nothing)",
            g().with(|e| {
                e.phdrs
                    .push(load(elf::PF_R, 0x2000, DATA_VA + 0x4000, 0, 0));
                e.phdrs.push(load(elf::PF_R, 0x1000, TEXT_VA, 0, 0));
            }),
            Runs,
        ),
        (
            "segment in kernel space",
            g().with(|e| e.phdrs[1].p_vaddr = 0xc000_0000),
            Refused("reaching kernel space"),
        ),
        (
            "p_filesz > p_memsz",
            g().with(|e| e.phdrs[1].p_memsz = 0x8),
            Refused("segment 1: p_filesz 0x10 is larger than p_memsz 0x8"),
        ),
        (
            "file range past the end of the file",
            g().with(|e| e.phdrs[1].p_filesz = 0x100),
            Refused("segment 1: file range ends at 0x2100, past the end of the 8208-byte file"),
        ),
        (
            "p_offset + p_filesz overflows 32 bits",
            g().with(|e| {
                e.phdrs[1].p_offset = 0xffff_f000;
                e.phdrs[1].p_vaddr = DATA_VA;
                e.phdrs[1].p_filesz = 0x2000;
                e.phdrs[1].p_memsz = 0x2000;
            }),
            Refused("overflows 32 bits"),
        ),
        (
            "p_vaddr + p_memsz overflows 32 bits",
            g().with(|e| e.phdrs[1].p_memsz = 0xffff_f000),
            Refused("overflows 32 bits"),
        ),
        (
            "entry point in a data segment",
            g().with(|e| e.e_entry = DATA_VA),
            Refused("entry point 0x804a000 is not in an executable segment"),
        ),
        (
            "entry point outside every segment",
            g().with(|e| e.e_entry = 0x0900_0000),
            Refused("entry point 0x9000000 is not in an executable segment"),
        ),
        (
            "entry point past the end of the text",
            g().with(|e| e.e_entry = TEXT_VA + 0x100),
            Refused("is not in an executable segment"),
        ),
    ]
}

/// Run `bytes` under toyemu; `Ok(status)` or the refusal's message.
fn run(bytes: Vec<u8>) -> Result<(i32, u32, u32), String> {
    let opts = Options {
        mem_bytes: 4 << 20,
        max_insns: Some(1_000_000),
        ..Options::default()
    };
    let console = Console::captured(
        Box::new(std::io::empty()),
        Box::new(std::io::sink()),
        Box::new(std::io::sink()),
    );
    let argv = ["defect".to_string()];
    match toyemu::Session::boot(
        Path::new("defect"),
        bytes,
        &argv,
        &opts,
        console,
        Vec::new(),
    )
    .map(toyemu::Session::run_to_exit)
    {
        Ok(r) => Ok((r.status.code(), r.free_before, r.free_after)),
        Err(RunError::Elf { err, .. }) => Err(err.to_string()),
        Err(RunError::Exec { err, .. }) => Err(err.to_string()),
        Err(other) => panic!("not a load error: {other}"),
    }
}

#[test]
fn every_malformed_executable_is_refused_by_name() {
    let mut failures = Vec::new();
    for (name, exe, expect) in cases() {
        let got = run(exe.write());
        let ok = match (&expect, &got) {
            (Refused(want), Err(msg)) => msg.contains(want),
            (Runs, Ok((42, before, after))) => before == after,
            _ => false,
        };
        let want = match expect {
            Refused(m) => format!("refused with {m:?}"),
            Runs => "runs, exit 42, frames back".to_string(),
        };
        eprintln!("{name}: {got:?}");
        if !ok {
            failures.push(format!("{name}: expected {want}, got {got:?}"));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// The one defect found only at exec (where the stack goes depends on the
/// arguments): the half-built process gives back every frame it took.
#[test]
fn a_refusal_at_exec_gives_every_frame_back() {
    use std::sync::Arc;
    use toyemu_kernel::{ElfImage, ExecError, Kernel, KernelConfig};
    let exe = good().with(|e| e.phdrs[1].p_vaddr = 0xbfff_0000);
    let image = ElfImage::parse(exe.write()).expect("only exec can tell");
    let console = Console::captured(
        Box::new(std::io::empty()),
        Box::new(std::io::sink()),
        Box::new(std::io::sink()),
    );
    let mut k = Kernel::new(KernelConfig::default(), console).unwrap();
    let before = k.frames().free_frames();
    let err = k
        .exec(Arc::new(image), &[b"defect".to_vec()], &[])
        .err()
        .expect("refused");
    assert!(matches!(err, ExecError::StackOverlap { .. }), "{err}");
    assert_eq!(k.frames().free_frames(), before);
}

/// `toyemu inspect` on a written case: its status, stdout and stderr.
fn inspect(name: &str, bytes: &[u8]) -> (Option<i32>, String, String) {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("defects");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join(name.replace(|c: char| !c.is_ascii_alphanumeric(), "_"));
    std::fs::write(&file, bytes).unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_toyemu"))
        .arg("inspect")
        .arg(&file)
        .output()
        .unwrap();
    (
        o.status.code(),
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// `toyemu inspect` on every malformed executable: a file it can read is
/// drawn, with the loader's verdict (the same words `toyemu run` gives); a
/// file it cannot read is named with the reason, status 1; never a panic.
#[test]
fn inspect_reads_or_names_every_malformed_executable() {
    let mut failures = Vec::new();
    for (name, exe, expect) in cases() {
        let (status, out, err) = inspect(name, &exe.write());
        let ok = match (status, &expect) {
            (Some(0), Runs) => out.contains("toyemu run loads it"),
            // Where the stack goes is known only at exec: inspect cannot tell.
            (Some(0), Refused("stack")) => out.contains("toyemu run loads it"),
            (Some(0), Refused(want)) => out
                .lines()
                .any(|l| l.starts_with("toyemu run refuses it: ") && l.contains(want)),
            (Some(1), Refused(want)) => {
                err.starts_with("toyemu: cannot inspect ") && err.contains(want)
            }
            _ => false,
        };
        if !ok || err.contains("panicked") {
            failures.push(format!("{name}: status {status:?}\n{out}{err}"));
        }
    }
    assert!(failures.is_empty(), "\n{}", failures.join("\n"));
}

/// Two segments in one page, which Linux maps and toyemu refuses:
/// inspect draws the page under both and says it is shared.
#[test]
fn inspect_shows_a_page_two_segments_share() {
    let exe = good().with(|e| {
        e.phdrs[1] = load(elf::PF_R | elf::PF_W, 0x1800, TEXT_VA + 0x800, 0x10, 0x20);
    });
    let (status, out, err) = inspect("shared page", &exe.write());
    assert_eq!(status, Some(0), "{err}");
    assert!(
        out.contains("toyemu run refuses it: segments 0 and 1 overlap"),
        "{out}"
    );
    let shared: Vec<&str> = out
        .lines()
        .filter(|l| l.contains("; shared with segment"))
        .collect();
    assert_eq!(shared.len(), 2, "the page, under each segment:\n{out}");
    assert!(
        shared[0].starts_with(&format!("  {TEXT_VA:#010x} ")),
        "{out}"
    );
}
