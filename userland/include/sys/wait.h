/* sys/wait.h - waiting for children, and reading the status they left. */
#ifndef _TOY_SYS_WAIT_H
#define _TOY_SYS_WAIT_H

#include <sys/types.h>

#define WNOHANG 1

/* The status word: exit code in bits 8-15, or the killing signal in 0-6. */
#define WIFEXITED(s)   (((s) & 0x7f) == 0)
#define WEXITSTATUS(s) (((s) >> 8) & 0xff)
#define WIFSIGNALED(s) (((s) & 0x7f) != 0 && ((s) & 0x7f) != 0x7f)
#define WTERMSIG(s)    ((s) & 0x7f)

pid_t wait(int *status);
pid_t waitpid(pid_t pid, int *status, int options);

#endif
