// proc_shared: MAP_SHARED anonymous memory is one memory for parent and child after fork; MAP_PRIVATE and globals are copies.
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <unistd.h>

#define PAGES 4

static int global = 10;

int main(void)
{
    int *shared = mmap(0, PAGES * 4096, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
    int *private = mmap(0, PAGES * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (shared == MAP_FAILED || private == MAP_FAILED) {
        printf("FAIL: mmap\n");
        return 2;
    }
    // Page 0 touched before the fork, the others not: both kinds must be shared.
    shared[0] = 1;
    private[0] = 1;
    pid_t c = fork();
    if (c == 0) {
        for (int i = 0; i < PAGES; i++) {
            shared[i * 1024] += 100 + i;
            private[i * 1024] += 100 + i;
        }
        global += 5;
        _exit(0);
    }
    int st;
    waitpid(c, &st, 0);
    for (int i = 0; i < PAGES; i++)
        printf("page %d: shared %d, private %d\n", i, shared[i * 1024], private[i * 1024]);
    printf("global %d\n", global);
    // And the other way: the parent writes, a second child reads.
    shared[5] = 77;
    c = fork();
    if (c == 0)
        _exit(shared[5] == 77 ? 0 : 1);
    waitpid(c, &st, 0);
    printf("second child saw the parent's write: %s\n", WEXITSTATUS(st) == 0 ? "yes" : "no");
    munmap(shared, PAGES * 4096);
    return 0;
}
