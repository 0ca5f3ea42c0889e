//! i386 page tables in guest RAM (Intel SDM Vol. 3A §4.3, Table 4-5/4-6):
//! the entry format, a table as a frame of 1024 entries, and the two-level
//! walk from a directory to a PTE.
//!
//! ```text
//!  CR3 ──▶ directory frame            table frame               page frame
//!          [pd_index(va)] = PDE ──▶   [pt_index(va)] = PTE ──▶  + page_offset(va)
//! ```
//!
//! A PDE and a PTE share one layout for the bits this machine uses: a frame
//! number in bits 31..12 and the flags below. 4 MiB pages (PDE.PS) are not
//! modelled: the kernel never sets PS, and the MMU ignores it. This is the
//! only place that knows where an entry sits in RAM; the MMU's walk, the
//! kernel's address spaces and every report go through it.

use crate::addr::{Frame, PhysAddr, VirtAddr, PAGE_MASK};
use crate::phys::PhysMem;
use bitflags::bitflags;

/// Entries per page directory or page table.
pub const ENTRIES: usize = 1024;

bitflags! {
    /// Flag bits of a PDE or PTE.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct PteFlags: u32 {
        /// Present: the entry maps something; clear → #PF with P=0.
        const P = 1 << 0;
        /// Read/write: writes allowed (needed at both levels).
        const RW = 1 << 1;
        /// User/supervisor: CPL 3 may access (needed at both levels).
        const US = 1 << 2;
        /// Page-level write-through (not modelled, kept for the kernel's display).
        const PWT = 1 << 3;
        /// Page-level cache disable (not modelled).
        const PCD = 1 << 4;
        /// Accessed: set by the MMU on any access through the entry (§4.8).
        const A = 1 << 5;
        /// Dirty: set by the MMU on a write through the PTE (§4.8). PTE only.
        const D = 1 << 6;
        /// Page size (PDE) — never set by this kernel.
        const PS = 1 << 7;
        /// Global (not modelled: every CR3 load flushes everything).
        const G = 1 << 8;
        /// Bits 9–11 are free for the operating system.
        const AVL0 = 1 << 9;
        const AVL1 = 1 << 10;
        const AVL2 = 1 << 11;
    }
}

/// `PTE_P` and friends under the manuals' names.
pub const PTE_P: PteFlags = PteFlags::P;
pub const PTE_W: PteFlags = PteFlags::RW;
pub const PTE_U: PteFlags = PteFlags::US;

/// One page-directory or page-table entry, exactly as stored in RAM.
#[derive(Clone, Copy, PartialEq, Eq, Default)]
#[repr(transparent)]
pub struct Pte(pub u32);

impl Pte {
    pub const EMPTY: Pte = Pte(0);

    pub fn new(frame: Frame, flags: PteFlags) -> Pte {
        Pte(frame.base().as_u32() | flags.bits())
    }
    pub const fn raw(self) -> u32 {
        self.0
    }
    pub fn flags(self) -> PteFlags {
        PteFlags::from_bits_truncate(self.0 & PAGE_MASK)
    }
    pub fn frame(self) -> Frame {
        PhysAddr(self.0 & !PAGE_MASK).frame()
    }
    pub fn is_present(self) -> bool {
        self.0 & PteFlags::P.bits() != 0
    }
    pub fn with_flags(self, flags: PteFlags) -> Pte {
        Pte((self.0 & !PAGE_MASK) | flags.bits())
    }
}

impl std::fmt::Debug for Pte {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "Pte({:#010x} frame={:#x} {})",
            self.0,
            self.frame().0,
            describe(self.flags())
        )
    }
}

/// Short text for the flags, as a page-table dump shows them: `P W U A D`.
pub fn describe(flags: PteFlags) -> String {
    let bit = |f: PteFlags, on: char| if flags.contains(f) { on } else { '-' };
    [
        bit(PteFlags::P, 'P'),
        bit(PteFlags::RW, 'W'),
        bit(PteFlags::US, 'U'),
        bit(PteFlags::A, 'A'),
        bit(PteFlags::D, 'D'),
    ]
    .iter()
    .collect()
}

/// A page directory or a page table: one frame of [`ENTRIES`] entries.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct PageTable(pub Frame);

impl PageTable {
    /// Where entry `index` is stored in RAM.
    pub fn entry_addr(self, index: usize) -> PhysAddr {
        debug_assert!(index < ENTRIES);
        PhysAddr(self.0.base().0 + 4 * index as u32)
    }
    pub fn entry(self, phys: &PhysMem, index: usize) -> Pte {
        Pte(phys.read_u32(self.entry_addr(index)))
    }
    pub fn set_entry(self, phys: &mut PhysMem, index: usize, e: Pte) {
        phys.write_u32(self.entry_addr(index), e.raw());
    }
    /// The non-zero entries among `indices`, with their index.
    pub fn populated(
        self,
        phys: &PhysMem,
        indices: std::ops::Range<usize>,
    ) -> impl Iterator<Item = (usize, Pte)> + '_ {
        indices
            .map(move |i| (i, self.entry(phys, i)))
            .filter(|(_, e)| e.raw() != 0)
    }
}

/// Both levels of a translation, read without changing anything.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Walk {
    pub pde_addr: PhysAddr,
    pub pde: Pte,
    /// Absent when the PDE is not present.
    pub pte_addr: Option<PhysAddr>,
    pub pte: Option<Pte>,
}

impl Walk {
    /// The frame a present PTE maps, if it lies in RAM.
    pub fn frame(&self, phys: &PhysMem) -> Option<Frame> {
        self.pte
            .filter(|p| p.is_present() && p.frame().0 < phys.frames())
            .map(Pte::frame)
    }
}

/// Walk `dir` for `va`: no A/D bits, no TLB, no fault. The MMU's walk and
/// every look at the tables from outside it start here.
pub fn walk(phys: &PhysMem, dir: PageTable, va: VirtAddr) -> Walk {
    let pde_addr = dir.entry_addr(va.pd_index());
    let pde = Pte(phys.read_u32(pde_addr));
    if !pde.is_present() || pde.frame().0 >= phys.frames() {
        return Walk {
            pde_addr,
            pde,
            pte_addr: None,
            pte: None,
        };
    }
    let pte_addr = PageTable(pde.frame()).entry_addr(va.pt_index());
    Walk {
        pde_addr,
        pde,
        pte_addr: Some(pte_addr),
        pte: Some(Pte(phys.read_u32(pte_addr))),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn entry_round_trips_frame_and_flags() {
        let e = Pte::new(Frame(0x1234), PTE_P | PTE_W | PTE_U);
        assert_eq!(e.raw(), 0x0123_4007);
        assert_eq!(e.frame(), Frame(0x1234));
        assert!(e.is_present());
        assert_eq!(describe(e.flags()), "PWU--");
    }
}
