//! The collector: a trace sink that folds the kernel's events, as they
//! arrive, into what the page draws — per-window counts ([`Window`]), the
//! mappings over time ([`Bands`]), resident pages ([`Residency`]), fault
//! ticks ([`Marks`]) and the few events worth a line of their own — and a
//! [`Probe`] that samples the TLB's counters at each window's end and
//! walks the heap after the calls that grow or shrink it. Nothing it
//! keeps grows with the length of the run: windows merge, buckets grow.

use crate::heap::{self, Heap};
use crate::html::bands::Bands;
use crate::html::marks::{Lane, Marks};
use crate::html::resident::Residency;
use crate::html::svg::vma_class;
use crate::html::windows::{Merge, Windows};
use crate::symbols::Symbols;
use crate::Probe;
use std::cell::{Ref, RefCell};
use std::collections::BTreeMap;
use std::rc::Rc;
use toyemu_emulator::TlbStats;
use toyemu_kernel::frame::FrameUse;
use toyemu_kernel::{Cause, Event, EventKind, FaultError, Fill, Kernel, Process, TraceSink};

/// Events with a line of their own (signals, kills, memcheck, exec, exit)
/// kept at most.
pub const MAX_NOTABLE: usize = 256;
/// Heap walks kept at most; past that every other one is dropped.
pub const MAX_HEAP_SNAPSHOTS: usize = 16;
/// A heap of more chunks than this is walked only at exit.
const SNAPSHOT_CHUNKS: usize = 50_000;
/// Slices a pending heap walk waits for a heap that walks cleanly (the
/// program may be inside malloc, between a header and the next).
const SNAPSHOT_TRIES: u32 = 64;

/// The syscalls that change the address space, marked apart from the rest.
pub const MEMORY_CALLS: &[&str] = &[
    "brk", "mmap", "mmap2", "munmap", "mprotect", "mremap", "madvise",
];

/// What one window of instructions saw.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Window {
    /// Faults and memcheck errors by [`Lane`].
    pub faults: [u32; Lane::ALL.len()],
    pub syscalls: u32,
    /// The memory syscalls among them.
    pub memory_calls: u32,
    /// The first syscall's trace line, and the first memory syscall's.
    pub first_call: Option<String>,
    pub first_memory_call: Option<String>,
    pub tlb_hits: u64,
    pub tlb_misses: u64,
    /// The most frames held at once, by cause ([`Cause::ALL`] order), and in all.
    pub frames: [u32; Cause::ALL.len()],
    pub total: u32,
    /// The highest program break.
    pub brk: u32,
    pub events: u64,
}

impl Merge for Window {
    fn merge(&mut self, b: Self) {
        for (a, b) in self.faults.iter_mut().zip(b.faults) {
            *a += b;
        }
        self.syscalls += b.syscalls;
        self.memory_calls += b.memory_calls;
        self.first_call = self.first_call.take().or(b.first_call);
        self.first_memory_call = self.first_memory_call.take().or(b.first_memory_call);
        self.tlb_hits += b.tlb_hits;
        self.tlb_misses += b.tlb_misses;
        for (a, b) in self.frames.iter_mut().zip(b.frames) {
            *a = (*a).max(b);
        }
        self.total = self.total.max(b.total);
        self.brk = self.brk.max(b.brk);
        self.events += b.events;
    }
}

/// An event drawn on its own: a line across the timeline.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Notable {
    pub insns: u64,
    /// `exec`, `signal`, `killed`, `memcheck`, `exit`.
    pub what: &'static str,
    pub line: String,
}

/// The heap as one walk found it, and when.
#[derive(Clone, Debug)]
pub struct HeapSnapshot {
    pub insns: u64,
    /// The call after which it was walked.
    pub after: String,
    pub heap: Heap,
}

/// Everything the page is drawn from.
#[derive(Default)]
pub struct Timeline {
    pub windows: Windows<Window>,
    pub bands: Bands,
    pub resident: Residency,
    pub marks: Marks,
    pub notable: Vec<Notable>,
    /// Notable events past [`MAX_NOTABLE`], counted only.
    pub notable_dropped: u64,
    pub heaps: Vec<HeapSnapshot>,
    pub events: u64,
    /// The last event's instruction count.
    pub last_insns: u64,
    /// Where the heap starts (the initial break).
    pub brk_start: u32,
    /// The TLB was sampled during the run (not for a stepped run).
    pub tlb_sampled: bool,
    frames: [u32; Cause::ALL.len()],
    brk: u32,
    /// The last TLB sample: instructions, hits, misses.
    tlb_at: (u64, u64, u64),
    /// A memory call since the last heap walk: walk at the next slice,
    /// within this many tries.
    heap_pending: Option<(String, u32)>,
    /// The class each resident page was drawn with when it got its frame
    /// (an mprotect since does not move it to another track), by page.
    page_class: BTreeMap<u32, &'static str>,
}

impl Timeline {
    /// The window of `insns`, folding the keyed summaries when the
    /// windows double.
    fn window(&mut self, insns: u64) -> &mut Window {
        let (frames, brk) = (self.frames, self.brk);
        let (doubled, w) = self.windows.reach(insns, || Window {
            frames,
            total: frames.iter().sum(),
            brk,
            ..Window::default()
        });
        self.marks.windows_doubled(doubled);
        self.resident.windows_doubled(doubled);
        w
    }

    /// One event from the kernel.
    pub fn event(&mut self, e: &Event) {
        self.events += 1;
        self.last_insns = self.last_insns.max(e.insns);
        let t = e.insns;
        self.window(t).events += 1;
        match &e.kind {
            EventKind::Syscall { name, .. } => self.syscall(e, name),
            EventKind::PageFault { addr, result, .. } => {
                let lane = match result {
                    Ok(m) if m.grown.is_some() => Lane::StackGrowth,
                    Ok(m) if m.fill == Fill::File => Lane::FileFill,
                    Ok(_) => Lane::ZeroFill,
                    Err(FaultError::Segv { .. }) => Lane::Segv,
                    Err(FaultError::Bus { .. }) => Lane::Bus,
                    Err(FaultError::OutOfMemory { .. }) => Lane::OutOfMemory,
                };
                self.mark(e, addr.0, lane);
            }
            EventKind::Memcheck { addr, .. } => {
                self.mark(e, addr.0, Lane::Memcheck);
                self.note(e, "memcheck");
            }
            EventKind::VmaCreated {
                start,
                end,
                prot,
                kind,
            } => self
                .bands
                .create(start.0, end.0, *kind, *prot, t, &e.to_string()),
            EventKind::VmaRemoved { start, end, .. } => {
                self.unshade(t, start.0 >> 12, end.0 >> 12);
                self.bands.remove(start.0, end.0, t, &e.to_string())
            }
            EventKind::VmaProtect { start, end, prot } => {
                self.bands.protect(start.0, end.0, *prot, t, &e.to_string())
            }
            EventKind::VmaResized { kind, start, end } => {
                self.bands.resize(*kind, start.0, end.0, t, &e.to_string())
            }
            EventKind::InitialBreak { brk } => {
                self.brk_start = brk.0;
                self.set_brk(t, brk.0);
            }
            EventKind::BrkMoved { new, .. } => self.set_brk(t, new.0),
            EventKind::FrameMapped { cause, va, .. } => self.frame(t, *cause, Some(va.0), true),
            EventKind::Frame(n) => match n.used_for {
                FrameUse::Page { va, cause } => self.frame(t, cause, Some(va.0), n.taken),
                FrameUse::Directory | FrameUse::PageTable { .. } => {
                    self.frame(t, Cause::PageTable, None, n.taken)
                }
            },
            EventKind::Signal { .. } => self.note(e, "signal"),
            EventKind::Killed { .. } => self.note(e, "killed"),
            EventKind::Exec { .. } => self.note(e, "exec"),
            EventKind::Exit { .. } => self.note(e, "exit"),
            EventKind::Forked { .. } => self.note(e, "fork"),
            EventKind::ThreadCreated { .. } => self.note(e, "thread"),
            EventKind::ThreadExited { .. } => {}
            EventKind::AddressSpaceReplaced { .. } => self.note(e, "exec"),
            EventKind::Switch { .. } | EventKind::Reaped { .. } => {}
            EventKind::Tlb(_) | EventKind::SegmentLoaded { .. } | EventKind::StackReady { .. } => {}
        }
    }

    fn syscall(&mut self, e: &Event, name: &str) {
        let memory = MEMORY_CALLS.contains(&name);
        let w = self.window(e.insns);
        w.syscalls += 1;
        if w.first_call.is_some() && !memory {
            return;
        }
        let line = e.to_string();
        w.first_call.get_or_insert_with(|| line.clone());
        if memory {
            w.memory_calls += 1;
            w.first_memory_call.get_or_insert_with(|| line.clone());
            self.heap_pending = Some((line, SNAPSHOT_TRIES));
        }
    }

    fn mark(&mut self, e: &Event, addr: u32, lane: Lane) {
        let w = self.window(e.insns);
        w.faults[lane as usize] += 1;
        let win = self.windows.index(e.insns);
        self.marks
            .add(win, addr >> 12, lane, e.seq, || e.to_string());
    }

    fn note(&mut self, e: &Event, what: &'static str) {
        if self.notable.len() < MAX_NOTABLE {
            self.notable.push(Notable {
                insns: e.insns,
                what,
                line: e.to_string(),
            });
        } else {
            self.notable_dropped += 1;
        }
    }

    fn set_brk(&mut self, t: u64, brk: u32) {
        // A window opened now starts from the old break.
        self.window(t);
        self.brk = brk;
        let w = self.window(t);
        w.brk = w.brk.max(brk);
    }

    /// A frame taken (`up`) or given back, for a user page at `va` or a table.
    fn frame(&mut self, t: u64, cause: Cause, va: Option<u32>, up: bool) {
        let c = Cause::ALL.iter().position(|&x| x == cause).unwrap_or(0);
        // A window opened now starts from the frames held before.
        self.window(t);
        self.frames[c] = match up {
            true => self.frames[c] + 1,
            false => self.frames[c].saturating_sub(1),
        };
        let (frames, total) = (self.frames, self.frames.iter().sum::<u32>());
        let w = self.window(t);
        w.frames[c] = w.frames[c].max(frames[c]);
        w.total = w.total.max(total);
        if let Some(va) = va {
            let (vpn, win) = (va >> 12, self.windows.index(t));
            let now = || {
                self.bands
                    .live_at(va)
                    .map_or("k-none", |(k, p)| vma_class(k, p))
            };
            let class = match up {
                true => *self.page_class.entry(vpn).or_insert_with(now),
                false => self.page_class.remove(&vpn).unwrap_or_else(now),
            };
            self.resident.change(win, vpn, class, up);
        }
    }

    /// Pages `[first, last)` are gone with their mapping: any still shaded
    /// (mremap moves pages without freeing them) stop being resident here.
    fn unshade(&mut self, t: u64, first: u32, last: u32) {
        let win = self.windows.index(t);
        let left: Vec<(u32, &'static str)> = self
            .page_class
            .range(first..last.max(first))
            .map(|(&v, &c)| (v, c))
            .collect();
        for (vpn, class) in left {
            self.page_class.remove(&vpn);
            self.resident.change(win, vpn, class, false);
        }
    }

    /// The TLB's counters at `insns`: what changed since the last sample
    /// goes to the window the last sample was in (a slice never crosses a
    /// window's end). Returns the instructions to the next window's end.
    pub fn sample_tlb(&mut self, insns: u64, tlb: TlbStats) -> u64 {
        let (at, hits, misses) = self.tlb_at;
        let w = self.window(at);
        w.tlb_hits += tlb.hits.saturating_sub(hits);
        w.tlb_misses += tlb.misses.saturating_sub(misses);
        self.tlb_at = (insns, tlb.hits, tlb.misses);
        let width = self.windows.width();
        width - insns % width
    }

    /// Walk the heap if a memory call asked for it and it walks cleanly.
    fn maybe_walk_heap(&mut self, k: &Kernel, p: &Process, syms: &Symbols) {
        let Some((after, tries)) = self.heap_pending.take() else {
            return;
        };
        let too_big = self
            .heaps
            .last()
            .is_some_and(|s| s.heap.chunks.len() > SNAPSHOT_CHUNKS);
        if too_big || p.mm().is_none() {
            return;
        }
        let heap = heap::walk(k, p, syms);
        if !heap.walkable() {
            return;
        }
        if heap.problem.is_some() || heap.chunks.is_empty() {
            if tries > 1 {
                self.heap_pending = Some((after, tries - 1));
            }
            return;
        }
        if self.heaps.last().is_some_and(|s| s.heap == heap) {
            return;
        }
        self.heaps.push(HeapSnapshot {
            insns: k.insns(),
            after,
            heap,
        });
        if self.heaps.len() > MAX_HEAP_SNAPSHOTS {
            let mut i = 0;
            self.heaps.retain(|_| {
                i += 1;
                i % 2 == 1
            });
        }
    }

    /// The run is over: the TLB's last counts, from the report's totals.
    pub fn finish(&mut self, insns: u64, tlb: TlbStats) {
        self.last_insns = self.last_insns.max(insns);
        self.sample_tlb(insns, tlb);
    }

    /// Windows up to the end of the run.
    pub fn window_count(&self) -> usize {
        self.windows.cells().len().max(1)
    }
}

/// The collector shared by its sink and its probe.
#[derive(Clone, Default)]
pub struct Recorder(Rc<RefCell<Timeline>>);

/// The sink half of a [`Recorder`].
struct Sink(Rc<RefCell<Timeline>>);

impl TraceSink for Sink {
    fn event(&mut self, e: &Event) {
        self.0.borrow_mut().event(e);
    }
}

impl Recorder {
    pub fn new() -> Recorder {
        Recorder::default()
    }

    /// The trace sink to hand the kernel.
    pub fn sink(&self) -> Box<dyn TraceSink> {
        Box::new(Sink(self.0.clone()))
    }

    /// The probe to hand the session: samples the TLB at each window's
    /// end and walks the heap (by `syms`) after memory calls.
    pub fn probe(&self, syms: Rc<Symbols>) -> Probe {
        let t = self.0.clone();
        Box::new(move |k: &Kernel, p: &Process| {
            let mut t = t.borrow_mut();
            t.tlb_sampled = true;
            t.maybe_walk_heap(k, p, &syms);
            t.sample_tlb(k.insns(), k.machine().mmu().tlb_stats())
        })
    }

    pub fn timeline(&self) -> Ref<'_, Timeline> {
        self.0.borrow()
    }

    /// See [`Timeline::finish`].
    pub fn finish(&self, insns: u64, tlb: TlbStats) {
        self.0.borrow_mut().finish(insns, tlb);
    }
}

/// A timeline made by hand, for the tests of the drawings.
#[cfg(test)]
pub(crate) mod example {
    use super::*;
    use toyemu_emulator::{Frame, PfCode, Pte, PteFlags, VirtAddr};
    use toyemu_kernel::frame::FrameNote;
    use toyemu_kernel::vma::{Prot, VmaKind};
    use toyemu_kernel::{Ledger, Mapped, Outcome};

    pub const START: VirtAddr = VirtAddr(0xb7fbf000);
    pub const END: VirtAddr = VirtAddr(0xb8000000);

    pub fn feed(t: &mut Timeline, insns: u64, kind: EventKind) {
        let seq = t.events + 1;
        t.event(&Event {
            seq,
            insns,
            kind,
            eip_name: None,
            pid: None,
        });
    }

    fn call(name: &'static str, result: u32) -> EventKind {
        EventKind::Syscall {
            nr: 0,
            name,
            args: [0; 6],
            args_text: "...".into(),
            result: Outcome::Addr(result),
        }
    }

    /// leak_demo's big block, event by event: mmap2, one fault, munmap, exit.
    pub fn big_block() -> Timeline {
        let mut t = Timeline::default();
        let rw = Prot::READ | Prot::WRITE;
        let (kind, cause) = (VmaKind::Mmap, Cause::Mmap);
        feed(
            &mut t,
            100,
            EventKind::VmaCreated {
                start: START,
                end: END,
                prot: rw,
                kind,
            },
        );
        feed(&mut t, 100, call("mmap2", START.0));
        let pte = Pte::new(Frame(0x12), PteFlags::P | PteFlags::RW | PteFlags::US);
        feed(
            &mut t,
            150,
            EventKind::FrameMapped {
                frame: Frame(0x12),
                cause,
                va: START,
                pte,
            },
        );
        let mapped = Mapped {
            kind,
            frame: Frame(0x12),
            pte,
            fill: Fill::Zero,
            grown: None,
            vma_start: START,
        };
        let code = PfCode::W | PfCode::U;
        feed(
            &mut t,
            150,
            EventKind::PageFault {
                addr: START,
                eip: VirtAddr(0x0804ceb9),
                code,
                result: Ok(mapped),
            },
        );
        let used_for = FrameUse::Page { va: START, cause };
        feed(
            &mut t,
            300,
            EventKind::Frame(FrameNote {
                frame: Frame(0x12),
                taken: false,
                used_for,
            }),
        );
        feed(
            &mut t,
            300,
            EventKind::VmaRemoved {
                start: START,
                end: END,
                kind,
                frames_freed: 1,
            },
        );
        feed(&mut t, 300, call("munmap", 0));
        let reclaimed = Ledger::default();
        feed(
            &mut t,
            400,
            EventKind::Exit {
                status: 0,
                signal: None,
                reclaimed,
                still_shared: 0,
            },
        );
        t
    }
}

#[cfg(test)]
mod tests {
    use super::example::{big_block, feed, END, START};
    use super::*;
    use toyemu_emulator::{Frame, Pte, PteFlags};
    use toyemu_kernel::vma::{Prot, VmaKind};

    #[test]
    fn a_mapping_its_fault_and_its_unmap_are_on_the_timeline() {
        let t = big_block();
        let w = t.windows.cells();
        let sum = |f: &dyn Fn(&Window) -> u32| w.iter().map(f).sum::<u32>();
        assert_eq!(sum(&|w| w.faults[Lane::ZeroFill as usize]), 1);
        assert_eq!((sum(&|w| w.syscalls), sum(&|w| w.memory_calls)), (2, 2));
        let mmap = Cause::ALL.iter().position(|&c| c == Cause::Mmap).unwrap();
        assert_eq!(w[t.windows.index(150)].frames[mmap], 1);
        assert_eq!(w[t.windows.index(400)].frames[mmap], 0);
        let bands = t.bands.all(400);
        assert_eq!(bands.len(), 1);
        assert_eq!((bands[0].from, bands[0].to), (100, 300));
        assert!(bands[0]
            .closed
            .as_deref()
            .is_some_and(|l| l.contains("mmap removed, 1 frames freed")));
        let ticks = t.marks.cells();
        assert_eq!(ticks.len(), 1);
        assert!(ticks[0]
            .3
            .line
            .starts_with("--- page fault at 0xb7fbf000 (write not-present)"));
        let shaded = t.resident.spans(t.window_count() as u32);
        assert_eq!(shaded.len(), 1);
        assert_eq!((shaded[0].vpn, shaded[0].class), (0xb7fbf, "k-mmap"));
        assert_eq!(
            t.notable.iter().map(|n| n.what).collect::<Vec<_>>(),
            ["exit"]
        );
        assert_eq!(t.last_insns, 400);
    }

    #[test]
    fn tlb_counts_go_to_the_window_their_slice_ran_in() {
        let mut t = big_block();
        let stats = |hits, misses| TlbStats {
            hits,
            misses,
            ..TlbStats::default()
        };
        t.sample_tlb(0, stats(0, 0));
        let next = t.sample_tlb(200, stats(90, 10));
        assert_eq!(
            (200 + next) % t.windows.width(),
            0,
            "the next slice ends a window"
        );
        t.finish(400, stats(150, 10));
        let w = t.windows.cells();
        assert_eq!((w[0].tlb_hits, w[0].tlb_misses), (90, 10));
        assert_eq!(w[t.windows.index(200)].tlb_hits, 60);
    }

    /// mremap takes frames along with no event per page: when the old
    /// mapping goes, its pages stop being shaded there.
    #[test]
    fn pages_moved_away_unseen_stop_being_shaded_with_their_mapping() {
        let mut t = Timeline::default();
        let (kind, prot) = (VmaKind::Mmap, Prot::READ | Prot::WRITE);
        feed(
            &mut t,
            10,
            EventKind::VmaCreated {
                start: START,
                end: END,
                prot,
                kind,
            },
        );
        let pte = Pte::new(Frame(7), PteFlags::P | PteFlags::US);
        feed(
            &mut t,
            20,
            EventKind::FrameMapped {
                frame: Frame(7),
                cause: Cause::Mmap,
                va: START,
                pte,
            },
        );
        feed(
            &mut t,
            30,
            EventKind::VmaRemoved {
                start: START,
                end: END,
                kind,
                frames_freed: 0,
            },
        );
        feed(
            &mut t,
            90,
            EventKind::VmaCreated {
                start: START,
                end: END,
                prot,
                kind,
            },
        );
        let spans = t.resident.spans(t.window_count() as u32);
        assert_eq!(
            spans.iter().map(|s| (s.from, s.to)).collect::<Vec<_>>(),
            [(20, 31)]
        );
    }
}
