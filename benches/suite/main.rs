//! The benchmark suite: the guest programs of `benches/guest/` run natively,
//! under qemu-i386 and under toyemu (the `toyemu run` binary, whole process),
//! the three alternating within each round, several rounds; prints medians
//! and paired ratios.  Asserts nothing about time; a program that prints
//! something else under one runner than under toyemu stops the suite.
//!
//! ```text
//! cargo bench --bench suite                    # 5 rounds, a text table
//! cargo bench --bench suite -- --markdown      # the README's table
//! cargo bench --bench suite -- --quick         # 1 round, tiny sizes: outputs agree?
//!   --rounds N   --only sieve,brk0   --no-install (never apt-get qemu-user)
//!   --raw        also print every round's figure per runner
//!   --cpu-time   the child's user + system time instead of wall time
//!                (less disturbed by a busy machine; blind to waiting)
//! ```
//!
//! Each benchmark runs its program twice per runner and round: with the
//! work (`work`) and without it (`base`, the same program doing nothing).
//! A per-operation figure is (t_work - t_base) / operations, so startup and
//! loading cancel out; the operation counts (instructions retired, demand-
//! zero faults) are toyemu's own, counted once in-process, and the same
//! count divides all three runners' times.

mod runner;
mod suite;
mod table;

fn main() {
    suite::main(false)
}
