/* setjmp.h - non-local jumps (libc/setjmp.S).  sigsetjmp(env, 1) also
 * saves the signal mask and siglongjmp puts it back, which is how a
 * program leaves a signal handler for good; setjmp/longjmp leave the mask
 * alone (as glibc's do). */
#ifndef _TOY_SETJMP_H
#define _TOY_SETJMP_H

#include <signal.h>

/* ebx esi edi ebp esp eip, whether the mask was saved, the mask. */
typedef struct __jmp_buf_tag {
    unsigned long __regs[6];
    int __mask_was_saved;
    sigset_t __saved_mask;
} jmp_buf[1];
typedef jmp_buf sigjmp_buf;

int setjmp(jmp_buf env) __attribute__((returns_twice));
int _setjmp(jmp_buf env) __attribute__((returns_twice));
int sigsetjmp(sigjmp_buf env, int savemask) __attribute__((returns_twice));
__attribute__((noreturn)) void longjmp(jmp_buf env, int val);
__attribute__((noreturn)) void _longjmp(jmp_buf env, int val);
__attribute__((noreturn)) void siglongjmp(sigjmp_buf env, int val);

#endif
