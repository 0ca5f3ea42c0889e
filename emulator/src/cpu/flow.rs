//! Control flow that needs more than one line: call and ret (which touch the
//! stack), loop/jecxz, 16-bit near branches, and cmov (which reads memory even when it does not
//! move, as hardware does: Intel SDM Vol. 2A, CMOVcc).

use super::flags::mask_of;
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
    /// decrement does not touch the flags). `size` is the count register's:
    /// CX under an address-size prefix, whose decrement keeps ECX's top half.
    pub(super) fn loop_jump(&mut self, op: &Op) {
        if self.loop_taken(op) {
            self.eip = self.eip.wrapping_add(op.imm);
        }
    }

    fn loop_taken(&mut self, op: &Op) -> bool {
        if op.base_kind() == Kind::Jecxz {
            return self.get(op.size, ECX as u8) == 0;
        }
        let c = self.get(op.size, ECX as u8).wrapping_sub(1);
        self.set(op.size, ECX as u8, c);
        (c & mask_of(op.size)) != 0
            && match op.sub {
                0 => true,
                1 => self.f.zf(),
                _ => !self.f.zf(),
            }
    }

    /// `Kind::Branch16`: a near branch with 16-bit operand size (SDM Vol.
    /// 2A, JMP, Jcc, LOOP, CALL; Vol. 2B, RET): a taken branch leaves EIP =
    /// target & 0xffff; call and ret push and pop 16-bit return addresses.
    pub(super) fn branch16(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        let next = self.eip;
        let sp = self.r[ESP];
        let target = match op.inner {
            Kind::Jmp | Kind::Call => Some(next.wrapping_add(op.imm)),
            Kind::Jcc => self.f.cond(op.sub).then(|| next.wrapping_add(op.imm)),
            Kind::Loop | Kind::Jecxz => self.loop_taken(op).then(|| next.wrapping_add(op.imm)),
            Kind::JmpR | Kind::CallR => Some(self.get(2, op.r1)),
            Kind::JmpM | Kind::CallM => Some(self.load(mmu, 2, self.ea(&op.m))?),
            Kind::Ret => {
                let t = self.load(mmu, 2, sp)?;
                self.r[ESP] = sp.wrapping_add(2).wrapping_add(op.imm);
                Some(t)
            }
            k => unreachable!("Branch16 around {k:?}"),
        };
        if matches!(op.inner, Kind::Call | Kind::CallR | Kind::CallM) {
            self.store(mmu, 2, sp.wrapping_sub(2), next)?;
            self.r[ESP] = sp.wrapping_sub(2);
        }
        if let Some(t) = target {
            self.eip = t & 0xffff;
        }
        Ok(())
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
