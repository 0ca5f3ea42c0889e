/* syscall.c - system call wrappers on `int $0x80`.
 *
 * The i386 Linux ABI: number in EAX, arguments in EBX ECX EDX ESI EDI EBP,
 * result in EAX.  A result between -4095 and -1 is an error: the wrapper
 * stores -result in errno and returns -1 (MAP_FAILED for mmap), as glibc
 * does.  __syscall6 is written in assembly because EBP can't be named as
 * an operand of inline asm when gcc uses it as the frame pointer.
 */
#include <errno.h>
#include <signal.h>
#include <stdarg.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <syscall.h>
#include <unistd.h>

int errno;

/* long __syscall6(long n, long a1, long a2, long a3, long a4, long a5, long a6) */
__asm__(
    "    .pushsection .text\n"
    "    .globl __syscall6\n"
    "    .type __syscall6, @function\n"
    "__syscall6:\n"
    "    pushl %ebp\n"
    "    pushl %edi\n"
    "    pushl %esi\n"
    "    pushl %ebx\n"
    "    movl 20(%esp), %eax\n"
    "    movl 24(%esp), %ebx\n"
    "    movl 28(%esp), %ecx\n"
    "    movl 32(%esp), %edx\n"
    "    movl 36(%esp), %esi\n"
    "    movl 40(%esp), %edi\n"
    "    movl 44(%esp), %ebp\n"
    "    int $0x80\n"
    "    popl %ebx\n"
    "    popl %esi\n"
    "    popl %edi\n"
    "    popl %ebp\n"
    "    ret\n"
    "    .size __syscall6, . - __syscall6\n"
    "    .popsection\n");

/* Short forms for up to three arguments (EBX ECX EDX are plain operands). */
static inline long sys0(long n)
{
    long r;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(n) : "memory");
    return r;
}

static inline long sys1(long n, long a)
{
    long r;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(n), "b"(a) : "memory");
    return r;
}

static inline long sys2(long n, long a, long b)
{
    long r;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(n), "b"(a), "c"(b) : "memory");
    return r;
}

static inline long sys3(long n, long a, long b, long c)
{
    long r;
    __asm__ volatile("int $0x80" : "=a"(r) : "a"(n), "b"(a), "c"(b), "d"(c) : "memory");
    return r;
}

/* Turn a raw kernel result into the C convention. */
static long ret(long r)
{
    if ((unsigned long)r > -4096UL) {
        errno = (int)-r;
        return -1;
    }
    return r;
}

long syscall(long n, ...)
{
    va_list ap;
    long a[6];
    va_start(ap, n);
    for (int i = 0; i < 6; i++)
        a[i] = va_arg(ap, long);
    va_end(ap);
    return ret(__syscall6(n, a[0], a[1], a[2], a[3], a[4], a[5]));
}

ssize_t read(int fd, void *buf, size_t count)
{
    return ret(sys3(__NR_read, fd, (long)buf, (long)count));
}

ssize_t write(int fd, const void *buf, size_t count)
{
    return ret(sys3(__NR_write, fd, (long)buf, (long)count));
}

ssize_t writev(int fd, const struct iovec *iov, int iovcnt)
{
    return ret(sys3(__NR_writev, fd, (long)iov, iovcnt));
}

ssize_t readv(int fd, const struct iovec *iov, int iovcnt)
{
    return ret(sys3(__NR_readv, fd, (long)iov, iovcnt));
}

int close(int fd)
{
    return (int)ret(sys1(__NR_close, fd));
}

pid_t getpid(void)
{
    return (pid_t)ret(sys0(__NR_getpid));
}

pid_t getppid(void)
{
    return (pid_t)ret(sys0(__NR_getppid));
}

int kill(pid_t pid, int sig)
{
    return (int)ret(sys2(__NR_kill, pid, sig));
}

pid_t gettid(void)
{
    return (pid_t)ret(sys0(__NR_gettid));
}

__attribute__((noreturn)) void _exit(int status)
{
    for (;;) {
        sys1(__NR_exit_group, status);
        sys1(__NR_exit, status);
    }
}

int getpagesize(void)
{
    return 4096;
}

/* The program break.  The raw brk syscall never fails in the C sense: it
 * returns the new break, or the unchanged old one when the request is
 * refused.  __toy_curbrk caches the break we last saw. */
void *__toy_curbrk;

int brk(void *addr)
{
    void *got = (void *)sys1(__NR_brk, (long)addr);
    __toy_curbrk = got;
    if (got != addr) {
        errno = ENOMEM;
        return -1;
    }
    return 0;
}

void *sbrk(intptr_t increment)
{
    if (__toy_curbrk == 0)
        __toy_curbrk = (void *)sys1(__NR_brk, 0);
    char *old = __toy_curbrk;
    if (increment == 0)
        return old;
    /* Refuse to wrap around the address space. */
    if ((increment > 0 && (uintptr_t)old + (uintptr_t)increment < (uintptr_t)old) ||
        (increment < 0 && (uintptr_t)old < (uintptr_t)-increment)) {
        errno = ENOMEM;
        return (void *)-1;
    }
    if (brk(old + increment) < 0)
        return (void *)-1;
    return old;
}

void *mmap(void *addr, size_t length, int prot, int flags, int fd, off_t offset)
{
    if (offset & 4095) {
        errno = EINVAL;
        return MAP_FAILED;
    }
    long r = __syscall6(__NR_mmap2, (long)addr, (long)length, prot, flags, fd,
                        (unsigned long)offset >> 12);
    if ((unsigned long)r > -4096UL) {
        errno = (int)-r;
        return MAP_FAILED;
    }
    return (void *)r;
}

int munmap(void *addr, size_t length)
{
    return (int)ret(sys2(__NR_munmap, (long)addr, (long)length));
}

int mprotect(void *addr, size_t length, int prot)
{
    return (int)ret(sys3(__NR_mprotect, (long)addr, (long)length, prot));
}

int madvise(void *addr, size_t length, int advice)
{
    return (int)ret(sys3(__NR_madvise, (long)addr, (long)length, advice));
}
