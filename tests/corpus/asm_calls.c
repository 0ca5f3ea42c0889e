// asm_calls.c - calling conventions and control flow: stdcall (ret $n), fastcall, regparm, struct return through a hidden pointer, varargs, jump tables, indirect calls, recursion, variable-size stack frames, push/pop of memory.
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(cond, code) do { if (!(cond)) { printf("FAIL line %d: %s\n", __LINE__, #cond); exit(code); } } while (0)

static __attribute__((noinline, stdcall)) int std3(int a, int b, int c) { return a * 100 + b * 10 + c; }
static __attribute__((noinline, fastcall)) int fast3(int a, int b, int c) { return a - b * c; }
static __attribute__((noinline, regparm(3))) int reg3(int a, int b, int c) { return (a << 8) ^ (b << 4) ^ c; }

struct triple { int32_t a, b, c; };
static __attribute__((noinline)) struct triple make_triple(int x)      /* returned via hidden pointer, ret $4 */
{
    struct triple t = { x, x * x, -x };
    return t;
}

struct big { char name[40]; uint32_t vals[10]; };
static __attribute__((noinline)) struct big pass_big(struct big b, int k)  /* struct copied on the stack */
{
    for (int i = 0; i < 10; i++)
        b.vals[i] = b.vals[i] * (uint32_t)k + (uint32_t)i;
    b.name[0] = 'X';
    return b;
}

static int sum_ints(int n, ...)
{
    va_list ap;
    va_start(ap, n);
    int s = 0;
    for (int i = 0; i < n; i++)
        s += va_arg(ap, int) * (i + 1);
    va_end(ap);
    return s;
}

static long long sum_mixed(int n, ...)
{
    va_list ap;
    va_start(ap, n);
    long long s = 0;
    for (int i = 0; i < n; i++)
        s += (i & 1) ? va_arg(ap, long long) : (long long)va_arg(ap, int);
    va_end(ap);
    return s;
}

static __attribute__((noipa)) int dispatch(int op, int a, int b)
{
    switch (op) {                       /* dense: a jump table at -O2 */
    case 0: return a + b;
    case 1: return a - b;
    case 2: return a * b;
    case 3: return b ? a / b : 0;
    case 4: return a & b;
    case 5: return a | b;
    case 6: return a ^ b;
    case 7: return (int)((unsigned)a << (b & 31));
    case 8: return a >> (b & 31);
    case 9: return a == b;
    case 10: return a < b;
    case 11: return -a;
    default: return 0x7777;
    }
}

static int ack(int m, int n)
{
    if (m == 0)
        return n + 1;
    if (n == 0)
        return ack(m - 1, 1);
    return ack(m - 1, ack(m, n - 1));
}

static uint32_t hanoi(int n, int from, int to, int via, uint32_t acc)
{
    if (n == 0)
        return acc;
    acc = hanoi(n - 1, from, via, to, acc);
    acc = acc * 7 + (uint32_t)(from * 3 + to);
    return hanoi(n - 1, via, to, from, acc);
}

static __attribute__((noipa)) uint32_t vla_sum(int n)
{
    uint32_t arr[n];                    /* sub %reg, %esp */
    for (int i = 0; i < n; i++)
        arr[i] = (uint32_t)(i * i);
    uint32_t s = 0;
    for (int i = n - 1; i >= 0; i--)
        s = s * 3 + arr[i];
    return s;
}

static int add1(int x) { return x + 1; }
static int dbl(int x) { return x * 2; }
static int sq(int x) { return x * x; }
static int (*const chain[])(int) = { add1, dbl, sq, add1, dbl };

static uint32_t push_pop_mem(uint32_t *a, uint32_t *b)
{
    /* swap two memory words through the stack */
    __asm__ volatile("pushl (%0)\n\tpushl (%1)\n\tpopl (%0)\n\tpopl (%1)" : : "r"(a), "r"(b) : "memory");
    uint32_t v;
    __asm__ volatile("pushl $-5\n\tpushl $0x12345678\n\tpopl %0\n\taddl (%%esp), %0\n\taddl $4, %%esp" : "=r"(v) : : "cc");
    return v;
}

int main(void)
{
    CHECK(std3(1, 2, 3) == 123, 1);
    CHECK(fast3(10, 3, 4) == -2, 2);
    CHECK(reg3(1, 2, 3) == (256 ^ 32 ^ 3), 3);
    struct triple t = make_triple(-9);
    CHECK(t.a == -9 && t.b == 81 && t.c == 9, 4);
    struct big b;
    memset(&b, 0, sizeof b);
    strcpy(b.name, "original");
    for (int i = 0; i < 10; i++)
        b.vals[i] = (uint32_t)(i + 1);
    struct big c = pass_big(b, 3);
    CHECK(b.name[0] == 'o' && c.name[0] == 'X' && c.vals[9] == 39 && b.vals[9] == 10, 5);
    CHECK(sum_ints(5, 1, 2, 3, 4, 5) == 55, 6);
    CHECK(sum_mixed(4, 7, 0x100000000ll, -3, -0x100000000ll) == 4, 7);

    uint32_t h = 0;
    for (int op = 0; op < 14; op++)
        for (int a = -20; a <= 20; a += 7)
            for (int bb = -3; bb <= 9; bb += 4)
                h = h * 31 + (uint32_t)dispatch(op, a, bb);
    printf("jump table checksum %08x\n", h);

    int x = 3;
    for (unsigned i = 0; i < sizeof chain / sizeof chain[0]; i++)
        x = chain[i](x);
    CHECK(x == 130, 8);

    printf("ackermann(2, 3) = %d, ackermann(3, 5) = %d\n", ack(2, 3), ack(3, 5));
    CHECK(ack(3, 5) == 253, 9);
    printf("hanoi(12) move checksum %08x\n", hanoi(12, 1, 3, 2, 0));
    printf("vla sums %u %u\n", vla_sum(10), vla_sum(1000));
    uint32_t m1 = 111, m2 = 222;
    uint32_t v = push_pop_mem(&m1, &m2);
    CHECK(m1 == 222 && m2 == 111 && v == 0x12345673, 10);
    printf("calls agree: std3 %d fast3 %d reg3 %d triple %d/%d/%d chain %d\n",
           std3(4, 5, 6), fast3(1, 2, 3), reg3(4, 5, 6), t.a, t.b, t.c, x);
    return 0;
}
