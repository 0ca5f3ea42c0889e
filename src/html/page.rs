//! The page: one HTML file holding everything — the charts as inline
//! SVG, the stylesheet, the script and the numbers it reads — so it
//! opens from disk with no network and no server.

use crate::html::axis::{Axis, Stretch};
use crate::html::collect::{Recorder, Timeline};
use crate::html::marks::Lane;
use crate::html::svg::{count, esc};
use crate::html::timeline::{ranges, Scale};
use crate::html::{curves, heap_map, page_tables, timeline};
use crate::ExitReport;
use serde_json::json;
use std::fmt::Write as _;
use std::io::{self, Write};

const CSS: &str = include_str!("page.css");
const SCRIPT: &str = include_str!("page.js");

/// Write the page for the run `r` that `rec` watched.
pub fn write(out: &mut dyn Write, rec: &Recorder, r: &ExitReport) -> io::Result<()> {
    rec.finish(r.record.instructions, r.tlb);
    out.write_all(render(&rec.timeline(), r).as_bytes())?;
    out.flush()
}

/// The whole page as text.
pub fn render(t: &Timeline, r: &ExitReport) -> String {
    let scale = Scale {
        end: t.last_insns.max(1),
        width: t.windows.width(),
    };
    let bands = t.bands.all(scale.end);
    let axis = Axis::fold(&ranges(&bands));
    let title = format!("toyemu: the memory of {}", r.program);
    let mut out = String::with_capacity(1 << 20);
    let _ = write!(
        out,
        "<!doctype html>\n<html lang=\"en\"><head><meta charset=\"utf-8\"><title>{}</title><style>{CSS}</style></head><body>\n",
        esc(&title)
    );
    let _ = write!(
        out,
        "<header><h1>{}</h1>{}</header>",
        esc(&title),
        summary(t, r)
    );
    out.push_str("<div id=\"readout\">move the mouse over a chart: the window under it, its numbers and the address</div>\n");
    out.push_str(&space_section(t, &bands, &axis, scale));
    out.push_str("<section id=\"s-curves\"><h2>Curves</h2><p class=\"help\">On the same time axis (zooming the chart above zooms these). Each point is the most seen at once in its window; the TLB's rate is its hits over its lookups in the window.</p>");
    out.push_str(&curves::draw(t, scale, r.tlb.hit_rate() * 100.0));
    out.push_str("</section>\n");
    out.push_str(&heap_section(t, r));
    out.push_str("<section id=\"s-tables\"><h2>The page tables at exit</h2><p class=\"help\">Two levels, as the MMU walks them: the directory's entries point at page tables, their entries at frames. Click to open; click an entry's row to mark its pages on the address space above.</p>");
    out.push_str(&page_tables::tree(r.at_exit.pd_frame, &r.at_exit.tables));
    out.push_str("</section>\n");
    let _ = write!(
        out,
        "<section id=\"s-report\"><h2>The memory report</h2><details><summary>what <code>toyemu run --report</code> prints for this run</summary><pre>{}</pre></details></section>",
        esc(&crate::report::text(r))
    );
    let data = json!({
        "insns": scale.end,
        "width": scale.width,
        "windows": t.window_count(),
        "axis": axis.pieces.iter().map(|p| json!([p.lo, p.hi, p.top, p.height, p.what == Stretch::Mapped])).collect::<Vec<_>>(),
        "curves": curves::data(t.windows.cells()),
    });
    // `</` cannot end the script block early: JSON allows `<\/`.
    let data = data.to_string().replace("</", "<\\/");
    let _ = write!(
        out,
        "<div id=\"tip\" hidden></div>\n<script type=\"application/json\" id=\"data\">{data}</script>\n<script>{SCRIPT}</script>\n</body></html>\n"
    );
    out
}

/// What became of the process, in one paragraph.
fn summary(t: &Timeline, r: &ExitReport) -> String {
    let s = &r.stats;
    let ending = match r.status.death() {
        Some(d) => format!("was killed by {}", d.signal()),
        None => format!("exited with {}", r.status.code()),
    };
    let leaked = r.at_exit.leaks.requested();
    let blocks = r.at_exit.leaks.blocks.len();
    let mut p = format!(
        "<p class=\"summary\"><b>{}</b> {ending} after {} instructions: {} syscalls, {} page faults ({} zero-fill, {} file-fill, {} stack growth), TLB hit rate {:.2}%, at most {} frames held, {} frames reclaimed at exit; {} bytes in {} block{} still allocated at exit.</p>",
        esc(&r.program),
        count(r.record.instructions),
        count(s.syscalls),
        count(s.faults),
        count(s.zero_fills),
        count(s.file_fills),
        count(s.stack_growths),
        r.tlb.hit_rate() * 100.0,
        count(s.peak_frames),
        count(r.record.reclaimed_at_exit.total_returned()),
        count(leaked),
        blocks,
        if blocks == 1 { "" } else { "s" },
    );
    let _ = write!(
        p,
        "<p class=\"help\">{} trace events, summed into {} windows of {} instruction{} each.{}</p>",
        count(t.events),
        t.window_count(),
        count(t.windows.width()),
        if t.windows.width() == 1 { "" } else { "s" },
        dropped(t)
    );
    p
}

/// Anything the bounds left out, said plainly.
fn dropped(t: &Timeline) -> String {
    let mut s = String::new();
    if t.bands.dropped > 0 {
        let _ = write!(
            s,
            " {} short-lived mapping pieces are not drawn.",
            t.bands.dropped
        );
    }
    if t.notable_dropped > 0 {
        let _ = write!(
            s,
            " {} signals and other events past the first {} are not marked.",
            t.notable_dropped,
            crate::html::collect::MAX_NOTABLE
        );
    }
    if t.marks.shift() > 0 {
        let _ = write!(
            s,
            " A fault tick stands for {} pages.",
            1u64 << t.marks.shift()
        );
    }
    if t.resident.shift() > 0 {
        let _ = write!(
            s,
            " Resident shading is by {} pages.",
            1u64 << t.resident.shift()
        );
    }
    s
}

fn space_section(
    t: &Timeline,
    bands: &[crate::html::bands::Band],
    axis: &Axis,
    scale: Scale,
) -> String {
    let mut out = String::from("<section id=\"s-space\"><h2>The address space over time</h2><p class=\"help\">Instructions run left to right; addresses go up, the 4 GiB folded where nothing was ever mapped. Each mapping is a band from the moment it was made to the moment it went; a deeper colour is pages that held a frame; ticks are page faults at their address; the dashed line is the program break; the strip on top has a tick per syscall (tall: the calls that change the address space) and a blue dot where the heap was walked. Hover for the event as the trace prints it. Wheel: zoom in time (with Shift: in addresses); drag: pan.</p>");
    out.push_str("<div class=\"legend-row\">");
    for (class, label) in [
        ("k-code", "code (elf r-x)"),
        ("k-rodata", "read-only data"),
        ("k-data", "data, .bss"),
        ("k-heap", "heap"),
        ("k-mmap", "mmap"),
        ("k-stack", "stack"),
        ("k-none", "PROT_NONE"),
    ] {
        let _ = write!(out, "<span class=\"{class}\">{label}</span>");
    }
    out.push_str("<span class=\"resident\">deeper colour: pages that held a frame</span>");
    for lane in Lane::ALL {
        let _ = write!(
            out,
            "<span class=\"l-{}\">{}</span>",
            lane.class(),
            lane.name()
        );
    }
    out.push_str(
        "</div><div class=\"tools\"><button id=\"reset\" type=\"button\">reset zoom</button></div>",
    );
    out.push_str(&timeline::draw(t, bands, axis, scale));
    out.push_str("</section>\n");
    out
}

/// The heap at exit with its leaks, and every snapshot taken on the way.
fn heap_section(t: &Timeline, r: &ExitReport) -> String {
    let mut out = String::from("<section id=\"s-heap\"><h2>The heap</h2>");
    let heap = &r.at_exit.heap;
    if !heap.walkable() {
        out.push_str("<p>not linked with the toyemu libc: no heap to walk.</p></section>\n");
        return out;
    }
    out.push_str("<p class=\"help\">The malloc heap chunk by chunk, each as wide as its bytes (headers included), a row per stretch of the heap. At exit, a block still in use is coloured by what the leak check found: nothing points to it (definitely lost), only lost blocks do (indirectly), only a pointer into its middle (possibly), or it is still reachable. Hover a chunk for its header and where it was allocated. The buttons show the heap after the memory calls (the dots on the timeline's strip).</p><div class=\"heaptabs\">");
    let exit = t.heaps.len();
    for (i, s) in t.heaps.iter().enumerate() {
        let _ = write!(
            out,
            "<button type=\"button\" data-snap=\"{i}\" title=\"{}\">at {}</button>",
            esc(&s.after),
            count(s.insns)
        );
    }
    let _ = write!(
        out,
        "<button type=\"button\" class=\"active\" data-snap=\"{exit}\">at exit</button></div>"
    );
    for (i, s) in t.heaps.iter().enumerate() {
        let _ = write!(
            out,
            "<div class=\"heapview\" data-snap=\"{i}\" hidden><p>after <code>{}</code>, walked at instruction {}: {} chunks</p>{}</div>",
            esc(&s.after),
            count(s.insns),
            s.heap.chunks.len(),
            heap_map::draw(&s.heap, None, &r.symbols, &format!("heap-{i}"), heap_map::SNAPSHOT_BLOCKS)
        );
    }
    let _ = write!(
        out,
        "<div class=\"heapview\" data-snap=\"{exit}\"><p>at exit: {} chunks from {:#010x} to {:#010x}, {} mmap'd apart</p>{}{}</div></section>",
        heap.chunks.len(),
        heap.start,
        heap.end,
        heap.mmapped.len(),
        heap_map::draw(heap, Some(&r.at_exit.leaks), &r.symbols, "heap-exit", heap_map::EXIT_BLOCKS),
        heap_map::leak_table(&r.at_exit.leaks, &r.symbols)
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Options, Session};
    use std::path::Path;
    use toyemu_kernel::Console;

    /// `program` run as `toyemu run --html` runs it: the recorder and the report.
    fn recorded(program: &str, opts: &Options) -> (Recorder, ExitReport) {
        let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(program);
        let bytes = std::fs::read(&path).unwrap();
        let rec = Recorder::new();
        let console = Console::captured(
            Box::new(std::io::empty()),
            Box::new(std::io::sink()),
            Box::new(std::io::sink()),
        );
        // argv[0] as run_captured gives it, so the stacks are alike.
        let argv = [path.display().to_string()];
        let mut s = Session::boot(&path, bytes, &argv, opts, console, vec![rec.sink()]).unwrap();
        s.set_probe(rec.probe(s.symbols.clone()));
        let report = s.run_to_exit();
        (rec, report)
    }

    /// The probe slices the run to sample it: the run must not notice.
    #[test]
    fn a_recorded_run_is_the_same_run() {
        let opts = Options {
            page_table_entries: true,
            ..Options::default()
        };
        for program in [
            "userland/leak_demo",
            "userland/sigsegv_demo",
            "userland/tlb_demo",
        ] {
            let (_, r) = recorded(program, &opts);
            let path = Path::new(env!("CARGO_MANIFEST_DIR")).join(program);
            let plain = crate::run_captured(&path, &[], &opts, b"").unwrap().report;
            assert_eq!(r.status, plain.status, "{program}");
            assert_eq!(r.stats, plain.stats, "{program}");
            assert_eq!(r.tlb, plain.tlb, "{program}");
            assert_eq!(
                r.record.instructions, plain.record.instructions,
                "{program}"
            );
            let lines = |r: &ExitReport| r.events.iter().map(|e| e.to_string()).collect::<Vec<_>>();
            let (a, b) = (lines(&r), lines(&plain));
            let differ = a.iter().zip(&b).position(|(x, y)| x != y);
            assert_eq!(
                (differ, a.len()),
                (None, b.len()),
                "{program}: first difference"
            );
        }
    }

    #[test]
    fn every_page_is_whole_and_its_scripts_are_not_cut_short() {
        let opts = Options {
            page_table_entries: true,
            keep_events: false,
            ..Options::default()
        };
        for program in [
            "userland/hello",
            "userland/segv_demo",
            "userland/mmap_demo",
            "userland/leak_demo",
        ] {
            let (rec, r) = recorded(program, &opts);
            rec.finish(r.record.instructions, r.tlb);
            let page = render(&rec.timeline(), &r);
            assert!(page.ends_with("</body></html>\n"), "{program}");
            assert_eq!(page.matches("<script").count(), 2, "{program}");
            assert_eq!(
                page.matches("</script>").count(),
                2,
                "{program}: text closed a script"
            );
            assert_eq!(
                page.matches("<svg").count(),
                page.matches("</svg>").count(),
                "{program}"
            );
            let tables = r.at_exit.page_tables.len();
            assert_eq!(
                page.matches("<details class=\"pt\"").count(),
                tables,
                "{program}"
            );
        }
        let (rec, r) = recorded("userland/segv_demo", &opts);
        assert!(render(&rec.timeline(), &r).contains("was killed by SIGSEGV"));
    }
}
