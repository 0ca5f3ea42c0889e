//! What the kernel's integration tests share: a small static executable
//! built in memory, a kernel around a small machine, syscall numbers.

#![allow(dead_code)]

use std::sync::Arc;
use toyemu_emulator::{MachineConfig, TlbConfig};
use toyemu_kernel::{Console, ElfImage, Kernel, KernelConfig};

pub const PAGE: u32 = 4096;
pub const TEXT: u32 = 0x0804_8000;
pub const TEXT_FILESZ: u32 = 0x1800;
pub const DATA: u32 = 0x0804_c000;
pub const DATA_OFFSET: u32 = 0x2000;
pub const DATA_FILESZ: u32 = 0x1234;
pub const DATA_MEMSZ: u32 = 0x5000;
pub const BRK0: u32 = DATA + DATA_MEMSZ;
pub const FREE: u32 = 0x4000_0000;
pub const IMAGE_LEN: usize = (DATA_OFFSET + DATA_FILESZ) as usize;

pub const NR_BRK: u32 = 45;
pub const NR_MUNMAP: u32 = 91;
pub const NR_MPROTECT: u32 = 125;
pub const NR_MMAP2: u32 = 192;
pub const NR_MADVISE: u32 = 219;
pub const NR_EXIT_GROUP: u32 = 252;
pub const MAP_PRIVATE: u32 = 0x02;
pub const MAP_FIXED: u32 = 0x10;
pub const MAP_ANONYMOUS: u32 = 0x20;
pub const MAP_FIXED_NOREPLACE: u32 = 0x10_0000;
pub const MADV_DONTNEED: u32 = 4;
pub const EINVAL: u32 = -22i32 as u32;
pub const ENOMEM: u32 = -12i32 as u32;
pub const EEXIST: u32 = -17i32 as u32;

/// The file byte at image offset `i` (never zero, so zero-fill is visible).
pub fn file_byte(i: u32) -> u8 {
    (i.wrapping_mul(131) % 251) as u8 + 1
}

/// A static i386 executable: text r-x (2 pages), data rw- (5 pages, the
/// first 0x1234 bytes from the file, the rest .bss).
pub fn image() -> Arc<ElfImage> {
    let mut b: Vec<u8> = (0..IMAGE_LEN as u32).map(file_byte).collect();
    b[..0x100].fill(0);
    b[..4].copy_from_slice(b"\x7fELF");
    b[4] = 1; // ELFCLASS32
    b[5] = 1; // little-endian
    b[6] = 1;
    let put16 =
        |b: &mut Vec<u8>, at: usize, v: u16| b[at..at + 2].copy_from_slice(&v.to_le_bytes());
    let put32 =
        |b: &mut Vec<u8>, at: usize, v: u32| b[at..at + 4].copy_from_slice(&v.to_le_bytes());
    put16(&mut b, 16, 2); // ET_EXEC
    put16(&mut b, 18, 3); // EM_386
    put32(&mut b, 20, 1);
    put32(&mut b, 24, TEXT + 0x100);
    put32(&mut b, 28, 52);
    put16(&mut b, 40, 52);
    put16(&mut b, 42, 32);
    put16(&mut b, 44, 2);
    let phs = [
        (0, TEXT, TEXT_FILESZ, TEXT_FILESZ, 5),
        (DATA_OFFSET, DATA, DATA_FILESZ, DATA_MEMSZ, 6),
    ];
    for (i, (off, va, fs, ms, fl)) in phs.into_iter().enumerate() {
        for (k, v) in [1, off, va, va, fs, ms, fl, PAGE].into_iter().enumerate() {
            put32(&mut b, 52 + 32 * i + 4 * k, v);
        }
    }
    Arc::new(ElfImage::parse(b).expect("the test image is a valid executable"))
}

pub fn kernel(mem_bytes: u64) -> Kernel {
    kernel_with_tlb(mem_bytes, TlbConfig::default())
}

/// A kernel whose machine has `tlb` (small ones make set conflicts common).
pub fn kernel_with_tlb(mem_bytes: u64, tlb: TlbConfig) -> Kernel {
    kernel_with_config(KernelConfig {
        machine: MachineConfig {
            mem_bytes,
            tlb,
            ..MachineConfig::default()
        },
        ..KernelConfig::default()
    })
}

/// A kernel built from `config`, its console going nowhere.
pub fn kernel_with_config(config: KernelConfig) -> Kernel {
    let console = Console::captured(
        Box::new(std::io::empty()),
        Box::new(std::io::sink()),
        Box::new(std::io::sink()),
    );
    Kernel::new(config, console).expect("a machine")
}
