//! An address space: a page directory in guest RAM plus the VMAs it must agree with.
//!
//! Page tables are frames from the allocator, written through the machine's
//! physical memory; a table is freed as soon as its last entry goes, so
//! munmap and exit cost what was populated, not what was mapped. Every PTE
//! change returns a [`Flush`] the caller must apply, so a forgotten `invlpg`
//! is a compiler warning rather than a stale TLB entry.

use crate::frame::FrameAllocator;
use crate::layout::{TASK_SIZE, USER_PDES};
use crate::ledger::{Cause, Ledger};
use crate::vma::{Prot, VmaSet};
use toyemu_emulator::paging::ENTRIES;
use toyemu_emulator::{Frame, Mmu, PhysAddr, Pte, PteFlags, VirtAddr, PAGE_SIZE};

/// A PTE with P clear that still owns its frame: the page is `PROT_NONE`
/// (Linux keeps the contents for when access is granted again).
pub const PTE_PROTNONE: PteFlags = PteFlags::AVL0;

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
fn owns_frame(pte: Pte) -> bool {
    pte.is_present() || pte.flags().contains(PTE_PROTNONE)
}

pub struct AddressSpace {
    pub pd: Frame,
    pub vmas: VmaSet,
    /// Frames held by each user page table (index = directory index).
    live: Vec<u16>,
    /// Start of the heap: the page-aligned end of the last ELF segment.
    pub brk_start: VirtAddr,
    /// The program break as the program last set it (not page-aligned).
    pub brk: VirtAddr,
    pub ledger: Ledger,
}

impl AddressSpace {
    /// A fresh space: an empty, zeroed page directory.
    pub fn new(mmu: &mut Mmu, frames: &mut FrameAllocator) -> Result<AddressSpace, OutOfFrames> {
        let pd = frames.alloc().ok_or(OutOfFrames)?;
        mmu.phys_mut().zero_frame(pd);
        let mut ledger = Ledger::default();
        ledger.take(Cause::PageTable);
        Ok(AddressSpace {
            pd,
            vmas: VmaSet::default(),
            live: vec![0; USER_PDES],
            brk_start: VirtAddr(0),
            brk: VirtAddr(0),
            ledger,
        })
    }

    fn pde_addr(&self, va: VirtAddr) -> PhysAddr {
        PhysAddr(self.pd.base().0 + 4 * va.pd_index() as u32)
    }

    /// Where the PTE for `va` lives, if its page table exists.
    fn pte_addr(&self, mmu: &Mmu, va: VirtAddr) -> Option<PhysAddr> {
        let pde = Pte(mmu.phys().read_u32(self.pde_addr(va)));
        pde.is_present()
            .then(|| PhysAddr(pde.frame().base().0 + 4 * va.pt_index() as u32))
    }

    /// The PTE for `va` (empty if there is no page table).
    pub fn pte(&self, mmu: &Mmu, va: VirtAddr) -> Pte {
        self.pte_addr(mmu, va)
            .map_or(Pte::EMPTY, |a| Pte(mmu.phys().read_u32(a)))
    }

    /// Map `va` to `frame`. Allocates the page table if needed; on failure
    /// nothing changed and the caller still owns `frame`.
    pub fn map_page(
        &mut self,
        mmu: &mut Mmu,
        frames: &mut FrameAllocator,
        va: VirtAddr,
        frame: Frame,
        flags: PteFlags,
    ) -> Result<Flush, OutOfFrames> {
        debug_assert!(va < TASK_SIZE);
        let pde_addr = self.pde_addr(va);
        let mut pde = Pte(mmu.phys().read_u32(pde_addr));
        if !pde.is_present() {
            let table = frames.alloc().ok_or(OutOfFrames)?;
            mmu.phys_mut().zero_frame(table);
            self.ledger.take(Cause::PageTable);
            // The directory entry allows everything; the PTE decides.
            pde = Pte::new(table, PteFlags::P | PteFlags::RW | PteFlags::US);
            mmu.phys_mut().write_u32(pde_addr, pde.raw());
        }
        let pte_addr = PhysAddr(pde.frame().base().0 + 4 * va.pt_index() as u32);
        let old = Pte(mmu.phys().read_u32(pte_addr));
        assert!(
            !owns_frame(old),
            "mapping {va} over a page that holds frame {:?}",
            old.frame()
        );
        mmu.phys_mut()
            .write_u32(pte_addr, Pte::new(frame, flags).raw());
        self.live[va.pd_index()] += 1;
        Ok(Flush(va))
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
        let mut va = start.0;
        while va < end.0 {
            let table_end = ((va >> 22) + 1)
                .checked_shl(22)
                .unwrap_or(u32::MAX)
                .min(end.0);
            let pdi = (va >> 22) as usize;
            if self.live.get(pdi).copied().unwrap_or(0) == 0 {
                va = table_end;
                continue;
            }
            let table = Pte(mmu.phys().read_u32(self.pde_addr(VirtAddr(va)))).frame();
            while va < table_end {
                let pte_addr = PhysAddr(table.base().0 + 4 * VirtAddr(va).pt_index() as u32);
                let pte = Pte(mmu.phys().read_u32(pte_addr));
                if owns_frame(pte) {
                    mmu.phys_mut().write_u32(pte_addr, 0);
                    Flush(VirtAddr(va)).flush(mmu);
                    frames.free(pte.frame());
                    self.ledger.give_back(cause);
                    self.live[pdi] -= 1;
                    freed += 1;
                }
                va += PAGE_SIZE;
            }
            if self.live[pdi] == 0 {
                self.free_table(mmu, frames, pdi);
            }
        }
        freed
    }

    fn free_table(&mut self, mmu: &mut Mmu, frames: &mut FrameAllocator, pdi: usize) {
        let pde_addr = PhysAddr(self.pd.base().0 + 4 * pdi as u32);
        let pde = Pte(mmu.phys().read_u32(pde_addr));
        if pde.is_present() {
            mmu.phys_mut().write_u32(pde_addr, 0);
            frames.free(pde.frame());
            self.ledger.give_back(Cause::PageTable);
        }
    }

    /// Rewrite the PTEs of populated pages in `[start, end)` for `prot`,
    /// keeping frames and A/D bits; PROT_NONE pages keep their frame.
    pub fn protect_range(&mut self, mmu: &mut Mmu, start: VirtAddr, end: VirtAddr, prot: Prot) {
        let keep = PteFlags::A | PteFlags::D;
        for va in (start.0..end.0).step_by(PAGE_SIZE as usize) {
            if self.live[va as usize >> 22] == 0 {
                continue;
            }
            let Some(pte_addr) = self.pte_addr(mmu, VirtAddr(va)) else {
                continue;
            };
            let pte = Pte(mmu.phys().read_u32(pte_addr));
            if !owns_frame(pte) {
                continue;
            }
            let flags = pte_flags(prot).unwrap_or(PTE_PROTNONE) | (pte.flags() & keep);
            mmu.phys_mut()
                .write_u32(pte_addr, pte.with_flags(flags).raw());
            // The mutant shows the property tests catch a missed invlpg.
            #[cfg(not(feature = "mutant-skip-invlpg"))]
            Flush(VirtAddr(va)).flush(mmu);
        }
    }

    /// Pages in `[start, end)` that hold a frame.
    pub fn resident_in(&self, mmu: &Mmu, start: VirtAddr, end: VirtAddr) -> u32 {
        let mut n = 0;
        let mut va = start.0;
        while va < end.0 {
            let table_end = ((va >> 22) + 1)
                .checked_shl(22)
                .unwrap_or(u32::MAX)
                .min(end.0);
            if self.live[(va >> 22) as usize] == 0 {
                va = table_end;
                continue;
            }
            while va < table_end {
                n += owns_frame(self.pte(mmu, VirtAddr(va))) as u32;
                va += PAGE_SIZE;
            }
        }
        n
    }

    /// Frames the page table under directory entry `pdi` holds, by the count kept here.
    pub fn live_entries(&self, pdi: usize) -> u16 {
        self.live.get(pdi).copied().unwrap_or(0)
    }

    /// Page tables currently allocated (not counting the directory).
    pub fn page_tables(&self, mmu: &Mmu) -> u32 {
        (0..USER_PDES)
            .filter(|&i| {
                Pte(mmu
                    .phys()
                    .read_u32(PhysAddr(self.pd.base().0 + 4 * i as u32)))
                .is_present()
            })
            .count() as u32
    }

    /// Tear everything down: every VMA's frames, every table, the directory.
    /// The caller has already switched CR3 away or will flush.
    pub fn teardown(mut self, mmu: &mut Mmu, frames: &mut FrameAllocator) -> Ledger {
        let vmas: Vec<_> = self.vmas.iter().cloned().collect();
        for v in vmas {
            self.unmap_range(mmu, frames, v.start, v.end, Cause::of(v.kind));
        }
        // A table could only survive if a PTE existed outside every VMA.
        for pdi in 0..USER_PDES {
            assert_eq!(
                self.live[pdi], 0,
                "frames mapped outside every VMA under PDE {pdi}"
            );
            self.free_table(mmu, frames, pdi);
        }
        frames.free(self.pd);
        self.ledger.give_back(Cause::PageTable);
        debug_assert_eq!(ENTRIES, 1024);
        self.ledger
    }
}
