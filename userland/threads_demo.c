/* threads_demo.c - threads share one heap and have a stack each.
 *
 *   toyemu run userland/threads_demo
 *   toyemu run --trace process,vma,sched userland/threads_demo
 *
 * main mallocs one block on the heap, then starts two threads, each on a
 * 64 KiB stack mapping of its own (the trace shows the mmap, and the
 * clone line's child_stack inside it).  Each thread writes into the heap
 * block main made — the same pointer reaches the same bytes, as there is
 * one address space — and notes where its own local variable lives: in
 * its own stack mapping, not main's [stack].  The threads take turns on
 * the CPU (the `--trace sched` lines say "threads of one process, same
 * cr3, tlb kept": a switch between threads loads no page directory).
 * main waits for each with a futex on the thread-id word, which the
 * kernel clears when the thread ends (CLONE_CHILD_CLEARTID).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <toy/thread.h>
#include <unistd.h>

#define THREADS 2
#define STACK (64 * 1024)

static char *shared;              /* main's heap block, 64 bytes per thread */
static int *local_at[THREADS];    /* where each thread's local variable was */
static int tid_of[THREADS];

static void *work(void *arg)
{
    int me = (int)(long)arg;
    int local = me;               /* on this thread's own stack */
    local_at[me] = &local;
    tid_of[me] = gettid();
    /* Some work, so the scheduler switches between the threads. */
    unsigned sum = 0;
    for (unsigned i = 0; i < 300000; i++)
        sum += i ^ (unsigned)local;
    char *slot = shared + 64 * me;
    strcpy(slot, "written by thread ");
    slot[18] = (char)('0' + tid_of[me] % 10);
    slot[19] = 0;
    return (void *)(long)(sum & 0xff);
}

int main(void)
{
    int main_local = 0;
    shared = malloc(64 * THREADS);
    memset(shared, 0, 64 * THREADS);
    printf("main (pid %d, tid %d): heap block at %p, main's local at %p\n",
           getpid(), gettid(), (void *)shared, (void *)&main_local);
    struct toy_thread t[THREADS];
    for (int i = 0; i < THREADS; i++)
        if (toy_thread_start(&t[i], work, (void *)(long)i, STACK) != 0) {
            printf("thread %d: could not start\n", i);
            return 1;
        }
    for (int i = 0; i < THREADS; i++) {
        void *stack = t[i].stack;
        toy_thread_join(&t[i]);
        char *lo = stack, *hi = lo + STACK;
        int inside = (char *)local_at[i] >= lo && (char *)local_at[i] < hi;
        printf("thread %d: its local at %p, inside its own stack mapping %p-%p: %s\n",
               tid_of[i], (void *)local_at[i], (void *)lo, (void *)hi, inside ? "yes" : "no");
    }
    for (int i = 0; i < THREADS; i++)
        printf("main reads the heap block at %p: \"%s\"\n", (void *)(shared + 64 * i), shared + 64 * i);
    printf("one heap (the threads wrote main's block), %d stacks (three different mappings)\n",
           THREADS + 1);
    free(shared);
    return 0;
}
