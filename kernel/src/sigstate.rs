//! What a process does with signals: one action per signal (`sigaction`),
//! the blocked mask, the pending queue, the alternate stack, and the last
//! fault's trap information — with Linux's rules for each (kernel/signal.c):
//! which signals are dropped when sent, which a fault forces through, and
//! in what order pending ones come out.

use crate::signal::{
    Death, DefaultAction, SigSet, Signal, TrapInfo, SIGCONT, SIGKILL, SIGSTOP, SIGTSTP, SIGTTIN,
    SIGTTOU,
};

/// `sa_handler` values that are not addresses.
pub const SIG_DFL: u32 = 0;
pub const SIG_IGN: u32 = 1;

pub const SA_NOCLDSTOP: u32 = 0x0000_0001;
pub const SA_NOCLDWAIT: u32 = 0x0000_0002;
pub const SA_SIGINFO: u32 = 0x0000_0004;
pub const SA_UNSUPPORTED: u32 = 0x0000_0400;
pub const SA_EXPOSE_TAGBITS: u32 = 0x0000_0800;
pub const SA_RESTORER: u32 = 0x0400_0000;
pub const SA_ONSTACK: u32 = 0x0800_0000;
pub const SA_RESTART: u32 = 0x1000_0000;
pub const SA_NODEFER: u32 = 0x4000_0000;
pub const SA_RESETHAND: u32 = 0x8000_0000;
/// The flags `do_sigaction` keeps (UAPI_SA_FLAGS on x86); others are cleared
/// so a program can tell they are unsupported.
pub const SA_KNOWN: u32 = SA_NOCLDSTOP
    | SA_NOCLDWAIT
    | SA_SIGINFO
    | SA_ONSTACK
    | SA_RESTART
    | SA_NODEFER
    | SA_RESETHAND
    | SA_EXPOSE_TAGBITS
    | SA_RESTORER;

pub const SS_ONSTACK: u32 = 1;
pub const SS_DISABLE: u32 = 2;
pub const SS_AUTODISARM: u32 = 1 << 31;
/// The smallest alternate stack sigaltstack accepts (x86's MINSIGSTKSZ).
pub const MINSIGSTKSZ: u32 = 2048;

/// The kernel's `struct sigaction` for one signal.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SigAction {
    pub handler: u32,
    pub flags: u32,
    pub restorer: u32,
    pub mask: SigSet,
}

impl SigAction {
    /// A handler address rather than SIG_DFL or SIG_IGN.
    pub fn is_handler(&self) -> bool {
        self.handler != SIG_DFL && self.handler != SIG_IGN
    }
}

/// `stack_t`: the alternate signal stack (`sigaltstack`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct AltStack {
    pub sp: u32,
    pub size: u32,
    /// As set: 0, SS_DISABLE, with SS_AUTODISARM perhaps (`sas_ss_flags`).
    pub flags: u32,
}

impl AltStack {
    /// `__on_sig_stack`: is `sp` inside (the top counts, the bottom not)?
    pub fn contains(&self, sp: u32) -> bool {
        sp > self.sp && sp.wrapping_sub(self.sp) <= self.size
    }
    /// `on_sig_stack`: with SS_AUTODISARM the kernel never thinks so.
    pub fn is_on(&self, sp: u32) -> bool {
        self.flags & SS_AUTODISARM == 0 && self.contains(sp)
    }
    /// `sas_ss_flags`: SS_DISABLE without a stack, SS_ONSTACK while on it.
    pub fn state_at(&self, sp: u32) -> u32 {
        if self.size == 0 {
            SS_DISABLE
        } else if self.is_on(sp) {
            SS_ONSTACK
        } else {
            0
        }
    }
    /// The top of the stack, where frames start.
    pub fn top(&self) -> u32 {
        self.sp.wrapping_add(self.size)
    }
    /// `sas_ss_reset`.
    pub fn reset(&mut self) {
        *self = AltStack {
            sp: 0,
            size: 0,
            flags: SS_DISABLE,
        };
    }
}

/// What became of a signal sent to the process.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Sent {
    Queued,
    /// Ignored and not blocked: thrown away at once.
    Ignored,
    /// A standard signal that was pending already: the two are one.
    Merged,
}

/// Why a `sigaltstack` change was refused.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum AltStackError {
    /// The process is running on the alternate stack now (EPERM).
    OnStack,
    /// Flags other than SS_ONSTACK, SS_DISABLE, 0, plus SS_AUTODISARM (EINVAL).
    BadFlags,
    /// Smaller than MINSIGSTKSZ (ENOMEM).
    TooSmall,
}

/// A process's signal state.
#[derive(Clone, Debug)]
pub struct SignalState {
    /// `actions[n - 1]` for signal n.
    actions: [SigAction; 64],
    blocked: SigSet,
    /// Raised and not yet delivered, oldest first; a standard signal at most
    /// once, real-time ones every time they were sent.
    pending: Vec<Death>,
    altstack: AltStack,
    /// The last fault's vector, error code and address (the thread's
    /// `trap_nr`, `error_code`, `cr2`), as the next sigcontext shows them.
    trap: TrapInfo,
    /// The mask `sigsuspend` replaced, put back by the handler's sigreturn
    /// (Linux's `saved_sigmask` with TIF_RESTORE_SIGMASK).
    saved_mask: Option<SigSet>,
}

impl Default for SignalState {
    fn default() -> Self {
        SignalState {
            actions: [SigAction::default(); 64],
            blocked: SigSet::EMPTY,
            pending: Vec::new(),
            altstack: AltStack::default(),
            trap: TrapInfo::default(),
            saved_mask: None,
        }
    }
}

impl SignalState {
    /// The action for `sig` (the default one for an invalid number).
    pub fn action(&self, sig: Signal) -> SigAction {
        if sig.is_valid() {
            self.actions[sig.0 as usize - 1]
        } else {
            SigAction::default()
        }
    }

    /// `do_sigaction`: install `act` for `sig` (valid, and not SIGKILL or
    /// SIGSTOP: the caller checks). Unknown flags are dropped, SIGKILL and
    /// SIGSTOP leave the mask, and a signal that is now ignored is no longer
    /// pending (POSIX 3.3.1.3). Returns the old action.
    pub fn set_action(&mut self, sig: Signal, mut act: SigAction) -> SigAction {
        act.flags &= SA_KNOWN;
        act.mask = act.mask.blockable();
        let old = self.action(sig);
        self.actions[sig.0 as usize - 1] = act;
        if self.ignores(sig) {
            self.pending.retain(|d| d.signal() != sig);
        }
        old
    }

    pub fn blocked(&self) -> SigSet {
        self.blocked
    }
    /// `set_current_blocked`: SIGKILL and SIGSTOP are never blocked.
    pub fn set_blocked(&mut self, set: SigSet) {
        self.blocked = set.blockable();
    }

    /// The signals raised and not delivered yet.
    pub fn pending(&self) -> SigSet {
        self.pending
            .iter()
            .fold(SigSet::EMPTY, |s, d| s.with(d.signal()))
    }
    /// Must the return to user mode look at signals: something deliverable,
    /// or sigsuspend's mask to put back?
    pub fn needs_delivery(&self) -> bool {
        self.has_deliverable() || self.saved_mask.is_some()
    }
    /// Anything pending that the mask lets through?
    pub fn has_deliverable(&self) -> bool {
        !self.pending().minus(self.blocked).is_empty()
    }
    /// Anything deliverable that would be acted on (a handler to run or a
    /// death), not just dropped: what wakes `pause` and `sigsuspend`.
    pub fn has_wakeup(&self) -> bool {
        self.pending()
            .minus(self.blocked)
            .iter()
            .any(|s| !self.ignores(s) && s.default_action() != DefaultAction::Stop)
    }

    /// Will the signal delivered next run a handler set with SA_RESTART
    /// (so an interrupted call runs again after it)?
    pub fn restarts_calls(&self) -> bool {
        let next = self.pending().minus(self.blocked).iter().next();
        next.is_some_and(|s| {
            let a = self.action(s);
            a.is_handler() && a.flags & SA_RESTART != 0
        })
    }

    /// A forked child's: the same actions, mask and alternate stack,
    /// nothing pending.
    pub fn forked(&self) -> SignalState {
        SignalState {
            pending: Vec::new(),
            saved_mask: None,
            trap: TrapInfo::default(),
            ..self.clone()
        }
    }

    /// A new thread's: the same actions and mask, nothing pending, no
    /// alternate stack (Linux clears it for a thread sharing the memory).
    pub fn for_thread(&self) -> SignalState {
        SignalState {
            altstack: AltStack::default(),
            ..self.forked()
        }
    }

    /// The actions of the group `other` is in (a sibling thread just
    /// changed one): a signal sent to this thread while it is off the CPU
    /// is judged by them.
    pub fn share_actions(&mut self, other: &SignalState) {
        self.actions = other.actions;
    }

    /// execve: caught signals go back to SIG_DFL (the handlers are gone
    /// with the old image); ignored ones stay ignored, the mask and pending
    /// signals stay, the alternate stack goes.
    pub fn exec_reset(&mut self) {
        for a in self.actions.iter_mut() {
            if a.is_handler() {
                *a = SigAction::default();
            }
        }
        self.altstack = AltStack::default();
        self.saved_mask = None;
    }

    /// Children that end are not kept as zombies: SIGCHLD set to SIG_IGN,
    /// or SA_NOCLDWAIT.
    pub fn ignores_children(&self) -> bool {
        let a = self.action(crate::signal::SIGCHLD);
        a.handler == SIG_IGN || a.flags & SA_NOCLDWAIT != 0
    }

    /// Would `sig` be thrown away if delivered now: SIG_IGN, or SIG_DFL
    /// with an "ignore" default (`sig_handler_ignored`).
    pub fn ignores(&self, sig: Signal) -> bool {
        let a = self.action(sig);
        a.handler == SIG_IGN
            || (a.handler == SIG_DFL && sig.default_action() == DefaultAction::Ignore)
    }

    /// `send_signal`: queue `cause`'s signal. An ignored signal that is
    /// not blocked is dropped at once (a blocked one waits: its handler may
    /// change before it is unblocked); a standard signal already pending is
    /// not queued twice. Stop signals cancel a pending SIGCONT and SIGCONT
    /// cancels pending stop signals.
    pub fn send(&mut self, cause: Death) -> Sent {
        let sig = cause.signal();
        if sig == SIGCONT {
            self.pending.retain(|d| {
                !matches!(d.signal(), s if s == SIGSTOP || s == SIGTSTP || s == SIGTTIN || s == SIGTTOU)
            });
        } else if sig.default_action() == DefaultAction::Stop {
            self.pending.retain(|d| d.signal() != SIGCONT);
        }
        if sig != SIGKILL && !self.blocked.contains(sig) && self.ignores(sig) {
            return Sent::Ignored;
        }
        if !sig.is_realtime() && self.pending().contains(sig) {
            return Sent::Merged;
        }
        self.pending.push(cause);
        Sent::Queued
    }

    /// `force_sig_info`: a fault's signal cannot be blocked or ignored away.
    /// If it is either, its action goes back to SIG_DFL (and it is
    /// unblocked), so the fault kills; otherwise its handler runs. The
    /// fault's trap information is kept for the sigcontext.
    pub fn force(&mut self, cause: Death) {
        let sig = cause.signal();
        if let Some(t) = cause.trap() {
            self.trap = TrapInfo {
                cr2: t.cr2.or(self.trap.cr2),
                ..t
            };
        }
        let a = self.action(sig);
        let blocked = self.blocked.contains(sig);
        if blocked || a.handler == SIG_IGN {
            self.actions[sig.0 as usize - 1].handler = SIG_DFL;
            self.blocked = self.blocked.without(sig);
        }
        let _ = self.send(cause);
    }

    /// `dequeue_signal`: the next deliverable signal — a synchronous one
    /// (SIGSEGV, SIGBUS, SIGILL, SIGTRAP, SIGFPE, SIGSYS) first, else the
    /// lowest number — and, of its instances, the oldest.
    pub fn dequeue(&mut self) -> Option<Death> {
        let ready = self.pending().minus(self.blocked);
        let sig = ready
            .iter()
            .find(|s| s.is_synchronous())
            .or_else(|| ready.iter().next())?;
        let at = self.pending.iter().position(|d| d.signal() == sig)?;
        Some(self.pending.remove(at))
    }

    /// SA_RESETHAND: the handler goes back to SIG_DFL once it is invoked
    /// (the flags stay as they were, as Linux leaves them).
    pub fn reset_handler(&mut self, sig: Signal) {
        if sig.is_valid() {
            self.actions[sig.0 as usize - 1].handler = SIG_DFL;
        }
    }

    pub fn altstack(&self) -> AltStack {
        self.altstack
    }
    /// `do_sigaltstack`'s change, with `sp` the current stack pointer.
    pub fn set_altstack(&mut self, new: AltStack, sp: u32) -> Result<(), AltStackError> {
        if self.altstack.is_on(sp) {
            return Err(AltStackError::OnStack);
        }
        let mode = new.flags & !SS_AUTODISARM;
        if mode != 0 && mode != SS_ONSTACK && mode != SS_DISABLE {
            return Err(AltStackError::BadFlags);
        }
        if new == self.altstack {
            return Ok(());
        }
        if mode == SS_DISABLE {
            self.altstack = AltStack {
                sp: 0,
                size: 0,
                flags: new.flags,
            };
            return Ok(());
        }
        if new.size < MINSIGSTKSZ {
            return Err(AltStackError::TooSmall);
        }
        self.altstack = new;
        Ok(())
    }
    /// SS_AUTODISARM: the stack is forgotten once a handler starts on it.
    pub fn disarm_altstack(&mut self) {
        if self.altstack.flags & SS_AUTODISARM != 0 {
            self.altstack.reset();
        }
    }

    pub fn trap(&self) -> TrapInfo {
        self.trap
    }

    /// sigsuspend: install `mask` for the wait, keeping the old one for the
    /// handler's sigreturn.
    pub fn suspend_with(&mut self, mask: SigSet) {
        // A sigsuspend that slept and runs again keeps the mask it replaced.
        if self.saved_mask.is_none() {
            self.saved_mask = Some(self.blocked);
        }
        self.set_blocked(mask);
    }
    /// The mask a handler's frame records: the one sigsuspend replaced, if
    /// a sigsuspend is being interrupted, else the current one.
    pub fn mask_to_save(&self) -> SigSet {
        self.saved_mask.unwrap_or(self.blocked)
    }
    /// A handler frame holds the saved mask now: forget it.
    pub fn clear_saved_mask(&mut self) {
        self.saved_mask = None;
    }
    /// Back to user mode with no handler run: sigsuspend's mask comes off.
    pub fn restore_saved_mask(&mut self) {
        if let Some(m) = self.saved_mask.take() {
            self.blocked = m;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signal::{code, SegvCode, SIGCHLD, SIGSEGV, SIGUSR1, SIGUSR2};
    use toyemu_emulator::{PfCode, VirtAddr};

    fn kill(sig: Signal) -> Death {
        Death::SelfSignal {
            sig,
            eip: VirtAddr(0),
            si_code: code::SI_USER,
        }
    }

    fn segv() -> Death {
        Death::Segv {
            addr: VirtAddr(0),
            eip: VirtAddr(0),
            code: PfCode::U,
            si_code: SegvCode::MapErr,
        }
    }

    fn handler() -> SigAction {
        SigAction {
            handler: 0x8049000,
            ..SigAction::default()
        }
    }

    #[test]
    fn ignored_signals_are_dropped_unless_blocked() {
        let mut s = SignalState::default();
        assert_eq!(
            s.send(kill(SIGCHLD)),
            Sent::Ignored,
            "SIGCHLD is ignored by default"
        );
        s.set_action(
            SIGUSR1,
            SigAction {
                handler: SIG_IGN,
                ..SigAction::default()
            },
        );
        assert_eq!(s.send(kill(SIGUSR1)), Sent::Ignored);
        s.set_blocked(SigSet::of(SIGUSR1));
        assert_eq!(
            s.send(kill(SIGUSR1)),
            Sent::Queued,
            "blocked: kept, the handler may change"
        );
        assert_eq!(s.pending(), SigSet::of(SIGUSR1));
        // Setting SIG_IGN discards it even while blocked.
        s.set_action(
            SIGUSR1,
            SigAction {
                handler: SIG_IGN,
                ..SigAction::default()
            },
        );
        assert!(s.pending().is_empty());
    }

    #[test]
    fn standard_signals_queue_once_realtime_every_time() {
        let mut s = SignalState::default();
        s.set_blocked(SigSet::FULL);
        assert_eq!(s.send(kill(SIGUSR1)), Sent::Queued);
        assert_eq!(s.send(kill(SIGUSR1)), Sent::Merged);
        assert_eq!(s.send(kill(Signal(40))), Sent::Queued);
        assert_eq!(s.send(kill(Signal(40))), Sent::Queued);
        assert_eq!(s.pending.len(), 3);
    }

    #[test]
    fn kill_and_stop_cannot_be_blocked() {
        let mut s = SignalState::default();
        s.set_blocked(SigSet::FULL);
        assert!(!s.blocked().contains(SIGKILL));
        assert!(!s.blocked().contains(SIGSTOP));
        assert!(s.blocked().contains(SIGUSR1));
    }

    #[test]
    fn synchronous_signals_come_out_first_then_the_lowest() {
        let mut s = SignalState::default();
        for sig in [SIGUSR2, SIGUSR1] {
            s.set_action(sig, handler());
        }
        s.set_action(SIGSEGV, handler());
        s.set_blocked(SigSet::FULL);
        for sig in [SIGUSR2, SIGUSR1, SIGSEGV] {
            s.send(kill(sig));
        }
        s.set_blocked(SigSet::EMPTY);
        let order: Vec<Signal> = std::iter::from_fn(|| s.dequeue().map(|d| d.signal())).collect();
        assert_eq!(order, vec![SIGSEGV, SIGUSR1, SIGUSR2]);
    }

    #[test]
    fn a_blocked_or_ignored_fault_signal_is_forced_to_its_default() {
        let mut s = SignalState::default();
        s.set_action(SIGSEGV, handler());
        s.set_blocked(SigSet::of(SIGSEGV));
        s.force(segv());
        assert_eq!(s.action(SIGSEGV).handler, SIG_DFL);
        assert!(!s.blocked().contains(SIGSEGV));
        assert_eq!(s.trap().trapno, 14);
        // Not blocked, with a handler: the handler stays.
        let mut s = SignalState::default();
        s.set_action(SIGSEGV, handler());
        s.force(segv());
        assert_eq!(s.action(SIGSEGV).handler, 0x8049000);
        assert_eq!(s.dequeue().map(|d| d.signal()), Some(SIGSEGV));
    }

    #[test]
    fn sigaction_drops_unknown_flags_and_unblockable_mask_bits() {
        let mut s = SignalState::default();
        s.set_action(
            SIGUSR1,
            SigAction {
                handler: 0x1000,
                flags: SA_SIGINFO | SA_UNSUPPORTED | 0x100,
                restorer: 0,
                mask: SigSet::FULL,
            },
        );
        let a = s.action(SIGUSR1);
        assert_eq!(a.flags, SA_SIGINFO);
        assert!(!a.mask.contains(SIGKILL) && !a.mask.contains(SIGSTOP));
    }

    #[test]
    fn altstack_rules() {
        let mut s = SignalState::default();
        let st = AltStack {
            sp: 0x1000_0000,
            size: 8192,
            flags: 0,
        };
        assert_eq!(
            s.set_altstack(AltStack { size: 100, ..st }, 0xbfff_0000),
            Err(AltStackError::TooSmall)
        );
        assert_eq!(
            s.set_altstack(AltStack { flags: 4, ..st }, 0xbfff_0000),
            Err(AltStackError::BadFlags)
        );
        assert_eq!(s.set_altstack(st, 0xbfff_0000), Ok(()));
        assert_eq!(s.altstack().state_at(0x1000_1000), SS_ONSTACK);
        assert_eq!(
            s.altstack().state_at(0x1000_2000),
            SS_ONSTACK,
            "the top counts"
        );
        assert_eq!(s.altstack().state_at(0x1000_0000), 0, "the bottom does not");
        assert_eq!(
            s.set_altstack(AltStack::default(), 0x1000_1000),
            Err(AltStackError::OnStack)
        );
        let off = AltStack {
            flags: SS_DISABLE,
            ..st
        };
        assert_eq!(s.set_altstack(off, 0xbfff_0000), Ok(()));
        assert_eq!(s.altstack().state_at(0), SS_DISABLE);
    }
}
