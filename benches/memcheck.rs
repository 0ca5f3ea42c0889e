//! What `--memcheck` costs: each program run plain and under memcheck,
//! best of a few runs each, and the ratio. `cargo bench --bench memcheck`.
//! Prints; asserts nothing about time (the tests check what memcheck finds).

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant};
use toyemu::compile::{compile_c, Opt};
use toyemu::Options;

fn guest(name: &str, opt: Opt) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("benches/guest")
        .join(format!("{name}.c"));
    let out = std::env::temp_dir().join(format!("toyemu-bench-mc-{name}{}", opt.flag()));
    compile_c(&src, &out, opt).unwrap_or_else(|e| panic!("{e}"));
    out
}

/// The same program against glibc, if this machine's gcc can link one.
fn glibc(name: &str) -> Option<PathBuf> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("benches/guest")
        .join(format!("{name}.c"));
    let out = std::env::temp_dir().join(format!("toyemu-bench-mc-{name}-glibc"));
    let ok = Command::new("gcc")
        .args(["-m32", "-static", "-O2", "-g", "-o"])
        .arg(&out)
        .arg(&src)
        .status()
        .is_ok_and(|s| s.success());
    ok.then_some(out)
}

fn best(path: &Path, args: &[&str], opts: &Options, reps: u32) -> (Duration, toyemu::Captured) {
    let mut best = Duration::MAX;
    let mut last = None;
    for _ in 0..reps {
        let t = Instant::now();
        let c = toyemu::run_captured(path, args, opts, b"").expect("guest runs");
        best = best.min(t.elapsed());
        last = Some(c);
    }
    (best, last.unwrap())
}

fn main() {
    let plain = Options {
        keep_events: false,
        ..Options::default()
    };
    let checked = Options {
        memcheck: true,
        ..plain.clone()
    };
    println!(
        "{:<34} {:>10} {:>10} {:>9}  what memcheck saw",
        "program", "plain", "memcheck", "slowdown"
    );
    let mut rows: Vec<(String, PathBuf, &str)> = vec![
        (
            "alloc (toyemu libc, -O2)".into(),
            guest("alloc", Opt::O2),
            "100000",
        ),
        (
            "sieve (compute only, -O2)".into(),
            guest("sieve", Opt::O2),
            "20",
        ),
        (
            "crc32 (compute only, -O2)".into(),
            guest("crc32", Opt::O2),
            "20",
        ),
        (
            "mix (compute, -O0: stack-heavy)".into(),
            guest("mix", Opt::O0),
            "5",
        ),
    ];
    match glibc("alloc") {
        Some(p) => rows.insert(1, ("alloc (glibc, -O2)".into(), p, "100000")),
        None => println!("(no glibc row: gcc -m32 -static cannot link here)"),
    }
    for (name, path, arg) in &rows {
        let (t0, a) = best(path, &[arg], &plain, 3);
        let (t1, b) = best(path, &[arg], &checked, 3);
        assert_eq!(a.stdout, b.stdout, "{name}: memcheck changed the output");
        let m = b.report.memcheck.as_ref().expect("memcheck ran");
        println!(
            "{name:<34} {:>8.1}ms {:>8.1}ms {:>8.2}x  {} allocs, {} errors, {:.0} MIPS plain",
            t0.as_secs_f64() * 1e3,
            t1.as_secs_f64() * 1e3,
            t1.as_secs_f64() / t0.as_secs_f64(),
            m.allocs,
            m.error_counts().0,
            a.report.record.instructions as f64 / t0.as_secs_f64() / 1e6,
        );
    }
}
