//! The structs calls read or fill, shown as strace shows them: `{tv_sec=1,
//! tv_nsec=500}`, `{rlim_cur=8192*1024, rlim_max=RLIM_INFINITY}`, an iovec
//! array with each buffer quoted. The i386 layouts are byte offsets here;
//! the calls that write them (time.rs, sys.rs, file.rs) use the same ones.

use super::outcome::Outcome;
use super::show::{flag_names, hex_or_zero, ptr, quote};
use crate::fs::stat::Stat;
use crate::kernel::Kernel;
use crate::process::Process;

/// A struct argument's type.
#[derive(Clone, Copy, Debug)]
pub enum Struct {
    /// `struct timespec` of the 32-bit calls: two `long`s.
    Timespec,
    /// `struct __kernel_timespec` of the `*_time64` calls: two `s64`s.
    Timespec64,
    Timeval,
    /// `struct rlimit`: two `unsigned long`s.
    Rlimit,
    Rlimit64,
    Utsname,
    Sysinfo,
    Statx,
    /// `int[2]`, pipe's descriptors.
    FdPair,
}

impl Struct {
    fn size(self) -> u32 {
        match self {
            Struct::Timespec | Struct::Timeval | Struct::Rlimit | Struct::FdPair => 8,
            Struct::Timespec64 | Struct::Rlimit64 => 16,
            Struct::Utsname => 6 * 65,
            Struct::Sysinfo => 64,
            Struct::Statx => 256,
        }
    }

    /// The struct in `b` (exactly `size()` bytes) as strace prints it.
    fn text(self, b: &[u8]) -> String {
        let u32_at = |at: usize| u32::from_le_bytes(b[at..at + 4].try_into().expect("4 bytes"));
        let u64_at = |at: usize| u64::from_le_bytes(b[at..at + 8].try_into().expect("8 bytes"));
        match self {
            Struct::Timespec => format!(
                "{{tv_sec={}, tv_nsec={}}}",
                u32_at(0) as i32,
                u32_at(4) as i32
            ),
            Struct::Timespec64 => format!(
                "{{tv_sec={}, tv_nsec={}}}",
                u64_at(0) as i64,
                u64_at(8) as i64
            ),
            Struct::Timeval => format!(
                "{{tv_sec={}, tv_usec={}}}",
                u32_at(0) as i32,
                u32_at(4) as i32
            ),
            Struct::Rlimit => format!(
                "{{rlim_cur={}, rlim_max={}}}",
                limit(u32_at(0) as u64, u32::MAX as u64, "RLIM_INFINITY"),
                limit(u32_at(4) as u64, u32::MAX as u64, "RLIM_INFINITY")
            ),
            Struct::Rlimit64 => format!(
                "{{rlim_cur={}, rlim_max={}}}",
                limit(u64_at(0), u64::MAX, "RLIM64_INFINITY"),
                limit(u64_at(8), u64::MAX, "RLIM64_INFINITY")
            ),
            Struct::Utsname => {
                let field = |i: usize| {
                    let f = &b[i * 65..(i + 1) * 65];
                    let end = f.iter().position(|&c| c == 0).unwrap_or(f.len());
                    quote(&f[..end], false)
                };
                format!("{{sysname={}, nodename={}, ...}}", field(0), field(1))
            }
            Struct::Sysinfo => format!(
                "{{uptime={}, loads=[{}, {}, {}], totalram={}, freeram={}, sharedram={}, \
                 bufferram={}, totalswap={}, freeswap={}, procs={}, totalhigh={}, freehigh={}, \
                 mem_unit={}}}",
                u32_at(0) as i32,
                u32_at(4),
                u32_at(8),
                u32_at(12),
                u32_at(16),
                u32_at(20),
                u32_at(24),
                u32_at(28),
                u32_at(32),
                u32_at(36),
                u16::from_le_bytes([b[40], b[41]]),
                u32_at(44),
                u32_at(48),
                u32_at(52)
            ),
            Struct::Statx => {
                // stx_rdev_major and _minor, in the host's dev_t encoding.
                let (major, minor) = (u32_at(128) as u64, u32_at(132) as u64);
                let rdev = (minor & 0xff)
                    | (major & 0xfff) << 8
                    | (minor & !0xff) << 12
                    | (major & !0xfff) << 32;
                let st = Stat {
                    mode: u16::from_le_bytes([b[28], b[29]]) as u32,
                    size: u64_at(40),
                    rdev,
                    ..Default::default()
                };
                let summary = st.summary();
                // `{st_mode=..., st_size=N, ...}` with statx's field names.
                let fields = summary
                    .trim_start_matches('{')
                    .replace("st_mode", "stx_mode")
                    .replace("st_size", "stx_size")
                    .replace("st_rdev", "stx_rdev");
                format!(
                    "{{stx_mask={}, stx_attributes={}, {fields}",
                    statx_mask_text(u32_at(0)),
                    hex_or_zero(u64_at(8) as u32)
                )
            }
            Struct::FdPair => format!("[{}, {}]", u32_at(0) as i32, u32_at(4) as i32),
        }
    }
}

/// A resource limit: the infinity by name, multiples of 1 KiB as `N*1024`.
fn limit(v: u64, infinity: u64, name: &str) -> String {
    if v == infinity {
        name.to_string()
    } else if v != 0 && v.is_multiple_of(1024) {
        format!("{}*1024", v / 1024)
    } else {
        v.to_string()
    }
}

const STATX_MASK: &[(u32, &str)] = &[
    (0x7ff, "STATX_BASIC_STATS"),
    (0x1, "STATX_TYPE"),
    (0x2, "STATX_MODE"),
    (0x4, "STATX_NLINK"),
    (0x8, "STATX_UID"),
    (0x10, "STATX_GID"),
    (0x20, "STATX_ATIME"),
    (0x40, "STATX_MTIME"),
    (0x80, "STATX_CTIME"),
    (0x100, "STATX_INO"),
    (0x200, "STATX_SIZE"),
    (0x400, "STATX_BLOCKS"),
    (0x800, "STATX_BTIME"),
    (0x1000, "STATX_MNT_ID"),
    (0x2000, "STATX_DIOALIGN"),
];

pub fn statx_mask_text(v: u32) -> String {
    flag_names(v, STATX_MASK, "0")
}

impl Kernel {
    /// A struct the call reads, or its address when it cannot be read.
    pub(crate) fn struct_in_text(&self, p: &Process, s: Struct, va: u32) -> String {
        match self.peek_user_bytes(p, va, s.size()) {
            Some(b) if va != 0 => s.text(&b),
            _ => ptr(va),
        }
    }

    /// A struct the call fills: shown after a success, else its address.
    pub(crate) fn struct_out_text(&self, p: &Process, s: Struct, va: u32, out: &Outcome) -> String {
        match out {
            Outcome::Value(_) => self.struct_in_text(p, s, va),
            _ => ptr(va),
        }
    }

    /// An iovec array of `n` entries: each buffer quoted, as many bytes as
    /// it holds (writev) or as the call read into it (readv, `filled` the
    /// result).
    pub(crate) fn iovec_text(&self, p: &Process, va: u32, n: u32, filled: Option<u32>) -> String {
        const SHOWN_ENTRIES: u32 = 16;
        let Some(raw) = self.peek_user_bytes(p, va, n.min(SHOWN_ENTRIES) * 8) else {
            return ptr(va);
        };
        let mut left = filled;
        let mut parts = Vec::new();
        for e in raw.chunks_exact(8) {
            let base = u32::from_le_bytes(e[0..4].try_into().expect("4 bytes"));
            let len = u32::from_le_bytes(e[4..8].try_into().expect("4 bytes"));
            let shown = match left.as_mut() {
                Some(l) => {
                    let here = len.min(*l);
                    *l -= here;
                    here
                }
                None => len,
            };
            let data = if shown == 0 && len != 0 && filled.is_some() {
                "\"\"".to_string()
            } else {
                self.buffer_text(p, base, shown)
            };
            parts.push(format!("{{iov_base={data}, iov_len={len}}}"));
        }
        if n > SHOWN_ENTRIES {
            parts.push("...".to_string());
        }
        format!("[{}]", parts.join(", "))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn structs_read_like_strace() {
        let mut rl = Vec::new();
        rl.extend((8192u32 * 1024).to_le_bytes());
        rl.extend(u32::MAX.to_le_bytes());
        assert_eq!(
            Struct::Rlimit.text(&rl),
            "{rlim_cur=8192*1024, rlim_max=RLIM_INFINITY}"
        );
        let mut ts = Vec::new();
        ts.extend(5i64.to_le_bytes());
        ts.extend(250i64.to_le_bytes());
        assert_eq!(Struct::Timespec64.text(&ts), "{tv_sec=5, tv_nsec=250}");
        assert_eq!(statx_mask_text(0x17ff), "STATX_BASIC_STATS|STATX_MNT_ID");
        let mut sx = vec![0u8; 256];
        sx[0..4].copy_from_slice(&0x7ffu32.to_le_bytes());
        sx[28..30].copy_from_slice(&0o100644u16.to_le_bytes());
        sx[40..48].copy_from_slice(&640u64.to_le_bytes());
        assert_eq!(
            Struct::Statx.text(&sx),
            "{stx_mask=STATX_BASIC_STATS, stx_attributes=0, stx_mode=S_IFREG|0644, stx_size=640, ...}"
        );
    }
}
