// The saved context is the program's to change: registers, EFLAGS (only the bits user code may set come back), EIP and ESP (a jump to another function on another stack), and the signal mask, through the rt frame's ucontext and the old frame's sigcontext.
#include <setjmp.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <ucontext.h>

#define CHECK(c, n)                                            \
    do {                                                       \
        if (!(c)) {                                            \
            printf("FAIL line %d: %s\n", __LINE__, #c);        \
            exit(n);                                           \
        }                                                      \
    } while (0)

#define CF 0x1
#define ZF 0x40
#define IF 0x200
#define DF 0x400
#define IOPL 0x3000
#define ID 0x200000

/* After the ud2 the registers and EFLAGS go to out[]: whatever the
 * handler left in the context. */
unsigned long out[8];
__asm__(".text\n.globl regs_after\nregs_after:\n"
        "pushl %ebx\npushl %esi\npushl %edi\npushl %ebp\n"
        "movl $1, %ebx\nmovl $2, %esi\nmovl $3, %edi\nmovl $4, %ebp\n"
        "movl $5, %ecx\nmovl $6, %edx\nmovl $7, %eax\n"
        ".globl regs_after_ud2\nregs_after_ud2:\nud2\n"
        "movl %ebx, out\nmovl %esi, out+4\nmovl %edi, out+8\nmovl %ebp, out+12\n"
        "movl %ecx, out+16\nmovl %edx, out+20\nmovl %eax, out+24\n"
        "pushfl\npopl out+28\ncld\n"
        "popl %ebp\npopl %edi\npopl %esi\npopl %ebx\nret\n");
void regs_after(void);

static void set_regs(int sig, siginfo_t *si, void *ctx)
{
    greg_t *g = ((ucontext_t *)ctx)->uc_mcontext.gregs;
    (void)sig;
    (void)si;
    g[REG_EBX] = 0xa1;
    g[REG_ESI] = 0xa2;
    g[REG_EDI] = 0xa3;
    g[REG_EBP] = 0xa4;
    g[REG_ECX] = 0xa5;
    g[REG_EDX] = 0xa6;
    g[REG_EAX] = 0xa7;
    /* CF, ZF, DF are the program's; IF, IOPL and ID are not. */
    g[REG_EFL] = (g[REG_EFL] | CF | ZF | DF | IOPL | ID) & ~IF;
    g[REG_EIP] += 2;
}

/* The same through the old frame. */
static void set_regs_plain(int sig)
{
    uintptr_t a = (uintptr_t)&sig;
    __asm__("" : "+r"(a));
    struct sigcontext *sc = (struct sigcontext *)(a + sizeof sig);
    sc->ebx = 0xb1;
    sc->eax = 0xb7;
    sc->eflags &= ~(CF | ZF);
    sc->eip += 2;
    sc->oldmask |= 1UL << (SIGUSR2 - 1);
}

/* A handler that does not return where the fault was: it sends the
 * program to landing() on a stack of its own. */
static sigjmp_buf home;
static char other_stack[8192] __attribute__((aligned(16)));
static volatile uintptr_t landed_esp;
static volatile int landed_eax;

static __attribute__((noreturn, noinline)) void landing(void)
{
    int local;
    landed_esp = (uintptr_t)&local;
    printf("landing(): on the other stack %d\n",
           (char *)&local > other_stack && (char *)&local < other_stack + sizeof other_stack);
    siglongjmp(home, 1);
}

static void jump_away(int sig, siginfo_t *si, void *ctx)
{
    greg_t *g = ((ucontext_t *)ctx)->uc_mcontext.gregs;
    (void)sig;
    (void)si;
    g[REG_EIP] = (greg_t)(uintptr_t)landing;
    /* As if called: 16-byte aligned below a return-address slot. */
    g[REG_ESP] = (greg_t)(uintptr_t)(other_stack + sizeof other_stack - 16 - 4);
}

static void change_mask(int sig, siginfo_t *si, void *ctx)
{
    ucontext_t *uc = ctx;
    (void)sig;
    (void)si;
    sigaddset(&uc->uc_sigmask, SIGUSR2);
    sigdelset(&uc->uc_sigmask, SIGALRM);
    sigaddset(&uc->uc_sigmask, SIGKILL);
    sigaddset(&uc->uc_sigmask, SIGRTMIN + 3);
}

static void install(int sig, void *fn, int siginfo)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    if (siginfo)
        sa.sa_sigaction = fn;
    else
        sa.sa_handler = fn;
    sa.sa_flags = siginfo ? SA_SIGINFO : 0;
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(sig, &sa, 0) == 0, 2);
}

static int blocked(int sig)
{
    sigset_t now;
    sigprocmask(SIG_BLOCK, 0, &now);
    return sigismember(&now, sig);
}

int main(void)
{
    install(SIGILL, set_regs, 1);
    regs_after();
    printf("registers after return: %lx %lx %lx %lx %lx %lx %lx\n", out[0], out[1], out[2],
           out[3], out[4], out[5], out[6]);
    printf("EFLAGS after return: CF %d ZF %d DF %d IF %d IOPL %lu ID %d\n", !!(out[7] & CF),
           !!(out[7] & ZF), !!(out[7] & DF), !!(out[7] & IF), (out[7] & IOPL) >> 12,
           !!(out[7] & ID));
    CHECK(out[0] == 0xa1 && out[6] == 0xa7 && (out[7] & (CF | DF | ZF)) == (CF | DF | ZF), 3);
    CHECK((out[7] & IF) && !(out[7] & IOPL), 4);

    install(SIGILL, set_regs_plain, 0);
    regs_after();
    printf("old frame: ebx %lx eax %lx esi %lx, CF %d ZF %d, USR2 blocked after %d\n", out[0],
           out[6], out[1], !!(out[7] & CF), !!(out[7] & ZF), blocked(SIGUSR2));
    CHECK(out[0] == 0xb1 && out[6] == 0xb7 && out[1] == 2 && blocked(SIGUSR2), 5);

    install(SIGSEGV, jump_away, 1);
    if (sigsetjmp(home, 1) == 0) {
        volatile int *null = 0;
        *null = 1;
        return 6;
    }
    printf("back from landing() by siglongjmp; SIGSEGV blocked %d\n", blocked(SIGSEGV));

    /* The mask in the frame is what sigreturn installs: USR2 and RTMIN+3
     * added, ALRM taken away, KILL never. */
    sigset_t m;
    sigemptyset(&m);
    sigaddset(&m, SIGALRM);
    sigprocmask(SIG_SETMASK, &m, 0);
    install(SIGUSR1, change_mask, 1);
    raise(SIGUSR1);
    printf("after the handler: USR2 %d ALRM %d KILL %d RTMIN+3 %d USR1 %d\n", blocked(SIGUSR2),
           blocked(SIGALRM), blocked(SIGKILL), blocked(SIGRTMIN + 3), blocked(SIGUSR1));
    CHECK(blocked(SIGUSR2) && !blocked(SIGALRM) && !blocked(SIGKILL), 7);
    return 0;
}
