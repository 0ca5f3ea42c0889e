// proc_pipe: a pipeline of processes: dup2 onto stdin/stdout, 200 KiB through a 64 KiB pipe (writers block), EOF, SIGPIPE.
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define TOTAL (200 * 1024)

#define CHECK(c, code)                                                    \
    do {                                                                  \
        if (!(c)) {                                                       \
            printf("FAIL line %d: %s\n", __LINE__, #c);                   \
            exit(code);                                                   \
        }                                                                 \
    } while (0)

// Write TOTAL bytes of a known pattern to stdout, in odd-sized pieces.
static void producer(void)
{
    static char chunk[3000];
    int sent = 0;
    while (sent < TOTAL) {
        int n = TOTAL - sent < (int)sizeof chunk ? TOTAL - sent : (int)sizeof chunk;
        for (int i = 0; i < n; i++)
            chunk[i] = (char)((sent + i) * 7 + 3);
        int done = 0;
        while (done < n) {
            ssize_t w = write(1, chunk + done, n - done);
            if (w <= 0)
                _exit(20);
            done += w;
        }
        sent += n;
    }
    _exit(0);
}

// Read stdin to the end; exit 0 if every byte is the pattern's.
static void consumer(void)
{
    static char buf[5000];
    int got = 0, bad = 0;
    ssize_t n;
    while ((n = read(0, buf, sizeof buf)) > 0) {
        for (int i = 0; i < n; i++)
            bad += buf[i] != (char)((got + i) * 7 + 3);
        got += n;
    }
    printf("consumer: %d bytes, %d wrong\n", got, bad);
    fflush(stdout);
    _exit(got == TOTAL && bad == 0 ? 0 : 21);
}

int main(void)
{
    int fds[2], st;
    CHECK(pipe(fds) == 0, 2);
    pid_t a = fork();
    if (a == 0) {
        dup2(fds[1], 1);
        close(fds[0]);
        close(fds[1]);
        producer();
    }
    pid_t b = fork();
    if (b == 0) {
        dup2(fds[0], 0);
        close(fds[0]);
        close(fds[1]);
        consumer();
    }
    close(fds[0]);
    close(fds[1]);
    CHECK(waitpid(a, &st, 0) == a && WIFEXITED(st) && WEXITSTATUS(st) == 0, 3);
    CHECK(waitpid(b, &st, 0) == b && WIFEXITED(st) && WEXITSTATUS(st) == 0, 4);
    printf("pipeline of two processes: both exited 0\n");

    // The reader goes away: the writer gets SIGPIPE (and, ignoring it, EPIPE).
    CHECK(pipe(fds) == 0, 5);
    a = fork();
    if (a == 0) {
        close(fds[1]);
        char c;
        read(fds[0], &c, 1);
        _exit(0);
    }
    close(fds[0]);
    CHECK(write(fds[1], "x", 1) == 1, 6);
    CHECK(waitpid(a, &st, 0) == a, 7);
    signal(SIGPIPE, SIG_IGN);
    errno = 0;
    ssize_t w = write(fds[1], "y", 1);
    printf("write with no reader, SIGPIPE ignored: %zd, EPIPE %d\n", w, errno == EPIPE);
    signal(SIGPIPE, SIG_DFL);
    a = fork();
    if (a == 0) {
        write(fds[1], "z", 1);
        _exit(0);
    }
    CHECK(waitpid(a, &st, 0) == a, 8);
    printf("writer with no reader: killed by signal %d\n", WIFSIGNALED(st) ? WTERMSIG(st) : 0);
    return 0;
}
