//! `--report`: the memory report against golden files, its figures against
//! the frame allocator, and the leak walk against what the demo leaks.

mod common;

use common::*;
use std::path::Path;
use toyemu::compile::Opt;
use toyemu::heap::Problem;
use toyemu::leaks::{Block, Kind};

/// Compare with `tests/golden/NAME`; `UPDATE_GOLDEN=1` rewrites it.
fn golden(name: &str, actual: &str) {
    let path = root().join("tests/golden").join(name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, actual).unwrap();
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|_| panic!("{} missing: run with UPDATE_GOLDEN=1", path.display()));
    assert_eq!(
        actual,
        want,
        "report differs from {} (UPDATE_GOLDEN=1 rewrites it after review)",
        path.display()
    );
}

#[test]
fn hello_report_matches_golden_file() {
    let c = run(&userland("hello"), &[]);
    let mut r = c.report;
    r.program = "userland/hello".into();
    // The host's device and inode numbers of the executable vary by machine.
    for v in &mut r.record.vmas {
        (v.dev, v.ino) = (0, 0);
    }
    golden("hello.report", &toyemu::report::text(&r));
}

#[test]
fn leak_demo_report_names_leaks_and_balances_frames() {
    let c = run(&userland("leak_demo"), &[]);
    let r = &c.report;
    let leaks = &r.at_exit.leaks;
    assert!(leaks.walkable && leaks.corrupt_at.is_none());
    // The demo leaks blocks 0, 2, 4 (24, 1000, 64 bytes) and a 900-byte one: usable sizes round up to 16.
    let mut sizes: Vec<u32> = leaks.blocks.iter().map(|b: &Block| b.bytes).collect();
    sizes.sort();
    assert_eq!(sizes, vec![32, 64, 912, 1008]);
    assert!(
        leaks.blocks.iter().all(|b| !b.mmapped),
        "the big block was freed"
    );
    for b in &leaks.blocks {
        let site = r.symbols.describe(b.caller);
        assert!(
            site.starts_with("main+") && site.contains("leak_demo.c:"),
            "{site}"
        );
    }
    let text = toyemu::report::text(r);
    // What was asked for, and the chunks it took with their headers.
    assert!(
        text.contains(
            "in use at exit: 1988 bytes in 4 blocks (2080 bytes of chunks, headers included)"
        ),
        "{text}"
    );
    let mut requested: Vec<u32> = leaks.blocks.iter().map(|b| b.requested).collect();
    requested.sort();
    assert_eq!(requested, vec![24, 64, 900, 1000]);
    assert!(text.contains("[heap]") && text.contains("[stack]"));
    assert!(text.contains(&format!("{} after teardown", r.free_before)));
    assert!(text.ends_with("0 frames leaked\n"));
    // The figures printed are the allocator's.
    assert_eq!(r.free_after, r.free_before);
    let json = toyemu::report::json(r);
    assert_eq!(json["frames"]["leaked"], 0);
    assert_eq!(json["heap"]["in_use_bytes"], 2016);
    assert_eq!(json["heap"]["in_use_requested"], 1988);
    assert_eq!(json["heap"]["in_use_chunk_bytes"], 2080);
    assert_eq!(
        json["ledger"]["page tables"]["returned_at_exit"]
            .as_u64()
            .unwrap(),
        r.at_exit.page_tables.len() as u64 + 1
    );
    let resident: u64 = r.record.vmas.iter().map(|v| v.resident as u64).sum();
    let at_exit: u64 = r.record.reclaimed_at_exit.total_returned();
    assert_eq!(at_exit, resident + r.at_exit.page_tables.len() as u64 + 1);
    assert_eq!(
        r.at_exit.used_frames as u64, at_exit,
        "only this process held frames"
    );
}

#[test]
fn a_program_without_the_libc_has_no_heap_to_walk() {
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let src = dir.join("bare.c");
    std::fs::write(
        &src,
        "void _start(void){ __asm__ volatile(\"int $0x80\" :: \"a\"(1), \"b\"(0)); }\n",
    )
    .unwrap();
    let exe = dir.join("bare");
    let ok = std::process::Command::new("gcc")
        .args([
            "-m32",
            "-ffreestanding",
            "-nostdlib",
            "-static",
            "-no-pie",
            "-o",
        ])
        .arg(&exe)
        .arg(&src)
        .status()
        .unwrap();
    assert!(ok.success());
    let c = run(&exe, &[]);
    assert!(!c.report.at_exit.leaks.walkable);
    assert!(toyemu::report::text(&c.report).contains("not linked with the toyemu libc"));
}

#[test]
fn tlb_and_memory_knobs_show_in_the_report() {
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_toyemu"))
        .args([
            "run",
            "--report",
            "--tlb",
            "4,fifo",
            "--mem",
            "8M",
            "userland/leak_demo",
        ])
        .current_dir(root())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&o.stderr);
    assert!(err.contains("-- TLB (4 entries, 4-way, fifo) --"), "{err}");
    assert!(
        err.contains("(of 2048, 8 MiB of RAM): 0 frames leaked"),
        "{err}"
    );
    // A tiny TLB misses far more often than the default one.
    let small = toyemu::report::json(
        &run_with(
            &userland("leak_demo"),
            &[],
            &toyemu::Options {
                tlb: toyemu_emulator::TlbConfig {
                    entries: 4,
                    ways: 4,
                    policy: toyemu_emulator::Policy::Fifo,
                },
                ..Default::default()
            },
        )
        .report,
    );
    let big = toyemu::report::json(&run(&userland("leak_demo"), &[]).report);
    let misses = |j: &serde_json::Value| j["tlb"]["misses"].as_u64().unwrap();
    assert!(
        misses(&small) > misses(&big) + 50,
        "{} vs {}",
        misses(&small),
        misses(&big)
    );
}

/// A miss whose walk finds no page faults instead of filling; the access
/// runs again once the page is mapped, misses again and fills. So every
/// miss is a fill or a page fault, and the report says so with the numbers.
#[test]
fn tlb_fills_are_the_misses_that_did_not_fault() {
    for prog in ["hello", "leak_demo", "sigsegv_demo"] {
        let r = run(&userland(prog), &[]).report;
        assert_eq!(
            r.tlb.misses - r.tlb.fills,
            r.stats.faults,
            "{prog}: misses {} fills {} faults {}",
            r.tlb.misses,
            r.tlb.fills,
            r.stats.faults
        );
        let text = toyemu::report::text(&r);
        let line = format!(
            "misses vs fills: {} misses walked the page tables; {} found the page and filled an entry, {} page-faulted instead",
            r.tlb.misses, r.tlb.fills, r.stats.faults
        );
        assert!(text.contains(&line), "{prog}: {text}");
        assert_eq!(toyemu::report::json(&r)["tlb"]["fills"], r.tlb.fills);
    }
}

/// tests/scenarios/leak_kinds.c leaves one block of each kind: the verdict
/// on each, at -O0 and -O2, by what was asked for (the nodes by name).
#[test]
fn each_kind_of_leak_is_told_apart() {
    for opt in [Opt::O0, Opt::O2] {
        let c = run(&build("tests/scenarios/leak_kinds.c", opt), &[]);
        assert_eq!(c.report.status.code(), 0);
        let r = &c.report;
        let leaks = &r.at_exit.leaks;
        // Blocks by the size asked for: 100 and 200 are unique, the nodes 32.
        let kind_of = |requested: u32| -> Vec<Kind> {
            leaks
                .blocks
                .iter()
                .filter(|b| b.requested == requested)
                .map(|b| b.kind)
                .collect()
        };
        assert_eq!(kind_of(100), [Kind::StillReachable], "{opt:?}: {leaks:#?}");
        assert_eq!(kind_of(200), [Kind::PossiblyLost], "{opt:?}: {leaks:#?}");
        // The four nodes, in address order: head's tail first (made first),
        // then head, then lost's `behind`, then lost.
        let nodes = kind_of(32);
        assert_eq!(
            nodes,
            [
                Kind::StillReachable,
                Kind::StillReachable,
                Kind::IndirectlyLost,
                Kind::DefinitelyLost
            ],
            "{opt:?}: {leaks:#?}"
        );
        assert_eq!(leaks.of_kind(Kind::StillReachable), (164, 3));
        let text = toyemu::report::text(r);
        for line in [
            "    definitely lost: 32 bytes in 1 block",
            "    indirectly lost: 32 bytes in 1 block",
            "      possibly lost: 200 bytes in 1 block",
            "    still reachable: 164 bytes in 3 blocks",
        ] {
            assert!(text.contains(line), "{opt:?}: {line:?} in\n{text}");
        }
        let json = toyemu::report::json(r);
        assert_eq!(json["heap"]["leaks"]["definitely_lost"]["bytes"], 32);
        assert_eq!(json["heap"]["leaks"]["possibly_lost"]["blocks"], 1);
        let kinds: Vec<&str> = json["heap"]["blocks"]
            .as_array()
            .unwrap()
            .iter()
            .map(|b| b["kind"].as_str().unwrap())
            .collect();
        assert_eq!(
            kinds.iter().filter(|k| **k == "still reachable").count(),
            3,
            "{kinds:?}"
        );
    }
}

/// leak_demo's pointers die with main's frame: every block is lost.
#[test]
fn leak_demo_loses_all_four_blocks() {
    let c = run(&userland("leak_demo"), &[]);
    let leaks = &c.report.at_exit.leaks;
    assert_eq!(leaks.of_kind(Kind::DefinitelyLost), (1988, 4), "{leaks:#?}");
}

/// A write past a block's end over the next header: the walk stops there,
/// says where and why, and the report goes on.
#[test]
fn a_damaged_header_is_reported_not_followed() {
    let prog = build("tests/scenarios/heap_damage.c", Opt::O2);
    let c = run(&prog, &[]);
    assert_eq!(c.report.status.code(), 0);
    let heap = &c.report.at_exit.heap;
    let second = heap_start(&prog) + 64;
    assert_eq!(
        heap.problem,
        Some(Problem::BadMagic {
            at: second,
            magic: 0x4141_4141
        })
    );
    assert_eq!(heap.chunks.len(), 1);
    assert_eq!(c.report.at_exit.leaks.corrupt_at, Some(second));
    let text = toyemu::report::text(&c.report);
    assert!(
        text.contains(&format!("the walk stopped at {second:#010x}: the chunk header there is damaged (magic 0x41414141")),
        "{text}"
    );
    assert!(text.ends_with("0 frames leaked\n"), "{text}");
    let json = toyemu::report::json(&c.report);
    assert!(json["heap"]["problem"]
        .as_str()
        .unwrap()
        .contains("damaged"));
}

/// Under `--engine jit` the report has a JIT section (translations made
/// and entered, code held) and the JSON a `jit` object with the same
/// figures; under the interpreter neither is there, and everything else
/// the report says is the same in both.
#[test]
fn jit_section_only_under_the_jit() {
    let prog = userland("leak_demo");
    let interp = run(&prog, &[]).report;
    let jit = run_with(
        &prog,
        &[],
        &toyemu::Options {
            engine: toyemu_emulator::Engine::Jit,
            jit_hot: 1,
            ..Default::default()
        },
    )
    .report;
    let j = jit.jit.expect("JIT figures under --engine jit");
    assert!(interp.jit.is_none());
    assert!(
        j.translated > 0 && j.runs >= j.translated && j.code_bytes > 0,
        "{j:?}"
    );
    let (ti, tj) = (toyemu::report::text(&interp), toyemu::report::text(&jit));
    assert!(!ti.contains("-- JIT --"));
    let line = format!("blocks translated {} (refused {})", j.translated, j.refused);
    assert!(tj.contains(&line), "{tj}");
    let json = toyemu::report::json(&jit);
    assert_eq!(json["jit"]["translated"], j.translated);
    assert_eq!(json["jit"]["runs"], j.runs);
    assert!(toyemu::report::json(&interp)["jit"].is_null());
    // Take the JIT section out and the two reports are the same text.
    let start = tj.find("\n-- JIT --").unwrap();
    let stop = start + 2 + tj[start + 1..].find("\n\n").unwrap();
    let host = |t: &str| {
        t.lines()
            .filter(|l| !l.contains("host RSS"))
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(host(&format!("{}{}", &tj[..start], &tj[stop..])), host(&ti));
}
