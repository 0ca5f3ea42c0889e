// sys_fds.c - the standard descriptors: ioctl on a pipe (ENOTTY), lseek on a pipe (ESPIPE), close and then use (EBADF), uname, ids agree with the auxv.
// stdin: the harness gives /dev/null; stdout is a pipe both natively and under the harness
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <syscall.h>
#include <unistd.h>

static void show(const char *what, long r)
{
    printf("%-28s = %ld", what, r);
    if (r < 0)
        printf(" errno %d", errno);
    printf("\n");
}

int main(void)
{
    char uts[6 * 65];
    show("ioctl(1, TCGETS)", syscall(54, 1, 0x5401, uts));
    show("ioctl(9, TCGETS)", syscall(54, 9, 0x5401, uts));
    show("lseek(1, 0, SEEK_CUR)", syscall(19, 1, 0, 1));
    show("close(7)", syscall(6, 7));
    show("uname", syscall(122, uts));
    printf("sysname %s\n", uts);
    show("uname(bad pointer)", syscall(122, (void *)0x10));
    long uid = syscall(199), euid = syscall(201);
    printf("uid == euid: %s\n", uid == euid ? "yes" : "no");
    show("gettid == getpid", syscall(224) == syscall(20));
    show("close(0)", syscall(6, 0));
    char c;
    show("read(0) after close", syscall(3, 0, &c, 1));
    show("close(0) again", syscall(6, 0));
    show("close(2)", syscall(6, 2));
    show("write(2) after close", syscall(4, 2, "x", 1));
    return 0;
}
