//! How strace prints a syscall's arguments: each argument has a kind
//! ([`Arg`]), and the kind says how to show it — a number, a pointer, a
//! quoted string read from the guest, a flag word by name. Reading guest
//! memory for this never changes it (`Kernel::peek_user`).

use super::outcome::Outcome;
use super::show::{flag_names, hex_or_zero, one_of, ptr, SHOWN};
pub use super::structs::Struct;
use crate::kernel::Kernel;
use crate::process::Process;
use crate::signal::Signal;

/// How one argument is shown.
#[derive(Clone, Copy, Debug)]
pub enum Arg {
    /// Signed decimal.
    Int,
    /// Unsigned decimal.
    Uint,
    Hex,
    /// `NULL` or hex.
    Ptr,
    /// A directory descriptor: `AT_FDCWD` or decimal.
    DirFd,
    /// A NUL-terminated string in guest memory.
    Path,
    /// A buffer the call reads, its length in argument `n`.
    InBuf(u8),
    /// A buffer the call fills, as long as the result says.
    OutBuf,
    /// The same, every byte in hex (strace's choice for random bytes).
    OutHexBuf,
    Prot,
    MapFlags,
    OpenFlags,
    /// A file mode, in octal.
    Mode,
    /// open's mode: shown only when the flags (argument `n`) create a file.
    CreateMode(u8),
    /// A `struct stat64` the call fills: its summary after success.
    StatOut,
    Whence,
    Signal,
    AtFlags,
    AccessMode,
    Clock,
    Fcntl,
    Ioctl,
    Madvise,
    Prctl,
    Rlimit,
    /// A struct the call reads.
    In(Struct),
    /// A struct the call fills: decoded after a success.
    Out(Struct),
    /// statx's flags: the AT_ flags and the sync type.
    StatxFlags,
    StatxMask,
    GetrandomFlags,
    /// An iovec array, its length in argument `n`, written from.
    IovIn(u8),
    /// An iovec array, its length in argument `n`, read into.
    IovOut(u8),
}

/// How a whole call is shown: by its arguments' kinds, or by a function.
#[derive(Clone, Copy)]
pub enum Shape {
    Args(&'static [Arg]),
    Custom(fn(&Kernel, &Process, &[u32; 6], &Outcome) -> String),
}

const PROT_NAMES: &[(u32, &str)] = &[(1, "PROT_READ"), (2, "PROT_WRITE"), (4, "PROT_EXEC")];
const MAP_NAMES: &[(u32, &str)] = &[
    (0x10, "MAP_FIXED"),
    (0x20, "MAP_ANONYMOUS"),
    (0x100, "MAP_GROWSDOWN"),
    (0x800, "MAP_DENYWRITE"),
    (0x1000, "MAP_EXECUTABLE"),
    (0x2000, "MAP_LOCKED"),
    (0x4000, "MAP_NORESERVE"),
    (0x8000, "MAP_POPULATE"),
    (0x10000, "MAP_NONBLOCK"),
    (0x20000, "MAP_STACK"),
    (0x40000, "MAP_HUGETLB"),
    (0x100000, "MAP_FIXED_NOREPLACE"),
];
const OPEN_NAMES: &[(u32, &str)] = &[
    (0o20200000, "O_TMPFILE"),
    (0o100, "O_CREAT"),
    (0o200, "O_EXCL"),
    (0o400, "O_NOCTTY"),
    (0o1000, "O_TRUNC"),
    (0o2000, "O_APPEND"),
    (0o4000, "O_NONBLOCK"),
    (0o10000, "O_DSYNC"),
    (0o20000, "O_ASYNC"),
    (0o40000, "O_DIRECT"),
    (0o100000, "O_LARGEFILE"),
    (0o200000, "O_DIRECTORY"),
    (0o400000, "O_NOFOLLOW"),
    (0o1000000, "O_NOATIME"),
    (0o2000000, "O_CLOEXEC"),
    (0o10000000, "O_PATH"),
];
const AT_NAMES: &[(u32, &str)] = &[
    (0x100, "AT_SYMLINK_NOFOLLOW"),
    (0x200, "AT_REMOVEDIR"),
    (0x400, "AT_SYMLINK_FOLLOW"),
    (0x800, "AT_NO_AUTOMOUNT"),
    (0x1000, "AT_EMPTY_PATH"),
];
const AT_STATX_SYNC_TYPE: u32 = 0x6000;
const GRND_NAMES: &[(u32, &str)] = &[
    (1, "GRND_NONBLOCK"),
    (2, "GRND_RANDOM"),
    (4, "GRND_INSECURE"),
];
const ACCESS_NAMES: &[(u32, &str)] = &[(4, "R_OK"), (2, "W_OK"), (1, "X_OK")];
const WHENCE: &[(u32, &str)] = &[
    (0, "SEEK_SET"),
    (1, "SEEK_CUR"),
    (2, "SEEK_END"),
    (3, "SEEK_DATA"),
    (4, "SEEK_HOLE"),
];
const CLOCKS: &[(u32, &str)] = &[
    (0, "CLOCK_REALTIME"),
    (1, "CLOCK_MONOTONIC"),
    (2, "CLOCK_PROCESS_CPUTIME_ID"),
    (3, "CLOCK_THREAD_CPUTIME_ID"),
    (4, "CLOCK_MONOTONIC_RAW"),
    (5, "CLOCK_REALTIME_COARSE"),
    (6, "CLOCK_MONOTONIC_COARSE"),
    (7, "CLOCK_BOOTTIME"),
];
const FCNTL: &[(u32, &str)] = &[
    (0, "F_DUPFD"),
    (1, "F_GETFD"),
    (2, "F_SETFD"),
    (3, "F_GETFL"),
    (4, "F_SETFL"),
    (5, "F_GETLK"),
    (6, "F_SETLK"),
    (7, "F_SETLKW"),
    (1030, "F_DUPFD_CLOEXEC"),
];
const IOCTLS: &[(u32, &str)] = &[
    (0x5401, "TCGETS"),
    (0x5402, "TCSETS"),
    (0x5403, "TCSETSW"),
    (0x540f, "TIOCGPGRP"),
    (0x5413, "TIOCGWINSZ"),
    (0x541b, "FIONREAD"),
];
const MADVICE: &[(u32, &str)] = &[
    (0, "MADV_NORMAL"),
    (1, "MADV_RANDOM"),
    (2, "MADV_SEQUENTIAL"),
    (3, "MADV_WILLNEED"),
    (4, "MADV_DONTNEED"),
    (8, "MADV_FREE"),
    (22, "MADV_POPULATE_READ"),
    (23, "MADV_POPULATE_WRITE"),
];
const PRCTL: &[(u32, &str)] = &[
    (4, "PR_SET_DUMPABLE"),
    (3, "PR_GET_DUMPABLE"),
    (15, "PR_SET_NAME"),
    (16, "PR_GET_NAME"),
    (38, "PR_SET_NO_NEW_PRIVS"),
    (22, "PR_SET_SECCOMP"),
];
const RLIMITS: &[(u32, &str)] = &[
    (0, "RLIMIT_CPU"),
    (1, "RLIMIT_FSIZE"),
    (2, "RLIMIT_DATA"),
    (3, "RLIMIT_STACK"),
    (4, "RLIMIT_CORE"),
    (5, "RLIMIT_RSS"),
    (6, "RLIMIT_NPROC"),
    (7, "RLIMIT_NOFILE"),
    (8, "RLIMIT_MEMLOCK"),
    (9, "RLIMIT_AS"),
];

pub fn whence_text(v: u32) -> String {
    one_of(v, WHENCE)
}

pub fn prot_text(v: u32) -> String {
    flag_names(v, PROT_NAMES, "PROT_NONE")
}

pub fn map_text(v: u32) -> String {
    let kind = match v & 0xf {
        1 => "MAP_SHARED".to_string(),
        2 => "MAP_PRIVATE".to_string(),
        3 => "MAP_SHARED_VALIDATE".to_string(),
        t => format!("{t:#x}"),
    };
    let rest = v & !0xf;
    if rest == 0 {
        kind
    } else {
        format!("{kind}|{}", flag_names(rest, MAP_NAMES, ""))
    }
}

pub fn open_text(v: u32) -> String {
    let mode = ["O_RDONLY", "O_WRONLY", "O_RDWR", "O_ACCMODE"][(v & 3) as usize];
    match v & !3 {
        0 => mode.to_string(),
        rest => format!("{mode}|{}", flag_names(rest, OPEN_NAMES, "")),
    }
}

/// A mode as strace prints it: `0644`, `000`.
fn mode_text(v: u32) -> String {
    format!("0{v:02o}")
}

const O_CREAT: u32 = 0o100;
const O_TMPFILE: u32 = 0o20200000;

impl Kernel {
    /// Argument `i` of a call, shown as `kind` says.
    pub(crate) fn arg_text(
        &self,
        p: &Process,
        kind: Arg,
        a: &[u32; 6],
        i: usize,
        out: &Outcome,
    ) -> String {
        let v = a[i];
        match kind {
            Arg::Int => (v as i32).to_string(),
            Arg::Uint => v.to_string(),
            // As C's %#x: 0 has no prefix.
            Arg::Hex => hex_or_zero(v),
            Arg::Ptr => ptr(v),
            Arg::DirFd if v as i32 == -100 => "AT_FDCWD".to_string(),
            Arg::DirFd => (v as i32).to_string(),
            Arg::Path => self.string_text(p, v),
            Arg::InBuf(n) => self.buffer_text(p, v, a[n as usize]),
            Arg::OutBuf => match out {
                Outcome::Value(n) => self.buffer_text(p, v, *n),
                _ => ptr(v),
            },
            Arg::OutHexBuf => match out {
                Outcome::Value(n) => match self.peek_user_bytes(p, v, (*n).min(SHOWN)) {
                    Some(b) => {
                        let hex: String = b.iter().map(|x| format!("\\x{x:02x}")).collect();
                        format!("\"{hex}\"{}", if *n > SHOWN { "..." } else { "" })
                    }
                    None => ptr(v),
                },
                _ => ptr(v),
            },
            Arg::Prot => prot_text(v),
            Arg::MapFlags => map_text(v),
            Arg::OpenFlags => open_text(v),
            Arg::Mode => mode_text(v),
            Arg::CreateMode(_) => mode_text(v),
            Arg::StatOut => match (out, self.peek_user_bytes(p, v, 96)) {
                (Outcome::Value(0), Some(b)) => {
                    let word = |at: usize| u32::from_le_bytes(b[at..at + 4].try_into().expect("4"));
                    let size = u64::from_le_bytes(b[44..52].try_into().expect("8"));
                    let st = crate::fs::stat::Stat {
                        mode: word(16),
                        size,
                        rdev: u64::from_le_bytes(b[32..40].try_into().expect("8")),
                        ..Default::default()
                    };
                    st.summary()
                }
                _ => ptr(v),
            },
            Arg::Whence => whence_text(v),
            Arg::Signal => Signal(v).to_string(),
            Arg::AtFlags => flag_names(v, AT_NAMES, "0"),
            Arg::AccessMode => flag_names(v, ACCESS_NAMES, "F_OK"),
            Arg::Clock => one_of(v, CLOCKS),
            Arg::Fcntl => one_of(v, FCNTL),
            Arg::Ioctl => IOCTLS
                .iter()
                .find(|(n, _)| *n == v)
                .map_or_else(|| format!("{v:#x}"), |(_, s)| (*s).to_string()),
            Arg::Madvise => one_of(v, MADVICE),
            Arg::Prctl => one_of(v, PRCTL),
            Arg::Rlimit => one_of(v, RLIMITS),
            Arg::In(st) => self.struct_in_text(p, st, v),
            Arg::Out(st) => self.struct_out_text(p, st, v, out),
            Arg::StatxFlags => {
                let sync = match v & AT_STATX_SYNC_TYPE {
                    0 => "AT_STATX_SYNC_AS_STAT",
                    0x2000 => "AT_STATX_FORCE_SYNC",
                    0x4000 => "AT_STATX_DONT_SYNC",
                    _ => "AT_STATX_SYNC_TYPE",
                };
                match v & !AT_STATX_SYNC_TYPE {
                    0 => sync.to_string(),
                    rest => format!("{sync}|{}", flag_names(rest, AT_NAMES, "")),
                }
            }
            Arg::StatxMask => super::structs::statx_mask_text(v),
            Arg::GetrandomFlags => flag_names(v, GRND_NAMES, "0"),
            Arg::IovIn(n) => self.iovec_text(p, v, a[n as usize], None),
            Arg::IovOut(n) => match out {
                Outcome::Value(got) => self.iovec_text(p, v, a[n as usize], Some(*got)),
                _ => ptr(v),
            },
        }
    }

    /// old_mmap's one argument, a pointer to the six words, shown as strace does.
    pub(crate) fn old_mmap_text(&self, p: &Process, a: &[u32; 6], _: &Outcome) -> String {
        match self.peek_user_bytes(p, a[0], 24) {
            Some(b) => {
                let w = |i: usize| {
                    u32::from_le_bytes([b[4 * i], b[4 * i + 1], b[4 * i + 2], b[4 * i + 3]])
                };
                format!(
                    "{{addr={}, len={}, prot={}, flags={}, fd={}, offset={}}}",
                    ptr(w(0)),
                    w(1),
                    prot_text(w(2)),
                    map_text(w(3)),
                    w(4) as i32,
                    hex_or_zero(w(5))
                )
            }
            None => ptr(a[0]),
        }
    }

    /// _llseek(fd, offset_high, offset_low, result, whence) as strace shows
    /// it: the offset as one number, the result in brackets.
    pub(crate) fn llseek_text(&self, p: &Process, a: &[u32; 6], out: &Outcome) -> String {
        let offset = ((a[1] as u64) << 32 | a[2] as u64) as i64;
        let result = match (out, self.peek_user_bytes(p, a[3], 8)) {
            (Outcome::Value(_), Some(b)) => {
                format!(
                    "[{}]",
                    i64::from_le_bytes(b[..8].try_into().expect("8 bytes"))
                )
            }
            _ => ptr(a[3]),
        };
        format!("{}, {offset}, {result}, {}", a[0] as i32, whence_text(a[4]))
    }

    /// Every argument of a call, as strace shows them between the parentheses.
    pub(crate) fn args_text(
        &self,
        p: &Process,
        shape: Shape,
        a: &[u32; 6],
        out: &Outcome,
    ) -> String {
        match shape {
            Shape::Custom(f) => f(self, p, a, out),
            Shape::Args(kinds) => kinds
                .iter()
                .enumerate()
                // strace leaves out open's mode unless a file is created.
                .filter(|&(_, &k)| match k {
                    Arg::CreateMode(n) => {
                        let f = a[n as usize];
                        f & O_CREAT != 0 || f & O_TMPFILE == O_TMPFILE
                    }
                    _ => true,
                })
                .map(|(i, &k)| self.arg_text(p, k, a, i, out))
                .collect::<Vec<_>>()
                .join(", "),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn flags_read_like_strace() {
        assert_eq!(prot_text(3), "PROT_READ|PROT_WRITE");
        assert_eq!(prot_text(0), "PROT_NONE");
        assert_eq!(map_text(0x22), "MAP_PRIVATE|MAP_ANONYMOUS");
        assert_eq!(map_text(0x32), "MAP_PRIVATE|MAP_FIXED|MAP_ANONYMOUS");
        assert_eq!(open_text(0o2100000), "O_RDONLY|O_LARGEFILE|O_CLOEXEC");
        assert_eq!(open_text(0o1101), "O_WRONLY|O_CREAT|O_TRUNC");
        assert_eq!(flag_names(6, ACCESS_NAMES, "F_OK"), "R_OK|W_OK");
    }
}
