// int_sort.c - sorting: insertion sort, merge sort, libc qsort and a radix sort of the same pseudo-random data must agree.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond, code) do { if (!(cond)) { printf("FAIL line %d: %s\n", __LINE__, #cond); exit(code); } } while (0)
#define N 2000

static uint32_t seed = 12345;
static uint32_t next(void)
{
    seed = seed * 1664525u + 1013904223u;
    return seed;
}

static int32_t a[N], b[N], c[N], d[N], tmp[N];

static void insertion_sort(int32_t *v, int n)
{
    for (int i = 1; i < n; i++) {
        int32_t x = v[i];
        int j = i;
        while (j > 0 && v[j - 1] > x) {
            v[j] = v[j - 1];
            j--;
        }
        v[j] = x;
    }
}

static void merge_sort(int32_t *v, int lo, int hi)
{
    if (hi - lo < 2)
        return;
    int mid = lo + (hi - lo) / 2;
    merge_sort(v, lo, mid);
    merge_sort(v, mid, hi);
    int i = lo, j = mid, k = lo;
    while (i < mid && j < hi)
        tmp[k++] = v[i] <= v[j] ? v[i++] : v[j++];
    while (i < mid)
        tmp[k++] = v[i++];
    while (j < hi)
        tmp[k++] = v[j++];
    memcpy(v + lo, tmp + lo, (hi - lo) * sizeof v[0]);
}

static int cmp_int(const void *x, const void *y)
{
    int32_t p = *(const int32_t *)x, q = *(const int32_t *)y;
    return (p > q) - (p < q);
}

/* LSD radix sort on the bits of (x ^ 0x80000000), so negatives come first. */
static void radix_sort(int32_t *v, int n)
{
    static uint32_t buf[N];
    uint32_t *src = (uint32_t *)v, *dst = buf;
    for (int shift = 0; shift < 32; shift += 8) {
        unsigned count[257] = { 0 };
        for (int i = 0; i < n; i++)
            count[(((src[i] ^ 0x80000000u) >> shift) & 0xff) + 1]++;
        for (int i = 0; i < 256; i++)
            count[i + 1] += count[i];
        for (int i = 0; i < n; i++)
            dst[count[((src[i] ^ 0x80000000u) >> shift) & 0xff]++] = src[i];
        uint32_t *t = src;
        src = dst;
        dst = t;
    }
}

int main(void)
{
    for (int i = 0; i < N; i++)
        a[i] = (int32_t)next() >> (i % 7);       /* mixed magnitudes and signs */
    memcpy(b, a, sizeof a);
    memcpy(c, a, sizeof a);
    memcpy(d, a, sizeof a);

    insertion_sort(a, N);
    merge_sort(b, 0, N);
    qsort(c, N, sizeof c[0], cmp_int);
    radix_sort(d, N);

    for (int i = 1; i < N; i++)
        CHECK(a[i - 1] <= a[i], 1);
    CHECK(memcmp(a, b, sizeof a) == 0, 2);
    CHECK(memcmp(a, c, sizeof a) == 0, 3);
    CHECK(memcmp(a, d, sizeof a) == 0, 4);

    uint32_t h = 2166136261u;
    for (int i = 0; i < N; i++)
        h = (h ^ (uint32_t)a[i]) * 16777619u;
    printf("sorted %d numbers: min %d, median %d, max %d\n", N, a[0], a[N / 2], a[N - 1]);
    printf("checksum %08x\n", h);
    return 0;
}
