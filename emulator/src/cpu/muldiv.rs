//! mul imul div idiv (Intel SDM Vol. 2A/2B): products and quotients are
//! computed in 64 bits, then checked. A divide by zero or a quotient that
//! does not fit raises #DE before anything is written.
//!
//! Flags: mul/imul set CF = OF = "the high half is significant"; SF ZF PF
//! are undefined there and we set them from the low half, AF = 0. After
//! div/idiv every status flag is undefined: we leave them unchanged.

use super::data::sext;
use super::flags::mask_of;
use super::op::{Kind, Op};
use super::state::{Exec, State, Stop, EAX, EDX};
use crate::addr::VirtAddr;
use crate::mmu::Mmu;
use crate::trap::Trap;

impl State {
    /// The one-operand forms: /4 mul, /5 imul, /6 div, /7 idiv, on
    /// AL/AX/EAX with AH/DX/EDX as the high half.
    pub(super) fn muldiv(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        let size = op.size;
        let src = self.rm(mmu, op, op.kind == Kind::MulDivM)?;
        let bits = size as u32 * 8;
        let mask = mask_of(size) as u64;
        let acc = self.get(size, EAX as u8) as u64;
        // The double-width dividend: AX, DX:AX or EDX:EAX.
        let wide = match size {
            1 => self.r[EAX] as u64 & 0xffff,
            _ => ((self.get(size, EDX as u8) as u64) << bits) | acc,
        };
        let (lo, hi) = match op.sub {
            4 => {
                let p = acc * src as u64;
                let (lo, hi) = (p & mask, (p >> bits) & mask);
                self.f.set_result(size, lo as u32, hi != 0, hi != 0);
                (lo, hi)
            }
            5 => {
                let p = (sext(size, acc as u32) as i32 as i64) * (sext(size, src) as i32 as i64);
                let lo = p as u64 & mask;
                let fits = sext(size, lo as u32) as i32 as i64 == p;
                self.f.set_result(size, lo as u32, !fits, !fits);
                (lo, (p >> bits) as u64 & mask)
            }
            6 => {
                if src == 0 || wide / src as u64 > mask {
                    return Err(self.divide_error(op));
                }
                (wide / src as u64, wide % src as u64)
            }
            _ => {
                let n = match size {
                    1 => wide as u16 as i16 as i64,
                    2 => wide as u32 as i32 as i64,
                    _ => wide as i64,
                };
                let d = sext(size, src) as i32 as i64;
                let q = n.checked_div(d).ok_or_else(|| self.divide_error(op))?;
                let half = 1i64 << (bits - 1);
                if q < -half || q >= half {
                    return Err(self.divide_error(op));
                }
                (q as u64 & mask, (n % d) as u64 & mask)
            }
        };
        // Results: AL/AH for bytes, else (E)AX and (E)DX.
        if size == 1 {
            self.set(2, EAX as u8, (hi << 8 | lo) as u32);
        } else {
            self.set(size, EAX as u8, lo as u32);
            self.set(size, EDX as u8, hi as u32);
        }
        Ok(())
    }

    #[cold]
    fn divide_error(&self, op: &Op) -> Stop {
        Stop::Trap(Trap::DivideError {
            eip: VirtAddr(self.eip.wrapping_sub(op.len as u32)),
        })
    }

    /// imul r, r/m and imul r, r/m, imm: a truncated signed product.
    pub(super) fn imul_n(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        let size = op.size;
        let b = match op.kind {
            Kind::Imul2RR | Kind::Imul3R => self.get(size, op.r2),
            _ => self.load(mmu, size, self.ea(&op.m))?,
        };
        let a = match op.kind {
            Kind::Imul2RR | Kind::Imul2RM => self.get(size, op.r1),
            _ => op.imm,
        };
        let p = (sext(size, a) as i32 as i64) * (sext(size, b) as i32 as i64);
        let lo = p as u32 & mask_of(size);
        let fits = sext(size, lo) as i32 as i64 == p;
        self.f.set_result(size, lo, !fits, !fits);
        self.set(size, op.r1, lo);
        Ok(())
    }
}
