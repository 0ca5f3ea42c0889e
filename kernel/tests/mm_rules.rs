//! Memory rules the differential corpus cannot compare with a native run
//! (an x86-64 kernel gives a 32-bit process 4 GiB and lets root map page
//! 1), and properties only the kernel's insides show: merging, frames going
//! back at once, TLB invalidation, the initial stack word by word, the OOM
//! report.

mod common;

use common::*;
use toyemu_emulator::{Access, Reg, VirtAddr};
use toyemu_kernel::layout::{MMAP_BASE, STACK_LIMIT, STACK_TOP, TASK_SIZE, UID};
use toyemu_kernel::stack::*;
use toyemu_kernel::uaccess::CopyError;
use toyemu_kernel::vma::VmaKind;
use toyemu_kernel::{invariants, Death, Ending, Fill, Kernel, Mapped, Process};

const RW: u32 = 3;
const ANON: u32 = MAP_PRIVATE | MAP_ANONYMOUS;
const EPERM: u32 = -1i32 as u32;
const EOVERFLOW: u32 = -75i32 as u32;
const NR_UNAME: u32 = 122;

fn start(k: &mut Kernel) -> Process {
    k.exec(image(), &[b"rules".to_vec()], &[b"HOME=/".to_vec()])
        .expect("spawn")
}

fn sys(k: &mut Kernel, p: &mut Process, nr: u32, args: [u32; 6]) -> u32 {
    let r = k.syscall_direct(p, nr, args).expect("the process lives on");
    invariants::check(k, p).unwrap_or_else(|e| panic!("after syscall {nr} {args:x?}: {e}"));
    r
}

fn mmap(k: &mut Kernel, p: &mut Process, addr: u32, len: u32, prot: u32, flags: u32) -> u32 {
    sys(k, p, NR_MMAP2, [addr, len, prot, flags, u32::MAX, 0])
}

fn vmas(p: &Process) -> Vec<(u32, u32, u32, VmaKind)> {
    let mm = p.mm().unwrap();
    mm.vmas()
        .iter()
        .map(|v| (v.start.0, v.end.0, v.prot.bits(), v.kind))
        .collect()
}

fn touch(k: &mut Kernel, p: &mut Process, va: u32) -> Result<(), CopyError> {
    k.copy_to_user(p, va, &[0x5a])
}

#[test]
fn the_null_guard_refuses_map_fixed_with_eperm_and_raises_hints() {
    let mut k = kernel(8 << 20);
    let mut p = start(&mut k);
    for addr in [0, 0x1000, 0xf000] {
        assert_eq!(
            mmap(&mut k, &mut p, addr, PAGE, RW, ANON | MAP_FIXED),
            EPERM
        );
        assert_eq!(
            mmap(&mut k, &mut p, addr, PAGE, RW, ANON | MAP_FIXED_NOREPLACE),
            EPERM
        );
    }
    assert_eq!(mmap(&mut k, &mut p, 0x1000, PAGE, RW, ANON), 0x10000);
    assert_eq!(
        mmap(&mut k, &mut p, 0x11000, PAGE, RW, ANON | MAP_FIXED),
        0x11000
    );
}

#[test]
fn kernel_space_is_out_of_reach() {
    let mut k = kernel(8 << 20);
    let mut p = start(&mut k);
    let top = TASK_SIZE.0;
    assert_eq!(
        mmap(&mut k, &mut p, top - PAGE, 2 * PAGE, RW, ANON | MAP_FIXED),
        ENOMEM
    );
    assert_eq!(
        mmap(&mut k, &mut p, top, PAGE, RW, ANON | MAP_FIXED),
        ENOMEM
    );
    assert_eq!(mmap(&mut k, &mut p, 0, top + PAGE, RW, ANON), ENOMEM);
    let hinted = mmap(&mut k, &mut p, top, PAGE, RW, ANON);
    assert!(
        hinted < MMAP_BASE.0,
        "a hint in kernel space is ignored: {hinted:#x}"
    );
    assert_eq!(
        sys(&mut k, &mut p, NR_BRK, [top + PAGE, 0, 0, 0, 0, 0]),
        BRK0
    );
    assert_eq!(
        sys(&mut k, &mut p, NR_MUNMAP, [top, PAGE, 0, 0, 0, 0]),
        EINVAL
    );
    assert_eq!(
        sys(&mut k, &mut p, NR_MPROTECT, [top, PAGE, 1, 0, 0, 0]),
        ENOMEM
    );
    assert!(matches!(
        touch(&mut k, &mut p, top),
        Err(CopyError::Fault { .. })
    ));
}

#[test]
fn lengths_that_wrap_follow_the_i386_kernel() {
    let mut k = kernel(8 << 20);
    let mut p = start(&mut k);
    let m = mmap(&mut k, &mut p, 0, 4 * PAGE, RW, ANON);
    // do_mprotect_pkey: the wrapped end is ENOMEM, checked before the prot bits.
    assert_eq!(
        sys(
            &mut k,
            &mut p,
            NR_MPROTECT,
            [m, 0xffff_f000, 0x100, 0, 0, 0]
        ),
        ENOMEM
    );
    assert_eq!(
        sys(&mut k, &mut p, NR_MPROTECT, [m, 0xffff_f000, 1, 0, 0, 0]),
        ENOMEM
    );
    // madvise: a length that rounds up to 0 is EINVAL.
    assert_eq!(
        sys(&mut k, &mut p, NR_MADVISE, [m, u32::MAX, 0, 0, 0, 0]),
        EINVAL
    );
    // mmap2: the page offset plus the length overflows 32 bits.
    assert_eq!(
        sys(
            &mut k,
            &mut p,
            NR_MMAP2,
            [0, 2 * PAGE, RW, ANON, u32::MAX, u32::MAX]
        ),
        EOVERFLOW
    );
    assert_eq!(
        sys(&mut k, &mut p, NR_MUNMAP, [m, u32::MAX, 0, 0, 0, 0]),
        EINVAL
    );
}

#[test]
fn adjacent_compatible_vmas_merge_as_linux_merges_them() {
    let mut k = kernel(8 << 20);
    let mut p = start(&mut k);
    let before = vmas(&p).len();
    mmap(&mut k, &mut p, FREE, 2 * PAGE, RW, ANON | MAP_FIXED);
    mmap(
        &mut k,
        &mut p,
        FREE + 2 * PAGE,
        2 * PAGE,
        RW,
        ANON | MAP_FIXED,
    );
    assert_eq!(
        vmas(&p).len(),
        before + 1,
        "two neighbours, same rights: one VMA"
    );
    mmap(&mut k, &mut p, FREE + 4 * PAGE, PAGE, 1, ANON | MAP_FIXED);
    assert_eq!(vmas(&p).len(), before + 2, "different rights: two");
    sys(
        &mut k,
        &mut p,
        NR_MPROTECT,
        [FREE + 2 * PAGE, 2 * PAGE, 1, 0, 0, 0],
    );
    assert_eq!(
        vmas(&p).len(),
        before + 2,
        "the top half joins its read-only neighbour"
    );
    sys(&mut k, &mut p, NR_MPROTECT, [FREE + PAGE, PAGE, 0, 0, 0, 0]);
    assert_eq!(vmas(&p).len(), before + 3, "rw, none, r");
    sys(&mut k, &mut p, NR_MPROTECT, [FREE, 5 * PAGE, RW, 0, 0, 0]);
    assert_eq!(vmas(&p).len(), before + 1, "all read-write again: one VMA");
    // Pieces of an ELF segment rejoin, as file VMAs do.
    sys(&mut k, &mut p, NR_MPROTECT, [DATA + PAGE, PAGE, 1, 0, 0, 0]);
    assert_eq!(vmas(&p).len(), before + 3);
    sys(
        &mut k,
        &mut p,
        NR_MPROTECT,
        [DATA + PAGE, PAGE, RW, 0, 0, 0],
    );
    let data: Vec<_> = vmas(&p)
        .into_iter()
        .filter(|v| v.3 == VmaKind::ElfSegment(1))
        .collect();
    assert_eq!(
        data,
        vec![(DATA, DATA + DATA_MEMSZ, RW, VmaKind::ElfSegment(1))]
    );
    // Two brk steps make one heap VMA; an mmap beside the heap stays apart.
    sys(&mut k, &mut p, NR_BRK, [BRK0 + PAGE, 0, 0, 0, 0, 0]);
    sys(&mut k, &mut p, NR_BRK, [BRK0 + 3 * PAGE, 0, 0, 0, 0, 0]);
    let heap: Vec<_> = vmas(&p)
        .into_iter()
        .filter(|v| v.3 == VmaKind::Heap)
        .collect();
    assert_eq!(heap, vec![(BRK0, BRK0 + 3 * PAGE, RW, VmaKind::Heap)]);
}

#[test]
fn frames_go_back_at_once_on_brk_shrink_munmap_and_dontneed() {
    let mut k = kernel(8 << 20);
    let mut p = start(&mut k);
    sys(&mut k, &mut p, NR_BRK, [BRK0 + 8 * PAGE, 0, 0, 0, 0, 0]);
    let m = mmap(&mut k, &mut p, 0, 8 * PAGE, RW, ANON);
    for i in 0..8 {
        touch(&mut k, &mut p, BRK0 + i * PAGE).unwrap();
        touch(&mut k, &mut p, m + i * PAGE).unwrap();
    }
    let free = |k: &Kernel| k.frames().free_frames();
    let f0 = free(&k);
    sys(&mut k, &mut p, NR_BRK, [BRK0 + 3 * PAGE + 5, 0, 0, 0, 0, 0]);
    assert_eq!(free(&k), f0 + 4, "pages 4..8 of the heap");
    sys(
        &mut k,
        &mut p,
        NR_MADVISE,
        [m, 2 * PAGE, MADV_DONTNEED, 0, 0, 0],
    );
    assert_eq!(free(&k), f0 + 6);
    sys(&mut k, &mut p, NR_MUNMAP, [m + PAGE, 3 * PAGE, 0, 0, 0, 0]);
    assert_eq!(free(&k), f0 + 8, "only the populated page 3 of the three");
    // Regrowing gives zero pages.
    sys(&mut k, &mut p, NR_BRK, [BRK0 + 8 * PAGE, 0, 0, 0, 0, 0]);
    let mut b = Vec::new();
    k.copy_from_user(&mut p, BRK0 + 6 * PAGE, 1, &mut b)
        .unwrap();
    assert_eq!(b, [0]);
    k.copy_from_user(&mut p, BRK0 + 2 * PAGE, 1, &mut b)
        .unwrap();
    assert_eq!(b, [0x5a], "a kept page keeps its bytes");
}

/// Every PTE change must drop the TLB's copy: after each one, an access
/// through the MMU must see the new PTE, not the cached translation. Fails
/// with `--features mutant-skip-invlpg`.
#[test]
fn every_changed_pte_is_invalidated_in_the_tlb() {
    let mut k = kernel(8 << 20);
    let mut p = start(&mut k);
    let m = mmap(&mut k, &mut p, 0, 4 * PAGE, RW, ANON);
    let cached = |k: &Kernel, va: u32| k.machine().mmu().tlb().peek(va >> 12);
    for i in 0..4 {
        touch(&mut k, &mut p, m + i * PAGE).unwrap();
        assert!(cached(&k, m + i * PAGE).is_some_and(|e| e.writable));
    }
    sys(&mut k, &mut p, NR_MPROTECT, [m, PAGE, 1, 0, 0, 0]);
    assert!(
        k.user_access(VirtAddr(m), Access::Write).is_err(),
        "write after mprotect(PROT_READ)"
    );
    sys(&mut k, &mut p, NR_MPROTECT, [m + PAGE, PAGE, 0, 0, 0, 0]);
    assert!(
        k.user_access(VirtAddr(m + PAGE), Access::Read).is_err(),
        "read after PROT_NONE"
    );
    sys(&mut k, &mut p, NR_MUNMAP, [m + 2 * PAGE, PAGE, 0, 0, 0, 0]);
    assert!(
        k.user_access(VirtAddr(m + 2 * PAGE), Access::Read).is_err(),
        "read after munmap"
    );
    sys(
        &mut k,
        &mut p,
        NR_MADVISE,
        [m + 3 * PAGE, PAGE, MADV_DONTNEED, 0, 0, 0],
    );
    assert!(
        k.user_access(VirtAddr(m + 3 * PAGE), Access::Read).is_err(),
        "read after DONTNEED"
    );
    for i in 0..4 {
        assert!(cached(&k, m + i * PAGE).is_none(), "page {i} still cached");
    }
}

fn kernel_with_stack(limit: u32) -> Kernel {
    let mut config = kernel(16 << 20).config().clone();
    config.stack_limit = limit;
    kernel_with_config(config)
}

#[test]
fn the_stack_grows_to_its_limit_and_no_further() {
    for limit in [STACK_LIMIT, 1 << 20, 256 << 10] {
        let mut k = kernel_with_stack(limit);
        let mut p = start(&mut k);
        let low = STACK_TOP.0 - limit;
        assert!(touch(&mut k, &mut p, low).is_ok(), "limit {limit}");
        invariants::check(&k, &p).unwrap();
        assert!(
            matches!(touch(&mut k, &mut p, low - 1), Err(CopyError::Fault { .. })),
            "limit {limit}"
        );
        let stack: Vec<_> = vmas(&p)
            .into_iter()
            .filter(|v| v.3 == VmaKind::Stack)
            .collect();
        assert_eq!(stack, vec![(low, STACK_TOP.0, RW, VmaKind::Stack)]);
    }
}

#[test]
fn the_guard_gap_keeps_accessible_mappings_from_the_stack_but_not_prot_none() {
    const MIB: u32 = 1 << 20;
    let below = STACK_TOP.0 - 4 * MIB - MIB / 2;
    for (prot, reachable) in [(1, false), (0, true)] {
        let mut k = kernel(16 << 20);
        let mut p = start(&mut k);
        assert_eq!(
            mmap(&mut k, &mut p, below, PAGE, prot, ANON | MAP_FIXED),
            below
        );
        let last_ok = below + PAGE + MIB;
        assert!(touch(&mut k, &mut p, last_ok).is_ok());
        let r = touch(&mut k, &mut p, last_ok - 1);
        assert_eq!(r.is_ok(), reachable, "prot {prot}: {r:?}");
        // A hint inside the gap of the grown stack is not honoured.
        let stack_start = vmas(&p)
            .into_iter()
            .find(|v| v.3 == VmaKind::Stack)
            .unwrap()
            .0;
        let h = mmap(&mut k, &mut p, stack_start - 2 * PAGE, PAGE, RW, ANON);
        assert_ne!(h, stack_start - 2 * PAGE);
    }
}

#[test]
fn when_nothing_fits_below_mmap_base_the_search_goes_bottom_up() {
    let mut k = kernel(8 << 20);
    let mut p = start(&mut k);
    let fill = |k: &mut Kernel, p: &mut Process, from: u32, to: u32| {
        assert_eq!(mmap(k, p, from, to - from, 0, ANON | MAP_FIXED), from);
    };
    fill(&mut k, &mut p, 0x10000, TEXT);
    fill(&mut k, &mut p, BRK0, MMAP_BASE.0);
    // Two free pages remain between text and data; four pages fit only above MMAP_BASE.
    assert_eq!(mmap(&mut k, &mut p, 0, 4 * PAGE, RW, ANON), MMAP_BASE.0);
    assert_eq!(
        mmap(&mut k, &mut p, 0, PAGE, RW, ANON),
        DATA - PAGE,
        "top-down first"
    );
    assert_eq!(mmap(&mut k, &mut p, 0, PAGE, RW, ANON), DATA - 2 * PAGE);
    assert_eq!(
        mmap(&mut k, &mut p, 0, PAGE, RW, ANON),
        MMAP_BASE.0 + 4 * PAGE
    );
}

#[test]
fn out_of_memory_kills_with_a_linux_style_report_and_returns_every_frame() {
    let mut k = kernel(8 << 20);
    let baseline = k.frames().free_frames();
    let mut p = start(&mut k);
    let m = mmap(&mut k, &mut p, 0, 64 * PAGE, RW, ANON);
    touch(&mut k, &mut p, DATA + 0x10).unwrap();
    let mut b = Vec::new();
    k.copy_from_user(&mut p, TEXT, 1, &mut b).unwrap();
    k.fail_frames_after(Some(5));
    let mut i = 0;
    let addr = loop {
        match touch(&mut k, &mut p, m + i * PAGE) {
            Ok(()) => i += 1,
            Err(CopyError::OutOfMemory { addr }) => break addr,
            Err(e) => panic!("{e:?}"),
        }
    };
    invariants::check(&k, &p).unwrap();
    let death = k.oom_death(&p, addr, VirtAddr(TEXT + 0x100));
    let text = death.to_string();
    let stack_pages = 1; // the page holding argv, envp and auxv
    let anon_kb = 4 * (i + 1 + stack_pages); // the mmap pages, the data page (written), the stack
    let expect = format!(
        "Out of memory: Killed process 1 (rules) total-vm:{}kB, anon-rss:{anon_kb}kB, file-rss:4kB, shmem-rss:0kB, UID:1000 pgtables:",
        (2 * PAGE + DATA_MEMSZ + 64 * PAGE + STACK_TOP.0 - vmas(&p).iter().find(|v| v.3 == VmaKind::Stack).unwrap().0) / 1024
    );
    assert!(text.starts_with(&expect), "{text}\n{expect}");
    assert!(
        text.contains("oom_score_adj:0 (no free frame for the page at"),
        "{text}"
    );
    let status = k.kill(&mut p, death);
    assert_eq!(status.code(), 137);
    assert_eq!(k.frames().free_frames(), baseline);

    // Through a syscall's user copy: the same death, the report filled in.
    let mut k = kernel(8 << 20);
    let baseline = k.frames().free_frames();
    let mut p = start(&mut k);
    let m = mmap(&mut k, &mut p, 0, 4 * PAGE, RW, ANON);
    k.fail_frames_after(Some(0));
    let status = k
        .syscall_direct(&mut p, NR_UNAME, [m, 0, 0, 0, 0, 0])
        .expect_err("uname into an unpopulated page with no frame left");
    match &status.ending {
        Ending::Killed(Death::OutOfMemory { report, .. }) => {
            assert_eq!((report.pid, report.name.as_str()), (1, "rules"));
            assert!(
                report.anon_rss_kb >= 4 && report.pgtables_kb >= 8,
                "{report:?}"
            );
        }
        other => panic!("{other:?}"),
    }
    k.fail_frames_after(None);
    assert_eq!(k.frames().free_frames(), baseline);
}

#[test]
fn the_initial_stack_is_laid_out_as_the_i386_abi_says() {
    let mut k = kernel(8 << 20);
    let mut p = start(&mut k);
    let esp = k.machine().cpu().reg(Reg::Esp);
    assert_eq!(esp % 16, 0);
    let mut word = |k: &mut Kernel, a: u32| k.read_user_u32(&mut p, a).unwrap();
    assert_eq!(word(&mut k, esp), 1, "argc");
    let argv0 = word(&mut k, esp + 4);
    assert_eq!(word(&mut k, esp + 8), 0, "argv ends");
    let env0 = word(&mut k, esp + 12);
    assert_eq!(word(&mut k, esp + 16), 0, "envp ends");
    let mut auxv = Vec::new();
    let mut a = esp + 20;
    loop {
        let (t, v) = (word(&mut k, a), word(&mut k, a + 4));
        auxv.push((t, v));
        a += 8;
        if t == AT_NULL {
            break;
        }
    }
    let get = |t: u32| auxv.iter().find(|e| e.0 == t).map(|e| e.1);
    assert_eq!(get(AT_PHDR), Some(TEXT + 52));
    assert_eq!(get(AT_PHENT), Some(32));
    assert_eq!(get(AT_PHNUM), Some(2));
    assert_eq!(get(AT_PAGESZ), Some(4096));
    assert_eq!(get(AT_ENTRY), Some(TEXT + 0x100));
    for t in [AT_UID, AT_EUID, AT_GID, AT_EGID] {
        assert_eq!(get(t), Some(UID));
    }
    assert_eq!(get(AT_HWCAP), Some(HWCAP));
    assert_eq!(get(AT_SECURE), Some(0));
    assert_eq!(auxv.last(), Some(&(AT_NULL, 0)));
    let mut bytes = Vec::new();
    k.copy_from_user(&mut p, get(AT_RANDOM).unwrap(), 16, &mut bytes)
        .unwrap();
    assert_eq!(bytes, AT_RANDOM_BYTES);
    k.copy_from_user(&mut p, argv0, 6, &mut bytes).unwrap();
    assert_eq!(bytes, b"rules\0");
    k.copy_from_user(&mut p, env0, 7, &mut bytes).unwrap();
    assert_eq!(bytes, b"HOME=/\0");
    // The program name (AT_EXECFN) is the last string, with a zero word above it.
    let execfn = get(AT_EXECFN).unwrap();
    assert_eq!(execfn + 6 + 4, STACK_TOP.0);
    assert!(argv0 > a && env0 > a, "strings lie above the tables");
}

/// A fault as the CPU raises it (the access misses, the kernel resolves it):
/// returns the walks of the page tables it cost and what was mapped.
fn cpu_fault(k: &mut Kernel, p: &mut Process, va: u32, access: Access) -> (u64, Mapped) {
    let pf = k
        .user_access(VirtAddr(va), access)
        .expect_err("the page is not there yet");
    let before = p.mm().unwrap().walks();
    let eip = k.machine().cpu().eip();
    let m = k.page_fault(p, pf, eip).expect("resolved");
    let walks = p.mm().unwrap().walks() - before;
    // What the handler says it wrote is what the tables hold: the trace
    // and the accounts need no second look.
    let slot = p.mm().unwrap().peek_slot(k.machine().mmu(), VirtAddr(va));
    assert_eq!(slot.pte(), m.pte, "{va:#x}");
    assert!(k.user_access(VirtAddr(va), access).is_ok(), "{va:#x}");
    (walks, m)
}

#[test]
fn every_fault_costs_one_walk_of_the_page_tables() {
    let mut k = kernel(16 << 20);
    let mut p = start(&mut k);
    let m = mmap(&mut k, &mut p, FREE, 4 * PAGE, RW, ANON | MAP_FIXED);
    let brk = sys(&mut k, &mut p, NR_BRK, [BRK0 + 3 * PAGE, 0, 0, 0, 0, 0]);
    assert_eq!(brk, BRK0 + 3 * PAGE);
    let stack_low = vmas(&p).iter().find(|v| v.3 == VmaKind::Stack).unwrap().0;
    let cases = [
        // A new page table is needed for this one, in the same walk.
        (m, Access::Write, Fill::Zero, false),
        (m + PAGE, Access::Read, Fill::Zero, false),
        (TEXT, Access::Fetch, Fill::File, false),
        (DATA + PAGE, Access::Write, Fill::File, false),
        (DATA + 3 * PAGE, Access::Read, Fill::Zero, false),
        (BRK0 + PAGE, Access::Write, Fill::Zero, false),
        (stack_low - 3 * PAGE, Access::Write, Fill::Zero, true),
    ];
    for (va, access, fill, grows) in cases {
        let (walks, mapped) = cpu_fault(&mut k, &mut p, va, access);
        assert_eq!(walks, 1, "{va:#x} {access:?}");
        assert_eq!(mapped.fill, fill, "{va:#x}");
        assert_eq!(mapped.grown.is_some(), grows, "{va:#x}");
        invariants::check(&k, &p).unwrap();
    }
}
