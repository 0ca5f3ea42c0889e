/* leak_demo.c - allocate, free some, lose the rest, exit.
 *
 * Shows the two ways malloc gets memory from the kernel: small blocks are
 * carved from the heap, which grows by moving the program break (brk);
 * a block of 128 KiB or more gets its own mmap and goes straight back to
 * the kernel with munmap when freed.  Four blocks are never freed (blocks
 * 0, 2 and 4 and a 900-byte one): they "leak", and yet every page comes
 * back when the process exits.
 *
 * Prints sizes and distances from the initial break only, never raw
 * addresses, so its output is the same on Linux and under toyemu.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define NSMALL 6

static long break_moved(char *initial)
{
    return (char *)sbrk(0) - initial;
}

int main(void)
{
    static const unsigned sizes[NSMALL] = { 24, 100, 1000, 4000, 64, 16384 };
    char *small[NSMALL];
    char *initial = sbrk(0);

    printf("leak_demo: the program break starts at the end of the data.\n");

    for (int i = 0; i < NSMALL; i++) {
        small[i] = malloc(sizes[i]);
        if (!small[i]) {
            printf("malloc(%u) failed\n", sizes[i]);
            return 1;
        }
        memset(small[i], 'a' + i, sizes[i]);
        printf("malloc(%5u) -> block %d; break is now %ld bytes past its start\n",
               sizes[i], i, break_moved(initial));
    }
    printf("the first malloc moved the break by 132 KiB at once; the others fit.\n");

    long before = break_moved(initial);
    size_t big_size = 256 * 1024;
    char *big = malloc(big_size);
    if (!big) {
        printf("malloc(%zu) failed\n", big_size);
        return 2;
    }
    memset(big, 'Z', big_size);
    printf("malloc(%zu) -> a big block; the break moved by %ld bytes: it came from mmap\n",
           big_size, break_moved(initial) - before);
    free(big);
    printf("free(big block): handed straight back to the kernel with munmap\n");

    free(small[1]);
    free(small[3]);
    free(small[5]);
    printf("freed blocks 1, 3 and 5 (%u bytes): they stay in the heap for reuse\n",
           sizes[1] + sizes[3] + sizes[5]);

    char *again = malloc(900);
    printf("malloc(900) -> %s\n",
           again == small[3] ? "reused the place of block 3" : "a new place in the heap");

    unsigned lost = sizes[0] + sizes[2] + sizes[4] + 900;
    printf("exiting with blocks 0, 2, 4 and the 900-byte block still allocated: "
           "%u bytes leak\n", lost);
    printf("the kernel takes every page back anyway.\n");
    return 0;
}
