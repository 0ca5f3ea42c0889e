//! What the fuzz targets run, shared with `tests/fuzz_regressions.rs` so
//! that a crash input found by libFuzzer replays on stable Rust in CI.
//!
//! Each entry point takes arbitrary bytes and returns only if the kernel
//! and the machine survived them with their books straight; anything wrong
//! is a panic, which is what a fuzzer records as a crash:
//! - every frame a process took is back with the allocator after it ends;
//! - while it runs, the frames missing from the allocator are exactly the
//!   ones its ledger says it holds;
//! - `toyemu_kernel::invariants::check` passes: VMAs, page tables, frames
//!   and TLB tell the same story (a stale TLB entry is a missed `invlpg`).
//!
//! This file is also compiled as a module of an integration test, so it
//! uses nothing but std and the project's own crates.
//!
//! Every run builds its own small machine: a crash reproduces from its
//! input alone.

use std::io::Cursor;
use std::sync::Arc;
use toyemu_emulator::{MachineConfig, Reg, TlbConfig, PAGE_SIZE};
use toyemu_kernel::layout::TASK_SIZE;
use toyemu_kernel::{Console, Death, ElfImage, Kernel, KernelConfig, Process};

/// Small RAM, so out-of-memory paths are within a fuzzer's reach.
const FUZZ_MEM: u64 = 2 << 20;
/// Where the generated executables put their code (one page above the headers).
pub const CODE: u32 = 0x0804_9000;
/// Bytes of code (and zero-filled memory after it) the CPU target maps.
const CODE_SPAN: u32 = 4 * PAGE_SIZE;
const CPU_BUDGET: u64 = 20_000;
const LOADER_BUDGET: u64 = 20_000;
const MAX_SYSCALLS: usize = 48;

/// A kernel with `mem` bytes of RAM whose guest reads `stdin` and writes nowhere.
fn kernel(mem: u64, stdin: Vec<u8>) -> Kernel {
    let config = KernelConfig {
        machine: MachineConfig {
            mem_bytes: mem,
            tlb: TlbConfig::default(),
            ..MachineConfig::default()
        },
        ..KernelConfig::default()
    };
    let console = Console::captured(
        Box::new(Cursor::new(stdin)),
        Box::new(std::io::sink()),
        Box::new(std::io::sink()),
    );
    Kernel::new(config, console).expect("a small machine can always be built")
}

/// A minimal ELF32 i386 executable: one RWX `PT_LOAD` of `code` at [`CODE`],
/// `memsz` bytes long, entry at its first byte.
pub fn tiny_elf(code: &[u8], memsz: u32) -> Vec<u8> {
    let mut b = vec![0u8; PAGE_SIZE as usize];
    b[..4].copy_from_slice(b"\x7fELF");
    b[4] = 1; // ELFCLASS32
    b[5] = 1; // ELFDATA2LSB
    b[6] = 1; // EV_CURRENT
    let put16 = |b: &mut [u8], at: usize, v: u16| b[at..at + 2].copy_from_slice(&v.to_le_bytes());
    let put32 = |b: &mut [u8], at: usize, v: u32| b[at..at + 4].copy_from_slice(&v.to_le_bytes());
    put16(&mut b, 16, 2); // ET_EXEC
    put16(&mut b, 18, 3); // EM_386
    put32(&mut b, 20, 1);
    put32(&mut b, 24, CODE);
    put32(&mut b, 28, 52); // e_phoff
    put16(&mut b, 40, 52); // e_ehsize
    put16(&mut b, 42, 32); // e_phentsize
    put16(&mut b, 44, 1); // e_phnum
    let filesz = code.len() as u32;
    let memsz = memsz.max(filesz).max(1);
    // PT_LOAD, offset, vaddr, paddr, filesz, memsz, flags RWX, align
    let ph = [1, PAGE_SIZE, CODE, CODE, filesz, memsz, 7, PAGE_SIZE];
    for (i, v) in ph.into_iter().enumerate() {
        put32(&mut b, 52 + 4 * i, v);
    }
    b.extend_from_slice(code);
    b
}

/// Start `image` as a process of `k`; `None` if the kernel refused it.
fn spawn(k: &mut Kernel, image: ElfImage) -> Option<Process> {
    let argv = [b"fuzz".to_vec()];
    match k.exec(Arc::new(image), &argv, &[]) {
        Ok(p) => Some(p),
        Err(e) => {
            let _ = e.to_string();
            None
        }
    }
}

/// The frames missing from the allocator are exactly what `p` holds, and
/// the kernel's own cross-checks of VMAs, page tables, frames and TLB pass.
pub fn check_live(k: &Kernel, p: &Process, free_before: u32) {
    // After a fork frames are shared, so ledgers do not add up to the
    // allocator's count; invariants::check then compares reference counts.
    if k.process_count() == 1 {
        let held = i64::from(free_before) - i64::from(k.frames().free_frames());
        assert_eq!(
            held,
            p.outstanding_frames(),
            "frames taken from the allocator differ from the process's ledger"
        );
    }
    if !p.has_exited() {
        if let Err(e) = toyemu_kernel::invariants::check(k, p) {
            panic!("kernel invariant broken: {e}");
        }
    }
}

/// After `p` ended: every frame back, the ledger balanced.
fn check_exited(k: &Kernel, p: &Process, free_before: u32) {
    assert!(p.has_exited(), "the process must have ended");
    assert_eq!(
        k.frames().free_frames(),
        free_before,
        "free frames after exit differ from before"
    );
    let rec = p.exit_record().expect("an exited process has a record");
    assert_eq!(
        rec.ledger.outstanding(),
        0,
        "ledger unbalanced: {:?}",
        rec.ledger
    );
    let _ = rec.status.death().map(|d| d.to_string());
}

/// Run `p` until it ends or spends `budget` instructions (then it is
/// killed), checking the kernel's books every `CHECK_EVERY` instructions.
fn run_bounded(k: &mut Kernel, p: &mut Process, budget: u64, free_before: u32) {
    const CHECK_EVERY: u64 = 1000;
    while !p.has_exited() {
        let spent = k.insns() - p.started_at();
        if spent >= budget {
            k.kill(p, Death::InstructionLimit { limit: budget });
            break;
        }
        k.run(p, CHECK_EVERY.min(budget - spent));
        check_live(k, p, free_before);
    }
}

/// Target `elf_loader`: any bytes as an executable, through the same
/// `toyemu::Session` the CLI uses. A refusal must name its reason; an
/// accepted file runs for a while and must give every frame back.
pub fn elf_loader(data: &[u8]) {
    let opts = toyemu::Options {
        mem_bytes: FUZZ_MEM,
        max_insns: Some(LOADER_BUDGET),
        keep_events: false,
        ..toyemu::Options::default()
    };
    let console = Console::captured(
        Box::new(std::io::empty()),
        Box::new(std::io::sink()),
        Box::new(std::io::sink()),
    );
    let argv = ["fuzz".to_string()];
    let path = std::path::Path::new("fuzz-input");
    match toyemu::Session::boot(path, data.to_vec(), &argv, &opts, console, Vec::new())
        .map(toyemu::Session::run_to_exit)
    {
        Ok(r) => {
            assert_eq!(
                r.free_after, r.free_before,
                "free frames after exit differ from before"
            );
            assert_eq!(
                r.record.ledger.outstanding(),
                0,
                "ledger unbalanced: {:?}",
                r.record.ledger
            );
            let _ = r.status.death().map(|d| d.to_string());
        }
        Err(toyemu::RunError::Elf { err, .. }) => {
            assert!(!err.to_string().is_empty(), "a refusal says why");
        }
        Err(toyemu::RunError::Exec { err, .. }) => {
            assert!(!err.to_string().is_empty(), "a refusal says why");
        }
        Err(other) => panic!("a guest file must not break the machine: {other}"),
    }
}

/// A register value from fuzz input: mostly pointers into the data half of
/// the segment or the stack (so memory operands land somewhere), sometimes
/// raw. Code can still write itself, but not on every instruction.
fn reg_seed(v: u32) -> u32 {
    match v >> 30 {
        0 => CODE + CODE_SPAN / 2 + (v & (CODE_SPAN / 2 - 1)),
        1 => TASK_SIZE.0 - 4 - (v & 0xfff),
        _ => v,
    }
}

fn word(data: &[u8], at: usize) -> u32 {
    let mut b = [0u8; 4];
    for (i, x) in b.iter_mut().enumerate() {
        *x = data.get(at + i).copied().unwrap_or(0);
    }
    u32::from_le_bytes(b)
}

/// Target `cpu`: the first 29 bytes set EAX ECX EDX EBX EBP ESI EDI and the status flags, the
/// rest is code (up to 8 KiB, then `int3`s), mapped read-write-execute at
/// [`CODE`] with 8 KiB of zeroes after it; it runs for at most
/// `CPU_BUDGET` instructions. Every outcome is fine but a panic or a hang.
pub fn cpu(data: &[u8]) {
    const HEAD: usize = 29;
    let code = data.get(HEAD..).unwrap_or(&[]);
    let mut code = code[..code.len().min(CODE_SPAN as usize / 2)].to_vec();
    // int3 after the input's code: a run that falls off its end stops there
    // instead of executing zeroes (`add [eax], al`) for the whole budget.
    code.resize(CODE_SPAN as usize / 2, 0xcc);
    let image = match ElfImage::parse(tiny_elf(&code, CODE_SPAN)) {
        Ok(img) => img,
        Err(e) => panic!("the generated executable must load: {e}"),
    };
    let mut k = kernel(FUZZ_MEM, b"some input for read(2)\n".to_vec());
    let free_before = k.frames().free_frames();
    let mut p = spawn(&mut k, image).expect("a one-page program starts in 2 MiB");
    let regs = Reg::ALL.into_iter().filter(|&r| r != Reg::Esp);
    for (i, r) in regs.enumerate() {
        k.cpu_mut().set_reg(r, reg_seed(word(data, 4 * i)));
    }
    // CF PF AF ZF SF DF OF from the input; IF and the reserved bit 1 set.
    let flags = u32::from(data.get(28).copied().unwrap_or(0)) << 2 & 0x0cd5;
    k.cpu_mut().set_eflags(0x202 | flags);
    run_bounded(&mut k, &mut p, CPU_BUDGET, free_before);
    check_exited(&k, &p, free_before);
}

/// Syscalls for the selector: every one the kernel implements (its own
/// table says which) but those that sleep on the host's clock, and a few it
/// does not implement.
fn nrs() -> &'static [u32] {
    use toyemu_kernel::syscall::numbers::*;
    static NRS: std::sync::OnceLock<Vec<u32>> = std::sync::OnceLock::new();
    NRS.get_or_init(|| {
        let sleeps = [NR_NANOSLEEP, NR_CLOCK_NANOSLEEP, NR_CLOCK_NANOSLEEP_TIME64];
        let mut v: Vec<u32> = toyemu_kernel::syscall::implemented()
            .filter(|nr| !sleeps.contains(nr))
            .collect();
        v.extend([0, 2, 11, 500]);
        v
    })
}

/// Argument values that mean something to some syscall.
const VALUES: &[u32] = &[
    0,
    1,
    2,
    3,
    4,
    7,
    8,
    0x10,
    0x20,
    0x22,      // MAP_PRIVATE|MAP_ANONYMOUS
    0x32,      // ... |MAP_FIXED
    0x8022,    // ... |MAP_POPULATE
    0x10_0022, // ... |MAP_FIXED_NOREPLACE
    0xfff,
    0x1000,
    0x1001,
    0x2000,
    0x10000,
    0x10_0000,
    0x40_0000,
    0x7fff_ffff,
    0x8000_0000,
    0xffff_ffff,
    0xffff_f000,
    TASK_SIZE.0,
    TASK_SIZE.0 - 4,
    TASK_SIZE.0 - 0x1000,
    0xbf00_0000,
    0xb7ff_f000,
    0xb800_0000,
    CODE,
    CODE + 0x800,
    CODE + 0x1000,
    CODE + 0x3ff0,
    CODE + 0x4000,
    CODE + 0x10_0000,
    0xffff,
    0x0804_8000,
];

/// Reads fuzz input a byte or a word at a time; zeroes once it runs out.
struct Input<'a> {
    data: &'a [u8],
    at: usize,
}

impl Input<'_> {
    fn byte(&mut self) -> Option<u8> {
        let b = self.data.get(self.at).copied();
        self.at += 1;
        b
    }
    fn word(&mut self) -> u32 {
        let w = word(self.data, self.at);
        self.at += 4;
        w
    }
    /// A selector byte below 0xc0 picks from `table`; above, a raw word follows.
    fn pick(&mut self, table: &[u32]) -> Option<u32> {
        let s = self.byte()?;
        Some(if s < 0xc0 {
            table[s as usize % table.len()]
        } else {
            self.word()
        })
    }
}

/// Target `syscalls`: a live process (code, data, bss, stack) receives up to
/// `MAX_SYSCALLS` system calls with numbers and arguments from the input,
/// checked after each one; then it exits and must give every frame back.
pub fn syscalls(data: &[u8]) {
    // Code that loops on getpid, then data and bss in the same RWX segment.
    let code = [0xb8, 20, 0, 0, 0, 0xcd, 0x80, 0xeb, 0xf7];
    let image = match ElfImage::parse(tiny_elf(&code, CODE_SPAN)) {
        Ok(img) => img,
        Err(e) => panic!("the generated executable must load: {e}"),
    };
    let mut k = kernel(FUZZ_MEM, vec![b'x'; 70_000]);
    let free_before = k.frames().free_frames();
    let mut p = spawn(&mut k, image).expect("a one-page program starts in 2 MiB");
    let mut input = Input { data, at: 0 };
    for _ in 0..MAX_SYSCALLS {
        let Some(nr) = input.pick(nrs()) else { break };
        let mut args = [0u32; 6];
        for a in &mut args {
            *a = input.pick(VALUES).unwrap_or(0);
        }
        if k.syscall_direct(&mut p, nr, args).is_err() {
            break;
        }
        // A thread's exit leaves it done while its group goes on: with no
        // guest code between calls nothing would switch away from it.
        if p.is_done() {
            break;
        }
        check_live(&k, &p, free_before);
        // Sometimes let the guest run a little between calls, so the CPU
        // meets whatever the calls did to its memory.
        if nr == 20 {
            if let toyemu_kernel::RunState::Exited(_) = k.run(&mut p, 50) {
                break;
            }
            if p.is_done() {
                break;
            }
            check_live(&k, &p, free_before);
        }
    }
    if !p.has_exited() {
        let _ = k.syscall_direct(&mut p, 252, [0; 6]);
    }
    // Children forked on the way end too, and the first process comes back.
    if !k.all_exited(&p) {
        let limit = toyemu_kernel::signal::Death::InstructionLimit { limit: 0 };
        k.kill_all(&mut p, limit);
    }
    check_exited(&k, &p, free_before);
}

// ------------------------------------------------------------- target jit

/// The machine of the `jit` target (no kernel: the CPU alone, as
/// `emulator/tests/jit_engines.rs` builds it): code pages at `JIT_CODE`, data
/// pages after them (the last one read-only), an unmapped page, the stack.
const JIT_CODE: u32 = 0x0804_8000;
const JIT_CODE_BYTES: usize = 0x4000;
const JIT_DATA: u32 = 0x0805_0000;
const JIT_READONLY: u32 = JIT_DATA + 7 * PAGE_SIZE;
const JIT_STACK_TOP: u32 = 0x0806_0000;
/// The code pages are mapped a second time this far above.
const JIT_ALIAS: u32 = 0x10_0000;
/// Instructions after which an input stops (each engine).
const JIT_CAP: u64 = 20_000;
const JIT_HUGE: u64 = u64::MAX >> 1;
/// Bytes before the code: 7 register words, 2 bytes of register kinds,
/// flags, configuration, schedule parameter.
pub const JIT_HEAD: usize = 33;

struct JitVm {
    m: toyemu_emulator::Machine,
    next_frame: u32,
}

impl JitVm {
    fn new(config: MachineConfig) -> JitVm {
        use toyemu_emulator::{Frame, Machine, PhysAddr, Pte};
        let mut m = Machine::new(config).expect("a 1 MiB machine");
        let (pd, pt) = (0x1000u32, 0x2000u32);
        let pde = Pte::new(Frame(pt >> 12), jit_rw()).raw();
        m.mmu_mut()
            .phys_mut()
            .write_u32(PhysAddr(pd + 4 * (JIT_CODE >> 22)), pde);
        m.mmu_mut().load_cr3(PhysAddr(pd));
        let mut vm = JitVm { m, next_frame: 16 };
        for i in 0..4 {
            vm.map(JIT_CODE + i * PAGE_SIZE);
        }
        for i in 0..8 {
            vm.map(JIT_DATA + i * PAGE_SIZE);
        }
        for i in 1..=4 {
            vm.map(JIT_STACK_TOP - i * PAGE_SIZE);
        }
        vm
    }

    fn map(&mut self, va: u32) {
        let f = toyemu_emulator::Frame(self.next_frame);
        self.next_frame += 1;
        self.m.mmu_mut().phys_mut().zero_frame(f);
        self.set_pte(va, toyemu_emulator::Pte::new(f, jit_rw()));
    }

    /// Write the PTE of `va` (a page table made first if need be), then invlpg.
    fn set_pte(&mut self, va: u32, pte: toyemu_emulator::Pte) {
        use toyemu_emulator::{Frame, PhysAddr, Pte, VirtAddr};
        let pde_at = PhysAddr(0x1000 + 4 * (va >> 22));
        let mut pde = Pte(self.m.mmu().phys().read_u32(pde_at));
        if !pde.is_present() {
            let f = Frame(self.next_frame);
            self.next_frame += 1;
            self.m.mmu_mut().phys_mut().zero_frame(f);
            pde = Pte::new(f, jit_rw());
            self.m.mmu_mut().phys_mut().write_u32(pde_at, pde.raw());
        }
        let at = PhysAddr(pde.frame().base().0 + 4 * ((va >> 12) & 1023));
        self.m.mmu_mut().phys_mut().write_u32(at, pte.raw());
        self.m.mmu_mut().invlpg(VirtAddr(va));
    }

    fn frame_of(&self, va: u32) -> toyemu_emulator::Frame {
        let walk = self.m.mmu().peek(toyemu_emulator::VirtAddr(va));
        walk.pte.expect("a mapped page").frame()
    }

    fn fill(&mut self, va: u32, bytes: &[u8]) {
        let mut done = 0;
        while done < bytes.len() {
            let a = va + done as u32;
            let n = (PAGE_SIZE - (a & 0xfff)) as usize;
            let n = n.min(bytes.len() - done);
            let pa = self.frame_of(a).base().0 + (a & 0xfff);
            self.m
                .mmu_mut()
                .phys_mut()
                .write_bytes(toyemu_emulator::PhysAddr(pa), &bytes[done..done + n]);
            done += n;
        }
    }
}

fn jit_rw() -> toyemu_emulator::PteFlags {
    use toyemu_emulator::paging::{PTE_P, PTE_U, PTE_W};
    PTE_P | PTE_W | PTE_U
}

/// What an input asks for besides its code (see [`jit`]).
#[derive(Clone, Copy, Debug)]
struct JitSetup {
    regs: [u32; 8],
    eflags: u32,
    tlb: TlbConfig,
    hot: u16,
    alias: bool,
    /// 0: 7, 1000, then huge; 1: `param` single steps, then huge; 2:
    /// budgets from an xorshift seeded by `param`; 3: huge.
    sched: u8,
    param: u8,
}

fn jit_setup(data: &[u8]) -> JitSetup {
    use toyemu_emulator::Policy;
    let byte = |i: usize| data.get(i).copied().unwrap_or(0);
    let kinds = u16::from_le_bytes([byte(28), byte(29)]);
    let mut regs = [0u32; 8];
    // EAX ECX EDX EBX, (ESP fixed), EBP ESI EDI.
    for (k, r) in [0usize, 1, 2, 3, 5, 6, 7].into_iter().enumerate() {
        let v = word(data, 4 * k);
        regs[r] = match kinds >> (2 * k) & 3 {
            0 => v,
            1 => JIT_DATA + (v & 0x7fff),
            2 => JIT_STACK_TOP - (v & 0xfff),
            _ => JIT_CODE + (v & 0x3fff),
        };
    }
    regs[4] = JIT_STACK_TOP - 0x200;
    // CF PF AF ZF SF from their own bits, DF from bit 1, OF from bit 3.
    let f = byte(30) as u32;
    let eflags = (f & 0xd5) | (f & 2) << 9 | (f & 8) << 8;
    let config = byte(31);
    let (entries, ways, policy) = [
        (64, 4, Policy::Lru),
        (4, 2, Policy::Lru),
        (4, 4, Policy::Fifo),
        (4, 2, Policy::Random),
        (8, 1, Policy::Lru),
        (2, 1, Policy::Fifo),
        (16, 4, Policy::Random),
        (1, 1, Policy::Lru),
    ][(config & 7) as usize];
    JitSetup {
        regs,
        eflags,
        tlb: TlbConfig {
            entries,
            ways,
            policy,
        },
        hot: if config & 8 != 0 { 2 } else { 1 },
        sched: config >> 4 & 3,
        alias: config & 0x40 != 0,
        param: byte(32),
    }
}

/// A machine for the input: its code at `JIT_CODE` (int3s after it).
fn jit_machine(setup: &JitSetup, code: &[u8], engine: toyemu_emulator::Engine) -> JitVm {
    use toyemu_emulator::{paging::PTE_P, paging::PTE_U, Pte, VirtAddr};
    let mut vm = JitVm::new(MachineConfig {
        // Frames 16 and up hold the pages, a few dozen at most.
        mem_bytes: 1 << 20,
        tlb: setup.tlb,
        engine,
        jit_hot: setup.hot,
    });
    let mut image = vec![0xcc; JIT_CODE_BYTES];
    image[..code.len()].copy_from_slice(code);
    vm.fill(JIT_CODE, &image);
    if setup.alias {
        for i in 0..4 {
            let f = vm.frame_of(JIT_CODE + i * PAGE_SIZE);
            vm.set_pte(JIT_CODE + JIT_ALIAS + i * PAGE_SIZE, Pte::new(f, jit_rw()));
        }
    }
    vm.fill(JIT_DATA, jit_data());
    let ro = vm.frame_of(JIT_READONLY);
    vm.set_pte(JIT_READONLY, Pte::new(ro, PTE_P | PTE_U));
    let cpu = vm.m.cpu_mut();
    for (i, r) in Reg::ALL.into_iter().enumerate() {
        cpu.set_reg(r, setup.regs[i]);
    }
    cpu.set_eflags(0x202 | setup.eflags);
    cpu.set_fs_base(0x1000);
    cpu.set_gs_base(0xffff_f000);
    cpu.set_eip(VirtAddr(JIT_CODE));
    vm
}

/// What the data pages hold at the start: a fixed pattern, the loop
/// counters' corner zeroed (made once).
fn jit_data() -> &'static [u8] {
    static DATA: std::sync::OnceLock<Vec<u8>> = std::sync::OnceLock::new();
    DATA.get_or_init(|| {
        let mut x = 0x2545_f491u32;
        (0..8 * PAGE_SIZE)
            .map(|i| {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                if i < 0x40 {
                    0
                } else {
                    x as u8
                }
            })
            .collect()
    })
}

/// The budgets of schedule `sched`.
fn jit_budgets(setup: &JitSetup) -> Box<dyn Iterator<Item = u64>> {
    match setup.sched {
        0 => Box::new([7, 1000].into_iter().chain(std::iter::repeat(JIT_HUGE))),
        1 => Box::new(
            std::iter::repeat_n(1, setup.param as usize).chain(std::iter::repeat(JIT_HUGE)),
        ),
        2 => {
            let mut x = setup.param as u32 | 0x100;
            Box::new(std::iter::from_fn(move || {
                x ^= x << 13;
                x ^= x >> 17;
                x ^= x << 5;
                Some(match x % 10 {
                    0 => JIT_HUGE,
                    1..=3 => 1 + (x >> 8) as u64 % 4,
                    4..=6 => 1 + (x >> 8) as u64 % 40,
                    _ => [64, 100, 333, 1000, 4096][(x >> 8) as usize % 5],
                })
            }))
        }
        _ => Box::new(std::iter::repeat(JIT_HUGE)),
    }
}

/// After a trap, on both machines alike: go on (a limit, a syscall, a
/// page fault fixed by mapping the page or making it writable, up to 4),
/// skip the instruction (a fault that cannot be fixed, #UD, #GP, #DE, up
/// to 16, as a signal handler might), or stop (`false`).
fn jit_after(vm: &mut JitVm, t: toyemu_emulator::Trap, fixes: &mut (u32, u32)) -> bool {
    use toyemu_emulator::{PfCode, Pte, Trap, VirtAddr};
    match t {
        Trap::InstructionLimit | Trap::Syscall => true,
        Trap::PageFault { addr, code, .. }
            if fixes.0 < 4 && (0x10000..0xc000_0000).contains(&addr.0) =>
        {
            fixes.0 += 1;
            let page = addr.0 & !0xfff;
            if code.contains(PfCode::P) {
                let f = vm.frame_of(page);
                vm.set_pte(page, Pte::new(f, jit_rw()));
            } else {
                vm.map(page);
            }
            true
        }
        Trap::PageFault { code, .. } if code.contains(PfCode::I) => false,
        Trap::PageFault { .. }
        | Trap::InvalidOpcode { .. }
        | Trap::GeneralProtection { .. }
        | Trap::DivideError { .. }
            if fixes.1 < 16 =>
        {
            let eip = vm.m.cpu().eip();
            let Some((bytes, _)) = toyemu_emulator::disasm::at(vm.m.mmu(), eip) else {
                return false;
            };
            fixes.1 += 1;
            let next = eip.0.wrapping_add(bytes.len() as u32);
            vm.m.cpu_mut().set_eip(VirtAddr(next));
            true
        }
        _ => false,
    }
}

/// What differs between the two machines (empty when nothing does).
fn jit_differences(a: &JitVm, b: &JitVm) -> String {
    use std::fmt::Write;
    let mut d = String::new();
    let (ca, cb) = (a.m.cpu(), b.m.cpu());
    if ca.registers() != cb.registers() || ca.eflags() != cb.eflags() {
        let _ = writeln!(
            d,
            "registers: interp {:x?}\n           jit    {:x?}",
            ca.registers(),
            cb.registers()
        );
    }
    if ca.retired() != cb.retired() {
        let _ = writeln!(d, "retired: interp {}, jit {}", ca.retired(), cb.retired());
    }
    if a.m.traps() != b.m.traps() {
        let _ = writeln!(d, "traps: interp {:?}, jit {:?}", a.m.traps(), b.m.traps());
    }
    let (ma, mb) = (a.m.mmu(), b.m.mmu());
    if ma.cr2() != mb.cr2() {
        let _ = writeln!(d, "cr2: interp {:?}, jit {:?}", ma.cr2(), mb.cr2());
    }
    if ma.tlb_stats() != mb.tlb_stats() {
        let _ = writeln!(
            d,
            "tlb: interp {:?}\n     jit    {:?}",
            ma.tlb_stats(),
            mb.tlb_stats()
        );
    }
    if !ma.tlb().valid_entries().eq(mb.tlb().valid_entries()) {
        let ea: Vec<_> = ma.tlb().valid_entries().collect();
        let eb: Vec<_> = mb.tlb().valid_entries().collect();
        let _ = writeln!(d, "tlb entries: interp {ea:?}\n             jit    {eb:?}");
    }
    if a.next_frame != b.next_frame {
        let _ = writeln!(d, "frames: interp {}, jit {}", a.next_frame, b.next_frame);
    }
    for f in 0..a.next_frame.min(b.next_frame) {
        let f = toyemu_emulator::Frame(f);
        let (x, y) = (ma.phys().frame_bytes(f), mb.phys().frame_bytes(f));
        // (The slices compared whole first: a loop over bytes would be
        // instrumented for coverage, byte by byte.)
        if x == y {
            continue;
        }
        if let Some(i) = (0..x.len()).find(|&i| x[i] != y[i]) {
            let _ = writeln!(
                d,
                "memory: frame {} offset {i:#x}: interp {:#04x}, jit {:#04x}",
                f.0, x[i], y[i]
            );
            break;
        }
    }
    d
}

/// Target `jit`: the same code under the interpreter and under the JIT
/// (translating each block at its first fast-path run, or its second),
/// with the same budgets; after every run the trap, registers, EFLAGS,
/// EIP, retired count, trap counts, CR2, TLB statistics and entries and
/// every frame in use must be the same. Input: EAX ECX EDX EBX EBP ESI EDI
/// (4 bytes each), two bytes of register kinds (2 bits each: raw, into the
/// data, into the stack, into the code), flags (CF PF AF ZF SF from their
/// bits, DF from bit 1, OF from bit 3), configuration (bits 0-2 the TLB:
/// 64x4 LRU, 4x2 LRU, 4x4 FIFO, 4x2 random, 8x1 LRU, 2x1 FIFO, 16x4
/// random, 1x1 LRU; bit 3 JIT after two runs; bits 4-5 the budgets: 7,
/// 1000 then huge / single steps then huge / random / huge; bit 6 the code
/// mapped a second time at +1 MiB), a schedule parameter, then the code
/// (up to 16 KiB) at 0x08048000.
pub fn jit(data: &[u8]) {
    use toyemu_emulator::Engine;
    let setup = jit_setup(data);
    let code = data.get(JIT_HEAD..).unwrap_or(&[]);
    let code = &code[..code.len().min(JIT_CODE_BYTES)];
    // Huge budgets only for code that stops by itself.
    let bounded = {
        let mut vm = jit_machine(&setup, code, Engine::Interp);
        let mut fixes = (0, 0);
        loop {
            let left = JIT_CAP.saturating_sub(vm.m.retired());
            if left == 0 {
                break true;
            }
            let t = vm.m.run(left);
            if !jit_after(&mut vm, t, &mut fixes) {
                break false;
            }
        }
    };
    let mut a = jit_machine(&setup, code, Engine::Interp);
    let mut b = jit_machine(&setup, code, Engine::Jit);
    let (mut fa, mut fb) = ((0, 0), (0, 0));
    let mut runs = Vec::new();
    let mut budgets = jit_budgets(&setup);
    for _ in 0..2000 {
        let mut budget = budgets.next().unwrap_or(JIT_HUGE);
        if bounded {
            budget = budget.min(JIT_CAP.saturating_sub(a.m.retired()).max(1));
        }
        let (ta, tb) = (a.m.run(budget), b.m.run(budget));
        runs.push(budget);
        let mut d = jit_differences(&a, &b);
        if ta != tb {
            d = format!("trap: interp {ta:?}, jit {tb:?}\n{d}");
        }
        assert!(
            d.is_empty(),
            "the JIT differs from the interpreter after runs {runs:?} ({setup:?}):\n{d}"
        );
        let (ga, gb) = (
            jit_after(&mut a, ta, &mut fa),
            jit_after(&mut b, tb, &mut fb),
        );
        if !ga || !gb || a.m.retired() >= JIT_CAP {
            break;
        }
    }
}
