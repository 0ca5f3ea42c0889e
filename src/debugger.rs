//! `toyemu debug`: a small interactive debugger in gdb's manner. One command
//! per line, from a terminal (with history and line editing) or from a pipe
//! (so tests and scripts can drive it); `help` lists the commands, which are
//! one table below (`COMMANDS`). An empty line repeats the last command, as
//! in gdb; a repeated `x` goes on after what it showed.
//!
//! Kernel events (syscalls, faults, VMA changes) print as they happen. A
//! signal stops the program before it is delivered, so the faulting
//! instruction and the whole address space can still be looked at; the next
//! `continue` or `step` delivers it. Ctrl-C during `continue` stops the
//! program and comes back to the prompt; at the prompt it does nothing. The
//! run loop is `crate::inferior`, shared with the gdb stub.
//!
//! With `--memcheck`, a new memcheck error stops the program at the bad
//! access, before it happens (nothing is delivered; the next `continue`
//! or `step` runs it and goes on). Memcheck's own `==PID==` text is
//! collected and printed in front of the answer of the command that ran
//! into it, so it comes once, in order, before the prompt.

use crate::examine::{self, Examine};
use crate::expr::{self, Env};
use crate::inferior::{Inferior, Resume, Stop};
use crate::memcheck::report as memcheck_report;
use crate::unwind::{backtrace, FrameRegs};
use crate::{heap, inspect, leaks};
use crate::{Session, SharedBuf};
use std::fmt::Write as _;
use std::io::{BufRead, Write};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use toyemu_emulator::disasm::MAX_INSN;
use toyemu_emulator::{Reg, VirtAddr};

/// One command: its names (the first is the one `help` shows), its
/// arguments, one line of help, and what it does.
struct Command {
    names: &'static [&'static str],
    args: &'static str,
    help: &'static str,
    /// Needs a process that has not exited.
    live: bool,
    run: fn(&mut Debugger, &str) -> String,
}

/// Every command, in the order `help` lists them. Adding one is adding a row.
const COMMANDS: &[Command] = &[
    Command { names: &["step", "s", "stepi", "si"], args: "[N]", help: "run N instructions (default 1)", live: true, run: Debugger::cmd_step },
    Command { names: &["next-syscall", "ns"], args: "", help: "run until the program has made a syscall", live: true, run: Debugger::cmd_next_syscall },
    Command { names: &["next-fault", "nf"], args: "", help: "run until the kernel has handled a page fault", live: true, run: Debugger::cmd_next_fault },
    Command { names: &["continue", "c"], args: "", help: "run until a breakpoint, a signal, Ctrl-C or the end", live: true, run: Debugger::cmd_continue },
    Command { names: &["break", "b"], args: "FUNC|FILE:LINE|LINE|*EXPR", help: "stop when EIP reaches it", live: false, run: Debugger::cmd_break },
    Command { names: &["delete", "d"], args: "[N...]", help: "remove breakpoints N (all without N)", live: false, run: Debugger::cmd_delete },
    Command { names: &["info", "i"], args: "WHAT", help: "breakpoints, registers, symbol EXPR (`info` lists them)", live: false, run: Debugger::cmd_info },
    Command { names: &["bt", "backtrace", "where"], args: "", help: "the calls that led here, innermost first", live: true, run: Debugger::cmd_bt },
    Command { names: &["regs", "registers"], args: "", help: "registers and flags", live: true, run: Debugger::cmd_regs },
    Command { names: &["x"], args: "/NFU EXPR", help: "memory at EXPR: N units (b h w g) as F (x d u a c s i), e.g. x/4xw $esp+8, x/s $eax, x/3i $eip", live: true, run: Debugger::cmd_x },
    Command { names: &["maps"], args: "", help: "the address space, /proc/PID/maps style, with resident pages and faults", live: true, run: Debugger::cmd_maps },
    Command { names: &["pt"], args: "EXPR", help: "the page walk for an address: PDE, PTE, frame, TLB", live: true, run: Debugger::cmd_pt },
    Command { names: &["heap"], args: "[EXPR]", help: "every malloc chunk (size, requested, header, free-list links) and the fragmentation; with EXPR, the chunk holding it", live: true, run: Debugger::cmd_heap },
    Command { names: &["leaks"], args: "", help: "blocks in use now: still reachable, possibly, indirectly or definitely lost", live: true, run: Debugger::cmd_leaks },
    Command { names: &["memcheck"], args: "", help: "--memcheck's errors so far, in full, and the heap in use (after exit: its summaries)", live: false, run: Debugger::cmd_memcheck },
    Command { names: &["frames"], args: "", help: "the frame allocator and what this process holds", live: false, run: Debugger::cmd_frames },
    Command { names: &["help", "h"], args: "[COMMAND]", help: "this list, or one command's line", live: false, run: Debugger::cmd_help },
    Command { names: &["quit", "q"], args: "", help: "leave (the program is torn down and its frames reclaimed)", live: false, run: Debugger::cmd_quit },
];

/// Most chunks `heap` lists one by one.
const HEAP_ROWS: usize = 200;

/// `info` subcommands.
const INFO: &[(&str, &str)] = &[
    (
        "breakpoints",
        "the breakpoints: number, address, where, times hit",
    ),
    ("registers", "registers and flags (as regs)"),
    ("symbol EXPR", "the symbol and source line an address is in"),
];

/// Commands that an empty line does not repeat (as gdb's `dont_repeat`).
const NO_REPEAT: &[&str] = &["break", "delete", "quit", "help"];

struct Breakpoint {
    number: u32,
    addr: u32,
    /// What the user asked for (`main`, `leak_demo.c:40`).
    spec: String,
    hits: u32,
}

pub struct Debugger {
    inf: Inferior,
    breakpoints: Vec<Breakpoint>,
    next_number: u32,
    /// What an empty line runs again.
    last: Option<String>,
    quit: bool,
    /// Set by SIGINT (Ctrl-C) while the program runs.
    interrupt: Arc<AtomicBool>,
    /// What memcheck printed and the user has not seen yet.
    memcheck_out: Option<SharedBuf>,
}

impl Debugger {
    pub fn new(s: Session) -> Debugger {
        let memcheck_out = s.memcheck.as_ref().map(|m| {
            let buf = SharedBuf::default();
            m.borrow_mut().set_output(Box::new(buf.clone()));
            buf
        });
        Debugger {
            inf: Inferior::new(s, None),
            breakpoints: Vec::new(),
            next_number: 1,
            last: None,
            quit: false,
            interrupt: Arc::new(AtomicBool::new(false)),
            memcheck_out,
        }
    }

    fn s(&self) -> &Session {
        &self.inf.session
    }

    /// The code at `eip`, as `0x08049a2c <main+0x1c (leak_demo.c:40)>: mov ...`.
    fn code_at(&self, eip: u32) -> (usize, String) {
        let mut code = [0u8; MAX_INSN];
        let (len, text) = match self.inf.read_memory(eip, &mut code) {
            0 => (1, "(no code here)".to_string()),
            n => self.s().symbols.disassemble(&code[..n], eip),
        };
        (len, format!("{} {text}", self.place(eip)))
    }

    /// `0x08049a2c <main+0x1c (leak_demo.c:40)>:`
    fn place(&self, addr: u32) -> String {
        match self.s().symbols.known(addr) {
            Some(n) => format!("{addr:#010x} <{n}>:"),
            None => format!("{addr:#010x}:"),
        }
    }

    /// Where EIP is, and the instruction there.
    /// Where the CPU is; after a fork, which process it is in, as gdb's
    /// `[Switching to process N]` would say.
    fn location(&self) -> String {
        let at = self.code_at(self.inf.eip()).1;
        let s = self.s();
        match s.kernel.process_count() {
            1 => at,
            _ => format!("[pid {}] {at}", s.process.pid()),
        }
    }

    fn exited(&self) -> Option<String> {
        self.s().process.exit_record().map(|r| {
            let why = r.status.death().map_or(String::new(), |d| {
                format!(" ({})", d.named(&*self.s().symbols))
            });
            format!(
                "process exited with status {}{why}; {} frames reclaimed at exit, {} free",
                r.status.code(),
                r.reclaimed_at_exit.total_returned(),
                self.s().kernel.frames().free_frames()
            )
        })
    }

    /// Resume as `how` says, `times` times; a held signal is delivered
    /// first, as gdb passes it. Ctrl-C stops it between slices.
    fn resume(&mut self, how: Resume, times: u64) -> String {
        self.interrupt.store(false, Ordering::SeqCst);
        let flag = self.interrupt.clone();
        for _ in 0..times {
            let held = self.inf.pending().map(|d| d.signal());
            let stop = match self.inf.deliver(held) {
                Ok(Some(stop)) => stop,
                _ if flag.swap(false, Ordering::SeqCst) => Stop::Interrupted,
                _ => self.inf.run(how, || flag.swap(false, Ordering::SeqCst)),
            };
            match stop {
                Stop::DoneStep => continue,
                Stop::Breakpoint => return self.hit_breakpoint(),
                Stop::Signal(sig) => {
                    let syms = &*self.s().symbols;
                    let death = self
                        .inf
                        .pending()
                        .map_or(String::new(), |d| d.named(syms).to_string());
                    let action = self.s().process.signals().action(sig);
                    let to = if action.is_handler() {
                        format!(
                            " to its handler at {}",
                            self.place(action.handler).trim_end_matches(':')
                        )
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
                Stop::MemCheck => return self.memcheck_stopped(),
            }
        }
        self.location()
    }

    /// The stop at a new memcheck error: the error on one line, where EIP
    /// is, and what going on does.
    fn memcheck_stopped(&self) -> String {
        let s = self.s();
        let error = s
            .memcheck
            .as_ref()
            .and_then(|m| m.borrow().errors().last().cloned());
        let Some(e) = error else {
            return self.location();
        };
        let next = match e.kind.size() {
            Some(_) => "(it has not happened: continue or step runs it, unchecked, and the program goes on; nothing is delivered)",
            None => "(the call was refused: it returned at once, having freed nothing; continue goes on)",
        };
        format!(
            "stopped by memcheck: {}\n{}\n{next}",
            memcheck_report::error_line(&e, &s.symbols),
            self.location()
        )
    }

    fn hit_breakpoint(&mut self) -> String {
        let eip = self.inf.eip();
        let mut numbers = Vec::new();
        for b in self.breakpoints.iter_mut().filter(|b| b.addr == eip) {
            b.hits += 1;
            numbers.push(b.number.to_string());
        }
        format!("breakpoint {}, {}", numbers.join(", "), self.location())
    }

    /// Run one command line; `None` once the user asked to quit. An empty
    /// line repeats the last command.
    pub fn command(&mut self, line: &str) -> Option<String> {
        let line = line.trim();
        let line = if line.is_empty() {
            match self.last.clone() {
                Some(l) => l,
                None => return Some(String::new()),
            }
        } else {
            line.to_string()
        };
        // `x/4w` is the command `x` with `/4w` as its first argument.
        let split = line
            .find(|c: char| c.is_whitespace() || c == '/')
            .unwrap_or(line.len());
        let (name, args) = line.split_at(split);
        let Some(cmd) = COMMANDS.iter().find(|c| c.names.contains(&name)) else {
            return Some(format!("unknown command {name:?} (try help)"));
        };
        self.last = (!NO_REPEAT.contains(&cmd.names[0])).then(|| line.clone());
        let out = if cmd.live && self.s().process.has_exited() {
            self.exited().unwrap_or_default()
        } else {
            (cmd.run)(self, args.trim())
        };
        if self.quit {
            return None;
        }
        // Memcheck's text of what just ran comes before the answer.
        let said = self
            .memcheck_out
            .as_ref()
            .map(|b| String::from_utf8_lossy(&b.0.take()).into_owned())
            .unwrap_or_default();
        Some(said + &out)
    }

    fn cmd_step(&mut self, args: &str) -> String {
        match args {
            "" => self.resume(Resume::Step, 1),
            n => match n.parse::<u64>() {
                Ok(n) => self.resume(Resume::Step, n),
                Err(_) => "usage: step [N]".into(),
            },
        }
    }

    fn cmd_next_syscall(&mut self, _: &str) -> String {
        self.resume(Resume::NextSyscall, 1)
    }

    fn cmd_next_fault(&mut self, _: &str) -> String {
        self.resume(Resume::NextFault, 1)
    }

    fn cmd_continue(&mut self, _: &str) -> String {
        self.resume(Resume::Continue, 1)
    }

    /// Where a breakpoint spec points: `*EXPR` an address, `FILE:LINE` and
    /// `LINE` (in the file EIP is in) source lines, else a function or an
    /// address expression.
    fn resolve_location(&self, spec: &str) -> Result<u32, String> {
        let syms = &self.s().symbols;
        if let Some(e) = spec.strip_prefix('*') {
            return expr::eval(e, self);
        }
        if let Some((file, line)) = spec.rsplit_once(':') {
            if let Ok(line) = line.parse::<u32>() {
                return syms.line_address(file, line).map(|(a, _)| a);
            }
        }
        if let Ok(line) = spec.parse::<u32>() {
            let file = syms
                .file_of(self.inf.eip())
                .ok_or("no source file here to take the line from (try FILE:LINE)")?;
            return syms.line_address(&file, line).map(|(a, _)| a);
        }
        syms.lookup(spec)
            .ok_or(())
            .or_else(|_| expr::eval(spec, self))
    }

    fn cmd_break(&mut self, args: &str) -> String {
        if args.is_empty() {
            return "usage: break FUNC|FILE:LINE|LINE|*EXPR".into();
        }
        let addr = match self.resolve_location(args) {
            Ok(a) => a,
            Err(e) => return e,
        };
        let number = self.next_number;
        self.next_number = self.next_number.saturating_add(1);
        self.inf.add_breakpoint(addr);
        self.breakpoints.push(Breakpoint {
            number,
            addr,
            spec: args.to_string(),
            hits: 0,
        });
        format!(
            "breakpoint {number} at {addr:#010x} <{}>",
            self.s().symbols.describe(addr)
        )
    }

    fn cmd_delete(&mut self, args: &str) -> String {
        let numbers: Result<Vec<u32>, _> = args.split_whitespace().map(str::parse).collect();
        let Ok(numbers) = numbers else {
            return "usage: delete [N...]".into();
        };
        let before = self.breakpoints.len();
        let mut missing = Vec::new();
        for n in &numbers {
            if !self.breakpoints.iter().any(|b| b.number == *n) {
                missing.push(n.to_string());
            }
        }
        self.breakpoints
            .retain(|b| !numbers.is_empty() && !numbers.contains(&b.number));
        // The inferior keeps one entry per address: drop those no breakpoint holds.
        let gone: Vec<u32> = self
            .inf
            .breakpoints()
            .filter(|a| !self.breakpoints.iter().any(|b| b.addr == *a))
            .collect();
        for a in gone {
            self.inf.remove_breakpoint(a);
        }
        let removed = before - self.breakpoints.len();
        let mut out = format!(
            "deleted {removed} breakpoint{}",
            if removed == 1 { "" } else { "s" }
        );
        if !missing.is_empty() {
            let _ = write!(out, "; no breakpoint {}", missing.join(", "));
        }
        out
    }

    fn cmd_info(&mut self, args: &str) -> String {
        let (what, rest) = args.split_once(' ').unwrap_or((args, ""));
        match what {
            "breakpoints" | "break" | "b" => self.info_breakpoints(),
            "registers" | "reg" | "r" if !self.s().process.has_exited() => self.cmd_regs(""),
            "symbol" | "sym" => match expr::eval(rest, self) {
                Ok(a) => match self.s().symbols.known(a) {
                    Some(n) => format!("{a:#010x} is {n}"),
                    None => format!("no symbol matches {a:#010x}"),
                },
                Err(e) => e,
            },
            _ => {
                let mut out = String::from("info WHAT, where WHAT is one of:");
                for (w, h) in INFO {
                    let _ = write!(out, "\n  info {w:<14} {h}");
                }
                out
            }
        }
    }

    fn info_breakpoints(&self) -> String {
        if self.breakpoints.is_empty() {
            return "no breakpoints".into();
        }
        let mut out = String::from("num  address     where");
        for b in &self.breakpoints {
            let hits = match b.hits {
                0 => String::new(),
                1 => ", hit once".into(),
                n => format!(", hit {n} times"),
            };
            let _ = write!(
                out,
                "\n{:<4} {:#010x}  {} (break {}{hits})",
                b.number,
                b.addr,
                self.s().symbols.describe(b.addr),
                b.spec
            );
        }
        out
    }

    fn cmd_bt(&mut self, _: &str) -> String {
        let cpu = self.s().kernel.machine().cpu();
        let regs = FrameRegs {
            eip: cpu.eip().0,
            esp: cpu.reg(Reg::Esp),
            ebp: cpu.reg(Reg::Ebp),
        };
        let read = |a: u32| self.read_u32(a);
        let syms = &self.s().symbols;
        let frames = backtrace(syms.cfi(), regs, &read);
        let mut out = String::new();
        for (i, f) in frames.iter().enumerate() {
            let at = if i == 0 {
                syms.describe(f.eip)
            } else {
                syms.describe_return(f.eip)
            };
            let _ = writeln!(out, "#{i:<2} {:#010x} <{at}>", f.eip);
        }
        out
    }

    fn cmd_regs(&mut self, _: &str) -> String {
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

    fn cmd_x(&mut self, args: &str) -> String {
        let (format, rest) = match args.strip_prefix('/') {
            Some(f) => f.split_once(char::is_whitespace).unwrap_or((f, "")),
            None => ("", args),
        };
        let ex = match Examine::parse(format) {
            Ok(ex) => ex,
            Err(e) => return e,
        };
        let addr = match expr::eval(rest, self) {
            Ok(a) => a,
            Err(e) if rest.is_empty() => return format!("usage: x[/NFU] EXPR ({e})"),
            Err(e) => return e,
        };
        let (text, next) = examine::show(self, &ex, addr);
        // Enter goes on where this left off, in the same format.
        self.last = Some(format!("x/{} {next:#x}", ex.spec()));
        text
    }

    fn cmd_maps(&mut self, _: &str) -> String {
        inspect::maps(
            &self.s().kernel.vma_snapshots(&self.s().process),
            &self.s().program,
        )
    }

    fn cmd_pt(&mut self, args: &str) -> String {
        if args.is_empty() {
            return "usage: pt EXPR".into();
        }
        match expr::eval(args, self) {
            Ok(a) => inspect::page_walk(&self.s().kernel, VirtAddr(a)),
            Err(e) => e,
        }
    }

    fn cmd_heap(&mut self, args: &str) -> String {
        let s = self.s();
        let heap = heap::walk(&s.kernel, &s.process, &s.symbols);
        if args.is_empty() {
            return heap::render(&heap, &s.symbols, HEAP_ROWS);
        }
        match expr::eval(args, self) {
            Ok(a) => heap::describe_addr(&heap, &s.symbols, a),
            Err(e) => e,
        }
    }

    fn cmd_leaks(&mut self, _: &str) -> String {
        let s = self.s();
        let r = leaks::walk(&s.kernel, &s.process, &s.symbols);
        leaks::render(&r, &s.symbols, None)
    }

    fn cmd_memcheck(&mut self, _: &str) -> String {
        let s = self.s();
        match &s.memcheck {
            Some(m) => memcheck_report::so_far_text(&m.borrow().summary(), &s.symbols),
            None => "memcheck is off: start the program with toyemu debug --memcheck".into(),
        }
    }

    fn cmd_frames(&mut self, _: &str) -> String {
        inspect::frames(&self.s().kernel, &self.s().process)
    }

    fn cmd_help(&mut self, args: &str) -> String {
        let mut out = String::new();
        for c in COMMANDS
            .iter()
            .filter(|c| args.is_empty() || c.names.contains(&args))
        {
            // `x/NFU`: the format sticks to the name.
            let sep = if c.args.starts_with('/') { "" } else { " " };
            let usage = format!("{}{sep}{}", c.names[0], c.args);
            let _ = writeln!(out, "  {usage:<34} {}", c.help);
            if c.names.len() > 1 && !args.is_empty() {
                let _ = writeln!(out, "  (also {})", c.names[1..].join(", "));
            }
        }
        if out.is_empty() {
            return format!("no command {args:?} (try help)");
        }
        if args.is_empty() {
            out.insert_str(0, "commands (an empty line repeats the last one):\n");
            out.push_str("EXPR: numbers (0x hex), $registers ($eax $esp $eip ...), symbols, + - * / ( ), *ADDR reads a word");
        }
        out
    }

    fn cmd_quit(&mut self, _: &str) -> String {
        self.quit = true;
        String::new()
    }

    /// Read commands from `input` (a pipe or a file) until `quit` or the
    /// end of input.
    pub fn repl(&mut self, input: impl BufRead, out: &mut dyn Write) -> std::io::Result<()> {
        writeln!(out, "{}", self.location())?;
        for line in input.lines() {
            if !self.answer(&line?, out)? {
                break;
            }
        }
        Ok(())
    }

    /// Print what `line` answers; false once the user quit.
    fn answer(&mut self, line: &str, out: &mut dyn Write) -> std::io::Result<bool> {
        match self.command(line) {
            Some(text) if text.is_empty() => {}
            Some(text) => writeln!(out, "{}", text.trim_end())?,
            None => return Ok(false),
        }
        out.flush()?;
        Ok(true)
    }

    /// The prompt on a terminal: line editing and history (rustyline), and
    /// Ctrl-C for the program. While the program runs, SIGINT only sets a
    /// flag the run loop looks at; at the prompt the editor reads Ctrl-C as
    /// a key and clears the line.
    pub fn interactive(&mut self) -> Result<(), String> {
        let _sigint = self.catch_sigint()?;
        let mut editor =
            rustyline::DefaultEditor::new().map_err(|e| format!("no line editor: {e}"))?;
        let mut out = std::io::stdout();
        let say = |e: std::io::Error| format!("cannot write: {e}");
        writeln!(out, "{}", self.location()).map_err(say)?;
        loop {
            match editor.readline("(toyemu) ") {
                Ok(line) => {
                    if !line.trim().is_empty() {
                        let _ = editor.add_history_entry(line.as_str());
                    }
                    match self.answer(&line, &mut out) {
                        Ok(true) => {}
                        Ok(false) => break,
                        Err(e) => return Err(say(e)),
                    }
                }
                Err(rustyline::error::ReadlineError::Interrupted) => continue,
                Err(rustyline::error::ReadlineError::Eof) => break,
                Err(e) => return Err(format!("cannot read the terminal: {e}")),
            }
        }
        Ok(())
    }

    /// Let SIGINT set the interrupt flag instead of ending toyemu, until
    /// the returned guard is dropped. Scripted sessions use it too: a
    /// Ctrl-C to a piped `toyemu debug` stops the program, not the debugger.
    pub fn catch_sigint(&self) -> Result<SigintGuard, String> {
        signal_hook::flag::register(signal_hook::consts::SIGINT, self.interrupt.clone())
            .map(SigintGuard)
            .map_err(|e| format!("cannot catch SIGINT: {e}"))
    }

    /// The session, to finish it (tear down, report) after the prompt ends.
    pub fn into_session(self) -> Session {
        self.inf.session
    }

    /// The word at `addr`, if it can be read.
    fn read_u32(&self, addr: u32) -> Option<u32> {
        let mut b = [0u8; 4];
        (self.inf.read_memory(addr, &mut b) == 4).then(|| u32::from_le_bytes(b))
    }
}

impl examine::Memory for Debugger {
    fn read(&self, addr: u32, out: &mut [u8]) -> usize {
        self.inf.read_memory(addr, out)
    }

    fn symbols(&self) -> &crate::symbols::Symbols {
        &self.s().symbols
    }

    fn instruction(&self, addr: u32) -> (usize, String) {
        let (len, text) = self.code_at(addr);
        let mark = if addr == self.inf.eip() { "=> " } else { "   " };
        (len, format!("{mark}{text}"))
    }
}

/// Puts SIGINT back as it was when dropped.
pub struct SigintGuard(signal_hook::SigId);

impl Drop for SigintGuard {
    fn drop(&mut self) {
        signal_hook::low_level::unregister(self.0);
    }
}

impl Env for Debugger {
    fn register(&self, name: &str) -> Option<u32> {
        let cpu = self.s().kernel.machine().cpu();
        let r = match name {
            "eax" => Reg::Eax,
            "ecx" => Reg::Ecx,
            "edx" => Reg::Edx,
            "ebx" => Reg::Ebx,
            "esp" | "sp" => Reg::Esp,
            "ebp" | "fp" => Reg::Ebp,
            "esi" => Reg::Esi,
            "edi" => Reg::Edi,
            "eip" | "pc" => return Some(cpu.eip().0),
            "eflags" => return Some(cpu.eflags()),
            _ => return None,
        };
        Some(cpu.reg(r))
    }

    fn symbol(&self, name: &str) -> Option<u32> {
        self.s().symbols.lookup(name)
    }

    fn read_u32(&self, addr: u32) -> Option<u32> {
        Debugger::read_u32(self, addr)
    }
}
