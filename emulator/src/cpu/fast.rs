//! The commonest instructions of compiled C, specialised for 32-bit
//! operands at decode time: no operand size or sub-operation to look at
//! while running, so each is a handful of host instructions. Everything
//! here has a general form elsewhere (data.rs, alu.rs, stack.rs) that
//! behaves the same; the unit tests below check that they agree.

use super::exec::Flow;
use super::flags::Lazy;
use super::op::{alu_op as A, unary_op, Kind, Op, NOREG};
use super::state::{Exec, State, ESP};
use crate::addr::VirtAddr;
use crate::mmu::Mmu;
use crate::trap::PageFault;

const SIGN: u32 = 0x8000_0000;

/// General kind and sub-operation → specialised kind, for 32-bit operands.
const SPECIAL: [(Kind, u8, Kind); 45] = {
    use Kind as K;
    [
        (K::MovRR, 0, K::Mov32RR),
        (K::MovRM, 0, K::Mov32RM),
        (K::MovMR, 0, K::Mov32MR),
        (K::MovMI, 0, K::Mov32MI),
        (K::Lea, 0, K::Lea32),
        (K::PushR, 0, K::Push32R),
        (K::PopR, 0, K::Pop32R),
        (K::UnaryR, unary_op::INC, K::Inc32),
        (K::UnaryR, unary_op::DEC, K::Dec32),
        (K::AluRR, A::ADD, K::Add32RR),
        (K::AluRI, A::ADD, K::Add32RI),
        (K::AluRM, A::ADD, K::Add32RM),
        (K::AluRR, A::SUB, K::Sub32RR),
        (K::AluRI, A::SUB, K::Sub32RI),
        (K::AluRM, A::SUB, K::Sub32RM),
        (K::AluRR, A::AND, K::And32RR),
        (K::AluRI, A::AND, K::And32RI),
        (K::AluRR, A::OR, K::Or32RR),
        (K::AluRI, A::OR, K::Or32RI),
        (K::AluRR, A::XOR, K::Xor32RR),
        (K::AluRI, A::XOR, K::Xor32RI),
        (K::AluRR, A::CMP, K::Cmp32RR),
        (K::AluRI, A::CMP, K::Cmp32RI),
        (K::AluRM, A::CMP, K::Cmp32RM),
        (K::AluMI, A::CMP, K::Cmp32MI),
        (K::AluRR, A::TEST, K::Test32RR),
        (K::AluRI, A::TEST, K::Test32RI),
        // Shifts by `sub`: the /r field, bit 3 for a CL count.
        (K::ShiftR, 4, K::Shl32RI),
        (K::ShiftR, 6, K::Shl32RI),
        (K::ShiftR, 5, K::Shr32RI),
        (K::ShiftR, 7, K::Sar32RI),
        (K::ShiftR, 8 | 4, K::Shl32RC),
        (K::ShiftR, 8 | 6, K::Shl32RC),
        (K::ShiftR, 8 | 5, K::Shr32RC),
        (K::ShiftR, 8 | 7, K::Sar32RC),
        (K::UnaryR, unary_op::NEG, K::Neg32),
        (K::UnaryR, unary_op::NOT, K::Not32),
        // movzx/movsx by `sub`: the source size, bit 7 for sign extension.
        (K::MovxRR, 1, K::Movzb32RR),
        (K::MovxRR, 2, K::Movzw32RR),
        (K::MovxRR, 0x81, K::Movsb32RR),
        (K::MovxRR, 0x82, K::Movsw32RR),
        (K::MovxRM, 1, K::Movzb32RM),
        (K::MovxRM, 2, K::Movzw32RM),
        (K::MovxRM, 0x81, K::Movsb32RM),
        (K::MovxRM, 0x82, K::Movsw32RM),
    ]
};

/// The same for byte operands.
const SPECIAL8: [(Kind, u8, Kind); 3] = {
    use Kind as K;
    [
        (K::MovMR, 0, K::Mov8MR),
        (K::MovMI, 0, K::Mov8MI),
        (K::AluMI, A::CMP, K::Cmp8MI),
    ]
};

/// The commonest 32-bit and byte forms get their own kinds (see fast.rs).
pub fn specialise(mut op: Op) -> Op {
    if op.kind == Kind::Jcc {
        op.kind = JCC[op.sub as usize & 15];
    } else if op.size == 4 && !(op.kind == Kind::ShiftR && op.sub & 8 == 0 && op.imm & 31 == 0) {
        // (A shift by an immediate 0 changes no flags: it keeps its general form.)
        if let Some(&(_, _, k)) = SPECIAL
            .iter()
            .find(|(k, s, _)| *k == op.kind && *s == op.sub)
        {
            op.kind = k;
        }
    } else if op.size == 1 {
        if let Some(&(_, _, k)) = SPECIAL8
            .iter()
            .find(|(k, s, _)| *k == op.kind && *s == op.sub)
        {
            op.kind = k;
        }
    }
    op
}

/// Fast-path kinds for an operand with no index register (`State::ea_b`).
const BASE_ONLY: [(Kind, Kind); 6] = {
    use Kind as K;
    [
        (K::Mov32RM, K::Mov32RMB),
        (K::Mov32MR, K::Mov32MRB),
        (K::Mov8MI, K::Mov8MIB),
        (K::Lea32, K::Lea32B),
        (K::Movzb32RM, K::Movzb32RMB),
        (K::CmpJcc8MI, K::CmpJcc8MIB),
    ]
};

/// In a block's fast path, an op whose memory operand has no index takes
/// the form that does not add one (three host instructions fewer).
pub fn base_only(ops: &mut [Op]) {
    for op in ops {
        if op.m.index != NOREG {
            continue;
        }
        if let Some(&(_, b)) = BASE_ONLY.iter().find(|(k, _)| *k == op.kind) {
            op.kind = b;
        }
    }
}

/// jcc kinds by condition code.
const JCC: [Kind; 16] = {
    use Kind as K;
    [
        K::Jo,
        K::Jno,
        K::Jb,
        K::Jae,
        K::Je,
        K::Jne,
        K::Jbe,
        K::Ja,
        K::Js,
        K::Jns,
        K::Jp,
        K::Jnp,
        K::Jl,
        K::Jge,
        K::Jle,
        K::Jg,
    ]
};

/// The general form of a specialised op (for tests that compare the two).
#[cfg(test)]
pub fn generalise(mut op: Op) -> Op {
    if JCC.contains(&op.kind) {
        op.kind = Kind::Jcc;
        return op;
    }
    if let Some(&(k, _, _)) = SPECIAL
        .iter()
        .chain(&SPECIAL8)
        .find(|(_, _, s)| *s == op.kind)
    {
        op.kind = k;
    }
    op
}

impl State {
    /// `a SUB b` into register `d` (unless cmp/test), flags recorded lazily.
    #[inline(always)]
    fn alu32<const SUB: u8>(&mut self, d: u8, a: u32, b: u32) {
        let (r, lazy) = match SUB {
            A::ADD => (a.wrapping_add(b), Lazy::Add),
            A::SUB | A::CMP => (a.wrapping_sub(b), Lazy::Sub),
            A::AND | A::TEST => (a & b, Lazy::Logic),
            A::OR => (a | b, Lazy::Logic),
            _ => (a ^ b, Lazy::Logic),
        };
        if SUB != A::CMP && SUB != A::TEST {
            self.r[d as usize & 7] = r;
        }
        self.f.set(lazy, SIGN, a, b, r);
    }

    #[inline(always)]
    pub(super) fn alu32_rr<const SUB: u8>(&mut self, op: &Op) -> Flow {
        let (a, b) = (self.r[op.r1 as usize & 7], self.r[op.r2 as usize & 7]);
        self.alu32::<SUB>(op.r1, a, b);
        Flow::Next
    }

    #[inline(always)]
    pub(super) fn alu32_ri<const SUB: u8>(&mut self, op: &Op) -> Flow {
        self.alu32::<SUB>(op.r1, self.r[op.r1 as usize & 7], op.imm);
        Flow::Next
    }

    #[inline(always)]
    pub(super) fn alu32_rm<const SUB: u8>(
        &mut self,
        mmu: &mut Mmu,
        op: &Op,
    ) -> Result<Flow, PageFault> {
        let b = mmu.read_u32(VirtAddr(self.ea(&op.m)))?;
        self.alu32::<SUB>(op.r1, self.r[op.r1 as usize & 7], b);
        Ok(Flow::Next)
    }

    /// inc/dec r32.
    #[inline(always)]
    pub(super) fn incdec32(&mut self, op: &Op) {
        self.step32(op.r1, op.kind == Kind::Inc32);
    }

    /// inc (when `inc`) or dec of register `r1`, returning what it held.
    /// CF is kept, so it is computed now.
    #[inline(always)]
    pub(super) fn step32(&mut self, r1: u8, inc: bool) -> u32 {
        let d = r1 as usize & 7;
        let a = self.r[d];
        let cf = self.f.cf();
        let (r, lazy) = if inc {
            (a.wrapping_add(1), Lazy::Inc)
        } else {
            (a.wrapping_sub(1), Lazy::Dec)
        };
        self.r[d] = r;
        self.f.set(lazy, SIGN, a, 1, r);
        self.f.cin = cf;
        a
    }

    /// shl/shr/sar r32 by `n` (0..=31; 0 changes nothing, flags included).
    /// `LAZY` is the `Lazy` variant as a number (enums are not const
    /// parameters).
    #[inline(always)]
    pub(super) fn shift32<const LAZY: u8>(&mut self, op: &Op, n: u32) -> Flow {
        if n == 0 {
            return Flow::Next;
        }
        let d = op.r1 as usize & 7;
        let a = self.r[d];
        let (r, lazy) = match LAZY {
            x if x == Lazy::Shl as u8 => (a << n, Lazy::Shl),
            x if x == Lazy::Shr as u8 => (a >> n, Lazy::Shr),
            _ => (((a as i32) >> n) as u32, Lazy::Sar),
        };
        self.r[d] = r;
        self.f.set(lazy, SIGN, a, n, r);
        Flow::Next
    }

    /// neg r32: 0 - a, flags as that subtraction's.
    #[inline(always)]
    pub(super) fn neg32(&mut self, op: &Op) {
        let d = op.r1 as usize & 7;
        let a = self.r[d];
        let r = 0u32.wrapping_sub(a);
        self.r[d] = r;
        self.f.set(Lazy::Sub, SIGN, 0, a, r);
    }

    /// The byte and word a movzx/movsx reads.
    #[inline(always)]
    pub(super) fn load8(&self, mmu: &mut Mmu, op: &Op) -> Result<u8, PageFault> {
        mmu.read_u8(VirtAddr(self.ea(&op.m)))
    }
    #[inline(always)]
    pub(super) fn load16(&self, mmu: &mut Mmu, op: &Op) -> Result<u16, PageFault> {
        mmu.read_u16(VirtAddr(self.ea(&op.m)))
    }

    #[inline(always)]
    pub(super) fn push32(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        let v = self.r[op.r1 as usize & 7];
        let sp = self.r[ESP].wrapping_sub(4);
        mmu.write_u32(VirtAddr(sp), v)?;
        self.r[ESP] = sp;
        Ok(())
    }

    /// pop r32; `pop %esp` leaves the popped value.
    #[inline(always)]
    pub(super) fn pop32(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        let sp = self.r[ESP];
        let v = mmu.read_u32(VirtAddr(sp))?;
        self.r[ESP] = sp.wrapping_add(4);
        self.r[op.r1 as usize & 7] = v;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::decode::decode;
    use super::*;

    fn state() -> State {
        State::new()
    }

    /// Run `bytes` (a register-only instruction) in its specialised form and
    /// in its general form from the same start, and compare.
    fn agree(bytes: &[u8]) {
        let fast = decode(bytes, 0).unwrap();
        assert!(
            fast.kind as u8 >= Kind::Mov32RR as u8,
            "{bytes:x?} is not specialised"
        );
        let general = generalise(fast);
        let mut mmu = crate::mmu::Mmu::new(
            crate::phys::PhysMem::new(64 << 10).unwrap(),
            Default::default(),
        )
        .unwrap();
        let starts = [0u32, 1, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff];
        for &x in &starts {
            for &y in &starts {
                for cf in [0, 1] {
                    let mut s1 = state();
                    s1.r[..8].copy_from_slice(&[x, y, x ^ y, y, 0x100, 5, 6, 7]);
                    s1.f.load(cf);
                    let mut s2 = state();
                    s2.r = s1.r;
                    s2.f = s1.f;
                    s1.exec(&mut mmu, &fast).ok().unwrap();
                    s2.exec(&mut mmu, &general).ok().unwrap();
                    assert_eq!(s1.r, s2.r, "{bytes:x?} {x:#x} {y:#x}");
                    assert_eq!(s1.f.get(), s2.f.get(), "{bytes:x?} {x:#x} {y:#x}");
                }
            }
        }
    }

    #[test]
    fn specialised_forms_agree_with_general_ones() {
        for bytes in [
            &[0x01, 0xc8][..],         // add %ecx,%eax
            &[0x29, 0xc8],             // sub %ecx,%eax
            &[0x21, 0xc8],             // and %ecx,%eax
            &[0x09, 0xc8],             // or %ecx,%eax
            &[0x31, 0xc8],             // xor %ecx,%eax
            &[0x39, 0xc8],             // cmp %ecx,%eax
            &[0x85, 0xc8],             // test %ecx,%eax
            &[0x83, 0xc0, 0x7f],       // add $0x7f,%eax
            &[0x83, 0xe8, 0x80],       // sub $-0x80,%eax
            &[0x83, 0xe0, 0xf0],       // and $-16,%eax
            &[0x83, 0xc8, 0x01],       // or $1,%eax
            &[0x83, 0xf0, 0xff],       // xor $-1,%eax
            &[0x83, 0xf8, 0x01],       // cmp $1,%eax
            &[0xa9, 1, 0, 0, 0x80],    // test $0x80000001,%eax
            &[0x40],                   // inc %eax
            &[0x49],                   // dec %ecx
            &[0x89, 0xc8],             // mov %ecx,%eax
            &[0x8d, 0x44, 0x88, 0x04], // lea 4(%eax,%ecx,4),%eax
            &[0xc1, 0xe0, 0x05],       // shl $5,%eax
            &[0xc1, 0xf0, 0x1f],       // sal $31,%eax
            &[0xd1, 0xe8],             // shr %eax
            &[0xc1, 0xf8, 0x21],       // sar $33,%eax (count 1)
            &[0xd3, 0xe0],             // shl %cl,%eax
            &[0xd3, 0xea],             // shr %cl,%edx
            &[0xd3, 0xf8],             // sar %cl,%eax
            &[0xf7, 0xd8],             // neg %eax
            &[0xf7, 0xd1],             // not %ecx
            &[0x0f, 0xb6, 0xc5],       // movzbl %ch,%eax
            &[0x0f, 0xb7, 0xc1],       // movzwl %cx,%eax
            &[0x0f, 0xbe, 0xc1],       // movsbl %cl,%eax
            &[0x0f, 0xbf, 0xc1],       // movswl %cx,%eax
        ] {
            agree(bytes);
        }
    }

    /// The lazy shifts against the eager ones, at every CL count, every
    /// condition code included (Flags::cond reads lazy state its own way).
    #[test]
    fn lazy_shifts_agree_at_every_count() {
        let mut mmu = crate::mmu::Mmu::new(
            crate::phys::PhysMem::new(64 << 10).unwrap(),
            Default::default(),
        )
        .unwrap();
        for bytes in [[0xd3, 0xe0], [0xd3, 0xe8], [0xd3, 0xf8]] {
            let fast = decode(&bytes, 0).unwrap();
            let general = generalise(fast);
            for a in [1u32, 0x8000_0001, 0xdead_beef, 0x7fff_ffff, 0] {
                for n in 0..=33 {
                    let mut s1 = state();
                    s1.r[0] = a;
                    s1.r[1] = n;
                    s1.f.load(0x8d5); // every status flag set but ZF
                    let mut s2 = state();
                    s2.r = s1.r;
                    s2.f = s1.f;
                    s1.exec(&mut mmu, &fast).ok().unwrap();
                    s2.exec(&mut mmu, &general).ok().unwrap();
                    let at = format!("{bytes:x?} {a:#x} by {n}");
                    assert_eq!((s1.r[0], s1.f.get()), (s2.r[0], s2.f.get()), "{at}");
                    for cc in 0..16 {
                        assert_eq!(s1.f.cond(cc), s2.f.cond(cc), "{at} cc {cc}");
                    }
                }
            }
        }
    }
}
