//! poll and ppoll: which descriptors are ready, sleeping until one is.
//!
//! Only pipes can be not ready (the console, files and devices always
//! are), so a poll that must wait sleeps on its pipes ([`Block::Poll`]) and
//! runs again when one changes. With no other process to change them, a
//! poll with a timeout times out at once and one without sleeps forever,
//! which kills it, saying so.

use super::outcome::Outcome;
use crate::errno::{EFAULT, EINVAL};
use crate::fd::{FileKind, Stream, PIPE_CAPACITY};
use crate::kernel::Kernel;
use crate::process::Process;
use crate::signal::Death;
use crate::sleep::Block;

pub const POLLIN: u16 = 0x1;
pub const POLLOUT: u16 = 0x4;
pub const POLLERR: u16 = 0x8;
pub const POLLHUP: u16 = 0x10;
pub const POLLNVAL: u16 = 0x20;
/// Always reported, asked for or not.
const ALWAYS: u16 = POLLERR | POLLHUP | POLLNVAL;

/// Linux's RLIMIT_NOFILE-bound check on nfds.
const MAX_NFDS: u32 = 1024;

impl Kernel {
    /// What `fd` of `p` is ready for now.
    fn ready(&self, p: &Process, fd: u32) -> u16 {
        let Ok(f) = p.fds.get(fd) else {
            return POLLNVAL;
        };
        let f = f.borrow();
        match &f.kind {
            FileKind::PipeRead(pipe) => {
                let pipe = pipe.borrow();
                let data = if pipe.buf.is_empty() { 0 } else { POLLIN };
                data | if pipe.writers == 0 { POLLHUP } else { 0 }
            }
            FileKind::PipeWrite(pipe) => {
                let pipe = pipe.borrow();
                match (pipe.readers, pipe.buf.len() < PIPE_CAPACITY) {
                    (0, _) => POLLERR,
                    (_, true) => POLLOUT,
                    (_, false) => 0,
                }
            }
            FileKind::Console(Stream::Stdin) => POLLIN,
            FileKind::Console(_) => POLLOUT,
            _ => {
                let r = if f.readable() { POLLIN } else { 0 };
                r | if f.writable() { POLLOUT } else { 0 }
            }
        }
    }

    /// poll(fds, nfds, timeout_ms) and ppoll (`timeout`: `None` waits for
    /// ever, `Some(0)` does not wait).
    pub(super) fn sys_poll(
        &mut self,
        p: &mut Process,
        va: u32,
        nfds: u32,
        timeout: Option<u64>,
        call: &'static str,
    ) -> Outcome {
        if nfds > MAX_NFDS {
            return Outcome::Err(EINVAL);
        }
        let mut raw = Vec::new();
        if nfds > 0 {
            if let Err(e) = self.copy_from_user(p, va, nfds * 8, &mut raw) {
                return self.copy_failed(p, e);
            }
        }
        let mut ready = 0;
        let mut pipes = Vec::new();
        for entry in raw.chunks_exact_mut(8) {
            let fd = i32::from_le_bytes(entry[0..4].try_into().expect("4 bytes"));
            let events = u16::from_le_bytes(entry[4..6].try_into().expect("2 bytes"));
            let revents = if fd < 0 {
                0
            } else {
                self.ready(p, fd as u32) & (events | ALWAYS)
            };
            if revents != 0 {
                ready += 1;
            } else if let Ok(f) = p.fds.get(fd.max(0) as u32) {
                match &f.borrow().kind {
                    FileKind::PipeRead(pipe) => pipes.push((pipe.clone(), false)),
                    FileKind::PipeWrite(pipe) => pipes.push((pipe.clone(), true)),
                    _ => {}
                }
            }
            entry[6..8].copy_from_slice(&revents.to_le_bytes());
        }
        let others = self.parked().any(|q| !q.has_exited());
        if ready == 0 && timeout != Some(0) && others && !pipes.is_empty() {
            let finite = timeout.is_some();
            return Outcome::Block(Box::new(Block::Poll {
                pipes,
                finite,
                call,
            }));
        }
        if ready == 0 && timeout.is_none() {
            return Outcome::Kill(Box::new(Death::Deadlock {
                why: "poll on descriptors that no other process can make ready",
            }));
        }
        if nfds > 0 {
            if let Err(e) = self.copy_to_user(p, va, &raw) {
                return self.copy_failed(p, e);
            }
        }
        Outcome::Value(ready)
    }

    /// ppoll's timespec: `None` for NULL (no limit).
    pub(super) fn poll_timeout(
        &mut self,
        p: &mut Process,
        va: u32,
        wide: bool,
    ) -> Result<Option<u64>, Outcome> {
        if va == 0 {
            return Ok(None);
        }
        let len = if wide { 16 } else { 8 };
        let mut b = Vec::new();
        if self.copy_from_user(p, va, len, &mut b).is_err() {
            return Err(Outcome::Err(EFAULT));
        }
        let (sec, nsec) = if wide {
            let s = i64::from_le_bytes(b[0..8].try_into().expect("8 bytes"));
            let n = i64::from_le_bytes(b[8..16].try_into().expect("8 bytes"));
            (s, n)
        } else {
            let s = i32::from_le_bytes(b[0..4].try_into().expect("4 bytes")) as i64;
            let n = i32::from_le_bytes(b[4..8].try_into().expect("4 bytes")) as i64;
            (s, n)
        };
        if sec < 0 || !(0..1_000_000_000).contains(&nsec) {
            return Err(Outcome::Err(EINVAL));
        }
        Ok(Some(sec as u64 * 1000 + nsec as u64 / 1_000_000))
    }
}
