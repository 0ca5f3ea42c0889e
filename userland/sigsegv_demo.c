/* sigsegv_demo - catching SIGSEGV and carrying on: the classic lessons.
 *
 * 1. A guard page: a PROT_NONE page below a buffer.  Writing past the
 *    buffer's start faults (SEGV_ACCERR: the page is mapped, the access is
 *    not allowed); the handler makes the page accessible with mprotect and
 *    returns, and the store that faulted runs again and succeeds.
 * 2. A NULL pointer: nothing is mapped there (SEGV_MAPERR) and nothing can
 *    be done about it, so the handler leaves with siglongjmp.
 * 3. A stack overflow: the stack cannot grow past its limit, and there is
 *    no room on it for the handler's frame either, so the handler runs on
 *    an alternate stack (sigaltstack + SA_ONSTACK) and siglongjmps out.
 *
 * Addresses are printed relative to the mapping they fall in, so the output
 * is the same natively and under toyemu. */
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#define PAGE 4096

static char *guard;            /* the PROT_NONE page */
static sigjmp_buf back;
static volatile int faults;
static char altstack[4 * SIGSTKSZ];

static const char *code_name(int code)
{
    switch (code) {
    case SEGV_MAPERR: return "SEGV_MAPERR (nothing mapped there)";
    case SEGV_ACCERR: return "SEGV_ACCERR (mapped, but not for this access)";
    default: return "?";
    }
}

static int on_altstack(void *p)
{
    return (char *)p >= altstack && (char *)p < altstack + sizeof altstack;
}

/* Lesson 1: fix the cause and return; the faulting store runs again. */
static void fix_guard(int sig, siginfo_t *si, void *ctx)
{
    ucontext_t *uc = ctx;
    char *addr = si->si_addr;
    faults++;
    printf("  handler: signal %d, %s\n", sig, code_name(si->si_code));
    printf("  handler: si_addr = guard page + %d, a %s (trap %d, cr2 == si_addr: %s)\n",
           (int)(addr - guard), (uc->uc_mcontext.gregs[REG_ERR] & 2) ? "write" : "read",
           uc->uc_mcontext.gregs[REG_TRAPNO],
           uc->uc_mcontext.cr2 == (unsigned long)addr ? "yes" : "no");
    if (addr >= guard && addr < guard + PAGE) {
        printf("  handler: mprotect(guard page, PROT_READ|PROT_WRITE) and return\n");
        mprotect(guard, PAGE, PROT_READ | PROT_WRITE);
        return;
    }
    printf("  handler: not the guard page; giving up\n");
    exit(3);
}

/* Lessons 2 and 3: nothing to fix; jump back to main. */
static void bail_out(int sig, siginfo_t *si, void *ctx)
{
    int here;
    (void)ctx;
    faults++;
    printf("  handler: signal %d, %s, si_addr %s\n", sig, code_name(si->si_code),
           si->si_addr ? "non-NULL" : "NULL");
    printf("  handler: running on the %s stack\n", on_altstack(&here) ? "alternate" : "normal");
    siglongjmp(back, 1);
}

static void install(void (*fn)(int, siginfo_t *, void *), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = fn;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = SA_SIGINFO | flags;
    if (sigaction(SIGSEGV, &sa, 0) < 0) {
        perror("sigaction");
        exit(1);
    }
}

static int depth;
static volatile int stop_at = -1;   /* never reached: the stack runs out first */

/* Each call keeps a kilobyte on the stack and passes it down, so neither
 * the frames nor the recursion can be optimised away. */
static __attribute__((noinline)) void recurse(volatile char *parent)
{
    volatile char buf[1024];
    buf[0] = parent[0] + 1;
    if (++depth == stop_at)
        return;
    recurse(buf);
    buf[1] = buf[0];
}

int main(void)
{
    /* 1: a buffer page with a guard page below it. */
    char *map = mmap(0, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (map == MAP_FAILED)
        return 1;
    guard = map;
    char *buf = map + PAGE;
    mprotect(guard, PAGE, PROT_NONE);
    install(fix_guard, 0);
    printf("1. guard page: a PROT_NONE page below a buffer; writing buf[-4]\n");
    /* volatile: the compiler must not move the store past the read of
     * `faults`, which the handler changes behind its back. */
    *(volatile char *)(buf - 4) = 'x';
    printf("   back in main: buf[-4] = '%c', %d fault so far\n", buf[-4], faults);

    /* 2: a NULL pointer, left with siglongjmp. */
    install(bail_out, 0);
    printf("2. NULL pointer: reading *(int *)0\n");
    if (sigsetjmp(back, 1) == 0) {
        volatile int *null = 0;
        printf("   read %d?\n", *null);
        return 2;
    }
    sigset_t now;
    sigprocmask(SIG_BLOCK, 0, &now);
    printf("   back in main after siglongjmp; SIGSEGV blocked: %s\n",
           sigismember(&now, SIGSEGV) ? "yes" : "no");

    /* 3: a stack overflow, caught on the alternate stack. */
    stack_t ss = {.ss_sp = altstack, .ss_flags = 0, .ss_size = sizeof altstack};
    if (sigaltstack(&ss, 0) < 0) {
        perror("sigaltstack");
        return 4;
    }
    install(bail_out, SA_ONSTACK);
    printf("3. stack overflow: infinite recursion, handler on a %d-byte alternate stack\n",
           (int)sizeof altstack);
    if (sigsetjmp(back, 1) == 0) {
        char top = 0;
        recurse(&top);
        return 5;
    }
    printf("   back in main: the recursion went %s 1000 calls deep\n",
           depth > 1000 ? "more than" : "less than");
    printf("%d faults caught, and the program carries on\n", faults);
    return 0;
}
