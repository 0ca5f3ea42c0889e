//! The host CPU as the oracle: `tests/native/oracle.c` runs every ALU,
//! shift, multiply and divide form on boundary values, and the BCD
//! adjustments on every AL, and prints result, EFLAGS and all 16 conditions. The same i386 binary runs natively and in
//! toyemu; the outputs must agree except where the Intel SDM leaves a flag
//! (or a result) undefined.
//!
//! Needs gcc with -m32 support and a host that runs i386 executables; the
//! test fails, saying so, when either is missing.

mod common;
use common::{build_native, run_emulated, run_native};

const CF: u32 = 0x1;
const PF: u32 = 0x4;
const AF: u32 = 0x10;
const ZF: u32 = 0x40;
const SF: u32 = 0x80;
const OF: u32 = 0x800;

/// Flags whose value the SDM leaves undefined after this line's operation,
/// or None when the whole line is undefined.
fn undefined(name: &str, b: u32) -> Option<u32> {
    let stem = name.trim_end_matches(|c: char| c.is_ascii_digit());
    let (base, size) = match stem.chars().last().unwrap() {
        'b' => (&stem[..stem.len() - 1], 8),
        'w' => (&stem[..stem.len() - 1], 16),
        'l' => (&stem[..stem.len() - 1], 32),
        _ => (stem, 32),
    };
    let count = b & 31;
    Some(match base {
        "and" | "or" | "xor" | "test" => AF,
        "shl" | "shr" | "sar" if count == 0 => 0,
        "shl" | "shr" | "sar" => {
            let of = if count != 1 { OF } else { 0 };
            let cf = if count >= size { CF } else { 0 };
            AF | of | cf
        }
        "rol" | "ror" | "rcl" | "rcr" if count != 1 => OF,
        "shld" | "shrd" if size == 16 && count > 16 => return None,
        "shld" | "shrd" if count == 0 => 0,
        "shld" | "shrd" => AF | if count != 1 { OF } else { 0 },
        "mul" | "imul" => SF | ZF | AF | PF,
        "div" | "idiv" => CF | PF | AF | ZF | SF | OF,
        "bt" | "bts" | "btr" | "btc" => OF | SF | AF | PF,
        "bsf" | "bsr" => CF | OF | SF | AF | PF,
        "daa" | "das" => OF,
        "aaa" | "aas" => OF | SF | ZF | PF,
        "aam" | "aad" => OF | AF | CF,
        _ => 0,
    })
}

/// The setcc conditions that read only defined flags.
fn defined_conditions(undef: u32) -> u32 {
    let uses = [OF, CF, ZF, CF | ZF, SF, PF, SF | OF, ZF | SF | OF];
    let mut m = 0;
    for (i, &f) in uses.iter().enumerate() {
        if f & undef == 0 {
            m |= 3 << (2 * i);
        }
    }
    m
}

#[test]
fn alu_shift_muldiv_flags_match_the_host_cpu() {
    let exe = build_native("oracle.c", "O1");
    let (native_status, native) = run_native(&exe);
    assert_eq!(native_status, 0, "the oracle failed natively");
    let (status, emulated) = run_emulated(&exe);
    assert_eq!(status, 0);
    let native = String::from_utf8(native).unwrap();
    let emulated = String::from_utf8(emulated).unwrap();
    let (n, e): (Vec<&str>, Vec<&str>) = (native.lines().collect(), emulated.lines().collect());
    assert_eq!(n.len(), e.len(), "different number of lines");
    let mut bad = Vec::new();
    for (ln, le) in n.iter().zip(&e) {
        let fields = |l: &str| -> (String, Vec<u32>) {
            let mut it = l.split(' ');
            let name = it.next().unwrap().to_string();
            (
                name,
                it.map(|x| u32::from_str_radix(x, 16).unwrap()).collect(),
            )
        };
        let ((name, nv), (_, ev)) = (fields(ln), fields(le));
        assert_eq!(nv[..3], ev[..3], "lines out of step: {ln} / {le}");
        let Some(undef) = undefined(&name, nv[1]) else {
            continue;
        };
        let conds = defined_conditions(undef);
        if nv[3] != ev[3] || (nv[4] ^ ev[4]) & !undef != 0 || (nv[5] ^ ev[5]) & conds != 0 {
            bad.push(format!("native {ln}\n  toyemu {le}"));
        }
    }
    assert!(
        bad.is_empty(),
        "{} of {} lines differ (name a b flags-in result eflags conditions):\n{}",
        bad.len(),
        n.len(),
        bad[..bad.len().min(40)].join("\n")
    );
}
