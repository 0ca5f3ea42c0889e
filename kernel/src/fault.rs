//! The page-fault handler: decide what a fault means and make the page exist.
//!
//! Not present inside a VMA that allows the access → take a frame, fill it
//! (from the ELF image, zeroes for the rest), map it. Just below the stack and
//! within the limit → grow the stack first. Everything else — no VMA, kernel
//! space, an access the VMA forbids — is a segfault; no frame left is OOM.

use crate::address_space::{pte_flags, AddressSpace};
use crate::frame::FrameAllocator;
use crate::layout::{MMAP_MIN_ADDR, STACK_GUARD_GAP, TASK_SIZE};
use crate::ledger::Cause;
use crate::signal::SegvCode;
use crate::trace::Resolution;
use crate::vma::{Backing, Prot, Vma, VmaKind};
use toyemu_emulator::{Access, Frame, Mmu, PhysAddr, VirtAddr, PAGE_SIZE};

/// Why a fault could not be resolved.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultError {
    Segv(SegvCode),
    OutOfMemory,
}

/// A resolved fault: how, and the frame now mapped.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Resolved {
    pub resolution: Resolution,
    pub frame: Frame,
    pub kind: VmaKind,
}

/// Everything the handler needs, borrowed from the kernel and the process.
pub struct FaultCtx<'a> {
    pub mmu: &'a mut Mmu,
    pub frames: &'a mut FrameAllocator,
    pub aspace: &'a mut AddressSpace,
    pub image: &'a [u8],
    pub stack_limit: u32,
}

impl FaultCtx<'_> {
    /// Make `addr` accessible for `access`, or say why not.
    pub fn resolve(&mut self, addr: VirtAddr, access: Access) -> Result<Resolved, FaultError> {
        if addr >= TASK_SIZE {
            return Err(FaultError::Segv(SegvCode::MapErr));
        }
        let mut grew = false;
        let vma = match self.aspace.vmas.find(addr) {
            Some(v) => v.clone(),
            None => {
                self.grow_stack(addr)?;
                grew = true;
                self.aspace
                    .vmas
                    .find(addr)
                    .cloned()
                    .expect("stack grown over addr")
            }
        };
        let allowed = match access {
            Access::Write => vma.prot.contains(Prot::WRITE),
            // i386 has no NX: any accessible page can be read and executed.
            Access::Read | Access::Fetch => !vma.prot.is_empty(),
        };
        if !allowed {
            return Err(FaultError::Segv(SegvCode::AccErr));
        }
        let page = addr.page_base();
        if self.aspace.pte(self.mmu, page).is_present() {
            // Present and still faulting: the PTE forbids what the VMA allows.
            // This kernel never makes such PTEs (no copy-on-write), so it is a
            // protection fault the program caused.
            return Err(FaultError::Segv(SegvCode::AccErr));
        }
        let frame = self.frames.alloc().ok_or(FaultError::OutOfMemory)?;
        let resolution = self.fill(frame, page, &vma);
        let flags = pte_flags(vma.prot).expect("accessible VMA");
        match self
            .aspace
            .map_page(self.mmu, self.frames, page, frame, flags)
        {
            Ok(flush) => flush.flush(self.mmu),
            Err(_) => {
                self.frames.free(frame);
                return Err(FaultError::OutOfMemory);
            }
        }
        self.aspace.ledger.take(Cause::of(vma.kind));
        let resolution = if grew {
            Resolution::StackGrowth
        } else {
            resolution
        };
        Ok(Resolved {
            resolution,
            frame,
            kind: vma.kind,
        })
    }

    /// First contents of a page: image bytes where the backing has them, zeroes elsewhere.
    fn fill(&mut self, frame: Frame, page: VirtAddr, vma: &Vma) -> Resolution {
        self.mmu.phys_mut().zero_frame(frame);
        let Backing::Image {
            vaddr,
            file_offset,
            file_len,
        } = vma.backing
        else {
            return Resolution::ZeroFill;
        };
        let (lo, hi) = (
            page.0.max(vaddr),
            (page.0 + PAGE_SIZE).min(vaddr.saturating_add(file_len)),
        );
        if lo >= hi {
            // Past p_filesz: a pure .bss page.
            return Resolution::ZeroFill;
        }
        let off = (file_offset + (lo - vaddr)) as usize;
        let bytes = &self.image[off..off + (hi - lo) as usize];
        self.mmu
            .phys_mut()
            .write_bytes(PhysAddr(frame.base().0 + (lo - page.0)), bytes);
        Resolution::FileFill
    }

    /// Extend the stack VMA down to cover `addr`, if the stack may grow that far
    /// and no other mapping sits within the guard gap below it.
    fn grow_stack(&mut self, addr: VirtAddr) -> Result<(), FaultError> {
        let stack = self
            .aspace
            .vmas
            .first_ending_above(addr)
            .filter(|v| v.kind == VmaKind::Stack)
            .cloned()
            .ok_or(FaultError::Segv(SegvCode::MapErr))?;
        let new_start = addr.page_base();
        // RLIMIT_STACK bounds the whole VMA, as acct_stack_growth counts it.
        if stack.end.0 - new_start.0 > self.stack_limit || new_start < MMAP_MIN_ADDR {
            return Err(FaultError::Segv(SegvCode::MapErr));
        }
        // expand_downwards keeps the guard gap only from mappings that can
        // be accessed: a PROT_NONE reservation below does not stop growth.
        if let Some(prev) = self.aspace.vmas.last_starting_below(new_start) {
            let blocks = prev.kind != VmaKind::Stack && !prev.prot.is_empty();
            if blocks && prev.end.0.saturating_add(STACK_GUARD_GAP) > new_start.0 {
                return Err(FaultError::Segv(SegvCode::MapErr));
            }
        }
        self.aspace
            .vmas
            .set_bounds(stack.start, new_start, stack.end);
        Ok(())
    }
}
