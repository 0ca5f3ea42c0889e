//! The fixed shape of every address space (no randomisation).
//!
//! ```text
//! 0xffffffff +------------------------+
//!            | kernel space           |  any user access: SIGSEGV
//! 0xc0000000 +------------------------+  STACK_TOP
//!            | stack (grows down,     |
//!            |  at most 8 MiB)        |
//!            +------------------------+
//!            | guard gap              |
//!            +------------------------+
//! 0xb8000000 | mmap area (top-down)   |  MMAP_BASE
//!            |          ...           |
//!            | heap (brk, grows up)   |
//!            | .bss .data .text       |  ELF PT_LOAD segments (~0x08048000)
//! 0x00010000 +------------------------+  MMAP_MIN_ADDR
//!            | null guard             |  never mapped
//! 0x00000000 +------------------------+
//! ```

use toyemu_emulator::{VirtAddr, PAGE_SIZE};

/// Lowest address a mapping may have (Linux's `vm.mmap_min_addr`).
pub const MMAP_MIN_ADDR: VirtAddr = VirtAddr(0x0001_0000);
/// Top of the user half; everything at or above is the kernel's (TASK_SIZE).
pub const TASK_SIZE: VirtAddr = VirtAddr(0xc000_0000);
/// Page-directory entries below TASK_SIZE: the user's 3 GiB, 4 MiB each.
pub const USER_PDES: usize = (TASK_SIZE.0 >> 22) as usize;
/// The stack's first byte is just below this.
pub const STACK_TOP: VirtAddr = TASK_SIZE;
/// Top-down mmap allocations start below this.
pub const MMAP_BASE: VirtAddr = VirtAddr(0xb800_0000);
/// Where the bottom-up search starts once nothing fits below MMAP_BASE
/// (Linux's TASK_UNMAPPED_BASE: a third of the user space).
pub const TASK_UNMAPPED_BASE: VirtAddr = VirtAddr((TASK_SIZE.0 / 3) & !(PAGE_SIZE - 1));
/// Default stack limit (RLIMIT_STACK).
pub const STACK_LIMIT: u32 = 8 << 20;
/// The initial stack VMA: Linux maps 128 KiB below the arguments at exec.
pub const STACK_INITIAL: u32 = 128 << 10;
/// Linux's stack_guard_gap: 256 pages kept free below a growing stack.
pub const STACK_GUARD_GAP: u32 = 256 * PAGE_SIZE;

/// The user id every process runs as (there is only one user).
pub const UID: u32 = 1000;

/// Is `[start, start+len)` entirely user space?
pub fn in_user_space(start: u32, len: u32) -> bool {
    start.checked_add(len).is_some_and(|end| end <= TASK_SIZE.0)
}
