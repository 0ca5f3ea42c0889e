//! Decimal arithmetic on AL and AH: daa das aaa aas aam aad (Intel SDM
//! Vol. 2A under each name; the "Operation" sections are followed as
//! written). Flags the SDM leaves undefined are set as this file says:
//!
//! | insn    | defined            | undefined: toyemu sets               |
//! |---------|--------------------|--------------------------------------|
//! | daa das | CF AF SF ZF PF     | OF as `add`/`sub` of the adjustment  |
//! | aaa aas | CF AF              | OF SF ZF PF from AL as left (OF = 0)  |
//! | aam aad | SF ZF PF           | OF AF CF = 0                         |
//!
//! The native oracle (tests/native/oracle.c) masks the undefined ones.

use super::eflags::{AF, CF, OF, PF, SF, STATUS, ZF};
use super::flags::parity;
use super::op::Op;
use super::state::{Exec, State, Stop, EAX};
use crate::addr::VirtAddr;
use crate::trap::Trap;

/// SF ZF PF of a byte result.
fn szp(v: u8) -> u32 {
    let mut f = 0;
    if v == 0 {
        f |= ZF;
    }
    if v & 0x80 != 0 {
        f |= SF;
    }
    if parity(v as u32) {
        f |= PF;
    }
    f
}

impl State {
    /// daa das aaa aas, by `sub` 0 1 2 3.
    pub(super) fn bcd(&mut self, op: &Op) {
        self.f.materialise();
        let fl = self.f.bits;
        let (cf, af) = (fl & CF != 0, fl & AF != 0);
        let ax = self.r[EAX] & 0xffff;
        let al = ax as u8;
        let low_adjust = al & 0x0f > 9 || af;
        let (new_ax, flags) = match op.sub {
            0 => {
                // daa
                let mut r = al;
                let mut f = 0;
                if low_adjust {
                    r = r.wrapping_add(6);
                    f |= AF;
                }
                if al > 0x99 || cf {
                    r = r.wrapping_add(0x60);
                    f |= CF;
                }
                let of = (!al & r & 0x80) != 0;
                (ax & 0xff00 | r as u32, f | szp(r) | if of { OF } else { 0 })
            }
            1 => {
                // das: CF also takes the borrow of the low adjustment.
                let mut r = al;
                let mut f = 0;
                if low_adjust {
                    r = r.wrapping_sub(6);
                    f |= AF;
                    if al < 6 {
                        f |= CF;
                    }
                }
                if al > 0x99 || cf {
                    r = r.wrapping_sub(0x60);
                    f |= CF;
                }
                let of = (al & !r & 0x80) != 0;
                (ax & 0xff00 | r as u32, f | szp(r) | if of { OF } else { 0 })
            }
            2 | 3 => {
                // aaa: AX += 0x106 (the carry out of AL reaches AH, as on
                // processors since the 80286); aas: AX -= 6, AH -= 1.
                let r = if !low_adjust {
                    ax
                } else if op.sub == 2 {
                    ax.wrapping_add(0x106)
                } else {
                    ax.wrapping_sub(6).wrapping_sub(0x100)
                };
                let r = r & 0xff0f;
                let f = if low_adjust { AF | CF } else { 0 };
                (r, f | szp(r as u8))
            }
            _ => unreachable!("bcd sub-operation {}", op.sub),
        };
        self.r[EAX] = self.r[EAX] & 0xffff_0000 | new_ax & 0xffff;
        self.f.bits = self.f.bits & !STATUS | flags;
    }

    /// aam imm8: AH = AL / imm8, AL = AL % imm8; #DE for 0.
    pub(super) fn aam(&mut self, op: &Op) -> Exec {
        let base = op.imm as u8;
        if base == 0 {
            return Err(Stop::Trap(Trap::DivideError {
                eip: VirtAddr(self.eip.wrapping_sub(op.len as u32)),
            }));
        }
        let al = self.r[EAX] as u8;
        let (q, r) = (al / base, al % base);
        self.set_ax(q, r);
        Ok(())
    }

    /// aad imm8: AL = AL + AH × imm8 (mod 256), AH = 0.
    pub(super) fn aad(&mut self, op: &Op) {
        let (ah, al) = ((self.r[EAX] >> 8) as u8, self.r[EAX] as u8);
        let r = al.wrapping_add(ah.wrapping_mul(op.imm as u8));
        self.set_ax(0, r);
    }

    fn set_ax(&mut self, ah: u8, al: u8) {
        self.r[EAX] = self.r[EAX] & 0xffff_0000 | (ah as u32) << 8 | al as u32;
        self.f.materialise();
        self.f.bits = self.f.bits & !STATUS | szp(al);
    }
}
