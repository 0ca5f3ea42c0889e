//! Threads: processes that share one address space (clone with CLONE_VM
//! and CLONE_THREAD).
//!
//! Each thread is a [`Process`] record of its own — registers, TLS
//! entries, signal mask, what it sleeps on — with `tgid` the pid of its
//! group's first thread, the leader. The CPU runs one thread at a time, so
//! what the group shares (the address space, descriptors, limits and
//! counters) is not shared by reference: it lives in the member that ran
//! last and moves to the next member that runs ([`Process::hand_over`]).
//! A switch between two threads of a group therefore loads no CR3 and
//! flushes no TLB, as Linux skips `switch_mm` for the same mm.
//!
//! `exit` ends the calling thread (it clears and wakes its
//! `clear_child_tid` word, which is how `pthread_join` learns of it);
//! `exit_group`, a fatal signal, or the last thread's `exit` end the group,
//! and the leader takes the end in its name, so its parent sees one process.

use crate::kernel::Kernel;
use crate::process::{Ending, ExitRecord, ExitStatus, Process};
use crate::sleep::FutexKey;
use crate::trace::EventKind;

impl Kernel {
    /// Give `next`, about to run, its group's shared state if another
    /// member holds it (`cur` is the process on the CPU until now).
    pub(crate) fn gather_group_state(&mut self, cur: &mut Process, next: &mut Process) {
        if next.mm.is_some() || next.has_exited() {
            return;
        }
        if cur.tgid == next.tgid && cur.mm.is_some() {
            cur.hand_over(next);
        } else if let Some(holder) = self
            .procs
            .parked
            .values_mut()
            .find(|q| q.tgid == next.tgid && q.mm.is_some())
        {
            holder.hand_over(next);
        }
    }

    /// Other threads of `p`'s group that can still run.
    fn live_siblings(&self, p: &Process) -> impl Iterator<Item = &Process> {
        let tgid = p.tgid;
        self.procs
            .parked
            .values()
            .filter(move |q| q.tgid == tgid && !q.is_done())
    }

    /// `exit(code)`: the calling thread ends. With no other thread of its
    /// group left to run, the process ends (`Some`).
    pub(crate) fn exit_thread(&mut self, p: &mut Process, code: u32) -> Option<ExitStatus> {
        let heir = self.live_siblings(p).map(|q| q.pid).next();
        let Some(heir) = heir else {
            return Some(self.exit(p, code));
        };
        self.clear_child_tid(p);
        self.emit(EventKind::ThreadExited {
            tid: p.pid,
            code: code as u8 as i32,
        });
        let ran = p.ran(self.insns());
        let heir = self.procs.parked.get_mut(&heir).expect("listed");
        p.hand_over(heir);
        heir.threads_ran += ran;
        if p.is_leader() {
            // The leader's record stays: the group's end is told in its name.
            p.thread_exited = true;
        } else {
            let status = ExitStatus {
                ending: Ending::Exited(code as u8),
            };
            p.exit = Some(thread_record(status, p.ran(self.insns())));
            p.autoreap = true;
        }
        None
    }

    /// CLONE_CHILD_CLEARTID / set_tid_address: at a thread's end, 0 goes
    /// into the word and one waiter on it is woken (`pthread_join`'s).
    fn clear_child_tid(&mut self, p: &mut Process) {
        let at = std::mem::take(&mut p.clear_child_tid);
        if at == 0 {
            return;
        }
        if self.copy_to_user(p, at, &0u32.to_le_bytes()).is_ok() {
            let key = FutexKey {
                tgid: p.tgid,
                va: at,
            };
            self.futex_wake(key, 1, u32::MAX);
        }
    }

    /// The group of `p` ends with `status` (or `p` execs): its other
    /// threads go at once, and if `p` is not the leader, the leader's
    /// record takes its place on the CPU, holding the group's state, so
    /// the end (or the new program) carries the process's pid.
    pub(crate) fn end_threads(&mut self, p: &mut Process, status: &ExitStatus) {
        let tgid = p.tgid;
        let others: Vec<u32> = self
            .procs
            .parked
            .values()
            .filter(|q| q.tgid == tgid && q.pid != p.pid && !q.has_exited())
            .map(|q| q.pid)
            .collect();
        if others.is_empty() {
            return;
        }
        // A leader that left by `exit` holds nothing: take the state back.
        if p.mm.is_none() {
            if let Some(h) = self
                .procs
                .parked
                .values_mut()
                .find(|q| q.tgid == tgid && q.mm.is_some())
            {
                h.hand_over(p);
            }
        }
        let code = status.code();
        let now = self.insns();
        let mut leader = None;
        for tid in others {
            let q = self.procs.parked.remove(&tid).expect("listed");
            if tid == tgid {
                leader = Some(q);
                continue;
            }
            if !q.thread_exited {
                p.threads_ran += q.ran(now);
                self.emit_as(tid, EventKind::ThreadExited { tid, code });
            }
        }
        if let Some(mut l) = leader {
            p.hand_over(&mut l);
            l.threads_ran += p.ran(now);
            std::mem::swap(p, &mut l);
            // The leader's record goes on as the calling thread did: not
            // asleep where the leader was, with the caller's signal state.
            p.thread_exited = false;
            p.blocked = None;
            p.context = None;
            std::mem::swap(&mut p.signals, &mut l.signals);
            p.turn_start = now;
            self.emit_as(l.pid, EventKind::ThreadExited { tid: l.pid, code });
            self.tracer.pid = Some(p.pid);
        }
    }

    /// Emit `kind` as thread `tid`'s (its `[pid N]` prefix), not the running one's.
    fn emit_as(&mut self, tid: u32, kind: EventKind) {
        let was = self.tracer.pid.replace(tid);
        self.emit(kind);
        self.tracer.pid = was;
    }

    /// The thread of group `tgid` a process-directed signal goes to: the
    /// leader, or else the first thread that does not block it, or else
    /// any that can run (Linux's `complete_signal` picks among them too).
    pub(crate) fn signal_target(&self, p: &Process, tgid: u32, sig: crate::signal::Signal) -> u32 {
        let mut members: Vec<&Process> = self
            .procs
            .parked
            .values()
            .chain(std::iter::once(p))
            .filter(|q| q.tgid == tgid && !q.is_done())
            .collect();
        members.sort_by_key(|q| q.pid);
        members
            .iter()
            .find(|q| !q.signals.blocked().contains(sig))
            .or(members.first())
            .map_or(tgid, |q| q.pid)
    }
}

/// A thread's end, kept for as long as its record waits to be dropped.
fn thread_record(status: ExitStatus, instructions: u64) -> ExitRecord {
    ExitRecord {
        status,
        vmas: Vec::new(),
        page_tables: 0,
        brk_start: Default::default(),
        brk: Default::default(),
        ledger: Default::default(),
        reclaimed_at_exit: Default::default(),
        instructions,
        still_shared: 0,
    }
}
