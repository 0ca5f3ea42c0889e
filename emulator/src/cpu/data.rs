//! Data movement that is not a plain `mov`: zero/sign extension, the
//! accumulator conversions, `xlat`, `xchg`, and the instructions that move
//! single flags (`lahf`, `sahf`, `clc`…).

use super::eflags::{AF, CF, DF, PF, SF, ZF};
use super::flags::sign_of;
use super::op::{Kind, Op};
use super::state::{Exec, State, EAX, EBX, EDX};
use crate::addr::VirtAddr;
use crate::mmu::Mmu;

/// Sign-extend the low `size` bytes of `v` to 32 bits.
#[inline(always)]
pub fn sext(size: u8, v: u32) -> u32 {
    match size {
        1 => v as u8 as i8 as i32 as u32,
        2 => v as u16 as i16 as i32 as u32,
        _ => v,
    }
}

impl State {
    /// movzx / movsx: `sub` holds the source size, bit 7 for sign extension.
    pub(super) fn movx(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        let src = op.sub & 0x7f;
        let v = if op.kind == Kind::MovxRM {
            self.load(mmu, src, self.ea(&op.m))?
        } else {
            self.get(src, op.r2)
        };
        let v = if op.sub & 0x80 != 0 { sext(src, v) } else { v };
        self.set(op.size, op.r1, v);
        Ok(())
    }

    /// cbw / cwde: sign-extend the lower half of the accumulator.
    pub(super) fn cbw(&mut self, op: &Op) {
        let half = op.size / 2;
        let v = sext(half, self.get(half, 0));
        self.set(op.size, 0, v);
    }

    /// cwd / cdq: fill DX/EDX with the accumulator's sign.
    pub(super) fn cwd(&mut self, op: &Op) {
        let neg = self.get(op.size, 0) & sign_of(op.size) != 0;
        self.set(op.size, EDX as u8, if neg { u32::MAX } else { 0 });
    }

    /// xlat: AL = [EBX + AL], or [BX + AL] wrapping at 64 KiB under an
    /// address-size prefix (`sub` 1); the segment (DS) may be overridden.
    pub(super) fn xlat(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        let mut offset = self.r[EBX].wrapping_add(self.r[EAX] & 0xff);
        if op.sub != 0 {
            offset &= 0xffff;
        }
        let seg = op.m.seg & 3;
        if seg != 0 && !self.seg.fs_gs[seg as usize - 1].allows(offset, 1, false) {
            return Err(self.gp(op));
        }
        let addr = offset.wrapping_add(self.seg_base[seg as usize]);
        let v = mmu.read_u8(VirtAddr(addr))?;
        self.set(1, 0, v as u32);
        Ok(())
    }

    /// lahf: AH = SF:ZF:0:AF:0:PF:1:CF (Intel SDM Vol. 2A, LAHF).
    pub(super) fn lahf(&mut self) {
        let v = self.f.get() & (SF | ZF | AF | PF | CF) | 2;
        self.set(1, 4, v);
    }

    /// sahf: load SF ZF AF PF CF from AH; OF is kept.
    pub(super) fn sahf(&mut self) {
        let ah = self.get(1, 4);
        self.f.put(SF | ZF | AF | PF | CF, ah);
    }

    /// clc stc cmc cld std.
    pub(super) fn flag_op(&mut self, op: &Op) {
        match op.sub {
            0 => self.f.put_bit(CF, false),
            1 => self.f.put_bit(CF, true),
            2 => {
                let cf = self.f.cf();
                self.f.put_bit(CF, !cf)
            }
            3 => self.f.bits &= !DF,
            _ => self.f.bits |= DF,
        }
    }

    /// xchg: the memory form reads, then writes, then sets the register.
    pub(super) fn xchg(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        let a = self.get(op.size, op.r1);
        if op.kind == Kind::XchgRR {
            let b = self.get(op.size, op.r2);
            self.set(op.size, op.r1, b);
            self.set(op.size, op.r2, a);
        } else {
            let addr = self.ea(&op.m);
            let b = self.load(mmu, op.size, addr)?;
            self.store(mmu, op.size, addr, a)?;
            self.set(op.size, op.r1, b);
        }
        Ok(())
    }
}
