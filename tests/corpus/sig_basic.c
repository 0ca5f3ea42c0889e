// Signal handlers, plain and SA_SIGINFO: kill/raise/tgkill/tkill to oneself with their siginfo, SIGBUS by kill, the handler's stack alignment and mask, ignored signals, and the errno rules of sigaction and kill.
#include <errno.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syscall.h>
#include <ucontext.h>
#include <unistd.h>

#define CHECK(c, n)                                            \
    do {                                                       \
        if (!(c)) {                                            \
            printf("FAIL line %d: %s\n", __LINE__, #c);        \
            exit(n);                                           \
        }                                                      \
    } while (0)

static volatile int plain_hits, info_hits, last_sig;
static volatile int last_code, last_pid_ok, last_uid_ok, last_signo_ok;
static volatile int aligned, own_blocked, usr2_blocked, mask_matches;
static sigset_t mask_before;

static void plain(int sig)
{
    sigset_t now;
    plain_hits++;
    last_sig = sig;
    /* The i386 ABI at a function's entry: (esp + 4) % 16 == 0, so the
     * frame pointer (esp - 4 after the push) is 8 below a 16-byte line. */
    aligned = ((uintptr_t)__builtin_frame_address(0) + 8) % 16 == 0;
    sigprocmask(SIG_BLOCK, 0, &now);
    own_blocked = sigismember(&now, sig);
    usr2_blocked = sigismember(&now, SIGUSR2);
}

static void with_info(int sig, siginfo_t *si, void *ctx)
{
    ucontext_t *uc = ctx;
    info_hits++;
    last_sig = sig;
    last_signo_ok = si->si_signo == sig && si->si_errno == 0;
    last_code = si->si_code;
    last_pid_ok = si->si_pid == getpid();
    last_uid_ok = si->si_uid == (uid_t)syscall(__NR_getuid32);
    aligned = ((uintptr_t)__builtin_frame_address(0) + 8) % 16 == 0;
    mask_matches = memcmp(&uc->uc_sigmask, &mask_before, sizeof(sigset_t)) == 0;
}

static void install(int sig, void *fn, int flags, int also_block)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    if (flags & SA_SIGINFO)
        sa.sa_sigaction = fn;
    else
        sa.sa_handler = fn;
    sigemptyset(&sa.sa_mask);
    if (also_block)
        sigaddset(&sa.sa_mask, also_block);
    sa.sa_flags = flags;
    CHECK(sigaction(sig, &sa, 0) == 0, 2);
}

static const char *code_name(int c)
{
    switch (c) {
    case SI_USER: return "SI_USER";
    case SI_TKILL: return "SI_TKILL";
    case SI_KERNEL: return "SI_KERNEL";
    default: return "other";
    }
}

/* The kernel's struct sigaction, for the raw calls. */
struct ksa {
    void *handler;
    unsigned long flags;
    void *restorer;
    unsigned long mask[2];
};

int main(void)
{
    sigprocmask(SIG_BLOCK, 0, &mask_before);

    /* A plain handler through signal(): BSD semantics, sa_mask holds the
     * signal itself. */
    CHECK(signal(SIGUSR1, plain) == SIG_DFL, 3);
    CHECK(kill(getpid(), SIGUSR1) == 0, 4);
    printf("signal()+kill: hits %d, sig %d, aligned %d, own signal blocked inside %d\n",
           plain_hits, last_sig, aligned, own_blocked);
    CHECK(plain_hits == 1 && last_sig == SIGUSR1 && aligned && own_blocked == 1, 5);
    CHECK(signal(SIGUSR1, SIG_DFL) == plain, 6);

    /* sa_mask: SIGUSR2 blocked while the SIGUSR1 handler runs. */
    install(SIGUSR1, plain, 0, SIGUSR2);
    raise(SIGUSR1);
    printf("sa_mask=[USR2]: USR2 blocked inside %d\n", usr2_blocked);
    CHECK(usr2_blocked == 1, 7);
    sigset_t after;
    sigprocmask(SIG_BLOCK, 0, &after);
    CHECK(!sigismember(&after, SIGUSR1) && !sigismember(&after, SIGUSR2), 8);

    /* SA_SIGINFO: who sent it, as the four ways of sending say it. */
    install(SIGUSR1, with_info, SA_SIGINFO, 0);
    struct {
        const char *how;
        int expect;
    } ways[] = {{"kill", SI_USER}, {"raise", SI_TKILL}, {"tgkill", SI_TKILL}, {"tkill", SI_TKILL}};
    for (int i = 0; i < 4; i++) {
        int before = info_hits;
        if (i == 0)
            kill(getpid(), SIGUSR1);
        else if (i == 1)
            raise(SIGUSR1);
        else if (i == 2)
            tgkill(getpid(), gettid(), SIGUSR1);
        else
            syscall(__NR_tkill, gettid(), SIGUSR1);
        printf("%-6s: delivered %d, si_code %s, signo ok %d, si_pid ok %d, si_uid ok %d, "
               "aligned %d, uc_sigmask is the old mask %d\n",
               ways[i].how, info_hits - before, code_name(last_code), last_signo_ok,
               last_pid_ok, last_uid_ok, aligned, mask_matches);
        CHECK(info_hits == before + 1 && last_code == ways[i].expect, 10 + i);
        CHECK(last_signo_ok && last_pid_ok && last_uid_ok && aligned && mask_matches, 14);
    }
    /* (Not kill(0, sig): natively the group holds whoever started us.) */

    /* SIGBUS from kill: the handler runs; si_code is SI_USER. */
    install(SIGBUS, with_info, SA_SIGINFO, 0);
    raise(SIGBUS);
    printf("SIGBUS by raise: sig %d, si_code %s\n", last_sig, code_name(last_code));
    CHECK(last_sig == SIGBUS && last_code == SI_TKILL, 16);

    /* Ignored: SIG_IGN, and signals whose default is to ignore. */
    signal(SIGUSR2, SIG_IGN);
    CHECK(raise(SIGUSR2) == 0, 17);
    int ign[] = {SIGCHLD, SIGCONT, SIGURG, SIGWINCH};
    for (int i = 0; i < 4; i++)
        CHECK(kill(getpid(), ign[i]) == 0, 18);
    printf("SIG_IGN'd USR2 and default-ignored CHLD CONT URG WINCH: still here\n");

    /* The old action comes back from sigaction, flags as the kernel keeps them. */
    struct sigaction old;
    CHECK(sigaction(SIGUSR1, 0, &old) == 0, 19);
    printf("old action of USR1: handler is with_info %d, SA_SIGINFO %d, SA_RESTORER %d\n",
           old.sa_sigaction == with_info, !!(old.sa_flags & SA_SIGINFO),
           !!(old.sa_flags & SA_RESTORER));

    /* errno rules (each call before its errno is read: printf's
     * arguments have no order). */
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = plain;
    int rc;
#define TRY(what, call)                                     \
    do {                                                    \
        errno = 0;                                          \
        rc = (call);                                        \
        printf("%s = %d errno %d\n", what, rc, errno);      \
    } while (0)
    TRY("sigaction(SIGKILL, act)", sigaction(SIGKILL, &sa, 0));
    TRY("sigaction(SIGSTOP, act)", sigaction(SIGSTOP, &sa, 0));
    TRY("sigaction(SIGKILL, NULL, &old)", sigaction(SIGKILL, 0, &old));
    printf("  SIGKILL's handler is SIG_DFL: %d\n", old.sa_handler == SIG_DFL);
    TRY("sigaction(0)", sigaction(0, &sa, 0));
    TRY("sigaction(65)", sigaction(65, 0, &old));
    struct ksa k = {(void *)plain, 0, 0, {0, 0}};
    printf("rt_sigaction sigsetsize 4: %ld\n", __syscall6(__NR_rt_sigaction, SIGUSR1, (long)&k, 0, 4, 0, 0));
    printf("rt_sigaction sigsetsize 16: %ld\n", __syscall6(__NR_rt_sigaction, SIGUSR1, (long)&k, 0, 16, 0, 0));
    printf("rt_sigaction act=0x10: %ld\n", __syscall6(__NR_rt_sigaction, SIGUSR1, 0x10, 0, 8, 0, 0));
    printf("rt_sigaction oact=0x10: %ld\n", __syscall6(__NR_rt_sigaction, SIGUSR1, 0, 0x10, 8, 0, 0));
    printf("rt_sigaction(SIGKILL, act=0x10): %ld\n", __syscall6(__NR_rt_sigaction, SIGKILL, 0x10, 0, 8, 0, 0));
    /* Unknown flag bits are dropped (so programs can probe for them). */
    struct ksa probe = {(void *)plain, SA_RESTART | 0x400 | 0x100 | 0x20000000, 0, {~0UL, ~0UL}};
    struct ksa back;
    __syscall6(__NR_rt_sigaction, SIGUSR2, (long)&probe, 0, 8, 0, 0);
    __syscall6(__NR_rt_sigaction, SIGUSR2, 0, (long)&back, 8, 0, 0);
    printf("flags SA_RESTART|0x20000500 read back as %#lx; mask ~0 read back with KILL %d STOP %d\n",
           back.flags, !!(back.mask[0] & (1UL << (SIGKILL - 1))),
           !!(back.mask[0] & (1UL << (SIGSTOP - 1))));
    /* The old sigaction (67), which glibc and musl do not use. */
    struct {
        void *handler;
        unsigned long mask, flags;
        void *restorer;
    } oldsa;
    long r = __syscall6(__NR_sigaction, SIGUSR1, 0, (long)&oldsa, 0, 0, 0);
    printf("sigaction(67) = %ld: handler is with_info %d, flags SA_SIGINFO %d\n", r,
           oldsa.handler == (void *)with_info, !!(oldsa.flags & SA_SIGINFO));

    TRY("kill(self, 65)", kill(getpid(), 65));
    TRY("kill(self, -1)", kill(getpid(), -1));
    TRY("kill(self, 0)", kill(getpid(), 0));
    TRY("tgkill(0, tid, USR1)", tgkill(0, gettid(), SIGUSR1));
    TRY("tgkill(pid, 0, USR1)", tgkill(getpid(), 0, SIGUSR1));
    TRY("tgkill(pid, tid, 65)", tgkill(getpid(), gettid(), 65));
    TRY("tgkill(pid, tid + 1, USR1)", tgkill(getpid(), gettid() + 1, SIGUSR1));
    printf("tkill(-1, USR1) = %ld\n", __syscall6(__NR_tkill, -1, SIGUSR1, 0, 0, 0, 0));
    printf("handler runs so far: plain %d, siginfo %d\n", plain_hits, info_hits);
    return 0;
}
