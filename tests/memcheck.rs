//! `--memcheck`: each bug demo of `userland/bug_*.c` is reported exactly
//! once, with the right kind, size, offset and lines (the source marks them
//! `/* BUG */`, `/* ALLOC */`, `/* FREE */`), under toyemu's libc, glibc and
//! musl at -O0 and -O2; the correct programs of the corpus get no error at
//! all; and the command line's `--error-exitcode` and refusals.
//!
//! The glibc and musl builds need `tests/real/setup.sh`'s toolchains; a
//! missing one fails the trial (with `TOYEMU_SKIP_REAL=1` it is ignored,
//! and said so).

mod common;

use common::real::{build, toolchain, work_dir, Libc};
use libtest_mimic::{Arguments, Failed, Trial};
use std::path::{Path, PathBuf};
use toyemu::compile::Opt;
use toyemu::leaks::Kind as LeakKind;
use toyemu::memcheck::blocks::Whereabouts;
use toyemu::memcheck::report::{ErrorKind, MemError, Summary};
use toyemu::symbols::Symbols;
use toyemu::Options;

#[derive(Clone, Copy, PartialEq, Eq, Debug)]
enum Build {
    Toy(Opt),
    Real(Libc, &'static str),
}

impl Build {
    fn name(self) -> String {
        match self {
            Build::Toy(o) => format!("toy{}", o.flag()),
            Build::Real(l, o) => format!("{}{o}", l.name()),
        }
    }
}

const BUILDS: [Build; 6] = [
    Build::Toy(Opt::O0),
    Build::Toy(Opt::O2),
    Build::Real(Libc::Glibc, "-O0"),
    Build::Real(Libc::Glibc, "-O2"),
    Build::Real(Libc::Musl, "-O0"),
    Build::Real(Libc::Musl, "-O2"),
];

/// Build `src` (relative to the repository) as `b` says.
fn exe(src: &str, b: Build) -> Result<PathBuf, Failed> {
    match b {
        Build::Toy(opt) => Ok(common::build(src, opt)),
        Build::Real(libc, opt) => {
            toolchain(libc).clone()?;
            let stem = Path::new(src)
                .file_stem()
                .unwrap()
                .to_string_lossy()
                .to_string();
            let out = work_dir()
                .join("memcheck")
                .join(format!("{stem}-{}{opt}", libc.name()));
            build(libc, opt, &common::root().join(src), &out)?;
            Ok(out)
        }
    }
}

/// Run `path` under memcheck: stdout and the summary (with the symbols).
/// It runs under both engines (the JIT translating every block the second
/// time it runs), which must find the same errors and leaks.
fn checked(path: &Path) -> Result<(Summary, std::rc::Rc<Symbols>, i32), Failed> {
    let opts = Options {
        memcheck: true,
        keep_events: false,
        ..Options::default()
    };
    let c = toyemu::run_captured(path, &[], &opts, b"")?;
    let code = c.report.status.code();
    let s = c.report.memcheck.clone().ok_or("no memcheck summary")?;
    let jit = Options {
        engine: toyemu_emulator::Engine::Jit,
        jit_hot: 1,
        ..opts
    };
    let j = toyemu::run_captured(path, &[], &jit, b"")?;
    if j.report.memcheck.as_ref() != Some(&s) || j.report.status.code() != code {
        return Err(format!(
            "{}: memcheck under the JIT differs (status {} vs {code})\n--- interpreter\n{s:?}\n--- JIT\n{:?}",
            path.display(),
            j.report.status.code(),
            j.report.memcheck
        )
        .into());
    }
    Ok((s, c.report.symbols.clone(), code))
}

/// The line marked `/* MARK */` in `src`.
fn marked(src: &str, mark: &str) -> u32 {
    let text = std::fs::read_to_string(common::root().join(src)).unwrap();
    let needle = format!("/* {mark} */");
    let i = text
        .lines()
        .position(|l| l.contains(&needle))
        .unwrap_or_else(|| panic!("{src} has no {needle} line"));
    i as u32 + 1
}

/// The source lines of a stack: frame 0's own, each caller's call.
fn lines(stack: &[u32], syms: &Symbols) -> Vec<String> {
    stack
        .iter()
        .enumerate()
        .filter_map(|(i, &pc)| syms.line(if i == 0 { pc } else { pc - 1 }))
        .collect()
}

fn has_line(stack: &[u32], syms: &Symbols, file_line: &str) -> bool {
    lines(stack, syms).iter().any(|l| l == file_line)
}

/// What one demo must produce.
struct Expect {
    prog: &'static str,
    kind: fn(&ErrorKind) -> bool,
    /// (relation, offset, block size), from the error's whereabouts.
    place: fn(&Whereabouts) -> bool,
    freed: bool,
    alloc: bool,
}

const EXPECT: &[Expect] = &[
    Expect {
        prog: "bug_overflow",
        kind: |k| *k == ErrorKind::InvalidWrite { size: 4 },
        place: |w| matches!(w, Whereabouts::After { off: 0, block } if block.size == 24),
        freed: false,
        alloc: true,
    },
    Expect {
        prog: "bug_underflow",
        kind: |k| *k == ErrorKind::InvalidWrite { size: 1 },
        place: |w| matches!(w, Whereabouts::Before { off: 1, block } if block.size == 16),
        freed: false,
        alloc: true,
    },
    Expect {
        prog: "bug_use_after_free",
        kind: |k| *k == ErrorKind::InvalidRead { size: 4 },
        place: |w| matches!(w, Whereabouts::InsideFreed { off: 8, freed } if freed.block.size == 32),
        freed: true,
        alloc: true,
    },
    Expect {
        prog: "bug_double_free",
        kind: |k| *k == ErrorKind::DoubleFree,
        place: |w| matches!(w, Whereabouts::InsideFreed { off: 0, freed } if freed.block.size == 64),
        freed: true,
        alloc: true,
    },
    Expect {
        prog: "bug_invalid_free",
        kind: |k| *k == ErrorKind::InvalidFree,
        place: |w| matches!(w, Whereabouts::Inside { off: 4, block } if block.size == 32),
        freed: false,
        alloc: true,
    },
    Expect {
        prog: "bug_realloc_freed",
        kind: |k| *k == ErrorKind::ReallocFreed,
        place: |w| matches!(w, Whereabouts::InsideFreed { off: 0, freed } if freed.block.size == 16),
        freed: true,
        alloc: true,
    },
    Expect {
        prog: "bug_dangling_stack",
        kind: |k| *k == ErrorKind::InvalidRead { size: 4 },
        place: |w| matches!(w, Whereabouts::Stack { below } if *below > 0 && *below < 64),
        freed: false,
        alloc: false,
    },
];

fn bug_demo(e: &Expect, b: Build) -> Result<(), Failed> {
    let src = format!("userland/{}.c", e.prog);
    let file = format!("{}.c", e.prog);
    let (s, syms, code) = checked(&exe(&src, b)?)?;
    let at = |mark: &str| format!("{file}:{}", marked(&src, mark));
    let only: &MemError = match s.errors.as_slice() {
        [one] => one,
        many => return Err(format!("{} errors, not 1: {many:#?}", many.len()).into()),
    };
    if !(e.kind)(&only.kind) || only.count != 1 {
        return Err(format!("wrong kind or count: {only:#?}").into());
    }
    if !(e.place)(&only.whereabouts) {
        return Err(format!("wrong place: {:#?}", only.whereabouts).into());
    }
    if !has_line(&only.at, &syms, &at("BUG")) {
        return Err(format!("not at {}: {:?}", at("BUG"), lines(&only.at, &syms)).into());
    }
    let (alloc, freed) = match &only.whereabouts {
        Whereabouts::Inside { block, .. }
        | Whereabouts::After { block, .. }
        | Whereabouts::Before { block, .. } => (Some(&block.alloc), None),
        Whereabouts::InsideFreed { freed, .. } => (Some(&freed.block.alloc), Some(&freed.freed)),
        _ => (None, None),
    };
    if e.alloc && !alloc.is_some_and(|a| has_line(a, &syms, &at("ALLOC"))) {
        return Err(format!(
            "alloc'd at {:?}, not {}",
            alloc.map(|a| lines(a, &syms)),
            at("ALLOC")
        )
        .into());
    }
    if e.freed && !freed.is_some_and(|f| has_line(f, &syms, &at("FREE"))) {
        return Err(format!(
            "freed at {:?}, not {}",
            freed.map(|f| lines(f, &syms)),
            at("FREE")
        )
        .into());
    }
    // The bad store is undone in the allocator's bytes and the bad free
    // is not carried out: the program ends normally, as under valgrind.
    if code != 0 {
        return Err(format!("exit status {code}, not 0").into());
    }
    Ok(())
}

/// bug_leaks: one block of each kind from its marked line (glibc and musl
/// keep blocks of their own too: those may only be still reachable).
fn bug_leaks(b: Build) -> Result<(), Failed> {
    let src = "userland/bug_leaks.c";
    let (s, syms, _) = checked(&exe(src, b)?)?;
    if !s.errors.is_empty() {
        return Err(format!("errors in a program that only leaks: {:#?}", s.errors).into());
    }
    let text = std::fs::read_to_string(common::root().join(src)).unwrap();
    let line_of = |words: &str| {
        let i = text
            .lines()
            .position(|l| l.contains(&format!("/* ALLOC {words} */")))
            .unwrap_or_else(|| panic!("no ALLOC line for {words}"));
        format!("bug_leaks.c:{}", i + 1)
    };
    for kind in LeakKind::ALL {
        let want = line_of(kind.name());
        let found: Vec<_> = s
            .leaks
            .iter()
            .filter(|r| r.kind == kind && has_line(&r.alloc, &syms, &want))
            .collect();
        if found.len() != 1 || found[0].blocks != 1 {
            return Err(format!(
                "{}: want one block from {want}: {:#?}",
                kind.name(),
                s.leaks
            )
            .into());
        }
        let others = s.leaks.iter().filter(|r| r.kind == kind).count();
        if kind != LeakKind::StillReachable && others != 1 {
            return Err(format!("{} records of {}: {:#?}", others, kind.name(), s.leaks).into());
        }
    }
    let (errors, contexts) = s.error_counts();
    if (errors, contexts) != (2, 2) {
        return Err(format!(
            "ERROR SUMMARY {errors} from {contexts}, not 2 from 2 (definite, possible)"
        )
        .into());
    }
    Ok(())
}

/// Programs of the corpus that are correct but for leaks they make on
/// purpose or leave to exit: memcheck must find no access or free error.
/// Leaks are checked by `leaks_match_the_heap_walk` instead.
fn no_errors(src: &str, b: Build) -> Result<(), Failed> {
    let (s, syms, _) = checked(&exe(src, b)?)?;
    match s.errors.first() {
        None => Ok(()),
        Some(e) => Err(format!(
            "{} errors, the first:\n{}",
            s.errors.len(),
            toyemu::memcheck::report::error_text(e, s.pid, &syms)
        )
        .into()),
    }
}

/// Under toyemu's libc the heap can be walked by its chunk headers
/// (`heap.rs`): memcheck's leak classification, made from the hooked calls,
/// must agree with the one made from that walk, block for block.
fn leaks_match_the_heap_walk(src: &str) -> Result<(), Failed> {
    let path = common::build(src, Opt::O2);
    let opts = Options {
        memcheck: true,
        keep_events: false,
        ..Options::default()
    };
    let c = toyemu::run_captured(&path, &[], &opts, b"")?;
    let s = c.report.memcheck.as_ref().ok_or("no summary")?;
    let walk = &c.report.at_exit.leaks;
    for kind in LeakKind::ALL {
        let (bytes, blocks) = walk.of_kind(kind);
        if s.of_kind(kind) != (bytes, blocks as u64) {
            return Err(format!(
                "{}: memcheck {:?}, heap walk {:?}",
                kind.name(),
                s.of_kind(kind),
                (bytes, blocks)
            )
            .into());
        }
    }
    Ok(())
}

/// free() of a global and of a local: invalid frees of what no malloc
/// returned, named as such, and not carried out (the program goes on).
fn free_not_malloced(b: Build) -> Result<(), Failed> {
    let src = "tests/scenarios/free_not_malloced.c";
    let path = exe(src, b)?;
    let line = format!("free_not_malloced.c:{}", marked(src, "BUG"));
    for (arg, want) in [
        ("global", Whereabouts::Nowhere),
        ("local", Whereabouts::OnStack),
    ] {
        let opts = Options {
            memcheck: true,
            ..Options::default()
        };
        let c = toyemu::run_captured(&path, &[arg], &opts, b"")?;
        let s = c.report.memcheck.as_ref().ok_or("no summary")?;
        let ok = matches!(s.errors.as_slice(), [e] if e.kind == ErrorKind::InvalidFree
            && e.whereabouts == want && has_line(&e.at, &c.report.symbols, &line));
        if !ok
            || c.report.status.code() != 0
            || !String::from_utf8_lossy(&c.stdout).contains("still here")
        {
            return Err(
                format!("{arg}: {:#?} (status {})", s.errors, c.report.status.code()).into(),
            );
        }
    }
    Ok(())
}

/// The corpus programs that read below the stack pointer or the
/// allocator's headers on purpose (what memcheck is for), or whose bug is
/// the point: memcheck is right to report them, so they are not in the
/// no-error set. Each is named with its reason.
const DELIBERATE: &[(&str, &str)] = &[
    (
        "tests/corpus/malloc_double_free.c",
        "frees twice on purpose",
    ),
    ("tests/corpus/malloc_heap_walk.c", "walks the chunk headers"),
    (
        "tests/corpus/mm_conf_stack.c",
        "reads below ESP to probe stack growth",
    ),
    (
        "tests/corpus/mm_conf_stack_gap_segv.c",
        "writes below the stack's guard gap",
    ),
    (
        "tests/scenarios/heap_damage.c",
        "damages the heap on purpose",
    ),
    (
        "tests/scenarios/free_not_malloced.c",
        "frees a global or a local on purpose",
    ),
    (
        "userland/frag_demo.c",
        "draws the heap from its chunk headers",
    ),
    (
        "userland/pool_demo.c",
        "counts heap bytes from the chunk headers",
    ),
];

fn corpus() -> Vec<String> {
    let mut out = Vec::new();
    for dir in ["tests/corpus", "tests/scenarios", "userland"] {
        let mut names: Vec<String> = std::fs::read_dir(common::root().join(dir))
            .unwrap()
            .filter_map(|e| e.ok())
            .map(|e| e.file_name().to_string_lossy().to_string())
            .filter(|n| n.ends_with(".c") && !n.starts_with("bug_"))
            .map(|n| format!("{dir}/{n}"))
            .filter(|p| !DELIBERATE.iter().any(|(d, _)| d == p))
            .collect();
        names.sort();
        out.extend(names);
    }
    out
}

fn real_corpus() -> Vec<String> {
    let mut names: Vec<String> = std::fs::read_dir(common::root().join("tests/real"))
        .unwrap()
        .filter_map(|e| e.ok())
        .map(|e| e.file_name().to_string_lossy().to_string())
        .filter(|n| n.ends_with(".c"))
        .map(|n| format!("tests/real/{n}"))
        .collect();
    names.sort();
    names
}

fn cli(args: &[&str]) -> std::process::Output {
    std::process::Command::new(env!("CARGO_BIN_EXE_toyemu"))
        .args(args)
        .current_dir(common::root())
        .output()
        .unwrap()
}

fn error_exitcode() -> Result<(), Failed> {
    let bug = common::userland("bug_overflow");
    let o = cli(&[
        "run",
        "--memcheck",
        "--error-exitcode",
        "9",
        bug.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    if o.status.code() != Some(9) || !err.contains("ERROR SUMMARY: 1 error from 1 context") {
        return Err(format!("{:?}\n{err}", o.status).into());
    }
    if !err.contains("Invalid write of size 4")
        || !err.contains("0 bytes after a block of size 24 alloc'd")
    {
        return Err(format!("not valgrind's words:\n{err}").into());
    }
    let ok = common::userland("hello");
    let o = cli(&[
        "run",
        "--memcheck",
        "--error-exitcode",
        "9",
        ok.to_str().unwrap(),
    ]);
    if o.status.code() != Some(0) {
        return Err(format!("a clean run exits {:?}", o.status).into());
    }
    let o = cli(&["run", "--error-exitcode", "9", ok.to_str().unwrap()]);
    if o.status.code() != Some(2) {
        return Err("--error-exitcode without --memcheck is a usage error".into());
    }
    Ok(())
}

/// Each error is a trace event too (the first of its context), in the
/// line trace and in JSON, and `--report json` carries the summary.
fn trace_and_report() -> Result<(), Failed> {
    let bug = common::userland("bug_double_free");
    let json = work_dir().join("memcheck").join("double_free.jsonl");
    std::fs::create_dir_all(json.parent().unwrap())?;
    let o = cli(&[
        "run",
        "--memcheck",
        "--trace",
        "syscall",
        "--report=json",
        "--trace-json",
        json.to_str().unwrap(),
        bug.to_str().unwrap(),
    ]);
    let err = String::from_utf8_lossy(&o.stderr);
    let line = err
        .lines()
        .find(|l| l.starts_with("--- memcheck: "))
        .ok_or_else(|| format!("no memcheck line in the trace:\n{err}"))?;
    if !line.contains("(a double free) at main+") || !line.contains("bug_double_free.c:") {
        return Err(format!("trace line: {line}").into());
    }
    let events = std::fs::read_to_string(&json)?;
    let ev: Vec<serde_json::Value> = events
        .lines()
        .filter_map(|l| serde_json::from_str(l).ok())
        .filter(|v: &serde_json::Value| v["type"] == "memcheck")
        .collect();
    if ev.len() != 1 || ev[0]["kind"] != "double_free" {
        return Err(format!("JSON events: {ev:?}").into());
    }
    let report: serde_json::Value = err
        .lines()
        .find(|l| l.starts_with('{'))
        .and_then(|l| serde_json::from_str(l).ok())
        .ok_or("no JSON report")?;
    let m = &report["memcheck"];
    if m["errors"] != 1 || m["error_list"][0]["relation"] != "inside_freed" {
        return Err(format!("report: {m}").into());
    }
    Ok(())
}

/// A refused read that also faults (it runs off the heap's last page):
/// reported, then the fault's SIGSEGV kills the program, and the leak
/// check still runs at teardown.
fn refused_and_faulting() -> Result<(), Failed> {
    let path = common::build("tests/scenarios/bug_off_the_heap.c", Opt::O0);
    let (s, _, code) = checked(&path)?;
    if s.errors.len() != 1 || !s.leak_checked || code != 128 + 11 {
        return Err(format!("status {code}: {s:#?}").into());
    }
    Ok(())
}

fn stripped_is_refused() -> Result<(), Failed> {
    let out = work_dir().join("memcheck").join("hello-stripped");
    std::fs::create_dir_all(out.parent().unwrap())?;
    std::fs::copy(common::userland("hello"), &out)?;
    let s = std::process::Command::new("strip").arg(&out).status()?;
    if !s.success() {
        return Err("strip failed".into());
    }
    let o = cli(&["run", "--memcheck", out.to_str().unwrap()]);
    let err = String::from_utf8_lossy(&o.stderr);
    if o.status.success() || !err.contains("--memcheck needs symbols") {
        return Err(format!("{:?}: {err}", o.status).into());
    }
    Ok(())
}

fn main() {
    let args = Arguments::from_args();
    let skip = std::env::var_os("TOYEMU_SKIP_REAL").is_some_and(|v| v == "1");
    let ignored = |b: Build| match b {
        Build::Toy(_) => false,
        Build::Real(libc, _) => skip && toolchain(libc).is_err(),
    };
    for libc in [Libc::Glibc, Libc::Musl] {
        if let Err(why) = toolchain(libc) {
            eprintln!("memcheck: {}: {why}", libc.name());
        }
    }
    let mut trials = Vec::new();
    for e in EXPECT {
        for b in BUILDS {
            trials.push(
                Trial::test(format!("bug::{}::{}", e.prog, b.name()), move || {
                    bug_demo(e, b)
                })
                .with_ignored_flag(ignored(b)),
            );
        }
    }
    for b in BUILDS {
        trials.push(
            Trial::test(format!("bug::bug_leaks::{}", b.name()), move || {
                bug_leaks(b)
            })
            .with_ignored_flag(ignored(b)),
        );
    }
    for b in BUILDS {
        trials.push(
            Trial::test(format!("bug::free_not_malloced::{}", b.name()), move || {
                free_not_malloced(b)
            })
            .with_ignored_flag(ignored(b)),
        );
    }
    for src in corpus() {
        for opt in [Opt::O0, Opt::O2] {
            let s = src.clone();
            let b = Build::Toy(opt);
            trials.push(Trial::test(
                format!("clean::{src}::{}", b.name()),
                move || no_errors(&s, b),
            ));
        }
        let s = src.clone();
        trials.push(Trial::test(format!("leaks_agree::{src}"), move || {
            leaks_match_the_heap_walk(&s)
        }));
    }
    for src in real_corpus() {
        for b in &BUILDS[2..] {
            let (s, b) = (src.clone(), *b);
            trials.push(
                Trial::test(format!("clean::{src}::{}", b.name()), move || {
                    no_errors(&s, b)
                })
                .with_ignored_flag(ignored(b)),
            );
        }
    }
    trials.push(Trial::test("cli::error_exitcode", error_exitcode));
    trials.push(Trial::test("cli::stripped_is_refused", stripped_is_refused));
    trials.push(Trial::test("cli::trace_and_report", trace_and_report));
    trials.push(Trial::test(
        "bug::refused_and_faulting",
        refused_and_faulting,
    ));
    libtest_mimic::run(&args, trials).exit();
}
