//! Compiling guest C programs against the project's libc.
//!
//! The code-generation flags come from `userland/cflags`, which the
//! userland Makefile reads too; then the libc's headers, debug info, and
//! the optimisation level asked for.

use std::path::{Path, PathBuf};
use std::process::Command;

/// The userland directory of this source tree.
pub fn userland_dir() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("userland")
}

/// An optimisation level the differential tests build at.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Opt {
    O0,
    O2,
}

impl Opt {
    pub fn flag(self) -> &'static str {
        match self {
            Opt::O0 => "-O0",
            Opt::O2 => "-O2",
        }
    }
}

/// The code-generation flags of every guest program (`userland/cflags`).
pub fn target_flags() -> Vec<&'static str> {
    flags_in(include_str!("../userland/cflags"))
}

/// The flags in a `cflags` file: words outside `#` comment lines.
pub fn flags_in(text: &'static str) -> Vec<&'static str> {
    text.lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .flat_map(str::split_whitespace)
        .collect()
}

/// Compile `src` to the executable `out` against the libc.
pub fn compile_c(src: &Path, out: &Path, opt: Opt) -> Result<(), String> {
    let ul = userland_dir();
    let (libc, crt0) = (ul.join("build/libtoy.a"), ul.join("build/crt0.o"));
    if !libc.exists() || !crt0.exists() {
        let s = Command::new("make")
            .arg("-s")
            .arg("-C")
            .arg(&ul)
            .status()
            .map_err(|e| format!("cannot run make: {e}"))?;
        if !s.success() {
            return Err(format!("building the libc in {} failed", ul.display()));
        }
    }
    let inc = Command::new("gcc")
        .args(["-m32", "-print-file-name=include"])
        .output()
        .map_err(|e| format!("cannot run gcc: {e}"))?;
    let gcc_inc = String::from_utf8_lossy(&inc.stdout).trim().to_string();
    let output = Command::new("gcc")
        .args(target_flags())
        .args(["-nostdinc", "-g"])
        .arg("-isystem")
        .arg(&gcc_inc)
        .arg("-I")
        .arg(ul.join("include"))
        .arg(opt.flag())
        .args(["-Wl,--build-id=none", "-o"])
        .arg(out)
        .arg(&crt0)
        .arg(src)
        .arg(&libc)
        .output()
        .map_err(|e| format!("cannot run gcc: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "gcc could not build {}:\n{}",
            src.display(),
            String::from_utf8_lossy(&output.stderr)
        ));
    }
    Ok(())
}
