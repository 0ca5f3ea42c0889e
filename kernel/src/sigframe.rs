//! The i386 signal frames, byte for byte: `struct sigcontext`, `siginfo_t`,
//! `stack_t`, `struct ucontext`, and the two frames a handler runs on
//! (arch/x86/include/asm/sigframe.h, arch/x86/include/uapi/asm/sigcontext.h),
//! with where Linux puts them on the stack (`get_sigframe`).
//!
//! ```text
//! struct rt_sigframe (SA_SIGINFO), 268 bytes:     struct sigframe, 732 bytes:
//!     0  pretcode   (the handler's return address)    0  pretcode
//!     4  sig                                           4  sig
//!     8  pinfo      -> info                            8  sc (struct sigcontext, 88)
//!    12  puc        -> uc                             96  fpstate_unused (624)
//!    16  info       (siginfo_t, 128)                 720  extramask (the mask's high word)
//!   144  uc         (struct ucontext, 116)           724  retcode (8)
//!        144 uc_flags  148 uc_link
//!        152 uc_stack (ss_sp, ss_flags, ss_size)
//!        164 uc_mcontext (struct sigcontext, 88)
//!        252 uc_sigmask (8)
//!   260  retcode    (8)
//! ```
//!
//! The x87 state (`fpstate`) goes above the frame, 64-byte aligned, as
//! `fpu__alloc_mathframe` places it: on this CPU (no FXSR) it is the
//! 112-byte `struct _fpstate_32` header, the `fnsave` image followed by
//! `status` and `magic` 0xffff ("plain x87 state only"), pointed at by
//! `sigcontext.fpstate` and reloaded by sigreturn.

use crate::signal::{SigFields, SigInfo, SigSet};

pub const SIGCONTEXT_SIZE: u32 = 88;
pub const SIGINFO_SIZE: u32 = 128;
pub const STACK_T_SIZE: u32 = 12;
pub const UCONTEXT_SIZE: u32 = 116;
/// `struct _fpstate_32`: kept unused inside the old frame so `extramask`
/// stays where old programs look for it.
pub const FPSTATE_UNUSED_SIZE: u32 = 624;
pub const RT_SIGFRAME_SIZE: u32 = 268;
pub const SIGFRAME_SIZE: u32 = 732;
/// Bytes of FPU state saved above a frame: `struct _fpstate_32` up to
/// `magic` (the `fnsave` image, then `status` and `magic`).
pub const MATH_FRAME_SIZE: u32 = 112;
/// `_fpstate_32.magic` when the frame holds only the `fnsave` state.
pub const X86_FPSTATE_MAGIC_FSAVE: u16 = 0xffff;

/// The `fpstate` a frame carries for an `fnsave` image: Linux copies the
/// status word into `status` and marks the state as plain x87.
pub fn fpstate_bytes(image: &[u8; toyemu_emulator::cpu::x87::SAVE_IMAGE_SIZE]) -> Vec<u8> {
    let mut b = image.to_vec();
    b.extend_from_slice(&image[4..6]);
    b.extend_from_slice(&X86_FPSTATE_MAGIC_FSAVE.to_le_bytes());
    b
}

/// Offsets in `struct sigcontext`.
pub mod sc {
    pub const GS: usize = 0;
    pub const FS: usize = 4;
    pub const ES: usize = 8;
    pub const DS: usize = 12;
    pub const EDI: usize = 16;
    pub const ESI: usize = 20;
    pub const EBP: usize = 24;
    pub const ESP: usize = 28;
    pub const EBX: usize = 32;
    pub const EDX: usize = 36;
    pub const ECX: usize = 40;
    pub const EAX: usize = 44;
    pub const TRAPNO: usize = 48;
    pub const ERR: usize = 52;
    pub const EIP: usize = 56;
    pub const CS: usize = 60;
    pub const EFLAGS: usize = 64;
    pub const ESP_AT_SIGNAL: usize = 68;
    pub const SS: usize = 72;
    pub const FPSTATE: usize = 76;
    pub const OLDMASK: usize = 80;
    pub const CR2: usize = 84;
}

/// Offsets in `struct rt_sigframe`.
pub mod rt {
    pub const PRETCODE: usize = 0;
    pub const SIG: usize = 4;
    pub const PINFO: usize = 8;
    pub const PUC: usize = 12;
    pub const INFO: usize = 16;
    pub const UC: usize = 144;
    pub const UC_FLAGS: usize = UC;
    pub const UC_LINK: usize = UC + 4;
    pub const UC_STACK: usize = UC + 8;
    pub const UC_MCONTEXT: usize = UC + 20;
    pub const UC_SIGMASK: usize = UC + 108;
    pub const RETCODE: usize = 260;
}

/// Offsets in the old `struct sigframe`.
pub mod old {
    pub const PRETCODE: usize = 0;
    pub const SIG: usize = 4;
    pub const SC: usize = 8;
    pub const FPSTATE_UNUSED: usize = 96;
    pub const EXTRAMASK: usize = 720;
    pub const RETCODE: usize = 724;
}

/// `popl %eax; movl $__NR_sigreturn, %eax; int $0x80`: what Linux writes in
/// the old frame's retcode (gdb recognises frames by it).
pub const RETCODE: [u8; 8] = [0x58, 0xb8, 119, 0, 0, 0, 0xcd, 0x80];
/// `movl $__NR_rt_sigreturn, %eax; int $0x80`, and a pad byte.
pub const RT_RETCODE: [u8; 8] = [0xb8, 173, 0, 0, 0, 0xcd, 0x80, 0];

/// The registers saved for a handler and put back by sigreturn.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct SigContext {
    pub gs: u32,
    pub fs: u32,
    pub es: u32,
    pub ds: u32,
    pub edi: u32,
    pub esi: u32,
    pub ebp: u32,
    pub esp: u32,
    pub ebx: u32,
    pub edx: u32,
    pub ecx: u32,
    pub eax: u32,
    pub trapno: u32,
    pub err: u32,
    pub eip: u32,
    pub cs: u32,
    pub eflags: u32,
    pub esp_at_signal: u32,
    pub ss: u32,
    pub fpstate: u32,
    pub oldmask: u32,
    pub cr2: u32,
}

fn put(b: &mut [u8], at: usize, v: u32) {
    b[at..at + 4].copy_from_slice(&v.to_le_bytes());
}

fn get(b: &[u8], at: usize) -> u32 {
    u32::from_le_bytes([b[at], b[at + 1], b[at + 2], b[at + 3]])
}

impl SigContext {
    pub fn to_bytes(&self) -> [u8; SIGCONTEXT_SIZE as usize] {
        let mut b = [0u8; SIGCONTEXT_SIZE as usize];
        for (at, v) in self.fields() {
            put(&mut b, at, v);
        }
        b
    }

    /// The sigcontext in the first 88 bytes of `b`.
    pub fn from_bytes(b: &[u8]) -> SigContext {
        let w = |at| get(b, at);
        SigContext {
            gs: w(sc::GS),
            fs: w(sc::FS),
            es: w(sc::ES),
            ds: w(sc::DS),
            edi: w(sc::EDI),
            esi: w(sc::ESI),
            ebp: w(sc::EBP),
            esp: w(sc::ESP),
            ebx: w(sc::EBX),
            edx: w(sc::EDX),
            ecx: w(sc::ECX),
            eax: w(sc::EAX),
            trapno: w(sc::TRAPNO),
            err: w(sc::ERR),
            eip: w(sc::EIP),
            cs: w(sc::CS),
            eflags: w(sc::EFLAGS),
            esp_at_signal: w(sc::ESP_AT_SIGNAL),
            ss: w(sc::SS),
            fpstate: w(sc::FPSTATE),
            oldmask: w(sc::OLDMASK),
            cr2: w(sc::CR2),
        }
    }

    fn fields(&self) -> [(usize, u32); 22] {
        [
            (sc::GS, self.gs),
            (sc::FS, self.fs),
            (sc::ES, self.es),
            (sc::DS, self.ds),
            (sc::EDI, self.edi),
            (sc::ESI, self.esi),
            (sc::EBP, self.ebp),
            (sc::ESP, self.esp),
            (sc::EBX, self.ebx),
            (sc::EDX, self.edx),
            (sc::ECX, self.ecx),
            (sc::EAX, self.eax),
            (sc::TRAPNO, self.trapno),
            (sc::ERR, self.err),
            (sc::EIP, self.eip),
            (sc::CS, self.cs),
            (sc::EFLAGS, self.eflags),
            (sc::ESP_AT_SIGNAL, self.esp_at_signal),
            (sc::SS, self.ss),
            (sc::FPSTATE, self.fpstate),
            (sc::OLDMASK, self.oldmask),
            (sc::CR2, self.cr2),
        ]
    }
}

/// `siginfo_t` as i386 lays it out: signo, errno, code, then the union
/// (si_pid and si_uid for kill; si_addr for faults), zero to 128 bytes.
pub fn siginfo_bytes(info: &SigInfo) -> [u8; SIGINFO_SIZE as usize] {
    let mut b = [0u8; SIGINFO_SIZE as usize];
    put(&mut b, 0, info.signo.0);
    put(&mut b, 4, info.errno as u32);
    put(&mut b, 8, info.code as u32);
    match info.fields {
        SigFields::None => {}
        SigFields::Kill { pid, uid } => {
            put(&mut b, 12, pid);
            put(&mut b, 16, uid);
        }
        SigFields::Fault { addr } => put(&mut b, 12, addr.0),
        // si_pid, si_uid, si_status; si_utime and si_stime stay zero.
        SigFields::Child { pid, uid, status } => {
            put(&mut b, 12, pid);
            put(&mut b, 16, uid);
            put(&mut b, 20, status as u32);
        }
    }
    b
}

/// `stack_t`: ss_sp, ss_flags, ss_size.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct StackT {
    pub sp: u32,
    pub flags: u32,
    pub size: u32,
}

impl StackT {
    pub fn to_bytes(self) -> [u8; STACK_T_SIZE as usize] {
        let mut b = [0u8; STACK_T_SIZE as usize];
        put(&mut b, 0, self.sp);
        put(&mut b, 4, self.flags);
        put(&mut b, 8, self.size);
        b
    }
    pub fn from_bytes(b: &[u8]) -> StackT {
        StackT {
            sp: get(b, 0),
            flags: get(b, 4),
            size: get(b, 8),
        }
    }
}

/// Where a frame of `frame_size` bytes goes when the stack pointer is `sp`:
/// below `math_size` bytes of FPU state (rounded down to 64), then aligned
/// as the i386 ABI wants a function entered: `(frame + 4) % 16 == 0`, so
/// that after the handler's `ret`-address slot the stack is 16-aligned.
/// Returns (frame, fpstate). Wraps like the kernel's unsigned arithmetic;
/// an address that wrapped is simply not in user space.
pub fn place(sp: u32, frame_size: u32, math_size: u32) -> (u32, u32) {
    let fpstate = sp.wrapping_sub(math_size) & !63;
    let frame = (fpstate.wrapping_sub(frame_size).wrapping_add(4) & !15).wrapping_sub(4);
    (frame, fpstate)
}

/// The parts of an rt frame that differ per delivery.
pub struct RtFrame<'a> {
    pub frame: u32,
    pub sig: u32,
    pub pretcode: u32,
    pub info: &'a SigInfo,
    /// `uc_flags`: 0 on a CPU without XSAVE, as this one is.
    pub uc_flags: u32,
    pub stack: StackT,
    pub sc: SigContext,
    pub mask: SigSet,
}

impl RtFrame<'_> {
    /// The 268 bytes of `struct rt_sigframe`.
    pub fn to_bytes(&self) -> Vec<u8> {
        let mut b = vec![0u8; RT_SIGFRAME_SIZE as usize];
        put(&mut b, rt::PRETCODE, self.pretcode);
        put(&mut b, rt::SIG, self.sig);
        put(&mut b, rt::PINFO, self.frame.wrapping_add(rt::INFO as u32));
        put(&mut b, rt::PUC, self.frame.wrapping_add(rt::UC as u32));
        b[rt::INFO..rt::INFO + SIGINFO_SIZE as usize].copy_from_slice(&siginfo_bytes(self.info));
        put(&mut b, rt::UC_FLAGS, self.uc_flags);
        put(&mut b, rt::UC_LINK, 0);
        b[rt::UC_STACK..rt::UC_STACK + STACK_T_SIZE as usize]
            .copy_from_slice(&self.stack.to_bytes());
        b[rt::UC_MCONTEXT..rt::UC_MCONTEXT + SIGCONTEXT_SIZE as usize]
            .copy_from_slice(&self.sc.to_bytes());
        b[rt::UC_SIGMASK..rt::UC_SIGMASK + 8].copy_from_slice(&self.mask.to_bytes());
        b[rt::RETCODE..rt::RETCODE + 8].copy_from_slice(&RT_RETCODE);
        b
    }
}

/// The 732 bytes of the old `struct sigframe` (handlers without SA_SIGINFO):
/// the mask's low word is `sc.oldmask`, its high word `extramask`.
pub fn old_frame_bytes(sig: u32, pretcode: u32, sc: &SigContext, mask: SigSet) -> Vec<u8> {
    let mut b = vec![0u8; SIGFRAME_SIZE as usize];
    put(&mut b, old::PRETCODE, pretcode);
    put(&mut b, old::SIG, sig);
    let sc = SigContext {
        oldmask: mask.words()[0],
        ..*sc
    };
    b[old::SC..old::SC + SIGCONTEXT_SIZE as usize].copy_from_slice(&sc.to_bytes());
    put(&mut b, old::EXTRAMASK, mask.words()[1]);
    b[old::RETCODE..old::RETCODE + 8].copy_from_slice(&RETCODE);
    b
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::signal::{code, SIGSEGV};
    use toyemu_emulator::VirtAddr;

    #[test]
    fn sizes_add_up() {
        assert_eq!(UCONTEXT_SIZE, 4 + 4 + STACK_T_SIZE + SIGCONTEXT_SIZE + 8);
        assert_eq!(rt::RETCODE as u32 + 8, RT_SIGFRAME_SIZE);
        assert_eq!(rt::UC as u32 + UCONTEXT_SIZE, rt::RETCODE as u32);
        assert_eq!(
            old::FPSTATE_UNUSED as u32 + FPSTATE_UNUSED_SIZE,
            old::EXTRAMASK as u32
        );
        assert_eq!(old::RETCODE as u32 + 8, SIGFRAME_SIZE);
    }

    #[test]
    fn frames_are_placed_for_an_aligned_function_entry() {
        for sp in [0xbfff_f000u32, 0xbfff_effc, 0xbfff_eff1, 0x1000_2000] {
            for size in [RT_SIGFRAME_SIZE, SIGFRAME_SIZE] {
                let (frame, fp) = place(sp, size, MATH_FRAME_SIZE);
                assert_eq!((frame + 4) % 16, 0);
                assert!(frame + size <= fp && fp + MATH_FRAME_SIZE <= sp);
                assert!(fp - (frame + size) < 16 + 64);
            }
        }
    }

    #[test]
    fn sigcontext_round_trips() {
        let sc = SigContext {
            eip: 0x0804_9000,
            eflags: 0x246,
            cr2: 0x1234,
            ..SigContext::default()
        };
        let b = sc.to_bytes();
        assert_eq!(&b[sc::EIP..sc::EIP + 4], &0x0804_9000u32.to_le_bytes());
        assert_eq!(SigContext::from_bytes(&b), sc);
    }

    #[test]
    fn siginfo_layout() {
        let info = SigInfo {
            signo: SIGSEGV,
            errno: 0,
            code: code::SEGV_MAPERR,
            fields: SigFields::Fault {
                addr: VirtAddr(0xdead_beef),
            },
        };
        let b = siginfo_bytes(&info);
        assert_eq!(
            &b[0..16],
            &[11, 0, 0, 0, 0, 0, 0, 0, 1, 0, 0, 0, 0xef, 0xbe, 0xad, 0xde]
        );
        assert!(b[16..].iter().all(|&x| x == 0));
    }
}
