/* sys/syscall.h - the glibc spelling of <syscall.h>. */
#include <syscall.h>
