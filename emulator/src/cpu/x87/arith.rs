//! x87 arithmetic: the four operations in all their forms, fsqrt, frndint,
//! fscale, fprem/fprem1, fxtract, fchs and fabs (Intel SDM Vol. 2 for each;
//! Vol. 1 §8.5 for the exceptions).

use super::fpu::{aop, sw, xop, F80};
use super::load_store::load_mem;
use super::sf::{self, x87_flags, Env};
use crate::cpu::op::Op;
use crate::cpu::state::{Exec, State};
use crate::mmu::Mmu;

/// A rounded result, the exceptions it raised, and C1: whether rounding
/// increased the magnitude (SDM Vol. 1 §8.1.3.1), found by doing the
/// operation again rounding toward zero when it was inexact.
pub(super) struct Rounded {
    pub v: F80,
    pub exc: u16,
    pub up: bool,
}

pub(super) fn rounded(env: Env, f: impl Fn() -> F80) -> Rounded {
    let (v, fl) = env.run(&f);
    let mut up = false;
    if fl & sf::INEXACT != 0 {
        let (t, _) = env.chop().run(&f);
        up = (v.exp(), v.m) != (t.exp(), t.m);
    }
    Rounded {
        v,
        exc: x87_flags(fl),
        up,
    }
}

/// A result for an invalid operation: the indefinite, IE.
fn invalid() -> Rounded {
    Rounded {
        v: F80::INDEFINITE,
        exc: sw::IE,
        up: false,
    }
}

/// DE when an operand is denormal and no operand is a NaN (a NaN operand
/// takes precedence over the denormal-operand exception, §8.5).
pub(super) fn denormal(ops: &[F80]) -> u16 {
    if ops.iter().any(|v| v.is_nan()) || !ops.iter().any(|v| v.is_denormal()) {
        0
    } else {
        sw::DE
    }
}

/// The result of a two-operand operation with a NaN operand, by the x87
/// rules (SDM Vol. 1 Table 4-7): a QNaN beats an SNaN; of two NaNs of the
/// same kind the larger significand wins (on a tie, the positive one);
/// an SNaN is quieted and raises IE.
pub(super) fn propagate_nan(a: F80, b: F80) -> Rounded {
    let ie = if a.is_snan() || b.is_snan() {
        sw::IE
    } else {
        0
    };
    let v = match (a.is_nan(), b.is_nan()) {
        (true, false) => a,
        (false, true) => b,
        _ if a.is_snan() != b.is_snan() => {
            if a.is_snan() {
                b
            } else {
                a
            }
        }
        _ if a.m != b.m => {
            if a.m > b.m {
                a
            } else {
                b
            }
        }
        _ => {
            if a.se < b.se {
                a
            } else {
                b
            }
        }
    };
    Rounded {
        v: v.quiet(),
        exc: ie,
        up: false,
    }
}

/// Add DE for denormal operands, unless the operation was invalid or a
/// division by zero: those take precedence (SDM Vol. 1 §4.9.2).
pub(super) fn with_denormal(mut r: Rounded, ops: &[F80]) -> Rounded {
    if r.exc & (sw::IE | sw::ZE) == 0 {
        r.exc |= denormal(ops);
    }
    r
}

/// The exponent bias an unmasked overflow (-) or underflow (+) adds to
/// the result it still delivers (SDM Vol. 1 §4.9.1.4-5).
pub(super) const BIAS: i32 = 24576;

/// `v * 2^k` exactly, when that is in range.
fn scale2(v: F80, k: i32) -> Option<F80> {
    if v.is_zero() {
        return Some(v);
    }
    let (m, e) = v.norm();
    F80::pack(v.sign(), m, e + k)
}

/// `dest op src` for an `aop`, rounded as if the exponent were unbounded
/// and then multiplied by 2^`k` (k = +-BIAS): what an unmasked underflow
/// or overflow delivers. The scaling is split between the operands so
/// each stays in range; `None` if that is impossible.
pub(super) fn binop_scaled(env: Env, op: u8, dest: F80, src: F80, k: i32) -> Option<Rounded> {
    let (a, b) = match op {
        aop::SUBR | aop::DIVR => (src, dest),
        _ => (dest, src),
    };
    let (a, b) = (a.canonical(), b.canonical());
    let (ka, kb) = match op {
        aop::ADD | aop::SUB | aop::SUBR => (k, k),
        aop::MUL => (k / 2, k - k / 2),
        _ => (k / 2, -(k - k / 2)),
    };
    let (sa, sb) = (scale2(a, ka)?, scale2(b, kb)?);
    let f = match op {
        aop::ADD => sf::add,
        aop::MUL => sf::mul,
        aop::SUB | aop::SUBR => sf::sub,
        _ => sf::div,
    };
    Some(rounded(env, || f(sa, sb)))
}

/// An unmasked underflow or overflow: the result with its exponent
/// biased, UE or OE (and PE if inexact), as the FPU delivers it before
/// the handler runs. `redo(k)` recomputes the result scaled by 2^k; `r`
/// is the ordinary result. Underflow is signalled for a tiny result even
/// when exact (unmasked, §4.9.1.5). Returns `r` when neither applies.
pub(super) fn unmasked_range(
    cw: u16,
    r: Rounded,
    redo: impl Fn(i32) -> Option<Rounded>,
) -> Rounded {
    let keep = r.exc & (sw::DE | sw::IE | sw::ZE);
    let neg = r.v.sign();
    if cw & sw::OE == 0 && r.exc & sw::OE != 0 {
        if let Some(mut s) = redo(-BIAS) {
            if s.exc & sw::OE != 0 {
                // Too large even for the bias: infinity (fscale can).
                return Rounded {
                    v: F80::inf(neg),
                    exc: keep | sw::OE | sw::PE,
                    up: true,
                };
            }
            s.exc = keep | sw::OE | (s.exc & sw::PE);
            return s;
        }
    }
    let maybe_tiny =
        r.v.is_denormal() || r.exc & sw::UE != 0 || (r.v.is_zero() && r.exc & sw::PE != 0);
    if cw & sw::UE == 0 && maybe_tiny && r.exc & (sw::IE | sw::ZE) == 0 {
        if let Some(mut s) = redo(BIAS) {
            if s.v.exp() == 0 {
                // Too small even for the bias: zero (fscale can).
                return Rounded {
                    v: F80::zero(neg),
                    exc: keep | sw::UE | sw::PE,
                    up: false,
                };
            }
            // Tiny after rounding: below 2^-16382 before the bias.
            if (s.v.exp() as i32) < 1 + BIAS {
                s.exc = keep | sw::UE | (s.exc & sw::PE);
                return s;
            }
        }
    }
    r
}

/// `dest op src` for an `aop`.
pub(super) fn binop(env: Env, op: u8, dest: F80, src: F80) -> Rounded {
    let (a, b) = match op {
        aop::SUBR | aop::DIVR => (src, dest),
        _ => (dest, src),
    };
    if a.is_unsupported() || b.is_unsupported() {
        return invalid();
    }
    if a.is_nan() || b.is_nan() {
        return propagate_nan(a, b);
    }
    let f = match op {
        aop::ADD => sf::add,
        aop::MUL => sf::mul,
        aop::SUB | aop::SUBR => sf::sub,
        _ => sf::div,
    };
    let (ca, cb) = (a.canonical(), b.canonical());
    with_denormal(rounded(env, || f(ca, cb)), &[a, b])
}

impl State {
    pub(super) fn x87_arith(&mut self, mmu: &mut Mmu, op: &Op, ea: u32) -> Exec {
        // The memory operand first: a fault changes nothing.
        let mem = if op.sub == xop::ARITH_M {
            Some(load_mem(mmu, op.r2, ea)?)
        } else {
            None
        };
        let env = self.fpu.env();
        match op.sub {
            xop::ARITH_M | xop::ARITH_ST0 | xop::ARITH_STI | xop::ARITH_STP => {
                let pop = op.sub == xop::ARITH_STP;
                let (dst, src, o) = match op.sub {
                    xop::ARITH_M => (0, 0, op.r1),
                    xop::ARITH_ST0 => (0, op.r1, op.r2),
                    _ => (op.r1, 0, op.r2),
                };
                let Some([d, s]) = self.operands([dst, src], dst, pop) else {
                    return Ok(());
                };
                let (s, de) = match mem {
                    Some(m) => (m.v, m.de),
                    None => (s, 0),
                };
                let mut r = binop(env, o, d, s);
                if r.exc & (sw::IE | sw::ZE) == 0
                    && !d.is_unsupported()
                    && !d.is_nan()
                    && !s.is_nan()
                {
                    r.exc |= de;
                }
                if r.exc & (sw::IE | sw::ZE) == 0 && !d.is_nan() && !s.is_nan() {
                    r = unmasked_range(self.fpu.cw, r, |k| binop_scaled(env, o, d, s, k));
                }
                self.deliver(dst, r, pop);
            }
            xop::SQRT | xop::RNDINT => {
                let Some([a]) = self.operands([0], 0, false) else {
                    return Ok(());
                };
                let r = if a.is_unsupported() {
                    invalid()
                } else if op.sub == xop::SQRT {
                    let a = a.canonical();
                    rounded(env, || sf::sqrt(a))
                } else {
                    // C1 from comparing with the value chopped toward zero.
                    let a = a.canonical();
                    let (v, fl) = env.full().run(|| sf::round_to_int(a, env.mode));
                    let t = sf::round_to_int(a, 1);
                    let up = fl & sf::INEXACT != 0 && (v.exp(), v.m) != (t.exp(), t.m);
                    Rounded {
                        v,
                        exc: x87_flags(fl),
                        up,
                    }
                };
                self.deliver(0, with_denormal(r, &[a]), false);
            }
            xop::SCALE => {
                let Some([a, b]) = self.operands([0, 1], 0, false) else {
                    return Ok(());
                };
                let r = scale(env.full(), a, b, 0);
                let r = unmasked_range(self.fpu.cw, r, |k| Some(scale(env.full(), a, b, k)));
                self.deliver(0, r, false);
            }
            xop::PREM | xop::PREM1 => self.prem(op.sub == xop::PREM1),
            xop::XTRACT => self.xtract(),
            xop::CHS | xop::ABS => {
                if let Some([a]) = self.operands([0], 0, false) {
                    let v = if op.sub == xop::CHS { a.chs() } else { a.abs() };
                    self.fpu.set_st(0, v);
                    self.fpu.set_c1(false);
                }
            }
            _ => unreachable!("x87 sub-op {} is not arithmetic", op.sub),
        }
        Ok(())
    }

    /// The registers an instruction reads; if one is empty, a stack
    /// underflow: masked, the destination `dst` gets the indefinite (and
    /// the stack pops if the instruction pops); either way `None`.
    pub(super) fn operands<const N: usize>(
        &mut self,
        regs: [u8; N],
        dst: u8,
        pop: bool,
    ) -> Option<[F80; N]> {
        if regs.iter().all(|&i| !self.fpu.is_empty(i)) {
            return Some(regs.map(|i| self.fpu.st(i)));
        }
        if self.fpu.underflow() {
            self.fpu.set_st(dst, F80::INDEFINITE);
            if pop {
                self.fpu.pop();
            }
        }
        None
    }

    /// Write a rounded result to ST(i) (unless an unmasked IE, DE or ZE
    /// forbids it), set C1 and pop if asked.
    pub(super) fn deliver(&mut self, i: u8, r: Rounded, pop: bool) {
        let up = r.up && r.exc & sw::PE != 0;
        if self.fpu.raise(r.exc) {
            return;
        }
        self.fpu.set_st(i, r.v);
        self.fpu.set_c1(up);
        if pop {
            self.fpu.pop();
        }
    }

    /// fprem / fprem1: ST(0) = partial remainder of ST(0) / ST(1).
    fn prem(&mut self, ieee: bool) {
        let Some([a, b]) = self.operands([0, 1], 0, false) else {
            return;
        };
        let (mut v, mut exc, cc) = remainder(a, b, ieee);
        // A denormal remainder is exact, but an unmasked underflow still
        // reports it, with the exponent biased.
        if v.is_denormal() && self.fpu.cw & sw::UE == 0 && exc & sw::IE == 0 {
            let (m, e) = v.norm();
            v = F80::pack(v.sign(), m, e + BIAS).expect("in range");
            exc |= sw::UE;
        }
        if self.fpu.raise(exc) {
            return;
        }
        self.fpu.set_st(0, v);
        self.fpu.set_cc(sw::CC, cc);
    }

    /// fxtract: ST(0) = exponent, then push the significand.
    fn xtract(&mut self) {
        // A stack fault (ST(0) empty, or ST(7) full for the push), when
        // masked, leaves the indefinite in both.
        let fault = if self.fpu.is_empty(0) {
            Some(self.fpu.underflow())
        } else if !self.fpu.is_empty(7) {
            Some(self.fpu.overflow())
        } else {
            None
        };
        if let Some(masked) = fault {
            if masked {
                self.fpu.set_st(0, F80::INDEFINITE);
                self.fpu.push(F80::INDEFINITE);
            }
            return;
        }
        let a = self.fpu.st(0);
        let (exp, sig, exc) = if a.is_unsupported() {
            (F80::INDEFINITE, F80::INDEFINITE, sw::IE)
        } else if a.is_nan() {
            let e = if a.is_snan() { sw::IE } else { 0 };
            (a.quiet(), a.quiet(), e)
        } else if a.is_zero() {
            (F80::inf(true), a, sw::ZE)
        } else if a.is_inf() {
            (F80::inf(false), a, 0)
        } else {
            let (m, e) = a.norm();
            let exp = sf::from_i32(e);
            let sig = F80 { m, se: 0x3fff }.with_sign(a.sign());
            (exp, sig, denormal(&[a]))
        };
        if self.fpu.raise(exc) {
            return;
        }
        self.fpu.set_st(0, exp);
        self.fpu.push(sig);
        self.fpu.set_c1(false);
    }
}

/// fscale: `a * 2^(trunc(b) + bias)` (SDM Vol. 2 FSCALE; `bias` is 0
/// but for an unmasked overflow or underflow).
pub(super) fn scale(env: Env, a: F80, b: F80, bias: i32) -> Rounded {
    if a.is_unsupported() || b.is_unsupported() {
        return invalid();
    }
    if a.is_nan() || b.is_nan() {
        return propagate_nan(a, b);
    }
    let exact = |v: F80| Rounded {
        v,
        exc: denormal(&[a, b]),
        up: false,
    };
    if b.is_inf() {
        return match (a.is_zero(), a.is_inf(), b.sign()) {
            (true, _, false) | (_, true, true) => invalid(),
            (true, _, true) => exact(a),
            (_, true, false) => exact(a),
            (false, false, false) => exact(F80::inf(a.sign())),
            (false, false, true) => exact(F80::zero(a.sign())),
        };
    }
    if a.is_zero() || a.is_inf() {
        return exact(a);
    }
    // trunc(b) as an integer, saturated far beyond any exponent.
    let n = if b.exp() >= 16383 + 20 {
        if b.sign() {
            -(1 << 20)
        } else {
            1 << 20
        }
    } else {
        sf::to_i32(b, 1)
    };
    let (m, e) = a.norm();
    let t = e + n + bias;
    if let Some(v) = F80::pack(a.sign(), m, t) {
        return exact(v);
    }
    // Out of range: one SoftFloat multiply by a power of two does the
    // single rounding (with overflow or tininess and their flags).
    let (t, p) = if t > 0 {
        (t.min(16600), 16383)
    } else {
        (t.max(-16700), -16382)
    };
    let x = F80::pack(a.sign(), m, t - p).expect("in range");
    let pow = F80 {
        m: 1 << 63,
        se: (p + 16383) as u16,
    };
    let mut r = rounded(env, || sf::mul(x, pow));
    r.exc |= denormal(&[a, b]);
    r
}

/// Partial remainder (fprem: quotient chopped; fprem1: rounded to
/// nearest even): the value, the exceptions, and C0-C3 (C2 set when the
/// reduction is incomplete; else C0 C3 C1 = quotient bits 2 1 0).
pub(super) fn remainder(a: F80, b: F80, ieee: bool) -> (F80, u16, u16) {
    if a.is_unsupported() || b.is_unsupported() {
        return (F80::INDEFINITE, sw::IE, 0);
    }
    if a.is_nan() || b.is_nan() {
        let r = propagate_nan(a, b);
        return (r.v, r.exc, 0);
    }
    if a.is_inf() || b.is_zero() {
        return (F80::INDEFINITE, sw::IE, 0);
    }
    let de = denormal(&[a, b]);
    let a = a.canonical();
    if b.is_inf() || a.is_zero() {
        return (a, de, 0);
    }
    let (ma, ea) = a.norm();
    let (mb, eb) = b.norm();
    let d = ea - eb;
    let neg = a.sign();
    if d < 0 {
        // |a| < |b|: the quotient is 0, or 1 for fprem1 past |b|/2.
        if ieee && d == -1 && ma > mb {
            // |b| - |a| = (2 mb - ma) * 2^(ea - 63), which fits in u128.
            let r = 2 * mb as u128 - ma as u128;
            let v = pack_wide(!neg, r, ea);
            return (v, de, quotient_cc(1));
        }
        return (a, de, 0);
    }
    let (shift, base, partial) = if d >= 64 {
        (32 + (d % 32), ea - (32 + (d % 32)), true)
    } else {
        (d, eb, false)
    };
    let num = (ma as u128) << shift;
    let mut q = num / mb as u128;
    let mut r = num % mb as u128;
    let mut neg_r = neg;
    if ieee && !partial && (2 * r > mb as u128 || (2 * r == mb as u128 && q & 1 == 1)) {
        q += 1;
        r = mb as u128 - r;
        neg_r = !neg;
    }
    let v = pack_wide(neg_r, r, base);
    if partial {
        (v, de, sw::C2)
    } else {
        (v, de, quotient_cc(q as u64))
    }
}

/// C0 C3 C1 from the low three bits of a quotient.
fn quotient_cc(q: u64) -> u16 {
    let mut c = 0;
    if q & 4 != 0 {
        c |= sw::C0;
    }
    if q & 2 != 0 {
        c |= sw::C3;
    }
    if q & 1 != 0 {
        c |= sw::C1;
    }
    c
}

/// `r * 2^(e - 63)` for an exact remainder (at most 65 bits); zero keeps
/// the sign given.
fn pack_wide(neg: bool, r: u128, e: i32) -> F80 {
    let extra = (128 - r.leading_zeros() as i32 - 64).max(0);
    let v = F80::pack(neg, (r >> extra) as u64, e + extra);
    v.expect("a remainder is exact")
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(x: f64) -> F80 {
        sf::from_f64(x.to_bits())
    }
    fn to(x: F80) -> f64 {
        f64::from_bits(sf::to_f64(x))
    }

    #[test]
    fn remainders() {
        let (v, e, cc) = remainder(f(7.0), f(2.0), false);
        assert_eq!((to(v), e, cc), (1.0, 0, sw::C3 | sw::C1)); // q = 3
        let (v, _, cc) = remainder(f(7.0), f(2.0), true);
        assert_eq!((to(v), cc), (-1.0, sw::C0)); // q = 4
        let (v, _, _) = remainder(f(-5.5), f(2.0), false);
        assert_eq!(to(v), -1.5);
        let (_, e, _) = remainder(f(1.0), f(0.0), false);
        assert_eq!(e, sw::IE);
        let (_, _, cc) = remainder(f(1e300), f(3.0), false);
        assert_eq!(cc & sw::C2, sw::C2);
        let (v, _, cc) = remainder(f(0.75), f(1.0), true);
        assert_eq!((to(v), cc), (-0.25, sw::C1));
    }

    #[test]
    fn scale_in_and_out_of_range() {
        let env = Env::from_cw(super::super::fpu::CW_INIT);
        assert_eq!(to(scale(env, f(3.0), f(2.9), 0).v), 12.0);
        let r = scale(env, f(1.0), f(20000.0), 0);
        assert!(r.v.is_inf() && r.exc == sw::OE | sw::PE);
        let r = scale(env, f(1.5), f(-16445.0), 0);
        assert_eq!(r.v, F80 { se: 0, m: 2 }); // 1.5 * 2^-16445 rounds to even
        assert_eq!(r.exc, sw::UE | sw::PE);
    }
}
