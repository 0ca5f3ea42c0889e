/* 64-bit integer arithmetic on a 32-bit machine: the add/sub carry chains,
 * multiplication, libgcc's __divdi3/__udivdi3/__moddi3/__umoddi3, shifts by
 * every count, comparisons, and conversions to and from double. Exit codes:
 * 1 a division identity failed, 2 a shift identity failed, 3 a conversion. */
#include <inttypes.h>
#include <stdint.h>
#include <stdio.h>

static uint64_t state = 0x0123456789abcdefULL;
static uint64_t rnd(void)
{
    /* xorshift64* */
    state ^= state >> 12;
    state ^= state << 25;
    state ^= state >> 27;
    return state * 2685821657736338717ULL;
}

/* Keep the compiler from folding the arithmetic at build time. */
static volatile uint64_t sink;

int main(void)
{
    uint64_t h = 0;
    for (int i = 0; i < 20000; i++) {
        uint64_t a = rnd(), b = rnd() >> (i % 64);
        int64_t sa = (int64_t)a, sb = (int64_t)b;
        if (b == 0)
            b = 1, sb = 1;
        uint64_t q = a / b, r = a % b;
        if (q * b + r != a || r >= b)
            return 1;
        if (!(sa == INT64_MIN && sb == -1)) {
            int64_t sq = sa / sb, sr = sa % sb;
            if (sq * sb + sr != sa)
                return 1;
            h = h * 31 + (uint64_t)sq + (uint64_t)sr;
        }
        unsigned s = i % 64;
        if (((a << s) >> s) != (a & (~0ULL >> s)))
            return 2;
        h = h * 31 + q + r + (a << s) + (a >> s) + (uint64_t)(sa >> s) + a * b;
        h ^= (a < b) + 2 * (sa < sb) + 4 * (a == b);
    }
    sink = h;
    printf("hash %016" PRIx64 "\n", h);
    int64_t vals[] = {0, 1, -1, 7, -7, INT64_MAX, INT64_MIN, 1LL << 32, -(1LL << 32), 1000000007LL * 998244353LL};
    int n = sizeof vals / sizeof vals[0];
    for (int i = 0; i < n; i++)
        for (int j = 0; j < n; j++) {
            int64_t x = vals[i], y = vals[j];
            if (y == 0 || (x == INT64_MIN && y == -1))
                continue;
            printf("%" PRId64 " / %" PRId64 " = %" PRId64 " r %" PRId64 "; u: %" PRIu64 " %% %" PRIu64 " = %" PRIu64 "\n",
                   x, y, x / y, x % y, (uint64_t)x, (uint64_t)y, (uint64_t)x % (uint64_t)y);
        }
    for (int s = 0; s < 64; s += 7)
        printf("shift %2d: %016" PRIx64 " %016" PRIx64 " %016" PRIx64 "\n", s, 0x8123456789abcdefULL << s,
               0x8123456789abcdefULL >> s, (uint64_t)((int64_t)0x8123456789abcdefULL >> s));
    double ds[] = {0.0, 1.5, -1.5, 4294967296.0, 9.2233720368547748e18, -9.2233720368547758e18, 1e15 + 0.5, 123456789012.75};
    for (size_t i = 0; i < sizeof ds / sizeof ds[0]; i++) {
        int64_t v = (int64_t)ds[i];
        printf("(int64)%.17g = %" PRId64 ", back %.17g\n", ds[i], v, (double)v);
    }
    uint64_t big = 18446744073709551615ULL;
    printf("(double)UINT64_MAX = %.17g, (uint64)1.8e19 = %" PRIu64 "\n", (double)big, (uint64_t)1.8e19);
    if ((int64_t)(double)(1LL << 53) != (1LL << 53))
        return 3;
    long long m = 1;
    for (int i = 1; i <= 20; i++)
        m *= i;
    printf("20! = %lld\n", m);
    return 0;
}
