//! What generated code and Rust share besides the `State` (whose
//! `JitRegs` hold the rest): the Rust side of a run (`Ctx`) and the safe
//! bodies of the call-outs (`native.rs` holds their `extern` entry
//! points).

use super::super::flags::{Flags, Lazy};
use super::super::op::{Op, WRITES};
use super::super::state::{Count, State, Stop};
use crate::mmu::Mmu;

/// The Rust side of a run, which only call-outs use (generated code holds
/// its address, `JitRegs::ctx`, and passes nothing else of it).
pub struct Ctx {
    pub(crate) mmu: *mut Mmu,
    /// Why it stopped.
    pub(crate) stop: Option<Stop>,
}

/// `native::access`, in safe Rust: the MMU does the access as the
/// interpreter's would, with the TLB's counters brought up to date first.
pub(super) fn access(
    s: &mut State,
    ctx: &mut Ctx,
    mmu: &mut Mmu,
    addr: u32,
    value: u32,
    kind: u32,
) -> u32 {
    use crate::addr::VirtAddr;
    let j = &mut s.jit;
    mmu.tlb_mut().absorb(Count::clock(j.count));
    let epoch = mmu.phys().code_epoch();
    let va = VirtAddr(addr);
    let r = match kind {
        1 => mmu.read_u8(va).map(|v| j.value = v as u32),
        2 => mmu.read_u16(va).map(|v| j.value = v as u32),
        4 => mmu.read_u32(va).map(|v| j.value = v),
        17 => mmu.write_u8(va, value as u8),
        18 => mmu.write_u16(va, value as u16),
        _ => mmu.write_u32(va, value),
    };
    j.count = Count::with_clock(j.count, mmu.tlb_mut().jit_clock());
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
pub(super) fn interp(s: &mut State, ctx: &mut Ctx, mmu: &mut Mmu, op: &Op) -> u32 {
    // The op may read the retired count (rdtsc): generated code gave back
    // the pass it is in, as the interpreter charges a block at its end.
    s.retired = Count::retired(s.jit.base, s.jit.count);
    mmu.tlb_mut().absorb(Count::clock(s.jit.count));
    let epoch = mmu.phys().code_epoch();
    let r = s.exec(mmu, op);
    s.jit.count = Count::with_clock(s.jit.count, mmu.tlb_mut().jit_clock());
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
