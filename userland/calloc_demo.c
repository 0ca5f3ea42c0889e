/* calloc_demo.c - calloc zeroes and malloc does not; realloc grows in
 * place when it can and moves when it must.
 *
 *   toyemu run userland/calloc_demo        (toyemu debug: `heap` at any point)
 *
 * A block is filled with 'x' and freed; malloc of the same size gets the
 * same place back with the old bytes still in it (but the first 8, which
 * held the free list's links, and the last 4, a copy of the free chunk's
 * size).  calloc gets the place too, and zeroes it.
 * Then realloc: a block before the top grows in place (the top gives the
 * room); with a block behind it in use it has to move, copying what it
 * held; it shrinks in place; and it grows in place into a free chunk
 * behind it.
 *
 * Heap addresses are printed as the program sees them and as offsets from
 * the heap's start; without address randomisation they are the same
 * natively and under toyemu.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <toy/chunk.h>

static void show(const char *what, const void *p)
{
    printf("%-40s %p (heap+0x%04x)\n", what, p, (unsigned)((const char *)p - __toy_heap_start));
}

static int count(const unsigned char *p, int n, int c)
{
    int k = 0;
    for (int i = 0; i < n; i++)
        k += p[i] == c;
    return k;
}

int main(void)
{
    char *a = malloc(64);
    char *fence = malloc(16);               /* keeps `a` off the top when freed */
    memset(a, 'x', 64);
    show("malloc(64), filled with 'x':", a);
    free(a);
    unsigned char *m = malloc(64);
    show("after free, malloc(64):", m);
    printf("  %s place; %d of its 64 bytes still hold 'x'\n", (char *)m == a ? "the same" : "another",
           count(m, 64, 'x'));
    free(m);
    unsigned char *c = calloc(16, 4);
    show("after free, calloc(16, 4):", c);
    printf("  %s place; %d of its 64 bytes are zero\n", (char *)c == a ? "the same" : "another",
           count(c, 64, 0));

    char *r = malloc(100);
    strcpy(r, "kept across every realloc");
    show("malloc(100), just before the top:", r);
    char *g = realloc(r, 1000);
    show("realloc(1000):", g);
    printf("  %s: the top chunk behind it gave the room\n", g == r ? "grew in place" : "moved");
    char *behind = malloc(32);
    char *h = realloc(g, 5000);
    show("with a block behind, realloc(5000):", h);
    printf("  %s: the block behind is in use; the text came along: \"%s\"\n",
           h == g ? "grew in place" : "moved", h);
    char *s = realloc(h, 200);
    show("realloc(200):", s);
    printf("  %s: the rest went back to the free space\n", s == h ? "shrank in place" : "moved");

    char *x = malloc(200), *y = malloc(200), *fence2 = malloc(16);
    free(y);
    char *z = realloc(x, 350);
    show("realloc(200 -> 350), free chunk behind:", z);
    printf("  %s: it took the freed block behind it\n", z == x ? "grew in place" : "moved");

    free(z);
    free(fence2);
    free(s);
    free(behind);
    free(c);
    free(fence);
    return 0;
}
