//! The demos of the notes' ideas, each run under toyemu with the figure it
//! is about asserted: the stack against malloc in instructions, overcommit
//! in frames, the TLB in hit rates, page tables in bytes, the TLS segment
//! through %gs, lazy faults in faults per page, and the heap demos:
//! fragmentation by placement policy, a pool against malloc, the break
//! trimmed, calloc and realloc. (Their stdout is compared with native runs
//! in differential.rs.)

mod common;

use common::*;
use object::{Object, ObjectSection, ObjectSymbol};
use toyemu::count::FuncCount;
use toyemu::emulator::{disasm::disassemble, TlbConfig, VirtAddr};
use toyemu::kernel::vma::VmaKind;
use toyemu::kernel::{Cause, Death, EventKind, VmaSnapshot};
use toyemu::{Captured, Options};

const MIB: u64 = 1 << 20;
const PAGE: u32 = 4096;

fn counted(prog: &str, args: &[&str], funcs: &[&str], opts: Options) -> Captured {
    let opts = Options {
        count: funcs.iter().map(|f| f.to_string()).collect(),
        ..opts
    };
    let c = run_with(&userland(prog), args, &opts);
    assert_all_reclaimed(&c);
    c
}

fn func<'a>(c: &'a Captured, name: &str) -> &'a FuncCount {
    c.report
        .counts
        .as_ref()
        .expect("the run was counted")
        .iter()
        .find(|f| f.name == name)
        .unwrap_or_else(|| panic!("{name} was not counted"))
}

fn stdout(c: &Captured) -> String {
    String::from_utf8_lossy(&c.stdout).into_owned()
}

/// The anonymous mmap VMAs left at exit.
fn mmaps(c: &Captured) -> Vec<&VmaSnapshot> {
    c.report
        .record
        .vmas
        .iter()
        .filter(|v| v.kind == VmaKind::Mmap)
        .collect()
}

/// How many instructions a straight-line function executes: its
/// instructions up to the first `ret`, read from the executable. Panics
/// on a jump, which would make the static count meaningless.
fn straight_line_length(exe: &[u8], name: &str) -> u64 {
    let elf = object::File::parse(exe).expect("an ELF");
    let sym = elf
        .symbols()
        .find(|s| s.name() == Ok(name))
        .unwrap_or_else(|| panic!("no symbol {name}"));
    let text = elf.section_by_name(".text").expect(".text");
    let data = text.data().unwrap();
    let mut off = (sym.address() - text.address()) as usize;
    let mut n = 0;
    loop {
        let addr = text.address() as u32 + off as u32;
        let (len, insn) = disassemble(&data[off..], VirtAddr(addr));
        n += 1;
        assert!(!insn.starts_with('j'), "{name} branches: {insn}");
        if insn.starts_with("ret") {
            return n;
        }
        off += len;
    }
}

#[test]
fn stack_vs_heap_a_stack_buffer_costs_a_fraction_of_malloc_and_free() {
    let c = counted(
        "stack_vs_heap",
        &[],
        &["on_stack", "on_heap", "malloc", "free"],
        Options::default(),
    );
    assert_eq!(c.report.status.code(), 0, "{}", stdout(&c));
    let (stack, heap) = (func(&c, "on_stack"), func(&c, "on_heap"));
    let (malloc, free) = (func(&c, "malloc"), func(&c, "free"));
    for f in [stack, heap, malloc, free] {
        assert_eq!(f.calls, 1000, "{f:?}");
    }
    // The stack's cost never varies and asks nothing of the kernel.
    assert_eq!((stack.min, stack.max), (stack.min, stack.min));
    assert_eq!((stack.syscalls, stack.faults), (0, 0));
    // The same work, plus malloc and free: several times dearer, always.
    assert!(stack.max * 4 < heap.min, "{stack:?} vs {heap:?}");
    assert!(
        heap.insns >= malloc.insns + free.insns,
        "callees are included"
    );
    // The first malloc asked the kernel for the heap.
    assert!(
        malloc.syscalls >= 1 && malloc.max > malloc.min,
        "{malloc:?}"
    );
}

#[test]
fn count_agrees_with_the_instructions_of_a_straight_line_function() {
    // on_stack and its helper have no branches at -O0: one call executes
    // exactly the instructions the executable holds for them.
    let exe = std::fs::read(userland("stack_vs_heap")).unwrap();
    let expected = straight_line_length(&exe, "on_stack") + straight_line_length(&exe, "use");
    let c = counted("stack_vs_heap", &[], &["on_stack"], Options::default());
    let f = func(&c, "on_stack");
    assert_eq!((f.min, f.max), (expected, expected), "{f:?}");
    assert_eq!(f.insns, 1000 * expected);
}

#[test]
fn overcommit_one_gib_on_16_mib_costs_only_the_pages_touched() {
    let opts = Options {
        mem_bytes: 16 * MIB,
        ..Options::default()
    };
    let c = run_with(&userland("overcommit_demo"), &[], &opts);
    assert_all_reclaimed(&c);
    assert_eq!(c.report.status.code(), 0, "{}", stdout(&c));
    assert!(stdout(&c).contains("malloc(1 GiB) succeeded"));
    let big: Vec<_> = mmaps(&c)
        .into_iter()
        .filter(|v| (v.end.0 - v.start.0) as u64 > 1024 * MIB)
        .collect();
    assert_eq!(big.len(), 1, "the 1 GiB block is one mapping");
    let pages = (big[0].end.0 - big[0].start.0) / PAGE;
    // 1 MiB touched: 256 frames of 262,145 pages, on a machine of 4,096 frames.
    assert_eq!(big[0].resident, 256);
    assert!(pages > 1000 * big[0].resident, "{pages} pages");
    let taken = c.report.record.ledger.taken(Cause::Mmap);
    assert_eq!(taken, 256);
    assert!(taken < c.report.total_frames as u64 / 10);
}

#[test]
fn overcommit_touching_more_than_the_ram_is_an_oom_kill() {
    let opts = Options {
        mem_bytes: 16 * MIB,
        ..Options::default()
    };
    let c = run_with(&userland("overcommit_demo"), &["64"], &opts);
    assert_all_reclaimed(&c);
    assert_eq!(c.report.status.code(), 137);
    let death = c.report.status.death().expect("killed");
    assert!(matches!(death, Death::OutOfMemory { .. }), "{death:?}");
    let line = death.to_string();
    assert!(
        line.contains("Out of memory: Killed process 1 (overcommit_demo) total-vm:1048"),
        "{line}"
    );
    let out = stdout(&c);
    assert!(
        out.contains("12 MiB touched") && !out.contains("touched 64 MiB"),
        "{out}"
    );
}

#[test]
fn tlb_rows_hit_and_columns_miss() {
    let c = counted(
        "tlb_demo",
        &[],
        &["walk_rows", "walk_columns"],
        Options::default(),
    );
    let rate = |n| func(&c, n).tlb_hit_rate().expect("lookups");
    let (rows, cols) = (rate("walk_rows"), rate("walk_columns"));
    assert!(rows > 0.99 && cols < 0.05, "rows {rows}, columns {cols}");
    // The same additions either way.
    let lines: Vec<&str> = c
        .stdout
        .split(|&b| b == b'\n')
        .filter_map(|l| std::str::from_utf8(l).ok())
        .collect();
    let sum = |l: &&str| l.rsplit(' ').next().map(str::to_string);
    let sums: Vec<_> = lines
        .iter()
        .filter(|l| l.contains(" sum "))
        .map(sum)
        .collect();
    assert_eq!(sums.len(), 2);
    assert_eq!(sums[0], sums[1]);
}

#[test]
fn tlb_a_narrow_column_fits_64_entries_but_not_16() {
    let funcs = ["walk_columns"];
    let big = counted("tlb_demo", &["col", "32"], &funcs, Options::default());
    let small = counted(
        "tlb_demo",
        &["col", "32"],
        &funcs,
        Options {
            tlb: TlbConfig {
                entries: 16,
                ..TlbConfig::default()
            },
            ..Options::default()
        },
    );
    let (b, s) = (
        func(&big, "walk_columns").tlb_hit_rate().unwrap(),
        func(&small, "walk_columns").tlb_hit_rate().unwrap(),
    );
    assert!(b > 0.99 && s < 0.05, "64 entries {b}, 16 entries {s}");
}

#[test]
fn tlb_the_reports_whole_run_rates_differ_by_order() {
    let row = run(&userland("tlb_demo"), &["row"]);
    let col = run(&userland("tlb_demo"), &["col"]);
    let (r, c) = (row.report.tlb.hit_rate(), col.report.tlb.hit_rate());
    assert!(r > 0.99 && r > c + 0.5, "row {r}, column {c}");
}

#[test]
fn pagetables_two_levels_cost_kilobytes_and_sparse_pages_multiply_them() {
    let dense = run(&userland("pagetable_demo"), &["dense"]);
    let sparse = run(&userland("pagetable_demo"), &["sparse"]);
    for c in [&dense, &sparse] {
        assert_eq!(c.report.status.code(), 0);
        assert_all_reclaimed(c);
    }
    let bytes = |c: &Captured| (c.report.at_exit.page_tables.len() as u64 + 1) * PAGE as u64;
    let flat = 4 * MIB;
    // ELF, stack and one table for the 64 neighbouring pages.
    assert_eq!(dense.report.at_exit.page_tables.len(), 3);
    assert!(bytes(&dense) * 100 < flat);
    // 64 pages 16 MiB apart: a table each, 63 more than dense.
    let n = |c: &Captured| c.report.at_exit.page_tables.len();
    assert_eq!(n(&sparse), n(&dense) + 63);
    let lonely = sparse
        .report
        .at_exit
        .page_tables
        .iter()
        .filter(|(_, _, used)| *used == 1)
        .count();
    assert!(lonely >= 63, "{lonely} tables map one page");
    assert!(bytes(&sparse) * 10 < flat);
    // The report says it in bytes.
    let text = toyemu::report::text(&sparse.report);
    assert!(
        text.contains("page tables in all: 268 KiB (the directory and 66 tables, 4 KiB each)")
            && text.contains("a flat table for the 4 GiB would take 4 MiB"),
        "{text}"
    );
}

#[test]
fn segments_the_flat_four_and_a_tls_value_through_gs() {
    let exe = userland("segments_demo");
    let c = run(&exe, &[]);
    assert_eq!(c.report.status.code(), 0);
    let out = stdout(&c);
    for seg in ["cs", "ds", "es", "ss"] {
        assert!(
            out.contains(&format!(
                "  {seg}: RPL 3, global table; lsl: limit 0xffffffff;"
            )),
            "{out}"
        );
    }
    assert!(
        out.contains("  %gs:4 reads 42 (the thread-local value)"),
        "{out}"
    );
    assert!(out.contains("block.value is 43"), "{out}");
    assert!(
        out.contains("past the limit: SIGSEGV, si_code SI_KERNEL"),
        "{out}"
    );
    // Linux i386's numbers, on stderr.
    let err = String::from_utf8_lossy(&c.stderr);
    assert!(
        err.contains("cs=0x73 ds=0x7b es=0x7b ss=0x7b fs=0 gs=0"),
        "{err}"
    );
    assert!(err.contains("GDT entry 6, selector 0x33"), "{err}");
    // The report's TLS segment: entry 6 in %gs, based at `block`.
    let tls = &c.report.at_exit.tls;
    assert_eq!(tls.len(), 1);
    let block = c.report.symbols.lookup("block").expect("the block symbol");
    assert_eq!(
        (tls[0].entry, tls[0].desc.base, tls[0].loaded_in.clone()),
        (6, block, vec!["%gs"])
    );
    assert_eq!(tls[0].limit_bytes(), 11);
}

#[test]
fn lazy_only_the_first_touch_of_a_page_faults() {
    let c = counted(
        "lazy_demo",
        &[],
        &["first_touch", "touch_again"],
        Options::default(),
    );
    assert_eq!(c.report.status.code(), 0);
    let (first, again) = (func(&c, "first_touch"), func(&c, "touch_again"));
    // 16 pages, the first already brought in by malloc's header.
    assert_eq!(first.faults, 15, "{first:?}");
    // 16,000 reads and 16,000 writes of the same pages: not one fault.
    assert_eq!(again.faults, 0, "{again:?}");
    assert!(again.tlb_misses <= 16, "{again:?}");
}

#[test]
fn lazy_the_block_holds_16_frames_of_its_257_pages() {
    let c = run(&userland("lazy_demo"), &[]);
    let touched = c
        .report
        .events
        .iter()
        .filter(|e| {
            matches!(&e.kind, EventKind::PageFault { result: Ok(m), .. }
                if m.kind == VmaKind::Mmap)
        })
        .count();
    assert_eq!(touched, 16, "one fault per page written, no more");
    let freed = c.report.events.iter().find_map(|e| match &e.kind {
        EventKind::VmaRemoved {
            start,
            end,
            frames_freed,
            kind: VmaKind::Mmap,
        } => Some(((end.0 - start.0) / PAGE, *frames_freed)),
        _ => None,
    });
    assert_eq!(freed, Some((257, 16)), "munmap freed what was touched");
}

fn with_policy(policy: &str) -> Options {
    Options {
        env: vec![format!("MALLOC_POLICY={policy}")],
        ..Options::default()
    }
}

/// The same frees and mallocs leave different holes under each policy:
/// (holes, bytes in them, the largest, where the top starts) as the heap
/// inspector sees them at exit, and the demo's own words for the last
/// request.
#[test]
fn frag_each_policy_leaves_its_own_holes() {
    let cases = [
        (
            "bins",
            2,
            1392,
            1024,
            0x14b0,
            "malloc( 200) -> +0x0cb0, from hole 4",
        ),
        (
            "first",
            4,
            1424,
            592,
            0x14b0,
            "malloc( 200) -> +0x0200, from hole 0",
        ),
        (
            "best",
            2,
            192,
            96,
            0x1000,
            "malloc( 200) -> +0x0f20, from the top chunk",
        ),
        (
            "next",
            4,
            1424,
            512,
            0x14b0,
            "malloc( 200) -> +0x0cb0, from hole 4",
        ),
    ];
    for (policy, holes, bytes, largest, top, last) in cases {
        let c = run_with(&userland("frag_demo"), &[], &with_policy(policy));
        assert_eq!(c.report.status.code(), 0);
        let out = stdout(&c);
        assert!(
            out.starts_with(&format!("frag_demo: policy {policy}\n")),
            "{out}"
        );
        assert!(out.contains(last), "{policy}: {out}");
        let heap = &c.report.at_exit.heap;
        assert_eq!(heap.policy_name(), policy);
        let f = heap.fragmentation();
        assert_eq!(
            (
                f.holes,
                f.hole_bytes,
                f.largest_hole,
                heap.chunks.last().unwrap().addr - heap.start
            ),
            (holes, bytes, largest, top),
            "{policy}: {f:?}"
        );
        // The demo's own count of holes agrees with the inspector's.
        assert!(
            out.contains(&format!(
                "  {holes} holes, {bytes} bytes free in them, the largest {largest} bytes\n"
            )),
            "{policy}: {out}"
        );
    }
    // A name malloc does not know: the default, and a word on stderr.
    let c = run_with(&userland("frag_demo"), &[], &with_policy("worst"));
    assert!(stdout(&c).starts_with("frag_demo: policy bins\n"));
    assert!(String::from_utf8_lossy(&c.stderr)
        .contains("MALLOC_POLICY=worst is not bins, first, best or next"));
}

/// A pool slot costs a handful of instructions and no header; malloc's
/// rounding and header double the footprint of 24-byte objects, and an
/// address-ordered policy makes every free walk its list.
#[test]
fn pool_a_slot_is_a_fraction_of_malloc_in_instructions_and_bytes() {
    let funcs = ["pool_alloc", "pool_free", "malloc", "free"];
    let c = counted("pool_demo", &[], &funcs, Options::default());
    let out = stdout(&c);
    assert!(
        out.contains("malloc: 48000 bytes of heap in 1000 chunks for them: 48 per object"),
        "{out}"
    );
    assert!(
        out.contains("pool: one slab of 1000 slots, 24016 bytes of heap in 1 chunk"),
        "{out}"
    );
    let (pa, pf) = (func(&c, "pool_alloc"), func(&c, "pool_free"));
    let (m, f) = (func(&c, "malloc"), func(&c, "free"));
    assert_eq!((pa.calls, pf.calls), (2000, 2000));
    assert!(pa.max <= 10 && pf.max <= 10, "{pa:?} {pf:?}");
    assert!(
        pa.max * 5 < m.min && pf.max * 5 < f.min,
        "{pa:?} {m:?} {pf:?} {f:?}"
    );
    // first fit keeps the free list in address order: free walks it.
    let first = counted("pool_demo", &[], &funcs, with_policy("first"));
    let ff = func(&first, "free");
    assert!(ff.insns > 2 * f.insns, "first {ff:?} against bins {f:?}");
}

/// The break goes up for 200 KiB of small blocks, stays while the last
/// block pins the top, and comes down by the free of that one block.
#[test]
fn trim_the_break_comes_down_only_when_the_top_is_free() {
    let c = run(&userland("trim_demo"), &[]);
    assert_eq!(c.report.status.code(), 0);
    let moves: Vec<(u32, u32)> = c
        .report
        .events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::BrkMoved { old, new } => Some((old.0, new.0)),
            _ => None,
        })
        .collect();
    let start = c.report.record.brk_start.0;
    // Up in two steps (132 KiB, then the rest), down once, by 132 KiB.
    assert_eq!(moves.len(), 3, "{moves:?}");
    assert!(
        moves[0].1 > moves[0].0 && moves[1].1 > moves[1].0,
        "{moves:?}"
    );
    let (old, new) = moves[2];
    assert_eq!((old - new, new - start), (135168, 135168), "{moves:?}");
    assert_eq!(c.report.record.brk.0, new);
    let out = stdout(&c);
    assert!(
        out.contains("the break is still 270336 bytes up (the last block pins the top)"),
        "{out}"
    );
    // The trace shows it as strace would.
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_toyemu"))
        .args(["run", "--trace=syscall", "userland/trim_demo"])
        .current_dir(root())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    let brks: Vec<&str> = err.lines().filter(|l| l.starts_with("brk(")).collect();
    assert_eq!(
        brks.last().copied(),
        Some(format!("brk({new:#x}) = {new:#x}").as_str()),
        "{err}"
    );
}

/// calloc's block is zero where malloc's still holds the old bytes;
/// realloc grows in place, moves, shrinks in place, takes a free neighbour.
#[test]
fn calloc_zeroes_and_realloc_moves_only_when_it_must() {
    let c = run(&userland("calloc_demo"), &[]);
    assert_eq!(c.report.status.code(), 0);
    let out = stdout(&c);
    for line in [
        "  the same place; 52 of its 64 bytes still hold 'x'",
        "  the same place; 64 of its 64 bytes are zero",
        "  grew in place: the top chunk behind it gave the room",
        "  moved: the block behind is in use; the text came along: \"kept across every realloc\"",
        "  shrank in place: the rest went back to the free space",
        "  grew in place: it took the freed block behind it",
    ] {
        assert!(out.contains(line), "{line:?} in\n{out}");
    }
    // Everything was freed: the heap is one top chunk again.
    let heap = &c.report.at_exit.heap;
    assert_eq!(heap.fragmentation().used_chunks, 0, "{heap:#?}");
    assert_eq!(heap.chunks.len(), 1);
}
