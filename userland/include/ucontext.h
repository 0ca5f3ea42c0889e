/* ucontext.h - what an SA_SIGINFO handler's third argument points at: the
 * kernel's struct ucontext of i386, with the saved registers as gregs[]. */
#ifndef _TOY_UCONTEXT_H
#define _TOY_UCONTEXT_H

#include <signal.h>

/* Indexes into gregs[], in struct sigcontext order. */
enum {
    REG_GS = 0,
    REG_FS,
    REG_ES,
    REG_DS,
    REG_EDI,
    REG_ESI,
    REG_EBP,
    REG_ESP,
    REG_EBX,
    REG_EDX,
    REG_ECX,
    REG_EAX,
    REG_TRAPNO,
    REG_ERR,
    REG_EIP,
    REG_CS,
    REG_EFL,
    REG_UESP,
    REG_SS,
};
#define NGREG 19

typedef int greg_t;
typedef greg_t gregset_t[NGREG];

typedef struct {
    gregset_t gregs;
    void *fpregs;          /* NULL: this machine saves no FPU state yet */
    unsigned long oldmask;
    unsigned long cr2;
} mcontext_t;

typedef struct ucontext_t {
    unsigned long uc_flags;
    struct ucontext_t *uc_link;
    stack_t uc_stack;
    mcontext_t uc_mcontext;
    sigset_t uc_sigmask;
} ucontext_t;

#endif
