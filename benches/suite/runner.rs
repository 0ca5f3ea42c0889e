//! The four ways of running a guest program — natively, under qemu-i386 and
//! under toyemu with each of its engines (`toyemu run`, whose default is the
//! interpreter, and `toyemu run --engine jit`) — and one timed run of a child process through the launcher
//! `spawn.c`: wall time from fork to reaping, its exit status, what it
//! printed and its peak resident set (`ru_maxrss` from `wait4`, the child's
//! alone: spawn.c says why it takes a launcher).

use std::ffi::OsString;
use std::fs::File;
use std::io;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

extern "C" {
    fn geteuid() -> u32;
}

/// Which runner.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Who {
    Native,
    Qemu,
    /// `toyemu run`: the interpreter (`--engine interp`, the default).
    Toyemu,
    /// `toyemu run --engine jit`.
    ToyemuJit,
}

pub const ALL: [Who; 4] = [Who::Native, Who::Qemu, Who::Toyemu, Who::ToyemuJit];

impl Who {
    /// The runner's name in messages and column headings.
    pub fn name(self) -> &'static str {
        match self {
            Who::Native => "native",
            Who::Qemu => "qemu-i386",
            Who::Toyemu => "toyemu",
            Who::ToyemuJit => "toyemu-jit",
        }
    }

    /// The short name the ratio headings use (interp÷qemu, jit÷interp).
    pub fn short(self) -> &'static str {
        match self {
            Who::Native => "native",
            Who::Qemu => "qemu",
            Who::Toyemu => "interp",
            Who::ToyemuJit => "jit",
        }
    }

    /// One of toyemu's engines.
    pub fn is_toyemu(self) -> bool {
        matches!(self, Who::Toyemu | Who::ToyemuJit)
    }
}

/// A runner that can be used, or the reason it cannot.
pub struct Runner {
    pub who: Who,
    /// The emulator's executable (none for native).
    pub exe: Option<PathBuf>,
    pub missing: Option<String>,
    /// One line naming the version, for the table's heading.
    pub version: String,
}

/// What one run of a child gave.
pub struct Outcome {
    pub wall: Duration,
    /// The child's user + system CPU time.
    pub cpu: Duration,
    pub maxrss_kib: u64,
    /// The raw wait status (exited with 0 when it is 0).
    pub status: i32,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl Outcome {
    /// "exit 3", "signal 11": how the child ended.
    pub fn status_text(&self) -> String {
        let (sig, code) = (self.status & 0x7f, (self.status >> 8) & 0xff);
        if sig == 0 {
            format!("exit {code}")
        } else {
            format!("signal {sig}")
        }
    }
}

impl Runner {
    /// The command line that runs `program args` this way; `mem_mib` is
    /// toyemu's `--mem` (the others need none: their RAM is the host's).
    pub fn argv(&self, program: &Path, args: &[String], mem_mib: Option<u64>) -> Vec<OsString> {
        let mut v: Vec<OsString> = Vec::new();
        match self.who {
            Who::Native => {}
            Who::Qemu => v.push(self.exe.clone().expect("qemu found").into()),
            Who::Toyemu | Who::ToyemuJit => {
                v.push(self.exe.clone().expect("toyemu built").into());
                v.push("run".into());
                if self.who == Who::ToyemuJit {
                    v.push("--engine".into());
                    v.push("jit".into());
                }
                if let Some(m) = mem_mib {
                    v.push("--mem".into());
                    v.push(format!("{m}M").into());
                }
            }
        }
        v.push(program.into());
        v.extend(args.iter().map(OsString::from));
        v
    }
}

/// Run `argv` (its first word an absolute path) to its end through the
/// launcher, with stdin empty and stdout and stderr into files in `scratch`
/// (no pipe to drain while it runs).
pub fn timed(launcher: &Path, argv: &[OsString], scratch: &Path) -> io::Result<Outcome> {
    let (out_path, err_path, report) = (
        scratch.join("stdout"),
        scratch.join("stderr"),
        scratch.join("report"),
    );
    let _ = std::fs::remove_file(&report);
    let status = Command::new(launcher)
        .arg(&report)
        .args(argv)
        .stdin(Stdio::null())
        .stdout(File::create(&out_path)?)
        .stderr(File::create(&err_path)?)
        .status()?;
    let stderr = std::fs::read(&err_path)?;
    let line = std::fs::read_to_string(&report)
        .ok()
        .filter(|_| status.success());
    let bad = || {
        io::Error::other(format!(
            "the launcher failed ({status}): {}",
            String::from_utf8_lossy(&stderr).trim()
        ))
    };
    let f: Vec<u64> = line
        .ok_or_else(bad)?
        .split_whitespace()
        .map(|w| w.parse().map_err(|_| bad()))
        .collect::<io::Result<_>>()?;
    let [wall_ns, maxrss_kib, status, cpu_ns] = f[..] else {
        return Err(bad());
    };
    Ok(Outcome {
        wall: Duration::from_nanos(wall_ns),
        cpu: Duration::from_nanos(cpu_ns),
        maxrss_kib,
        status: status as i32,
        stdout: std::fs::read(&out_path)?,
        stderr,
    })
}

/// Build the launcher `spawn.c` for the host (x86-64, freestanding) into `dir`.
pub fn build_launcher(dir: &Path) -> Result<PathBuf, String> {
    let src = Path::new(env!("CARGO_MANIFEST_DIR")).join("benches/suite/spawn.c");
    let out = dir.join("spawn");
    let o = Command::new("gcc")
        .args([
            "-O2",
            "-static",
            "-nostdlib",
            "-ffreestanding",
            "-fno-pic",
            "-no-pie",
        ])
        .args([
            "-fno-stack-protector",
            "-fcf-protection=none",
            "-fno-asynchronous-unwind-tables",
        ])
        .arg("-o")
        .arg(&out)
        .arg(&src)
        .output()
        .map_err(|e| format!("cannot run gcc: {e}"))?;
    if !o.status.success() {
        return Err(format!(
            "gcc could not build {}:\n{}",
            src.display(),
            String::from_utf8_lossy(&o.stderr)
        ));
    }
    Ok(out)
}

/// `name` in one of the directories of `$PATH`.
fn find_in_path(name: &str) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_else(|| OsString::from("/usr/bin:/bin"));
    std::env::split_paths(&path)
        .map(|d| d.join(name))
        .find(|p| p.is_file())
}

/// First line of `exe --version`.
fn version_of(exe: &Path) -> String {
    Command::new(exe)
        .arg("--version")
        .output()
        .ok()
        .and_then(|o| {
            String::from_utf8_lossy(&o.stdout)
                .lines()
                .next()
                .map(str::to_string)
        })
        .unwrap_or_else(|| "version unknown".into())
}

/// Install Debian's `qemu-user` with apt-get (we are root); an `apt-get
/// update` first only if the plain install fails. Says what it does.
fn apt_install_qemu() -> Result<(), String> {
    let install = || {
        Command::new("apt-get")
            .args(["install", "-y", "-q", "qemu-user"])
            .env("DEBIAN_FRONTEND", "noninteractive")
            .stdout(io::stderr())
            .status()
    };
    eprintln!("suite: qemu-i386 is not installed; installing Debian's qemu-user (apt-get install -y qemu-user)");
    match install() {
        Ok(s) if s.success() => return Ok(()),
        Ok(_) => {}
        Err(e) => return Err(format!("cannot run apt-get: {e}")),
    }
    eprintln!("suite: that failed; trying apt-get update first");
    let _ = Command::new("apt-get")
        .args(["update", "-q"])
        .stdout(io::stderr())
        .status();
    match install() {
        Ok(s) if s.success() => Ok(()),
        Ok(s) => Err(format!("apt-get install -y qemu-user failed ({s})")),
        Err(e) => Err(format!("cannot run apt-get: {e}")),
    }
}

/// qemu-i386 from `$PATH`, installed first when missing and we are root
/// (unless `may_install` is false); otherwise the reason it is not there.
fn find_qemu(may_install: bool) -> Result<PathBuf, String> {
    if let Some(p) = find_in_path("qemu-i386") {
        return Ok(p);
    }
    if !may_install {
        return Err("qemu-i386 is not installed and --no-install was given".into());
    }
    // SAFETY: geteuid has no preconditions and cannot fail.
    if unsafe { geteuid() } != 0 {
        return Err(
            "qemu-i386 is not installed and the suite is not running as root, \
                    so it cannot install it: run `apt-get install qemu-user` as root"
                .into(),
        );
    }
    apt_install_qemu()?;
    find_in_path("qemu-i386")
        .ok_or_else(|| "qemu-user was installed but there is no qemu-i386 on $PATH".into())
}

/// The four runners, each checked by running `probe` (a static program
/// that prints nothing and exits 0) once: a runner that cannot run it is
/// kept with the reason, so its column says so instead of vanishing.
pub fn discover(
    launcher: &Path,
    toyemu: PathBuf,
    probe: &Path,
    scratch: &Path,
    may_install: bool,
) -> Vec<Runner> {
    let uname = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    let mut native = Runner {
        who: Who::Native,
        exe: None,
        missing: None,
        version: format!("Linux {}", uname.trim()),
    };
    let mut qemu = match find_qemu(may_install) {
        Ok(p) => Runner {
            who: Who::Qemu,
            version: version_of(&p),
            exe: Some(p),
            missing: None,
        },
        Err(why) => Runner {
            who: Who::Qemu,
            exe: None,
            missing: Some(why),
            version: String::new(),
        },
    };
    let head = git_head();
    let mut toy = Runner {
        who: Who::Toyemu,
        version: format!("toyemu {head}, --engine interp (the default)"),
        exe: Some(toyemu.clone()),
        missing: None,
    };
    let mut jit = Runner {
        who: Who::ToyemuJit,
        version: format!("toyemu {head}, --engine jit"),
        exe: Some(toyemu),
        missing: None,
    };
    for r in [&mut native, &mut qemu, &mut toy, &mut jit] {
        if r.missing.is_some() {
            continue;
        }
        match timed(launcher, &r.argv(probe, &[], None), scratch) {
            Ok(o) if o.status == 0 => {}
            Ok(o) => {
                r.missing = Some(format!(
                    "the empty program ended with {} under it: {}",
                    o.status_text(),
                    String::from_utf8_lossy(&o.stderr).trim()
                ))
            }
            Err(e) => r.missing = Some(format!("cannot run an i386 program this way: {e}")),
        }
    }
    vec![native, qemu, toy, jit]
}

/// The commit the suite was built from, with `+dirty` for local changes.
fn git_head() -> String {
    let dir = env!("CARGO_MANIFEST_DIR");
    let git = |args: &[&str]| {
        Command::new("git")
            .arg("-C")
            .arg(dir)
            .args(args)
            .output()
            .ok()
            .filter(|o| o.status.success())
            .map(|o| String::from_utf8_lossy(&o.stdout).trim().to_string())
    };
    let head = git(&["rev-parse", "--short", "HEAD"]).unwrap_or_else(|| "(no git)".into());
    let dirty =
        git(&["status", "--porcelain", "--untracked-files=no"]).is_some_and(|s| !s.is_empty());
    if dirty {
        format!("{head}+dirty")
    } else {
        head
    }
}
