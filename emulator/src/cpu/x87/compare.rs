//! x87 comparisons: fcom/fcomp/fcompp, fucom/fucomp/fucompp, ficom/ficomp,
//! fcomi/fcomip/fucomi/fucomip (P6: straight into EFLAGS), ftst, fxam.

use super::arith::denormal;
use super::fpu::{sw, xop, F80};
use super::load_store::load_mem;
use crate::cpu::eflags::{AF, CF, OF, PF, SF, ZF};
use crate::cpu::op::Op;
use crate::cpu::state::{Exec, State};
use crate::mmu::Mmu;

/// The outcome of a comparison.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Order {
    Greater,
    Less,
    Equal,
    Unordered,
}

/// Compare `a` with `b`: the order and the exceptions. An ordered compare
/// (fcom) raises IE for any NaN, an unordered one (fucom) only for an SNaN.
pub(super) fn compare(a: F80, b: F80, unordered: bool) -> (Order, u16) {
    if a.is_unsupported() || b.is_unsupported() {
        return (Order::Unordered, sw::IE);
    }
    if a.is_nan() || b.is_nan() {
        let ie = !unordered || a.is_snan() || b.is_snan();
        return (Order::Unordered, if ie { sw::IE } else { 0 });
    }
    let de = denormal(&[a, b]);
    let (a, b) = (a.canonical(), b.canonical());
    // Quiet comparisons: no NaN is left, so they raise nothing.
    // SAFETY: pure functions on values.
    let (eq, lt) = unsafe {
        (
            softfloat_sys::extF80_eq(a.into(), b.into()),
            softfloat_sys::extF80_lt_quiet(a.into(), b.into()),
        )
    };
    let o = if eq {
        Order::Equal
    } else if lt {
        Order::Less
    } else {
        Order::Greater
    };
    (o, de)
}

/// An empty operand: a stack underflow, and the answer "unordered".
const STACK_UNDERFLOW: (Order, u16) = (Order::Unordered, sw::IE | sw::SF);

/// C3 C2 C0 for an order (SDM Vol. 1 Table 8-6).
fn order_cc(o: Order) -> u16 {
    match o {
        Order::Greater => 0,
        Order::Less => sw::C0,
        Order::Equal => sw::C3,
        Order::Unordered => sw::C3 | sw::C2 | sw::C0,
    }
}

impl State {
    pub(super) fn x87_compare(&mut self, mmu: &mut Mmu, op: &Op, ea: u32) -> Exec {
        match op.sub {
            xop::COM_M => {
                let m = load_mem(mmu, op.r2, ea)?;
                let (o, e) = match self.full(0) {
                    Some(a) => {
                        let (o, mut e) = compare(a, m.v, false);
                        if !a.is_nan() && !m.v.is_nan() && !a.is_unsupported() {
                            e |= m.de;
                        }
                        (o, e)
                    }
                    None => STACK_UNDERFLOW,
                };
                self.fcom_result(o, e, op.r1);
            }
            xop::COM_ST => {
                let (o, e) = match (self.full(0), self.full(op.r1)) {
                    (Some(a), Some(b)) => compare(a, b, op.r2 & 4 != 0),
                    _ => STACK_UNDERFLOW,
                };
                self.fcom_result(o, e, op.r2 & 3);
            }
            xop::COMI => {
                let (o, e) = match (self.full(0), self.full(op.r1)) {
                    (Some(a), Some(b)) => compare(a, b, op.r2 & 4 != 0),
                    _ => STACK_UNDERFLOW,
                };
                self.fpu.set_c1(false);
                // The flags are set even when the exception is unmasked
                // (as the host does); only the pop waits for a masked one.
                let stop = self.fpu.raise(e);
                let fl = match o {
                    Order::Greater => 0,
                    Order::Less => CF,
                    Order::Equal => ZF,
                    Order::Unordered => ZF | PF | CF,
                };
                self.f.put(ZF | PF | CF | OF | SF | AF, fl);
                if op.r2 & 1 != 0 && !stop {
                    self.fpu.pop();
                }
            }
            xop::TST => {
                let (o, e) = match self.full(0) {
                    Some(a) => compare(a, F80::ZERO, false),
                    None => STACK_UNDERFLOW,
                };
                self.fcom_result(o, e, 0);
            }
            xop::XAM => self.xam(),
            _ => unreachable!("x87 sub-op {} is not a comparison", op.sub),
        }
        Ok(())
    }

    /// ST(i) if it is full.
    fn full(&self, i: u8) -> Option<F80> {
        (!self.fpu.is_empty(i)).then(|| self.fpu.st(i))
    }

    /// Set C3 C2 C0 (C1 = 0) and pop `pops` times. The condition codes
    /// are set even for an unmasked exception (the host does so, though
    /// the SDM says they are not); the pops are not done then.
    fn fcom_result(&mut self, o: Order, e: u16, pops: u8) {
        let stop = self.fpu.raise(e);
        self.fpu
            .set_cc(sw::C3 | sw::C2 | sw::C0 | sw::C1, order_cc(o));
        if stop {
            return;
        }
        for _ in 0..pops {
            self.fpu.pop();
        }
    }

    /// fxam: the class of ST(0) in C3 C2 C0, its sign in C1 (Table 8-7 of
    /// the SDM's FXAM).
    fn xam(&mut self) {
        let v = self.fpu.regs[self.fpu.phys(0)];
        let class = if self.fpu.is_empty(0) {
            sw::C3 | sw::C0
        } else if v.is_unsupported() {
            0
        } else if v.is_nan() {
            sw::C0
        } else if v.is_inf() {
            sw::C2 | sw::C0
        } else if v.is_zero() {
            sw::C3
        } else if v.is_denormal() {
            sw::C3 | sw::C2
        } else {
            sw::C2
        };
        let c1 = if v.sign() { sw::C1 } else { 0 };
        self.fpu.set_cc(sw::CC, class | c1);
    }
}

#[cfg(test)]
mod tests {
    use super::super::sf;
    use super::*;

    #[test]
    fn orders() {
        let f = |x: f64| sf::from_f64(x.to_bits());
        assert_eq!(compare(f(1.0), f(2.0), false), (Order::Less, 0));
        assert_eq!(compare(f(0.0), f(-0.0), false), (Order::Equal, 0));
        assert_eq!(
            compare(f(f64::NAN), f(1.0), false),
            (Order::Unordered, sw::IE)
        );
        assert_eq!(compare(f(f64::NAN), f(1.0), true), (Order::Unordered, 0));
    }
}
