//! From timed runs to the table: each benchmark's figure per runner
//! (median over rounds), the paired ratios (median over rounds of one
//! runner's time over another's in the same round) and the peak RSS.

use crate::runner::{Runner, Who, ALL};
use crate::suite::Bench;
use std::fmt::Write;

/// What a benchmark's figure is.
pub enum Kind {
    /// Whole process, spawn to reap, in ms.
    Startup,
    /// Guest instructions (toyemu's count) per second.
    Mips,
    /// Time per demand-zero fault (toyemu's count), ns.
    Faults,
    /// Time per system call, ns; the program makes this many.
    Calls(u64),
    /// Time per round of the program's loop, with its unit (µs).
    Rounds(u64, &'static str),
}

impl Kind {
    /// How many operations the work run does beyond the base run.
    pub fn operations(&self, insns: u64, zero_fills: u64, base: Option<(u64, u64)>) -> f64 {
        let (bi, bz) = base.unwrap_or((0, 0));
        match self {
            Kind::Startup => 1.0,
            Kind::Mips => insns.saturating_sub(bi) as f64,
            Kind::Faults => zero_fills.saturating_sub(bz) as f64,
            Kind::Calls(n) | Kind::Rounds(n, _) => *n as f64,
        }
    }

    fn unit(&self) -> &'static str {
        match self {
            Kind::Startup => "ms",
            Kind::Mips => "MIPS",
            Kind::Faults => "ns/fault",
            Kind::Calls(_) => "ns/call",
            Kind::Rounds(_, u) => u,
        }
    }

    /// The figure for `secs` of work doing `ops` operations.
    fn value(&self, secs: f64, ops: f64) -> f64 {
        match self {
            Kind::Startup => secs * 1e3,
            Kind::Mips => ops / secs / 1e6,
            Kind::Faults | Kind::Calls(_) => secs / ops * 1e9,
            Kind::Rounds(..) => secs / ops * 1e6,
        }
    }

    fn work(&self, ops: f64) -> String {
        match self {
            Kind::Startup => "1 run".into(),
            Kind::Mips => format!("{:.3} G insns", ops / 1e9),
            Kind::Faults => format!("{} faults", thousands(ops)),
            Kind::Calls(_) => format!("{} calls", thousands(ops)),
            Kind::Rounds(n, _) => format!("{n} round{}", if *n == 1 { "" } else { "s" }),
        }
    }
}

/// One benchmark's timed runs.
#[derive(Default)]
pub struct Samples {
    runs: Vec<Sample>,
}

struct Sample {
    who: Who,
    round: usize,
    /// Work time less base time (or the work time alone), seconds; none
    /// when noise made it zero or negative.
    secs: Option<f64>,
    rss_kib: u64,
}

impl Samples {
    /// `d`: seconds of work (work less base, or the whole run).
    pub fn push(&mut self, who: Who, round: usize, d: f64, rss_kib: u64) {
        self.runs.push(Sample {
            who,
            round,
            secs: (d > 0.0).then_some(d),
            rss_kib,
        });
    }

    fn of(&self, who: Who) -> impl Iterator<Item = &Sample> {
        self.runs.iter().filter(move |s| s.who == who)
    }

    fn secs(&self, who: Who, round: usize) -> Option<f64> {
        self.of(who).find(|s| s.round == round).and_then(|s| s.secs)
    }

    /// Each round's time of `num` over `den`'s in the same round.
    fn ratios(&self, (num, den): Pair) -> Vec<f64> {
        self.of(num)
            .filter_map(|t| Some(t.secs? / self.secs(den, t.round)?))
            .collect()
    }

    /// Median over rounds of `num`'s time over `den`'s.
    fn ratio(&self, pair: Pair) -> Option<f64> {
        median(self.ratios(pair))
    }
}

/// A paired ratio: the first runner's time over the second's.
type Pair = (Who, Who);

/// The ratios in the table: each engine against qemu-i386, and the JIT
/// against the interpreter.
const TABLE_RATIOS: [Pair; 3] = [
    (Who::Toyemu, Who::Qemu),
    (Who::ToyemuJit, Who::Qemu),
    (Who::ToyemuJit, Who::Toyemu),
];

/// The ratios `--raw` prints: the table's and each engine against native.
const RAW_RATIOS: [Pair; 5] = [
    (Who::Toyemu, Who::Native),
    (Who::ToyemuJit, Who::Native),
    TABLE_RATIOS[0],
    TABLE_RATIOS[1],
    TABLE_RATIOS[2],
];

/// "interp÷qemu".
fn ratio_name((num, den): Pair) -> String {
    format!("{}÷{}", num.short(), den.short())
}

pub fn median(mut v: Vec<f64>) -> Option<f64> {
    if v.is_empty() {
        return None;
    }
    v.sort_by(f64::total_cmp);
    let m = v.len() / 2;
    Some(if v.len() % 2 == 1 {
        v[m]
    } else {
        (v[m - 1] + v[m]) / 2.0
    })
}

/// One line of the table, as text cells.
pub struct Row {
    name: String,
    about: String,
    work: String,
    unit: String,
    /// native, qemu-i386, toyemu, toyemu-jit (`ALL`'s order).
    figures: [String; 4],
    /// `TABLE_RATIOS`' order.
    ratios: [String; 3],
    rss: [String; 4],
}

pub fn rows(list: &[Bench], ops: &[f64], samples: &[Samples], runners: &[Runner]) -> Vec<Row> {
    let live = |w: Who| runners.iter().any(|r| r.who == w && r.missing.is_none());
    list.iter()
        .zip(ops)
        .zip(samples)
        .map(|((b, &ops), s)| {
            let cell = |w: Who, f: &dyn Fn(&Sample) -> Option<f64>, fmt: &dyn Fn(f64) -> String| {
                if !live(w) {
                    return "n/a".to_string();
                }
                median(s.of(w).filter_map(f).collect()).map_or("noise".into(), fmt)
            };
            let figure = |w| cell(w, &|x| x.secs.map(|t| b.kind.value(t, ops)), &|v| figure(v));
            let rss = |w| {
                cell(w, &|x| Some(x.rss_kib as f64 / 1024.0), &|v| {
                    format!("{v:.1}")
                })
            };
            let ratio = |(num, den): Pair| {
                if live(num) && live(den) {
                    s.ratio((num, den)).map_or("noise".into(), times)
                } else {
                    "n/a".into()
                }
            };
            Row {
                name: b.name.into(),
                about: b.about.into(),
                work: b.kind.work(ops),
                unit: b.kind.unit().into(),
                figures: ALL.map(figure),
                ratios: TABLE_RATIOS.map(ratio),
                rss: ALL.map(rss),
            }
        })
        .collect()
}

fn thousands(v: f64) -> String {
    let s = format!("{:.0}", v);
    let mut out = String::new();
    for (i, c) in s.chars().enumerate() {
        if i > 0 && (s.len() - i) % 3 == 0 {
            out.push(',');
        }
        out.push(c);
    }
    out
}

fn figure(v: f64) -> String {
    if v >= 1000.0 {
        thousands(v)
    } else if v >= 100.0 {
        format!("{v:.0}")
    } else if v >= 10.0 {
        format!("{v:.1}")
    } else {
        format!("{v:.2}")
    }
}

fn times(r: f64) -> String {
    if r >= 100.0 {
        format!("{r:.0}×")
    } else if r >= 10.0 {
        format!("{r:.1}×")
    } else if r >= 0.1 {
        format!("{r:.2}×")
    } else {
        format!("{r:.3}×")
    }
}

/// The lines above the table: the machine, the runners, how to read it.
pub fn heading(
    runners: &[Runner],
    rounds: usize,
    load: (String, String),
    cpu_time: bool,
) -> Vec<String> {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split(':').nth(1))
        .map_or("unknown CPU".to_string(), |s| s.trim().to_string());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_gib = meminfo
        .lines()
        .find(|l| l.starts_with("MemTotal:"))
        .and_then(|l| l.split_whitespace().nth(1)?.parse::<f64>().ok())
        .map_or(0.0, |kib| kib / (1024.0 * 1024.0));
    let mut h = vec![format!(
        "machine: {cpu}, {cores} cores, {mem_gib:.0} GiB RAM; load average {} before, {} after",
        load.0, load.1
    )];
    for r in runners {
        h.push(match &r.missing {
            None => format!("{}: {}", r.who.name(), r.version),
            Some(why) => format!("{}: n/a — {why}", r.who.name()),
        });
    }
    h.push(format!(
        "{rounds} round{}; in each, every benchmark runs under each runner in turn (who goes first rotates); \
         startup and sparse_exit take the median of 10 runs per round.",
        if rounds == 1 { "" } else { "s" }
    ));
    h.push(if cpu_time {
        "Times are CPU time (the child's user + system time from wait4), not wall time.".into()
    } else {
        "Times are wall time, fork to reap (--cpu-time for user + system time instead).".into()
    });
    h.push(
        "Figures are medians over rounds. Every benchmark but startup runs its program twice per \
         runner and round, with the work and without it (zero iterations): figure = (t_work - t_base) \
         / operations, so process start and exit cancel out. startup is the whole run of the empty \
         program, started by a launcher of a few pages."
            .into(),
    );
    h.push(
        "toyemu is `toyemu run` with its default engine, the interpreter (interp in the ratios); \
         toyemu-jit is `toyemu run --engine jit` (jit). Operations are toyemu's counts (instructions \
         retired, demand-zero faults) from an in-process run, the JIT's checked equal to the \
         interpreter's, and the same count divides all four runners' times. A÷B is the median over \
         rounds of A's time over B's in the same round: above 1, A is slower (for MIPS too); --raw \
         adds interp÷native and jit÷native. Peak RSS is the child's ru_maxrss from wait4 in the work \
         run (0.0: under the kernel's accounting granularity)."
            .into(),
    );
    h
}

/// The column headings after benchmark, (what,) work and figure.
fn value_headings(rss: &str) -> Vec<String> {
    let mut h: Vec<String> = ALL.iter().map(|w| w.name().to_string()).collect();
    h.extend(TABLE_RATIOS.map(ratio_name));
    h.push(rss.to_string());
    h
}

/// A row's cells after benchmark, (what,) work and figure.
fn value_cells(r: &Row) -> Vec<String> {
    let mut c = r.figures.to_vec();
    c.extend(r.ratios.iter().cloned());
    c.push(r.rss.join(" / "));
    c
}

pub fn text(heading: &[String], rows: &[Row]) -> String {
    let mut first: Vec<String> = ["benchmark", "work", "figure"].map(String::from).to_vec();
    first.extend(value_headings("peak RSS MiB n/q/i/j"));
    let mut t: Vec<Vec<String>> = vec![first];
    for r in rows {
        let mut line = vec![r.name.clone(), r.work.clone(), r.unit.clone()];
        line.extend(value_cells(r));
        t.push(line);
    }
    let cols = t[0].len();
    let width: Vec<usize> = (0..cols)
        .map(|c| t.iter().map(|r| r[c].chars().count()).max().unwrap())
        .collect();
    let mut out = String::new();
    for l in heading {
        let _ = writeln!(out, "{l}");
    }
    out.push('\n');
    for (i, r) in t.iter().enumerate() {
        let mut line = String::new();
        for c in 0..cols {
            let pad = width[c] - r[c].chars().count();
            // Names and units to the left, numbers to the right.
            if c < 3 {
                let _ = write!(line, "{}{}  ", r[c], " ".repeat(pad));
            } else {
                let _ = write!(line, "{}{}  ", " ".repeat(pad), r[c]);
            }
        }
        let _ = writeln!(out, "{}", line.trim_end());
        if i == 0 {
            let _ = writeln!(
                out,
                "{}",
                "-".repeat(width.iter().sum::<usize>() + 2 * (cols - 1))
            );
        }
    }
    out.push('\n');
    for r in rows {
        let _ = writeln!(out, "  {:<14} {}", r.name, r.about);
    }
    out
}

pub fn markdown(heading: &[String], rows: &[Row]) -> String {
    let mut out = String::new();
    for l in heading {
        let _ = writeln!(out, "{l}  ");
    }
    out.push('\n');
    let values = value_headings("peak RSS MiB native / qemu / interp / jit");
    let _ = writeln!(
        out,
        "| benchmark | what | work | figure | {} |",
        values.join(" | ")
    );
    let _ = writeln!(out, "|---|---|---|---|{}", "--:|".repeat(values.len()));
    for r in rows {
        let _ = writeln!(
            out,
            "| {} | {} | {} | {} | {} |",
            r.name,
            r.about,
            r.work,
            r.unit,
            value_cells(r).join(" | ")
        );
    }
    out
}

/// The 1-minute load average, from /proc/loadavg.
pub fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_string))
        .unwrap_or_else(|| "?".into())
}

/// Every round's figure, per benchmark and runner, and every round's paired
/// ratios (the table's and each engine's over native's) with their median:
/// how much they spread.
pub fn raw(list: &[Bench], ops: &[f64], samples: &[Samples]) -> String {
    let mut out = String::from("\nper round:\n");
    for ((b, &ops), s) in list.iter().zip(ops).zip(samples) {
        for w in ALL {
            let v: Vec<String> = s
                .of(w)
                .map(|x| {
                    x.secs
                        .map_or("noise".into(), |t| figure(b.kind.value(t, ops)))
                })
                .collect();
            if !v.is_empty() {
                let _ = writeln!(
                    out,
                    "  {:<14} {:<10} {:<9} {}",
                    b.name,
                    w.name(),
                    b.kind.unit(),
                    v.join("  ")
                );
            }
        }
    }
    out.push_str("\npaired ratios per round (median first):\n");
    for (b, s) in list.iter().zip(samples) {
        for pair in RAW_RATIOS {
            let v = s.ratios(pair);
            if v.is_empty() {
                continue;
            }
            let each: Vec<String> = v.iter().map(|&r| times(r)).collect();
            let _ = writeln!(
                out,
                "  {:<14} {:<13} {:>7}   {}",
                b.name,
                ratio_name(pair),
                median(v).map_or("noise".into(), times),
                each.join("  ")
            );
        }
    }
    out
}
