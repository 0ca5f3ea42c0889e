/* thread.c - threads: clone(CLONE_VM | CLONE_THREAD | ...) onto a stack
 * from mmap, and a join that sleeps on the thread-id word with futex.
 *
 * Apart from syscall.c so that programs without threads do not link it. */
#include <sys/mman.h>
#include <sys/syscall.h>
#include <toy/thread.h>
#include <unistd.h>

#define CLONE_VM 0x100
#define CLONE_FS 0x200
#define CLONE_FILES 0x400
#define CLONE_SIGHAND 0x800
#define CLONE_THREAD 0x10000
#define CLONE_SYSVSEM 0x40000
#define CLONE_PARENT_SETTID 0x100000
#define CLONE_CHILD_CLEARTID 0x200000
#define FUTEX_WAIT 0

/* toy_clone(flags, stack, ptid, ctid): the parent gets the new thread's
 * id. The thread starts with ESP at `stack`, where start_thread's address
 * and its argument were put: it pops the first, calls it, and ends with
 * exit (the thread alone, not exit_group). */
int toy_clone(unsigned flags, void *stack, volatile int *ptid, volatile int *ctid);
__asm__(".text\n"
        ".globl toy_clone\n"
        "toy_clone:\n"
        "    pushl %ebx\n"
        "    pushl %esi\n"
        "    pushl %edi\n"
        "    movl 16(%esp), %ebx\n"
        "    movl 20(%esp), %ecx\n"
        "    movl 24(%esp), %edx\n"
        "    xorl %esi, %esi\n"
        "    movl 28(%esp), %edi\n"
        "    movl $120, %eax\n" /* __NR_clone */
        "    int $0x80\n"
        "    testl %eax, %eax\n"
        "    jz 1f\n"
        "    popl %edi\n"
        "    popl %esi\n"
        "    popl %ebx\n"
        "    ret\n"
        "1:  popl %eax\n"
        "    call *%eax\n"
        "    movl $0, %ebx\n"
        "    movl $1, %eax\n" /* __NR_exit */
        "    int $0x80\n"
        "    hlt\n");

static void start_thread(struct toy_thread *t)
{
    t->result = t->fn(t->arg);
}

int toy_thread_start(struct toy_thread *t, void *(*fn)(void *), void *arg, size_t stack_size)
{
    void *stack = mmap(0, stack_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    if (stack == MAP_FAILED)
        return -1;
    t->fn = fn;
    t->arg = arg;
    t->result = 0;
    t->stack = stack;
    t->stack_size = stack_size;
    /* The new stack's top: the function to run, then its argument. */
    void **top = (void **)((char *)stack + stack_size) - 2;
    top[0] = (void *)start_thread;
    top[1] = t;
    unsigned flags = CLONE_VM | CLONE_FS | CLONE_FILES | CLONE_SIGHAND | CLONE_THREAD |
                     CLONE_SYSVSEM | CLONE_PARENT_SETTID | CLONE_CHILD_CLEARTID;
    if (toy_clone(flags, top, &t->tid, &t->tid) < 0) {
        munmap(stack, stack_size);
        return -1;
    }
    return 0;
}

void *toy_thread_join(struct toy_thread *t)
{
    int tid;
    /* EAGAIN (the word changed) and wake-ups both come back here to look again. */
    while ((tid = t->tid) != 0)
        syscall(__NR_futex, &t->tid, FUTEX_WAIT, tid, 0);
    munmap(t->stack, t->stack_size);
    return t->result;
}
