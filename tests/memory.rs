//! Memory state after exit: frames back at baseline on every exit path, the
//! break and mmap doing what malloc asked of them, reclaim by VMA kind, and
//! pages that exist only once touched.

mod common;

use common::*;
use toyemu::compile::Opt;
use toyemu::Options;
use toyemu_kernel::vma::VmaKind;
use toyemu_kernel::{Cause, Death, Ending};
use toyemu_kernel::{EventKind, Fill, Mapped, Outcome};

#[test]
fn every_userland_program_gives_every_frame_back() {
    for name in [
        "hello",
        "leak_demo",
        "layout_demo",
        "brk_demo",
        "mmap_demo",
        "segv_demo",
        "sigsegv_demo",
    ] {
        let c = run(&userland(name), &[]);
        assert_all_reclaimed(&c);
        assert!(
            c.report.record.ledger.total_returned() > 0,
            "{name} used no memory at all?"
        );
    }
}

#[test]
fn leak_demo_moves_the_break_for_small_blocks_and_mmaps_the_big_one() {
    let c = run(&userland("leak_demo"), &[]);
    assert_eq!(c.report.status.code(), 0);
    assert!(String::from_utf8_lossy(&c.stdout).contains("leak"));
    let ev = &c.report.events;
    let brk_moves: Vec<_> = ev
        .iter()
        .filter(|e| matches!(e.kind, EventKind::BrkMoved { .. }))
        .collect();
    assert!(!brk_moves.is_empty(), "small mallocs must move the break");
    // One mmap2 of at least 128 KiB, and a munmap of the same range later.
    let mmaps: Vec<(u32, u32, u64)> = ev
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Syscall {
                name: "mmap2",
                args,
                result: Outcome::Addr(a),
                ..
            } => Some((*a, args[1], e.seq)),
            _ => None,
        })
        .collect();
    assert_eq!(mmaps.len(), 1, "exactly one large block: {mmaps:?}");
    let (addr, len, seq) = mmaps[0];
    assert!(len >= 128 << 10);
    let unmapped = ev.iter().any(|e| {
        e.seq > seq
            && matches!(&e.kind, EventKind::Syscall { name: "munmap", args, result: Outcome::Value(0), .. }
                if args[0] == addr && args[1] == len)
    });
    assert!(unmapped, "free of the big block must munmap it");
    // The freed mapping's frames went back before exit: mmap reclaimed at exit is 0.
    let removed: u32 = ev
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::VmaRemoved {
                kind: VmaKind::Mmap,
                frames_freed,
                ..
            } => Some(frames_freed),
            _ => None,
        })
        .sum();
    assert!(
        removed >= (256 << 10) / 4096,
        "munmap freed the touched pages of the big block: {removed}"
    );
    // What was left: heap and ELF and stack pages, all reclaimed at exit.
    let r = &c.report.record;
    assert!(
        r.vmas.iter().all(|v| v.kind != VmaKind::Mmap),
        "no mmap VMA is left at exit"
    );
    let heap = r
        .vmas
        .iter()
        .find(|v| v.kind == VmaKind::Heap)
        .expect("a heap VMA at exit");
    assert!(
        heap.resident > 0 && heap.resident < heap.end.0.saturating_sub(heap.start.0) / 4096 + 1
    );
    assert!(r.brk > r.brk_start);
    assert_eq!(r.ledger.taken(Cause::Heap), r.ledger.returned(Cause::Heap));
    assert!(r.ledger.returned(Cause::Heap) >= heap.resident as u64);
    assert_all_reclaimed(&c);
}

#[test]
fn reclaim_is_accounted_per_vma_kind() {
    let c = run(&userland("leak_demo"), &[]);
    let r = &c.report.record;
    for cause in [
        Cause::ElfSegment,
        Cause::Heap,
        Cause::Mmap,
        Cause::Stack,
        Cause::PageTable,
    ] {
        assert_eq!(
            r.ledger.taken(cause),
            r.ledger.returned(cause),
            "{cause} does not balance"
        );
    }
    // Resident pages at exit are exactly what was reclaimed at exit for those kinds.
    let at_exit = |k: fn(&VmaKind) -> bool| {
        r.vmas
            .iter()
            .filter(|v| k(&v.kind))
            .map(|v| v.resident as u64)
            .sum::<u64>()
    };
    let stack_events: u64 = c
        .report
        .events
        .iter()
        .filter_map(|e| match &e.kind {
            EventKind::Exit { reclaimed, .. } => Some(reclaimed.returned(Cause::Stack)),
            _ => None,
        })
        .sum();
    assert_eq!(stack_events, at_exit(|k| *k == VmaKind::Stack));
    assert!(
        at_exit(|k| matches!(k, VmaKind::ElfSegment(_))) >= 3,
        "text, rodata and data were touched"
    );
    // The directory plus at least one table for low memory and one for the stack.
    assert!(r.ledger.returned(Cause::PageTable) >= 3);
    // Teardown gave back exactly what was resident, kind by kind, plus the
    // page tables and the directory.
    for (cause, is) in [
        (
            Cause::ElfSegment,
            (|k: &VmaKind| matches!(k, VmaKind::ElfSegment(_))) as fn(&VmaKind) -> bool,
        ),
        (Cause::Heap, |k| *k == VmaKind::Heap),
        (Cause::Mmap, |k| *k == VmaKind::Mmap),
        (Cause::Stack, |k| *k == VmaKind::Stack),
    ] {
        assert_eq!(r.reclaimed(cause), at_exit(is), "{cause}");
    }
    assert_eq!(r.reclaimed(Cause::PageTable), r.page_tables as u64 + 1);
    // The big block went back with munmap before exit, not at teardown.
    assert_eq!(r.reclaimed(Cause::Mmap), 0);
    assert!(r.ledger.returned(Cause::Mmap) >= 64);
}

#[test]
fn sixty_four_mib_touched_on_three_pages_costs_three_frames() {
    let c = run(&build("tests/scenarios/lazy_64m.c", Opt::O2), &[]);
    assert_eq!(c.report.status.code(), 0);
    assert_eq!(c.stdout, b"6\n");
    let r = &c.report.record;
    let big = r
        .vmas
        .iter()
        .find(|v| v.kind == VmaKind::Mmap && v.end.0 - v.start.0 == 64 << 20)
        .expect("the 64 MiB VMA");
    assert_eq!(big.resident, 3);
    assert_eq!(r.ledger.taken(Cause::Mmap), 3);
    // Three touched pages 32 MiB apart need three page tables, no more.
    let faults_in_mmap = c
        .report
        .events
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                EventKind::PageFault {
                    result: Ok(Mapped {
                        kind: VmaKind::Mmap,
                        fill: Fill::Zero,
                        grown: None,
                        ..
                    }),
                    ..
                }
            )
        })
        .count();
    assert_eq!(faults_in_mmap, 3);
    assert!(r.page_tables <= 3 + 3, "page tables: {}", r.page_tables);
    assert_all_reclaimed(&c);
}

#[test]
fn every_exit_path_returns_every_frame() {
    let prog = build("tests/scenarios/exit_paths.c", Opt::O2);
    let cases: &[(&str, i32)] = &[
        ("return", 7),
        ("exit", 9),
        ("segv", 139),
        ("abort", 134),
        ("div0", 136),
        ("ud2", 132),
        ("hlt", 139),
        ("int3", 133),
    ];
    for &(how, status) in cases {
        let c = run(&prog, &[how]);
        assert_eq!(
            c.report.status.code(),
            status,
            "{how}: {:?}",
            c.report.status
        );
        assert_all_reclaimed(&c);
        // Every kind of memory was in use when it ended.
        let l = &c.report.record.ledger;
        assert!(
            l.returned(Cause::Heap) > 0 && l.returned(Cause::Mmap) > 0,
            "{how}: {l:?}"
        );
    }
}

#[test]
fn instruction_limit_stops_an_infinite_loop_and_reclaims() {
    let prog = build("tests/scenarios/exit_paths.c", Opt::O2);
    let opts = Options {
        max_insns: Some(2_000_000),
        ..Options::default()
    };
    let c = run_with(&prog, &["loop"], &opts);
    assert!(matches!(
        c.report.status.ending,
        Ending::Killed(Death::InstructionLimit { limit: 2_000_000 })
    ));
    assert_eq!(c.report.status.code(), 128 + 24);
    assert_all_reclaimed(&c);
}

#[test]
fn out_of_memory_kills_with_sigkill_and_reclaims() {
    let prog = build("tests/scenarios/oom.c", Opt::O2);
    let opts = Options {
        mem_bytes: 2 << 20,
        ..Options::default()
    };
    let c = run_with(&prog, &[], &opts);
    assert!(
        matches!(
            c.report.status.ending,
            Ending::Killed(Death::OutOfMemory { .. })
        ),
        "{:?}",
        c.report.status
    );
    assert_eq!(c.report.status.code(), 137);
    assert_all_reclaimed(&c);
    assert!(
        c.report.record.ledger.returned(Cause::Mmap) > 100,
        "it got far before dying"
    );
}

#[test]
fn segfaults_of_every_kind_reclaim_everything() {
    for kind in ["null", "rodata", "kernel", "unmapped", "exec", "stack"] {
        let c = run(&userland("segv_demo"), &[kind]);
        assert_eq!(c.report.status.code(), 139, "{kind}");
        match &c.report.status.ending {
            Ending::Killed(Death::Segv { .. }) => {}
            other => panic!("{kind}: {other:?}"),
        }
        assert_all_reclaimed(&c);
    }
}

#[test]
fn stack_overflow_grows_to_the_limit_first() {
    let c = run(&userland("segv_demo"), &["stack"]);
    let stack = c
        .report
        .record
        .vmas
        .iter()
        .find(|v| v.kind == VmaKind::Stack)
        .unwrap();
    let size = toyemu_kernel::layout::STACK_TOP.0 - stack.start.0;
    assert!(
        size > (8 << 20) - (64 << 10) && size <= 8 << 20,
        "stack reached {size} bytes"
    );
    assert!(c.report.stats.stack_growths > 0);
}

#[test]
fn bss_page_that_is_half_file_reads_data_then_zeroes() {
    // The data segment's last file page is shared with .bss; the demo's globals prove both halves.
    let c = run(&build("tests/scenarios/half_bss.c", Opt::O0), &[]);
    assert_eq!(String::from_utf8_lossy(&c.stdout), "data ok, bss zero\n");
    assert_eq!(c.report.status.code(), 0);
    let fills = c
        .report
        .events
        .iter()
        .filter(|e| {
            matches!(
                e.kind,
                EventKind::PageFault {
                    result: Ok(Mapped {
                        kind: VmaKind::ElfSegment(_),
                        fill: Fill::File,
                        ..
                    }),
                    ..
                }
            )
        })
        .count();
    assert!(fills >= 2);
}

#[test]
fn oom_demo_on_a_small_machine_is_killed_like_linux_kills_and_gives_every_frame_back() {
    let opts = Options {
        mem_bytes: 4 << 20,
        ..Options::default()
    };
    let c = run_with(&userland("oom_demo"), &[], &opts);
    assert_eq!(c.report.status.code(), 137);
    let Ending::Killed(death @ Death::OutOfMemory { report, .. }) = &c.report.status.ending else {
        panic!("{:?}", c.report.status)
    };
    assert_eq!((report.pid, report.name.as_str()), (1, "oom_demo"));
    // Nearly all of the 4 MiB went to the heap and the mmap'd blocks.
    assert!(report.anon_rss_kb > 3 << 10, "{report:?}");
    assert!(report.total_vm_kb >= report.anon_rss_kb + report.file_rss_kb);
    assert!(death
        .to_string()
        .starts_with("Out of memory: Killed process 1 (oom_demo) total-vm:"));
    assert!(String::from_utf8_lossy(&c.stdout).contains("oom_demo: step 3,"));
    assert_all_reclaimed(&c);
}
