/* qsort and bsearch: integers, strings and structs, with comparators that
 * give a total order so the result is fully determined. Exit codes: 1 not
 * sorted, 2 bsearch missed a present key, 3 bsearch found an absent key,
 * 4 struct order wrong. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int cmp_int(const void *a, const void *b)
{
    int x = *(const int *)a, y = *(const int *)b;
    return (x > y) - (x < y);
}

static int cmp_str(const void *a, const void *b)
{
    return strcmp(*(const char *const *)a, *(const char *const *)b);
}

struct rec {
    int key;
    double weight;
    char name[12];
};

static int cmp_rec(const void *a, const void *b)
{
    const struct rec *x = a, *y = b;
    if (x->weight != y->weight)
        return x->weight < y->weight ? -1 : 1;
    return x->key - y->key;
}

int main(void)
{
    enum { N = 5000 };
    static int v[N];
    unsigned s = 7;
    for (int i = 0; i < N; i++) {
        s = s * 69069u + 1;
        v[i] = (int)(s >> 3) % 100000 - 50000;
    }
    qsort(v, N, sizeof v[0], cmp_int);
    for (int i = 1; i < N; i++)
        if (v[i - 1] > v[i])
            return 1;
    long long sum = 0;
    for (int i = 0; i < N; i += 500)
        printf("v[%d]=%d\n", i, v[i]);
    for (int i = 0; i < N; i++)
        sum += (long long)v[i] * (i + 1);
    printf("weighted sum %lld\n", sum);
    int found = 0, absent = 0;
    for (int k = -50000; k < 50000; k += 37) {
        int *p = bsearch(&k, v, N, sizeof v[0], cmp_int);
        if (p) {
            if (*p != k)
                return 2;
            found++;
        } else
            absent++;
    }
    for (int i = 0; i < N; i += 97)
        if (!bsearch(&v[i], v, N, sizeof v[0], cmp_int))
            return 2;
    int big = 1 << 30;
    if (bsearch(&big, v, N, sizeof v[0], cmp_int))
        return 3;
    printf("bsearch: %d found, %d absent\n", found, absent);

    const char *words[] = {"pear", "apple", "fig", "banana", "cherry", "date", "elderberry",
                           "grape", "kiwi", "lemon", "Mango", "apple pie", "", "zucchini", "apricot"};
    size_t nw = sizeof words / sizeof words[0];
    qsort(words, nw, sizeof words[0], cmp_str);
    for (size_t i = 0; i < nw; i++)
        printf("%s%s", i ? "," : "", words[i]);
    printf("\n");
    for (size_t i = 1; i < nw; i++)
        if (strcmp(words[i - 1], words[i]) > 0)
            return 1;
    const char *key = "kiwi";
    const char **hit = bsearch(&key, words, nw, sizeof words[0], cmp_str);
    printf("kiwi at %d\n", hit ? (int)(hit - words) : -1);

    static struct rec r[300];
    for (int i = 0; i < 300; i++) {
        r[i].key = i;
        r[i].weight = (double)((i * 37) % 17) / 4.0;
        snprintf(r[i].name, sizeof r[i].name, "rec%03d", i);
    }
    qsort(r, 300, sizeof r[0], cmp_rec);
    for (int i = 1; i < 300; i++)
        if (cmp_rec(&r[i - 1], &r[i]) >= 0)
            return 4;
    for (int i = 0; i < 300; i += 30)
        printf("%s %.2f\n", r[i].name, r[i].weight);
    /* degenerate inputs */
    qsort(v, 0, sizeof v[0], cmp_int);
    qsort(v, 1, sizeof v[0], cmp_int);
    if (bsearch(&big, v, 0, sizeof v[0], cmp_int))
        return 3;
    return 0;
}
