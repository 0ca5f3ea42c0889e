// free_not_malloced.c - free() of what malloc never handed out: a global
// (argv[1] "global") or a local (anything else). memcheck reports an
// invalid free that is "not stack'd, malloc'd or (recently) free'd" or "on
// thread 1's stack", and does not carry it out; natively the libc aborts.
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int global[4];

int main(int argc, char **argv)
{
    int local[4] = {1, 2, 3, 4};
    int *p = argc > 1 && strcmp(argv[1], "global") == 0 ? global : local;
    printf("freeing %s\n", p == global ? "a global" : "a local");
    fflush(stdout);
    free(p);                                      /* BUG */
    printf("still here: %d\n", local[0] + global[0]);
    return 0;
}
