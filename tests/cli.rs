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
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("from 64K to 3G"));
}

/// A value outside what a flag allows is a usage error (status 2) whose
/// message names the allowed range, before anything runs.
#[test]
fn out_of_range_values_are_usage_errors_naming_the_range() {
    let cases: &[(&[&str], &str)] = &[
        (&["--mem", "4G"], "from 64K to 3G"),
        (&["--mem", "32K"], "from 64K to 3G"),
        (&["--mem", "100000"], "a multiple of 4K"),
        (&["--stack", "5G"], "from 4K to 3G"),
        (&["--stack", "1"], "from 4K to 3G"),
        (&["--max-insns", "0"], "from 1 to"),
        (&["--timeout", "0"], "above 0 and at most"),
        (&["--timeout", "1e10"], "above 0 and at most"),
        (&["--tlb", "3"], "power of two up to 4096"),
        (&["--tlb", "8192"], "power of two up to 4096"),
        (&["--gdb", "70000"], "0..=65535"),
        (&["-O3"], "must be 0 or 2"),
    ];
    for (flags, range) in cases {
        let mut args = vec!["run"];
        args.extend_from_slice(flags);
        args.push("userland/hello");
        let o = toyemu(&args);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(2), "{flags:?}: {err}");
        assert!(err.contains(range), "{flags:?}: wanted {range:?} in {err}");
        assert!(o.stdout.is_empty(), "{flags:?}: the program must not run");
    }
    // -O is for a .c file; an executable runs as it is.
    let o = toyemu(&["run", "-O2", "userland/hello"]);
    assert_eq!(o.status.code(), Some(2));
    assert!(text(&o.stderr).contains("-O2 applies to a .c program"));
}

#[test]
fn report_json_takes_a_space_or_an_equals_sign() {
    for args in [
        &["run", "--report=json", "userland/hello"][..],
        &["run", "--report", "json", "userland/hello"],
        &["run", "--mem", "16M", "--report", "json", "userland/hello"],
    ] {
        let o = toyemu(args);
        assert_eq!(o.status.code(), Some(0), "{args:?}: {}", text(&o.stderr));
        let v: serde_json::Value = serde_json::from_str(text(&o.stderr).trim())
            .unwrap_or_else(|e| panic!("{args:?}: {e}: {}", text(&o.stderr)));
        assert_eq!(v["program"], "userland/hello");
    }
    // A bare --report is the text report; the word after it is the program.
    let o = toyemu(&["run", "--report", "userland/hello"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(text(&o.stderr).starts_with("==== toyemu memory report"));
    // After the program, `--report json` belongs to the guest.
    let o = toyemu(&["run", "userland/hello", "--report", "json"]);
    assert_eq!(o.status.code(), Some(0));
    assert!(o.stderr.is_empty(), "{}", text(&o.stderr));
}

/// `toyemu run x.c` builds at -O0 with -g unless -O2 is asked: what runs
/// is what the student wrote. -O0 code keeps every local in memory, so it
/// retires more instructions than the same program at -O2.
#[test]
fn a_c_file_is_built_at_o0_unless_o2_is_asked() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let src = dir.join("opt_level.c");
    std::fs::write(
        &src,
        "int main(void) { volatile int n = 1000; int s = 0; for (int i = 0; i < n; i++) s += i; return s & 7; }
",
    )
    .unwrap();
    let insns = |extra: &[&str]| {
        let mut args = vec!["run", "--report=json"];
        args.extend_from_slice(extra);
        args.push(src.to_str().unwrap());
        let o = toyemu(&args);
        assert_eq!(o.status.code(), Some(499500 & 7), "{}", text(&o.stderr));
        let v: serde_json::Value = serde_json::from_str(text(&o.stderr).trim()).unwrap();
        v["instructions"].as_u64().unwrap()
    };
    let (default, o0, o2) = (insns(&[]), insns(&["-O0"]), insns(&["-O2"]));
    assert_eq!(default, o0, "the default is -O0");
    assert!(
        o2 < o0,
        "-O2 ({o2}) should retire fewer instructions than -O0 ({o0})"
    );
    // Debug info either way: a fault's EIP is named with its source line.
    let crash = dir.join("opt_crash.c");
    std::fs::write(
        &crash,
        "int main(void) {\n  *(volatile int *)0 = 1;\n  return 0;\n}\n",
    )
    .unwrap();
    for opt in ["-O0", "-O2"] {
        let o = toyemu(&["run", opt, crash.to_str().unwrap()]);
        assert_eq!(o.status.code(), Some(139));
        assert!(
            text(&o.stderr).contains("(opt_crash.c:2)>"),
            "{opt}: {}",
            text(&o.stderr)
        );
    }
}

/// Files toyemu writes itself are named in the error, as "cannot write".
#[test]
fn files_it_cannot_write_say_cannot_write() {
    let dir = std::path::Path::new(env!("CARGO_TARGET_TMPDIR"));
    let file = dir.join("not-a-dir");
    std::fs::write(&file, "a file, not a directory").unwrap();
    let inside = file.join("out");
    let inside = inside.to_str().unwrap();
    for args in [
        &["run", "--trace", "syscall", "-o", inside, "userland/hello"][..],
        &["run", "--trace-json", inside, "userland/hello"],
        &[
            "run",
            "--snapshot-each=syscall",
            "--snapshot-dir",
            inside,
            "userland/hello",
        ],
    ] {
        let o = toyemu(args);
        let err = text(&o.stderr);
        assert_eq!(o.status.code(), Some(1), "{args:?}: {err}");
        assert!(
            err.starts_with(&format!("toyemu: cannot write {inside}: ")),
            "{args:?}: {err}"
        );
        assert!(o.stdout.is_empty(), "{args:?}: nothing runs");
    }
}

/// The comment at the top of leak_demo.c says how many blocks it leaks;
/// that is the number it prints and the number the heap walk finds.
#[test]
fn leak_demo_comment_counts_the_blocks_it_leaks() {
    let src = std::fs::read_to_string(root().join("userland/leak_demo.c")).unwrap();
    let head: String = src
        .split("*/")
        .next()
        .unwrap()
        .split_whitespace()
        .collect::<Vec<_>>()
        .join(" ");
    let words = ["One", "Two", "Three", "Four", "Five", "Six"];
    let said = words
        .iter()
        .position(|w| head.contains(&format!("{w} blocks are never freed")))
        .map(|i| i + 1)
        .unwrap_or_else(|| panic!("no \"N blocks are never freed\" in {head}"));
    let c = run(&userland("leak_demo"), &[]);
    let out = String::from_utf8_lossy(&c.stdout);
    let printed = out
        .lines()
        .find(|l| l.contains("still allocated"))
        .expect("leak_demo says what it leaves allocated");
    // "blocks 0, 2, 4 and the 900-byte block": three numbered and one more.
    let numbered = printed
        .split("blocks ")
        .nth(1)
        .unwrap()
        .split(" and")
        .next()
        .unwrap();
    assert_eq!(numbered.split(", ").count() + 1, said, "{printed}");
    assert_eq!(c.report.at_exit.leaks.blocks.len(), said, "the heap walk");
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
