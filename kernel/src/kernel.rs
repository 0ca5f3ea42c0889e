//! The kernel: owns the machine and its frames, starts processes, runs them,
//! and turns every trap into what Linux would do.

use crate::address_space::AddressSpace;
use crate::fault::{FaultCtx, FaultError};
use crate::frame::FrameAllocator;
use crate::layout::{STACK_INITIAL, STACK_LIMIT, STACK_TOP};
use crate::loader::{ElfImage, LoadError};
use crate::process::{Ending, ExitRecord, ExitStatus, ProcStats, Process, VmaSnapshot};
use crate::signal::{Death, SegvCode};
use crate::trace::{EventKind, Resolution, Tracer};
use crate::uaccess::CopyError;
use crate::vma::{Backing, Prot, Vma, VmaKind};
use std::io::{Read, Write};
use std::sync::Arc;
use toyemu_emulator::{Access, Machine, MachineConfig, PhysAddr, Reg, Trap, VirtAddr};

#[derive(Clone, Copy, Debug)]
pub struct KernelConfig {
    pub machine: MachineConfig,
    /// RLIMIT_STACK in bytes.
    pub stack_limit: u32,
}

impl Default for KernelConfig {
    fn default() -> Self {
        KernelConfig {
            machine: MachineConfig::default(),
            stack_limit: STACK_LIMIT,
        }
    }
}

/// The three standard descriptors, connected to the host.
pub struct Console {
    pub stdin: Box<dyn Read>,
    pub stdout: Box<dyn Write>,
    pub stderr: Box<dyn Write>,
}

impl Console {
    /// The host's own stdin/stdout/stderr.
    pub fn host() -> Console {
        Console {
            stdin: Box::new(std::io::stdin()),
            stdout: Box::new(std::io::stdout()),
            stderr: Box::new(std::io::stderr()),
        }
    }
}

/// Whether a process is still running after `run` returns.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunState {
    /// The budget given to `run` was spent; call again to continue.
    Running,
    /// A fatal signal is about to be delivered and a debugger wants to see
    /// it first (`stop_before_signal`): the process is intact, EIP at the
    /// faulting instruction. `kill` delivers it; running on retries.
    Signal(Death),
    Exited(ExitStatus),
}

pub struct Kernel {
    pub machine: Machine,
    pub frames: FrameAllocator,
    pub tracer: Tracer,
    pub console: Console,
    pub config: KernelConfig,
    /// Hand fatal signals to the caller of `run` instead of killing
    /// (debuggers). SIGKILL (out of memory) is never held back, as on Linux.
    pub stop_before_signal: bool,
    /// Called when a process exits, just before its memory is torn down
    /// (memory reports, leak checks).
    pub before_teardown: Option<Box<dyn FnMut(&Kernel, &Process)>>,
    /// Called after each syscall that returns to the process, with its number
    /// (address-space snapshots).
    pub after_syscall: Option<Box<dyn FnMut(&Kernel, &Process, u32)>>,
    next_pid: u32,
}

impl Kernel {
    pub fn new(config: KernelConfig, console: Console) -> Result<Kernel, String> {
        let machine = Machine::new(config.machine)?;
        let frames = FrameAllocator::new(machine.mmu().phys().frames());
        Ok(Kernel {
            machine,
            frames,
            tracer: Tracer::default(),
            console,
            config,
            stop_before_signal: false,
            before_teardown: None,
            after_syscall: None,
            next_pid: 1,
        })
    }

    /// Instructions retired so far (the clock events are stamped with).
    pub fn insns(&self) -> u64 {
        self.machine.retired()
    }

    pub fn emit(&mut self, kind: EventKind) {
        // TLB activity happened before whatever is being reported now.
        self.drain_tlb_log();
        let n = self.insns();
        self.tracer.emit(n, kind);
    }

    /// Turn what the TLB recorded (when `tlb.log` is on) into events.
    fn drain_tlb_log(&mut self) {
        let n = self.insns();
        for e in self.machine.mmu_mut().take_tlb_events() {
            self.tracer.emit(n, EventKind::Tlb(e));
        }
    }

    /// Create a process for `image`: its VMAs, its initial stack, its registers.
    /// Nothing of the image is copied; pages arrive on first touch. On failure
    /// every frame taken so far is back with the allocator.
    pub fn spawn(
        &mut self,
        image: Arc<ElfImage>,
        argv: &[Vec<u8>],
        envp: &[Vec<u8>],
    ) -> Result<Process, LoadError> {
        let mm = AddressSpace::new(self.machine.mmu_mut(), &mut self.frames)
            .map_err(|_| LoadError::OutOfMemory)?;
        let name = argv
            .first()
            .map_or_else(String::new, |a| String::from_utf8_lossy(a).into_owned());
        let pid = self.next_pid;
        self.next_pid += 1;
        let mut p = Process {
            pid,
            name,
            image: image.clone(),
            mm: Some(mm),
            stats: ProcStats::default(),
            exit: None,
            started_at: self.insns(),
            fds: [true; 3],
            faults_by_kind: Default::default(),
        };
        let mut brk = VirtAddr(0);
        for (i, seg) in image.segments.iter().enumerate() {
            let (vaddr, file_offset, file_len) = seg.file_window();
            let vma = Vma {
                start: seg.start(),
                end: seg.end(),
                prot: seg.prot,
                kind: VmaKind::ElfSegment(i as u8),
                backing: Backing::Image {
                    vaddr,
                    file_offset,
                    file_len,
                },
            };
            brk = brk.max(vma.end);
            self.add_vma(&mut p, vma);
        }
        let mm = p.mm();
        mm.brk_start = brk;
        mm.brk = brk;

        let stack = crate::stack::build(&image, argv, envp);
        let low = VirtAddr(stack.esp).page_base().0 - STACK_INITIAL;
        // A segment where the stack goes: Linux's exec fails there too.
        if p.mm().vmas.overlaps(VirtAddr(low), STACK_TOP) {
            self.discard(&mut p);
            return Err(LoadError::StackOverlap { stack_low: low });
        }
        let vma = Vma {
            start: VirtAddr(low),
            end: STACK_TOP,
            prot: Prot::READ | Prot::WRITE,
            kind: VmaKind::Stack,
            backing: Backing::Anon,
        };
        self.add_vma(&mut p, vma);
        let cpu = self.machine.cpu_mut();
        for r in [
            Reg::Eax,
            Reg::Ebx,
            Reg::Ecx,
            Reg::Edx,
            Reg::Esi,
            Reg::Edi,
            Reg::Ebp,
        ] {
            cpu.set_reg(r, 0);
        }
        cpu.set_reg(Reg::Esp, stack.esp);
        cpu.set_eip(image.entry);
        cpu.set_eflags(0x202);
        cpu.set_fs_base(0);
        cpu.set_gs_base(0);
        // Registers first, so faults taken while writing the stack name the entry point.
        let pd = p.mm().pd;
        self.machine.mmu_mut().load_cr3(pd.base());
        if let Err(e) = self.copy_to_user(&mut p, stack.esp, &stack.bytes) {
            self.discard(&mut p);
            return Err(match e {
                CopyError::OutOfMemory { .. } => LoadError::OutOfMemory,
                CopyError::Fault { .. } => unreachable!("initial stack lies inside the stack VMA"),
            });
        }
        log::info!(target: "toyemu::loader", "pid {pid}: entry {} esp {:#010x} brk {}", image.entry, stack.esp, brk);
        Ok(p)
    }

    pub(crate) fn add_vma(&mut self, p: &mut Process, vma: Vma) {
        let (start, end, prot, kind) = (vma.start, vma.end, vma.prot, vma.kind);
        p.mm().vmas.insert(vma);
        self.emit(EventKind::VmaCreated {
            start,
            end,
            prot,
            kind,
        });
    }

    /// Run `p` for at most `budget` instructions.
    pub fn run(&mut self, p: &mut Process, budget: u64) -> RunState {
        if let Some(rec) = &p.exit {
            return RunState::Exited(rec.status.clone());
        }
        let mut left = budget;
        while left > 0 {
            let before = self.insns();
            let trap = self.machine.run(left);
            self.drain_tlb_log();
            left = left.saturating_sub(self.insns() - before);
            if let Some(state) = self.handle_trap(p, trap) {
                return state;
            }
        }
        RunState::Running
    }

    /// Run `p` until it exits; after `max_insns` instructions it is killed.
    pub fn run_to_exit(&mut self, p: &mut Process, max_insns: Option<u64>) -> ExitStatus {
        let limit = max_insns.unwrap_or(u64::MAX);
        loop {
            let spent = self.insns() - p.started_at;
            if spent >= limit {
                return self.kill(p, Death::InstructionLimit { limit });
            }
            match self.run(p, limit - spent) {
                RunState::Exited(s) => return s,
                RunState::Running => {}
                RunState::Signal(death) => return self.kill(p, death),
            }
        }
    }

    fn handle_trap(&mut self, p: &mut Process, trap: Trap) -> Option<RunState> {
        let death = match trap {
            Trap::InstructionLimit => return None,
            Trap::Syscall => return self.syscall(p).map(RunState::Exited),
            Trap::PageFault { addr, code, eip } => {
                let access = if code.contains(toyemu_emulator::PfCode::I) {
                    Access::Fetch
                } else if code.contains(toyemu_emulator::PfCode::W) {
                    Access::Write
                } else {
                    Access::Read
                };
                match self.resolve_fault(p, addr, access, eip) {
                    Ok(()) => return None,
                    Err(FaultError::Segv(si_code)) => Death::Segv {
                        addr,
                        eip,
                        code,
                        si_code,
                    },
                    Err(FaultError::OutOfMemory) => self.oom_death(p, addr, eip),
                }
            }
            Trap::InvalidOpcode { eip, bytes, len } => {
                let bytes = bytes[..len as usize].to_vec();
                let text = toyemu_emulator::disasm::disassemble(&bytes, eip).1;
                Death::IllegalInstruction { eip, bytes, text }
            }
            Trap::DivideError { eip } | Trap::FloatingPoint { eip } => Death::DivideError { eip },
            Trap::Breakpoint { eip } => Death::Breakpoint { eip },
            Trap::GeneralProtection { eip } => Death::GeneralProtection { eip },
        };
        if self.stop_before_signal && !matches!(death, Death::OutOfMemory { .. }) {
            return Some(RunState::Signal(death));
        }
        Some(RunState::Exited(self.kill(p, death)))
    }

    /// Resolve a fault at `addr` for `p`, tracing what happened.
    pub fn resolve_fault(
        &mut self,
        p: &mut Process,
        addr: VirtAddr,
        access: Access,
        eip: VirtAddr,
    ) -> Result<(), FaultError> {
        p.stats.faults += 1;
        let mm = p.mm.as_mut().expect("faulting process has memory");
        let vma_kind = mm.vmas.find(addr).map(|v| v.kind);
        let stack_before = mm
            .vmas
            .iter()
            .find(|v| v.kind == VmaKind::Stack)
            .map(|v| v.start);
        let mut ctx = FaultCtx {
            mmu: self.machine.mmu_mut(),
            frames: &mut self.frames,
            aspace: mm,
            image: &p.image.bytes,
            stack_limit: self.config.stack_limit,
        };
        let result = ctx.resolve(addr, access);
        let code = match access {
            Access::Read => toyemu_emulator::PfCode::U,
            Access::Write => toyemu_emulator::PfCode::U | toyemu_emulator::PfCode::W,
            Access::Fetch => toyemu_emulator::PfCode::U | toyemu_emulator::PfCode::I,
        };
        if let (Ok(r), true) = (&result, self.tracer.active()) {
            let va = addr.page_base();
            let pte =
                p.mm.as_ref()
                    .map_or(0, |m| m.pte(self.machine.mmu(), va).raw());
            let cause = crate::ledger::Cause::of(r.kind);
            self.emit(EventKind::FrameMapped {
                frame: r.frame,
                cause,
                va,
                pte,
            });
        }
        let (resolution, frame, kind) = match result {
            Ok(r) => (r.resolution, Some(r.frame), Some(r.kind)),
            Err(FaultError::Segv(SegvCode::AccErr)) => (Resolution::Segv, None, vma_kind),
            Err(FaultError::Segv(SegvCode::MapErr)) => (Resolution::Segv, None, None),
            Err(FaultError::OutOfMemory) => (Resolution::OutOfMemory, None, vma_kind),
        };
        if let Some(k) = kind {
            *p.faults_by_kind.entry(k).or_default() += 1;
        }
        match resolution {
            Resolution::ZeroFill => p.stats.zero_fills += 1,
            Resolution::FileFill => p.stats.file_fills += 1,
            Resolution::StackGrowth => p.stats.stack_growths += 1,
            _ => {}
        }
        let code = if matches!(result, Err(FaultError::Segv(SegvCode::AccErr))) {
            code | toyemu_emulator::PfCode::P
        } else {
            code
        };
        self.emit(EventKind::PageFault {
            addr,
            eip,
            code,
            vma: kind,
            resolution,
            frame,
        });
        if resolution == Resolution::StackGrowth {
            let mm = p.mm();
            if let Some(v) = mm.vmas.iter().find(|v| v.kind == VmaKind::Stack).cloned() {
                if Some(v.start) != stack_before {
                    self.emit(EventKind::VmaResized {
                        kind: VmaKind::Stack,
                        start: v.start,
                        end: v.end,
                    });
                }
            }
        }
        let held = self.frames.used_frames() as u64;
        p.stats.peak_frames = p.stats.peak_frames.max(held);
        result.map(|_| ())
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
                resident: mm.resident_in(self.machine.mmu(), v.start, v.end),
                faults: p.faults_by_kind.get(&v.kind).copied().unwrap_or(0),
            })
            .collect()
    }

    /// Snapshot the address space, tear it down, and record the accounts.
    fn finish(&mut self, p: &mut Process, ending: Ending) -> ExitStatus {
        let status = ExitStatus { ending };
        // Whoever wants to look at the address space does it now, before it is gone.
        if let Some(mut hook) = self.before_teardown.take() {
            hook(self, p);
            self.before_teardown = Some(hook);
        }
        let vmas = self.vma_snapshots(p);
        let mm = p.mm.take().expect("process exits once");
        let mmu = self.machine.mmu_mut();
        let page_tables = mm.page_tables(mmu);
        let (brk_start, brk) = (mm.brk_start, mm.brk);
        // Leave CR3 on frame 0, which is never handed out and stays zero.
        mmu.load_cr3(PhysAddr(0));
        let before = mm.ledger;
        let ledger = mm.teardown(mmu, &mut self.frames);
        let at_exit = ledger.since(&before);
        debug_assert_eq!(ledger.outstanding(), 0);
        let signal = status.death().map(|d| d.signal());
        self.emit(EventKind::Exit {
            status: status.code(),
            signal,
            reclaimed: at_exit,
        });
        p.exit = Some(ExitRecord {
            status: status.clone(),
            vmas,
            page_tables,
            brk_start,
            brk,
            ledger,
            reclaimed_at_exit: at_exit,
            instructions: self.insns() - p.started_at,
        });
        status
    }

    /// Tear down a process that never ran (a failed spawn).
    fn discard(&mut self, p: &mut Process) {
        if let Some(mm) = p.mm.take() {
            self.machine.mmu_mut().load_cr3(PhysAddr(0));
            mm.teardown(self.machine.mmu_mut(), &mut self.frames);
        }
    }
}
