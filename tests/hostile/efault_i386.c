/* efault_i386.c - pointers and lengths an i386 kernel refuses as a whole
 * with access_ok() (the range reaches 0xc0000000) before touching memory.
 * An x86-64 kernel running i386 code has user space up to 0xffffe000 and
 * answers some of these differently, so these run under toyemu only.
 * Each line is "call: result"; the exit status counts the surprises.
 */
#include <stdio.h>
#include <string.h>
#include <syscall.h>
#include <unistd.h>
#include <sys/mman.h>

#define PAGE 4096
#define BASE ((char *)0x40000000)
#define KERNEL 0xc0000000L

static int failures;

static long sys(long nr, long a, long b, long c)
{
    return __syscall6(nr, a, b, c, 0, 0, 0);
}

static void check(const char *what, long got, long want)
{
    printf("%s: %ld\n", what, got);
    if (got != want) {
        printf("  ^ expected %ld\n", want);
        failures++;
    }
}

static struct {
    void *base;
    unsigned long len;
} iov[2];

int main(void)
{
    char *p = mmap(BASE, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
    if (p != BASE)
        return 100;
    memcpy(p, "visible\n", 8);

    /* The whole count is checked, not just what would be copied. */
    check("read(0, base, 0x90000000)", sys(__NR_read, 0, (long)BASE, 0x90000000L), -14);
    check("write(1, base, 0x90000000)", sys(__NR_write, 1, (long)BASE, 0x90000000L), -14);
    check("write(1, base, 0xffffffff)", sys(__NR_write, 1, (long)BASE, 0xffffffffL), -14);
    check("write(1, 0xbffffff0, 32)", sys(__NR_write, 1, 0xbffffff0L, 32), -14);
    check("read(0, 0xbffffff0, 32)", sys(__NR_read, 0, 0xbffffff0L, 32), -14);

    /* writev checks every vector before writing any: nothing appears. */
    iov[0].base = BASE;
    iov[0].len = 8;
    iov[1].base = (void *)KERNEL;
    iov[1].len = 4;
    check("writev(1, [good, kernel], 2)", sys(__NR_writev, 1, (long)iov, 2), -14);
    iov[1].base = (void *)(KERNEL - 2);
    check("writev(1, [good, across 0xc0000000], 2)", sys(__NR_writev, 1, (long)iov, 2), -14);
    check("writev(1, iov, 1025)", sys(__NR_writev, 1, (long)iov, 1025), -22);
    check("writev(1, iov, -1)", sys(__NR_writev, 1, (long)iov, -1), -22);
    iov[1].base = BASE;
    iov[1].len = 0x80000000UL;
    check("writev(1, [good, negative length], 2)", sys(__NR_writev, 1, (long)iov, 2), -22);

    /* A struct that would end in kernel space: nothing of it is written. */
    char *top = (char *)(KERNEL - 200);
    char before[200];
    memcpy(before, top, 200);
    check("uname(0xc0000000 - 200)", sys(__NR_uname, (long)top, 0, 0), -14);
    check("  200 bytes below unchanged", memcmp(before, top, 200), 0);
    check("old_mmap(0xc0000000 - 8)", sys(__NR_mmap, KERNEL - 8, 0, 0), -14);

    /* Pointers these calls never reach: the streams are pipes here, so
     * _llseek fails with ESPIPE and ioctl(TCGETS) with ENOTTY first, as on
     * Linux with piped stdin and stdout. */
    check("_llseek(0, 0, 0, kernel, SEEK_SET)", __syscall6(140, 0, 0, 0, KERNEL, 0, 0), -29);
    check("ioctl(1, TCGETS, kernel)", sys(__NR_ioctl, 1, 0x5401, KERNEL), -25);

    /* Memory calls aimed at kernel space, and huge lengths. */
    check("munmap(0xc0000000, 4096)", sys(__NR_munmap, KERNEL, PAGE, 0), -22);
    check("munmap(base, 0xffffffff)", sys(__NR_munmap, (long)BASE, 0xffffffffL, 0), -22);
    check("mprotect(0xc0000000, 4096, PROT_READ)", sys(__NR_mprotect, KERNEL, PAGE, PROT_READ), -12);
    check("mprotect(base, 0xfffff000, PROT_READ)", sys(__NR_mprotect, (long)BASE, 0xfffff000L, PROT_READ), -12);
    check("mmap(0xc0000000, 4096, MAP_FIXED)",
          __syscall6(__NR_mmap2, KERNEL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0), -12);
    check("mmap(NULL, 0xffffffff)",
          __syscall6(__NR_mmap2, 0, 0xffffffffL, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), -12);
    check("mmap(NULL, 0xc0000000)",
          __syscall6(__NR_mmap2, 0, KERNEL, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), -12);
    long hint = __syscall6(__NR_mmap2, KERNEL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    unsigned long at = (unsigned long)hint;
    check("mmap(hint 0xc0000000) lands below it", at >= 0x10000 && at < 0xc0000000UL, 1);
    long brk0 = sys(__NR_brk, 0, 0, 0);
    check("brk(0xc0001000) keeps the old break", sys(__NR_brk, KERNEL + PAGE, 0, 0) == brk0, 1);
    check("brk(0xffffffff) keeps the old break", sys(__NR_brk, 0xffffffffL, 0, 0) == brk0, 1);
    check("madvise(base, 0xffffffff, MADV_DONTNEED)", sys(__NR_madvise, (long)BASE, 0xffffffffL, MADV_DONTNEED), -22);

    printf("%d failures\n", failures);
    return failures;
}
