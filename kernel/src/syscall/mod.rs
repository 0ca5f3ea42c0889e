//! System calls: the Linux i386 ABI.
//!
//! `int 0x80` with the number in EAX and arguments in EBX, ECX, EDX, ESI,
//! EDI, EBP; the result in EAX, `-errno` on failure. Numbers and semantics
//! are Linux's, so the same binary behaves the same natively. Anything not
//! implemented returns `-ENOSYS` (and is traced, so it is visible).

mod io;
mod mem;
mod names;
pub mod outcome;
mod proc;
mod signal;

use crate::errno::{EFAULT, ENOSYS};
use crate::kernel::Kernel;
use crate::process::{ExitStatus, Process};
use crate::trace::EventKind;
use crate::uaccess::CopyError;
use outcome::Outcome;
use toyemu_emulator::Reg;

pub use names::{name_of, NR_BRK, NR_EXIT, NR_EXIT_GROUP, NR_MMAP2, NR_MUNMAP, NR_OLD_MMAP};

impl Kernel {
    /// A failed user copy as a syscall result: EFAULT, or death when out of frames.
    pub(crate) fn copy_failed(&self, p: &Process, e: CopyError) -> Outcome {
        match e {
            CopyError::Fault { .. } => Outcome::Err(EFAULT),
            CopyError::OutOfMemory { addr } => {
                Outcome::Kill(self.oom_death(p, addr, self.machine.cpu().eip()))
            }
        }
    }

    /// Make syscall `nr` for `p` as if it had executed `int 0x80` with `args`
    /// in EBX..EBP: for tests and tools that drive the kernel without guest
    /// code. Signals the call made deliverable are then delivered, as the
    /// return to user mode would (a handler's frame is set up; the
    /// registers point at the handler). Returns the call's EAX, or how the
    /// process ended.
    pub fn syscall_direct(
        &mut self,
        p: &mut Process,
        nr: u32,
        args: [u32; 6],
    ) -> Result<u32, ExitStatus> {
        let cpu = self.machine.cpu_mut();
        cpu.set_reg(Reg::Eax, nr);
        for (r, v) in [Reg::Ebx, Reg::Ecx, Reg::Edx, Reg::Esi, Reg::Edi, Reg::Ebp]
            .into_iter()
            .zip(args)
        {
            cpu.set_reg(r, v);
        }
        if let Some(status) = self.syscall(p) {
            return Err(status);
        }
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
        let args = [Reg::Ebx, Reg::Ecx, Reg::Edx, Reg::Esi, Reg::Edi, Reg::Ebp].map(|r| cpu.reg(r));
        let entry = if self.tracer.active() {
            self.signal_entry_args(p, nr, &args)
        } else {
            None
        };
        let outcome = self.dispatch(p, nr, args);
        let outcome = self.signal_outcome(p, outcome);
        if self.tracer.active() {
            let args_text = match &entry {
                Some(e) => self.signal_args_text(p, nr, &args, &outcome, e),
                None => self.format_args(p, nr, &args, &outcome),
            };
            self.emit(EventKind::Syscall {
                nr,
                name: name_of(nr),
                args,
                args_text,
                result: outcome.clone(),
            });
        }
        match outcome {
            Outcome::Exit(code) => return Some(self.exit(p, code)),
            Outcome::Kill(death) => return Some(self.kill(p, death)),
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

    fn dispatch(&mut self, p: &mut Process, nr: u32, a: [u32; 6]) -> Outcome {
        use names::*;
        use signal::*;
        match nr {
            NR_EXIT | NR_EXIT_GROUP => Outcome::Exit(a[0]),
            NR_READ => self.sys_read(p, a[0], a[1], a[2]),
            NR_WRITE => self.sys_write(p, a[0], a[1], a[2]),
            NR_WRITEV => self.sys_writev(p, a[0], a[1], a[2]),
            NR_GETPID | NR_GETTID => Outcome::Value(p.pid),
            // The process that started it lives outside this machine.
            NR_GETPPID => Outcome::Value(0),
            NR_GETUID | NR_GETGID | NR_GETEUID | NR_GETEGID | NR_GETUID32 | NR_GETGID32
            | NR_GETEUID32 | NR_GETEGID32 => Outcome::Value(crate::layout::UID),
            NR_CLOSE => self.sys_close(p, a[0]),
            NR_IOCTL => self.sys_ioctl(p, a[0]),
            NR_LSEEK | NR_LLSEEK => self.sys_lseek(p, a[0]),
            NR_UNAME => self.sys_uname(p, a[0]),
            NR_KILL => self.sys_kill(p, a[0], a[1]),
            NR_TKILL => self.sys_tkill(p, a[0], a[1]),
            NR_TGKILL => self.sys_tgkill(p, a[0], a[1], a[2]),
            NR_RT_SIGACTION => self.sys_rt_sigaction(p, a[0], a[1], a[2], a[3]),
            NR_SIGACTION => self.sys_sigaction(p, a[0], a[1], a[2]),
            NR_RT_SIGPROCMASK => self.sys_rt_sigprocmask(p, a[0], a[1], a[2], a[3]),
            NR_RT_SIGPENDING => self.sys_rt_sigpending(p, a[0], a[1]),
            NR_SIGALTSTACK => self.sys_sigaltstack(p, a[0], a[1]),
            NR_RT_SIGRETURN => self.sys_sigreturn(p, true),
            NR_SIGRETURN => self.sys_sigreturn(p, false),
            NR_RT_SIGSUSPEND => self.sys_rt_sigsuspend(p, a[0], a[1]),
            NR_SIGSUSPEND => self.sys_sigsuspend(p, a[2]),
            NR_PAUSE => self.sys_pause(p),
            NR_BRK => self.sys_brk(p, a[0]),
            NR_OLD_MMAP => self.sys_old_mmap(p, a[0]),
            NR_MMAP2 => self.sys_mmap(p, a),
            NR_MUNMAP => self.sys_munmap(p, a[0], a[1]),
            NR_MPROTECT => self.sys_mprotect(p, a[0], a[1], a[2]),
            NR_MADVISE => self.sys_madvise(p, a[0], a[1], a[2]),
            _ => Outcome::Err(ENOSYS),
        }
    }
}
