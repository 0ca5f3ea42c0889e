//! The heap inspector: the guest's malloc heap, chunk by chunk, read from
//! guest memory by the contract in `userland/include/toy/chunk.h` — every
//! chunk in address order with its header's fields, the free lists' links,
//! the mmap'd big blocks, and what the heap's fragmentation comes to. The
//! debugger's `heap`, gdb's `monitor heap` and the report's heap section
//! all print this walk; `leaks.rs` classifies the chunks in use.
//!
//! The walk trusts nothing it reads: a bad header ends it with a
//! [`Problem`] saying where and why, and a program that is not linked with
//! the toyemu libc has no heap to walk ([`Problem::NotOurLibc`]).

use crate::symbols::Symbols;
use serde_json::{json, Value};
use std::fmt::{self, Write};
use toyemu_kernel::vma::VmaKind;
use toyemu_kernel::{Kernel, Process};

// CHUNK_MAGIC, CHUNK_INUSE, CHUNK_MMAPPED, CHUNK_HEADER_SIZE, CHUNK_POLICY_*,
// ... from userland/include/toy/chunk.h, the contract's one source.
include!(concat!(env!("OUT_DIR"), "/chunk_layout.rs"));

pub const HEADER: u32 = CHUNK_HEADER_SIZE;
/// Chunks one walk keeps at most: a guest can make millions of tiny ones,
/// and the host should not follow it there.
pub const MAX_CHUNKS: usize = 1 << 20;

/// What a chunk is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum State {
    Used,
    Free,
    /// The wilderness at the end of the heap, which the break moves.
    Top,
    /// A big block in a mapping of its own.
    Mmapped,
}

impl State {
    pub fn name(self) -> &'static str {
        match self {
            State::Used => "used",
            State::Free => "free",
            State::Top => "top",
            State::Mmapped => "mmapped",
        }
    }
}

/// One chunk and its header, as found in guest memory.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunk {
    /// The header's address (the user pointer is [`Chunk::ptr`]).
    pub addr: u32,
    pub size: u32,
    pub flags: u16,
    pub pad: u16,
    pub caller: u32,
    pub magic: u32,
    pub state: State,
    /// A free chunk's list links: (next, prev) header addresses.
    pub links: Option<(u32, u32)>,
    /// Which free list it was found on.
    pub list: Option<u32>,
}

impl Chunk {
    /// The pointer malloc returned for it.
    pub fn ptr(&self) -> u32 {
        self.addr.wrapping_add(HEADER)
    }
    pub fn in_use(&self) -> bool {
        matches!(self.state, State::Used | State::Mmapped)
    }
    /// The bytes the caller asked for (chunks in use only).
    pub fn requested(&self) -> Option<u32> {
        self.in_use()
            .then(|| self.size.saturating_sub(HEADER + self.pad as u32))
    }
    /// The flag bits by name: `INUSE|PREV_FREE`, `-` for none.
    pub fn flag_names(&self) -> String {
        let f = self.flags as u32;
        let names: Vec<&str> = [
            (CHUNK_INUSE, "INUSE"),
            (CHUNK_MMAPPED, "MMAPPED"),
            (CHUNK_PREV_FREE, "PREV_FREE"),
        ]
        .iter()
        .filter(|(bit, _)| f & bit != 0)
        .map(|(_, n)| *n)
        .collect();
        match names.is_empty() {
            true => "-".into(),
            false => names.join("|"),
        }
    }
}

/// Why a walk could not go on.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Problem {
    /// The program has no `__toy_heap_start`: not linked with the toyemu libc.
    NotOurLibc,
    /// `__toy_heap_start`/`__toy_heap_end` cannot be read or make no heap.
    BadBounds {
        start: u32,
        end: u32,
    },
    /// The header at `at` is not in readable memory.
    Unreadable {
        at: u32,
    },
    BadMagic {
        at: u32,
        magic: u32,
    },
    /// A size that is not a multiple of 16, below a header, or past the end.
    BadSize {
        at: u32,
        size: u32,
        room: u32,
    },
    /// The walk kept [`MAX_CHUNKS`] and stopped at `at`.
    TooMany {
        at: u32,
    },
}

impl Problem {
    /// Where the walk stopped, if at a chunk.
    pub fn at(&self) -> Option<u32> {
        match *self {
            Problem::Unreadable { at }
            | Problem::BadMagic { at, .. }
            | Problem::BadSize { at, .. }
            | Problem::TooMany { at } => Some(at),
            _ => None,
        }
    }
}

impl fmt::Display for Problem {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Problem::NotOurLibc => f.write_str("not linked with the toyemu libc, no heap to walk"),
            Problem::BadBounds { start, end } => write!(
                f,
                "the heap's bounds make no sense (__toy_heap_start {start:#010x}, __toy_heap_end {end:#010x}): not walked"
            ),
            Problem::Unreadable { at } => write!(
                f,
                "the walk stopped at {at:#010x}: no readable chunk header there"
            ),
            Problem::BadMagic { at, magic } => write!(
                f,
                "the walk stopped at {at:#010x}: the chunk header there is damaged (magic {magic:#010x}, not {CHUNK_MAGIC:#010x} \"TOYC\")"
            ),
            Problem::BadSize { at, size, room } => write!(
                f,
                "the walk stopped at {at:#010x}: the chunk header there is damaged (size {size}, with {room} bytes left in the heap)"
            ),
            Problem::TooMany { at } => write!(
                f,
                "the walk stopped at {at:#010x} after {MAX_CHUNKS} chunks"
            ),
        }
    }
}

/// The heap as one walk found it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Heap {
    /// `CHUNK_POLICY_*`, when the program has the symbol.
    pub policy: Option<u32>,
    pub start: u32,
    pub end: u32,
    /// The heap's chunks in address order, the top last.
    pub chunks: Vec<Chunk>,
    /// Big blocks, each in its own mapping, in address order.
    pub mmapped: Vec<Chunk>,
    /// Why the walk stopped early (or never started).
    pub problem: Option<Problem>,
    /// What is wrong with the free lists, one sentence each.
    pub list_defects: Vec<String>,
}

/// What the heap's free space looks like.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Fragmentation {
    pub used_chunks: u32,
    /// Bytes of heap chunks in use, headers included.
    pub used_bytes: u64,
    /// What their callers asked for.
    pub requested_bytes: u64,
    /// Free chunks other than the top: holes between chunks in use.
    pub holes: u32,
    pub hole_bytes: u64,
    pub largest_hole: u32,
    pub top_bytes: u32,
    pub mmapped_chunks: u32,
    pub mmapped_bytes: u64,
}

impl Fragmentation {
    pub fn free_bytes(&self) -> u64 {
        self.hole_bytes + self.top_bytes as u64
    }
    /// The largest request the free space could serve without growing.
    pub fn largest_free(&self) -> u32 {
        self.largest_hole.max(self.top_bytes)
    }
    /// The share of the holes' bytes outside the largest hole: 0 when the
    /// free space between chunks is one block, towards 1 when it is dust.
    pub fn hole_spread(&self) -> f64 {
        match self.hole_bytes {
            0 => 0.0,
            b => 1.0 - self.largest_hole as f64 / b as f64,
        }
    }
}

impl Heap {
    /// The program has the toyemu libc's heap (it may still be damaged).
    pub fn walkable(&self) -> bool {
        self.problem != Some(Problem::NotOurLibc)
    }

    pub fn policy_name(&self) -> &'static str {
        match self.policy {
            Some(CHUNK_POLICY_BINS) => "bins",
            Some(CHUNK_POLICY_FIRST) => "first",
            Some(CHUNK_POLICY_BEST) => "best",
            Some(CHUNK_POLICY_NEXT) => "next",
            _ => "unknown",
        }
    }

    /// Chunks in use, heap then mmap'd.
    pub fn in_use(&self) -> impl Iterator<Item = &Chunk> {
        self.chunks
            .iter()
            .chain(&self.mmapped)
            .filter(|c| c.in_use())
    }

    pub fn fragmentation(&self) -> Fragmentation {
        let mut f = Fragmentation::default();
        for c in &self.chunks {
            match c.state {
                State::Used => {
                    f.used_chunks += 1;
                    f.used_bytes += c.size as u64;
                    f.requested_bytes += c.requested().unwrap_or(0) as u64;
                }
                State::Free => {
                    f.holes += 1;
                    f.hole_bytes += c.size as u64;
                    f.largest_hole = f.largest_hole.max(c.size);
                }
                State::Top => f.top_bytes = c.size,
                State::Mmapped => {}
            }
        }
        for c in &self.mmapped {
            f.mmapped_chunks += 1;
            f.mmapped_bytes += c.size as u64;
        }
        f
    }

    /// The chunk whose bytes (header included) hold `addr`.
    pub fn chunk_holding(&self, addr: u32) -> Option<&Chunk> {
        let holds = |c: &&Chunk| c.addr <= addr && addr - c.addr < c.size;
        let i = self.chunks.partition_point(|c| c.addr <= addr);
        i.checked_sub(1)
            .and_then(|i| self.chunks.get(i))
            .filter(holds)
            .or_else(|| self.mmapped.iter().find(holds))
    }
}

/// Guest memory as the walk reads it; `false` when not all of `out` could be read.
pub trait Memory {
    fn read(&self, addr: u32, out: &mut [u8]) -> bool;

    fn word(&self, addr: u32) -> Option<u32> {
        let mut b = [0; 4];
        self.read(addr, &mut b).then(|| u32::from_le_bytes(b))
    }
}

/// Where the libc keeps what the walk starts from.
#[derive(Clone, Copy, Debug, Default)]
pub struct Anchors {
    pub heap_start: u32,
    pub heap_end: u32,
    pub free_lists: Option<u32>,
    pub policy: Option<u32>,
}

impl Anchors {
    /// From the program's symbols; `None` without the toyemu libc's heap.
    pub fn find(syms: &Symbols) -> Option<Anchors> {
        Some(Anchors {
            heap_start: syms.lookup("__toy_heap_start")?,
            heap_end: syms.lookup("__toy_heap_end")?,
            free_lists: syms.lookup("__toy_free_lists"),
            policy: syms.lookup("__toy_malloc_policy"),
        })
    }
}

struct Live<'a>(&'a Kernel, &'a Process);

impl Memory for Live<'_> {
    fn read(&self, addr: u32, out: &mut [u8]) -> bool {
        self.0.peek_user(self.1, addr, out) == out.len()
    }
}

/// Walk `p`'s heap now (at a stop, or before teardown).
pub fn walk(k: &Kernel, p: &Process, syms: &Symbols) -> Heap {
    let Some(anchors) = Anchors::find(syms) else {
        return Heap {
            problem: Some(Problem::NotOurLibc),
            ..Heap::default()
        };
    };
    let mmaps: Vec<(u32, u32)> = k
        .vma_snapshots(p)
        .iter()
        .filter(|v| v.kind == VmaKind::Mmap)
        .map(|v| (v.start.0, v.end.0))
        .collect();
    walk_memory(&Live(k, p), &anchors, &mmaps)
}

/// The 16-byte header at `at`.
fn header(mem: &dyn Memory, at: u32) -> Option<(u32, u16, u16, u32, u32)> {
    let mut b = [0u8; HEADER as usize];
    if !mem.read(at, &mut b) {
        return None;
    }
    let w = |i: usize| u32::from_le_bytes([b[i], b[i + 1], b[i + 2], b[i + 3]]);
    let h = |i: usize| u16::from_le_bytes([b[i], b[i + 1]]);
    Some((w(0), h(4), h(6), w(8), w(12)))
}

/// The walk itself, over any memory: heap chunks from the anchors, big
/// blocks at the start of the `mmaps` ranges, then the free lists.
pub fn walk_memory(mem: &dyn Memory, anchors: &Anchors, mmaps: &[(u32, u32)]) -> Heap {
    let mut heap = Heap {
        policy: anchors.policy.and_then(|a| mem.word(a)),
        ..Heap::default()
    };
    let (Some(start), Some(end)) = (mem.word(anchors.heap_start), mem.word(anchors.heap_end))
    else {
        heap.problem = Some(Problem::BadBounds { start: 0, end: 0 });
        return heap;
    };
    (heap.start, heap.end) = (start, end);
    if end < start || (start == 0) != (end == 0) || start % 16 != 0 {
        heap.problem = Some(Problem::BadBounds { start, end });
        return heap;
    }
    let mut at = start;
    while at < end {
        if heap.chunks.len() == MAX_CHUNKS {
            heap.problem = Some(Problem::TooMany { at });
            break;
        }
        let Some((size, flags, pad, caller, magic)) = header(mem, at) else {
            heap.problem = Some(Problem::Unreadable { at });
            break;
        };
        let room = end - at;
        if magic != CHUNK_MAGIC {
            heap.problem = Some(Problem::BadMagic { at, magic });
            break;
        }
        if size < HEADER || size % 16 != 0 || size > room {
            heap.problem = Some(Problem::BadSize { at, size, room });
            break;
        }
        let state = if flags as u32 & CHUNK_INUSE != 0 {
            State::Used
        } else if size == room {
            State::Top
        } else {
            State::Free
        };
        let links = (state == State::Free)
            .then(|| Some((mem.word(at + HEADER)?, mem.word(at + HEADER + 4)?)))
            .flatten();
        heap.chunks.push(Chunk {
            addr: at,
            size,
            flags,
            pad,
            caller,
            magic,
            state,
            links,
            list: None,
        });
        at += size;
    }
    for &(lo, hi) in mmaps {
        walk_mapping(mem, lo, hi, &mut heap.mmapped);
    }
    if let Some(lists) = anchors.free_lists {
        check_lists(mem, lists, &mut heap);
    }
    heap
}

/// Big blocks back to back from the start of one mapping (neighbouring
/// mappings merge into one VMA, so there can be several).
fn walk_mapping(mem: &dyn Memory, lo: u32, hi: u32, out: &mut Vec<Chunk>) {
    let want = (CHUNK_INUSE | CHUNK_MMAPPED) as u16;
    let mut at = lo;
    while at < hi && out.len() < MAX_CHUNKS {
        match header(mem, at) {
            Some((size, flags, pad, caller, CHUNK_MAGIC))
                if flags & want == want
                    && size >= HEADER
                    && size % 4096 == 0
                    && size <= hi - at =>
            {
                out.push(Chunk {
                    addr: at,
                    size,
                    flags,
                    pad,
                    caller,
                    magic: CHUNK_MAGIC,
                    state: State::Mmapped,
                    links: None,
                    list: None,
                });
                at += size;
            }
            _ => break,
        }
    }
}

/// Follows every free list from its head: each chunk on it must be a free
/// chunk of the walk, and its prev link must name the chunk before it.
/// Marks each free chunk with its list; says what does not add up.
fn check_lists(mem: &dyn Memory, lists: u32, heap: &mut Heap) {
    let free = heap
        .chunks
        .iter()
        .filter(|c| c.state == State::Free)
        .count();
    for list in 0..CHUNK_NLISTS {
        let Some(mut at) = mem.word(lists.wrapping_add(4 * list)) else {
            heap.list_defects
                .push(format!("the head of free list {list} cannot be read"));
            return;
        };
        let mut prev = 0;
        let mut steps = 0;
        while at != 0 {
            steps += 1;
            if steps > free {
                heap.list_defects.push(format!(
                    "free list {list} is longer than the heap has free chunks: it loops"
                ));
                break;
            }
            let i = heap.chunks.partition_point(|c| c.addr < at);
            let Some(c) = heap
                .chunks
                .get_mut(i)
                .filter(|c| c.addr == at && c.state == State::Free)
            else {
                heap.list_defects.push(format!(
                    "free list {list} reaches {at:#010x}, which is not a free chunk"
                ));
                break;
            };
            let (next, back) = c.links.unwrap_or((0, 0));
            if back != prev {
                heap.list_defects.push(format!(
                    "free chunk {at:#010x} on list {list} has prev {back:#010x}, but came after {prev:#010x}"
                ));
            }
            if c.list.is_some() {
                heap.list_defects
                    .push(format!("free chunk {at:#010x} is on two lists"));
                break;
            }
            c.list = Some(list);
            prev = at;
            at = next;
        }
    }
    for c in heap
        .chunks
        .iter()
        .filter(|c| c.state == State::Free && c.list.is_none())
    {
        heap.list_defects
            .push(format!("free chunk {:#010x} is on no free list", c.addr));
    }
}

/// The heap as a table for people: one line a chunk (at most `max_rows`),
/// then the fragmentation figures.
pub fn render(heap: &Heap, syms: &Symbols, max_rows: usize) -> String {
    let mut out = String::new();
    if heap.problem == Some(Problem::NotOurLibc) {
        let _ = writeln!(out, "heap: {}", Problem::NotOurLibc);
        return out;
    }
    let policy = match heap.policy {
        Some(CHUNK_POLICY_BINS) => "bins (the default)".to_string(),
        Some(_) => format!("{} (MALLOC_POLICY)", heap.policy_name()),
        None => "unknown".into(),
    };
    if heap.start == 0 && heap.problem.is_none() {
        let _ = writeln!(out, "heap: empty (malloc has not run yet)");
        return out;
    } else {
        let _ = writeln!(
            out,
            "heap {:#010x}-{:#010x} ({} bytes), policy {policy}: {}, {} mmap'd",
            heap.start,
            heap.end,
            heap.end.wrapping_sub(heap.start),
            chunks(heap.chunks.len() as u32),
            heap.mmapped.len()
        );
    }
    let rows: Vec<&Chunk> = heap.chunks.iter().chain(&heap.mmapped).collect();
    if !rows.is_empty() {
        let _ = writeln!(
            out,
            "  {:<10} {:<10} {:>8} {:>9} {:>4}  {:<15} what",
            "chunk", "pointer", "size", "requested", "pad", "flags"
        );
    }
    for c in rows.iter().take(max_rows) {
        out.push_str(&row(c, syms));
    }
    if rows.len() > max_rows {
        let _ = writeln!(
            out,
            "  ... {} more chunks (`heap ADDR` shows one)",
            rows.len() - max_rows
        );
    }
    if let Some(p) = &heap.problem {
        let _ = writeln!(out, "  {p}");
    }
    for d in &heap.list_defects {
        let _ = writeln!(out, "  free lists: {d}");
    }
    let f = heap.fragmentation();
    let _ = writeln!(
        out,
        "in use: {}, {} bytes for {} requested; mmap'd: {}, {} bytes",
        chunks(f.used_chunks),
        f.used_bytes,
        f.requested_bytes,
        chunks(f.mmapped_chunks),
        f.mmapped_bytes
    );
    let _ = writeln!(
        out,
        "free: {} bytes = {} in {} hole{} (largest {}) + {} in the top; largest free block {}",
        f.free_bytes(),
        f.hole_bytes,
        f.holes,
        if f.holes == 1 { "" } else { "s" },
        f.largest_hole,
        f.top_bytes,
        f.largest_free()
    );
    out
}

/// `1 chunk`, `2 chunks`.
fn chunks(n: u32) -> String {
    format!("{n} chunk{}", if n == 1 { "" } else { "s" })
}

fn row(c: &Chunk, syms: &Symbols) -> String {
    let (req, pad) = match c.requested() {
        Some(r) => (r.to_string(), c.pad.to_string()),
        None => ("-".into(), "-".into()),
    };
    let what = match c.state {
        State::Used | State::Mmapped => {
            format!(
                "{}, from {}",
                c.state.name(),
                syms.describe_return(c.caller)
            )
        }
        State::Free => {
            let (next, prev) = c.links.unwrap_or((0, 0));
            let list = c.list.map_or("no list".into(), |l| format!("list {l}"));
            format!("free on {list}: next {next:#010x} prev {prev:#010x}")
        }
        State::Top => "top".into(),
    };
    let ptr = match c.in_use() {
        true => format!("{:#010x}", c.ptr()),
        false => "-".into(),
    };
    format!(
        "  {:#010x} {ptr:<10} {:>8} {req:>9} {pad:>4}  {:<15} {what}\n",
        c.addr,
        c.size,
        c.flag_names()
    )
}

/// One chunk's header, field by field, and where `addr` falls in it.
pub fn describe_addr(heap: &Heap, syms: &Symbols, addr: u32) -> String {
    if heap.problem == Some(Problem::NotOurLibc) {
        return format!("heap: {}\n", Problem::NotOurLibc);
    }
    let Some(c) = heap.chunk_holding(addr) else {
        return format!("{addr:#010x} is in no chunk of the heap\n");
    };
    let mut out = String::new();
    let place = match addr.wrapping_sub(c.addr) {
        off if off < HEADER => format!("in the header ({off} bytes in)"),
        off => format!("{} bytes into the payload", off - HEADER),
    };
    let _ = writeln!(
        out,
        "{addr:#010x} is {place} of the {} chunk at {:#010x} (pointer {:#010x})",
        c.state.name(),
        c.addr,
        c.ptr()
    );
    let _ = writeln!(out, "  size      {} bytes, header included", c.size);
    let _ = writeln!(out, "  flags     {:#06x} {}", c.flags, c.flag_names());
    match c.requested() {
        Some(r) => {
            let _ = writeln!(
                out,
                "  pad       {} (requested {r} = {} - {HEADER} - {})",
                c.pad, c.size, c.pad
            );
            let _ = writeln!(
                out,
                "  caller    {:#010x} <{}>",
                c.caller,
                syms.describe_return(c.caller)
            );
        }
        None => {
            let _ = writeln!(out, "  pad       {}", c.pad);
            let _ = writeln!(out, "  caller    {:#010x}", c.caller);
        }
    }
    let _ = writeln!(out, "  magic     {:#010x} \"TOYC\"", c.magic);
    if let Some((next, prev)) = c.links {
        let _ = writeln!(out, "  links     next {next:#010x} prev {prev:#010x}");
    }
    out
}

/// The walk for tools.
pub fn json(heap: &Heap, syms: &Symbols) -> Value {
    let chunk = |c: &Chunk| {
        let (next, prev) = c.links.map_or((None, None), |(n, p)| (Some(n), Some(p)));
        json!({
            "addr": c.addr, "ptr": c.ptr(), "size": c.size, "flags": c.flags, "pad": c.pad,
            "requested": c.requested(), "caller": c.caller,
            "site": c.in_use().then(|| syms.describe_return(c.caller)),
            "state": c.state.name(), "next": next, "prev": prev, "list": c.list,
        })
    };
    let f = heap.fragmentation();
    json!({
        "walkable": heap.walkable(),
        "policy": heap.policy.map(|_| heap.policy_name()),
        "start": heap.start,
        "end": heap.end,
        "problem": heap.problem.as_ref().map(|p| p.to_string()),
        "list_defects": heap.list_defects,
        "chunks": heap.chunks.iter().map(chunk).collect::<Vec<_>>(),
        "mmapped": heap.mmapped.iter().map(chunk).collect::<Vec<_>>(),
        "fragmentation": {
            "used_chunks": f.used_chunks, "used_bytes": f.used_bytes, "requested_bytes": f.requested_bytes,
            "holes": f.holes, "hole_bytes": f.hole_bytes, "largest_hole": f.largest_hole,
            "top_bytes": f.top_bytes, "free_bytes": f.free_bytes(), "largest_free": f.largest_free(),
            "mmapped_chunks": f.mmapped_chunks, "mmapped_bytes": f.mmapped_bytes,
        },
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Guest memory as one block of bytes at `base`.
    struct Bytes {
        base: u32,
        bytes: Vec<u8>,
    }

    impl Memory for Bytes {
        fn read(&self, addr: u32, out: &mut [u8]) -> bool {
            let Some(off) = addr.checked_sub(self.base) else {
                return false;
            };
            match self.bytes.get(off as usize..off as usize + out.len()) {
                Some(b) => {
                    out.copy_from_slice(b);
                    true
                }
                None => false,
            }
        }
    }

    const BASE: u32 = 0x1000;
    const HEAP: u32 = 0x1100;

    impl Bytes {
        fn put(&mut self, addr: u32, v: u32) {
            let o = (addr - self.base) as usize;
            self.bytes[o..o + 4].copy_from_slice(&v.to_le_bytes());
        }
        fn chunk(&mut self, at: u32, size: u32, flags: u32, pad: u32) {
            self.put(at, size);
            self.put(at + 4, flags | pad << 16);
            self.put(
                at + 8,
                if flags & CHUNK_INUSE != 0 {
                    0x0804_9000
                } else {
                    0
                },
            );
            self.put(at + 12, CHUNK_MAGIC);
        }
    }

    /// start, end, lists (32 words) at BASE; a used chunk, a free one on
    /// list 5, a used one and the top from HEAP.
    fn sample() -> (Bytes, Anchors) {
        let mut m = Bytes {
            base: BASE,
            bytes: vec![0; 0x1000],
        };
        let a = Anchors {
            heap_start: BASE,
            heap_end: BASE + 4,
            free_lists: Some(BASE + 8),
            policy: Some(BASE + 0x88),
        };
        m.put(BASE, HEAP);
        m.put(BASE + 4, HEAP + 0x200);
        m.chunk(HEAP, 0x30, CHUNK_INUSE, 8);
        m.chunk(HEAP + 0x30, 0x40, 0, 0);
        m.put(HEAP + 0x30 + 0x3c, 0x40);
        m.put(BASE + 8 + 4 * 6, HEAP + 0x30);
        m.chunk(HEAP + 0x70, 0x20, CHUNK_INUSE | CHUNK_PREV_FREE, 16);
        m.chunk(HEAP + 0x90, 0x170, 0, 0);
        (m, a)
    }

    #[test]
    fn a_good_heap_is_walked_chunk_by_chunk() {
        let (m, a) = sample();
        let h = walk_memory(&m, &a, &[]);
        assert_eq!(h.problem, None);
        assert!(h.list_defects.is_empty(), "{:?}", h.list_defects);
        let states: Vec<State> = h.chunks.iter().map(|c| c.state).collect();
        assert_eq!(states, [State::Used, State::Free, State::Used, State::Top]);
        assert_eq!(h.chunks[0].requested(), Some(0x30 - 16 - 8));
        assert_eq!(h.chunks[2].requested(), Some(0));
        assert_eq!(h.chunks[1].list, Some(6));
        assert_eq!(h.chunks[2].flag_names(), "INUSE|PREV_FREE");
        let f = h.fragmentation();
        assert_eq!((f.holes, f.hole_bytes, f.top_bytes), (1, 0x40, 0x170));
        assert_eq!(f.largest_free(), 0x170);
        assert_eq!(
            h.chunk_holding(HEAP + 0x75).map(|c| c.addr),
            Some(HEAP + 0x70)
        );
        assert_eq!(h.chunk_holding(HEAP - 1), None);
    }

    #[test]
    fn a_damaged_header_stops_the_walk_and_says_where() {
        let (mut m, a) = sample();
        m.put(HEAP + 0x70 + 12, 0x4141_4141);
        let h = walk_memory(&m, &a, &[]);
        assert_eq!(
            h.problem,
            Some(Problem::BadMagic {
                at: HEAP + 0x70,
                magic: 0x4141_4141
            })
        );
        assert_eq!(h.chunks.len(), 2);
        let (mut m, a) = sample();
        m.put(HEAP + 0x30, 0x10_0000);
        let h = walk_memory(&m, &a, &[]);
        assert!(matches!(h.problem, Some(Problem::BadSize { at, .. }) if at == HEAP + 0x30));
    }

    #[test]
    fn a_broken_free_list_is_named() {
        let (mut m, a) = sample();
        // The list head points at a chunk in use.
        m.put(BASE + 8 + 4 * 6, HEAP);
        let h = walk_memory(&m, &a, &[]);
        assert!(
            h.list_defects
                .iter()
                .any(|d| d.contains("not a free chunk")),
            "{:?}",
            h.list_defects
        );
        assert!(
            h.list_defects.iter().any(|d| d.contains("on no free list")),
            "{:?}",
            h.list_defects
        );
    }

    #[test]
    fn bounds_that_make_no_heap_are_refused() {
        let (mut m, a) = sample();
        m.put(BASE + 4, HEAP - 0x10);
        let h = walk_memory(&m, &a, &[]);
        assert!(matches!(h.problem, Some(Problem::BadBounds { .. })));
        assert!(h.chunks.is_empty());
    }

    /// Whatever the bytes, the walk ends, keeps its chunks inside the heap
    /// and never panics.
    #[test]
    fn garbage_never_panics() {
        let mut seed = 0x1234_5678u32;
        for _ in 0..2000 {
            let (mut m, a) = sample();
            for _ in 0..8 {
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                let at = HEAP + (seed >> 8) % 0x200 / 4 * 4;
                seed = seed.wrapping_mul(1_103_515_245).wrapping_add(12345);
                m.put(at, seed);
            }
            let h = walk_memory(&m, &a, &[(HEAP, HEAP + 0x200)]);
            assert!(h
                .chunks
                .iter()
                .all(|c| c.addr >= h.start && c.addr + c.size <= h.end));
            let _ = h.fragmentation();
        }
    }
}
