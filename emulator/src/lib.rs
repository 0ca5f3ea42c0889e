//! The toyemu machine: an IA-32 CPU at CPL 3, physical RAM, a two-level MMU
//! with a TLB, and traps handed back to whoever runs it.
//!
//! The machine knows nothing about processes, ELF files or syscalls: `run`
//! executes until something needs an operating system and returns a [`Trap`].

pub mod addr;
pub mod cpu;
pub mod disasm;
pub mod machine;
pub mod mmu;
pub mod paging;
pub mod phys;
pub mod tlb;
pub mod trap;
pub mod watch;

pub use addr::{Frame, PhysAddr, VirtAddr, PAGE_SIZE};
pub use cpu::segment::{SegReg, SegmentDescriptor, SegmentFault, Selectors};
pub use cpu::{Context, Cpu, Engine, JitStats, Reg, Registers, JIT_HOT};
pub use machine::{Machine, MachineConfig, TrapCounts};
pub use mmu::Mmu;
pub use paging::{PageTable, Pte, PteFlags, Walk};
pub use phys::{MemError, PhysMem};
pub use tlb::{Policy, TlbConfig, TlbEvent, TlbStats};
pub use trap::{Access, PageFault, PfCode, Trap, TrapKind};
pub use watch::{Violation, Watch};
