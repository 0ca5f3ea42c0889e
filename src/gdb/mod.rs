//! `toyemu run --gdb PORT`: serve the GDB remote protocol on 127.0.0.1 so
//! the real `gdb` can debug a guest program — registers, memory, breakpoints,
//! single step, continue, Ctrl-C and the program's end — plus `monitor`
//! commands that show what only toyemu knows: maps, page walks, frames, heap.
//! Under `--memcheck` a new memcheck error stops the program as a SIGSEGV
//! would (before the bad access; nothing is delivered when gdb goes on) and
//! `monitor memcheck` lists the errors so far.
//!
//! ```text
//! $ toyemu run --gdb 1234 prog &
//! $ gdb -ex 'target remote 127.0.0.1:1234' prog
//! ```
//!
//! One connection, one process. The protocol is the `gdbstub` crate's; the
//! stub runs in this thread and looks at the socket between slices of guest
//! instructions for a Ctrl-C.

mod host_io;
mod monitor;
mod target;

use crate::inferior::{Inferior, Stop};
use crate::{ExitReport, Session};
use gdbstub::common::Signal as GdbSignal;
use gdbstub::conn::{Connection, ConnectionExt};
use gdbstub::stub::{run_blocking, DisconnectReason, GdbStub, SingleThreadStopReason};
use std::fmt;
use std::io::Write;
use std::net::{SocketAddr, TcpListener, TcpStream};
use target::{from_gdb_signal, to_gdb_signal, GdbTarget};
use toyemu_kernel::Ending;

/// How a debugging session ended.
#[derive(Debug)]
pub enum Outcome {
    /// The program reached its end: gdb watched it, or it ran on after a detach.
    Finished(Box<ExitReport>),
    /// gdb killed it (`kill`, or quitting with the program alive).
    Killed,
}

#[derive(Debug)]
pub enum GdbError {
    Listen {
        addr: SocketAddr,
        err: std::io::Error,
    },
    Accept(std::io::Error),
    /// The connection broke or gdb sent something the stub could not take.
    Session(String),
}

impl fmt::Display for GdbError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            GdbError::Listen { addr, err } => write!(f, "cannot listen for gdb on {addr}: {err}"),
            GdbError::Accept(e) => write!(f, "waiting for gdb failed: {e}"),
            GdbError::Session(m) => write!(f, "the gdb session ended abnormally: {m}"),
        }
    }
}
impl std::error::Error for GdbError {}

/// Listen on 127.0.0.1:`port` (0 picks a free port), say so on stderr, take
/// one gdb connection and serve it until the program ends or gdb leaves.
/// `max_insns` kills the program (SIGXCPU) as `toyemu run` would.
pub fn serve(session: Session, port: u16, max_insns: Option<u64>) -> Result<Outcome, GdbError> {
    let addr = SocketAddr::from(([127, 0, 0, 1], port));
    let listener = TcpListener::bind(addr).map_err(|err| GdbError::Listen { addr, err })?;
    let bound = listener
        .local_addr()
        .map_err(|err| GdbError::Listen { addr, err })?;
    eprintln!("toyemu: waiting for gdb on {bound}");
    let (stream, peer) = listener.accept().map_err(GdbError::Accept)?;
    log::info!(target: "toyemu::gdb", "gdb connected from {peer}");
    serve_connection(session, stream, max_insns)
}

/// Serve one connected gdb.
pub fn serve_connection(
    session: Session,
    stream: TcpStream,
    max_insns: Option<u64>,
) -> Result<Outcome, GdbError> {
    let mut target = GdbTarget::new(Inferior::new(session, max_insns));
    let conn = Buffered {
        stream,
        out: Vec::new(),
    };
    let reason = GdbStub::new(conn)
        .run_blocking::<EventLoop>(&mut target)
        .map_err(|e| GdbError::Session(e.to_string()))?;
    match reason {
        DisconnectReason::TargetExited(_) | DisconnectReason::TargetTerminated(_) => {}
        // Detached: the program runs on to its end, as under a real kernel.
        DisconnectReason::Disconnect => {
            target.inf.finish();
        }
        DisconnectReason::Kill => return Ok(Outcome::Killed),
    }
    Ok(Outcome::Finished(Box::new(
        target.inf.session.into_report(),
    )))
}

/// The gdb event loop: run the program as gdb asked, and turn what stopped
/// it into a stop reply.
enum EventLoop {}

impl run_blocking::BlockingEventLoop for EventLoop {
    type Target = GdbTarget;
    type Connection = Buffered;
    type StopReason = SingleThreadStopReason<u32>;

    #[allow(clippy::type_complexity)]
    fn wait_for_stop_reason(
        target: &mut GdbTarget,
        conn: &mut Buffered,
    ) -> Result<
        run_blocking::Event<SingleThreadStopReason<u32>>,
        run_blocking::WaitForStopReasonError<String, std::io::Error>,
    > {
        use run_blocking::{Event, WaitForStopReasonError as E};
        // gdb waits for the acknowledgement of its resume packet.
        conn.flush().map_err(E::Connection)?;
        let signal = target.signal.take().map(from_gdb_signal);
        let delivered = match target.inf.deliver(signal) {
            Ok(stop) => stop,
            Err(msg) => {
                eprintln!("toyemu: gdb: {msg}; resuming without it");
                None
            }
        };
        let stop = match delivered {
            Some(stop) => stop,
            None => target.inf.run(target.resume, || {
                conn.peek().map(|b| b.is_some()).unwrap_or(true)
            }),
        };
        let reason = match stop {
            Stop::Interrupted => {
                let byte = conn.read().map_err(E::Connection)?;
                return Ok(Event::IncomingData(byte));
            }
            Stop::DoneStep => SingleThreadStopReason::DoneStep,
            Stop::Breakpoint => SingleThreadStopReason::SwBreak(()),
            Stop::Signal(s) => SingleThreadStopReason::Signal(to_gdb_signal(s)),
            // gdb has no stop for a tool's finding: a SIGSEGV-like stop,
            // at the bad access; resuming delivers nothing.
            Stop::MemCheck => SingleThreadStopReason::Signal(GdbSignal::SIGSEGV),
            Stop::Exited(status) => match status.ending {
                Ending::Exited(code) => SingleThreadStopReason::Exited(code),
                Ending::Killed(death) => {
                    SingleThreadStopReason::Terminated(to_gdb_signal(death.signal()))
                }
            },
        };
        Ok(Event::TargetStopped(reason))
    }

    fn on_interrupt(_: &mut GdbTarget) -> Result<Option<SingleThreadStopReason<u32>>, String> {
        // The program only runs inside `wait_for_stop_reason`: it is already still.
        Ok(Some(SingleThreadStopReason::Signal(GdbSignal::SIGINT)))
    }
}

/// A TCP connection that sends each reply in one write: `gdbstub` writes
/// byte by byte, which with TCP_NODELAY would mean a segment per byte.
/// Everything buffered goes out before waiting for gdb.
pub struct Buffered {
    stream: TcpStream,
    out: Vec<u8>,
}

impl Connection for Buffered {
    type Error = std::io::Error;

    fn write(&mut self, byte: u8) -> Result<(), Self::Error> {
        self.out.push(byte);
        Ok(())
    }

    fn write_all(&mut self, buf: &[u8]) -> Result<(), Self::Error> {
        self.out.extend_from_slice(buf);
        Ok(())
    }

    fn flush(&mut self) -> Result<(), Self::Error> {
        if !self.out.is_empty() {
            let sent = Write::write_all(&mut self.stream, &self.out);
            self.out.clear();
            sent?;
        }
        Write::flush(&mut self.stream)
    }

    fn on_session_start(&mut self) -> Result<(), Self::Error> {
        self.stream.set_nodelay(true)
    }
}

impl ConnectionExt for Buffered {
    fn read(&mut self) -> Result<u8, Self::Error> {
        self.flush()?;
        <TcpStream as ConnectionExt>::read(&mut self.stream)
    }

    fn peek(&mut self) -> Result<Option<u8>, Self::Error> {
        self.flush()?;
        <TcpStream as ConnectionExt>::peek(&mut self.stream)
    }
}
