// asm_adc_sbb.c - multi-word add and subtract chains with adc/sbb on memory and registers, stc/clc/cmc, the sbb reg,reg mask idiom, carry out of 128-bit sums.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond, code) do { if (!(cond)) { printf("FAIL line %d: %s\n", __LINE__, #cond); exit(code); } } while (0)

typedef struct { uint32_t w[4]; } u128;

/* r = a + b over four limbs; returns the final carry */
static uint32_t add128(u128 *r, const u128 *a, const u128 *b)
{
    uint32_t carry;
    __asm__ volatile("movl 0(%2), %%eax\n\taddl 0(%3), %%eax\n\tmovl %%eax, 0(%1)\n\t"
                     "movl 4(%2), %%eax\n\tadcl 4(%3), %%eax\n\tmovl %%eax, 4(%1)\n\t"
                     "movl 8(%2), %%eax\n\tadcl 8(%3), %%eax\n\tmovl %%eax, 8(%1)\n\t"
                     "movl 12(%2), %%eax\n\tadcl 12(%3), %%eax\n\tmovl %%eax, 12(%1)\n\t"
                     "sbbl %0, %0\n\tnegl %0"
                     : "=&r"(carry) : "r"(r), "r"(a), "r"(b) : "eax", "cc", "memory");
    return carry;
}

/* r = a - b; returns the final borrow */
static uint32_t sub128(u128 *r, const u128 *a, const u128 *b)
{
    uint32_t borrow = 0;
    __asm__ volatile("movl 0(%2), %%eax\n\tsubl 0(%3), %%eax\n\tmovl %%eax, 0(%1)\n\t"
                     "movl 4(%2), %%eax\n\tsbbl 4(%3), %%eax\n\tmovl %%eax, 4(%1)\n\t"
                     "movl 8(%2), %%eax\n\tsbbl 8(%3), %%eax\n\tmovl %%eax, 8(%1)\n\t"
                     "movl 12(%2), %%eax\n\tsbbl 12(%3), %%eax\n\tmovl %%eax, 12(%1)\n\t"
                     "adcl $0, %0"
                     : "+&r"(borrow) : "r"(r), "r"(a), "r"(b) : "eax", "cc", "memory");
    return borrow;
}

/* in-place a += b with adc into memory destinations */
static void add128_inplace(u128 *a, const u128 *b)
{
    __asm__ volatile("movl 0(%1), %%eax\n\taddl %%eax, 0(%0)\n\t"
                     "movl 4(%1), %%eax\n\tadcl %%eax, 4(%0)\n\t"
                     "movl 8(%1), %%eax\n\tadcl %%eax, 8(%0)\n\t"
                     "movl 12(%1), %%eax\n\tadcl %%eax, 12(%0)"
                     : : "r"(a), "r"(b) : "eax", "cc", "memory");
}

static uint32_t carry_ops(void)
{
    uint32_t r = 0, t;
    __asm__ volatile("stc\n\tsbbl %0, %0" : "=r"(t) : : "cc");        /* CF=1 -> -1 */
    r = r * 3 + t;
    __asm__ volatile("clc\n\tsbbl %0, %0" : "=r"(t) : : "cc");        /* CF=0 -> 0 */
    r = r * 3 + t;
    __asm__ volatile("clc\n\tcmc\n\tmovl $5, %0\n\tadcl $10, %0" : "=r"(t) : : "cc");   /* 16 */
    r = r * 3 + t;
    __asm__ volatile("stc\n\tcmc\n\tmovl $5, %0\n\tsbbl $10, %0" : "=r"(t) : : "cc");   /* -5 */
    r = r * 3 + t;
    __asm__ volatile("stc\n\tmovb $0xff, %b0\n\tadcb $0, %b0\n\tsetc %h0\n\tmovzwl %w0, %0"
                     : "=Q"(t) : : "cc");                               /* al=0, ah=1 */
    r = r * 3 + t;
    __asm__ volatile("stc\n\tmovw $0, %w0\n\tsbbw $0, %w0\n\tmovzwl %w0, %0" : "=r"(t) : : "cc");  /* 0xffff */
    r = r * 3 + t;
    return r;
}

static uint32_t h;
static void mix(uint32_t v) { h = (h ^ v) * 16777619u; }

int main(void)
{
    uint32_t s = 2463534242u;
    u128 a, b, c, d;
    for (int i = 0; i < 500; i++) {
        for (int k = 0; k < 4; k++) {
            s ^= s << 13; s ^= s >> 17; s ^= s << 5;
            a.w[k] = (i & 1) ? ~0u - (s & 3) : s;       /* odd rounds: long carry chains */
            s ^= s << 13; s ^= s >> 17; s ^= s << 5;
            b.w[k] = (i & 2) ? s & 7 : s;
        }
        uint32_t carry = add128(&c, &a, &b);
        uint32_t borrow = sub128(&d, &c, &b);
        CHECK(d.w[0] == a.w[0] && d.w[1] == a.w[1] && d.w[2] == a.w[2] && d.w[3] == a.w[3], 1);
        CHECK(borrow == carry, 2);               /* (a + b) - b borrows exactly when a + b carried */
        /* the same with 64-bit C on the low half */
        uint64_t lo = ((uint64_t)a.w[1] << 32 | a.w[0]) + ((uint64_t)b.w[1] << 32 | b.w[0]);
        CHECK((uint32_t)lo == c.w[0] && (uint32_t)(lo >> 32) == c.w[1], 3);
        u128 e = a;
        add128_inplace(&e, &b);
        CHECK(e.w[0] == c.w[0] && e.w[3] == c.w[3], 4);
        for (int k = 0; k < 4; k++)
            mix(c.w[k]);
        mix(carry);
    }
    u128 max = { { ~0u, ~0u, ~0u, ~0u } }, one = { { 1, 0, 0, 0 } };
    uint32_t carry = add128(&c, &max, &one);
    printf("(2^128 - 1) + 1 = %08x%08x%08x%08x carry %u\n", c.w[3], c.w[2], c.w[1], c.w[0], carry);
    uint32_t borrow = sub128(&c, &one, &max);
    printf("1 - (2^128 - 1) = %08x%08x%08x%08x borrow %u\n", c.w[3], c.w[2], c.w[1], c.w[0], borrow);
    uint32_t co = carry_ops();
    printf("stc/clc/cmc and sbb-mask checksum %08x\n", co);
    CHECK(co == (((((0u - 1) * 3 + 0) * 3 + 16) * 3 + (uint32_t)-5) * 3 + 0x100) * 3 + 0xffff, 5);
    printf("adc/sbb chain checksum %08x\n", h);
    return 0;
}
