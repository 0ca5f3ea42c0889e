//! The host CPU as the x87 oracle: `tests/native/x87.c` runs random x87
//! instructions on random operands (NaNs quiet and signalling, denormals,
//! pseudo-denormals, unsupported encodings, infinities, signed zeros, tiny
//! and huge exponents) under random control words (every rounding mode,
//! precision control 24/53/64) and prints the whole FPU state after each:
//! the eight registers as raw 80-bit values, the status, control and tag
//! words, FOP/FIP/FDP, EFLAGS, AX and the memory operand. The same i386
//! binary runs natively and in toyemu and the outputs must agree bit for
//! bit, except:
//!
//! - condition-code bits the SDM leaves undefined after the instruction
//!   (`undefined_cc`);
//! - the transcendental instructions (fsin fcos fsincos fptan fpatan f2xm1
//!   fyl2x fyl2xp1), whose results come from microcode no IEEE library
//!   reproduces: their results must be within `TRANSCENDENTAL_ULPS` units
//!   in the last place of the 64-bit significand, and their PE, UE and C1
//!   (which follow from the exact bits) are not compared; nor are their
//!   results when an unmasked underflow made the host deliver a tiny
//!   result with its exponent biased by 24576: ours comes from a
//!   quadruple intermediate, which below 2^-16430 holds fewer than the 66
//!   bits that rounding needs (about 2 cases in 100,000 here).
//!
//! 100,000 cases from seed 1 by default; `TOYEMU_X87_SEED` and
//! `TOYEMU_X87_CASES` choose another run.
//! Needs gcc with -m32 support and a host that runs i386 executables; the
//! test fails, saying so, when either is missing.

mod common;
use common::{build_native, run_emulated_args, run_native_args};

const C0: u16 = 1 << 8;
const C1: u16 = 1 << 9;
const C2: u16 = 1 << 10;
const C3: u16 = 1 << 14;
const UE: u16 = 1 << 4;
const PE: u16 = 1 << 5;

/// Results of transcendental instructions may differ from the host's by
/// this many units in the last place (of 64 bits). Ours are correctly
/// rounded (see cpu/x87/transcendental.rs; reduction with the hardware's
/// 66-bit pi); Intel documents its own error as below 1 ulp, so the two
/// may differ by 1 ulp. Over seeds 1-12 (100,000 cases each) every
/// difference was at most 1 ulp but one fyl2xp1 at 2 (seed 1): the
/// undocumented host (AMD here) is not always within 1 ulp itself.
const TRANSCENDENTAL_ULPS: u64 = 2;

fn is_transcendental(name: &str) -> bool {
    matches!(
        name,
        "fsin" | "fcos" | "fsincos" | "fptan" | "fpatan" | "f2xm1" | "fyl2x" | "fyl2xp1"
    )
}

/// The condition-code bits the SDM (Vol. 2, each instruction's "FPU Flags
/// Affected") leaves undefined.
fn undefined_cc(name: &str) -> u16 {
    let stem = name.split('_').next().unwrap();
    match stem {
        // C0-C3 all defined: compares, fxam, fprem, init/restore.
        n if n.starts_with("fcom") || n.starts_with("fucom") || n.starts_with("ficom") => 0,
        "ftst" | "fxam" | "fprem" | "fprem1" | "fninit" | "fldenv" | "frstor" | "fnsave"
        | "fnstenv" => 0,
        // Nothing defined.
        "ffree1" | "fnop" | "fldcw" | "fnstcw" | "fnstsw" | "fnclex" | "fwait" => C0 | C1 | C2 | C3,
        // Transcendentals: C2 says "out of range", C1 the rounding.
        n if is_transcendental(n) => C0 | C3,
        // Everything else: C1 defined (rounding or stack fault), C0 C2 C3 not.
        _ => C0 | C2 | C3,
    }
}

struct Case<'a> {
    name: &'a str,
    f: Vec<&'a str>,
    inputs: &'a str,
}

fn parse(line: &str) -> Case<'_> {
    let (state, inputs) = line.split_once(" | ").expect("a line has inputs");
    let f: Vec<&str> = state.split(' ').collect();
    assert_eq!(f.len(), 19, "malformed line: {line}");
    Case {
        name: f[0],
        f,
        inputs,
    }
}

fn hex(s: &str) -> u128 {
    u128::from_str_radix(s, 16).unwrap_or_else(|_| panic!("not hex: {s}"))
}

/// Distance in ulps between two 80-bit values of the same sign and
/// exponent class (None when they are not comparable that way).
fn ulps(a: u128, b: u128) -> Option<u64> {
    let (sa, sb) = (a >> 64, b >> 64);
    if (sa ^ sb) & 0x8000 != 0 {
        // Both zero-ish of different signs are not close.
        return None;
    }
    // Within one sign, the 79 low bits order the finite values (the
    // explicit integer bit keeps normals monotonic too).
    let key = |v: u128| ((v >> 64) & 0x7fff) << 63 | (v & ((1u128 << 63) - 1));
    let d = key(a).abs_diff(key(b));
    u64::try_from(d).ok()
}

/// An `fnstenv`/`fnsave` image (printed as hex, last byte first) equal
/// to another but for the FCS and FDS selectors (bytes 16-17 and 24-25),
/// which are the kernel's: 0x23/0x2b under an x86-64 kernel, 0x73/0x7b
/// under an i386 one (toyemu's). Where the native image's FIP, FOP and
/// FDP (bytes 12-15, 18-23) are all zero, an AMD host dropped them at a
/// context switch (as for the registers below) and they are not compared.
fn same_env_but_selectors(native: &str, emu: &str) -> bool {
    if native.len() != emu.len() {
        return false;
    }
    let n = native.len() / 2;
    let bytes = |s: &str| -> Vec<u8> {
        (0..n)
            .map(|i| u8::from_str_radix(&s[2 * i..2 * i + 2], 16).unwrap())
            .rev()
            .collect()
    };
    let (mut a, mut b) = (bytes(native), bytes(emu));
    let pointers = [12, 13, 14, 15, 18, 19, 20, 21, 22, 23];
    let dropped = pointers.iter().all(|&at| a[at] == 0);
    for at in [16, 17, 24, 25]
        .into_iter()
        .chain(pointers.into_iter().filter(|_| dropped))
    {
        a[at] = 0;
        b[at] = 0;
    }
    a == b
}

/// Whether the SDM leaves the numeric result undefined for these inputs:
/// f2xm1 outside -1..1, fyl2xp1 outside -(1 - sqrt(2)/2)..(1 - sqrt(2)/2).
/// Then the result register and the exception flags are not compared.
fn undefined_result(name: &str, inputs: &str) -> bool {
    let mut it = inputs.split(' ');
    if it.next() == Some("0") {
        return false; // no operand: a stack underflow, which is defined
    }
    let Some(x) = it.next().and_then(|v| u128::from_str_radix(v, 16).ok()) else {
        return false;
    };
    let (se, m) = ((x >> 64) as u16, x as u64);
    let exp = se & 0x7fff;
    if exp == 0x7fff {
        return false; // NaN and infinity cases are defined
    }
    match name {
        "f2xm1" => exp >= 0x3fff && !(exp == 0x3fff && m == 1 << 63),
        // 1 - sqrt(2)/2 = 0.2928932188134524...: 0x3ffd_95f6_1998_0c43_3b7d.
        "fyl2xp1" => exp > 0x3ffd || (exp == 0x3ffd && m >= 0x95f6_1998_0c43_3b7d),
        _ => false,
    }
}

/// Why two lines differ, or None when they agree.
fn differs(n: &Case, e: &Case) -> Option<String> {
    let name = n.name;
    let undef = undefined_cc(name);
    let trans = is_transcendental(name);
    let mut why = Vec::new();
    for (i, label) in [(1, "cw"), (2, "eflags in")] {
        if n.f[i] != e.f[i] {
            return Some(format!("inputs differ ({label}): the runs are out of step"));
        }
    }
    let (swn, swe) = (hex(n.f[3]) as u16, hex(e.f[3]) as u16);
    let mut mask = !undef;
    if trans {
        mask &= !(PE | UE | C1);
    }
    let undefined = undefined_result(name, n.inputs);
    if undefined {
        mask &= !0x3f;
    }
    if (swn ^ swe) & mask != 0 {
        why.push(format!("status word {swn:04x} vs {swe:04x}"));
    }
    if undefined {
        // Nor the tag of the result register (ST(0), physical TOP).
        let top = (swn >> 11) & 7;
        let m = !(3u16 << (2 * top));
        if hex(n.f[4]) as u16 & m != hex(e.f[4]) as u16 & m {
            why.push(format!("tag word {} vs {}", n.f[4], e.f[4]));
        }
    }
    for (i, label) in [
        (4, "tag word"),
        (5, "fop"),
        (6, "fip"),
        (7, "fdp"),
        (16, "eflags"),
        (17, "ax"),
        (18, "memory"),
    ] {
        if i == 18 && matches!(name, "fnstenv" | "fnsave") && same_env_but_selectors(n.f[i], e.f[i])
        {
            continue;
        }
        if i == 4 && undefined {
            continue;
        }
        // AMD processors save FOP, FIP and FDP in FXSAVE/XSAVE only with
        // an exception pending, so a context switch on the host between
        // the instruction (or the last memory operand) and fnsave leaves
        // them 0 natively (about once in 50,000 cases).
        if (5..=7).contains(&i) && n.f[i].bytes().all(|c| c == b'0') {
            continue;
        }
        if n.f[i] != e.f[i] {
            why.push(format!("{label} {} vs {}", n.f[i], e.f[i]));
        }
    }
    for r in 0..8 {
        let (a, b) = (n.f[8 + r], e.f[8 + r]);
        if a == b {
            continue;
        }
        if undefined && r == 0 {
            continue;
        }
        if trans && r < 2 && hex(n.f[1]) as u16 & UE == 0 && swn & UE != 0 {
            continue; // a biased tiny result (see the module comment)
        }
        if trans && r < 2 {
            if let Some(d) = ulps(hex(a), hex(b)) {
                if d <= TRANSCENDENTAL_ULPS {
                    continue;
                }
            }
        }
        why.push(format!("st{r} {a} vs {b}"));
    }
    (!why.is_empty()).then(|| why.join(", "))
}

#[test]
fn x87_instructions_match_the_host_fpu() {
    let seed = std::env::var("TOYEMU_X87_SEED").unwrap_or_else(|_| "1".into());
    let cases = std::env::var("TOYEMU_X87_CASES").unwrap_or_else(|_| "100000".into());
    let exe = build_native("x87.c", "O1");
    let (native_status, native) = run_native_args(&exe, &[&seed, &cases]);
    assert_eq!(native_status, 0, "the x87 oracle failed natively");
    let (status, emulated) = run_emulated_args(&exe, &[&seed, &cases]);
    assert_eq!(status, 0);
    let (native, emulated) = (
        String::from_utf8(native).unwrap(),
        String::from_utf8(emulated).unwrap(),
    );
    let (nl, el): (Vec<&str>, Vec<&str>) = (native.lines().collect(), emulated.lines().collect());
    assert_eq!(nl.len(), el.len(), "different number of lines");
    let mut bad = Vec::new();
    let mut modes = [0usize; 4];
    let mut precisions = [0usize; 4];
    // The largest difference seen, by transcendental instruction, where
    // the result is defined and both are numbers of the same sign.
    let mut trans_max: std::collections::BTreeMap<&str, (u64, usize)> = Default::default();
    for (ln, le) in nl.iter().zip(&el) {
        let (n, e) = (parse(ln), parse(le));
        let cw = hex(n.f[1]) as u16;
        modes[(cw >> 10) as usize & 3] += 1;
        precisions[(cw >> 8) as usize & 3] += 1;
        let biased_tiny = hex(n.f[1]) as u16 & UE == 0 && hex(n.f[3]) as u16 & UE != 0;
        if is_transcendental(n.name) && !undefined_result(n.name, n.inputs) && !biased_tiny {
            let entry = trans_max.entry(n.name).or_default();
            entry.1 += 1;
            let same_class = |v: u128| (v >> 64) & 0x7fff != 0x7fff;
            if same_class(hex(n.f[8])) && same_class(hex(e.f[8])) {
                if let Some(d) = ulps(hex(n.f[8]), hex(e.f[8])) {
                    entry.0 = entry.0.max(d);
                }
            }
        }
        if let Some(why) = differs(&n, &e) {
            bad.push(format!(
                "{}: {why}\n  native {ln}\n  toyemu {le}\n  inputs {}",
                n.name, n.inputs
            ));
        }
    }
    eprintln!(
        "x87 oracle: {} cases (seed {seed}); rounding modes near/down/up/chop {modes:?}; \
         precision 24/-/53/64 {precisions:?}; largest transcendental difference in ulps \
         (cases): {trans_max:?}",
        nl.len()
    );
    // The exact instructions first: they are the ones that must match.
    bad.sort_by_key(|b| is_transcendental(b.split(':').next().unwrap()));
    assert!(
        bad.is_empty(),
        "{} of {} cases differ:\n{}",
        bad.len(),
        nl.len(),
        bad[..bad.len().min(30)].join("\n")
    );
}

/// The case a host context switch produced on an AMD machine: the native
/// image lost its pointers, toyemu's has them; a real difference in the
/// control word still counts.
#[test]
fn env_images_forgive_only_what_the_host_drops() {
    let native = "ffff0000000000000000000000000000ffff001fffff1000ffff0c7f";
    let emu = "ffff007b0804c00003ac00730804a062ffff001fffff1000ffff0c7f";
    assert!(same_env_but_selectors(native, emu));
    let other_cw = "ffff007b0804c00003ac00730804a062ffff001fffff1000ffff0c7e";
    assert!(!same_env_but_selectors(native, other_cw));
    // Native pointers present: they must match.
    let native_kept = "ffff002b0804c00003ac00230804a062ffff001fffff1000ffff0c7f";
    let emu_moved = "ffff007b0804c00003ac00730804a066ffff001fffff1000ffff0c7f";
    assert!(same_env_but_selectors(native_kept, emu));
    assert!(!same_env_but_selectors(native_kept, emu_moved));
}
