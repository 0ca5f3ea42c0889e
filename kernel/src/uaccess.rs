//! Reading and writing user memory from the kernel, through the page tables.
//!
//! Like Linux's copy_{from,to}_user: each page is translated by the MMU as a
//! user access would be; a missing page is faulted in where a VMA allows it;
//! anything else is `EFAULT` for the syscall, never a host crash. Out of
//! frames kills the process, as the OOM killer would.
//!
//! Two more ways in, for tools: [`Kernel::peek_user`] reads without
//! changing anything (a page not touched yet reads as its first touch would
//! fill it), and [`Kernel::poke_user`] writes as ptrace's POKEDATA does.

use crate::address_space::owns_frame;
use crate::fault::{first_contents, FaultError};
use crate::kernel::Kernel;
use crate::layout::{in_user_space, TASK_SIZE};
use crate::process::Process;
use crate::vma::Prot;
use toyemu_emulator::{Access, PageFault, PhysAddr, VirtAddr, PAGE_SIZE};

/// Why a user copy stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CopyError {
    /// Bad address: the syscall returns -EFAULT (after `done` bytes).
    Fault { done: u32 },
    /// No frame left to fault the page in: the process is OOM-killed.
    OutOfMemory { addr: VirtAddr },
}

impl Kernel {
    /// Physical address for a user access at `va`, faulting the page in if allowed.
    fn user_page(
        &mut self,
        p: &mut Process,
        va: VirtAddr,
        access: Access,
        done: u32,
    ) -> Result<PhysAddr, CopyError> {
        loop {
            match self.machine.mmu_mut().translate(va, access) {
                Ok(pa) => return Ok(pa),
                Err(pf) => {
                    let eip = self.machine.cpu().eip();
                    match self.page_fault(p, pf, eip) {
                        Ok(_) => continue,
                        Err(FaultError::Segv { .. } | FaultError::Bus { .. }) => {
                            return Err(CopyError::Fault { done })
                        }
                        Err(FaultError::OutOfMemory { .. }) => {
                            return Err(CopyError::OutOfMemory { addr: va })
                        }
                    }
                }
            }
        }
    }

    /// Walk `[va, va + len)` a page at a time for `access`, faulting pages
    /// in as the program would, and hand each piece to `each` with its
    /// physical address and its range within the copy. Stops at the first
    /// page that cannot be had; what came before it has been handed over.
    fn each_user_page(
        &mut self,
        p: &mut Process,
        va: u32,
        len: u32,
        access: Access,
        mut each: impl FnMut(&mut Kernel, PhysAddr, std::ops::Range<usize>),
    ) -> Result<(), CopyError> {
        if !in_user_space(va, len) {
            return Err(CopyError::Fault { done: 0 });
        }
        let mut done = 0;
        while done < len {
            let a = VirtAddr(va + done);
            let n = (PAGE_SIZE - a.page_offset()).min(len - done);
            let pa = self.user_page(p, a, access, done)?;
            each(self, pa, done as usize..(done + n) as usize);
            done += n;
        }
        Ok(())
    }

    /// Copy `len` bytes from user `va` into `out` (cleared first).
    pub fn copy_from_user(
        &mut self,
        p: &mut Process,
        va: u32,
        len: u32,
        out: &mut Vec<u8>,
    ) -> Result<(), CopyError> {
        out.clear();
        self.each_user_page(p, va, len, Access::Read, |k, pa, range| {
            out.resize(range.end, 0);
            k.machine.mmu().phys().read_bytes(pa, &mut out[range]);
        })
    }

    /// Copy `data` to user `va`. Pages before a bad one are written, as Linux does.
    pub fn copy_to_user(&mut self, p: &mut Process, va: u32, data: &[u8]) -> Result<(), CopyError> {
        self.each_user_page(p, va, data.len() as u32, Access::Write, |k, pa, range| {
            k.machine.mmu_mut().phys_mut().write_bytes(pa, &data[range]);
        })
    }

    /// How many of the `len` bytes at `va` a `copy_to_user` could write:
    /// up to the first page no VMA lets the process write. Populates
    /// nothing, except a stack that must grow to reach `va`, as the write
    /// itself would. Lets `read` refuse a bad buffer before it consumes input.
    pub fn writable_len(&mut self, p: &mut Process, va: u32, len: u32) -> Result<u32, CopyError> {
        if !in_user_space(va, len) {
            return Ok(0);
        }
        let mut done = 0;
        while done < len {
            let a = VirtAddr(va + done);
            let ok = match p.mm_mut().vmas.find(a) {
                Some(v) => v.prot.contains(Prot::WRITE),
                None => match self.user_page(p, a, Access::Write, done) {
                    Ok(_) => true,
                    Err(CopyError::Fault { .. }) => false,
                    Err(e) => return Err(e),
                },
            };
            if !ok {
                break;
            }
            done += (PAGE_SIZE - a.page_offset()).min(len - done);
        }
        Ok(done)
    }

    pub fn read_user_u32(&mut self, p: &mut Process, va: u32) -> Result<u32, CopyError> {
        let mut b = Vec::with_capacity(4);
        self.copy_from_user(p, va, 4, &mut b)?;
        Ok(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
    }

    pub fn read_user_u64(&mut self, p: &mut Process, va: u32) -> Result<u64, CopyError> {
        let mut b = Vec::with_capacity(8);
        self.copy_from_user(p, va, 8, &mut b)?;
        Ok(u64::from_le_bytes(b.try_into().expect("eight bytes")))
    }

    /// A NUL-terminated string from user `va`, faulting pages in as
    /// strncpy_from_user does: at most `max` bytes before the NUL, or
    /// `Err(None)` when there is none by then (the caller says
    /// ENAMETOOLONG); a bad address is `Err(Some(e))`.
    pub fn copy_string_from_user(
        &mut self,
        p: &mut Process,
        va: u32,
        max: u32,
    ) -> Result<Vec<u8>, Option<CopyError>> {
        let mut out = Vec::new();
        let mut at = va;
        loop {
            let room = PAGE_SIZE - (at & (PAGE_SIZE - 1));
            let mut chunk = Vec::new();
            self.copy_from_user(p, at, room, &mut chunk).map_err(Some)?;
            if let Some(nul) = chunk.iter().position(|&b| b == 0) {
                out.extend_from_slice(&chunk[..nul]);
                return Ok(out);
            }
            out.extend_from_slice(&chunk);
            if out.len() as u32 > max {
                return Err(None);
            }
            at = at
                .checked_add(room)
                .ok_or(Some(CopyError::Fault { done: 0 }))?;
        }
    }

    /// Fault in the page at `va` if it holds no frame yet, as an access of
    /// this kind from the program would (MAP_POPULATE, madvise, debuggers).
    pub(crate) fn populate_page(
        &mut self,
        p: &mut Process,
        va: VirtAddr,
        access: Access,
    ) -> Result<(), FaultError> {
        let mm = p.mm_mut();
        if owns_frame(mm.peek_slot(self.machine.mmu(), va).pte()) {
            return Ok(());
        }
        let eip = self.machine.cpu().eip();
        let pf = PageFault {
            addr: va,
            code: access.code(),
        };
        self.page_fault(p, pf, eip).map(|_| ())
    }

    /// Read user memory at `va` into `out` without changing the address
    /// space: no fault, no TLB fill, no A/D bit. A page that holds a frame
    /// (present, or kept under PROT_NONE) reads as RAM has it; a page not
    /// touched yet reads as its first touch would fill it (file bytes or
    /// zeroes). Returns how many bytes, from the start, could be read.
    pub fn peek_user(&self, p: &Process, va: u32, out: &mut [u8]) -> usize {
        let Some(mm) = p.mm.as_ref() else { return 0 };
        let mmu = self.machine.mmu();
        let mut done = 0;
        while done < out.len() {
            let Some(a) = va.checked_add(done as u32).filter(|&a| a < TASK_SIZE.0) else {
                break;
            };
            let a = VirtAddr(a);
            let n = ((PAGE_SIZE - a.page_offset()) as usize).min(out.len() - done);
            let chunk = &mut out[done..done + n];
            let pte = mm.peek_slot(mmu, a).pte();
            if owns_frame(pte) {
                mmu.phys()
                    .read_bytes(PhysAddr(pte.frame().base().0 | a.page_offset()), chunk);
            } else {
                let Some(vma) = mm.vmas.find(a) else { break };
                let mut page = [0u8; PAGE_SIZE as usize];
                if first_contents(&vma.backing, a.page_base(), &mut page).is_err() {
                    break;
                }
                let off = a.page_offset() as usize;
                chunk.copy_from_slice(&page[off..off + n]);
            }
            done += n;
        }
        done
    }

    /// `len` bytes at `va` as [`Kernel::peek_user`] reads them, if all can be.
    pub fn peek_user_bytes(&self, p: &Process, va: u32, len: u32) -> Option<Vec<u8>> {
        let mut out = vec![0; len as usize];
        (self.peek_user(p, va, &mut out) == out.len()).then_some(out)
    }

    /// A NUL-terminated string of at most `max` bytes at `va`, read as
    /// [`Kernel::peek_user`] reads; the flag says whether the NUL was found.
    pub fn peek_user_string(&self, p: &Process, va: u32, max: u32) -> Option<(Vec<u8>, bool)> {
        let mut out = Vec::new();
        let mut buf = [0u8; 64];
        while (out.len() as u32) < max {
            let at = va.checked_add(out.len() as u32)?;
            let want = (max as usize - out.len()).min(buf.len());
            let got = self.peek_user(p, at, &mut buf[..want]);
            if got == 0 {
                return (!out.is_empty()).then_some((out, false));
            }
            if let Some(nul) = buf[..got].iter().position(|&b| b == 0) {
                out.extend_from_slice(&buf[..nul]);
                return Some((out, true));
            }
            out.extend_from_slice(&buf[..got]);
        }
        Some((out, false))
    }

    /// Write user memory as ptrace's POKEDATA does: read-only pages are
    /// written too, and a page not faulted in yet is faulted in first (the
    /// trace shows it). Decoded instructions on a written page go stale.
    pub fn poke_user(&mut self, p: &mut Process, va: u32, data: &[u8]) -> Result<(), String> {
        if p.mm.is_none() {
            return Err("the program has exited".into());
        }
        let mut done = 0;
        while done < data.len() {
            let a = va
                .checked_add(done as u32)
                .filter(|&a| a < TASK_SIZE.0)
                .ok_or_else(|| format!("{va:#010x} is not a user address"))?;
            let a = VirtAddr(a);
            let n = ((PAGE_SIZE - a.page_offset()) as usize).min(data.len() - done);
            if p.mm_mut().vmas.find(a).is_none() || self.populate_page(p, a, Access::Read).is_err()
            {
                return Err(format!("nothing can be mapped at {a}"));
            }
            let pte = p.mm_mut().peek_slot(self.machine.mmu(), a).pte();
            let pa = PhysAddr(pte.frame().base().0 | a.page_offset());
            self.machine
                .mmu_mut()
                .phys_mut()
                .write_bytes(pa, &data[done..done + n]);
            done += n;
        }
        Ok(())
    }
}
