//! The instructions that read or load segment registers or look at
//! descriptors: mov to and from Sreg, push and pop Sreg, lds les lfs lgs
//! lss, lar lsl verr verw and arpl (Intel SDM Vol. 2A/2B under each name).
//! Loading follows gdt.rs; every read and check comes before the first
//! change, so a #PF or #GP leaves the instruction restartable.

use super::eflags::ZF;
use super::op::{Kind, Op};
use super::segment::{SegReg, SegmentDescriptor, SegmentFault};
use super::state::{Exec, State, Stop, ESP};
use crate::mmu::Mmu;

impl State {
    /// Load `seg` with `sel` after the checks of a load at CPL 3 (`ret`:
    /// as a far return loads CS). Changes nothing when it fails.
    pub(super) fn load_seg(
        &mut self,
        seg: SegReg,
        sel: u16,
        ret: bool,
    ) -> Result<(), SegmentFault> {
        let h = self.seg.check(seg, sel, ret)?;
        self.seg.touch(sel);
        // A far transfer loads CS with RPL = CPL (SDM Vol. 2A, JMP).
        self.seg.sel[seg as usize] = if seg == SegReg::Cs { sel | 3 } else { sel };
        if let Some(k) = fs_gs(seg) {
            self.seg.fs_gs[k] = h;
            self.seg_base[k + 1] = if h.usable {
                self.seg.gdt((sel >> 3) as usize).base
            } else {
                0
            };
        }
        Ok(())
    }

    /// A failed load as the guest sees it. #NP and #SS are reported as #GP
    /// (see segment.rs).
    #[cold]
    pub(super) fn seg_fault(&self, op: &Op, _why: SegmentFault) -> Stop {
        self.gp(op)
    }

    fn sreg(op: &Op) -> SegReg {
        SegReg::from_number(op.sub).unwrap_or(SegReg::Ds)
    }

    /// mov r/m, Sreg: a register destination of 32 bits gets the selector
    /// zero-extended (P6 and later); memory always gets 16 bits.
    /// mov Sreg, r/m: a checked load (mov to CS is #UD at decode).
    pub(super) fn seg_mov(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        let seg = Self::sreg(op);
        let sel = self.seg.sel[seg as usize];
        match op.kind {
            Kind::SegReadR => self.set(op.size, op.r1, sel as u32),
            Kind::SegReadM => self.store(mmu, 2, self.ea(&op.m), sel as u32)?,
            _ => {
                let v = match op.kind {
                    Kind::SegWriteM => self.load(mmu, 2, self.ea(&op.m))?,
                    _ => self.get(2, op.r1),
                } as u16;
                self.load_seg(seg, v, false)
                    .map_err(|e| self.seg_fault(op, e))?;
            }
        }
        Ok(())
    }

    /// push Sreg. With a 32-bit operand the selector is pushed
    /// zero-extended, as AMD processors and Intel's before the Pentium Pro
    /// family's successors do; recent Intel processors write only the low
    /// 16 bits of the slot (SDM Vol. 2B, PUSH). Either way ESP moves by 4.
    pub(super) fn push_seg(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        let v = self.seg.sel[Self::sreg(op) as usize] as u32;
        let sp = self.r[ESP].wrapping_sub(op.size as u32);
        self.store(mmu, op.size, sp, v)?;
        self.r[ESP] = sp;
        Ok(())
    }

    /// pop Sreg: reads an operand-sized slot, loads its low 16 bits.
    pub(super) fn pop_seg(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        let sp = self.r[ESP];
        let v = self.load(mmu, op.size, sp)? as u16;
        self.load_seg(Self::sreg(op), v, false)
            .map_err(|e| self.seg_fault(op, e))?;
        self.r[ESP] = sp.wrapping_add(op.size as u32);
        Ok(())
    }

    /// lds les lfs lgs lss r, m16:16 / m16:32: the offset, then the selector.
    pub(super) fn load_far(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        let addr = self.ea(&op.m);
        let offset = self.load(mmu, op.size, addr)?;
        let sel = self.load(mmu, 2, addr.wrapping_add(op.size as u32))? as u16;
        self.load_seg(Self::sreg(op), sel, false)
            .map_err(|e| self.seg_fault(op, e))?;
        self.set(op.size, op.r1, offset);
        Ok(())
    }

    /// The descriptor a selector names, if the program may look at it
    /// (the checks lar, lsl, verr and verw share: SDM Vol. 2A, LAR, LSL;
    /// Vol. 2B, VERR/VERW). Only code and data segments are in this GDT;
    /// system descriptors (which lar and lsl would also show) are not.
    fn visible(&self, sel: u16) -> Option<SegmentDescriptor> {
        let index = (sel >> 3) as usize;
        if sel & !3 == 0 || sel & 4 != 0 || index >= super::segment::GDT_ENTRIES {
            return None;
        }
        let d = self.seg.gdt(index);
        let conforming_code =
            d.is_code() && d.typ & SegmentDescriptor::EXPAND_DOWN_OR_CONFORMING != 0;
        let dpl = d.dpl as u16;
        let privileged = 3 > dpl || sel & 3 > dpl;
        (d.s && (conforming_code || !privileged)).then_some(d)
    }

    /// lar / lsl: access rights (the descriptor's high doubleword masked
    /// with 0x00ffff00, 0xff00 for 16 bits) or the byte limit, with ZF set;
    /// ZF clear and the destination kept when the selector is not visible.
    pub(super) fn lar_lsl(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        let sel = match op.kind {
            Kind::LarLslM => self.load(mmu, 2, self.ea(&op.m))?,
            _ => self.get(2, op.r2),
        } as u16;
        let d = self.visible(sel);
        if let Some(d) = d {
            let v = if op.sub == 0 {
                (d.to_raw() >> 32) as u32 & 0x00ff_ff00
            } else {
                d.effective_limit()
            };
            self.set(op.size, op.r1, v);
        }
        self.f.put_bit(ZF, d.is_some());
        Ok(())
    }

    /// verr / verw: ZF = the segment is readable / writable from CPL 3.
    pub(super) fn ver(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        let sel = match op.kind {
            Kind::VerM => self.load(mmu, 2, self.ea(&op.m))?,
            _ => self.get(2, op.r1),
        } as u16;
        let rw = SegmentDescriptor::WRITABLE_OR_READABLE;
        let ok = self.visible(sel).is_some_and(|d| {
            if op.sub == 0 {
                d.is_data() || d.typ & rw != 0
            } else {
                d.is_data() && d.typ & rw != 0
            }
        });
        self.f.put_bit(ZF, ok);
        Ok(())
    }

    /// arpl r/m16, r16: if the destination's RPL is below the source's,
    /// raise it and set ZF, else clear ZF (and write nothing).
    pub(super) fn arpl(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        // Register form: r1 the destination, r2 the source; memory form:
        // r1 the source (as `binary` lays them out).
        let addr = self.ea(&op.m);
        let (src, dest) = match op.kind {
            Kind::ArplM => (self.get(2, op.r1), self.load(mmu, 2, addr)?),
            _ => (self.get(2, op.r2), self.get(2, op.r1)),
        };
        let raise = dest & 3 < src & 3;
        if raise {
            let v = dest & !3 | src & 3;
            match op.kind {
                Kind::ArplM => self.store(mmu, 2, addr, v)?,
                _ => self.set(2, op.r1, v),
            }
        }
        self.f.put_bit(ZF, raise);
        Ok(())
    }
}

/// FS and GS by their slot in `Segments::fs_gs` (and `seg_base` − 1).
pub(super) fn fs_gs(seg: SegReg) -> Option<usize> {
    match seg {
        SegReg::Fs => Some(0),
        SegReg::Gs => Some(1),
        _ => None,
    }
}
