#!/usr/bin/env bash
# Build one corpus program of tests/real/ against a real libc, static i386:
#   tests/real/build.sh glibc|musl -O0|-O2 SOURCE.c OUTPUT
# The one place the real-program compiler flags live: tests/real_programs.rs
# and tests/real/survey.sh both call it. Plain flags, as a user would type
# them: Debian's gcc defaults (PIE code, made a non-PIE static executable by
# -static) for glibc; the musl wrapper for musl. With -g, so memcheck and
# the debuggers name lines.
set -euo pipefail
[ $# -eq 4 ] || { echo "usage: $0 glibc|musl -O0|-O2 SOURCE.c OUTPUT" >&2; exit 2; }
libc="$1" opt="$2" src="$3" out="$4"
here="$(cd "$(dirname "$0")" && pwd)"
case "$libc" in
    glibc) exec gcc -m32 -static -g "$opt" -o "$out" "$src" -lm ;;
    musl) exec "$here/musl-gcc-i386" -g "$opt" -o "$out" "$src" ;;
    *) echo "build.sh: unknown libc '$libc' (glibc or musl)" >&2; exit 2 ;;
esac
