//! Threads: clone(CLONE_VM | CLONE_THREAD), futex, and how a thread group
//! ends, seen through the toy libc's thread API (userland/threads_demo,
//! tests/scenarios/thread_exits.c). pthreads on glibc and musl are in
//! tests/real/threads.c (real_programs: identical to native).

mod common;

use common::*;
use toyemu::compile::Opt;
use toyemu::{Captured, Options};
use toyemu_kernel::trace::EventKind;

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

fn exits(c: &Captured) -> Vec<(Option<u32>, i32)> {
    c.report
        .events
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::ThreadExited { code, .. } => Some((e.pid, code)),
            _ => None,
        })
        .collect()
}

#[test]
fn threads_share_the_heap_and_each_has_its_own_stack() {
    let c = run(&userland("threads_demo"), &[]);
    let out = text(&c.stdout);
    assert_eq!(c.report.status.code(), 0, "{out}");
    for tid in [2, 3] {
        assert!(
            out.contains(&format!("\"written by thread {tid}\"")),
            "{out}"
        );
        let line = out
            .lines()
            .find(|l| l.starts_with(&format!("thread {tid}: its local")))
            .unwrap_or_else(|| panic!("{out}"));
        assert!(line.ends_with(": yes"), "{line}");
    }
    let ev = &c.report.events;
    let made: Vec<u32> = ev
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::ThreadCreated { tid, .. } => Some(tid),
            _ => None,
        })
        .collect();
    assert_eq!(made, [2, 3]);
    let mut ended = exits(&c);
    ended.sort();
    assert_eq!(ended, [(Some(2), 0), (Some(3), 0)]);
    // Switches between threads of one process keep CR3 and the TLB.
    let switches: Vec<bool> = ev
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Switch { flushed, .. } => Some(flushed),
            _ => None,
        })
        .collect();
    assert!(!switches.is_empty(), "the threads took turns");
    assert!(switches.iter().all(|f| !f), "{switches:?}");
    // The report lists the one process, with the threads it started.
    assert_eq!(c.report.processes.len(), 1);
    assert_eq!(c.report.processes[0].threads, 2);
    assert_all_reclaimed(&c);
}

#[test]
fn joined_threads_hand_back_their_values() {
    let exe = build("tests/scenarios/thread_exits.c", Opt::O2);
    let c = run(&exe, &["join"]);
    assert_eq!(text(&c.stdout), "joined: 11 22\n");
    assert_eq!(c.report.status.code(), 0);
    assert_eq!(exits(&c).len(), 2);
    assert_all_reclaimed(&c);
}

#[test]
fn exit_group_from_a_thread_ends_the_process_in_the_leaders_name() {
    let exe = build("tests/scenarios/thread_exits.c", Opt::O2);
    let c = run(&exe, &["group"]);
    assert_eq!(c.report.status.code(), 3, "{}", text(&c.stdout));
    assert!(text(&c.stdout).is_empty());
    // The thread that called it is told gone; main (pid 1) ends as the process.
    assert_eq!(exits(&c), [(Some(2), 3)]);
    assert_all_reclaimed(&c);
}

#[test]
fn a_leader_that_exits_alone_leaves_the_process_to_its_last_thread() {
    let exe = build("tests/scenarios/thread_exits.c", Opt::O2);
    let c = run(&exe, &["leader"]);
    assert_eq!(c.report.status.code(), 5);
    // main's thread ends first; the last thread's end is the process's.
    assert_eq!(exits(&c), [(Some(1), 0), (Some(2), 5)]);
    assert_all_reclaimed(&c);
}

#[test]
fn a_thread_that_execs_takes_the_process_with_it() {
    let exe = build("tests/scenarios/thread_exits.c", Opt::O2);
    let c = run(&exe, &["exec"]);
    // The new program (run with "join") prints, as pid 1, and ends the process.
    assert_eq!(text(&c.stdout), "joined: 11 22\n");
    assert_eq!(c.report.status.code(), 0);
    assert_eq!(c.report.processes.len(), 1);
    assert_all_reclaimed(&c);
}

#[test]
fn a_fault_in_one_thread_kills_every_thread() {
    let exe = build("tests/scenarios/thread_exits.c", Opt::O2);
    let c = run(&exe, &["segv"]);
    assert_eq!(c.report.status.code(), 128 + 11);
    assert!(text(&c.stdout).is_empty());
    assert_all_reclaimed(&c);
}

#[test]
fn threads_work_at_any_quantum() {
    let exe = build("tests/scenarios/thread_exits.c", Opt::O2);
    for q in [1, 7, 1000] {
        let opts = Options {
            quantum: q,
            ..Options::default()
        };
        let c = run_with(&exe, &["join"], &opts);
        assert_eq!(text(&c.stdout), "joined: 11 22\n", "quantum {q}");
        assert_all_reclaimed(&c);
    }
}
