#!/usr/bin/env bash
# Fuzz toyemu with libFuzzer (cargo fuzz): each target for a while.
#   fuzz/run.sh SECONDS [TARGET...]   coverage-guided, corpora kept in fuzz/corpus/<target>
#   fuzz/run.sh --ci                  what .ci/run does: a fixed number of runs per
#                                     target from a fixed seed and fresh corpora, so
#                                     the same code always meets the same inputs
# Targets: elf_loader cpu syscalls jit (the JIT against the interpreter on the
# same code). Seeds: the userland programs for the loader, fuzz/regressions/<target>/
# for every target. A crash, or a hang (one input
# running over 10 s), stops that target and lands in fuzz/artifacts/<target>/;
# once fixed, copy it into fuzz/regressions/<target>/ so that
# tests/fuzz_regressions.rs replays it on every cargo test.
#
# No sanitizer: the crates' only unsafe code is the calls into Berkeley
# SoftFloat (the x87's arithmetic, pure functions on values), and without
# one cargo fuzz builds on stable Rust. -O -a: optimised, with overflow checks and debug
# assertions on, as a debug build would panic.
set -euo pipefail
cd "$(dirname "$0")"
usage="usage: fuzz/run.sh SECONDS [TARGET...] | fuzz/run.sh --ci"
mode=${1:?$usage}
shift
targets=("$@")
[ ${#targets[@]} -gt 0 ] || targets=(elf_loader cpu syscalls jit)
command -v cargo-fuzz >/dev/null || { echo "run.sh: cargo-fuzz missing (cargo install cargo-fuzz)" >&2; exit 1; }
export CARGO_TARGET_DIR=${CARGO_TARGET_DIR:-$PWD/target}

if [ "$mode" = --ci ]; then
    corpus_root=$(mktemp -d)
    trap 'rm -rf "$corpus_root"' EXIT
    # Under a minute per target on the 2-core machine; -max_total_time caps it.
    # (jit runs each input on three fresh machines, some 60-150 inputs a
    # second: fewer runs for it, about a minute.)
    limits=(-seed=1 -max_total_time=240)
else
    [[ "$mode" =~ ^[0-9]+$ ]] || { echo "$usage" >&2; exit 2; }
    corpus_root=corpus
    limits=(-max_total_time="$mode")
fi

make -s -C ../userland >/dev/null
for t in elf_loader cpu syscalls jit; do
    mkdir -p "$corpus_root/$t"
    for f in regressions/$t/*; do
        [ "$(basename "$f")" = README.md ] || cp "$f" "$corpus_root/$t/"
    done
done
for p in ../userland/*.c; do
    exe=${p%.c}
    [ -x "$exe" ] && cp "$exe" "$corpus_root/elf_loader/seed-$(basename "$exe")"
done

cargo fuzz build -s none -O -a >/dev/null
passed=0 failed=0
for t in "${targets[@]}"; do
    log=$(mktemp)
    start=$SECONDS
    runs=()
    if [ "$mode" = --ci ]; then
        runs=(-runs=100000)
        [ "$t" = jit ] && runs=(-runs=5000)
    fi
    if cargo fuzz run -s none -O -a "$t" "$corpus_root/$t" -- "${limits[@]}" "${runs[@]}" \
        -timeout=10 -rss_limit_mb=2048 -max_len=65536 -print_final_stats=1 >"$log" 2>&1; then
        result=clean
        passed=$((passed + 1))
    else
        result="FAILED (see fuzz/artifacts/$t/)"
        failed=$((failed + 1))
        grep -E 'panicked|ERROR|SUMMARY|Test unit written' "$log" | head -20 || true
    fi
    execs=$(grep -o 'stat::number_of_executed_units: *[0-9]*' "$log" | grep -o '[0-9]*$' || echo '?')
    cov=$(grep -oE 'cov: [0-9]+' "$log" | tail -1 || true)
    echo "$t: $result, $execs executions in $((SECONDS - start))s, $cov, corpus $(ls "$corpus_root/$t" | wc -l) inputs"
    rm -f "$log"
done
echo "fuzz: $passed passed, $failed failed"
[ "$failed" -eq 0 ]
