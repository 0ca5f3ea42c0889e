//! The `toyemu` command line.

use clap::{Args, Parser, Subcommand};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use toyemu::compile::{compile_c, Opt};
use toyemu::insn_trace::SharedOut;
use toyemu::size::parse_size;
use toyemu::{Options, RunError};
use toyemu_emulator::{Policy, TlbConfig};
use toyemu_kernel::random::RandomSource;
use toyemu_kernel::trace::LineWriter;
use toyemu_kernel::{Categories, Console, TraceSink};

#[derive(Parser)]
#[command(
    name = "toyemu",
    version,
    about = "An i386 machine and a tiny OS for watching C memory management happen"
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Run a static i386 ELF executable (or a .c file, compiled against the project's libc).
    Run(RunArgs),
    /// Step through a program: breakpoints, registers, maps, page walks, memory.
    Debug(DebugArgs),
}

#[derive(Args)]
struct DebugArgs {
    /// Guest RAM (K, M or G suffix), at most 3G.
    #[arg(long, value_name = "SIZE", default_value = "64M", value_parser = parse_size)]
    mem: u64,
    /// Add KEY=VALUE to the guest's environment.
    #[arg(long = "env", value_name = "KEY=VALUE")]
    env: Vec<String>,
    /// Let the guest create and write files under DIR (repeatable).
    #[arg(long = "rw", value_name = "DIR")]
    rw: Vec<PathBuf>,
    /// The program: an executable, or a .c file to compile first.
    program: PathBuf,
    /// Arguments passed to the program.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

#[derive(Args)]
struct RunArgs {
    /// Guest RAM (K, M or G suffix), at most 3G.
    #[arg(long, value_name = "SIZE", default_value = "64M", value_parser = parse_size)]
    mem: u64,
    /// Kill the program (SIGXCPU) after N instructions.
    #[arg(long, value_name = "N")]
    max_insns: Option<u64>,
    /// Kill the program (SIGKILL) after SECONDS of wall-clock time.
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    timeout: Option<std::time::Duration>,
    /// Stack size limit (RLIMIT_STACK).
    #[arg(long, value_name = "SIZE", default_value = "8M", value_parser = parse_size)]
    stack: u64,
    /// TLB geometry: ENTRIES[,lru|fifo|random] (4-way set-associative).
    #[arg(long, value_name = "SPEC", value_parser = parse_tlb)]
    tlb: Option<TlbConfig>,
    /// Trace categories, comma-separated: syscall, fault, vma, frame, tlb, signal, insn, process, all.
    #[arg(long, value_name = "LIST", value_parser = Categories::parse_list)]
    trace: Option<Categories>,
    /// Write the address space to a file in --snapshot-dir after each syscall.
    #[arg(long, value_name = "WHEN", value_parser = ["syscall"])]
    snapshot_each: Option<String>,
    /// Where --snapshot-each writes (NNNN-syscall.txt files).
    #[arg(long, value_name = "DIR", default_value = "toyemu-snapshots")]
    snapshot_dir: PathBuf,
    /// Write every event as a JSON line to FILE.
    #[arg(long, value_name = "FILE")]
    trace_json: Option<PathBuf>,
    /// Write the trace to FILE instead of stderr.
    #[arg(short = 'o', long = "output", value_name = "FILE", requires = "trace")]
    trace_file: Option<PathBuf>,
    /// At exit, print a memory report on stderr: maps, picture, page tables,
    /// TLB, leaks, the frame ledger (`--report=json` for tools).
    #[arg(long, value_name = "FORMAT", num_args = 0..=1, default_missing_value = "text", require_equals = true)]
    report: Option<ReportFormat>,
    /// Add KEY=VALUE to the guest's environment (which is otherwise empty).
    #[arg(long = "env", value_name = "KEY=VALUE")]
    env: Vec<String>,
    /// Let the guest create and write files under DIR (repeatable); the rest
    /// of the host's files it sees read-only.
    #[arg(long = "rw", value_name = "DIR")]
    rw: Vec<PathBuf>,
    /// Random bytes (getrandom, /dev/urandom, AT_RANDOM) from the host
    /// instead of the same stream every run.
    #[arg(long)]
    random: bool,
    /// Count what each call of FUNC costs (instructions from its entry to its
    /// return, callees included; page faults; TLB misses), printed on stderr
    /// at exit. Comma-separated; the run is stepped, a few times slower.
    #[arg(
        long,
        value_name = "FUNC,...",
        value_delimiter = ',',
        conflicts_with = "gdb"
    )]
    count: Vec<String>,
    /// Wait for gdb on 127.0.0.1:PORT (0 picks a free port) and let it drive
    /// the program from its first instruction.
    #[arg(long, value_name = "PORT")]
    gdb: Option<u16>,
    /// The program: an executable, or a .c file to compile first.
    program: PathBuf,
    /// Arguments passed to the program.
    #[arg(trailing_var_arg = true, allow_hyphen_values = true)]
    args: Vec<String>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ReportFormat {
    Text,
    Json,
}

/// A positive number of seconds, fractions allowed.
fn parse_seconds(s: &str) -> Result<std::time::Duration, String> {
    match s.parse::<f64>() {
        Ok(x) if x > 0.0 && x.is_finite() && x < 1e9 => Ok(std::time::Duration::from_secs_f64(x)),
        _ => Err(format!("{s:?} is not a positive number of seconds")),
    }
}

fn parse_tlb(s: &str) -> Result<TlbConfig, String> {
    let mut parts = s.split(',');
    let entries: usize = parts
        .next()
        .unwrap_or("")
        .trim()
        .parse()
        .map_err(|_| format!("bad TLB size in {s:?}"))?;
    let policy: Policy = match parts.next() {
        Some(p) => p.trim().parse()?,
        None => Policy::Lru,
    };
    let c = TlbConfig {
        entries,
        ways: entries.min(4),
        policy,
    };
    c.validate()?;
    Ok(c)
}

/// Write to stderr, ignoring failure: with `2>&1 | head` stderr is the pipe
/// that just closed, and `eprintln!` would panic there.
fn say(args: std::fmt::Arguments) {
    let _ = std::io::stderr().write_fmt(args);
}

fn main() -> ExitCode {
    env_logger::Builder::from_env(env_logger::Env::default().default_filter_or("warn"))
        .format_timestamp(None)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Run(args) => match run(args) {
            Ok(code) => ExitCode::from(code),
            Err(e @ RunError::Usage(_)) => {
                say(format_args!("toyemu: {e}\n"));
                ExitCode::from(2)
            }
            Err(e) => {
                say(format_args!("toyemu: {e}\n"));
                ExitCode::from(1)
            }
        },
        Command::Debug(args) => match debug(args) {
            Ok(()) => ExitCode::SUCCESS,
            Err(e) => {
                say(format_args!("toyemu: {e}\n"));
                ExitCode::from(1)
            }
        },
    }
}

/// Compile a `.c` program into a temporary directory and return the executable.
fn build_c(src: &Path) -> Result<PathBuf, RunError> {
    if !src.exists() {
        return Err(RunError::Read {
            path: src.to_path_buf(),
            err: std::io::Error::from(std::io::ErrorKind::NotFound),
        });
    }
    let dir = std::env::temp_dir().join(format!("toyemu-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|err| RunError::Read {
        path: dir.clone(),
        err,
    })?;
    let out = dir.join(src.file_stem().unwrap_or_default());
    compile_c(src, &out, Opt::O2).map_err(RunError::Compile)?;
    Ok(out)
}

/// The executable to run for `program` (compiling a `.c` first) and its bytes.
fn load_program(program: &Path) -> Result<(PathBuf, Vec<u8>), RunError> {
    let path = if program.extension().is_some_and(|e| e == "c") {
        build_c(program)?
    } else {
        program.to_path_buf()
    };
    let bytes = std::fs::read(&path).map_err(|err| RunError::Read {
        path: path.clone(),
        err,
    })?;
    Ok((path, bytes))
}

fn run(a: RunArgs) -> Result<u8, RunError> {
    if !a.count.is_empty() && a.trace.is_some_and(|c| c.contains(Categories::INSN)) {
        return Err(RunError::Usage(
            "--count cannot be combined with --trace insn (each steps the program its own way)"
                .into(),
        ));
    }
    let (path, bytes) = load_program(&a.program)?;
    let mut sinks: Vec<Box<dyn TraceSink>> = Vec::new();
    let mut insn_out = None;
    if let Some(categories) = a.trace {
        let out: Box<dyn Write> = match &a.trace_file {
            Some(f) => Box::new(std::io::BufWriter::new(std::fs::File::create(f).map_err(
                |err| RunError::Read {
                    path: f.clone(),
                    err,
                },
            )?)),
            None => Box::new(std::io::stderr()),
        };
        let shared = SharedOut::new(out);
        insn_out = categories
            .contains(Categories::INSN)
            .then(|| shared.clone());
        sinks.push(Box::new(LineWriter {
            out: shared,
            categories,
        }));
    }
    if let Some(f) = &a.trace_json {
        let file = std::fs::File::create(f).map_err(|err| RunError::Read {
            path: f.clone(),
            err,
        })?;
        sinks.push(Box::new(toyemu::trace_json::JsonLines {
            out: std::io::BufWriter::new(file),
        }));
    }
    let opts = Options {
        mem_bytes: a.mem,
        tlb: a.tlb.unwrap_or_default(),
        max_insns: a.max_insns,
        timeout: a.timeout,
        stack_limit: u32::try_from(a.stack)
            .map_err(|_| RunError::Machine(format!("stack limit {} is too large", a.stack)))?,
        env: a.env,
        keep_events: false,
        trace_tlb: a.trace.is_some_and(|c| c.contains(Categories::TLB)) || a.trace_json.is_some(),
        rw: a.rw,
        random: if a.random {
            RandomSource::Host
        } else {
            RandomSource::Fixed
        },
        count: a.count,
    };
    let mut argv = vec![a.program.display().to_string()];
    argv.extend(a.args);
    let mut session =
        toyemu::Session::boot(&a.program, bytes, &argv, &opts, Console::host(), sinks)?;
    if a.snapshot_each.is_some() {
        let hook = toyemu::snapshot::writer(&a.snapshot_dir, a.program.display().to_string())
            .map_err(|err| RunError::Read {
                path: a.snapshot_dir.clone(),
                err,
            })?;
        session.kernel.after_each_syscall(hook);
    }
    let report = match (a.gdb, insn_out) {
        (Some(port), _) => match gdb_session(session, port, opts.max_insns, &a.program, &path) {
            Ok(report) => report,
            Err(code) => return Ok(code),
        },
        (None, Some(out)) => toyemu::insn_trace::run_traced(session, &out, opts.max_insns),
        (None, None) => session.run_to_exit(),
    };
    match a.report {
        Some(ReportFormat::Text) => say(format_args!("{}", toyemu::report::text(&report))),
        Some(ReportFormat::Json) => say(format_args!("{}\n", toyemu::report::json(&report))),
        None => {}
    }
    if let Some(counts) = &report.counts {
        say(format_args!("{}", toyemu::count::text(counts)));
    }
    if let Some(death) = report.status.death() {
        say(format_args!(
            "toyemu: {} killed by {}: {}\n",
            a.program.display(),
            death.signal(),
            death.named(&*report.symbols)
        ));
    }
    Ok(report.status.code() as u8)
}

fn debug(a: DebugArgs) -> Result<(), String> {
    let (_, bytes) = load_program(&a.program).map_err(|e| e.to_string())?;
    let opts = Options {
        mem_bytes: a.mem,
        env: a.env,
        rw: a.rw,
        keep_events: false,
        ..Options::default()
    };
    let mut argv = vec![a.program.display().to_string()];
    argv.extend(a.args);
    // Kernel events show up between the debugger's own lines.
    let events = LineWriter {
        out: Box::new(std::io::stdout()) as Box<dyn Write>,
        categories: Categories::all(),
    };
    let session = toyemu::Session::boot(
        &a.program,
        bytes,
        &argv,
        &opts,
        Console::host(),
        vec![Box::new(events)],
    )
    .map_err(|e| e.to_string())?;
    let mut dbg = toyemu::debugger::Debugger::new(session);
    let stdin = std::io::stdin();
    if std::io::IsTerminal::is_terminal(&stdin) {
        return dbg.interactive();
    }
    let _sigint = dbg.catch_sigint()?;
    dbg.repl(stdin.lock(), &mut std::io::stdout())
        .map_err(|err| format!("cannot read the commands: {err}"))
}

/// `run --gdb`: serve gdb until the program ends. `Err` is the status to
/// exit with when there is no report (killed by gdb, connection trouble).
fn gdb_session(
    session: toyemu::Session,
    port: u16,
    max_insns: Option<u64>,
    program: &Path,
    executable: &Path,
) -> Result<toyemu::ExitReport, u8> {
    if executable != program {
        // gdb needs the executable for its symbols, not the C source.
        eprintln!(
            "toyemu: {} is compiled to {}: give that to gdb",
            program.display(),
            executable.display()
        );
    }
    match toyemu::gdb::serve(session, port, max_insns) {
        Ok(toyemu::gdb::Outcome::Finished(report)) => Ok(*report),
        Ok(toyemu::gdb::Outcome::Killed) => {
            eprintln!("toyemu: {} killed by gdb", program.display());
            Err(128 + 9)
        }
        Err(e) => {
            eprintln!("toyemu: {e}");
            Err(1)
        }
    }
}
