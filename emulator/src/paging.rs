//! i386 page-directory and page-table entries (Intel SDM Vol. 3A §4.3, Table 4-5/4-6).
//!
//! A PDE and a PTE share one layout for the bits this machine uses: a frame
//! number in bits 31..12 and the flags below. 4 MiB pages (PDE.PS) are not
//! modelled: the kernel never sets PS, and the MMU ignores it.

use crate::addr::{Frame, PhysAddr, PAGE_MASK};
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
pub const PTE_A: PteFlags = PteFlags::A;
pub const PTE_D: PteFlags = PteFlags::D;

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
