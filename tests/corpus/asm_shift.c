// asm_shift.c - shl/shr/sar/rol/ror/rcl/rcr/shld/shrd in 8/16/32 bits by 1, by immediates and by CL: results and the flags each defines.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond, code) do { if (!(cond)) { printf("FAIL line %d: %s (x=%08x n=%u)\n", __LINE__, #cond, x, n); exit(code); } } while (0)

#define CF 0x001u
#define PF 0x004u
#define AF 0x010u
#define ZF 0x040u
#define SF 0x080u
#define OF 0x800u
#define ALL (CF | PF | AF | ZF | SF | OF)

/* Flags that an instruction defines, given the masked count c and width w:
 * count 0 changes nothing (so everything is comparable); otherwise
 * shifts define CF (while c <= w) SF ZF PF, OF only for c == 1, never AF. */
static uint32_t shift_mask(unsigned c, unsigned w)
{
    if (c == 0)
        return ALL;
    uint32_t m = SF | ZF | PF | (c <= w ? CF : 0);
    if (c == 1)
        m |= OF;
    return m;
}

/* Rotates define only CF (when the 5-bit count is not 0) and OF (count 1);
 * the other four flags are left as they were, so they are comparable too. */
static uint32_t rot_mask(unsigned c)
{
    if (c == 0)
        return ALL;
    return (ALL & ~OF) | (c == 1 ? OF : 0);
}

#define SHIFT_CL(name, insn, type, reg)                                        \
    static uint32_t name(uint32_t in, type a, uint8_t n, type *res)            \
    {                                                                          \
        uint32_t f;                                                            \
        __asm__ volatile("pushl %3\n\tpopfl\n\t" insn " %%cl, %" reg "0\n\t"   \
                         "pushfl\n\tpopl %1"                                   \
                         : "=q"(*res), "=&r"(f)                                \
                         : "0"(a), "r"(in), "c"(n)                             \
                         : "cc");                                              \
        return f;                                                              \
    }

SHIFT_CL(shl32, "shll", uint32_t, "k")
SHIFT_CL(shr32, "shrl", uint32_t, "k")
SHIFT_CL(sar32, "sarl", uint32_t, "k")
SHIFT_CL(rol32, "roll", uint32_t, "k")
SHIFT_CL(ror32, "rorl", uint32_t, "k")
SHIFT_CL(rcl32, "rcll", uint32_t, "k")
SHIFT_CL(rcr32, "rcrl", uint32_t, "k")
SHIFT_CL(shl16, "shlw", uint16_t, "w")
SHIFT_CL(sar16, "sarw", uint16_t, "w")
SHIFT_CL(rol16, "rolw", uint16_t, "w")
SHIFT_CL(rcr16, "rcrw", uint16_t, "w")
SHIFT_CL(shr8, "shrb", uint8_t, "b")
SHIFT_CL(sar8, "sarb", uint8_t, "b")
SHIFT_CL(rol8, "rolb", uint8_t, "b")
SHIFT_CL(ror8, "rorb", uint8_t, "b")
SHIFT_CL(rcl8, "rclb", uint8_t, "b")

#define SHIFT_IMM(name, insn)                                                  \
    static uint32_t name(uint32_t in, uint32_t a, uint32_t *res)              \
    {                                                                          \
        uint32_t f;                                                            \
        __asm__ volatile("pushl %3\n\tpopfl\n\t" insn ", %0\n\t"              \
                         "pushfl\n\tpopl %1"                                   \
                         : "=r"(*res), "=&r"(f)                                \
                         : "0"(a), "r"(in)                                     \
                         : "cc");                                              \
        return f;                                                              \
    }

SHIFT_IMM(shl1, "shll $1")
SHIFT_IMM(sar1, "sarl $1")
SHIFT_IMM(shr7, "shrl $7")
SHIFT_IMM(rol1, "roll $1")
SHIFT_IMM(rcr1, "rcrl $1")
SHIFT_IMM(rcl3, "rcll $3")
SHIFT_IMM(sar31, "sarl $31")

static uint32_t shld32(uint32_t in, uint32_t a, uint32_t b, uint8_t n, uint32_t *res)
{
    uint32_t f;
    __asm__ volatile("pushl %3\n\tpopfl\n\tshldl %%cl, %4, %0\n\tpushfl\n\tpopl %1"
                     : "=r"(*res), "=&r"(f) : "0"(a), "r"(in), "r"(b), "c"(n) : "cc");
    return f;
}

static uint32_t shrd32(uint32_t in, uint32_t a, uint32_t b, uint8_t n, uint32_t *res)
{
    uint32_t f;
    __asm__ volatile("pushl %3\n\tpopfl\n\tshrdl %%cl, %4, %0\n\tpushfl\n\tpopl %1"
                     : "=r"(*res), "=&r"(f) : "0"(a), "r"(in), "r"(b), "c"(n) : "cc");
    return f;
}

static uint32_t shld16(uint32_t in, uint16_t a, uint16_t b, uint8_t n, uint16_t *res)
{
    uint32_t f;
    __asm__ volatile("pushl %3\n\tpopfl\n\tshldw %%cl, %4, %0\n\tpushfl\n\tpopl %1"
                     : "=r"(*res), "=&r"(f) : "0"(a), "r"(in), "r"(b), "c"(n) : "cc");
    return f;
}

static uint32_t shrd_imm(uint32_t a, uint32_t b, uint32_t *res)
{
    uint32_t f;
    __asm__ volatile("shrdl $12, %3, %0\n\tpushfl\n\tpopl %1"
                     : "=r"(*res), "=&r"(f) : "0"(a), "r"(b) : "cc");
    return f;
}

static uint32_t h;
static void mix(uint32_t v) { h = (h ^ v) * 16777619u; }

static const uint32_t vals[] = { 0, 1, 0x80000000, 0xffffffff, 0x12345678, 0x87654321,
                                 0x7fffffff, 0x00008000, 0x000000ff, 0xaaaa5555, 0x40000000 };

int main(void)
{
    uint32_t x = 0, r, f;
    unsigned n = 0;
    uint16_t r16;
    uint8_t r8;
    for (unsigned i = 0; i < sizeof vals / sizeof vals[0]; i++) {
        x = vals[i];
        for (uint32_t in = 0; in <= ALL; in += ALL)
            for (n = 0; n < 40; n++) {           /* counts past 31 are masked to 5 bits */
                unsigned c = n & 31;
                f = shl32(in, x, (uint8_t)n, &r); mix(r); mix(f & shift_mask(c, 32));
                CHECK(r == x << c, 1);
                if (c)
                    CHECK(!!(f & CF) == ((x >> (32 - c)) & 1), 2);
                f = shr32(in, x, (uint8_t)n, &r); mix(r); mix(f & shift_mask(c, 32));
                CHECK(r == x >> c, 3);
                f = sar32(in, x, (uint8_t)n, &r); mix(r); mix(f & shift_mask(c, 32));
                CHECK(r == (uint32_t)((int32_t)x >> c), 4);
                f = rol32(in, x, (uint8_t)n, &r); mix(r); mix(f & rot_mask(c));
                CHECK(r == (c ? (x << c) | (x >> (32 - c)) : x), 5);
                f = ror32(in, x, (uint8_t)n, &r); mix(r); mix(f & rot_mask(c));
                f = rcl32(in, x, (uint8_t)n, &r); mix(r); mix(f & rot_mask(c));
                f = rcr32(in, x, (uint8_t)n, &r); mix(r); mix(f & rot_mask(c));
                if (c) {
                    /* rcl through a 33-bit value: CF:x */
                    uint64_t wide = ((uint64_t)(in & CF) << 32) | x;
                    uint64_t rot = ((wide << c) | (wide >> (33 - c))) & 0x1ffffffffull;
                    rcl32(in, x, (uint8_t)n, &r);
                    f = rcl32(in, x, (uint8_t)n, &r);
                    CHECK(r == (uint32_t)rot && (f & CF) == (uint32_t)(rot >> 32), 6);
                }
                f = shl16(in, (uint16_t)x, (uint8_t)n, &r16); mix(r16); mix(f & shift_mask(c, 16));
                f = sar16(in, (uint16_t)(x >> 3), (uint8_t)n, &r16); mix(r16); mix(f & shift_mask(c, 16));
                f = rol16(in, (uint16_t)x, (uint8_t)n, &r16); mix(r16); mix(f & rot_mask(c));
                f = rcr16(in, (uint16_t)x, (uint8_t)n, &r16); mix(r16);
                mix(f & ((c % 17) ? rot_mask(c) : ALL & ~OF));
                f = shr8(in, (uint8_t)x, (uint8_t)n, &r8); mix(r8); mix(f & shift_mask(c, 8));
                f = sar8(in, (uint8_t)(x >> 24), (uint8_t)n, &r8); mix(r8); mix(f & shift_mask(c, 8));
                f = rol8(in, (uint8_t)x, (uint8_t)n, &r8); mix(r8); mix(f & rot_mask(c));
                f = ror8(in, (uint8_t)(x >> 4), (uint8_t)n, &r8); mix(r8); mix(f & rot_mask(c));
                f = rcl8(in, (uint8_t)(x >> 8), (uint8_t)n, &r8); mix(r8);
                mix(f & ((c % 9) ? rot_mask(c) : ALL & ~OF));
                f = shld32(in, x, ~x ^ 0x5a5a5a5a, (uint8_t)n, &r); mix(r); mix(f & (shift_mask(c, 32) & ~AF));
                CHECK(r == (c ? (x << c) | ((~x ^ 0x5a5a5a5a) >> (32 - c)) : x), 7);
                f = shrd32(in, x, 0x13572468, (uint8_t)n, &r); mix(r); mix(f & (shift_mask(c, 32) & ~AF));
                CHECK(r == (c ? (x >> c) | (0x13572468u << (32 - c)) : x), 8);
                if (c <= 16) {
                    f = shld16(in, (uint16_t)x, (uint16_t)(x >> 16), (uint8_t)n, &r16); mix(r16);
                    mix(f & (shift_mask(c, 16) & ~AF));
                }
            }
        for (uint32_t in = 0; in <= ALL; in += ALL) {
            f = shl1(in, x, &r); mix(r); mix(f & shift_mask(1, 32));
            f = sar1(in, x, &r); mix(r); mix(f & shift_mask(1, 32));
            CHECK(!(f & OF), 9);                  /* sar by 1 always clears OF */
            f = shr7(in, x, &r); mix(r); mix(f & shift_mask(7, 32));
            f = rol1(in, x, &r); mix(r); mix(f & rot_mask(1));
            f = rcr1(in, x, &r); mix(r); mix(f & rot_mask(1));
            CHECK(r == ((x >> 1) | ((in & CF) << 31)) && (f & CF) == (x & 1), 10);
            f = rcl3(in, x, &r); mix(r); mix(f & rot_mask(3));
            f = sar31(in, x, &r); mix(r); mix(f & shift_mask(31, 32));
            CHECK(r == ((x >> 31) ? 0xffffffffu : 0), 11);
        }
        f = shrd_imm(x, 0xabc, &r); mix(r); mix(f & (CF | SF | ZF | PF));
    }
    f = rol8(ALL, 0x01, 8, &r8);
    printf("rol8(0x01, 8) = %02x CF=%d (count 8 is not 0 before the mod)\n", r8, !!(f & CF));
    f = rcl8(0, 0x80, 9, &r8);
    printf("rcl8(0x80, 9) CF=0 -> %02x CF=%d\n", r8, !!(f & CF));
    f = shld32(0, 0x80000000, 0xffffffff, 1, &r);
    printf("shld(0x80000000, 0xffffffff, 1) = %08x CF=%d OF=%d\n", r, !!(f & CF), !!(f & OF));
    f = shrd_imm(0x12345678, 0xabc, &r);
    printf("shrd(0x12345678, 0xabc, 12) = %08x CF=%d\n", r, !!(f & CF));
    printf("shift/rotate checksum %08x\n", h);
    return 0;
}
