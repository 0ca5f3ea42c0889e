/* Processes through the C library: fork with stdio buffers flushed and
 * not, waitpid statuses (exit codes and signals), a pipeline of three
 * processes joined by pipe() and dup2() (the middle one execs this same
 * program to transform its input), SIGCHLD with a handler, copy-on-write
 * isolation of globals and the heap, and getppid. Nothing printed depends
 * on pids. Exit codes: 2-9 a failed check, printed first. */
#include <ctype.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

static volatile sig_atomic_t chld;
static void on_chld(int sig) { (void)sig; chld++; }
static int global = 1;

#define CHECK(c, code)                                            \
    do {                                                          \
        if (!(c)) {                                               \
            printf("FAIL line %d: %s\n", __LINE__, #c);           \
            exit(code);                                           \
        }                                                         \
    } while (0)

/* The middle of the pipeline: upper-case stdin to stdout. */
static int upcase(void)
{
    int c;
    while ((c = getchar()) != EOF)
        putchar(toupper(c));
    return 0;
}

int main(int argc, char **argv)
{
    if (argc > 1 && strcmp(argv[1], "--upcase") == 0)
        return upcase();
    int st;
    pid_t me = getpid();

    /* A buffered line is printed twice if the buffer is not flushed. */
    printf("buffered before fork ");
    pid_t c = fork();
    CHECK(c >= 0, 2);
    if (c == 0) {
        printf("(child)\n");
        exit(0);
    }
    waitpid(c, &st, 0);
    printf("(parent)\n");
    fflush(stdout);

    /* Copy-on-write: the child's writes stay its own. */
    char *heap = malloc(10000);
    strcpy(heap, "parent data");
    c = fork();
    if (c == 0) {
        CHECK(getppid() == me, 3);
        global = 2;
        strcpy(heap, "child data");
        printf("child sees global %d, heap '%s'\n", global, heap);
        fflush(stdout);
        _exit(17);
    }
    CHECK(waitpid(c, &st, 0) == c, 4);
    printf("parent: child exit %d, global %d, heap '%s'\n", WEXITSTATUS(st), global, heap);

    /* Death by signal, seen through the status. */
    c = fork();
    if (c == 0) {
        raise(SIGUSR1);
        _exit(0);
    }
    CHECK(waitpid(c, &st, 0) == c, 5);
    printf("signaled child: %d, signal %s\n", WIFSIGNALED(st), WTERMSIG(st) == SIGUSR1 ? "SIGUSR1" : "other");

    /* printf | this program --upcase | wc-like counter, three processes. */
    int a[2], b[2];
    CHECK(pipe(a) == 0 && pipe(b) == 0, 6);
    pid_t writer = fork();
    if (writer == 0) {
        dup2(a[1], 1);
        close(a[0]); close(a[1]); close(b[0]); close(b[1]);
        for (int i = 0; i < 2000; i++)
            printf("line %d of the pipeline\n", i);
        exit(0);
    }
    pid_t middle = fork();
    if (middle == 0) {
        dup2(a[0], 0);
        dup2(b[1], 1);
        close(a[0]); close(a[1]); close(b[0]); close(b[1]);
        execl("/proc/self/exe", argv[0], "--upcase", (char *)0);
        _exit(127);
    }
    close(a[0]); close(a[1]); close(b[1]);
    FILE *in = fdopen(b[0], "r");
    char line[100];
    long lines = 0, upper = 0;
    while (fgets(line, sizeof line, in)) {
        lines++;
        upper += strncmp(line, "LINE ", 5) == 0;
    }
    fclose(in);
    CHECK(waitpid(writer, &st, 0) == writer && WEXITSTATUS(st) == 0, 7);
    CHECK(waitpid(middle, &st, 0) == middle && WEXITSTATUS(st) == 0, 8);
    printf("pipeline: %ld lines, %ld upper-cased\n", lines, upper);

    /* SIGCHLD runs its handler before wait returns. */
    signal(SIGCHLD, on_chld);
    c = fork();
    if (c == 0)
        _exit(0);
    CHECK(waitpid(c, &st, 0) == c, 9);
    printf("SIGCHLD handled %d time(s)\n", (int)chld);
    CHECK(wait(&st) == -1 && errno == ECHILD, 9);
    return 0;
}
