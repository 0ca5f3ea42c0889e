//! Decoded ops → x86-64, with iced's code assembler.
//!
//! Register use while a translation runs: rbp the `State`, rbx the TLB's
//! hot index, r8d–r15d the guest's EAX..EDI (loaded at entry, stored at
//! every exit and before every call-out), rdx the retired count and the
//! TLB's clock (`state::Count`; likewise, in `JitRegs::count`), eax ecx
//! esi edi scratch (esi holds an effective
//! address, ecx a value to store; after a load or store rax and rdi keep
//! its page for the next access, `Em::last`). Each op is emitted as the
//! interpreter's fast path runs it, in the same order of effects: loads
//! and store checks before any change, flags recorded lazily in the
//! `State` (`Flags::set`'s fields). Host flags are used as the guest's
//! where the op that set them is the host's same operation (`host_valid`);
//! elsewhere a flag reader first rebuilds them from the record.
//!
//! Out of line, after the block: the call-outs of the loads and stores the
//! inline TLB lookup does not take, and the exits.

use super::super::eflags::{AF, CF, OF, PF, SF, STATUS, ZF};
use super::super::flags::{Flags, Lazy};
use super::super::op::{alu_op as A, Kind, Op, EXIT, LAST, NOREG, WRITES};
use super::super::state::{Count, JitRegs, State};
use super::ctx::lazy;
use crate::tlb::Layout as T;
use iced_x86::code_asm::*;
use iced_x86::{BlockEncoderOptions, IcedError};
use std::mem::offset_of;

/// Host addresses generated code calls.
pub struct Helpers {
    pub access: u64,
    pub eflags: u64,
    pub interp: u64,
}

const G: [AsmRegister32; 8] = [r8d, r9d, r10d, r11d, r12d, r13d, r14d, r15d];
const G64: [AsmRegister64; 8] = [r8, r9, r10, r11, r12, r13, r14, r15];
const G16: [AsmRegister16; 8] = [r8w, r9w, r10w, r11w, r12w, r13w, r14w, r15w];
const G8: [AsmRegister8; 4] = [r8b, r9b, r10b, r11b];
const ESP: usize = 4;

const R: i32 = offset_of!(State, r) as i32;
const EIP: i32 = offset_of!(State, eip) as i32;
const SEG_BASE: i32 = offset_of!(State, seg_base) as i32;
const F: i32 = offset_of!(State, f) as i32;
const F_OP: i32 = F + offset_of!(Flags, op) as i32;
const F_CIN: i32 = F + offset_of!(Flags, cin) as i32;
const F_SIGN: i32 = F + offset_of!(Flags, sign) as i32;
const F_A: i32 = F + offset_of!(Flags, a) as i32;
const F_B: i32 = F + offset_of!(Flags, b) as i32;
const F_R: i32 = F + offset_of!(Flags, r) as i32;
const F_BITS: i32 = F + offset_of!(Flags, bits) as i32;
const J: i32 = offset_of!(State, jit) as i32;
const C_HOT: i32 = J + offset_of!(JitRegs, hot) as i32;
const C_COUNT: i32 = J + offset_of!(JitRegs, count) as i32;
const C_VALUE: i32 = J + offset_of!(JitRegs, value) as i32;
const C_STOP_OP: i32 = J + offset_of!(JitRegs, stop_op) as i32;
const C_STOP_ID: i32 = J + offset_of!(JitRegs, stop_id) as i32;
const C_EXIT_SITE: i32 = J + offset_of!(JitRegs, exit_site) as i32;
const C_INNER: i32 = J + offset_of!(JitRegs, inner) as i32;

const SIGN: u32 = 0x8000_0000;

/// Whether the JIT translates `op` inline; every other op is run by a
/// call-out to the interpreter.
pub fn inline(op: &Op) -> bool {
    use Kind as K;
    match op.kind {
        K::MovRI => op.size == 4,
        K::Imul2RR | K::Imul2RM | K::Imul3R | K::Imul3M => op.size == 4,
        // rol/ror r32 by an immediate.
        K::ShiftR => op.size == 4 && op.sub < 2,
        // setcc into AL..BL (the high bytes are left to the interpreter).
        K::SetccR => op.r1 & 7 < 4,
        // The system call (a trap after the instruction, which leaves).
        K::Int => op.imm == 0x80,
        K::Nop
        | K::Mov32RR
        | K::Mov32RM
        | K::Mov32MR
        | K::Mov32MI
        | K::Mov8MR
        | K::Mov8MI
        | K::Lea32
        | K::Push32R
        | K::Pop32R
        | K::Inc32
        | K::Dec32
        | K::Cmp32MI
        | K::Cmp8MI
        | K::Shl32RI
        | K::Shr32RI
        | K::Sar32RI
        | K::Shl32RC
        | K::Shr32RC
        | K::Sar32RC
        | K::Neg32
        | K::Not32
        | K::Movzb32RR
        | K::Movzw32RR
        | K::Movsb32RR
        | K::Movsw32RR
        | K::Movzb32RM
        | K::Movzw32RM
        | K::Movsb32RM
        | K::Movsw32RM
        | K::Jmp
        | K::Call
        | K::Ret => true,
        k => alu_form(op).is_some() || (op.is_jcc() && k != K::Jcc),
    }
}

/// What a store's instruction still does after the store, run again on
/// the way out when the store wrote over code.
#[derive(Clone, Copy)]
enum Post {
    None,
    /// push / call: ESP goes down by 4.
    Push,
    /// The whole instruction is done and EIP set (an interpreter call-out).
    Done,
}

/// A full lookup (`Em::full_lookup`) after the same-page check failed,
/// out of line: back to `hit` on a hit.
struct Full {
    label: CodeLabel,
    hit: CodeLabel,
    size: u32,
    write: bool,
    slow: CodeLabel,
}

/// A load or store the inline lookup sent out of line.
struct Slow {
    label: CodeLabel,
    back: CodeLabel,
    /// `native::access`'s kind: size, +16 for a store.
    kind: u32,
    k: usize,
    /// For a store: where to go when it wrote over code.
    stale: Option<CodeLabel>,
    /// A record left out of the hot path, put before the call-out.
    rec: Option<Rec>,
    /// Where a load's value goes; what a store stores (into ecx first).
    to: To,
    val: Option<Val>,
}

/// Where a load puts its value: eax, or a guest register zero- or
/// sign-extending it.
#[derive(Clone, Copy)]
enum To {
    Eax,
    Zx(AsmRegister32),
    Sx(AsmRegister32),
}

/// Leaving the block because its code went stale after op `k`'s store.
struct Stale {
    label: CodeLabel,
    k: usize,
    post: Post,
    eip: u32,
}

/// A jcc taken out of the middle of the block.
struct Taken {
    label: CodeLabel,
    target: u32,
    retired: u32,
    /// Taken in one of the block's passes, not in a tail copy (only those
    /// may go on into a copy of the rest of the block).
    in_pass: bool,
    /// The record left out of the hot path at the jcc.
    rec: Option<Rec>,
    /// `Em::last` at the jcc.
    last: bool,
}

/// A lazy record left out of the hot path (`pending`): an op followed by
/// jumps, moves and loads or stores until an op that overwrites the whole
/// record does not store its record; it is put (`put_rec`) only where it
/// can be seen — on an exit, on a load's or store's call-out, before an op
/// that reads flags — computed from guest registers that are still as the
/// op left them. A loop back to the block's start with a record pending
/// goes to the loop copy of the block (`loop_top`), which starts with it
/// pending: the usual loop (compare, branch back, compare again on the
/// next pass) stores no record until it leaves.
#[derive(Clone, Copy, PartialEq, Eq)]
struct Rec {
    l: Lazy,
    a: Ex,
    b: Ex,
    r: Ex,
}

/// A record part: a register, a constant, or a register combined with one.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Ex {
    R(AsmRegister32),
    I(u32),
    Add(AsmRegister32, Arg),
    Sub(AsmRegister32, Arg),
    And(AsmRegister32, Arg),
}

#[derive(Clone, Copy, PartialEq, Eq)]
enum Arg {
    R(AsmRegister32),
    I(u32),
}

impl Rec {
    /// The same record, computed from `to` where it was from `from`.
    fn renamed(mut self, from: AsmRegister32, to: AsmRegister32) -> Rec {
        let arg = |a: Arg| if a == Arg::R(from) { Arg::R(to) } else { a };
        let reg = |r: AsmRegister32| if r == from { to } else { r };
        for e in [&mut self.a, &mut self.b, &mut self.r] {
            *e = match *e {
                Ex::R(x) => Ex::R(reg(x)),
                Ex::I(i) => Ex::I(i),
                Ex::Add(x, y) => Ex::Add(reg(x), arg(y)),
                Ex::Sub(x, y) => Ex::Sub(reg(x), arg(y)),
                Ex::And(x, y) => Ex::And(reg(x), arg(y)),
            };
        }
        self
    }

    /// The same record after `r += disp`, if `r` appears only on its own.
    fn less(mut self, r: AsmRegister32, disp: u32) -> Option<Rec> {
        for e in [&mut self.a, &mut self.b, &mut self.r] {
            match *e {
                Ex::R(x) if x == r => *e = Ex::Sub(r, Arg::I(disp)),
                Ex::Add(x, y) | Ex::Sub(x, y) | Ex::And(x, y) if x == r || y == Arg::R(r) => {
                    return None
                }
                _ => {}
            }
        }
        Some(self)
    }

    /// The guest registers its parts are computed from.
    fn uses(&self, r: AsmRegister32) -> bool {
        [self.a, self.b, self.r].iter().any(|e| match *e {
            Ex::R(x) => x == r,
            Ex::I(_) => false,
            Ex::Add(x, y) | Ex::Sub(x, y) | Ex::And(x, y) => x == r || y == Arg::R(r),
        })
    }
}

/// What to translate.
pub struct Plan<'a> {
    /// The block's ops (the `Jit`'s copy: call-outs point into it).
    pub ops: &'a [Op],
    pub eip: u32,
    /// The translation's id, which a stop reports.
    pub id: u32,
    /// The TLB's policy is LRU: a hit stamps its entry.
    pub lru: bool,
}

/// The number the translation's first linkable exit gets (they are
/// numbered across translations, for `JitRegs::exit_site`).
pub struct Links {
    pub first: usize,
}

/// A translation.
pub struct Code {
    pub bytes: Vec<u8>,
    /// Offset of the entry for linked exits.
    pub top: u64,
    /// Its linkable exits, in order.
    pub exits: Vec<Site>,
}

/// A linkable exit: to `eip`, in the same page. Until linked its jump
/// goes to the next instruction, which leaves; linking patches the jump's
/// target (`jmp`, the offset of a `jmp rel32`).
#[derive(Clone, Copy)]
pub struct Site {
    pub eip: u32,
    pub jmp: u64,
}

struct Em<'a> {
    a: CodeAssembler,
    ops: &'a [Op],
    eip0: u32,
    id: u32,
    lru: bool,
    h: &'a Helpers,
    links: Links,
    /// Linkable exits so far: target EIP, labels of the patched bytes.
    sites: Vec<(u32, CodeLabel)>,
    /// The block's constants, after its code: `Count::charge(n)` by n.
    pool: Vec<(u32, CodeLabel)>,
    /// The block's instruction count (a loop back to its start checks it).
    insns: u32,
    /// The host's status flags are the guest's (set by the same operation).
    host_valid: bool,
    /// The operation that set them, while `host_valid` (a logic op leaves
    /// the host's AF undefined where the guest's is 0).
    host_kind: Lazy,
    /// The lazy record of the op being emitted can be seen (`record_seen`).
    keep: bool,
    /// The `sign` the record holds on every path to here, when known
    /// (stored by an earlier op of this pass through the block).
    sign: Option<u32>,
    /// Emitting an op whose record is left out: `rec` and `result` store
    /// nothing.
    defer: bool,
    /// The record left out of the hot path on this path, if any (`Rec`).
    pending: Option<Rec>,
    /// The record a loop back to the block's start carries to the loop
    /// copy, once one does.
    loop_rec: Option<Rec>,
    /// Still in the first copy: a loop back may ask for the loop copy.
    first_pass: bool,
    /// Emitting a tail copy (`tail`), and how many ops those copies hold.
    in_tail: bool,
    tail_ops: usize,
    /// Per guest register, another that holds the same value (set by a
    /// mov between them on this path, dropped when either changes).
    same: [Option<usize>; 8],
    /// After a load or store whose host address is still in rax and its
    /// slot's `reuse` in rdi (`lookup`).
    last: bool,
    /// What a loop back to the block's start leaves in `last`, for the
    /// loop copy (part of what such a loop must agree on with `loop_rec`).
    loop_last: bool,
    top: CodeLabel,
    /// Where the first pass starts (the CPU charged it; a loop back to the
    /// block's start charges the next pass itself).
    first: CodeLabel,
    loop_top: CodeLabel,
    /// Where a pass the budget does not take leaves (from `top` or a loop
    /// back to `first`; from a loop back to `loop_top`, the loop's record
    /// put).
    no_room: CodeLabel,
    loop_no_room: CodeLabel,
    store_and_leave: CodeLabel,
    leave: CodeLabel,
    /// Per op: the label that leaves with the op stopped (made on demand).
    stops: Vec<Option<CodeLabel>>,
    full: Vec<Full>,
    slow: Vec<Slow>,
    stale: Vec<Stale>,
    taken: Vec<Taken>,
    /// The op being emitted, its address and the next instruction's.
    k: usize,
    at: u32,
    next: u32,
}

/// The translation of the block of `ops` at `eip`, assembled for host
/// address `ip`; `None` when it starts with an op that would be a call-out
/// (the interpreter's fast path runs such a block as well as a
/// translation would).
pub fn block(plan: &Plan, h: &Helpers, links: Links, ip: u64) -> Option<Code> {
    if !inline(plan.ops.first()?) {
        return None;
    }
    let mut e = Em::new(plan, h, links).ok()?;
    e.body().ok()?;
    let r =
        e.a.assemble_options(ip, BlockEncoderOptions::RETURN_NEW_INSTRUCTION_OFFSETS)
            .ok()?;
    let top = r.label_ip(&e.top).ok()? - ip;
    let mut exits = Vec::with_capacity(e.sites.len());
    for (eip, jmp) in &e.sites {
        exits.push(Site {
            eip: *eip,
            jmp: r.label_ip(jmp).ok()? - ip,
        });
    }
    Some(Code {
        bytes: r.inner.code_buffer,
        top,
        exits,
    })
}

type Res = Result<(), IcedError>;

impl<'a> Em<'a> {
    fn new(plan: &Plan<'a>, h: &'a Helpers, links: Links) -> Result<Em<'a>, IcedError> {
        let mut a = CodeAssembler::new(64)?;
        let (top, store_and_leave, leave) = (a.create_label(), a.create_label(), a.create_label());
        let (loop_top, first) = (a.create_label(), a.create_label());
        let (no_room, loop_no_room) = (a.create_label(), a.create_label());
        let ops = plan.ops;
        Ok(Em {
            a,
            ops,
            eip0: plan.eip,
            id: plan.id,
            lru: plan.lru,
            h,
            links,
            sites: Vec::new(),
            pool: Vec::new(),
            insns: ops.len() as u32,
            host_valid: false,
            host_kind: Lazy::Done,
            keep: true,
            sign: None,
            defer: false,
            pending: None,
            loop_rec: None,
            first_pass: true,
            in_tail: false,
            tail_ops: 0,
            same: [None; 8],
            last: false,
            loop_last: false,
            top,
            first,
            loop_top,
            no_room,
            loop_no_room,
            store_and_leave,
            leave,
            stops: vec![None; ops.len()],
            full: Vec::new(),
            slow: Vec::new(),
            stale: Vec::new(),
            taken: Vec::new(),
            k: 0,
            at: plan.eip,
            next: plan.eip,
        })
    }

    fn body(&mut self) -> Res {
        // Prologue: System V callee-saved registers, the stack 16-aligned
        // for call-outs, the context and the guest's registers.
        for r in [rbx, rbp, r12, r13, r14, r15] {
            self.a.push(r)?;
        }
        self.a.sub(rsp, 8)?;
        self.a.mov(rbp, rdi)?;
        self.a.mov(rbx, qword_ptr(rbp + C_HOT))?;
        self.load_regs(8)?;
        self.a.mov(rdx, qword_ptr(rbp + C_COUNT))?;
        self.a.jmp(self.first)?;
        self.a.set_label(&mut self.top)?;
        self.charge(self.no_room)?;
        self.a.set_label(&mut self.first)?;
        self.pass(None, false)?;
        self.first_pass = false;
        if let Some(rec) = self.loop_rec {
            self.a.set_label(&mut self.loop_top)?;
            self.pass(Some(rec), self.loop_last)?;
        }
        self.out_of_line()
    }

    /// One copy of the block's ops; `pending` is the record the previous
    /// pass left out (the loop copy).
    fn pass(&mut self, pending: Option<Rec>, last: bool) -> Res {
        self.ops_from(0, pending, last)
    }

    /// The block's ops from op `from` on, to its end: a pass, or a tail
    /// copy (the way a jcc to a later op of the block goes on).
    fn ops_from(&mut self, from: usize, pending: Option<Rec>, last: bool) -> Res {
        self.host_valid = false;
        self.sign = None;
        self.pending = pending;
        self.same = [None; 8];
        self.last = last;
        let mut at = self.address_of(from);
        let mut open = true;
        for k in from..self.ops.len() {
            let op = self.ops[k];
            self.k = k;
            self.at = at;
            self.next = at.wrapping_add(op.len as u32);
            self.keep = record_seen(self.ops, k);
            open = self.op(&op)?;
            at = self.next;
        }
        if open {
            // The block's end (or the first op left to the interpreter).
            self.exit_to(at, self.ops.len() as u32, self.pending, self.last)?;
        }
        Ok(())
    }

    /// The guest address of op `k`.
    fn address_of(&self, k: usize) -> u32 {
        let len: u32 = self.ops[..k].iter().map(|op| op.len as u32).sum();
        self.eip0.wrapping_add(len)
    }

    /// Where a jcc taken at op `t.retired - 1` goes on in a copy of the
    /// rest of the block instead of leaving: a later op of the block at
    /// its target, if the copies stay within about the block's length.
    fn tail_start(&self, t: &Taken) -> Option<usize> {
        if !t.in_pass {
            return None;
        }
        let from = t.retired as usize;
        let j = (from..self.ops.len()).find(|&j| self.address_of(j) == t.target)?;
        let copied = self.tail_ops + self.ops.len() - j;
        (copied <= self.ops.len() + 16).then_some(j)
    }

    /// Before `op`, with a record pending: it is dead once an op
    /// overwrites it; it is put now if this op could see it, or would
    /// change a register it is computed from while a later op still could.
    /// Otherwise loads and stores put it on their call-outs, jumps on the
    /// exits they take.
    fn before(&mut self, op: &Op) -> Res {
        let Some(rec) = self.pending else {
            return Ok(());
        };
        if kills(op) {
            self.pending = None;
            return Ok(());
        }
        let passes = transparent(op)
            || moves_memory(op)
            || (incdec(op) && !self.keep)
            || ((jumps(op) || op.kind == Kind::SetccR) && self.host_valid);
        if passes && clobbers(self.ops, self.k, &rec) {
            // Still computable after the op if another register holds the
            // value, or the op only adds a constant to it.
            if let Some(r) = self.rewrite(rec, op) {
                self.pending = Some(r);
                return Ok(());
            }
        }
        if !passes || clobbers(self.ops, self.k, &rec) {
            self.put_rec(&rec)?;
            self.sign = Some(SIGN);
            self.host_valid = false;
            self.pending = None;
            self.last = false;
        }
        Ok(())
    }

    /// `rec` computed from the registers as `op` leaves them: a register it
    /// overwrites replaced by a copy (`same`, so also right before the op,
    /// for its call-out), or by itself less what an `lea r, [r + disp]`
    /// adds (right only after it; an lea has no call-out); `None` when
    /// neither does.
    fn rewrite(&self, mut rec: Rec, op: &Op) -> Option<Rec> {
        let w = writes(op);
        for r in w.iter().flatten().copied() {
            if !rec.uses(G[r]) {
                continue;
            }
            let copy = (0..8).find(|&c| {
                c != r
                    && !w.contains(&Some(c))
                    && (self.same[c] == Some(r) || self.same[r] == Some(c))
            });
            rec = match copy {
                Some(c) => rec.renamed(G[r], G[c]),
                None if op.kind == Kind::Lea32 && lea_adds(op) == Some(r) => {
                    rec.less(G[r], op.m.disp)?
                }
                None => return None,
            };
        }
        Some(rec)
    }

    /// Whether `op`'s code leaves rax and rdi as `last` says: it touches
    /// neither (register moves, ALU ops on registers that need no eax, jumps
    /// and setcc with the host's flags at hand), or it is a load into a
    /// register or a store, whose lookup sets `last`.
    fn keeps_last(&self, op: &Op) -> bool {
        use Kind as K;
        let stored = self.keep && !self.defer;
        if let Some((sub, form)) = alu_form(op) {
            // cmp and test compute into eax when their record is stored;
            // `test r,r` never does.
            let same = op.kind == K::Test32RR && op.r1 & 7 == op.r2 & 7;
            return form != Form::Mem && (!matches!(sub, A::CMP | A::TEST) || !stored || same);
        }
        match op.kind {
            K::Nop | K::Mov32RR | K::MovRI | K::Not32 | K::Movzw32RR | K::Movsw32RR | K::Lea32 => {
                true
            }
            K::Neg32 | K::Shl32RI | K::Shr32RI | K::Sar32RI | K::Shl32RC | K::Shr32RC => true,
            K::Sar32RC => true,
            K::Inc32 | K::Dec32 => !self.keep || self.host_valid,
            K::SetccR => self.host_valid,
            K::Mov32RM | K::Mov32MR | K::Mov32MI | K::Mov8MR | K::Mov8MI | K::Push32R => true,
            K::Movzb32RM | K::Movsb32RM | K::Movzw32RM | K::Movsw32RM => true,
            _ => jumps(op) && self.host_valid,
        }
    }

    /// Keep `same` (which guest register holds a copy of which) past `op`.
    fn track_copies(&mut self, op: &Op) {
        let w = writes(op);
        for r in w.into_iter().flatten() {
            self.same[r] = None;
            for c in self.same.iter_mut().filter(|c| **c == Some(r)) {
                *c = None;
            }
        }
        if op.kind == Kind::Mov32RR && op.r1 & 7 != op.r2 & 7 {
            self.same[op.r1 as usize & 7] = Some(op.r2 as usize & 7);
        }
    }

    /// Store a record left out of the hot path (eax scratch).
    fn put_rec(&mut self, r: &Rec) -> Res {
        let parts = [(F_A, r.a), (F_B, r.b), (F_R, r.r)];
        // A logic op's flags follow from its result alone.
        let skip = if r.l == Lazy::Logic { 2 } else { 0 };
        for &(field, e) in &parts[skip..] {
            match e {
                Ex::R(x) => self.a.mov(dword_ptr(rbp + field), x)?,
                Ex::I(i) => self.a.mov(dword_ptr(rbp + field), i)?,
                Ex::Add(x, y) | Ex::Sub(x, y) | Ex::And(x, y) => {
                    self.a.mov(eax, x)?;
                    match (e, y) {
                        (Ex::Add(..), Arg::R(y)) => self.a.add(eax, y)?,
                        (Ex::Add(..), Arg::I(i)) => self.a.add(eax, i as i32)?,
                        (Ex::Sub(..), Arg::R(y)) => self.a.sub(eax, y)?,
                        (Ex::Sub(..), Arg::I(i)) => self.a.sub(eax, i as i32)?,
                        (_, Arg::R(y)) => self.a.and(eax, y)?,
                        (_, Arg::I(i)) => self.a.and(eax, i as i32)?,
                    }
                    self.a.mov(dword_ptr(rbp + field), eax)?;
                }
            }
        }
        self.a.mov(byte_ptr(rbp + F_OP), lazy(r.l) as u32)?;
        self.a.mov(dword_ptr(rbp + F_SIGN), SIGN)
    }

    fn load_regs(&mut self, n: usize) -> Res {
        for (i, g) in G.iter().enumerate().take(n) {
            self.a.mov(*g, dword_ptr(rbp + R + 4 * i as i32))?;
        }
        Ok(())
    }

    fn store_regs(&mut self, n: usize) -> Res {
        for (i, g) in G.iter().enumerate().take(n) {
            self.a.mov(dword_ptr(rbp + R + 4 * i as i32), *g)?;
        }
        Ok(())
    }

    /// Go on to `eip` with `retired` instructions of the block retired:
    /// into the block again when that is its own start and the budget
    /// takes another pass, into the linked translation of a block in the
    /// same page (whose start checks the budget, `charge`); else leave.
    /// `rec`, a record left out of the hot path, is put on the way unless
    /// the way is the loop copy.
    fn exit_to(&mut self, eip: u32, retired: u32, rec: Option<Rec>, last: bool) -> Res {
        if eip == self.eip0 && self.first_pass && self.loop_rec.is_none() {
            (self.loop_rec, self.loop_last) = (rec, last);
        }
        let looped =
            eip == self.eip0 && rec.is_some() && rec == self.loop_rec && last == self.loop_last;
        if let (Some(r), false) = (rec, looped) {
            self.put_rec(&r)?;
        }
        if eip == self.eip0 {
            // The next pass charged at once, less what this one left unrun
            // (`charge` and `refund` in one add).
            let c = self.pool(retired);
            self.a.add(rdx, qword_ptr(c))?;
            return if looped {
                self.a.jns(self.loop_no_room)?;
                self.a.jmp(self.loop_top)
            } else {
                self.a.jns(self.no_room)?;
                self.a.jmp(self.first)
            };
        }
        self.refund(self.insns - retired)?;
        if eip >> 12 == self.eip0 >> 12 {
            // A `jmp rel32` where linking patches, which until then goes
            // to the next instruction.
            let i = self.links.first + self.sites.len();
            let mut jmp = self.a.create_label();
            self.a.set_label(&mut jmp)?;
            self.a.db(&[0xe9, 0, 0, 0, 0])?;
            self.sites.push((eip, jmp));
            self.a.mov(dword_ptr(rbp + C_EXIT_SITE), i as u32)?;
        }
        self.a.mov(dword_ptr(rbp + EIP), eip)?;
        self.a.xor(eax, eax)?;
        self.a.jmp(self.store_and_leave)
    }

    /// A pass's start: its whole length charged, and on only if the budget
    /// takes it (the charge leaves the count's sign bit set), else to
    /// `no_room`.
    fn charge(&mut self, no_room: CodeLabel) -> Res {
        let c = self.pool(self.insns);
        self.a.add(rdx, qword_ptr(c))?;
        self.a.jns(no_room)
    }

    /// Give back the charge of `n` instructions of the pass that will not
    /// run.
    fn refund(&mut self, n: u32) -> Res {
        if n > 0 {
            let c = self.pool(n);
            self.a.sub(rdx, qword_ptr(c))?;
        }
        Ok(())
    }

    /// The label of the constant `Count::charge(n)`.
    fn pool(&mut self, n: u32) -> CodeLabel {
        if let Some(&(_, l)) = self.pool.iter().find(|(m, _)| *m == n) {
            return l;
        }
        let l = self.a.create_label();
        self.pool.push((n, l));
        l
    }

    /// Emit one op; false when it left the block on every path.
    fn op(&mut self, op: &Op) -> Result<bool, IcedError> {
        self.before(op)?;
        if !inline(op) {
            self.same = [None; 8];
            self.last = false;
            return self.interp(op);
        }
        self.defer = self.keep && defers(self.ops, self.k);
        let keeps_last = self.keeps_last(op);
        let open = self.op_inline(op)?;
        if !keeps_last {
            self.last = false;
        }
        self.track_copies(op);
        if self.defer {
            self.defer = false;
            self.pending = rec_of(op);
        }
        Ok(open)
    }

    fn op_inline(&mut self, op: &Op) -> Result<bool, IcedError> {
        use Kind as K;
        let (d, s) = (G[op.r1 as usize & 7], G[op.r2 as usize & 7]);
        if let Some((sub, form)) = alu_form(op) {
            let src = match form {
                Form::Reg => Src::Reg(s),
                Form::Imm => Src::Imm(op.imm),
                Form::Mem => Src::Mem,
            };
            self.alu(sub, op, src)?;
            return Ok(true);
        }
        match op.kind {
            K::Nop => {}
            K::MovRI => self.a.mov(d, op.imm)?,
            K::Mov32RR => self.a.mov(d, s)?,
            K::Mov32RM => {
                self.ea(op)?;
                self.load_to(4, To::Zx(d))?;
            }
            K::Mov32MR => {
                self.ea(op)?;
                self.store(4, Val::R(d), Post::None, self.next)?;
            }
            K::Mov32MI => {
                self.ea(op)?;
                self.store(4, Val::I(op.imm), Post::None, self.next)?;
            }
            K::Mov8MR => {
                self.ea(op)?;
                let v = if op.r1 & 7 < 4 {
                    Val::R(d)
                } else {
                    self.byte_of(ecx, op.r1)?;
                    Val::R(ecx)
                };
                self.store(1, v, Post::None, self.next)?;
            }
            K::Mov8MI => {
                self.ea(op)?;
                self.store(1, Val::I(op.imm & 0xff), Post::None, self.next)?;
            }
            K::Lea32 if op.m.seg & 3 == 0 => self.lea(op, d)?,
            K::Lea32 => {
                self.ea(op)?;
                self.a.mov(d, esi)?;
            }
            K::Push32R => {
                self.a.lea(esi, ptr(G64[ESP] - 4))?;
                self.store(4, Val::R(d), Post::Push, self.next)?;
                self.a.lea(G[ESP], ptr(G64[ESP] - 4))?;
            }
            K::Pop32R => {
                self.a.mov(esi, G[ESP])?;
                self.load(4)?;
                self.a.lea(G[ESP], ptr(G64[ESP] + 4))?;
                self.a.mov(d, eax)?;
            }
            K::Inc32 | K::Dec32 => {
                // CF is kept: the old one goes to `cin`. Not needed when
                // the record is not seen (a later op writes every flag).
                if self.keep {
                    self.host_flags()?;
                    self.a.setb(byte_ptr(rbp + F_CIN))?;
                }
                self.rec(F_A, d)?;
                self.rec(F_B, 1u32)?;
                let l = if op.kind == K::Inc32 {
                    self.a.inc(d)?;
                    Lazy::Inc
                } else {
                    self.a.dec(d)?;
                    Lazy::Dec
                };
                self.result(l, SIGN, d)?;
                // Unless CF was loaded first, the host's CF is not the guest's.
                self.host_valid = self.keep;
            }
            K::Cmp32MI => {
                self.ea(op)?;
                self.load(4)?;
                self.rec(F_A, eax)?;
                self.rec(F_B, op.imm)?;
                self.a.sub(eax, op.imm)?;
                self.result(Lazy::Sub, SIGN, eax)?;
                self.host_valid = true;
            }
            K::Cmp8MI => {
                self.ea(op)?;
                self.load(1)?;
                self.rec(F_A, eax)?;
                self.rec(F_B, op.imm)?;
                self.a.sub(al, (op.imm & 0xff) as i32)?;
                self.a.movzx(eax, al)?;
                self.result(Lazy::Sub, 0x80, eax)?;
                self.host_valid = true;
            }
            K::Shl32RI | K::Shr32RI | K::Sar32RI => {
                let n = op.imm & 31;
                self.rec(F_A, d)?;
                self.rec(F_B, n)?;
                let l = self.shift(op.kind, d, Some(n))?;
                self.result(l, SIGN, d)?;
                self.host_valid = false;
            }
            K::Shl32RC | K::Shr32RC | K::Sar32RC => {
                // A count of 0 changes nothing, flags included.
                let mut skip = self.a.create_label();
                self.a.mov(ecx, G[1])?;
                self.a.and(ecx, 31)?;
                self.a.jz(skip)?;
                let sign = self.sign;
                self.rec(F_A, d)?;
                self.rec(F_B, ecx)?;
                let l = self.shift(op.kind, d, None)?;
                self.result(l, SIGN, d)?;
                if self.sign != sign {
                    self.sign = None;
                }
                self.a.set_label(&mut skip)?;
                self.a.zero_bytes()?;
                self.host_valid = false;
            }
            K::Imul2RR | K::Imul2RM | K::Imul3R | K::Imul3M => {
                if matches!(op.kind, K::Imul2RM | K::Imul3M) {
                    self.ea(op)?;
                    self.load(4)?;
                } else {
                    self.a.mov(eax, s)?;
                }
                match op.kind {
                    K::Imul2RR | K::Imul2RM => self.a.imul_2(d, eax)?,
                    _ => self.a.imul_3(d, eax, op.imm as i32)?,
                }
                // `set_result`: CF = OF = the product did not fit, SF ZF
                // PF from the result, AF 0, all computed now.
                self.a.seto(cl)?;
                self.a.test(d, d)?;
                self.a.pushfq()?;
                self.a.pop(rax)?;
                self.a.and(eax, (ZF | SF | PF) as i32)?;
                self.a.movzx(ecx, cl)?;
                self.a.imul_3(ecx, ecx, (CF | OF) as i32)?;
                self.a.or(eax, ecx)?;
                self.done_flags(STATUS)?;
                self.host_valid = false;
            }
            K::ShiftR => {
                // rol/ror (only with the host's flags at hand: the other
                // status flags are materialised from them first).
                let n = op.imm & 31;
                if n != 0 {
                    if !self.host_valid {
                        return self.interp(op);
                    }
                    self.materialise()?;
                    if op.sub == 0 {
                        self.a.rol(d, n)?;
                        // CF = the new LSB, OF = MSB xor CF.
                        self.a.mov(eax, d)?;
                        self.a.and(eax, 1)?;
                        self.a.mov(ecx, d)?;
                        self.a.shr(ecx, 31)?;
                        self.a.xor(ecx, eax)?;
                    } else {
                        self.a.ror(d, n)?;
                        // CF = the new MSB, OF = the two top bits differ.
                        self.a.mov(eax, d)?;
                        self.a.shr(eax, 31)?;
                        self.a.mov(ecx, d)?;
                        self.a.shr(ecx, 30)?;
                        self.a.xor(ecx, eax)?;
                        self.a.and(ecx, 1)?;
                    }
                    self.a.shl(ecx, 11)?;
                    self.a.or(eax, ecx)?;
                    self.done_flags(CF | OF)?;
                    self.host_valid = false;
                }
            }
            K::Neg32 => {
                self.rec(F_A, 0u32)?;
                self.rec(F_B, d)?;
                self.a.neg(d)?;
                self.result(Lazy::Sub, SIGN, d)?;
                self.host_valid = true;
            }
            K::Not32 => self.a.not(d)?,
            K::SetccR => {
                self.host_flags()?;
                let b = low8(d);
                match op.sub & 15 {
                    0 => self.a.seto(b)?,
                    1 => self.a.setno(b)?,
                    2 => self.a.setb(b)?,
                    3 => self.a.setae(b)?,
                    4 => self.a.sete(b)?,
                    5 => self.a.setne(b)?,
                    6 => self.a.setbe(b)?,
                    7 => self.a.seta(b)?,
                    8 => self.a.sets(b)?,
                    9 => self.a.setns(b)?,
                    10 => self.a.setp(b)?,
                    11 => self.a.setnp(b)?,
                    12 => self.a.setl(b)?,
                    13 => self.a.setge(b)?,
                    14 => self.a.setle(b)?,
                    _ => self.a.setg(b)?,
                }
            }
            K::Int => {
                // `int 0x80`: leave with it stopped by the system call, as
                // the interpreter's call-out would (exit code 3).
                self.a.mov(dword_ptr(rbp + C_STOP_OP), self.k as u32)?;
                self.a.mov(dword_ptr(rbp + C_STOP_ID), self.id)?;
                self.a.mov(dword_ptr(rbp + EIP), self.at)?;
                self.refund(self.insns - self.k as u32)?;
                self.a.mov(eax, 3)?;
                self.a.jmp(self.store_and_leave)?;
                return Ok(false);
            }
            K::Movzb32RR => {
                self.byte_of(eax, op.r2)?;
                self.a.mov(d, eax)?;
            }
            K::Movsb32RR => {
                self.byte_of(eax, op.r2)?;
                self.a.movsx(d, al)?;
            }
            K::Movzw32RR => self.a.movzx(d, G16[op.r2 as usize & 7])?,
            K::Movsw32RR => self.a.movsx(d, G16[op.r2 as usize & 7])?,
            K::Movzb32RM | K::Movsb32RM | K::Movzw32RM | K::Movsw32RM => {
                self.ea(op)?;
                let byte = matches!(op.kind, K::Movzb32RM | K::Movsb32RM);
                let to = match op.kind {
                    K::Movsb32RM | K::Movsw32RM => To::Sx(d),
                    _ => To::Zx(d),
                };
                self.load_to(if byte { 1 } else { 2 }, to)?;
            }
            K::Jmp => {
                self.exit_to(
                    self.next.wrapping_add(op.imm),
                    self.k as u32 + 1,
                    self.pending,
                    self.last,
                )?;
                return Ok(false);
            }
            K::Call => {
                let target = self.next.wrapping_add(op.imm);
                self.a.lea(esi, ptr(G64[ESP] - 4))?;
                self.store(4, Val::I(self.next), Post::Push, target)?;
                self.a.lea(G[ESP], ptr(G64[ESP] - 4))?;
                self.exit_to(target, self.k as u32 + 1, self.pending, false)?;
                return Ok(false);
            }
            K::Ret => {
                self.a.mov(esi, G[ESP])?;
                self.load(4)?;
                self.a.lea(G[ESP], ptr(G64[ESP] + 4 + op.imm as i32))?;
                self.a.mov(dword_ptr(rbp + EIP), eax)?;
                self.refund(self.insns - self.k as u32 - 1)?;
                self.a.xor(eax, eax)?;
                self.a.jmp(self.store_and_leave)?;
                return Ok(false);
            }
            _ => {
                // A jcc (inline() lets no other kind through).
                let cc = op.kind as u8 - Kind::Jo as u8;
                let target = self.next.wrapping_add(op.imm);
                self.host_flags()?;
                let retired = self.k as u32 + 1;
                let mut label = self.a.create_label();
                if target == self.eip0 {
                    // A loop back to the block's start: that way falls
                    // through, the other jumps.
                    self.jcc(cc ^ 1, label)?;
                    self.exit_to(target, retired, self.pending, self.last)?;
                    self.a.set_label(&mut label)?;
                    if op.flags & EXIT != 0 {
                        return Ok(true);
                    }
                    self.exit_to(self.next, retired, self.pending, self.last)?;
                    return Ok(false);
                }
                self.jcc(cc, label)?;
                if op.flags & EXIT != 0 {
                    self.taken.push(Taken {
                        label,
                        target,
                        retired,
                        in_pass: !self.in_tail,
                        rec: self.pending,
                        last: self.last,
                    });
                } else {
                    self.exit_to(self.next, retired, self.pending, self.last)?;
                    self.a.set_label(&mut label)?;
                    self.exit_to(target, retired, self.pending, self.last)?;
                    return Ok(false);
                }
            }
        }
        Ok(true)
    }

    /// `op` run by the interpreter: the registers stored, EIP past it, the
    /// call-out, the registers loaded again (it may have changed any).
    /// False when it was the block's last op (it set EIP, maybe by a branch).
    fn interp(&mut self, op: &Op) -> Result<bool, IcedError> {
        self.store_regs(8)?;
        self.a.mov(dword_ptr(rbp + EIP), self.next)?;
        // The call-out sees the count without this pass (`ctx::interp`).
        self.refund(self.insns)?;
        self.a.mov(qword_ptr(rbp + C_COUNT), rdx)?;
        self.a.mov(rdi, rbp)?;
        let at = self.ops.as_ptr() as u64 + (self.k * std::mem::size_of::<Op>()) as u64;
        self.a.mov(rsi, at)?;
        self.a.mov(rax, self.h.interp)?;
        self.a.call(rax)?;
        self.load_regs(8)?;
        self.a.mov(rdx, qword_ptr(rbp + C_COUNT))?;
        let c = self.pool(self.insns);
        self.a.add(rdx, qword_ptr(c))?;
        self.host_valid = false;
        self.sign = None;
        let stop = self.stop_label(self.k);
        self.a.cmp(eax, 1)?;
        self.a.je(stop)?;
        if op.flags & WRITES != 0 {
            let stale = self.a.create_label();
            self.stale.push(Stale {
                label: stale,
                k: self.k,
                post: Post::Done,
                eip: 0,
            });
            self.a.cmp(eax, 2)?;
            self.a.je(stale)?;
        }
        if op.flags & LAST != 0 {
            self.refund(self.insns - self.k as u32 - 1)?;
            self.a.xor(eax, eax)?;
            self.a.jmp(self.leave)?;
            return Ok(false);
        }
        Ok(true)
    }

    /// A 32-bit ALU op of `d` with `src`, flags recorded as `alu32` does.
    fn alu(&mut self, sub: u8, op: &Op, src: Src) -> Res {
        let d = G[op.r1 as usize & 7];
        let stored = self.keep && !self.defer;
        if let Src::Mem = src {
            self.ea(op)?;
            self.load(4)?;
            self.a.mov(ecx, eax)?;
        }
        // The operands are recorded first: `d` may be `src` too. A logic
        // op's flags follow from its result alone (`Flags`): no operands.
        if !matches!(sub, A::AND | A::OR | A::XOR | A::TEST) {
            self.rec(F_A, d)?;
            match src {
                Src::Reg(r) => self.rec(F_B, r)?,
                Src::Imm(i) => self.rec(F_B, i)?,
                Src::Mem => self.rec(F_B, ecx)?,
            }
        }
        // `test r,r`: the result is r.
        if let (A::TEST, Src::Reg(r)) = (sub, src) {
            if r == d {
                self.a.test(d, d)?;
                self.result(Lazy::Logic, SIGN, d)?;
                self.host_valid = true;
                return Ok(());
            }
        }
        // cmp and test compute into eax and keep `d` (when the result is
        // stored; else the host's own cmp and test do).
        let out = if (sub == A::CMP || sub == A::TEST) && stored {
            self.a.mov(eax, d)?;
            eax
        } else {
            d
        };
        let b = match src {
            Src::Reg(r) => Some(r),
            Src::Mem => Some(ecx),
            Src::Imm(_) => None,
        };
        match (sub, b) {
            (A::CMP, Some(r)) if !stored => self.a.cmp(out, r)?,
            (A::CMP, None) if !stored => self.a.cmp(out, src.imm())?,
            (A::TEST, Some(r)) if !stored => self.a.test(out, r)?,
            (A::TEST, None) if !stored => self.a.test(out, src.imm())?,
            (A::ADD, Some(r)) => self.a.add(out, r)?,
            (A::ADD, None) => self.a.add(out, src.imm())?,
            (A::SUB | A::CMP, Some(r)) => self.a.sub(out, r)?,
            (A::SUB | A::CMP, None) => self.a.sub(out, src.imm())?,
            (A::AND | A::TEST, Some(r)) => self.a.and(out, r)?,
            (A::AND | A::TEST, None) => self.a.and(out, src.imm())?,
            (A::OR, Some(r)) => self.a.or(out, r)?,
            (A::OR, None) => self.a.or(out, src.imm())?,
            (_, Some(r)) => self.a.xor(out, r)?,
            (_, None) => self.a.xor(out, src.imm())?,
        }
        let l = match sub {
            A::ADD => Lazy::Add,
            A::SUB | A::CMP => Lazy::Sub,
            _ => Lazy::Logic,
        };
        self.result(l, SIGN, out)?;
        self.host_valid = true;
        Ok(())
    }

    /// Store an operand of the lazy record, unless the record is dead.
    fn rec<V: Into<Val>>(&mut self, field: i32, v: V) -> Res {
        if !self.keep || self.defer {
            return Ok(());
        }
        match v.into() {
            Val::R(r) => self.a.mov(dword_ptr(rbp + field), r),
            Val::I(i) => self.a.mov(dword_ptr(rbp + field), i),
        }
    }

    /// Status flags computed now (`Flags::put`, `set_result`): the bits of
    /// `mask` from eax, the record marked done. Clobbers edi.
    fn done_flags(&mut self, mask: u32) -> Res {
        self.a.mov(edi, dword_ptr(rbp + F_BITS))?;
        self.a.and(edi, !mask as i32)?;
        self.a.or(edi, eax)?;
        self.a.mov(dword_ptr(rbp + F_BITS), edi)?;
        self.a.mov(byte_ptr(rbp + F_OP), lazy(Lazy::Done) as u32)
    }

    /// `Flags::materialise` with the host's flags the guest's
    /// (`host_valid`): their status bits into the record, marked done.
    fn materialise(&mut self) -> Res {
        self.a.pushfq()?;
        self.a.pop(rax)?;
        let mask = match self.host_kind {
            Lazy::Logic => STATUS & !AF,
            _ => STATUS,
        };
        self.a.and(eax, mask as i32)?;
        self.done_flags(STATUS)
    }

    /// The rest of a lazy record after the operation: result, kind, sign.
    /// (Plain moves: the host flags the operation set survive.)
    fn result(&mut self, l: Lazy, sign: u32, r: AsmRegister32) -> Res {
        self.host_kind = l;
        if !self.keep || self.defer {
            return Ok(());
        }
        self.a.mov(dword_ptr(rbp + F_R), r)?;
        self.a.mov(byte_ptr(rbp + F_OP), lazy(l) as u32)?;
        if self.sign != Some(sign) {
            self.a.mov(dword_ptr(rbp + F_SIGN), sign)?;
            self.sign = Some(sign);
        }
        Ok(())
    }

    fn shift(&mut self, k: Kind, d: AsmRegister32, n: Option<u32>) -> Result<Lazy, IcedError> {
        use Kind as K;
        Ok(match (k, n) {
            (K::Shl32RI, Some(n)) => {
                self.a.shl(d, n)?;
                Lazy::Shl
            }
            (K::Shr32RI, Some(n)) => {
                self.a.shr(d, n)?;
                Lazy::Shr
            }
            (_, Some(n)) => {
                self.a.sar(d, n)?;
                Lazy::Sar
            }
            (K::Shl32RC, None) => {
                self.a.shl(d, cl)?;
                Lazy::Shl
            }
            (K::Shr32RC, None) => {
                self.a.shr(d, cl)?;
                Lazy::Shr
            }
            (_, None) => {
                self.a.sar(d, cl)?;
                Lazy::Sar
            }
        })
    }

    /// Byte register `r` (AL..BH) zero-extended into `to`.
    fn byte_of(&mut self, to: AsmRegister32, r: u8) -> Res {
        let r = r as usize & 7;
        if r < 4 {
            self.a.movzx(to, G8[r])
        } else {
            self.a.mov(to, G[r & 3])?;
            self.a.shr(to, 8)?;
            self.a.and(to, 0xff)?;
            self.host_valid = false;
            Ok(())
        }
    }

    /// The effective address of `op.m` into esi, as `State::ea`.
    fn ea(&mut self, op: &Op) -> Res {
        let m = op.m;
        self.lea(op, esi)?;
        if m.seg & 3 != 0 {
            self.a
                .add(esi, dword_ptr(rbp + SEG_BASE + 4 * (m.seg & 3) as i32))?;
            self.host_valid = false;
        }
        Ok(())
    }

    /// The offset of `op.m` (no segment base) into `to`.
    fn lea(&mut self, op: &Op, to: AsmRegister32) -> Res {
        let m = op.m;
        let disp = m.disp as i32;
        match (m.base < NOREG, m.index < NOREG) {
            (true, true) => {
                let (b, i) = (G64[m.base as usize], G64[m.index as usize]);
                self.a.lea(to, ptr(b + i * (1 << (m.scale & 3)) + disp))
            }
            (true, false) => self.a.lea(to, ptr(G64[m.base as usize] + disp)),
            (false, true) => {
                let i = G64[m.index as usize];
                self.a.lea(to, ptr(i * (1 << (m.scale & 3)) + disp))
            }
            (false, false) => self.a.mov(to, m.disp),
        }
    }

    /// The inline TLB lookup for an access of `size` bytes at esi: on a
    /// hit the host address is rax + rsi, counted and stamped as
    /// `Tlb::lookup` does (the clock in edx advanced, the hit counted by
    /// that, `Tlb::absorb`); otherwise to the call-out at `slow`.
    fn lookup(&mut self, size: u32, write: bool, slow: CodeLabel, ecx_free: bool) -> Res {
        const _: () = assert!(T::HOT_STRIDE.is_power_of_two());
        self.host_valid = false;
        // The whole access is in the page the access before this one hit
        // (rdi holds that slot's `reuse`: the page's address, + 2^62 if the
        // entry is read-only, 2^63 after a call-out; rax its host address):
        // the same hit again, counted but not stamped. With nothing between
        // the two, the entry is already the most recently used one of the
        // TLB, so a second stamp would change no eviction.
        let reuse = std::mem::take(&mut self.last) && ecx_free;
        self.last = true;
        if reuse {
            let (full, mut hit) = (self.a.create_label(), self.a.create_label());
            self.a.mov(rcx, rsi)?;
            self.a.sub(rcx, rdi)?;
            self.a.cmp(rcx, (4096 - size) as i32)?;
            self.a.ja(full)?;
            self.a.inc(rdx)?;
            self.a.set_label(&mut hit)?;
            self.a.zero_bytes()?;
            // The full lookup out of line: a run of accesses to one page
            // takes no jump.
            self.full.push(Full {
                label: full,
                hit,
                size,
                write,
                slow,
            });
            return Ok(());
        }
        self.full_lookup(size, write, slow)
    }

    /// The lookup through the access's slot.
    fn full_lookup(&mut self, size: u32, write: bool, slow: CodeLabel) -> Res {
        // The slot of the first byte's page, the page of the last byte
        // compared with its tag: an access crossing into the next page
        // misses (that page's slot is another one) and the MMU splits it.
        let shift = 12 - T::HOT_STRIDE.trailing_zeros();
        self.a.mov(eax, esi)?;
        self.a.shr(eax, shift)?;
        self.a.and(eax, (T::HOT_SLOTS - 1) * T::HOT_STRIDE)?;
        if size == 1 {
            self.a.mov(edi, esi)?;
        } else {
            self.a.lea(edi, ptr(rsi + (size - 1)))?;
        }
        self.a.shr(edi, 12)?;
        let tag = if write { T::HOT_WVPN } else { T::HOT_VPN };
        self.a.cmp(edi, dword_ptr(rbx + rax + tag))?;
        self.a.jne(slow)?;
        self.a.inc(rdx)?;
        if self.lru {
            self.a.mov(dword_ptr(rbx + rax + T::HOT_STAMP), edx)?;
        }
        // For the next access.
        self.a.mov(rdi, qword_ptr(rbx + rax + T::HOT_REUSE))?;
        // The page's host address less its guest address: + esi is the
        // byte, inside the frame (the tag says the whole access is in it).
        self.a.mov(rax, qword_ptr(rbx + rax + T::HOT_HOST))
    }

    /// Load `size` bytes at esi into eax, zero-extended.
    fn load(&mut self, size: u32) -> Res {
        self.load_to(size, To::Eax)
    }

    /// Load `size` bytes at esi into `to`.
    fn load_to(&mut self, size: u32, to: To) -> Res {
        let (slow, mut back) = (self.a.create_label(), self.a.create_label());
        self.lookup(size, false, slow, true)?;
        let (r, sx) = match to {
            To::Eax => (eax, false),
            To::Zx(r) => (r, false),
            To::Sx(r) => (r, true),
        };
        match (size, sx) {
            (4, _) => self.a.mov(r, dword_ptr(rax + rsi))?,
            (2, false) => self.a.movzx(r, word_ptr(rax + rsi))?,
            (2, true) => self.a.movsx(r, word_ptr(rax + rsi))?,
            (_, false) => self.a.movzx(r, byte_ptr(rax + rsi))?,
            (_, true) => self.a.movsx(r, byte_ptr(rax + rsi))?,
        }
        self.a.set_label(&mut back)?;
        self.a.zero_bytes()?;
        self.slow.push(Slow {
            label: slow,
            back,
            kind: size,
            k: self.k,
            stale: None,
            rec: self.pending,
            to,
            val: None,
        });
        Ok(())
    }

    /// Store the low `size` bytes of ecx at esi. `post` and `eip` say how
    /// the instruction ends if the store makes code stale.
    fn store(&mut self, size: u32, v: Val, post: Post, eip: u32) -> Res {
        let (slow, mut back) = (self.a.create_label(), self.a.create_label());
        self.lookup(size, true, slow, !matches!(v, Val::R(r) if r == ecx))?;
        let at = ptr(rax + rsi);
        match (size, v) {
            (4, Val::R(r)) => self.a.mov(dword_ptr(at), r)?,
            (4, Val::I(i)) => self.a.mov(dword_ptr(at), i)?,
            (2, Val::R(r)) => self.a.mov(word_ptr(at), low16(r))?,
            (2, Val::I(i)) => self.a.mov(word_ptr(at), i & 0xffff)?,
            (_, Val::R(r)) => self.a.mov(byte_ptr(at), low8(r))?,
            (_, Val::I(i)) => self.a.mov(byte_ptr(at), i & 0xff)?,
        }
        self.a.set_label(&mut back)?;
        self.a.zero_bytes()?;
        let stale = self.a.create_label();
        self.stale.push(Stale {
            label: stale,
            k: self.k,
            post,
            eip,
        });
        self.slow.push(Slow {
            label: slow,
            back,
            kind: size + 16,
            k: self.k,
            stale: Some(stale),
            rec: self.pending,
            to: To::Eax,
            val: Some(v),
        });
        Ok(())
    }

    /// Make the host's status flags the guest's, from the lazy record:
    /// a 32-bit compare or logic result is redone, anything else comes
    /// from `Flags::status` through `popfq`.
    fn host_flags(&mut self) -> Res {
        if self.host_valid {
            return Ok(());
        }
        // Rebuilding them takes rax (and, calling out, rdi).
        self.last = false;
        let mut not_sub = self.a.create_label();
        let mut not_done = self.a.create_label();
        let mut not_32 = self.a.create_label();
        let mut slow = self.a.create_label();
        let mut done = self.a.create_label();
        // Flags already computed: their bits as they are.
        self.a.cmp(byte_ptr(rbp + F_OP), lazy(Lazy::Done) as i32)?;
        self.a.jne(not_done)?;
        self.a.mov(eax, dword_ptr(rbp + F_BITS))?;
        self.a.and(eax, STATUS as i32)?;
        self.a.or(eax, 0x202)?;
        self.a.push(rax)?;
        self.a.popfq()?;
        self.a.jmp(done)?;
        self.a.set_label(&mut not_done)?;
        self.a.cmp(dword_ptr(rbp + F_SIGN), SIGN as i32)?;
        self.a.jne(not_32)?;
        self.a.cmp(byte_ptr(rbp + F_OP), lazy(Lazy::Sub) as i32)?;
        self.a.jne(not_sub)?;
        self.a.mov(eax, dword_ptr(rbp + F_A))?;
        self.a.cmp(eax, dword_ptr(rbp + F_B))?;
        self.a.jmp(done)?;
        self.a.set_label(&mut not_sub)?;
        self.a.cmp(byte_ptr(rbp + F_OP), lazy(Lazy::Logic) as i32)?;
        self.a.jne(slow)?;
        self.a.mov(eax, dword_ptr(rbp + F_R))?;
        // Not `test`: adding 0 leaves AF 0, as the guest's logic ops do.
        self.a.add(eax, 0)?;
        self.a.jmp(done)?;
        // A byte compare (cmpb, as loops over bytes end): the same compare
        // on the host's low bytes.
        self.a.set_label(&mut not_32)?;
        self.a.cmp(dword_ptr(rbp + F_SIGN), 0x80)?;
        self.a.jne(slow)?;
        self.a.cmp(byte_ptr(rbp + F_OP), lazy(Lazy::Sub) as i32)?;
        self.a.jne(slow)?;
        self.a.mov(eax, dword_ptr(rbp + F_A))?;
        self.a.cmp(al, byte_ptr(rbp + F_B))?;
        self.a.jmp(done)?;
        self.a.set_label(&mut slow)?;
        self.store_regs(4)?;
        self.a.mov(qword_ptr(rbp + C_COUNT), rdx)?;
        self.a.lea(rdi, ptr(rbp + F))?;
        self.a.mov(rax, self.h.eflags)?;
        self.a.call(rax)?;
        self.load_regs(4)?;
        self.a.mov(rdx, qword_ptr(rbp + C_COUNT))?;
        self.a.push(rax)?;
        self.a.popfq()?;
        self.a.set_label(&mut done)?;
        self.a.zero_bytes()?;
        self.host_valid = true;
        // Every status flag is the guest's, AF included.
        self.host_kind = Lazy::Done;
        Ok(())
    }

    /// Branch to `l` on host condition `cc` (the jcc's low nibble).
    fn jcc(&mut self, cc: u8, l: CodeLabel) -> Res {
        match cc {
            0 => self.a.jo(l),
            1 => self.a.jno(l),
            2 => self.a.jb(l),
            3 => self.a.jae(l),
            4 => self.a.je(l),
            5 => self.a.jne(l),
            6 => self.a.jbe(l),
            7 => self.a.ja(l),
            8 => self.a.js(l),
            9 => self.a.jns(l),
            10 => self.a.jp(l),
            11 => self.a.jnp(l),
            12 => self.a.jl(l),
            13 => self.a.jge(l),
            14 => self.a.jle(l),
            _ => self.a.jg(l),
        }
    }

    /// The label that leaves with op `k` stopped (its registers stored).
    fn stop_label(&mut self, k: usize) -> CodeLabel {
        match self.stops[k] {
            Some(l) => l,
            None => {
                let l = self.a.create_label();
                self.stops[k] = Some(l);
                l
            }
        }
    }

    /// Call-outs, exits, and the epilogue.
    fn out_of_line(&mut self) -> Res {
        self.call_outs()?;
        while let Some(t) = self.taken.pop() {
            let mut label = t.label;
            self.a.set_label(&mut label)?;
            if let Some(j) = self.tail_start(&t) {
                // Unless this run needs every block's end (`JitRegs::inner`):
                // the ops jumped over are not retired, and the rest of the
                // block runs in its own copy, with its own call-outs, stops
                // and exits.
                let mut plain = self.a.create_label();
                self.a.cmp(dword_ptr(rbp + C_INNER), 0)?;
                self.a.je(plain)?;
                self.refund(j as u32 - t.retired)?;
                self.in_tail = true;
                self.tail_ops += self.ops.len() - j;
                self.ops_from(j, t.rec, t.last)?;
                self.in_tail = false;
                self.call_outs()?;
                self.a.set_label(&mut plain)?;
            }
            self.exit_to(t.target, t.retired, t.rec, t.last)?;
        }
        self.exits()
    }

    /// The full lookups, loads' and stores' call-outs and stale-code exits
    /// of the ops emitted so far.
    fn call_outs(&mut self) -> Res {
        for f in std::mem::take(&mut self.full) {
            let mut label = f.label;
            self.a.set_label(&mut label)?;
            self.full_lookup(f.size, f.write, f.slow)?;
            self.a.jmp(f.hit)?;
        }
        for s in std::mem::take(&mut self.slow) {
            let mut label = s.label;
            self.a.set_label(&mut label)?;
            if let Some(r) = s.rec {
                self.put_rec(&r)?;
            }
            match s.val {
                Some(Val::R(r)) if r != ecx => self.a.mov(ecx, r)?,
                Some(Val::I(i)) => self.a.mov(ecx, i)?,
                _ => {}
            }
            self.store_regs(8)?;
            self.a.mov(qword_ptr(rbp + C_COUNT), rdx)?;
            self.a.mov(rdi, rbp)?;
            self.a.mov(edx, ecx)?;
            self.a.mov(ecx, s.kind)?;
            self.a.mov(rax, self.h.access)?;
            self.a.call(rax)?;
            self.load_regs(4)?;
            self.a.mov(rdx, qword_ptr(rbp + C_COUNT))?;
            let stop = self.stop_label(s.k);
            self.a.cmp(eax, 1)?;
            self.a.je(stop)?;
            if let Some(stale) = s.stale {
                self.a.cmp(eax, 2)?;
                self.a.je(stale)?;
            } else {
                self.a.mov(eax, dword_ptr(rbp + C_VALUE))?;
                match (s.to, s.kind) {
                    (To::Eax, _) => {}
                    (To::Zx(r), _) => self.a.mov(r, eax)?,
                    (To::Sx(r), 2) => self.a.movsx(r, ax)?,
                    (To::Sx(r), _) => self.a.movsx(r, al)?,
                }
            }
            // The next access does not take this one's page as a hit: no
            // address in the low 4 GiB is within a page of 2^63.
            self.a.mov(rdi, 1u64 << 63)?;
            self.a.jmp(s.back)?;
        }
        for s in std::mem::take(&mut self.stale) {
            let mut label = s.label;
            self.a.set_label(&mut label)?;
            if let Post::Push = s.post {
                self.a.lea(G[ESP], ptr(G64[ESP] - 4))?;
            }
            self.refund(self.insns - s.k as u32 - 1)?;
            if let Post::Done = s.post {
                // The interpreter ran the op: EIP is where it left it.
            } else {
                self.a.mov(dword_ptr(rbp + EIP), s.eip)?;
            }
            self.a.mov(eax, 2)?;
            self.a.jmp(self.store_and_leave)?;
        }
        Ok(())
    }

    /// The stops, the passes the budget does not take, the epilogue and
    /// the constants.
    fn exits(&mut self) -> Res {
        // Stops: the registers were stored before the call-out.
        let mut at = self.eip0;
        for k in 0..self.ops.len() {
            if let Some(mut l) = self.stops[k] {
                self.a.set_label(&mut l)?;
                self.a.mov(dword_ptr(rbp + C_STOP_OP), k as u32)?;
                self.a.mov(dword_ptr(rbp + C_STOP_ID), self.id)?;
                self.a.mov(dword_ptr(rbp + EIP), at)?;
                self.refund(self.insns - k as u32)?;
                self.a.mov(eax, 1)?;
                self.a.jmp(self.leave)?;
            }
            at = at.wrapping_add(self.ops[k].len as u32);
        }
        // A pass the budget does not take (from the loop copy, its record
        // put first).
        if let Some(r) = self.loop_rec {
            self.a.set_label(&mut self.loop_no_room)?;
            self.put_rec(&r)?;
        }
        self.a.set_label(&mut self.no_room)?;
        self.refund(self.insns)?;
        self.a.mov(dword_ptr(rbp + EIP), self.eip0)?;
        self.a.xor(eax, eax)?;
        self.a.jmp(self.store_and_leave)?;
        self.a.set_label(&mut self.store_and_leave)?;
        self.store_regs(8)?;
        self.a.set_label(&mut self.leave)?;
        self.a.mov(qword_ptr(rbp + C_COUNT), rdx)?;
        self.a.add(rsp, 8)?;
        for r in [r15, r14, r13, r12, rbp, rbx] {
            self.a.pop(r)?;
        }
        self.a.ret()?;
        for (n, mut l) in std::mem::take(&mut self.pool) {
            self.a.set_label(&mut l)?;
            self.a.dq(&[Count::charge(n)])?;
        }
        Ok(())
    }
}

/// The low byte and word of a guest register or ecx.
fn low8(r: AsmRegister32) -> AsmRegister8 {
    const B: [AsmRegister8; 8] = [r8b, r9b, r10b, r11b, r12b, r13b, r14b, r15b];
    G.iter().position(|&g| g == r).map_or(cl, |i| B[i])
}
fn low16(r: AsmRegister32) -> AsmRegister16 {
    G.iter().position(|&g| g == r).map_or(cx, |i| G16[i])
}

/// A value to store: a register or an immediate.
#[derive(Clone, Copy)]
enum Val {
    R(AsmRegister32),
    I(u32),
}

impl From<AsmRegister32> for Val {
    fn from(r: AsmRegister32) -> Val {
        Val::R(r)
    }
}

impl From<u32> for Val {
    fn from(i: u32) -> Val {
        Val::I(i)
    }
}

/// Ops that always write the whole lazy record (or every status flag)
/// and read neither flags nor memory first.
fn kills(op: &Op) -> bool {
    use Kind as K;
    alu_form(op).is_some_and(|(_, f)| f != Form::Mem)
        || matches!(op.kind, K::Neg32 | K::Shl32RI | K::Shr32RI | K::Sar32RI)
        || (matches!(op.kind, K::Imul2RR | K::Imul3R) && op.size == 4)
}

/// Ops that neither read the lazy record nor write it, and cannot leave.
fn transparent(op: &Op) -> bool {
    use Kind as K;
    matches!(
        op.kind,
        K::Nop
            | K::Mov32RR
            | K::Lea32
            | K::Not32
            | K::Movzb32RR
            | K::Movzw32RR
            | K::Movsb32RR
            | K::Movsw32RR
    ) || (op.kind == K::MovRI && op.size == 4)
}

/// Whether the lazy record op `i` writes can be seen: unless a later op
/// overwrites it before anything could read it (a flag reader, a load or
/// store that may stop, a call-out, an exit), its stores are left out.
fn record_seen(ops: &[Op], i: usize) -> bool {
    // An inc or dec right after an op that leaves the host's flags the
    // guest's takes its CF from the host, and writes the rest itself.
    if ops.get(i + 1).is_some_and(incdec) && host_flags_after(&ops[i]) {
        return false;
    }
    for op in &ops[i + 1..] {
        if kills(op) {
            return false;
        }
        if !transparent(op) {
            return true;
        }
    }
    true
}

/// Whether op `k`'s record is left out of the hot path: `rec_of` knows how
/// to put it, and a jump (whose loop back would skip the put), an op that
/// overwrites it or the block's end comes before anything that would have
/// `before` put it.
fn defers(ops: &[Op], k: usize) -> bool {
    let Some(rec) = rec_of(&ops[k]) else {
        return false;
    };
    // The host's flags are the op's own until a load or store.
    let mut host = true;
    for (j, op) in ops.iter().enumerate().skip(k + 1) {
        if kills(op) {
            return true;
        }
        if jumps(op) {
            return host;
        }
        if moves_memory(op) || (incdec(op) && !record_seen(ops, j)) {
            host = false;
        } else if !transparent(op) {
            return false;
        }
        if clobbers(ops, j, &rec) {
            return false;
        }
    }
    true
}

/// Whether op `k` writes a register `rec` is computed from while the
/// record could still be seen after it (before the next op that overwrites
/// it, or at the block's end).
fn clobbers(ops: &[Op], k: usize, rec: &Rec) -> bool {
    if !writes(&ops[k]).iter().flatten().any(|&r| rec.uses(G[r])) {
        return false;
    }
    let rest = &ops[k + 1..];
    match rest.iter().position(kills) {
        Some(n) => !rest[..n].iter().all(transparent),
        None => true,
    }
}

/// A jcc or jmp the JIT translates.
fn jumps(op: &Op) -> bool {
    op.kind == Kind::Jmp || (op.is_jcc() && inline(op))
}

/// How to put the record `op` leaves, from the registers after it; `None`
/// where they no longer tell (an operand overwritten by the result).
fn rec_of(op: &Op) -> Option<Rec> {
    use Kind as K;
    let (d, s) = (G[op.r1 as usize & 7], G[op.r2 as usize & 7]);
    let same = op.r1 & 7 == op.r2 & 7;
    let (rs, ri) = (Arg::R(s), Arg::I(op.imm));
    let (l, a, b, r) = match op.kind {
        K::Cmp32RR => (Lazy::Sub, Ex::R(d), Ex::R(s), Ex::Sub(d, rs)),
        K::Cmp32RI => (Lazy::Sub, Ex::R(d), Ex::I(op.imm), Ex::Sub(d, ri)),
        K::Test32RR if same => (Lazy::Logic, Ex::R(d), Ex::R(d), Ex::R(d)),
        K::Test32RR => (Lazy::Logic, Ex::R(d), Ex::R(s), Ex::And(d, rs)),
        K::Test32RI => (Lazy::Logic, Ex::R(d), Ex::I(op.imm), Ex::And(d, ri)),
        K::Add32RR if !same => (Lazy::Add, Ex::Sub(d, rs), Ex::R(s), Ex::R(d)),
        K::Add32RI => (Lazy::Add, Ex::Sub(d, ri), Ex::I(op.imm), Ex::R(d)),
        K::Sub32RR if !same => (Lazy::Sub, Ex::Add(d, rs), Ex::R(s), Ex::R(d)),
        K::Sub32RI => (Lazy::Sub, Ex::Add(d, ri), Ex::I(op.imm), Ex::R(d)),
        K::Inc32 => (Lazy::Inc, Ex::Sub(d, Arg::I(1)), Ex::I(1), Ex::R(d)),
        K::Dec32 => (Lazy::Dec, Ex::Add(d, Arg::I(1)), Ex::I(1), Ex::R(d)),
        _ => return None,
    };
    Some(Rec { l, a, b, r })
}

/// Loads and stores the JIT translates that touch no flags: their only
/// way out of the hot path is the call-out.
fn moves_memory(op: &Op) -> bool {
    use Kind as K;
    matches!(
        op.kind,
        K::Mov32RM
            | K::Mov32MR
            | K::Mov32MI
            | K::Mov8MR
            | K::Mov8MI
            | K::Movzb32RM
            | K::Movsb32RM
            | K::Movzw32RM
            | K::Movsw32RM
            | K::Push32R
            | K::Pop32R
    )
}

/// Ops after which the host's status flags are the guest's (`host_valid`).
fn host_flags_after(op: &Op) -> bool {
    alu_form(op).is_some() || op.kind == Kind::Neg32
}

/// The second operand of a 32-bit ALU op `alu` emits.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Form {
    Reg,
    Imm,
    Mem,
}

/// The 32-bit ALU op `op` is, for `alu`: the operation and its operand's form.
fn alu_form(op: &Op) -> Option<(u8, Form)> {
    use Form::*;
    use Kind as K;
    Some(match op.kind {
        K::Add32RR => (A::ADD, Reg),
        K::Add32RI => (A::ADD, Imm),
        K::Add32RM => (A::ADD, Mem),
        K::Sub32RR => (A::SUB, Reg),
        K::Sub32RI => (A::SUB, Imm),
        K::Sub32RM => (A::SUB, Mem),
        K::And32RR => (A::AND, Reg),
        K::And32RI => (A::AND, Imm),
        K::Or32RR => (A::OR, Reg),
        K::Or32RI => (A::OR, Imm),
        K::Xor32RR => (A::XOR, Reg),
        K::Xor32RI => (A::XOR, Imm),
        K::Cmp32RR => (A::CMP, Reg),
        K::Cmp32RI => (A::CMP, Imm),
        K::Cmp32RM => (A::CMP, Mem),
        K::Test32RR => (A::TEST, Reg),
        K::Test32RI => (A::TEST, Imm),
        _ => return None,
    })
}

/// The register an `lea r, [r + disp]` (no index, no segment) adds to.
fn lea_adds(op: &Op) -> Option<usize> {
    let m = op.m;
    (m.base < NOREG && m.index >= NOREG && m.seg & 3 == 0 && m.base & 7 == op.r1 & 7)
        .then_some(op.r1 as usize & 7)
}

fn incdec(op: &Op) -> bool {
    matches!(op.kind, Kind::Inc32 | Kind::Dec32)
}

/// The guest registers a translated op writes: ESP for push, pop, call
/// and ret, none for stores, compares and jumps, else its first operand.
fn writes(op: &Op) -> [Option<usize>; 2] {
    use Kind as K;
    let d = Some(op.r1 as usize & 7);
    let compares = matches!(alu_form(op), Some((A::CMP | A::TEST, _)));
    match op.kind {
        K::Push32R | K::Call | K::Ret => [Some(ESP), None],
        K::Pop32R => [d, Some(ESP)],
        K::Nop | K::Mov32MR | K::Mov32MI | K::Mov8MR | K::Mov8MI | K::Cmp32MI | K::Cmp8MI => {
            [None, None]
        }
        _ if compares || jumps(op) => [None, None],
        _ => [d, None],
    }
}

/// The second operand of an ALU op.
#[derive(Clone, Copy)]
enum Src {
    Reg(AsmRegister32),
    Imm(u32),
    /// Loaded from the op's memory operand into ecx.
    Mem,
}

impl Src {
    fn imm(&self) -> u32 {
        match self {
            Src::Imm(i) => *i,
            _ => 0,
        }
    }
}
