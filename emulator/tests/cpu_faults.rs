//! Precise, restartable faults and the other traps: after a fault nothing
//! has changed and EIP points at the instruction, so mapping the page and
//! running again completes the program as if nothing had happened.

mod common;
use common::*;
use toyemu_emulator::paging::{PTE_P, PTE_U, PTE_W};
use toyemu_emulator::{PfCode, Reg, Trap, VirtAddr};

const RW: toyemu_emulator::PteFlags = PTE_P.union(PTE_W).union(PTE_U);

fn fault_addr(t: Trap) -> (u32, PfCode, u32) {
    match t {
        Trap::PageFault { addr, code, eip } => (addr.0, code, eip.0),
        t => panic!("expected a page fault, got {t:?}"),
    }
}

#[test]
fn rep_movsd_faults_mid_copy_and_resumes() {
    let mut vm = Vm::new();
    let (src, dst) = (DATA, 0x0807_0000 - 8); // dst straddles into an unmapped page
    vm.map(0x0807_0000 - 4096, RW);
    for i in 0..16u32 {
        vm.poke(src + 4 * i, &(0x1000 + i).to_le_bytes());
    }
    vm.load_asm(&format!(
        "mov ${src}, %esi
         mov ${dst}, %edi
         mov $16, %ecx
         cld
         rep movsl
         int3"
    ));
    let rep_eip = CODE + 16; // after three 5-byte movs and cld
    let (addr, code, eip) = fault_addr(vm.run(1000));
    assert_eq!((addr, eip), (0x0807_0000, rep_eip));
    assert_eq!(code, PfCode::U | PfCode::W);
    // Two dwords copied; the registers describe the 14 left.
    assert_eq!(vm.reg(Reg::Ecx), 14);
    assert_eq!(vm.reg(Reg::Esi), src + 8);
    assert_eq!(vm.reg(Reg::Edi), 0x0807_0000);
    assert_eq!(vm.m.mmu().cr2(), VirtAddr(0x0807_0000));
    vm.map(0x0807_0000, RW);
    assert!(matches!(vm.run(1000), Trap::Breakpoint { .. }));
    for i in 0..16u32 {
        assert_eq!(vm.peek_u32(dst + 4 * i), 0x1000 + i);
    }
    assert_eq!(vm.reg(Reg::Ecx), 0);
}

#[test]
fn push_and_call_on_a_missing_stack_page_change_nothing() {
    let mut vm = Vm::new();
    vm.unmap(STACK_TOP - 4096);
    vm.load_asm(
        "mov $7, %eax
         push %eax
         call 1f
    1:   pushal
         pushl (%esp)
         int3",
    );
    let (addr, code, eip) = fault_addr(vm.run(100));
    assert_eq!((addr, eip), (STACK_TOP - 4, CODE + 5));
    assert_eq!(code, PfCode::U | PfCode::W);
    assert_eq!(vm.reg(Reg::Esp), STACK_TOP);
    let retired = vm.m.retired();
    assert_eq!(retired, 1, "the faulting push is not retired");
    vm.map(STACK_TOP - 4096, RW);
    assert!(matches!(vm.run(100), Trap::Breakpoint { .. }));
    assert_eq!(vm.reg(Reg::Esp), STACK_TOP - 8 - 32 - 4);
    assert_eq!(vm.peek_u32(STACK_TOP - 4), 7);
    assert_eq!(vm.peek_u32(STACK_TOP - 8), CODE + 11); // return address
}

#[test]
fn pushad_faults_before_writing_anything() {
    let mut vm = Vm::new();
    // ESP 16 bytes above a missing page: pushad needs 32.
    let base = STACK_TOP - 2 * 4096;
    vm.unmap(base - 4096);
    vm.load_asm(&format!("mov ${}, %esp\n pushal\n int3", base + 16));
    let (addr, _, _) = fault_addr(vm.run(100));
    assert_eq!(addr, base - 16);
    assert_eq!(vm.peek(base, 16), vec![0; 16], "nothing was stored");
    assert_eq!(vm.reg(Reg::Esp), base + 16);
}

#[test]
fn read_modify_write_to_read_only_page_is_a_protection_fault() {
    let mut vm = Vm::new();
    vm.set_pte(
        DATA,
        toyemu_emulator::Pte::new(toyemu_emulator::Frame(3), PTE_P | PTE_U),
    );
    vm.load_asm(&format!(
        "mov $5, %eax
         cmp $1, %eax
         addl $1, {DATA}
         int3"
    ));
    let flags_before;
    {
        assert!(matches!(vm.run(2), Trap::InstructionLimit));
        flags_before = vm.m.cpu().eflags();
    }
    let (addr, code, eip) = fault_addr(vm.run(100));
    assert_eq!((addr, eip), (DATA, CODE + 8));
    assert_eq!(code, PfCode::P | PfCode::W | PfCode::U);
    assert_eq!(
        vm.m.cpu().eflags(),
        flags_before,
        "flags unchanged by the faulting add"
    );
}

#[test]
fn instruction_fetch_faults_carry_the_i_bit() {
    let mut vm = Vm::new();
    vm.load_asm("mov $0x08100000, %eax\n jmp *%eax");
    let (addr, code, eip) = fault_addr(vm.run(100));
    assert_eq!((addr, eip), (0x0810_0000, 0x0810_0000));
    assert_eq!(code, PfCode::U | PfCode::I);
    assert_eq!(vm.m.retired(), 2);
}

#[test]
fn instruction_straddling_into_a_missing_page() {
    let mut vm = Vm::new();
    let page2 = CODE + 16 * 4096; // not mapped
                                  // mov $0x11223344, %eax (5 bytes) starting 2 bytes before page2, then int3.
    let at = page2 - 2;
    vm.load_asm(&format!("mov ${at}, %ebx\n jmp *%ebx"));
    vm.poke(at, &[0xb8, 0x44]);
    let (addr, code, eip) = fault_addr(vm.run(100));
    assert_eq!((addr, eip), (page2, at));
    assert_eq!(code, PfCode::U | PfCode::I);
    vm.map(page2, RW);
    vm.poke(page2, &[0x33, 0x22, 0x11, 0xcc]);
    assert!(matches!(vm.run(100), Trap::Breakpoint { .. }));
    assert_eq!(vm.reg(Reg::Eax), 0x1122_3344);
    // An instruction ending exactly at the page end does not touch the next page.
    let mut vm = Vm::new();
    let at = page2 - 5;
    vm.load_asm(&format!("mov ${at}, %ebx\n jmp *%ebx"));
    vm.poke(at, &[0xb8, 0x44, 0x33, 0x22, 0x11]);
    let (addr, _, eip) = fault_addr(vm.run(100));
    assert_eq!((addr, eip), (page2, page2));
    assert_eq!(vm.reg(Reg::Eax), 0x1122_3344);
}

#[test]
fn divide_errors_change_nothing() {
    for src in [
        "mov $5, %eax\n xor %edx, %edx\n xor %ecx, %ecx\n div %ecx",
        "mov $0x80000000, %eax\n cltd\n mov $-1, %ecx\n idiv %ecx",
        "mov $0x1000, %eax\n mov $0x10, %cl\n div %cl",
        "mov $5, %edx\n mov $0, %eax\n mov $5, %ecx\n div %ecx",
    ] {
        let mut vm = Vm::new();
        vm.load_asm(src);
        let n = src.lines().count() as u64;
        assert_eq!(vm.run(n - 1), Trap::InstructionLimit);
        let before = vm.m.cpu().registers();
        let t = vm.run(100);
        assert!(
            matches!(t, Trap::DivideError { eip } if eip.0 == before.eip),
            "{src}: {t:?}"
        );
        assert_eq!(vm.m.cpu().registers(), before, "{src}");
    }
}

#[test]
fn invalid_opcodes_report_address_and_bytes() {
    for (src, bytes) in [
        ("ud2", &[0x0f, 0x0b][..]),
        ("emms", &[0x0f, 0x77]),                         // MMX
        ("fisttpl (%eax)", &[0xdb, 0x08]),               // SSE3's x87 store
        ("movd %eax, %xmm0", &[0x66, 0x0f, 0x6e, 0xc0]), // SSE2
        ("bound %eax, (%ecx)", &[0x62, 0x01]),
    ] {
        let mut vm = Vm::new();
        vm.load_asm(&format!("nop\n {src}"));
        match vm.run(100) {
            Trap::InvalidOpcode { eip, bytes: b, len } => {
                assert_eq!(eip.0, CODE + 1, "{src}");
                assert_eq!(&b[..len as usize], bytes, "{src}");
            }
            t => panic!("{src}: {t:?}"),
        }
        assert_eq!(vm.m.cpu().eip().0, CODE + 1);
        assert_eq!(vm.m.retired(), 1);
        let (b, text) = toyemu_emulator::disasm::at(vm.m.mmu(), VirtAddr(CODE + 1)).unwrap();
        assert_eq!(b, bytes);
        assert!(!text.is_empty());
    }
}

#[test]
fn privileged_instructions_and_int_n_are_general_protection() {
    for src in [
        "hlt",
        "cli",
        "sti",
        "in $0x60, %al",
        "out %al, $0x80",
        "int $0x81",
        "mov %cr3, %eax",
        "invlpg (%eax)",
    ] {
        let mut vm = Vm::new();
        vm.load_asm(&format!("nop\n {src}"));
        assert_eq!(
            vm.run(100),
            Trap::GeneralProtection {
                eip: VirtAddr(CODE + 1)
            },
            "{src}"
        );
        assert_eq!(vm.m.cpu().eip().0, CODE + 1);
    }
}

#[test]
fn syscall_and_breakpoint_leave_eip_after_and_retire() {
    let mut vm = Vm::new();
    vm.load_asm("int $0x80\n int3\n nop");
    assert_eq!(vm.run(100), Trap::Syscall);
    assert_eq!((vm.m.cpu().eip().0, vm.m.retired()), (CODE + 2, 1));
    assert_eq!(
        vm.run(100),
        Trap::Breakpoint {
            eip: VirtAddr(CODE + 2)
        }
    );
    assert_eq!((vm.m.cpu().eip().0, vm.m.retired()), (CODE + 3, 2));
}

#[test]
fn budget_counts_instructions_exactly() {
    let mut vm = Vm::new();
    vm.load_asm("1: inc %eax\n jmp 1b");
    assert_eq!(vm.run(0), Trap::InstructionLimit);
    assert_eq!(vm.m.retired(), 0);
    for _ in 0..10 {
        assert_eq!(vm.run(7), Trap::InstructionLimit);
    }
    assert_eq!(vm.m.retired(), 70);
    assert_eq!(vm.reg(Reg::Eax), 35);
    assert_eq!(
        vm.m.traps()
            .get(toyemu_emulator::TrapKind::InstructionLimit),
        11
    );
}

/// Blocks run whole on the fast path and are charged at their end, or at a
/// jcc taken out of them; a block that loops on itself runs again at once.
/// Stopped by every budget, a run must be where single steps are: same
/// EIP, registers and retired count. The loop has side exits taken and not
/// taken, fused compares, a store, and a call.
#[test]
fn blocks_and_single_steps_agree_at_every_budget() {
    let src = "
        mov $0, %eax
        mov $200, %ecx
     1: mov %ecx, %edx
        and $3, %edx
        cmp $1, %edx
        je 2f
        add %ecx, %eax
        mov %eax, 0x08050010
        test $4, %ecx
        jne 3f
        inc %eax
     2: dec %ecx
        jne 1b
     4: inc %ebx
        jmp 4b
     3: call 5f
        jmp 2b
     5: xor $0x55, %eax
        ret";
    let state = |vm: &Vm| {
        let c = vm.m.cpu();
        (vm.m.retired(), c.eip().0, c.registers().gpr, c.eflags())
    };
    let mut step = Vm::new();
    step.load_asm(src);
    let mut trail = vec![state(&step)];
    for _ in 0..3000 {
        assert_eq!(step.run(1), Trap::InstructionLimit);
        trail.push(state(&step));
    }
    for budget in [2, 3, 5, 7, 11, 64, 1000] {
        let mut vm = Vm::new();
        vm.load_asm(src);
        while vm.m.retired() + budget <= 3000 {
            assert_eq!(vm.run(budget), Trap::InstructionLimit);
            let now = state(&vm);
            assert_eq!(now, trail[now.0 as usize], "budget {budget}");
        }
    }
}

#[test]
fn long_rep_pauses_for_the_budget_and_finishes() {
    let mut vm = Vm::new();
    for i in 0..64 {
        vm.map(0x0810_0000 + i * 4096, RW);
    }
    vm.load_asm("mov $0x08100000, %edi\n mov $0x40000, %ecx\n mov $0xab, %al\n rep stosb\n int3");
    let mut traps = 0;
    loop {
        match vm.run(2) {
            Trap::InstructionLimit => traps += 1,
            Trap::Breakpoint { .. } => break,
            t => panic!("{t:?}"),
        }
    }
    assert!(traps >= 2, "a 256 KiB rep stosb should pause at least once");
    assert_eq!(vm.m.retired(), 5);
    assert_eq!(vm.peek(0x0813_fff0, 16), vec![0xab; 16]);
    assert_eq!(vm.reg(Reg::Ecx), 0);
}

#[test]
fn self_modifying_code_runs_the_new_bytes() {
    let mut vm = Vm::new();
    // Patch the immediate of the `mov $1, %eax` that follows the store (in
    // the same decoded block), run it; then patch it again after it ran and
    // jump back to it.
    vm.load_asm(
        "   xor %ecx, %ecx
            movl $2, 1f+1
        1:  mov $1, %eax
            add %eax, %ecx
            movl $5, 1b+1
            cmp $5, %eax
            jne 1b
            int3",
    );
    let t = vm.run(1000);
    assert!(matches!(t, Trap::Breakpoint { .. }), "{t:?}");
    assert_eq!(vm.reg(Reg::Eax), 5);
    assert_eq!(vm.reg(Reg::Ecx), 2 + 5, "both patched immediates ran");
    // Second pass: the kernel rewrites code between runs.
    let mut vm = Vm::new();
    vm.load_asm("1: mov $1, %eax\n int3\n jmp 1b");
    assert!(matches!(vm.run(100), Trap::Breakpoint { .. }));
    vm.poke(CODE + 1, &[9]);
    vm.m.cpu_mut().set_eip(VirtAddr(CODE));
    assert!(matches!(vm.run(100), Trap::Breakpoint { .. }));
    assert_eq!(vm.reg(Reg::Eax), 9);
}

#[test]
fn remapped_code_page_runs_the_new_frame() {
    let mut vm = Vm::new();
    vm.load_asm("mov $1, %eax\n int3");
    assert!(matches!(vm.run(100), Trap::Breakpoint { .. }));
    let f = vm.map(CODE, RW); // new frame, invlpg
    let code = asm("mov $2, %eax\n int3");
    for (i, b) in code.iter().enumerate() {
        vm.m.mmu_mut()
            .phys_mut()
            .write_u8(toyemu_emulator::PhysAddr(f.base().0 + i as u32), *b);
    }
    vm.m.cpu_mut().set_eip(VirtAddr(CODE));
    assert!(matches!(vm.run(100), Trap::Breakpoint { .. }));
    assert_eq!(vm.reg(Reg::Eax), 2);
    // Unmapped after a CR3 reload: the fetch faults.
    vm.unmap(CODE);
    let cr3 = vm.m.mmu().cr3();
    vm.m.mmu_mut().load_cr3(cr3);
    vm.m.cpu_mut().set_eip(VirtAddr(CODE));
    let (addr, code, _) = fault_addr(vm.run(100));
    assert_eq!((addr, code), (CODE, PfCode::U | PfCode::I));
}
