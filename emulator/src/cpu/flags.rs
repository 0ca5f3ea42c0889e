//! Lazy EFLAGS: arithmetic remembers its operands and result, and CF PF AF
//! ZF SF OF are computed only when something reads them (a `jcc`, `pushf`,
//! `adc`, the debugger). Most results are never looked at, so most
//! instructions only store three words.
//!
//! Flag definitions follow Intel SDM Vol. 1 §3.4.3.1 and Appendix A.

use super::eflags::{AF, CF, DF, IF, OF, PF, RESERVED1, SF, STATUS, USER_WRITABLE, ZF};

/// Which operation produced the status flags now held lazily.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Lazy {
    /// `bits` holds the status flags themselves.
    Done,
    Add,
    Adc,
    Sub,
    Sbb,
    /// and/or/xor/test: CF = OF = 0, AF = 0 (undefined in the SDM).
    Logic,
    /// inc: like add 1, but CF is kept (in `cin`).
    Inc,
    /// dec: like sub 1, CF kept.
    Dec,
    /// 32-bit shl/shr/sar by `b` (1..=31) of `a`: CF is the last bit
    /// shifted out, OF by the count-1 formula, AF = 0 (as shift.rs picks).
    /// Only the 32-bit forms are lazy (fast.rs), so `sign` is bit 31.
    Shl,
    Shr,
    Sar,
}

/// Operands `a`, `b` and result `r` are stored masked to the operand size;
/// `sign` is the size's top bit (0x80, 0x8000 or 0x8000_0000).
#[derive(Clone, Copy, Debug)]
pub struct Flags {
    pub op: Lazy,
    pub cin: bool,
    pub sign: u32,
    pub a: u32,
    pub b: u32,
    pub r: u32,
    /// Every non-status bit of EFLAGS, and the status bits when `op == Done`.
    pub bits: u32,
}

/// Sign bit of an operand size in bytes.
#[inline(always)]
pub fn sign_of(size: u8) -> u32 {
    1u32 << (size as u32 * 8 - 1)
}
/// All-ones mask of an operand size in bytes.
#[inline(always)]
pub fn mask_of(size: u8) -> u32 {
    u32::MAX >> (32 - size as u32 * 8)
}
/// PF: set when the low byte has an even number of ones.
#[inline(always)]
pub fn parity(r: u32) -> bool {
    (r as u8).count_ones() & 1 == 0
}

impl Flags {
    pub fn new() -> Flags {
        Flags {
            op: Lazy::Done,
            cin: false,
            sign: 0x8000_0000,
            a: 0,
            b: 0,
            r: 0,
            bits: RESERVED1 | IF,
        }
    }

    /// Record an operation; the flags are computed later, if ever.
    #[inline(always)]
    pub fn set(&mut self, op: Lazy, sign: u32, a: u32, b: u32, r: u32) {
        self.op = op;
        self.sign = sign;
        self.a = a;
        self.b = b;
        self.r = r;
    }

    #[inline]
    pub fn cf(&self) -> bool {
        let (a, b, r) = (self.a, self.b, self.r);
        match self.op {
            Lazy::Done => self.bits & CF != 0,
            Lazy::Add => r < a,
            Lazy::Adc => {
                if self.cin {
                    r <= a
                } else {
                    r < a
                }
            }
            Lazy::Sub => a < b,
            Lazy::Sbb => {
                if self.cin {
                    a <= b
                } else {
                    a < b
                }
            }
            Lazy::Logic => false,
            Lazy::Inc | Lazy::Dec => self.cin,
            Lazy::Shl => a.wrapping_shr(32u32.wrapping_sub(b)) & 1 != 0,
            // sar's last bit out is a bit of `a` too: the count stays below 32.
            Lazy::Shr | Lazy::Sar => a.wrapping_shr(b.wrapping_sub(1)) & 1 != 0,
        }
    }

    #[inline]
    pub fn zf(&self) -> bool {
        match self.op {
            Lazy::Done => self.bits & ZF != 0,
            _ => self.r == 0,
        }
    }

    #[inline]
    pub fn sf(&self) -> bool {
        match self.op {
            Lazy::Done => self.bits & SF != 0,
            _ => self.r & self.sign != 0,
        }
    }

    #[inline]
    pub fn of(&self) -> bool {
        let (a, b, r) = (self.a, self.b, self.r);
        match self.op {
            Lazy::Done => self.bits & OF != 0,
            // Overflow when both inputs have the same sign and the result differs.
            Lazy::Add | Lazy::Adc | Lazy::Inc => (a ^ r) & (b ^ r) & self.sign != 0,
            // Overflow when the inputs differ in sign and the result has b's sign.
            Lazy::Sub | Lazy::Sbb | Lazy::Dec => (a ^ b) & (a ^ r) & self.sign != 0,
            Lazy::Logic | Lazy::Sar => false,
            // The new MSB against CF; shr: the original MSB.
            Lazy::Shl => (r & self.sign != 0) != self.cf(),
            Lazy::Shr => a & self.sign != 0,
        }
    }

    #[inline]
    pub fn pf(&self) -> bool {
        match self.op {
            Lazy::Done => self.bits & PF != 0,
            _ => parity(self.r),
        }
    }

    #[inline]
    pub fn af(&self) -> bool {
        match self.op {
            Lazy::Done => self.bits & AF != 0,
            Lazy::Logic | Lazy::Shl | Lazy::Shr | Lazy::Sar => false,
            // Carry out of (or borrow into) bit 3.
            _ => (self.a ^ self.b ^ self.r) & AF != 0,
        }
    }

    /// The status flags as EFLAGS bits.
    pub fn status(&self) -> u32 {
        if self.op == Lazy::Done {
            return self.bits & STATUS;
        }
        let bit = |on: bool, f: u32| if on { f } else { 0 };
        bit(self.cf(), CF)
            | bit(self.pf(), PF)
            | bit(self.af(), AF)
            | bit(self.zf(), ZF)
            | bit(self.sf(), SF)
            | bit(self.of(), OF)
    }

    /// Compute the status flags into `bits`, so an instruction can change
    /// some of them and keep the rest.
    #[inline]
    pub fn materialise(&mut self) {
        if self.op != Lazy::Done {
            self.bits = (self.bits & !STATUS) | self.status();
            self.op = Lazy::Done;
        }
    }

    /// Set the status flags in `mask` to those of `v`, keeping the others.
    #[inline]
    pub fn put(&mut self, mask: u32, v: u32) {
        self.materialise();
        self.bits = (self.bits & !mask) | (v & mask);
    }

    /// Set or clear one flag, keeping the others.
    #[inline]
    pub fn put_bit(&mut self, flag: u32, on: bool) {
        self.put(flag, if on { flag } else { 0 });
    }

    /// Status flags from a result, for instructions computed eagerly
    /// (shifts, multiplies): SF ZF PF from `r`, CF OF AF as given.
    #[inline]
    pub fn set_result(&mut self, size: u8, r: u32, cf: bool, of: bool) {
        let r = r & mask_of(size);
        let mut v = 0;
        if cf {
            v |= CF;
        }
        if of {
            v |= OF;
        }
        if r == 0 {
            v |= ZF;
        }
        if r & sign_of(size) != 0 {
            v |= SF;
        }
        if parity(r) {
            v |= PF;
        }
        self.bits = (self.bits & !STATUS) | v;
        self.op = Lazy::Done;
    }

    /// The architectural EFLAGS value.
    pub fn get(&self) -> u32 {
        (self.bits & !STATUS) | self.status() | RESERVED1
    }

    /// Load EFLAGS as `popf` does at CPL 3: only USER_WRITABLE bits change.
    pub fn load(&mut self, v: u32) {
        self.materialise();
        self.bits = (self.bits & !USER_WRITABLE) | (v & USER_WRITABLE) | RESERVED1;
    }

    #[inline(always)]
    pub fn df(&self) -> bool {
        self.bits & DF != 0
    }

    /// Evaluate condition code `cc` (the low nibble of `jcc`/`setcc`/`cmovcc`,
    /// Intel SDM Vol. 1 Appendix B). `cmp` and `test` results are decided
    /// straight from the operands, without building the flags.
    #[inline(always)]
    pub fn cond(&self, cc: u8) -> bool {
        let neg = cc & 1 != 0;
        let (a, b, r, s) = (self.a, self.b, self.r, self.sign);
        let v = match (self.op, cc >> 1) {
            (Lazy::Done, _) => return self.cond_slow(cc),
            // ZF and SF come from the result whatever the operation.
            (_, 2) => r == 0,
            (_, 4) => r & s != 0,
            (Lazy::Sub, 1) => a < b,
            (Lazy::Sub, 3) => a <= b,
            // Flipping the sign bit maps signed order onto unsigned order.
            (Lazy::Sub, 6) => (a ^ s) < (b ^ s),
            (Lazy::Sub, 7) => (a ^ s) <= (b ^ s),
            (Lazy::Logic, 6) => r & s != 0,
            (Lazy::Logic, 7) => r == 0 || r & s != 0,
            _ => return self.cond_slow(cc),
        };
        v != neg
    }

    #[cold]
    fn cond_slow(&self, cc: u8) -> bool {
        let v = match cc >> 1 {
            0 => self.of(),
            1 => self.cf(),
            2 => self.zf(),
            3 => self.cf() || self.zf(),
            4 => self.sf(),
            5 => self.pf(),
            6 => self.sf() != self.of(),
            _ => self.zf() || self.sf() != self.of(),
        };
        v != (cc & 1 != 0)
    }
}

impl Default for Flags {
    fn default() -> Self {
        Self::new()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn flags_of(op: Lazy, size: u8, a: u32, b: u32, r: u32) -> u32 {
        let mut f = Flags::new();
        let m = mask_of(size);
        f.set(op, sign_of(size), a & m, b & m, r & m);
        f.status()
    }

    #[test]
    fn add_boundaries() {
        // 0x7f + 1 = 0x80: signed overflow, AF from bit 3, SF.
        assert_eq!(flags_of(Lazy::Add, 1, 0x7f, 1, 0x80), OF | SF | AF);
        // 0xff + 1 = 0x00: carry, zero, parity even, AF.
        assert_eq!(flags_of(Lazy::Add, 1, 0xff, 1, 0x100), CF | ZF | PF | AF);
        assert_eq!(
            flags_of(Lazy::Add, 4, 0x8000_0000, 0x8000_0000, 0),
            CF | ZF | PF | OF
        );
    }

    #[test]
    fn sub_boundaries_and_conditions() {
        // 0 - 1: borrow, negative, AF.
        assert_eq!(flags_of(Lazy::Sub, 4, 0, 1, u32::MAX), CF | SF | PF | AF);
        // 0x80000000 - 1 = 0x7fffffff: signed overflow.
        assert_eq!(
            flags_of(Lazy::Sub, 4, 0x8000_0000, 1, 0x7fff_ffff),
            OF | PF | AF
        );
        let mut f = Flags::new();
        f.set(Lazy::Sub, 0x80, 0x80, 0x01, 0x7f); // -128 vs 1
        assert!(f.cond(0xc)); // jl
        assert!(!f.cond(0x2)); // jb: 0x80 >= 1 unsigned
        assert_eq!(f.cond(0xc), f.cond_slow(0xc));
    }

    #[test]
    fn popf_keeps_if_and_reserved() {
        let mut f = Flags::new();
        f.load(0);
        assert_eq!(f.get(), IF | RESERVED1);
        f.load(u32::MAX);
        assert_eq!(f.get(), IF | RESERVED1 | USER_WRITABLE);
    }

    #[test]
    fn fast_conditions_agree_with_flags() {
        let vals = [
            0u32,
            1,
            0x7f,
            0x80,
            0xff,
            0x7fff_ffff,
            0x8000_0000,
            0xffff_ffff,
        ];
        for size in [1u8, 4] {
            let m = mask_of(size);
            for &a in &vals {
                for &b in &vals {
                    let mut f = Flags::new();
                    let (a, b) = (a & m, b & m);
                    f.set(Lazy::Sub, sign_of(size), a, b, a.wrapping_sub(b) & m);
                    let mut g = Flags::new();
                    g.set(Lazy::Logic, sign_of(size), a, b, a & b);
                    for cc in 0..16 {
                        assert_eq!(f.cond(cc), f.cond_slow(cc), "sub {a:#x} {b:#x} cc {cc}");
                        assert_eq!(g.cond(cc), g.cond_slow(cc), "and {a:#x} {b:#x} cc {cc}");
                    }
                }
            }
        }
    }
}
