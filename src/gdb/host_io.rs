//! gdb's host I/O (`vFile:open`, `pread`, `close`, `readlink`, `setfs`):
//! files as the *guest* sees them. gdb reads `/proc/PID/maps` this way for
//! `info proc mappings`, and `/proc/PID/cmdline`, `cwd` and `exe` for `info
//! proc`; the kernel answers /proc from the guest process (its VMAs, its
//! argv), and everything else is the host's files, read-only, at the paths
//! the guest would open them by. Both of gdb's filesystem choices (`setfs`
//! to the stub or to the process) mean the guest's here: the stub has no
//! other process to show.

use super::target::GdbTarget;
use gdbstub::target::ext::host_io::{
    FsKind, HostIo, HostIoClose, HostIoCloseOps, HostIoErrno, HostIoError, HostIoOpen,
    HostIoOpenFlags, HostIoOpenMode, HostIoOpenOps, HostIoPread, HostIoPreadOps, HostIoReadlink,
    HostIoReadlinkOps, HostIoResult, HostIoSetfs, HostIoSetfsOps,
};
use std::os::unix::fs::FileExt;
use toyemu_kernel::errno::Errno;
use toyemu_kernel::syscall::PeekedFile;

/// Most files gdb may hold open at once: a bound on what it can make us keep.
const MAX_OPEN: usize = 64;

/// A guest errno as gdb's protocol numbers it (most are Linux's own).
fn errno(e: Errno) -> HostIoError<String> {
    use HostIoErrno as E;
    let mapped = match e.0 {
        1 => E::EPERM,
        2 => E::ENOENT,
        9 => E::EBADF,
        13 => E::EACCES,
        14 => E::EFAULT,
        20 => E::ENOTDIR,
        21 => E::EISDIR,
        22 => E::EINVAL,
        24 => E::EMFILE,
        30 => E::EROFS,
        36 => E::ENAMETOOLONG,
        _ => E::EUNKNOWN,
    };
    HostIoError::Errno(mapped)
}

impl HostIo for GdbTarget {
    #[inline(always)]
    fn support_open(&mut self) -> Option<HostIoOpenOps<'_, Self>> {
        Some(self)
    }
    #[inline(always)]
    fn support_close(&mut self) -> Option<HostIoCloseOps<'_, Self>> {
        Some(self)
    }
    #[inline(always)]
    fn support_pread(&mut self) -> Option<HostIoPreadOps<'_, Self>> {
        Some(self)
    }
    #[inline(always)]
    fn support_readlink(&mut self) -> Option<HostIoReadlinkOps<'_, Self>> {
        Some(self)
    }
    #[inline(always)]
    fn support_setfs(&mut self) -> Option<HostIoSetfsOps<'_, Self>> {
        Some(self)
    }
}

impl HostIoOpen for GdbTarget {
    fn open(
        &mut self,
        filename: &[u8],
        flags: HostIoOpenFlags,
        _mode: HostIoOpenMode,
    ) -> HostIoResult<u32, Self> {
        // The guest's view of the host is read-only, and so is this one.
        if flags.bits() & 3 != HostIoOpenFlags::O_RDONLY.bits()
            || flags.contains(HostIoOpenFlags::O_CREAT)
        {
            return Err(HostIoError::Errno(HostIoErrno::EROFS));
        }
        let s = &self.inf.session;
        if s.process.has_exited() {
            return Err(HostIoError::Errno(HostIoErrno::ENOENT));
        }
        let file = s.kernel.peek_open(&s.process, filename).map_err(errno)?;
        let files = &mut self.files;
        let fd = match files.iter().position(Option::is_none) {
            Some(free) => free,
            None if files.len() < MAX_OPEN => {
                files.push(None);
                files.len() - 1
            }
            None => return Err(HostIoError::Errno(HostIoErrno::EMFILE)),
        };
        files[fd] = Some(file);
        Ok(fd as u32)
    }
}

impl HostIoPread for GdbTarget {
    fn pread(
        &mut self,
        fd: u32,
        count: usize,
        offset: u64,
        buf: &mut [u8],
    ) -> HostIoResult<usize, Self> {
        let file = self.files.get(fd as usize).and_then(Option::as_ref);
        let n = count.min(buf.len());
        match file {
            None => Err(HostIoError::Errno(HostIoErrno::EBADF)),
            Some(PeekedFile::Bytes(b)) => {
                let start = usize::try_from(offset).unwrap_or(usize::MAX).min(b.len());
                let end = start.saturating_add(n).min(b.len());
                buf[..end - start].copy_from_slice(&b[start..end]);
                Ok(end - start)
            }
            Some(PeekedFile::Host(f)) => f
                .read_at(&mut buf[..n], offset)
                .map_err(|_| HostIoError::Errno(HostIoErrno::EIO)),
        }
    }
}

impl HostIoClose for GdbTarget {
    fn close(&mut self, fd: u32) -> HostIoResult<(), Self> {
        match self.files.get_mut(fd as usize).and_then(Option::take) {
            Some(_) => Ok(()),
            None => Err(HostIoError::Errno(HostIoErrno::EBADF)),
        }
    }
}

impl HostIoReadlink for GdbTarget {
    fn readlink(&mut self, filename: &[u8], buf: &mut [u8]) -> HostIoResult<usize, Self> {
        let s = &self.inf.session;
        if s.process.has_exited() {
            return Err(HostIoError::Errno(HostIoErrno::ENOENT));
        }
        let target = s.kernel.peek_link(&s.process, filename).map_err(errno)?;
        if target.len() > buf.len() {
            return Err(HostIoError::Errno(HostIoErrno::ENAMETOOLONG));
        }
        buf[..target.len()].copy_from_slice(&target);
        Ok(target.len())
    }
}

impl HostIoSetfs for GdbTarget {
    fn setfs(&mut self, _fs: FsKind) -> HostIoResult<(), Self> {
        Ok(())
    }
}
