/* Leaving a process: atexit handlers in reverse order of registration,
 * stdout buffered output flushed at exit, exit status 3 from exit(). */
#include <stdio.h>
#include <stdlib.h>

static void first(void) { printf("atexit: registered first, runs last\n"); }
static void second(void) { printf("atexit: registered second, runs first\n"); }

int main(void)
{
    atexit(first);
    atexit(second);
    setvbuf(stdout, NULL, _IOFBF, 1 << 14);
    for (int i = 0; i < 5; i++)
        printf("buffered line %d\n", i);
    fprintf(stderr, "stderr is unbuffered\n");
    exit(3);
}
