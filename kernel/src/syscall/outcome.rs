//! What a syscall handler decided: the one type the handlers return, the
//! dispatcher acts on and the trace prints after `=`.

use crate::errno::Errno;
use crate::signal::Death;
use std::fmt;

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// A plain number (shown in decimal).
    Value(u32),
    /// An address (shown in hex: brk, mmap).
    Addr(u32),
    Err(Errno),
    /// The process ends with this status (exit_group, or the last thread's exit).
    Exit(u32),
    /// exit: the calling thread ends; the process with it if it was the last.
    ExitThread(u32),
    /// The process dies.
    Kill(Box<Death>),
    /// The call must wait: the process sleeps and makes it again when
    /// `Block`'s condition may hold (`sched.rs`).
    Block(Box<crate::sleep::Block>),
}

// The rare outcomes are boxed so that an outcome is two words: every call
// returns one, and a large one was copied through memory in pieces, which
// stalled each copy's loads on the stores before them.
const _: () = assert!(std::mem::size_of::<Outcome>() <= 16);

impl Outcome {
    /// What the process finds in EAX, if it goes on.
    pub fn eax(&self) -> Option<u32> {
        match self {
            Outcome::Value(v) | Outcome::Addr(v) => Some(*v),
            Outcome::Err(e) => Some(e.as_return()),
            Outcome::Exit(_) | Outcome::ExitThread(_) | Outcome::Kill(_) | Outcome::Block(_) => {
                None
            }
        }
    }
}

impl From<Result<u32, Errno>> for Outcome {
    fn from(r: Result<u32, Errno>) -> Outcome {
        match r {
            Ok(v) => Outcome::Value(v),
            Err(e) => Outcome::Err(e),
        }
    }
}

impl fmt::Display for Outcome {
    /// As strace shows a result: `3`, `0x804f000`, `-1 ENOMEM (...)`, `?`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Outcome::Value(v) => write!(f, "{}", *v as i32),
            Outcome::Addr(a) => write!(f, "{a:#x}"),
            Outcome::Err(e) => write!(f, "-1 {e}"),
            Outcome::Exit(_) | Outcome::ExitThread(_) | Outcome::Kill(_) | Outcome::Block(_) => {
                f.write_str("?")
            }
        }
    }
}
