// file_io.c - files through the kernel: read a file of the repository (read-only), create, write, seek, stat and reread one in the scratch directory (argv[argc-1]), descriptors (dup, dup2, fcntl, close), errors a read-only view and bad descriptors give.
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHECK(cond, code) do { if (!(cond)) { printf("FAIL line %d: %s (errno %d)\n", __LINE__, #cond, errno); exit(code); } } while (0)

int main(int argc, char **argv)
{
    const char *dir = argv[argc - 1];
    char path[512];

    /* A file of the repository, read-only. */
    int fd = open("tests/corpus/file_io.c", O_RDONLY);
    CHECK(fd >= 3, 1);
    char head[16] = { 0 };
    CHECK(read(fd, head, 10) == 10, 2);
    printf("first bytes: %.10s\n", head);
    struct stat st;
    CHECK(fstat(fd, &st) == 0 && S_ISREG(st.st_mode) && st.st_size > 100, 3);
    CHECK(lseek(fd, -3, SEEK_END) == st.st_size - 3, 4);
    char tail[4] = { 0 };
    CHECK(read(fd, tail, 3) == 3, 5);
    printf("the source ends with a newline: %s\n", tail[2] == '\n' ? "yes" : "no");
    CHECK(read(fd, tail, 3) == 0, 6);
    CHECK(close(fd) == 0, 7);
    CHECK(close(fd) == -1 && errno == EBADF, 8);

    /* A new file in the scratch directory. */
    snprintf(path, sizeof path, "%s/notes.txt", dir);
    fd = open(path, O_WRONLY | O_CREAT | O_EXCL, 0644);
    CHECK(fd >= 0, 9);
    CHECK(write(fd, "hello\n", 6) == 6, 10);
    CHECK(write(fd, "files\n", 6) == 6, 11);
    CHECK(open(path, O_WRONLY | O_CREAT | O_EXCL, 0644) == -1 && errno == EEXIST, 12);
    CHECK(close(fd) == 0, 13);
    CHECK(stat(path, &st) == 0 && st.st_size == 12 && (st.st_mode & 0777) == 0644, 14);
    printf("created notes.txt: %lld bytes, mode %o\n", st.st_size, st.st_mode & 0777);

    fd = open(path, O_RDWR | O_APPEND);
    CHECK(fd >= 0, 15);
    CHECK(write(fd, "end\n", 4) == 4, 16);
    CHECK(lseek(fd, 0, SEEK_SET) == 0, 17);
    char buf[64] = { 0 };
    CHECK(read(fd, buf, sizeof buf) == 16, 18);
    printf("reread: %s", buf);

    /* Descriptors: dup shares the offset, dup2 picks the number, cloexec. */
    int d = dup(fd);
    CHECK(d > fd, 19);
    CHECK(lseek(d, 6, SEEK_SET) == 6 && lseek(fd, 0, SEEK_CUR) == 6, 20);
    CHECK(dup2(fd, 20) == 20, 21);
    CHECK(fcntl(20, F_GETFD) == 0 && fcntl(20, F_SETFD, FD_CLOEXEC) == 0 && fcntl(20, F_GETFD) == FD_CLOEXEC, 22);
    CHECK((fcntl(fd, F_GETFL) & O_ACCMODE) == O_RDWR, 23);
    CHECK(close(20) == 0 && close(d) == 0 && close(fd) == 0, 24);

    /* Rename, truncate, remove. */
    char other[512];
    snprintf(other, sizeof other, "%s/renamed.txt", dir);
    CHECK(rename(path, other) == 0, 25);
    CHECK(access(path, F_OK) == -1 && errno == ENOENT, 26);
    fd = open(other, O_RDWR);
    CHECK(fd >= 0 && ftruncate(fd, 3) == 0 && fstat(fd, &st) == 0 && st.st_size == 3, 27);
    close(fd);
    CHECK(unlink(other) == 0 && unlink(other) == -1 && errno == ENOENT, 28);
    snprintf(path, sizeof path, "%s/sub", dir);
    CHECK(mkdir(path, 0755) == 0 && mkdir(path, 0755) == -1 && errno == EEXIST, 29);
    CHECK(rmdir(path) == 0, 30);

    /* Errors. */
    CHECK(open("/no/such/file", O_RDONLY) == -1 && errno == ENOENT, 31);
    CHECK(open("tests/corpus/file_io.c/x", O_RDONLY) == -1 && errno == ENOTDIR, 32);
    CHECK(read(99, buf, 1) == -1 && errno == EBADF, 33);
    CHECK(open("tests", O_WRONLY) == -1 && errno == EISDIR, 34);
    CHECK(open(NULL, O_RDONLY) == -1 && errno == EFAULT, 35);
    printf("errors: ENOENT ENOTDIR EBADF EISDIR EFAULT as expected\n");
    return 0;
}
