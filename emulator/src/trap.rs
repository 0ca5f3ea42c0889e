//! What the CPU hands back to whoever runs it: the kernel decides what each means.

use crate::addr::VirtAddr;
use bitflags::bitflags;
use std::fmt;

bitflags! {
    /// #PF error code (Intel SDM Vol. 3A §4.7, Figure 4-12).
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct PfCode: u32 {
        /// 0: the page was not present; 1: a protection violation.
        const P = 1 << 0;
        /// The access was a write.
        const W = 1 << 1;
        /// The access came from CPL 3 (always, on this machine).
        const U = 1 << 2;
        /// The access was an instruction fetch.
        const I = 1 << 4;
        /// Not the hardware's: memcheck refused the access (`watch.rs`).
        /// The CPU turns it into `Trap::MemCheck`; no kernel sees it.
        const CHECK = 1 << 31;
    }
}

/// What an access wants to do with a page.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Access {
    Read,
    Write,
    Fetch,
}

impl Access {
    /// The #PF error code a user access of this kind raises.
    pub fn code(self) -> PfCode {
        match self {
            Access::Read => PfCode::U,
            Access::Write => PfCode::U | PfCode::W,
            Access::Fetch => PfCode::U | PfCode::I,
        }
    }
    /// As traces and signal reports say it.
    pub fn name(self) -> &'static str {
        match self {
            Access::Read => "read",
            Access::Write => "write",
            Access::Fetch => "exec",
        }
    }
}

impl PfCode {
    /// The access that faulted.
    pub fn access(self) -> Access {
        if self.contains(PfCode::I) {
            Access::Fetch
        } else if self.contains(PfCode::W) {
            Access::Write
        } else {
            Access::Read
        }
    }
    /// `read`, `write` or `exec`, with `not-present` or `protection`.
    pub fn describe(self) -> String {
        let why = if self.contains(PfCode::P) {
            "protection"
        } else {
            "not-present"
        };
        format!("{} {why}", self.access().name())
    }
}

/// A page fault as the MMU raises it: CR2 and the error code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PageFault {
    pub addr: VirtAddr,
    pub code: PfCode,
}

/// Why `Cpu::run` stopped. For faults, EIP still points at the faulting
/// instruction and no architectural state has changed, so it can be restarted.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Trap {
    /// `int 0x80`; EIP is past the instruction.
    Syscall,
    /// #PF (vector 14).
    PageFault {
        addr: VirtAddr,
        code: PfCode,
        eip: VirtAddr,
    },
    /// #UD (vector 6): an encoding outside the implemented set.
    InvalidOpcode {
        eip: VirtAddr,
        bytes: [u8; 15],
        len: u8,
    },
    /// #DE (vector 0): divide by zero or quotient overflow.
    DivideError { eip: VirtAddr },
    /// #MF (vector 16): an x87 instruction found an unmasked exception
    /// pending (ES set by an earlier one); EIP points at the one that found it.
    FloatingPoint { eip: VirtAddr },
    /// `int3` (vector 3); EIP is past the instruction, as on hardware.
    Breakpoint { eip: VirtAddr },
    /// #GP (vector 13): privileged instruction at CPL 3 (`hlt`, `cli`, `in`…),
    /// or `int n` for a vector user code may not raise.
    GeneralProtection { eip: VirtAddr },
    /// The instruction budget given to `run` is spent.
    InstructionLimit,
    /// EIP reached an address hooked with `Cpu::set_hooks`; the instruction
    /// there has not run (`Cpu::pass_hook` lets it).
    Hook { eip: VirtAddr },
    /// Memcheck refused an access of the instruction at `eip`, which has
    /// not run: `len` bytes at `addr`, below the stack pointer (`stack`)
    /// or on heap bytes outside every live block.
    MemCheck {
        eip: VirtAddr,
        addr: VirtAddr,
        len: u8,
        access: Access,
        stack: bool,
    },
}

impl Trap {
    /// A short name for counters and traces.
    pub fn kind(&self) -> TrapKind {
        match self {
            Trap::Syscall => TrapKind::Syscall,
            Trap::PageFault { .. } => TrapKind::PageFault,
            Trap::InvalidOpcode { .. } => TrapKind::InvalidOpcode,
            Trap::DivideError { .. } => TrapKind::DivideError,
            Trap::FloatingPoint { .. } => TrapKind::FloatingPoint,
            Trap::Breakpoint { .. } => TrapKind::Breakpoint,
            Trap::GeneralProtection { .. } => TrapKind::GeneralProtection,
            Trap::InstructionLimit => TrapKind::InstructionLimit,
            Trap::Hook { .. } => TrapKind::Hook,
            Trap::MemCheck { .. } => TrapKind::MemCheck,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum TrapKind {
    Syscall,
    PageFault,
    InvalidOpcode,
    DivideError,
    Breakpoint,
    GeneralProtection,
    InstructionLimit,
    FloatingPoint,
    Hook,
    MemCheck,
}

impl TrapKind {
    pub const ALL: [TrapKind; 10] = [
        TrapKind::Syscall,
        TrapKind::PageFault,
        TrapKind::InvalidOpcode,
        TrapKind::DivideError,
        TrapKind::Breakpoint,
        TrapKind::GeneralProtection,
        TrapKind::InstructionLimit,
        TrapKind::FloatingPoint,
        TrapKind::Hook,
        TrapKind::MemCheck,
    ];
    pub fn index(self) -> usize {
        self as usize
    }
}

impl fmt::Display for TrapKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            TrapKind::Syscall => "syscall",
            TrapKind::PageFault => "page fault",
            TrapKind::InvalidOpcode => "invalid opcode",
            TrapKind::DivideError => "divide error",
            TrapKind::Breakpoint => "breakpoint",
            TrapKind::GeneralProtection => "general protection",
            TrapKind::InstructionLimit => "instruction limit",
            TrapKind::FloatingPoint => "x87 floating-point error",
            TrapKind::Hook => "hook",
            TrapKind::MemCheck => "memcheck",
        })
    }
}
