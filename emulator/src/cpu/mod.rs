//! The IA-32 user-mode integer CPU.
//!
//! PLACEHOLDER API — the execution engine is being written in this directory.
//! The public surface below is the contract the kernel codes against.

use crate::addr::VirtAddr;
use crate::mmu::Mmu;
use crate::trap::Trap;

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

pub struct Cpu {
    regs: Registers,
    retired: u64,
}

impl Default for Cpu {
    fn default() -> Self {
        Self::new()
    }
}

impl Cpu {
    pub fn new() -> Cpu {
        Cpu {
            regs: Registers {
                eflags: 0x202,
                ..Default::default()
            },
            retired: 0,
        }
    }
    pub fn reg(&self, r: Reg) -> u32 {
        self.regs.gpr[r as usize]
    }
    pub fn set_reg(&mut self, r: Reg, v: u32) {
        self.regs.gpr[r as usize] = v;
    }
    pub fn eip(&self) -> VirtAddr {
        VirtAddr(self.regs.eip)
    }
    pub fn set_eip(&mut self, eip: VirtAddr) {
        self.regs.eip = eip.0;
    }
    pub fn eflags(&self) -> u32 {
        self.regs.eflags
    }
    pub fn set_eflags(&mut self, v: u32) {
        self.regs.eflags = v;
    }
    pub fn registers(&self) -> Registers {
        self.regs
    }
    pub fn set_fs_base(&mut self, b: u32) {
        self.regs.fs_base = b;
    }
    pub fn set_gs_base(&mut self, b: u32) {
        self.regs.gs_base = b;
    }
    /// Instructions retired since the CPU was made.
    pub fn retired(&self) -> u64 {
        self.retired
    }
    /// Run until a trap, retiring at most `budget` instructions.
    pub fn run(&mut self, _mmu: &mut Mmu, _budget: u64) -> Trap {
        todo!("execution engine")
    }
}
