//! Processes side by side: those off the CPU, who runs next, and the switch.
//!
//! The caller of `Kernel::run` holds one [`Process`]: the one on the CPU.
//! The others wait in the process table (`ptable.rs`), by pid. A switch saves the CPU's
//! registers into the running process, swaps it with a parked one, loads
//! the other's registers and its page directory (CR3, which flushes the
//! TLB), so the rest of the kernel keeps taking "the process" as
//! `&mut Process`. When every process has ended, the first one is put back
//! in the caller's hands, with its exit record.
//!
//! Round-robin in pid order: a process runs for `quantum` instructions, or
//! until it blocks or ends. A syscall that must wait leaves its EIP on the
//! `int 0x80` and sleeps ([`Block`]); the scheduler looks at its condition
//! when choosing, and a process it picks runs the call again — as Linux
//! restarts a sleeping call. Scheduling depends only on instruction counts,
//! so a run is the same every time.

use crate::kernel::Kernel;
use crate::oom::OomReport;
use crate::process::{ExitStatus, Process};
use crate::ptable::{wait_code, wait_matches};
pub use crate::ptable::{Ended, DEFAULT_QUANTUM};
use crate::run::RunState;
use crate::signal::Death;
use crate::sleep::pipe_ready;
pub use crate::sleep::Block;
use crate::trace::{EventKind, SwitchWhy};
use std::time::Instant;

impl Kernel {
    /// Processes alive or zombie, the running one included.
    pub fn process_count(&self) -> usize {
        self.procs.parked.len() + 1
    }
    /// The processes off the CPU, by pid.
    pub fn parked(&self) -> impl Iterator<Item = &Process> {
        self.procs.parked.values()
    }
    /// Processes that ended and were reaped, in that order.
    pub fn ended(&self) -> &[Ended] {
        &self.procs.ended
    }
    /// Process switches so far (each a CR3 load and a TLB flush).
    pub fn switches(&self) -> u64 {
        self.procs.switches
    }
    /// Is `p` the first process (the one the run started with)?
    pub fn is_first(&self, p: &Process) -> bool {
        self.procs.root.is_none_or(|r| r == p.tgid)
    }
    /// Has everything ended? (`p` is the process the caller holds.)
    pub fn all_exited(&self, p: &Process) -> bool {
        p.has_exited() && self.procs.parked.values().all(|q| q.has_exited())
    }

    /// Could `q` run now? `cur` is the process on the CPU (maybe `q`).
    fn can_run(&self, q: &Process, cur: &Process) -> bool {
        if q.is_done() {
            return false;
        }
        match &q.blocked {
            None => true,
            Some(Block::Signal { .. }) => q.signals.has_wakeup(),
            Some(_) if q.signals.has_deliverable() => true,
            Some(Block::PipeRead { pipe, .. }) => pipe_ready(pipe, false),
            Some(Block::PipeWrite { pipe, .. }) => pipe_ready(pipe, true),
            Some(Block::Poll { pipes, .. }) => pipes.iter().any(|(p, w)| pipe_ready(p, *w)),
            Some(b @ Block::Futex { .. }) => b.futex_ended().is_some(),
            Some(Block::Child { pid, .. }) => {
                let pid = *pid;
                let mut kids = self
                    .procs
                    .parked
                    .values()
                    .chain(std::iter::once(cur))
                    .filter(|c| c.ppid == q.tgid && c.is_leader() && wait_matches(pid, c));
                // A child that ended, or none left to wait for (ECHILD).
                let mut any = false;
                let ready = kids.any(|c| {
                    any = true;
                    c.has_exited()
                });
                ready || !any
            }
        }
    }

    /// May sleeping `p`, on the CPU, make its call again?
    pub(crate) fn can_wake(&self, p: &Process) -> bool {
        self.can_run(p, p)
    }

    /// Woken `p` makes its call again, in the kernel, as if it had never
    /// slept. If a signal woke it and the call still cannot finish, the
    /// call is interrupted: with SA_RESTART the handler returns onto the
    /// `int 0x80` and the call runs again, otherwise it fails with EINTR.
    pub(crate) fn resume_sleeper(&mut self, p: &mut Process) {
        self.futex_verdict = p.blocked.as_ref().and_then(Block::futex_ended);
        p.blocked = None;
        let at = self.machine.cpu().eip().0;
        let after = toyemu_emulator::VirtAddr(at + 2);
        self.machine.cpu_mut().set_eip(after);
        if self.syscall(p).is_some() || p.blocked.is_none() || !p.signals.has_wakeup() {
            return;
        }
        p.blocked = None;
        if !p.signals.restarts_calls() {
            let cpu = self.machine.cpu_mut();
            cpu.set_eip(after);
            cpu.set_reg(toyemu_emulator::Reg::Eax, crate::errno::EINTR.as_return());
        }
    }

    /// The OOM killer's choice when `p` ran out of frames, if it is not `p`:
    /// the live process with the highest badness (the first in pid order
    /// among equals, as Linux walks its task list).
    pub(crate) fn oom_victim(&self, p: &Process) -> Option<u32> {
        let score = |q: &Process| {
            q.mm.as_ref()
                .map(|mm| OomReport::measure(q.pid, &q.name, mm, self.machine.mmu()).badness())
        };
        let mut best = (score(p)?, p.pid);
        for q in self.procs.parked.values().filter(|q| !q.has_exited()) {
            if let Some(s) = score(q) {
                if s > best.0 || (s == best.0 && q.pid < best.1) {
                    best = (s, q.pid);
                }
            }
        }
        (best.1 != p.pid).then_some(best.1)
    }

    /// Kill parked process `victim` for the OOM killer; `p` faulted at
    /// `eip` on `addr` and will take the fault again when it runs.
    pub(crate) fn kill_parked(
        &mut self,
        p: &mut Process,
        victim: u32,
        addr: toyemu_emulator::VirtAddr,
        eip: toyemu_emulator::VirtAddr,
    ) {
        log::info!(target: "toyemu::process", "pid {} out of memory: killing pid {victim}", p.pid);
        let faulter = p.pid;
        self.switch_to(p, victim, SwitchWhy::OomVictim);
        p.blocked = None;
        let mut death = self.oom_death(p, addr, eip);
        if let Death::OutOfMemory { report, .. } = &mut death {
            report.faulter = Some(faulter);
        }
        self.kill(p, death);
    }

    /// End every process with `death` (an instruction or time limit);
    /// returns the first one's status, which is back in `p`.
    pub fn kill_all(&mut self, p: &mut Process, death: Death) -> ExitStatus {
        loop {
            if !p.has_exited() {
                p.blocked = None;
                self.kill(p, death.clone());
            }
            let alive = self.procs.parked.values().find(|q| !q.has_exited());
            match alive.map(|q| q.pid) {
                Some(pid) => self.switch_to(p, pid, SwitchWhy::Exited),
                None => break,
            }
        }
        match self.schedule(p) {
            Some(RunState::Exited(s)) => s,
            _ => unreachable!("every process has ended"),
        }
    }

    /// The next process after `cur` in pid order that can run.
    fn next_runnable(&self, cur: &Process) -> Option<u32> {
        let after = self.procs.parked.range(cur.pid + 1..);
        let before = self.procs.parked.range(..cur.pid);
        after
            .chain(before)
            .find(|(_, q)| self.can_run(q, cur))
            .map(|(&pid, _)| pid)
    }

    /// Give the CPU to parked process `to`.
    fn switch_to(&mut self, p: &mut Process, to: u32, why: SwitchWhy) {
        let mut next = self
            .procs
            .parked
            .remove(&to)
            .expect("switching to a parked process");
        let now = self.insns();
        if !p.has_exited() {
            p.context = Some(self.machine.cpu().context());
            p.ran_before += now - p.turn_start;
        }
        next.turn_start = now;
        self.gather_group_state(p, &mut next);
        // Threads of one group share the page directory: no CR3 load.
        let same_space = p.tgid == next.tgid;
        std::mem::swap(p, &mut next);
        let mut prev = next;
        let from = prev.pid;
        self.follow_watch(&mut prev, p);
        if prev.has_exited() && prev.autoreap {
            // A thread's record just goes; a process is reaped.
            if prev.is_leader() {
                self.reap(prev, None);
            }
        } else {
            self.procs.parked.insert(from, prev);
        }
        if let Some(c) = p.context.take() {
            self.machine.cpu_mut().set_context(&c);
        }
        let pd = p.mm_mut().directory().0.base();
        if !same_space {
            self.machine.mmu_mut().load_cr3(pd);
        }
        self.procs.switches += 1;
        self.procs.slice_end = self.insns() + self.procs.quantum;
        self.tracer.pid = Some(p.pid);
        self.emit(EventKind::Switch {
            from,
            to,
            why,
            cr3: pd,
            flushed: !same_space,
        });
        // CLONE_CHILD_SETTID is done by the child, in its own memory, as
        // Linux's ret_from_fork does it.
        if p.set_child_tid != 0 {
            let at = std::mem::take(&mut p.set_child_tid);
            let pid = p.pid;
            let _ = self.copy_to_user(p, at, &pid.to_le_bytes());
        }
    }

    /// Memcheck's shadow describes the first process's memory: its checks
    /// are off while any other process runs, and for each thread of the
    /// first one as that thread left them (off inside the allocator).
    fn follow_watch(&mut self, prev: &mut Process, to: &Process) {
        let Some(root) = self.procs.root else { return };
        let Some(w) = self.machine.mmu_mut().watch_mut() else {
            return;
        };
        if prev.tgid == root {
            prev.watch_suspended = w.suspended;
        }
        w.suspended = to.tgid != root || to.watch_suspended;
    }

    /// Record a zombie's end and let it go.
    pub(crate) fn reap(&mut self, z: Process, by: Option<u32>) {
        let status = z.exit.as_ref().map(|r| r.status.clone());
        self.emit(EventKind::Reaped { pid: z.pid, by });
        self.procs.ended.push(Ended {
            pid: z.pid,
            ppid: z.ppid,
            name: z.name.clone(),
            status: status.expect("only an ended process is reaped"),
            stats: z.stats,
            instructions: z.exit.as_ref().map_or(0, |r| r.instructions),
            still_shared: z.exit.as_ref().map_or(0, |r| r.still_shared),
            threads: z.threads_made,
        });
    }

    /// `p` cannot run on (it ended, or sleeps): give the CPU to another.
    /// `Some` when there is no other: everything has ended (the first
    /// process is back in `p`), or the sleepers are killed, as nothing
    /// could ever wake them.
    pub(crate) fn schedule(&mut self, p: &mut Process) -> Option<RunState> {
        let why = match (p.is_done(), &p.blocked) {
            (true, _) => SwitchWhy::Exited,
            (false, Some(b)) => SwitchWhy::Blocked(b.call()),
            (false, None) => SwitchWhy::Quantum,
        };
        if let Some(next) = self.next_runnable(p) {
            self.switch_to(p, next, why);
            return None;
        }
        if self.all_exited(p) {
            if let Some(root) = self.procs.root.filter(|&r| r != p.pid) {
                let mut first = self
                    .procs
                    .parked
                    .remove(&root)
                    .expect("the first process stays");
                std::mem::swap(p, &mut first);
                self.procs.parked.insert(first.pid, first);
                self.tracer.pid = Some(root);
            }
            let status = p.exit.as_ref().expect("ended").status.clone();
            return Some(RunState::Exited(status));
        }
        // Every thread alive sleeps. One with a futex deadline will wake
        // when it passes: the machine sleeps until the first.
        let first = self
            .procs
            .parked
            .values()
            .chain(std::iter::once(&*p))
            .filter_map(|q| match &q.blocked {
                Some(Block::Futex {
                    deadline: Some(d), ..
                }) if !q.is_done() => Some(*d),
                _ => None,
            })
            .min();
        if let Some(d) = first {
            std::thread::sleep(d.saturating_duration_since(Instant::now()));
            return None;
        }
        // Every process alive sleeps, each waiting for another. A poll with
        // a timeout times out (no one will make its descriptors ready).
        let timed = self
            .procs
            .parked
            .values()
            .chain(std::iter::once(&*p))
            .find(|q| {
                matches!(q.blocked, Some(Block::Poll { finite: true, .. })) && !q.has_exited()
            });
        if let Some(pid) = timed.map(|q| q.pid) {
            if pid != p.pid {
                self.switch_to(p, pid, why);
            }
            p.blocked = None;
            let cpu = self.machine.cpu_mut();
            let at = cpu.eip().0;
            cpu.set_eip(toyemu_emulator::VirtAddr(at + 2));
            cpu.set_reg(toyemu_emulator::Reg::Eax, 0);
            return None;
        }
        let sleeper = if p.has_exited() {
            let pid = self
                .procs
                .parked
                .values()
                .find(|q| !q.is_done())
                .map(|q| q.pid);
            let pid = pid.expect("someone is alive");
            self.switch_to(p, pid, why);
            p
        } else {
            p
        };
        let call = sleeper.blocked.as_ref().map_or("a syscall", |b| b.call());
        log::info!(target: "toyemu::process", "pid {} sleeps forever in {call}", sleeper.pid);
        sleeper.blocked = None;
        self.kill(
            sleeper,
            Death::Deadlock {
                why: "every process is asleep waiting for another",
            },
        );
        None
    }

    /// At the end of `p`'s turn, let the next runnable process have the CPU.
    pub(crate) fn end_of_slice(&mut self, p: &mut Process) {
        if self.procs.parked.is_empty() || self.insns() < self.procs.slice_end {
            return;
        }
        match self.next_runnable(p) {
            Some(next) => self.switch_to(p, next, SwitchWhy::Quantum),
            None => self.procs.slice_end = self.insns() + self.procs.quantum,
        }
    }

    /// How long the running process may run before the scheduler looks.
    pub(crate) fn slice_left(&self, left: u64) -> u64 {
        if self.procs.parked.is_empty() {
            left
        } else {
            left.min(self.procs.slice_end.saturating_sub(self.insns()).max(1))
        }
    }

    /// `p` just ended: its children go to the first process (or to no one,
    /// and are reaped when they end), its parent hears of it.
    pub(crate) fn ended_now(&mut self, p: &mut Process) {
        if self.procs.root.is_none() {
            return;
        }
        let root = self.procs.root.filter(|&r| r != p.pid);
        let root_alive =
            root.is_some_and(|r| self.procs.parked.get(&r).is_some_and(|q| !q.has_exited()));
        let orphans: Vec<u32> = self
            .procs
            .parked
            .values()
            .filter(|q| q.ppid == p.pid)
            .map(|q| q.pid)
            .collect();
        for pid in orphans {
            let q = self.procs.parked.get_mut(&pid).expect("listed");
            if root_alive {
                q.ppid = root.expect("alive");
            } else {
                q.ppid = 0;
                q.autoreap = true;
                if q.has_exited() {
                    let z = self.procs.parked.remove(&pid).expect("listed");
                    self.reap(z, None);
                }
            }
        }
        if p.ppid == 0 {
            // The first process stays a zombie for the caller; an orphan goes.
            p.autoreap = Some(p.pid) != self.procs.root;
            return;
        }
        let Some(parent) = self.procs.parked.get_mut(&p.ppid) else {
            p.autoreap = true;
            return;
        };
        let sig = crate::signal::SIGCHLD;
        // SIGCHLD set to SIG_IGN (or SA_NOCLDWAIT): children are not kept.
        if parent.signals.ignores_children() {
            p.autoreap = true;
            return;
        }
        if let Some(s) = p.exit_signal {
            let status = p.exit.as_ref().expect("ended").status.clone();
            let (code, value) = wait_code(&status);
            let cause = if s == sig {
                Death::ChildEnded {
                    pid: p.pid,
                    code,
                    status: value,
                }
            } else {
                Death::Sent {
                    sig: s,
                    from: p.pid,
                }
            };
            parent.signals.send(cause);
        }
    }
}
