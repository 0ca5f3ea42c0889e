//! `--count FUNC,...`: what one call of a function costs, in the machine's
//! own units — instructions retired, syscalls, page faults, TLB hits and
//! misses. (The kernel's work for a syscall or a fault is native code, not
//! guest instructions: those columns show it.)
//!
//! A call starts when EIP reaches the function's first instruction and
//! ends at the first instruction boundary where ESP has risen above the
//! value it had there (the `ret` popped the return address, or a longjmp
//! left the frame). Everything retired in between is the call's cost,
//! callees and kernel-handled faults included; the caller's `call` is not.
//! A function that is entered again while a call of it is open (recursion)
//! is part of that call. Counting needs EIP between every two
//! instructions, so a counted run steps the CPU one instruction at a time,
//! a few times slower than a free run, with the same figures.

use crate::symbols::Symbols;
use std::fmt::Write as _;
use std::time::{Duration, Instant};
use toyemu_emulator::Reg;
use toyemu_kernel::{Death, Kernel, Process, RunState};

/// The machine's counters at one instant.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Sample {
    insns: u64,
    syscalls: u64,
    faults: u64,
    tlb_hits: u64,
    tlb_misses: u64,
}

impl Sample {
    fn take(k: &Kernel, p: &Process) -> Sample {
        let tlb = k.machine().mmu().tlb_stats();
        Sample {
            insns: k.insns(),
            syscalls: p.stats().syscalls,
            faults: p.stats().faults,
            tlb_hits: tlb.hits,
            tlb_misses: tlb.misses,
        }
    }
}

/// One function's calls, added up.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct FuncCount {
    pub name: String,
    pub addr: u32,
    /// Calls that returned.
    pub calls: u64,
    /// Totals over the calls that returned.
    pub insns: u64,
    pub syscalls: u64,
    pub faults: u64,
    pub tlb_hits: u64,
    pub tlb_misses: u64,
    /// The cheapest and dearest call, in instructions (0 with no calls).
    pub min: u64,
    pub max: u64,
    /// A call still open when the process ended (it called exit, or died).
    pub unfinished: bool,
}

impl FuncCount {
    /// No calls yet of the function `name` at `addr`.
    fn new(name: &str, addr: u32) -> FuncCount {
        FuncCount {
            name: name.to_string(),
            addr,
            calls: 0,
            insns: 0,
            syscalls: 0,
            faults: 0,
            tlb_hits: 0,
            tlb_misses: 0,
            min: 0,
            max: 0,
            unfinished: false,
        }
    }

    pub fn per_call(&self) -> f64 {
        if self.calls == 0 {
            0.0
        } else {
            self.insns as f64 / self.calls as f64
        }
    }
    /// Hits over lookups during the calls, or `None` if there were none.
    pub fn tlb_hit_rate(&self) -> Option<f64> {
        let total = self.tlb_hits + self.tlb_misses;
        (total > 0).then(|| self.tlb_hits as f64 / total as f64)
    }
}

/// An open call: ESP at its entry and the counters then.
#[derive(Clone, Copy, Debug)]
struct Open {
    esp: u32,
    at: Sample,
}

/// The functions being counted and their open calls.
pub struct Counter {
    funcs: Vec<FuncCount>,
    open: Vec<Option<Open>>,
}

impl Counter {
    /// Count the functions `names` of the program; a name that is not a
    /// function symbol of it is an error that says so.
    pub fn new(symbols: &Symbols, names: &[String], program: &str) -> Result<Counter, String> {
        let mut funcs: Vec<FuncCount> = Vec::new();
        for name in names {
            let addr = symbols
                .function_entry(name)
                .ok_or_else(|| format!("--count: {program} has no function named {name:?}"))?;
            if funcs.iter().any(|f| f.name == *name) {
                continue;
            }
            funcs.push(FuncCount::new(name, addr));
        }
        let open = vec![None; funcs.len()];
        Ok(Counter { funcs, open })
    }

    /// Look at the CPU before its next instruction: close the calls whose
    /// frame has been left, open a call of a function at its entry.
    fn before(&mut self, eip: u32, esp: u32, now: impl Fn() -> Sample) {
        for (f, open) in self.funcs.iter_mut().zip(self.open.iter_mut()) {
            match open {
                Some(o) if esp > o.esp => {
                    let at = o.at;
                    *open = None;
                    f.close(at, now());
                }
                Some(_) => {}
                None if eip == f.addr => *open = Some(Open { esp, at: now() }),
                None => {}
            }
        }
    }

    /// The counts, once the process has ended.
    fn finish(mut self) -> Vec<FuncCount> {
        for (f, open) in self.funcs.iter_mut().zip(&self.open) {
            f.unfinished = open.is_some();
        }
        std::mem::take(&mut self.funcs)
    }
}

impl FuncCount {
    fn close(&mut self, from: Sample, to: Sample) {
        let n = to.insns - from.insns;
        self.min = if self.calls == 0 { n } else { self.min.min(n) };
        self.max = self.max.max(n);
        self.calls += 1;
        self.insns += n;
        self.syscalls += to.syscalls - from.syscalls;
        self.faults += to.faults - from.faults;
        self.tlb_hits += to.tlb_hits - from.tlb_hits;
        self.tlb_misses += to.tlb_misses - from.tlb_misses;
    }
}

/// Instructions stepped between looks at the clock.
const CLOCK_EVERY: u64 = 1 << 16;

/// Run `p` to its end one instruction at a time, counting the calls of
/// `counter`'s functions; killed after `max_insns` instructions or
/// `timeout` of wall-clock time, as a free run would be.
pub fn run_counted(
    k: &mut Kernel,
    p: &mut Process,
    mut counter: Counter,
    max_insns: Option<u64>,
    timeout: Option<Duration>,
) -> Vec<FuncCount> {
    let start = Instant::now();
    let cap = max_insns.unwrap_or(u64::MAX);
    let mut steps = 0u64;
    while !p.has_exited() {
        let spent = k.insns() - p.started_at();
        if spent >= cap {
            k.kill(p, Death::InstructionLimit { limit: cap });
            break;
        }
        steps += 1;
        if let Some(limit) = timeout {
            if steps.is_multiple_of(CLOCK_EVERY) && start.elapsed() >= limit {
                k.kill(p, Death::Timeout { after: limit });
                break;
            }
        }
        let cpu = k.machine().cpu();
        let (eip, esp) = (cpu.eip().0, cpu.reg(Reg::Esp));
        counter.before(eip, esp, || Sample::take(k, p));
        if let RunState::Signal(cause) = k.run(p, 1) {
            // No debugger holds signals back here; act on it as a free run does.
            k.deliver_signal(p, cause);
        }
    }
    counter.finish()
}

/// The table `--count` prints on stderr at exit.
pub fn text(counts: &[FuncCount]) -> String {
    let mut out = String::from(
        "-- calls counted (--count): instructions from entry to return, callees included --\n",
    );
    let _ = writeln!(
        out,
        "  {:<16} {:>7} {:>13} {:>10} {:>8} {:>8} {:>8} {:>7} {:>11} {:>9}",
        "function",
        "calls",
        "instructions",
        "per call",
        "min",
        "max",
        "syscalls",
        "faults",
        "TLB misses",
        "hit rate"
    );
    for f in counts {
        let rate = f
            .tlb_hit_rate()
            .map_or("-".to_string(), |r| format!("{:.2}%", r * 100.0));
        let _ = writeln!(
            out,
            "  {:<16} {:>7} {:>13} {:>10.1} {:>8} {:>8} {:>8} {:>7} {:>11} {:>9}",
            f.name,
            f.calls,
            f.insns,
            f.per_call(),
            f.min,
            f.max,
            f.syscalls,
            f.faults,
            f.tlb_misses,
            rate
        );
        if f.unfinished {
            let _ = writeln!(
                out,
                "  {:<16} (and one call still running when the process ended, not counted)",
                ""
            );
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn counter(addrs: &[(&str, u32)]) -> Counter {
        let funcs = addrs
            .iter()
            .map(|(n, a)| FuncCount::new(n, *a))
            .collect::<Vec<_>>();
        let open = vec![None; funcs.len()];
        Counter { funcs, open }
    }

    fn at(insns: u64) -> impl Fn() -> Sample {
        move || Sample {
            insns,
            ..Sample::default()
        }
    }

    #[test]
    fn a_call_ends_when_the_stack_rises_above_its_entry() {
        let mut c = counter(&[("f", 0x1000)]);
        c.before(0x1000, 0xbfff_0000, at(10)); // entry: ESP at the return address
        c.before(0x1001, 0xbffe_fffc, at(11)); // push ebp
        c.before(0x1003, 0xbfff_0000, at(20)); // back at entry level: still inside (ret not done)
        c.before(0x2005, 0xbfff_0004, at(21)); // after ret
        let f = &c.finish()[0];
        assert_eq!((f.calls, f.insns, f.min, f.max), (1, 11, 11, 11));
        assert!(!f.unfinished);
    }

    #[test]
    fn recursion_is_part_of_the_outer_call_and_min_max_follow_calls() {
        let mut c = counter(&[("f", 0x1000)]);
        c.before(0x1000, 0x9000, at(0));
        c.before(0x1000, 0x8ff0, at(5)); // a recursive entry: ignored
        c.before(0x3000, 0x9004, at(30)); // the outer call returns
        c.before(0x1000, 0x9000, at(40));
        c.before(0x3000, 0x9004, at(44));
        let f = &c.finish()[0];
        assert_eq!((f.calls, f.insns, f.min, f.max), (2, 34, 4, 30));
        assert_eq!(f.per_call(), 17.0);
    }

    #[test]
    fn a_call_open_at_the_end_is_unfinished_and_not_counted() {
        let mut c = counter(&[("main", 0x1000), ("exit", 0x2000)]);
        c.before(0x1000, 0x9000, at(0));
        c.before(0x2000, 0x8ff0, at(7));
        let counts = c.finish();
        assert!(counts.iter().all(|f| f.unfinished && f.calls == 0));
        assert!(text(&counts).contains("one call still running"));
    }
}
