// mul_div.c - 32-bit signed/unsigned multiply, divide and modulo with negative operands, INT_MIN, INT_MAX, 0 and 1, plus mulhi via 64-bit products.
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond, code) do { if (!(cond)) { printf("FAIL line %d: %s (a=%d b=%d)\n", __LINE__, #cond, a, b); exit(code); } } while (0)

static __attribute__((noipa)) int32_t sdiv(int32_t a, int32_t b) { return a / b; }
static __attribute__((noipa)) int32_t smod(int32_t a, int32_t b) { return a % b; }
static __attribute__((noipa)) uint32_t udiv(uint32_t a, uint32_t b) { return a / b; }
static __attribute__((noipa)) uint32_t umod(uint32_t a, uint32_t b) { return a % b; }
static __attribute__((noipa)) int32_t smul(int32_t a, int32_t b) { return (int32_t)((uint32_t)a * (uint32_t)b); }
static __attribute__((noipa)) int32_t smulhi(int32_t a, int32_t b) { return (int32_t)(((int64_t)a * b) >> 32); }
static __attribute__((noipa)) uint32_t umulhi(uint32_t a, uint32_t b) { return (uint32_t)(((uint64_t)a * b) >> 32); }
static __attribute__((noipa)) int32_t div7(int32_t a) { return a / 7; }      /* magic-number division */
static __attribute__((noipa)) uint32_t udiv10(uint32_t a) { return a / 10; }
static __attribute__((noipa)) int32_t mod16(int32_t a) { return a % 16; }
static __attribute__((noipa)) int32_t div8(int32_t a) { return a / 8; }
static __attribute__((noipa)) int32_t mul_const(int32_t a) { return a * 37 + a * 5 - a * 9; }

static const int32_t vals[] = {
    0, 1, -1, 2, -2, 3, -3, 7, -7, 10, -10, 16, -16, 100, -100, 12345, -12345,
    65535, -65536, 0x7fff, 0x10001, 1000000007, -1000000007, INT_MAX, INT_MIN,
    INT_MAX - 1, INT_MIN + 1, 0x55555555, (int32_t)0xaaaaaaaa, 46341, -46341,
};
#define NV (int)(sizeof vals / sizeof vals[0])

int main(void)
{
    uint32_t h = 0;
    int a = 0, b = 0;
    for (int i = 0; i < NV; i++) {
        a = vals[i];
        for (int j = 0; j < NV; j++) {
            b = vals[j];
            h = h * 33 + (uint32_t)smul(a, b);
            h = h * 33 + (uint32_t)smulhi(a, b);
            h = h * 33 + umulhi((uint32_t)a, (uint32_t)b);
            if (b == 0)
                continue;
            uint32_t ua = (uint32_t)a, ub = (uint32_t)b;
            uint32_t uq = udiv(ua, ub), ur = umod(ua, ub);
            CHECK(uq * ub + ur == ua && ur < ub, 1);
            h = h * 33 + uq;
            h = h * 33 + ur;
            if (a == INT_MIN && b == -1)
                continue;                    /* would trap: see fpe_intmin.c */
            int32_t q = sdiv(a, b), r = smod(a, b);
            CHECK((int32_t)((uint32_t)q * (uint32_t)b + (uint32_t)r) == a, 2);
            CHECK(r == 0 || (r < 0) == (a < 0), 3);         /* remainder has the dividend's sign */
            h = h * 33 + (uint32_t)q;
            h = h * 33 + (uint32_t)r;
        }
        CHECK(div7(a) == sdiv(a, 7), 4);
        CHECK(udiv10((uint32_t)a) == udiv((uint32_t)a, 10), 5);
        CHECK(mod16(a) == smod(a, 16), 6);
        CHECK(div8(a) == sdiv(a, 8), 7);
        h = h * 33 + (uint32_t)mul_const(a);
    }
    a = -7; b = 2;
    printf("-7 / 2 = %d, -7 %% 2 = %d, 7 / -2 = %d, 7 %% -2 = %d\n",
           sdiv(-7, 2), smod(-7, 2), sdiv(7, -2), smod(7, -2));
    printf("INT_MIN / 2 = %d, INT_MIN %% 3 = %d, INT_MIN * -1 = %d, INT_MIN / INT_MIN = %d\n",
           sdiv(INT_MIN, 2), smod(INT_MIN, 3), smul(INT_MIN, -1), sdiv(INT_MIN, INT_MIN));
    printf("0xffffffff / 3 = %u, 0xffffffff %% 10 = %u, mulhi(-1u, -1u) = %08x, smulhi(INT_MIN, INT_MIN) = %08x\n",
           udiv(0xffffffffu, 3), umod(0xffffffffu, 10), umulhi(0xffffffffu, 0xffffffffu),
           (uint32_t)smulhi(INT_MIN, INT_MIN));
    printf("checksum over %d x %d operand pairs: %08x\n", NV, NV, h);
    return 0;
}
