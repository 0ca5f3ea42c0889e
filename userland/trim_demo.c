/* trim_demo.c - free() lowers the program break, but only from the top.
 *
 *   toyemu run --trace=syscall userland/trim_demo
 *
 * 200 blocks of 1 KiB, each below the mmap threshold, all come from the
 * heap: the break goes up past the first 132 KiB step.  Freeing all of
 * them but the last leaves one big free chunk, and the break does not
 * move: the last block sits between that chunk and the top, so nothing
 * at the top is free.  Freeing the last one merges everything into the
 * top chunk; it is now more than 128 KiB (M_TRIM_THRESHOLD), so free()
 * calls sbrk with a negative size and keeps 128 KiB (M_TOP_PAD).  The
 * trace shows that brk going down.
 *
 * Prints distances from the initial break only, never addresses, so the
 * output is the same natively and under toyemu.
 */
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#define N 200
#define SIZE 1024

static char *initial;

static long up(void)
{
    return (char *)sbrk(0) - initial;
}

int main(void)
{
    static char *blocks[N];
    initial = sbrk(0);
    for (int i = 0; i < N; i++)
        blocks[i] = malloc(SIZE);
    printf("trim_demo: %d blocks of %d bytes: the break is %ld bytes above where it started\n", N,
           SIZE, up());
    for (int i = 0; i < N - 1; i++)
        free(blocks[i]);
    printf("freed all but the last: the break is still %ld bytes up (the last block pins the top)\n",
           up());
    long before = up();
    free(blocks[N - 1]);
    printf("freed the last: the break came down by %ld bytes; %ld stay above the start "
           "(free keeps 128 KiB of top)\n", before - up(), up());
    return 0;
}
