// malloc_stress.c - thousands of pseudo-random malloc/free/realloc operations, small and large, each block filled with a pattern that is checked before it is freed.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define CHECK(cond, code) do { if (!(cond)) { printf("FAIL line %d op %d: %s\n", __LINE__, op, #cond); exit(code); } } while (0)
#define SLOTS 256

static uint32_t seed = 20240501;
static uint32_t rnd(void)
{
    seed ^= seed << 13;
    seed ^= seed >> 17;
    seed ^= seed << 5;
    return seed;
}

struct slot {
    uint8_t *p;
    uint32_t size;
    uint8_t tag;
};
static struct slot slots[SLOTS];

static void fill(struct slot *s)
{
    for (uint32_t i = 0; i < s->size; i += (s->size > 4096 ? 509 : 1))
        s->p[i] = (uint8_t)(s->tag + i);
    if (s->size)
        s->p[s->size - 1] = s->tag;
}

static int intact(const struct slot *s, uint32_t upto)
{
    uint32_t n = upto < s->size ? upto : s->size;
    for (uint32_t i = 0; i < n; i += (s->size > 4096 ? 509 : 1))
        if (i != s->size - 1 && s->p[i] != (uint8_t)(s->tag + i))
            return 0;
    return upto < s->size || s->size == 0 || s->p[s->size - 1] == s->tag;
}

static uint32_t pick_size(void)
{
    uint32_t r = rnd();
    switch (r % 16) {
    case 0: return 0;
    case 1: return 131000 + r % 100000;        /* around the mmap threshold */
    case 2: case 3: return 4096 + r % 20000;
    default: return 1 + r % 300;
    }
}

int main(void)
{
    char *start = sbrk(0);
    long max_break = 0;
    uint32_t mallocs = 0, frees = 0, reallocs = 0;
    for (int op = 0; op < 20000; op++) {
        struct slot *s = &slots[rnd() % SLOTS];
        uint32_t action = rnd() % 8;
        if (s->p == NULL && action < 7) {
            s->size = pick_size();
            s->p = malloc(s->size);
            CHECK(s->p != NULL && ((uintptr_t)s->p & 15) == 0, 1);
            s->tag = (uint8_t)op;
            fill(s);
            mallocs++;
        } else if (action < 5) {
            CHECK(intact(s, s->size), 2);
            free(s->p);
            s->p = NULL;
            frees++;
        } else if (s->p) {
            uint32_t n = pick_size();
            if (n == 0)
                n = 1;
            uint8_t *q = realloc(s->p, n);
            CHECK(q != NULL, 3);
            s->p = q;
            CHECK(intact(s, n), 4);
            s->size = n;
            s->tag = (uint8_t)(op * 7);
            fill(s);
            reallocs++;
        }
        long b = (char *)sbrk(0) - start;
        if (b > max_break)
            max_break = b;
    }
    uint32_t h = 0;
    int live = 0;
    for (int op = 0; op < SLOTS; op++)
        if (slots[op].p) {
            CHECK(intact(&slots[op], slots[op].size), 5);
            h = h * 31 + slots[op].size;
            live++;
        }
    printf("%u mallocs, %u frees, %u reallocs; %d blocks live, size checksum %08x\n",
           mallocs, frees, reallocs, live, h);
    printf("break: at most %ld past the start, now %ld\n", max_break, (long)((char *)sbrk(0) - start));
    for (int op = 0; op < SLOTS; op++)
        free(slots[op].p);
    printf("after freeing everything the break is %ld past the start\n", (long)((char *)sbrk(0) - start));
    return 0;
}
