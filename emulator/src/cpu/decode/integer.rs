//! Translating the integer instructions: moves, extensions and
//! conversions, the ALU operations, multiply and divide, shifts and rotates.

use super::super::op::{alu_op, unary_op, Kind, Op};
use super::operand::{binary, opnd, seg_index, unary, Opnd};
use iced_x86::{Code, Instruction, Mnemonic, OpKind, Register};

const ALU: [Option<Kind>; 5] = [
    Some(Kind::AluRR),
    Some(Kind::AluRM),
    Some(Kind::AluMR),
    Some(Kind::AluRI),
    Some(Kind::AluMI),
];

/// The integer instructions; `None` for anything else.
pub(super) fn translate(i: &Instruction) -> Option<Op> {
    use Mnemonic as M;
    let len = i.len() as u8;
    let simple = |k: Kind| Some(Op::new(k, len));
    let sized = |k: Kind, size: u8| {
        let mut op = Op::new(k, len);
        op.size = size;
        Some(op)
    };
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
        M::Xlatb if i.code() == Code::Xlat_m8 => {
            // iced gives [EBX + AL] (or [BX + AL] under 0x67); AL is added
            // when it runs, `sub` 1 for the 16-bit form.
            let mut op = Op::new(Kind::Xlat, len);
            op.m.base = 3;
            op.m.seg = seg_index(i.memory_segment());
            op.sub = match i.memory_base() {
                Register::EBX => 0,
                Register::BX => 1,
                _ => return None,
            };
            Some(op)
        }
        M::Daa | M::Das | M::Aaa | M::Aas => {
            let mut op = Op::new(Kind::Bcd, len);
            op.sub = match i.mnemonic() {
                M::Daa => 0,
                M::Das => 1,
                M::Aaa => 2,
                _ => 3,
            };
            Some(op)
        }
        M::Aam | M::Aad => {
            let mut op = Op::new(
                if i.mnemonic() == M::Aam {
                    Kind::Aam
                } else {
                    Kind::Aad
                },
                len,
            );
            op.imm = i.immediate8() as u32;
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
        _ => None,
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
        // mov to CS is #UD (SDM Vol. 2B, MOV).
        if i.op_register(0) == Register::CS {
            return None;
        }
        let mut op = Op::new(Kind::SegWriteR, i.len() as u8);
        op.size = 2;
        op.sub = i.op_register(0).number() as u8;
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
