//! The memory report of `toyemu run --report`: the address space just before
//! teardown, the page tables, the TLB, the heap's chunks and leaks, and the
//! ledger that shows every frame came back.

use crate::inspect::{maps, tls_text, vma_name};
use crate::picture::{draw, size};
use crate::{heap, leaks, ExitReport};
use serde_json::{json, Value};
use std::fmt::Write;
use toyemu_kernel::Cause;

/// Chunks the text report lists one by one (JSON has them all).
const REPORT_ROWS: usize = 64;

/// The report as text, for people.
pub fn text(r: &ExitReport) -> String {
    let rec = &r.record;
    let mut out = String::new();
    let _ = writeln!(
        out,
        "==== toyemu memory report: {} (pid {}) ====",
        r.program, r.pid
    );
    let _ = writeln!(out, "\n-- address space just before teardown (as /proc/{}/maps, plus resident pages and faults) --", r.pid);
    out.push_str(&maps(&rec.vmas, &r.program));
    let _ = writeln!(
        out,
        "program break: {:#010x} (heap starts at {:#010x}, {} in use)",
        rec.brk.0,
        rec.brk_start.0,
        size((rec.brk.0 - rec.brk_start.0) as u64)
    );
    let _ = writeln!(out, "\n-- the 4 GiB address space --");
    out.push_str(&draw(&rec.vmas, &r.program));
    let a = &r.at_exit;
    let _ = writeln!(out, "\n-- page tables --");
    let _ = writeln!(
        out,
        "page directory in frame {:#x}; {} page tables:",
        a.pd_frame,
        a.page_tables.len()
    );
    for (pdi, frame, used) in &a.page_tables {
        let base = (*pdi as u32) << 22;
        let _ = writeln!(
            out,
            "  PDE {pdi:#05x} covers {:#010x}-{:#010x}: table in frame {frame:#x}, {used} of 1024 entries used",
            base,
            base.wrapping_add((1 << 22) - 1)
        );
    }
    // Two levels against one flat table of 2^20 four-byte entries (4 MiB).
    let tables = a.page_tables.len() as u64 + 1;
    let mapped: u64 = a.page_tables.iter().map(|t| t.2 as u64).sum();
    let _ = writeln!(out, "page tables in all: {} (the directory and {} tables, 4 KiB each) for {mapped} entries in use; a flat table for the 4 GiB would take 4 MiB, {:.0} times as much", size(tables * 4096), tables - 1, 1024.0 / tables as f64);
    let t = &r.tlb;
    let c = &r.tlb_config;
    let _ = writeln!(
        out,
        "\n-- TLB ({} entries, {}-way, {}) --",
        c.entries, c.ways, c.policy
    );
    let _ = writeln!(
        out,
        "hits {}, misses {}, hit rate {:.2}%, evictions {}, flushes {}, invlpg {}",
        t.hits,
        t.misses,
        t.hit_rate() * 100.0,
        t.evictions,
        t.flushes,
        t.invlpg
    );
    let _ = writeln!(
        out,
        "misses vs fills: {} misses walked the page tables; {} found the page and filled an entry, {} page-faulted instead (the retried access missed again, so fills = misses that succeeded)",
        t.misses,
        t.fills,
        t.misses.saturating_sub(t.fills)
    );
    if let Some(j) = &r.jit {
        let _ = writeln!(out, "\n-- JIT --");
        let _ = writeln!(
            out,
            "blocks translated {} (refused {}), {} of host code held, code memory flushed {} times; translations entered {} times, exits linked to the next translation {}",
            j.translated,
            j.refused,
            size(j.code_bytes),
            j.flushes,
            j.runs,
            j.links
        );
    }
    let s = &r.stats;
    let _ = writeln!(out, "\n-- counts --");
    let _ = writeln!(
        out,
        "instructions {}, syscalls {}, signals handled {}",
        rec.instructions, s.syscalls, s.signals_handled
    );
    let _ = writeln!(
        out,
        "page faults {}: zero-fill {}, file-fill {}, stack growth {}",
        s.faults, s.zero_fills, s.file_fills, s.stack_growths
    );
    if s.cow_copies + s.cow_reuses > 0 {
        let _ = writeln!(
            out,
            "copy-on-write faults {}: copied {}, taken over {}",
            s.cow_copies + s.cow_reuses,
            s.cow_copies,
            s.cow_reuses
        );
    }
    if r.processes.len() > 1 || r.processes.iter().any(|e| e.threads > 0) {
        processes_text(&mut out, r);
    }
    let _ = writeln!(out, "\n-- thread-local storage --");
    out.push_str(&tls_text(&a.tls, &rec.vmas, &r.program));
    if a.heap.walkable() {
        let _ = writeln!(out, "\n-- heap chunks --");
        out.push_str(&heap::render(&a.heap, &r.symbols, REPORT_ROWS));
    }
    let _ = writeln!(out, "\n-- heap --");
    out.push_str(&leaks::render(
        &a.leaks,
        &r.symbols,
        Some(rec.reclaimed_at_exit.total_returned()),
    ));
    if let Some(m) = &r.memcheck {
        let _ = writeln!(out, "\n-- memcheck --");
        out.push_str(&crate::memcheck::report::summary_text(m, &r.symbols));
    }
    let _ = writeln!(out, "\n-- ledger: frames taken and given back, by cause --");
    let _ = writeln!(
        out,
        "  {:<12} {:>8} {:>9} {:>16}",
        "cause", "taken", "returned", "of which at exit"
    );
    for cause in Cause::ALL {
        let _ = writeln!(
            out,
            "  {:<12} {:>8} {:>9} {:>16}",
            cause.name(),
            rec.ledger.taken(cause),
            rec.ledger.returned(cause),
            rec.reclaimed(cause)
        );
    }
    let leaked = rec.ledger.outstanding();
    let _ = writeln!(
        out,
        "free frames: {} before the process, {} after teardown (of {}, {} of RAM): {} frames leaked",
        r.free_before,
        r.free_after,
        r.total_frames,
        size(r.mem_bytes),
        leaked.max(r.free_before as i64 - r.free_after as i64)
    );
    out
}

/// The same report as one JSON document, for tools.
/// The processes of the run, as `ps` would list them after the fact.
fn processes_text(out: &mut String, r: &ExitReport) {
    let _ = writeln!(
        out,
        "\n-- processes: {}, {} switches (a CR3 load and a TLB flush each, but between threads of one process) --",
        r.processes.len(),
        r.switches
    );
    let _ = writeln!(
        out,
        "{:>5} {:>5}  {:<14} {:>12} {:>7} {:>9} {:>7} {:>7}  COMMAND",
        "PID", "PPID", "ENDED", "INSNS", "FAULTS", "COW-COPY", "SHARED", "THREADS"
    );
    for e in &r.processes {
        let ended = match e.status.death() {
            Some(d) => format!("killed {}", d.signal()),
            None => format!("exited {}", e.status.code()),
        };
        let _ = writeln!(
            out,
            "{:>5} {:>5}  {:<14} {:>12} {:>7} {:>9} {:>7} {:>7}  {}",
            e.pid,
            e.ppid,
            ended,
            e.instructions,
            e.stats.faults,
            e.stats.cow_copies,
            e.still_shared,
            e.threads + 1,
            e.name
        );
    }
}

fn process_json(e: &toyemu_kernel::sched::Ended) -> Value {
    json!({
        "pid": e.pid, "ppid": e.ppid, "name": e.name, "status": e.status.code(),
        "signal": e.status.death().map(|d| d.signal().name()), "instructions": e.instructions,
        "faults": e.stats.faults, "cow_copies": e.stats.cow_copies, "cow_reuses": e.stats.cow_reuses,
        "syscalls": e.stats.syscalls, "still_shared_at_exit": e.still_shared,
        "threads": e.threads + 1,
    })
}

pub fn json(r: &ExitReport) -> Value {
    let rec = &r.record;
    let vmas: Vec<Value> = rec
        .vmas
        .iter()
        .map(|v| {
            json!({
                "start": v.start.0, "end": v.end.0, "prot": v.prot.rwx(), "kind": v.kind.to_string(),
                "name": vma_name(v, &r.program), "resident_pages": v.resident, "faults": v.faults,
            })
        })
        .collect();
    let ledger: Value = Cause::ALL
        .iter()
        .map(|c| {
            (
                c.name().to_string(),
                json!({"taken": rec.ledger.taken(*c), "returned": rec.ledger.returned(*c), "returned_at_exit": rec.reclaimed(*c)}),
            )
        })
        .collect::<serde_json::Map<_, _>>()
        .into();
    let leaks: Vec<Value> = r
        .at_exit
        .leaks
        .blocks
        .iter()
        .map(|b| json!({"addr": b.addr, "bytes": b.bytes, "requested": b.requested, "chunk": b.chunk,
                        "caller": b.caller, "site": r.symbols.describe(b.caller), "mmapped": b.mmapped, "kind": b.kind.name()}))
        .collect();
    let l = &r.at_exit.leaks;
    let mut heap = heap::json(&r.at_exit.heap, &r.symbols);
    heap["in_use_bytes"] = json!(l.bytes());
    heap["in_use_requested"] = json!(l.requested());
    heap["in_use_chunk_bytes"] = json!(l.chunk_bytes());
    heap["in_use_blocks"] = json!(l.blocks.len());
    heap["blocks"] = json!(leaks);
    heap["leaks"] = leaks::Kind::ALL
        .iter()
        .map(|k| {
            let (bytes, blocks) = l.of_kind(*k);
            (k.key(), json!({"bytes": bytes, "blocks": blocks}))
        })
        .collect::<serde_json::Map<_, _>>()
        .into();
    json!({
        "program": r.program,
        "pid": r.pid,
        "status": r.status.code(),
        "death": r.status.death().map(|d| d.to_string()),
        "vmas": vmas,
        "brk": {"start": rec.brk_start.0, "end": rec.brk.0},
        "page_directory_frame": r.at_exit.pd_frame,
        "page_tables": r.at_exit.page_tables.iter().map(|(i, f, n)| json!({"pde": i, "frame": f, "used": n})).collect::<Vec<_>>(),
        "tlb": {"entries": r.tlb_config.entries, "ways": r.tlb_config.ways, "policy": r.tlb_config.policy.to_string(),
                "hits": r.tlb.hits, "misses": r.tlb.misses, "fills": r.tlb.fills, "evictions": r.tlb.evictions, "flushes": r.tlb.flushes, "invlpg": r.tlb.invlpg},
        "jit": r.jit.map(|j| json!({"translated": j.translated, "refused": j.refused, "code_bytes": j.code_bytes,
                "flushes": j.flushes, "runs": j.runs, "links": j.links})),
        "instructions": rec.instructions,
        "syscalls": r.stats.syscalls,
        "signals_handled": r.stats.signals_handled,
        "faults": {"total": r.stats.faults, "zero_fill": r.stats.zero_fills, "file_fill": r.stats.file_fills, "stack_growth": r.stats.stack_growths,
                   "cow_copy": r.stats.cow_copies, "cow_reuse": r.stats.cow_reuses},
        "processes": r.processes.iter().map(process_json).collect::<Vec<_>>(),
        "switches": r.switches,
        "tls": r.at_exit.tls.iter().map(|t| json!({"entry": t.entry, "selector": t.selector(), "base": t.desc.base,
                "limit": t.limit_bytes(), "loaded_in": t.loaded_in})).collect::<Vec<_>>(),
        "heap": heap,
        "ledger": ledger,
        "frames": {"total": r.total_frames, "free_before": r.free_before, "free_after": r.free_after, "leaked": rec.ledger.outstanding()},
        "mem_bytes": r.mem_bytes,
        "memcheck": r.memcheck.as_ref().map(|m| crate::memcheck::report::json(m, &r.symbols)),
    })
}
