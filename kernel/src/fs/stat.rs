//! What `stat` tells about a file, and the two i386 layouts it is written
//! in: `struct stat64` (96 bytes, arch/x86/include/uapi/asm/stat.h; 8-byte
//! fields are 4-aligned on i386) and `struct statx` (256 bytes,
//! include/uapi/linux/stat.h).

use std::os::unix::fs::MetadataExt;

pub const S_IFMT: u32 = 0o170000;
pub const S_IFIFO: u32 = 0o010000;
pub const S_IFCHR: u32 = 0o020000;
pub const S_IFDIR: u32 = 0o040000;
pub const S_IFREG: u32 = 0o100000;
pub const S_IFLNK: u32 = 0o120000;

/// `DT_*` for getdents64, from a mode.
pub fn dirent_type(mode: u32) -> u8 {
    ((mode & S_IFMT) >> 12) as u8
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Stat {
    pub dev: u64,
    pub ino: u64,
    pub mode: u32,
    pub nlink: u32,
    pub uid: u32,
    pub gid: u32,
    pub rdev: u64,
    pub size: u64,
    pub blksize: u32,
    pub blocks: u64,
    /// (seconds, nanoseconds) since the epoch.
    pub atime: (i64, u32),
    pub mtime: (i64, u32),
    pub ctime: (i64, u32),
}

/// A device number split as Linux's MAJOR() and MINOR() do.
fn split_dev(dev: u64) -> (u32, u32) {
    let major = ((dev >> 8) & 0xfff) | ((dev >> 32) & !0xfff);
    let minor = (dev & 0xff) | ((dev >> 12) & !0xff);
    (major as u32, minor as u32)
}

/// The encoding `struct stat64` carries (new_encode_dev).
fn encode_dev(dev: u64) -> u64 {
    let (major, minor) = split_dev(dev);
    ((minor & 0xff) | (major << 8) | ((minor & !0xff) << 12)) as u64
}

impl Stat {
    /// What the host says of a file.
    pub fn of_host(m: &std::fs::Metadata) -> Stat {
        Stat {
            dev: m.dev(),
            ino: m.ino(),
            mode: m.mode(),
            nlink: m.nlink() as u32,
            uid: m.uid(),
            gid: m.gid(),
            rdev: m.rdev(),
            size: m.size(),
            blksize: m.blksize() as u32,
            blocks: m.blocks(),
            atime: (m.atime(), m.atime_nsec() as u32),
            mtime: (m.mtime(), m.mtime_nsec() as u32),
            ctime: (m.ctime(), m.ctime_nsec() as u32),
        }
    }

    /// A file the kernel makes up: a mode, a size, the guest's user.
    pub fn synthetic(mode: u32, size: u64, uid: u32, rdev: u64) -> Stat {
        Stat {
            mode,
            nlink: 1,
            uid,
            gid: uid,
            rdev,
            size,
            blksize: 4096,
            ..Stat::default()
        }
    }

    /// `struct stat64` as i386 lays it out.
    pub fn stat64(&self) -> [u8; 96] {
        let mut b = [0u8; 96];
        let mut put = |at: usize, v: &[u8]| b[at..at + v.len()].copy_from_slice(v);
        put(0, &encode_dev(self.dev).to_le_bytes());
        put(12, &(self.ino as u32).to_le_bytes()); // __st_ino
        put(16, &self.mode.to_le_bytes());
        put(20, &self.nlink.to_le_bytes());
        put(24, &self.uid.to_le_bytes());
        put(28, &self.gid.to_le_bytes());
        put(32, &encode_dev(self.rdev).to_le_bytes());
        put(44, &self.size.to_le_bytes());
        put(52, &self.blksize.to_le_bytes());
        put(56, &self.blocks.to_le_bytes());
        put(64, &(self.atime.0 as u32).to_le_bytes());
        put(68, &self.atime.1.to_le_bytes());
        put(72, &(self.mtime.0 as u32).to_le_bytes());
        put(76, &self.mtime.1.to_le_bytes());
        put(80, &(self.ctime.0 as u32).to_le_bytes());
        put(84, &self.ctime.1.to_le_bytes());
        put(88, &self.ino.to_le_bytes());
        b
    }

    /// `struct statx` with the basic fields filled in (STATX_BASIC_STATS).
    pub fn statx(&self) -> [u8; 256] {
        const STATX_BASIC_STATS: u32 = 0x7ff;
        let mut b = [0u8; 256];
        let mut put = |at: usize, v: &[u8]| b[at..at + v.len()].copy_from_slice(v);
        put(0, &STATX_BASIC_STATS.to_le_bytes());
        put(4, &self.blksize.to_le_bytes());
        put(16, &self.nlink.to_le_bytes());
        put(20, &self.uid.to_le_bytes());
        put(24, &self.gid.to_le_bytes());
        put(28, &(self.mode as u16).to_le_bytes());
        put(32, &self.ino.to_le_bytes());
        put(40, &self.size.to_le_bytes());
        put(48, &self.blocks.to_le_bytes());
        for (at, t) in [(64, self.atime), (96, self.ctime), (112, self.mtime)] {
            put(at, &t.0.to_le_bytes());
            put(at + 8, &t.1.to_le_bytes());
        }
        let (rmaj, rmin) = split_dev(self.rdev);
        let (dmaj, dmin) = split_dev(self.dev);
        put(128, &rmaj.to_le_bytes());
        put(132, &rmin.to_le_bytes());
        put(136, &dmaj.to_le_bytes());
        put(140, &dmin.to_le_bytes());
        b
    }

    /// strace's short form: `{st_mode=S_IFREG|0644, st_size=7, ...}`.
    pub fn summary(&self) -> String {
        let kind = match self.mode & S_IFMT {
            S_IFREG => "S_IFREG",
            S_IFDIR => "S_IFDIR",
            S_IFCHR => "S_IFCHR",
            S_IFIFO => "S_IFIFO",
            S_IFLNK => "S_IFLNK",
            0o060000 => "S_IFBLK",
            0o140000 => "S_IFSOCK",
            _ => "0",
        };
        let perm = self.mode & 0o7777;
        if self.mode & S_IFMT == S_IFCHR {
            let (maj, min) = split_dev(self.rdev);
            format!("{{st_mode={kind}|{perm:04o}, st_rdev=makedev({maj:#x}, {min:#x}), ...}}")
        } else {
            format!("{{st_mode={kind}|{perm:04o}, st_size={}, ...}}", self.size)
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn stat64_puts_each_field_where_i386_has_it() {
        let s = Stat {
            dev: 0xfe00,
            ino: 0x1_0000_0002,
            mode: S_IFREG | 0o644,
            size: 7,
            ..Stat::default()
        };
        let b = s.stat64();
        assert_eq!(u64::from_le_bytes(b[0..8].try_into().unwrap()), 0xfe00);
        assert_eq!(u32::from_le_bytes(b[12..16].try_into().unwrap()), 2);
        assert_eq!(u32::from_le_bytes(b[16..20].try_into().unwrap()), 0o100644);
        assert_eq!(u64::from_le_bytes(b[44..52].try_into().unwrap()), 7);
        assert_eq!(
            u64::from_le_bytes(b[88..96].try_into().unwrap()),
            0x1_0000_0002
        );
        assert_eq!(s.summary(), "{st_mode=S_IFREG|0644, st_size=7, ...}");
    }
}
