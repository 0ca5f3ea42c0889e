//! Decimal arithmetic on AL and AH: daa das aaa aas aam aad (Intel SDM
//! Vol. 2A under each name; the "Operation" sections are followed as
//! written). Flags the SDM leaves undefined are set as this file says:
//!
//! | insn    | defined        | undefined: toyemu sets                     |
//! |---------|----------------|--------------------------------------------|
//! | daa das | CF AF SF ZF PF | OF: the sign went from + to − (daa), − to + (das) |
//! | aaa aas | CF AF          | OF = 0, SF ZF PF of AX before AL is masked |
//! | aam     | SF ZF PF       | OF AF CF = 0                               |
//! | aad     | SF ZF PF       | OF AF CF of the byte addition              |
//!
//! The native oracle (tests/native/oracle.c) masks the undefined ones. On
//! the AMD EPYC host the tests were written on, every undefined flag above
//! matches what the processor does.

use super::alu::alu;
use super::eflags::{AF, CF, OF, PF, SF, STATUS, ZF};
use super::flags::parity;
use super::op::{alu_op, Op};
use super::state::{Exec, State, Stop, EAX};
use crate::addr::VirtAddr;
use crate::trap::Trap;

/// SF ZF PF of a word result (PF from its low byte).
fn szp16(v: u16) -> u32 {
    let mut f = szp(v as u8) & PF;
    if v == 0 {
        f |= ZF;
    }
    if v & 0x8000 != 0 {
        f |= SF;
    }
    f
}

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
                // SF ZF PF of the whole AX before AL is masked, as AMD
                // processors leave them.
                let f = if low_adjust { AF | CF } else { 0 };
                (r & 0xff0f, f | szp16(r as u16))
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

    /// aad imm8: AL = AL + AH × imm8 (mod 256), AH = 0. The flags are
    /// those of the byte addition (SF ZF PF as defined; OF AF CF as AMD
    /// processors leave them).
    pub(super) fn aad(&mut self, op: &Op) {
        let (ah, al) = ((self.r[EAX] >> 8) as u8, self.r[EAX] as u8);
        let x = alu(
            alu_op::ADD,
            1,
            al as u32,
            ah.wrapping_mul(op.imm as u8) as u32,
            false,
        );
        self.r[EAX] = self.r[EAX] & 0xffff_0000 | x.r;
        self.f.commit(x);
    }

    fn set_ax(&mut self, ah: u8, al: u8) {
        self.r[EAX] = self.r[EAX] & 0xffff_0000 | (ah as u32) << 8 | al as u32;
        self.f.materialise();
        self.f.bits = self.f.bits & !STATUS | szp(al);
    }
}
