//! Traces: every strace-like line the CLI prints is an event the kernel
//! emitted, in the same order; JSON lines carry the same events; the
//! instruction trace interleaves with them.

mod common;

use common::*;
use std::process::Command;
use toyemu_kernel::Categories;

fn cli(args: &[&str]) -> (String, String) {
    let o = Command::new(env!("CARGO_BIN_EXE_toyemu"))
        .args(args)
        .current_dir(root())
        .output()
        .unwrap();
    (
        String::from_utf8_lossy(&o.stdout).into_owned(),
        String::from_utf8_lossy(&o.stderr).into_owned(),
    )
}

/// `program` run with `--trace-json` into `file`: the events of `kind`,
/// and the whole file.
fn json_events(program: &str, file: &str, kind: &str) -> (Vec<serde_json::Value>, String) {
    let f = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(file);
    cli(&["run", "--trace-json", f.to_str().unwrap(), program]);
    let text = std::fs::read_to_string(&f).unwrap();
    let events = text
        .lines()
        .map(|l| serde_json::from_str::<serde_json::Value>(l).unwrap())
        .filter(|v| v["type"] == kind)
        .collect();
    (events, text)
}

#[test]
fn every_trace_line_is_a_collected_event_in_order() {
    let (_, err) = cli(&[
        "run",
        "--no-fold",
        "--trace",
        "syscall,fault",
        "userland/leak_demo",
    ]);
    let c = run(std::path::Path::new("userland/leak_demo"), &[]);
    let wanted = Categories::SYSCALL | Categories::FAULT;
    let expected: Vec<String> = c
        .report
        .events
        .iter()
        .filter(|e| e.kind.always_shown() || wanted.intersects(e.kind.category()))
        .map(|e| e.to_string())
        .collect();
    let got: Vec<&str> = err.lines().collect();
    assert_eq!(got.len(), expected.len(), "{err}");
    for (i, (g, e)) in got.iter().zip(&expected).enumerate() {
        assert_eq!(*g, e.as_str(), "line {i}");
    }
    // Sequence numbers and instruction counts only go up.
    for w in c.report.events.windows(2) {
        assert!(w[0].seq < w[1].seq && w[0].insns <= w[1].insns);
    }
}

/// Every `eip=` of a page-fault line is the address, then its symbol and
/// source line as the program's tables give them.
#[test]
fn page_fault_lines_name_the_instruction_that_faulted() {
    let (_, err) = cli(&["run", "--no-fold", "--trace", "fault", "userland/leak_demo"]);
    let syms = toyemu::symbols::Symbols::from_elf(&std::fs::read(userland("leak_demo")).unwrap());
    let mut in_memset = 0;
    for line in err.lines().filter(|l| l.starts_with("--- page fault")) {
        let at = line.find(" eip=0x").expect(line) + 7;
        let eip = u32::from_str_radix(&line[at..at + 8], 16).expect(line);
        let named = format!(" eip={eip:#010x} <{}> in ", syms.describe(eip));
        assert!(line.contains(&named), "{line}\nwanted {named:?}");
        assert!(
            !line[at..at + 8].contains(|c: char| c.is_ascii_uppercase()),
            "{line}"
        );
        if named.contains("<memset+0x") && named.contains("(string.c:") {
            in_memset += 1;
        }
    }
    // The heap pages memset touches first name it, at its line.
    assert!(in_memset > 0, "{err}");
    // JSON keeps the number and carries the name beside it.
    let (faults, _) = json_events("userland/leak_demo", "named.jsonl", "page_fault");
    assert!(!faults.is_empty());
    for j in faults {
        let eip = j["eip"].as_u64().expect("eip is a number") as u32;
        assert_eq!(j["eip_name"], syms.describe(eip), "{j}");
    }
}

#[test]
fn json_lines_are_the_same_events() {
    let f = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("leak.jsonl");
    cli(&[
        "run",
        "--trace-json",
        f.to_str().unwrap(),
        "userland/leak_demo",
    ]);
    let opts = toyemu::Options {
        trace_tlb: true,
        ..Default::default()
    };
    let c = run_with(std::path::Path::new("userland/leak_demo"), &[], &opts);
    let text = std::fs::read_to_string(&f).unwrap();
    let lines: Vec<serde_json::Value> = text
        .lines()
        .map(|l| serde_json::from_str(l).unwrap())
        .collect();
    assert_eq!(lines.len(), c.report.events.len());
    for (j, e) in lines.iter().zip(&c.report.events) {
        assert_eq!(j, &toyemu::trace_json::event_json(e));
    }
    let mmap = lines.iter().find(|j| j["name"] == "mmap2").unwrap();
    assert_eq!(mmap["args"][1], 266240);
    assert_eq!(mmap["ret"].as_i64().unwrap() as u32 & 0xfff, 0);
    assert!(lines.iter().any(|j| j["type"] == "page_fault"
        && j["resolution"] == "zero-fill"
        && j["vma"] == "heap"));
    assert_eq!(lines.last().unwrap()["type"], "exit");
    // TLB activity is in the stream too, evictions included.
    assert!(
        lines
            .iter()
            .any(|j| j["type"] == "tlb_fill" && j["evicted"].is_u64()),
        "some fill evicts"
    );
    assert!(
        lines.iter().any(|j| j["type"] == "tlb_invlpg"),
        "munmap invalidates"
    );
    assert!(lines
        .iter()
        .any(|j| j["type"] == "frame_mapped" && j["cause"] == "mmap"));
}

#[test]
fn instruction_trace_shows_each_instruction_with_symbols_and_changes() {
    let (out, err) = cli(&["run", "--trace=insn,syscall", "userland/hello"]);
    assert!(out.contains("Hello"));
    let lines: Vec<&str> = err.lines().collect();
    let c = run(std::path::Path::new("userland/hello"), &[]);
    let insn_lines = lines.iter().filter(|l| l.starts_with("0x")).count() as u64;
    assert_eq!(
        insn_lines, c.report.record.instructions,
        "one line per retired instruction"
    );
    assert!(
        lines[0].starts_with("0x08049019 <_start (crt0.S:20)>")
            && lines[0].contains("31 ed")
            && lines[0].contains("xor %ebp,%ebp"),
        "{}",
        lines[0]
    );
    // The call into main names its target, with its source line.
    assert!(
        lines
            .iter()
            .any(|l| l.contains("<__toy_start+") && l.contains("call 0x8049000 <main (hello.c:")),
        "{err}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("0x08049000 <main (hello.c:")),
        "{err}"
    );
    assert!(
        lines
            .iter()
            .any(|l| l.contains("int $0x80") && l.contains("eax=0x13")),
        "write returns 19 in eax: {err}"
    );
    // The syscall line comes right after the instruction that made it.
    let i = lines
        .iter()
        .position(|l| l.starts_with("write(1, \"Hello"))
        .unwrap();
    assert!(lines[i - 1].contains("int $0x80"), "{}", lines[i - 1]);
}

#[test]
fn snapshots_after_each_syscall_show_the_heap_appear() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("snaps");
    let _ = std::fs::remove_dir_all(&dir);
    let (out, _) = cli(&[
        "run",
        "--snapshot-each=syscall",
        "--snapshot-dir",
        dir.to_str().unwrap(),
        "userland/leak_demo",
    ]);
    assert!(out.contains("leak_demo"));
    let mut files: Vec<String> = std::fs::read_dir(&dir)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    files.sort();
    let c = run(std::path::Path::new("userland/leak_demo"), &[]);
    // Every syscall but the final exit_group returns, and gets a snapshot.
    assert_eq!(files.len() as u64, c.report.stats.syscalls - 1, "{files:?}");
    assert_eq!(files[0], "0001-brk.txt");
    let first = std::fs::read_to_string(dir.join(&files[0])).unwrap();
    let moved = std::fs::read_to_string(dir.join(&files[2])).unwrap();
    assert_eq!(files[2], "0003-brk.txt");
    assert!(
        !first.contains("[heap]") && moved.contains("[heap]"),
        "{moved}"
    );
    // The break the snapshot shows is the one the brk call returned.
    let (_, err) = cli(&["run", "--trace", "syscall", "userland/leak_demo"]);
    let set = err
        .lines()
        .filter_map(|l| l.strip_prefix("brk(0x"))
        .next()
        .and_then(|l| l.split(" = 0x").nth(1))
        .expect("a brk call that moves the break");
    assert!(moved.contains(&format!("# brk 0x{set:0>8}")), "{moved}");
    assert!(
        moved
            .lines()
            .any(|l| l.starts_with("  0x08049000 PTE ") && l.contains("[P-UA-]")),
        "{moved}"
    );
}

#[test]
fn signals_and_their_calls_read_like_strace() {
    let (_, err) = cli(&["run", "--trace", "syscall", "userland/sigsegv_demo"]);
    let lines: Vec<&str> = err.lines().filter(|l| !l.starts_with("write(")).collect();
    let has = |prefix: &str| lines.iter().any(|l| l.starts_with(prefix));
    assert!(
        has("rt_sigaction(SIGSEGV, {sa_handler=0x")
            && lines.iter().any(|l| l
                .contains("sa_mask=[], sa_flags=SA_RESTORER|SA_SIGINFO, sa_restorer=0x")
                && l.ends_with("}, NULL, 8) = 0")),
        "{err}"
    );
    assert!(
        has("--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_ACCERR, si_addr=0x"),
        "{err}"
    );
    assert!(
        lines.contains(
            &"--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=0x00000000} ---"
        ),
        "{err}"
    );
    assert!(has("rt_sigreturn({mask=[]}) = "), "{err}");
    assert!(has("rt_sigprocmask(SIG_BLOCK, NULL, [], 8) = 0"), "{err}");
    assert!(has("sigaltstack({ss_sp=0x"), "{err}");
    // The handler's first call follows the delivery.
    let at = |prefix: &str| lines.iter().position(|l| l.starts_with(prefix)).unwrap();
    let fix = lines
        .iter()
        .position(|l| l.starts_with("mprotect(") && l.ends_with("PROT_READ|PROT_WRITE) = 0"))
        .unwrap();
    assert_eq!(at("--- SIGSEGV") + 1, fix, "{err}");

    // JSON: the same deliveries, with what the handler got and where its frame went.
    let (signals, text) = json_events("userland/sigsegv_demo", "sigsegv.jsonl", "signal");
    assert_eq!(signals.len(), 3, "{text}");
    assert_eq!(signals[0]["signal"], "SIGSEGV");
    assert_eq!(signals[0]["code_name"], "SEGV_ACCERR");
    assert_eq!(signals[0]["action"], "handler");
    assert_eq!(signals[0]["frame_kind"], "rt_sigframe");
    assert_eq!(signals[1]["addr"], 0);
    assert_eq!(signals[2]["altstack"], true);
}

/// `--trace frame` shows every frame the process held coming and going:
/// user pages (taken with their PTE), the page tables and the directory
/// (taken and freed), and the frees of munmap and exit. Each frame taken
/// is freed exactly once, and the page-table lines agree with the ledger.
#[test]
fn frame_trace_shows_page_tables_and_frees() {
    let (_, err) = cli(&["run", "--no-fold", "--trace", "frame", "userland/leak_demo"]);
    let frame_of = |l: &str| {
        let hex = l.strip_prefix("--- frame 0x")?.split(' ').next()?;
        u32::from_str_radix(hex, 16).ok()
    };
    let mut held = std::collections::BTreeSet::new();
    let (mut tables, mut directories, mut freed) = (0, 0, 0);
    for l in err.lines().filter(|l| l.starts_with("--- frame ")) {
        let f = frame_of(l).unwrap_or_else(|| panic!("{l}"));
        if l.contains(" taken for ") {
            assert!(held.insert(f), "frame {f:#x} taken twice: {l}");
            tables += l.contains("taken for the page table of PDE 0x") as u32;
            directories += l.contains("taken for the page directory") as u32;
        } else {
            assert!(l.contains(" freed: "), "{l}");
            assert!(held.remove(&f), "frame {f:#x} freed but not held: {l}");
            freed += 1;
        }
    }
    assert!(held.is_empty(), "never freed: {held:?}\n{err}");
    assert_eq!(directories, 1, "{err}");
    let c = run(std::path::Path::new("userland/leak_demo"), &[]);
    let ledger = &c.report.record.ledger;
    assert_eq!(
        (tables + directories) as u64,
        ledger.taken(toyemu_kernel::Cause::PageTable)
    );
    let taken: u64 = toyemu_kernel::Cause::ALL
        .iter()
        .map(|&k| ledger.taken(k))
        .sum();
    assert_eq!(freed, taken, "one freed line per frame taken");
    // munmap's frees come before its VMA line, which counts them.
    assert!(
        err.contains("freed: mmap page 0xb7"),
        "the big block's pages: {err}"
    );
    assert!(err.contains("its last entry gone"), "{err}");
}

/// `--trace process` shows the loader at work: the entry point with its
/// symbol, each PT_LOAD with the numbers of its program header and the VMA
/// it became, the initial break, the stack; the numbers are the file's.
#[test]
fn process_trace_shows_the_loader() {
    let (_, err) = cli(&["run", "--trace", "process", "userland/leak_demo"]);
    let lines: Vec<&str> = err.lines().collect();
    let image =
        toyemu_kernel::ElfImage::parse(std::fs::read(userland("leak_demo")).unwrap()).unwrap();
    assert_eq!(
        lines[0],
        format!(
            "--- exec userland/leak_demo: entry point {} <_start (crt0.S:20)>, {} PT_LOAD segments; nothing is copied now, pages load on first touch ---",
            image.entry,
            image.segments.len()
        )
    );
    for (i, s) in image.segments.iter().enumerate() {
        let line = lines[1 + i];
        let want = format!(
            "--- segment {i} ({}): file {:#08x}-{:#08x} (filesz {:#x}) -> {:#010x}-{:#010x} (memsz {:#x})",
            s.prot.rwx(),
            s.offset,
            s.offset + s.filesz,
            s.filesz,
            s.vaddr,
            s.vaddr + s.memsz,
            s.memsz
        );
        assert!(line.starts_with(&want), "{line}\nwanted {want}");
        assert!(
            line.ends_with(&format!("; vma {}-{} ---", s.start(), s.end())),
            "{line}"
        );
        assert_eq!(
            line.contains(&format!(
                "the last {:#x} bytes zero-fill (.bss)",
                s.memsz - s.filesz
            )),
            s.memsz > s.filesz,
            "{line}"
        );
    }
    let brk = image.segments.iter().map(|s| s.end()).max().unwrap();
    let n = image.segments.len();
    assert_eq!(
        lines[1 + n],
        format!("--- initial break {brk}: the heap starts at the page after the last segment ---")
    );
    assert!(
        lines[2 + n].starts_with(
            "--- stack: vma 0xbffdf000-0xc0000000 (grows down on fault, up to 8 MiB), esp 0xbfff"
        ),
        "{}",
        lines[2 + n]
    );
    // Nothing else until the end: the loader's lines are asked for, not always shown.
    assert_eq!(lines.len(), 4 + n, "{err}");
    assert!(lines[3 + n].starts_with("+++ exited with 0"), "{err}");
    let (_, plain) = cli(&["run", "--trace", "syscall", "userland/leak_demo"]);
    assert!(!plain.contains("--- exec "), "{plain}");
}

/// The pages a summary line speaks of: `(what, kind, lo, hi, count)` of
/// `--- 63 more zero-fill faults in mmap 0xb7fc0000-0xb8000000 ... ---`.
fn summary(line: &str) -> Option<(String, String, u32, u32, usize)> {
    let rest = line.strip_prefix("--- ")?;
    let (n, rest) = rest.split_once(" more ")?;
    let n: usize = n.parse().ok()?;
    let range_at = rest.find(" 0x")?;
    let (what, range) = rest.split_at(range_at);
    let range = range.trim_start().split([',', ' ']).next()?;
    let (lo, hi) = range.split_once('-')?;
    let hex = |s: &str| u32::from_str_radix(s.trim_start_matches("0x"), 16).ok();
    let (kind, what) = match what.split_once(" faults in ") {
        Some((how, kind)) => (kind.to_string(), format!("{how} faults")),
        None => (String::new(), what.to_string()),
    };
    Some((what, kind, hex(lo)?, hex(hi)?, n))
}

/// A line that a summary may stand for, and the page it concerns.
fn key_line(line: &str) -> Option<u32> {
    let hex_after = |pat: &str| {
        let at = line.find(pat)? + pat.len();
        u32::from_str_radix(
            line[at..].split(|c: char| !c.is_ascii_hexdigit()).next()?,
            16,
        )
        .ok()
    };
    if line.starts_with("--- page fault at 0x") {
        return hex_after("--- page fault at 0x").map(|a| a & !0xfff);
    }
    if line.starts_with("--- tlb invlpg 0x") {
        return hex_after("--- tlb invlpg 0x");
    }
    if line.starts_with("--- frame ") && line.contains(" freed: ") && line.contains(" page 0x") {
        return hex_after(" page 0x");
    }
    None
}

/// Folding only leaves lines out: the folded trace is the full one with
/// each run after its first unit replaced by one line that counts the
/// faults (or frees, or invlpgs) it stands for and bounds their pages.
#[test]
fn folded_trace_is_the_full_trace_with_runs_counted() {
    for (program, cats) in [
        ("userland/leak_demo", "syscall,fault"),
        ("userland/leak_demo", "fault,frame,tlb,vma"),
        ("userland/lazy_demo", "syscall,fault,vma,frame,tlb,process"),
        ("userland/pagetable_demo", "fault,frame"),
    ] {
        let (_, folded) = cli(&["run", "--trace", cats, program]);
        let (_, full) = cli(&["run", "--no-fold", "--trace", cats, program]);
        let full: Vec<&str> = full.lines().collect();
        let mut at = 0;
        let mut summaries = 0;
        let mut owed: Vec<(String, String, u32, u32, usize)> = Vec::new();
        for line in folded.lines() {
            if let Some(s) = summary(line) {
                summaries += 1;
                owed.push(s);
                continue;
            }
            // Skip the full trace's lines up to this one: all of them
            // must be accounted for by the summaries since the last match.
            let found = full[at..]
                .iter()
                .position(|l| *l == line)
                .unwrap_or_else(|| panic!("{program} {cats}: {line:?} is not in the full trace"));
            let skipped = &full[at..at + found];
            let keys: Vec<(&str, u32)> = skipped
                .iter()
                .filter_map(|l| key_line(l).map(|p| (*l, p)))
                .collect();
            let counted: usize = owed.iter().map(|o| o.4).sum();
            assert_eq!(
                keys.len(),
                counted,
                "{program} {cats}: before {line:?} the folded trace counts {counted} ({owed:?}), the full one has {skipped:#?}"
            );
            for (l, page) in &keys {
                assert!(
                    owed.iter()
                        .any(|(_, kind, lo, hi, _)| (lo..hi).contains(&page)
                            && (kind.is_empty() || l.contains(&format!(" in {kind}: ")))),
                    "{program} {cats}: {l} is outside every summary's range {owed:?}"
                );
            }
            if owed.is_empty() {
                assert!(skipped.is_empty(), "{program} {cats}: lost {skipped:#?}");
            }
            owed.clear();
            at += found + 1;
        }
        assert!(
            owed.is_empty() && at == full.len(),
            "{program} {cats}: the end differs"
        );
        assert!(summaries > 0, "{program} {cats}: nothing folded");
    }
    // With the instruction trace nothing is held back: lines come as they happen.
    let (_, err) = cli(&["run", "--trace", "insn,fault", "userland/hello"]);
    assert!(!err.lines().any(|l| summary(l).is_some()), "{err}");
    // leak_demo's 256 KiB block: malloc's header write, then memset's 64 pages.
    let (_, err) = cli(&["run", "--trace", "fault", "userland/leak_demo"]);
    assert!(
        err.lines()
            .any(|l| l == "--- 64 more zero-fill faults in mmap 0xb7fbf000-0xb8000000 ---"),
        "{err}"
    );
}
