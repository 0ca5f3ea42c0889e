//! Backtraces: from a stopped frame's registers to its caller's, by the
//! program's DWARF call frame information (`.debug_frame`, which gcc writes
//! for `-g` when `-fno-asynchronous-unwind-tables` leaves out `.eh_frame`;
//! or `.eh_frame`, which glibc and musl programs carry). The userland is
//! built at -O2, where gcc omits the frame pointer in all but `main`, so a
//! chain of saved EBPs would skip callers; where a function has no CFI
//! (hand-written assembly) the frame-pointer chain is the fallback.

use gimli::{
    BaseAddresses, CfaRule, DebugFrame, EhFrame, Register, RegisterRule, UnwindContext,
    UnwindSection,
};
use object::{Object, ObjectSection};
use std::rc::Rc;

/// How DWARF sections are read here (and in `symbols.rs`): shared bytes.
pub type Reader = gimli::EndianRcSlice<gimli::LittleEndian>;

/// DWARF's i386 register numbers (System V i386 psABI, table 2.14).
const ESP: Register = Register(4);
const EBP: Register = Register(5);
/// The return address column gcc's i386 CIEs use.
const RA: Register = Register(8);

/// Most frames a backtrace walks: a deeper stack is almost surely a
/// corrupted one going in circles.
pub const MAX_FRAMES: usize = 64;

/// The registers that locate a frame.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FrameRegs {
    pub eip: u32,
    pub esp: u32,
    pub ebp: u32,
}

/// Which section's row unwinds a pc.
enum Found {
    Debug(gimli::UnwindTableRow<usize>),
    Eh(gimli::UnwindTableRow<usize>),
    /// Neither has an entry: the frame-pointer chain.
    Neither,
}

/// Rows looked up so far, by pc: finding one is a walk of the section
/// (memcheck unwinds at every malloc, from the same few call sites).
const ROW_CACHE: usize = 1 << 14;

/// The program's call frame information (none for a stripped program).
#[derive(Default)]
pub struct Cfi {
    debug_frame: Option<DebugFrame<Reader>>,
    /// With the section's address, for its pc-relative pointers.
    eh_frame: Option<(EhFrame<Reader>, u64)>,
    rows: std::cell::RefCell<std::collections::HashMap<u32, Found>>,
}

impl Cfi {
    pub fn from_elf(file: &object::File) -> Cfi {
        let data = |name: &str| {
            let s = file.section_by_name(name)?;
            let bytes = s.uncompressed_data().ok()?;
            Some((
                Reader::new(Rc::from(&*bytes), gimli::LittleEndian),
                s.address(),
            ))
        };
        let debug_frame = data(".debug_frame").map(|(r, _)| {
            let mut d = DebugFrame::from(r);
            d.set_address_size(4);
            d
        });
        let eh_frame = data(".eh_frame").map(|(r, addr)| {
            let mut e = EhFrame::from(r);
            e.set_address_size(4);
            (e, addr)
        });
        Cfi {
            debug_frame,
            eh_frame,
            rows: Default::default(),
        }
    }

    /// The caller's frame: `regs` is a frame stopped at `regs.eip` (for an
    /// `outer` frame, a return address: the call is the instruction before).
    /// `read` reads a word of guest memory. `None` where the chain ends.
    pub fn caller(
        &self,
        regs: FrameRegs,
        outer: bool,
        read: &dyn Fn(u32) -> Option<u32>,
    ) -> Option<FrameRegs> {
        // A return address is past the call; the call itself may be the
        // last instruction of the function, so look up the byte before.
        let pc = if outer {
            regs.eip.wrapping_sub(1)
        } else {
            regs.eip
        };
        if !self.rows.borrow().contains_key(&pc) {
            let f = self.find(pc);
            let mut rows = self.rows.borrow_mut();
            if rows.len() >= ROW_CACHE {
                rows.clear();
            }
            rows.insert(pc, f);
        }
        let rows = self.rows.borrow();
        let caller = match (rows.get(&pc), &self.debug_frame, &self.eh_frame) {
            (None, ..) => None,
            (Some(Found::Debug(row)), Some(d), _) => caller_by(d, row, regs, read),
            (Some(Found::Eh(row)), _, Some((e, _))) => caller_by(e, row, regs, read),
            _ => frame_pointer(regs, read),
        }?;
        // The stack grows down: a caller's frame is above its callee's.
        (caller.eip != 0 && caller.esp > regs.esp).then_some(caller)
    }
}

impl Cfi {
    /// The row for `pc`: `.debug_frame`'s, else `.eh_frame`'s.
    fn find(&self, pc: u32) -> Found {
        if let Some(row) = self
            .debug_frame
            .as_ref()
            .and_then(|d| row(d, &BaseAddresses::default(), pc))
        {
            return Found::Debug(row);
        }
        self.eh_frame
            .as_ref()
            .and_then(|(e, addr)| row(e, &BaseAddresses::default().set_eh_frame(*addr), pc))
            .map_or(Found::Neither, Found::Eh)
    }
}

/// `section`'s row for `pc`, if it has an entry for it.
fn row<S: UnwindSection<Reader>>(
    section: &S,
    bases: &BaseAddresses,
    pc: u32,
) -> Option<gimli::UnwindTableRow<usize>> {
    let mut ctx = Box::new(UnwindContext::new());
    section
        .unwind_info_for_address(bases, &mut ctx, pc as u64, S::cie_from_offset)
        .ok()
        .cloned()
}

fn caller_by<S: UnwindSection<Reader>>(
    section: &S,
    row: &gimli::UnwindTableRow<usize>,
    regs: FrameRegs,
    read: &dyn Fn(u32) -> Option<u32>,
) -> Option<FrameRegs> {
    let cfa = match row.cfa() {
        CfaRule::RegisterAndOffset { register, offset } => {
            register_value(regs, *register)?.wrapping_add(*offset as u32)
        }
        // gcc's realigned `main` finds its CFA through the saved ESP.
        CfaRule::Expression(e) => evaluate(&e.get(section).ok()?, regs, None, read)?,
    };
    let restore = |reg: Register, unchanged: u32| -> Option<u32> {
        match row.register(reg) {
            RegisterRule::Offset(o) => read(cfa.wrapping_add(o as u32)),
            RegisterRule::ValOffset(o) => Some(cfa.wrapping_add(o as u32)),
            RegisterRule::Undefined | RegisterRule::SameValue => Some(unchanged),
            RegisterRule::Register(r) => register_value(regs, r),
            RegisterRule::Expression(e) => {
                read(evaluate(&e.get(section).ok()?, regs, Some(cfa), read)?)
            }
            RegisterRule::ValExpression(e) => {
                evaluate(&e.get(section).ok()?, regs, Some(cfa), read)
            }
            _ => None,
        }
    };
    // No rule for the return address would mean "the outermost frame".
    let eip = match row.register(RA) {
        RegisterRule::Undefined => return None,
        _ => restore(RA, 0)?,
    };
    Some(FrameRegs {
        eip,
        esp: cfa,
        ebp: restore(EBP, regs.ebp)?,
    })
}

/// The registers a backtrace knows in every frame.
fn register_value(regs: FrameRegs, r: Register) -> Option<u32> {
    match r {
        ESP => Some(regs.esp),
        EBP => Some(regs.ebp),
        RA => Some(regs.eip),
        _ => None,
    }
}

/// A CFI expression's value (an address, for the location forms), with
/// `cfa` pushed first for a register rule, as DWARF 5 §6.4.2.3 says.
fn evaluate(
    expr: &gimli::Expression<Reader>,
    regs: FrameRegs,
    cfa: Option<u32>,
    read: &dyn Fn(u32) -> Option<u32>,
) -> Option<u32> {
    use gimli::{EvaluationResult as R, Location, Value};
    let encoding = gimli::Encoding {
        format: gimli::Format::Dwarf32,
        version: 4,
        address_size: 4,
    };
    let mut eval = expr.clone().evaluation(encoding);
    if let Some(c) = cfa {
        eval.set_initial_value(c as u64);
    }
    let mut state = eval.evaluate().ok()?;
    // Each step needs one value; a bounded loop, whatever the bytes say.
    for _ in 0..64 {
        state = match state {
            R::Complete => {
                let piece = eval.as_result().first()?;
                return match piece.location {
                    Location::Address { address } => Some(address as u32),
                    Location::Value { value } => value.to_u64(!0).ok().map(|v| v as u32),
                    _ => None,
                };
            }
            R::RequiresRegister { register, .. } => {
                let v = register_value(regs, register)?;
                eval.resume_with_register(Value::Generic(v as u64)).ok()?
            }
            R::RequiresMemory { address, .. } => {
                let v = read(address as u32)?;
                eval.resume_with_memory(Value::Generic(v as u64)).ok()?
            }
            _ => return None,
        };
    }
    None
}

/// The classic chain: `push %ebp; mov %esp,%ebp` leaves the caller's EBP at
/// [EBP] and the return address above it. crt0 clears EBP, ending the chain.
fn frame_pointer(regs: FrameRegs, read: &dyn Fn(u32) -> Option<u32>) -> Option<FrameRegs> {
    if regs.ebp == 0 || regs.ebp < regs.esp {
        return None;
    }
    Some(FrameRegs {
        eip: read(regs.ebp.wrapping_add(4))?,
        esp: regs.ebp.wrapping_add(8),
        ebp: read(regs.ebp)?,
    })
}

/// The frames from `regs` outwards: the innermost first.
pub fn backtrace(cfi: &Cfi, regs: FrameRegs, read: &dyn Fn(u32) -> Option<u32>) -> Vec<FrameRegs> {
    let mut frames = vec![regs];
    while frames.len() < MAX_FRAMES {
        let last = frames[frames.len() - 1];
        match cfi.caller(last, frames.len() > 1, read) {
            Some(next) => frames.push(next),
            None => break,
        }
    }
    frames
}
