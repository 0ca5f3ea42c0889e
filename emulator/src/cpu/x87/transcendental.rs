//! The x87 transcendental instructions: fsin, fcos, fsincos, fptan,
//! fpatan, f2xm1, fyl2x and fyl2xp1.
//!
//! No IEEE library reproduces the microcode bit for bit, so each is
//! computed in SoftFloat's 113-bit quadruple precision (series after
//! argument reduction: the error before the last rounding is a few units
//! of 2^-112) and rounded once to 64 bits by the rounding control; the
//! last steps round to odd, so that is one rounding, and where a series'
//! correction terms vanish below 113 bits the result still lands on the
//! right side of its leading term (sin x < x, tan x > x for a tiny x...).
//! So the result is the correctly rounded value of the function, except
//! within about 2^-45 ulp of a rounding boundary.
//!
//! One deliberate departure from the true function: fsin, fcos, fsincos
//! and fptan reduce their argument modulo pi/2 as the hardware does, with
//! pi held to 66 bits (exactly: only that constant's error remains), so
//! large arguments give the hardware's answers rather than the true sines.
//! Arguments of 2^63 or more set C2 and are left alone, as on hardware.
//!
//! Against the host (tests/x87_oracle.rs, twelve 100,000-case runs) every
//! result but one is within 1 ulp of the host's (one fyl2xp1 at 2), and
//! the special cases (NaNs, infinities, zeros, stack faults, IE ZE DE, C2)
//! match bit for bit. An unmasked underflow's biased result comes from the
//! quadruple intermediate, which below about 2^-16430 has fewer bits than
//! rounding to 64 needs; those few results may differ more.

use super::arith::{denormal, propagate_nan, rounded, unmasked_range, Rounded, BIAS};
use super::fpu::{sw, xop, F80};
use super::sf::{self, Env, F128};
use crate::cpu::op::Op;
use crate::cpu::state::State;
use std::ops::{Add, Div, Mul, Neg, Sub};
use std::sync::OnceLock;

/// A quadruple-precision intermediate value.
#[derive(Clone, Copy, Debug)]
struct Q(F128);

impl Q {
    const fn bits(hi: u64, lo: u64) -> Q {
        Q(F128 { v: [lo, hi] })
    }
    fn from80(v: F80) -> Q {
        Q(sf::to_f128(v))
    }
    fn int(n: i64) -> Q {
        Q(sf::f128_from_i64(n))
    }
    fn sqrt(self) -> Q {
        // SAFETY: pure function on values.
        Q(unsafe { softfloat_sys::f128_sqrt(self.0) })
    }
    fn to80(self) -> F80 {
        sf::from_f128(self.0)
    }
    /// An unsigned 128-bit integer times 2^`e`, truncated to 113 bits.
    fn from_u128(w: u128, e: i32) -> Q {
        if w == 0 {
            return Q::bits(0, 0);
        }
        let lz = w.leading_zeros() as i32;
        let w = w << lz;
        let exp = (e + 127 - lz + 16383) as u64;
        let frac = (w << 1) >> 16; // 112 fraction bits, truncated
        Q::bits((exp << 48) | (frac >> 64) as u64, frac as u64)
    }
}

impl Add for Q {
    type Output = Q;
    fn add(self, b: Q) -> Q {
        Q(sf::f128_add(self.0, b.0))
    }
}
impl Sub for Q {
    type Output = Q;
    fn sub(self, b: Q) -> Q {
        Q(sf::f128_sub(self.0, b.0))
    }
}
impl Mul for Q {
    type Output = Q;
    fn mul(self, b: Q) -> Q {
        Q(sf::f128_mul(self.0, b.0))
    }
}
impl Div for Q {
    type Output = Q;
    fn div(self, b: Q) -> Q {
        Q(sf::f128_div(self.0, b.0))
    }
}
impl Neg for Q {
    type Output = Q;
    fn neg(self) -> Q {
        Q::bits(self.0.v[1] ^ (1 << 63), self.0.v[0])
    }
}

// Constants rounded to 113 bits (computed with exact integer arithmetic).
const PI: Q = Q::bits(0x4000_921f_b544_42d1, 0x8469_898c_c517_01b8);
const PI_2: Q = Q::bits(0x3fff_921f_b544_42d1, 0x8469_898c_c517_01b8);
const PI_4: Q = Q::bits(0x3ffe_921f_b544_42d1, 0x8469_898c_c517_01b8);
const LN2: Q = Q::bits(0x3ffe_62e4_2fef_a39e, 0xf357_93c7_6730_07e6);
const LOG2E: Q = Q::bits(0x3fff_7154_7652_b82f, 0xe177_7d0f_fda0_d23a);
const ONE: Q = Q::bits(0x3fff_0000_0000_0000, 0);
/// The neighbours of 1: a series whose correction terms all vanished at
/// 113 bits still says on which side of its leading term the value lies.
const ONE_MINUS: Q = Q::bits(0x3ffe_ffff_ffff_ffff, 0xffff_ffff_ffff_ffff);
const ONE_PLUS: Q = Q::bits(0x3fff_0000_0000_0000, 1);

impl PartialEq for Q {
    fn eq(&self, o: &Q) -> bool {
        self.0.v == o.0.v
    }
}

/// `f` rounding to odd (a later rounding to 64 bits is then as good as
/// one), keeping the rounding mode around it.
fn odd(f: impl FnOnce() -> Q) -> Q {
    // SAFETY: SoftFloat's thread-local rounding mode.
    let mode = unsafe { softfloat_sys::softfloat_roundingMode_read_helper() };
    unsafe { softfloat_sys::softfloat_roundingMode_write_helper(sf::ODD) };
    let q = f();
    unsafe { softfloat_sys::softfloat_roundingMode_write_helper(mode) };
    q
}

/// `s` if the series kept a correction, else the neighbour of 1 on the
/// side the dropped terms point to.
fn nudge(s: Q, up: bool) -> Q {
    match (s == ONE, up) {
        (false, _) => s,
        (true, true) => ONE_PLUS,
        (true, false) => ONE_MINUS,
    }
}

/// Series coefficients, computed once: 1/n! for n = 0..=34 and
/// 1/(2k+1) for k = 0..=30.
struct Coeffs {
    inv_fact: [Q; 35],
    inv_odd: [Q; 31],
}

fn coeffs() -> &'static Coeffs {
    static C: OnceLock<Coeffs> = OnceLock::new();
    C.get_or_init(|| {
        Env::from_cw(super::fpu::CW_INIT)
            .run(|| {
                let mut inv_fact = [ONE; 35];
                let mut f = ONE;
                for (n, c) in inv_fact.iter_mut().enumerate().skip(1) {
                    f = f * Q::int(n as i64);
                    *c = ONE / f;
                }
                let mut inv_odd = [ONE; 31];
                for (k, c) in inv_odd.iter_mut().enumerate() {
                    *c = ONE / Q::int(2 * k as i64 + 1);
                }
                Coeffs { inv_fact, inv_odd }
            })
            .0
    })
}

/// sin(r) for |r| <= pi/4: r (1 - r^2/3! + r^4/5! - ...).
fn sin_poly(r: Q) -> Q {
    let c = coeffs();
    let z = r * r;
    let mut s = Q::bits(0, 0);
    for k in (0..16).rev() {
        let t = if k % 2 == 0 {
            c.inv_fact[2 * k + 1]
        } else {
            -c.inv_fact[2 * k + 1]
        };
        s = s * z + t;
    }
    odd(|| nudge(s, false) * r)
}

/// cos(r) for |r| <= pi/4.
fn cos_poly(r: Q) -> Q {
    let c = coeffs();
    let z = r * r;
    let mut s = Q::bits(0, 0);
    for k in (1..17).rev() {
        let t = if k % 2 == 0 {
            c.inv_fact[2 * k]
        } else {
            -c.inv_fact[2 * k]
        };
        s = s * z + t;
    }
    // The last step rounds to odd: cos r is never exactly a 64-bit number.
    let s = odd(|| s * z + ONE);
    if r == Q::bits(0, 0) {
        s
    } else {
        nudge(s, false)
    }
}

/// atan(t) for 0 <= t <= 1: three argument halvings
/// (atan t = 2 atan(t / (1 + sqrt(1 + t^2)))), then the series.
fn atan_poly(t: Q) -> Q {
    let c = coeffs();
    if t.0.v[1] >> 48 < 16383 - 60 {
        // atan t = t (1 - t^2/3 ...): below 2^-60 only the side is left.
        return odd(|| ONE_MINUS * t);
    }
    let mut t = t;
    for _ in 0..3 {
        t = t / (ONE + (ONE + t * t).sqrt());
    }
    let z = t * t;
    let mut s = Q::bits(0, 0);
    for k in (0..22).rev() {
        let v = if k % 2 == 0 {
            c.inv_odd[k]
        } else {
            -c.inv_odd[k]
        };
        s = s * z + v;
    }
    odd(|| s * t) * Q::int(8)
}

/// 2 atanh(s) = ln((1+s)/(1-s)) for |s| <= 0.18.
fn atanh2(s: Q) -> Q {
    let c = coeffs();
    let z = s * s;
    let mut a = Q::bits(0, 0);
    for k in (0..28).rev() {
        a = a * z + c.inv_odd[k];
    }
    let a = nudge(a, true);
    odd(|| a * s) * Q::int(2)
}

/// e^y - 1 for |y| <= 0.7: y (1 + y/2! + y^2/3! + ...).
fn expm1_poly(y: Q) -> Q {
    let c = coeffs();
    let mut s = Q::bits(0, 0);
    for n in (1..35).rev() {
        s = s * y + c.inv_fact[n];
    }
    let s = nudge(s, y.0.v[1] >> 63 == 0);
    odd(|| s * y)
}

/// log2(x) for finite x > 0.
fn log2(x: F80) -> Q {
    let (m, mut e) = x.norm();
    // The significand in [sqrt(1/2), sqrt(2)).
    let mut mant = F80 { m, se: 0x3fff };
    if m > 0xb504_f333_f9de_6484 {
        mant.se = 0x3ffe;
        e += 1;
    }
    let mq = Q::from80(mant);
    let ln = atanh2((mq - ONE) / (mq + ONE));
    Q::int(e as i64) + ln * LOG2E
}

/// pi/2 as the x87 holds it for argument reduction: 66 bits, truncated
/// (`PI_2_66 * 2^-65`). Intel documents this 66-bit pi; the host (AMD
/// here) reduces with the same one, as the differential test shows.
const PI_2_66: u128 = 0xc90f_daa2_2168_c234_c4c6_628b_80dc_1cd1 >> 62;

/// Reduce a finite x with 1/2 <= |x| < 2^63 modulo the 66-bit pi/2,
/// exactly: |x| = k * PI_2_66 + r with |r| <= PI_2_66 / 2 (r exact, so
/// only the constant's own error remains, as on the hardware).
fn reduce(x: F80) -> (u64, Q) {
    let (m, e) = x.norm();
    // |x| * 2^65 = m * 2^(e + 2), an integer below 2^128 for e <= 62.
    let n = (m as u128) << (e + 2);
    let mut k = n / PI_2_66;
    let mut rem = n % PI_2_66;
    let mut neg = false;
    if 2 * rem > PI_2_66 || (2 * rem == PI_2_66 && k & 1 == 1) {
        k += 1;
        rem = PI_2_66 - rem;
        neg = true;
    }
    let r = Q::from_u128(rem, -65);
    (k as u64, if neg { -r } else { r })
}

/// sin and cos of a finite x with |x| < 2^63.
fn sin_cos(x: F80) -> (Q, Q) {
    let (k, r) = if x.exp() < 16383 - 1 {
        (0, Q::from80(x.abs().canonical()))
    } else {
        reduce(x)
    };
    let (s, c) = (sin_poly(r), cos_poly(r));
    let (s, c) = match k & 3 {
        0 => (s, c),
        1 => (c, -s),
        2 => (-s, -c),
        _ => (-c, s),
    };
    if x.sign() {
        (-s, c)
    } else {
        (s, c)
    }
}

/// Round a quadruple result to 64 bits by the rounding control, with the
/// exceptions and C1 of that rounding; DE from the operands.
fn finish(env: Env, q: Q, ops: &[F80]) -> Rounded {
    let mut r = rounded(env.full(), || q.to80());
    r.exc |= denormal(ops);
    // An unmasked underflow delivers the tiny result with its exponent
    // biased: scaling the quadruple value is exact.
    let redo = |k: i32| {
        Some(rounded(env.full(), || {
            (q * pow2(k / 2) * pow2(k - k / 2)).to80()
        }))
    };
    unmasked_range(env.masks, r, redo)
}

/// 2^k as a quadruple (|k| <= 16383).
fn pow2(k: i32) -> Q {
    Q::bits(((k + 16383) as u64) << 48, 0)
}

/// `a * b` rounded once to 64 bits: the product is taken to 113 bits
/// rounding to odd, so its second rounding is as good as one (and a
/// product below the quadruple range still rounds away from zero when
/// the rounding control says so).
fn finish_mul(env: Env, a: Q, b: Q, ops: &[F80]) -> Rounded {
    let (p, fl) = env.with_mode(sf::ODD).run(|| a * b);
    if fl & sf::OVERFLOW != 0 {
        // Beyond the quadruple range is beyond the extended one: let
        // SoftFloat overflow a product of the right sign by the rounding
        // control (infinity or the largest finite value, OE and PE).
        let big = F80 {
            se: 0x7ffe,
            m: 1 << 63,
        };
        let neg = p.0.v[1] >> 63 == 1;
        if env.masks & sw::OE == 0 {
            // Unmasked: the product with its exponent biased down.
            let h = pow2(-BIAS / 2);
            let p = env.with_mode(sf::ODD).run(|| (a * h) * (b * h)).0;
            let mut r = rounded(env.full(), || p.to80());
            r.exc = (r.exc & sw::PE) | sw::OE | denormal(ops);
            return r;
        }
        let mut r = rounded(env.full(), || sf::mul(big.with_sign(neg), big));
        r.exc |= denormal(ops);
        return r;
    }
    finish(env, p, ops)
}

fn exact(v: F80, ops: &[F80]) -> Rounded {
    Rounded {
        v,
        exc: denormal(ops),
        up: false,
    }
}

fn invalid() -> Rounded {
    Rounded {
        v: F80::INDEFINITE,
        exc: sw::IE,
        up: false,
    }
}

/// A one-operand NaN result: the NaN quieted, IE for an SNaN.
fn nan1(a: F80) -> Rounded {
    Rounded {
        v: a.quiet(),
        exc: if a.is_snan() { sw::IE } else { 0 },
        up: false,
    }
}

/// What fsin/fcos/fsincos/fptan do with an argument that has no numeric
/// result: NaN, infinity, unsupported.
fn trig_special(a: F80) -> Option<Rounded> {
    if a.is_unsupported() || a.is_inf() {
        Some(invalid())
    } else if a.is_nan() {
        Some(nan1(a))
    } else {
        None
    }
}

/// |x| >= 2^63: C2 set and the operand left alone.
fn out_of_range(a: F80) -> bool {
    a.exp() >= 16383 + 63
}

/// fpatan: atan(y / x) with the quadrant from the signs (SDM FPATAN table).
fn patan(env: Env, y: F80, x: F80) -> Rounded {
    if y.is_unsupported() || x.is_unsupported() {
        return invalid();
    }
    if y.is_nan() || x.is_nan() {
        return propagate_nan(y, x);
    }
    let ops = [y, x];
    let sgn = |q: Q| if y.sign() { -q } else { q };
    let q = if y.is_zero() {
        if x.sign() {
            sgn(PI)
        } else {
            return exact(F80::zero(y.sign()), &ops);
        }
    } else if y.is_inf() {
        if x.is_inf() {
            if x.sign() {
                sgn(PI_4 * Q::int(3))
            } else {
                sgn(PI_4)
            }
        } else {
            sgn(PI_2)
        }
    } else if x.is_zero() {
        sgn(PI_2)
    } else if x.is_inf() {
        if x.sign() {
            sgn(PI)
        } else {
            return exact(F80::zero(y.sign()), &ops);
        }
    } else {
        let (qy, qx) = (
            Q::from80(y.abs().canonical()),
            Q::from80(x.abs().canonical()),
        );
        let swap = cmp_gt(y, x);
        let a = if swap {
            PI_2 - atan_poly(qx / qy)
        } else {
            atan_poly(odd(|| qy / qx))
        };
        let a = if x.sign() { PI - a } else { a };
        sgn(a)
    };
    finish(env, q, &ops)
}

/// |y| > |x| for finite values.
fn cmp_gt(y: F80, x: F80) -> bool {
    let (a, b) = (y.abs().canonical(), x.abs().canonical());
    (a.exp(), a.m) > (b.exp(), b.m)
}

/// f2xm1: 2^x - 1 (defined for |x| <= 1).
fn f2xm1(env: Env, x: F80) -> Rounded {
    if x.is_unsupported() {
        return invalid();
    }
    if x.is_nan() {
        return nan1(x);
    }
    if x.is_zero() {
        return exact(x, &[x]);
    }
    if x.is_inf() {
        let v = if x.sign() { F80::ONE.chs() } else { x };
        return exact(v, &[x]);
    }
    // Beyond |x| = 1 the SDM leaves the result undefined; the host leaves
    // the operand as it was and reports it inexact.
    if x.exp() >= 16383 && x.abs() != F80::ONE {
        return Rounded {
            v: x,
            exc: sw::PE | denormal(&[x]),
            up: false,
        };
    }
    let xq = Q::from80(x.canonical());
    finish(env, expm1_poly(xq * LN2), &[x])
}

/// fyl2x (`p1` false): y * log2(x); fyl2xp1: y * log2(x + 1).
fn yl2x(env: Env, y: F80, x: F80, p1: bool) -> Rounded {
    if y.is_unsupported() || x.is_unsupported() {
        return invalid();
    }
    if y.is_nan() || x.is_nan() {
        return propagate_nan(x, y);
    }
    let ops = [y, x];
    let (y, x) = (y.canonical(), x.canonical());
    if p1 {
        // log2(1 + x): x = 0 gives a zero of x's sign.
        if x.is_zero() {
            if y.is_inf() {
                return invalid();
            }
            return exact(F80::zero(x.sign() != y.sign()), &ops);
        }
        if x.is_inf() {
            if x.sign() || y.is_zero() {
                return invalid();
            }
            return exact(F80::inf(y.sign()), &ops);
        }
        let xq = Q::from80(x);
        if x.exp() < 16383 - 1000 && !y.is_inf() {
            // ln(1 + x) = x (1 - x/2 ...): x and the side of the rest;
            // multiply y by x first, so no intermediate falls into the
            // quadruple denormals (which hold fewer bits than x has).
            let side = if x.sign() { ONE_PLUS } else { ONE_MINUS };
            let yx = odd(|| odd(|| Q::from80(y) * xq) * side);
            return finish_mul(env, yx, LOG2E, &ops);
        }
        let l = if x.exp() < 16383 - 2 {
            // |x| < 1/4: ln(1 + x) = 2 atanh(x / (2 + x)).
            atanh2(xq / (Q::int(2) + xq)) * LOG2E
        } else {
            let s = xq + ONE;
            if s.0.v[1] >> 63 == 1 || s.0.v == [0, 0] {
                // x <= -1, far outside the defined range: the host gives
                // back x, inexact (or -y for an infinite or zero y).
                if y.is_inf() {
                    return exact(y.chs(), &ops);
                }
                if y.is_zero() {
                    return exact(y.chs(), &ops);
                }
                return Rounded {
                    v: x,
                    exc: sw::PE | denormal(&ops),
                    up: false,
                };
            }
            log2(s.to80())
        };
        if y.is_inf() {
            let neg = y.sign() != (l.0.v[1] >> 63 == 1);
            return exact(F80::inf(neg), &ops);
        }
        return finish_mul(env, Q::from80(y), l, &ops);
    }
    if x.sign() && !x.is_zero() {
        return invalid();
    }
    if x.is_zero() {
        if y.is_zero() {
            return invalid();
        }
        let r = exact(F80::inf(!y.sign()), &ops);
        return if y.is_inf() {
            r
        } else {
            Rounded { exc: sw::ZE, ..r }
        };
    }
    if x.is_inf() {
        if y.is_zero() {
            return invalid();
        }
        return exact(F80::inf(y.sign()), &ops);
    }
    let one = x == F80::ONE;
    if y.is_inf() {
        if one {
            return invalid();
        }
        let below = x.exp() < 0x3fff;
        return exact(F80::inf(y.sign() != below), &ops);
    }
    if one || y.is_zero() {
        let below = x.exp() < 0x3fff;
        return exact(F80::zero(y.sign() != (below && !one)), &ops);
    }
    finish_mul(env, Q::from80(y), log2(x), &ops)
}

impl State {
    pub(super) fn x87_transcendental(&mut self, op: &Op) {
        let env = self.fpu.env();
        let series = Env::from_cw(super::fpu::CW_INIT);
        match op.sub {
            xop::SIN | xop::COS => {
                let Some([a]) = self.operands([0], 0, false) else {
                    return;
                };
                if let Some(r) = trig_special(a) {
                    return self.trig_deliver(r, None);
                }
                if out_of_range(a) {
                    self.fpu.set_cc(sw::C2, sw::C2);
                    return;
                }
                if a.is_zero() && op.sub == xop::SIN {
                    return self.trig_deliver(exact(a, &[a]), None);
                }
                let (s, c) = series.run(|| sin_cos(a)).0;
                let q = if op.sub == xop::SIN { s } else { c };
                self.trig_deliver(finish(env, q, &[a]), None);
            }
            xop::SINCOS | xop::PTAN => {
                let Some([a]) = self.operands([0], 0, false) else {
                    // A masked underflow pushes the indefinite too.
                    if self.fpu.cw & sw::IE != 0 && self.fpu.is_empty(7) {
                        self.fpu.push(F80::INDEFINITE);
                    }
                    return;
                };
                if !self.fpu.is_empty(7) {
                    if self.fpu.overflow() {
                        self.fpu.set_st(0, F80::INDEFINITE);
                        self.fpu.push(F80::INDEFINITE);
                    }
                    return;
                }
                if let Some(r) = trig_special(a) {
                    let second = r.clone_v();
                    return self.trig_deliver(r, Some(second));
                }
                if out_of_range(a) {
                    self.fpu.set_cc(sw::C2, sw::C2);
                    return;
                }
                let (s, c) = series.run(|| sin_cos(a)).0;
                if op.sub == xop::SINCOS {
                    let rs = if a.is_zero() {
                        exact(a, &[a])
                    } else {
                        finish(env, s, &[a])
                    };
                    let rc = finish(env, c, &[a]);
                    // ST(0) = sin, then cos pushed; C1 from the cosine.
                    self.trig_deliver_two(rs, rc);
                } else {
                    let t = if a.is_zero() {
                        exact(a, &[a])
                    } else if a.exp() < 16383 - 60 {
                        // tan x = x (1 + x^2/3 ...): x and the side of the rest.
                        let x = Q::from80(a.canonical());
                        finish(env, series.run(|| odd(|| x * ONE_PLUS)).0, &[a])
                    } else {
                        finish(env, series.run(|| odd(|| s / c)).0, &[a])
                    };
                    self.trig_deliver_two(t, exact(F80::ONE, &[]));
                }
            }
            xop::PATAN | xop::YL2X | xop::YL2XP1 => {
                let Some([x, y]) = self.operands([0, 1], 1, true) else {
                    return;
                };
                let r = match op.sub {
                    xop::PATAN => series.run(|| patan(env, y, x)).0,
                    xop::YL2X => series.run(|| yl2x(env, y, x, false)).0,
                    _ => series.run(|| yl2x(env, y, x, true)).0,
                };
                self.deliver(1, r, true);
            }
            xop::F2XM1 => {
                let Some([a]) = self.operands([0], 0, false) else {
                    return;
                };
                let r = series.run(|| f2xm1(env, a)).0;
                self.deliver(0, r, false);
            }
            _ => unreachable!("x87 sub-op {} is not transcendental", op.sub),
        }
    }

    /// Deliver a one-result trigonometric result (C2 cleared).
    fn trig_deliver(&mut self, r: Rounded, push: Option<F80>) {
        if r.exc & !self.fpu.cw & (sw::IE | sw::DE | sw::ZE) != 0 {
            self.fpu.raise(r.exc);
            return;
        }
        self.fpu.set_cc(sw::C2, 0);
        self.deliver(0, r, false);
        if let Some(v) = push {
            self.fpu.push(v);
        }
    }

    /// ST(0) = `first`, then push `second`; C2 cleared.
    fn trig_deliver_two(&mut self, first: Rounded, second: Rounded) {
        let exc = first.exc | second.exc;
        if exc & !self.fpu.cw & (sw::IE | sw::DE | sw::ZE) != 0 {
            self.fpu.raise(exc);
            return;
        }
        self.fpu.set_cc(sw::C2, 0);
        let up = second.up && second.exc & sw::PE != 0;
        self.fpu.raise(exc);
        self.fpu.set_st(0, first.v);
        self.fpu.push(second.v);
        self.fpu.set_c1(up);
    }
}

impl Rounded {
    fn clone_v(&self) -> F80 {
        self.v
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn f(x: f64) -> F80 {
        Q(unsafe { softfloat_sys::f64_to_f128(softfloat_sys::float64_t { v: x.to_bits() }) }).to80()
    }
    fn d(x: F80) -> f64 {
        f64::from_bits(sf::to_f64(x))
    }
    fn env() -> Env {
        Env::from_cw(super::super::fpu::CW_INIT)
    }

    #[test]
    fn trig_agrees_with_the_host_libm_to_double_precision() {
        for &x in &[0.5, 1.0, 2.0, 3.0, 10.0, 100.0, -7.25, 1e-5] {
            let (s, c) = env().run(|| sin_cos(f(x))).0;
            assert!(
                (d(s.to80()) - x.sin()).abs() <= 1e-15 * x.sin().abs().max(1e-300),
                "sin {x}"
            );
            assert!((d(c.to80()) - x.cos()).abs() <= 1e-15, "cos {x}");
        }
    }

    /// Large arguments are reduced with the 66-bit pi, as the hardware
    /// does: fsin(-2142) on the host gives 0x3ffe_8b4e_e9a3_f3fb_a318; the
    /// exactly reduced value would end in ...a2ee.
    #[test]
    fn reduction_uses_the_66_bit_pi() {
        let x = F80 {
            se: 0xc00a,
            m: 0x85c0_0000_0000_0000,
        };
        let (s, _) = env().run(|| sin_cos(x)).0;
        let v = s.to80();
        assert_eq!(v.se, 0x3ffe);
        assert!(v.m.abs_diff(0x8b4e_e9a3_f3fb_a318) <= 1, "{:#x}", v.m);
    }

    #[test]
    fn logs_exps_and_atan() {
        let r = env().run(|| yl2x(env(), f(3.0), f(8.0), false)).0;
        assert_eq!(d(r.v), 9.0);
        let r = env().run(|| f2xm1(env(), f(0.5))).0;
        assert!((d(r.v) - 0.414_213_562_373_095_05).abs() < 1e-17); // sqrt(2) - 1
        let r = env().run(|| patan(env(), f(1.0), f(1.0))).0;
        assert!((d(r.v) - std::f64::consts::FRAC_PI_4).abs() < 1e-16);
        let r = env().run(|| patan(env(), f(1.0), f(-1.0))).0;
        assert!((d(r.v) - 3.0 * std::f64::consts::FRAC_PI_4).abs() < 1e-15);
        let r = env().run(|| yl2x(env(), f(1.0), f(1e-10), true)).0;
        assert!((d(r.v) - (1e-10 - 5e-21) / std::f64::consts::LN_2).abs() < 1e-24);
    }
}
