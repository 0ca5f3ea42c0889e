/* oom_demo.c - use memory until the machine has none left.
 *
 * Every step takes 256 KiB from malloc (so from mmap: blocks of 128 KiB or
 * more get their own mapping) plus 16 KiB of small blocks (so from the heap,
 * grown with brk), and writes to every page of them: only touched pages
 * cost frames.  Under `toyemu run --mem 4M userland/oom_demo` the frames run
 * out after a few steps and the process is killed with SIGKILL (status 137),
 * the kernel saying what it held in the words of Linux's OOM killer; every
 * frame comes back all the same.
 *
 * To be safe natively it stops by itself after LIMIT MiB (argument 1,
 * default 64) and exits 0.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define STEP (256u << 10)
#define SMALL 1024u

int main(int argc, char **argv)
{
    unsigned long limit = (argc > 1 ? strtoul(argv[1], NULL, 10) : 64) << 20;
    unsigned long used = 0;
    for (unsigned step = 1; used < limit; step++) {
        char *big = malloc(STEP);
        if (!big) {
            printf("oom_demo: malloc failed after %lu KiB\n", used >> 10);
            return 1;
        }
        memset(big, (int)step, STEP);
        for (int i = 0; i < 16; i++) {
            char *s = malloc(SMALL);
            if (!s) {
                printf("oom_demo: malloc failed after %lu KiB\n", used >> 10);
                return 1;
            }
            memset(s, (int)step, SMALL);
        }
        used += STEP + 16 * SMALL;
        printf("oom_demo: step %u, %lu KiB touched\n", step, used >> 10);
        fflush(stdout);
    }
    printf("oom_demo: reached the limit of %lu MiB without running out\n", limit >> 20);
    return 0;
}
