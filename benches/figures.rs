//! The figures of DESIGN.md's speed and memory table, measured end to end on
//! real guest programs: `cargo bench --bench figures`. Prints; asserts nothing
//! about time.

use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};
use toyemu::compile::{compile_c, Opt};
use toyemu::Options;

fn guest(name: &str) -> PathBuf {
    let src = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("benches/guest")
        .join(format!("{name}.c"));
    let out = std::env::temp_dir().join(format!("toyemu-bench-{name}"));
    compile_c(&src, &out, Opt::O2).unwrap_or_else(|e| panic!("{e}"));
    out
}

/// Best of `reps` runs (the least disturbed by the rest of the machine).
fn time(path: &Path, args: &[&str], opts: &Options, reps: u32) -> (Duration, toyemu::Captured) {
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

/// Median wall times of `toyemu run --mem MEM program` for each of `mems`,
/// spawn to reap, the sizes taking turns (after a few runs to warm up) so
/// that both see the same machine.
fn whole_process(program: &Path, mems: &[&str], runs: usize) -> Vec<Duration> {
    let once = |mem: &str| {
        let t = Instant::now();
        let status = std::process::Command::new(env!("CARGO_BIN_EXE_toyemu"))
            .args(["run", "--mem", mem])
            .arg(program)
            .stdin(std::process::Stdio::null())
            .stdout(std::process::Stdio::null())
            .status()
            .expect("toyemu starts");
        assert!(
            status.success(),
            "toyemu run {}: {status}",
            program.display()
        );
        t.elapsed()
    };
    for _ in 0..5 {
        once(mems[0]);
    }
    let mut times = vec![Vec::with_capacity(runs); mems.len()];
    for _ in 0..runs {
        for (mem, t) in mems.iter().zip(&mut times) {
            t.push(once(mem));
        }
    }
    times
        .into_iter()
        .map(|mut t| {
            t.sort();
            t[runs / 2]
        })
        .collect()
}

fn main() {
    let opts = Options {
        keep_events: false,
        ..Options::default()
    };
    let (empty, mix, touch, brk0) = (guest("empty"), guest("mix"), guest("touch"), guest("brk0"));

    let (t_empty, c) = time(&empty, &[], &opts, 20);
    println!(
        "start to exit, empty static program : {:>10.3} ms ({} instructions)",
        t_empty.as_secs_f64() * 1e3,
        c.report.record.instructions
    );

    // The same as a user meets it: `toyemu run` as a whole process, from
    // spawn (exec, the dynamic loader, toyemu's own start) to reap. Guest RAM
    // is reserved, not touched, so a bigger --mem should cost no more.
    let mems = ["64M", "3G"];
    for (mem, t) in mems.iter().zip(whole_process(&empty, &mems, 100)) {
        println!(
            "  whole process, --mem {mem:<3}          : {:>10.3} ms (median of 100 runs)",
            t.as_secs_f64() * 1e3
        );
    }

    let (t, c) = time(&mix, &["20"], &opts, 3);
    let n = c.report.record.instructions;
    println!(
        "guest integer code                  : {:>10.1} MIPS ({n} instructions in {:.3} s)",
        n as f64 / t.as_secs_f64() / 1e6,
        t.as_secs_f64()
    );
    println!(
        "  TLB hit rate                      : {:>10.4}",
        c.report.tlb.hit_rate()
    );

    let mib = 48;
    let (t_touch, c) = time(&touch, &[&mib.to_string()], &opts, 3);
    let faults = c.report.stats.zero_fills;
    let per = (t_touch.saturating_sub(t_empty)).as_secs_f64() / faults as f64;
    println!("demand-zero fault, first touch      : {:>10.3} us ({faults} faults; the host commits each frame too)", per * 1e6);
    // Steady state: frames come back from munmap and are reused, as in a long-running program.
    let (t_reuse, c2) = time(&touch, &[&mib.to_string(), "5"], &opts, 3);
    let extra = c2.report.stats.zero_fills - faults;
    let per = t_reuse.saturating_sub(t_touch).as_secs_f64() / extra as f64;
    println!(
        "demand-zero fault + munmap, reused  : {:>10.3} us ({extra} faults)",
        per * 1e6
    );

    let calls = 2_000_000u64;
    let (t_brk, _) = time(&brk0, &[&calls.to_string()], &opts, 3);
    let (t_brk_none, _) = time(&brk0, &["0"], &opts, 3);
    println!(
        "brk(0) round trip                   : {:>10.3} us",
        (t_brk.saturating_sub(t_brk_none)).as_secs_f64() / calls as f64 * 1e6
    );

    // Host memory: RSS growth across a run that touches `mib` MiB, against the guest pages touched.
    let big = Options {
        mem_bytes: 1 << 30,
        keep_events: false,
        ..Options::default()
    };
    let before = toyemu::host_rss_kib().unwrap_or(0);
    let c = toyemu::run_captured(&touch, &["64"], &big, b"").expect("guest runs");
    let after = c.report.host_rss_kib.unwrap_or(0);
    println!(
        "host memory, 1 GiB guest, 64 MiB touched: RSS grew {} KiB for {} KiB of guest pages",
        after.saturating_sub(before),
        c.report.stats.zero_fills * 4
    );

    // munmap/exit cost follows populated pages, not mapped size.
    println!(
        "exit of a 48 MiB touched mapping    : {:>10.3} ms",
        t_touch.as_secs_f64() * 1e3
    );
}
