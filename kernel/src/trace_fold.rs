//! The line trace with runs folded: a memset over a 256 KiB block is one
//! fault line and `--- 63 more zero-fill faults in mmap 0xb7fbf000-0xb7fff000 ---`,
//! not 64 lines. The JSON trace and `--no-fold` keep every event.
//!
//! A *unit* is one key event — a resolved page fault, a user page's frame
//! freed, an `invlpg` — with the lines printed since the previous unit that go
//! with it (its frame taken, TLB activity, a page table taken, the stack
//! grown). Units alike in every line form a run: the first is printed as
//! it is, the rest are counted; when the run ends (any other event, shown
//! or not, or the sink is dropped) one summary line stands for them. A run of one extra
//! unit is printed as it is: a summary would be no shorter.

use crate::fault::{Fill, Mapped};
use crate::frame::FrameUse;
use crate::ledger::Cause;
use crate::trace::{Categories, Event, EventKind, TraceSink};
use crate::vma::VmaKind;
use std::io::Write;
use toyemu_emulator::{TlbEvent, VirtAddr, PAGE_SIZE};

/// Lines that may go with a key event, held until one comes; more than
/// this many without one are printed as they are.
const MAX_COMPANIONS: usize = 8;

/// What makes two units alike: their key event's shape and their companions'.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Shape {
    key: KeyShape,
    companions: Vec<Companion>,
    /// The process (runs of different processes are not folded together).
    pid: Option<u32>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum KeyShape {
    /// A fault resolved in the VMA of this kind starting there (the stack's
    /// start moves as it grows, so for it only the kind counts).
    Fault {
        kind: VmaKind,
        vma: Option<VirtAddr>,
        fill: Fill,
        grew: bool,
        code: u32,
    },
    Freed(Cause),
    /// An `invlpg` that dropped an entry (munmap's, exit's).
    Invalidated,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Companion {
    FrameMapped(Cause),
    TableTaken,
    TlbFill,
    StackResized,
}

impl Companion {
    fn of(kind: &EventKind) -> Option<Companion> {
        Some(match kind {
            EventKind::FrameMapped { cause, .. } => Companion::FrameMapped(*cause),
            EventKind::Frame(n) if n.taken && matches!(n.used_for, FrameUse::PageTable { .. }) => {
                Companion::TableTaken
            }
            EventKind::Tlb(TlbEvent::Fill { .. }) => Companion::TlbFill,
            EventKind::VmaResized {
                kind: VmaKind::Stack,
                ..
            } => Companion::StackResized,
            _ => return None,
        })
    }

    /// The category its lines belong to, for the summary's "and their ..." note.
    fn category(self) -> &'static str {
        match self {
            Companion::FrameMapped(_) | Companion::TableTaken => "frame",
            Companion::TlbFill => "tlb",
            Companion::StackResized => "vma",
        }
    }
}

/// The key event of a unit: its shape and the page it concerns.
fn key_of(kind: &EventKind) -> Option<(KeyShape, VirtAddr)> {
    match kind {
        EventKind::PageFault {
            addr,
            code,
            result: Ok(m),
            ..
        } => Some((fault_shape(m, code.bits()), addr.page_base())),
        EventKind::Tlb(TlbEvent::Invalidate { vpn }) => {
            Some((KeyShape::Invalidated, VirtAddr(vpn << 12)))
        }
        EventKind::Frame(n) if !n.taken => match n.used_for {
            FrameUse::Page { va, cause } => Some((KeyShape::Freed(cause), va)),
            _ => None,
        },
        _ => None,
    }
}

fn fault_shape(m: &Mapped, code: u32) -> KeyShape {
    KeyShape::Fault {
        kind: m.kind,
        vma: (m.kind != VmaKind::Stack).then_some(m.vma_start),
        fill: m.fill,
        grew: m.grown.is_some(),
        code,
    }
}

/// The units folded so far after the first of a run.
struct Run {
    shape: Shape,
    /// Folded units, not counting the first, which was printed.
    folded: u64,
    /// The pages of the whole run, the first unit's included.
    lo: VirtAddr,
    hi: VirtAddr,
    /// The one folded unit's lines, printed as they are if no other follows.
    held: Vec<Event>,
}

/// A sink writing the strace-like trace of `categories`, runs folded.
pub struct FoldedLines<W: Write> {
    out: W,
    categories: Categories,
    run: Option<Run>,
    /// Companion lines waiting for their key event.
    pending: Vec<Event>,
}

impl<W: Write> FoldedLines<W> {
    pub fn new(out: W, categories: Categories) -> FoldedLines<W> {
        FoldedLines {
            out,
            categories,
            run: None,
            pending: Vec::new(),
        }
    }

    fn print(&mut self, e: &Event) {
        // A trace that cannot be written must not disturb the guest.
        let _ = writeln!(self.out, "{e}");
    }

    /// End the run: its summary (or its one held unit), then what waits.
    fn flush(&mut self) {
        if let Some(run) = self.run.take() {
            match run.folded {
                0 => {}
                1 => run.held.iter().for_each(|e| self.print(e)),
                n => {
                    let line = summary(&run.shape, n, run.lo, run.hi);
                    let _ = writeln!(self.out, "{line}");
                }
            }
        }
        for e in std::mem::take(&mut self.pending) {
            self.print(&e);
        }
    }

    /// A key event with the pending companions before it.
    fn unit(&mut self, e: &Event, key: KeyShape, page: VirtAddr) {
        let shape = Shape {
            key,
            companions: self
                .pending
                .iter()
                .filter_map(|p| Companion::of(&p.kind))
                .collect(),
            pid: e.pid,
        };
        let end = VirtAddr(page.0.saturating_add(PAGE_SIZE));
        if let Some(run) = self.run.as_mut().filter(|r| r.shape == shape) {
            run.folded += 1;
            run.lo = run.lo.min(page);
            run.hi = run.hi.max(end);
            if run.folded == 1 {
                run.held = std::mem::take(&mut self.pending);
                run.held.push(e.clone());
            } else {
                self.pending.clear();
            }
            return;
        }
        self.flush_run_only();
        for p in std::mem::take(&mut self.pending) {
            self.print(&p);
        }
        self.print(e);
        self.run = Some(Run {
            shape,
            folded: 0,
            lo: page,
            hi: end,
            held: Vec::new(),
        });
    }

    /// End the run but keep the pending lines (they belong to what follows).
    fn flush_run_only(&mut self) {
        let pending = std::mem::take(&mut self.pending);
        self.flush();
        self.pending = pending;
    }
}

impl<W: Write> TraceSink for FoldedLines<W> {
    fn event(&mut self, e: &Event) {
        if !(e.kind.always_shown() || self.categories.intersects(e.kind.category())) {
            // An event not shown still ends a run if it is no part of one:
            // the run stands for what happened before it.
            if key_of(&e.kind).is_none() && Companion::of(&e.kind).is_none() {
                self.flush();
            }
            return;
        }
        if let Some((key, page)) = key_of(&e.kind) {
            self.unit(e, key, page);
        } else if Companion::of(&e.kind).is_some() && self.pending.len() < MAX_COMPANIONS {
            self.pending.push(e.clone());
        } else {
            self.flush();
            self.print(e);
        }
    }

    /// A syscall is about to run, and may write the guest's output: the
    /// faults before it must be on the screen before that.
    fn settle(&mut self) {
        self.flush();
    }
}

impl<W: Write> Drop for FoldedLines<W> {
    fn drop(&mut self) {
        self.flush();
        let _ = self.out.flush();
    }
}

/// `--- 63 more zero-fill faults in mmap 0xb7fbf000-0xb7fff000 ---`: the
/// count of folded units, the pages of the whole run.
fn summary(shape: &Shape, n: u64, lo: VirtAddr, hi: VirtAddr) -> String {
    let prefix = shape
        .pid
        .map(|p| format!("[pid {p:>5}] "))
        .unwrap_or_default();
    let body = match shape.key {
        KeyShape::Fault {
            kind, fill, grew, ..
        } => {
            let how = match (grew, fill) {
                (true, _) => "stack growth",
                (false, Fill::Zero) => "zero-fill",
                (false, Fill::File) => "file-fill",
                (false, Fill::CowCopy) => "copy-on-write copy",
                (false, Fill::CowReuse) => "copy-on-write reuse",
            };
            format!("--- {n} more {how} faults in {kind} {lo}-{hi}")
        }
        KeyShape::Freed(cause) => {
            format!("--- {n} more frames freed from {cause} pages in {lo}-{hi}")
        }
        KeyShape::Invalidated => format!("--- {n} more tlb invlpg in {lo}-{hi}"),
    };
    let mut line = prefix + &body;
    let mut also: Vec<&str> = shape.companions.iter().map(|c| c.category()).collect();
    also.sort_unstable();
    also.dedup();
    if !also.is_empty() {
        line.push_str(&format!(", with their {} lines", also.join(" and ")));
    }
    line.push_str(" ---");
    line
}
