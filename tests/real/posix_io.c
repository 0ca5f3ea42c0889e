/* POSIX file calls below stdio. argv[1] is a writable empty directory,
 * argv[2] a repository file. open/creat/write/pwrite/pread/lseek/fstat/stat/
 * lstat/access/ftruncate, dup/dup2/fcntl, a pipe within one process,
 * mkdir/opendir/readdir (names sorted before printing)/rmdir/unlink,
 * readlink on a symlink, and the errors EEXIST, ENOENT, EBADF, ENOTDIR.
 * Exit codes: 1-3 open/write/read, 4 lseek, 5 stat, 6 dup, 7 pipe,
 * 8 directories, 9 symlink, 10 errno checks, 11 truncate, 12 usage. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(int argc, char **argv)
{
    if (argc < 3)
        return 12;
    char p[4096], q[4096], sub[4096], buf[512];
    snprintf(p, sizeof p, "%s/data.bin", argv[1]);
    snprintf(q, sizeof q, "%s/link", argv[1]);
    snprintf(sub, sizeof sub, "%s/subdir", argv[1]);
    int fd = open(p, O_CREAT | O_EXCL | O_RDWR, 0644);
    if (fd < 0)
        return 1;
    for (int i = 0; i < 64; i++) {
        char rec[16];
        int n = snprintf(rec, sizeof rec, "record %02d\n", i);
        if (write(fd, rec, n) != n)
            return 2;
    }
    if (pwrite(fd, "RECORD", 6, 10) != 6)
        return 2;
    if (lseek(fd, 0, SEEK_CUR) != 640 || lseek(fd, -10, SEEK_END) != 630)
        return 4;
    ssize_t n = read(fd, buf, sizeof buf);
    if (n != 10 || memcmp(buf, "record 63\n", 10))
        return 3;
    if (pread(fd, buf, 10, 10) != 10 || memcmp(buf, "RECORD 01\n", 10))
        return 3;
    struct stat st, st2;
    if (fstat(fd, &st) || st.st_size != 640 || !S_ISREG(st.st_mode) || (st.st_mode & 0777) != 0644)
        return 5;
    if (stat(p, &st2) || st2.st_ino != st.st_ino || st2.st_size != 640)
        return 5;
    printf("file: %lld bytes, mode %o, nlink %d\n", (long long)st.st_size, st.st_mode & 0777, (int)st.st_nlink);
    int fd2 = dup(fd);
    if (fd2 < 0 || lseek(fd2, 0, SEEK_SET) != 0 || lseek(fd, 0, SEEK_CUR) != 0)
        return 6;
    if (dup2(fd, 20) != 20 || fcntl(20, F_GETFD) != 0 || fcntl(fd, F_SETFD, FD_CLOEXEC) || fcntl(fd, F_GETFD) != FD_CLOEXEC)
        return 6;
    close(20);
    close(fd2);
    if (ftruncate(fd, 100) || fstat(fd, &st) || st.st_size != 100)
        return 11;
    close(fd);
    if (close(fd) != -1 || errno != EBADF)
        return 10;
    int pfd[2];
    if (pipe(pfd))
        return 7;
    if (write(pfd[1], "through the pipe", 16) != 16)
        return 7;
    close(pfd[1]);
    n = read(pfd[0], buf, sizeof buf);
    if (n != 16 || read(pfd[0], buf + 16, 10) != 0)
        return 7;
    close(pfd[0]);
    printf("pipe: %.*s\n", (int)n, buf);
    if (mkdir(sub, 0755) || (mkdir(sub, 0755) != -1 || errno != EEXIST))
        return 8;
    for (int i = 0; i < 5; i++) {
        char f[4200];
        snprintf(f, sizeof f, "%s/f%d", sub, (i * 3) % 5);
        close(open(f, O_CREAT | O_WRONLY, 0600));
    }
    DIR *d = opendir(sub);
    if (!d)
        return 8;
    char *names[16];
    int nn = 0;
    struct dirent *e;
    while ((e = readdir(d)) && nn < 16)
        names[nn++] = strdup(e->d_name);
    closedir(d);
    qsort(names, nn, sizeof names[0], cmp);
    printf("subdir:");
    for (int i = 0; i < nn; i++)
        printf(" %s", names[i]);
    printf("\n");
    if (nn != 7)
        return 8;
    for (int i = 0; i < 5; i++) {
        char f[4200];
        snprintf(f, sizeof f, "%s/f%d", sub, i);
        if (unlink(f))
            return 8;
    }
    if (rmdir(sub))
        return 8;
    if (symlink("data.bin", q) || lstat(q, &st) || !S_ISLNK(st.st_mode))
        return 9;
    n = readlink(q, buf, sizeof buf);
    if (n != 8 || memcmp(buf, "data.bin", 8))
        return 9;
    printf("symlink -> %.*s\n", (int)n, buf);
    if (open(argv[2], O_RDONLY | O_DIRECTORY) != -1 || errno != ENOTDIR)
        return 10;
    snprintf(buf, sizeof buf, "%s/nope", argv[1]);
    if (open(buf, O_RDONLY) != -1 || errno != ENOENT || access(buf, F_OK) != -1)
        return 10;
    if (access(argv[2], R_OK))
        return 10;
    fd = open(argv[2], O_RDONLY);
    n = read(fd, buf, sizeof buf);
    close(fd);
    printf("%s: first line %.*s", argv[2], (int)(strchr(buf, '\n') - buf + 1), buf);
    unlink(q);
    unlink(p);
    return 0;
}
