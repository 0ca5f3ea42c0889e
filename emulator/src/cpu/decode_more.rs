//! The second half of the translation from iced-x86 to [`Op`]: control
//! flow, the stack, bit operations, atomics, string and system instructions.

use super::decode::{binary, cc, mem, opnd, rel, seg_index, unary, Opnd};
use super::op::{Kind, Op};
use iced_x86::{Code, Instruction, Mnemonic, OpKind};

pub(super) fn translate_rest(i: &Instruction) -> Option<Op> {
    use Mnemonic as M;
    let len = i.len() as u8;
    let simple = |k: Kind| Some(Op::new(k, len));
    let mn = i.mnemonic();
    if i.is_jcc_short_or_near() {
        let mut op = Op::new(Kind::Jcc, len);
        op.sub = cc(i)?;
        op.imm = rel(i)?;
        return Some(op);
    }
    if is_setcc(mn) {
        let mut op = unary(i, Kind::SetccR, Kind::SetccM, cc(i)?)?;
        op.size = 1;
        return Some(op);
    }
    if is_cmovcc(mn) {
        return binary(
            i,
            [Some(Kind::CmovRR), Some(Kind::CmovRM), None, None, None],
            cc(i)?,
        );
    }
    match mn {
        M::Jmp => branch(i, Kind::Jmp, Kind::JmpR, Kind::JmpM),
        M::Call => branch(i, Kind::Call, Kind::CallR, Kind::CallM),
        M::Ret if i.code() == Code::Retnd || i.code() == Code::Retnd_imm16 => {
            let mut op = Op::new(Kind::Ret, len);
            if i.op_count() == 1 {
                op.imm = i.immediate16() as u32;
            }
            Some(op)
        }
        M::Jecxz | M::Jcxz => {
            let mut op = Op::new(Kind::Jecxz, len);
            op.size = if mn == M::Jecxz { 4 } else { 2 };
            op.imm = rel(i)?;
            Some(op)
        }
        M::Loop | M::Loope | M::Loopne => {
            if !matches!(
                i.code(),
                Code::Loop_rel8_32_ECX | Code::Loope_rel8_32_ECX | Code::Loopne_rel8_32_ECX
            ) {
                return None; // CX-counted (0x67) loops are not implemented
            }
            let mut op = Op::new(Kind::Loop, len);
            op.sub = match mn {
                M::Loop => 0,
                M::Loope => 1,
                _ => 2,
            };
            op.imm = rel(i)?;
            Some(op)
        }
        M::Push | M::Pop => push_pop(i),
        M::Pushad => simple(Kind::Pushad),
        M::Popad => simple(Kind::Popad),
        M::Pushfd => simple(Kind::Pushf),
        M::Popfd => simple(Kind::Popf),
        M::Leave if i.code() == Code::Leaved => simple(Kind::Leave),
        M::Enter if i.code() == Code::Enterd_imm16_imm8 => {
            let mut op = Op::new(Kind::Enter, len);
            op.imm = i.immediate16() as u32;
            op.sub = i.immediate8_2nd() & 0x1f;
            Some(op)
        }
        M::Bt | M::Bts | M::Btr | M::Btc => {
            let sub = match mn {
                M::Bt => 0,
                M::Bts => 1,
                M::Btr => 2,
                _ => 3,
            };
            let mut op = unary(i, Kind::BtR, Kind::BtM, sub)?;
            match opnd(i, 1)? {
                Opnd::R(r, _) => op.r2 = r,
                Opnd::I(v) => op.imm = v & 0xff,
                Opnd::M(..) => return None,
            }
            Some(op)
        }
        // Without BMI1/LZCNT (not in our cpuid) these encodings run as
        // bsf/bsr, as on the processors we model.
        M::Bsf | M::Tzcnt => binary(i, [Some(Kind::BsfR), Some(Kind::BsfM), None, None, None], 0),
        M::Bsr | M::Lzcnt => binary(i, [Some(Kind::BsrR), Some(Kind::BsrM), None, None, None], 0),
        M::Bswap => match opnd(i, 0)? {
            Opnd::R(r, 4) => {
                let mut op = Op::new(Kind::Bswap, len);
                op.r1 = r;
                Some(op)
            }
            _ => None,
        },
        M::Cmpxchg => {
            binary(i, [None, None, Some(Kind::CmpxchgM), None, None], 0).or_else(|| cmpxchg_reg(i))
        }
        M::Cmpxchg8b => {
            let mut op = Op::new(Kind::Cmpxchg8b, len);
            op.m = mem(i)?;
            Some(op)
        }
        M::Xadd => binary(
            i,
            [Some(Kind::XaddR), None, Some(Kind::XaddM), None, None],
            0,
        )
        .map(|mut op| {
            if op.kind == Kind::XaddR {
                // r1 = source, r2 = destination, like the memory form.
                (op.r1, op.r2) = (op.r2, op.r1);
            }
            op
        }),
        M::Nop | M::Pause | M::Endbr32 => simple(Kind::Nop),
        M::Int => {
            let mut op = Op::new(Kind::Int, len);
            op.imm = i.immediate8() as u32;
            Some(op)
        }
        M::Int3 => simple(Kind::Int3),
        M::Int1 | M::Iretd | M::Iret => simple(Kind::Priv),
        M::Cpuid => simple(Kind::Cpuid),
        M::Rdtsc => simple(Kind::Rdtsc),
        _ => string(i),
    }
}

/// cmpxchg r/m, r with a register destination: r1 = source, r2 = destination.
fn cmpxchg_reg(i: &Instruction) -> Option<Op> {
    match (opnd(i, 0)?, opnd(i, 1)?) {
        (Opnd::R(d, s), Opnd::R(src, _)) => {
            let mut op = Op::new(Kind::CmpxchgR, i.len() as u8);
            (op.r1, op.r2, op.size) = (src, d, s);
            Some(op)
        }
        _ => None,
    }
}

/// Near jmp/call: relative, through a register, or through memory. Far
/// transfers and 16-bit targets are not implemented.
fn branch(i: &Instruction, rel_k: Kind, reg_k: Kind, mem_k: Kind) -> Option<Op> {
    let mut op = Op::new(rel_k, i.len() as u8);
    match i.op_kind(0) {
        OpKind::NearBranch32 => op.imm = rel(i)?,
        _ => match opnd(i, 0)? {
            Opnd::R(r, 4) => (op.kind, op.r1) = (reg_k, r),
            Opnd::M(m, 4) => (op.kind, op.m) = (mem_k, m),
            _ => return None,
        },
    }
    Some(op)
}

/// push/pop of a register, memory or (push) an immediate; the operand size
/// is what the stack pointer moves by.
fn push_pop(i: &Instruction) -> Option<Op> {
    let size = i.stack_pointer_increment().unsigned_abs() as u8;
    if size != 2 && size != 4 {
        return None;
    }
    let push = i.mnemonic() == Mnemonic::Push;
    let mut op = Op::new(Kind::Nop, i.len() as u8);
    op.size = size;
    match opnd(i, 0)? {
        Opnd::R(r, _) => (op.kind, op.r1) = (if push { Kind::PushR } else { Kind::PopR }, r),
        Opnd::M(m, _) => (op.kind, op.m) = (if push { Kind::PushM } else { Kind::PopM }, m),
        Opnd::I(v) if push => (op.kind, op.imm) = (Kind::PushI, v),
        Opnd::I(_) => return None,
    }
    Some(op)
}

/// movs stos lods cmps scas with 32-bit addressing (ESI/EDI).
fn string(i: &Instruction) -> Option<Op> {
    use Code as C;
    let (kind, size) = match i.code() {
        C::Movsb_m8_m8 => (Kind::Movs, 1),
        C::Movsw_m16_m16 => (Kind::Movs, 2),
        C::Movsd_m32_m32 => (Kind::Movs, 4),
        C::Stosb_m8_AL => (Kind::Stos, 1),
        C::Stosw_m16_AX => (Kind::Stos, 2),
        C::Stosd_m32_EAX => (Kind::Stos, 4),
        C::Lodsb_AL_m8 => (Kind::Lods, 1),
        C::Lodsw_AX_m16 => (Kind::Lods, 2),
        C::Lodsd_EAX_m32 => (Kind::Lods, 4),
        C::Cmpsb_m8_m8 => (Kind::Cmps, 1),
        C::Cmpsw_m16_m16 => (Kind::Cmps, 2),
        C::Cmpsd_m32_m32 => (Kind::Cmps, 4),
        C::Scasb_AL_m8 => (Kind::Scas, 1),
        C::Scasw_AX_m16 => (Kind::Scas, 2),
        C::Scasd_EAX_m32 => (Kind::Scas, 4),
        _ => return None,
    };
    let addr32 = (0..i.op_count()).all(|n| {
        !matches!(
            i.op_kind(n),
            OpKind::MemorySegSI | OpKind::MemorySegDI | OpKind::MemoryESDI
        )
    });
    if !addr32 {
        return None;
    }
    let mut op = Op::new(kind, i.len() as u8);
    op.size = size;
    // F3 is rep (repe for cmps/scas), F2 repne; movs/stos/lods treat F2 as rep.
    op.sub = if i.has_repne_prefix() {
        if matches!(kind, Kind::Cmps | Kind::Scas) {
            2
        } else {
            1
        }
    } else {
        i.has_rep_prefix() as u8
    };
    op.m.seg = seg_index(i.segment_prefix());
    Some(op)
}

fn is_setcc(m: Mnemonic) -> bool {
    use Mnemonic as M;
    matches!(
        m,
        M::Seto
            | M::Setno
            | M::Setb
            | M::Setae
            | M::Sete
            | M::Setne
            | M::Setbe
            | M::Seta
            | M::Sets
            | M::Setns
            | M::Setp
            | M::Setnp
            | M::Setl
            | M::Setge
            | M::Setle
            | M::Setg
    )
}

fn is_cmovcc(m: Mnemonic) -> bool {
    use Mnemonic as M;
    matches!(
        m,
        M::Cmovo
            | M::Cmovno
            | M::Cmovb
            | M::Cmovae
            | M::Cmove
            | M::Cmovne
            | M::Cmovbe
            | M::Cmova
            | M::Cmovs
            | M::Cmovns
            | M::Cmovp
            | M::Cmovnp
            | M::Cmovl
            | M::Cmovge
            | M::Cmovle
            | M::Cmovg
    )
}

#[cfg(test)]
mod tests {
    use super::super::decode::decode;
    use super::super::op::Kind;
    use std::process::Command;

    /// Every form gcc emits for integer code (and the inline-asm ones the
    /// tests use) decodes to something other than #UD. Assembled by GNU as.
    #[test]
    fn compiled_code_forms_all_decode() {
        let mut src = String::from(".code32\n");
        let r = ["%al", "%ax", "%eax"];
        let sfx = ["b", "w", "l"];
        for (i, reg) in r.iter().enumerate() {
            let s = sfx[i];
            for op in [
                "add", "or", "adc", "sbb", "and", "sub", "xor", "cmp", "test", "mov",
            ] {
                src += &format!("{op}{s} {reg}, {reg}\n{op}{s} 4(%ebx,%esi,4), {reg}\n");
                src += &format!(
                    "{op}{s} {reg}, 0x1234\n{op}{s} $0x12, {reg}\n{op}{s} $0x12, 8(%ebp)\n"
                );
            }
            for op in ["inc", "dec", "not", "neg", "mul", "imul", "div", "idiv"] {
                src += &format!("{op}{s} {reg}\n{op}{s} (%ecx)\n");
            }
            for op in ["rol", "ror", "rcl", "rcr", "shl", "shr", "sar"] {
                src += &format!("{op}{s} {reg}\n{op}{s} $3, {reg}\n{op}{s} %cl, (%edx)\n");
            }
            src += &format!("xchg{s} {reg}, (%esi)\nlock cmpxchg{s} {reg}, (%edi)\nlock xadd{s} {reg}, (%edi)\n");
            src += &format!(
                "movs{s}\nrep stos{s}\nlods{s}\nrepe cmps{s}\nrepne scas{s}\nrep movs{s}\n"
            );
        }
        src += "movzbl %al, %ecx\nmovzwl (%eax), %ecx\nmovsbl 1(%eax), %ecx\nmovswl %ax, %ecx\nmovsbw %al, %cx\n";
        src +=
            "imul %ecx, %edx\nimul $7, %ecx, %edx\nimul $1000, (%eax), %edx\nimulw $7, %cx, %dx\n";
        src += "shld $3, %eax, %edx\nshrd %cl, %eax, (%edx)\nshldw %cl, %ax, %dx\n";
        src += "sete %al\nsetg (%eax)\ncmovne %eax, %ecx\ncmovlw (%eax), %cx\n";
        src += "bt %eax, %ecx\nbts $5, (%eax)\nlock btr %ecx, (%eax)\nbtcw %ax, %cx\n";
        src += "bsf %eax, %ecx\nbsr (%eax), %ecx\ntzcnt %eax, %ecx\nbswap %esi\ncmpxchg8b (%esi)\n";
        src +=
            "push %eax\npushl (%eax)\npush $5\npush $0x12345\npushw $1\npop %ecx\npopl 4(%esp)\n";
        src += "pushf\npopf\npusha\npopa\nlahf\nsahf\nleave\nenter $16, $0\nret\nret $8\n";
        src +=
            "call *%eax\ncall *(%eax)\njmp *%ecx\njmp *0x10(,%eax,4)\njecxz .\nloop .\nloopne .\n";
        src += "ja .\njle .+0x1000\ncld\nstd\nclc\nstc\ncmc\nnop\nnopw 0(%eax,%eax,1)\n";
        src += "nopl 0x100(%eax)\nxchg %ax, %ax\npause\nendbr32\nint3\nint $0x80\ncpuid\nrdtsc\n";
        src += "cbtw\ncwtl\ncwtd\ncltd\nxlat\nmov %gs:0x14, %eax\nmov %eax, %fs:(%ecx)\nmov %ds, %ax\n";
        src += "mov %ax, %es\nmov 0x8049000, %al\nmov %eax, 0x8049000\nlock incl (%eax)\nlock orl $0, (%esp)\n";
        let dir = std::env::temp_dir().join(format!("toyemu-decode-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (s, o, bin) = (dir.join("f.s"), dir.join("f.o"), dir.join("f.bin"));
        std::fs::write(&s, src).unwrap();
        let run = |cmd: &mut Command| {
            let r = cmd
                .output()
                .unwrap_or_else(|e| panic!("this test needs GNU binutils: {e}"));
            assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
        };
        run(Command::new("as").arg("--32").arg("-o").arg(&o).arg(&s));
        run(Command::new("objcopy")
            .args(["-O", "binary", "-j", ".text"])
            .arg(&o)
            .arg(&bin));
        let code = std::fs::read(&bin).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        let mut at = 0;
        let mut n = 0;
        while at < code.len() {
            let end = (at + 15).min(code.len());
            let op = decode(&code[at..end], at as u32).unwrap();
            assert_ne!(
                op.kind,
                Kind::Ud,
                "#UD for {:02x?}",
                &code[at..at + op.len as usize]
            );
            at += op.len as usize;
            n += 1;
        }
        assert!(n > 250, "only {n} instructions");
    }
}
