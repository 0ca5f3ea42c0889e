//! Disassembly for traces, the debugger and #UD reports, in AT&T (GAS)
//! syntax through iced-x86's formatter. Reads memory by walking the page
//! tables (`Mmu::inspect`): no TLB fill, no statistics, no A/D bits.

use super::decode::MAX_INSN;
use crate::addr::{PhysAddr, VirtAddr, PAGE_SIZE};
use crate::mmu::Mmu;
use iced_x86::{Decoder, DecoderOptions, Formatter, GasFormatter, Instruction};

/// The instruction at `eip` in the current address space: its bytes and
/// its text, e.g. `([0x01, 0xd8], "add %ebx,%eax")`. `None` when the first
/// byte is not mapped. Bytes that cannot be decoded give `(bad)`.
pub fn disassemble(mmu: &Mmu, eip: VirtAddr) -> Option<(Vec<u8>, String)> {
    let mut buf = Vec::with_capacity(MAX_INSN);
    let mut va = eip;
    while buf.len() < MAX_INSN {
        let Some(pa) = peek_phys(mmu, va) else {
            break;
        };
        let n = (MAX_INSN - buf.len()).min((PAGE_SIZE - va.page_offset()) as usize);
        let mut chunk = [0u8; MAX_INSN];
        mmu.phys.read_bytes(pa, &mut chunk[..n]);
        buf.extend_from_slice(&chunk[..n]);
        va = VirtAddr(va.0.wrapping_add(n as u32));
    }
    if buf.is_empty() {
        return None;
    }
    let (len, text) = disassemble_bytes(&buf, eip.0);
    buf.truncate(len);
    Some((buf, text))
}

/// Disassemble the first instruction of `bytes`, located at `eip`:
/// its length (at least 1) and its text.
pub fn disassemble_bytes(bytes: &[u8], eip: u32) -> (usize, String) {
    let mut d = Decoder::with_ip(32, bytes, eip as u64, DecoderOptions::NONE);
    let mut ins = Instruction::default();
    d.decode_out(&mut ins);
    if ins.is_invalid() {
        return (ins.len().clamp(1, bytes.len().max(1)), "(bad)".to_string());
    }
    let mut f = GasFormatter::new();
    f.options_mut().set_space_after_operand_separator(false);
    let mut text = String::new();
    f.format(&ins, &mut text);
    (ins.len(), text)
}

/// Physical address of a user-accessible `va`, without touching the TLB.
fn peek_phys(mmu: &Mmu, va: VirtAddr) -> Option<PhysAddr> {
    let pte = mmu.inspect(va).pte?;
    if !pte.is_present() || pte.frame().0 >= mmu.phys.frames() {
        return None;
    }
    Some(PhysAddr(pte.frame().base().0 | va.page_offset()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_att_syntax() {
        assert_eq!(disassemble_bytes(&[0x01, 0xd8], 0), (2, "add %ebx,%eax".into()));
        assert_eq!(disassemble_bytes(&[0xcd, 0x80], 0), (2, "int $0x80".into()));
        assert_eq!(disassemble_bytes(&[0x0f, 0x0b], 0).1, "ud2");
    }
}
