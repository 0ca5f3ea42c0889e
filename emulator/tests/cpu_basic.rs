//! Whole-instruction behaviour on a hand-built machine: arithmetic, the
//! stack, calls, strings, traps, budgets.

mod common;
use common::*;
use toyemu_emulator::{Reg, Trap};

#[test]
fn sum_loop_and_syscall() {
    let mut vm = Vm::new();
    vm.load_asm(
        "
        xor %eax, %eax
        mov $10, %ecx
    1:  add %ecx, %eax
        loop 1b
        mov %eax, %ebx
        mov $1, %eax
        int $0x80
    ",
    );
    assert_eq!(vm.run(1000), Trap::Syscall);
    assert_eq!(vm.reg(Reg::Ebx), 55);
    assert_eq!(vm.m.cpu().eip().0, CODE + 20);
}

#[test]
fn call_ret_push_pop_memory() {
    let mut vm = Vm::new();
    vm.load_asm(&format!(
        "
        movl $0x11223344, {DATA}
        pushl {DATA}
        call f
        pop %ebx
        int3
    f:  mov 4(%esp), %eax
        inc %eax
        ret
    "
    ));
    assert!(matches!(vm.run(100), Trap::Breakpoint { .. }));
    assert_eq!(vm.reg(Reg::Eax), 0x11223345);
    assert_eq!(vm.reg(Reg::Ebx), 0x11223344);
    assert_eq!(vm.reg(Reg::Esp), STACK_TOP);
}
