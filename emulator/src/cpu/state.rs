//! The CPU's architectural state and what every instruction group uses to
//! reach it: registers by number and size, effective addresses, loads and
//! stores through the MMU, and how an instruction stops short.

use super::flags::Flags;
use super::gdt::Segments;
use super::op::{Mem, Op};
use super::segment::Selectors;
use crate::addr::VirtAddr;
use crate::mmu::Mmu;
use crate::trap::{PageFault, Trap};

/// General-purpose registers in x86 encoding order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Reg {
    Eax = 0,
    Ecx = 1,
    Edx = 2,
    Ebx = 3,
    Esp = 4,
    Ebp = 5,
    Esi = 6,
    Edi = 7,
}

impl Reg {
    /// All eight, in encoding order.
    pub const ALL: [Reg; 8] = [
        Reg::Eax,
        Reg::Ecx,
        Reg::Edx,
        Reg::Ebx,
        Reg::Esp,
        Reg::Ebp,
        Reg::Esi,
        Reg::Edi,
    ];
}

/// A snapshot of the architectural registers (debugger, traces, tests).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Registers {
    pub gpr: [u32; 8],
    pub eip: u32,
    pub eflags: u32,
    /// CS SS DS ES FS GS, as gdb's `g` packet orders them.
    pub selectors: Selectors,
    /// The bases FS and GS address through (the hidden part of each).
    pub fs_base: u32,
    pub gs_base: u32,
}

pub(super) const EAX: usize = 0;
pub(super) const ECX: usize = 1;
pub(super) const EDX: usize = 2;
pub(super) const EBX: usize = 3;
pub(super) const ESP: usize = 4;
pub(super) const EBP: usize = 5;
pub(super) const ESI: usize = 6;
pub(super) const EDI: usize = 7;

/// Why an instruction did not complete normally.
pub(crate) enum Stop {
    /// A page fault: nothing changed, EIP goes back to the instruction.
    PageFault(PageFault),
    /// A fault-class trap (#GP #UD #DE): EIP goes back to the instruction.
    Trap(Trap),
    /// A trap after the instruction (`int 0x80`, `int3`): it retires.
    TrapAfter(Trap),
    /// A repeated string instruction paused between iterations (registers
    /// describe the remaining work); it runs on from the same EIP.
    Again,
}

impl From<PageFault> for Stop {
    #[inline(always)]
    fn from(pf: PageFault) -> Stop {
        Stop::PageFault(pf)
    }
}

pub(super) type Exec = Result<(), Stop>;

/// Registers, flags and counters: what instructions change. Kept apart from
/// the decode cache so an instruction can run straight from the cache.
#[derive(Clone)]
pub struct State {
    /// EAX..EDI, then slots that stay zero: `op::NOREG` indexes one, so an
    /// absent base or index register adds nothing, and there are as many
    /// as a `u8` numbers, so an effective address indexes with no mask
    /// and no bounds check.
    pub r: [u32; 256],
    pub eip: u32,
    /// Segment bases by `Mem::seg & 3`: flat, FS, GS, flat. The rest of the
    /// segment state, off the effective-address path, is in `seg`.
    pub seg_base: [u32; 4],
    pub f: Flags,
    pub retired: u64,
    pub seg: Segments,
    /// The x87 FPU; only x87 instructions look at it.
    pub fpu: super::x87::fpu::Fpu,
    /// What a JIT translation keeps here while it runs.
    pub(crate) jit: JitRegs,
}

/// What generated code (cpu/jit) reads and writes beside the registers,
/// at fixed offsets from the `State` it runs with, hence `repr(C)`: set
/// before each run, read back after it.
#[repr(C)]
#[derive(Clone, Copy, Debug, Default)]
pub(crate) struct JitRegs {
    /// The modelled TLB's hot index (a host address; in rbx while the
    /// translation runs).
    pub(crate) hot: u64,
    /// The Rust side of the run (`jit::ctx::Ctx`), for the call-outs.
    pub(crate) ctx: u64,
    /// Generated code goes on into the next block (itself, or a linked
    /// one) only while that block's whole run keeps the retired count at
    /// most this: the budget's end, or 0 to leave at every block's end.
    pub(crate) end: u64,
    /// The retired count less `end`, as an i64: what generated code counts
    /// instead of the retired count, so that a check is one signed compare
    /// with the next block's length. `retired` is made from it for each
    /// interpreter call-out and after the run.
    pub(crate) bias: u64,
    /// The TLB's clock: generated code keeps it in edx and stores it here
    /// for every call-out and at its exit (`Tlb::absorb` takes it back).
    pub(crate) clock: u32,
    /// A loaded value a call-out returns.
    pub(crate) value: u32,
    /// The op (index in its block) that stopped, for exit code 1, and the
    /// translation it is in (it may have been reached through links).
    pub(crate) stop_op: u32,
    pub(crate) stop_id: u32,
    /// The linkable exit taken, if it was not linked yet (its number).
    pub(crate) exit_site: u32,
    pub(crate) _pad: u32,
}

impl State {
    /// Reset state: registers zero, Linux's segment registers at exec.
    pub fn new() -> State {
        State {
            r: [0; 256],
            eip: 0,
            seg_base: [0; 4],
            f: Flags::new(),
            retired: 0,
            seg: Segments::default(),
            fpu: super::x87::fpu::Fpu::new(),
            jit: JitRegs::default(),
        }
    }

    /// Register `r` (x86 numbering) at operand size `size`.
    #[inline(always)]
    pub(super) fn get(&self, size: u8, r: u8) -> u32 {
        let r = r as usize & 7;
        match size {
            4 => self.r[r],
            2 => self.r[r] & 0xffff,
            _ if r < 4 => self.r[r] & 0xff,
            _ => (self.r[r & 3] >> 8) & 0xff,
        }
    }

    /// Write register `r` at operand size `size`, keeping the other bits.
    #[inline(always)]
    pub(super) fn set(&mut self, size: u8, r: u8, v: u32) {
        let r = r as usize & 7;
        match size {
            4 => self.r[r] = v,
            2 => self.r[r] = (self.r[r] & 0xffff_0000) | (v & 0xffff),
            _ if r < 4 => self.r[r] = (self.r[r] & !0xff) | (v & 0xff),
            _ => self.r[r & 3] = (self.r[r & 3] & !0xff00) | ((v & 0xff) << 8),
        }
    }

    /// Linear address of a memory operand with 32-bit addressing. Flat:
    /// an operand through FS or GS, or 16-bit addressed, has a wrapper
    /// (address.rs) that checks it and runs the op with the segment's base
    /// folded into its displacement and nothing in `scale` but the scale
    /// (so the shift needs no mask of its own).
    #[inline(always)]
    pub(super) fn ea(&self, m: &Mem) -> u32 {
        m.disp
            .wrapping_add(self.r[m.base as usize])
            .wrapping_add(self.r[m.index as usize].wrapping_shl(m.scale as u32))
    }

    /// `ea` of an operand with no index register (`fast::base_only`).
    #[inline(always)]
    pub(super) fn ea_b(&self, m: &Mem) -> u32 {
        m.disp.wrapping_add(self.r[m.base as usize])
    }

    #[inline(always)]
    pub(super) fn load(&self, mmu: &mut Mmu, size: u8, addr: u32) -> Result<u32, PageFault> {
        let va = VirtAddr(addr);
        match size {
            4 => mmu.read_u32(va),
            2 => mmu.read_u16(va).map(u32::from),
            _ => mmu.read_u8(va).map(u32::from),
        }
    }

    #[inline(always)]
    pub(super) fn store(
        &self,
        mmu: &mut Mmu,
        size: u8,
        addr: u32,
        v: u32,
    ) -> Result<(), PageFault> {
        let va = VirtAddr(addr);
        match size {
            4 => mmu.write_u32(va, v),
            2 => mmu.write_u16(va, v as u16),
            _ => mmu.write_u8(va, v as u8),
        }
    }

    /// The r/m operand's value: register `r1` or memory `m`, by `is_mem`.
    #[inline(always)]
    pub(super) fn rm(&self, mmu: &mut Mmu, op: &Op, is_mem: bool) -> Result<u32, PageFault> {
        if is_mem {
            self.load(mmu, op.size, self.ea(&op.m))
        } else {
            Ok(self.get(op.size, op.r1))
        }
    }
}
