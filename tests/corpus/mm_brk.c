// mm_brk.c - raw brk syscall semantics: brk(0), unaligned breaks, grow/touch/shrink/regrow (fresh zero pages, the partial page kept), refusals (below the start, kernel space, a one-page gap before a mapping) and the glibc-style brk()/sbrk() wrappers.
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <syscall.h>
#include <unistd.h>

#define CHECK(cond, code) do { if (!(cond)) { printf("FAIL line %d: %s\n", __LINE__, #cond); exit(code); } } while (0)
#define PAGE 4096ul

static unsigned long b0;

static unsigned long raw_brk(unsigned long a) { return (unsigned long)syscall(__NR_brk, a); }

static void show(const char *what, unsigned long asked)
{
    unsigned long got = raw_brk(asked);
    printf("brk(%-22s) -> %s, break = start%+ld\n", what, got == asked ? "moved  " : "refused",
           (long)(got - b0));
}

int main(void)
{
    b0 = raw_brk(0);
    CHECK(b0 % PAGE == 0, 1);
    CHECK(raw_brk(0) == b0, 2);
    extern char end[];                                  /* the linker's end of .bss */
    printf("initial break is the end of .bss rounded up to a page: %s\n",
           b0 == (((unsigned long)end + PAGE - 1) & ~(PAGE - 1)) ? "yes" : "no");

    show("start + 1", b0 + 1);
    CHECK(raw_brk(0) == b0 + 1, 3);
    show("start + 1 MiB", b0 + (1ul << 20));
    volatile uint8_t *heap = (volatile uint8_t *)b0;
    uint32_t sum = 0;
    for (unsigned long off = 0; off < (1ul << 20); off += 65536) {
        CHECK(heap[off] == 0, 4);                       /* new heap reads as zero */
        heap[off] = (uint8_t)(off >> 16) + 1;
        sum += heap[off];
    }
    heap[200] = 0x77;
    printf("touched 16 pages of the new heap, checksum %u\n", sum);

    show("start + 100", b0 + 100);                     /* the first page stays mapped */
    show("start + 1 MiB", b0 + (1ul << 20));
    sum = 0;
    for (unsigned long off = 0; off < (1ul << 20); off += 65536)
        sum += heap[off];
    printf("after shrink and regrow: checksum %u, byte 200 of the kept page is %#x\n", sum, heap[200]);
    CHECK(sum == 1 && heap[200] == 0x77, 5);

    show("start - 4096", b0 - PAGE);
    show("1", 1);
    show("0xffff0000", 0xffff0000ul);
    show("0xfffff000", 0xfffff000ul);

    /* a mapping 4 MiB above the heap: brk may come up to one page short of it */
    unsigned long m = b0 + (4ul << 20);
    void *map = mmap((void *)m, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    CHECK(map == (void *)m, 6);
    show("mapping - 2 pages", m - 2 * PAGE);
    show("mapping - 1 page", m - PAGE);
    show("mapping - 1 page + 1", m - PAGE + 1);
    show("mapping", m);
    show("mapping + 8 pages", m + 8 * PAGE);
    munmap(map, 4 * PAGE);
    show("mapping + 8 pages", m + 8 * PAGE);
    show("start", b0);

    /* the C wrappers */
    errno = 0;
    CHECK(brk((void *)(b0 + PAGE)) == 0 && raw_brk(0) == b0 + PAGE, 7);
    CHECK(brk((void *)0xffff0000) == -1 && errno == ENOMEM && raw_brk(0) == b0 + PAGE, 8);
    char *old = sbrk(PAGE);
    CHECK(old == (char *)(b0 + PAGE) && raw_brk(0) == b0 + 2 * PAGE, 9);
    CHECK(sbrk(0) == (void *)(b0 + 2 * PAGE), 10);
    old = sbrk(-(intptr_t)(2 * PAGE));
    CHECK(old == (char *)(b0 + 2 * PAGE) && raw_brk(0) == b0, 11);
    errno = 0;
    CHECK(sbrk(-(intptr_t)PAGE) == (void *)-1 && errno == ENOMEM, 12);
    printf("brk()/sbrk() wrappers agree\n");
    return 0;
}
