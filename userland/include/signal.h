/* signal.h - signal numbers (Linux i386) and kill/raise.  No handlers:
 * every signal a program gets kills it. */
#ifndef _TOY_SIGNAL_H
#define _TOY_SIGNAL_H

#include <sys/types.h>

#define SIGHUP   1
#define SIGINT   2
#define SIGQUIT  3
#define SIGILL   4
#define SIGTRAP  5
#define SIGABRT  6
#define SIGBUS   7
#define SIGFPE   8
#define SIGKILL  9
#define SIGUSR1 10
#define SIGSEGV 11
#define SIGUSR2 12
#define SIGPIPE 13
#define SIGALRM 14
#define SIGTERM 15

int kill(pid_t pid, int sig);
int raise(int sig);

#endif
