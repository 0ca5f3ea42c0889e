// mm_conf_exhaust.c - address-space exhaustion: PROT_NONE reservations of 64 MiB, then 1 MiB, then single pages until mmap says ENOMEM; then the break cannot grow, a freed page is the only place left and is found, a freed 64 MiB block takes a 32 MiB mapping at its top, and after unmapping everything the space is usable again.
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <syscall.h>
#include <unistd.h>

#define CHECK(cond, code) do { if (!(cond)) { printf("FAIL line %d: %s\n", __LINE__, #cond); exit(code); } } while (0)
#define PAGE 4096ul
#define MIB (1ul << 20)

static unsigned long addr[20000];
static unsigned long size[20000];
static int n;

/* map PROT_NONE blocks of `len` until ENOMEM; returns how many (not printed: it differs by host) */
static int fill(unsigned long len)
{
    int got = 0;
    for (;;) {
        errno = 0;
        void *p = mmap(NULL, len, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        if (p == MAP_FAILED) {
            CHECK(errno == ENOMEM, 1);
            return got;
        }
        CHECK(n < 20000, 2);
        addr[n] = (unsigned long)p;
        size[n++] = len;
        got++;
    }
}

int main(void)
{
    unsigned long b0 = (unsigned long)syscall(__NR_brk, 0);
    int big = fill(64 * MIB);
    int mid = fill(MIB);
    int small = fill(PAGE);
    printf("filled with 64 MiB, 1 MiB and 4 KiB reservations until ENOMEM: %s\n",
           big > 10 && mid > 0 && small > 0 ? "yes" : "no");
    CHECK(big > 10 && mid > 0 && small > 0, 3);
    errno = 0;
    printf("one more page: %s\n", mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED && errno == ENOMEM ? "ENOMEM" : "mapped?!");
    unsigned long b1 = (unsigned long)syscall(__NR_brk, b0 + PAGE);
    printf("the break cannot grow: %s\n", b1 == b0 ? "yes" : "no");

    /* free one page in the middle of the first 64 MiB block: it is the only room left */
    unsigned long hole = addr[0] + 1000 * PAGE;
    CHECK(munmap((void *)hole, PAGE) == 0, 4);
    errno = 0;
    printf("two pages: %s\n", mmap(NULL, 2 * PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED && errno == ENOMEM ? "ENOMEM" : "mapped?!");
    void *one = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("one page goes into the freed page: %s\n", one == (void *)hole ? "yes" : "no");
    CHECK(one == (void *)hole, 5);
    *(volatile int *)one = 42;

    /* free the second 64 MiB block: a 32 MiB mapping takes its top half */
    CHECK(munmap((void *)addr[1], 64 * MIB) == 0, 6);
    void *half = mmap(NULL, 32 * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("32 MiB in a freed 64 MiB block, at its top: %s\n", half == (void *)(addr[1] + 32 * MIB) ? "yes" : "no");
    void *half2 = mmap(NULL, 32 * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("and another below it: %s\n", half2 == (void *)addr[1] ? "yes" : "no");
    errno = 0;
    printf("then nothing: %s\n", mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0) == MAP_FAILED && errno == ENOMEM ? "ENOMEM" : "mapped?!");
    CHECK(munmap(half, 32 * MIB) == 0 && munmap(half2, 32 * MIB) == 0, 7);
    size[1] = 0;

    /* give everything back; the space is whole again */
    for (int i = 0; i < n; i++)
        if (size[i])
            CHECK(munmap((void *)addr[i], size[i]) == 0, 8);
    void *again = mmap(NULL, 256 * MIB, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    printf("after unmapping all, 256 MiB maps again: %s\n", again != MAP_FAILED ? "yes" : "no");
    b1 = (unsigned long)syscall(__NR_brk, b0 + 16 * PAGE);
    printf("and the break grows: %s\n", b1 == b0 + 16 * PAGE ? "yes" : "no");
    return 0;
}
