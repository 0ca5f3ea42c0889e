//! The process table: the processes off the CPU and the scheduler's
//! counters, as data. What is done with them is `sched.rs`; this module
//! stays below the kernel so that the kernel can own one.

use crate::process::{Ending, ExitStatus, ProcStats, Process};
use crate::signal::code;
use std::collections::BTreeMap;

/// Instructions a process runs before another gets the CPU (`--quantum`).
pub const DEFAULT_QUANTUM: u64 = 100_000;

/// A process that ended and was reaped: what the report lists of it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Ended {
    pub pid: u32,
    pub ppid: u32,
    pub name: String,
    pub status: ExitStatus,
    pub stats: ProcStats,
    pub instructions: u64,
    /// Frames it dropped at exit that other processes still held.
    pub still_shared: u32,
    /// Threads it started (its first one not counted).
    pub threads: u32,
}

/// The process table, but for the process on the CPU.
pub(crate) struct Procs {
    pub(crate) parked: BTreeMap<u32, Process>,
    /// The first process, once it has forked (`None`: there was only ever one).
    pub(crate) root: Option<u32>,
    pub(crate) quantum: u64,
    /// The instruction count at which the running process's turn ends.
    pub(crate) slice_end: u64,
    pub(crate) switches: u64,
    pub(crate) ended: Vec<Ended>,
}

impl Procs {
    pub(crate) fn new(quantum: u64) -> Procs {
        Procs {
            parked: BTreeMap::new(),
            root: None,
            quantum: quantum.max(1),
            slice_end: quantum,
            switches: 0,
            ended: Vec::new(),
        }
    }
}

/// Does child `c` match wait4's `pid` argument? (No process groups: 0 and
/// -pgid mean any child, as they would with every process in one group.)
pub(crate) fn wait_matches(pid: i32, c: &Process) -> bool {
    pid <= 0 || pid as u32 == c.pid
}

/// How a child's end looks to its parent: SIGCHLD's si_code and si_status.
pub fn wait_code(status: &ExitStatus) -> (i32, i32) {
    match &status.ending {
        Ending::Exited(c) => (code::CLD_EXITED, *c as i32),
        Ending::Killed(d) => (code::CLD_KILLED, d.signal().0 as i32),
    }
}
