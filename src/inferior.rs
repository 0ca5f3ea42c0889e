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

use crate::Session;
use std::collections::BTreeSet;
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
}

pub struct Inferior {
    pub session: Session,
    breakpoints: BTreeSet<u32>,
    /// The signal a signal stop is holding back (why it was raised).
    pending: Option<Death>,
    max_insns: Option<u64>,
}

impl Inferior {
    pub fn new(mut session: Session, max_insns: Option<u64>) -> Inferior {
        session.kernel.set_stop_before_signal(true);
        Inferior {
            session,
            breakpoints: BTreeSet::new(),
            pending: None,
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
    /// send one); any other is refused.
    pub fn deliver(&mut self, signal: Option<Signal>) -> Result<Option<Stop>, String> {
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
    pub fn run(&mut self, how: Resume, mut interrupted: impl FnMut() -> bool) -> Stop {
        let stats = self.session.process.stats();
        match how {
            Resume::Step => self.advance(1).unwrap_or(Stop::DoneStep),
            Resume::Continue if self.breakpoints.is_empty() => loop {
                if let Some(stop) = self.advance(FREE_SLICE) {
                    return stop;
                }
                if interrupted() {
                    return Stop::Interrupted;
                }
            },
            Resume::Continue => self.step_until(|_| false, interrupted),
            Resume::Range(start, end) => {
                self.step_until(|s| !(start..end).contains(&s.eip()), interrupted)
            }
            Resume::NextSyscall => self.step_until(
                |s| s.session.process.stats().syscalls > stats.syscalls,
                interrupted,
            ),
            Resume::NextFault => self.step_until(
                |s| s.session.process.stats().faults > stats.faults,
                interrupted,
            ),
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
    /// back (`set_stop_before_signal`) so they become signal stops.
    /// `None` when the budget is spent with nothing to report.
    fn advance(&mut self, budget: u64) -> Option<Stop> {
        let (k, p) = (&mut self.session.kernel, &mut self.session.process);
        let mut budget = budget;
        if let Some(limit) = self.max_insns {
            let spent = k.insns() - p.started_at();
            if spent >= limit {
                return Some(Stop::Exited(k.kill(p, Death::InstructionLimit { limit })));
            }
            budget = budget.min(limit - spent);
        }
        match k.run(p, budget) {
            RunState::Running => None,
            RunState::Exited(status) => Some(Stop::Exited(status)),
            RunState::Signal(death) => {
                let sig = death.signal();
                self.pending = Some(death);
                Some(Stop::Signal(sig))
            }
            RunState::Tool(trap) => {
                k.pass_tool_stop(p, trap);
                None
            }
        }
    }

    /// Run to the end without a debugger (after a detach): a held signal is
    /// delivered, as it would have been.
    pub fn finish(&mut self) -> ExitStatus {
        loop {
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
