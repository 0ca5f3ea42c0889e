//! The `toyemu` command line.

use clap::{Args, Parser, Subcommand};
use std::ffi::OsString;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::process::ExitCode;
use toyemu::compile::{compile_c, Opt};
use toyemu::flags::{parse_insns, parse_mem, parse_quantum, parse_seconds, parse_stack, parse_tlb};
use toyemu::insn_trace::SharedOut;
use toyemu::{Options, RunError};
use toyemu_emulator::TlbConfig;
use toyemu_kernel::random::RandomSource;
use toyemu_kernel::trace::LineWriter;
use toyemu_kernel::trace_fold::FoldedLines;
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
    Run(Box<RunArgs>),
    /// Step through a program: breakpoints, registers, maps, page walks, memory.
    Debug(DebugArgs),
    /// Show an ELF file's segments against its sections, as readelf -lS
    /// lists them, and the pages each PT_LOAD covers when it is loaded.
    Inspect(InspectArgs),
}

#[derive(Args)]
struct InspectArgs {
    /// The ELF file: an executable of ours, a static glibc or musl one, any ELF.
    file: PathBuf,
}

#[derive(Args)]
struct DebugArgs {
    /// Guest RAM (K, M or G suffix), from 64K to 3G.
    #[arg(long, value_name = "SIZE", default_value = "64M", value_parser = parse_mem)]
    mem: u64,
    /// Optimisation level of a .c program: -O0 (the default, so the code
    /// that runs is the code as written) or -O2. Always with -g.
    #[arg(short = 'O', value_name = "LEVEL", value_parser = parse_opt)]
    opt: Option<Opt>,
    /// Add KEY=VALUE to the guest's environment.
    #[arg(long = "env", value_name = "KEY=VALUE")]
    env: Vec<String>,
    /// Let the guest create and write files under DIR (repeatable).
    #[arg(long = "rw", value_name = "DIR")]
    rw: Vec<PathBuf>,
    /// Check memory as `run --memcheck` does, and stop at each new error,
    /// before the bad access (nothing is delivered: continue goes on).
    #[arg(long)]
    memcheck: bool,
    /// The program (an executable, or a .c file to compile first) and its
    /// arguments: everything after the program is the program's own.
    #[arg(value_name = "PROGRAM [ARGS]", required = true, num_args = 1.., trailing_var_arg = true, value_parser = clap::value_parser!(OsString))]
    command: Vec<OsString>,
}

#[derive(Args)]
struct RunArgs {
    /// Guest RAM (K, M or G suffix), from 64K to 3G.
    #[arg(long, value_name = "SIZE", default_value = "64M", value_parser = parse_mem)]
    mem: u64,
    /// Optimisation level of a .c program: -O0 (the default, so the code
    /// that runs is the code as written) or -O2. Always with -g.
    #[arg(short = 'O', value_name = "LEVEL", value_parser = parse_opt)]
    opt: Option<Opt>,
    /// Kill the program (SIGXCPU) after N instructions (N at least 1).
    #[arg(long, value_name = "N", value_parser = parse_insns)]
    max_insns: Option<u64>,
    /// Kill the program (SIGKILL) after SECONDS of wall-clock time.
    #[arg(long, value_name = "SECONDS", value_parser = parse_seconds)]
    timeout: Option<std::time::Duration>,
    /// Stack size limit (RLIMIT_STACK), from 4K to 3G.
    #[arg(long, value_name = "SIZE", default_value = "8M", value_parser = parse_stack)]
    stack: u32,
    /// TLB geometry: ENTRIES[,lru|fifo|random] (4-way set-associative).
    #[arg(long, value_name = "SPEC", value_parser = parse_tlb)]
    tlb: Option<TlbConfig>,
    /// What runs guest code: interp (the decoded-block interpreter) or jit
    /// (hot blocks translated to host code, the rest interpreted; same
    /// results, counts and traces).
    #[arg(long, value_name = "ENGINE", default_value = "interp")]
    engine: toyemu_emulator::Engine,
    /// With --engine jit: runs of a block before it is translated (1
    /// translates nearly everything, as the tests do).
    #[arg(long, value_name = "N", default_value_t = toyemu_emulator::JIT_HOT, value_parser = clap::value_parser!(u16).range(1..))]
    jit_hot: u16,
    /// Instructions a process runs before the scheduler gives the next one
    /// its turn (round-robin, once the program has forked).
    #[arg(long, value_name = "N", default_value_t = toyemu_kernel::sched::DEFAULT_QUANTUM, value_parser = parse_quantum)]
    quantum: u64,
    /// Trace categories, comma-separated: syscall, fault, vma, frame, tlb, signal, insn, process, sched, all.
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
    /// Print every trace line: do not fold runs of like faults (or frees)
    /// into one `--- N more ... ---` line. The JSON trace is never folded.
    #[arg(long)]
    no_fold: bool,
    /// Write the trace to FILE instead of stderr.
    #[arg(short = 'o', long = "output", value_name = "FILE", requires = "trace")]
    trace_file: Option<PathBuf>,
    /// At exit, print a memory report on stderr: maps, picture, page tables,
    /// TLB, leaks, the frame ledger (`--report=json` for tools).
    #[arg(long, value_name = "FORMAT", num_args = 0..=1, default_missing_value = "text", require_equals = true)]
    report: Option<ReportFormat>,
    /// At exit, write FILE: one self-contained HTML page of the run's memory
    /// (the address space over time, frames, break, TLB and faults, the heap
    /// and its leaks, the page tables), to open in a browser.
    #[arg(long, value_name = "FILE")]
    html: Option<PathBuf>,
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
    /// Check memory as valgrind's memcheck does: every heap access must fall
    /// in a live block, no access below the stack pointer, every free a block
    /// malloc gave; leaks classified at exit. Errors print on stderr as they
    /// happen, `==PID==` lines. With --gdb, each new error stops the program
    /// as a SIGSEGV would, before the bad access.
    #[arg(long, conflicts_with = "count")]
    memcheck: bool,
    /// With --memcheck: exit with status N if memcheck found any error (as
    /// valgrind's option of the same name), instead of the program's own.
    #[arg(long, value_name = "N", requires = "memcheck", value_parser = clap::value_parser!(u8).range(1..))]
    error_exitcode: Option<u8>,
    /// Wait for gdb on 127.0.0.1:PORT (0 picks a free port) and let it drive
    /// the program from its first instruction.
    #[arg(long, value_name = "PORT")]
    gdb: Option<u16>,
    /// The program (an executable, or a .c file to compile first) and its
    /// arguments: everything after the program is the program's own.
    #[arg(value_name = "PROGRAM [ARGS]", required = true, num_args = 1.., trailing_var_arg = true, value_parser = clap::value_parser!(OsString))]
    command: Vec<OsString>,
}

#[derive(Clone, Copy, clap::ValueEnum)]
enum ReportFormat {
    Text,
    Json,
}

/// The program of `PROGRAM [ARGS]` and its argv (argv[0] as given).
fn split_command(command: &[OsString]) -> (PathBuf, Vec<String>) {
    let program = PathBuf::from(command.first().cloned().unwrap_or_default());
    let mut argv = vec![program.display().to_string()];
    argv.extend(
        command
            .iter()
            .skip(1)
            .map(|a| a.to_string_lossy().into_owned()),
    );
    (program, argv)
}

/// `-O0` or `-O2` (clap hands over what follows the `O`).
fn parse_opt(s: &str) -> Result<Opt, String> {
    match s {
        "0" => Ok(Opt::O0),
        "2" => Ok(Opt::O2),
        _ => Err(format!(
            "-O{s}: the optimisation level must be 0 or 2 (-O0 or -O2)"
        )),
    }
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
    let args: Vec<OsString> = std::env::args_os().collect();
    // Only a `--report` word can be rewritten: without one, the table of
    // flags that take values (a whole second clap command) is not needed.
    let args = match args.iter().any(|a| a == "--report") {
        true => toyemu::flags::join_report_value(args, &value_flags()),
        false => args,
    };
    let cli = Cli::parse_from(args);
    match cli.command {
        Command::Run(args) => match run(*args) {
            Ok(code) => ExitCode::from(code),
            Err(e) => failed(e),
        },
        Command::Inspect(args) => match inspect(&args.file) {
            Ok(text) => {
                // `| head` may close stdout early; that is not an error.
                let _ = std::io::stdout().write_all(text.as_bytes());
                ExitCode::SUCCESS
            }
            Err(e) => failed(e),
        },
        Command::Debug(args) => match load_program(&split_command(&args.command).0, args.opt) {
            Err(e) => failed(e),
            Ok((_, bytes)) => match debug(args, bytes) {
                Ok(()) => ExitCode::SUCCESS,
                Err(e) => {
                    say(format_args!("toyemu: {e}\n"));
                    ExitCode::from(1)
                }
            },
        },
    }
}

/// Say why, and exit 2 for a usage error, 1 for the rest.
fn failed(e: RunError) -> ExitCode {
    say(format_args!("toyemu: {e}\n"));
    match e {
        RunError::Usage(_) => ExitCode::from(2),
        _ => ExitCode::from(1),
    }
}

/// The flags of `run` that must take a value (not `--report`, whose value
/// is optional), for [`toyemu::flags::join_report_value`].
fn value_flags() -> toyemu::flags::ValueFlags {
    use clap::CommandFactory;
    let mut cmd = Cli::command();
    cmd.build();
    let mut flags = toyemu::flags::ValueFlags {
        long: Vec::new(),
        short: Vec::new(),
    };
    let Some(run) = cmd.find_subcommand("run") else {
        return flags;
    };
    for a in run.get_arguments().filter(|a| !a.is_positional()) {
        let needs_value =
            a.get_action().takes_values() && a.get_num_args().is_some_and(|n| n.min_values() > 0);
        if needs_value {
            flags.long.extend(a.get_long().map(String::from));
            flags.short.extend(a.get_short());
        }
    }
    flags
}

/// Compile a `.c` program at `opt` into a temporary directory and return
/// the executable.
fn build_c(src: &Path, opt: Opt) -> Result<PathBuf, RunError> {
    if !src.exists() {
        return Err(RunError::Read {
            path: src.to_path_buf(),
            err: std::io::Error::from(std::io::ErrorKind::NotFound),
        });
    }
    let dir = std::env::temp_dir().join(format!("toyemu-{}", std::process::id()));
    std::fs::create_dir_all(&dir).map_err(|err| RunError::Write {
        path: dir.clone(),
        err,
    })?;
    let out = dir.join(src.file_stem().unwrap_or_default());
    compile_c(src, &out, opt).map_err(RunError::Compile)?;
    Ok(out)
}

/// The executable to run for `program` (compiling a `.c` first, at `opt`,
/// -O0 unless asked) and its bytes.
fn load_program(
    program: &Path,
    opt: Option<Opt>,
) -> Result<(PathBuf, std::sync::Arc<[u8]>), RunError> {
    let path = if program.extension().is_some_and(|e| e == "c") {
        build_c(program, opt.unwrap_or(Opt::O0))?
    } else if let Some(o) = opt {
        return Err(RunError::Usage(format!(
            "{} applies to a .c program; {} is run as it is",
            o.flag(),
            program.display()
        )));
    } else {
        program.to_path_buf()
    };
    let bytes = toyemu::read_executable(&path).map_err(|err| RunError::Read {
        path: path.clone(),
        err,
    })?;
    Ok((path, bytes))
}

/// A file toyemu writes (trace, JSON trace), created now so a bad path is
/// an error before the program runs.
fn create(path: &Path) -> Result<std::io::BufWriter<std::fs::File>, RunError> {
    std::fs::File::create(path)
        .map(std::io::BufWriter::new)
        .map_err(|err| RunError::Write {
            path: path.to_path_buf(),
            err,
        })
}

fn run(a: RunArgs) -> Result<u8, RunError> {
    if !a.count.is_empty() && a.trace.is_some_and(|c| c.contains(Categories::INSN)) {
        return Err(RunError::Usage(
            "--count cannot be combined with --trace insn (each steps the program its own way)"
                .into(),
        ));
    }
    let (program, argv) = split_command(&a.command);
    let (path, bytes) = load_program(&program, a.opt)?;
    let mut sinks: Vec<Box<dyn TraceSink>> = Vec::new();
    let mut insn_out = None;
    if let Some(categories) = a.trace {
        let out: Box<dyn Write> = match &a.trace_file {
            Some(f) => Box::new(create(f)?),
            None => Box::new(std::io::stderr()),
        };
        let shared = SharedOut::new(out);
        insn_out = categories
            .contains(Categories::INSN)
            .then(|| shared.clone());
        // Instruction lines and a gdb session interleave with the events as
        // they come: no holding lines back there.
        let fold = !a.no_fold && insn_out.is_none() && a.gdb.is_none();
        if fold {
            sinks.push(Box::new(FoldedLines::new(shared, categories)));
        } else {
            sinks.push(Box::new(LineWriter {
                out: shared,
                categories,
            }));
        }
    }
    if let Some(f) = &a.trace_json {
        sinks.push(Box::new(toyemu::trace_json::JsonLines { out: create(f)? }));
    }
    let html = match &a.html {
        Some(f) => Some((f, create(f)?, toyemu::html::collect::Recorder::new())),
        None => None,
    };
    if let Some((_, _, rec)) = &html {
        sinks.push(rec.sink());
    }
    let opts = Options {
        mem_bytes: a.mem,
        tlb: a.tlb.unwrap_or_default(),
        engine: a.engine,
        jit_hot: a.jit_hot,
        max_insns: a.max_insns,
        timeout: a.timeout,
        stack_limit: a.stack,
        quantum: a.quantum,
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
        memcheck: a.memcheck,
        page_table_entries: html.is_some(),
        at_exit: a.report.is_some() || html.is_some(),
    };
    let mut session = toyemu::Session::boot(&program, bytes, &argv, &opts, Console::host(), sinks)?;
    if let Some(m) = &session.memcheck {
        m.borrow_mut().set_output(Box::new(std::io::stderr()));
    }
    if let Some((_, _, rec)) = &html {
        session.set_probe(rec.probe(session.symbols.clone()));
    }
    if a.snapshot_each.is_some() {
        let hook = toyemu::snapshot::writer(&a.snapshot_dir, program.display().to_string())
            .map_err(|err| RunError::Write {
                path: a.snapshot_dir.clone(),
                err,
            })?;
        session.kernel.after_each_syscall(hook);
    }
    let report = match (a.gdb, insn_out) {
        (Some(port), _) => match gdb_session(session, port, opts.max_insns, &program, &path) {
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
            program.display(),
            death.signal(),
            death.named(&*report.symbols)
        ));
    }
    if let Some((path, mut out, rec)) = html {
        toyemu::html::page::write(&mut out, &rec, &report).map_err(|err| RunError::Write {
            path: path.clone(),
            err,
        })?;
    }
    let found = report.memcheck.as_ref().map_or(0, |m| m.error_counts().0);
    match a.error_exitcode {
        Some(code) if found > 0 => Ok(code),
        _ => Ok(report.status.code() as u8),
    }
}

/// `toyemu inspect FILE`: the file drawn, and what `toyemu run` makes of it.
fn inspect(file: &Path) -> Result<String, RunError> {
    let bytes = std::fs::read(file).map_err(|err| RunError::Read {
        path: file.to_path_buf(),
        err,
    })?;
    let view = toyemu::elf_view::ElfView::read(&bytes).map_err(|err| RunError::Inspect {
        path: file.to_path_buf(),
        err,
    })?;
    // Where the break would start: the page after the last segment.
    let runs = toyemu_kernel::ElfImage::parse(bytes)
        .map(|img| img.segments.iter().map(|s| s.end().0).max().unwrap_or(0));
    Ok(toyemu::elf_layout::text(
        &file.display().to_string(),
        &view,
        &runs,
    ))
}

fn debug(a: DebugArgs, bytes: std::sync::Arc<[u8]>) -> Result<(), String> {
    let opts = Options {
        mem_bytes: a.mem,
        env: a.env,
        rw: a.rw,
        keep_events: false,
        memcheck: a.memcheck,
        ..Options::default()
    };
    let (program, argv) = split_command(&a.command);
    // Kernel events show up between the debugger's own lines.
    let events = LineWriter {
        out: Box::new(std::io::stdout()) as Box<dyn Write>,
        categories: Categories::all(),
    };
    let session = toyemu::Session::boot(
        &program,
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
