// int_bignum.c - multi-word arithmetic in 32-bit limbs with 64-bit intermediates: 100!, 2^1000, Fibonacci(1000), big division by small.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond, code) do { if (!(cond)) { printf("FAIL line %d: %s\n", __LINE__, #cond); exit(code); } } while (0)
#define LIMBS 120

typedef struct {
    uint32_t d[LIMBS];      /* little endian, base 2^32 */
    int n;                  /* limbs in use */
} big;

static void big_set(big *a, uint32_t v) { memset(a, 0, sizeof *a); a->d[0] = v; a->n = 1; }

static void big_mul_small(big *a, uint32_t m)
{
    uint64_t carry = 0;
    for (int i = 0; i < a->n; i++) {
        uint64_t t = (uint64_t)a->d[i] * m + carry;
        a->d[i] = (uint32_t)t;
        carry = t >> 32;
    }
    if (carry)
        a->d[a->n++] = (uint32_t)carry;
}

static void big_add(big *r, const big *a, const big *b)
{
    int n = a->n > b->n ? a->n : b->n;
    uint32_t carry = 0;
    for (int i = 0; i < n; i++) {
        uint64_t t = (uint64_t)a->d[i] + b->d[i] + carry;
        r->d[i] = (uint32_t)t;
        carry = (uint32_t)(t >> 32);
    }
    r->n = n;
    if (carry)
        r->d[r->n++] = carry;
}

/* divides a in place, returns the remainder */
static uint32_t big_div_small(big *a, uint32_t m)
{
    uint64_t rem = 0;
    for (int i = a->n - 1; i >= 0; i--) {
        uint64_t cur = (rem << 32) | a->d[i];
        a->d[i] = (uint32_t)(cur / m);
        rem = cur % m;
    }
    while (a->n > 1 && a->d[a->n - 1] == 0)
        a->n--;
    return (uint32_t)rem;
}

static int big_is_zero(const big *a) { return a->n == 1 && a->d[0] == 0; }

/* decimal string, using repeated division by 10^9 */
static void big_print(const char *label, const big *a)
{
    static char out[1300];
    big t = *a;
    uint32_t chunks[150];
    int nc = 0;
    do {
        chunks[nc++] = big_div_small(&t, 1000000000u);
    } while (!big_is_zero(&t));
    int len = sprintf(out, "%u", chunks[nc - 1]);
    for (int i = nc - 2; i >= 0; i--)
        len += sprintf(out + len, "%09u", chunks[i]);
    uint32_t digit_sum = 0;
    for (int i = 0; i < len; i++)
        digit_sum += out[i] - '0';
    printf("%s has %d digits, digit sum %u\n  %.40s...%s\n", label, len, digit_sum, out,
           out + len - 20);
}

int main(void)
{
    big f;
    big_set(&f, 1);
    for (uint32_t i = 2; i <= 100; i++)
        big_mul_small(&f, i);
    big_print("100!", &f);
    big t = f;
    for (uint32_t i = 100; i >= 2; i--)
        CHECK(big_div_small(&t, i) == 0, 1);
    CHECK(t.n == 1 && t.d[0] == 1, 2);

    big p;
    big_set(&p, 1);
    for (int i = 0; i < 1000; i++)
        big_mul_small(&p, 2);
    CHECK(p.n == 32 && p.d[31] == 0x100, 3);
    big_print("2^1000", &p);

    big a, b, c;
    big_set(&a, 0);
    big_set(&b, 1);
    for (int i = 0; i < 1000; i++) {
        big_add(&c, &a, &b);
        a = b;
        b = c;
    }
    big_print("fib(1000)", &a);
    CHECK(big_div_small(&a, 1000000007u) == 517691607u, 4);
    return 0;
}
