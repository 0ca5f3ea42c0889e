/* bug_realloc_freed.c - realloc() of a block that was already freed.
 *
 *   toyemu run --memcheck userland/bug_realloc_freed
 *
 * A buffer is freed when the first message is done, and later grown with
 * realloc for a second message as if it were still there.  memcheck
 * reports
 *
 *   Invalid free() / realloc() ... 0 bytes inside a block of size 16 free'd
 *
 * at the line marked BUG, with the free at FREE and the malloc at ALLOC,
 * and does not let the realloc run (valgrind's realloc returns NULL then,
 * and so the program says).  Natively the realloc is where it ends:
 * toyemu's libc prints "realloc(): double free detected" and aborts
 * (status 134); glibc's realloc moves the block and frees the old one a
 * second time, "free(): double free detected in tcache 2", and aborts
 * (134); musl crashes (SIGSEGV, 139).  (The pointer is kept in a volatile,
 * so gcc neither warns nor folds it; stdout is flushed before the bug so
 * the crash loses nothing.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int main(void)
{
    static char *volatile msg;
    msg = malloc(16);                             /* ALLOC */
    if (!msg)
        return 1;
    strcpy(msg, "first");
    printf("bug_realloc_freed: message \"%s\"\n", msg);
    free(msg);                                    /* FREE */
    printf("bug_realloc_freed: done with it, freed\n");
    fflush(stdout);

    char *grown = realloc(msg, 64);               /* BUG */

    if (!grown) {
        printf("bug_realloc_freed: realloc returned NULL\n");
        return 0;
    }
    strcpy(grown, "second, a longer message");
    printf("bug_realloc_freed: message \"%s\"\n", grown);
    free(grown);
    return 0;
}
