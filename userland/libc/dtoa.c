/* dtoa.c - the exact decimal value of a double, for printf's %f %e %g.
 *
 * A finite double is m * 2^e with an integer m < 2^53.  For e >= 0 that is
 * the integer m << e; for e < 0 it is m * 5^-e / 10^-e, so the digits of
 * the integer m * 5^-e with the decimal point -e places from the right.
 * Either way a big integer (base 10^9, at most 767 digits for the smallest
 * denormals) gives every digit exactly, and printf rounds the digit string
 * itself: correctly rounded output, as glibc's, without floating-point
 * arithmetic (which would round at every step).
 */
#include <stdint.h>
#include <string.h>

#define LIMBS 90                  /* 810 decimal digits > 767 needed */
#define BASE 1000000000u

struct big {
    uint32_t d[LIMBS];            /* base 10^9, least significant first */
    int n;
};

/* b = b * k + 0, k < 2^32. */
static void mul_small(struct big *b, uint32_t k)
{
    uint64_t carry = 0;
    for (int i = 0; i < b->n; i++) {
        uint64_t v = (uint64_t)b->d[i] * k + carry;
        carry = v / BASE;
        b->d[i] = (uint32_t)(v - carry * BASE);
    }
    while (carry) {
        b->d[b->n++] = (uint32_t)(carry % BASE);
        carry /= BASE;
    }
}

/* The decimal digits of b, most significant first, into out; returns how
 * many ("0" for zero). */
static int to_digits(const struct big *b, char *out)
{
    int n = 0;
    int i = b->n - 1;
    while (i > 0 && b->d[i] == 0)
        i--;
    /* the top limb without leading zeros, the others with all nine */
    char tmp[10];
    int t = 0;
    uint32_t v = b->d[i];
    do {
        tmp[t++] = (char)('0' + v % 10);
        v /= 10;
    } while (v);
    while (t)
        out[n++] = tmp[--t];
    for (i--; i >= 0; i--) {
        v = b->d[i];
        for (int k = 8; k >= 0; k--) {
            out[n + k] = (char)('0' + v % 10);
            v /= 10;
        }
        n += 9;
    }
    return n;
}

/* Digits of |v| (finite) into digits[] (room for 800), most significant
 * first without leading zeros ("0" for zero); *point is where the decimal
 * point goes: |v| = 0.d1d2d3... * 10^point.  Returns the digit count. */
int __dtoa_exact(double v, char *digits, int *point)
{
    uint64_t bits;
    memcpy(&bits, &v, sizeof bits);
    int be = (int)(bits >> 52) & 0x7ff;
    uint64_t m = bits & ((1ull << 52) - 1);
    int e;
    if (be == 0) {
        e = -1074;                /* zero or denormal */
    } else {
        m |= 1ull << 52;
        e = be - 1075;
    }
    struct big b;
    b.d[0] = (uint32_t)(m % BASE);
    b.d[1] = (uint32_t)(m / BASE % BASE);
    b.d[2] = (uint32_t)(m / BASE / BASE);
    b.n = 3;
    int n;
    if (m == 0) {
        digits[0] = '0';
        *point = 1;
        return 1;
    }
    if (e >= 0) {
        for (; e >= 29; e -= 29)
            mul_small(&b, 1u << 29);
        mul_small(&b, 1u << e);
        n = to_digits(&b, digits);
        *point = n;
    } else {
        int k = -e;
        for (; k >= 13; k -= 13)
            mul_small(&b, 1220703125u); /* 5^13 */
        uint32_t p = 1;
        while (k--)
            p *= 5;
        mul_small(&b, p);
        n = to_digits(&b, digits);
        *point = n + e;
    }
    /* drop trailing zeros: they carry no information */
    while (n > 1 && digits[n - 1] == '0')
        n--;
    return n;
}
