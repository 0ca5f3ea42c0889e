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
        let offset = if op.r2 == NOREG {
            op.imm
        } else {
            self.get(size, op.r2)
        };
        let bit = offset & (bits - 1);
        let addr = if op.kind == Kind::BtM {
            Some(self.ea(&op.m).wrapping_add(self.bit_string_words(op)))
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

    /// bt* m, r (the bit-string form): how far the operand the bit lies in
    /// is from the effective address, in bytes — whole operands before
    /// (negative offsets) or after it. 0 for every other instruction.
    pub(super) fn bit_string_words(&self, op: &Op) -> u32 {
        if op.base_kind() != Kind::BtM || op.r2 == NOREG {
            return 0;
        }
        let bits = op.size as u32 * 8;
        let words = (sext(op.size, self.get(op.size, op.r2)) as i32) >> bits.trailing_zeros();
        (words as u32).wrapping_mul(op.size as u32)
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
