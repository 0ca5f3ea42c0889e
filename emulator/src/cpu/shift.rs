//! Shifts and rotates (Intel SDM Vol. 2B, SAL/SAR/SHL/SHR, RCL/RCR/ROL/ROR,
//! SHLD, SHRD). The count is masked to 5 bits; a masked count of 0 changes
//! no flags. Flags are computed eagerly (shifts are rare next to add/cmp).
//!
//! Where the SDM leaves a flag undefined we pick: OF by the count-1 formula
//! for every count, AF = 0 for shifts, CF = 0 when a shl/shr count reaches
//! past the operand (the last bit "shifted out" is a zero).

use super::data::sext;
use super::eflags::{CF, OF};
use super::flags::{mask_of, sign_of};
use super::op::{Kind, Op};
use super::state::{Exec, State, ECX};
use crate::mmu::Mmu;

/// A shift's result and flags: `status` None for rotates (which only set
/// CF and OF), else CF and OF with SF ZF PF from the result.
struct Shifted {
    r: u32,
    cf: bool,
    of: bool,
    rotate: bool,
}

/// Shift or rotate `a` (masked to `size`) by the masked count `n` (1..=31).
fn shift(kind: u8, size: u8, a: u32, n: u32, cf_in: bool) -> Shifted {
    let bits = size as u32 * 8;
    let mask = mask_of(size);
    let sign = sign_of(size);
    let msb = |v: u32| v & sign != 0;
    let wide = a as u64;
    match kind {
        0 => {
            // rol: CF = new LSB, OF = MSB xor CF.
            let k = n % bits;
            let r = ((a << k) | (a.checked_shr(bits - k).unwrap_or(0))) & mask;
            let cf = r & 1 != 0;
            Shifted {
                r,
                cf,
                of: msb(r) != cf,
                rotate: true,
            }
        }
        1 => {
            // ror: CF = new MSB, OF = the two top bits differ.
            let k = n % bits;
            let r = ((a >> k) | (a.checked_shl(bits - k).unwrap_or(0))) & mask;
            Shifted {
                r,
                cf: msb(r),
                of: msb(r) != msb(r << 1),
                rotate: true,
            }
        }
        2 | 3 => {
            // rcl/rcr rotate the (bits + 1)-bit value CF:a.
            let k = (n % (bits + 1)) as u64;
            let v = ((cf_in as u64) << bits) | wide;
            let m = (1u64 << (bits + 1)) - 1;
            let rot = if kind == 2 {
                ((v << k) | (v >> ((bits as u64 + 1 - k) % (bits as u64 + 1)))) & m
            } else {
                ((v >> k) | (v << ((bits as u64 + 1 - k) % (bits as u64 + 1)))) & m
            };
            let (r, cf) = ((rot as u32) & mask, (rot >> bits) & 1 != 0);
            let of = if kind == 2 {
                msb(r) != cf
            } else {
                msb(r) != msb(r << 1)
            };
            Shifted {
                r,
                cf,
                of,
                rotate: true,
            }
        }
        4 | 6 => {
            // shl/sal: CF = last bit out, OF = MSB xor CF.
            let r = ((wide << n) as u32) & mask;
            let cf = (wide << n) >> bits & 1 != 0;
            Shifted {
                r,
                cf,
                of: msb(r) != cf,
                rotate: false,
            }
        }
        5 => {
            // shr: OF = the original MSB.
            let r = (wide >> n) as u32;
            let cf = (wide >> (n - 1)) & 1 != 0;
            Shifted {
                r,
                cf,
                of: msb(a),
                rotate: false,
            }
        }
        _ => {
            // sar: OF = 0.
            let s = sext(size, a) as i32;
            let r = (s >> n.min(31)) as u32 & mask;
            let cf = (s >> (n - 1).min(31)) & 1 != 0;
            Shifted {
                r,
                cf,
                of: false,
                rotate: false,
            }
        }
    }
}

impl State {
    /// The count of a shift: CL or the immediate, masked to 5 bits.
    #[inline(always)]
    fn count(&self, op: &Op) -> u32 {
        let n = if op.sub & 8 != 0 { self.r[ECX] } else { op.imm };
        n & 0x1f
    }

    pub(super) fn shift(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        let is_mem = op.kind == Kind::ShiftM;
        let addr = self.ea(&op.m);
        let a = self.rm(mmu, op, is_mem)?;
        let n = self.count(op);
        if n == 0 {
            return Ok(());
        }
        let kind = op.sub & 7;
        let cf_in = kind & 6 == 2 && self.f.cf();
        let s = shift(kind, op.size, a, n, cf_in);
        if is_mem {
            self.store(mmu, op.size, addr, s.r)?;
        } else {
            self.set(op.size, op.r1, s.r);
        }
        if s.rotate {
            self.f.put(
                CF | OF,
                if s.cf { CF } else { 0 } | if s.of { OF } else { 0 },
            );
        } else {
            self.f.set_result(op.size, s.r, s.cf, s.of);
        }
        Ok(())
    }

    /// shld/shrd dest, src, count: shift `dest`, filling from `src`. For 16-bit
    /// operands a count above 16 is undefined; we shift through dest:src:dest
    /// as 48 bits, as Intel processors do.
    pub(super) fn shd(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        let size = op.size;
        let is_mem = op.kind == Kind::ShdM;
        let addr = self.ea(&op.m);
        let dest = if is_mem {
            self.load(mmu, size, addr)?
        } else {
            self.get(size, op.r2)
        };
        let src = self.get(size, op.r1);
        let n = self.count(op);
        if n == 0 {
            return Ok(());
        }
        let bits = size as u32 * 8;
        // dest:src:dest, so both directions fill from src first.
        let v = ((dest as u128) << (2 * bits)) | ((src as u128) << bits) | dest as u128;
        let (r, cf) = if op.sub & 1 == 0 {
            let w = v << n;
            ((w >> (2 * bits)) as u32, (w >> (3 * bits)) & 1 != 0)
        } else {
            ((v >> n) as u32, (v >> (n - 1)) & 1 != 0)
        };
        let r = r & mask_of(size);
        let of = (r ^ dest) & sign_of(size) != 0;
        if is_mem {
            self.store(mmu, size, addr, r)?;
        } else {
            self.set(size, op.r2, r);
        }
        self.f.set_result(size, r, cf, of);
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn shl_carry_and_overflow() {
        let s = shift(4, 1, 0x81, 1, false);
        assert_eq!((s.r, s.cf, s.of), (0x02, true, true));
        let s = shift(4, 4, 0x4000_0000, 1, false);
        assert_eq!((s.r, s.cf, s.of), (0x8000_0000, false, true));
    }

    #[test]
    fn sar_keeps_sign_shr_does_not() {
        assert_eq!(shift(7, 1, 0x80, 7, false).r, 0xff);
        assert_eq!(shift(5, 1, 0x80, 7, false).r, 0x01);
        assert!(shift(5, 4, 0x8000_0001, 1, false).cf);
    }

    #[test]
    fn rotates_through_carry() {
        // rcl al, 1 with CF=1: 0x80 -> 0x01, CF=1.
        let s = shift(2, 1, 0x80, 1, true);
        assert_eq!((s.r, s.cf), (0x01, true));
        // rcr eax, 1 with CF=1: 0x1 -> 0x80000000, CF=1.
        let s = shift(3, 4, 1, 1, true);
        assert_eq!((s.r, s.cf), (0x8000_0000, true));
        // rol al, 8 leaves the value, CF = LSB.
        let s = shift(0, 1, 0x81, 8, false);
        assert_eq!((s.r, s.cf), (0x81, true));
    }
}
