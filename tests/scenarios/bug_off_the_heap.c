// bug_off_the_heap.c - a 4-byte read that starts in the heap's last two
// bytes and runs off its end into nothing: an invalid read for memcheck
// *and* a segfault. Under `toyemu debug --memcheck` the memcheck stop
// comes first; going on runs the read, which faults: a signal stop, and
// the program dies of SIGSEGV as it does without memcheck.
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

int main(void)
{
    char *block = malloc(16);
    char *end = sbrk(0);
    printf("block %p, the break at %p\n", (void *)block, (void *)end);
    fflush(stdout);
    volatile int *last = (volatile int *)(end - 2);
    int x = *last;                                /* BUG */
    printf("read %d past the break\n", x);
    return 0;
}
