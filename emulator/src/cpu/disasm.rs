//! Disassembly for traces, the debugger and #UD reports, in AT&T (GAS)
//! syntax through `crate::disasm`. Reads memory by walking the page
//! tables (`Mmu::inspect`): no TLB fill, no statistics, no A/D bits.

use super::decode::MAX_INSN;
use crate::addr::{PhysAddr, VirtAddr, PAGE_SIZE};
use crate::disasm::disassemble_bytes;
use crate::mmu::Mmu;
use iced_x86::{Decoder, DecoderOptions};

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
    let (len, text) = decode_text(&buf, eip.0);
    buf.truncate(len);
    Some((buf, text))
}

/// Length (at least 1) and AT&T text of the first instruction in `bytes`.
fn decode_text(bytes: &[u8], eip: u32) -> (usize, String) {
    let mut d = Decoder::with_ip(32, bytes, eip as u64, DecoderOptions::NONE);
    let len = d.decode().len().clamp(1, bytes.len());
    (len, disassemble_bytes(&bytes[..len], VirtAddr(eip)))
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
        assert_eq!(
            decode_text(&[0x01, 0xd8, 0x90], 0),
            (2, "add %ebx,%eax".into())
        );
        assert_eq!(decode_text(&[0xcd, 0x80], 0), (2, "int $0x80".into()));
        assert_eq!(decode_text(&[0x0f], 0), (1, "(bad)".into()));
    }
}
