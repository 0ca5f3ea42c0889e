//! The suite as a smoke test in `cargo test` (`--test bench_smoke`): one
//! round at tiny sizes, never installing qemu. Timing figures of a test
//! build mean nothing; what it checks is that every runner available
//! prints what toyemu does, and it fails when one does not.

mod runner;
mod suite;
mod table;

fn main() {
    suite::main(true)
}
