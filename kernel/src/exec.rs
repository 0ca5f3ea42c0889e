//! exec: start a program in a fresh address space, as Linux's binfmt_elf
//! does for a static executable.
//!
//! Each `PT_LOAD` segment becomes a VMA (nothing is copied: pages arrive on
//! first touch), the heap starts after the last segment, the stack VMA sits
//! under `STACK_TOP` with argc, argv, envp and the auxv written to it, and
//! the registers are set for the entry point. A file that cannot run was
//! refused earlier, by `ElfImage::parse`; what can still fail here is the
//! running: [`ExecError`]. On failure every frame taken is given back.

use crate::address_space::AddressSpace;
use crate::elf::ElfImage;
use crate::fd::FdTable;
use crate::kernel::Kernel;
use crate::layout::{STACK_INITIAL, STACK_TOP};
use crate::ledger::Ledger;
use crate::process::{default_limits, ProcStats, Process};
use crate::trace::EventKind;
use crate::uaccess::CopyError;
use crate::vma::{Backing, MappedFile, Prot, Vma, VmaKind};
use std::fmt;
use std::sync::Arc;
use toyemu_emulator::{Reg, VirtAddr};

/// Why a checked executable could not be started.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum ExecError {
    /// A segment lies where the initial stack goes (known only once the
    /// size of the arguments is).
    StackOverlap { stack_low: u32 },
    /// Guest RAM ran out before the first instruction.
    OutOfMemory,
}

impl fmt::Display for ExecError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExecError::StackOverlap { stack_low } => write!(
                f,
                "a segment lies in {stack_low:#010x}-{:#010x}, where the stack goes",
                STACK_TOP.0
            ),
            ExecError::OutOfMemory => write!(f, "not enough guest memory to start the program"),
        }
    }
}
impl std::error::Error for ExecError {}

impl Kernel {
    /// A new process running `image` with `argv` and `envp`.
    pub fn exec(
        &mut self,
        image: Arc<ElfImage>,
        argv: &[Vec<u8>],
        envp: &[Vec<u8>],
    ) -> Result<Process, ExecError> {
        let name = argv
            .first()
            .map_or_else(String::new, |a| String::from_utf8_lossy(a).into_owned());
        self.emit(EventKind::Exec {
            path: name.clone(),
            entry: image.entry,
            segments: image.segments.len() as u32,
        });
        let mm = AddressSpace::new(self.machine.mmu_mut(), &mut self.frames)
            .map_err(|_| ExecError::OutOfMemory)?;
        let pid = self.next_pid;
        self.next_pid += 1;
        let mut p = Process {
            pid,
            tgid: pid,
            thread_exited: false,
            name,
            image: image.clone(),
            mm: Some(mm),
            stats: ProcStats::default(),
            exit: None,
            started_at: self.insns(),
            fds: FdTable::console(),
            // Where toyemu runs, as qemu-user starts its guest.
            cwd: std::env::current_dir()
                .and_then(|d| d.canonicalize())
                .unwrap_or_else(|_| "/".into()),
            umask: 0o022,
            limits: default_limits(self.config.stack_limit),
            stack_limit: self.config.stack_limit,
            comm: comm_of(&image.path, argv.first()),
            clear_child_tid: 0,
            robust_list: 0,
            argv: argv.to_vec(),
            envp: envp.to_vec(),
            faults_by_kind: Default::default(),
            signals: Default::default(),
            ppid: 0,
            blocked: None,
            context: None,
            exit_signal: None,
            set_child_tid: 0,
            autoreap: false,
            ran_before: 0,
            turn_start: self.insns(),
            threads_ran: 0,
            threads_made: 0,
            watch_suspended: false,
        };
        if let Err(e) = self.load(&mut p, &image, argv, envp) {
            self.discard(&mut p);
            return Err(e);
        }
        Ok(p)
    }

    /// execve: `p` runs `image` from its entry point in a new address
    /// space; the old one is torn down once the new one stands (until then
    /// a failure leaves `p` as it was). Handlers go back to SIG_DFL,
    /// close-on-exec descriptors close. Returns the old space's frames.
    pub(crate) fn replace_image(
        &mut self,
        p: &mut Process,
        image: Arc<ElfImage>,
        argv: &[Vec<u8>],
        envp: &[Vec<u8>],
    ) -> Result<Ledger, ExecError> {
        let mm = AddressSpace::new(self.machine.mmu_mut(), &mut self.frames)
            .map_err(|_| ExecError::OutOfMemory)?;
        let saved = self.machine.cpu().context();
        let old = p.mm.replace(mm).expect("a running process has memory");
        self.emit(EventKind::Exec {
            path: image.path.clone(),
            entry: image.entry,
            segments: image.segments.len() as u32,
        });
        if let Err(e) = self.load(p, &image, argv, envp) {
            self.discard(p);
            p.mm = Some(old);
            self.machine.cpu_mut().set_context(&saved);
            let pd = p.mm_mut().directory().0.base();
            self.machine.mmu_mut().load_cr3(pd);
            return Err(e);
        }
        let before = old.ledger;
        let (ledger, _) = self.teardown(old);
        let pd = p.mm_mut().directory().0.base();
        self.machine.mmu_mut().load_cr3(pd);
        p.name = image.path.clone();
        p.comm = comm_of(&image.path, argv.first());
        p.image = image;
        p.argv = argv.to_vec();
        p.envp = envp.to_vec();
        p.clear_child_tid = 0;
        p.robust_list = 0;
        p.signals.exec_reset();
        p.fds.close_on_exec();
        Ok(ledger.since(&before))
    }

    /// Map `image` into `p`'s fresh address space, build its stack and set
    /// the registers for the entry point.
    fn load(
        &mut self,
        p: &mut Process,
        image: &ElfImage,
        argv: &[Vec<u8>],
        envp: &[Vec<u8>],
    ) -> Result<(), ExecError> {
        let brk = self.map_segments(p, image);
        let stack = crate::stack::build(image, argv, envp);
        let low = VirtAddr(stack.esp).page_base().0 - STACK_INITIAL;
        // A segment where the stack goes: Linux's exec fails there too.
        if p.mm_mut().vmas.overlaps(VirtAddr(low), STACK_TOP) {
            return Err(ExecError::StackOverlap { stack_low: low });
        }
        let vma = Vma {
            start: VirtAddr(low),
            end: STACK_TOP,
            prot: Prot::READ | Prot::WRITE,
            kind: VmaKind::Stack,
            backing: Backing::Anon,
        };
        self.add_vma(p, vma);
        self.emit(EventKind::StackReady {
            start: VirtAddr(low),
            top: STACK_TOP,
            esp: VirtAddr(stack.esp),
            limit: p.stack_limit,
            argc: argv.len() as u32,
            envc: envp.len() as u32,
        });
        self.start_registers(image.entry, stack.esp);
        // Registers first, so faults taken while writing the stack name the entry point.
        let pd = p.mm_mut().directory();
        self.machine.mmu_mut().load_cr3(pd.0.base());
        if let Err(e) = self.copy_to_user(p, stack.esp, &stack.bytes) {
            return Err(match e {
                CopyError::OutOfMemory { .. } => ExecError::OutOfMemory,
                CopyError::Fault { .. } => unreachable!("initial stack lies inside the stack VMA"),
            });
        }
        log::info!(target: "toyemu::loader", "pid {}: entry {} esp {:#010x} brk {}", p.pid, image.entry, stack.esp, brk);
        Ok(())
    }

    /// One VMA per segment, backed by the image; returns where the heap starts.
    fn map_segments(&mut self, p: &mut Process, image: &ElfImage) -> VirtAddr {
        let file = Arc::new(MappedFile::in_memory(
            image.path.clone(),
            image.bytes.clone(),
            image.dev,
            image.ino,
        ));
        let mut brk = VirtAddr(0);
        for (i, seg) in image.segments.iter().enumerate() {
            let (vaddr, file_offset, file_len) = seg.file_window();
            let vma = Vma {
                start: seg.start(),
                end: seg.end(),
                prot: seg.prot,
                kind: VmaKind::ElfSegment(i as u8),
                backing: Backing::File {
                    file: file.clone(),
                    vaddr,
                    file_offset,
                    file_len,
                    bus_past_end: false,
                },
            };
            brk = brk.max(vma.end);
            self.emit(EventKind::SegmentLoaded {
                index: i as u8,
                offset: seg.offset,
                filesz: seg.filesz,
                vaddr: seg.vaddr,
                memsz: seg.memsz,
                prot: seg.prot,
                start: vma.start,
                end: vma.end,
            });
            self.add_vma(p, vma);
        }
        let mm = p.mm_mut();
        mm.brk_start = brk;
        mm.brk = brk;
        self.emit(EventKind::InitialBreak { brk });
        brk
    }

    /// The registers at the entry point, as Linux's ELF_PLAT_INIT leaves them.
    fn start_registers(&mut self, entry: VirtAddr, esp: u32) {
        let cpu = self.machine.cpu_mut();
        for r in Reg::ALL {
            cpu.set_reg(r, if r == Reg::Esp { esp } else { 0 });
        }
        cpu.set_eip(entry);
        cpu.set_eflags(0x202);
        // CS 0x73, DS ES SS 0x7b, FS GS null, no TLS entries: Linux's start.
        cpu.reset_segments();
        // The FPU as fninit leaves it (Linux's fpu__clear at exec).
        *cpu.fpu_mut() = toyemu_emulator::cpu::x87::Fpu::new();
    }

    /// Tear down a process that never ran.
    fn discard(&mut self, p: &mut Process) {
        if let Some(mm) = p.mm.take() {
            self.teardown(mm);
        }
    }
}

/// The process name (`comm`): the executable's file name, or argv[0]'s,
/// at most 15 bytes, as Linux's `__set_task_comm` keeps it.
fn comm_of(path: &str, argv0: Option<&Vec<u8>>) -> Vec<u8> {
    let full: &[u8] = if path.is_empty() {
        argv0.map_or(&[], |a| a.as_slice())
    } else {
        path.as_bytes()
    };
    let base = full.rsplit(|&b| b == b'/').next().unwrap_or(full);
    base[..base.len().min(15)].to_vec()
}
