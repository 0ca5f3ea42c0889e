// abort() as glibc does it: SIGABRT unblocked and raised; a handler that leaves with siglongjmp keeps the program alive; one that returns makes abort restore SIG_DFL and raise again, which kills (134).
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static sigjmp_buf back;
static volatile int caught;

static void leave(int sig)
{
    caught++;
    printf("handler: caught signal %d, leaving abort() with siglongjmp\n", sig);
    siglongjmp(back, 1);
}

static void just_return(int sig)
{
    caught++;
    printf("handler: caught signal %d, returning\n", sig);
}

int main(void)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sigemptyset(&sa.sa_mask);
    sa.sa_handler = leave;
    sigaction(SIGABRT, &sa, 0);
    /* Even blocked, SIGABRT gets through: abort unblocks it first. */
    sigset_t abrt;
    sigemptyset(&abrt);
    sigaddset(&abrt, SIGABRT);
    sigprocmask(SIG_BLOCK, &abrt, 0);
    if (sigsetjmp(back, 1) == 0) {
        abort();
        printf("not reached\n");
        return 1;
    }
    sigset_t now;
    sigprocmask(SIG_BLOCK, 0, &now);
    printf("recovered from abort(), %d caught; SIGABRT blocked again (the saved mask) %d\n",
           caught, sigismember(&now, SIGABRT));

    sa.sa_handler = just_return;
    sigaction(SIGABRT, &sa, 0);
    printf("abort() again, with a handler that returns:\n");
    abort();
    printf("not reached either\n");
    return 2;
}
