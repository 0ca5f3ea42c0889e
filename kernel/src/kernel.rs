//! The kernel: owns the machine and its frames, traces what it does, turns
//! a page fault into a mapped page or a death, and ends processes.
//!
//! Starting a process is `exec.rs`; running it and taking its traps is
//! `run.rs`; the syscalls are `syscall/`; user memory is `uaccess.rs`.

use crate::address_space::AddressSpace;
use crate::fault::{FaultCtx, FaultError, Mapped};
use crate::frame::FrameAllocator;
use crate::fs::FileView;
use crate::layout::STACK_LIMIT;
use crate::ledger::{Cause, Ledger};
use crate::oom::OomReport;
use crate::process::{Ending, ExitRecord, ExitStatus, Process, VmaSnapshot};
use crate::random::{Random, RandomSource};
use crate::signal::{Death, SegvCode};
use crate::trace::{Event, EventKind, TraceSink, Tracer};
use crate::vma::{Vma, VmaKind};
use std::io::{Read, Write};
use std::path::PathBuf;
use std::time::Instant;
use toyemu_emulator::{Access, Cpu, Machine, MachineConfig, PageFault, PfCode, PhysAddr, VirtAddr};

#[derive(Clone, Debug)]
pub struct KernelConfig {
    pub machine: MachineConfig,
    /// RLIMIT_STACK in bytes.
    pub stack_limit: u32,
    /// Directories the guest may write under (`--rw`); the rest of the
    /// host's files it sees read-only.
    pub rw: Vec<PathBuf>,
    /// Where getrandom, /dev/urandom and AT_RANDOM get their bytes.
    pub random: RandomSource,
    /// Instructions a process runs before the next one's turn (`--quantum`).
    pub quantum: u64,
}

impl Default for KernelConfig {
    fn default() -> Self {
        KernelConfig {
            machine: MachineConfig::default(),
            stack_limit: STACK_LIMIT,
            rw: Vec::new(),
            random: RandomSource::Fixed,
            quantum: crate::ptable::DEFAULT_QUANTUM,
        }
    }
}

/// The three standard streams the first process starts with.
pub struct Console {
    pub stdin: Box<dyn Read>,
    pub stdout: Box<dyn Write>,
    pub stderr: Box<dyn Write>,
    /// They are the host's own (so fstat, isatty and the terminal size are
    /// the host's); otherwise buffers, which look like pipes.
    pub host: bool,
}

impl Console {
    /// The host's own stdin/stdout/stderr.
    pub fn host() -> Console {
        Console {
            stdin: Box::new(std::io::stdin()),
            stdout: Box::new(std::io::stdout()),
            stderr: Box::new(std::io::stderr()),
            host: true,
        }
    }
    /// Streams of the caller's (tests, tools): they look like pipes.
    pub fn captured(
        stdin: Box<dyn Read>,
        stdout: Box<dyn Write>,
        stderr: Box<dyn Write>,
    ) -> Console {
        Console {
            stdin,
            stdout,
            stderr,
            host: false,
        }
    }
}

/// Called with a process just before its memory is torn down.
pub type TeardownHook = Box<dyn FnMut(&Kernel, &Process)>;
/// Called after each syscall that returns to the process, with its number.
pub type SyscallHook = Box<dyn FnMut(&Kernel, &Process, u32)>;

pub struct Kernel {
    pub(crate) machine: Machine,
    pub(crate) frames: FrameAllocator,
    pub(crate) tracer: Tracer,
    pub(crate) console: Console,
    pub(crate) config: KernelConfig,
    pub(crate) view: FileView,
    pub(crate) random: Random,
    /// When the machine was made: the zero of CLOCK_MONOTONIC.
    pub(crate) booted: Instant,
    /// Hand fatal signals to the caller of `run` instead of killing
    /// (debuggers). SIGKILL (out of memory) is never held back, as on Linux.
    pub(crate) stop_before_signal: bool,
    before_teardown: Option<TeardownHook>,
    pub(crate) after_syscall: Option<SyscallHook>,
    pub(crate) next_pid: u32,
    /// Trace events a syscall caused that strace shows after the call's
    /// own line (a signal sent to an ignoring process).
    pub(crate) after_call_events: Vec<EventKind>,
    /// execve's arguments as the trace shows them, read before the call
    /// replaced the memory they were in.
    pub(crate) exec_text: Option<String>,
    /// The processes off the CPU, and the scheduler's state (`ptable.rs`, `sched.rs`).
    pub(crate) procs: crate::ptable::Procs,
    /// Futex waits made so far: the next waiter's place in line.
    pub(crate) futex_seq: u64,
    /// How a futex wait the scheduler ended finishes when its call runs
    /// again: woken (true) or timed out (`syscall/futex.rs`).
    pub(crate) futex_verdict: Option<bool>,
}

impl Kernel {
    pub fn new(config: KernelConfig, console: Console) -> Result<Kernel, String> {
        let machine = Machine::new(config.machine)?;
        let mut frames = FrameAllocator::new(machine.mmu().phys().frames());
        if log::log_enabled!(target: "toyemu::frame", log::Level::Debug) {
            frames.keep_notes();
        }
        let view = FileView::new(&config.rw)?;
        let quantum = config.quantum;
        Ok(Kernel {
            machine,
            frames,
            tracer: Tracer::default(),
            console,
            view,
            random: Random::new(config.random),
            booted: Instant::now(),
            config,
            stop_before_signal: false,
            after_call_events: Vec::new(),
            before_teardown: None,
            after_syscall: None,
            next_pid: 1,
            procs: crate::ptable::Procs::new(quantum),
            exec_text: None,
            futex_seq: 0,
            futex_verdict: None,
        })
    }

    /// The machine, to look at: registers, page tables, TLB, counters.
    pub fn machine(&self) -> &Machine {
        &self.machine
    }
    /// The CPU, for a debugger that sets registers.
    pub fn cpu_mut(&mut self) -> &mut Cpu {
        self.machine.cpu_mut()
    }
    /// Memcheck's shadow, for the tool that keeps it (watched pages, the
    /// checks' suspension); `None` until `enable_watch`.
    pub fn watch_mut(&mut self) -> Option<&mut toyemu_emulator::Watch> {
        self.machine.mmu_mut().watch_mut()
    }
    /// The MMU, for memcheck's page marks (`Mmu::watch_page`,
    /// `Mmu::watch_stack`), which keep the TLB's contents as they are.
    pub fn mmu_mut(&mut self) -> &mut toyemu_emulator::Mmu {
        self.machine.mmu_mut()
    }
    /// Stop before the instruction at `addr` from now on (`RunState::Tool`).
    pub fn add_hook(&mut self, addr: u32) {
        let m = &mut self.machine;
        let (cpu, mmu) = m.cpu_and_mmu();
        cpu.add_hook(mmu, addr);
    }
    /// Translate a user access as the CPU would, through the TLB, filling
    /// it and setting A/D bits (tests and tools that act as the program).
    pub fn user_access(&mut self, va: VirtAddr, access: Access) -> Result<PhysAddr, PageFault> {
        self.machine.mmu_mut().translate(va, access)
    }
    pub fn frames(&self) -> &FrameAllocator {
        &self.frames
    }
    pub fn config(&self) -> &KernelConfig {
        &self.config
    }
    /// Test hook: RAM gives out after `n` more frames (`None` lifts it).
    pub fn fail_frames_after(&mut self, n: Option<u32>) {
        self.frames.set_fail_after(n);
    }

    /// Send every event from now on to `sink` too.
    pub fn add_sink(&mut self, sink: Box<dyn TraceSink>) {
        self.frames.keep_notes();
        self.tracer.add_sink(sink);
    }
    /// Name the EIPs of events from now on (`eip=0x... <main+0x1f (x.c:32)>`).
    pub fn set_code_names(&mut self, names: std::rc::Rc<dyn crate::names::CodeNames>) {
        self.tracer.names = Some(names);
    }
    /// Keep every event in memory, for [`Kernel::take_events`].
    pub fn keep_events(&mut self) {
        self.frames.keep_notes();
        self.tracer.keep = true;
    }
    pub fn take_events(&mut self) -> Vec<Event> {
        std::mem::take(&mut self.tracer.kept)
    }
    /// Trace the TLB's fills, evictions and flushes as events.
    pub fn record_tlb_events(&mut self) {
        self.machine.mmu_mut().record_tlb_events();
    }
    /// Hand fatal signals to the caller of `run` as `RunState::Signal`
    /// instead of killing (debuggers).
    pub fn set_stop_before_signal(&mut self, on: bool) {
        self.stop_before_signal = on;
    }
    /// Look at each process just before its memory is torn down.
    pub fn on_teardown(&mut self, hook: TeardownHook) {
        self.before_teardown = Some(hook);
    }
    /// Look at the process after each syscall that returns to it.
    pub fn after_each_syscall(&mut self, hook: SyscallHook) {
        self.after_syscall = Some(hook);
    }

    /// Instructions retired so far (the clock events are stamped with).
    pub fn insns(&self) -> u64 {
        self.machine.retired()
    }

    /// A finding of memcheck, which runs above the kernel, into the trace.
    pub fn emit_memcheck(
        &mut self,
        kind: &'static str,
        what: String,
        addr: u32,
        eip: u32,
        line: String,
    ) {
        self.emit(EventKind::Memcheck {
            kind,
            what,
            addr: VirtAddr(addr),
            eip: VirtAddr(eip),
            line,
        });
    }

    #[inline]
    pub(crate) fn emit(&mut self, kind: EventKind) {
        // TLB and frame activity happened before whatever is being reported now.
        self.drain_tlb_log();
        self.drain_frame_notes();
        let n = self.insns();
        self.tracer.emit(n, kind);
    }

    /// Turn what the TLB recorded (when asked to) into events.
    pub(crate) fn drain_tlb_log(&mut self) {
        let n = self.insns();
        for e in self.machine.mmu_mut().take_tlb_events() {
            self.tracer.emit(n, EventKind::Tlb(e));
        }
    }

    /// Turn the frame allocator's notes (kept while anyone traces) into events.
    pub(crate) fn drain_frame_notes(&mut self) {
        let n = self.insns();
        for note in self.frames.take_notes() {
            self.tracer.emit(n, EventKind::Frame(note));
        }
    }

    pub(crate) fn add_vma(&mut self, p: &mut Process, vma: Vma) {
        let (start, end, prot, kind) = (vma.start, vma.end, vma.prot, vma.kind);
        p.mm_mut().vmas.insert(vma);
        self.emit(EventKind::VmaCreated {
            start,
            end,
            prot,
            kind,
        });
    }

    /// Handle page fault `pf` of `p` at `eip`: resolve it, count it, trace it.
    pub fn page_fault(
        &mut self,
        p: &mut Process,
        pf: PageFault,
        eip: VirtAddr,
    ) -> Result<Mapped, FaultError> {
        let mm = p.mm.as_mut().expect("faulting process has memory");
        let result = FaultCtx {
            mmu: self.machine.mmu_mut(),
            frames: &mut self.frames,
            aspace: mm,
            stack_limit: p.stack_limit,
        }
        .resolve(pf);
        p.count_fault(&result);
        // The kernel's view of the access: a VMA that forbids it is a
        // protection fault even where no page was present yet.
        let mut code = pf.code;
        if let Err(FaultError::Segv {
            code: SegvCode::AccErr,
            ..
        }) = result
        {
            code |= PfCode::P;
        }
        if let Ok(m) = &result {
            self.emit(EventKind::FrameMapped {
                frame: m.frame,
                cause: Cause::of(m.kind),
                va: pf.addr.page_base(),
                pte: m.pte,
            });
        }
        self.emit(EventKind::PageFault {
            addr: pf.addr,
            eip,
            code,
            result,
        });
        if let Ok(Mapped {
            grown: Some((start, end)),
            ..
        }) = result
        {
            self.emit(EventKind::VmaResized {
                kind: VmaKind::Stack,
                start,
                end,
            });
        }
        let held = self.frames.used_frames() as u64;
        p.stats.peak_frames = p.stats.peak_frames.max(held);
        result
    }

    /// The death of `p`, out of frames while making `addr` accessible at `eip`.
    pub fn oom_death(&self, p: &Process, addr: VirtAddr, eip: VirtAddr) -> Death {
        let report = match p.mm.as_ref() {
            Some(mm) => OomReport::measure(p.pid, &p.name, mm, self.machine.mmu()),
            None => OomReport::default(),
        };
        Death::OutOfMemory {
            addr,
            eip,
            report: Box::new(report),
        }
    }

    /// End `p` with a signal: trace it, then reclaim everything.
    pub fn kill(&mut self, p: &mut Process, death: Death) -> ExitStatus {
        log::info!(target: "toyemu::process", "pid {} killed: {death}", p.pid);
        self.emit(EventKind::Killed {
            death: death.clone(),
        });
        self.finish(p, Ending::Killed(death))
    }

    /// End `p` by `exit(code)`.
    pub fn exit(&mut self, p: &mut Process, code: u32) -> ExitStatus {
        self.finish(p, Ending::Exited(code as u8))
    }

    /// The VMAs of a live process with their resident pages and faults.
    pub fn vma_snapshots(&self, p: &Process) -> Vec<VmaSnapshot> {
        let Some(mm) = p.mm.as_ref() else {
            return Vec::new();
        };
        mm.vmas
            .iter()
            .map(|v| VmaSnapshot {
                start: v.start,
                end: v.end,
                prot: v.prot,
                kind: v.kind,
                offset: v.backing.offset_at(v.start),
                dev: v.dev_ino().0,
                ino: v.dev_ino().1,
                name: v.name(),
                resident: mm.resident_in(self.machine.mmu(), v.start, v.end),
                faults: p.faults_by_kind.get(&v.kind).copied().unwrap_or(0),
            })
            .collect()
    }

    /// Snapshot the address space, tear it down, and record the accounts.
    fn finish(&mut self, p: &mut Process, ending: Ending) -> ExitStatus {
        let status = ExitStatus { ending };
        // The group ends with it: its other threads go, and the leader
        // takes the end (and the accounts) in its name.
        self.end_threads(p, &status);
        // Whoever wants to look at the address space does it now, before it is gone.
        if let Some(mut hook) = self.before_teardown.take() {
            hook(self, p);
            self.before_teardown = Some(hook);
        }
        let vmas = self.vma_snapshots(p);
        p.fds.close_all();
        let mm = p.mm.take().expect("process exits once");
        let page_tables = mm.page_tables();
        let (brk_start, brk) = (mm.brk_start, mm.brk);
        let before = mm.ledger;
        let shared_before = mm.still_shared();
        let (ledger, still_shared) = self.teardown(mm);
        let at_exit = ledger.since(&before);
        debug_assert_eq!(ledger.outstanding(), 0);
        let signal = status.death().map(|d| d.signal());
        let still_shared = still_shared - shared_before;
        self.emit(EventKind::Exit {
            status: status.code(),
            signal,
            reclaimed: at_exit,
            still_shared,
        });
        p.exit = Some(ExitRecord {
            status: status.clone(),
            vmas,
            page_tables,
            brk_start,
            brk,
            ledger,
            reclaimed_at_exit: at_exit,
            instructions: p.ran(self.insns()) + p.threads_ran,
            still_shared,
        });
        self.ended_now(p);
        status
    }

    /// Give every frame of `mm` back. CR3 moves to frame 0 first, which is
    /// never handed out and stays zero.
    /// Also returns how many of the dropped pages' frames other processes
    /// still hold (counted over the space's life).
    pub(crate) fn teardown(&mut self, mm: AddressSpace) -> (Ledger, u32) {
        let mmu = self.machine.mmu_mut();
        mmu.load_cr3(PhysAddr(0));
        mm.teardown(mmu, &mut self.frames)
    }
}
