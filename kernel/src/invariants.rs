//! Cross-checks of the live processes' memory: VMAs, page tables, TLB and
//! the frame allocator must tell the same story.
//!
//! What must hold after every syscall and every resolved fault:
//!
//! - VMAs are page-aligned, non-empty, ordered, inside `[MMAP_MIN_ADDR, TASK_SIZE)`,
//!   and no two neighbours could have been merged (the kernel merges eagerly).
//! - A PTE that holds a frame lies inside a VMA; a present PTE grants exactly
//!   the VMA's rights (U/S always, R/W iff `PROT_WRITE`); a kept-but-absent
//!   PTE (`PTE_PROTNONE`) only in a `PROT_NONE` VMA; a page shared since
//!   fork (`PTE_COW`) is never writable.
//! - Within a process no frame is mapped twice or is also a page table;
//!   every mapped frame and every table is marked used by the allocator; no
//!   page table is empty, and the per-table counts match what the tables hold.
//! - Across processes, each frame's reference count is the number of PTEs
//!   (and directory entries) holding it; the allocator's used frames are
//!   exactly the frames some process holds, and each ledger agrees with its
//!   own tables.
//! - Every TLB entry matches the current PTE: same frame, and writable only
//!   if the PTE is writable and dirty. A stale entry is a missed `invlpg`.
//!
//! Tests call [`check`]; it only reads, so calling it changes nothing.

use crate::address_space::{AddressSpace, PTE_COW, PTE_PROTNONE};
use crate::kernel::Kernel;
use crate::layout::{MMAP_MIN_ADDR, TASK_SIZE, USER_PDES};
use crate::process::Process;
use crate::vma::Prot;
use std::collections::HashMap;
use toyemu_emulator::paging::ENTRIES;
use toyemu_emulator::{Frame, PageTable, Pte, PteFlags, VirtAddr, PAGE_SIZE};

/// What the page tables hold, gathered in one walk.
#[derive(Debug, Default)]
pub struct Census {
    /// User pages holding a frame: virtual page base → PTE.
    pub pages: HashMap<u32, Pte>,
    /// Page-table frames (not counting the directory).
    pub tables: u32,
    /// The directory's and the tables' frames.
    pub table_frames: Vec<u32>,
}

/// Check every invariant of the processes' memory (`p` is the one on the
/// CPU; the parked ones are checked too); the first violation is the error.
pub fn check(kernel: &Kernel, p: &Process) -> Result<(), String> {
    let mm = p.mm.as_ref().ok_or("the process has no address space")?;
    let mut holders: HashMap<u32, u32> = HashMap::new();
    let parked = kernel
        .parked()
        .filter_map(|q| q.mm.as_ref().map(|m| (q.pid, m)));
    for (pid, space) in std::iter::once((p.pid, mm)).chain(parked) {
        check_vmas(space).map_err(|e| format!("pid {pid}: {e}"))?;
        let census = walk(kernel, space).map_err(|e| format!("pid {pid}: {e}"))?;
        check_ledger(space, &census).map_err(|e| format!("pid {pid}: {e}"))?;
        let tables = census.table_frames.iter().copied();
        for f in census.pages.values().map(|pte| pte.frame().0).chain(tables) {
            *holders.entry(f).or_default() += 1;
        }
    }
    check_frames(kernel, &holders)?;
    check_tlb(kernel, mm)?;
    Ok(())
}

fn check_vmas(mm: &AddressSpace) -> Result<(), String> {
    let mut prev: Option<&crate::vma::Vma> = None;
    for v in mm.vmas.iter() {
        if v.start.0 % PAGE_SIZE != 0 || v.end.0 % PAGE_SIZE != 0 || v.start >= v.end {
            return Err(format!("malformed VMA {v:?}"));
        }
        if v.start < MMAP_MIN_ADDR || v.end > TASK_SIZE {
            return Err(format!("VMA {v:?} outside user space"));
        }
        if let Some(pv) = prev {
            if pv.end > v.start {
                return Err(format!("VMAs overlap: {pv:?} and {v:?}"));
            }
            if pv.can_merge(v) {
                return Err(format!("VMAs left unmerged: {pv:?} and {v:?}"));
            }
        }
        prev = Some(v);
    }
    if mm.brk < mm.brk_start {
        return Err(format!("break {} below its start {}", mm.brk, mm.brk_start));
    }
    Ok(())
}

/// Walk the directory and every table, checking each entry against the VMAs.
pub fn walk(kernel: &Kernel, mm: &AddressSpace) -> Result<Census, String> {
    let phys = kernel.machine.mmu().phys();
    let frames = &kernel.frames;
    let mut census = Census::default();
    let mut owner: HashMap<u32, String> = HashMap::new();
    let mut claim = |f: Frame, what: String| -> Result<(), String> {
        if f.0 == 0 || f.0 >= frames.total_frames() {
            return Err(format!("{what} uses frame {:#x}, outside RAM", f.0));
        }
        if !frames.is_used(f) {
            return Err(format!("{what} uses frame {:#x}, which is free", f.0));
        }
        if let Some(first) = owner.insert(f.0, what.clone()) {
            return Err(format!("frame {:#x} used twice: {first} and {what}", f.0));
        }
        Ok(())
    };
    let dir = mm.directory();
    claim(dir.0, "the page directory".into())?;
    census.table_frames.push(dir.0 .0);
    for pdi in 0..ENTRIES {
        let pde = dir.entry(phys, pdi);
        if pdi >= USER_PDES || !pde.is_present() {
            if pde.raw() != 0 {
                return Err(format!("stray directory entry {pdi}: {pde:?}"));
            }
            if pdi < USER_PDES && mm.live_entries(pdi) != 0 {
                return Err(format!("directory entry {pdi} empty but counted live"));
            }
            continue;
        }
        claim(pde.frame(), format!("page table {pdi}"))?;
        census.tables += 1;
        census.table_frames.push(pde.frame().0);
        let mut live = 0u32;
        for (pti, pte) in PageTable(pde.frame()).populated(phys, 0..ENTRIES) {
            let va = VirtAddr(((pdi << 22) | (pti << 12)) as u32);
            let vma = mm
                .vmas
                .find(va)
                .ok_or_else(|| format!("PTE for {va} outside every VMA: {pte:?}"))?;
            if pte.is_present() {
                // A shared page is read-only until a write copies it.
                let cow = pte.flags().contains(PTE_COW);
                let want_rw = vma.prot.contains(Prot::WRITE) && !cow;
                if vma.prot.is_empty()
                    || !pte.flags().contains(PteFlags::US)
                    || pte.flags().contains(PteFlags::RW) != want_rw
                    || pte.flags().contains(PTE_PROTNONE)
                {
                    return Err(format!(
                        "PTE for {va} {pte:?} does not match VMA prot {}",
                        vma.prot.rwx()
                    ));
                }
            } else if pte.flags().contains(PTE_PROTNONE) {
                if !vma.prot.is_empty() {
                    return Err(format!(
                        "PROT_NONE PTE for {va} in a {} VMA",
                        vma.prot.rwx()
                    ));
                }
            } else {
                return Err(format!("PTE for {va} neither present nor kept: {pte:?}"));
            }
            claim(pte.frame(), format!("the page at {va}"))?;
            census.pages.insert(va.0, pte);
            live += 1;
        }
        if live == 0 {
            return Err(format!("page table {pdi} is empty but still allocated"));
        }
        if live != mm.live_entries(pdi) as u32 {
            return Err(format!(
                "page table {pdi} holds {live} frames, counted {}",
                mm.live_entries(pdi)
            ));
        }
    }
    Ok(census)
}

/// The ledger books one frame per page and table the space holds.
fn check_ledger(mm: &AddressSpace, census: &Census) -> Result<(), String> {
    let mine = census.pages.len() as i64 + census.tables as i64 + 1;
    let booked = mm.ledger.outstanding();
    if booked != mine {
        return Err(format!(
            "ledger says {booked} frames held, the tables {mine}"
        ));
    }
    Ok(())
}

/// `holders`: frame → how many PTEs and directory entries hold it, over
/// every process. The allocator must count the same.
fn check_frames(kernel: &Kernel, holders: &HashMap<u32, u32>) -> Result<(), String> {
    let used = kernel.frames.used_frames() as usize;
    if used != holders.len() {
        return Err(format!(
            "allocator has {used} frames in use, the processes hold {}",
            holders.len()
        ));
    }
    for (&f, &n) in holders {
        let refs = kernel.frames.refs(Frame(f)) as u32;
        if refs != n {
            return Err(format!(
                "frame {f:#x} counts {refs} references, {n} entries hold it"
            ));
        }
    }
    Ok(())
}

fn check_tlb(kernel: &Kernel, mm: &AddressSpace) -> Result<(), String> {
    let mmu = kernel.machine.mmu();
    if mmu.cr3() != mm.directory().0.base() {
        return Err(format!(
            "CR3 is {:?}, not the process's directory",
            mmu.cr3()
        ));
    }
    for e in mmu.tlb().valid_entries() {
        let va = VirtAddr(e.vpn << 12);
        let pte = mm.peek_slot(mmu, va).pte();
        let stale = !pte.is_present()
            || pte.frame().base().0 != e.frame_base
            || (e.writable && !pte.flags().contains(PteFlags::RW | PteFlags::D));
        if stale {
            return Err(format!(
                "stale TLB entry for {va}: frame {:#x}{} but the PTE is {pte:?}",
                e.frame_base >> 12,
                if e.writable { " writable" } else { "" }
            ));
        }
    }
    Ok(())
}
