//! A small machine for CPU tests: hand-written page tables, code assembled
//! at test time with GNU `as --32`, and a runner that serves the two
//! syscalls test programs use (write and exit).
#![allow(dead_code)]

use std::path::PathBuf;
use std::process::Command;
use toyemu_emulator::paging::{PTE_P, PTE_U, PTE_W};
use toyemu_emulator::{
    Frame, Machine, MachineConfig, PhysAddr, Pte, PteFlags, Reg, Trap, VirtAddr,
};

/// Where things live: code at the usual ELF address, data and stack near it.
pub const CODE: u32 = 0x0804_8000;
pub const DATA: u32 = 0x0805_0000;
pub const STACK_TOP: u32 = 0x0806_0000;
/// The stack of an ELF program (`Vm::bare`).
pub const ELF_STACK_TOP: u32 = 0xc000_0000;
/// Page directory in frame 1, the one page table (0x08000000..0x083fffff) in frame 2.
const PD: u32 = 0x1000;
const PT: u32 = 0x2000;
/// Frames handed out by `map` start here.
const FIRST_FRAME: u32 = 16;

mod tls;

pub struct Vm {
    pub m: Machine,
    next_frame: u32,
}

impl Vm {
    /// A 4 MiB machine with 16 code pages, 8 data pages and 4 stack pages mapped.
    pub fn new() -> Vm {
        Vm::with_config(MachineConfig::default())
    }

    /// As `new`, with the TLB and engine of `config` (its RAM size is
    /// ignored: always 4 MiB).
    pub fn with_config(config: MachineConfig) -> Vm {
        let mut m = Machine::new(MachineConfig {
            mem_bytes: 4 << 20,
            ..config
        })
        .unwrap();
        m.mmu_mut().phys_mut().write_u32(
            PhysAddr(PD + 4 * VirtAddr(CODE).pd_index() as u32),
            Pte::new(Frame(PT >> 12), PTE_P | PTE_W | PTE_U).raw(),
        );
        m.mmu_mut().load_cr3(PhysAddr(PD));
        let mut vm = Vm {
            m,
            next_frame: FIRST_FRAME,
        };
        for i in 0..16 {
            vm.map(CODE + i * 4096, PTE_P | PTE_W | PTE_U);
        }
        for i in 0..8 {
            vm.map(DATA + i * 4096, PTE_P | PTE_W | PTE_U);
        }
        for i in 1..=4 {
            vm.map(STACK_TOP - i * 4096, PTE_P | PTE_W | PTE_U);
        }
        vm.m.cpu_mut().set_eip(VirtAddr(CODE));
        vm.m.cpu_mut().set_reg(Reg::Esp, STACK_TOP);
        vm
    }

    /// A machine with only a stack mapped, below 0xc0000000 as Linux puts
    /// it (for loading an ELF file, whose segments may be anywhere below).
    pub fn bare() -> Vm {
        let mut vm = Vm::new();
        for i in 0..16 {
            vm.unmap(CODE + i * 4096);
        }
        for i in 0..8 {
            vm.unmap(DATA + i * 4096);
        }
        for i in 1..=4 {
            vm.unmap(STACK_TOP - i * 4096);
            vm.map(ELF_STACK_TOP - i * 4096, PTE_P | PTE_W | PTE_U);
        }
        vm.m.cpu_mut().set_reg(Reg::Esp, ELF_STACK_TOP);
        vm
    }

    /// Load the PT_LOAD segments of a static ELF32 i386 executable (all of
    /// them writable: this is a CPU test, not a loader test); EIP = entry.
    pub fn load_elf(&mut self, elf: &[u8]) {
        let u16_at = |o: usize| u16::from_le_bytes([elf[o], elf[o + 1]]) as usize;
        let u32_at = |o: usize| u32::from_le_bytes(elf[o..o + 4].try_into().unwrap());
        assert_eq!(&elf[..5], b"\x7fELF\x01", "not an ELF32 file");
        let (phoff, phentsize, phnum) = (u32_at(28) as usize, u16_at(42), u16_at(44));
        for i in 0..phnum {
            let ph = phoff + i * phentsize;
            if u32_at(ph) != 1 {
                continue; // not PT_LOAD
            }
            let (off, va, filesz, memsz) = (
                u32_at(ph + 4),
                u32_at(ph + 8),
                u32_at(ph + 16),
                u32_at(ph + 20),
            );
            let mut page = va & !0xfff;
            while page < va + memsz {
                if self
                    .m
                    .mmu()
                    .peek(VirtAddr(page))
                    .pte
                    .is_none_or(|p| !p.is_present())
                {
                    self.map(page, PTE_P | PTE_W | PTE_U);
                }
                page += 4096;
            }
            self.poke(va, &elf[off as usize..(off + filesz) as usize]);
        }
        self.m.cpu_mut().set_eip(VirtAddr(u32_at(24)));
    }

    /// Frames below this one may be in use (page tables and mapped pages);
    /// the ones above have never been handed out.
    pub fn frames_end(&self) -> u32 {
        self.next_frame
    }

    /// Map the page at `va` to a fresh frame; returns the frame.
    pub fn map(&mut self, va: u32, flags: PteFlags) -> Frame {
        let f = Frame(self.next_frame);
        self.next_frame += 1;
        self.set_pte(va, Pte::new(f, flags));
        f
    }

    /// Write the PTE for `va` (and drop the stale translation, as a kernel
    /// would), making a page table for it first if its PDE has none.
    pub fn set_pte(&mut self, va: u32, pte: Pte) {
        let pde_at = PhysAddr(PD + 4 * VirtAddr(va).pd_index() as u32);
        let mut pde = Pte(self.m.mmu().phys().read_u32(pde_at));
        if !pde.is_present() {
            let f = Frame(self.next_frame);
            self.next_frame += 1;
            self.m.mmu_mut().phys_mut().zero_frame(f);
            pde = Pte::new(f, PTE_P | PTE_W | PTE_U);
            self.m.mmu_mut().phys_mut().write_u32(pde_at, pde.raw());
        }
        let addr = PhysAddr(pde.frame().base().0 + 4 * VirtAddr(va).pt_index() as u32);
        self.m.mmu_mut().phys_mut().write_u32(addr, pte.raw());
        self.m.mmu_mut().invlpg(VirtAddr(va));
    }

    pub fn unmap(&mut self, va: u32) {
        self.set_pte(va, Pte::EMPTY);
    }

    /// Write bytes at a mapped linear address (through the page tables).
    pub fn poke(&mut self, va: u32, bytes: &[u8]) {
        for (i, &b) in bytes.iter().enumerate() {
            let a = VirtAddr(va + i as u32);
            let pte = self.m.mmu().peek(a).pte.expect("poke into unmapped page");
            let pa = PhysAddr(pte.frame().base().0 | a.page_offset());
            self.m.mmu_mut().phys_mut().write_u8(pa, b);
        }
    }

    pub fn peek(&mut self, va: u32, len: usize) -> Vec<u8> {
        (0..len)
            .map(|i| {
                let a = VirtAddr(va + i as u32);
                let pte = self.m.mmu().peek(a).pte.unwrap();
                self.m
                    .mmu()
                    .phys()
                    .read_u8(PhysAddr(pte.frame().base().0 | a.page_offset()))
            })
            .collect()
    }

    pub fn peek_u32(&mut self, va: u32) -> u32 {
        u32::from_le_bytes(self.peek(va, 4).try_into().unwrap())
    }

    /// Assemble `src` and load it at CODE.
    pub fn load_asm(&mut self, src: &str) {
        let code = asm(src);
        self.poke(CODE, &code);
    }

    pub fn reg(&self, r: Reg) -> u32 {
        self.m.cpu().reg(r)
    }

    pub fn run(&mut self, budget: u64) -> Trap {
        self.m.run(budget)
    }

    /// Run a test program to its `exit` syscall (EAX = 1), serving the
    /// syscalls of `syscall` into the returned output. Panics on any other trap.
    pub fn run_program(&mut self, budget: u64) -> (u32, Vec<u8>) {
        match self.run_to_trap(budget) {
            (Ok(status), out) => (status, out),
            (Err(t), _) => panic!("unexpected trap {t:?} at {:#x}", self.m.cpu().eip().0),
        }
    }

    /// Run a test program until it exits (`Ok(status)`) or stops with a
    /// trap that is not a syscall (`Err`), with what it wrote so far.
    pub fn run_to_trap(&mut self, budget: u64) -> (Result<u32, Trap>, Vec<u8>) {
        let mut out = Vec::new();
        loop {
            match self.m.run(budget) {
                Trap::Syscall => {
                    if let Some(status) = self.syscall(&mut out) {
                        return (Ok(status), out);
                    }
                }
                t => return (Err(t), out),
            }
        }
    }

    /// Serve one syscall the test programs use: exit, write, mmap2 of a
    /// fixed anonymous range, munmap (a no-op), set_thread_area and
    /// get_thread_area. Returns the exit status when the program exits.
    fn syscall(&mut self, out: &mut Vec<u8>) -> Option<u32> {
        let [b, c, d, si, di] =
            [Reg::Ebx, Reg::Ecx, Reg::Edx, Reg::Esi, Reg::Edi].map(|r| self.reg(r));
        let r = match self.reg(Reg::Eax) {
            1 | 252 => return Some(b),
            4 => {
                out.extend(self.peek(c, d as usize));
                d
            }
            192 => self.mmap_fixed(b, c, si, di),
            91 => 0,
            243 => tls::set_thread_area(self, b),
            244 => tls::get_thread_area(self, b),
            n => panic!("unexpected syscall {n}"),
        };
        self.m.cpu_mut().set_reg(Reg::Eax, r);
        None
    }

    /// mmap2(addr, len, prot, MAP_PRIVATE | MAP_FIXED | MAP_ANONYMOUS):
    /// the pages are mapped afresh (zeroed). Below the host's
    /// `vm.mmap_min_addr` it fails with EPERM as the host's would, so a
    /// program that probes for low memory sees the same answer in both.
    fn mmap_fixed(&mut self, addr: u32, len: u32, flags: u32, fd: u32) -> u32 {
        const EPERM: u32 = 1;
        const EINVAL: u32 = 22;
        let min = std::fs::read_to_string("/proc/sys/vm/mmap_min_addr")
            .ok()
            .and_then(|s| s.trim().parse::<u32>().ok())
            .unwrap_or(65536);
        if flags != 0x32 || fd != u32::MAX || addr & 0xfff != 0 {
            return EINVAL.wrapping_neg();
        }
        if addr < min {
            return EPERM.wrapping_neg();
        }
        let mut page = addr;
        while page < addr + len {
            let f = self.map(page, PTE_P | PTE_W | PTE_U);
            self.m.mmu_mut().phys_mut().zero_frame(f);
            page += 4096;
        }
        addr
    }
}

fn tmpdir() -> PathBuf {
    let d = std::env::temp_dir().join(format!("toyemu-cpu-tests-{}", std::process::id()));
    std::fs::create_dir_all(&d).unwrap();
    d
}

fn tool(name: &str) -> Command {
    if Command::new(name).arg("--version").output().is_err() {
        panic!("this test needs `{name}` (GNU binutils) on the PATH; install binutils");
    }
    Command::new(name)
}

/// Assemble AT&T-syntax 32-bit code, linked at CODE, into raw bytes.
pub fn asm(src: &str) -> Vec<u8> {
    use std::sync::atomic::{AtomicUsize, Ordering};
    static N: AtomicUsize = AtomicUsize::new(0);
    let n = N.fetch_add(1, Ordering::Relaxed);
    let dir = tmpdir();
    let (s, o, bin) = (
        dir.join(format!("t{n}.s")),
        dir.join(format!("t{n}.o")),
        dir.join(format!("t{n}.bin")),
    );
    std::fs::write(&s, format!(".code32\n.text\n{src}\n")).unwrap();
    let r = tool("as")
        .args(["--32", "-o"])
        .arg(&o)
        .arg(&s)
        .output()
        .unwrap();
    assert!(
        r.status.success(),
        "as failed:\n{}",
        String::from_utf8_lossy(&r.stderr)
    );
    // Link at CODE, so absolute references to labels work.
    let elf = dir.join(format!("t{n}.elf"));
    let r = tool("ld")
        .args([
            "-m",
            "elf_i386",
            "-Ttext=0x8048000",
            "-e",
            "0x8048000",
            "-o",
        ])
        .arg(&elf)
        .arg(&o)
        .output()
        .unwrap();
    assert!(
        r.status.success(),
        "ld failed:\n{}",
        String::from_utf8_lossy(&r.stderr)
    );
    let r = tool("objcopy")
        .args(["-O", "binary", "-j", ".text"])
        .arg(&elf)
        .arg(&bin)
        .output()
        .unwrap();
    assert!(r.status.success(), "objcopy failed");
    let bytes = std::fs::read(&bin).unwrap();
    for p in [s, o, elf, bin] {
        let _ = std::fs::remove_file(p);
    }
    bytes
}

/// Compile a freestanding C file from tests/native/ as a static i386
/// executable with `gcc -m32 -<opt>`; fails clearly when gcc cannot.
pub fn build_native(file: &str, opt: &str) -> PathBuf {
    build_native_with(file, opt, &[])
}

/// As `build_native`, with more compiler arguments (`-DCASE=3`).
pub fn build_native_with(file: &str, opt: &str, extra: &[&str]) -> PathBuf {
    let src = PathBuf::from(env!("CARGO_MANIFEST_DIR"))
        .join("tests/native")
        .join(file);
    let out = tmpdir().join(format!(
        "{}-{opt}{}",
        file.trim_end_matches(".c"),
        extra.concat().replace(['-', '='], "")
    ));
    // The guest programs' code-generation flags, from their one source.
    let flags = include_str!("../../../userland/cflags")
        .lines()
        .filter(|l| !l.trim_start().starts_with('#'))
        .flat_map(str::split_whitespace);
    let r = Command::new("gcc")
        .args(flags)
        .args(["-Wall", "-Werror"])
        .arg(format!("-{opt}"))
        .args(extra)
        .arg("-o")
        .arg(&out)
        .arg(&src)
        .output()
        .unwrap_or_else(|e| panic!("this test needs gcc (with -m32 support): {e}"));
    assert!(
        r.status.success(),
        "gcc -m32 {file} failed (is 32-bit support installed?):\n{}",
        String::from_utf8_lossy(&r.stderr)
    );
    out
}

/// Run an i386 executable on the host: (exit status, stdout). Fails clearly
/// when the host cannot run i386 code.
pub fn run_native(exe: &std::path::Path) -> (i32, Vec<u8>) {
    let r = Command::new(exe).output().unwrap_or_else(|e| {
        panic!(
            "cannot run {} natively ({e}): this test needs a host that runs i386 executables",
            exe.display()
        )
    });
    let status = r.status.code().unwrap_or_else(|| {
        panic!(
            "{} died natively ({}): does this host run i386 executables?",
            exe.display(),
            r.status
        )
    });
    (status, r.stdout)
}

/// Run an i386 executable on the host that may die of a signal: (the
/// signal, if it did, and its stdout).
pub fn run_native_signal(exe: &std::path::Path) -> (Option<i32>, Vec<u8>) {
    use std::os::unix::process::ExitStatusExt;
    let r = Command::new(exe).output().unwrap_or_else(|e| {
        panic!(
            "cannot run {} natively ({e}): this test needs a host that runs i386 executables",
            exe.display()
        )
    });
    (r.status.signal(), r.stdout)
}

/// Run a freestanding test program in toyemu: (exit status, stdout).
pub fn run_emulated(exe: &std::path::Path) -> (u32, Vec<u8>) {
    run_emulated_args(exe, &[])
}

/// Run an i386 executable on the host with arguments: (exit status, stdout).
pub fn run_native_args(exe: &std::path::Path, args: &[&str]) -> (i32, Vec<u8>) {
    let r = Command::new(exe).args(args).output().unwrap_or_else(|e| {
        panic!(
            "cannot run {} natively ({e}): this test needs a host that runs i386 executables",
            exe.display()
        )
    });
    let status = r.status.code().unwrap_or_else(|| {
        panic!(
            "{} died natively ({}): does this host run i386 executables?",
            exe.display(),
            r.status
        )
    });
    (status, r.stdout)
}

/// Run a freestanding test program in toyemu with `argv[1..]` = `args`
/// (argc, argv, an empty envp and auxv on the stack, as at process start).
pub fn run_emulated_args(exe: &std::path::Path, args: &[&str]) -> (u32, Vec<u8>) {
    let mut vm = Vm::bare();
    vm.load_elf(&std::fs::read(exe).unwrap());
    let mut strings = ELF_STACK_TOP - 1024;
    let mut ptrs = Vec::new();
    for a in std::iter::once("prog").chain(args.iter().copied()) {
        vm.poke(strings, a.as_bytes());
        vm.poke(strings + a.len() as u32, &[0]);
        ptrs.push(strings);
        strings += a.len() as u32 + 1;
    }
    let mut words = vec![ptrs.len() as u32];
    words.extend(&ptrs);
    words.extend([0, 0, 0, 0]); // argv end, envp end, AT_NULL
    let sp = ELF_STACK_TOP - 2048;
    let bytes: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    vm.poke(sp, &bytes);
    vm.m.cpu_mut().set_reg(Reg::Esp, sp);
    vm.run_program(u64::MAX)
}
