//! Memory operands off the hot path, as wrappers chosen at decode time: an
//! op with 16-bit addressing (`Kind::Addr16`) or one through FS or GS
//! (`Kind::SegCheck`) runs here first, then as its own kind (`Op::inner`).
//! `State::ea`, which every other memory instruction uses, never sees
//! either case.
//!
//! 16-bit addressing (SDM Vol. 2A §2.1.5, Table 2-1; Vol. 1 §3.7.5): the
//! offset is `disp + base + index` with base BX or BP and index SI or DI,
//! truncated to 16 bits (so it wraps within 64 KiB); BP-based forms default
//! to SS, which is flat here like DS. The wrapper computes the offset and
//! gives the inner op a plain displacement in its place.
//!
//! FS and GS (SDM Vol. 3A §5.3, limit checking; §3.4.3): an access through
//! a null selector, outside the limit, or writing a read-only segment is
//! #GP before anything is read or written.

use super::op::{Kind, Mem, Op, NOREG, SEG_WRITE};
use super::state::{Exec, State, Stop, ESP};
use crate::addr::VirtAddr;
use crate::mmu::Mmu;
use crate::trap::Trap;

impl State {
    /// `Kind::Addr16`.
    #[inline(never)]
    pub(super) fn addr16(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        let m = &op.m;
        let offset = m
            .disp
            .wrapping_add(self.r[m.base as usize])
            .wrapping_add(self.r[m.index as usize])
            & 0xffff;
        let mut inner = *op;
        inner.kind = op.inner;
        let base = self.seg_base[(m.seg & 3) as usize];
        inner.m = Mem {
            base: NOREG,
            index: NOREG,
            scale: 0,
            seg: 0,
            disp: offset,
        };
        // A bit string's operand moves by whole words from the offset, and
        // the sum wraps at 16 bits too: give the inner bt a displacement
        // that lands there after it adds its word offset.
        let words = self.bit_string_words(op);
        let at = offset.wrapping_add(words) & 0xffff;
        inner.m.disp = at.wrapping_sub(words).wrapping_add(base);
        if m.seg & 3 != 0 {
            self.check_fs_gs(op, at)?;
        }
        self.exec_inner(mmu, &inner)
    }

    /// `Kind::SegCheck`: 32-bit addressing through FS or GS.
    #[inline(never)]
    pub(super) fn seg_check(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        let m = &op.m;
        let mut offset = m
            .disp
            .wrapping_add(self.r[m.base as usize])
            .wrapping_add(self.r[m.index as usize] << (m.scale & 3));
        offset = offset.wrapping_add(self.bit_string_words(op));
        if op.inner == Kind::PopM && m.base as usize == ESP {
            // pop computes its destination with ESP already incremented.
            offset = offset.wrapping_add(op.size as u32);
        }
        self.check_fs_gs(op, offset)?;
        // The op itself runs flat, with the segment's base in its
        // displacement (State::ea adds no base).
        let mut inner = *op;
        inner.kind = op.inner;
        inner.m.disp = m.disp.wrapping_add(self.seg_base[(m.seg & 3) as usize]);
        inner.m.seg = 0;
        inner.m.scale &= 3;
        self.exec_inner(mmu, &inner)
    }

    /// #GP unless `op`'s access at `offset` through FS or GS is allowed.
    pub(super) fn check_fs_gs(&self, op: &Op, offset: u32) -> Result<(), Stop> {
        let h = &self.seg.fs_gs[(op.m.seg & 3) as usize - 1];
        if h.allows(offset, op.m.width(), op.m.seg & SEG_WRITE != 0) {
            Ok(())
        } else {
            Err(self.gp(op))
        }
    }

    /// #GP for the instruction `op` (EIP is already past it).
    #[cold]
    pub(super) fn gp(&self, op: &Op) -> Stop {
        Stop::Trap(Trap::GeneralProtection {
            eip: VirtAddr(self.eip.wrapping_sub(op.len as u32)),
        })
    }
}
