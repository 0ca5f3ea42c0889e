//! The signal system calls, with Linux's structure layouts and errno rules:
//! rt_sigaction and the old sigaction, rt_sigprocmask, rt_sigpending,
//! sigaltstack, kill/tkill/tgkill (this kernel has one process, so only to
//! itself), rt_sigreturn and sigreturn, rt_sigsuspend, sigsuspend and
//! pause — and how strace prints them.

use super::numbers::*;
use super::outcome::Outcome;
use super::show::{flag_names, ptr};
use crate::errno::{Errno, EINTR, EINVAL, ENOMEM, EPERM, EPIPE, ESRCH};
use crate::kernel::Kernel;
use crate::process::Process;
use crate::sigframe::{rt, StackT};
use crate::signal::{code, Death, SigSet, Signal, NSIG};
use crate::sigstate::{
    AltStack, AltStackError, SigAction, SA_EXPOSE_TAGBITS, SA_NOCLDSTOP, SA_NOCLDWAIT, SA_NODEFER,
    SA_ONSTACK, SA_RESETHAND, SA_RESTART, SA_RESTORER, SA_SIGINFO, SA_UNSUPPORTED, SIG_DFL,
    SIG_IGN, SS_AUTODISARM, SS_DISABLE, SS_ONSTACK,
};
use crate::uaccess::CopyError;
use toyemu_emulator::Reg;

/// The kernel's sigset_t: rt_* calls insist on exactly this size.
const SIGSET_SIZE: u32 = 8;
/// `struct sigaction` of i386: handler, flags, restorer, mask (8 bytes).
const SIGACTION_SIZE: u32 = 20;
/// `struct old_sigaction`: handler, mask (4 bytes), flags, restorer.
const OLD_SIGACTION_SIZE: u32 = 16;

const SIG_BLOCK: u32 = 0;
const SIG_UNBLOCK: u32 = 1;
const SIG_SETMASK: u32 = 2;

fn words(b: &[u8]) -> Vec<u32> {
    b.chunks_exact(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

fn le(ws: &[u32]) -> Vec<u8> {
    ws.iter().flat_map(|w| w.to_le_bytes()).collect()
}

fn rt_action(b: &[u8]) -> SigAction {
    let w = words(b);
    SigAction {
        handler: w[0],
        flags: w[1],
        restorer: w[2],
        mask: SigSet::from_words(w[3], w[4]),
    }
}

fn old_action(b: &[u8]) -> SigAction {
    let w = words(b);
    SigAction {
        handler: w[0],
        mask: SigSet::from_words(w[1], 0),
        flags: w[2],
        restorer: w[3],
    }
}

/// One of the two user layouts of an action: `struct sigaction` (the rt
/// calls: handler, flags, restorer, 8-byte mask) or `struct old_sigaction`
/// (handler, 4-byte mask, flags, restorer).
struct ActionLayout {
    size: u32,
    decode: fn(&[u8]) -> SigAction,
    encode: fn(&SigAction) -> Vec<u8>,
}

const RT_LAYOUT: ActionLayout = ActionLayout {
    size: SIGACTION_SIZE,
    decode: rt_action,
    encode: |a| {
        let [lo, hi] = a.mask.words();
        le(&[a.handler, a.flags, a.restorer, lo, hi])
    },
};

const OLD_LAYOUT: ActionLayout = ActionLayout {
    size: OLD_SIGACTION_SIZE,
    decode: old_action,
    encode: |a| le(&[a.handler, a.mask.words()[0], a.flags, a.restorer]),
};

/// Is `pid` (a kill target) this process, or its process group?
fn valid_signal(sig: u32) -> bool {
    sig <= NSIG
}

impl Kernel {
    fn read_user(&mut self, p: &mut Process, va: u32, len: u32) -> Result<Vec<u8>, CopyError> {
        let mut b = Vec::new();
        self.copy_from_user(p, va, len, &mut b)?;
        Ok(b)
    }

    /// A syscall result from a user copy's outcome.
    fn copied(&self, p: &Process, r: Result<u32, CopyError>) -> Outcome {
        match r {
            Ok(v) => Outcome::Value(v),
            Err(e) => self.copy_failed(p, e),
        }
    }

    /// `do_sigaction`: look at and perhaps change the action for `sig`.
    fn do_sigaction(
        &mut self,
        p: &mut Process,
        sig: u32,
        new: Option<SigAction>,
    ) -> Result<SigAction, Errno> {
        let s = Signal(sig);
        if !s.is_valid() || (new.is_some() && s.is_kernel_only()) {
            return Err(EINVAL);
        }
        let old = p.signals.action(s);
        if let Some(a) = new {
            p.signals.set_action(s, a);
            // Actions belong to the thread group.
            let tgid = p.tgid;
            for q in self.procs.parked.values_mut().filter(|q| q.tgid == tgid) {
                q.signals.share_actions(&p.signals);
            }
        }
        Ok(old)
    }

    /// rt_sigaction(sig, act, oact, sigsetsize).
    pub(super) fn sys_rt_sigaction(
        &mut self,
        p: &mut Process,
        sig: u32,
        act: u32,
        oact: u32,
        sigsetsize: u32,
    ) -> Outcome {
        if sigsetsize != SIGSET_SIZE {
            return Outcome::Err(EINVAL);
        }
        self.sigaction_as(p, sig, act, oact, &RT_LAYOUT)
    }

    /// sigaction(sig, act, oact) with `struct old_sigaction` (a 4-byte mask).
    /// Neither glibc nor musl calls it on i386; old binaries do.
    pub(super) fn sys_sigaction(
        &mut self,
        p: &mut Process,
        sig: u32,
        act: u32,
        oact: u32,
    ) -> Outcome {
        self.sigaction_as(p, sig, act, oact, &OLD_LAYOUT)
    }

    /// Read the new action (if any) in `layout`, install it, and write the
    /// old one back (if asked) in the same layout.
    fn sigaction_as(
        &mut self,
        p: &mut Process,
        sig: u32,
        act: u32,
        oact: u32,
        layout: &ActionLayout,
    ) -> Outcome {
        let new = if act != 0 {
            match self.read_user(p, act, layout.size) {
                Ok(b) => Some((layout.decode)(&b)),
                Err(e) => return self.copy_failed(p, e),
            }
        } else {
            None
        };
        let old = match self.do_sigaction(p, sig, new) {
            Ok(o) => o,
            Err(e) => return Outcome::Err(e),
        };
        if oact == 0 {
            return Outcome::Value(0);
        }
        let r = self
            .copy_to_user(p, oact, &(layout.encode)(&old))
            .map(|()| 0);
        self.copied(p, r)
    }

    /// rt_sigprocmask(how, set, oldset, sigsetsize). `how` is only looked
    /// at when there is a new set; SIGKILL and SIGSTOP never get blocked.
    pub(super) fn sys_rt_sigprocmask(
        &mut self,
        p: &mut Process,
        how: u32,
        set: u32,
        oset: u32,
        sigsetsize: u32,
    ) -> Outcome {
        if sigsetsize != SIGSET_SIZE {
            return Outcome::Err(EINVAL);
        }
        let old = p.signals.blocked();
        if set != 0 {
            let new = match self.read_user(p, set, SIGSET_SIZE) {
                Ok(b) => SigSet::from_bytes(&b),
                Err(e) => return self.copy_failed(p, e),
            };
            let mask = match how {
                SIG_BLOCK => old.union(new),
                SIG_UNBLOCK => old.minus(new),
                SIG_SETMASK => new,
                _ => return Outcome::Err(EINVAL),
            };
            p.signals.set_blocked(mask);
        }
        if oset == 0 {
            return Outcome::Value(0);
        }
        let r = self.copy_to_user(p, oset, &old.to_bytes()).map(|()| 0);
        self.copied(p, r)
    }

    /// rt_sigpending(set, sigsetsize): the blocked signals waiting. A size
    /// below 8 writes that many bytes; above, EINVAL.
    pub(super) fn sys_rt_sigpending(&mut self, p: &mut Process, set: u32, size: u32) -> Outcome {
        if size > SIGSET_SIZE {
            return Outcome::Err(EINVAL);
        }
        let pending = p.signals.pending().0 & p.signals.blocked().0;
        let bytes = pending.to_le_bytes();
        let r = self
            .copy_to_user(p, set, &bytes[..size as usize])
            .map(|()| 0);
        self.copied(p, r)
    }

    /// sigaltstack(ss, old_ss): the old one is reported as the stack
    /// pointer sees it (SS_ONSTACK while on it, SS_DISABLE without one).
    pub(super) fn sys_sigaltstack(&mut self, p: &mut Process, ss: u32, old: u32) -> Outcome {
        let new = if ss != 0 {
            match self.read_user(p, ss, 12) {
                Ok(b) => Some(StackT::from_bytes(&b)),
                Err(e) => return self.copy_failed(p, e),
            }
        } else {
            None
        };
        let sp = self.machine.cpu().reg(Reg::Esp);
        let cur = p.signals.altstack();
        let was = StackT {
            sp: cur.sp,
            flags: cur.state_at(sp) | (cur.flags & SS_AUTODISARM),
            size: cur.size,
        };
        if let Some(n) = new {
            let st = AltStack {
                sp: n.sp,
                size: n.size,
                flags: n.flags,
            };
            if let Err(e) = p.signals.set_altstack(st, sp) {
                return Outcome::Err(match e {
                    AltStackError::OnStack => EPERM,
                    AltStackError::BadFlags => EINVAL,
                    AltStackError::TooSmall => ENOMEM,
                });
            }
        }
        if old == 0 {
            return Outcome::Value(0);
        }
        let r = self.copy_to_user(p, old, &was.to_bytes()).map(|()| 0);
        self.copied(p, r)
    }

    /// Queue `sig` for this process, sent by itself with `si_code`.
    fn signal_self(&mut self, p: &mut Process, sig: u32, si_code: i32) -> Outcome {
        if !valid_signal(sig) {
            return Outcome::Err(EINVAL);
        }
        // Signal 0 only asks whether the target exists.
        if sig != 0 {
            let eip = self.machine.cpu().eip();
            let cause = Death::SelfSignal {
                sig: Signal(sig),
                eip,
                si_code,
            };
            self.send_signal(p, cause);
        }
        Outcome::Value(0)
    }

    /// kill(pid, sig): a process (any of its threads may take the
    /// signal), the caller's group (0, -pid: every process is in its own
    /// group here). -1 means every process but the caller and pid 1.
    pub(super) fn sys_kill(&mut self, p: &mut Process, pid: u32, sig: u32) -> Outcome {
        if !valid_signal(sig) {
            return Outcome::Err(EINVAL);
        }
        let from = p.tgid;
        let me = p.tgid;
        let group_of = |q: u32| self.procs.parked.get(&q).map(|q| q.tgid);
        let groups: Vec<u32> = match pid as i32 {
            -1 => {
                let mut g: Vec<u32> = self
                    .procs
                    .parked
                    .values()
                    .filter(|q| q.is_leader() && q.tgid != 1 && q.tgid != me)
                    .map(|q| q.tgid)
                    .collect();
                g.dedup();
                g
            }
            n if n == me as i32 || n == 0 || n == -(me as i32) => vec![me],
            n if n > 0 => match group_of(pid) {
                Some(g) => vec![g],
                None => return Outcome::Err(ESRCH),
            },
            _ => return Outcome::Err(ESRCH),
        };
        if groups.is_empty() {
            return Outcome::Err(ESRCH);
        }
        for g in groups {
            if sig == 0 {
                continue;
            }
            let tid = self.signal_target(p, g, Signal(sig));
            if tid == p.pid {
                if let o @ Outcome::Err(_) = self.signal_self(p, sig, code::SI_USER) {
                    return o;
                }
                continue;
            }
            let q = self.procs.parked.get_mut(&tid).expect("a member");
            // A zombie exists (kill succeeds) but takes no signal.
            if !q.is_done() {
                q.signals.send(Death::Sent {
                    sig: Signal(sig),
                    from,
                });
            }
        }
        Outcome::Value(0)
    }

    /// tkill(tid, sig): one thread.
    pub(super) fn sys_tkill(&mut self, p: &mut Process, tid: u32, sig: u32) -> Outcome {
        if tid as i32 <= 0 {
            return Outcome::Err(EINVAL);
        }
        self.signal_thread(p, None, tid, sig)
    }

    /// tgkill(tgid, tid, sig): thread `tid`, if it is in group `tgid`.
    pub(super) fn sys_tgkill(&mut self, p: &mut Process, tgid: u32, tid: u32, sig: u32) -> Outcome {
        if tgid as i32 <= 0 || tid as i32 <= 0 {
            return Outcome::Err(EINVAL);
        }
        self.signal_thread(p, Some(tgid), tid, sig)
    }

    fn signal_thread(&mut self, p: &mut Process, tgid: Option<u32>, tid: u32, sig: u32) -> Outcome {
        if tid == p.pid && tgid.is_none_or(|g| g == p.tgid) {
            return self.signal_self(p, sig, code::SI_TKILL);
        }
        if !valid_signal(sig) {
            return Outcome::Err(EINVAL);
        }
        let from = p.tgid;
        let Some(q) = self.procs.parked.get_mut(&tid) else {
            return Outcome::Err(ESRCH);
        };
        if q.is_done() || tgid.is_some_and(|g| g != q.tgid) {
            return Outcome::Err(ESRCH);
        }
        if sig != 0 {
            q.signals.send(Death::Sent {
                sig: Signal(sig),
                from,
            });
        }
        Outcome::Value(0)
    }

    /// rt_sigreturn and sigreturn: the registers and mask of the frame.
    pub(super) fn sys_sigreturn(&mut self, p: &mut Process, rt_frame: bool) -> Outcome {
        let r = self.sigreturn(p, rt_frame);
        self.copied(p, r)
    }

    /// The wait of pause and sigsuspend: a signal that is deliverable now
    /// and will be acted on (a handler, or a death) ends it with EINTR
    /// once delivered. Nothing else could ever send one — no other
    /// process, no timer — so without one the process would sleep forever:
    /// it is killed instead, and the report says why.
    fn wait_for_signal(&mut self, p: &mut Process, call: &'static str) -> Outcome {
        if p.signals.has_wakeup() {
            Outcome::Err(EINTR)
        } else if self.parked().any(|q| !q.has_exited()) {
            // Another process may send one: sleep (with sigsuspend's mask).
            Outcome::Block(Box::new(crate::sleep::Block::Signal { call }))
        } else {
            p.signals.restore_saved_mask();
            Outcome::Kill(Box::new(Death::SleepsForever { call }))
        }
    }

    pub(super) fn sys_pause(&mut self, p: &mut Process) -> Outcome {
        self.wait_for_signal(p, "pause")
    }

    /// rt_sigsuspend(mask, sigsetsize): wait with `mask`; the handler's
    /// sigreturn puts the old mask back.
    pub(super) fn sys_rt_sigsuspend(&mut self, p: &mut Process, set: u32, size: u32) -> Outcome {
        if size != SIGSET_SIZE {
            return Outcome::Err(EINVAL);
        }
        let mask = match self.read_user(p, set, SIGSET_SIZE) {
            Ok(b) => SigSet::from_bytes(&b),
            Err(e) => return self.copy_failed(p, e),
        };
        p.signals.suspend_with(mask);
        self.wait_for_signal(p, "rt_sigsuspend")
    }

    /// sigsuspend(0, 0, mask): i386's three-argument form, a one-word mask.
    pub(super) fn sys_sigsuspend(&mut self, p: &mut Process, mask: u32) -> Outcome {
        p.signals.suspend_with(SigSet::from_words(mask, 0));
        self.wait_for_signal(p, "sigsuspend")
    }

    /// A syscall that would kill with a signal a program can catch raises
    /// it instead: writing to a pipe with no reader is EPIPE plus SIGPIPE.
    pub(super) fn signal_outcome(&mut self, p: &mut Process, outcome: Outcome) -> Outcome {
        match outcome {
            Outcome::Kill(d) if *d == Death::BrokenPipe => {
                self.send_signal(p, Death::BrokenPipe);
                Outcome::Err(EPIPE)
            }
            other => other,
        }
    }
}

/// What a signal call's arguments pointed at when it was made, for the
/// trace: a call may overwrite its input (`sigprocmask(SIG_BLOCK, &s, &s)`)
/// and sigreturn moves the stack away from its frame.
pub struct EntryArgs {
    input: Option<Vec<u8>>,
}

const FLAG_NAMES: &[(u32, &str)] = &[
    (SA_RESTORER, "SA_RESTORER"),
    (SA_ONSTACK, "SA_ONSTACK"),
    (SA_RESTART, "SA_RESTART"),
    (SA_NODEFER, "SA_NODEFER"),
    (SA_RESETHAND, "SA_RESETHAND"),
    (SA_SIGINFO, "SA_SIGINFO"),
    (SA_NOCLDSTOP, "SA_NOCLDSTOP"),
    (SA_NOCLDWAIT, "SA_NOCLDWAIT"),
    (SA_UNSUPPORTED, "SA_UNSUPPORTED"),
    (SA_EXPOSE_TAGBITS, "SA_EXPOSE_TAGBITS"),
];

/// `{sa_handler=..., sa_mask=[...], sa_flags=..., sa_restorer=...}`.
fn action_text(a: &SigAction) -> String {
    let handler = match a.handler {
        SIG_DFL => "SIG_DFL".to_string(),
        SIG_IGN => "SIG_IGN".to_string(),
        h => format!("{h:#x}"),
    };
    let mut s = format!(
        "{{sa_handler={handler}, sa_mask={}, sa_flags={}",
        a.mask,
        flag_names(a.flags, FLAG_NAMES, "0")
    );
    if a.flags & SA_RESTORER != 0 {
        s.push_str(&format!(", sa_restorer={:#x}", a.restorer));
    }
    s.push('}');
    s
}

fn stack_text(st: &StackT) -> String {
    let names = [
        (SS_ONSTACK, "SS_ONSTACK"),
        (SS_DISABLE, "SS_DISABLE"),
        (SS_AUTODISARM, "SS_AUTODISARM"),
    ];
    format!(
        "{{ss_sp={}, ss_flags={}, ss_size={}}}",
        ptr(st.sp),
        flag_names(st.flags, &names, "0"),
        st.size
    )
}

fn how_text(how: u32) -> String {
    match how {
        SIG_BLOCK => "SIG_BLOCK".into(),
        SIG_UNBLOCK => "SIG_UNBLOCK".into(),
        SIG_SETMASK => "SIG_SETMASK".into(),
        n => format!("{:#x} /* SIG_??? */", n),
    }
}

impl Kernel {
    /// Read what a signal call's input points at, before the call runs.
    /// `None` for calls this file does not own.
    pub(super) fn signal_entry_args(
        &self,
        p: &Process,
        nr: u32,
        a: &[u32; 6],
    ) -> Option<EntryArgs> {
        let input = match nr {
            NR_RT_SIGACTION => self.peek_user_bytes(p, a[1], SIGACTION_SIZE),
            NR_SIGACTION => self.peek_user_bytes(p, a[1], OLD_SIGACTION_SIZE),
            NR_RT_SIGPROCMASK | NR_RT_SIGSUSPEND => self.peek_user_bytes(p, a[1], SIGSET_SIZE),
            NR_SIGALTSTACK => self.peek_user_bytes(p, a[0], 12),
            NR_RT_SIGRETURN => {
                let sp = self.machine.cpu().reg(Reg::Esp);
                let at = sp.wrapping_sub(4).wrapping_add(rt::UC_SIGMASK as u32);
                self.peek_user_bytes(p, at, 8)
            }
            NR_SIGRETURN => {
                use crate::sigframe::{old, sc};
                let frame = self.machine.cpu().reg(Reg::Esp).wrapping_sub(8);
                let lo =
                    self.peek_user_bytes(p, frame.wrapping_add((old::SC + sc::OLDMASK) as u32), 4);
                let hi = self.peek_user_bytes(p, frame.wrapping_add(old::EXTRAMASK as u32), 4);
                lo.zip(hi).map(|(mut l, h)| {
                    l.extend(h);
                    l
                })
            }
            NR_KILL | NR_TKILL | NR_TGKILL | NR_PAUSE | NR_RT_SIGPENDING | NR_SIGSUSPEND => None,
            _ => return None,
        };
        Some(EntryArgs { input })
    }

    /// The arguments of a signal call as strace prints them.
    pub(super) fn signal_args_text(
        &self,
        p: &Process,
        nr: u32,
        a: &[u32; 6],
        outcome: &Outcome,
        entry: &EntryArgs,
    ) -> String {
        let ok = matches!(outcome, Outcome::Value(_));
        let sig = |v: u32| Signal(v).to_string();
        // An input struct: decoded if it could be read, else its address.
        let input = |addr: u32, decode: &dyn Fn(&[u8]) -> String| match (&entry.input, addr) {
            (_, 0) => "NULL".to_string(),
            (Some(b), _) => decode(b),
            (None, a) => ptr(a),
        };
        // An output struct: decoded after a successful call, else its address.
        let output = |addr: u32, len: u32, decode: &dyn Fn(&[u8]) -> String| {
            if addr == 0 {
                return "NULL".to_string();
            }
            match self.peek_user_bytes(p, addr, len) {
                Some(b) if ok => decode(&b),
                _ => ptr(addr),
            }
        };
        let set = |b: &[u8]| SigSet::from_bytes(b).to_string();
        match nr {
            NR_RT_SIGACTION => format!(
                "{}, {}, {}, {}",
                sig(a[0]),
                input(a[1], &|b| action_text(&rt_action(b))),
                output(a[2], SIGACTION_SIZE, &|b| action_text(&rt_action(b))),
                a[3]
            ),
            NR_SIGACTION => format!(
                "{}, {}, {}",
                sig(a[0]),
                input(a[1], &|b| action_text(&old_action(b))),
                output(a[2], OLD_SIGACTION_SIZE, &|b| action_text(&old_action(b)))
            ),
            NR_RT_SIGPROCMASK => format!(
                "{}, {}, {}, {}",
                how_text(a[0]),
                input(a[1], &set),
                output(a[2], SIGSET_SIZE, &set),
                a[3]
            ),
            NR_RT_SIGPENDING => format!("{}, {}", output(a[0], a[1].min(SIGSET_SIZE), &set), a[1]),
            NR_RT_SIGSUSPEND => format!("{}, {}", input(a[0], &set), a[1]),
            NR_SIGSUSPEND => SigSet::from_words(a[2], 0).to_string(),
            NR_SIGALTSTACK => format!(
                "{}, {}",
                input(a[0], &|b| stack_text(&StackT::from_bytes(b))),
                output(a[1], 12, &|b| stack_text(&StackT::from_bytes(b)))
            ),
            NR_KILL => format!("{}, {}", a[0] as i32, sig(a[1])),
            NR_TKILL => format!("{}, {}", a[0] as i32, sig(a[1])),
            NR_TGKILL => format!("{}, {}, {}", a[0] as i32, a[1] as i32, sig(a[2])),
            NR_RT_SIGRETURN | NR_SIGRETURN => match &entry.input {
                Some(b) => format!("{{mask={}}}", set(b)),
                None => "{mask=?}".to_string(),
            },
            _ => String::new(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn actions_read_like_strace() {
        let a = SigAction {
            handler: 0x8049123,
            flags: SA_RESTORER | SA_SIGINFO,
            restorer: 0x8049000,
            mask: SigSet::EMPTY,
        };
        assert_eq!(
            action_text(&a),
            "{sa_handler=0x8049123, sa_mask=[], sa_flags=SA_RESTORER|SA_SIGINFO, sa_restorer=0x8049000}"
        );
        let d = SigAction::default();
        assert_eq!(
            action_text(&d),
            "{sa_handler=SIG_DFL, sa_mask=[], sa_flags=0}"
        );
        assert_eq!(
            stack_text(&StackT {
                sp: 0,
                flags: SS_DISABLE,
                size: 0
            }),
            "{ss_sp=NULL, ss_flags=SS_DISABLE, ss_size=0}"
        );
    }
}
