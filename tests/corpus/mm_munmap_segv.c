// mm_munmap_segv.c - reading a page after munmap kills the process with SIGSEGV (status 139); the line before the fault must be printed.
#include <stdio.h>
#include <sys/mman.h>

int main(void)
{
    volatile char *p = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return 1;
    p[0] = 'a';
    p[4096] = 'b';
    if (munmap((void *)p, 4096) != 0)
        return 2;
    printf("second page still there: %c\n", p[4096]);
    printf("reading the unmapped first page...\n");
    printf("read %c: should not get here\n", p[0]);
    return 3;
}
