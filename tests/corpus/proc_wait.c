// proc_wait: fork, exit codes and deaths seen through waitpid, WNOHANG, ECHILD, SIGCHLD's siginfo, copy-on-write isolation, kill between processes.
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile int chld_count, chld_code, chld_status;
static int shared_counter = 100;
static char buffer[3 * 4096];

static void on_chld(int sig, siginfo_t *si, void *ctx)
{
    (void)sig;
    (void)ctx;
    chld_count++;
    chld_code = si->si_code;
    chld_status = si->si_status;
}

#define CHECK(c, code)                                                    \
    do {                                                                  \
        if (!(c)) {                                                       \
            printf("FAIL line %d: %s\n", __LINE__, #c);                   \
            exit(code);                                                   \
        }                                                                 \
    } while (0)

int main(void)
{
    pid_t me = getpid();
    int st = 0;

    // No children yet.
    CHECK(waitpid(-1, &st, 0) == -1 && errno == ECHILD, 2);
    printf("no children: ECHILD\n");

    // A child that exits with a code; it sees its parent and its own copy of memory.
    memset(buffer, 'p', sizeof buffer);
    pid_t c = fork();
    CHECK(c >= 0, 3);
    if (c == 0) {
        CHECK(getppid() == me, 4);
        CHECK(getpid() != me, 5);
        shared_counter += 1;
        memset(buffer, 'c', sizeof buffer);
        printf("child: counter %d, buffer[5000] '%c'\n", shared_counter, buffer[5000]);
        fflush(stdout);
        _exit(42);
    }
    CHECK(waitpid(c, &st, 0) == c, 6);
    printf("child exited: %d %d\n", WIFEXITED(st), WEXITSTATUS(st));
    printf("parent: counter %d, buffer[5000] '%c'\n", shared_counter, buffer[5000]);

    // A child killed by a signal.
    c = fork();
    if (c == 0) {
        kill(getpid(), SIGTERM);
        for (;;)
            pause();
    }
    CHECK(waitpid(c, &st, 0) == c, 7);
    printf("child killed: signaled %d, signal %d\n", WIFSIGNALED(st), WTERMSIG(st));

    // WNOHANG on a child still blocked on a pipe, then its end.
    int fds[2];
    CHECK(pipe(fds) == 0, 8);
    c = fork();
    if (c == 0) {
        char b;
        close(fds[1]);
        ssize_t n = read(fds[0], &b, 1);
        _exit(n == 0 ? 9 : 10);
    }
    close(fds[0]);
    CHECK(waitpid(c, &st, WNOHANG) == 0, 11);
    printf("WNOHANG while the child waits: 0\n");
    close(fds[1]);
    CHECK(waitpid(c, &st, 0) == c, 12);
    printf("child saw EOF and exited %d\n", WEXITSTATUS(st));

    // SIGCHLD with its siginfo, delivered before wait returns.
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    sa.sa_sigaction = on_chld;
    sa.sa_flags = SA_SIGINFO;
    sigaction(SIGCHLD, &sa, 0);
    c = fork();
    if (c == 0)
        _exit(5);
    CHECK(waitpid(c, &st, 0) == c, 13);
    printf("SIGCHLD: %d time(s), si_code %d (CLD_EXITED 1), si_status %d\n", chld_count, chld_code,
           chld_status);

    // Several children, reaped in any order by wait(): the codes add up.
    int sum = 0;
    for (int i = 1; i <= 4; i++) {
        if (fork() == 0)
            _exit(i * 10);
    }
    for (int i = 0; i < 4; i++) {
        CHECK(wait(&st) > 0, 14);
        sum += WEXITSTATUS(st);
    }
    printf("four children, codes sum %d\n", sum);
    CHECK(wait(&st) == -1 && errno == ECHILD, 15);

    // kill from the parent: the child sleeping in pause() dies of it.
    c = fork();
    if (c == 0)
        for (;;)
            pause();
    CHECK(kill(c, SIGTERM) == 0, 16);
    CHECK(waitpid(c, &st, 0) == c, 17);
    printf("killed by the parent: signal %d\n", WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    CHECK(kill(c, 0) == -1 && errno == ESRCH, 18);
    printf("after the reap, kill(pid, 0): ESRCH\n");
    return 0;
}
