//! Translating x87 instructions into `Kind::X87` ops (the sub-operations
//! and operand fields are described in `cpu::x87::xop`). iced names the
//! register forms as Intel does, so `fsub st(i), st(0)` is st(i) - st(0)
//! whatever the opcode's /r field says.

use super::super::op::{Kind, Op};
use super::super::x87::fpu::{aop, fmt, xop, HAS_MEM, WAIT_FIRST};
use super::operand::mem;
use iced_x86::{Code, Instruction, MemorySize, Mnemonic, OpKind, Register};

/// ST(i) of operand `n`, if it is an x87 register.
fn sti(i: &Instruction, n: u32) -> Option<u8> {
    if i.op_kind(n) != OpKind::Register {
        return None;
    }
    let r = i.op_register(n) as u32;
    let st0 = Register::ST0 as u32;
    (st0..st0 + 8).contains(&r).then(|| (r - st0) as u8)
}

/// The memory format of the instruction's operand.
fn format(i: &Instruction) -> Option<u8> {
    Some(match i.memory_size() {
        MemorySize::Float32 => fmt::F32,
        MemorySize::Float64 => fmt::F64,
        MemorySize::Float80 => fmt::F80,
        MemorySize::Int16 => fmt::I16,
        MemorySize::Int32 => fmt::I32,
        MemorySize::Int64 => fmt::I64,
        MemorySize::Bcd => fmt::BCD,
        _ => return None,
    })
}

fn has_mem(i: &Instruction) -> bool {
    (0..i.op_count()).any(|n| i.op_kind(n) == OpKind::Memory)
}

/// The x87 op for `i`, or `None` when it is not an x87 instruction we run.
pub(super) fn translate(i: &Instruction) -> Option<Op> {
    use Mnemonic as M;
    let mn = i.mnemonic();
    let mut op = Op::new(Kind::X87, i.len() as u8);
    let memory = has_mem(i);
    if memory {
        op.m = mem(i)?;
        op.imm |= HAS_MEM;
        op.size = i.memory_size().size() as u8;
    }
    let arith = match mn {
        M::Fadd | M::Faddp | M::Fiadd => Some(aop::ADD),
        M::Fmul | M::Fmulp | M::Fimul => Some(aop::MUL),
        M::Fsub | M::Fsubp | M::Fisub => Some(aop::SUB),
        M::Fsubr | M::Fsubrp | M::Fisubr => Some(aop::SUBR),
        M::Fdiv | M::Fdivp | M::Fidiv => Some(aop::DIV),
        M::Fdivr | M::Fdivrp | M::Fidivr => Some(aop::DIVR),
        _ => None,
    };
    if let Some(a) = arith {
        if memory {
            (op.sub, op.r1, op.r2) = (xop::ARITH_M, a, format(i)?);
        } else if sti(i, 0)? == 0
            && !matches!(
                mn,
                M::Faddp | M::Fmulp | M::Fsubp | M::Fsubrp | M::Fdivp | M::Fdivrp
            )
        {
            (op.sub, op.r1, op.r2) = (xop::ARITH_ST0, sti(i, 1)?, a);
        } else {
            let pop = matches!(
                mn,
                M::Faddp | M::Fmulp | M::Fsubp | M::Fsubrp | M::Fdivp | M::Fdivrp
            );
            let s = if pop { xop::ARITH_STP } else { xop::ARITH_STI };
            (op.sub, op.r1, op.r2) = (s, sti(i, 0)?, a);
        }
        return Some(op);
    }
    let cmov = match mn {
        M::Fcmovb => Some(2),
        M::Fcmovnb => Some(3),
        M::Fcmove => Some(4),
        M::Fcmovne => Some(5),
        M::Fcmovbe => Some(6),
        M::Fcmovnbe => Some(7),
        M::Fcmovu => Some(10),
        M::Fcmovnu => Some(11),
        _ => None,
    };
    if let Some(cc) = cmov {
        (op.sub, op.r1, op.r2) = (xop::CMOV, sti(i, 1)?, cc);
        return Some(op);
    }
    let simple = |sub: u8| {
        let mut op = op;
        op.sub = sub;
        Some(op)
    };
    match mn {
        M::Fld | M::Fild | M::Fbld if memory => {
            op.sub = xop::LD_M;
            op.r2 = format(i)?;
        }
        M::Fld => (op.sub, op.r1) = (xop::LD_ST, sti(i, 0)?),
        M::Fst | M::Fist if memory => (op.sub, op.r2) = (xop::ST_M, format(i)?),
        M::Fstp | M::Fistp | M::Fbstp if memory => (op.sub, op.r2) = (xop::STP_M, format(i)?),
        M::Fst => (op.sub, op.r1) = (xop::ST_ST, sti(i, 0)?),
        M::Fstp => (op.sub, op.r1) = (xop::STP_ST, sti(i, 0)?),
        M::Fld1 | M::Fldl2t | M::Fldl2e | M::Fldpi | M::Fldlg2 | M::Fldln2 | M::Fldz => {
            op.sub = xop::LD_CONST;
            op.r1 = match mn {
                M::Fld1 => 0,
                M::Fldl2t => 1,
                M::Fldl2e => 2,
                M::Fldpi => 3,
                M::Fldlg2 => 4,
                M::Fldln2 => 5,
                _ => 6,
            };
        }
        M::Fcom | M::Fcomp | M::Ficom | M::Ficomp if memory => {
            op.sub = xop::COM_M;
            op.r1 = matches!(mn, M::Fcomp | M::Ficomp) as u8;
            op.r2 = format(i)?;
        }
        M::Fcom | M::Fcomp | M::Fucom | M::Fucomp => {
            op.sub = xop::COM_ST;
            op.r1 = sti(i, 1)?;
            op.r2 = matches!(mn, M::Fcomp | M::Fucomp) as u8
                | if matches!(mn, M::Fucom | M::Fucomp) {
                    4
                } else {
                    0
                };
        }
        M::Fcompp | M::Fucompp => {
            op.sub = xop::COM_ST;
            op.r1 = 1;
            op.r2 = 2 | if mn == M::Fucompp { 4 } else { 0 };
        }
        M::Fcomi | M::Fcomip | M::Fucomi | M::Fucomip => {
            op.sub = xop::COMI;
            op.r1 = sti(i, 1)?;
            op.r2 = matches!(mn, M::Fcomip | M::Fucomip) as u8
                | if matches!(mn, M::Fucomi | M::Fucomip) {
                    4
                } else {
                    0
                };
        }
        M::Fxch => (op.sub, op.r1) = (xop::XCH, sti(i, 1)?),
        M::Ffree => (op.sub, op.r1) = (xop::FREE, sti(i, 0)?),
        M::Ftst => return simple(xop::TST),
        M::Fxam => return simple(xop::XAM),
        M::Fchs => return simple(xop::CHS),
        M::Fabs => return simple(xop::ABS),
        M::Fsqrt => return simple(xop::SQRT),
        M::Frndint => return simple(xop::RNDINT),
        M::Fscale => return simple(xop::SCALE),
        M::Fprem => return simple(xop::PREM),
        M::Fprem1 => return simple(xop::PREM1),
        M::Fxtract => return simple(xop::XTRACT),
        M::Fdecstp => return simple(xop::DECSTP),
        M::Fincstp => return simple(xop::INCSTP),
        M::Fnop => return simple(xop::NOP),
        M::Fsin => return simple(xop::SIN),
        M::Fcos => return simple(xop::COS),
        M::Fsincos => return simple(xop::SINCOS),
        M::Fptan => return simple(xop::PTAN),
        M::Fpatan => return simple(xop::PATAN),
        M::F2xm1 => return simple(xop::F2XM1),
        M::Fyl2x => return simple(xop::YL2X),
        M::Fyl2xp1 => return simple(xop::YL2XP1),
        M::Wait => return simple(xop::WAIT),
        M::Fninit | M::Finit => op.sub = xop::INIT,
        M::Fnclex | M::Fclex => op.sub = xop::CLEX,
        M::Fldcw => op.sub = xop::LDCW,
        M::Fnstcw | M::Fstcw => op.sub = xop::STCW,
        M::Fnstsw | M::Fstsw if memory => op.sub = xop::STSW_M,
        M::Fnstsw | M::Fstsw => op.sub = xop::STSW_AX,
        // The 16-bit (0x66) environment forms are not implemented.
        M::Fnstenv | M::Fstenv
            if i.code() == Code::Fnstenv_m28byte || i.code() == Code::Fstenv_m28byte =>
        {
            op.sub = xop::STENV
        }
        M::Fldenv if i.code() == Code::Fldenv_m28byte => op.sub = xop::LDENV,
        M::Fnsave | M::Fsave
            if matches!(i.code(), Code::Fnsave_m108byte | Code::Fsave_m108byte) =>
        {
            op.sub = xop::SAVE
        }
        M::Frstor if i.code() == Code::Frstor_m108byte => op.sub = xop::RSTOR,
        _ => return None,
    }
    // The waiting forms (9b prefix folded in by iced) check for a pending
    // exception first.
    if matches!(
        mn,
        M::Finit | M::Fclex | M::Fstcw | M::Fstsw | M::Fstenv | M::Fsave
    ) {
        op.imm |= WAIT_FIRST;
    }
    Some(op)
}

/// Fill in the 11-bit x87 opcode (what `fnstenv` shows as FOP): the low
/// three bits of the D8-DF byte, then the ModRM byte.
pub(super) fn with_opcode(mut op: Op, bytes: &[u8]) -> Op {
    if op.kind != Kind::X87 {
        return op;
    }
    let bytes = &bytes[..(op.len as usize).min(bytes.len())];
    if let Some(at) = bytes.iter().position(|b| (0xd8..=0xdf).contains(b)) {
        if let Some(&modrm) = bytes.get(at + 1) {
            op.imm |= ((bytes[at] as u32 & 7) << 8) | modrm as u32;
        }
    }
    op
}
