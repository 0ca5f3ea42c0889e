//! The toyemu machine: an IA-32 CPU at CPL 3, physical RAM, a two-level MMU
//! with a TLB, and traps handed back to whoever runs it.
//!
//! The machine knows nothing about processes, ELF files or syscalls: `run`
//! executes until something needs an operating system and returns a [`Trap`].

pub mod addr;
pub mod cpu;
pub mod disasm;
pub mod mmu;
pub mod paging;
pub mod phys;
pub mod tlb;
pub mod trap;

pub use addr::{Frame, PhysAddr, VirtAddr, PAGE_SIZE};
pub use cpu::{Cpu, Reg, Registers};
pub use mmu::{Access, Mmu, Walk};
pub use paging::{Pte, PteFlags};
pub use phys::{MemError, PhysMem};
pub use tlb::{Policy, TlbConfig, TlbEvent, TlbStats};
pub use trap::{PageFault, PfCode, Trap, TrapKind};

/// How to build a machine.
#[derive(Clone, Copy, Debug)]
pub struct MachineConfig {
    /// Bytes of RAM, a multiple of 4 KiB (default 64 MiB).
    pub mem_bytes: u64,
    pub tlb: TlbConfig,
}

impl Default for MachineConfig {
    fn default() -> Self {
        MachineConfig {
            mem_bytes: 64 << 20,
            tlb: TlbConfig::default(),
        }
    }
}

/// Traps taken, by kind.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TrapCounts(pub [u64; TrapKind::ALL.len()]);

impl TrapCounts {
    pub fn get(&self, k: TrapKind) -> u64 {
        self.0[k.index()]
    }
}

pub struct Machine {
    pub cpu: Cpu,
    pub mmu: Mmu,
    pub traps: TrapCounts,
}

impl Machine {
    pub fn new(config: MachineConfig) -> Result<Machine, String> {
        let phys = PhysMem::new(config.mem_bytes).map_err(|e| e.to_string())?;
        Ok(Machine {
            cpu: Cpu::new(),
            mmu: Mmu::new(phys, config.tlb)?,
            traps: TrapCounts::default(),
        })
    }

    /// Run until a trap, retiring at most `budget` instructions.
    pub fn run(&mut self, budget: u64) -> Trap {
        let trap = self.cpu.run(&mut self.mmu, budget);
        self.traps.0[trap.kind().index()] += 1;
        trap
    }

    /// Instructions retired so far.
    pub fn retired(&self) -> u64 {
        self.cpu.retired()
    }
}
