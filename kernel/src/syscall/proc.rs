//! kill (a process can only signal itself here) and uname.

use super::outcome::Outcome;
use crate::errno::{EINVAL, ESRCH};
use crate::kernel::Kernel;
use crate::process::Process;
use crate::signal::{Death, Signal};

/// Highest signal number (SIGRTMAX on i386).
const SIGMAX: u32 = 64;

impl Kernel {
    /// There is one process, so only it (or its group, pid 0) can be signalled.
    pub(super) fn sys_kill(&mut self, p: &mut Process, pid: u32, sig: u32) -> Outcome {
        if sig > SIGMAX {
            return Outcome::Err(EINVAL);
        }
        let me = pid == p.pid || pid == 0 || pid as i32 == -1 || pid as i32 == -(p.pid as i32);
        if !me {
            return Outcome::Err(ESRCH);
        }
        // Signal 0 only checks; SIGCHLD, SIGCONT, SIGURG, SIGWINCH are ignored by default.
        if matches!(sig, 0 | 17 | 18 | 23 | 28) {
            return Outcome::Value(0);
        }
        Outcome::Kill(Death::SelfSignal {
            sig: Signal(sig),
            eip: self.machine.cpu().eip(),
        })
    }
}

/// `struct new_utsname`: six NUL-padded fields of 65 bytes.
const UTS_FIELD: usize = 65;
const UTSNAME: [&str; 6] = [
    "Linux",
    "toyemu",
    "6.1.0-toyemu",
    "#1 toyemu",
    "i686",
    "(none)",
];

impl Kernel {
    /// uname(2): who this kernel says it is.
    pub(super) fn sys_uname(&mut self, p: &mut Process, buf: u32) -> Outcome {
        let mut bytes = vec![0u8; UTS_FIELD * UTSNAME.len()];
        for (i, field) in UTSNAME.iter().enumerate() {
            bytes[i * UTS_FIELD..i * UTS_FIELD + field.len()].copy_from_slice(field.as_bytes());
        }
        match self.copy_to_user(p, buf, &bytes) {
            Ok(()) => Outcome::Value(0),
            Err(e) => self.copy_failed(p, e),
        }
    }
}
