//! Time windows: the run cut into equal spans of instructions, at most
//! [`MAX_WINDOWS`] of them. When the run outgrows them, neighbours are
//! merged two by two and every window is twice as long, so a run of any
//! length keeps a summary of bounded size and the same shape.

/// Windows kept at most (the timeline is about 1,000 pixels wide, so a
/// window is half a pixel before zooming in).
pub const MAX_WINDOWS: usize = 2048;

/// A per-window summary that two neighbouring windows can be folded into.
pub trait Merge {
    /// Fold `later`, the window just after this one, into this one.
    fn merge(&mut self, later: Self);
}

/// The windows so far, each a `T`, all `width` instructions long.
#[derive(Clone, Debug)]
pub struct Windows<T> {
    width: u64,
    cells: Vec<T>,
}

impl<T: Merge> Default for Windows<T> {
    fn default() -> Self {
        Windows {
            width: 1,
            cells: Vec::new(),
        }
    }
}

impl<T: Merge> Windows<T> {
    /// Instructions per window.
    pub fn width(&self) -> u64 {
        self.width
    }

    pub fn cells(&self) -> &[T] {
        &self.cells
    }

    /// The index of the window holding instruction count `insns`.
    pub fn index(&self, insns: u64) -> usize {
        (insns / self.width) as usize
    }

    /// Make sure the window holding `insns` exists, doubling the width as
    /// often as needed and opening each new window with `fresh()`; returns
    /// how many times the width doubled (others keyed by window index
    /// halve theirs as often) and the window.
    pub fn reach(&mut self, insns: u64, fresh: impl Fn() -> T) -> (u32, &mut T) {
        let mut doubled = 0;
        while insns / self.width >= MAX_WINDOWS as u64 {
            self.double();
            doubled += 1;
        }
        let i = self.index(insns);
        while self.cells.len() <= i {
            self.cells.push(fresh());
        }
        (doubled, &mut self.cells[i])
    }

    /// Merge neighbours two by two.
    fn double(&mut self) {
        let mut merged = Vec::with_capacity(self.cells.len().div_ceil(2));
        let mut it = std::mem::take(&mut self.cells).into_iter();
        while let Some(mut a) = it.next() {
            if let Some(b) = it.next() {
                a.merge(b);
            }
            merged.push(a);
        }
        self.cells = merged;
        self.width *= 2;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[derive(Clone, Debug, Default, PartialEq)]
    struct Count(u64);

    impl Merge for Count {
        fn merge(&mut self, later: Self) {
            self.0 += later.0;
        }
    }

    #[test]
    fn a_long_run_keeps_at_most_max_windows_and_every_count() {
        let mut w: Windows<Count> = Windows::default();
        let mut doublings = 0;
        for insns in (0..10_000_000u64).step_by(997) {
            let (d, cell) = w.reach(insns, Count::default);
            cell.0 += 1;
            doublings += d;
        }
        assert!(w.cells().len() <= MAX_WINDOWS);
        assert_eq!(w.width(), 1 << doublings);
        assert!(w.width() * MAX_WINDOWS as u64 > 10_000_000 - 997);
        let total: u64 = w.cells().iter().map(|c| c.0).sum();
        assert_eq!(total, (0..10_000_000u64).step_by(997).count() as u64);
    }

    #[test]
    fn windows_not_reached_by_an_event_open_fresh() {
        let mut w: Windows<Count> = Windows::default();
        w.reach(0, Count::default).1 .0 = 5;
        w.reach(3, || Count(7));
        assert_eq!(w.cells(), &[Count(5), Count(7), Count(7), Count(7)]);
        assert_eq!(w.index(3), 3);
    }
}
