/* The program tests/gdb.rs debugs: a local worth printing after one `next`,
 * a heap block for `monitor leaks`, a NULL write (argv[1] = "segv") or an
 * endless loop to interrupt (argv[1] = "spin") when asked, and an exit code
 * of its own. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

int square(int x)
{
    return x * x;
}

int main(int argc, char **argv)
{
    int answer = 6 * 7;
    char *block = malloc(100);
    strcpy(block, "hello from the heap");
    if (argc > 1 && strcmp(argv[1], "segv") == 0) {
        int *volatile nowhere = 0;
        *nowhere = answer;
    }
    if (argc > 1 && strcmp(argv[1], "spin") == 0)
        for (;;)
            answer++;
    printf("%s: answer %d, square %d\n", block, answer, square(answer));
    free(block);
    return 3;
}
