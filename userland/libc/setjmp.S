/* setjmp.S - setjmp/longjmp and sigsetjmp/siglongjmp.
 *
 * jmp_buf (include/setjmp.h): ebx esi edi ebp, the stack pointer after
 * the call returns, the return address, whether the signal mask was
 * saved, the mask (8 bytes).  sigsetjmp(env, 1) saves the mask with
 * rt_sigprocmask(SIG_BLOCK, NULL, &env->mask, 8) and siglongjmp puts it
 * back with rt_sigprocmask(SIG_SETMASK, &env->mask, NULL, 8) before
 * jumping, so leaving a signal handler this way unblocks its signal.
 */
    .text
    .globl sigsetjmp
    .type sigsetjmp, @function
    .globl __sigsetjmp
__sigsetjmp:
sigsetjmp:
    movl    4(%esp), %eax       /* env */
    movl    8(%esp), %ecx       /* savemask */
    jmp     .Lsave
    .size sigsetjmp, . - sigsetjmp

    .globl setjmp
    .type setjmp, @function
    .globl _setjmp
_setjmp:
setjmp:
    movl    4(%esp), %eax
    xorl    %ecx, %ecx
.Lsave:
    movl    %ebx, 0(%eax)
    movl    %esi, 4(%eax)
    movl    %edi, 8(%eax)
    movl    %ebp, 12(%eax)
    leal    4(%esp), %edx       /* the stack pointer once we have returned */
    movl    %edx, 16(%eax)
    movl    (%esp), %edx        /* the return address */
    movl    %edx, 20(%eax)
    movl    %ecx, 24(%eax)
    testl   %ecx, %ecx
    jz      1f
    pushl   %ebx
    pushl   %esi
    leal    28(%eax), %edx      /* oldset: env->mask */
    xorl    %ecx, %ecx          /* set: NULL */
    xorl    %ebx, %ebx          /* how: SIG_BLOCK (ignored without a set) */
    movl    $8, %esi            /* sigsetsize */
    movl    $175, %eax          /* __NR_rt_sigprocmask */
    int     $0x80
    popl    %esi
    popl    %ebx
1:  xorl    %eax, %eax
    ret
    .size setjmp, . - setjmp

    .globl siglongjmp
    .type siglongjmp, @function
    .globl longjmp
    .globl _longjmp
siglongjmp:
longjmp:
_longjmp:
    movl    4(%esp), %ecx       /* env */
    movl    8(%esp), %eax       /* val: 0 becomes 1 */
    testl   %eax, %eax
    jnz     1f
    incl    %eax
1:  cmpl    $0, 24(%ecx)
    je      2f
    /* Every register but EAX survives int $0x80; the ones used here are
     * loaded from env afterwards anyway. */
    movl    %eax, %edi
    movl    %ecx, %ebp
    movl    $2, %ebx            /* SIG_SETMASK */
    leal    28(%ebp), %ecx      /* set: env->mask */
    xorl    %edx, %edx          /* oldset: NULL */
    movl    $8, %esi
    movl    $175, %eax          /* __NR_rt_sigprocmask */
    int     $0x80
    movl    %edi, %eax
    movl    %ebp, %ecx
2:  movl    0(%ecx), %ebx
    movl    4(%ecx), %esi
    movl    8(%ecx), %edi
    movl    12(%ecx), %ebp
    movl    16(%ecx), %esp
    jmp     *20(%ecx)
    .size siglongjmp, . - siglongjmp

    .section .note.GNU-stack, "", @progbits
