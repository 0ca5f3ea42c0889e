//! x87 control instructions (SDM Vol. 1 §8.3.12): fninit, fldcw, fnstcw,
//! fnstsw, fnclex, fnstenv, fldenv, fnsave, frstor and fwait. They leave
//! the last-instruction pointers alone.
//!
//! The environment image is the 32-bit protected-mode one (28 bytes, SDM
//! Vol. 1 Figure 8-9): control, status and tag words each in the low half
//! of a doubleword whose high half reads as ones, FIP, the FOP in bits
//! 16-26 beside FCS, FDP, FDS. FCS and FDS hold Linux's user selectors.

use super::fpu::{sw, xop, Fpu, CW_INIT, F80};
use super::mem::{read_bytes, store_bytes};
use crate::cpu::op::Op;
use crate::cpu::segment::{USER_CS, USER_DS};
use crate::cpu::state::{Exec, State};
use crate::mmu::Mmu;

/// Bits of the control word that exist: exception masks, PC, RC and the
/// (ignored) infinity control; bit 6 reads as 1.
const CW_BITS: u16 = 0x1f3f;
const CW_ONE: u16 = 0x0040;
/// Bytes `fnsave` stores in 32-bit protected mode.
pub const SAVE_IMAGE_SIZE: usize = 108;

impl Fpu {
    /// The 28-byte environment image.
    fn env_image(&self) -> [u8; 28] {
        let words = [
            0xffff_0000 | self.cw as u32,
            0xffff_0000 | self.status() as u32,
            0xffff_0000 | self.tag_word() as u32,
            self.fip,
            (self.fop as u32) << 16 | USER_CS as u32,
            self.fdp,
            0xffff_0000 | USER_DS as u32,
        ];
        let mut b = [0u8; 28];
        for (i, w) in words.iter().enumerate() {
            b[4 * i..4 * i + 4].copy_from_slice(&w.to_le_bytes());
        }
        b
    }

    /// Load an environment image: only "empty or not" is taken from the
    /// tags, the rest follows from the registers (as since the 486).
    fn load_env(&mut self, b: &[u8]) {
        let w = |i: usize| u32::from_le_bytes(b[4 * i..4 * i + 4].try_into().unwrap());
        self.cw = (w(0) as u16 & CW_BITS) | CW_ONE;
        let s = w(1) as u16;
        self.top = ((s & sw::TOP) >> sw::TOP_SHIFT) as u8;
        self.sw = s & !sw::TOP;
        let tags = w(2) as u16;
        self.empty = (0..8).fold(0, |e, p| {
            if (tags >> (2 * p)) & 3 == 3 {
                e | (1 << p)
            } else {
                e
            }
        });
        self.fip = w(3);
        self.fop = ((w(4) >> 16) & 0x7ff) as u16;
        self.fdp = w(5);
        self.summarise();
    }

    /// The 108-byte `fnsave` image: the environment, then ST(0)..ST(7) as
    /// 80-bit values. Linux's i386 signal frames carry this image on a CPU
    /// without FXSR.
    pub fn save_image(&self) -> [u8; SAVE_IMAGE_SIZE] {
        let mut b = [0u8; SAVE_IMAGE_SIZE];
        b[..28].copy_from_slice(&self.env_image());
        for i in 0..8u8 {
            let v = self.regs[self.phys(i)];
            b[28 + 10 * i as usize..38 + 10 * i as usize].copy_from_slice(&v.to_bytes());
        }
        b
    }

    /// Load an `fnsave` image, as `frstor` does.
    pub fn restore_image(&mut self, b: &[u8; SAVE_IMAGE_SIZE]) {
        self.load_env(&b[..28]);
        for i in 0..8u8 {
            let at = 28 + 10 * i as usize;
            let p = self.phys(i);
            self.regs[p] = F80::from_bytes(b[at..at + 10].try_into().unwrap());
        }
    }

    fn init(&mut self) {
        *self = Fpu {
            regs: self.regs,
            ..Fpu::new()
        };
        self.cw = CW_INIT;
    }
}

impl State {
    pub(super) fn x87_control(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        let ea = self.ea(&op.m);
        let f = &mut self.fpu;
        match op.sub {
            xop::INIT => f.init(),
            xop::LDCW => {
                let v = u16::from_le_bytes(read_bytes::<2>(mmu, ea)?);
                f.cw = (v & CW_BITS) | CW_ONE;
                f.summarise();
            }
            xop::STCW => store_bytes(mmu, ea, &f.cw.to_le_bytes())?,
            xop::STSW_M => store_bytes(mmu, ea, &f.status().to_le_bytes())?,
            xop::STSW_AX => {
                let v = f.status();
                self.set(2, 0, v as u32);
            }
            xop::CLEX => f.sw &= !(sw::EXCEPTIONS | sw::SF | sw::ES | sw::B),
            xop::STENV => {
                store_bytes(mmu, ea, &f.env_image())?;
                // fnstenv then masks every exception (SDM FSTENV).
                f.cw |= sw::EXCEPTIONS;
            }
            xop::LDENV => {
                let b = read_bytes::<28>(mmu, ea)?;
                f.load_env(&b);
            }
            xop::SAVE => {
                store_bytes(mmu, ea, &f.save_image())?;
                f.init();
            }
            xop::RSTOR => {
                let b = read_bytes::<SAVE_IMAGE_SIZE>(mmu, ea)?;
                f.restore_image(&b);
            }
            xop::WAIT => {}
            _ => unreachable!("x87 sub-op {} is not a control instruction", op.sub),
        }
        Ok(())
    }
}
