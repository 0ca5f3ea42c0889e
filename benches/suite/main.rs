//! The benchmark suite: the guest programs of `benches/guest/` run natively,
//! under qemu-i386 and under toyemu with each engine (the `toyemu run`
//! binary, whole process: the interpreter, its default, and `--engine jit`),
//! the four alternating within each round, several rounds; prints medians
//! and paired ratios (interp÷qemu, jit÷qemu, jit÷interp; `--raw` adds each
//! engine's over native's). Asserts nothing about time; a program that
//! prints something else under one runner than under toyemu stops the suite.
//!
//! ```text
//! cargo bench --bench suite                    # 5 rounds, a text table
//! cargo bench --bench suite -- --markdown      # the README's table
//! cargo bench --bench suite -- --quick         # 1 round, tiny sizes: outputs agree?
//!   --rounds N   --only sieve,brk0   --no-install (never apt-get qemu-user)
//!   --raw        also print every round's figure per runner, and every
//!                round's paired ratios (interp÷native, jit÷native too)
//!   --cpu-time   the child's user + system time instead of wall time
//!                (less disturbed by a busy machine; blind to waiting)
//! ```
//!
//! Each benchmark runs its program twice per runner and round: with the
//! work (`work`) and without it (`base`, the same program doing nothing).
//! A per-operation figure is (t_work - t_base) / operations, so startup and
//! loading cancel out; the operation counts (instructions retired, demand-
//! zero faults) are toyemu's own, counted once in-process with each engine
//! (the suite stops if the JIT's differ from the interpreter's), and the
//! same count divides all four runners' times.

mod runner;
mod suite;
mod table;

fn main() {
    suite::main(false)
}
