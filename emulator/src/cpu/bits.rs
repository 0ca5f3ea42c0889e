//! Bit tests and scans: bt bts btr btc, bsf bsr (Intel SDM Vol. 2A).
//!
//! bt* set CF only (OF SF AF PF are undefined; we keep them). With a
//! register bit offset and a memory operand, the offset is signed and may
//! address any bit of memory relative to the operand ("bit string" form).
//! bsf/bsr set ZF when the source is zero and then leave the destination
//! unchanged, as processors do; the other flags are undefined and kept.

use super::data::sext;
use super::eflags::{CF, ZF};
use super::op::{Kind, Op, NOREG};
use super::state::{Exec, State};
use crate::mmu::Mmu;

impl State {
    pub(super) fn bt(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        let size = op.size;
        let bits = size as u32 * 8;
        let (offset, from_reg) = if op.r2 == NOREG {
            (op.imm, false)
        } else {
            (self.get(size, op.r2), true)
        };
        let bit = offset & (bits - 1);
        let addr = if op.kind == Kind::BtM {
            let mut a = self.ea(&op.m);
            if from_reg {
                // Whole operands before (negative) or after the addressed one.
                let words = (sext(size, offset) as i32) >> bits.trailing_zeros();
                a = a.wrapping_add((words as u32).wrapping_mul(size as u32));
            }
            Some(a)
        } else {
            None
        };
        let v = match addr {
            Some(a) => self.load(mmu, size, a)?,
            None => self.get(size, op.r1),
        };
        let old = (v >> bit) & 1 != 0;
        let new = match op.sub {
            1 => v | (1 << bit),
            2 => v & !(1 << bit),
            3 => v ^ (1 << bit),
            _ => v,
        };
        if op.sub != 0 {
            match addr {
                Some(a) => self.store(mmu, size, a, new)?,
                None => self.set(size, op.r1, new),
            }
        }
        self.f.put_bit(CF, old);
        Ok(())
    }

    pub(super) fn bsf_bsr(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        let size = op.size;
        let v = match op.kind {
            Kind::BsfM | Kind::BsrM => self.load(mmu, size, self.ea(&op.m))?,
            _ => self.get(size, op.r2),
        };
        if v == 0 {
            self.f.put_bit(ZF, true);
            return Ok(());
        }
        let index = match op.kind {
            Kind::BsfR | Kind::BsfM => v.trailing_zeros(),
            _ => 31 - v.leading_zeros(),
        };
        self.set(size, op.r1, index);
        self.f.put_bit(ZF, false);
        Ok(())
    }
}
