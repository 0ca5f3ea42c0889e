//! Memcheck's machine side: hooks stop the CPU before an address without
//! touching guest memory, a watched page's forbidden bytes refuse an access
//! before it happens (`Trap::MemCheck`, nothing changed), the stack check
//! lets pushes and calls write below ESP and nothing else, and the modelled
//! TLB counts the same hits and misses as without the watch.

mod common;
use common::*;
use toyemu_emulator::{Access, Reg, Trap, VirtAddr};

#[test]
fn a_hook_stops_before_the_instruction_and_passes_once() {
    let mut vm = Vm::new();
    vm.load_asm(
        "mov $1, %eax
    1:  add $1, %eax
         cmp $3, %eax
         jne 1b
         int3",
    );
    let add = CODE + 5;
    let before = vm.peek(add, 3);
    let (cpu, mmu) = vm.m.cpu_and_mmu();
    cpu.add_hook(mmu, add);
    // Reached straight from the mov (the block ends before the hook), then
    // twice more by the jump.
    for eax in 1..=2 {
        assert_eq!(vm.run(100), Trap::Hook { eip: VirtAddr(add) });
        assert_eq!(vm.reg(Reg::Eax), eax, "the add has not run");
        vm.m.cpu_mut().pass_hook();
    }
    assert!(matches!(vm.run(100), Trap::Breakpoint { .. }));
    assert_eq!(vm.reg(Reg::Eax), 3);
    assert_eq!(vm.peek(add, 3), before, "guest memory is not patched");
}

#[test]
fn a_forbidden_byte_refuses_the_access_before_it_happens() {
    let mut vm = Vm::new();
    let block = DATA + 0x10;
    vm.m.mmu_mut().enable_watch();
    vm.m.mmu_mut().watch_page(DATA >> 12);
    let w = vm.m.mmu_mut().watch_mut().unwrap();
    w.set_forbidden(DATA, DATA + 0x1000, true);
    w.set_forbidden(block, block + 24, false);
    vm.load_asm(&format!(
        "movl $7, {block}
         movl $8, {}
         int3",
        block + 24
    ));
    let bad = CODE + 10;
    let t = vm.run(100);
    assert_eq!(
        t,
        Trap::MemCheck {
            eip: VirtAddr(bad),
            addr: VirtAddr(block + 24),
            len: 4,
            access: Access::Write,
            stack: false,
        }
    );
    assert_eq!(vm.m.cpu().eip().0, bad);
    assert_eq!(vm.peek_u32(block), 7, "the good store ran");
    assert_eq!(vm.peek_u32(block + 24), 0, "the bad one did not");
    // Suspended checks let it through (what `pass_tool_stop` does).
    vm.m.mmu_mut().watch_mut().unwrap().suspended = true;
    assert!(matches!(vm.run(100), Trap::Breakpoint { .. }));
    assert_eq!(vm.peek_u32(block + 24), 8);
}

#[test]
fn the_stack_check_allows_pushes_and_calls_and_refuses_reads_below_esp() {
    let mut vm = Vm::new();
    vm.m.mmu_mut().enable_watch();
    vm.m.mmu_mut()
        .watch_stack((STACK_TOP >> 12) - 4, STACK_TOP >> 12);
    // A call, a frame with a local, leave and ret: all above ESP or pushed.
    // Then the caller reads the callee's local, now below ESP.
    vm.load_asm(
        "call 1f
         mov -12(%esp), %eax
         int3
    1:   push %ebp
         mov %esp, %ebp
         sub $4, %esp
         movl $42, -4(%ebp)
         pushal
         popal
         leave
         ret",
    );
    let read = CODE + 5;
    match vm.run(100) {
        Trap::MemCheck {
            eip, addr, stack, ..
        } => {
            assert_eq!(eip.0, read);
            assert_eq!(addr.0, STACK_TOP - 12);
            assert!(stack);
        }
        t => panic!("expected the read below ESP to be refused, got {t:?}"),
    }
    assert_eq!(vm.peek_u32(STACK_TOP - 12), 42);
    assert_eq!(vm.reg(Reg::Esp), STACK_TOP);
}

#[test]
fn watching_does_not_change_the_modelled_tlb() {
    let run = |watch: bool| {
        let mut vm = Vm::new();
        if watch {
            vm.m.mmu_mut().enable_watch();
            vm.m.mmu_mut().watch_page(DATA >> 12);
        }
        vm.load_asm(&format!(
            "mov $100, %ecx
        1:   addl $1, {DATA}
             mov {}, %eax
             loop 1b
             int3",
            DATA + 0x800
        ));
        assert!(matches!(vm.run(10_000), Trap::Breakpoint { .. }));
        (vm.m.mmu().tlb_stats(), vm.peek_u32(DATA))
    };
    assert_eq!(run(true), run(false));
}
