//! The decode cache: instructions decoded once, in blocks, per physical
//! frame, and executed from there.
//!
//! A block is the run of instructions from an entry offset up to the first
//! branch or trap other than a jcc (or the end of the page, or 64
//! instructions): a jcc inside is an exit, taken or not. Pages are keyed by *physical*
//! frame, so decoded code survives CR3 switches. The CPU owns the page it is
//! executing from (moved out of the map), so entering a block is an array
//! index, never a map lookup, and inside a block the next instruction is the
//! next array element:
//!
//! ```text
//!   eip ──vpn == cur_vpn?──▶ cur.slots[eip & 0xfff] ──▶ cur.blocks[b] ──▶ cur.ops[start..]
//!          │ no                      │ 0: not decoded yet, or CROSS
//!          ▼                         ▼
//!   enter(): fetch-translate    miss(): decode a block with iced, mark_code(frame)
//! ```
//!
//! A `Block` says how many instructions it retires, so the CPU charges the
//! budget once per block, and where its fast-path ops are: a copy of its
//! ops with each compare (or test) and the jcc after it fused into one
//! (fuse.rs). The instruction-at-a-time path runs the ops as decoded.
//!
//! Invalidation: `mmu.epoch()` (CR3 load, `invlpg`) makes the CPU translate
//! its current page again; `phys.code_epoch()` (a write to a frame we decoded
//! from) drops the decoded pages of the frames written. The CPU checks it
//! after every instruction, so a store is seen by the next instruction, as on
//! hardware (Intel SDM Vol. 3A §11.6).

use super::deadflags;
use super::decode::{decode, NeedMore, MAX_INSN};
use super::fast;
use super::fuse;
use super::op::{Kind, Op, AGAIN, EXIT, HOOK, LAST, WRITES};
use crate::addr::{Frame, VirtAddr, PAGE_SIZE};
use crate::mmu::Mmu;
use crate::trap::PageFault;
use std::collections::HashMap;

/// Slot value: the instruction here continues into the next page.
const CROSS: u16 = u16::MAX;
/// No page / no frame.
const NONE: u32 = u32::MAX;
/// Longest block: bounds the work a miss does.
const MAX_BLOCK: usize = 64;
/// Decoded ops a page may hold before it is decoded afresh (slot indices
/// are 16-bit; blocks entered at many offsets duplicate instructions).
const MAX_OPS: usize = 60_000;

/// A decoded block: where its ops are and what running it costs. Its ops
/// are stored twice: as decoded, for the instruction-at-a-time path, and
/// with each compare and the jcc after it fused (fuse.rs), for the fast
/// path, which runs them all and charges `insns` once.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Block {
    /// Index in `Page::ops` of its first op as decoded; there are `insns`.
    pub start: u16,
    /// Index in `Page::ops` of its first fast-path op; there are `fast`.
    pub fast_start: u16,
    pub fast: u8,
    /// Instructions retired by running the whole block.
    pub insns: u8,
    /// HOOK when its first instruction is hooked; MISS for the sentinel.
    pub flags: u8,
    /// Fast-path runs so far, while it has no translation (jit/).
    pub heat: u16,
    /// Its translation: 0 none yet, `jit::REFUSED` never, else id + 1.
    pub jit: u32,
}

/// `Block::flags` of `blocks[0]`, what a slot that holds no block points at.
pub const MISS: u8 = 0x80;

const SENTINEL: Block = Block {
    start: 0,
    fast_start: 0,
    fast: 0,
    insns: 0,
    flags: MISS,
    heat: 0,
    jit: 0,
};

/// The decoded instructions of one frame.
pub struct Page {
    /// Per byte offset: the index in `blocks` of the block starting here
    /// (0, the sentinel, if none yet), or CROSS.
    pub slots: Box<[u16; PAGE_SIZE as usize]>,
    pub blocks: Vec<Block>,
    pub ops: Vec<Op>,
}

impl Page {
    fn new() -> Box<Page> {
        Box::new(Page {
            slots: Box::new([0; PAGE_SIZE as usize]),
            blocks: vec![SENTINEL],
            ops: Vec::new(),
        })
    }
    fn clear(&mut self) {
        self.slots.fill(0);
        self.blocks.truncate(1);
        self.ops.clear();
    }
}

/// The block ends with the op decoded last (before a hook, an `rdtsc`, an
/// instruction crossing the page): a jcc there is the end, not an exit.
fn end_here(ops: &mut [Op]) {
    if let Some(op) = ops.last_mut() {
        op.flags = (op.flags & !EXIT) | LAST;
    }
}

/// A direct branch of a block's fast path to the block itself goes on
/// there when taken: back to its start (another pass), or forward to a
/// later op (so a pass still retires at most the block's instructions).
/// Mark each with where it goes and what that passes over (see `Op::skip`).
fn inner_exits(ops: &mut [Op]) {
    let Some(first) = ops.first() else { return };
    let start = first.start();
    let mut retired = 0;
    for i in 0..ops.len() {
        let op = ops[i];
        retired += 1 + fuse::is_fused(op.kind) as u8;
        let direct = op.is_jcc() || fuse::is_fused(op.kind) || op.kind == Kind::Jmp;
        if op.flags & (EXIT | LAST) == 0 || !direct {
            continue;
        }
        let target = (op.end as u32).wrapping_add(fuse::disp(&op));
        if target == start {
            ops[i].skip = AGAIN;
            ops[i].skipped = retired;
            continue;
        }
        let mut skipped = 0;
        for k in i + 1..ops.len() {
            let o = ops[k];
            if o.start() == target {
                ops[i].skip = (k - i) as u8;
                ops[i].skipped = skipped;
                break;
            }
            skipped += 1 + fuse::is_fused(o.kind) as u8;
        }
    }
}

/// An instruction straddling two frames: valid while both are what they were.
struct Cross {
    frame0: u32,
    offset: u32,
    frame1: u32,
    op: Op,
}

/// Where the instruction at an EIP was found.
pub enum Entry {
    /// This block of the current page.
    Block(Block),
    /// A page-crossing instruction, now in `cross_op`; run it alone.
    Cross,
}

pub struct CodeCache {
    /// The page being executed (taken out of `pages`).
    pub cur: Box<Page>,
    /// Virtual page number `cur` is entered from, or NONE.
    pub cur_vpn: u32,
    cur_frame: u32,
    mmu_epoch: u64,
    /// `phys.code_epoch()` when stale frames were last dropped.
    pub code_epoch: u64,
    pages: HashMap<u32, Box<Page>>,
    cross: Vec<Cross>,
    /// The page-crossing instruction being executed.
    pub cross_op: Op,
    stale: Vec<Frame>,
    /// Hooked addresses, sorted: each starts a block and stops the CPU.
    hooks: Vec<u32>,
    /// The hook to run through once: (EIP, instructions retired then).
    pub pass: Option<(u32, u64)>,
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
            cross_op: Op::new(Kind::Nop, 1),
            stale: Vec::new(),
            hooks: Vec::new(),
            pass: None,
        }
    }
}

impl CodeCache {
    /// Whether code went stale since the last look (one compare).
    #[inline(always)]
    pub fn stale(&self, mmu: &Mmu) -> bool {
        mmu.phys().code_epoch() != self.code_epoch
    }

    /// At the start of `run`: translations may have changed while the
    /// kernel ran (CR3 load, `invlpg`), and code may have been written.
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
        mmu.phys_mut().take_stale(&mut self.stale);
        for f in self.stale.drain(..) {
            if f.0 == self.cur_frame {
                self.cur.clear();
            } else {
                self.pages.remove(&f.0);
            }
        }
        self.cross.clear();
        self.code_epoch = mmu.phys().code_epoch();
    }

    /// Make the page holding `eip` current, translating it as an instruction
    /// fetch (so a fault carries the I bit).
    /// Hook `addrs` (replacing the old set): everything decoded is dropped,
    /// so each hooked instruction starts a block from now on.
    pub fn set_hooks(&mut self, mut addrs: Vec<u32>) {
        addrs.sort_unstable();
        addrs.dedup();
        self.hooks = addrs;
        self.forget_all();
    }

    /// Forget everything decoded (the JIT's code memory was flushed, so no
    /// block may keep a translation id).
    pub fn forget_all(&mut self) {
        self.cur.clear();
        self.pages.clear();
        self.cross.clear();
        self.cur_vpn = NONE;
    }

    /// Hook one more address, dropping only the decoded page that holds it.
    pub fn add_hook(&mut self, mmu: &Mmu, addr: u32) {
        let Err(i) = self.hooks.binary_search(&addr) else {
            return;
        };
        self.hooks.insert(i, addr);
        if let Some(frame) = mmu.peek(VirtAddr(addr)).frame(mmu.phys()) {
            if frame.0 == self.cur_frame {
                self.cur.clear();
            } else {
                self.pages.remove(&frame.0);
            }
        }
        self.cross.clear();
    }

    pub fn has_hooks(&self) -> bool {
        !self.hooks.is_empty()
    }

    pub fn is_hook(&self, eip: u32) -> bool {
        !self.hooks.is_empty() && self.hooks.binary_search(&eip).is_ok()
    }

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

    /// Decode the block at `eip` (in the current page) and remember it.
    #[cold]
    pub fn miss(&mut self, mmu: &mut Mmu, eip: u32) -> Result<Entry, PageFault> {
        let offset = eip & 0xfff;
        if self.cur.slots[offset as usize] == CROSS {
            if let Some(op) = self.cross_lookup(mmu, eip)? {
                self.cross_op = op;
                return Ok(Entry::Cross);
            }
        }
        if self.cur.ops.len() > MAX_OPS {
            self.cur.clear();
        }
        let frame = Frame(self.cur_frame);
        mmu.mark_code(frame);
        let start = self.cur.ops.len();
        let mut at = offset;
        loop {
            let va = (eip & !0xfff) | at;
            if at != offset && self.is_hook(va) {
                end_here(&mut self.cur.ops);
                break;
            }
            let here = (MAX_INSN as u32).min(PAGE_SIZE - at) as usize;
            let bytes = &mmu.phys().frame_bytes(frame)[at as usize..][..here];
            let op = match decode(bytes, va) {
                // `rdtsc` reads the retired count, which the CPU brings up
                // to date at block boundaries: a block starts there.
                Ok(op) if op.kind == Kind::Rdtsc && at != offset => None,
                Ok(op) => Some(op),
                Err(NeedMore) if at == offset => return self.decode_cross(mmu, eip),
                // Stop before an instruction that crosses the page.
                Err(NeedMore) => None,
            };
            let Some(mut op) = op else {
                end_here(&mut self.cur.ops);
                break;
            };
            at += op.len as u32;
            op.end = at as u16;
            // A jcc does not end the block: its fall-through goes on in it.
            let last = (op.ends_block() && !op.is_jcc())
                || at >= PAGE_SIZE
                || self.cur.ops.len() - start + 1 >= MAX_BLOCK;
            op.flags = if last { LAST } else { 0 }
                | if op.is_jcc() && !last { EXIT } else { 0 }
                | if op.writes_memory() { WRITES } else { 0 }
                | if va == eip && self.is_hook(va) {
                    HOOK
                } else {
                    0
                };
            self.cur.ops.push(op);
            if last {
                break;
            }
        }
        let insns = self.cur.ops.len() - start;
        let fast_start = self.cur.ops.len();
        let mut i = start;
        while i < fast_start {
            let op = self.cur.ops[i];
            let fused = (i + 1 < fast_start)
                .then(|| fuse::fuse(&op, &self.cur.ops[i + 1]))
                .flatten();
            i += 1 + fused.is_some() as usize;
            let mut op = fused.unwrap_or(op);
            if op.flags & EXIT != 0 {
                op.size = (i - start) as u8;
            }
            self.cur.ops.push(op);
        }
        deadflags::drop_dead_flags(&mut self.cur.ops[fast_start..]);
        fast::base_only(&mut self.cur.ops[fast_start..]);
        inner_exits(&mut self.cur.ops[fast_start..]);
        let block = Block {
            start: start as u16,
            fast_start: fast_start as u16,
            fast: (self.cur.ops.len() - fast_start) as u8,
            insns: insns as u8,
            flags: self.cur.ops[start].flags & HOOK,
            heat: 0,
            jit: 0,
        };
        self.cur.slots[offset as usize] = self.cur.blocks.len() as u16;
        self.cur.blocks.push(block);
        Ok(Entry::Block(block))
    }

    /// The instruction at `eip` continues on the next page: fetch those
    /// bytes (only now, when they are needed, as the processor does).
    fn decode_cross(&mut self, mmu: &mut Mmu, eip: u32) -> Result<Entry, PageFault> {
        let offset = eip & 0xfff;
        let here = (PAGE_SIZE - offset) as usize;
        let frame0 = Frame(self.cur_frame);
        let frame1 = mmu.fetch_frame(VirtAddr((eip & !0xfff).wrapping_add(PAGE_SIZE)))?;
        mmu.mark_code(frame1);
        let mut buf = [0u8; MAX_INSN];
        buf[..here].copy_from_slice(&mmu.phys().frame_bytes(frame0)[offset as usize..]);
        buf[here..].copy_from_slice(&mmu.phys().frame_bytes(frame1)[..MAX_INSN - here]);
        let mut op = decode(&buf, eip).unwrap_or(Op::new(Kind::Ud, MAX_INSN as u8));
        op.flags = LAST;
        op.end = (offset + op.len as u32) as u16;
        self.cross.push(Cross {
            frame0: frame0.0,
            offset,
            frame1: frame1.0,
            op,
        });
        self.cur.slots[offset as usize] = CROSS;
        self.cross_op = op;
        Ok(Entry::Cross)
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
