//! Signals from the kernel's side: the frames word by word, the registers
//! a handler starts with and sigreturn puts back, and the rules a native
//! run cannot show (kill to the process group or to -1, pause with nothing
//! to wake it, SIGSTOP without job control, frames that cannot be written,
//! garbage given to sigreturn) — each with every frame back at exit.

mod common;

use common::*;
use toyemu_emulator::cpu::x87::{Fpu, F80};
use toyemu_emulator::{Reg, VirtAddr};
use toyemu_kernel::layout::{STACK_LIMIT, STACK_TOP, UID};
use toyemu_kernel::sigframe::{self, old, rt, RETCODE, RT_RETCODE};
use toyemu_kernel::signal::{SIGKILL, SIGSEGV, SIGUSR1};
use toyemu_kernel::trace::SignalAction;
use toyemu_kernel::{invariants, Death, Ending, EventKind, ExitStatus, Kernel, Process};

const NR_KILL: u32 = 37;
const NR_PAUSE: u32 = 29;
const NR_SIGRETURN: u32 = 119;
const NR_RT_SIGRETURN: u32 = 173;
const NR_RT_SIGACTION: u32 = 174;
const NR_RT_SIGPROCMASK: u32 = 175;
const NR_RT_SIGSUSPEND: u32 = 179;
const NR_SIGALTSTACK: u32 = 186;
const NR_TKILL: u32 = 238;
const ESRCH: u32 = -3i32 as u32;
const EINTR: u32 = -4i32 as u32;

const SA_SIGINFO: u32 = 4;
const SA_RESTORER: u32 = 0x0400_0000;
const SA_ONSTACK: u32 = 0x0800_0000;
/// The one process of a fresh kernel.
const PID: u32 = 1;
const USR1: u32 = 10;
const USR2: u32 = 12;

/// Where the tests keep their structures: the data segment.
const ACT: u32 = DATA + 0x100;
const SET: u32 = DATA + 0x200;
const ALT: u32 = DATA + 0x1000;
const HANDLER: u32 = TEXT + 0x200;
const RESTORER: u32 = TEXT + 0x300;
const CODE: u32 = TEXT + 0x400;

fn start(k: &mut Kernel) -> Process {
    let mut p = k.exec(image(), &[b"signals".to_vec()], &[]).expect("spawn");
    assert_eq!(p.pid(), PID);
    // The handler is an endless loop (jmp .), so running it changes nothing.
    k.poke_user(&mut p, HANDLER, &[0xeb, 0xfe]).unwrap();
    p
}

fn sys(k: &mut Kernel, p: &mut Process, nr: u32, args: [u32; 6]) -> u32 {
    let r = k.syscall_direct(p, nr, args).expect("the process lives on");
    invariants::check(k, p).unwrap_or_else(|e| panic!("after syscall {nr} {args:x?}: {e}"));
    r
}

fn put_words(k: &mut Kernel, p: &mut Process, at: u32, words: &[u32]) {
    let b: Vec<u8> = words.iter().flat_map(|w| w.to_le_bytes()).collect();
    k.copy_to_user(p, at, &b).unwrap();
}

fn words(k: &Kernel, p: &Process, at: u32, n: u32) -> Vec<u32> {
    let b = k.peek_user_bytes(p, at, 4 * n).expect("readable");
    b.chunks(4)
        .map(|c| u32::from_le_bytes([c[0], c[1], c[2], c[3]]))
        .collect()
}

/// rt_sigaction(sig, {handler, flags, restorer, mask}).
fn action(k: &mut Kernel, p: &mut Process, sig: u32, handler: u32, flags: u32, mask: u64) {
    put_words(
        k,
        p,
        ACT,
        &[handler, flags, RESTORER, mask as u32, (mask >> 32) as u32],
    );
    assert_eq!(sys(k, p, NR_RT_SIGACTION, [sig, ACT, 0, 8, 0, 0]), 0);
}

/// Registers with values that show where each one went.
fn known_registers(k: &mut Kernel, esp: u32) {
    let cpu = k.cpu_mut();
    for (r, v) in [
        (Reg::Ebx, 0x1111_1111),
        (Reg::Esi, 0x2222_2222),
        (Reg::Edi, 0x3333_3333),
        (Reg::Ebp, 0x4444_4444),
        (Reg::Esp, esp),
    ] {
        cpu.set_reg(r, v);
    }
    cpu.set_eip(VirtAddr(CODE));
    cpu.set_eflags(0x202 | 0x400 | 0x1); // DF and CF set
}

fn reg(k: &Kernel, r: Reg) -> u32 {
    k.machine().cpu().reg(r)
}

fn exit(k: &mut Kernel, p: &mut Process) -> ExitStatus {
    let s = match k.syscall_direct(p, NR_EXIT_GROUP, [0; 6]) {
        Err(s) => s,
        Ok(_) => panic!("exit_group returned"),
    };
    assert_eq!(p.exit_record().unwrap().ledger.outstanding(), 0);
    s
}

/// A kernel and a process, and the free-frame count before it started.
fn setup() -> (Kernel, Process, u32) {
    let mut k = kernel(8 << 20);
    let free = k.frames().free_frames();
    let p = start(&mut k);
    (k, p, free)
}

fn all_back(k: &Kernel, free: u32) {
    assert_eq!(k.frames().free_frames(), free, "every frame is back");
}

#[test]
fn the_rt_frame_word_by_word() {
    let (mut k, mut p, free) = setup();
    let mask_usr2 = 1u64 << (USR2 - 1);
    action(
        &mut k,
        &mut p,
        USR1,
        HANDLER,
        SA_SIGINFO | SA_RESTORER,
        mask_usr2,
    );
    let sp = STACK_TOP.0 - 0x1234;
    known_registers(&mut k, sp);
    // Some x87 state the handler must not see and sigreturn must bring back.
    let fpu = k.cpu_mut().fpu_mut();
    fpu.cw = 0x0e7f;
    fpu.push(F80::ONE);
    let before = fpu.clone();
    assert_eq!(sys(&mut k, &mut p, NR_KILL, [PID, USR1, 0, 0, 0, 0]), 0);

    // get_sigframe: the 112-byte FPU area 64-aligned below the stack
    // pointer, then the frame below it, aligned for a function entry.
    let fpstate = (sp - 112) & !63;
    let frame = (((fpstate - 268) + 4) & !15) - 4;
    assert_eq!(sigframe::place(sp, 268, 112), (frame, fpstate));
    assert_eq!((frame + 4) % 16, 0);
    assert_eq!(reg(&k, Reg::Esp), frame);
    assert_eq!(k.machine().cpu().eip().0, HANDLER);
    assert_eq!(reg(&k, Reg::Eax), USR1);
    assert_eq!(reg(&k, Reg::Edx), frame + 16, "regparm: &info");
    assert_eq!(reg(&k, Reg::Ecx), frame + 144, "regparm: &uc");
    assert_eq!(
        k.machine().cpu().eflags() & 0x400,
        0,
        "DF clear in the handler"
    );

    let w = words(&k, &p, frame, 268 / 4);
    assert_eq!(w[0], RESTORER, "pretcode: SA_RESTORER's restorer");
    assert_eq!(w[1], USR1, "sig");
    assert_eq!(w[2], frame + rt::INFO as u32, "pinfo");
    assert_eq!(w[3], frame + rt::UC as u32, "puc");
    // siginfo: SI_USER from ourselves.
    assert_eq!(&w[4..9], &[USR1, 0, 0, p.pid(), UID]);
    assert!(
        w[9..36].iter().all(|&x| x == 0),
        "the rest of siginfo is zero"
    );
    // ucontext: flags 0 (no XSAVE), no link, no alternate stack.
    assert_eq!(&w[36..41], &[0, 0, 0, 0, 0]);
    let sc = &w[41..63];
    assert_eq!(&sc[0..4], &[0, 0, 0x7b, 0x7b], "gs fs es ds");
    // syscall_direct put kill's arguments in EBX ECX (EDX..EBP zero), as
    // the program's int $0x80 would have; EAX is kill's return value.
    assert_eq!(
        &sc[4..12],
        &[0, 0, 0, sp, PID, 0, USR1, 0],
        "edi esi ebp esp ebx edx ecx eax"
    );
    assert_eq!(&sc[12..14], &[0, 0], "trapno err: no fault yet");
    assert_eq!(sc[14], CODE, "eip");
    assert_eq!(sc[15], 0x73, "cs");
    assert_eq!(sc[16], 0x603, "eflags as they were: IF DF CF, bit 1");
    assert_eq!(
        &sc[17..22],
        &[sp, 0x7b, fpstate, 0, 0],
        "esp_at_signal ss fpstate oldmask cr2"
    );
    // fpstate: the fnsave image (control word first, high halves ones,
    // ST(0) at byte 28), the status word again and magic 0xffff.
    let fp = words(&k, &p, fpstate, 112 / 4);
    assert_eq!(fp[0], 0xffff_0e7f, "cw");
    assert_eq!(fp[1] & 0x3800, 7 << 11, "TOP 7 after one push");
    assert_eq!(fp[2], 0xffff_3fff, "tag: only ST(0) valid");
    let st0 = k.peek_user_bytes(&p, fpstate + 28, 10).unwrap();
    assert_eq!(st0, F80::ONE.to_bytes());
    assert_eq!(fp[27], 0xffff_0000 | (fp[1] & 0xffff), "status, magic");
    assert_eq!(
        *k.machine().cpu().fpu(),
        Fpu::new(),
        "a fresh FPU for the handler"
    );
    assert_eq!(&w[63..65], &[0, 0], "uc_sigmask: the mask before");
    let retcode = k
        .peek_user_bytes(&p, frame + rt::RETCODE as u32, 8)
        .unwrap();
    assert_eq!(retcode, RT_RETCODE);
    assert_eq!(retcode, [0xb8, 0xad, 0, 0, 0, 0xcd, 0x80, 0]);
    assert_eq!(
        p.signals().blocked().0,
        (1 << (USR1 - 1)) | mask_usr2,
        "the handler runs with sa_mask and its own signal blocked"
    );

    // The handler returns: `ret` pops pretcode, the restorer calls rt_sigreturn.
    k.cpu_mut().set_reg(Reg::Esp, frame + 4);
    k.cpu_mut().set_reg(Reg::Ebx, 0xdead);
    k.cpu_mut().fpu_mut().cw = 0x0c7f;
    assert_eq!(sys(&mut k, &mut p, NR_RT_SIGRETURN, [0; 6]), 0);
    assert_eq!(*k.machine().cpu().fpu(), before, "the x87 state back");
    assert_eq!(reg(&k, Reg::Esp), sp);
    assert_eq!(reg(&k, Reg::Ebx), PID);
    assert_eq!(reg(&k, Reg::Ecx), USR1);
    assert_eq!(k.machine().cpu().eip().0, CODE);
    assert_eq!(k.machine().cpu().eflags() & 0x401, 0x401, "DF and CF back");
    assert!(p.signals().blocked().is_empty());
    exit(&mut k, &mut p);
    all_back(&k, free);
}

#[test]
fn the_old_frame_word_by_word_and_the_retcode_without_sa_restorer() {
    let (mut k, mut p, free) = setup();
    action(&mut k, &mut p, USR1, HANDLER, 0, 0);
    // A mask with a high word, to see extramask.
    put_words(&mut k, &mut p, SET, &[1 << (USR2 - 1), 1 << 3]);
    assert_eq!(
        sys(&mut k, &mut p, NR_RT_SIGPROCMASK, [0, SET, 0, 8, 0, 0]),
        0
    );
    let sp = STACK_TOP.0 - 0x2000;
    known_registers(&mut k, sp);
    assert_eq!(sys(&mut k, &mut p, NR_TKILL, [PID, USR1, 0, 0, 0, 0]), 0);
    let frame = (((((sp - 112) & !63) - 732) + 4) & !15) - 4;
    assert_eq!(reg(&k, Reg::Esp), frame);
    assert_eq!(
        (reg(&k, Reg::Eax), reg(&k, Reg::Edx), reg(&k, Reg::Ecx)),
        (USR1, 0, 0)
    );
    let w = words(&k, &p, frame, 732 / 4);
    assert_eq!(
        w[0],
        frame + old::RETCODE as u32,
        "no SA_RESTORER, no vDSO: the frame's own retcode"
    );
    assert_eq!(w[1], USR1);
    let sc = &w[2..24];
    assert_eq!(sc[14], CODE);
    assert_eq!(sc[20], 1 << (USR2 - 1), "oldmask: the mask's low word");
    assert!(w[24..180].iter().all(|&x| x == 0), "fpstate_unused");
    assert_eq!(w[180], 1 << 3, "extramask: the mask's high word");
    let retcode = k
        .peek_user_bytes(&p, frame + old::RETCODE as u32, 8)
        .unwrap();
    assert_eq!(retcode, RETCODE);
    assert_eq!(retcode, [0x58, 0xb8, 0x77, 0, 0, 0, 0xcd, 0x80]);

    // Run the retcode as the CPU would: ret, popl %eax, movl, int $0x80.
    k.cpu_mut().set_eip(VirtAddr(frame + old::RETCODE as u32));
    k.cpu_mut().set_reg(Reg::Esp, frame + 4);
    let state = k.run(&mut p, 3);
    assert_eq!(state, toyemu_kernel::RunState::Running);
    assert_eq!(reg(&k, Reg::Esp), sp, "sigreturn put the stack back");
    assert_eq!(k.machine().cpu().eip().0, CODE);
    assert_eq!(
        p.signals().blocked().words(),
        [1 << (USR2 - 1), 1 << 3],
        "the whole mask back"
    );
    exit(&mut k, &mut p);
    all_back(&k, free);
}

#[test]
fn a_page_fault_frame_has_trapno_err_cr2_and_rf() {
    let (mut k, mut p, free) = setup();
    k.keep_events();
    action(&mut k, &mut p, 11, HANDLER, SA_SIGINFO | SA_RESTORER, 0);
    // movl %eax, 0x10  (a store to the null guard)
    k.poke_user(&mut p, CODE, &[0xa3, 0x10, 0, 0, 0]).unwrap();
    known_registers(&mut k, STACK_TOP.0 - 0x100);
    // The fault retires nothing; the handler's jmp . is the one instruction.
    k.run(&mut p, 1);
    assert_eq!(k.machine().cpu().eip().0, HANDLER);
    let frame = reg(&k, Reg::Esp);
    let w = words(&k, &p, frame, 268 / 4);
    assert_eq!(&w[4..8], &[11, 0, 1, 0x10], "SIGSEGV SEGV_MAPERR si_addr");
    let sc = &w[41..63];
    assert_eq!((sc[12], sc[13]), (14, 6), "trapno #PF, err U|W");
    assert_eq!(sc[14], CODE, "eip at the store");
    assert_eq!(
        sc[16] & (1 << 16),
        1 << 16,
        "RF, as the CPU saves it for a fault"
    );
    assert_eq!(sc[21], 0x10, "cr2");
    let delivered = k.take_events().into_iter().any(|e| {
        matches!(
            e.kind,
            EventKind::Signal {
                action: SignalAction::Handler { rt: true, .. },
                ..
            }
        ) && e.to_string()
            == "--- SIGSEGV {si_signo=SIGSEGV, si_code=SEGV_MAPERR, si_addr=0x00000010} ---"
    });
    assert!(delivered);
    exit(&mut k, &mut p);
    all_back(&k, free);
}

#[test]
fn kill_reaches_the_group_but_never_minus_one() {
    let (mut k, mut p, free) = setup();
    action(&mut k, &mut p, USR1, HANDLER, SA_SIGINFO | SA_RESTORER, 0);
    // (-pid is the group too, but this process is pid 1, and -1 means
    // something else: see below.)
    for target in [0, PID] {
        known_registers(&mut k, STACK_TOP.0 - 0x800);
        let before = p.stats().signals_handled;
        assert_eq!(sys(&mut k, &mut p, NR_KILL, [target, USR1, 0, 0, 0, 0]), 0);
        assert_eq!(p.stats().signals_handled, before + 1, "kill({target:#x})");
        let esp = reg(&k, Reg::Esp);
        k.cpu_mut().set_reg(Reg::Esp, esp + 4);
        sys(&mut k, &mut p, NR_RT_SIGRETURN, [0; 6]);
    }
    // -1 is every process but the caller: there is none.
    let minus_one = u32::MAX;
    assert_eq!(
        sys(&mut k, &mut p, NR_KILL, [minus_one, USR1, 0, 0, 0, 0]),
        ESRCH
    );
    assert_eq!(
        sys(&mut k, &mut p, NR_KILL, [PID + 1, USR1, 0, 0, 0, 0]),
        ESRCH
    );
    assert_eq!(
        sys(&mut k, &mut p, NR_TKILL, [PID + 1, USR1, 0, 0, 0, 0]),
        ESRCH
    );
    exit(&mut k, &mut p);
    all_back(&k, free);
}

#[test]
fn pause_with_nothing_to_wake_it_is_killed_and_sigsuspend_wakes_for_a_pending_signal() {
    let (mut k, mut p, free) = setup();
    let s = k.syscall_direct(&mut p, NR_PAUSE, [0; 6]).unwrap_err();
    assert_eq!(s.code(), 128 + 9);
    assert!(matches!(
        s.ending,
        Ending::Killed(Death::SleepsForever { call: "pause" })
    ));
    all_back(&k, free);

    let (mut k, mut p, free) = setup();
    action(&mut k, &mut p, USR1, HANDLER, SA_SIGINFO | SA_RESTORER, 0);
    let usr1 = 1u32 << (USR1 - 1);
    put_words(&mut k, &mut p, SET, &[usr1, 0]);
    sys(&mut k, &mut p, NR_RT_SIGPROCMASK, [0, SET, 0, 8, 0, 0]);
    sys(&mut k, &mut p, NR_KILL, [PID, USR1, 0, 0, 0, 0]);
    assert_eq!(p.stats().signals_handled, 0, "blocked: pending");
    // Suspend with USR2 blocked instead: USR1 gets in.
    put_words(&mut k, &mut p, SET, &[1 << (USR2 - 1), 0]);
    assert_eq!(
        sys(&mut k, &mut p, NR_RT_SIGSUSPEND, [SET, 8, 0, 0, 0, 0]),
        EINTR
    );
    assert_eq!(p.stats().signals_handled, 1);
    let frame = reg(&k, Reg::Esp);
    assert_eq!(
        words(&k, &p, frame + rt::UC_SIGMASK as u32, 2),
        vec![usr1, 0],
        "the frame keeps the mask sigsuspend replaced"
    );
    assert_eq!(
        p.signals().blocked().words()[0],
        usr1 | (1 << (USR2 - 1)),
        "in the handler: the suspend mask and the handler's signal"
    );
    k.cpu_mut().set_reg(Reg::Esp, frame + 4);
    assert_eq!(sys(&mut k, &mut p, NR_RT_SIGRETURN, [0; 6]), EINTR);
    assert_eq!(
        p.signals().blocked().words()[0],
        usr1,
        "the old mask is back"
    );
    // Nothing pending that could wake it: killed.
    let s = k
        .syscall_direct(&mut p, NR_RT_SIGSUSPEND, [SET, 8, 0, 0, 0, 0])
        .unwrap_err();
    assert!(matches!(
        s.ending,
        Ending::Killed(Death::SleepsForever { .. })
    ));
    all_back(&k, free);
}

#[test]
fn sigstop_stops_and_continues_at_once_and_job_control_signals_are_ignored() {
    let (mut k, mut p, free) = setup();
    k.keep_events();
    for sig in [19, 20, 21, 22] {
        assert_eq!(sys(&mut k, &mut p, NR_KILL, [PID, sig, 0, 0, 0, 0]), 0);
    }
    let text: Vec<String> = k
        .take_events()
        .iter()
        .filter(|e| matches!(e.kind, EventKind::Signal { .. }))
        .map(|e| e.to_string())
        .collect();
    assert!(text[0].contains("--- stopped by SIGSTOP"), "{text:?}");
    assert_eq!(text.len(), 4, "{text:?}");
    assert!(
        text[1..].iter().all(|t| t.ends_with("(ignored) ---")),
        "{text:?}"
    );
    // SIGKILL cannot be caught.
    action(&mut k, &mut p, USR1, HANDLER, SA_RESTORER, 0);
    put_words(&mut k, &mut p, ACT, &[HANDLER, 0, 0, 0, 0]);
    assert_eq!(
        sys(&mut k, &mut p, NR_RT_SIGACTION, [9, ACT, 0, 8, 0, 0]),
        -22i32 as u32
    );
    let s = k
        .syscall_direct(&mut p, NR_KILL, [PID, 9, 0, 0, 0, 0])
        .unwrap_err();
    assert_eq!(s.code(), 137);
    assert_eq!(s.death().unwrap().signal(), SIGKILL);
    all_back(&k, free);
}

#[test]
fn a_frame_that_cannot_be_written_is_sigsegv() {
    // A USR1 handler, the stack pointer at an unmapped page: no frame, so
    // SIGSEGV instead, whose default kills.
    let (mut k, mut p, free) = setup();
    action(&mut k, &mut p, USR1, HANDLER, SA_SIGINFO | SA_RESTORER, 0);
    known_registers(&mut k, 0x2000_0000);
    let s = k
        .syscall_direct(&mut p, NR_KILL, [PID, USR1, 0, 0, 0, 0])
        .unwrap_err();
    assert!(
        matches!(s.ending, Ending::Killed(Death::BadSignalFrame { sig, .. }) if sig == SIGUSR1),
        "{s:?}"
    );
    assert_eq!(s.code(), 139);
    all_back(&k, free);

    // With a SIGSEGV handler too: its frame cannot be written either, and
    // SIGSEGV's own failure is fatal (force_sigsegv).
    let (mut k, mut p, free) = setup();
    action(&mut k, &mut p, USR1, HANDLER, SA_SIGINFO | SA_RESTORER, 0);
    action(&mut k, &mut p, 11, HANDLER, SA_SIGINFO | SA_RESTORER, 0);
    known_registers(&mut k, 0xc010_0000);
    let s = k
        .syscall_direct(&mut p, NR_KILL, [PID, USR1, 0, 0, 0, 0])
        .unwrap_err();
    assert!(
        matches!(s.ending, Ending::Killed(Death::BadSignalFrame { sig, .. }) if sig == SIGSEGV),
        "{s:?}"
    );
    all_back(&k, free);

    // ... unless SIGSEGV's handler runs on a good alternate stack.
    let (mut k, mut p, free) = setup();
    action(&mut k, &mut p, USR1, HANDLER, SA_SIGINFO | SA_RESTORER, 0);
    action(
        &mut k,
        &mut p,
        11,
        HANDLER,
        SA_SIGINFO | SA_RESTORER | SA_ONSTACK,
        0,
    );
    put_words(&mut k, &mut p, SET, &[ALT, 0, 0x2000]);
    assert_eq!(sys(&mut k, &mut p, NR_SIGALTSTACK, [SET, 0, 0, 0, 0, 0]), 0);
    known_registers(&mut k, 0x2000_0000);
    assert_eq!(sys(&mut k, &mut p, NR_KILL, [PID, USR1, 0, 0, 0, 0]), 0);
    let frame = reg(&k, Reg::Esp);
    assert!(frame > ALT && frame < ALT + 0x2000, "{frame:#x}");
    let w = words(&k, &p, frame, 9);
    assert_eq!(&w[4..7], &[11, 0, 0x80], "SIGSEGV, SI_KERNEL");
    exit(&mut k, &mut p);
    all_back(&k, free);
}

#[test]
fn a_frame_that_would_overflow_the_alternate_stack_is_not_written() {
    let (mut k, mut p, free) = setup();
    action(
        &mut k,
        &mut p,
        USR1,
        HANDLER,
        SA_SIGINFO | SA_RESTORER | SA_ONSTACK,
        0,
    );
    put_words(&mut k, &mut p, SET, &[ALT, 0, 2048]);
    assert_eq!(sys(&mut k, &mut p, NR_SIGALTSTACK, [SET, 0, 0, 0, 0, 0]), 0);
    // Already on the alternate stack, 100 bytes from its bottom.
    known_registers(&mut k, ALT + 100);
    let s = k
        .syscall_direct(&mut p, NR_KILL, [PID, USR1, 0, 0, 0, 0])
        .unwrap_err();
    assert!(
        matches!(s.ending, Ending::Killed(Death::BadSignalFrame { .. })),
        "{s:?}"
    );
    all_back(&k, free);
}

#[test]
fn a_frame_below_the_stack_grows_it_and_one_past_the_limit_is_refused() {
    let (mut k, mut p, free) = setup();
    k.keep_events();
    action(&mut k, &mut p, USR1, HANDLER, SA_SIGINFO | SA_RESTORER, 0);
    let stack_start = p
        .mm()
        .unwrap()
        .vmas()
        .iter()
        .find(|v| v.kind == toyemu_kernel::vma::VmaKind::Stack)
        .unwrap()
        .start
        .0;
    known_registers(&mut k, stack_start + 16);
    assert_eq!(sys(&mut k, &mut p, NR_KILL, [PID, USR1, 0, 0, 0, 0]), 0);
    let frame = reg(&k, Reg::Esp);
    assert!(frame < stack_start);
    assert!(k
        .take_events()
        .iter()
        .any(|e| matches!(e.kind, EventKind::VmaResized { .. })));
    exit(&mut k, &mut p);
    all_back(&k, free);

    let (mut k, mut p, free) = setup();
    action(&mut k, &mut p, USR1, HANDLER, SA_SIGINFO | SA_RESTORER, 0);
    known_registers(&mut k, STACK_TOP.0 - STACK_LIMIT + 16);
    let s = k
        .syscall_direct(&mut p, NR_KILL, [PID, USR1, 0, 0, 0, 0])
        .unwrap_err();
    assert!(matches!(
        s.ending,
        Ending::Killed(Death::BadSignalFrame { .. })
    ));
    all_back(&k, free);
}

#[test]
fn sigreturn_with_no_frame_is_sigsegv_and_a_handler_can_catch_it() {
    for (nr, esp) in [
        (NR_RT_SIGRETURN, 0),
        (NR_RT_SIGRETURN, 0xc000_0000),
        (NR_SIGRETURN, 0x2000_0000),
        (NR_SIGRETURN, 4),
    ] {
        let (mut k, mut p, free) = setup();
        known_registers(&mut k, esp);
        let s = k.syscall_direct(&mut p, nr, [0; 6]).unwrap_err();
        assert!(
            matches!(s.ending, Ending::Killed(Death::BadSigreturn { .. })),
            "{nr} {esp:#x}: {s:?}"
        );
        all_back(&k, free);
    }
    // With a SIGSEGV handler on an alternate stack: caught, SI_KERNEL.
    let (mut k, mut p, free) = setup();
    action(
        &mut k,
        &mut p,
        11,
        HANDLER,
        SA_SIGINFO | SA_RESTORER | SA_ONSTACK,
        0,
    );
    put_words(&mut k, &mut p, SET, &[ALT, 0, 0x2000]);
    sys(&mut k, &mut p, NR_SIGALTSTACK, [SET, 0, 0, 0, 0, 0]);
    known_registers(&mut k, 0x2000_0000);
    assert_eq!(sys(&mut k, &mut p, NR_RT_SIGRETURN, [0; 6]), 0);
    assert_eq!(k.machine().cpu().eip().0, HANDLER);
    exit(&mut k, &mut p);
    all_back(&k, free);
}

#[test]
fn sigreturn_of_garbage_restores_garbage_and_the_host_survives() {
    // A frame of 0xff bytes: every register 0xffffffff, every signal
    // blocked (but KILL and STOP). Running on faults at 0xffffffff: a
    // forced SIGSEGV, which the full mask cannot hold back. (Its fpstate
    // pointer is NULL, "a fresh FPU"; garbage there is the next test.)
    let (mut k, mut p, free) = setup();
    action(&mut k, &mut p, 11, HANDLER, SA_SIGINFO | SA_RESTORER, 0);
    let at = DATA + 0x2000;
    k.copy_to_user(&mut p, at, &[0xff; 268]).unwrap();
    let fpstate = at + (rt::UC_MCONTEXT + sigframe::sc::FPSTATE) as u32;
    k.copy_to_user(&mut p, fpstate, &[0; 4]).unwrap();
    known_registers(&mut k, at + 4);
    assert_eq!(sys(&mut k, &mut p, NR_RT_SIGRETURN, [0; 6]), u32::MAX);
    assert_eq!(k.machine().cpu().eip().0, u32::MAX);
    assert_eq!(reg(&k, Reg::Esp), u32::MAX);
    assert!(p.signals().blocked().contains(SIGUSR1));
    assert!(!p.signals().blocked().contains(SIGKILL));
    let state = k.run(&mut p, 1000);
    let toyemu_kernel::RunState::Exited(s) = state else {
        panic!("{state:?}")
    };
    assert_eq!(s.code(), 139);
    assert!(matches!(s.ending, Ending::Killed(Death::Segv { .. })));
    all_back(&k, free);
}

#[test]
fn sigreturn_with_an_unreadable_fpstate_is_a_bad_frame() {
    // Linux reads the FPU state last; when it cannot, the frame is bad:
    // SIGSEGV, here with every signal blocked by the frame's own mask, so
    // the handler is reset and the process dies at the sigreturn.
    let (mut k, mut p, free) = setup();
    action(&mut k, &mut p, 11, HANDLER, SA_SIGINFO | SA_RESTORER, 0);
    let at = DATA + 0x2000;
    k.copy_to_user(&mut p, at, &[0xff; 268]).unwrap();
    known_registers(&mut k, at + 4);
    let s = k
        .syscall_direct(&mut p, NR_RT_SIGRETURN, [0; 6])
        .expect_err("the process dies");
    assert_eq!(s.code(), 139);
    assert!(
        matches!(s.ending, Ending::Killed(Death::BadSigreturn { frame }) if frame == at),
        "{s:?}"
    );
    all_back(&k, free);
}
