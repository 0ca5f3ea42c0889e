// segv_rodata.c - writing into a string literal (.rodata, a read-only PT_LOAD segment) dies of SIGSEGV (status 139).
#include <stdio.h>

static const char message[] = "constant text";

int main(void)
{
    volatile char *p = (volatile char *)message;
    printf("reading .rodata works: %c%c%c\n", p[0], p[1], p[2]);
    printf("writing into .rodata...\n");
    p[0] = 'C';
    printf("should not get here\n");
    return 1;
}
