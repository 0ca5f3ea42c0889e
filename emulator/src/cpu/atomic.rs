//! cmpxchg, cmpxchg8b, xadd (the `lock` prefix is accepted and changes
//! nothing: there is one CPU). The memory forms always write the
//! destination, old value or new, as the processor's locked read-modify-
//! write does (Intel SDM Vol. 2A, CMPXCHG), so a read-only page faults
//! even when the comparison fails.

use super::alu::alu;
use super::eflags::ZF;
use super::op::{alu_op, Kind, Op};
use super::state::{Exec, State, EAX, EBX, ECX, EDX};
use crate::addr::VirtAddr;
use crate::mmu::Mmu;

impl State {
    /// cmpxchg dest, src: if accumulator == dest then dest = src, else
    /// accumulator = dest; flags as `cmp accumulator, dest`.
    /// Register form: r1 = src, r2 = dest.
    pub(super) fn cmpxchg(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        let size = op.size;
        let src = self.get(size, op.r1);
        let acc = self.get(size, EAX as u8);
        let addr = self.ea(&op.m);
        let dest = if op.kind == Kind::CmpxchgM {
            self.load(mmu, size, addr)?
        } else {
            self.get(size, op.r2)
        };
        let x = alu(alu_op::CMP, size, acc, dest, false);
        let equal = acc == dest;
        let new = if equal { src } else { dest };
        if op.kind == Kind::CmpxchgM {
            self.store(mmu, size, addr, new)?;
        } else if equal {
            self.set(size, op.r2, src);
        }
        if !equal {
            self.set(size, EAX as u8, dest);
        }
        self.f.commit(x);
        Ok(())
    }

    /// cmpxchg8b m64: compare EDX:EAX with m64; equal → m64 = ECX:EBX and
    /// ZF = 1, else EDX:EAX = m64 and ZF = 0. Other flags are kept.
    pub(super) fn cmpxchg8b(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        let addr = self.ea(&op.m);
        let lo = mmu.read_u32(VirtAddr(addr))?;
        let hi = mmu.read_u32(VirtAddr(addr.wrapping_add(4)))?;
        mmu.probe_write(VirtAddr(addr), 8)?;
        let equal = lo == self.r[EAX] && hi == self.r[EDX];
        let (nlo, nhi) = if equal {
            (self.r[EBX], self.r[ECX])
        } else {
            (lo, hi)
        };
        mmu.write_u32(VirtAddr(addr), nlo)?;
        mmu.write_u32(VirtAddr(addr.wrapping_add(4)), nhi)?;
        if !equal {
            self.r[EAX] = lo;
            self.r[EDX] = hi;
        }
        self.f.put_bit(ZF, equal);
        Ok(())
    }

    /// xadd dest, src: temp = dest + src; src = dest; dest = temp.
    /// Register form: r1 = src, r2 = dest.
    pub(super) fn xadd(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        let size = op.size;
        let src = self.get(size, op.r1);
        let addr = self.ea(&op.m);
        let dest = if op.kind == Kind::XaddM {
            self.load(mmu, size, addr)?
        } else {
            self.get(size, op.r2)
        };
        let x = alu(alu_op::ADD, size, dest, src, false);
        if op.kind == Kind::XaddM {
            self.store(mmu, size, addr, x.r)?;
            self.set(size, op.r1, dest);
        } else {
            self.set(size, op.r1, dest);
            self.set(size, op.r2, x.r);
        }
        self.f.commit(x);
        Ok(())
    }
}
