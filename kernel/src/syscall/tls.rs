//! Thread-local storage as Linux i386 gives it (arch/x86/kernel/tls.c):
//! `set_thread_area` writes one of the GDT's TLS entries 6–8 from a
//! `struct user_desc`, `get_thread_area` reads one back, and the program
//! then loads the entry's selector into %gs (glibc) or %gs/%fs (musl).
//! `modify_ldt`: this machine has no LDT.

use super::outcome::Outcome;
use crate::errno::{EINVAL, ENOSYS, ESRCH};
use crate::kernel::Kernel;
use crate::process::Process;
use toyemu_emulator::cpu::segment::{
    SegmentDescriptor, GDT_ENTRY_TLS_ENTRIES, GDT_ENTRY_TLS_MAX, GDT_ENTRY_TLS_MIN,
};

/// `struct user_desc` (asm/ldt.h): three words and a word of bit fields.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct UserDesc {
    pub entry_number: u32,
    pub base_addr: u32,
    pub limit: u32,
    pub seg_32bit: bool,
    pub contents: u8,
    pub read_exec_only: bool,
    pub limit_in_pages: bool,
    pub seg_not_present: bool,
    pub useable: bool,
}

impl UserDesc {
    pub fn from_bytes(b: &[u8]) -> UserDesc {
        let w = |i: usize| u32::from_le_bytes(b[4 * i..4 * i + 4].try_into().expect("16 bytes"));
        let f = w(3);
        UserDesc {
            entry_number: w(0),
            base_addr: w(1),
            limit: w(2),
            seg_32bit: f & 1 != 0,
            contents: (f >> 1 & 3) as u8,
            read_exec_only: f & 8 != 0,
            limit_in_pages: f & 16 != 0,
            seg_not_present: f & 32 != 0,
            useable: f & 64 != 0,
        }
    }

    pub fn to_bytes(self) -> [u8; 16] {
        let f = self.seg_32bit as u32
            | (self.contents as u32) << 1
            | (self.read_exec_only as u32) << 3
            | (self.limit_in_pages as u32) << 4
            | (self.seg_not_present as u32) << 5
            | (self.useable as u32) << 6;
        let mut b = [0u8; 16];
        for (i, v) in [self.entry_number, self.base_addr, self.limit, f]
            .iter()
            .enumerate()
        {
            b[4 * i..4 * i + 4].copy_from_slice(&v.to_le_bytes());
        }
        b
    }

    /// "No segment at all": `LDT_empty` (the documented form) or
    /// `LDT_zero` (all zero but the entry number, which programs use).
    fn is_empty(&self) -> bool {
        let blank = self.base_addr == 0 && self.limit == 0 && self.contents == 0;
        let ldt_empty = blank
            && self.read_exec_only
            && !self.seg_32bit
            && !self.limit_in_pages
            && self.seg_not_present
            && !self.useable;
        let ldt_zero = blank
            && !self.read_exec_only
            && !self.seg_32bit
            && !self.limit_in_pages
            && !self.seg_not_present
            && !self.useable;
        ldt_empty || ldt_zero
    }

    /// `tls_desc_okay`: only present, 32-bit data segments (or none).
    fn okay(&self) -> bool {
        self.is_empty() || (self.seg_32bit && self.contents <= 1 && !self.seg_not_present)
    }

    /// The descriptor `fill_ldt` builds (accessed bit set, S = 1, DPL 3).
    fn descriptor(&self) -> SegmentDescriptor {
        if self.is_empty() {
            return SegmentDescriptor::NULL;
        }
        SegmentDescriptor {
            base: self.base_addr,
            limit: self.limit & 0xfffff,
            typ: self.contents << 2
                | (!self.read_exec_only as u8) << 1
                | SegmentDescriptor::ACCESSED,
            s: true,
            dpl: 3,
            present: !self.seg_not_present,
            avl: self.useable,
            l: false,
            db: self.seg_32bit,
            g: self.limit_in_pages,
        }
    }

    /// `fill_user_desc`: what get_thread_area reports for entry `n`.
    fn of(n: u32, d: &SegmentDescriptor) -> UserDesc {
        UserDesc {
            entry_number: n,
            base_addr: d.base,
            limit: d.limit,
            seg_32bit: d.db,
            contents: d.typ >> 2 & 3,
            read_exec_only: d.typ & 2 == 0,
            limit_in_pages: d.g,
            seg_not_present: !d.present,
            useable: d.avl,
        }
    }
}

impl Kernel {
    /// set_thread_area(2): entry_number -1 takes the first free TLS entry
    /// and writes its number back; the segment registers that use an entry
    /// see the new descriptor at once, as Linux reloads them.
    pub(super) fn sys_set_thread_area(&mut self, p: &mut Process, u_info: u32) -> Outcome {
        match self.set_tls_from(p, u_info, true) {
            Ok(()) => Outcome::Value(0),
            Err(o) => o,
        }
    }

    /// Load the TLS entry the `struct user_desc` at `u_info` describes
    /// into the CPU (`do_set_thread_area`); only set_thread_area may ask
    /// for a free entry (`allocate`), clone's CLONE_SETTLS names one.
    pub(super) fn set_tls_from(
        &mut self,
        p: &mut Process,
        u_info: u32,
        allocate: bool,
    ) -> Result<(), Outcome> {
        let mut raw = Vec::new();
        if let Err(e) = self.copy_from_user(p, u_info, 16, &mut raw) {
            return Err(self.copy_failed(p, e));
        }
        let info = UserDesc::from_bytes(&raw);
        if !info.okay() {
            return Err(Outcome::Err(EINVAL));
        }
        let cpu = self.machine.cpu();
        let idx = if info.entry_number as i32 == -1 && allocate {
            let free = (GDT_ENTRY_TLS_MIN..GDT_ENTRY_TLS_MIN + GDT_ENTRY_TLS_ENTRIES)
                .find(|&i| cpu.tls_descriptor(i).to_raw() == 0);
            let Some(i) = free else {
                return Err(Outcome::Err(ESRCH));
            };
            if let Err(e) = self.copy_to_user(p, u_info, &(i as u32).to_le_bytes()) {
                return Err(self.copy_failed(p, e));
            }
            i
        } else {
            info.entry_number as usize
        };
        if !(GDT_ENTRY_TLS_MIN..=GDT_ENTRY_TLS_MAX).contains(&idx) {
            return Err(Outcome::Err(EINVAL));
        }
        let cpu = self.machine.cpu_mut();
        cpu.set_tls_descriptor(idx, info.descriptor());
        cpu.reload_segments();
        Ok(())
    }

    /// get_thread_area(2): entry `entry_number` as a `struct user_desc`.
    pub(super) fn sys_get_thread_area(&mut self, p: &mut Process, u_info: u32) -> Outcome {
        let idx = match self.read_user_u32(p, u_info) {
            Ok(i) => i as usize,
            Err(e) => return self.copy_failed(p, e),
        };
        if !(GDT_ENTRY_TLS_MIN..=GDT_ENTRY_TLS_MAX).contains(&idx) {
            return Outcome::Err(EINVAL);
        }
        let d = self.machine.cpu().tls_descriptor(idx);
        let info = UserDesc::of(idx as u32, &d);
        self.put_user(p, u_info, &info.to_bytes(), 0)
    }

    /// modify_ldt(2): reading finds no LDT (0 bytes); the CPU has no LDT to
    /// write, so writes answer ENOSYS, as a kernel built without
    /// CONFIG_MODIFY_LDT_SYSCALL does (musl then gives up on it, as there).
    pub(super) fn sys_modify_ldt(&mut self, _p: &mut Process, func: u32) -> Outcome {
        match func {
            0 | 2 => Outcome::Value(0),
            _ => Outcome::Err(ENOSYS),
        }
    }

    /// set_thread_area's argument as strace shows it, read after the call
    /// (so an allocated entry number shows).
    pub(crate) fn user_desc_text(&self, p: &Process, a: &[u32; 6], _: &Outcome) -> String {
        match self.peek_user_bytes(p, a[0], 16) {
            Some(b) => {
                let u = UserDesc::from_bytes(&b);
                format!(
                    "{{entry_number={}, base_addr={:#x}, limit={:#07x}, seg_32bit={}, contents={}, read_exec_only={}, limit_in_pages={}, seg_not_present={}, useable={}}}",
                    u.entry_number as i32,
                    u.base_addr,
                    u.limit,
                    u.seg_32bit as u8,
                    u.contents,
                    u.read_exec_only as u8,
                    u.limit_in_pages as u8,
                    u.seg_not_present as u8,
                    u.useable as u8
                )
            }
            None => super::show::ptr(a[0]),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn user_desc_round_trips_and_builds_fill_ldts_descriptor() {
        let u = UserDesc {
            entry_number: u32::MAX,
            base_addr: 0x0804_c000,
            limit: 0xfffff,
            seg_32bit: true,
            limit_in_pages: true,
            useable: true,
            ..UserDesc::default()
        };
        assert_eq!(UserDesc::from_bytes(&u.to_bytes()), u);
        assert!(u.okay());
        let d = u.descriptor();
        assert_eq!(
            (d.base, d.limit, d.dpl, d.present, d.db, d.g),
            (0x0804_c000, 0xfffff, 3, true, true, true)
        );
        assert_eq!(d.typ, 0b0011, "read-write data, accessed");
        assert_eq!(
            UserDesc::of(6, &d),
            UserDesc {
                entry_number: 6,
                ..u
            }
        );
        // 16-bit, code and not-present segments are refused; all-zero is "none".
        assert!(!UserDesc {
            seg_32bit: false,
            ..u
        }
        .okay());
        assert!(!UserDesc { contents: 2, ..u }.okay());
        assert!(!UserDesc {
            seg_not_present: true,
            ..u
        }
        .okay());
        let zero = UserDesc {
            entry_number: 6,
            ..UserDesc::default()
        };
        assert!(zero.okay() && zero.descriptor() == SegmentDescriptor::NULL);
    }
}
