//! The stack instructions. Each reads everything it needs and makes sure
//! every store can happen (`probe_write`) before it changes ESP or any
//! register, so a fault on a not-yet-grown stack page is restartable.

use super::op::{Kind, Op};
use super::state::{Exec, State, EBP, ESP};
use crate::addr::VirtAddr;
use crate::mmu::Mmu;

impl State {
    /// push r / m / imm (16 or 32 bits). `push esp` pushes the old ESP, and a
    /// memory operand's address uses the old ESP (Intel SDM Vol. 2B, PUSH).
    pub(super) fn push_op(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        let v = match op.kind {
            Kind::PushR => self.get(op.size, op.r1),
            Kind::PushM => self.load(mmu, op.size, self.ea(&op.m))?,
            _ => op.imm,
        };
        let sp = self.r[ESP].wrapping_sub(op.size as u32);
        self.store(mmu, op.size, sp, v)?;
        self.r[ESP] = sp;
        Ok(())
    }

    /// pop r / m. `pop esp` leaves the popped value; a memory destination's
    /// address is computed with ESP already incremented (SDM, POP).
    pub(super) fn pop_op(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        let sp = self.r[ESP];
        let v = self.load(mmu, op.size, sp)?;
        let new_sp = sp.wrapping_add(op.size as u32);
        if op.kind == Kind::PopR {
            self.r[ESP] = new_sp;
            self.set(op.size, op.r1, v);
        } else {
            self.r[ESP] = new_sp;
            let addr = self.ea(&op.m);
            self.r[ESP] = sp;
            self.store(mmu, op.size, addr, v)?;
            self.r[ESP] = new_sp;
        }
        Ok(())
    }

    /// pushad / pushaw: EAX ECX EDX EBX (original) ESP EBP ESI EDI, as
    /// 32- or 16-bit values.
    pub(super) fn pushad(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        let w = op.size as u32;
        let sp = self.r[ESP].wrapping_sub(8 * w);
        mmu.probe_write(VirtAddr(sp), 8 * w)?;
        for i in 0..8 {
            let a = sp.wrapping_add(w * (7 - i as u32));
            self.store(mmu, op.size, a, self.r[i])?;
        }
        self.r[ESP] = sp;
        Ok(())
    }

    /// popad / popaw: the reverse, skipping the saved ESP.
    pub(super) fn popad(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        let w = op.size as u32;
        let sp = self.r[ESP];
        let mut v = [0u32; 8];
        for (i, slot) in v.iter_mut().enumerate() {
            *slot = self.load(mmu, op.size, sp.wrapping_add(w * (7 - i as u32)))?;
        }
        for (i, &x) in v.iter().enumerate() {
            if i != ESP {
                self.set(op.size, i as u8, x);
            }
        }
        self.r[ESP] = sp.wrapping_add(8 * w);
        Ok(())
    }

    /// pushfd / pushfw (the low 16 bits of EFLAGS).
    pub(super) fn pushf(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        let sp = self.r[ESP].wrapping_sub(op.size as u32);
        self.store(mmu, op.size, sp, self.f.get())?;
        self.r[ESP] = sp;
        Ok(())
    }

    /// popfd / popfw at CPL 3: only the user-writable flags change (see
    /// flags.rs); popfw keeps the upper half.
    pub(super) fn popf(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        let sp = self.r[ESP];
        let mut v = self.load(mmu, op.size, sp)?;
        if op.size == 2 {
            v |= self.f.get() & 0xffff_0000;
        }
        self.f.load(v);
        self.r[ESP] = sp.wrapping_add(op.size as u32);
        Ok(())
    }

    /// leave: ESP = EBP (the stack is 32-bit), then pop EBP (or BP, leavew).
    pub(super) fn leave(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        let bp = self.r[EBP];
        if op.size == 2 {
            let v = self.load(mmu, 2, bp)?;
            self.r[ESP] = bp.wrapping_add(2);
            self.set(2, EBP as u8, v);
            return Ok(());
        }
        let v = mmu.read_u32(VirtAddr(bp))?;
        self.r[ESP] = bp.wrapping_add(4);
        self.r[EBP] = v;
        Ok(())
    }

    /// enter size, level (Intel SDM Vol. 2A, ENTER, 32-bit stack): push EBP,
    /// copy `level - 1` frame pointers from the old frame, push the new
    /// frame pointer, then reserve `size` bytes. enterw pushes and copies
    /// 16-bit values and sets BP only (the upper half of EBP stays, as on
    /// the processors we checked), while ESP moves as a 32-bit pointer.
    pub(super) fn enter(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        let level = op.sub as u32;
        let w = op.size as u32;
        let (sp, bp) = (self.r[ESP], self.r[EBP]);
        let mut saved = [0u32; 32];
        for i in 1..level {
            saved[i as usize] = self.load(mmu, op.size, bp.wrapping_sub(w * i))?;
        }
        let words = if level == 0 { 1 } else { level + 1 };
        let bottom = sp.wrapping_sub(w * words);
        mmu.probe_write(VirtAddr(bottom), w * words)?;
        let frame = sp.wrapping_sub(w);
        self.store(mmu, op.size, frame, bp)?;
        let mut at = frame;
        for &v in &saved[1..level.max(1) as usize] {
            at = at.wrapping_sub(w);
            self.store(mmu, op.size, at, v)?;
        }
        if level > 0 {
            self.store(mmu, op.size, at.wrapping_sub(w), frame)?;
        }
        self.set(op.size, EBP as u8, frame);
        self.r[ESP] = bottom.wrapping_sub(op.imm);
        Ok(())
    }
}
