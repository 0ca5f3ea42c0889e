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
pid_t gettid(void);
int pause(void);
int brk(void *addr);          /* 0 on success, -1 + ENOMEM on failure (glibc style) */
void *sbrk(intptr_t increment); /* old break, or (void *)-1 + ENOMEM */
__attribute__((noreturn)) void _exit(int status);
long syscall(long number, ...);
int getpagesize(void);

#endif
