//! The address axis of the timeline: the 4 GiB, 0 at the bottom and
//! 0xffffffff at the top, folded. Every address where some mapping began
//! or ended during the run cuts it into stretches; a stretch that was
//! mapped at some time gets a height that grows with the logarithm of
//! its size (a 4 KiB segment stays visible beside an 8 MiB stack), and a
//! stretch never mapped — most of the 4 GiB — is a thin fold that says
//! how much it hides. The null guard and kernel space close the ends.
//!
//! ```text
//!   0xffffffff  +--------------------+  kernel space
//!   0xc0000000  +--------------------+
//!               |  stack (8 MiB)     |  12 + 5·log2(pages) units
//!               ~  2.9 GiB never     ~  a fold: FOLD units
//!               |  elf, heap         |
//!   0x00010000  +--------------------+  null guard
//! ```

use toyemu_kernel::layout::{MMAP_MIN_ADDR, TASK_SIZE};

/// Mapped stretches kept at most (more are merged, widest gaps kept).
pub const MAX_STRETCHES: usize = 240;
/// The plot's height in pixels, at least and at most.
pub const MIN_HEIGHT: f64 = 320.0;
pub const MAX_HEIGHT: f64 = 860.0;
const FOLD: f64 = 18.0;
const NULL_GUARD: f64 = 14.0;
const KERNEL: f64 = 20.0;

/// What a stretch of the axis is.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Stretch {
    /// Mapped at some time during the run.
    Mapped,
    /// Never mapped: drawn folded.
    Fold,
    NullGuard,
    Kernel,
}

/// A stretch `[lo, hi)` of addresses drawn from `top` (pixels from the
/// top of the plot) `height` pixels down.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Piece {
    pub lo: u64,
    pub hi: u64,
    pub what: Stretch,
    pub top: f64,
    pub height: f64,
}

/// The folded axis, its pieces from the lowest addresses up.
#[derive(Clone, Debug)]
pub struct Axis {
    pub pieces: Vec<Piece>,
    pub height: f64,
}

impl Axis {
    /// The axis for a run whose mappings covered `ranges` (`[lo, hi)` each).
    pub fn fold(ranges: &[(u64, u64)]) -> Axis {
        let (low, high) = (MMAP_MIN_ADDR.0 as u64, TASK_SIZE.0 as u64);
        let mut cuts: Vec<u64> = ranges
            .iter()
            .flat_map(|&(a, b)| [a, b])
            .map(|a| a.clamp(low, high))
            .chain([low, high])
            .collect();
        cuts.sort_unstable();
        cuts.dedup();
        let union = union(ranges);
        let mut u = union.iter().peekable();
        let mut stretches: Vec<(u64, u64, Stretch)> = cuts
            .windows(2)
            .map(|w| {
                while u.next_if(|r| r.1 <= w[0]).is_some() {}
                let mapped = u.peek().is_some_and(|r| r.0 <= w[0] && w[1] <= r.1);
                (
                    w[0],
                    w[1],
                    if mapped {
                        Stretch::Mapped
                    } else {
                        Stretch::Fold
                    },
                )
            })
            .collect();
        // Too many to draw: join touching ones first, then across ever
        // wider folds.
        let mut gap = 0u64;
        while stretches.iter().filter(|s| s.2 == Stretch::Mapped).count() > MAX_STRETCHES {
            stretches = merge_mapped(&stretches, gap);
            gap = gap.max(1 << 16).saturating_mul(16);
        }
        let mut all = vec![(0, low, Stretch::NullGuard)];
        all.extend(stretches);
        all.push((high, 1 << 32, Stretch::Kernel));
        Axis::lay_out(&all)
    }

    /// Heights for the stretches, scaled to fit between the bounds; the
    /// highest addresses on top.
    fn lay_out(stretches: &[(u64, u64, Stretch)]) -> Axis {
        let units: Vec<f64> = stretches
            .iter()
            .map(|&(lo, hi, what)| match what {
                Stretch::Mapped => 12.0 + 5.0 * (((hi - lo) as f64 / 4096.0).max(1.0)).log2(),
                Stretch::Fold => FOLD,
                Stretch::NullGuard => NULL_GUARD,
                Stretch::Kernel => KERNEL,
            })
            .collect();
        let sum: f64 = units.iter().sum();
        let height = sum.clamp(MIN_HEIGHT, MAX_HEIGHT);
        let scale = height / sum;
        let mut top = height;
        let pieces = stretches
            .iter()
            .zip(units)
            .map(|(&(lo, hi, what), u)| {
                top -= u * scale;
                Piece {
                    lo,
                    hi,
                    what,
                    top,
                    height: u * scale,
                }
            })
            .collect();
        Axis { pieces, height }
    }

    /// The height of `addr` in pixels from the top of the plot.
    pub fn y(&self, addr: u64) -> f64 {
        let i = self.pieces.partition_point(|p| p.hi <= addr);
        match self.pieces.get(i) {
            Some(p) => p.top + p.height * (p.hi - addr.max(p.lo)) as f64 / (p.hi - p.lo) as f64,
            None => 0.0,
        }
    }

    /// `[lo, hi)` as (top, height) in pixels, at least `min` high.
    pub fn span(&self, lo: u64, hi: u64, min: f64) -> (f64, f64) {
        let (top, bottom) = (self.y(hi), self.y(lo));
        let h = (bottom - top).max(min);
        (bottom - h, h)
    }
}

/// The ranges merged where they overlap or touch.
fn union(ranges: &[(u64, u64)]) -> Vec<(u64, u64)> {
    let mut sorted: Vec<(u64, u64)> = ranges.iter().copied().filter(|r| r.0 < r.1).collect();
    sorted.sort_unstable();
    let mut out: Vec<(u64, u64)> = Vec::new();
    for (a, b) in sorted {
        match out.last_mut() {
            Some(last) if a <= last.1 => last.1 = last.1.max(b),
            _ => out.push((a, b)),
        }
    }
    out
}

/// Each mapped stretch joined with the mapped one before it when they
/// touch, or when only a fold narrower than `gap` lies between them.
fn merge_mapped(stretches: &[(u64, u64, Stretch)], gap: u64) -> Vec<(u64, u64, Stretch)> {
    use Stretch::{Fold, Mapped};
    let mut out: Vec<(u64, u64, Stretch)> = Vec::with_capacity(stretches.len());
    for &s in stretches {
        if s.2 == Mapped {
            match out.as_slice() {
                [.., (_, _, Mapped), (lo, hi, Fold)] if hi - lo < gap => {
                    out.pop();
                }
                _ => {}
            }
            if let Some(last) = out.last_mut().filter(|l| l.2 == Mapped) {
                last.1 = s.1;
                continue;
            }
        }
        out.push(s);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn leak_demo() -> Axis {
        Axis::fold(&[
            (0x08048000, 0x08049000),
            (0x08049000, 0x0804f000),
            (0x08051000, 0x08072000),
            (0xb7fbf000, 0xb8000000),
            (0xbffdf000, 0xc0000000),
        ])
    }

    #[test]
    fn the_axis_runs_from_the_null_guard_to_kernel_space() {
        let a = leak_demo();
        let kinds: Vec<Stretch> = a.pieces.iter().map(|p| p.what).collect();
        use Stretch::*;
        assert_eq!(
            kinds,
            [NullGuard, Fold, Mapped, Mapped, Fold, Mapped, Fold, Mapped, Fold, Mapped, Kernel]
        );
        assert_eq!(a.y(1 << 32), 0.0);
        assert!((a.y(0) - a.height).abs() < 1e-9);
        assert!(a.height >= MIN_HEIGHT && a.height <= MAX_HEIGHT);
    }

    #[test]
    fn higher_addresses_are_higher_up_and_small_segments_stay_visible() {
        let a = leak_demo();
        let mut last = f64::MAX;
        for addr in [
            0x1000u64, 0x08048000, 0x08049000, 0x08060000, 0xb7fbf000, 0xbfffffff, 0xd0000000,
        ] {
            let y = a.y(addr);
            assert!(y < last, "{addr:#x} at {y}");
            last = y;
        }
        let (_, h) = a.span(0x08048000, 0x08049000, 0.0);
        assert!(h >= 8.0, "a 4 KiB segment is {h} px high");
        let (_, fold) = a.span(0x08072000, 0xb7fbf000, 0.0);
        assert!(fold < 30.0, "2.9 GiB never mapped is folded to {fold} px");
    }

    #[test]
    fn thousands_of_mappings_make_a_bounded_axis() {
        let ranges: Vec<(u64, u64)> = (0..10_000u64)
            .map(|i| (0x40000000 + i * 0x3000, 0x40000000 + i * 0x3000 + 0x1000))
            .collect();
        let a = Axis::fold(&ranges);
        let mapped = a
            .pieces
            .iter()
            .filter(|p| p.what == Stretch::Mapped)
            .count();
        assert!(mapped <= MAX_STRETCHES, "{mapped} stretches");
        assert!(a.y(0x40001000) > a.y(0x40003000));
    }
}
