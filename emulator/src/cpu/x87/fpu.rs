//! The x87 registers and words as data: the 80-bit value, the FPU state
//! (register stack, control, status and tag words, last-instruction
//! pointers), the status-word bits, and the sub-operation numbers the
//! decoder puts in `Op::sub`. No instruction runs here.

/// An 80-bit extended-precision value as the registers hold it: sign and
/// 15-bit biased exponent, and a 64-bit significand with an explicit
/// integer bit (bit 63).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct F80 {
    pub m: u64,
    pub se: u16,
}

const J: u64 = 1 << 63;

impl F80 {
    /// The "real indefinite" QNaN that masked invalid operations produce.
    pub const INDEFINITE: F80 = F80 {
        se: 0xffff,
        m: 0xc000_0000_0000_0000,
    };
    pub const ZERO: F80 = F80 { se: 0, m: 0 };
    pub const ONE: F80 = F80 { se: 0x3fff, m: J };

    pub fn from_bytes(b: [u8; 10]) -> F80 {
        F80 {
            m: u64::from_le_bytes(b[..8].try_into().unwrap()),
            se: u16::from_le_bytes([b[8], b[9]]),
        }
    }
    pub fn to_bytes(self) -> [u8; 10] {
        let mut b = [0; 10];
        b[..8].copy_from_slice(&self.m.to_le_bytes());
        b[8..].copy_from_slice(&self.se.to_le_bytes());
        b
    }
    pub fn exp(self) -> u16 {
        self.se & 0x7fff
    }
    pub fn sign(self) -> bool {
        self.se & 0x8000 != 0
    }
    pub fn chs(self) -> F80 {
        F80 {
            se: self.se ^ 0x8000,
            ..self
        }
    }
    pub fn abs(self) -> F80 {
        F80 {
            se: self.se & 0x7fff,
            ..self
        }
    }
    pub fn with_sign(self, neg: bool) -> F80 {
        F80 {
            se: (self.se & 0x7fff) | if neg { 0x8000 } else { 0 },
            ..self
        }
    }
    pub fn is_nan(self) -> bool {
        self.exp() == 0x7fff && self.m & J != 0 && self.m << 1 != 0
    }
    pub fn is_snan(self) -> bool {
        self.is_nan() && self.m & (1 << 62) == 0
    }
    pub fn is_inf(self) -> bool {
        self.exp() == 0x7fff && self.m == J
    }
    pub fn is_zero(self) -> bool {
        self.exp() == 0 && self.m == 0
    }
    /// Denormal or pseudo-denormal (exponent 0, significand not zero).
    pub fn is_denormal(self) -> bool {
        self.exp() == 0 && self.m != 0
    }
    /// Unnormal, pseudo-NaN or pseudo-infinity: an encoding the 387 and
    /// later reject with #IA (SDM Vol. 1 §8.2.2).
    pub fn is_unsupported(self) -> bool {
        self.exp() != 0 && self.m & J == 0
    }
    /// A pseudo-denormal (exponent 0, integer bit set) as the equal
    /// normal number with exponent 1, as the FPU reads it; SoftFloat would
    /// lose the carry when adding two of them.
    pub fn canonical(self) -> F80 {
        if self.exp() == 0 && self.m & J != 0 {
            F80 {
                se: self.se | 1,
                ..self
            }
        } else {
            self
        }
    }
    /// Quiet a NaN (sets bit 62).
    pub fn quiet(self) -> F80 {
        F80 {
            m: self.m | (1 << 62),
            ..self
        }
    }
    /// Infinity of a sign.
    pub fn inf(neg: bool) -> F80 {
        F80 {
            se: 0x7fff | if neg { 0x8000 } else { 0 },
            m: J,
        }
    }
    pub fn zero(neg: bool) -> F80 {
        F80 {
            se: if neg { 0x8000 } else { 0 },
            m: 0,
        }
    }
    /// The tag `fnstenv` reports for a full register: 0 valid, 1 zero,
    /// 2 special (NaN, infinity, denormal, unsupported).
    pub fn tag(self) -> u16 {
        match self.exp() {
            0 if self.m == 0 => 1,
            0 | 0x7fff => 2,
            _ if self.m & J == 0 => 2,
            _ => 0,
        }
    }
    /// Normalised significand and unbiased exponent of a finite nonzero
    /// value: `self = m * 2^(e - 63)`, bit 63 of `m` set.
    pub fn norm(self) -> (u64, i32) {
        let e = self.exp().max(1) as i32 - 16383;
        let lz = self.m.leading_zeros() as i32;
        (self.m << lz, e - lz)
    }
    /// `(-1)^neg * m * 2^(e - 63)` exactly, or `None` when that is outside
    /// the format (overflow, or bits lost below the denormal range).
    pub fn pack(neg: bool, m: u64, e: i32) -> Option<F80> {
        if m == 0 {
            return Some(F80::zero(neg));
        }
        let lz = m.leading_zeros() as i32;
        let (m, e) = (m << lz, e - lz);
        let biased = e + 16383;
        if biased >= 0x7fff {
            return None;
        }
        if biased >= 1 {
            return Some(
                F80 {
                    m,
                    se: biased as u16,
                }
                .with_sign(neg),
            );
        }
        let shift = 1 - biased;
        if shift >= 64 || m & ((1u64 << shift) - 1) != 0 {
            return None;
        }
        Some(
            F80 {
                m: m >> shift,
                se: 0,
            }
            .with_sign(neg),
        )
    }
}

/// Status word bits (SDM Vol. 1 §8.1.3).
pub mod sw {
    pub const IE: u16 = 1 << 0;
    pub const DE: u16 = 1 << 1;
    pub const ZE: u16 = 1 << 2;
    pub const OE: u16 = 1 << 3;
    pub const UE: u16 = 1 << 4;
    pub const PE: u16 = 1 << 5;
    /// Stack fault (with IE; C1 tells overflow from underflow).
    pub const SF: u16 = 1 << 6;
    /// Exception summary: an unmasked exception is pending.
    pub const ES: u16 = 1 << 7;
    pub const C0: u16 = 1 << 8;
    pub const C1: u16 = 1 << 9;
    pub const C2: u16 = 1 << 10;
    pub const C3: u16 = 1 << 14;
    /// Busy: mirrors ES on every processor since the 486.
    pub const B: u16 = 1 << 15;
    pub const TOP_SHIFT: u16 = 11;
    pub const TOP: u16 = 7 << TOP_SHIFT;
    pub const EXCEPTIONS: u16 = 0x3f;
    pub const CC: u16 = C0 | C1 | C2 | C3;
}

/// The control word after `fninit` (and at process start): every
/// exception masked, 64-bit precision, round to nearest.
pub const CW_INIT: u16 = 0x037f;

/// The x87 state.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Fpu {
    /// Physical registers R0..R7; ST(i) is `regs[(top + i) & 7]`.
    pub regs: [F80; 8],
    pub top: u8,
    /// Bit i set: physical register i is empty (tag 11).
    pub empty: u8,
    pub cw: u16,
    /// Status word without TOP (kept in `top`).
    pub sw: u16,
    /// Last non-control instruction: address, opcode (11 bits), operand address.
    pub fip: u32,
    pub fop: u16,
    pub fdp: u32,
}

impl Default for Fpu {
    fn default() -> Self {
        Fpu::new()
    }
}

impl Fpu {
    /// The state `fninit` leaves.
    pub fn new() -> Fpu {
        Fpu {
            regs: [F80::ZERO; 8],
            top: 0,
            empty: 0xff,
            cw: CW_INIT,
            sw: 0,
            fip: 0,
            fop: 0,
            fdp: 0,
        }
    }
    pub(super) fn phys(&self, i: u8) -> usize {
        (self.top.wrapping_add(i) & 7) as usize
    }
    pub fn is_empty(&self, i: u8) -> bool {
        self.empty & (1 << self.phys(i)) != 0
    }
    /// ST(i), which must be full.
    pub fn st(&self, i: u8) -> F80 {
        self.regs[self.phys(i)]
    }
    pub fn set_st(&mut self, i: u8, v: F80) {
        let p = self.phys(i);
        self.regs[p] = v;
        self.empty &= !(1 << p);
    }
    pub fn push(&mut self, v: F80) {
        self.top = self.top.wrapping_sub(1) & 7;
        self.set_st(0, v);
    }
    pub fn pop(&mut self) {
        self.empty |= 1 << self.phys(0);
        self.top = (self.top + 1) & 7;
    }
    /// The status word as `fnstsw` shows it.
    pub fn status(&self) -> u16 {
        (self.sw & !sw::TOP) | ((self.top as u16) << sw::TOP_SHIFT)
    }
    /// The full tag word (two bits a register, by physical number).
    pub fn tag_word(&self) -> u16 {
        (0..8).fold(0, |t, p| {
            let tag = if self.empty & (1 << p) != 0 {
                3
            } else {
                self.regs[p].tag()
            };
            t | (tag << (2 * p))
        })
    }
    /// Set ES and B from the exception flags and masks.
    pub(super) fn summarise(&mut self) {
        if self.sw & !self.cw & sw::EXCEPTIONS != 0 {
            self.sw |= sw::ES | sw::B;
        } else {
            self.sw &= !(sw::ES | sw::B);
        }
    }
    /// Record exceptions; true when one of IE DE ZE is unmasked, in which
    /// case the instruction must not deliver its result (SDM §8.5: only
    /// overflow, underflow and precision still write one).
    pub fn raise(&mut self, e: u16) -> bool {
        // An unmasked IE, DE or ZE stops the operation before it computes
        // anything, so no overflow, underflow or precision flag follows.
        let pre = e & (sw::IE | sw::DE | sw::ZE | sw::SF);
        let stop = pre & !self.cw & (sw::IE | sw::DE | sw::ZE) != 0;
        self.sw |= if stop { pre } else { e };
        self.summarise();
        stop
    }
    /// Set or clear condition-code bits.
    pub fn set_cc(&mut self, mask: u16, v: u16) {
        self.sw = (self.sw & !mask) | (v & mask);
    }
    pub fn set_c1(&mut self, on: bool) {
        self.set_cc(sw::C1, if on { sw::C1 } else { 0 });
    }
    /// Stack underflow (reading an empty register): IE and SF, C1 = 0.
    /// True when masked, so the instruction goes on with the indefinite.
    pub fn underflow(&mut self) -> bool {
        self.set_c1(false);
        !self.raise(sw::IE | sw::SF)
    }
    /// Stack overflow (pushing onto a full register): IE and SF, C1 = 1.
    pub fn overflow(&mut self) -> bool {
        self.set_c1(true);
        !self.raise(sw::IE | sw::SF)
    }
    /// ST(i), or the indefinite after a masked stack underflow (`None`:
    /// unmasked, the instruction stops).
    pub fn read(&mut self, i: u8) -> Option<F80> {
        if self.is_empty(i) {
            self.underflow().then_some(F80::INDEFINITE)
        } else {
            Some(self.st(i))
        }
    }
    /// Push `v`, or the indefinite if ST(7) is full (masked stack
    /// overflow); false when the overflow is unmasked and nothing happened.
    pub fn push_checked(&mut self, v: F80) -> bool {
        if !self.is_empty(7) {
            if !self.overflow() {
                return false;
            }
            self.push(F80::INDEFINITE);
        } else {
            self.push(v);
        }
        true
    }
}

/// The sub-operations of `Kind::X87` (in `Op::sub`), with the fields each
/// uses: `r1` a stack register ST(i) or an arithmetic op, `r2` a memory
/// format or an arithmetic op, `m` the memory operand, `imm` the 11-bit
/// x87 opcode (for `fnstenv`'s FOP) and, in bit 16, "has a memory operand".
pub mod xop {
    /// fld/fild m (format in r2).
    pub const LD_M: u8 = 0;
    /// fld st(r1).
    pub const LD_ST: u8 = 1;
    /// fld1 fldl2t fldl2e fldpi fldlg2 fldln2 fldz, by r1 = 0..=6.
    pub const LD_CONST: u8 = 2;
    /// fst/fist m (format in r2); ST_M + 1: and pop.
    pub const ST_M: u8 = 3;
    pub const STP_M: u8 = 4;
    /// fst st(r1); STP_ST: fstp st(r1).
    pub const ST_ST: u8 = 5;
    pub const STP_ST: u8 = 6;
    /// st0 = st0 op m: op (an `aop`) in r1, format in r2.
    pub const ARITH_M: u8 = 7;
    /// st0 = st0 op st(r1): op in r2.
    pub const ARITH_ST0: u8 = 8;
    /// st(r1) = st(r1) op st0; ARITH_STP: and pop.
    pub const ARITH_STI: u8 = 9;
    pub const ARITH_STP: u8 = 10;
    /// fcom/fcomp/ficom/ficomp m: r1 = pops, format in r2.
    pub const COM_M: u8 = 11;
    /// fcom/fucom st(r1): r2 = pops (0..=2) | 4 when unordered (fucom).
    pub const COM_ST: u8 = 12;
    /// fcomi/fucomi st(r1): r2 = pop | 4 when unordered.
    pub const COMI: u8 = 13;
    pub const TST: u8 = 14;
    pub const XAM: u8 = 15;
    pub const XCH: u8 = 16;
    pub const CHS: u8 = 17;
    pub const ABS: u8 = 18;
    pub const SQRT: u8 = 19;
    pub const RNDINT: u8 = 20;
    pub const SCALE: u8 = 21;
    pub const PREM: u8 = 22;
    pub const PREM1: u8 = 23;
    pub const XTRACT: u8 = 24;
    pub const FREE: u8 = 25;
    pub const DECSTP: u8 = 26;
    pub const INCSTP: u8 = 27;
    pub const NOP: u8 = 28;
    /// fcmovcc st(r1): r2 = the x86 condition code.
    pub const CMOV: u8 = 29;
    pub const SIN: u8 = 30;
    pub const COS: u8 = 31;
    pub const SINCOS: u8 = 32;
    pub const PTAN: u8 = 33;
    pub const PATAN: u8 = 34;
    pub const F2XM1: u8 = 35;
    pub const YL2X: u8 = 36;
    pub const YL2XP1: u8 = 37;
    // Control instructions (control.rs): they leave FIP/FOP/FDP alone.
    pub const FIRST_CONTROL: u8 = 40;
    pub const INIT: u8 = 40;
    pub const LDCW: u8 = 41;
    pub const STCW: u8 = 42;
    pub const STSW_M: u8 = 43;
    pub const STSW_AX: u8 = 44;
    pub const CLEX: u8 = 45;
    pub const STENV: u8 = 46;
    pub const LDENV: u8 = 47;
    pub const SAVE: u8 = 48;
    pub const RSTOR: u8 = 49;
    pub const WAIT: u8 = 50;

    /// Whether the instruction may store to memory.
    pub fn stores(sub: u8) -> bool {
        matches!(sub, ST_M | STP_M | STCW | STSW_M | STENV | SAVE)
    }

    /// Whether an instruction first delivers a pending unmasked exception
    /// (#MF): all but the "no-wait" forms (SDM Vol. 1 §8.3.11).
    pub fn waits(sub: u8) -> bool {
        !matches!(sub, INIT | STCW | STSW_M | STSW_AX | CLEX | STENV | SAVE)
    }
}

/// Arithmetic operations in ModRM.reg order; SUB/DIV are dest - src,
/// SUBR/DIVR src - dest.
pub mod aop {
    pub const ADD: u8 = 0;
    pub const MUL: u8 = 1;
    pub const SUB: u8 = 4;
    pub const SUBR: u8 = 5;
    pub const DIV: u8 = 6;
    pub const DIVR: u8 = 7;
}

/// Memory operand formats (`Op::r2` of memory forms).
pub mod fmt {
    pub const F32: u8 = 0;
    pub const F64: u8 = 1;
    pub const F80: u8 = 2;
    pub const I16: u8 = 3;
    pub const I32: u8 = 4;
    pub const I64: u8 = 5;
    pub const BCD: u8 = 6;
}

/// `Op::imm` bit 16: the instruction has a memory operand (FDP is set).
pub const HAS_MEM: u32 = 1 << 16;
/// `Op::imm` bit 17: a no-wait control instruction with the `fwait`
/// prefix (finit, fstcw, fstsw, fclex, fstenv, fsave) waits first.
pub const WAIT_FIRST: u32 = 1 << 17;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn pack_is_exact_or_refuses() {
        assert_eq!(F80::pack(false, 1, 63), Some(F80::ONE));
        assert_eq!(F80::pack(true, 3, 62).unwrap().se, 0xbfff);
        // The smallest denormal, 2^-16445, and one bit below it.
        assert_eq!(F80::pack(false, 1, -16445 + 63), Some(F80 { se: 0, m: 1 }));
        assert_eq!(F80::pack(false, 1, -16446 + 63), None);
        assert_eq!(F80::pack(false, 1, 16384 + 63), None);
        assert_eq!(F80::ONE.norm(), (J, 0));
    }

    #[test]
    fn tags_and_classes() {
        assert_eq!(F80::ZERO.tag(), 1);
        assert_eq!(F80::ONE.tag(), 0);
        assert_eq!(F80::INDEFINITE.tag(), 2);
        assert_eq!(F80 { se: 1, m: 1 }.tag(), 2);
        assert!(F80 { se: 1, m: 1 }.is_unsupported());
        assert!(F80 {
            se: 0x7fff,
            m: J | 1
        }
        .is_snan());
        assert!(!F80::INDEFINITE.is_snan() && F80::INDEFINITE.is_nan());
    }
}
