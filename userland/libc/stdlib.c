/* stdlib.c - process start and exit, number parsing, small utilities.
 *
 * __toy_start is where crt0's _start lands: it receives the address of argc
 * on the initial stack and lays out the rest from there (argv, envp, auxv),
 * then calls main(argc, argv, envp) and exits with its return value.
 */
#include <assert.h>
#include <errno.h>
#include <limits.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <unistd.h>
#include <ctype.h>

char **environ;
unsigned long *__auxv;

extern int main(int argc, char **argv, char **envp);

__attribute__((noreturn, used)) void __toy_start(long *sp)
{
    int argc = (int)sp[0];
    char **argv = (char **)(sp + 1);
    char **envp = argv + argc + 1;
    char **p = envp;
    while (*p)
        p++;
    environ = envp;
    __auxv = (unsigned long *)(p + 1);
    exit(main(argc, argv, envp));
}

unsigned long getauxval(unsigned long type)
{
    for (unsigned long *a = __auxv; a && a[0] != AT_NULL; a += 2)
        if (a[0] == type)
            return a[1];
    errno = ENOENT;
    return 0;
}

char *getenv(const char *name)
{
    size_t n = strlen(name);
    for (char **e = environ; e && *e; e++)
        if (strncmp(*e, name, n) == 0 && (*e)[n] == '=')
            return *e + n + 1;
    return NULL;
}

/* ---- exit ---- */

#define ATEXIT_MAX 32
static void (*atexit_fns[ATEXIT_MAX])(void);
static int atexit_count;

int atexit(void (*fn)(void))
{
    if (atexit_count == ATEXIT_MAX)
        return -1;
    atexit_fns[atexit_count++] = fn;
    return 0;
}

/* Set by malloc when MALLOC_DUMP asks for its heap walk at exit. */
void (*__toy_malloc_exit_hook)(void);

/* Runs the atexit handlers, newest first, then malloc's dump if asked,
 * then ends the process with exit_group.  stdio keeps no buffers, so
 * there is nothing to flush. */
__attribute__((noreturn)) void exit(int status)
{
    while (atexit_count > 0)
        atexit_fns[--atexit_count]();
    if (__toy_malloc_exit_hook)
        __toy_malloc_exit_hook();
    _exit(status);
}

__attribute__((noreturn)) void __assert_fail(const char *expr, const char *file, int line)
{
    dprintf(2, "%s:%d: assertion failed: %s\n", file, line, expr);
    abort();
}

/* ---- number parsing ---- */

static int digit_value(int c)
{
    if (c >= '0' && c <= '9')
        return c - '0';
    if (c >= 'a' && c <= 'z')
        return c - 'a' + 10;
    if (c >= 'A' && c <= 'Z')
        return c - 'A' + 10;
    return 99;
}

/* Parses [space][sign][prefix]digits.  Returns the magnitude; *neg is the
 * sign, *ovf says the magnitude did not fit in 64 bits.  *end (if given)
 * points after the last digit used, or at s when there was no number. */
static unsigned long long parse(const char *s, char **end, int base, int *neg, int *ovf)
{
    const char *p = s;
    *neg = 0;
    *ovf = 0;
    if (base < 0 || base == 1 || base > 36) {
        errno = EINVAL;
        if (end)
            *end = (char *)s;
        return 0;
    }
    while (isspace((unsigned char)*p))
        p++;
    if (*p == '-' || *p == '+')
        *neg = *p++ == '-';
    if ((base == 0 || base == 16) && p[0] == '0' && (p[1] == 'x' || p[1] == 'X') &&
        digit_value((unsigned char)p[2]) < 16) {
        p += 2;
        base = 16;
    } else if (base == 0) {
        base = p[0] == '0' ? 8 : 10;
    }
    unsigned long long v = 0;
    const char *first = p;
    int d;
    while ((d = digit_value((unsigned char)*p)) < base) {
        if (__builtin_mul_overflow(v, (unsigned)base, &v) ||
            __builtin_add_overflow(v, (unsigned)d, &v))
            *ovf = 1;
        p++;
    }
    if (end)
        *end = (char *)(p == first ? s : p);
    return *ovf ? ULLONG_MAX : v;
}

/* A parsed magnitude as a signed value of a type whose largest value is
 * `max` (its smallest is -max - 1): clamped, with ERANGE, when it does not fit. */
static long long to_signed(unsigned long long m, int neg, int ovf, unsigned long long max)
{
    if (ovf || m > max + (neg ? 1 : 0)) {
        errno = ERANGE;
        return neg ? -(long long)max - 1 : (long long)max;
    }
    return neg ? (long long)(0 - m) : (long long)m;
}

long long strtoll(const char *s, char **end, int base)
{
    int neg, ovf;
    unsigned long long m = parse(s, end, base, &neg, &ovf);
    return to_signed(m, neg, ovf, LLONG_MAX);
}

unsigned long long strtoull(const char *s, char **end, int base)
{
    int neg, ovf;
    unsigned long long m = parse(s, end, base, &neg, &ovf);
    if (ovf) {
        errno = ERANGE;
        return ULLONG_MAX;
    }
    return neg ? -m : m;
}

long strtol(const char *s, char **end, int base)
{
    int neg, ovf;
    unsigned long long m = parse(s, end, base, &neg, &ovf);
    return (long)to_signed(m, neg, ovf, LONG_MAX);
}

unsigned long strtoul(const char *s, char **end, int base)
{
    int neg, ovf;
    unsigned long long m = parse(s, end, base, &neg, &ovf);
    if (ovf || m > ULONG_MAX) {
        errno = ERANGE;
        return ULONG_MAX;
    }
    return neg ? -(unsigned long)m : (unsigned long)m;
}

int atoi(const char *s)
{
    return (int)strtol(s, NULL, 10);
}

long atol(const char *s)
{
    return strtol(s, NULL, 10);
}

int abs(int x)
{
    return x < 0 ? -x : x;
}

long labs(long x)
{
    return x < 0 ? -x : x;
}

long long llabs(long long x)
{
    return x < 0 ? -x : x;
}

/* ---- sorting and searching ---- */

static void swap_bytes(char *a, char *b, size_t n)
{
    while (n--) {
        char t = *a;
        *a++ = *b;
        *b++ = t;
    }
}

/* Heapsort: O(n log n) always, no recursion, no extra memory.  Not
 * stable, like every qsort. */
static void sift_down(char *base, size_t root, size_t n, size_t size,
                      int (*cmp)(const void *, const void *))
{
    for (;;) {
        size_t child = 2 * root + 1;
        if (child >= n)
            return;
        if (child + 1 < n && cmp(base + child * size, base + (child + 1) * size) < 0)
            child++;
        if (cmp(base + root * size, base + child * size) >= 0)
            return;
        swap_bytes(base + root * size, base + child * size, size);
        root = child;
    }
}

void qsort(void *base, size_t n, size_t size, int (*cmp)(const void *, const void *))
{
    char *b = base;
    if (n < 2 || size == 0)
        return;
    for (size_t i = n / 2; i-- > 0;)
        sift_down(b, i, n, size, cmp);
    for (size_t end = n - 1; end > 0; end--) {
        swap_bytes(b, b + end * size, size);
        sift_down(b, 0, end, size, cmp);
    }
}

void *bsearch(const void *key, const void *base, size_t n, size_t size,
              int (*cmp)(const void *, const void *))
{
    size_t lo = 0, hi = n;
    while (lo < hi) {
        size_t mid = lo + (hi - lo) / 2;
        const char *e = (const char *)base + mid * size;
        int c = cmp(key, e);
        if (c == 0)
            return (void *)e;
        if (c < 0)
            hi = mid;
        else
            lo = mid + 1;
    }
    return NULL;
}

/* ---- pseudo-random numbers: a 32-bit LCG, the same sequence everywhere ---- */

static uint32_t rand_state = 1;

void srand(unsigned seed)
{
    rand_state = seed;
}

int rand(void)
{
    rand_state = rand_state * 1103515245u + 12345u;
    return (int)(rand_state >> 1);
}
