// malloc_heap_walk.c - walks the heap exactly as toyemu's leak report does (chunk headers from __toy_heap_start to __toy_heap_end) and checks the layout contract.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <toy/chunk.h>
#include <unistd.h>

#define CHECK(cond, code) do { if (!(cond)) { printf("FAIL line %d: %s\n", __LINE__, #cond); exit(code); } } while (0)

int main(void);

struct census {
    int used, free;
    uint32_t used_bytes, free_bytes, last_size;
    int from_main;
};

static struct census walk(void)
{
    struct census c = { 0, 0, 0, 0, 0, 0 };
    int prev_free = 0;
    for (char *p = __toy_heap_start; p < __toy_heap_end;) {
        struct chunk_header *h = (struct chunk_header *)p;
        CHECK(h->magic == CHUNK_MAGIC, 1);
        CHECK(h->size >= 16 && h->size % 16 == 0, 2);
        CHECK(!(h->flags & CHUNK_MMAPPED), 3);
        CHECK(!!(h->flags & CHUNK_PREV_FREE) == prev_free || p + h->size == __toy_heap_end, 4);
        if (h->flags & CHUNK_INUSE) {
            c.used++;
            c.used_bytes += h->size;
            /* the caller is an address inside main, in the text segment */
            if (h->caller > (uint32_t)(uintptr_t)main && h->caller < (uint32_t)(uintptr_t)main + 4096)
                c.from_main++;
        } else {
            CHECK(!prev_free, 5);                      /* no two free chunks in a row */
            c.free++;
            c.free_bytes += h->size;
        }
        prev_free = !(h->flags & CHUNK_INUSE);
        c.last_size = h->size;
        p += h->size;
    }
    return c;
}

static void report(const char *when)
{
    struct census c = walk();
    printf("%-28s %3d used (%6u bytes, %3d from main), %2d free (%6u bytes), top %u\n", when,
           c.used, c.used_bytes, c.from_main, c.free, c.free_bytes, c.last_size);
}

int main(void)
{
    CHECK(__toy_heap_start == NULL && __toy_heap_end == NULL, 10);   /* nothing before the first malloc */
    void *p[50];
    for (int i = 0; i < 50; i++)
        p[i] = malloc((size_t)(i % 10) * 24 + 1);
    CHECK(__toy_heap_start == sbrk(0) - 135168 && __toy_heap_end == sbrk(0), 11);
    report("after 50 mallocs:");
    for (int i = 0; i < 50; i += 2)
        free(p[i]);
    report("after freeing every other:");
    for (int i = 1; i < 50; i += 4)
        free(p[i]);
    report("after freeing more:");
    void *big = malloc(1 << 18);
    struct chunk_header *bh = (struct chunk_header *)big - 1;
    CHECK(bh->magic == CHUNK_MAGIC && bh->flags == (CHUNK_INUSE | CHUNK_MMAPPED), 12);
    CHECK(bh->size == (1 << 18) + 4096 && ((uintptr_t)bh & 4095) == 0, 13);
    CHECK(bh->size - CHUNK_HEADER_SIZE - bh->pad == 1 << 18, 14);      /* the request, remembered */
    report("with a big mmap'd block:");
    free(big);
    char *r = malloc(10);
    r = realloc(r, 5000);
    report("after a realloc:");
    for (int i = 3; i < 50; i += 4)
        free(p[i]);
    free(r);
    report("after freeing everything:");
    return 0;
}
