// narrow_arith.c - 8- and 16-bit arithmetic through char/short casts: wraparound, sign/zero extension (movsx/movzx), 16-bit ops, narrow shifts, mul and div.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond, code) do { if (!(cond)) { printf("FAIL line %d: %s\n", __LINE__, #cond); exit(code); } } while (0)

static __attribute__((noipa)) int8_t add8(int8_t a, int8_t b) { return (int8_t)(a + b); }
static __attribute__((noipa)) uint8_t sub8(uint8_t a, uint8_t b) { return (uint8_t)(a - b); }
static __attribute__((noipa)) int8_t mul8(int8_t a, int8_t b) { return (int8_t)(a * b); }
static __attribute__((noipa)) int16_t add16(int16_t a, int16_t b) { return (int16_t)(a + b); }
static __attribute__((noipa)) uint16_t mul16(uint16_t a, uint16_t b) { return (uint16_t)(a * b); }
static __attribute__((noipa)) int16_t div16(int16_t a, int16_t b) { return (int16_t)(a / b); }
static __attribute__((noipa)) uint8_t div8u(uint8_t a, uint8_t b) { return (uint8_t)(a / b); }
static __attribute__((noipa)) int8_t mod8(int8_t a, int8_t b) { return (int8_t)(a % b); }
static __attribute__((noipa)) int32_t sext8(uint32_t x) { return (int8_t)x; }
static __attribute__((noipa)) int32_t sext16(uint32_t x) { return (int16_t)x; }
static __attribute__((noipa)) uint32_t zext8(int32_t x) { return (uint8_t)x; }
static __attribute__((noipa)) uint32_t zext16(int32_t x) { return (uint16_t)x; }
static __attribute__((noipa)) int16_t sar16(int16_t x, int n) { return (int16_t)(x >> n); }
static __attribute__((noipa)) uint16_t shr16(uint16_t x, int n) { return (uint16_t)(x >> n); }
static __attribute__((noipa)) int8_t sar8(int8_t x, int n) { return (int8_t)(x >> n); }
static __attribute__((noipa)) uint8_t shl8(uint8_t x, int n) { return (uint8_t)(x << n); }
static __attribute__((noipa)) int cmp8(int8_t a, int8_t b) { return (a < b) * 4 + (a == b) * 2 + ((uint8_t)a < (uint8_t)b); }
static __attribute__((noipa)) int cmp16(int16_t a, int16_t b) { return (a < b) * 4 + (a == b) * 2 + ((uint16_t)a < (uint16_t)b); }

struct packed {
    uint8_t a;
    int8_t b;
    uint16_t c;
    int16_t d;
};

int main(void)
{
    CHECK(add8(127, 1) == -128, 1);
    CHECK(add8(-128, -1) == 127, 2);
    CHECK(sub8(0, 1) == 255, 3);
    CHECK(mul8(16, 16) == 0 && mul8(-3, 50) == 106, 4);
    CHECK(add16(32767, 1) == -32768, 5);
    CHECK(mul16(300, 300) == (uint16_t)90000, 6);
    CHECK(div16(-32768, 3) == -10922 && div16(-7, 2) == -3, 7);
    CHECK(div8u(255, 16) == 15 && mod8(-100, 7) == -2, 8);
    CHECK(sext8(0x80) == -128 && sext8(0x1234567f) == 127, 9);
    CHECK(sext16(0x8000) == -32768 && sext16(0xffff7fff) == 32767, 10);
    CHECK(zext8(-1) == 255 && zext16(-1) == 65535, 11);
    CHECK(sar16(-32768, 15) == -1 && shr16(0x8000, 15) == 1, 12);
    CHECK(sar8(-128, 7) == -1 && shl8(0x81, 1) == 2, 13);

    uint32_t h = 0;
    for (int i = -128; i < 128; i++)
        for (int j = -128; j < 128; j += 3) {
            int8_t a = (int8_t)i, b = (int8_t)j;
            h = h * 31 + (uint8_t)add8(a, b);
            h = h * 31 + sub8((uint8_t)a, (uint8_t)b);
            h = h * 31 + (uint8_t)mul8(a, b);
            h = h * 31 + (uint32_t)cmp8(a, b);
            if (b != 0 && !(a == -128 && b == -1))
                h = h * 31 + (uint8_t)mod8(a, b);
            if (b != 0)
                h = h * 31 + div8u((uint8_t)a, (uint8_t)b);
        }
    printf("8-bit table checksum %08x\n", h);

    h = 0;
    for (int32_t i = -32768; i < 32768; i += 97)
        for (int32_t j = -32768; j < 32768; j += 1013) {
            int16_t a = (int16_t)i, b = (int16_t)j;
            h = h * 31 + (uint16_t)add16(a, b);
            h = h * 31 + mul16((uint16_t)a, (uint16_t)b);
            h = h * 31 + (uint32_t)cmp16(a, b);
            if (b != 0 && !(a == -32768 && b == -1))
                h = h * 31 + (uint16_t)div16(a, b);
            h = h * 31 + (uint16_t)sar16(a, (j >> 4) & 15) + shr16((uint16_t)b, i & 15);
        }
    printf("16-bit table checksum %08x\n", h);

    static struct packed arr[64];
    for (int i = 0; i < 64; i++) {
        arr[i].a = (uint8_t)(i * 37);
        arr[i].b = (int8_t)(i * 37);
        arr[i].c = (uint16_t)(i * 4099);
        arr[i].d = (int16_t)(i * 4099);
    }
    int32_t sum = 0;
    for (int i = 0; i < 64; i++)
        sum += arr[i].a + arr[i].b + arr[i].c + arr[i].d;
    printf("mixed-width struct sum %d\n", sum);
    uint8_t counter = 250;
    int wraps = 0;
    for (int i = 0; i < 1000; i++)
        if (++counter == 0)
            wraps++;
    printf("uint8_t counter wrapped %d times, ends at %u\n", wraps, counter);
    CHECK(wraps == 4 && counter == 226, 14);
    return 0;
}
