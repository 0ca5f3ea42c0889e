// mm_conf_brk.c - brk edges as Linux has them: shrinking frees whole pages and regrowing gives zeroed pages, a no-op inside the same page, refusing to shrink over a heap the program unmapped itself, shrinking removes a mapping placed inside the heap, growing stops a page short of any mapping (PROT_NONE too), an mprotected heap piece does not stop growth, and every refusal returns the old break.
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

static unsigned long b0;

static unsigned long raw_brk(unsigned long a) { return (unsigned long)syscall(__NR_brk, a); }
static long raw(long nr, long a, long b, long c, long d, long e, long f) { return __syscall6(nr, a, b, c, d, e, f); }

/* Can the kernel write 390 bytes at p?  uname copies its struct there or fails with EFAULT. */
static int writable(unsigned long p) { return raw(__NR_uname, (long)p, 0, 0, 0, 0, 0) == 0; }

static void show(const char *what, unsigned long asked)
{
    unsigned long got = raw_brk(asked);
    printf("%-44s -> %s, break = start%+ld\n", what, got == asked ? "moved  " : "refused", (long)(got - b0));
}

int main(void)
{
    b0 = raw_brk(0);
    CHECK(b0 % PAGE == 0, 1);

    /* grow, fill, shrink to the middle of a page, regrow: the whole pages come back as zeroes */
    show("grow by 8 pages", b0 + 8 * PAGE);
    memset((void *)b0, 0x5a, 8 * PAGE);
    show("shrink to 2 pages + 10 bytes", b0 + 2 * PAGE + 10);
    show("same page, a few bytes up", b0 + 2 * PAGE + 4000);
    show("same page, down again", b0 + 2 * PAGE + 1);
    show("regrow to 8 pages", b0 + 8 * PAGE);
    volatile uint8_t *h = (volatile uint8_t *)b0;
    int kept = 0, zero = 0;
    for (unsigned long i = 0; i < 8 * PAGE; i++) {
        kept += h[i] == 0x5a;
        zero += h[i] == 0;
    }
    printf("after shrink and regrow: %d bytes kept (3 pages), %d zero (5 pages)\n", kept, zero);
    CHECK(kept == 3 * PAGE && zero == 5 * PAGE, 2);

    /* the program unmaps the top of its own heap: shrinking over nothing is refused */
    CHECK(munmap((void *)(b0 + 4 * PAGE), 4 * PAGE) == 0, 3);
    show("shrink to 6 pages, over the unmapped part", b0 + 6 * PAGE);
    show("shrink to 3 pages, reaching mapped heap", b0 + 3 * PAGE);
    show("grow back to 8 pages", b0 + 8 * PAGE);
    CHECK(h[7 * PAGE] == 0 && writable(b0 + 7 * PAGE), 4);

    /* a mapping placed inside the heap with MAP_FIXED is removed by a shrink below it */
    void *in = mmap((void *)(b0 + 6 * PAGE), PAGE, PROT_READ, ANON | MAP_FIXED, -1, 0);
    CHECK(in == (void *)(b0 + 6 * PAGE), 5);
    show("shrink to 5 pages (under the mapping)", b0 + 5 * PAGE);
    errno = 0;
    CHECK(mmap((void *)(b0 + 6 * PAGE), PAGE, RW, ANON | MAP_FIXED_NOREPLACE, -1, 0) == (void *)(b0 + 6 * PAGE), 6);
    printf("the mapping inside the heap went with the shrink: yes\n");
    CHECK(munmap((void *)(b0 + 6 * PAGE), PAGE) == 0, 7);

    /* growth stops a page short of any mapping, even a PROT_NONE reservation */
    void *none = mmap((void *)(b0 + 12 * PAGE), 2 * PAGE, PROT_NONE, ANON | MAP_FIXED, -1, 0);
    CHECK(none == (void *)(b0 + 12 * PAGE), 8);
    show("grow to 11 pages (a page short of it)", b0 + 11 * PAGE);
    show("grow to 11 pages + 1 byte", b0 + 11 * PAGE + 1);
    show("grow to 12 pages (touching it)", b0 + 12 * PAGE);
    show("grow past it", b0 + 20 * PAGE);
    CHECK(munmap(none, 2 * PAGE) == 0, 9);
    show("grow past where it was", b0 + 20 * PAGE);

    /* a read-only piece in the middle of the heap does not stop the break */
    CHECK(mprotect((void *)(b0 + 2 * PAGE), 2 * PAGE, PROT_READ) == 0, 10);
    printf("heap page 2 writable after mprotect(PROT_READ): %s\n", writable(b0 + 2 * PAGE) ? "yes" : "no");
    show("grow to 24 pages around the read-only piece", b0 + 24 * PAGE);
    printf("the new top page is writable: %s\n", writable(b0 + 23 * PAGE) ? "yes" : "no");
    show("shrink to 3 pages, cutting the read-only piece", b0 + 3 * PAGE);
    printf("page 2 still read-only: %s\n", writable(b0 + 2 * PAGE) ? "no" : "yes");
    show("grow to 4 pages", b0 + 4 * PAGE);
    printf("page 3 (new) writable: %s, zero: %s\n", writable(b0 + 3 * PAGE) ? "yes" : "no",
           h[3 * PAGE + 400] == 0 ? "yes" : "no");

    /* refusals return the old break, untouched */
    show("below the start", b0 - 1);
    show("0", 0);
    show("back to the start", b0);
    show("start again (no change)", b0);
    return 0;
}
