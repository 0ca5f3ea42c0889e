//! The JIT against the interpreter, on random programs.
//!
//! Each case is a program made from a seeded xorshift: straight-line code
//! of the kinds the JIT translates (mov/lea/push/pop, the 32-bit ALU ops
//! with registers, immediates and memory, inc/dec, shifts by an immediate
//! and by CL, neg/not, movzx/movsx, byte stores, cmpb), forward jcc and
//! if/else, counted loops (backward jcc, jmp back, a jcc out of the
//! middle), calls and returns, mixed with instructions it leaves to the
//! interpreter (imul, adc, setcc, pushf, string ops, int $0x80...) so that
//! blocks are cut. Memory operands point into the data pages, across page
//! boundaries, at an unmapped page and a read-only one (the runner maps
//! the page or makes it writable, as a kernel would, and goes on), and
//! stores go into the code: an immediate or an opcode patched ahead of or
//! behind the store, sometimes through a second mapping of the code frames.
//!
//! Every program runs on two fresh machines from the same start, one with
//! the interpreter and one with the JIT translating every block at its
//! first fast-path run, with the same sequence of budgets; after every
//! `run` the trap, registers, EFLAGS, EIP, retired count, trap counts,
//! CR2, TLB statistics and entries, and every frame handed out so far
//! (code, data, stack, page tables) must be the same. TLB sizes and
//! policies rotate so that evictions happen.
//!
//! `JIT_ENGINES_CASES=n` runs n cases instead of the default (from seed
//! `JIT_ENGINES_FIRST`, 1 by default), and `JIT_ENGINES_SEED=s` runs the
//! one case of seed s (the number a failure names).

mod common;
use common::*;
use std::fmt::Write as _;
use toyemu_emulator::disasm::disassemble;
use toyemu_emulator::paging::{PTE_P, PTE_U, PTE_W};
use toyemu_emulator::{
    Engine, Frame, MachineConfig, PfCode, Policy, Pte, Reg, TlbConfig, Trap, VirtAddr,
};

const CASES: u64 = 3000;
/// Seeds past `CASES` that a longer run (JIT_ENGINES_FIRST and
/// JIT_ENGINES_CASES) once found the engines disagreeing on, run every time.
const FOUND: &[u64] = &[
    // A record pending across `lea r, [r + disp]` was stored before the
    // lea in the form that is right only after it.
    149109,
    // A read that found its page by a full lookup was taken as knowing
    // the page writable, so the store after it skipped its lookup.
    278239, 280151,
    // Jumps from a jcc to a later instruction of its own translation (a
    // change since taken back) ran differently from the interpreter here.
    418949,
    // A jcc that rebuilt the host's flags (in rax) still counted on rax
    // holding the last access's page: a tail copy stored through it.
    900839,
];
/// Where the loop counters that live in memory are (kept out of the
/// addresses the generator picks for anything else).
const COUNTERS: u32 = DATA;
/// Not mapped at the start; the first access faults and the runner maps it.
const UNMAPPED: u32 = DATA + 8 * 4096;
/// Mapped read-only at the start; the first write faults and the runner
/// makes it writable.
const READONLY: u32 = DATA + 7 * 4096;
/// The first four code pages (the program's) are mapped again this far
/// above: a second address for the same code.
const ALIAS: u32 = 0x10_0000;
/// Retired instructions after which a case stops (runaway loops).
const CAP: u64 = 30_000;
const HUGE: u64 = u64::MAX >> 1;

const EAX: u8 = 0;
const ECX: u8 = 1;
const EDX: u8 = 2;
const EBX: u8 = 3;
const ESP: u8 = 4;
const EBP: u8 = 5;
const ESI: u8 = 6;
const EDI: u8 = 7;
/// Registers random ops may write.
const VAL: [u8; 4] = [EAX, ECX, EDX, EBX];
/// Registers that point into the data pages (only moved a little).
const PTR: [u8; 2] = [ESI, EDI];
const RW: toyemu_emulator::PteFlags = PTE_P.union(PTE_W).union(PTE_U);

// ---------------------------------------------------------------- PRNG

/// xorshift64*.
struct Rng(u64);

impl Rng {
    fn new(seed: u64) -> Rng {
        Rng(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ 0x5eed)
    }
    fn next(&mut self) -> u64 {
        if self.0 == 0 {
            self.0 = 1;
        }
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_f491_4f6c_dd1d)
    }
    fn below(&mut self, n: u32) -> u32 {
        (self.next() % n as u64) as u32
    }
    fn chance(&mut self, percent: u32) -> bool {
        self.below(100) < percent
    }
    fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u32) as usize]
    }
    /// A 32-bit value, often one where flags are interesting.
    fn value(&mut self) -> u32 {
        match self.below(8) {
            0 => self.pick(&[0, 1, 2, 0x7f, 0x80, 0xff, 0x100, 0x7fff_ffff]),
            1 => self.pick(&[
                0x8000_0000,
                0x8000_0001,
                0xffff_ffff,
                0xffff_fffe,
                0xffff_ff80,
            ]),
            2 => self.below(64),
            3 => self.below(64).wrapping_neg(),
            4 => 1 << self.below(32),
            _ => self.next() as u32,
        }
    }
}

// ----------------------------------------------------------- assembler

type Label = usize;

#[derive(Clone, Debug)]
enum Piece {
    /// One instruction's bytes.
    Insn(Vec<u8>),
    Label(Label),
    /// jcc `cc` (or jmp when `None`) to a label; `near` picks rel32 (a
    /// short one that does not reach becomes near).
    Jump {
        cc: Option<u8>,
        to: Label,
        near: bool,
    },
    Call(Label),
    /// A hook (`Cpu::set_hooks`) on the instruction that follows.
    Hook,
    /// An instruction holding the absolute address `label + add` (in the
    /// second mapping when `alias`) at byte `at`.
    Abs {
        bytes: Vec<u8>,
        at: usize,
        label: Label,
        add: u32,
        alias: bool,
    },
}

/// A program as a tree, so that a failing one can be made smaller: the
/// items of a `Body` can be removed one by one; a `Fixed` keeps its shape
/// (a loop's head and tail around its body).
#[derive(Clone, Debug)]
enum Item {
    P(Piece),
    Fixed(Vec<Item>),
    Body(Vec<Item>),
}

fn flatten(item: &Item, out: &mut Vec<Piece>) {
    match item {
        Item::P(p) => out.push(p.clone()),
        Item::Fixed(v) | Item::Body(v) => v.iter().for_each(|i| flatten(i, out)),
    }
}

struct Code {
    bytes: Vec<u8>,
    /// The offset of each piece that is an instruction.
    insns: Vec<usize>,
    /// Addresses to hook.
    hooks: Vec<u32>,
}

/// Lay `pieces` out at `base`; `None` if a label is missing (a shrunk
/// program that lost the target of a jump or a patch).
fn assemble(pieces: &[Piece], base: u32) -> Option<Code> {
    let mut near: Vec<bool> = pieces
        .iter()
        .map(|p| matches!(p, Piece::Jump { near: true, .. }))
        .collect();
    let nlabels = pieces
        .iter()
        .map(|p| match p {
            Piece::Label(l) | Piece::Jump { to: l, .. } | Piece::Call(l) => l + 1,
            Piece::Abs { label, .. } => label + 1,
            Piece::Insn(_) | Piece::Hook => 0,
        })
        .max()
        .unwrap_or(0);
    let size = |p: &Piece, near: bool| match p {
        Piece::Insn(b) | Piece::Abs { bytes: b, .. } => b.len(),
        Piece::Label(_) | Piece::Hook => 0,
        Piece::Jump { cc, .. } => match (near, cc.is_some()) {
            (false, _) => 2,
            (true, false) => 5,
            (true, true) => 6,
        },
        Piece::Call(_) => 5,
    };
    let (offsets, labels) = loop {
        let mut labels = vec![None; nlabels];
        let mut offsets = Vec::with_capacity(pieces.len());
        let mut at = 0usize;
        for (p, &n) in pieces.iter().zip(&near) {
            offsets.push(at);
            if let Piece::Label(l) = p {
                labels[*l] = Some(at);
            }
            at += size(p, n);
        }
        let mut changed = false;
        for (i, p) in pieces.iter().enumerate() {
            if let Piece::Jump { to, .. } = p {
                let target = labels[*to]?;
                let rel = target as i64 - (offsets[i] + 2) as i64;
                if !near[i] && !(-128..=127).contains(&rel) {
                    near[i] = true;
                    changed = true;
                }
            }
        }
        if !changed {
            break (offsets, labels);
        }
    };
    let addr = |l: Label| labels.get(l).copied().flatten().map(|o| base + o as u32);
    let mut bytes = Vec::new();
    let mut insns = Vec::new();
    let mut hooks = Vec::new();
    for (i, p) in pieces.iter().enumerate() {
        let here = base + offsets[i] as u32;
        if !matches!(p, Piece::Label(_) | Piece::Hook) {
            insns.push(offsets[i]);
        }
        match p {
            Piece::Insn(b) => bytes.extend(b),
            Piece::Label(_) => {}
            Piece::Hook => hooks.push(here),
            Piece::Jump { cc, to, .. } => {
                let t = addr(*to)?;
                match (near[i], cc) {
                    (false, Some(c)) => bytes.extend([0x70 | c, t.wrapping_sub(here + 2) as u8]),
                    (false, None) => bytes.extend([0xeb, t.wrapping_sub(here + 2) as u8]),
                    (true, Some(c)) => {
                        bytes.extend([0x0f, 0x80 | c]);
                        bytes.extend(t.wrapping_sub(here + 6).to_le_bytes());
                    }
                    (true, None) => {
                        bytes.push(0xe9);
                        bytes.extend(t.wrapping_sub(here + 5).to_le_bytes());
                    }
                }
            }
            Piece::Call(l) => {
                bytes.push(0xe8);
                bytes.extend(addr(*l)?.wrapping_sub(here + 5).to_le_bytes());
            }
            Piece::Abs {
                bytes: b,
                at,
                label,
                add,
                alias,
            } => {
                let mut b = b.clone();
                let a = addr(*label)?.wrapping_add(*add) + if *alias { ALIAS } else { 0 };
                b[*at..*at + 4].copy_from_slice(&a.to_le_bytes());
                bytes.extend(b);
            }
        }
    }
    hooks.dedup();
    Some(Code {
        bytes,
        insns,
        hooks,
    })
}

// ------------------------------------------------------------ encoders

/// A memory operand: `seg:disp(base, index, 1 << scale)`.
#[derive(Clone, Copy, Debug)]
struct M {
    seg: Option<u8>,
    base: Option<u8>,
    index: Option<(u8, u8)>,
    disp: u32,
}

impl M {
    fn abs(a: u32) -> M {
        M {
            seg: None,
            base: None,
            index: None,
            disp: a,
        }
    }
    fn based(base: u8, disp: u32) -> M {
        M {
            seg: None,
            base: Some(base),
            index: None,
            disp,
        }
    }
}

/// ModRM (and SIB and displacement) for `reg` with memory operand `m`.
fn modrm(reg: u8, m: &M) -> Vec<u8> {
    let mut out = Vec::new();
    let r = (reg & 7) << 3;
    let fits8 = (m.disp as i32) >= -128 && (m.disp as i32) <= 127;
    let dispmode = |base: u8| -> u8 {
        if m.disp == 0 && base != EBP {
            0
        } else if fits8 {
            1
        } else {
            2
        }
    };
    let push_disp = |out: &mut Vec<u8>, md: u8| match md {
        1 => out.push(m.disp as u8),
        2 => out.extend(m.disp.to_le_bytes()),
        _ => {}
    };
    match (m.base, m.index) {
        (None, None) => {
            out.push(r | 5);
            out.extend(m.disp.to_le_bytes());
        }
        (Some(b), None) if b != ESP => {
            let md = dispmode(b);
            out.push(md << 6 | r | b);
            push_disp(&mut out, md);
        }
        (Some(b), None) => {
            let md = dispmode(b);
            out.extend([md << 6 | r | 4, 0x24]);
            push_disp(&mut out, md);
        }
        (None, Some((i, s))) => {
            out.extend([r | 4, s << 6 | i << 3 | 5]);
            out.extend(m.disp.to_le_bytes());
        }
        (Some(b), Some((i, s))) => {
            let md = dispmode(b);
            out.extend([md << 6 | r | 4, s << 6 | i << 3 | b]);
            push_disp(&mut out, md);
        }
    }
    out
}

/// `op` (one or more opcode bytes) with a memory operand, segment prefix first.
fn mem_insn(op: &[u8], reg: u8, m: &M) -> Vec<u8> {
    let mut v = Vec::new();
    if let Some(s) = m.seg {
        v.push(s);
    }
    v.extend(op);
    v.extend(modrm(reg, m));
    v
}

fn rr(op: &[u8], reg: u8, rm: u8) -> Vec<u8> {
    let mut v = op.to_vec();
    v.push(0xc0 | (reg & 7) << 3 | (rm & 7));
    v
}

fn imm32(mut v: Vec<u8>, i: u32) -> Vec<u8> {
    v.extend(i.to_le_bytes());
    v
}

fn p(bytes: Vec<u8>) -> Item {
    Item::P(Piece::Insn(bytes))
}

// ----------------------------------------------------------- generator

/// What a stretch of code may do.
#[derive(Clone, Copy)]
struct Ctx {
    /// Loops nested around it.
    depth: u32,
    /// The function it is in (calls go only to later ones), or none.
    func: Option<usize>,
}

/// A forward patch waiting for the instruction it will patch.
#[derive(Clone, Copy, PartialEq)]
enum Target {
    /// The immediate of a `mov $imm32, %r` (any bytes will do).
    Imm,
    /// A one-byte inc/dec/nop (replaced by another such).
    Byte,
}

/// Opcodes a one-byte patch may write: inc/dec of everything but ESP and
/// EBP (the loop counter), and nop.
const ONE_BYTE: [u8; 13] = [
    0x40, 0x41, 0x42, 0x43, 0x46, 0x47, 0x48, 0x49, 0x4a, 0x4b, 0x4e, 0x4f, 0x90,
];

struct Gen<'a> {
    r: &'a mut Rng,
    labels: Label,
    /// Functions, and whether each returns with `ret $4` (its caller
    /// pushes an argument).
    ret4: Vec<bool>,
    /// Patches made before their target: the label the next instruction
    /// of that kind gets.
    pending: Vec<(Label, Target)>,
    /// Patchable instructions generated so far.
    imm_targets: Vec<Label>,
    byte_targets: Vec<Label>,
    /// After the last instruction of the program (int3s from there).
    end: Label,
    /// Labels of the functions.
    funcs: Vec<Label>,
    /// Random bytes into the code too.
    chaos: bool,
    alias: bool,
    /// Hooks here and there.
    hooks: bool,
}

impl Gen<'_> {
    fn label(&mut self) -> Label {
        self.labels += 1;
        self.labels - 1
    }

    fn val(&mut self) -> u8 {
        self.r.pick(&VAL)
    }
    fn any(&mut self) -> u8 {
        self.r.below(8) as u8
    }
    fn cc(&mut self) -> u8 {
        self.r.below(16) as u8
    }

    /// An immediate for an ALU op: as a byte (sign-extended, `83`) or a word (`81`).
    fn alu_imm(&mut self, sub: u8, dst: u8) -> Vec<u8> {
        match self.r.below(3) {
            0 => vec![0x83, 0xc0 | sub << 3 | dst, self.r.value() as u8],
            1 if dst == EAX => imm32(vec![sub << 3 | 5], self.r.value()),
            _ => imm32(vec![0x81, 0xc0 | sub << 3 | dst], self.r.value()),
        }
    }

    /// An address in the data pages away from the loop counters.
    fn data_addr(&mut self) -> u32 {
        match self.r.below(10) {
            // Across a page boundary (the last one runs into UNMAPPED).
            0..=1 => DATA + (1 + self.r.below(8)) * 4096 - 1 - self.r.below(3),
            2 => READONLY + self.r.below(4096),
            _ => DATA + 0x40 + self.r.below(7 * 4096 - 0x48),
        }
    }

    /// A memory operand, and what must run before it (an index masked).
    fn mem(&mut self, store: bool) -> (Vec<Item>, M) {
        let mut pre = Vec::new();
        let mut m = match self.r.below(100) {
            0..=39 => M::based(self.r.pick(&PTR), self.r.below(256).wrapping_sub(128)),
            40..=54 => M::abs(self.data_addr()),
            55..=64 => {
                let i = self.val();
                pre.push(p(vec![0x83, 0xe0 | i, 0x3f]));
                let base = if self.r.chance(80) {
                    Some(self.r.pick(&PTR))
                } else {
                    None
                };
                let disp = match base {
                    Some(_) => self.r.below(64),
                    None => self.data_addr() & !0xff,
                };
                M {
                    seg: None,
                    base,
                    index: Some((i, self.r.below(4) as u8)),
                    disp,
                }
            }
            // The stack: what was pushed (loads), below ESP (stores).
            65..=74 if store => M::based(ESP, (4 + 4 * self.r.below(32)).wrapping_neg()),
            65..=74 => M::based(ESP, 4 * self.r.below(16)),
            75..=79 => {
                M::abs(UNMAPPED + self.r.below(4096) - if self.r.chance(30) { 2 } else { 0 })
            }
            80..=84 if !store => M::abs(CODE + self.r.below(0x4000)),
            85..=87 => M::based(self.val(), self.r.below(256)),
            88 if self.r.chance(30) => M::abs(0xc000_0000 + self.r.below(0x1000)),
            _ => M::abs(self.data_addr()),
        };
        if self.r.chance(6) {
            // FS is based at 0x1000 and GS at -0x1000 (see `start`).
            let (seg, delta) = self.r.pick(&[(0x64u8, 0x1000u32), (0x65, 0xffff_f000)]);
            m.seg = Some(seg);
            m.disp = m.disp.wrapping_sub(delta);
        }
        (pre, m)
    }

    /// An instruction the JIT translates (possibly with a setup instruction).
    fn supported(&mut self, out: &mut Vec<Item>) {
        let d = self.val();
        let s = self.any();
        match self.r.below(40) {
            0 => out.push(p(if self.r.chance(50) {
                rr(&[0x89], s, d)
            } else {
                rr(&[0x8b], d, s)
            })),
            1 => {
                // Maybe a target for a later (or earlier) patch.
                let want = self.pending.iter().position(|t| t.1 == Target::Imm);
                let l = match want {
                    Some(i) => Some(self.pending.remove(i).0),
                    None if self.r.chance(20) => Some(self.label()),
                    None => None,
                };
                if let Some(l) = l {
                    out.push(Item::P(Piece::Label(l)));
                    self.imm_targets.push(l);
                }
                out.push(p(imm32(vec![0xb8 | d], self.r.value())));
            }
            2..=3 => {
                let (pre, m) = self.mem(false);
                out.extend(pre);
                out.push(p(mem_insn(&[0x8b], d, &m)));
            }
            4..=5 => {
                let (pre, m) = self.mem(true);
                out.extend(pre);
                out.push(p(mem_insn(&[0x89], s, &m)));
            }
            6 => {
                let (pre, m) = self.mem(true);
                out.extend(pre);
                out.push(p(imm32(mem_insn(&[0xc7], 0, &m), self.r.value())));
            }
            7 => {
                let (pre, m) = self.mem(true);
                out.extend(pre);
                out.push(p(mem_insn(&[0x88], s, &m)));
            }
            8 => {
                let (pre, m) = self.mem(true);
                out.extend(pre);
                let mut v = mem_insn(&[0xc6], 0, &m);
                v.push(self.r.value() as u8);
                out.push(p(v));
            }
            9 => {
                let (_, m) = self.mem(false);
                out.push(p(mem_insn(&[0x8d], d, &m)));
            }
            10 => {
                // A pointer moves a little.
                let ptr = self.r.pick(&PTR);
                let delta = self.r.below(128).wrapping_sub(64);
                out.push(p(match self.r.below(4) {
                    0 => mem_insn(&[0x8d], ptr, &M::based(ptr, delta)),
                    1 => vec![0x83, 0xc0 | ptr, delta as u8],
                    2 => vec![0x40 | ptr],
                    _ => vec![0x48 | ptr],
                }));
            }
            11..=14 => {
                // add or sub and xor cmp, reg-reg.
                let op = self
                    .r
                    .pick(&[0x01u8, 0x29, 0x21, 0x09, 0x31, 0x39, 0x03, 0x2b, 0x3b]);
                out.push(p(if op & 2 != 0 {
                    rr(&[op], d, s)
                } else {
                    rr(&[op], s, d)
                }));
            }
            15..=17 => {
                let sub = self.r.pick(&[0u8, 5, 4, 1, 6, 7]);
                let v = self.alu_imm(sub, d);
                out.push(p(v));
            }
            18..=19 => {
                let (pre, m) = self.mem(false);
                out.extend(pre);
                let op = self.r.pick(&[0x03u8, 0x2b, 0x3b]);
                out.push(p(mem_insn(&[op], d, &m)));
            }
            20 => {
                let (pre, m) = self.mem(false);
                out.extend(pre);
                out.push(p(if self.r.chance(50) {
                    let mut v = mem_insn(&[0x83], 7, &m);
                    v.push(self.r.value() as u8);
                    v
                } else {
                    imm32(mem_insn(&[0x81], 7, &m), self.r.value())
                }));
            }
            21 => {
                let (pre, m) = self.mem(false);
                out.extend(pre);
                let mut v = mem_insn(&[0x80], 7, &m);
                v.push(self.r.value() as u8);
                out.push(p(v));
            }
            22 => out.push(p(match self.r.below(3) {
                0 => rr(&[0x85], s, d),
                1 if d == EAX => imm32(vec![0xa9], self.r.value()),
                _ => imm32(rr(&[0xf7], 0, d), self.r.value()),
            })),
            23..=24 => {
                let want = self.pending.iter().position(|t| t.1 == Target::Byte);
                let l = match want {
                    Some(i) => Some(self.pending.remove(i).0),
                    None if self.r.chance(20) => Some(self.label()),
                    None => None,
                };
                let form = if l.is_some() {
                    self.r.below(3)
                } else {
                    self.r.below(5)
                };
                if let Some(l) = l {
                    out.push(Item::P(Piece::Label(l)));
                    self.byte_targets.push(l);
                }
                // (Only the one-byte forms are patch targets.)
                out.push(p(match form {
                    0 => vec![0x40 | d],
                    1 => vec![0x48 | d],
                    2 => vec![0x90],
                    3 => rr(&[0xff], 0, d),
                    _ => rr(&[0xff], 1, d),
                }));
            }
            25..=27 => {
                let sub = self.r.pick(&[4u8, 5, 7, 6]);
                out.push(p(match self.r.below(3) {
                    0 => rr(&[0xd1], sub, d),
                    _ => vec![0xc1, 0xc0 | sub << 3 | d, 1 + self.r.below(40) as u8],
                }));
            }
            28..=29 => {
                let sub = self.r.pick(&[4u8, 5, 7]);
                if self.r.chance(40) {
                    out.push(p(vec![0xb1, self.r.value() as u8])); // mov $n, %cl
                }
                out.push(p(rr(&[0xd3], sub, d)));
            }
            30 => out.push(p(rr(&[0xf7], self.r.pick(&[2u8, 3]), d))),
            31..=32 => {
                let op = self.r.pick(&[0xb6u8, 0xb7, 0xbe, 0xbf]);
                out.push(p(rr(&[0x0f, op], d, s)));
            }
            33..=34 => {
                let (pre, m) = self.mem(false);
                out.extend(pre);
                let op = self.r.pick(&[0xb6u8, 0xb7, 0xbe, 0xbf]);
                out.push(p(mem_insn(&[0x0f, op], d, &m)));
            }
            35 => out.push(p(vec![0x90])),
            36..=37 => {
                // push, something, pop: the stack stays balanced.
                out.push(p(vec![0x50 | s]));
                if self.r.chance(50) {
                    self.supported(out);
                }
                if self.r.chance(20) {
                    out.push(p(vec![0x83, 0xc4, 4])); // add $4, %esp
                } else {
                    out.push(p(vec![0x58 | d]));
                }
            }
            38 => {
                // Loads from what was just pushed.
                out.push(p(vec![0x50 | s]));
                out.push(p(mem_insn(&[0x8b], d, &M::based(ESP, 0))));
                out.push(p(vec![0x58 | self.val()]));
            }
            39 if self.r.chance(50) => {
                // ESP moved and put back.
                let k = 4 * (1 + self.r.below(8));
                match self.r.below(4) {
                    0 => {
                        out.push(p(vec![0x54])); // push %esp
                        if self.r.chance(50) {
                            self.supported(out);
                        }
                        out.push(p(vec![0x5c])); // pop %esp
                    }
                    1 => {
                        out.push(p(vec![0x83, 0xec, k as u8])); // sub $k, %esp
                        self.supported(out);
                        out.push(p(vec![0x83, 0xc4, k as u8]));
                    }
                    2 => {
                        out.push(p(mem_insn(&[0x8d], ESP, &M::based(ESP, k.wrapping_neg()))));
                        self.supported(out);
                        out.push(p(mem_insn(&[0x8d], ESP, &M::based(ESP, k))));
                    }
                    _ => {
                        out.push(p(rr(&[0x89], ESP, d))); // mov %esp, %d
                        out.push(p(vec![0x83, 0xe8 | d, k as u8])); // sub $k, %d
                        out.push(p(rr(&[0x89], d, ESP))); // mov %d, %esp
                        out.push(p(mem_insn(&[0x8b], d, &M::based(ESP, k)))); // junk load
                        out.push(p(mem_insn(&[0x8d], ESP, &M::based(ESP, k))));
                    }
                }
            }
            _ => {
                let (pre, m) = self.mem(false);
                out.extend(pre);
                out.push(p(mem_insn(&[0x8b], d, &m)));
            }
        }
    }

    /// An instruction the JIT leaves to the interpreter.
    fn unsupported(&mut self, out: &mut Vec<Item>) {
        let d = self.val();
        let s = self.any();
        let insn = match self.r.below(30) {
            0 => rr(&[0x0f, 0xaf], d, s),                             // imul
            1 => vec![0x6b, 0xc0 | d << 3 | s, self.r.value() as u8], // imul $i
            2 => rr(&[self.r.pick(&[0x11u8, 0x19])], s, d),           // adc, sbb
            3 => vec![0x83, 0xd0 | d, self.r.value() as u8],          // adc $i
            4 => rr(&[0x0f, 0x90 | self.cc()], 0, d),                 // setcc
            5 => {
                let (pre, m) = self.mem(true);
                out.extend(pre);
                mem_insn(&[0x0f, 0x90 | self.cc()], 0, &m)
            }
            6 => {
                out.push(p(vec![0x9c])); // pushf
                vec![0x58 | d]
            }
            7 => {
                out.push(p(vec![0x9c]));
                vec![0x9d] // popf
            }
            8 => vec![self.r.pick(&[0xfcu8, 0xfc, 0xfd])], // cld, std
            9 => vec![self.r.pick(&[0xf8u8, 0xf9, 0xf5])], // clc stc cmc
            10 => vec![self.r.pick(&[0x99u8, 0x98])],      // cltd cwtl
            11 => rr(&[0x87], s & 3, d),                   // xchg (not with ESP..EDI)
            12 => vec![0x0f, 0xc8 | d],                    // bswap
            13 => vec![self.r.pick(&[0xacu8, 0xad])],      // lods
            14 => vec![self.r.pick(&[0xaau8, 0xab])],      // stos
            15 => vec![self.r.pick(&[0xa4u8, 0xa5])],      // movs
            16 => {
                out.push(p(vec![0xb9, self.r.below(24) as u8, 0, 0, 0])); // mov $n, %ecx
                vec![0xf3, self.r.pick(&[0xaau8, 0xab, 0xa4])]
            }
            17 => rr(&[self.r.pick(&[0x00u8, 0x28, 0x38, 0x30])], s, d), // byte ALU
            18 => {
                let (pre, m) = self.mem(false);
                out.extend(pre);
                mem_insn(&[0x02], d, &m) // add m8, r8
            }
            19 => rr(&[0x66, 0x01], s, d), // add %sx, %dx
            20 => {
                let (pre, m) = self.mem(true);
                out.extend(pre);
                let mut v = vec![0x66];
                v.extend(mem_insn(&[0x89], s, &m)); // movw
                v
            }
            21 => rr(&[0x0f, 0x40 | self.cc()], d, s), // cmovcc
            22 => vec![self.r.pick(&[0x9fu8, 0x9e])],  // lahf, sahf
            23 => vec![0x0f, 0x31],                    // rdtsc
            24 => {
                let (pre, m) = self.mem(false);
                out.extend(pre);
                mem_insn(&[self.r.pick(&[0x23u8, 0x0b, 0x33])], d, &m) // and/or/xor r, m
            }
            25 => {
                let (pre, m) = self.mem(true);
                out.extend(pre);
                match self.r.below(3) {
                    0 => imm32(
                        mem_insn(&[0x81], self.r.pick(&[0u8, 5, 1]), &m),
                        self.r.value(),
                    ),
                    1 => mem_insn(&[0xff], self.r.pick(&[0u8, 1]), &m), // incl, decl
                    _ => mem_insn(&[0x01], s, &m),                      // add r, m
                }
            }
            26 => vec![0xc1, 0xe0 | d, 0], // shl $0: no flags change
            27 => vec![0xcd, 0x80],        // int $0x80
            28 => rr(&[0xf7], 4, s),       // mul
            _ => vec![0x0f, 0x1f, 0x40, 0],
        };
        out.push(p(insn));
    }

    /// Something that sets flags for a jcc (fuses with it when it can).
    fn flag_setter(&mut self, out: &mut Vec<Item>) {
        let d = self.any();
        let s = self.any();
        let insn = match self.r.below(6) {
            0 => rr(&[0x39], s, d),
            1 => rr(&[0x85], s, d),
            2 => vec![0x83, 0xf8 | d, self.r.value() as u8],
            3 => imm32(rr(&[0xf7], 0, d), self.r.value()),
            4 => {
                let (pre, m) = self.mem(false);
                out.extend(pre);
                let mut v = mem_insn(&[0x80], 7, &m);
                v.push(self.r.value() as u8);
                v
            }
            _ => {
                let (pre, m) = self.mem(false);
                out.extend(pre);
                mem_insn(&[0x3b], d, &m)
            }
        };
        out.push(p(insn));
    }

    /// A store into the code: an immediate or a one-byte op, ahead or behind.
    fn patch(&mut self, out: &mut Vec<Item>) {
        let imm = self.r.chance(50);
        let behind = if imm {
            &self.imm_targets
        } else {
            &self.byte_targets
        };
        let label = if !behind.is_empty() && self.r.chance(50) {
            let i = self.r.below(behind.len() as u32) as usize;
            behind[i]
        } else {
            let l = self.label();
            let t = if imm { Target::Imm } else { Target::Byte };
            self.pending.push((l, t));
            l
        };
        let alias = self.alias && self.r.chance(30);
        let abs = |bytes: Vec<u8>, at: usize, add: u32| {
            Item::P(Piece::Abs {
                bytes,
                at,
                label,
                add,
                alias,
            })
        };
        if !imm {
            let b = self.r.pick(&ONE_BYTE);
            if self.r.chance(30) {
                // Through a register.
                out.push(abs(vec![0xb8 | EAX, 0, 0, 0, 0], 1, 0));
                out.push(p(vec![0xc6, 0x00, b]));
            } else {
                out.push(abs(vec![0xc6, 0x05, 0, 0, 0, 0, b], 2, 0));
            }
            return;
        }
        match self.r.below(4) {
            0 => {
                let mut v = vec![0xc7, 0x05, 0, 0, 0, 0];
                v.extend(self.r.value().to_le_bytes());
                out.push(abs(v, 2, 1));
            }
            1 => out.push(abs(
                vec![0xc6, 0x05, 0, 0, 0, 0, self.r.value() as u8],
                2,
                1 + self.r.below(4),
            )),
            2 => {
                let s = self.val();
                out.push(abs(vec![0x89, s << 3 | 5, 0, 0, 0, 0], 2, 1));
            }
            _ => {
                let s = self.r.pick(&[ECX, EDX, EBX]);
                out.push(abs(vec![0xb8 | EAX, 0, 0, 0, 0], 1, 1));
                out.push(p(vec![0x89, s << 3]));
            }
        }
    }

    /// Straight-line items, branches, loops and calls.
    fn items(&mut self, n: u32, ctx: Ctx) -> Vec<Item> {
        let mut out = Vec::new();
        for _ in 0..n {
            if self.hooks && self.r.chance(4) {
                out.push(Item::P(Piece::Hook));
            }
            let roll = self.r.below(100);
            match roll {
                0..=49 => self.supported(&mut out),
                50..=61 => self.unsupported(&mut out),
                62..=69 => {
                    // Forward jcc over a few items.
                    if self.r.chance(70) {
                        self.flag_setter(&mut out);
                    }
                    let skip = self.label();
                    let cc = self.cc();
                    let near = self.r.chance(15);
                    let body = {
                        let n = 1 + self.r.below(4);
                        self.items(n, ctx)
                    };
                    let jump = if self.r.chance(8) {
                        // jecxz (rel8 only: the body stays short).
                        Item::Fixed(vec![
                            p(vec![0xe3, 0x02]),
                            p(vec![0xeb, 0x05]),
                            Item::P(Piece::Jump {
                                cc: None,
                                to: skip,
                                near: true,
                            }),
                        ])
                    } else {
                        Item::P(Piece::Jump {
                            cc: Some(cc),
                            to: skip,
                            near,
                        })
                    };
                    out.push(Item::Fixed(vec![
                        jump,
                        Item::Body(body),
                        Item::P(Piece::Label(skip)),
                    ]));
                }
                70..=72 => {
                    self.flag_setter(&mut out);
                    let (other, end) = (self.label(), self.label());
                    let cc = self.cc();
                    let then = {
                        let n = 1 + self.r.below(3);
                        self.items(n, ctx)
                    };
                    let els = {
                        let n = 1 + self.r.below(3);
                        self.items(n, ctx)
                    };
                    out.push(Item::Fixed(vec![
                        Item::P(Piece::Jump {
                            cc: Some(cc),
                            to: other,
                            near: false,
                        }),
                        Item::Body(then),
                        Item::P(Piece::Jump {
                            cc: None,
                            to: end,
                            near: false,
                        }),
                        Item::P(Piece::Label(other)),
                        Item::Body(els),
                        Item::P(Piece::Label(end)),
                    ]));
                }
                73..=80 if ctx.depth < 2 => out.push(self.looped(ctx)),
                81..=85 => {
                    let first = ctx.func.map_or(0, |f| f + 1);
                    if first < self.funcs.len() {
                        let f = first + self.r.below((self.funcs.len() - first) as u32) as usize;
                        out.push(self.call(f));
                    } else {
                        self.supported(&mut out);
                    }
                }
                86..=89 => self.patch(&mut out),
                90..=91 => {
                    // A jmp over bytes never run.
                    let over = self.label();
                    let junk = (0..1 + self.r.below(6))
                        .map(|_| self.r.next() as u8)
                        .collect();
                    out.push(Item::Fixed(vec![
                        Item::P(Piece::Jump {
                            cc: None,
                            to: over,
                            near: self.r.chance(20),
                        }),
                        p(junk),
                        Item::P(Piece::Label(over)),
                    ]));
                }
                92 if self.chaos => {
                    // A random byte somewhere in the code.
                    let mut v = vec![0xc6, 0x05, 0, 0, 0, 0, self.r.next() as u8];
                    let at = CODE + self.r.below(0x4000);
                    v[2..6].copy_from_slice(&at.to_le_bytes());
                    out.push(p(v));
                }
                93..=94 => {
                    // A store into the int3s after the program (same frame, usually).
                    let add = self.r.below(64);
                    out.push(Item::P(Piece::Abs {
                        bytes: vec![0xc6, 0x05, 0, 0, 0, 0, 0xcc],
                        at: 2,
                        label: self.end,
                        add,
                        alias: false,
                    }));
                }
                95 if self.r.chance(25) => {
                    // 16-bit addressing: (%bx) is somewhere in the null page.
                    out.push(p(vec![0x67, 0x8b, 0x07]));
                }
                96 => {
                    // The stack in the code (after the program): the
                    // pushes, and the call's, write over decoded code.
                    let next = self.label();
                    out.push(Item::Fixed(vec![
                        p(vec![0x89, 0xe2]), // mov %esp, %edx
                        Item::P(Piece::Abs {
                            bytes: vec![0xbc, 0, 0, 0, 0],
                            at: 1,
                            label: self.end,
                            add: 64 + 4 * self.r.below(8),
                            alias: self.alias && self.r.chance(50),
                        }),
                        p(vec![0x51]), // push %ecx
                        Item::P(Piece::Call(next)),
                        Item::P(Piece::Label(next)),
                        p(vec![0x58]),       // pop %eax
                        p(vec![0x59]),       // pop %ecx
                        p(vec![0x89, 0xd4]), // mov %edx, %esp
                    ]));
                }
                97 => {
                    // call the next instruction, pop the address.
                    let next = self.label();
                    let r = self.val();
                    out.push(Item::Fixed(vec![
                        Item::P(Piece::Call(next)),
                        Item::P(Piece::Label(next)),
                        p(vec![0x58 | r]),
                    ]));
                }
                98 => {
                    // A long straight stretch of what the JIT translates.
                    for _ in 0..20 + self.r.below(50) {
                        self.supported(&mut out);
                    }
                }
                99 if ctx.depth < 2 => out.push(self.walk(ctx)),
                _ => self.supported(&mut out),
            }
        }
        out
    }

    /// A loop that walks a pointer through the data pages in big steps,
    /// into the read-only page and the unmapped one (faults in the middle
    /// of a loop the JIT runs inside its translation).
    fn walk(&mut self, ctx: Ctx) -> Item {
        let inner = Ctx {
            depth: ctx.depth + 1,
            ..ctx
        };
        let ptr = self.r.pick(&PTR);
        let step = 4 * (32 + self.r.below(256));
        let n = 2 + self.r.below(12);
        let top = self.label();
        let mut body = vec![p(imm32(vec![0x81, 0xc0 | ptr], step))];
        let m = M::based(ptr, self.r.below(8));
        body.push(p(match self.r.below(5) {
            0 => mem_insn(&[0x8b], self.val(), &m),
            1 => mem_insn(&[0x89], self.any(), &m),
            2 => mem_insn(&[0x80], 7, &m)
                .into_iter()
                .chain([self.r.value() as u8])
                .collect(),
            3 => mem_insn(&[0x0f, 0xb7], self.val(), &m),
            _ => mem_insn(&[0x03], self.val(), &m),
        }));
        let more = self.r.below(3);
        body.extend(self.items(more, inner));
        Item::Fixed(vec![
            p(vec![0x55]),       // push %ebp
            p(vec![0x50 | ptr]), // push %ptr
            p(imm32(vec![0xbd], n)),
            Item::P(Piece::Label(top)),
            Item::Body(body),
            p(vec![0x4d]), // dec %ebp
            Item::P(Piece::Jump {
                cc: Some(5),
                to: top,
                near: false,
            }),
            p(vec![0x58 | ptr]),
            p(vec![0x5d]),
        ])
    }

    /// A counted loop (EBP counts; saved around it).
    fn looped(&mut self, ctx: Ctx) -> Item {
        let inner = Ctx {
            depth: ctx.depth + 1,
            ..ctx
        };
        let n = 1 + self.r.below(if ctx.depth == 0 { 12 } else { 5 });
        let top = self.label();
        let body = Item::Body({
            let n = 1 + self.r.below(6);
            self.items(n, inner)
        });
        let lp = |l: Label| Item::P(Piece::Label(l));
        let jump = |cc: Option<u8>, to: Label| {
            Item::P(Piece::Jump {
                cc,
                to,
                near: false,
            })
        };
        let counter = COUNTERS + 8 * ctx.depth;
        let mut v = vec![p(vec![0x55])]; // push %ebp
        match self.r.below(6) {
            0 => {
                v.push(p(imm32(vec![0xbd], n)));
                v.extend([lp(top), body, p(vec![0x4d]), jump(Some(5), top)]); // dec; jnz
            }
            1 => {
                v.push(p(vec![0x31, 0xed])); // xor %ebp, %ebp
                v.extend([lp(top), body, p(vec![0x45])]); // inc
                v.push(p(vec![0x83, 0xfd, n as u8])); // cmp $n, %ebp
                v.push(jump(Some(self.r.pick(&[0xcu8, 0x5, 0x2])), top)); // jl jne jb
            }
            2 => {
                // The exit in the middle, the jmp back at the end.
                let out = self.label();
                v.push(p(imm32(vec![0xbd], n)));
                v.extend([
                    lp(top),
                    p(vec![0x4d]),
                    jump(Some(8), out),
                    body,
                    jump(None, top),
                    lp(out),
                ]);
            }
            3 => {
                v.push(p(imm32(vec![0xbd], n)));
                v.extend([
                    lp(top),
                    body,
                    p(vec![0x83, 0xed, 1]),
                    p(vec![0x85, 0xed]),
                    jump(Some(0xf), top),
                ]);
            }
            4 => {
                // The count in memory, compared there.
                v.push(p(imm32(mem_insn(&[0xc7], 0, &M::abs(counter)), n)));
                v.extend([lp(top), body]);
                v.push(p(mem_insn(&[0x8b], EBP, &M::abs(counter))));
                v.push(p(vec![0x4d]));
                v.push(p(mem_insn(&[0x89], EBP, &M::abs(counter))));
                v.push(p(mem_insn(&[0x83], 7, &M::abs(counter))
                    .into_iter()
                    .chain([0])
                    .collect()));
                v.push(jump(Some(5), top));
            }
            _ => {
                // A byte count, cmpb against it.
                let mut set = mem_insn(&[0xc6], 0, &M::abs(counter));
                set.push(n as u8);
                v.push(p(set));
                v.extend([lp(top), body]);
                v.push(p(mem_insn(&[0x0f, 0xb6], EBP, &M::abs(counter))));
                v.push(p(vec![0x4d]));
                v.push(p(mem_insn(&[0x89], EBP, &M::abs(counter))));
                let mut cmp = mem_insn(&[0x80], 7, &M::abs(counter));
                cmp.push(0);
                v.push(p(cmp));
                v.push(jump(Some(5), top));
            }
        }
        v.push(p(vec![0x5d])); // pop %ebp
        Item::Fixed(v)
    }

    /// A call of function `f` (pushing its argument if it takes one),
    /// directly or through a register, maybe at the second mapping.
    fn call(&mut self, f: usize) -> Item {
        let label = self.funcs[f];
        let mut v = Vec::new();
        if self.ret4[f] {
            v.push(p(vec![0x50 | self.any()]));
        }
        if self.r.chance(25) {
            let r = self.val();
            v.push(Item::P(Piece::Abs {
                bytes: vec![0xb8 | r, 0, 0, 0, 0],
                at: 1,
                label,
                add: 0,
                alias: self.alias && self.r.chance(50),
            }));
            v.push(p(rr(&[0xff], 2, r))); // call *%r
        } else {
            v.push(Item::P(Piece::Call(label)));
        }
        Item::Fixed(v)
    }
}

/// The start state: registers, flags, segment bases, data.
#[derive(Clone, Debug)]
struct Init {
    regs: [u32; 8],
    eflags: u32,
    data_seed: u64,
    /// Where the program starts in the code pages.
    start: u32,
    alias: bool,
}

#[derive(Clone, Debug)]
struct Program {
    main: Item,
    funcs: Vec<Item>,
    /// Labels still waiting for their target; given one at the end.
    tail: Vec<Item>,
    init: Init,
    chaos: bool,
}

impl Program {
    fn pieces(&self) -> Vec<Piece> {
        let mut v = Vec::new();
        flatten(&self.main, &mut v);
        for f in &self.funcs {
            flatten(f, &mut v);
        }
        for t in &self.tail {
            flatten(t, &mut v);
        }
        v
    }
}

fn generate(seed: u64) -> Program {
    let mut r = Rng::new(seed);
    let chaos = r.chance(3);
    let hooks = r.chance(10);
    let alias = r.chance(50);
    let nfuncs = r.below(4) as usize;
    let mut g = Gen {
        r: &mut r,
        labels: 0,
        ret4: Vec::new(),
        pending: Vec::new(),
        imm_targets: Vec::new(),
        byte_targets: Vec::new(),
        end: 0,
        funcs: Vec::new(),
        chaos,
        alias,
        hooks,
    };
    g.end = g.label();
    for _ in 0..nfuncs {
        let l = g.label();
        g.funcs.push(l);
        let r4 = g.r.chance(30);
        g.ret4.push(r4);
    }
    let n = 8 + g.r.below(40);
    let main = g.items(
        n,
        Ctx {
            depth: 0,
            func: None,
        },
    );
    let main = vec![Item::Body(main), p(vec![0xcc])]; // int3: the end
    let mut funcs = Vec::new();
    for f in 0..nfuncs {
        let n = 2 + g.r.below(10);
        let body = g.items(
            n,
            Ctx {
                depth: 0,
                func: Some(f),
            },
        );
        let ret = if g.ret4[f] {
            vec![0xc2, 4, 0]
        } else {
            vec![0xc3]
        };
        funcs.push(Item::Fixed(vec![
            Item::P(Piece::Label(g.funcs[f])),
            Item::Body(body),
            p(ret),
        ]));
    }
    // Patches whose target never came: give each one, after everything.
    let mut tail = Vec::new();
    for (l, t) in std::mem::take(&mut g.pending) {
        tail.push(Item::P(Piece::Label(l)));
        tail.push(p(match t {
            Target::Imm => vec![0xb8, 1, 2, 3, 4],
            Target::Byte => vec![0x90],
        }));
    }
    tail.push(Item::P(Piece::Label(g.end)));
    let mut regs = [0u32; 8];
    for r in VAL {
        regs[r as usize] = g.r.value();
    }
    for r in PTR {
        regs[r as usize] = DATA + 0x2000 + g.r.below(0x4000);
    }
    regs[EBP as usize] = g.r.value();
    regs[ESP as usize] = STACK_TOP - 0x200;
    // CF PF AF ZF SF OF, and DF now and then.
    let mut eflags = (g.r.next() as u32) & 0x8d5;
    if g.r.chance(10) {
        eflags |= 0x400;
    }
    let start = match g.r.below(3) {
        // Near the end of a page, so blocks and instructions cross it.
        0 | 1 => 0x1000 - 0x80 - g.r.below(0x600),
        _ => g.r.below(0x2000),
    };
    let init = Init {
        regs,
        eflags,
        data_seed: g.r.next(),
        start,
        alias,
    };
    Program {
        main: Item::Fixed(main),
        funcs,
        tail,
        init,
        chaos,
    }
}

// -------------------------------------------------------------- runner

/// A TLB for case `seed`: the default, and small ones with each policy.
fn tlb_for(seed: u64) -> TlbConfig {
    let (entries, ways, policy) = [
        (64, 4, Policy::Lru),
        (4, 2, Policy::Lru),
        (4, 4, Policy::Fifo),
        (4, 2, Policy::Random),
        (8, 1, Policy::Lru),
        (2, 1, Policy::Fifo),
        (16, 4, Policy::Random),
        (1, 1, Policy::Lru),
        (8, 8, Policy::Fifo),
    ][(seed % 9) as usize];
    TlbConfig {
        entries,
        ways,
        policy,
    }
}

/// Budgets for the runs of a case, by the seed.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Sched {
    /// 7, 1000, then everything.
    Mixed,
    /// `n` single steps, then everything.
    Steps(u32),
    /// Budgets from a few sizes that end inside blocks and loops.
    Random(u64),
    /// Everything at once.
    Huge,
}

impl Sched {
    fn for_seed(seed: u64) -> Sched {
        let mut r = Rng::new(seed ^ 0xb0d9);
        match r.below(4) {
            0 => Sched::Mixed,
            1 => Sched::Steps(1 + r.below(60)),
            2 => Sched::Random(r.next()),
            _ => Sched::Huge,
        }
    }

    fn budgets(self) -> Box<dyn Iterator<Item = u64>> {
        match self {
            Sched::Mixed => Box::new([7, 1000].into_iter().chain(std::iter::repeat(HUGE))),
            Sched::Steps(n) => {
                Box::new(std::iter::repeat_n(1, n as usize).chain(std::iter::repeat(HUGE)))
            }
            Sched::Random(s) => {
                let mut r = Rng::new(s);
                Box::new(std::iter::from_fn(move || {
                    Some(match r.below(10) {
                        0 => r.pick(&[HUGE, HUGE, u64::MAX, 0]),
                        1..=3 => 1 + r.below(4) as u64,
                        4..=6 => 1 + r.below(40) as u64,
                        _ => r.pick(&[64, 100, 333, 1000, 4096]),
                    })
                }))
            }
            Sched::Huge => Box::new(std::iter::repeat(HUGE)),
        }
    }
}

/// Memcheck on: some data pages watched as heap with forbidden byte
/// ranges, and maybe the stack.
#[derive(Clone, Debug)]
struct Memcheck {
    stack: bool,
    pages: Vec<u32>,
    forbidden: Vec<(u32, u32)>,
}

#[derive(Clone, Debug)]
struct Case {
    seed: u64,
    prog: Program,
    tlb: TlbConfig,
    hot: u16,
    sched: Sched,
    /// Whether the program's hooks are set (passed at each stop).
    hooks: bool,
    memcheck: Option<Memcheck>,
    /// Between runs, now and then, a CR3 reload or an invlpg (by this seed).
    tlb_events: Option<u64>,
}

impl Case {
    fn new(seed: u64) -> Case {
        let mut r = Rng::new(seed ^ 0x7e57);
        let hooks = true;
        let memcheck = r.chance(15).then(|| {
            let pages: Vec<u32> = (0..1 + r.below(3))
                .map(|_| (DATA >> 12) + 1 + r.below(6))
                .collect();
            let forbidden = (0..1 + r.below(20))
                .map(|_| {
                    let at = DATA + 0x1000 + r.below(6 * 4096);
                    (at, at + 1 + r.below(512))
                })
                .collect();
            let stack = r.chance(70);
            Memcheck {
                stack,
                pages,
                forbidden,
            }
        });
        let tlb_events = r.chance(20).then(|| r.next());
        Case {
            seed,
            prog: generate(seed),
            tlb: tlb_for(seed),
            hot: if seed % 8 == 7 { 2 } else { 1 },
            sched: Sched::for_seed(seed),
            hooks,
            memcheck,
            tlb_events,
        }
    }
}

fn frame_of(vm: &Vm, va: u32) -> Frame {
    vm.m.mmu().peek(VirtAddr(va)).pte.expect("mapped").frame()
}

/// Write `bytes` at `va` (mapped) a page at a time.
fn fill(vm: &mut Vm, va: u32, bytes: &[u8]) {
    let mut done = 0;
    while done < bytes.len() {
        let a = va + done as u32;
        let n = (4096 - (a & 0xfff) as usize).min(bytes.len() - done);
        let base = frame_of(vm, a).base().0 + (a & 0xfff);
        vm.m.mmu_mut()
            .phys_mut()
            .write_bytes(toyemu_emulator::PhysAddr(base), &bytes[done..done + n]);
        done += n;
    }
}

/// A machine with the case's start state and `code`.
fn machine(case: &Case, code: &Code, engine: Engine) -> Vm {
    let mut vm = machine_bytes(case, &code.bytes, engine);
    if case.hooks && !code.hooks.is_empty() {
        vm.m.cpu_mut().set_hooks(code.hooks.clone());
    }
    if let Some(mc) = &case.memcheck {
        let mmu = vm.m.mmu_mut();
        mmu.enable_watch();
        if mc.stack {
            mmu.watch_stack((STACK_TOP >> 12) - 4, STACK_TOP >> 12);
        }
        for &vpn in &mc.pages {
            mmu.watch_page(vpn);
        }
        let w = mmu.watch_mut().expect("memcheck is on");
        for &(a, b) in &mc.forbidden {
            w.set_forbidden(a, b, true);
        }
    }
    vm
}

fn machine_bytes(case: &Case, code: &[u8], engine: Engine) -> Vm {
    let init = &case.prog.init;
    let mut vm = Vm::with_config(MachineConfig {
        tlb: case.tlb,
        engine,
        jit_hot: case.hot,
        ..MachineConfig::default()
    });
    // int3 all over the first four code pages, then the program.
    let mut image = vec![0xcc; 0x4000];
    let at = init.start as usize;
    image[at..at + code.len()].copy_from_slice(code);
    fill(&mut vm, CODE, &image);
    if init.alias {
        for i in 0..4 {
            let f = frame_of(&vm, CODE + i * 4096);
            vm.set_pte(CODE + ALIAS + i * 4096, Pte::new(f, RW));
        }
    }
    let mut r = Rng::new(init.data_seed);
    let data: Vec<u8> = (0..8 * 4096).map(|_| r.next() as u8).collect();
    fill(&mut vm, DATA, &data);
    fill(&mut vm, COUNTERS, &[0; 0x40]);
    let ro = frame_of(&vm, READONLY);
    vm.set_pte(READONLY, Pte::new(ro, PTE_P | PTE_U));
    for (i, r) in Reg::ALL.into_iter().enumerate() {
        vm.m.cpu_mut().set_reg(r, init.regs[i]);
    }
    vm.m.cpu_mut().set_eflags(0x202 | init.eflags);
    vm.m.cpu_mut().set_fs_base(0x1000);
    vm.m.cpu_mut().set_gs_base(0xffff_f000);
    vm.m.cpu_mut().set_eip(VirtAddr(CODE + init.start));
    vm
}

/// Everything the two machines must agree on, or what differs.
fn compare(a: &Vm, b: &Vm) -> Result<(), String> {
    let (ca, cb) = (a.m.cpu(), b.m.cpu());
    let mut diff = String::new();
    if ca.registers() != cb.registers() {
        let (ra, rb) = (ca.registers(), cb.registers());
        for (i, r) in Reg::ALL.into_iter().enumerate() {
            if ra.gpr[i] != rb.gpr[i] {
                let _ = writeln!(
                    diff,
                    "  {r:?}: interp {:#x}, jit {:#x}",
                    ra.gpr[i], rb.gpr[i]
                );
            }
        }
        if ra.eip != rb.eip {
            let _ = writeln!(diff, "  eip: interp {:#x}, jit {:#x}", ra.eip, rb.eip);
        }
        if ra.eflags != rb.eflags {
            let _ = writeln!(
                diff,
                "  eflags: interp {:#x}, jit {:#x}",
                ra.eflags, rb.eflags
            );
        }
        if diff.is_empty() {
            let _ = writeln!(diff, "  registers: interp {ra:?}\n  jit {rb:?}");
        }
    }
    if ca.eflags() != cb.eflags() && !diff.contains("eflags") {
        let _ = writeln!(
            diff,
            "  eflags: interp {:#x}, jit {:#x}",
            ca.eflags(),
            cb.eflags()
        );
    }
    if ca.retired() != cb.retired() {
        let _ = writeln!(
            diff,
            "  retired: interp {}, jit {}",
            ca.retired(),
            cb.retired()
        );
    }
    if a.m.traps() != b.m.traps() {
        let _ = writeln!(
            diff,
            "  traps: interp {:?}, jit {:?}",
            a.m.traps(),
            b.m.traps()
        );
    }
    let (ma, mb) = (a.m.mmu(), b.m.mmu());
    if ma.cr2() != mb.cr2() {
        let _ = writeln!(diff, "  cr2: interp {:?}, jit {:?}", ma.cr2(), mb.cr2());
    }
    if ma.tlb_stats() != mb.tlb_stats() {
        let _ = writeln!(
            diff,
            "  tlb: interp {:?}\n       jit    {:?}",
            ma.tlb_stats(),
            mb.tlb_stats()
        );
    }
    let (ea, eb): (Vec<_>, Vec<_>) = (
        ma.tlb().valid_entries().collect(),
        mb.tlb().valid_entries().collect(),
    );
    if ea != eb {
        let _ = writeln!(
            diff,
            "  tlb entries: interp {ea:?}\n               jit    {eb:?}"
        );
    }
    if a.frames_end() != b.frames_end() {
        let _ = writeln!(
            diff,
            "  frames used: interp {}, jit {}",
            a.frames_end(),
            b.frames_end()
        );
    }
    for f in 0..a.frames_end().min(b.frames_end()) {
        let (x, y) = (
            ma.phys().frame_bytes(Frame(f)),
            mb.phys().frame_bytes(Frame(f)),
        );
        if x != y {
            let i = (0..4096).find(|&i| x[i] != y[i]).unwrap_or(0);
            let _ = writeln!(
                diff,
                "  memory: frame {f} ({}) offset {i:#x}: interp {:02x?}, jit {:02x?}",
                where_is(a, f),
                &x[i..(i + 8).min(4096)],
                &y[i..(i + 8).min(4096)]
            );
            break;
        }
    }
    if diff.is_empty() {
        Ok(())
    } else {
        Err(diff)
    }
}

/// The virtual pages that map frame `f` (for messages).
fn where_is(vm: &Vm, f: u32) -> String {
    let mut v = Vec::new();
    for vpn in 0x08000..0x08400u32 {
        if let Some(pte) = vm.m.mmu().peek(VirtAddr(vpn << 12)).pte {
            if pte.is_present() && pte.frame().0 == f {
                v.push(format!("{:#x}", vpn << 12));
            }
        }
    }
    if v.is_empty() {
        "a page table or unmapped".into()
    } else {
        format!("page {}", v.join(" = "))
    }
}

/// What the runner did about traps: pages it mapped (or made writable)
/// and instructions it skipped.
#[derive(Default, Clone, Copy)]
struct Fixes {
    mapped: u32,
    skipped: u32,
}

/// What the runner does after a trap, on both machines alike: go on (a
/// limit, a syscall, a page fault it can fix by mapping the page as a
/// kernel would), skip the instruction (a fault it cannot fix, #UD, #GP,
/// #DE: as a signal handler might), or stop (the int3 at the end).
fn after(vm: &mut Vm, t: Trap, fixes: &mut Fixes) -> bool {
    match t {
        Trap::InstructionLimit | Trap::Syscall => true,
        Trap::Hook { .. } => {
            vm.m.cpu_mut().pass_hook();
            true
        }
        Trap::PageFault { addr, code, .. }
            if fixes.mapped < 4 && (0x10000..0xc000_0000).contains(&addr.0) =>
        {
            fixes.mapped += 1;
            let page = addr.0 & !0xfff;
            if code.contains(PfCode::P) {
                let f = frame_of(vm, page);
                vm.set_pte(page, Pte::new(f, RW));
            } else {
                vm.map(page, RW);
            }
            true
        }
        Trap::PageFault { code, .. } if code.contains(PfCode::I) => false,
        Trap::PageFault { .. }
        | Trap::InvalidOpcode { .. }
        | Trap::GeneralProtection { .. }
        | Trap::DivideError { .. }
        | Trap::MemCheck { .. }
            if fixes.skipped < 64 =>
        {
            let eip = vm.m.cpu().eip();
            let Some((bytes, _)) = toyemu_emulator::disasm::at(vm.m.mmu(), eip) else {
                return false;
            };
            fixes.skipped += 1;
            vm.m.cpu_mut()
                .set_eip(VirtAddr(eip.0.wrapping_add(bytes.len() as u32)));
            true
        }
        _ => false,
    }
}

struct Failure {
    runs: Vec<(u64, Trap)>,
    diff: String,
}

/// Whether the program ends (a trap it stops at) within CAP instructions
/// on the interpreter, so that huge budgets are safe.
fn terminates(case: &Case, code: &Code) -> bool {
    let mut vm = machine(case, code, Engine::Interp);
    let mut fixes = Fixes::default();
    loop {
        let left = CAP.saturating_sub(vm.m.retired());
        if left == 0 {
            return false;
        }
        let t = vm.run(left);
        if !after(&mut vm, t, &mut fixes) {
            return true;
        }
    }
}

/// What the cases did, for the summary (and for tuning the generator).
#[derive(Default, Debug)]
struct Tally {
    insns: u64,
    runs: usize,
    translated: u64,
    jit_runs: u64,
    refused: u64,
    /// How the cases ended, by the last trap's kind.
    ends: std::collections::BTreeMap<String, u32>,
    faults_fixed: u32,
    skipped: u32,
    bounded: u32,
}

/// Run `case` on both engines; the runs made and what differed, if anything.
fn execute(case: &Case, code: &Code) -> Result<Tally, Failure> {
    let bounded = case.prog.chaos || !terminates(case, code);
    let mut a = machine(case, code, Engine::Interp);
    let mut b = machine(case, code, Engine::Jit);
    let mut runs = Vec::new();
    if let Err(diff) = compare(&a, &b) {
        return Err(Failure { runs, diff });
    }
    let (mut fa, mut fb) = (Fixes::default(), Fixes::default());
    let mut budgets = case.sched.budgets();
    let mut events = case.tlb_events.map(Rng::new);
    loop {
        if let Some(r) = events.as_mut() {
            // What a kernel does to the TLB between two runs of a process.
            let page = r.pick(&[
                CODE,
                CODE + 0x1000,
                DATA,
                DATA + 0x3000,
                READONLY,
                STACK_TOP - 4096,
            ]);
            match r.below(10) {
                0 => {
                    for vm in [&mut a, &mut b] {
                        let cr3 = vm.m.mmu().cr3();
                        vm.m.mmu_mut().load_cr3(cr3);
                    }
                }
                1 | 2 => {
                    for vm in [&mut a, &mut b] {
                        vm.m.mmu_mut().invlpg(VirtAddr(page));
                    }
                }
                _ => {}
            }
        }
        let mut budget = budgets.next().unwrap_or(HUGE);
        if bounded {
            budget = budget.min(CAP - a.m.retired().min(CAP - 1));
        }
        let ta = a.run(budget);
        let tb = b.run(budget);
        if std::env::var_os("JIT_ENGINES_TRACE").is_some() {
            eprintln!(
                "run({budget}) -> {ta:?}, eip {:#x}, retired {}",
                a.m.cpu().eip().0,
                a.m.retired()
            );
        }
        runs.push((budget, ta));
        if ta != tb {
            let diff = format!(
                "  trap: interp {ta:?}, jit {tb:?}\n{}",
                compare(&a, &b).err().unwrap_or_default()
            );
            return Err(Failure { runs, diff });
        }
        if let Err(diff) = compare(&a, &b) {
            return Err(Failure { runs, diff });
        }
        let (ga, gb) = (after(&mut a, ta, &mut fa), after(&mut b, tb, &mut fb));
        if !ga || !gb || a.m.retired() >= CAP || runs.len() > 5000 {
            let j = b.m.cpu().jit_stats().unwrap_or_default();
            let end = format!("{:?}", ta.kind());
            if std::env::var_os("JIT_ENGINES_VERBOSE").is_some() {
                let at = toyemu_emulator::disasm::at(a.m.mmu(), a.m.cpu().eip());
                eprintln!("seed {}: {ta:?} at {at:?}", case.seed);
            }
            return Ok(Tally {
                insns: a.m.retired(),
                runs: runs.len(),
                translated: j.translated,
                jit_runs: j.runs,
                refused: j.refused,
                ends: [(end, 1)].into_iter().collect(),
                faults_fixed: fa.mapped,
                skipped: fa.skipped,
                bounded: bounded as u32,
            });
        }
    }
}

/// The program as a listing: address, bytes, disassembly.
fn listing(code: &Code, base: u32) -> String {
    let mut s = String::new();
    let mut starts = code.insns.clone();
    starts.dedup();
    for (k, &o) in starts.iter().enumerate() {
        let end = starts.get(k + 1).copied().unwrap_or(code.bytes.len());
        if end <= o {
            continue;
        }
        let bytes = &code.bytes[o..end];
        let (_, text) = disassemble(bytes, VirtAddr(base + o as u32));
        let hex: Vec<String> = bytes.iter().map(|b| format!("{b:02x}")).collect();
        let _ = writeln!(s, "  {:08x}: {:<24} {text}", base + o as u32, hex.join(" "));
    }
    s
}

fn hex(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// Remove what a failing program can do without, one body item at a time.
fn shrink(case: &Case) -> Case {
    let still_fails = |c: &Case| {
        let base = CODE + c.prog.init.start;
        match assemble(&c.prog.pieces(), base) {
            Some(code) if code.bytes.len() + c.prog.init.start as usize <= 0x4000 => {
                execute(c, &code).is_err()
            }
            _ => false,
        }
    };
    let mut best = case.clone();
    // Without what it does not need: hooks, memcheck, TLB events.
    for k in 0..3 {
        let mut c = best.clone();
        match k {
            0 => c.hooks = false,
            1 => c.memcheck = None,
            _ => c.tlb_events = None,
        }
        if still_fails(&c) {
            best = c;
        }
    }
    // Simpler budgets first.
    for sched in [Sched::Huge, Sched::Mixed, Sched::Steps(1000)] {
        let mut c = best.clone();
        c.sched = sched;
        if c.sched != best.sched && still_fails(&c) {
            best = c;
            break;
        }
    }
    loop {
        let mut progress = false;
        let mut i = 0;
        loop {
            let mut c = best.clone();
            let mut k = i;
            let mut roots: Vec<&mut Item> = vec![&mut c.prog.main];
            roots.extend(c.prog.funcs.iter_mut());
            let removed = roots.into_iter().any(|r| remove_nth(r, &mut k));
            if !removed {
                break;
            }
            if still_fails(&c) {
                best = c;
                progress = true;
            } else {
                i += 1;
            }
        }
        if !progress {
            return best;
        }
    }
}

/// Remove the `k`th item of a body (in preorder), counting down `k`.
fn remove_nth(item: &mut Item, k: &mut usize) -> bool {
    match item {
        Item::P(_) => false,
        Item::Fixed(v) => v.iter_mut().any(|i| remove_nth(i, k)),
        Item::Body(v) => {
            for j in 0..v.len() {
                if *k == 0 {
                    v.remove(j);
                    return true;
                }
                *k -= 1;
                if remove_nth(&mut v[j], k) {
                    return true;
                }
            }
            false
        }
    }
}

fn report(case: &Case, f: &Failure) -> String {
    let base = CODE + case.prog.init.start;
    let code = assemble(&case.prog.pieces(), base).expect("a failing case assembles");
    let runs: Vec<String> = f
        .runs
        .iter()
        .map(|(b, t)| {
            let b = if *b == HUGE {
                "HUGE".to_string()
            } else {
                b.to_string()
            };
            format!("run({b}) -> {t:?}")
        })
        .collect();
    let tail = if runs.len() > 12 {
        format!(
            "... {} runs, the last: {}",
            runs.len(),
            runs[runs.len() - 6..].join("; ")
        )
    } else {
        runs.join("; ")
    };
    let i = &case.prog.init;
    format!(
        "seed {} (JIT_ENGINES_SEED={}): tlb {:?}, jit_hot {}, budgets {:?}, hooks at \
         {:x?}, memcheck {:?}, tlb events {:?}\n\
         start: eax {:#x} ecx {:#x} edx {:#x} ebx {:#x} esp {:#x} ebp {:#x} esi {:#x} edi {:#x} \
         eflags {:#x}, code at {base:#x}{}\n\
         runs: {tail}\n\
         differs after the last run:\n{}\
         program ({} bytes):\n{}hex: {}\n",
        case.seed,
        case.seed,
        case.tlb,
        case.hot,
        case.sched,
        if case.hooks {
            code.hooks.clone()
        } else {
            Vec::new()
        },
        case.memcheck,
        case.tlb_events,
        i.regs[0],
        i.regs[1],
        i.regs[2],
        i.regs[3],
        i.regs[4],
        i.regs[5],
        i.regs[6],
        i.regs[7],
        0x202 | i.eflags,
        if i.alias {
            ", code pages 0-3 also at +0x100000"
        } else {
            ""
        },
        f.diff,
        code.bytes.len(),
        listing(&code, base),
        hex(&code.bytes),
    )
}

/// The case as an input of the `jit` fuzz target (fuzz/src/lib.rs): the
/// same registers, flags, TLB, budgets and code (at the start of the code
/// pages); the data pages hold other bytes there.
fn fuzz_input(case: &Case) -> Vec<u8> {
    let i = &case.prog.init;
    let code = assemble(&case.prog.pieces(), CODE).expect("a generated program assembles");
    let mut v = Vec::new();
    let mut kinds = 0u16;
    for (k, r) in [EAX, ECX, EDX, EBX, EBP, ESI, EDI].into_iter().enumerate() {
        let x = i.regs[r as usize];
        if PTR.contains(&r) {
            kinds |= 1 << (2 * k);
            v.extend((x - DATA).to_le_bytes());
        } else {
            v.extend(x.to_le_bytes());
        }
    }
    v.extend(kinds.to_le_bytes());
    v.push(((i.eflags & 0xd5) | (i.eflags >> 9 & 2) | (i.eflags >> 8 & 8)) as u8);
    let tlb = match case.seed % 9 {
        8 => 0,
        t => t as u8,
    };
    let (sched, param) = match case.sched {
        Sched::Mixed => (0, 0),
        Sched::Steps(n) => (1, n as u8),
        Sched::Random(r) => (2, r as u8),
        Sched::Huge => (3, 0),
    };
    v.push(tlb | u8::from(case.hot == 2) << 3 | sched << 4 | u8::from(i.alias) << 6);
    v.push(param);
    v.extend(&code.bytes);
    v
}

fn check(seed: u64) -> Result<Tally, String> {
    let case = Case::new(seed);
    let base = CODE + case.prog.init.start;
    let code = assemble(&case.prog.pieces(), base).expect("a generated program assembles");
    assert!(
        code.bytes.len() + case.prog.init.start as usize <= 0x4000,
        "seed {seed}: the program does not fit"
    );
    if let Some(dir) = std::env::var_os("JIT_ENGINES_EXPORT") {
        let path = std::path::Path::new(&dir).join(format!("seed-{seed}"));
        std::fs::write(&path, fuzz_input(&case)).expect("write a fuzz input");
    }
    if std::env::var_os("JIT_ENGINES_LIST").is_some() {
        eprintln!("seed {seed}:\n{}", listing(&code, base));
    }
    execute(&case, &code).map_err(|_| {
        let small = shrink(&case);
        let base = CODE + small.prog.init.start;
        let code = assemble(&small.prog.pieces(), base).unwrap();
        let f = execute(&small, &code).expect_err("the shrunk case fails");
        report(&small, &f)
    })
}

#[test]
fn jit_agrees_with_the_interpreter_on_random_programs() {
    let env = |k: &str| std::env::var(k).ok().and_then(|v| v.parse::<u64>().ok());
    let seeds: Vec<u64> = match env("JIT_ENGINES_SEED") {
        Some(s) => vec![s],
        None => {
            let first = env("JIT_ENGINES_FIRST").unwrap_or(1);
            let n = env("JIT_ENGINES_CASES").unwrap_or(CASES);
            (first..first + n).chain(FOUND.iter().copied()).collect()
        }
    };
    let started = std::time::Instant::now();
    let mut all = Tally::default();
    let mut failures = Vec::new();
    for &seed in &seeds {
        match check(seed) {
            Ok(t) => {
                all.insns += t.insns;
                all.runs += t.runs;
                all.translated += t.translated;
                all.jit_runs += t.jit_runs;
                all.refused += t.refused;
                all.faults_fixed += t.faults_fixed;
                all.skipped += t.skipped;
                all.bounded += t.bounded;
                for (k, v) in t.ends {
                    *all.ends.entry(k).or_default() += v;
                }
            }
            Err(msg) => {
                failures.push(msg);
                if failures.len() as u64 >= env("JIT_ENGINES_MAX_FAILURES").unwrap_or(3) {
                    break;
                }
            }
        }
    }
    eprintln!(
        "{} programs in {:.1?}: {} runs, {} instructions each engine; JIT: {} blocks \
         translated, {} refused, {} calls into translations; {} page faults fixed, \
         {} instructions skipped, {} runaway programs cut at {CAP}; ended by {:?}",
        seeds.len(),
        started.elapsed(),
        all.runs,
        all.insns,
        all.translated,
        all.refused,
        all.jit_runs,
        all.faults_fixed,
        all.skipped,
        all.bounded,
        all.ends,
    );
    assert!(
        failures.is_empty(),
        "the JIT differs from the interpreter ({} cases shown):\n{}",
        failures.len(),
        failures.join("\n")
    );
}

// ------------------------------------------------- hand-made reproducers

/// Run `code` (at CODE, ESP at STACK_TOP - 0x200, registers zero) on both
/// engines with `budgets` (then huge ones to the end), memcheck watching
/// the stack if `stack_watch`; what differed first, if anything.
fn both(code: &[u8], stack_watch: bool, budgets: &[u64]) -> Result<(), String> {
    both_with(code, stack_watch, budgets, &|_| {})
}

/// As `both`, with `setup` run on each machine before it starts.
fn both_with(
    code: &[u8],
    stack_watch: bool,
    budgets: &[u64],
    setup: &dyn Fn(&mut Vm),
) -> Result<(), String> {
    let vm = |engine| {
        let mut vm = Vm::with_config(MachineConfig {
            engine,
            jit_hot: 1,
            ..MachineConfig::default()
        });
        vm.poke(CODE, code);
        vm.m.cpu_mut().set_reg(Reg::Esp, STACK_TOP - 0x200);
        if stack_watch {
            vm.m.mmu_mut().enable_watch();
            vm.m.mmu_mut()
                .watch_stack((STACK_TOP >> 12) - 4, STACK_TOP >> 12);
        }
        setup(&mut vm);
        vm
    };
    let (mut a, mut b) = (vm(Engine::Interp), vm(Engine::Jit));
    let mut log = Vec::new();
    for i in 0..100 {
        let budget = budgets.get(i).copied().unwrap_or(HUGE);
        let (ta, tb) = (a.run(budget), b.run(budget));
        log.push(format!("run({budget}): interp {ta:?}, jit {tb:?}"));
        let same = compare(&a, &b);
        if ta != tb || same.is_err() {
            return Err(format!(
                "{}\n{}",
                log.join("\n"),
                same.err().unwrap_or_default()
            ));
        }
        match ta {
            Trap::InstructionLimit => {}
            Trap::Hook { .. } => {
                a.m.cpu_mut().pass_hook();
                b.m.cpu_mut().pass_hook();
            }
            _ => return Ok(()),
        }
    }
    Ok(())
}

/// A few programs written by hand, each with budgets that end at every
/// point of its loop and with one huge budget.
#[test]
fn hand_made_cases_agree() {
    let cases: &[(&str, &[u8])] = &[
        (
            // mov $0x8048800,%esp; mov $5,%ecx; 1: push %ecx; call 2f;
            // 2: pop %eax; pop %edx; dec %ecx; jnz 1b; int3
            "the stack in the code page: push and call write over decoded code",
            &[
                0xbc, 0x00, 0x88, 0x04, 0x08, 0xb9, 0x05, 0x00, 0x00, 0x00, 0x51, 0xe8, 0x00, 0x00,
                0x00, 0x00, 0x58, 0x5a, 0x49, 0x75, 0xf5, 0xcc,
            ],
        ),
        (
            // mov $100,%ecx; xor %eax,%eax; 1: add %ecx,%eax;
            // mov %eax,0x8050100; dec %ecx; jnz 1b; int3
            "a block that loops on itself inside its translation",
            &[
                0xb9, 0x64, 0x00, 0x00, 0x00, 0x31, 0xc0, 0x01, 0xc8, 0xa3, 0x00, 0x01, 0x05, 0x08,
                0x49, 0x75, 0xf6, 0xcc,
            ],
        ),
        (
            // The memcheck cases at the end, without memcheck.
            "pop, setb below ESP, push, in a loop",
            &[
                0xbd, 3, 0, 0, 0, 0x59, 0x0f, 0x92, 0x44, 0x24, 0xfc, 0x51, 0x4d, 0x75, 0xf6, 0xcc,
            ],
        ),
    ];
    let steps: Vec<u64> = (1..40).map(|i| i % 7 + 1).collect();
    for (what, code) in cases {
        for budgets in [&steps[..], &[], &[0, u64::MAX]] {
            if let Err(e) = both(code, false, budgets) {
                panic!("{what}, budgets {budgets:?}: {e}");
            }
        }
    }
}

/// Memcheck's stack floor moves to ESP at each block's end. An earlier
/// JIT translated a block only up to its first op without inline code and
/// moved the floor there, in the middle of the block: here after `pop
/// %ecx`, so the `setb -4(%esp)` that follows was reported under the JIT
/// alone. Translations now cover whole blocks (the rest as call-outs).
///     mov $3,%ebp; 1: pop %ecx; setb -0x4(%esp); push %ecx; dec %ebp; jne 1b; int3
#[test]
fn stack_floor_verdict_after_a_call_out() {
    let code = [
        0xbd, 3, 0, 0, 0, 0x59, 0x0f, 0x92, 0x44, 0x24, 0xfc, 0x51, 0x4d, 0x75, 0xf6, 0xcc,
    ];
    both(&code, true, &[]).unwrap();
}

/// The same floor seen in the TLB figures: with the floor raised after
/// `pop %ecx`, the `push` was refused once and ran again, one TLB hit (and
/// later LRU stamps) more than the interpreter.
///     mov $3,%ebp; 1: pop %ecx; imul %eax,%eax; push %ecx; dec %ebp; jne 1b; int3
#[test]
fn stack_floor_tlb_hits_after_a_call_out() {
    let code = [
        0xbd, 3, 0, 0, 0, 0x59, 0x0f, 0xaf, 0xc0, 0x51, 0x4d, 0x75, 0xf8, 0xcc,
    ];
    both(&code, true, &[]).unwrap();
}

/// Hooks are set by virtual address, decoded blocks are kept by frame.
/// F (`nop; imul %eax,%eax; ret`, the `ret` hooked) is called first
/// through a second mapping of its page (+1 MiB), where nothing is hooked,
/// so its block is decoded whole; then at its own address, where both
/// engines run that block as decoded and neither stops at the hook. (An
/// earlier JIT, stopping at the `imul`, decoded the rest anew and did
/// stop: the engines must agree, and the missed hook is the interpreter's
/// limitation, noted in the README's debugger section.)
///     mov $F+0x100000,%eax; call *%eax; call F; int3; F: nop; imul %eax,%eax; ret
#[test]
fn hook_behind_an_alias_same_in_both() {
    let f = CODE + 13;
    let mut code = vec![0xb8];
    code.extend((f + ALIAS).to_le_bytes());
    code.extend([
        0xff, 0xd0, 0xe8, 1, 0, 0, 0, 0xcc, 0x90, 0x0f, 0xaf, 0xc0, 0xc3,
    ]);
    both_with(&code, false, &[], &|vm| {
        let frame = frame_of(vm, CODE);
        vm.set_pte(CODE + ALIAS, Pte::new(frame, RW));
        vm.m.cpu_mut().set_hooks(vec![f + 4]);
    })
    .unwrap();
}

/// The stack floor after a store into the code: a block's first run
/// (`checked`, one instruction at a time) moves the floor after a store
/// that made code stale, the fast path does not. With the translation
/// stopping at `setl`, the rest ran in `checked` under the JIT alone and
/// the `push %ebp` was refused once more.
///     push %esp; pop %ecx; setl %dl; movb $0x54,0x8048040; push %ebp; pop %ebp; int3
#[test]
fn stack_floor_after_a_code_store() {
    let mut code = vec![0x54, 0x59, 0x0f, 0x9c, 0xc2, 0xc6, 0x05];
    code.extend((CODE + 0x40).to_le_bytes());
    code.extend([0x54, 0x55, 0x5d, 0xcc]);
    both(&code, true, &[]).unwrap();
}
