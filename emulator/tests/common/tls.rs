//! `set_thread_area` and `get_thread_area` as Linux i386 does them
//! (arch/x86/kernel/tls.c, `fill_ldt` in asm/desc.h), written against the
//! CPU's segment API: what a kernel needs to give programs TLS.

use super::Vm;
use toyemu_emulator::cpu::segment::{
    SegmentDescriptor, GDT_ENTRY_TLS_ENTRIES, GDT_ENTRY_TLS_MAX, GDT_ENTRY_TLS_MIN,
};

const EINVAL: u32 = 22;
const ESRCH: u32 = 3;

/// `struct user_desc` (asm/ldt.h): the flags word's bits.
struct UserDesc {
    entry_number: u32,
    base_addr: u32,
    limit: u32,
    seg_32bit: bool,
    contents: u8,
    read_exec_only: bool,
    limit_in_pages: bool,
    seg_not_present: bool,
    useable: bool,
}

impl UserDesc {
    fn read(vm: &mut Vm, at: u32) -> UserDesc {
        let mut w = |i: u32| vm.peek_u32(at + 4 * i);
        let (entry_number, base_addr, limit, f) = (w(0), w(1), w(2), w(3));
        UserDesc {
            entry_number,
            base_addr,
            limit,
            seg_32bit: f & 1 != 0,
            contents: (f >> 1 & 3) as u8,
            read_exec_only: f & 8 != 0,
            limit_in_pages: f & 16 != 0,
            seg_not_present: f & 32 != 0,
            useable: f & 64 != 0,
        }
    }

    fn write(&self, vm: &mut Vm, at: u32) {
        let f = self.seg_32bit as u32
            | (self.contents as u32) << 1
            | (self.read_exec_only as u32) << 3
            | (self.limit_in_pages as u32) << 4
            | (self.seg_not_present as u32) << 5
            | (self.useable as u32) << 6;
        for (i, v) in [self.entry_number, self.base_addr, self.limit, f]
            .iter()
            .enumerate()
        {
            vm.poke(at + 4 * i as u32, &v.to_le_bytes());
        }
    }

    /// "No segment": all zero (`LDT_zero`) or the documented empty form
    /// (`LDT_empty`).
    fn empty(&self) -> bool {
        let zero = self.base_addr == 0 && self.limit == 0 && self.contents == 0;
        zero && !self.seg_32bit
            && !self.limit_in_pages
            && !self.useable
            && (self.read_exec_only == self.seg_not_present)
    }

    /// `tls_desc_okay`: 32-bit data segments that are present.
    fn okay(&self) -> bool {
        self.empty() || (self.seg_32bit && self.contents <= 1 && !self.seg_not_present)
    }

    /// `fill_ldt`.
    fn descriptor(&self) -> SegmentDescriptor {
        if self.empty() {
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
}

/// set_thread_area(u_info): entry_number -1 takes the first empty entry
/// and writes its number back.
pub fn set_thread_area(vm: &mut Vm, u_info: u32) -> u32 {
    let mut info = UserDesc::read(vm, u_info);
    if !info.okay() {
        return EINVAL.wrapping_neg();
    }
    let mut entry = info.entry_number as usize;
    if info.entry_number == u32::MAX {
        let free = (GDT_ENTRY_TLS_MIN..GDT_ENTRY_TLS_MIN + GDT_ENTRY_TLS_ENTRIES)
            .find(|&e| vm.m.cpu().tls_descriptor(e) == SegmentDescriptor::NULL);
        let Some(e) = free else {
            return ESRCH.wrapping_neg();
        };
        entry = e;
        info.entry_number = e as u32;
        info.write(vm, u_info);
    }
    if !(GDT_ENTRY_TLS_MIN..=GDT_ENTRY_TLS_MAX).contains(&entry) {
        return EINVAL.wrapping_neg();
    }
    let cpu = vm.m.cpu_mut();
    cpu.set_tls_descriptor(entry, info.descriptor());
    cpu.reload_segments();
    0
}

/// get_thread_area(u_info): the entry's fields (`fill_user_desc`).
pub fn get_thread_area(vm: &mut Vm, u_info: u32) -> u32 {
    let entry = vm.peek_u32(u_info) as usize;
    if !(GDT_ENTRY_TLS_MIN..=GDT_ENTRY_TLS_MAX).contains(&entry) {
        return EINVAL.wrapping_neg();
    }
    let d = vm.m.cpu().tls_descriptor(entry);
    UserDesc {
        entry_number: entry as u32,
        base_addr: d.base,
        limit: d.limit,
        seg_32bit: d.db,
        contents: d.typ >> 2,
        read_exec_only: d.typ & 2 == 0,
        limit_in_pages: d.g,
        seg_not_present: !d.present,
        useable: d.avl,
    }
    .write(vm, u_info);
    0
}
