//! The toyemu kernel: a tiny OS for one i386 process at a time.
//!
//! It owns every frame of the machine's RAM, builds address spaces (VMAs plus
//! real i386 page tables in guest RAM), loads static ELF executables lazily,
//! resolves page faults, implements Linux's i386 memory and I/O syscalls, and
//! reclaims every frame when a process exits — and says what it did through
//! typed trace events.
//!
//! The modules stack, each using only those listed before it:
//! `errno`, `layout`, `vma`, `ledger`, `frame`, `elf` (the file), `random`,
//! `fs` (the file view) → `address_space` → `oom`, `signal` → `sigstate`,
//! `sigframe` → `fault` (the handler) → `fd` → `process` →
//! `syscall::outcome`, `trace` → `trace_fold` (the line trace, runs
//! folded) → `kernel` (the owner of machine, frames and
//! tracer; fault handling, exit) → `uaccess`, `stack`, `exec`, `deliver`
//! (signals to handlers, sigreturn), `syscall`,
//! `run` (the trap loop) → `invariants`. docs/ARCHITECTURE.md draws it.

pub mod address_space;
pub mod deliver;
pub mod elf;
pub mod errno;
pub mod exec;
pub mod fault;
pub mod fd;
pub mod frame;
pub mod fs;
pub mod invariants;
pub mod kernel;
pub mod layout;
pub mod ledger;
mod mutant;
pub mod names;
pub mod oom;
pub mod process;
pub mod ptable;
pub mod random;
pub mod run;
pub mod sched;
pub mod sigframe;
pub mod signal;
pub mod sigstate;
pub mod sleep;
pub mod stack;
pub mod syscall;
pub mod thread;
pub mod trace;
pub mod trace_fold;
pub mod uaccess;
pub mod vma;

pub use elf::{ElfError, ElfImage};
pub use exec::ExecError;
pub use fault::{FaultError, Fill, Mapped};
pub use kernel::{Console, Kernel, KernelConfig};
pub use ledger::{Cause, Ledger};
pub use process::{Ending, ExitRecord, ExitStatus, Process, VmaSnapshot};
pub use run::RunState;
pub use signal::{Death, SigInfo, SigSet, Signal};
pub use syscall::outcome::Outcome;
pub use trace::{Categories, Collector, Event, EventKind, SignalAction, TraceSink, Tracer};
