//! An address space: a page directory in guest RAM plus the VMAs it must agree with.
//!
//! Page tables are frames from the allocator, written through the machine's
//! physical memory in the format `toyemu_emulator::paging` owns; a table is
//! freed as soon as its last entry goes, so munmap and exit cost what was
//! populated, not what was mapped. Every PTE change returns a [`Flush`] the
//! caller must apply, so a forgotten `invlpg` is a compiler warning rather
//! than a stale TLB entry.
//!
//! All software walks of the tables go through [`AddressSpace::slot`]
//! (counted by [`AddressSpace::walks`]); whole ranges are visited with
//! [`AddressSpace::next_populated`], which skips 4 MiB at a time where a
//! table holds nothing.

use crate::frame::{FrameAllocator, FrameUse};
use crate::layout::{TASK_SIZE, USER_PDES};
use crate::ledger::{Cause, Ledger};
use crate::vma::{Backing, Prot, VmaSet};
use toyemu_emulator::paging::ENTRIES;
use toyemu_emulator::{Mmu, PageTable, PhysAddr, Pte, PteFlags, VirtAddr, PAGE_SIZE};

/// A PTE with P clear that still owns its frame: the page is `PROT_NONE`
/// (Linux keeps the contents for when access is granted again).
pub const PTE_PROTNONE: PteFlags = PteFlags::AVL0;

/// A present PTE made read-only because its frame is shared since a fork:
/// a write copies the frame, or takes it over if no one else holds it now.
pub const PTE_COW: PteFlags = PteFlags::AVL1;

/// RAM ran out while building a mapping; nothing was left half-done.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OutOfFrames;

/// A TLB invalidation owed after a PTE change.
#[must_use = "a changed PTE must be invalidated in the TLB"]
pub struct Flush(VirtAddr);

impl Flush {
    pub fn flush(self, mmu: &mut Mmu) {
        mmu.invlpg(self.0);
    }
}

/// PTE flags for a VMA protection; `None` when no access is allowed.
/// i386 paging has no execute bit: readable means executable (SDM §4.6).
pub fn pte_flags(prot: Prot) -> Option<PteFlags> {
    if prot.is_empty() {
        None
    } else if prot.contains(Prot::WRITE) {
        Some(PteFlags::P | PteFlags::US | PteFlags::RW)
    } else {
        Some(PteFlags::P | PteFlags::US)
    }
}

/// Does this PTE hold a frame the address space owns?
pub fn owns_frame(pte: Pte) -> bool {
    pte.is_present() || pte.flags().contains(PTE_PROTNONE)
}

/// Where the PTE for an address is, found by one walk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Slot {
    /// The page table exists: the PTE's address and what it holds.
    Entry { at: PhysAddr, pte: Pte },
    /// No page table covers the address yet.
    NoTable,
}

impl Slot {
    /// The entry as it stands (empty where there is no table).
    pub fn pte(self) -> Pte {
        match self {
            Slot::Entry { pte, .. } => pte,
            Slot::NoTable => Pte::EMPTY,
        }
    }
}

pub struct AddressSpace {
    pd: PageTable,
    pub(crate) vmas: VmaSet,
    /// Frames held by each user page table (index = directory index).
    live: Vec<u16>,
    /// Start of the heap: the page-aligned end of the last ELF segment.
    pub(crate) brk_start: VirtAddr,
    /// The program break as the program last set it (not page-aligned).
    pub(crate) brk: VirtAddr,
    pub(crate) ledger: Ledger,
    /// Software walks of the tables so far.
    walks: u64,
    /// Pages unmapped whose frame another process still held.
    still_shared: u32,
}

impl AddressSpace {
    /// A fresh space: an empty, zeroed page directory.
    pub fn new(mmu: &mut Mmu, frames: &mut FrameAllocator) -> Result<AddressSpace, OutOfFrames> {
        let pd = frames.alloc().ok_or(OutOfFrames)?;
        frames.note(pd, true, FrameUse::Directory);
        mmu.phys_mut().zero_frame(pd);
        let mut ledger = Ledger::default();
        ledger.take(Cause::PageTable);
        Ok(AddressSpace {
            pd: PageTable(pd),
            vmas: VmaSet::default(),
            live: vec![0; USER_PDES],
            brk_start: VirtAddr(0),
            brk: VirtAddr(0),
            ledger,
            walks: 0,
            still_shared: 0,
        })
    }

    /// The page directory (what CR3 holds while this space runs).
    pub fn directory(&self) -> PageTable {
        self.pd
    }
    pub fn vmas(&self) -> &VmaSet {
        &self.vmas
    }
    /// Start of the heap and the program break.
    pub fn brk_range(&self) -> (VirtAddr, VirtAddr) {
        (self.brk_start, self.brk)
    }
    /// Frames taken and given back, by cause.
    pub fn ledger(&self) -> &Ledger {
        &self.ledger
    }
    /// Pages unmapped so far whose frame another process still held.
    pub fn still_shared(&self) -> u32 {
        self.still_shared
    }
    /// Software walks of the page tables so far (one per resolved fault).
    pub fn walks(&self) -> u64 {
        self.walks
    }

    /// Walk to the PTE for `va`: the one software walk of the tables.
    pub fn slot(&mut self, mmu: &Mmu, va: VirtAddr) -> Slot {
        self.walks += 1;
        self.peek_slot(mmu, va)
    }

    /// [`AddressSpace::slot`] for readers that must not count (reports, checks).
    pub fn peek_slot(&self, mmu: &Mmu, va: VirtAddr) -> Slot {
        let pde = self.pd.entry(mmu.phys(), va.pd_index());
        if !pde.is_present() {
            return Slot::NoTable;
        }
        let table = PageTable(pde.frame());
        Slot::Entry {
            at: table.entry_addr(va.pt_index()),
            pte: table.entry(mmu.phys(), va.pt_index()),
        }
    }

    /// Map `va` to `frame` at the `slot` a walk found for it, allocating the
    /// page table if there is none. On failure nothing changed and the
    /// caller still owns `frame`.
    pub fn map_at(
        &mut self,
        mmu: &mut Mmu,
        frames: &mut FrameAllocator,
        slot: Slot,
        va: VirtAddr,
        pte: Pte,
    ) -> Result<Flush, OutOfFrames> {
        debug_assert!(va < TASK_SIZE);
        let at = match slot {
            Slot::Entry { at, pte: old } => {
                assert!(
                    !owns_frame(old),
                    "mapping {va} over a page that holds frame {:?}",
                    old.frame()
                );
                at
            }
            Slot::NoTable => {
                let table = frames.alloc().ok_or(OutOfFrames)?;
                let pd_index = va.pd_index() as u16;
                frames.note(table, true, FrameUse::PageTable { pd_index });
                mmu.phys_mut().zero_frame(table);
                self.ledger.take(Cause::PageTable);
                // The directory entry allows everything; the PTE decides.
                let pde = Pte::new(table, PteFlags::P | PteFlags::RW | PteFlags::US);
                self.pd.set_entry(mmu.phys_mut(), va.pd_index(), pde);
                PageTable(table).entry_addr(va.pt_index())
            }
        };
        mmu.phys_mut().write_u32(at, pte.raw());
        self.live[va.pd_index()] += 1;
        Ok(Flush(va))
    }

    /// The child's copy of this space at fork: the same VMAs and break, and
    /// every populated page mapped to the same frame, read-only and marked
    /// copy-on-write (PTE_COW) in both (but for MAP_SHARED pages, which stay
    /// writable: both see each other's writes), so the first write by either copies
    /// the frame; the parent's TLB entries are flushed for pages that were
    /// writable. The child's ledger books one reference per shared page. On
    /// failure (no frame for a table) the child's frames are given back and
    /// the parent is as it was, except that shared pages may stay
    /// copy-on-write, which only costs a fault.
    pub fn fork(
        &mut self,
        mmu: &mut Mmu,
        frames: &mut FrameAllocator,
    ) -> Result<AddressSpace, OutOfFrames> {
        let mut child = AddressSpace::new(mmu, frames)?;
        child.vmas = self.vmas.clone();
        (child.brk_start, child.brk) = (self.brk_start, self.brk);
        let vmas: Vec<_> = self
            .vmas
            .iter()
            .map(|v| {
                (
                    v.start,
                    v.end,
                    v.kind,
                    matches!(v.backing, Backing::SharedAnon),
                )
            })
            .collect();
        for (start, end, kind, truly_shared) in vmas {
            let mut at = start;
            while let Some((va, slot, pte)) = self.next_populated(mmu, at, end) {
                // Every shared page is marked, writable or not: mprotect
                // making it writable later must still copy on the first
                // write. A MAP_SHARED page stays as it is, in both.
                let shared = if truly_shared {
                    pte
                } else {
                    pte.with_flags((pte.flags() - PteFlags::RW) | PTE_COW)
                };
                if shared != pte {
                    mmu.phys_mut().write_u32(slot, shared.raw());
                }
                if shared.flags() != pte.flags() && pte.flags().contains(PteFlags::RW) {
                    Flush(va).flush(mmu);
                }
                let target = child.peek_slot(mmu, va);
                // The child's dirty bits start clear: it has written nothing.
                let theirs = shared.with_flags(shared.flags() - PteFlags::D);
                if child.map_at(mmu, frames, target, va, theirs).is_err() {
                    let _ = child.teardown(mmu, frames);
                    return Err(OutOfFrames);
                }
                frames.share(pte.frame());
                child.ledger.take(Cause::of(kind));
                match va.checked_add(PAGE_SIZE) {
                    Some(next) => at = next,
                    None => break,
                }
            }
        }
        Ok(child)
    }

    /// Point the PTE of `va`, which holds a frame, at `pte` instead (a
    /// copy-on-write fault giving the page its own frame, or taking over
    /// the shared one). The caller accounts for the frames.
    pub fn replace_at(&mut self, mmu: &mut Mmu, slot: Slot, va: VirtAddr, pte: Pte) -> Flush {
        let Slot::Entry { at, pte: old } = slot else {
            panic!("replacing {va}, which has no page table");
        };
        assert!(owns_frame(old), "replacing {va}, which holds no frame");
        mmu.phys_mut().write_u32(at, pte.raw());
        Flush(va)
    }

    /// Page tables that mapping every page of `[start, end)` would need
    /// and that do not exist yet.
    pub fn tables_missing(&self, start: VirtAddr, end: VirtAddr) -> u32 {
        let (first, last) = (start.pd_index(), VirtAddr(end.0 - 1).pd_index());
        (first..=last)
            .filter(|&i| self.live_entries(i) == 0)
            .count() as u32
    }

    /// Move the frame mapped at `from` to `to`, which holds nothing
    /// (mremap): the PTE goes over as it is, A and D bits included, and the
    /// old entry is invalidated. Allocates `to`'s page table if needed; on
    /// failure nothing changed.
    pub fn move_page(
        &mut self,
        mmu: &mut Mmu,
        frames: &mut FrameAllocator,
        from: VirtAddr,
        to: VirtAddr,
    ) -> Result<(), OutOfFrames> {
        let Slot::Entry { at, pte } = self.peek_slot(mmu, from) else {
            return Ok(());
        };
        if !owns_frame(pte) {
            return Ok(());
        }
        let target = self.peek_slot(mmu, to);
        self.map_at(mmu, frames, target, to, pte)?.flush(mmu);
        mmu.phys_mut().write_u32(at, 0);
        Flush(from).flush(mmu);
        let pdi = from.pd_index();
        self.live[pdi] -= 1;
        if self.live[pdi] == 0 {
            self.free_table(mmu, frames, pdi);
        }
        Ok(())
    }

    /// The first page at or after `va` and below `end` that holds a frame:
    /// its address, where its PTE is, and the PTE. Tables that hold nothing
    /// are skipped whole.
    pub fn next_populated(
        &self,
        mmu: &Mmu,
        va: VirtAddr,
        end: VirtAddr,
    ) -> Option<(VirtAddr, PhysAddr, Pte)> {
        let phys = mmu.phys();
        let mut at = va.page_base().0;
        while at < end.0 {
            let pdi = (at >> 22) as usize;
            let table_end = (((pdi as u64 + 1) << 22).min(end.0 as u64)) as u32;
            if self.live.get(pdi).copied().unwrap_or(0) > 0 {
                let table = PageTable(self.pd.entry(phys, pdi).frame());
                while at < table_end {
                    let pti = VirtAddr(at).pt_index();
                    let pte = table.entry(phys, pti);
                    if owns_frame(pte) {
                        return Some((VirtAddr(at), table.entry_addr(pti), pte));
                    }
                    at += PAGE_SIZE;
                }
            }
            at = table_end;
        }
        None
    }

    /// Remove every page in `[start, end)` that holds a frame, free those
    /// frames (booked under `cause`) and any page table left empty.
    /// Returns the number of user frames freed. Costs one step per 4 MiB of
    /// range plus one per populated page.
    pub fn unmap_range(
        &mut self,
        mmu: &mut Mmu,
        frames: &mut FrameAllocator,
        start: VirtAddr,
        end: VirtAddr,
        cause: Cause,
    ) -> u32 {
        let mut freed = 0;
        let mut at = start;
        while let Some((va, slot, pte)) = self.next_populated(mmu, at, end) {
            mmu.phys_mut().write_u32(slot, 0);
            Flush(va).flush(mmu);
            // A frame another process still shares stays with it.
            if frames.free(pte.frame()) {
                frames.note(pte.frame(), false, FrameUse::Page { va, cause });
            } else {
                self.still_shared += 1;
            }
            self.ledger.give_back(cause);
            freed += 1;
            let pdi = va.pd_index();
            self.live[pdi] -= 1;
            if self.live[pdi] == 0 {
                self.free_table(mmu, frames, pdi);
            }
            match va.checked_add(PAGE_SIZE) {
                Some(next) => at = next,
                None => break,
            }
        }
        freed
    }

    fn free_table(&mut self, mmu: &mut Mmu, frames: &mut FrameAllocator, pdi: usize) {
        let pde = self.pd.entry(mmu.phys(), pdi);
        if pde.is_present() {
            self.pd.set_entry(mmu.phys_mut(), pdi, Pte::EMPTY);
            frames.free(pde.frame());
            let pd_index = pdi as u16;
            frames.note(pde.frame(), false, FrameUse::PageTable { pd_index });
            self.ledger.give_back(Cause::PageTable);
        }
    }

    /// Rewrite the PTEs of populated pages in `[start, end)` for `prot`,
    /// keeping frames and A/D bits; PROT_NONE pages keep their frame.
    pub fn protect_range(&mut self, mmu: &mut Mmu, start: VirtAddr, end: VirtAddr, prot: Prot) {
        let keep = PteFlags::A | PteFlags::D | PTE_COW;
        let mut at = start;
        while let Some((va, slot, pte)) = self.next_populated(mmu, at, end) {
            let mut flags = pte_flags(prot).unwrap_or(PTE_PROTNONE) | (pte.flags() & keep);
            // A shared frame stays read-only: the first write still copies it.
            if flags.contains(PTE_COW) {
                flags.remove(PteFlags::RW);
            }
            mmu.phys_mut().write_u32(slot, pte.with_flags(flags).raw());
            if !crate::mutant::skips_invlpg_after_protect() {
                Flush(va).flush(mmu);
            }
            match va.checked_add(PAGE_SIZE) {
                Some(next) => at = next,
                None => break,
            }
        }
    }

    /// Pages in `[start, end)` that hold a frame.
    pub fn resident_in(&self, mmu: &Mmu, start: VirtAddr, end: VirtAddr) -> u32 {
        let mut n = 0;
        let mut at = start;
        while let Some((va, _, _)) = self.next_populated(mmu, at, end) {
            n += 1;
            match va.checked_add(PAGE_SIZE) {
                Some(next) => at = next,
                None => break,
            }
        }
        n
    }

    /// Frames the page table under directory entry `pdi` holds, by the count kept here.
    pub fn live_entries(&self, pdi: usize) -> u16 {
        self.live.get(pdi).copied().unwrap_or(0)
    }

    /// Page tables currently allocated (not counting the directory).
    pub fn page_tables(&self) -> u32 {
        self.live.iter().filter(|&&n| n > 0).count() as u32
    }

    /// Tear everything down: every VMA's frames, every table, the directory.
    /// The caller has already switched CR3 away or will flush.
    pub fn teardown(mut self, mmu: &mut Mmu, frames: &mut FrameAllocator) -> (Ledger, u32) {
        let vmas: Vec<_> = self.vmas.iter().map(|v| (v.start, v.end, v.kind)).collect();
        for (start, end, kind) in vmas {
            self.unmap_range(mmu, frames, start, end, Cause::of(kind));
        }
        // A table could only survive if a PTE existed outside every VMA.
        for pdi in 0..USER_PDES {
            assert_eq!(
                self.live[pdi], 0,
                "frames mapped outside every VMA under PDE {pdi}"
            );
        }
        frames.free(self.pd.0);
        frames.note(self.pd.0, false, FrameUse::Directory);
        self.ledger.give_back(Cause::PageTable);
        debug_assert_eq!(ENTRIES, 1024);
        (self.ledger, self.still_shared)
    }
}
