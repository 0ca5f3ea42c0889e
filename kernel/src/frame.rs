//! The frame allocator: the single owner of every frame of the machine's RAM.
//!
//! User pages, page tables and page directories all come from here, and an
//! exiting process gives every one back. Frame 0 is never handed out, so a
//! zero frame number in a PTE is always a bug. `free_frames()` before a
//! process starts equals `free_frames()` after it exits — the tests hold the
//! kernel to that on every exit path.
//!
//! When asked (anyone tracing), it also keeps notes of what frames were
//! taken for and given back from: the callers that know the use write
//! them, and the kernel turns them into trace events.

use crate::ledger::Cause;
use toyemu_emulator::{Frame, VirtAddr};

/// What a frame held, as `--trace frame` tells it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameUse {
    /// A process's page directory.
    Directory,
    /// The page table under this page-directory index.
    PageTable { pd_index: u16 },
    /// The user page at `va`, booked under `cause`.
    Page { va: VirtAddr, cause: Cause },
}

/// A frame taken for something, or given back from it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameNote {
    pub frame: Frame,
    pub taken: bool,
    pub used_for: FrameUse,
}

pub struct FrameAllocator {
    /// Free frame numbers; popped from the end (most recently freed first).
    free: Vec<u32>,
    /// One bit per frame: handed out and not yet returned.
    used: Vec<u64>,
    total: u32,
    /// Test hook: pretend RAM ends after this many more allocations.
    fail_after: Option<u32>,
    /// Notes for the trace, kept only once someone asked for them.
    notes: Option<Vec<FrameNote>>,
}

impl FrameAllocator {
    /// Manage frames `1..total` (frame 0 is reserved).
    pub fn new(total: u32) -> FrameAllocator {
        // Hand out low frames first: reversed so `pop` yields frame 1 first.
        let free: Vec<u32> = (1..total).rev().collect();
        FrameAllocator {
            free,
            used: vec![0; (total as usize).div_ceil(64)],
            total,
            fail_after: None,
            notes: None,
        }
    }

    /// A free frame, or `None` when RAM is exhausted. The frame's contents
    /// are whatever its last owner left: callers zero or fill it.
    pub fn alloc(&mut self) -> Option<Frame> {
        if let Some(n) = self.fail_after.as_mut() {
            if *n == 0 {
                return None;
            }
            *n -= 1;
        }
        let f = self.free.pop()?;
        let (w, b) = (f as usize / 64, 1u64 << (f % 64));
        assert!(
            self.used[w] & b == 0,
            "frame {f:#x} on the free list while in use"
        );
        self.used[w] |= b;
        Some(Frame(f))
    }

    /// Give a frame back. Freeing a frame that is not in use is a kernel bug.
    pub fn free(&mut self, f: Frame) {
        let (w, b) = (f.index() / 64, 1u64 << (f.0 % 64));
        assert!(
            f.0 != 0 && f.0 < self.total,
            "freeing frame {:#x} outside RAM",
            f.0
        );
        assert!(self.used[w] & b != 0, "double free of frame {:#x}", f.0);
        self.used[w] &= !b;
        self.free.push(f.0);
    }

    pub fn is_used(&self, f: Frame) -> bool {
        f.0 < self.total && self.used[f.index() / 64] & (1 << (f.0 % 64)) != 0
    }
    pub fn free_frames(&self) -> u32 {
        self.free.len() as u32
    }
    pub fn total_frames(&self) -> u32 {
        self.total
    }
    pub fn used_frames(&self) -> u32 {
        self.total - 1 - self.free_frames()
    }

    /// Keep [`FrameNote`]s from now on.
    pub fn keep_notes(&mut self) {
        self.notes.get_or_insert_with(Vec::new);
    }
    /// Note what `frame` was taken for (or given back from), if notes are kept.
    pub fn note(&mut self, frame: Frame, taken: bool, used_for: FrameUse) {
        if let Some(n) = self.notes.as_mut() {
            n.push(FrameNote {
                frame,
                taken,
                used_for,
            });
        }
    }
    /// The notes since the last call (none, without allocating, if not kept).
    pub fn take_notes(&mut self) -> Vec<FrameNote> {
        self.notes.as_mut().map(std::mem::take).unwrap_or_default()
    }

    /// Make allocation fail after `n` more frames (`None` lifts the limit).
    pub fn set_fail_after(&mut self, n: Option<u32>) {
        self.fail_after = n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hands_out_each_frame_once_and_never_frame_zero() {
        let mut a = FrameAllocator::new(4);
        let got: Vec<_> = std::iter::from_fn(|| a.alloc()).collect();
        assert_eq!(got, vec![Frame(1), Frame(2), Frame(3)]);
        assert_eq!(a.free_frames(), 0);
        a.free(Frame(2));
        assert_eq!(a.alloc(), Some(Frame(2)));
    }

    #[test]
    #[should_panic(expected = "double free")]
    fn double_free_is_caught() {
        let mut a = FrameAllocator::new(4);
        let f = a.alloc().unwrap();
        a.free(f);
        a.free(f);
    }

    #[test]
    fn notes_are_kept_only_when_asked() {
        let mut a = FrameAllocator::new(4);
        let f = a.alloc().unwrap();
        a.note(f, true, FrameUse::Directory);
        assert!(a.take_notes().is_empty());
        a.keep_notes();
        a.note(f, false, FrameUse::Directory);
        let n = a.take_notes();
        assert_eq!(n.len(), 1);
        assert!(!n[0].taken);
        assert!(a.take_notes().is_empty(), "taken once");
    }

    #[test]
    fn fail_after_simulates_exhaustion() {
        let mut a = FrameAllocator::new(16);
        a.set_fail_after(Some(2));
        assert!(a.alloc().is_some());
        assert!(a.alloc().is_some());
        assert!(a.alloc().is_none());
        a.set_fail_after(None);
        assert!(a.alloc().is_some());
    }
}
