/* Compiled C as the CPU sees it: a few small integer programs, built at
 * -O0 and -O2 (tests/native_programs.rs), run natively and in toyemu; the
 * printed output must be identical. Freestanding: no libc, no libgcc (so
 * no 64-bit division), only the write and exit syscalls.
 */
typedef unsigned int u32;
typedef unsigned long long u64;

static char out[4096];
static int pos;

static void flush(void)
{
    int r;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(4), "b"(1), "c"(out), "d"(pos) : "memory");
    pos = 0;
}

static void putc_(char c)
{
    out[pos++] = c;
    if (pos == sizeof out)
        flush();
}

static void puts_(const char *s)
{
    while (*s)
        putc_(*s++);
}

static void putu(u32 v)
{
    char b[12];
    int n = 0;
    do
        b[n++] = '0' + v % 10;
    while (v /= 10);
    while (n)
        putc_(b[--n]);
}

static void putx64(u64 v)
{
    int i;
    for (i = 60; i >= 0; i -= 4)
        putc_("0123456789abcdef"[(v >> i) & 15]);
}

static void kv(const char *k, u32 v)
{
    puts_(k);
    putc_('=');
    putu(v);
    putc_('\n');
}

/* gcc turns these loops into rep stos/movs or calls to memset/memcpy. */
void *memset(void *d, int c, unsigned n)
{
    unsigned char *p = d;
    while (n--)
        *p++ = (unsigned char)c;
    return d;
}

void *memcpy(void *d, const void *s, unsigned n)
{
    unsigned char *p = d;
    const unsigned char *q = s;
    while (n--)
        *p++ = *q++;
    return d;
}

static unsigned strlen_(const char *s)
{
    unsigned n = 0;
    while (s[n])
        n++;
    return n;
}

static u32 rng = 12345;
static u32 next(void)
{
    rng = rng * 1103515245u + 12345u;
    return rng >> 8;
}

static void sort(int *a, int n)
{
    int i, j;
    for (i = 1; i < n; i++) {
        int v = a[i];
        for (j = i - 1; j >= 0 && a[j] > v; j--)
            a[j + 1] = a[j];
        a[j + 1] = v;
    }
}

static void quicksort(short *a, int lo, int hi)
{
    while (lo < hi) {
        short p = a[(lo + hi) / 2];
        int i = lo, j = hi;
        while (i <= j) {
            while (a[i] < p)
                i++;
            while (a[j] > p)
                j--;
            if (i <= j) {
                short t = a[i];
                a[i++] = a[j];
                a[j--] = t;
            }
        }
        if (j - lo < hi - i) {
            quicksort(a, lo, j);
            lo = i;
        } else {
            quicksort(a, i, hi);
            hi = j;
        }
    }
}

static u32 crc32(const unsigned char *p, unsigned n)
{
    u32 c = ~0u;
    int k;
    while (n--) {
        c ^= *p++;
        for (k = 0; k < 8; k++)
            c = (c >> 1) ^ (0xedb88320u & -(c & 1));
    }
    return ~c;
}

struct big {
    int a[37];
    char tag[11];
};

static struct big make(int seed)
{
    struct big b;
    int i;
    for (i = 0; i < 37; i++)
        b.a[i] = seed * i - 100;
    for (i = 0; i < 10; i++)
        b.tag[i] = 'a' + (seed + i) % 26;
    b.tag[10] = 0;
    return b;
}

static int classify(int x)
{
    switch (x % 11) {
    case 0: return 7;
    case 1: return x * 3;
    case 2: return x ^ 0x55;
    case 3: return -x;
    case 4: return x >> 2;
    case 5: return (unsigned)x >> 3;
    case 6: return x & 0xf0f;
    case 7: return x | 1;
    case 8: return x / 7;
    case 9: return x % 13;
    default: return x * x;
    }
}

static int fib(int n)
{
    return n < 2 ? n : fib(n - 1) + fib(n - 2);
}

static int (*const ops[])(int) = {classify, fib};

static u64 mul64(u64 a, u64 b) { return a * b; }
static u64 shifts64(u64 a, int s) { return (a << s) ^ (a >> (63 - s)) ^ (u64)((long long)a >> (s & 31)); }

static int sieve(void)
{
    static unsigned char comp[20000];
    int i, j, n = 0;
    for (i = 2; i < 20000; i++) {
        if (comp[i])
            continue;
        n++;
        for (j = i * 2; j < 20000; j += i)
            comp[j] = 1;
    }
    return n;
}

static int bits(u32 x)
{
    u32 p = x - ((x >> 1) & 0x55555555u);
    p = (p & 0x33333333u) + ((p >> 2) & 0x33333333u);
    p = (((p + (p >> 4)) & 0x0f0f0f0fu) * 0x01010101u) >> 24;
    return (int)p * 1000 + (x ? __builtin_ctz(x) * 37 + __builtin_clz(x) : 99);
}

void _start(void)
{
    static int a[300];
    static short s[500];
    static char text[200];
    struct big b1, b2;
    int i;
    u32 acc = 0;
    u64 w = 0x0123456789abcdefULL;

    for (i = 0; i < 300; i++)
        a[i] = (int)(next() % 20001) - 10000;
    sort(a, 300);
    for (i = 1; i < 300; i++)
        acc += (a[i - 1] <= a[i]) + (u32)a[i] * i;
    kv("sorted", acc);

    for (i = 0; i < 500; i++)
        s[i] = (short)next();
    quicksort(s, 0, 499);
    acc = 0;
    for (i = 0; i < 500; i++)
        acc = acc * 31 + (unsigned short)s[i];
    kv("qsort", acc);

    memset(text, 'x', sizeof text - 1);
    text[sizeof text - 1] = 0;
    memcpy(text + 10, "hello, toyemu", 13);
    kv("strlen", strlen_(text));
    kv("crc", crc32((const unsigned char *)text, sizeof text));

    b1 = make(3);
    b2 = b1;
    b2.a[5] += 1;
    acc = 0;
    for (i = 0; i < 37; i++)
        acc += b2.a[i] - b1.a[i];
    puts_(b2.tag);
    putc_('\n');
    kv("struct", acc);

    acc = 0;
    for (i = -50; i < 400; i += 3)
        acc = acc * 7 + (u32)ops[0](i);
    kv("switch", acc);
    kv("fib", (u32)ops[1](20));

    for (i = 0; i < 40; i++) {
        w = mul64(w, 0x9e3779b97f4a7c15ULL) + (u64)i;
        w ^= shifts64(w, i % 63);
    }
    putx64(w);
    putc_('\n');

    kv("primes", (u32)sieve());
    acc = 0;
    for (i = 0; i < 200; i++)
        acc += (u32)bits(next() << (i % 9));
    kv("bits", acc);
    {
        int x = -7, y = 3;
        unsigned char c = 200;
        signed char sc = -100;
        kv("div", (u32)(x / y) + (u32)(x % y) * 100 + (u32)(c / 7) * 10000 + (u32)(sc / 3));
    }
    flush();
    __asm__ volatile("int $0x80" ::"a"(1), "b"(0));
    for (;;)
        ;
}
