/* The program tests/debug.rs steps through: three nested calls for `bt`
 * (kept as calls at -O2 by noipa), a string pointer left in EAX for
 * `x/s $eax`, and when asked (argv[1] = "spin") an endless loop for Ctrl-C. */
#include <stdio.h>
#include <string.h>

__attribute__((noipa)) const char *greeting(void)
{
    return "hello, debugger";
}

__attribute__((noipa)) int leaf(int x)
{
    return x * 3;
}

__attribute__((noipa)) int middle(int x)
{
    return leaf(x + 1) + 1;
}

__attribute__((noipa)) int outer(int x)
{
    return middle(x * 2) + 2;
}

int main(int argc, char **argv)
{
    volatile int spins = 0;
    const char *g = greeting();
    printf("%s: %d\n", g, outer(5));
    if (argc > 1 && strcmp(argv[1], "spin") == 0)
        for (;;)
            spins++;
    return 0;
}
