/* syscall.h - raw system calls and the Linux i386 system call numbers.
 *
 * syscall(n, a1..a6) issues `int $0x80` with the number in EAX and the
 * arguments in EBX ECX EDX ESI EDI EBP, exactly as the i386 Linux ABI
 * wants.  Like glibc's syscall(), a result in -4095..-1 is turned into
 * errno = -result and a return value of -1.  __syscall6() returns the raw
 * kernel result (a negative errno on failure) and never touches errno.
 */
#ifndef _TOY_SYSCALL_H
#define _TOY_SYSCALL_H

#define __NR_exit            1
#define __NR_fork            2
#define __NR_execve         11
#define __NR_read            3
#define __NR_write           4
#define __NR_open            5
#define __NR_close           6
#define __NR_time           13
#define __NR_pause          29
#define __NR_lseek          19
#define __NR_getpid         20
#define __NR_getuid         24
#define __NR_kill           37
#define __NR_dup            41
#define __NR_pipe           42
#define __NR_brk            45
#define __NR_ioctl          54
#define __NR_getppid        64
#define __NR_sigaction      67
#define __NR_sigsuspend     72
#define __NR_mmap           90   /* old_mmap: takes a pointer to 6 arguments */
#define __NR_munmap         91
#define __NR_sigreturn     119
#define __NR_wait4         114
#define __NR_uname         122
#define __NR_mprotect      125
#define __NR_readv         145
#define __NR_writev        146
#define __NR_sched_yield   158
#define __NR_nanosleep     162
#define __NR_mremap        163
#define __NR_rt_sigreturn  173
#define __NR_rt_sigaction  174
#define __NR_rt_sigprocmask 175
#define __NR_rt_sigpending 176
#define __NR_rt_sigsuspend 179
#define __NR_sigaltstack   186
#define __NR_mmap2         192
#define __NR_getuid32      199
#define __NR_madvise       219
#define __NR_gettid        224
#define __NR_tkill         238
#define __NR_futex         240
#define __NR_set_thread_area 243
#define __NR_get_thread_area 244
#define __NR_exit_group    252
#define __NR_clock_gettime 265
#define __NR_tgkill        270
#define __NR_getrandom     355

long syscall(long number, ...);
long __syscall6(long number, long a1, long a2, long a3, long a4, long a5, long a6);

#endif
