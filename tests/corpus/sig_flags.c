// SA_RESETHAND (the handler runs once, then SIG_DFL; the flag stays), SA_NODEFER (the signal raised inside its own handler nests) against the default (it waits for the handler to return), and a handler that returns to code which raises again.
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#define CHECK(c, n)                                            \
    do {                                                       \
        if (!(c)) {                                            \
            printf("FAIL line %d: %s\n", __LINE__, #c);        \
            exit(n);                                           \
        }                                                      \
    } while (0)

static char trail[128];
static int ntrail;
static volatile int depth, max_depth, calls;

static void log_event(const char *s)
{
    while (*s && ntrail < 120)
        trail[ntrail++] = *s++;
    trail[ntrail] = 0;
}

static void nesting(int sig)
{
    char buf[16];
    int me = ++calls;
    depth++;
    if (depth > max_depth)
        max_depth = depth;
    snprintf(buf, sizeof buf, "enter%d ", me);
    log_event(buf);
    if (me == 1)
        raise(sig);     /* nests with SA_NODEFER, else waits */
    snprintf(buf, sizeof buf, "leave%d ", me);
    log_event(buf);
    depth--;
}

static void once(int sig)
{
    (void)sig;
    calls++;
}

static void install(int sig, void (*fn)(int), int flags)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_handler = fn;
    sigemptyset(&sa.sa_mask);
    sa.sa_flags = flags;
    CHECK(sigaction(sig, &sa, 0) == 0, 2);
}

int main(void)
{
    install(SIGUSR1, nesting, 0);
    raise(SIGUSR1);
    printf("default:    %s(deepest %d)\n", trail, max_depth);
    CHECK(max_depth == 1 && calls == 2, 3);

    ntrail = 0;
    calls = max_depth = 0;
    install(SIGUSR1, nesting, SA_NODEFER);
    raise(SIGUSR1);
    printf("SA_NODEFER: %s(deepest %d)\n", trail, max_depth);
    CHECK(max_depth == 2 && calls == 2, 4);

    /* SA_RESETHAND: back to SIG_DFL once the handler is invoked. Ignore
     * the signal afterwards so the second raise does not kill. */
    calls = 0;
    install(SIGUSR2, once, SA_RESETHAND);
    raise(SIGUSR2);
    struct sigaction now;
    sigaction(SIGUSR2, 0, &now);
    printf("SA_RESETHAND: %d call; handler now SIG_DFL %d, SA_RESETHAND still set %d\n", calls,
           now.sa_handler == SIG_DFL, !!(now.sa_flags & SA_RESETHAND));
    CHECK(calls == 1 && now.sa_handler == SIG_DFL, 5);

    /* SA_RESETHAND on SIGCHLD: the second raise finds SIG_DFL, whose
     * action for SIGCHLD is to ignore it. */
    calls = 0;
    install(SIGCHLD, once, SA_RESETHAND | SA_NODEFER);
    raise(SIGCHLD);
    raise(SIGCHLD);
    printf("SIGCHLD with SA_RESETHAND: %d call, the second was ignored\n", calls);
    CHECK(calls == 1, 6);
    return 0;
}
