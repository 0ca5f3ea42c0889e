//! Model-based property tests of the memory syscalls.
//!
//! Random sequences of brk, mmap, munmap, mprotect, madvise and user reads
//! and writes run against the kernel and against a page-by-page reference
//! model of Linux's semantics. After every step the kernel's VMAs, its page
//! tables, the TLB and the frame allocator must agree with each other
//! (`invariants::check`) and with the model: the same VMAs (merged as Linux
//! merges them), the same populated pages, the same bytes in them, the same
//! return values. After exit the free-frame count is back at its baseline.
//!
//! `PROPTEST_CASES=N` sets the number of sequences (default 4000; CI runs
//! the default, a longer run sets e.g. 50000).

use proptest::prelude::*;
use std::collections::BTreeMap;
use std::sync::Arc;
use toyemu_emulator::{PhysAddr, Policy, TlbConfig, VirtAddr};
use toyemu_kernel::invariants;
use toyemu_kernel::layout::{MMAP_BASE, STACK_GUARD_GAP};
use toyemu_kernel::uaccess::CopyError;
use toyemu_kernel::vma::VmaKind;
use toyemu_kernel::{ElfImage, Kernel, Process};

mod common;

use common::*;

// ---------------------------------------------------------------- the model

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Kind {
    Elf(u8),
    Heap,
    Mmap,
    Stack,
}

#[derive(Clone, Debug)]
struct Page {
    prot: u32,
    kind: Kind,
    populated: bool,
    /// Bytes written since the page was last populated from scratch.
    written: BTreeMap<u32, u8>,
}

/// Linux's view of the address space, one entry per mapped page.
struct Model {
    pages: BTreeMap<u32, Page>,
    brk_start: u32,
    brk: u32,
    image: Arc<ElfImage>,
}

fn align_up(a: u32) -> u32 {
    a.div_ceil(PAGE) * PAGE
}

impl Model {
    /// Start from the kernel's state right after spawn (the stack is taken as is).
    fn from_spawn(k: &Kernel, p: &Process) -> Model {
        let mm = p.mm().unwrap();
        let mut pages = BTreeMap::new();
        for v in mm.vmas().iter() {
            let kind = match v.kind {
                VmaKind::ElfSegment(i) => Kind::Elf(i),
                VmaKind::Heap => Kind::Heap,
                VmaKind::Mmap => Kind::Mmap,
                VmaKind::Stack => Kind::Stack,
            };
            for a in (v.start.0..v.end.0).step_by(PAGE as usize) {
                let pte = mm.peek_slot(k.machine().mmu(), VirtAddr(a)).pte();
                let page = Page {
                    prot: v.prot.bits(),
                    kind,
                    populated: pte.is_present(),
                    written: BTreeMap::new(),
                };
                pages.insert(a, page);
            }
        }
        Model {
            pages,
            brk_start: mm.brk_range().0 .0,
            brk: mm.brk_range().1 .0,
            image: p.image().clone(),
        }
    }

    fn mapped_in(&self, start: u32, end: u32) -> bool {
        self.pages.range(start..end).next().is_some()
    }

    fn map(&mut self, start: u32, end: u32, prot: u32, kind: Kind) {
        for a in (start..end).step_by(PAGE as usize) {
            let page = Page {
                prot,
                kind,
                populated: false,
                written: BTreeMap::new(),
            };
            self.pages.insert(a, page);
        }
    }

    fn unmap(&mut self, start: u32, end: u32) {
        let gone: Vec<u32> = self.pages.range(start..end).map(|(&a, _)| a).collect();
        for a in gone {
            self.pages.remove(&a);
        }
    }

    /// The byte a page shows where nothing was written: the file for ELF pages.
    fn original(&self, kind: Kind, a: u32) -> u8 {
        let Kind::Elf(i) = kind else { return 0 };
        let seg = &self.image.segments[i as usize];
        let (vaddr, off, len) = seg.file_window();
        if a >= vaddr && a < vaddr + len {
            self.image.bytes[(off + (a - vaddr)) as usize]
        } else {
            0
        }
    }

    fn expected_byte(&self, a: u32) -> Option<u8> {
        let page = self.pages.get(&(a & !(PAGE - 1)))?;
        if page.kind == Kind::Stack {
            return None; // holds argv and auxv, which the model does not track
        }
        Some(
            page.written
                .get(&(a % PAGE))
                .copied()
                .unwrap_or_else(|| self.original(page.kind, a)),
        )
    }

    /// Where the stack's guard gap begins: no mapping may start above it.
    fn stack_gap(&self) -> u32 {
        let stack = self.pages.iter().find(|(_, p)| p.kind == Kind::Stack);
        stack.map_or(u32::MAX, |(&a, _)| a - STACK_GUARD_GAP)
    }

    fn free(&self, start: u32, len: u32) -> bool {
        start
            .checked_add(len)
            .is_some_and(|end| end <= self.stack_gap())
            && !self.mapped_in(start, start + len)
    }

    fn brk(&mut self, target: u32) -> u32 {
        if target < self.brk_start {
            return self.brk;
        }
        let (new_top, old_top) = (align_up(target), align_up(self.brk));
        if new_top < old_top {
            if !self.mapped_in(new_top, old_top) {
                return self.brk;
            }
            self.unmap(new_top, old_top);
        } else if new_top > old_top {
            if !self.free(old_top, new_top - old_top + PAGE) {
                return self.brk;
            }
            self.map(old_top, new_top, 3, Kind::Heap);
        }
        self.brk = target;
        target
    }

    fn top_down(&self, len: u32) -> u32 {
        let mut top = MMAP_BASE.0;
        for (&a, _) in self.pages.range(..MMAP_BASE.0).rev() {
            if top - (a + PAGE) >= len {
                break;
            }
            top = a;
        }
        top - len
    }

    fn mmap(&mut self, addr: u32, len: u32, prot: u32, how: How) -> u32 {
        let start = match how {
            How::Fixed | How::NoReplace if !addr.is_multiple_of(PAGE) => return EINVAL,
            How::NoReplace if self.mapped_in(addr, addr + len) => return EEXIST,
            How::Fixed | How::NoReplace => addr,
            How::Hint if self.free(addr, len) => addr,
            How::Hint | How::Anywhere => self.top_down(len),
        };
        self.unmap(start, start + len);
        self.map(start, start + len, prot, Kind::Mmap);
        start
    }

    fn munmap(&mut self, addr: u32, len: u32) -> u32 {
        if !addr.is_multiple_of(PAGE) || len == 0 {
            return EINVAL;
        }
        self.unmap(addr, addr + align_up(len));
        0
    }

    fn mprotect(&mut self, addr: u32, len: u32, prot: u32) -> u32 {
        for a in (addr..addr + align_up(len)).step_by(PAGE as usize) {
            match self.pages.get_mut(&a) {
                Some(p) => p.prot = prot,
                None => return ENOMEM,
            }
        }
        0
    }

    fn dontneed(&mut self, addr: u32, len: u32) -> u32 {
        let end = addr + align_up(len);
        if !self.mapped_in(addr, end) {
            return ENOMEM;
        }
        let mut hole = false;
        for a in (addr..end).step_by(PAGE as usize) {
            match self.pages.get_mut(&a) {
                Some(p) => {
                    p.populated = false;
                    p.written.clear();
                }
                None => hole = true,
            }
        }
        if hole {
            ENOMEM
        } else {
            0
        }
    }

    /// A one-byte user write: allowed where the VMA allows writing.
    fn write(&mut self, a: u32, v: u8) -> bool {
        match self.pages.get_mut(&(a & !(PAGE - 1))) {
            Some(p) if p.prot & 2 != 0 => {
                p.populated = true;
                p.written.insert(a % PAGE, v);
                true
            }
            _ => false,
        }
    }

    /// A one-byte user read: the byte, if the VMA allows any access.
    fn read(&mut self, a: u32) -> Option<u8> {
        match self.pages.get_mut(&(a & !(PAGE - 1))) {
            Some(p) if p.prot & 7 != 0 => p.populated = true,
            _ => return None,
        }
        self.expected_byte(a)
    }

    /// The VMAs Linux would show: runs of pages with the same rights and kind.
    fn vmas(&self) -> Vec<(u32, u32, u32, Kind)> {
        let mut out: Vec<(u32, u32, u32, Kind)> = Vec::new();
        for (&a, p) in &self.pages {
            match out.last_mut() {
                Some(last) if last.1 == a && last.2 == p.prot && last.3 == p.kind => last.1 += PAGE,
                _ => out.push((a, a + PAGE, p.prot, p.kind)),
            }
        }
        out
    }
}

// ---------------------------------------------------------------- operations

#[derive(Clone, Copy, Debug)]
enum How {
    Anywhere,
    Hint,
    Fixed,
    NoReplace,
}

/// An address in one of four busy neighbourhoods, so operations collide.
#[derive(Clone, Copy, Debug)]
struct Place {
    region: u8,
    page: u32,
    offset: u32,
}

impl Place {
    fn addr(self) -> u32 {
        let base = match self.region {
            0 => TEXT,
            1 => BRK0,
            2 => MMAP_BASE.0 - 24 * PAGE,
            _ => FREE,
        };
        base + self.page * PAGE + self.offset
    }
}

#[derive(Clone, Debug)]
enum Op {
    Brk {
        pages: u32,
        offset: u32,
    },
    Mmap {
        at: Place,
        pages: u32,
        prot: u32,
        how: How,
    },
    Munmap {
        at: Place,
        len: u32,
    },
    Mprotect {
        at: Place,
        pages: u32,
        prot: u32,
    },
    Dontneed {
        at: Place,
        pages: u32,
    },
    Write {
        at: Place,
        value: u8,
    },
    Read {
        at: Place,
    },
    /// A read, then a write to the same byte: the TLB's clean entry gets upgraded.
    ReadWrite {
        at: Place,
        value: u8,
    },
}

fn place(aligned: bool) -> impl Strategy<Value = Place> {
    let offset = if aligned {
        Just(0u32).boxed()
    } else {
        prop_oneof![3 => Just(0u32), 1 => 1u32..PAGE].boxed()
    };
    (0u8..4, 0u32..24, offset).prop_map(|(region, page, offset)| Place {
        region,
        page,
        offset,
    })
}

fn op() -> impl Strategy<Value = Op> {
    let how = prop_oneof![
        Just(How::Anywhere),
        Just(How::Hint),
        Just(How::Fixed),
        Just(How::NoReplace)
    ];
    let prot = prop_oneof![Just(0u32), Just(1), Just(3), Just(5), Just(7)];
    prop_oneof![
        2 => (0u32..40, prop_oneof![3 => Just(0u32), 1 => 1u32..PAGE])
            .prop_map(|(pages, offset)| Op::Brk { pages, offset }),
        3 => (place(true), 1u32..8, prot.clone(), how)
            .prop_map(|(at, pages, prot, how)| Op::Mmap { at, pages, prot, how }),
        2 => (place(true), prop_oneof![3 => (1u32..8).prop_map(|p| p * PAGE), 1 => 0u32..9 * PAGE])
            .prop_map(|(at, len)| Op::Munmap { at, len }),
        2 => (place(true), 1u32..8, prot).prop_map(|(at, pages, prot)| Op::Mprotect { at, pages, prot }),
        1 => (place(true), 1u32..8).prop_map(|(at, pages)| Op::Dontneed { at, pages }),
        5 => (place(false), any::<u8>()).prop_map(|(at, value)| Op::Write { at, value }),
        3 => place(false).prop_map(|at| Op::Read { at }),
        4 => (place(false), any::<u8>()).prop_map(|(at, value)| Op::ReadWrite { at, value }),
    ]
}

// ---------------------------------------------------------------- the run

struct Run {
    k: Kernel,
    p: Process,
    m: Model,
    baseline: u32,
}

impl Run {
    fn start(mem_bytes: u64, tlb: TlbConfig) -> Run {
        let mut k = kernel_with_tlb(mem_bytes, tlb);
        let baseline = k.frames().free_frames();
        let p = k.exec(image(), &[b"model".to_vec()], &[]).expect("spawn");
        let m = Model::from_spawn(&k, &p);
        Run { k, p, m, baseline }
    }

    fn sys(&mut self, nr: u32, args: [u32; 6]) -> u32 {
        self.k
            .syscall_direct(&mut self.p, nr, args)
            .expect("memory syscalls never end the process")
    }

    /// Apply one operation to both; Err describes a disagreement. A user
    /// access that found no frame left stops the run: `Ok(Some(addr))`.
    fn step(&mut self, op: &Op) -> Result<Option<VirtAddr>, String> {
        if let Op::ReadWrite { at, value } = *op {
            return match self.step(&Op::Read { at })? {
                None => self.step(&Op::Write { at, value }),
                oom => Ok(oom),
            };
        }
        let (got, want) = match *op {
            Op::Brk { pages, offset } => {
                let target = (BRK0 - PAGE) + pages * PAGE + offset;
                (
                    self.sys(NR_BRK, [target, 0, 0, 0, 0, 0]),
                    self.m.brk(target),
                )
            }
            Op::Mmap {
                at,
                pages,
                prot,
                how,
            } => {
                let flags = MAP_PRIVATE
                    | MAP_ANONYMOUS
                    | match how {
                        How::Fixed => MAP_FIXED,
                        How::NoReplace => MAP_FIXED_NOREPLACE,
                        _ => 0,
                    };
                let addr = if matches!(how, How::Anywhere) {
                    0
                } else {
                    at.addr()
                };
                let got = self.sys(NR_MMAP2, [addr, pages * PAGE, prot, flags, u32::MAX, 0]);
                (got, self.m.mmap(addr, pages * PAGE, prot, how))
            }
            Op::Munmap { at, len } => (
                self.sys(NR_MUNMAP, [at.addr(), len, 0, 0, 0, 0]),
                self.m.munmap(at.addr(), len),
            ),
            Op::Mprotect { at, pages, prot } => (
                self.sys(NR_MPROTECT, [at.addr(), pages * PAGE, prot, 0, 0, 0]),
                self.m.mprotect(at.addr(), pages * PAGE, prot),
            ),
            Op::Dontneed { at, pages } => (
                self.sys(
                    NR_MADVISE,
                    [at.addr(), pages * PAGE, MADV_DONTNEED, 0, 0, 0],
                ),
                self.m.dontneed(at.addr(), pages * PAGE),
            ),
            Op::Write { at, value } => {
                let got = self.k.copy_to_user(&mut self.p, at.addr(), &[value]);
                let want = self.m.write(at.addr(), value);
                match got {
                    Ok(()) if want => {}
                    Err(CopyError::Fault { .. }) if !want => {}
                    Err(CopyError::OutOfMemory { addr }) => return Ok(Some(addr)),
                    other => return Err(format!("write gave {other:?}, the model {want}")),
                }
                return self.compare().map(|()| None);
            }
            Op::Read { at } => {
                let mut out = Vec::new();
                let got = self.k.copy_from_user(&mut self.p, at.addr(), 1, &mut out);
                let want = self.m.read(at.addr());
                let got = match got {
                    Ok(()) => Some(out[0]),
                    Err(CopyError::Fault { .. }) => None,
                    Err(CopyError::OutOfMemory { addr }) => return Ok(Some(addr)),
                };
                // Stack pages are not modelled byte by byte.
                let stack = self
                    .m
                    .pages
                    .get(&(at.addr() & !(PAGE - 1)))
                    .is_some_and(|p| p.kind == Kind::Stack);
                if got != want && !stack {
                    return Err(format!("read gave {got:?}, the model {want:?}"));
                }
                return self.compare().map(|()| None);
            }
            Op::ReadWrite { .. } => unreachable!("split into a read and a write above"),
        };
        if got != want {
            return Err(format!("returned {got:#x}, the model {want:#x}"));
        }
        self.compare().map(|()| None)
    }

    /// Kernel and model agree on VMAs, break, populated pages and contents.
    fn compare(&self) -> Result<(), String> {
        invariants::check(&self.k, &self.p)?;
        let mm = self.p.mm().unwrap();
        let got: Vec<(u32, u32, u32, Kind)> = mm
            .vmas()
            .iter()
            .map(|v| {
                let kind = match v.kind {
                    VmaKind::ElfSegment(i) => Kind::Elf(i),
                    VmaKind::Heap => Kind::Heap,
                    VmaKind::Mmap => Kind::Mmap,
                    VmaKind::Stack => Kind::Stack,
                };
                (v.start.0, v.end.0, v.prot.bits(), kind)
            })
            .collect();
        let want = self.m.vmas();
        if got != want {
            return Err(format!("VMAs differ:\n kernel {got:x?}\n model  {want:x?}"));
        }
        if mm.brk_range().1 .0 != self.m.brk {
            return Err(format!(
                "break {:#x}, the model {:#x}",
                mm.brk_range().1 .0,
                self.m.brk
            ));
        }
        let census = invariants::walk(&self.k, mm)?;
        let phys = self.k.machine().mmu().phys();
        for (&a, page) in &self.m.pages {
            let pte = census.pages.get(&a);
            if pte.is_some() != page.populated {
                return Err(format!(
                    "page {a:#x}: kernel populated {}, model {}",
                    pte.is_some(),
                    page.populated
                ));
            }
            let Some(pte) = pte else { continue };
            let offsets = page.written.keys().copied().chain([0, 0x800, PAGE - 1]);
            for off in offsets {
                let Some(want) = self.m.expected_byte(a + off) else {
                    continue;
                };
                let got = phys.read_u8(PhysAddr(pte.frame().base().0 + off));
                if got != want {
                    return Err(format!(
                        "byte {:#x}: kernel {got:#x}, model {want:#x}",
                        a + off
                    ));
                }
            }
        }
        Ok(())
    }

    /// Exit and check that every frame came back.
    fn finish(mut self) -> Result<(), String> {
        match self.k.syscall_direct(&mut self.p, NR_EXIT_GROUP, [0; 6]) {
            Err(status) if status.code() == 0 => {}
            other => return Err(format!("exit_group gave {other:?}")),
        }
        let free = self.k.frames().free_frames();
        if free != self.baseline {
            return Err(format!(
                "{} frames not returned at exit",
                self.baseline as i64 - free as i64
            ));
        }
        Ok(())
    }
}

/// TLB geometries of 2 to 16 entries and the default 64, every policy: a small
/// TLB makes the set conflicts that hide invalidation bugs common.
fn tlb_config() -> impl Strategy<Value = TlbConfig> {
    let policy = prop_oneof![Just(Policy::Lru), Just(Policy::Fifo), Just(Policy::Random)];
    (
        prop_oneof![4 => 1u32..=4, 1 => Just(6u32)],
        0u32..=2,
        policy,
    )
        .prop_map(|(e, w, policy)| TlbConfig {
            entries: 1 << e,
            ways: 1 << w.min(e),
            policy,
        })
}

fn cases(default: u32) -> u32 {
    std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(4000), failure_persistence: None, ..ProptestConfig::default() })]

    /// Kernel and model agree after every step; exit gives everything back.
    #[test]
    fn kernel_follows_the_model(ops in prop::collection::vec(op(), 1..60), tlb in tlb_config()) {
        let mut run = Run::start(8 << 20, tlb);
        for (i, op) in ops.iter().enumerate() {
            match run.step(op) {
                Ok(None) => {}
                Ok(Some(addr)) => return Err(TestCaseError::fail(format!("step {i} {op:?}: out of frames at {addr}"))),
                Err(e) => return Err(TestCaseError::fail(format!("step {i} {op:?}: {e}"))),
            }
        }
        run.finish().map_err(TestCaseError::fail)?;
    }
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(4000) / 5, failure_persistence: None, ..ProptestConfig::default() })]

    /// RAM running out part way (page tables included) leaves a consistent
    /// state, and the OOM kill gives every frame back.
    #[test]
    fn out_of_frames_is_clean(ops in prop::collection::vec(op(), 1..60), frames in 0u32..24, tlb in tlb_config()) {
        let mut run = Run::start(8 << 20, tlb);
        run.k.fail_frames_after(Some(frames));
        for (i, op) in ops.iter().enumerate() {
            match run.step(op) {
                Ok(None) => {}
                Ok(Some(addr)) => {
                    // Consistent even now; then the OOM kill returns everything.
                    invariants::check(&run.k, &run.p).map_err(TestCaseError::fail)?;
                    let eip = VirtAddr(TEXT + 0x100);
                    let death = run.k.oom_death(&run.p, addr, eip);
                    run.k.kill(&mut run.p, death);
                    prop_assert_eq!(run.k.frames().free_frames(), run.baseline);
                    return Ok(());
                }
                Err(e) => return Err(TestCaseError::fail(format!("step {i} {op:?}: {e}"))),
            }
        }
        run.k.fail_frames_after(None);
        run.finish().map_err(TestCaseError::fail)?;
    }
}
