//! The toyemu kernel: a tiny OS for one i386 process at a time.
//!
//! It owns every frame of the machine's RAM, builds address spaces (VMAs plus
//! real i386 page tables in guest RAM), loads static ELF executables lazily,
//! resolves page faults, implements Linux's i386 memory and I/O syscalls, and
//! reclaims every frame when a process exits — and says what it did through
//! typed trace events.

pub mod address_space;
pub mod errno;
pub mod fault;
pub mod frame;
pub mod invariants;
pub mod kernel;
pub mod layout;
pub mod ledger;
pub mod loader;
pub mod oom;
pub mod process;
pub mod signal;
pub mod stack;
pub mod syscall;
pub mod trace;
pub mod uaccess;
pub mod vma;

pub use kernel::{Console, Kernel, KernelConfig, RunState};
pub use ledger::{Cause, Ledger};
pub use loader::{ElfImage, LoadError};
pub use process::{Ending, ExitRecord, ExitStatus, Process, VmaSnapshot};
pub use signal::{Death, Signal};
pub use trace::{Categories, Collector, Event, EventKind, Resolution, TraceSink, Tracer};
