//! iced-x86's operands resolved into ours: registers by x86 number and
//! size, memory operands with their segment, immediates, condition codes and
//! branch displacements, and the one- and two-operand shapes most
//! instructions take.

use super::super::flags::mask_of;
use super::super::op::{Kind, Mem, Op, NOREG};
use iced_x86::{ConditionCode, Instruction, OpKind, Register};

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

/// The memory operand. With 16-bit addressing (a 0x67 prefix) base and
/// index are 16-bit registers; `decode` then wraps the op in `Kind::Addr16`.
pub(super) fn mem(i: &Instruction) -> Option<Mem> {
    let width = if addr16(i) { 2 } else { 4 };
    let reg = |r: Register| match r {
        Register::None => Some(NOREG),
        r => match gpr(r)? {
            (n, w) if w == width => Some(n),
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

/// Whether the explicit memory operand uses 16-bit addressing: [BX+SI],
/// [BP+disp8], a bare disp16 and the rest of SDM Vol. 2A Table 2-1.
pub(super) fn addr16(i: &Instruction) -> bool {
    let is16 = |r: Register| r.is_gpr16();
    is16(i.memory_base())
        || is16(i.memory_index())
        || (i.memory_base() == Register::None
            && i.memory_index() == Register::None
            && i.memory_displ_size() == 2)
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
            (op.r1, op.imm, op.size) = (d, v & mask_of(s), s);
        }
        (Opnd::M(m, s), Opnd::I(v)) => {
            op.kind = kinds[4]?;
            (op.m, op.imm, op.size) = (m, v & mask_of(s), s);
        }
        _ => return None,
    }
    Some(op)
}

/// Condition code as the low nibble of the opcode (0 = O … 15 = G).
pub(super) fn cc(i: &Instruction) -> Option<u8> {
    match i.condition_code() {
        ConditionCode::None => None,
        c => Some(c as u8 - 1),
    }
}

/// Displacement of a near branch from the next instruction (position
/// independent: a frame may be mapped at several addresses). For a 16-bit
/// branch (operand-size prefix) only its low 16 bits count: the target is
/// `(next + rel) & 0xffff`, which `Kind::Branch16` computes.
pub(super) fn rel(i: &Instruction) -> Option<u32> {
    match i.op_kind(0) {
        OpKind::NearBranch32 => Some(i.near_branch32().wrapping_sub(i.next_ip32())),
        OpKind::NearBranch16 => Some((i.near_branch16() as u32).wrapping_sub(i.next_ip32())),
        _ => None,
    }
}

/// Whether a near branch has 16-bit operand size (its target is truncated).
pub(super) fn branch16(i: &Instruction) -> bool {
    i.op_kind(0) == OpKind::NearBranch16
}
