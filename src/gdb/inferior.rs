//! The debugged process as a ptrace user sees it: run it an instruction or a
//! slice at a time, stop it at breakpoints, and stop it *before* a fatal
//! signal is delivered, so the debugger can look at the faulting instruction
//! while the address space still exists.
//!
//! The kernel runs with `stop_before_signal`, so a trap that would kill comes
//! back from `Kernel::run` as a *signal stop*; the death is held until the
//! debugger resumes with that signal (delivered, as gdb's default `pass`
//! does) or without it (dropped; a fault then simply happens again).
//!
//! Breakpoints are addresses compared with EIP between instructions: guest
//! memory is never patched, so reads show the real code, pages not yet
//! faulted in can hold breakpoints, and self-modifying code cannot erase one.

use crate::Session;
use std::collections::BTreeSet;
use toyemu_emulator::{Access, PhysAddr, Pte, VirtAddr, PAGE_SIZE};
use toyemu_kernel::address_space::PTE_PROTNONE;
use toyemu_kernel::layout::TASK_SIZE;
use toyemu_kernel::vma::Backing;
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
}

/// Why the process stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Stop {
    /// The step (or range step) is done.
    DoneStep,
    /// EIP reached a breakpoint.
    Breakpoint,
    /// A signal is about to be delivered; the process is intact, stopped at
    /// the instruction that raised it (after it, for `int3`).
    Signal(Signal),
    /// The debugger asked to stop (Ctrl-C).
    Interrupted,
    Exited(ExitStatus),
}

pub struct Inferior {
    pub session: Session,
    breakpoints: BTreeSet<u32>,
    /// The death a signal stop is holding back.
    pending: Option<Death>,
    max_insns: Option<u64>,
}

impl Inferior {
    pub fn new(mut session: Session, max_insns: Option<u64>) -> Inferior {
        session.kernel.stop_before_signal = true;
        Inferior {
            session,
            breakpoints: BTreeSet::new(),
            pending: None,
            max_insns,
        }
    }

    pub fn eip(&self) -> u32 {
        self.session.kernel.machine.cpu().eip().0
    }

    pub fn exit_status(&self) -> Option<ExitStatus> {
        self.session.process.exit.as_ref().map(|r| r.status.clone())
    }

    /// Add a breakpoint; false if one was already there.
    pub fn add_breakpoint(&mut self, addr: u32) -> bool {
        self.breakpoints.insert(addr)
    }

    /// Remove a breakpoint; false if there was none.
    pub fn remove_breakpoint(&mut self, addr: u32) -> bool {
        self.breakpoints.remove(&addr)
    }

    /// Go on after a stop, delivering `signal` first if the debugger passes
    /// one. Only the signal the process was stopped for can be delivered
    /// (this kernel has no other way to send one); any other is refused.
    pub fn deliver(&mut self, signal: Option<Signal>) -> Result<Option<Stop>, String> {
        let pending = self.pending.take();
        let Some(sig) = signal else {
            return Ok(None);
        };
        match pending {
            Some(death) if death.signal() == sig => {
                let (k, p) = (&mut self.session.kernel, &mut self.session.process);
                Ok(Some(Stop::Exited(k.kill(p, death))))
            }
            _ => Err(format!(
                "{sig} cannot be sent to the program: only the signal it stopped for can be delivered"
            )),
        }
    }

    /// Run as `how` says until something stops the process. `interrupted` is
    /// polled every few thousand instructions (a Ctrl-C from the debugger).
    pub fn run(&mut self, how: Resume, mut interrupted: impl FnMut() -> bool) -> Stop {
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
                self.step_until(|eip| !(start..end).contains(&eip), interrupted)
            }
        }
    }

    /// Step one instruction at a time until `done(eip)`, a breakpoint or a stop.
    /// The first instruction always runs: the process may sit on a breakpoint.
    fn step_until(
        &mut self,
        done: impl Fn(u32) -> bool,
        mut interrupted: impl FnMut() -> bool,
    ) -> Stop {
        loop {
            for _ in 0..STEPPED_SLICE {
                if let Some(stop) = self.advance(1) {
                    return stop;
                }
                let eip = self.eip();
                if self.breakpoints.contains(&eip) {
                    return Stop::Breakpoint;
                }
                if done(eip) {
                    return Stop::DoneStep;
                }
            }
            if interrupted() {
                return Stop::Interrupted;
            }
        }
    }

    /// Retire at most `budget` instructions; the kernel holds fatal signals
    /// back (`stop_before_signal`) so they become signal stops.
    /// `None` when the budget is spent with nothing to report.
    fn advance(&mut self, budget: u64) -> Option<Stop> {
        let (k, p) = (&mut self.session.kernel, &mut self.session.process);
        let mut budget = budget;
        if let Some(limit) = self.max_insns {
            let spent = k.insns() - p.started_at;
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
        }
    }

    /// Run to the end without a debugger (after a detach): a held signal is
    /// delivered, as it would have been.
    pub fn finish(&mut self) -> ExitStatus {
        if let Some(death) = self.pending.take() {
            let (k, p) = (&mut self.session.kernel, &mut self.session.process);
            if p.exit.is_none() {
                return k.kill(p, death);
            }
        }
        loop {
            match self.advance(FREE_SLICE) {
                Some(Stop::Exited(status)) => return status,
                Some(Stop::Signal(_)) => {
                    let death = self.pending.take().expect("a signal stop holds its death");
                    let (k, p) = (&mut self.session.kernel, &mut self.session.process);
                    return k.kill(p, death);
                }
                _ => {}
            }
        }
    }

    /// Read guest memory at `addr` into `out` without changing the address
    /// space: a page not faulted in yet reads as what its first touch would
    /// put there. Returns how many bytes, from the start, could be read.
    pub fn read_memory(&self, addr: u32, out: &mut [u8]) -> usize {
        let mut done = 0;
        while done < out.len() {
            let Some(va) = addr.checked_add(done as u32) else {
                break;
            };
            let n = ((PAGE_SIZE - va % PAGE_SIZE) as usize).min(out.len() - done);
            if !self.read_page(VirtAddr(va), &mut out[done..done + n]) {
                break;
            }
            done += n;
        }
        done
    }

    /// Fill `out` from one page at `va`; false if nothing user-visible is there.
    fn read_page(&self, va: VirtAddr, out: &mut [u8]) -> bool {
        let k = &self.session.kernel;
        if va >= TASK_SIZE || self.session.process.exit.is_some() {
            return false;
        }
        if let Some(pa) = self.frame_of(va) {
            k.machine.mmu().phys().read_bytes(pa, out);
            return true;
        }
        let Some(vma) = self
            .session
            .process
            .mm
            .as_ref()
            .and_then(|m| m.vmas.find(va))
        else {
            return false;
        };
        // The fault handler's fill rule: image bytes where the backing has them.
        out.fill(0);
        if let Backing::Image {
            vaddr,
            file_offset,
            file_len,
        } = vma.backing
        {
            let image = &self.session.process.image.bytes;
            let lo = va.0.max(vaddr);
            let hi = (va.0 + out.len() as u32).min(vaddr.saturating_add(file_len));
            if lo < hi {
                let off = (file_offset + (lo - vaddr)) as usize;
                let src = image.get(off..off + (hi - lo) as usize);
                let Some(src) = src else { return false };
                let at = (lo - va.0) as usize;
                out[at..at + src.len()].copy_from_slice(src);
            }
        }
        true
    }

    /// The physical address behind `va` if its page holds a frame (present,
    /// or kept under PROT_NONE).
    fn frame_of(&self, va: VirtAddr) -> Option<PhysAddr> {
        let pte: Pte = self.session.kernel.machine.mmu().peek(va).pte?;
        if pte.is_present() || pte.flags().contains(PTE_PROTNONE) {
            Some(PhysAddr(pte.frame().base().0 | va.page_offset()))
        } else {
            None
        }
    }

    /// Write guest memory as ptrace's POKEDATA does: read-only pages are
    /// written too, and a page not faulted in yet is faulted in first (the
    /// trace shows it). Decoded instructions on a written page go stale.
    pub fn write_memory(&mut self, addr: u32, data: &[u8]) -> Result<(), String> {
        if self.session.process.exit.is_some() {
            return Err("the program has exited".into());
        }
        let mut done = 0;
        while done < data.len() {
            let va = addr
                .checked_add(done as u32)
                .filter(|&a| a < TASK_SIZE.0)
                .ok_or_else(|| format!("{:#010x} is not a user address", addr))?;
            let n = ((PAGE_SIZE - va % PAGE_SIZE) as usize).min(data.len() - done);
            let pa = match self.frame_of(VirtAddr(va)) {
                Some(pa) => pa,
                None => self.populate(VirtAddr(va))?,
            };
            let k = &mut self.session.kernel;
            k.machine
                .mmu_mut()
                .phys_mut()
                .write_bytes(pa, &data[done..done + n]);
            done += n;
        }
        Ok(())
    }

    /// Fault in the page at `va` inside a VMA, as a read would.
    fn populate(&mut self, va: VirtAddr) -> Result<PhysAddr, String> {
        let (k, p) = (&mut self.session.kernel, &mut self.session.process);
        let inside = p.mm.as_ref().is_some_and(|m| m.vmas.find(va).is_some());
        let eip = k.machine.cpu().eip();
        if !inside || k.resolve_fault(p, va, Access::Read, eip).is_err() {
            return Err(format!("nothing can be mapped at {va}"));
        }
        self.frame_of(va).ok_or_else(|| format!("{va} did not map"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Console, Options, SharedBuf};
    use std::path::Path;

    fn boot(program: &str) -> Inferior {
        boot_with(program, &Options::default()).0
    }

    /// `program` booted with `opts`, and its captured stdout.
    fn boot_with(program: &str, opts: &Options) -> (Inferior, SharedBuf) {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(program);
        let bytes = std::fs::read(&path).expect("userland is built by build.rs");
        let out = SharedBuf::default();
        let console = Console {
            stdin: Box::new(std::io::empty()),
            stdout: Box::new(out.clone()),
            stderr: Box::new(SharedBuf::default()),
        };
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
        assert!(inf.session.process.mm.is_some());
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
        assert!(inf.session.process.mm.is_none());
    }

    #[test]
    fn reads_do_not_fault_pages_in_and_show_the_first_touch_contents() {
        let inf = boot("userland/hello");
        let main = inf.session.symbols.lookup("main").unwrap();
        let faults = inf.session.process.stats.faults;
        let mut code = [0u8; 16];
        assert_eq!(inf.read_memory(main, &mut code), 16);
        assert_eq!(inf.session.process.stats.faults, faults);
        assert!(
            inf.frame_of(VirtAddr(main)).is_none(),
            "text page stays absent"
        );
        // The bytes are the file's: compare with the ELF image.
        let image = &inf.session.process.image;
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
