// Faults to handlers: SIGSEGV (MAPERR, ACCERR, #GP), SIGFPE (divide by zero), SIGILL (ud2), SIGTRAP (int3), with SA_SIGINFO and plain handlers; siginfo, trapno, err, cr2, EFLAGS and the registers at the fault; the handler skips the instruction and returns.
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <ucontext.h>

#define CHECK(c, n)                                            \
    do {                                                       \
        if (!(c)) {                                            \
            printf("FAIL line %d: %s\n", __LINE__, #c);        \
            exit(n);                                           \
        }                                                      \
    } while (0)

/* FAULTER(name, insn): int name(void *arg) loads arg into EAX and known
 * values into the other registers and EFLAGS, then runs `insn` at
 * name_at, and returns EAX.  A handler that skips `insn` decides what it
 * returns. */
#define FAULTER(name, insn)                                                   \
    __asm__(".text\n.globl " #name "\n" #name ":\n"                            \
            "pushl %ebx\npushl %esi\npushl %edi\npushl %ebp\n"                \
            "movl 20(%esp), %eax\n"                                            \
            "movl $0x11111111, %ebx\nmovl $0x22222222, %esi\n"                \
            "movl $0x33333333, %edi\nmovl $0x44444444, %ebp\n"                \
            "movl $0x55555555, %ecx\nmovl $0x66666666, %edx\n"                \
            "cmpl $0x11111111, %ebx\n" /* known flags: ZF PF, not the stack's */ \
            ".globl " #name "_at\n" #name "_at:\n" insn "\n"                   \
            "popl %ebp\npopl %edi\npopl %esi\npopl %ebx\nret\n");             \
    int name(void *arg);                                                       \
    extern char name##_at[];

FAULTER(do_load, "movl (%eax), %eax")      /* 8b 00 */
FAULTER(do_store, "movl %ecx, (%eax)")     /* 89 08 */
FAULTER(do_div, "divl (%eax)")             /* f7 30 */
FAULTER(do_ud2, "ud2")                     /* 0f 0b */
FAULTER(do_int3, "int3")                   /* cc */
FAULTER(do_hlt, "hlt")                     /* f4 */

static struct {
    int sig, code, trapno, err, rf, flags;
    uintptr_t addr, eip, cr2, esp, uesp;
    int regs_ok;
} seen;
static int skip;         /* bytes to step over */

static void with_info(int sig, siginfo_t *si, void *ctx)
{
    greg_t *g = ((ucontext_t *)ctx)->uc_mcontext.gregs;
    seen.sig = sig;
    seen.code = si->si_code;
    seen.addr = (uintptr_t)si->si_addr;
    seen.trapno = g[REG_TRAPNO];
    seen.err = g[REG_ERR];
    seen.eip = g[REG_EIP];
    seen.cr2 = ((ucontext_t *)ctx)->uc_mcontext.cr2;
    seen.rf = (g[REG_EFL] >> 16) & 1;
    seen.flags = g[REG_EFL] & ~0x10000;
    seen.esp = g[REG_ESP];
    seen.uesp = g[REG_UESP];
    seen.regs_ok = g[REG_EBX] == 0x11111111 && g[REG_ESI] == 0x22222222 &&
                   g[REG_EDI] == 0x33333333 && g[REG_EBP] == 0x44444444 &&
                   g[REG_ECX] == 0x55555555 && g[REG_EDX] == 0x66666666;
    g[REG_EIP] += skip;
    g[REG_EAX] = 0x77;
}

/* The old frame: the sigcontext follows the signal number on the stack.
 * (The empty asm hides where the pointer came from, so gcc does not think
 * it reads past `sig`.) */
static void plain(int sig)
{
    uintptr_t a = (uintptr_t)&sig;
    __asm__("" : "+r"(a));
    struct sigcontext *sc = (struct sigcontext *)(a + sizeof sig);
    seen.sig = sig;
    seen.trapno = sc->trapno;
    seen.err = sc->err;
    seen.eip = sc->eip;
    seen.cr2 = sc->cr2;
    seen.regs_ok = sc->ebx == 0x11111111 && sc->esi == 0x22222222 && sc->edi == 0x33333333 &&
                   sc->ebp == 0x44444444 && sc->ecx == 0x55555555 && sc->edx == 0x66666666;
    sc->eip += skip;
    sc->eax = 0x88;
}

static void install(int sig, int siginfo)
{
    struct sigaction sa;
    memset(&sa, 0, sizeof sa);
    if (siginfo)
        sa.sa_sigaction = with_info;
    else
        sa.sa_handler = plain;
    sa.sa_flags = siginfo ? SA_SIGINFO : 0;
    sigemptyset(&sa.sa_mask);
    CHECK(sigaction(sig, &sa, 0) == 0, 2);
}

static const char *code_name(int sig, int c)
{
    if (c == SI_KERNEL)
        return "SI_KERNEL";
    switch (sig) {
    case SIGSEGV: return c == SEGV_MAPERR ? "SEGV_MAPERR" : c == SEGV_ACCERR ? "SEGV_ACCERR" : "?";
    case SIGFPE: return c == FPE_INTDIV ? "FPE_INTDIV" : "?";
    case SIGILL: return c == ILL_ILLOPN ? "ILL_ILLOPN" : "?";
    default: return "?";
    }
}

static int zero;

int main(void)
{
    char *ro = mmap(0, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    char *none = mmap(0, 4096, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    CHECK(ro != MAP_FAILED && none != MAP_FAILED, 1);
    CHECK(ro[100] == 0, 1);   /* present now: a write is a protection fault */

    struct {
        const char *what;
        int sig;
        int (*fn)(void *);
        char *at;
        void *arg;
        int len;
    } cases[] = {
        {"load from NULL", SIGSEGV, do_load, do_load_at, 0, 2},
        {"store to a read-only page", SIGSEGV, do_store, do_store_at, ro + 8, 2},
        {"store to a PROT_NONE page", SIGSEGV, do_store, do_store_at, none + 12, 2},
        {"store to 0xc0000000", SIGSEGV, do_store, do_store_at, (void *)0xc0000000, 2},
        {"hlt", SIGSEGV, do_hlt, do_hlt_at, 0, 1},
        {"divide by zero", SIGFPE, do_div, do_div_at, &zero, 2},
        {"ud2", SIGILL, do_ud2, do_ud2_at, 0, 2},
        {"int3", SIGTRAP, do_int3, do_int3_at, 0, 0},
    };
    int n = sizeof cases / sizeof cases[0];
    for (int i = 0; i < n; i++) {
        install(cases[i].sig, 1);
        memset(&seen, 0, sizeof seen);
        skip = cases[i].len;
        int r = cases[i].fn(cases[i].arg);
        uintptr_t at = (uintptr_t)cases[i].at;
        printf("%-26s: %s %s, returned %#x, registers kept %d, eip %s, trapno %d",
               cases[i].what, cases[i].sig == SIGSEGV ? "SIGSEGV" : cases[i].sig == SIGFPE ? "SIGFPE"
                              : cases[i].sig == SIGILL ? "SIGILL" : "SIGTRAP",
               code_name(seen.sig, seen.code), r, seen.regs_ok,
               seen.eip == at ? "at the instruction" : seen.eip == at + 1 ? "after the instruction" : "elsewhere",
               seen.trapno);
        if (seen.trapno == 14) {
            /* Kernel space is a protection fault on i386, nothing mapped on x86-64. */
            int err = cases[i].arg == (void *)0xc0000000 ? seen.err & 6 : seen.err & 7;
            printf(", err %d, cr2 == si_addr %d, si_addr - arg %d", err,
                   seen.cr2 == seen.addr, (int)(seen.addr - (uintptr_t)cases[i].arg));
        } else {
            printf(", err %d, si_addr %s", seen.err,
                   seen.addr == at ? "== eip" : seen.addr == 0 ? "0" : "elsewhere");
        }
        printf(", RF %d, flags %#x, esp == esp_at_signal %d\n", seen.rf, seen.flags,
               seen.esp == seen.uesp);
        CHECK(seen.sig == cases[i].sig && r == 0x77 && seen.regs_ok, 10 + i);
    }

    /* Plain handlers: the same through the old frame's sigcontext. cr2 is
     * the last page fault's address, whatever the fault is now. */
    int plain_cases[] = {0, 1, 5, 6};
    for (int j = 0; j < 4; j++) {
        int i = plain_cases[j];
        install(cases[i].sig, 0);
        memset(&seen, 0, sizeof seen);
        skip = cases[i].len;
        int r = cases[i].fn(cases[i].arg);
        printf("plain handler, %-26s: sig %d, returned %#x, registers kept %d, eip at it %d, "
               "trapno %d, cr2 is NULL %d, cr2 is the read-only page's %d\n",
               cases[i].what, seen.sig, r, seen.regs_ok, seen.eip == (uintptr_t)cases[i].at,
               seen.trapno, seen.cr2 == 0, seen.cr2 == (uintptr_t)(ro + 8));
        CHECK(r == 0x88 && seen.regs_ok, 30 + j);
    }
    return 0;
}
