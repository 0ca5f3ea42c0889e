//! Clocks and sleeping: time, gettimeofday, clock_gettime (32- and 64-bit
//! time), clock_getres, nanosleep, clock_nanosleep. Real time is the
//! host's; the process's CPU time counts retired instructions as
//! nanoseconds, so it is the same every run.

use super::outcome::Outcome;
use crate::errno::EINVAL;
use crate::kernel::Kernel;
use crate::process::Process;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

const CLOCK_REALTIME: u32 = 0;
const CLOCK_MONOTONIC: u32 = 1;
const CLOCK_PROCESS_CPUTIME_ID: u32 = 2;
const CLOCK_THREAD_CPUTIME_ID: u32 = 3;
const CLOCK_MONOTONIC_RAW: u32 = 4;
const CLOCK_REALTIME_COARSE: u32 = 5;
const CLOCK_MONOTONIC_COARSE: u32 = 6;
const CLOCK_BOOTTIME: u32 = 7;
const TIMER_ABSTIME: u32 = 1;

/// A timespec as 32-bit (`struct timespec` of i386) or 64-bit (`__kernel_timespec`).
#[derive(Clone, Copy, PartialEq, Eq)]
enum Width {
    W32,
    W64,
}

fn encode(t: Duration, w: Width) -> Vec<u8> {
    match w {
        Width::W32 => {
            let mut b = (t.as_secs() as u32).to_le_bytes().to_vec();
            b.extend_from_slice(&t.subsec_nanos().to_le_bytes());
            b
        }
        Width::W64 => {
            let mut b = t.as_secs().to_le_bytes().to_vec();
            b.extend_from_slice(&(t.subsec_nanos() as u64).to_le_bytes());
            b
        }
    }
}

impl Kernel {
    /// The time on clock `clk`, or EINVAL for a clock Linux does not have.
    fn clock(&self, p: &Process, clk: u32) -> Option<Duration> {
        Some(match clk {
            CLOCK_REALTIME | CLOCK_REALTIME_COARSE => SystemTime::now()
                .duration_since(UNIX_EPOCH)
                .unwrap_or_default(),
            CLOCK_MONOTONIC | CLOCK_MONOTONIC_RAW | CLOCK_MONOTONIC_COARSE | CLOCK_BOOTTIME => {
                self.booted.elapsed()
            }
            CLOCK_PROCESS_CPUTIME_ID | CLOCK_THREAD_CPUTIME_ID => {
                Duration::from_nanos(self.insns() - p.started_at)
            }
            _ => return None,
        })
    }

    /// A timespec argument (64-bit with `wide`), for other modules' calls.
    pub(super) fn timespec_arg(
        &mut self,
        p: &mut Process,
        va: u32,
        wide: bool,
    ) -> Result<Duration, Outcome> {
        let w = if wide { Width::W64 } else { Width::W32 };
        self.read_timespec(p, va, w)
    }

    /// CLOCK_REALTIME (`realtime`) or CLOCK_MONOTONIC now.
    pub(super) fn clock_now(&self, p: &Process, realtime: bool) -> Duration {
        let clk = if realtime {
            CLOCK_REALTIME
        } else {
            CLOCK_MONOTONIC
        };
        self.clock(p, clk).unwrap_or_default()
    }

    fn clock_gettime(&mut self, p: &mut Process, clk: u32, ts: u32, w: Width) -> Outcome {
        match self.clock(p, clk) {
            Some(t) => self.put_user(p, ts, &encode(t, w), 0),
            None => Outcome::Err(EINVAL),
        }
    }

    pub(super) fn sys_clock_gettime(&mut self, p: &mut Process, clk: u32, ts: u32) -> Outcome {
        self.clock_gettime(p, clk, ts, Width::W32)
    }

    pub(super) fn sys_clock_gettime64(&mut self, p: &mut Process, clk: u32, ts: u32) -> Outcome {
        self.clock_gettime(p, clk, ts, Width::W64)
    }

    /// clock_getres: every clock here ticks in nanoseconds.
    pub(super) fn sys_clock_getres(
        &mut self,
        p: &mut Process,
        clk: u32,
        ts: u32,
        wide: bool,
    ) -> Outcome {
        if self.clock(p, clk).is_none() {
            return Outcome::Err(EINVAL);
        }
        if ts == 0 {
            return Outcome::Value(0);
        }
        let w = if wide { Width::W64 } else { Width::W32 };
        self.put_user(p, ts, &encode(Duration::from_nanos(1), w), 0)
    }

    pub(super) fn sys_gettimeofday(&mut self, p: &mut Process, tv: u32, tz: u32) -> Outcome {
        let now = self.clock(p, CLOCK_REALTIME).unwrap_or_default();
        if tv != 0 {
            let mut b = (now.as_secs() as u32).to_le_bytes().to_vec();
            b.extend_from_slice(&now.subsec_micros().to_le_bytes());
            if let Err(e) = self.copy_to_user(p, tv, &b) {
                return self.copy_failed(p, e);
            }
        }
        if tz != 0 {
            // UTC: minutes west and the DST kind both zero.
            return self.put_user(p, tz, &[0; 8], 0);
        }
        Outcome::Value(0)
    }

    pub(super) fn sys_time(&mut self, p: &mut Process, tloc: u32) -> Outcome {
        let secs = self.clock(p, CLOCK_REALTIME).unwrap_or_default().as_secs() as u32;
        if tloc != 0 {
            return self.put_user(p, tloc, &secs.to_le_bytes(), secs);
        }
        Outcome::Value(secs)
    }

    /// Read a timespec; EINVAL when the nanoseconds are out of range.
    fn read_timespec(&mut self, p: &mut Process, va: u32, w: Width) -> Result<Duration, Outcome> {
        let n = if w == Width::W32 { 8 } else { 16 };
        let mut raw = Vec::new();
        self.copy_from_user(p, va, n, &mut raw)
            .map_err(|e| self.copy_failed(p, e))?;
        let (secs, nsec) = match w {
            Width::W32 => (
                i32::from_le_bytes(raw[0..4].try_into().expect("4")) as i64,
                i32::from_le_bytes(raw[4..8].try_into().expect("4")) as i64,
            ),
            Width::W64 => (
                i64::from_le_bytes(raw[0..8].try_into().expect("8")),
                i64::from_le_bytes(raw[8..16].try_into().expect("8")),
            ),
        };
        if secs < 0 || !(0..1_000_000_000).contains(&nsec) {
            return Err(Outcome::Err(EINVAL));
        }
        Ok(Duration::new(secs as u64, nsec as u32))
    }

    /// Sleep on the host for as long as the guest asked (there is nothing
    /// else for this machine to do meanwhile).
    fn sleep(&mut self, p: &mut Process, clk: u32, flags: u32, req: u32, w: Width) -> Outcome {
        let Some(now) = self.clock(p, clk) else {
            return Outcome::Err(EINVAL);
        };
        let t = match self.read_timespec(p, req, w) {
            Ok(t) => t,
            Err(o) => return o,
        };
        let d = if flags & TIMER_ABSTIME != 0 {
            t.saturating_sub(now)
        } else {
            t
        };
        std::thread::sleep(d);
        Outcome::Value(0)
    }

    pub(super) fn sys_nanosleep(&mut self, p: &mut Process, req: u32) -> Outcome {
        self.sleep(p, CLOCK_MONOTONIC, 0, req, Width::W32)
    }

    pub(super) fn sys_clock_nanosleep(
        &mut self,
        p: &mut Process,
        a: [u32; 6],
        wide: bool,
    ) -> Outcome {
        let w = if wide { Width::W64 } else { Width::W32 };
        self.sleep(p, a[0], a[1], a[2], w)
    }
}
