//! Flags nobody reads: in a block's fast path, an `inc`, `dec` or `add`
//! whose status flags the very next op overwrites (all six, reading none,
//! with no way to stop before it does) runs as the `lea` that computes the
//! same register. Nothing can observe the flags in between: the next op
//! touches only registers, so no fault, trap or stale-code stop falls
//! there, and the instruction-at-a-time path (single steps, hooks, the
//! budget's last instructions) runs the ops as decoded.

use super::op::{Kind, Mem, Op, NOREG};

/// Whether `k` sets all of CF PF AF ZF SF OF, reads none, and touches only
/// registers (so it cannot stop before it has).
fn overwrites_flags(k: Kind) -> bool {
    use Kind as K;
    matches!(
        k,
        K::Add32RR
            | K::Add32RI
            | K::Sub32RR
            | K::Sub32RI
            | K::And32RR
            | K::And32RI
            | K::Or32RR
            | K::Or32RI
            | K::Xor32RR
            | K::Xor32RI
            | K::Cmp32RR
            | K::Cmp32RI
            | K::Test32RR
            | K::Test32RI
            | K::Neg32
            // By an immediate, which is never 0 in these (fast.rs).
            | K::Shl32RI
            | K::Shr32RI
            | K::Sar32RI
            | K::CmpJccRR
            | K::CmpJccRI
            | K::TestJccRR
            | K::TestJccRI
            | K::SubJccRI
    )
}

/// `op` as a `lea` of the same result, if it is one of the arithmetic ops
/// that has one.
fn as_lea(op: &Op) -> Option<Op> {
    let (index, disp) = match op.kind {
        Kind::Inc32 => (NOREG, 1),
        Kind::Dec32 => (NOREG, u32::MAX),
        Kind::Add32RI => (NOREG, op.imm),
        Kind::Sub32RI => (NOREG, op.imm.wrapping_neg()),
        Kind::Add32RR => (op.r2 & 7, 0),
        _ => return None,
    };
    let mut lea = *op;
    lea.kind = Kind::Lea32;
    lea.m = Mem {
        base: op.r1 & 7,
        index,
        scale: 0,
        seg: 0,
        disp,
    };
    Some(lea)
}

/// Rewrite, last op first (an op turned into a `lea` overwrites nothing).
pub fn drop_dead_flags(ops: &mut [Op]) {
    for i in (0..ops.len().saturating_sub(1)).rev() {
        if overwrites_flags(ops[i + 1].kind) {
            if let Some(lea) = as_lea(&ops[i]) {
                ops[i] = lea;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::super::decode::decode;
    use super::super::state::State;
    use super::*;

    /// Each rewrite computes what the op did to its register.
    #[test]
    fn each_lea_computes_the_same_register() {
        let mut mmu = crate::mmu::Mmu::new(
            crate::phys::PhysMem::new(64 << 10).unwrap(),
            Default::default(),
        )
        .unwrap();
        let cases: [&[u8]; 6] = [
            &[0x40],                      // inc %eax
            &[0x4b],                      // dec %ebx
            &[0x83, 0xc1, 0x05],          // add $5,%ecx
            &[0x83, 0xea, 0x07],          // sub $7,%edx
            &[0x01, 0xd0],                // add %edx,%eax
            &[0x81, 0xee, 0, 0, 0, 0x80], // sub $0x80000000,%esi
        ];
        for bytes in cases {
            let op = decode(bytes, 0).unwrap();
            let lea = as_lea(&op).unwrap_or_else(|| panic!("{bytes:x?} has no lea"));
            for x in [0u32, 1, 0x7fff_ffff, 0x8000_0000, 0xffff_ffff] {
                let mut a = State::new();
                a.r[..8].copy_from_slice(&[x, x ^ 5, x.wrapping_mul(3), 7, 0x100, 9, x, 11]);
                let mut b = State::new();
                b.r = a.r;
                a.exec(&mut mmu, &op).ok().unwrap();
                b.exec(&mut mmu, &lea).ok().unwrap();
                assert_eq!(a.r, b.r, "{bytes:x?} from {x:#x}");
            }
        }
    }

    /// Only an op followed by one that overwrites every flag is rewritten.
    #[test]
    fn only_flags_overwritten_next_are_dropped() {
        let at = |bytes: &[u8]| decode(bytes, 0).unwrap();
        // inc %eax; cmp %ecx,%eax: the inc's flags are dead.
        let mut ops = [at(&[0x40]), at(&[0x39, 0xc8])];
        drop_dead_flags(&mut ops);
        assert_eq!(ops[0].kind, Kind::Lea32);
        // inc %eax; inc %ecx: the second keeps CF, so the first's is live;
        // the second is last, its flags leave the block.
        let mut ops = [at(&[0x40]), at(&[0x41])];
        drop_dead_flags(&mut ops);
        assert_eq!((ops[0].kind, ops[1].kind), (Kind::Inc32, Kind::Inc32));
        // add %edx,%eax; mov (%ebx),%ecx; cmp: a load between can fault.
        let mut ops = [at(&[0x01, 0xd0]), at(&[0x8b, 0x0b]), at(&[0x39, 0xc8])];
        drop_dead_flags(&mut ops);
        assert_eq!(ops[0].kind, Kind::Add32RR);
        // inc %eax; add $1,%ecx; cmp: the add goes first, then the inc is
        // followed by a lea, which overwrites nothing.
        let mut ops = [at(&[0x40]), at(&[0x83, 0xc1, 0x01]), at(&[0x39, 0xc8])];
        drop_dead_flags(&mut ops);
        assert_eq!((ops[0].kind, ops[1].kind), (Kind::Inc32, Kind::Lea32));
    }
}
