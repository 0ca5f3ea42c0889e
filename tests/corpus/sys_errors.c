// sys_errors.c - system call edge cases: EBADF for bad descriptors, EFAULT for bad user pointers (low, unmapped, kernel space), ENOSYS for unknown numbers, writev gathering, zero-length writes, getpid, read from an empty stdin.
// stdin: the harness gives /dev/null
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <syscall.h>
#include <unistd.h>

#define CHECK(cond, code) do { if (!(cond)) { printf("FAIL line %d: %s\n", __LINE__, #cond); exit(code); } } while (0)

static void show(const char *what, long r)
{
    int e = r < 0 ? errno : 0;
    printf("%-44s = %ld", what, r);
    if (r < 0)
        printf(" (errno %d %s)", e, e == EBADF ? "EBADF" : e == EFAULT ? "EFAULT" : e == ENOSYS ? "ENOSYS" :
               e == EINVAL ? "EINVAL" : "?");
    printf("\n");
}

int main(void)
{
    long r;
    errno = 0;
    r = write(99, "x", 1);
    show("write(99, \"x\", 1)", r);
    CHECK(r == -1 && errno == EBADF, 1);
    r = write(-1, "x", 1);
    show("write(-1, \"x\", 1)", r);
    CHECK(r == -1 && errno == EBADF, 2);
    r = write(1, (const void *)0x10, 5);
    show("write(1, 0x10, 5)", r);
    CHECK(r == -1 && errno == EFAULT, 3);
    r = write(1, (const void *)0xc0001000, 5);
    show("write(1, 0xc0001000, 5)", r);
    CHECK(r == -1 && errno == EFAULT, 4);
    char *gone = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
    munmap(gone, 4096);
    r = write(1, gone, 5);
    show("write(1, <unmapped page>, 5)", r);
    CHECK(r == -1 && errno == EFAULT, 5);
    r = write(1, "", 0);
    show("write(1, \"\", 0)", r);
    CHECK(r == 0, 6);
    r = write(1, (const void *)0x10, 0);
    show("write(1, 0x10, 0)", r);                /* nothing to copy, nothing to fault on */
    CHECK(r == 0, 7);

    r = syscall(9999);
    show("syscall(9999)", r);
    CHECK(r == -1 && errno == ENOSYS, 8);
    r = syscall(-1);
    show("syscall(-1)", r);
    CHECK(r == -1 && errno == ENOSYS, 9);
    long raw = __syscall6(9999, 0, 0, 0, 0, 0, 0);
    printf("raw result of syscall 9999 is -ENOSYS: %s\n", raw == -ENOSYS ? "yes" : "no");
    CHECK(raw == -38, 10);

    pid_t pid = getpid();
    printf("getpid() > 0: %s; twice the same: %s\n", pid > 0 ? "yes" : "no", getpid() == pid ? "yes" : "no");
    CHECK(pid > 0, 11);

    char buf[16];
    r = read(0, buf, sizeof buf);
    show("read(0, buf, 16) from /dev/null", r);
    CHECK(r == 0, 12);
    r = read(77, buf, sizeof buf);
    show("read(77, buf, 16)", r);
    CHECK(r == -1 && errno == EBADF, 13);

    struct iovec iov[3] = {
        { "writev ", 7 },
        { "gathers ", 8 },
        { "three pieces\n", 13 },
    };
    r = writev(1, iov, 3);
    show("writev(1, 3 pieces)", r);
    CHECK(r == 28, 14);
    struct iovec none[1] = { { "x", 0 } };
    r = writev(1, none, 1);
    show("writev(1, one empty piece)", r);
    CHECK(r == 0, 15);
    r = writev(99, iov, 3);
    show("writev(99, ...)", r);
    CHECK(r == -1 && errno == EBADF, 16);
    r = write(2, "this line goes to stderr\n", 25);
    show("write(2, 25 bytes)", r);
    CHECK(r == 25, 17);
    return 0;
}
