/* toy/malloc.h - what the toyemu libc's malloc tells about itself. */
#ifndef TOY_MALLOC_H
#define TOY_MALLOC_H

/* Writes malloc's own walk of its heap to fd: one line per chunk in address
 * order (address, size, and for a chunk in use the requested size and the
 * caller; for a free one its list links), then the mmap'd chunks' count.
 * The format is in libc/malloc.c.  It allocates nothing. */
void malloc_dump(int fd);

/* "bins", "first", "best" or "next": the policy MALLOC_POLICY chose (the
 * first malloc reads it; before that, the one it would choose). */
const char *malloc_policy(void);

#endif
