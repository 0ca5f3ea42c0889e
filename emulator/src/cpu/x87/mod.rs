//! The x87 FPU (Intel SDM Vol. 1 ch. 8): eight 80-bit registers used as a
//! stack, the control, status and tag words, and the last-instruction
//! pointers that `fnstenv` shows.
//!
//! Arithmetic goes through Berkeley SoftFloat 3e (`sf.rs` says why), which
//! gives extended precision with the control word's rounding and precision
//! control, and the IEEE flags; what is x87-only (denormal-operand flag,
//! stack faults, C0-C3, unsupported encodings, fprem, fxtract, fscale) is
//! done here on the bits. All x87 instructions share one `Kind` (`X87`):
//! `Op::sub` says which, the other fields its operands (`xop` below).
//!
//! Every instruction reads its memory operand and probes the store before
//! changing anything, so a page fault restarts it cleanly. Exceptions
//! unmasked in the control word set ES and are delivered (#MF, SIGFPE on
//! Linux) at the next waiting x87 instruction, as on hardware (§8.6); the
//! state they leave is the hardware's too: an unmasked IE, DE or ZE
//! delivers no result (but a compare still sets its condition codes and
//! a load of a denormal still loads), an unmasked overflow or underflow
//! delivers the result with its exponent biased by 24576 (§4.9.1.4-5), or
//! stores nothing for a single or double destination.

mod arith;
mod compare;
mod control;
pub mod fpu;
mod load_store;
mod mem;
pub(super) mod sf;
mod transcendental;

use super::op::Op;
use super::state::{Exec, State, Stop};
use crate::addr::VirtAddr;
use crate::mmu::Mmu;
use crate::trap::Trap;
use fpu::{sw, xop, HAS_MEM, WAIT_FIRST};

pub use control::SAVE_IMAGE_SIZE;
pub use fpu::{Fpu, F80};

impl State {
    /// Run one x87 instruction.
    #[inline(never)]
    pub(super) fn x87(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        let at = self.eip.wrapping_sub(op.len as u32);
        if (xop::waits(op.sub) || op.imm & WAIT_FIRST != 0) && self.fpu.sw & sw::ES != 0 {
            // #MF (vector 16) before the waiting instruction.
            return Err(Stop::Trap(Trap::FloatingPoint { eip: VirtAddr(at) }));
        }
        if op.sub >= xop::FIRST_CONTROL {
            return self.x87_control(mmu, op);
        }
        let ea = if op.imm & HAS_MEM != 0 {
            self.ea(&op.m)
        } else {
            0
        };
        // The pointers are set even when the instruction later stops
        // short: a fault restarts it and sets them again.
        let saved = (self.fpu.fip, self.fpu.fop, self.fpu.fdp);
        self.fpu.fip = at;
        self.fpu.fop = (op.imm & 0x7ff) as u16;
        if op.imm & HAS_MEM != 0 {
            self.fpu.fdp = ea;
        }
        let r = match op.sub {
            xop::LD_M | xop::LD_ST | xop::LD_CONST | xop::ST_M | xop::STP_M => {
                self.x87_load_store(mmu, op, ea)
            }
            xop::ST_ST | xop::STP_ST | xop::XCH | xop::FREE | xop::DECSTP | xop::INCSTP => {
                self.x87_load_store(mmu, op, ea)
            }
            xop::NOP => Ok(()),
            xop::CMOV => self.x87_load_store(mmu, op, ea),
            xop::COM_M | xop::COM_ST | xop::COMI | xop::TST | xop::XAM => {
                self.x87_compare(mmu, op, ea)
            }
            xop::SIN..=xop::YL2XP1 => {
                self.x87_transcendental(op);
                Ok(())
            }
            _ => self.x87_arith(mmu, op, ea),
        };
        if r.is_err() {
            (self.fpu.fip, self.fpu.fop, self.fpu.fdp) = saved;
        }
        r
    }
}
