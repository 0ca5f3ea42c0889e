//! What generated code and Rust share: the context a translation runs
//! with (`Ctx`), the link cells, and the safe bodies of the call-outs
//! (`native.rs` holds their `extern` entry points).

use super::super::flags::{Flags, Lazy};
use super::super::op::{Op, WRITES};
use super::super::state::{State, Stop};
use crate::mmu::Mmu;

/// What generated code reads and writes besides the `State`: the modelled
/// TLB's hot index and clock, and what a call-out leaves for it. Generated
/// code knows these offsets (`emit.rs`), hence `repr(C)`.
#[repr(C)]
pub struct Ctx {
    pub(crate) hot: *mut u8,
    /// The TLB's clock: generated code keeps it in edx and stores it here
    /// for every call-out and at its exit (`Tlb::absorb` takes it back).
    pub(crate) clock: u32,
    /// A loaded value a call-out returns.
    pub(crate) value: u32,
    /// Generated code goes on into the next block (itself, or a linked
    /// one) only while that block's whole run keeps the retired count at
    /// most this: the budget's end, or 0 to leave at every block's end.
    pub(crate) end: u64,
    /// The op (index in its block) that stopped, for exit code 1, and the
    /// translation it is in (it may have been reached through links).
    pub(crate) stop_op: u32,
    pub(crate) stop_id: u32,
    /// The link cell of the exit taken, if it was not linked yet.
    pub(crate) exit_cell: u32,
    pub(crate) _pad: u32,
    pub(crate) mmu: *mut Mmu,
    /// Why it stopped (only Rust reads this).
    pub(crate) stop: Option<Stop>,
}

/// A direct exit of one translation to a block in the same page, which
/// generated code follows by a jump once the CPU has linked it: `entry` is
/// the target's `top` (0 until linked), `insns` what its block retires.
/// Only same-page targets get one: the two blocks live and die with one
/// decoded page, so a link never outlives its target.
#[repr(C)]
#[derive(Clone, Copy, Default)]
pub(crate) struct Cell {
    pub(crate) entry: u64,
    pub(crate) insns: u64,
}

/// `native::access`, in safe Rust: the MMU does the access as the
/// interpreter's would, with the TLB's counters brought up to date first.
pub(super) fn access(ctx: &mut Ctx, mmu: &mut Mmu, addr: u32, value: u32, kind: u32) -> u32 {
    use crate::addr::VirtAddr;
    mmu.tlb_mut().absorb(ctx.clock);
    let epoch = mmu.phys().code_epoch();
    let va = VirtAddr(addr);
    let r = match kind {
        1 => mmu.read_u8(va).map(|v| ctx.value = v as u32),
        2 => mmu.read_u16(va).map(|v| ctx.value = v as u32),
        4 => mmu.read_u32(va).map(|v| ctx.value = v),
        17 => mmu.write_u8(va, value as u8),
        18 => mmu.write_u16(va, value as u16),
        _ => mmu.write_u32(va, value),
    };
    ctx.clock = mmu.tlb().clock();
    match r {
        Err(pf) => {
            ctx.stop = Some(Stop::PageFault(pf));
            1
        }
        // The store took the MMU's slow path into a code frame.
        Ok(()) if mmu.phys().code_epoch() != epoch => 2,
        Ok(()) => 0,
    }
}

/// `native::interp`, in safe Rust: one op run by the interpreter.
pub(super) fn interp(ctx: &mut Ctx, s: &mut State, mmu: &mut Mmu, op: &Op) -> u32 {
    mmu.tlb_mut().absorb(ctx.clock);
    let epoch = mmu.phys().code_epoch();
    let r = s.exec(mmu, op);
    ctx.clock = mmu.tlb().clock();
    match r {
        Err(stop) => {
            ctx.stop = Some(stop);
            1
        }
        Ok(()) if op.flags & WRITES != 0 && mmu.phys().code_epoch() != epoch => 2,
        Ok(()) => 0,
    }
}

/// The guest's status flags as a host EFLAGS image for `popfq`.
pub(super) fn host_eflags(f: &Flags) -> u64 {
    (f.status() | 0x202) as u64
}

/// Lazy kinds generated code records, as bytes.
pub(crate) const fn lazy(l: Lazy) -> u8 {
    l as u8
}
