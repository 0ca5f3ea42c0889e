/* Signals without faults: raise() with a handler, SIG_IGN, sigprocmask
 * blocking and sigpending, delivery on unblock, SA_RESETHAND, kill() to
 * self, and a final abort() that must end the process with SIGABRT (status
 * 134) after stdout was flushed. Exit codes: 1 handler not run, 2 blocked
 * signal delivered early, 3 not pending, 4 not delivered on unblock,
 * 5 SA_RESETHAND did not reset, 6 abort returned. */
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

static volatile sig_atomic_t got[65];
static void on_sig(int sig) { got[sig]++; }

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = on_sig;
    sigemptyset(&sa.sa_mask);
    sigaction(SIGUSR1, &sa, NULL);
    raise(SIGUSR1);
    printf("SIGUSR1 handled %d time(s)\n", (int)got[SIGUSR1]);
    if (got[SIGUSR1] != 1)
        return 1;
    signal(SIGUSR2, SIG_IGN);
    raise(SIGUSR2);
    printf("SIGUSR2 ignored\n");

    sigset_t block, pend;
    sigemptyset(&block);
    sigaddset(&block, SIGUSR1);
    sigprocmask(SIG_BLOCK, &block, NULL);
    kill(getpid(), SIGUSR1);
    if (got[SIGUSR1] != 1)
        return 2;
    sigpending(&pend);
    printf("blocked SIGUSR1 pending: %d\n", sigismember(&pend, SIGUSR1));
    if (!sigismember(&pend, SIGUSR1))
        return 3;
    sigprocmask(SIG_UNBLOCK, &block, NULL);
    printf("after unblock: handled %d time(s)\n", (int)got[SIGUSR1]);
    if (got[SIGUSR1] != 2)
        return 4;

    sa.sa_flags = SA_RESETHAND;
    sigaction(SIGALRM, &sa, NULL);
    raise(SIGALRM);
    struct sigaction old;
    sigaction(SIGALRM, NULL, &old);
    printf("SA_RESETHAND: handled %d, handler now %s\n", (int)got[SIGALRM],
           old.sa_handler == SIG_DFL ? "SIG_DFL" : "still set");
    if (old.sa_handler != SIG_DFL)
        return 5;
    printf("calling abort()\n");
    fflush(stdout);
    abort();
    return 6;
}
