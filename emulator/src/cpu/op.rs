//! The CPU's own instruction form: what iced-x86 decoded, reduced to a
//! handler kind and pre-resolved operands, so executing an instruction is
//! one `match` over a small enum with no operand-kind queries.

/// Register number meaning "no register" in a memory operand: the CPU keeps
/// a ninth register slot that is always zero, so an effective address is
/// computed without branches.
pub const NOREG: u8 = 8;

/// A memory operand: `seg_base[seg & 3] + disp + r[base] + (r[index] << (scale & 3))`.
/// An op whose `seg` is not flat has a wrapper (`Kind::SegCheck`), which
/// checks the limit and runs the op with the base added to `disp`.
///
/// With 16-bit addressing (`Kind::Addr16`) base and index are BX BP SI DI
/// and the offset wraps at 64 KiB. For an op wrapped by `Kind::Addr16` or
/// `Kind::SegCheck` the spare bits say what the segment check needs: the
/// access width in `scale` bits 2–7 and a write in `seg` bit 7 (`SEG_WRITE`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Mem {
    pub base: u8,
    pub index: u8,
    /// Bits 0–1: log2 of the scale factor. Bits 2–7: see above.
    pub scale: u8,
    /// Bits 0–1: 0 flat (CS DS ES SS, base 0), 1 FS, 2 GS. Bit 7: see above.
    pub seg: u8,
    pub disp: u32,
}

/// `Mem::seg` of a wrapped op: the instruction writes through the operand.
pub const SEG_WRITE: u8 = 0x80;

impl Mem {
    /// The access width recorded for the segment check (bytes, at most 63).
    pub fn width(&self) -> u32 {
        (self.scale >> 2) as u32
    }
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
    // segreg.rs; `sub` is the segment register number (segment::SegReg)
    /// mov r/m, sreg.
    SegReadR,
    SegReadM,
    /// mov sreg, r/m: a checked segment register load.
    SegWriteR,
    SegWriteM,
    /// push sreg (`size` 2 or 4).
    PushSeg,
    /// pop sreg (`size` 2 or 4).
    PopSeg,
    /// lds les lfs lgs lss r, m16:16/m16:32: `r1` the register.
    LoadFar,
    /// lar (`sub` 0) / lsl (1) r, r/m16: descriptor fields if visible, ZF.
    LarLslR,
    LarLslM,
    /// verr (`sub` 0) / verw (1) r/m16: ZF = readable / writable.
    VerR,
    VerM,
    /// arpl r/m16, r16: raise the RPL of the destination.
    ArplR,
    ArplM,
    // far.rs
    /// ljmp ptr16:32 (`sub` 0: offset in `imm`, selector in `m.disp`) or
    /// m16:32 (`sub` 1); `size` 2 for the 16-bit forms.
    FarJmp,
    /// lcall, as FarJmp.
    FarCall,
    /// lret / lret imm16 (`imm` extra bytes).
    FarRet,
    /// iret at CPL 3 (same privilege only).
    Iret,
    // bcd.rs
    /// daa das aaa aas by `sub` 0 1 2 3.
    Bcd,
    /// aam imm8 (`imm` the base).
    Aam,
    /// aad imm8.
    Aad,
    // address.rs: wrappers; the instruction's own kind is in `Op::inner`
    /// A memory operand with 16-bit addressing.
    Addr16,
    /// A memory operand through FS or GS: null, limit and write checks.
    SegCheck,
    /// A near branch with 16-bit operand size (jmp jcc loop call ret):
    /// EIP is truncated to 16 bits when it is taken.
    Branch16,
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
    /// shl/sal, shr, sar r32 by a nonzero immediate (masked) or by CL,
    /// flags recorded lazily.
    Shl32RI,
    Shr32RI,
    Sar32RI,
    Shl32RC,
    Shr32RC,
    Sar32RC,
    Neg32,
    Not32,
    /// movzx/movsx into a 32-bit register from a byte or a word.
    Movzb32RR,
    Movzw32RR,
    Movsb32RR,
    Movsw32RR,
    Movzb32RM,
    Movzw32RM,
    Movsb32RM,
    Movsw32RM,
    /// Stores of an immediate or a byte register, and byte/dword compares
    /// with an immediate (which only read).
    Mov32MI,
    Mov8MR,
    Mov8MI,
    Cmp8MI,
    Cmp32MI,
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
    /// A 32-bit cmp or test fused with the `jcc` after it (fuse.rs): `sub`
    /// the condition, the displacement in `imm` (`m.disp` for the immediate
    /// forms), `len` both lengths.
    CmpJccRR,
    CmpJccRI,
    CmpJccRM,
    /// cmpb $imm8, m8 then jcc: the immediate in `r1`, the displacement in `imm`.
    CmpJcc8MI,
    TestJccRR,
    TestJccRI,
    /// `sub $imm, r32` then jcc: the displacement in `m.disp`.
    SubJccRI,
    /// `inc r32` or `dec r32` then jcc: the displacement in `imm`.
    IncJcc,
    DecJcc,
    /// The commonest memory ops whose operand is a register plus a
    /// displacement (no index), in a block's fast path only (fast.rs).
    Mov32RMB,
    Mov32MRB,
    Mov8MIB,
    Lea32B,
    Movzb32RMB,
    CmpJcc8MIB,
}

/// `Op::flags`: the last instruction of its decoded block (a branch, a
/// trap, the end of the page): the CPU looks up where to go next.
pub const LAST: u8 = 1;
/// `Op::flags`: a conditional branch inside its block (the block goes on
/// with its fall-through): when taken, the block is left there.
pub const EXIT: u8 = 8;
/// `Op::flags`: may store to memory, so it may have modified code.
pub const WRITES: u8 = 2;
/// `Op::flags`: the instruction's address is hooked (`Cpu::set_hooks`): the
/// CPU stops before it. A hooked instruction always starts a block.
pub const HOOK: u8 = 4;

/// One decoded instruction (24 bytes).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Op {
    pub kind: Kind,
    /// Length in bytes (1..=15).
    pub len: u8,
    /// Operand size in bytes: 1, 2 or 4. (A jcc or fused jcc is 32-bit
    /// and never reads it: in a block's fast path one marked EXIT holds
    /// here the instructions the block has retired when it leaves there.)
    pub size: u8,
    /// Sub-operation: ALU op, condition code, shift kind, repeat prefix…
    pub sub: u8,
    /// First register operand (usually the destination or ModRM.reg).
    pub r1: u8,
    /// Second register operand.
    pub r2: u8,
    /// LAST, WRITES, HOOK and EXIT bits: what the CPU must check around it.
    pub flags: u8,
    /// For the wrapper kinds (Addr16, SegCheck, Branch16): the kind of
    /// the instruction itself, run once the wrapper has done its part.
    pub inner: Kind,
    pub m: Mem,
    /// Immediate, or a branch displacement relative to the next instruction.
    pub imm: u32,
    /// Where the next instruction starts, as an offset from the page this
    /// one was decoded in (up to 0x100e for one crossing into the next):
    /// the fast path's EIP, worked out only when needed (exec.rs). 0 in an
    /// op not from the decode cache, whose EIP is always kept.
    pub end: u16,
    /// In a block's fast path, a direct branch to the same block (cache.rs,
    /// run.rs): to a later op, how many ops on that one is, and in
    /// `skipped` the instructions of those passed over; AGAIN, back to its
    /// first op, and in `skipped` the instructions retired up to there.
    /// 0: it leaves the block.
    pub skip: u8,
    pub skipped: u8,
}

/// `Op::skip` of a branch back to the start of its block.
pub const AGAIN: u8 = u8::MAX;

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
            inner: Kind::Nop,
            m: Mem {
                base: NOREG,
                index: NOREG,
                ..Mem::default()
            },
            imm: 0,
            end: 0,
            skip: 0,
            skipped: 0,
        }
    }

    /// Where the instruction starts, as an offset from its page (`end`'s).
    pub fn start(&self) -> u32 {
        self.end as u32 - self.len as u32
    }

    /// The instruction's own kind, looking through a wrapper.
    pub fn base_kind(&self) -> Kind {
        match self.kind {
            Kind::Addr16 | Kind::SegCheck | Kind::Branch16 => self.inner,
            k => k,
        }
    }

    /// Whether the instruction may store to memory (and so may have
    /// written over decoded code).
    pub fn writes_memory(&self) -> bool {
        use Kind as K;
        if self.kind == K::X87 {
            return super::x87::fpu::xop::stores(self.sub);
        }
        matches!(
            self.base_kind(),
            K::MovMR
                | K::MovMI
                | K::Mov32MR
                | K::Mov32MI
                | K::Mov8MR
                | K::Mov8MI
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
                | K::PushSeg
                | K::ArplM
                | K::FarCall
        )
    }

    /// The most bytes the instruction pushes below the stack pointer it
    /// starts with (memcheck's stack check allows those).
    pub fn pushes(&self) -> u32 {
        use Kind as K;
        match self.base_kind() {
            K::PushR | K::PushM | K::PushI | K::Push32R | K::PushSeg | K::Pushf => 4,
            K::Call | K::CallR | K::CallM => 4,
            K::FarCall => 8,
            K::Pushad => 32,
            // The old EBP, up to 31 outer frame pointers and the new one.
            K::Enter => 4 * 33,
            _ => 0,
        }
    }

    /// A 32-bit jcc (one of the kinds by condition, unwrapped): a block
    /// goes on past it, leaving when it is taken.
    pub fn is_jcc(&self) -> bool {
        (Kind::Jo as u8..=Kind::Jg as u8).contains(&(self.kind as u8))
    }

    /// Whether execution may continue anywhere but the next instruction.
    pub fn ends_block(&self) -> bool {
        use Kind as K;
        matches!(
            self.base_kind(),
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
                | K::FarJmp
                | K::FarCall
                | K::FarRet
                | K::Iret
        )
    }
}

/// `Op::sub` bit of a string instruction with 16-bit addressing (SI, DI,
/// CX under 0x67); the low bits are the repeat prefix.
pub const STR_ADDR16: u8 = 0x10;

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
        assert!(std::mem::size_of::<Op>() <= 24);
    }
}
