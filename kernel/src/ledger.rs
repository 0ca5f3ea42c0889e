//! The memory ledger: frames a process took and gave back, by cause.
//!
//! Every frame the kernel hands a process is booked under one cause when it
//! is taken and under the same cause when it is returned, so after exit each
//! line must balance and the total leaked must be zero.

use crate::vma::VmaKind;
use std::fmt;

/// Why a frame was taken.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Cause {
    /// A page of an ELF segment, filled from the image (and zeroes).
    ElfSegment,
    /// Demand-zero heap (brk).
    Heap,
    /// Anonymous mmap.
    Mmap,
    /// Stack, including the pages holding argv/envp/auxv.
    Stack,
    /// Page tables and the page directory.
    PageTable,
}

impl Cause {
    pub const ALL: [Cause; 5] = [
        Cause::ElfSegment,
        Cause::Heap,
        Cause::Mmap,
        Cause::Stack,
        Cause::PageTable,
    ];

    pub fn of(kind: VmaKind) -> Cause {
        match kind {
            VmaKind::ElfSegment(_) => Cause::ElfSegment,
            VmaKind::Heap => Cause::Heap,
            VmaKind::Mmap => Cause::Mmap,
            VmaKind::Stack => Cause::Stack,
        }
    }
    pub fn name(self) -> &'static str {
        match self {
            Cause::ElfSegment => "elf",
            Cause::Heap => "heap",
            Cause::Mmap => "mmap",
            Cause::Stack => "stack",
            Cause::PageTable => "page tables",
        }
    }
}

impl fmt::Display for Cause {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Ledger {
    taken: [u64; 5],
    returned: [u64; 5],
}

impl Ledger {
    pub fn take(&mut self, c: Cause) {
        self.taken[c as usize] += 1;
    }
    pub fn give_back(&mut self, c: Cause) {
        self.returned[c as usize] += 1;
    }
    pub fn taken(&self, c: Cause) -> u64 {
        self.taken[c as usize]
    }
    pub fn returned(&self, c: Cause) -> u64 {
        self.returned[c as usize]
    }
    /// Frames still held: zero for every cause once a process has exited.
    pub fn outstanding(&self) -> i64 {
        self.taken.iter().sum::<u64>() as i64 - self.returned.iter().sum::<u64>() as i64
    }
    /// What happened between `earlier` and now.
    pub fn since(&self, earlier: &Ledger) -> Ledger {
        let mut d = Ledger::default();
        for i in 0..5 {
            d.taken[i] = self.taken[i] - earlier.taken[i];
            d.returned[i] = self.returned[i] - earlier.returned[i];
        }
        d
    }
    pub fn total_returned(&self) -> u64 {
        self.returned.iter().sum()
    }
}
