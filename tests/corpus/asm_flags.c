// asm_flags.c - EFLAGS after add/sub/adc/sbb/cmp/neg/inc/dec/and/or/xor/test/mul/imul in 8, 16 and 32 bits, read with pushf and masked to the flags each defines.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond, code) do { if (!(cond)) { printf("FAIL line %d: %s\n", __LINE__, #cond); exit(code); } } while (0)

#define CF 0x001u
#define PF 0x004u
#define AF 0x010u
#define ZF 0x040u
#define SF 0x080u
#define OF 0x800u
#define ALL (CF | PF | AF | ZF | SF | OF)
#define LOGIC (CF | PF | ZF | SF | OF)      /* AF is undefined after logic ops */
#define MULF (CF | OF)                       /* only CF and OF are defined after mul */

/* Run `op` with the status flags preset to `in` (via popf), return the
 * flags after it; the result lands in *res. */
#define BINOP(name, insn, type, reg)                                               \
    static uint32_t name(uint32_t in, type a, type b, type *res)                   \
    {                                                                              \
        uint32_t f;                                                                \
        __asm__ volatile("pushl %3\n\tpopfl\n\t" insn " %" reg "4, %" reg "0\n\t"  \
                         "pushfl\n\tpopl %1"                                       \
                         : "=q"(*res), "=&r"(f)                                    \
                         : "0"(a), "r"(in), "q"(b)                                 \
                         : "cc");                                                  \
        return f;                                                                  \
    }

#define UNOP(name, insn, type, reg)                                                \
    static uint32_t name(uint32_t in, type a, type *res)                           \
    {                                                                              \
        uint32_t f;                                                                \
        __asm__ volatile("pushl %3\n\tpopfl\n\t" insn " %" reg "0\n\t"             \
                         "pushfl\n\tpopl %1"                                       \
                         : "=q"(*res), "=&r"(f)                                    \
                         : "0"(a), "r"(in)                                         \
                         : "cc");                                                  \
        return f;                                                                  \
    }

BINOP(add32, "addl", uint32_t, "k")
BINOP(sub32, "subl", uint32_t, "k")
BINOP(adc32, "adcl", uint32_t, "k")
BINOP(sbb32, "sbbl", uint32_t, "k")
BINOP(and32, "andl", uint32_t, "k")
BINOP(or32, "orl", uint32_t, "k")
BINOP(xor32, "xorl", uint32_t, "k")
BINOP(imul32, "imull", uint32_t, "k")
BINOP(add16, "addw", uint16_t, "w")
BINOP(sub16, "subw", uint16_t, "w")
BINOP(adc16, "adcw", uint16_t, "w")
BINOP(sbb16, "sbbw", uint16_t, "w")
BINOP(and16, "andw", uint16_t, "w")
BINOP(xor16, "xorw", uint16_t, "w")
BINOP(imul16, "imulw", uint16_t, "w")
BINOP(add8, "addb", uint8_t, "b")
BINOP(sub8, "subb", uint8_t, "b")
BINOP(adc8, "adcb", uint8_t, "b")
BINOP(sbb8, "sbbb", uint8_t, "b")
BINOP(or8, "orb", uint8_t, "b")
BINOP(and8, "andb", uint8_t, "b")
UNOP(neg32, "negl", uint32_t, "k")
UNOP(inc32, "incl", uint32_t, "k")
UNOP(dec32, "decl", uint32_t, "k")
UNOP(not32, "notl", uint32_t, "k")
UNOP(neg16, "negw", uint16_t, "w")
UNOP(inc16, "incw", uint16_t, "w")
UNOP(dec16, "decw", uint16_t, "w")
UNOP(neg8, "negb", uint8_t, "b")
UNOP(inc8, "incb", uint8_t, "b")
UNOP(dec8, "decb", uint8_t, "b")

static uint32_t cmp32(uint32_t in, uint32_t a, uint32_t b)
{
    uint32_t f;
    __asm__ volatile("pushl %1\n\tpopfl\n\tcmpl %3, %2\n\tpushfl\n\tpopl %0"
                     : "=&r"(f) : "r"(in), "r"(a), "r"(b) : "cc");
    return f;
}

static uint32_t test8(uint32_t in, uint8_t a, uint8_t b)
{
    uint32_t f;
    __asm__ volatile("pushl %1\n\tpopfl\n\ttestb %3, %2\n\tpushfl\n\tpopl %0"
                     : "=&r"(f) : "r"(in), "q"(a), "q"(b) : "cc");
    return f;
}

/* one-operand mul: edx:eax = eax * src */
static uint32_t mul32(uint32_t a, uint32_t b, uint32_t *hi, uint32_t *lo)
{
    uint32_t f;
    __asm__ volatile("mull %4\n\tpushfl\n\tpopl %2" : "=a"(*lo), "=d"(*hi), "=r"(f) : "0"(a), "r"(b) : "cc");
    return f;
}

static uint32_t imul1_32(uint32_t a, uint32_t b, uint32_t *hi, uint32_t *lo)
{
    uint32_t f;
    __asm__ volatile("imull %4\n\tpushfl\n\tpopl %2" : "=a"(*lo), "=d"(*hi), "=r"(f) : "0"(a), "r"(b) : "cc");
    return f;
}

static uint32_t mul8(uint8_t a, uint8_t b, uint16_t *ax)
{
    uint32_t f;
    __asm__ volatile("mulb %3\n\tpushfl\n\tpopl %1" : "=a"(*ax), "=r"(f) : "0"((uint16_t)a), "q"(b) : "cc");
    return f;
}

static uint32_t imul8(uint8_t a, uint8_t b, uint16_t *ax)
{
    uint32_t f;
    __asm__ volatile("imulb %3\n\tpushfl\n\tpopl %1" : "=a"(*ax), "=r"(f) : "0"((uint16_t)a), "q"(b) : "cc");
    return f;
}

static uint32_t mul16(uint16_t a, uint16_t b, uint16_t *dx, uint16_t *ax)
{
    uint32_t f;
    __asm__ volatile("mulw %4\n\tpushfl\n\tpopl %2" : "=a"(*ax), "=d"(*dx), "=r"(f) : "0"(a), "r"(b) : "cc");
    return f;
}

static uint32_t h = 0;
static void mix(uint32_t v) { h = (h ^ v) * 16777619u; }

static const uint32_t v32[] = { 0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff, 0x8000, 0xffff, 0x10000,
                                0x0f0f0f0f, 0x7ffffffe, 0x7fffffff, 0x80000000, 0x80000001,
                                0xfffffffe, 0xffffffff, 0x12345678, 0x9abcdef0 };
#define N (int)(sizeof v32 / sizeof v32[0])

int main(void)
{
    /* popf/pushf round trip: the six status flags and DF come back as written */
    for (uint32_t bits = 0; bits < 64; bits++) {
        uint32_t want = (bits & 1 ? CF : 0) | (bits & 2 ? PF : 0) | (bits & 4 ? AF : 0) |
                        (bits & 8 ? ZF : 0) | (bits & 16 ? SF : 0) | (bits & 32 ? OF : 0);
        uint32_t got;
        __asm__ volatile("pushl %1\n\tpopfl\n\tpushfl\n\tpopl %0" : "=r"(got) : "r"(want | 0x2) : "cc");
        CHECK((got & ALL) == want, 1);
        CHECK(got & 0x2, 2);                      /* bit 1 always reads as 1 */
    }
    uint32_t df;
    __asm__ volatile("std\n\tpushfl\n\tpopl %0\n\tcld" : "=r"(df) : : "cc");
    CHECK(df & 0x400, 3);
    __asm__ volatile("cld\n\tpushfl\n\tpopl %0" : "=r"(df) : : "cc");
    CHECK(!(df & 0x400), 4);

    uint32_t r32, f;
    uint16_t r16;
    uint8_t r8;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            uint32_t a = v32[i], b = v32[j];
            for (uint32_t in = 0; in <= ALL; in += ALL) {  /* flags in: all clear, all set */
                f = add32(in, a, b, &r32); mix(r32); mix(f & ALL);
                CHECK(r32 == a + b && !!(f & CF) == (r32 < a), 10);
                f = sub32(in, a, b, &r32); mix(r32); mix(f & ALL);
                CHECK(!!(f & CF) == (a < b) && !!(f & ZF) == (a == b), 11);
                CHECK(!!(f & OF) == (((a ^ b) & (a ^ r32)) >> 31), 12);
                f = adc32(in, a, b, &r32); mix(r32); mix(f & ALL);
                CHECK(r32 == a + b + (in & CF), 13);
                f = sbb32(in, a, b, &r32); mix(r32); mix(f & ALL);
                CHECK(r32 == a - b - (in & CF), 14);
                f = and32(in, a, b, &r32); mix(r32); mix(f & LOGIC);
                CHECK(!(f & (CF | OF)), 15);
                f = or32(in, a, b, &r32); mix(r32); mix(f & LOGIC);
                f = xor32(in, a, b, &r32); mix(r32); mix(f & LOGIC);
                f = imul32(in, a, b, &r32); mix(r32); mix(f & MULF);
                CHECK(!!(f & CF) == ((int64_t)(int32_t)a * (int32_t)b != (int32_t)r32), 16);
                f = cmp32(in, a, b); mix(f & ALL);
                f = add16(in, (uint16_t)a, (uint16_t)b, &r16); mix(r16); mix(f & ALL);
                f = sub16(in, (uint16_t)a, (uint16_t)b, &r16); mix(r16); mix(f & ALL);
                f = adc16(in, (uint16_t)a, (uint16_t)b, &r16); mix(r16); mix(f & ALL);
                f = sbb16(in, (uint16_t)a, (uint16_t)b, &r16); mix(r16); mix(f & ALL);
                f = and16(in, (uint16_t)a, (uint16_t)b, &r16); mix(r16); mix(f & LOGIC);
                f = xor16(in, (uint16_t)(a >> 8), (uint16_t)b, &r16); mix(r16); mix(f & LOGIC);
                f = imul16(in, (uint16_t)a, (uint16_t)b, &r16); mix(r16); mix(f & MULF);
                f = add8(in, (uint8_t)a, (uint8_t)b, &r8); mix(r8); mix(f & ALL);
                f = sub8(in, (uint8_t)a, (uint8_t)(b >> 4), &r8); mix(r8); mix(f & ALL);
                f = adc8(in, (uint8_t)a, (uint8_t)b, &r8); mix(r8); mix(f & ALL);
                f = sbb8(in, (uint8_t)(a >> 1), (uint8_t)b, &r8); mix(r8); mix(f & ALL);
                f = or8(in, (uint8_t)a, (uint8_t)b, &r8); mix(r8); mix(f & LOGIC);
                f = and8(in, (uint8_t)a, (uint8_t)(b >> 3), &r8); mix(r8); mix(f & LOGIC);
                f = test8(in, (uint8_t)a, (uint8_t)b); mix(f & LOGIC);
            }
            uint32_t hi, lo;
            uint16_t ax, dx;
            f = mul32(a, b, &hi, &lo); mix(hi); mix(lo); mix(f & MULF);
            CHECK(((uint64_t)hi << 32 | lo) == (uint64_t)a * b, 17);
            CHECK(!!(f & CF) == (hi != 0) && !!(f & OF) == (hi != 0), 18);
            f = imul1_32(a, b, &hi, &lo); mix(hi); mix(lo); mix(f & MULF);
            CHECK((int64_t)((uint64_t)hi << 32 | lo) == (int64_t)(int32_t)a * (int32_t)b, 19);
            f = mul8((uint8_t)a, (uint8_t)b, &ax); mix(ax); mix(f & MULF);
            CHECK(ax == (uint8_t)a * (uint8_t)b, 20);
            f = imul8((uint8_t)a, (uint8_t)b, &ax); mix(ax); mix(f & MULF);
            CHECK((int16_t)ax == (int8_t)a * (int8_t)b, 21);
            f = mul16((uint16_t)a, (uint16_t)b, &dx, &ax); mix(dx); mix(ax); mix(f & MULF);
        }
    for (int i = 0; i < N; i++)
        for (uint32_t in = 0; in <= ALL; in += ALL) {
            uint32_t a = v32[i];
            f = neg32(in, a, &r32); mix(r32); mix(f & ALL);
            CHECK(!!(f & CF) == (a != 0), 30);
            f = inc32(in, a, &r32); mix(r32); mix(f & ALL);
            CHECK((f & CF) == (in & CF), 31);               /* inc leaves CF alone */
            f = dec32(in, a, &r32); mix(r32); mix(f & ALL);
            CHECK((f & CF) == (in & CF), 32);
            f = not32(in, a, &r32); mix(r32); mix(f & ALL);
            CHECK((f & ALL) == (in & ALL), 33);             /* not touches no flag */
            f = neg16(in, (uint16_t)a, &r16); mix(r16); mix(f & ALL);
            f = inc16(in, (uint16_t)a, &r16); mix(r16); mix(f & ALL);
            f = dec16(in, (uint16_t)a, &r16); mix(r16); mix(f & ALL);
            f = neg8(in, (uint8_t)a, &r8); mix(r8); mix(f & ALL);
            f = inc8(in, (uint8_t)a, &r8); mix(r8); mix(f & ALL);
            f = dec8(in, (uint8_t)a, &r8); mix(r8); mix(f & ALL);
        }
    f = add32(0, 0x7fffffff, 1, &r32);
    printf("0x7fffffff + 1: OF=%d SF=%d ZF=%d CF=%d AF=%d PF=%d\n", !!(f & OF), !!(f & SF),
           !!(f & ZF), !!(f & CF), !!(f & AF), !!(f & PF));
    f = sub8(0, 0x10, 0x01, &r8);
    printf("0x10 - 0x01 (8 bit): result %02x AF=%d CF=%d\n", r8, !!(f & AF), !!(f & CF));
    f = inc8(CF, 0xff, &r8);
    printf("inc 0xff (8 bit) with CF set: result %02x ZF=%d CF=%d AF=%d\n", r8, !!(f & ZF), !!(f & CF), !!(f & AF));
    printf("flags checksum %08x\n", h);
    return 0;
}
