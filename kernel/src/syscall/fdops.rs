//! Calls on descriptors themselves: dup, dup2, dup3, fcntl, pipe, pipe2,
//! and the ioctls a C library asks of a terminal.

use super::outcome::Outcome;
use crate::errno::{EBADF, EINVAL, ENOTTY};
use crate::fd::{
    FileKind, OpenFile, Pipe, Stream, O_APPEND, O_CLOEXEC, O_NONBLOCK, O_RDONLY, O_WRONLY,
};
use crate::kernel::Kernel;
use crate::process::Process;
use std::cell::RefCell;
use std::rc::Rc;

const F_DUPFD: u32 = 0;
const F_GETFD: u32 = 1;
const F_SETFD: u32 = 2;
const F_GETFL: u32 = 3;
const F_SETFL: u32 = 4;
const F_GETLK: u32 = 5;
const F_SETLK: u32 = 6;
const F_SETLKW: u32 = 7;
const F_GETLK64: u32 = 12;
const F_SETLK64: u32 = 13;
const F_SETLKW64: u32 = 14;
const F_DUPFD_CLOEXEC: u32 = 1030;
const FD_CLOEXEC: u32 = 1;
/// F_UNLCK in `struct flock`'s l_type.
const F_UNLCK: u16 = 2;

const TCGETS: u32 = 0x5401;
const TCSETS: u32 = 0x5402;
const TCSETSW: u32 = 0x5403;
const TCSETSF: u32 = 0x5404;
const TIOCGPGRP: u32 = 0x540f;
const TIOCGWINSZ: u32 = 0x5413;
const FIONREAD: u32 = 0x541b;

impl Kernel {
    pub(super) fn sys_dup(&mut self, p: &mut Process, fd: u32) -> Outcome {
        match p.fds.get(fd) {
            Ok(f) => p.fds.install(f, false).into(),
            Err(e) => Outcome::Err(e),
        }
    }

    /// dup2 and dup3 (which refuses `old == new` and takes only O_CLOEXEC).
    pub(super) fn sys_dup3(
        &mut self,
        p: &mut Process,
        old: u32,
        new: u32,
        flags: Option<u32>,
    ) -> Outcome {
        let f = match p.fds.get(old) {
            Ok(f) => f,
            Err(e) => return Outcome::Err(e),
        };
        if let Some(flags) = flags {
            if old == new || flags & !O_CLOEXEC != 0 {
                return Outcome::Err(EINVAL);
            }
        } else if old == new {
            return Outcome::Value(new);
        }
        if new
            >= p.limits[crate::process::RLIMIT_NOFILE]
                .0
                .min(crate::fd::NOFILE as u64) as u32
        {
            return Outcome::Err(EBADF);
        }
        p.fds.set(new, f, flags.is_some_and(|f| f & O_CLOEXEC != 0));
        Outcome::Value(new)
    }

    /// fcntl and fcntl64.
    pub(super) fn sys_fcntl(&mut self, p: &mut Process, fd: u32, cmd: u32, arg: u32) -> Outcome {
        let f = match p.fds.get(fd) {
            Ok(f) => f,
            Err(e) => return Outcome::Err(e),
        };
        match cmd {
            F_DUPFD | F_DUPFD_CLOEXEC => p.fds.install_from(arg, f, cmd == F_DUPFD_CLOEXEC).into(),
            F_GETFD => p.fds.cloexec(fd).map(|c| c as u32 * FD_CLOEXEC).into(),
            F_SETFD => p
                .fds
                .set_cloexec(fd, arg & FD_CLOEXEC != 0)
                .map(|_| 0)
                .into(),
            F_GETFL => Outcome::Value(f.borrow().flags),
            F_SETFL => {
                // Only O_APPEND and O_NONBLOCK (of what this kernel models) can change.
                let keep = O_APPEND | O_NONBLOCK;
                let mut file = f.borrow_mut();
                file.flags = (file.flags & !keep) | (arg & keep);
                Outcome::Value(0)
            }
            // One process: no lock is ever held by anyone else.
            F_SETLK | F_SETLKW | F_SETLK64 | F_SETLKW64 => Outcome::Value(0),
            F_GETLK | F_GETLK64 => match self.copy_to_user(p, arg, &F_UNLCK.to_le_bytes()) {
                Ok(()) => Outcome::Value(0),
                Err(e) => self.copy_failed(p, e),
            },
            _ => Outcome::Err(EINVAL),
        }
    }

    /// pipe and pipe2: two descriptors on one buffer.
    pub(super) fn sys_pipe2(&mut self, p: &mut Process, fds: u32, flags: u32) -> Outcome {
        if flags & !(O_CLOEXEC | O_NONBLOCK) != 0 {
            return Outcome::Err(EINVAL);
        }
        let pipe = Rc::new(RefCell::new(Pipe {
            readers: 1,
            writers: 1,
            ..Pipe::default()
        }));
        let name = format!("pipe:[{}]", Rc::as_ptr(&pipe) as usize & 0xffff_ffff);
        let nb = flags & O_NONBLOCK;
        let r = OpenFile::new(
            FileKind::PipeRead(pipe.clone()),
            O_RDONLY | nb,
            name.clone(),
        );
        let w = OpenFile::new(FileKind::PipeWrite(pipe), O_WRONLY | nb, name);
        let cloexec = flags & O_CLOEXEC != 0;
        let rfd = match p.fds.install(Rc::new(RefCell::new(r)), cloexec) {
            Ok(fd) => fd,
            Err(e) => return Outcome::Err(e),
        };
        let wfd = match p.fds.install(Rc::new(RefCell::new(w)), cloexec) {
            Ok(fd) => fd,
            Err(e) => {
                let _ = p.fds.close(rfd);
                return Outcome::Err(e);
            }
        };
        let mut bytes = rfd.to_le_bytes().to_vec();
        bytes.extend_from_slice(&wfd.to_le_bytes());
        match self.copy_to_user(p, fds, &bytes) {
            Ok(()) => Outcome::Value(0),
            Err(e) => {
                let _ = p.fds.close(rfd);
                let _ = p.fds.close(wfd);
                self.copy_failed(p, e)
            }
        }
    }

    /// Is this console stream the host's terminal?
    fn is_tty(&self, s: Stream) -> bool {
        use std::io::IsTerminal;
        self.console.host
            && match s {
                Stream::Stdin => std::io::stdin().is_terminal(),
                Stream::Stdout => std::io::stdout().is_terminal(),
                Stream::Stderr => std::io::stderr().is_terminal(),
            }
    }

    /// ioctl: the terminal requests on a console stream that is a
    /// terminal (answered from the host's terminal), FIONREAD on pipes;
    /// ENOTTY for everything else, as Linux says for non-terminals.
    pub(super) fn sys_ioctl(&mut self, p: &mut Process, fd: u32, req: u32, arg: u32) -> Outcome {
        let f = match p.fds.get(fd) {
            Ok(f) => f,
            Err(e) => return Outcome::Err(e),
        };
        let (stream, pending) = match &f.borrow().kind {
            FileKind::Console(s) => (Some(*s), None),
            FileKind::PipeRead(pipe) => (None, Some(pipe.borrow().buf.len() as u32)),
            _ => (None, None),
        };
        if let (FIONREAD, Some(n)) = (req, pending) {
            return match self.copy_to_user(p, arg, &n.to_le_bytes()) {
                Ok(()) => Outcome::Value(0),
                Err(e) => self.copy_failed(p, e),
            };
        }
        let Some(s) = stream.filter(|&s| self.is_tty(s)) else {
            return Outcome::Err(ENOTTY);
        };
        let bytes = match req {
            TCGETS => termios(s),
            TIOCGWINSZ => winsize(s),
            TIOCGPGRP => p.pid.to_le_bytes().to_vec(),
            // Terminal settings are the host's: leave them alone.
            TCSETS | TCSETSW | TCSETSF => return Outcome::Value(0),
            _ => return Outcome::Err(EINVAL),
        };
        match self.copy_to_user(p, arg, &bytes) {
            Ok(()) => Outcome::Value(0),
            Err(e) => self.copy_failed(p, e),
        }
    }
}

/// The host terminal's `struct termios` (the kernel's: four flag words, the
/// line discipline, 19 control characters).
fn termios(s: Stream) -> Vec<u8> {
    let t = match s {
        Stream::Stdin => rustix::termios::tcgetattr(std::io::stdin()),
        Stream::Stdout => rustix::termios::tcgetattr(std::io::stdout()),
        Stream::Stderr => rustix::termios::tcgetattr(std::io::stderr()),
    };
    let mut b = vec![0u8; 36];
    if let Ok(t) = t {
        b[0..4].copy_from_slice(&t.input_modes.bits().to_le_bytes()[..4]);
        b[4..8].copy_from_slice(&t.output_modes.bits().to_le_bytes()[..4]);
        b[8..12].copy_from_slice(&t.control_modes.bits().to_le_bytes()[..4]);
        b[12..16].copy_from_slice(&t.local_modes.bits().to_le_bytes()[..4]);
        b[16] = t.line_discipline;
    }
    // The control characters a fresh Linux terminal has (^C ^\ DEL ^U ^D ...).
    let cc = [
        3, 0x1c, 0x7f, 0x15, 4, 0, 1, 0, 0x11, 0x13, 0x1a, 0, 0x12, 0x0f, 0x17, 0x16, 0,
    ];
    b[17..17 + cc.len()].copy_from_slice(&cc);
    b
}

/// The host terminal's size, `struct winsize`.
fn winsize(s: Stream) -> Vec<u8> {
    let w = match s {
        Stream::Stdin => rustix::termios::tcgetwinsize(std::io::stdin()),
        Stream::Stdout => rustix::termios::tcgetwinsize(std::io::stdout()),
        Stream::Stderr => rustix::termios::tcgetwinsize(std::io::stderr()),
    };
    let (rows, cols) = w.map_or((24, 80), |w| (w.ws_row, w.ws_col));
    let mut b = Vec::with_capacity(8);
    for v in [rows, cols, 0, 0] {
        b.extend_from_slice(&v.to_le_bytes());
    }
    b
}
