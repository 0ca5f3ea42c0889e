//! A scripted `toyemu debug` session: commands on stdin, answers on stdout.

mod common;

use common::*;
use std::io::Write;
use std::process::{Command, Stdio};

fn session(program: &str, script: &str) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_toyemu"))
        .args(["debug", program])
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(script.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    assert!(
        out.status.success(),
        "{}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).unwrap()
}

#[test]
fn break_at_main_then_look_around_and_finish() {
    let heap = heap_start(&userland("leak_demo"));
    let out = session(
        "userland/leak_demo",
        &format!("break main\ncontinue\nregs\nnext-syscall\npt {heap:#010x}\nmaps\nframes\nx/2 0xbfffff00\nbogus\ncontinue\nmaps\nquit\n"),
    );
    let lines: Vec<&str> = out.lines().collect();
    let has = |needle: &str| lines.iter().any(|l| l.contains(needle));
    assert!(
        lines[0..8]
            .iter()
            .any(|l| l.starts_with("0x080491c8 <_start")),
        "{out}"
    );
    assert!(
        has("breakpoint 1 at 0x08049000 <main (leak_demo.c:"),
        "{out}"
    );
    assert!(has("breakpoint at 0x08049000 <main"), "{out}");
    assert!(lines.iter().any(|l| l.starts_with("esp 0xbffffe")), "{out}");
    assert!(
        lines.iter().any(|l| l.starts_with("eip 0x08049000 <main")),
        "{out}"
    );
    // next-syscall stops right after sbrk's brk(0).
    assert!(has(&format!("brk(NULL) = {heap:#x}")), "{out}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("0x0") && l.contains("<sbrk+")),
        "{out}"
    );
    // The heap page is not there yet: the walk shows an empty PTE.
    assert!(
        has(&format!(
            "{heap:#010x}: directory index 0x020, table index {:#05x}",
            heap >> 12 & 0x3ff
        )),
        "{out}"
    );
    assert!(has("-> not present: the next access faults"), "{out}");
    assert!(
        lines
            .iter()
            .any(|l| l.starts_with("bffdf000-c0000000 rw-p 00000000 00:00 0")
                && l.contains("[stack]")),
        "{out}"
    );
    assert!(has("stack        held      1"), "{out}");
    assert!(has("0xbfffff00:"), "{out}");
    assert!(has("unknown command \"bogus\""), "{out}");
    // The rest of the run, then the end.
    assert!(has("mmap2(NULL, 266240, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0xb7fbf000"), "{out}");
    assert!(has("+++ exited with 0;"), "{out}");
    let last = lines.last().unwrap();
    assert!(
        last.starts_with("process exited with status 0;")
            && last.contains("frames reclaimed at exit"),
        "{out}"
    );
}

#[test]
fn a_segfault_stops_before_delivery_then_continue_delivers_it() {
    let out = session(
        "userland/segv_demo",
        "next-fault\nnext-fault\nnext-fault\ncontinue\nregs\npt 0\ncontinue\nregs\n",
    );
    // The first continue stops at the faulting store, process intact.
    let stop = out
        .find("stopped before delivering SIGSEGV: Segmentation fault (SEGV_MAPERR): write at 0x00000000")
        .unwrap_or_else(|| panic!("no signal stop:\n{out}"));
    let after = &out[stop..];
    assert!(after.contains("<main"), "the stop names where: {out}");
    assert!(
        after.lines().any(|l| l.starts_with("eip 0x")),
        "registers of the stopped program: {out}"
    );
    assert!(after.contains("0x00000000: directory index 0x000"), "{out}");
    // The second continue delivers it, as gdb passes SIGSEGV.
    assert!(
        out.contains("--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=0x00000000} ---"),
        "{out}"
    );
    assert!(
        out.contains("process exited with status 139 (Segmentation fault"),
        "{out}"
    );
    // Asking for registers of a dead process says so instead of failing.
    assert!(
        out.lines()
            .last()
            .unwrap()
            .starts_with("process exited with status 139"),
        "{out}"
    );
}

#[test]
fn a_caught_segfault_stops_before_delivery_then_continue_runs_the_handler() {
    let out = session(
        "userland/sigsegv_demo",
        "continue\ncontinue\ncontinue\ncontinue\n",
    );
    assert!(
        out.contains(
            "stopped before delivering SIGSEGV: Segmentation fault (SEGV_ACCERR): write at"
        ),
        "{out}"
    );
    assert!(
        out.contains("(continue delivers it to its handler at 0x"),
        "{out}"
    );
    assert_eq!(
        out.matches("stopped before delivering SIGSEGV").count(),
        3,
        "{out}"
    );
    assert!(
        out.contains("--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_ACCERR"),
        "{out}"
    );
    assert!(out.contains("process exited with status 0"), "{out}");
}
