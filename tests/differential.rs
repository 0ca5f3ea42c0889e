//! The differential test: the same i386 binary, run natively and under
//! toyemu, must print the same stdout and end with the same status.
//!
//! Each C program of `tests/corpus/` and each deterministic userland demo is
//! built at -O0 and -O2 against the project's libc; one test per program and
//! level (libtest-mimic makes them individual tests). The native run uses
//! `setarch -R` so the host lays memory out without randomisation.
//!
//! frag_demo runs once per malloc policy (MALLOC_POLICY in both
//! environments); every other program gets an empty environment.
//!
//! Each runs under both engines: the interpreter, and the JIT translating
//! every block the second time it runs (so nearly all of a short program
//! runs translated). The two must agree with native and with each other
//! exactly: instructions retired, page faults, every TLB counter.
//!
//! Corpus programs get a last argument: an empty scratch directory (the
//! same path for both runs, emptied between them), which toyemu may write
//! under (`--rw`); everything else they may only read.

mod common;

use common::*;
use libtest_mimic::{Arguments, Failed, Trial};
use std::path::PathBuf;
use toyemu::compile::Opt;

/// Every corpus program gets the same arguments.
const ARGS: &[&str] = &["alpha", "beta gamma"];

/// A test: its name, the source, the arguments and the environment.
type Case = (String, String, Vec<&'static str>, Vec<String>);

fn cases() -> Vec<Case> {
    let mut out = Vec::new();
    let mut corpus: Vec<PathBuf> = std::fs::read_dir(root().join("tests/corpus"))
        .expect("tests/corpus exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "c"))
        .collect();
    corpus.sort();
    for p in corpus {
        let stem = p.file_stem().unwrap().to_string_lossy().into_owned();
        out.push((
            format!("corpus::{stem}"),
            format!("tests/corpus/{stem}.c"),
            ARGS.to_vec(),
            Vec::new(),
        ));
    }
    for name in [
        "hello",
        "leak_demo",
        "brk_demo",
        "mmap_demo",
        "sigsegv_demo",
    ] {
        out.push((
            format!("userland::{name}"),
            format!("userland/{name}.c"),
            ARGS.to_vec(),
            Vec::new(),
        ));
    }
    // The demos of the notes' ideas, with the arguments that pick each variant.
    let variants: [(&str, &[&'static str]); 11] = [
        ("stack_vs_heap", &[]),
        ("lazy_demo", &[]),
        ("overcommit_demo", &[]),
        ("tlb_demo", &[]),
        ("tlb_demo", &["col", "32"]),
        ("pagetable_demo", &["dense"]),
        ("pagetable_demo", &["sparse"]),
        ("segments_demo", &[]),
        ("pool_demo", &[]),
        ("trim_demo", &[]),
        ("calloc_demo", &[]),
    ];
    for (name, args) in variants {
        let label = std::iter::once(name)
            .chain(args.iter().copied())
            .collect::<Vec<_>>();
        out.push((
            format!("userland::{}", label.join("_")),
            format!("userland/{name}.c"),
            args.to_vec(),
            Vec::new(),
        ));
    }
    for policy in ["bins", "first", "best", "next"] {
        out.push((
            format!("userland::frag_demo_{policy}"),
            "userland/frag_demo.c".to_string(),
            Vec::new(),
            vec![format!("MALLOC_POLICY={policy}")],
        ));
    }
    for kind in ["null", "rodata", "kernel", "unmapped", "exec", "stack"] {
        out.push((
            format!("userland::segv_demo_{kind}"),
            "userland/segv_demo.c".to_string(),
            vec![kind],
            Vec::new(),
        ));
    }
    out
}

/// An empty directory for one test, the same path every time it is asked for.
fn scratch(name: &str) -> PathBuf {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"))
        .join("scratch")
        .join(name.replace("::", "-"));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("a scratch directory");
    dir
}

fn compare(name: &str, src: &str, opt: Opt, args: &[&str], env: &[String]) -> Result<(), Failed> {
    let exe = build(src, opt);
    let dir = scratch(&format!("{name}{}", opt.flag()));
    let dir_arg = dir.display().to_string();
    let mut args = args.to_vec();
    if name.starts_with("corpus::") {
        args.push(&dir_arg);
    }
    let native = run_native_env(&exe, &args, env)?;
    let dir = scratch(&format!("{name}{}", opt.flag()));
    let opts = toyemu::Options {
        rw: vec![dir],
        env: env.to_vec(),
        ..toyemu::Options::default()
    };
    let emu = run_with(&exe, &args, &opts);
    check_against_native(src, opt, &native, &emu)?;
    let dir = scratch(&format!("{name}{}", opt.flag()));
    let jit = toyemu::Options {
        rw: vec![dir],
        engine: toyemu_emulator::Engine::Jit,
        jit_hot: 1,
        ..opts
    };
    let jitted = run_with(&exe, &args, &jit);
    check_against_native(src, opt, &native, &jitted).map_err(|e| format!("under the JIT: {e}"))?;
    same_run(&emu, &jitted).map_err(|e| format!("{src} {}: the JIT differs: {e}", opt.flag()))?;
    Ok(())
}

/// The JIT's run against the interpreter's: everything counted agrees.
fn same_run(a: &toyemu::Captured, b: &toyemu::Captured) -> Result<(), String> {
    let (ra, rb) = (&a.report, &b.report);
    let pairs = [
        (
            "instructions",
            ra.record.instructions,
            rb.record.instructions,
        ),
        ("tlb hits", ra.tlb.hits, rb.tlb.hits),
        ("tlb misses", ra.tlb.misses, rb.tlb.misses),
        ("tlb fills", ra.tlb.fills, rb.tlb.fills),
        ("tlb evictions", ra.tlb.evictions, rb.tlb.evictions),
        ("tlb invlpg", ra.tlb.invlpg, rb.tlb.invlpg),
        ("tlb flushes", ra.tlb.flushes, rb.tlb.flushes),
    ];
    for (what, x, y) in pairs {
        if x != y {
            return Err(format!("{what}: interpreter {x}, JIT {y}"));
        }
    }
    if format!("{:?}", ra.stats) != format!("{:?}", rb.stats) {
        return Err(format!(
            "counters: interpreter {:?}\nJIT {:?}",
            ra.stats, rb.stats
        ));
    }
    Ok(())
}

fn check_against_native(
    src: &str,
    opt: Opt,
    native: &Native,
    emu: &toyemu::Captured,
) -> Result<(), String> {
    let status = emu.report.status.code();
    if native.stdout != emu.stdout || native.status != status {
        return Err(format!(
            "{src} {}: native status {} vs toyemu {status}\n--- native stdout\n{}\n--- toyemu stdout\n{}\n--- toyemu stderr\n{}",
            opt.flag(),
            native.status,
            String::from_utf8_lossy(&native.stdout),
            String::from_utf8_lossy(&emu.stdout),
            String::from_utf8_lossy(&emu.stderr),
        ));
    }
    if emu.report.free_after != emu.report.free_before {
        return Err(format!(
            "{src}: {} frames not reclaimed",
            emu.report.free_before - emu.report.free_after
        ));
    }
    Ok(())
}

fn main() {
    let args = Arguments::from_args();
    // Without native i386 execution there is no oracle: fail loudly, unless
    // the person running the tests explicitly accepts skipping them.
    let native = native_i386_works();
    let skip = std::env::var_os("TOYEMU_SKIP_NATIVE").is_some();
    if let Err(why) = &native {
        eprintln!("differential tests: this host cannot run i386 executables natively ({why})");
        if skip {
            eprintln!(
                "differential tests: TOYEMU_SKIP_NATIVE is set, so they are reported as ignored"
            );
        }
    }
    let mut trials = Vec::new();
    for (name, src, argv, env) in cases() {
        for opt in [Opt::O0, Opt::O2] {
            let ignored = skip && native.is_err();
            let (name, src, argv, env, native) = (
                name.clone(),
                src.clone(),
                argv.clone(),
                env.clone(),
                native.clone(),
            );
            let t = Trial::test(format!("{name}{}", opt.flag()), move || {
                native.map_err(|why| {
                    format!("cannot run natively: {why} (set TOYEMU_SKIP_NATIVE=1 to ignore)")
                })?;
                compare(&name, &src, opt, &argv, &env)
            });
            trials.push(t.with_ignored_flag(ignored));
        }
    }
    libtest_mimic::run(&args, trials).exit();
}
