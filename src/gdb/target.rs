//! The `gdbstub` target: gdb's requests (registers, memory, breakpoints,
//! resume, monitor commands) translated into calls on the [`Inferior`].

use super::monitor;
use crate::inferior::{Inferior, Resume};
use gdbstub::common::Signal as GdbSignal;
use gdbstub::target::ext::base::singlethread::{
    SingleThreadBase, SingleThreadRangeStepping, SingleThreadRangeSteppingOps, SingleThreadResume,
    SingleThreadResumeOps, SingleThreadSingleStep, SingleThreadSingleStepOps,
};
use gdbstub::target::ext::base::BaseOps;
use gdbstub::target::ext::breakpoints::{
    Breakpoints, BreakpointsOps, SwBreakpoint, SwBreakpointOps,
};
use gdbstub::target::ext::host_io::HostIoOps;
use gdbstub::target::ext::monitor_cmd::{ConsoleOutput, MonitorCmd, MonitorCmdOps};
use gdbstub::target::{Target, TargetError, TargetResult};
use gdbstub_arch::x86::reg::X86CoreRegs;
use gdbstub_arch::x86::X86_SSE;
use toyemu_emulator::{Reg, VirtAddr};
use toyemu_kernel::errno::EFAULT;
use toyemu_kernel::syscall::PeekedFile;
use toyemu_kernel::Signal;

pub struct GdbTarget {
    pub inf: Inferior,
    /// What the next wait for a stop should do.
    pub resume: Resume,
    /// The signal gdb resumed with, to deliver before running.
    pub signal: Option<GdbSignal>,
    /// Files gdb opened through host I/O (`info proc mappings`), by
    /// descriptor; `None` once closed. `host_io.rs` serves them.
    pub files: Vec<Option<PeekedFile>>,
}

impl GdbTarget {
    pub fn new(inf: Inferior) -> GdbTarget {
        GdbTarget {
            inf,
            resume: Resume::Continue,
            signal: None,
            files: Vec::new(),
        }
    }
}

/// Linux's signal numbers against gdb's protocol numbers (gdb/signals.def):
/// most agree, these do not.
const RENUMBERED: [(u32, u8); 12] = [
    (7, 10),  // SIGBUS
    (10, 30), // SIGUSR1
    (12, 31), // SIGUSR2
    (17, 20), // SIGCHLD
    (18, 19), // SIGCONT
    (19, 17), // SIGSTOP
    (20, 18), // SIGTSTP
    (23, 16), // SIGURG
    (29, 23), // SIGIO
    (30, 32), // SIGPWR
    (31, 12), // SIGSYS
    (16, 0),  // SIGSTKFLT has no gdb number
];

pub fn to_gdb_signal(s: Signal) -> GdbSignal {
    match RENUMBERED.iter().find(|(linux, _)| *linux == s.0) {
        Some(&(_, gdb)) => GdbSignal(gdb),
        None => GdbSignal(u8::try_from(s.0).unwrap_or(0)),
    }
}

pub fn from_gdb_signal(s: GdbSignal) -> Signal {
    match RENUMBERED.iter().find(|(_, gdb)| *gdb == s.0 && s.0 != 0) {
        Some(&(linux, _)) => Signal(linux),
        None => Signal(s.0 as u32),
    }
}

impl Target for GdbTarget {
    type Arch = X86_SSE;
    /// Fatal errors end the session; none of ours are.
    type Error = String;

    #[inline(always)]
    fn base_ops(&mut self) -> BaseOps<'_, Self::Arch, Self::Error> {
        BaseOps::SingleThread(self)
    }

    #[inline(always)]
    fn support_breakpoints(&mut self) -> Option<BreakpointsOps<'_, Self>> {
        Some(self)
    }

    #[inline(always)]
    fn support_monitor_cmd(&mut self) -> Option<MonitorCmdOps<'_, Self>> {
        Some(self)
    }

    #[inline(always)]
    fn support_host_io(&mut self) -> Option<HostIoOps<'_, Self>> {
        Some(self)
    }
}

impl SingleThreadBase for GdbTarget {
    fn read_registers(&mut self, regs: &mut X86CoreRegs) -> TargetResult<(), Self> {
        let r = self.inf.session.kernel.machine().cpu().registers();
        // No SSE in this machine: XMM0-7 and MXCSR read as zero.
        *regs = X86CoreRegs::default();
        // The x87 as `fnsave` lays it out: the environment, then ST(0)..ST(7).
        let img = self.inf.session.kernel.machine().cpu().fpu().save_image();
        let word = |i: usize| u32::from_le_bytes(img[4 * i..4 * i + 4].try_into().unwrap());
        regs.fpu.fctrl = word(0) & 0xffff;
        regs.fpu.fstat = word(1) & 0xffff;
        regs.fpu.ftag = word(2) & 0xffff;
        regs.fpu.fioff = word(3);
        regs.fpu.fiseg = word(4) & 0xffff;
        regs.fpu.fop = word(4) >> 16 & 0x7ff;
        regs.fpu.fooff = word(5);
        regs.fpu.foseg = word(6) & 0xffff;
        for (i, st) in regs.st.iter_mut().enumerate() {
            st.copy_from_slice(&img[28 + 10 * i..38 + 10 * i]);
        }
        regs.eax = r.gpr[0];
        regs.ecx = r.gpr[1];
        regs.edx = r.gpr[2];
        regs.ebx = r.gpr[3];
        regs.esp = r.gpr[4];
        regs.ebp = r.gpr[5];
        regs.esi = r.gpr[6];
        regs.edi = r.gpr[7];
        regs.eip = r.eip;
        regs.eflags = r.eflags;
        let sel = r.selectors;
        regs.segments.cs = sel.cs as u32;
        regs.segments.ss = sel.ss as u32;
        regs.segments.ds = sel.ds as u32;
        regs.segments.es = sel.es as u32;
        regs.segments.fs = sel.fs as u32;
        regs.segments.gs = sel.gs as u32;
        Ok(())
    }

    fn write_registers(&mut self, regs: &X86CoreRegs) -> TargetResult<(), Self> {
        let cpu = self.inf.session.kernel.cpu_mut();
        let values = [
            regs.eax, regs.ecx, regs.edx, regs.ebx, regs.esp, regs.ebp, regs.esi, regs.edi,
        ];
        // gdb's i386 `g` packet orders them as the encoding does.
        for (r, v) in Reg::ALL.into_iter().zip(values) {
            cpu.set_reg(r, v);
        }
        cpu.set_eip(VirtAddr(regs.eip));
        // Only what `popf` may change at CPL 3; segment writes are ignored.
        cpu.set_eflags(regs.eflags);
        // The x87 through an `frstor` image, as `set $st0 = ...` needs.
        let mut img = cpu.fpu().save_image();
        let f = &regs.fpu;
        let env = [
            f.fctrl,
            f.fstat,
            f.ftag,
            f.fioff,
            f.fop << 16 | f.fiseg,
            f.fooff,
            f.foseg,
        ];
        for (i, w) in env.iter().enumerate() {
            img[4 * i..4 * i + 4].copy_from_slice(&w.to_le_bytes());
        }
        for (i, st) in regs.st.iter().enumerate() {
            img[28 + 10 * i..38 + 10 * i].copy_from_slice(st);
        }
        cpu.fpu_mut().restore_image(&img);
        Ok(())
    }

    fn read_addrs(&mut self, start_addr: u32, data: &mut [u8]) -> TargetResult<usize, Self> {
        match self.inf.read_memory(start_addr, data) {
            // An empty reply would tell gdb the packet is unsupported.
            0 if !data.is_empty() => Err(TargetError::Errno(EFAULT.0 as u8)),
            n => Ok(n),
        }
    }

    fn write_addrs(&mut self, start_addr: u32, data: &[u8]) -> TargetResult<(), Self> {
        self.inf.write_memory(start_addr, data).map_err(|e| {
            log::info!(target: "toyemu::gdb", "memory write refused: {e}");
            TargetError::Errno(EFAULT.0 as u8)
        })
    }

    #[inline(always)]
    fn support_resume(&mut self) -> Option<SingleThreadResumeOps<'_, Self>> {
        Some(self)
    }
}

impl SingleThreadResume for GdbTarget {
    fn resume(&mut self, signal: Option<GdbSignal>) -> Result<(), Self::Error> {
        self.resume = Resume::Continue;
        self.signal = signal;
        Ok(())
    }

    #[inline(always)]
    fn support_single_step(&mut self) -> Option<SingleThreadSingleStepOps<'_, Self>> {
        Some(self)
    }

    #[inline(always)]
    fn support_range_step(&mut self) -> Option<SingleThreadRangeSteppingOps<'_, Self>> {
        Some(self)
    }
}

impl SingleThreadSingleStep for GdbTarget {
    fn step(&mut self, signal: Option<GdbSignal>) -> Result<(), Self::Error> {
        self.resume = Resume::Step;
        self.signal = signal;
        Ok(())
    }
}

impl SingleThreadRangeStepping for GdbTarget {
    fn resume_range_step(&mut self, start: u32, end: u32) -> Result<(), Self::Error> {
        self.resume = Resume::Range(start, end);
        self.signal = None;
        Ok(())
    }
}

impl Breakpoints for GdbTarget {
    #[inline(always)]
    fn support_sw_breakpoint(&mut self) -> Option<SwBreakpointOps<'_, Self>> {
        Some(self)
    }
}

impl SwBreakpoint for GdbTarget {
    fn add_sw_breakpoint(&mut self, addr: u32, _kind: usize) -> TargetResult<bool, Self> {
        self.inf.add_breakpoint(addr);
        Ok(true)
    }

    fn remove_sw_breakpoint(&mut self, addr: u32, _kind: usize) -> TargetResult<bool, Self> {
        Ok(self.inf.remove_breakpoint(addr))
    }
}

impl MonitorCmd for GdbTarget {
    fn handle_monitor_cmd(
        &mut self,
        cmd: &[u8],
        mut out: ConsoleOutput<'_>,
    ) -> Result<(), Self::Error> {
        let text = monitor::run(&self.inf, &String::from_utf8_lossy(cmd));
        out.write_raw(text.as_bytes());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn signal_numbers_round_trip() {
        for n in 1..=31 {
            let s = Signal(n);
            let g = to_gdb_signal(s);
            if n == 16 {
                assert_eq!(g.0, 0);
                continue;
            }
            assert_eq!(from_gdb_signal(g), s, "{n}");
        }
        assert_eq!(to_gdb_signal(Signal(11)), GdbSignal::SIGSEGV);
        assert_eq!(to_gdb_signal(Signal(7)), GdbSignal::SIGBUS);
        assert_eq!(to_gdb_signal(Signal(24)), GdbSignal::SIGXCPU);
    }
}
