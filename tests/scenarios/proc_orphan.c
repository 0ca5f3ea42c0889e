/* proc_orphan.c - a grandchild whose parent exits is adopted by pid 1 (the
 * first process), which reaps it; a zombie no one waits for is reaped when
 * its parent ends. Prints what the grandchild sees. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    int fds[2], st;
    pipe(fds);
    pid_t child = fork();
    if (child == 0) {
        pid_t parent = getpid();
        if (fork() == 0) {
            /* Wait until the parent is gone: its end of the pipe closes. */
            char c;
            close(fds[1]);
            read(fds[0], &c, 1);
            printf("grandchild: parent was %d, now %d\n", parent, getppid());
            _exit(3);
        }
        _exit(0);
    }
    close(fds[0]);
    close(fds[1]);
    waitpid(child, &st, 0);
    printf("first: child %d exited %d\n", child, WEXITSTATUS(st));
    /* The orphan is ours now: wait for it too. */
    pid_t got = wait(&st);
    printf("first: reaped adopted pid %d, exit %d\n", got, WEXITSTATUS(st));
    return 0;
}
