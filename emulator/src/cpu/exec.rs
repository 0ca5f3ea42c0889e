//! Executing one decoded instruction: the single `match` over [`Kind`],
//! each arm a call into the file of its instruction group.
//!
//! Most instructions never look at EIP, so the loop over a block's ops
//! does not keep it up to date: an op knows where it ends in its page
//! (`Op::end`), and each arm says what it did to the flow of control
//! ([`Flow`]). The few that read EIP (calls, traps, anything reporting its
//! own address, x87's instruction pointer) have it stored first.

use super::flags::Lazy;
use super::op::{alu_op as A, Kind, Op};
use super::state::{Exec, State, Stop, ECX};
use crate::addr::VirtAddr;
use crate::mmu::Mmu;
use crate::trap::Trap;

/// What an op did besides its work, for the loop running it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Flow {
    /// On to the next instruction; EIP not written, nothing stored.
    Next,
    /// The same after a store, which may have written decoded code.
    Stored,
    /// A branch taken or a `ret`: EIP is where it went; nothing stored.
    Jump,
    /// EIP written: the next instruction's address, or wherever the op
    /// went. It may have stored.
    Eip,
}

impl State {
    /// Execute one instruction; `self.eip` already points past it.
    #[inline(always)]
    pub fn exec(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        let page = self.eip.wrapping_sub(op.end as u32);
        self.step(mmu, op, page).map(|_| ())
    }

    /// Execute `op`, one of the ops decoded from the page at `page`, EIP
    /// left alone unless the result says otherwise.
    #[inline(always)]
    pub(super) fn step(&mut self, mmu: &mut Mmu, op: &Op, page: u32) -> Result<Flow, Stop> {
        use Flow::{Eip, Jump, Next, Stored};
        use Kind as K;
        // (Worked out in the arms that need it, not before the dispatch.)
        let next = || page.wrapping_add(op.end as u32);
        Ok(match op.kind {
            K::MovRR => {
                self.set(op.size, op.r1, self.get(op.size, op.r2));
                Next
            }
            K::MovRM => {
                let v = self.load(mmu, op.size, self.ea(&op.m))?;
                self.set(op.size, op.r1, v);
                Next
            }
            K::MovMR => {
                self.store(mmu, op.size, self.ea(&op.m), self.get(op.size, op.r1))?;
                Stored
            }
            K::MovRI => {
                self.set(op.size, op.r1, op.imm);
                Next
            }
            K::MovMI => {
                self.store(mmu, op.size, self.ea(&op.m), op.imm)?;
                Stored
            }
            K::MovxRR | K::MovxRM => {
                self.movx(mmu, op)?;
                Next
            }
            K::Lea => {
                self.set(op.size, op.r1, self.ea(&op.m));
                Next
            }
            K::Cbw => {
                self.cbw(op);
                Next
            }
            K::Cwd => {
                self.cwd(op);
                Next
            }
            K::Lahf => {
                self.lahf();
                Next
            }
            K::Sahf => {
                self.sahf();
                Next
            }
            K::FlagOp => {
                self.flag_op(op);
                Next
            }
            K::XchgRR => {
                self.xchg(mmu, op)?;
                Next
            }
            K::XchgRM => {
                self.xchg(mmu, op)?;
                Stored
            }
            K::AluRR => {
                self.alu_rr(op);
                Next
            }
            K::AluRM => {
                self.alu_rm(mmu, op)?;
                Next
            }
            K::AluMR | K::AluMI => {
                self.alu_m(mmu, op)?;
                Stored
            }
            K::AluRI => {
                self.alu_ri(op);
                Next
            }
            K::UnaryR => {
                self.unary_r(op);
                Next
            }
            K::UnaryM => {
                self.unary_m(mmu, op)?;
                Stored
            }
            K::Imul2RR | K::Imul2RM | K::Imul3R | K::Imul3M => {
                self.imul_n(mmu, op)?;
                Next
            }
            K::ShiftR => {
                self.shift(mmu, op)?;
                Next
            }
            K::ShiftM => {
                self.shift(mmu, op)?;
                Stored
            }
            K::ShdR => {
                self.shd(mmu, op)?;
                Next
            }
            K::ShdM => {
                self.shd(mmu, op)?;
                Stored
            }
            K::Jmp => self.branch(true, next(), op.imm),
            K::JmpR => {
                self.eip = self.r[op.r1 as usize & 7];
                Jump
            }
            K::JmpM => {
                self.eip = mmu.read_u32(VirtAddr(self.ea(&op.m)))?;
                Jump
            }
            K::Jcc => self.branch(self.f.cond(op.sub), next(), op.imm),
            K::Jo => self.branch(self.f.cond(0), next(), op.imm),
            K::Jno => self.branch(self.f.cond(1), next(), op.imm),
            K::Jb => self.branch(self.f.cond(2), next(), op.imm),
            K::Jae => self.branch(self.f.cond(3), next(), op.imm),
            K::Je => self.branch(self.f.cond(4), next(), op.imm),
            K::Jne => self.branch(self.f.cond(5), next(), op.imm),
            K::Jbe => self.branch(self.f.cond(6), next(), op.imm),
            K::Ja => self.branch(self.f.cond(7), next(), op.imm),
            K::Js => self.branch(self.f.cond(8), next(), op.imm),
            K::Jns => self.branch(self.f.cond(9), next(), op.imm),
            K::Jp => self.branch(self.f.cond(10), next(), op.imm),
            K::Jnp => self.branch(self.f.cond(11), next(), op.imm),
            K::Jl => self.branch(self.f.cond(12), next(), op.imm),
            K::Jge => self.branch(self.f.cond(13), next(), op.imm),
            K::Jle => self.branch(self.f.cond(14), next(), op.imm),
            K::Jg => self.branch(self.f.cond(15), next(), op.imm),
            K::Ret => {
                self.ret(mmu, op)?;
                Jump
            }
            K::SetccR => {
                self.set(1, op.r1, self.f.cond(op.sub) as u32);
                Next
            }
            K::SetccM => {
                self.store(mmu, 1, self.ea(&op.m), self.f.cond(op.sub) as u32)?;
                Stored
            }
            K::CmovRR | K::CmovRM => {
                self.cmov(mmu, op)?;
                Next
            }
            K::PushR | K::PushM | K::PushI => {
                self.push_op(mmu, op)?;
                Stored
            }
            K::PopR => {
                self.pop_op(mmu, op)?;
                Next
            }
            K::PopM => {
                self.pop_op(mmu, op)?;
                Stored
            }
            K::Pushad => {
                self.pushad(mmu, op)?;
                Stored
            }
            K::Popad => {
                self.popad(mmu, op)?;
                Next
            }
            K::Pushf => {
                self.pushf(mmu, op)?;
                Stored
            }
            K::Popf => {
                self.popf(mmu, op)?;
                Next
            }
            K::Leave => {
                self.leave(mmu, op)?;
                Next
            }
            K::Enter => {
                self.enter(mmu, op)?;
                Stored
            }
            K::BtR => {
                self.bt(mmu, op)?;
                Next
            }
            K::BtM => {
                self.bt(mmu, op)?;
                Stored
            }
            K::BsfR | K::BsfM | K::BsrR | K::BsrM => {
                self.bsf_bsr(mmu, op)?;
                Next
            }
            K::Bswap => {
                self.r[op.r1 as usize & 7] = self.r[op.r1 as usize & 7].swap_bytes();
                Next
            }
            K::CmpxchgR => {
                self.cmpxchg(mmu, op)?;
                Next
            }
            K::CmpxchgM => {
                self.cmpxchg(mmu, op)?;
                Stored
            }
            K::Cmpxchg8b => {
                self.cmpxchg8b(mmu, op)?;
                Stored
            }
            K::XaddR => {
                self.xadd(mmu, op)?;
                Next
            }
            K::XaddM => {
                self.xadd(mmu, op)?;
                Stored
            }
            K::Nop => Next,
            K::Cpuid => {
                self.cpuid();
                Next
            }
            K::Rdtsc => {
                self.rdtsc();
                Next
            }
            K::SegReadR => {
                self.seg_mov(mmu, op)?;
                Next
            }
            K::SegReadM => {
                self.seg_mov(mmu, op)?;
                Stored
            }
            K::PushSeg => {
                self.push_seg(mmu, op)?;
                Stored
            }
            K::LarLslR | K::LarLslM => {
                self.lar_lsl(mmu, op)?;
                Next
            }
            K::VerR | K::VerM => {
                self.ver(mmu, op)?;
                Next
            }
            K::ArplR => {
                self.arpl(mmu, op)?;
                Next
            }
            K::ArplM => {
                self.arpl(mmu, op)?;
                Stored
            }
            K::Bcd => {
                self.bcd(op);
                Next
            }
            K::Aad => {
                self.aad(op);
                Next
            }
            // These read EIP: a call pushes it, a jump by 16 bits
            // truncates it, a fault (#GP from a segment check or load,
            // #DE, #UD) reports it, x87 records it.
            K::Xlat => {
                self.eip = next();
                self.xlat(mmu, op)?;
                Eip
            }
            K::Movs => {
                self.eip = next();
                self.movs(mmu, op)?;
                Eip
            }
            K::Stos => {
                self.eip = next();
                self.stos(mmu, op)?;
                Eip
            }
            K::Lods => {
                self.eip = next();
                self.lods(mmu, op)?;
                Eip
            }
            K::Cmps => {
                self.eip = next();
                self.cmps(mmu, op)?;
                Eip
            }
            K::Scas => {
                self.eip = next();
                self.scas(mmu, op)?;
                Eip
            }
            K::SegWriteR | K::SegWriteM => {
                self.eip = next();
                self.seg_mov(mmu, op)?;
                Eip
            }
            K::PopSeg => {
                self.eip = next();
                self.pop_seg(mmu, op)?;
                Eip
            }
            K::LoadFar => {
                self.eip = next();
                self.load_far(mmu, op)?;
                Eip
            }
            K::Call | K::CallR | K::CallM => {
                self.eip = next();
                self.call(mmu, op)?;
                Eip
            }
            K::Jecxz | K::Loop => {
                self.eip = next();
                self.loop_jump(op);
                Eip
            }
            K::MulDivR | K::MulDivM => {
                self.eip = next();
                self.muldiv(mmu, op)?;
                Eip
            }
            // A system call's trap is built here, where the loop returns
            // it from (not copied out of `trap`'s result).
            K::Int if op.imm == 0x80 => {
                self.eip = next();
                return Err(Stop::TrapAfter(Trap::Syscall));
            }
            K::Int | K::Int3 | K::Priv | K::Ud => {
                self.eip = next();
                return Err(self.trap(mmu, op));
            }
            K::Aam => {
                self.eip = next();
                self.aam(op)?;
                Eip
            }
            K::FarJmp => {
                self.eip = next();
                self.far_jmp(mmu, op)?;
                Eip
            }
            K::FarCall => {
                self.eip = next();
                self.far_call(mmu, op)?;
                Eip
            }
            K::FarRet => {
                self.eip = next();
                self.far_ret(mmu, op)?;
                Eip
            }
            K::Iret => {
                self.eip = next();
                self.iret(mmu, op)?;
                Eip
            }
            K::Addr16 => {
                self.eip = next();
                self.addr16(mmu, op)?;
                Eip
            }
            K::SegCheck => {
                self.eip = next();
                self.seg_check(mmu, op)?;
                Eip
            }
            K::Branch16 => {
                self.eip = next();
                self.branch16(mmu, op)?;
                Eip
            }
            K::X87 => {
                self.eip = next();
                self.x87(mmu, op)?;
                Eip
            }
            // The specialised forms (fast.rs).
            K::Mov32RR => {
                self.r[op.r1 as usize & 7] = self.r[op.r2 as usize & 7];
                Next
            }
            K::Mov32RM => {
                self.r[op.r1 as usize & 7] = mmu.read_u32(VirtAddr(self.ea(&op.m)))?;
                Next
            }
            K::Mov32MR => {
                mmu.write_u32(VirtAddr(self.ea(&op.m)), self.r[op.r1 as usize & 7])?;
                Stored
            }
            K::Lea32 => {
                self.r[op.r1 as usize & 7] = self.ea(&op.m);
                Next
            }
            K::Push32R => {
                self.push32(mmu, op)?;
                Stored
            }
            K::Pop32R => {
                self.pop32(mmu, op)?;
                Next
            }
            K::Inc32 | K::Dec32 => {
                self.incdec32(op);
                Next
            }
            K::Add32RR => self.alu32_rr::<{ A::ADD }>(op),
            K::Add32RI => self.alu32_ri::<{ A::ADD }>(op),
            K::Add32RM => self.alu32_rm::<{ A::ADD }>(mmu, op)?,
            K::Sub32RR => self.alu32_rr::<{ A::SUB }>(op),
            K::Sub32RI => self.alu32_ri::<{ A::SUB }>(op),
            K::Sub32RM => self.alu32_rm::<{ A::SUB }>(mmu, op)?,
            K::And32RR => self.alu32_rr::<{ A::AND }>(op),
            K::And32RI => self.alu32_ri::<{ A::AND }>(op),
            K::Or32RR => self.alu32_rr::<{ A::OR }>(op),
            K::Or32RI => self.alu32_ri::<{ A::OR }>(op),
            K::Xor32RR => self.alu32_rr::<{ A::XOR }>(op),
            K::Xor32RI => self.alu32_ri::<{ A::XOR }>(op),
            K::Cmp32RR => self.alu32_rr::<{ A::CMP }>(op),
            K::Cmp32RI => self.alu32_ri::<{ A::CMP }>(op),
            K::Cmp32RM => self.alu32_rm::<{ A::CMP }>(mmu, op)?,
            K::Test32RR => self.alu32_rr::<{ A::TEST }>(op),
            K::Test32RI => self.alu32_ri::<{ A::TEST }>(op),
            K::Shl32RI => self.shift32::<{ Lazy::Shl as u8 }>(op, op.imm & 31),
            K::Shr32RI => self.shift32::<{ Lazy::Shr as u8 }>(op, op.imm & 31),
            K::Sar32RI => self.shift32::<{ Lazy::Sar as u8 }>(op, op.imm & 31),
            K::Shl32RC => self.shift32::<{ Lazy::Shl as u8 }>(op, self.r[ECX] & 31),
            K::Shr32RC => self.shift32::<{ Lazy::Shr as u8 }>(op, self.r[ECX] & 31),
            K::Sar32RC => self.shift32::<{ Lazy::Sar as u8 }>(op, self.r[ECX] & 31),
            K::Neg32 => {
                self.neg32(op);
                Next
            }
            K::Not32 => {
                self.r[op.r1 as usize & 7] = !self.r[op.r1 as usize & 7];
                Next
            }
            K::Movzb32RR => self.load_reg(op, self.get(1, op.r2)),
            K::Movzw32RR => self.load_reg(op, self.r[op.r2 as usize & 7] & 0xffff),
            K::Movsb32RR => self.load_reg(op, self.get(1, op.r2) as i8 as u32),
            K::Movsw32RR => self.load_reg(op, self.r[op.r2 as usize & 7] as i16 as u32),
            K::Movzb32RM => self.load_reg(op, self.load8(mmu, op)? as u32),
            K::Movzw32RM => self.load_reg(op, self.load16(mmu, op)? as u32),
            K::Movsb32RM => self.load_reg(op, self.load8(mmu, op)? as i8 as u32),
            K::Movsw32RM => self.load_reg(op, self.load16(mmu, op)? as i16 as u32),
            K::Mov32MI => {
                mmu.write_u32(VirtAddr(self.ea(&op.m)), op.imm)?;
                Stored
            }
            K::Mov8MR => {
                mmu.write_u8(VirtAddr(self.ea(&op.m)), self.get(1, op.r1) as u8)?;
                Stored
            }
            K::Mov8MI => {
                mmu.write_u8(VirtAddr(self.ea(&op.m)), op.imm as u8)?;
                Stored
            }
            K::Cmp8MI => {
                let a = self.load8(mmu, op)? as u32;
                self.f
                    .set(Lazy::Sub, 0x80, a, op.imm, a.wrapping_sub(op.imm) & 0xff);
                Next
            }
            K::Cmp32MI => {
                let a = mmu.read_u32(VirtAddr(self.ea(&op.m)))?;
                self.f
                    .set(Lazy::Sub, 0x8000_0000, a, op.imm, a.wrapping_sub(op.imm));
                Next
            }
            // Fused compare-and-branch (fuse.rs): the immediate forms keep
            // the displacement in `m.disp`.
            K::CmpJccRR => {
                let (a, b) = (self.r[op.r1 as usize & 7], self.r[op.r2 as usize & 7]);
                let taken = self.cmp_jcc(op.sub, a, b);
                self.branch(taken, next(), op.imm)
            }
            K::CmpJccRI => {
                let taken = self.cmp_jcc(op.sub, self.r[op.r1 as usize & 7], op.imm);
                self.branch(taken, next(), op.m.disp)
            }
            K::CmpJccRM => {
                let b = mmu.read_u32(VirtAddr(self.ea(&op.m)))?;
                let taken = self.cmp_jcc(op.sub, self.r[op.r1 as usize & 7], b);
                self.branch(taken, next(), op.imm)
            }
            K::CmpJcc8MI => {
                let a = self.load8(mmu, op)? as u32;
                let taken = self.cmp8_jcc(op.sub, a, op.r1 as u32);
                self.branch(taken, next(), op.imm)
            }
            K::TestJccRR => {
                let (a, b) = (self.r[op.r1 as usize & 7], self.r[op.r2 as usize & 7]);
                let taken = self.test_jcc(op.sub, a, b);
                self.branch(taken, next(), op.imm)
            }
            K::TestJccRI => {
                let taken = self.test_jcc(op.sub, self.r[op.r1 as usize & 7], op.imm);
                self.branch(taken, next(), op.m.disp)
            }
            K::SubJccRI => {
                let taken = self.sub_jcc(op);
                self.branch(taken, next(), op.m.disp)
            }
            K::IncJcc => {
                let taken = self.step_jcc::<true>(op);
                self.branch(taken, next(), op.imm)
            }
            K::DecJcc => {
                let taken = self.step_jcc::<false>(op);
                self.branch(taken, next(), op.imm)
            }
            // The same with no index register (fast.rs).
            K::Mov32RMB => {
                self.r[op.r1 as usize & 7] = mmu.read_u32(VirtAddr(self.ea_b(&op.m)))?;
                Next
            }
            K::Mov32MRB => {
                mmu.write_u32(VirtAddr(self.ea_b(&op.m)), self.r[op.r1 as usize & 7])?;
                Stored
            }
            K::Mov8MIB => {
                mmu.write_u8(VirtAddr(self.ea_b(&op.m)), op.imm as u8)?;
                Stored
            }
            K::Lea32B => {
                self.r[op.r1 as usize & 7] = self.ea_b(&op.m);
                Next
            }
            K::Movzb32RMB => {
                let v = mmu.read_u8(VirtAddr(self.ea_b(&op.m)))?;
                self.load_reg(op, v as u32)
            }
            K::CmpJcc8MIB => {
                let a = mmu.read_u8(VirtAddr(self.ea_b(&op.m)))? as u32;
                let taken = self.cmp8_jcc(op.sub, a, op.r1 as u32);
                self.branch(taken, next(), op.imm)
            }
        })
    }

    /// A relative branch from `next` by `disp`, if `taken`.
    #[inline(always)]
    fn branch(&mut self, taken: bool, next: u32, disp: u32) -> Flow {
        if taken {
            self.eip = next.wrapping_add(disp);
            Flow::Jump
        } else {
            Flow::Next
        }
    }

    #[inline(always)]
    fn load_reg(&mut self, op: &Op, v: u32) -> Flow {
        self.r[op.r1 as usize & 7] = v;
        Flow::Next
    }

    /// `exec` out of line, for the wrappers (address.rs) to run the
    /// instruction they wrap.
    #[inline(never)]
    pub(super) fn exec_inner(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        self.exec(mmu, op)
    }
}
