//! Far control transfers at CPL 3: ljmp, lcall, lret and iret to a code
//! segment of the same privilege (Intel SDM Vol. 2A, JMP and CALL, "far
//! jump/call to a conforming or nonconforming code segment"; Vol. 2B, RET
//! and IRET, "return to the same privilege level"). With Linux's GDT the
//! only such segment is `__USER_CS`, so these run as a program uses them
//! (`push %cs; push $1f; lret`), and anything else — a call gate, a task,
//! another privilege level, a null or data selector — is #GP.
//!
//! Every read, the CS check and the stack probe come before any change.

use super::op::Op;
use super::segment::SegReg;
use super::state::{Exec, State, ESP};
use crate::addr::VirtAddr;
use crate::mmu::Mmu;

impl State {
    /// The target of ljmp/lcall: (offset, selector), from the instruction
    /// (`sub` 0) or from memory (m16:16 or m16:32).
    fn far_target(&self, mmu: &mut Mmu, op: &Op) -> Result<(u32, u16), crate::trap::PageFault> {
        if op.sub == 0 {
            return Ok((op.imm, op.m.disp as u16));
        }
        let addr = self.ea(&op.m);
        let offset = self.load(mmu, op.size, addr)?;
        let sel = self.load(mmu, 2, addr.wrapping_add(op.size as u32))? as u16;
        Ok((offset, sel))
    }

    /// ljmp.
    pub(super) fn far_jmp(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        let (offset, sel) = self.far_target(mmu, op)?;
        self.load_seg(SegReg::Cs, sel, false)
            .map_err(|e| self.seg_fault(op, e))?;
        self.eip = offset;
        Ok(())
    }

    /// lcall: pushes CS (zero-extended to the operand size) and then the
    /// return EIP.
    pub(super) fn far_call(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        let (offset, sel) = self.far_target(mmu, op)?;
        self.seg
            .check(SegReg::Cs, sel, false)
            .map_err(|e| self.seg_fault(op, e))?;
        let w = op.size as u32;
        let sp = self.r[ESP].wrapping_sub(2 * w);
        mmu.probe_write(VirtAddr(sp), 2 * w)?;
        let cs = self.seg.sel[SegReg::Cs as usize] as u32;
        self.store(mmu, op.size, sp.wrapping_add(w), cs)?;
        self.store(mmu, op.size, sp, self.eip)?;
        self.load_seg(SegReg::Cs, sel, false)
            .map_err(|e| self.seg_fault(op, e))?;
        self.r[ESP] = sp;
        self.eip = offset;
        Ok(())
    }

    /// lret / lret imm16: pop EIP, then CS; then release `imm` bytes.
    pub(super) fn far_ret(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        let w = op.size as u32;
        let sp = self.r[ESP];
        let offset = self.load(mmu, op.size, sp)?;
        let sel = self.load(mmu, op.size, sp.wrapping_add(w))? as u16;
        self.load_seg(SegReg::Cs, sel, true)
            .map_err(|e| self.seg_fault(op, e))?;
        self.r[ESP] = sp.wrapping_add(2 * w).wrapping_add(op.imm);
        self.eip = offset;
        Ok(())
    }

    /// iret / iretw to the same privilege level: pop EIP, CS and EFLAGS.
    /// EFLAGS changes as `popf` at CPL 3 does (IF and IOPL kept; TF, NT and
    /// RF are not modelled, see eflags.rs); a 16-bit iret sets FLAGS only.
    pub(super) fn iret(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        let w = op.size as u32;
        let sp = self.r[ESP];
        let offset = self.load(mmu, op.size, sp)?;
        let sel = self.load(mmu, op.size, sp.wrapping_add(w))? as u16;
        let flags = self.load(mmu, op.size, sp.wrapping_add(2 * w))?;
        self.load_seg(SegReg::Cs, sel, true)
            .map_err(|e| self.seg_fault(op, e))?;
        let flags = if w == 2 {
            self.f.get() & 0xffff_0000 | flags
        } else {
            flags
        };
        self.f.load(flags);
        self.r[ESP] = sp.wrapping_add(3 * w);
        self.eip = offset;
        Ok(())
    }
}
