//! Running a process: the machine runs until it traps, and each trap
//! becomes what Linux would make of it — a syscall, a page mapped in, or a
//! signal (`trap.c` in xv6's words). Before the process runs again, its
//! pending signals are delivered (`deliver.rs`), as on a return to user mode.

use crate::deliver::Held;
use crate::fault::FaultError;
use crate::kernel::Kernel;
use crate::process::{ExitStatus, Process};
use crate::signal::Death;
use toyemu_emulator::{disasm, PageFault, Trap};

/// Whether a process is still running after `run` returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunState {
    /// The budget given to `run` was spent; call again to continue.
    Running,
    /// A signal is about to be acted on — its handler run, or the process
    /// killed — and a debugger wants to see it first
    /// (`set_stop_before_signal`): the process is intact, EIP at the
    /// faulting instruction. `deliver_signal` acts on it; running on
    /// without it drops it (a fault then happens again).
    Signal(Death),
    Exited(ExitStatus),
    /// The machine stopped for a tool above the kernel: a hooked address
    /// (`Trap::Hook`) or an access memcheck refused (`Trap::MemCheck`). The
    /// kernel made nothing of it; EIP is at the instruction, which has not
    /// run. `pass_tool_stop` lets it run.
    Tool(Trap),
}

impl Kernel {
    /// Run for at most `budget` instructions. `p` is the process on the
    /// CPU: after a fork, the scheduler may hand the caller another one
    /// (`sched.rs`). `Exited` comes once every process has ended, with the
    /// first one back in `p`.
    pub fn run(&mut self, p: &mut Process, budget: u64) -> RunState {
        let mut left = budget;
        loop {
            if p.is_done() || p.blocked.is_some() {
                if p.blocked.is_some() && self.can_wake(p) {
                    self.resume_sleeper(p);
                } else if let Some(done) = self.schedule(p) {
                    return done;
                }
                continue;
            }
            if left == 0 {
                return RunState::Running;
            }
            if p.signals.needs_delivery() {
                match self.deliver_pending(p) {
                    Some(Held::Stop(cause)) => return RunState::Signal(cause),
                    Some(Held::Ended(_)) => continue,
                    None => {}
                }
            }
            let before = self.insns();
            let trap = self.machine.run(self.slice_left(left));
            self.drain_tlb_log();
            left = left.saturating_sub(self.insns() - before);
            match self.handle_trap(p, trap) {
                Some(RunState::Exited(_)) | None => {}
                Some(state) => return state,
            }
            if !p.is_done() && p.blocked.is_none() {
                self.end_of_slice(p);
            }
        }
    }

    /// Run until every process has ended; after `max_insns` instructions
    /// from the start of `p` they are killed.
    pub fn run_to_exit(&mut self, p: &mut Process, max_insns: Option<u64>) -> ExitStatus {
        let limit = max_insns.unwrap_or(u64::MAX);
        let started = p.started_at;
        loop {
            let spent = self.insns() - started;
            if spent >= limit {
                return self.kill_all(p, Death::InstructionLimit { limit });
            }
            match self.run(p, limit - spent) {
                RunState::Exited(s) => return s,
                RunState::Running => {}
                // A death ends this process; the next run goes on with
                // the others, or comes back with the first one's status.
                RunState::Tool(trap) => {
                    if let RunState::Signal(cause) = self.pass_tool_stop(p, trap) {
                        self.deliver_signal(p, cause);
                    }
                }
                RunState::Signal(cause) => {
                    self.deliver_signal(p, cause);
                }
            }
        }
    }

    /// Go on past a tool's stop: let the hooked instruction run, or run the
    /// refused one with memcheck's checks off for it alone (what that run
    /// ended in: it may fault, or end the process).
    pub fn pass_tool_stop(&mut self, p: &mut Process, trap: Trap) -> RunState {
        match trap {
            Trap::MemCheck { .. } => {
                let mmu = self.machine.mmu_mut();
                let was = mmu.watch().is_some_and(|w| w.suspended);
                if let Some(w) = mmu.watch_mut() {
                    w.suspended = true;
                }
                let state = self.run(p, 1);
                if let Some(w) = self.machine.mmu_mut().watch_mut() {
                    w.suspended = was;
                }
                state
            }
            _ => {
                self.machine.cpu_mut().pass_hook();
                RunState::Running
            }
        }
    }

    /// What `trap` means for `p`: `None` to run on. A fault no page can fix
    /// raises its signal, which the next return to user mode delivers.
    fn handle_trap(&mut self, p: &mut Process, trap: Trap) -> Option<RunState> {
        let cause = match trap {
            Trap::InstructionLimit => return None,
            Trap::Hook { .. } | Trap::MemCheck { .. } => return Some(RunState::Tool(trap)),
            Trap::Syscall => return self.syscall(p).map(RunState::Exited),
            Trap::PageFault { addr, code, eip } => {
                match self.page_fault(p, PageFault { addr, code }, eip) {
                    Ok(_) => return None,
                    Err(FaultError::Segv { code: si_code, .. }) => Death::Segv {
                        addr,
                        eip,
                        code,
                        si_code,
                    },
                    // The OOM killer's SIGKILL is not held back for a debugger.
                    Err(FaultError::OutOfMemory { .. }) => {
                        // Another process may be the bigger one: it dies
                        // instead, and this fault is taken again.
                        if let Some(victim) = self.oom_victim(p) {
                            self.kill_parked(p, victim, addr, eip);
                            return None;
                        }
                        let death = self.oom_death(p, addr, eip);
                        return Some(RunState::Exited(self.kill(p, death)));
                    }
                    Err(FaultError::Bus { .. }) => Death::Bus { addr, eip },
                }
            }
            Trap::InvalidOpcode { eip, bytes, len } => {
                let bytes = bytes[..len as usize].to_vec();
                let text = disasm::disassemble(&bytes, eip).1;
                Death::IllegalInstruction { eip, bytes, text }
            }
            Trap::DivideError { eip } | Trap::FloatingPoint { eip } => Death::DivideError { eip },
            Trap::Breakpoint { eip } => Death::Breakpoint { eip },
            Trap::GeneralProtection { eip } => Death::GeneralProtection { eip },
        };
        self.force_signal(p, cause);
        None
    }
}
