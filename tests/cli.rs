//! The `toyemu` command as a user meets it: output, exit status, traces and
//! the errors for files it cannot run.

mod common;

use common::*;
use std::process::{Command, Output};

fn toyemu(args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_toyemu"))
        .args(args)
        .current_dir(root())
        .output()
        .expect("run toyemu")
}

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn runs_hello_and_passes_the_status_through() {
    let o = toyemu(&["run", "userland/hello"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(text(&o.stdout).contains("Hello"));
    assert!(o.stderr.is_empty(), "{}", text(&o.stderr));
}

#[test]
fn leak_demo_trace_reads_like_strace_with_faults() {
    let o = toyemu(&["run", "--trace", "syscall,fault", "userland/leak_demo"]);
    assert_eq!(o.status.code(), Some(0));
    let err = text(&o.stderr);
    let has = |needle: &str| err.lines().any(|l| l.starts_with(needle));
    assert!(has("brk(NULL) = 0x"), "{err}");
    assert!(
        err.lines()
            .any(|l| l.starts_with("brk(0x") && !l.ends_with("= ?")),
        "brk moves: {err}"
    );
    assert!(
        has("mmap2(NULL, 266240, PROT_READ|PROT_WRITE, MAP_PRIVATE|MAP_ANONYMOUS, -1, 0) = 0xb7"),
        "{err}"
    );
    assert!(has("munmap(0xb7"), "{err}");
    assert!(has("write(1, \"leak_demo: "), "{err}");
    assert!(
        has("--- page fault at 0x") && err.contains("in heap: zero-fill"),
        "{err}"
    );
    assert!(err.contains("in elf segment 1: file-fill"), "{err}");
    let tail: Vec<&str> = err.lines().rev().take(2).collect();
    assert!(tail[1].starts_with("exit_group(0) = ?"), "{err}");
    assert!(
        tail[0].starts_with("+++ exited with 0; ") && tail[0].contains("frames reclaimed"),
        "{err}"
    );
    // The guest's own output is untouched on stdout.
    assert!(text(&o.stdout).starts_with("leak_demo: "));
}

#[test]
fn trace_to_a_file_with_o() {
    let f = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join("hello.trace");
    let o = toyemu(&[
        "run",
        "--trace=syscall",
        "-o",
        f.to_str().unwrap(),
        "userland/hello",
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert!(o.stderr.is_empty());
    let t = std::fs::read_to_string(&f).unwrap();
    assert!(
        t.contains("write(1, \"Hello") && t.contains("exit_group(0)"),
        "{t}"
    );
}

#[test]
fn rust_log_shows_syscalls_and_faults() {
    let o = Command::new(env!("CARGO_BIN_EXE_toyemu"))
        .args(["run", "userland/hello"])
        .current_dir(root())
        .env("RUST_LOG", "toyemu=debug")
        .output()
        .unwrap();
    let err = text(&o.stderr);
    assert!(
        err.contains("toyemu::syscall") && err.contains("write(1"),
        "{err}"
    );
    assert!(
        err.contains("toyemu::fault") && err.contains("page fault at"),
        "{err}"
    );
}

#[test]
fn segfault_exits_139_with_one_line_naming_address_and_eip() {
    let o = toyemu(&["run", "userland/segv_demo"]);
    assert_eq!(o.status.code(), Some(139));
    let err = text(&o.stderr);
    let lines: Vec<&str> = err.lines().collect();
    assert_eq!(lines.len(), 1, "{err}");
    assert!(
        lines[0].contains("SIGSEGV") && lines[0].contains("write at 0x00000000"),
        "{err}"
    );
    // The EIP is named: main, the line of `*null = 1`.
    let src = std::fs::read_to_string(root().join("userland/segv_demo.c")).unwrap();
    let line = 1 + src.lines().position(|l| l.contains("*null = 1")).unwrap();
    let at = lines[0].find("eip 0x").expect(&err) + 6;
    let eip = u32::from_str_radix(&lines[0][at..at + 8], 16).expect(&err);
    let main = toyemu::symbols::Symbols::from_elf(
        &std::fs::read(root().join("userland/segv_demo")).unwrap(),
    )
    .lookup("main")
    .unwrap();
    assert!(
        lines[0].ends_with(&format!(
            "eip {eip:#010x} <main+{:#x} (segv_demo.c:{line})>",
            eip - main
        )),
        "{err}"
    );
}

#[test]
fn instruction_limit_is_reported() {
    let o = toyemu(&["run", "--max-insns", "1000", "userland/leak_demo"]);
    assert_eq!(o.status.code(), Some(128 + 24));
    assert!(text(&o.stderr).contains("Instruction limit reached: stopped after 1000 instructions"));
}

#[test]
fn too_little_memory_is_an_oom_kill() {
    let o = toyemu(&["run", "--mem", "256K", "userland/leak_demo"]);
    assert_eq!(o.status.code(), Some(137), "{}", text(&o.stderr));
    assert!(text(&o.stderr).contains("Out of memory"));
}

#[test]
fn runs_a_c_file_compiled_against_the_libc() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let src = dir.join("args.c");
    std::fs::write(&src, "#include <stdio.h>\nint main(int c, char **v) { printf(\"%d %s\\n\", c, v[1]); return 3; }\n").unwrap();
    let o = toyemu(&["run", src.to_str().unwrap(), "--flag-for-guest"]);
    assert_eq!(o.status.code(), Some(3), "{}", text(&o.stderr));
    assert_eq!(text(&o.stdout), "2 --flag-for-guest\n");
}

/// Write `bytes` to a temporary file and try to run it.
fn run_bytes(name: &str, bytes: &[u8]) -> Output {
    let p = std::path::Path::new(env!("CARGO_TARGET_TMPDIR")).join(name);
    std::fs::write(&p, bytes).unwrap();
    toyemu(&["run", p.to_str().unwrap()])
}

fn assert_refused(o: &Output, reason: &str) {
    assert_eq!(o.status.code(), Some(1), "{}", text(&o.stderr));
    let err = text(&o.stderr);
    assert!(
        err.starts_with("toyemu: ") && err.contains(reason),
        "expected {reason:?} in {err:?}"
    );
    assert!(!err.contains("panicked"), "{err}");
}

#[test]
fn files_it_cannot_run_get_a_clear_error() {
    assert_refused(
        &toyemu(&["run", "no/such/program"]),
        "cannot read no/such/program",
    );
    assert_refused(
        &run_bytes("text.txt", b"just some text\n"),
        "not an ELF file",
    );
    let hello = std::fs::read(userland("hello")).unwrap();
    assert_refused(&run_bytes("truncated", &hello[..40]), "truncated");
    // A 64-bit executable: the host's own /bin/true.
    assert_refused(&toyemu(&["run", "/bin/true"]), "64-bit");
    // Dynamically linked: turn the PT_GNU_STACK header into a PT_INTERP.
    let mut dynamic = hello.clone();
    let phoff = u32::from_le_bytes(dynamic[28..32].try_into().unwrap()) as usize;
    let phnum = u16::from_le_bytes(dynamic[44..46].try_into().unwrap()) as usize;
    let last = phoff + 32 * (phnum - 1);
    dynamic[last..last + 4].copy_from_slice(&3u32.to_le_bytes());
    assert_refused(&run_bytes("dynamic", &dynamic), "dynamically linked");
    // Another machine: EM_X86_64 in a 32-bit file.
    let mut arm = hello.clone();
    arm[18..20].copy_from_slice(&40u16.to_le_bytes());
    assert_refused(&run_bytes("arm", &arm), "not Intel 80386");
}

#[test]
fn wrong_flags_are_usage_errors() {
    let o = toyemu(&["run", "--mem", "lots", "userland/hello"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("bad size"));
    let o = toyemu(&["run", "--trace", "everything", "userland/hello"]);
    assert_eq!(o.status.code(), Some(2));
    let o = toyemu(&["run", "--mem", "8G", "userland/hello"]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o.stderr).contains("3 GiB"));
}

#[test]
fn count_prints_a_table_of_calls_on_stderr() {
    let o = toyemu(&[
        "run",
        "--count",
        "on_stack,on_heap",
        "userland/stack_vs_heap",
    ]);
    assert_eq!(o.status.code(), Some(0));
    assert!(text(&o.stdout).contains("checksum"));
    let err = text(&o.stderr);
    let row = |name: &str| {
        err.lines()
            .find(|l| l.split_whitespace().next() == Some(name))
            .unwrap_or_else(|| panic!("no {name} row: {err}"))
            .split_whitespace()
            .map(str::to_string)
            .collect::<Vec<_>>()
    };
    assert!(err.starts_with("-- calls counted (--count)"), "{err}");
    // function, calls, instructions, per call, min, max, syscalls, faults, ...
    assert_eq!(row("on_stack")[1], "1000");
    assert_eq!(row("on_heap")[1], "1000");
    let per_call = |name: &str| row(name)[3].parse::<f64>().unwrap();
    assert!(per_call("on_stack") < per_call("on_heap"), "{err}");
}

#[test]
fn count_refuses_what_it_cannot_count() {
    let o = toyemu(&["run", "--count", "no_such_function", "userland/hello"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(
        text(&o.stderr).contains("has no function named \"no_such_function\""),
        "{}",
        text(&o.stderr)
    );
    assert!(o.stdout.is_empty(), "the program did not run");
    // A data symbol is not a function.
    let o = toyemu(&["run", "--count", "block", "userland/segments_demo"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o.stderr));
    let o = toyemu(&[
        "run",
        "--count",
        "main",
        "--trace",
        "insn",
        "userland/hello",
    ]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("cannot be combined with --trace insn"));
    let o = toyemu(&["run", "--count", "main", "--gdb", "0", "userland/hello"]);
    assert_eq!(o.status.code(), Some(2));
}
