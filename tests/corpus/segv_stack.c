// segv_stack.c - unbounded recursion with a 16 KiB local array grows the stack past its 8 MiB limit and dies of SIGSEGV (status 139).
#include <stdio.h>

#pragma GCC diagnostic ignored "-Winfinite-recursion"
static int dive(int depth)
{
    volatile char frame[16384];
    frame[0] = (char)depth;
    frame[sizeof frame - 1] = (char)depth;
    if (depth == 100)
        printf("100 frames deep (1.6 MiB of stack) and still going...\n");
    return dive(depth + 1) + frame[0] + frame[sizeof frame - 1];
}

int main(void)
{
    printf("recursing without end...\n");
    return dive(0);
}
