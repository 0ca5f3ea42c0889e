/* efault.c - every syscall that takes a pointer, given pointers it must
 * refuse: unmapped (the null guard, a hole), PROT_NONE, read-only pages
 * where the kernel would write, and addresses at 0xc0000000 and above.
 * Each line is "call: result" with the raw kernel result (-14 is EFAULT)
 * and, where the call wrote, what landed in memory; the exit status is the
 * number of results that differ from Linux's.
 *
 * Only cases where an i386 kernel and an x86-64 kernel running i386 code
 * agree are here, so the native run is an oracle. stdin and stdout are
 * regular files (the test makes them so): a partial copy is a short count.
 *
 * Layout at BASE: two RW pages, a hole, a read-only page, a PROT_NONE page.
 */
#include <stdio.h>
#include <string.h>
#include <syscall.h>
#include <unistd.h>
#include <sys/mman.h>
#include <sys/uio.h>

#define PAGE 4096
#define BASE ((char *)0x40000000)
#define RW BASE
#define HOLE (BASE + 2 * PAGE)
#define RO (BASE + 3 * PAGE)
#define NONE (BASE + 4 * PAGE)
#define NULL_GUARD ((char *)0x1000)
#define KERNEL ((char *)0xc0000000)
#define TOP ((char *)0xfffff000)

static const char rodata[64] = "read-only data, in the text segment";
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

/* Print n bytes as text, dots for the unprintable. */
static void show(const char *what, const char *p, int n)
{
    printf("%s: \"", what);
    for (int i = 0; i < n; i++)
        printf("%c", p[i] >= 32 && p[i] < 127 ? p[i] : '.');
    printf("\"\n");
}

static void layout(void)
{
    char *p = mmap(BASE, 5 * PAGE, PROT_READ | PROT_WRITE,
                   MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED_NOREPLACE, -1, 0);
    if (p != BASE) {
        printf("cannot map the test pages at %p\n", (void *)BASE);
        _exit(100);
    }
    munmap(HOLE, PAGE);
    mprotect(RO, PAGE, PROT_READ);
    mprotect(NONE, PAGE, PROT_NONE);
    memset(RW, '#', 2 * PAGE);
}

static void reads(void)
{
    char *bad[] = {KERNEL, TOP, NULL_GUARD, HOLE, RO, NONE, (char *)rodata};
    const char *name[] = {"kernel", "top", "null guard", "hole", "read-only page",
                          "PROT_NONE page", "rodata"};
    char what[64];
    for (int i = 0; i < 7; i++) {
        snprintf(what, sizeof what, "read(0, %s, 16)", name[i]);
        check(what, sys(__NR_read, 0, (long)bad[i], 16), -14);
    }
    /* Nothing was consumed by the failed reads. */
    check("read(0, good, 16)", sys(__NR_read, 0, (long)RW, 16), 16);
    show("  got", RW, 16);
    /* 8 bytes of room before the hole: a short read of 8. */
    char *edge = HOLE - 8;
    check("read(0, 8 bytes before the hole, 16)", sys(__NR_read, 0, (long)edge, 16), 8);
    show("  got", edge, 8);
    check("read(0, good, 4) after it", sys(__NR_read, 0, (long)RW, 4), 4);
    show("  got", RW, 4);
    /* A huge count into two pages: whatever input there is, here 100 bytes. */
    check("read(0, good, 0x7fffffff)", sys(__NR_read, 0, (long)RW, 0x7fffffff), 100 - 16 - 8 - 4);
}

static void writes(void)
{
    char *bad[] = {KERNEL, TOP, NULL_GUARD, HOLE, NONE};
    const char *name[] = {"kernel", "top", "null guard", "hole", "PROT_NONE page"};
    char what[64];
    for (int i = 0; i < 5; i++) {
        snprintf(what, sizeof what, "write(1, %s, 16)", name[i]);
        check(what, sys(__NR_write, 1, (long)bad[i], 16), -14);
    }
    /* Reading from read-only memory is fine. */
    check("\nwrite(1, rodata, 10)", sys(__NR_write, 1, (long)rodata, 10), 10);
    check("\nwrite(1, read-only page, 3)", sys(__NR_write, 1, (long)RO, 3), 3);
    /* Up to the hole, then a short count. */
    memcpy(HOLE - 8, "[edge!]\n", 8);
    check("write(1, 8 bytes before the hole, 16)", sys(__NR_write, 1, (long)(HOLE - 8), 16), 8);
    /* A huge count: everything up to the hole. */
    memset(RW, '.', 2 * PAGE);
    RW[2 * PAGE - 1] = '\n';
    check("write(1, good, 0x7fffffff)", sys(__NR_write, 1, (long)RW, 0x7fffffff), 2 * PAGE);
}

static struct iovec iov[2];

static void writevs(void)
{
    check("writev(1, kernel, 1)", sys(__NR_writev, 1, (long)KERNEL, 1), -14);
    check("writev(1, hole, 1)", sys(__NR_writev, 1, (long)HOLE, 1), -14);
    check("writev(1, PROT_NONE page, 1)", sys(__NR_writev, 1, (long)NONE, 1), -14);
    /* The array itself runs into the hole. */
    check("writev(1, array into the hole, 2)", sys(__NR_writev, 1, (long)(HOLE - 8), 2), -14);
    iov[0].iov_base = HOLE;
    iov[0].iov_len = 4;
    check("writev(1, [hole], 1)", sys(__NR_writev, 1, (long)iov, 1), -14);
    /* A good vector, then a bad one: the first is written. */
    memcpy(RW, "good\n", 5);
    iov[0].iov_base = RW;
    iov[0].iov_len = 5;
    iov[1].iov_base = NONE;
    iov[1].iov_len = 4;
    check("writev(1, [good, PROT_NONE], 2)", sys(__NR_writev, 1, (long)iov, 2), 5);
    /* Huge lengths (their sum past 2 GiB): the first up to the hole, then stop. */
    memset(RW, '=', 2 * PAGE);
    RW[2 * PAGE - 1] = '\n';
    iov[0].iov_base = RW;
    iov[0].iov_len = 0x7fffffff;
    iov[1].iov_base = RW;
    iov[1].iov_len = 0x7fffffff;
    check("writev(1, [huge, huge], 2)", sys(__NR_writev, 1, (long)iov, 2), 2 * PAGE);
}

static void others(void)
{
    check("old_mmap(kernel)", sys(__NR_mmap, (long)KERNEL, 0, 0), -14);
    check("old_mmap(hole)", sys(__NR_mmap, (long)HOLE, 0, 0), -14);
    check("old_mmap(PROT_NONE page)", sys(__NR_mmap, (long)NONE, 0, 0), -14);
    check("old_mmap(args into the hole)", sys(__NR_mmap, (long)(HOLE - 8), 0, 0), -14);
    check("uname(kernel)", sys(__NR_uname, (long)KERNEL, 0, 0), -14);
    check("uname(null guard)", sys(__NR_uname, (long)NULL_GUARD, 0, 0), -14);
    check("uname(hole)", sys(__NR_uname, (long)HOLE, 0, 0), -14);
    check("uname(read-only page)", sys(__NR_uname, (long)RO, 0, 0), -14);
    check("uname(PROT_NONE page)", sys(__NR_uname, (long)NONE, 0, 0), -14);
    check("uname(rodata)", sys(__NR_uname, (long)rodata, 0, 0), -14);
    /* 100 bytes of room: those are written (sysname first), then EFAULT. */
    memset(HOLE - 100, '#', 100);
    check("uname(100 bytes before the hole)", sys(__NR_uname, (long)(HOLE - 100), 0, 0), -14);
    show("  sysname", HOLE - 100, 6);
    check("madvise(kernel, 4096, MADV_DONTNEED)",
          sys(__NR_madvise, (long)KERNEL, PAGE, MADV_DONTNEED), -12);
    check("mprotect(hole, 4096, PROT_READ)", sys(__NR_mprotect, (long)HOLE, PAGE, PROT_READ), -12);
    check("munmap(hole, 4096)", sys(__NR_munmap, (long)HOLE, PAGE, 0), 0);
}

int main(void)
{
    layout();
    reads();
    writes();
    writevs();
    others();
    printf("%d failures\n", failures);
    return failures;
}
