//! Segment registers, TLS and 16-bit addressing against the host CPU:
//! `tests/native/segments.c` runs natively and in toyemu (whose runner
//! serves set_thread_area as Linux does, tests/common/tls.rs) and must print
//! the same; `faults.c` has one way to die per `-DCASE=n`, and each must
//! die natively of the signal Linux sends and in toyemu of the matching
//! trap, at an instruction that fits.
//!
//! Needs gcc -m32 and a host that runs i386 executables.

mod common;
use common::{build_native, build_native_with, run_emulated, run_native, run_native_signal, Vm};
use toyemu_emulator::{disasm, Trap};

#[test]
fn segments_tls_and_16_bit_addressing_match_the_host_cpu() {
    let exe = build_native("segments.c", "O1");
    let (native_status, native) = run_native(&exe);
    let (status, emulated) = run_emulated(&exe);
    let _ = std::fs::remove_file(&exe);
    let (native, emulated) = (
        String::from_utf8(native).unwrap(),
        String::from_utf8(emulated).unwrap(),
    );
    assert_eq!(native_status, 0, "segments.c failed natively:\n{native}");
    if native.contains("lowmem 00000000") {
        eprintln!(
            "note: vm.mmap_min_addr keeps 0x1000-0xffff unmapped on this host: \
             16-bit addressing through DS and ES:DI strings were not compared"
        );
    }
    let bad: Vec<String> = native
        .lines()
        .zip(emulated.lines())
        .filter(|(n, e)| n != e)
        .map(|(n, e)| format!("native {n}\n  toyemu {e}"))
        .collect();
    assert!(
        bad.is_empty(),
        "{} lines differ:\n{}",
        bad.len(),
        bad[..bad.len().min(40)].join("\n")
    );
    assert_eq!(native.lines().count(), emulated.lines().count());
    assert_eq!(status, 0);
}

/// SIGSEGV, SIGFPE, as Linux numbers them.
const SIGSEGV: i32 = 11;
const SIGFPE: i32 = 8;

#[test]
fn segment_faults_die_as_on_the_host() {
    // (case, what, the host's signal, the disassembly the faulting
    // instruction must contain)
    let cases: [(u32, &str, i32, &str); 12] = [
        (1, "read through a null GS", SIGSEGV, "%gs:"),
        (2, "write through a null FS", SIGSEGV, "%fs:"),
        (3, "a dword past a byte-granular limit", SIGSEGV, "%gs:"),
        (
            4,
            "a write through a read-only TLS segment",
            SIGSEGV,
            "%gs:",
        ),
        (5, "below an expand-down segment's limit", SIGSEGV, "%gs:"),
        (6, "mov of a selector past the GDT to GS", SIGSEGV, "mov"),
        (7, "mov of an LDT selector to FS", SIGSEGV, "mov"),
        (8, "pop of the null selector to SS", SIGSEGV, "pop"),
        (9, "mov of a kernel data selector to DS", SIGSEGV, "mov"),
        (10, "lret to a data segment", SIGSEGV, "lret"),
        (11, "aam with base 0", SIGFPE, "aam"),
        (12, "a string read through a null FS", SIGSEGV, "lods"),
    ];
    for (case, what, signal, insn) in cases {
        let exe = build_native_with("faults.c", "O1", &[&format!("-DCASE={case}")]);
        let (native_signal, native_out) = run_native_signal(&exe);
        assert_eq!(
            native_signal,
            Some(signal),
            "case {case} ({what}) natively: {}",
            String::from_utf8_lossy(&native_out)
        );
        let mut vm = Vm::bare();
        vm.load_elf(&std::fs::read(&exe).unwrap());
        let _ = std::fs::remove_file(&exe);
        let (result, out) = vm.run_to_trap(u64::MAX);
        assert_eq!(
            out, native_out,
            "case {case} ({what}): output before the fault"
        );
        let eip = match (result, signal) {
            (Err(Trap::GeneralProtection { eip }), SIGSEGV) => eip,
            (Err(Trap::DivideError { eip }), SIGFPE) => eip,
            (r, _) => panic!("case {case} ({what}): {r:?} in toyemu, signal {signal} natively"),
        };
        assert_eq!(vm.m.cpu().eip(), eip, "case {case}: EIP at the instruction");
        let (_, text) = disasm::at(vm.m.mmu(), eip).unwrap();
        assert!(
            text.contains(insn),
            "case {case} ({what}): faulted at `{text}`"
        );
    }
}
