// Masks and pending signals: a blocked signal waits (sigpending shows it, a standard one once however often it is sent, a real-time one every time) and arrives when unblocked; several unblocked at once stack their frames so the last set up runs first; SIGKILL and SIGSTOP are never blocked; sigsuspend; the errno rules of sigprocmask and sigpending.
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syscall.h>
#include <unistd.h>

#define CHECK(c, n)                                            \
    do {                                                       \
        if (!(c)) {                                            \
            printf("FAIL line %d: %s\n", __LINE__, #c);        \
            exit(n);                                           \
        }                                                      \
    } while (0)

static char order[64];
static int norder;
static volatile int hits[NSIG];

static void note(int sig)
{
    hits[sig]++;
    if (norder < 60) {
        const char *name = sig == SIGUSR1 ? "USR1" : sig == SIGUSR2 ? "USR2"
                         : sig == SIGALRM ? "ALRM" : sig == SIGTERM ? "TERM" : "RT";
        if (norder)
            order[norder++] = ' ';
        for (const char *p = name; *p; p++)
            order[norder++] = *p;
        order[norder] = 0;
    }
}

static void install(int sig, int flags, int mask_also)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = note;
    sigemptyset(&sa.sa_mask);
    if (mask_also)
        sigaddset(&sa.sa_mask, mask_also);
    sa.sa_flags = flags;
    CHECK(sigaction(sig, &sa, 0) == 0, 2);
}

static void show_pending(const char *when)
{
    sigset_t p;
    CHECK(sigpending(&p) == 0, 3);
    printf("%s: pending", when);
    int any = 0;
    for (int s = 1; s < NSIG; s++)
        if (sigismember(&p, s)) {
            printf(" %d", s);
            any = 1;
        }
    printf("%s\n", any ? "" : " none");
}

static sigset_t just(int a, int b)
{
    sigset_t s;
    sigemptyset(&s);
    if (a)
        sigaddset(&s, a);
    if (b)
        sigaddset(&s, b);
    return s;
}

int main(void)
{
    int rt = SIGRTMIN + 1;
    install(SIGUSR1, 0, 0);
    install(SIGUSR2, 0, 0);
    install(SIGALRM, 0, 0);
    install(SIGTERM, 0, 0);
    install(rt, 0, 0);

    /* Blocked: raised three times, pending once, delivered once on unblock. */
    sigset_t s = just(SIGUSR1, 0);
    sigprocmask(SIG_BLOCK, &s, 0);
    for (int i = 0; i < 3; i++)
        raise(SIGUSR1);
    printf("USR1 raised 3 times while blocked: delivered %d\n", hits[SIGUSR1]);
    show_pending("while blocked");
    sigprocmask(SIG_UNBLOCK, &s, 0);
    printf("after unblocking: delivered %d\n", hits[SIGUSR1]);
    show_pending("after unblocking");
    CHECK(hits[SIGUSR1] == 1, 4);

    /* A real-time signal queues every instance. */
    s = just(rt, 0);
    sigprocmask(SIG_BLOCK, &s, 0);
    for (int i = 0; i < 3; i++)
        raise(rt);
    sigprocmask(SIG_UNBLOCK, &s, 0);
    printf("SIGRTMIN+1 raised 3 times while blocked: delivered %d\n", hits[rt]);
    CHECK(hits[rt] == 3, 5);

    /* Four pending at once, unblocked together: every frame is set up
     * before any handler runs, lowest signal first, so the handlers run
     * highest first. With USR2 in USR1's sa_mask, USR1's frame holds USR2
     * back until USR1's handler returns. */
    norder = 0;
    install(SIGUSR1, 0, SIGUSR2);
    sigset_t all;
    sigfillset(&all);
    sigprocmask(SIG_BLOCK, &all, 0);
    raise(SIGUSR2);
    raise(SIGTERM);
    raise(SIGALRM);
    raise(SIGUSR1);
    show_pending("four blocked");
    sigset_t none;
    sigemptyset(&none);
    sigprocmask(SIG_SETMASK, &none, 0);
    printf("handlers ran in the order: %s\n", order);

    /* SIGKILL and SIGSTOP cannot be blocked. */
    sigset_t got;
    sigprocmask(SIG_BLOCK, &all, 0);
    sigprocmask(SIG_BLOCK, 0, &got);
    printf("after blocking everything: KILL %d STOP %d USR1 %d RTMAX %d\n", sigismember(&got, SIGKILL),
           sigismember(&got, SIGSTOP), sigismember(&got, SIGUSR1), sigismember(&got, SIGRTMAX));
    sigprocmask(SIG_SETMASK, &none, 0);

    /* sigsuspend: wait with a mask that lets the pending signal in; the
     * old mask comes back after the handler. */
    s = just(SIGUSR1, 0);
    sigprocmask(SIG_BLOCK, &s, 0);
    raise(SIGUSR1);
    int before = hits[SIGUSR1];
    errno = 0;
    int r = sigsuspend(&none);
    int e = errno;
    sigprocmask(SIG_BLOCK, 0, &got);
    printf("sigsuspend = %d errno %d, handler ran %d, USR1 blocked again %d\n", r, e,
           hits[SIGUSR1] - before, sigismember(&got, SIGUSR1));
    sigprocmask(SIG_SETMASK, &none, 0);

    /* An ignored signal that is blocked stays pending; SIG_IGN drops it. */
    signal(SIGUSR2, SIG_IGN);
    s = just(SIGUSR2, 0);
    sigprocmask(SIG_BLOCK, &s, 0);
    raise(SIGUSR2);
    show_pending("ignored USR2, blocked");
    signal(SIGUSR2, SIG_IGN);
    show_pending("after SIG_IGN again");
    install(SIGUSR2, 0, 0);
    raise(SIGUSR2);
    show_pending("handled USR2, blocked");
    signal(SIGUSR2, SIG_DFL);
    show_pending("after SIG_DFL");
    signal(SIGUSR2, SIG_IGN);
    show_pending("after SIG_IGN");
    sigprocmask(SIG_SETMASK, &none, 0);

    /* errno rules. */
    errno = 0;
    r = sigprocmask(99, &s, 0);
    printf("sigprocmask(99, set) = %d errno %d\n", r, errno);
    r = sigprocmask(99, 0, &got);
    printf("sigprocmask(99, NULL) = %d\n", r);
    printf("rt_sigprocmask sigsetsize 4: %ld\n",
           __syscall6(__NR_rt_sigprocmask, SIG_BLOCK, (long)&s, 0, 4, 0, 0));
    printf("rt_sigprocmask set=0x10: %ld\n", __syscall6(__NR_rt_sigprocmask, SIG_BLOCK, 0x10, 0, 8, 0, 0));
    printf("rt_sigprocmask oset=0x10: %ld\n", __syscall6(__NR_rt_sigprocmask, SIG_BLOCK, 0, 0x10, 8, 0, 0));
    unsigned long words[3] = {0xdead, 0xbeef, 0xf00d};
    sigprocmask(SIG_BLOCK, &s, 0);
    raise(SIGUSR2);
    long n = __syscall6(__NR_rt_sigpending, (long)words, 4, 0, 0, 0, 0);
    printf("rt_sigpending size 4: %ld -> %lx %lx %lx\n", n, words[0], words[1], words[2]);
    printf("rt_sigpending size 9: %ld\n", __syscall6(__NR_rt_sigpending, (long)words, 9, 0, 0, 0, 0));
    printf("rt_sigpending size 0 to NULL: %ld\n", __syscall6(__NR_rt_sigpending, 0, 0, 0, 0, 0, 0));
    printf("rt_sigpending to 0x10: %ld\n", __syscall6(__NR_rt_sigpending, 0x10, 8, 0, 0, 0, 0));
    printf("rt_sigsuspend sigsetsize 4: %ld\n", __syscall6(__NR_rt_sigsuspend, (long)&none, 4, 0, 0, 0, 0));
    printf("rt_sigsuspend set=0x10: %ld\n", __syscall6(__NR_rt_sigsuspend, 0x10, 8, 0, 0, 0, 0));
    return 0;
}
