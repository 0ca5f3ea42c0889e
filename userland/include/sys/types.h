/* sys/types.h - the POSIX scalar types, i386 sizes. */
#ifndef _TOY_SYS_TYPES_H
#define _TOY_SYS_TYPES_H

#include <stddef.h>
#include <stdint.h>

typedef int ssize_t;
typedef long off_t;
typedef int pid_t;
typedef unsigned int uid_t;
typedef unsigned int gid_t;
typedef unsigned int mode_t;

#endif
