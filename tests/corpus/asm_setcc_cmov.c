// asm_setcc_cmov.c - all 16 setcc and cmovcc conditions after cmp (32/16/8 bit), test and sub, checked against C's signed and unsigned comparisons.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond, code) do { if (!(cond)) { printf("FAIL line %d: %s (a=%08x b=%08x)\n", __LINE__, #cond, a, b); exit(code); } } while (0)

/* order: o no b ae e ne be a s ns p np l ge le g */
#define SETCC_ALL(out)                                                              \
    "seto 0(" out ")\n\tsetno 1(" out ")\n\tsetb 2(" out ")\n\tsetae 3(" out ")\n\t"  \
    "sete 4(" out ")\n\tsetne 5(" out ")\n\tsetbe 6(" out ")\n\tseta 7(" out ")\n\t"  \
    "sets 8(" out ")\n\tsetns 9(" out ")\n\tsetp 10(" out ")\n\tsetnp 11(" out ")\n\t" \
    "setl 12(" out ")\n\tsetge 13(" out ")\n\tsetle 14(" out ")\n\tsetg 15(" out ")"

static void set_cmp32(uint32_t a, uint32_t b, uint8_t *o)
{
    __asm__ volatile("cmpl %2, %1\n\t" SETCC_ALL("%0") : : "r"(o), "r"(a), "r"(b) : "cc", "memory");
}

static void set_cmp16(uint16_t a, uint16_t b, uint8_t *o)
{
    __asm__ volatile("cmpw %2, %1\n\t" SETCC_ALL("%0") : : "r"(o), "r"(a), "r"(b) : "cc", "memory");
}

static void set_cmp8(uint8_t a, uint8_t b, uint8_t *o)
{
    __asm__ volatile("cmpb %2, %1\n\t" SETCC_ALL("%0") : : "r"(o), "q"(a), "q"(b) : "cc", "memory");
}

static void set_test32(uint32_t a, uint32_t b, uint8_t *o)
{
    __asm__ volatile("testl %2, %1\n\t" SETCC_ALL("%0") : : "r"(o), "r"(a), "r"(b) : "cc", "memory");
}

#define CMOV(cc)                                                                    \
    static uint32_t cmov_##cc(uint32_t a, uint32_t b)                               \
    {                                                                               \
        uint32_t r = 0, one = 1;                                                    \
        __asm__ volatile("cmpl %3, %2\n\tcmov" #cc " %1, %0"                         \
                         : "+r"(r) : "r"(one), "r"(a), "r"(b) : "cc");              \
        return r;                                                                   \
    }
CMOV(o) CMOV(no) CMOV(b) CMOV(ae) CMOV(e) CMOV(ne) CMOV(be) CMOV(a)
CMOV(s) CMOV(ns) CMOV(p) CMOV(np) CMOV(l) CMOV(ge) CMOV(le) CMOV(g)

static uint32_t (*const cmovs[16])(uint32_t, uint32_t) = {
    cmov_o, cmov_no, cmov_b, cmov_ae, cmov_e, cmov_ne, cmov_be, cmov_a,
    cmov_s, cmov_ns, cmov_p, cmov_np, cmov_l, cmov_ge, cmov_le, cmov_g,
};

/* cmov with a memory source, 16-bit form too */
static uint16_t cmovw_mem(uint16_t a, uint16_t b, const uint16_t *src)
{
    uint16_t r = 0xbeef;
    __asm__ volatile("cmpw %2, %1\n\tcmovlw (%3), %0" : "+r"(r) : "r"(a), "r"(b), "r"(src) : "cc", "memory");
    return r;
}

static const uint32_t vals[] = { 0, 1, 2, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff,
                                 0x7fffffff, 0x80000000, 0x80000001, 0xfffffffe, 0xffffffff,
                                 0x12345678, 0xedcba987 };
#define N (int)(sizeof vals / sizeof vals[0])

int main(void)
{
    uint8_t o[16];
    uint32_t h = 0, counts[16] = { 0 };
    uint32_t a = 0, b = 0;
    for (int i = 0; i < N; i++)
        for (int j = 0; j < N; j++) {
            a = vals[i];
            b = vals[j];
            set_cmp32(a, b, o);
            int32_t sa = (int32_t)a, sb = (int32_t)b;
            uint32_t diff = a - b;
            int of = ((a ^ b) & (a ^ diff)) >> 31;
            CHECK(o[0] == of && o[1] == !of, 1);
            CHECK(o[2] == (a < b) && o[3] == (a >= b), 2);
            CHECK(o[4] == (a == b) && o[5] == (a != b), 3);
            CHECK(o[6] == (a <= b) && o[7] == (a > b), 4);
            CHECK(o[8] == (diff >> 31) && o[9] == !(diff >> 31), 5);
            CHECK(o[10] == !(__builtin_popcount(diff & 0xff) & 1) && o[11] == !o[10], 6);
            CHECK(o[12] == (sa < sb) && o[13] == (sa >= sb), 7);
            CHECK(o[14] == (sa <= sb) && o[15] == (sa > sb), 8);
            for (int k = 0; k < 16; k++) {
                CHECK(cmovs[k](a, b) == o[k], 9);
                counts[k] += o[k];
                h = h * 3 + o[k];
            }
            set_cmp16((uint16_t)a, (uint16_t)b, o);
            CHECK(o[12] == ((int16_t)a < (int16_t)b) && o[2] == ((uint16_t)a < (uint16_t)b), 10);
            for (int k = 0; k < 16; k++)
                h = h * 3 + o[k];
            set_cmp8((uint8_t)a, (uint8_t)b, o);
            CHECK(o[15] == ((int8_t)a > (int8_t)b) && o[7] == ((uint8_t)a > (uint8_t)b), 11);
            for (int k = 0; k < 16; k++)
                h = h * 3 + o[k];
            set_test32(a, b, o);
            CHECK(o[0] == 0 && o[2] == 0 && o[4] == ((a & b) == 0), 12);
            for (int k = 0; k < 16; k++)
                h = h * 3 + o[k];
            uint16_t src = 0x1111;
            CHECK(cmovw_mem((uint16_t)a, (uint16_t)b, &src) == ((int16_t)a < (int16_t)b ? 0x1111 : 0xbeef), 13);
        }
    printf("true counts over %d pairs:", N * N);
    for (int k = 0; k < 16; k++)
        printf(" %u", counts[k]);
    printf("\nsetcc checksum %08x\n", h);
    return 0;
}
