// sigaltstack: its errno rules, SA_ONSTACK handlers on it (SS_ONSTACK and EPERM while there, uc_stack in the frame), SS_DISABLE, SS_AUTODISARM (off during the handler, back after sigreturn), a stack overflow caught on it, and without it the overflow kills: no room for the frame.
#include <errno.h>
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#define CHECK(c, n)                                            \
    do {                                                       \
        if (!(c)) {                                            \
            printf("FAIL line %d: %s\n", __LINE__, #c);        \
            exit(n);                                           \
        }                                                      \
    } while (0)

#define ALT_SIZE (64 * 1024)
static char *alt;
static sigjmp_buf back;
static volatile int on_alt, state_inside, eperm_inside, uc_ok, uc_flags;

static int within(void *p, char *base, size_t size)
{
    return (char *)p >= base && (char *)p < base + size;
}

static void where(int sig, siginfo_t *si, void *ctx)
{
    ucontext_t *uc = ctx;
    int local;
    stack_t now, other = {.ss_sp = alt, .ss_flags = 0, .ss_size = 4096};
    (void)sig;
    (void)si;
    on_alt = within(&local, alt, ALT_SIZE);
    sigaltstack(0, &now);
    state_inside = now.ss_flags;
    errno = 0;
    eperm_inside = on_alt && sigaltstack(&other, 0) < 0 ? errno : 0;
    uc_ok = uc->uc_stack.ss_sp == alt && uc->uc_stack.ss_size == ALT_SIZE;
    uc_flags = uc->uc_stack.ss_flags;
}

static void install(int sig, void *fn, int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fn;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_SIGINFO | flags;
    CHECK(sigaction(sig, &sa, 0) == 0, 2);
}

static const char *flags_name(int f)
{
    static char bufs[2][64];
    static int which;
    char *buf = bufs[which ^= 1];
    buf[0] = 0;
    if (f & SS_ONSTACK)
        strcat(buf, "SS_ONSTACK ");
    if (f & SS_DISABLE)
        strcat(buf, "SS_DISABLE ");
    if (f & (int)SS_AUTODISARM)
        strcat(buf, "SS_AUTODISARM ");
    if (!buf[0])
        strcpy(buf, "0 ");
    buf[strlen(buf) - 1] = 0;
    return buf;
}

static void show(const char *when)
{
    stack_t now;
    CHECK(sigaltstack(0, &now) == 0, 3);
    printf("%s: ss_sp %s, ss_size %d, ss_flags %s\n", when,
           now.ss_sp == 0 ? "NULL" : now.ss_sp == alt ? "alt" : "other", (int)now.ss_size,
           flags_name(now.ss_flags));
}

static void report(const char *what)
{
    printf("%s: on the alternate stack %d, sigaltstack says %s, a change there gives errno %d, "
           "uc_stack is it %d with flags %s\n",
           what, on_alt, flags_name(state_inside), eperm_inside, uc_ok, flags_name(uc_flags));
}

/* A stack of our own with a PROT_NONE guard page below, so the overflow
 * is the same natively (whatever ulimit -s says) and under toyemu. */
#define OWN_SIZE (64 * 1024)
static char *own;
static volatile int depth;
static volatile int stop_at = -1;

static __attribute__((noinline)) void recurse(volatile char *parent)
{
    volatile char buf[512];
    buf[0] = parent[0] + 1;
    if (++depth == stop_at)
        return;
    recurse(buf);
    buf[1] = buf[0];
}

static void start_recursion(void)
{
    char top = 0;
    recurse(&top);
}

static void run_on_own_stack(void (*fn)(void))
{
    char *top = own + 4096 + OWN_SIZE - 16;
    __asm__ volatile("movl %%esp, %%ebx\n\t"
                     "movl %0, %%esp\n\t"
                     "call *%1\n\t"
                     "movl %%ebx, %%esp"
                     :
                     : "r"(top), "r"(fn)
                     : "ebx", "eax", "ecx", "edx", "memory");
}

static volatile int overflow_on_alt, overflow_code, overflow_in_guard;

static void overflow(int sig, siginfo_t *si, void *ctx)
{
    int local;
    (void)sig;
    (void)ctx;
    overflow_on_alt = within(&local, alt, ALT_SIZE);
    overflow_code = si->si_code;
    overflow_in_guard = within(si->si_addr, own, 4096);
    siglongjmp(back, 1);
}

int main(void)
{
    alt = mmap(0, ALT_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    own = mmap(0, 4096 + OWN_SIZE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(alt != MAP_FAILED && own != MAP_FAILED, 1);
    CHECK(mprotect(own, 4096, PROT_NONE) == 0, 1);

    show("none yet");
    stack_t ss = {.ss_sp = alt, .ss_flags = 0, .ss_size = 100};
    int r;
    errno = 0;
    r = sigaltstack(&ss, 0);
    printf("ss_size 100: %d errno %d\n", r, errno);
    ss.ss_size = MINSIGSTKSZ - 1;
    errno = 0;
    r = sigaltstack(&ss, 0);
    printf("ss_size MINSIGSTKSZ-1: %d errno %d\n", r, errno);
    ss.ss_size = ALT_SIZE;
    ss.ss_flags = 4;
    errno = 0;
    r = sigaltstack(&ss, 0);
    printf("ss_flags 4: %d errno %d\n", r, errno);
    errno = 0;
    r = sigaltstack((stack_t *)0x10, 0);
    printf("ss at 0x10: %d errno %d\n", r, errno);
    show("after the refusals");
    /* The new stack is installed before the old one is written back. */
    ss.ss_flags = 0;
    errno = 0;
    r = sigaltstack(&ss, (stack_t *)0x10);
    printf("old_ss at 0x10: %d errno %d\n", r, errno);
    show("installed anyway");
    ss.ss_flags = SS_ONSTACK;   /* accepted, and means 0 */
    CHECK(sigaltstack(&ss, 0) == 0, 4);

    install(SIGUSR1, where, SA_ONSTACK);
    raise(SIGUSR1);
    report("SA_ONSTACK handler");
    CHECK(on_alt && state_inside == SS_ONSTACK && eperm_inside == EPERM && uc_ok, 5);

    install(SIGUSR2, where, 0);
    raise(SIGUSR2);
    report("handler without SA_ONSTACK");
    CHECK(!on_alt, 6);

    ss.ss_flags = SS_DISABLE;
    CHECK(sigaltstack(&ss, 0) == 0, 7);
    show("SS_DISABLE");
    raise(SIGUSR1);
    report("SA_ONSTACK handler, stack disabled");
    CHECK(!on_alt, 8);

    ss.ss_flags = SS_AUTODISARM;
    CHECK(sigaltstack(&ss, 0) == 0, 9);
    show("SS_AUTODISARM");
    raise(SIGUSR1);
    report("SA_ONSTACK handler, SS_AUTODISARM");
    show("after its sigreturn");
    ss.ss_flags = 0;
    CHECK(sigaltstack(&ss, 0) == 0, 10);

    /* Overflow caught on the alternate stack. */
    install(SIGSEGV, overflow, SA_ONSTACK);
    if (sigsetjmp(back, 1) == 0) {
        run_on_own_stack(start_recursion);
        return 11;
    }
    printf("overflow: caught on the alternate stack %d, %s, in the guard page %d, deeper than 50 %d\n",
           overflow_on_alt, overflow_code == SEGV_ACCERR ? "SEGV_ACCERR" : "?", overflow_in_guard,
           depth > 50);
    CHECK(overflow_on_alt && overflow_in_guard, 12);

    /* Without SA_ONSTACK there is no room for the frame: death by SIGSEGV. */
    install(SIGSEGV, overflow, 0);
    printf("overflow again, handler without SA_ONSTACK: the kernel cannot write its frame\n");
    depth = 0;
    if (sigsetjmp(back, 1) == 0)
        run_on_own_stack(start_recursion);
    printf("not reached: the handler ran\n");
    return 13;
}
