//! Builds the guest userland (libc + demo programs) with the system C
//! compiler, so `toyemu run userland/leak_demo` works right after `cargo build`.

use std::path::Path;
use std::process::Command;

fn main() {
    let dir = Path::new("userland");
    println!("cargo:rerun-if-changed=userland/Makefile");
    println!("cargo:rerun-if-changed=userland/cflags");
    for sub in [
        "userland",
        "userland/libc",
        "userland/include",
        "userland/include/sys",
    ] {
        if let Ok(entries) = std::fs::read_dir(sub) {
            for e in entries.flatten() {
                let p = e.path();
                if matches!(
                    p.extension().and_then(|x| x.to_str()),
                    Some("c" | "h" | "S")
                ) {
                    println!("cargo:rerun-if-changed={}", p.display());
                }
            }
        }
    }
    if !dir.join("Makefile").exists() {
        return;
    }
    let status = Command::new("make").arg("-s").arg("-C").arg(dir).status();
    match status {
        Ok(s) if s.success() => {}
        Ok(s) => panic!(
            "building the guest userland failed ({s}); it needs gcc with -m32 support and make \
             (on Debian: apt-get install gcc make)"
        ),
        Err(e) => panic!("cannot run make to build the guest userland: {e} (on Debian: apt-get install make gcc)"),
    }
}
