// mm_mmap_sparse.c - lazily mapped memory: a 256 MiB anonymous mapping touched once per MiB, MAP_FIXED over part of a mapping, a munmap hole with both sides still usable, mprotect to read-only and back, hints, top-down placement.
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

#define CHECK(cond, code) do { if (!(cond)) { printf("FAIL line %d: %s\n", __LINE__, #cond); exit(code); } } while (0)
#define PAGE 4096u
#define MIB (1u << 20)
#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

int main(void)
{
    /* 256 MiB, far more than the pages we will touch */
    uint32_t len = 256 * MIB;
    volatile uint8_t *big = mmap(NULL, len, RW, ANON, -1, 0);
    CHECK(big != MAP_FAILED, 1);
    uint32_t sum = 0;
    for (uint32_t off = 0; off < len; off += MIB) {
        CHECK(big[off + (off >> 20) * 8] == 0, 2);
        big[off + (off >> 20) * 8] = (uint8_t)((off >> 20) * 3 + 1);
    }
    for (uint32_t off = 0; off < len; off += MIB)
        sum += big[off + (off >> 20) * 8];
    CHECK(big[len - 1] == 0, 3);
    printf("256 MiB mapping, touched 256 pages: checksum %u\n", sum);
    CHECK(munmap((void *)big, len) == 0, 4);

    /* MAP_FIXED over the middle of a mapping replaces those pages with zero pages */
    uint8_t *m = mmap(NULL, 10 * PAGE, RW, ANON, -1, 0);
    CHECK(m != MAP_FAILED, 5);
    memset(m, 0xaa, 10 * PAGE);
    uint8_t *f = mmap(m + 3 * PAGE, 2 * PAGE, RW, ANON | MAP_FIXED, -1, 0);
    CHECK(f == m + 3 * PAGE, 6);
    int zeros = 0, aas = 0;
    for (uint32_t i = 0; i < 10 * PAGE; i++) {
        zeros += m[i] == 0;
        aas += m[i] == 0xaa;
    }
    printf("MAP_FIXED over pages 3-4 of 10: %d zero bytes, %d old bytes\n", zeros, aas);
    CHECK(zeros == 2 * PAGE && aas == 8 * PAGE, 7);

    /* a hole in the middle; both sides keep working */
    CHECK(munmap(m + 5 * PAGE, 2 * PAGE) == 0, 8);
    m[4 * PAGE + PAGE - 1] = 1;
    m[7 * PAGE] = 2;
    CHECK(m[4 * PAGE + PAGE - 1] == 1 && m[7 * PAGE] == 2 && m[9 * PAGE + 5] == 0xaa, 9);
    uint8_t *hole = mmap(m + 5 * PAGE, 2 * PAGE, PROT_READ, ANON | MAP_FIXED_NOREPLACE, -1, 0);
    CHECK(hole == m + 5 * PAGE && hole[0] == 0 && hole[PAGE] == 0, 10);
    printf("hole refilled read-only with MAP_FIXED_NOREPLACE: %s\n", hole == m + 5 * PAGE ? "yes" : "no");

    /* read-only, then writable again; contents survive */
    CHECK(mprotect(m, 3 * PAGE, PROT_READ) == 0, 11);
    CHECK(m[PAGE] == 0xaa, 12);
    CHECK(mprotect(m, 3 * PAGE, RW) == 0, 13);
    m[PAGE] = 0x55;
    CHECK(m[PAGE] == 0x55 && m[0] == 0xaa, 14);
    CHECK(munmap(m, 10 * PAGE) == 0, 15);

    /* the kernel hands out fresh mappings top-down, each below the last */
    uint8_t *a = mmap(NULL, PAGE, RW, ANON, -1, 0);
    uint8_t *b = mmap(NULL, 3 * PAGE, RW, ANON, -1, 0);
    uint8_t *c = mmap(NULL, PAGE, RW, ANON, -1, 0);
    printf("three mappings: b directly below a %s, c directly below b %s\n",
           b + 3 * PAGE == a ? "yes" : "no", c + PAGE == b ? "yes" : "no");
    CHECK(munmap(b, 3 * PAGE) == 0, 16);
    uint8_t *d = mmap(NULL, 2 * PAGE, RW, ANON, -1, 0);
    printf("a 2-page mapping after unmapping b lands in b's old place: %s\n",
           d == b + PAGE ? "yes (at the top of the gap)" : d == b ? "yes (at the bottom)" : "no");

    /* a hint where nothing is mapped is honoured */
    uint8_t *want = (uint8_t *)0x30000000;
    uint8_t *hinted = mmap(want, 2 * PAGE, RW, ANON, -1, 0);
    printf("hint 0x30000000 honoured: %s\n", hinted == want ? "yes" : "no");
    uint8_t *again = mmap(want, PAGE, RW, ANON, -1, 0);
    printf("the same hint again: %s\n", again == want ? "same address?!" : "placed elsewhere");
    CHECK(hinted == want && again != want, 17);
    hinted[PAGE + 1] = 9;
    CHECK(hinted[PAGE + 1] == 9 && hinted[0] == 0, 18);
    munmap(a, PAGE);
    munmap(c, PAGE);
    munmap(d, 2 * PAGE);
    munmap(hinted, 2 * PAGE);
    munmap(again, PAGE);
    return 0;
}
