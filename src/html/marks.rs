//! Events that happen at an address — page faults by their resolution,
//! memcheck's errors — gathered into cells of (time window, address
//! bucket, lane), each with its count and the first event's trace line,
//! which is what the timeline's ticks show on hover. A bucket starts as
//! one page and grows fourfold whenever there are more than [`MAX_MARKS`]
//! cells, so ten million faults still make a few thousand ticks.

use std::collections::HashMap;

/// Cells kept at most.
pub const MAX_MARKS: usize = 6_000;

/// What a tick stands for, one colour each.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Lane {
    ZeroFill,
    FileFill,
    StackGrowth,
    Segv,
    Bus,
    OutOfMemory,
    Memcheck,
}

impl Lane {
    pub const ALL: [Lane; 7] = [
        Lane::ZeroFill,
        Lane::FileFill,
        Lane::StackGrowth,
        Lane::Segv,
        Lane::Bus,
        Lane::OutOfMemory,
        Lane::Memcheck,
    ];

    /// As the trace names the resolution (the CSS class is made from it).
    pub fn name(self) -> &'static str {
        match self {
            Lane::ZeroFill => "zero-fill",
            Lane::FileFill => "file-fill",
            Lane::StackGrowth => "stack growth",
            Lane::Segv => "SIGSEGV",
            Lane::Bus => "SIGBUS",
            Lane::OutOfMemory => "out of memory",
            Lane::Memcheck => "memcheck error",
        }
    }

    /// The CSS class: `zero-fill`, `sigsegv`, `out-of-memory`...
    pub fn class(self) -> String {
        self.name().to_lowercase().replace(' ', "-")
    }
}

/// One cell: how many events fell in it and the first of them.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Mark {
    pub count: u64,
    /// The first event's sequence number and trace line.
    pub seq: u64,
    pub line: String,
}

/// The cells, keyed by (window, bucket, lane).
#[derive(Clone, Debug, Default)]
pub struct Marks {
    /// A bucket is `2^shift` pages.
    shift: u32,
    cells: HashMap<(u32, u32, Lane), Mark>,
}

impl Marks {
    /// Pages per bucket, as a power of two.
    pub fn shift(&self) -> u32 {
        self.shift
    }

    /// Count an event of `lane` at page `vpn` in window `win`; `line` is
    /// asked for only when it is the first of its cell.
    pub fn add(
        &mut self,
        win: usize,
        vpn: u32,
        lane: Lane,
        seq: u64,
        line: impl FnOnce() -> String,
    ) {
        let key = (win as u32, vpn >> self.shift, lane);
        match self.cells.get_mut(&key) {
            Some(m) => m.count += 1,
            None => {
                let mark = Mark {
                    count: 1,
                    seq,
                    line: line(),
                };
                self.cells.insert(key, mark);
                // 20 is a bucket of the whole 4 GiB: only time is left.
                if self.cells.len() > MAX_MARKS && self.shift < 20 {
                    self.rekey(0, 2);
                }
            }
        }
    }

    /// The windows doubled `times` times: fold the cells to match.
    pub fn windows_doubled(&mut self, times: u32) {
        if times > 0 {
            self.rekey(times, 0);
        }
    }

    fn rekey(&mut self, window_shift: u32, bucket_shift: u32) {
        self.shift += bucket_shift;
        let old = std::mem::take(&mut self.cells);
        for ((w, b, lane), m) in old {
            let key = (w >> window_shift, b >> bucket_shift, lane);
            match self.cells.get_mut(&key) {
                Some(a) => {
                    a.count += m.count;
                    if m.seq < a.seq {
                        a.seq = m.seq;
                        a.line = m.line;
                    }
                }
                None => {
                    self.cells.insert(key, m);
                }
            }
        }
    }

    /// Every cell as (window, first page of its bucket, lane, mark), in
    /// the order of their first events.
    pub fn cells(&self) -> Vec<(usize, u32, Lane, &Mark)> {
        let mut out: Vec<_> = self
            .cells
            .iter()
            .map(|(&(w, b, lane), m)| (w as usize, b << self.shift, lane, m))
            .collect();
        out.sort_by_key(|c| c.3.seq);
        out
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn each_fault_is_its_own_tick_until_there_are_too_many() {
        let mut m = Marks::default();
        m.add(0, 0x8049, Lane::FileFill, 1, || "first".into());
        m.add(0, 0x8049, Lane::FileFill, 2, || {
            unreachable!("not the first")
        });
        m.add(0, 0x804a, Lane::FileFill, 3, || "second".into());
        let cells = m.cells();
        assert_eq!(cells.len(), 2);
        assert_eq!(
            (cells[0].1, cells[0].3.count, cells[0].3.line.as_str()),
            (0x8049, 2, "first")
        );
    }

    #[test]
    fn a_million_faults_make_a_bounded_number_of_ticks_and_lose_no_count() {
        let mut m = Marks::default();
        for i in 0..1_000_000u32 {
            m.add(
                (i / 500) as usize,
                0xb0000 + (i % 40_000),
                Lane::ZeroFill,
                i as u64,
                || format!("fault {i}"),
            );
        }
        m.windows_doubled(1);
        let cells = m.cells();
        assert!(cells.len() <= MAX_MARKS);
        assert!(m.shift() > 0);
        assert_eq!(cells.iter().map(|c| c.3.count).sum::<u64>(), 1_000_000);
        assert_eq!(
            cells[0].3.line, "fault 0",
            "the first event of a cell is kept"
        );
    }
}
