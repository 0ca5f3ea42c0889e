/* malloc, calloc, realloc and free under stress: many sizes from 1 byte to
 * past the mmap threshold, a fixed pseudo-random order of frees, reallocs
 * that grow and shrink, and every block's contents checked before it goes.
 * Prints only sizes and checksums (never addresses). Exit codes: 1 malloc
 * returned NULL, 2 a block's pattern was overwritten, 3 calloc memory not
 * zero, 4 realloc lost bytes, 5 misaligned pointer, 6 posix_memalign,
 * 7 final checksum mismatch. */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define SLOTS 512

static uint32_t seed = 12345;
static uint32_t next(void)
{
    seed = seed * 1103515245u + 12345u;
    return seed >> 8;
}

static unsigned char *blk[SLOTS];
static size_t len[SLOTS];
static unsigned char tag[SLOTS];

static size_t pick_size(void)
{
    uint32_t r = next() % 100;
    if (r < 50)
        return 1 + next() % 64;
    if (r < 80)
        return 65 + next() % 4000;
    if (r < 95)
        return 4096 + next() % 60000;
    return 128 * 1024 + next() % (512 * 1024); /* over the mmap threshold */
}

static int check(int i)
{
    for (size_t k = 0; k < len[i]; k++)
        if (blk[i][k] != (unsigned char)(tag[i] + k))
            return 0;
    return 1;
}

static void fill(int i)
{
    for (size_t k = 0; k < len[i]; k++)
        blk[i][k] = (unsigned char)(tag[i] + k);
}

int main(void)
{
    uint64_t total = 0, sum = 0;
    unsigned mallocs = 0, frees = 0, reallocs = 0, callocs = 0;
    for (int round = 0; round < 6000; round++) {
        int i = next() % SLOTS;
        if (blk[i]) {
            if (!check(i))
                return 2;
            if (next() % 3 == 0) {
                size_t nl = pick_size();
                unsigned char *p = realloc(blk[i], nl);
                if (!p)
                    return 1;
                size_t keep = nl < len[i] ? nl : len[i];
                for (size_t k = 0; k < keep; k++)
                    if (p[k] != (unsigned char)(tag[i] + k))
                        return 4;
                blk[i] = p;
                len[i] = nl;
                fill(i);
                reallocs++;
            } else {
                free(blk[i]);
                blk[i] = NULL;
                frees++;
            }
            continue;
        }
        len[i] = pick_size();
        tag[i] = (unsigned char)next();
        if (next() % 4 == 0) {
            blk[i] = calloc(1, len[i]);
            if (!blk[i])
                return 1;
            for (size_t k = 0; k < len[i]; k++)
                if (blk[i][k])
                    return 3;
            callocs++;
        } else {
            blk[i] = malloc(len[i]);
            if (!blk[i])
                return 1;
            mallocs++;
        }
        if ((uintptr_t)blk[i] % 8)
            return 5;
        fill(i);
        total += len[i];
    }
    /* Free what is left in an odd order: every third slot, then the rest backwards. */
    for (int pass = 0; pass < 2; pass++)
        for (int j = pass ? SLOTS - 1 : 0; pass ? j >= 0 : j < SLOTS; j += pass ? -1 : 3)
            if (blk[j]) {
                if (!check(j))
                    return 2;
                for (size_t k = 0; k < len[j]; k++)
                    sum += blk[j][k];
                free(blk[j]);
                blk[j] = NULL;
                frees++;
            }
    void *a = NULL;
    if (posix_memalign(&a, 4096, 10000) != 0 || (uintptr_t)a % 4096)
        return 6;
    memset(a, 0x5a, 10000);
    free(a);
    free(NULL);
    void *z = realloc(NULL, 100);
    if (!z)
        return 1;
    free(z);
    printf("mallocs %u callocs %u reallocs %u frees %u\n", mallocs, callocs, reallocs, frees);
    printf("bytes allocated %llu, checksum of survivors %llu\n", (unsigned long long)total, (unsigned long long)sum);
    if (sum == 0)
        return 7;
    return 0;
}
