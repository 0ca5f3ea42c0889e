/* sigrestore.S - where a signal handler returns to.
 *
 * sigaction() installs every handler with SA_RESTORER and one of these as
 * sa_restorer; the kernel writes it as the handler's return address
 * (the frame's pretcode).
 *
 * __restore: for handlers without SA_SIGINFO.  The frame is the old
 *   struct sigframe; its `sig` argument is still on the stack, so pop it:
 *   sigreturn finds the frame 8 bytes below the stack pointer it gets.
 * __restore_rt: for SA_SIGINFO handlers (struct rt_sigframe, found 4
 *   bytes below).
 */
    .text
    .globl __restore
    .type __restore, @function
__restore:
    popl    %eax
    movl    $119, %eax          /* __NR_sigreturn */
    int     $0x80
    .size __restore, . - __restore

    .globl __restore_rt
    .type __restore_rt, @function
__restore_rt:
    movl    $173, %eax          /* __NR_rt_sigreturn */
    int     $0x80
    .size __restore_rt, . - __restore_rt

    .section .note.GNU-stack, "", @progbits
