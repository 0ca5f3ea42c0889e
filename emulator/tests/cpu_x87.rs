//! The x87 as the kernel sees it: the state at start, #MF for an unmasked
//! exception (delivered at the next waiting instruction, not the one that
//! raised it), and restartable faults (a page fault leaves the FPU as it
//! was). Bit-exact arithmetic is tests/x87_oracle.rs's business.

mod common;
use common::*;
use toyemu_emulator::cpu::x87::F80;
use toyemu_emulator::{Trap, VirtAddr};

#[test]
fn the_fpu_starts_as_fninit_leaves_it() {
    let mut vm = Vm::new();
    vm.load_asm(&format!(
        "fnstcw {DATA}\n fnstsw {}\n fld1\n fldpi\n faddp\n fstpl {}\n int3",
        DATA + 2,
        DATA + 8
    ));
    assert!(matches!(vm.run(100), Trap::Breakpoint { .. }));
    assert_eq!(vm.peek(DATA, 4), [0x7f, 0x03, 0, 0]);
    let sum = f64::from_le_bytes(vm.peek(DATA + 8, 8).try_into().unwrap());
    assert_eq!(sum, 1.0 + std::f64::consts::PI);
    assert_eq!(vm.m.cpu().fpu().empty, 0xff);
}

#[test]
fn an_unmasked_exception_traps_at_the_next_waiting_instruction() {
    let mut vm = Vm::new();
    // Unmask ZE, divide 1 by 0: ZE and ES set, nothing delivered; the
    // fnstsw after it does not wait, the fwait does.
    vm.poke(DATA, &0x037bu16.to_le_bytes());
    vm.load_asm(&format!(
        "fldcw {DATA}\n fld1\n fldz\n fdivrp\n fnstsw %ax\n fwait\n int3"
    ));
    let fwait = CODE + 6 + 2 + 2 + 2 + 2;
    match vm.run(100) {
        Trap::FloatingPoint { eip } => assert_eq!(eip, VirtAddr(fwait)),
        t => panic!("{t:?}"),
    }
    assert_eq!(vm.m.cpu().eip(), VirtAddr(fwait));
    let ax = vm.reg(toyemu_emulator::Reg::Eax) & 0xffff;
    assert_eq!(ax & 0x80ff, 0x8084, "B, ES and ZE: {ax:#x}");
    // The division delivered nothing: 0 and 1 are still there.
    let fpu = vm.m.cpu().fpu();
    assert_eq!(fpu.st(0), F80::ZERO);
    assert_eq!(fpu.st(1), F80::ONE);
    // It stays pending: running again traps again.
    assert!(matches!(vm.run(100), Trap::FloatingPoint { .. }));
}

#[test]
fn a_store_to_a_missing_page_changes_nothing_and_resumes() {
    let mut vm = Vm::new();
    let hole = DATA + 8 * 4096; // the first page past the data
    vm.load_asm(&format!(
        "fldpi\n fld1\n fstpt {}\n fstpt {DATA}\n int3",
        hole - 4
    ));
    let t = vm.run(100);
    assert!(
        matches!(t, Trap::PageFault { addr, .. } if addr.0 == hole),
        "{t:?}"
    );
    let before = vm.m.cpu().fpu().clone();
    assert_eq!(before.st(0), F80::ONE, "not popped");
    vm.map(
        hole,
        toyemu_emulator::paging::PTE_P
            | toyemu_emulator::paging::PTE_W
            | toyemu_emulator::paging::PTE_U,
    );
    assert!(matches!(vm.run(100), Trap::Breakpoint { .. }));
    assert_eq!(vm.peek(hole - 4, 10), F80::ONE.to_bytes());
    assert_eq!(
        vm.peek(DATA, 10),
        [0x35, 0xc2, 0x68, 0x21, 0xa2, 0xda, 0x0f, 0xc9, 0x00, 0x40]
    );
}

#[test]
fn a_load_from_a_missing_page_changes_nothing() {
    let mut vm = Vm::new();
    vm.load_asm("fld1\n faddl 0x08200000\n int3");
    let t = vm.run(100);
    assert!(matches!(t, Trap::PageFault { .. }), "{t:?}");
    let fpu = vm.m.cpu().fpu();
    assert_eq!((fpu.st(0), fpu.sw, fpu.top), (F80::ONE, 0, 7));
    // FIP still names the fld1, the last instruction that completed.
    assert_eq!(fpu.fip, CODE);
}

#[test]
fn the_waiting_control_forms_wait_and_the_no_wait_ones_do_not() {
    let mut vm = Vm::new();
    vm.poke(DATA, &0x037eu16.to_le_bytes()); // IE unmasked
    vm.poke(DATA + 6, &[0xaa, 0xaa]);
    // 0/0 leaves IE pending; fnstcw runs, fstcw (9b d9 /7) waits: #MF.
    vm.load_asm(&format!(
        "fldcw {DATA}\n fldz\n fldz\n fdivrp\n fnstcw {}\n fstcw {}\n int3",
        DATA + 4,
        DATA + 6
    ));
    let fstcw = CODE + 6 + 2 + 2 + 2 + 6;
    match vm.run(100) {
        Trap::FloatingPoint { eip } => assert_eq!(eip, VirtAddr(fstcw)),
        t => panic!("{t:?}"),
    }
    assert_eq!(vm.peek(DATA + 4, 2), [0x7e, 0x03], "fnstcw ran");
    assert_eq!(vm.peek(DATA + 6, 2), [0xaa, 0xaa], "fstcw did not");
}
