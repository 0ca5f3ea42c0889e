//! The IA-32 user-mode integer CPU: registers, lazy flags, the decode
//! cache, and (run.rs) the loop that runs decoded blocks until something
//! needs the operating system.
//!
//! Every instruction either completes or changes nothing: loads and write
//! checks come before the first change to registers, flags or memory, so a
//! page fault leaves EIP at the instruction and the kernel can resume it
//! after mapping the page (Intel SDM Vol. 3A §6.5, faults are restartable).

mod address;
mod alu;
mod atomic;
mod bcd;
mod bits;
mod cache;
mod data;
mod deadflags;
mod decode;
pub mod eflags;
mod exec;
mod far;
mod fast;
mod flags;
mod flow;
mod fuse;
mod gdt;
mod jit;
mod muldiv;
mod op;
mod run;
pub mod segment;
mod segreg;
mod shift;
mod stack;
mod state;
mod string;
mod system;
pub mod x87;

use crate::addr::VirtAddr;
use crate::mmu::Mmu;
use cache::CodeCache;
use gdt::{Hidden, Segments};
use jit::Jit;
pub use jit::{Engine, JitStats, HOT as JIT_HOT};
use segment::{
    SegReg, SegmentDescriptor, SegmentFault, Selectors, GDT_ENTRY_TLS_MAX, GDT_ENTRY_TLS_MIN,
};
use state::State;
pub use state::{Reg, Registers};

/// The CPU: architectural state (`State`) and the decode cache it runs from.
pub struct Cpu {
    s: State,
    code: CodeCache,
    /// The JIT tier, when `--engine jit` chose it.
    jit: Option<Box<Jit>>,
}

/// A process's registers, flags, segments and FPU while another runs on
/// the CPU: what a context switch saves and restores.
#[derive(Clone)]
pub struct Context(State);

impl Context {
    pub fn reg(&self, r: Reg) -> u32 {
        self.0.r[r as usize]
    }
    /// Set a register the process will find when it runs (a fork child's EAX).
    pub fn set_reg(&mut self, r: Reg, v: u32) {
        self.0.r[r as usize] = v;
    }
    pub fn eip(&self) -> VirtAddr {
        VirtAddr(self.0.eip)
    }
}

impl Default for Cpu {
    fn default() -> Self {
        Self::new()
    }
}

impl Cpu {
    pub fn new() -> Cpu {
        Cpu {
            s: State::new(),
            code: CodeCache::default(),
            jit: None,
        }
    }

    /// Choose the engine: the interpreter alone, or with the JIT tier
    /// translating a block after `hot` fast-path runs (`JIT_HOT` by
    /// default; 1 translates every block the second time it runs). Fails
    /// only if the host refuses memory for generated code.
    pub fn set_engine(&mut self, engine: Engine, hot: u16) -> Result<(), String> {
        match engine {
            Engine::Interp => self.jit = None,
            Engine::Jit => {
                self.jit = Some(Box::new(Jit::new(hot)?));
                // Nothing decoded before keeps a translation id.
                self.code.forget_all();
            }
        }
        Ok(())
    }

    pub fn engine(&self) -> Engine {
        match self.jit {
            Some(_) => Engine::Jit,
            None => Engine::Interp,
        }
    }

    /// What the JIT tier did (`None` under the interpreter).
    pub fn jit_stats(&self) -> Option<JitStats> {
        self.jit.as_ref().map(|j| j.stats)
    }
    /// Save everything a process switch must keep (not the retired count:
    /// that is the machine's clock).
    pub fn context(&self) -> Context {
        Context(self.s.clone())
    }
    /// Load a saved context; the retired count runs on.
    pub fn set_context(&mut self, c: &Context) {
        let retired = self.s.retired;
        self.s = c.0.clone();
        self.s.retired = retired;
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
            selectors: self.selectors(),
            fs_base: self.fs_base(),
            gs_base: self.gs_base(),
        }
    }

    /// The six segment selectors.
    pub fn selectors(&self) -> Selectors {
        let sel = |r: SegReg| self.s.seg.sel[r as usize];
        Selectors {
            cs: sel(SegReg::Cs),
            ss: sel(SegReg::Ss),
            ds: sel(SegReg::Ds),
            es: sel(SegReg::Es),
            fs: sel(SegReg::Fs),
            gs: sel(SegReg::Gs),
        }
    }

    /// GDT entry `entry`, one of the thread's TLS entries.
    ///
    /// # Panics
    /// Unless `GDT_ENTRY_TLS_MIN <= entry <= GDT_ENTRY_TLS_MAX`: the kernel
    /// checks a guest's `entry_number` (EINVAL) before asking.
    pub fn tls_descriptor(&self, entry: usize) -> SegmentDescriptor {
        self.s.seg.tls[tls_slot(entry)]
    }

    /// Write TLS entry `entry` of the GDT. As on hardware, segment registers
    /// already loaded keep their old descriptor until reloaded: Linux
    /// reloads them before returning to user mode, which
    /// [`reload_segments`](Cpu::reload_segments) does (see the example in
    /// [`segment`]).
    ///
    /// # Panics
    /// As [`tls_descriptor`](Cpu::tls_descriptor).
    pub fn set_tls_descriptor(&mut self, entry: usize, desc: SegmentDescriptor) {
        self.s.seg.tls[tls_slot(entry)] = desc;
    }

    /// Load segment register `seg` with `selector`, checked as `mov` (or,
    /// for CS, a far jump) does at CPL 3: for sigreturn and context
    /// switches. Nothing changes when it fails.
    pub fn load_segment(&mut self, seg: SegReg, selector: u16) -> Result<(), SegmentFault> {
        self.s.load_seg(seg, selector, false)
    }

    /// Reload DS, ES, FS and GS from the GDT, as Linux does after
    /// `set_thread_area` (on i386 when it returns to user mode; x86-64 at
    /// once): a selector that no longer loads becomes the null selector.
    pub fn reload_segments(&mut self) {
        for seg in [SegReg::Ds, SegReg::Es, SegReg::Fs, SegReg::Gs] {
            let sel = self.s.seg.sel[seg as usize];
            if self.s.load_seg(seg, sel, false).is_err() {
                self.s.load_seg(seg, 0, false).expect("null loads");
            }
        }
    }

    /// Linux's segment state at exec: CS `__USER_CS`, DS ES SS `__USER_DS`,
    /// FS and GS null, the TLS entries empty.
    pub fn reset_segments(&mut self) {
        self.s.seg = Segments::default();
        self.s.seg_base = [0; 4];
    }

    /// Give FS a flat, writable 4 GiB segment at `base` without a
    /// descriptor, its selector unchanged (as 64-bit `wrfsbase` would; for
    /// tests and for kernels that model only a base). Programs see TLS
    /// through `set_tls_descriptor` and `load_segment` instead, and exec
    /// should use `reset_segments`, which leaves FS and GS null as Linux
    /// does (this leaves them usable).
    pub fn set_fs_base(&mut self, base: u32) {
        self.s.seg.fs_gs[0] = Hidden::FLAT;
        self.s.seg_base[1] = base;
    }
    /// As [`set_fs_base`](Cpu::set_fs_base), for GS.
    pub fn set_gs_base(&mut self, base: u32) {
        self.s.seg.fs_gs[1] = Hidden::FLAT;
        self.s.seg_base[2] = base;
    }
    /// The base FS addresses through (0 when FS is null).
    pub fn fs_base(&self) -> u32 {
        self.s.seg_base[1]
    }
    /// The base GS addresses through (0 when GS is null).
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

    /// Stop before the instructions at `addrs` (`Trap::Hook`), replacing
    /// the hooks set before. Guest memory is not patched: the decoder ends
    /// a block before each, and the CPU looks at each block's first op.
    pub fn set_hooks(&mut self, addrs: Vec<u32>) {
        self.code.set_hooks(addrs);
    }

    /// Hook one more address (cheaper than `set_hooks` with one more: only
    /// the decoded code of its page is dropped).
    pub fn add_hook(&mut self, mmu: &Mmu, addr: u32) {
        self.code.add_hook(mmu, addr);
    }

    /// Let the instruction at EIP run although it is hooked (once: it
    /// stops again the next time EIP comes back to it).
    pub fn pass_hook(&mut self) {
        self.code.pass = Some((self.s.eip, self.s.retired));
    }
}

/// Index into the TLS entries; panics outside them (a kernel bug).
fn tls_slot(entry: usize) -> usize {
    assert!(
        (GDT_ENTRY_TLS_MIN..=GDT_ENTRY_TLS_MAX).contains(&entry),
        "GDT entry {entry} is not a TLS entry ({GDT_ENTRY_TLS_MIN}..={GDT_ENTRY_TLS_MAX})"
    );
    entry - GDT_ENTRY_TLS_MIN
}
