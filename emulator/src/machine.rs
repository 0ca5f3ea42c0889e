//! The whole machine: the CPU and the MMU (which owns RAM and the TLB),
//! with the count of traps taken.

use crate::cpu::{Cpu, Engine, JIT_HOT};
use crate::mmu::Mmu;
use crate::phys::PhysMem;
use crate::tlb::TlbConfig;
use crate::trap::{Trap, TrapKind};

/// How to build a machine.
#[derive(Clone, Copy, Debug)]
pub struct MachineConfig {
    /// Bytes of RAM, a multiple of 4 KiB (default 64 MiB).
    pub mem_bytes: u64,
    pub tlb: TlbConfig,
    /// Interpreter alone, or with the JIT tier (`--engine`).
    pub engine: Engine,
    /// Fast-path runs of a block before the JIT translates it (tests use
    /// 1, so that short programs run mostly translated).
    pub jit_hot: u16,
}

impl Default for MachineConfig {
    fn default() -> Self {
        MachineConfig {
            mem_bytes: 64 << 20,
            tlb: TlbConfig::default(),
            engine: Engine::default(),
            jit_hot: JIT_HOT,
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
    cpu: Cpu,
    mmu: Mmu,
    traps: TrapCounts,
}

impl Machine {
    pub fn new(config: MachineConfig) -> Result<Machine, String> {
        let phys = PhysMem::new(config.mem_bytes).map_err(|e| e.to_string())?;
        let mut cpu = Cpu::new();
        cpu.set_engine(config.engine, config.jit_hot)?;
        Ok(Machine {
            cpu,
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

    pub fn cpu(&self) -> &Cpu {
        &self.cpu
    }
    pub fn cpu_mut(&mut self) -> &mut Cpu {
        &mut self.cpu
    }
    pub fn mmu(&self) -> &Mmu {
        &self.mmu
    }
    pub fn mmu_mut(&mut self) -> &mut Mmu {
        &mut self.mmu
    }
    /// Both halves at once (hooks need the MMU to find their page).
    pub fn cpu_and_mmu(&mut self) -> (&mut Cpu, &Mmu) {
        (&mut self.cpu, &self.mmu)
    }
    pub fn traps(&self) -> TrapCounts {
        self.traps
    }

    /// Instructions retired so far.
    pub fn retired(&self) -> u64 {
        self.cpu.retired()
    }
}
