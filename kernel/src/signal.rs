//! Signals this kernel delivers, and why a process died of one.
//!
//! There are no handlers: every signal here takes its default action,
//! terminate, and the exit status is 128 + the number, as a shell shows it.

use std::fmt;
use std::time::Duration;
use toyemu_emulator::{PfCode, VirtAddr};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Signal(pub u32);

pub const SIGILL: Signal = Signal(4);
pub const SIGTRAP: Signal = Signal(5);
pub const SIGABRT: Signal = Signal(6);
pub const SIGBUS: Signal = Signal(7);
pub const SIGFPE: Signal = Signal(8);
pub const SIGKILL: Signal = Signal(9);
pub const SIGSEGV: Signal = Signal(11);
pub const SIGPIPE: Signal = Signal(13);
pub const SIGTERM: Signal = Signal(15);
pub const SIGXCPU: Signal = Signal(24);

impl Signal {
    pub fn name(self) -> &'static str {
        match self.0 {
            1 => "SIGHUP",
            2 => "SIGINT",
            3 => "SIGQUIT",
            4 => "SIGILL",
            5 => "SIGTRAP",
            6 => "SIGABRT",
            7 => "SIGBUS",
            8 => "SIGFPE",
            9 => "SIGKILL",
            11 => "SIGSEGV",
            13 => "SIGPIPE",
            14 => "SIGALRM",
            15 => "SIGTERM",
            24 => "SIGXCPU",
            _ => "SIG?",
        }
    }
}

impl fmt::Display for Signal {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

/// si_code for SIGSEGV: was nothing mapped there, or was the access refused?
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SegvCode {
    /// SEGV_MAPERR: no VMA, or kernel space.
    MapErr,
    /// SEGV_ACCERR: a VMA exists but does not allow the access.
    AccErr,
}

impl SegvCode {
    /// The si_code's name, as strace and the kill report print it.
    pub fn name(self) -> &'static str {
        match self {
            SegvCode::MapErr => "SEGV_MAPERR",
            SegvCode::AccErr => "SEGV_ACCERR",
        }
    }
}

/// What killed a process.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Death {
    Segv {
        addr: VirtAddr,
        eip: VirtAddr,
        code: PfCode,
        si_code: SegvCode,
    },
    /// An access to a page wholly past the end of a mapped file (BUS_ADRERR).
    Bus {
        addr: VirtAddr,
        eip: VirtAddr,
    },
    /// #GP: a privileged instruction or a forbidden `int n`.
    GeneralProtection {
        eip: VirtAddr,
    },
    IllegalInstruction {
        eip: VirtAddr,
        bytes: Vec<u8>,
        text: String,
    },
    DivideError {
        eip: VirtAddr,
    },
    Breakpoint {
        eip: VirtAddr,
    },
    /// Out of frames while handling a fault or a syscall; the report says
    /// what the process held, as Linux's OOM killer logs it.
    OutOfMemory {
        addr: VirtAddr,
        eip: VirtAddr,
        report: Box<crate::oom::OomReport>,
    },
    /// `kill(getpid(), sig)` or the like.
    SelfSignal {
        sig: Signal,
        eip: VirtAddr,
    },
    /// Writing to a pipe with no reader.
    BrokenPipe,
    /// The process would sleep forever: nothing else in this machine could
    /// wake it (a read from a pipe only it can write). Natively it would
    /// hang until killed; here it is killed at once, saying why.
    Deadlock {
        why: &'static str,
    },
    /// The instruction budget (`--max-insns`) ran out, like RLIMIT_CPU.
    InstructionLimit {
        limit: u64,
    },
    /// The wall-clock limit (`--timeout`) ran out: killed from outside, as
    /// `timeout -s KILL` would.
    Timeout {
        after: Duration,
    },
}

impl Death {
    pub fn signal(&self) -> Signal {
        match self {
            Death::Segv { .. } | Death::GeneralProtection { .. } => SIGSEGV,
            Death::IllegalInstruction { .. } => SIGILL,
            Death::Bus { .. } => SIGBUS,
            Death::DivideError { .. } => SIGFPE,
            Death::Breakpoint { .. } => SIGTRAP,
            Death::OutOfMemory { .. } => SIGKILL,
            Death::SelfSignal { sig, .. } => *sig,
            Death::BrokenPipe => SIGPIPE,
            Death::InstructionLimit { .. } => SIGXCPU,
            Death::Timeout { .. } | Death::Deadlock { .. } => SIGKILL,
        }
    }
}

impl fmt::Display for Death {
    /// One line, as the CLI prints it on stderr.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Death::Segv {
                addr,
                eip,
                code,
                si_code,
            } => write!(
                f,
                "Segmentation fault ({}): {} at {addr} ({}), eip {eip}",
                si_code.name(),
                code.access().name(),
                if addr.0 >= crate::layout::TASK_SIZE.0 {
                    "kernel space"
                } else if matches!(si_code, SegvCode::MapErr) {
                    "nothing mapped"
                } else {
                    "not permitted by the mapping"
                }
            ),
            Death::Bus { addr, eip } => write!(
                f,
                "Bus error (BUS_ADRERR): access at {addr}, past the end of the mapped file, eip {eip}"
            ),
            Death::GeneralProtection { eip } => {
                write!(
                    f,
                    "Segmentation fault (general protection): privileged instruction at eip {eip}"
                )
            }
            Death::IllegalInstruction { eip, bytes, text } => {
                let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
                write!(
                    f,
                    "Illegal instruction at eip {eip}: {} ({text})",
                    hex.join(" ")
                )
            }
            Death::DivideError { eip } => {
                write!(f, "Floating point exception (divide error) at eip {eip}")
            }
            Death::Breakpoint { eip } => write!(f, "Trace/breakpoint trap at eip {eip}"),
            Death::OutOfMemory { addr, eip, report } => write!(
                f,
                "Out of memory: {report} (no free frame for the page at {addr}, eip {eip})"
            ),
            Death::SelfSignal { sig, eip } => write!(
                f,
                "Killed by {sig}, sent by the program itself at eip {eip}"
            ),
            Death::BrokenPipe => write!(f, "Broken pipe (the reader of standard output went away)"),
            Death::Deadlock { why } => write!(f, "Blocked forever: {why}"),
            Death::InstructionLimit { limit } => write!(
                f,
                "Instruction limit reached: stopped after {limit} instructions"
            ),
            Death::Timeout { after } => write!(
                f,
                "Time limit reached: stopped after {:.1} s of wall-clock time",
                after.as_secs_f64()
            ),
        }
    }
}
