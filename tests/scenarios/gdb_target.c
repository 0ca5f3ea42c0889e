/* The program tests/gdb.rs debugs: a local worth printing after one `next`,
 * a heap block for `monitor leaks`, and when asked (argv[1]) a NULL write
 * ("segv"), an endless loop to interrupt ("spin") or x87 registers to look
 * at ("fpu"). It exits with a code of its own. */
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
    if (argc > 1 && strcmp(argv[1], "fpu") == 0) {
        double top;
        __asm__ volatile("fldpi\n\tfld1\n\tcall fpu_loaded\n\tfstpl %0\n\tfstp %%st(0)"
                         : "=m"(top)
                         :
                         : "eax", "ecx", "edx", "memory");
        answer = (int)(top * 10);
    }
    if (argc > 1 && strcmp(argv[1], "spin") == 0)
        for (;;)
            answer++;
    printf("%s: answer %d, square %d\n", block, answer, square(answer));
    free(block);
    return 3;
}

/* Called from main's asm, with 1 in ST(0) and pi in ST(1) (argv[1] =
 * "fpu"); after main so the lines the tests name stay where they are. */
__attribute__((noinline, used)) void fpu_loaded(void)
{
    __asm__ volatile("");
}
