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

/* The x87 state the kernel saves above the frame: the fnsave image (an
 * 80-bit register is four 16-bit significand words and the exponent), then
 * the status word again and, in the high half of `status`, the magic
 * 0xffff ("plain x87 state", as on a CPU without FXSR). */
struct _libc_fpreg {
    unsigned short significand[4];
    unsigned short exponent;
};

struct _libc_fpstate {
    unsigned long cw, sw, tag, ipoff, cssel, dataoff, datasel;
    struct _libc_fpreg _st[8];
    unsigned long status;
};

typedef struct _libc_fpstate *fpregset_t;

typedef struct {
    gregset_t gregs;
    fpregset_t fpregs;     /* sigreturn reloads the x87 from here */
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
