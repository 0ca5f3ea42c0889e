//! x87 loads and stores: fld/fild/fbld and the constants, fst/fstp/fist/
//! fistp/fbstp, register moves (fld st(i), fst st(i), fxch, fcmovcc) and
//! the stack-pointer instructions (ffree, fincstp, fdecstp).

use super::fpu::{fmt, sw, xop, F80};
use super::mem::{read_bytes, store_bytes};
use super::sf::{self, x87_flags, Env};
use crate::cpu::op::Op;
use crate::cpu::state::{Exec, State, Stop};
use crate::mmu::Mmu;

const J: u64 = 1 << 63;

/// A memory operand read and widened to 80 bits: exactly, keeping an SNaN
/// signalling, with a note of whether the source was a denormal (which
/// the conversion normalises).
#[derive(Clone, Copy, Debug)]
pub(super) struct MemVal {
    pub v: F80,
    /// DE when the source was a single or double denormal.
    pub de: u16,
}

/// Exact widening of a single (`bits` with `eb` exponent bits and `fb`
/// fraction bits) to extended.
fn widen(bits: u64, eb: u32, fb: u32) -> MemVal {
    let neg = bits >> (eb + fb) & 1 != 0;
    let e = (bits >> fb) & ((1 << eb) - 1);
    let f = bits & ((1 << fb) - 1);
    let bias = (1i32 << (eb - 1)) - 1;
    let (v, de) = if e == (1 << eb) - 1 {
        let m = J | (f << (63 - fb));
        (F80 { m, se: 0x7fff }.with_sign(neg), 0)
    } else if e == 0 {
        if f == 0 {
            (F80::zero(neg), 0)
        } else {
            let v = F80::pack(neg, f, 1 - bias - fb as i32 + 63).expect("exact");
            (v, sw::DE)
        }
    } else {
        let se = (e as i32 - bias + 16383) as u16;
        (
            F80 {
                m: J | (f << (63 - fb)),
                se,
            }
            .with_sign(neg),
            0,
        )
    };
    MemVal { v, de }
}

pub(super) fn widen_f32(bits: u32) -> MemVal {
    widen(bits as u64, 8, 23)
}
pub(super) fn widen_f64(bits: u64) -> MemVal {
    widen(bits, 11, 52)
}

/// Packed BCD (18 digits, sign in bit 79) to an integer; invalid digits
/// give whatever the arithmetic makes of them (undefined in the SDM).
fn bcd_to_i64(b: [u8; 10]) -> (i64, bool) {
    let mut v: i64 = 0;
    for i in (0..9).rev() {
        v = v * 100 + (b[i] >> 4) as i64 * 10 + (b[i] & 15) as i64;
    }
    (v, b[9] & 0x80 != 0)
}

/// Read and widen a memory operand of format `f` at `ea`.
pub(super) fn load_mem(mmu: &mut Mmu, f: u8, ea: u32) -> Result<MemVal, Stop> {
    let exact = |v: F80| MemVal { v, de: 0 };
    Ok(match f {
        fmt::F32 => widen_f32(u32::from_le_bytes(read_bytes::<4>(mmu, ea)?)),
        fmt::F64 => widen_f64(u64::from_le_bytes(read_bytes::<8>(mmu, ea)?)),
        fmt::F80 => exact(F80::from_bytes(read_bytes::<10>(mmu, ea)?)),
        fmt::I16 => exact(sf::from_i32(
            i16::from_le_bytes(read_bytes::<2>(mmu, ea)?) as i32
        )),
        fmt::I32 => exact(sf::from_i32(i32::from_le_bytes(read_bytes::<4>(mmu, ea)?))),
        fmt::I64 => exact(sf::from_i64(i64::from_le_bytes(read_bytes::<8>(mmu, ea)?))),
        _ => {
            let (v, neg) = bcd_to_i64(read_bytes::<10>(mmu, ea)?);
            exact(sf::from_i64(v).with_sign(neg))
        }
    })
}

/// The constants of fld1 fldl2t fldl2e fldpi fldlg2 fldln2 fldz, as 128-bit
/// significands (bit 127 the integer bit) and unbiased exponents; rounded
/// to 64 bits by the rounding control (as the 486 and later do).
const CONSTS: [(u128, i32); 7] = [
    (1 << 127, 0),
    (0xd49a_784b_cd1b_8afe_492b_f6ff_4daf_db4c, 1),
    (0xb8aa_3b29_5c17_f0bb_be87_fed0_691d_3e88, 0),
    (0xc90f_daa2_2168_c234_c4c6_628b_80dc_1cd1, 1),
    (0x9a20_9a84_fbcf_f798_8f89_59ac_0b7c_9178, -2),
    (0xb172_17f7_d1cf_79ab_c9e3_b398_03f2_f6af, -1),
    (0, 0),
];

fn constant(k: u8, env: Env) -> F80 {
    let (m, e) = CONSTS[k as usize];
    if m == 0 {
        return F80::ZERO;
    }
    let hi = (m >> 64) as u64;
    let lo = m as u64;
    // Positive constants: rounding up (or to nearest past half) adds one.
    let up = match env.mode {
        0 => lo > 1 << 63 || (lo == 1 << 63 && hi & 1 == 1),
        3 => lo != 0,
        _ => false,
    };
    if up {
        // No constant's significand is all ones, so no carry out.
        F80 {
            m: hi + 1,
            se: (e + 16383) as u16,
        }
    } else {
        F80 {
            m: hi,
            se: (e + 16383) as u16,
        }
    }
}

/// A value converted for a store: the bytes, how many, the exceptions
/// and C1 (rounded up).
struct Stored {
    bytes: [u8; 10],
    len: u32,
    exc: u16,
    up: bool,
}

fn store_form(v: F80, f: u8, env: Env) -> Stored {
    let mut bytes = [0u8; 10];
    let raw = v;
    let v = if f == fmt::F80 { v } else { v.canonical() };
    let full = env.full();
    let int_up = |a: i64, t: i64| a.unsigned_abs() != t.unsigned_abs();
    let (len, exc, up) = match f {
        fmt::F80 => {
            bytes = raw.to_bytes();
            (10, 0, false)
        }
        fmt::F32 | fmt::F64 if v.is_unsupported() => {
            let b: u64 = if f == fmt::F32 {
                0xffc0_0000
            } else {
                0xfff8_0000_0000_0000
            };
            bytes[..8].copy_from_slice(&b.to_le_bytes());
            (if f == fmt::F32 { 4 } else { 8 }, sw::IE, false)
        }
        fmt::F32 => {
            let (b, fl) = full.run(|| sf::to_f32(v));
            let up = fl & sf::INEXACT != 0 && {
                let (t, _) = full.chop().run(|| sf::to_f32(v));
                t & 0x7fff_ffff != b & 0x7fff_ffff
            };
            bytes[..4].copy_from_slice(&b.to_le_bytes());
            (4, x87_flags(fl), up)
        }
        fmt::F64 => {
            let (b, fl) = full.run(|| sf::to_f64(v));
            let up = fl & sf::INEXACT != 0 && {
                let (t, _) = full.chop().run(|| sf::to_f64(v));
                t << 1 != b << 1
            };
            bytes[..8].copy_from_slice(&b.to_le_bytes());
            (8, x87_flags(fl), up)
        }
        fmt::I16 | fmt::I32 | fmt::I64 | fmt::BCD => {
            let (n, fl) = if v.is_unsupported() {
                (i64::MIN, sf::INVALID)
            } else {
                full.run(|| sf::to_i64(v, env.mode))
            };
            let (lo, hi, len, indef): (i64, i64, u32, i64) = match f {
                fmt::I16 => (i16::MIN as i64, i16::MAX as i64, 2, i16::MIN as i64),
                fmt::I32 => (i32::MIN as i64, i32::MAX as i64, 4, i32::MIN as i64),
                fmt::I64 => (i64::MIN, i64::MAX, 8, i64::MIN),
                _ => (-999_999_999_999_999_999, 999_999_999_999_999_999, 10, 0),
            };
            if fl & sf::INVALID != 0 || n < lo || n > hi {
                if f == fmt::BCD {
                    // The packed BCD indefinite.
                    bytes[7] = 0xc0;
                    bytes[8] = 0xff;
                    bytes[9] = 0xff;
                } else {
                    bytes[..8].copy_from_slice(&indef.to_le_bytes());
                }
                (len, sw::IE, false)
            } else {
                let up = fl & sf::INEXACT != 0 && {
                    let (t, _) = full.run(|| sf::to_i64(v, 1));
                    int_up(n, t)
                };
                if f == fmt::BCD {
                    let mut a = n.unsigned_abs();
                    for b in bytes.iter_mut().take(9) {
                        *b = ((a % 10) | ((a / 10 % 10) << 4)) as u8;
                        a /= 100;
                    }
                    bytes[9] = if v.sign() { 0x80 } else { 0 };
                } else {
                    bytes[..8].copy_from_slice(&n.to_le_bytes());
                }
                (len, x87_flags(fl), up)
            }
        }
        _ => unreachable!("x87 memory format {f}"),
    };
    Stored {
        bytes,
        len,
        exc,
        up,
    }
}

/// Whether a single or double store's result is tiny (a denormal, or a
/// zero from a nonzero value): an unmasked underflow then.
fn tiny_store(s: &Stored, f: u8, v: F80) -> bool {
    if v.is_zero() || v.exp() == 0x7fff || v.is_unsupported() {
        return false;
    }
    let bits = u64::from_le_bytes(s.bytes[..8].try_into().unwrap());
    let exp = if f == fmt::F32 {
        (bits >> 23) & 0xff
    } else {
        (bits >> 52) & 0x7ff
    };
    exp == 0
}

impl State {
    pub(super) fn x87_load_store(&mut self, mmu: &mut Mmu, op: &Op, ea: u32) -> Exec {
        let env = self.fpu.env();
        match op.sub {
            xop::LD_M => {
                let mv = load_mem(mmu, op.r2, ea)?;
                let mut v = mv.v;
                let mut exc = mv.de;
                if op.r2 <= fmt::F64 && v.is_snan() {
                    exc |= sw::IE;
                    v = v.quiet();
                }
                if exc == sw::DE && self.fpu.cw & sw::DE == 0 && self.fpu.is_empty(7) {
                    // An unmasked denormal operand still loads (as the
                    // host does); the exception waits for the next one.
                    self.fpu.push(v);
                    self.fpu.set_c1(false);
                    self.fpu.raise(sw::DE);
                    return Ok(());
                }
                self.push_value(v, exc);
            }
            xop::LD_ST => {
                let v = if self.fpu.is_empty(op.r1) {
                    if !self.fpu.underflow() {
                        return Ok(());
                    }
                    F80::INDEFINITE
                } else {
                    self.fpu.st(op.r1)
                };
                self.push_value(v, 0);
            }
            xop::LD_CONST => self.push_value(constant(op.r1, env), 0),
            xop::ST_M | xop::STP_M => {
                let empty = self.fpu.is_empty(0);
                let v = if empty {
                    F80::INDEFINITE
                } else {
                    self.fpu.st(0)
                };
                let mut s = store_form(v, op.r2, env);
                if empty {
                    s.exc = sw::IE | sw::SF;
                    s.up = false;
                }
                // An unmasked overflow or underflow of a single or double
                // (tiny even if exact, when unmasked) stores nothing and
                // pops nothing: memory cannot hold a biased exponent.
                let cw = self.fpu.cw;
                let tiny = matches!(op.r2, fmt::F32 | fmt::F64) && tiny_store(&s, op.r2, v);
                let over = s.exc & sw::OE != 0 && cw & sw::OE == 0;
                if (over || (tiny && cw & sw::UE == 0)) && s.exc & sw::IE == 0 {
                    self.fpu.set_c1(false);
                    self.fpu.raise(if over { sw::OE } else { sw::UE });
                    return Ok(());
                }
                // An unmasked invalid operation stores nothing (SDM §8.5.1).
                let unmasked = s.exc & !self.fpu.cw & sw::IE != 0;
                if !unmasked {
                    store_bytes(mmu, ea, &s.bytes[..s.len as usize])?;
                }
                self.fpu.set_c1(s.up);
                if self.fpu.raise(s.exc) {
                    return Ok(());
                }
                if op.sub == xop::STP_M {
                    self.fpu.pop();
                }
            }
            xop::ST_ST | xop::STP_ST => {
                let v = if self.fpu.is_empty(0) {
                    if !self.fpu.underflow() {
                        return Ok(());
                    }
                    F80::INDEFINITE
                } else {
                    self.fpu.set_c1(false);
                    self.fpu.st(0)
                };
                self.fpu.set_st(op.r1, v);
                if op.sub == xop::STP_ST {
                    self.fpu.pop();
                }
            }
            xop::XCH => {
                let (e0, ei) = (self.fpu.is_empty(0), self.fpu.is_empty(op.r1));
                if (e0 || ei) && !self.fpu.underflow() {
                    return Ok(());
                }
                let pick = |e: bool, i: u8| if e { F80::INDEFINITE } else { self.fpu.st(i) };
                let (a, b) = (pick(e0, 0), pick(ei, op.r1));
                self.fpu.set_st(0, b);
                self.fpu.set_st(op.r1, a);
                if !(e0 || ei) {
                    self.fpu.set_c1(false);
                }
            }
            xop::CMOV => {
                // An empty operand is a stack underflow whatever the condition.
                if let Some([_, v]) = self.operands([0, op.r1], 0, false) {
                    if self.f.cond(op.r2) {
                        self.fpu.set_st(0, v);
                    }
                }
            }
            xop::FREE => {
                let p = self.fpu.phys(op.r1);
                self.fpu.empty |= 1 << p;
            }
            xop::DECSTP => {
                self.fpu.top = self.fpu.top.wrapping_sub(1) & 7;
                self.fpu.set_c1(false);
            }
            xop::INCSTP => {
                self.fpu.top = (self.fpu.top + 1) & 7;
                self.fpu.set_c1(false);
            }
            _ => unreachable!("x87 sub-op {} is not a load or store", op.sub),
        }
        Ok(())
    }

    /// Push a loaded value after its exceptions: a full ST(7) is a stack
    /// overflow; an unmasked IE or DE stops the load. C1 = 0 otherwise.
    fn push_value(&mut self, v: F80, exc: u16) {
        if !self.fpu.is_empty(7) {
            if self.fpu.overflow() {
                self.fpu.push(F80::INDEFINITE);
            }
            return;
        }
        if self.fpu.raise(exc) {
            return;
        }
        self.fpu.set_c1(false);
        self.fpu.push(v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn widening_is_exact() {
        assert_eq!(widen_f32(1.0f32.to_bits()).v, F80::ONE);
        assert_eq!(widen_f64(1.0f64.to_bits()).v, F80::ONE);
        assert_eq!(
            widen_f64((-2.5f64).to_bits()).v,
            sf::from_f64((-2.5f64).to_bits())
        );
        let d = widen_f32(1); // 2^-149
        assert_eq!((d.v.norm(), d.de), ((J, -149), sw::DE));
        assert!(widen_f32(0x7f80_0001).v.is_snan());
        assert!(widen_f64(f64::INFINITY.to_bits()).v.is_inf());
    }

    #[test]
    fn constants_round_by_rc() {
        let near = Env::from_cw(0x037f);
        let up = Env::from_cw(0x0b7f);
        let pi = constant(3, near);
        assert_eq!((pi.se, pi.m), (0x4000, 0xc90f_daa2_2168_c235));
        assert_eq!(constant(3, up).m, 0xc90f_daa2_2168_c235);
        assert_eq!(constant(3, Env::from_cw(0x0f7f)).m, 0xc90f_daa2_2168_c234);
        assert_eq!(constant(0, up), F80::ONE);
    }

    #[test]
    fn bcd() {
        let mut b = [0u8; 10];
        b[0] = 0x21;
        b[1] = 0x43;
        b[9] = 0x80;
        assert_eq!(bcd_to_i64(b), (4321, true));
    }
}
