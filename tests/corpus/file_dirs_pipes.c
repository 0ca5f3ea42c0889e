// file_dirs_pipes.c - directories (opendir/readdir over getdents64, getcwd, chdir), /proc/self as the guest sees itself (exe, maps, status, fd), and a pipe inside one process (data, EOF once the writer is closed).
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHECK(cond, code) do { if (!(cond)) { printf("FAIL line %d: %s (errno %d)\n", __LINE__, #cond, errno); exit(code); } } while (0)

static int read_all(const char *path, char *buf, int size)
{
    int fd = open(path, O_RDONLY);
    if (fd < 0)
        return -1;
    int n = 0, r;
    while (n < size - 1 && (r = read(fd, buf + n, size - 1 - n)) > 0)
        n += r;
    buf[n] = 0;
    close(fd);
    return n;
}

int main(int argc, char **argv)
{
    (void)argc;
    char buf[8192], cwd[512];

    /* A directory of known contents: count the .c files and the dot entries. */
    DIR *d = opendir("tests/corpus");
    CHECK(d != NULL, 1);
    int c_files = 0, dots = 0;
    struct dirent *e;
    while ((e = readdir(d)) != NULL) {
        size_t n = strlen(e->d_name);
        if (strcmp(e->d_name, ".") == 0 || strcmp(e->d_name, "..") == 0) {
            dots++;
            CHECK(e->d_type == DT_DIR, 2);
        } else if (n > 2 && strcmp(e->d_name + n - 2, ".c") == 0) {
            c_files++;
            CHECK(e->d_type == DT_REG, 3);
        }
    }
    CHECK(closedir(d) == 0, 4);
    printf("tests/corpus: %d C files, %d dot entries\n", c_files > 50 ? 1 : 0, dots);
    CHECK(opendir("tests/corpus/file_io.c") == NULL && errno == ENOTDIR, 5);

    /* The working directory, and moving it. */
    CHECK(getcwd(cwd, sizeof cwd) != NULL && cwd[0] == '/', 6);
    CHECK(chdir("tests/corpus") == 0, 7);
    CHECK(access("file_io.c", R_OK) == 0, 8);
    CHECK(getcwd(buf, sizeof buf) != NULL && strlen(buf) == strlen(cwd) + strlen("/tests/corpus"), 9);
    CHECK(chdir("../..") == 0 && getcwd(buf, sizeof buf) && strcmp(buf, cwd) == 0, 10);
    CHECK(getcwd(buf, 2) == NULL && errno == ERANGE, 11);
    CHECK(chdir("tests/corpus/file_io.c") == -1 && errno == ENOTDIR, 12);
    printf("getcwd and chdir agree\n");

    /* /proc/self is this process. */
    ssize_t n = readlink("/proc/self/exe", buf, sizeof buf - 1);
    CHECK(n > 0, 13);
    buf[n] = 0;
    const char *base = strrchr(argv[0], '/') ? strrchr(argv[0], '/') + 1 : argv[0];
    CHECK(strcmp(strrchr(buf, '/') + 1, base) == 0, 14);
    printf("/proc/self/exe names this program\n");
    char *p = malloc(100);
    CHECK(p != NULL && read_all("/proc/self/maps", buf, sizeof buf) > 0, 15);
    CHECK(strstr(buf, "[heap]") && strstr(buf, "[stack]") && strstr(buf, base), 16);
    CHECK(strstr(buf, " r-xp ") != NULL, 17);
    printf("/proc/self/maps shows the program, [heap] and [stack]\n");
    CHECK(read_all("/proc/self/status", buf, sizeof buf) > 0, 18);
    char name[32];
    snprintf(name, sizeof name, "Name:\t%.15s\n", base);
    CHECK(strncmp(buf, name, strlen(name)) == 0, 19);
    printf("/proc/self/status starts with the name\n");
    int fd = open("tests/corpus/file_io.c", O_RDONLY);
    char link[64];
    snprintf(link, sizeof link, "/proc/self/fd/%d", fd);
    n = readlink(link, buf, sizeof buf - 1);
    CHECK(n > 0, 20);
    buf[n] = 0;
    CHECK(strstr(buf, "tests/corpus/file_io.c") != NULL, 21);
    close(fd);
    CHECK(readlink(link, buf, sizeof buf) == -1 && errno == ENOENT, 22);
    printf("/proc/self/fd follows the descriptors\n");

    /* A pipe with both ends here: what goes in comes out, then EOF. */
    int fds[2];
    CHECK(pipe(fds) == 0 && fds[0] >= 0 && fds[1] > fds[0], 23);
    CHECK(write(fds[1], "through the pipe", 16) == 16, 24);
    char got[32] = { 0 };
    CHECK(read(fds[0], got, 7) == 7, 25);
    CHECK(read(fds[0], got + 7, sizeof got - 8) == 9, 26);
    printf("read back: %s\n", got);
    struct stat st;
    CHECK(fstat(fds[0], &st) == 0 && S_ISFIFO(st.st_mode), 27);
    CHECK(lseek(fds[0], 0, SEEK_SET) == -1 && errno == ESPIPE, 28);
    CHECK(close(fds[1]) == 0, 29);
    CHECK(read(fds[0], got, 1) == 0, 30);
    CHECK(close(fds[0]) == 0, 31);
    printf("EOF once the writer is closed\n");
    return 0;
}
