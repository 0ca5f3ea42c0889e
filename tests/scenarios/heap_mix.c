/* heap_mix.c - a heap with some of everything still in it at exit: calloc'd
 * and malloc'd blocks of many sizes, holes, realloc'd blocks (grown,
 * shrunk, turned into a big block) and two mmap'd big blocks.
 * tests/heap.rs compares toyemu's walk of it with malloc_dump's. */
#include <stdio.h>
#include <stdlib.h>

int main(void)
{
    static void *p[40];
    for (int i = 0; i < 40; i++)
        p[i] = i % 3 == 0 ? calloc((size_t)i + 1, 8) : malloc((size_t)i * 13 + 1);
    for (int i = 0; i < 40; i += 3)
        free(p[i]);
    p[1] = realloc(p[1], 300);
    p[2] = realloc(p[2], 5);
    p[5] = realloc(p[5], 150000);
    p[0] = malloc(200000);
    p[3] = malloc(90);
    printf("heap_mix: done\n");
    return 0;
}
