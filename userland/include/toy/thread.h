/* toy/thread.h - the smallest thread API: start a function on a stack of
 * its own in the same address space, and wait for it to end.  No TLS, and
 * the libc (stdio, malloc) takes no locks: threads that share it must take
 * turns, as the demo's do. */
#ifndef TOY_THREAD_H
#define TOY_THREAD_H

#include <stddef.h>

struct toy_thread {
    /* The thread's id while it runs; the kernel writes 0 here and wakes
     * futex waiters on it when the thread ends (CLONE_CHILD_CLEARTID). */
    volatile int tid;
    void *(*fn)(void *);
    void *arg;
    void *result;
    void *stack;      /* the lowest address of its stack mapping */
    size_t stack_size;
};

/* Start fn(arg) in a new thread with a stack of `stack_size` bytes from
 * mmap.  0, or -1 if the mapping or clone failed. */
int toy_thread_start(struct toy_thread *t, void *(*fn)(void *), void *arg, size_t stack_size);

/* Sleep (futex) until the thread has ended; its fn's return value.  The
 * stack mapping is unmapped. */
void *toy_thread_join(struct toy_thread *t);

#endif
