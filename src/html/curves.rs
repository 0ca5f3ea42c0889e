//! The curves under the timeline, one small chart each, window by
//! window and on the timeline's time axis: frames held by kind, the
//! program break, the TLB's hit rate, faults by resolution. Each also
//! goes into the page as numbers per window ([`data`]) for the readout
//! that follows the mouse.

use crate::html::collect::{Timeline, Window};
use crate::html::marks::Lane;
use crate::html::svg::{cause_class, esc, n, LEFT, PLOT, WIDTH};
use crate::html::timeline::Scale;
use crate::picture::size;
use serde_json::{json, Value};
use std::fmt::Write;
use toyemu_kernel::Cause;

/// Height of a chart's plot.
const HEIGHT: f64 = 84.0;

/// All four charts.
pub fn draw(t: &Timeline, scale: Scale, tlb_total: f64) -> String {
    let w = t.windows.cells();
    let mut out = String::new();
    out.push_str(&frames(w, scale));
    out.push_str(&brk(w, t.brk_start, scale));
    out.push_str(&tlb(w, t.tlb_sampled, tlb_total, scale));
    out.push_str(&faults(w, scale));
    out
}

/// One chart: a title with its legend (HTML, so the browser lays the
/// words out), the scale on the left, `body` (paths in plot coordinates)
/// in a zoomable view.
fn chart(id: &str, title: &str, top: &str, legend: &[(String, &str)], body: &str) -> String {
    let mut out = format!(r#"<div class="charthead"><b>{}</b>"#, esc(title));
    for (class, label) in legend {
        let _ = write!(out, r#"<span class="{class}">{}</span>"#, esc(label));
    }
    let _ = write!(
        out,
        r#"</div><svg id="{id}" class="chart curve" width="{WIDTH}" height="{}"><text class="scale" x="{}" y="9">{}</text><text class="scale" x="{}" y="{HEIGHT}">0</text>"#,
        n(HEIGHT + 2.0),
        n(LEFT - 6.0),
        esc(top),
        n(LEFT - 6.0),
    );
    let _ = write!(
        out,
        r#"<svg class="view x" x="{LEFT}" y="0" width="{PLOT}" height="{HEIGHT}" viewBox="0 0 {PLOT} {HEIGHT}" preserveAspectRatio="none"><rect class="plotbg" x="0" y="0" width="{PLOT}" height="{HEIGHT}"/>{body}<line class="cursor" x1="0" x2="0" y1="0" y2="{HEIGHT}"/></svg></svg>"#
    );
    out
}

/// A step line through `values` (none: no line there), `max` at the top.
fn steps(values: impl Iterator<Item = Option<f64>>, max: f64, scale: Scale) -> String {
    let mut d = String::new();
    let mut open = false;
    for (i, v) in values.enumerate() {
        match v {
            Some(v) => {
                let y = n(HEIGHT - v / max.max(f64::MIN_POSITIVE) * HEIGHT);
                let cmd = if open { 'L' } else { 'M' };
                let _ = write!(
                    d,
                    "{cmd}{} {y}L{} {y}",
                    n(scale.win(i)),
                    n(scale.win(i + 1).min(PLOT))
                );
                open = true;
            }
            None => open = false,
        }
    }
    d
}

fn path(class: &str, d: &str) -> String {
    match d.is_empty() {
        true => String::new(),
        false => format!(r#"<path class="{class}" d="{d}"/>"#),
    }
}

fn frames(w: &[Window], scale: Scale) -> String {
    let max = w.iter().map(|w| w.total).max().unwrap_or(0).max(1) as f64;
    let mut body = path(
        "line total",
        &steps(w.iter().map(|w| Some(w.total as f64)), max, scale),
    );
    let mut legend = vec![("total".to_string(), "all")];
    for (i, c) in Cause::ALL.iter().enumerate() {
        let class = format!("line {}", cause_class(*c));
        body.push_str(&path(
            &class,
            &steps(w.iter().map(|w| Some(w.frames[i] as f64)), max, scale),
        ));
        legend.push((cause_class(*c), c.name()));
    }
    chart(
        "frames",
        "frames held, by kind (the most at once in each window)",
        &format!("{max}"),
        &legend,
        &body,
    )
}

fn brk(w: &[Window], start: u32, scale: Scale) -> String {
    let above = |w: &Window| (w.brk >= start && start > 0).then(|| (w.brk - start) as f64);
    let max = w.iter().filter_map(above).fold(0.0, f64::max).max(4096.0);
    let body = path("line k-heap", &steps(w.iter().map(above), max, scale));
    chart(
        "break",
        &format!("the program break, above the heap's start {start:#010x}"),
        &size(max as u64),
        &[],
        &body,
    )
}

fn tlb(w: &[Window], sampled: bool, total: f64, scale: Scale) -> String {
    let rate = |w: &Window| {
        let lookups = w.tlb_hits + w.tlb_misses;
        (lookups > 0).then(|| 100.0 * w.tlb_hits as f64 / lookups as f64)
    };
    let title = match sampled {
        true => format!("TLB hit rate per window (whole run {total:.2}%)"),
        false => format!("TLB hit rate: not sampled during a stepped run (whole run {total:.2}%)"),
    };
    let body = match sampled {
        true => path("line tlb", &steps(w.iter().map(rate), 100.0, scale)),
        false => String::new(),
    };
    chart("tlb", &title, "100%", &[], &body)
}

fn faults(w: &[Window], scale: Scale) -> String {
    let max = w
        .iter()
        .map(|w| w.faults.iter().sum::<u32>())
        .max()
        .unwrap_or(0)
        .max(1) as f64;
    let mut base = vec![0u32; w.len()];
    let mut body = String::new();
    let mut legend = Vec::new();
    for lane in Lane::ALL {
        let mut d = String::new();
        for (i, win) in w.iter().enumerate() {
            let c = win.faults[lane as usize];
            if c == 0 {
                continue;
            }
            let y0 = HEIGHT - base[i] as f64 / max * HEIGHT;
            let h = c as f64 / max * HEIGHT;
            let (x0, x1) = (scale.win(i), scale.win(i + 1).min(PLOT));
            let _ = write!(
                d,
                "M{} {}h{}v{}h{}z",
                n(x0),
                n(y0),
                n((x1 - x0).max(0.3)),
                n(-h),
                n(-(x1 - x0).max(0.3))
            );
            base[i] += c;
        }
        if !d.is_empty() {
            body.push_str(&path(&format!("bar l-{}", lane.class()), &d));
            legend.push((format!("l-{}", lane.class()), lane.name()));
        }
    }
    chart(
        "faults",
        "page faults per window, by resolution",
        &format!("{max}"),
        &legend,
        &body,
    )
}

/// The numbers behind the curves, window by window, for the readout.
pub fn data(w: &[Window]) -> Value {
    // Pairs, not an object: the kinds keep their order.
    let frames: Vec<Value> = Cause::ALL
        .iter()
        .enumerate()
        .map(|(i, c)| json!([c.name(), w.iter().map(|w| w.frames[i]).collect::<Vec<_>>()]))
        .collect();
    json!({
        "frames": frames,
        "total": w.iter().map(|w| w.total).collect::<Vec<_>>(),
        "brk": w.iter().map(|w| w.brk).collect::<Vec<_>>(),
        "hits": w.iter().map(|w| w.tlb_hits).collect::<Vec<_>>(),
        "misses": w.iter().map(|w| w.tlb_misses).collect::<Vec<_>>(),
        "faults": w.iter().map(|w| w.faults.iter().sum::<u32>()).collect::<Vec<_>>(),
        "syscalls": w.iter().map(|w| w.syscalls).collect::<Vec<_>>(),
        "events": w.iter().map(|w| w.events).collect::<Vec<_>>(),
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::html::collect::example::big_block;

    #[test]
    fn a_curve_breaks_where_a_window_has_no_value() {
        let scale = Scale { end: 4, width: 1 };
        let d = steps(
            [Some(1.0), None, Some(2.0), Some(2.0)].into_iter(),
            2.0,
            scale,
        );
        assert_eq!(d.matches('M').count(), 2, "{d}");
        assert!(d.starts_with("M0 42L250 42"), "{d}");
    }

    #[test]
    fn the_numbers_come_window_by_window() {
        let t = big_block();
        let v = data(t.windows.cells());
        let n = t.windows.cells().len();
        assert_eq!(v["total"].as_array().map(Vec::len), Some(n));
        assert_eq!(v["frames"][2][0], "mmap");
        assert_eq!(v["frames"][2][1].as_array().map(Vec::len), Some(n));
        let faults: u64 = v["faults"]
            .as_array()
            .into_iter()
            .flatten()
            .filter_map(|f| f.as_u64())
            .sum();
        assert_eq!(faults, 1);
    }
}
