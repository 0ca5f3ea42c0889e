// segv_kernel.c - reading from 0xc0001000 (kernel space for toyemu; unmapped for a static i386 binary on Linux) dies of SIGSEGV (status 139).
#include <stdio.h>

int main(void)
{
    volatile int *p = (volatile int *)0xc0001000;
    printf("reading address 0xc0001000...\n");
    int v = *p;
    printf("read %d: should not get here\n", v);
    return 1;
}
