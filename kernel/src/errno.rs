//! Linux errno values (asm-generic/errno-base.h, errno.h), as i386 returns them.

use std::fmt;

/// A Linux error number; syscalls return it negated in EAX.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Errno(pub i32);

pub const EPERM: Errno = Errno(1);
pub const ENOENT: Errno = Errno(2);
pub const ESRCH: Errno = Errno(3);
pub const EINTR: Errno = Errno(4);
pub const EIO: Errno = Errno(5);
pub const EBADF: Errno = Errno(9);
pub const EAGAIN: Errno = Errno(11);
pub const ENOMEM: Errno = Errno(12);
pub const EACCES: Errno = Errno(13);
pub const EFAULT: Errno = Errno(14);
pub const EEXIST: Errno = Errno(17);
pub const ENODEV: Errno = Errno(19);
pub const EINVAL: Errno = Errno(22);
pub const ENOTTY: Errno = Errno(25);
pub const ESPIPE: Errno = Errno(29);
pub const EPIPE: Errno = Errno(32);
pub const ENOSYS: Errno = Errno(38);

const NAMES: &[(Errno, &str)] = &[
    (EPERM, "EPERM"),
    (ENOENT, "ENOENT"),
    (ESRCH, "ESRCH"),
    (EINTR, "EINTR"),
    (EIO, "EIO"),
    (EBADF, "EBADF"),
    (EAGAIN, "EAGAIN"),
    (ENOMEM, "ENOMEM"),
    (EACCES, "EACCES"),
    (EFAULT, "EFAULT"),
    (EEXIST, "EEXIST"),
    (ENODEV, "ENODEV"),
    (EINVAL, "EINVAL"),
    (ENOTTY, "ENOTTY"),
    (ESPIPE, "ESPIPE"),
    (EPIPE, "EPIPE"),
    (ENOSYS, "ENOSYS"),
];

const MESSAGES: &[(Errno, &str)] = &[
    (EPERM, "Operation not permitted"),
    (EBADF, "Bad file descriptor"),
    (ENOMEM, "Cannot allocate memory"),
    (EFAULT, "Bad address"),
    (EEXIST, "File exists"),
    (ENODEV, "No such device"),
    (EINVAL, "Invalid argument"),
    (ENOTTY, "Inappropriate ioctl for device"),
    (ESPIPE, "Illegal seek"),
    (EPIPE, "Broken pipe"),
    (ENOSYS, "Function not implemented"),
];

impl Errno {
    pub fn name(self) -> &'static str {
        NAMES
            .iter()
            .find(|(e, _)| *e == self)
            .map_or("E?", |(_, n)| n)
    }
    pub fn message(self) -> &'static str {
        MESSAGES
            .iter()
            .find(|(e, _)| *e == self)
            .map_or("Unknown error", |(_, m)| m)
    }
    /// The value a syscall leaves in EAX.
    pub fn as_return(self) -> u32 {
        (-self.0) as u32
    }
}

impl fmt::Display for Errno {
    /// As strace prints it: `ENOMEM (Cannot allocate memory)`.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.name(), self.message())
    }
}
