//! Virtual memory areas: the kernel's record of what a range of addresses is.
//!
//! A page-table entry may exist only inside a VMA. Each VMA is a page-aligned
//! `[start, end)` with a protection, a kind (what the user would call it in
//! `/proc/PID/maps`) and a backing (anonymous zeroes, or a byte range of a
//! file — the ELF image, or a file the program mapped — followed by zeroes:
//! the `.bss` rule).

use bitflags::bitflags;
use std::collections::BTreeMap;
use std::fmt;
use std::os::unix::fs::FileExt;
use std::sync::Arc;
use toyemu_emulator::{VirtAddr, PAGE_SIZE};

bitflags! {
    /// `PROT_*` as mmap and mprotect take them.
    #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
    pub struct Prot: u32 {
        const READ = 0x1;
        const WRITE = 0x2;
        const EXEC = 0x4;
    }
}

impl Prot {
    /// `rwx` as `/proc/PID/maps` shows it (without the `p`).
    pub fn rwx(self) -> String {
        let c = |p: Prot, ch: char| if self.contains(p) { ch } else { '-' };
        [c(Prot::READ, 'r'), c(Prot::WRITE, 'w'), c(Prot::EXEC, 'x')]
            .iter()
            .collect()
    }
}

/// What the mapping is, for reports and for reclaim accounting.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum VmaKind {
    /// A `PT_LOAD` segment of the executable (its index among the PT_LOADs).
    ElfSegment(u8),
    Heap,
    Mmap,
    Stack,
}

impl fmt::Display for VmaKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            VmaKind::ElfSegment(i) => write!(f, "elf segment {i}"),
            VmaKind::Heap => f.write_str("heap"),
            VmaKind::Mmap => f.write_str("mmap"),
            VmaKind::Stack => f.write_str("stack"),
        }
    }
}

/// A file whose bytes a mapping shows: the executable (held in memory) or
/// a host file the program mapped (read at fault time, as a page cache
/// would). Named as `/proc/PID/maps` names it.
#[derive(Debug)]
pub struct MappedFile {
    pub path: String,
    /// Host device and inode numbers (0 when unknown), for the maps line.
    pub dev: u64,
    pub ino: u64,
    contents: Contents,
}

#[derive(Debug)]
enum Contents {
    Bytes(Arc<[u8]>),
    Host(std::fs::File),
}

impl MappedFile {
    pub fn in_memory(path: impl Into<String>, bytes: Arc<[u8]>, dev: u64, ino: u64) -> MappedFile {
        MappedFile {
            path: path.into(),
            dev,
            ino,
            contents: Contents::Bytes(bytes),
        }
    }
    pub fn host(path: impl Into<String>, file: std::fs::File, dev: u64, ino: u64) -> MappedFile {
        MappedFile {
            path: path.into(),
            dev,
            ino,
            contents: Contents::Host(file),
        }
    }
    /// Read from `offset` into `out`; returns how many bytes there were
    /// (fewer at the end of the file, or when the host refuses).
    pub fn read_at(&self, offset: u64, out: &mut [u8]) -> usize {
        match &self.contents {
            Contents::Bytes(b) => {
                let Some(src) = usize::try_from(offset).ok().and_then(|o| b.get(o..)) else {
                    return 0;
                };
                let n = src.len().min(out.len());
                out[..n].copy_from_slice(&src[..n]);
                n
            }
            Contents::Host(f) => {
                let mut done = 0;
                while done < out.len() {
                    match f.read_at(&mut out[done..], offset + done as u64) {
                        Ok(0) | Err(_) => break,
                        Ok(n) => done += n,
                    }
                }
                done
            }
        }
    }
}

/// Where a page's first contents come from.
#[derive(Clone, Debug)]
pub enum Backing {
    /// Zero-filled on first touch.
    Anon,
    /// MAP_SHARED|MAP_ANONYMOUS: zero-filled, and after fork the same
    /// frames in parent and child, writable in both (Linux backs it with a
    /// shmem file, which maps call `/dev/zero (deleted)`).
    SharedAnon,
    /// `file_len` bytes of `file` from `file_offset` appear at `vaddr`;
    /// the rest of the VMA reads as zeroes (p_filesz < p_memsz). A page
    /// wholly past the file's end raises SIGBUS when `bus_past_end` (a file
    /// mapping), and is zero otherwise (an ELF segment's .bss).
    File {
        file: Arc<MappedFile>,
        vaddr: u32,
        file_offset: u32,
        file_len: u32,
        bus_past_end: bool,
    },
}

impl PartialEq for Backing {
    /// The same file (not merely equal contents) and the same window.
    fn eq(&self, other: &Backing) -> bool {
        match (self, other) {
            (Backing::Anon, Backing::Anon) => true,
            // Each shared mapping is its own object: two never merge.
            (Backing::SharedAnon, Backing::SharedAnon) => false,
            (
                Backing::File {
                    file: a,
                    vaddr: va,
                    file_offset: oa,
                    file_len: la,
                    bus_past_end: ba,
                },
                Backing::File {
                    file: b,
                    vaddr: vb,
                    file_offset: ob,
                    file_len: lb,
                    bus_past_end: bb,
                },
            ) => Arc::ptr_eq(a, b) && (va, oa, la, ba) == (vb, ob, lb, bb),
            _ => false,
        }
    }
}
impl Eq for Backing {}

impl Backing {
    /// The file offset that backs `va`, as the maps line shows it (0 for anonymous memory).
    pub fn offset_at(&self, va: VirtAddr) -> u64 {
        match self {
            Backing::Anon | Backing::SharedAnon => 0,
            Backing::File {
                vaddr, file_offset, ..
            } => (*file_offset as u64 + va.0 as u64).saturating_sub(*vaddr as u64),
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Vma {
    pub start: VirtAddr,
    pub end: VirtAddr,
    pub prot: Prot,
    pub kind: VmaKind,
    pub backing: Backing,
}

impl Vma {
    pub fn contains(&self, a: VirtAddr) -> bool {
        self.start <= a && a < self.end
    }
    pub fn len(&self) -> u32 {
        self.end.0 - self.start.0
    }
    pub fn is_empty(&self) -> bool {
        self.start == self.end
    }
    pub fn pages(&self) -> u32 {
        self.len() / PAGE_SIZE
    }
    /// The name `/proc/PID/maps` gives it: the file, `[heap]`, `[stack]`,
    /// or nothing for anonymous memory.
    pub fn name(&self) -> String {
        match (&self.backing, self.kind) {
            (Backing::File { file, .. }, _) => file.path.clone(),
            (Backing::SharedAnon, _) => "/dev/zero (deleted)".to_string(),
            (_, VmaKind::Heap) => "[heap]".to_string(),
            (_, VmaKind::Stack) => "[stack]".to_string(),
            _ => String::new(),
        }
    }
    /// The maps line's permissions: `rw-p`, or `rw-s` for a shared mapping.
    pub fn perms(&self) -> String {
        let kind = if matches!(self.backing, Backing::SharedAnon) {
            's'
        } else {
            'p'
        };
        format!("{}{kind}", self.prot.rwx())
    }
    /// The backing file's host device and inode (0 for anonymous memory).
    pub fn dev_ino(&self) -> (u64, u64) {
        match &self.backing {
            Backing::File { file, .. } => (file.dev, file.ino),
            Backing::Anon | Backing::SharedAnon => (0, 0),
        }
    }
    /// Can `next`, starting where this one ends, join it into one VMA?
    /// As Linux's `vma_merge`: same rights and the same backing, contiguous.
    /// Two pieces of one ELF segment carry the same absolute file window, so
    /// they rejoin after an mprotect round trip, as file VMAs do natively.
    pub(crate) fn can_merge(&self, next: &Vma) -> bool {
        self.end == next.start
            && self.prot == next.prot
            && self.kind == next.kind
            && self.backing == next.backing
    }
}

/// The VMAs of one address space, ordered by start, never overlapping.
#[derive(Clone, Default, Debug)]
pub struct VmaSet {
    map: BTreeMap<u32, Vma>,
}

impl VmaSet {
    pub fn iter(&self) -> impl Iterator<Item = &Vma> {
        self.map.values()
    }
    pub fn len(&self) -> usize {
        self.map.len()
    }
    pub fn is_empty(&self) -> bool {
        self.map.is_empty()
    }

    /// The VMA containing `a`.
    pub fn find(&self, a: VirtAddr) -> Option<&Vma> {
        self.map
            .range(..=a.0)
            .next_back()
            .map(|(_, v)| v)
            .filter(|v| v.contains(a))
    }
    /// The first VMA that ends above `a` (Linux's `find_vma`).
    pub fn first_ending_above(&self, a: VirtAddr) -> Option<&Vma> {
        if let Some(v) = self.find(a) {
            return Some(v);
        }
        self.map.range(a.0..).next().map(|(_, v)| v)
    }
    /// The last VMA that starts below `a`.
    pub fn last_starting_below(&self, a: VirtAddr) -> Option<&Vma> {
        self.map.range(..a.0).next_back().map(|(_, v)| v)
    }
    /// VMAs that intersect `[start, end)`.
    pub fn overlapping(&self, start: VirtAddr, end: VirtAddr) -> impl Iterator<Item = &Vma> {
        let first = self
            .map
            .range(..=start.0)
            .next_back()
            .map_or(start.0, |(&s, _)| s);
        self.map
            .range(first..end.0)
            .map(|(_, v)| v)
            .filter(move |v| v.end > start)
    }
    pub fn overlaps(&self, start: VirtAddr, end: VirtAddr) -> bool {
        self.overlapping(start, end).next().is_some()
    }

    /// Add a VMA over a free range, merging with compatible neighbours.
    pub fn insert(&mut self, vma: Vma) {
        assert!(vma.start < vma.end, "empty VMA {:?}", vma);
        assert!(!self.overlaps(vma.start, vma.end), "VMA {:?} overlaps", vma);
        let mut vma = vma;
        if let Some(prev) = self.last_starting_below(vma.start).cloned() {
            if prev.can_merge(&vma) {
                self.map.remove(&prev.start.0);
                vma.start = prev.start;
            }
        }
        if let Some(next) = self.map.get(&vma.end.0).cloned() {
            if vma.can_merge(&next) {
                self.map.remove(&next.start.0);
                vma.end = next.end;
            }
        }
        self.map.insert(vma.start.0, vma);
    }

    /// Make `a` a VMA boundary, splitting the VMA that straddles it.
    pub fn split_at(&mut self, a: VirtAddr) {
        let Some(v) = self.find(a).cloned() else {
            return;
        };
        if v.start == a {
            return;
        }
        let mut upper = v.clone();
        upper.start = a;
        self.map.get_mut(&v.start.0).expect("VMA present").end = a;
        self.map.insert(a.0, upper);
    }

    /// Remove everything in `[start, end)`, splitting at the edges; returns
    /// the removed pieces.
    pub fn remove_range(&mut self, start: VirtAddr, end: VirtAddr) -> Vec<Vma> {
        self.split_at(start);
        self.split_at(end);
        let keys: Vec<u32> = self.map.range(start.0..end.0).map(|(&k, _)| k).collect();
        keys.into_iter()
            .filter_map(|k| self.map.remove(&k))
            .collect()
    }

    /// Change the protection of `[start, end)`, which must be fully covered.
    pub fn set_prot(&mut self, start: VirtAddr, end: VirtAddr, prot: Prot) {
        self.split_at(start);
        self.split_at(end);
        let pieces = self.remove_range(start, end);
        for mut v in pieces {
            v.prot = prot;
            self.insert(v);
        }
        // Re-merge with the neighbours at the edges, as Linux's vma_merge does.
        for edge in [start, end] {
            if let Some(lower) = self.last_starting_below(edge).cloned() {
                if let Some(upper) = self.map.get(&edge.0).cloned() {
                    if lower.can_merge(&upper) {
                        self.map.remove(&upper.start.0);
                        self.map.get_mut(&lower.start.0).expect("VMA present").end = upper.end;
                    }
                }
            }
        }
    }

    /// Move the start of the VMA that starts at `old_start` down to
    /// `new_start` (stack growth); the range it gains must be free.
    pub fn move_start(&mut self, old_start: VirtAddr, new_start: VirtAddr) {
        let mut v = self.map.remove(&old_start.0).expect("VMA to grow");
        assert!(
            !self.overlaps(new_start, old_start),
            "grown VMA overlaps a neighbour"
        );
        v.start = new_start;
        self.map.insert(new_start.0, v);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn anon(s: u32, e: u32, prot: Prot) -> Vma {
        Vma {
            start: VirtAddr(s),
            end: VirtAddr(e),
            prot,
            kind: VmaKind::Mmap,
            backing: Backing::Anon,
        }
    }
    const RW: Prot = Prot::READ.union(Prot::WRITE);

    #[test]
    fn adjacent_anonymous_mappings_merge() {
        let mut s = VmaSet::default();
        s.insert(anon(0x1000, 0x3000, RW));
        s.insert(anon(0x3000, 0x5000, RW));
        s.insert(anon(0x6000, 0x7000, RW));
        assert_eq!(s.len(), 2);
        assert_eq!(s.find(VirtAddr(0x4fff)).unwrap().start, VirtAddr(0x1000));
        assert!(s.find(VirtAddr(0x5000)).is_none());
    }

    #[test]
    fn remove_range_punches_a_hole() {
        let mut s = VmaSet::default();
        s.insert(anon(0x1000, 0x9000, RW));
        let gone = s.remove_range(VirtAddr(0x3000), VirtAddr(0x5000));
        assert_eq!(gone.len(), 1);
        assert_eq!(gone[0].start, VirtAddr(0x3000));
        let left: Vec<_> = s.iter().map(|v| (v.start.0, v.end.0)).collect();
        assert_eq!(left, vec![(0x1000, 0x3000), (0x5000, 0x9000)]);
    }

    #[test]
    fn set_prot_splits_then_remerges() {
        let mut s = VmaSet::default();
        s.insert(anon(0x1000, 0x9000, RW));
        s.set_prot(VirtAddr(0x3000), VirtAddr(0x4000), Prot::READ);
        assert_eq!(s.len(), 3);
        s.set_prot(VirtAddr(0x3000), VirtAddr(0x4000), RW);
        assert_eq!(s.len(), 1);
    }

    #[test]
    fn overlapping_finds_straddlers() {
        let mut s = VmaSet::default();
        s.insert(anon(0x1000, 0x3000, RW));
        s.insert(anon(0x5000, 0x6000, Prot::READ));
        assert!(s.overlaps(VirtAddr(0x2000), VirtAddr(0x2001)));
        assert!(!s.overlaps(VirtAddr(0x3000), VirtAddr(0x5000)));
        assert_eq!(s.overlapping(VirtAddr(0), VirtAddr(0x10000)).count(), 2);
    }
}
