/* bug_double_free.c - the same block freed twice.
 *
 *   toyemu run --memcheck userland/bug_double_free
 *
 * Two structures share one buffer, and each "owns" it at clean-up: the
 * first free is right, the second frees a block that is already free.
 * memcheck reports
 *
 *   Invalid free() ... 0 bytes inside a block of size 64 free'd
 *
 * at the line marked BUG, with the first free at FREE and the malloc at
 * ALLOC, and does not let the second free run.  Natively the second free
 * is where it ends: toyemu's libc prints "free(): double free detected"
 * and aborts (status 134), glibc prints "free(): double free detected in
 * tcache 2" and aborts (134), musl crashes (SIGSEGV, 139); the last line
 * is never printed.  (The second owner is reached through a volatile, so
 * gcc neither warns nor sees that the two are the same; stdout is flushed
 * before the bug so the crash loses nothing.)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

struct reader {
    const char *name;
    char *buf;
};

int main(void)
{
    char *buf = malloc(64);                       /* ALLOC */
    if (!buf)
        return 1;
    strcpy(buf, "shared line");
    struct reader first = { "first", buf };
    static struct reader copy;
    static struct reader *volatile second;
    copy = first;
    copy.name = "second";
    second = &copy;
    printf("bug_double_free: %s and %s share \"%s\"\n", first.name, second->name, buf);

    free(first.buf);                              /* FREE */
    printf("bug_double_free: %s freed its buffer\n", first.name);
    fflush(stdout);

    free(second->buf);                            /* BUG */

    printf("bug_double_free: %s freed its buffer too\n", second->name);
    return 0;
}
