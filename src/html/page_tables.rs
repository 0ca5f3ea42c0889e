//! The page tables at exit as a tree to click open: the directory, each
//! page table under its directory entry, and the table's entries, with
//! runs of neighbours alike (same flags) on one row so a table of 1,024
//! entries takes a few. Clicking a row marks its pages on the timeline.
//! `<details>` elements: the tree opens and closes without the script.

use crate::html::svg::esc;
use std::fmt::Write;
use toyemu_emulator::paging::{describe, ENTRIES};
use toyemu_emulator::Pte;

/// Rows drawn at most over all tables.
const MAX_ROWS: usize = 8_000;

/// A run of entries `first..=last` of one table with the same flags.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Run {
    first: usize,
    last: usize,
    flags: String,
    frames: Vec<u32>,
    present: bool,
}

/// The entries of one table as runs.
fn runs(entries: &[(usize, Pte)]) -> Vec<Run> {
    let mut out: Vec<Run> = Vec::new();
    for &(i, pte) in entries {
        let flags = describe(pte.flags());
        match out.last_mut() {
            Some(r) if r.last + 1 == i && r.flags == flags => {
                r.last = i;
                r.frames.push(pte.frame().0);
            }
            _ => out.push(Run {
                first: i,
                last: i,
                flags,
                frames: vec![pte.frame().0],
                present: pte.is_present(),
            }),
        }
    }
    out
}

/// `frame 0x4`, `frames 0x12-0x52`, or the first few of a scattered run.
fn frames_text(frames: &[u32]) -> String {
    let consecutive = frames.windows(2).all(|w| w[1] == w[0] + 1);
    match frames {
        [one] => format!("frame {one:#x}"),
        [a, .., b] if consecutive => format!("frames {a:#x}-{b:#x}"),
        _ => {
            let shown: Vec<String> = frames.iter().take(4).map(|f| format!("{f:#x}")).collect();
            let more = if frames.len() > 4 { " …" } else { "" };
            format!("frames {}{more}", shown.join(" "))
        }
    }
}

/// The tree for the directory in `pd_frame` and its `tables`.
pub fn tree(pd_frame: u32, tables: &[crate::inspect::TableEntries]) -> String {
    let used: usize = tables.iter().map(|t| t.entries.len()).sum();
    let mut out = format!(
        r#"<details class="pd" open><summary>page directory in frame {pd_frame:#x}: {} page table{} of 1,024 possible, {used} entries in use; {} KiB of tables in all (a flat table for 4 GiB would take 4 MiB)</summary><ul>"#,
        tables.len(),
        if tables.len() == 1 { "" } else { "s" },
        4 * (tables.len() + 1)
    );
    let mut rows = 0;
    for t in tables {
        let base = (t.pd_index as u64) << 22;
        let _ = write!(
            out,
            r#"<li><details class="pt" data-va="{base:#010x}" data-end="{:#010x}"><summary>PDE {:#05x} → table in frame {:#x}: {:#010x}-{:#010x}, {} of {ENTRIES} entries [{}]</summary><table class="ptes"><tr><th>entries</th><th>addresses</th><th>pages</th><th>maps to</th><th>flags</th></tr>"#,
            base + (1 << 22),
            t.pd_index,
            t.pde.frame().0,
            base,
            base + (1 << 22) - 1,
            t.entries.len(),
            describe(t.pde.flags())
        );
        for r in runs(&t.entries) {
            if rows == MAX_ROWS {
                out.push_str(r#"<tr><td colspan="5">… (the rest left out)</td></tr>"#);
                break;
            }
            rows += 1;
            let va = |i: usize| base + ((i as u64) << 12);
            let target = match r.present {
                true => frames_text(&r.frames),
                false => "not present (PROT_NONE, frame kept)".to_string(),
            };
            let _ = write!(
                out,
                r#"<tr class="pte" data-va="{:#010x}" data-end="{:#010x}"><td>{:#05x}-{:#05x}</td><td>{:#010x}-{:#010x}</td><td>{}</td><td>{}</td><td>{}</td></tr>"#,
                va(r.first),
                va(r.last + 1),
                r.first,
                r.last,
                va(r.first),
                va(r.last + 1) - 1,
                r.last - r.first + 1,
                esc(&target),
                r.flags
            );
        }
        out.push_str("</table></details></li>");
    }
    out.push_str("</ul></details>");
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use toyemu_emulator::paging::PteFlags;
    use toyemu_emulator::Frame;

    fn pte(frame: u32, flags: PteFlags) -> Pte {
        Pte::new(Frame(frame), flags)
    }

    #[test]
    fn neighbours_alike_share_a_row() {
        let rx = PteFlags::P | PteFlags::US;
        let rw = rx | PteFlags::RW;
        let e = [
            (0x48, pte(4, rx)),
            (0x49, pte(5, rx)),
            (0x4a, pte(9, rx)),
            (0x50, pte(7, rw)),
        ];
        let r = runs(&e);
        assert_eq!(r.len(), 2);
        assert_eq!((r[0].first, r[0].last, r[0].frames.len()), (0x48, 0x4a, 3));
        assert_eq!(frames_text(&r[0].frames), "frames 0x4 0x5 0x9");
        assert_eq!(frames_text(&[0x12, 0x13, 0x14]), "frames 0x12-0x14");
        assert_eq!(frames_text(&r[1].frames), "frame 0x7");
    }
}
