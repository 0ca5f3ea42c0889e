//! Real programs under the invariant checker: every memory program of the
//! corpus (and the malloc ones) runs with `invariants::check` after each
//! syscall, so VMAs, page tables, TLB and frame allocator must agree at
//! every step of a real run, not only in the kernel's property tests.

mod common;

use common::*;
use std::cell::RefCell;
use std::rc::Rc;
use toyemu::compile::Opt;
use toyemu::{Options, Session};
use toyemu_kernel::{invariants, Console};

/// Run `exe` with the checker after every syscall; the first violation, if any.
fn checked_run(exe: &std::path::Path, mem_bytes: u64) -> Result<(), String> {
    let opts = Options {
        mem_bytes,
        ..Options::default()
    };
    let console = Console::captured(
        Box::new(std::io::empty()),
        Box::new(std::io::sink()),
        Box::new(std::io::sink()),
    );
    let bytes = std::fs::read(exe).map_err(|e| e.to_string())?;
    let argv = vec![
        exe.display().to_string(),
        "alpha".into(),
        "beta gamma".into(),
    ];
    let mut s =
        Session::boot(exe, bytes, &argv, &opts, console, Vec::new()).map_err(|e| e.to_string())?;
    let first: Rc<RefCell<Option<String>>> = Rc::default();
    let (seen, mut calls) = (first.clone(), 0u64);
    s.kernel.after_each_syscall(Box::new(move |k, p, nr| {
        calls += 1;
        if p.mm().is_none() || seen.borrow().is_some() {
            return;
        }
        if let Err(e) = invariants::check(k, p) {
            *seen.borrow_mut() = Some(format!("after syscall #{calls} (nr {nr}): {e}"));
        }
    }));
    let report = s.run_to_exit();
    if let Some(e) = first.borrow_mut().take() {
        return Err(e);
    }
    if report.free_after != report.free_before {
        return Err(format!(
            "{} frames not returned",
            report.free_before - report.free_after
        ));
    }
    Ok(())
}

#[test]
fn memory_programs_keep_every_invariant_at_every_syscall() {
    let mut progs: Vec<String> = std::fs::read_dir(root().join("tests/corpus"))
        .expect("tests/corpus")
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| (n.starts_with("mm_") || n.starts_with("malloc_")) && n.ends_with(".c"))
        .collect();
    progs.sort();
    assert!(progs.len() >= 15, "the memory corpus is there: {progs:?}");
    let mut failures = Vec::new();
    for name in &progs {
        let exe = build(&format!("tests/corpus/{name}"), Opt::O2);
        if let Err(e) = checked_run(&exe, 64 << 20) {
            failures.push(format!("{name}: {e}"));
        }
    }
    for demo in ["leak_demo", "brk_demo", "mmap_demo"] {
        if let Err(e) = checked_run(&userland(demo), 64 << 20) {
            failures.push(format!("{demo}: {e}"));
        }
    }
    if let Err(e) = checked_run(&userland("oom_demo"), 4 << 20) {
        failures.push(format!("oom_demo on 4 MiB: {e}"));
    }
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
