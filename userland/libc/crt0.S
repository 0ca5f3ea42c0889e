/* crt0.S - process entry point.
 *
 * The kernel starts us at _start with this stack (i386 System V ABI):
 *
 *     esp ->  argc
 *             argv[0] .. argv[argc-1], NULL
 *             envp[0] .. envp[n-1], NULL
 *             auxv: (type, value) pairs ending with (AT_NULL, 0)
 *             ... the strings themselves, higher up
 *
 * Registers other than esp carry nothing we rely on.  We clear ebp so a
 * debugger's backtrace ends here, hand the address of argc to
 * __toy_start (libc/stdlib.c), which finds argv/envp/auxv, calls main and
 * exits.  The stack is aligned to 16 bytes at the call, as gcc expects.
 */
    .text
    .globl _start
    .type _start, @function
_start:
    xorl    %ebp, %ebp
    movl    %esp, %eax          /* eax = &argc */
    andl    $-16, %esp
    subl    $12, %esp
    pushl   %eax                /* 16-byte aligned at the call */
    call    __toy_start
    hlt                         /* __toy_start never returns */
    .size _start, . - _start

    .section .note.GNU-stack, "", @progbits
