/* proc.c - processes: fork and waiting for children.
 *
 * Apart from syscall.c so that programs which never fork do not link
 * these (the demos' addresses and sizes stay what the docs show). */
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

pid_t fork(void)
{
    return (pid_t)syscall(__NR_fork);
}

pid_t waitpid(pid_t pid, int *status, int options)
{
    return (pid_t)syscall(__NR_wait4, pid, status, options, 0);
}

pid_t wait(int *status)
{
    return waitpid(-1, status, 0);
}
