/* lazy_demo.c - memory from malloc costs no frame until it is touched, and
 * only the first touch of each page faults.
 *
 *   toyemu run --count malloc,first_touch,touch_again --report userland/lazy_demo
 *   toyemu run --trace fault userland/lazy_demo
 *
 * A 1 MiB block is over malloc's 128 KiB threshold, so it is its own mmap
 * of 257 pages (the chunk header needs a few bytes more than 1 MiB).  The
 * kernel only records the range: no frame, no page-table entry.  malloc
 * writes the chunk header at the mapping's start, and that store is the
 * first fault.  first_touch then writes one byte on each of the first 16
 * pages: 15 more faults, one per page not yet there.  touch_again reads
 * and writes those 16 pages a thousand times each: no fault at all, the
 * page table (and the TLB) already know them.  (Note 001 says every
 * access to mmap'd memory faults; it is only the first one per page.)
 * The report's maps show the mapping with 16 of its 257 pages resident.
 */
#include <stdio.h>
#include <stdlib.h>

#define PAGE 4096
#define BLOCK (1024 * 1024)
#define PAGES 16
#define ROUNDS 1000

/* One write on each of the first `pages` pages of `p`. */
__attribute__((noinline)) void first_touch(volatile char *p, int pages)
{
    for (int i = 0; i < pages; i++)
        p[i * PAGE] = (char)i;
}

/* Read and write the same pages again, `rounds` times. */
__attribute__((noinline)) unsigned touch_again(volatile char *p, int pages, int rounds)
{
    unsigned sum = 0;
    for (int r = 0; r < rounds; r++)
        for (int i = 0; i < pages; i++) {
            sum += (unsigned char)p[i * PAGE];
            p[i * PAGE + 1] = (char)r;
        }
    return sum;
}

int main(void)
{
    char *p = malloc(BLOCK);
    if (p == NULL) {
        printf("lazy_demo: malloc(1 MiB) failed\n");
        return 1;
    }
    printf("lazy_demo: malloc(1 MiB) returned a block of %d pages; only malloc's header is written\n",
           BLOCK / PAGE);
    first_touch(p, PAGES);
    printf("lazy_demo: first_touch wrote one byte on each of its first %d pages\n", PAGES);
    unsigned sum = touch_again(p, PAGES, ROUNDS);
    printf("lazy_demo: touch_again read and wrote them %d times more (checksum %u)\n", ROUNDS, sum);
    free(p);
    printf("lazy_demo: freed: munmap gives back just the frames that were touched\n");
    return 0;
}
