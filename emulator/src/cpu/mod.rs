//! The IA-32 user-mode integer CPU: registers, lazy flags, and the loop that
//! runs decoded instructions until something needs the operating system.
//!
//! Every instruction either completes or changes nothing: loads and write
//! checks come before the first change to registers, flags or memory, so a
//! page fault leaves EIP at the instruction and the kernel can resume it
//! after mapping the page (Intel SDM Vol. 3A §6.5, faults are restartable).

mod alu;
mod atomic;
mod bits;
mod cache;
mod data;
mod decode;
mod decode_more;
mod disasm;
pub mod flags;
mod flow;
mod muldiv;
mod op;
mod shift;
mod stack;
mod string;
mod system;

pub use disasm::{disassemble, disassemble_bytes};

use crate::addr::VirtAddr;
use crate::mmu::Mmu;
use crate::trap::{PageFault, Trap};
use cache::CodeCache;
use flags::Flags;
use op::{Kind, Mem, Op};

/// General-purpose registers in x86 encoding order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Reg {
    Eax = 0,
    Ecx = 1,
    Edx = 2,
    Ebx = 3,
    Esp = 4,
    Ebp = 5,
    Esi = 6,
    Edi = 7,
}

/// A snapshot of the architectural registers (debugger, traces, tests).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Registers {
    pub gpr: [u32; 8],
    pub eip: u32,
    pub eflags: u32,
    pub fs_base: u32,
    pub gs_base: u32,
}

const EAX: usize = 0;
const ECX: usize = 1;
const EDX: usize = 2;
const EBX: usize = 3;
const ESP: usize = 4;
const EBP: usize = 5;
const ESI: usize = 6;
const EDI: usize = 7;

/// Why an instruction did not complete normally.
pub(crate) enum Stop {
    /// A page fault: nothing changed, EIP goes back to the instruction.
    Fault(PageFault),
    /// A fault-class trap (#GP #UD #DE): EIP goes back to the instruction.
    Fault2(Trap),
    /// A trap after the instruction (`int 0x80`, `int3`): it retires.
    After(Trap),
    /// A repeated string instruction paused between iterations (registers
    /// describe the remaining work); it runs on from the same EIP.
    Again,
}

impl From<PageFault> for Stop {
    #[inline(always)]
    fn from(pf: PageFault) -> Stop {
        Stop::Fault(pf)
    }
}

type Exec = Result<(), Stop>;

pub struct Cpu {
    /// EAX..EDI, then slots 8..15 that stay zero: `op::NOREG` indexes one,
    /// so an absent base or index register adds nothing.
    r: [u32; 16],
    eip: u32,
    /// Segment bases by `Mem::seg`: flat, FS, GS.
    seg_base: [u32; 3],
    f: Flags,
    retired: u64,
    code: CodeCache,
}

impl Default for Cpu {
    fn default() -> Self {
        Self::new()
    }
}

impl Cpu {
    pub fn new() -> Cpu {
        Cpu {
            r: [0; 16],
            eip: 0,
            seg_base: [0; 3],
            f: Flags::new(),
            retired: 0,
            code: CodeCache::default(),
        }
    }
    pub fn reg(&self, r: Reg) -> u32 {
        self.r[r as usize]
    }
    pub fn set_reg(&mut self, r: Reg, v: u32) {
        self.r[r as usize] = v;
    }
    pub fn eip(&self) -> VirtAddr {
        VirtAddr(self.eip)
    }
    pub fn set_eip(&mut self, eip: VirtAddr) {
        self.eip = eip.0;
    }
    /// The architectural EFLAGS: bit 1 and IF set, status flags computed.
    pub fn eflags(&self) -> u32 {
        self.f.get()
    }
    /// Set the status flags and DF (and AC, ID); IF and reserved bits keep
    /// their values, as `popf` at CPL 3 does.
    pub fn set_eflags(&mut self, v: u32) {
        self.f.load(v);
    }
    pub fn registers(&self) -> Registers {
        let mut gpr = [0; 8];
        gpr.copy_from_slice(&self.r[..8]);
        Registers {
            gpr,
            eip: self.eip,
            eflags: self.eflags(),
            fs_base: self.seg_base[1],
            gs_base: self.seg_base[2],
        }
    }
    pub fn set_fs_base(&mut self, b: u32) {
        self.seg_base[1] = b;
    }
    pub fn set_gs_base(&mut self, b: u32) {
        self.seg_base[2] = b;
    }
    pub fn fs_base(&self) -> u32 {
        self.seg_base[1]
    }
    pub fn gs_base(&self) -> u32 {
        self.seg_base[2]
    }
    /// Instructions retired since the CPU was made.
    pub fn retired(&self) -> u64 {
        self.retired
    }
    /// Physical frames with decoded instructions cached.
    pub fn decoded_pages(&self) -> usize {
        self.code.pages()
    }

    /// Run until a trap, retiring at most `budget` instructions.
    pub fn run(&mut self, mmu: &mut Mmu, budget: u64) -> Trap {
        self.code.sync(mmu);
        let mut left = budget;
        loop {
            if left == 0 {
                return Trap::InstructionLimit;
            }
            if self.code.stale(mmu) {
                self.code.drop_stale(mmu);
            }
            let eip = self.eip;
            if eip >> 12 != self.code.cur_vpn {
                if let Err(pf) = self.code.enter(mmu, eip) {
                    return self.fault(pf, eip);
                }
            }
            let op = match self.code.lookup(eip) {
                Some(op) => op,
                None => match self.code.miss(mmu, eip) {
                    Ok(op) => op,
                    Err(pf) => return self.fault(pf, eip),
                },
            };
            self.eip = eip.wrapping_add(op.len as u32);
            match self.exec(mmu, &op) {
                Ok(()) => {
                    self.retired += 1;
                    left -= 1;
                }
                Err(stop) => match stop {
                    Stop::Fault(pf) => return self.fault(pf, eip),
                    Stop::Fault2(t) => {
                        self.eip = eip;
                        return t;
                    }
                    Stop::After(t) => {
                        self.retired += 1;
                        return t;
                    }
                    Stop::Again => {
                        // Counts against the budget, so a long `rep` still
                        // returns control; it retires when it completes.
                        self.eip = eip;
                        left -= 1;
                    }
                },
            }
        }
    }

    #[cold]
    fn fault(&mut self, pf: PageFault, eip: u32) -> Trap {
        self.eip = eip;
        Trap::PageFault {
            addr: pf.addr,
            code: pf.code,
            eip: VirtAddr(eip),
        }
    }

    /// Execute one instruction; `self.eip` already points past it.
    #[inline(always)]
    fn exec(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
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
            K::Jecxz | K::Loop => self.loop_jump(op),
            K::Call | K::CallR | K::CallM => self.call(mmu, op)?,
            K::Ret => self.ret(mmu, op)?,
            K::SetccR => self.set(1, op.r1, self.f.cond(op.sub) as u32),
            K::SetccM => self.store(mmu, 1, self.ea(&op.m), self.f.cond(op.sub) as u32)?,
            K::CmovRR | K::CmovRM => self.cmov(mmu, op)?,
            K::PushR | K::PushM | K::PushI => self.push_op(mmu, op)?,
            K::PopR | K::PopM => self.pop_op(mmu, op)?,
            K::Pushad => self.pushad(mmu)?,
            K::Popad => self.popad(mmu)?,
            K::Pushf => self.pushf(mmu)?,
            K::Popf => self.popf(mmu)?,
            K::Leave => self.leave(mmu)?,
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
        }
        Ok(())
    }

    /// Register `r` (x86 numbering) at operand size `size`.
    #[inline(always)]
    fn get(&self, size: u8, r: u8) -> u32 {
        let r = r as usize & 7;
        match size {
            4 => self.r[r],
            2 => self.r[r] & 0xffff,
            _ if r < 4 => self.r[r] & 0xff,
            _ => (self.r[r & 3] >> 8) & 0xff,
        }
    }

    /// Write register `r` at operand size `size`, keeping the other bits.
    #[inline(always)]
    fn set(&mut self, size: u8, r: u8, v: u32) {
        let r = r as usize & 7;
        match size {
            4 => self.r[r] = v,
            2 => self.r[r] = (self.r[r] & 0xffff_0000) | (v & 0xffff),
            _ if r < 4 => self.r[r] = (self.r[r] & !0xff) | (v & 0xff),
            _ => self.r[r & 3] = (self.r[r & 3] & !0xff00) | ((v & 0xff) << 8),
        }
    }

    /// Effective (linear) address of a memory operand.
    #[inline(always)]
    fn ea(&self, m: &Mem) -> u32 {
        m.disp
            .wrapping_add(self.r[m.base as usize & 15])
            .wrapping_add(self.r[m.index as usize & 15] << (m.scale & 3))
            .wrapping_add(self.seg_base[m.seg as usize % 3])
    }

    #[inline(always)]
    fn load(&self, mmu: &mut Mmu, size: u8, addr: u32) -> Result<u32, PageFault> {
        let va = VirtAddr(addr);
        match size {
            4 => mmu.read_u32(va),
            2 => mmu.read_u16(va).map(u32::from),
            _ => mmu.read_u8(va).map(u32::from),
        }
    }

    #[inline(always)]
    fn store(&self, mmu: &mut Mmu, size: u8, addr: u32, v: u32) -> Result<(), PageFault> {
        let va = VirtAddr(addr);
        match size {
            4 => mmu.write_u32(va, v),
            2 => mmu.write_u16(va, v as u16),
            _ => mmu.write_u8(va, v as u8),
        }
    }

    /// The r/m operand's value: register `r1` or memory `m`, by `is_mem`.
    #[inline(always)]
    fn rm(&self, mmu: &mut Mmu, op: &Op, is_mem: bool) -> Result<u32, PageFault> {
        if is_mem {
            self.load(mmu, op.size, self.ea(&op.m))
        } else {
            Ok(self.get(op.size, op.r1))
        }
    }
}
