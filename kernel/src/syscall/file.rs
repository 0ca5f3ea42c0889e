//! Calls that take paths: open, stat, directories, links, the working
//! directory, and — under `--rw` only — creating, removing and renaming.
//! Paths are resolved by the file view (`fs/`), which decides what a guest
//! path names and whether it may be changed.

use super::outcome::Outcome;
use crate::errno::{
    Errno, EACCES, EBADF, EEXIST, EINVAL, EISDIR, ELOOP, ENAMETOOLONG, ENOENT, ENOTDIR, ERANGE,
};
use crate::fd::{
    DirList, FileKind, FileRef, OpenFile, O_ACCMODE, O_APPEND, O_CLOEXEC, O_CREAT, O_DIRECTORY,
    O_EXCL, O_NOFOLLOW, O_PATH, O_RDONLY, O_TRUNC, O_WRONLY,
};
use crate::fs::node::{Asker, Device, Node, ProcDir, ProcFile, ProcNode};
use crate::fs::stat::{dirent_type, Stat, S_IFCHR, S_IFDIR, S_IFIFO, S_IFLNK, S_IFREG};
use crate::fs::PATH_MAX;
use crate::kernel::Kernel;
use crate::layout::UID;
use crate::process::Process;
use std::cell::RefCell;
use std::fs::OpenOptions;
use std::os::unix::fs::{DirBuilderExt, MetadataExt, OpenOptionsExt};
use std::path::{Path, PathBuf};
use std::rc::Rc;

/// The `dirfd` meaning "the working directory".
pub const AT_FDCWD: u32 = -100i32 as u32;
pub const AT_SYMLINK_NOFOLLOW: u32 = 0x100;
pub const AT_REMOVEDIR: u32 = 0x200;
pub const AT_EMPTY_PATH: u32 = 0x1000;

/// A host call that answers nothing but success: 0, or its errno.
fn host_done(r: std::io::Result<()>) -> Outcome {
    match r {
        Ok(()) => Outcome::Value(0),
        Err(e) => Outcome::Err(errno_of(&e)),
    }
}

/// A file a debugger opened in the guest's view (see `Kernel::peek_open`).
pub enum PeekedFile {
    Host(std::fs::File),
    /// Made by the kernel when opened (/proc).
    Bytes(Vec<u8>),
}

/// The target of the symbolic link `node`, or EINVAL if it is none.
fn link_target(node: &Node) -> Result<Vec<u8>, Errno> {
    match node {
        Node::Proc(ProcNode::Link(t)) => Ok(t.as_bytes().to_vec()),
        Node::Host(h) => std::fs::read_link(h)
            .map(|t| t.into_os_string().into_encoded_bytes())
            .map_err(|e| errno_of(&e)),
        _ => Err(EINVAL),
    }
}

/// A host error as the errno Linux would give.
fn errno_of(e: &std::io::Error) -> Errno {
    e.raw_os_error().map_or(EACCES, Errno)
}

impl Kernel {
    /// The guest path at `va`, copied in (faulting pages, as Linux does).
    pub(super) fn path_arg(&mut self, p: &mut Process, va: u32) -> Result<Vec<u8>, Outcome> {
        match self.copy_string_from_user(p, va, PATH_MAX as u32) {
            Ok(s) => Ok(s),
            Err(None) => Err(Outcome::Err(ENAMETOOLONG)),
            Err(Some(e)) => Err(self.copy_failed(p, e)),
        }
    }

    /// Resolve `path` relative to `dirfd` (AT_FDCWD: the working directory).
    pub(super) fn resolve_at(
        &self,
        p: &Process,
        dirfd: u32,
        path: &[u8],
        follow: bool,
    ) -> Result<Node, Errno> {
        let base: PathBuf = if path.first() == Some(&b'/') || dirfd == AT_FDCWD {
            p.cwd.clone()
        } else {
            let f = p.fds.get(dirfd)?;
            let f = f.borrow();
            match &f.kind {
                FileKind::Dir(_) | FileKind::Host(_) => PathBuf::from(&f.path),
                _ => return Err(ENOTDIR),
            }
        };
        let fd_name = |fd: u32| p.fds.get(fd).ok().map(|f| f.borrow().path.clone());
        let who = Asker {
            pid: p.pid,
            cwd: &base,
            exe: &p.image.path,
            fd_name: &fd_name,
        };
        self.view.resolve(&who, path, follow)
    }

    /// Copy in a path and resolve it.
    fn node_at(
        &mut self,
        p: &mut Process,
        dirfd: u32,
        va: u32,
        follow: bool,
    ) -> Result<(Node, Vec<u8>), Outcome> {
        let path = self.path_arg(p, va)?;
        match self.resolve_at(p, dirfd, &path, follow) {
            Ok(n) => Ok((n, path)),
            Err(e) => Err(Outcome::Err(e)),
        }
    }

    pub(super) fn sys_open(
        &mut self,
        p: &mut Process,
        path: u32,
        flags: u32,
        mode: u32,
    ) -> Outcome {
        self.sys_openat(p, AT_FDCWD, path, flags, mode)
    }

    /// openat(2): resolve, check the view's rules, open, install.
    pub(super) fn sys_openat(
        &mut self,
        p: &mut Process,
        dirfd: u32,
        path: u32,
        flags: u32,
        mode: u32,
    ) -> Outcome {
        let (node, _) = match self.node_at(p, dirfd, path, flags & O_NOFOLLOW == 0) {
            Ok(n) => n,
            Err(o) => return o,
        };
        let file = match self.open_node(p, &node, flags, mode) {
            Ok(f) => f,
            Err(e) => return Outcome::Err(e),
        };
        p.fds.install(file, flags & O_CLOEXEC != 0).into()
    }

    /// The open file description for `node`.
    fn open_node(
        &mut self,
        p: &Process,
        node: &Node,
        flags: u32,
        mode: u32,
    ) -> Result<FileRef, Errno> {
        let wants_write = flags & O_ACCMODE != O_RDONLY || flags & O_TRUNC != 0;
        let keep = flags & !(O_CREAT | O_EXCL | O_TRUNC | O_CLOEXEC | O_NOFOLLOW);
        let wrap = |kind, path: String| Rc::new(RefCell::new(OpenFile::new(kind, keep, path)));
        match node {
            Node::Host(path) => {
                let name = path.display().to_string();
                let meta = std::fs::symlink_metadata(path);
                match &meta {
                    Ok(_) if flags & O_CREAT != 0 && flags & O_EXCL != 0 => return Err(EEXIST),
                    Ok(m) if m.file_type().is_symlink() => return Err(ELOOP),
                    Ok(m) if m.is_dir() => {
                        if wants_write {
                            return Err(EISDIR);
                        }
                        return Ok(wrap(FileKind::Dir(list_dir(path)?), name));
                    }
                    Ok(_) if flags & O_DIRECTORY != 0 => return Err(ENOTDIR),
                    Err(_) if flags & O_CREAT == 0 => return Err(ENOENT),
                    _ => {}
                }
                let creating = meta.is_err();
                if wants_write || creating {
                    self.view.check_write(node)?;
                }
                let mut o = OpenOptions::new();
                o.read(flags & O_ACCMODE != O_WRONLY)
                    .write(flags & O_ACCMODE != O_RDONLY)
                    .append(flags & O_APPEND != 0)
                    .truncate(flags & O_TRUNC != 0 && flags & O_ACCMODE != O_RDONLY)
                    .create(creating)
                    .mode(mode & 0o7777 & !p.umask)
                    .custom_flags(libc_o_nofollow());
                if flags & O_PATH != 0 {
                    o.read(true).write(false).append(false).truncate(false);
                }
                let f = o.open(path).map_err(|e| errno_of(&e))?;
                Ok(wrap(FileKind::Host(f), name))
            }
            Node::Proc(ProcNode::File(_, which)) => {
                if wants_write {
                    return Err(EACCES);
                }
                let bytes = self.proc_file(p, *which);
                Ok(wrap(
                    FileKind::Generated(bytes),
                    format!("/proc/{}/{which:?}", p.pid).to_lowercase(),
                ))
            }
            Node::Proc(ProcNode::Dir(pid, which)) => {
                if wants_write {
                    return Err(EISDIR);
                }
                let list = self.proc_dir(p, *which);
                let name = match which {
                    ProcDir::Process => format!("/proc/{pid}"),
                    ProcDir::Fds => format!("/proc/{pid}/fd"),
                };
                Ok(wrap(FileKind::Dir(list), name))
            }
            Node::Proc(ProcNode::Link(_)) => Err(ELOOP),
            Node::Dev(Device::Fd(fd)) => p.fds.get(*fd),
            Node::Dev(d) => {
                let (kind, name) = match d {
                    Device::Null => (FileKind::Null, "/dev/null"),
                    Device::Zero => (FileKind::Zero, "/dev/zero"),
                    _ => (FileKind::Random, "/dev/urandom"),
                };
                Ok(wrap(kind, name.to_string()))
            }
        }
    }

    /// A /proc file's contents, made now.
    fn proc_file(&self, p: &Process, which: ProcFile) -> Vec<u8> {
        use ProcFile as F;
        match which {
            F::Maps => self.maps_text(p).into_bytes(),
            F::Status => self.status_text(p).into_bytes(),
            F::Stat => self.stat_text(p).into_bytes(),
            F::Cmdline => nul_joined(&p.argv),
            F::Environ => nul_joined(&p.envp),
            F::Meminfo => self.meminfo_text().into_bytes(),
        }
    }

    fn proc_dir(&self, p: &Process, which: ProcDir) -> DirList {
        let entries = match which {
            ProcDir::Process => [
                "cmdline", "cwd", "environ", "exe", "fd", "maps", "stat", "status",
            ]
            .iter()
            .map(|n| n.as_bytes().to_vec())
            .collect(),
            ProcDir::Fds => p
                .fds
                .iter()
                .map(|(fd, _)| fd.to_string().into_bytes())
                .collect::<Vec<_>>(),
        };
        let mut list = dots();
        let kind = if which == ProcDir::Fds { 10 } else { 0 };
        list.entries.extend(
            entries
                .into_iter()
                .enumerate()
                .map(|(i, n)| (i as u64 + 10, kind, n)),
        );
        list
    }

    pub(super) fn sys_close(&mut self, p: &mut Process, fd: u32) -> Outcome {
        match p.fds.close(fd) {
            Ok(()) => Outcome::Value(0),
            Err(e) => Outcome::Err(e),
        }
    }

    /// What stat says of `node`.
    fn stat_node(&self, node: &Node) -> Result<Stat, Errno> {
        match node {
            Node::Host(path) => std::fs::symlink_metadata(path)
                .map(|m| Stat::of_host(&m))
                .map_err(|e| errno_of(&e)),
            Node::Proc(ProcNode::File(..)) => Ok(Stat::synthetic(S_IFREG | 0o444, 0, UID, 0)),
            Node::Proc(ProcNode::Dir(..)) => Ok(Stat::synthetic(S_IFDIR | 0o555, 0, UID, 0)),
            Node::Proc(ProcNode::Link(t)) => {
                Ok(Stat::synthetic(S_IFLNK | 0o777, t.len() as u64, UID, 0))
            }
            Node::Dev(d) => {
                // Character devices 1:3, 1:5, 1:9 as Linux numbers them.
                let minor = match d {
                    Device::Null => 3,
                    Device::Zero => 5,
                    _ => 9,
                };
                Ok(Stat::synthetic(S_IFCHR | 0o666, 0, 0, (1 << 8) | minor))
            }
        }
    }

    /// What fstat says of an open file.
    fn stat_file(&self, p: &Process, f: &FileRef) -> Result<Stat, Errno> {
        let f = f.borrow();
        match &f.kind {
            FileKind::Host(h) => h
                .metadata()
                .map(|m| Stat::of_host(&m))
                .map_err(|e| errno_of(&e)),
            FileKind::Dir(_) => self
                .stat_node(&Node::Host(PathBuf::from(&f.path)))
                .or_else(|_| Ok(Stat::synthetic(S_IFDIR | 0o555, 0, UID, 0))),
            FileKind::Generated(b) => Ok(Stat::synthetic(S_IFREG | 0o444, b.len() as u64, UID, 0)),
            FileKind::Null => self.stat_node(&Node::Dev(Device::Null)),
            FileKind::Zero => self.stat_node(&Node::Dev(Device::Zero)),
            FileKind::Random => self.stat_node(&Node::Dev(Device::Random)),
            FileKind::PipeRead(_) | FileKind::PipeWrite(_) => {
                Ok(Stat::synthetic(S_IFIFO | 0o600, 0, UID, 0))
            }
            FileKind::Console(s) => Ok(self.console_stat(*s, p)),
        }
    }

    /// The console streams: the host's own when they are the host's
    /// (a terminal, a pipe, a file), else what a pipe would say.
    fn console_stat(&self, s: crate::fd::Stream, _p: &Process) -> Stat {
        use crate::fd::Stream;
        if self.console.host {
            let r = match s {
                Stream::Stdin => rustix::fs::fstat(std::io::stdin()),
                Stream::Stdout => rustix::fs::fstat(std::io::stdout()),
                Stream::Stderr => rustix::fs::fstat(std::io::stderr()),
            };
            if let Ok(st) = r {
                return Stat {
                    dev: st.st_dev,
                    ino: st.st_ino,
                    mode: st.st_mode,
                    nlink: st.st_nlink as u32,
                    uid: st.st_uid,
                    gid: st.st_gid,
                    rdev: st.st_rdev,
                    size: st.st_size as u64,
                    blksize: st.st_blksize as u32,
                    blocks: st.st_blocks as u64,
                    ..Stat::default()
                };
            }
        }
        Stat::synthetic(S_IFIFO | 0o600, 0, UID, 0)
    }

    /// Write a stat result in the layout asked for.
    fn put_stat(
        &mut self,
        p: &mut Process,
        buf: u32,
        st: Result<Stat, Errno>,
        statx: bool,
    ) -> Outcome {
        let st = match st {
            Ok(s) => s,
            Err(e) => return Outcome::Err(e),
        };
        let r = if statx {
            self.copy_to_user(p, buf, &st.statx())
        } else {
            self.copy_to_user(p, buf, &st.stat64())
        };
        match r {
            Ok(()) => Outcome::Value(0),
            Err(e) => self.copy_failed(p, e),
        }
    }

    /// stat64, lstat64, fstatat64 and statx: the file named by `dirfd`,
    /// `path` and `flags`.
    fn stat_at(
        &mut self,
        p: &mut Process,
        dirfd: u32,
        path: u32,
        flags: u32,
    ) -> Result<Stat, Outcome> {
        let raw = self.path_arg(p, path)?;
        if raw.is_empty() {
            if flags & AT_EMPTY_PATH == 0 {
                return Err(Outcome::Err(ENOENT));
            }
            let f = p.fds.get(dirfd).map_err(Outcome::Err)?;
            return self.stat_file(p, &f).map_err(Outcome::Err);
        }
        let follow = flags & AT_SYMLINK_NOFOLLOW == 0;
        let node = self
            .resolve_at(p, dirfd, &raw, follow)
            .map_err(Outcome::Err)?;
        self.stat_node(&node).map_err(Outcome::Err)
    }

    pub(super) fn sys_stat64(
        &mut self,
        p: &mut Process,
        path: u32,
        buf: u32,
        follow: bool,
    ) -> Outcome {
        let flags = if follow { 0 } else { AT_SYMLINK_NOFOLLOW };
        match self.stat_at(p, AT_FDCWD, path, flags) {
            Ok(st) => self.put_stat(p, buf, Ok(st), false),
            Err(o) => o,
        }
    }

    pub(super) fn sys_fstat64(&mut self, p: &mut Process, fd: u32, buf: u32) -> Outcome {
        let st = p.fds.get(fd).and_then(|f| self.stat_file(p, &f));
        self.put_stat(p, buf, st, false)
    }

    pub(super) fn sys_fstatat64(&mut self, p: &mut Process, a: [u32; 6]) -> Outcome {
        let [dirfd, path, buf, flags, ..] = a;
        match self.stat_at(p, dirfd, path, flags) {
            Ok(st) => self.put_stat(p, buf, Ok(st), false),
            Err(o) => o,
        }
    }

    pub(super) fn sys_statx(&mut self, p: &mut Process, a: [u32; 6]) -> Outcome {
        let [dirfd, path, flags, _mask, buf, _] = a;
        match self.stat_at(p, dirfd, path, flags) {
            Ok(st) => self.put_stat(p, buf, Ok(st), true),
            Err(o) => o,
        }
    }

    /// getdents64(2): as many `linux_dirent64` records as fit; the offset is
    /// the entry's index, so 32-bit readdir never sees a hash it cannot hold.
    pub(super) fn sys_getdents64(
        &mut self,
        p: &mut Process,
        fd: u32,
        buf: u32,
        count: u32,
    ) -> Outcome {
        let f = match p.fds.get(fd) {
            Ok(f) => f,
            Err(e) => return Outcome::Err(e),
        };
        let mut out = Vec::new();
        {
            let mut file = f.borrow_mut();
            let start = file.offset as usize;
            let FileKind::Dir(list) = &file.kind else {
                return Outcome::Err(ENOTDIR);
            };
            let mut next = start;
            for (ino, kind, name) in list.entries.iter().skip(start) {
                let reclen = (19 + name.len() + 1).div_ceil(8) * 8;
                if out.len() + reclen > count as usize {
                    break;
                }
                next += 1;
                let at = out.len();
                out.resize(at + reclen, 0);
                out[at..at + 8].copy_from_slice(&ino.to_le_bytes());
                out[at + 8..at + 16].copy_from_slice(&(next as u64).to_le_bytes());
                out[at + 16..at + 18].copy_from_slice(&(reclen as u16).to_le_bytes());
                out[at + 18] = *kind;
                out[at + 19..at + 19 + name.len()].copy_from_slice(name);
            }
            if out.is_empty() && next < list.entries.len() {
                return Outcome::Err(EINVAL);
            }
            file.offset = next as u64;
        }
        match self.copy_to_user(p, buf, &out) {
            Ok(()) => Outcome::Value(out.len() as u32),
            Err(e) => self.copy_failed(p, e),
        }
    }

    /// access, faccessat, faccessat2: writes are EROFS outside `--rw`.
    pub(super) fn sys_faccessat(
        &mut self,
        p: &mut Process,
        dirfd: u32,
        path: u32,
        mode: u32,
        flags: u32,
    ) -> Outcome {
        let follow = flags & AT_SYMLINK_NOFOLLOW == 0;
        let (node, _) = match self.node_at(p, dirfd, path, follow) {
            Ok(n) => n,
            Err(o) => return o,
        };
        if let Err(e) = self.stat_node(&node) {
            return Outcome::Err(e);
        }
        if mode & 2 != 0 {
            if let Err(e) = self.view.check_write(&node) {
                return Outcome::Err(e);
            }
        }
        let Node::Host(host) = &node else {
            return Outcome::Value(0);
        };
        let access = rustix::fs::Access::from_bits_truncate(mode & 7);
        match rustix::fs::access(host, access) {
            Ok(()) => Outcome::Value(0),
            Err(e) => Outcome::Err(Errno(e.raw_os_error())),
        }
    }

    /// readlink, readlinkat: the link's target, cut to `size`, no NUL.
    pub(super) fn sys_readlinkat(
        &mut self,
        p: &mut Process,
        dirfd: u32,
        path: u32,
        buf: u32,
        size: u32,
    ) -> Outcome {
        if (size as i32) <= 0 {
            return Outcome::Err(EINVAL);
        }
        let (node, _) = match self.node_at(p, dirfd, path, false) {
            Ok(n) => n,
            Err(o) => return o,
        };
        let target = match link_target(&node) {
            Ok(t) => t,
            Err(e) => return Outcome::Err(e),
        };
        let n = target.len().min(size as usize);
        match self.copy_to_user(p, buf, &target[..n]) {
            Ok(()) => Outcome::Value(n as u32),
            Err(e) => self.copy_failed(p, e),
        }
    }

    /// A file as the process itself would open it read-only (`path`
    /// resolved from its working directory, /proc answered from it), for a
    /// debugger's host I/O: nothing in the process changes.
    pub fn peek_open(&self, p: &Process, path: &[u8]) -> Result<PeekedFile, Errno> {
        match self.resolve_at(p, AT_FDCWD, path, true)? {
            Node::Host(h) if h.is_dir() => Err(EISDIR),
            Node::Host(h) => std::fs::File::open(h)
                .map(PeekedFile::Host)
                .map_err(|e| errno_of(&e)),
            Node::Proc(ProcNode::File(_, which)) => Ok(PeekedFile::Bytes(self.proc_file(p, which))),
            Node::Proc(ProcNode::Dir(..)) => Err(EISDIR),
            Node::Dev(Device::Null) => Ok(PeekedFile::Bytes(Vec::new())),
            // Endless or the console's: nothing a debugger reads as a file.
            _ => Err(EINVAL),
        }
    }

    /// What readlink(2) of `path` would give the process.
    pub fn peek_link(&self, p: &Process, path: &[u8]) -> Result<Vec<u8>, Errno> {
        link_target(&self.resolve_at(p, AT_FDCWD, path, false)?)
    }

    pub(super) fn sys_getcwd(&mut self, p: &mut Process, buf: u32, size: u32) -> Outcome {
        let mut cwd = p.cwd.as_os_str().as_encoded_bytes().to_vec();
        cwd.push(0);
        if (size as usize) < cwd.len() {
            return Outcome::Err(ERANGE);
        }
        match self.copy_to_user(p, buf, &cwd) {
            Ok(()) => Outcome::Value(cwd.len() as u32),
            Err(e) => self.copy_failed(p, e),
        }
    }

    pub(super) fn sys_chdir(&mut self, p: &mut Process, path: u32) -> Outcome {
        let (node, _) = match self.node_at(p, AT_FDCWD, path, true) {
            Ok(n) => n,
            Err(o) => return o,
        };
        match node {
            Node::Host(h) => match std::fs::metadata(&h) {
                Ok(m) if m.is_dir() => {
                    p.cwd = h;
                    Outcome::Value(0)
                }
                Ok(_) => Outcome::Err(ENOTDIR),
                Err(e) => Outcome::Err(errno_of(&e)),
            },
            Node::Proc(ProcNode::Dir(..)) => Outcome::Err(EACCES),
            _ => Outcome::Err(ENOTDIR),
        }
    }

    pub(super) fn sys_fchdir(&mut self, p: &mut Process, fd: u32) -> Outcome {
        let f = match p.fds.get(fd) {
            Ok(f) => f,
            Err(e) => return Outcome::Err(e),
        };
        let f = f.borrow();
        match &f.kind {
            FileKind::Dir(_) if f.path.starts_with('/') && !f.path.starts_with("/proc") => {
                p.cwd = PathBuf::from(&f.path);
                Outcome::Value(0)
            }
            _ => Outcome::Err(ENOTDIR),
        }
    }

    pub(super) fn sys_umask(&mut self, p: &mut Process, mask: u32) -> Outcome {
        let old = p.umask;
        p.umask = mask & 0o777;
        Outcome::Value(old)
    }

    /// The host path `node` names, if the guest may change it (create,
    /// remove, rename): inside an `--rw` directory.
    fn changeable(&self, node: &Node) -> Result<PathBuf, Errno> {
        self.view.check_write(node)?;
        match node {
            Node::Host(h) => Ok(h.clone()),
            _ => Err(EACCES),
        }
    }

    /// unlink, unlinkat, rmdir.
    pub(super) fn sys_unlinkat(
        &mut self,
        p: &mut Process,
        dirfd: u32,
        path: u32,
        flags: u32,
    ) -> Outcome {
        let (node, _) = match self.node_at(p, dirfd, path, false) {
            Ok(n) => n,
            Err(o) => return o,
        };
        let host = match self.changeable(&node) {
            Ok(h) => h,
            Err(e) => return Outcome::Err(e),
        };
        let r = if flags & AT_REMOVEDIR != 0 {
            std::fs::remove_dir(&host)
        } else {
            match std::fs::symlink_metadata(&host) {
                Ok(m) if m.is_dir() => return Outcome::Err(EISDIR),
                _ => std::fs::remove_file(&host),
            }
        };
        host_done(r)
    }

    pub(super) fn sys_mkdirat(
        &mut self,
        p: &mut Process,
        dirfd: u32,
        path: u32,
        mode: u32,
    ) -> Outcome {
        let (node, _) = match self.node_at(p, dirfd, path, false) {
            Ok(n) => n,
            Err(o) => return o,
        };
        if self.stat_node(&node).is_ok() {
            return Outcome::Err(EEXIST);
        }
        let host = match self.changeable(&node) {
            Ok(h) => h,
            Err(e) => return Outcome::Err(e),
        };
        match std::fs::DirBuilder::new()
            .mode(mode & 0o7777 & !p.umask)
            .create(&host)
        {
            Ok(()) => Outcome::Value(0),
            Err(e) => Outcome::Err(errno_of(&e)),
        }
    }

    /// rename, renameat, renameat2 (flags 0 only).
    pub(super) fn sys_renameat2(&mut self, p: &mut Process, a: [u32; 6]) -> Outcome {
        let [olddir, oldpath, newdir, newpath, flags, _] = a;
        if flags != 0 {
            return Outcome::Err(EINVAL);
        }
        let (from, _) = match self.node_at(p, olddir, oldpath, false) {
            Ok(n) => n,
            Err(o) => return o,
        };
        let (to, _) = match self.node_at(p, newdir, newpath, false) {
            Ok(n) => n,
            Err(o) => return o,
        };
        let (from, to) = match (self.changeable(&from), self.changeable(&to)) {
            (Ok(f), Ok(t)) => (f, t),
            (Err(e), _) | (_, Err(e)) => return Outcome::Err(e),
        };
        host_done(std::fs::rename(from, to))
    }

    pub(super) fn sys_symlinkat(
        &mut self,
        p: &mut Process,
        target: u32,
        dirfd: u32,
        path: u32,
    ) -> Outcome {
        let target = match self.path_arg(p, target) {
            Ok(t) => t,
            Err(o) => return o,
        };
        let (node, _) = match self.node_at(p, dirfd, path, false) {
            Ok(n) => n,
            Err(o) => return o,
        };
        let host = match self.changeable(&node) {
            Ok(h) => h,
            Err(e) => return Outcome::Err(e),
        };
        let target = PathBuf::from(String::from_utf8_lossy(&target).into_owned());
        host_done(std::os::unix::fs::symlink(target, host))
    }

    /// ftruncate, ftruncate64: only a file opened for writing (which only
    /// happens under `--rw`).
    pub(super) fn sys_ftruncate(&mut self, p: &mut Process, fd: u32, len: u64) -> Outcome {
        let f = match p.fds.get(fd) {
            Ok(f) => f,
            Err(e) => return Outcome::Err(e),
        };
        let f = f.borrow();
        if !f.writable() {
            return Outcome::Err(if matches!(f.kind, FileKind::Host(_)) {
                EINVAL
            } else {
                EBADF
            });
        }
        match &f.kind {
            FileKind::Host(h) => host_done(h.set_len(len)),
            _ => Outcome::Err(EINVAL),
        }
    }

    /// `/proc/PID/maps`: the guest's VMAs, named as Linux names them.
    pub fn maps_text(&self, p: &Process) -> String {
        let Some(mm) = p.mm.as_ref() else {
            return String::new();
        };
        let mut out = String::new();
        for v in mm.vmas.iter() {
            let (dev, ino) = v.dev_ino();
            out += &crate::fs::proc::maps_line(
                v.start.0,
                v.end.0,
                &v.perms(),
                v.backing.offset_at(v.start),
                dev,
                ino,
                &v.name(),
            );
            out.push('\n');
        }
        out
    }

    fn status_text(&self, p: &Process) -> String {
        let kb = |pages: u64| pages * 4;
        let (mut vm, mut rss, mut stack, mut data, mut exe) = (0u64, 0u64, 0u64, 0u64, 0u64);
        if let Some(mm) = p.mm.as_ref() {
            for v in mm.vmas.iter() {
                let pages = v.pages() as u64;
                vm += pages;
                rss += mm.resident_in(self.machine.mmu(), v.start, v.end) as u64;
                match v.kind {
                    crate::vma::VmaKind::Stack => stack += pages,
                    crate::vma::VmaKind::ElfSegment(_)
                        if v.prot.contains(crate::vma::Prot::EXEC) =>
                    {
                        exe += pages
                    }
                    _ if v.prot.contains(crate::vma::Prot::WRITE) => data += pages,
                    _ => {}
                }
            }
        }
        format!(
            "Name:\t{}\nUmask:\t{:04o}\nState:\tR (running)\nTgid:\t{pid}\nNgid:\t0\nPid:\t{pid}\nPPid:\t0\nTracerPid:\t0\n\
             Uid:\t{UID}\t{UID}\t{UID}\t{UID}\nGid:\t{UID}\t{UID}\t{UID}\t{UID}\nFDSize:\t64\nGroups:\t\n\
             VmPeak:\t{:>8} kB\nVmSize:\t{:>8} kB\nVmRSS:\t{:>8} kB\nVmData:\t{:>8} kB\nVmStk:\t{:>8} kB\nVmExe:\t{:>8} kB\nThreads:\t1\n",
            String::from_utf8_lossy(&p.comm),
            p.umask,
            kb(vm),
            kb(vm),
            kb(rss),
            kb(data),
            kb(stack),
            kb(exe),
            pid = p.pid,
        )
    }

    fn stat_text(&self, p: &Process) -> String {
        let (start, brk) = p.mm.as_ref().map_or((0, 0), |m| (m.brk_start.0, m.brk.0));
        format!(
            "{} ({}) R 0 {pid} {pid} 0 -1 4194304 0 0 0 0 0 0 0 0 20 0 1 0 0 {} 0 18446744073709551615 0 0 0 0 0 0 0 0 0 0 0 0 17 0 0 0 0 0 0 {start} {brk}\n",
            p.pid,
            String::from_utf8_lossy(&p.comm),
            self.config.machine.mem_bytes,
            pid = p.pid,
        )
    }

    fn meminfo_text(&self) -> String {
        let total = self.frames.total_frames() as u64 * 4;
        let free = self.frames.free_frames() as u64 * 4;
        format!(
            "MemTotal:       {total:>8} kB\nMemFree:        {free:>8} kB\nMemAvailable:   {free:>8} kB\n\
             Buffers:               0 kB\nCached:                0 kB\nSwapTotal:             0 kB\nSwapFree:              0 kB\n"
        )
    }
}

/// `.` and `..`, the first entries of every directory listing.
fn dots() -> DirList {
    DirList {
        entries: vec![(1, 4, b".".to_vec()), (1, 4, b"..".to_vec())],
    }
}

/// A host directory's entries, in the host's order, after `.` and `..`.
fn list_dir(path: &Path) -> Result<DirList, Errno> {
    let mut list = dots();
    for e in std::fs::read_dir(path).map_err(|e| errno_of(&e))?.flatten() {
        let (ino, kind) = match e.metadata() {
            Ok(m) => (m.ino(), dirent_type(m.mode())),
            Err(_) => (0, 0),
        };
        list.entries
            .push((ino, kind, e.file_name().into_encoded_bytes()));
    }
    Ok(list)
}

/// argv or envp as /proc shows them: each string with its NUL.
fn nul_joined(list: &[Vec<u8>]) -> Vec<u8> {
    let mut out = Vec::new();
    for s in list {
        out.extend_from_slice(s);
        out.push(0);
    }
    out
}

/// The host's O_NOFOLLOW: the resolver already followed every link, so a
/// link appearing at the last moment is refused rather than followed.
fn libc_o_nofollow() -> i32 {
    O_NOFOLLOW as i32
}
