//! The mappings over time: a model of the process's VMAs kept from the
//! trace's VMA events, and every stretch of time a piece of a mapping spent
//! unchanged, as a [`Band`] (an address range × a span of instructions)
//! that the timeline draws. A heap that grows gains a piece beside the old
//! one; a munmap or mprotect that splits a mapping ends its piece and
//! starts the parts left over, so the split shows as a seam; exit ends
//! them all.
//!
//! A run that maps and unmaps without end would make bands without end:
//! past [`MAX_BANDS`] the lives of the same range close together in time
//! are folded into one band that says how many it holds.

use std::collections::BTreeMap;
use toyemu_kernel::vma::{Prot, VmaKind};

/// Bands kept at most.
pub const MAX_BANDS: usize = 3000;

/// One piece of a mapping, unchanged from `from` to `to` (instructions).
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Band {
    pub start: u32,
    pub end: u32,
    pub kind: VmaKind,
    pub prot: Prot,
    pub from: u64,
    pub to: u64,
    /// The trace line that began this piece, and the one that ended it
    /// (none if the process exited with it mapped).
    pub opened: String,
    pub closed: Option<String>,
    /// How many lives of this range the band stands for (1 unless folded).
    pub lives: u32,
}

#[derive(Clone, Debug)]
struct Piece {
    end: u32,
    kind: VmaKind,
    prot: Prot,
    since: u64,
    opened: String,
}

/// The live mappings and the bands already ended.
#[derive(Clone, Debug, Default)]
pub struct Bands {
    live: BTreeMap<u32, Piece>,
    done: Vec<Band>,
    /// Bands left out because folding could not make room.
    pub dropped: u64,
}

impl Bands {
    /// A new mapping `[start, end)` (or a new piece of one) at `t`.
    pub fn create(&mut self, start: u32, end: u32, kind: VmaKind, prot: Prot, t: u64, line: &str) {
        self.cut(start, end, t, line);
        self.open(start, end, kind, prot, t, line.to_string());
    }

    /// `[start, end)` unmapped at `t`.
    pub fn remove(&mut self, start: u32, end: u32, t: u64, line: &str) {
        self.cut(start, end, t, line);
    }

    /// `[start, end)` given protection `prot` at `t`.
    pub fn protect(&mut self, start: u32, end: u32, prot: Prot, t: u64, line: &str) {
        for (s, e, kind, _) in self.cut(start, end, t, line) {
            self.open(s, e, kind, prot, t, line.to_string());
        }
    }

    /// The mapping of `kind` around `[start, end)` is now exactly that
    /// range (the stack grew): the part it gained opens at `t`.
    pub fn resize(&mut self, kind: VmaKind, start: u32, end: u32, t: u64, line: &str) {
        let prot = self
            .overlapping(start, end)
            .find(|(_, p)| p.kind == kind)
            .map_or(Prot::READ | Prot::WRITE, |(_, p)| p.prot);
        let mut at = start;
        let covered: Vec<(u32, u32)> = self
            .overlapping(start, end)
            .map(|(&s, p)| (s.max(start), p.end.min(end)))
            .collect();
        for (s, e) in covered {
            if s > at {
                self.open(at, s, kind, prot, t, line.to_string());
            }
            at = at.max(e);
        }
        if at < end {
            self.open(at, end, kind, prot, t, line.to_string());
        }
    }

    /// The mapping `addr` lies in now, if any.
    pub fn live_at(&self, addr: u32) -> Option<(VmaKind, Prot)> {
        self.live
            .range(..=addr)
            .next_back()
            .filter(|(_, p)| addr < p.end)
            .map(|(_, p)| (p.kind, p.prot))
    }

    /// Every band, the live pieces ending at `now`, in the order they began.
    pub fn all(&self, now: u64) -> Vec<Band> {
        let mut out = self.done.clone();
        out.extend(self.live.iter().map(|(&start, p)| Band {
            start,
            end: p.end,
            kind: p.kind,
            prot: p.prot,
            from: p.since,
            to: now.max(p.since),
            opened: p.opened.clone(),
            closed: None,
            lives: 1,
        }));
        out.sort_by_key(|b| (b.from, b.start));
        out
    }

    /// The live pieces overlapping `[start, end)` (none for an empty range).
    fn overlapping(&self, start: u32, end: u32) -> impl Iterator<Item = (&u32, &Piece)> {
        // A piece starting below `start` may still reach into the range.
        let first = self
            .live
            .range(..start)
            .next_back()
            .filter(|(_, p)| p.end > start)
            .map_or(start, |(s, _)| *s);
        let first = if start < end { first } else { end };
        self.live.range(first..end)
    }

    fn open(&mut self, start: u32, end: u32, kind: VmaKind, prot: Prot, t: u64, line: String) {
        if start < end {
            let piece = Piece {
                end,
                kind,
                prot,
                since: t,
                opened: line,
            };
            self.live.insert(start, piece);
        }
    }

    /// End every piece overlapping `[start, end)` at `t` and reopen what
    /// lies outside the range; returns the parts inside it.
    fn cut(&mut self, start: u32, end: u32, t: u64, line: &str) -> Vec<(u32, u32, VmaKind, Prot)> {
        let hit: Vec<u32> = self.overlapping(start, end).map(|(s, _)| *s).collect();
        let mut inside = Vec::new();
        for s in hit {
            let Some(p) = self.live.remove(&s) else {
                continue;
            };
            inside.push((s.max(start), p.end.min(end), p.kind, p.prot));
            if s < start {
                self.open(s, start, p.kind, p.prot, t, line.to_string());
            }
            if p.end > end {
                self.open(end, p.end, p.kind, p.prot, t, line.to_string());
            }
            self.done.push(Band {
                start: s,
                end: p.end,
                kind: p.kind,
                prot: p.prot,
                from: p.since,
                to: t,
                opened: p.opened,
                closed: Some(line.to_string()),
                lives: 1,
            });
        }
        if self.done.len() > MAX_BANDS {
            self.fold();
        }
        inside
    }

    /// Fold the lives of each range that lie close together in time, the
    /// tolerance doubling until at most half of [`MAX_BANDS`] are left;
    /// then drop the shortest.
    fn fold(&mut self) {
        let span = self.done.iter().map(|b| b.to).max().unwrap_or(0);
        self.done
            .sort_by_key(|b| (b.start, b.end, b.kind, b.prot.bits(), b.from));
        let mut gap = 1u64;
        while self.done.len() > MAX_BANDS / 2 && gap <= span.max(1) {
            let mut folded: Vec<Band> = Vec::with_capacity(self.done.len());
            for b in self.done.drain(..) {
                match folded.last_mut() {
                    Some(a)
                        if (a.start, a.end, a.kind, a.prot) == (b.start, b.end, b.kind, b.prot)
                            && b.from <= a.to.saturating_add(gap) =>
                    {
                        a.to = a.to.max(b.to);
                        a.closed = b.closed;
                        a.lives += b.lives;
                    }
                    _ => folded.push(b),
                }
            }
            self.done = folded;
            gap *= 2;
        }
        if self.done.len() > MAX_BANDS / 2 {
            self.done.sort_by_key(|b| std::cmp::Reverse(b.to - b.from));
            let keep = MAX_BANDS / 2;
            self.dropped += (self.done.len() - keep) as u64;
            self.done.truncate(keep);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const RW: Prot = Prot::READ.union(Prot::WRITE);

    fn spans(b: &[Band]) -> Vec<(u32, u32, u64, u64)> {
        b.iter().map(|b| (b.start, b.end, b.from, b.to)).collect()
    }

    #[test]
    fn a_munmap_in_the_middle_splits_the_mapping_with_a_seam() {
        let mut b = Bands::default();
        b.create(0x1000, 0x5000, VmaKind::Mmap, RW, 10, "created");
        b.remove(0x2000, 0x3000, 20, "removed");
        let all = b.all(30);
        assert_eq!(
            spans(&all),
            [
                (0x1000, 0x5000, 10, 20),
                (0x1000, 0x2000, 20, 30),
                (0x3000, 0x5000, 20, 30)
            ]
        );
        assert_eq!(all[0].closed.as_deref(), Some("removed"));
        assert_eq!(all[1].opened, "removed");
        assert_eq!(all[2].closed, None);
    }

    #[test]
    fn mprotect_changes_only_its_range() {
        let mut b = Bands::default();
        b.create(0x1000, 0x4000, VmaKind::Mmap, RW, 0, "created");
        b.protect(0x2000, 0x3000, Prot::READ, 5, "now r--");
        let all = b.all(9);
        let middle = all.iter().find(|x| x.start == 0x2000).unwrap();
        assert_eq!(
            (middle.end, middle.prot, middle.from),
            (0x3000, Prot::READ, 5)
        );
        assert_eq!(
            all.iter().filter(|x| x.prot == RW && x.from == 5).count(),
            2
        );
    }

    #[test]
    fn a_grown_stack_gains_a_piece_below_the_old_one() {
        let mut b = Bands::default();
        b.create(0xbffdf000, 0xc0000000, VmaKind::Stack, RW, 0, "stack");
        b.resize(VmaKind::Stack, 0xbffde000, 0xc0000000, 7, "grown");
        assert_eq!(
            spans(&b.all(9)),
            [
                (0xbffdf000, 0xc0000000, 0, 9),
                (0xbffde000, 0xbffdf000, 7, 9)
            ]
        );
    }

    #[test]
    fn an_empty_or_backwards_range_changes_nothing() {
        let mut b = Bands::default();
        b.create(0x1000, 0x3000, VmaKind::Heap, RW, 0, "heap");
        b.remove(0x2000, 0x2000, 1, "nothing");
        b.remove(0x3000, 0x1000, 2, "backwards");
        b.resize(VmaKind::Heap, 0x2000, 0x1000, 3, "backwards");
        assert_eq!(spans(&b.all(4)), [(0x1000, 0x3000, 0, 4)]);
    }

    #[test]
    fn endless_map_unmap_cycles_fold_into_few_bands() {
        let mut b = Bands::default();
        for i in 0..100_000u64 {
            b.create(0xb7000000, 0xb7100000, VmaKind::Mmap, RW, 10 * i, "mmap");
            b.remove(0xb7000000, 0xb7100000, 10 * i + 5, "munmap");
        }
        let all = b.all(1_000_000);
        assert!(all.len() <= MAX_BANDS, "{} bands", all.len());
        assert_eq!(all.iter().map(|x| x.lives as u64).sum::<u64>(), 100_000);
        assert_eq!(b.dropped, 0);
    }
}
