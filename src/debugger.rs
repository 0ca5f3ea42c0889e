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
//! Kernel events (syscalls, faults, VMA changes) print as they happen.

use crate::inspect;
use crate::symbols::Symbols;
use crate::Session;
use std::fmt::Write as _;
use std::io::{BufRead, IsTerminal, Write};
use toyemu_emulator::disasm::disassemble;
use toyemu_emulator::{Reg, VirtAddr};
use toyemu_kernel::RunState;

/// Instructions run per slice while waiting for something (a breakpoint is
/// checked between slices of one).
const SLICE: u64 = 1;

pub struct Debugger {
    s: Session,
    breakpoints: Vec<u32>,
}

/// A number in hex (`0x...`) or decimal, or a symbol name.
fn parse_addr(word: &str, syms: &Symbols) -> Result<u32, String> {
    if let Some(h) = word.strip_prefix("0x") {
        return u32::from_str_radix(h, 16).map_err(|_| format!("bad address {word:?}"));
    }
    if let Ok(n) = word.parse() {
        return Ok(n);
    }
    syms.lookup(word)
        .ok_or_else(|| format!("no symbol {word:?}"))
}

impl Debugger {
    pub fn new(s: Session) -> Debugger {
        Debugger {
            s,
            breakpoints: Vec::new(),
        }
    }

    /// Where EIP is, as `0x08049a2c <main+0x1c>: mov ...`.
    fn location(&self) -> String {
        let eip = self.s.kernel.machine.cpu().eip().0;
        let bytes = self
            .s
            .kernel
            .peek_user_bytes(eip, 15)
            .or_else(|| self.s.kernel.peek_user_bytes(eip, 1));
        let text = match bytes {
            Some(b) => disassemble(&b, VirtAddr(eip)).1,
            None => "(page not present yet)".to_string(),
        };
        format!("{eip:#010x} <{}>: {text}", self.s.symbols.describe(eip))
    }

    fn exited(&self) -> Option<String> {
        self.s.process.exit.as_ref().map(|r| {
            let why = r
                .status
                .death()
                .map_or(String::new(), |d| format!(" ({d})"));
            format!(
                "process exited with status {}{why}; {} frames reclaimed at exit, {} free",
                r.status.code(),
                r.reclaimed_at_exit.total_returned(),
                self.s.kernel.frames.free_frames()
            )
        })
    }

    /// Run until `stop` says so, the process ends, or a breakpoint is hit.
    fn run_until(&mut self, max: u64, mut stop: impl FnMut(&Session) -> bool) -> String {
        let mut ran = 0;
        while ran < max {
            let before = self.s.kernel.insns();
            let state = self.s.kernel.run(&mut self.s.process, SLICE);
            ran += (self.s.kernel.insns() - before).max(1);
            if matches!(state, RunState::Exited(_)) {
                return self.exited().unwrap_or_default();
            }
            if stop(&self.s) {
                break;
            }
            let eip = self.s.kernel.machine.cpu().eip().0;
            if self.breakpoints.contains(&eip) {
                return format!("breakpoint at {}", self.location());
            }
        }
        self.location()
    }

    fn regs(&self) -> String {
        let cpu = self.s.kernel.machine.cpu();
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
            self.s.symbols.describe(cpu.eip().0)
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
            match self.s.kernel.peek_user_bytes(a, 4) {
                Some(b) => {
                    let _ = write!(
                        out,
                        " {:#010x}",
                        u32::from_le_bytes([b[0], b[1], b[2], b[3]])
                    );
                }
                None => out.push_str(" <not present>"),
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
        let live = self.s.process.exit.is_none();
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
                Ok(n) => self.run_until(n, |_| false),
                Err(_) => "usage: step [N]".into(),
            },
            "next-syscall" => {
                let n = self.s.process.stats.syscalls;
                self.run_until(u64::MAX, move |s| s.process.stats.syscalls > n)
            }
            "next-fault" => {
                let n = self.s.process.stats.faults;
                self.run_until(u64::MAX, move |s| s.process.stats.faults > n)
            }
            "continue" | "c" => self.run_until(u64::MAX, |_| false),
            "break" | "b" => match arg.map(|a| parse_addr(a, &self.s.symbols)) {
                Some(Ok(a)) => {
                    self.breakpoints.push(a);
                    format!("breakpoint {} at {a:#010x} <{}>", self.breakpoints.len(), self.s.symbols.describe(a))
                }
                Some(Err(e)) => e,
                None => "usage: break ADDR|SYMBOL".into(),
            },
            "regs" => self.regs(),
            "maps" => inspect::maps(&self.s.kernel.vma_snapshots(&self.s.process), &self.s.program),
            "pt" => match arg.map(|a| parse_addr(a, &self.s.symbols)) {
                Some(Ok(a)) => inspect::page_walk(&self.s.kernel, VirtAddr(a)),
                Some(Err(e)) => e,
                None => "usage: pt ADDR".into(),
            },
            "frames" => inspect::frames(&self.s.kernel, &self.s.process),
            x if x.starts_with("x/") => match (x[2..].parse::<u32>(), arg.map(|a| parse_addr(a, &self.s.symbols))) {
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
        self.s
    }
}
