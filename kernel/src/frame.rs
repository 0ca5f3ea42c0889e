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
    /// Frames given back, most recently freed last (handed out first).
    recycled: Vec<u32>,
    /// Frames `fresh..total` were never handed out: the free list is made
    /// as frames are taken, so starting costs nothing per frame of RAM.
    fresh: u32,
    /// References to each frame: the page directory, page tables and PTEs
    /// that hold it (0 = free). A frame shared by fork has one per process.
    /// Indexed by frame number up to `fresh`: it grows as frames are first
    /// handed out (those past it are free), not with the size of RAM.
    refs: Vec<u16>,
    total: u32,
    /// Test hook: pretend RAM ends after this many more allocations.
    fail_after: Option<u32>,
    /// Notes for the trace, kept only once someone asked for them.
    notes: Option<Vec<FrameNote>>,
}

impl FrameAllocator {
    /// Manage frames `1..total` (frame 0 is reserved).
    pub fn new(total: u32) -> FrameAllocator {
        FrameAllocator {
            recycled: Vec::new(),
            // Low frames first, as a free list built in order would give them.
            fresh: 1,
            refs: vec![0],
            total,
            fail_after: None,
            notes: None,
        }
    }

    /// A free frame with one reference, or `None` when RAM is exhausted.
    /// The frame's contents are whatever its last owner left: callers zero
    /// or fill it.
    pub fn alloc(&mut self) -> Option<Frame> {
        if let Some(n) = self.fail_after.as_mut() {
            if *n == 0 {
                return None;
            }
            *n -= 1;
        }
        let f = match self.recycled.pop() {
            Some(f) => f,
            None if self.fresh < self.total => {
                self.fresh += 1;
                self.refs.push(0);
                self.fresh - 1
            }
            None => return None,
        };
        let r = &mut self.refs[f as usize];
        assert!(*r == 0, "frame {f:#x} on the free list while in use");
        *r = 1;
        Some(Frame(f))
    }

    /// One more holder of a frame in use (fork sharing a page).
    pub fn share(&mut self, f: Frame) {
        let mut never_used = 0;
        let r = self.refs.get_mut(f.index()).unwrap_or(&mut never_used);
        assert!(*r > 0, "sharing free frame {:#x}", f.0);
        *r = r.checked_add(1).expect("frame reference count overflow");
    }

    /// Drop one reference; the frame goes back to the free list with the
    /// last one (returns whether it did). Dropping a free frame is a kernel bug.
    pub fn free(&mut self, f: Frame) -> bool {
        assert!(
            f.0 != 0 && f.0 < self.total,
            "freeing frame {:#x} outside RAM",
            f.0
        );
        let mut never_used = 0;
        let r = self.refs.get_mut(f.index()).unwrap_or(&mut never_used);
        assert!(*r != 0, "double free of frame {:#x}", f.0);
        *r -= 1;
        if *r > 0 {
            return false;
        }
        self.recycled.push(f.0);
        true
    }

    pub fn is_used(&self, f: Frame) -> bool {
        self.refs(f) > 0
    }
    /// Holders of `f` (0 when free).
    pub fn refs(&self, f: Frame) -> u16 {
        self.refs.get(f.index()).copied().unwrap_or(0)
    }
    /// Frames held by more than one page table entry.
    pub fn shared_frames(&self) -> u32 {
        self.refs.iter().filter(|&&r| r > 1).count() as u32
    }
    pub fn free_frames(&self) -> u32 {
        self.recycled.len() as u32 + (self.total - self.fresh)
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
    fn a_shared_frame_is_free_after_its_last_holder() {
        let mut a = FrameAllocator::new(4);
        let f = a.alloc().unwrap();
        a.share(f);
        assert_eq!(a.refs(f), 2);
        assert_eq!(a.shared_frames(), 1);
        assert!(!a.free(f), "one holder left");
        assert!(a.is_used(f));
        assert!(a.free(f));
        assert_eq!((a.free_frames(), a.shared_frames()), (3, 0));
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
    fn the_books_follow_the_frames_handed_out_not_the_size_of_ram() {
        let mut a = FrameAllocator::new(3 << 18); // 3 GiB of frames
        assert_eq!(a.refs.len(), 1);
        let f = a.alloc().unwrap();
        assert_eq!(a.refs.len(), 2);
        assert_eq!((a.refs(f), a.refs(Frame(700_000))), (1, 0));
        assert!(!a.is_used(Frame(700_000)));
        assert_eq!(a.free_frames(), (3 << 18) - 2);
    }

    #[test]
    #[should_panic(expected = "sharing free frame")]
    fn sharing_a_frame_never_handed_out_is_caught() {
        let mut a = FrameAllocator::new(1 << 10);
        a.share(Frame(500));
    }

    #[test]
    #[should_panic(expected = "double free")]
    fn freeing_a_frame_never_handed_out_is_caught() {
        let mut a = FrameAllocator::new(1 << 10);
        a.free(Frame(500));
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
