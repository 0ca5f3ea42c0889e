//! `toyemu run --gdb`: the real gdb, in batch mode, debugs a guest program
//! over the remote protocol. Every process is waited for with a deadline, so
//! a stuck stub or gdb fails the test instead of hanging CI.

mod common;

use common::*;
use std::io::{BufRead, BufReader, Read, Write};
use std::net::TcpStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::sync::{mpsc, OnceLock};
use std::thread;
use std::time::{Duration, Instant};
use toyemu::compile::Opt;

const DEADLINE: Duration = Duration::from_secs(120);

/// gdb must be here: CI installs it (.ci/run). No silent skip.
fn require_gdb() {
    let found = Command::new("gdb")
        .arg("--version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok_and(|s| s.success());
    assert!(
        found,
        "gdb is not installed: these tests drive the real gdb (apt-get install gdb; .ci/run does it)"
    );
}

/// The guest program, built at -O0 with -g so gdb sees `main` and its locals;
/// once, so no test runs it while another is writing it.
fn target() -> PathBuf {
    static BUILT: OnceLock<PathBuf> = OnceLock::new();
    BUILT
        .get_or_init(|| build("tests/scenarios/gdb_target.c", Opt::O0))
        .clone()
}

/// A child whose output is collected by threads, so it never blocks on a pipe.
struct Running {
    child: Child,
    stdout: thread::JoinHandle<Vec<u8>>,
    /// Lines of stderr as they come.
    stderr: mpsc::Receiver<String>,
}

fn spawn(cmd: &mut Command) -> Running {
    let mut child = cmd
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap_or_else(|e| panic!("cannot start {cmd:?}: {e}"));
    let mut out = child.stdout.take().unwrap();
    let stdout = thread::spawn(move || {
        let mut v = Vec::new();
        let _ = out.read_to_end(&mut v);
        v
    });
    let (tx, stderr) = mpsc::channel();
    let err = child.stderr.take().unwrap();
    thread::spawn(move || {
        for line in BufReader::new(err).lines().map_while(Result::ok) {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    Running {
        child,
        stdout,
        stderr,
    }
}

impl Running {
    /// Wait for the exit (killing it at the deadline); stdout and stderr.
    fn finish(mut self, what: &str) -> (ExitStatus, String, String) {
        let start = Instant::now();
        let status = loop {
            if let Some(s) = self.child.try_wait().unwrap() {
                break s;
            }
            if start.elapsed() > DEADLINE {
                let _ = self.child.kill();
                let _ = self.child.wait();
                let err: Vec<String> = self.stderr.try_iter().collect();
                panic!(
                    "{what} did not finish in {DEADLINE:?}; stderr:\n{}",
                    err.join("\n")
                );
            }
            thread::sleep(Duration::from_millis(20));
        };
        let out = self.stdout.join().unwrap();
        let err: Vec<String> = self.stderr.iter().collect();
        (
            status,
            String::from_utf8_lossy(&out).into_owned(),
            err.join("\n"),
        )
    }
}

/// `toyemu run --gdb 0 PROGRAM ARGS`, and the port it says it listens on.
fn start_stub(program: &Path, args: &[&str]) -> (Running, u16) {
    start_stub_with(&[], program, args)
}

/// `toyemu run FLAGS --gdb 0 PROGRAM ARGS`, and its port.
fn start_stub_with(flags: &[&str], program: &Path, args: &[&str]) -> (Running, u16) {
    let mut stub = spawn(
        Command::new(env!("CARGO_BIN_EXE_toyemu"))
            .arg("run")
            .args(flags)
            .args(["--gdb", "0"])
            .arg(program)
            .args(args),
    );
    let prefix = "toyemu: waiting for gdb on 127.0.0.1:";
    let line = stub
        .stderr
        .recv_timeout(Duration::from_secs(30))
        .unwrap_or_else(|_| {
            let _ = stub.child.kill();
            panic!("toyemu never said it was waiting for gdb")
        });
    let port = line
        .strip_prefix(prefix)
        .and_then(|p| p.parse().ok())
        .unwrap_or_else(|| panic!("unexpected first line from toyemu: {line:?}"));
    (stub, port)
}

/// gdb in batch mode against the stub on `port`, running `commands`.
fn gdb(program: &Path, port: u16, commands: &[&str]) -> String {
    let mut cmd = Command::new("gdb");
    cmd.args(["-batch", "-nx", "-ex", "set architecture i386"]);
    cmd.args(["-ex", &format!("target remote 127.0.0.1:{port}")]);
    for c in commands {
        cmd.args(["-ex", c]);
    }
    cmd.arg(program);
    let (_, out, err) = spawn(&mut cmd).finish("gdb");
    format!("{out}{err}")
}

#[test]
fn break_at_main_step_print_and_run_to_exit() {
    require_gdb();
    let prog = target();
    let (stub, port) = start_stub(&prog, &[]);
    // malloc's first block sits 16 bytes into the heap.
    let block = heap_start(&prog) + 16;
    let pt = format!("monitor pt {block:#010x}");
    let out = gdb(
        &prog,
        port,
        &[
            "break main",
            "continue",
            "next",
            "print answer",
            "monitor maps",
            "next",
            "next",
            "print block",
            "monitor leaks",
            &pt,
            "monitor frames",
            "continue",
        ],
    );
    let (status, stdout, stderr) = stub.finish("toyemu");
    let has = |s: &str| out.contains(s);
    assert!(has("Breakpoint 1, main ("), "{out}");
    assert!(has("gdb_target.c:16"), "{out}");
    assert!(has("$1 = 42"), "{out}");
    // The maps, as the monitor prints them: text, data and the stack.
    let text = prog.display().to_string();
    assert!(
        out.lines()
            .any(|l| l.starts_with("08049000-") && l.contains(" r-xp ") && l.contains(&text)),
        "{out}"
    );
    assert!(
        out.lines()
            .any(|l| l.starts_with("bffdf000-c0000000 rw-p") && l.contains("[stack]")),
        "{out}"
    );
    assert!(
        has(&format!(r#"$2 = {block:#x} "hello from the heap""#)),
        "{out}"
    );
    assert!(
        has("heap: 112 bytes in 1 blocks allocated now") && has("from main+"),
        "{out}"
    );
    assert!(
        has(&format!("{block:#010x}: directory index 0x020")),
        "{out}"
    );
    assert!(has("-> physical"), "{out}");
    assert!(has("frames: 16384 total"), "{out}");
    assert!(has("[Inferior 1 (process 1) exited with code 03]"), "{out}");
    // The program's own output and status come through toyemu.
    assert_eq!(status.code(), Some(3), "{stderr}");
    assert_eq!(stdout, "hello from the heap: answer 42, square 1764\n");
}

/// `monitor heap` after main's malloc(100): the chunk with its requested
/// size, the top, the figures; `monitor heap ADDR` on the block gdb printed.
#[test]
fn monitor_heap_shows_the_chunk_main_allocated() {
    require_gdb();
    let prog = target();
    let (stub, port) = start_stub(&prog, &[]);
    let block = heap_start(&prog) + 16;
    let one = format!("monitor heap {:#x}", block + 5);
    let out = gdb(
        &prog,
        port,
        &[
            "break main",
            "continue",
            "next",
            "next",
            "next",
            "monitor heap",
            &one,
            "monitor bogus",
            "continue",
        ],
    );
    let (status, _, stderr) = stub.finish("toyemu");
    let row = out
        .lines()
        .find(|l| l.starts_with(&format!("  {:#010x} {block:#010x}", block - 16)))
        .unwrap_or_else(|| panic!("no row for the block:\n{out}"));
    let cols: Vec<&str> = row.split_whitespace().collect();
    assert_eq!(&cols[2..6], ["128", "100", "12", "INUSE"], "{out}");
    assert!(row.contains("used, from main+"), "{out}");
    assert!(out.lines().any(|l| l.ends_with(" top")), "{out}");
    assert!(
        out.contains("in use: 1 chunk, 128 bytes for 100 requested"),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "{:#010x} is 5 bytes into the payload of the used chunk at {:#010x}",
            block + 5,
            block - 16
        )),
        "{out}"
    );
    assert!(
        out.contains("monitor heap ADDR"),
        "the help lists it: {out}"
    );
    assert_eq!(status.code(), Some(3), "{stderr}");
}

#[test]
fn the_x87_registers_read_and_write_through_the_stub() {
    require_gdb();
    let prog = target();
    let (stub, port) = start_stub(&prog, &["fpu"]);
    let out = gdb(
        &prog,
        port,
        &[
            "break fpu_loaded",
            "continue",
            "print $st0",
            "print $st1",
            "print/x $fctrl",
            "set var $st0 = 2.5",
            "continue",
        ],
    );
    let (status, stdout, stderr) = stub.finish("toyemu");
    assert!(out.contains("$1 = 1\n"), "{out}");
    assert!(out.contains("$2 = 3.14159265358979"), "{out}");
    assert!(out.contains("$3 = 0x37f"), "{out}");
    // The write reached the FPU: the program stored 2.5, not 1.
    assert_eq!(status.code(), Some(3), "{stderr}");
    assert!(stdout.contains("answer 25,"), "{stdout}");
}

#[test]
fn a_segfault_stops_at_the_faulting_line_then_kills() {
    require_gdb();
    let prog = target();
    let (stub, port) = start_stub(&prog, &["segv"]);
    let out = gdb(
        &prog,
        port,
        &["continue", "print nowhere", "print answer", "continue"],
    );
    let (status, _, stderr) = stub.finish("toyemu");
    assert!(
        out.contains("Program received signal SIGSEGV, Segmentation fault."),
        "{out}"
    );
    // Stopped before the signal is delivered: the frame is still there.
    assert!(out.contains("gdb_target.c:21"), "{out}");
    assert!(out.contains("$1 = (int * volatile) 0x0"), "{out}");
    assert!(out.contains("$2 = 42"), "{out}");
    assert!(
        out.contains("Program terminated with signal SIGSEGV, Segmentation fault."),
        "{out}"
    );
    assert_eq!(status.code(), Some(139), "{stderr}");
    assert!(stderr.contains("killed by SIGSEGV"), "{stderr}");
}

/// `run --memcheck --gdb`: the bad write stops the program as a SIGSEGV
/// would, at the BUG line, before the store; `monitor memcheck` lists the
/// error and the heap; `stepi` runs the store alone, and `continue` (which
/// passes the SIGSEGV back, as gdb does by default) delivers nothing: the
/// program exits normally, with memcheck's summaries on the stub's stderr
/// and `--error-exitcode`'s status.
#[test]
fn memcheck_stops_at_the_bad_write_as_a_sigsegv_and_continue_delivers_nothing() {
    require_gdb();
    let prog = root().join("userland/bug_overflow");
    let src = std::fs::read_to_string(root().join("userland/bug_overflow.c")).unwrap();
    let bug = 1 + src.lines().position(|l| l.contains("/* BUG */")).unwrap();
    let (stub, port) = start_stub_with(&["--memcheck", "--error-exitcode", "7"], &prog, &[]);
    let out = gdb(
        &prog,
        port,
        &[
            "monitor memcheck",
            "continue",
            "print n",
            "monitor memcheck",
            "x/2i $pc",
            "stepi",
            "print/x $pc",
            "continue",
        ],
    );
    let (status, stdout, stderr) = stub.finish("toyemu");
    assert!(
        out.contains("== ERROR SUMMARY so far: 0 errors from 0 contexts"),
        "before it ran: {out}"
    );
    assert_eq!(
        out.matches("Program received signal SIGSEGV, Segmentation fault.")
            .count(),
        1,
        "{out}"
    );
    assert!(
        out.contains(&format!("in main () at bug_overflow.c:{bug}")),
        "{out}"
    );
    assert!(out.contains(&format!("{bug}\t    a[n] = -1;")), "{out}");
    assert!(out.contains("$1 = 6"), "{out}");
    assert!(out.contains("== 1 error in context 1 of 1:"), "{out}");
    // The error in full, named at the BUG line.
    assert!(
        out.lines()
            .any(|l| l.contains("==    at 0x") && l.ends_with(&format!("(bug_overflow.c:{bug})"))),
        "{out}"
    );
    assert!(
        out.contains("==     in use now: 24 bytes in 1 block"),
        "{out}"
    );
    assert!(
        out.contains("1 error from 1 context (leaks are checked at exit)"),
        "{out}"
    );
    // stepi runs the refused store and nothing more: to the next instruction.
    let next = out
        .lines()
        .skip_while(|l| !l.starts_with("=> 0x"))
        .nth(1)
        .and_then(|l| l.split_whitespace().next())
        .unwrap_or_else(|| panic!("no x/2i:\n{out}"));
    assert!(
        out.contains(&format!("$2 = {next}\n")),
        "stepi went to {next}: {out}"
    );
    assert!(
        out.contains("[Inferior 1 (process 1) exited normally]"),
        "{out}"
    );
    assert!(
        !stderr.contains("cannot be sent"),
        "SIGSEGV was dropped quietly: {stderr}"
    );
    assert_eq!(
        stdout,
        "bug_overflow: 6 ints in a block of 24 bytes\n\
         bug_overflow: wrote a[6] (one past the end); the sum of a[0..5] is 55\n\
         bug_overflow: freed the block\n"
    );
    assert_eq!(
        stderr.matches("== Invalid write of size 4").count(),
        1,
        "{stderr}"
    );
    assert!(
        stderr.contains("== ERROR SUMMARY: 1 error from 1 context"),
        "{stderr}"
    );
    assert_eq!(status.code(), Some(7), "{stderr}");
}

#[test]
fn stepi_finish_set_var_and_detach() {
    require_gdb();
    let prog = target();
    let (stub, port) = start_stub(&prog, &[]);
    let out = gdb(
        &prog,
        port,
        &[
            "break square",
            "continue",
            "stepi",
            "finish",
            "set var answer = 5",
            "detach",
        ],
    );
    let (status, stdout, stderr) = stub.finish("toyemu");
    assert!(out.contains("Breakpoint 1, square (x=42)"), "{out}");
    assert!(out.contains("Value returned is $1 = 1764"), "{out}");
    assert!(out.contains("detached"), "{out}");
    // After the detach the program ran on, with the variable gdb changed.
    assert_eq!(stdout, "hello from the heap: answer 5, square 1764\n");
    assert_eq!(status.code(), Some(3), "{stderr}");
}

/// Ctrl-C, in the protocol's own bytes: gdb in batch mode cannot send one.
#[test]
fn an_interrupt_stops_an_endless_loop() {
    let prog = target();
    let (stub, port) = start_stub(&prog, &["spin"]);
    let mut s = TcpStream::connect(("127.0.0.1", port)).unwrap();
    s.set_read_timeout(Some(Duration::from_secs(30))).unwrap();
    let packet = |s: &mut TcpStream, body: &str| {
        let sum = body.bytes().fold(0u8, |a, b| a.wrapping_add(b));
        write!(s, "${body}#{sum:02x}").unwrap();
    };
    packet(&mut s, "c");
    thread::sleep(Duration::from_millis(300));
    s.write_all(&[0x03]).unwrap();
    // Skip acknowledgements; the reply is the stop: SIGINT (2).
    let mut reply = Vec::new();
    let mut byte = [0u8];
    while !reply.ends_with(b"#") {
        s.read_exact(&mut byte)
            .expect("no stop reply to the interrupt");
        if reply.is_empty() && byte[0] != b'$' {
            continue;
        }
        reply.push(byte[0]);
    }
    let reply = String::from_utf8_lossy(&reply).into_owned();
    assert!(
        reply.starts_with("$S02") || reply.starts_with("$T02"),
        "{reply}"
    );
    s.write_all(b"+").unwrap();
    packet(&mut s, "k");
    let (status, _, stderr) = stub.finish("toyemu");
    assert_eq!(status.code(), Some(137), "{stderr}");
    assert!(stderr.contains("killed by gdb"), "{stderr}");
}

#[test]
fn a_caught_sigsegv_stops_then_continue_runs_the_handler() {
    require_gdb();
    let prog = root().join("userland/sigsegv_demo");
    let (stub, port) = start_stub(&prog, &[]);
    let out = gdb(
        &prog,
        port,
        &[
            "continue",
            "print $pc == (long)fix_guard",
            "continue",
            "continue",
            "continue",
        ],
    );
    let (status, stdout, stderr) = stub.finish("toyemu");
    assert_eq!(
        out.matches("Program received signal SIGSEGV, Segmentation fault.")
            .count(),
        3,
        "{out}"
    );
    // Stopped before delivery: not in the handler yet.
    assert!(out.contains("$1 = 0"), "{out}");
    assert!(out.contains("exited normally"), "{out}");
    assert_eq!(status.code(), Some(0), "{stderr}");
    assert!(stdout.contains("3 faults caught"), "{stdout}");
}

/// `info proc mappings` reads /proc/PID/maps over the protocol's host I/O
/// (vFile): the answer is the guest's address space, not toyemu's own.
#[test]
fn info_proc_mappings_shows_the_guests_vmas() {
    require_gdb();
    let prog = target();
    let (stub, port) = start_stub(&prog, &["fpu"]);
    let out = gdb(
        &prog,
        port,
        &[
            "break square",
            "continue",
            "info proc mappings",
            "info proc",
            "kill",
        ],
    );
    let (_, _, stderr) = stub.finish("toyemu");
    assert!(out.contains("Mapped address spaces:"), "{out}");
    assert!(!out.contains("unable to open /proc file"), "{out}");
    let rows: Vec<Vec<&str>> = out
        .lines()
        .map(|l| l.split_whitespace().collect::<Vec<_>>())
        .filter(|w| w.len() >= 5 && w[0].starts_with("0x") && w[4].ends_with('p'))
        .collect();
    let has = |start: u32, end: u32, perms: &str, name: &str| {
        rows.iter().any(|w| {
            w[0] == format!("{start:#x}")
                && w[1] == format!("{end:#x}")
                && w[4] == perms
                && w.get(5).is_some_and(|n| n.ends_with(name))
        })
    };
    // The text segment of the program, its heap after malloc, the stack.
    let exe = prog.file_name().unwrap().to_str().unwrap();
    assert!(
        has(0x0804_9000, 0x0804_9000 + text_size(&prog), "r-xp", exe),
        "{out}"
    );
    let heap = heap_start(&prog);
    assert!(
        rows.iter()
            .any(|w| w[0] == format!("{heap:#x}") && w.get(5) == Some(&"[heap]")),
        "{out}"
    );
    assert!(has(0xbffd_f000, 0xc000_0000, "rw-p", "[stack]"), "{out}");
    // Nothing of the host's 64-bit toyemu process: every row is below 4 GiB.
    assert!(rows.iter().all(|w| w[1].len() <= 10), "{out}");
    // `info proc`: the guest's argv and executable.
    assert!(
        out.contains(&format!("cmdline = '{} fpu'", prog.display())),
        "{out}"
    );
    assert!(
        out.contains(&format!(
            "exe = '{}'",
            std::fs::canonicalize(&prog).unwrap().display()
        )),
        "{out}"
    );
    assert!(stderr.contains("killed by gdb"), "{stderr}");
}

/// The size of the executable's r-x segment, page-rounded (program headers).
fn text_size(prog: &Path) -> u32 {
    let image = toyemu_kernel::ElfImage::parse(std::fs::read(prog).unwrap()).unwrap();
    let text = image
        .segments
        .iter()
        .find(|s| s.start().0 == 0x0804_9000)
        .expect("text at 0x08049000");
    (text.end().0 - text.start().0 + 0xfff) & !0xfff
}
