//! The real libcs' toolchains (installed by `tests/real/setup.sh`): build
//! a program of the corpus against glibc or musl, static i386, with
//! `tests/real/build.sh`, and check once that each toolchain works.

use super::root;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

/// What sets the toolchains up, for messages.
pub const SETUP: &str = "sudo bash tests/real/setup.sh";

pub fn work_dir() -> PathBuf {
    Path::new(env!("CARGO_TARGET_TMPDIR")).join("real")
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Libc {
    Glibc,
    Musl,
}

impl Libc {
    pub fn name(self) -> &'static str {
        match self {
            Libc::Glibc => "glibc",
            Libc::Musl => "musl",
        }
    }
}

/// Build `src` with `tests/real/build.sh`; the executable is renamed into
/// place, so a parallel test never runs a half-written file.
pub fn build(libc: Libc, opt: &str, src: &Path, out: &Path) -> Result<(), String> {
    std::fs::create_dir_all(out.parent().unwrap()).map_err(|e| e.to_string())?;
    let tmp = out.with_extension(format!("tmp{}", std::process::id()));
    let o = Command::new("bash")
        .arg(root().join("tests/real/build.sh"))
        .args([libc.name(), opt])
        .arg(src)
        .arg(&tmp)
        .output()
        .map_err(|e| format!("cannot run tests/real/build.sh: {e}"))?;
    if !o.status.success() {
        return Err(format!(
            "tests/real/build.sh {} {opt} {} failed ({}):\n{}",
            libc.name(),
            src.display(),
            o.status,
            String::from_utf8_lossy(&o.stderr).trim_end()
        ));
    }
    std::fs::rename(&tmp, out).map_err(|e| e.to_string())
}

/// Can `libc` build a static i386 program that runs natively? Checked once.
pub fn toolchain(libc: Libc) -> &'static Result<(), String> {
    static GLIBC: OnceLock<Result<(), String>> = OnceLock::new();
    static MUSL: OnceLock<Result<(), String>> = OnceLock::new();
    let cell = if libc == Libc::Glibc { &GLIBC } else { &MUSL };
    cell.get_or_init(|| {
        let dir = work_dir().join("probe");
        std::fs::create_dir_all(&dir).map_err(|e| e.to_string())?;
        let src = dir.join("probe.c");
        std::fs::write(
            &src,
            "#include <stdio.h>\nint main(void) { printf(\"probe\\n\"); return 0; }\n",
        )
        .map_err(|e| e.to_string())?;
        let exe = dir.join(format!("probe-{}", libc.name()));
        build(libc, "-O0", &src, &exe).map_err(|e| {
            format!(
                "the {} i386 toolchain is missing or broken ({e}); run `{SETUP}`",
                libc.name()
            )
        })?;
        Ok(())
    })
}
