//! Everything `unsafe` the JIT needs, and nothing else: host memory for
//! generated code (writable or executable, never both at once), the call
//! into a translation, and the entry points generated code calls back.
//!
//! Why generated code stays inside guest RAM and its context: it is written
//! by `emit.rs` alone, from decoded ops, never from guest bytes. It reads
//! and writes the `State` at rbp at fixed offsets (its `JitRegs` among
//! them); the TLB's hot index, at rbx, at a slot masked to its size; and
//! RAM at a slot's `host` plus a guest address whose whole access the
//! slot's tag says is in the slot's page, where `host` is the RAM's host
//! address + the frame's base − the page's address (`Tlb::hot_for`), so
//! the byte is inside that frame of this RAM. Everything else goes through
//! `access` below, into the MMU.

use super::ctx::Ctx;
use crate::cpu::flags::Flags;
use crate::cpu::op::Op;
use crate::cpu::state::State;
use crate::mmu::Mmu;

/// A translation's entry point: `(state) -> exit code`.
type Entry = unsafe extern "sysv64" fn(*mut State) -> u32;

/// Host memory for generated code: one anonymous mapping, filled from the
/// front; executable except while a translation is being copied in.
pub struct CodeMem {
    base: *mut u8,
    len: usize,
    used: usize,
}

/// The host's page size, for mprotect.
const HOST_PAGE: usize = 4096;

impl CodeMem {
    pub fn new(len: usize) -> Result<CodeMem, String> {
        // SAFETY: a fresh private anonymous mapping; nothing else refers to
        // it. It starts inaccessible and becomes executable page by page.
        let p = unsafe {
            libc::mmap(
                std::ptr::null_mut(),
                len,
                libc::PROT_NONE,
                libc::MAP_PRIVATE | libc::MAP_ANONYMOUS | libc::MAP_NORESERVE,
                -1,
                0,
            )
        };
        if p == libc::MAP_FAILED {
            return Err(format!("the host refused {} MiB for JIT code", len >> 20));
        }
        Ok(CodeMem {
            base: p.cast(),
            len,
            used: 0,
        })
    }

    /// Where the next translation will start (16-byte aligned).
    pub fn next(&self) -> u64 {
        self.base as u64 + self.used.next_multiple_of(16) as u64
    }

    /// Copy `code` (assembled for address `next()`) in and make it
    /// executable; `None` when it does not fit.
    pub fn add(&mut self, code: &[u8]) -> Option<u64> {
        let start = self.used.next_multiple_of(16);
        let end = start.checked_add(code.len())?;
        if end > self.len {
            return None;
        }
        let lo = start / HOST_PAGE * HOST_PAGE;
        // 16 bytes more: a decoder that reads an instruction's longest
        // length ahead (valgrind's) finds mapped bytes past the last one.
        let hi = (end + 16).next_multiple_of(HOST_PAGE).min(self.len);
        // SAFETY: [lo, hi) lies inside our mapping. While it is writable no
        // generated code runs (the CPU is single-threaded and only calls a
        // translation from `call`), and it is made executable again, not
        // writable, before `add` returns.
        unsafe {
            let page = self.base.add(lo).cast();
            if libc::mprotect(page, hi - lo, libc::PROT_READ | libc::PROT_WRITE) != 0 {
                return None;
            }
            std::ptr::copy_nonoverlapping(code.as_ptr(), self.base.add(start), code.len());
            if libc::mprotect(page, hi - lo, libc::PROT_READ | libc::PROT_EXEC) != 0 {
                panic!("mprotect could not make JIT code executable again");
            }
        }
        self.used = end;
        Some(self.base as u64 + start as u64)
    }

    /// Write each 32-bit value at its address, all inside translations
    /// `add` made (a linked exit's immediate and jump).
    pub fn patch(&mut self, writes: &[(u64, u32)]) {
        let base = self.base as u64;
        let inside = |a: u64| a >= base && a + 4 <= base + self.used as u64;
        if writes.is_empty() || !writes.iter().all(|&(a, _)| inside(a)) {
            return;
        }
        let lo = writes.iter().map(|w| w.0).min().unwrap_or(base) - base;
        let hi = writes.iter().map(|w| w.0 + 4).max().unwrap_or(base) - base;
        let lo = lo as usize / HOST_PAGE * HOST_PAGE;
        let hi = (hi as usize).next_multiple_of(HOST_PAGE).min(self.len);
        // SAFETY: [lo, hi) lies inside our mapping, and every write inside
        // a translation (checked above). No generated code runs while the
        // pages are writable (single-threaded; translations run only from
        // `call`), and they are executable again before `patch` returns.
        unsafe {
            let page = self.base.add(lo).cast();
            if libc::mprotect(page, hi - lo, libc::PROT_READ | libc::PROT_WRITE) != 0 {
                return;
            }
            for &(a, v) in writes {
                std::ptr::write_unaligned(self.base.add((a - base) as usize).cast::<u32>(), v);
            }
            if libc::mprotect(page, hi - lo, libc::PROT_READ | libc::PROT_EXEC) != 0 {
                panic!("mprotect could not make JIT code executable again");
            }
        }
    }

    /// Forget every translation (the caller drops what refers to them).
    pub fn reset(&mut self) {
        self.used = 0;
    }

    pub fn used(&self) -> usize {
        self.used
    }

    /// Run the translation at `entry` (an address `add` returned).
    pub fn call(&self, entry: u64, state: &mut State) -> u32 {
        debug_assert!(entry >= self.base as u64 && entry < self.base as u64 + self.used as u64);
        // SAFETY: `entry` is the start of code `emit.rs` generated and `add`
        // made executable, still in place (`reset` is followed by dropping
        // every entry). The code follows the System V ABI (callee-saved
        // registers restored, stack aligned at its calls, DF clear) and
        // touches only what the module comment lists. `state` is an
        // exclusive borrow held for the whole call, so nothing in Rust
        // reads it while generated code writes it.
        unsafe {
            let f: Entry = std::mem::transmute::<u64, Entry>(entry);
            f(state)
        }
    }
}

impl Drop for CodeMem {
    fn drop(&mut self) {
        // SAFETY: our own mapping, unmapped once; no translation outlives
        // the CodeMem (they are addresses in it, called only through it).
        unsafe {
            libc::munmap(self.base.cast(), self.len);
        }
    }
}

/// The `State` a translation runs with, and the run's Rust side.
///
/// SAFETY (for callers): `state` must be the pointer generated code was
/// called with, which `CodeMem::call` borrows exclusively for the call;
/// generated code touches neither it nor what it points to while a
/// call-out runs. `jit.ctx` is the `Ctx` `Jit::run` made for this call,
/// alive until the call returns, and `ctx.mmu` the `&mut Mmu` the CPU runs
/// with, not otherwise used during the call (generated code reaches the
/// TLB's hot index and RAM only through addresses taken from it, and not
/// while a call-out runs).
unsafe fn parts<'a>(state: *mut State) -> (&'a mut State, &'a mut Ctx, &'a mut Mmu) {
    // SAFETY: as the caller promises.
    unsafe {
        let s = &mut *state;
        let ctx = &mut *std::ptr::with_exposed_provenance_mut::<Ctx>(s.jit.ctx as usize);
        let mmu = &mut *ctx.mmu;
        (s, ctx, mmu)
    }
}

/// Generated code's call-out for a load or store the inline lookup did not
/// take (a TLB miss, a watched page, an access crossing a page): `kind` is
/// the size in bytes, plus 16 for a store. Returns 0 when done (a load's
/// value in `jit.value`), 1 when the access stopped (`ctx.stop`), 2 when a
/// store is done but wrote over decoded code.
pub extern "sysv64" fn access(state: *mut State, addr: u32, value: u32, kind: u32) -> u32 {
    // SAFETY: generated code passes the `State` it was called with.
    let (s, ctx, mmu) = unsafe { parts(state) };
    super::ctx::access(s, ctx, mmu, addr, value, kind)
}

/// Generated code's call-out for the guest's status flags as an EFLAGS
/// image it can `popfq` (status flags, IF, bit 1; DF, TF and AC clear).
pub extern "sysv64" fn eflags(f: *const Flags) -> u64 {
    // SAFETY: generated code passes a pointer into the `State` it was
    // called with (rbp + the offset of `f`), valid for the call.
    let f = unsafe { &*f };
    super::ctx::host_eflags(f)
}

/// Generated code's call-out for an op it does not translate inline: the
/// interpreter runs it (`State::exec`), with EIP already past it and the
/// guest's registers stored in `state`. Returns as `access` does.
pub extern "sysv64" fn interp(state: *mut State, op: *const Op) -> u32 {
    // SAFETY: generated code passes the `State` it was called with, and a
    // pointer into the `Jit`'s copy of the block's ops, which lives as
    // long as the translation.
    let ((s, ctx, mmu), op) = unsafe { (parts(state), &*op) };
    super::ctx::interp(s, ctx, mmu, op)
}
