/* malloc.c - a small malloc that behaves like glibc's in the large.
 *
 * The chunk layout and the heap's shape are a contract with toyemu's heap
 * inspector: <toy/chunk.h> states it, and is its one source.
 *
 * Growth.  The heap grows with sbrk in steps of the request + 128 KiB (glibc's
 * M_TOP_PAD) rounded up to 4 KiB, so the first small malloc moves the break
 * by 132 KiB.  free() gives memory back with a negative sbrk only when the
 * free top chunk exceeds 128 KiB (M_TRIM_THRESHOLD), and then keeps 128 KiB.
 * If someone else moved the break, malloc does not adopt foreign memory: it
 * serves the request with mmap instead.
 *
 * Finding a free chunk.  The first malloc reads MALLOC_POLICY:
 *   unset or "bins"  (the default) 32 doubly linked lists by floor(log2(size)),
 *                    newest first; the first fit in the request's list, else
 *                    the head of a larger list: a cheap approximation of best
 *                    fit, as glibc's bins are
 *   "first"          one list in address order; the lowest chunk that fits
 *   "best"           the same list; the smallest chunk that fits
 *   "next"           the same list; the first fit at or after the chunk where
 *                    the last search ended (the rover), wrapping round once
 * Any other value is reported on stderr and the default used.  Keeping one
 * list in address order costs a walk of it on every free: that is the price
 * of the classic policies, and pool_demo shows it.  When nothing fits,
 * the request is carved from the top chunk.
 *
 * Each chunk in use remembers how much was asked for (the header's pad), so
 * a heap walk can tell the request from the rounding.  calloc zeroes;
 * realloc shrinks in place, grows in place into the top or a free chunk
 * behind it, and only otherwise moves.
 *
 * A free of something that is not a live chunk (bad magic, already free,
 * misaligned) prints a message and aborts (SIGABRT), as glibc does.
 * malloc_dump() writes the allocator's own walk; with MALLOC_DUMP set in
 * the environment it runs once more at exit().
 */
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <toy/chunk.h>
#include <toy/malloc.h>
#include <unistd.h>

#define HDR              CHUNK_HEADER_SIZE
#define MIN_CHUNK        32u               /* header + two list links, rounded */
#define MMAP_THRESHOLD   (128u * 1024)
#define TOP_PAD          (128u * 1024)
#define TRIM_THRESHOLD   (128u * 1024)
#define PAGE             4096u

/* Links of a free chunk live in its payload. */
struct free_links {
    struct chunk_header *next, *prev;
};

char *__toy_heap_start;
char *__toy_heap_end;
struct chunk_header *__toy_heap_top;      /* == __toy_heap_end while the heap is empty */
struct chunk_header *__toy_free_lists[CHUNK_NLISTS];
uint32_t __toy_malloc_policy;             /* CHUNK_POLICY_*, once policy_known */
uint32_t __toy_mmap_chunks;
uint32_t __toy_mmap_bytes;

static int policy_known;
static struct chunk_header *rover;        /* next fit: where the next search starts */
static const char *const policy_names[] = { "bins", "first", "best", "next" };

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

static void dump_at_exit(void)
{
    malloc_dump(2);
}

/* exit() calls it after the atexit handlers (it lives in stdlib.c, so a
 * program without malloc does not link this file for it). */
extern void (*__toy_malloc_exit_hook)(void);

/* Reads MALLOC_POLICY (and MALLOC_DUMP) once, at the first malloc. */
static void choose_policy(void)
{
    const char *want = getenv("MALLOC_POLICY");
    policy_known = 1;
    __toy_malloc_policy = CHUNK_POLICY_BINS;
    if (want && *want) {
        uint32_t i;
        for (i = 0; i < sizeof policy_names / sizeof policy_names[0]; i++)
            if (strcmp(want, policy_names[i]) == 0)
                break;
        if (i < sizeof policy_names / sizeof policy_names[0])
            __toy_malloc_policy = i;
        else
            dprintf(2, "malloc: MALLOC_POLICY=%s is not bins, first, best or next; using bins\n",
                    want);
    }
    if (getenv("MALLOC_DUMP"))
        __toy_malloc_exit_hook = dump_at_exit;
}

const char *malloc_policy(void)
{
    if (!policy_known)
        choose_policy();
    return policy_names[__toy_malloc_policy];
}

static inline int address_ordered(void)
{
    return __toy_malloc_policy != CHUNK_POLICY_BINS;
}

static int list_of(uint32_t size)
{
    return address_ordered() ? 0 : 31 - __builtin_clz(size);
}

static void list_insert(struct chunk_header *c)
{
    int b = list_of(c->size);
    struct chunk_header *prev = NULL, *next = __toy_free_lists[b];
    if (address_ordered())
        while (next && next < c) {
            prev = next;
            next = links(next)->next;
        }
    links(c)->prev = prev;
    links(c)->next = next;
    if (prev)
        links(prev)->next = c;
    else
        __toy_free_lists[b] = c;
    if (next)
        links(next)->prev = c;
}

static void list_remove(struct chunk_header *c)
{
    struct free_links *l = links(c);
    if (c == rover)
        rover = l->next;
    if (l->prev)
        links(l->prev)->next = l->next;
    else
        __toy_free_lists[list_of(c->size)] = l->next;
    if (l->next)
        links(l->next)->prev = l->prev;
}

/* Mark c as a free chunk (not top) and file it. */
static void make_free(struct chunk_header *c)
{
    c->flags = 0;
    c->pad = 0;
    c->caller = 0;
    c->magic = CHUNK_MAGIC;
    *(uint32_t *)((char *)c + c->size - 4) = c->size;
    next_chunk(c)->flags |= CHUNK_PREV_FREE;
    list_insert(c);
}

/* The top chunk's header, after its start or end moved. */
static void set_top(struct chunk_header *top)
{
    __toy_heap_top = top;
    top->size = top_size();
    top->flags = 0;
    top->pad = 0;
    top->caller = 0;
    top->magic = CHUNK_MAGIC;
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
    set_top(__toy_heap_top);
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

/* What a chunk in use says about its request: n bytes asked for by caller. */
static void *in_use(struct chunk_header *c, size_t n, uint32_t caller)
{
    c->pad = (uint16_t)(c->size - HDR - n);
    c->caller = caller;
    c->magic = CHUNK_MAGIC;
    return c + 1;
}

static void *mmap_chunk(uint32_t need, size_t n, uint32_t caller)
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
    __toy_mmap_chunks++;
    __toy_mmap_bytes += len;
    return in_use(c, n, caller);
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

/* The free chunk the policy picks for `need` bytes, or NULL. */
static struct chunk_header *find_fit(uint32_t need)
{
    struct chunk_header *c, *best = NULL, *start;
    int b;
    switch (__toy_malloc_policy) {
    case CHUNK_POLICY_FIRST:
        for (c = __toy_free_lists[0]; c; c = links(c)->next)
            if (c->size >= need)
                return c;
        return NULL;
    case CHUNK_POLICY_BEST:
        for (c = __toy_free_lists[0]; c; c = links(c)->next)
            if (c->size >= need && (!best || c->size < best->size)) {
                best = c;
                if (c->size == need)
                    break;
            }
        return best;
    case CHUNK_POLICY_NEXT:
        start = rover ? rover : __toy_free_lists[0];
        for (c = start; c; c = links(c)->next)
            if (c->size >= need)
                return c;
        for (c = __toy_free_lists[0]; c && c != start; c = links(c)->next)
            if (c->size >= need)
                return c;
        return NULL;
    default:
        b = list_of(need);
        for (c = __toy_free_lists[b]; c; c = links(c)->next)
            if (c->size >= need)
                return c;
        for (b++; !c && b < (int)CHUNK_NLISTS; b++)
            c = __toy_free_lists[b];
        return c;
    }
}

/* Takes the policy's free chunk of at least `need` bytes off its list and
 * marks it in use.  NULL if there is none. */
static struct chunk_header *take_free(uint32_t need)
{
    struct chunk_header *c = find_fit(need);
    if (!c)
        return NULL;
    list_remove(c);
    c->flags = CHUNK_INUSE;
    next_chunk(c)->flags &= ~CHUNK_PREV_FREE;
    split(c, need);
    if (__toy_malloc_policy == CHUNK_POLICY_NEXT) {
        /* Go on from the rest of this chunk, if it was split off. */
        struct chunk_header *after = next_chunk(c);
        if (after != __toy_heap_top && !(after->flags & CHUNK_INUSE))
            rover = after;
    }
    return c;
}

/* Carves `need` bytes from the front of the top chunk, growing it first. */
static struct chunk_header *take_from_top(uint32_t need)
{
    if (grow_top(need + HDR) < 0)           /* top keeps at least a header */
        return NULL;
    struct chunk_header *c = __toy_heap_top;
    set_top((struct chunk_header *)((char *)c + need));
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
    if (!policy_known)
        choose_policy();
    uint32_t need = chunk_size(n);
    if (need == 0) {
        errno = ENOMEM;
        return NULL;
    }
    if (need >= MMAP_THRESHOLD) {
        void *p = mmap_chunk(need, n, caller);
        if (p)
            return p;
    }
    struct chunk_header *c = take_free(need);
    if (!c)
        c = take_from_top(need);
    if (!c) {
        /* The break would not move: fall back to a mapping, like glibc. */
        void *p = need < MMAP_THRESHOLD ? mmap_chunk(need, n, caller) : NULL;
        if (!p)
            errno = ENOMEM;
        return p;
    }
    return in_use(c, n, caller);
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
        list_remove(prev);
        prev->size += c->size;
        c->magic = 0;
        c = prev;
    }
    struct chunk_header *next = next_chunk(c);
    if (next == __toy_heap_top) {
        next->magic = 0;
        set_top(c);
        trim_top();
        return;
    }
    if (!(next->flags & CHUNK_INUSE)) {
        list_remove(next);
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
        __toy_mmap_chunks--;
        __toy_mmap_bytes -= c->size;
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

/* Makes heap chunk c (in use) `need` bytes long without moving it, if the
 * chunk behind it (the top, or a free chunk) has the room. */
static int resize_in_place(struct chunk_header *c, uint32_t need)
{
    if (need <= c->size) {
        split(c, need);
        return 1;
    }
    struct chunk_header *next = next_chunk(c);
    if (next == __toy_heap_top) {
        if (grow_top(need - c->size + HDR) < 0)
            return 0;
        next->magic = 0;
        c->size = need;
        set_top(next_chunk(c));
        return 1;
    }
    if (!(next->flags & CHUNK_INUSE) && c->size + next->size >= need) {
        list_remove(next);
        c->size += next->size;
        next->magic = 0;
        next_chunk(c)->flags &= ~CHUNK_PREV_FREE;
        split(c, need);
        return 1;
    }
    return 0;
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
    if (c->flags & CHUNK_MMAPPED ? align_up(need, PAGE) == c->size
                                 : resize_in_place(c, need))
        return in_use(c, n, caller);
    /* Move: new block, copy what fits, free the old one. */
    void *q = malloc_from(n, caller);
    if (!q)
        return NULL;
    uint32_t old = c->size - HDR - c->pad;
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

/* The format, one line each:
 *   malloc_dump: policy NAME, heap 0xSTART-0xEND (N bytes)
 *   chunk 0xADDR size N used requested N caller 0xADDR
 *   chunk 0xADDR size N free next 0xADDR prev 0xADDR
 *   chunk 0xADDR size N top
 *   chunk 0xADDR damaged: size N magic 0xMAGIC        (and the walk stops)
 *   mmapped: N chunks, N bytes
 * Addresses are chunk headers (the user pointer is 16 bytes on). */
void malloc_dump(int fd)
{
    dprintf(fd, "malloc_dump: policy %s, heap 0x%08x-0x%08x (%u bytes)\n", malloc_policy(),
            (uint32_t)(uintptr_t)__toy_heap_start, (uint32_t)(uintptr_t)__toy_heap_end,
            (uint32_t)(__toy_heap_end - __toy_heap_start));
    char *p = __toy_heap_start;
    while (p && p < __toy_heap_end) {
        struct chunk_header *c = (struct chunk_header *)p;
        uint32_t at = (uint32_t)(uintptr_t)p;
        if (c->magic != CHUNK_MAGIC || c->size < HDR || c->size % 16 != 0 ||
            c->size > (uint32_t)(__toy_heap_end - p)) {
            dprintf(fd, "chunk 0x%08x damaged: size %u magic 0x%08x\n", at, c->size, c->magic);
            break;
        }
        if (c == __toy_heap_top)
            dprintf(fd, "chunk 0x%08x size %u top\n", at, c->size);
        else if (c->flags & CHUNK_INUSE)
            dprintf(fd, "chunk 0x%08x size %u used requested %u caller 0x%08x\n", at, c->size,
                    c->size - HDR - c->pad, c->caller);
        else
            dprintf(fd, "chunk 0x%08x size %u free next 0x%08x prev 0x%08x\n", at, c->size,
                    (uint32_t)(uintptr_t)links(c)->next, (uint32_t)(uintptr_t)links(c)->prev);
        p += c->size;
    }
    dprintf(fd, "mmapped: %u chunks, %u bytes\n", __toy_mmap_chunks, __toy_mmap_bytes);
}
