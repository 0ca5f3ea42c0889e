//! Memcheck's shadow of memory: which pages an access check covers and,
//! for heap pages, byte by byte, which bytes the program may not touch.
//!
//! The MMU consults it only for pages whose TLB entry is marked watched
//! (`tlb::WATCHED`), so pages that hold no heap and no stack cost nothing.
//! Two kinds of page are watched:
//!
//! - a *heap* page carries a bitmap: a set bit is a byte of the allocator's
//!   memory outside every live block (a header, padding, a freed block);
//! - the *stack* (one range of pages) has no bitmap: an access must not lie
//!   below the stack pointer. The MMU does not see ESP, so it compares
//!   with `floor`, which the CPU sets to ESP at the end of each block
//!   (calls, returns, jumps) and lowers when an instruction pushes; an
//!   access below `floor` is a candidate the CPU judges exactly (it knows
//!   ESP and what the instruction pushes). Within a block, after a push
//!   lowered the floor and ESP then rose again, an access between the two
//!   is missed.
//!
//! Who decides what is heap and what is live (the allocator's calls, seen
//! from above) writes here; the machine only checks.

use crate::trap::Access;

/// Bytes per page, as bits in 64-bit words.
const WORDS: usize = 4096 / 64;

/// One watched heap page: set bits are bytes no access may touch.
type Shadow = Box<[u64; WORDS]>;

/// What a failed check saw.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Violation {
    pub addr: u32,
    /// Bytes of the access within this page.
    pub len: u32,
    pub access: Access,
    /// Below the stack floor (else: forbidden heap bytes).
    pub stack: bool,
}

/// The watched pages of one address space.
pub struct Watch {
    /// Directory index → 1024 slots, as the page tables split a vpn.
    dir: Vec<Option<Box<[Option<Shadow>]>>>,
    /// No access is checked (the allocator itself is running).
    pub suspended: bool,
    /// Stack accesses at or above this pass without a closer look.
    pub floor: u32,
    /// The stack's pages, `[lo, hi)` as page numbers (empty: none watched).
    stack: (u32, u32),
    /// Watched heap pages, for reports.
    pages: u32,
    last: Option<Violation>,
}

impl Default for Watch {
    fn default() -> Self {
        Watch {
            dir: vec![None; 1024],
            suspended: false,
            floor: 0,
            stack: (0, 0),
            pages: 0,
            last: None,
        }
    }
}

impl Watch {
    fn slot(&self, vpn: u32) -> Option<&Shadow> {
        self.dir[(vpn >> 10) as usize & 1023].as_ref()?[vpn as usize & 1023].as_ref()
    }

    fn slot_mut(&mut self, vpn: u32) -> &mut Option<Shadow> {
        let table = self.dir[(vpn >> 10) as usize & 1023]
            .get_or_insert_with(|| vec![None; 1024].into_boxed_slice());
        &mut table[vpn as usize & 1023]
    }

    /// Whether `vpn` is one of the stack's pages.
    pub fn in_stack(&self, vpn: u32) -> bool {
        (self.stack.0..self.stack.1).contains(&vpn)
    }

    /// Whether accesses to `vpn` are checked.
    #[inline]
    pub fn covers(&self, vpn: u32) -> bool {
        self.in_stack(vpn) || self.slot(vpn).is_some()
    }

    /// Whether the stack is watched (the CPU then keeps `floor`).
    #[inline(always)]
    pub fn has_stack(&self) -> bool {
        self.stack.0 < self.stack.1
    }

    /// Watched heap pages.
    pub fn pages(&self) -> u32 {
        self.pages
    }

    /// Watch the pages `[lo, hi)` (page numbers) as the stack.
    pub fn set_stack(&mut self, lo: u32, hi: u32) {
        self.stack = (lo, hi);
    }

    /// Watch `vpn` as heap, every byte allowed until `set_forbidden` says
    /// otherwise. Returns whether it was not watched before.
    pub fn watch(&mut self, vpn: u32) -> bool {
        let slot = self.slot_mut(vpn);
        if slot.is_some() {
            return false;
        }
        *slot = Some(Box::new([0; WORDS]));
        self.pages += 1;
        true
    }

    /// Stop watching the heap page `vpn`. Returns whether it was watched.
    pub fn unwatch(&mut self, vpn: u32) -> bool {
        let gone = self.slot_mut(vpn).take().is_some();
        self.pages -= gone as u32;
        gone
    }

    /// Whether the heap page `vpn` has no forbidden byte left.
    pub fn all_allowed(&self, vpn: u32) -> bool {
        self.slot(vpn).is_none_or(|s| s.iter().all(|&w| w == 0))
    }

    /// Forbid (or allow) the bytes `[start, end)` on the heap pages they
    /// cover; bytes on pages not watched as heap are left alone.
    pub fn set_forbidden(&mut self, start: u32, end: u32, forbidden: bool) {
        let mut at = start as u64;
        let end = end as u64;
        while at < end {
            let vpn = (at >> 12) as u32;
            let page_end = ((at >> 12) + 1) << 12;
            let stop = end.min(page_end);
            if let Some(s) = self.slot_mut_existing(vpn) {
                let base = at & !0xfff;
                set_bits(s, (at - base) as usize, (stop - base) as usize, forbidden);
            }
            at = stop;
        }
    }

    fn slot_mut_existing(&mut self, vpn: u32) -> Option<&mut Shadow> {
        self.dir[(vpn >> 10) as usize & 1023].as_mut()?[vpn as usize & 1023].as_mut()
    }

    /// Whether the byte at `addr` is forbidden (a watched heap byte
    /// outside every live block).
    pub fn is_forbidden(&self, addr: u32) -> bool {
        self.slot(addr >> 12).is_some_and(|s| {
            let b = addr as usize & 0xfff;
            s[b / 64] >> (b % 64) & 1 != 0
        })
    }

    /// Check an access of `len` bytes at `addr`, all within one page. A
    /// naturally aligned load that reaches at least one allowed byte passes
    /// (the word-at-a-time string functions of every libc read past a
    /// string's end within its aligned word, as valgrind's
    /// `--partial-loads-ok=yes` allows).
    #[inline]
    pub fn check(&mut self, addr: u32, len: u32, access: Access) -> bool {
        if self.suspended || len == 0 || access == Access::Fetch {
            return true;
        }
        let stack = self.in_stack(addr >> 12);
        let ok = if stack {
            addr >= self.floor
        } else {
            let Some(s) = self.slot(addr >> 12) else {
                return true;
            };
            let off = addr as usize & 0xfff;
            let bad = (off..off + len as usize)
                .filter(|b| s[b / 64] >> (b % 64) & 1 != 0)
                .count() as u32;
            bad == 0
                || (access == Access::Read
                    && bad < len
                    && len.is_power_of_two()
                    && len > 1
                    && addr.is_multiple_of(len))
        };
        if !ok {
            self.last = Some(Violation {
                addr,
                len,
                access,
                stack,
            });
        }
        ok
    }

    /// Make the last violation the whole access it was part of (an access
    /// split across two pages is checked a page at a time).
    pub fn widen_violation(&mut self, addr: u32, len: u32) {
        if let Some(v) = self.last.as_mut() {
            v.addr = addr;
            v.len = len;
        }
    }

    /// The violation the last failed check saw.
    pub fn take_violation(&mut self) -> Option<Violation> {
        self.last.take()
    }
}

/// Set or clear bits `[lo, hi)` of `words`, a word at a time.
fn set_bits(words: &mut [u64; WORDS], lo: usize, hi: usize, on: bool) {
    let mut b = lo;
    while b < hi {
        let (w, bit) = (b / 64, b % 64);
        let n = (64 - bit).min(hi - b);
        let mask = if n == 64 {
            u64::MAX
        } else {
            ((1u64 << n) - 1) << bit
        };
        if on {
            words[w] |= mask;
        } else {
            words[w] &= !mask;
        }
        b += n;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn heap_bytes_are_forbidden_until_made_live() {
        let mut w = Watch::default();
        assert!(w.watch(0x804f));
        assert!(
            w.check(0x804f010, 4, Access::Write),
            "allowed until forbidden"
        );
        w.set_forbidden(0x804f000, 0x8050000, true);
        assert!(!w.check(0x804f010, 4, Access::Write));
        w.set_forbidden(0x804f010, 0x804f028, false); // a block of 24
        assert!(w.check(0x804f010, 4, Access::Write));
        assert!(w.check(0x804f024, 4, Access::Read));
        assert!(!w.check(0x804f028, 4, Access::Write), "0 bytes after");
        let v = w.take_violation().unwrap();
        assert_eq!((v.addr, v.len, v.stack), (0x804f028, 4, false));
        assert!(!w.check(0x804f00f, 1, Access::Read), "1 byte before");
        assert!(!w.check(0x804f026, 4, Access::Write), "straddles the end");
    }

    #[test]
    fn an_aligned_load_that_reaches_the_block_passes() {
        let mut w = Watch::default();
        w.watch(0x804f);
        w.set_forbidden(0x804f000, 0x8050000, true);
        w.set_forbidden(0x804f010, 0x804f015, false); // "abcd\0"
        assert!(w.check(0x804f014, 4, Access::Read), "strlen's last word");
        assert!(!w.check(0x804f014, 4, Access::Write), "but never a store");
        assert!(
            !w.check(0x804f015, 2, Access::Read),
            "nor a misaligned load"
        );
        assert!(
            !w.check(0x804f018, 4, Access::Read),
            "nor a word past the end"
        );
    }

    #[test]
    fn stack_pages_compare_with_the_floor_and_suspension_checks_nothing() {
        let mut w = Watch::default();
        w.set_stack(0xbff00, 0xc0000);
        assert!(w.has_stack() && w.covers(0xbffff));
        w.floor = 0xbffff100;
        assert!(w.check(0xbffff100, 4, Access::Read));
        assert!(!w.check(0xbffff0fc, 4, Access::Read));
        assert!(w.take_violation().unwrap().stack);
        w.suspended = true;
        assert!(w.check(0xbffff0fc, 4, Access::Read));
        w.set_stack(0, 0);
        assert!(!w.has_stack() && !w.covers(0xbffff));
    }

    #[test]
    fn unwatched_pages_are_never_checked_nor_marked() {
        let mut w = Watch::default();
        w.set_forbidden(0x1000, 0x2000, true);
        assert!(w.check(0x1000, 4, Access::Write));
        assert!(!w.is_forbidden(0x1000));
    }
}
