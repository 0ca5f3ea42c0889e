// The x87 state across a signal: the interrupted code's registers, control word and stack survive a handler that uses the FPU, the handler starts with a fresh FPU, and the rt frame's fpregs show the state as it was.
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

#define CHECK(c, n)                                            \
    do {                                                       \
        if (!(c)) {                                            \
            printf("FAIL line %d: %s\n", __LINE__, #c);        \
            exit(n);                                           \
        }                                                      \
    } while (0)

/* Round toward zero, 53-bit precision, every exception masked. */
#define CW_MAIN 0x0e7f
#define CW_INIT 0x037f

static volatile unsigned short seen_cw, seen_tag_empty;
static volatile unsigned short saved_cw;
static volatile int saved_top_is_one, saved_next_is_pi, had_fpregs;
static volatile double handler_result;

/* Two values on the x87 stack, then a ud2 (the handler skips it), then the
 * stack and the control word as they came back. */
static double after[2];
static unsigned short cw_after;
static void interrupted(void)
{
    unsigned short cw = CW_MAIN;
    __asm__ volatile("fldcw %3\n\t"
                     "fldpi\n\t"
                     "fld1\n\t"
                     "ud2\n\t"
                     "fstpl %0\n\t"
                     "fstpl %1\n\t"
                     "fnstcw %2"
                     : "=m"(after[0]), "=m"(after[1]), "=m"(cw_after)
                     : "m"(cw));
}

/* What a handler finds: the control word, and whether all eight
 * registers are empty (tag word 0xffff). Then it fills the stack and
 * changes the control word, which sigreturn must undo. */
static void use_the_fpu(void)
{
    unsigned short cw, env[14];
    __asm__ volatile("fnstcw %0" : "=m"(cw));
    __asm__ volatile("fnstenv %0" : "=m"(env));
    seen_cw = cw;
    seen_tag_empty = env[4] == 0xffff;
    volatile double x = 3.0;
    handler_result = x * x + 0.5;
    unsigned short odd = 0x0f7f;
    __asm__ volatile("fldcw %0\n\t"
                     "fldz\n\tfldz\n\tfldz\n\tfldz\n\tfldz\n\tfldz" ::"m"(odd));
}

static int is_one(const struct _libc_fpreg *r)
{
    return r->exponent == 0x3fff && r->significand[3] == 0x8000 && r->significand[2] == 0 &&
           r->significand[1] == 0 && r->significand[0] == 0;
}

static int is_pi(const struct _libc_fpreg *r)
{
    /* fldpi rounded toward zero (CW_MAIN): 0x4000 c90fdaa22168c234; to
     * nearest it would end in c235. */
    return r->exponent == 0x4000 && r->significand[3] == 0xc90f && r->significand[2] == 0xdaa2 &&
           r->significand[1] == 0x2168 && r->significand[0] == 0xc234;
}

static void rt_handler(int sig, siginfo_t *si, void *ctx)
{
    ucontext_t *uc = ctx;
    (void)sig;
    (void)si;
    const struct _libc_fpstate *fp = uc->uc_mcontext.fpregs;
    had_fpregs = fp != 0;
    if (fp) {
        saved_cw = fp->cw & 0xffff;
        saved_top_is_one = is_one(&fp->_st[0]);
        saved_next_is_pi = is_pi(&fp->_st[1]);
    }
    use_the_fpu();
    uc->uc_mcontext.gregs[REG_EIP] += 2;
}

static void plain_handler(int sig)
{
    uintptr_t a = (uintptr_t)&sig;
    __asm__("" : "+r"(a));
    struct sigcontext *sc = (struct sigcontext *)(a + sizeof sig);
    use_the_fpu();
    sc->eip += 2;
}

static void install(void *fn, int siginfo)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    if (siginfo)
        sa.sa_sigaction = fn;
    else
        sa.sa_handler = fn;
    sa.sa_flags = siginfo ? SA_SIGINFO : 0;
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(SIGILL, &sa, 0) == 0, 2);
}

static void report(const char *frame)
{
    printf("%s frame: handler began with cw %#x, stack empty %d; computed %d\n", frame, seen_cw,
           seen_tag_empty, (int)(handler_result * 10));
    printf("%s frame: after return ST(0) %s, ST(1) %s, cw %#x\n", frame,
           after[0] == 1.0 ? "1.0" : "wrong", after[1] > 3.14159 && after[1] < 3.1416 ? "pi" : "wrong",
           cw_after);
    CHECK(seen_cw == CW_INIT && seen_tag_empty, 3);
    CHECK(after[0] == 1.0 && after[1] > 3.14159 && cw_after == CW_MAIN, 4);
}

int main(void)
{
    install(rt_handler, 1);
    interrupted();
    printf("rt frame: fpregs %s, saved cw %#x, ST(0) is 1.0 %d, ST(1) is pi %d\n",
           had_fpregs ? "present" : "NULL", saved_cw, saved_top_is_one, saved_next_is_pi);
    CHECK(had_fpregs && saved_cw == CW_MAIN && saved_top_is_one && saved_next_is_pi, 5);
    report("rt");

    memset(after, 0, sizeof after);
    seen_cw = 0;
    install(plain_handler, 0);
    interrupted();
    report("old");
    return 0;
}
