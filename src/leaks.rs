//! The leak report: the heap blocks still in use (from the heap walk of
//! `heap.rs`), each classified as valgrind's memcheck does. The roots are
//! the registers, the stack from ESP up, and every other readable mapping
//! but code (data, bss, RELRO data, the program's own mmaps) except the
//! heap; a block is
//!
//! - *still reachable* when a chain of pointers to its start leads to it
//!   from a root (a pointer kept inside a reachable block counts: the scan
//!   is transitive);
//! - *possibly lost* when the only chains to it pass through a pointer into
//!   its middle (an interior pointer);
//! - *indirectly lost* when only lost blocks point to it;
//! - *definitely lost* when nothing points to it at all.
//!
//! Only pages that hold a frame are read: a page never touched is zeroes,
//! or file bytes written before any block existed, and holds no pointer.

use crate::heap::{self, Heap, State};
use crate::symbols::Symbols;
use std::collections::BTreeMap;
use std::fmt::Write;
use toyemu_emulator::{Reg, VirtAddr, PAGE_SIZE};
use toyemu_kernel::vma::{Prot, VmaKind};
use toyemu_kernel::{Kernel, Process};

/// What became of a block, in the order valgrind lists them.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Kind {
    DefinitelyLost,
    IndirectlyLost,
    PossiblyLost,
    StillReachable,
}

impl Kind {
    pub const ALL: [Kind; 4] = [
        Kind::DefinitelyLost,
        Kind::IndirectlyLost,
        Kind::PossiblyLost,
        Kind::StillReachable,
    ];

    pub fn name(self) -> &'static str {
        match self {
            Kind::DefinitelyLost => "definitely lost",
            Kind::IndirectlyLost => "indirectly lost",
            Kind::PossiblyLost => "possibly lost",
            Kind::StillReachable => "still reachable",
        }
    }

    /// `definitely_lost`, for JSON keys.
    pub fn key(self) -> String {
        self.name().replace(' ', "_")
    }
}

/// One block still allocated.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// The pointer malloc returned.
    pub addr: u32,
    /// Usable bytes (the chunk less its header).
    pub bytes: u32,
    /// What the caller asked for.
    pub requested: u32,
    /// The whole chunk, header included.
    pub chunk: u32,
    /// Where malloc was called from.
    pub caller: u32,
    pub mmapped: bool,
    pub kind: Kind,
}

/// What the heap walk and the pointer scan found.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct LeakReport {
    /// The program has the libc's heap symbols (else nothing could be walked).
    pub walkable: bool,
    pub blocks: Vec<Block>,
    /// Heap chunks visited (free and in use).
    pub chunks: u32,
    /// Bytes in free heap chunks (including the top chunk).
    pub free_bytes: u32,
    /// A walk that stopped at a broken header says where.
    pub corrupt_at: Option<u32>,
    /// Why the walk stopped early, in words.
    pub problem: Option<String>,
}

impl LeakReport {
    /// Usable bytes of the blocks.
    pub fn bytes(&self) -> u64 {
        self.blocks.iter().map(|b| b.bytes as u64).sum()
    }
    pub fn requested(&self) -> u64 {
        self.blocks.iter().map(|b| b.requested as u64).sum()
    }
    pub fn chunk_bytes(&self) -> u64 {
        self.blocks.iter().map(|b| b.chunk as u64).sum()
    }
    /// (requested bytes, blocks) of one kind.
    pub fn of_kind(&self, kind: Kind) -> (u64, usize) {
        self.blocks
            .iter()
            .filter(|b| b.kind == kind)
            .fold((0, 0), |(s, n), b| (s + b.requested as u64, n + 1))
    }
}

/// Walk `p`'s heap and classify what is in use. Call before teardown.
pub fn walk(k: &Kernel, p: &Process, syms: &Symbols) -> LeakReport {
    classify(k, p, &heap::walk(k, p, syms))
}

/// The blocks in use of `heap`, classified by scanning `p`'s memory now.
pub fn classify(k: &Kernel, p: &Process, heap: &Heap) -> LeakReport {
    let mut r = LeakReport {
        walkable: heap.walkable(),
        chunks: heap.chunks.len() as u32,
        free_bytes: heap
            .chunks
            .iter()
            .filter(|c| matches!(c.state, State::Free | State::Top))
            .map(|c| c.size)
            .sum(),
        corrupt_at: heap.problem.as_ref().and_then(|p| p.at()),
        problem: heap
            .problem
            .as_ref()
            .filter(|_| heap.walkable())
            .map(|p| p.to_string()),
        ..LeakReport::default()
    };
    let mut used: Vec<&heap::Chunk> = heap.in_use().collect();
    used.sort_by_key(|c| c.addr);
    let spans: Vec<(u32, u32)> = used
        .iter()
        .map(|c| (c.ptr(), c.requested().unwrap_or(0)))
        .collect();
    // Not roots: the heap itself and the big blocks mapped apart from it.
    let mut exclude: Vec<(u32, u32)> = heap
        .mmapped
        .iter()
        .map(|c| (c.addr, c.addr + c.size))
        .collect();
    exclude.extend(
        k.vma_snapshots(p)
            .iter()
            .filter(|v| v.kind == VmaKind::Heap)
            .map(|v| (v.start.0, v.end.0)),
    );
    let kinds = classify_spans(k, p, &spans, &exclude);
    for (c, kind) in used.iter().zip(kinds) {
        r.blocks.push(Block {
            addr: c.ptr(),
            bytes: c.size - heap::HEADER,
            requested: c.requested().unwrap_or(0),
            chunk: c.size,
            caller: c.caller,
            mmapped: c.state == State::Mmapped,
            kind,
        });
    }
    r
}

/// The kind of each block of `spans` ((start, length), sorted by start),
/// scanning for pointers from the registers, the live stack and every
/// readable non-code mapping outside the `exclude` ranges (the allocator's memory).
pub fn classify_spans(
    k: &Kernel,
    p: &Process,
    spans: &[(u32, u32)],
    exclude: &[(u32, u32)],
) -> Vec<Kind> {
    if spans.is_empty() {
        return Vec::new();
    }
    let roots = roots(k, p, spans, exclude);
    mark(spans, &roots, &mut |i, out| {
        let (start, len) = spans[i];
        resident_words(k, p, start, start.saturating_add(len), &mut |w| out.push(w));
    })
}

/// Every aligned word of `[start, end)` that lies in a page holding a frame.
fn resident_words(k: &Kernel, p: &Process, start: u32, end: u32, f: &mut dyn FnMut(u32)) {
    let Some(mm) = p.mm() else { return };
    let mmu = k.machine().mmu();
    let mut page = [0u8; PAGE_SIZE as usize];
    let mut at = start & !3;
    while at < end {
        let Some((va, _, _)) = mm.next_populated(mmu, VirtAddr(at), VirtAddr(end)) else {
            break;
        };
        let base = va.0;
        if k.peek_user(p, base, &mut page) != page.len() {
            break;
        }
        let lo = at.max(base);
        let hi = (end as u64).min(base as u64 + PAGE_SIZE as u64) as u32;
        let mut w = lo;
        while w as u64 + 4 <= hi as u64 {
            let o = (w - base) as usize;
            f(u32::from_le_bytes([
                page[o],
                page[o + 1],
                page[o + 2],
                page[o + 3],
            ]));
            w += 4;
        }
        match base.checked_add(PAGE_SIZE) {
            Some(next) => at = next,
            None => break,
        }
    }
}

/// The words of the root set that fall inside the blocks' range.
fn roots(k: &Kernel, p: &Process, spans: &[(u32, u32)], exclude: &[(u32, u32)]) -> Vec<u32> {
    let lo = spans[0].0;
    let hi = spans
        .iter()
        .map(|&(s, l)| s as u64 + l.max(1) as u64)
        .max()
        .unwrap_or(0);
    let mut out = Vec::new();
    let mut keep = |w: u32| {
        if w >= lo && (w as u64) < hi {
            out.push(w)
        }
    };
    let cpu = k.machine().cpu();
    for r in [
        Reg::Eax,
        Reg::Ebx,
        Reg::Ecx,
        Reg::Edx,
        Reg::Esi,
        Reg::Edi,
        Reg::Ebp,
        Reg::Esp,
    ] {
        keep(cpu.reg(r));
    }
    let esp = cpu.reg(Reg::Esp);
    let mut big = exclude.to_vec();
    big.sort_unstable();
    for v in k.vma_snapshots(p) {
        let (start, end) = (v.start.0, v.end.0);
        match v.kind {
            // Code holds no pointers; read-only data can (glibc's RELRO
            // data, made read-only after start-up, keeps its malloc'd tables).
            _ if !v.prot.contains(Prot::READ) || v.prot.contains(Prot::EXEC) => {}
            // The live part of the stack only: below ESP is dead.
            VmaKind::Stack if (start..end).contains(&esp) => {
                resident_words(k, p, esp, end, &mut keep)
            }
            _ => {
                // A mapping minus the allocator's memory in it.
                let mut at = start;
                for &(b, e) in big.iter().filter(|(b, e)| *b < end && *e > start) {
                    resident_words(k, p, at, b.max(at), &mut keep);
                    at = at.max(e);
                }
                resident_words(k, p, at, end, &mut keep);
            }
        }
    }
    out
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
enum Mark {
    Unreached,
    Possible,
    Reachable,
}

/// Valgrind's marking. `spans` are the blocks (start, requested length),
/// sorted by start; `roots` the root words; `contents(i, out)` appends
/// block i's words. Returns each block's kind.
fn mark(
    spans: &[(u32, u32)],
    roots: &[u32],
    contents: &mut dyn FnMut(usize, &mut Vec<u32>),
) -> Vec<Kind> {
    // Which block `w` points into, and whether at its start.
    let find = |w: u32| -> Option<(usize, bool)> {
        let i = spans.partition_point(|&(s, _)| s <= w).checked_sub(1)?;
        let (s, len) = spans[i];
        match w - s {
            0 => Some((i, true)),
            off if off < len => Some((i, false)),
            _ => None,
        }
    };
    let n = spans.len();
    let mut marks = vec![Mark::Unreached; n];
    let mut todo = Vec::new();
    let mut words = Vec::new();
    let push = |i: usize, m: Mark, marks: &mut Vec<Mark>, todo: &mut Vec<usize>| {
        if m > marks[i] {
            marks[i] = m;
            todo.push(i);
        }
    };
    for &w in roots {
        if let Some((i, start)) = find(w) {
            let m = if start {
                Mark::Reachable
            } else {
                Mark::Possible
            };
            push(i, m, &mut marks, &mut todo);
        }
    }
    while let Some(i) = todo.pop() {
        let from = marks[i];
        words.clear();
        contents(i, &mut words);
        for &w in &words {
            if let Some((j, start)) = find(w) {
                let m = match (from, start) {
                    (Mark::Reachable, true) => Mark::Reachable,
                    _ => Mark::Possible,
                };
                push(j, m, &mut marks, &mut todo);
            }
        }
    }
    let mut kinds: Vec<Kind> = marks
        .iter()
        .map(|m| match m {
            Mark::Reachable => Kind::StillReachable,
            Mark::Possible => Kind::PossiblyLost,
            Mark::Unreached => Kind::DefinitelyLost,
        })
        .collect();
    // Each unreached block not yet part of another's clique leads one:
    // everything unreached it points to, at any depth, is indirectly lost.
    for leader in 0..n {
        if marks[leader] != Mark::Unreached || kinds[leader] == Kind::IndirectlyLost {
            continue;
        }
        todo.clear();
        todo.push(leader);
        while let Some(i) = todo.pop() {
            words.clear();
            contents(i, &mut words);
            for &w in &words {
                if let Some((j, _)) = find(w) {
                    if j != leader
                        && marks[j] == Mark::Unreached
                        && kinds[j] != Kind::IndirectlyLost
                    {
                        kinds[j] = Kind::IndirectlyLost;
                        todo.push(j);
                    }
                }
            }
        }
    }
    kinds
}

/// The summary in valgrind's words, then the kernel's point. Without
/// `reclaimed_frames` the process is still running: "in use now".
pub fn render(r: &LeakReport, syms: &Symbols, reclaimed_frames: Option<u64>) -> String {
    let mut out = String::new();
    if !r.walkable {
        let _ = writeln!(
            out,
            "heap: not linked with the toyemu libc, no heap to walk"
        );
        return out;
    }
    let blocks = |n: usize| if n == 1 { "block" } else { "blocks" };
    let _ = writeln!(out, "HEAP SUMMARY:");
    let _ = writeln!(
        out,
        "    in use {}: {} bytes in {} {} ({} bytes of chunks, headers included)",
        if reclaimed_frames.is_some() {
            "at exit"
        } else {
            "now"
        },
        r.requested(),
        r.blocks.len(),
        blocks(r.blocks.len()),
        r.chunk_bytes()
    );
    let _ = writeln!(
        out,
        "    heap chunks walked: {}, free bytes in the heap: {}",
        r.chunks, r.free_bytes
    );
    if let Some(p) = &r.problem {
        let _ = writeln!(out, "    {p}");
    }
    if r.blocks.is_empty() {
        let _ = writeln!(out, "    no block is in use: no leak is possible");
        return out;
    }
    let _ = writeln!(out, "LEAK SUMMARY:");
    for kind in Kind::ALL {
        let (bytes, n) = r.of_kind(kind);
        let _ = writeln!(
            out,
            "    {:>15}: {bytes} bytes in {n} {}",
            kind.name(),
            blocks(n)
        );
    }
    // Loss records: by kind, then by allocation site, biggest first.
    let mut by_site: BTreeMap<(Kind, u32), (u64, u64, usize, bool)> = BTreeMap::new();
    for b in &r.blocks {
        let e = by_site.entry((b.kind, b.caller)).or_default();
        e.0 += b.requested as u64;
        e.1 += b.chunk as u64;
        e.2 += 1;
        e.3 |= b.mmapped;
    }
    let mut records: Vec<_> = by_site.into_iter().collect();
    records.sort_by(|a, b| a.0 .0.cmp(&b.0 .0).then(b.1 .0.cmp(&a.1 .0)));
    for ((kind, caller), (bytes, chunk, n, mmapped)) in records {
        let _ = writeln!(
            out,
            "    {bytes} bytes in {n} {} {} {} (chunks {chunk} bytes), allocated at {}{}",
            blocks(n),
            if n == 1 { "is" } else { "are" },
            kind.name(),
            syms.describe_return(caller),
            if mmapped { " (own mmap)" } else { "" }
        );
    }
    if let Some(f) = reclaimed_frames {
        let _ = writeln!(
            out,
            "    ...and the kernel took all of it back anyway: {f} frames reclaimed at exit."
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Blocks at 0x100, 0x200, ... of 0x40 bytes; `inside[i]` are the words in block i.
    fn kinds(n: usize, roots: &[u32], inside: &[(usize, u32)]) -> Vec<Kind> {
        let spans: Vec<(u32, u32)> = (0..n).map(|i| (0x100 * (i as u32 + 1), 0x40)).collect();
        mark(&spans, roots, &mut |i, out| {
            out.extend(inside.iter().filter(|(b, _)| *b == i).map(|(_, w)| *w))
        })
    }

    use Kind::*;

    #[test]
    fn a_root_keeps_a_block_and_what_it_points_to() {
        assert_eq!(
            kinds(3, &[0x100], &[(0, 0x200)]),
            [StillReachable, StillReachable, DefinitelyLost]
        );
    }

    #[test]
    fn an_interior_pointer_makes_a_block_possibly_lost_and_so_its_children() {
        assert_eq!(
            kinds(2, &[0x108], &[(0, 0x200)]),
            [PossiblyLost, PossiblyLost]
        );
        // The end of a block is not in it.
        assert_eq!(kinds(1, &[0x140], &[]), [DefinitelyLost]);
    }

    #[test]
    fn what_only_lost_blocks_point_to_is_indirectly_lost() {
        // 0 -> 1 -> 2 -> 1 (a cycle), nothing from the roots.
        assert_eq!(
            kinds(3, &[], &[(0, 0x200), (1, 0x300), (2, 0x200)]),
            [DefinitelyLost, IndirectlyLost, IndirectlyLost]
        );
        // A leader found later from another clique joins it.
        assert_eq!(
            kinds(2, &[], &[(1, 0x100)]),
            [IndirectlyLost, DefinitelyLost]
        );
    }

    #[test]
    fn a_reachable_block_reached_again_through_a_start_pointer_stays_reachable() {
        assert_eq!(
            kinds(2, &[0x110, 0x200], &[(1, 0x100)]),
            [StillReachable, StillReachable]
        );
    }
}
