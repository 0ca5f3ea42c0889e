/* bug_invalid_free.c - free() of a pointer into the middle of a block.
 *
 *   toyemu run --memcheck userland/bug_invalid_free
 *
 * The line read into the 32-byte block `line` starts with four blanks;
 * the program skips them by moving a second pointer, `word`, forward, and
 * then frees `word` instead of `line`: a pointer 4 bytes past the start of
 * the block.  memcheck reports
 *
 *   Invalid free() ... 4 bytes inside a block of size 32 alloc'd
 *
 * at the line marked BUG (the malloc is at ALLOC) and does not let the
 * free run; the block itself stays allocated, still reachable from the
 * global `line`.  Natively the free is where it ends: toyemu's libc and
 * glibc print "free(): invalid pointer" and abort (status 134), musl
 * crashes (SIGSEGV, 139); the last line is never printed.  (stdout is
 * flushed before the bug so the crash loses nothing.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *line;

int main(void)
{
    line = malloc(32);                            /* ALLOC */
    if (!line)
        return 1;
    strcpy(line, "    indented");
    printf("bug_invalid_free: read \"%s\"\n", line);

    char *word = line;
    while (*word == ' ')
        word++;
    printf("bug_invalid_free: the word is \"%s\", %d bytes in\n", word, (int)(word - line));
    fflush(stdout);

    free(word);                                   /* BUG */

    printf("bug_invalid_free: freed the word\n");
    return 0;
}
