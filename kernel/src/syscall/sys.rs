//! The calls about the process and the system: ids, uname,
//! prctl, resource limits, sysinfo, getrandom, and what a C library's
//! startup asks (set_tid_address, set_robust_list).

use super::outcome::Outcome;
use crate::errno::{EFAULT, EINVAL, EPERM, ESRCH};
use crate::kernel::Kernel;
use crate::process::{Process, RLIMIT_STACK, RLIM_INFINITY, RLIM_NLIMITS};

/// Highest signal number (SIGRTMAX on i386).
const SIGMAX: u32 = 64;

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

const PR_SET_PDEATHSIG: u32 = 1;
const PR_GET_DUMPABLE: u32 = 3;
const PR_SET_DUMPABLE: u32 = 4;
const PR_SET_NAME: u32 = 15;
const PR_GET_NAME: u32 = 16;
const PR_SET_NO_NEW_PRIVS: u32 = 38;
const PR_GET_NO_NEW_PRIVS: u32 = 39;

const GRND_NONBLOCK: u32 = 1;
const GRND_RANDOM: u32 = 2;
const GRND_INSECURE: u32 = 4;

impl Kernel {
    /// uname(2): who this kernel says it is.
    pub(super) fn sys_uname(&mut self, p: &mut Process, buf: u32) -> Outcome {
        let mut bytes = vec![0u8; UTS_FIELD * UTSNAME.len()];
        for (i, field) in UTSNAME.iter().enumerate() {
            bytes[i * UTS_FIELD..i * UTS_FIELD + field.len()].copy_from_slice(field.as_bytes());
        }
        self.put_user(p, buf, &bytes, 0)
    }

    /// Copy `bytes` to user `va` and return `value`, or the copy's failure.
    pub(super) fn put_user(
        &mut self,
        p: &mut Process,
        va: u32,
        bytes: &[u8],
        value: u32,
    ) -> Outcome {
        match self.copy_to_user(p, va, bytes) {
            Ok(()) => Outcome::Value(value),
            Err(e) => self.copy_failed(p, e),
        }
    }

    /// set_tid_address(2): remembered (there is no thread to wake at exit); the tid.
    pub(super) fn sys_set_tid_address(&mut self, p: &mut Process, tidptr: u32) -> Outcome {
        p.clear_child_tid = tidptr;
        Outcome::Value(p.pid)
    }

    /// set_robust_list(2): remembered; the head's size must be that of
    /// `struct robust_list_head` (12 bytes on i386).
    pub(super) fn sys_set_robust_list(&mut self, p: &mut Process, head: u32, len: u32) -> Outcome {
        if len != 12 {
            return Outcome::Err(EINVAL);
        }
        p.robust_list = head;
        Outcome::Value(0)
    }

    /// prctl(2): the process name and the flags libcs and shells ask about.
    pub(super) fn sys_prctl(&mut self, p: &mut Process, a: [u32; 6]) -> Outcome {
        match a[0] {
            PR_SET_NAME => {
                let name = match self.copy_string_from_user(p, a[1], 4096) {
                    Ok(n) => n,
                    Err(_) => return Outcome::Err(EFAULT),
                };
                p.comm = name[..name.len().min(15)].to_vec();
                Outcome::Value(0)
            }
            PR_GET_NAME => {
                let mut name = p.comm.clone();
                name.resize(16, 0);
                self.put_user(p, a[1], &name, 0)
            }
            PR_GET_DUMPABLE => Outcome::Value(1),
            PR_SET_DUMPABLE if a[1] <= 1 => Outcome::Value(0),
            PR_SET_NO_NEW_PRIVS if a[1] == 1 => Outcome::Value(0),
            PR_GET_NO_NEW_PRIVS => Outcome::Value(0),
            PR_SET_PDEATHSIG if a[1] <= SIGMAX => Outcome::Value(0),
            _ => Outcome::Err(EINVAL),
        }
    }

    /// prlimit64(2) on this process: the old limits out, new ones in.
    pub(super) fn sys_prlimit64(&mut self, p: &mut Process, a: [u32; 6]) -> Outcome {
        let [pid, resource, new, old, ..] = a;
        if pid != 0 && pid != p.pid {
            return Outcome::Err(ESRCH);
        }
        let r = resource as usize;
        if r >= RLIM_NLIMITS {
            return Outcome::Err(EINVAL);
        }
        let want = if new != 0 {
            let mut raw = Vec::new();
            if let Err(e) = self.copy_from_user(p, new, 16, &mut raw) {
                return self.copy_failed(p, e);
            }
            let cur = u64::from_le_bytes(raw[0..8].try_into().expect("8 bytes"));
            let max = u64::from_le_bytes(raw[8..16].try_into().expect("8 bytes"));
            Some((cur, max))
        } else {
            None
        };
        let (cur, max) = p.limits[r];
        if old != 0 {
            let mut b = cur.to_le_bytes().to_vec();
            b.extend_from_slice(&max.to_le_bytes());
            if let Err(e) = self.copy_to_user(p, old, &b) {
                return self.copy_failed(p, e);
            }
        }
        match want {
            Some((c, m)) => self.set_limit(p, r, c, m),
            None => Outcome::Value(0),
        }
    }

    /// Set limit `r`: the soft at most the hard, the hard raised by nobody
    /// (this process is not privileged).
    fn set_limit(&mut self, p: &mut Process, r: usize, cur: u64, max: u64) -> Outcome {
        if cur > max {
            return Outcome::Err(EINVAL);
        }
        if max > p.limits[r].1 {
            return Outcome::Err(EPERM);
        }
        p.limits[r] = (cur, max);
        if r == RLIMIT_STACK {
            p.stack_limit = u32::try_from(cur).unwrap_or(u32::MAX);
        }
        Outcome::Value(0)
    }

    /// getrlimit (76, which clips at 0x7fffffff) and ugetrlimit (191): 32-bit limits.
    pub(super) fn sys_getrlimit(
        &mut self,
        p: &mut Process,
        resource: u32,
        buf: u32,
        clip: u32,
    ) -> Outcome {
        let Some(&(cur, max)) = p.limits.get(resource as usize) else {
            return Outcome::Err(EINVAL);
        };
        let narrow = |v: u64| {
            if v == RLIM_INFINITY {
                clip
            } else {
                v.min(clip as u64) as u32
            }
        };
        let mut b = narrow(cur).to_le_bytes().to_vec();
        b.extend_from_slice(&narrow(max).to_le_bytes());
        self.put_user(p, buf, &b, 0)
    }

    /// setrlimit(75): 32-bit limits, RLIM_INFINITY as all ones.
    pub(super) fn sys_setrlimit(&mut self, p: &mut Process, resource: u32, buf: u32) -> Outcome {
        if resource as usize >= RLIM_NLIMITS {
            return Outcome::Err(EINVAL);
        }
        let mut raw = Vec::new();
        if let Err(e) = self.copy_from_user(p, buf, 8, &mut raw) {
            return self.copy_failed(p, e);
        }
        let wide = |v: u32| {
            if v == u32::MAX {
                RLIM_INFINITY
            } else {
                v as u64
            }
        };
        let cur = wide(u32::from_le_bytes(raw[0..4].try_into().expect("4 bytes")));
        let max = wide(u32::from_le_bytes(raw[4..8].try_into().expect("4 bytes")));
        self.set_limit(p, resource as usize, cur, max)
    }

    /// sysinfo(2): this machine's RAM and the one process.
    pub(super) fn sys_sysinfo(&mut self, p: &mut Process, buf: u32) -> Outcome {
        let mut b = vec![0u8; 64];
        let mut put = |at: usize, v: u32| b[at..at + 4].copy_from_slice(&v.to_le_bytes());
        put(0, self.booted.elapsed().as_secs() as u32);
        put(16, self.frames.total_frames() * 4096);
        put(20, self.frames.free_frames() * 4096);
        b[40..42].copy_from_slice(&1u16.to_le_bytes()); // procs
        let mut put = |at: usize, v: u32| b[at..at + 4].copy_from_slice(&v.to_le_bytes());
        put(52, 1); // mem_unit
        self.put_user(p, buf, &b, 0)
    }

    /// getrandom(2): from the kernel's random source (fixed unless asked).
    pub(super) fn sys_getrandom(
        &mut self,
        p: &mut Process,
        buf: u32,
        len: u32,
        flags: u32,
    ) -> Outcome {
        if flags & !(GRND_NONBLOCK | GRND_RANDOM | GRND_INSECURE) != 0
            || flags & (GRND_RANDOM | GRND_INSECURE) == GRND_RANDOM | GRND_INSECURE
        {
            return Outcome::Err(EINVAL);
        }
        // One call gives at most 32 MiB - 1, as Linux's.
        let len = len.min((32 << 20) - 1).min(64 << 10);
        let mut bytes = vec![0u8; len as usize];
        self.random.fill(&mut bytes);
        self.put_user(p, buf, &bytes, len)
    }

    /// sched_getaffinity(2): one CPU; the mask's size in bytes.
    pub(super) fn sys_sched_getaffinity(
        &mut self,
        p: &mut Process,
        len: u32,
        mask: u32,
    ) -> Outcome {
        if len < 4 || !len.is_multiple_of(4) {
            return Outcome::Err(EINVAL);
        }
        let mut b = vec![0u8; len as usize];
        b[0] = 1;
        self.put_user(p, mask, &b, len)
    }
}
