//! Addresses as types: a linear (virtual) address and a physical one never mix.
//!
//! Linear address on i386 with 4 KiB pages (Intel SDM Vol. 3A §4.3, Figure 4-2):
//!
//! ```text
//!  31          22 21          12 11             0
//! +--------------+--------------+----------------+
//! |  directory   |    table     |     offset     |
//! +--------------+--------------+----------------+
//!    pd_index()     pt_index()    page_offset()
//! ```

use std::fmt;

/// Size of a page and of a physical frame.
pub const PAGE_SIZE: u32 = 4096;
/// log2(PAGE_SIZE).
pub const PAGE_SHIFT: u32 = 12;
/// Mask of the offset bits within a page.
pub const PAGE_MASK: u32 = PAGE_SIZE - 1;

/// A 32-bit linear address, as user code sees it.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct VirtAddr(pub u32);

/// A physical address in the machine's RAM.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct PhysAddr(pub u32);

impl VirtAddr {
    pub const fn new(a: u32) -> Self {
        VirtAddr(a)
    }
    pub const fn as_u32(self) -> u32 {
        self.0
    }
    /// Bits 31..22: index into the page directory.
    pub const fn pd_index(self) -> usize {
        (self.0 >> 22) as usize
    }
    /// Bits 21..12: index into a page table.
    pub const fn pt_index(self) -> usize {
        ((self.0 >> 12) & 0x3ff) as usize
    }
    /// Bits 11..0: offset in the page.
    pub const fn page_offset(self) -> u32 {
        self.0 & PAGE_MASK
    }
    /// Virtual page number (bits 31..12).
    pub const fn vpn(self) -> u32 {
        self.0 >> PAGE_SHIFT
    }
    pub const fn page_base(self) -> VirtAddr {
        VirtAddr(self.0 & !PAGE_MASK)
    }
    pub const fn is_page_aligned(self) -> bool {
        self.0 & PAGE_MASK == 0
    }
    /// Round up to a page boundary; `None` past the top of the 4 GiB space.
    pub fn page_align_up(self) -> Option<VirtAddr> {
        self.0
            .checked_add(PAGE_MASK)
            .map(|a| VirtAddr(a & !PAGE_MASK))
    }
    pub fn checked_add(self, n: u32) -> Option<VirtAddr> {
        self.0.checked_add(n).map(VirtAddr)
    }
}

impl PhysAddr {
    pub const fn new(a: u32) -> Self {
        PhysAddr(a)
    }
    pub const fn as_u32(self) -> u32 {
        self.0
    }
    pub const fn frame(self) -> Frame {
        Frame(self.0 >> PAGE_SHIFT)
    }
    pub const fn page_offset(self) -> u32 {
        self.0 & PAGE_MASK
    }
}

/// A physical frame number: the physical address shifted right by 12.
#[derive(Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default)]
pub struct Frame(pub u32);

impl Frame {
    pub const fn base(self) -> PhysAddr {
        PhysAddr(self.0 << PAGE_SHIFT)
    }
    pub const fn index(self) -> usize {
        self.0 as usize
    }
}

impl fmt::Debug for VirtAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "VirtAddr({:#010x})", self.0)
    }
}
impl fmt::Debug for PhysAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "PhysAddr({:#010x})", self.0)
    }
}
impl fmt::Debug for Frame {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Frame({:#x})", self.0)
    }
}
impl fmt::Display for VirtAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#010x}", self.0)
    }
}
impl fmt::Display for PhysAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:#010x}", self.0)
    }
}
impl fmt::LowerHex for VirtAddr {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        fmt::LowerHex::fmt(&self.0, f)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn splits_linear_address_10_10_12() {
        let va = VirtAddr(0x0804_9abc);
        assert_eq!(va.pd_index(), 0x20);
        assert_eq!(va.pt_index(), 0x49);
        assert_eq!(va.page_offset(), 0xabc);
        assert_eq!(va.page_base(), VirtAddr(0x0804_9000));
    }

    #[test]
    fn align_up_stops_at_top_of_space() {
        assert_eq!(VirtAddr(0x1001).page_align_up(), Some(VirtAddr(0x2000)));
        assert_eq!(VirtAddr(0x2000).page_align_up(), Some(VirtAddr(0x2000)));
        assert_eq!(VirtAddr(0xffff_f001).page_align_up(), None);
    }

    #[test]
    fn debug_is_hex() {
        assert_eq!(
            format!("{:?}", VirtAddr(0xc0000000)),
            "VirtAddr(0xc0000000)"
        );
    }
}
