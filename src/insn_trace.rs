//! `--trace=insn`: every instruction as it retires — address, symbol and
//! source line, bytes, disassembly (branch targets named), and the registers
//! it changed — interleaved with the kernel's
//! events in one stream.

use crate::symbols::Symbols;
use crate::{ExitReport, Session};
use std::cell::RefCell;
use std::fmt::Write as _;
use std::io::Write;
use std::rc::Rc;
use toyemu_emulator::disasm::MAX_INSN;
use toyemu_emulator::Registers;
use toyemu_kernel::signal::Death;
use toyemu_kernel::RunState;

/// A writer shared by the event sink and the instruction printer, so both
/// land in one stream. While an instruction runs, its events are held back
/// and follow the instruction's own line: cause, then effect.
#[derive(Clone)]
pub struct SharedOut(Rc<RefCell<Shared>>);

struct Shared {
    out: Box<dyn Write>,
    held: Option<Vec<u8>>,
}

impl SharedOut {
    pub fn new(out: Box<dyn Write>) -> SharedOut {
        SharedOut(Rc::new(RefCell::new(Shared { out, held: None })))
    }
    fn hold(&self) {
        self.0.borrow_mut().held = Some(Vec::new());
    }
    /// Write `line` ahead of whatever was held, then release it.
    fn release_after(&self, line: Option<&str>) {
        let mut sh = self.0.borrow_mut();
        let held = sh.held.take().unwrap_or_default();
        if let Some(l) = line {
            let _ = writeln!(sh.out, "{l}");
        }
        let _ = sh.out.write_all(&held);
    }
}

impl Write for SharedOut {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        let mut sh = self.0.borrow_mut();
        match sh.held.as_mut() {
            Some(h) => {
                h.extend_from_slice(b);
                Ok(b.len())
            }
            None => sh.out.write(b),
        }
    }
    fn flush(&mut self) -> std::io::Result<()> {
        self.0.borrow_mut().out.flush()
    }
}

const NAMES: [&str; 8] = ["eax", "ecx", "edx", "ebx", "esp", "ebp", "esi", "edi"];

/// `eax=0x1 esp=0xbffffee8 eflags=0x246` for what differs.
fn changes(before: &Registers, after: &Registers) -> String {
    let mut out = String::new();
    for ((name, b), a) in NAMES.iter().zip(before.gpr).zip(after.gpr) {
        if b != a {
            let _ = write!(out, " {name}={a:#x}");
        }
    }
    if before.eflags != after.eflags {
        let _ = write!(out, " eflags={:#x}", after.eflags);
    }
    out
}

/// Up to 15 bytes of code at `eip`.
fn code_bytes(s: &Session, eip: u32) -> Option<Vec<u8>> {
    let mut code = vec![0; MAX_INSN];
    let n = s.kernel.peek_user(&s.process, eip, &mut code);
    code.truncate(n);
    (n > 0).then_some(code)
}

/// One line for the instruction at `eip`.
pub fn line(
    syms: &Symbols,
    bytes: &[u8],
    eip: u32,
    before: &Registers,
    after: &Registers,
) -> String {
    // Show exactly the bytes of this instruction; a direct branch names
    // its target, as objdump does.
    let (len, text) = syms.disassemble(bytes, eip);
    let hex: Vec<String> = bytes[..len].iter().map(|b| format!("{b:02x}")).collect();
    let at = syms.known(eip).map_or(String::new(), |n| format!("<{n}>"));
    let line = format!(
        "{eip:#010x} {at:<32} {:<24} {text:<40}{}",
        hex.join(" "),
        changes(before, after)
    );
    line.trim_end().to_string()
}

/// Run to the end one instruction at a time, printing each to `out`.
pub fn run_traced(mut s: Session, out: &SharedOut, max_insns: Option<u64>) -> ExitReport {
    let syms = s.symbols.clone();
    let start = s.kernel.insns();
    loop {
        if let Some(limit) = max_insns {
            if s.kernel.insns() - start >= limit {
                out.hold();
                s.kernel
                    .kill(&mut s.process, Death::InstructionLimit { limit });
                out.release_after(None);
                break;
            }
        }
        let before = s.kernel.machine().cpu().registers();
        let n = s.kernel.insns();
        // Read the code first: an instruction that ends the process leaves no memory behind.
        let early = code_bytes(&s, before.eip);
        out.hold();
        let state = s.kernel.run(&mut s.process, 1);
        let text = (s.kernel.insns() > n).then(|| {
            let after = s.kernel.machine().cpu().registers();
            let bytes = early
                .or_else(|| code_bytes(&s, before.eip))
                .unwrap_or_default();
            line(&syms, &bytes, before.eip, &before, &after)
        });
        out.release_after(text.as_deref());
        match state {
            RunState::Exited(_) => break,
            // A hooked allocator call or a refused access, under --memcheck.
            RunState::Tool(trap) => {
                let (k, p) = (&mut s.kernel, &mut s.process);
                let refused = match s.memcheck.clone() {
                    Some(m) => m.borrow_mut().on_stop(k, p, trap),
                    None => Some(trap),
                };
                if let Some(t) = refused {
                    crate::memcheck::Memcheck::run_refused(k, p, t);
                }
            }
            _ => {}
        }
    }
    s.into_report()
}
