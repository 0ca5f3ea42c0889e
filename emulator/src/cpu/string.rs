//! movs stos lods cmps scas, with rep / repe / repne (Intel SDM Vol. 2B,
//! REP/REPE/REPNE; Vol. 1 §7.3.9). The source is DS:ESI (segment
//! overridable), the destination ES:EDI; under an address-size prefix
//! SI, DI and CX, wrapping at 64 KiB (the rest of each register kept).
//! Those, and sources through FS or GS (which are checked against the
//! segment), take the element-by-element path `string_slow`.
//!
//! With a repeat prefix every iteration commits: ESI, EDI and ECX are
//! updated element by element. A fault mid-way leaves EIP on the instruction
//! and the registers describing the work left, so resuming finishes the job
//! exactly as a hardware restart does. Long runs pause every CHUNK elements
//! (as hardware pauses for interrupts) so the instruction budget holds.

use super::alu::alu;
use super::op::{alu_op, Op, STR_ADDR16};
use super::state::{Exec, State, Stop, EAX, ECX, EDI, ESI};
use crate::addr::{VirtAddr, PAGE_SIZE};
use crate::mmu::Mmu;
use crate::trap::Access;

/// Iterations of a repeated string instruction between budget checks.
const CHUNK: u32 = 1 << 16;

/// What one iteration does.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Str {
    Movs,
    Stos,
    Lods,
    Cmps,
    Scas,
}

impl State {
    pub(super) fn movs(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        self.string(mmu, op, Str::Movs)
    }
    pub(super) fn stos(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        self.string(mmu, op, Str::Stos)
    }
    pub(super) fn lods(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        self.string(mmu, op, Str::Lods)
    }
    pub(super) fn cmps(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        self.string(mmu, op, Str::Cmps)
    }
    pub(super) fn scas(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        self.string(mmu, op, Str::Scas)
    }

    #[inline(always)]
    fn string(&mut self, mmu: &mut Mmu, op: &Op, what: Str) -> Exec {
        let size = op.size;
        // DF set: addresses go down.
        let step = if self.f.df() {
            (size as u32).wrapping_neg()
        } else {
            size as u32
        };
        if op.sub & STR_ADDR16 != 0 || op.m.seg & 3 != 0 {
            return self.string_slow(mmu, op, what, step);
        }
        let src_base = self.seg_base[0];
        if op.sub == 0 {
            self.one(mmu, size, step, src_base, what)?;
            return Ok(());
        }
        let mut n = 0;
        let bulk = step == size as u32 && matches!(what, Str::Movs | Str::Stos);
        while self.r[ECX] != 0 {
            if n >= CHUNK {
                return Err(Stop::Again);
            }
            if bulk {
                let k = self.bulk(mmu, size, src_base, what, CHUNK - n)?;
                if k > 0 {
                    n += k;
                    continue;
                }
            }
            let equal = self.one(mmu, size, step, src_base, what)?;
            self.r[ECX] = self.r[ECX].wrapping_sub(1);
            n += 1;
            // repe stops on a difference, repne on a match (cmps/scas only).
            if matches!(what, Str::Cmps | Str::Scas) && equal != (op.sub == 1) {
                break;
            }
        }
        Ok(())
    }

    /// Forward `rep movs`/`rep stos`: as many elements as lie within one
    /// source and one destination page, with one translation of each (as
    /// the processor's fast strings work by cache lines). Returns how many
    /// were done: 0 leaves the next element to `one` (it straddles a page,
    /// or source and destination overlap so that element order matters).
    fn bulk(
        &mut self,
        mmu: &mut Mmu,
        size: u8,
        src_base: u32,
        what: Str,
        limit: u32,
    ) -> Result<u32, Stop> {
        let size = size as u32;
        let room = |a: u32| (PAGE_SIZE - (a & (PAGE_SIZE - 1))) / size;
        let (si, di) = (self.r[ESI], self.r[EDI]);
        let src = src_base.wrapping_add(si);
        let mut k = self.r[ECX].min(limit).min(room(di));
        if what == Str::Movs {
            k = k.min(room(src));
        }
        if k < 2 {
            return Ok(0);
        }
        let bytes = (k * size) as usize;
        let mut buf = [0u8; PAGE_SIZE as usize];
        if what == Str::Movs {
            let spa = mmu.translate(VirtAddr(src), Access::Read)?;
            let dpa = mmu.translate(VirtAddr(di), Access::Write)?;
            if dpa.0 > spa.0 && dpa.0 < spa.0 + bytes as u32 {
                return Ok(0);
            }
            mmu.phys().read_bytes(spa, &mut buf[..bytes]);
            mmu.phys_mut().write_bytes(dpa, &buf[..bytes]);
            self.r[ESI] = si.wrapping_add(k * size);
        } else {
            let dpa = mmu.translate(VirtAddr(di), Access::Write)?;
            let v = self.get(size as u8, EAX as u8).to_le_bytes();
            for chunk in buf[..bytes].chunks_exact_mut(size as usize) {
                chunk.copy_from_slice(&v[..size as usize]);
            }
            mmu.phys_mut().write_bytes(dpa, &buf[..bytes]);
        }
        self.r[EDI] = di.wrapping_add(k * size);
        self.r[ECX] -= k;
        Ok(k)
    }

    /// One element; returns whether a comparison found the operands equal.
    #[inline(always)]
    fn one(
        &mut self,
        mmu: &mut Mmu,
        size: u8,
        step: u32,
        src_base: u32,
        what: Str,
    ) -> Result<bool, Stop> {
        let (si, di) = (self.r[ESI], self.r[EDI]);
        let equal = self.element(mmu, size, src_base.wrapping_add(si), di, what)?;
        if what.reads_source() {
            self.r[ESI] = si.wrapping_add(step);
        }
        if what != Str::Lods {
            self.r[EDI] = di.wrapping_add(step);
        }
        Ok(equal)
    }

    /// The memory part of one element: source at linear `src`,
    /// destination at `dst`. Pointers are left to the caller.
    #[inline(always)]
    fn element(
        &mut self,
        mmu: &mut Mmu,
        size: u8,
        src: u32,
        dst: u32,
        what: Str,
    ) -> Result<bool, Stop> {
        match what {
            Str::Movs => {
                let v = self.load(mmu, size, src)?;
                self.store(mmu, size, dst, v)?;
                Ok(false)
            }
            Str::Stos => {
                self.store(mmu, size, dst, self.get(size, EAX as u8))?;
                Ok(false)
            }
            Str::Lods => {
                let v = self.load(mmu, size, src)?;
                self.set(size, EAX as u8, v);
                Ok(false)
            }
            Str::Cmps => {
                let a = self.load(mmu, size, src)?;
                let b = self.load(mmu, size, dst)?;
                self.f.commit(alu(alu_op::CMP, size, a, b, false));
                Ok(a == b)
            }
            Str::Scas => {
                let a = self.get(size, EAX as u8);
                let b = self.load(mmu, size, dst)?;
                self.f.commit(alu(alu_op::CMP, size, a, b, false));
                Ok(a == b)
            }
        }
    }

    /// Any string instruction one element at a time, with 16- or 32-bit
    /// addressing and the FS/GS check of each source element.
    #[inline(never)]
    fn string_slow(&mut self, mmu: &mut Mmu, op: &Op, what: Str, step: u32) -> Exec {
        let (size, rep) = (op.size, op.sub & 3);
        let a = if op.sub & STR_ADDR16 != 0 { 2 } else { 4 };
        let seg = (op.m.seg & 3) as usize;
        let src_base = self.seg_base[seg];
        let mut n = 0;
        loop {
            if rep != 0 {
                if self.get(a, ECX as u8) == 0 {
                    break;
                }
                if n >= CHUNK {
                    return Err(Stop::Again);
                }
            }
            let (si, di) = (self.get(a, ESI as u8), self.get(a, EDI as u8));
            if what.reads_source()
                && seg != 0
                && !self.seg.fs_gs[seg - 1].allows(si, size as u32, false)
            {
                return Err(self.gp(op));
            }
            let equal = self.element(mmu, size, src_base.wrapping_add(si), di, what)?;
            if what.reads_source() {
                self.set(a, ESI as u8, si.wrapping_add(step));
            }
            if what != Str::Lods {
                self.set(a, EDI as u8, di.wrapping_add(step));
            }
            if rep == 0 {
                break;
            }
            self.set(a, ECX as u8, self.get(a, ECX as u8).wrapping_sub(1));
            n += 1;
            if matches!(what, Str::Cmps | Str::Scas) && equal != (rep == 1) {
                break;
            }
        }
        Ok(())
    }
}

impl Str {
    fn reads_source(self) -> bool {
        matches!(self, Str::Movs | Str::Lods | Str::Cmps)
    }
}
