//! The loop that runs decoded blocks until something needs the operating
//! system, and what it does when an instruction stops short.
//!
//! A block runs on the fast path when it is decoded, not hooked, and the
//! budget covers all of it: the retired count is charged once, when it
//! ends (at its last op or at a jcc taken out of it), and nothing else is
//! checked between its instructions but a store that wrote code. Everything else (the first run of a block, a hook, the last
//! instructions of a budget, a single step) goes one instruction at a time
//! through `checked`, which charges each. Either way a fault leaves EIP at
//! the faulting instruction and the count exact: the fast path knows which
//! op stopped and charges the ones before it.

use super::cache::{Block, CodeCache, Entry, MISS};
use super::exec::Flow;
use super::fuse;
use super::jit::{Exit, Jit, REFUSED};
use super::op::{Op, AGAIN, EXIT, HOOK, LAST, WRITES};
use super::state::{State, Stop, ESP};
use super::Cpu;
use crate::addr::VirtAddr;
use crate::mmu::Mmu;
use crate::trap::{PageFault, PfCode, Trap};

impl Cpu {
    /// Run until a trap, retiring at most `budget` instructions.
    pub fn run(&mut self, mmu: &mut Mmu, budget: u64) -> Trap {
        self.code.sync(mmu);
        let s = &mut self.s;
        let code = &mut self.code;
        let mut jit = self.jit.as_deref_mut();
        // The last unlinked exit the JIT took (its number): linked if
        // the next block runs translated.
        let mut link = None;
        let lru = mmu.tlb().config().policy == crate::tlb::Policy::Lru;
        // Memcheck's stack floor follows ESP at every block's end.
        let stack_watch = mmu.watch().is_some_and(|w| w.has_stack());
        if stack_watch {
            floor(s, mmu);
        }
        // A jcc to a later op of its block goes on there, unless every
        // block's end is needed (memcheck's stack floor), or hooks are set:
        // a frame mapped at two addresses shares its decoded blocks, so a
        // block may run past an address hooked at the other.
        let inner = !stack_watch && !code.has_hooks();
        // One counter does for both: stop when `retired` reaches `end`.
        let mut end = s.retired.saturating_add(budget);
        'blocks: loop {
            let eip = s.eip;
            if eip >> 12 != code.cur_vpn {
                if let Err(pf) = code.enter(mmu, eip) {
                    return s.fault(pf, eip);
                }
            }
            let slot = code.cur.slots[(eip & 0xfff) as usize] as usize;
            let block = match code.cur.blocks.get(slot) {
                Some(&b) if b.flags == 0 && s.retired + b.insns as u64 <= end => b,
                // Not decoded yet, page-crossing, hooked, or the budget
                // ends inside it.
                _ => {
                    if let Some(t) = checked(s, mmu, code, &mut end, stack_watch) {
                        return t;
                    }
                    continue;
                }
            };
            if let Some(j) = jit.as_deref_mut() {
                let cell = link.take();
                if block.jit != REFUSED {
                    match translated(j, code, slot, eip, lru) {
                        Some(id) if j.fits(id, eip) => {
                            if let Some(c) = cell {
                                j.link(c, id);
                            }
                            // Going on from block to block stops where the
                            // fast path's would; memcheck's stack floor
                            // needs every block's end.
                            let chain_end = if stack_watch { 0 } else { end };
                            let (exit, c) = j.run(id, s, mmu, chain_end, inner);
                            link = c;
                            match exit {
                                Exit::Done => {
                                    if stack_watch {
                                        floor(s, mmu);
                                    }
                                }
                                Exit::Syscall { len } => {
                                    s.eip = s.eip.wrapping_add(len as u32);
                                    s.retired += 1;
                                    return Trap::Syscall;
                                }
                                Exit::Stop(op, stop) => {
                                    let at = s.eip;
                                    s.eip = at.wrapping_add(op.len as u32);
                                    if let Some(t) = s.stopped(mmu, &op, stop, at, &mut end) {
                                        return t;
                                    }
                                    if code.stale(mmu) {
                                        code.drop_stale(mmu);
                                    }
                                }
                                Exit::Stale => code.drop_stale(mmu),
                            }
                            continue 'blocks;
                        }
                        _ => {}
                    }
                }
            }
            // EIP is left alone by the ops that do not read it (exec.rs):
            // it is worked out where the block is left. The ops before one
            // that stops are charged then. A block that loops on itself
            // runs again at once while the budget lasts.
            let ops = &code.cur.ops[block.fast_start as usize..][..block.fast as usize];
            let page = eip & !0xfff;
            loop {
                // Instructions passed over by exits into the block itself
                // (not retired this pass).
                let mut skipped = 0;
                // Instructions retired when the block is left by a jump.
                let left = 'ran: {
                    let mut it = ops.iter();
                    while let Some(op) = it.next() {
                        let flow = s.step(mmu, op, page);
                        // The arms of `step` say by hand what `writes_memory`
                        // says by kind: one that may store never says Next.
                        debug_assert!(
                            !matches!(flow, Ok(Flow::Next | Flow::Jump)) || op.flags & WRITES == 0,
                            "{:?} stores but its arm says it did not",
                            op.kind
                        );
                        match flow {
                            Ok(Flow::Next) => {}
                            Ok(Flow::Stored) => {
                                // A store that took the MMU's slow path
                                // into a frame decoded from bumped the
                                // epoch: the next op may be stale.
                                if code.stale(mmu) {
                                    s.eip = page.wrapping_add(op.end as u32);
                                    s.retired += before(ops, op) + weight(op) - skipped;
                                    code.drop_stale(mmu);
                                    continue 'blocks;
                                }
                            }
                            // A branch back to the block's start makes another
                            // pass while the budget lasts; one to a later op
                            // goes on there; else it leaves (an exit's `size`
                            // says how far the block got).
                            Ok(Flow::Jump) => {
                                if op.skip == AGAIN {
                                    s.retired += op.skipped as u64 - skipped;
                                    if stack_watch {
                                        floor(s, mmu);
                                    }
                                    if s.retired + block.insns as u64 > end
                                        || warmed(jit.as_deref(), &mut code.cur.blocks, slot)
                                    {
                                        continue 'blocks;
                                    }
                                    it = ops.iter();
                                    skipped = 0;
                                    continue;
                                }
                                if op.skip != 0 && inner {
                                    skipped += op.skipped as u64;
                                    if op.skip > 1 {
                                        it.nth(op.skip as usize - 2);
                                    }
                                    continue;
                                }
                                break 'ran retired_at(op, &block) - skipped;
                            }
                            Ok(Flow::Eip) => {
                                if op.flags & WRITES != 0 && code.stale(mmu) {
                                    s.retired += before(ops, op) + weight(op) - skipped;
                                    code.drop_stale(mmu);
                                    continue 'blocks;
                                }
                                if op.flags & LAST != 0 {
                                    break 'ran block.insns as u64 - skipped;
                                }
                            }
                            Err(stop) => {
                                let at = page.wrapping_add(op.start());
                                s.retired += before(ops, op) - skipped;
                                if let Some(t) = s.stopped(mmu, op, stop, at, &mut end) {
                                    return t;
                                }
                                // A paused `rep` or a store memcheck let
                                // pass may have written code before it
                                // stopped.
                                if code.stale(mmu) {
                                    code.drop_stale(mmu);
                                }
                                continue 'blocks;
                            }
                        }
                    }
                    // Off the end of the block, into the next instruction.
                    s.eip = ops
                        .last()
                        .map_or(eip, |op| page.wrapping_add(op.end as u32));
                    s.retired += block.insns as u64 - skipped;
                    if stack_watch {
                        floor(s, mmu);
                    }
                    continue 'blocks;
                };
                s.retired += left;
                if stack_watch {
                    floor(s, mmu);
                }
                if s.eip != eip
                    || s.retired + block.insns as u64 > end
                    || warmed(jit.as_deref(), &mut code.cur.blocks, slot)
                {
                    continue 'blocks;
                }
            }
        }
    }
}

/// Instructions a block has retired when a branch leaves it at `op`: an
/// exit in the middle says in its `size`.
#[inline(always)]
fn retired_at(op: &Op, block: &Block) -> u64 {
    if op.flags & EXIT != 0 {
        op.size as u64
    } else {
        block.insns as u64
    }
}

/// The translation of the block in `slot` of the current page, made once
/// it has run `j.hot` times; `None` while it is still cold, or when
/// translating it filled the code memory (then every translation and
/// everything decoded is dropped, and blocks heat up again).
fn translated(j: &mut Jit, code: &mut CodeCache, slot: usize, eip: u32, lru: bool) -> Option<u32> {
    let b = code.cur.blocks[slot];
    if b.jit != 0 {
        return Some(b.jit - 1);
    }
    if b.heat + 1 < j.hot {
        code.cur.blocks[slot].heat += 1;
        return None;
    }
    let ops = &code.cur.ops[b.start as usize..][..b.insns as usize];
    match j.translate(ops, eip, lru) {
        Some(REFUSED) => code.cur.blocks[slot].jit = REFUSED,
        Some(id) => {
            code.cur.blocks[slot].jit = id + 1;
            return Some(id);
        }
        None => {
            j.flush();
            code.forget_all();
        }
    }
    None
}

/// A block looping on itself is entered once and then runs pass after
/// pass on the fast path: each pass counts toward its translation, and
/// `true` says it is hot now (go round by `translated`, which makes it).
#[inline]
fn warmed(jit: Option<&Jit>, blocks: &mut [Block], slot: usize) -> bool {
    let Some(j) = jit else { return false };
    let b = &mut blocks[slot];
    if b.jit != 0 {
        return false;
    }
    b.heat = b.heat.saturating_add(1);
    b.heat + 1 >= j.hot
}

/// Instructions an op of the fast path stands for: two when fused.
fn weight(op: &Op) -> u64 {
    1 + fuse::is_fused(op.kind) as u64
}

/// Instructions the ops of `ops` before `op` (one of them) stand for:
/// what a block retired before it stopped or left there.
#[cold]
fn before(ops: &[Op], op: &Op) -> u64 {
    ops.iter()
        .take_while(|o| !std::ptr::eq(*o, op))
        .map(weight)
        .sum()
}

/// Whether fault `t` names the instruction at `eip`, as it must (the ops
/// that can raise one have EIP stored before they run: exec.rs).
fn names(t: &Trap, eip: u32) -> bool {
    match t {
        Trap::InvalidOpcode { eip: at, .. }
        | Trap::DivideError { eip: at }
        | Trap::FloatingPoint { eip: at }
        | Trap::GeneralProtection { eip: at } => at.0 == eip,
        _ => true,
    }
}

/// Memcheck's stack floor follows ESP.
fn floor(s: &State, mmu: &mut Mmu) {
    if let Some(w) = mmu.watch_mut() {
        w.floor = s.r[ESP];
    }
}

/// The block at EIP, decoded first if need be, run one instruction at a
/// time with the budget checked before each: the blocks the fast path does
/// not take. `None` when the CPU goes on.
#[cold]
#[inline(never)]
fn checked(
    s: &mut State,
    mmu: &mut Mmu,
    code: &mut CodeCache,
    end: &mut u64,
    stack_watch: bool,
) -> Option<Trap> {
    let mut eip = s.eip;
    let slot = code.cur.slots[(eip & 0xfff) as usize] as usize;
    let block = match code.cur.blocks.get(slot) {
        Some(b) if b.flags & MISS == 0 => *b,
        _ => match code.miss(mmu, eip) {
            Ok(Entry::Block(b)) => b,
            Ok(Entry::Cross) => return cross(s, mmu, code, end, stack_watch),
            Err(pf) => return Some(s.fault(pf, eip)),
        },
    };
    if block.flags & HOOK != 0 && code.pass != Some((eip, s.retired)) {
        return Some(Trap::Hook { eip: VirtAddr(eip) });
    }
    let ops = &code.cur.ops[block.start as usize..][..block.insns as usize];
    for op in ops {
        let op = *op;
        if s.retired >= *end {
            return Some(Trap::InstructionLimit);
        }
        let next = eip.wrapping_add(op.len as u32);
        s.eip = next;
        if let Err(stop) = s.exec(mmu, &op) {
            let t = s.stopped(mmu, &op, stop, eip, end);
            if t.is_none() && code.stale(mmu) {
                code.drop_stale(mmu);
            }
            return t;
        }
        s.retired += 1;
        if op.flags & WRITES != 0 && code.stale(mmu) {
            code.drop_stale(mmu);
            break;
        }
        // Taken out of the block, or its end.
        if s.eip != next {
            break;
        }
        eip = next;
    }
    if stack_watch {
        floor(s, mmu);
    }
    None
}

/// An instruction that crosses into the next page, run alone.
#[cold]
fn cross(
    s: &mut State,
    mmu: &mut Mmu,
    code: &mut CodeCache,
    end: &mut u64,
    stack_watch: bool,
) -> Option<Trap> {
    let eip = s.eip;
    if s.retired >= *end {
        return Some(Trap::InstructionLimit);
    }
    if code.is_hook(eip) && code.pass != Some((eip, s.retired)) {
        return Some(Trap::Hook { eip: VirtAddr(eip) });
    }
    let op = code.cross_op;
    s.eip = eip.wrapping_add(op.len as u32);
    match s.exec(mmu, &op) {
        Ok(()) => {
            s.retired += 1;
            if stack_watch {
                floor(s, mmu);
            }
        }
        Err(stop) => {
            if let Some(t) = s.stopped(mmu, &op, stop, eip, end) {
                return Some(t);
            }
        }
    }
    if code.stale(mmu) {
        code.drop_stale(mmu);
    }
    None
}

impl State {
    /// After an instruction stopped short: the trap to return, if any.
    /// Inline, so that a system call's or a page fault's trap is made where
    /// the CPU returns it: copied out of an out-of-line result, it stalled
    /// on the stores that had just written it in pieces (as much as the
    /// rest of a system call).
    #[inline(always)]
    fn stopped(
        &mut self,
        mmu: &mut Mmu,
        op: &Op,
        stop: Stop,
        eip: u32,
        end: &mut u64,
    ) -> Option<Trap> {
        match stop {
            Stop::PageFault(pf) if pf.code.contains(PfCode::CHECK) => self.refused(mmu, op, eip),
            Stop::PageFault(pf) => Some(self.fault(pf, eip)),
            Stop::Trap(t) => {
                debug_assert!(names(&t, eip), "{t:?} does not name {eip:#x}");
                self.eip = eip;
                Some(t)
            }
            Stop::TrapAfter(t) => {
                self.retired += 1;
                Some(t)
            }
            Stop::Again => {
                // Counts against the budget, so a long `rep` still returns
                // control; it retires when it completes.
                self.eip = eip;
                *end -= 1;
                None
            }
        }
    }

    /// Memcheck refused an access of `op`. Below the stack floor, judge it
    /// by ESP itself and what `op` pushes: a push or call may write below
    /// ESP (the floor drops, the instruction runs again); nothing else may.
    #[cold]
    fn refused(&mut self, mmu: &mut Mmu, op: &Op, eip: u32) -> Option<Trap> {
        self.eip = eip;
        let w = mmu.watch_mut()?;
        let v = w.take_violation()?;
        let lowest = self.r[ESP].saturating_sub(op.pushes());
        if v.stack && v.addr >= lowest {
            w.floor = lowest;
            return None;
        }
        Some(Trap::MemCheck {
            eip: VirtAddr(eip),
            addr: VirtAddr(v.addr),
            len: v.len as u8,
            access: v.access,
            stack: v.stack,
        })
    }

    #[cold]
    fn fault(&mut self, pf: PageFault, eip: u32) -> Trap {
        self.eip = eip;
        Trap::PageFault {
            addr: pf.addr,
            code: pf.code,
            eip: VirtAddr(eip),
        }
    }
}
