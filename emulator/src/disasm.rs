//! Disassembly for people: traces, the debugger, #UD reports.

use crate::addr::VirtAddr;
use iced_x86::{Decoder, DecoderOptions, Formatter, GasFormatter};

/// The first instruction in `bytes`, at `eip`, in AT&T syntax as objdump and
/// gdb print it; `(bad)` if it does not decode.
pub fn disassemble_bytes(bytes: &[u8], eip: VirtAddr) -> String {
    let mut d = Decoder::with_ip(32, bytes, eip.0 as u64, DecoderOptions::NONE);
    let insn = d.decode();
    if insn.is_invalid() {
        return "(bad)".to_string();
    }
    let mut out = String::new();
    GasFormatter::new().format(&insn, &mut out);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn formats_att_syntax() {
        assert_eq!(
            disassemble_bytes(&[0xcd, 0x80], VirtAddr(0x1000)),
            "int $0x80"
        );
        assert_eq!(disassemble_bytes(&[0x0f, 0x0b], VirtAddr(0x1000)), "ud2");
        assert_eq!(disassemble_bytes(&[0x0f], VirtAddr(0x1000)), "(bad)");
    }
}
