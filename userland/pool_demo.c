/* pool_demo.c - many small objects from malloc, and the same from a
 * fixed-size pool: what each costs in instructions and in heap.
 *
 *   toyemu run --count pool_alloc,pool_free,malloc,free userland/pool_demo
 *
 * A pool is one malloc'd slab cut into equal slots; the free slots form a
 * list threaded through themselves, so taking one is popping the list and
 * giving one back is pushing it: a few instructions, no header per object,
 * no search, no splitting or merging.  malloc pays for being general: a
 * 16-byte header and rounding on every object, a search of its free lists,
 * splits and merges (and under MALLOC_POLICY=first|best|next, a walk of
 * the address-ordered list on every free).  Both do the same work here:
 * NOBJ objects of OBJ bytes, all alive at once, then freed in a scattered
 * order, twice.
 *
 * The footprints come from walking the heap by <toy/chunk.h>, so the
 * output is the same natively and under toyemu; the instruction counts
 * are toyemu's (--count).
 */
#include <stdio.h>
#include <stdlib.h>
#include <toy/chunk.h>

#define NOBJ 1000
#define OBJ 24
#define ROUNDS 2

struct pool {
    char *slab;
    void *free;                 /* the first free slot; each holds the next */
};

static int pool_init(struct pool *p, size_t size, size_t n)
{
    p->slab = malloc(size * n);
    if (!p->slab)
        return -1;
    p->free = NULL;
    for (size_t i = n; i-- > 0;) {
        void **slot = (void **)(p->slab + i * size);
        *slot = p->free;
        p->free = slot;
    }
    return 0;
}

__attribute__((noinline)) void *pool_alloc(struct pool *p)
{
    void **slot = p->free;
    if (slot)
        p->free = *slot;
    return slot;
}

__attribute__((noinline)) void pool_free(struct pool *p, void *obj)
{
    *(void **)obj = p->free;
    p->free = obj;
}

/* Bytes of heap chunks in use, headers included, and how many. */
static unsigned heap_in_use(unsigned *chunks)
{
    unsigned bytes = 0;
    *chunks = 0;
    for (char *c = __toy_heap_start; c < __toy_heap_end; c += ((struct chunk_header *)c)->size)
        if (((struct chunk_header *)c)->flags & CHUNK_INUSE) {
            bytes += ((struct chunk_header *)c)->size;
            ++*chunks;
        }
    return bytes;
}

/* A scattered order to free in: i * 7 mod NOBJ visits each index once. */
static unsigned scattered(unsigned i)
{
    return i * 7 % NOBJ;
}

static void *objs[NOBJ];

int main(void)
{
    unsigned base_chunks, chunks;
    struct pool pool;
    if (pool_init(&pool, OBJ, NOBJ) < 0)
        return 1;
    unsigned base = heap_in_use(&base_chunks);
    printf("pool_demo: %d objects of %d bytes (%d bytes asked for), alive at once, %d rounds\n",
           NOBJ, OBJ, NOBJ * OBJ, ROUNDS);
    printf("pool: one slab of %d slots, %u bytes of heap in %u chunk, set up before\n", NOBJ,
           base, base_chunks);

    unsigned with_malloc = 0;
    for (int r = 0; r < ROUNDS; r++) {
        for (unsigned i = 0; i < NOBJ; i++)
            objs[i] = malloc(OBJ);
        with_malloc = heap_in_use(&chunks) - base;
        for (unsigned i = 0; i < NOBJ; i++)
            free(objs[scattered(i)]);
    }
    printf("malloc: %u bytes of heap in %u chunks for them: %u per object (header and rounding)\n",
           with_malloc, chunks - base_chunks, with_malloc / NOBJ);

    for (int r = 0; r < ROUNDS; r++) {
        for (unsigned i = 0; i < NOBJ; i++)
            objs[i] = pool_alloc(&pool);
        heap_in_use(&chunks);
        for (unsigned i = 0; i < NOBJ; i++)
            pool_free(&pool, objs[scattered(i)]);
    }
    printf("pool: no more heap (%u chunk%s in use, as before): %d bytes per object\n", chunks,
           chunks == 1 ? "" : "s", OBJ);
    printf("pool_demo: what each call cost: toyemu run --count pool_alloc,pool_free,malloc,free "
           "userland/pool_demo\n");
    free(pool.slab);
    return 0;
}
