// int_bits.c - bit tricks: popcount, clz/ctz (bsr/bsf/tzcnt), ffs, parity, bswap32/64, rotates (rol/ror), bit reversal, against naive loops.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond, code) do { if (!(cond)) { printf("FAIL line %d: %s (x=%08x)\n", __LINE__, #cond, x); exit(code); } } while (0)

static int naive_popcount(uint32_t x) { int n = 0; for (; x; x >>= 1) n += x & 1; return n; }
static int naive_clz(uint32_t x) { int n = 0; for (uint32_t m = 0x80000000u; m && !(x & m); m >>= 1) n++; return n; }
static int naive_ctz(uint32_t x) { int n = 0; for (uint32_t m = 1; m && !(x & m); m <<= 1) n++; return n; }
static uint32_t naive_bswap(uint32_t x)
{
    return ((x & 0xff) << 24) | ((x & 0xff00) << 8) | ((x >> 8) & 0xff00) | (x >> 24);
}
static uint32_t naive_rotl(uint32_t x, unsigned r)
{
    for (unsigned i = 0; i < r; i++)
        x = (x << 1) | (x >> 31);
    return x;
}
static uint32_t reverse_bits(uint32_t x)
{
    x = ((x >> 1) & 0x55555555u) | ((x & 0x55555555u) << 1);
    x = ((x >> 2) & 0x33333333u) | ((x & 0x33333333u) << 2);
    x = ((x >> 4) & 0x0f0f0f0fu) | ((x & 0x0f0f0f0fu) << 4);
    return __builtin_bswap32(x);
}

/* rotates as the idiom gcc turns into rol/ror */
static __attribute__((noipa)) uint32_t rotl32(uint32_t x, unsigned n) { return (x << (n & 31)) | (x >> ((32 - n) & 31)); }
static __attribute__((noipa)) uint32_t rotr32(uint32_t x, unsigned n) { return (x >> (n & 31)) | (x << ((32 - n) & 31)); }
static __attribute__((noipa)) uint32_t rotl7(uint32_t x) { return (x << 7) | (x >> 25); }
static __attribute__((noipa)) uint16_t rotl16(uint16_t x, unsigned n) { n &= 15; return (uint16_t)((x << n) | (x >> ((16 - n) & 15))); }
static __attribute__((noipa)) uint8_t rotr8(uint8_t x, unsigned n) { n &= 7; return (uint8_t)((x >> n) | (x << ((8 - n) & 7))); }
static __attribute__((noipa)) uint64_t rotl64(uint64_t x, unsigned n) { n &= 63; return n ? (x << n) | (x >> (64 - n)) : x; }

int main(void)
{
    uint32_t x = 1, h = 0;
    uint32_t vals[600];
    int nv = 0;
    for (int i = 0; i < 32; i++) {
        vals[nv++] = 1u << i;
        vals[nv++] = ~(1u << i);
        vals[nv++] = (1u << i) - 1;
    }
    uint32_t s = 0x9e3779b9u;
    while (nv < 600) {
        s ^= s << 13; s ^= s >> 17; s ^= s << 5;
        vals[nv++] = s >> (s & 15);
    }
    for (int i = 0; i < nv; i++) {
        x = vals[i];
        CHECK(__builtin_popcount(x) == naive_popcount(x), 1);
        CHECK(__builtin_parity(x) == (naive_popcount(x) & 1), 2);
        CHECK(__builtin_bswap32(x) == naive_bswap(x), 3);
        if (x) {
            CHECK(__builtin_clz(x) == naive_clz(x), 4);
            CHECK(__builtin_ctz(x) == naive_ctz(x), 5);
            CHECK(__builtin_ffs((int)x) == naive_ctz(x) + 1, 6);
        } else {
            CHECK(__builtin_ffs(0) == 0, 7);
        }
        unsigned r = (x >> 3) & 31;
        CHECK(rotl32(x, r) == naive_rotl(x, r), 8);
        CHECK(rotr32(x, r) == naive_rotl(x, (32 - r) & 31), 9);
        CHECK(rotl7(x) == naive_rotl(x, 7), 10);
        CHECK(reverse_bits(reverse_bits(x)) == x, 11);
        CHECK(__builtin_popcountll(((uint64_t)x << 32) | ~x) == 32, 12);
        h = h * 31 + __builtin_popcount(x) + (x ? __builtin_clz(x) * 7 + __builtin_ctz(x) * 131 : 0);
        h ^= rotl32(x, i) + rotr32(x, i * 3) + rotl16((uint16_t)x, i) + rotr8((uint8_t)x, i);
        h += (uint32_t)rotl64(((uint64_t)x << 32) | (x ^ 0x5a5a5a5a), i);
    }
    uint64_t w = 0x0123456789abcdefull;
    printf("bswap64(%016llx) = %016llx\n", (unsigned long long)w,
           (unsigned long long)__builtin_bswap64(w));
    printf("clzll %d ctzll %d popcountll %d\n", __builtin_clzll(w), __builtin_ctzll(w << 12),
           __builtin_popcountll(w));
    printf("bswap16 %04x, reverse_bits(1) %08x, rotl16(0x8001,1) %04x, rotr8(0x81,1) %02x\n",
           __builtin_bswap16(0x1234), reverse_bits(1), rotl16(0x8001, 1), rotr8(0x81, 1));
    printf("checked %d values, checksum %08x\n", nv, h);
    return 0;
}
