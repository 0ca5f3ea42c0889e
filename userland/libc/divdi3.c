/* divdi3.c - the helpers gcc calls on i386 instead of emitting inline code
 * (normally they come from libgcc, which has no 32-bit build here):
 * 64-bit division and remainder, and bit counting without POPCNT.
 *
 * Nothing in this file may use 64-bit '/' or '%' itself: that would call
 * straight back into these functions.  Division by zero divides by zero
 * for real, so the process gets SIGFPE exactly as it would from a 32-bit
 * division (and as libgcc's helpers do).
 */
#include <stdint.h>

typedef union {
    uint64_t all;
    struct {
        uint32_t lo, hi;
    } s;
} dword;

/* (hi:lo) / d with hi < d, by the hardware: one `divl`. */
static inline uint32_t div_64_by_32(uint32_t hi, uint32_t lo, uint32_t d, uint32_t *rem)
{
    uint32_t q, r;
    __asm__("divl %4" : "=a"(q), "=d"(r) : "a"(lo), "d"(hi), "rm"(d) : "cc");
    *rem = r;
    return q;
}

uint64_t __udivmoddi4(uint64_t num, uint64_t den, uint64_t *rem)
{
    dword n = { num }, d = { den }, q = { 0 };
    uint32_t r;

    if (d.s.hi == 0) {
        if (d.s.lo == 0) {
            volatile uint32_t zero = 0;
            if (rem)
                *rem = 0;
            return n.s.lo / zero;         /* #DE, as the hardware would */
        }
        /* Two schoolbook steps of 32 bits each, each one `divl`. */
        q.s.hi = div_64_by_32(0, n.s.hi, d.s.lo, &r);
        q.s.lo = div_64_by_32(r, n.s.lo, d.s.lo, &r);
        if (rem)
            *rem = r;
        return q.all;
    }
    /* den >= 2^32, so the quotient fits in 32 bits: shift and subtract. */
    if (num < den) {
        if (rem)
            *rem = num;
        return 0;
    }
    int shift = __builtin_clz(d.s.hi) - __builtin_clz(n.s.hi);
    uint64_t dd = den << shift;
    uint32_t quo = 0;
    for (int i = shift; i >= 0; i--) {
        quo <<= 1;
        if (num >= dd) {
            num -= dd;
            quo |= 1;
        }
        dd >>= 1;
    }
    if (rem)
        *rem = num;
    return quo;
}

uint64_t __udivdi3(uint64_t n, uint64_t d)
{
    return __udivmoddi4(n, d, 0);
}

uint64_t __umoddi3(uint64_t n, uint64_t d)
{
    uint64_t r;
    __udivmoddi4(n, d, &r);
    return r;
}

/* Signed forms: divide the magnitudes; the quotient is negative when the
 * signs differ, the remainder takes the dividend's sign (C99 truncation). */
int64_t __divmoddi4(int64_t n, int64_t d, int64_t *rem)
{
    uint64_t un = n < 0 ? -(uint64_t)n : (uint64_t)n;
    uint64_t ud = d < 0 ? -(uint64_t)d : (uint64_t)d;
    uint64_t ur;
    uint64_t uq = __udivmoddi4(un, ud, &ur);
    if (rem)
        *rem = n < 0 ? -(int64_t)ur : (int64_t)ur;
    return (n < 0) != (d < 0) ? -(int64_t)uq : (int64_t)uq;
}

int64_t __divdi3(int64_t n, int64_t d)
{
    return __divmoddi4(n, d, 0);
}

int64_t __moddi3(int64_t n, int64_t d)
{
    int64_t r;
    __divmoddi4(n, d, &r);
    return r;
}

/* ---- shifts and multiply (gcc inlines these on i386; here for safety) ---- */

int64_t __ashldi3(int64_t a, int b)
{
    dword x = { (uint64_t)a };
    if (b & 32) {
        x.s.hi = x.s.lo << (b & 31);
        x.s.lo = 0;
    } else if (b) {
        x.s.hi = (x.s.hi << b) | (x.s.lo >> (32 - b));
        x.s.lo <<= b;
    }
    return (int64_t)x.all;
}

uint64_t __lshrdi3(uint64_t a, int b)
{
    dword x = { a };
    if (b & 32) {
        x.s.lo = x.s.hi >> (b & 31);
        x.s.hi = 0;
    } else if (b) {
        x.s.lo = (x.s.lo >> b) | (x.s.hi << (32 - b));
        x.s.hi >>= b;
    }
    return x.all;
}

int64_t __ashrdi3(int64_t a, int b)
{
    dword x = { (uint64_t)a };
    int32_t hi = (int32_t)x.s.hi;
    if (b & 32) {
        x.s.lo = (uint32_t)(hi >> (b & 31));
        x.s.hi = (uint32_t)(hi >> 31);
    } else if (b) {
        x.s.lo = (x.s.lo >> b) | (x.s.hi << (32 - b));
        x.s.hi = (uint32_t)(hi >> b);
    }
    return (int64_t)x.all;
}

int64_t __muldi3(int64_t a, int64_t b)
{
    dword x = { (uint64_t)a }, y = { (uint64_t)b }, r;
    uint32_t lo, hi;
    __asm__("mull %3" : "=a"(lo), "=d"(hi) : "a"(x.s.lo), "rm"(y.s.lo) : "cc");
    r.s.lo = lo;
    r.s.hi = hi + x.s.lo * y.s.hi + x.s.hi * y.s.lo;
    return (int64_t)r.all;
}

/* ---- bit counting ---- */

int __popcountsi2(uint32_t x)
{
    x = x - ((x >> 1) & 0x55555555u);
    x = (x & 0x33333333u) + ((x >> 2) & 0x33333333u);
    x = (x + (x >> 4)) & 0x0f0f0f0fu;
    return (int)((x * 0x01010101u) >> 24);
}

int __popcountdi2(uint64_t x)
{
    dword d = { x };
    return __popcountsi2(d.s.lo) + __popcountsi2(d.s.hi);
}

int __paritysi2(uint32_t x)
{
    x ^= x >> 16;
    x ^= x >> 8;
    x ^= x >> 4;
    return (0x6996 >> (x & 15)) & 1;
}

int __paritydi2(uint64_t x)
{
    dword d = { x };
    return __paritysi2(d.s.lo ^ d.s.hi);
}

uint32_t __bswapsi2(uint32_t x)
{
    return (x >> 24) | ((x >> 8) & 0xff00u) | ((x << 8) & 0xff0000u) | (x << 24);
}

uint64_t __bswapdi2(uint64_t x)
{
    dword d = { x }, r;
    r.s.lo = __bswapsi2(d.s.hi);
    r.s.hi = __bswapsi2(d.s.lo);
    return r.all;
}

/* Leading/trailing zero counts (undefined for 0, as in libgcc) and ffs.
 * gcc emits __ctzdi2 for __builtin_ctzll at -O0; the rest for safety. */
int __clzsi2(uint32_t x)
{
    return __builtin_clz(x);
}

int __ctzsi2(uint32_t x)
{
    return __builtin_ctz(x);
}

int __clzdi2(uint64_t x)
{
    dword d = { x };
    return d.s.hi ? __builtin_clz(d.s.hi) : 32 + __builtin_clz(d.s.lo);
}

int __ctzdi2(uint64_t x)
{
    dword d = { x };
    return d.s.lo ? __builtin_ctz(d.s.lo) : 32 + __builtin_ctz(d.s.hi);
}

int __ffsdi2(uint64_t x)
{
    return x ? __ctzdi2(x) + 1 : 0;
}

int __ffssi2(uint32_t x)
{
    return x ? __builtin_ctz(x) + 1 : 0;
}
