# Sums, means, a histogram and string functions over
# tests/real/data/numbers.txt. (Debian's busybox-static has no awk math
# library: sqrt, exp, sin and ^ are left out.)
{ s += $1; ss += $1 * $1; if (NR == 1 || $1 < min) min = $1; if (NR == 1 || $1 > max) max = $1; v[NR] = $1 }
END {
    mean = s / NR
    printf "n=%d sum=%.4f mean=%.6f var=%.6f min=%g max=%g\n", NR, s, mean, ss / NR - mean * mean, min, max
    for (i = 1; i <= NR; i++) printf "%s%s", (i > 1 ? " " : ""), int(v[i] * 100 / max)
    printf "\n1/3=%.17g 2/3=%.10e 1e300*1e5=%g 7%%3=%d -7%%3=%d\n", 1 / 3, 2 / 3, 1e300 * 1e5, 7 % 3, -7 % 3
    printf "%s|%s|%d|%d\n", toupper("mixed Case"), substr("abcdefgh", 3, 4), index("hello", "ll"), length("four")
    n = split("a:b:c:d", parts, ":"); printf "split %d %s\n", n, parts[3]
    x = sprintf("%08.3f", 3.14159); gsub(/0/, "o", x); print x
    for (k = 0; k < 5; k++) h = h * 31 + k * 0.5; printf "h=%.6f\n", h
}
