//! Disassembly for people: traces, the debugger, #UD reports, in AT&T
//! syntax as objdump and gdb print it.

use crate::addr::{PhysAddr, VirtAddr, PAGE_SIZE};
use crate::mmu::Mmu;
use iced_x86::{Decoder, DecoderOptions, Formatter, GasFormatter};

/// Longest IA-32 instruction (Intel SDM Vol. 2A §2.3.11).
pub const MAX_INSN: usize = 15;

/// The first instruction in `bytes`, at `eip`: its length (at least 1) and
/// its text, `(bad)` if it does not decode.
pub fn disassemble(bytes: &[u8], eip: VirtAddr) -> (usize, String) {
    let mut d = Decoder::with_ip(32, bytes, eip.0 as u64, DecoderOptions::NONE);
    let insn = d.decode();
    if insn.is_invalid() {
        return (1, "(bad)".to_string());
    }
    let mut out = String::new();
    GasFormatter::new().format(&insn, &mut out);
    (insn.len().clamp(1, bytes.len().max(1)), out)
}

/// Copy the code bytes at `va` into `out`, through [`Mmu::peek`] (no TLB
/// fill, no A/D bits) from pages whose PTE is present, whatever their U/S
/// bit. Stops at the first page that is not; returns how many bytes it read.
pub fn read_code(mmu: &Mmu, va: VirtAddr, out: &mut [u8]) -> usize {
    let mut n = 0;
    while n < out.len() {
        let a = VirtAddr(va.0.wrapping_add(n as u32));
        let Some(frame) = mmu.peek(a).frame(mmu.phys()) else {
            break;
        };
        let chunk = (out.len() - n).min((PAGE_SIZE - a.page_offset()) as usize);
        let pa = PhysAddr(frame.base().0 | a.page_offset());
        mmu.phys().read_bytes(pa, &mut out[n..n + chunk]);
        n += chunk;
    }
    n
}

/// The instruction at `eip` in the current address space: its bytes and its
/// text, e.g. `([0x01, 0xd8], "add %ebx,%eax")`; `None` when the first byte
/// is not mapped.
pub fn at(mmu: &Mmu, eip: VirtAddr) -> Option<(Vec<u8>, String)> {
    let mut buf = [0u8; MAX_INSN];
    let n = read_code(mmu, eip, &mut buf);
    if n == 0 {
        return None;
    }
    let (len, text) = disassemble(&buf[..n], eip);
    Some((buf[..len].to_vec(), text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_att_syntax_with_the_length() {
        let at = VirtAddr(0x1000);
        assert_eq!(
            disassemble(&[0x01, 0xd8, 0x90], at),
            (2, "add %ebx,%eax".into())
        );
        assert_eq!(disassemble(&[0xcd, 0x80], at), (2, "int $0x80".into()));
        assert_eq!(disassemble(&[0x0f, 0x0b], at), (2, "ud2".into()));
        assert_eq!(disassemble(&[0x0f], at), (1, "(bad)".into()));
    }
}
