//! `monitor` commands: what a gdb stub on real hardware cannot show — the
//! guest's mappings, page walks, frames and heap, and what `--memcheck`
//! found — as text for gdb's console.

use crate::inferior::Inferior;
use crate::memcheck::report as memcheck_report;
use crate::symbols::Symbols;
use crate::{heap, inspect, leaks};
use std::fmt::Write;
use toyemu_emulator::VirtAddr;

const HELP: &str = "\
toyemu monitor commands:
  monitor maps       the address space, /proc/PID/maps style, with resident pages and faults
  monitor pt ADDR    the page walk for ADDR (hex, decimal or a symbol): PDE, PTE, frame, TLB
                     (for a pointer variable: eval \"monitor pt %p\", ptr)
  monitor frames     the frame allocator and what this process holds, by cause
  monitor heap       every chunk of the malloc heap: size, requested size, header, free-list links,
                     and the fragmentation (free bytes, holes, largest free block, mmap'd chunks)
  monitor heap ADDR  the chunk holding ADDR, its header field by field
  monitor leaks      heap blocks allocated now, with where malloc was called from and whether
                     anything still points to them (still reachable, possibly/indirectly/definitely lost)
  monitor memcheck   with --memcheck: the errors so far, in full, and the heap in use
  monitor help       this list
";

/// Most heap blocks `leaks` lists one by one.
const MAX_BLOCKS: usize = 50;
/// Most chunks `heap` lists one by one.
const MAX_CHUNKS: usize = 200;

/// Run one monitor command line; the answer always ends with a newline.
pub fn run(inf: &Inferior, line: &str) -> String {
    let s = &inf.session;
    let mut words = line.split_whitespace();
    let cmd = words.next().unwrap_or("help");
    let arg = words.next();
    if s.process.mm().is_none() && !matches!(cmd, "help" | "frames" | "memcheck") {
        return "the program has exited: its address space is gone\n".into();
    }
    match (cmd, arg) {
        ("help", _) => HELP.into(),
        ("maps", None) => inspect::maps(&s.kernel.vma_snapshots(&s.process), &s.program),
        ("pt", Some(a)) => match s.symbols.parse_addr(a) {
            Ok(va) => inspect::page_walk(&s.kernel, VirtAddr(va)),
            Err(e) => format!("{e}\n"),
        },
        ("pt", None) => "usage: monitor pt ADDR\n".into(),
        ("frames", None) => inspect::frames(&s.kernel, &s.process),
        ("heap", None) => heap::render(
            &heap::walk(&s.kernel, &s.process, &s.symbols),
            &s.symbols,
            MAX_CHUNKS,
        ),
        ("heap", Some(a)) => match s.symbols.parse_addr(a) {
            Ok(va) => heap::describe_addr(
                &heap::walk(&s.kernel, &s.process, &s.symbols),
                &s.symbols,
                va,
            ),
            Err(e) => format!("{e}\n"),
        },
        ("memcheck", None) => match &s.memcheck {
            Some(m) => memcheck_report::so_far_text(&m.borrow().summary(), &s.symbols),
            None => {
                "memcheck is off: start the stub with toyemu run --memcheck --gdb PORT\n".into()
            }
        },
        ("leaks", None) => live_heap(&leaks::walk(&s.kernel, &s.process, &s.symbols), &s.symbols),
        _ => format!("unknown monitor command {:?}\n{HELP}", line.trim()),
    }
}

/// The heap walk of a running process: what is allocated right now.
fn live_heap(r: &leaks::LeakReport, syms: &Symbols) -> String {
    if !r.walkable {
        return "heap: not linked with the toyemu libc, no heap to walk\n".into();
    }
    let mut out = String::new();
    let _ = writeln!(
        out,
        "heap: {} bytes in {} blocks allocated now ({} chunks walked, {} bytes free in the heap)",
        r.bytes(),
        r.blocks.len(),
        r.chunks,
        r.free_bytes
    );
    if let Some(p) = &r.problem {
        let _ = writeln!(out, "  {p}");
    }
    for b in r.blocks.iter().take(MAX_BLOCKS) {
        let _ = writeln!(
            out,
            "  {:#010x} {:>8} bytes ({} requested){}, {} now, from {}",
            b.addr,
            b.bytes,
            b.requested,
            if b.mmapped { " (own mmap)" } else { "" },
            b.kind.name(),
            syms.describe(b.caller)
        );
    }
    if r.blocks.len() > MAX_BLOCKS {
        let _ = writeln!(out, "  ... and {} more", r.blocks.len() - MAX_BLOCKS);
    }
    out
}
