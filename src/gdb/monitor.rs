//! `monitor` commands: what a gdb stub on real hardware cannot show — the
//! guest's mappings, page walks, frames and heap — as text for gdb's console.

use crate::inferior::Inferior;
use crate::symbols::Symbols;
use crate::{inspect, leaks};
use std::fmt::Write;
use toyemu_emulator::VirtAddr;

const HELP: &str = "\
toyemu monitor commands:
  monitor maps       the address space, /proc/PID/maps style, with resident pages and faults
  monitor pt ADDR    the page walk for ADDR (hex, decimal or a symbol): PDE, PTE, frame, TLB
                     (for a pointer variable: eval \"monitor pt %p\", ptr)
  monitor frames     the frame allocator and what this process holds, by cause
  monitor leaks      heap blocks allocated now, with where malloc was called from
  monitor help       this list
";

/// Most heap blocks `leaks` lists one by one.
const MAX_BLOCKS: usize = 50;

/// Run one monitor command line; the answer always ends with a newline.
pub fn run(inf: &Inferior, line: &str) -> String {
    let s = &inf.session;
    let mut words = line.split_whitespace();
    let cmd = words.next().unwrap_or("help");
    let arg = words.next();
    if s.process.mm().is_none() && !matches!(cmd, "help" | "frames") {
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
    if let Some(at) = r.corrupt_at {
        let _ = writeln!(
            out,
            "  the walk stopped at {at:#010x}: the chunk header there is damaged"
        );
    }
    for b in r.blocks.iter().take(MAX_BLOCKS) {
        let _ = writeln!(
            out,
            "  {:#010x} {:>8} bytes{} from {}",
            b.addr,
            b.bytes,
            if b.mmapped { " (own mmap)" } else { "" },
            syms.describe(b.caller)
        );
    }
    if r.blocks.len() > MAX_BLOCKS {
        let _ = writeln!(out, "  ... and {} more", r.blocks.len() - MAX_BLOCKS);
    }
    out
}
