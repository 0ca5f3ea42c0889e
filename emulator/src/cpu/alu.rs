//! add or adc sbb and sub xor cmp test, inc dec not neg: results computed
//! here, flags recorded lazily (see flags.rs). A memory destination is
//! written before the flags are recorded, so a faulting store changes nothing.

use super::flags::{mask_of, sign_of, Flags, Lazy};
use super::op::{alu_op as A, unary_op as U, Kind, Op};
use super::state::{Exec, State};
use crate::mmu::Mmu;

/// A result and the flag state it will leave, not yet committed.
#[derive(Clone, Copy)]
pub struct Res {
    op: Lazy,
    cin: bool,
    sign: u32,
    a: u32,
    b: u32,
    pub r: u32,
}

impl Flags {
    #[inline(always)]
    pub fn commit(&mut self, x: Res) {
        self.set(x.op, x.sign, x.a, x.b, x.r);
        self.cin = x.cin;
    }
}

/// `a op b` at operand size `size`; `a` and `b` already masked. `cf` is
/// the carry in for adc/sbb.
#[inline(always)]
pub fn alu(sub: u8, size: u8, a: u32, b: u32, cf: bool) -> Res {
    let sign = sign_of(size);
    let mask = mask_of(size);
    let res = |op, r: u32| Res {
        op,
        cin: cf,
        sign,
        a,
        b,
        r: r & mask,
    };
    match sub {
        A::ADD => res(Lazy::Add, a.wrapping_add(b)),
        A::OR => res(Lazy::Logic, a | b),
        A::ADC => res(Lazy::Adc, a.wrapping_add(b).wrapping_add(cf as u32)),
        A::SBB => res(Lazy::Sbb, a.wrapping_sub(b).wrapping_sub(cf as u32)),
        A::AND | A::TEST => res(Lazy::Logic, a & b),
        A::XOR => res(Lazy::Logic, a ^ b),
        _ => res(Lazy::Sub, a.wrapping_sub(b)),
    }
}

/// inc dec not neg. `not` leaves the flags alone (`None`).
#[inline(always)]
pub fn unary(sub: u8, size: u8, a: u32, cf: bool) -> (u32, Option<Res>) {
    let sign = sign_of(size);
    let mask = mask_of(size);
    let res = |op, a, b, r: u32| {
        let r = r & mask;
        (
            r,
            Some(Res {
                op,
                cin: cf,
                sign,
                a,
                b,
                r,
            }),
        )
    };
    match sub {
        U::INC => res(Lazy::Inc, a, 1, a.wrapping_add(1)),
        U::DEC => res(Lazy::Dec, a, 1, a.wrapping_sub(1)),
        U::NOT => (!a & mask, None),
        // neg is 0 - a: CF = (a != 0), OF = (a == sign).
        _ => res(Lazy::Sub, 0, a, 0u32.wrapping_sub(a)),
    }
}

/// cmp and test only set flags.
#[inline(always)]
fn writes(sub: u8) -> bool {
    sub < A::CMP
}

/// adc and sbb read CF; computing it for the others would waste time.
#[inline(always)]
fn carry_in(f: &Flags, sub: u8) -> bool {
    (sub == A::ADC || sub == A::SBB) && f.cf()
}

impl State {
    #[inline(always)]
    pub(super) fn alu_rr(&mut self, op: &Op) {
        let a = self.get(op.size, op.r1);
        let b = self.get(op.size, op.r2);
        let x = alu(op.sub, op.size, a, b, carry_in(&self.f, op.sub));
        if writes(op.sub) {
            self.set(op.size, op.r1, x.r);
        }
        self.f.commit(x);
    }

    #[inline(always)]
    pub(super) fn alu_ri(&mut self, op: &Op) {
        let a = self.get(op.size, op.r1);
        let x = alu(op.sub, op.size, a, op.imm, carry_in(&self.f, op.sub));
        if writes(op.sub) {
            self.set(op.size, op.r1, x.r);
        }
        self.f.commit(x);
    }

    #[inline(always)]
    pub(super) fn alu_rm(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        let b = self.load(mmu, op.size, self.ea(&op.m))?;
        let a = self.get(op.size, op.r1);
        let x = alu(op.sub, op.size, a, b, carry_in(&self.f, op.sub));
        if writes(op.sub) {
            self.set(op.size, op.r1, x.r);
        }
        self.f.commit(x);
        Ok(())
    }

    /// Memory destination, register (AluMR) or immediate (AluMI) source.
    #[inline(always)]
    pub(super) fn alu_m(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        let addr = self.ea(&op.m);
        let a = self.load(mmu, op.size, addr)?;
        let b = if op.kind == Kind::AluMI {
            op.imm
        } else {
            self.get(op.size, op.r1)
        };
        let x = alu(op.sub, op.size, a, b, carry_in(&self.f, op.sub));
        if writes(op.sub) {
            self.store(mmu, op.size, addr, x.r)?;
        }
        self.f.commit(x);
        Ok(())
    }

    #[inline(always)]
    pub(super) fn unary_r(&mut self, op: &Op) {
        let a = self.get(op.size, op.r1);
        let (r, x) = unary(op.sub, op.size, a, op.sub <= U::DEC && self.f.cf());
        self.set(op.size, op.r1, r);
        if let Some(x) = x {
            self.f.commit(x);
        }
    }

    pub(super) fn unary_m(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        let addr = self.ea(&op.m);
        let a = self.load(mmu, op.size, addr)?;
        let (r, x) = unary(op.sub, op.size, a, op.sub <= U::DEC && self.f.cf());
        self.store(mmu, op.size, addr, r)?;
        if let Some(x) = x {
            self.f.commit(x);
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::eflags::*;
    use super::super::flags::*;
    use super::*;

    fn flags(sub: u8, size: u8, a: u32, b: u32, cf: bool) -> (u32, u32) {
        let x = alu(sub, size, a & mask_of(size), b & mask_of(size), cf);
        let mut f = Flags::new();
        f.commit(x);
        (x.r, f.status())
    }

    #[test]
    fn adc_and_sbb_use_carry() {
        assert_eq!(flags(A::ADC, 1, 0xff, 0, true), (0, CF | ZF | PF | AF));
        assert_eq!(flags(A::ADC, 4, 0x7fff_ffff, 0, true).1 & OF, OF);
        assert_eq!(flags(A::SBB, 1, 0, 0xff, true), (0, CF | ZF | PF | AF));
        assert_eq!(flags(A::SBB, 2, 5, 5, false), (0, ZF | PF));
    }

    #[test]
    fn logic_clears_cf_and_of() {
        assert_eq!(
            flags(A::XOR, 4, 0x8000_0000, 0, false),
            (0x8000_0000, SF | PF)
        );
        assert_eq!(flags(A::TEST, 1, 0x0f, 0xf0, false), (0, ZF | PF));
    }

    #[test]
    fn inc_keeps_carry_neg_sets_it() {
        let (r, x) = unary(U::INC, 1, 0xff, true);
        let mut f = Flags::new();
        f.commit(x.unwrap());
        assert_eq!((r, f.status()), (0, CF | ZF | PF | AF));
        let (r, x) = unary(U::NEG, 4, 0x8000_0000, false);
        f.commit(x.unwrap());
        assert_eq!((r, f.status()), (0x8000_0000, CF | OF | SF | PF));
        let (_, x) = unary(U::NEG, 4, 0, false);
        f.commit(x.unwrap());
        assert_eq!(f.status(), ZF | PF);
    }
}
