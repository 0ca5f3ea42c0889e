//! `toyemu inspect FILE` against `readelf -lSW`: the same program headers,
//! sections, section-to-segment mapping and entry point, on a userland
//! demo, static glibc and musl programs, busybox, a 64-bit PIE, an nmagic
//! file whose sections are not page-aligned, and an object file. readelf
//! missing is a failure that says so; a toolchain missing is said on
//! stderr and that binary is left out.

mod common;

use common::*;
use regex::Regex;
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::process::Command;

/// (type, offset, vaddr, filesz, memsz, "rwx", align) of one program header.
type Phdr = (String, u64, u64, u64, u64, String, u64);
/// (name, address, offset, size) of one section; address None when not allocated.
type Shdr = (String, Option<u64>, u64, u64);

#[derive(Debug, Default, PartialEq)]
struct Layout {
    entry: u64,
    phdrs: Vec<Phdr>,
    sections: Vec<Shdr>,
    /// Program header index → the sections readelf maps into it (PT_LOADs only).
    mapping: BTreeMap<usize, Vec<String>>,
}

fn hex(s: &str) -> u64 {
    u64::from_str_radix(s.trim_start_matches("0x"), 16).unwrap_or_else(|_| panic!("not hex: {s:?}"))
}

fn readelf(file: &Path) -> Layout {
    let o = Command::new("readelf")
        .args(["-lSW"])
        .arg(file)
        .env("LC_ALL", "C")
        .output()
        .unwrap_or_else(|e| {
            panic!("readelf (binutils) is missing or cannot run ({e}): this test compares toyemu inspect with it; install binutils")
        });
    assert!(
        o.status.success(),
        "readelf {}: {}",
        file.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    let text = String::from_utf8_lossy(&o.stdout).into_owned();
    let sec = Regex::new(
        r"^\s*\[\s*(\d+)\]\s+(\S*)\s+(\S+)\s+([0-9a-f]{8,16})\s+([0-9a-f]{6,})\s+([0-9a-f]{6,})\s",
    )
    .unwrap();
    let ph = Regex::new(r"^\s+(\S+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+)\s+0x([0-9a-f]+) ([R ])([W ])([E ]) 0x([0-9a-f]+)").unwrap();
    let map = Regex::new(r"^\s+(\d\d)\s*(.*)$").unwrap();
    let mut l = Layout::default();
    let mut in_mapping = false;
    for line in text.lines() {
        if let Some(e) = line.strip_prefix("Entry point ") {
            l.entry = hex(e.trim());
        } else if line.starts_with(" Section to Segment mapping") {
            in_mapping = true;
        } else if let Some(c) = sec.captures(line) {
            if &c[1] == "0" {
                continue;
            }
            // readelf -S writes a flag column; 'A' marks an allocated section.
            let flags = line[c.get(0).unwrap().end()..]
                .split_whitespace()
                .nth(1)
                .unwrap_or("");
            let alloc = flags.contains('A');
            l.sections.push((
                c[2].to_string(),
                alloc.then(|| hex(&c[4])),
                hex(&c[5]),
                hex(&c[6]),
            ));
        } else if let Some(c) = ph.captures(line) {
            let rwx = format!(
                "{}{}{}",
                if &c[7] == "R" { 'r' } else { '-' },
                if &c[8] == "W" { 'w' } else { '-' },
                if &c[9] == "E" { 'x' } else { '-' }
            );
            l.phdrs.push((
                c[1].to_string(),
                hex(&c[2]),
                hex(&c[3]),
                hex(&c[5]),
                hex(&c[6]),
                rwx,
                hex(&c[10]),
            ));
        } else if let Some(c) = map.captures(line).filter(|_| in_mapping) {
            let i: usize = c[1].parse().unwrap();
            if l.phdrs.get(i).is_some_and(|p| p.0 == "LOAD") {
                l.mapping
                    .insert(i, c[2].split_whitespace().map(String::from).collect());
            }
        }
    }
    l
}

/// The same numbers, read back from `toyemu inspect`'s text.
fn inspect(file: &Path) -> (Layout, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_toyemu"))
        .arg("inspect")
        .arg(file)
        .output()
        .unwrap();
    let out = String::from_utf8_lossy(&o.stdout).into_owned();
    assert_eq!(
        o.status.code(),
        Some(0),
        "{}: {}",
        file.display(),
        String::from_utf8_lossy(&o.stderr)
    );
    let mut l = Layout::default();
    let mut table = "";
    let mut segment: Option<usize> = None;
    for line in out.lines() {
        if let Some(e) = line.strip_prefix("entry point ") {
            l.entry = hex(e.split(':').next().unwrap());
            continue;
        }
        if line.starts_with("-- ") {
            table = line;
            continue;
        }
        if let Some(rest) = line.strip_prefix("segment ") {
            segment = rest.split(' ').next().and_then(|n| n.parse().ok());
            continue;
        }
        let w: Vec<&str> = line.split_whitespace().collect();
        if table.starts_with("-- program headers") && w.len() == 8 && w[0] != "#" {
            l.phdrs.push((
                w[1].into(),
                hex(w[2]),
                hex(w[3]),
                hex(w[4]),
                hex(w[5]),
                w[6].into(),
                hex(w[7]),
            ));
        } else if table.starts_with("-- section headers")
            && line.trim_start().starts_with("[")
            && !line.contains("[Nr]")
        {
            let after = line.split_once(']').unwrap().1;
            let w: Vec<&str> = after.split_whitespace().collect();
            let address = (w[2] != "-").then(|| hex(w[2]));
            l.sections
                .push((w[0].into(), address, hex(w[3]), hex(w[4])));
        } else if let (Some(i), Some(names)) = (segment, line.strip_prefix("  holds   ")) {
            let names = match names.starts_with('(') {
                true => Vec::new(),
                false => names.split_whitespace().map(String::from).collect(),
            };
            l.mapping.insert(i, names);
        }
    }
    (l, out)
}

/// Build `src` with `cc` and `flags` into the test's temporary directory;
/// `None` (and a line on stderr saying why) if that toolchain is not here.
fn build_with(cc: &[&str], src: &str, flags: &[&str], out: &str) -> Option<PathBuf> {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("inspect");
    std::fs::create_dir_all(&dir).unwrap();
    let c = dir.join(format!("{out}.c"));
    std::fs::write(&c, src).unwrap();
    let exe = dir.join(out);
    let o = Command::new(cc[0])
        .args(&cc[1..])
        .args(flags)
        .arg(&c)
        .arg("-o")
        .arg(&exe)
        .output();
    match o {
        Ok(o) if o.status.success() => Some(exe),
        Ok(o) => {
            eprintln!(
                "NOTE: {out} not compared: {} failed: {}",
                cc.join(" "),
                String::from_utf8_lossy(&o.stderr).trim()
            );
            None
        }
        Err(e) => {
            eprintln!("NOTE: {out} not compared: cannot run {}: {e}", cc[0]);
            None
        }
    }
}

const HELLO: &str = "#include <stdio.h>\nint big[5000]; int x = 3;\nint main(void) { printf(\"%d\\n\", x + big[7]); return 0; }\n";

fn binaries() -> Vec<PathBuf> {
    let mut v = vec![userland("leak_demo"), userland("hello")];
    v.extend(build_with(
        &["gcc", "-m32", "-static", "-O2"],
        HELLO,
        &[],
        "glibc_static",
    ));
    let musl = root().join("tests/real/musl-gcc-i386");
    v.extend(build_with(
        &[musl.to_str().unwrap(), "-O2"],
        HELLO,
        &[],
        "musl_static",
    ));
    let toolchains = std::env::var("TOYEMU_REAL_TOOLCHAINS")
        .map(PathBuf::from)
        .unwrap_or_else(|_| root().join("target/real-toolchains"));
    let busybox = toolchains.join("busybox-i386/bin/busybox");
    match busybox.exists() {
        true => v.push(busybox),
        false => eprintln!(
            "NOTE: busybox not compared: {} is missing (tests/real/setup.sh)",
            busybox.display()
        ),
    }
    // Text, data and bss sharing pages: the linker's -n (nmagic) layout.
    v.extend(build_with(
        &["gcc", "-m32", "-ffreestanding", "-nostdlib", "-static", "-no-pie", "-Wl,-n", "-Wl,--no-warn-rwx-segments"],
        "int d = 5; int b[3000];\nvoid _start(void) { __asm__ volatile(\"int $0x80\" :: \"a\"(1), \"b\"(d + b[1])); }\n",
        &[],
        "nmagic",
    ));
    // An object file: sections, no segments.
    v.extend(build_with(&["gcc", "-m32", "-c"], HELLO, &[], "object.o"));
    // The host's own 64-bit, dynamically linked, position-independent true.
    v.push(PathBuf::from("/bin/true"));
    v
}

#[test]
fn inspect_agrees_with_readelf() {
    let mut compared = 0;
    for file in binaries() {
        if !file.exists() {
            eprintln!("NOTE: {} is missing, not compared", file.display());
            continue;
        }
        let want = readelf(&file);
        let (got, text) = inspect(&file);
        let name = file.display();
        assert!(
            !want.sections.is_empty(),
            "{name}: readelf's output was not understood"
        );
        assert_eq!(got.entry, want.entry, "{name}: entry point\n{text}");
        assert_eq!(
            got.phdrs.len(),
            want.phdrs.len(),
            "{name}: program headers\n{text}"
        );
        for (g, w) in got.phdrs.iter().zip(&want.phdrs) {
            // Types readelf has no name for it writes as LOOS+..., toyemu as a number.
            let same_type = g.0 == w.0 || g.0.starts_with("0x");
            let numbers = |p: &Phdr| (p.1, p.2, p.3, p.4, p.5.clone(), p.6);
            assert!(
                same_type && numbers(g) == numbers(w),
                "{name}: {g:?} vs readelf {w:?}"
            );
        }
        assert_eq!(got.sections, want.sections, "{name}: sections\n{text}");
        assert_eq!(
            got.mapping, want.mapping,
            "{name}: sections in each PT_LOAD\n{text}"
        );
        compared += 1;
    }
    eprintln!("compared {compared} files with readelf");
    assert!(compared >= 4, "too few files to compare");
}

/// The drawing of leak_demo, checked against its own program headers:
/// the .bss line, the page that is half file and half .bss, the break.
#[test]
fn inspect_draws_the_bss_and_the_pages() {
    let file = userland("leak_demo");
    let (_, text) = inspect(&file);
    let img = toyemu_kernel::ElfImage::parse(std::fs::read(&file).unwrap()).unwrap();
    let data = img
        .segments
        .iter()
        .find(|s| s.memsz > s.filesz)
        .expect("a segment with .bss");
    let bss_start = data.vaddr + data.filesz;
    assert!(
        text.contains(&format!(
            "  .bss    {:#010x}-{:#010x}: {:#x} bytes (memsz - filesz) not in the file, zero-filled",
            bss_start,
            data.vaddr + data.memsz,
            data.memsz - data.filesz
        )),
        "{text}"
    );
    // Its first page: file bytes, then zeroes from the end of p_filesz.
    let page = data.vaddr & !0xfff;
    assert!(
        text.lines()
            .any(|l| l.starts_with(&format!("  {page:#010x} "))
                && l.ends_with(&format!(
                    "from the file up to {bss_start:#010x}, zeroes after (.bss)"
                ))
                && l.contains("Fb")),
        "{text}"
    );
    let brk = img.segments.iter().map(|s| s.end().0).max().unwrap();
    assert!(text.contains(&format!("  {brk:#010x}")), "{text}");
    assert!(
        text.contains("the initial break: toyemu run's heap starts here"),
        "{text}"
    );
    assert!(
        text.contains(&format!(
            "entry point {}: in .text, segment 1 (LOAD r-x), at _start",
            img.entry
        )),
        "{text}"
    );
}

/// Random damage to real executables: inspect reads what it can or names
/// what is wrong, and never panics.
#[test]
fn damaged_files_never_panic() {
    let mut seed = 0x2545_f491_4f6c_dd1du64;
    let mut next = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    for file in [userland("hello"), userland("leak_demo")] {
        let good = std::fs::read(&file).unwrap();
        for round in 0..1500 {
            let mut b = good.clone();
            match round % 3 {
                // A few bytes anywhere in the headers.
                0 => (0..4).for_each(|_| {
                    let at = next() as usize % 256.min(b.len());
                    b[at] = next() as u8;
                }),
                // A field of the section header table.
                1 => {
                    let shoff = u32::from_le_bytes(b[32..36].try_into().unwrap()) as usize;
                    let at = shoff
                        + (next() as usize % (40 * 18)).min(b.len().saturating_sub(shoff + 4));
                    if at + 4 <= b.len() {
                        b[at..at + 4].copy_from_slice(&(next() as u32).to_le_bytes());
                    }
                }
                // Cut short.
                _ => b.truncate(next() as usize % b.len()),
            }
            if let Ok(v) = toyemu::elf_view::ElfView::read(&b) {
                let runs = toyemu_kernel::ElfImage::parse(b.clone())
                    .map(|img| img.segments.iter().map(|s| s.end().0).max().unwrap_or(0));
                let text = toyemu::elf_layout::text("damaged", &v, &runs);
                assert!(text.starts_with("damaged: ELF"));
            }
        }
    }
}
