// i64_arith.c - 64-bit integers on a 32-bit CPU: add/sub (adc/sbb), mul, div/mod (libc helpers), variable shifts (shld/shrd), signed and unsigned compares.
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond, code) do { if (!(cond)) { printf("FAIL line %d: %s\n", __LINE__, #cond); exit(code); } } while (0)

static __attribute__((noipa)) uint64_t add64(uint64_t a, uint64_t b) { return a + b; }
static __attribute__((noipa)) uint64_t sub64(uint64_t a, uint64_t b) { return a - b; }
static __attribute__((noipa)) uint64_t mul64(uint64_t a, uint64_t b) { return a * b; }
static __attribute__((noipa)) uint64_t udiv64(uint64_t a, uint64_t b) { return a / b; }
static __attribute__((noipa)) uint64_t umod64(uint64_t a, uint64_t b) { return a % b; }
static __attribute__((noipa)) int64_t sdiv64(int64_t a, int64_t b) { return a / b; }
static __attribute__((noipa)) int64_t smod64(int64_t a, int64_t b) { return a % b; }
static __attribute__((noipa)) uint64_t shl64(uint64_t a, unsigned n) { return a << n; }
static __attribute__((noipa)) uint64_t shr64(uint64_t a, unsigned n) { return a >> n; }
static __attribute__((noipa)) int64_t sar64(int64_t a, unsigned n) { return a >> n; }
static __attribute__((noipa)) int cmp64(int64_t a, int64_t b)
{
    return (a < b) | (a <= b) << 1 | (a > b) << 2 | (a >= b) << 3 | (a == b) << 4 |
           ((uint64_t)a < (uint64_t)b) << 5 | ((uint64_t)a >= (uint64_t)b) << 6;
}
static __attribute__((noipa)) int64_t mul_32x32(int32_t a, int32_t b) { return (int64_t)a * b; }
static __attribute__((noipa)) uint64_t umul_32x32(uint32_t a, uint32_t b) { return (uint64_t)a * b; }

static const uint64_t vals[] = {
    0, 1, 2, 3, 7, 10, 0xffffffffull, 0x100000000ull, 0x100000001ull, 0x7fffffffffffffffull,
    0x8000000000000000ull, 0xffffffffffffffffull, 0xfffffffffffffffeull, 1000000007ull,
    0x123456789abcdefull, 0xfedcba9876543210ull, 12345678901234567ull, 0xffffffff00000000ull,
    0x00000000ffff0000ull, (uint64_t)-1000, (uint64_t)-7, 1ull << 32 | 5, 999999999999ull,
};
#define NV (int)(sizeof vals / sizeof vals[0])

int main(void)
{
    uint64_t h = 0;
    for (int i = 0; i < NV; i++)
        for (int j = 0; j < NV; j++) {
            uint64_t a = vals[i], b = vals[j];
            h = h * 1000003 + add64(a, b);
            h = h * 1000003 + sub64(a, b);
            h = h * 1000003 + mul64(a, b);
            h = h * 1000003 + (uint64_t)cmp64((int64_t)a, (int64_t)b);
            if (b) {
                uint64_t q = udiv64(a, b), r = umod64(a, b);
                CHECK(q * b + r == a && r < b, 1);
                h = h * 1000003 + q + r * 7;
                if (!((int64_t)a == LLONG_MIN && (int64_t)b == -1)) {
                    int64_t sq = sdiv64((int64_t)a, (int64_t)b), sr = smod64((int64_t)a, (int64_t)b);
                    CHECK((uint64_t)sq * b + (uint64_t)sr == a, 2);
                    CHECK(sr == 0 || (sr < 0) == ((int64_t)a < 0), 3);
                    h = h * 1000003 + (uint64_t)sq + (uint64_t)sr * 7;
                }
            }
        }
    printf("64-bit table checksum %016llx\n", (unsigned long long)h);

    h = 0;
    for (unsigned n = 0; n < 64; n++) {
        uint64_t x = 0x8123456789abcdefull;
        h = h * 31 + shl64(x, n);
        h = h * 31 + shr64(x, n);
        h = h * 31 + (uint64_t)sar64((int64_t)x, n);
        CHECK(shl64(1, n) == (n < 32 ? (uint64_t)(1u << n) : (uint64_t)(1u << (n - 32)) << 32), 4);
        CHECK(sar64(-1, n) == -1, 5);
        CHECK(shr64(~0ull, n) == ~0ull >> n, 6);
    }
    printf("shift checksum %016llx\n", (unsigned long long)h);

    CHECK(mul_32x32(INT_MIN, INT_MIN) == 0x4000000000000000ll, 7);
    CHECK(mul_32x32(-3, 5) == -15, 8);
    CHECK(umul_32x32(0xffffffffu, 0xffffffffu) == 0xfffffffe00000001ull, 9);
    printf("LLONG_MIN / 3 = %lld, LLONG_MIN %% 10 = %lld, -1ull / 3 = %llu\n",
           (long long)sdiv64(LLONG_MIN, 3), (long long)smod64(LLONG_MIN, 10),
           (unsigned long long)udiv64(~0ull, 3));
    printf("10^18 / 7 = %llu rem %llu; -(10^18) / 7 = %lld rem %lld\n",
           (unsigned long long)udiv64(1000000000000000000ull, 7),
           (unsigned long long)umod64(1000000000000000000ull, 7),
           (long long)sdiv64(-1000000000000000000ll, 7), (long long)smod64(-1000000000000000000ll, 7));

    uint64_t s = 88172645463325252ull, acc = 0;      /* xorshift64 */
    for (int i = 0; i < 10000; i++) {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        acc += s % 1000003 + s / 0x100000001ull;
    }
    printf("xorshift64 after 10000 steps %016llx, accumulated %llu\n",
           (unsigned long long)s, (unsigned long long)acc);
    return 0;
}
