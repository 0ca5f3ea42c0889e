#!/usr/bin/env bash
# Fuzz toyemu with libFuzzer (cargo fuzz, nightly): each target for SECONDS.
#   fuzz/run.sh SECONDS [TARGET...]      targets: elf_loader cpu syscalls
# Corpora grow in fuzz/corpus/<target> (not committed), seeded from the
# userland programs. A crash or a hang (an input running over 10 s) stops
# that target and is left in fuzz/artifacts/<target>/; once fixed, copy it
# to fuzz/regressions/<target>/ so tests/fuzz_regressions.rs replays it.
set -euo pipefail
cd "$(dirname "$0")"
secs=${1:?usage: fuzz/run.sh SECONDS [TARGET...]}
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(elf_loader cpu syscalls)

command -v cargo-fuzz >/dev/null || { echo "run.sh: cargo-fuzz missing (cargo install cargo-fuzz)" >&2; exit 1; }
rustup toolchain list | grep -q '^nightly' || { echo "run.sh: libFuzzer needs a nightly toolchain" >&2; exit 1; }
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}

# Seeds: real executables for the loader; the regressions for every target.
mkdir -p corpus/elf_loader corpus/cpu corpus/syscalls
make -s -C ../userland >/dev/null
for p in ../userland/*.c; do
    exe=${p%.c}
    [ -x "$exe" ] && cp "$exe" "corpus/elf_loader/seed-$(basename "$exe")"
done
for t in elf_loader cpu syscalls; do
    [ -d "regressions/$t" ] && cp regressions/$t/* "corpus/$t/" 2>/dev/null || true
done

status=0
for t in "${targets[@]}"; do
    echo "== $t: ${secs}s"
    log=$(mktemp)
    # No sanitizer: the crates have no unsafe code, and ASan slows the CPU
    # tenfold. -O -a: optimised, with overflow checks and debug assertions on.
    # -timeout: one input running longer than this is a hang, reported as a crash.
    if cargo +nightly fuzz run -s none -O -a "$t" "corpus/$t" -- \
        -max_total_time="$secs" -timeout=10 -rss_limit_mb=2048 -max_len=65536 \
        -print_final_stats=1 >"$log" 2>&1; then
        result=clean
    else
        result="FAILED (see fuzz/artifacts/$t/)"
        status=1
        grep -E 'panicked|ERROR|SUMMARY|Test unit written' "$log" | head -20 || true
    fi
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 || true)
    echo "$t: $result, $execs executions in ${secs}s, $cov, corpus $(ls "corpus/$t" | wc -l) inputs"
    rm -f "$log"
done
exit $status
