//! Hostile guests: bad pointers and huge lengths to every syscall that takes
//! them, code that never ends, code that writes itself, memory taken until
//! none is left, output nobody reads. Each test checks the outcome a real
//! Linux gives (natively, where an i386 kernel and the x86-64 kernel here
//! agree) and that every frame is back afterwards. docs/HOSTILE.md has the
//! table.

mod common;

use common::*;
use std::io::{Read, Write};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use toyemu::compile::Opt;
use toyemu::{Captured, Options, SharedBuf};
use toyemu_kernel::{Console, Death, Ending};

fn guest(name: &str) -> PathBuf {
    build(&format!("tests/hostile/{name}.c"), Opt::O2)
}

fn run_stdin(path: &Path, args: &[&str], opts: &Options, stdin: &[u8]) -> Captured {
    toyemu::run_captured(path, args, opts, stdin).unwrap_or_else(|e| panic!("{e}"))
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

/// Run `path` natively with stdin and stdout as regular files (where a
/// partial copy is a short count), or say why this host cannot. Without
/// native i386 support the test fails, unless TOYEMU_SKIP_NATIVE=1 asks to
/// check toyemu alone.
fn native(name: &str, path: &Path, stdin: &[u8]) -> Option<Native> {
    if let Err(why) = native_i386_works() {
        if std::env::var_os("TOYEMU_SKIP_NATIVE").is_some() {
            eprintln!("{name}: native comparison skipped (TOYEMU_SKIP_NATIVE): {why}");
            return None;
        }
        panic!("cannot run i386 code natively: {why} (TOYEMU_SKIP_NATIVE=1 checks toyemu alone)");
    }
    use std::os::unix::process::ExitStatusExt;
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR"));
    let (inp, outp) = (
        dir.join(format!("{name}.stdin")),
        dir.join(format!("{name}.stdout")),
    );
    std::fs::write(&inp, stdin).unwrap();
    let status = Command::new("setarch")
        .args(["i686", "-R"])
        .arg(path)
        .env_clear()
        .stdin(std::fs::File::open(&inp).unwrap())
        .stdout(std::fs::File::create(&outp).unwrap())
        .stderr(Stdio::null())
        .status()
        .expect("run setarch");
    let status = status
        .code()
        .unwrap_or_else(|| 128 + status.signal().unwrap_or(0));
    Some(Native {
        stdout: std::fs::read(&outp).unwrap(),
        status,
    })
}

/// Run under toyemu and natively: the same stdout and status, and status 0
/// (the programs count their own surprises); every frame back.
fn differential(name: &str, stdin: &[u8]) -> Captured {
    let exe = guest(name);
    let c = run_stdin(&exe, &[], &Options::default(), stdin);
    assert_all_reclaimed(&c);
    assert_eq!(
        c.report.status.code(),
        0,
        "{name} under toyemu:\n{}",
        text(&c.stdout)
    );
    if let Some(n) = native(name, &exe, stdin) {
        assert_eq!(n.status, 0, "{name} natively:\n{}", text(&n.stdout));
        assert!(
            n.stdout == c.stdout,
            "{name}: toyemu and Linux differ\n--- toyemu\n{}\n--- native\n{}",
            text(&c.stdout),
            text(&n.stdout)
        );
    }
    c
}

#[test]
fn bad_pointers_to_every_syscall_give_efault_as_on_linux() {
    // 100 bytes of input: the reads check that failed calls consume none.
    let input: Vec<u8> = (0..100u8).map(|i| b'A' + i % 26).collect();
    let c = differential("efault", &input);
    let out = text(&c.stdout);
    assert!(
        out.contains("read(0, kernel, 16): -14") && out.contains("uname(rodata): -14"),
        "{out}"
    );
}

#[test]
fn ranges_reaching_kernel_space_are_refused_whole_as_by_i386_linux() {
    let c = run_stdin(&guest("efault_i386"), &[], &Options::default(), b"");
    assert_all_reclaimed(&c);
    let out = text(&c.stdout);
    assert_eq!(c.report.status.code(), 0, "{out}");
    // writev checked both vectors before writing the first.
    assert!(!out.contains("visible"), "{out}");
}

#[test]
fn self_modifying_code_runs_the_new_code() {
    // mov eax, 7; ret — what read() writes over the code.
    differential("smc", &[0xb8, 7, 0, 0, 0, 0xc3]);
}

#[test]
fn an_infinite_loop_stops_at_max_insns() {
    let exe = guest("spin");
    for args in [&[][..], &["with-syscalls"][..]] {
        let opts = Options {
            max_insns: Some(3_000_000),
            ..Options::default()
        };
        let c = run_stdin(&exe, args, &opts, b"");
        assert_all_reclaimed(&c);
        assert_eq!(c.report.status.code(), 152, "{args:?}");
        assert_eq!(
            c.report.status.ending,
            Ending::Killed(Death::InstructionLimit { limit: 3_000_000 })
        );
        assert_eq!(c.report.record.instructions, 3_000_000);
    }
}

#[test]
fn an_infinite_loop_stops_at_timeout() {
    let exe = guest("spin");
    for args in [&[][..], &["with-syscalls"][..]] {
        let limit = Duration::from_millis(300);
        let opts = Options {
            timeout: Some(limit),
            ..Options::default()
        };
        let t = Instant::now();
        let c = run_stdin(&exe, args, &opts, b"");
        assert!(t.elapsed() >= limit);
        assert_all_reclaimed(&c);
        assert_eq!(c.report.status.code(), 137, "{args:?}");
        assert_eq!(
            c.report.status.ending,
            Ending::Killed(Death::Timeout { after: limit })
        );
        assert!(text(&c.stdout).starts_with("spin: looping forever"));
    }
    // Whichever limit comes first wins.
    let opts = Options {
        timeout: Some(Duration::from_secs(600)),
        max_insns: Some(1_000_000),
        ..Options::default()
    };
    let c = run_stdin(&exe, &[], &opts, b"");
    assert_all_reclaimed(&c);
    assert_eq!(c.report.status.code(), 152);
}

fn toyemu_cli(args: &[&str]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_toyemu"))
        .args(args)
        .stdin(Stdio::null())
        .output()
        .expect("run toyemu")
}

#[test]
fn the_cli_names_the_limit_that_stopped_a_loop() {
    let exe = guest("spin");
    let exe = exe.to_str().unwrap();
    let o = toyemu_cli(&["run", "--timeout", "0.5", exe]);
    assert_eq!(o.status.code(), Some(137));
    let err = text(&o.stderr);
    assert!(
        err.contains(
            "killed by SIGKILL: Time limit reached: stopped after 0.5 s of wall-clock time"
        ),
        "{err}"
    );
    let o = toyemu_cli(&["run", "--max-insns", "1000000", exe]);
    assert_eq!(o.status.code(), Some(152));
    let err = text(&o.stderr);
    assert!(
        err.contains(
            "killed by SIGXCPU: Instruction limit reached: stopped after 1000000 instructions"
        ),
        "{err}"
    );
    for bad in ["0", "soon", "inf"] {
        let o = toyemu_cli(&["run", "--timeout", bad, exe]);
        assert_eq!(o.status.code(), Some(2), "--timeout {bad}");
        assert!(
            text(&o.stderr).contains("a number of seconds above 0 and at most"),
            "--timeout {bad}: the message names the range"
        );
    }
}

#[test]
fn taking_memory_until_none_is_left_is_an_oom_kill() {
    let exe = guest("oom");
    for mode in ["mmap", "syscall", "stack"] {
        let opts = Options {
            mem_bytes: 8 << 20,
            stack_limit: 64 << 20,
            ..Options::default()
        };
        let c = run_stdin(&exe, &[mode], &opts, b"");
        assert_all_reclaimed(&c);
        assert_eq!(c.report.status.code(), 137, "{mode}: {}", text(&c.stdout));
        assert!(
            matches!(
                c.report.status.ending,
                Ending::Killed(Death::OutOfMemory { .. })
            ),
            "{mode}: {:?}",
            c.report.status.ending
        );
        // It really did take (nearly) every frame first.
        let peak = c.report.stats.peak_frames;
        assert!(
            peak + 8 >= u64::from(c.report.total_frames) - 1,
            "{mode}: peak {peak} of {} frames",
            c.report.total_frames
        );
    }
}

/// A `Write` that takes `left` bytes, then fails as a pipe whose reader left.
struct ClosingPipe {
    left: usize,
}

impl Write for ClosingPipe {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        if self.left == 0 {
            return Err(std::io::ErrorKind::BrokenPipe.into());
        }
        let n = b.len().min(self.left);
        self.left -= n;
        Ok(n)
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn output_to_a_closed_pipe_is_sigpipe_and_every_frame_comes_back() {
    let exe = guest("yes");
    let bytes = std::fs::read(&exe).unwrap();
    let err = SharedBuf::default();
    let console = Console::captured(
        Box::new(std::io::empty()),
        Box::new(ClosingPipe { left: 10_000 }),
        Box::new(err.clone()),
    );
    let argv = ["yes".to_string()];
    let r = toyemu::Session::boot(&exe, bytes, &argv, &Options::default(), console, Vec::new())
        .map(toyemu::Session::run_to_exit)
        .unwrap_or_else(|e| panic!("{e}"));
    assert_eq!(r.status.ending, Ending::Killed(Death::BrokenPipe));
    assert_eq!(r.status.code(), 141);
    assert_eq!(r.free_after, r.free_before);
    assert_eq!(r.record.ledger.outstanding(), 0);
}

/// Start the CLI on `yes` with stdout (and maybe stderr) into a pipe, read
/// a little, close the pipe, and return the exit code and what stderr said.
fn yes_into_closed_pipe(stderr_too: bool) -> (Option<i32>, String) {
    let exe = guest("yes");
    let (mut reader, writer) = std::io::pipe().expect("pipe");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_toyemu"));
    cmd.arg("run").arg(&exe).stdin(Stdio::null());
    cmd.stdout(writer.try_clone().unwrap());
    if stderr_too {
        cmd.stderr(writer);
    } else {
        cmd.stderr(Stdio::piped());
        drop(writer);
    }
    let mut child = cmd.spawn().expect("start toyemu");
    drop(cmd); // our copies of the write end must go, or the pipe never closes
    let mut buf = [0u8; 4096];
    reader.read_exact(&mut buf).expect("yes writes");
    assert!(buf.starts_with(b"y\ny\n"));
    drop(reader);
    // Bounded wait: a run that does not end is the failure this looks for.
    let deadline = Instant::now() + Duration::from_secs(60);
    let status = loop {
        if let Some(s) = child.try_wait().unwrap() {
            break s;
        }
        if Instant::now() > deadline {
            child.kill().unwrap();
            panic!("toyemu kept running after its output pipe closed");
        }
        std::thread::sleep(Duration::from_millis(20));
    };
    let mut err = String::new();
    if let Some(mut e) = child.stderr.take() {
        e.read_to_string(&mut err).unwrap();
    }
    (status.code(), err)
}

#[test]
fn the_cli_ends_cleanly_when_its_output_pipe_closes() {
    let (code, err) = yes_into_closed_pipe(false);
    assert_eq!(code, Some(141), "{err}");
    assert!(err.contains("killed by SIGPIPE: Broken pipe"), "{err}");
    assert!(!err.contains("panicked"), "{err}");
    // stdout and stderr both into the pipe (`2>&1 | head`): the message
    // about SIGPIPE cannot be printed either, and that must not panic.
    let (code, _) = yes_into_closed_pipe(true);
    assert_eq!(code, Some(141));
}

/// Handlers and frames abused (tests/hostile/sigframe.c): each case ends in
/// SIGSEGV natively and under toyemu, with the same output, and every frame
/// comes back — however deep the frames piled up.
#[test]
fn abused_signal_frames_end_in_sigsegv_as_on_linux() {
    let exe = guest("sigframe");
    let cases = [
        ("eip", 139),
        ("esp", 139),
        ("garbage", 139),
        ("oldframe", 139),
        ("restorer", 139),
        ("handler", 139),
        ("altstack", 139),
        ("nested", 139),
        ("nodefer", 139),
        ("sigreturn", 139),
        ("retcode", 0),
    ];
    let native_ok = native_i386_works();
    for (how, status) in cases {
        let opts = Options {
            max_insns: Some(200_000_000),
            ..Options::default()
        };
        let c = run_stdin(&exe, &[how], &opts, b"");
        assert_all_reclaimed(&c);
        assert_eq!(
            c.report.status.code(),
            status,
            "{how}: {:?}\n{}",
            c.report.status,
            text(&c.stdout)
        );
        match &native_ok {
            Ok(()) => {
                let n = run_native(&exe, &[how]).unwrap();
                assert_eq!(
                    (n.status, text(&n.stdout)),
                    (status, text(&c.stdout)),
                    "{how} natively"
                );
            }
            Err(why) if std::env::var_os("TOYEMU_SKIP_NATIVE").is_some() => {
                eprintln!("{how}: native comparison skipped: {why}")
            }
            Err(why) => panic!("cannot run i386 code natively: {why}"),
        }
    }
    // The frames of the SA_NODEFER recursion went as deep as the stack.
    let c = run_stdin(&exe, &["nodefer"], &Options::default(), b"");
    let stack = c.report.record.ledger.returned(toyemu_kernel::Cause::Stack);
    assert!(stack > 1000, "{stack} stack frames");
    assert!(matches!(
        c.report.status.ending,
        Ending::Killed(Death::BadSignalFrame { .. })
    ));
}

/// A SIGSEGV handler that fixes nothing: the fault comes back for ever, a
/// loop of fault, frame, handler, sigreturn that only the limit stops.
#[test]
fn a_handler_that_never_fixes_its_fault_stops_at_max_insns() {
    let opts = Options {
        max_insns: Some(2_000_000),
        ..Options::default()
    };
    let c = run_stdin(&guest("sigframe"), &["forever"], &opts, b"");
    assert_all_reclaimed(&c);
    assert_eq!(c.report.status.code(), 152);
    assert!(
        c.report.stats.signals_handled > 1000,
        "{:?}",
        c.report.stats
    );
}
