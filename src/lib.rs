//! toyemu as a library: run a guest program and get back what happened to
//! its memory, as values a test can assert on.
//!
//! ```no_run
//! let out = toyemu::run_captured("userland/leak_demo".as_ref(), &[], &toyemu::Options::default(), b"").unwrap();
//! assert_eq!(out.report.status.code(), 0);
//! assert_eq!(out.report.free_after, out.report.free_before);
//! ```

pub mod compile;
pub mod count;
pub mod debugger;
pub mod elf_layout;
pub mod elf_view;
pub mod examine;
pub mod expr;
pub mod flags;
pub mod gdb;
pub mod heap;
pub mod html;
pub mod inferior;
pub mod insn_trace;
pub mod inspect;
pub mod leaks;
pub mod memcheck;
pub mod picture;
pub mod report;
pub mod size;
pub mod snapshot;
pub mod symbols;
pub mod trace_json;
pub mod unwind;

pub use toyemu_emulator as emulator;
pub use toyemu_kernel as kernel;

use heap::Heap;
use leaks::LeakReport;
use std::cell::RefCell;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::rc::Rc;
use std::sync::Arc;
use std::time::{Duration, Instant};
use symbols::Symbols;
use toyemu_emulator::{Engine, JitStats, TlbConfig, TlbStats, TrapCounts};
use toyemu_kernel::process::ProcStats;
use toyemu_kernel::random::RandomSource;
use toyemu_kernel::{
    Console, Death, ElfError, ElfImage, Event, ExecError, ExitRecord, ExitStatus, Kernel,
    KernelConfig, Process, TraceSink,
};

/// How to run a program.
#[derive(Clone, Debug)]
pub struct Options {
    pub mem_bytes: u64,
    pub tlb: TlbConfig,
    /// Which engine runs guest code (`--engine`).
    pub engine: Engine,
    /// Fast-path runs of a block before the JIT translates it.
    pub jit_hot: u16,
    /// Kill the process (SIGXCPU) after this many instructions.
    pub max_insns: Option<u64>,
    /// Kill the process (SIGKILL) after this much wall-clock time.
    pub timeout: Option<Duration>,
    pub stack_limit: u32,
    /// Instructions per turn when there are several processes (`--quantum`).
    pub quantum: u64,
    /// The guest's environment, `KEY=VALUE` each.
    pub env: Vec<String>,
    /// Keep every trace event in the report.
    pub keep_events: bool,
    /// Record TLB fills, evictions and invalidations as events.
    pub trace_tlb: bool,
    /// Directories the guest may write under (`--rw`).
    pub rw: Vec<PathBuf>,
    /// Random bytes from the host (`--random`) instead of a fixed stream.
    pub random: RandomSource,
    /// Functions whose calls are counted (`--count`): the run is stepped.
    pub count: Vec<String>,
    /// Check every heap and stack access, and the frees (`--memcheck`).
    pub memcheck: bool,
    /// Keep every page-table entry at exit in `AtExit::tables` (`--html`).
    pub page_table_entries: bool,
    /// Look at the address space just before teardown (`ExitReport::at_exit`:
    /// the heap walk, its leaks, the page tables) and at the host's
    /// resident memory (`ExitReport::host_rss_kib`). What `--report` and
    /// `--html` show; without them the CLI skips it.
    pub at_exit: bool,
}

impl Default for Options {
    fn default() -> Self {
        let k = KernelConfig::default();
        Options {
            mem_bytes: k.machine.mem_bytes,
            tlb: k.machine.tlb,
            engine: k.machine.engine,
            jit_hot: k.machine.jit_hot,
            max_insns: None,
            timeout: None,
            stack_limit: k.stack_limit,
            quantum: k.quantum,
            env: Vec::new(),
            keep_events: true,
            trace_tlb: false,
            rw: Vec::new(),
            random: RandomSource::Fixed,
            count: Vec::new(),
            memcheck: false,
            page_table_entries: false,
            at_exit: true,
        }
    }
}

/// Everything known about a run once the process has exited.
#[derive(Debug)]
pub struct ExitReport {
    pub status: ExitStatus,
    /// The address space just before teardown and the ledger after it.
    pub record: ExitRecord,
    pub stats: ProcStats,
    /// Free frames before the process started and after it was torn down.
    pub free_before: u32,
    pub free_after: u32,
    pub total_frames: u32,
    pub tlb: TlbStats,
    /// What the JIT tier did, when it ran (`--engine jit`).
    pub jit: Option<JitStats>,
    pub traps: TrapCounts,
    pub events: Vec<Event>,
    /// The host's resident memory (KiB) at exit, before guest RAM was released.
    pub host_rss_kib: Option<u64>,
    /// What was seen just before teardown.
    pub at_exit: AtExit,
    pub program: String,
    pub pid: u32,
    pub mem_bytes: u64,
    pub tlb_config: TlbConfig,
    /// The program's symbols and line tables, to name addresses.
    pub symbols: Rc<Symbols>,
    /// What the calls of the `--count` functions cost, if they were counted.
    pub counts: Option<Vec<count::FuncCount>>,
    /// Every process of the run, the first one first, with how it ended
    /// (only the first, when the program never forked).
    pub processes: Vec<toyemu_kernel::sched::Ended>,
    /// Process switches (each a CR3 load and a TLB flush).
    pub switches: u64,
    /// What `--memcheck` found, if it ran.
    pub memcheck: Option<memcheck::report::Summary>,
}

/// The address space's last moment: page tables, the heap walk and its leaks.
#[derive(Debug, Default, Clone)]
pub struct AtExit {
    /// Frame of the page directory.
    pub pd_frame: u32,
    /// (directory index, frame, entries in use) of each page table.
    pub page_tables: Vec<(usize, u32, u32)>,
    /// Each page table's entries, when `Options::page_table_entries` asked.
    pub tables: Vec<inspect::TableEntries>,
    /// Every chunk of the heap.
    pub heap: Heap,
    /// Its blocks in use, classified.
    pub leaks: LeakReport,
    /// Frames in use just before teardown (the whole machine).
    pub used_frames: u32,
    /// The thread-local-storage segments the program set up.
    pub tls: Vec<inspect::TlsSegment>,
}

impl fmt::Debug for Symbols {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Symbols")
    }
}

#[derive(Debug)]
pub enum RunError {
    Read {
        path: PathBuf,
        err: std::io::Error,
    },
    /// A file toyemu writes (a trace, a snapshot) cannot be created.
    Write {
        path: PathBuf,
        err: std::io::Error,
    },
    Compile(String),
    /// The file is not something toyemu can run.
    Elf {
        path: PathBuf,
        err: ElfError,
    },
    /// The file cannot be read as ELF at all (`toyemu inspect`).
    Inspect {
        path: PathBuf,
        err: ElfError,
    },
    /// The file is fine, but starting it failed.
    Exec {
        path: PathBuf,
        err: ExecError,
    },
    Machine(String),
    /// A request that cannot be carried out for this program (the CLI's
    /// usage error): a `--count` name that is not one of its functions.
    Usage(String),
}

impl fmt::Display for RunError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            RunError::Read { path, err } => write!(f, "cannot read {}: {err}", path.display()),
            RunError::Write { path, err } => write!(f, "cannot write {}: {err}", path.display()),
            RunError::Compile(m) => write!(f, "{m}"),
            RunError::Elf { path, err } => write!(f, "cannot run {}: {err}", path.display()),
            RunError::Inspect { path, err } => {
                write!(f, "cannot inspect {}: {err}", path.display())
            }
            RunError::Exec { path, err } => write!(f, "cannot run {}: {err}", path.display()),
            RunError::Machine(m) => write!(f, "cannot build the machine: {m}"),
            RunError::Usage(m) => write!(f, "{m}"),
        }
    }
}
impl std::error::Error for RunError {}

/// Looks at the machine between slices of a run and says how many
/// instructions the next slice should run (`--html` samples the TLB's
/// counters at the end of each of its windows). A stepped run (`--count`)
/// does not call it.
pub type Probe = Box<dyn FnMut(&Kernel, &Process) -> u64>;

/// A booted machine and its process, ready to run: what `run_captured`, the
/// stepper and the gdb stub all start from.
pub struct Session {
    pub kernel: Kernel,
    pub process: Process,
    pub symbols: Rc<Symbols>,
    pub program: String,
    at_exit: Rc<RefCell<AtExit>>,
    free_before: u32,
    opts: Options,
    /// The `--count` functions, until a run counts them.
    counter: Option<count::Counter>,
    counts: Option<Vec<count::FuncCount>>,
    /// `--memcheck`'s state (the teardown hook shares it for the leak check).
    pub memcheck: Option<Rc<RefCell<memcheck::Memcheck>>>,
    probe: Option<Probe>,
}

impl Session {
    /// Check the executable `bytes`, build the machine and start `argv` on it,
    /// with `console` for its standard streams and `sinks` watching its events.
    pub fn boot(
        path: &Path,
        bytes: impl Into<Arc<[u8]>>,
        argv: &[String],
        opts: &Options,
        console: Console,
        sinks: Vec<Box<dyn TraceSink>>,
    ) -> Result<Session, RunError> {
        let image = ElfImage::parse(bytes).map_err(|err| RunError::Elf {
            path: path.to_path_buf(),
            err,
        })?;
        // The guest knows its executable by its absolute path (/proc/self/exe).
        let image = match std::fs::canonicalize(path).and_then(|c| Ok((std::fs::metadata(&c)?, c)))
        {
            Ok((m, c)) => {
                use std::os::unix::fs::MetadataExt;
                image.at_path(c.display().to_string(), m.dev(), m.ino())
            }
            Err(_) => image,
        };
        let symbols = Rc::new(Symbols::of(image.bytes.clone()));
        let counter = match opts.count.is_empty() {
            true => None,
            false => Some(
                count::Counter::new(&symbols, &opts.count, &path.display().to_string())
                    .map_err(RunError::Usage)?,
            ),
        };
        let mut config = KernelConfig::default();
        config.machine.mem_bytes = opts.mem_bytes;
        config.machine.tlb = opts.tlb;
        config.machine.engine = opts.engine;
        config.machine.jit_hot = opts.jit_hot;
        config.stack_limit = opts.stack_limit;
        config.quantum = opts.quantum;
        config.rw = opts.rw.clone();
        config.random = opts.random;
        let mut k = Kernel::new(config, console).map_err(RunError::Machine)?;
        k.set_code_names(symbols.clone());
        for s in sinks {
            k.add_sink(s);
        }
        if opts.keep_events {
            k.keep_events();
        }
        if opts.trace_tlb {
            k.record_tlb_events();
        }
        if opts.memcheck && !opts.count.is_empty() {
            return Err(RunError::Usage(
                "--memcheck cannot be combined with --count (each runs the program its own way)"
                    .into(),
            ));
        }
        let at_exit = Rc::new(RefCell::new(AtExit::default()));
        let checker: Rc<RefCell<Option<Rc<RefCell<memcheck::Memcheck>>>>> = Rc::default();
        let (seen, syms, mc) = (at_exit.clone(), symbols.clone(), checker.clone());
        let (keep_tables, look) = (opts.page_table_entries, opts.at_exit);
        k.on_teardown(Box::new(move |k: &Kernel, p: &Process| {
            // The report is the first process's; its children end on their own.
            if !k.is_first(p) {
                return;
            }
            if let Some(m) = mc.borrow().as_ref() {
                m.borrow_mut().at_exit(k, p);
            }
            if !look {
                return;
            }
            let heap = heap::walk(k, p, &syms);
            *seen.borrow_mut() = AtExit {
                pd_frame: p.mm().map_or(0, |m| m.directory().0 .0),
                page_tables: inspect::page_tables(k, p),
                tables: match keep_tables {
                    true => inspect::table_entries(k, p),
                    false => Vec::new(),
                },
                leaks: leaks::classify(k, p, &heap),
                heap,
                used_frames: k.frames().used_frames(),
                tls: inspect::tls_segments(k),
            };
        }));
        let free_before = k.frames().free_frames();
        let argv: Vec<Vec<u8>> = argv.iter().map(|a| a.as_bytes().to_vec()).collect();
        let envp: Vec<Vec<u8>> = opts.env.iter().map(|e| e.as_bytes().to_vec()).collect();
        let process = k
            .exec(Arc::new(image), &argv, &envp)
            .map_err(|err| RunError::Exec {
                path: path.to_path_buf(),
                err,
            })?;
        let memcheck = match opts.memcheck {
            true => {
                let m =
                    memcheck::Memcheck::attach(&mut k, &process, symbols.clone()).map_err(|e| {
                        RunError::Usage(memcheck::refusal(e, &path.display().to_string()))
                    })?;
                let m = Rc::new(RefCell::new(m));
                *checker.borrow_mut() = Some(m.clone());
                Some(m)
            }
            false => None,
        };
        Ok(Session {
            kernel: k,
            process,
            symbols,
            program: path.display().to_string(),
            at_exit,
            free_before,
            opts: opts.clone(),
            counter,
            counts: None,
            memcheck,
            probe: None,
        })
    }

    /// Have `probe` look at the machine between slices of the run.
    pub fn set_probe(&mut self, probe: Probe) {
        self.probe = Some(probe);
    }

    /// Run to the end (killing at `max_insns` or `timeout`) and report;
    /// stepped, counting calls, if `--count` named functions.
    pub fn run_to_exit(mut self) -> ExitReport {
        let (k, p) = (&mut self.kernel, &mut self.process);
        let probe = self.probe.as_mut();
        if let Some(m) = self.memcheck.clone() {
            run_sliced(
                k,
                p,
                Some(&m),
                self.opts.max_insns,
                self.opts.timeout,
                probe,
            );
            return self.into_report();
        }
        match (self.counter.take(), self.opts.timeout, probe) {
            (Some(c), timeout, _) => {
                self.counts = Some(count::run_counted(k, p, c, self.opts.max_insns, timeout));
            }
            (None, None, None) => {
                k.run_to_exit(p, self.opts.max_insns);
            }
            (None, limit, probe) => run_sliced(k, p, None, self.opts.max_insns, limit, probe),
        }
        self.into_report()
    }

    /// The report of a process that has exited.
    pub fn into_report(mut self) -> ExitReport {
        let (k, p) = (&mut self.kernel, &mut self.process);
        let record = p.take_exit_record().expect("the process has exited");
        let first = toyemu_kernel::sched::Ended {
            pid: p.pid(),
            ppid: p.ppid(),
            name: p.name().to_string(),
            status: record.status.clone(),
            stats: p.stats(),
            instructions: record.instructions,
            still_shared: record.still_shared,
            threads: p.threads_made(),
        };
        let mut processes = vec![first];
        processes.extend(k.ended().iter().cloned());
        processes[1..].sort_by_key(|e| e.pid);
        ExitReport {
            processes,
            switches: k.switches(),
            status: record.status.clone(),
            record,
            stats: p.stats(),
            free_before: self.free_before,
            free_after: k.frames().free_frames(),
            total_frames: k.frames().total_frames(),
            tlb: k.machine().mmu().tlb_stats(),
            jit: k.machine().cpu().jit_stats(),
            traps: k.machine().traps(),
            events: k.take_events(),
            host_rss_kib: match self.opts.at_exit {
                true => host_rss_kib(),
                false => None,
            },
            at_exit: self.at_exit.take(),
            program: self.program,
            pid: p.pid(),
            mem_bytes: self.opts.mem_bytes,
            tlb_config: self.opts.tlb,
            symbols: self.symbols,
            counts: self.counts.take(),
            memcheck: self.memcheck.map(|m| m.borrow().summary()),
        }
    }
}

/// Instructions run between looks at the clock: a few milliseconds.
const TIMEOUT_SLICE: u64 = 1 << 20;

/// The next slice's length: what the probe asks for (at least one
/// instruction), at most [`TIMEOUT_SLICE`] and what `cap` leaves.
fn next_slice(k: &Kernel, p: &Process, probe: &mut Option<&mut Probe>, left: u64) -> u64 {
    let asked = probe.as_mut().map_or(TIMEOUT_SLICE, |f| f(k, p).max(1));
    asked.min(TIMEOUT_SLICE).min(left)
}

/// `Kernel::run_to_exit`, in slices, killing the process once `limit` of
/// wall-clock time has passed, and letting `probe` look between slices;
/// under memcheck its stops are handled between slices too. (A guest
/// blocked reading the host's stdin is not interrupted: the clock is read
/// between slices.)
fn run_sliced(
    k: &mut Kernel,
    p: &mut Process,
    memcheck: Option<&RefCell<memcheck::Memcheck>>,
    max_insns: Option<u64>,
    limit: Option<Duration>,
    mut probe: Option<&mut Probe>,
) {
    use toyemu_kernel::RunState;
    let start = Instant::now();
    let cap = max_insns.unwrap_or(u64::MAX);
    while !p.has_exited() {
        let spent = k.insns() - p.started_at();
        if spent >= cap {
            k.kill(p, Death::InstructionLimit { limit: cap });
        } else if let Some(limit) = limit.filter(|&l| start.elapsed() >= l) {
            k.kill(p, Death::Timeout { after: limit });
        } else {
            let slice = next_slice(k, p, &mut probe, cap - spent);
            let RunState::Tool(trap) = k.run(p, slice) else {
                continue;
            };
            // Not borrowed across a run: teardown's leak check needs it.
            let refused = match memcheck {
                Some(m) => m.borrow_mut().on_stop(k, p, trap),
                None => Some(trap),
            };
            if let Some(t) = refused {
                if let RunState::Signal(cause) = memcheck::Memcheck::run_refused(k, p, t) {
                    k.deliver_signal(p, cause);
                }
            }
        }
    }
}

/// The bytes of the executable at `path`, read into memory that the loaded
/// image then shares as it is (`fs::read` gives a `Vec`, which becomes an
/// `Arc<[u8]>` only by a copy of the whole file).
pub fn read_executable(path: &Path) -> std::io::Result<Arc<[u8]>> {
    use std::io::Read;
    let mut f = std::fs::File::open(path)?;
    let meta = f.metadata()?;
    let len = usize::try_from(meta.len()).unwrap_or(0);
    if meta.is_file() && len > 0 {
        let mut bytes: Arc<[u8]> = std::iter::repeat_n(0, len).collect();
        let buf = Arc::get_mut(&mut bytes).expect("not shared yet");
        let mut got = 0;
        while got < len {
            match f.read(&mut buf[got..]) {
                Ok(0) => break,
                Ok(n) => got += n,
                Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
                Err(e) => return Err(e),
            }
        }
        // The usual case: the file is as long as it said.
        let mut probe = [0; 1];
        let extra = match got == len {
            true => f.read(&mut probe)?,
            false => 0,
        };
        if got == len && extra == 0 {
            return Ok(bytes);
        }
        // It changed under us: what was read and whatever follows.
        let mut all = bytes[..got].to_vec();
        all.extend_from_slice(&probe[..extra]);
        f.read_to_end(&mut all)?;
        return Ok(all.into());
    }
    // Not a regular file, or one that claims to be empty (/proc): read to the end.
    let mut all = Vec::new();
    f.read_to_end(&mut all)?;
    Ok(all.into())
}

/// This process's resident set, from /proc (Linux only).
pub fn host_rss_kib() -> Option<u64> {
    let s = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = s.lines().find(|l| l.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}

/// A `Write` into a shared buffer, to capture guest output.
#[derive(Clone, Default)]
pub struct SharedBuf(pub Rc<RefCell<Vec<u8>>>);

impl Write for SharedBuf {
    fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
        self.0.borrow_mut().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// A run with its output captured.
#[derive(Debug)]
pub struct Captured {
    pub report: ExitReport,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

/// Run the executable at `path` with `args` (argv[0] is the path) and
/// `stdin`, capturing stdout and stderr.
pub fn run_captured(
    path: &Path,
    args: &[&str],
    opts: &Options,
    stdin: &[u8],
) -> Result<Captured, RunError> {
    let bytes = read_executable(path).map_err(|err| RunError::Read {
        path: path.to_path_buf(),
        err,
    })?;
    let (out, err) = (SharedBuf::default(), SharedBuf::default());
    let console = Console::captured(
        Box::new(std::io::Cursor::new(stdin.to_vec())),
        Box::new(out.clone()),
        Box::new(err.clone()),
    );
    let mut argv = vec![path.display().to_string()];
    argv.extend(args.iter().map(|s| s.to_string()));
    let report = Session::boot(path, bytes, &argv, opts, console, Vec::new())?.run_to_exit();
    let stdout = out.0.borrow().clone();
    let stderr = err.0.borrow().clone();
    Ok(Captured {
        report,
        stdout,
        stderr,
    })
}

#[cfg(test)]
mod tests {
    #[test]
    fn an_executable_reads_as_fs_read_reads_it() {
        // A regular file, and a /proc file whose size says 0.
        let leak_demo = concat!(env!("CARGO_MANIFEST_DIR"), "/userland/leak_demo");
        for path in [leak_demo, "/proc/version"] {
            let path = std::path::Path::new(path);
            let read = super::read_executable(path).unwrap();
            assert_eq!(
                &*read,
                &std::fs::read(path).unwrap()[..],
                "{}",
                path.display()
            );
        }
        assert!(super::read_executable("/nonexistent".as_ref()).is_err());
    }
}
