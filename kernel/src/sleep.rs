//! What a sleeping process waits for: the condition the scheduler looks at
//! before making its call again (`sched.rs`). Apart from the scheduler so
//! that a `Process` can hold one without reaching the kernel.

use crate::fd::{Pipe, PIPE_CAPACITY};
use std::cell::RefCell;
use std::rc::Rc;
use std::time::Instant;

/// What a sleeping process waits for.
#[derive(Clone, Debug)]
pub enum Block {
    /// wait4/waitpid: a child matching `pid` (-1: any) to end.
    Child { pid: i32, call: &'static str },
    /// read from an empty pipe: bytes, or the last writer gone.
    PipeRead {
        pipe: Rc<RefCell<Pipe>>,
        call: &'static str,
    },
    /// write to a full pipe: room, or the last reader gone.
    PipeWrite {
        pipe: Rc<RefCell<Pipe>>,
        call: &'static str,
    },
    /// pause, sigsuspend: a signal that will be acted on.
    Signal { call: &'static str },
    /// poll: one of these pipe ends (true: the write end) to be ready;
    /// `finite`: it has a timeout, so it ends rather than sleep forever.
    Poll {
        pipes: Vec<(Rc<RefCell<Pipe>>, bool)>,
        finite: bool,
        call: &'static str,
    },
    /// futex wait: a wake on `key` whose bits meet `bitset` (`woken` once
    /// one came), or the host clock reaching `deadline`. `seq` orders the
    /// waiters: a wake takes the oldest first.
    Futex {
        key: FutexKey,
        bitset: u32,
        seq: u64,
        woken: bool,
        deadline: Option<Instant>,
        call: &'static str,
    },
}

/// What a futex word is known by: the thread group whose memory holds it
/// and its address there (private and shared futexes alike: there is no
/// shared file memory to put one in across processes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FutexKey {
    pub tgid: u32,
    pub va: u32,
}

/// Can a read (or a write) on this pipe end go on now?
pub(crate) fn pipe_ready(pipe: &RefCell<Pipe>, write: bool) -> bool {
    let pipe = pipe.borrow();
    if write {
        pipe.buf.len() < PIPE_CAPACITY || pipe.readers == 0
    } else {
        !pipe.buf.is_empty() || pipe.writers == 0
    }
}

impl PartialEq for Block {
    /// The same wait on the same pipe.
    fn eq(&self, other: &Block) -> bool {
        match (self, other) {
            (Block::Child { pid: a, call: x }, Block::Child { pid: b, call: y }) => {
                (a, x) == (b, y)
            }
            (Block::Signal { call: x }, Block::Signal { call: y }) => x == y,
            (Block::Futex { seq: a, .. }, Block::Futex { seq: b, .. }) => a == b,
            (Block::Poll { pipes: a, .. }, Block::Poll { pipes: b, .. }) => {
                a.len() == b.len()
                    && a.iter()
                        .zip(b)
                        .all(|(x, y)| Rc::ptr_eq(&x.0, &y.0) && x.1 == y.1)
            }
            (Block::PipeRead { pipe: a, .. }, Block::PipeRead { pipe: b, .. })
            | (Block::PipeWrite { pipe: a, .. }, Block::PipeWrite { pipe: b, .. }) => {
                Rc::ptr_eq(a, b)
            }
            _ => false,
        }
    }
}
impl Eq for Block {}

impl Block {
    /// A futex wait that is over: `Some(true)` woken, `Some(false)` past
    /// its deadline; `None` for one still waiting, or any other sleep.
    pub(crate) fn futex_ended(&self) -> Option<bool> {
        match self {
            Block::Futex { woken: true, .. } => Some(true),
            Block::Futex {
                deadline: Some(d), ..
            } if Instant::now() >= *d => Some(false),
            _ => None,
        }
    }

    /// The syscall it sleeps in.
    pub fn call(&self) -> &'static str {
        match self {
            Block::Child { call, .. }
            | Block::PipeRead { call, .. }
            | Block::PipeWrite { call, .. }
            | Block::Signal { call }
            | Block::Poll { call, .. }
            | Block::Futex { call, .. } => call,
        }
    }
}
