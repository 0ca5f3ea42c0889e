/* spawn.c - the suite's launcher: run argv[2..] as a child, wait for it and
 * write "WALL_NS MAXRSS_KIB WAIT_STATUS CPU_NS\n" to the file argv[1]
 * (CPU_NS: the child's user + system time).
 *
 *     spawn REPORT PROGRAM [ARGS...]
 *
 * Why a launcher at all: when a process calls execve, Linux folds the
 * high-water RSS of the memory it had until then into the new program's
 * ru_maxrss (exec_mmap -> setmax_mm_hiwater_rss).  A child forked from the
 * suite, or vforked with the suite's memory, would therefore report at
 * least the suite's own peak (tens of MiB after it has run toyemu
 * in-process), drowning a native program's few hundred KiB.  This launcher
 * is freestanding and static, a few pages in all, so the figure wait4
 * gives is the program's own.  It also takes the time, from just before
 * fork to just after wait4, so its own start does not count.
 *
 * x86-64, built with -nostdlib: raw system calls only.  stdin, stdout and
 * stderr are passed through to the child untouched.
 */

enum {
    SYS_write = 1,
    SYS_open = 2,
    SYS_close = 3,
    SYS_fork = 57,
    SYS_execve = 59,
    SYS_exit = 60,
    SYS_wait4 = 61,
    SYS_clock_gettime = 228,
};

#define O_WRONLY 01
#define O_CREAT 0100
#define O_TRUNC 01000
#define CLOCK_MONOTONIC 1
#define EINTR 4

static long sys(long n, long a, long b, long c, long d)
{
    long r;
    register long r10 __asm__("r10") = d;
    __asm__ volatile("syscall"
                     : "=a"(r)
                     : "a"(n), "D"(a), "S"(b), "d"(c), "r"(r10)
                     : "rcx", "r11", "memory");
    return r;
}

static long len(const char *s)
{
    long n = 0;
    while (s[n])
        n++;
    return n;
}

static void say(int fd, const char *s)
{
    sys(SYS_write, fd, (long)s, len(s), 0);
}

static __attribute__((noreturn)) void die(const char *what, const char *arg)
{
    say(2, "spawn: ");
    say(2, what);
    say(2, arg);
    say(2, "\n");
    sys(SYS_exit, 127, 0, 0, 0);
    __builtin_unreachable();
}

struct timespec {
    long sec, nsec;
};

static long now_ns(void)
{
    struct timespec t;
    sys(SYS_clock_gettime, CLOCK_MONOTONIC, (long)&t, 0, 0);
    return t.sec * 1000000000L + t.nsec;
}

/* Append the decimal digits of v to p; returns the new end. */
static char *num(char *p, unsigned long v)
{
    char d[24];
    int n = 0;
    do
        d[n++] = (char)('0' + v % 10);
    while (v /= 10);
    while (n)
        *p++ = d[--n];
    return p;
}

__attribute__((noreturn, used)) void spawn_main(long *sp)
{
    long argc = sp[0];
    char **argv = (char **)(sp + 1);
    char **envp = argv + argc + 1;
    if (argc < 3)
        die("usage: spawn REPORT PROGRAM [ARGS...]", "");

    long start = now_ns();
    long pid = sys(SYS_fork, 0, 0, 0, 0);
    if (pid < 0)
        die("fork failed", "");
    if (pid == 0) {
        sys(SYS_execve, (long)argv[2], (long)(argv + 2), (long)envp, 0);
        die("cannot execute ", argv[2]);
    }
    /* struct rusage: two timevals, then ru_maxrss (KiB) and 13 more longs. */
    long ru[18];
    int status = 0;
    long r;
    while ((r = sys(SYS_wait4, pid, (long)&status, 0, (long)ru)) == -EINTR)
        ;
    long wall = now_ns() - start;
    if (r != pid)
        die("wait4 failed", "");

    char line[100], *p = line;
    p = num(p, (unsigned long)wall);
    *p++ = ' ';
    p = num(p, (unsigned long)ru[4]);
    *p++ = ' ';
    p = num(p, (unsigned)status);
    *p++ = ' ';
    /* ru_utime and ru_stime: (seconds, microseconds) each. */
    p = num(p, (unsigned long)((ru[0] + ru[2]) * 1000000000L + (ru[1] + ru[3]) * 1000L));
    *p++ = '\n';
    long fd = sys(SYS_open, (long)argv[1], O_WRONLY | O_CREAT | O_TRUNC, 0644, 0);
    if (fd < 0)
        die("cannot write ", argv[1]);
    sys(SYS_write, fd, (long)line, p - line, 0);
    sys(SYS_close, fd, 0, 0, 0);
    sys(SYS_exit, 0, 0, 0, 0);
    __builtin_unreachable();
}

__asm__(".globl _start\n"
        "_start:\n"
        "    xor %rbp, %rbp\n"
        "    mov %rsp, %rdi\n"
        "    and $-16, %rsp\n"
        "    call spawn_main\n"
        "    hlt\n");
