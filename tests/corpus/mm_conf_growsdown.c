// mm_conf_growsdown.c - MAP_GROWSDOWN makes a mapping that grows like a stack: touching pages below it extends it (they read as zero), PROT_GROWSDOWN applies to it, a hint inside its guard gap is moved elsewhere, and a PROT_NONE mapping in the gap does not stop it.
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <syscall.h>

#define CHECK(cond, code) do { if (!(cond)) { printf("FAIL line %d: %s\n", __LINE__, #cond); exit(code); } } while (0)
#define PAGE 4096ul
#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)
#define PROT_GROWSDOWN 0x01000000

int main(void)
{
    unsigned long g = 0x30000000;
    CHECK(mmap((void *)g, 4 * PAGE, RW, ANON | MAP_FIXED | MAP_GROWSDOWN, -1, 0) == (void *)g, 1);
    *(volatile uint32_t *)(g + PAGE) = 7;
    uint32_t sum = 0;
    for (unsigned long a = g - PAGE; a >= g - 64 * PAGE; a -= PAGE) {
        CHECK(*(volatile uint32_t *)a == 0, 2);
        *(volatile uint32_t *)a = (uint32_t)((g - a) >> 12);
        sum += *(volatile uint32_t *)a;
    }
    printf("touched 64 pages below a 4-page MAP_GROWSDOWN mapping: checksum %u\n", sum);
    printf("mprotect with PROT_GROWSDOWN on it: %s\n",
           syscall(__NR_mprotect, g + 2 * PAGE, PAGE, RW | PROT_GROWSDOWN) == 0 ? "ok" : "refused");
    printf("munmap of the grown part and the rest: %s\n", munmap((void *)(g - 64 * PAGE), 68 * PAGE) == 0 ? "ok" : "refused");

    /* a PROT_NONE page inside the guard gap below does not stop the growth */
    unsigned long h = 0x31000000;
    CHECK(mmap((void *)h, PAGE, RW, ANON | MAP_FIXED | MAP_GROWSDOWN, -1, 0) == (void *)h, 3);
    CHECK(mmap((void *)(h - 40 * PAGE), PAGE, PROT_NONE, ANON | MAP_FIXED, -1, 0) == (void *)(h - 40 * PAGE), 4);
    for (unsigned long a = h - PAGE; a >= h - 30 * PAGE; a -= PAGE)
        *(volatile char *)a = 1;
    printf("grew to 10 pages from a PROT_NONE page: yes\n");
    void *hint = mmap((void *)(h - 35 * PAGE), PAGE, RW, ANON, -1, 0);
    printf("a hint between them (in the gap): %s\n", hint == (void *)(h - 35 * PAGE) ? "honoured" : "placed elsewhere");
    return 0;
}
