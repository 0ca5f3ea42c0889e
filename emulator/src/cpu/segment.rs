//! Segment registers and the part of the GDT a Linux i386 process can see:
//! selectors and segment descriptors in the hardware's format (Intel SDM
//! Vol. 3A §3.4), and the API the kernel uses for TLS. The loading rules
//! at CPL 3 are in gdt.rs; the instructions in segreg.rs and far.rs; the
//! FS/GS operand checks in address.rs.
//!
//! The GDT is Linux i386's (`arch/x86/include/asm/segment.h`): entry 14 is
//! `__USER_CS` (selector 0x73), 15 `__USER_DS` (0x7b), 12 and 13 the kernel's
//! (DPL 0, so loading them at CPL 3 is #GP), and 6, 7, 8 are the thread's TLS
//! entries (`GDT_ENTRY_TLS_MIN`, selectors 0x33, 0x3b, 0x43), which the
//! kernel fills for `set_thread_area`. Every other entry is empty (#GP). There
//! is no LDT: a selector with TI set is #GP.
//!
//! What toyemu models and what it leaves out:
//! - FS and GS are complete: a load reads the descriptor and checks it as
//!   the SDM says; an access through them adds the base and is checked
//!   against the limit (expand-up or expand-down, byte or page granular) and,
//!   for a write, the writable bit; an access through a null FS or GS is #GP.
//! - CS, DS, ES and SS are flat (base 0, 4 GiB), as Linux keeps them: a load
//!   is checked as the SDM says, and toyemu additionally refuses (#GP) a
//!   descriptor that is not flat — a based or limited segment, a read-only
//!   or code segment in DS/ES/SS, a 16-bit code or stack segment — which the
//!   hardware would accept. A null DS or ES is accepted, as on hardware,
//!   but accesses through it are not checked (hardware would raise #GP).
//! - #NP and #SS (a not-present segment) are reported as
//!   [`Trap::GeneralProtection`](crate::Trap) like #GP. Linux would send
//!   SIGBUS for them; its `set_thread_area` refuses not-present segments, so
//!   no Linux program meets one.
//!
//! # For the kernel: `set_thread_area`, context switches, exec
//!
//! The guest's `struct user_desc` becomes a descriptor as Linux's
//! `fill_ldt` builds it (the accessed bit set, S = 1, DPL 3); the kernel
//! checks `entry_number` and the flags first (`tls_desc_okay`: 32-bit,
//! data, present), then writes the entry and reloads the segment registers
//! that use it, as Linux does before returning to user mode:
//!
//! ```
//! use toyemu_emulator::cpu::segment::{selector, SegReg, SegmentDescriptor, GDT_ENTRY_TLS_MIN};
//! use toyemu_emulator::Cpu;
//!
//! // struct user_desc { entry_number, base_addr, limit, seg_32bit:1, contents:2,
//! //                    read_exec_only:1, limit_in_pages:1, seg_not_present:1, useable:1 }
//! let (base_addr, limit) = (0x0804_c000, 0xfffff);
//! let (seg_32bit, contents, read_exec_only, limit_in_pages, seg_not_present, useable) =
//!     (true, 0u8, false, true, false, true);
//! let desc = SegmentDescriptor {
//!     base: base_addr,
//!     limit: limit & 0xfffff,
//!     typ: contents << 2 | (!read_exec_only as u8) << 1 | SegmentDescriptor::ACCESSED,
//!     s: true,
//!     dpl: 3,
//!     present: !seg_not_present,
//!     avl: useable,
//!     l: false,
//!     db: seg_32bit,
//!     g: limit_in_pages,
//! };
//! let mut cpu = Cpu::new();
//! let entry = GDT_ENTRY_TLS_MIN; // entry_number -1 asks for the first free one
//! cpu.set_tls_descriptor(entry, desc);
//! cpu.reload_segments();
//! assert_eq!(cpu.tls_descriptor(entry), desc);
//!
//! // The guest then loads the selector, `mov $0x33, %ax; mov %ax, %gs`:
//! let sel = selector(entry, 3);
//! assert_eq!(sel, 0x33);
//! cpu.load_segment(SegReg::Gs, sel).unwrap();
//! assert_eq!((cpu.selectors().gs, cpu.gs_base()), (0x33, 0x0804_c000));
//! ```
//!
//! `get_thread_area` reads the fields back from [`Cpu::tls_descriptor`]
//! (`contents = typ >> 2`, `read_exec_only = typ & 2 == 0`, …). The TLS
//! entries are per thread: a context switch saves [`Cpu::selectors`] and the
//! three TLS descriptors, and restores them with `set_tls_descriptor` and
//! then `load_segment` for each register. At exec, [`Cpu::reset_segments`]
//! gives Linux's starting state (CS 0x73, DS ES SS 0x7b, FS GS null, TLS
//! entries empty).
//!
//! [`Cpu::tls_descriptor`]: super::Cpu::tls_descriptor
//! [`Cpu::selectors`]: super::Cpu::selectors
//! [`Cpu::reset_segments`]: super::Cpu::reset_segments

use std::fmt;

/// Linux's i386 user code selector (`__USER_CS`: GDT entry 14, RPL 3).
pub const USER_CS: u16 = 0x73;
/// Linux's i386 user data selector (`__USER_DS`: GDT entry 15, RPL 3).
pub const USER_DS: u16 = 0x7b;
/// The first TLS entry of the GDT (`GDT_ENTRY_TLS_MIN`).
pub const GDT_ENTRY_TLS_MIN: usize = 6;
/// The last TLS entry (`GDT_ENTRY_TLS_MAX`).
pub const GDT_ENTRY_TLS_MAX: usize = GDT_ENTRY_TLS_MIN + GDT_ENTRY_TLS_ENTRIES - 1;
/// How many TLS entries a thread has (`GDT_ENTRY_TLS_ENTRIES`).
pub const GDT_ENTRY_TLS_ENTRIES: usize = 3;
/// Entries in Linux i386's GDT (`GDT_ENTRIES`); the GDT limit is 8 × this − 1.
pub const GDT_ENTRIES: usize = 32;

/// The selector of GDT entry `index` with requested privilege level `rpl`
/// (SDM Vol. 3A §3.4.2, Figure 3-6: index in bits 3–15, TI = 0, RPL in 0–1).
pub const fn selector(index: usize, rpl: u16) -> u16 {
    (index as u16) << 3 | (rpl & 3)
}

/// A segment register, numbered as x86 encodes it (the `reg` field of
/// `mov Sreg`: SDM Vol. 2D Appendix B, "Encoding of the sreg Field").
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum SegReg {
    Es = 0,
    Cs = 1,
    Ss = 2,
    Ds = 3,
    Fs = 4,
    Gs = 5,
}

impl SegReg {
    pub const ALL: [SegReg; 6] = [
        SegReg::Es,
        SegReg::Cs,
        SegReg::Ss,
        SegReg::Ds,
        SegReg::Fs,
        SegReg::Gs,
    ];

    /// From the 3-bit encoding; 6 and 7 are not segment registers.
    pub fn from_number(n: u8) -> Option<SegReg> {
        SegReg::ALL.get(n as usize).copied()
    }

    pub fn name(self) -> &'static str {
        ["es", "cs", "ss", "ds", "fs", "gs"][self as usize]
    }
}

/// The six visible selectors (what `mov %gs, %eax` reads, what gdb shows).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Selectors {
    pub cs: u16,
    pub ss: u16,
    pub ds: u16,
    pub es: u16,
    pub fs: u16,
    pub gs: u16,
}

impl Selectors {
    pub fn get(&self, seg: SegReg) -> u16 {
        match seg {
            SegReg::Es => self.es,
            SegReg::Cs => self.cs,
            SegReg::Ss => self.ss,
            SegReg::Ds => self.ds,
            SegReg::Fs => self.fs,
            SegReg::Gs => self.gs,
        }
    }
}

/// A segment descriptor: the 8-byte GDT entry, field by field (SDM Vol. 3A
/// §3.4.5, Figure 3-8 "Segment Descriptor"; type field Table 3-1).
#[derive(Clone, Copy, PartialEq, Eq, Default)]
pub struct SegmentDescriptor {
    /// Base address: bits 16–39 (base 0–23) and 56–63 (base 24–31).
    pub base: u32,
    /// Segment limit, 20 bits: bits 0–15 and 48–51. In bytes, or in 4 KiB
    /// units when `g` is set (the effective limit is then `limit << 12 | 0xfff`).
    pub limit: u32,
    /// Type, bits 40–43. Data (bit 3 clear): bit 0 accessed, bit 1
    /// writable, bit 2 expand-down. Code (bit 3 set): bit 0 accessed, bit 1
    /// readable, bit 2 conforming. `user_desc.contents` is bits 2–3 and
    /// `!read_exec_only` bit 1.
    pub typ: u8,
    /// S, bit 44: 1 for a code or data segment, 0 for a system descriptor.
    pub s: bool,
    /// DPL, bits 45–46: the descriptor privilege level (3 for user segments).
    pub dpl: u8,
    /// P, bit 47: present (`!user_desc.seg_not_present`).
    pub present: bool,
    /// AVL, bit 52: free for software (`user_desc.useable`).
    pub avl: bool,
    /// L, bit 53: 64-bit code segment (IA-32e mode only; clear here).
    pub l: bool,
    /// D/B, bit 54: 32-bit segment (`user_desc.seg_32bit`); for a stack
    /// segment, ESP rather than SP; for an expand-down segment, a 4 GiB top.
    pub db: bool,
    /// G, bit 55: the limit counts 4 KiB pages (`user_desc.limit_in_pages`).
    pub g: bool,
}

impl SegmentDescriptor {
    /// The null (all-zero) descriptor: an empty GDT entry.
    pub const NULL: SegmentDescriptor = SegmentDescriptor {
        base: 0,
        limit: 0,
        typ: 0,
        s: false,
        dpl: 0,
        present: false,
        avl: false,
        l: false,
        db: false,
        g: false,
    };
    /// Type bit 0: the processor sets it when the segment is loaded.
    pub const ACCESSED: u8 = 1;
    /// Type bit 1: writable (data) or readable (code).
    pub const WRITABLE_OR_READABLE: u8 = 2;
    /// Type bit 2: expand-down (data) or conforming (code).
    pub const EXPAND_DOWN_OR_CONFORMING: u8 = 4;
    /// Type bit 3: a code segment.
    pub const CODE: u8 = 8;

    /// A flat (base 0, 4 GiB) 32-bit segment: code (execute/read) or data
    /// (read/write), accessed, present, at privilege `dpl`.
    pub const fn flat(code: bool, dpl: u8) -> SegmentDescriptor {
        SegmentDescriptor {
            base: 0,
            limit: 0xfffff,
            typ: if code { 0xb } else { 0x3 },
            s: true,
            dpl,
            present: true,
            avl: false,
            l: false,
            db: true,
            g: true,
        }
    }

    /// From the 8 bytes of a GDT entry (as a little-endian u64).
    pub fn from_raw(v: u64) -> SegmentDescriptor {
        let bit = |n: u32| v >> n & 1 != 0;
        SegmentDescriptor {
            base: ((v >> 16) & 0xff_ffff) as u32 | ((v >> 56) as u32) << 24,
            limit: (v & 0xffff) as u32 | (((v >> 48) & 0xf) as u32) << 16,
            typ: ((v >> 40) & 0xf) as u8,
            s: bit(44),
            dpl: ((v >> 45) & 3) as u8,
            present: bit(47),
            avl: bit(52),
            l: bit(53),
            db: bit(54),
            g: bit(55),
        }
    }

    /// The 8 bytes of the GDT entry.
    pub fn to_raw(&self) -> u64 {
        let b = self.base as u64;
        let l = self.limit as u64 & 0xfffff;
        let bit = |on: bool, n: u32| (on as u64) << n;
        (l & 0xffff)
            | (b & 0xff_ffff) << 16
            | (self.typ as u64 & 0xf) << 40
            | bit(self.s, 44)
            | (self.dpl as u64 & 3) << 45
            | bit(self.present, 47)
            | (l >> 16) << 48
            | bit(self.avl, 52)
            | bit(self.l, 53)
            | bit(self.db, 54)
            | bit(self.g, 55)
            | (b >> 24) << 56
    }

    /// The limit in bytes, after granularity (SDM Vol. 3A §3.4.5).
    pub fn effective_limit(&self) -> u32 {
        let l = self.limit & 0xfffff;
        if self.g {
            l << 12 | 0xfff
        } else {
            l
        }
    }

    pub fn is_code(&self) -> bool {
        self.s && self.typ & Self::CODE != 0
    }
    pub fn is_data(&self) -> bool {
        self.s && self.typ & Self::CODE == 0
    }
}

impl fmt::Debug for SegmentDescriptor {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "SegmentDescriptor({:#018x}: base {:#010x} limit {:#x}{} type {:#x}{} dpl {}{}{}{})",
            self.to_raw(),
            self.base,
            self.limit,
            if self.g { " pages" } else { "" },
            self.typ,
            if self.s { "" } else { " system" },
            self.dpl,
            if self.present { "" } else { " not-present" },
            if self.db { " 32-bit" } else { " 16-bit" },
            if self.avl { " avl" } else { "" },
        )
    }
}

/// Why a segment register could not be loaded: the exception the processor
/// raises, with the selector of its error code (SDM Vol. 3A §6.13, §6.15).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SegmentFault {
    /// #GP: a bad selector or descriptor (or, in toyemu, one that is not flat
    /// where only flat segments are modelled).
    GeneralProtection(u16),
    /// #NP: the descriptor's P bit is clear (DS ES FS GS, or CS).
    NotPresent(u16),
    /// #SS: a not-present stack segment.
    StackFault(u16),
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn raw_format_round_trips() {
        // Linux's __USER_CS: GDT_ENTRY_INIT(0xc0fb, 0, 0xfffff).
        let cs = SegmentDescriptor::from_raw(0x00cf_fb00_0000_ffff);
        assert_eq!(cs, SegmentDescriptor::flat(true, 3));
        assert_eq!(cs.effective_limit(), u32::MAX);
        let d = SegmentDescriptor {
            base: 0x1234_5678,
            limit: 0xabcde,
            typ: 5,
            s: true,
            dpl: 3,
            present: false,
            avl: true,
            l: false,
            db: false,
            g: false,
        };
        assert_eq!(SegmentDescriptor::from_raw(d.to_raw()), d);
        assert_eq!(d.to_raw(), 0x121a_7534_5678_bcde);
    }
}
