/* segments_demo.c - segmentation as it survives on i386 Linux.
 *
 *   toyemu run --trace syscall --report userland/segments_demo
 *
 * Note 003 describes segment:offset addressing.  Linux keeps it switched
 * off for ordinary memory: CS, DS, ES and SS all name flat segments (base
 * 0, limit 4 GiB), so an offset is the linear address and paging does all
 * the work.  `lsl` and `lar` ask the CPU for a selector's limit and access
 * rights, and a byte read through each of the four registers is the same
 * byte.  What is left of segmentation is thread-local storage: the program
 * asks the kernel (set_thread_area) for a small segment whose base is its
 * thread's block, loads its selector into %gs, and %gs:0, %gs:4 ... are
 * then that thread's variables (glibc's `__thread` compiles to such
 * %gs-relative accesses).  The limit is real: a read past it is a
 * general-protection fault (SIGSEGV with si_code SI_KERNEL, no page
 * fault), although the memory behind it is mapped.
 *
 * Selector numbers differ between kernels (Linux i386: CS 0x73, DS 0x7b,
 * TLS entry 6 = 0x33; a 64-bit kernel running this program: 0x23, 0x2b,
 * entry 12 = 0x63), so they go to stderr; stdout says only what is the
 * same everywhere.  toyemu's --trace shows the set_thread_area call and
 * --report the TLS segment (entry, selector, base and where it points).
 */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <syscall.h>
#include <unistd.h>

/* struct user_desc (asm/ldt.h): the last word is bit fields. */
struct user_desc {
    unsigned entry_number;
    unsigned base_addr;
    unsigned limit;
    unsigned flags;
};
#define UD_SEG_32BIT 0x01
#define UD_USEABLE 0x40

/* The "thread's" block: a self pointer first, as glibc's TCB has. */
struct tls_block {
    struct tls_block *self;
    int value;
    int other;
};
struct tls_block block = {&block, 42, 7};

static unsigned short sel_of(int reg)
{
    unsigned short s = 0;
    switch (reg) {
    case 0: __asm__ volatile("mov %%cs, %0" : "=r"(s)); break;
    case 1: __asm__ volatile("mov %%ds, %0" : "=r"(s)); break;
    case 2: __asm__ volatile("mov %%es, %0" : "=r"(s)); break;
    case 3: __asm__ volatile("mov %%ss, %0" : "=r"(s)); break;
    case 4: __asm__ volatile("mov %%fs, %0" : "=r"(s)); break;
    default: __asm__ volatile("mov %%gs, %0" : "=r"(s)); break;
    }
    return s;
}

/* lsl: the segment's limit in bytes; ok = 0 if the CPU refuses (ZF clear). */
static unsigned lsl(unsigned sel, int *ok)
{
    unsigned limit = 0;
    unsigned char z;
    __asm__ volatile("lsl %2, %0; setz %1" : "+r"(limit), "=q"(z) : "r"(sel) : "cc");
    *ok = z;
    return limit;
}

/* lar: the access-rights bytes of the descriptor (bits 8-23). */
static unsigned lar(unsigned sel, int *ok)
{
    unsigned ar = 0;
    unsigned char z;
    __asm__ volatile("lar %2, %0; setz %1" : "+r"(ar), "=q"(z) : "r"(sel) : "cc");
    *ok = z;
    return ar;
}

/* lar's bits in words: present, privilege, code or data and its rights,
 * 32-bit, granularity (the accessed bit is left out: it changes with use). */
static void describe(const char *name, unsigned sel)
{
    int ok_l, ok_a;
    unsigned limit = lsl(sel, &ok_l), ar = lar(sel, &ok_a);
    if (!ok_l || !ok_a) {
        printf("  %s: lsl/lar refuse it (not a usable segment)\n", name);
        return;
    }
    int code = ar >> 11 & 1, rw = ar >> 9 & 1;
    printf("  %s: RPL %u, %s table; lsl: limit %#x; lar: %s, DPL %u, %s %s, %s, %s granular\n",
           name, sel & 3, sel & 4 ? "local" : "global", limit,
           ar >> 15 & 1 ? "present" : "not present", ar >> 13 & 3,
           code ? "code" : "data",
           code ? (rw ? "execute/read" : "execute-only") : (rw ? "read/write" : "read-only"),
           ar >> 22 & 1 ? "32-bit" : "16-bit", ar >> 23 & 1 ? "4 KiB" : "byte");
}

static sigjmp_buf back;
static volatile int caught_code;

static void on_segv(int sig, siginfo_t *si, void *uc)
{
    (void)sig;
    (void)uc;
    caught_code = si->si_code;
    siglongjmp(back, 1);
}

int main(void)
{
    static const char *names[] = {"cs", "ds", "es", "ss", "fs", "gs"};
    unsigned short sel[6];
    for (int i = 0; i < 6; i++)
        sel[i] = sel_of(i);
    fprintf(stderr, "segments_demo: selectors at start: cs=%#x ds=%#x es=%#x ss=%#x fs=%#x gs=%#x\n",
            sel[0], sel[1], sel[2], sel[3], sel[4], sel[5]);

    printf("segments_demo: the four flat segments\n");
    for (int i = 0; i < 4; i++)
        describe(names[i], sel[i]);

    /* Flat: the same offset through each register is the same byte. */
    unsigned char via_cs, via_ds, via_es, via_ss;
    unsigned char *x = (unsigned char *)&block.value;
    __asm__ volatile("movb %%cs:(%1), %0" : "=q"(via_cs) : "r"(x));
    __asm__ volatile("movb %%ds:(%1), %0" : "=q"(via_ds) : "r"(x));
    __asm__ volatile("movb %%es:(%1), %0" : "=q"(via_es) : "r"(x));
    __asm__ volatile("movb %%ss:(%1), %0" : "=q"(via_ss) : "r"(x));
    printf("  one offset read through cs, ds, es and ss: %u %u %u %u (base 0 in all four)\n",
           via_cs, via_ds, via_es, via_ss);
    printf("  fs and gs at start: %s\n",
           sel[4] == 0 && sel[5] == 0 ? "null selectors (no segment yet)" : "in use");

    /* Thread-local storage: a 12-byte segment based at `block`. */
    struct user_desc ud = {
        .entry_number = (unsigned)-1, /* the kernel picks a free TLS entry */
        .base_addr = (unsigned)&block,
        .limit = sizeof block - 1, /* byte granular: offsets 0..11 */
        .flags = UD_SEG_32BIT | UD_USEABLE,
    };
    long r = syscall(__NR_set_thread_area, &ud);
    if (r != 0) {
        printf("segments_demo: set_thread_area failed\n");
        return 1;
    }
    unsigned short tls = (unsigned short)(ud.entry_number * 8 + 3); /* GDT, RPL 3 */
    fprintf(stderr, "segments_demo: set_thread_area gave GDT entry %u, selector %#x\n",
            ud.entry_number, tls);
    __asm__ volatile("mov %0, %%gs" : : "r"(tls));

    printf("segments_demo: set_thread_area, then %%gs = the new entry's selector\n");
    describe("gs", sel_of(5));
    struct tls_block *self;
    int value;
    __asm__ volatile("movl %%gs:0, %0" : "=r"(self));
    __asm__ volatile("movl %%gs:4, %0" : "=r"(value));
    printf("  %%gs:0 holds the block's own address: %s\n", self == &block ? "yes" : "no");
    printf("  %%gs:4 reads %d (the thread-local value)\n", value);
    __asm__ volatile("movl %0, %%gs:4" : : "r"(43) : "memory");
    printf("  after writing 43 to %%gs:4, block.value is %d\n", block.value);

    struct user_desc back_desc = {.entry_number = ud.entry_number};
    r = syscall(__NR_get_thread_area, &back_desc);
    printf("  get_thread_area: %s, base is the block: %s, limit %u\n", r == 0 ? "ok" : "failed",
           back_desc.base_addr == (unsigned)&block ? "yes" : "no", back_desc.limit);

    /* Past the limit: the segment check fails before paging is asked. */
    struct sigaction sa = {0};
    sa.sa_sigaction = on_segv;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGSEGV, &sa, NULL);
    if (sigsetjmp(back, 1) == 0) {
        int past;
        __asm__ volatile("movl %%gs:12, %0" : "=r"(past));
        printf("  %%gs:12 read %d: the limit was not checked\n", past);
    } else {
        printf("  %%gs:12 is past the limit: SIGSEGV, si_code %s (a general-protection fault, not a page fault), though block+12 is mapped memory\n",
               caught_code == SI_KERNEL ? "SI_KERNEL" : "other");
    }
    return 0;
}
