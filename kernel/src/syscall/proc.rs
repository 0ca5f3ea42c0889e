//! uname.

use super::outcome::Outcome;
use crate::kernel::Kernel;
use crate::process::Process;

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
