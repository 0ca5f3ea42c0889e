//! The JIT tier: hot decoded blocks translated to x86-64 host code.
//!
//! The interpreter stays the reference and does everything first: a block
//! is decoded and run by it, and only after `HOT` runs on the fast path is
//! it translated (emit.rs). The translation does what the interpreter's
//! fast path does for that block, op for op: guest registers live in host
//! registers r8–r15 while it runs, flags are recorded lazily as the
//! interpreter records them, loads and stores look up the modelled TLB's
//! hot index inline (counting the hit and stamping the entry as `Tlb::lookup`
//! does) and call out to the MMU (`access`) for anything else, so misses,
//! walks, faults, memcheck and code-frame writes are the MMU's own. A
//! translation returns at the first op it cannot complete, with EIP at that
//! instruction and the retired count exact; the CPU finishes the stop as the
//! interpreter does.
//!
//! Ops without inline code become a call-out to the interpreter's `exec`
//! for that op (registers stored first, loaded after), so a translation
//! covers its whole block; a block whose first op has no inline code is
//! left to the interpreter. Single steps, hooks (breakpoints, `--trace
//! insn`), the last instructions of a budget and blocks crossing a page
//! never reach the JIT.

mod ctx;
mod emit;
mod native;

use super::op::Op;
use super::state::{Count, JitRegs, State, Stop};
use crate::mmu::Mmu;
use ctx::Ctx;
use native::CodeMem;

/// Which engine runs guest code (`--engine`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Engine {
    /// Decoded blocks, one op at a time.
    #[default]
    Interp,
    /// Hot blocks translated to host code, the rest interpreted.
    Jit,
}

impl std::str::FromStr for Engine {
    type Err = String;
    fn from_str(s: &str) -> Result<Engine, String> {
        match s {
            "interp" => Ok(Engine::Interp),
            "jit" => Ok(Engine::Jit),
            _ => Err(format!("unknown engine {s:?} (expected interp or jit)")),
        }
    }
}

impl std::fmt::Display for Engine {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(match self {
            Engine::Interp => "interp",
            Engine::Jit => "jit",
        })
    }
}

/// Fast-path runs of a block before it is translated (by default).
pub const HOT: u16 = 32;
/// Host memory reserved for generated code; when it is full every
/// translation is dropped and hot blocks are translated again.
const CODE_BYTES: usize = 32 << 20;

/// How a translation returned.
pub enum Exit {
    /// EIP and the retired count are where the block (or a loop of it) left.
    Done,
    /// An op stopped (a page fault, a memcheck refusal, a trap, a paused
    /// `rep`): it is `op`, EIP is at it and the ops before it are retired.
    /// The CPU finishes it as the interpreter would.
    Stop(Op, Stop),
    /// An `int 0x80` (`len` bytes) is making a system call: EIP is at it,
    /// the ops before it are retired. (Apart from `Stop`, so that what
    /// the CPU returns is small and built where it is returned.)
    Syscall { len: u8 },
    /// A store wrote over decoded code: EIP is past it, the stale code
    /// must be dropped before anything runs.
    Stale,
}

#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct JitStats {
    /// Blocks translated (again after a flush).
    pub translated: u64,
    /// Blocks that start with an op the JIT does not translate.
    pub refused: u64,
    /// Times the code memory filled up and every translation was dropped.
    pub flushes: u64,
    /// Calls into translations.
    pub runs: u64,
    /// Host bytes of generated code held now.
    pub code_bytes: u64,
    /// Exits linked straight to the next block's translation.
    pub links: u64,
}

/// A translated block: where its code is, and the EIP it was made for (a
/// frame mapped at two addresses runs the translation only at the first).
struct Translation {
    entry: u64,
    /// Where a linked exit of another translation jumps in (past the
    /// prologue, the guest's registers already in host registers).
    top: u64,
    eip: u32,
    /// The block's ops, where the interpreter call-outs find them.
    ops: Box<[Op]>,
}

/// Instructions one call into generated code retires at most; so also
/// its inline TLB hits, one access at most per translated op (`Count`).
const RUN_MAX: u64 = 1 << 30;

pub struct Jit {
    mem: CodeMem,
    table: Vec<Translation>,
    /// Every translation's linkable exits, numbered in order (host
    /// addresses of what linking patches).
    sites: Vec<emit::Site>,
    /// Fast-path runs of a block before it is translated (at least 1).
    pub hot: u16,
    pub stats: JitStats,
}

/// `Block::jit` of a block that has no translation and will not get one.
pub const REFUSED: u32 = u32::MAX;

impl Jit {
    pub fn new(hot: u16) -> Result<Jit, String> {
        Ok(Jit {
            mem: CodeMem::new(CODE_BYTES)?,
            table: Vec::new(),
            sites: Vec::new(),
            hot: hot.max(1),
            stats: JitStats::default(),
        })
    }

    /// Translate the block of `ops` at `eip`: its id for `Block::jit`,
    /// REFUSED when it starts with an op the JIT does not translate, or
    /// `None` when the code memory is full (the caller flushes: `flush`,
    /// and drops every block's id).
    pub fn translate(&mut self, ops: &[Op], eip: u32, lru: bool) -> Option<u32> {
        let helpers = emit::Helpers {
            access: native::access as *const () as u64,
            eflags: native::eflags as *const () as u64,
            interp: native::interp as *const () as u64,
        };
        let copy: Box<[Op]> = ops.into();
        let id = self.table.len() as u32;
        let links = emit::Links {
            first: self.sites.len(),
        };
        let plan = emit::Plan {
            ops: &copy,
            eip,
            id,
            lru,
        };
        let Some(code) = emit::block(&plan, &helpers, links, self.mem.next()) else {
            self.stats.refused += 1;
            return Some(REFUSED);
        };
        let entry = self.mem.add(&code.bytes)?;
        if std::env::var_os("TOYEMU_JIT_DUMP").is_some() {
            use iced_x86::Formatter;
            let mut d = iced_x86::Decoder::with_ip(64, &code.bytes, entry, 0);
            let mut f = iced_x86::GasFormatter::new();
            eprintln!("== block {eip:#x} ({} ops) at {entry:#x}", ops.len());
            for i in d.iter() {
                let mut t = String::new();
                f.format(&i, &mut t);
                eprintln!("  {:4x} {t}", i.ip() - entry);
            }
        }
        self.sites.extend(code.exits.iter().map(|x| emit::Site {
            eip: x.eip,
            jmp: entry + x.jmp,
        }));
        self.table.push(Translation {
            entry,
            top: entry + code.top,
            eip,
            ops: copy,
        });
        self.stats.translated += 1;
        self.stats.code_bytes = self.mem.used() as u64;
        Some(id)
    }

    /// Linkable exit `site` was taken to the block whose translation is
    /// `id`: link it, so that generated code goes there directly from now
    /// on (where the target's own start checks the budget). Only exits to
    /// a block in the same page are linkable: the two blocks live and die
    /// with one decoded page, so a link never outlives its target.
    pub fn link(&mut self, site: u32, id: u32) {
        let (Some(site), Some(t)) = (self.sites.get(site as usize), self.table.get(id as usize))
        else {
            return;
        };
        if site.eip == t.eip {
            // Code memory is far smaller than 2 GiB: the jump reaches.
            let rel = t.top.wrapping_sub(site.jmp + 5) as u32;
            self.mem.patch(&[(site.jmp + 1, rel)]);
            self.stats.links += 1;
        }
    }

    /// Drop every translation.
    pub fn flush(&mut self) {
        self.mem.reset();
        self.table.clear();
        self.sites.clear();
        self.stats.flushes += 1;
        self.stats.code_bytes = 0;
    }

    /// Whether translation `id` was made for a block at `eip`.
    #[inline(always)]
    pub fn fits(&self, id: u32, eip: u32) -> bool {
        self.table.get(id as usize).is_some_and(|t| t.eip == eip)
    }

    /// Run translation `id` (one `fits` accepted) until generated code
    /// leaves: at a block's end, an unlinked exit, or a block whose whole
    /// run would take the retired count past `end`. The number of the
    /// unlinked exit it took, if any, is in the second half.
    pub fn run(
        &mut self,
        id: u32,
        s: &mut State,
        mmu: &mut Mmu,
        end: u64,
        inner: bool,
    ) -> (Exit, Option<u32>) {
        let t = &self.table[id as usize];
        let (entry, insns) = (t.entry, t.ops.len() as i64);
        let ram = mmu.phys_mut().ram_ptr();
        let hot = mmu.tlb_mut().hot_for(ram);
        let clock = mmu.tlb_mut().jit_clock();
        // The budget half starts at the retired count less `end`, less
        // one (`Count`), within an i32 either way: at most RUN_MAX below
        // zero, and any non-negative value leaves at the first check.
        let end = end.min(s.retired + RUN_MAX);
        let budget = (s.retired as i64 - end as i64 - 1).clamp(-(RUN_MAX as i64) - 1, 1 << 30);
        let mut ctx = Ctx { mmu, stop: None };
        s.jit = JitRegs {
            hot: hot as u64,
            ctx: (&mut ctx as *mut Ctx).expose_provenance() as u64,
            // The first pass is charged here: the CPU checked that it fits.
            count: Count::make((budget + insns) as i32, clock),
            base: s.retired.wrapping_sub(budget as u64),
            value: 0,
            stop_op: 0,
            stop_id: 0,
            exit_site: u32::MAX,
            inner: inner as u32,
        };
        self.stats.runs += 1;
        let code = self.mem.call(entry, s);
        let j = s.jit;
        s.retired = Count::retired(j.base, j.count);
        mmu.tlb_mut().absorb(Count::clock(j.count));
        let exit = match (code, ctx.stop.take()) {
            (1, Some(stop)) => {
                let t = &self.table[j.stop_id as usize];
                Exit::Stop(t.ops[j.stop_op as usize], stop)
            }
            (2, _) => Exit::Stale,
            (3, _) => {
                let t = &self.table[j.stop_id as usize];
                Exit::Syscall {
                    len: t.ops[j.stop_op as usize].len,
                }
            }
            _ => Exit::Done,
        };
        (exit, (j.exit_site != u32::MAX).then_some(j.exit_site))
    }
}
