//! The page-fault handler: decide what a fault means and make the page exist.
//!
//! Not present inside a VMA that allows the access → take a frame, fill it
//! (from the ELF image, zeroes for the rest), map it. Just below the stack and
//! within the limit → grow the stack first. Everything else — no VMA, kernel
//! space, an access the VMA forbids — is a segfault; no frame left is OOM.
//!
//! One fault costs one VMA lookup and one walk of the page tables; what the
//! handler did comes back as a [`Mapped`], so neither the kernel's
//! accounting nor the trace has to look again.

use crate::address_space::{owns_frame, pte_flags, AddressSpace, Slot, PTE_COW};
use crate::frame::FrameAllocator;
use crate::layout::{MMAP_MIN_ADDR, STACK_GUARD_GAP, TASK_SIZE};
use crate::ledger::Cause;
use crate::signal::SegvCode;
use crate::vma::{Backing, Prot, Vma, VmaKind};
use std::fmt;
use toyemu_emulator::{Access, Frame, Mmu, PageFault, Pte, PteFlags, VirtAddr, PAGE_SIZE};

/// How a new page got its first contents.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Fill {
    /// A zeroed frame (anonymous memory, heap, stack, .bss).
    Zero,
    /// Bytes from the ELF image (and zeroes past p_filesz).
    File,
    /// A write to a page shared since fork: its bytes copied to a new frame.
    CowCopy,
    /// The same, but no one else held the frame any more: taken over as it is.
    CowReuse,
}

/// A resolved fault: what is mapped now, as the trace and the accounts need it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Mapped {
    pub kind: VmaKind,
    pub frame: Frame,
    /// The PTE written for the page.
    pub pte: Pte,
    pub fill: Fill,
    /// The stack's new bounds, when the fault grew it to reach the page.
    pub grown: Option<(VirtAddr, VirtAddr)>,
    /// Where the VMA holding the page starts (which mapping of its kind).
    pub vma_start: VirtAddr,
}

impl fmt::Display for Mapped {
    /// `zero-fill`, `file-fill` or `stack growth`, as the trace says it.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match (self.grown, self.fill) {
            (Some(_), _) => "stack growth",
            (None, Fill::Zero) => "zero-fill",
            (None, Fill::File) => "file-fill",
            (None, Fill::CowCopy) => "copy-on-write copy",
            (None, Fill::CowReuse) => "copy-on-write reuse",
        })
    }
}

/// Why a fault could not be resolved, and the VMA it hit (if any).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FaultError {
    Segv {
        code: SegvCode,
        vma: Option<VmaKind>,
    },
    OutOfMemory {
        vma: VmaKind,
    },
    /// A page wholly past the end of a mapped file: SIGBUS (BUS_ADRERR).
    Bus {
        vma: VmaKind,
    },
}

impl fmt::Display for FaultError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            FaultError::Segv { .. } => "SIGSEGV",
            FaultError::OutOfMemory { .. } => "out of memory",
            FaultError::Bus { .. } => "SIGBUS",
        })
    }
}

/// The VMA a fault hit, whatever came of it.
pub fn vma_hit(result: &Result<Mapped, FaultError>) -> Option<VmaKind> {
    match result {
        Ok(m) => Some(m.kind),
        Err(FaultError::Segv { vma, .. }) => *vma,
        Err(FaultError::OutOfMemory { vma } | FaultError::Bus { vma }) => Some(*vma),
    }
}

const MAPERR: FaultError = FaultError::Segv {
    code: SegvCode::MapErr,
    vma: None,
};

/// The page lies wholly past the end of the file a mapping shows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PastEnd;

/// Give a page its first contents: `out` (the page, zeroed) gets the
/// backing file's bytes where the file has them. This is the one rule for
/// a page's first contents: the handler fills frames with it, and readers
/// that show a page before it is touched (`Kernel::peek_user`) use it too.
/// `Err(PastEnd)` for a page wholly past the end of a mapped file (SIGBUS).
pub fn first_contents(backing: &Backing, page: VirtAddr, out: &mut [u8]) -> Result<Fill, PastEnd> {
    let Backing::File {
        file,
        vaddr,
        file_offset,
        file_len,
        bus_past_end,
    } = backing
    else {
        return Ok(Fill::Zero);
    };
    let lo = page.0.max(*vaddr);
    let hi = page
        .0
        .saturating_add(PAGE_SIZE)
        .min(vaddr.saturating_add(*file_len));
    if lo >= hi {
        // Past p_filesz: a pure .bss page, or past the end of a mapped file.
        return if *bus_past_end {
            Err(PastEnd)
        } else {
            Ok(Fill::Zero)
        };
    }
    let at = (lo - page.0) as usize;
    let offset = *file_offset as u64 + (lo - vaddr) as u64;
    file.read_at(offset, &mut out[at..at + (hi - lo) as usize]);
    Ok(Fill::File)
}

/// Everything the handler needs, borrowed from the kernel and the process.
pub(crate) struct FaultCtx<'a> {
    pub(crate) mmu: &'a mut Mmu,
    pub(crate) frames: &'a mut FrameAllocator,
    pub(crate) aspace: &'a mut AddressSpace,
    pub(crate) stack_limit: u32,
}

impl FaultCtx<'_> {
    /// Make the faulting address accessible for the access, or say why not.
    pub(crate) fn resolve(&mut self, pf: PageFault) -> Result<Mapped, FaultError> {
        let addr = pf.addr;
        if addr >= TASK_SIZE {
            return Err(MAPERR);
        }
        let (vma, grown) = match self.aspace.vmas.find(addr) {
            Some(v) => (v.clone(), None),
            None => {
                let v = self.grow_stack(addr)?;
                let bounds = (v.start, v.end);
                (v, Some(bounds))
            }
        };
        let allowed = match pf.code.access() {
            Access::Write => vma.prot.contains(Prot::WRITE),
            // i386 has no NX: any accessible page can be read and executed.
            Access::Read | Access::Fetch => !vma.prot.is_empty(),
        };
        let accerr = FaultError::Segv {
            code: SegvCode::AccErr,
            vma: Some(vma.kind),
        };
        if !allowed {
            return Err(accerr);
        }
        let page = addr.page_base();
        let slot = self.aspace.slot(self.mmu, page);
        if owns_frame(slot.pte()) {
            // Present and still faulting: the PTE forbids what the VMA allows.
            // Only a page shared since fork is made so; anything else is a
            // protection fault the program caused.
            let pte = slot.pte();
            if pf.code.access() == Access::Write && pte.flags().contains(PTE_COW) {
                return self.break_cow(slot, page, pte, &vma);
            }
            return Err(accerr);
        }
        let oom = FaultError::OutOfMemory { vma: vma.kind };
        let frame = self.frames.alloc().ok_or(oom)?;
        let phys = self.mmu.phys_mut();
        phys.zero_frame(frame);
        let Ok(fill) = first_contents(&vma.backing, page, phys.frame_mut(frame)) else {
            self.frames.free(frame);
            return Err(FaultError::Bus { vma: vma.kind });
        };
        let pte = Pte::new(frame, pte_flags(vma.prot).expect("accessible VMA"));
        match self.aspace.map_at(self.mmu, self.frames, slot, page, pte) {
            Ok(flush) => flush.flush(self.mmu),
            Err(_) => {
                self.frames.free(frame);
                return Err(oom);
            }
        }
        self.aspace.ledger.take(Cause::of(vma.kind));
        Ok(Mapped {
            kind: vma.kind,
            frame,
            pte,
            fill,
            grown,
            vma_start: vma.start,
        })
    }

    /// A write to a copy-on-write page: give the page a frame of its own,
    /// copying the shared one, or take the frame over if this space is its
    /// last holder. The ledger's reference for the page stays one.
    fn break_cow(
        &mut self,
        slot: Slot,
        page: VirtAddr,
        pte: Pte,
        vma: &Vma,
    ) -> Result<Mapped, FaultError> {
        let flags = pte_flags(vma.prot).expect("writable VMA") | (pte.flags() & PteFlags::A);
        let old = pte.frame();
        let (frame, fill) = if self.frames.refs(old) == 1 {
            (old, Fill::CowReuse)
        } else {
            let oom = FaultError::OutOfMemory { vma: vma.kind };
            let new = self.frames.alloc().ok_or(oom)?;
            self.mmu.phys_mut().copy_frame(old, new);
            self.frames.free(old);
            (new, Fill::CowCopy)
        };
        let pte = Pte::new(frame, flags);
        self.aspace
            .replace_at(self.mmu, slot, page, pte)
            .flush(self.mmu);
        Ok(Mapped {
            kind: vma.kind,
            frame,
            pte,
            fill,
            grown: None,
            vma_start: vma.start,
        })
    }

    /// Extend the stack VMA down to cover `addr`, if the stack may grow that
    /// far and no other mapping sits within the guard gap below it. Returns
    /// the stack as it is now.
    fn grow_stack(&mut self, addr: VirtAddr) -> Result<Vma, FaultError> {
        let stack = self
            .aspace
            .vmas
            .first_ending_above(addr)
            .filter(|v| v.kind == VmaKind::Stack)
            .cloned()
            .ok_or(MAPERR)?;
        let new_start = addr.page_base();
        // RLIMIT_STACK bounds the whole VMA, as acct_stack_growth counts it.
        if stack.end.0 - new_start.0 > self.stack_limit || new_start < MMAP_MIN_ADDR {
            return Err(MAPERR);
        }
        // expand_downwards keeps the guard gap only from mappings that can
        // be accessed: a PROT_NONE reservation below does not stop growth.
        if let Some(prev) = self.aspace.vmas.last_starting_below(new_start) {
            let blocks = prev.kind != VmaKind::Stack && !prev.prot.is_empty();
            if blocks && prev.end.0.saturating_add(STACK_GUARD_GAP) > new_start.0 {
                return Err(MAPERR);
            }
        }
        self.aspace.vmas.move_start(stack.start, new_start);
        Ok(Vma {
            start: new_start,
            ..stack
        })
    }
}
