//! Shared helpers for the integration tests: find and build guest programs,
//! run them under toyemu with output captured, and run them natively.

#![allow(dead_code)]

pub mod real;

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use toyemu::compile::{compile_c, Opt};
use toyemu::{Captured, Options};

pub fn root() -> PathBuf {
    PathBuf::from(env!("CARGO_MANIFEST_DIR"))
}

/// A built userland program (build.rs made them before any test runs).
pub fn userland(name: &str) -> PathBuf {
    let p = root().join("userland").join(name);
    assert!(
        p.exists(),
        "{} is missing: the build script should have built it (make -C userland)",
        p.display()
    );
    p
}

/// Build `src` (relative to the repository root) at `opt`. Tests run in
/// parallel, several test binaries at once, and may build the same program:
/// each compiles to its own file and renames it into place, which is atomic,
/// so no test ever runs a half-written executable.
pub fn build(src: &str, opt: Opt) -> PathBuf {
    let src = root().join(src);
    // Named after its folder too: tests/corpus/x.c and tests/hostile/x.c differ.
    let folder = src
        .parent()
        .and_then(|d| d.file_name())
        .unwrap_or_default()
        .to_string_lossy();
    let stem = format!("{folder}-{}", src.file_stem().unwrap().to_string_lossy());
    let dir = Path::new(env!("CARGO_TARGET_TMPDIR")).join("guest");
    std::fs::create_dir_all(&dir).unwrap();
    let out = dir.join(format!("{stem}{}", opt.flag()));
    static NEXT: std::sync::atomic::AtomicU32 = std::sync::atomic::AtomicU32::new(0);
    let n = NEXT.fetch_add(1, std::sync::atomic::Ordering::Relaxed);
    let tmp = dir.join(format!(".{stem}{}.{}.{n}", opt.flag(), std::process::id()));
    compile_c(&src, &tmp, opt).unwrap_or_else(|e| panic!("{e}"));
    std::fs::rename(&tmp, &out).unwrap();
    out
}

pub fn run(path: &Path, args: &[&str]) -> Captured {
    run_with(path, args, &Options::default())
}

pub fn run_with(path: &Path, args: &[&str], opts: &Options) -> Captured {
    toyemu::run_captured(path, args, opts, b"").unwrap_or_else(|e| panic!("{e}"))
}

/// Every frame the process took is back, and the ledger balances.
pub fn assert_all_reclaimed(c: &Captured) {
    let r = &c.report;
    assert_eq!(
        r.free_after, r.free_before,
        "free frames after exit differ from before: {r:#?}"
    );
    assert_eq!(
        r.record.ledger.outstanding(),
        0,
        "ledger does not balance: {:?}",
        r.record.ledger
    );
}

/// The result of running a program natively.
#[derive(Debug, PartialEq, Eq)]
pub struct Native {
    pub stdout: Vec<u8>,
    /// Exit code, or 128 + signal.
    pub status: i32,
}

/// Run an i386 program on the host, without address randomisation,
/// with the same arguments, empty environment and empty stdin as toyemu gets.
pub fn run_native(path: &Path, args: &[&str]) -> Result<Native, String> {
    run_native_env(path, args, &[])
}

/// [`run_native`] with `env` (`KEY=VALUE` each) as the whole environment.
pub fn run_native_env(path: &Path, args: &[&str], env: &[String]) -> Result<Native, String> {
    use std::os::unix::process::ExitStatusExt;
    let out = Command::new("setarch")
        .arg("i686")
        .arg("-R")
        .arg(path)
        .args(args)
        .env_clear()
        .envs(env.iter().filter_map(|kv| kv.split_once('=')))
        .stdin(Stdio::null())
        .stderr(Stdio::null())
        .output()
        .map_err(|e| format!("cannot run setarch: {e}"))?;
    let status = match (out.status.code(), out.status.signal()) {
        (Some(c), _) => c,
        (None, Some(s)) => 128 + s,
        _ => return Err("native run ended without a status".into()),
    };
    Ok(Native {
        stdout: out.stdout,
        status,
    })
}

/// Can this host run i386 executables? Tells why not if it cannot.
pub fn native_i386_works() -> Result<(), String> {
    let hello = userland("hello");
    match run_native(&hello, &[]) {
        Ok(n) if n.status == 0 && !n.stdout.is_empty() => Ok(()),
        Ok(n) => Err(format!(
            "native i386 run of {} gave status {} and {} bytes",
            hello.display(),
            n.status,
            n.stdout.len()
        )),
        Err(e) => Err(e),
    }
}

/// Where the heap of the ELF at `path` starts: the page after its highest
/// loaded byte. Tests ask rather than hard-code it, so a libc that grows by
/// a page does not move their expectations.
pub fn heap_start(path: &Path) -> u32 {
    use object::{Object, ObjectSegment};
    let bytes = std::fs::read(path).expect("read the ELF");
    let elf = object::File::parse(&*bytes).expect("parse the ELF");
    let end = elf
        .segments()
        .map(|s| s.address() + s.size())
        .max()
        .expect("a loadable segment");
    (end as u32 + 0xfff) & !0xfff
}
