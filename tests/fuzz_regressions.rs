//! Replays every input in `fuzz/regressions/<target>/` through the code the
//! cargo-fuzz targets run (`fuzz/src/lib.rs`), on stable Rust and without
//! libFuzzer, so a crash once found stays fixed. A few seeded random inputs
//! per target follow, a coverage-less smoke run of the same checks.

#[path = "../fuzz/src/lib.rs"]
#[allow(dead_code)]
mod harness;

use std::path::{Path, PathBuf};

fn regressions(target: &str) -> Vec<PathBuf> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(target);
    let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("cannot list {}: {e}", dir.display()))
        .map(|e| e.expect("directory entry").path())
        .filter(|p| p.is_file() && p.file_name().is_some_and(|n| n != "README.md"))
        .collect();
    files.sort();
    files
}

/// Run `f` on every regression input of `target`, naming the one that fails.
fn replay(target: &str, f: fn(&[u8])) -> usize {
    let files = regressions(target);
    for path in &files {
        let data = std::fs::read(path).expect("read regression input");
        let name = path.display().to_string();
        let outcome = std::panic::catch_unwind(|| f(&data));
        assert!(outcome.is_ok(), "regression input {name} fails again");
    }
    files.len()
}

/// xorshift64*: deterministic inputs without a dependency.
struct Rng(u64);
impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn bytes(&mut self, max: usize) -> Vec<u8> {
        let n = self.next() as usize % (max + 1);
        (0..n).map(|_| self.next() as u8).collect()
    }
}

#[test]
fn elf_loader_regressions_and_random_files() {
    let n = replay("elf_loader", harness::elf_loader);
    let mut rng = Rng(0x5eed_e1f0);
    let good = harness::tiny_elf(&[0xb8, 1, 0, 0, 0, 0xcd, 0x80], 0x2000);
    for _ in 0..300 {
        // Flip a few bytes of a valid file, so most inputs get past the magic.
        let mut f = good.clone();
        for _ in 0..1 + rng.next() % 6 {
            let at = rng.next() as usize % 128;
            f[at] = rng.next() as u8;
        }
        harness::elf_loader(&f);
        harness::elf_loader(&rng.bytes(256));
    }
    eprintln!("{n} regression inputs replayed");
}

#[test]
fn cpu_regressions_and_random_code() {
    let n = replay("cpu", harness::cpu);
    let mut rng = Rng(0xc0de);
    for _ in 0..100 {
        harness::cpu(&rng.bytes(200));
    }
    eprintln!("{n} regression inputs replayed");
}

#[test]
fn jit_regressions_and_random_code() {
    let n = replay("jit", harness::jit);
    let mut rng = Rng(0x717);
    for _ in 0..100 {
        // Registers and configuration from the input, then random code.
        harness::jit(&rng.bytes(harness::JIT_HEAD + 200));
    }
    eprintln!("{n} regression inputs replayed");
}

#[test]
fn syscall_regressions_and_random_calls() {
    let n = replay("syscalls", harness::syscalls);
    let mut rng = Rng(0x5ca1);
    for _ in 0..300 {
        harness::syscalls(&rng.bytes(300));
    }
    eprintln!("{n} regression inputs replayed");
}
