//! From bytes to [`Op`]: iced-x86 decodes (32-bit mode), then each
//! instruction is reduced to one of our own handler kinds with its operands
//! resolved. Whatever is outside the implemented set becomes `Kind::Ud`
//! (#UD), and privileged instructions `Kind::Priv` (#GP) — never a panic.
//!
//! `operand` resolves iced's operands into ours; each instruction group has
//! its translation: `integer` (moves, arithmetic, shifts) and `control`
//! (branches, the stack, bit operations, atomics, strings, system).

mod control;
mod integer;
mod operand;
mod x87;

use super::op::{Kind, Op, SEG_WRITE};
use iced_x86::{
    Decoder, DecoderError, DecoderOptions, Instruction, InstructionInfoFactory, OpAccess, OpKind,
};

pub use crate::disasm::MAX_INSN;

/// The bytes given end before the instruction does (it crosses into the
/// next page): fetch more and decode again.
#[derive(Debug, PartialEq, Eq)]
pub struct NeedMore;

/// Decode the instruction at the start of `bytes`, which sits at `ip`.
pub fn decode(bytes: &[u8], ip: u32) -> Result<Op, NeedMore> {
    let mut d = Decoder::with_ip(32, bytes, ip as u64, DecoderOptions::NONE);
    let mut ins = Instruction::default();
    d.decode_out(&mut ins);
    match d.last_error() {
        DecoderError::None => Ok(translate(&ins).map_or_else(
            || ud(&ins, bytes),
            |op| wrap(&ins, super::fast::specialise(x87::with_opcode(op, bytes))),
        )),
        DecoderError::NoMoreBytes if bytes.len() < MAX_INSN => Err(NeedMore),
        _ => Ok(ud(&ins, bytes)),
    }
}

/// #UD, reporting as many bytes as the decoder looked at.
fn ud(ins: &Instruction, bytes: &[u8]) -> Op {
    let len = ins.len().clamp(1, bytes.len().clamp(1, MAX_INSN));
    Op::new(Kind::Ud, len as u8)
}

/// Give an op whose memory operand is 16-bit addressed, or goes through
/// FS or GS, its wrapper (address.rs), so that the 32-bit flat path of
/// every other instruction stays as it is. The segment check needs the
/// width of the access and whether it writes; iced knows both.
fn wrap(i: &Instruction, mut op: Op) -> Op {
    let has_mem = (0..i.op_count()).any(|n| i.op_kind(n) == OpKind::Memory);
    let addr16 = has_mem && operand::addr16(i);
    // Xlat handles both cases itself; lea has no segment, only an offset.
    let own =
        matches!(op.kind, Kind::Ud | Kind::Priv | Kind::Xlat) || (op.kind == Kind::Lea && !addr16);
    if !has_mem || own {
        return op;
    }
    if op.m.seg & 3 != 0 {
        match access(i) {
            Some((width, write)) => {
                op.m.scale |= (width.min(63) as u8) << 2;
                if write {
                    op.m.seg |= SEG_WRITE;
                }
            }
            // No access at all (a nop with a memory operand): no check.
            None if op.kind == Kind::Nop => op.m.seg = 0,
            None => {
                op.m.scale |= (i.memory_size().size().min(63) as u8) << 2;
                if op.writes_memory() {
                    op.m.seg |= SEG_WRITE;
                }
            }
        }
    }
    if !addr16 && op.m.seg & 3 == 0 {
        return op;
    }
    op.inner = op.kind;
    op.kind = if addr16 { Kind::Addr16 } else { Kind::SegCheck };
    op
}

/// The width of the explicit memory operand's access and whether it is
/// written (also when only maybe, as cmpxchg's); `None` if iced lists no
/// access to it.
fn access(i: &Instruction) -> Option<(u32, bool)> {
    let mut factory = InstructionInfoFactory::new();
    let info = factory.info(i);
    let m = info.used_memory().iter().find(|m| {
        m.segment() == i.memory_segment()
            && m.base() == i.memory_base()
            && m.index() == i.memory_index()
    })?;
    let write = match m.access() {
        OpAccess::Read | OpAccess::CondRead => false,
        OpAccess::NoMemAccess | OpAccess::None => return None,
        _ => true,
    };
    Some((m.memory_size().size() as u32, write))
}

/// Translate one decoded instruction; `None` means #UD.
fn translate(i: &Instruction) -> Option<Op> {
    if i.is_privileged() {
        return Some(Op::new(Kind::Priv, i.len() as u8));
    }
    integer::translate(i)
        .or_else(|| control::translate(i))
        .or_else(|| x87::translate(i))
}

#[cfg(test)]
mod tests {
    use super::super::op::Kind;
    use super::decode;
    use std::process::Command;

    /// The wrappers are chosen at decode time, with what the check needs.
    #[test]
    fn fs_gs_and_16_bit_operands_get_their_wrappers() {
        use super::super::op::{NOREG, SEG_WRITE};
        // mov %gs:0x14, %eax: a checked 4-byte read of the fast kind.
        let op = decode(&[0x65, 0xa1, 0x14, 0, 0, 0], 0).unwrap();
        assert_eq!((op.kind, op.inner), (Kind::SegCheck, Kind::Mov32RM));
        assert_eq!((op.m.seg, op.m.width()), (2, 4));
        // cmpxchg8b %fs:(%esi): 8 bytes, written (even if only maybe).
        let op = decode(&[0x64, 0x0f, 0xc7, 0x0e], 0).unwrap();
        assert_eq!((op.m.seg, op.m.width()), (1 | SEG_WRITE, 8));
        // nopl %fs:(%eax) touches nothing; lea ignores the segment.
        assert_eq!(
            decode(&[0x64, 0x0f, 0x1f, 0x00], 0).unwrap().kind,
            Kind::Nop
        );
        assert_eq!(decode(&[0x64, 0x8d, 0x00], 0).unwrap().kind, Kind::Lea32);
        // mov -2(%bp), %eax and lea (%bx,%si), %eax: 16-bit addressing.
        let op = decode(&[0x67, 0x8b, 0x46, 0xfe], 0).unwrap();
        assert_eq!((op.kind, op.inner), (Kind::Addr16, Kind::Mov32RM));
        assert_eq!(
            (op.m.base, op.m.index, op.m.disp & 0xffff),
            (5, NOREG, 0xfffe)
        );
        let op = decode(&[0x67, 0x8d, 0x00], 0).unwrap();
        assert_eq!(
            (op.kind, op.inner, op.m.base, op.m.index),
            (Kind::Addr16, Kind::Lea32, 3, 6)
        );
        // Plain 32-bit operands stay as they were.
        let op = decode(&[0x8b, 0x46, 0xfe], 0).unwrap();
        assert_eq!((op.kind, op.inner), (Kind::Mov32RM, Kind::Nop));
    }

    /// Every form gcc emits for integer code (and the inline-asm ones the
    /// tests use) decodes to something other than #UD. Assembled by GNU as.
    #[test]
    fn compiled_code_forms_all_decode() {
        let mut src = String::from(".code32\n");
        let r = ["%al", "%ax", "%eax"];
        let sfx = ["b", "w", "l"];
        for (i, reg) in r.iter().enumerate() {
            let s = sfx[i];
            for op in [
                "add", "or", "adc", "sbb", "and", "sub", "xor", "cmp", "test", "mov",
            ] {
                src += &format!("{op}{s} {reg}, {reg}\n{op}{s} 4(%ebx,%esi,4), {reg}\n");
                src += &format!(
                    "{op}{s} {reg}, 0x1234\n{op}{s} $0x12, {reg}\n{op}{s} $0x12, 8(%ebp)\n"
                );
            }
            for op in ["inc", "dec", "not", "neg", "mul", "imul", "div", "idiv"] {
                src += &format!("{op}{s} {reg}\n{op}{s} (%ecx)\n");
            }
            for op in ["rol", "ror", "rcl", "rcr", "shl", "shr", "sar"] {
                src += &format!("{op}{s} {reg}\n{op}{s} $3, {reg}\n{op}{s} %cl, (%edx)\n");
            }
            src += &format!("xchg{s} {reg}, (%esi)\nlock cmpxchg{s} {reg}, (%edi)\nlock xadd{s} {reg}, (%edi)\n");
            src += &format!(
                "movs{s}\nrep stos{s}\nlods{s}\nrepe cmps{s}\nrepne scas{s}\nrep movs{s}\n"
            );
        }
        src += "movzbl %al, %ecx\nmovzwl (%eax), %ecx\nmovsbl 1(%eax), %ecx\nmovswl %ax, %ecx\nmovsbw %al, %cx\n";
        src +=
            "imul %ecx, %edx\nimul $7, %ecx, %edx\nimul $1000, (%eax), %edx\nimulw $7, %cx, %dx\n";
        src += "shld $3, %eax, %edx\nshrd %cl, %eax, (%edx)\nshldw %cl, %ax, %dx\n";
        src += "sete %al\nsetg (%eax)\ncmovne %eax, %ecx\ncmovlw (%eax), %cx\n";
        src += "bt %eax, %ecx\nbts $5, (%eax)\nlock btr %ecx, (%eax)\nbtcw %ax, %cx\n";
        src += "bsf %eax, %ecx\nbsr (%eax), %ecx\ntzcnt %eax, %ecx\nbswap %esi\ncmpxchg8b (%esi)\n";
        src +=
            "push %eax\npushl (%eax)\npush $5\npush $0x12345\npushw $1\npop %ecx\npopl 4(%esp)\n";
        src += "pushf\npopf\npusha\npopa\nlahf\nsahf\nleave\nenter $16, $0\nret\nret $8\n";
        src +=
            "call *%eax\ncall *(%eax)\njmp *%ecx\njmp *0x10(,%eax,4)\njecxz .\nloop .\nloopne .\n";
        src += "ja .\njle .+0x1000\ncld\nstd\nclc\nstc\ncmc\nnop\nnopw 0(%eax,%eax,1)\n";
        src += "nopl 0x100(%eax)\nxchg %ax, %ax\npause\nendbr32\nint3\nint $0x80\ncpuid\nrdtsc\n";
        src += "cbtw\ncwtl\ncwtd\ncltd\nxlat\nmov %gs:0x14, %eax\nmov %eax, %fs:(%ecx)\nmov %ds, %ax\n";
        src += "mov %ax, %es\nmov 0x8049000, %al\nmov %eax, 0x8049000\nlock incl (%eax)\nlock orl $0, (%esp)\n";
        // BCD, segment registers, far transfers, 16-bit addressing and the
        // 16-bit operand-size stack and branch forms.
        src += "daa\ndas\naaa\naas\naam\naad\naam $16\naad $7\n";
        src += "push %cs\npush %ds\npush %es\npush %ss\npush %fs\npush %gs\npushw %ds\npop %ds\n";
        src += "pop %es\npop %ss\npop %fs\npop %gs\npopw %gs\nmov %eax, %fs\nmov (%eax), %gs\n";
        src += "mov %ss, (%ecx)\nlfs (%eax), %ecx\nlgs (%eax), %cx\nlds (%eax), %ecx\nles (%eax), %ecx\n";
        src += "lss (%eax), %ecx\nlar %eax, %ecx\nlsl (%eax), %ecx\nverr %ax\nverw (%eax)\narpl %ax, %cx\n";
        src +=
            "ljmp $0x73, $0\nlcall $0x73, $0\nljmp *(%eax)\nlcall *(%eax)\nlret\nlret $8\niret\n";
        src += "iretw\nmov (%bx,%si), %ax\nmov %eax, 4(%bp,%di)\naddl $1, -2(%bp)\nlea (%bx,%di), %eax\n";
        src += "leaw 0x10(%si), %ax\nmovsb (%si), %es:(%di)\nrep stosl %eax, %es:(%di)\nlodsw %fs:(%si)\n";
        src += "loopw .\njcxz .\nxlat (%bx)\npushaw\npopaw\npushfw\npopfw\nenterw $4, $0\nleavew\n";
        src += "retw\nretw $4\ncallw *%ax\njmpw *%ax\nmov %gs:(%bx), %eax\n";
        // x87, as gcc and the libcs emit it.
        src +=
            "flds (%eax)\nfldl 8(%ebp)\nfldt (%esp)\nfildl (%eax)\nfildll (%eax)\nfilds (%eax)\n";
        src += "fstps (%eax)\nfstpl (%eax)\nfstpt (%eax)\nfistpl (%eax)\nfistpll (%eax)\nfists (%eax)\n";
        src +=
            "fld %st(1)\nfstp %st(0)\nfst %st(2)\nfxch %st(1)\nfld1\nfldz\nfldpi\nfldl2e\nfldln2\n";
        src += "faddl (%eax)\nfmuls (%eax)\nfsubrl (%eax)\nfdivl (%eax)\nfiaddl (%eax)\nfidivrs (%eax)\n";
        src += "faddp %st, %st(1)\nfmul %st(2), %st\nfsubp %st, %st(1)\nfdivrp %st, %st(1)\nfchs\nfabs\n";
        src +=
            "fsqrt\nfrndint\nfscale\nfprem\nfprem1\nfxtract\nfsin\nfcos\nfsincos\nfptan\nfpatan\n";
        src += "f2xm1\nfyl2x\nfyl2xp1\nfucomip %st(1), %st\nfcomi %st(1), %st\nfucompp\nfcompl (%eax)\n";
        src += "ficoml (%eax)\nftst\nfxam\nfcmovne %st(1), %st\nfcmovbe %st(2), %st\nfnstsw %ax\n";
        src += "fnstcw (%eax)\nfldcw (%eax)\nfninit\nfnclex\nfnstenv (%eax)\nfldenv (%eax)\n";
        src +=
            "fnsave (%eax)\nfrstor (%eax)\nfwait\nfstcw (%eax)\nffree %st(3)\nfincstp\nfdecstp\n";
        let dir = std::env::temp_dir().join(format!("toyemu-decode-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let (s, o, bin) = (dir.join("f.s"), dir.join("f.o"), dir.join("f.bin"));
        std::fs::write(&s, src).unwrap();
        let run = |cmd: &mut Command| {
            let r = cmd
                .output()
                .unwrap_or_else(|e| panic!("this test needs GNU binutils: {e}"));
            assert!(r.status.success(), "{}", String::from_utf8_lossy(&r.stderr));
        };
        run(Command::new("as").arg("--32").arg("-o").arg(&o).arg(&s));
        run(Command::new("objcopy")
            .args(["-O", "binary", "-j", ".text"])
            .arg(&o)
            .arg(&bin));
        let code = std::fs::read(&bin).unwrap();
        let _ = std::fs::remove_dir_all(&dir);
        let mut at = 0;
        let mut n = 0;
        while at < code.len() {
            let end = (at + 15).min(code.len());
            let op = decode(&code[at..end], at as u32).unwrap();
            assert_ne!(
                op.kind,
                Kind::Ud,
                "#UD for {:02x?}",
                &code[at..at + op.len as usize]
            );
            at += op.len as usize;
            n += 1;
        }
        assert!(n > 320, "only {n} instructions");
    }
}
