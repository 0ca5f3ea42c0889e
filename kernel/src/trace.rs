//! Trace events: what the kernel did, as typed values, in one ordered stream.
//!
//! Every event carries a sequence number and the instruction count at which
//! it happened, so a syscall, the VMA it changed and the faults that followed
//! read in cause-and-effect order. Each event also goes to `log` (target
//! `toyemu::<category>`), so `RUST_LOG=toyemu=debug` shows them without any
//! sink installed.

use crate::fault::{vma_hit, FaultError, Mapped};
use crate::frame::{FrameNote, FrameUse};
use crate::ledger::{Cause, Ledger};
use crate::names::{CodeNames, Eip, Known};
use crate::signal::{Death, SigInfo, Signal};
use crate::syscall::outcome::Outcome;
use crate::vma::{Prot, VmaKind};
use bitflags::bitflags;
use std::fmt;
use toyemu_emulator::paging::describe;
use toyemu_emulator::{Frame, PfCode, Pte, TlbEvent, VirtAddr};

bitflags! {
    /// Which categories a sink wants (the CLI's `--trace=syscall,fault,...`).
    #[derive(Clone, Copy, Debug, PartialEq, Eq)]
    pub struct Categories: u32 {
        const SYSCALL = 1 << 0;
        const FAULT = 1 << 1;
        const VMA = 1 << 2;
        const FRAME = 1 << 3;
        const PROCESS = 1 << 4;
        /// Every instruction executed (printed by the CLI, which steps the CPU).
        const INSN = 1 << 5;
        /// TLB fills, evictions, invalidations, flushes.
        const TLB = 1 << 6;
        /// Signals delivered to handlers, ignored or stopping the process.
        const SIGNAL = 1 << 7;
        /// Process switches: who ran next, why, the CR3 load.
        const SCHED = 1 << 8;
    }
}

impl Categories {
    pub fn parse_list(s: &str) -> Result<Categories, String> {
        let mut c = Categories::empty();
        for word in s.split(',').map(str::trim).filter(|w| !w.is_empty()) {
            c |= match word {
                "syscall" | "syscalls" => Categories::SYSCALL,
                "fault" | "faults" => Categories::FAULT,
                "vma" => Categories::VMA,
                "frame" | "frames" => Categories::FRAME,
                "process" => Categories::PROCESS,
                "insn" | "insns" => Categories::INSN,
                "tlb" => Categories::TLB,
                "signal" | "signals" => Categories::SIGNAL,
                "sched" => Categories::SCHED,
                "all" => Categories::all(),
                _ => return Err(format!("unknown trace category {word:?} (expected syscall, fault, vma, frame, tlb, signal, process, sched, insn or all)")),
            };
        }
        Ok(c)
    }
}

/// What became of a signal that was sent or taken off the pending queue
/// (one that kills is `EventKind::Killed`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SignalAction {
    /// Its handler runs on a frame at `frame` (an `rt_sigframe` if `rt`),
    /// on the alternate stack if `altstack`.
    Handler {
        handler: u32,
        frame: u32,
        rt: bool,
        altstack: bool,
    },
    /// Ignored: SIG_IGN, or a default action of "ignore".
    Ignored,
    /// SIGSTOP's default action. There is no job control here, so the
    /// process is continued at once, as if SIGCONT had followed.
    Stopped,
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub enum EventKind {
    /// A syscall and its decoded arguments (`args_text` as strace would print them).
    Syscall {
        nr: u32,
        name: &'static str,
        args: [u32; 6],
        args_text: String,
        result: Outcome,
    },
    /// A page fault and what the handler made of it. `code` is the error
    /// code as the kernel judged it: P set when the VMA forbids the access.
    PageFault {
        addr: VirtAddr,
        eip: VirtAddr,
        code: PfCode,
        result: Result<Mapped, FaultError>,
    },
    VmaCreated {
        start: VirtAddr,
        end: VirtAddr,
        prot: Prot,
        kind: VmaKind,
    },
    VmaRemoved {
        start: VirtAddr,
        end: VirtAddr,
        kind: VmaKind,
        frames_freed: u32,
    },
    VmaProtect {
        start: VirtAddr,
        end: VirtAddr,
        prot: Prot,
    },
    VmaResized {
        kind: VmaKind,
        start: VirtAddr,
        end: VirtAddr,
    },
    BrkMoved {
        old: VirtAddr,
        new: VirtAddr,
    },
    /// A frame handed to the process for a page, and the PTE written for it.
    FrameMapped {
        frame: Frame,
        cause: Cause,
        va: VirtAddr,
        pte: Pte,
    },
    Tlb(TlbEvent),
    /// A frame taken for a page directory or table, or given back (a user
    /// page's frame being taken is `FrameMapped`, which has its PTE).
    Frame(FrameNote),
    /// A signal and what was done with it.
    Signal {
        info: SigInfo,
        action: SignalAction,
    },
    Killed {
        death: Death,
    },
    /// exec begins: the program, its entry point, how many PT_LOAD
    /// segments it has (each then gets a `SegmentLoaded`).
    Exec {
        path: String,
        entry: VirtAddr,
        segments: u32,
    },
    /// One PT_LOAD as the loader placed it: the file's bytes
    /// `offset..offset+filesz` at `vaddr`, `memsz` bytes in memory (the rest
    /// zeroes), in the VMA `start..end` (whole pages).
    SegmentLoaded {
        index: u8,
        offset: u32,
        filesz: u32,
        vaddr: u32,
        memsz: u32,
        prot: Prot,
        start: VirtAddr,
        end: VirtAddr,
    },
    /// The program break at exec: the heap will start here.
    InitialBreak {
        brk: VirtAddr,
    },
    /// The initial stack: its VMA, the limit it may grow to, and ESP once
    /// argc, argv, envp and the auxv are on it.
    StackReady {
        start: VirtAddr,
        top: VirtAddr,
        esp: VirtAddr,
        limit: u32,
        argc: u32,
        envc: u32,
    },
    /// Memcheck found an error (the first of its context): `kind` as its
    /// JSON key, `what` its headline, and the one line that says where.
    Memcheck {
        kind: &'static str,
        what: String,
        addr: VirtAddr,
        eip: VirtAddr,
        line: String,
    },
    /// The process is gone; `signal` if one killed it; `reclaimed`: what
    /// teardown gave back (references: `still_shared` of those frames other
    /// processes still hold).
    Exit {
        status: i32,
        signal: Option<Signal>,
        reclaimed: Ledger,
        still_shared: u32,
    },
    /// fork: `child`'s address space is `parent`'s, `shared` pages held by
    /// both copy-on-write, `tables` page tables of its own.
    Forked {
        parent: u32,
        child: u32,
        shared: u32,
        tables: u32,
    },
    /// execve replaced the address space: what tearing down the old one gave back.
    AddressSpaceReplaced {
        reclaimed: Ledger,
    },
    /// The CPU went from process `from` to `to`: CR3 loaded and the TLB
    /// flushed (`flushed`), unless the two are threads of one group.
    Switch {
        from: u32,
        to: u32,
        why: SwitchWhy,
        cr3: toyemu_emulator::PhysAddr,
        flushed: bool,
    },
    /// clone made thread `tid` of the running process, on the stack at `stack`.
    ThreadCreated {
        tid: u32,
        stack: u32,
    },
    /// Thread `tid` ended with `code` (its group goes on, or ends with it).
    ThreadExited {
        tid: u32,
        code: i32,
    },
    /// A zombie's exit status was collected (by `by`'s wait, or by the
    /// kernel when no one will wait for it); its pid is free.
    Reaped {
        pid: u32,
        by: Option<u32>,
    },
}

/// `26 frames reclaimed at exit: elf 22, heap 0, ...`: what a teardown gave back.
/// (The second field says when: ` at exit`, or nothing.)
struct Reclaimed<'a>(&'a Ledger, &'static str);

impl fmt::Display for Reclaimed<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} frames reclaimed{}", self.0.total_returned(), self.1)?;
        for (i, c) in Cause::ALL.iter().enumerate() {
            let sep = if i == 0 { ":" } else { "," };
            write!(f, "{sep} {c} {}", self.0.returned(*c))?;
        }
        Ok(())
    }
}

/// Why the scheduler switched processes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SwitchWhy {
    /// The running process used up its quantum.
    Quantum,
    /// It blocked in this syscall.
    Blocked(&'static str),
    /// It ended.
    Exited,
    /// The OOM killer chose the process switched to (the one with the most
    /// memory), to end it.
    OomVictim,
}

impl fmt::Display for SwitchWhy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            SwitchWhy::Quantum => f.write_str("quantum used up"),
            SwitchWhy::Blocked(call) => write!(f, "blocked in {call}"),
            SwitchWhy::Exited => f.write_str("exited"),
            SwitchWhy::OomVictim => f.write_str("out of memory: to kill the biggest process"),
        }
    }
}

impl EventKind {
    pub fn category(&self) -> Categories {
        match self {
            EventKind::Syscall { .. } => Categories::SYSCALL,
            EventKind::PageFault { .. } => Categories::FAULT,
            EventKind::VmaCreated { .. }
            | EventKind::VmaRemoved { .. }
            | EventKind::VmaProtect { .. }
            | EventKind::VmaResized { .. }
            | EventKind::BrkMoved { .. } => Categories::VMA,
            EventKind::Killed { .. }
            | EventKind::Memcheck { .. }
            | EventKind::Exit { .. }
            | EventKind::Exec { .. }
            | EventKind::SegmentLoaded { .. }
            | EventKind::InitialBreak { .. }
            | EventKind::StackReady { .. }
            | EventKind::Forked { .. }
            | EventKind::AddressSpaceReplaced { .. }
            | EventKind::ThreadCreated { .. }
            | EventKind::ThreadExited { .. }
            | EventKind::Reaped { .. } => Categories::PROCESS,
            EventKind::Switch { .. } => Categories::SCHED,
            EventKind::FrameMapped { .. } | EventKind::Frame(_) => Categories::FRAME,
            EventKind::Tlb(_) => Categories::TLB,
            EventKind::Signal { .. } => Categories::SIGNAL,
        }
    }

    /// Shown whatever categories were asked for, as strace shows signals
    /// and the process's end.
    pub fn always_shown(&self) -> bool {
        matches!(
            self,
            EventKind::Signal { .. }
                | EventKind::Killed { .. }
                | EventKind::Memcheck { .. }
                | EventKind::Exit { .. }
                | EventKind::ThreadExited { .. }
        )
    }

    /// The instruction the event happened at, where it names one (for
    /// exec, the entry point: where the first instruction will be).
    pub fn eip(&self) -> Option<VirtAddr> {
        match self {
            EventKind::PageFault { eip, .. } => Some(*eip),
            EventKind::Exec { entry, .. } => Some(*entry),
            EventKind::Killed { death } => death.eip(),
            EventKind::Memcheck { eip, .. } => Some(*eip),
            _ => None,
        }
    }
}

#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Event {
    pub seq: u64,
    /// Instructions retired when the event happened.
    pub insns: u64,
    pub kind: EventKind,
    /// The name of `kind.eip()`, when the tracer was given names.
    pub eip_name: Option<String>,
    /// The process it happened in, once there is more than one (lines
    /// then start `[pid N]`, as `strace -f` writes them).
    pub pid: Option<u32>,
}

impl fmt::Display for Event {
    /// strace-like: syscalls as `name(args) = result`, the rest as `--- ... ---`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let names = self
            .kind
            .eip()
            .map(|at| Known(at, self.eip_name.as_deref()));
        let names: &dyn CodeNames = match &names {
            Some(k) => k,
            None => &crate::names::NoNames,
        };
        if let Some(pid) = self.pid {
            write!(f, "[pid {pid:>5}] ")?;
        }
        match &self.kind {
            EventKind::Syscall {
                name,
                args_text,
                result,
                ..
            } => write!(f, "{name}({args_text}) = {result}"),
            EventKind::PageFault {
                addr,
                eip,
                code,
                result,
            } => {
                write!(
                    f,
                    "--- page fault at {addr} ({}) eip={}",
                    code.describe(),
                    Eip(*eip, names)
                )?;
                match vma_hit(result) {
                    Some(k) => write!(f, " in {k}")?,
                    None => write!(f, " outside any mapping")?,
                }
                match result {
                    Ok(m) => write!(f, ": {m} -> frame {:#x} ---", m.frame.0),
                    Err(e) => write!(f, ": {e} ---"),
                }
            }
            EventKind::VmaCreated {
                start,
                end,
                prot,
                kind,
            } => {
                write!(f, "--- vma {start}-{end} {} {kind} created ---", prot.rwx())
            }
            EventKind::VmaRemoved {
                start,
                end,
                kind,
                frames_freed,
            } => {
                write!(
                    f,
                    "--- vma {start}-{end} {kind} removed, {frames_freed} frames freed ---"
                )
            }
            EventKind::VmaProtect { start, end, prot } => {
                write!(f, "--- vma {start}-{end} now {} ---", prot.rwx())
            }
            EventKind::VmaResized { kind, start, end } => {
                write!(f, "--- vma {kind} now {start}-{end} ---")
            }
            EventKind::BrkMoved { old, new } => write!(f, "--- brk {old} -> {new} ---"),
            EventKind::FrameMapped {
                frame,
                cause,
                va,
                pte,
            } => write!(
                f,
                "--- frame {:#x} taken for {cause}: PTE {va} = {:#010x} [{}] ---",
                frame.0,
                pte.raw(),
                describe(pte.flags())
            ),
            EventKind::Frame(n) => write!(f, "--- {} ---", FrameLine(n)),
            EventKind::Tlb(TlbEvent::Fill {
                vpn,
                frame,
                writable,
                evicted,
            }) => {
                write!(
                    f,
                    "--- tlb fill {:#010x} -> frame {frame:#x}{}",
                    vpn << 12,
                    if *writable { " (writable)" } else { "" }
                )?;
                match evicted {
                    Some(v) => write!(f, ", evicting {:#010x} ---", v << 12),
                    None => write!(f, " ---"),
                }
            }
            EventKind::Tlb(TlbEvent::Invalidate { vpn }) => {
                write!(f, "--- tlb invlpg {:#010x} ---", vpn << 12)
            }
            EventKind::Tlb(TlbEvent::Flush) => write!(f, "--- tlb flush (CR3 load) ---"),
            // As strace shows a signal on its way to a handler.
            EventKind::Signal { info, action } => match action {
                SignalAction::Handler { .. } => write!(f, "--- {} {info} ---", info.signo),
                SignalAction::Ignored => write!(f, "--- {} {info} (ignored) ---", info.signo),
                SignalAction::Stopped => write!(
                    f,
                    "--- {} {info} ---\n--- stopped by {} (no job control here: continued at once) ---",
                    info.signo, info.signo
                ),
            },
            EventKind::Killed { death } => match death {
                // As strace shows a delivered signal.
                Death::Segv { addr, si_code, .. } => write!(
                    f,
                    "--- SIGSEGV {{si_signo=SIGSEGV, si_code={}, si_addr={addr}}} ---",
                    si_code.name()
                ),
                d => write!(f, "--- {} ({}) ---", d.signal(), d.named(names)),
            },
            EventKind::Memcheck { line, .. } => write!(f, "--- memcheck: {line} ---"),
            EventKind::Exec {
                path,
                entry,
                segments,
            } => write!(
                f,
                "--- exec {path}: entry point {}, {segments} PT_LOAD segments; nothing is copied now, pages load on first touch ---",
                Eip(*entry, names)
            ),
            EventKind::SegmentLoaded {
                index,
                offset,
                filesz,
                vaddr,
                memsz,
                prot,
                start,
                end,
            } => {
                write!(
                    f,
                    "--- segment {index} ({}): file {offset:#08x}-{:#08x} (filesz {filesz:#x}) -> {} (memsz {memsz:#x})",
                    prot.rwx(),
                    *offset as u64 + *filesz as u64,
                    Span(*vaddr, *memsz)
                )?;
                if memsz > filesz {
                    write!(f, ", the last {:#x} bytes zero-fill (.bss)", memsz - filesz)?;
                }
                write!(f, "; vma {start}-{end} ---")
            }
            EventKind::InitialBreak { brk } => write!(
                f,
                "--- initial break {brk}: the heap starts at the page after the last segment ---"
            ),
            EventKind::StackReady {
                start,
                top,
                esp,
                limit,
                argc,
                envc,
            } => write!(
                f,
                "--- stack: vma {start}-{top} (grows down on fault, up to {}), esp {esp} after argc {argc}, argv, {envc} env strings and the auxv ---",
                KiB(*limit)
            ),
            EventKind::Exit {
                status,
                signal,
                reclaimed,
                still_shared,
            } => {
                match signal {
                    Some(sig) => write!(f, "+++ killed by {sig}")?,
                    None => write!(f, "+++ exited with {status}")?,
                }
                write!(f, "; {}", Reclaimed(reclaimed, " at exit"))?;
                if *still_shared > 0 {
                    write!(f, " ({still_shared} still held by other processes)")?;
                }
                f.write_str(" +++")
            }
            EventKind::Forked {
                parent,
                child,
                shared,
                tables,
            } => write!(
                f,
                "--- fork: pid {child} from pid {parent}: {shared} pages shared copy-on-write, {tables} page tables of its own ---"
            ),
            EventKind::AddressSpaceReplaced { reclaimed } => {
                write!(
                    f,
                    "--- execve: the old address space is gone, {} ---",
                    Reclaimed(reclaimed, "")
                )
            }
            EventKind::Switch {
                from,
                to,
                why,
                cr3,
                flushed: true,
            } => write!(
                f,
                "--- switch pid {from} -> pid {to} ({why}): cr3={cr3}, tlb flushed ---"
            ),
            EventKind::Switch {
                from,
                to,
                why,
                flushed: false,
                ..
            } => write!(
                f,
                "--- switch pid {from} -> pid {to} ({why}): threads of one process, same cr3, tlb kept ---"
            ),
            EventKind::ThreadCreated { tid, stack } => write!(
                f,
                "--- thread {tid} made: same address space, descriptors and handlers; its stack at {stack:#010x} ---"
            ),
            // As strace -f shows a thread's end.
            EventKind::ThreadExited { code, .. } => write!(f, "+++ exited with {code} +++"),
            EventKind::Reaped { pid, by } => match by {
                Some(by) => write!(f, "--- pid {pid} reaped by pid {by} ---"),
                None => write!(f, "--- pid {pid} reaped by the kernel (no one will wait for it) ---"),
            },
        }
    }
}

/// `start-end` of `len` bytes from `start`, 64-bit so an end at 4 GiB prints.
struct Span(u32, u32);

impl fmt::Display for Span {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "{:#010x}-{:#010x}",
            self.0,
            self.0 as u64 + self.1 as u64
        )
    }
}

/// A size as `8 MiB` or `132 KiB`.
struct KiB(u32);

impl fmt::Display for KiB {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            n if n >= 1 << 20 && n % (1 << 20) == 0 => write!(f, "{} MiB", n >> 20),
            n if n % 1024 == 0 => write!(f, "{} KiB", n >> 10),
            n => write!(f, "{n} bytes"),
        }
    }
}

/// A frame note as the trace says it: `frame 0x5 taken for the page table
/// of PDE 0x020 (0x08000000-0x083fffff)`, `frame 0x11 freed: mmap page 0xb7fbf000`.
struct FrameLine<'a>(&'a FrameNote);

impl fmt::Display for FrameLine<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let n = self.0;
        let what = match n.used_for {
            FrameUse::Directory => "the page directory".to_string(),
            FrameUse::PageTable { pd_index } => {
                let base = (pd_index as u32) << 22;
                format!(
                    "the page table of PDE {pd_index:#05x} ({:#010x}-{:#010x})",
                    base,
                    base | ((1 << 22) - 1)
                )
            }
            FrameUse::Page { va, cause } => format!("{cause} page {va}"),
        };
        match (n.taken, n.used_for) {
            (true, _) => write!(f, "frame {:#x} taken for {what}", n.frame.0),
            (false, FrameUse::PageTable { .. }) => {
                write!(
                    f,
                    "frame {:#x} freed: {what}, its last entry gone",
                    n.frame.0
                )
            }
            (false, _) => write!(f, "frame {:#x} freed: {what}", n.frame.0),
        }
    }
}

/// Where events go.
pub trait TraceSink {
    fn event(&mut self, e: &Event);
    /// Something outside the trace may happen now (a syscall writing the
    /// guest's output): print whatever was held back.
    fn settle(&mut self) {}
}

/// A sink that keeps every event (tests, reports).
#[derive(Default)]
pub struct Collector {
    pub events: Vec<Event>,
}

impl TraceSink for Collector {
    fn event(&mut self, e: &Event) {
        self.events.push(e.clone());
    }
}

/// Writes each event of the chosen categories as one strace-like line.
pub struct LineWriter<W: std::io::Write> {
    pub out: W,
    pub categories: Categories,
}

impl<W: std::io::Write> TraceSink for LineWriter<W> {
    fn event(&mut self, e: &Event) {
        // Like strace, signals and the ending are shown whatever was asked for.
        if e.kind.always_shown() || self.categories.intersects(e.kind.category()) {
            // A trace that cannot be written must not disturb the guest.
            let _ = writeln!(self.out, "{e}");
        }
    }
}

/// The kernel's event stream: numbers events and fans them out.
#[derive(Default)]
pub struct Tracer {
    seq: u64,
    sinks: Vec<Box<dyn TraceSink>>,
    /// Keep every event in memory for the exit report.
    pub(crate) keep: bool,
    pub(crate) kept: Vec<Event>,
    /// Names for the EIPs events carry.
    pub(crate) names: Option<std::rc::Rc<dyn CodeNames>>,
    /// The running process, once a fork made more than one.
    pub(crate) pid: Option<u32>,
}

impl Tracer {
    pub fn add_sink(&mut self, s: Box<dyn TraceSink>) {
        self.sinks.push(s);
    }
    /// Is anyone going to look at an event? (Lets callers skip formatting.)
    pub fn active(&self) -> bool {
        !self.sinks.is_empty()
            || self.keep
            || log::log_enabled!(target: "toyemu", log::Level::Debug)
    }
    /// Let the sinks print what they hold (see [`TraceSink::settle`]).
    pub fn settle(&mut self) {
        for s in &mut self.sinks {
            s.settle();
        }
    }
    #[inline]
    pub fn emit(&mut self, insns: u64, kind: EventKind) {
        self.seq += 1;
        // An event nobody sees is only counted. Said here, inline, the
        // event the caller built is never built at all (every page fault
        // reports one).
        if self.sinks.is_empty() && !self.keep && log::max_level() < log::Level::Debug {
            return;
        }
        self.emit_seen(insns, kind);
    }

    #[inline(never)]
    fn emit_seen(&mut self, insns: u64, kind: EventKind) {
        let target = match kind.category() {
            Categories::SYSCALL => "toyemu::syscall",
            Categories::FAULT => "toyemu::fault",
            Categories::VMA => "toyemu::vma",
            Categories::FRAME => "toyemu::frame",
            Categories::TLB => "toyemu::tlb",
            Categories::SIGNAL => "toyemu::signal",
            _ => "toyemu::process",
        };
        let logged = log::log_enabled!(target: target, log::Level::Debug);
        // An event nobody sees is only counted: naming its EIP would read
        // the program's symbols and line tables for nothing.
        if self.sinks.is_empty() && !self.keep && !logged {
            return;
        }
        let eip_name = match (&self.names, kind.eip()) {
            (Some(n), Some(at)) => n.code_name(at),
            _ => None,
        };
        let e = Event {
            seq: self.seq,
            insns,
            kind,
            eip_name,
            pid: self.pid,
        };
        if logged {
            log::debug!(target: target, "[{} @{}] {}", e.seq, e.insns, e);
        }
        for s in &mut self.sinks {
            s.event(&e);
        }
        if self.keep {
            self.kept.push(e);
        }
    }
}
