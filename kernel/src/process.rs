//! A process: one address space running one ELF image, and how it ends.

use crate::address_space::AddressSpace;
use crate::elf::ElfImage;
use crate::fault::{vma_hit, FaultError, Fill, Mapped};
use crate::fd::FdTable;
use crate::ledger::{Cause, Ledger};
use crate::signal::Death;
use crate::sigstate::SignalState;
use crate::vma::{Prot, VmaKind};
use std::collections::BTreeMap;
use std::path::PathBuf;
use std::sync::Arc;

/// RLIMIT_* numbers Linux has (RLIMIT_CPU 0 ... RLIMIT_RTTIME 15).
pub const RLIM_NLIMITS: usize = 16;
pub const RLIM_INFINITY: u64 = u64::MAX;
pub const RLIMIT_STACK: usize = 3;
pub const RLIMIT_NPROC: usize = 6;
pub const RLIMIT_NOFILE: usize = 7;

/// The limits a Linux login shell usually hands its children.
pub fn default_limits(stack: u32) -> [(u64, u64); RLIM_NLIMITS] {
    let inf = (RLIM_INFINITY, RLIM_INFINITY);
    let mut l = [inf; RLIM_NLIMITS];
    l[RLIMIT_STACK] = (stack as u64, RLIM_INFINITY);
    l[4] = (0, RLIM_INFINITY); // RLIMIT_CORE
    l[RLIMIT_NPROC] = (4096, 4096);
    l[RLIMIT_NOFILE] = (crate::fd::NOFILE as u64, 4096);
    l[8] = (8 << 20, 8 << 20); // RLIMIT_MEMLOCK
    l[11] = (4096, 4096); // RLIMIT_SIGPENDING
    l[12] = (819_200, 819_200); // RLIMIT_MSGQUEUE
    l[13] = (0, 0); // RLIMIT_NICE
    l[14] = (0, 0); // RLIMIT_RTPRIO
    l
}
use toyemu_emulator::VirtAddr;

/// How a process ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Ending {
    /// `exit`/`exit_group` with this status (low 8 bits kept, as Linux does).
    Exited(u8),
    /// Killed by a signal.
    Killed(Death),
}

/// What the shell would see: the exit code, or 128 + signal.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExitStatus {
    pub ending: Ending,
}

impl ExitStatus {
    pub fn code(&self) -> i32 {
        match &self.ending {
            Ending::Exited(c) => *c as i32,
            Ending::Killed(d) => 128 + d.signal().0 as i32,
        }
    }
    pub fn death(&self) -> Option<&Death> {
        match &self.ending {
            Ending::Killed(d) => Some(d),
            Ending::Exited(_) => None,
        }
    }
}

/// One VMA as it stood just before teardown, for reports and tests.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct VmaSnapshot {
    pub start: VirtAddr,
    pub end: VirtAddr,
    pub prot: Prot,
    pub kind: VmaKind,
    /// The file offset at `start`, and the file's host device and inode
    /// (all 0 for anonymous memory), as the maps line shows them.
    pub offset: u64,
    pub dev: u64,
    pub ino: u64,
    /// The maps line's name: the file, `[heap]`, `[stack]` or empty.
    pub name: String,
    /// Pages that held a frame.
    pub resident: u32,
    /// Page faults taken in VMAs of this kind so far.
    pub faults: u64,
}

/// Counters kept while a process runs.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ProcStats {
    pub syscalls: u64,
    pub faults: u64,
    pub zero_fills: u64,
    pub file_fills: u64,
    pub stack_growths: u64,
    /// Highest number of frames held at once (user pages + page tables).
    pub peak_frames: u64,
    /// Signals delivered to a handler.
    pub signals_handled: u64,
    /// Writes to pages shared since fork that copied the frame, and those
    /// that found themselves its last holder and took it over.
    pub cow_copies: u64,
    pub cow_reuses: u64,
}

/// The process's final accounts, taken at exit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ExitRecord {
    pub status: ExitStatus,
    /// The address space just before teardown.
    pub vmas: Vec<VmaSnapshot>,
    pub page_tables: u32,
    pub brk_start: VirtAddr,
    pub brk: VirtAddr,
    /// Frames taken and returned, by cause; balanced after teardown.
    pub ledger: Ledger,
    /// What teardown itself gave back (the rest went earlier: munmap, brk shrink).
    pub reclaimed_at_exit: Ledger,
    pub instructions: u64,
    /// Of the frames its teardown let go, how many other processes still
    /// held (copy-on-write pages not yet written, shared memory).
    pub still_shared: u32,
}

impl ExitRecord {
    /// Frames of cause `c` given back by teardown.
    pub fn reclaimed(&self, c: Cause) -> u64 {
        self.reclaimed_at_exit.returned(c)
    }
}

pub struct Process {
    /// The thread id (what gettid returns); the pid of a process is the
    /// thread id of its first thread, its leader.
    pub(crate) pid: u32,
    /// The thread group: the leader's pid, what getpid returns.
    pub(crate) tgid: u32,
    /// A leader that called exit while other threads of its group run on:
    /// it never runs again, and the group's end is reported in its name.
    pub(crate) thread_exited: bool,
    pub(crate) name: String,
    pub(crate) image: Arc<ElfImage>,
    /// `None` once the process has exited and its memory is gone.
    pub(crate) mm: Option<AddressSpace>,
    pub(crate) stats: ProcStats,
    pub(crate) exit: Option<ExitRecord>,
    /// Instruction count when the process started.
    pub(crate) started_at: u64,
    pub(crate) fds: FdTable,
    /// The working directory, as a host path without symbolic links.
    pub(crate) cwd: PathBuf,
    pub(crate) umask: u32,
    /// Soft and hard limits by RLIMIT_* number (RLIM_INFINITY = u64::MAX).
    pub(crate) limits: [(u64, u64); RLIM_NLIMITS],
    /// RLIMIT_STACK's soft limit in bytes, as stack growth checks it.
    pub(crate) stack_limit: u32,
    /// The name prctl(PR_SET_NAME) sets and /proc/self/status shows.
    pub(crate) comm: Vec<u8>,
    /// set_tid_address: where the kernel would clear the tid at exit.
    pub(crate) clear_child_tid: u32,
    /// set_robust_list: the list head (kept, never walked: one thread).
    pub(crate) robust_list: u32,
    /// argv and envp, for /proc/self/cmdline and environ.
    pub(crate) argv: Vec<Vec<u8>>,
    pub(crate) envp: Vec<Vec<u8>>,
    /// Page faults by the kind of VMA they hit.
    pub(crate) faults_by_kind: BTreeMap<VmaKind, u64>,
    /// Handlers, mask, pending signals, alternate stack (`sigstate.rs`).
    pub(crate) signals: SignalState,
    /// The parent's pid; 0 for the first process (its parent is outside the
    /// machine) and for orphans once the first process is gone.
    pub(crate) ppid: u32,
    /// Asleep in a syscall until this holds (`sched.rs`).
    pub(crate) blocked: Option<crate::sleep::Block>,
    /// The registers while another process has the CPU.
    pub(crate) context: Option<toyemu_emulator::Context>,
    /// The signal the parent gets when this process ends (SIGCHLD after fork).
    pub(crate) exit_signal: Option<crate::signal::Signal>,
    /// CLONE_CHILD_SETTID: where to write the pid when it first runs.
    pub(crate) set_child_tid: u32,
    /// No one will wait for it: it is reaped as soon as it ends.
    pub(crate) autoreap: bool,
    /// Instructions it ran in earlier turns on the CPU, and when this turn began.
    pub(crate) ran_before: u64,
    pub(crate) turn_start: u64,
    /// Instructions run by the group's threads that have ended (moves
    /// with the group's state).
    pub(crate) threads_ran: u64,
    /// Memcheck's checks were off when this thread left the CPU (it was
    /// inside the allocator): they are again when it comes back.
    pub(crate) watch_suspended: bool,
    /// Threads the group started (moves with the group's state).
    pub(crate) threads_made: u32,
}

impl Process {
    pub fn pid(&self) -> u32 {
        self.pid
    }
    /// The thread group's id: the pid of the process this thread is part of.
    pub fn tgid(&self) -> u32 {
        self.tgid
    }
    /// Threads the process started besides its first.
    pub fn threads_made(&self) -> u32 {
        self.threads_made
    }
    /// Is this the group's first thread (the process, as ps lists it)?
    pub fn is_leader(&self) -> bool {
        self.pid == self.tgid
    }
    pub fn ppid(&self) -> u32 {
        self.ppid
    }
    /// The syscall it sleeps in, if it is blocked.
    pub fn blocked_in(&self) -> Option<&'static str> {
        self.blocked.as_ref().map(|b| b.call())
    }
    /// argv[0], as the process was started.
    pub fn name(&self) -> &str {
        &self.name
    }
    pub fn image(&self) -> &Arc<ElfImage> {
        &self.image
    }
    /// The address space; `None` once the process has exited.
    pub fn mm(&self) -> Option<&AddressSpace> {
        self.mm.as_ref()
    }
    /// The live address space; a kernel bug if the process has exited.
    pub(crate) fn mm_mut(&mut self) -> &mut AddressSpace {
        self.mm
            .as_mut()
            .expect("process has an address space while running")
    }
    /// What the process does with signals, and which are pending.
    pub fn signals(&self) -> &SignalState {
        &self.signals
    }
    pub fn stats(&self) -> ProcStats {
        self.stats
    }
    /// Instruction count when the process started.
    pub fn started_at(&self) -> u64 {
        self.started_at
    }
    /// Instructions this process has run (its turns only), given the clock `now`.
    pub fn ran(&self, now: u64) -> u64 {
        self.ran_before + now.saturating_sub(self.turn_start)
    }
    pub fn has_exited(&self) -> bool {
        self.exit.is_some()
    }
    /// A task made from this one by fork or clone, about to be parked
    /// with `context`: what every child inherits copied (limits, cwd,
    /// signal actions and mask, argv), its own accounts empty, no address
    /// space yet. A new process of its own; the caller sets what differs.
    pub(crate) fn offspring(
        &self,
        pid: u32,
        now: u64,
        context: toyemu_emulator::Context,
    ) -> Process {
        Process {
            pid,
            tgid: pid,
            thread_exited: false,
            name: self.name.clone(),
            image: self.image.clone(),
            mm: None,
            stats: ProcStats::default(),
            exit: None,
            started_at: now,
            fds: FdTable::default(),
            cwd: self.cwd.clone(),
            umask: self.umask,
            limits: self.limits,
            stack_limit: self.stack_limit,
            comm: self.comm.clone(),
            clear_child_tid: 0,
            robust_list: 0,
            argv: self.argv.clone(),
            envp: self.envp.clone(),
            faults_by_kind: BTreeMap::new(),
            signals: self.signals.forked(),
            ppid: self.tgid,
            blocked: None,
            context: Some(context),
            exit_signal: None,
            set_child_tid: 0,
            autoreap: false,
            ran_before: 0,
            turn_start: now,
            threads_ran: 0,
            threads_made: 0,
            watch_suspended: false,
        }
    }

    /// Will this thread never run again: it ended, alone or with its group?
    pub fn is_done(&self) -> bool {
        self.exit.is_some() || self.thread_exited
    }

    /// Only one thread runs at a time, so what a thread group shares (the
    /// address space, descriptors, working directory, limits and the
    /// group's counters) lives in the member that last ran and moves to
    /// the next one to run: `to` gets it, `self` is left with what `to` had.
    pub(crate) fn hand_over(&mut self, to: &mut Process) {
        std::mem::swap(&mut self.mm, &mut to.mm);
        std::mem::swap(&mut self.fds, &mut to.fds);
        std::mem::swap(&mut self.cwd, &mut to.cwd);
        std::mem::swap(&mut self.umask, &mut to.umask);
        std::mem::swap(&mut self.limits, &mut to.limits);
        std::mem::swap(&mut self.stack_limit, &mut to.stack_limit);
        std::mem::swap(&mut self.stats, &mut to.stats);
        std::mem::swap(&mut self.faults_by_kind, &mut to.faults_by_kind);
        std::mem::swap(&mut self.argv, &mut to.argv);
        std::mem::swap(&mut self.envp, &mut to.envp);
        std::mem::swap(&mut self.threads_ran, &mut to.threads_ran);
        std::mem::swap(&mut self.threads_made, &mut to.threads_made);
        to.image = self.image.clone();
    }
    /// The final accounts, once the process has exited.
    pub fn exit_record(&self) -> Option<&ExitRecord> {
        self.exit.as_ref()
    }
    pub fn take_exit_record(&mut self) -> Option<ExitRecord> {
        self.exit.take()
    }
    pub fn outstanding_frames(&self) -> i64 {
        self.mm.as_ref().map_or(0, |m| m.ledger.outstanding())
    }

    /// Count a page fault and how it ended.
    pub(crate) fn count_fault(&mut self, result: &Result<Mapped, FaultError>) {
        self.stats.faults += 1;
        if let Some(k) = vma_hit(result) {
            *self.faults_by_kind.entry(k).or_default() += 1;
        }
        match result {
            Ok(Mapped { grown: Some(_), .. }) => self.stats.stack_growths += 1,
            Ok(Mapped {
                fill: Fill::Zero, ..
            }) => self.stats.zero_fills += 1,
            Ok(Mapped {
                fill: Fill::File, ..
            }) => self.stats.file_fills += 1,
            Ok(Mapped {
                fill: Fill::CowCopy,
                ..
            }) => self.stats.cow_copies += 1,
            Ok(Mapped {
                fill: Fill::CowReuse,
                ..
            }) => self.stats.cow_reuses += 1,
            Err(_) => {}
        }
    }
}
