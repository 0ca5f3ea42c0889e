//! File descriptors: a process's table of small numbers, each naming an
//! open file description (what `open` made: the file, the offset, the
//! status flags), which `dup` and (later) `fork` share.
//!
//! What an open file can be: one of the console streams the kernel was
//! given (the host's stdin, stdout, stderr, or a test's buffers), a host
//! file or directory seen through the file view (`fs/`), a file whose
//! contents the kernel made up at open (`/proc/self/maps`), a device
//! (`/dev/null`, `/dev/zero`, `/dev/urandom`), or one end of a pipe.

use crate::errno::{Errno, EBADF, EMFILE};
use std::cell::RefCell;
use std::collections::VecDeque;
use std::rc::Rc;

/// Linux's default RLIMIT_NOFILE soft limit.
pub const NOFILE: u32 = 1024;

/// `open` flags (asm-generic/fcntl.h, as i386 has them).
pub const O_ACCMODE: u32 = 3;
pub const O_RDONLY: u32 = 0;
pub const O_WRONLY: u32 = 1;
pub const O_RDWR: u32 = 2;
pub const O_CREAT: u32 = 0o100;
pub const O_EXCL: u32 = 0o200;
pub const O_NOCTTY: u32 = 0o400;
pub const O_TRUNC: u32 = 0o1000;
pub const O_APPEND: u32 = 0o2000;
pub const O_NONBLOCK: u32 = 0o4000;
pub const O_DIRECTORY: u32 = 0o200000;
pub const O_NOFOLLOW: u32 = 0o400000;
pub const O_CLOEXEC: u32 = 0o2000000;
pub const O_PATH: u32 = 0o10000000;
pub const O_LARGEFILE: u32 = 0o100000;

/// The console stream a descriptor reaches.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stream {
    Stdin,
    Stdout,
    Stderr,
}

/// A directory's entries, read when it was opened: (inode, type, name).
#[derive(Debug, Default)]
pub struct DirList {
    pub entries: Vec<(u64, u8, Vec<u8>)>,
}

/// The bytes in a pipe and who still holds its ends.
#[derive(Debug, Default)]
pub struct Pipe {
    pub buf: VecDeque<u8>,
    pub readers: u32,
    pub writers: u32,
}

/// Linux's default pipe capacity (16 pages).
pub const PIPE_CAPACITY: usize = 16 * 4096;

#[derive(Debug)]
pub enum FileKind {
    Console(Stream),
    /// A regular file (or anything else the host opened for us).
    Host(std::fs::File),
    Dir(DirList),
    /// Contents made when the file was opened (`/proc/self/maps`).
    Generated(Vec<u8>),
    /// `/dev/null`: reads give EOF, writes vanish.
    Null,
    /// `/dev/zero`: reads give zeroes, writes vanish.
    Zero,
    /// `/dev/urandom` and `/dev/random`: the kernel's random source.
    Random,
    PipeRead(Rc<RefCell<Pipe>>),
    PipeWrite(Rc<RefCell<Pipe>>),
}

/// An open file description.
#[derive(Debug)]
pub struct OpenFile {
    pub kind: FileKind,
    pub offset: u64,
    /// O_ACCMODE, O_APPEND, O_NONBLOCK, ... as `fcntl(F_GETFL)` shows them.
    pub flags: u32,
    /// The path it was opened by, as the guest sees it (traces, /proc/self/fd).
    pub path: String,
    /// The file as mappings show it, made at its first mmap and shared by
    /// the later ones (so their VMAs can merge).
    pub mapped: Option<std::sync::Arc<crate::vma::MappedFile>>,
}

impl OpenFile {
    pub fn new(kind: FileKind, flags: u32, path: impl Into<String>) -> OpenFile {
        OpenFile {
            kind,
            offset: 0,
            flags,
            path: path.into(),
            mapped: None,
        }
    }
    pub fn readable(&self) -> bool {
        self.flags & O_ACCMODE != O_WRONLY && self.flags & O_PATH == 0
    }
    pub fn writable(&self) -> bool {
        matches!(self.flags & O_ACCMODE, O_WRONLY | O_RDWR) && self.flags & O_PATH == 0
    }
}

impl Drop for OpenFile {
    /// The last descriptor of a pipe end going away is what EOF and EPIPE
    /// are made of.
    fn drop(&mut self) {
        match &self.kind {
            FileKind::PipeRead(p) => p.borrow_mut().readers -= 1,
            FileKind::PipeWrite(p) => p.borrow_mut().writers -= 1,
            _ => {}
        }
    }
}

/// A shared open file description.
pub type FileRef = Rc<RefCell<OpenFile>>;

#[derive(Clone, Debug)]
struct Slot {
    file: FileRef,
    cloexec: bool,
}

/// A process's descriptors.
#[derive(Clone, Debug, Default)]
pub struct FdTable {
    slots: Vec<Option<Slot>>,
}

impl FdTable {
    /// 0, 1 and 2 on the console, as a shell leaves them.
    pub fn console() -> FdTable {
        let mut t = FdTable::default();
        for (stream, flags, name) in [
            (Stream::Stdin, O_RDONLY, "/dev/stdin"),
            (Stream::Stdout, O_WRONLY, "/dev/stdout"),
            (Stream::Stderr, O_WRONLY, "/dev/stderr"),
        ] {
            let file = OpenFile::new(FileKind::Console(stream), flags, name);
            t.install(Rc::new(RefCell::new(file)), false)
                .expect("three descriptors fit");
        }
        t
    }

    pub fn get(&self, fd: u32) -> Result<FileRef, Errno> {
        self.slots
            .get(fd as usize)
            .and_then(|s| s.as_ref())
            .map(|s| s.file.clone())
            .ok_or(EBADF)
    }

    /// The lowest free descriptor at or above `from`.
    fn lowest_free(&self, from: u32) -> Result<u32, Errno> {
        let n = (from as usize..NOFILE as usize)
            .find(|&i| self.slots.get(i).is_none_or(|s| s.is_none()))
            .ok_or(EMFILE)?;
        Ok(n as u32)
    }

    /// Put `file` at the lowest free descriptor (`open`, `dup`).
    pub fn install(&mut self, file: FileRef, cloexec: bool) -> Result<u32, Errno> {
        self.install_from(0, file, cloexec)
    }

    /// Put `file` at the lowest free descriptor at or above `from` (F_DUPFD).
    pub fn install_from(&mut self, from: u32, file: FileRef, cloexec: bool) -> Result<u32, Errno> {
        let fd = self.lowest_free(from)?;
        self.set(fd, file, cloexec);
        Ok(fd)
    }

    /// Make `fd` refer to `file`, closing what it had (`dup2`).
    pub fn set(&mut self, fd: u32, file: FileRef, cloexec: bool) {
        let i = fd as usize;
        if self.slots.len() <= i {
            self.slots.resize(i + 1, None);
        }
        self.slots[i] = Some(Slot { file, cloexec });
    }

    pub fn close(&mut self, fd: u32) -> Result<(), Errno> {
        match self.slots.get_mut(fd as usize) {
            Some(s @ Some(_)) => {
                *s = None;
                Ok(())
            }
            _ => Err(EBADF),
        }
    }

    pub fn cloexec(&self, fd: u32) -> Result<bool, Errno> {
        self.slots
            .get(fd as usize)
            .and_then(|s| s.as_ref())
            .map(|s| s.cloexec)
            .ok_or(EBADF)
    }

    pub fn set_cloexec(&mut self, fd: u32, on: bool) -> Result<(), Errno> {
        match self.slots.get_mut(fd as usize).and_then(|s| s.as_mut()) {
            Some(s) => {
                s.cloexec = on;
                Ok(())
            }
            None => Err(EBADF),
        }
    }

    /// Open descriptors with their files, lowest first (/proc/self/fd).
    pub fn iter(&self) -> impl Iterator<Item = (u32, &FileRef)> {
        self.slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.as_ref().map(|s| (i as u32, &s.file)))
    }

    /// Close the descriptors marked close-on-exec (execve).
    pub fn close_on_exec(&mut self) {
        for s in self.slots.iter_mut() {
            if s.as_ref().is_some_and(|s| s.cloexec) {
                *s = None;
            }
        }
    }

    /// Drop every descriptor (exit).
    pub fn close_all(&mut self) {
        self.slots.clear();
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lowest_free_number_is_taken_and_dup2_replaces() {
        let mut t = FdTable::console();
        t.close(1).unwrap();
        let f = Rc::new(RefCell::new(OpenFile::new(
            FileKind::Null,
            O_RDWR,
            "/dev/null",
        )));
        assert_eq!(t.install(f.clone(), false), Ok(1));
        assert_eq!(t.install(f.clone(), true), Ok(3));
        assert_eq!(t.cloexec(3), Ok(true));
        t.set(0, f.clone(), false);
        assert_eq!(Rc::strong_count(&f), 4);
        assert_eq!(t.close(7), Err(EBADF));
        assert_eq!(t.install_from(10, f, false), Ok(10));
    }

    #[test]
    fn a_pipe_knows_when_its_last_writer_is_gone() {
        let pipe = Rc::new(RefCell::new(Pipe {
            readers: 1,
            writers: 1,
            ..Pipe::default()
        }));
        let w = OpenFile::new(FileKind::PipeWrite(pipe.clone()), O_WRONLY, "pipe:[1]");
        let _r = OpenFile::new(FileKind::PipeRead(pipe.clone()), O_RDONLY, "pipe:[1]");
        drop(w);
        assert_eq!(pipe.borrow().writers, 0);
        assert_eq!(pipe.borrow().readers, 1);
    }
}
