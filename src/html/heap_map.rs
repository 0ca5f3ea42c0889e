//! The heap as a map: its bytes from `start` to `end` in rows, each
//! chunk a block as wide as its bytes, coloured by what it is — in use,
//! free, the top — and at exit, for a block still in use, by what the
//! leak check made of it (definitely, indirectly, possibly lost, still
//! reachable). The big blocks malloc mapped apart follow, one row each.
//! A table under the map lists the blocks in use with where they were
//! allocated. Too many chunks to draw are drawn as runs of alike ones.

use crate::heap::{Chunk, Heap, State};
use crate::html::svg::{esc, leak_class, n, LEFT, PLOT, WIDTH};
use crate::leaks::{Kind, LeakReport};
use crate::symbols::Symbols;
use std::collections::HashMap;
use std::fmt::Write;

/// Rows of the map at most.
const MAX_ROWS: u64 = 32;
/// Blocks drawn at most: in the map at exit, and in each snapshot's.
pub const EXIT_BLOCKS: usize = 12_000;
pub const SNAPSHOT_BLOCKS: usize = 500;
const ROW: f64 = 16.0;
const GAP: f64 = 4.0;

/// A run of chunks drawn as one block.
struct Run<'a> {
    first: &'a Chunk,
    end: u32,
    chunks: usize,
    class: &'static str,
}

impl<'a> Run<'a> {
    fn one(c: &'a Chunk, class: &'static str) -> Run<'a> {
        Run {
            first: c,
            end: c.addr.wrapping_add(c.size),
            chunks: 1,
            class,
        }
    }
}

/// The map of `heap` (with `leaks`, the classes of blocks in use at exit),
/// in at most `max_blocks` blocks.
pub fn draw(
    heap: &Heap,
    leaks: Option<&LeakReport>,
    syms: &Symbols,
    id: &str,
    max_blocks: usize,
) -> String {
    let kinds: HashMap<u32, Kind> = leaks
        .map(|l| l.blocks.iter().map(|b| (b.addr, b.kind)).collect())
        .unwrap_or_default();
    let class = |c: &Chunk| match c.state {
        State::Used | State::Mmapped => kinds.get(&c.ptr()).map_or("h-used", |k| leak_class(*k)),
        State::Free => "h-free",
        State::Top => "h-top",
    };
    // The top chunk, the free space up to the break, gets a row of its
    // own: to scale it would fill most of the map. So do the big blocks.
    let (body, top) = match heap.chunks.split_last() {
        Some((t, rest)) if t.state == State::Top => (rest, Some(t)),
        _ => (&heap.chunks[..], None),
    };
    let mut whole: Vec<(String, &Chunk)> =
        top.map(|t| ("top".to_string(), t)).into_iter().collect();
    whole.extend(
        heap.mmapped
            .iter()
            .take(16)
            .map(|c| (format!("mmap {:#010x}", c.addr), c)),
    );
    let len = top.map_or(heap.end, |t| t.addr).saturating_sub(heap.start) as u64;
    let per_row = (len / MAX_ROWS).next_power_of_two().max(4096);
    let rows = len.div_ceil(per_row);
    let y = |row: u64| row as f64 * (ROW + GAP);
    let mut out = format!(
        r#"<svg id="{id}" class="chart heapmap" width="{WIDTH}" height="{}" data-start="{:#010x}" data-end="{:#010x}" data-row-bytes="{per_row}">"#,
        n(y(rows + whole.len() as u64).max(ROW)),
        heap.start,
        heap.end
    );
    for r in 0..rows {
        let _ = write!(
            out,
            r#"<text class="addr" x="{}" y="{}">{:#010x}</text><rect class="rowbg" x="{LEFT}" y="{}" width="{PLOT}" height="{ROW}"/>"#,
            n(LEFT - 6.0),
            n(y(r) + 12.0),
            heap.start as u64 + r * per_row,
            n(y(r))
        );
    }
    for run in runs(body, &class, max_blocks) {
        let tip = tip(&run, &kinds, syms);
        let a = run.first.addr.saturating_sub(heap.start) as u64;
        let b = run.end.saturating_sub(heap.start) as u64;
        for (row, x0, x1) in row_pieces(a, b.min(len), per_row) {
            let _ = write!(
                out,
                r#"<rect class="chunk {}" data-addr="{:#010x}" x="{}" y="{}" width="{}" height="{ROW}" data-tip="{}"/>"#,
                run.class,
                run.first.addr,
                n(LEFT + x0),
                n(y(row)),
                n((x1 - x0).max(0.5)),
                esc(&tip)
            );
        }
    }
    for (i, (label, c)) in whole.into_iter().enumerate() {
        let run = Run::one(c, class(c));
        let at = y(rows + i as u64);
        let _ = write!(
            out,
            r#"<text class="addr" x="{}" y="{}">{label}</text><rect class="chunk {}" data-addr="{:#010x}" x="{LEFT}" y="{}" width="{PLOT}" height="{ROW}" data-tip="{}"/>"#,
            n(LEFT - 6.0),
            n(at + 12.0),
            run.class,
            c.addr,
            n(at),
            esc(&tip(&run, &kinds, syms))
        );
    }
    out.push_str("</svg>");
    out
}

/// The chunks as runs: one each while there are few enough, else alike
/// neighbours joined.
fn runs<'a>(
    chunks: &'a [Chunk],
    class: &dyn Fn(&Chunk) -> &'static str,
    max: usize,
) -> Vec<Run<'a>> {
    let one = |c: &'a Chunk| Run::one(c, class(c));
    if chunks.len() <= max {
        return chunks.iter().map(one).collect();
    }
    let mut out: Vec<Run> = Vec::new();
    for c in chunks {
        match out.last_mut() {
            Some(r) if r.class == class(c) => {
                r.end = c.addr.wrapping_add(c.size);
                r.chunks += 1;
            }
            _ => out.push(one(c)),
        }
    }
    out.truncate(max);
    out
}

/// `[a, b)` bytes from the heap's start as (row, x0, x1) pieces.
fn row_pieces(a: u64, b: u64, per_row: u64) -> Vec<(u64, f64, f64)> {
    let px = |off: u64| off as f64 / per_row as f64 * PLOT;
    let mut out = Vec::new();
    let mut at = a;
    while at < b {
        let row = at / per_row;
        let row_end = ((row + 1) * per_row).min(b);
        out.push((row, px(at - row * per_row), px(row_end - row * per_row)));
        at = row_end;
    }
    out
}

fn tip(run: &Run, kinds: &HashMap<u32, Kind>, syms: &Symbols) -> String {
    let c = run.first;
    if run.chunks > 1 {
        return format!(
            "{} {} chunks {:#010x}-{:#010x} ({} bytes)",
            run.chunks,
            c.state.name(),
            c.addr,
            run.end,
            run.end.wrapping_sub(c.addr)
        );
    }
    let mut t = format!(
        "chunk {:#010x}: {} bytes, {}",
        c.addr,
        c.size,
        c.state.name()
    );
    if let Some(req) = c.requested() {
        let _ = write!(
            t,
            "\npointer {:#010x}, {req} bytes requested\nallocated at {}",
            c.ptr(),
            syms.describe_return(c.caller)
        );
    }
    match c.state {
        State::Top => t.push_str("\nthe free space up to the end of the heap, which the break moves (a row of its own, not to scale)"),
        State::Mmapped => t.push_str("\nin a mapping of its own (a row of its own, not to scale)"),
        _ => {}
    }
    if let Some(k) = kinds.get(&c.ptr()) {
        let _ = write!(t, "\nat exit: {}", k.name());
    }
    t
}

/// The blocks in use at exit, lost ones first, with their allocation sites.
pub fn leak_table(l: &LeakReport, syms: &Symbols) -> String {
    if !l.walkable {
        return "<p>not linked with the toyemu libc: no heap to walk</p>".into();
    }
    let mut out = String::from("<p class=\"leaksum\">");
    for k in Kind::ALL {
        let (bytes, blocks) = l.of_kind(k);
        let _ = write!(
            out,
            r#"<span class="{}">■ {}: {bytes} bytes in {blocks} block{}</span> "#,
            leak_class(k),
            k.name(),
            if blocks == 1 { "" } else { "s" }
        );
    }
    out.push_str("</p>");
    if l.blocks.is_empty() {
        out.push_str("<p>no block was in use at exit: nothing leaked</p>");
        return out;
    }
    let mut blocks: Vec<_> = l.blocks.iter().collect();
    blocks.sort_by_key(|b| (b.kind, b.addr));
    out.push_str("<table class=\"leaks\"><tr><th>at exit</th><th>pointer</th><th>requested</th><th>chunk</th><th>allocated at</th></tr>");
    for b in blocks.iter().take(500) {
        let _ = write!(
            out,
            r#"<tr class="{}" data-addr="{:#010x}"><td>{}</td><td>{:#010x}</td><td>{}</td><td>{}{}</td><td>{}</td></tr>"#,
            leak_class(b.kind),
            b.addr,
            b.kind.name(),
            b.addr,
            b.requested,
            b.chunk,
            if b.mmapped { " (mmap'd)" } else { "" },
            esc(&syms.describe_return(b.caller))
        );
    }
    out.push_str("</table>");
    if blocks.len() > 500 {
        let _ = write!(
            out,
            "<p>… {} more blocks (the full report below lists them by site)</p>",
            blocks.len() - 500
        );
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_chunk_across_a_row_end_is_drawn_in_two_pieces() {
        let p = row_pieces(4000, 4200, 4096);
        assert_eq!(p.len(), 2);
        assert_eq!((p[0].0, p[1].0), (0, 1));
        assert!((p[0].2 - PLOT).abs() < 1e-9 && p[1].1 == 0.0);
    }

    #[test]
    fn too_many_chunks_are_drawn_as_runs() {
        let chunk = |i: u32, state| Chunk {
            addr: 0x08051000 + 16 * i,
            size: 16,
            flags: 0,
            pad: 0,
            caller: 0,
            magic: 0,
            state,
            links: None,
            list: None,
        };
        let chunks: Vec<Chunk> = (0..50_000)
            .map(|i| chunk(i, if i < 30_000 { State::Used } else { State::Free }))
            .collect();
        let class = |c: &Chunk| {
            if c.state == State::Used {
                "h-used"
            } else {
                "h-free"
            }
        };
        let r = runs(&chunks, &class, EXIT_BLOCKS);
        assert_eq!(r.len(), 2);
        assert_eq!((r[0].chunks, r[1].chunks), (30_000, 20_000));
        assert_eq!(runs(&chunks[..10], &class, EXIT_BLOCKS).len(), 10);
    }
}
