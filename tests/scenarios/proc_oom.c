/* proc_oom.c - out of memory with three processes: the OOM killer kills
 * the biggest (the hog, holding 2.5 MiB), not the one whose fault found
 * no frame (the grower, touching 1.5 MiB page by page), which then
 * finishes. Run with --mem 4M. */
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

static void touch(int kib)
{
    char *m = malloc(kib * 1024);
    for (int i = 0; i < kib * 1024; i += 4096)
        m[i] = 1;
}

int main(void)
{
    int fds[2], st;
    pipe(fds);
    pid_t hog = fork();
    if (hog == 0) {
        char c;
        touch(2560);
        close(fds[1]);
        read(fds[0], &c, 1); /* sleeps with its memory */
        _exit(0);
    }
    close(fds[0]);
    pid_t grower = fork();
    if (grower == 0) {
        touch(1536);
        _exit(0);
    }
    waitpid(grower, &st, 0);
    printf("grower: %s %d\n", WIFEXITED(st) ? "exited" : "killed by", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
    close(fds[1]);
    waitpid(hog, &st, 0);
    printf("hog: %s %d\n", WIFEXITED(st) ? "exited" : "killed by", WIFEXITED(st) ? WEXITSTATUS(st) : WTERMSIG(st));
    return 0;
}
