/* Leave the program in the way argv[1] says, with memory of every kind in use. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

int main(int argc, char **argv)
{
    const char *how = argc > 1 ? argv[1] : "return";
    char *small = malloc(100);            /* heap via brk */
    char *big = malloc(1 << 20);          /* its own mmap */
    char *anon = mmap(0, 9 << 12, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    memset(small, 1, 100);
    memset(big, 2, 1 << 20);
    anon[0] = anon[4 << 12] = 3;
    munmap(anon + (8 << 12), 1 << 12);    /* a hole right after the 8 pages kept */
    if (!strcmp(how, "return"))
        return 7;
    if (!strcmp(how, "exit"))
        exit(9);
    if (!strcmp(how, "segv"))
        *(volatile int *)(anon + (8 << 12)) = 1;   /* into the hole */
    if (!strcmp(how, "abort"))
        abort();
    if (!strcmp(how, "div0")) {
        volatile int zero = 0;
        return 10 / zero;
    }
    if (!strcmp(how, "ud2"))
        __asm__ volatile("ud2");
    if (!strcmp(how, "hlt"))
        __asm__ volatile("hlt");
    if (!strcmp(how, "int3"))
        __asm__ volatile("int3");
    if (!strcmp(how, "loop"))
        for (;;)
            __asm__ volatile("");
    return 0;
}
