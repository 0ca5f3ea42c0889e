/* overcommit_demo.c - malloc(1 GiB) on a machine with 16 MiB of RAM.
 *
 *   toyemu run --mem 16M --report userland/overcommit_demo        works
 *   toyemu run --mem 16M userland/overcommit_demo 64              OOM-killed
 *
 * malloc hands a block this big to mmap, and mmap only records the range:
 * 1 GiB of address space, not one frame.  Frames come one page at a time
 * as the program touches them, so touching 1 MiB (the default) costs 256
 * frames plus a page table, however large the block.  Touching more than
 * the RAM (the argument, in MiB) cannot be taken back: the page fault that
 * finds no free frame has nothing to return to the program, so the OOM
 * killer ends it with SIGKILL (status 137) and Linux's report line, and
 * every frame comes back.  malloc never failed: the promise was made at
 * malloc time and broken at touch time.
 *
 * toyemu accepts any mapping that fits the address space, as Linux does
 * with vm.overcommit_memory=1.  Linux's default heuristic (mode 0) would
 * refuse a single mapping larger than RAM + swap; on the 16 MiB machine
 * malloc(1 GiB) would then return NULL.
 */
#include <stdio.h>
#include <stdlib.h>

#define PAGE 4096
#define MIB (1024 * 1024)
#define BLOCK_MIB 1024

/* Write one byte on each page of the first `mib` MiB of `p`. */
__attribute__((noinline)) void touch(volatile char *p, int mib)
{
    for (int m = 0; m < mib; m++) {
        for (int off = 0; off < MIB; off += PAGE)
            p[(long)m * MIB + off] = 1;
        if ((m + 1) % 4 == 0 && m + 1 < mib)
            printf("overcommit_demo: %d MiB touched\n", m + 1);
    }
}

int main(int argc, char **argv)
{
    int mib = 1;
    if (argc > 1) {
        char *end;
        long n = strtol(argv[1], &end, 10);
        if (*argv[1] == '\0' || *end != '\0' || n < 0 || n > BLOCK_MIB) {
            fprintf(stderr, "usage: overcommit_demo [MIB_TO_TOUCH]  (0 to %d, default 1)\n", BLOCK_MIB);
            return 2;
        }
        mib = (int)n;
    }
    char *p = malloc((size_t)BLOCK_MIB * MIB);
    if (p == NULL) {
        printf("overcommit_demo: malloc(1 GiB) failed\n");
        return 1;
    }
    printf("overcommit_demo: malloc(1 GiB) succeeded: 1 GiB of address space, no memory behind it yet\n");
    touch(p, mib);
    printf("overcommit_demo: touched %d MiB of it (%d pages): only those took frames\n",
           mib, mib * (MIB / PAGE));
    /* Not freed: the report is taken just before teardown, so it shows the
     * 1 GiB mapping with its few resident pages; exit gives them back. */
    return 0;
}
