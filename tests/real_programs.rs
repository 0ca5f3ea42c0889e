//! Real static binaries — built against glibc and musl, and Debian's
//! busybox-static — run natively and under toyemu: stdout, stderr and the
//! exit status must be the same.
//!
//! This is the test ground of issue 9 (running unmodified static binaries).
//! Most of it fails today, by design: each failure says where the two runs
//! part (the first differing line), what toyemu printed on stderr, which
//! syscalls it answered with ENOSYS, and the last lines of its syscall trace.
//!
//! Not part of `cargo test --workspace`: the target has `test = false` in
//! Cargo.toml, so it runs only when asked for:
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
//!   the same comparison, which passes today (the harness can pass).
//!
//! Every C program gets argv[1] = an empty scratch directory (one for the
//! native run, another for toyemu's; toyemu gets `--rw` on it once its CLI
//! has that option) and argv[2] = `tests/real/data/words.txt`, the
//! environment `TOYEMU_REAL_GREETING=hello from the harness` and nothing
//! else, empty stdin, and the repository root as working directory. Native
//! runs use `setarch i686 -R` (no address randomisation, uname says i686).
//!
//! A missing toolchain makes the tests that need it fail with the command
//! to run; `TOYEMU_SKIP_REAL=1` reports them as ignored instead.

mod common;

use libtest_mimic::{Arguments, Failed, Trial};
use std::collections::BTreeSet;
use std::os::unix::process::ExitStatusExt;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::sync::OnceLock;

const GREETING: (&str, &str) = ("TOYEMU_REAL_GREETING", "hello from the harness");
const DATA_FILE: &str = "tests/real/data/words.txt";
/// Wall-clock limit for one run, native or emulated.
const TIMEOUT_SECS: u32 = 120;
const SETUP: &str = "sudo bash tests/real/setup.sh";

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

fn work_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("real")
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Libc {
    Glibc,
    Musl,
}

impl Libc {
    fn name(self) -> &'static str {
        match self {
            Libc::Glibc => "glibc",
            Libc::Musl => "musl",
        }
    }
}

/// Build `src` with `tests/real/build.sh`; the executable is renamed into
/// place, so a parallel test never runs a half-written file.
fn build(libc: Libc, opt: &str, src: &Path, out: &Path) -> Result<(), String> {
    std::fs::create_dir_all(out.parent().unwrap()).map_err(|e| e.to_string())?;
    let tmp = out.with_extension(format!("tmp{}", std::process::id()));
    let o = Command::new("bash")
        .arg(root().join("tests/real/build.sh"))
        .args([libc.name(), opt])
        .arg(src)
        .arg(&tmp)
        .output()
        .map_err(|e| format!("cannot run tests/real/build.sh: {e}"))?;
    if !o.status.success() {
        return Err(format!(
            "tests/real/build.sh {} {opt} {} failed ({}):\n{}",
            libc.name(),
            src.display(),
            o.status,
            String::from_utf8_lossy(&o.stderr).trim_end()
        ));
    }
    std::fs::rename(&tmp, out).map_err(|e| e.to_string())
}

/// Can `libc` build a static i386 program that runs natively? Checked once.
fn toolchain(libc: Libc) -> &'static Result<(), String> {
    static GLIBC: OnceLock<Result<(), String>> = OnceLock::new();
    static MUSL: OnceLock<Result<(), String>> = OnceLock::new();
    let cell = if libc == Libc::Glibc { &GLIBC } else { &MUSL };
    cell.get_or_init(|| {
        let dir = work_dir().join("probe");
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let src = dir.join("probe.c");
        std::fs::write(
            &src,
            "#include <stdio.h>\nint main(void) { printf(\"probe\\n\"); return 0; }\n",
        )
        .map_err(|e| e.to_string())?;
        let exe = dir.join(format!("probe-{}", libc.name()));
        build(libc, "-O0", &src, &exe).map_err(|e| {
            format!(
                "the {} i386 toolchain is missing or broken ({e}); run `{SETUP}`",
                libc.name()
            )
        })?;
        Ok(())
    })
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

/// Does this toyemu's CLI take `--rw DIR` (write access under DIR)?
fn toyemu_has_rw() -> bool {
    static HAS: OnceLock<bool> = OnceLock::new();
    *HAS.get_or_init(|| {
        Command::new(env!("CARGO_BIN_EXE_toyemu"))
            .args(["run", "--help"])
            .output()
            .map(|o| String::from_utf8_lossy(&o.stdout).contains("--rw"))
            .unwrap_or(false)
    })
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
}

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
    let o = Command::new("timeout")
        .arg(TIMEOUT_SECS.to_string())
        .args(["setarch", "i686", "-R"])
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
fn toyemu_command(case: &Case, trace: &Path) -> Vec<String> {
    let scratch = case.scratch.as_ref().map(|s| &s.1);
    let mut c = vec![
        "run".to_string(),
        "--timeout".into(),
        TIMEOUT_SECS.to_string(),
        "--trace".into(),
        "syscall".into(),
        "-o".into(),
        trace.display().to_string(),
    ];
    for (k, v) in &case.env {
        c.push("--env".into());
        c.push(format!("{k}={v}"));
    }
    if let (Some(d), true) = (scratch, toyemu_has_rw()) {
        c.push("--rw".into());
        c.push(d.display().to_string());
    }
    c.push(case.exe.display().to_string());
    c.extend(args_with(case, scratch));
    c
}

fn run_toyemu(case: &Case, trace: &Path) -> Result<Ran, String> {
    if let Some((_, d)) = &case.scratch {
        fresh_dir(d)?;
    }
    let o = Command::new(env!("CARGO_BIN_EXE_toyemu"))
        .args(toyemu_command(case, trace))
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
    let emu = run_toyemu(case, trace)?;
    let (guest_err, own_err) = split_toyemu_stderr(&emu.stderr);
    let mut diffs = String::new();
    if native.status != emu.status {
        diffs += &format!(
            "  exit status: native {}, toyemu {}\n",
            native.status, emu.status
        );
    }
    if let Some(d) = first_difference("stdout", &native.stdout, &emu.stdout) {
        diffs += &d;
    }
    if let Some(d) = first_difference("stderr", &native.stderr, guest_err) {
        diffs += &d;
    }
    if diffs.is_empty() {
        return Ok(());
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
        toyemu_command(case, trace)
            .iter()
            .map(|a| shell_quote(a))
            .collect::<Vec<_>>()
            .join(" ")
    );
    Err(msg.into())
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
    };
    compare(&format!("{} {stem} {opt}", libc.name()), &case)
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
    };
    compare("control userland/hello", &case)
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
    let mut trials = vec![Trial::test("control::userland_hello", control)];
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
    for c in busybox_cases() {
        let name = format!("busybox::{}", c.name);
        trials.push(Trial::test(name, move || busybox(&c)).with_ignored_flag(missing("busybox")));
    }
    libtest_mimic::run(&args, trials).exit();
}
