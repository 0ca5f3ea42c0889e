// segv_null.c - a write through a NULL pointer dies of SIGSEGV (status 139) after printing its line.
#include <stdio.h>

int main(void)
{
    volatile int *volatile p = (volatile int *)0;   /* opaque to gcc: no ud2 after the store */
    printf("writing to address 0...\n");
    *p = 42;
    printf("should not get here\n");
    return 1;
}
