/* thread_exits.c - how threads end: argv[1] chooses.
 *
 *   join     two threads end with exit; main joins them and returns 0
 *   group    a thread calls exit_group(3) while main sleeps on a futex
 *            that no one will wake: the whole process ends with 3
 *   leader   main ends with exit (the thread alone) while a thread still
 *            works; the process ends when that thread exits with 5
 *   segv     a thread writes through a null pointer: SIGSEGV kills the
 *            process, main included
 *   exec     a thread execs this program again (argv[1] "join") while
 *            main sleeps: main's thread goes, the new program has pid 1
 */
#include <stdio.h>
#include <string.h>
#include <sys/syscall.h>
#include <toy/thread.h>
#include <unistd.h>

static volatile int never;

static void *spin_then(void *arg)
{
    for (volatile int i = 0; i < 200000; i++)
        ;
    return arg;
}

static void *group_exit(void *arg)
{
    (void)arg;
    for (volatile int i = 0; i < 100000; i++)
        ;
    syscall(__NR_exit_group, 3);
    return 0;
}

static void *exit_five(void *arg)
{
    (void)arg;
    for (volatile int i = 0; i < 300000; i++)
        ;
    syscall(__NR_exit, 5);
    return 0;
}

static char self_path[] = "/proc/self/exe";

static void *exec_again(void *arg)
{
    (void)arg;
    char *argv[] = {self_path, "join", 0};
    char *envp[] = {0};
    syscall(__NR_execve, self_path, argv, envp);
    return 0;
}

static void *fault(void *arg)
{
    (void)arg;
    *(volatile int *)0 = 1;
    return 0;
}

int main(int argc, char **argv)
{
    const char *what = argc > 1 ? argv[1] : "join";
    struct toy_thread a, b;
    if (!strcmp(what, "join")) {
        toy_thread_start(&a, spin_then, (void *)11, 16384);
        toy_thread_start(&b, spin_then, (void *)22, 16384);
        long x = (long)toy_thread_join(&a), y = (long)toy_thread_join(&b);
        printf("joined: %ld %ld\n", x, y);
        return 0;
    }
    if (!strcmp(what, "group")) {
        toy_thread_start(&a, group_exit, 0, 16384);
        syscall(__NR_futex, &never, 0, 0, 0);
        printf("not reached\n");
        return 1;
    }
    if (!strcmp(what, "leader")) {
        toy_thread_start(&a, exit_five, 0, 16384);
        syscall(__NR_exit, 0);
    }
    if (!strcmp(what, "exec")) {
        toy_thread_start(&a, exec_again, 0, 16384);
        syscall(__NR_futex, &never, 0, 0, 0);
        printf("not reached\n");
    }
    if (!strcmp(what, "segv")) {
        toy_thread_start(&a, fault, 0, 16384);
        toy_thread_join(&a);
        printf("not reached\n");
    }
    return 1;
}
