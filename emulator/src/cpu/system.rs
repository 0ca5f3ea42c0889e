//! Instructions that talk to the system: software interrupts, privileged
//! instructions (which fault at CPL 3), #UD, `cpuid`, `rdtsc`, and moves to
//! and from the segment registers of a flat user address space.

use super::op::{Kind, Op};
use super::{Exec, State, Stop, EAX, EBX, ECX, EDX};
use crate::addr::{VirtAddr, PAGE_SIZE};
use crate::mmu::{Access, Mmu};
use crate::trap::Trap;

/// Linux's i386 user selectors (`__USER_CS`, `__USER_DS`), which is what a
/// program reading CS or DS there would see.
const USER_CS: u32 = 0x73;
const USER_DS: u32 = 0x7b;

/// cpuid leaf 1 EDX: TSC (4), CX8 (8), CMOV (15). No FPU, MMX or SSE:
/// those instructions raise #UD here.
const FEATURES_EDX: u32 = (1 << 4) | (1 << 8) | (1 << 15);
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
                let mut bytes = [0u8; 15];
                let len = read_code(mmu, at, &mut bytes[..op.len as usize]);
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

    /// mov r/m, sreg reads a flat selector; mov sreg, r/m reads its operand
    /// (which may fault) and changes nothing: every base is fixed, FS and GS
    /// bases are set by the kernel.
    pub(super) fn seg_mov(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        let sel = match op.sub {
            1 => USER_CS,
            4 | 5 => 0,
            _ => USER_DS,
        };
        match op.kind {
            Kind::SegReadR => self.set(op.size, op.r1, sel),
            Kind::SegReadM => self.store(mmu, 2, self.ea(&op.m), sel)?,
            Kind::SegWriteM => {
                self.load(mmu, 2, self.ea(&op.m))?;
            }
            _ => {}
        }
        Ok(())
    }
}

/// Copy instruction bytes at `va` for a report, through the fetch path;
/// stops early at an unmapped page. Returns how many bytes were read.
fn read_code(mmu: &mut Mmu, va: VirtAddr, out: &mut [u8]) -> usize {
    let mut n = 0;
    while n < out.len() {
        let a = VirtAddr(va.0.wrapping_add(n as u32));
        let Ok(pa) = mmu.translate(a, Access::Fetch) else {
            break;
        };
        let chunk = (out.len() - n).min((PAGE_SIZE - a.page_offset()) as usize);
        mmu.phys.read_bytes(pa, &mut out[n..n + chunk]);
        n += chunk;
    }
    n.max(1).min(out.len())
}
