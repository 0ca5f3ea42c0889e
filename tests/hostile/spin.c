/* spin.c - never ends on its own: a busy loop, then (with an argument) a
 * loop that also makes system calls, so a limit must stop it either way. */
#include <stdio.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    printf("spin: looping forever\n");
    volatile unsigned long n = 0;
    if (argc > 1)
        for (;;)
            n += getpid();
    for (;;)
        n++;
}
