//! The soft-float library behind the x87: Berkeley SoftFloat 3e (through the
//! `softfloat-sys` bindings, built with its "8086" specialisation).
//!
//! Why SoftFloat: it is the reference IEEE 754 implementation, its `extF80`
//! type is the x87 register format, and it has what the FPU needs and the
//! alternatives lack: all four rounding modes; a rounding precision for
//! `extF80` (`extF80_roundingPrecision` = 32, 64 or 80) that rounds the
//! significand to 24 or 53 bits while keeping the 15-bit exponent, exactly
//! the x87 PC field; tininess detected after rounding, as x86 does; the five
//! IEEE flags (invalid, infinite, overflow, underflow, inexact = IE ZE OE UE
//! PE); the x87's default NaN (the "real indefinite" 0xffff_c000…); and
//! round-to-odd, which lets wider intermediate results be rounded once.
//! `rustc_apfloat` has an x87 type and the flags but no precision control
//! nor the x87 NaN rules; `simple-soft-float` has no 80-bit format. The
//! The crate's "8086" feature (the x87 NaN rules) does not build in
//! 0.1.4, so the default "8086-SSE" one is used and `propagate_nan` in
//! arith.rs applies the x87's rules for two operands itself. The
//! library's mode and flags are thread-local C globals; [`Env::run`] sets
//! them around one operation and returns the flags it raised.

use super::fpu::{Fpu, F80};
use softfloat_sys as sf;

/// SoftFloat's rounding modes.
const NEAR_EVEN: u8 = 0;
const MIN_MAG: u8 = 1;
const MIN: u8 = 2;
const MAX: u8 = 3;
pub const ODD: u8 = 6;

/// SoftFloat's exception flags.
pub const INEXACT: u8 = 1;
pub const UNDERFLOW: u8 = 2;
pub const OVERFLOW: u8 = 4;
pub const INFINITE: u8 = 8;
pub const INVALID: u8 = 16;

impl From<F80> for sf::extFloat80_t {
    fn from(v: F80) -> Self {
        sf::extFloat80_t {
            signExp: v.se,
            signif: v.m,
        }
    }
}

impl From<sf::extFloat80_t> for F80 {
    fn from(v: sf::extFloat80_t) -> Self {
        F80 {
            se: v.signExp,
            m: v.signif,
        }
    }
}

/// Rounding mode and precision for one operation.
#[derive(Clone, Copy, Debug)]
pub struct Env {
    /// SoftFloat rounding mode.
    pub mode: u8,
    /// 32, 64 or 80: the significand's width in `extF80` results.
    pub prec: u8,
    /// The control word's exception masks (bits 0-5), for the few results
    /// an unmasked exception changes.
    pub masks: u16,
}

impl Env {
    /// From the control word: RC (bits 10-11) and PC (bits 8-9, Intel SDM
    /// Vol. 1 §8.1.5.2; the reserved PC = 01 rounds as 64 bits here).
    pub fn from_cw(cw: u16) -> Env {
        let mode = match (cw >> 10) & 3 {
            0 => NEAR_EVEN,
            1 => MIN,
            2 => MAX,
            _ => MIN_MAG,
        };
        let prec = match (cw >> 8) & 3 {
            0 => 32,
            2 => 64,
            3 => 80,
            _ => 80,
        };
        Env {
            mode,
            prec,
            masks: cw & 0x3f,
        }
    }

    /// Full precision, same rounding mode.
    pub fn full(self) -> Env {
        Env { prec: 80, ..self }
    }

    /// Same precision, rounding toward zero.
    pub fn chop(self) -> Env {
        Env {
            mode: MIN_MAG,
            ..self
        }
    }

    pub fn with_mode(self, mode: u8) -> Env {
        Env { mode, ..self }
    }

    /// Run `f` with this mode and precision; its result and the flags raised.
    pub fn run<T>(self, f: impl FnOnce() -> T) -> (T, u8) {
        // SAFETY: the helpers read and write SoftFloat's thread-local state.
        unsafe {
            sf::softfloat_roundingMode_write_helper(self.mode);
            sf::extF80_roundingPrecision_write_helper(self.prec);
            sf::softfloat_exceptionFlags_write_helper(0);
        }
        let r = f();
        let flags = unsafe { sf::softfloat_exceptionFlags_read_helper() };
        (r, flags)
    }
}

// Thin safe wrappers: SoftFloat's functions are pure apart from the
// thread-local state that `Env::run` manages.
macro_rules! binop {
    ($($name:ident => $f:ident),*) => {$(
        pub fn $name(a: F80, b: F80) -> F80 {
            // SAFETY: pure C function on values.
            unsafe { sf::$f(a.into(), b.into()) }.into()
        }
    )*};
}
binop!(add => extF80_add, sub => extF80_sub, mul => extF80_mul, div => extF80_div);

pub fn sqrt(a: F80) -> F80 {
    unsafe { sf::extF80_sqrt(a.into()) }.into()
}

/// Round to an integer in the current mode; `exact` raises inexact.
pub fn round_to_int(a: F80, mode: u8) -> F80 {
    unsafe { sf::extF80_roundToInt(a.into(), mode, true) }.into()
}

pub fn from_i32(v: i32) -> F80 {
    unsafe { sf::i32_to_extF80(v) }.into()
}
pub fn from_i64(v: i64) -> F80 {
    unsafe { sf::i64_to_extF80(v) }.into()
}
pub fn to_f32(a: F80) -> u32 {
    unsafe { sf::extF80_to_f32(a.into()) }.v
}
pub fn to_f64(a: F80) -> u64 {
    unsafe { sf::extF80_to_f64(a.into()) }.v
}
pub fn to_i64(a: F80, mode: u8) -> i64 {
    unsafe { sf::extF80_to_i64(a.into(), mode, true) }
}
pub fn to_i32(a: F80, mode: u8) -> i32 {
    unsafe { sf::extF80_to_i32(a.into(), mode, true) as i32 }
}

/// 128-bit quadruple precision, for wider intermediate results.
pub fn to_f128(a: F80) -> sf::float128_t {
    unsafe { sf::extF80_to_f128(a.into()) }
}
pub fn from_f128(a: sf::float128_t) -> F80 {
    unsafe { sf::f128_to_extF80(a) }.into()
}
pub use sf::float128_t as F128;
pub fn f128_add(a: F128, b: F128) -> F128 {
    unsafe { sf::f128_add(a, b) }
}
pub fn f128_sub(a: F128, b: F128) -> F128 {
    unsafe { sf::f128_sub(a, b) }
}
pub fn f128_mul(a: F128, b: F128) -> F128 {
    unsafe { sf::f128_mul(a, b) }
}
pub fn f128_div(a: F128, b: F128) -> F128 {
    unsafe { sf::f128_div(a, b) }
}
pub fn f128_from_i64(v: i64) -> F128 {
    unsafe { sf::i64_to_f128(v) }
}

/// SoftFloat's flags as x87 status bits.
pub(super) fn x87_flags(f: u8) -> u16 {
    let mut e = 0;
    if f & INVALID != 0 {
        e |= super::fpu::sw::IE;
    }
    if f & INFINITE != 0 {
        e |= super::fpu::sw::ZE;
    }
    if f & OVERFLOW != 0 {
        e |= super::fpu::sw::OE;
    }
    if f & UNDERFLOW != 0 {
        e |= super::fpu::sw::UE;
    }
    if f & INEXACT != 0 {
        e |= super::fpu::sw::PE;
    }
    e
}

impl Fpu {
    pub fn env(&self) -> Env {
        Env::from_cw(self.cw)
    }
}

#[cfg(test)]
pub fn from_f64(bits: u64) -> F80 {
    unsafe { sf::f64_to_extF80(sf::float64_t { v: bits }) }.into()
}
