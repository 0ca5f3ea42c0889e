//! The address space over time, as one SVG: instructions from left to
//! right, the folded 4 GiB ([`Axis`]) from bottom to top. Each piece of a
//! mapping is a band; resident pages shade it darker; page faults and
//! memcheck's errors are ticks at their address, coloured by what became
//! of them; the program break is a dashed line; syscalls are ticks on a
//! strip above (taller for the calls that change the address space), and
//! signals, kills and the exit are lines across. Every drawn thing that
//! stands for events carries its trace line in `data-tip`.
//!
//! The data layers are nested `<svg class="view">` whose viewBox the
//! page's script moves to zoom and pan; labels stay outside them.

use crate::html::axis::{Axis, Stretch};
use crate::html::bands::Band;
use crate::html::collect::{Notable, Timeline};
use crate::html::svg::{count, esc, n, vma_class, vma_label, LEFT, PLOT, WIDTH};
use crate::picture::size;
use std::fmt::Write;

/// The strip of syscall ticks above the plot, and the time axis below.
const STRIP: f64 = 30.0;
const BELOW: f64 = 26.0;

/// Instructions to x (0..[`PLOT`]) for a run of `end` instructions cut
/// into windows of `width`.
#[derive(Clone, Copy, Debug)]
pub struct Scale {
    pub end: u64,
    pub width: u64,
}

impl Scale {
    pub fn x(&self, insns: u64) -> f64 {
        insns as f64 / self.end.max(1) as f64 * PLOT
    }
    /// Where window `i` starts.
    pub fn win(&self, i: usize) -> f64 {
        self.x(i as u64 * self.width)
    }
    /// The middle of window `i` (the last one ends with the run).
    pub fn mid(&self, i: usize) -> f64 {
        (self.win(i) + self.win(i + 1).min(PLOT)) / 2.0
    }
}

/// The address ranges the axis must show: every band's.
pub fn ranges(bands: &[Band]) -> Vec<(u64, u64)> {
    bands
        .iter()
        .map(|b| (b.start as u64, b.end as u64))
        .collect()
}

/// The whole chart.
pub fn draw(t: &Timeline, bands: &[Band], axis: &Axis, scale: Scale) -> String {
    let h = axis.height;
    let total = STRIP + h + BELOW;
    let mut out = String::new();
    let _ = write!(
        out,
        r#"<svg id="space" class="chart" width="{WIDTH}" height="{}" data-plot-top="{STRIP}" data-plot-height="{}">"#,
        n(total),
        n(h)
    );
    out.push_str(&labels(axis, bands));
    let _ = write!(
        out,
        r#"<svg class="view xy" x="{LEFT}" y="{STRIP}" width="{PLOT}" height="{0}" viewBox="0 0 {PLOT} {0}" preserveAspectRatio="none">"#,
        n(h)
    );
    out.push_str(&folds(axis));
    out.push_str(&band_rects(bands, axis, scale));
    out.push_str(&resident(t, axis, scale));
    out.push_str(&brk_line(t, axis, scale));
    out.push_str(&ticks(t, axis, scale));
    out.push_str(&notable_lines(&t.notable, h, scale));
    out.push_str(r#"<line class="cursor" x1="0" x2="0" y1="0" y2="0"/></svg>"#);
    out.push_str(&strip(t, scale));
    let _ = write!(
        out,
        r#"<g class="xaxis" transform="translate({LEFT},{})"></g></svg>"#,
        n(STRIP + h + 2.0)
    );
    out
}

/// The names of the stretches on the left, each with `data-y` (its
/// height in the plot) for the script to move them when zooming.
fn labels(axis: &Axis, bands: &[Band]) -> String {
    let mut out = String::from(r#"<g class="ylabels">"#);
    for p in axis.pieces.iter().rev() {
        let mid = p.top + p.height / 2.0;
        let text = match p.what {
            Stretch::Mapped if p.height < 9.0 => continue,
            Stretch::Mapped => names(bands, p.lo, p.hi),
            Stretch::Fold => format!("{} never mapped", size(p.hi - p.lo)),
            Stretch::NullGuard => "null guard".into(),
            Stretch::Kernel => "kernel space".into(),
        };
        let class = match p.what {
            Stretch::Mapped => "name",
            _ => "fold",
        };
        let _ = write!(
            out,
            r#"<text class="{class}" x="{}" y="{}" data-y="{}">{}</text>"#,
            n(LEFT - 6.0),
            n(STRIP + mid + 3.5),
            n(mid + 3.5),
            esc(&text)
        );
        if p.what == Stretch::Mapped && p.height >= 26.0 {
            let _ = write!(
                out,
                r#"<text class="addr" x="{}" y="{}" data-y="{}">{:#010x}</text>"#,
                n(LEFT - 6.0),
                n(STRIP + p.top + p.height - 2.0),
                n(p.top + p.height - 2.0),
                p.lo
            );
        }
    }
    out.push_str("</g>");
    out
}

/// What was mapped in `[lo, hi)`: the distinct labels, at most two.
fn names(bands: &[Band], lo: u64, hi: u64) -> String {
    let mut seen: Vec<String> = Vec::new();
    for b in bands
        .iter()
        .filter(|b| (b.start as u64) < hi && lo < b.end as u64)
    {
        let l = vma_label(b.kind, b.prot);
        if !seen.contains(&l) {
            seen.push(l);
        }
    }
    match seen.len() {
        0..=2 => seen.join(", "),
        k => format!("{}, {} more", seen[..2].join(", "), k - 2),
    }
}

fn folds(axis: &Axis) -> String {
    let mut out = String::new();
    for p in axis.pieces.iter().filter(|p| p.what != Stretch::Mapped) {
        let class = match p.what {
            Stretch::Kernel | Stretch::NullGuard => "forbidden",
            _ => "fold",
        };
        let _ = write!(
            out,
            r#"<rect class="{class}" x="0" y="{}" width="{PLOT}" height="{}"/>"#,
            n(p.top),
            n(p.height)
        );
    }
    out
}

/// One rectangle per band, with what the test and the tooltip read.
fn band_rects(bands: &[Band], axis: &Axis, scale: Scale) -> String {
    let mut out = String::from(r#"<g class="bands">"#);
    for b in bands {
        let (x0, x1) = (scale.x(b.from), scale.x(b.to));
        let (top, h) = axis.span(b.start as u64, b.end as u64, 1.0);
        let mut tip = format!(
            "{} {:#010x}-{:#010x} {} ({})\ninstructions {} to {}\nbegan: {}\nended: {}",
            b.kind,
            b.start,
            b.end,
            b.prot.rwx(),
            size((b.end - b.start) as u64),
            count(b.from),
            count(b.to),
            b.opened,
            b.closed.as_deref().unwrap_or("still mapped at exit")
        );
        if b.lives > 1 {
            let _ = write!(
                tip,
                "\n({} lives of this range folded into one band)",
                b.lives
            );
        }
        let _ = write!(
            out,
            r#"<rect class="vma {}" data-kind="{}" data-start="{:#010x}" data-end="{:#010x}" x="{}" y="{}" width="{}" height="{}" data-tip="{}"/>"#,
            vma_class(b.kind, b.prot),
            esc(&b.kind.to_string()),
            b.start,
            b.end,
            n(x0),
            n(top),
            n((x1 - x0).max(0.5)),
            n(h),
            esc(&tip)
        );
    }
    out.push_str("</g>");
    out
}

/// Resident pages: the band's colour, deeper where more of a bucket's
/// pages held a frame.
fn resident(t: &Timeline, axis: &Axis, scale: Scale) -> String {
    let shift = t.resident.shift();
    let mut out = String::from(r#"<g class="resident">"#);
    for s in t.resident.spans(t.window_count() as u32) {
        let lo = (s.vpn as u64) << 12;
        let hi = lo + (4096u64 << shift);
        let (top, h) = axis.span(lo, hi, 0.6);
        let (x0, x1) = (scale.win(s.from as usize), scale.win(s.to as usize));
        let share = s.level as f64 / (1u64 << shift) as f64;
        let _ = write!(
            out,
            r#"<rect class="{}" x="{}" y="{}" width="{}" height="{}" fill-opacity="{}"/>"#,
            s.class,
            n(x0),
            n(top),
            n((x1.min(PLOT) - x0).max(0.3)),
            n(h),
            n(0.35 + 0.45 * share.min(1.0))
        );
    }
    out.push_str("</g>");
    out
}

/// The program break, window by window (the highest in each).
fn brk_line(t: &Timeline, axis: &Axis, scale: Scale) -> String {
    let mut pts = String::new();
    for (i, w) in t.windows.cells().iter().enumerate() {
        if w.brk == 0 {
            continue;
        }
        let y = n(axis.y(w.brk as u64));
        let _ = write!(
            pts,
            "{},{y} {},{y} ",
            n(scale.win(i)),
            n(scale.win(i + 1).min(PLOT))
        );
    }
    if pts.is_empty() {
        return String::new();
    }
    format!(
        r#"<polyline class="brk" points="{}" data-tip="the program break"/>"#,
        pts.trim_end()
    )
}

/// One tick per cell of faults or memcheck errors.
fn ticks(t: &Timeline, axis: &Axis, scale: Scale) -> String {
    let pages = 1u64 << t.marks.shift();
    let mut out = String::from(r#"<g class="ticks">"#);
    for (win, vpn, lane, m) in t.marks.cells() {
        let x = scale.mid(win);
        let y = axis.y(((vpn as u64) << 12) + pages * 2048);
        let mut tip = m.line.clone();
        if m.count > 1 {
            let _ = write!(
                tip,
                "\n(and {} more {} in this window at {:#010x}-{:#010x})",
                m.count - 1,
                lane.name(),
                (vpn as u64) << 12,
                ((vpn as u64) << 12) + pages * 4096
            );
        }
        let _ = write!(
            out,
            r#"<line class="tick l-{}" x1="{x}" x2="{x}" y1="{}" y2="{}" data-count="{}" data-tip="{}"/>"#,
            lane.class(),
            n(y - 4.0),
            n(y + 4.0),
            m.count,
            esc(&tip),
            x = n(x)
        );
    }
    out.push_str("</g>");
    out
}

fn notable_lines(notes: &[Notable], h: f64, scale: Scale) -> String {
    let mut out = String::from(r#"<g class="notable">"#);
    for e in notes {
        let _ = write!(
            out,
            r#"<line class="note n-{}" x1="{x}" x2="{x}" y1="0" y2="{}" data-tip="{}"/>"#,
            e.what,
            n(h),
            esc(&e.line),
            x = n(scale.x(e.insns))
        );
    }
    out.push_str("</g>");
    out
}

/// The syscall strip: one tick per window with calls in it, and a dot
/// per heap snapshot (clicking one shows that heap below).
fn strip(t: &Timeline, scale: Scale) -> String {
    let mut out = format!(
        r#"<svg class="view x strip" x="{LEFT}" y="0" width="{PLOT}" height="{STRIP}" viewBox="0 0 {PLOT} {STRIP}" preserveAspectRatio="none"><rect class="stripbg" x="0" y="0" width="{PLOT}" height="{STRIP}"/>"#
    );
    for (i, w) in t.windows.cells().iter().enumerate() {
        let x = n(scale.mid(i));
        let (class, top, first) = match (&w.first_memory_call, &w.first_call) {
            (Some(m), _) => ("call memory", 3.0, m),
            (None, Some(c)) => ("call", 14.0, c),
            (None, None) => continue,
        };
        let mut tip = first.clone();
        if w.syscalls > 1 {
            let _ = write!(
                tip,
                "\n({} syscalls in this window, {} of them memory calls)",
                w.syscalls, w.memory_calls
            );
        }
        let _ = write!(
            out,
            r#"<line class="{class}" x1="{x}" x2="{x}" y1="{}" y2="{}" data-calls="{}" data-memory-calls="{}" data-tip="{}"/>"#,
            n(top),
            n(STRIP - 2.0),
            w.syscalls,
            w.memory_calls,
            esc(&tip)
        );
    }
    for (i, s) in t.heaps.iter().enumerate() {
        // A zero-length line with round caps: a dot that zooming does not stretch.
        let _ = write!(
            out,
            r#"<line class="snap" x1="{x}" x2="{x}" y1="8" y2="8" data-snap="{i}" data-tip="heap walked at instruction {}, after {}&#10;(click: show it below)"/>"#,
            count(s.insns),
            esc(&s.after),
            x = n(scale.x(s.insns)),
        );
    }
    out.push_str("</svg>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::html::collect::example::big_block;

    #[test]
    fn the_last_window_ends_with_the_run() {
        let s = Scale {
            end: 1000,
            width: 64,
        };
        assert!(s.mid(15) <= PLOT, "{}", s.mid(15));
        assert_eq!(s.x(1000), PLOT);
        assert_eq!(s.win(1), 64.0);
    }

    #[test]
    fn the_big_block_is_a_band_a_tick_and_two_calls() {
        let t = big_block();
        let bands = t.bands.all(t.last_insns);
        let axis = Axis::fold(&ranges(&bands));
        let svg = draw(
            &t,
            &bands,
            &axis,
            Scale {
                end: t.last_insns,
                width: t.windows.width(),
            },
        );
        assert_eq!(
            svg.matches(r#"data-kind="mmap" data-start="0xb7fbf000" data-end="0xb8000000""#)
                .count(),
            1
        );
        assert_eq!(svg.matches(r#"<line class="tick l-zero-fill""#).count(), 1);
        assert_eq!(svg.matches(r#"<line class="call memory""#).count(), 2);
        assert_eq!(svg.matches(r#"class="note n-exit""#).count(), 1);
        assert!(svg.contains("mmap rw-"), "the axis names the mapping");
        assert!(svg.contains("never mapped"), "and folds the rest");
    }
}
