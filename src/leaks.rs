//! The leak report: walk the guest's heap before teardown, as valgrind's
//! memcheck would summarise it, using the libc's chunk-header contract
//! (userland/include/toy/chunk.h): 16-byte headers `{size, flags, caller, magic}`
//! back to back from `__toy_heap_start` to `__toy_heap_end`, and one header
//! at the start of each mmap'd big block.

use crate::symbols::Symbols;
use std::collections::BTreeMap;
use std::fmt::Write;
use toyemu_kernel::vma::VmaKind;
use toyemu_kernel::{Kernel, Process};

// CHUNK_MAGIC, CHUNK_INUSE, CHUNK_MMAPPED, CHUNK_HEADER_SIZE, ... from
// userland/include/toy/chunk.h, the contract's one source.
include!(concat!(env!("OUT_DIR"), "/chunk_layout.rs"));
const HEADER: u32 = CHUNK_HEADER_SIZE;

/// One block still allocated at exit.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    /// The pointer malloc returned.
    pub addr: u32,
    /// Usable bytes (the chunk less its header).
    pub bytes: u32,
    /// Where malloc was called from.
    pub caller: u32,
    pub mmapped: bool,
}

/// What the heap walk found.
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
}

impl LeakReport {
    pub fn bytes(&self) -> u64 {
        self.blocks.iter().map(|b| b.bytes as u64).sum()
    }
}

fn read_u32(k: &Kernel, p: &Process, va: u32) -> Option<u32> {
    let b = k.peek_user_bytes(p, va, 4)?;
    Some(u32::from_le_bytes([b[0], b[1], b[2], b[3]]))
}

/// `(size, flags, caller, magic)` at `va`, if it is mapped.
fn header(k: &Kernel, p: &Process, va: u32) -> Option<(u32, u32, u32, u32)> {
    let b = k.peek_user_bytes(p, va, HEADER)?;
    let w = |i: usize| u32::from_le_bytes([b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]]);
    Some((w(0), w(1), w(2), w(3)))
}

/// Walk `p`'s heap and big blocks. Call before teardown.
pub fn walk(k: &Kernel, p: &Process, syms: &Symbols) -> LeakReport {
    let mut r = LeakReport::default();
    let (Some(start_sym), Some(end_sym)) = (
        syms.lookup("__toy_heap_start"),
        syms.lookup("__toy_heap_end"),
    ) else {
        return r;
    };
    r.walkable = true;
    let start = read_u32(k, p, start_sym).unwrap_or(0);
    let end = read_u32(k, p, end_sym).unwrap_or(0);
    let mut at = start;
    while at != 0 && at < end {
        let Some((size, flags, caller, magic)) = header(k, p, at) else {
            r.corrupt_at = Some(at);
            break;
        };
        if magic != CHUNK_MAGIC || size < HEADER || size % 16 != 0 || size > end - at {
            r.corrupt_at = Some(at);
            break;
        }
        r.chunks += 1;
        if flags & CHUNK_INUSE != 0 {
            r.blocks.push(Block {
                addr: at + HEADER,
                bytes: size - HEADER,
                caller,
                mmapped: false,
            });
        } else {
            r.free_bytes += size;
        }
        at += size;
    }
    // Big blocks: a header at the start of an mmap VMA (merged neighbours
    // are walked block by block).
    for v in k
        .vma_snapshots(p)
        .iter()
        .filter(|v| v.kind == VmaKind::Mmap)
    {
        let mut at = v.start.0;
        while at < v.end.0 {
            match header(k, p, at) {
                Some((size, flags, caller, CHUNK_MAGIC))
                    if flags & (CHUNK_INUSE | CHUNK_MMAPPED) == CHUNK_INUSE | CHUNK_MMAPPED
                        && size >= HEADER
                        && size <= v.end.0 - at =>
                {
                    r.blocks.push(Block {
                        addr: at + HEADER,
                        bytes: size - HEADER,
                        caller,
                        mmapped: true,
                    });
                    at += size;
                }
                _ => break,
            }
        }
    }
    r
}

/// The summary in valgrind's words, then the kernel's point.
pub fn render(r: &LeakReport, syms: &Symbols, reclaimed_frames: Option<u64>) -> String {
    let mut out = String::new();
    if !r.walkable {
        let _ = writeln!(
            out,
            "heap: not linked with the toyemu libc, no heap to walk"
        );
        return out;
    }
    let _ = writeln!(out, "HEAP SUMMARY:");
    let _ = writeln!(
        out,
        "    in use at exit: {} bytes in {} blocks",
        r.bytes(),
        r.blocks.len()
    );
    let _ = writeln!(
        out,
        "    heap chunks walked: {}, free bytes in the heap: {}",
        r.chunks, r.free_bytes
    );
    if let Some(at) = r.corrupt_at {
        let _ = writeln!(
            out,
            "    the walk stopped at {at:#010x}: the chunk header there is damaged"
        );
    }
    // Group by allocation site, biggest first, as valgrind lists loss records.
    let mut by_site: BTreeMap<u32, (u64, u32, bool)> = BTreeMap::new();
    for b in &r.blocks {
        let e = by_site.entry(b.caller).or_default();
        e.0 += b.bytes as u64;
        e.1 += 1;
        e.2 |= b.mmapped;
    }
    let mut sites: Vec<_> = by_site.into_iter().collect();
    sites.sort_by(|a, b| b.1 .0.cmp(&a.1 .0).then(a.0.cmp(&b.0)));
    for (caller, (bytes, n, mmapped)) in sites {
        let _ = writeln!(
            out,
            "    {bytes} bytes in {n} block{} never freed, allocated at {}{}",
            if n == 1 { "" } else { "s" },
            syms.describe(caller),
            if mmapped { " (own mmap)" } else { "" }
        );
    }
    match reclaimed_frames {
        Some(f) if !r.blocks.is_empty() => {
            let _ = writeln!(
                out,
                "    ...and the kernel took all of it back anyway: {f} frames reclaimed at exit."
            );
        }
        _ => {}
    }
    out
}
