//! Compare-and-branch: a `cmp` or `test` followed by a `jcc` runs as one
//! op, with the condition decided from the operands (no flags built, no
//! second dispatch). The flags are still recorded lazily, as the `cmp`
//! alone would leave them. So do the loop counters compiled C steps just
//! before its branch: `sub $imm, r`, `dec r` and `inc r`.
//!
//! Fused ops appear only in a block's fast-path ops (cache.rs); the
//! instruction-at-a-time path runs the ops as decoded, the pair apart.

use super::flags::Lazy;
use super::op::{Kind, Op, EXIT, LAST};
use super::state::State;

const SIGN: u32 = 0x8000_0000;

/// The fused kind of a compare, if it has one.
fn fused_kind(k: Kind) -> Option<Kind> {
    use Kind as K;
    Some(match k {
        K::Cmp32RR => K::CmpJccRR,
        K::Cmp32RI => K::CmpJccRI,
        K::Cmp32RM => K::CmpJccRM,
        K::Cmp8MI => K::CmpJcc8MI,
        K::Test32RR => K::TestJccRR,
        K::Test32RI => K::TestJccRI,
        K::Sub32RI => K::SubJccRI,
        K::Inc32 => K::IncJcc,
        K::Dec32 => K::DecJcc,
        _ => return None,
    })
}

/// How a fused op's flags come about, for which conditions it decides.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    /// `a - b`, as cmp and sub.
    Sub,
    /// `a & b`: CF = OF = 0.
    Test,
    /// inc and dec: ZF SF OF those of `cmp a, -1` and `cmp a, 1`, but CF
    /// kept from before.
    Step,
}

fn form(k: Kind) -> Form {
    match k {
        Kind::TestJccRR | Kind::TestJccRI => Form::Test,
        Kind::IncJcc | Kind::DecJcc => Form::Step,
        _ => Form::Sub,
    }
}

/// The condition code of a specialised `jcc` (`Kind::Jo..=Kind::Jg`).
fn jcc_cond(k: Kind) -> Option<u8> {
    let (k, jo) = (k as u8, Kind::Jo as u8);
    (jo..=Kind::Jg as u8).contains(&k).then(|| k - jo)
}

/// Whether an op stands for two instructions.
pub fn is_fused(k: Kind) -> bool {
    matches!(
        k,
        Kind::CmpJccRR
            | Kind::CmpJccRI
            | Kind::CmpJccRM
            | Kind::CmpJcc8MI
            | Kind::CmpJcc8MIB
            | Kind::TestJccRR
            | Kind::TestJccRI
            | Kind::SubJccRI
            | Kind::IncJcc
            | Kind::DecJcc
    )
}

/// The one op that does `cmp` (or `test`, `sub`, `inc`, `dec`) and then
/// `jcc`, if the pair has one. It keeps the first op's flags bits and takes
/// the branch's LAST and EXIT.
pub fn fuse(cmp: &Op, jcc: &Op) -> Option<Op> {
    let (kind, cc) = (fused_kind(cmp.kind)?, jcc_cond(jcc.kind)?);
    let mut f = *cmp;
    f.kind = kind;
    f.len = cmp.len + jcc.len;
    f.end = jcc.end;
    f.sub = predicate(cc, form(kind))?;
    f.flags |= jcc.flags & (LAST | EXIT);
    // The branch displacement goes where the first op has no operand.
    match kind {
        Kind::CmpJccRI | Kind::TestJccRI | Kind::SubJccRI => f.m.disp = jcc.imm,
        Kind::CmpJcc8MI => {
            f.r1 = cmp.imm as u8;
            f.imm = jcc.imm;
        }
        _ => f.imm = jcc.imm,
    }
    Some(f)
}

/// The displacement of a jcc, fused or not (from the next instruction).
pub fn disp(op: &Op) -> u32 {
    match op.kind {
        Kind::CmpJccRI | Kind::TestJccRI | Kind::SubJccRI => op.m.disp,
        _ => op.imm,
    }
}

/// `Op::sub` of a fused op: its condition as one comparison, `l < m` or
/// with LE `l <= m`, where (l, m) is (a, b) or, with ON_R, the result and
/// 0; SIGNED compares them as signed; bit 0 (the condition code's) inverts.
/// So the branch is decided by one compare and no flags are built.
const LE: u8 = 2;
const SIGNED: u8 = 4;
const ON_R: u8 = 8;

/// The predicate of `jcc` condition `cc` after a cmp (or a test: CF = OF
/// = 0, so every condition is one of the result against 0). None for the
/// conditions left apart: parity, OF after a cmp, and CF after inc or dec
/// (which keep it from before).
fn predicate(cc: u8, form: Form) -> Option<u8> {
    if form == Form::Step && matches!(cc >> 1, 1 | 3) {
        return None;
    }
    let test = form == Form::Test;
    let p = match (cc >> 1, test) {
        (5, _) | (0, false) => return None,
        (1, false) => 0,             // jb: a < b
        (3, false) => LE,            // jbe: a <= b
        (6, false) => SIGNED,        // jl
        (7, false) => SIGNED | LE,   // jle
        (0 | 1, true) => ON_R,       // OF or CF: never (r < 0)
        (2 | 3, _) => ON_R | LE,     // ZF (and test's CF | ZF): r <= 0
        (4 | 6, _) => ON_R | SIGNED, // SF (and test's SF != OF)
        _ => ON_R | SIGNED | LE,     // test's ZF | SF != OF
    };
    Some(p | (cc & 1))
}

/// Whether predicate `p` holds after `a - b = r` (or `a & b = r`): one
/// compare in the arm its number selects (a jump table).
#[inline(always)]
fn holds(p: u8, a: u32, b: u32, r: u32) -> bool {
    let (sa, sb, sr) = (a as i32, b as i32, r as i32);
    match p & 15 {
        0 => a < b,
        1 => a >= b,
        LE => a <= b,
        3 => a > b,
        SIGNED => sa < sb,
        5 => sa >= sb,
        6 => sa <= sb,
        7 => sa > sb,
        ON_R => false,
        9 => true,
        10 => r == 0,
        11 => r != 0,
        12 => sr < 0,
        13 => sr >= 0,
        14 => sr <= 0,
        _ => sr > 0,
    }
}

impl State {
    /// `cmp a, b`: whether the branch after it is taken by predicate `p`.
    #[inline(always)]
    pub(super) fn cmp_jcc(&mut self, p: u8, a: u32, b: u32) -> bool {
        let r = a.wrapping_sub(b);
        self.f.set(Lazy::Sub, SIGN, a, b, r);
        holds(p, a, b, r)
    }

    /// `cmpb b, a` and the branch: the bytes compared at the top of 32
    /// bits decide every condition as the 32-bit compare would; the flags
    /// are recorded as a byte compare's.
    #[inline(always)]
    pub(super) fn cmp8_jcc(&mut self, p: u8, a: u32, b: u32) -> bool {
        let r = a.wrapping_sub(b) & 0xff;
        self.f.set(Lazy::Sub, 0x80, a, b, r);
        holds(p, a << 24, b << 24, r << 24)
    }

    /// `test a, b` and the branch.
    #[inline(always)]
    pub(super) fn test_jcc(&mut self, p: u8, a: u32, b: u32) -> bool {
        let r = a & b;
        self.f.set(Lazy::Logic, SIGN, a, b, r);
        holds(p, r, 0, r)
    }

    /// `sub $imm, r` and the branch: the compare, and the result kept.
    #[inline(always)]
    pub(super) fn sub_jcc(&mut self, op: &Op) -> bool {
        let d = op.r1 as usize & 7;
        let a = self.r[d];
        self.r[d] = a.wrapping_sub(op.imm);
        self.cmp_jcc(op.sub, a, op.imm)
    }

    /// `inc r` (INC) or `dec r` and the branch, decided as after `cmp a,
    /// -1` or `cmp a, 1`; the flags recorded as the inc's or dec's.
    #[inline(always)]
    pub(super) fn step_jcc<const INC: bool>(&mut self, op: &Op) -> bool {
        let a = self.step32(op.r1, INC);
        let b = if INC { u32::MAX } else { 1 };
        holds(op.sub, a, b, a.wrapping_sub(b))
    }
}

#[cfg(test)]
mod tests {
    use super::super::decode::decode;
    use super::super::flags::{sign_of, Flags};
    use super::*;

    const VALS: [u32; 8] = [
        0,
        1,
        0x7f,
        0x80,
        0x7fff_ffff,
        0x8000_0000,
        0x8000_0001,
        0xffff_ffff,
    ];

    #[test]
    fn conditions_agree_with_lazy_flags() {
        for &a in &VALS {
            for &b in &VALS {
                let r = a.wrapping_sub(b);
                let mut f = Flags::new();
                f.set(Lazy::Sub, sign_of(4), a, b, r);
                let mut g = Flags::new();
                g.set(Lazy::Logic, sign_of(4), a, b, a & b);
                for cc in 0..16 {
                    if let Some(p) = predicate(cc, Form::Sub) {
                        assert_eq!(holds(p, a, b, r), f.cond(cc), "cmp {a:#x} {b:#x} cc {cc}");
                    }
                    if let Some(p) = predicate(cc, Form::Test) {
                        let t = a & b;
                        assert_eq!(holds(p, t, 0, t), g.cond(cc), "test {a:#x} {b:#x} cc {cc}");
                    }
                }
            }
        }
    }

    /// A byte compare's conditions, decided at the top of 32 bits.
    #[test]
    fn byte_conditions_agree_with_lazy_flags() {
        for a in (0..=255u32).step_by(3).chain([0x7f, 0x80, 0xff]) {
            for b in [0u32, 1, 0x7f, 0x80, 0x81, 0xfe, 0xff, a] {
                let r = a.wrapping_sub(b) & 0xff;
                let mut f = Flags::new();
                f.set(Lazy::Sub, 0x80, a, b, r);
                for cc in 0..16 {
                    if let Some(p) = predicate(cc, Form::Sub) {
                        let got = holds(p, a << 24, b << 24, r << 24);
                        assert_eq!(got, f.cond(cc), "cmpb {b:#x}, {a:#x} cc {cc}");
                    }
                }
            }
        }
    }

    /// Run the first op + `jcc` (register forms) fused and apart, with CF
    /// clear and set before; compare registers, EIP and flags.
    fn agree(first: &[u8]) {
        let mut mmu = crate::mmu::Mmu::new(
            crate::phys::PhysMem::new(64 << 10).unwrap(),
            Default::default(),
        )
        .unwrap();
        for cc in 0..16u8 {
            let c = decode(first, 0x1000).unwrap();
            let j = decode(&[0x70 + cc, 0x10], 0x1000 + c.len as u32).unwrap();
            let Some(f) = fuse(&c, &j) else {
                let form = form(fused_kind(c.kind).unwrap());
                assert!(
                    predicate(cc, form).is_none(),
                    "{first:x?} cc {cc} should fuse"
                );
                continue;
            };
            for &x in &VALS {
                for &y in &VALS {
                    for carry in [0, 1] {
                        let mut s1 = State::new();
                        s1.r[..8].copy_from_slice(&[x, y, 0, 0, 0x100, 0, 0, 0]);
                        // CF as a compare of 0 with `carry` leaves it.
                        s1.f.set(Lazy::Sub, SIGN, 0, carry, 0u32.wrapping_sub(carry));
                        let mut s2 = State::new();
                        s2.r = s1.r;
                        s2.f = s1.f;
                        s1.eip = 0x1000 + f.len as u32;
                        s1.exec(&mut mmu, &f).ok().unwrap();
                        s2.eip = 0x1000 + c.len as u32;
                        s2.exec(&mut mmu, &c).ok().unwrap();
                        s2.eip += j.len as u32;
                        s2.exec(&mut mmu, &j).ok().unwrap();
                        assert_eq!(
                            (s1.r, s1.eip, s1.f.get()),
                            (s2.r, s2.eip, s2.f.get()),
                            "{first:x?} cc {cc} from {x:#x} {y:#x} CF {carry}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn fused_forms_agree_with_the_pair() {
        agree(&[0x39, 0xc8]); // cmp %ecx,%eax
        agree(&[0x83, 0xf8, 0x01]); // cmp $1,%eax
        agree(&[0x3d, 0, 0, 0, 0x80]); // cmp $0x80000000,%eax
        agree(&[0x85, 0xc0]); // test %eax,%eax
        agree(&[0xa9, 1, 0, 0, 0x80]); // test $0x80000001,%eax
        agree(&[0x83, 0xe8, 0x01]); // sub $1,%eax
        agree(&[0x81, 0xe9, 0, 0, 0, 0x80]); // sub $0x80000000,%ecx
        agree(&[0x48]); // dec %eax
        agree(&[0x41]); // inc %ecx
    }

    /// inc and dec decide no CF condition: they keep CF from before.
    #[test]
    fn a_step_fuses_with_no_carry_condition() {
        let dec = decode(&[0x48], 0).unwrap();
        for cc in 0..16u8 {
            let j = decode(&[0x70 + cc, 0x10], 1).unwrap();
            let carry = matches!(cc >> 1, 1 | 3);
            let parity_or_of = matches!(cc >> 1, 0 | 5);
            assert_eq!(fuse(&dec, &j).is_some(), !carry && !parity_or_of, "cc {cc}");
        }
    }

    #[test]
    fn only_a_compare_before_a_jcc_fuses() {
        let add = decode(&[0x01, 0xc8], 0).unwrap();
        let jne = decode(&[0x75, 0x10], 2).unwrap();
        let cmp = decode(&[0x39, 0xc8], 0).unwrap();
        let jmp = decode(&[0xeb, 0x10], 2).unwrap();
        assert!(fuse(&add, &jne).is_none());
        assert!(fuse(&cmp, &jmp).is_none());
        assert!(fuse(&cmp, &jne).is_some());
    }
}
