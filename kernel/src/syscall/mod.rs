//! System calls: the Linux i386 ABI.
//!
//! `int 0x80` with the number in EAX and arguments in EBX, ECX, EDX, ESI,
//! EDI, EBP; the result in EAX, `-errno` on failure. Numbers and semantics
//! are Linux's, so the same binary behaves the same natively. `table.rs`
//! has one row per implemented call (its number, name, how strace shows
//! its arguments, its handler); anything else returns `-ENOSYS` and is
//! traced with its name (`numbers.rs` knows them all). How strace shows
//! them: `args.rs` (argument kinds), `structs.rs` (the structs calls read
//! and fill), `show.rs` (numbers, flags, quoted bytes).
//!
//! The handlers, by family: `mem.rs` (brk, mmap, ...), `io.rs` (read and
//! write on descriptors), `file.rs` (paths: open, stat, directories),
//! `fdops.rs` (dup, fcntl, pipes, ioctl), `signal.rs` (actions, masks,
//! kill, sigreturn), `sys.rs` (identity, limits,
//! randomness, the calls libc startup makes), `time.rs`, `tls.rs`
//! (set_thread_area and its kin).

mod args;
mod fdops;
mod file;
mod futex;
mod io;
mod mem;
pub mod numbers;
pub mod outcome;
mod poll;
mod proc;
mod show;
mod signal;
mod structs;
mod sys;
mod table;
mod time;
mod tls;

use crate::errno::{EFAULT, ENOSYS};
use crate::kernel::Kernel;
use crate::process::{ExitStatus, Process};
use crate::trace::EventKind;
use crate::uaccess::CopyError;
use outcome::Outcome;
use toyemu_emulator::Reg;

pub use file::PeekedFile;
pub use numbers::{NR_BRK, NR_EXIT, NR_EXIT_GROUP, NR_MMAP, NR_MMAP2, NR_MUNMAP};
pub use proc::wait_status;
pub use table::implemented;

/// The name of syscall `nr` (`syscall` for numbers Linux does not use).
pub fn name_of(nr: u32) -> &'static str {
    match numbers::NAMES.get(nr as usize) {
        Some(&n) if !n.is_empty() => n,
        _ => "syscall",
    }
}

impl Kernel {
    /// A failed user copy as a syscall result: EFAULT, or death when out of frames.
    pub(crate) fn copy_failed(&self, p: &Process, e: CopyError) -> Outcome {
        match e {
            CopyError::Fault { .. } => Outcome::Err(EFAULT),
            CopyError::OutOfMemory { addr } => {
                Outcome::Kill(Box::new(self.oom_death(p, addr, self.machine.cpu().eip())))
            }
        }
    }

    /// Make syscall `nr` for `p` as if it had executed `int 0x80` with `args`
    /// in EBX..EBP: for tests and tools that drive the kernel without guest
    /// code. Returns the call's EAX, or how the process ended. A call that
    /// would sleep (wait4 for a running child) fails with EINTR instead.
    pub fn syscall_direct(
        &mut self,
        p: &mut Process,
        nr: u32,
        args: [u32; 6],
    ) -> Result<u32, ExitStatus> {
        let cpu = self.machine.cpu_mut();
        cpu.set_reg(Reg::Eax, nr);
        for (r, v) in ARG_REGS.into_iter().zip(args) {
            cpu.set_reg(r, v);
        }
        if let Some(status) = self.syscall(p) {
            return Err(status);
        }
        // No guest code to sleep on: a call that would wait is interrupted.
        if p.blocked.take().is_some() {
            let cpu = self.machine.cpu_mut();
            cpu.set_eip(toyemu_emulator::VirtAddr(cpu.eip().0.wrapping_add(2)));
            cpu.set_reg(Reg::Eax, crate::errno::EINTR.as_return());
        }
        // Signals the call made deliverable are delivered, as the return to
        // user mode would (a handler's frame set up, the registers on it).
        let eax = self.machine.cpu().reg(Reg::Eax);
        match self.deliver_all(p) {
            Some(status) => Err(status),
            None => Ok(eax),
        }
    }

    /// Handle the `int 0x80` that just trapped. Returns the exit status if
    /// the process ended.
    pub(crate) fn syscall(&mut self, p: &mut Process) -> Option<ExitStatus> {
        p.stats.syscalls += 1;
        let cpu = self.machine.cpu();
        let nr = cpu.reg(Reg::Eax);
        let args = ARG_REGS.map(|r| cpu.reg(r));
        let row = table::lookup(nr);
        // The signal calls show their input structs as they were before the call.
        let entry = if self.tracer.active() {
            // The call may write the guest's output: held lines go first.
            self.tracer.settle();
            self.signal_entry_args(p, nr, &args)
        } else {
            None
        };
        let outcome = match row {
            Some(row) => (row.run)(self, p, &args),
            None => Outcome::Err(ENOSYS),
        };
        // Most calls return a number and nothing watches: EAX is set from
        // the outcome where the handler left it (moving it first stalled
        // on store forwarding: the handler wrote it in pieces).
        if self.after_syscall.is_none() && !self.tracer.active() {
            if let Some(eax) = outcome.eax() {
                self.machine.cpu_mut().set_reg(Reg::Eax, eax);
                return None;
            }
        }
        let outcome = self.signal_outcome(p, outcome);
        if let Outcome::Block(b) = outcome {
            // Asleep on the `int 0x80`: the call runs again when woken, and
            // is traced then, once.
            p.blocked = Some(*b);
            p.stats.syscalls -= 1;
            let eip = self.machine.cpu().eip().0;
            self.machine
                .cpu_mut()
                .set_eip(toyemu_emulator::VirtAddr(eip - 2));
            return None;
        }
        if self.tracer.active() {
            let args_text = match (row, &entry) {
                (Some(_), Some(e)) => self.signal_args_text(p, nr, &args, &outcome, e),
                (Some(row), None) => self.args_text(p, row.shape, &args, &outcome),
                // Unknown: strace shows the raw registers.
                (None, _) => args.map(|a| format!("{a:#x}")).join(", "),
            };
            self.emit(EventKind::Syscall {
                nr,
                name: name_of(nr),
                args,
                args_text,
                result: outcome.clone(),
            });
            for e in std::mem::take(&mut self.after_call_events) {
                self.emit(e);
            }
        }
        match outcome {
            Outcome::Exit(code) => return Some(self.exit(p, code)),
            Outcome::ExitThread(code) => return self.exit_thread(p, code),
            Outcome::Kill(death) => return Some(self.kill(p, *death)),
            other => {
                let eax = other.eax().expect("the call returns");
                self.machine.cpu_mut().set_reg(Reg::Eax, eax);
            }
        }
        if let Some(mut hook) = self.after_syscall.take() {
            hook(self, p, nr);
            self.after_syscall = Some(hook);
        }
        None
    }
}

/// The registers that carry arguments, in order.
const ARG_REGS: [Reg; 6] = [Reg::Ebx, Reg::Ecx, Reg::Edx, Reg::Esi, Reg::Edi, Reg::Ebp];
