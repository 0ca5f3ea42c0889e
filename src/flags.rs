//! The values toyemu's flags take: each parser says the allowed range when
//! a value is outside it (clap turns that into a usage error, status 2),
//! and `--report json` is accepted with a space as well as with `=`.

use crate::size::parse_size;
use std::ffi::OsString;
use std::time::Duration;
use toyemu_emulator::phys::{MAX_MEM, MIN_MEM};
use toyemu_emulator::{Policy, TlbConfig, PAGE_SIZE};
use toyemu_kernel::layout::TASK_SIZE;

/// Smallest `--stack`: one page.
const MIN_STACK: u64 = PAGE_SIZE as u64;
/// Longest `--timeout`: a year is plenty, and keeps `Duration` sane.
const MAX_TIMEOUT_SECS: f64 = 365.0 * 24.0 * 3600.0;

/// `--mem SIZE`: guest RAM, a whole number of 4 KiB frames between 64K and 3G.
pub fn parse_mem(s: &str) -> Result<u64, String> {
    let n = parse_size(s)?;
    if !(MIN_MEM..=MAX_MEM).contains(&n) || n % PAGE_SIZE as u64 != 0 {
        return Err(format!(
            "guest RAM must be a multiple of 4K from {}K to {}G",
            MIN_MEM >> 10,
            MAX_MEM >> 30
        ));
    }
    Ok(n)
}

/// `--stack SIZE`: RLIMIT_STACK, from one page to the whole 3 GiB user space.
pub fn parse_stack(s: &str) -> Result<u32, String> {
    let n = parse_size(s)?;
    if !(MIN_STACK..=TASK_SIZE.0 as u64).contains(&n) {
        return Err(format!(
            "the stack limit must be from {}K to {}G (the user address space)",
            MIN_STACK >> 10,
            TASK_SIZE.0 >> 30
        ));
    }
    Ok(n as u32)
}

/// `--timeout SECONDS`: more than 0, at most a year; fractions allowed.
pub fn parse_seconds(s: &str) -> Result<Duration, String> {
    match s.trim().parse::<f64>() {
        Ok(x) if x > 0.0 && x <= MAX_TIMEOUT_SECS => Ok(Duration::from_secs_f64(x)),
        _ => Err(format!(
            "the timeout must be a number of seconds above 0 and at most {MAX_TIMEOUT_SECS} (a year)"
        )),
    }
}

/// `--max-insns N`: at least one instruction.
pub fn parse_insns(s: &str) -> Result<u64, String> {
    match s.trim().parse::<u64>() {
        Ok(n) if n >= 1 => Ok(n),
        _ => Err(format!(
            "the instruction limit must be a whole number from 1 to {}",
            u64::MAX
        )),
    }
}

/// `--quantum N`: instructions a process runs before the next one's turn.
pub fn parse_quantum(s: &str) -> Result<u64, String> {
    match s.trim().parse::<u64>() {
        Ok(n) if (1..=1 << 40).contains(&n) => Ok(n),
        _ => Err("the quantum must be a whole number of instructions from 1 to 2^40".into()),
    }
}

/// `--tlb ENTRIES[,lru|fifo|random]`: a 4-way TLB (fewer ways if smaller).
pub fn parse_tlb(s: &str) -> Result<TlbConfig, String> {
    let mut parts = s.split(',');
    let entries: usize = parts.next().unwrap_or("").trim().parse().map_err(|_| {
        format!("bad TLB size in {s:?}: TLB entries must be a power of two from 1 to 4096")
    })?;
    let policy: Policy = match parts.next() {
        Some(p) => p.trim().parse()?,
        None => Policy::Lru,
    };
    let c = TlbConfig {
        entries,
        ways: entries.min(4),
        policy,
    };
    c.validate()?;
    Ok(c)
}

/// The flags of `run` (and `debug`) that take a value, so the spelling
/// `--report json` can be told from `--report PROGRAM`.
pub struct ValueFlags {
    pub long: Vec<String>,
    pub short: Vec<char>,
}

/// `--report json` (or `text`) as `--report=json`: clap's optional values
/// only bind with `=`, and a bare word after `--report` is the program.
/// Only toyemu's own flags are looked at: the scan stops at the program
/// (the first word that is not a flag or a flag's value) and at `--`.
pub fn join_report_value(args: Vec<OsString>, takes_value: &ValueFlags) -> Vec<OsString> {
    let mut out = Vec::with_capacity(args.len());
    let mut it = args.into_iter().peekable();
    // The binary's name and the subcommand pass through.
    out.extend(it.next());
    out.extend(it.next());
    while let Some(a) = it.next() {
        // A word that is not UTF-8 is no flag of ours: the program.
        let Some(word) = a
            .to_str()
            .filter(|w| w.starts_with('-') && *w != "-" && *w != "--")
        else {
            out.push(a);
            break;
        };
        if word == "--report" && it.peek().is_some_and(|v| v == "json" || v == "text") {
            let mut joined = OsString::from("--report=");
            joined.push(it.next().unwrap_or_default());
            out.push(joined);
            continue;
        }
        let needs_next = match word.strip_prefix("--") {
            Some(long) => !long.contains('=') && takes_value.long.iter().any(|l| l == long),
            // `-o FILE`, not `-oFILE`; `-O2` carries its value.
            None => {
                let mut c = word[1..].chars();
                matches!((c.next(), c.next()), (Some(ch), None) if takes_value.short.contains(&ch))
            }
        };
        out.push(a);
        if needs_next {
            out.extend(it.next());
        }
    }
    out.extend(it);
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    fn words(s: &str) -> Vec<OsString> {
        s.split_whitespace().map(OsString::from).collect()
    }

    #[test]
    fn report_json_with_a_space_becomes_one_word() {
        let flags = ValueFlags {
            long: vec!["mem".into(), "trace".into()],
            short: vec!['o'],
        };
        let j = |s| {
            let joined = join_report_value(words(s), &flags);
            let text: Vec<String> = joined
                .iter()
                .map(|w| w.to_string_lossy().into_owned())
                .collect();
            text.join(" ")
        };
        assert_eq!(
            j("toyemu run --report json p"),
            "toyemu run --report=json p"
        );
        assert_eq!(
            j("toyemu run --report p json"),
            "toyemu run --report p json"
        );
        assert_eq!(
            j("toyemu run --mem 4M --report text p"),
            "toyemu run --mem 4M --report=text p"
        );
        // A value of another flag, or the guest's own arguments, stay as they are.
        assert_eq!(
            j("toyemu run --trace json --report p"),
            "toyemu run --trace json --report p"
        );
        assert_eq!(
            j("toyemu run -o f --report p --report json"),
            "toyemu run -o f --report p --report json"
        );
    }

    #[test]
    fn values_outside_their_range_name_it() {
        assert!(parse_mem("5G").unwrap_err().contains("from 64K to 3G"));
        assert!(parse_mem("4097").is_err());
        assert_eq!(parse_mem("4M"), Ok(4 << 20));
        assert!(parse_stack("5G").unwrap_err().contains("to 3G"));
        assert!(parse_stack("1").is_err());
        assert_eq!(parse_stack("8M"), Ok(8 << 20));
        assert!(parse_seconds("0").unwrap_err().contains("above 0"));
        assert!(parse_seconds("1e12").is_err());
        assert!(parse_seconds("nan").is_err());
        assert!(parse_insns("0").unwrap_err().contains("from 1"));
        assert!(parse_tlb("3").unwrap_err().contains("power of two"));
        assert!(parse_tlb("x").unwrap_err().contains("from 1 to 4096"));
    }
}
