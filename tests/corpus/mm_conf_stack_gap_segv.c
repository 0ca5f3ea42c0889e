// mm_conf_stack_gap_segv.c - an accessible mapping 4.5 MiB below the top of the stack keeps a 1 MiB guard gap: the stack grows to 3 MiB, then touching 3.5 MiB down is a SIGSEGV although the stack limit is 8 MiB.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>

#define CHECK(cond, code) do { if (!(cond)) { printf("FAIL line %d: %s\n", __LINE__, #cond); exit(code); } } while (0)
#define PAGE 4096ul
#define MIB (1ul << 20)

int main(void)
{
    const char *fn = (const char *)getauxval(AT_EXECFN);
    unsigned long end = (unsigned long)fn + strlen(fn) + 1;
    unsigned long top = (end + PAGE - 1) & ~(PAGE - 1);   /* a pointer-sized zero marker lies between */
    CHECK(top - end <= 8, 1);
    volatile int local = 0;
    void *m = mmap((void *)(top - 4 * MIB - MIB / 2), PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    CHECK(m == (void *)(top - 4 * MIB - MIB / 2), 2);
    unsigned long a = ((unsigned long)&local & ~(PAGE - 1)) - PAGE;
    for (; a >= top - 3 * MIB; a -= PAGE)
        *(volatile char *)a = 1;
    printf("the stack grew to 3 MiB\n");
    fflush(stdout);
    for (; a >= top - 4 * MIB; a -= PAGE)
        *(volatile char *)a = 1;
    printf("FAIL: the stack grew into the guard gap of a mapping\n");
    return 1;
}
