//! Signals: their numbers and names (Linux i386), sets of them, the
//! `siginfo` each one carries, what each does by default, and why one was
//! raised — which, when it kills, is why the process died (`Death`).
//!
//! What a process does with a signal (handlers, mask, pending, the
//! alternate stack) is `sigstate.rs`; the frame a handler runs on is
//! `sigframe.rs`; delivery is `deliver.rs`.

use crate::names::{CodeNames, Eip, NoNames};
use std::fmt;
use std::time::Duration;
use toyemu_emulator::{PfCode, VirtAddr};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Signal(pub u32);

pub const SIGHUP: Signal = Signal(1);
pub const SIGINT: Signal = Signal(2);
pub const SIGQUIT: Signal = Signal(3);
pub const SIGILL: Signal = Signal(4);
pub const SIGTRAP: Signal = Signal(5);
pub const SIGABRT: Signal = Signal(6);
pub const SIGBUS: Signal = Signal(7);
pub const SIGFPE: Signal = Signal(8);
pub const SIGKILL: Signal = Signal(9);
pub const SIGUSR1: Signal = Signal(10);
pub const SIGSEGV: Signal = Signal(11);
pub const SIGUSR2: Signal = Signal(12);
pub const SIGPIPE: Signal = Signal(13);
pub const SIGALRM: Signal = Signal(14);
pub const SIGTERM: Signal = Signal(15);
pub const SIGCHLD: Signal = Signal(17);
pub const SIGCONT: Signal = Signal(18);
pub const SIGSTOP: Signal = Signal(19);
pub const SIGTSTP: Signal = Signal(20);
pub const SIGTTIN: Signal = Signal(21);
pub const SIGTTOU: Signal = Signal(22);
pub const SIGURG: Signal = Signal(23);
pub const SIGXCPU: Signal = Signal(24);
pub const SIGWINCH: Signal = Signal(28);
pub const SIGSYS: Signal = Signal(31);
/// The first real-time signal (the kernel's; libcs reserve a few above it).
pub const SIGRTMIN: Signal = Signal(32);
/// `_NSIG`: signals are 1..=64 on i386.
pub const NSIG: u32 = 64;

/// Names of signals 1..=31 as strace and `kill -l` spell them.
const NAMES: [&str; 32] = [
    "0",
    "SIGHUP",
    "SIGINT",
    "SIGQUIT",
    "SIGILL",
    "SIGTRAP",
    "SIGABRT",
    "SIGBUS",
    "SIGFPE",
    "SIGKILL",
    "SIGUSR1",
    "SIGSEGV",
    "SIGUSR2",
    "SIGPIPE",
    "SIGALRM",
    "SIGTERM",
    "SIGSTKFLT",
    "SIGCHLD",
    "SIGCONT",
    "SIGSTOP",
    "SIGTSTP",
    "SIGTTIN",
    "SIGTTOU",
    "SIGURG",
    "SIGXCPU",
    "SIGXFSZ",
    "SIGVTALRM",
    "SIGPROF",
    "SIGWINCH",
    "SIGIO",
    "SIGPWR",
    "SIGSYS",
];

/// What a signal does when its handler is SIG_DFL (the kernel's
/// `sig_kernel_*` sets).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DefaultAction {
    /// End the process (status 128 + n).
    Terminate,
    /// End it "with a core dump": the same status here, no core is written.
    Core,
    /// Nothing happens (SIGCHLD, SIGCONT, SIGURG, SIGWINCH).
    Ignore,
    /// Stop until SIGCONT (SIGSTOP, SIGTSTP, SIGTTIN, SIGTTOU).
    Stop,
}

impl Signal {
    /// The name for 1..=31, `SIGRTMIN`, or `SIG?` for the rest (see
    /// `Display` for the real-time signals' `SIGRT_n`).
    pub fn name(self) -> &'static str {
        match self.0 {
            1..=31 => NAMES[self.0 as usize],
            32 => "SIGRTMIN",
            _ => "SIG?",
        }
    }
    /// A signal number the kernel knows (1..=64).
    pub fn is_valid(self) -> bool {
        (1..=NSIG).contains(&self.0)
    }
    /// Real-time signals queue every instance; standard ones at most one.
    pub fn is_realtime(self) -> bool {
        self.0 >= SIGRTMIN.0
    }
    /// SIGKILL and SIGSTOP: never caught, blocked or ignored.
    pub fn is_kernel_only(self) -> bool {
        self == SIGKILL || self == SIGSTOP
    }
    /// The signals a faulting instruction raises, dequeued before any other.
    pub fn is_synchronous(self) -> bool {
        matches!(self, SIGSEGV | SIGBUS | SIGILL | SIGTRAP | SIGFPE | SIGSYS)
    }
    pub fn default_action(self) -> DefaultAction {
        match self.0 {
            17 | 18 | 23 | 28 => DefaultAction::Ignore,
            19..=22 => DefaultAction::Stop,
            3..=8 | 11 | 24 | 25 | 31 => DefaultAction::Core,
            _ => DefaultAction::Terminate,
        }
    }
    /// The name inside a set as strace prints it: `USR1`, `RTMIN`, `RT_3`.
    fn short_name(self) -> String {
        match self.0 {
            1..=32 => self.name()[3..].to_string(),
            33..=64 => format!("RT_{}", self.0 - 32),
            n => n.to_string(),
        }
    }
}

impl fmt::Display for Signal {
    /// As strace prints a signal argument: `SIGUSR1`, `SIGRT_2`, or the number.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            1..=32 => f.write_str(self.name()),
            33..=64 => write!(f, "SIGRT_{}", self.0 - 32),
            n => write!(f, "{}", n as i32),
        }
    }
}

/// A set of signals as the kernel keeps it: bit n-1 for signal n, in two
/// 32-bit words (`sigset_t` of i386, 8 bytes).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SigSet(pub u64);

impl SigSet {
    pub const EMPTY: SigSet = SigSet(0);
    pub const FULL: SigSet = SigSet(u64::MAX);

    pub fn of(sig: Signal) -> SigSet {
        if sig.is_valid() {
            SigSet(1 << (sig.0 - 1))
        } else {
            SigSet::EMPTY
        }
    }
    pub fn contains(self, sig: Signal) -> bool {
        sig.is_valid() && self.0 & SigSet::of(sig).0 != 0
    }
    pub fn with(self, sig: Signal) -> SigSet {
        SigSet(self.0 | SigSet::of(sig).0)
    }
    pub fn without(self, sig: Signal) -> SigSet {
        SigSet(self.0 & !SigSet::of(sig).0)
    }
    pub fn union(self, o: SigSet) -> SigSet {
        SigSet(self.0 | o.0)
    }
    pub fn minus(self, o: SigSet) -> SigSet {
        SigSet(self.0 & !o.0)
    }
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }
    /// Without SIGKILL and SIGSTOP, which no mask may hold.
    pub fn blockable(self) -> SigSet {
        self.without(SIGKILL).without(SIGSTOP)
    }
    /// The two words as they lie in memory, low first.
    pub fn words(self) -> [u32; 2] {
        [self.0 as u32, (self.0 >> 32) as u32]
    }
    pub fn from_words(lo: u32, hi: u32) -> SigSet {
        SigSet(lo as u64 | (hi as u64) << 32)
    }
    pub fn to_bytes(self) -> [u8; 8] {
        self.0.to_le_bytes()
    }
    /// The set in the first 8 bytes of `b` (fewer bytes: the rest are zero).
    pub fn from_bytes(b: &[u8]) -> SigSet {
        let mut w = [0u8; 8];
        let n = b.len().min(8);
        w[..n].copy_from_slice(&b[..n]);
        SigSet(u64::from_le_bytes(w))
    }
    /// The signals in the set, lowest first.
    pub fn iter(self) -> impl Iterator<Item = Signal> {
        (1..=NSIG).map(Signal).filter(move |&s| self.contains(s))
    }
}

impl fmt::Display for SigSet {
    /// As strace prints a sigset: `[]`, `[USR1 USR2]`, or, when two thirds
    /// of the bits or more are set, the complement: `~[KILL STOP]`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let (prefix, set) = if self.0.count_ones() >= 64 * 2 / 3 {
            ("~", SigSet(!self.0))
        } else {
            ("", *self)
        };
        let names: Vec<String> = set.iter().map(Signal::short_name).collect();
        write!(f, "{prefix}[{}]", names.join(" "))
    }
}

/// `si_code` values (include/uapi/asm-generic/siginfo.h).
pub mod code {
    /// Sent by kill(2).
    pub const SI_USER: i32 = 0;
    /// Sent by the kernel for no more specific reason.
    pub const SI_KERNEL: i32 = 0x80;
    pub const SI_QUEUE: i32 = -1;
    /// Sent by tkill(2) or tgkill(2).
    pub const SI_TKILL: i32 = -6;
    pub const SEGV_MAPERR: i32 = 1;
    pub const SEGV_ACCERR: i32 = 2;
    pub const BUS_ADRALN: i32 = 1;
    pub const BUS_ADRERR: i32 = 2;
    pub const ILL_ILLOPN: i32 = 2;
    pub const FPE_INTDIV: i32 = 1;
    pub const TRAP_BRKPT: i32 = 1;
    /// SIGCHLD: how the child ended.
    pub const CLD_EXITED: i32 = 1;
    pub const CLD_KILLED: i32 = 2;
    pub const CLD_DUMPED: i32 = 3;
}

/// The union part of a siginfo that a signal fills.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SigFields {
    /// Nothing (SI_KERNEL): the union is zero.
    None,
    /// kill(2) and friends: who sent it.
    Kill { pid: u32, uid: u32 },
    /// A fault: the address it concerns.
    Fault { addr: VirtAddr },
    /// SIGCHLD: which child ended and its exit code or signal.
    Child { pid: u32, uid: u32, status: i32 },
}

/// What a handler finds in its `siginfo_t` (and strace prints).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SigInfo {
    pub signo: Signal,
    pub errno: i32,
    pub code: i32,
    pub fields: SigFields,
}

impl SigInfo {
    /// The si_code as strace names it.
    pub fn code_name(&self) -> String {
        use code::*;
        let generic = match self.code {
            SI_USER => Some("SI_USER"),
            SI_KERNEL => Some("SI_KERNEL"),
            SI_QUEUE => Some("SI_QUEUE"),
            -2 => Some("SI_TIMER"),
            -3 => Some("SI_MESGQ"),
            -4 => Some("SI_ASYNCIO"),
            -5 => Some("SI_SIGIO"),
            SI_TKILL => Some("SI_TKILL"),
            _ => None,
        };
        if let Some(n) = generic {
            return n.to_string();
        }
        let specific: &[&str] = match self.signo {
            SIGSEGV => &["SEGV_MAPERR", "SEGV_ACCERR", "SEGV_BNDERR", "SEGV_PKUERR"],
            SIGBUS => &["BUS_ADRALN", "BUS_ADRERR", "BUS_OBJERR"],
            SIGILL => &[
                "ILL_ILLOPC",
                "ILL_ILLOPN",
                "ILL_ILLADR",
                "ILL_ILLTRP",
                "ILL_PRVOPC",
                "ILL_PRVREG",
                "ILL_COPROC",
                "ILL_BADSTK",
            ],
            SIGFPE => &[
                "FPE_INTDIV",
                "FPE_INTOVF",
                "FPE_FLTDIV",
                "FPE_FLTOVF",
                "FPE_FLTUND",
                "FPE_FLTRES",
                "FPE_FLTINV",
                "FPE_FLTSUB",
            ],
            SIGTRAP => &["TRAP_BRKPT", "TRAP_TRACE", "TRAP_BRANCH", "TRAP_HWBKPT"],
            SIGCHLD => &[
                "CLD_EXITED",
                "CLD_KILLED",
                "CLD_DUMPED",
                "CLD_TRAPPED",
                "CLD_STOPPED",
                "CLD_CONTINUED",
            ],
            _ => &[],
        };
        match usize::try_from(self.code - 1)
            .ok()
            .and_then(|i| specific.get(i))
        {
            Some(n) => n.to_string(),
            None => self.code.to_string(),
        }
    }
}

impl fmt::Display for SigInfo {
    /// As strace prints a delivered signal's siginfo:
    /// `{si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=0x00000000}`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{{si_signo={}, si_code={}", self.signo, self.code_name())?;
        let faulty = matches!(self.signo, SIGILL | SIGFPE | SIGSEGV | SIGBUS);
        match self.fields {
            SigFields::Kill { pid, uid } => write!(f, ", si_pid={pid}, si_uid={uid}")?,
            SigFields::Fault { addr } => write!(f, ", si_addr={addr}")?,
            SigFields::Child { pid, uid, status } => write!(
                f,
                ", si_pid={pid}, si_uid={uid}, si_status={status}, si_utime=0, si_stime=0"
            )?,
            // strace shows si_addr of a kernel-sent fault signal even when zero.
            SigFields::None if faulty && self.code > 0 => write!(f, ", si_addr={}", VirtAddr(0))?,
            SigFields::None => {}
        }
        f.write_str("}")
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
    pub fn value(self) -> i32 {
        match self {
            SegvCode::MapErr => code::SEGV_MAPERR,
            SegvCode::AccErr => code::SEGV_ACCERR,
        }
    }
}

/// What the CPU reported with a fault, as Linux keeps it in the thread
/// (`trap_nr`, `error_code`, `cr2`) for the handler's `sigcontext`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TrapInfo {
    /// The exception vector: 0 #DE, 3 #BP, 6 #UD, 13 #GP, 14 #PF.
    pub trapno: u32,
    /// The error code the CPU pushed (the page-fault code for #PF).
    pub err: u32,
    /// The faulting address, for #PF only (CR2).
    pub cr2: Option<u32>,
}

/// Why a signal was raised — and, when it kills, why the process died.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Death {
    Segv {
        addr: VirtAddr,
        eip: VirtAddr,
        /// The error code as the MMU raised it.
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
    /// `kill(getpid(), sig)` or the like: `si_code` is SI_USER for kill,
    /// SI_TKILL for tkill and tgkill.
    SelfSignal {
        sig: Signal,
        eip: VirtAddr,
        si_code: i32,
    },
    /// kill(2) from another process of this machine.
    Sent {
        sig: Signal,
        from: u32,
    },
    /// SIGCHLD: child `pid` ended (`code` is CLD_EXITED with the exit code
    /// as `status`, or CLD_KILLED/CLD_DUMPED with the signal).
    ChildEnded {
        pid: u32,
        code: i32,
        status: i32,
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
    /// A handler's frame for `sig` could not be written at `frame` (the
    /// stack is bad or the alternate stack too small): Linux's force_sigsegv.
    BadSignalFrame {
        sig: Signal,
        frame: u32,
    },
    /// `sigreturn` or `rt_sigreturn` found no readable frame at `frame`.
    BadSigreturn {
        frame: u32,
    },
    /// `pause` or `sigsuspend` with no signal that could ever wake it: there
    /// is no other process and no timer, so it would sleep forever.
    SleepsForever {
        call: &'static str,
    },
}

impl Death {
    pub fn signal(&self) -> Signal {
        match self {
            Death::Segv { .. }
            | Death::GeneralProtection { .. }
            | Death::BadSignalFrame { .. }
            | Death::BadSigreturn { .. } => SIGSEGV,
            Death::IllegalInstruction { .. } => SIGILL,
            Death::Bus { .. } => SIGBUS,
            Death::DivideError { .. } => SIGFPE,
            Death::Breakpoint { .. } => SIGTRAP,
            Death::OutOfMemory { .. } | Death::SleepsForever { .. } => SIGKILL,
            Death::SelfSignal { sig, .. } | Death::Sent { sig, .. } => *sig,
            Death::ChildEnded { .. } => SIGCHLD,
            Death::BrokenPipe => SIGPIPE,
            Death::InstructionLimit { .. } => SIGXCPU,
            Death::Timeout { .. } | Death::Deadlock { .. } => SIGKILL,
        }
    }

    /// The siginfo a handler of this signal gets, as Linux fills it for
    /// process `pid` of user `uid` (the only sender there is).
    pub fn siginfo(&self, pid: u32, uid: u32) -> SigInfo {
        use code::*;
        let (code, fields) = match self {
            Death::Segv { addr, si_code, .. } => {
                (si_code.value(), SigFields::Fault { addr: *addr })
            }
            Death::IllegalInstruction { eip, .. } => (ILL_ILLOPN, SigFields::Fault { addr: *eip }),
            Death::DivideError { eip } => (FPE_INTDIV, SigFields::Fault { addr: *eip }),
            Death::SelfSignal { si_code, .. } => (*si_code, SigFields::Kill { pid, uid }),
            Death::Sent { from, .. } => (SI_USER, SigFields::Kill { pid: *from, uid }),
            Death::ChildEnded { pid, code, status } => (
                *code,
                SigFields::Child {
                    pid: *pid,
                    uid,
                    status: *status,
                },
            ),
            // send_sig(SIGPIPE, current, 0): SI_USER, from the process itself.
            Death::BrokenPipe => (SI_USER, SigFields::Kill { pid, uid }),
            // int3 is do_trap without a code, #GP gp_user_force_sig_segv, and
            // the rest force_sig: all SI_KERNEL with a zero union.
            _ => (SI_KERNEL, SigFields::None),
        };
        SigInfo {
            signo: self.signal(),
            errno: 0,
            code,
            fields,
        }
    }

    /// The trap number, error code and CR2 the CPU reported, for a signal
    /// raised by a fault (`None` for the others, which leave the thread's
    /// last values alone, as Linux does).
    pub fn trap(&self) -> Option<TrapInfo> {
        let (trapno, err, cr2) = match self {
            Death::Segv { addr, code, .. } => {
                // User accesses to kernel addresses look like protection
                // faults, whatever the tables say (Linux hides its layout).
                let kernel = if addr.0 >= crate::layout::TASK_SIZE.0 {
                    PfCode::P
                } else {
                    PfCode::empty()
                };
                (14, (*code | PfCode::U | kernel).bits(), Some(addr.0))
            }
            Death::GeneralProtection { .. } => (13, 0, None),
            Death::IllegalInstruction { .. } => (6, 0, None),
            Death::DivideError { .. } => (0, 0, None),
            Death::Breakpoint { .. } => (3, 0, None),
            _ => return None,
        };
        Some(TrapInfo { trapno, err, cr2 })
    }

    /// A fault-class exception (EIP at the instruction, which will run again):
    /// the CPU sets RF in the EFLAGS it saves, and so does the sigcontext.
    pub fn is_fault(&self) -> bool {
        matches!(
            self,
            Death::Segv { .. }
                | Death::GeneralProtection { .. }
                | Death::IllegalInstruction { .. }
                | Death::DivideError { .. }
        )
    }
}

impl fmt::Display for Death {
    /// One line, as the CLI prints it on stderr (without names for EIP).
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.write(f, &NoNames)
    }
}

/// A death shown with names for its EIP (see [`Death::named`]).
pub struct NamedDeath<'a>(&'a Death, &'a dyn CodeNames);

impl fmt::Display for NamedDeath<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.write(f, self.1)
    }
}

impl Death {
    /// This death as one line, its EIP named by `names`:
    /// `..., eip 0x0804904f <main+0x1f (segv_demo.c:32)>`.
    pub fn named<'a>(&'a self, names: &'a dyn CodeNames) -> NamedDeath<'a> {
        NamedDeath(self, names)
    }

    /// The instruction the signal was raised at, for those that have one.
    pub fn eip(&self) -> Option<VirtAddr> {
        match self {
            Death::Segv { eip, .. }
            | Death::Bus { eip, .. }
            | Death::GeneralProtection { eip }
            | Death::IllegalInstruction { eip, .. }
            | Death::DivideError { eip }
            | Death::Breakpoint { eip }
            | Death::OutOfMemory { eip, .. }
            | Death::SelfSignal { eip, .. } => Some(*eip),
            _ => None,
        }
    }

    fn write(&self, f: &mut fmt::Formatter<'_>, names: &dyn CodeNames) -> fmt::Result {
        let at = |eip: &VirtAddr| Eip(*eip, names);
        match self {
            Death::Segv {
                addr,
                eip,
                code,
                si_code,
            } => write!(
                f,
                "Segmentation fault ({}): {} at {addr} ({}), eip {}",
                si_code.name(),
                code.access().name(),
                if addr.0 >= crate::layout::TASK_SIZE.0 {
                    "kernel space"
                } else if matches!(si_code, SegvCode::MapErr) {
                    "nothing mapped"
                } else {
                    "not permitted by the mapping"
                },
                at(eip)
            ),
            Death::Bus { addr, eip } => write!(
                f,
                "Bus error (BUS_ADRERR): access at {addr}, past the end of the mapped file, eip {}",
                at(eip)
            ),
            Death::GeneralProtection { eip } => {
                write!(
                    f,
                    "Segmentation fault (general protection): privileged instruction at eip {}",
                    at(eip)
                )
            }
            Death::IllegalInstruction { eip, bytes, text } => {
                let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
                write!(
                    f,
                    "Illegal instruction at eip {}: {} ({text})",
                    at(eip),
                    hex.join(" ")
                )
            }
            Death::DivideError { eip } => {
                write!(f, "Floating point exception (divide error) at eip {}", at(eip))
            }
            Death::Breakpoint { eip } => write!(f, "Trace/breakpoint trap at eip {}", at(eip)),
            Death::OutOfMemory { addr, eip, report } => match report.faulter {
                Some(pid) => write!(
                    f,
                    "Out of memory: {report} (the biggest process; pid {pid} found no free frame for the page at {addr}, eip {})",
                    at(eip)
                ),
                None => write!(
                    f,
                    "Out of memory: {report} (no free frame for the page at {addr}, eip {})",
                    at(eip)
                ),
            },
            Death::SelfSignal { sig, eip, .. } => write!(
                f,
                "Killed by {sig}, sent by the program itself at eip {}",
                at(eip)
            ),
            Death::Sent { sig, from } => write!(f, "Killed by {sig}, sent by process {from}"),
            Death::ChildEnded { pid, .. } => write!(f, "Killed by SIGCHLD (child {pid} ended)"),
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
            Death::BadSignalFrame { sig, frame } => write!(
                f,
                "Segmentation fault: no room for the {sig} handler's frame at {} (bad stack, or the alternate stack overflowed)",
                VirtAddr(*frame)
            ),
            Death::BadSigreturn { frame } => write!(
                f,
                "Segmentation fault: sigreturn found no signal frame at {}",
                VirtAddr(*frame)
            ),
            Death::SleepsForever { call } => write!(
                f,
                "Killed: {call}() waits for a signal that nothing can send (no other process, no timer)"
            ),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_sets_read_like_strace() {
        assert_eq!(SIGUSR1.to_string(), "SIGUSR1");
        assert_eq!(Signal(32).to_string(), "SIGRTMIN");
        assert_eq!(Signal(34).to_string(), "SIGRT_2");
        assert_eq!(Signal(0).to_string(), "0");
        assert_eq!(Signal(65).to_string(), "65");
        assert_eq!(SigSet::EMPTY.to_string(), "[]");
        assert_eq!(SigSet::of(SIGUSR1).with(SIGUSR2).to_string(), "[USR1 USR2]");
        assert_eq!(SigSet::FULL.to_string(), "~[]");
        assert_eq!(
            SigSet::FULL
                .minus(SigSet::of(Signal(32)).with(Signal(33)).with(Signal(34)))
                .to_string(),
            "~[RTMIN RT_1 RT_2]"
        );
        assert_eq!(SigSet::from_words(1 << 31, 0).to_string(), "[RTMIN]");
        assert_eq!(SigSet::from_words(0, 1).to_string(), "[RT_1]");
    }

    #[test]
    fn default_actions() {
        assert_eq!(SIGCHLD.default_action(), DefaultAction::Ignore);
        assert_eq!(SIGWINCH.default_action(), DefaultAction::Ignore);
        assert_eq!(SIGSTOP.default_action(), DefaultAction::Stop);
        assert_eq!(SIGSEGV.default_action(), DefaultAction::Core);
        assert_eq!(SIGUSR1.default_action(), DefaultAction::Terminate);
        assert_eq!(Signal(40).default_action(), DefaultAction::Terminate);
    }

    #[test]
    fn siginfo_of_each_cause() {
        let segv = Death::Segv {
            addr: VirtAddr(0x1234),
            eip: VirtAddr(0x8048000),
            code: PfCode::U | PfCode::W,
            si_code: SegvCode::AccErr,
        };
        assert_eq!(
            segv.siginfo(1, 1000).to_string(),
            "{si_signo=SIGSEGV, si_code=SEGV_ACCERR, si_addr=0x00001234}"
        );
        assert_eq!(
            segv.trap(),
            Some(TrapInfo {
                trapno: 14,
                err: 6,
                cr2: Some(0x1234)
            })
        );
        let kill = Death::SelfSignal {
            sig: SIGUSR1,
            eip: VirtAddr(0),
            si_code: code::SI_TKILL,
        };
        assert_eq!(
            kill.siginfo(7, 1000).to_string(),
            "{si_signo=SIGUSR1, si_code=SI_TKILL, si_pid=7, si_uid=1000}"
        );
        let bp = Death::Breakpoint { eip: VirtAddr(5) };
        assert_eq!(
            bp.siginfo(1, 0).to_string(),
            "{si_signo=SIGTRAP, si_code=SI_KERNEL}"
        );
        let gp = Death::GeneralProtection { eip: VirtAddr(5) };
        assert_eq!(
            gp.siginfo(1, 0).to_string(),
            "{si_signo=SIGSEGV, si_code=SI_KERNEL, si_addr=0x00000000}"
        );
        let de = Death::DivideError {
            eip: VirtAddr(0x8049000),
        };
        assert_eq!(
            de.siginfo(1, 0).to_string(),
            "{si_signo=SIGFPE, si_code=FPE_INTDIV, si_addr=0x08049000}"
        );
    }
}
