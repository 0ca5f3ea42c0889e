// mm_protnone_segv.c - reading a PROT_NONE page (mapped, but no access) kills the process with SIGSEGV (status 139).
#include <stdio.h>
#include <sys/mman.h>

int main(void)
{
    volatile char *p = mmap(NULL, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (p == MAP_FAILED)
        return 1;
    printf("mapped a PROT_NONE page; reading it...\n");
    printf("read %d: should not get here\n", p[10]);
    return 2;
}
