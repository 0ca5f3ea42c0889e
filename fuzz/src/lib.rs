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
