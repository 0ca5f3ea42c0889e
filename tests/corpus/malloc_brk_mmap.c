// malloc_brk_mmap.c - where malloc gets memory: small blocks move the break (by 132 KiB at first), blocks of 128 KiB or more come from mmap and leave the break alone; freeing a big heap top trims the break.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHECK(cond, code) do { if (!(cond)) { printf("FAIL line %d: %s\n", __LINE__, #cond); exit(code); } } while (0)

static char *start;

static long moved(void) { return (char *)sbrk(0) - start; }
static int in_heap(void *p) { return (char *)p >= start && (char *)p < (char *)sbrk(0); }

int main(void)
{
    start = sbrk(0);
    printf("initial break page aligned: %s\n", ((uintptr_t)start & 4095) ? "no" : "yes");
    CHECK(moved() == 0, 1);

    char *p = malloc(100);
    printf("malloc(100): in the heap %s, break moved by %ld\n", in_heap(p) ? "yes" : "no", moved());
    CHECK(in_heap(p) && moved() == 135168, 2);
    long after_small = moved();

    char *big = malloc(200000);
    printf("malloc(200000): in the heap %s, break moved by %ld more, header at a page start %s\n",
           in_heap(big) ? "yes" : "no", moved() - after_small,
           ((uintptr_t)big & 4095) == 16 ? "yes" : "no");
    CHECK(!in_heap(big) && moved() == after_small && ((uintptr_t)big & 4095) == 16, 3);
    memset(big, 1, 200000);
    free(big);
    CHECK(moved() == after_small, 4);

    /* the threshold: 128 KiB including the 16-byte header */
    char *t1 = malloc(131056), *t2 = malloc(131040), *t3 = malloc(131055);
    printf("malloc(131056) from %s, malloc(131055) from %s, malloc(131040) from %s\n",
           in_heap(t1) ? "heap" : "mmap", in_heap(t3) ? "heap" : "mmap", in_heap(t2) ? "heap" : "mmap");
    CHECK(!in_heap(t1) && !in_heap(t3) && in_heap(t2), 5);
    printf("break moved by %ld after the 131040-byte block\n", moved());
    free(t1);
    free(t3);
    free(t2);
    printf("after freeing it: break moved by %ld\n", moved());

    char *blocks[400];
    for (int i = 0; i < 400; i++) {
        blocks[i] = malloc(1000);
        CHECK(in_heap(blocks[i]), 6);
        blocks[i][999] = (char)i;
    }
    long grown = moved();
    printf("400 blocks of 1000 bytes: break moved by %ld\n", grown);
    for (int i = 399; i >= 0; i--) {
        CHECK(blocks[i][999] == (char)i, 7);
        free(blocks[i]);
    }
    printf("freed them all: break moved by %ld (trimmed: %s)\n", moved(), moved() < grown ? "yes" : "no");
    CHECK(moved() < grown && moved() >= 131072, 8);

    char *c = calloc(1, 1 << 20);
    CHECK(!in_heap(c), 9);
    for (int i = 0; i < (1 << 20); i += 4096)
        CHECK(c[i] == 0, 10);
    free(c);
    char *q = malloc(2000), *r = realloc(q, 3000);
    printf("realloc of the block next to the top grows in place: %s\n", q == r ? "yes" : "no");
    free(r);
    free(p);
    printf("everything freed: break moved by %ld\n", moved());
    return 0;
}
