/* bug_overflow.c - a heap buffer overflow: one int written past the end of
 * a malloc'd array of 6 ints.
 *
 *   toyemu run --memcheck userland/bug_overflow
 *
 * The loop fills a[0]..a[5] correctly; then a[6] = -1 writes the 4 bytes
 * just after the 24-byte block.  memcheck reports
 *
 *   Invalid write of size 4 ... 0 bytes after a block of size 24 alloc'd
 *
 * at the line marked BUG, with the block's malloc at the line marked ALLOC.
 * Natively toyemu's libc and glibc show nothing: both round 24 bytes up,
 * the write lands in the block's unused tail, and the program exits 0.
 * musl keeps a check byte right after the block, and its free() finds it
 * overwritten and crashes (SIGSEGV) - later than the bug, at the free.
 * (The count comes from a volatile, so gcc -O2 neither warns nor removes
 * the write; stdout is flushed before the free so a crash loses nothing.)
 */
#include <stdio.h>
#include <stdlib.h>

static volatile int count = 6;

int main(void)
{
    int n = count;
    int *a = malloc(n * sizeof *a);    /* ALLOC */
    if (!a)
        return 1;
    for (int i = 0; i < n; i++)
        a[i] = i * i;
    printf("bug_overflow: %d ints in a block of %u bytes\n", n, (unsigned)(n * sizeof *a));

    a[n] = -1;                         /* BUG */

    int sum = 0;
    for (int i = 0; i < n; i++)
        sum += a[i];
    printf("bug_overflow: wrote a[%d] (one past the end); the sum of a[0..%d] is %d\n", n, n - 1, sum);
    fflush(stdout);
    free(a);
    printf("bug_overflow: freed the block\n");
    return 0;
}
