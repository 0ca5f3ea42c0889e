//! The MMU: linear → physical through CR3's two-level tables and the TLB.
//!
//! Models 32-bit paging as Intel SDM Vol. 3A §4.3 describes it, at CPL 3:
//! a user access needs U/S at both levels, a write needs R/W at both levels;
//! the walk sets A in the PDE and PTE and D in the PTE on a write (§4.8);
//! a failure raises #PF with CR2 and the error code of §4.7. Every access,
//! instruction fetches included, goes through here. The MMU owns RAM, so the
//! CPU and the kernel reach memory only through it.

use crate::addr::{Frame, PhysAddr, VirtAddr, PAGE_MASK, PAGE_SIZE};
use crate::paging::{walk, PageTable, PteFlags, Walk};
use crate::phys::PhysMem;
use crate::tlb::{Tlb, TlbConfig, TlbEvent, TlbStats};
use crate::trap::{Access, PageFault, PfCode};
use crate::watch::Watch;

pub struct Mmu {
    phys: PhysMem,
    tlb: Tlb,
    cr3: PhysAddr,
    cr2: VirtAddr,
    /// Bumped on every CR3 load and `invlpg`: whoever caches translations
    /// outside the TLB (the CPU's current code page) revalidates on change.
    epoch: u64,
    /// Memcheck's shadow, when it runs: the pages whose accesses are checked.
    watch: Option<Box<Watch>>,
}

impl Mmu {
    pub fn new(phys: PhysMem, tlb: TlbConfig) -> Result<Mmu, String> {
        Ok(Mmu {
            phys,
            tlb: Tlb::new(tlb)?,
            cr3: PhysAddr(0),
            cr2: VirtAddr(0),
            epoch: 0,
            watch: None,
        })
    }

    pub fn cr3(&self) -> PhysAddr {
        self.cr3
    }
    /// Load CR3: switch page directory and flush the TLB (§4.10.4.1).
    pub fn load_cr3(&mut self, pd: PhysAddr) {
        self.cr3 = PhysAddr(pd.0 & !PAGE_MASK);
        self.tlb.flush();
        self.epoch += 1;
    }
    /// Address of the last page fault.
    pub fn cr2(&self) -> VirtAddr {
        self.cr2
    }
    /// `invlpg va`: drop the cached translation of one page.
    pub fn invlpg(&mut self, va: VirtAddr) {
        self.tlb.invalidate(va.vpn());
        self.epoch += 1;
    }
    #[inline(always)]
    pub fn epoch(&self) -> u64 {
        self.epoch
    }

    /// Translate a user access, through the TLB, walking on a miss. Not
    /// checked by memcheck: this is how the kernel reaches user memory.
    #[inline(always)]
    pub fn translate(&mut self, va: VirtAddr, access: Access) -> Result<PhysAddr, PageFault> {
        self.access(va, access, 0)
    }

    /// The CPU's translation of an access of `len` bytes (within the page;
    /// 0 for none memcheck should check).
    #[inline(always)]
    fn access(&mut self, va: VirtAddr, access: Access, len: u32) -> Result<PhysAddr, PageFault> {
        match self.tlb.hot_hit(va.vpn(), access == Access::Write) {
            Some(base) => Ok(PhysAddr(base | va.page_offset())),
            None => self.access_set(va, access, len),
        }
    }

    /// Not in the TLB's hot index: look through the set, then walk.
    #[cold]
    #[inline(never)]
    fn access_set(
        &mut self,
        va: VirtAddr,
        access: Access,
        len: u32,
    ) -> Result<PhysAddr, PageFault> {
        match self.tlb.lookup(va.vpn(), access == Access::Write) {
            Some(base) => Ok(PhysAddr(base | va.page_offset())),
            None => self.slow(va, access, len),
        }
    }

    /// A TLB miss, or a hit on a watched page: check the access there.
    #[cold]
    fn slow(&mut self, va: VirtAddr, access: Access, len: u32) -> Result<PhysAddr, PageFault> {
        if self.watch.is_some() {
            if let Some(base) = self.tlb.lookup_watched(va.vpn(), access == Access::Write) {
                self.check(va, access, len)?;
                return Ok(PhysAddr(base | va.page_offset()));
            }
        }
        self.tlb.count_miss();
        let pa = self.walk_and_fill(va, access)?;
        if self.watch.as_ref().is_some_and(|w| w.covers(va.vpn())) {
            self.check(va, access, len)?;
        }
        Ok(pa)
    }

    /// Memcheck's verdict on an access to a watched page: a refusal is a
    /// `PageFault` marked `PfCode::CHECK` (the CPU makes it a memcheck trap;
    /// the access has not happened, CR2 is untouched).
    fn check(&mut self, va: VirtAddr, access: Access, len: u32) -> Result<(), PageFault> {
        let refused = self
            .watch
            .as_mut()
            .is_some_and(|w| !w.check(va.0, len, access));
        match refused {
            true => Err(PageFault {
                addr: va,
                code: access.code() | PfCode::CHECK,
            }),
            false => Ok(()),
        }
    }

    fn walk_and_fill(&mut self, va: VirtAddr, access: Access) -> Result<PhysAddr, PageFault> {
        let write = access == Access::Write;
        let w = self.peek(va);
        let (Some(pte_addr), Some(pte), Some(frame)) = (w.pte_addr, w.pte, w.frame(&self.phys))
        else {
            return Err(self.fault(va, access, false));
        };
        let both = w.pde.flags() & pte.flags();
        if !both.contains(PteFlags::US) || (write && !both.contains(PteFlags::RW)) {
            return Err(self.fault(va, access, true));
        }
        // The walk succeeded: record the use as hardware does.
        if !w.pde.flags().contains(PteFlags::A) {
            self.phys
                .write_u32(w.pde_addr, w.pde.raw() | PteFlags::A.bits());
        }
        let mut new = pte.raw() | PteFlags::A.bits();
        if write {
            new |= PteFlags::D.bits();
        }
        if new != pte.raw() {
            self.phys.write_u32(pte_addr, new);
        }
        if write {
            // The store that follows makes decoded code in the frame stale.
            self.phys.note_write(frame);
        }
        let dirty = new & PteFlags::D.bits() != 0;
        let writable = both.contains(PteFlags::RW) && dirty && !self.phys.is_code(frame);
        let watched = self.watch.as_ref().is_some_and(|w| w.covers(va.vpn()));
        self.tlb.fill(va.vpn(), frame.base().0, writable, watched);
        Ok(PhysAddr(frame.base().0 | va.page_offset()))
    }

    /// #PF for `access` at `va`: CR2 and the error code (§4.7).
    fn fault(&mut self, va: VirtAddr, access: Access, protection: bool) -> PageFault {
        let mut code = access.code();
        code.set(PfCode::P, protection);
        self.cr2 = va;
        PageFault { addr: va, code }
    }

    /// Walk the current tables for `va` without touching A/D bits or the TLB.
    pub fn peek(&self, va: VirtAddr) -> Walk {
        walk(&self.phys, PageTable(self.cr3.frame()), va)
    }

    /// RAM, for the kernel (page tables, frame contents) and for readers
    /// that translate with [`Mmu::peek`].
    pub fn phys(&self) -> &PhysMem {
        &self.phys
    }
    pub fn phys_mut(&mut self) -> &mut PhysMem {
        &mut self.phys
    }
    /// The TLB, to look at (reports, the debugger, invariant checks).
    pub fn tlb(&self) -> &Tlb {
        &self.tlb
    }
    /// The TLB, for the JIT, which reads and advances it from generated code.
    pub(crate) fn tlb_mut(&mut self) -> &mut Tlb {
        &mut self.tlb
    }
    pub fn tlb_stats(&self) -> TlbStats {
        self.tlb.stats()
    }
    /// Record every TLB fill, eviction, invalidation and flush from now on.
    pub fn record_tlb_events(&mut self) {
        self.tlb.log.get_or_insert_with(Vec::new);
    }
    /// The TLB events recorded since the last call (none unless recording).
    pub fn take_tlb_events(&mut self) -> Vec<TlbEvent> {
        match self.tlb.log.as_mut() {
            Some(log) if !log.is_empty() => std::mem::take(log),
            _ => Vec::new(),
        }
    }

    #[inline(always)]
    pub fn read_u8(&mut self, va: VirtAddr) -> Result<u8, PageFault> {
        let pa = self.access(va, Access::Read, 1)?;
        Ok(self.phys.read_u8(pa))
    }
    #[inline(always)]
    pub fn read_u16(&mut self, va: VirtAddr) -> Result<u16, PageFault> {
        if va.page_offset() <= PAGE_SIZE - 2 {
            let pa = self.access(va, Access::Read, 2)?;
            Ok(self.phys.read_u16(pa))
        } else {
            let mut b = [0u8; 2];
            self.read_split(va, &mut b)?;
            Ok(u16::from_le_bytes(b))
        }
    }
    #[inline(always)]
    pub fn read_u32(&mut self, va: VirtAddr) -> Result<u32, PageFault> {
        if va.page_offset() <= PAGE_SIZE - 4 {
            let pa = self.access(va, Access::Read, 4)?;
            Ok(self.phys.read_u32(pa))
        } else {
            let mut b = [0u8; 4];
            self.read_split(va, &mut b)?;
            Ok(u32::from_le_bytes(b))
        }
    }

    #[inline(always)]
    pub fn write_u8(&mut self, va: VirtAddr, v: u8) -> Result<(), PageFault> {
        let pa = self.access(va, Access::Write, 1)?;
        self.phys.write_u8_unchecked(pa, v);
        Ok(())
    }
    #[inline(always)]
    pub fn write_u16(&mut self, va: VirtAddr, v: u16) -> Result<(), PageFault> {
        if va.page_offset() <= PAGE_SIZE - 2 {
            let pa = self.access(va, Access::Write, 2)?;
            self.phys.write_u16_unchecked(pa, v);
            Ok(())
        } else {
            self.write_split(va, &v.to_le_bytes())
        }
    }
    #[inline(always)]
    pub fn write_u32(&mut self, va: VirtAddr, v: u32) -> Result<(), PageFault> {
        if va.page_offset() <= PAGE_SIZE - 4 {
            let pa = self.access(va, Access::Write, 4)?;
            self.phys.write_u32_unchecked(pa, v);
            Ok(())
        } else {
            self.write_split(va, &v.to_le_bytes())
        }
    }

    /// Check that a write of `len` bytes at `va` would succeed, without
    /// writing: lets an instruction with several stores fault before it has
    /// changed anything.
    pub fn probe_write(&mut self, va: VirtAddr, len: u32) -> Result<(), PageFault> {
        let n0 = len.min(PAGE_SIZE - va.page_offset());
        let r = self.access(va, Access::Write, n0);
        self.whole(r, va, len)?;
        let last = VirtAddr(va.0.wrapping_add(len - 1));
        if last.vpn() != va.vpn() {
            // CR2 is the first byte of the access in that page, as the
            // split write reports it.
            let r = self.access(last.page_base(), Access::Write, len - n0);
            self.whole(r, va, len)?;
        }
        Ok(())
    }

    /// A part of a split access that memcheck refused is reported as the
    /// whole access (`len` bytes at `va`).
    fn whole<T>(
        &mut self,
        r: Result<T, PageFault>,
        va: VirtAddr,
        len: u32,
    ) -> Result<T, PageFault> {
        if let Err(pf) = &r {
            if pf.code.contains(PfCode::CHECK) {
                if let Some(w) = self.watch.as_mut() {
                    w.widen_violation(va.0, len);
                }
            }
        }
        r
    }

    /// An access that straddles two pages: both translate before any byte moves.
    #[cold]
    fn read_split(&mut self, va: VirtAddr, out: &mut [u8]) -> Result<(), PageFault> {
        let second = VirtAddr(va.0.wrapping_add(out.len() as u32 - 1));
        let n0 = (PAGE_SIZE - va.page_offset()) as usize;
        let len = out.len() as u32;
        let r = self.access(va, Access::Read, n0 as u32);
        let pa0 = self.whole(r, va, len)?;
        let r = self.access(second.page_base(), Access::Read, len - n0 as u32);
        let pa1 = self.whole(r, va, len)?;
        self.phys.read_bytes(pa0, &mut out[..n0]);
        self.phys.read_bytes(pa1, &mut out[n0..]);
        Ok(())
    }
    #[cold]
    fn write_split(&mut self, va: VirtAddr, data: &[u8]) -> Result<(), PageFault> {
        let second = VirtAddr(va.0.wrapping_add(data.len() as u32 - 1));
        let n0 = (PAGE_SIZE - va.page_offset()) as usize;
        let len = data.len() as u32;
        let r = self.access(va, Access::Write, n0 as u32);
        let pa0 = self.whole(r, va, len)?;
        let r = self.access(second.page_base(), Access::Write, len - n0 as u32);
        let pa1 = self.whole(r, va, len)?;
        self.phys.write_bytes(pa0, &data[..n0]);
        self.phys.write_bytes(pa1, &data[n0..]);
        Ok(())
    }

    /// The frame an instruction fetch at `va` reads from (for the decode cache).
    #[inline(always)]
    pub fn fetch_frame(&mut self, va: VirtAddr) -> Result<Frame, PageFault> {
        Ok(self.translate(va, Access::Fetch)?.frame())
    }

    /// Memcheck's shadow, if it is on.
    pub fn watch(&self) -> Option<&Watch> {
        self.watch.as_deref()
    }
    pub fn watch_mut(&mut self) -> Option<&mut Watch> {
        self.watch.as_deref_mut()
    }
    /// Turn memcheck's access checks on (an empty shadow: nothing watched yet).
    pub fn enable_watch(&mut self) {
        self.watch.get_or_insert_with(Box::default);
    }
    /// Watch the heap page `vpn` from now on (see `Watch::watch`), marking
    /// its cached entry so the next access takes the check.
    pub fn watch_page(&mut self, vpn: u32) {
        if let Some(w) = self.watch.as_mut() {
            w.watch(vpn);
            self.tlb.set_watched(vpn, true);
        }
    }
    /// Stop watching the heap page `vpn`.
    pub fn unwatch_page(&mut self, vpn: u32) {
        if let Some(w) = self.watch.as_mut() {
            if w.unwatch(vpn) && !w.covers(vpn) {
                self.tlb.set_watched(vpn, false);
            }
        }
    }
    /// Watch the pages `[lo, hi)` as the stack.
    pub fn watch_stack(&mut self, lo: u32, hi: u32) {
        if let Some(w) = self.watch.as_mut() {
            w.set_stack(lo, hi);
            for vpn in lo..hi {
                self.tlb.set_watched(vpn, true);
            }
        }
    }

    /// The CPU decoded instructions from `frame`: from now on writes to it
    /// must take the slow path that tells the decode cache.
    pub fn mark_code(&mut self, frame: Frame) {
        if !self.phys.is_code(frame) {
            self.phys.mark_code(frame);
            self.tlb.revoke_writes_to(frame.base().0);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::paging::{Pte, PTE_P, PTE_U, PTE_W};

    /// RAM of 64 frames; page directory in frame 1, one table in frame 2.
    fn setup() -> Mmu {
        let mut m = Mmu::new(PhysMem::new(64 * 4096).unwrap(), TlbConfig::default()).unwrap();
        m.phys.write_u32(
            PhysAddr(0x1000 + 4 * 0x20),
            Pte::new(Frame(2), PTE_P | PTE_W | PTE_U).raw(),
        );
        m.load_cr3(PhysAddr(0x1000));
        m
    }
    fn map(m: &mut Mmu, va: u32, frame: u32, flags: PteFlags) {
        let pte_addr = PhysAddr(0x2000 + 4 * VirtAddr(va).pt_index() as u32);
        m.phys
            .write_u32(pte_addr, Pte::new(Frame(frame), flags).raw());
    }

    #[test]
    fn not_present_faults_with_cr2_and_code() {
        let mut m = setup();
        let e = m.read_u32(VirtAddr(0x0804_8010)).unwrap_err();
        assert_eq!(e.addr, VirtAddr(0x0804_8010));
        assert_eq!(e.code, PfCode::U);
        assert_eq!(m.cr2(), VirtAddr(0x0804_8010));
        let e = m.write_u8(VirtAddr(0x5000_0000), 1).unwrap_err();
        assert_eq!(e.code, PfCode::U | PfCode::W);
    }

    #[test]
    fn write_to_read_only_is_protection_fault() {
        let mut m = setup();
        map(&mut m, 0x0804_8000, 10, PTE_P | PTE_U);
        assert_eq!(m.read_u8(VirtAddr(0x0804_8000)), Ok(0));
        let e = m.write_u8(VirtAddr(0x0804_8000), 1).unwrap_err();
        assert_eq!(e.code, PfCode::P | PfCode::W | PfCode::U);
    }

    #[test]
    fn supervisor_page_faults_user_access() {
        let mut m = setup();
        map(&mut m, 0x0804_8000, 10, PTE_P | PTE_W);
        let e = m.read_u8(VirtAddr(0x0804_8000)).unwrap_err();
        assert_eq!(e.code, PfCode::P | PfCode::U);
    }

    #[test]
    fn walk_sets_accessed_then_dirty() {
        let mut m = setup();
        map(&mut m, 0x0804_8000, 10, PTE_P | PTE_W | PTE_U);
        m.read_u8(VirtAddr(0x0804_8004)).unwrap();
        let w = m.peek(VirtAddr(0x0804_8004));
        assert!(w.pde.flags().contains(PteFlags::A));
        assert_eq!(w.pte.unwrap().flags(), PTE_P | PTE_W | PTE_U | PteFlags::A);
        // The cached entry is clean, so the write walks again and sets D.
        m.write_u32(VirtAddr(0x0804_8004), 0xdead_beef).unwrap();
        assert!(m
            .peek(VirtAddr(0x0804_8004))
            .pte
            .unwrap()
            .flags()
            .contains(PteFlags::D));
        assert_eq!(m.phys.read_u32(PhysAddr(10 * 4096 + 4)), 0xdead_beef);
    }

    #[test]
    fn stale_tlb_entry_is_observable_until_invlpg() {
        let mut m = setup();
        map(&mut m, 0x0804_8000, 10, PTE_P | PTE_W | PTE_U);
        m.phys.write_u8(PhysAddr(10 * 4096), 0xaa);
        m.phys.write_u8(PhysAddr(11 * 4096), 0xbb);
        assert_eq!(m.read_u8(VirtAddr(0x0804_8000)), Ok(0xaa));
        map(&mut m, 0x0804_8000, 11, PTE_P | PTE_W | PTE_U);
        assert_eq!(
            m.read_u8(VirtAddr(0x0804_8000)),
            Ok(0xaa),
            "TLB is not coherent"
        );
        m.invlpg(VirtAddr(0x0804_8000));
        assert_eq!(m.read_u8(VirtAddr(0x0804_8000)), Ok(0xbb));
    }

    #[test]
    fn straddling_write_faults_before_writing_anything() {
        let mut m = setup();
        map(&mut m, 0x0804_8000, 10, PTE_P | PTE_W | PTE_U);
        let e = m.write_u32(VirtAddr(0x0804_8ffe), 0x1122_3344).unwrap_err();
        assert_eq!(e.addr, VirtAddr(0x0804_9000));
        assert_eq!(m.phys.read_u16(PhysAddr(10 * 4096 + 0xffe)), 0);
        map(&mut m, 0x0804_9000, 11, PTE_P | PTE_W | PTE_U);
        m.write_u32(VirtAddr(0x0804_8ffe), 0x1122_3344).unwrap();
        assert_eq!(m.read_u32(VirtAddr(0x0804_8ffe)), Ok(0x1122_3344));
    }

    #[test]
    fn code_frame_writes_go_slow_and_go_stale() {
        let mut m = setup();
        map(&mut m, 0x0804_8000, 10, PTE_P | PTE_W | PTE_U);
        m.write_u8(VirtAddr(0x0804_8000), 1).unwrap(); // cached writable + dirty
        m.mark_code(Frame(10));
        let epoch = m.phys.code_epoch();
        m.write_u8(VirtAddr(0x0804_8001), 2).unwrap();
        assert_eq!(m.phys.code_epoch(), epoch + 1);
    }
}
