//! The frame allocator: the single owner of every frame of the machine's RAM.
//!
//! User pages, page tables and page directories all come from here, and an
//! exiting process gives every one back. Frame 0 is never handed out, so a
//! zero frame number in a PTE is always a bug. `free_frames()` before a
//! process starts equals `free_frames()` after it exits — the tests hold the
//! kernel to that on every exit path.

use toyemu_emulator::Frame;

pub struct FrameAllocator {
    /// Free frame numbers; popped from the end (most recently freed first).
    free: Vec<u32>,
    /// One bit per frame: handed out and not yet returned.
    used: Vec<u64>,
    total: u32,
    /// Test hook: pretend RAM ends after this many more allocations.
    fail_after: Option<u32>,
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
