//! futex(2) and futex_time64: the one kernel call pthreads are built on.
//! A thread sleeps while a word of its memory holds the value it expects
//! (FUTEX_WAIT), another wakes sleepers on that word (FUTEX_WAKE); mutexes,
//! condition variables, barriers, `pthread_join` and semaphores are user
//! code around the two.
//!
//! A waiter sleeps as [`Block::Futex`]; a wake marks the oldest waiters
//! on the word woken and the scheduler runs them again, their call then
//! returning 0. A timeout is a deadline on the host's clock: it ends the
//! wait when it has passed and the thread is next looked at, or, when
//! every thread sleeps, the machine sleeps until the first deadline.
//! Words are keyed by thread group and address, so a futex in MAP_SHARED
//! memory does not wake another process's waiters (no pthread
//! process-shared objects), and PI futexes are not here (ENOSYS).

use super::outcome::Outcome;
use crate::errno::{EAGAIN, EFAULT, EINVAL, ENOSYS, ETIMEDOUT};
use crate::kernel::Kernel;
use crate::process::Process;
use crate::sleep::{Block, FutexKey};
use std::time::{Duration, Instant};

pub const FUTEX_WAIT: u32 = 0;
pub const FUTEX_WAKE: u32 = 1;
pub const FUTEX_REQUEUE: u32 = 3;
pub const FUTEX_CMP_REQUEUE: u32 = 4;
pub const FUTEX_WAKE_OP: u32 = 5;
pub const FUTEX_WAIT_BITSET: u32 = 9;
pub const FUTEX_WAKE_BITSET: u32 = 10;
pub const FUTEX_PRIVATE_FLAG: u32 = 128;
pub const FUTEX_CLOCK_REALTIME: u32 = 256;
const FUTEX_BITSET_MATCH_ANY: u32 = u32::MAX;

const OP_NAMES: [(u32, &str); 7] = [
    (FUTEX_WAIT, "FUTEX_WAIT"),
    (FUTEX_WAKE, "FUTEX_WAKE"),
    (FUTEX_REQUEUE, "FUTEX_REQUEUE"),
    (FUTEX_CMP_REQUEUE, "FUTEX_CMP_REQUEUE"),
    (FUTEX_WAKE_OP, "FUTEX_WAKE_OP"),
    (FUTEX_WAIT_BITSET, "FUTEX_WAIT_BITSET"),
    (FUTEX_WAKE_BITSET, "FUTEX_WAKE_BITSET"),
];

/// The waiters a call concerns: every one for FUTEX_WAIT and FUTEX_WAKE,
/// those whose bits meet `val3` for the _BITSET forms (none is EINVAL).
fn bitset_of(cmd: u32, val3: u32) -> Option<u32> {
    match cmd {
        FUTEX_WAIT_BITSET | FUTEX_WAKE_BITSET => (val3 != 0).then_some(val3),
        _ => Some(FUTEX_BITSET_MATCH_ANY),
    }
}

/// FUTEX_WAKE_OP's operation on the second word, and its comparison of
/// the old value (`val3`: op 4 bits, cmp 4, oparg 12, cmparg 12).
fn wake_op(val3: u32, old: u32) -> Option<(u32, bool)> {
    let sext = |v: u32| ((v << 20) as i32 >> 20) as u32;
    let op = val3 >> 28 & 7;
    let shift = val3 >> 28 & 8 != 0;
    let cmp = val3 >> 24 & 15;
    let mut oparg = sext(val3 >> 12 & 0xfff);
    let cmparg = sext(val3 & 0xfff);
    if shift {
        oparg = 1u32.checked_shl(oparg)?;
    }
    let new = match op {
        0 => oparg,
        1 => old.wrapping_add(oparg),
        2 => old | oparg,
        3 => old & !oparg,
        4 => old ^ oparg,
        _ => return None,
    };
    let (a, b) = (old as i32, cmparg as i32);
    let hit = match cmp {
        0 => a == b,
        1 => a != b,
        2 => a < b,
        3 => a <= b,
        4 => a > b,
        5 => a >= b,
        _ => return None,
    };
    Some((new, hit))
}

impl Kernel {
    fn futex_key(p: &Process, va: u32) -> FutexKey {
        FutexKey { tgid: p.tgid, va }
    }

    /// Wake up to `n` waiters on `key` whose bitset meets `bitset`, oldest
    /// first (at least one, as Linux counts); how many woke.
    pub(crate) fn futex_wake(&mut self, key: FutexKey, n: u32, bitset: u32) -> u32 {
        let mut waiters = self.futex_waiters(key, bitset);
        waiters.truncate((n as i32).max(1) as usize);
        for &pid in &waiters {
            if let Some(Block::Futex { woken, .. }) = self
                .procs
                .parked
                .get_mut(&pid)
                .and_then(|q| q.blocked.as_mut())
            {
                *woken = true;
            }
        }
        waiters.len() as u32
    }

    /// Waiters on `key` not yet woken, oldest first.
    fn futex_waiters(&self, key: FutexKey, bitset: u32) -> Vec<u32> {
        let mut w: Vec<(u64, u32)> = self
            .procs
            .parked
            .values()
            .filter_map(|q| match &q.blocked {
                Some(Block::Futex {
                    key: k,
                    bitset: b,
                    seq,
                    woken: false,
                    ..
                }) if *k == key && b & bitset != 0 && !q.is_done() => Some((*seq, q.pid)),
                _ => None,
            })
            .collect();
        w.sort_unstable();
        w.into_iter().map(|(_, pid)| pid).collect()
    }

    fn futex_word(&mut self, p: &mut Process, va: u32) -> Result<u32, Outcome> {
        self.read_user_u32(p, va)
            .map_err(|e| self.copy_failed(p, e))
    }

    /// futex(uaddr, op, val, timeout or val2, uaddr2, val3); `wide`: the
    /// timeout is a 64-bit timespec (futex_time64).
    pub(super) fn sys_futex(&mut self, p: &mut Process, a: [u32; 6], wide: bool) -> Outcome {
        let [uaddr, op, val, timeout, uaddr2, val3] = a;
        let cmd = op & !(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
        let realtime = op & FUTEX_CLOCK_REALTIME != 0;
        if realtime && cmd != FUTEX_WAIT_BITSET && cmd != FUTEX_WAIT {
            return Outcome::Err(ENOSYS);
        }
        if uaddr % 4 != 0 {
            return Outcome::Err(EINVAL);
        }
        let key = Self::futex_key(p, uaddr);
        match cmd {
            FUTEX_WAIT | FUTEX_WAIT_BITSET => {
                let Some(bitset) = bitset_of(cmd, val3) else {
                    return Outcome::Err(EINVAL);
                };
                // The scheduler already ended this wait: woken, or timed out.
                if let Some(woken) = self.futex_verdict.take() {
                    return if woken {
                        Outcome::Value(0)
                    } else {
                        Outcome::Err(ETIMEDOUT)
                    };
                }
                // FUTEX_WAIT's timeout is relative, FUTEX_WAIT_BITSET's absolute.
                let deadline = if timeout == 0 {
                    None
                } else {
                    let t = match self.timespec_arg(p, timeout, wide) {
                        Ok(t) => t,
                        Err(o) => return o,
                    };
                    let left = if cmd == FUTEX_WAIT {
                        t
                    } else {
                        t.saturating_sub(self.clock_now(p, realtime))
                    };
                    if left == Duration::ZERO {
                        return Outcome::Err(ETIMEDOUT);
                    }
                    Some(Instant::now() + left)
                };
                match self.futex_word(p, uaddr) {
                    Ok(v) if v == val => {}
                    Ok(_) => return Outcome::Err(EAGAIN),
                    Err(o) => return o,
                }
                self.futex_seq += 1;
                Outcome::Block(Box::new(Block::Futex {
                    key,
                    bitset,
                    seq: self.futex_seq,
                    woken: false,
                    deadline,
                    call: if wide { "futex_time64" } else { "futex" },
                }))
            }
            FUTEX_WAKE | FUTEX_WAKE_BITSET => {
                let Some(bitset) = bitset_of(cmd, val3) else {
                    return Outcome::Err(EINVAL);
                };
                Outcome::Value(self.futex_wake(key, val, bitset))
            }
            FUTEX_REQUEUE | FUTEX_CMP_REQUEUE => {
                if uaddr2 % 4 != 0 {
                    return Outcome::Err(EINVAL);
                }
                if cmd == FUTEX_CMP_REQUEUE {
                    match self.futex_word(p, uaddr) {
                        Ok(v) if v == val3 => {}
                        Ok(_) => return Outcome::Err(EAGAIN),
                        Err(o) => return o,
                    }
                }
                let woke = self.futex_wake(key, val, FUTEX_BITSET_MATCH_ANY);
                let to = Self::futex_key(p, uaddr2);
                let mut moved = 0;
                let limit = (timeout as i32).max(0) as usize;
                for pid in self
                    .futex_waiters(key, FUTEX_BITSET_MATCH_ANY)
                    .into_iter()
                    .take(limit)
                {
                    if let Some(Block::Futex { key: k, .. }) = self
                        .procs
                        .parked
                        .get_mut(&pid)
                        .and_then(|q| q.blocked.as_mut())
                    {
                        *k = to;
                        moved += 1;
                    }
                }
                Outcome::Value(woke + moved)
            }
            FUTEX_WAKE_OP => {
                if uaddr2 % 4 != 0 {
                    return Outcome::Err(EINVAL);
                }
                let old = match self.futex_word(p, uaddr2) {
                    Ok(v) => v,
                    Err(o) => return o,
                };
                let Some((new, hit)) = wake_op(val3, old) else {
                    return Outcome::Err(ENOSYS);
                };
                if self.copy_to_user(p, uaddr2, &new.to_le_bytes()).is_err() {
                    return Outcome::Err(EFAULT);
                }
                let mut woke = self.futex_wake(key, val, FUTEX_BITSET_MATCH_ANY);
                if hit {
                    let k2 = Self::futex_key(p, uaddr2);
                    woke += self.futex_wake(k2, timeout, FUTEX_BITSET_MATCH_ANY);
                }
                Outcome::Value(woke)
            }
            _ => Outcome::Err(ENOSYS),
        }
    }

    /// futex's arguments as strace shows them: the operation by name, and
    /// only the arguments it uses.
    pub(crate) fn futex_text(&self, _p: &Process, a: &[u32; 6], _out: &Outcome) -> String {
        let [uaddr, op, val, timeout, uaddr2, val3] = *a;
        let cmd = op & !(FUTEX_PRIVATE_FLAG | FUTEX_CLOCK_REALTIME);
        let mut name = match OP_NAMES.iter().find(|(c, _)| *c == cmd) {
            Some((_, n)) => n.to_string(),
            None => format!("{cmd:#x}"),
        };
        if op & FUTEX_PRIVATE_FLAG != 0 {
            name += "_PRIVATE";
        }
        if op & FUTEX_CLOCK_REALTIME != 0 {
            name += "|FUTEX_CLOCK_REALTIME";
        }
        let ptr = |v: u32| match v {
            0 => "NULL".to_string(),
            v => format!("{v:#x}"),
        };
        let bits = |v: u32| match v {
            FUTEX_BITSET_MATCH_ANY => "FUTEX_BITSET_MATCH_ANY".to_string(),
            v => format!("{v:#x}"),
        };
        let head = format!("{uaddr:#x}, {name}, {val}");
        match cmd {
            FUTEX_WAIT => format!("{head}, {}", ptr(timeout)),
            FUTEX_WAIT_BITSET => format!("{head}, {}, {}", ptr(timeout), bits(val3)),
            FUTEX_WAKE => head,
            FUTEX_WAKE_BITSET => format!("{head}, NULL, NULL, {}", bits(val3)),
            FUTEX_REQUEUE => format!("{head}, {}, {uaddr2:#x}", timeout),
            FUTEX_CMP_REQUEUE => format!("{head}, {}, {uaddr2:#x}, {val3}", timeout),
            FUTEX_WAKE_OP => format!("{head}, {}, {uaddr2:#x}, {val3:#x}", timeout),
            _ => format!("{head}, {timeout:#x}, {uaddr2:#x}, {val3:#x}"),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::wake_op;

    #[test]
    fn wake_op_decodes_glibcs_encoding() {
        // FUTEX_OP(FUTEX_OP_SET, 0, FUTEX_OP_CMP_GT, 1): store 0, wake if old > 1.
        let v = 4 << 24 | 1;
        assert_eq!(wake_op(v, 2), Some((0, true)));
        assert_eq!(wake_op(v, 1), Some((0, false)));
        // ADD with a negative 12-bit argument, then OR with a shifted one.
        assert_eq!(wake_op(1 << 28 | 0xfff << 12, 5), Some((4, false)));
        assert_eq!(wake_op((2 | 8) << 28 | 3 << 12, 1), Some((9, false)));
        assert_eq!(wake_op(7 << 28, 0), None);
    }
}
