// mm_stack_grow.c - the stack grows on demand: recursion 4 MiB deep and a 2 MiB local array both work (below the 8 MiB limit), and the touched stack reads back correctly.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond, code) do { if (!(cond)) { printf("FAIL line %d: %s\n", __LINE__, #cond); exit(code); } } while (0)

static __attribute__((noinline)) uint32_t deep(int n)
{
    volatile uint8_t frame[1000];
    for (int i = 0; i < 1000; i += 250)
        frame[i] = (uint8_t)(n + i);
    if (n == 0)
        return 0;
    uint32_t below = deep(n - 1);
    uint32_t mine = 0;
    for (int i = 0; i < 1000; i += 250)
        mine += frame[i];
    return below * 3 + mine;
}

static __attribute__((noinline)) uint32_t big_local(void)
{
    volatile uint8_t arr[2 << 20];
    for (uint32_t i = 0; i < sizeof arr; i += 4096)
        arr[i] = (uint8_t)(i >> 12);
    uint32_t s = 0;
    for (uint32_t i = 0; i < sizeof arr; i += 4096)
        s += arr[i];
    return s;
}

int main(void)
{
    uint32_t r = deep(4000);                    /* about 4 MiB of frames */
    printf("4000 frames of 1 KB: checksum %08x\n", r);
    uint32_t s = big_local();
    printf("2 MiB local array touched page by page: sum %u\n", s);
    CHECK(s == 2 * (255 * 256 / 2), 1);               /* page numbers 0..511, as bytes */
    uint32_t r2 = deep(4000);
    CHECK(r == r2, 2);
    printf("second descent agrees: yes\n");
    return 0;
}
