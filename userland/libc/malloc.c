/* malloc.c - a small malloc that behaves like glibc's in the large.
 *
 * The chunk layout and the heap's shape are a contract with toyemu's heap
 * walker: <toy/chunk.h> states it, and is its one source.
 *
 * Growth.  The heap grows with sbrk in steps of the request + 128 KiB (glibc's
 * M_TOP_PAD) rounded up to 4 KiB, so the first small malloc moves the break
 * by 132 KiB.  free() gives memory back with a negative sbrk only when the
 * free top chunk exceeds 128 KiB (M_TRIM_THRESHOLD), and then keeps 128 KiB.
 * If someone else moved the break, malloc does not adopt foreign memory: it
 * serves the request with mmap instead.
 *
 * Free chunks sit in 32 doubly linked bins by floor(log2(size)); malloc
 * takes the first fit in the request's bin, else the head of a larger bin,
 * else carves from the top.  A free of something that is not a live chunk
 * (bad magic, already free, misaligned) prints a message and aborts
 * (SIGABRT), as glibc does.
 */
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <toy/chunk.h>
#include <unistd.h>

#define HDR              CHUNK_HEADER_SIZE
#define MIN_CHUNK        32u               /* header + two list links, rounded */
#define MMAP_THRESHOLD   (128u * 1024)
#define TOP_PAD          (128u * 1024)
#define TRIM_THRESHOLD   (128u * 1024)
#define PAGE             4096u
#define NBINS            32

/* Links of a free chunk live in its payload. */
struct free_links {
    struct chunk_header *next, *prev;
};

char *__toy_heap_start;
char *__toy_heap_end;
struct chunk_header *__toy_heap_top;      /* == __toy_heap_end while the heap is empty */

static struct chunk_header *bins[NBINS];

#define align_up(x, a) (((x) + (a) - 1) & ~((a) - 1))

static inline struct free_links *links(struct chunk_header *c)
{
    return (struct free_links *)(c + 1);
}

static inline struct chunk_header *next_chunk(struct chunk_header *c)
{
    return (struct chunk_header *)((char *)c + c->size);
}

static inline uint32_t top_size(void)
{
    return (uint32_t)(__toy_heap_end - (char *)__toy_heap_top);
}

static __attribute__((noreturn)) void malloc_fail(const char *msg)
{
    write(2, msg, strlen(msg));
    abort();
}

static int bin_of(uint32_t size)
{
    return 31 - __builtin_clz(size);
}

static void bin_insert(struct chunk_header *c)
{
    int b = bin_of(c->size);
    links(c)->prev = NULL;
    links(c)->next = bins[b];
    if (bins[b])
        links(bins[b])->prev = c;
    bins[b] = c;
}

static void bin_remove(struct chunk_header *c)
{
    struct free_links *l = links(c);
    if (l->prev)
        links(l->prev)->next = l->next;
    else
        bins[bin_of(c->size)] = l->next;
    if (l->next)
        links(l->next)->prev = l->prev;
}

/* Mark c as a free chunk (not top) and file it. */
static void make_free(struct chunk_header *c)
{
    c->flags = 0;
    c->caller = 0;
    c->magic = CHUNK_MAGIC;
    *(uint32_t *)((char *)c + c->size - 4) = c->size;
    next_chunk(c)->flags |= CHUNK_PREV_FREE;
    bin_insert(c);
}

/* Sets up the (empty) heap the first time malloc needs it. */
static int heap_init(void)
{
    char *cur = sbrk(0);
    if (cur == (char *)-1)
        return -1;
    uintptr_t gap = align_up((uintptr_t)cur, 16) - (uintptr_t)cur;
    if (gap && sbrk(gap) == (void *)-1)
        return -1;
    __toy_heap_start = __toy_heap_end = cur + gap;
    __toy_heap_top = (struct chunk_header *)__toy_heap_end;
    return 0;
}

/* Makes the top chunk at least `want` bytes long by moving the break.
 * Returns 0, or -1 when the break cannot move or is not where we left it. */
static int grow_top(uint32_t want)
{
    if (!__toy_heap_start && heap_init() < 0)
        return -1;
    uint32_t have = top_size();
    if (have >= want)
        return 0;
    uint32_t incr = align_up(want - have + TOP_PAD, PAGE);
    if (incr < want - have)
        return -1;                          /* overflow */
    char *old = sbrk(incr);
    if (old == (char *)-1)
        return -1;
    if (old != __toy_heap_end) {
        /* The program moved the break behind our back: hand back what we
         * just took and leave the heap as it is. */
        sbrk(-(intptr_t)incr);
        return -1;
    }
    __toy_heap_end += incr;
    __toy_heap_top->size = top_size();
    __toy_heap_top->flags = 0;
    __toy_heap_top->caller = 0;
    __toy_heap_top->magic = CHUNK_MAGIC;
    return 0;
}

/* Gives the break back when the top chunk has grown past the threshold,
 * keeping TOP_PAD of it (glibc's systrim). */
static void trim_top(void)
{
    uint32_t have = top_size();
    if (have <= TRIM_THRESHOLD || have <= TOP_PAD + MIN_CHUNK)
        return;
    uint32_t extra = (have - TOP_PAD - MIN_CHUNK - 1) & ~(PAGE - 1);
    if (extra == 0 || sbrk(0) != __toy_heap_end)
        return;
    if (sbrk(-(intptr_t)extra) == (void *)-1)
        return;
    __toy_heap_end -= extra;
    __toy_heap_top->size = top_size();
}

static void *mmap_chunk(uint32_t need, uint32_t caller)
{
    uint32_t len = align_up(need, PAGE);
    if (len < need)
        return NULL;
    struct chunk_header *c = mmap(NULL, len, PROT_READ | PROT_WRITE,
                                  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (c == MAP_FAILED)
        return NULL;
    c->size = len;
    c->flags = CHUNK_INUSE | CHUNK_MMAPPED;
    c->caller = caller;
    c->magic = CHUNK_MAGIC;
    return c + 1;
}

/* Cuts chunk c (in use) down to `need` bytes when the rest is big enough
 * to be a chunk of its own, and frees the rest. */
static void free_chunk(struct chunk_header *c);

static void split(struct chunk_header *c, uint32_t need)
{
    if (c->size - need < MIN_CHUNK)
        return;
    struct chunk_header *rest = (struct chunk_header *)((char *)c + need);
    rest->size = c->size - need;
    rest->flags = CHUNK_INUSE;
    rest->magic = CHUNK_MAGIC;
    c->size = need;
    free_chunk(rest);
}

/* Finds a free chunk of at least `need` bytes in the bins, takes it out
 * and marks it in use.  NULL if there is none. */
static struct chunk_header *take_from_bins(uint32_t need)
{
    int b = bin_of(need);
    struct chunk_header *c;
    for (c = bins[b]; c; c = links(c)->next)
        if (c->size >= need)
            break;
    for (b++; !c && b < NBINS; b++)
        c = bins[b];
    if (!c)
        return NULL;
    bin_remove(c);
    c->flags = CHUNK_INUSE;
    next_chunk(c)->flags &= ~CHUNK_PREV_FREE;
    split(c, need);
    return c;
}

/* Carves `need` bytes from the front of the top chunk, growing it first. */
static struct chunk_header *take_from_top(uint32_t need)
{
    if (grow_top(need + HDR) < 0)           /* top keeps at least a header */
        return NULL;
    struct chunk_header *c = __toy_heap_top;
    uint32_t rest = top_size() - need;
    __toy_heap_top = (struct chunk_header *)((char *)c + need);
    __toy_heap_top->size = rest;
    __toy_heap_top->flags = 0;
    __toy_heap_top->caller = 0;
    __toy_heap_top->magic = CHUNK_MAGIC;
    c->size = need;
    c->flags = CHUNK_INUSE;
    return c;
}

/* Request size -> chunk size, or 0 if the request is absurd. */
static uint32_t chunk_size(size_t n)
{
    if (n > 0x7fffffffu)
        return 0;
    uint32_t need = align_up((uint32_t)n + HDR, 16u);
    return need < MIN_CHUNK ? MIN_CHUNK : need;
}

static void *malloc_from(size_t n, uint32_t caller)
{
    uint32_t need = chunk_size(n);
    if (need == 0) {
        errno = ENOMEM;
        return NULL;
    }
    if (need >= MMAP_THRESHOLD) {
        void *p = mmap_chunk(need, caller);
        if (p)
            return p;
    }
    struct chunk_header *c = take_from_bins(need);
    if (!c)
        c = take_from_top(need);
    if (!c) {
        /* The break would not move: fall back to a mapping, like glibc. */
        void *p = need < MMAP_THRESHOLD ? mmap_chunk(need, caller) : NULL;
        if (!p)
            errno = ENOMEM;
        return p;
    }
    c->caller = caller;
    c->magic = CHUNK_MAGIC;
    return c + 1;
}

/* The header of a user pointer, checked; aborts with `who` on a pointer
 * that is not a live chunk. */
static struct chunk_header *checked_header(void *p, const char *who)
{
    struct chunk_header *c = (struct chunk_header *)p - 1;
    if (((uintptr_t)p & 15) != 0 || c->magic != CHUNK_MAGIC) {
        write(2, who, strlen(who));
        malloc_fail("(): invalid pointer\n");
    }
    if (!(c->flags & CHUNK_INUSE)) {
        write(2, who, strlen(who));
        malloc_fail("(): double free detected\n");
    }
    if (c->flags & CHUNK_MMAPPED) {
        if (((uintptr_t)c & (PAGE - 1)) != 0) {
            write(2, who, strlen(who));
            malloc_fail("(): invalid pointer\n");
        }
    } else if ((char *)c < __toy_heap_start || c >= __toy_heap_top ||
               (char *)next_chunk(c) > (char *)__toy_heap_top) {
        write(2, who, strlen(who));
        malloc_fail("(): invalid pointer\n");
    }
    return c;
}

/* Returns heap chunk c (marked in use) to the free state, merging it with
 * free neighbours and with the top. */
static void free_chunk(struct chunk_header *c)
{
    if (c->flags & CHUNK_PREV_FREE) {
        uint32_t prev_size = *(uint32_t *)((char *)c - 4);
        struct chunk_header *prev = (struct chunk_header *)((char *)c - prev_size);
        if (prev->magic != CHUNK_MAGIC || (prev->flags & CHUNK_INUSE) || prev->size != prev_size)
            malloc_fail("free(): corrupted free chunk\n");
        bin_remove(prev);
        prev->size += c->size;
        c->magic = 0;
        c = prev;
    }
    struct chunk_header *next = next_chunk(c);
    if (next == __toy_heap_top) {
        c->size += next->size;
        next->magic = 0;
        c->flags = 0;
        c->caller = 0;
        __toy_heap_top = c;
        trim_top();
        return;
    }
    if (!(next->flags & CHUNK_INUSE)) {
        bin_remove(next);
        c->size += next->size;
        next->magic = 0;
    }
    make_free(c);
}

void *malloc(size_t n)
{
    return malloc_from(n, (uint32_t)__builtin_return_address(0));
}

void free(void *p)
{
    if (!p)
        return;
    struct chunk_header *c = checked_header(p, "free");
    if (c->flags & CHUNK_MMAPPED) {
        c->magic = 0;
        munmap(c, c->size);
        return;
    }
    free_chunk(c);
}

void *calloc(size_t nmemb, size_t size)
{
    size_t total;
    if (__builtin_mul_overflow(nmemb, size, &total)) {
        errno = ENOMEM;
        return NULL;
    }
    void *p = malloc_from(total, (uint32_t)__builtin_return_address(0));
    if (p && !(((struct chunk_header *)p - 1)->flags & CHUNK_MMAPPED))
        memset(p, 0, total);                /* fresh mappings are zero already */
    return p;
}

void *realloc(void *p, size_t n)
{
    uint32_t caller = (uint32_t)__builtin_return_address(0);
    if (!p)
        return malloc_from(n, caller);
    if (n == 0) {
        free(p);
        return NULL;
    }
    struct chunk_header *c = checked_header(p, "realloc");
    uint32_t need = chunk_size(n);
    if (need == 0) {
        errno = ENOMEM;
        return NULL;
    }
    if (c->flags & CHUNK_MMAPPED) {
        if (align_up(need, PAGE) == c->size)
            return p;
    } else if (need <= c->size) {
        split(c, need);                     /* shrink in place */
        return p;
    } else {
        /* Grow in place into the top or into a free neighbour. */
        struct chunk_header *next = next_chunk(c);
        if (next == __toy_heap_top && grow_top(need - c->size + HDR) == 0) {
            struct chunk_header *top = __toy_heap_top;
            uint32_t rest = top_size() - (need - c->size);
            __toy_heap_top = (struct chunk_header *)((char *)c + need);
            top->magic = 0;
            __toy_heap_top->size = rest;
            __toy_heap_top->flags = 0;
            __toy_heap_top->caller = 0;
            __toy_heap_top->magic = CHUNK_MAGIC;
            c->size = need;
            return p;
        }
        if (next != __toy_heap_top && !(next->flags & CHUNK_INUSE) &&
            c->size + next->size >= need) {
            bin_remove(next);
            c->size += next->size;
            next->magic = 0;
            next_chunk(c)->flags &= ~CHUNK_PREV_FREE;
            split(c, need);
            return p;
        }
    }
    /* Move: new block, copy what fits, free the old one. */
    void *q = malloc_from(n, caller);
    if (!q)
        return NULL;
    uint32_t old = c->size - HDR;
    memcpy(q, p, old < n ? old : n);
    free(p);
    return q;
}

size_t malloc_usable_size(void *p)
{
    if (!p)
        return 0;
    return checked_header(p, "malloc_usable_size")->size - HDR;
}
