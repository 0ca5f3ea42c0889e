//! read, write, writev on the three standard descriptors.

use super::outcome::Outcome;
use crate::errno::{EBADF, EFAULT, EINVAL, EIO, ENOTTY, ESPIPE};
use crate::kernel::Kernel;
use crate::process::Process;
use crate::signal::Death;
use crate::uaccess::CopyError;
use std::io::{ErrorKind, Write};

/// Linux's UIO_MAXIOV.
const IOV_MAX: u32 = 1024;
/// Linux's MAX_RW_COUNT: one read or write moves at most this much.
const MAX_RW_COUNT: u32 = i32::MAX as u32 & !0xfff;
/// Copy at most this much per step, so a huge count does not mean a huge host buffer.
const CHUNK: u32 = 64 << 10;

/// stdout and stderr, while open.
fn writable(p: &Process, fd: u32) -> bool {
    (fd == 1 || fd == 2) && p.fds[fd as usize]
}

/// Is `fd` one of the standard streams, still open?
pub(super) fn is_open(p: &Process, fd: u32) -> bool {
    fd < 3 && p.fds[fd as usize]
}

impl Kernel {
    /// close(2): the standard streams can be closed once; nothing else is open.
    pub(super) fn sys_close(&mut self, p: &mut Process, fd: u32) -> Outcome {
        if !is_open(p, fd) {
            return Outcome::Err(EBADF);
        }
        p.fds[fd as usize] = false;
        Outcome::Value(0)
    }

    /// ioctl(2): the streams are never terminals here (ENOTTY), as when piped.
    pub(super) fn sys_ioctl(&mut self, p: &mut Process, fd: u32) -> Outcome {
        Outcome::Err(if is_open(p, fd) { ENOTTY } else { EBADF })
    }

    /// lseek/_llseek: the streams are not seekable (ESPIPE), as pipes are not.
    pub(super) fn sys_lseek(&mut self, p: &mut Process, fd: u32) -> Outcome {
        Outcome::Err(if is_open(p, fd) { ESPIPE } else { EBADF })
    }

    pub(super) fn sys_read(&mut self, p: &mut Process, fd: u32, buf: u32, count: u32) -> Outcome {
        if fd != 0 || !p.fds[0] {
            return Outcome::Err(EBADF);
        }
        if count == 0 {
            return Outcome::Value(0);
        }
        // access_ok on the whole count, as i386 Linux checks it.
        if !crate::layout::in_user_space(buf, count) {
            return Outcome::Err(EFAULT);
        }
        // Find the room before taking input, so a bad buffer leaves the
        // input unread (as a file or pipe keeps it) and a buffer that runs
        // into a hole gets a short read, as from a regular file.
        let room = match self.writable_len(p, buf, count.min(CHUNK)) {
            Ok(0) => return Outcome::Err(EFAULT),
            Ok(n) => n,
            Err(e) => return self.copy_failed(p, e),
        };
        let mut data = vec![0u8; room as usize];
        let n = loop {
            match self.console.stdin.read(&mut data) {
                Ok(n) => break n,
                Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                Err(_) => return Outcome::Err(EIO),
            }
        };
        match self.copy_to_user(p, buf, &data[..n]) {
            Ok(()) => Outcome::Value(n as u32),
            Err(e) => self.copy_failed(p, e),
        }
    }

    pub(super) fn sys_write(&mut self, p: &mut Process, fd: u32, buf: u32, count: u32) -> Outcome {
        if !writable(p, fd) {
            return Outcome::Err(EBADF);
        }
        if count == 0 {
            return Outcome::Value(0);
        }
        if !crate::layout::in_user_space(buf, count) {
            return Outcome::Err(EFAULT);
        }
        let mut written = 0u32;
        let mut data = Vec::new();
        while written < count {
            let n = (count - written).min(CHUNK);
            let copied = self.copy_from_user(p, buf + written, n, &mut data);
            // Linux writes what it could copy before a bad page, then stops.
            let ok = match copied {
                Ok(()) => true,
                Err(CopyError::Fault { done }) => {
                    data.truncate(done as usize);
                    false
                }
                Err(e) => return self.copy_failed(p, e),
            };
            if let Err(o) = self.host_write(fd, &data) {
                return if written > 0 {
                    Outcome::Value(written)
                } else {
                    o
                };
            }
            written += data.len() as u32;
            if !ok {
                return if written > 0 {
                    Outcome::Value(written)
                } else {
                    Outcome::Err(EFAULT)
                };
            }
        }
        Outcome::Value(written)
    }

    fn host_write(&mut self, fd: u32, data: &[u8]) -> Result<(), Outcome> {
        let out: &mut dyn Write = if fd == 1 {
            &mut self.console.stdout
        } else {
            &mut self.console.stderr
        };
        match out.write_all(data).and_then(|_| out.flush()) {
            Ok(()) => Ok(()),
            // No reader: Linux raises SIGPIPE, whose default action kills.
            Err(e) if e.kind() == ErrorKind::BrokenPipe => Err(Outcome::Kill(Death::BrokenPipe)),
            Err(_) => Err(Outcome::Err(EIO)),
        }
    }

    pub(super) fn sys_writev(
        &mut self,
        p: &mut Process,
        fd: u32,
        iov: u32,
        iovcnt: u32,
    ) -> Outcome {
        if fd != 1 && fd != 2 {
            return Outcome::Err(EBADF);
        }
        if iovcnt as i32 <= 0 {
            return if iovcnt == 0 {
                Outcome::Value(0)
            } else {
                Outcome::Err(EINVAL)
            };
        }
        if iovcnt > IOV_MAX {
            return Outcome::Err(EINVAL);
        }
        let mut raw = Vec::new();
        if let Err(e) = self.copy_from_user(p, iov, iovcnt * 8, &mut raw) {
            return self.copy_failed(p, e);
        }
        let word = |i: usize| u32::from_le_bytes([raw[i], raw[i + 1], raw[i + 2], raw[i + 3]]);
        let vecs: Vec<(u32, u32)> = (0..iovcnt as usize)
            .map(|i| (word(8 * i), word(8 * i + 4)))
            .collect();
        // As __import_iovec: a negative length is EINVAL, a vector outside
        // user space EFAULT, and the total is clipped to MAX_RW_COUNT.
        if vecs.iter().any(|&(_, len)| (len as i32) < 0) {
            return Outcome::Err(EINVAL);
        }
        if vecs
            .iter()
            .any(|&(base, len)| !crate::layout::in_user_space(base, len))
        {
            return Outcome::Err(EFAULT);
        }
        let mut left = MAX_RW_COUNT;
        let vecs: Vec<(u32, u32)> = vecs
            .into_iter()
            .map(|(base, len)| {
                let len = len.min(left);
                left -= len;
                (base, len)
            })
            .collect();
        let mut done = 0u32;
        for (base, len) in vecs {
            if len == 0 {
                continue;
            }
            match self.sys_write(p, fd, base, len) {
                Outcome::Value(n) => {
                    done += n;
                    if n < len {
                        break;
                    }
                }
                other if done == 0 => return other,
                Outcome::Kill(d) => return Outcome::Kill(d),
                _ => break,
            }
        }
        Outcome::Value(done)
    }
}
