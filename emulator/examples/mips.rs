//! Guest MIPS on an integer loop: loads, stores, adds, a compare and two
//! branches per iteration, the shape of compiled C.
//!
//! `cargo run --release -p toyemu-emulator --example mips [iterations]`
//! (default 100 million iterations, about 1e9 instructions).

use std::time::Instant;
use toyemu_emulator::paging::{PTE_P, PTE_U, PTE_W};
use toyemu_emulator::{Frame, Machine, MachineConfig, PhysAddr, Pte, Reg, Trap, VirtAddr};

const CODE: u32 = 0x0804_8000;
const DATA: u32 = 0x0805_0000;

/// Sets ECX to the iteration count (patched in), EAX to 0, ESI to DATA.
#[rustfmt::skip]
const PROLOGUE: &[u8] = &[
    0xb9, 0, 0, 0, 0,               // mov $N, %ecx
    0x31, 0xc0,                     // xor %eax, %eax
    0xbe, 0x00, 0x00, 0x05, 0x08,   // mov $DATA, %esi
];

/// Ten instructions with two memory accesses, as compiled C has
/// (assembled by GNU as; the listing beside each line).
#[rustfmt::skip]
const MEM_LOOP: &[u8] = &[
    0x8b, 0x14, 0x86,               // 1: mov (%esi,%eax,4), %edx
    0x01, 0xca,                     // add %ecx, %edx
    0x89, 0x54, 0x86, 0x04,         // mov %edx, 4(%esi,%eax,4)
    0x83, 0xc0, 0x01,               // add $1, %eax
    0x25, 0xff, 0x03, 0x00, 0x00,   // and $0x3ff, %eax
    0x83, 0xfa, 0x10,               // cmp $0x10, %edx
    0x72, 0x03,                     // jb 2f
    0x8d, 0x5a, 0x03,               // lea 3(%edx), %ebx
    0x49,                           // 2: dec %ecx
    0x75, 0xe4,                     // jne 1b
];

/// Ten register-only instructions.
#[rustfmt::skip]
const REG_LOOP: &[u8] = &[
    0x01, 0xca,                     // 1: add %ecx, %edx
    0x8d, 0x5a, 0x03,               // lea 3(%edx), %ebx
    0x31, 0xd8,                     // xor %ebx, %eax
    0x83, 0xc6, 0x01,               // add $1, %esi
    0x81, 0xe6, 0xff, 0x03, 0, 0,   // and $0x3ff, %esi
    0x83, 0xfa, 0x10,               // cmp $0x10, %edx
    0x72, 0x02,                     // jb 2f
    0x89, 0xdf,                     // mov %ebx, %edi
    0x49,                           // 2: dec %ecx
    0x75, 0xe6,                     // jne 1b
];

#[rustfmt::skip]
const EXIT: &[u8] = &[
    0xb8, 0x01, 0x00, 0x00, 0x00,   // mov $1, %eax
    0xcd, 0x80,                     // int $0x80
];

fn main() {
    let iterations: u32 = std::env::args()
        .nth(1)
        .map(|s| s.parse().expect("iterations: a number"))
        .unwrap_or(100_000_000);
    for (name, body) in [("registers", REG_LOOP), ("memory", MEM_LOOP)] {
        measure(name, body, iterations);
    }
}

/// Run PROLOGUE + body + EXIT on a fresh machine and print its speed.
fn measure(name: &str, body: &[u8], iterations: u32) {
    let mut m = Machine::new(MachineConfig {
        mem_bytes: 1 << 20,
        ..Default::default()
    })
    .unwrap();
    // Page directory in frame 1, page table in frame 2; code in 16, data in 17-18.
    let rw = PTE_P | PTE_W | PTE_U;
    let pde = PhysAddr(0x1000 + 4 * VirtAddr(CODE).pd_index() as u32);
    m.mmu_mut()
        .phys_mut()
        .write_u32(pde, Pte::new(Frame(2), rw).raw());
    for (va, frame) in [(CODE, 16), (DATA, 17), (DATA + 0x1000, 18)] {
        let pte = PhysAddr(0x2000 + 4 * VirtAddr(va).pt_index() as u32);
        m.mmu_mut()
            .phys_mut()
            .write_u32(pte, Pte::new(Frame(frame), rw).raw());
    }
    m.mmu_mut().load_cr3(PhysAddr(0x1000));
    let mut code = [PROLOGUE, body, EXIT].concat();
    code[1..5].copy_from_slice(&iterations.to_le_bytes());
    for (i, b) in code.iter().enumerate() {
        m.mmu_mut()
            .phys_mut()
            .write_u8(PhysAddr(16 * 4096 + i as u32), *b);
    }
    m.cpu_mut().set_eip(VirtAddr(CODE));

    let start = Instant::now();
    let trap = m.run(u64::MAX);
    let secs = start.elapsed().as_secs_f64();
    assert_eq!(trap, Trap::Syscall, "the loop should end in exit");
    assert_eq!(m.cpu().reg(Reg::Ecx), 0);
    let n = m.retired();
    println!(
        "{name:>9} loop: {n} instructions in {secs:.3} s: {:.0} MIPS",
        n as f64 / secs / 1e6
    );
}
