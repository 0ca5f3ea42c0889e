/* sys/auxv.h - the auxiliary vector the kernel put above envp.
 * __auxv points at its first (type, value) pair; crt0 sets it. */
#ifndef _TOY_SYS_AUXV_H
#define _TOY_SYS_AUXV_H

#include <elf.h>

extern unsigned long *__auxv;
unsigned long getauxval(unsigned long type);   /* 0 + ENOENT if absent */

#endif
