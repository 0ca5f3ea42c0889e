//! Instructions that talk to the system: software interrupts, privileged
//! instructions (which fault at CPL 3), #UD, `cpuid` and `rdtsc`.

use super::op::{Kind, Op};
use super::state::{State, Stop, EAX, EBX, ECX, EDX};
use crate::addr::VirtAddr;
use crate::disasm::{read_code, MAX_INSN};
use crate::mmu::Mmu;
use crate::trap::Trap;

/// cpuid leaf 1 EDX: FPU (0), TSC (4), CX8 (8), CMOV (15); with FPU and
/// CMOV, fcmovcc and fcomi are there too. No MMX or SSE: those raise #UD.
const FEATURES_EDX: u32 = 1 | (1 << 4) | (1 << 8) | (1 << 15);
/// Family 6, model 1, stepping 1: a Pentium Pro, the first i686.
const SIGNATURE: u32 = 0x0611;

impl State {
    /// The trap raised by `int n`, `int3`, a privileged instruction or #UD.
    /// `self.eip` is already past the instruction.
    #[cold]
    pub(super) fn trap(&mut self, mmu: &mut Mmu, op: &Op) -> Stop {
        let at = VirtAddr(self.eip.wrapping_sub(op.len as u32));
        match op.kind {
            Kind::Int if op.imm == 0x80 => Stop::TrapAfter(Trap::Syscall),
            // `int3` reports its own address; EIP is left past it.
            Kind::Int3 => Stop::TrapAfter(Trap::Breakpoint { eip: at }),
            // A vector user code may not raise (its gate's DPL is 0), or a
            // privileged instruction at CPL 3 (Intel SDM Vol. 3A §6.12.1.1).
            Kind::Int | Kind::Priv => Stop::Trap(Trap::GeneralProtection { eip: at }),
            _ => {
                let mut bytes = [0u8; MAX_INSN];
                let len = read_code(mmu, at, &mut bytes[..op.len as usize]).max(1);
                Stop::Trap(Trap::InvalidOpcode {
                    eip: at,
                    bytes,
                    len: len as u8,
                })
            }
        }
    }

    /// cpuid: a plain i686 ("GenuineIntel", leaf 1 only).
    pub(super) fn cpuid(&mut self) {
        let (a, b, c, d) = match self.r[EAX] {
            0 => (
                1,
                u32::from_le_bytes(*b"Genu"),
                u32::from_le_bytes(*b"ntel"),
                u32::from_le_bytes(*b"ineI"),
            ),
            1 => (SIGNATURE, 0, 0, FEATURES_EDX),
            _ => (0, 0, 0, 0),
        };
        self.r[EAX] = a;
        self.r[EBX] = b;
        self.r[ECX] = c;
        self.r[EDX] = d;
    }

    /// rdtsc: the time-stamp counter counts retired instructions, so runs
    /// are deterministic.
    pub(super) fn rdtsc(&mut self) {
        self.r[EAX] = self.retired as u32;
        self.r[EDX] = (self.retired >> 32) as u32;
    }
}
