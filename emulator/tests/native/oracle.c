/* The CPU oracle: runs integer instructions on boundary values and prints,
 * for each, the inputs, the result, EFLAGS and the 16 conditions (setcc).
 * The same binary runs natively (the host CPU is the reference) and in
 * toyemu; tests/native_oracle.rs compares the two outputs, ignoring the
 * flags the Intel SDM leaves undefined.
 *
 * Then the BCD adjustments: daa das aaa aas over every AL with every AF/CF
 * input, aam over every AL and aad over every AL and several AH, each with
 * several bases (aam 0 is a #DE: tests/native_segments.rs checks it).
 *
 * Build: gcc -m32 -O1 -ffreestanding -nostdlib -static -fno-pic -no-pie
 * Line format: name a b fin result eflags conds (hex)
 */
typedef unsigned int u32;

static char buf[8192];
static int pos;

static void flush(void)
{
    int r;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(4), "b"(1), "c"(buf), "d"(pos) : "memory");
    pos = 0;
}

static void put(const char *s)
{
    while (*s)
        buf[pos++] = *s++;
}

static void hex(u32 v)
{
    int i;
    for (i = 28; i >= 0; i -= 4)
        buf[pos++] = "0123456789abcdef"[(v >> i) & 15];
    buf[pos++] = ' ';
}

static void line(const char *name, u32 a, u32 b, u32 fin, u32 r, u32 fl, u32 cc)
{
    put(name);
    buf[pos++] = ' ';
    hex(a);
    hex(b);
    hex(fin);
    hex(r);
    hex(fl & 0xed5); /* status flags and DF */
    hex(cc);
    buf[pos - 1] = '\n';
    if (pos > (int)sizeof buf - 200)
        flush();
}

/* After the instruction: EFLAGS, then all 16 conditions as a bit mask. */
#define SAVE                                                                    \
    "pushfl\n\tpopl %[fl]\n\t"                                                  \
    "seto 0(%[cc])\n\tsetno 1(%[cc])\n\tsetb 2(%[cc])\n\tsetae 3(%[cc])\n\t"    \
    "sete 4(%[cc])\n\tsetne 5(%[cc])\n\tsetbe 6(%[cc])\n\tseta 7(%[cc])\n\t"    \
    "sets 8(%[cc])\n\tsetns 9(%[cc])\n\tsetp 10(%[cc])\n\tsetnp 11(%[cc])\n\t"  \
    "setl 12(%[cc])\n\tsetge 13(%[cc])\n\tsetle 14(%[cc])\n\tsetg 15(%[cc])\n\t"

static u32 mask(const unsigned char *c)
{
    u32 m = 0;
    int i;
    for (i = 0; i < 16; i++)
        m |= (u32)c[i] << i;
    return m;
}

/* dst op= src, sizes by register modifier: b (8), w (16), k (32). */
#define BIN(NAME, INSN, M)                                                      \
    static void t_##NAME(u32 a, u32 b, u32 fin)                                 \
    {                                                                           \
        u32 a0 = a, fl;                                                         \
        unsigned char c[16];                                                    \
        __asm__ volatile("pushl %[fin]\n\tpopfl\n\t" INSN " %" M "[b], %" M     \
                         "[a]\n\t" SAVE                                         \
                         : [a] "+q"(a), [fl] "=&r"(fl)                          \
                         : [b] "q"(b), [fin] "r"(fin), [cc] "r"(c)              \
                         : "cc", "memory");                                     \
        line(#NAME, a0, b, fin, a, fl, mask(c));                                \
    }

/* op dst */
#define UN(NAME, INSN, M)                                                       \
    static void t_##NAME(u32 a, u32 b, u32 fin)                                 \
    {                                                                           \
        u32 a0 = a, fl;                                                         \
        unsigned char c[16];                                                    \
        (void)b;                                                                \
        __asm__ volatile("pushl %[fin]\n\tpopfl\n\t" INSN " %" M "[a]\n\t" SAVE \
                         : [a] "+q"(a), [fl] "=&r"(fl)                          \
                         : [fin] "r"(fin), [cc] "r"(c)                          \
                         : "cc", "memory");                                     \
        line(#NAME, a0, 0, fin, a, fl, mask(c));                                \
    }

/* shift/rotate dst by CL (count b) */
#define SH(NAME, INSN, M)                                                       \
    static void t_##NAME(u32 a, u32 b, u32 fin)                                 \
    {                                                                           \
        u32 a0 = a, fl;                                                         \
        unsigned char c[16];                                                    \
        __asm__ volatile("pushl %[fin]\n\tpopfl\n\t" INSN " %%cl, %" M          \
                         "[a]\n\t" SAVE                                         \
                         : [a] "+q"(a), [fl] "=&r"(fl)                          \
                         : "c"(b), [fin] "r"(fin), [cc] "r"(c)                  \
                         : "cc", "memory");                                     \
        line(#NAME, a0, b, fin, a, fl, mask(c));                                \
    }

/* shld/shrd dst, src(edx), CL: the count is b & 31, the source a ^ b */
#define SHD(NAME, INSN, M)                                                      \
    static void t_##NAME(u32 a, u32 b, u32 fin)                                 \
    {                                                                           \
        u32 a0 = a, fl, src = ~a;                                               \
        unsigned char c[16];                                                    \
        __asm__ volatile("pushl %[fin]\n\tpopfl\n\t" INSN " %%cl, %" M          \
                         "[s], %" M "[a]\n\t" SAVE                              \
                         : [a] "+r"(a), [fl] "=&r"(fl)                          \
                         : "c"(b), [s] "r"(src), [fin] "r"(fin), [cc] "r"(c)    \
                         : "cc", "memory");                                     \
        line(#NAME, a0, b, fin, a, fl, mask(c));                                \
    }

#define ALU3(OP)                                                                \
    BIN(OP##b, #OP "b", "b")                                                    \
    BIN(OP##w, #OP "w", "w")                                                    \
    BIN(OP##l, #OP "l", "k")

ALU3(add) ALU3(or) ALU3(adc) ALU3(sbb) ALU3(and) ALU3(sub) ALU3(xor) ALU3(cmp) ALU3(test)
BIN(imulw2, "imulw", "w") BIN(imull2, "imull", "k")
BIN(bsfw, "bsfw", "w") BIN(bsfl, "bsfl", "k") BIN(bsrw, "bsrw", "w") BIN(bsrl, "bsrl", "k")
BIN(btw, "btw", "w") BIN(btl, "btl", "k") BIN(btsl, "btsl", "k") BIN(btrl, "btrl", "k")
BIN(btcl, "btcl", "k") BIN(btcw, "btcw", "w")
BIN(xaddb, "xaddb", "b") BIN(xaddl, "xaddl", "k")

#define UN3(OP)                                                                 \
    UN(OP##b, #OP "b", "b")                                                     \
    UN(OP##w, #OP "w", "w")                                                     \
    UN(OP##l, #OP "l", "k")
UN3(inc) UN3(dec) UN3(neg) UN3(not)

#define SH3(OP)                                                                 \
    SH(OP##b, #OP "b", "b")                                                     \
    SH(OP##w, #OP "w", "w")                                                     \
    SH(OP##l, #OP "l", "k")
SH3(shl) SH3(shr) SH3(sar) SH3(rol) SH3(ror) SH3(rcl) SH3(rcr)
SHD(shldl, "shldl", "k") SHD(shrdl, "shrdl", "k") SHD(shldw, "shldw", "w") SHD(shrdw, "shrdw", "w")

/* cmpxchg: accumulator a, destination register b, source ~a */
#define CX(NAME, INSN, M)                                                       \
    static void t_##NAME(u32 a, u32 b, u32 fin)                                 \
    {                                                                           \
        u32 a0 = a, fl, d = b, s = ~a;                                          \
        unsigned char c[16];                                                    \
        __asm__ volatile("pushl %[fin]\n\tpopfl\n\t" INSN " %" M "[s], %" M     \
                         "[d]\n\t" SAVE                                         \
                         : "+a"(a), [d] "+q"(d), [fl] "=&r"(fl)                 \
                         : [s] "q"(s), [fin] "r"(fin), [cc] "r"(c)              \
                         : "cc", "memory");                                     \
        line(#NAME, a0, b, fin, a ^ d, fl, mask(c));                            \
    }
CX(cmpxchgb, "cmpxchgb", "b") CX(cmpxchgl, "cmpxchgl", "k")

/* One-operand multiply: EDX:EAX (or AX) = EAX * b. Result line holds EAX^EDX*3. */
#define MUL1(NAME, INSN, M)                                                     \
    static void t_##NAME(u32 a, u32 b, u32 fin)                                 \
    {                                                                           \
        u32 a0 = a, fl, d = 0x5555aaaa;                                         \
        unsigned char c[16];                                                    \
        __asm__ volatile("pushl %[fin]\n\tpopfl\n\t" INSN " %" M "[b]\n\t" SAVE \
                         : "+a"(a), "+d"(d), [fl] "=&r"(fl)                     \
                         : [b] "q"(b), [fin] "r"(fin), [cc] "r"(c)              \
                         : "cc", "memory");                                     \
        line(#NAME, a0, b, fin, a ^ (d * 3), fl, mask(c));                      \
    }
MUL1(mulb, "mulb", "b") MUL1(mulw, "mulw", "w") MUL1(mull, "mull", "k")
MUL1(imulb, "imulb", "b") MUL1(imulw, "imulw", "w") MUL1(imull, "imull", "k")

/* Unsigned divide of (b-1 mod b):a by b — the quotient always fits. */
#define DIV1(NAME, INSN, M, HI, MASK)                                           \
    static void t_##NAME(u32 a, u32 b, u32 fin)                                 \
    {                                                                           \
        u32 a0 = a, fl, d, dv = b & MASK, hi;                                   \
        unsigned char c[16];                                                    \
        if (dv == 0)                                                            \
            return;                                                             \
        hi = (a >> 3) % dv;                                                     \
        d = HI ? hi : 0x5555aaaa;                                               \
        if (!HI)                                                                \
            a = (a & ~0xffffu) | ((hi << 8) | (a & 0xff));                      \
        __asm__ volatile("pushl %[fin]\n\tpopfl\n\t" INSN " %" M "[b]\n\t" SAVE \
                         : "+a"(a), "+d"(d), [fl] "=&r"(fl)                     \
                         : [b] "q"(dv), [fin] "r"(fin), [cc] "r"(c)             \
                         : "cc", "memory");                                     \
        line(#NAME, a0, b, fin, a ^ (d * 3), fl, mask(c));                      \
    }
DIV1(divb, "divb", "b", 0, 0xffu) DIV1(divw, "divw", "w", 1, 0xffffu) DIV1(divl, "divl", "k", 1, 0xffffffffu)

/* Signed divide of sign-extended a by b, skipping the one overflow. */
#define IDIV1(NAME, INSN, M, EXT, T, MIN)                                       \
    static void t_##NAME(u32 a, u32 b, u32 fin)                                 \
    {                                                                           \
        u32 a0 = a, fl, d = 0x5555aaaa;                                         \
        unsigned char c[16];                                                    \
        if ((T)b == 0 || ((T)b == -1 && (T)a == MIN))                           \
            return;                                                             \
        __asm__ volatile(EXT "\n\tpushl %[fin]\n\tpopfl\n\t" INSN " %" M        \
                         "[b]\n\t" SAVE                                         \
                         : "+a"(a), "+d"(d), [fl] "=&r"(fl)                     \
                         : [b] "q"(b), [fin] "r"(fin), [cc] "r"(c)              \
                         : "cc", "memory");                                     \
        line(#NAME, a0, b, fin, a ^ (d * 3), fl, mask(c));                      \
    }
IDIV1(idivb, "idivb", "b", "cbtw", signed char, -128)
IDIV1(idivw, "idivw", "w", "cwtd", short, -32768) IDIV1(idivl, "idivl", "k", "cltd", int, (int)0x80000000)

/* imul r, r/m, imm */
static void t_imull3(u32 a, u32 b, u32 fin)
{
    u32 a0 = a, fl, r;
    unsigned char c[16];
    __asm__ volatile("pushl %[fin]\n\tpopfl\n\timull $-7, %[a], %[r]\n\t" SAVE
                     : [r] "=&r"(r), [fl] "=&r"(fl)
                     : [a] "r"(a), [fin] "r"(fin), [cc] "r"(c)
                     : "cc", "memory");
    line("imull3", a0, b, fin, r, fl, mask(c));
}

/* lahf/sahf round trip: AH from b, then lahf. */
static void t_sahf(u32 a, u32 b, u32 fin)
{
    u32 fl, r = b << 8;
    unsigned char c[16];
    (void)a;
    __asm__ volatile("pushl %[fin]\n\tpopfl\n\tsahf\n\tmovb $0, %%ah\n\tlahf\n\t" SAVE
                     : "+a"(r), [fl] "=&r"(fl)
                     : [fin] "r"(fin), [cc] "r"(c)
                     : "cc", "memory");
    line("sahf", 0, b, fin, r, fl, mask(c));
}

/* Decimal adjustments of AL (AX for aaa/aas): a = EAX in. */
#define BCD(NAME)                                                               \
    static void t_##NAME(u32 a, u32 b, u32 fin)                                 \
    {                                                                           \
        u32 a0 = a, fl;                                                         \
        unsigned char c[16];                                                    \
        __asm__ volatile("pushl %[fin]\n\tpopfl\n\t" #NAME "\n\t" SAVE        \
                         : "+a"(a), [fl] "=&r"(fl)                              \
                         : [fin] "r"(fin), [cc] "r"(c)                          \
                         : "cc", "memory");                                     \
        line(#NAME, a0, b, fin, a, fl, mask(c));                                \
    }
BCD(daa) BCD(das) BCD(aaa) BCD(aas)

/* aam and aad with an immediate base (b). */
#define AAX(NAME, BASE)                                                         \
    static void t_##NAME##BASE(u32 a, u32 fin)                                  \
    {                                                                           \
        u32 a0 = a, fl;                                                         \
        unsigned char c[16];                                                    \
        __asm__ volatile("pushl %[fin]\n\tpopfl\n\t" #NAME " $" #BASE "\n\t" SAVE \
                         : "+a"(a), [fl] "=&r"(fl)                              \
                         : [fin] "r"(fin), [cc] "r"(c)                          \
                         : "cc", "memory");                                     \
        line(#NAME, a0, BASE, fin, a, fl, mask(c));                             \
    }
#define BASES(X, N) X(N, 10) X(N, 16) X(N, 7) X(N, 2) X(N, 1) X(N, 255) X(N, 128) X(N, 3)
BASES(AAX, aam) BASES(AAX, aad) AAX(aad, 0)

typedef void (*aax_fn)(u32, u32);
#define AAX_FN(N, BASE) t_##N##BASE,
static const aax_fn aam_tests[] = {BASES(AAX_FN, aam)};
static const aax_fn aad_tests[] = {BASES(AAX_FN, aad) t_aad0};

/* Every AL with each AF/CF input, for several AH; aam over every AL, aad
   over every AL with several AH. */
static void bcd_tests(void)
{
    static const u32 ahs[] = {0x00, 0x01, 0x09, 0x12, 0x55, 0x99, 0xff};
    static const u32 fl_in[] = {0x202, 0x203, 0x212, 0x213, 0xac6};
    unsigned al, h, f, t;
    for (al = 0; al < 256; al++)
        for (h = 0; h < sizeof ahs / sizeof ahs[0]; h++) {
            u32 ax = 0xabcd0000 | ahs[h] << 8 | al;
            for (f = 0; f < sizeof fl_in / sizeof fl_in[0]; f++) {
                t_daa(ax, 0, fl_in[f]);
                t_das(ax, 0, fl_in[f]);
                t_aaa(ax, 0, fl_in[f]);
                t_aas(ax, 0, fl_in[f]);
            }
            for (t = 0; t < sizeof aad_tests / sizeof aad_tests[0]; t++)
                aad_tests[t](ax, fl_in[h % 5]);
            if (h == 3)
                for (t = 0; t < sizeof aam_tests / sizeof aam_tests[0]; t++) {
                    aam_tests[t](ax, 0x202);
                    aam_tests[t](ax, 0xad7);
                }
        }
}

typedef void (*test_fn)(u32, u32, u32);

static const test_fn tests[] = {
#define T3(OP) t_##OP##b, t_##OP##w, t_##OP##l,
    T3(add) T3(or) T3(adc) T3(sbb) T3(and) T3(sub) T3(xor) T3(cmp) T3(test)
    T3(inc) T3(dec) T3(neg) T3(not)
    T3(shl) T3(shr) T3(sar) T3(rol) T3(ror) T3(rcl) T3(rcr)
    t_shldl, t_shrdl, t_shldw, t_shrdw,
    t_imulw2, t_imull2, t_imull3, t_bsfw, t_bsfl, t_bsrw, t_bsrl,
    t_btw, t_btl, t_btsl, t_btrl, t_btcl, t_btcw, t_xaddb, t_xaddl,
    t_cmpxchgb, t_cmpxchgl,
    T3(mul) T3(imul) t_divb, t_divw, t_divl, t_idivb, t_idivw, t_idivl, t_sahf,
};

static const u32 vals[] = {
    0, 1, 2, 7, 8, 9, 0xf, 0x10, 0x1f, 0x20, 0x21, 0x7f, 0x80, 0x81, 0xff, 0x100,
    0x7fff, 0x8000, 0xffff, 0x10000, 0x7fffffff, 0x80000000, 0x80000001,
    0xfffffffe, 0xffffffff, 0x12345678, 0xedcba987,
};

/* Status flags all clear / all set (IF and bit 1 as the kernel leaves them). */
static const u32 fins[] = {0x202, 0xad7};

void _start(void)
{
    unsigned t, i, j, k;
    for (t = 0; t < sizeof tests / sizeof tests[0]; t++)
        for (i = 0; i < sizeof vals / sizeof vals[0]; i++)
            for (j = 0; j < sizeof vals / sizeof vals[0]; j++)
                for (k = 0; k < 2; k++)
                    tests[t](vals[i], vals[j], fins[k]);
    bcd_tests();
    flush();
    __asm__ volatile("int $0x80" ::"a"(1), "b"(0));
    for (;;)
        ;
}
