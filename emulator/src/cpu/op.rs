//! The CPU's own instruction form: what iced-x86 decoded, reduced to a
//! handler kind and pre-resolved operands, so executing an instruction is
//! one `match` over a small enum with no operand-kind queries.

/// Register number meaning "no register" in a memory operand: the CPU keeps
/// a ninth register slot that is always zero, so an effective address is
/// computed without branches.
pub const NOREG: u8 = 8;

/// A memory operand: `seg_base[seg] + disp + r[base] + (r[index] << scale)`.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Mem {
    pub base: u8,
    pub index: u8,
    /// log2 of the scale factor (0..=3).
    pub scale: u8,
    /// 0: flat (CS DS ES SS, base 0), 1: FS, 2: GS.
    pub seg: u8,
    pub disp: u32,
}

/// What to do. Suffixes name the operand forms: `R` register, `M` memory,
/// `I` immediate, destination first (`AluMR`: memory op= register).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[repr(u8)]
pub enum Kind {
    // data movement (data.rs)
    MovRR,
    MovRM,
    MovMR,
    MovRI,
    MovMI,
    /// movzx/movsx: `sub` is the source size, bit 7 set for sign extension.
    MovxRR,
    MovxRM,
    Lea,
    /// cbw (size 2) / cwde (size 4).
    Cbw,
    /// cwd (size 2) / cdq (size 4).
    Cwd,
    Xlat,
    Lahf,
    Sahf,
    /// clc stc cmc cld std, by `sub`.
    FlagOp,
    XchgRR,
    XchgRM,
    // arithmetic (alu.rs); `sub` is an AluOp or a UnaryOp
    AluRR,
    AluRM,
    AluMR,
    AluRI,
    AluMI,
    UnaryR,
    UnaryM,
    // muldiv.rs; `sub` is the /r field: 4 mul 5 imul 6 div 7 idiv
    MulDivR,
    MulDivM,
    Imul2RR,
    Imul2RM,
    Imul3R,
    Imul3M,
    // shift.rs; `sub` is the /r field (rol ror rcl rcr shl shr sal sar),
    // bit 3 set when the count is CL rather than `imm`
    ShiftR,
    ShiftM,
    /// shld/shrd: `sub` bit 0 set for shrd, bit 3 for a CL count.
    ShdR,
    ShdM,
    // flow.rs; relative targets in `imm` (added to the next EIP)
    Jmp,
    JmpR,
    JmpM,
    Jcc,
    /// jecxz (`size` 4) / jcxz (`size` 2).
    Jecxz,
    /// loop / loope / loopne by `sub` 0 1 2.
    Loop,
    Call,
    CallR,
    CallM,
    /// ret; `imm` extra bytes to pop.
    Ret,
    SetccR,
    SetccM,
    CmovRR,
    CmovRM,
    // stack.rs
    PushR,
    PushM,
    PushI,
    PopR,
    PopM,
    Pushad,
    Popad,
    Pushf,
    Popf,
    Leave,
    /// enter imm16, imm8: `imm` frame size, `sub` nesting level.
    Enter,
    // bits.rs; `sub` 0 bt 1 bts 2 btr 3 btc, bit offset in r2 or (NOREG) imm
    BtR,
    BtM,
    BsfR,
    BsfM,
    BsrR,
    BsrM,
    Bswap,
    // atomic.rs
    CmpxchgR,
    CmpxchgM,
    Cmpxchg8b,
    XaddR,
    XaddM,
    // string.rs; `sub` is the repeat prefix (0 none, 1 rep/repe, 2 repne)
    Movs,
    Stos,
    Lods,
    Cmps,
    Scas,
    // system.rs
    Nop,
    /// int imm8.
    Int,
    Int3,
    /// Privileged at CPL 3: #GP.
    Priv,
    /// Undecodable or not implemented: #UD.
    Ud,
    Cpuid,
    Rdtsc,
    /// mov r/m, sreg: `sub` is the segment register number.
    SegReadR,
    SegReadM,
    /// mov sreg, r/m: loads a data segment register (flat; nothing to do).
    SegWriteR,
    SegWriteM,
    // Specialisations of the commonest 32-bit forms (fast.rs): no size or
    // sub-operation to look at while running.
    Mov32RR,
    Mov32RM,
    Mov32MR,
    Lea32,
    Push32R,
    Pop32R,
    Inc32,
    Dec32,
    Add32RR,
    Add32RI,
    Add32RM,
    Sub32RR,
    Sub32RI,
    Sub32RM,
    And32RR,
    And32RI,
    Or32RR,
    Or32RI,
    Xor32RR,
    Xor32RI,
    Cmp32RR,
    Cmp32RI,
    Cmp32RM,
    Test32RR,
    Test32RI,
    /// jcc by condition (the low nibble of the opcode), so the condition
    /// is a constant in its handler.
    Jo,
    Jno,
    Jb,
    Jae,
    Je,
    Jne,
    Jbe,
    Ja,
    Js,
    Jns,
    Jp,
    Jnp,
    Jl,
    Jge,
    Jle,
    Jg,
    /// Every x87 instruction (cpu/x87): `sub` says which.
    X87,
}

/// `Op::flags`: the last instruction of its decoded block (a branch, a
/// trap, the end of the page): the CPU looks up where to go next.
pub const LAST: u8 = 1;
/// `Op::flags`: may store to memory, so it may have modified code.
pub const WRITES: u8 = 2;

/// One decoded instruction (20 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Op {
    pub kind: Kind,
    /// Length in bytes (1..=15).
    pub len: u8,
    /// Operand size in bytes: 1, 2 or 4.
    pub size: u8,
    /// Sub-operation: ALU op, condition code, shift kind, repeat prefix…
    pub sub: u8,
    /// First register operand (usually the destination or ModRM.reg).
    pub r1: u8,
    /// Second register operand.
    pub r2: u8,
    /// LAST and WRITES bits: what the CPU must check after running it.
    pub flags: u8,
    pub m: Mem,
    /// Immediate, or a branch displacement relative to the next instruction.
    pub imm: u32,
}

impl Op {
    pub fn new(kind: Kind, len: u8) -> Op {
        Op {
            kind,
            len,
            size: 4,
            sub: 0,
            r1: NOREG,
            r2: NOREG,
            flags: 0,
            m: Mem {
                base: NOREG,
                index: NOREG,
                ..Mem::default()
            },
            imm: 0,
        }
    }

    /// Whether the instruction may store to memory (and so may have
    /// written over decoded code).
    pub fn writes_memory(&self) -> bool {
        use Kind as K;
        if self.kind == K::X87 {
            return super::x87::xop::stores(self.sub);
        }
        matches!(
            self.kind,
            K::MovMR
                | K::MovMI
                | K::Mov32MR
                | K::XchgRM
                | K::AluMR
                | K::AluMI
                | K::UnaryM
                | K::ShiftM
                | K::ShdM
                | K::CallR
                | K::CallM
                | K::Call
                | K::SetccM
                | K::PushR
                | K::PushM
                | K::PushI
                | K::Push32R
                | K::PopM
                | K::Pushad
                | K::Pushf
                | K::Enter
                | K::BtM
                | K::CmpxchgM
                | K::Cmpxchg8b
                | K::XaddM
                | K::Movs
                | K::Stos
                | K::SegReadM
        )
    }

    /// Whether execution may continue anywhere but the next instruction.
    pub fn ends_block(&self) -> bool {
        use Kind as K;
        matches!(
            self.kind,
            K::Jmp
                | K::JmpR
                | K::JmpM
                | K::Jcc
                | K::Jo
                | K::Jno
                | K::Jb
                | K::Jae
                | K::Je
                | K::Jne
                | K::Jbe
                | K::Ja
                | K::Js
                | K::Jns
                | K::Jp
                | K::Jnp
                | K::Jl
                | K::Jge
                | K::Jle
                | K::Jg
                | K::Jecxz
                | K::Loop
                | K::Call
                | K::CallR
                | K::CallM
                | K::Ret
                | K::Int
                | K::Int3
                | K::Priv
                | K::Ud
        )
    }
}

/// Binary ALU operations, in the order of the 0x00..0x3f opcode rows.
pub mod alu_op {
    pub const ADD: u8 = 0;
    pub const OR: u8 = 1;
    pub const ADC: u8 = 2;
    pub const SBB: u8 = 3;
    pub const AND: u8 = 4;
    pub const SUB: u8 = 5;
    pub const XOR: u8 = 6;
    pub const CMP: u8 = 7;
    /// `test`: an `and` that only sets flags.
    pub const TEST: u8 = 8;
}

/// One-operand ALU operations.
pub mod unary_op {
    pub const INC: u8 = 0;
    pub const DEC: u8 = 1;
    pub const NOT: u8 = 2;
    pub const NEG: u8 = 3;
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn op_stays_small() {
        assert!(std::mem::size_of::<Op>() <= 20);
    }
}
