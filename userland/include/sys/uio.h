/* sys/uio.h - scatter/gather output. */
#ifndef _TOY_SYS_UIO_H
#define _TOY_SYS_UIO_H

#include <sys/types.h>

struct iovec {
    void *iov_base;
    size_t iov_len;
};

ssize_t writev(int fd, const struct iovec *iov, int iovcnt);
ssize_t readv(int fd, const struct iovec *iov, int iovcnt);

#endif
