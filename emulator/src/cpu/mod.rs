//! The IA-32 user-mode integer CPU: registers, lazy flags, and the loop that
//! runs decoded instructions until something needs the operating system.
//!
//! Every instruction either completes or changes nothing: loads and write
//! checks come before the first change to registers, flags or memory, so a
//! page fault leaves EIP at the instruction and the kernel can resume it
//! after mapping the page (Intel SDM Vol. 3A §6.5, faults are restartable).

mod alu;
mod atomic;
mod bits;
mod cache;
mod data;
mod decode;
pub mod eflags;
mod exec;
mod fast;
mod flags;
mod flow;
mod muldiv;
mod op;
pub mod segment;
mod shift;
mod stack;
mod state;
mod string;
mod system;
pub mod x87;

use crate::addr::VirtAddr;
use crate::mmu::Mmu;
use crate::trap::{PageFault, Trap};
use cache::{CodeCache, Entry};
use flags::Flags;
use op::LAST;
pub use state::{Reg, Registers};
use state::{State, Stop};

/// The CPU: architectural state (`State`) and the decode cache it runs from.
pub struct Cpu {
    s: State,
    code: CodeCache,
}

impl Default for Cpu {
    fn default() -> Self {
        Self::new()
    }
}

impl Cpu {
    pub fn new() -> Cpu {
        Cpu {
            s: State {
                r: [0; 16],
                eip: 0,
                seg_base: [0; 3],
                f: Flags::new(),
                retired: 0,
                fpu: x87::Fpu::new(),
            },
            code: CodeCache::default(),
        }
    }
    pub fn reg(&self, r: Reg) -> u32 {
        self.s.r[r as usize]
    }
    pub fn set_reg(&mut self, r: Reg, v: u32) {
        self.s.r[r as usize] = v;
    }
    pub fn eip(&self) -> VirtAddr {
        VirtAddr(self.s.eip)
    }
    pub fn set_eip(&mut self, eip: VirtAddr) {
        self.s.eip = eip.0;
    }
    /// The architectural EFLAGS: bit 1 and IF set, status flags computed.
    pub fn eflags(&self) -> u32 {
        self.s.f.get()
    }
    /// Set the status flags and DF (and AC, ID); IF and reserved bits keep
    /// their values, as `popf` at CPL 3 does.
    pub fn set_eflags(&mut self, v: u32) {
        self.s.f.load(v);
    }
    pub fn registers(&self) -> Registers {
        let mut gpr = [0; 8];
        gpr.copy_from_slice(&self.s.r[..8]);
        Registers {
            gpr,
            eip: self.s.eip,
            eflags: self.eflags(),
            fs_base: self.s.seg_base[1],
            gs_base: self.s.seg_base[2],
        }
    }
    pub fn set_fs_base(&mut self, b: u32) {
        self.s.seg_base[1] = b;
    }
    pub fn set_gs_base(&mut self, b: u32) {
        self.s.seg_base[2] = b;
    }
    pub fn fs_base(&self) -> u32 {
        self.s.seg_base[1]
    }
    pub fn gs_base(&self) -> u32 {
        self.s.seg_base[2]
    }
    /// The x87 state (debugger, tests).
    pub fn fpu(&self) -> &x87::Fpu {
        &self.s.fpu
    }
    pub fn fpu_mut(&mut self) -> &mut x87::Fpu {
        &mut self.s.fpu
    }
    /// Instructions retired since the CPU was made.
    pub fn retired(&self) -> u64 {
        self.s.retired
    }
    /// Physical frames with decoded instructions cached.
    pub fn decoded_pages(&self) -> usize {
        self.code.pages()
    }

    /// Run until a trap, retiring at most `budget` instructions.
    pub fn run(&mut self, mmu: &mut Mmu, budget: u64) -> Trap {
        self.code.sync(mmu);
        let s = &mut self.s;
        let code = &mut self.code;
        // One counter does for both: stop when `retired` reaches `end`.
        let mut end = s.retired.saturating_add(budget);
        loop {
            if code.stale(mmu) {
                code.drop_stale(mmu);
            }
            let mut eip = s.eip;
            if eip >> 12 != code.cur_vpn {
                if let Err(pf) = code.enter(mmu, eip) {
                    return s.fault(pf, eip);
                }
            }
            let start = match code.lookup(eip) {
                Some(i) => i,
                None => match code.miss(mmu, eip) {
                    Ok(Entry::Block(i)) => i,
                    Ok(Entry::Cross) => {
                        if s.retired >= end {
                            return Trap::InstructionLimit;
                        }
                        let op = code.cross_op;
                        s.eip = eip.wrapping_add(op.len as u32);
                        match s.exec(mmu, &op) {
                            Ok(()) => s.retired += 1,
                            Err(stop) => {
                                if let Some(t) = s.stopped(stop, eip, &mut end) {
                                    return t;
                                }
                            }
                        }
                        continue;
                    }
                    Err(pf) => return s.fault(pf, eip),
                },
            };
            // Run the block: the next instruction is the next op. EIP and
            // the retired count live in registers here; `s.eip` is stored
            // before each instruction (calls and faults read it), `s.retired`
            // when the block ends (blocks start at `rdtsc`, see cache.rs).
            let mut retired = s.retired;
            for op in &code.cur.ops[start..] {
                if retired >= end {
                    s.retired = retired;
                    return Trap::InstructionLimit;
                }
                let next = eip.wrapping_add(op.len as u32);
                s.eip = next;
                if let Err(stop) = s.exec(mmu, op) {
                    s.retired = retired;
                    match s.stopped(stop, eip, &mut end) {
                        Some(t) => return t,
                        None => break,
                    }
                }
                retired += 1;
                // After a store, the code may have changed under us.
                if op.flags != 0 && (op.flags & LAST != 0 || code.stale(mmu)) {
                    break;
                }
                eip = next;
            }
            s.retired = retired;
        }
    }
}

impl State {
    /// After an instruction stopped short: the trap to return, if any.
    #[cold]
    fn stopped(&mut self, stop: Stop, eip: u32, end: &mut u64) -> Option<Trap> {
        match stop {
            Stop::PageFault(pf) => Some(self.fault(pf, eip)),
            Stop::Trap(t) => {
                self.eip = eip;
                Some(t)
            }
            Stop::TrapAfter(t) => {
                self.retired += 1;
                Some(t)
            }
            Stop::Again => {
                // Counts against the budget, so a long `rep` still returns
                // control; it retires when it completes.
                self.eip = eip;
                *end -= 1;
                None
            }
        }
    }

    #[cold]
    fn fault(&mut self, pf: PageFault, eip: u32) -> Trap {
        self.eip = eip;
        Trap::PageFault {
            addr: pf.addr,
            code: pf.code,
            eip: VirtAddr(eip),
        }
    }
}
