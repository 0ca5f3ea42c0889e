//! The GDT as a Linux i386 process sees it, and the rules for loading a
//! segment register from it at CPL 3 (Intel SDM Vol. 2B, MOV and POP
//! "Operation"; Vol. 2A, JMP and CALL; Vol. 3A §5.3, §5.5): which selector
//! loads where, and what hidden part it gives. segment.rs has the types and
//! says what toyemu leaves out.

use super::segment::{
    SegReg, SegmentDescriptor, SegmentFault, GDT_ENTRIES, GDT_ENTRY_TLS_ENTRIES, GDT_ENTRY_TLS_MAX,
    GDT_ENTRY_TLS_MIN, USER_CS, USER_DS,
};

const GDT_ENTRY_KERNEL_CS: usize = 12;
const GDT_ENTRY_KERNEL_DS: usize = 13;
const GDT_ENTRY_DEFAULT_USER_CS: usize = 14;
const GDT_ENTRY_DEFAULT_USER_DS: usize = 15;

/// What a data-segment register holds besides its selector and base (the
/// base lives in `State::seg_base`, on the effective-address path): the
/// offsets an access may touch and whether it may write.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct Hidden {
    /// Loaded with a non-null selector; a null segment faults on any access.
    pub usable: bool,
    /// A writable data segment (a code segment in FS or GS is read-only).
    pub writable: bool,
    /// The lowest and highest valid offsets (expand-down: above the limit).
    pub lo: u32,
    pub hi: u32,
}

impl Hidden {
    pub const NULL: Hidden = Hidden {
        usable: false,
        writable: false,
        lo: 1,
        hi: 0,
    };
    pub const FLAT: Hidden = Hidden {
        usable: true,
        writable: true,
        lo: 0,
        hi: u32::MAX,
    };

    /// The hidden part a load of `d` gives (SDM Vol. 3A §5.3: limit checking).
    fn of(d: &SegmentDescriptor) -> Hidden {
        let limit = d.effective_limit();
        let (lo, hi) = if d.is_data() && d.typ & SegmentDescriptor::EXPAND_DOWN_OR_CONFORMING != 0 {
            let top = if d.db { u32::MAX } else { 0xffff };
            match limit.checked_add(1) {
                Some(lo) => (lo, top),
                None => (1, 0), // nothing lies above a 4 GiB limit
            }
        } else {
            (0, limit)
        };
        Hidden {
            usable: true,
            writable: d.is_data() && d.typ & SegmentDescriptor::WRITABLE_OR_READABLE != 0,
            lo,
            hi,
        }
    }

    /// Whether `width` bytes at `offset` lie within the segment. A 4 GiB
    /// expand-up segment allows everything, wrapping as the address does.
    #[inline]
    pub fn allows(&self, offset: u32, width: u32, write: bool) -> bool {
        let end = offset as u64 + width.max(1) as u64 - 1;
        self.usable
            && (self.writable || !write)
            && offset >= self.lo
            && (end <= self.hi as u64 || (self.lo == 0 && self.hi == u32::MAX))
    }
}

/// The segment state of the CPU: selectors, the FS/GS hidden parts, and the
/// thread's TLS entries of the GDT (the other entries are fixed).
#[derive(Clone, Debug)]
pub(crate) struct Segments {
    /// Visible selectors, by `SegReg` number.
    pub sel: [u16; 6],
    /// The hidden parts of FS and GS (their bases are in `State::seg_base`).
    pub fs_gs: [Hidden; 2],
    /// GDT entries GDT_ENTRY_TLS_MIN..=GDT_ENTRY_TLS_MAX.
    pub tls: [SegmentDescriptor; GDT_ENTRY_TLS_ENTRIES],
}

impl Default for Segments {
    /// Linux's state at exec.
    fn default() -> Segments {
        let mut sel = [USER_DS; 6];
        sel[SegReg::Cs as usize] = USER_CS;
        sel[SegReg::Fs as usize] = 0;
        sel[SegReg::Gs as usize] = 0;
        Segments {
            sel,
            fs_gs: [Hidden::NULL; 2],
            tls: [SegmentDescriptor::NULL; GDT_ENTRY_TLS_ENTRIES],
        }
    }
}

/// Whether `sel` is a null selector (index 0 of the GDT, any RPL).
fn is_null(sel: u16) -> bool {
    sel & !3 == 0
}

impl Segments {
    /// GDT entry `index` as the processor reads it.
    pub fn gdt(&self, index: usize) -> SegmentDescriptor {
        match index {
            GDT_ENTRY_TLS_MIN..=GDT_ENTRY_TLS_MAX => self.tls[index - GDT_ENTRY_TLS_MIN],
            GDT_ENTRY_KERNEL_CS => SegmentDescriptor::flat(true, 0),
            GDT_ENTRY_KERNEL_DS => SegmentDescriptor::flat(false, 0),
            GDT_ENTRY_DEFAULT_USER_CS => SegmentDescriptor::flat(true, 3),
            GDT_ENTRY_DEFAULT_USER_DS => SegmentDescriptor::flat(false, 3),
            _ => SegmentDescriptor::NULL,
        }
    }

    /// The descriptor `sel` names: #GP if it lies outside the GDT, or in
    /// the LDT (which this machine does not have).
    fn lookup(&self, sel: u16) -> Result<SegmentDescriptor, SegmentFault> {
        let index = (sel >> 3) as usize;
        if sel & 4 != 0 || index >= GDT_ENTRIES {
            return Err(SegmentFault::GeneralProtection(sel & !3));
        }
        Ok(self.gdt(index))
    }

    /// The checks of a segment register load at CPL 3 (SDM Vol. 2B, MOV —
    /// "Operation": the SS and the DS/ES/FS/GS cases; Vol. 2A, JMP/CALL for
    /// CS, with `ret` for the far-return form). Returns the hidden part to
    /// load; nothing is changed, so a faulting instruction can restart.
    pub fn check(&self, seg: SegReg, sel: u16, ret: bool) -> Result<Hidden, SegmentFault> {
        let gp = SegmentFault::GeneralProtection(sel & !3);
        let (rpl, cpl) = (sel & 3, 3u16);
        if is_null(sel) {
            return match seg {
                SegReg::Ss | SegReg::Cs => Err(SegmentFault::GeneralProtection(0)),
                _ => Ok(Hidden::NULL),
            };
        }
        let d = self.lookup(sel)?;
        let dpl = d.dpl as u16;
        let conforming = d.typ & SegmentDescriptor::EXPAND_DOWN_OR_CONFORMING != 0;
        // Writable for data, readable for code.
        let rw = d.typ & SegmentDescriptor::WRITABLE_OR_READABLE != 0;
        match seg {
            SegReg::Ss => {
                if rpl != cpl || !d.is_data() || !rw || dpl != cpl {
                    return Err(gp);
                }
                if !d.present {
                    return Err(SegmentFault::StackFault(sel & !3));
                }
            }
            SegReg::Cs => {
                let ok = d.is_code()
                    && if conforming {
                        dpl <= if ret { rpl } else { cpl }
                    } else if ret {
                        dpl == rpl
                    } else {
                        rpl <= cpl && dpl == cpl
                    }
                    && (!ret || rpl >= cpl);
                if !ok {
                    return Err(gp);
                }
                if !d.present {
                    return Err(SegmentFault::NotPresent(sel & !3));
                }
            }
            _ => {
                if !(d.is_data() || (d.is_code() && rw)) {
                    return Err(gp);
                }
                if (d.is_data() || !conforming) && (rpl > dpl || cpl > dpl) {
                    return Err(gp);
                }
                if !d.present {
                    return Err(SegmentFault::NotPresent(sel & !3));
                }
            }
        }
        let h = Hidden::of(&d);
        // toyemu keeps CS, DS, ES and SS flat (see the module doc).
        let flat = d.base == 0 && h == Hidden::FLAT;
        let flat_enough = match seg {
            SegReg::Fs | SegReg::Gs => true,
            SegReg::Cs => d.base == 0 && h.lo == 0 && h.hi == u32::MAX && d.db && !d.l,
            SegReg::Ss => flat && d.db,
            _ => flat,
        };
        if !flat_enough {
            return Err(gp);
        }
        Ok(h)
    }

    /// After a successful load of `sel`: the processor sets the descriptor's
    /// accessed bit (SDM Vol. 3A §3.4.5.1).
    pub fn touch(&mut self, sel: u16) {
        let index = (sel >> 3) as usize;
        if !is_null(sel) && (GDT_ENTRY_TLS_MIN..=GDT_ENTRY_TLS_MAX).contains(&index) {
            self.tls[index - GDT_ENTRY_TLS_MIN].typ |= SegmentDescriptor::ACCESSED;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn loading_follows_the_sdm_at_cpl3() {
        let mut s = Segments::default();
        let gp = |sel: u16| Err(SegmentFault::GeneralProtection(sel & !3));
        // User selectors load; the kernel's (DPL 0) and empty entries do not.
        assert_eq!(s.check(SegReg::Ds, USER_DS, false), Ok(Hidden::FLAT));
        assert_eq!(s.check(SegReg::Ss, USER_DS, false), Ok(Hidden::FLAT));
        assert_eq!(s.check(SegReg::Ds, 0x68, false), gp(0x68));
        assert_eq!(s.check(SegReg::Fs, 0x60 | 3, false), gp(0x60));
        assert_eq!(s.check(SegReg::Gs, 0x33, false), gp(0x33));
        assert_eq!(s.check(SegReg::Gs, 0x7f, false), gp(0x7c), "LDT");
        assert_eq!(s.check(SegReg::Gs, 0x103, false), gp(0x100), "past the GDT");
        // Null: fine for data segment registers, #GP for SS.
        assert_eq!(s.check(SegReg::Fs, 3, false), Ok(Hidden::NULL));
        assert_eq!(s.check(SegReg::Ss, 0, false), gp(0));
        // SS needs RPL 3; DS takes RPL 0 (DPL 3 >= RPL).
        assert_eq!(s.check(SegReg::Ss, 0x78, false), gp(0x78));
        assert_eq!(s.check(SegReg::Ds, 0x78, false), Ok(Hidden::FLAT));
        // The code segment is readable: FS may hold it, read-only.
        let h = s.check(SegReg::Fs, USER_CS, false).unwrap();
        assert!(h.allows(0x1000, 4, false) && !h.allows(0x1000, 4, true));
        assert_eq!(
            s.check(SegReg::Ds, USER_CS, false),
            gp(USER_CS),
            "not flat data"
        );
        // A TLS entry: limits, not-present, expand-down.
        let mut d = SegmentDescriptor::flat(false, 3);
        d.base = 0x5000;
        d.limit = 7;
        d.g = false;
        s.tls[0] = d;
        let h = s.check(SegReg::Gs, 0x33, false).unwrap();
        assert!(h.allows(4, 4, true) && !h.allows(5, 4, false) && !h.allows(8, 1, false));
        assert_eq!(s.check(SegReg::Ds, 0x33, false), gp(0x33), "based DS");
        s.tls[0].present = false;
        assert_eq!(
            s.check(SegReg::Gs, 0x33, false),
            Err(SegmentFault::NotPresent(0x30))
        );
        s.tls[0].present = true;
        s.tls[0].typ |= SegmentDescriptor::EXPAND_DOWN_OR_CONFORMING;
        let h = s.check(SegReg::Gs, 0x33, false).unwrap();
        assert!(
            !h.allows(7, 1, false) && h.allows(8, 4, false) && h.allows(u32::MAX - 3, 4, false)
        );
        s.touch(0x33);
        assert_eq!(s.tls[0].typ & SegmentDescriptor::ACCESSED, 1);
    }

    #[test]
    fn far_transfer_checks() {
        let s = Segments::default();
        assert_eq!(
            s.check(SegReg::Cs, USER_CS, false),
            Ok(Hidden {
                writable: false,
                ..Hidden::FLAT
            })
        );
        assert!(
            s.check(SegReg::Cs, USER_CS & !3, false).is_ok(),
            "jmp: RPL 0 <= CPL"
        );
        assert!(
            s.check(SegReg::Cs, USER_CS & !3, true).is_err(),
            "ret: RPL < CPL"
        );
        assert!(s.check(SegReg::Cs, USER_DS, false).is_err(), "data");
        assert!(s.check(SegReg::Cs, 0x60, false).is_err(), "DPL 0");
        assert!(s.check(SegReg::Cs, 0, false).is_err(), "null");
    }
}
