//! brk, mmap (old and new), munmap, mprotect, madvise — with Linux's edge cases.
//!
//! Every change goes VMA first, then page tables (freeing only what was
//! populated), then the TLB, and is traced.

use super::outcome::Outcome;
use crate::errno::{Errno, EACCES, EEXIST, EFAULT, EINVAL, ENODEV, ENOMEM, EOVERFLOW, EPERM};
use crate::fd::{FileKind, FileRef};
use crate::kernel::Kernel;
use crate::layout::{MMAP_BASE, MMAP_MIN_ADDR, STACK_GUARD_GAP, TASK_SIZE, TASK_UNMAPPED_BASE};
use crate::ledger::Cause;
use crate::process::Process;
use crate::trace::EventKind;
use crate::vma::{Backing, MappedFile, Prot, Vma, VmaKind};
use std::sync::Arc;
use toyemu_emulator::{Access, VirtAddr, PAGE_SIZE};

pub const MAP_SHARED: u32 = 0x01;
pub const MAP_PRIVATE: u32 = 0x02;
pub const MAP_SHARED_VALIDATE: u32 = 0x03;
pub const MAP_TYPE: u32 = 0x0f;
pub const MAP_FIXED: u32 = 0x10;
pub const MAP_ANONYMOUS: u32 = 0x20;
pub const MAP_GROWSDOWN: u32 = 0x100;
pub const MAP_POPULATE: u32 = 0x8000;
pub const MAP_FIXED_NOREPLACE: u32 = 0x10_0000;

pub const PROT_GROWSDOWN: u32 = 0x0100_0000;
pub const PROT_GROWSUP: u32 = 0x0200_0000;
const PROT_SEM: u32 = 0x8;

pub const MREMAP_MAYMOVE: u32 = 1;
pub const MREMAP_FIXED: u32 = 2;
pub const MREMAP_DONTUNMAP: u32 = 4;

pub const MADV_DONTNEED: u32 = 4;
pub const MADV_REMOVE: u32 = 9;
pub const MADV_POPULATE_READ: u32 = 22;
pub const MADV_POPULATE_WRITE: u32 = 23;
pub const MADV_DONTNEED_LOCKED: u32 = 24;
pub const MADV_COLLAPSE: u32 = 25;

fn page_align(len: u32) -> Option<u32> {
    len.checked_add(PAGE_SIZE - 1).map(|l| l & !(PAGE_SIZE - 1))
}

fn prot_of(bits: u32) -> Prot {
    Prot::from_bits_truncate(bits)
}

impl Kernel {
    /// brk(2) as mm/mmap.c implements it: returns the new break on success
    /// and the old one on any failure.
    pub(super) fn sys_brk(&mut self, p: &mut Process, brk: u32) -> Outcome {
        let mm = p.mm_mut();
        let (old, start) = (mm.brk, mm.brk_start);
        if brk < start.0 {
            return Outcome::Addr(old.0);
        }
        let Some(new_top) = VirtAddr(brk).page_align_up() else {
            return Outcome::Addr(old.0);
        };
        let old_top = old.page_align_up().expect("break below TASK_SIZE");
        if new_top < old_top {
            // Linux refuses to shrink over a range where nothing is mapped
            // any more (the program munmapped its own heap).
            if !p.mm_mut().vmas.overlaps(new_top, old_top) {
                return Outcome::Addr(old.0);
            }
            self.unmap_region(p, new_top, old_top);
        } else if new_top > old_top {
            // Room below kernel space, and a page short of the next mapping's gap.
            let next = p.mm_mut().vmas.first_ending_above(old_top).map(start_gap);
            let blocked = next.is_some_and(|n| new_top.0 as u64 + PAGE_SIZE as u64 > n as u64);
            if new_top > TASK_SIZE || blocked {
                return Outcome::Addr(old.0);
            }
            let vma = Vma {
                start: old_top,
                end: new_top,
                prot: Prot::READ | Prot::WRITE,
                kind: VmaKind::Heap,
                backing: Backing::Anon,
            };
            self.add_vma(p, vma);
        }
        p.mm_mut().brk = VirtAddr(brk);
        if old.0 != brk {
            self.emit(EventKind::BrkMoved {
                old,
                new: VirtAddr(brk),
            });
        }
        Outcome::Addr(brk)
    }

    /// old_mmap(90): one pointer to six words; the offset is in bytes.
    pub(super) fn sys_old_mmap(&mut self, p: &mut Process, args: u32) -> Outcome {
        let mut raw = Vec::new();
        if let Err(e) = self.copy_from_user(p, args, 24, &mut raw) {
            return self.copy_failed(p, e);
        }
        let w = |i: usize| {
            u32::from_le_bytes([raw[4 * i], raw[4 * i + 1], raw[4 * i + 2], raw[4 * i + 3]])
        };
        if w(5) % PAGE_SIZE != 0 {
            return Outcome::Err(EINVAL);
        }
        let [addr, len, prot, flags, fd, off] = [0, 1, 2, 3, 4, 5].map(w);
        self.sys_mmap(p, [addr, len, prot, flags, fd, off / PAGE_SIZE])
    }

    /// mmap2(192): anonymous mappings; `args` as in the registers, the
    /// offset (the last) in pages.
    pub(super) fn sys_mmap(&mut self, p: &mut Process, args: [u32; 6]) -> Outcome {
        match self.do_mmap(p, args) {
            Ok(a) => Outcome::Addr(a),
            Err(e) => Outcome::Err(e),
        }
    }

    fn do_mmap(&mut self, p: &mut Process, args: [u32; 6]) -> Result<u32, Errno> {
        let [addr, len, prot, flags, fd, pgoff] = args;
        // The descriptor first, as ksys_mmap_pgoff looks it up.
        let file = if flags & MAP_ANONYMOUS == 0 {
            Some(p.fds.get(fd)?)
        } else {
            None
        };
        if len == 0 {
            return Err(EINVAL);
        }
        let fixed = flags & (MAP_FIXED | MAP_FIXED_NOREPLACE) != 0;
        let len = page_align(len).ok_or(ENOMEM)?;
        if pgoff.checked_add(len / PAGE_SIZE).is_none() {
            return Err(EOVERFLOW);
        }
        if len > TASK_SIZE.0 {
            return Err(ENOMEM);
        }
        let start = if fixed {
            if addr > TASK_SIZE.0 - len {
                return Err(ENOMEM);
            }
            if addr % PAGE_SIZE != 0 {
                return Err(EINVAL);
            }
            addr
        } else {
            self.unmapped_area(p, addr, len).ok_or(ENOMEM)?
        };
        if start < MMAP_MIN_ADDR.0 {
            return Err(EPERM);
        }
        let (start, end) = (VirtAddr(start), VirtAddr(start + len));
        let overlaps = p.mm_mut().vmas.overlaps(start, end);
        if overlaps && flags & MAP_FIXED_NOREPLACE != 0 {
            return Err(EEXIST);
        }
        // do_mmap checks an anonymous mapping's type only after placing it,
        // so a huge length without a type is ENOMEM, not EINVAL. Anonymous
        // memory has no MAP_SHARED_VALIDATE: that is for files.
        match flags & MAP_TYPE {
            MAP_SHARED if flags & MAP_GROWSDOWN != 0 => return Err(EINVAL),
            MAP_SHARED | MAP_PRIVATE => {}
            MAP_SHARED_VALIDATE if file.is_some() => {}
            _ => return Err(EINVAL),
        }
        let backing = match &file {
            Some(f) => file_backing(f, start, len, prot, flags, pgoff)?,
            None if flags & MAP_TYPE == MAP_SHARED => Backing::SharedAnon,
            None => Backing::Anon,
        };
        if overlaps {
            self.unmap_region(p, start, end);
        }
        // MAP_GROWSDOWN makes a stack: it grows on faults below it, under
        // RLIMIT_STACK and the guard gap, as the main stack does.
        let kind = if flags & MAP_GROWSDOWN != 0 {
            VmaKind::Stack
        } else {
            VmaKind::Mmap
        };
        let vma = Vma {
            start,
            end,
            prot: prot_of(prot),
            kind,
            backing,
        };
        self.add_vma(p, vma);
        if flags & MAP_POPULATE != 0 && !prot_of(prot).is_empty() {
            self.populate(p, start, end);
        }
        Ok(start.0)
    }

    /// Fault in every page now (MAP_POPULATE); failures are not the caller's error.
    fn populate(&mut self, p: &mut Process, start: VirtAddr, end: VirtAddr) {
        for va in (start.0..end.0).step_by(PAGE_SIZE as usize) {
            if self.populate_page(p, VirtAddr(va), Access::Read).is_err() {
                break;
            }
        }
    }

    /// Where a new mapping of `len` bytes goes: the hint if that range is
    /// free, else the highest free gap below MMAP_BASE (top-down, as x86 Linux).
    fn unmapped_area(&mut self, p: &mut Process, hint: u32, len: u32) -> Option<u32> {
        // get_unmapped_area: more than the user space is ENOMEM at once.
        if len > TASK_SIZE.0 {
            return None;
        }
        let vmas = &p.mm_mut().vmas;
        let mut hint = hint & !(PAGE_SIZE - 1);
        if hint != 0 && hint < MMAP_MIN_ADDR.0 {
            hint = MMAP_MIN_ADDR.0;
        }
        if hint != 0 && hint <= TASK_SIZE.0 - len {
            let next_ok = vmas
                .first_ending_above(VirtAddr(hint))
                .is_none_or(|v| hint + len <= start_gap(v));
            let prev_ok = vmas
                .last_starting_below(VirtAddr(hint + 1))
                .is_none_or(|v| v.end.0 <= hint);
            if next_ok && prev_ok {
                return Some(hint);
            }
        }
        let low = MMAP_MIN_ADDR.0;
        let mut top = MMAP_BASE.0;
        for v in vmas.iter().collect::<Vec<_>>().into_iter().rev() {
            let (vs, ve) = (start_gap(v), v.end.0);
            if vs >= top {
                continue;
            }
            if ve <= top && top - ve >= len {
                return Some(top - len);
            }
            top = vs;
            if top < low + len {
                break;
            }
        }
        if top >= low + len {
            return Some(top - len);
        }
        Self::bottom_up_area(vmas, len)
    }

    /// Linux's fallback when nothing fits below MMAP_BASE: the lowest gap
    /// from TASK_UNMAPPED_BASE up to TASK_SIZE (this is how the room between
    /// MMAP_BASE and the stack gets used once the rest is full).
    fn bottom_up_area(vmas: &crate::vma::VmaSet, len: u32) -> Option<u32> {
        let mut low = TASK_UNMAPPED_BASE.0;
        for v in vmas.iter() {
            if v.end.0 <= low {
                continue;
            }
            if start_gap(v) >= low && start_gap(v) - low >= len {
                return Some(low);
            }
            low = low.max(v.end.0);
        }
        (TASK_SIZE.0 >= low && TASK_SIZE.0 - low >= len).then_some(low)
    }

    /// Remove `[start, end)` from the address space: VMAs, frames, TLB entries.
    pub(crate) fn unmap_region(&mut self, p: &mut Process, start: VirtAddr, end: VirtAddr) {
        let mm = p.mm.as_mut().expect("live process");
        let mut lose = crate::mutant::loses_frames_of_split_piece()
            && [start, end]
                .iter()
                .any(|&a| mm.vmas.find(a).is_some_and(|v| v.start != a));
        let removed = mm.vmas.remove_range(start, end);
        for v in removed {
            if std::mem::take(&mut lose) {
                continue;
            }
            let freed = mm.unmap_range(
                self.machine.mmu_mut(),
                &mut self.frames,
                v.start,
                v.end,
                Cause::of(v.kind),
            );
            self.emit(EventKind::VmaRemoved {
                start: v.start,
                end: v.end,
                kind: v.kind,
                frames_freed: freed,
            });
        }
    }

    /// mremap(2) of a private mapping: shrink in place, grow in place when
    /// the room after it is free, else move (MREMAP_MAYMOVE), taking its
    /// frames along — no page is copied, only PTEs move.
    pub(super) fn sys_mremap(&mut self, p: &mut Process, a: [u32; 6]) -> Outcome {
        match self.do_mremap(p, a) {
            Ok(addr) => Outcome::Addr(addr),
            Err(e) => Outcome::Err(e),
        }
    }

    fn do_mremap(&mut self, p: &mut Process, a: [u32; 6]) -> Result<u32, Errno> {
        let [old, old_size, new_size, flags, new_addr, _] = a;
        if flags & !(MREMAP_MAYMOVE | MREMAP_FIXED | MREMAP_DONTUNMAP) != 0
            || old % PAGE_SIZE != 0
            || (flags & (MREMAP_FIXED | MREMAP_DONTUNMAP) != 0 && flags & MREMAP_MAYMOVE == 0)
        {
            return Err(EINVAL);
        }
        let old_len = page_align(old_size).ok_or(EINVAL)?;
        // check_mremap_params: no length, or one longer than user space.
        let new_len = page_align(new_size)
            .filter(|&l| l != 0 && l <= TASK_SIZE.0)
            .ok_or(EINVAL)?;
        // Duplicating a mapping (old_size 0) is for shared memory only.
        if old_len == 0 || flags & MREMAP_DONTUNMAP != 0 && old_len != new_len {
            return Err(EINVAL);
        }
        let old_end = old.checked_add(old_len).ok_or(EFAULT)?;
        let vma = p.mm_mut().vmas.find(VirtAddr(old)).cloned().ok_or(EFAULT)?;
        if old_end > vma.end.0 {
            return Err(EFAULT);
        }
        if flags & MREMAP_FIXED != 0 {
            let dst_end = new_addr.checked_add(new_len).filter(|&e| e <= TASK_SIZE.0);
            let overlap = new_addr < old_end && old < new_addr.wrapping_add(new_len);
            if new_addr % PAGE_SIZE != 0 || dst_end.is_none() || overlap {
                return Err(EINVAL);
            }
            if new_addr < MMAP_MIN_ADDR.0 {
                return Err(EPERM);
            }
            self.unmap_region(p, VirtAddr(new_addr), VirtAddr(new_addr + new_len));
            return self.move_mapping(p, &vma, old, old_len, new_addr, new_len);
        }
        if new_len <= old_len {
            if new_len < old_len {
                self.unmap_region(p, VirtAddr(old + new_len), VirtAddr(old_end));
            }
            return Ok(old);
        }
        // Grow in place if nothing (nor a stack's guard gap) is in the way.
        let grown_end = old.checked_add(new_len).filter(|&e| e <= TASK_SIZE.0);
        if let Some(grown_end) = grown_end.filter(|_| old_end == vma.end.0) {
            let free = p
                .mm_mut()
                .vmas
                .first_ending_above(VirtAddr(old_end))
                .is_none_or(|next| start_gap(next) >= grown_end);
            if free {
                let more = Vma {
                    start: VirtAddr(old_end),
                    end: VirtAddr(grown_end),
                    ..vma.clone()
                };
                self.add_vma(p, more);
                return Ok(old);
            }
        }
        if flags & MREMAP_MAYMOVE == 0 {
            return Err(ENOMEM);
        }
        let dst = self.unmapped_area(p, 0, new_len).ok_or(ENOMEM)?;
        self.move_mapping(p, &vma, old, old_len, dst, new_len)
    }

    /// Move `[old, old + old_len)` of `vma` to `dst`, `new_len` long.
    fn move_mapping(
        &mut self,
        p: &mut Process,
        vma: &Vma,
        old: u32,
        old_len: u32,
        dst: u32,
        new_len: u32,
    ) -> Result<u32, Errno> {
        let keep = old_len.min(new_len);
        let mm = p.mm_mut();
        let tables = mm.tables_missing(VirtAddr(dst), VirtAddr(dst + keep));
        if self.frames.free_frames() < tables {
            return Err(ENOMEM);
        }
        if new_len < old_len {
            self.unmap_region(p, VirtAddr(old + new_len), VirtAddr(old + old_len));
        }
        // The heap moved away is no longer the heap.
        let kind = if vma.kind == VmaKind::Heap {
            VmaKind::Mmap
        } else {
            vma.kind
        };
        let delta = dst.wrapping_sub(old);
        let backing = match &vma.backing {
            Backing::File {
                file,
                vaddr,
                file_offset,
                file_len,
                bus_past_end,
            } => Backing::File {
                file: file.clone(),
                vaddr: vaddr.wrapping_add(delta),
                file_offset: *file_offset,
                file_len: *file_len,
                bus_past_end: *bus_past_end,
            },
            Backing::Anon => Backing::Anon,
            Backing::SharedAnon => Backing::SharedAnon,
        };
        let moved = Vma {
            start: VirtAddr(dst),
            end: VirtAddr(dst + new_len),
            prot: vma.prot,
            kind,
            backing,
        };
        self.add_vma(p, moved);
        let mm = p.mm.as_mut().expect("live process");
        let mut at = VirtAddr(old);
        while let Some((va, _, _)) = mm.next_populated(self.machine.mmu(), at, VirtAddr(old + keep))
        {
            let to = VirtAddr(va.0.wrapping_add(delta));
            mm.move_page(self.machine.mmu_mut(), &mut self.frames, va, to)
                .expect("the page tables were counted beforehand");
            if kind != vma.kind {
                mm.ledger.give_back(Cause::of(vma.kind));
                mm.ledger.take(Cause::of(kind));
            }
            at = VirtAddr(va.0 + PAGE_SIZE);
        }
        let removed = mm.vmas.remove_range(VirtAddr(old), VirtAddr(old + keep));
        for v in removed {
            self.emit(EventKind::VmaRemoved {
                start: v.start,
                end: v.end,
                kind: v.kind,
                frames_freed: 0,
            });
        }
        Ok(dst)
    }

    pub(super) fn sys_munmap(&mut self, p: &mut Process, addr: u32, len: u32) -> Outcome {
        if !addr.is_multiple_of(PAGE_SIZE) || addr > TASK_SIZE.0 || len > TASK_SIZE.0 - addr {
            return Outcome::Err(EINVAL);
        }
        let Some(len) = page_align(len).filter(|&l| l != 0) else {
            return Outcome::Err(EINVAL);
        };
        self.unmap_region(p, VirtAddr(addr), VirtAddr(addr + len));
        Outcome::Value(0)
    }

    /// mprotect(2) in do_mprotect_pkey's order of checks: both grow flags,
    /// alignment, length 0, wrap-around, unknown bits. Applies VMA by VMA
    /// from `addr`; a hole stops it with ENOMEM, leaving the part before the
    /// hole changed, as Linux does. PROT_GROWSDOWN extends the change down to
    /// the start of a stack VMA; x86 has no VMAs that grow up.
    pub(super) fn sys_mprotect(
        &mut self,
        p: &mut Process,
        addr: u32,
        len: u32,
        prot: u32,
    ) -> Outcome {
        let grows = prot & (PROT_GROWSDOWN | PROT_GROWSUP);
        let prot = prot & !grows;
        if grows == PROT_GROWSDOWN | PROT_GROWSUP || !addr.is_multiple_of(PAGE_SIZE) {
            return Outcome::Err(EINVAL);
        }
        if len == 0 {
            return Outcome::Value(0);
        }
        let Some(end) = page_align(len)
            .and_then(|l| addr.checked_add(l))
            .filter(|&e| e > addr)
        else {
            return Outcome::Err(ENOMEM);
        };
        if prot & !(Prot::all().bits() | PROT_SEM) != 0 {
            return Outcome::Err(EINVAL);
        }
        let (mut start, end, prot) = (VirtAddr(addr), VirtAddr(end), prot_of(prot));
        let Some(first) = p.mm_mut().vmas.first_ending_above(start).cloned() else {
            return Outcome::Err(ENOMEM);
        };
        if grows == PROT_GROWSDOWN {
            if first.start >= end {
                return Outcome::Err(ENOMEM);
            }
            if first.kind != VmaKind::Stack {
                return Outcome::Err(EINVAL);
            }
            start = first.start;
        } else if first.start > start {
            return Outcome::Err(ENOMEM);
        } else if grows == PROT_GROWSUP {
            return Outcome::Err(EINVAL);
        }
        let mut at = start;
        loop {
            let mm = p.mm_mut();
            let Some(v) = mm.vmas.find(at).cloned() else {
                return Outcome::Err(ENOMEM);
            };
            let piece_end = v.end.min(end);
            mm.vmas.set_prot(at, piece_end, prot);
            mm.protect_range(self.machine.mmu_mut(), at, piece_end, prot);
            self.emit(EventKind::VmaProtect {
                start: at,
                end: piece_end,
                prot,
            });
            if piece_end >= end {
                return Outcome::Value(0);
            }
            at = piece_end;
        }
    }

    /// madvise(2): MADV_DONTNEED drops populated pages (the next touch sees
    /// zeroes, or the file for ELF pages); MADV_POPULATE_{READ,WRITE} fault
    /// pages in; other advice is accepted and ignored. Holes in the range
    /// give ENOMEM after the mapped parts were advised, as Linux does.
    pub(super) fn sys_madvise(
        &mut self,
        p: &mut Process,
        addr: u32,
        len: u32,
        advice: u32,
    ) -> Outcome {
        // The behaviours Linux 6.x knows on x86 (MADV_HWPOISON and the guard
        // operations aside, which this kernel does not offer).
        if !matches!(advice, 0..=4 | 8..=25) || !addr.is_multiple_of(PAGE_SIZE) {
            return Outcome::Err(EINVAL);
        }
        let Some(end) = page_align(len).and_then(|l| addr.checked_add(l)) else {
            return Outcome::Err(EINVAL);
        };
        if end == addr {
            return Outcome::Value(0);
        }
        let (start, end) = (VirtAddr(addr), VirtAddr(end));
        if matches!(advice, MADV_POPULATE_READ | MADV_POPULATE_WRITE) {
            return self.madvise_populate(p, start, end, advice == MADV_POPULATE_WRITE);
        }
        let mm = p.mm.as_mut().expect("live process");
        let pieces: Vec<Vma> = mm.vmas.overlapping(start, end).cloned().collect();
        if pieces.is_empty() {
            return Outcome::Err(ENOMEM);
        }
        if matches!(advice, MADV_REMOVE | MADV_COLLAPSE) {
            // Only for shared memory and huge pages, which this kernel has not.
            return Outcome::Err(EINVAL);
        }
        let covered: u32 = pieces
            .iter()
            .map(|v| v.end.min(end).0 - v.start.max(start).0)
            .sum();
        if matches!(advice, MADV_DONTNEED | MADV_DONTNEED_LOCKED) {
            for v in &pieces {
                let (s, e) = (v.start.max(start), v.end.min(end));
                mm.unmap_range(
                    self.machine.mmu_mut(),
                    &mut self.frames,
                    s,
                    e,
                    Cause::of(v.kind),
                );
            }
        }
        if covered < end.0 - start.0 {
            Outcome::Err(ENOMEM)
        } else {
            Outcome::Value(0)
        }
    }

    /// MADV_POPULATE_{READ,WRITE}: fault in page by page; a hole or no
    /// frame left is ENOMEM, a mapping that forbids the access EINVAL.
    fn madvise_populate(
        &mut self,
        p: &mut Process,
        start: VirtAddr,
        end: VirtAddr,
        write: bool,
    ) -> Outcome {
        let access = if write { Access::Write } else { Access::Read };
        for va in (start.0..end.0).step_by(PAGE_SIZE as usize) {
            let va = VirtAddr(va);
            let Some(v) = p.mm_mut().vmas.find(va) else {
                return Outcome::Err(ENOMEM);
            };
            let allowed = if write {
                v.prot.contains(Prot::WRITE)
            } else {
                !v.prot.is_empty()
            };
            if !allowed {
                return Outcome::Err(EINVAL);
            }
            if self.populate_page(p, va, access).is_err() {
                return Outcome::Err(ENOMEM);
            }
        }
        Outcome::Value(0)
    }
}

/// What a mapping of the open file `f` shows: its bytes from page `pgoff`,
/// demand-loaded like an ELF segment, and SIGBUS past its end. A private
/// mapping needs a readable file; a shared one is read-only here (its pages
/// are never written back), so PROT_WRITE on it is refused with ENODEV.
/// /dev/zero maps anonymous memory; files made by the kernel and streams
/// cannot be mapped (ENODEV), as on Linux.
fn file_backing(
    f: &FileRef,
    start: VirtAddr,
    len: u32,
    prot: u32,
    flags: u32,
    pgoff: u32,
) -> Result<Backing, Errno> {
    let mut file = f.borrow_mut();
    if !file.readable() {
        return Err(EACCES);
    }
    let shared = flags & MAP_TYPE != MAP_PRIVATE;
    if shared && prot & Prot::WRITE.bits() != 0 {
        return Err(if file.writable() { ENODEV } else { EACCES });
    }
    let offset = pgoff as u64 * PAGE_SIZE as u64;
    let path = file.path.clone();
    let host = match &file.kind {
        FileKind::Zero => return Ok(Backing::Anon),
        FileKind::Host(h) => h,
        _ => return Err(ENODEV),
    };
    let meta = host.metadata().map_err(|_| EACCES)?;
    if !meta.is_file() {
        return Err(ENODEV);
    }
    let file_offset = u32::try_from(offset).map_err(|_| EOVERFLOW)?;
    let file_len = meta.len().saturating_sub(offset).min(len as u64) as u32;
    // One MappedFile per open file, so neighbouring mappings of it can merge.
    let mapped = match &file.mapped {
        Some(m) => m.clone(),
        None => {
            use std::os::unix::fs::MetadataExt;
            let clone = host.try_clone().map_err(|_| ENODEV)?;
            let m = Arc::new(MappedFile::host(path, clone, meta.dev(), meta.ino()));
            file.mapped = Some(m.clone());
            m
        }
    };
    Ok(Backing::File {
        file: mapped,
        vaddr: start.0,
        file_offset,
        file_len,
        bus_past_end: true,
    })
}

/// Where a VMA's reach begins, counting the guard gap kept below a stack.
fn start_gap(v: &Vma) -> u32 {
    if v.kind == VmaKind::Stack {
        v.start.0.saturating_sub(STACK_GUARD_GAP)
    } else {
        v.start.0
    }
}
