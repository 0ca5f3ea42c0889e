//! From bytes to [`Op`]: iced-x86 decodes (32-bit mode), then each
//! instruction is reduced to one of our own handler kinds with its operands
//! resolved. Whatever is outside the implemented set becomes `Kind::Ud`
//! (#UD), and privileged instructions `Kind::Priv` (#GP) — never a panic.

use super::op::{alu_op, unary_op, Kind, Mem, Op, NOREG};
use iced_x86::{
    Code, ConditionCode, Decoder, DecoderError, DecoderOptions, Instruction, Mnemonic, OpKind,
    Register,
};

/// Longest IA-32 instruction (Intel SDM Vol. 2A §2.3.11).
pub const MAX_INSN: usize = 15;

/// The bytes given end before the instruction does (it crosses into the
/// next page): fetch more and decode again.
#[derive(Debug, PartialEq, Eq)]
pub struct NeedMore;

/// Decode the instruction at the start of `bytes`, which sits at `ip`.
pub fn decode(bytes: &[u8], ip: u32) -> Result<Op, NeedMore> {
    let mut d = Decoder::with_ip(32, bytes, ip as u64, DecoderOptions::NONE);
    let mut ins = Instruction::default();
    d.decode_out(&mut ins);
    match d.last_error() {
        DecoderError::None => {
            Ok(translate(&ins).map_or_else(|| ud(&ins, bytes), super::fast::specialise))
        }
        DecoderError::NoMoreBytes if bytes.len() < MAX_INSN => Err(NeedMore),
        _ => Ok(ud(&ins, bytes)),
    }
}

/// #UD, reporting as many bytes as the decoder looked at.
fn ud(ins: &Instruction, bytes: &[u8]) -> Op {
    let len = ins.len().clamp(1, bytes.len().clamp(1, MAX_INSN));
    Op::new(Kind::Ud, len as u8)
}

/// A general-purpose register as (x86 register number, size in bytes).
/// 8-bit numbers follow the encoding: 0-3 AL CL DL BL, 4-7 AH CH DH BH.
pub(super) fn gpr(r: Register) -> Option<(u8, u8)> {
    let v = r as u32;
    let within = |lo: Register, hi: Register| (lo as u32..=hi as u32).contains(&v);
    if within(Register::AL, Register::BH) {
        Some(((v - Register::AL as u32) as u8, 1))
    } else if within(Register::AX, Register::DI) {
        Some(((v - Register::AX as u32) as u8, 2))
    } else if within(Register::EAX, Register::EDI) {
        Some(((v - Register::EAX as u32) as u8, 4))
    } else {
        None
    }
}

/// 0 for the flat segments, 1 for FS, 2 for GS.
pub(super) fn seg_index(r: Register) -> u8 {
    match r {
        Register::FS => 1,
        Register::GS => 2,
        _ => 0,
    }
}

/// The memory operand, if it uses 32-bit addressing (16-bit addressing
/// through a 0x67 prefix is not implemented).
pub(super) fn mem(i: &Instruction) -> Option<Mem> {
    let reg = |r: Register| match r {
        Register::None => Some(NOREG),
        r => match gpr(r)? {
            (n, 4) => Some(n),
            _ => None,
        },
    };
    Some(Mem {
        base: reg(i.memory_base())?,
        index: reg(i.memory_index())?,
        scale: i.memory_index_scale().trailing_zeros() as u8,
        seg: seg_index(i.memory_segment()),
        disp: i.memory_displacement32(),
    })
}

/// One operand, resolved.
#[derive(Clone, Copy)]
pub(super) enum Opnd {
    R(u8, u8),
    M(Mem, u8),
    I(u32),
}

pub(super) fn opnd(i: &Instruction, n: u32) -> Option<Opnd> {
    match i.op_kind(n) {
        OpKind::Register => gpr(i.op_register(n)).map(|(r, s)| Opnd::R(r, s)),
        OpKind::Memory => Some(Opnd::M(mem(i)?, i.memory_size().size() as u8)),
        OpKind::Immediate8
        | OpKind::Immediate8to16
        | OpKind::Immediate8to32
        | OpKind::Immediate16
        | OpKind::Immediate32 => Some(Opnd::I(i.immediate(n) as u32)),
        _ => None,
    }
}

/// A one-operand instruction on r/m.
pub(super) fn unary(i: &Instruction, r: Kind, m: Kind, sub: u8) -> Option<Op> {
    let mut op = Op::new(r, i.len() as u8);
    op.sub = sub;
    match opnd(i, 0)? {
        Opnd::R(reg, s) => {
            op.r1 = reg;
            op.size = s;
        }
        Opnd::M(mm, s) => {
            op.kind = m;
            op.m = mm;
            op.size = s;
        }
        Opnd::I(_) => return None,
    }
    Some(op)
}

/// A two-operand instruction in forms [RR, RM, MR, RI, MI] (`None` where
/// the form does not exist). The register of a RM/MR form goes in `r1`.
pub(super) fn binary(i: &Instruction, kinds: [Option<Kind>; 5], sub: u8) -> Option<Op> {
    let mut op = Op::new(Kind::Ud, i.len() as u8);
    op.sub = sub;
    match (opnd(i, 0)?, opnd(i, 1)?) {
        (Opnd::R(d, s), Opnd::R(src, _)) => {
            op.kind = kinds[0]?;
            (op.r1, op.r2, op.size) = (d, src, s);
        }
        (Opnd::R(d, s), Opnd::M(m, _)) => {
            op.kind = kinds[1]?;
            (op.r1, op.m, op.size) = (d, m, s);
        }
        (Opnd::M(m, _), Opnd::R(src, s)) => {
            op.kind = kinds[2]?;
            (op.r1, op.m, op.size) = (src, m, s);
        }
        (Opnd::R(d, s), Opnd::I(v)) => {
            op.kind = kinds[3]?;
            (op.r1, op.imm, op.size) = (d, v & super::flags::mask_of(s), s);
        }
        (Opnd::M(m, s), Opnd::I(v)) => {
            op.kind = kinds[4]?;
            (op.m, op.imm, op.size) = (m, v & super::flags::mask_of(s), s);
        }
        _ => return None,
    }
    Some(op)
}

const ALU: [Option<Kind>; 5] = [
    Some(Kind::AluRR),
    Some(Kind::AluRM),
    Some(Kind::AluMR),
    Some(Kind::AluRI),
    Some(Kind::AluMI),
];

/// Condition code as the low nibble of the opcode (0 = O … 15 = G).
pub(super) fn cc(i: &Instruction) -> Option<u8> {
    match i.condition_code() {
        ConditionCode::None => None,
        c => Some(c as u8 - 1),
    }
}

/// Displacement of a near branch from the next instruction (position
/// independent: a frame may be mapped at several addresses).
pub(super) fn rel(i: &Instruction) -> Option<u32> {
    match i.op_kind(0) {
        OpKind::NearBranch32 => Some(i.near_branch32().wrapping_sub(i.next_ip32())),
        _ => None,
    }
}

/// Translate one decoded instruction; `None` means #UD.
fn translate(i: &Instruction) -> Option<Op> {
    use Mnemonic as M;
    let len = i.len() as u8;
    let simple = |k: Kind| Some(Op::new(k, len));
    let sized = |k: Kind, size: u8| {
        let mut op = Op::new(k, len);
        op.size = size;
        Some(op)
    };
    if i.is_privileged() {
        return simple(Kind::Priv);
    }
    match i.mnemonic() {
        M::Mov => mov(i),
        M::Movzx | M::Movsx => {
            let mut op = binary(
                i,
                [Some(Kind::MovxRR), Some(Kind::MovxRM), None, None, None],
                0,
            )?;
            let src = match opnd(i, 1)? {
                Opnd::R(_, s) | Opnd::M(_, s) => s,
                Opnd::I(_) => return None,
            };
            op.sub = src | if i.mnemonic() == M::Movsx { 0x80 } else { 0 };
            Some(op)
        }
        M::Lea => {
            let mut op = binary(i, [None, Some(Kind::Lea), None, None, None], 0)?;
            op.m.seg = 0; // lea computes the offset only
            Some(op)
        }
        M::Add => binary(i, ALU, alu_op::ADD),
        M::Or => binary(i, ALU, alu_op::OR),
        M::Adc => binary(i, ALU, alu_op::ADC),
        M::Sbb => binary(i, ALU, alu_op::SBB),
        M::And => binary(i, ALU, alu_op::AND),
        M::Sub => binary(i, ALU, alu_op::SUB),
        M::Xor => binary(i, ALU, alu_op::XOR),
        M::Cmp => binary(i, ALU, alu_op::CMP),
        M::Test => binary(i, ALU, alu_op::TEST),
        M::Inc => unary(i, Kind::UnaryR, Kind::UnaryM, unary_op::INC),
        M::Dec => unary(i, Kind::UnaryR, Kind::UnaryM, unary_op::DEC),
        M::Not => unary(i, Kind::UnaryR, Kind::UnaryM, unary_op::NOT),
        M::Neg => unary(i, Kind::UnaryR, Kind::UnaryM, unary_op::NEG),
        M::Xchg => {
            let mut op = binary(
                i,
                [
                    Some(Kind::XchgRR),
                    Some(Kind::XchgRM),
                    Some(Kind::XchgRM),
                    None,
                    None,
                ],
                0,
            )?;
            if op.kind == Kind::XchgRR && op.r1 == op.r2 && op.size == 4 {
                op.kind = Kind::Nop;
            }
            Some(op)
        }
        M::Mul => unary(i, Kind::MulDivR, Kind::MulDivM, 4),
        M::Div => unary(i, Kind::MulDivR, Kind::MulDivM, 6),
        M::Idiv => unary(i, Kind::MulDivR, Kind::MulDivM, 7),
        M::Imul => imul(i),
        M::Rol | M::Ror | M::Rcl | M::Rcr | M::Shl | M::Sal | M::Shr | M::Sar => shift(i),
        M::Shld | M::Shrd => {
            let mut op = binary(i, [Some(Kind::ShdR), None, Some(Kind::ShdM), None, None], 0)?;
            if op.kind == Kind::ShdR {
                // r1 = source, r2 = destination, like the memory form.
                (op.r1, op.r2) = (op.r2, op.r1);
            }
            op.sub = (i.mnemonic() == M::Shrd) as u8;
            match i.op_kind(2) {
                OpKind::Register => op.sub |= 8,
                _ => op.imm = i.immediate(2) as u32 & 0xff,
            }
            Some(op)
        }
        M::Cbw | M::Cwde => sized(Kind::Cbw, if i.mnemonic() == M::Cbw { 2 } else { 4 }),
        M::Cwd | M::Cdq => sized(Kind::Cwd, if i.mnemonic() == M::Cwd { 2 } else { 4 }),
        M::Xlatb if i.code() == Code::Xlat_m8 && i.memory_base() == Register::EBX => {
            // iced gives [EBX + AL]; AL is added when it runs.
            let mut op = Op::new(Kind::Xlat, len);
            op.m.base = 3;
            op.m.seg = seg_index(i.memory_segment());
            Some(op)
        }
        M::Lahf => simple(Kind::Lahf),
        M::Sahf => simple(Kind::Sahf),
        M::Clc | M::Stc | M::Cmc | M::Cld | M::Std => {
            let mut op = Op::new(Kind::FlagOp, len);
            op.sub = match i.mnemonic() {
                M::Clc => 0,
                M::Stc => 1,
                M::Cmc => 2,
                M::Cld => 3,
                _ => 4,
            };
            Some(op)
        }
        _ => super::decode_more::translate_rest(i),
    }
}

/// mov, including the segment-register forms (control and debug registers
/// are privileged and were handled before).
fn mov(i: &Instruction) -> Option<Op> {
    let is_seg =
        |n: u32| i.op_kind(n) == OpKind::Register && i.op_register(n).is_segment_register();
    if is_seg(1) {
        let mut op = unary(i, Kind::SegReadR, Kind::SegReadM, 0)?;
        op.sub = i.op_register(1).number() as u8;
        return Some(op);
    }
    if is_seg(0) {
        if i.op_register(0) == Register::CS {
            return None;
        }
        let mut op = Op::new(Kind::SegWriteR, i.len() as u8);
        op.size = 2;
        match opnd(i, 1)? {
            Opnd::R(r, _) => op.r1 = r,
            Opnd::M(m, _) => (op.kind, op.m) = (Kind::SegWriteM, m),
            Opnd::I(_) => return None,
        }
        return Some(op);
    }
    binary(
        i,
        [
            Some(Kind::MovRR),
            Some(Kind::MovRM),
            Some(Kind::MovMR),
            Some(Kind::MovRI),
            Some(Kind::MovMI),
        ],
        0,
    )
}

/// imul in its one-, two- and three-operand forms.
fn imul(i: &Instruction) -> Option<Op> {
    match i.op_count() {
        1 => unary(i, Kind::MulDivR, Kind::MulDivM, 5),
        2 => binary(
            i,
            [Some(Kind::Imul2RR), Some(Kind::Imul2RM), None, None, None],
            0,
        ),
        _ => {
            let mut op = binary(
                i,
                [Some(Kind::Imul3R), Some(Kind::Imul3M), None, None, None],
                0,
            )?;
            op.imm = i.immediate(2) as u32;
            Some(op)
        }
    }
}

/// rol ror rcl rcr shl shr sal sar, with an immediate (or implicit 1) or CL count.
fn shift(i: &Instruction) -> Option<Op> {
    use Mnemonic as M;
    let sub = match i.mnemonic() {
        M::Rol => 0,
        M::Ror => 1,
        M::Rcl => 2,
        M::Rcr => 3,
        M::Shl => 4,
        M::Shr => 5,
        M::Sal => 6,
        _ => 7,
    };
    let mut op = unary(i, Kind::ShiftR, Kind::ShiftM, sub)?;
    match i.op_kind(1) {
        OpKind::Register if i.op_register(1) == Register::CL => op.sub |= 8,
        OpKind::Immediate8 => op.imm = i.immediate8() as u32,
        _ => return None,
    }
    Some(op)
}
