/* fork_bomb.c - every process forks as fast as it can; the system survives
 * because RLIMIT_NPROC caps the number of processes, and every frame comes
 * back when they are gone.
 *
 *   toyemu run --report userland/fork_bomb
 *   toyemu run --trace process userland/fork_bomb | grep -c fork:
 *
 * The limit is set to 40 processes.  Each process (the first one and every
 * child) calls fork() in a loop until it fails with EAGAIN, then exits
 * (a child of the 8th generation does not fork: without that, slots freed
 * by exits would be refilled for ever, as in a real fork bomb);
 * the first one then waits, reaping its own children and the orphans the
 * kernel gave it when their parents exited before them.  The report lists
 * every process and shows free frames after the run equal to before it:
 * shared pages, copied pages and page tables all went back.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <sys/wait.h>
#include <unistd.h>

#define NR_setrlimit 75
#define RLIMIT_NPROC 6
#define LIMIT 40

int main(void)
{
    unsigned long lim[2] = {LIMIT, LIMIT};
    if (syscall(NR_setrlimit, RLIMIT_NPROC, lim) != 0) {
        printf("setrlimit failed\n");
        return 1;
    }
    pid_t first = getpid();
    int mine = 0, generation = 0, why = 0;
    while (generation < 8) {
        pid_t c = fork();
        if (c < 0) {
            why = errno;
            break;
        }
        if (c > 0) {
            mine++;
        } else {
            mine = 0; /* a child: its own children count from zero */
            generation++;
        }
    }
    if (getpid() != first)
        _exit(mine);
    printf("first process: fork failed with %s after %d children of its own\n",
           why == EAGAIN ? "EAGAIN" : strerror(why), mine);
    int reaped = 0, st;
    while (wait(&st) > 0)
        reaped++;
    printf("reaped %d processes (children and adopted orphans); wait now says %s\n", reaped,
           errno == ECHILD ? "ECHILD" : "something else");
    return 0;
}
