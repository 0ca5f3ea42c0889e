//! Linux errno values (asm-generic/errno-base.h, errno.h) with their names
//! and strerror texts, as i386 returns them and strace prints them.

use std::fmt;

/// A Linux error number; syscalls return it negated in EAX.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Errno(pub i32);

pub const EPERM: Errno = Errno(1);
pub const ENOENT: Errno = Errno(2);
pub const ESRCH: Errno = Errno(3);
pub const EINTR: Errno = Errno(4);
pub const EIO: Errno = Errno(5);
pub const ENXIO: Errno = Errno(6);
pub const E2BIG: Errno = Errno(7);
pub const ENOEXEC: Errno = Errno(8);
pub const EBADF: Errno = Errno(9);
pub const ECHILD: Errno = Errno(10);
pub const EAGAIN: Errno = Errno(11);
pub const ENOMEM: Errno = Errno(12);
pub const EACCES: Errno = Errno(13);
pub const EFAULT: Errno = Errno(14);
pub const ENOTBLK: Errno = Errno(15);
pub const EBUSY: Errno = Errno(16);
pub const EEXIST: Errno = Errno(17);
pub const EXDEV: Errno = Errno(18);
pub const ENODEV: Errno = Errno(19);
pub const ENOTDIR: Errno = Errno(20);
pub const EISDIR: Errno = Errno(21);
pub const EINVAL: Errno = Errno(22);
pub const ENFILE: Errno = Errno(23);
pub const EMFILE: Errno = Errno(24);
pub const ENOTTY: Errno = Errno(25);
pub const ETXTBSY: Errno = Errno(26);
pub const EFBIG: Errno = Errno(27);
pub const ENOSPC: Errno = Errno(28);
pub const ESPIPE: Errno = Errno(29);
pub const EROFS: Errno = Errno(30);
pub const EMLINK: Errno = Errno(31);
pub const EPIPE: Errno = Errno(32);
pub const EDOM: Errno = Errno(33);
pub const ERANGE: Errno = Errno(34);
pub const EDEADLK: Errno = Errno(35);
pub const ENAMETOOLONG: Errno = Errno(36);
pub const ENOLCK: Errno = Errno(37);
pub const ENOSYS: Errno = Errno(38);
pub const ENOTEMPTY: Errno = Errno(39);
pub const ELOOP: Errno = Errno(40);
pub const ENOMSG: Errno = Errno(42);
pub const EIDRM: Errno = Errno(43);
pub const ECHRNG: Errno = Errno(44);
pub const EL2NSYNC: Errno = Errno(45);
pub const EL3HLT: Errno = Errno(46);
pub const EL3RST: Errno = Errno(47);
pub const ELNRNG: Errno = Errno(48);
pub const EUNATCH: Errno = Errno(49);
pub const ENOCSI: Errno = Errno(50);
pub const EL2HLT: Errno = Errno(51);
pub const EBADE: Errno = Errno(52);
pub const EBADR: Errno = Errno(53);
pub const EXFULL: Errno = Errno(54);
pub const ENOANO: Errno = Errno(55);
pub const EBADRQC: Errno = Errno(56);
pub const EBADSLT: Errno = Errno(57);
pub const EBFONT: Errno = Errno(59);
pub const ENOSTR: Errno = Errno(60);
pub const ENODATA: Errno = Errno(61);
pub const ETIME: Errno = Errno(62);
pub const ENOSR: Errno = Errno(63);
pub const ENONET: Errno = Errno(64);
pub const ENOPKG: Errno = Errno(65);
pub const EREMOTE: Errno = Errno(66);
pub const ENOLINK: Errno = Errno(67);
pub const EADV: Errno = Errno(68);
pub const ESRMNT: Errno = Errno(69);
pub const ECOMM: Errno = Errno(70);
pub const EPROTO: Errno = Errno(71);
pub const EMULTIHOP: Errno = Errno(72);
pub const EDOTDOT: Errno = Errno(73);
pub const EBADMSG: Errno = Errno(74);
pub const EOVERFLOW: Errno = Errno(75);
pub const ENOTUNIQ: Errno = Errno(76);
pub const EBADFD: Errno = Errno(77);
pub const EREMCHG: Errno = Errno(78);
pub const ELIBACC: Errno = Errno(79);
pub const ELIBBAD: Errno = Errno(80);
pub const ELIBSCN: Errno = Errno(81);
pub const ELIBMAX: Errno = Errno(82);
pub const ELIBEXEC: Errno = Errno(83);
pub const EILSEQ: Errno = Errno(84);
pub const ERESTART: Errno = Errno(85);
pub const ESTRPIPE: Errno = Errno(86);
pub const EUSERS: Errno = Errno(87);
pub const ENOTSOCK: Errno = Errno(88);
pub const EDESTADDRREQ: Errno = Errno(89);
pub const EMSGSIZE: Errno = Errno(90);
pub const EPROTOTYPE: Errno = Errno(91);
pub const ENOPROTOOPT: Errno = Errno(92);
pub const EPROTONOSUPPORT: Errno = Errno(93);
pub const ESOCKTNOSUPPORT: Errno = Errno(94);
pub const EOPNOTSUPP: Errno = Errno(95);
pub const EPFNOSUPPORT: Errno = Errno(96);
pub const EAFNOSUPPORT: Errno = Errno(97);
pub const EADDRINUSE: Errno = Errno(98);
pub const EADDRNOTAVAIL: Errno = Errno(99);
pub const ENETDOWN: Errno = Errno(100);
pub const ENETUNREACH: Errno = Errno(101);
pub const ENETRESET: Errno = Errno(102);
pub const ECONNABORTED: Errno = Errno(103);
pub const ECONNRESET: Errno = Errno(104);
pub const ENOBUFS: Errno = Errno(105);
pub const EISCONN: Errno = Errno(106);
pub const ENOTCONN: Errno = Errno(107);
pub const ESHUTDOWN: Errno = Errno(108);
pub const ETOOMANYREFS: Errno = Errno(109);
pub const ETIMEDOUT: Errno = Errno(110);
pub const ECONNREFUSED: Errno = Errno(111);
pub const EHOSTDOWN: Errno = Errno(112);
pub const EHOSTUNREACH: Errno = Errno(113);
pub const EALREADY: Errno = Errno(114);
pub const EINPROGRESS: Errno = Errno(115);
pub const ESTALE: Errno = Errno(116);
pub const EUCLEAN: Errno = Errno(117);
pub const ENOTNAM: Errno = Errno(118);
pub const ENAVAIL: Errno = Errno(119);
pub const EISNAM: Errno = Errno(120);
pub const EREMOTEIO: Errno = Errno(121);
pub const EDQUOT: Errno = Errno(122);
pub const ENOMEDIUM: Errno = Errno(123);
pub const EMEDIUMTYPE: Errno = Errno(124);
pub const ECANCELED: Errno = Errno(125);
pub const ENOKEY: Errno = Errno(126);
pub const EKEYEXPIRED: Errno = Errno(127);
pub const EKEYREVOKED: Errno = Errno(128);
pub const EKEYREJECTED: Errno = Errno(129);
pub const EOWNERDEAD: Errno = Errno(130);
pub const ENOTRECOVERABLE: Errno = Errno(131);
pub const ERFKILL: Errno = Errno(132);
pub const EWOULDBLOCK: Errno = EAGAIN;
pub const EDEADLOCK: Errno = EDEADLK;
pub const ENOTSUP: Errno = EOPNOTSUPP;

/// Every errno: number, name, message (glibc's strerror).
const TABLE: &[(Errno, &str, &str)] = &[
    (Errno(1), "EPERM", "Operation not permitted"),
    (Errno(2), "ENOENT", "No such file or directory"),
    (Errno(3), "ESRCH", "No such process"),
    (Errno(4), "EINTR", "Interrupted system call"),
    (Errno(5), "EIO", "Input/output error"),
    (Errno(6), "ENXIO", "No such device or address"),
    (Errno(7), "E2BIG", "Argument list too long"),
    (Errno(8), "ENOEXEC", "Exec format error"),
    (Errno(9), "EBADF", "Bad file descriptor"),
    (Errno(10), "ECHILD", "No child processes"),
    (Errno(11), "EAGAIN", "Resource temporarily unavailable"),
    (Errno(12), "ENOMEM", "Cannot allocate memory"),
    (Errno(13), "EACCES", "Permission denied"),
    (Errno(14), "EFAULT", "Bad address"),
    (Errno(15), "ENOTBLK", "Block device required"),
    (Errno(16), "EBUSY", "Device or resource busy"),
    (Errno(17), "EEXIST", "File exists"),
    (Errno(18), "EXDEV", "Invalid cross-device link"),
    (Errno(19), "ENODEV", "No such device"),
    (Errno(20), "ENOTDIR", "Not a directory"),
    (Errno(21), "EISDIR", "Is a directory"),
    (Errno(22), "EINVAL", "Invalid argument"),
    (Errno(23), "ENFILE", "Too many open files in system"),
    (Errno(24), "EMFILE", "Too many open files"),
    (Errno(25), "ENOTTY", "Inappropriate ioctl for device"),
    (Errno(26), "ETXTBSY", "Text file busy"),
    (Errno(27), "EFBIG", "File too large"),
    (Errno(28), "ENOSPC", "No space left on device"),
    (Errno(29), "ESPIPE", "Illegal seek"),
    (Errno(30), "EROFS", "Read-only file system"),
    (Errno(31), "EMLINK", "Too many links"),
    (Errno(32), "EPIPE", "Broken pipe"),
    (Errno(33), "EDOM", "Numerical argument out of domain"),
    (Errno(34), "ERANGE", "Numerical result out of range"),
    (Errno(35), "EDEADLK", "Resource deadlock avoided"),
    (Errno(36), "ENAMETOOLONG", "File name too long"),
    (Errno(37), "ENOLCK", "No locks available"),
    (Errno(38), "ENOSYS", "Function not implemented"),
    (Errno(39), "ENOTEMPTY", "Directory not empty"),
    (Errno(40), "ELOOP", "Too many levels of symbolic links"),
    (Errno(42), "ENOMSG", "No message of desired type"),
    (Errno(43), "EIDRM", "Identifier removed"),
    (Errno(44), "ECHRNG", "Channel number out of range"),
    (Errno(45), "EL2NSYNC", "Level 2 not synchronized"),
    (Errno(46), "EL3HLT", "Level 3 halted"),
    (Errno(47), "EL3RST", "Level 3 reset"),
    (Errno(48), "ELNRNG", "Link number out of range"),
    (Errno(49), "EUNATCH", "Protocol driver not attached"),
    (Errno(50), "ENOCSI", "No CSI structure available"),
    (Errno(51), "EL2HLT", "Level 2 halted"),
    (Errno(52), "EBADE", "Invalid exchange"),
    (Errno(53), "EBADR", "Invalid request descriptor"),
    (Errno(54), "EXFULL", "Exchange full"),
    (Errno(55), "ENOANO", "No anode"),
    (Errno(56), "EBADRQC", "Invalid request code"),
    (Errno(57), "EBADSLT", "Invalid slot"),
    (Errno(59), "EBFONT", "Bad font file format"),
    (Errno(60), "ENOSTR", "Device not a stream"),
    (Errno(61), "ENODATA", "No data available"),
    (Errno(62), "ETIME", "Timer expired"),
    (Errno(63), "ENOSR", "Out of streams resources"),
    (Errno(64), "ENONET", "Machine is not on the network"),
    (Errno(65), "ENOPKG", "Package not installed"),
    (Errno(66), "EREMOTE", "Object is remote"),
    (Errno(67), "ENOLINK", "Link has been severed"),
    (Errno(68), "EADV", "Advertise error"),
    (Errno(69), "ESRMNT", "Srmount error"),
    (Errno(70), "ECOMM", "Communication error on send"),
    (Errno(71), "EPROTO", "Protocol error"),
    (Errno(72), "EMULTIHOP", "Multihop attempted"),
    (Errno(73), "EDOTDOT", "RFS specific error"),
    (Errno(74), "EBADMSG", "Bad message"),
    (
        Errno(75),
        "EOVERFLOW",
        "Value too large for defined data type",
    ),
    (Errno(76), "ENOTUNIQ", "Name not unique on network"),
    (Errno(77), "EBADFD", "File descriptor in bad state"),
    (Errno(78), "EREMCHG", "Remote address changed"),
    (
        Errno(79),
        "ELIBACC",
        "Can not access a needed shared library",
    ),
    (Errno(80), "ELIBBAD", "Accessing a corrupted shared library"),
    (Errno(81), "ELIBSCN", ".lib section in a.out corrupted"),
    (
        Errno(82),
        "ELIBMAX",
        "Attempting to link in too many shared libraries",
    ),
    (
        Errno(83),
        "ELIBEXEC",
        "Cannot exec a shared library directly",
    ),
    (
        Errno(84),
        "EILSEQ",
        "Invalid or incomplete multibyte or wide character",
    ),
    (
        Errno(85),
        "ERESTART",
        "Interrupted system call should be restarted",
    ),
    (Errno(86), "ESTRPIPE", "Streams pipe error"),
    (Errno(87), "EUSERS", "Too many users"),
    (Errno(88), "ENOTSOCK", "Socket operation on non-socket"),
    (Errno(89), "EDESTADDRREQ", "Destination address required"),
    (Errno(90), "EMSGSIZE", "Message too long"),
    (Errno(91), "EPROTOTYPE", "Protocol wrong type for socket"),
    (Errno(92), "ENOPROTOOPT", "Protocol not available"),
    (Errno(93), "EPROTONOSUPPORT", "Protocol not supported"),
    (Errno(94), "ESOCKTNOSUPPORT", "Socket type not supported"),
    (Errno(95), "EOPNOTSUPP", "Operation not supported"),
    (Errno(96), "EPFNOSUPPORT", "Protocol family not supported"),
    (
        Errno(97),
        "EAFNOSUPPORT",
        "Address family not supported by protocol",
    ),
    (Errno(98), "EADDRINUSE", "Address already in use"),
    (
        Errno(99),
        "EADDRNOTAVAIL",
        "Cannot assign requested address",
    ),
    (Errno(100), "ENETDOWN", "Network is down"),
    (Errno(101), "ENETUNREACH", "Network is unreachable"),
    (
        Errno(102),
        "ENETRESET",
        "Network dropped connection on reset",
    ),
    (
        Errno(103),
        "ECONNABORTED",
        "Software caused connection abort",
    ),
    (Errno(104), "ECONNRESET", "Connection reset by peer"),
    (Errno(105), "ENOBUFS", "No buffer space available"),
    (
        Errno(106),
        "EISCONN",
        "Transport endpoint is already connected",
    ),
    (
        Errno(107),
        "ENOTCONN",
        "Transport endpoint is not connected",
    ),
    (
        Errno(108),
        "ESHUTDOWN",
        "Cannot send after transport endpoint shutdown",
    ),
    (
        Errno(109),
        "ETOOMANYREFS",
        "Too many references: cannot splice",
    ),
    (Errno(110), "ETIMEDOUT", "Connection timed out"),
    (Errno(111), "ECONNREFUSED", "Connection refused"),
    (Errno(112), "EHOSTDOWN", "Host is down"),
    (Errno(113), "EHOSTUNREACH", "No route to host"),
    (Errno(114), "EALREADY", "Operation already in progress"),
    (Errno(115), "EINPROGRESS", "Operation now in progress"),
    (Errno(116), "ESTALE", "Stale file handle"),
    (Errno(117), "EUCLEAN", "Structure needs cleaning"),
    (Errno(118), "ENOTNAM", "Not a XENIX named type file"),
    (Errno(119), "ENAVAIL", "No XENIX semaphores available"),
    (Errno(120), "EISNAM", "Is a named type file"),
    (Errno(121), "EREMOTEIO", "Remote I/O error"),
    (Errno(122), "EDQUOT", "Disk quota exceeded"),
    (Errno(123), "ENOMEDIUM", "No medium found"),
    (Errno(124), "EMEDIUMTYPE", "Wrong medium type"),
    (Errno(125), "ECANCELED", "Operation canceled"),
    (Errno(126), "ENOKEY", "Required key not available"),
    (Errno(127), "EKEYEXPIRED", "Key has expired"),
    (Errno(128), "EKEYREVOKED", "Key has been revoked"),
    (Errno(129), "EKEYREJECTED", "Key was rejected by service"),
    (Errno(130), "EOWNERDEAD", "Owner died"),
    (Errno(131), "ENOTRECOVERABLE", "State not recoverable"),
    (
        Errno(132),
        "ERFKILL",
        "Operation not possible due to RF-kill",
    ),
];

impl Errno {
    fn entry(self) -> Option<&'static (Errno, &'static str, &'static str)> {
        TABLE.iter().find(|(e, _, _)| *e == self)
    }
    pub fn name(self) -> &'static str {
        self.entry().map_or("E?", |(_, n, _)| n)
    }
    pub fn message(self) -> &'static str {
        self.entry().map_or("Unknown error", |(_, _, m)| m)
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

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_and_messages_read_as_strace_prints_them() {
        assert_eq!(ENOMEM.to_string(), "ENOMEM (Cannot allocate memory)");
        assert_eq!(EOVERFLOW.0, 75);
        assert_eq!(ENOSYS.name(), "ENOSYS");
        assert_eq!(EAGAIN, EWOULDBLOCK);
        assert_eq!(Errno(4095).name(), "E?");
    }
}
