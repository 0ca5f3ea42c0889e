/* proc_deadlock.c - two processes each read a pipe only the other would
 * write: natively both hang forever; toyemu sees that every process is
 * asleep and kills them, saying so. */
#include <stdio.h>
#include <sys/wait.h>
#include <unistd.h>

int main(void)
{
    int a[2], b[2], st;
    char c;
    pipe(a);
    pipe(b);
    if (fork() == 0) {
        read(a[0], &c, 1); /* waits for the parent */
        write(b[1], "x", 1);
        _exit(0);
    }
    printf("parent: reading before writing\n");
    fflush(stdout);
    read(b[0], &c, 1); /* waits for the child: neither ever writes */
    write(a[1], "y", 1);
    wait(&st);
    return 0;
}
