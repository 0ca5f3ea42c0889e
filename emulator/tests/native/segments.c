/* Segment registers, TLS and 16-bit addressing against the host CPU
 * (tests/native_segments.rs): the same i386 binary runs natively and in
 * toyemu and must print the same.
 *
 * Selector values differ between a 64-bit host kernel (CS 0x23, DS 0x2b,
 * TLS entries 12-14) and i386 Linux as toyemu models it (CS 0x73, DS 0x7b,
 * TLS entries 6-8), so the program never prints a selector: it prints how
 * selectors relate (equal, RPL, null) and what loading them does.
 *
 * 16-bit addressing reaches memory two ways: through FS with a TLS base (a
 * 64 KiB + 4 buffer, so any 16-bit offset is valid), and through DS in low
 * memory mapped at 0x1000-0xffff when the host's vm.mmap_min_addr allows
 * it (the test's toyemu runner mirrors the host's answer). Line format:
 * name value... (hex).
 */
typedef unsigned int u32;
typedef unsigned short u16;
typedef unsigned char u8;

struct user_desc {
    u32 entry_number, base_addr, limit;
    u32 seg_32bit : 1, contents : 2, read_exec_only : 1, limit_in_pages : 1,
        seg_not_present : 1, useable : 1;
};

static char out[8192];
static int pos;

static u32 sys3(u32 n, u32 a, u32 b, u32 c)
{
    u32 r;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(n), "b"(a), "c"(b), "d"(c) : "memory");
    return r;
}

/* mmap2(addr, len, prot, flags, fd, 0): the sixth argument goes in EBP. */
static u32 mmap2(u32 addr, u32 len, u32 prot, u32 flags, u32 fd)
{
    u32 r;
    __asm__ volatile("push %%ebp\n\txor %%ebp, %%ebp\n\tint $0x80\n\tpop %%ebp"
                     : "=a"(r)
                     : "a"(192), "b"(addr), "c"(len), "d"(prot), "S"(flags), "D"(fd)
                     : "memory");
    return r;
}

static void flush(void)
{
    sys3(4, 1, (u32)out, pos);
    pos = 0;
}

static void puts_(const char *s)
{
    while (*s)
        out[pos++] = *s++;
}

static void hex(u32 v)
{
    int i;
    out[pos++] = ' ';
    for (i = 28; i >= 0; i -= 4)
        out[pos++] = "0123456789abcdef"[(v >> i) & 15];
}

static void line(const char *name, int n, u32 a, u32 b, u32 c, u32 d)
{
    u32 v[4] = {a, b, c, d};
    int i;
    puts_(name);
    for (i = 0; i < n; i++)
        hex(v[i]);
    out[pos++] = '\n';
    if (pos > (int)sizeof out - 200)
        flush();
}
#define L1(n, a) line(n, 1, a, 0, 0, 0)
#define L2(n, a, b) line(n, 2, a, b, 0, 0)
#define L3(n, a, b, c) line(n, 3, a, b, c, 0)
#define L4(n, a, b, c, d) line(n, 4, a, b, c, d)

/* 64 KiB + 4: FS's TLS segment; byte i holds pat(i). */
static u8 big[0x10004] __attribute__((aligned(4096)));
static u8 pat(u32 i) { return (u8)(i * 7 + (i >> 8) * 3 + 1); }
static u32 pat32(u32 i) { return pat(i) | pat(i + 1) << 8 | pat(i + 2) << 16 | (u32)pat(i + 3) << 24; }

#define SEL_OF(reg)                                                             \
    ({                                                                          \
        u32 s_ = 0xdeadbeef;                                                    \
        __asm__ volatile("movl %%" reg ", %0" : "+r"(s_));                      \
        s_;                                                                     \
    })

static u32 set_tls(u32 entry, u32 base, u32 limit, int pages, int contents, int ro)
{
    struct user_desc d = {entry, base, limit, 1, contents, ro, pages, 0, 1};
    u32 r = sys3(243, (u32)&d, 0, 0);
    return r ? r : d.entry_number;
}

/* ---- push and pop of segment registers ------------------------------- */

#define PUSHL(REG)                                                              \
    do {                                                                        \
        u32 slot, sp0, sp1, sel = SEL_OF(REG);                                  \
        __asm__ volatile("movl %%esp, %[sp0]\n\tpushl $0xdeadbeef\n\t"          \
                         "addl $4, %%esp\n\tpushl %%" REG "\n\t"                \
                         "movl %%esp, %[sp1]\n\tpopl %[slot]"                   \
                         : [slot] "=r"(slot), [sp0] "=&r"(sp0), [sp1] "=&r"(sp1)); \
        /* The upper half is the selector's zero extension (AMD, older      \
           Intel) or left as it was (recent Intel): both are right. */      \
        L3("pushl_" REG, (slot & 0xffff) == sel, (slot >> 16) == 0 || (slot >> 16) == 0xdead, \
           sp0 - sp1);                                                          \
    } while (0)

#define PUSHW(REG)                                                              \
    do {                                                                        \
        u32 slot, sp0, sp1, sel = SEL_OF(REG);                                  \
        __asm__ volatile("movl %%esp, %[sp0]\n\tpushl $0xdeadbeef\n\t"          \
                         "pushw %%" REG "\n\tmovl %%esp, %[sp1]\n\t"            \
                         "addl $2, %%esp\n\tpopl %[slot]\n\tsubl $6, %%esp\n\t" \
                         "popw %w[slot]\n\taddl $4, %%esp"                      \
                         : [slot] "=&r"(slot), [sp0] "=&r"(sp0), [sp1] "=&r"(sp1)); \
        L3("pushw_" REG, slot >> 16, (slot & 0xffff) == sel, sp0 - sp1);       \
    } while (0)

/* pop REG from a slot whose upper half is junk, then read it back. */
#define POPL(REG, SEL)                                                          \
    do {                                                                        \
        u32 got, sp0, sp1, v = (SEL) | 0xabcd0000;                              \
        __asm__ volatile("movl %%esp, %[sp0]\n\tpushl %[v]\n\tpopl %%" REG "\n\t" \
                         "movl %%esp, %[sp1]\n\tmovl %%" REG ", %[got]"         \
                         : [got] "=r"(got), [sp0] "=&r"(sp0), [sp1] "=&r"(sp1)  \
                         : [v] "r"(v));                                         \
        L2("popl_" REG, got == (SEL), sp1 - sp0);                               \
    } while (0)

#define POPW(REG, SEL)                                                          \
    do {                                                                        \
        u32 got, sp0, sp1, v = (SEL);                                           \
        __asm__ volatile("movl %%esp, %[sp0]\n\tpushw %w[v]\n\tpopw %%" REG "\n\t" \
                         "movl %%esp, %[sp1]\n\tmovl %%" REG ", %[got]"         \
                         : [got] "=r"(got), [sp0] "=&r"(sp0), [sp1] "=&r"(sp1)  \
                         : [v] "r"(v));                                         \
        L2("popw_" REG, got == (SEL), sp1 - sp0);                               \
    } while (0)

static void segment_pushes_and_pops(void)
{
    u32 cs = SEL_OF("cs"), ds = SEL_OF("ds");
    u32 v;
    L4("initial", cs & 3, ds & 3, SEL_OF("es") == ds && SEL_OF("ss") == ds,
       SEL_OF("fs") | SEL_OF("gs"));
    PUSHL("cs"); PUSHL("ds"); PUSHL("es"); PUSHL("ss"); PUSHL("fs"); PUSHL("gs");
    PUSHW("cs"); PUSHW("ds"); PUSHW("es"); PUSHW("ss"); PUSHW("fs"); PUSHW("gs");
    POPL("ds", ds); POPL("es", ds); POPL("ss", ds); POPL("fs", ds); POPL("gs", ds);
    POPW("ds", ds); POPW("es", ds); POPW("ss", ds); POPW("fs", ds); POPW("gs", ds);
    /* Null selectors (any RPL) into FS and GS; the code segment into FS. */
    POPL("fs", 0); POPW("gs", 3); POPL("fs", cs); POPL("gs", 0);
    /* mov to and from segment registers: 16- and 32-bit forms. */
    v = 0xdeadbeef;
    __asm__ volatile("movw %%ds, %w0" : "+r"(v));
    L1("movw_ds_r16", v == (0xdead0000 | ds));
    v = 0xdeadbeef;
    __asm__ volatile("movw %%ds, %0" : "+m"(v));
    L1("movw_ds_m16", v == (0xdead0000 | ds));
    __asm__ volatile("movl %0, %%es\n\tmovw %w0, %%fs" ::"r"(ds | 0x55550000));
    L2("mov_es_fs", SEL_OF("es") == ds, SEL_OF("fs") == ds);
    /* Reads and writes through FS holding the flat data segment, then the
       code segment (readable), then ES and DS reloaded with DS's value. */
    big[0x40] = 0x5a;
    __asm__ volatile("movzbl %%fs:(%1), %0\n\tmovb $0x6b, %%fs:1(%1)" : "=r"(v) : "r"(&big[0x40]) : "memory");
    L2("fs_flat", v, big[0x41]);
    big[0x40] = pat(0x40);
    big[0x41] = pat(0x41);
    __asm__ volatile("movw %w1, %%fs\n\tmovzbl %%fs:(%2), %0" : "=r"(v) : "r"(cs), "r"(&big[0x40]));
    L1("fs_code_read", v);
    __asm__ volatile("movl %0, %%ds\n\tmovl %0, %%es\n\tmovl %0, %%ss\n\tmovl %0, %%fs" ::"r"(ds));
    /* lfs/lgs/lds/les/lss from far pointers in memory. */
    {
        struct __attribute__((packed)) { u32 off; u16 sel; } fp = {0x12345678, (u16)ds};
        u32 a = 0, b = 0, c = 0, d = 0, e = 0;
        __asm__ volatile("lfs %5, %0\n\tlgs %5, %1\n\tles %5, %2\n\tlds %5, %3\n\tlss %5, %4"
                         : "=&r"(a), "=&r"(b), "=&r"(c), "=&r"(d), "=&r"(e)
                         : "m"(fp));
        L4("lxs", a == 0x12345678 && b == a && c == a && d == a, e == 0x12345678,
           SEL_OF("fs") == ds && SEL_OF("gs") == ds, SEL_OF("ss") == ds);
    }
    __asm__ volatile("movl %0, %%fs\n\tmovl %0, %%gs" ::"r"(0));
}

/* ---- lar lsl verr verw arpl ------------------------------------------ */

static void descriptor_queries(const char *name, u32 sel)
{
    u32 ar = 0xdeadbeef, lim = 0xdeadbeef, arw = 0xdeadbeef;
    u8 z[4];
    __asm__ volatile("larl %[s], %[ar]\n\tsetz %[z0]\n\t"
                     "lsll %[s], %[lim]\n\tsetz %[z1]\n\t"
                     "larw %w[s], %w[arw]\n\t"
                     "verr %w[s]\n\tsetz %[z2]\n\t"
                     "verw %w[s]\n\tsetz %[z3]"
                     : [ar] "+&r"(ar), [lim] "+&r"(lim), [arw] "+&r"(arw), [z0] "=m"(z[0]),
                       [z1] "=m"(z[1]), [z2] "=m"(z[2]), [z3] "=m"(z[3])
                     : [s] "r"(sel)
                     : "cc");
    L4(name, ar, lim, arw, z[0] | z[1] << 1 | z[2] << 2 | z[3] << 3);
}

static void arpl_cases(void)
{
    static const u32 cases[][2] = {{0x1230, 3}, {0x1233, 1}, {0xfff1, 2}, {0x0002, 0x8003}};
    unsigned i;
    for (i = 0; i < 4; i++) {
        u32 d = cases[i][0] | 0xabcd0000, m = cases[i][0], fl, flm;
        __asm__ volatile("arpl %w[s], %w[d]\n\tpushfl\n\tpopl %[fl]"
                         : [d] "+r"(d), [fl] "=r"(fl)
                         : [s] "r"(cases[i][1])
                         : "cc");
        __asm__ volatile("arpl %w[s], %[m]\n\tpushfl\n\tpopl %[fl]"
                         : [m] "+m"(m), [fl] "=r"(flm)
                         : [s] "r"(cases[i][1])
                         : "cc");
        L4("arpl", d, fl & 0x40, m, flm & 0x40);
    }
}

/* ---- TLS through set_thread_area --------------------------------------- */

static void tls(void)
{
    u32 entry, sel, v, w, r;
    struct user_desc g;
    entry = set_tls(-1u, (u32)big, 0xfffff, 1, 0, 0);
    L1("set_thread_area", entry >= 6 && entry <= 14);
    sel = entry * 8 + 3;
    g.entry_number = entry;
    r = sys3(244, (u32)&g, 0, 0);
    L4("get_thread_area", r, g.base_addr == (u32)big, g.limit, ((u32 *)&g)[3]);
    __asm__ volatile("movl %2, %%gs\n\tmovl %%gs:4, %0\n\tmovl %%gs:(%3), %1"
                     : "=&r"(v), "=&r"(w)
                     : "r"(sel), "r"(0x1001));
    L4("gs_read", v == pat32(4), w == pat32(0x1001), SEL_OF("gs") == sel, 0);
    __asm__ volatile("movl $0x11223344, %%gs:8\n\taddl $1, %%gs:8\n\tmovl %%gs, %%eax\n\tmovl %%eax, %%fs\n\t"
                     "movl %%fs:8, %0"
                     : "=r"(v)::"eax", "memory");
    L2("gs_write_fs_read", v, *(u32 *)&big[8]);
    *(u32 *)&big[8] = pat32(8);
    descriptor_queries("tls_desc", sel);
    descriptor_queries("tls_desc_rpl0", sel & ~3);
    /* A byte-granular limit of 15: the last dword fits, a dword at 13 does
       not (see the fault cases); the segment is reloaded by the kernel. */
    r = set_tls(entry, (u32)big + 16, 15, 0, 0, 0);
    __asm__ volatile("movl %%gs:12, %0\n\tmovzbl %%gs:15, %1" : "=r"(v), "=r"(w));
    L4("gs_limit15", r == entry, v == pat32(28), w == pat(31), 0);
    descriptor_queries("tls_limit15", sel);
    /* Expand-down, limit 0xff: offsets 0x100 and up are inside. */
    r = set_tls(entry, (u32)big, 0xff, 0, 1, 0);
    __asm__ volatile("movl %%gs:0x100, %0\n\tmovl %%gs:0xfffc, %1" : "=r"(v), "=r"(w));
    L4("gs_expand_down", r == entry, v == pat32(0x100), w == pat32(0xfffc), 0);
    descriptor_queries("tls_expand_down", sel);
    /* Read-only: reads work, verw says no. */
    r = set_tls(entry, (u32)big, 0xfffff, 1, 0, 1);
    __asm__ volatile("movl %%gs:0x20, %0" : "=r"(v));
    L2("gs_read_only", r == entry, v == pat32(0x20));
    descriptor_queries("tls_read_only", sel);
    /* A new base is seen at once (the kernel reloads GS). */
    r = set_tls(entry, (u32)big + 0x100, 0xfffff, 1, 0, 0);
    __asm__ volatile("movl %%gs:0, %0" : "=r"(v));
    L2("gs_rebased", r == entry, v == pat32(0x100));
    /* Emptying the entry leaves GS null. */
    {
        struct user_desc e = {entry, 0, 0, 0, 0, 1, 0, 1, 0};
        r = sys3(243, (u32)&e, 0, 0);
        L2("tls_cleared", r, SEL_OF("gs"));
        descriptor_queries("tls_empty", sel);
    }
    entry = set_tls(-1u, (u32)big, 0xfffff, 1, 0, 0);
    sel = entry * 8 + 3;
    __asm__ volatile("movl %0, %%fs" ::"r"(sel));
}

/* ---- 16-bit addressing ------------------------------------------------- */

/* Register values: BX, SI, DI, BP (upper halves junk, which must not count). */
static const u32 regs16[][4] = {
    {0x0010, 0x0020, 0x0030, 0x0040},
    {0xfff0, 0x0020, 0xffe0, 0x8000},
    {0x8001, 0x7fff, 0x1234, 0xedcb},
    {0xffff, 0xffff, 0xffff, 0xffff},
    {0x0000, 0x0000, 0x0000, 0x0000},
    {0x2345, 0x1100, 0x3f00, 0x1111},
};

/* Each form's offset, computed in C: so DS-based tests can skip offsets
   outside low memory, and stores can be checked where they landed. */
#define FORMS(X)                                                                 \
    X(bx_si, "(%%bx,%%si)", r[0] + r[1])                                        \
    X(bx_di, "(%%bx,%%di)", r[0] + r[2])                                        \
    X(bp_si, "(%%bp,%%si)", r[3] + r[1])                                        \
    X(bp_di, "(%%bp,%%di)", r[3] + r[2])                                        \
    X(si, "(%%si)", r[1])                                                       \
    X(di, "(%%di)", r[2])                                                       \
    X(bp, "(%%bp)", r[3])                                                       \
    X(bx, "(%%bx)", r[0])                                                       \
    X(bx_si_m8, "-8(%%bx,%%si)", r[0] + r[1] - 8)                               \
    X(bp_di_p7f, "0x7f(%%bp,%%di)", r[3] + r[2] + 0x7f)                         \
    X(si_m80, "-0x80(%%si)", r[1] - 0x80)                                       \
    X(bp_m2, "-2(%%bp)", r[3] - 2)                                              \
    X(bx_d16, "0x1234(%%bx)", r[0] + 0x1234)                                    \
    X(bx_di_d16, "0x7ff0(%%bx,%%di)", r[0] + r[2] + 0x7ff0)                     \
    X(bp_si_d16n, "-0x4321(%%bp,%%si)", r[3] + r[1] - 0x4321)                   \
    X(di_d16, "-0x7000(%%di)", r[2] - 0x7000)

/* Run INSN with BX SI DI BP from r (their upper halves junk): OUTS is a
   parenthesised output list, then any further inputs. EBP is clobbered,
   so the compiler keeps its own addressing off it. */
#define UNPAREN(...) __VA_ARGS__
#define WITH_REGS(INSN, OUTS, ...)                                               \
    __asm__ volatile("movl %[bp], %%ebp\n\t" INSN                             \
                     : UNPAREN OUTS                                             \
                     : "b"(r[0] | 0xa5a50000), "S"(r[1] | 0x5a5a0000),          \
                       "D"(r[2] | 0x96960000), [bp] "m"(rbp), ##__VA_ARGS__     \
                     : "memory", "cc", "ebp")

#define FS_FORM(NAME, FORM, OFF)                                                 \
    {                                                                           \
        u32 v = 0, l32 = 0, l16 = 0xdeadbeef, off = (OFF) & 0xffff;             \
        WITH_REGS("movl %%fs:" FORM ", %[v]", ([v] "=a"(v)));                     \
        WITH_REGS("leal " FORM ", %[v]", ([v] "=a"(l32)));                        \
        WITH_REGS("leaw " FORM ", %w[v]", ([v] "+a"(l16)));                       \
        L4("fs16_" #NAME, v == pat32(off), l32, l16, 0);                        \
        WITH_REGS("movw $0x4242, %%fs:" FORM "\n\tincb %%fs:" FORM, ()); \
        L2("fs16st_" #NAME, big[off], big[off + 1]);                            \
        big[off] = pat(off);                                                    \
        big[off + 1] = pat(off + 1);                                            \
    }

#define DS_FORM(NAME, FORM, OFF)                                                 \
    {                                                                           \
        u32 v = 0, off = (OFF) & 0xffff;                                        \
        if (off >= 0x1000 && off <= 0xfffc) {                                   \
            WITH_REGS("movl " FORM ", %[v]", ([v] "=a"(v)));                      \
            L2("ds16_" #NAME, v == (pat32(off - 0x1000) ^ 0x55555555), v);        \
            WITH_REGS("movl %%ebx, " FORM, ());                        \
            L1("ds16st_" #NAME, *(volatile u32 *)off);                          \
            *(volatile u32 *)off = pat32(off - 0x1000) ^ 0x55555555;            \
        } else {                                                                \
            L1("ds16_skip_" #NAME, off);                                        \
        }                                                                       \
    }

static void addressing16(int lowmem)
{
    unsigned t;
    for (t = 0; t < sizeof regs16 / sizeof regs16[0]; t++) {
        const u32 *r = regs16[t];
        u32 rbp = r[3] | 0x69690000;
        L4("regs16", r[0], r[1], r[2], r[3]);
        FORMS(FS_FORM)
        if (lowmem) {
            FORMS(DS_FORM)
        }
        /* Other instruction groups with a 16-bit operand. */
        {
            u32 v = 0x01020304, w = 0, fl, off = (r[0] + r[1]) & 0xffff;
            WITH_REGS("addl %%fs:(%%bx,%%si), %[v]\n\tpushfl\n\tpopl %[fl]", ([v] "+c"(v), [fl] "=d"(fl)));
            L2("fs16_add", v, fl & 0x8d5);
            WITH_REGS("pushl %%fs:(%%bx,%%si)\n\tpopl %[v]", ([v] "=c"(w)));
            L1("fs16_push", w == pat32(off));
            WITH_REGS("movl %%esp, %%eax\n\tpushl $0x0a0b0c0d\n\tpopl %%fs:(%%bx,%%si)\n\tsubl %%esp, %%eax", ([v] "=a"(w)));
            L2("fs16_pop", *(u32 *)&big[off], w);
            WITH_REGS("cmpxchgl %%ecx, %%fs:(%%bx,%%si)", ([v] "=a"(w)), "a"(0x0a0b0c0d), "c"(0x77));
            L2("fs16_cmpxchg", *(u32 *)&big[off], w);
            *(u32 *)&big[off] = pat32(off);
        }
        /* Bit strings: the bit offset moves the operand by whole words from
           the 16-bit offset, wrapping at 64 KiB as the offset does. */
        {
            static const u32 bits[] = {0, 31, 32, 0x100, 0x7ffff, 0xffffff00, 0x80000000};
            unsigned b;
            for (b = 0; b < 7; b++) {
                u32 fl, fl2;
                WITH_REGS("btl %[n], %%fs:(%%bx)\n\tpushfl\n\tpopl %[fl]\n\t"
                          "btw %w[n], %%fs:2(%%bx,%%di)\n\tpushfl\n\tpopl %[f2]",
                          ([fl] "=&c"(fl), [f2] "=&d"(fl2)), [n] "a"(bits[b]));
                L4("fs16_bt", r[0], bits[b], fl & 1, fl2 & 1);
            }
        }
        /* xlat [BX + AL] wraps at 64 KiB too. */
        {
            u32 al;
            for (al = 0; al < 0x100; al += 0x55) {
                u32 v = al | 0x12345600;
                WITH_REGS("xlat %%fs:(%%bx)", ([v] "+a"(v)));
                L2("fs16_xlat", v, pat((r[0] + al) & 0xffff));
            }
        }
    }
}

/* String instructions under 0x67: SI, DI and CX, each wrapping at 64 KiB
   and the rest of ESI, EDI and ECX kept. The source through FS reaches any
   16-bit offset; the destination ES:DI needs low memory. */
static void strings16(int lowmem)
{
    u32 si, di, cx, a, fl;
    /* lodsb/lodsl forwards and backwards across the 64 KiB wrap. */
    si = 0xabcdfffe;
    __asm__ volatile("cld\n\tlodsb %%fs:(%%si)\n\tshll $8, %%eax\n\tlodsb %%fs:(%%si)\n\t"
                     "shll $8, %%eax\n\tlodsb %%fs:(%%si)"
                     : "+S"(si), "=a"(a));
    L2("lods16", si, a & 0xffffff);
    si = 0x12340001;
    __asm__ volatile("std\n\tlodsl %%fs:(%%si)\n\tmovl %%eax, %%edx\n\tlodsw %%fs:(%%si)\n\tcld"
                     : "+S"(si), "=a"(a), "=d"(cx));
    L3("lods16_down", si, cx, a & 0xffff);
    /* rep lods with CX: ECX's top half stays. */
    si = 0x0000fff0; cx = 0x77770020;
    __asm__ volatile("rep lodsb %%fs:(%%si)" : "+S"(si), "+c"(cx), "=a"(a));
    L3("rep_lods16", si, cx, a & 0xff);
    /* ECX = 0x10000: CX is 0, so nothing happens. */
    si = 0x100; cx = 0x10000;
    __asm__ volatile("rep lodsb %%fs:(%%si)" : "+S"(si), "+c"(cx), "=a"(a));
    L2("rep_lods16_cx0", si, cx);
    if (!lowmem)
        return;
    /* movs from FS to low memory, stos, scas and cmps there. */
    si = 0x9876fffc; di = 0x55552000; cx = 0xabcd0008;
    __asm__ volatile("cld\n\trep movsb %%fs:(%%si), %%es:(%%di)" : "+S"(si), "+D"(di), "+c"(cx)::"memory");
    L4("rep_movs16", si, di, cx, *(volatile u32 *)0x2004);
    di = 0x0000f000; cx = 0x10003; a = 0x61626364;
    __asm__ volatile("rep stosl %%eax, %%es:(%%di)" : "+D"(di), "+c"(cx) : "a"(a) : "memory");
    L4("rep_stos16", di, cx, *(volatile u32 *)0xf000, *(volatile u32 *)0xf008);
    di = 0x7777f000; cx = 0x20; a = 0x62;
    __asm__ volatile("repne scasb %%es:(%%di), %%al\n\tpushfl\n\tpopl %[fl]"
                     : "+D"(di), "+c"(cx), [fl] "=r"(fl) : "a"(a));
    L3("repne_scas16", di, cx, fl & 0x8d5);
    si = 0xf000; di = 0x1234f004; cx = 8;
    __asm__ volatile("repe cmpsb %%es:(%%di), %%ds:(%%si)\n\tpushfl\n\tpopl %[fl]"
                     : "+S"(si), "+D"(di), "+c"(cx), [fl] "=r"(fl));
    L4("repe_cmps16", si, di, cx, fl & 0x8d5);
    /* DS-based xlat and movs within low memory. */
    {
        u32 b = 0x8888f000, v = 0x4466aa05;
        __asm__ volatile("addr16 xlat" : "+a"(v) : "b"(b));
        L1("xlat16_ds", v);
        si = 0x0000f000; di = 0x3000; cx = 4;
        __asm__ volatile("addr16 rep movsw" : "+S"(si), "+D"(di), "+c"(cx)::"memory");
        L4("rep_movsw16_ds", si, di, cx, *(volatile u32 *)0x3004);
    }
}

/* loop, loope, loopne and jcxz counting CX (address-size prefix). */
static void loops16(void)
{
    u32 c, n;
    c = 0x12340003; n = 0;
    __asm__ volatile("1: incl %1\n\taddr16 loop 1b" : "+c"(c), "+r"(n));
    L2("loopw", c, n);
    c = 0x00010000; n = 0;
    __asm__ volatile("1: incl %1\n\taddr16 loop 1b" : "+c"(c), "+r"(n));
    L2("loopw_wrap", c, n);
    c = 0xffff0005; n = 0;
    __asm__ volatile("1: incl %1\n\tcmpl $3, %1\n\taddr16 loopne 1b" : "+c"(c), "+r"(n)::"cc");
    L2("loopnew", c, n);
    c = 0x00010008; n = 0;
    __asm__ volatile("1: incl %1\n\ttestl $0, %1\n\taddr16 loope 1b" : "+c"(c), "+r"(n)::"cc");
    L2("loopew", c, n);
    c = 0x00010000; n = 0;
    __asm__ volatile("jcxz 1f\n\tmovl $1, %1\n1:" : "+c"(c), "+r"(n));
    L2("jcxz_taken", c, n);
    c = 0x00000001; n = 0;
    __asm__ volatile("jcxz 1f\n\tmovl $1, %1\n1:" : "+c"(c), "+r"(n));
    L2("jcxz_not", c, n);
}

/* Far transfers to the process's own code segment. */
static void far_transfers(void)
{
    u32 cs = SEL_OF("cs"), r1 = 0, r2 = 0, r3 = 0, sp0, sp1, fl;
    struct __attribute__((packed)) { u32 off; u16 sel; } fp;
    __asm__ volatile("movl %%esp, %[sp0]\n\tpushl %[cs]\n\tpushl $1f\n\tlret\n"
                     "1:\tmovl $1, %[r1]\n\tmovl %%esp, %[sp1]"
                     : [r1] "=r"(r1), [sp0] "=&r"(sp0), [sp1] "=&r"(sp1)
                     : [cs] "r"(cs));
    L2("lret", r1, sp0 - sp1);
    __asm__ volatile("movl %%esp, %[sp0]\n\tpushl $0x8d5\n\tpushl %[cs]\n\tpushl $1f\n\tiret\n"
                     "1:\tpushfl\n\tpopl %[fl]\n\tmovl %%esp, %[sp1]"
                     : [fl] "=r"(fl), [sp0] "=&r"(sp0), [sp1] "=&r"(sp1)
                     : [cs] "r"(cs));
    L2("iret", fl & 0xfd5, sp0 - sp1);
    __asm__ volatile("movl %%esp, %[sp0]\n\tpushl %[cs]\n\tpushl $2f\n\t"
                     "pushl $0x1234\n\tpushl $0x5678\n\tpushl %[cs]\n\tpushl $3f\n\tlret $8\n"
                     "3:\tlret\n2:\tmovl $2, %[r1]\n\tmovl %%esp, %[sp1]"
                     : [r1] "=r"(r1), [sp0] "=&r"(sp0), [sp1] "=&r"(sp1)
                     : [cs] "r"(cs));
    L2("lret_imm", r1, sp0 - sp1);
    fp.sel = (u16)cs;
    __asm__ volatile("movl $1f, %[off]\n\tljmp *%[fp]\n\tmovl $9, %[r1]\n1:\tmovl $3, %[r1]"
                     : [r1] "=r"(r1), [off] "=m"(fp.off)
                     : [fp] "m"(fp));
    __asm__ volatile("movl %%esp, %[sp0]\n\tmovl $1f, %[off]\n\tlcall *%[fp]\n\tjmp 2f\n"
                     "1:\tmovl (%%esp), %[r2]\n\tmovl 4(%%esp), %[r3]\n\tlret\n2:"
                     : [r2] "=&r"(r2), [r3] "=&r"(r3), [off] "=m"(fp.off), [sp0] "=&r"(sp0)
                     : [fp] "m"(fp));
    L3("ljmp_lcall", r1, r3 == cs, r2 != 0);
}

/* pusha popa pushf popf enter leave with a 16-bit operand size. The asm
   keeps what it sees in `g` (a static array, so not addressed through ESP,
   which these move). */
static volatile u32 g[16] __attribute__((used));
static u16 frame16[8] __attribute__((used)) = {0x1111, 0x2222, 0x3333, 0x4444};

static void stack16(void)
{
    volatile u16 *w = (volatile u16 *)&g[8];
    __asm__ volatile("movl %%esp, g\n\tmovl $0x11112222, %%eax\n\tmovl $0x33334444, %%ecx\n\t"
                     "movl $0x55556666, %%edx\n\tmovl $0x77778888, %%ebx\n\tmovl $0xbbbbcccc, %%esi\n\t"
                     "movl $0xddddeeee, %%edi\n\tpushaw\n\tmovl %%esp, g+4\n\t"
                     "movl (%%esp), %%eax\n\tmovl %%eax, g+32\n\tmovl 4(%%esp), %%eax\n\tmovl %%eax, g+36\n\t"
                     "movl 8(%%esp), %%eax\n\tmovl %%eax, g+40\n\tmovl 12(%%esp), %%eax\n\tmovl %%eax, g+44\n\t"
                     "movw $0x1357, 8(%%esp)\n\t" /* the saved BX */
                     "xorl %%eax, %%eax\n\txorl %%ecx, %%ecx\n\txorl %%ebx, %%ebx\n\tpopaw\n\t"
                     "movl %%eax, g+8\n\tmovl %%ecx, g+12\n\tmovl %%edx, g+16\n\tmovl %%ebx, g+20\n\t"
                     "movl %%esi, g+24\n\tmovl %%edi, g+28\n\tmovl %%esp, g+48"
                     :
                     :
                     : "eax", "ecx", "edx", "ebx", "esi", "edi", "memory");
    /* Saved: DI SI BP SP BX DX CX AX from the lowest address. */
    L4("pushaw", g[0] - g[1], w[0] | w[1] << 16, w[3] == (u16)g[0], w[4] | w[5] << 16);
    L1("pushaw_ax_cx", w[6] | w[7] << 16);
    L4("popaw", g[2], g[3], g[4], g[5]);
    L3("popaw_si_di_sp", g[6], g[7], g[12] == g[0]);
    /* pushfw pushes FLAGS; popfw changes only FLAGS. */
    __asm__ volatile("pushl $0x8d5\n\tpopfl\n\tpushfw\n\tpopw g\n\tpushw $0x0a02\n\tpopfw\n\t"
                     "pushfl\n\tpopl g+4" ::: "cc", "memory");
    L2("pushfw_popfw", g[0] & 0xffff, g[1] & 0xfd5);
    /* enterw sets BP only; leavew moves ESP to EBP and pops BP. */
    __asm__ volatile("movl %%ebp, g\n\tmovl %%esp, g+4\n\tmovl %%esp, %%ebp\n\t"
                     "andl $0xffff0000, %%ebp\n\torl $0x5678, %%ebp\n\tenterw $8, $0\n\t"
                     "movl %%ebp, g+8\n\tmovl %%esp, g+12\n\tleavew\n\tmovl %%ebp, g+16\n\t"
                     "movl %%esp, g+20\n\tmovl g, %%ebp" ::: "memory");
    L4("enterw_leavew", g[2] == g[1] - 2 || (g[1] & 0xffff) < 2, g[1] - g[3], g[1] - g[5], g[4] & 0xffff);
    /* A nested enterw copies 16-bit frame pointers. */
    {
        __asm__ volatile("movl %%ebp, g\n\tmovl %%esp, g+4\n\tleal frame16+8, %%ebp\n\t"
                         "enterw $4, $3\n\tmovl (%%esp), %%eax\n\tmovl %%eax, g+8\n\t"
                         "movl 4(%%esp), %%eax\n\tmovl %%eax, g+12\n\tmovl 8(%%esp), %%eax\n\tmovl %%eax, g+16\n\t"
                         "movl %%esp, g+20\n\tmovl %%ebp, g+24\n\tmovl g+4, %%esp\n\tmovl g, %%ebp"
                         ::: "eax", "memory");
        /* From ESP up: 4 bytes reserved, the new frame pointer, the two
           copied ones (the last copied lowest), the old BP. */
        L4("enterw_nested", g[1] - g[5], (g[3] & 0xffff) == (u16)(g[1] - 2), g[3] >> 16, g[4] & 0xffff);
        L3("enterw_nested_bp", (g[4] >> 16) == (u16)(u32)(frame16 + 4),
           (g[6] & 0xffff) == (u16)(g[1] - 2), g[6] >> 16 == (u32)(frame16 + 4) >> 16);
    }
}

/* jmpw, callw and retw into low memory (their targets are 16-bit), and
   back with a 32-bit jump. */
static void branch16(void)
{
    /* 0x2000: popw %dx; jmp *%ecx.  0x2010: jmp *%ecx. */
    static const u8 stub[] = {0x66, 0x5a, 0xff, 0xe1};
    u32 i, dx = 0, cx, sp0, sp1;
    for (i = 0; i < 4; i++)
        *(volatile u8 *)(0x2000 + i) = stub[i];
    for (i = 0; i < 2; i++)
        *(volatile u8 *)(0x2010 + i) = stub[i + 2];
    /* The 16-bit return address callw pushes is the low half of label 1's. */
    __asm__ volatile("movl %%esp, %[sp0]\n\tmovl $0xabcd2000, %%eax\n\tmovl $1f, %%ecx\n\tcallw *%%ax\n"
                     "1:\tmovl %%esp, %[sp1]"
                     : "=d"(dx), "=c"(cx), [sp0] "=&r"(sp0), [sp1] "=&r"(sp1)::"eax", "memory");
    L2("callw", (dx & 0xffff) == (cx & 0xffff), sp0 - sp1);
    __asm__ volatile("movl %%esp, %[sp0]\n\tmovl $1f, %%ecx\n\tpushw $0x2010\n\tretw\n"
                     "1:\tmovl %%esp, %[sp1]"
                     : [sp0] "=&r"(sp0), [sp1] "=&r"(sp1)::"ecx", "memory");
    L1("retw", sp0 - sp1);
    __asm__ volatile("movl $1f, %%ecx\n\tmovl $0x55552010, %%eax\n\tjmpw *%%ax\n1:" ::: "eax", "ecx", "memory");
    L1("jmpw", 1);
}

void _start(void)
{
    u32 low, i;
    for (i = 0; i < sizeof big; i++)
        big[i] = pat(i);
    segment_pushes_and_pops();
    descriptor_queries("cs_desc", SEL_OF("cs"));
    descriptor_queries("ds_desc", SEL_OF("ds"));
    descriptor_queries("null_desc", 0);
    descriptor_queries("ldt_desc", 0x07);
    descriptor_queries("far_desc", 0xfff8);
    arpl_cases();
    tls();
    low = mmap2(0x1000, 0xf000, 7, 0x32, -1u);
    L1("lowmem", low == 0x1000);
    if (low == 0x1000)
        for (i = 0x1000; i < 0x10000; i += 4)
            *(volatile u32 *)i = pat32(i - 0x1000) ^ 0x55555555;
    addressing16(low == 0x1000);
    strings16(low == 0x1000);
    loops16();
    far_transfers();
    stack16();
    if (low == 0x1000)
        branch16();
    flush();
    sys3(1, 0, 0, 0);
    for (;;)
        ;
}
