// mm_conf_munmap.c - munmap edges: holes punched in the middle and at both ends, one call spanning several mappings and the gaps between them, partial lengths rounded up to whole pages, unmapping nothing, pieces of the heap and of .bss, a hole refilled with zero pages, and the EINVAL cases.
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <syscall.h>
#include <unistd.h>

#define CHECK(cond, code) do { if (!(cond)) { printf("FAIL line %d: %s\n", __LINE__, #cond); exit(code); } } while (0)
#define PAGE 4096ul
#define RW (PROT_READ | PROT_WRITE)
#define ANON (MAP_PRIVATE | MAP_ANONYMOUS)

static long raw(long nr, long a, long b, long c, long d, long e, long f) { return __syscall6(nr, a, b, c, d, e, f); }
static const char *err(long r)
{
    if ((unsigned long)r <= -4096ul) return "ok";
    return r == -EINVAL ? "EINVAL" : r == -ENOMEM ? "ENOMEM" : r == -EFAULT ? "EFAULT" : "other";
}
/* old_mmap reads six words at p: EFAULT if the kernel cannot read there */
static int readable(unsigned long p) { return raw(90, (long)p, 0, 0, 0, 0, 0) != -EFAULT; }

static uint8_t bss_block[16 * 4096] __attribute__((aligned(4096)));

static void picture(const char *what, unsigned long m, int pages)
{
    char line[64];
    for (int i = 0; i < pages; i++) {
        unsigned long p = m + i * PAGE;
        if (!readable(p + 64)) { line[i] = '-'; continue; }
        uint8_t c = *(volatile uint8_t *)(p + 8);
        line[i] = c == 0 ? '0' : (char)c;
    }
    line[pages] = 0;
    printf("%-50s [%s]\n", what, line);
}

static unsigned long filled(int pages)
{
    unsigned long m = (unsigned long)mmap(NULL, pages * PAGE, RW, ANON, -1, 0);
    CHECK(m != (unsigned long)MAP_FAILED, 1);
    for (int i = 0; i < pages; i++)
        memset((void *)(m + i * PAGE + 8), 'A' + i, 56);
    return m;
}

int main(void)
{
    unsigned long m = filled(16);
    picture("16 pages", m, 16);
    CHECK(munmap((void *)(m + 7 * PAGE), 2 * PAGE) == 0, 2);
    picture("a hole in the middle", m, 16);
    CHECK(munmap((void *)m, PAGE) == 0 && munmap((void *)(m + 15 * PAGE), PAGE) == 0, 3);
    picture("and both ends", m, 16);
    CHECK(munmap((void *)(m + 3 * PAGE), 1) == 0, 4);
    picture("length 1 takes the whole page", m, 16);
    CHECK(munmap((void *)(m + 4 * PAGE), PAGE + 1) == 0, 5);
    picture("length 4097 takes two pages", m, 16);
    CHECK(munmap((void *)(m + 7 * PAGE), 2 * PAGE) == 0, 6);
    picture("unmapping the hole again (nothing there)", m, 16);
    CHECK(munmap((void *)(m + 2 * PAGE), 12 * PAGE) == 0, 7);
    picture("one call across pieces and gaps", m, 16);
    CHECK(munmap((void *)m, 16 * PAGE) == 0, 8);
    picture("all of it", m, 16);

    /* several separate mappings in one call, neighbours untouched */
    unsigned long a = filled(3), b = filled(3), c = filled(3);
    unsigned long lo = c < a ? c : a, hi = c < a ? a : c;
    printf("three mappings in a row: %s\n", (b == lo + 3 * PAGE && hi == b + 3 * PAGE) ? "yes" : "no");
    CHECK(munmap((void *)(lo + 2 * PAGE), 5 * PAGE) == 0, 9);
    picture("munmap from the middle of one to the middle of another", lo, 9);
    long re = (long)mmap((void *)(lo + 2 * PAGE), 5 * PAGE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0);
    CHECK(re == (long)(lo + 2 * PAGE), 10);
    picture("the gap refilled: zero pages", lo, 9);
    CHECK(munmap((void *)lo, 9 * PAGE) == 0, 11);

    /* pieces of the heap and of .bss */
    unsigned long b0 = (unsigned long)sbrk(0);
    CHECK(sbrk(8 * PAGE) == (void *)b0, 12);
    memset((void *)b0, 'h', 8 * PAGE);
    CHECK(munmap((void *)(b0 + 2 * PAGE), 2 * PAGE) == 0, 13);
    picture("the heap with a hole", b0, 8);
    unsigned long bss = (unsigned long)bss_block;
    for (int i = 0; i < 16; i++)
        bss_block[i * PAGE + 8] = (uint8_t)('a' + i);
    CHECK(munmap((void *)(bss + 4 * PAGE), 3 * PAGE) == 0, 14);
    picture(".bss with a hole", bss, 16);
    CHECK(mmap((void *)(bss + 4 * PAGE), 3 * PAGE, RW, ANON | MAP_FIXED, -1, 0) == (void *)(bss + 4 * PAGE), 15);
    picture(".bss hole refilled", bss, 16);

    /* the errors */
    printf("unaligned address:               %s\n", err(raw(__NR_munmap, (long)(b0 + 1), PAGE, 0, 0, 0, 0)));
    printf("length 0:                        %s\n", err(raw(__NR_munmap, (long)b0, 0, 0, 0, 0, 0)));
    printf("length 0 at an unaligned address: %s\n", err(raw(__NR_munmap, (long)(b0 + 1), 0, 0, 0, 0, 0)));
    printf("nothing mapped, 1 GiB:           %s\n", err(raw(__NR_munmap, 0x30000000, 0x10000000, 0, 0, 0, 0)));
    printf("wrapping past 4 GiB:             %s\n", err(raw(__NR_munmap, 0xfffff000, 2 * PAGE, 0, 0, 0, 0)));
    printf("length -1:                       %s\n", err(raw(__NR_munmap, 0x30000000, -1, 0, 0, 0, 0)));
    return 0;
}
