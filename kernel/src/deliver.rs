//! Delivering signals, as Linux does on each return to user mode
//! (kernel/signal.c's get_signal, arch/x86/kernel/signal.c's handle_signal
//! and the 32-bit frame code): sending one, forcing a fault's signal
//! through, taking pending ones off the queue to run a handler on a frame
//! written to the user stack (or the alternate stack), to ignore them or to
//! die of them — and sigreturn, which puts the interrupted context back.
//!
//! A handler's frame is ordinary user memory: writing it faults stack pages
//! in (growing the stack) like any store the program makes, and a frame
//! that cannot be written kills with SIGSEGV, as `force_sigsegv` does.

use crate::kernel::Kernel;
use crate::layout::{in_user_space, UID};
use crate::process::{ExitStatus, Process};
use crate::sigframe::{
    self, old, place, rt, RtFrame, SigContext, StackT, MATH_FRAME_SIZE, RT_SIGFRAME_SIZE,
    SIGCONTEXT_SIZE, SIGFRAME_SIZE,
};
use crate::signal::{Death, DefaultAction, SigInfo, SigSet, Signal, SIGKILL, SIGSEGV, SIGSTOP};
use crate::sigstate::{
    AltStack, Sent, SigAction, SA_NODEFER, SA_ONSTACK, SA_RESETHAND, SA_RESTORER, SA_SIGINFO,
    SIG_IGN,
};
use crate::trace::{EventKind, SignalAction};
use crate::uaccess::CopyError;
use toyemu_emulator::cpu::eflags::{AC, AF, CF, DF, OF, PF, SF, TF, ZF};
use toyemu_emulator::cpu::segment::{SegReg, USER_CS, USER_DS};
use toyemu_emulator::cpu::x87::{Fpu, SAVE_IMAGE_SIZE};
use toyemu_emulator::{Reg, VirtAddr};

/// EFLAGS bit 16, RF: set in the image the CPU saves for a fault.
const RF: u32 = 1 << 16;
/// The EFLAGS bits sigreturn takes from the frame (`FIX_EFLAGS`); the rest
/// (IF, IOPL, VM, ...) user code may not change. TF and RF are not
/// modelled by this CPU, so they come back clear.
const FIX_EFLAGS: u32 = AC | OF | DF | TF | SF | ZF | AF | PF | CF | RF;

/// Why delivery stopped before the process could run on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Held {
    /// A debugger wants to see this signal before it is acted on
    /// (`set_stop_before_signal`); `Kernel::deliver_signal` acts on it.
    Stop(Death),
    /// The process died.
    Ended(ExitStatus),
}

/// What the process's action for a signal comes to right now.
enum Disposition {
    Handler(SigAction),
    Ignore,
    Stop,
    Kill,
}

/// A frame that could not be written.
enum FrameError {
    /// Not user memory, not writable, or off the alternate stack.
    Bad { frame: u32 },
    /// No frame of RAM left to fault the stack page in.
    OutOfMemory { addr: VirtAddr },
}

fn disposition(p: &Process, sig: Signal) -> Disposition {
    let a = p.signals.action(sig);
    if a.is_handler() && !sig.is_kernel_only() {
        return Disposition::Handler(a);
    }
    if a.handler == SIG_IGN && !sig.is_kernel_only() {
        return Disposition::Ignore;
    }
    match sig.default_action() {
        DefaultAction::Ignore => Disposition::Ignore,
        // SIGTSTP, SIGTTIN and SIGTTOU do nothing to an orphaned process
        // group, which a process with no parent on this machine is in.
        DefaultAction::Stop if sig == SIGSTOP => Disposition::Stop,
        DefaultAction::Stop => Disposition::Ignore,
        DefaultAction::Terminate | DefaultAction::Core => Disposition::Kill,
    }
}

impl Kernel {
    /// Send `cause`'s signal to `p` from a syscall (kill, tgkill, SIGPIPE):
    /// queued, or dropped if it is ignored and not blocked. The trace still
    /// shows a dropped one, after the call's line, where strace sees it.
    pub(crate) fn send_signal(&mut self, p: &mut Process, cause: Death) {
        let info = cause.siginfo(p.pid, UID);
        if p.signals.send(cause) == Sent::Ignored && self.tracer.active() {
            self.after_call_events.push(EventKind::Signal {
                info,
                action: SignalAction::Ignored,
            });
        }
    }

    /// A fault's signal (`force_sig_fault`): if it is blocked or ignored it
    /// is reset to its default action, so the fault kills.
    pub(crate) fn force_signal(&mut self, p: &mut Process, cause: Death) {
        p.signals.force(cause);
    }

    /// Deliver every pending signal the mask lets through, oldest kind
    /// first, as the return to user mode does: each handler's frame goes on
    /// top of the last, so the last one set up runs first. `None` when the
    /// process can run on.
    pub(crate) fn deliver_pending(&mut self, p: &mut Process) -> Option<Held> {
        while let Some(cause) = p.signals.dequeue() {
            let sig = cause.signal();
            let acted_on = matches!(
                disposition(p, sig),
                Disposition::Handler(_) | Disposition::Kill
            );
            if acted_on && self.stop_before_signal && sig != SIGKILL {
                return Some(Held::Stop(cause));
            }
            if let Some(status) = self.deliver_signal(p, cause) {
                return Some(Held::Ended(status));
            }
        }
        // No handler took sigsuspend's saved mask: it comes back now.
        p.signals.restore_saved_mask();
        None
    }

    /// Like [`Kernel::deliver_pending`], but acting on every signal
    /// whatever a debugger asked (for callers that are not debuggers).
    pub(crate) fn deliver_all(&mut self, p: &mut Process) -> Option<ExitStatus> {
        loop {
            match self.deliver_pending(p)? {
                Held::Ended(status) => return Some(status),
                Held::Stop(cause) => {
                    if let Some(status) = self.deliver_signal(p, cause) {
                        return Some(status);
                    }
                }
            }
        }
    }

    /// Act on one signal now, by the process's current action for it: run
    /// its handler, ignore it, or end the process (returning how). A
    /// debugger resuming with a held signal calls this.
    pub fn deliver_signal(&mut self, p: &mut Process, cause: Death) -> Option<ExitStatus> {
        if p.has_exited() {
            return p.exit_record().map(|r| r.status.clone());
        }
        let info = cause.siginfo(p.pid, UID);
        match disposition(p, info.signo) {
            Disposition::Ignore => {
                self.emit(EventKind::Signal {
                    info,
                    action: SignalAction::Ignored,
                });
                None
            }
            Disposition::Stop => {
                self.emit(EventKind::Signal {
                    info,
                    action: SignalAction::Stopped,
                });
                None
            }
            Disposition::Kill => Some(self.kill(p, cause)),
            Disposition::Handler(act) => self.run_handler(p, cause, info, act),
        }
    }

    /// `handle_signal`: a frame for the handler, then the handler's mask.
    fn run_handler(
        &mut self,
        p: &mut Process,
        cause: Death,
        info: SigInfo,
        act: SigAction,
    ) -> Option<ExitStatus> {
        let sig = info.signo;
        if act.flags & SA_RESETHAND != 0 {
            p.signals.reset_handler(sig);
        }
        match self.setup_frame(p, &cause, &info, &act) {
            Ok((frame, altstack)) => {
                // signal_delivered: the handler runs with its sa_mask and,
                // unless SA_NODEFER, its own signal blocked.
                let mut blocked = p.signals.blocked().union(act.mask);
                if act.flags & SA_NODEFER == 0 {
                    blocked = blocked.with(sig);
                }
                p.signals.set_blocked(blocked);
                p.signals.clear_saved_mask();
                p.signals.disarm_altstack();
                p.stats.signals_handled += 1;
                self.emit(EventKind::Signal {
                    info,
                    action: SignalAction::Handler {
                        handler: act.handler,
                        frame,
                        rt: act.flags & SA_SIGINFO != 0,
                        altstack,
                    },
                });
                None
            }
            Err(FrameError::Bad { frame }) => {
                // force_sigsegv: fatal if it was SIGSEGV's own frame, else a
                // SIGSEGV that its handler (if any) may still catch.
                let bad = Death::BadSignalFrame { sig, frame };
                if sig == SIGSEGV {
                    Some(self.kill(p, bad))
                } else {
                    self.force_signal(p, bad);
                    None
                }
            }
            Err(FrameError::OutOfMemory { addr }) => {
                let death = self.oom_death(p, addr, self.machine.cpu().eip());
                Some(self.kill(p, death))
            }
        }
    }

    /// Write the frame for `act`'s handler and point the registers at it:
    /// `get_sigframe`, then the rt or the old frame. Returns the frame's
    /// address and whether it is on the alternate stack.
    fn setup_frame(
        &mut self,
        p: &mut Process,
        cause: &Death,
        info: &SigInfo,
        act: &SigAction,
    ) -> Result<(u32, bool), FrameError> {
        let cpu = self.machine.cpu();
        let sp = cpu.reg(Reg::Esp);
        let alt: AltStack = p.signals.altstack();
        let nested = alt.is_on(sp);
        let mut top = sp;
        let mut entering = false;
        if act.flags & SA_ONSTACK != 0 && alt.state_at(sp) == 0 {
            top = alt.top();
            entering = true;
        }
        let rt_frame = act.flags & SA_SIGINFO != 0;
        let size = if rt_frame {
            RT_SIGFRAME_SIZE
        } else {
            SIGFRAME_SIZE
        };
        let (frame, fpstate) = place(top, size, MATH_FRAME_SIZE);
        // A frame that would run off the alternate stack is not written.
        if (nested || entering) && !alt.contains(frame) {
            return Err(FrameError::Bad { frame });
        }
        let trap = p.signals.trap();
        let sel = cpu.selectors();
        let (gs, fs, es, ds, cs, ss) = (sel.gs, sel.fs, sel.es, sel.ds, sel.cs, sel.ss);
        let mut eflags = cpu.eflags();
        if cause.is_fault() {
            eflags |= RF;
        }
        let mask = p.signals.mask_to_save();
        let sc = SigContext {
            gs: gs.into(),
            fs: fs.into(),
            es: es.into(),
            ds: ds.into(),
            edi: cpu.reg(Reg::Edi),
            esi: cpu.reg(Reg::Esi),
            ebp: cpu.reg(Reg::Ebp),
            esp: sp,
            ebx: cpu.reg(Reg::Ebx),
            edx: cpu.reg(Reg::Edx),
            ecx: cpu.reg(Reg::Ecx),
            eax: cpu.reg(Reg::Eax),
            trapno: trap.trapno,
            err: trap.err,
            eip: cpu.eip().0,
            cs: cs.into(),
            eflags,
            esp_at_signal: sp,
            ss: ss.into(),
            fpstate,
            oldmask: mask.words()[0],
            cr2: trap.cr2.unwrap_or(0),
        };
        // Without SA_RESTORER Linux returns through the vDSO's sigreturn
        // stub; there is no vDSO here, so the frame's own retcode is the
        // way back (the stack is executable: i386 paging has no NX bit).
        let retcode = if rt_frame { rt::RETCODE } else { old::RETCODE };
        let pretcode = if act.flags & SA_RESTORER != 0 {
            act.restorer
        } else {
            frame.wrapping_add(retcode as u32)
        };
        let bytes = if rt_frame {
            RtFrame {
                frame,
                sig: info.signo.0,
                pretcode,
                info,
                uc_flags: 0,
                stack: StackT {
                    sp: alt.sp,
                    flags: alt.flags,
                    size: alt.size,
                },
                sc,
                mask,
            }
            .to_bytes()
        } else {
            sigframe::old_frame_bytes(info.signo.0, pretcode, &sc, mask)
        };
        if !in_user_space(
            frame,
            fpstate.wrapping_add(MATH_FRAME_SIZE).wrapping_sub(frame),
        ) {
            return Err(FrameError::Bad { frame });
        }
        // The FPU state first, then the frame, as Linux writes them.
        let fp = sigframe::fpstate_bytes(&self.machine.cpu().fpu().save_image());
        for (at, bytes) in [(fpstate, &fp), (frame, &bytes)] {
            match self.copy_to_user(p, at, bytes) {
                Ok(()) => {}
                Err(CopyError::Fault { .. }) => return Err(FrameError::Bad { frame }),
                Err(CopyError::OutOfMemory { addr }) => {
                    return Err(FrameError::OutOfMemory { addr })
                }
            }
        }
        let cpu = self.machine.cpu_mut();
        // The handler starts with a freshly initialised FPU.
        *cpu.fpu_mut() = Fpu::new();
        // The handler runs with Linux's user data and code segments; FS and
        // GS (TLS) stay as they were.
        for (seg, selector) in [
            (SegReg::Ds, USER_DS),
            (SegReg::Es, USER_DS),
            (SegReg::Ss, USER_DS),
            (SegReg::Cs, USER_CS),
        ] {
            cpu.load_segment(seg, selector)
                .expect("Linux's user selectors always load");
        }
        cpu.set_reg(Reg::Esp, frame);
        cpu.set_eip(VirtAddr(act.handler));
        // -mregparm=3 handlers find their arguments in EAX, EDX, ECX.
        cpu.set_reg(Reg::Eax, info.signo.0);
        let (edx, ecx) = if rt_frame {
            (frame + rt::INFO as u32, frame + rt::UC as u32)
        } else {
            (0, 0)
        };
        cpu.set_reg(Reg::Edx, edx);
        cpu.set_reg(Reg::Ecx, ecx);
        // The ABI wants DF clear at a function's entry.
        let flags = cpu.eflags() & !DF;
        cpu.set_eflags(flags);
        Ok((frame, nested || entering))
    }

    /// `rt_sigreturn` (`rt`) or `sigreturn`: back from a handler. The frame
    /// is where the handler's `ret` left ESP (4 bytes above it for the rt
    /// frame, 8 for the old one, whose restorer pops `sig`). A frame that
    /// cannot be read raises SIGSEGV; the call then returns 0.
    pub(crate) fn sigreturn(&mut self, p: &mut Process, rt_frame: bool) -> Result<u32, CopyError> {
        let sp = self.machine.cpu().reg(Reg::Esp);
        let frame = sp.wrapping_sub(if rt_frame { 4 } else { 8 });
        match self.restore_frame(p, frame, rt_frame) {
            Err(CopyError::Fault { .. }) => {
                self.force_signal(p, Death::BadSigreturn { frame });
                Ok(0)
            }
            other => other,
        }
    }

    fn restore_frame(
        &mut self,
        p: &mut Process,
        frame: u32,
        rt_frame: bool,
    ) -> Result<u32, CopyError> {
        let size = if rt_frame {
            RT_SIGFRAME_SIZE
        } else {
            SIGFRAME_SIZE
        };
        if !in_user_space(frame, size) {
            return Err(CopyError::Fault { done: 0 });
        }
        let mut b = Vec::new();
        // The mask first: Linux installs it before it reads the registers.
        let mask = if rt_frame {
            self.copy_from_user(p, frame + rt::UC_SIGMASK as u32, 8, &mut b)?;
            SigSet::from_bytes(&b)
        } else {
            let lo = self.read_user_u32(p, frame + (old::SC + sigframe::sc::OLDMASK) as u32)?;
            let hi = self.read_user_u32(p, frame + old::EXTRAMASK as u32)?;
            SigSet::from_words(lo, hi)
        };
        p.signals.set_blocked(mask);
        let at = frame + if rt_frame { rt::UC_MCONTEXT } else { old::SC } as u32;
        self.copy_from_user(p, at, SIGCONTEXT_SIZE, &mut b)?;
        let sc = SigContext::from_bytes(&b);
        let cpu = self.machine.cpu_mut();
        for (r, v) in [
            (Reg::Ebx, sc.ebx),
            (Reg::Ecx, sc.ecx),
            (Reg::Edx, sc.edx),
            (Reg::Esi, sc.esi),
            (Reg::Edi, sc.edi),
            (Reg::Ebp, sc.ebp),
            (Reg::Eax, sc.eax),
            (Reg::Esp, sc.esp),
        ] {
            cpu.set_reg(r, v);
        }
        cpu.set_eip(VirtAddr(sc.eip));
        // GS, FS, ES and DS come back from the frame; one that does not load
        // becomes the null selector, as Linux's loadsegment fixup makes it.
        // CS and SS stay Linux's flat user segments.
        for (seg, selector) in [
            (SegReg::Gs, sc.gs),
            (SegReg::Fs, sc.fs),
            (SegReg::Es, sc.es),
            (SegReg::Ds, sc.ds),
        ] {
            if cpu.load_segment(seg, selector as u16).is_err() {
                cpu.load_segment(seg, 0).expect("the null selector loads");
            }
        }
        let flags = (cpu.eflags() & !FIX_EFLAGS) | (sc.eflags & FIX_EFLAGS);
        cpu.set_eflags(flags);
        // The interrupted code's FPU state, or a clean one if the handler
        // cleared the pointer (as Linux does for fpstate NULL).
        let fpu = if sc.fpstate != 0 {
            self.copy_from_user(p, sc.fpstate, SAVE_IMAGE_SIZE as u32, &mut b)?;
            let mut f = Fpu::new();
            f.restore_image(b[..].try_into().expect("copied the whole image"));
            f
        } else {
            Fpu::new()
        };
        *self.machine.cpu_mut().fpu_mut() = fpu;
        if rt_frame {
            // The handler may have changed uc_stack: reinstall it, with
            // errors other than EFAULT ignored (restore_altstack).
            self.copy_from_user(p, frame + rt::UC_STACK as u32, 12, &mut b)?;
            let st = StackT::from_bytes(&b);
            let new = AltStack {
                sp: st.sp,
                size: st.size,
                flags: st.flags,
            };
            let _ = p.signals.set_altstack(new, sc.esp);
        }
        Ok(sc.eax)
    }
}
