// mm_rdonly_segv.c - writing to a page that mprotect made read-only kills the process with SIGSEGV (status 139); reading it still works.
#include <stdio.h>
#include <sys/mman.h>

int main(void)
{
    volatile char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return 1;
    p[0] = 'w';
    if (mprotect((void *)p, 4096, PROT_READ) != 0)
        return 2;
    printf("page is read-only now and still reads '%c'; writing to it...\n", p[0]);
    p[1] = 'x';
    printf("wrote: should not get here\n");
    return 3;
}
