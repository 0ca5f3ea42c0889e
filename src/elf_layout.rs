//! `toyemu inspect FILE` as text: an ELF file's segments against its
//! sections, the way `readelf -lS` lists them, then drawn for a student —
//! each PT_LOAD's file bytes and memory, its `.bss` part, the entry point,
//! and which 4 KiB pages each segment covers, filled from the file or with
//! zeroes, as `toyemu run` fills them on first touch (`kernel/src/fault.rs`:
//! file bytes from the page's start up to p_vaddr + p_filesz, zeroes after).

use crate::elf_view::{ElfView, Segment};
use std::fmt::Write;
use toyemu_kernel::ElfError;

const PAGE: u128 = 4096;
/// Marks per page in the drawing: one per 128 bytes.
const CELLS: u128 = 32;
/// Beyond this many PT_LOADs (Linux reads at most 128 program headers of
/// an i386 file) the page drawing shows the first ones only.
const MAX_DRAWN: usize = 256;
/// Beyond this many section × segment pairs the mapping is not worked out.
const MAX_PAIRS: usize = 4_000_000;

/// The whole text. `runs` is what `toyemu run` makes of the file.
pub fn text(path: &str, v: &ElfView, runs: &Result<u32, ElfError>) -> String {
    let mut out = String::new();
    heading(&mut out, path, v, runs);
    program_headers(&mut out, v);
    section_headers(&mut out, v);
    loads(&mut out, v);
    pages(&mut out, v, runs.as_ref().ok().copied());
    out
}

/// An address as wide as the file's class writes it.
fn addr(v: &ElfView, a: u128) -> String {
    match v.is_64 {
        true => format!("{a:#018x}"),
        false => format!("{a:#010x}"),
    }
}

fn type_name(e_type: u16) -> &'static str {
    use goblin::elf::header::*;
    match e_type {
        ET_EXEC => "EXEC (executable)",
        ET_DYN => "DYN (shared object or position-independent executable)",
        ET_REL => "REL (relocatable object)",
        ET_CORE => "CORE (core dump)",
        _ => "unknown type",
    }
}

fn machine_name(m: u16) -> String {
    use goblin::elf::header::*;
    match m {
        EM_386 => "Intel 80386".into(),
        EM_X86_64 => "x86-64".into(),
        EM_ARM => "ARM".into(),
        EM_AARCH64 => "AArch64".into(),
        EM_RISCV => "RISC-V".into(),
        _ => format!("machine {} ({m})", machine_to_str(m)),
    }
}

fn heading(out: &mut String, path: &str, v: &ElfView, runs: &Result<u32, ElfError>) {
    let _ = writeln!(
        out,
        "{path}: ELF{} {}, {}, {}, {} bytes",
        if v.is_64 { 64 } else { 32 },
        if v.big_endian {
            "big-endian"
        } else {
            "little-endian"
        },
        type_name(v.e_type),
        machine_name(v.machine),
        v.file_len
    );
    let mut where_ = Vec::new();
    if let Some(s) = v.section_at(v.entry) {
        where_.push(format!("in {}", s.name));
    }
    match v.loads().find(|s| contains(s, v.entry as u128)) {
        Some(s) => where_.push(format!("segment {} (LOAD {})", s.index, s.rwx())),
        None => where_.push("outside every PT_LOAD".into()),
    }
    if let Some(sym) = v.symbol_at(v.entry) {
        where_.push(format!("at {sym}"));
    }
    let _ = writeln!(
        out,
        "entry point {}: {}",
        addr(v, v.entry as u128),
        where_.join(", ")
    );
    match runs {
        Ok(brk) => {
            let _ = writeln!(
                out,
                "toyemu run loads it: each PT_LOAD becomes a VMA, pages arrive on first touch; the heap would start at {brk:#010x}"
            );
        }
        Err(e) => {
            let _ = writeln!(out, "toyemu run refuses it: {e}");
        }
    }
    if let Some(why) = &v.sections_unreadable {
        let _ = writeln!(
            out,
            "section headers unreadable ({why}); the loader never reads them"
        );
    }
}

fn program_headers(out: &mut String, v: &ElfView) {
    let w = if v.is_64 { 18 } else { 10 };
    let _ = writeln!(
        out,
        "\n-- program headers: the segments, all the loader reads --"
    );
    let _ = writeln!(
        out,
        "  {:>3}  {:<14} {:<10} {:<w$} {:<10} {:<10} {:<5} align",
        "#", "type", "offset", "vaddr", "filesz", "memsz", "flags"
    );
    for s in &v.segments {
        let _ = writeln!(
            out,
            "  {:>3}  {:<14} {:<10} {:<w$} {:<10} {:<10} {:<5} {:#x}",
            s.index,
            s.type_name(),
            format!("{:#08x}", s.offset),
            addr(v, s.vaddr as u128),
            format!("{:#07x}", s.filesz),
            format!("{:#07x}", s.memsz),
            s.rwx(),
            s.align
        );
    }
    if v.segments.is_empty() {
        let _ = writeln!(out, "  none: nothing to load");
    }
}

fn section_headers(out: &mut String, v: &ElfView) {
    let w = if v.is_64 { 18 } else { 10 };
    let _ = writeln!(
        out,
        "\n-- section headers: what the linker made, and the PT_LOAD each lies in --"
    );
    if v.sections.is_empty() {
        let _ = writeln!(out, "  none");
        return;
    }
    let _ = writeln!(
        out,
        "  {:<5} {:<22} {:<13} {:<w$} {:<10} {:<10} {:<5} segment",
        "[Nr]", "name", "type", "address", "offset", "size", "flags"
    );
    let pairs_ok = v.sections.len().saturating_mul(v.segments.len()) <= MAX_PAIRS;
    for s in v.sections.iter().skip(1) {
        let segs: Vec<String> = match pairs_ok {
            true => v
                .loads()
                .filter(|p| crate::elf_view::section_in_segment(s, p))
                .map(|p| p.index.to_string())
                .collect(),
            false => vec!["?".into()],
        };
        let address = if s.is_alloc() {
            addr(v, s.addr as u128)
        } else {
            "-".into()
        };
        let _ = writeln!(
            out,
            "  [{:>3}] {:<22} {:<13} {:<w$} {:<10} {:<10} {:<5} {}",
            s.index,
            s.name,
            s.type_name(),
            address,
            format!("{:#08x}", s.offset),
            format!("{:#08x}", s.size),
            s.flag_letters(),
            if segs.is_empty() {
                "-".into()
            } else {
                segs.join(",")
            }
        );
    }
}

fn loads(out: &mut String, v: &ElfView) {
    let _ = writeln!(
        out,
        "\n-- each PT_LOAD: bytes of the file, placed in memory --"
    );
    let pairs_ok = v.sections.len().saturating_mul(v.segments.len()) <= MAX_PAIRS;
    for s in v.loads() {
        let _ = writeln!(
            out,
            "segment {} (LOAD {}, align {:#x})",
            s.index,
            s.rwx(),
            s.align
        );
        let _ = writeln!(
            out,
            "  file    {:#08x}-{:#08x}  (filesz {:#x})",
            s.offset,
            s.file_end(),
            s.filesz
        );
        let _ = writeln!(
            out,
            "  memory  {}-{}  (memsz {:#x})",
            addr(v, s.vaddr as u128),
            addr(v, s.mem_end()),
            s.memsz
        );
        let names: Vec<&str> = match pairs_ok {
            true => v.sections_in(s).map(|x| x.name.as_str()).collect(),
            false => Vec::new(),
        };
        let holds = match (names.is_empty(), s.offset == 0 && s.filesz > 0) {
            (false, _) => names.join(" "),
            (true, true) => "(no section: the ELF header and the program headers)".into(),
            (true, false) => "(no section)".into(),
        };
        let _ = writeln!(out, "  holds   {holds}");
        if s.memsz > s.filesz {
            let _ = writeln!(
                out,
                "  .bss    {}-{}: {:#x} bytes (memsz - filesz) not in the file, zero-filled",
                addr(v, s.vaddr as u128 + s.filesz as u128),
                addr(v, s.mem_end()),
                s.memsz - s.filesz
            );
        } else if s.filesz > s.memsz {
            let _ = writeln!(
                out,
                "  filesz is larger than memsz: the extra {:#x} file bytes have nowhere to go",
                s.filesz - s.memsz
            );
        }
    }
    if v.loads().next().is_none() {
        let _ = writeln!(out, "none: no PT_LOAD, nothing would be mapped");
    }
}

fn contains(s: &Segment, a: u128) -> bool {
    (s.vaddr as u128..s.mem_end()).contains(&a)
}

/// The pages `s` covers: first and one past the last page base.
fn page_span(s: &Segment) -> Option<(u128, u128)> {
    (s.memsz > 0).then(|| {
        let lo = s.vaddr as u128 / PAGE * PAGE;
        (lo, s.mem_end().div_ceil(PAGE) * PAGE)
    })
}

/// What one page of a segment holds, mark by mark: `F` the segment's
/// file bytes, `b` its .bss, `f` file bytes before it that come with the
/// page, `.` zeroes past it.
fn marks(s: &Segment, page: u128) -> String {
    let start = s.vaddr as u128;
    let file_end = start + s.filesz.min(s.memsz) as u128;
    let end = s.mem_end();
    let step = PAGE / CELLS;
    (0..CELLS)
        .map(|i| {
            let (lo, hi) = (page + i * step, page + (i + 1) * step);
            let meets = |a: u128, b: u128| lo < b && a < hi;
            if meets(start, file_end) {
                'F'
            } else if meets(file_end, end) {
                'b'
            } else if meets(page, start) {
                'f'
            } else {
                '.'
            }
        })
        .collect()
}

/// Where the page's bytes come from, in words.
fn fill_note(v: &ElfView, s: &Segment, page: u128, pages: u128) -> String {
    // The file window starts at the segment's first page and ends at p_filesz.
    let window_end = s.vaddr as u128 + s.filesz.min(s.memsz) as u128;
    let many = |what: &str| match pages {
        1 => what.to_string(),
        n => format!("{n} pages, {what}"),
    };
    if page + PAGE <= window_end {
        many("from the file")
    } else if page < window_end {
        let bss = if s.memsz > s.filesz { " (.bss)" } else { "" };
        format!(
            "from the file up to {}, zeroes after{bss}",
            addr(v, window_end)
        )
    } else {
        many("zero-fill (.bss)")
    }
}

/// One line of the drawing: a page, or a run of pages drawn alike.
struct PageLine {
    first: u128,
    last: u128,
    seg: usize,
    marks: String,
    note: String,
}

fn pages(out: &mut String, v: &ElfView, runs: Option<u32>) {
    let _ = writeln!(
        out,
        "\n-- pages (4 KiB): what each PT_LOAD's pages hold when first touched --"
    );
    let _ = writeln!(
        out,
        "one mark per 128 bytes: F the segment's bytes from the file, b its .bss (zeroes),"
    );
    let _ = writeln!(
        out,
        "f file bytes before the segment that its first page brings along, . zeroes past its end"
    );
    let mut loads: Vec<&Segment> = v.loads().filter(|s| s.memsz > 0).collect();
    loads.sort_by_key(|s| s.vaddr);
    let shown = loads.len().min(MAX_DRAWN);
    let mut lines: Vec<PageLine> = Vec::new();
    for s in &loads[..shown] {
        lines.extend(segment_pages(v, s, &loads));
    }
    let aw = if v.is_64 { 18 } else { 10 };
    let mut prev_end: Option<u128> = None;
    for l in merged(lines) {
        if let Some(e) = prev_end.filter(|&e| e < l.first) {
            let gap = (l.first - e) / PAGE;
            let _ = writeln!(
                out,
                "  {:<w$}  ({gap} page{} not mapped)",
                "",
                if gap == 1 { "" } else { "s" },
                w = 2 * aw + 1
            );
        }
        prev_end = Some(prev_end.map_or(l.last + PAGE, |e| e.max(l.last + PAGE)));
        let range = match l.first == l.last {
            true => addr(v, l.first),
            false => format!("{}-{}", addr(v, l.first), addr(v, l.last + PAGE - 1)),
        };
        let seg = &v.segments[l.seg];
        let _ = writeln!(
            out,
            "  {range:<w$}  seg {:<2} {}  |{}|  {}",
            seg.index,
            seg.rwx(),
            l.marks,
            l.note,
            w = 2 * aw + 1
        );
    }
    if shown < loads.len() {
        let _ = writeln!(
            out,
            "  ... and {} more PT_LOAD segments, not drawn",
            loads.len() - shown
        );
    }
    if let Some(brk) = runs {
        let _ = writeln!(
            out,
            "  {:<w$}  the initial break: toyemu run's heap starts here",
            addr(v, brk as u128),
            w = 2 * aw + 1
        );
    }
}

/// The lines for `s`: pages where something changes one by one, the
/// uniform runs between them as one line each. So a segment of any size
/// costs a few lines, and a page another segment also covers says so.
fn segment_pages(v: &ElfView, s: &Segment, loads: &[&Segment]) -> Vec<PageLine> {
    let Some((lo, hi)) = page_span(s) else {
        return Vec::new();
    };
    let window_end = s.vaddr as u128 + s.filesz.min(s.memsz) as u128;
    let mut cuts = vec![lo, hi - PAGE, window_end / PAGE * PAGE];
    for o in loads.iter().filter(|o| o.index != s.index) {
        if let Some((a, b)) = page_span(o) {
            cuts.extend([a, b.saturating_sub(PAGE), b]);
        }
    }
    cuts.retain(|&c| (lo..hi).contains(&c));
    cuts.sort_unstable();
    cuts.dedup();
    let mut lines = Vec::new();
    for (i, &page) in cuts.iter().enumerate() {
        lines.push(page_line(v, s, loads, page, page));
        // The pages up to the next cut are all like the one after this.
        let next = cuts.get(i + 1).copied().unwrap_or(hi);
        if page + PAGE < next {
            lines.push(page_line(v, s, loads, page + PAGE, next - PAGE));
        }
    }
    lines
}

fn page_line(v: &ElfView, s: &Segment, loads: &[&Segment], first: u128, last: u128) -> PageLine {
    let pages = (last - first) / PAGE + 1;
    let mut note = fill_note(v, s, first, pages);
    let shared: Vec<String> = loads
        .iter()
        .filter(|o| o.index != s.index)
        .filter(|o| page_span(o).is_some_and(|(a, b)| a <= first && first < b))
        .map(|o| o.index.to_string())
        .collect();
    if !shared.is_empty() {
        let _ = write!(
            note,
            "; shared with segment {} (one page, two segments)",
            shared.join(", ")
        );
    }
    PageLine {
        first,
        last,
        seg: s.index,
        marks: marks(s, first),
        note,
    }
}

/// Neighbouring lines of one segment drawn alike become one line.
fn merged(lines: Vec<PageLine>) -> Vec<PageLine> {
    let mut out: Vec<PageLine> = Vec::new();
    for l in lines {
        if let Some(p) = out.last_mut() {
            let alike = p.seg == l.seg && p.marks == l.marks && p.last + PAGE == l.first;
            let same_words = strip_count(&p.note) == strip_count(&l.note);
            if alike && same_words && !l.note.contains("up to") {
                p.last = l.last;
                let pages = (p.last - p.first) / PAGE + 1;
                p.note = format!("{pages} pages, {}", strip_count(&l.note));
                continue;
            }
        }
        out.push(l);
    }
    out
}

/// A note without its leading "N pages, ".
fn strip_count(note: &str) -> &str {
    match note.split_once(" pages, ") {
        Some((n, rest)) if n.bytes().all(|b| b.is_ascii_digit()) => rest,
        _ => note,
    }
}
