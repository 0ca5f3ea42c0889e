// segv_exec.c - calling a function pointer to an address where nothing is mapped (0x50000000) dies of SIGSEGV on the instruction fetch (status 139).
#include <stdio.h>

int main(void)
{
    void (*volatile f)(void) = (void (*)(void))0x50000000;
    printf("jumping to 0x50000000...\n");
    f();
    printf("should not get here\n");
    return 1;
}
