//! Translating control flow, the stack, bit operations, atomics, string
//! and system instructions.

use super::super::op::{Kind, Op};
use super::operand::{binary, cc, mem, opnd, rel, seg_index, unary, Opnd};
use iced_x86::{Code, Instruction, Mnemonic, OpKind};

/// Everything but the integer group; `None` means #UD.
pub(super) fn translate(i: &Instruction) -> Option<Op> {
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
