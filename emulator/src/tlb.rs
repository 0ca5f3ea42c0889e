//! A modelled TLB: set-associative, caching virtual page → frame with the
//! rights the last page walk granted.
//!
//! Like the hardware (Intel SDM Vol. 3A §4.10), it is not kept coherent with
//! the page tables: the kernel must `invlpg` after changing a PTE or reload
//! CR3, or it will observe the stale entry. A cached entry allows writes only
//! if the walk found the page writable *and* already dirty (so the first write
//! walks again and sets D, as §4.8 describes) and the frame holds no decoded
//! code (so self-modifying writes take the slow path).

use std::fmt;
use std::mem::{offset_of, size_of};
use std::str::FromStr;

/// Which way of a set a fill replaces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Policy {
    /// Least recently used.
    Lru,
    /// Oldest fill first.
    Fifo,
    /// A pseudo-random way (xorshift, seeded the same every run).
    Random,
}

impl FromStr for Policy {
    type Err = String;
    fn from_str(s: &str) -> Result<Self, String> {
        match s {
            "lru" => Ok(Policy::Lru),
            "fifo" => Ok(Policy::Fifo),
            "random" => Ok(Policy::Random),
            _ => Err(format!(
                "unknown TLB policy {s:?} (expected lru, fifo or random)"
            )),
        }
    }
}

impl fmt::Display for Policy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            Policy::Lru => "lru",
            Policy::Fifo => "fifo",
            Policy::Random => "random",
        })
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TlbConfig {
    /// Total entries: a power of two, 1..=4096.
    pub entries: usize,
    /// Ways per set: a power of two dividing `entries`.
    pub ways: usize,
    pub policy: Policy,
}

impl Default for TlbConfig {
    /// 64 entries, 4-way, LRU.
    fn default() -> Self {
        TlbConfig {
            entries: 64,
            ways: 4,
            policy: Policy::Lru,
        }
    }
}

impl TlbConfig {
    pub fn validate(&self) -> Result<(), String> {
        let pow2 = |n: usize| n != 0 && n & (n - 1) == 0;
        if !pow2(self.entries) || self.entries > 4096 {
            return Err(format!(
                "TLB entries must be a power of two up to 4096, not {}",
                self.entries
            ));
        }
        if !pow2(self.ways) || self.ways > self.entries {
            return Err(format!(
                "TLB ways must be a power of two up to {}, not {}",
                self.entries, self.ways
            ));
        }
        Ok(())
    }
}

const INVALID: u32 = u32::MAX;

/// Set in a stored `vpn` whose page memcheck watches: the hot lookup, which
/// compares the plain page number, misses it and the MMU's slow path checks
/// the access (`Tlb::lookup_watched`). Page numbers have 20 bits, so the
/// tag never collides with a real one.
pub const WATCHED: u32 = 1 << 31;

/// One cached translation.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct TlbEntry {
    /// Virtual page number, or INVALID.
    pub vpn: u32,
    /// Physical address of the frame (low 12 bits zero).
    pub frame_base: u32,
    /// Writes may use this entry without a walk.
    pub writable: bool,
    /// Replacement bookkeeping: last use (LRU) or fill time (FIFO).
    stamp: u32,
}

const EMPTY: TlbEntry = TlbEntry {
    vpn: INVALID,
    frame_base: 0,
    writable: false,
    stamp: 0,
};

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct TlbStats {
    pub hits: u64,
    /// Lookups that needed a page walk (absent, or a write to a clean entry).
    pub misses: u64,
    /// Entries written after a walk that found the page. A miss whose walk
    /// faults fills nothing; the access is retried once the kernel has
    /// mapped the page, misses again and fills then. So fills are the
    /// misses that succeeded.
    pub fills: u64,
    /// Valid entries pushed out by a fill.
    pub evictions: u64,
    /// Whole-TLB flushes (CR3 loads).
    pub flushes: u64,
    /// Single-entry invalidations that dropped something.
    pub invlpg: u64,
}

impl TlbStats {
    pub fn hit_rate(&self) -> f64 {
        let total = self.hits + self.misses;
        if total == 0 {
            0.0
        } else {
            self.hits as f64 / total as f64
        }
    }
}

/// Slots of the hot index (a power of two).
const HOT: usize = 64;

/// A slot of the hot index: where the entry of a page was last found, so
/// the next lookup of that page compares one tag instead of scanning its
/// set. It never decides a hit the full lookup would not, and a hit through
/// it counts and stamps exactly as the full lookup does; while a slot names
/// an entry, the slot holds that entry's LRU stamp (a hit writes one place,
/// not two), and it goes back into the entry before anything reads stamps
/// or changes the entry (`settle`).
#[repr(C)]
#[derive(Clone, Copy, Debug)]
struct Hot {
    /// The page number, or INVALID.
    vpn: u32,
    /// The page number if the entry allows writes, else INVALID.
    wvpn: u32,
    frame_base: u32,
    /// Its index in `entries`.
    at: u32,
    /// The entry's stamp (LRU only).
    stamp: u32,
    _pad: u32,
    /// Where the page's bytes are on the host for generated code: the host
    /// address of RAM (`host_base`) + frame base − the page's address, so
    /// that adding a virtual address in the page gives its byte.
    host: u64,
    /// What generated code compares the next access with to take it as
    /// the same hit (cpu/jit): the page's address, + 2^62 unless the entry
    /// allows writes (so no access in the low 4 GiB is within the page).
    reuse: u64,
    _pad2: [u64; 3],
}

/// `Hot::reuse` of a page.
fn reuse_of(vpn: u32, writable: bool) -> u64 {
    ((vpn as u64) << 12) | if writable { 0 } else { 1 << 62 }
}

const COLD: Hot = Hot {
    vpn: INVALID,
    wvpn: INVALID,
    frame_base: 0,
    at: 0,
    stamp: 0,
    _pad: 0,
    host: 0,
    reuse: 1 << 63,
    _pad2: [0; 3],
};

/// What the JIT's inline lookup (cpu/jit) reads: where the hot index is
/// and the layout of a slot. Generated code does exactly what `lookup`
/// does on a hot hit; anything else calls out.
pub(crate) struct Layout;

impl Layout {
    pub const HOT_SLOTS: u32 = HOT as u32;
    pub const HOT_STRIDE: u32 = size_of::<Hot>() as u32;
    pub const HOT_VPN: i32 = offset_of!(Hot, vpn) as i32;
    pub const HOT_WVPN: i32 = offset_of!(Hot, wvpn) as i32;
    pub const HOT_STAMP: i32 = offset_of!(Hot, stamp) as i32;
    pub const HOT_HOST: i32 = offset_of!(Hot, host) as i32;
    pub const HOT_REUSE: i32 = offset_of!(Hot, reuse) as i32;
}

pub struct Tlb {
    config: TlbConfig,
    entries: Vec<TlbEntry>,
    /// By page number mod HOT. Every change to `entries` clears the slots
    /// that could name the entry changed.
    hot: [Hot; HOT],
    lru: bool,
    way_shift: u32,
    set_mask: u32,
    clock: u32,
    rng: u32,
    stats: TlbStats,
    /// The host address of guest RAM, for the slots' `host` (set by the
    /// JIT before generated code runs; 0 until then).
    host_base: u64,
    /// When `Some`, every fill, eviction, invalidation and flush is recorded
    /// here for a trace to pick up (only the miss path pays for it).
    pub(crate) log: Option<Vec<TlbEvent>>,
}

/// What happened to the TLB, for traces.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TlbEvent {
    /// A walk cached `vpn`; `evicted` names the page pushed out, if any.
    Fill {
        vpn: u32,
        frame: u32,
        writable: bool,
        evicted: Option<u32>,
    },
    /// `invlpg` dropped `vpn`.
    Invalidate { vpn: u32 },
    /// A CR3 load dropped everything.
    Flush,
}

impl TlbEntry {
    /// The entry as reports show it: the page number without the tag.
    fn untagged(&self) -> TlbEntry {
        match self.vpn {
            INVALID => *self,
            v => TlbEntry {
                vpn: v & !WATCHED,
                ..*self
            },
        }
    }
}

impl Tlb {
    pub fn new(config: TlbConfig) -> Result<Tlb, String> {
        config.validate()?;
        let sets = config.entries / config.ways;
        Ok(Tlb {
            config,
            entries: vec![EMPTY; config.entries],
            hot: [COLD; HOT],
            lru: config.policy == Policy::Lru,
            way_shift: config.ways.trailing_zeros(),
            set_mask: sets as u32 - 1,
            clock: 0,
            rng: 0x2545_f491,
            stats: TlbStats::default(),
            host_base: 0,
            log: None,
        })
    }

    /// The hot index as a raw pointer, for the JIT's inline lookup, with
    /// every slot's `host` made for RAM at `ram` (the slots are remade
    /// only if RAM is not where they were made for).
    pub(crate) fn hot_for(&mut self, ram: *mut u8) -> *mut u8 {
        let base = ram as u64;
        if base != self.host_base {
            self.host_base = base;
            for h in self.hot.iter_mut().filter(|h| h.vpn != INVALID) {
                h.host = host_of(base, h.vpn, h.frame_base);
            }
        }
        self.hot.as_mut_ptr().cast()
    }

    /// The clock, which the JIT's inline hits advance while generated code
    /// runs (taken before, given back by `absorb`): below 2^31, so that
    /// the hits of a run cannot carry it past 2^32 (`cpu::state::Count`).
    /// A clock past that is moved back, with every stamp by as much:
    /// replacement compares ages (the clock less a stamp, wrapping), and
    /// those stay as they were.
    pub(crate) fn jit_clock(&mut self) -> u32 {
        if self.clock >= 1 << 31 {
            let back = self.clock - 1;
            for e in &mut self.entries {
                e.stamp = e.stamp.wrapping_sub(back);
            }
            for h in &mut self.hot {
                h.stamp = h.stamp.wrapping_sub(back);
            }
            self.clock -= back;
        }
        self.clock
    }

    /// Take the clock back from generated code. Each of its inline hits
    /// advanced the clock by one and counted nothing, so the hits are the
    /// clock's advance (fewer than 2^32 between two calls: the JIT bounds
    /// a run).
    pub(crate) fn absorb(&mut self, clock: u32) {
        self.stats.hits += clock.wrapping_sub(self.clock) as u64;
        self.clock = clock;
    }

    pub fn config(&self) -> TlbConfig {
        self.config
    }

    #[inline(always)]
    fn set(&self, vpn: u32) -> usize {
        ((vpn & self.set_mask) << self.way_shift) as usize
    }

    /// The frame base for `vpn` if cached with enough rights, counting a
    /// hit; `None` counts nothing (the caller counts the miss, after looking
    /// for a watched entry).
    #[inline(always)]
    pub fn lookup(&mut self, vpn: u32, write: bool) -> Option<u32> {
        self.hot_hit(vpn, write)
            .or_else(|| self.find_and_remember(vpn, write))
    }

    /// `lookup` through the hot index alone: `None` says nothing about the
    /// set (and counts nothing).
    #[inline(always)]
    pub fn hot_hit(&mut self, vpn: u32, write: bool) -> Option<u32> {
        let h = &mut self.hot[vpn as usize & (HOT - 1)];
        if (if write { h.wvpn } else { h.vpn }) == vpn {
            // What `find` does on a hit, without the scan. (The slot's
            // stamp is read only under LRU: stamping it anyway saves a
            // test.)
            self.clock = self.clock.wrapping_add(1);
            h.stamp = self.clock;
            self.stats.hits += 1;
            return Some(h.frame_base);
        }
        None
    }

    /// The full lookup; a hit goes into the hot index.
    #[inline(never)]
    fn find_and_remember(&mut self, vpn: u32, write: bool) -> Option<u32> {
        let (at, base) = self.find_at(vpn, write)?;
        let i = vpn as usize & (HOT - 1);
        if self.hot[i].vpn != vpn {
            self.settle(i);
        }
        let e = self.entries[at];
        self.hot[i] = Hot {
            vpn,
            wvpn: if e.writable { vpn } else { INVALID },
            frame_base: base,
            at: at as u32,
            stamp: e.stamp,
            _pad: 0,
            host: host_of(self.host_base, vpn, base),
            reuse: reuse_of(vpn, e.writable),
            _pad2: [0; 3],
        };
        Some(base)
    }

    /// Give slot `i`'s stamp back to the entry it names (if it names one).
    fn settle(&mut self, i: usize) {
        let h = self.hot[i];
        if h.vpn != INVALID && self.lru {
            if let Some(e) = self.entries.get_mut(h.at as usize) {
                e.stamp = h.stamp;
            }
        }
    }

    /// Entry `j` with its stamp as it stands (a slot may hold it).
    fn settled(&self, j: usize) -> TlbEntry {
        let mut e = self.entries[j];
        e.stamp = self.stamp_of(j);
        e
    }

    /// Entry `j`'s stamp as it stands.
    #[inline(always)]
    fn stamp_of(&self, j: usize) -> u32 {
        let e = &self.entries[j];
        let h = &self.hot[(e.vpn & !WATCHED) as usize & (HOT - 1)];
        if self.lru && e.vpn != INVALID && h.vpn == e.vpn && h.at as usize == j {
            h.stamp
        } else {
            e.stamp
        }
    }

    /// Forget what the hot index knows of `vpn`'s slot, whose entry is
    /// being replaced or dropped. The slot may name another page's entry,
    /// which stays: that one gets its stamp back.
    #[inline(always)]
    fn cool(&mut self, vpn: u32) {
        let vpn = vpn & !WATCHED;
        let i = vpn as usize & (HOT - 1);
        if self.hot[i].vpn != vpn {
            self.settle(i);
        }
        self.hot[i] = COLD;
    }

    /// Like `lookup`, for the entry of a watched page.
    pub fn lookup_watched(&mut self, vpn: u32, write: bool) -> Option<u32> {
        self.find_at(vpn | WATCHED, write).map(|(_, base)| base)
    }

    /// Count a lookup that needed a walk.
    pub fn count_miss(&mut self) {
        self.stats.misses += 1;
    }

    /// The index and frame base of `key`'s entry, counting a hit.
    #[inline(always)]
    fn find_at(&mut self, key: u32, write: bool) -> Option<(usize, u32)> {
        let s = self.set(key);
        let ways = self.config.ways;
        self.clock = self.clock.wrapping_add(1);
        for (i, e) in self.entries[s..s + ways].iter_mut().enumerate() {
            if e.vpn == key {
                if write && !e.writable {
                    break;
                }
                if self.lru {
                    e.stamp = self.clock;
                }
                self.stats.hits += 1;
                return Some((s + i, e.frame_base));
            }
        }
        None
    }

    /// Look without counting or touching replacement state (debugger, reports).
    pub fn peek(&self, vpn: u32) -> Option<TlbEntry> {
        let s = self.set(vpn);
        (s..s + self.config.ways)
            .map(|j| self.settled(j).untagged())
            .find(|e| e.vpn == vpn)
    }

    /// Cache a translation after a successful walk (`watched`: memcheck
    /// checks accesses to the page).
    pub fn fill(&mut self, vpn: u32, frame_base: u32, writable: bool, watched: bool) {
        let s = self.set(vpn);
        let ways = self.config.ways;
        self.clock = self.clock.wrapping_add(1);
        let entry = TlbEntry {
            vpn: if watched { vpn | WATCHED } else { vpn },
            frame_base,
            writable,
            stamp: self.clock,
        };
        self.stats.fills += 1;
        self.cool(vpn);
        let set = &mut self.entries[s..s + ways];
        // The page's own entry first (a clean one being upgraded), else an
        // empty way: filling an empty way in front of the old entry would
        // leave two, and `invlpg` drops only one.
        let way = set
            .iter()
            .position(|e| e.vpn & !WATCHED == vpn)
            .or_else(|| set.iter().position(|e| e.vpn == INVALID));
        if let Some(i) = way {
            set[i] = entry;
            self.record(TlbEvent::Fill {
                vpn,
                frame: frame_base >> 12,
                writable,
                evicted: None,
            });
            return;
        }
        if self.lru {
            // The victim is chosen by the stamps as they stand.
            for j in s..s + ways {
                self.entries[j].stamp = self.stamp_of(j);
            }
        }
        let set = &mut self.entries[s..s + ways];
        let victim = match self.config.policy {
            Policy::Lru | Policy::Fifo => {
                let now = self.clock;
                (0..ways)
                    .max_by_key(|&i| now.wrapping_sub(set[i].stamp))
                    .unwrap_or(0)
            }
            Policy::Random => {
                self.rng ^= self.rng << 13;
                self.rng ^= self.rng >> 17;
                self.rng ^= self.rng << 5;
                self.rng as usize & (ways - 1)
            }
        };
        let evicted = set[victim].vpn & !WATCHED;
        set[victim] = entry;
        self.cool(evicted);
        self.stats.evictions += 1;
        self.record(TlbEvent::Fill {
            vpn,
            frame: frame_base >> 12,
            writable,
            evicted: Some(evicted),
        });
    }

    fn record(&mut self, e: TlbEvent) {
        if let Some(log) = self.log.as_mut() {
            log.push(e);
        }
    }

    /// Drop the entry for one page (`invlpg`). Returns whether one was cached.
    pub fn invalidate(&mut self, vpn: u32) -> bool {
        let s = self.set(vpn);
        let ways = self.config.ways;
        for j in s..s + ways {
            let e = self.entries[j].vpn;
            if e != INVALID && e & !WATCHED == vpn {
                self.entries[j] = EMPTY;
                self.cool(vpn);
                self.stats.invlpg += 1;
                self.record(TlbEvent::Invalidate { vpn });
                return true;
            }
        }
        false
    }

    /// Drop every entry (a CR3 load).
    pub fn flush(&mut self) {
        self.entries.fill(EMPTY);
        self.hot.fill(COLD);
        self.stats.flushes += 1;
        self.record(TlbEvent::Flush);
    }

    /// Take write permission away from every entry that maps `frame_base`
    /// (the frame now holds decoded code).
    pub fn revoke_writes_to(&mut self, frame_base: u32) {
        for h in self.hot.iter_mut().filter(|h| h.frame_base == frame_base) {
            h.wvpn = INVALID;
            h.reuse = reuse_of(h.vpn, false);
        }
        for e in self
            .entries
            .iter_mut()
            .filter(|e| e.frame_base == frame_base && e.vpn != INVALID)
        {
            e.writable = false;
        }
    }

    pub fn stats(&self) -> TlbStats {
        self.stats
    }

    /// Valid entries, for reports and the debugger. Each one's stamp is
    /// its rank in its set, 0 for the most recent (by last use for LRU, by
    /// fill for FIFO): what replacement decides by. (The JIT may leave the
    /// clock's raw value in a stamp one behind, never the order.)
    pub fn valid_entries(&self) -> impl Iterator<Item = TlbEntry> + '_ {
        let ways = self.config.ways;
        let mut out = Vec::new();
        let mut ages = Vec::with_capacity(ways);
        for set in (0..self.entries.len()).step_by(ways) {
            let age = |j: usize| self.clock.wrapping_sub(self.stamp_of(j));
            let valid = |j: &usize| self.entries[*j].vpn != INVALID;
            ages.clear();
            ages.extend((set..set + ways).filter(valid).map(age));
            ages.sort_unstable();
            for j in (set..set + ways).filter(valid) {
                // How many entries of the set were used (or filled) later.
                let rank = ages.partition_point(|&a| a < age(j));
                out.push(TlbEntry {
                    stamp: rank as u32,
                    ..self.entries[j].untagged()
                });
            }
        }
        out.into_iter()
    }

    /// Mark the cached entry of `vpn`, if any, watched or not, in place: the
    /// modelled TLB's contents and statistics stay what they were.
    pub fn set_watched(&mut self, vpn: u32, watched: bool) {
        self.settle((vpn & !WATCHED) as usize & (HOT - 1));
        self.cool(vpn);
        let s = self.set(vpn);
        let ways = self.config.ways;
        for e in &mut self.entries[s..s + ways] {
            if e.vpn != INVALID && e.vpn & !WATCHED == vpn {
                e.vpn = if watched { vpn | WATCHED } else { vpn };
            }
        }
    }
}

/// A slot's `host`: where byte `vpn << 12` of the frame at `frame_base`
/// is, with RAM at `base` (wrapping: only addresses in the page are added).
fn host_of(base: u64, vpn: u32, frame_base: u32) -> u64 {
    base.wrapping_add(frame_base as u64)
        .wrapping_sub((vpn as u64) << 12)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn tlb(entries: usize, ways: usize, policy: Policy) -> Tlb {
        Tlb::new(TlbConfig {
            entries,
            ways,
            policy,
        })
        .unwrap()
    }

    #[test]
    fn hit_after_fill_and_miss_after_invalidate() {
        let mut t = tlb(64, 4, Policy::Lru);
        assert_eq!(t.lookup(5, false), None);
        t.fill(5, 0x9000, false, false);
        assert_eq!(t.lookup(5, false), Some(0x9000));
        assert_eq!(t.lookup(5, true), None, "clean entry must walk on write");
        assert!(t.invalidate(5));
        assert_eq!(t.lookup(5, false), None);
        assert_eq!(t.stats.hits, 1);
        assert_eq!(
            t.stats.misses, 0,
            "the MMU counts misses, after its slow path"
        );
        assert_eq!(t.stats.fills, 1, "only the walk that found the page fills");
    }

    #[test]
    fn upgrading_a_clean_entry_never_leaves_a_second_copy() {
        let mut t = tlb(2, 2, Policy::Lru); // one set of two ways
        t.fill(1, 0x1000, false, false);
        t.fill(2, 0x2000, false, false);
        t.invalidate(1); // way 0 is empty, page 2's clean entry is in way 1
        t.fill(2, 0x2000, true, false); // the first write to page 2
        assert_eq!(t.valid_entries().filter(|e| e.vpn == 2).count(), 1);
        t.invalidate(2);
        assert_eq!(t.peek(2), None, "invlpg leaves no stale copy");
    }

    #[test]
    fn a_watched_entry_misses_the_hot_lookup_and_keeps_its_place() {
        let mut t = tlb(2, 2, Policy::Lru);
        t.fill(7, 0x7000, true, false);
        t.set_watched(7, true);
        assert_eq!(t.lookup(7, false), None);
        assert_eq!(t.lookup_watched(7, true), Some(0x7000));
        assert_eq!(t.peek(7).map(|e| e.vpn), Some(7), "reports see the page");
        assert_eq!(t.valid_entries().next().map(|e| e.vpn), Some(7));
        t.fill(7, 0x7000, true, true); // a refill replaces, never duplicates
        assert_eq!(t.valid_entries().count(), 1);
        assert!(t.invalidate(7));
        assert_eq!(t.lookup_watched(7, false), None);
        assert_eq!(t.stats.hits, 1);
    }

    #[test]
    fn lru_evicts_least_recently_used_way() {
        let mut t = tlb(2, 2, Policy::Lru); // one set of two ways
        t.fill(1, 0x1000, false, false);
        t.fill(2, 0x2000, false, false);
        t.lookup(1, false); // 2 is now the LRU
        t.fill(3, 0x3000, false, false);
        assert!(t.peek(1).is_some());
        assert!(t.peek(2).is_none());
        assert_eq!(t.stats.evictions, 1);
    }

    #[test]
    fn moving_the_clock_back_for_the_jit_keeps_the_order() {
        for policy in [Policy::Lru, Policy::Fifo] {
            let mut t = tlb(4, 4, policy); // one set of four ways
            t.clock = (1 << 31) - 6;
            // The oldest stamp in the hot index, a newer one only in its
            // entry (65 took the slot 1 was found through).
            for vpn in [1, 2, 65, 3] {
                t.fill(vpn, vpn << 12, false, false);
            }
            for vpn in [2, 1, 3, 65] {
                t.lookup(vpn, false); // LRU: 2 is the oldest; FIFO: 1 is
            }
            let before: Vec<_> = t.valid_entries().collect();
            assert!(t.clock >= 1 << 31);
            assert!(t.jit_clock() < 1 << 31, "{policy:?}");
            assert_eq!(t.valid_entries().collect::<Vec<_>>(), before);
            t.fill(4, 0x4000, false, false);
            let gone = if policy == Policy::Lru { 2 } else { 1 };
            assert!(t.peek(gone).is_none(), "{policy:?}");
            assert_eq!(t.valid_entries().count(), 4);
        }
    }

    #[test]
    fn fifo_evicts_oldest_fill() {
        let mut t = tlb(2, 2, Policy::Fifo);
        t.fill(1, 0x1000, false, false);
        t.fill(2, 0x2000, false, false);
        t.lookup(1, false);
        t.fill(3, 0x3000, false, false);
        assert!(t.peek(1).is_none());
        assert!(t.peek(2).is_some());
    }

    #[test]
    fn rejects_bad_geometry() {
        assert!(Tlb::new(TlbConfig {
            entries: 48,
            ways: 4,
            policy: Policy::Lru
        })
        .is_err());
        assert!(Tlb::new(TlbConfig {
            entries: 4,
            ways: 8,
            policy: Policy::Lru
        })
        .is_err());
    }

    /// The hot index is invisible: a TLB looked up through it and one
    /// looked up by scanning its sets alone, given the same pseudo-random
    /// fills, lookups, invalidations, flushes, revocations and watch marks,
    /// agree on every answer, every statistic and every entry.
    #[test]
    fn the_hot_index_changes_no_answer_and_no_statistic() {
        for policy in [Policy::Lru, Policy::Fifo, Policy::Random] {
            let mut hot = tlb(16, 4, policy);
            let mut plain = tlb(16, 4, policy);
            let mut x = 0x1234_5678u32;
            for _ in 0..20_000 {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                // Few pages, so that sets fill and entries get evicted.
                let vpn = (x >> 8) % 40;
                let write = x & 1 != 0;
                match x % 100 {
                    0..=69 => {
                        let a = hot.lookup(vpn, write);
                        let b = plain.find_at(vpn, write).map(|(_, base)| base);
                        assert_eq!(a, b, "{policy} lookup {vpn} write {write}");
                    }
                    70..=89 => {
                        for t in [&mut hot, &mut plain] {
                            t.fill(vpn, vpn << 12, write, false);
                        }
                    }
                    90..=94 => {
                        assert_eq!(hot.invalidate(vpn), plain.invalidate(vpn));
                    }
                    95 => {
                        hot.flush();
                        plain.flush();
                    }
                    96 | 97 => {
                        hot.revoke_writes_to(vpn << 12);
                        plain.revoke_writes_to(vpn << 12);
                    }
                    _ => {
                        hot.set_watched(vpn, write);
                        plain.set_watched(vpn, write);
                    }
                }
                assert_eq!(hot.stats, plain.stats, "{policy}");
                let settled: Vec<_> = (0..hot.entries.len()).map(|j| hot.settled(j)).collect();
                assert_eq!(settled, plain.entries, "{policy}");
            }
        }
    }
}
