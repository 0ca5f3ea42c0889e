// asm_bittest.c - bt/bts/btr/btc on registers and memory (immediate and register bit offsets, including offsets past the dword and negative ones), bsf/bsr and their ZF.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond, code) do { if (!(cond)) { printf("FAIL line %d: %s\n", __LINE__, #cond); exit(code); } } while (0)
#define CF 0x001u
#define ZF 0x040u

/* reg form: the bit offset is taken modulo 32 */
#define BT_REG(name, insn)                                                          \
    static uint32_t name(uint32_t in, uint32_t v, uint32_t bit, uint32_t *res)      \
    {                                                                               \
        uint32_t f;                                                                 \
        __asm__ volatile("pushl %3\n\tpopfl\n\t" insn " %4, %0\n\tpushfl\n\tpopl %1" \
                         : "=r"(*res), "=&r"(f) : "0"(v), "r"(in), "r"(bit) : "cc"); \
        return f;                                                                   \
    }
BT_REG(bt_r, "btl")
BT_REG(bts_r, "btsl")
BT_REG(btr_r, "btrl")
BT_REG(btc_r, "btcl")

/* memory form with a register offset: the offset is a signed bit index
 * relative to the operand's address, reaching any dword */
#define BT_MEM(name, insn)                                                          \
    static uint32_t name(uint32_t in, uint32_t *base, int32_t bit)                  \
    {                                                                               \
        uint32_t f;                                                                 \
        __asm__ volatile("pushl %1\n\tpopfl\n\t" insn " %3, (%2)\n\tpushfl\n\tpopl %0" \
                         : "=&r"(f) : "r"(in), "r"(base), "r"(bit) : "cc", "memory"); \
        return f;                                                                   \
    }
BT_MEM(bt_m, "btl")
BT_MEM(bts_m, "btsl")
BT_MEM(btr_m, "btrl")
BT_MEM(btc_m, "btcl")

static uint32_t bts_imm_mem(uint32_t *p)
{
    uint32_t f;
    __asm__ volatile("btsl $35, (%1)\n\tpushfl\n\tpopl %0" : "=r"(f) : "r"(p) : "cc", "memory");
    return f;                       /* immediate offsets are taken modulo 32: bit 3 */
}

static uint32_t btc16(uint16_t v, uint16_t bit, uint16_t *res)
{
    uint32_t f;
    __asm__ volatile("btcw %3, %0\n\tpushfl\n\tpopl %1" : "=r"(*res), "=&r"(f) : "0"(v), "r"(bit) : "cc");
    return f;
}

static uint32_t bsf(uint32_t in, uint32_t v, uint32_t *res)
{
    uint32_t f, r = 0x1234;
    __asm__ volatile("pushl %3\n\tpopfl\n\tbsfl %4, %0\n\tpushfl\n\tpopl %1"
                     : "=r"(r), "=&r"(f) : "0"(r), "r"(in), "r"(v) : "cc");
    *res = r;
    return f;
}

static uint32_t bsr(uint32_t in, uint32_t v, uint32_t *res)
{
    uint32_t f, r = 0x1234;
    __asm__ volatile("pushl %3\n\tpopfl\n\tbsrl %4, %0\n\tpushfl\n\tpopl %1"
                     : "=r"(r), "=&r"(f) : "0"(r), "r"(in), "r"(v) : "cc");
    *res = r;
    return f;
}

static uint32_t bsf16(uint16_t v, uint16_t *res)
{
    uint32_t f;
    uint16_t r = 0;
    __asm__ volatile("bsfw %3, %0\n\tpushfl\n\tpopl %1" : "=r"(r), "=&r"(f) : "0"(r), "r"(v) : "cc");
    *res = r;
    return f;
}

static uint32_t h;
static void mix(uint32_t v) { h = (h ^ v) * 16777619u; }

int main(void)
{
    uint32_t r, f;
    uint32_t v = 0xa5c3e781;
    for (uint32_t in = 0; in <= (CF | ZF); in += CF | ZF)
        for (uint32_t bit = 0; bit < 70; bit++) {
            uint32_t b = bit & 31, was = (v >> b) & 1;
            f = bt_r(in, v, bit, &r);
            CHECK(r == v && (f & CF) == was && (f & ZF) == (in & ZF), 1);   /* ZF untouched */
            f = bts_r(in, v, bit, &r);
            CHECK(r == (v | 1u << b) && (f & CF) == was, 2);
            f = btr_r(in, v, bit, &r);
            CHECK(r == (v & ~(1u << b)) && (f & CF) == was, 3);
            f = btc_r(in, v, bit, &r);
            CHECK(r == (v ^ 1u << b) && (f & CF) == was && (f & ZF) == (in & ZF), 4);
            mix(r);
        }

    uint32_t mem[8];
    for (int i = 0; i < 8; i++)
        mem[i] = 0x01010101u * (uint32_t)(i + 1);
    uint32_t *mid = &mem[4];
    for (int32_t bit = -128; bit < 128; bit += 5) {
        int32_t word = bit >> 5;                 /* floor division, negative too */
        uint32_t mask = 1u << (bit & 31);
        uint32_t was = (mid[word] & mask) != 0;
        f = bt_m(0, mid, bit);
        CHECK((f & CF) == was, 5);
        f = btc_m(ZF, mid, bit);
        CHECK((f & CF) == was && (mid[word] & mask) == (was ? 0 : mask) && (f & ZF), 6);
        f = bts_m(0, mid, bit);
        CHECK((f & CF) == !was && (mid[word] & mask), 7);
        f = btr_m(CF, mid, bit);
        CHECK((f & CF) && !(mid[word] & mask), 8);
        mix(mid[word]);
    }
    for (int i = 0; i < 8; i++)
        mix(mem[i]);
    uint32_t one = 0;
    f = bts_imm_mem(&one);
    CHECK(one == 8 && !(f & CF), 9);
    uint16_t r16;
    f = btc16(0x8001, 31, &r16);                 /* 16-bit offsets are taken modulo 16 */
    CHECK(r16 == 0x0001 && (f & CF), 10);

    for (int i = 0; i < 32; i++) {
        uint32_t x = (0x80000001u >> (31 - i)) | (1u << i);
        f = bsf(0, x, &r);
        CHECK(r == (uint32_t)__builtin_ctz(x) && !(f & ZF), 11);
        f = bsr(0, x, &r);
        CHECK(r == 31u - __builtin_clz(x) && !(f & ZF), 12);
        mix(r);
    }
    f = bsf(0, 0, &r);
    CHECK(f & ZF, 13);                           /* zero source: ZF set (destination undefined) */
    f = bsr(0, 0, &r);
    CHECK(f & ZF, 14);
    f = bsf16(0x0400, &r16);
    CHECK(r16 == 10 && !(f & ZF), 15);
    printf("bt/bts/btr/btc and bsf/bsr agree; memory after the bit walk:\n");
    for (int i = 0; i < 8; i++)
        printf(" %08x", mem[i]);
    printf("\nchecksum %08x\n", h);
    return 0;
}
