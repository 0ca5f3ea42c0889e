//! Placeholder, replaced below.
use super::xop;
use crate::cpu::op::Op;
use crate::cpu::state::State;

impl State {
    pub(super) fn x87_transcendental(&mut self, op: &Op) {
        let _ = (op, xop::SIN);
    }
}
