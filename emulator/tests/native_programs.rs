//! Compiled C against the host CPU: `tests/native/programs.c` (sorting,
//! CRC, struct copies, switch tables, recursion, 64-bit arithmetic, string
//! loops) built at several optimisation levels must print the same in toyemu
//! as natively. Needs gcc -m32 and a host that runs i386 executables.

mod common;
use common::{build_native, run_emulated, run_native};

#[test]
fn c_programs_print_the_same_as_on_the_host() {
    for opt in ["O0", "O1", "O2", "Os"] {
        let exe = build_native("programs.c", opt);
        let (native_status, native) = run_native(&exe);
        let (status, emulated) = run_emulated(&exe);
        let _ = std::fs::remove_file(&exe);
        assert_eq!(status as i32, native_status, "-{opt}: exit status");
        assert_eq!(
            String::from_utf8_lossy(&emulated),
            String::from_utf8_lossy(&native),
            "-{opt}: output"
        );
    }
}
