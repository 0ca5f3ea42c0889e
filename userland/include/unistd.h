/* unistd.h - the POSIX system call wrappers the programs use. */
#ifndef _TOY_UNISTD_H
#define _TOY_UNISTD_H

#include <sys/types.h>

#define STDIN_FILENO  0
#define STDOUT_FILENO 1
#define STDERR_FILENO 2

ssize_t read(int fd, void *buf, size_t count);
ssize_t write(int fd, const void *buf, size_t count);
int close(int fd);
pid_t getpid(void);
pid_t getppid(void);
pid_t fork(void);             /* the child gets 0, the parent the child's pid */
pid_t gettid(void);
int pause(void);
int brk(void *addr);          /* 0 on success, -1 + ENOMEM on failure (glibc style) */
void *sbrk(intptr_t increment); /* old break, or (void *)-1 + ENOMEM */
__attribute__((noreturn)) void _exit(int status);
long syscall(long number, ...);
int getpagesize(void);

#define R_OK 4
#define W_OK 2
#define X_OK 1
#define F_OK 0
#define SEEK_SET 0
#define SEEK_CUR 1
#define SEEK_END 2

off_t lseek(int fd, off_t offset, int whence);
int dup(int fd);
int dup2(int oldfd, int newfd);
int pipe(int fds[2]);
int unlink(const char *path);
int rmdir(const char *path);
int chdir(const char *path);
char *getcwd(char *buf, size_t size);
int access(const char *path, int mode);
ssize_t readlink(const char *path, char *buf, size_t size);
int ftruncate(int fd, off_t length);
int isatty(int fd);

#endif
