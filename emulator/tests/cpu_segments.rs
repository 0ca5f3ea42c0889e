//! Segment registers through the CPU's API, and what the native oracle
//! programs cannot show: TLS entries written with `set_tls_descriptor` and
//! loaded as selector 0x33, faults that leave everything unchanged, the
//! places toyemu keeps segments flat, and 16-bit branches into low memory.

mod common;
use common::*;
use toyemu_emulator::cpu::segment::{selector, SegReg, SegmentDescriptor, SegmentFault};
use toyemu_emulator::paging::{PTE_P, PTE_U, PTE_W};
use toyemu_emulator::{Reg, Trap, VirtAddr};

/// A 32-bit data segment at `base` (byte limit unless `pages`), as Linux's
/// `fill_ldt` makes one for set_thread_area.
fn data_segment(base: u32, limit: u32, pages: bool) -> SegmentDescriptor {
    SegmentDescriptor {
        base,
        limit,
        g: pages,
        ..SegmentDescriptor::flat(false, 3)
    }
}

fn run_to_int3(vm: &mut Vm) {
    let t = vm.run(10_000);
    assert!(
        matches!(t, Trap::Breakpoint { .. }),
        "{t:?} at {:#x}",
        vm.m.cpu().eip().0
    );
}

/// Run to a #GP, at an instruction whose disassembly contains `text`
/// (compared without spaces, in lower case).
fn gp_at(vm: &mut Vm, text: &str) {
    let eip = match vm.run(10_000) {
        Trap::GeneralProtection { eip } => eip,
        t => panic!("{t:?}, not #GP at `{text}`"),
    };
    assert_eq!(vm.m.cpu().eip(), eip);
    let (_, at) = toyemu_emulator::disasm::at(vm.m.mmu(), eip).unwrap();
    let squash = |t: &str| t.replace(' ', "").to_lowercase();
    assert!(
        squash(&at).contains(&squash(text)),
        "#GP at `{at}`, not `{text}`"
    );
}

#[test]
fn exec_state_is_linuxs() {
    let vm = Vm::new();
    let s = vm.m.cpu().registers().selectors;
    assert_eq!(
        (s.cs, s.ss, s.ds, s.es, s.fs, s.gs),
        (0x73, 0x7b, 0x7b, 0x7b, 0, 0)
    );
    for e in 6..=8 {
        assert_eq!(vm.m.cpu().tls_descriptor(e), SegmentDescriptor::NULL);
    }
}

#[test]
fn gs_0x33_reads_and_writes_through_a_tls_descriptor() {
    let mut vm = Vm::new();
    vm.poke(DATA + 0x104, &0x1122_3344u32.to_le_bytes());
    vm.m.cpu_mut()
        .set_tls_descriptor(6, data_segment(DATA + 0x100, 0xfffff, true));
    vm.load_asm(
        "mov $0x33, %eax
         mov %eax, %gs
         mov %gs:4, %ebx
         movl $0x55667788, %gs:8
         addl $1, %gs:8
         mov %gs, %ecx
         push %gs
         pop %fs
         mov %fs:4, %edx
         int3",
    );
    run_to_int3(&mut vm);
    assert_eq!(vm.reg(Reg::Ebx), 0x1122_3344);
    assert_eq!(vm.peek_u32(DATA + 0x108), 0x5566_7789);
    assert_eq!(vm.reg(Reg::Ecx), 0x33);
    assert_eq!(vm.reg(Reg::Edx), 0x1122_3344);
    let r = vm.m.cpu().registers();
    assert_eq!((r.selectors.gs, r.selectors.fs), (0x33, 0x33));
    assert_eq!((r.gs_base, r.fs_base), (DATA + 0x100, DATA + 0x100));
    // Loading the selector set the descriptor's accessed bit.
    assert_eq!(
        vm.m.cpu().tls_descriptor(6).typ & SegmentDescriptor::ACCESSED,
        1
    );
    assert_eq!(selector(7, 3), 0x3b);
}

#[test]
fn null_gs_access_is_general_protection_and_changes_nothing() {
    for src in [
        "mov %gs:0, %eax",
        "movl $1, %gs:(%ebx)",
        "addl %eax, %gs:0x14",
        "push %gs:4",
        "lodsb %gs:(%esi)",
        "xlat %gs:(%ebx)",
        "mov %gs:(%bx,%si), %ax",
    ] {
        let mut vm = Vm::new();
        vm.m.cpu_mut().set_reg(Reg::Ebx, DATA);
        vm.m.cpu_mut().set_reg(Reg::Esi, DATA);
        vm.load_asm(&format!("mov $3, %ecx\n mov %ecx, %gs\n {src}"));
        assert_eq!(vm.run(2), Trap::InstructionLimit);
        let before = vm.m.cpu().registers();
        assert_eq!(before.selectors.gs, 3, "a null selector keeps its RPL");
        gp_at(&mut vm, "%gs:");
        assert_eq!(vm.m.cpu().registers(), before, "{src}");
    }
}

#[test]
fn limits_expand_down_and_read_only_segments() {
    let mut vm = Vm::new();
    vm.m.cpu_mut()
        .set_tls_descriptor(7, data_segment(DATA, 15, false));
    let mut down = data_segment(DATA, 0xff, false);
    down.typ |= SegmentDescriptor::EXPAND_DOWN_OR_CONFORMING;
    vm.m.cpu_mut().set_tls_descriptor(8, down);
    vm.load_asm(
        "mov $0x3b, %eax
         mov %eax, %gs
         mov %gs:12, %ebx
         mov $0x43, %eax
         mov %eax, %fs
         mov %fs:0x100, %ecx
         mov %gs:13, %edx",
    );
    assert_eq!(vm.run(6), Trap::InstructionLimit);
    // The dword at 13 reaches byte 16, one past the limit.
    gp_at(&mut vm, "mov %gs:0xd,%edx");
    let mut ro = data_segment(DATA, 0xfffff, true);
    ro.typ &= !SegmentDescriptor::WRITABLE_OR_READABLE;
    vm.m.cpu_mut().set_tls_descriptor(7, ro);
    vm.m.cpu_mut().reload_segments();
    vm.load_asm("mov %gs:12, %ebx\n cmpl $0, %gs:4\n movl $0, %gs:4");
    vm.m.cpu_mut().set_eip(VirtAddr(CODE));
    assert_eq!(
        vm.run(2),
        Trap::InstructionLimit,
        "reads and compares are fine"
    );
    gp_at(&mut vm, "movl $0,%gs:4");
}

#[test]
fn a_written_descriptor_shows_after_reload_and_an_empty_one_nulls_the_register() {
    let mut vm = Vm::new();
    let cpu = vm.m.cpu_mut();
    cpu.set_tls_descriptor(6, data_segment(DATA, 0xfffff, true));
    cpu.load_segment(SegReg::Gs, 0x33).unwrap();
    cpu.load_segment(SegReg::Fs, 0x33).unwrap();
    cpu.set_tls_descriptor(6, data_segment(DATA + 0x40, 0xfffff, true));
    assert_eq!(
        cpu.gs_base(),
        DATA,
        "the hidden part is stale until reloaded"
    );
    cpu.reload_segments();
    assert_eq!((cpu.gs_base(), cpu.fs_base()), (DATA + 0x40, DATA + 0x40));
    cpu.set_tls_descriptor(6, SegmentDescriptor::NULL);
    cpu.reload_segments();
    let s = cpu.selectors();
    assert_eq!((s.fs, s.gs, s.ds), (0, 0, 0x7b));
    assert_eq!(
        cpu.load_segment(SegReg::Gs, 0x33),
        Err(SegmentFault::GeneralProtection(0x30))
    );
    let mut np = data_segment(DATA, 0xfffff, true);
    np.present = false;
    cpu.set_tls_descriptor(8, np);
    assert_eq!(
        cpu.load_segment(SegReg::Gs, 0x43),
        Err(SegmentFault::NotPresent(0x40))
    );
    cpu.reset_segments();
    assert_eq!(cpu.tls_descriptor(8), SegmentDescriptor::NULL);
}

#[test]
fn ds_es_ss_stay_flat() {
    let mut vm = Vm::new();
    vm.m.cpu_mut()
        .set_tls_descriptor(6, SegmentDescriptor::flat(false, 3));
    vm.m.cpu_mut()
        .set_tls_descriptor(7, data_segment(DATA, 0xfffff, true));
    // A flat TLS segment may go anywhere, null into DS and ES too…
    vm.load_asm(
        "mov $0x33, %eax
         mov %eax, %ds
         mov %eax, %ss
         mov %eax, %es
         xor %eax, %eax
         mov %eax, %es
         mov $0x3b, %eax
         mov %eax, %ds",
    );
    assert_eq!(vm.run(7), Trap::InstructionLimit);
    let s = vm.m.cpu().selectors();
    assert_eq!((s.ds, s.ss, s.es), (0x33, 0x33, 0));
    // …but toyemu refuses a based one there (hardware would load it).
    gp_at(&mut vm, "mov %eax,%ds");
    // SS must not be null; CS is not a mov destination.
    let mut vm = Vm::new();
    vm.load_asm("xor %eax, %eax\n mov %eax, %ss");
    assert_eq!(vm.run(1), Trap::InstructionLimit);
    gp_at(&mut vm, "mov %eax,%ss");
}

#[test]
fn failed_segment_loads_are_restartable() {
    // pop %gs of a bad selector, and lgs whose selector half is on an
    // unmapped page: ESP, EBX and GS are as before.
    let mut vm = Vm::new();
    vm.load_asm("pushl $0xfffb\n pop %gs");
    assert_eq!(vm.run(1), Trap::InstructionLimit);
    let before = vm.m.cpu().registers();
    gp_at(&mut vm, "pop %gs");
    assert_eq!(vm.m.cpu().registers(), before);

    let mut vm = Vm::new();
    let edge = DATA + 8 * 4096 - 4; // the offset fits, the selector does not
    vm.poke(edge, &0x1234u32.to_le_bytes());
    vm.load_asm(&format!("mov ${edge}, %eax\n lgs (%eax), %ebx\n int3"));
    assert_eq!(vm.run(1), Trap::InstructionLimit);
    let before = vm.m.cpu().registers();
    match vm.run(100) {
        Trap::PageFault { addr, eip, .. } => {
            assert_eq!((addr.0, eip.0), (edge + 4, CODE + 5));
        }
        t => panic!("{t:?}"),
    }
    assert_eq!(vm.m.cpu().registers(), before);
    vm.map(edge + 4, PTE_P | PTE_W | PTE_U);
    vm.poke(edge + 4, &0x7bu16.to_le_bytes());
    run_to_int3(&mut vm);
    assert_eq!(vm.reg(Reg::Ebx), 0x1234);
    assert_eq!(vm.m.cpu().selectors().gs, 0x7b);
}

/// A jcc, loop and jmp with an operand-size prefix leave EIP truncated to
/// 16 bits when taken, and fall through to the next (32-bit) address when not.
#[test]
fn sixteen_bit_near_branches_truncate_eip() {
    let mut vm = Vm::new();
    vm.map(0x2000, PTE_P | PTE_W | PTE_U);
    vm.poke(0x2000, &[0xcc]); // int3
    vm.poke(0x2010, &[0xcc]);
    vm.poke(0x2020, &[0xcc]);
    // 66 0f 84 rel16: je (taken), at CODE + 2: next = CODE + 7.
    let rel = |target: u32, next: u32| (target.wrapping_sub(next) as u16).to_le_bytes();
    let mut code = vec![0x31, 0xc0]; // xor %eax, %eax: ZF = 1
    code.extend([0x66, 0x0f, 0x84]);
    code.extend(rel(0x2000, CODE + 7));
    vm.poke(CODE, &code);
    run_to_int3(&mut vm);
    assert_eq!(vm.m.cpu().eip().0, 0x2001);

    // Not taken: jne falls through to CODE + 9 (not truncated), then a
    // 16-bit loop (66 e2 rel8 can't reach low memory: use 66 e9 jmp rel16).
    let mut vm = Vm::new();
    vm.map(0x2000, PTE_P | PTE_W | PTE_U);
    vm.poke(0x2010, &[0xcc]);
    let mut code = vec![0x31, 0xc0, 0x66, 0x0f, 0x85];
    code.extend(rel(0x2000, CODE + 7));
    code.extend([0x66, 0xe9]);
    code.extend(rel(0x2010, CODE + 11));
    vm.poke(CODE, &code);
    run_to_int3(&mut vm);
    assert_eq!(vm.m.cpu().eip().0, 0x2011);
}
