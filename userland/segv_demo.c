/* segv_demo.c - die of SIGSEGV in the way the argument names:
 *
 *   null      write through a NULL pointer (the default)
 *   rodata    write into a string literal (read-only data)
 *   kernel    read from kernel space, 0xc0000010
 *   unmapped  read from a page that was just munmapped
 *   exec      jump to an address where nothing is mapped
 *   stack     recurse forever with a big local array
 *
 * Each prints one line first (printf writes it out at once).
 */
#include <stdio.h>
#include <string.h>
#include <sys/mman.h>

#pragma GCC diagnostic ignored "-Winfinite-recursion"
static int depth(int n)
{
    volatile char big[4096];
    big[0] = (char)n;
    big[4095] = (char)n;
    return depth(n + 1) + big[0] + big[4095];
}

int main(int argc, char **argv)
{
    const char *kind = argc > 1 ? argv[1] : "null";

    if (strcmp(kind, "null") == 0) {
        printf("segv_demo: writing to address 0 (NULL)...\n");
        volatile int *volatile null = 0;   /* opaque, so gcc emits a plain store */
        *null = 1;
    } else if (strcmp(kind, "rodata") == 0) {
        printf("segv_demo: writing into a string literal in .rodata...\n");
        volatile char *s = (volatile char *)"read only";
        s[0] = 'R';
    } else if (strcmp(kind, "kernel") == 0) {
        printf("segv_demo: reading kernel space at 0xc0000010...\n");
        printf("read %d\n", *(volatile int *)0xc0000010);
    } else if (strcmp(kind, "unmapped") == 0) {
        char *p = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
        p[0] = 1;
        munmap(p, 4096);
        printf("segv_demo: reading a page after munmap...\n");
        printf("read %d\n", *(volatile char *)p);
    } else if (strcmp(kind, "exec") == 0) {
        printf("segv_demo: jumping to 0x50000000, where nothing is mapped...\n");
        void (*f)(void) = (void (*)(void))0x50000000;
        f();
    } else if (strcmp(kind, "stack") == 0) {
        printf("segv_demo: recursing until the stack runs out...\n");
        return depth(0);
    } else {
        printf("segv_demo: unknown kind '%s' (null rodata kernel unmapped exec stack)\n", kind);
        return 2;
    }
    printf("segv_demo: still alive?!\n");
    return 1;
}
