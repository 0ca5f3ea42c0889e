/* bug_underflow.c - a heap buffer underflow: one byte written just in front
 * of a malloc'd block, where the allocator keeps its header.
 *
 *   toyemu run --memcheck userland/bug_underflow
 *
 * The program wants a length byte in front of a string ("Pascal style")
 * but puts it at s[-1], before the start of the 16-byte block.  memcheck
 * reports
 *
 *   Invalid write of size 1 ... 1 bytes before a block of size 16 alloc'd
 *
 * at the line marked BUG (the block's malloc is marked ALLOC).  Natively
 * the write itself goes unnoticed, but the byte is part of the allocator's
 * header, and free() is where it shows, far from the bug: toyemu's libc
 * finds its magic number damaged, prints "free(): invalid pointer" and
 * aborts (status 134); glibc sees a chunk size that cannot be, prints
 * "double free or corruption (out)" and aborts; musl crashes (SIGSEGV).
 * (The offset comes from a volatile, so gcc -O2 neither warns nor removes
 * the write; stdout is flushed before the free so a crash loses nothing.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static volatile int front = -1;

int main(void)
{
    char *s = malloc(16);              /* ALLOC */
    if (!s)
        return 1;
    strcpy(s, "hello, world");
    printf("bug_underflow: \"%s\" in a block of 16 bytes\n", s);

    s[front] = (char)strlen(s);        /* BUG */

    printf("bug_underflow: stored its length, %d, in front of it\n", (int)strlen(s));
    fflush(stdout);
    free(s);
    printf("bug_underflow: freed the block\n");
    return 0;
}
