// int_gcd_collatz.c - gcd (Euclid and binary), extended Euclid, modular inverse and exponentiation, Collatz chain lengths.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond, code) do { if (!(cond)) { printf("FAIL line %d: %s\n", __LINE__, #cond); exit(code); } } while (0)

static uint32_t gcd(uint32_t a, uint32_t b)
{
    while (b) {
        uint32_t t = a % b;
        a = b;
        b = t;
    }
    return a;
}

static uint32_t binary_gcd(uint32_t a, uint32_t b)
{
    if (a == 0)
        return b;
    if (b == 0)
        return a;
    int shift = __builtin_ctz(a | b);
    a >>= __builtin_ctz(a);
    do {
        b >>= __builtin_ctz(b);
        if (a > b) {
            uint32_t t = a;
            a = b;
            b = t;
        }
        b -= a;
    } while (b);
    return a << shift;
}

/* returns g, with x*a + y*b == g */
static int32_t ext_gcd(int32_t a, int32_t b, int32_t *x, int32_t *y)
{
    int32_t x0 = 1, y0 = 0, x1 = 0, y1 = 1;
    while (b) {
        int32_t q = a / b, t;
        t = a - q * b; a = b; b = t;
        t = x0 - q * x1; x0 = x1; x1 = t;
        t = y0 - q * y1; y0 = y1; y1 = t;
    }
    *x = x0;
    *y = y0;
    return a;
}

static uint32_t pow_mod(uint32_t base, uint32_t e, uint32_t m)
{
    uint64_t r = 1, b = base % m;
    while (e) {
        if (e & 1)
            r = r * b % m;
        b = b * b % m;
        e >>= 1;
    }
    return (uint32_t)r;
}

int main(void)
{
    uint32_t s = 1, acc = 0;
    for (int i = 0; i < 3000; i++) {
        s = s * 1103515245u + 12345u;
        uint32_t a = s >> 3;
        s = s * 1103515245u + 12345u;
        uint32_t b = (s >> 7) | 1;
        uint32_t g = gcd(a, b);
        CHECK(g == binary_gcd(a, b), 1);
        CHECK(a % g == 0 && b % g == 0, 2);
        acc = acc * 31 + g;
    }
    printf("gcd checksum %08x, gcd(1071, 462) = %u, gcd(2^31, 6) = %u\n",
           acc, gcd(1071, 462), binary_gcd(1u << 31, 6));

    int32_t x, y;
    int32_t g = ext_gcd(240, 46, &x, &y);
    printf("ext_gcd(240, 46) = %d = %d*240 + %d*46\n", g, x, y);
    CHECK(x * 240 + y * 46 == g, 3);
    const int32_t p = 1000003;
    int32_t inv_sum = 0;
    for (int32_t a = 1; a < 200; a++) {
        ext_gcd(a, p, &x, &y);
        int32_t inv = ((x % p) + p) % p;
        CHECK((int64_t)inv * a % p == 1, 4);
        CHECK(pow_mod((uint32_t)a, (uint32_t)p - 2, (uint32_t)p) == (uint32_t)inv, 5);
        inv_sum = (inv_sum + inv) % p;
    }
    printf("sum of inverses mod %d: %d; 3^1000000 mod 1000003 = %u\n", p, inv_sum,
           pow_mod(3, 1000000, 1000003));

    unsigned best = 0, best_n = 0;
    uint64_t total = 0;
    for (unsigned n = 1; n < 10000; n++) {
        uint64_t v = n;
        unsigned steps = 0;
        while (v != 1) {
            v = (v & 1) ? 3 * v + 1 : v >> 1;
            steps++;
        }
        total += steps;
        if (steps > best) {
            best = steps;
            best_n = n;
        }
    }
    printf("collatz below 10000: longest chain starts at %u (%u steps), total steps %llu\n",
           best_n, best, (unsigned long long)total);
    CHECK(best_n == 6171 && best == 261, 6);   /* the known record below 10000 */
    return 0;
}
