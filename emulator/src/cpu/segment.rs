//! Segment registers in a flat user address space: CS, DS, ES and SS have
//! base 0; FS and GS bases are set by the kernel. Moves to and from them.

use super::op::{Kind, Op};
use super::state::{Exec, State};
use crate::mmu::Mmu;

/// Linux's i386 user selectors (`__USER_CS`, `__USER_DS`), which is what a
/// program reading CS or DS there would see.
pub const USER_CS: u32 = 0x73;
pub const USER_DS: u32 = 0x7b;

impl State {
    /// mov r/m, sreg reads a flat selector; mov sreg, r/m reads its operand
    /// (which may fault) and changes nothing: every base is fixed, FS and GS
    /// bases are set by the kernel.
    pub(super) fn seg_mov(&mut self, mmu: &mut Mmu, op: &Op) -> Exec {
        let sel = match op.sub {
            1 => USER_CS,
            4 | 5 => 0,
            _ => USER_DS,
        };
        match op.kind {
            Kind::SegReadR => self.set(op.size, op.r1, sel),
            Kind::SegReadM => self.store(mmu, 2, self.ea(&op.m), sel)?,
            Kind::SegWriteM => {
                self.load(mmu, 2, self.ea(&op.m))?;
            }
            _ => {}
        }
        Ok(())
    }
}
