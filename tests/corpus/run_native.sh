#!/usr/bin/env bash
# run_native.sh - build every corpus program at -O0 and -O2 against the toy
# libc and run it natively, the way toyemu's differential test does:
# `setarch -R` (no address randomisation), arguments `alpha` `beta gamma`,
# stdin from /dev/null.  Prints one line per program and level:
#
#     name  opt  status  stdout-hash
#
# where status is the exit status, or 128+N when the program died of
# signal N.  Every program runs twice; a difference between the two runs is
# reported as NONDETERMINISTIC and makes the script fail.  The userland demo
# programs are run the same way (segv_demo once per kind).
#
# Then it disassembles every binary, fails if any SSE/MMX instruction or
# endbr32 appears (x87 is part of the machine), and prints (or with -m FILE writes) the sorted list of
# distinct mnemonics used.
#
# usage: tests/corpus/run_native.sh [-k] [-o DIR] [-m MNEMONICS_FILE] [name...]
#   -k       keep the build directory (printed at the end)
#   -o DIR   build into DIR instead of a fresh temporary directory
#   -m FILE  write the mnemonic list to FILE
#   name...  only these corpus programs (file names without .c)
set -u

here=$(cd "$(dirname "$0")" && pwd)
root=$(cd "$here/../.." && pwd)
userland="$root/userland"
keep=0
out=""
mnemonics_file=""
while getopts "ko:m:" opt; do
    case $opt in
    k) keep=1 ;;
    o) out=$OPTARG ;;
    m) mnemonics_file=$OPTARG ;;
    *) sed -n '2,25p' "$0"; exit 2 ;;
    esac
done
shift $((OPTIND - 1))

if [ -z "$out" ]; then
    out=$(mktemp -d /tmp/toyemu-corpus.XXXXXX)
else
    mkdir -p "$out"
fi
[ $keep = 1 ] || [ -n "${KEEP:-}" ] || trap 'rm -rf "$out"' EXIT

make -s -C "$userland" >/dev/null || { echo "building userland failed" >&2; exit 1; }

gccinc=$(gcc -m32 -print-file-name=include)
CFLAGS="-m32 -ffreestanding -nostdlib -static -fno-pic -no-pie -fno-stack-protector
        -fcf-protection=none -fno-asynchronous-unwind-tables -march=i686 -mfpmath=387
        -nostdinc -isystem $gccinc -I $userland/include -g -Wall -Werror"
LDFLAGS="-m32 -nostdlib -static -no-pie -Wl,--build-id=none"

if [ $# -gt 0 ]; then
    names=("$@")
else
    names=()
    for f in "$here"/*.c; do
        n=$(basename "$f" .c)
        names+=("$n")
    done
fi

failed=0
binaries=()
for n in "${names[@]}"; do
    for opt in O0 O2; do
        exe="$out/$n.$opt"
        if ! gcc $CFLAGS -$opt -c "$here/$n.c" -o "$exe.o" 2>"$exe.build.log" ||
           ! gcc $LDFLAGS "$userland/build/crt0.o" "$exe.o" "$userland/build/libtoy.a" \
                 -o "$exe" 2>>"$exe.build.log"; then
            echo "$n $opt BUILD-FAILED"
            cat "$exe.build.log"
            failed=1
            continue
        fi
        binaries+=("$exe")
    done
done

# run_one EXE ARGS... -> sets $status and $hash, stdout kept in $EXE.out
run_one() {
    local exe=$1
    shift
    # An inner shell waits for the program, so the "Segmentation fault"
    # notice goes to its stderr (discarded) and $? is 128+N for signal N.
    status=$(bash -c 'ulimit -c 0; exe=$1; shift
                      setarch -R "$exe" "$@" </dev/null >"$exe.out" 2>"$exe.err"
                      echo $?' _ "$exe" "$@" 2>/dev/null)
    hash=$(sha256sum <"$exe.out" | cut -c1-12)
}

# check LABEL OPT EXE ARGS... : run twice, print, compare
check() {
    local label=$1 opt=$2
    shift 2
    local exe=$1
    run_one "$@"
    local s1=$status h1=$hash
    cp "$exe.out" "$exe.out1"
    run_one "$@"
    local verdict=""
    if [ "$s1" != "$status" ] || [ "$h1" != "$hash" ]; then
        verdict="  NONDETERMINISTIC (second run: $status $hash)"
        failed=1
    fi
    printf "%-22s %-3s %3s  %s%s\n" "$label" "$opt" "$s1" "$h1" "$verdict"
}

for exe in "${binaries[@]}"; do
    base=$(basename "$exe")
    check "${base%.*}" "${base##*.}" "$exe" alpha "beta gamma"
done

# The userland demos, built by userland/Makefile at -O2.
demos=(hello leak_demo brk_demo mmap_demo layout_demo sigsegv_demo)
if [ $# -eq 0 ]; then
    for d in "${demos[@]}"; do
        cp "$userland/$d" "$out/$d"
        binaries+=("$out/$d")
        check "userland/$d" O2 "$out/$d" alpha "beta gamma"
    done
    cp "$userland/segv_demo" "$out/segv_demo"
    binaries+=("$out/segv_demo")
    for kind in null rodata kernel unmapped exec stack; do
        check "userland/segv_demo $kind" O2 "$out/segv_demo" "$kind"
    done
fi

# Instruction set: the IA-32 user instructions of a Pentium Pro (integer
# and x87), nothing of MMX or SSE. Disassembled in Intel syntax, which is
# how iced-x86 names mnemonics.
dis="$out/all.dis"
for exe in "${binaries[@]}"; do
    objdump -d -M intel --no-show-raw-insn "$exe"
done >"$dis"
: >"$out/bad.txt"
grep -E '\b(xmm|ymm|mm[0-7])\b|endbr32' "$dis" >>"$out/bad.txt"
if [ -s "$out/bad.txt" ]; then
    echo "FORBIDDEN INSTRUCTIONS:"
    head -20 "$out/bad.txt"
    failed=1
fi

# One line per instruction: "mnemonic" (with its rep/lock prefix, and a
# b/w/d size for the string instructions), then the operand forms seen,
# e.g. "add r32,imm".
awk -F'\t' '
function kind(op) {
    if (op ~ /TBYTE PTR/) return "m80"
    if (op ~ /BYTE PTR/) return "m8"
    if (op ~ /DWORD PTR/) return "m32"
    if (op ~ /QWORD PTR/) return "m64"
    if (op ~ /WORD PTR/) return "m16"
    if (op ~ /\[/) return "m"
    if (op ~ /^ds:0x[0-9a-f]+$/) return "moffs"
    if (op ~ /^(al|cl|dl|bl|ah|ch|dh|bh)$/) return "r8"
    if (op ~ /^(ax|cx|dx|bx|sp|bp|si|di)$/) return "r16"
    if (op ~ /^(eax|ecx|edx|ebx|esp|ebp|esi|edi)$/) return "r32"
    if (op ~ /^(es|cs|ss|ds|fs|gs)$/) return "sreg"
    if (op ~ /^[0-9a-f]+ </) return "rel"
    if (op ~ /^(0x)?[0-9a-f]+$/ || op ~ /^-/) return "imm"
    return op
}
NF >= 2 && $2 !~ /^\(bad\)/ {
    line = $2
    sub(/^ +/, "", line)
    sub(/ +$/, "", line)
    prefix = ""
    if (match(line, /^(rep|repz|repnz|lock) /)) {
        prefix = substr(line, 1, RLENGTH)
        line = substr(line, RLENGTH + 1)
    }
    sp = index(line, " ")
    if (sp == 0) { m = line; ops = "" } else { m = substr(line, 1, sp - 1); ops = substr(line, sp + 1) }
    gsub(/^ +/, "", ops)
    if (m ~ /^(stos|lods|scas|movs|cmps|ins|outs)$/) {
        if (ops ~ /^BYTE/ || ops ~ /,BYTE/) m = m "b"
        else if (ops ~ /DWORD/) m = m "d"
        else if (ops ~ /WORD/) m = m "w"
        ops = ""
    }
    name = prefix m
    n = split(ops, parts, ",")
    form = ""
    for (i = 1; i <= n; i++) form = form (i > 1 ? "," : "") kind(parts[i])
    print name "\t" form
}' "$dis" | sort -u >"$out/forms.txt"
mn=$(cut -f1 "$out/forms.txt" | sort -u)
if [ -n "$mnemonics_file" ]; then
    {
        echo "# Instructions used by the toyemu userland demos and the corpus programs"
        echo "# (tests/corpus/*.c at -O0 and -O2), all linked with the toy libc."
        echo "# Generated by: tests/corpus/run_native.sh -m tests/corpus/MNEMONICS.txt"
        echo "# Intel syntax as printed by objdump -M intel (iced-x86 uses the same"
        echo "# mnemonics).  String instructions carry their size (stosb/stosw/stosd),"
        echo "# rep/repz/repnz/lock prefixes are shown with the instruction."
        echo "# hlt only follows the call to __toy_start in crt0 and never runs."
        echo "#"
        echo "# Mnemonics ($(echo "$mn" | wc -l)):"
        echo "$mn" | paste -sd' ' | fold -s -w 78 | sed 's/^/#   /'
        echo "#"
        echo "# Operand forms seen (r8/r16/r32 registers, m8/m16/m32 memory,"
        echo "# m = address only (lea), moffs = the A0-A3 mov forms with a plain"
        echo "# address, imm immediate, rel branch target):"
        awk -F'\t' '{ print $1 (length($2) ? " " $2 : "") }' "$out/forms.txt"
    } >"$mnemonics_file"
fi
echo "distinct mnemonics ($(echo "$mn" | wc -l)):"
echo "$mn" | tr '\n' ' '
echo
[ $keep = 1 ] && echo "binaries and outputs kept in $out"
if [ $failed != 0 ]; then
    echo "FAILED"
    exit 1
fi
echo "all ok"
