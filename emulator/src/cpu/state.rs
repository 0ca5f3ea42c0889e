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
    /// The retired count and the TLB's clock in one register (rdx while
    /// generated code runs, here at every call-out and exit): the high
    /// half is `Count::budget`'s signed count, the low half the clock.
    /// One register, so that neither counter goes through memory on the
    /// way from one block to the next.
    pub(crate) count: u64,
    /// The retired count less the budget half, which stays so for the
    /// whole run (`Count::retired`).
    pub(crate) base: u64,
    /// A loaded value a call-out returns.
    pub(crate) value: u32,
    /// The op (index in its block) that stopped, for exit code 1, and the
    /// translation it is in (it may have been reached through links).
    pub(crate) stop_op: u32,
    pub(crate) stop_id: u32,
    /// The linkable exit taken, if it was not linked yet (its number).
    pub(crate) exit_site: u32,
    /// Non-zero when a jcc to a later op of its block may go on there
    /// (as the interpreter's fast path does: not with hooks or memcheck's
    /// stack floor, which need every block's end).
    pub(crate) inner: u32,
}

/// What `JitRegs::count` holds. The high half counts up toward the end of
/// the budget: it is the retired count less the count the budget ends at,
/// less one, so that it is negative exactly while the count is within the
/// budget. Generated code charges a block's whole length when it starts a
/// pass (a 64-bit add of `n << 32`, whose sign then says whether the pass
/// fits) and gives back what an early exit leaves unrun. The low half is the TLB's clock, which an inline hit
/// advances by one: it is kept below 2^31 whenever Rust hands it over
/// (`Tlb::jit_clock`), and a run makes fewer than 2^30 inline hits, so it
/// never carries into the high half.
pub(crate) struct Count;

impl Count {
    /// `count` for a run: `budget` (the retired count less the budget's
    /// end, less one) above the TLB's `clock`.
    pub(crate) fn make(budget: i32, clock: u32) -> u64 {
        ((budget as u32 as u64) << 32) | clock as u64
    }

    /// The budget half, signed.
    pub(crate) fn budget(count: u64) -> i32 {
        (count >> 32) as u32 as i32
    }

    /// The clock half.
    pub(crate) fn clock(count: u64) -> u32 {
        count as u32
    }

    /// `count` with the clock half replaced.
    pub(crate) fn with_clock(count: u64, clock: u32) -> u64 {
        (count & !0xffff_ffff) | clock as u64
    }

    /// The charge of `n` instructions: what is added to `count`.
    pub(crate) const fn charge(n: u32) -> u64 {
        (n as u64) << 32
    }

    /// The retired count `count` stands for in a run that began at `base`.
    pub(crate) fn retired(base: u64, count: u64) -> u64 {
        base.wrapping_add(Count::budget(count) as i64 as u64)
    }
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
