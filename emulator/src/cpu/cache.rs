//! The decode cache: instructions decoded once per physical frame and byte
//! offset, executed from there.
//!
//! Pages are keyed by *physical* frame, so a frame keeps its decoded code
//! across CR3 switches. The CPU owns the page it is executing from (moved
//! out of the map), so the hot path is an array index, never a map lookup:
//!
//! ```text
//!   eip ──vpn == cur_vpn?──▶ cur.slots[eip & 0xfff] ──▶ cur.ops[slot-1]
//!          │ no                      │ 0: not decoded yet / CROSS
//!          ▼                         ▼
//!   enter(): fetch-translate    miss(): decode with iced, mark_code(frame)
//! ```
//!
//! Invalidation: `mmu.epoch()` (CR3 load, `invlpg`) makes the CPU translate
//! its current page again; `phys.code_epoch()` (a write to a frame we decoded
//! from) drops the decoded pages of the frames written, checked before every
//! instruction, so a store is seen by the next instruction as on hardware
//! (Intel SDM Vol. 3A §11.6).

use super::decode::{decode, MAX_INSN};
use super::op::{Kind, Op};
use crate::addr::{Frame, VirtAddr, PAGE_SIZE};
use crate::mmu::Mmu;
use crate::trap::PageFault;
use std::collections::HashMap;

/// Slot value: the instruction here continues into the next page.
const CROSS: u16 = u16::MAX;
/// No page / no frame.
const NONE: u32 = u32::MAX;

/// The decoded instructions of one frame.
pub struct Page {
    /// Per byte offset: 0 = not decoded, CROSS, or index + 1 into `ops`.
    slots: Box<[u16; PAGE_SIZE as usize]>,
    ops: Vec<Op>,
}

impl Page {
    fn new() -> Box<Page> {
        Box::new(Page {
            slots: Box::new([0; PAGE_SIZE as usize]),
            ops: Vec::new(),
        })
    }
    fn clear(&mut self) {
        self.slots.fill(0);
        self.ops.clear();
    }
}

/// An instruction straddling two frames: valid while both are what they were.
struct Cross {
    frame0: u32,
    offset: u32,
    frame1: u32,
    op: Op,
}

pub struct CodeCache {
    /// The page being executed (taken out of `pages`).
    cur: Box<Page>,
    /// Virtual page number `cur` is entered from, or NONE.
    pub cur_vpn: u32,
    cur_frame: u32,
    mmu_epoch: u64,
    code_epoch: u64,
    pages: HashMap<u32, Box<Page>>,
    cross: Vec<Cross>,
    stale: Vec<Frame>,
}

impl Default for CodeCache {
    fn default() -> Self {
        CodeCache {
            cur: Page::new(),
            cur_vpn: NONE,
            cur_frame: NONE,
            mmu_epoch: u64::MAX,
            code_epoch: 0,
            pages: HashMap::new(),
            cross: Vec::new(),
            stale: Vec::new(),
        }
    }
}

impl CodeCache {
    /// The decoded instruction at `eip` in the current page, if there is one.
    #[inline(always)]
    pub fn lookup(&self, eip: u32) -> Option<Op> {
        let slot = self.cur.slots[(eip & 0xfff) as usize] as usize;
        self.cur.ops.get(slot.wrapping_sub(1)).copied()
    }

    /// Whether code went stale since the last look (one compare per instruction).
    #[inline(always)]
    pub fn stale(&self, mmu: &Mmu) -> bool {
        mmu.phys.code_epoch() != self.code_epoch
    }

    /// At the start of `run`: translations may have changed while the
    /// kernel ran (CR3 load, `invlpg`).
    pub fn sync(&mut self, mmu: &mut Mmu) {
        if mmu.epoch() != self.mmu_epoch {
            self.mmu_epoch = mmu.epoch();
            self.cur_vpn = NONE;
        }
        if self.stale(mmu) {
            self.drop_stale(mmu);
        }
    }

    /// Forget what was decoded from frames that have been written since.
    #[cold]
    pub fn drop_stale(&mut self, mmu: &mut Mmu) {
        mmu.phys.take_stale(&mut self.stale);
        for f in self.stale.drain(..) {
            if f.0 == self.cur_frame {
                self.cur.clear();
            } else {
                self.pages.remove(&f.0);
            }
        }
        self.cross.clear();
        self.code_epoch = mmu.phys.code_epoch();
    }

    /// Make the page holding `eip` current, translating it as an instruction
    /// fetch (so a fault carries the I bit).
    #[cold]
    pub fn enter(&mut self, mmu: &mut Mmu, eip: u32) -> Result<(), PageFault> {
        let frame = mmu.fetch_frame(VirtAddr(eip))?.0;
        if frame != self.cur_frame {
            let page = self.pages.remove(&frame).unwrap_or_else(Page::new);
            let old = std::mem::replace(&mut self.cur, page);
            if self.cur_frame != NONE {
                self.pages.insert(self.cur_frame, old);
            }
            self.cur_frame = frame;
        }
        self.cur_vpn = eip >> 12;
        Ok(())
    }

    /// Decode the instruction at `eip` (in the current page) and remember it.
    #[cold]
    pub fn miss(&mut self, mmu: &mut Mmu, eip: u32) -> Result<Op, PageFault> {
        let offset = eip & 0xfff;
        if self.cur.slots[offset as usize] == CROSS {
            if let Some(op) = self.cross_lookup(mmu, eip)? {
                return Ok(op);
            }
        }
        let frame = Frame(self.cur_frame);
        mmu.mark_code(frame);
        let mut buf = [0u8; MAX_INSN];
        let here = (MAX_INSN as u32).min(PAGE_SIZE - offset) as usize;
        buf[..here].copy_from_slice(&mmu.phys.frame_bytes(frame)[offset as usize..][..here]);
        match decode(&buf[..here], eip) {
            Ok(op) => {
                self.cur.ops.push(op);
                self.cur.slots[offset as usize] = self.cur.ops.len() as u16;
                Ok(op)
            }
            Err(_) => {
                // Only now, when the bytes are really needed, touch the next page.
                let next = (eip & !0xfff).wrapping_add(PAGE_SIZE);
                let frame1 = mmu.fetch_frame(VirtAddr(next))?;
                mmu.mark_code(frame1);
                let rest = MAX_INSN - here;
                buf[here..].copy_from_slice(&mmu.phys.frame_bytes(frame1)[..rest]);
                let op = decode(&buf, eip).unwrap_or(Op::new(Kind::Ud, MAX_INSN as u8));
                self.cross.push(Cross {
                    frame0: frame.0,
                    offset,
                    frame1: frame1.0,
                    op,
                });
                self.cur.slots[offset as usize] = CROSS;
                Ok(op)
            }
        }
    }

    /// A page-crossing instruction decoded before, if the next page still
    /// maps the same frame.
    fn cross_lookup(&mut self, mmu: &mut Mmu, eip: u32) -> Result<Option<Op>, PageFault> {
        let next = (eip & !0xfff).wrapping_add(PAGE_SIZE);
        let frame1 = mmu.fetch_frame(VirtAddr(next))?.0;
        let (frame0, offset) = (self.cur_frame, eip & 0xfff);
        Ok(self
            .cross
            .iter()
            .find(|c| c.frame0 == frame0 && c.offset == offset && c.frame1 == frame1)
            .map(|c| c.op))
    }

    /// Decoded pages held (for reports and tests).
    pub fn pages(&self) -> usize {
        self.pages.len() + (self.cur_frame != NONE) as usize
    }
}
