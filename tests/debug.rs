//! A scripted `toyemu debug` session: commands on stdin, answers on stdout.

mod common;

use common::*;
use std::io::Write;
use std::path::PathBuf;
use std::process::{Command, Stdio};
use std::sync::OnceLock;
use toyemu::compile::Opt;
use toyemu::symbols::Symbols;

/// tests/scenarios/debug_target.c at -O0 and at -O2 (where gcc omits the
/// frame pointer, so `bt` must unwind by CFI), each built once.
fn target(opt: Opt) -> PathBuf {
    static O0: OnceLock<PathBuf> = OnceLock::new();
    static O2: OnceLock<PathBuf> = OnceLock::new();
    let cell = if opt == Opt::O0 { &O0 } else { &O2 };
    cell.get_or_init(|| build("tests/scenarios/debug_target.c", opt))
        .clone()
}

/// The line of `file` (from the repository root) that contains `text`.
fn line_of(file: &str, text: &str) -> u32 {
    let src = std::fs::read_to_string(root().join(file)).unwrap();
    1 + src.lines().position(|l| l.contains(text)).expect(text) as u32
}

fn symbols(program: &std::path::Path) -> Symbols {
    Symbols::from_elf(&std::fs::read(program).unwrap())
}

fn session(program: &str, script: &str) -> String {
    session_with(&[], program, script)
}

/// `toyemu debug FLAGS PROGRAM` with `script` on its stdin; its stdout.
fn session_with(flags: &[&str], program: &str, script: &str) -> String {
    let mut child = Command::new(env!("CARGO_BIN_EXE_toyemu"))
        .arg("debug")
        .args(flags)
        .arg(program)
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
    // The loader's and the first fault's events come first, then the entry point.
    assert!(
        lines
            .iter()
            .take_while(|l| !l.starts_with("breakpoint 1 at"))
            .any(|l| l.starts_with("0x080491c8 <_start")),
        "{out}"
    );
    assert!(
        has("breakpoint 1 at 0x08049000 <main (leak_demo.c:"),
        "{out}"
    );
    assert!(has("breakpoint 1, 0x08049000 <main"), "{out}");
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
    // Each next-fault stops right after a fault was handled: its line,
    // then where the program is.
    let lines: Vec<&str> = out.lines().collect();
    let faults = lines
        .windows(2)
        .filter(|w| w[0].starts_with("--- page fault") && w[1].starts_with("0x0"))
        .count();
    assert!(faults >= 3, "{out}");
    // The first continue stops at the faulting store, process intact.
    let stop = out
        .find("stopped before delivering SIGSEGV: Segmentation fault (SEGV_MAPERR): write at 0x00000000")
        .unwrap_or_else(|| panic!("no signal stop:\n{out}"));
    let after = &out[stop..];
    // The stop names the faulting instruction: main, the line of `*null = 1`.
    let line = line_of("userland/segv_demo.c", "*null = 1");
    let main = symbols(&userland("segv_demo")).lookup("main").unwrap();
    let at = after.find("eip 0x").unwrap() + 6;
    let eip = u32::from_str_radix(&after[at..at + 8], 16).unwrap();
    let place = format!("{eip:#010x} <main+{:#x} (segv_demo.c:{line})>", eip - main);
    assert!(
        after
            .lines()
            .next()
            .unwrap()
            .ends_with(&format!("eip {place}")),
        "{out}"
    );
    // Then the instruction itself: the store through the NULL pointer.
    let insn = after.lines().nth(1).unwrap();
    assert!(
        insn.starts_with(&format!("{place}: mov")) && insn.ends_with(",(%eax)"),
        "{out}"
    );
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

/// `debug --memcheck`: the run stops at the bad write, before it happens,
/// with memcheck's report printed once just before the stop line; `bt`
/// and `memcheck` look at it; `continue` runs the store and the rest to
/// a normal exit (nothing delivered) with memcheck's summaries.
#[test]
fn memcheck_stops_at_the_bad_write_and_continue_runs_to_the_end() {
    let out = session_with(
        &["--memcheck"],
        "userland/bug_overflow",
        "memcheck\ncontinue\nbt\nmemcheck\ncontinue\nmemcheck\n",
    );
    let bug = format!(
        "(bug_overflow.c:{})",
        line_of("userland/bug_overflow.c", "/* BUG */")
    );
    let alloc = format!(
        "(bug_overflow.c:{})",
        line_of("userland/bug_overflow.c", "/* ALLOC */")
    );
    let lines: Vec<&str> = out.lines().collect();
    let find = |from: usize, p: &dyn Fn(&str) -> bool| {
        from + lines[from..]
            .iter()
            .position(|l| p(l))
            .unwrap_or_else(|| panic!("nothing after line {from}:\n{out}"))
    };
    // Before it ran, nothing so far.
    let first = find(0, &|l| l.contains("ERROR SUMMARY so far"));
    assert!(
        lines[first].ends_with(
            "== ERROR SUMMARY so far: 0 errors from 0 contexts (leaks are checked at exit)"
        ),
        "{out}"
    );
    // The program's first line, then the error as memcheck prints it, then the stop.
    let printed = find(first, &|l| {
        l == "bug_overflow: 6 ints in a block of 24 bytes"
    });
    let headline = find(printed, &|l| l.ends_with("== Invalid write of size 4"));
    assert!(lines[headline + 1].ends_with(&format!(" {bug}")), "{out}");
    assert!(
        lines[headline + 2].contains("is 0 bytes after a block of size 24 alloc'd"),
        "{out}"
    );
    let stop = find(headline, &|l| l.starts_with("stopped by memcheck: "));
    // The error on one line: the store, its line, the block it missed.
    let line = lines[stop];
    assert!(
        line.starts_with("stopped by memcheck: Invalid write of size 4 at main+"),
        "{out}"
    );
    assert!(line.contains(&format!("{bug}: 0x")), "{out}");
    assert!(
        line.contains(" is 0 bytes after a block of size 24 alloc'd at main+"),
        "{out}"
    );
    assert!(line.ends_with(&alloc), "{out}");
    // Where EIP is: the store on the BUG line, not run yet; nothing was delivered.
    assert!(lines[stop + 1].contains(&format!("{bug}>: mov")), "{out}");
    assert!(lines[stop + 2].contains("it has not happened"), "{out}");
    assert!(!out.contains("SIGSEGV"), "nothing is a signal: {out}");
    // The text came once, and `memcheck` shows it again, with the heap now.
    let again = find(stop, &|l| l.ends_with("== 1 error in context 1 of 1:"));
    assert!(
        lines[stop..again]
            .iter()
            .any(|l| l.starts_with("#0  ") && l.ends_with(&format!("{bug}>"))),
        "bt at the stop: {out}"
    );
    assert!(
        lines[again + 1].ends_with("== Invalid write of size 4"),
        "{out}"
    );
    let now = find(again, &|l| l.contains("== HEAP SUMMARY so far:"));
    assert!(
        lines[now + 1].ends_with("==     in use now: 24 bytes in 1 block"),
        "{out}"
    );
    let so_far = find(now, &|l| l.contains("== ERROR SUMMARY so far:"));
    assert!(lines[so_far].contains("1 error from 1 context"), "{out}");
    // Continue: the store runs, the program carries on to its end.
    let rest = find(so_far, &|l| l.starts_with("bug_overflow: wrote a[6]"));
    let freed = find(rest, &|l| l == "bug_overflow: freed the block");
    let summary = find(freed, &|l| l.ends_with("== HEAP SUMMARY:"));
    let errors = find(summary, &|l| l.contains("== ERROR SUMMARY:"));
    assert!(
        lines[errors].ends_with("== ERROR SUMMARY: 1 error from 1 context"),
        "{out}"
    );
    assert!(
        lines[errors + 1].starts_with("process exited with status 0;"),
        "{out}"
    );
    // After the exit `memcheck` shows the final summaries.
    assert!(
        lines
            .last()
            .unwrap()
            .ends_with("== ERROR SUMMARY: 1 error from 1 context"),
        "{out}"
    );
    assert_eq!(
        out.matches("== Invalid write of size 4").count(),
        3,
        "once when found, once per memcheck: {out}"
    );
}

/// A double free is refused at the call: the stop is just after it, on
/// the BUG line, and the program goes on.
#[test]
fn memcheck_stops_after_a_refused_double_free() {
    let out = session_with(
        &["--memcheck"],
        "userland/bug_double_free",
        "continue\ncontinue\n",
    );
    let bug = line_of("userland/bug_double_free.c", "/* BUG */");
    let stop = out
        .lines()
        .find(|l| l.starts_with("stopped by memcheck: "))
        .unwrap_or_else(|| panic!("no memcheck stop:\n{out}"));
    assert!(
        stop.starts_with(
            "stopped by memcheck: Invalid free() / delete / delete[] / realloc() (a double free) at main+"
        ) && stop.contains(&format!("(bug_double_free.c:{bug}): 0x")),
        "{out}"
    );
    assert!(out.contains("(the call was refused:"), "{out}");
    assert!(
        out.contains("bug_double_free: second freed its buffer too"),
        "{out}"
    );
    assert!(out.contains("process exited with status 0;"), "{out}");
}

/// A read that memcheck refuses and that also faults (it runs off the
/// heap's end): the memcheck stop first; going on runs it, which is then
/// a signal stop, and the next continue delivers the SIGSEGV.
#[test]
fn an_access_memcheck_refuses_that_also_faults_is_then_a_signal_stop() {
    let prog = build("tests/scenarios/bug_off_the_heap.c", Opt::O0);
    let bug = line_of("tests/scenarios/bug_off_the_heap.c", "/* BUG */");
    let out = session_with(
        &["--memcheck"],
        prog.to_str().unwrap(),
        "continue\ncontinue\ncontinue\n",
    );
    let at = format!("(bug_off_the_heap.c:{bug})");
    let memcheck = out
        .find("stopped by memcheck: Invalid read of size ")
        .unwrap_or_else(|| panic!("no memcheck stop:\n{out}"));
    let signal = out
        .find("stopped before delivering SIGSEGV: Segmentation fault (SEGV_MAPERR): read at")
        .unwrap_or_else(|| panic!("no signal stop:\n{out}"));
    assert!(memcheck < signal, "{out}");
    for stop in [memcheck, signal] {
        let first = out[stop..].lines().next().unwrap();
        assert!(first.contains(&at), "{out}");
    }
    assert!(
        out.contains("process exited with status 139 (Segmentation fault"),
        "{out}"
    );
    assert!(
        out.contains("== ERROR SUMMARY: 1 error from 1 context"),
        "{out}"
    );
}

/// Without --memcheck the command says how to get it; nothing stops.
#[test]
fn memcheck_is_off_without_the_flag() {
    let out = session("userland/bug_overflow", "memcheck\ncontinue\n");
    assert!(
        out.contains("memcheck is off: start the program with toyemu debug --memcheck"),
        "{out}"
    );
    assert!(!out.contains("stopped by memcheck"), "{out}");
    assert!(out.contains("process exited with status 0;"), "{out}");
}

#[test]
fn break_at_a_source_line_and_a_function_then_delete_and_list() {
    let prog = target(Opt::O2);
    let line = line_of("tests/scenarios/debug_target.c", "printf(\"%s: %d");
    let syms = symbols(&prog);
    let (addr, chosen) = syms.line_address("debug_target.c", line).unwrap();
    assert_eq!(chosen, line);
    let out = session(
        prog.to_str().unwrap(),
        &format!(
            "break debug_target.c:{line}\nbreak leaf\ninfo breakpoints\ncontinue\ncontinue\ndelete 2\ninfo breakpoints\ndelete 7\ncontinue\n"
        ),
    );
    let leaf = syms.lookup("leaf").unwrap();
    let has = |s: &str| out.contains(s);
    assert!(
        has(&format!("breakpoint 1 at {addr:#010x} <main+")),
        "{out}"
    );
    assert!(has(&format!("(debug_target.c:{line})>")), "{out}");
    assert!(
        has(&format!(
            "breakpoint 2 at {leaf:#010x} <leaf (debug_target.c:"
        )),
        "{out}"
    );
    assert!(has(&format!("1    {addr:#010x}  main+")), "{out}");
    assert!(has(&format!("(break debug_target.c:{line})")), "{out}");
    assert!(
        has(&format!("2    {leaf:#010x}  leaf (debug_target.c:")),
        "{out}"
    );
    // The line's breakpoint first (its code calls outer), then leaf's.
    let one = out
        .find(&format!("breakpoint 1, {addr:#010x} <main+"))
        .expect(&out);
    let two = out
        .find(&format!(
            "breakpoint 2, {leaf:#010x} <leaf (debug_target.c:"
        ))
        .expect(&out);
    assert!(one < two, "{out}");
    assert!(has("deleted 1 breakpoint\n"), "{out}");
    assert!(has("(break debug_target.c:") && has("hit once)"), "{out}");
    assert!(has("deleted 0 breakpoints; no breakpoint 7"), "{out}");
    assert!(has("hello, debugger: 36"), "{out}");
    assert!(has("process exited with status 0"), "{out}");
}

#[test]
fn x_reads_at_expressions_and_enter_goes_on() {
    let prog = target(Opt::O0);
    let line = line_of("tests/scenarios/debug_target.c", "printf(\"%s: %d");
    // At -O0 the line after `g = greeting()` starts with g still in EAX.
    let out = session(
        prog.to_str().unwrap(),
        &format!("break {line}\nbreak debug_target.c:{line}\ncontinue\nx/s $eax\nregs\nx/4xw $esp+8\n\nx/2i $eip\n\nx/2dw *($ebp+12)\nx/s *(*($ebp+12))\nx/4w nowhere\nx/3q $esp\nquit\n"),
    );
    let has = |s: &str| out.contains(s);
    // `break LINE` is that line of the file EIP is in... which at _start
    // is crt0.S, so it is refused; FILE:LINE works.
    assert!(has("crt0.S has no code at or after line"), "{out}");
    assert!(has("\"hello, debugger\""), "{out}");
    let esp = out
        .lines()
        .find_map(|l| l.strip_prefix("esp 0x"))
        .map(|v| u32::from_str_radix(&v[..8], 16).unwrap())
        .unwrap();
    // x/4xw $esp+8, then Enter: the next four words.
    assert!(has(&format!("\n{:#010x}: 0x", esp + 8)), "{out}");
    assert!(has(&format!("\n{:#010x}: 0x", esp + 24)), "{out}");
    // x/2i at EIP marks it, and Enter goes on with the next two.
    let insns: Vec<&str> = out
        .lines()
        .filter(|l| l.starts_with("=> ") || l.starts_with("   0x"))
        .collect();
    assert_eq!(insns.len(), 4, "{out}");
    assert!(
        insns[0].starts_with("=> 0x") && insns[0].contains("(debug_target.c:"),
        "{out}"
    );
    // argv[0] through a double dereference: argv is at 12(%ebp) in main.
    assert!(has(&format!("\"{}\"", prog.display())), "{out}");
    assert!(has("no symbol \"nowhere\" in the program"), "{out}");
    assert!(has("x: unknown letter 'q'"), "{out}");
}

#[test]
fn bt_walks_the_nested_calls_at_o0_and_o2() {
    for opt in [Opt::O0, Opt::O2] {
        let prog = target(opt);
        let out = session(
            prog.to_str().unwrap(),
            "break leaf\ncontinue\nbt\nstep 2\nbt\nquit\n",
        );
        let src = "tests/scenarios/debug_target.c";
        let (in_middle, in_outer) = (line_of(src, "return leaf("), line_of(src, "return middle("));
        let in_main = line_of(src, "printf(\"%s: %d");
        let frames: Vec<&str> = out.lines().filter(|l| l.starts_with('#')).collect();
        let first = &frames[..frames.len() / 2];
        let names = ["leaf", "middle", "outer", "main", "__toy_start", "_start"];
        assert_eq!(first.len(), names.len(), "{opt:?}:\n{out}");
        for (i, (f, name)) in first.iter().zip(names).enumerate() {
            assert!(f.starts_with(&format!("#{i:<2} 0x")), "{f}");
            assert!(
                f.contains(&format!(" <{name}")),
                "{opt:?} frame {i}: {f}\n{out}"
            );
        }
        // Callers show the line of the call, not the one after it.
        assert!(
            first[1].contains(&format!("(debug_target.c:{in_middle})>")),
            "{opt:?}: {out}"
        );
        assert!(
            first[2].contains(&format!("(debug_target.c:{in_outer})>")),
            "{opt:?}: {out}"
        );
        assert!(
            first[3].contains(&format!("(debug_target.c:{in_main})>")),
            "{opt:?}: {out}"
        );
        assert!(first[5].contains("(crt0.S:"), "{opt:?}: {out}");
        // Two instructions into leaf (past any prologue), the same chain.
        let second = &frames[frames.len() / 2..];
        assert_eq!(second.len(), names.len(), "{opt:?}:\n{out}");
        assert_eq!(&second[1..], &first[1..], "{opt:?}");
    }
}

#[test]
fn an_empty_line_repeats_the_last_command() {
    let out = session(
        "userland/hello",
        "step\n\n\nbreak main\n\ninfo breakpoints\nquit\n",
    );
    let steps: Vec<&str> = out.lines().filter(|l| l.starts_with("0x0804")).collect();
    // The first location, then three steps: each one instruction further.
    assert_eq!(steps.len(), 4, "{out}");
    let addr = |l: &str| u32::from_str_radix(&l[2..10], 16).unwrap();
    assert!(steps.windows(2).all(|w| addr(w[1]) > addr(w[0])), "{out}");
    // break is not repeated: one breakpoint, as gdb leaves it.
    assert_eq!(out.matches("breakpoint 1 at").count(), 1, "{out}");
    assert!(!out.contains("breakpoint 2"), "{out}");
}

#[test]
fn help_lists_every_command_and_info_its_subjects() {
    let out = session("userland/hello", "help\ninfo\nhelp x\nhelp nosuch\nquit\n");
    for cmd in [
        "step [N]",
        "next-syscall",
        "next-fault",
        "continue",
        "break FUNC|FILE:LINE",
        "delete",
        "info WHAT",
        "bt",
        "regs",
        "x/NFU EXPR",
        "maps",
        "pt EXPR",
        "frames",
        "help",
        "quit",
    ] {
        assert!(out.contains(&format!("  {cmd}")), "{cmd}: {out}");
    }
    for what in ["info breakpoints", "info registers", "info symbol EXPR"] {
        assert!(out.contains(what), "{what}: {out}");
    }
    assert!(out.contains("no command \"nosuch\""), "{out}");
}

/// A SIGINT to a scripted session (what Ctrl-C sends to a pipeline) stops
/// the running program, and the next commands are read as usual.
#[test]
fn sigint_to_a_piped_session_interrupts_the_program_not_the_debugger() {
    use std::io::Read;
    let prog = target(Opt::O0);
    let mut child = Command::new(env!("CARGO_BIN_EXE_toyemu"))
        .arg("debug")
        .arg(&prog)
        .arg("spin")
        .current_dir(root())
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(b"continue\n").unwrap();
    stdin.flush().unwrap();
    // Read until the program is spinning (it printed its line), then SIGINT.
    let mut stdout = child.stdout.take().unwrap();
    let mut seen = Vec::new();
    let mut buf = [0u8; 4096];
    while !String::from_utf8_lossy(&seen).contains("hello, debugger: 36") {
        let n = stdout.read(&mut buf).unwrap();
        assert!(
            n > 0,
            "toyemu ended early: {}",
            String::from_utf8_lossy(&seen)
        );
        seen.extend_from_slice(&buf[..n]);
    }
    std::thread::sleep(std::time::Duration::from_millis(200));
    let kill = Command::new("kill")
        .args(["-INT", &child.id().to_string()])
        .status()
        .unwrap();
    assert!(kill.success());
    stdin.write_all(b"bt\nquit\n").unwrap();
    drop(stdin);
    stdout.read_to_end(&mut seen).unwrap();
    let status = child.wait().unwrap();
    let out = String::from_utf8_lossy(&seen);
    assert!(
        status.success(),
        "toyemu died of the SIGINT: {status:?}\n{out}"
    );
    let src = "tests/scenarios/debug_target.c";
    let in_loop = [line_of(src, "for (;;)"), line_of(src, "spins++")];
    let stop = out
        .lines()
        .find(|l| l.starts_with("interrupted at 0x") && l.contains("<main+"))
        .unwrap_or_else(|| panic!("no interrupt stop: {out}"));
    assert!(out.contains("#0  0x"), "bt after the interrupt: {out}");
    assert!(
        in_loop
            .iter()
            .any(|l| stop.contains(&format!("(debug_target.c:{l})>"))),
        "stopped in the loop (the for line or spins++): {out}"
    );
}

/// `heap` at the first free (of the big block): the six small chunks with
/// what was asked for, the top, the mmap'd block; `heap EXPR` on free's
/// argument; `leaks` with everything still reachable from main's frame.
#[test]
fn heap_shows_every_chunk_and_the_one_an_address_is_in() {
    let heap = heap_start(&userland("leak_demo"));
    let out = session(
        "userland/leak_demo",
        "break free\ncontinue\nheap\nheap *($esp+4)\nheap $esp\nleaks\ndelete\ncontinue\nheap\nquit\n",
    );
    let lines: Vec<&str> = out.lines().collect();
    // The table: one row a chunk, in address order, the first at the heap's start.
    let rows: Vec<Vec<&str>> = lines
        .iter()
        .filter(|l| l.starts_with("  0x"))
        .map(|l| l.split_whitespace().collect())
        .collect();
    let first: Vec<_> = rows.iter().take_while(|r| r[0] != "0xb7fbf000").collect();
    assert_eq!(first[0][0], format!("{heap:#010x}"), "{out}");
    let used: Vec<(&str, &str)> = first
        .iter()
        .filter(|r| r.contains(&"used,"))
        .map(|r| (r[2], r[3]))
        .collect();
    assert_eq!(
        used,
        [
            ("48", "24"),
            ("128", "100"),
            ("1024", "1000"),
            ("4016", "4000"),
            ("80", "64"),
            ("16400", "16384")
        ],
        "{out}"
    );
    assert!(first.last().unwrap().contains(&"top"), "{out}");
    let big = rows
        .iter()
        .find(|r| r[0] == "0xb7fbf000")
        .expect("the mmap'd block");
    assert_eq!(
        (big[2], big[3], big[5]),
        ("266240", "262144", "INUSE|MMAPPED"),
        "{out}"
    );
    assert!(
        out.contains(
            "in use: 6 chunks, 21696 bytes for 21572 requested; mmap'd: 1 chunk, 266240 bytes"
        ),
        "{out}"
    );
    // free's argument is the big block's pointer.
    assert!(
        out.contains("0xb7fbf010 is 0 bytes into the payload of the mmapped chunk at 0xb7fbf000"),
        "{out}"
    );
    assert!(
        out.contains("  pad       4080 (requested 262144 = 266240 - 16 - 4080)"),
        "{out}"
    );
    assert!(out.contains(" is in no chunk of the heap"), "{out}");
    // main still holds every block.
    assert!(
        out.contains("in use now: 283716 bytes in 7 blocks"),
        "{out}"
    );
    assert!(
        out.contains("still reachable: 283716 bytes in 7 blocks"),
        "{out}"
    );
    assert!(
        out.contains("definitely lost: 0 bytes in 0 blocks"),
        "{out}"
    );
    // After the end there is no heap to look at.
    assert!(
        lines
            .last()
            .unwrap()
            .starts_with("process exited with status 0;"),
        "{out}"
    );
}
