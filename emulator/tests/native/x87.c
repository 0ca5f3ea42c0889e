/* The x87 oracle: a random differential of x87 instructions.
 *
 * Usage: x87 SEED COUNT. For COUNT cases drawn from SEED: fninit, push 0-8
 * random 80-bit values (zeros, denormals, pseudo-denormals, infinities,
 * quiet and signalling NaNs, unsupported encodings, tiny, huge and
 * ordinary numbers, integers), load a random control word (rounding
 * control 0-3, precision control 24/53/64 bits, exceptions masked or, one
 * case in eight, some unmasked), fill a
 * memory operand with a random value of the instruction's format and
 * EFLAGS with random status flags, run one instruction, then fnsave (which
 * does not wait, so even an unmasked exception is only recorded) and print
 * the whole state: control, status and tag words, FOP, FIP, FDP, the eight
 * registers as raw 80-bit values in stack order, EFLAGS, AX and the
 * memory operand. The same binary runs natively and in toyemu;
 * tests/x87_oracle.rs compares the outputs.
 *
 * Line: name cw fin sw tw fop fip fdp st0..st7 eflags ax mem | inputs
 */
typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned long long u64;

static char buf[16384];
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

static void hexn(u64 v, int digits)
{
    int i;
    for (i = (digits - 1) * 4; i >= 0; i -= 4)
        buf[pos++] = "0123456789abcdef"[(v >> i) & 15];
    buf[pos++] = ' ';
}

static void hexbytes(const unsigned char *p, int n)
{
    int i;
    for (i = n - 1; i >= 0; i--) {
        buf[pos++] = "0123456789abcdef"[p[i] >> 4];
        buf[pos++] = "0123456789abcdef"[p[i] & 15];
    }
    buf[pos++] = ' ';
}

/* xorshift64* */
static u64 rs;
static u64 rnd(void)
{
    rs ^= rs >> 12;
    rs ^= rs << 25;
    rs ^= rs >> 27;
    return rs * 2685821657736338717ULL;
}
static u32 below(u32 n)
{
    return (u32)(rnd() >> 33) % n;
}

struct f80 {
    u64 m;
    u16 se;
} __attribute__((packed));

/* A random extended value. */
static struct f80 gen80(void)
{
    struct f80 v;
    u64 r = rnd();
    u16 sign = (rnd() & 1) ? 0x8000 : 0;
    switch (below(24)) {
    case 0: /* zero */
        v.m = 0;
        v.se = 0;
        break;
    case 1: /* infinity */
        v.m = 1ULL << 63;
        v.se = 0x7fff;
        break;
    case 2: /* quiet NaN */
        v.m = (3ULL << 62) | (below(2) ? 0 : r >> 2);
        v.se = 0x7fff;
        break;
    case 3: /* signalling NaN */
        v.m = (1ULL << 63) | ((r >> 2) | 1);
        v.se = 0x7fff;
        break;
    case 4: /* denormal */
        v.m = (r >> 1) >> below(63);
        if (!v.m)
            v.m = 1;
        v.se = 0;
        break;
    case 5: /* tiny normal */
        v.m = r | (1ULL << 63);
        v.se = 1 + below(70);
        break;
    case 6: /* huge */
        v.m = r | (1ULL << 63);
        v.se = 0x7ffe - below(70);
        break;
    case 7: /* a double's worth of bits, so rounding has ties and exact cases */
        v.m = (r | (1ULL << 63)) & ~0x7ffULL;
        v.se = 0x3fff - 40 + below(80);
        break;
    case 8: /* a float's worth */
        v.m = (r | (1ULL << 63)) & ~((1ULL << 40) - 1);
        v.se = 0x3fff - 20 + below(40);
        break;
    case 9: /* a small integer */
    {
        u64 n = 1 + below(5000);
        int lz = __builtin_clzll(n);
        v.m = n << lz;
        v.se = 0x3fff + 63 - lz;
        break;
    }
    case 10: /* near 1, 0.5 and 2 */
        v.m = (1ULL << 63) | (r >> (1 + below(63)));
        if (below(2))
            v.m = ~0ULL ^ (r >> (1 + below(63)));
        v.se = 0x3ffe + below(3);
        break;
    case 11: /* huge exponent range, for fscale and fprem */
        v.m = r | (1ULL << 63);
        v.se = 0x3fff - 16000 + below(32000);
        break;
    case 12: /* unsupported: unnormal or pseudo-NaN/infinity (J clear) */
        if (below(4))
            return gen80();
        v.m = r >> 1;
        v.se = below(2) ? 0x7fff : 1 + below(0x7ffe);
        break;
    case 13: /* pseudo-denormal (J set, exponent 0) */
        if (below(4))
            return gen80();
        v.m = r | (1ULL << 63);
        v.se = 0;
        break;
    default: /* ordinary numbers */
        v.m = r | (1ULL << 63);
        v.se = 0x3fff - 70 + below(140);
        break;
    }
    v.se |= sign;
    return v;
}

static u32 gen32(void)
{
    u32 s = (rnd() & 1) << 31, r = (u32)rnd();
    switch (below(10)) {
    case 0: return s;
    case 1: return s | 0x7f800000;
    case 2: return s | 0x7fc00000 | (r & 0x3fffff);
    case 3: return s | 0x7f800000 | ((r & 0x3fffff) | 1);
    case 4: return s | ((r & 0x7fffff) >> below(23));
    case 5: return s | ((1 + below(250)) << 23) | (r & 0x7fffff);
    default: return s | ((127 - 20 + below(40)) << 23) | (r & 0x7fffff);
    }
}

static u64 gen64(void)
{
    u64 s = (rnd() & 1) << 63, r = rnd() & ((1ULL << 52) - 1);
    switch (below(10)) {
    case 0: return s;
    case 1: return s | (0x7ffULL << 52);
    case 2: return s | (0xfffULL << 51) | (r >> 1);
    case 3: return s | (0x7ffULL << 52) | ((r >> 1) | 1);
    case 4: return s | (r >> below(52));
    case 5: return s | ((u64)(1 + below(2040)) << 52) | r;
    default: return s | ((u64)(1023 - 60 + below(120)) << 52) | r;
    }
}

static u64 genint(void)
{
    u64 r = rnd();
    switch (below(8)) {
    case 0: return 0;
    case 1: return (u64)(long long)(int)below(100) - 50;
    case 2: return 1ULL << 63;
    case 3: return 0x7fffffffffffffffULL;
    case 4: return (u64)(long long)(short)r;
    case 5: return (u64)(long long)(int)r;
    default: return r >> below(64);
    }
}

/* A random control word: RC 0-3, PC 24/53/64, exceptions masked but in
 * one case of eight some unmasked (fnsave does not wait, so an unmasked
 * exception is recorded, not delivered). */
static u16 gencw(void)
{
    static const u16 pc[] = {0x000, 0x200, 0x300};
    u16 masks = below(8) ? 0x3f : (u16)(rnd() & 0x3f);
    return (u16)(0x0040 | masks | pc[below(3)] | (below(4) << 10));
}

/* The memory operand and what the instruction's table entry says of it. */
static unsigned char mem[112] __attribute__((aligned(16)));
static unsigned char mem_in[112];

enum fmt { NONE, F32, F64, F80, I16, I32, I64, BCD, CW, ENV, SAVE, OUT2, OUT4, OUT8, OUT10, OUT28, OUT108 };

static void fill(enum fmt f)
{
    int i;
    u64 v;
    for (i = 0; i < (int)sizeof mem; i++)
        mem[i] = 0xa5;
    switch (f) {
    case F32: *(u32 *)mem = gen32(); break;
    case F64: *(u64 *)mem = gen64(); break;
    case F80: *(struct f80 *)mem = gen80(); break;
    case I16: *(u16 *)mem = (u16)genint(); break;
    case I32: *(u32 *)mem = (u32)genint(); break;
    case I64: *(u64 *)mem = genint(); break;
    case BCD:
        v = rnd();
        for (i = 0; i < 9; i++)
            mem[i] = (u32)((v >> (4 * i)) % 10) << 4 | (u32)((v >> (4 * i + 2)) % 10);
        mem[9] = below(2) ? 0x80 : 0;
        break;
    case CW: /* any rounding and precision, masks usually all set */
        *(u16 *)mem = (u16)(rnd() & 0x1f3f) | (below(4) ? 0x3f : 0);
        break;
    case ENV: /* an environment: a control word as above, a status word, tags */
        *(u32 *)(mem + 0) = 0xffff0000 | 0x0040 | (u32)(rnd() & 0x0f00) | 0x3f;
        *(u32 *)(mem + 4) = 0xffff0000 | (u32)(rnd() & 0x7f7f);
        *(u32 *)(mem + 8) = 0xffff0000 | (u32)rnd();
        *(u32 *)(mem + 12) = (u32)rnd();
        *(u32 *)(mem + 16) = (u32)rnd() & 0x07ff0000;
        *(u32 *)(mem + 20) = (u32)rnd();
        *(u32 *)(mem + 24) = 0xffff0000;
        break;
    case SAVE:
        fill(ENV);
        for (i = 0; i < 8; i++)
            *(struct f80 *)(mem + 28 + 10 * i) = gen80();
        break;
    default:
        break;
    }
}

/* The instructions: each a function that runs one, on `mem`. */
#define I(name, text) \
    __asm__(".text\n\t.globl x_" #name "\nx_" #name ":\n\t" text "\n\tret\n"); \
    void x_##name(void);

#define ARITH(op)                                                        \
    I(f##op##s, "f" #op "s mem") I(f##op##l, "f" #op "l mem")            \
    I(fi##op##s, "fi" #op "s mem") I(fi##op##l, "fi" #op "l mem")        \
    I(f##op##_st1, "f" #op " %st(1), %st") I(f##op##_st2, "f" #op " %st(2), %st") \
    I(f##op##_to1, "f" #op " %st, %st(1)") I(f##op##p, "f" #op "p %st, %st(1)") \
    I(f##op##_st0, "f" #op " %st(0), %st")

ARITH(add) ARITH(mul) ARITH(sub) ARITH(subr) ARITH(div) ARITH(divr)

I(flds, "flds mem") I(fldl, "fldl mem") I(fldt, "fldt mem")
I(filds, "filds mem") I(fildl, "fildl mem") I(fildll, "fildll mem") I(fbld, "fbld mem")
I(fld_st1, "fld %st(1)") I(fld_st3, "fld %st(3)") I(fld_st0, "fld %st(0)")
I(fld1, "fld1") I(fldl2t, "fldl2t") I(fldl2e, "fldl2e") I(fldpi, "fldpi")
I(fldlg2, "fldlg2") I(fldln2, "fldln2") I(fldz, "fldz")
I(fsts, "fsts mem") I(fstl, "fstl mem") I(fstps, "fstps mem") I(fstpl, "fstpl mem")
I(fstpt, "fstpt mem") I(fists, "fists mem") I(fistl, "fistl mem")
I(fistps, "fistps mem") I(fistpl, "fistpl mem") I(fistpll, "fistpll mem")
I(fbstp, "fbstp mem")
I(fst_st2, "fst %st(2)") I(fstp_st1, "fstp %st(1)") I(fstp_st0, "fstp %st(0)")
I(fcoms, "fcoms mem") I(fcoml, "fcoml mem") I(fcomps, "fcomps mem") I(fcompl, "fcompl mem")
I(ficoms, "ficoms mem") I(ficoml, "ficoml mem") I(ficomps, "ficomps mem") I(ficompl, "ficompl mem")
I(fcom_st1, "fcom %st(1)") I(fcomp_st2, "fcomp %st(2)") I(fcompp, "fcompp")
I(fucom_st1, "fucom %st(1)") I(fucomp_st1, "fucomp %st(1)") I(fucompp, "fucompp")
I(fcomi, "fcomi %st(1), %st") I(fcomip, "fcomip %st(1), %st")
I(fucomi, "fucomi %st(2), %st") I(fucomip, "fucomip %st(1), %st")
I(ftst, "ftst") I(fxam, "fxam")
I(fxch1, "fxch %st(1)") I(fxch3, "fxch %st(3)") I(fchs, "fchs") I(fabs, "fabs")
I(fsqrt, "fsqrt") I(frndint, "frndint") I(fscale, "fscale") I(fprem, "fprem")
I(fprem1, "fprem1") I(fxtract, "fxtract") I(ffree1, "ffree %st(1)")
I(fdecstp, "fdecstp") I(fincstp, "fincstp") I(fnop, "fnop")
I(fcmovb, "fcmovb %st(1), %st") I(fcmove, "fcmove %st(1), %st")
I(fcmovbe, "fcmovbe %st(1), %st") I(fcmovu, "fcmovu %st(1), %st")
I(fcmovnb, "fcmovnb %st(2), %st") I(fcmovne, "fcmovne %st(1), %st")
I(fcmovnbe, "fcmovnbe %st(1), %st") I(fcmovnu, "fcmovnu %st(1), %st")
I(fnstsw_ax, "fnstsw %ax") I(fnstsw, "fnstsw mem") I(fnstcw, "fnstcw mem")
I(fldcw, "fldcw mem") I(fnclex, "fnclex") I(fninit, "fninit")
I(fnstenv, "fnstenv mem") I(fldenv, "fldenv mem") I(fnsave, "fnsave mem")
I(frstor, "frstor mem") I(fwait, "fwait")
I(fsin, "fsin") I(fcos, "fcos") I(fsincos, "fsincos") I(fptan, "fptan")
I(fpatan, "fpatan") I(f2xm1, "f2xm1") I(fyl2x, "fyl2x") I(fyl2xp1, "fyl2xp1")

struct insn {
    const char *name;
    void (*fn)(void);
    enum fmt in, out;
};

#define A(op)                                                                  \
    {"f" #op "s", x_f##op##s, F32, NONE}, {"f" #op "l", x_f##op##l, F64, NONE},   \
    {"fi" #op "s", x_fi##op##s, I16, NONE}, {"fi" #op "l", x_fi##op##l, I32, NONE}, \
    {"f" #op "_st1", x_f##op##_st1, NONE, NONE}, {"f" #op "_st2", x_f##op##_st2, NONE, NONE}, \
    {"f" #op "_to1", x_f##op##_to1, NONE, NONE}, {"f" #op "p", x_f##op##p, NONE, NONE}, \
    {"f" #op "_st0", x_f##op##_st0, NONE, NONE},
#define R(n) {#n, x_##n, NONE, NONE},
#define M(n, f) {#n, x_##n, f, NONE},
#define O(n, f) {#n, x_##n, NONE, f},

static const struct insn insns[] = {
    A(add) A(mul) A(sub) A(subr) A(div) A(divr)
    M(flds, F32) M(fldl, F64) M(fldt, F80) M(filds, I16) M(fildl, I32) M(fildll, I64)
    M(fbld, BCD) R(fld_st1) R(fld_st3) R(fld_st0)
    R(fld1) R(fldl2t) R(fldl2e) R(fldpi) R(fldlg2) R(fldln2) R(fldz)
    O(fsts, OUT4) O(fstl, OUT8) O(fstps, OUT4) O(fstpl, OUT8) O(fstpt, OUT10)
    O(fists, OUT2) O(fistl, OUT4) O(fistps, OUT2) O(fistpl, OUT4) O(fistpll, OUT8)
    O(fbstp, OUT10) R(fst_st2) R(fstp_st1) R(fstp_st0)
    M(fcoms, F32) M(fcoml, F64) M(fcomps, F32) M(fcompl, F64)
    M(ficoms, I16) M(ficoml, I32) M(ficomps, I16) M(ficompl, I32)
    R(fcom_st1) R(fcomp_st2) R(fcompp) R(fucom_st1) R(fucomp_st1) R(fucompp)
    R(fcomi) R(fcomip) R(fucomi) R(fucomip) R(ftst) R(fxam)
    R(fxch1) R(fxch3) R(fchs) R(fabs) R(fsqrt) R(frndint) R(fscale) R(fprem)
    R(fprem1) R(fxtract) R(ffree1) R(fdecstp) R(fincstp) R(fnop)
    R(fcmovb) R(fcmove) R(fcmovbe) R(fcmovu) R(fcmovnb) R(fcmovne) R(fcmovnbe) R(fcmovnu)
    R(fnstsw_ax) O(fnstsw, OUT2) O(fnstcw, OUT2) M(fldcw, CW) R(fnclex) R(fninit)
    O(fnstenv, OUT28) M(fldenv, ENV) O(fnsave, OUT108) M(frstor, SAVE) R(fwait)
    R(fsin) R(fcos) R(fsincos) R(fptan) R(fpatan) R(f2xm1) R(fyl2x) R(fyl2xp1)
};

static const int outlen[] = {
    [OUT2] = 2, [OUT4] = 4, [OUT8] = 8, [OUT10] = 10, [OUT28] = 28, [OUT108] = 108,
};
static const int inlen[] = {
    [F32] = 4, [F64] = 8, [F80] = 10, [I16] = 2, [I32] = 4, [I64] = 8, [BCD] = 10,
    [CW] = 2, [ENV] = 28, [SAVE] = 108,
};

static unsigned char save[108];
static struct f80 vals[8];

static void one_case(const struct insn *t)
{
    int n, i;
    u16 cw;
    u32 fin, fout, ax = 0;
    /* Usually two or more full registers; sometimes all eight (overflow). */
    n = below(4) ? 2 + below(6) : below(9);
    for (i = 0; i < n; i++)
        vals[i] = gen80();
    cw = gencw();
    fill(t->in);
    for (i = 0; i < (int)sizeof mem; i++)
        mem_in[i] = mem[i];
    fin = 0x202 | (u32)(rnd() & 0x8d5);
    /* Every register zero, then empty: what a case leaves in the empty
     * ones is its own doing. */
    __asm__ volatile("fninit\n\tfldz\n\tfldz\n\tfldz\n\tfldz\n\tfldz\n\tfldz\n\tfldz\n\tfldz\n\t"
                     "fninit");
    for (i = n - 1; i >= 0; i--)
        __asm__ volatile("fldt %0" ::"m"(vals[i]));
    __asm__ volatile("fldcw %0" ::"m"(cw));
    __asm__ volatile("pushl %[fin]\n\tpopfl\n\t"
                     "call *%[fn]\n\t"
                     "pushfl\n\tpopl %[fout]\n\t"
                     "fnsave %[save]\n\t"
                     : [fout] "=&r"(fout), "+a"(ax), [save] "=m"(save)
                     : [fin] "r"(fin), [fn] "r"(t->fn)
                     : "cc", "memory");
    put(t->name);
    buf[pos++] = ' ';
    hexn(cw, 4);
    hexn(fin, 3);
    hexn(*(u16 *)(save + 4), 4);  /* status word */
    hexn(*(u16 *)(save + 8), 4);  /* tag word */
    hexn(*(u16 *)(save + 18), 4); /* FOP */
    hexn(*(u32 *)(save + 12), 8); /* FIP */
    hexn(*(u32 *)(save + 20), 8); /* FDP */
    for (i = 0; i < 8; i++)
        hexbytes(save + 28 + 10 * i, 10);
    hexn(fout & 0x8d5, 3);
    hexn(ax & 0xffff, 4);
    if (t->out != NONE)
        hexbytes(mem, outlen[t->out]);
    else
        put("- ");
    put("| ");
    hexn(n, 1);
    for (i = 0; i < n; i++)
        hexbytes((unsigned char *)&vals[i], 10);
    if (t->in != NONE)
        hexbytes(mem_in, inlen[t->in]);
    buf[pos - 1] = '\n';
    if (pos > (int)sizeof buf - 1200)
        flush();
}

static u64 parse(const char *s)
{
    u64 v = 0;
    while (*s >= '0' && *s <= '9')
        v = v * 10 + (u64)(*s++ - '0');
    return v;
}

void cmain(u32 *sp)
{
    int argc = (int)sp[0];
    char **argv = (char **)(sp + 1);
    u64 seed = argc > 1 ? parse(argv[1]) : 1, count = argc > 2 ? parse(argv[2]) : 1000, k;
    const int ninsns = sizeof insns / sizeof insns[0];
    rs = seed * 0x9e3779b97f4a7c15ULL + 1;
    for (k = 0; k < count; k++)
        one_case(&insns[below(ninsns)]);
    flush();
    __asm__ volatile("int $0x80" ::"a"(1), "b"(0));
    for (;;)
        ;
}

__asm__(".text\n\t.globl _start\n_start:\n\tpushl %esp\n\tcall cmain\n");
