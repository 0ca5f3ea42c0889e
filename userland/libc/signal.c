/* signal.c - sigaction and friends, raise and abort, on the Linux i386
 * signal system calls.
 *
 * The kernel's struct sigaction of i386 is {handler, flags, restorer,
 * mask[2]}; the C one has the mask second.  Every handler is installed
 * with SA_RESTORER and one of the two stubs of sigrestore.S, as musl does
 * (i386 glibc returns through the vDSO instead): __restore_rt
 * (rt_sigreturn) for SA_SIGINFO handlers, whose kernel frame is the rt
 * one, __restore (sigreturn) for the others. */
#include <errno.h>
#include <signal.h>
#include <string.h>
#include <syscall.h>
#include <unistd.h>

void __restore(void);
void __restore_rt(void);

struct k_sigaction {
    void *handler;
    unsigned long flags;
    void (*restorer)(void);
    unsigned long mask[2];
};

/* The kernel's sigset_t is 8 bytes: the size every rt_* call checks. */
#define KSIGSET 8

static long ret(long r)
{
    if ((unsigned long)r > -4096UL) {
        errno = (int)-r;
        return -1;
    }
    return r;
}

static long sys(long n, long a, long b, long c, long d)
{
    return __syscall6(n, a, b, c, d, 0, 0);
}

int sigaction(int sig, const struct sigaction *act, struct sigaction *oact)
{
    struct k_sigaction k, old;
    if (act) {
        k.handler = (void *)act->sa_handler;
        k.flags = (unsigned long)act->sa_flags | SA_RESTORER;
        k.restorer = (act->sa_flags & SA_SIGINFO) ? __restore_rt : __restore;
        k.mask[0] = act->sa_mask.__val[0];
        k.mask[1] = act->sa_mask.__val[1];
    }
    long r = sys(__NR_rt_sigaction, sig, act ? (long)&k : 0, oact ? (long)&old : 0, KSIGSET);
    if (ret(r) < 0)
        return -1;
    if (oact) {
        oact->sa_handler = (void (*)(int))old.handler;
        oact->sa_flags = (int)old.flags;
        oact->sa_restorer = old.restorer;
        oact->sa_mask.__val[0] = old.mask[0];
        oact->sa_mask.__val[1] = old.mask[1];
    }
    return 0;
}

/* BSD semantics, as glibc's signal(): the handler stays installed, its
 * own signal is blocked while it runs, interrupted calls restart. */
sighandler_t signal(int sig, sighandler_t handler)
{
    struct sigaction act, old;
    memset(&act, 0, sizeof act);
    act.sa_handler = handler;
    if (sigemptyset(&act.sa_mask) < 0 || sigaddset(&act.sa_mask, sig) < 0)
        return SIG_ERR;
    act.sa_flags = SA_RESTART;
    if (sigaction(sig, &act, &old) < 0)
        return SIG_ERR;
    return old.sa_handler;
}

int sigprocmask(int how, const sigset_t *set, sigset_t *oset)
{
    return (int)ret(sys(__NR_rt_sigprocmask, how, (long)set, (long)oset, KSIGSET));
}

int sigpending(sigset_t *set)
{
    return (int)ret(sys(__NR_rt_sigpending, (long)set, KSIGSET, 0, 0));
}

int sigsuspend(const sigset_t *mask)
{
    return (int)ret(sys(__NR_rt_sigsuspend, (long)mask, KSIGSET, 0, 0));
}

int pause(void)
{
    return (int)ret(sys(__NR_pause, 0, 0, 0, 0));
}

int sigaltstack(const stack_t *ss, stack_t *old)
{
    return (int)ret(sys(__NR_sigaltstack, (long)ss, (long)old, 0, 0));
}

int tgkill(pid_t tgid, pid_t tid, int sig)
{
    return (int)ret(sys(__NR_tgkill, tgid, tid, sig, 0));
}

static int bad_signal(int sig)
{
    if (sig <= 0 || sig >= NSIG) {
        errno = EINVAL;
        return 1;
    }
    return 0;
}

int sigemptyset(sigset_t *set)
{
    set->__val[0] = set->__val[1] = 0;
    return 0;
}

int sigfillset(sigset_t *set)
{
    set->__val[0] = set->__val[1] = ~0UL;
    return 0;
}

int sigaddset(sigset_t *set, int sig)
{
    if (bad_signal(sig))
        return -1;
    set->__val[(sig - 1) / 32] |= 1UL << ((sig - 1) % 32);
    return 0;
}

int sigdelset(sigset_t *set, int sig)
{
    if (bad_signal(sig))
        return -1;
    set->__val[(sig - 1) / 32] &= ~(1UL << ((sig - 1) % 32));
    return 0;
}

int sigismember(const sigset_t *set, int sig)
{
    if (bad_signal(sig))
        return -1;
    return (set->__val[(sig - 1) / 32] >> ((sig - 1) % 32)) & 1;
}

/* As glibc: every signal blocked around the tgkill, so the signal is
 * delivered when the old mask comes back, not in the middle of raise. */
int raise(int sig)
{
    sigset_t all, old;
    sigfillset(&all);
    sys(__NR_rt_sigprocmask, SIG_BLOCK, (long)&all, (long)&old, KSIGSET);
    long r = sys(__NR_tgkill, getpid(), gettid(), sig, 0);
    sys(__NR_rt_sigprocmask, SIG_SETMASK, (long)&old, 0, KSIGSET);
    return (int)ret(r);
}

/* As glibc's abort: unblock SIGABRT and raise it; if a handler returns,
 * put the default action back and raise it again; if even that does not
 * end the process, a privileged instruction (SIGSEGV), then exit 127. */
__attribute__((noreturn)) void abort(void)
{
    sigset_t abrt;
    sigemptyset(&abrt);
    sigaddset(&abrt, SIGABRT);
    sigprocmask(SIG_UNBLOCK, &abrt, 0);
    raise(SIGABRT);
    struct sigaction dfl;
    memset(&dfl, 0, sizeof dfl);
    dfl.sa_handler = SIG_DFL;
    sigfillset(&dfl.sa_mask);
    sigaction(SIGABRT, &dfl, 0);
    raise(SIGABRT);
    __asm__ volatile("hlt");
    for (;;)
        _exit(127);
}
