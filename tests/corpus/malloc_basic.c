// malloc_basic.c - malloc/free/calloc/realloc semantics: alignment, contents kept across realloc grow/shrink, reuse after free, calloc zeroing and overflow, malloc(0), usable sizes.
#include <errno.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond, code) do { if (!(cond)) { printf("FAIL line %d: %s\n", __LINE__, #cond); exit(code); } } while (0)

static int is_pattern(const uint8_t *p, size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++)
        if (p[i] != (uint8_t)(seed + i * 13))
            return 0;
    return 1;
}

static void pattern(uint8_t *p, size_t n, uint8_t seed)
{
    for (size_t i = 0; i < n; i++)
        p[i] = (uint8_t)(seed + i * 13);
}

int main(void)
{
    /* alignment and distinctness */
    void *ptrs[64];
    for (int i = 0; i < 64; i++) {
        ptrs[i] = malloc((size_t)i * 7);
        CHECK(ptrs[i] != NULL && ((uintptr_t)ptrs[i] & 15) == 0, 1);
        CHECK(malloc_usable_size(ptrs[i]) >= (size_t)i * 7, 2);
        for (int j = 0; j < i; j++)
            CHECK(ptrs[j] != ptrs[i], 3);
        memset(ptrs[i], i, (size_t)i * 7);
    }
    for (int i = 0; i < 64; i++)
        for (int k = 0; k < i * 7; k++)
            CHECK(((uint8_t *)ptrs[i])[k] == i, 4);
    for (int i = 0; i < 64; i += 2)
        free(ptrs[i]);

    /* free then malloc of the same size gets the same place back */
    void *a = malloc(200);
    free(a);
    void *b = malloc(200);
    CHECK(a == b, 5);
    free(b);
    free(NULL);

    /* calloc zeroes, even in a recycled chunk */
    uint8_t *dirty = malloc(512);
    memset(dirty, 0xee, 512);
    free(dirty);
    uint8_t *z = calloc(128, 4);
    CHECK(z != NULL, 6);
    for (int i = 0; i < 512; i++)
        CHECK(z[i] == 0, 7);
    errno = 0;
    CHECK(calloc(0x10000, 0x10001) == NULL && errno == ENOMEM, 8);   /* nmemb*size overflows */
    errno = 0;
    CHECK(malloc(0xfffffff0u) == NULL && errno == ENOMEM, 9);
    void *zero = malloc(0);
    CHECK(zero != NULL && zero != malloc(0), 10);

    /* realloc: grow keeps contents, shrink keeps the prefix, NULL acts as malloc */
    uint8_t *r = realloc(NULL, 100);
    pattern(r, 100, 7);
    for (size_t n = 150; n < 40000; n = n * 3 / 2) {
        r = realloc(r, n);
        CHECK(r && is_pattern(r, 100, 7), 11);
    }
    r = realloc(r, 50);
    CHECK(is_pattern(r, 50, 7), 12);
    r = realloc(r, 300000);                      /* into an mmap'd chunk */
    CHECK(is_pattern(r, 50, 7), 13);
    r[299999] = 1;
    r = realloc(r, 1000);                        /* and back into the heap */
    CHECK(is_pattern(r, 50, 7), 14);
    CHECK(realloc(r, 0) == NULL, 15);            /* frees */

    /* realloc in place when the next chunk is free */
    uint8_t *x = malloc(64), *y = malloc(64), *w = malloc(64);
    int adjacent = y == x + 80;                  /* 64 + 16-byte header */
    pattern(x, 64, 1);
    free(y);
    uint8_t *x2 = realloc(x, 120);
    CHECK(is_pattern(x2, 64, 1), 16);
    CHECK(!adjacent || x2 == x, 18);
    printf("x and y adjacent: %s; realloc grew x in place: %s\n", adjacent ? "yes" : "no",
           x2 == x ? "yes" : "no");
    free(x2);
    free(w);

    /* many small blocks of changing sizes */
    uint32_t h = 0;
    char *strs[100];
    for (int i = 0; i < 100; i++) {
        char tmp[64];
        int len = snprintf(tmp, sizeof tmp, "string number %d with %d stars: %.*s", i, i % 17, i % 17,
                           "*****************");
        strs[i] = strdup(tmp);
        CHECK(strlen(strs[i]) == (size_t)len, 17);
    }
    for (int i = 0; i < 100; i += 3) {
        free(strs[i]);
        strs[i] = NULL;
    }
    for (int i = 0; i < 100; i++)
        if (strs[i])
            for (const char *c = strs[i]; *c; c++)
                h = h * 31 + (uint8_t)*c;
    printf("malloc basics agree; string checksum %08x\n", h);
    printf("usable sizes: malloc(1) %u, malloc(16) %u, malloc(17) %u, malloc(0) %u\n",
           (unsigned)malloc_usable_size(malloc(1)), (unsigned)malloc_usable_size(malloc(16)),
           (unsigned)malloc_usable_size(malloc(17)), (unsigned)malloc_usable_size(zero));
    return 0;
}
