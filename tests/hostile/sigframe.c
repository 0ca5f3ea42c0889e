/* sigframe.c - handlers and signal frames abused; argv[1] says how. Each
 * case prints one line, then does its damage; what ends the process must be
 * a SIGSEGV (status 139) natively and under toyemu, never a host crash:
 *
 *   eip       the handler points the saved EIP at 0x10 and returns
 *   esp       the handler points the saved ESP into kernel space
 *   garbage   the handler fills its whole rt frame with 0xff bytes
 *   oldframe  the same with the old frame (no SA_SIGINFO)
 *   restorer  SA_RESTORER with a restorer at 0x10
 *   handler   a handler at 0xc0001000 (kernel space)
 *   altstack  SA_ONSTACK with an alternate stack nobody mapped
 *   nested    a SIGSEGV handler that faults itself (SIGSEGV is blocked in it)
 *   nodefer   the same with SA_NODEFER: frames pile up until the stack ends
 *   sigreturn rt_sigreturn from main, with ESP 0
 *
 *   retcode   (status 0) handlers without SA_RESTORER: they return through
 *             the vDSO natively and through the frame's retcode in toyemu
 *   forever   (toyemu only: it never ends) a SIGSEGV handler that returns
 *             without fixing anything, so the fault comes back for ever
 */
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <syscall.h>
#include <ucontext.h>
#include <unistd.h>

struct ksa {
    void *handler;
    unsigned long flags;
    void *restorer;
    unsigned long mask[2];
};

static void raw_action(int sig, void *handler, unsigned long flags, void *restorer)
{
    struct ksa k = {handler, flags, restorer, {0, 0}};
    long r = __syscall6(__NR_rt_sigaction, sig, (long)&k, 0, 8, 0, 0);
    if (r != 0) {
        printf("rt_sigaction: %ld\n", r);
        exit(2);
    }
}

static void set_eip(int sig, siginfo_t *si, void *ctx)
{
    (void)sig, (void)si;
    ((ucontext_t *)ctx)->uc_mcontext.gregs[REG_EIP] = 0x10;
}

static void set_esp(int sig, siginfo_t *si, void *ctx)
{
    (void)sig, (void)si;
    ((ucontext_t *)ctx)->uc_mcontext.gregs[REG_ESP] = (greg_t)0xc0001000;
}

static void fill(int sig, siginfo_t *si, void *ctx)
{
    (void)sig, (void)si;
    memset(ctx, 0xff, sizeof(ucontext_t));
    memset(si, 0xff, sizeof(siginfo_t));
}

static void fill_old(int sig)
{
    uintptr_t a = (uintptr_t)&sig;
    __asm__("" : "+r"(a));
    memset((void *)(a + sizeof sig), 0xff, sizeof(struct sigcontext));
}

static volatile int returned;
static void plain(int sig)
{
    (void)sig;
    returned++;
}

static void with_info(int sig, siginfo_t *si, void *ctx)
{
    (void)sig, (void)si, (void)ctx;
    returned++;
}

static volatile int depth;
static void fault_again(int sig)
{
    (void)sig;
    depth++;
    *(volatile int *)0 = depth;
}

static void ignore_fault(int sig)
{
    (void)sig;
    depth++;
}

int main(int argc, char **argv)
{
    const char *how = argc > 1 ? argv[1] : "";
    printf("sigframe %s\n", how);
    if (!strcmp(how, "eip") || !strcmp(how, "esp") || !strcmp(how, "garbage")) {
        void *h = !strcmp(how, "eip") ? (void *)set_eip : !strcmp(how, "esp") ? (void *)set_esp : (void *)fill;
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_sigaction = h;
        sa.sa_flags = SA_SIGINFO;
        sigaction(SIGUSR1, &sa, 0);
        raise(SIGUSR1);
    } else if (!strcmp(how, "oldframe")) {
        signal(SIGUSR1, fill_old);
        raise(SIGUSR1);
    } else if (!strcmp(how, "restorer")) {
        raw_action(SIGUSR1, (void *)with_info, SA_SIGINFO | SA_RESTORER, (void *)0x10);
        kill(getpid(), SIGUSR1);
    } else if (!strcmp(how, "handler")) {
        raw_action(SIGUSR1, (void *)0xc0001000, SA_RESTORER, (void *)0x10);
        kill(getpid(), SIGUSR1);
    } else if (!strcmp(how, "altstack")) {
        stack_t ss = {.ss_sp = (void *)0x30000000, .ss_flags = 0, .ss_size = 65536};
        sigaltstack(&ss, 0);
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = plain;
        sa.sa_flags = SA_ONSTACK;
        sigaction(SIGUSR1, &sa, 0);
        raise(SIGUSR1);
    } else if (!strcmp(how, "nested") || !strcmp(how, "nodefer")) {
        struct sigaction sa;
        memset(&sa, 0, sizeof sa);
        sa.sa_handler = fault_again;
        sa.sa_flags = !strcmp(how, "nodefer") ? SA_NODEFER : 0;
        sigaction(SIGSEGV, &sa, 0);
        *(volatile int *)0 = 1;
    } else if (!strcmp(how, "sigreturn")) {
        __asm__ volatile("xorl %%esp, %%esp\n\tmovl $173, %%eax\n\tint $0x80" ::: "eax", "memory");
    } else if (!strcmp(how, "retcode")) {
        raw_action(SIGUSR1, (void *)plain, 0, 0);
        raw_action(SIGUSR2, (void *)with_info, SA_SIGINFO, 0);
        kill(getpid(), SIGUSR1);
        kill(getpid(), SIGUSR2);
        printf("both handlers returned: %d\n", returned);
        return returned == 2 ? 0 : 1;
    } else if (!strcmp(how, "forever")) {
        signal(SIGSEGV, ignore_fault);
        *(volatile int *)0 = 1;
    }
    printf("still alive after %s\n", how);
    return 3;
}
