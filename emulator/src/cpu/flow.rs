//! Control flow that needs more than one line: call and ret (which touch the
//! stack), loop/jecxz, and cmov (which reads memory even when it does not
//! move, as hardware does: Intel SDM Vol. 2A, CMOVcc).

use super::op::{Kind, Op};
use super::state::{Exec, State, ECX, ESP};
use crate::addr::VirtAddr;
use crate::mmu::Mmu;

impl State {
    /// call rel32 / call r32 / call m32: the target is read first, then the
    /// return address is stored; ESP and EIP change only after both.
    pub(super) fn call(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        let target = match op.kind {
            Kind::Call => self.eip.wrapping_add(op.imm),
            Kind::CallR => self.r[op.r1 as usize & 7],
            _ => mmu.read_u32(VirtAddr(self.ea(&op.m)))?,
        };
        let sp = self.r[ESP].wrapping_sub(4);
        mmu.write_u32(VirtAddr(sp), self.eip)?;
        self.r[ESP] = sp;
        self.eip = target;
        Ok(())
    }

    /// ret / ret imm16.
    pub(super) fn ret(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        let sp = self.r[ESP];
        let target = mmu.read_u32(VirtAddr(sp))?;
        self.r[ESP] = sp.wrapping_add(4).wrapping_add(op.imm);
        self.eip = target;
        Ok(())
    }

    /// jecxz/jcxz, and loop/loope/loopne (which decrement ECX first; the
    /// decrement does not touch the flags).
    pub(super) fn loop_jump(&mut self, op: &Op) {
        let taken = if op.kind == Kind::Jecxz {
            self.get(op.size, ECX as u8) == 0
        } else {
            let c = self.r[ECX].wrapping_sub(1);
            self.r[ECX] = c;
            c != 0
                && match op.sub {
                    0 => true,
                    1 => self.f.zf(),
                    _ => !self.f.zf(),
                }
        };
        if taken {
            self.eip = self.eip.wrapping_add(op.imm);
        }
    }

    pub(super) fn cmov(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        let v = if op.kind == Kind::CmovRM {
            self.load(mmu, op.size, self.ea(&op.m))?
        } else {
            self.get(op.size, op.r2)
        };
        if self.f.cond(op.sub) {
            self.set(op.size, op.r1, v);
        }
        Ok(())
    }
}
