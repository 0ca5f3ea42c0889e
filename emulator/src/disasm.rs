//! Disassembly for people: traces, the debugger, #UD reports, in AT&T
//! syntax as objdump and gdb print it.

use crate::addr::{PhysAddr, VirtAddr, PAGE_SIZE};
use crate::mmu::Mmu;
use iced_x86::{Decoder, DecoderOptions, Formatter, GasFormatter, OpKind};

/// Longest IA-32 instruction (Intel SDM Vol. 2A §2.3.11).
pub const MAX_INSN: usize = 15;

/// The first instruction in `bytes`, at `eip`: its length (at least 1) and
/// its text: `(bad)` if it does not decode, `(bad: AVX-512, EVEX-encoded)`
/// and the like for an encoding the decoder is built without
/// (`unbuilt_encoding`).
pub fn disassemble(bytes: &[u8], eip: VirtAddr) -> (usize, String) {
    let (len, text, _) = disassemble_branch(bytes, eip);
    (len, text)
}

/// As [`disassemble`], plus the target of a direct call, jump or loop (what
/// objdump and gdb name as `<symbol>` after it).
pub fn disassemble_branch(bytes: &[u8], eip: VirtAddr) -> (usize, String, Option<VirtAddr>) {
    let mut d = Decoder::with_ip(32, bytes, eip.0 as u64, DecoderOptions::NONE);
    let insn = d.decode();
    if insn.is_invalid() {
        let text = match unbuilt_encoding(bytes) {
            Some(what) => format!("(bad: {what})"),
            None => "(bad)".to_string(),
        };
        return (1, text, None);
    }
    let mut out = String::new();
    let mut f = GasFormatter::new();
    // Lower-case hex, as objdump and gdb print it.
    f.options_mut().set_uppercase_hex(false);
    f.options_mut().set_branch_leading_zeros(false);
    f.format(&insn, &mut out);
    let target = matches!(insn.op0_kind(), OpKind::NearBranch16 | OpKind::NearBranch32)
        .then(|| VirtAddr(insn.near_branch_target() as u32));
    (insn.len().clamp(1, bytes.len().max(1)), out, target)
}

/// The encoding an undecodable instruction is in, when iced was built
/// without it (Cargo.toml: `no_vex`, `no_evex`, `no_xop`, `no_d3now`, none
/// of which the CPU implements), so that a #UD report still says what the
/// program tried: its escape bytes after any legacy prefixes. In 32-bit
/// mode C4/C5 begin VEX and 62 begins EVEX only with a register ModRM byte
/// (otherwise they are LES, LDS and BOUND), and 8F begins XOP when its map
/// field is 8 or more (POP r/m has 0 there).
fn unbuilt_encoding(bytes: &[u8]) -> Option<&'static str> {
    let prefixes = [
        0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3,
    ];
    let at = bytes.iter().position(|b| !prefixes.contains(b))?;
    let (b0, b1) = (bytes[at], *bytes.get(at + 1)?);
    match b0 {
        0xc4 | 0xc5 if b1 >= 0xc0 => Some("AVX, VEX-encoded"),
        0x62 if b1 >= 0xc0 => Some("AVX-512, EVEX-encoded"),
        0x8f if b1 & 0x1f >= 8 => Some("AMD XOP"),
        0x0f if b1 == 0x0f => Some("AMD 3DNow!"),
        _ => None,
    }
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
        // Encodings the decoder is built without are named, not decoded.
        let bad = |b: &[u8]| disassemble(b, at).1;
        assert_eq!(
            bad(&[0x66, 0x62, 0xf1, 0x7c]),
            "(bad: AVX-512, EVEX-encoded)"
        );
        assert_eq!(
            bad(&[0x62, 0xf1, 0x7c, 0x48, 0x10, 0x00]),
            "(bad: AVX-512, EVEX-encoded)"
        );
        assert_eq!(bad(&[0x8f, 0xe9, 0x78, 0x90, 0xc0]), "(bad: AMD XOP)");
        assert_eq!(bad(&[0x0f, 0x0f, 0xc1, 0x9e]), "(bad: AMD 3DNow!)");
        assert_eq!(bad(&[0xc5, 0xf8, 0x77]), "(bad: AVX, VEX-encoded)");
        assert_eq!(
            bad(&[0xc4, 0xe2, 0x79, 0x18, 0x00]),
            "(bad: AVX, VEX-encoded)"
        );
        // With a memory ModRM 62 is BOUND and C4/C5 LES/LDS; pop r/m is pop.
        assert_eq!(bad(&[0x62, 0x06]), "bound %eax,(%esi)");
        assert_eq!(bad(&[0xc4, 0x06]), "les (%esi),%eax");
        assert_eq!(bad(&[0xc5, 0x06]), "lds (%esi),%eax");
        assert_eq!(bad(&[0x8f, 0xc0]), "pop %eax");
        // Hex in lower case, as objdump and gdb write it.
        assert_eq!(
            disassemble(&[0xa3, 0x20, 0xe7, 0x04, 0x08], at),
            (5, "mov %eax,0x804e720".into())
        );
    }

    #[test]
    fn direct_branches_give_their_target() {
        let at = VirtAddr(0x0804_9000);
        // call rel32 to 0x08049010, jne rel8 back to 0x08049000.
        let (_, text, target) = disassemble_branch(&[0xe8, 0x0b, 0, 0, 0], at);
        assert_eq!(
            (text.as_str(), target),
            ("call 0x8049010", Some(VirtAddr(0x0804_9010)))
        );
        let (_, _, target) = disassemble_branch(&[0x75, 0xfe], at);
        assert_eq!(target, Some(at));
        // Indirect ones have none to name.
        assert_eq!(disassemble_branch(&[0xff, 0xd0], at).2, None);
        assert_eq!(disassemble_branch(&[0xc3], at).2, None);
    }
}
