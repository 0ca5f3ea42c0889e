//! `toyemu debug`: a small interactive stepper. One command per line, from
//! a terminal or from a pipe (so tests and scripts can drive it):
//!
//! ```text
//! step [N]          run N instructions (default 1)
//! next-syscall      run until a syscall has been made
//! next-fault        run until a page fault has been handled
//! continue          run until a breakpoint or the end
//! break ADDR|SYM    stop when EIP reaches it
//! regs              registers and flags
//! maps              the address space, /proc/PID/maps style
//! pt ADDR           the page walk for ADDR: PDE, PTE, frame, TLB
//! x/N ADDR          N 32-bit words of memory at ADDR
//! frames            the frame allocator and what this process holds
//! quit
//! ```
//! Kernel events (syscalls, faults, VMA changes) print as they happen. A
//! fatal signal stops the program before it is delivered, so the faulting
//! instruction and the whole address space can still be looked at; the
//! next `continue` or `step` delivers it. The run loop is `crate::inferior`,
//! shared with the gdb stub.

use crate::inferior::{Inferior, Resume, Stop};
use crate::inspect;
use crate::Session;
use std::fmt::Write as _;
use std::io::{BufRead, IsTerminal, Write};
use toyemu_emulator::disasm::{disassemble, MAX_INSN};
use toyemu_emulator::{Reg, VirtAddr};

pub struct Debugger {
    inf: Inferior,
}

impl Debugger {
    pub fn new(s: Session) -> Debugger {
        Debugger {
            inf: Inferior::new(s, None),
        }
    }

    fn s(&self) -> &Session {
        &self.inf.session
    }

    /// Where EIP is, as `0x08049a2c <main+0x1c>: mov ...`.
    fn location(&self) -> String {
        let eip = self.inf.eip();
        let mut code = [0u8; MAX_INSN];
        let n = self.inf.read_memory(eip, &mut code);
        let text = match n {
            0 => "(no code here)".to_string(),
            n => disassemble(&code[..n], VirtAddr(eip)).1,
        };
        format!("{eip:#010x} <{}>: {text}", self.s().symbols.describe(eip))
    }

    fn exited(&self) -> Option<String> {
        self.s().process.exit_record().map(|r| {
            let why = r
                .status
                .death()
                .map_or(String::new(), |d| format!(" ({d})"));
            format!(
                "process exited with status {}{why}; {} frames reclaimed at exit, {} free",
                r.status.code(),
                r.reclaimed_at_exit.total_returned(),
                self.s().kernel.frames().free_frames()
            )
        })
    }

    /// Resume as `how` says, `times` times; a held signal is delivered
    /// first, as gdb passes it.
    fn resume(&mut self, how: Resume, times: u64) -> String {
        for _ in 0..times {
            let held = self.inf.pending().map(|d| d.signal());
            let stop = match self.inf.deliver(held) {
                Ok(Some(stop)) => stop,
                _ => self.inf.run(how, || false),
            };
            match stop {
                Stop::DoneStep => continue,
                Stop::Breakpoint => return format!("breakpoint at {}", self.location()),
                Stop::Signal(sig) => {
                    let death = self.inf.pending().map_or(String::new(), |d| d.to_string());
                    let action = self.s().process.signals().action(sig);
                    let to = if action.is_handler() {
                        format!(" to its handler at {:#010x}", action.handler)
                    } else {
                        String::new()
                    };
                    return format!(
                        "stopped before delivering {sig}: {death}\n{}\n(continue delivers it{to})",
                        self.location()
                    );
                }
                Stop::Interrupted => return format!("interrupted at {}", self.location()),
                Stop::Exited(_) => return self.exited().unwrap_or_default(),
            }
        }
        self.location()
    }

    fn regs(&self) -> String {
        let cpu = self.s().kernel.machine().cpu();
        let mut out = String::new();
        for (name, r) in [
            ("eax", Reg::Eax),
            ("ebx", Reg::Ebx),
            ("ecx", Reg::Ecx),
            ("edx", Reg::Edx),
            ("esi", Reg::Esi),
            ("edi", Reg::Edi),
            ("ebp", Reg::Ebp),
            ("esp", Reg::Esp),
        ] {
            let _ = writeln!(out, "{name} {:#010x} {}", cpu.reg(r), cpu.reg(r) as i32);
        }
        let f = cpu.eflags();
        let names: Vec<&str> = [
            (0, "CF"),
            (2, "PF"),
            (4, "AF"),
            (6, "ZF"),
            (7, "SF"),
            (10, "DF"),
            (11, "OF"),
        ]
        .iter()
        .filter(|(b, _)| f & (1 << b) != 0)
        .map(|(_, n)| *n)
        .collect();
        let _ = writeln!(
            out,
            "eip {:#010x} <{}>",
            cpu.eip().0,
            self.s().symbols.describe(cpu.eip().0)
        );
        let _ = write!(out, "eflags {f:#010x} [{}]", names.join(" "));
        out
    }

    fn examine(&self, n: u32, addr: u32) -> String {
        let mut out = String::new();
        for i in 0..n.min(256) {
            let a = addr.wrapping_add(4 * i);
            if i % 4 == 0 {
                if i > 0 {
                    out.push('\n');
                }
                let _ = write!(out, "{a:#010x}:");
            }
            let mut b = [0u8; 4];
            match self.inf.read_memory(a, &mut b) {
                4 => {
                    let _ = write!(out, " {:#010x}", u32::from_le_bytes(b));
                }
                _ => out.push_str(" <nothing mapped>"),
            }
        }
        out
    }

    /// Do one command; `None` means quit.
    pub fn command(&mut self, line: &str) -> Option<String> {
        let words: Vec<&str> = line.split_whitespace().collect();
        let Some(&cmd) = words.first() else {
            return Some(String::new());
        };
        let arg = words.get(1).copied();
        let live = !self.s().process.has_exited();
        let need_live = matches!(
            cmd,
            "step"
                | "s"
                | "next-syscall"
                | "next-fault"
                | "continue"
                | "c"
                | "regs"
                | "maps"
                | "pt"
        ) || cmd.starts_with("x/");
        if need_live && !live {
            return Some(self.exited().unwrap_or_default());
        }
        let out = match cmd {
            "quit" | "q" => return None,
            "step" | "s" => match arg.map(str::parse::<u64>).unwrap_or(Ok(1)) {
                Ok(n) => self.resume(Resume::Step, n),
                Err(_) => "usage: step [N]".into(),
            },
            "next-syscall" => self.resume(Resume::NextSyscall, 1),
            "next-fault" => self.resume(Resume::NextFault, 1),
            "continue" | "c" => self.resume(Resume::Continue, 1),
            "break" | "b" => match arg.map(|a| self.s().symbols.parse_addr(a)) {
                Some(Ok(a)) => {
                    self.inf.add_breakpoint(a);
                    let n = self.inf.breakpoints().count();
                    format!("breakpoint {n} at {a:#010x} <{}>", self.s().symbols.describe(a))
                }
                Some(Err(e)) => e,
                None => "usage: break ADDR|SYMBOL".into(),
            },
            "regs" => self.regs(),
            "maps" => inspect::maps(&self.s().kernel.vma_snapshots(&self.s().process), &self.s().program),
            "pt" => match arg.map(|a| self.s().symbols.parse_addr(a)) {
                Some(Ok(a)) => inspect::page_walk(&self.s().kernel, VirtAddr(a)),
                Some(Err(e)) => e,
                None => "usage: pt ADDR".into(),
            },
            "frames" => inspect::frames(&self.s().kernel, &self.s().process),
            x if x.starts_with("x/") => match (x[2..].parse::<u32>(), arg.map(|a| self.s().symbols.parse_addr(a))) {
                (Ok(n), Some(Ok(a))) => self.examine(n, a),
                _ => "usage: x/N ADDR".into(),
            },
            "help" | "h" => "commands: step [N], next-syscall, next-fault, continue, break ADDR|SYMBOL, regs, maps, pt ADDR, x/N ADDR, frames, quit".into(),
            other => format!("unknown command {other:?} (try help)"),
        };
        Some(out)
    }

    /// Read commands from `input` until `quit` or the end of input.
    pub fn repl(&mut self, input: impl BufRead, out: &mut dyn Write) -> std::io::Result<()> {
        let interactive = std::io::stdin().is_terminal();
        writeln!(out, "{}", self.location())?;
        let mut lines = input.lines();
        loop {
            if interactive {
                write!(out, "(toyemu) ")?;
                out.flush()?;
            }
            let Some(line) = lines.next() else { break };
            let line = line?;
            match self.command(&line) {
                Some(text) if text.is_empty() => {}
                Some(text) => writeln!(out, "{}", text.trim_end())?,
                None => break,
            }
        }
        Ok(())
    }

    /// The session, to finish it (tear down, report) after the prompt ends.
    pub fn into_session(self) -> Session {
        self.inf.session
    }
}
