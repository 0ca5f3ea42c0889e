//! The benchmarks, the rounds that run them and the checks on what they
//! print.

use crate::runner::{self, Runner};
use crate::table;
use crate::table::{Kind, Samples};
use std::path::{Path, PathBuf};
use toyemu::compile::{compile_c, Opt};
use toyemu::emulator::Engine;

/// One benchmark: a guest program, its arguments with and without the
/// work, and what its figure is.
pub struct Bench {
    pub name: &'static str,
    pub about: &'static str,
    program: &'static str,
    work: Vec<String>,
    /// None: the figure is the work run's whole time (startup).
    base: Option<Vec<String>>,
    /// toyemu's `--mem`, MiB, where the default 64 MiB is too small.
    mem_mib: Option<u64>,
    /// Pairs of runs per runner and round (their median is the round's
    /// figure), for figures small enough to drown in one start's jitter.
    repeat: usize,
    pub kind: Kind,
}

fn args(a: &[&str]) -> Vec<String> {
    a.iter().map(|s| s.to_string()).collect()
}

/// The suite; `quick` shrinks every size to a smoke test's.
fn benches(quick: bool) -> Vec<Bench> {
    let n = |full: u64, small: u64| if quick { small } else { full };
    let b = |name, about, program, work: Vec<String>, base: Option<&[&str]>, kind| Bench {
        name,
        about,
        program,
        work,
        base: base.map(args),
        mem_mib: None,
        repeat: 1,
        kind,
    };
    let calls = n(1_000_000, 1000);
    let sparse = n(100, 2);
    vec![
        Bench {
            repeat: 10,
            ..b(
                "startup",
                "empty static program, start to exit",
                "empty",
                vec![],
                None,
                Kind::Startup,
            )
        },
        b(
            "sieve",
            "byte sieve of Eratosthenes, 256 K",
            "sieve",
            vec![n(200, 2).to_string()],
            Some(&["0"]),
            Kind::Mips,
        ),
        b(
            "crc32",
            "bitwise CRC-32 of 64 KiB, no table",
            "crc32",
            vec![n(200, 2).to_string()],
            Some(&["0"]),
            Kind::Mips,
        ),
        b(
            "isort",
            "insertion sort of 2048 keys",
            "isort",
            vec![n(120, 2).to_string()],
            Some(&["0"]),
            Kind::Mips,
        ),
        b(
            "mix",
            "sieve + FNV hash + insertion sort",
            "mix",
            vec![n(30, 1).to_string()],
            Some(&["0"]),
            Kind::Mips,
        ),
        b(
            "fault_mmap",
            "mmap 4 MiB, touch each page, munmap; loop",
            "fault_mmap",
            vec![n(200, 2).to_string()],
            Some(&["0"]),
            Kind::Faults,
        ),
        b(
            "fault_brk",
            "brk up 4 MiB, touch each page, brk down; loop",
            "fault_brk",
            vec![n(200, 2).to_string()],
            Some(&["0"]),
            Kind::Faults,
        ),
        Bench {
            mem_mib: Some(256),
            ..b(
                "first_touch",
                "mmap 128 MiB once, touch each page (cold host memory)",
                "touch",
                args(&[if quick { "4" } else { "128" }, "1"]),
                Some(&["0", "1"]),
                Kind::Faults,
            )
        },
        b(
            "brk0",
            "brk(0) through int 0x80",
            "brk0",
            vec![calls.to_string()],
            Some(&["0"]),
            Kind::Calls(calls),
        ),
        b(
            "getpid",
            "getpid through int 0x80",
            "getpid",
            vec![calls.to_string()],
            Some(&["0"]),
            Kind::Calls(calls),
        ),
        b(
            "sparse_munmap",
            "mmap 2 GiB, touch 128 pages, munmap; loop",
            "sparse",
            args(&[&sparse.to_string(), "0"]),
            Some(&["0", "0"]),
            Kind::Rounds(sparse, "µs/round"),
        ),
        Bench {
            repeat: 10,
            ..b(
                "sparse_exit",
                "mmap 2 GiB, touch 128 pages, exit with it mapped",
                "sparse",
                args(&["0", "1"]),
                Some(&["0", "0"]),
                Kind::Rounds(1, "µs"),
            )
        },
    ]
}

/// What toyemu printed and counted for one set of arguments: the output
/// every runner must reproduce, and the operation counts.
#[derive(PartialEq)]
struct Expected {
    stdout: Vec<u8>,
    instructions: u64,
    zero_fills: u64,
}

/// One in-process run under `engine`.
fn run_in_process(program: &Path, a: &[String], mem_mib: Option<u64>, engine: Engine) -> Expected {
    let mut opts = toyemu::Options {
        keep_events: false,
        engine,
        ..toyemu::Options::default()
    };
    if let Some(m) = mem_mib {
        opts.mem_bytes = m << 20;
    }
    let refs: Vec<&str> = a.iter().map(String::as_str).collect();
    let c = toyemu::run_captured(program, &refs, &opts, b"")
        .unwrap_or_else(|e| fail(&format!("toyemu cannot run {}: {e}", program.display())));
    if c.report.status.code() != 0 {
        fail(&format!(
            "{} {} ended with {:?} under toyemu --engine {engine}",
            program.display(),
            a.join(" "),
            c.report.status
        ));
    }
    Expected {
        stdout: c.stdout,
        instructions: c.report.record.instructions,
        zero_fills: c.report.stats.zero_fills,
    }
}

/// The interpreter's output and counts, in-process; the JIT's must be the
/// same (output, instructions retired, demand-zero faults), since the one
/// count divides both engines' times.
fn expect(program: &Path, a: &[String], mem_mib: Option<u64>) -> Expected {
    let interp = run_in_process(program, a, mem_mib, Engine::Interp);
    let jit = run_in_process(program, a, mem_mib, Engine::Jit);
    if jit != interp {
        fail(&format!(
            "{} {}: the engines disagree in-process: interp printed {:?}, retired {} instructions, \
             {} demand-zero faults; jit printed {:?}, retired {}, {} faults",
            program.display(),
            a.join(" "),
            String::from_utf8_lossy(&interp.stdout),
            interp.instructions,
            interp.zero_fills,
            String::from_utf8_lossy(&jit.stdout),
            jit.instructions,
            jit.zero_fills
        ));
    }
    interp
}

fn fail(msg: &str) -> ! {
    eprintln!("suite: {msg}");
    std::process::exit(1)
}

struct Opts {
    rounds: usize,
    quick: bool,
    markdown: bool,
    raw: bool,
    cpu_time: bool,
    only: Option<Vec<String>>,
    may_install: bool,
}

fn parse_opts(smoke: bool) -> Opts {
    let mut o = Opts {
        rounds: 5,
        quick: false,
        markdown: false,
        raw: false,
        cpu_time: false,
        only: None,
        may_install: true,
    };
    let mut rounds = None;
    let mut it = std::env::args().skip(1);
    while let Some(a) = it.next() {
        match a.as_str() {
            "--bench" => {} // cargo bench passes it
            "--quick" => o.quick = true,
            "--markdown" => o.markdown = true,
            "--raw" => o.raw = true,
            "--cpu-time" => o.cpu_time = true,
            "--no-install" => o.may_install = false,
            "--rounds" => rounds = it.next().and_then(|n| n.parse().ok()).filter(|&n| n > 0),
            "--only" => o.only = it.next().map(|s| s.split(',').map(str::to_string).collect()),
            _ => fail(&format!(
                "unknown argument {a:?}; takes --quick --markdown --raw --cpu-time --rounds N --only A,B --no-install"
            )),
        }
    }
    if smoke {
        o.quick = true;
        o.may_install = false;
    }
    o.rounds = rounds.unwrap_or(if o.quick { 1 } else { 5 });
    o
}

/// Build each guest program once, into the target directory.
fn build(programs: &[&str]) -> Vec<(String, PathBuf)> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/guest");
    let out = Path::new(env!("CARGO_TARGET_TMPDIR")).join("suite-guest");
    std::fs::create_dir_all(&out).unwrap_or_else(|e| fail(&format!("{}: {e}", out.display())));
    let mut built: Vec<(String, PathBuf)> = Vec::new();
    for &p in programs {
        if built.iter().any(|(n, _)| n == p) {
            continue;
        }
        let exe = out.join(p);
        compile_c(&src.join(format!("{p}.c")), &exe, Opt::O2).unwrap_or_else(|e| fail(&e));
        built.push((p.to_string(), exe));
    }
    built
}

/// Where timed runs happen.
struct Env {
    launcher: PathBuf,
    scratch: PathBuf,
}

/// One timed run, checked against toyemu's output: a runner that prints
/// something else, or exits non-zero, is an error, not a figure.
fn run_checked(
    env: &Env,
    r: &Runner,
    b: &Bench,
    exe: &Path,
    a: &[String],
    want: &Expected,
) -> runner::Outcome {
    let o = runner::timed(&env.launcher, &r.argv(exe, a, b.mem_mib), &env.scratch)
        .unwrap_or_else(|e| fail(&format!("{}: cannot start {}: {e}", r.who.name(), b.name)));
    if o.status != 0 || o.stdout != want.stdout {
        fail(&format!(
            "{} {}: {} {} ended with {}, printing {:?} where toyemu (in-process) printed {:?}; stderr: {}",
            b.name,
            r.who.name(),
            exe.display(),
            a.join(" "),
            o.status_text(),
            String::from_utf8_lossy(&o.stdout),
            String::from_utf8_lossy(&want.stdout),
            String::from_utf8_lossy(&o.stderr).trim()
        ));
    }
    o
}

/// The rounds: every benchmark under every live runner in turn (who goes
/// first rotating), `repeat` pairs of base and work runs each, every run's
/// output checked.
fn measure(
    list: &[Bench],
    exes: &[PathBuf],
    expected: &[(Expected, Option<Expected>)],
    live: &[&Runner],
    env: &Env,
    opts: &Opts,
) -> Vec<Samples> {
    let mut samples: Vec<Samples> = list.iter().map(|_| Samples::default()).collect();
    let clock = |o: &runner::Outcome| if opts.cpu_time { o.cpu } else { o.wall };
    for round in 0..opts.rounds {
        eprintln!("suite: round {}/{}", round + 1, opts.rounds);
        for (bi, b) in list.iter().enumerate() {
            let exe = &exes[bi];
            let (want, want_base) = &expected[bi];
            for k in 0..live.len() {
                let r = live[(round + bi + k) % live.len()];
                let (mut secs, mut rss) = (Vec::new(), 0);
                for _ in 0..b.repeat {
                    let base = b.base.as_ref().map(|a| {
                        let want = want_base
                            .as_ref()
                            .expect("a base run has its expected output");
                        clock(&run_checked(env, r, b, exe, a, want))
                    });
                    let work = run_checked(env, r, b, exe, &b.work, want);
                    secs.push(clock(&work).as_secs_f64() - base.map_or(0.0, |d| d.as_secs_f64()));
                    rss = rss.max(work.maxrss_kib);
                }
                samples[bi].push(r.who, round, table::median(secs).expect("repeat >= 1"), rss);
            }
        }
    }
    samples
}

/// Run the suite and print its table; `smoke` (the `bench_smoke` test):
/// quick sizes, no qemu install, and a closing line for the test's count.
pub fn main(smoke: bool) {
    let opts = parse_opts(smoke);
    let mut list = benches(opts.quick);
    if let Some(only) = &opts.only {
        list.retain(|b| only.iter().any(|n| n == b.name));
        if list.is_empty() {
            fail("--only matched no benchmark");
        }
    }
    let mut programs: Vec<&str> = list.iter().map(|b| b.program).collect();
    programs.push("empty");
    let built = build(&programs);
    let exe_of = |p: &str| {
        built
            .iter()
            .find(|(n, _)| n == p)
            .map(|(_, e)| e.clone())
            .unwrap()
    };

    let scratch = Path::new(env!("CARGO_TARGET_TMPDIR")).join("suite-run");
    std::fs::create_dir_all(&scratch)
        .unwrap_or_else(|e| fail(&format!("{}: {e}", scratch.display())));
    let env = Env {
        launcher: runner::build_launcher(&scratch).unwrap_or_else(|e| fail(&e)),
        scratch,
    };
    let toyemu_exe = PathBuf::from(env!("CARGO_BIN_EXE_toyemu"));
    let runners = runner::discover(
        &env.launcher,
        toyemu_exe,
        &exe_of("empty"),
        &env.scratch,
        opts.may_install,
    );
    for r in &runners {
        if let Some(why) = &r.missing {
            eprintln!("suite: the {} column will say n/a: {why}", r.who.name());
        }
    }
    if let Some(r) = runners
        .iter()
        .find(|r| r.who.is_toyemu() && r.missing.is_some())
    {
        fail(&format!(
            "{} itself cannot run the empty program",
            r.who.name()
        ));
    }

    // What each program must print, and toyemu's operation counts (the
    // interpreter's, checked against the JIT's).
    eprintln!("suite: counting instructions and faults under toyemu (in-process, both engines)");
    let exes: Vec<PathBuf> = list.iter().map(|b| exe_of(b.program)).collect();
    let expected: Vec<(Expected, Option<Expected>)> = list
        .iter()
        .zip(&exes)
        .map(|(b, exe)| {
            let work = expect(exe, &b.work, b.mem_mib);
            let base = b.base.as_ref().map(|a| expect(exe, a, b.mem_mib));
            (work, base)
        })
        .collect();

    let live: Vec<&Runner> = runners.iter().filter(|r| r.missing.is_none()).collect();
    let load_before = table::load_average();
    let samples = measure(&list, &exes, &expected, &live, &env, &opts);
    let load = (load_before, table::load_average());

    let ops: Vec<f64> = list
        .iter()
        .zip(&expected)
        .map(|(b, (w, base))| {
            b.kind.operations(
                w.instructions,
                w.zero_fills,
                base.as_ref().map(|e| (e.instructions, e.zero_fills)),
            )
        })
        .collect();
    let heading = table::heading(&runners, opts.rounds, load, opts.cpu_time);
    let rows = table::rows(&list, &ops, &samples, &runners);
    if opts.markdown {
        print!("{}", table::markdown(&heading, &rows));
    } else {
        print!("{}", table::text(&heading, &rows));
    }
    if opts.raw {
        print!("{}", table::raw(&list, &ops, &samples));
    }
    if smoke {
        println!("(a smoke test: outputs agree; figures from a test build are not measurements)");
        println!("bench_smoke: 1 passed, 0 failed");
    }
}
