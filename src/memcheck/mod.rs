//! `--memcheck`: C memory bugs named at the instruction that commits them,
//! as valgrind's memcheck names them, on an unmodified static program.
//!
//! - The allocator's functions are hooked by symbol (`alloc_fns.rs`): the
//!   CPU stops at their entry and at the return address (`Trap::Hook`), so
//!   each block is known with its size and its allocation stack
//!   (`blocks.rs`). While the allocator runs, checks are off: it may touch
//!   its own headers.
//! - The heap is what the allocator's calls mapped: the break grown and the
//!   mappings made while one of them ran. Its pages are watched
//!   (`toyemu_emulator::watch`): every byte outside a live block is
//!   forbidden, and only those pages' accesses take the check. The stack
//!   is watched against ESP.
//! - A refused access stops the CPU before it happens (`Trap::MemCheck`);
//!   the error is recorded (one report per context, as valgrind) and the
//!   instruction then runs unchecked, as under valgrind the program goes on.
//!   A bad free() or realloc() is reported at its call and not carried out.
//! - At exit the blocks still live are classified by `leaks.rs`' scan.

pub mod alloc_fns;
pub mod blocks;
pub mod report;

use crate::leaks::{self, Kind as LeakKind};
use crate::symbols::Symbols;
use crate::unwind::FrameRegs;
use alloc_fns::{AllocFn, Unhookable};
use blocks::{Block, Blocks, Stack, Whereabouts};
use report::{ErrorKind, LossRecord, MemError, Summary};
use std::collections::{BTreeMap, HashMap, HashSet};
use std::io::Write;
use std::rc::Rc;
use toyemu_emulator::{Access, Reg, Trap, VirtAddr};
use toyemu_kernel::vma::VmaKind;
use toyemu_kernel::{Kernel, Process, RunState};

/// Frames kept of each stack (valgrind's `--num-callers` is 12; a few
/// name the line, and each costs an unwind step at every malloc).
const DEPTH: usize = 4;

/// An allocator call in progress (the outermost: calls it makes to its
/// own entry points are its business).
struct Call {
    func: AllocFn,
    args: [u32; 3],
    ret: u32,
    /// ESP at entry (the return address's slot).
    esp: u32,
    stack: Stack,
    /// Syscalls made before it: if any more were made, the heap may have moved.
    syscalls: u64,
}

pub struct Memcheck {
    syms: Rc<Symbols>,
    entries: HashMap<u32, AllocFn>,
    /// Return addresses hooked so far (hooks stay: call sites recur).
    returns: HashSet<u32>,
    /// The open call of each thread (by tid): threads of the process may
    /// each be inside the allocator, switched out midway.
    calls: HashMap<u32, Call>,
    blocks: Blocks,
    /// The allocator's memory: start → end, disjoint.
    heap: BTreeMap<u32, u32>,
    /// Mappings other than the break's, as last seen; and the break.
    seen_maps: Vec<(u32, u32)>,
    seen_brk: u32,
    seen_syscalls: u64,
    /// Error contexts, in order of first occurrence; by (kind, pc).
    errors: Vec<MemError>,
    contexts: HashMap<(ErrorKind, u32), usize>,
    out: Option<Box<dyn Write>>,
    /// Errors already in the trace (each context's first occurrence).
    traced: usize,
    pid: u32,
    summary: Option<Summary>,
}

/// Why `--memcheck` cannot run.
pub fn refusal(e: Unhookable, program: &str) -> String {
    match e {
        Unhookable::Stripped => format!(
            "--memcheck needs symbols: {program} has no symbol table (stripped?), so its malloc and free cannot be found"
        ),
    }
}

impl Memcheck {
    /// Set memcheck up on a process that has not run yet: hook the
    /// allocator, watch the stack, note the mappings there are.
    pub fn attach(k: &mut Kernel, p: &Process, syms: Rc<Symbols>) -> Result<Memcheck, Unhookable> {
        let fns = alloc_fns::find(&syms)?;
        k.mmu_mut().enable_watch();
        for &(addr, _) in &fns {
            k.add_hook(addr);
        }
        let stack_limit = k.config().stack_limit;
        if let Some(v) = k.vma_snapshots(p).iter().find(|v| v.kind == VmaKind::Stack) {
            let hi = v.end.0 >> 12;
            let lo = hi
                .saturating_sub(stack_limit.div_ceil(4096))
                .min(v.start.0 >> 12);
            k.mmu_mut().watch_stack(lo, hi);
        }
        let mut m = Memcheck {
            syms,
            entries: fns.into_iter().collect(),
            returns: HashSet::new(),
            calls: HashMap::new(),
            blocks: Blocks::default(),
            heap: BTreeMap::new(),
            seen_maps: Vec::new(),
            seen_brk: 0,
            seen_syscalls: 0,
            errors: Vec::new(),
            contexts: HashMap::new(),
            out: None,
            traced: 0,
            pid: p.pid(),
            summary: None,
        };
        m.resync(k, p, false);
        Ok(m)
    }

    /// Print each error as it happens (and the summaries at exit) here.
    pub fn set_output(&mut self, out: Box<dyn Write>) {
        self.out = Some(out);
    }

    /// Whether the program has an allocator memcheck found.
    pub fn hooks_allocator(&self) -> bool {
        !self.entries.is_empty()
    }

    /// Handle a tool stop (`RunState::Tool`). A hook is done with here; a
    /// refused access is reported and comes back, to be run by
    /// `Memcheck::run_refused` once this checker is no longer borrowed.
    #[must_use]
    pub fn on_stop(&mut self, k: &mut Kernel, p: &mut Process, trap: Trap) -> Option<Trap> {
        let refused = self.dispatch(k, p, trap);
        self.trace_errors(k);
        refused
    }

    fn dispatch(&mut self, k: &mut Kernel, p: &mut Process, trap: Trap) -> Option<Trap> {
        // Memcheck follows the first process: a child's allocator calls and
        // accesses are its own (the kernel suspends the checks while it runs).
        if !k.is_first(p) {
            k.pass_tool_stop(p, trap);
            return None;
        }
        match trap {
            Trap::Hook { eip } => {
                let skip = match self.entries.get(&eip.0) {
                    Some(&f) => self.enter(k, p, f),
                    None => {
                        self.maybe_return(k, p, eip.0);
                        false
                    }
                };
                if !skip {
                    k.pass_tool_stop(p, trap);
                }
            }
            Trap::MemCheck { .. } => {
                self.report_refusal(k, p, trap);
                return Some(trap);
            }
            _ => {
                k.pass_tool_stop(p, trap);
            }
        }
        None
    }

    /// Put the errors found since the last look into the trace.
    pub fn trace_errors(&mut self, k: &mut Kernel) {
        for e in &self.errors[self.traced..] {
            let line = report::error_line(e, &self.syms);
            let eip = e.at.first().copied().unwrap_or(0);
            k.emit_memcheck(e.kind.key(), e.kind.headline(), e.addr, eip, line);
        }
        self.traced = self.errors.len();
    }

    /// Record the error of a refused access (`Trap::MemCheck`), printing it
    /// if it is the first of its context. The process is where it stopped:
    /// before the access (a debugger shows it there).
    pub fn report_refusal(&mut self, k: &Kernel, p: &Process, trap: Trap) {
        let Trap::MemCheck {
            eip,
            addr,
            len,
            access,
            stack,
        } = trap
        else {
            return;
        };
        let kind = match access {
            Access::Write => ErrorKind::InvalidWrite { size: len },
            _ => ErrorKind::InvalidRead { size: len },
        };
        let whereabouts = if stack {
            let esp = k.machine().cpu().reg(Reg::Esp);
            Whereabouts::Stack {
                below: esp.wrapping_sub(addr.0),
            }
        } else {
            self.blocks.whereabouts(addr.0)
        };
        let at = self.backtrace(k, p, eip.0);
        self.error(kind, addr.0, at, whereabouts);
    }

    /// Run the refused instruction, unchecked. A store into the allocator's
    /// bytes is then undone there, as valgrind's redzones absorb it: the
    /// allocator's headers and free lists stay whole, so the program runs
    /// on to its next bug instead of dying in free().
    /// It needs no `Memcheck`: the kernel it runs may tear the process
    /// down, and teardown's leak check borrows the checker.
    pub fn run_refused(k: &mut Kernel, p: &mut Process, trap: Trap) -> RunState {
        let Trap::MemCheck {
            addr,
            len,
            access,
            stack,
            ..
        } = trap
        else {
            return k.pass_tool_stop(p, trap);
        };
        let mut before = [0u8; 64];
        let n = (len as usize).min(before.len());
        let undo = access == Access::Write && !stack;
        let n = if undo {
            k.peek_user(p, addr.0, &mut before[..n])
        } else {
            0
        };
        let state = k.pass_tool_stop(p, trap);
        let watch = k.watch_mut();
        let forbidden: Vec<bool> = (0..n as u32)
            .map(|i| watch.as_ref().is_some_and(|w| w.is_forbidden(addr.0 + i)))
            .collect();
        for (i, &f) in forbidden.iter().enumerate() {
            if f {
                let _ = k.poke_user(p, addr.0 + i as u32, &before[i..i + 1]);
            }
        }
        state
    }

    fn read_u32(k: &Kernel, p: &Process, addr: u32) -> Option<u32> {
        let mut b = [0u8; 4];
        (k.peek_user(p, addr, &mut b) == 4).then(|| u32::from_le_bytes(b))
    }

    /// The stack from the instruction at `eip`, a few frames deep.
    fn backtrace(&self, k: &Kernel, p: &Process, eip: u32) -> Stack {
        self.unwind(k, p, eip, false)
    }

    /// The stack at a function's first instruction: its caller is the
    /// return address on top of the stack, whatever the CFI says (musl's
    /// libc has none, and EBP is still the caller's there).
    fn entry_backtrace(&self, k: &Kernel, p: &Process, eip: u32) -> Stack {
        self.unwind(k, p, eip, true)
    }

    fn unwind(&self, k: &Kernel, p: &Process, eip: u32, at_entry: bool) -> Stack {
        let cpu = k.machine().cpu();
        let mut regs = FrameRegs {
            eip,
            esp: cpu.reg(Reg::Esp),
            ebp: cpu.reg(Reg::Ebp),
        };
        let read = |a: u32| Self::read_u32(k, p, a);
        let mut out = vec![eip];
        if at_entry {
            let Some(ra) = read(regs.esp) else { return out };
            regs = FrameRegs {
                eip: ra,
                esp: regs.esp.wrapping_add(4),
                ebp: regs.ebp,
            };
            out.push(ra);
        }
        // Below main is the C runtime's start: valgrind's "(below main)".
        while out.len() < DEPTH && !self.is_main(regs.eip) {
            match self.syms.cfi().caller(regs, out.len() > 1, &read) {
                Some(next) if next.eip != 0 => {
                    out.push(next.eip);
                    regs = next;
                }
                _ => break,
            }
        }
        out
    }

    fn is_main(&self, pc: u32) -> bool {
        self.syms
            .function(pc)
            .is_some_and(|(_, name)| name == "main")
    }

    /// At an allocator function's entry. Returns true if the call was
    /// refused (a bad free or realloc): it returns at once, having done nothing.
    fn enter(&mut self, k: &mut Kernel, p: &mut Process, func: AllocFn) -> bool {
        let esp = k.machine().cpu().reg(Reg::Esp);
        let tid = p.pid();
        match self.calls.get(&tid) {
            // A call the program left without returning (a longjmp out of
            // a signal handler): the stack is above it now.
            Some(c) if esp > c.esp => {
                self.calls.remove(&tid);
                if let Some(w) = k.watch_mut() {
                    w.suspended = false;
                }
            }
            // The allocator calling its own entry points.
            Some(_) => return false,
            None => {}
        }
        let arg = |i: u32| Self::read_u32(k, p, esp.wrapping_add(4 * i)).unwrap_or(0);
        let (ret, args) = (arg(0), [arg(1), arg(2), arg(3)]);
        let eip = k.machine().cpu().eip().0;
        if matches!(func, AllocFn::Free | AllocFn::Realloc)
            && args[0] != 0
            && self.blocks.live_at(args[0]).is_none()
        {
            let on_stack = k
                .machine()
                .mmu()
                .watch()
                .is_some_and(|w| w.in_stack(args[0] >> 12));
            let whereabouts = match self.blocks.whereabouts(args[0]) {
                Whereabouts::Nowhere if on_stack => Whereabouts::OnStack,
                w => w,
            };
            let kind = match (&whereabouts, func) {
                (Whereabouts::InsideFreed { off: 0, .. }, AllocFn::Free) => ErrorKind::DoubleFree,
                (Whereabouts::InsideFreed { off: 0, .. }, _) => ErrorKind::ReallocFreed,
                _ => ErrorKind::InvalidFree,
            };
            let at = self.entry_backtrace(k, p, eip);
            self.error(kind, args[0], at, whereabouts);
            // Return as the function would, with NULL (realloc's failure).
            let cpu = k.cpu_mut();
            cpu.set_reg(Reg::Eax, 0);
            cpu.set_reg(Reg::Esp, esp.wrapping_add(4));
            cpu.set_eip(VirtAddr(ret));
            return true;
        }
        let syscalls = p.stats().syscalls;
        if syscalls != self.seen_syscalls {
            self.resync(k, p, false);
        }
        let stack = self.entry_backtrace(k, p, eip);
        self.calls.insert(
            tid,
            Call {
                func,
                args,
                ret,
                esp,
                stack,
                syscalls,
            },
        );
        if let Some(w) = k.watch_mut() {
            w.suspended = true;
        }
        if self.returns.insert(ret) {
            k.add_hook(ret);
        }
        false
    }

    /// At a hooked return address: the open call ends here if the stack is
    /// back where it was.
    fn maybe_return(&mut self, k: &mut Kernel, p: &mut Process, eip: u32) {
        let esp = k.machine().cpu().reg(Reg::Esp);
        let tid = p.pid();
        let ends = |c: &Call| c.ret == eip && c.esp.wrapping_add(4) == esp;
        if !self.calls.get(&tid).is_some_and(ends) {
            return;
        }
        let call = self.calls.remove(&tid).expect("just looked");
        if let Some(w) = k.watch_mut() {
            w.suspended = false;
        }
        if p.stats().syscalls != call.syscalls {
            self.resync(k, p, true);
        }
        let result = k.machine().cpu().reg(Reg::Eax);
        let [a0, a1, a2] = call.args;
        let made = |size: Option<u32>| size.map(|s| (result, s)).filter(|_| result != 0);
        let new = match call.func {
            AllocFn::Malloc | AllocFn::Valloc => made(Some(a0)),
            AllocFn::Pvalloc => made(Some(a0.div_ceil(4096) * 4096)),
            AllocFn::Calloc => made(a0.checked_mul(a1)),
            AllocFn::Memalign => made(Some(a1)),
            AllocFn::PosixMemalign => match result {
                0 => Self::read_u32(k, p, a0)
                    .filter(|&ptr| ptr != 0)
                    .map(|ptr| (ptr, a2)),
                _ => None,
            },
            AllocFn::Realloc => {
                if a0 != 0 && (result != 0 || a1 == 0) {
                    self.release(k, a0, call.stack.clone());
                }
                made(Some(a1))
            }
            AllocFn::Free => {
                if a0 != 0 {
                    self.release(k, a0, call.stack.clone());
                }
                None
            }
            AllocFn::Internal => None,
        };
        if let Some((addr, size)) = new {
            if let Some(w) = k.watch_mut() {
                w.set_forbidden(addr, addr.saturating_add(size), false);
            }
            self.blocks.add(Block {
                addr,
                size,
                by: call.func,
                alloc: call.stack,
            });
        }
    }

    /// The block at `addr` is given back: its bytes are forbidden again.
    fn release(&mut self, k: &mut Kernel, addr: u32, stack: Stack) {
        if let Some(b) = self.blocks.free(addr, stack) {
            if let Some(w) = k.watch_mut() {
                w.set_forbidden(b.addr, b.addr.saturating_add(b.size), true);
            }
        }
    }

    /// Look at the break and the mappings again. With `attribute`, what
    /// grew since the last look is the allocator's (it ran meanwhile);
    /// what went away is no longer heap either way.
    fn resync(&mut self, k: &mut Kernel, p: &Process, attribute: bool) {
        self.seen_syscalls = p.stats().syscalls;
        let brk = p.mm().map_or(0, |m| m.brk_range().1 .0);
        let mut maps: Vec<(u32, u32)> = k
            .vma_snapshots(p)
            .iter()
            .filter(|v| v.kind != VmaKind::Heap)
            .map(|v| (v.start.0, v.end.0))
            .collect();
        maps.sort_unstable();
        let (old_brk, old_maps) = (self.seen_brk, std::mem::take(&mut self.seen_maps));
        if attribute && brk > old_brk && old_brk != 0 {
            self.add_heap(k, old_brk, brk);
        }
        if brk < old_brk {
            self.remove_heap(k, brk, old_brk);
        }
        for (s, e) in subtract(&maps, &old_maps) {
            if attribute {
                self.add_heap(k, s, e);
            }
        }
        for (s, e) in subtract(&old_maps, &maps) {
            self.remove_heap(k, s, e);
        }
        self.seen_brk = brk;
        self.seen_maps = maps;
    }

    fn add_heap(&mut self, k: &mut Kernel, start: u32, end: u32) {
        self.heap.insert(start, end);
        let mmu = k.mmu_mut();
        for vpn in start >> 12..=(end - 1) >> 12 {
            mmu.watch_page(vpn);
        }
        if let Some(w) = mmu.watch_mut() {
            w.set_forbidden(start, end, true);
        }
    }

    fn remove_heap(&mut self, k: &mut Kernel, start: u32, end: u32) {
        let overlapping: Vec<(u32, u32)> = self
            .heap
            .iter()
            .filter(|(&s, &e)| s < end && e > start)
            .map(|(&s, &e)| (s, e))
            .collect();
        if overlapping.is_empty() {
            return;
        }
        for (s, e) in overlapping {
            self.heap.remove(&s);
            if s < start {
                self.heap.insert(s, start);
            }
            if e > end {
                self.heap.insert(end, e);
            }
        }
        let heap = &self.heap;
        let mmu = k.mmu_mut();
        if let Some(w) = mmu.watch_mut() {
            w.set_forbidden(start, end, false);
        }
        for vpn in start >> 12..=(end - 1) >> 12 {
            let (ps, pe) = (vpn << 12, (vpn << 12).wrapping_add(4096));
            if !heap.iter().any(|(&s, &e)| s < pe && e > ps) {
                mmu.unwatch_page(vpn);
            }
        }
    }

    fn error(&mut self, kind: ErrorKind, addr: u32, at: Stack, whereabouts: Whereabouts) {
        let pc = at.first().copied().unwrap_or(0);
        if let Some(&i) = self.contexts.get(&(kind, pc)) {
            self.errors[i].count += 1;
            return;
        }
        let e = MemError {
            kind,
            addr,
            at,
            whereabouts,
            count: 1,
        };
        if let Some(out) = self.out.as_mut() {
            let _ = out.write_all(report::error_text(&e, self.pid, &self.syms).as_bytes());
            let _ = out.flush();
        }
        self.contexts.insert((kind, pc), self.errors.len());
        self.errors.push(e);
    }

    /// The leak check, on the address space just before teardown.
    pub fn at_exit(&mut self, k: &Kernel, p: &Process) {
        let live: Vec<&Block> = self.blocks.live().collect();
        let spans: Vec<(u32, u32)> = live.iter().map(|b| (b.addr, b.size)).collect();
        let exclude: Vec<(u32, u32)> = self.heap.iter().map(|(&s, &e)| (s, e)).collect();
        let kinds = leaks::classify_spans(k, p, &spans, &exclude);
        let mut records: Vec<LossRecord> = Vec::new();
        for (b, kind) in live.iter().zip(kinds) {
            match records
                .iter_mut()
                .find(|r| r.kind == kind && r.alloc == b.alloc)
            {
                Some(r) => {
                    r.bytes += b.size as u64;
                    r.blocks += 1;
                }
                None => records.push(LossRecord {
                    kind,
                    bytes: b.size as u64,
                    blocks: 1,
                    alloc: b.alloc.clone(),
                }),
            }
        }
        records.sort_by_key(|r| (kind_order(r.kind), r.bytes));
        let summary = Summary {
            pid: self.pid,
            errors: self.errors.clone(),
            leaks: records,
            in_use: (live.iter().map(|b| b.size as u64).sum(), live.len() as u64),
            allocs: self.blocks.allocs,
            frees: self.blocks.frees,
            bytes_allocated: self.blocks.bytes_allocated,
            leak_checked: true,
        };
        if let Some(out) = self.out.as_mut() {
            let _ = out.write_all(report::exit_text(&summary, &self.syms).as_bytes());
            let _ = out.flush();
        }
        self.summary = Some(summary);
    }

    /// What was found: after exit, with the leak check; before, errors so far.
    pub fn summary(&self) -> Summary {
        self.summary.clone().unwrap_or_else(|| Summary {
            pid: self.pid,
            errors: self.errors.clone(),
            in_use: (
                self.blocks.live().map(|b| b.size as u64).sum(),
                self.blocks.live().count() as u64,
            ),
            allocs: self.blocks.allocs,
            frees: self.blocks.frees,
            bytes_allocated: self.blocks.bytes_allocated,
            ..Summary::default()
        })
    }

    /// The errors so far.
    pub fn errors(&self) -> &[MemError] {
        &self.errors
    }
}

/// Loss records in valgrind's order: the lost kinds first.
fn kind_order(k: LeakKind) -> u8 {
    match k {
        LeakKind::StillReachable => 0,
        LeakKind::PossiblyLost => 1,
        LeakKind::IndirectlyLost => 2,
        LeakKind::DefinitelyLost => 3,
    }
}

/// The parts of the sorted, disjoint ranges `a` not covered by `b`.
fn subtract(a: &[(u32, u32)], b: &[(u32, u32)]) -> Vec<(u32, u32)> {
    let mut out = Vec::new();
    for &(s, e) in a {
        let mut at = s;
        for &(bs, be) in b.iter().filter(|(bs, be)| *bs < e && *be > s) {
            if bs > at {
                out.push((at, bs));
            }
            at = at.max(be);
        }
        if at < e {
            out.push((at, e));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::subtract;

    #[test]
    fn subtract_leaves_what_the_second_set_does_not_cover() {
        let a = [(0x1000, 0x5000), (0x8000, 0x9000)];
        let b = [(0x2000, 0x3000), (0x4000, 0x6000)];
        assert_eq!(
            subtract(&a, &b),
            vec![(0x1000, 0x2000), (0x3000, 0x4000), (0x8000, 0x9000)]
        );
        assert_eq!(subtract(&b, &a), vec![(0x5000, 0x6000)]);
    }
}
