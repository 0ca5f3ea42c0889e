//! Translating control flow, the stack, bit operations, atomics, string
//! and system instructions.

use super::super::op::{Kind, Op, STR_ADDR16};
use super::operand::{binary, branch16, cc, mem, opnd, rel, seg_index, unary, Opnd};
use iced_x86::{Code, Instruction, MemorySize, Mnemonic, OpKind, Register};

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
        return Some(near16(i, op));
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
        M::Jmp => branch(i, Kind::Jmp, Kind::JmpR, Kind::JmpM, Kind::FarJmp),
        M::Call => branch(i, Kind::Call, Kind::CallR, Kind::CallM, Kind::FarCall),
        M::Ret => {
            let mut op = Op::new(Kind::Ret, len);
            if i.op_count() == 1 {
                op.imm = i.immediate16() as u32;
            }
            Some(match i.code() {
                Code::Retnd | Code::Retnd_imm16 => op,
                Code::Retnw | Code::Retnw_imm16 => wrap16(op),
                _ => return None,
            })
        }
        M::Retf => {
            let mut op = Op::new(Kind::FarRet, len);
            op.size = match i.code() {
                Code::Retfd | Code::Retfd_imm16 => 4,
                Code::Retfw | Code::Retfw_imm16 => 2,
                _ => return None,
            };
            if i.op_count() == 1 {
                op.imm = i.immediate16() as u32;
            }
            Some(op)
        }
        M::Iret | M::Iretd => {
            let mut op = Op::new(Kind::Iret, len);
            op.size = stack_size(i, 3)?;
            Some(op)
        }
        // The count register is the address size's (CX under 0x67), the
        // target the operand size's (Branch16 under 0x66).
        M::Jecxz | M::Jcxz => {
            let mut op = Op::new(Kind::Jecxz, len);
            op.size = if mn == M::Jecxz { 4 } else { 2 };
            op.imm = rel(i)?;
            Some(near16(i, op))
        }
        M::Loop | M::Loope | M::Loopne => {
            let mut op = Op::new(Kind::Loop, len);
            op.sub = match mn {
                M::Loop => 0,
                M::Loope => 1,
                _ => 2,
            };
            op.size = match i.code() {
                Code::Loop_rel8_16_CX
                | Code::Loop_rel8_32_CX
                | Code::Loope_rel8_16_CX
                | Code::Loope_rel8_32_CX
                | Code::Loopne_rel8_16_CX
                | Code::Loopne_rel8_32_CX => 2,
                _ => 4,
            };
            op.imm = rel(i)?;
            Some(near16(i, op))
        }
        M::Push | M::Pop => push_pop(i),
        M::Pushad | M::Pusha => sized(Kind::Pushad, i, 8),
        M::Popad | M::Popa => sized(Kind::Popad, i, 8),
        M::Pushfd | M::Pushf => sized(Kind::Pushf, i, 1),
        M::Popfd | M::Popf => sized(Kind::Popf, i, 1),
        M::Leave => {
            let mut op = Op::new(Kind::Leave, len);
            op.size = if i.code() == Code::Leavew { 2 } else { 4 };
            Some(op)
        }
        M::Enter => {
            let mut op = Op::new(Kind::Enter, len);
            op.size = match i.code() {
                Code::Enterd_imm16_imm8 => 4,
                Code::Enterw_imm16_imm8 => 2,
                _ => return None,
            };
            op.imm = i.immediate16() as u32;
            op.sub = i.immediate8_2nd() & 0x1f;
            Some(op)
        }
        M::Lds | M::Les | M::Lfs | M::Lgs | M::Lss => {
            let mut op = binary(i, [None, Some(Kind::LoadFar), None, None, None], 0)?;
            op.sub = match mn {
                M::Les => 0,
                M::Lss => 2,
                M::Lds => 3,
                M::Lfs => 4,
                _ => 5,
            };
            Some(op)
        }
        M::Lar | M::Lsl => {
            // The selector operand is 16 bits whatever the destination's size.
            let mut op = Op::new(Kind::LarLslR, len);
            op.sub = (mn == M::Lsl) as u8;
            let Opnd::R(d, size) = opnd(i, 0)? else {
                return None;
            };
            (op.r1, op.size) = (d, size);
            match opnd(i, 1)? {
                Opnd::R(r, _) => op.r2 = r,
                Opnd::M(m, _) => (op.kind, op.m) = (Kind::LarLslM, m),
                Opnd::I(_) => return None,
            }
            Some(op)
        }
        M::Verr | M::Verw => {
            let mut op = unary(i, Kind::VerR, Kind::VerM, (mn == M::Verw) as u8)?;
            op.size = 2;
            Some(op)
        }
        M::Arpl => binary(
            i,
            [Some(Kind::ArplR), None, Some(Kind::ArplM), None, None],
            0,
        ),
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
        M::Int1 => simple(Kind::Priv),
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

/// jmp/call: near relative, through a register or memory (16-bit ones
/// wrapped in Branch16), or far to a selector:offset given in the
/// instruction (`imm` the offset, `m.disp` the selector) or in memory.
fn branch(i: &Instruction, rel_k: Kind, reg_k: Kind, mem_k: Kind, far_k: Kind) -> Option<Op> {
    let mut op = Op::new(rel_k, i.len() as u8);
    match i.op_kind(0) {
        OpKind::NearBranch32 | OpKind::NearBranch16 => {
            op.imm = rel(i)?;
            return Some(near16(i, op));
        }
        OpKind::FarBranch32 | OpKind::FarBranch16 => {
            op.kind = far_k;
            op.size = if i.op_kind(0) == OpKind::FarBranch32 {
                4
            } else {
                2
            };
            op.imm = if op.size == 4 {
                i.far_branch32()
            } else {
                i.far_branch16() as u32
            };
            op.m.disp = i.far_branch_selector() as u32;
            return Some(op);
        }
        _ => {}
    }
    if matches!(i.memory_size(), MemorySize::SegPtr32 | MemorySize::SegPtr16) {
        op.kind = far_k;
        op.sub = 1;
        op.size = if i.memory_size() == MemorySize::SegPtr32 {
            4
        } else {
            2
        };
        op.m = mem(i)?;
        return Some(op);
    }
    match opnd(i, 0)? {
        Opnd::R(r, 4) => (op.kind, op.r1) = (reg_k, r),
        Opnd::M(m, 4) => (op.kind, op.m) = (mem_k, m),
        // jmpw/callw *r16: a 16-bit target. Through memory with 16-bit
        // addressing as well it would need two wrappers: not implemented.
        Opnd::R(r, 2) => {
            return Some(wrap16(Op {
                kind: reg_k,
                r1: r,
                ..op
            }))
        }
        Opnd::M(m, 2) if !super::operand::addr16(i) => {
            return Some(wrap16(Op {
                kind: mem_k,
                m,
                ..op
            }))
        }
        _ => return None,
    }
    Some(op)
}

/// A near branch with 16-bit operand size goes through Branch16.
fn near16(i: &Instruction, op: Op) -> Op {
    if branch16(i) {
        wrap16(op)
    } else {
        op
    }
}

fn wrap16(mut op: Op) -> Op {
    op.inner = op.kind;
    op.kind = Kind::Branch16;
    op
}

/// The operand size of an instruction that moves ESP by `slots` operands.
fn stack_size(i: &Instruction, slots: i32) -> Option<u8> {
    let n = i.stack_pointer_increment().abs() / slots;
    matches!(n, 2 | 4).then_some(n as u8)
}

/// An instruction without operands whose size is what it does to ESP.
fn sized(k: Kind, i: &Instruction, slots: i32) -> Option<Op> {
    let mut op = Op::new(k, i.len() as u8);
    op.size = stack_size(i, slots)?;
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
    if i.op_kind(0) == OpKind::Register && i.op_register(0).is_segment_register() {
        // pop cs does not exist (0x0f is the two-byte escape).
        if !push && i.op_register(0) == Register::CS {
            return None;
        }
        op.kind = if push { Kind::PushSeg } else { Kind::PopSeg };
        op.sub = i.op_register(0).number() as u8;
        return Some(op);
    }
    match opnd(i, 0)? {
        Opnd::R(r, _) => (op.kind, op.r1) = (if push { Kind::PushR } else { Kind::PopR }, r),
        Opnd::M(m, _) => (op.kind, op.m) = (if push { Kind::PushM } else { Kind::PopM }, m),
        Opnd::I(v) if push => (op.kind, op.imm) = (Kind::PushI, v),
        Opnd::I(_) => return None,
    }
    Some(op)
}

/// movs stos lods cmps scas; `sub` the repeat prefix, and STR_ADDR16.
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
    // SI/DI/CX (0x67) or ESI/EDI/ECX.
    let addr16 = (0..i.op_count()).any(|n| {
        matches!(
            i.op_kind(n),
            OpKind::MemorySegSI | OpKind::MemorySegDI | OpKind::MemoryESDI
        )
    });
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
    } | if addr16 { STR_ADDR16 } else { 0 };
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
