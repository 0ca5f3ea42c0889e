//! The blocks the program holds, as the allocator's calls handed them out,
//! and a bounded quarantine of freed ones, so that an access to freed
//! memory can still say which block it was and where it was freed.

use super::alloc_fns::AllocFn;
use std::collections::{BTreeMap, VecDeque};

/// Return addresses, innermost first: frame 0 is where the event happened.
pub type Stack = Vec<u32>;

/// One block handed out.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Block {
    pub addr: u32,
    /// Bytes the program asked for.
    pub size: u32,
    pub by: AllocFn,
    pub alloc: Stack,
}

impl Block {
    pub fn end(&self) -> u64 {
        self.addr as u64 + self.size as u64
    }
}

/// A block given back, remembered for a while.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Freed {
    pub block: Block,
    pub freed: Stack,
}

/// Freed blocks kept for naming: valgrind's default `--freelist-vol`.
const QUARANTINE_BYTES: u64 = 20 << 20;
/// And at most this many of them.
const QUARANTINE_BLOCKS: usize = 100_000;
/// How far outside a block an access is still said to be near it.
const NEAR: u64 = 64;

/// Where an address lies, as valgrind's "Address ... is" line says it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Whereabouts {
    /// `off` bytes inside a live block.
    Inside { off: u32, block: Block },
    /// `off` bytes after the end of a live block.
    After { off: u32, block: Block },
    /// `off` bytes before the start of a live block.
    Before { off: u32, block: Block },
    /// `off` bytes inside a block already freed.
    InsideFreed { off: u32, freed: Freed },
    /// `below` bytes below the stack pointer.
    Stack { below: u32 },
    /// In the live part of the stack (a local's address).
    OnStack,
    /// Near no block memcheck knows.
    Nowhere,
}

/// An address by a block, as one shape: the relation in valgrind's word
/// (`inside`, `after`, `before`), the offset, the block, and where it was
/// freed if it was.
pub struct NearBlock<'a> {
    pub relation: &'static str,
    pub off: u32,
    pub block: &'a Block,
    pub freed: Option<&'a Stack>,
}

impl Whereabouts {
    /// The block the address is by, if any.
    pub fn near_block(&self) -> Option<NearBlock<'_>> {
        let (relation, off, block, freed) = match self {
            Whereabouts::Inside { off, block } => ("inside", *off, block, None),
            Whereabouts::After { off, block } => ("after", *off, block, None),
            Whereabouts::Before { off, block } => ("before", *off, block, None),
            Whereabouts::InsideFreed { off, freed } => {
                ("inside", *off, &freed.block, Some(&freed.freed))
            }
            _ => return None,
        };
        Some(NearBlock {
            relation,
            off,
            block,
            freed,
        })
    }
}

#[derive(Default)]
pub struct Blocks {
    live: BTreeMap<u32, Block>,
    quarantine: VecDeque<Freed>,
    quarantined: u64,
    pub allocs: u64,
    pub frees: u64,
    pub bytes_allocated: u64,
}

impl Blocks {
    pub fn add(&mut self, b: Block) {
        self.allocs += 1;
        self.bytes_allocated += b.size as u64;
        self.live.insert(b.addr, b);
    }

    /// The live block starting at `addr`.
    pub fn live_at(&self, addr: u32) -> Option<&Block> {
        self.live.get(&addr)
    }

    /// Take the live block at `addr` out and quarantine it.
    pub fn free(&mut self, addr: u32, freed: Stack) -> Option<Block> {
        let block = self.live.remove(&addr)?;
        self.frees += 1;
        self.quarantined += block.size as u64;
        self.quarantine.push_front(Freed {
            block: block.clone(),
            freed,
        });
        while self.quarantine.len() > QUARANTINE_BLOCKS || self.quarantined > QUARANTINE_BYTES {
            match self.quarantine.pop_back() {
                Some(f) => self.quarantined -= f.block.size as u64,
                None => break,
            }
        }
        Some(block)
    }

    pub fn live(&self) -> impl Iterator<Item = &Block> {
        self.live.values()
    }

    /// What `addr` is: inside a live block, inside a recently freed one
    /// (the latest first), or near a live one.
    pub fn whereabouts(&self, addr: u32) -> Whereabouts {
        let a = addr as u64;
        let below = self.live.range(..=addr).next_back().map(|(_, b)| b);
        if let Some(b) = below.filter(|b| a < b.end()) {
            return Whereabouts::Inside {
                off: addr - b.addr,
                block: b.clone(),
            };
        }
        if let Some(f) = self.quarantine.iter().find(|f| {
            (f.block.addr as u64..f.block.end().max(f.block.addr as u64 + 1)).contains(&a)
        }) {
            return Whereabouts::InsideFreed {
                off: addr - f.block.addr,
                freed: f.clone(),
            };
        }
        let after = below.map(|b| (a - b.end(), b)).filter(|(d, _)| *d < NEAR);
        let above = self
            .live
            .range(addr..)
            .next()
            .map(|(_, b)| (b.addr as u64 - a, b))
            .filter(|(d, _)| *d <= NEAR);
        match (after, above) {
            (Some((d, b)), Some((e, _))) if d <= e => Whereabouts::After {
                off: d as u32,
                block: b.clone(),
            },
            (_, Some((e, b))) => Whereabouts::Before {
                off: e as u32,
                block: b.clone(),
            },
            (Some((d, b)), None) => Whereabouts::After {
                off: d as u32,
                block: b.clone(),
            },
            (None, None) => Whereabouts::Nowhere,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn block(addr: u32, size: u32) -> Block {
        Block {
            addr,
            size,
            by: AllocFn::Malloc,
            alloc: vec![],
        }
    }

    #[test]
    fn an_address_is_named_by_the_nearest_block() {
        let mut b = Blocks::default();
        b.add(block(0x1010, 24));
        b.add(block(0x1040, 8));
        assert!(matches!(
            b.whereabouts(0x1028),
            Whereabouts::After { off: 0, .. }
        ));
        assert!(matches!(
            b.whereabouts(0x103f),
            Whereabouts::Before { off: 1, .. }
        ));
        assert!(matches!(
            b.whereabouts(0x1014),
            Whereabouts::Inside { off: 4, .. }
        ));
        assert_eq!(b.whereabouts(0x9000), Whereabouts::Nowhere);
    }

    #[test]
    fn a_freed_block_is_remembered_until_the_quarantine_overflows() {
        let mut b = Blocks::default();
        b.add(block(0x1010, 24));
        assert!(b.free(0x1010, vec![1]).is_some());
        assert!(b.free(0x1010, vec![2]).is_none(), "not live any more");
        assert!(matches!(
            b.whereabouts(0x1018),
            Whereabouts::InsideFreed { off: 8, .. }
        ));
        for i in 0..QUARANTINE_BLOCKS as u32 {
            b.add(block(0x10_0000 + i * 16, 8));
            b.free(0x10_0000 + i * 16, vec![]);
        }
        assert!(!matches!(
            b.whereabouts(0x1018),
            Whereabouts::InsideFreed { .. }
        ));
        assert_eq!(
            (b.allocs, b.frees),
            (QUARANTINE_BLOCKS as u64 + 1, QUARANTINE_BLOCKS as u64 + 1)
        );
    }
}
