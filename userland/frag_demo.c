/* frag_demo.c - the same frees and mallocs under each placement policy,
 * and the holes each one leaves.
 *
 *   toyemu run --env MALLOC_POLICY=first userland/frag_demo     (or best, next;
 *   toyemu run userland/frag_demo                                 unset: bins)
 *
 * Five blocks of different sizes are made with a small fence block after
 * each, then freed: five holes the fences keep apart.  Six requests follow.
 * Where each one lands depends on the policy: first fit takes the lowest
 * hole that is big enough, best fit the smallest, next fit goes on from
 * where the last search stopped, and the default bins look in the
 * request's size class first.  The leftovers of split holes are the
 * fragmentation: free bytes too small or too scattered for the next
 * request, which then has to come from the top of the heap.
 *
 * The program walks the heap itself by <toy/chunk.h> and prints offsets
 * from the heap's start, so its output is the same natively and under
 * toyemu (whose heap inspector shows the same chunks: --report, or `heap`
 * in toyemu debug).
 */
#include <stdio.h>
#include <stdlib.h>
#include <toy/chunk.h>
#include <toy/malloc.h>

#define NHOLES 5
#define NASK 6
#define BYTES_PER_CHAR 32
#define CHARS_PER_LINE 64

static const unsigned hole_sizes[NHOLES] = { 1000, 300, 600, 200, 1500 };
static const unsigned asks[NASK] = { 180, 280, 580, 900, 1400, 200 };

static unsigned offset(const void *p)
{
    return (unsigned)((const char *)p - __toy_heap_start);
}

/* The last chunk of the heap, the top (the contract's walk). */
static char *top_chunk(void)
{
    char *p = __toy_heap_start;
    while (p + ((struct chunk_header *)p)->size < __toy_heap_end)
        p += ((struct chunk_header *)p)->size;
    return p;
}

/* Each hole's chunk, [start, end) as offsets, taken before the requests. */
static unsigned hole_start[NHOLES], hole_end[NHOLES];

static void where(unsigned off, unsigned top, char *out, size_t n)
{
    for (int i = 0; i < NHOLES; i++)
        if (off >= hole_start[i] && off < hole_end[i]) {
            snprintf(out, n, "hole %d (%u bytes)", i, hole_end[i] - hole_start[i]);
            return;
        }
    snprintf(out, n, off >= top ? "the top chunk: no hole fitted" : "what was left of a split hole");
}

/* One character per BYTES_PER_CHAR bytes up to the top chunk: '#' in use,
 * '.' free.  Then the figures. */
static void picture(void)
{
    unsigned holes = 0, hole_bytes = 0, largest = 0, col = 0;
    char *top = top_chunk();
    for (char *p = __toy_heap_start; p < top;) {
        struct chunk_header *c = (struct chunk_header *)p;
        int used = c->flags & CHUNK_INUSE;
        if (!used) {
            holes++;
            hole_bytes += c->size;
            if (c->size > largest)
                largest = c->size;
        }
        for (unsigned n = 0; n < c->size / BYTES_PER_CHAR; n++) {
            if (col % CHARS_PER_LINE == 0)
                printf("%s  +0x%04x ", col ? "\n" : "", col * BYTES_PER_CHAR);
            putchar(used ? '#' : '.');
            col++;
        }
        p += c->size;
    }
    printf("\n  (one character is %d bytes: # in use, . free; then the top chunk at +0x%04x)\n",
           BYTES_PER_CHAR, offset(top));
    printf("  %u holes, %u bytes free in them, the largest %u bytes\n", holes, hole_bytes, largest);
}

int main(void)
{
    char *holes[NHOLES];
    printf("frag_demo: policy %s\n", malloc_policy());
    for (int i = 0; i < NHOLES; i++) {
        holes[i] = malloc(hole_sizes[i]);
        malloc(16);                         /* a fence, kept to the end */
    }
    for (int i = 0; i < NHOLES; i++)
        free(holes[i]);
    printf("five blocks freed between fences leave five holes (sizes with their headers):\n");
    for (int i = 0; i < NHOLES; i++) {
        hole_start[i] = offset(holes[i]) - CHUNK_HEADER_SIZE;
        hole_end[i] = hole_start[i] + ((struct chunk_header *)holes[i] - 1)->size;
        printf("  hole %d at +0x%04x: %u bytes\n", i, hole_start[i], hole_end[i] - hole_start[i]);
    }
    unsigned top = offset(top_chunk());
    picture();
    printf("then six requests:\n");
    for (int i = 0; i < NASK; i++) {
        char *p = malloc(asks[i]);
        unsigned off = offset(p) - CHUNK_HEADER_SIZE;
        char in[64];
        where(off, top, in, sizeof in);
        printf("  malloc(%4u) -> +0x%04x, from %s\n", asks[i], off, in);
    }
    picture();
    printf("exiting with all of it allocated: toyemu run --report shows the same chunks\n");
    return 0;
}
