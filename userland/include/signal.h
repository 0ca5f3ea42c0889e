/* signal.h - signals as Linux i386 has them: numbers, sets, sigaction
 * with SA_SIGINFO handlers, masks, the alternate stack, kill and raise.
 *
 * sigaction() installs the handler with SA_RESTORER and a restorer stub
 * calling sigreturn or rt_sigreturn (libc/sigrestore.S), as musl does.
 * sigset_t is the kernel's: 64 signals in two words. */
#ifndef _TOY_SIGNAL_H
#define _TOY_SIGNAL_H

#include <stddef.h>
#include <sys/types.h>

#define SIGHUP     1
#define SIGINT     2
#define SIGQUIT    3
#define SIGILL     4
#define SIGTRAP    5
#define SIGABRT    6
#define SIGIOT     6
#define SIGBUS     7
#define SIGFPE     8
#define SIGKILL    9
#define SIGUSR1   10
#define SIGSEGV   11
#define SIGUSR2   12
#define SIGPIPE   13
#define SIGALRM   14
#define SIGTERM   15
#define SIGSTKFLT 16
#define SIGCHLD   17
#define SIGCONT   18
#define SIGSTOP   19
#define SIGTSTP   20
#define SIGTTIN   21
#define SIGTTOU   22
#define SIGURG    23
#define SIGXCPU   24
#define SIGXFSZ   25
#define SIGVTALRM 26
#define SIGPROF   27
#define SIGWINCH  28
#define SIGIO     29
#define SIGPOLL   SIGIO
#define SIGPWR    30
#define SIGSYS    31
/* No threads here, so no signals are kept back for a thread library. */
#define SIGRTMIN  32
#define SIGRTMAX  64
#define NSIG      65
#define _NSIG     65

typedef struct {
    unsigned long __val[2];
} sigset_t;

typedef int sig_atomic_t;
typedef void (*sighandler_t)(int);

#define SIG_DFL ((sighandler_t)0)
#define SIG_IGN ((sighandler_t)1)
#define SIG_ERR ((sighandler_t)-1)

union sigval {
    int sival_int;
    void *sival_ptr;
};

/* siginfo_t of i386: 128 bytes. */
typedef struct {
    int si_signo;
    int si_errno;
    int si_code;
    union {
        int __pad[29];
        struct {
            pid_t __pid;
            uid_t __uid;
        } __kill;
        struct {
            void *__addr;
            short __addr_lsb;
        } __fault;
        struct {
            pid_t __pid;
            uid_t __uid;
            union sigval __value;
        } __rt;
        struct {
            pid_t __pid;
            uid_t __uid;
            int __status;
            long __utime, __stime;
        } __chld;
    } __fields;
} siginfo_t;

#define si_pid      __fields.__kill.__pid
#define si_uid      __fields.__kill.__uid
#define si_addr     __fields.__fault.__addr
#define si_addr_lsb __fields.__fault.__addr_lsb
#define si_value    __fields.__rt.__value
#define si_status   __fields.__chld.__status

/* SIGCHLD's si_code: how the child ended. */
#define CLD_EXITED  1
#define CLD_KILLED  2
#define CLD_DUMPED  3

/* si_code values. */
#define SI_USER     0
#define SI_KERNEL   0x80
#define SI_QUEUE    (-1)
#define SI_TIMER    (-2)
#define SI_TKILL    (-6)
#define ILL_ILLOPC  1
#define ILL_ILLOPN  2
#define ILL_ILLADR  3
#define ILL_ILLTRP  4
#define ILL_PRVOPC  5
#define FPE_INTDIV  1
#define FPE_INTOVF  2
#define SEGV_MAPERR 1
#define SEGV_ACCERR 2
#define BUS_ADRALN  1
#define BUS_ADRERR  2
#define BUS_OBJERR  3
#define TRAP_BRKPT  1
#define TRAP_TRACE  2

struct sigaction {
    union {
        void (*__handler)(int);
        void (*__sigaction)(int, siginfo_t *, void *);
    } __u;
    sigset_t sa_mask;
    int sa_flags;
    void (*sa_restorer)(void);
};
#define sa_handler   __u.__handler
#define sa_sigaction __u.__sigaction

#define SA_NOCLDSTOP 0x00000001
#define SA_NOCLDWAIT 0x00000002
#define SA_SIGINFO   0x00000004
#define SA_RESTORER  0x04000000
#define SA_ONSTACK   0x08000000
#define SA_RESTART   0x10000000
#define SA_NODEFER   0x40000000
#define SA_RESETHAND 0x80000000
#define SA_NOMASK    SA_NODEFER
#define SA_ONESHOT   SA_RESETHAND

#define SIG_BLOCK   0
#define SIG_UNBLOCK 1
#define SIG_SETMASK 2

typedef struct {
    void *ss_sp;
    int ss_flags;
    size_t ss_size;
} stack_t;

#define SS_ONSTACK    1
#define SS_DISABLE    2
#define SS_AUTODISARM (1U << 31)
#define MINSIGSTKSZ   2048
#define SIGSTKSZ      8192

/* What the old-style (non-SA_SIGINFO) frame holds right after the signal
 * number: the interrupted registers (see <ucontext.h> for SA_SIGINFO). */
struct sigcontext {
    unsigned short gs, __gsh;
    unsigned short fs, __fsh;
    unsigned short es, __esh;
    unsigned short ds, __dsh;
    unsigned long edi, esi, ebp, esp, ebx, edx, ecx, eax;
    unsigned long trapno, err, eip;
    unsigned short cs, __csh;
    unsigned long eflags, esp_at_signal;
    unsigned short ss, __ssh;
    void *fpstate;
    unsigned long oldmask, cr2;
};

int kill(pid_t pid, int sig);
int raise(int sig);
int tgkill(pid_t tgid, pid_t tid, int sig);
int sigaction(int sig, const struct sigaction *act, struct sigaction *oact);
sighandler_t signal(int sig, sighandler_t handler);
int sigprocmask(int how, const sigset_t *set, sigset_t *oset);
int sigpending(sigset_t *set);
int sigsuspend(const sigset_t *mask);
int sigaltstack(const stack_t *ss, stack_t *old);
int sigemptyset(sigset_t *set);
int sigfillset(sigset_t *set);
int sigaddset(sigset_t *set, int sig);
int sigdelset(sigset_t *set, int sig);
int sigismember(const sigset_t *set, int sig);

#endif
