//! Instruction semantics the oracle programs do not reach: strings with
//! prefixes and direction, stack corner cases, atomics, bit strings,
//! segment overrides, cpuid/rdtsc, and the encodings gcc likes (nops).

mod common;
use common::*;
use toyemu_emulator::{Reg, Trap};

/// Assemble `src` + int3, run to the breakpoint, return the machine.
fn run(src: &str) -> Vm {
    let mut vm = Vm::new();
    vm.load_asm(&format!("{src}\n int3"));
    let t = vm.run(1_000_000);
    assert!(
        matches!(t, Trap::Breakpoint { .. }),
        "{t:?} at {:#x}",
        vm.m.cpu().eip().0
    );
    vm
}

#[test]
fn string_compare_and_scan() {
    let mut vm = Vm::new();
    vm.poke(DATA, b"hello world\0hello there\0");
    vm.load_asm(&format!(
        "cld
         mov ${DATA}, %edi
         mov $-1, %ecx
         xor %eax, %eax
         repne scasb
         not %ecx
         dec %ecx
         mov %ecx, %ebx          # strlen = 11
         mov ${DATA}, %esi
         mov ${}, %edi
         mov $12, %ecx
         repe cmpsb              # stops after 'w' vs 't'
         mov %ecx, %edx
         setb %al
         int3",
        DATA + 12
    ));
    assert!(matches!(vm.run(1000), Trap::Breakpoint { .. }));
    assert_eq!(vm.reg(Reg::Ebx), 11);
    assert_eq!(vm.reg(Reg::Edx), 5, "12 - 7 compared");
    assert_eq!(vm.reg(Reg::Esi), DATA + 7);
    assert_eq!(vm.reg(Reg::Eax) & 0xff, 0, "'w' > 't': no borrow");
}

#[test]
fn strings_backwards_and_lods() {
    let mut vm = Vm::new();
    vm.poke(DATA, &[1, 0, 2, 0, 3, 0, 4, 0]);
    vm.load_asm(&format!(
        "std
         mov ${}, %esi
         mov ${}, %edi
         mov $4, %ecx
         rep movsw
         cld
         mov ${DATA}, %esi
         lodsl
         mov %eax, %ebx
         lodsw
         int3",
        DATA + 6,
        DATA + 0x106
    ));
    assert!(matches!(vm.run(1000), Trap::Breakpoint { .. }));
    assert_eq!(vm.peek(DATA + 0x100, 8), vec![1, 0, 2, 0, 3, 0, 4, 0]);
    assert_eq!(vm.reg(Reg::Edi), DATA + 0xfe);
    assert_eq!(vm.reg(Reg::Ebx), 0x0002_0001);
    assert_eq!(vm.reg(Reg::Eax), 0x0002_0003);
    assert_eq!(vm.reg(Reg::Esi), DATA + 6);
    assert_eq!(vm.m.cpu().eflags() & 0x400, 0, "DF cleared");
}

#[test]
fn stack_corner_cases() {
    let vm = run(&format!(
        "sub $64, %esp
         push %esp               # pushes the old ESP
         pop %eax
         pushl $0x1234
         popl {DATA}             # pop to memory
         push $5
         pop 4(%esp)             # address uses the incremented ESP
         mov 4(%esp), %ecx
         pushw $0x77
         popw %bx
         call 1f
         jmp 2f
    1:   ret $8                  # pops the return address and 8 bytes
    2:   mov %esp, %edx
         enter $16, $0
         mov %esp, %esi
         leave
         mov %esp, %edi"
    ));
    let top = STACK_TOP - 64;
    assert_eq!(vm.reg(Reg::Eax), top);
    assert_eq!(vm.reg(Reg::Ebx) & 0xffff, 0x77);
    assert_eq!(vm.reg(Reg::Edx), top + 8);
    assert_eq!(vm.reg(Reg::Esi), top + 8 - 4 - 16);
    assert_eq!(vm.reg(Reg::Edi), top + 8);
    let mut vm = vm;
    assert_eq!(vm.peek_u32(DATA), 0x1234);
    assert_eq!(vm.reg(Reg::Ecx), 5, "pop 4(%esp) used the incremented ESP");
}

#[test]
fn pushad_popad_pushf_popf() {
    let vm = run("mov $1, %eax; mov $2, %ecx; mov $3, %edx; mov $4, %ebx
         mov $6, %esi; mov $7, %edi; mov $5, %ebp
         pushal
         xor %eax, %eax; xor %ecx, %ecx; xor %ebp, %ebp
         popal
         pushl $0x00000cd5      # all status flags + DF, and try IF off
         popfl
         pushfl
         popl %ebx
         cld");
    let r = vm.m.cpu().registers();
    assert_eq!(
        r.gpr,
        [1, 2, 3, 0x202 | 0xcd5 & !0x200 | 0x200, STACK_TOP, 5, 6, 7]
    );
}

#[test]
fn atomics() {
    let mut vm = Vm::new();
    vm.poke(DATA, &[1, 0, 0, 0, 2, 0, 0, 0]);
    vm.load_asm(&format!(
        "mov $1, %eax
         mov $9, %ecx
         lock cmpxchg %ecx, {DATA}       # equal: store 9
         setz %bl
         lock cmpxchg %ecx, {DATA}       # 1 != 9: EAX = 9
         setz %bh
         mov %eax, %esi
         mov $9, %eax; mov $2, %edx
         mov $0xaa, %ebx; mov $0xbb, %ecx
         lock cmpxchg8b {DATA}           # equal: store ECX:EBX
         mov $5, %edi
         lock xadd %edi, {}              # mem 0x20 -> 0x25, EDI = 0x20
         xchg %edi, {}
         int3",
        DATA + 8,
        DATA + 12
    ));
    vm.poke(DATA + 8, &[0x20, 0, 0, 0, 0x30, 0, 0, 0]);
    assert!(matches!(vm.run(1000), Trap::Breakpoint { .. }));
    assert_eq!(vm.reg(Reg::Esi), 9);
    assert_eq!(vm.peek_u32(DATA), 0xaa);
    assert_eq!(vm.peek_u32(DATA + 4), 0xbb);
    assert_eq!(vm.peek_u32(DATA + 8), 0x25);
    assert_eq!(vm.peek_u32(DATA + 12), 0x20);
    assert_eq!(vm.reg(Reg::Edi), 0x30);
}

#[test]
fn bit_strings_reach_beyond_the_operand() {
    let mut vm = Vm::new();
    vm.load_asm(&format!(
        "mov $100, %eax
         bts %eax, {}            # bit 100 of the string at DATA+16: byte 12, bit 4
         mov $-1, %ecx
         bts %ecx, {}            # bit -1: the top bit of the dword below
         btl $3, {}
         setc %dl
         mov $0x80000000, %ebx
         bsr %ebx, %esi
         mov $0x77, %edi
         xor %eax, %eax
         bsf %eax, %edi          # zero source: EDI unchanged, ZF set
         setz %dh
         int3",
        DATA + 16,
        DATA + 16,
        DATA + 28
    ));
    assert!(matches!(vm.run(1000), Trap::Breakpoint { .. }));
    assert_eq!(vm.peek_u32(DATA + 28), 0x10);
    assert_eq!(vm.peek_u32(DATA + 12), 0x8000_0000);
    assert_eq!(vm.reg(Reg::Edx) & 0xffff, 0x0100, "bit 3 clear; ZF set");
    assert_eq!(vm.reg(Reg::Esi), 31);
    assert_eq!(vm.reg(Reg::Edi), 0x77);
}

#[test]
fn segment_overrides_and_selectors() {
    let mut vm = Vm::new();
    vm.m.cpu_mut().set_gs_base(DATA);
    vm.m.cpu_mut().set_fs_base(DATA + 0x100);
    vm.poke(DATA + 4, &0x1122_3344u32.to_le_bytes());
    vm.poke(DATA + 0x108, &0x5566_7788u32.to_le_bytes());
    vm.load_asm(
        "mov %gs:4, %eax
         mov $8, %ecx
         mov %fs:(%ecx), %ebx
         lea %fs:4(%ecx), %edx     # lea ignores the segment
         movl $9, %gs:0
         mov %ds, %si
         mov %si, %es
         int3",
    );
    assert!(matches!(vm.run(1000), Trap::Breakpoint { .. }));
    assert_eq!(vm.reg(Reg::Eax), 0x1122_3344);
    assert_eq!(vm.reg(Reg::Ebx), 0x5566_7788);
    assert_eq!(vm.reg(Reg::Edx), 12);
    assert_eq!(vm.peek_u32(DATA), 9);
    assert_eq!(vm.reg(Reg::Esi) & 0xffff, 0x7b);
}

#[test]
fn conversions_loops_and_small_things() {
    let vm = run("mov $0x80, %eax
         cbtw                     # AX = 0xff80
         cwtl                     # EAX = 0xffffff80
         cltd                     # EDX = -1
         mov $0x1234, %ebx
         bswap %ebx
         mov $3, %ecx
         xor %esi, %esi
     1:  inc %esi
         loop 1b
         jecxz 2f
         mov $99, %esi
     2:  mov $10, %ecx
         mov $0, %edi
     3:  inc %edi
         cmp $4, %edi
         loopne 3b               # stops when EDI == 4
         nopw 0(%eax,%eax,1)
         nopl 0x12345678(%eax)
         endbr32
         movsbl %al, %ebp");
    let r = vm.m.cpu().registers().gpr;
    assert_eq!(r[0], 0xffff_ff80);
    assert_eq!(r[2], 0xffff_ffff);
    assert_eq!(r[3], 0x3412_0000);
    assert_eq!(r[6], 3);
    assert_eq!(r[7], 4);
    assert_eq!(r[1], 6);
    assert_eq!(r[5], 0xffff_ff80);
}

#[test]
fn cmov_reads_memory_even_when_false() {
    let mut vm = Vm::new();
    vm.load_asm("xor %eax, %eax\n cmp $1, %eax\n cmove 0x08200000, %ebx\n int3");
    match vm.run(100) {
        Trap::PageFault { addr, .. } => assert_eq!(addr.0, 0x0820_0000),
        t => panic!("{t:?}"),
    }
}

#[test]
fn cpuid_is_a_plain_i686_and_rdtsc_counts_instructions() {
    let vm = run("xor %eax, %eax\n cpuid\n mov %ebx, %esi\n mov $1, %eax\n cpuid\n mov %edx, %edi\n nop\n rdtsc");
    let r = vm.m.cpu().registers().gpr;
    assert_eq!(r[6], u32::from_le_bytes(*b"Genu"));
    assert_eq!(r[7] & (1 << 15), 1 << 15, "CMOV");
    assert_eq!(r[7] & (1 << 25 | 1 << 23), 0, "no SSE or MMX");
    assert_eq!(
        r[7] & (1 | 1 << 4 | 1 << 8),
        1 | 1 << 4 | 1 << 8,
        "FPU, TSC, CX8"
    );
    assert_eq!(r[0], 7, "rdtsc = instructions retired before it");
}

#[test]
fn sixteen_and_eight_bit_registers() {
    let vm = run("mov $0x12345678, %eax
         mov $0xaabbccdd, %ebx
         mov %bh, %al             # AL = 0xcc
         mov %bl, %ah             # AH = 0xdd
         addw $0x10, %ax
         xchg %bh, %bl
         movzwl %ax, %ecx
         movsbw %bl, %dx
         incb %dh");
    let r = vm.m.cpu().registers().gpr;
    assert_eq!(r[0], 0x1234_ddcc + 0x10);
    assert_eq!(r[3], 0xaabb_ddcc);
    assert_eq!(r[1], 0xddcc + 0x10);
    // movsbw 0xcc = 0xffcc, then DH 0xff + 1 = 0.
    assert_eq!(r[2] & 0xffff, 0x00cc);
}

#[test]
fn rep_movs_and_stos_across_pages_and_overlapping() {
    let mut vm = Vm::new();
    vm.poke(DATA, b"ab");
    let src: Vec<u8> = (0..8000u32).map(|i| (i * 7 + i / 256) as u8).collect();
    vm.poke(DATA + 0x10, &src);
    vm.load_asm(&format!(
        "cld
         mov ${DATA}, %esi
         mov ${}, %edi
         mov $5000, %ecx
         rep movsb                # overlapping forward copy replicates 'a'
         mov ${}, %edi
         mov $0x1234, %eax
         mov $3000, %ecx
         rep stosw                # misaligned, across two page boundaries
         mov ${}, %esi
         mov ${}, %edi
         mov $2000, %ecx
         rep movsl                # unaligned destination across pages
         int3",
        DATA + 1,
        DATA + 0x2ffe,
        DATA + 0x10,
        DATA + 0x5003
    ));
    // The stos overwrites part of the source: copy it first in the model.
    assert!(matches!(vm.run(1000), Trap::Breakpoint { .. }));
    assert_eq!(vm.peek(DATA, 5001), vec![b'a'; 5001]);
    let words = vm.peek(DATA + 0x2ffe, 6000);
    assert!(words.chunks(2).all(|w| w == [0x34, 0x12]));
    // Source bytes as they were when the movsl ran (after the other two).
    let mut expect = src.clone();
    for (i, b) in expect.iter_mut().enumerate() {
        let a = DATA + 0x10 + i as u32;
        if a < DATA + 5001 {
            *b = b'a';
        } else if (DATA + 0x2ffe..DATA + 0x2ffe + 6000).contains(&a) {
            *b = if a & 1 == 0 { 0x34 } else { 0x12 };
        }
    }
    assert_eq!(vm.peek(DATA + 0x5003, 8000), expect);
    assert_eq!(vm.reg(Reg::Ecx), 0);
    assert_eq!(vm.reg(Reg::Edi), DATA + 0x5003 + 8000);
}

#[test]
fn nested_enter_xlat_and_string_segment_override() {
    let mut vm = Vm::new();
    let (b, s) = (STACK_TOP - 0x100, STACK_TOP - 0x200);
    vm.poke(b - 4, &0x1111_1111u32.to_le_bytes());
    let table: Vec<u8> = (0..=255u8).map(|i| i ^ 0x5a).collect();
    vm.poke(DATA + 0x400, &table);
    vm.poke(DATA + 0x800, b"fs!");
    vm.m.cpu_mut().set_fs_base(DATA + 0x800);
    vm.load_asm(&format!(
        "mov ${b}, %ebp
         mov ${s}, %esp
         enter $8, $2
         mov %ebp, %esi
         mov %esp, %edi
         mov ${}, %ebx
         mov $0x31, %al
         xlat
         mov %eax, %edx
         mov $0, %esi
         mov ${}, %edi
         mov $3, %ecx
         rep movsb %fs:(%esi), %es:(%edi)
         int3",
        DATA + 0x400,
        DATA + 0x900
    ));
    let esi_after_enter;
    {
        let t = vm.run(5);
        assert_eq!(t, Trap::InstructionLimit);
        esi_after_enter = vm.reg(Reg::Esi);
    }
    let t = vm.run(100);
    assert!(matches!(t, Trap::Breakpoint { .. }), "{t:?}");
    assert_eq!(esi_after_enter, s - 4, "EBP = the new frame");
    assert_eq!(vm.peek_u32(s - 4), b, "old EBP");
    assert_eq!(
        vm.peek_u32(s - 8),
        0x1111_1111,
        "copied outer frame pointer"
    );
    assert_eq!(vm.peek_u32(s - 12), s - 4, "this frame's pointer");
    assert_eq!(vm.reg(Reg::Edx) & 0xff, 0x31 ^ 0x5a);
    assert_eq!(vm.peek(DATA + 0x900, 3), b"fs!");
}

/// `cmpb $imm, m8` then a jcc, over every byte in memory: the pair runs
/// fused on the fast path (CmpJcc8MI) once the loop's block is decoded, so
/// nearly every iteration decides the branch from the bytes, not the flags.
/// The counts of branches not taken must be what the byte compare's flags
/// say, for every condition.
#[test]
fn byte_compare_and_branch_over_every_byte() {
    let bytes: Vec<u8> = (0..=255).collect();
    for imm in [0x00u8, 0x01, 0x10, 0x7f, 0x80, 0x81, 0xf0, 0xff] {
        for (cc, name) in [
            "o", "no", "b", "ae", "e", "ne", "be", "a", "s", "ns", "p", "np", "l", "ge", "le", "g",
        ]
        .iter()
        .enumerate()
        {
            let mut vm = Vm::new();
            vm.poke(DATA, &bytes);
            vm.load_asm(&format!(
                "mov ${DATA}, %esi
                 xor %ebx, %ebx
                 mov $256, %ecx
              1: cmpb ${imm}, (%esi)
                 j{name} 2f
                 inc %ebx
              2: inc %esi
                 dec %ecx
                 jnz 1b
                 int3"
            ));
            let t = vm.run(10_000);
            assert!(matches!(t, Trap::Breakpoint { .. }), "{t:?}");
            let holds = |v: u8| {
                let r = v.wrapping_sub(imm);
                let (cf, zf, sf) = (v < imm, r == 0, r & 0x80 != 0);
                let of = (v ^ imm) & (v ^ r) & 0x80 != 0;
                let pf = r.count_ones() % 2 == 0;
                let c = match cc >> 1 {
                    0 => of,
                    1 => cf,
                    2 => zf,
                    3 => cf || zf,
                    4 => sf,
                    5 => pf,
                    6 => sf != of,
                    _ => zf || sf != of,
                };
                c != (cc & 1 == 1)
            };
            let not_taken = bytes.iter().filter(|&&v| !holds(v)).count() as u32;
            assert_eq!(vm.reg(Reg::Ebx), not_taken, "cmpb ${imm:#x} then j{name}");
        }
    }
}

/// The specialised stores: a byte register (high byte included), a byte
/// immediate, a dword immediate; and a dword compare with an immediate.
#[test]
fn byte_and_immediate_stores() {
    let mut vm = run(&format!(
        "mov $0x1234abcd, %eax
         movb %ah, {d0}
         movb %al, {d1}
         movb $0x5a, {d2}
         movl $0xdeadbeef, {d4}
         cmpl $0xdeadbeef, {d4}
         sete %bl
         cmpl $0xdeadbef0, {d4}
         setb %bh
         cmpb $0x5a, {d2}
         setne %cl",
        d0 = DATA,
        d1 = DATA + 1,
        d2 = DATA + 2,
        d4 = DATA + 4,
    ));
    assert_eq!(vm.peek(DATA, 3), vec![0xab, 0xcd, 0x5a]);
    assert_eq!(vm.peek_u32(DATA + 4), 0xdead_beef);
    assert_eq!(vm.reg(Reg::Ebx) & 0xffff, 0x0101, "equal, then below");
    assert_eq!(vm.reg(Reg::Ecx) & 0xff, 0, "the byte stored is 0x5a");
}

/// A loop over an array through operands with no index register (which
/// the fast path runs in forms of their own) and the same loop through an
/// index: both leave what the loop computes, pass after pass.
#[test]
fn operands_with_and_without_an_index_agree() {
    let words: Vec<u8> = (0..64u32)
        .flat_map(|i| (i * 0x0101_0101 + 7).to_le_bytes())
        .collect();
    let bodies = [
        // base + displacement only
        "1: mov 4(%esi), %eax
            movzbl 1(%esi), %ebx
            add %eax, %edx
            add %ebx, %edx
            mov %edx, 0(%esi)
            movb $0x5a, 2(%esi)
            cmpb $0x5a, 2(%esi)
            jne 2f
            lea 8(%esi), %esi
            dec %ecx
            jnz 1b
         2:",
        // the same through an index register (scale 1)
        "   xor %edi, %edi
         1: mov 4(%esi,%edi), %eax
            movzbl 1(%esi,%edi), %ebx
            add %eax, %edx
            add %ebx, %edx
            mov %edx, 0(%esi,%edi)
            movb $0x5a, 2(%esi,%edi)
            cmpb $0x5a, 2(%esi,%edi)
            jne 2f
            lea 8(%edi), %edi
            dec %ecx
            jnz 1b
            add %edi, %esi
         2:",
    ];
    let mut seen = Vec::new();
    for body in bodies {
        let mut vm = Vm::new();
        vm.poke(DATA, &words);
        vm.load_asm(&format!(
            "mov ${DATA}, %esi
             mov $32, %ecx
             xor %edx, %edx
             {body}
             int3"
        ));
        let t = vm.run(100_000);
        assert!(matches!(t, Trap::Breakpoint { .. }), "{t:?}");
        seen.push((
            vm.reg(Reg::Edx),
            vm.reg(Reg::Esi),
            vm.reg(Reg::Ecx),
            vm.peek(DATA, 256),
        ));
    }
    // What the loop computes, in Rust.
    let mut mem = words.clone();
    let mut edx = 0u32;
    for pass in 0..32usize {
        let at = pass * 8;
        let eax = u32::from_le_bytes(mem[at + 4..at + 8].try_into().unwrap());
        edx = edx.wrapping_add(eax).wrapping_add(mem[at + 1] as u32);
        mem[at..at + 4].copy_from_slice(&edx.to_le_bytes());
        mem[at + 2] = 0x5a;
    }
    let expected = (edx, DATA + 256, 0, mem);
    assert_eq!(seen[0], expected, "base + displacement");
    assert_eq!(seen[1], expected, "base + index + displacement");
}
