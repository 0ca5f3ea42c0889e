//! Processes: fork and copy-on-write as the trace and the report show them,
//! wait statuses, orphans, deadlocks, and the property test over random
//! forks, exits, mmaps, munmaps and writes.
//!
//! (The programs that must behave exactly as natively, proc_wait and
//! proc_pipe, are in tests/corpus: the differential test runs them.)

mod common;

use common::*;
use std::cell::RefCell;
use std::rc::Rc;
use toyemu::compile::Opt;
use toyemu::{Options, Session};
use toyemu_kernel::fault::Fill;
use toyemu_kernel::trace::EventKind;
use toyemu_kernel::{invariants, Console, RunState};

fn text(b: &[u8]) -> String {
    String::from_utf8_lossy(b).into_owned()
}

#[test]
fn fork_shares_every_page_and_a_write_copies_only_that_page() {
    let c = run(&userland("fork_cow"), &[]);
    let out = text(&c.stdout);
    assert!(
        out.contains("child 2 (parent 1): wrote 4 pages, page 0 at 0x8051000 holds 'A'"),
        "{out}"
    );
    assert!(out.contains("parent: child 2 exited with 7"), "{out}");
    // The same virtual address held different bytes in the two processes.
    assert!(
        out.contains("parent: page 0 at 0x8051000 still holds 'a'"),
        "{out}"
    );
    let ev = &c.report.events;
    let forked = ev
        .iter()
        .find_map(|e| match e.kind {
            EventKind::Forked { shared, tables, .. } => Some((shared, tables)),
            _ => None,
        })
        .expect("a fork event");
    // 16 data pages, the stack's and the text's: everything the parent had touched.
    assert!(forked.0 >= 16, "{forked:?}");
    let cow = |pid: u32, fill: Fill| {
        ev.iter()
            .filter(|e| e.pid == Some(pid))
            .filter(|e| {
                matches!(&e.kind, EventKind::PageFault { result: Ok(m), addr, .. }
                if m.fill == fill && (0x0805_1000..0x0806_1000).contains(&addr.0))
            })
            .count()
    };
    assert_eq!(
        cow(2, Fill::CowCopy),
        4,
        "the child copies the 4 pages it writes"
    );
    assert_eq!(cow(2, Fill::CowReuse), 0);
    assert_eq!(
        cow(1, Fill::CowReuse),
        1,
        "the parent takes its page 0 back without a copy"
    );
    assert_eq!(cow(1, Fill::CowCopy), 0);
    let exit_shared: Vec<u32> = ev
        .iter()
        .filter_map(|e| match e.kind {
            EventKind::Exit { still_shared, .. } => Some(still_shared),
            _ => None,
        })
        .collect();
    assert_eq!(exit_shared.len(), 2);
    assert!(
        exit_shared[0] > 0,
        "the child left frames the parent still holds"
    );
    assert_eq!(
        exit_shared[1], 0,
        "the last process holds every frame alone"
    );
    // Every frame back, and the report lists both processes.
    assert_all_reclaimed(&c);
    let p = &c.report.processes;
    assert_eq!(p.len(), 2);
    assert_eq!((p[1].pid, p[1].ppid, p[1].status.code()), (2, 1, 7));
    assert!(p[1].stats.cow_copies >= 4, "{:?}", p[1].stats);
    assert!(c.report.switches >= 2);
    let report = toyemu::report::text(&c.report);
    assert!(report.contains("-- processes: 2,"), "{report}");
}

#[test]
fn trace_lines_carry_the_pid_once_there_are_two_processes() {
    let out = std::process::Command::new(env!("CARGO_BIN_EXE_toyemu"))
        .args(["run", "--trace", "syscall,sched"])
        .arg(userland("fork_cow"))
        .output()
        .expect("toyemu runs");
    let err = text(&out.stderr);
    let first_fork = err.lines().position(|l| l.contains("fork()")).expect(&err);
    assert!(!err.lines().next().unwrap().starts_with("[pid"), "{err}");
    assert!(
        err.lines()
            .nth(first_fork)
            .unwrap()
            .starts_with("[pid     1] fork() = 2"),
        "{err}"
    );
    assert!(
        err.contains("[pid     2] --- switch pid 1 -> pid 2 (blocked in wait4): cr3="),
        "{err}"
    );
    assert!(
        err.contains("[pid     1] wait4(2, [{WIFEXITED(s) && WEXITSTATUS(s) == 7}], 0, NULL) = 2"),
        "{err}"
    );
    assert!(err.contains("[pid     2] +++ exited with 7"), "{err}");
}

#[test]
fn an_orphan_is_adopted_by_the_first_process() {
    let exe = build("tests/scenarios/proc_orphan.c", Opt::O2);
    let c = run(&exe, &[]);
    let out = text(&c.stdout);
    assert!(out.contains("grandchild: parent was 2, now 1"), "{out}");
    assert!(out.contains("first: reaped adopted pid 3, exit 3"), "{out}");
    assert_eq!(c.report.status.code(), 0);
    assert_all_reclaimed(&c);
}

#[test]
fn processes_that_wait_for_each_other_forever_are_killed() {
    let exe = build("tests/scenarios/proc_deadlock.c", Opt::O2);
    let c = run(&exe, &[]);
    assert_eq!(c.report.status.code(), 137, "{:?}", c.report.status);
    let death = c.report.status.death().expect("killed").to_string();
    assert!(death.contains("every process is asleep"), "{death}");
    assert_eq!(c.report.processes.len(), 2);
    assert!(c.report.processes.iter().all(|p| p.status.code() == 137));
    assert_all_reclaimed(&c);
}

#[test]
fn a_fork_bomb_stops_at_rlimit_nproc_and_every_frame_comes_back() {
    let c = run(&userland("fork_bomb"), &[]);
    let out = text(&c.stdout);
    assert!(
        out.contains("fork failed with EAGAIN after 39 children of its own"),
        "{out}"
    );
    let n = c.report.processes.len();
    assert!(n > 100, "{n} processes");
    assert!(
        out.contains(&format!("reaped {} processes", n - 1)),
        "{out}"
    );
    assert!(out.contains("wait now says ECHILD"), "{out}");
    assert!(c
        .report
        .processes
        .iter()
        .all(|p| p.status.death().is_none()));
    assert_all_reclaimed(&c);
}

#[test]
fn the_oom_killer_kills_the_biggest_process_not_the_one_that_faulted() {
    let exe = build("tests/scenarios/proc_oom.c", Opt::O2);
    let opts = Options {
        mem_bytes: 4 << 20,
        ..Options::default()
    };
    let c = run_with(&exe, &[], &opts);
    let out = text(&c.stdout);
    assert!(out.contains("grower: exited 0"), "{out}");
    assert!(out.contains("hog: killed by 9"), "{out}");
    let death = c
        .report
        .events
        .iter()
        .find_map(|e| match &e.kind {
            EventKind::Killed { death } => Some(death.to_string()),
            _ => None,
        })
        .expect("a kill");
    assert!(
        death.contains("Killed process 2 (")
            && death.contains("the biggest process; pid 3 found no free frame"),
        "{death}"
    );
    assert_all_reclaimed(&c);
}

/// Run fork_storm with `seed` and `quantum` in slices of `slice`
/// instructions, checking every invariant after each syscall and each
/// slice (a slice often ends just after a switch). The first violation.
fn storm(exe: &std::path::Path, seed: u32, quantum: u64, slice: u64) -> Result<(), String> {
    let opts = Options {
        quantum,
        mem_bytes: 8 << 20,
        keep_events: false,
        ..Options::default()
    };
    let console = Console::captured(
        Box::new(std::io::empty()),
        Box::new(std::io::sink()),
        Box::new(std::io::sink()),
    );
    let bytes = std::fs::read(exe).map_err(|e| e.to_string())?;
    let argv = vec![exe.display().to_string(), seed.to_string()];
    let mut s =
        Session::boot(exe, bytes, &argv, &opts, console, Vec::new()).map_err(|e| e.to_string())?;
    let first: Rc<RefCell<Option<String>>> = Rc::default();
    let seen = first.clone();
    s.kernel.after_each_syscall(Box::new(move |k, p, nr| {
        if p.mm().is_some() && seen.borrow().is_none() {
            if let Err(e) = invariants::check(k, p) {
                *seen.borrow_mut() = Some(format!("after syscall {nr} of pid {}: {e}", p.pid()));
            }
        }
    }));
    // Every frame but frame 0 was free before the first process was made.
    let free_before = s.kernel.frames().total_frames() - 1;
    let mut slices = 0u64;
    loop {
        match s.kernel.run(&mut s.process, slice) {
            RunState::Exited(_) => break,
            RunState::Running => {}
            other => return Err(format!("unexpected stop {other:?}")),
        }
        slices += 1;
        if slices > 200_000 {
            return Err("still running after 200,000 slices".into());
        }
        if let Err(e) = invariants::check(&s.kernel, &s.process) {
            return Err(format!(
                "after slice {slices} (pid {}): {e}",
                s.process.pid()
            ));
        }
    }
    if let Some(e) = first.borrow_mut().take() {
        return Err(e);
    }
    let k = &s.kernel;
    if k.frames().free_frames() != free_before {
        return Err(format!(
            "{} frames not returned",
            free_before as i64 - k.frames().free_frames() as i64
        ));
    }
    if k.frames().shared_frames() != 0 || !k.all_exited(&s.process) {
        return Err("a frame is still shared, or a process is left".into());
    }
    if s.process.pid() != 1 || k.parked().any(|q| q.pid() != 1 && !q.has_exited()) {
        return Err("the first process is not back in the caller's hands".into());
    }
    Ok(())
}

#[test]
fn random_forks_exits_mmaps_and_writes_keep_every_invariant() {
    let exe = build("tests/scenarios/fork_storm.c", Opt::O2);
    let seeds: u32 = std::env::var("TOYEMU_STORM_SEEDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(60);
    let mut failures = Vec::new();
    let mut forks_seen = 0;
    for seed in 1..=seeds {
        for (quantum, slice) in [(37, 101), (1_000, 977), (100_000, 50_000)] {
            if let Err(e) = storm(&exe, seed, quantum, slice) {
                failures.push(format!("seed {seed}, quantum {quantum}: {e}"));
            }
        }
        let c = run_with(
            &exe,
            &[&seed.to_string()],
            &Options {
                quantum: 37,
                ..Options::default()
            },
        );
        forks_seen += c.report.processes.len() - 1;
        assert_all_reclaimed(&c);
    }
    assert!(
        forks_seen >= seeds as usize,
        "the storms fork: {forks_seen} processes in all"
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn the_debugger_follows_the_process_on_the_cpu_and_names_it() {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_toyemu"))
        .arg("debug")
        .arg(userland("fork_cow"))
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .expect("toyemu debug starts");
    let cmds = "break fork_cow.c:51\ncontinue\ninfo registers eax\ncontinue\n";
    child
        .stdin
        .take()
        .unwrap()
        .write_all(cmds.as_bytes())
        .unwrap();
    let out = child.wait_with_output().unwrap();
    let all = text(&out.stdout) + &text(&out.stderr);
    // The child's write stops it; its fork() returned 0.
    assert!(
        all.contains("breakpoint 1, [pid 2] 0x0804915d <main+0x15d (fork_cow.c:51)>"),
        "{all}"
    );
    assert!(all.contains("eax 0x00000000 0"), "{all}");
    assert!(all.contains("process exited with status 0"), "{all}");
}
