//! `toyemu debug` at a terminal, driven through a pseudo-terminal as a
//! person at the keyboard drives it: the line editor's prompt and history,
//! and Ctrl-C — which stops the running program and comes back to the
//! prompt, and at the prompt only clears the line. (rexpect gives the child
//! a pty as its controlling terminal, so a ^C typed there is the kernel's
//! SIGINT to toyemu, as in a real terminal.)

mod common;

use common::*;
use std::process::Command;
use std::thread;
use std::time::Duration;
use toyemu::compile::Opt;

/// Every expectation fails after this long instead of hanging CI.
const TIMEOUT_MS: u64 = 30_000;

fn line_of(text: &str) -> u32 {
    let src = std::fs::read_to_string(root().join("tests/scenarios/debug_target.c")).unwrap();
    1 + src.lines().position(|l| l.contains(text)).expect(text) as u32
}

#[test]
fn ctrl_c_interrupts_the_program_not_the_debugger() {
    let prog = build("tests/scenarios/debug_target.c", Opt::O0);
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_toyemu"));
    cmd.arg("debug").arg(&prog).arg("spin").current_dir(root());
    let mut p = rexpect::session::spawn_command(cmd, Some(TIMEOUT_MS)).unwrap();
    p.exp_string("(toyemu) ").unwrap();
    p.send_line("continue").unwrap();
    // The program prints, then spins forever.
    p.exp_string("hello, debugger: 36").unwrap();
    thread::sleep(Duration::from_millis(300));
    p.send_control('c').unwrap();
    let (_, at) = p
        .exp_regex(r"interrupted at 0x[0-9a-f]{8} <main\+0x[0-9a-f]+ \(debug_target\.c:[0-9]+\)>")
        .unwrap();
    let line: u32 = at
        .rsplit(':')
        .next()
        .and_then(|l| {
            l.trim_end_matches(')')
                .trim_end_matches('>')
                .trim_end_matches(')')
                .parse()
                .ok()
        })
        .unwrap_or_else(|| panic!("{at}"));
    assert!(
        [line_of("for (;;)"), line_of("spins++")].contains(&line),
        "stopped in the loop: {at}"
    );
    p.exp_string("(toyemu) ").unwrap();
    // At the prompt Ctrl-C throws the half-typed line away; toyemu stays.
    p.send("frames").unwrap();
    p.send_control('c').unwrap();
    p.exp_string("(toyemu) ").unwrap();
    p.send_line("info registers").unwrap();
    p.exp_regex(r"eip 0x[0-9a-f]{8} <main\+").unwrap();
    // History: the up arrow brings the last line back.
    p.exp_string("(toyemu) ").unwrap();
    p.send("\x1b[A").unwrap();
    p.send_line("").unwrap();
    p.exp_regex(r"eflags 0x[0-9a-f]{8}").unwrap();
    // The program goes on where it was, and stops again.
    p.exp_string("(toyemu) ").unwrap();
    p.send_line("continue").unwrap();
    thread::sleep(Duration::from_millis(300));
    p.send_control('c').unwrap();
    p.exp_string("interrupted at 0x").unwrap();
    p.exp_string("(toyemu) ").unwrap();
    p.send_line("quit").unwrap();
    p.exp_eof().unwrap();
    // nix's WaitStatus, which rexpect does not re-export: `Exited(pid, 0)`.
    let status = format!("{:?}", p.process().wait().unwrap());
    assert!(
        status.starts_with("Exited(") && status.ends_with(", 0)"),
        "toyemu did not exit by itself with 0: {status}"
    );
}
