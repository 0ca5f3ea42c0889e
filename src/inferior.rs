//! The debugged process, as a ptrace user sees it: the one run loop under
//! both `toyemu debug` and the gdb stub. Run it an instruction, a source
//! line or a slice at a time, until a syscall or a page fault, stop it at
//! breakpoints, and stop it *before* a fatal signal is delivered, so the
//! debugger can look at the faulting instruction while the address space
//! still exists.
//!
//! The kernel runs with `set_stop_before_signal`, so a signal about to be
//! acted on — its handler run, or the process killed — comes back from
//! `Kernel::run` as a *signal stop* (as ptrace stops a tracee before
//! delivery); it is held until the debugger resumes with that signal
//! (delivered, as gdb's default `pass` does: the handler runs, or the
//! process dies) or without it (dropped; a fault then simply happens again).
//!
//! Breakpoints are addresses compared with EIP between instructions: guest
//! memory is never patched, so reads show the real code, pages not yet
//! faulted in can hold breakpoints, and self-modifying code cannot erase one.
//! Memory is read with `Kernel::peek_user` (changes nothing) and written
//! with `Kernel::poke_user` (as ptrace's POKEDATA).
//!
//! Under `--memcheck` the kernel's tool stops (`RunState::Tool`) go to the
//! session's `Memcheck`. Its allocator hooks are invisible: they stop the
//! CPU before an instruction, which then runs within the same step, so a
//! `stepi` is still one instruction. A *new* memcheck error (the first of
//! its context, as valgrind's gdbserver stops only for those) is a
//! *memcheck stop*: before a refused access, which has not happened, or
//! just after a free() or realloc() memcheck refused. Nothing is delivered;
//! resuming runs the refused access (unchecked, as under valgrind the
//! program goes on) before anything else.

use crate::memcheck::Memcheck;
use crate::Session;
use std::collections::BTreeSet;
use toyemu_emulator::Trap;
use toyemu_kernel::signal::SIGSEGV;
use toyemu_kernel::{Death, ExitStatus, RunState, Signal};

/// Instructions run between looks at the debugger's connection when no
/// breakpoint needs checking (a few milliseconds of guest time).
const FREE_SLICE: u64 = 1 << 20;
/// Instructions stepped one by one between looks at the connection.
const STEPPED_SLICE: u32 = 1 << 12;

/// How the debugger asked the process to go on.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Resume {
    /// One instruction.
    Step,
    /// Until a breakpoint, a signal or the end.
    Continue,
    /// Until EIP leaves `[start, end)` (gdb's `next` over one source line).
    Range(u32, u32),
    /// Until the process has made one more syscall.
    NextSyscall,
    /// Until the kernel has handled one more page fault.
    NextFault,
}

/// Why the process stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The step (or range step, or wait for a syscall or fault) is done.
    DoneStep,
    /// EIP reached a breakpoint.
    Breakpoint,
    /// A signal is about to be delivered (to its handler, or fatally); the
    /// process is intact, stopped at the instruction that raised it (after
    /// it, for `int3` and syscalls).
    Signal(Signal),
    /// The debugger asked to stop (Ctrl-C).
    Interrupted,
    Exited(ExitStatus),
    /// Memcheck found a new error (the last of `Memcheck::errors`): EIP at
    /// the instruction whose access it refused, which has not run, or at
    /// the return address of a free() or realloc() it refused. Not a
    /// signal: nothing is delivered (gdb is told SIGSEGV, and passing it
    /// back changes nothing).
    MemCheck,
}

/// What a memcheck stop holds until the process resumes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MemcheckStop {
    /// The refused access (`Trap::MemCheck`), still to run.
    Access(Trap),
    /// A refused allocator call, which has returned already.
    Call,
}

pub struct Inferior {
    pub session: Session,
    breakpoints: BTreeSet<u32>,
    /// The signal a signal stop is holding back (why it was raised).
    pending: Option<Death>,
    /// The memcheck stop the process is at.
    memcheck_stop: Option<MemcheckStop>,
    max_insns: Option<u64>,
}

impl Inferior {
    pub fn new(mut session: Session, max_insns: Option<u64>) -> Inferior {
        session.kernel.set_stop_before_signal(true);
        Inferior {
            session,
            breakpoints: BTreeSet::new(),
            pending: None,
            memcheck_stop: None,
            max_insns,
        }
    }

    pub fn eip(&self) -> u32 {
        self.session.kernel.machine().cpu().eip().0
    }

    pub fn exit_status(&self) -> Option<ExitStatus> {
        self.session.process.exit_record().map(|r| r.status.clone())
    }

    /// The signal a stop is holding back: why it was raised (and what the
    /// process dies of if it has no handler).
    pub fn pending(&self) -> Option<&Death> {
        self.pending.as_ref()
    }

    /// Add a breakpoint; false if one was already there.
    pub fn add_breakpoint(&mut self, addr: u32) -> bool {
        self.breakpoints.insert(addr)
    }

    /// Remove a breakpoint; false if there was none.
    pub fn remove_breakpoint(&mut self, addr: u32) -> bool {
        self.breakpoints.remove(&addr)
    }

    pub fn breakpoints(&self) -> impl Iterator<Item = u32> + '_ {
        self.breakpoints.iter().copied()
    }

    /// Go on after a stop, delivering `signal` first if the debugger passes
    /// one: to its handler (then `Ok(None)`: the process runs on, in the
    /// handler) or fatally (`Stop::Exited`). Only the signal the process
    /// was stopped for can be delivered (this kernel has no other way to
    /// send one); any other is refused. At a memcheck stop there is no
    /// signal: SIGSEGV (which gdb was told, and passes back) is dropped.
    pub fn deliver(&mut self, signal: Option<Signal>) -> Result<Option<Stop>, String> {
        if self.memcheck_stop.is_some() {
            return match signal {
                Some(sig) if sig != SIGSEGV => Err(format!(
                    "{sig} cannot be sent to the program: it stopped for memcheck, not for a signal"
                )),
                _ => Ok(None),
            };
        }
        let pending = self.pending.take();
        let Some(sig) = signal else {
            return Ok(None);
        };
        match pending {
            Some(cause) if cause.signal() == sig => {
                let (k, p) = (&mut self.session.kernel, &mut self.session.process);
                Ok(k.deliver_signal(p, cause).map(Stop::Exited))
            }
            _ => Err(format!(
                "{sig} cannot be sent to the program: only the signal it stopped for can be delivered"
            )),
        }
    }

    /// Run as `how` says until something stops the process. `interrupted` is
    /// polled every few thousand instructions (a Ctrl-C from the debugger).
    /// At a memcheck stop the refused access runs first, as the first
    /// instruction of `how`.
    pub fn run(&mut self, how: Resume, interrupted: impl FnMut() -> bool) -> Stop {
        let stats = self.session.process.stats();
        let done = move |s: &Inferior| match how {
            Resume::Step => true,
            Resume::Continue => false,
            Resume::Range(start, end) => !(start..end).contains(&s.eip()),
            Resume::NextSyscall => s.session.process.stats().syscalls > stats.syscalls,
            Resume::NextFault => s.session.process.stats().faults > stats.faults,
        };
        // The refused access is the first instruction (a refused call has
        // returned already: nothing to run).
        if let Some(MemcheckStop::Access(trap)) = self.memcheck_stop.take() {
            if let Some(stop) = self.run_refused(trap) {
                return stop;
            }
            if how == Resume::Step {
                return Stop::DoneStep;
            }
            if self.breakpoints.contains(&self.eip()) {
                return Stop::Breakpoint;
            }
            if done(self) {
                return Stop::DoneStep;
            }
        }
        match how {
            Resume::Step => self.advance(1).unwrap_or(Stop::DoneStep),
            Resume::Continue if self.breakpoints.is_empty() => self.run_free(interrupted),
            _ => self.step_until(done, interrupted),
        }
    }

    /// Run in big slices until something stops the process.
    fn run_free(&mut self, mut interrupted: impl FnMut() -> bool) -> Stop {
        loop {
            if let Some(stop) = self.advance(FREE_SLICE) {
                return stop;
            }
            if interrupted() {
                return Stop::Interrupted;
            }
        }
    }

    /// Step one instruction at a time until `done`, a breakpoint or a stop.
    /// The first instruction always runs: the process may sit on a breakpoint.
    fn step_until(
        &mut self,
        done: impl Fn(&Inferior) -> bool,
        mut interrupted: impl FnMut() -> bool,
    ) -> Stop {
        loop {
            for _ in 0..STEPPED_SLICE {
                if let Some(stop) = self.advance(1) {
                    return stop;
                }
                if self.breakpoints.contains(&self.eip()) {
                    return Stop::Breakpoint;
                }
                if done(self) {
                    return Stop::DoneStep;
                }
            }
            if interrupted() {
                return Stop::Interrupted;
            }
        }
    }

    /// Retire at most `budget` instructions; the kernel holds fatal signals
    /// back (`set_stop_before_signal`) so they become signal stops, and
    /// memcheck's hooks are handled within the budget.
    /// `None` when the budget is spent with nothing to report.
    fn advance(&mut self, budget: u64) -> Option<Stop> {
        let mut budget = budget;
        if let Some(limit) = self.max_insns {
            let (k, p) = (&mut self.session.kernel, &mut self.session.process);
            let spent = k.insns() - p.started_at();
            if spent >= limit {
                return Some(Stop::Exited(k.kill(p, Death::InstructionLimit { limit })));
            }
            budget = budget.min(limit - spent);
        }
        loop {
            let before = self.session.kernel.insns();
            let (k, p) = (&mut self.session.kernel, &mut self.session.process);
            let trap = match k.run(p, budget) {
                RunState::Running => return None,
                RunState::Exited(status) => return Some(Stop::Exited(status)),
                RunState::Signal(death) => {
                    let sig = death.signal();
                    self.pending = Some(death);
                    return Some(Stop::Signal(sig));
                }
                RunState::Tool(trap) => trap,
            };
            // A hook reached with the budget spent is seen now (a block is
            // known as soon as its malloc returns), except at a function's
            // entry with a breakpoint: a refused free() would move EIP
            // past it, so the breakpoint stops first and the hook is the
            // next run's.
            if k.insns() - before >= budget
                && matches!(trap, Trap::Hook { eip } if self.breaks_first(eip.0))
            {
                return None;
            }
            let stop = self.tool_stop(trap);
            if let Some(status) = self.exit_status() {
                return Some(Stop::Exited(status));
            }
            if stop.is_some() {
                return stop;
            }
            let mut spent = self.session.kernel.insns() - before;
            // A refused free() returned at once: a step, as a `ret` would be.
            if matches!(trap, Trap::Hook { eip } if eip.0 != self.eip()) {
                spent += 1;
            }
            budget = budget.saturating_sub(spent);
            if budget == 0 {
                return None;
            }
        }
    }

    /// Whether a breakpoint at the hooked address `eip` stops before the hook.
    fn breaks_first(&self, eip: u32) -> bool {
        let entry = self
            .session
            .symbols
            .function(eip)
            .is_some_and(|(f, _)| f == eip);
        entry && self.breakpoints.contains(&eip)
    }

    /// A tool's stop, handed to memcheck; `Some(Stop::MemCheck)` if it
    /// found a new error there.
    fn tool_stop(&mut self, trap: Trap) -> Option<Stop> {
        let (k, p) = (&mut self.session.kernel, &mut self.session.process);
        let Some(m) = self.session.memcheck.clone() else {
            k.pass_tool_stop(p, trap);
            return None;
        };
        let mut m = m.borrow_mut();
        let seen = m.errors().len();
        let held = match trap {
            Trap::MemCheck { .. } => {
                m.report_refusal(k, p, trap);
                if m.errors().len() == seen {
                    // An error already reported: the program just goes on.
                    drop(m);
                    return self.run_refused(trap);
                }
                // In the trace now, with the stop, not when it runs.
                m.trace_errors(k);
                MemcheckStop::Access(trap)
            }
            _ => {
                // A hook: nothing comes back to run.
                let _ = m.on_stop(k, p, trap);
                if m.errors().len() == seen {
                    return None;
                }
                MemcheckStop::Call
            }
        };
        self.memcheck_stop = Some(held);
        Some(Stop::MemCheck)
    }

    /// Run the access memcheck refused (unchecked), as the program goes on
    /// under valgrind; `Some` if that stopped it: an access that faults as
    /// well (a read running off the heap's last page) is a signal stop.
    fn run_refused(&mut self, trap: Trap) -> Option<Stop> {
        let (k, p) = (&mut self.session.kernel, &mut self.session.process);
        let state = match &self.session.memcheck {
            Some(_) => Memcheck::run_refused(k, p, trap),
            None => k.pass_tool_stop(p, trap),
        };
        match state {
            RunState::Signal(death) => {
                let sig = death.signal();
                self.pending = Some(death);
                Some(Stop::Signal(sig))
            }
            RunState::Exited(status) => Some(Stop::Exited(status)),
            _ => self.exit_status().map(Stop::Exited),
        }
    }

    /// Run to the end without a debugger (after a detach): a held signal is
    /// delivered, as it would have been.
    pub fn finish(&mut self) -> ExitStatus {
        loop {
            if let Some(MemcheckStop::Access(trap)) = self.memcheck_stop.take() {
                if let Some(Stop::Exited(status)) = self.run_refused(trap) {
                    return status;
                }
            }
            if let Some(cause) = self.pending.take() {
                let (k, p) = (&mut self.session.kernel, &mut self.session.process);
                if !p.has_exited() {
                    if let Some(status) = k.deliver_signal(p, cause) {
                        return status;
                    }
                }
            }
            if let Some(Stop::Exited(status)) = self.advance(FREE_SLICE) {
                return status;
            }
        }
    }

    /// Read guest memory at `addr` into `out` without changing the address
    /// space (see `Kernel::peek_user`). Returns how many bytes, from the
    /// start, could be read.
    pub fn read_memory(&self, addr: u32, out: &mut [u8]) -> usize {
        let s = &self.session;
        s.kernel.peek_user(&s.process, addr, out)
    }

    /// Write guest memory as ptrace's POKEDATA does (see `Kernel::poke_user`).
    pub fn write_memory(&mut self, addr: u32, data: &[u8]) -> Result<(), String> {
        let s = &mut self.session;
        s.kernel.poke_user(&mut s.process, addr, data)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Console, Options, SharedBuf};
    use std::path::Path;
    use toyemu_emulator::VirtAddr;

    fn boot(program: &str) -> Inferior {
        boot_with(program, &Options::default()).0
    }

    /// `program` booted with `opts`, and its captured stdout.
    fn boot_with(program: &str, opts: &Options) -> (Inferior, SharedBuf) {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(program);
        let bytes = std::fs::read(&path).expect("userland is built by build.rs");
        let out = SharedBuf::default();
        let console = Console::captured(
            Box::new(std::io::empty()),
            Box::new(out.clone()),
            Box::new(SharedBuf::default()),
        );
        let argv = vec![path.display().to_string()];
        let s = Session::boot(&path, bytes, &argv, opts, console, Vec::new()).unwrap();
        (Inferior::new(s, opts.max_insns), out)
    }

    /// This module drives traps into the kernel itself: a run under it that
    /// delivers every signal must be indistinguishable from `toyemu run`,
    /// event for event. (A change to `Kernel::run` that this file does not
    /// mirror shows up here.)
    #[test]
    fn a_debugged_run_is_the_same_run() {
        let opts = Options {
            keep_events: true,
            trace_tlb: true,
            ..Options::default()
        };
        let limited = Options {
            max_insns: Some(5000),
            ..opts.clone()
        };
        for (program, opts) in [
            ("userland/hello", &opts),
            ("userland/leak_demo", &opts),
            ("userland/mmap_demo", &opts),
            ("userland/segv_demo", &opts),
            ("userland/sigsegv_demo", &opts),
            ("userland/leak_demo", &limited),
        ] {
            let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(program);
            let plain = crate::run_captured(&path, &[], opts, b"").unwrap();
            let (mut inf, out) = boot_with(program, opts);
            let status = loop {
                match inf.run(Resume::Continue, never) {
                    Stop::Exited(s) => break s,
                    Stop::Signal(sig) => {
                        if let Ok(Some(Stop::Exited(s))) = inf.deliver(Some(sig)) {
                            break s;
                        }
                    }
                    other => panic!("{program}: unexpected {other:?}"),
                }
            };
            let debugged = inf.session.into_report();
            assert_eq!(status, plain.report.status, "{program}");
            assert_eq!(debugged.stats, plain.report.stats, "{program}");
            assert_eq!(debugged.tlb, plain.report.tlb, "{program}");
            assert_eq!(debugged.free_after, plain.report.free_after, "{program}");
            assert_eq!(*out.0.borrow(), plain.stdout, "{program}");
            assert_eq!(
                debugged.events.len(),
                plain.report.events.len(),
                "{program}"
            );
            for (a, b) in debugged.events.iter().zip(&plain.report.events) {
                assert_eq!(a, b, "{program}");
            }
        }
    }

    fn never() -> bool {
        false
    }

    #[test]
    fn breakpoint_at_main_then_exit_like_a_plain_run() {
        let mut inf = boot("userland/hello");
        let main = inf.session.symbols.lookup("main").unwrap();
        assert!(inf.add_breakpoint(main));
        assert_eq!(inf.run(Resume::Continue, never), Stop::Breakpoint);
        assert_eq!(inf.eip(), main);
        // Continuing from the breakpoint runs past it.
        let stop = inf.run(Resume::Continue, never);
        assert!(
            matches!(stop, Stop::Exited(ref s) if s.code() == 0),
            "{stop:?}"
        );
    }

    #[test]
    fn segv_stops_before_death_and_is_delivered_on_resume() {
        let mut inf = boot("userland/segv_demo");
        let stop = inf.run(Resume::Continue, never);
        assert_eq!(stop, Stop::Signal(toyemu_kernel::signal::SIGSEGV));
        // Still alive: the address space is there to look at.
        assert!(inf.session.process.mm().is_some());
        let eip = inf.eip();
        // Resuming without the signal re-runs the faulting instruction.
        assert_eq!(inf.deliver(None), Ok(None));
        assert_eq!(
            inf.run(Resume::Continue, never),
            Stop::Signal(toyemu_kernel::signal::SIGSEGV)
        );
        assert_eq!(inf.eip(), eip);
        let Ok(Some(Stop::Exited(status))) = inf.deliver(Some(toyemu_kernel::signal::SIGSEGV))
        else {
            panic!("SIGSEGV was not delivered");
        };
        assert_eq!(status.code(), 139);
        assert!(inf.session.process.mm().is_none());
    }

    #[test]
    fn a_signal_with_a_handler_stops_first_and_resuming_runs_the_handler() {
        let (mut inf, out) = boot_with("userland/sigsegv_demo", &Options::default());
        let sigsegv = toyemu_kernel::signal::SIGSEGV;
        let handlers = inf
            .session
            .symbols
            .lookup("fix_guard")
            .zip(inf.session.symbols.lookup("bail_out"))
            .unwrap();
        let mut stops = Vec::new();
        let status = loop {
            match inf.run(Resume::Continue, never) {
                Stop::Exited(s) => break s,
                Stop::Signal(sig) => {
                    assert_eq!(sig, sigsegv);
                    // Stopped at the faulting instruction, before the frame.
                    let eip = inf.eip();
                    assert!(eip != handlers.0 && eip != handlers.1);
                    let action = inf.session.process.signals().action(sig);
                    stops.push(action.handler);
                    // Resuming without the signal drops it: the fault again.
                    assert_eq!(inf.deliver(None), Ok(None));
                    assert_eq!(inf.run(Resume::Continue, never), Stop::Signal(sig));
                    assert_eq!(inf.eip(), eip);
                    // With it: the handler runs (nothing stops yet).
                    assert_eq!(inf.deliver(Some(sig)), Ok(None));
                    assert_eq!(inf.eip(), action.handler, "the handler is next");
                }
                other => panic!("unexpected {other:?}"),
            }
        };
        assert_eq!(status.code(), 0);
        assert_eq!(stops, vec![handlers.0, handlers.1, handlers.1]);
        assert!(String::from_utf8_lossy(&out.0.borrow()).contains("3 faults caught"));
    }

    #[test]
    fn reads_do_not_fault_pages_in_and_show_the_first_touch_contents() {
        let inf = boot("userland/hello");
        let main = inf.session.symbols.lookup("main").unwrap();
        let faults = inf.session.process.stats().faults;
        let mut code = [0u8; 16];
        assert_eq!(inf.read_memory(main, &mut code), 16);
        assert_eq!(inf.session.process.stats().faults, faults);
        let mm = inf.session.process.mm().unwrap();
        let pte = mm.peek_slot(inf.session.kernel.machine().mmu(), VirtAddr(main));
        assert!(!pte.pte().is_present(), "text page stays absent");
        // The bytes are the file's: compare with the ELF image.
        let image = &inf.session.process.image();
        let seg = image
            .segments
            .iter()
            .find(|s| s.start().0 <= main && main < s.end().0)
            .unwrap();
        let (vaddr, off, _) = seg.file_window();
        let at = (off + (main - vaddr)) as usize;
        assert_eq!(&code[..], &image.bytes[at..at + 16]);
        // Nothing mapped at 0, or in kernel space.
        assert_eq!(inf.read_memory(0, &mut code), 0);
        assert_eq!(inf.read_memory(0xc000_0000, &mut code), 0);
        // A read running off the end of the stack stops at the end.
        let mut tail = [0u8; 8];
        assert_eq!(inf.read_memory(0xbffffffc, &mut tail), 4);
    }

    #[test]
    fn writes_reach_read_only_pages_and_running_code_sees_them() {
        let mut inf = boot("userland/hello");
        let main = inf.session.symbols.lookup("main").unwrap();
        inf.add_breakpoint(main);
        assert_eq!(inf.run(Resume::Continue, never), Stop::Breakpoint);
        // `mov eax, 42; int 0x80` would be exit(42) if EBX were 42: patch
        // main to `mov ebx, 42; mov eax, 1; int 0x80`.
        let code = [0xbb, 42, 0, 0, 0, 0xb8, 1, 0, 0, 0, 0xcd, 0x80];
        inf.write_memory(main, &code).unwrap();
        let mut back = [0u8; 12];
        inf.read_memory(main, &mut back);
        assert_eq!(back, code);
        let stop = inf.run(Resume::Continue, never);
        assert!(
            matches!(stop, Stop::Exited(ref s) if s.code() == 42),
            "{stop:?}"
        );
        assert!(inf.write_memory(main, &[0]).is_err());
    }

    fn memcheck() -> Options {
        Options {
            memcheck: true,
            ..Options::default()
        }
    }

    /// The line of a userland source marked with `mark` (`/* BUG */`).
    fn marked_line(source: &str, mark: &str) -> u32 {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(source);
        let text = std::fs::read_to_string(path).unwrap();
        1 + text.lines().position(|l| l.contains(mark)).expect(mark) as u32
    }

    fn errors_of(inf: &Inferior) -> usize {
        inf.session
            .memcheck
            .as_ref()
            .unwrap()
            .borrow()
            .errors()
            .len()
    }

    /// Under memcheck, a debugged run that goes on from each memcheck stop
    /// is the plain `run --memcheck`: same errors, same summary, same
    /// events and output. Each stop comes with one new error.
    #[test]
    fn a_debugged_memcheck_run_is_the_same_run() {
        let opts = memcheck();
        for program in [
            "userland/bug_overflow",
            "userland/bug_use_after_free",
            "userland/bug_double_free",
            "userland/bug_leaks",
            "userland/leak_demo",
        ] {
            let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(program);
            let plain = crate::run_captured(&path, &[], &opts, b"").unwrap();
            let (mut inf, out) = boot_with(program, &opts);
            let mut stops = 0;
            let status = loop {
                match inf.run(Resume::Continue, never) {
                    Stop::Exited(s) => break s,
                    Stop::MemCheck => {
                        stops += 1;
                        assert_eq!(errors_of(&inf), stops, "{program}");
                        assert_eq!(inf.deliver(None), Ok(None));
                    }
                    other => panic!("{program}: unexpected {other:?}"),
                }
            };
            let debugged = inf.session.into_report();
            let summary = plain.report.memcheck.clone().unwrap();
            assert_eq!(stops, summary.errors.len(), "{program}");
            assert_eq!(debugged.memcheck.unwrap(), summary, "{program}");
            assert_eq!(status, plain.report.status, "{program}");
            assert_eq!(debugged.stats, plain.report.stats, "{program}");
            assert_eq!(*out.0.borrow(), plain.stdout, "{program}");
            assert_eq!(debugged.events, plain.report.events, "{program}");
        }
    }

    /// `stepi` all the way through bug_overflow under memcheck: every step
    /// is one instruction (the allocator's hooks at malloc's and free's
    /// entries and returns fire inside steps, unseen), except the memcheck
    /// stop, which runs none: EIP at the BUG line's store, which has not
    /// happened. The next step runs it. In the end the same as a free run.
    #[test]
    fn stepping_under_memcheck_is_one_instruction_a_step_and_stops_before_the_bad_write() {
        let program = "userland/bug_overflow";
        let (mut inf, _) = boot_with(program, &memcheck());
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(program);
        let plain = crate::run_captured(&path, &[], &memcheck(), b"").unwrap();
        let bug = format!(
            "(bug_overflow.c:{})",
            marked_line("userland/bug_overflow.c", "/* BUG */")
        );
        let (malloc, free) = {
            let syms = &inf.session.symbols;
            (syms.lookup("malloc").unwrap(), syms.lookup("free").unwrap())
        };
        let (mut at_malloc, mut at_free, mut stops) = (0, 0, Vec::new());
        let status = loop {
            let before = inf.session.kernel.insns();
            let eip = inf.eip();
            at_malloc += (eip == malloc) as u32;
            at_free += (eip == free) as u32;
            let stop = inf.run(Resume::Step, never);
            let ran = inf.session.kernel.insns() - before;
            match stop {
                Stop::DoneStep => assert_eq!(ran, 1, "at {eip:#010x}"),
                Stop::MemCheck => {
                    assert_eq!(ran, 0, "the refused store has not run");
                    assert_eq!(inf.eip(), eip);
                    stops.push(inf.session.symbols.describe(eip));
                }
                Stop::Exited(s) => break s,
                other => panic!("unexpected {other:?} at {eip:#010x}"),
            }
        };
        assert_eq!(stops.len(), 1, "{stops:?}");
        assert!(stops[0].ends_with(&bug), "{stops:?} {bug}");
        assert!(
            at_malloc >= 1 && at_free >= 1,
            "stepped through malloc and free"
        );
        // As many instructions as a free run (which is the plain run's:
        // `a_debugged_memcheck_run_is_the_same_run`).
        let stepped = inf.session.kernel.insns();
        let (mut free_run, _) = boot_with(program, &memcheck());
        while free_run.run(Resume::Continue, never) == Stop::MemCheck {}
        assert_eq!(stepped, free_run.session.kernel.insns());
        let report = inf.session.into_report();
        assert_eq!(status.code(), 0);
        assert_eq!(report.stats, plain.report.stats);
        let (summary, free_run) = (report.memcheck.unwrap(), plain.report.memcheck.unwrap());
        assert_eq!(summary, free_run);
        assert_eq!((summary.allocs, summary.frees), (1, 1), "the hooks fired");
    }

    /// Breakpoints on hooked addresses (malloc's entry, the return from it)
    /// stop there as anywhere else, and the run goes on to the memcheck stop.
    #[test]
    fn breakpoints_on_the_allocators_hooks_stop_and_the_block_is_known_after() {
        let (mut inf, _) = boot_with("userland/bug_overflow", &memcheck());
        let malloc = inf.session.symbols.lookup("malloc").unwrap();
        let alloc = marked_line("userland/bug_overflow.c", "/* ALLOC */");
        // The first line after the malloc's that has code.
        let (after, _) = inf
            .session
            .symbols
            .line_address("bug_overflow.c", alloc + 1)
            .unwrap();
        inf.add_breakpoint(malloc);
        inf.add_breakpoint(after);
        assert_eq!(inf.run(Resume::Continue, never), Stop::Breakpoint);
        assert_eq!(inf.eip(), malloc);
        assert_eq!(inf.run(Resume::Continue, never), Stop::Breakpoint);
        assert_eq!(inf.eip(), after);
        let in_use = inf
            .session
            .memcheck
            .as_ref()
            .unwrap()
            .borrow()
            .summary()
            .in_use;
        assert_eq!(in_use, (24, 1), "malloc's return was seen");
        assert_eq!(inf.run(Resume::Continue, never), Stop::MemCheck);
        // A range step from the stop runs the store first, then the line.
        let eip = inf.eip();
        assert_eq!(inf.run(Resume::Range(eip, eip + 1), never), Stop::DoneStep);
        assert_ne!(inf.eip(), eip);
        let stop = inf.run(Resume::Continue, never);
        assert!(
            matches!(stop, Stop::Exited(ref s) if s.code() == 0),
            "{stop:?}"
        );
        assert_eq!(errors_of(&inf), 1);
    }

    /// gdb passes the SIGSEGV it was shown back when it goes on: dropped,
    /// the program runs on. Another signal is refused, as elsewhere.
    #[test]
    fn a_memcheck_stop_delivers_nothing_even_when_given_sigsegv() {
        let (mut inf, out) = boot_with("userland/bug_overflow", &memcheck());
        assert_eq!(inf.run(Resume::Continue, never), Stop::MemCheck);
        assert!(inf.deliver(Some(toyemu_kernel::signal::SIGINT)).is_err());
        assert_eq!(inf.deliver(Some(toyemu_kernel::signal::SIGSEGV)), Ok(None));
        let stop = inf.run(Resume::Continue, never);
        assert!(
            matches!(stop, Stop::Exited(ref s) if s.code() == 0),
            "{stop:?}"
        );
        assert!(String::from_utf8_lossy(&out.0.borrow()).contains("freed the block"));
    }

    /// A double free stops just after the refused call: EIP at its return
    /// address, the call having returned at once. A breakpoint on free()
    /// stops first, at its entry; a step from the stop is one instruction.
    #[test]
    fn a_bad_free_stops_after_the_refused_call() {
        let (mut inf, _) = boot_with("userland/bug_double_free", &memcheck());
        let bug = marked_line("userland/bug_double_free.c", "/* BUG */");
        // Stop at each free's first instruction, then step into it.
        let free = inf.session.symbols.lookup("free").unwrap();
        inf.add_breakpoint(free);
        let mut calls = 0;
        loop {
            match inf.run(Resume::Continue, never) {
                Stop::Breakpoint => {
                    calls += 1;
                    let esp = inf
                        .session
                        .kernel
                        .machine()
                        .cpu()
                        .reg(toyemu_emulator::Reg::Esp);
                    let mut ra = [0u8; 4];
                    inf.read_memory(esp, &mut ra);
                    match inf.run(Resume::Step, never) {
                        Stop::DoneStep => {}
                        Stop::MemCheck => {
                            assert_eq!(inf.eip(), u32::from_le_bytes(ra), "back at the call");
                            let line = inf.session.symbols.describe_return(inf.eip());
                            assert!(
                                line.ends_with(&format!("(bug_double_free.c:{bug})")),
                                "{line}"
                            );
                            let before = inf.session.kernel.insns();
                            assert_eq!(inf.run(Resume::Step, never), Stop::DoneStep);
                            assert_eq!(inf.session.kernel.insns() - before, 1);
                        }
                        other => panic!("unexpected {other:?}"),
                    }
                }
                Stop::Exited(s) => {
                    assert_eq!(s.code(), 0);
                    break;
                }
                other => panic!("unexpected {other:?}"),
            }
        }
        assert_eq!(calls, 2);
        assert_eq!(errors_of(&inf), 1);
    }

    #[test]
    fn range_step_stops_when_eip_leaves_the_range() {
        let mut inf = boot("userland/hello");
        let entry = inf.eip();
        let stop = inf.run(Resume::Range(entry, entry + 1), never);
        assert_eq!(stop, Stop::DoneStep);
        assert_ne!(inf.eip(), entry);
        assert_eq!(inf.run(Resume::Step, never), Stop::DoneStep);
    }
}
