//! Reading and writing user memory from the kernel, through the page tables.
//!
//! Like Linux's copy_{from,to}_user: each page is translated by the MMU as a
//! user access would be; a missing page is faulted in where a VMA allows it;
//! anything else is `EFAULT` for the syscall, never a host crash. Out of
//! frames kills the process, as the OOM killer would.

use crate::errno::{Errno, EFAULT};
use crate::fault::FaultError;
use crate::kernel::Kernel;
use crate::process::Process;
use crate::vma::Prot;
use toyemu_emulator::{Access, PhysAddr, VirtAddr, PAGE_SIZE};

/// Why a user copy stopped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CopyError {
    /// Bad address: the syscall returns -EFAULT (after `done` bytes).
    Fault { done: u32 },
    /// No frame left to fault the page in: the process is OOM-killed.
    OutOfMemory { addr: VirtAddr },
}

impl CopyError {
    pub fn errno(self) -> Errno {
        EFAULT
    }
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
                Err(pf) => match self.resolve_fault(p, pf.addr, access, self.machine.cpu().eip()) {
                    Ok(()) => continue,
                    Err(FaultError::Segv(_)) => return Err(CopyError::Fault { done }),
                    Err(FaultError::OutOfMemory) => {
                        return Err(CopyError::OutOfMemory { addr: va })
                    }
                },
            }
        }
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
        if !crate::layout::in_user_space(va, len) {
            return Err(CopyError::Fault { done: 0 });
        }
        let mut done = 0;
        while done < len {
            let a = VirtAddr(va + done);
            let n = (PAGE_SIZE - a.page_offset()).min(len - done);
            let pa = self.user_page(p, a, Access::Read, done)?;
            let start = out.len();
            out.resize(start + n as usize, 0);
            self.machine.mmu().phys().read_bytes(pa, &mut out[start..]);
            done += n;
        }
        Ok(())
    }

    /// Copy `data` to user `va`. Pages before a bad one are written, as Linux does.
    pub fn copy_to_user(&mut self, p: &mut Process, va: u32, data: &[u8]) -> Result<(), CopyError> {
        let len = data.len() as u32;
        if !crate::layout::in_user_space(va, len) {
            return Err(CopyError::Fault { done: 0 });
        }
        let mut done = 0;
        while done < len {
            let a = VirtAddr(va + done);
            let n = (PAGE_SIZE - a.page_offset()).min(len - done);
            let pa = self.user_page(p, a, Access::Write, done)?;
            self.machine
                .mmu_mut()
                .phys_mut()
                .write_bytes(pa, &data[done as usize..(done + n) as usize]);
            done += n;
        }
        Ok(())
    }

    /// How many of the `len` bytes at `va` a `copy_to_user` could write:
    /// up to the first page no VMA lets the process write. Populates
    /// nothing, except a stack that must grow to reach `va`, as the write
    /// itself would. Lets `read` refuse a bad buffer before it consumes input.
    pub fn writable_len(&mut self, p: &mut Process, va: u32, len: u32) -> Result<u32, CopyError> {
        if !crate::layout::in_user_space(va, len) {
            return Ok(0);
        }
        let mut done = 0;
        while done < len {
            let a = VirtAddr(va + done);
            let ok = match p.mm().vmas.find(a) {
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

    /// A NUL-terminated string of at most `max` bytes (for traces); `None` if unreadable.
    pub fn peek_user_string(&mut self, va: u32, max: u32) -> Option<(Vec<u8>, bool)> {
        // Traces must not change the address space: no faulting in here.
        let mut out = Vec::new();
        for i in 0..max {
            let a = VirtAddr(va.checked_add(i)?);
            let w = self.machine.mmu().peek(a);
            let pte = w.pte.filter(|p| p.is_present())?;
            let b = self
                .machine
                .mmu()
                .phys()
                .read_u8(PhysAddr(pte.frame().base().0 | a.page_offset()));
            if b == 0 {
                return Some((out, true));
            }
            out.push(b);
        }
        Some((out, false))
    }

    /// Up to `max` bytes at `va` for a trace, only from pages already present.
    pub fn peek_user_bytes(&self, va: u32, len: u32) -> Option<Vec<u8>> {
        let mut out = Vec::with_capacity(len as usize);
        for i in 0..len {
            let a = VirtAddr(va.checked_add(i)?);
            let pte = self.machine.mmu().peek(a).pte.filter(|p| p.is_present())?;
            out.push(
                self.machine
                    .mmu()
                    .phys()
                    .read_u8(PhysAddr(pte.frame().base().0 | a.page_offset())),
            );
        }
        Some(out)
    }
}
