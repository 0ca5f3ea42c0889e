//! Syscall numbers (arch/x86/entry/syscalls/syscall_32.tbl) and how strace
//! would print their arguments.

use super::outcome::Outcome;
use crate::kernel::Kernel;
use crate::process::Process;

pub const NR_EXIT: u32 = 1;
pub const NR_READ: u32 = 3;
pub const NR_WRITE: u32 = 4;
pub const NR_CLOSE: u32 = 6;
pub const NR_LSEEK: u32 = 19;
pub const NR_GETPID: u32 = 20;
pub const NR_GETUID: u32 = 24;
pub const NR_GETGID: u32 = 47;
pub const NR_GETEUID: u32 = 49;
pub const NR_GETEGID: u32 = 50;
pub const NR_IOCTL: u32 = 54;
pub const NR_GETPPID: u32 = 64;
pub const NR_UNAME: u32 = 122;
pub const NR_LLSEEK: u32 = 140;
pub const NR_GETUID32: u32 = 199;
pub const NR_GETGID32: u32 = 200;
pub const NR_GETEUID32: u32 = 201;
pub const NR_GETEGID32: u32 = 202;
pub const NR_GETTID: u32 = 224;
pub const NR_BRK: u32 = 45;
pub const NR_OLD_MMAP: u32 = 90;
pub const NR_MUNMAP: u32 = 91;
pub const NR_MPROTECT: u32 = 125;
pub const NR_WRITEV: u32 = 146;
pub const NR_MMAP2: u32 = 192;
pub const NR_MADVISE: u32 = 219;
pub const NR_EXIT_GROUP: u32 = 252;

/// Names for the calls this kernel implements and the ones programs commonly
/// try (those get ENOSYS, but a trace should still say what was asked).
/// The signal calls' names are in `signal.rs`.
const NAMES: &[(u32, &str)] = &[
    (1, "exit"),
    (2, "fork"),
    (3, "read"),
    (4, "write"),
    (5, "open"),
    (6, "close"),
    (11, "execve"),
    (13, "time"),
    (19, "lseek"),
    (20, "getpid"),
    (24, "getuid"),
    (47, "getgid"),
    (49, "geteuid"),
    (50, "getegid"),
    (64, "getppid"),
    (33, "access"),
    (45, "brk"),
    (54, "ioctl"),
    (90, "mmap"),
    (91, "munmap"),
    (122, "uname"),
    (125, "mprotect"),
    (140, "_llseek"),
    (145, "readv"),
    (146, "writev"),
    (162, "nanosleep"),
    (191, "ugetrlimit"),
    (192, "mmap2"),
    (197, "fstat64"),
    (199, "getuid32"),
    (200, "getgid32"),
    (201, "geteuid32"),
    (202, "getegid32"),
    (219, "madvise"),
    (224, "gettid"),
    (240, "futex"),
    (243, "set_thread_area"),
    (252, "exit_group"),
    (258, "set_tid_address"),
    (265, "clock_gettime"),
    (295, "openat"),
    (355, "getrandom"),
];

pub fn name_of(nr: u32) -> &'static str {
    NAMES
        .iter()
        .chain(super::signal::NAMES)
        .find(|(n, _)| *n == nr)
        .map_or("syscall", |(_, s)| s)
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

/// `A|B|0x40` for a flag word; `zero` when no bit is set.
fn flag_names(v: u32, table: &[(u32, &str)], zero: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut rest = v;
    for (bit, name) in table {
        if v & bit != 0 {
            parts.push((*name).to_string());
            rest &= !bit;
        }
    }
    if rest != 0 {
        parts.push(format!("{rest:#x}"));
    }
    if parts.is_empty() {
        zero.to_string()
    } else {
        parts.join("|")
    }
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

/// strace prints offsets as `0` or in hex.
fn hex_or_zero(v: u32) -> String {
    if v == 0 {
        "0".to_string()
    } else {
        format!("{v:#x}")
    }
}

fn ptr(v: u32) -> String {
    if v == 0 {
        "NULL".to_string()
    } else {
        format!("{v:#x}")
    }
}

/// Bytes as strace quotes them: C escapes, at most 32 shown, `...` after.
pub fn quote(bytes: &[u8], truncated: bool) -> String {
    let mut s = String::from("\"");
    for &b in bytes {
        match b {
            b'\n' => s.push_str("\\n"),
            b'\t' => s.push_str("\\t"),
            b'\r' => s.push_str("\\r"),
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            0x20..=0x7e => s.push(b as char),
            _ => s.push_str(&format!("\\{b:o}")),
        }
    }
    s.push('"');
    if truncated {
        s.push_str("...");
    }
    s
}

const SHOWN: u32 = 32;

impl Kernel {
    /// A user buffer shown as strace would, or its address if unreadable.
    fn buffer_text(&self, p: &Process, va: u32, len: u32) -> String {
        let n = len.min(SHOWN);
        match self.peek_user_bytes(p, va, n) {
            Some(b) => quote(&b, len > SHOWN),
            None => ptr(va),
        }
    }

    pub(super) fn format_args(
        &self,
        p: &Process,
        nr: u32,
        a: &[u32; 6],
        outcome: &Outcome,
    ) -> String {
        use super::names::*;
        let int = |v: u32| (v as i32).to_string();
        match nr {
            NR_EXIT | NR_EXIT_GROUP => int(a[0]),
            NR_WRITE => format!(
                "{}, {}, {}",
                int(a[0]),
                self.buffer_text(p, a[1], a[2]),
                a[2]
            ),
            NR_READ => {
                let got = match outcome {
                    Outcome::Value(n) => self.buffer_text(p, a[1], *n),
                    _ => ptr(a[1]),
                };
                format!("{}, {got}, {}", int(a[0]), a[2])
            }
            NR_WRITEV => format!("{}, {}, {}", int(a[0]), ptr(a[1]), int(a[2])),
            NR_GETPID | NR_GETPPID | NR_GETTID | NR_GETUID | NR_GETGID | NR_GETEUID
            | NR_GETEGID | NR_GETUID32 | NR_GETGID32 | NR_GETEUID32 | NR_GETEGID32 => String::new(),
            NR_CLOSE => int(a[0]),
            NR_UNAME => ptr(a[0]),
            NR_BRK => ptr(a[0]),
            NR_MMAP2 => format!(
                "{}, {}, {}, {}, {}, {}",
                ptr(a[0]),
                a[1],
                prot_text(a[2]),
                map_text(a[3]),
                int(a[4]),
                hex_or_zero(a[5])
            ),
            NR_OLD_MMAP => match self.peek_user_bytes(p, a[0], 24) {
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
                        int(w(4)),
                        hex_or_zero(w(5))
                    )
                }
                None => ptr(a[0]),
            },
            NR_MUNMAP => format!("{}, {}", ptr(a[0]), a[1]),
            NR_MPROTECT => format!("{}, {}, {}", ptr(a[0]), a[1], prot_text(a[2])),
            NR_MADVISE => {
                let advice = match a[2] {
                    0 => "MADV_NORMAL".to_string(),
                    1 => "MADV_RANDOM".to_string(),
                    2 => "MADV_SEQUENTIAL".to_string(),
                    3 => "MADV_WILLNEED".to_string(),
                    4 => "MADV_DONTNEED".to_string(),
                    8 => "MADV_FREE".to_string(),
                    n => n.to_string(),
                };
                format!("{}, {}, {advice}", ptr(a[0]), a[1])
            }
            // Unknown: strace shows the number and raw registers.
            _ if name_of(nr) == "syscall" => format!(
                "{nr:#x}, {:#x}, {:#x}, {:#x}, {:#x}, {:#x}, {:#x}",
                a[0], a[1], a[2], a[3], a[4], a[5]
            ),
            _ => format!("{:#x}, {:#x}, {:#x}", a[0], a[1], a[2]),
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
        assert_eq!(quote(b"hi\n\x01", false), "\"hi\\n\\1\"");
    }
}
