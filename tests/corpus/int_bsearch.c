// int_bsearch.c - binary searches (lower/upper bound, libc bsearch, search over a monotone function), integer square and cube roots, and a tiny bytecode interpreter driven by a switch.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond, code) do { if (!(cond)) { printf("FAIL line %d: %s\n", __LINE__, #cond); exit(code); } } while (0)
#define N 5000

static int32_t v[N];

static int lower_bound(const int32_t *a, int n, int32_t key)
{
    int lo = 0, hi = n;
    while (lo < hi) {
        int mid = (lo + hi) >> 1;
        if (a[mid] < key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int upper_bound(const int32_t *a, int n, int32_t key)
{
    int lo = 0, hi = n;
    while (lo < hi) {
        int mid = lo + (hi - lo) / 2;
        if (a[mid] <= key)
            lo = mid + 1;
        else
            hi = mid;
    }
    return lo;
}

static int cmp(const void *a, const void *b)
{
    int32_t x = *(const int32_t *)a, y = *(const int32_t *)b;
    return x < y ? -1 : x > y;
}

static uint32_t isqrt(uint32_t x)
{
    uint32_t lo = 0, hi = 65536;
    while (hi - lo > 1) {
        uint32_t mid = (lo + hi) / 2;
        if ((uint64_t)mid * mid <= x)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

static uint32_t icbrt(uint64_t x)
{
    uint32_t lo = 0, hi = 2642246;           /* cbrt(2^64) */
    while (hi - lo > 1) {
        uint32_t mid = (lo + hi) / 2;
        if ((uint64_t)mid * mid * mid <= x)
            lo = mid;
        else
            hi = mid;
    }
    return lo;
}

/* a stack machine: enough to compute things in a loop */
enum { PUSH, ADD, SUB, MUL, DUP, SWAP, OVER, ROT, JNZ, DEC, DROP, MOD, HALT };

static int32_t run(const int32_t *code)
{
    int32_t stack[32];
    int sp = 0, pc = 0;
    for (;;) {
        switch (code[pc++]) {
        case PUSH: stack[sp++] = code[pc++]; break;
        case ADD: sp--; stack[sp - 1] += stack[sp]; break;
        case SUB: sp--; stack[sp - 1] -= stack[sp]; break;
        case MUL: sp--; stack[sp - 1] *= stack[sp]; break;
        case MOD: sp--; stack[sp - 1] %= stack[sp]; break;
        case DUP: stack[sp] = stack[sp - 1]; sp++; break;
        case SWAP: { int32_t t = stack[sp - 1]; stack[sp - 1] = stack[sp - 2]; stack[sp - 2] = t; break; }
        case OVER: stack[sp] = stack[sp - 2]; sp++; break;
        case ROT: { int32_t t = stack[sp - 3]; stack[sp - 3] = stack[sp - 2]; stack[sp - 2] = stack[sp - 1]; stack[sp - 1] = t; break; }
        case DEC: stack[sp - 1]--; break;
        case DROP: sp--; break;
        case JNZ: { int32_t t = code[pc++]; if (stack[sp - 1]) pc = t; break; }
        case HALT: return stack[sp - 1];
        default: return -1;
        }
    }
}

int main(void)
{
    uint32_t s = 99;
    for (int i = 0; i < N; i++) {
        s = s * 69069u + 1;
        v[i] = (int32_t)(s % 20000) - 10000;
    }
    qsort(v, N, sizeof v[0], cmp);
    uint32_t h = 0;
    for (int32_t key = -10050; key <= 10050; key += 37) {
        int lb = lower_bound(v, N, key), ub = upper_bound(v, N, key);
        CHECK(lb <= ub && (lb == N || v[lb] >= key) && (lb == 0 || v[lb - 1] < key), 1);
        CHECK((ub == N || v[ub] > key) && (ub == 0 || v[ub - 1] <= key), 2);
        int32_t *found = bsearch(&key, v, N, sizeof v[0], cmp);
        CHECK((found != NULL) == (ub > lb), 3);
        h = h * 31 + (uint32_t)lb * 7 + (uint32_t)(ub - lb);
    }
    printf("bounds checksum %08x\n", h);

    uint64_t sum = 0;
    for (uint32_t x = 0; x < 2000000; x += 997) {
        uint32_t r = isqrt(x);
        CHECK((uint64_t)r * r <= x && (uint64_t)(r + 1) * (r + 1) > x, 4);
        sum += r;
    }
    printf("isqrt(0xffffffff) = %u, isqrt sum %llu, icbrt(10^18) = %u, icbrt(2^63) = %u\n",
           isqrt(0xffffffffu), (unsigned long long)sum, icbrt(1000000000000000000ull), icbrt(1ull << 63));
    CHECK(isqrt(0xffffffffu) == 65535 && icbrt(1000000000000000000ull) == 1000000, 5);

    /* 10! with a loop: acc n -> acc*n n-1 ... */
    static const int32_t fact[] = { PUSH, 1, PUSH, 10,
                                    /* 4: */ DUP, SWAP, DROP, SWAP, OVER, MUL, SWAP, DEC, JNZ, 4,
                                    DROP, HALT };
    /* sum of i*i mod 7 for i = 1000..1 */
    static const int32_t sq[] = { PUSH, 0, PUSH, 1000,
                                  /* 4: */ DUP, DUP, MUL, PUSH, 7, MOD, ROT, ADD, SWAP, DEC, JNZ, 4,
                                  DROP, HALT };
    int32_t f = run(fact);
    int32_t q = run(sq), want = 0;
    for (int i = 1; i <= 1000; i++)
        want += i * i % 7;
    printf("bytecode: 10! = %d, sum of i*i mod 7 for i <= 1000 = %d\n", f, q);
    CHECK(f == 3628800, 6);
    CHECK(q == want, 7);
    return 0;
}
