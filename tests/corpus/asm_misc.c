// asm_misc.c - loop, xchg, bswap, neg/not on memory, one-operand mul/imul (edx:eax), imul 2/3-operand, div/idiv in 8/16/32 bits, cbw/cwde/cwd/cdq, xadd, cmpxchg, movsx/movzx from memory, leave.
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#define CHECK(cond, code) do { if (!(cond)) { printf("FAIL line %d: %s\n", __LINE__, #cond); exit(code); } } while (0)

/* A function with a classic frame, written out: push ebp / mov esp,ebp /
 * locals / leave / ret.  frame_sum(a, b) = a + 2b, through two locals. */
int frame_sum(int a, int b);
__asm__(".pushsection .text\n"
        ".globl frame_sum\n"
        "frame_sum:\n"
        "    pushl %ebp\n"
        "    movl %esp, %ebp\n"
        "    subl $24, %esp\n"
        "    movl 8(%ebp), %eax\n"
        "    movl %eax, -4(%ebp)\n"
        "    movl 12(%ebp), %eax\n"
        "    addl %eax, %eax\n"
        "    movl %eax, -8(%ebp)\n"
        "    movl -4(%ebp), %eax\n"
        "    addl -8(%ebp), %eax\n"
        "    leave\n"
        "    ret\n"
        ".popsection\n");

static uint32_t loop_count(uint32_t n)
{
    uint32_t iters = 0;
    __asm__ volatile("1:\n\tincl %0\n\tloop 1b" : "+r"(iters), "+c"(n) : : "cc");
    return iters;
}

static uint32_t h;
static void mix(uint32_t v) { h = (h ^ v) * 16777619u; }

int main(void)
{
    uint32_t a = 0x11111111, b = 0x22222222;
    __asm__ volatile("xchgl %0, %1" : "+r"(a), "+r"(b));
    CHECK(a == 0x22222222 && b == 0x11111111, 1);
    uint32_t m = 5, reg = 9;
    __asm__ volatile("xchgl %0, %1" : "+m"(m), "+r"(reg) : : "memory");
    CHECK(m == 9 && reg == 5, 2);
    uint16_t x16 = 0x1234, y16 = 0xabcd;
    __asm__ volatile("xchgw %0, %1" : "+r"(x16), "+r"(y16));
    uint8_t x8 = 1, y8 = 2;
    __asm__ volatile("xchgb %0, %1" : "+q"(x8), "+q"(y8));
    CHECK(x16 == 0xabcd && y16 == 0x1234 && x8 == 2 && y8 == 1, 3);

    uint32_t v = 0x11223344;
    __asm__("bswap %0" : "+r"(v));
    CHECK(v == 0x44332211, 4);
    int32_t mem = 1234;
    __asm__ volatile("negl %0" : "+m"(mem) : : "cc");
    CHECK(mem == -1234, 5);
    __asm__ volatile("notl %0" : "+m"(mem));
    CHECK(mem == 1233, 6);
    uint8_t b8 = 0x80;
    __asm__ volatile("negb %0" : "+q"(b8) : : "cc");
    CHECK(b8 == 0x80, 7);

    CHECK(loop_count(1) == 1 && loop_count(1000) == 1000, 8);

    /* one-operand multiplies */
    uint32_t lo, hi;
    __asm__("mull %3" : "=a"(lo), "=d"(hi) : "0"(0xdeadbeefu), "rm"(0xcafebabeu) : "cc");
    CHECK(((uint64_t)hi << 32 | lo) == 0xdeadbeefull * 0xcafebabeull, 9);
    __asm__("imull %3" : "=a"(lo), "=d"(hi) : "0"(-123456789), "rm"(987654321) : "cc");
    CHECK((int64_t)((uint64_t)hi << 32 | lo) == -123456789ll * 987654321ll, 10);
    uint16_t ax, dx;
    __asm__("imulw %3" : "=a"(ax), "=d"(dx) : "0"((uint16_t)-300), "rm"((uint16_t)200) : "cc");
    CHECK((int32_t)((uint32_t)dx << 16 | ax) == -60000, 11);
    int32_t r3;
    __asm__("imull $-7, %1, %0" : "=r"(r3) : "rm"(100001) : "cc");
    CHECK(r3 == -700007, 12);
    __asm__("imull $100000, %1, %0" : "=r"(r3) : "rm"(-3) : "cc");
    CHECK(r3 == -300000, 13);
    r3 = 12345;
    __asm__("imull %1, %0" : "+r"(r3) : "rm"(-1000) : "cc");
    CHECK(r3 == -12345000, 14);
    int16_t r16 = 300;
    __asm__("imulw $-3, %0, %0" : "+r"(r16) : : "cc");
    CHECK(r16 == -900, 15);

    /* divides: 32 (edx:eax), 16 (dx:ax), 8 (ax) */
    uint32_t q, r;
    __asm__("divl %4" : "=a"(q), "=d"(r) : "0"(0x9abcdef0u), "1"(0x12345678u), "rm"(0x87654321u) : "cc");
    uint64_t n64 = 0x123456789abcdef0ull;
    CHECK(q == n64 / 0x87654321u && r == n64 % 0x87654321u, 16);
    int32_t sq, sr;
    __asm__("cltd\n\tidivl %3" : "=a"(sq), "=&d"(sr) : "0"(-1000001), "rm"(7) : "cc");
    CHECK(sq == -142857 && sr == -2, 17);
    uint16_t q16, r16u;
    __asm__("divw %4" : "=a"(q16), "=d"(r16u) : "0"((uint16_t)0x5678), "1"((uint16_t)0x0012), "rm"((uint16_t)0x1234) : "cc");
    CHECK(q16 == 0x125678u / 0x1234 && r16u == 0x125678u % 0x1234, 18);
    int16_t sq16, sr16;
    __asm__("cwtd\n\tidivw %3" : "=a"(sq16), "=&d"(sr16) : "0"((int16_t)-30000), "rm"((int16_t)7) : "cc");
    CHECK(sq16 == -4285 && sr16 == -5, 19);
    uint16_t ax8 = 1000;
    __asm__("divb %1" : "+a"(ax8) : "q"((uint8_t)7) : "cc");
    CHECK((ax8 & 0xff) == 142 && (ax8 >> 8) == 6, 20);
    ax8 = (uint16_t)-100;
    __asm__("idivb %1" : "+a"(ax8) : "q"((uint8_t)7) : "cc");
    CHECK((int8_t)(ax8 & 0xff) == -14 && (int8_t)(ax8 >> 8) == -2, 21);

    /* sign extensions of the accumulator */
    uint32_t e = 0x12345680;
    __asm__("cbtw" : "+a"(e));
    CHECK(e == 0x1234ff80, 22);
    e = 0x12348000;
    __asm__("cwtl" : "+a"(e));
    CHECK(e == 0xffff8000, 23);
    uint32_t ed = 0x5555;
    e = 0x00008000;
    __asm__("cwtd" : "+a"(e), "+d"(ed));
    CHECK(ed == 0xffff && e == 0x8000, 24);
    e = 0x80000000;
    __asm__("cltd" : "+a"(e), "=d"(ed));
    CHECK(ed == 0xffffffff, 25);
    e = 0x7fffffff;
    __asm__("cltd" : "+a"(e), "=d"(ed));
    CHECK(ed == 0, 26);

    /* xadd and cmpxchg without lock */
    uint32_t dst = 100, src = 23;
    __asm__("xaddl %1, %0" : "+r"(dst), "+r"(src) : : "cc");
    CHECK(dst == 123 && src == 100, 27);
    uint32_t target = 5, expect = 5, repl = 77;
    uint8_t ok;
    __asm__("cmpxchgl %3, %1\n\tsete %2" : "+a"(expect), "+m"(target), "=q"(ok) : "r"(repl) : "cc", "memory");
    CHECK(ok && target == 77 && expect == 5, 28);
    expect = 5;
    __asm__("cmpxchgl %3, %1\n\tsete %2" : "+a"(expect), "+m"(target), "=q"(ok) : "r"(repl) : "cc", "memory");
    CHECK(!ok && expect == 77 && target == 77, 29);

    /* sign and zero extending loads */
    static const uint8_t bytes[] = { 0x7f, 0x80, 0xff, 0x00, 0x34, 0x92 };
    int32_t s;
    uint32_t z;
    for (int i = 0; i < 5; i++) {
        __asm__("movsbl %1, %0" : "=r"(s) : "m"(bytes[i]));
        __asm__("movzbl %1, %0" : "=r"(z) : "m"(bytes[i]));
        mix((uint32_t)s);
        mix(z);
        uint16_t w = (uint16_t)(bytes[i] | bytes[i + 1] << 8);
        __asm__("movswl %1, %0" : "=r"(s) : "m"(w));
        __asm__("movzwl %1, %0" : "=r"(z) : "m"(w));
        mix((uint32_t)s);
        mix(z);
        uint16_t sw;
        __asm__("movsbw %1, %0" : "=r"(sw) : "q"(bytes[i]));
        mix(sw);
    }
    CHECK(frame_sum(3, 4) == 11 && frame_sum(-10, 5) == 0, 30);

    printf("misc instructions agree: divl q=%08x r=%08x, idivl %d r %d, idivw %d r %d\n",
           q, r, sq, sr, sq16, sr16);
    printf("extension checksum %08x\n", h);
    return 0;
}
