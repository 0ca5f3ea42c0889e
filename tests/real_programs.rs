//! Real static binaries — built against glibc and musl, and Debian's
//! busybox-static — run natively and under toyemu: stdout, stderr and the
//! exit status must be the same.
//!
//! Part of `cargo test --workspace`. The toolchains come from
//! `tests/real/setup.sh` (root: it apt-gets glibc's i386 multilib packages
//! and unpacks Debian's i386 musl and busybox-static under `target/`);
//! `.ci/run` runs it first. A failure says where the two runs part (the
//! first differing line), what toyemu printed on stderr, which syscalls it
//! answered with ENOSYS, and the last lines of its syscall trace.
//!
//! ```text
//! sudo bash tests/real/setup.sh            # the toolchains (once)
//! cargo test --test real_programs          # every test
//! cargo test --test real_programs -- musl  # the musl ones
//! ```
//!
//! Tests (libtest-mimic, one trial each):
//! - `glibc::NAME-O0`, `glibc::NAME-O2`, `musl::NAME-O0`, `musl::NAME-O2`
//!   for each `tests/real/NAME.c`, built by `tests/real/build.sh`;
//! - `busybox::NAME` for each run of `tests/real/busybox.cases`;
//! - `control::userland_hello`: the project's own `userland/hello` through
//!   the same comparison; `control::ulp_comparison`: the 1-ulp allowance
//!   of [`X87_ULP_PROGRAMS`] accepts what it should and nothing more.
//!
//! Every C program gets argv[1] = an empty scratch directory (one for the
//! native run, another for toyemu's, which gets `--rw` on it) and argv[2] = `tests/real/data/words.txt`, the
//! environment `TOYEMU_REAL_GREETING=hello from the harness` and nothing
//! else, empty stdin, and the repository root as working directory. Native
//! runs use `setarch i686 -R` (no address randomisation, uname says i686).
//!
//! A missing toolchain makes the tests that need it fail with the command
//! to run; `TOYEMU_SKIP_REAL=1` reports them as ignored instead.

mod common;

use common::real::{build, toolchain, work_dir, Libc, SETUP};

use libtest_mimic::{Arguments, Failed, Trial};
use std::collections::BTreeSet;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

const GREETING: (&str, &str) = ("TOYEMU_REAL_GREETING", "hello from the harness");
const DATA_FILE: &str = "tests/real/data/words.txt";
/// Wall-clock limit for one run, native or emulated. The longest case
/// (glibc's malloc_stress at -O0, 3.6 billion instructions) takes about
/// 90 s under the test profile (opt-level 1) with both cores busy, so the
/// limit leaves room for a loaded machine rather than measuring speed.
const TIMEOUT_SECS: u32 = 300;

fn root() -> PathBuf {
    common::root()
}

fn toolchains_dir() -> PathBuf {
    std::env::var_os("TOYEMU_REAL_TOOLCHAINS")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target/real-toolchains"))
}

fn busybox_path() -> PathBuf {
    toolchains_dir().join("busybox-i386/bin/busybox")
}

fn busybox_available() -> Result<(), String> {
    let bb = busybox_path();
    if bb.is_file() {
        Ok(())
    } else {
        Err(format!(
            "busybox-static (i386) is not at {}; run `{SETUP}`",
            bb.display()
        ))
    }
}

/// One run to compare: the program, its arguments, environment and stdin.
struct Case {
    exe: PathBuf,
    args: Vec<String>,
    env: Vec<(String, String)>,
    stdin: Option<PathBuf>,
    /// Scratch directory of each run (argv[1] of the C programs).
    scratch: Option<(PathBuf, PathBuf)>,
    /// Where toyemu's syscall trace goes.
    trace: PathBuf,
    /// Lines `NAME INPUT = RESULT` whose `%La` results may differ by 1 ulp
    /// (the x87 transcendental instructions; see [`X87_ULP_PROGRAMS`]).
    ulp_lines: bool,
    /// Run the native side under `strace -o` this file.
    strace_to: Option<PathBuf>,
}

/// Programs whose results come from single x87 transcendental
/// instructions. Intel documents them as within 1 ulp, not correctly
/// rounded, and vendors differ in the last bit; toyemu rounds correctly.
/// Their lines are compared allowing that one ulp, and the test says how
/// many needed it. Everything else of theirs must match exactly.
const X87_ULP_PROGRAMS: &[&str] = &["float_x87_transcendental"];

/// What a run left behind.
struct Ran {
    stdout: Vec<u8>,
    stderr: Vec<u8>,
    /// Exit code, or 128 + signal.
    status: i32,
}

fn status_of(o: &Output) -> i32 {
    match (o.status.code(), o.status.signal()) {
        (Some(c), _) => c,
        (None, Some(s)) => 128 + s,
        _ => -1,
    }
}

fn stdin_of(case: &Case) -> Result<Stdio, String> {
    match &case.stdin {
        None => Ok(Stdio::null()),
        Some(f) => std::fs::File::open(root().join(f))
            .map(Stdio::from)
            .map_err(|e| format!("cannot open stdin file {}: {e}", f.display())),
    }
}

/// A fresh, empty directory.
fn fresh_dir(d: &Path) -> Result<(), String> {
    let _ = std::fs::remove_dir_all(d);
    std::fs::create_dir_all(d).map_err(|e| format!("cannot make {}: {e}", d.display()))
}

fn args_with(case: &Case, scratch: Option<&PathBuf>) -> Vec<String> {
    let mut a = Vec::new();
    if let Some(d) = scratch {
        a.push(d.display().to_string());
    }
    a.extend(case.args.iter().cloned());
    a
}

fn run_native(case: &Case) -> Result<Ran, String> {
    let scratch = case.scratch.as_ref().map(|s| &s.0);
    if let Some(d) = scratch {
        fresh_dir(d)?;
    }
    let mut cmd = Command::new("timeout");
    cmd.arg(TIMEOUT_SECS.to_string())
        .args(["setarch", "i686", "-R"]);
    if let Some(f) = &case.strace_to {
        cmd.args(["strace", "-qq", "-o"]).arg(f);
    }
    let o = cmd
        .arg(&case.exe)
        .args(args_with(case, scratch))
        .env_clear()
        .envs(case.env.iter().map(|(k, v)| (k, v)))
        .current_dir(root())
        .stdin(stdin_of(case)?)
        .output()
        .map_err(|e| format!("cannot run timeout/setarch: {e}"))?;
    Ok(Ran {
        status: status_of(&o),
        stdout: o.stdout,
        stderr: o.stderr,
    })
}

/// The command line of the toyemu run (also printed for a rerun by hand).
fn toyemu_command(case: &Case, trace: &Path, engine: &[&str]) -> Vec<String> {
    let scratch = case.scratch.as_ref().map(|s| &s.1);
    let mut c = vec!["run".to_string()];
    c.extend(engine.iter().map(|a| a.to_string()));
    c.extend([
        "--timeout".into(),
        TIMEOUT_SECS.to_string(),
        "--trace".into(),
        "syscall".into(),
        "-o".into(),
        trace.display().to_string(),
    ]);
    for (k, v) in &case.env {
        c.push("--env".into());
        c.push(format!("{k}={v}"));
    }
    if let Some(d) = scratch {
        c.push("--rw".into());
        c.push(d.display().to_string());
    }
    c.push(case.exe.display().to_string());
    c.extend(args_with(case, scratch));
    c
}

fn run_toyemu(case: &Case, trace: &Path, engine: &[&str]) -> Result<Ran, String> {
    if let Some((_, d)) = &case.scratch {
        fresh_dir(d)?;
    }
    let o = Command::new(env!("CARGO_BIN_EXE_toyemu"))
        .args(toyemu_command(case, trace, engine))
        .env_clear()
        .current_dir(root())
        .stdin(stdin_of(case)?)
        .output()
        .map_err(|e| format!("cannot run toyemu: {e}"))?;
    Ok(Ran {
        status: status_of(&o),
        stdout: o.stdout,
        stderr: o.stderr,
    })
}

/// toyemu's stderr is the guest's plus, at the end, its own lines
/// (`toyemu: PROGRAM killed by ...`): split them.
fn split_toyemu_stderr(err: &[u8]) -> (&[u8], &[u8]) {
    let s = err;
    let mut cut = s.len();
    loop {
        // the start of the last line before `cut`
        let body = &s[..cut];
        let body = body.strip_suffix(b"\n").unwrap_or(body);
        let start = body.iter().rposition(|&b| b == b'\n').map_or(0, |i| i + 1);
        if body[start..].starts_with(b"toyemu: ") && start < cut {
            cut = start;
        } else {
            break;
        }
    }
    (&s[..cut], &s[cut..])
}

fn lines(b: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(b)
        .split_inclusive('\n')
        .map(|l| l.to_string())
        .collect()
}

/// None when equal, else where the two outputs part: line number and both lines.
fn first_difference(what: &str, native: &[u8], emu: &[u8]) -> Option<String> {
    if native == emu {
        return None;
    }
    let (a, b) = (lines(native), lines(emu));
    let i = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let show = |v: &Vec<String>| match v.get(i) {
        Some(l) => format!("{:?}", truncate(l, 200)),
        None => "(end of output)".to_string(),
    };
    Some(format!(
        "  {what}: native {} bytes / {} lines, toyemu {} bytes / {} lines; first difference on line {}:\n    native: {}\n    toyemu: {}\n",
        native.len(),
        a.len(),
        emu.len(),
        b.len(),
        i + 1,
        show(&a),
        show(&b)
    ))
}

/// Compare two outputs of `NAME INPUT = RESULT` lines, allowing RESULT (a
/// `%La` long double) to differ by one unit in the last place: Ok(how many
/// lines did), or the first line that differs by more, or otherwise.
fn ulp_difference(native: &[u8], emu: &[u8]) -> Result<usize, String> {
    let (a, b) = (lines(native), lines(emu));
    if a.len() != b.len() {
        return Err(first_difference("stdout", native, emu).unwrap_or_default());
    }
    let mut near = 0;
    for (i, (x, y)) in a.iter().zip(&b).enumerate() {
        if x == y {
            continue;
        }
        let close = match (x.rsplit_once(" = "), y.rsplit_once(" = ")) {
            (Some((px, rx)), Some((py, ry))) if px == py => {
                match (parse_hex_ld(rx.trim()), parse_hex_ld(ry.trim())) {
                    (Some(u), Some(v)) => ulps_apart(u, v) <= 1,
                    _ => false,
                }
            }
            _ => false,
        };
        if !close {
            return Err(format!(
                "  stdout: line {} differs by more than 1 ulp:\n    native: {:?}\n    toyemu: {:?}\n",
                i + 1,
                x,
                y
            ));
        }
        near += 1;
    }
    Ok(near)
}

/// A finite, nonzero `%La` value as (negative, 64-bit significand with its
/// top bit set, exponent of that bit). glibc writes `0x8.c9f5...p-3`, musl
/// `0x1.193e...p+0`; both are exact.
fn parse_hex_ld(s: &str) -> Option<(bool, u64, i32)> {
    let (neg, s) = match s.strip_prefix('-') {
        Some(r) => (true, r),
        None => (false, s),
    };
    let (digits, exp) = s.strip_prefix("0x")?.split_once('p')?;
    let exp: i32 = exp.parse().ok()?;
    let (int, frac) = digits.split_once('.').unwrap_or((digits, ""));
    let all = format!("{int}{frac}");
    if all.len() > 30 {
        return None;
    }
    let m = u128::from_str_radix(&all, 16).ok()?;
    if m == 0 {
        return None;
    }
    // value = m * 2^(exp - 4 * frac digits); move the top bit to bit 63.
    let top = 127 - m.leading_zeros() as i32;
    let e = exp - 4 * frac.len() as i32 + top;
    let sig = if top >= 63 {
        let drop = top - 63;
        if m & ((1u128 << drop) - 1) != 0 {
            return None; // more bits than a long double has
        }
        (m >> drop) as u64
    } else {
        (m << (63 - top)) as u64
    };
    Some((neg, sig, e))
}

/// How many units in the last place of the larger apart two values are
/// (u64::MAX for different signs or binades further than one apart).
fn ulps_apart(a: (bool, u64, i32), b: (bool, u64, i32)) -> u64 {
    if a.0 != b.0 || (a.2 - b.2).abs() > 1 {
        return u64::MAX;
    }
    let (hi, lo) = if a.2 >= b.2 { (a, b) } else { (b, a) };
    // In the smaller value's units; one ulp of the larger is 2^(shift) of them.
    let shift = (hi.2 - lo.2) as u32;
    let d = ((hi.1 as u128) << shift).abs_diff(lo.1 as u128);
    (d >> shift) as u64 + u64::from(d & ((1 << shift) - 1) != 0)
}

fn truncate(s: &str, n: usize) -> String {
    if s.chars().count() <= n {
        s.to_string()
    } else {
        format!("{}...", s.chars().take(n).collect::<String>())
    }
}

/// The syscalls the trace shows answered with ENOSYS, by name.
fn enosys_calls(trace: &str) -> BTreeSet<String> {
    trace
        .lines()
        .filter(|l| l.contains("= -1 ENOSYS"))
        .filter_map(|l| {
            let name = l.split('(').next()?;
            Some(if name == "syscall" {
                // toyemu has no name for it: syscall(0xNN, ...)
                let nr = l[8..].split([',', ')']).next().unwrap_or("?");
                let named = u32::from_str_radix(nr.trim_start_matches("0x"), 16)
                    .ok()
                    .and_then(|n| syscall_names().get(&n));
                match named {
                    Some(n) => format!("{n} (syscall {nr})"),
                    None => format!("syscall {nr}"),
                }
            } else {
                name.to_string()
            })
        })
        .collect()
}

/// i386 syscall numbers to names, from the kernel headers if installed.
fn syscall_names() -> &'static std::collections::HashMap<u32, String> {
    static NAMES: OnceLock<std::collections::HashMap<u32, String>> = OnceLock::new();
    NAMES.get_or_init(|| {
        let text = [
            "/usr/include/x86_64-linux-gnu/asm/unistd_32.h",
            "/usr/include/i386-linux-gnu/asm/unistd_32.h",
            "/usr/include/asm/unistd_32.h",
        ]
        .iter()
        .find_map(|p| std::fs::read_to_string(p).ok())
        .unwrap_or_default();
        text.lines()
            .filter_map(|l| {
                let mut w = l.split_whitespace();
                let (def, name, nr) = (w.next()?, w.next()?, w.next()?);
                (def == "#define").then_some(())?;
                Some((nr.parse().ok()?, name.strip_prefix("__NR_")?.to_string()))
            })
            .collect()
    })
}

/// The instruction at the `eip 0x...` toyemu named, disassembled by objdump.
fn faulting_insn(exe: &Path, said: &str) -> Option<String> {
    let at = said.find("eip 0x")? + 6;
    let hex: String = said[at..]
        .chars()
        .take_while(|c| c.is_ascii_hexdigit())
        .collect();
    let eip = u32::from_str_radix(&hex, 16).ok()?;
    let o = Command::new("objdump")
        .args(["-d", "--no-show-raw-insn"])
        .arg(format!("--start-address={eip:#x}"))
        .arg(format!("--stop-address={:#x}", eip + 16))
        .arg(exe)
        .output()
        .ok()?;
    let text = String::from_utf8_lossy(&o.stdout);
    let line = text
        .lines()
        .find(|l| l.trim_start().starts_with(&format!("{eip:x}:")))?;
    let symbol = text
        .lines()
        .find_map(|l| {
            l.trim_end()
                .strip_suffix(">:")?
                .split_once(" <")
                .map(|(_, s)| s)
        })
        .map(|s| format!(" <{s}>"))
        .unwrap_or_default();
    Some(format!(
        "{eip:#010x}{symbol}: {}",
        line.split_once(':')?.1.trim()
    ))
}

fn tail(lines: &[&str], n: usize) -> String {
    let from = lines.len().saturating_sub(n);
    lines[from..]
        .iter()
        .map(|l| format!("  {}\n", truncate(l, 240)))
        .collect()
}

/// Run `case` both ways and compare.
fn compare(label: &str, case: &Case) -> Result<(), Failed> {
    let native = run_native(case)?;
    let trace = &case.trace;
    let emu = run_toyemu(case, trace, &[])?;
    let (guest_err, own_err) = split_toyemu_stderr(&emu.stderr);
    let mut diffs = String::new();
    if native.status != emu.status {
        diffs += &format!(
            "  exit status: native {}, toyemu {}\n",
            native.status, emu.status
        );
    }
    if case.ulp_lines {
        match ulp_difference(&native.stdout, &emu.stdout) {
            Ok(0) => {}
            Ok(n) => eprintln!(
                "{label}: {n} of {} lines differ from the host's by 1 ulp (allowed here)",
                lines(&native.stdout).len()
            ),
            Err(d) => diffs += &d,
        }
    } else if let Some(d) = first_difference("stdout", &native.stdout, &emu.stdout) {
        diffs += &d;
    }
    if let Some(d) = first_difference("stderr", &native.stderr, guest_err) {
        diffs += &d;
    }
    if diffs.is_empty() {
        return same_under_the_jit(label, case, &emu);
    }
    let mut msg = format!("{label}: toyemu differs from the native run\n{diffs}");
    let err_text = String::from_utf8_lossy(&emu.stderr);
    let err_lines: Vec<&str> = err_text.lines().collect();
    if !err_lines.is_empty() {
        msg += &format!(
            "toyemu's stderr (last {} of {} lines):\n{}",
            err_lines.len().min(15),
            err_lines.len(),
            tail(&err_lines, 15)
        );
    }
    if !own_err.is_empty() {
        if let Some(insn) = faulting_insn(&case.exe, &String::from_utf8_lossy(own_err)) {
            msg += &format!("the instruction there (objdump): {insn}\n");
        }
    }
    let trace_text = std::fs::read_to_string(trace).unwrap_or_default();
    let missing = enosys_calls(&trace_text);
    if !missing.is_empty() {
        msg += &format!(
            "answered ENOSYS: {}\n",
            missing.into_iter().collect::<Vec<_>>().join(", ")
        );
    }
    let trace_lines: Vec<&str> = trace_text.lines().collect();
    msg += &format!(
        "last {} of {} syscall-trace lines ({}):\n{}",
        trace_lines.len().min(12),
        trace_lines.len(),
        trace.display(),
        tail(&trace_lines, 12)
    );
    msg += &format!(
        "rerun: cd {} && {} {}\n",
        root().display(),
        env!("CARGO_BIN_EXE_toyemu"),
        toyemu_command(case, trace, &[])
            .iter()
            .map(|a| shell_quote(a))
            .collect::<Vec<_>>()
            .join(" ")
    );
    Err(msg.into())
}

/// The same program under the JIT, translating every block the second
/// time it runs: the same status, output and syscall trace as the
/// interpreter's run (`emu`).
fn same_under_the_jit(label: &str, case: &Case, emu: &Ran) -> Result<(), Failed> {
    let trace = case.trace.with_extension("jit");
    let jit = run_toyemu(case, &trace, &["--engine", "jit", "--jit-hot", "1"])?;
    let mut diffs = String::new();
    if jit.status != emu.status {
        diffs += &format!(
            "  exit status: interpreter {}, JIT {}\n",
            emu.status, jit.status
        );
    }
    for (what, a, b) in [
        ("stdout", &emu.stdout, &jit.stdout),
        ("stderr", &emu.stderr, &jit.stderr),
    ] {
        if let Some(d) = first_difference(what, a, b) {
            diffs += &d;
        }
    }
    // The host's clock moves between the two runs.
    let clock = regex::Regex::new(r"(tv_[a-z]+=|^time\(.*\) = )\d+").unwrap();
    let read = |p: &Path| {
        let t = std::fs::read_to_string(p).unwrap_or_default();
        t.lines()
            .map(|l| clock.replace_all(l, "${1}N").into_owned() + "\n")
            .collect::<String>()
    };
    let (t0, t1) = (read(&case.trace), read(&trace));
    if let Some(d) = first_difference("syscall trace", t0.as_bytes(), t1.as_bytes()) {
        diffs += &d;
    }
    match diffs.is_empty() {
        true => Ok(()),
        false => {
            Err(format!("{label}: the JIT's run differs from the interpreter's\n{diffs}").into())
        }
    }
}

fn shell_quote(s: &str) -> String {
    if !s.is_empty()
        && s.chars()
            .all(|c| c.is_ascii_alphanumeric() || "-_./=,:+%".contains(c))
    {
        s.to_string()
    } else {
        format!("'{}'", s.replace('\'', r"'\''"))
    }
}

/// The C programs of tests/real/, by stem.
fn programs() -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(root().join("tests/real"))
        .expect("tests/real exists")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.extension().is_some_and(|e| e == "c"))
        .map(|p| p.file_stem().unwrap().to_string_lossy().into_owned())
        .collect();
    v.sort();
    v
}

fn c_program(libc: Libc, stem: &str, opt: &str) -> Result<(), Failed> {
    let case = c_case(libc, stem, opt)?;
    compare(&format!("{} {stem} {opt}", libc.name()), &case)
}

/// Programs whose syscalls are compared with the native run's strace.
const TRACED: &[&str] = &["empty_main", "posix_io", "signals_basic", "stdio_files"];

/// The syscall names of a trace, in order: strace's (`-o`) or toyemu's,
/// without the execve strace starts with and the exit summary.
fn call_names(trace: &str) -> Vec<String> {
    trace
        .lines()
        .filter(|l| !l.starts_with("+++") && !l.starts_with("execve("))
        .map(|l| match l.split_once('(') {
            Some((name, _)) if !l.starts_with("---") => name.to_string(),
            _ => l.split_whitespace().take(2).collect::<Vec<_>>().join(" "),
        })
        .collect()
}

/// The program's calls, one by one, are the native run's: the same names in
/// the same order (strace on the native side), with the same output.
fn traced_program(libc: Libc, stem: &str) -> Result<(), Failed> {
    let ok = Command::new("strace")
        .arg("-V")
        .output()
        .is_ok_and(|o| o.status.success());
    if !ok {
        return Err("strace is not installed (apt-get install strace; .ci/run does it)".into());
    }
    let mut case = c_case(libc, stem, "-O2")?;
    let native_trace = case.trace.with_extension("strace");
    case.strace_to = Some(native_trace.clone());
    compare(&format!("{} {stem} -O2 under strace", libc.name()), &case)?;
    let read = |f: &Path| std::fs::read_to_string(f).map_err(|e| format!("{}: {e}", f.display()));
    let (native, emu) = (read(&native_trace)?, read(&case.trace)?);
    let (a, b) = (call_names(&native), call_names(&emu));
    if a == b {
        return Ok(());
    }
    let i = a.iter().zip(&b).take_while(|(x, y)| x == y).count();
    let line = |t: &str, v: &[String]| {
        v.get(i).map_or("(end)".to_string(), |_| {
            t.lines()
                .filter(|l| !l.starts_with("+++") && !l.starts_with("execve("))
                .nth(i)
                .unwrap_or("")
                .to_string()
        })
    };
    Err(format!(
        "call {} differs ({} native calls, {} under toyemu):\n  strace: {}\n  toyemu: {}\ntraces: {} {}",
        i + 1,
        a.len(),
        b.len(),
        line(&native, &a),
        line(&emu, &b),
        native_trace.display(),
        case.trace.display()
    )
    .into())
}

/// `--report` on a real libc's program: maps with the file's name and
/// offsets, the TLS segment in %gs, and a heap it says it cannot walk.
fn report(libc: Libc) -> Result<(), Failed> {
    let case = c_case(libc, "malloc_stress", "-O2")?;
    let out = Command::new(env!("CARGO_BIN_EXE_toyemu"))
        .args(["run", "--report"])
        .arg(&case.exe)
        .args(["/nonexistent", DATA_FILE])
        .current_dir(root())
        .output()
        .map_err(|e| e.to_string())?;
    let text = String::from_utf8_lossy(&out.stderr);
    let exe = case.exe.display().to_string();
    let wanted = [
        // the text segment, file-backed at its offset in the file
        (" r-xp 00001000 ", "the text segment's maps line"),
        (
            "GDT entry 6 (selector 0x0033, in %gs): base 0x",
            "the TLS segment",
        ),
        (
            "heap: not linked with the toyemu libc, no heap to walk",
            "the heap walk's refusal",
        ),
        (": 0 frames leaked", "every frame back"),
    ];
    let missing: Vec<&str> = wanted
        .iter()
        .filter(|(needle, _)| !text.contains(needle))
        .map(|(_, what)| *what)
        .collect();
    let named = text
        .lines()
        .any(|l| l.contains(" r-xp 00001000 ") && l.contains(&exe));
    if missing.is_empty() && named {
        Ok(())
    } else {
        Err(
            format!("--report of {exe} lacks {missing:?} (text named by file: {named}):\n{text}")
                .into(),
        )
    }
}

fn c_case(libc: Libc, stem: &str, opt: &str) -> Result<Case, Failed> {
    toolchain(libc).clone()?;
    common::native_i386_works()
        .map_err(|why| format!("this host cannot run i386 executables natively: {why}"))?;
    let name = format!("{stem}{opt}");
    let dir = work_dir().join(libc.name());
    let exe = dir.join(&name);
    build(
        libc,
        opt,
        &root().join(format!("tests/real/{stem}.c")),
        &exe,
    )?;
    let scratch = work_dir()
        .join("scratch")
        .join(format!("{}-{name}", libc.name()));
    let case = Case {
        exe,
        args: vec![DATA_FILE.to_string()],
        env: vec![(GREETING.0.to_string(), GREETING.1.to_string())],
        stdin: None,
        // equal lengths, in case a program prints strlen(argv[1])
        scratch: Some((scratch.join("native"), scratch.join("toyemu"))),
        trace: dir.join(format!("{name}.trace")),
        ulp_lines: X87_ULP_PROGRAMS.contains(&stem),
        strace_to: None,
    };
    Ok(case)
}

/// One `[name]` block of tests/real/busybox.cases.
struct BusyboxCase {
    name: String,
    args: Vec<String>,
    stdin: Option<PathBuf>,
}

fn busybox_cases() -> Vec<BusyboxCase> {
    let text = std::fs::read_to_string(root().join("tests/real/busybox.cases"))
        .expect("tests/real/busybox.cases exists");
    parse_cases(&text)
}

fn parse_cases(text: &str) -> Vec<BusyboxCase> {
    let mut out: Vec<BusyboxCase> = Vec::new();
    for (n, line) in text.lines().enumerate() {
        if line.starts_with('#') || line.trim().is_empty() {
            continue;
        }
        if let Some(name) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            out.push(BusyboxCase {
                name: name.to_string(),
                args: Vec::new(),
                stdin: None,
            });
            continue;
        }
        let cur = out
            .last_mut()
            .unwrap_or_else(|| panic!("busybox.cases:{}: a line before any [name]", n + 1));
        if let Some(a) = line.strip_prefix("arg = ") {
            cur.args.push(a.to_string());
        } else if let Some(f) = line.strip_prefix("stdin = ") {
            cur.stdin = Some(PathBuf::from(f));
        } else {
            panic!("busybox.cases:{}: cannot read {line:?}", n + 1);
        }
    }
    out
}

fn busybox(c: &BusyboxCase) -> Result<(), Failed> {
    busybox_available()?;
    common::native_i386_works()
        .map_err(|why| format!("this host cannot run i386 executables natively: {why}"))?;
    let dir = work_dir().join("busybox");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let case = Case {
        exe: busybox_path(),
        args: c.args.clone(),
        env: Vec::new(),
        stdin: c.stdin.clone(),
        scratch: None,
        trace: dir.join(format!("{}.trace", c.name)),
        ulp_lines: false,
        strace_to: None,
    };
    compare(&format!("busybox {}", c.name), &case)
}

/// The control: a program of the project's own libc, which toyemu runs
/// today, through the same comparison, so a harness that cannot pass
/// shows up.
fn control() -> Result<(), Failed> {
    common::native_i386_works()
        .map_err(|why| format!("this host cannot run i386 executables natively: {why}"))?;
    let dir = work_dir().join("control");
    std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
    let case = Case {
        exe: common::userland("hello"),
        args: vec!["alpha".into(), "beta gamma".into()],
        env: vec![(GREETING.0.to_string(), GREETING.1.to_string())],
        stdin: Some(PathBuf::from(DATA_FILE)),
        scratch: None,
        trace: dir.join("hello.trace"),
        ulp_lines: false,
        strace_to: None,
    };
    compare("control userland/hello", &case)
}

/// The 1-ulp comparison itself: glibc's and musl's spellings of one value
/// agree, logl(3) as an AMD host and toyemu print it is 1 ulp, two ulps or
/// another input is not.
fn ulp_comparison() -> Result<(), Failed> {
    let glibc = parse_hex_ld("0x8.c9f53d5681854bcp-3");
    let musl = parse_hex_ld("0x1.193ea7aad030a978p+0");
    if glibc.is_none() || glibc != musl {
        return Err(format!("{glibc:x?} != {musl:x?}").into());
    }
    let ok = ulp_difference(
        b"logl 0x3p+0 = 0x8.c9f53d5681854bcp-3\n",
        b"logl 0x3p+0 = 0x8.c9f53d5681854bbp-3\n",
    );
    let two = ulp_difference(
        b"logl 0x3p+0 = 0x8.c9f53d5681854bdp-3\n",
        b"logl 0x3p+0 = 0x8.c9f53d5681854bbp-3\n",
    );
    let input = ulp_difference(b"logl 0x3p+0 = 0x1p+0\n", b"logl 0x4p+0 = 0x1p+0\n");
    // Across a binade: 0x1.0p+0 and the largest value below it.
    let edge = ulps_apart(
        parse_hex_ld("0x8p-3").unwrap(),
        parse_hex_ld("0xf.fffffffffffffffp-4").unwrap(),
    );
    match (ok, two.is_err(), input.is_err(), edge) {
        (Ok(1), true, true, 1) => Ok(()),
        other => Err(format!("{other:?}").into()),
    }
}

fn main() {
    let args = Arguments::from_args();
    let skip = std::env::var_os("TOYEMU_SKIP_REAL").is_some_and(|v| v == "1");
    let native = common::native_i386_works();
    let reasons = [
        (Libc::Glibc.name(), toolchain(Libc::Glibc).clone()),
        (Libc::Musl.name(), toolchain(Libc::Musl).clone()),
        ("busybox", busybox_available()),
        ("native", native.clone()),
    ];
    for (what, r) in &reasons {
        if let Err(why) = r {
            eprintln!("real programs: {what}: {why}");
        }
    }
    if skip {
        eprintln!("real programs: TOYEMU_SKIP_REAL=1: tests whose toolchain is missing are reported as ignored");
    }
    let missing = |what: &str| {
        skip && reasons
            .iter()
            .any(|(w, r)| (*w == what || *w == "native") && r.is_err())
    };
    let mut trials = vec![
        Trial::test("control::userland_hello", control),
        Trial::test("control::ulp_comparison", ulp_comparison),
    ];
    for libc in [Libc::Glibc, Libc::Musl] {
        for stem in programs() {
            for opt in ["-O0", "-O2"] {
                let s = stem.clone();
                trials.push(
                    Trial::test(format!("{}::{stem}{opt}", libc.name()), move || {
                        c_program(libc, &s, opt)
                    })
                    .with_ignored_flag(missing(libc.name())),
                );
            }
        }
    }
    for libc in [Libc::Glibc, Libc::Musl] {
        for stem in TRACED {
            trials.push(
                Trial::test(format!("trace::{}::{stem}", libc.name()), move || {
                    traced_program(libc, stem)
                })
                .with_ignored_flag(missing(libc.name())),
            );
        }
    }
    for libc in [Libc::Glibc, Libc::Musl] {
        trials.push(
            Trial::test(format!("report::{}", libc.name()), move || report(libc))
                .with_ignored_flag(missing(libc.name())),
        );
    }
    for c in busybox_cases() {
        let name = format!("busybox::{}", c.name);
        trials.push(Trial::test(name, move || busybox(&c)).with_ignored_flag(missing("busybox")));
    }
    libtest_mimic::run(&args, trials).exit();
}
