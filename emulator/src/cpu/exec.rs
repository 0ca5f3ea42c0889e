//! Executing one decoded instruction: the single `match` over [`Kind`],
//! each arm a call into the file of its instruction group.

use super::flags::Lazy;
use super::op::{alu_op as A, Kind, Op};
use super::state::{Exec, State, ECX};
use crate::addr::VirtAddr;
use crate::mmu::Mmu;

impl State {
    /// Execute one instruction; `self.eip` already points past it.
    #[inline(always)]
    pub fn exec(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        use Kind as K;
        match op.kind {
            K::MovRR => self.set(op.size, op.r1, self.get(op.size, op.r2)),
            K::MovRM => {
                let v = self.load(mmu, op.size, self.ea(&op.m))?;
                self.set(op.size, op.r1, v);
            }
            K::MovMR => self.store(mmu, op.size, self.ea(&op.m), self.get(op.size, op.r1))?,
            K::MovRI => self.set(op.size, op.r1, op.imm),
            K::MovMI => self.store(mmu, op.size, self.ea(&op.m), op.imm)?,
            K::MovxRR | K::MovxRM => self.movx(mmu, op)?,
            K::Lea => self.set(op.size, op.r1, self.ea(&op.m)),
            K::Cbw => self.cbw(op),
            K::Cwd => self.cwd(op),
            K::Xlat => self.xlat(mmu, op)?,
            K::Lahf => self.lahf(),
            K::Sahf => self.sahf(),
            K::FlagOp => self.flag_op(op),
            K::XchgRR | K::XchgRM => self.xchg(mmu, op)?,
            K::AluRR => self.alu_rr(op),
            K::AluRM => self.alu_rm(mmu, op)?,
            K::AluMR | K::AluMI => self.alu_m(mmu, op)?,
            K::AluRI => self.alu_ri(op),
            K::UnaryR => self.unary_r(op),
            K::UnaryM => self.unary_m(mmu, op)?,
            K::MulDivR | K::MulDivM => self.muldiv(mmu, op)?,
            K::Imul2RR | K::Imul2RM | K::Imul3R | K::Imul3M => self.imul_n(mmu, op)?,
            K::ShiftR | K::ShiftM => self.shift(mmu, op)?,
            K::ShdR | K::ShdM => self.shd(mmu, op)?,
            K::Jmp => self.eip = self.eip.wrapping_add(op.imm),
            K::JmpR => self.eip = self.r[op.r1 as usize & 7],
            K::JmpM => self.eip = mmu.read_u32(VirtAddr(self.ea(&op.m)))?,
            K::Jcc => {
                if self.f.cond(op.sub) {
                    self.eip = self.eip.wrapping_add(op.imm);
                }
            }
            K::Jo => self.jcc::<0>(op),
            K::Jno => self.jcc::<1>(op),
            K::Jb => self.jcc::<2>(op),
            K::Jae => self.jcc::<3>(op),
            K::Je => self.jcc::<4>(op),
            K::Jne => self.jcc::<5>(op),
            K::Jbe => self.jcc::<6>(op),
            K::Ja => self.jcc::<7>(op),
            K::Js => self.jcc::<8>(op),
            K::Jns => self.jcc::<9>(op),
            K::Jp => self.jcc::<10>(op),
            K::Jnp => self.jcc::<11>(op),
            K::Jl => self.jcc::<12>(op),
            K::Jge => self.jcc::<13>(op),
            K::Jle => self.jcc::<14>(op),
            K::Jg => self.jcc::<15>(op),
            K::Jecxz | K::Loop => self.loop_jump(op),
            K::Call | K::CallR | K::CallM => self.call(mmu, op)?,
            K::Ret => self.ret(mmu, op)?,
            K::SetccR => self.set(1, op.r1, self.f.cond(op.sub) as u32),
            K::SetccM => self.store(mmu, 1, self.ea(&op.m), self.f.cond(op.sub) as u32)?,
            K::CmovRR | K::CmovRM => self.cmov(mmu, op)?,
            K::PushR | K::PushM | K::PushI => self.push_op(mmu, op)?,
            K::PopR | K::PopM => self.pop_op(mmu, op)?,
            K::Pushad => self.pushad(mmu, op)?,
            K::Popad => self.popad(mmu, op)?,
            K::Pushf => self.pushf(mmu, op)?,
            K::Popf => self.popf(mmu, op)?,
            K::Leave => self.leave(mmu, op)?,
            K::Enter => self.enter(mmu, op)?,
            K::BtR | K::BtM => self.bt(mmu, op)?,
            K::BsfR | K::BsfM | K::BsrR | K::BsrM => self.bsf_bsr(mmu, op)?,
            K::Bswap => self.r[op.r1 as usize & 7] = self.r[op.r1 as usize & 7].swap_bytes(),
            K::CmpxchgR | K::CmpxchgM => self.cmpxchg(mmu, op)?,
            K::Cmpxchg8b => self.cmpxchg8b(mmu, op)?,
            K::XaddR | K::XaddM => self.xadd(mmu, op)?,
            K::Movs => self.movs(mmu, op)?,
            K::Stos => self.stos(mmu, op)?,
            K::Lods => self.lods(mmu, op)?,
            K::Cmps => self.cmps(mmu, op)?,
            K::Scas => self.scas(mmu, op)?,
            K::Nop => {}
            K::Int | K::Int3 | K::Priv | K::Ud => return Err(self.trap(mmu, op)),
            K::Cpuid => self.cpuid(),
            K::Rdtsc => self.rdtsc(),
            K::SegReadR | K::SegReadM | K::SegWriteR | K::SegWriteM => self.seg_mov(mmu, op)?,
            K::PushSeg => self.push_seg(mmu, op)?,
            K::PopSeg => self.pop_seg(mmu, op)?,
            K::LoadFar => self.load_far(mmu, op)?,
            K::LarLslR | K::LarLslM => self.lar_lsl(mmu, op)?,
            K::VerR | K::VerM => self.ver(mmu, op)?,
            K::ArplR | K::ArplM => self.arpl(mmu, op)?,
            K::FarJmp => self.far_jmp(mmu, op)?,
            K::FarCall => self.far_call(mmu, op)?,
            K::FarRet => self.far_ret(mmu, op)?,
            K::Iret => self.iret(mmu, op)?,
            K::Bcd => self.bcd(op),
            K::Aam => self.aam(op)?,
            K::Aad => self.aad(op),
            K::Addr16 => self.addr16(mmu, op)?,
            K::SegCheck => self.seg_check(mmu, op)?,
            K::Branch16 => self.branch16(mmu, op)?,
            K::Mov32RR => self.r[op.r1 as usize & 7] = self.r[op.r2 as usize & 7],
            K::Mov32RM => self.r[op.r1 as usize & 7] = mmu.read_u32(VirtAddr(self.ea(&op.m)))?,
            K::Mov32MR => mmu.write_u32(VirtAddr(self.ea(&op.m)), self.r[op.r1 as usize & 7])?,
            K::Lea32 => self.r[op.r1 as usize & 7] = self.ea(&op.m),
            K::Push32R => self.push32(mmu, op)?,
            K::Pop32R => self.pop32(mmu, op)?,
            K::Inc32 | K::Dec32 => self.incdec32(op),
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
            K::Neg32 => self.neg32(op),
            K::Not32 => self.r[op.r1 as usize & 7] = !self.r[op.r1 as usize & 7],
            K::Movzb32RR => self.r[op.r1 as usize & 7] = self.get(1, op.r2),
            K::Movzw32RR => self.r[op.r1 as usize & 7] = self.r[op.r2 as usize & 7] & 0xffff,
            K::Movsb32RR => self.r[op.r1 as usize & 7] = self.get(1, op.r2) as i8 as u32,
            K::Movsw32RR => self.r[op.r1 as usize & 7] = self.r[op.r2 as usize & 7] as i16 as u32,
            K::Movzb32RM => self.r[op.r1 as usize & 7] = self.load8(mmu, op)? as u32,
            K::Movzw32RM => self.r[op.r1 as usize & 7] = self.load16(mmu, op)? as u32,
            K::Movsb32RM => self.r[op.r1 as usize & 7] = self.load8(mmu, op)? as i8 as u32,
            K::Movsw32RM => self.r[op.r1 as usize & 7] = self.load16(mmu, op)? as i16 as u32,
            K::Mov32MI => mmu.write_u32(VirtAddr(self.ea(&op.m)), op.imm)?,
            K::Mov8MR => mmu.write_u8(VirtAddr(self.ea(&op.m)), self.get(1, op.r1) as u8)?,
            K::Mov8MI => mmu.write_u8(VirtAddr(self.ea(&op.m)), op.imm as u8)?,
            K::Cmp8MI => {
                let a = self.load8(mmu, op)? as u32;
                self.f
                    .set(Lazy::Sub, 0x80, a, op.imm, a.wrapping_sub(op.imm) & 0xff);
            }
            K::Cmp32MI => {
                let a = mmu.read_u32(VirtAddr(self.ea(&op.m)))?;
                self.f
                    .set(Lazy::Sub, 0x8000_0000, a, op.imm, a.wrapping_sub(op.imm));
            }
            K::X87 => self.x87(mmu, op)?,
            // Fused compare-and-branch (fuse.rs): the immediate forms keep
            // the displacement in `m.disp`.
            K::CmpJccRR => {
                let (a, b) = (self.r[op.r1 as usize & 7], self.r[op.r2 as usize & 7]);
                self.cmp_jcc(op.sub, a, b, op.imm)
            }
            K::CmpJccRI => self.cmp_jcc(op.sub, self.r[op.r1 as usize & 7], op.imm, op.m.disp),
            K::CmpJccRM => {
                let b = mmu.read_u32(VirtAddr(self.ea(&op.m)))?;
                self.cmp_jcc(op.sub, self.r[op.r1 as usize & 7], b, op.imm)
            }
            K::CmpJcc8MI => {
                let a = self.load8(mmu, op)? as u32;
                self.cmp8_jcc(op.sub, a, op.r1 as u32, op.imm)
            }
            K::TestJccRR => {
                let (a, b) = (self.r[op.r1 as usize & 7], self.r[op.r2 as usize & 7]);
                self.test_jcc(op.sub, a, b, op.imm)
            }
            K::TestJccRI => self.test_jcc(op.sub, self.r[op.r1 as usize & 7], op.imm, op.m.disp),
        }
        Ok(())
    }

    /// `exec` out of line, for the wrappers (address.rs) to run the
    /// instruction they wrap.
    #[inline(never)]
    pub(super) fn exec_inner(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        self.exec(mmu, op)
    }
}
