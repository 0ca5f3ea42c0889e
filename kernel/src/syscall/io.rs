//! Reading and writing through descriptors: read, write, their vector and
//! positioned forms, lseek, sendfile. What a read or write does depends on
//! what the descriptor's open file is (`fd.rs`): a console stream, a host
//! file, generated contents, a device or a pipe.

use super::outcome::Outcome;
use crate::errno::{Errno, EAGAIN, EBADF, EFAULT, EINVAL, EIO, EISDIR, EOVERFLOW, ESPIPE};
use crate::fd::{FileKind, FileRef, Stream, O_APPEND, O_NONBLOCK, PIPE_CAPACITY};
use crate::kernel::Kernel;
use crate::process::Process;
use crate::signal::Death;
use crate::sleep::Block;
use crate::uaccess::CopyError;
use std::io::{ErrorKind, Read, Write};
use std::os::unix::fs::FileExt;

/// Linux's UIO_MAXIOV.
const IOV_MAX: u32 = 1024;
/// Linux's MAX_RW_COUNT: one read or write moves at most this much.
const MAX_RW_COUNT: u32 = i32::MAX as u32 & !0xfff;
/// Copy at most this much per step, so a huge count does not mean a huge host buffer.
const CHUNK: u32 = 64 << 10;

/// Where a transfer happens: at the file's offset (advancing it), or at an
/// explicit position (pread, pwrite: the offset stays).
#[derive(Clone, Copy, PartialEq, Eq)]
enum At {
    Offset,
    Pos(u64),
}

/// A host I/O error as the errno a Linux file would give.
pub(super) fn host_errno(e: &std::io::Error) -> Errno {
    e.raw_os_error().map_or(EIO, Errno)
}

/// What read and write check before any data moves, in Linux's order: the
/// descriptor and its mode (EBADF), a zero count (done: 0), and the whole
/// buffer inside user space (access_ok, EFAULT). Err is the call's answer.
fn checked(p: &Process, fd: u32, buf: u32, count: u32, writing: bool) -> Result<FileRef, Outcome> {
    let f = p.fds.get(fd).map_err(Outcome::Err)?;
    let allowed = if writing {
        f.borrow().writable()
    } else {
        f.borrow().readable()
    };
    if !allowed {
        return Err(Outcome::Err(EBADF));
    }
    if count == 0 {
        return Err(Outcome::Value(0));
    }
    if !crate::layout::in_user_space(buf, count) {
        return Err(Outcome::Err(EFAULT));
    }
    Ok(f)
}

impl Kernel {
    /// Read from `f` into `out`: how many bytes came, 0 at end of file.
    fn read_file(&mut self, f: &FileRef, out: &mut [u8], at: At) -> Result<usize, Outcome> {
        let mut file = f.borrow_mut();
        let pos = match at {
            At::Offset => file.offset,
            At::Pos(p) => p,
        };
        let nonblock = file.flags & O_NONBLOCK != 0;
        let n = match &mut file.kind {
            FileKind::Console(Stream::Stdin) => loop {
                match self.console.stdin.read(out) {
                    Ok(n) => break n,
                    Err(e) if e.kind() == ErrorKind::Interrupted => continue,
                    Err(_) => return Err(Outcome::Err(EIO)),
                }
            },
            // The output streams are write-only here (a terminal would let
            // stdout be read, but a pipe or a file would not).
            FileKind::Console(_) => return Err(Outcome::Err(EBADF)),
            FileKind::Host(h) => {
                let mut done = 0;
                while done < out.len() {
                    match h.read_at(&mut out[done..], pos + done as u64) {
                        Ok(0) => break,
                        Ok(n) => done += n,
                        Err(e) if e.kind() == ErrorKind::Interrupted => {}
                        Err(e) if done == 0 => return Err(Outcome::Err(host_errno(&e))),
                        Err(_) => break,
                    }
                }
                done
            }
            FileKind::Dir(_) => return Err(Outcome::Err(EISDIR)),
            FileKind::Generated(bytes) => {
                let from = (pos as usize).min(bytes.len());
                let n = (bytes.len() - from).min(out.len());
                out[..n].copy_from_slice(&bytes[from..from + n]);
                n
            }
            FileKind::Null => 0,
            FileKind::Zero => {
                out.fill(0);
                out.len()
            }
            FileKind::Random => {
                self.random.fill(out);
                out.len()
            }
            FileKind::PipeRead(end) => {
                let mut pipe = end.borrow_mut();
                if pipe.buf.is_empty() {
                    if pipe.writers == 0 {
                        0
                    } else if nonblock {
                        return Err(Outcome::Err(EAGAIN));
                    } else if self.procs.parked.is_empty() {
                        return Err(Outcome::Kill(Box::new(Death::Deadlock {
                            why: "read from an empty pipe whose only writer is this process",
                        })));
                    } else {
                        let (pipe, call) = (end.clone(), "read");
                        return Err(Outcome::Block(Box::new(Block::PipeRead { pipe, call })));
                    }
                } else {
                    let n = pipe.buf.len().min(out.len());
                    for (o, b) in out.iter_mut().zip(pipe.buf.drain(..n)) {
                        *o = b;
                    }
                    n
                }
            }
            FileKind::PipeWrite(_) => return Err(Outcome::Err(EBADF)),
        };
        if at == At::Offset && matches!(file.kind, FileKind::Host(_) | FileKind::Generated(_)) {
            file.offset = pos + n as u64;
        }
        Ok(n)
    }

    /// Write `data` to `f`: how many bytes it took.
    fn write_file(&mut self, f: &FileRef, data: &[u8], at: At) -> Result<usize, Outcome> {
        let mut file = f.borrow_mut();
        let append = file.flags & O_APPEND != 0;
        let nonblock = file.flags & O_NONBLOCK != 0;
        let mut pos = match at {
            At::Offset => file.offset,
            At::Pos(p) => p,
        };
        let n = match &mut file.kind {
            FileKind::Console(Stream::Stdin) => return Err(Outcome::Err(EBADF)),
            FileKind::Console(s) => {
                let out: &mut dyn Write = if *s == Stream::Stdout {
                    &mut self.console.stdout
                } else {
                    &mut self.console.stderr
                };
                match out.write_all(data).and_then(|_| out.flush()) {
                    Ok(()) => data.len(),
                    // No reader: Linux raises SIGPIPE, whose default action kills.
                    Err(e) if e.kind() == ErrorKind::BrokenPipe => {
                        return Err(Outcome::Kill(Box::new(Death::BrokenPipe)))
                    }
                    Err(_) => return Err(Outcome::Err(EIO)),
                }
            }
            FileKind::Host(h) => {
                if append {
                    pos = h
                        .metadata()
                        .map_err(|e| Outcome::Err(host_errno(&e)))?
                        .len();
                }
                h.write_all_at(data, pos)
                    .map_err(|e| Outcome::Err(host_errno(&e)))?;
                data.len()
            }
            FileKind::Dir(_) => return Err(Outcome::Err(EISDIR)),
            FileKind::Generated(_) | FileKind::PipeRead(_) => return Err(Outcome::Err(EBADF)),
            FileKind::Null | FileKind::Zero | FileKind::Random => data.len(),
            FileKind::PipeWrite(end) => {
                let mut pipe = end.borrow_mut();
                if pipe.readers == 0 {
                    return Err(Outcome::Kill(Box::new(Death::BrokenPipe)));
                }
                let room = PIPE_CAPACITY - pipe.buf.len();
                if room == 0 {
                    if nonblock {
                        return Err(Outcome::Err(EAGAIN));
                    }
                    if self.procs.parked.is_empty() {
                        return Err(Outcome::Kill(Box::new(Death::Deadlock {
                            why: "write to a full pipe whose only reader is this process",
                        })));
                    }
                    let (pipe, call) = (end.clone(), "write");
                    return Err(Outcome::Block(Box::new(Block::PipeWrite { pipe, call })));
                }
                let n = room.min(data.len());
                pipe.buf.extend(&data[..n]);
                n
            }
        };
        if at == At::Offset && matches!(file.kind, FileKind::Host(_)) {
            file.offset = pos + n as u64;
        }
        Ok(n)
    }

    /// read(2) and pread64(2).
    fn read_into_user(
        &mut self,
        p: &mut Process,
        fd: u32,
        buf: u32,
        count: u32,
        at: At,
    ) -> Outcome {
        let f = match checked(p, fd, buf, count, false) {
            Ok(f) => f,
            Err(done) => return done,
        };
        // Find the room before taking input, so a bad buffer leaves the
        // input unread (as a file or pipe keeps it) and a buffer that runs
        // into a hole gets a short read, as from a regular file.
        let room = match self.writable_len(p, buf, count.min(CHUNK)) {
            Ok(0) => return Outcome::Err(EFAULT),
            Ok(n) => n,
            Err(e) => return self.copy_failed(p, e),
        };
        let mut data = vec![0u8; room as usize];
        let n = match self.read_file(&f, &mut data, at) {
            Ok(n) => n,
            Err(o) => return o,
        };
        match self.copy_to_user(p, buf, &data[..n]) {
            Ok(()) => Outcome::Value(n as u32),
            Err(e) => self.copy_failed(p, e),
        }
    }

    pub(super) fn sys_read(&mut self, p: &mut Process, fd: u32, buf: u32, count: u32) -> Outcome {
        self.read_into_user(p, fd, buf, count, At::Offset)
    }

    pub(super) fn sys_pread64(&mut self, p: &mut Process, a: [u32; 6]) -> Outcome {
        match positioned(&p.fds.get(a[0]), a[3], a[4]) {
            Ok(pos) => self.read_into_user(p, a[0], a[1], a[2], At::Pos(pos)),
            Err(e) => Outcome::Err(e),
        }
    }

    /// write(2) and pwrite64(2).
    fn write_from_user(
        &mut self,
        p: &mut Process,
        fd: u32,
        buf: u32,
        count: u32,
        at: At,
    ) -> Outcome {
        let f = match checked(p, fd, buf, count, true) {
            Ok(f) => f,
            Err(done) => return done,
        };
        let count = count.min(MAX_RW_COUNT);
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
            let step = match at {
                At::Offset => At::Offset,
                At::Pos(pos) => At::Pos(pos + written as u64),
            };
            match self.write_file(&f, &data, step) {
                Ok(n) => {
                    written += n as u32;
                    if n < data.len() {
                        break;
                    }
                }
                Err(o) if written == 0 => return o,
                Err(Outcome::Kill(d)) => return Outcome::Kill(d),
                Err(_) => break,
            }
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

    pub(super) fn sys_write(&mut self, p: &mut Process, fd: u32, buf: u32, count: u32) -> Outcome {
        self.write_from_user(p, fd, buf, count, At::Offset)
    }

    pub(super) fn sys_pwrite64(&mut self, p: &mut Process, a: [u32; 6]) -> Outcome {
        match positioned(&p.fds.get(a[0]), a[3], a[4]) {
            Ok(pos) => self.write_from_user(p, a[0], a[1], a[2], At::Pos(pos)),
            Err(e) => Outcome::Err(e),
        }
    }

    /// The `(base, len)` pairs of an iovec array, checked as __import_iovec:
    /// a negative length is EINVAL, a vector outside user space EFAULT, and
    /// the total is clipped to MAX_RW_COUNT.
    fn iovec(
        &mut self,
        p: &mut Process,
        iov: u32,
        iovcnt: u32,
    ) -> Result<Vec<(u32, u32)>, Outcome> {
        if iovcnt > IOV_MAX || (iovcnt as i32) < 0 {
            return Err(Outcome::Err(EINVAL));
        }
        let mut raw = Vec::new();
        if let Err(e) = self.copy_from_user(p, iov, iovcnt * 8, &mut raw) {
            return Err(self.copy_failed(p, e));
        }
        let word = |i: usize| u32::from_le_bytes([raw[i], raw[i + 1], raw[i + 2], raw[i + 3]]);
        let vecs: Vec<(u32, u32)> = (0..iovcnt as usize)
            .map(|i| (word(8 * i), word(8 * i + 4)))
            .collect();
        if vecs.iter().any(|&(_, len)| (len as i32) < 0) {
            return Err(Outcome::Err(EINVAL));
        }
        if vecs
            .iter()
            .any(|&(base, len)| !crate::layout::in_user_space(base, len))
        {
            return Err(Outcome::Err(EFAULT));
        }
        let mut left = MAX_RW_COUNT;
        Ok(vecs
            .into_iter()
            .map(|(base, len)| {
                let len = len.min(left);
                left -= len;
                (base, len)
            })
            .collect())
    }

    /// readv(2) and writev(2): one buffer after another, stopping at the
    /// first short transfer.
    fn vectored(
        &mut self,
        p: &mut Process,
        fd: u32,
        iov: u32,
        iovcnt: u32,
        write: bool,
    ) -> Outcome {
        if let Err(e) = p.fds.get(fd) {
            return Outcome::Err(e);
        }
        if iovcnt == 0 {
            return Outcome::Value(0);
        }
        let vecs = match self.iovec(p, iov, iovcnt) {
            Ok(v) => v,
            Err(o) => return o,
        };
        let mut done = 0u32;
        for (base, len) in vecs {
            if len == 0 {
                continue;
            }
            let r = if write {
                self.write_from_user(p, fd, base, len, At::Offset)
            } else {
                self.read_into_user(p, fd, base, len, At::Offset)
            };
            match r {
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

    pub(super) fn sys_writev(
        &mut self,
        p: &mut Process,
        fd: u32,
        iov: u32,
        iovcnt: u32,
    ) -> Outcome {
        self.vectored(p, fd, iov, iovcnt, true)
    }

    pub(super) fn sys_readv(&mut self, p: &mut Process, fd: u32, iov: u32, iovcnt: u32) -> Outcome {
        self.vectored(p, fd, iov, iovcnt, false)
    }

    /// Move the offset of `fd`: the new offset, or why not.
    fn seek(&mut self, p: &Process, fd: u32, off: i64, whence: u32) -> Result<u64, Errno> {
        let f = p.fds.get(fd)?;
        let mut file = f.borrow_mut();
        let end = match &file.kind {
            FileKind::Host(h) => h.metadata().map_err(|e| host_errno(&e))?.len() as i64,
            FileKind::Generated(b) => b.len() as i64,
            FileKind::Dir(d) => d.entries.len() as i64,
            FileKind::Null | FileKind::Zero | FileKind::Random => 0,
            FileKind::Console(_) | FileKind::PipeRead(_) | FileKind::PipeWrite(_) => {
                return Err(ESPIPE)
            }
        };
        let base = match whence {
            0 => 0,
            1 => file.offset as i64,
            2 => end,
            _ => return Err(EINVAL),
        };
        let new = base.checked_add(off).filter(|&n| n >= 0).ok_or(EINVAL)?;
        file.offset = new as u64;
        Ok(new as u64)
    }

    /// lseek(2): a 32-bit offset; one past 2 GiB is EOVERFLOW.
    pub(super) fn sys_lseek(&mut self, p: &mut Process, fd: u32, off: u32, whence: u32) -> Outcome {
        match self.seek(p, fd, off as i32 as i64, whence) {
            Ok(n) if n > i32::MAX as u64 => Outcome::Err(EOVERFLOW),
            Ok(n) => Outcome::Value(n as u32),
            Err(e) => Outcome::Err(e),
        }
    }

    /// _llseek(2): the 64-bit offset in two halves, the result stored at `result`.
    pub(super) fn sys_llseek(&mut self, p: &mut Process, a: [u32; 6]) -> Outcome {
        let [fd, hi, lo, result, whence, _] = a;
        let off = ((hi as u64) << 32 | lo as u64) as i64;
        match self.seek(p, fd, off, whence) {
            Ok(n) => match self.copy_to_user(p, result, &n.to_le_bytes()) {
                Ok(()) => Outcome::Value(0),
                Err(e) => self.copy_failed(p, e),
            },
            Err(e) => Outcome::Err(e),
        }
    }

    /// sendfile64(2): copy from one descriptor to another in the kernel.
    pub(super) fn sys_sendfile64(&mut self, p: &mut Process, a: [u32; 6]) -> Outcome {
        let [out_fd, in_fd, offp, count, ..] = a;
        let (src, dst) = match (p.fds.get(in_fd), p.fds.get(out_fd)) {
            (Ok(s), Ok(d)) => (s, d),
            _ => return Outcome::Err(EBADF),
        };
        if !src.borrow().readable() || !dst.borrow().writable() {
            return Outcome::Err(EBADF);
        }
        let mut pos = match offp {
            0 => None,
            _ => match self.read_user_u64(p, offp) {
                Ok(v) => Some(v),
                Err(e) => return self.copy_failed(p, e),
            },
        };
        let mut buf = vec![0u8; count.min(CHUNK) as usize];
        let mut done = 0usize;
        while done < count as usize {
            let want = (count as usize - done).min(buf.len());
            let at = pos.map_or(At::Offset, At::Pos);
            let n = match self.read_file(&src, &mut buf[..want], at) {
                Ok(0) => break,
                Ok(n) => n,
                Err(o) if done == 0 => return o,
                Err(_) => break,
            };
            match self.write_file(&dst, &buf[..n], At::Offset) {
                Ok(w) => {
                    done += w;
                    if let Some(q) = pos.as_mut() {
                        *q += w as u64;
                    }
                    if w < n {
                        break;
                    }
                }
                Err(o) if done == 0 => return o,
                Err(Outcome::Kill(d)) => return Outcome::Kill(d),
                Err(_) => break,
            }
        }
        if let (Some(q), true) = (pos, offp != 0) {
            if let Err(e) = self.copy_to_user(p, offp, &q.to_le_bytes()) {
                return self.copy_failed(p, e);
            }
        }
        Outcome::Value(done as u32)
    }
}

/// The 64-bit position of pread64/pwrite64 (low, high), for a file that can
/// be positioned: ESPIPE for pipes and the console, EINVAL if negative.
fn positioned(f: &Result<FileRef, Errno>, lo: u32, hi: u32) -> Result<u64, Errno> {
    let f = f.as_ref().map_err(|e| *e)?;
    if matches!(
        f.borrow().kind,
        FileKind::Console(_) | FileKind::PipeRead(_) | FileKind::PipeWrite(_)
    ) {
        return Err(ESPIPE);
    }
    let pos = (hi as u64) << 32 | lo as u64;
    if (pos as i64) < 0 {
        return Err(EINVAL);
    }
    Ok(pos)
}
