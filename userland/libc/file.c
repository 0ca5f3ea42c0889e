/* file.c - files and directories: thin wrappers on the Linux i386 calls
 * (open, stat64, getdents64, ...), with glibc's errno convention. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <syscall.h>
#include <unistd.h>

#define NR_open         5
#define NR_unlink      10
#define NR_chdir       12
#define NR_lseek       19
#define NR_access      33
#define NR_rename      38
#define NR_mkdir       39
#define NR_rmdir       40
#define NR_dup         41
#define NR_pipe        42
#define NR_umask       60
#define NR_dup2        63
#define NR_readlink    85
#define NR_ftruncate   93
#define NR_getcwd     183
#define NR_stat64     195
#define NR_lstat64    196
#define NR_fstat64    197
#define NR_getdents64 220
#define NR_fcntl64    221
#define NR_openat     295
#define NR_ioctl       54

int open(const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    int mode = (flags & O_CREAT) ? va_arg(ap, int) : 0;
    va_end(ap);
    return (int)syscall(NR_open, path, flags | O_LARGEFILE, mode);
}

int openat(int dirfd, const char *path, int flags, ...)
{
    va_list ap;
    va_start(ap, flags);
    int mode = (flags & O_CREAT) ? va_arg(ap, int) : 0;
    va_end(ap);
    return (int)syscall(NR_openat, dirfd, path, flags | O_LARGEFILE, mode);
}

int fcntl(int fd, int cmd, ...)
{
    va_list ap;
    va_start(ap, cmd);
    long arg = va_arg(ap, long);
    va_end(ap);
    return (int)syscall(NR_fcntl64, fd, cmd, arg);
}

off_t lseek(int fd, off_t offset, int whence) { return (off_t)syscall(NR_lseek, fd, offset, whence); }
int dup(int fd) { return (int)syscall(NR_dup, fd); }
int dup2(int oldfd, int newfd) { return (int)syscall(NR_dup2, oldfd, newfd); }
int pipe(int fds[2]) { return (int)syscall(NR_pipe, fds); }
int unlink(const char *path) { return (int)syscall(NR_unlink, path); }
int rmdir(const char *path) { return (int)syscall(NR_rmdir, path); }
int chdir(const char *path) { return (int)syscall(NR_chdir, path); }
int access(const char *path, int mode) { return (int)syscall(NR_access, path, mode); }
int rename(const char *from, const char *to) { return (int)syscall(NR_rename, from, to); }
int mkdir(const char *path, mode_t mode) { return (int)syscall(NR_mkdir, path, mode); }
mode_t umask(mode_t mask) { return (mode_t)syscall(NR_umask, mask); }
int ftruncate(int fd, off_t length) { return (int)syscall(NR_ftruncate, fd, length); }
int stat(const char *path, struct stat *st) { return (int)syscall(NR_stat64, path, st); }
int lstat(const char *path, struct stat *st) { return (int)syscall(NR_lstat64, path, st); }
int fstat(int fd, struct stat *st) { return (int)syscall(NR_fstat64, fd, st); }

ssize_t readlink(const char *path, char *buf, size_t size)
{
    return (ssize_t)syscall(NR_readlink, path, buf, size);
}

char *getcwd(char *buf, size_t size)
{
    return syscall(NR_getcwd, buf, size) < 0 ? NULL : buf;
}

/* TCGETS answers only on a terminal. */
int isatty(int fd)
{
    char termios[60];
    return syscall(NR_ioctl, fd, 0x5401, termios) == 0;
}

/* A directory stream: its descriptor and a buffer of getdents64 records. */
struct __toy_dir {
    int fd;
    int pos, len;
    char buf[2048];
    struct dirent ent;
};

DIR *opendir(const char *path)
{
    int fd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (fd < 0)
        return NULL;
    DIR *d = malloc(sizeof *d);
    if (!d) {
        close(fd);
        return NULL;
    }
    d->fd = fd;
    d->pos = d->len = 0;
    return d;
}

struct dirent *readdir(DIR *d)
{
    if (d->pos >= d->len) {
        long n = syscall(NR_getdents64, d->fd, d->buf, sizeof d->buf);
        if (n <= 0)
            return NULL;
        d->len = (int)n;
        d->pos = 0;
    }
    /* linux_dirent64: ino (8), off (8), reclen (2), type (1), name. */
    char *r = d->buf + d->pos;
    unsigned short reclen;
    memcpy(&d->ent.d_ino, r, 8);
    memcpy(&d->ent.d_off, r + 8, 8);
    memcpy(&reclen, r + 16, 2);
    d->ent.d_reclen = reclen;
    d->ent.d_type = (unsigned char)r[18];
    strncpy(d->ent.d_name, r + 19, sizeof d->ent.d_name - 1);
    d->ent.d_name[sizeof d->ent.d_name - 1] = 0;
    d->pos += reclen;
    return &d->ent;
}

int closedir(DIR *d)
{
    int r = close(d->fd);
    free(d);
    return r;
}
