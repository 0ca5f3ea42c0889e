//! The debugger's `x/NFU ADDR`, as gdb has it: N units of U bytes (`b` 1,
//! `h` 2, `w` 4, `g` 8) shown as F — `x` hex, `d` signed, `u` unsigned,
//! `o` octal, `t` binary, `a` an address with its symbol, `c` a character,
//! `s` a C string, `i` an instruction. Memory is read without changing the
//! address space (a page not touched yet shows what its first touch would
//! put there).

use crate::symbols::Symbols;
use std::fmt::Write as _;

/// What `x` reads memory and names addresses through.
pub trait Memory {
    /// Bytes at `addr` into `out`: how many from the start could be read.
    fn read(&self, addr: u32, out: &mut [u8]) -> usize;
    fn symbols(&self) -> &Symbols;
    /// The instruction at `addr`, one line, and its length.
    fn instruction(&self, addr: u32) -> (usize, String);
}

/// Most units one `x` shows: a typo must not print a gigabyte.
pub const MAX_COUNT: u32 = 4096;
/// The longest string `x/s` prints before `...` (gdb's `print elements`).
const MAX_STRING: usize = 200;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Examine {
    pub count: u32,
    pub format: char,
    /// Bytes per unit: 1, 2, 4 or 8.
    pub unit: u8,
}

impl Examine {
    /// `4xw`, `s`, `10i`, `2g`, or empty: a count, then format and unit
    /// letters in either order (defaults: 1, `x`, `w`).
    pub fn parse(spec: &str) -> Result<Examine, String> {
        let digits = spec.bytes().take_while(u8::is_ascii_digit).count();
        let count = match &spec[..digits] {
            "" => 1,
            n => n
                .parse::<u32>()
                .ok()
                .filter(|n| (1..=MAX_COUNT).contains(n))
                .ok_or_else(|| format!("x: the count must be 1 to {MAX_COUNT}"))?,
        };
        let (mut format, mut unit) = (None, None);
        for c in spec[digits..].chars() {
            match c {
                'x' | 'd' | 'u' | 'o' | 't' | 'a' | 'c' | 's' | 'i' => format = Some(c),
                'b' => unit = Some(1),
                'h' => unit = Some(2),
                'w' => unit = Some(4),
                'g' => unit = Some(8),
                _ => {
                    return Err(format!(
                    "x: unknown letter {c:?} in /{spec} (formats x d u o t a c s i, units b h w g)"
                ))
                }
            }
        }
        let format = format.unwrap_or('x');
        let unit = match format {
            // An address is a word; a character and a string's are bytes.
            'a' => 4,
            'c' | 's' => 1,
            _ => unit.unwrap_or(4),
        };
        Ok(Examine {
            count,
            format,
            unit,
        })
    }

    /// The spec back, for repeating: `4xw`.
    pub fn spec(&self) -> String {
        let unit = match self.unit {
            1 => 'b',
            2 => 'h',
            8 => 'g',
            _ => 'w',
        };
        match self.format {
            's' | 'i' | 'c' | 'a' => format!("{}{}", self.count, self.format),
            f => format!("{}{f}{unit}", self.count),
        }
    }

    fn per_line(&self) -> u32 {
        match (self.format, self.unit) {
            ('a', _) => 2,
            (_, 8) => 2,
            (_, 4) => 4,
            _ => 8,
        }
    }
}

/// What `x` prints for `ex` at `addr`, and the address after it (where a
/// repeated `x` goes on).
pub fn show(m: &dyn Memory, ex: &Examine, addr: u32) -> (String, u32) {
    match ex.format {
        's' => strings(m, ex.count, addr),
        'i' => instructions(m, ex.count, addr),
        _ => units(m, ex, addr),
    }
}

/// `0x0804e720 <buf+0x4>:` — the address and, inside a symbol, its name.
fn label(syms: &Symbols, addr: u32) -> String {
    match syms.name(addr) {
        Some(n) => format!("{addr:#010x} <{n}>:"),
        None => format!("{addr:#010x}:"),
    }
}

fn cannot(addr: u32) -> String {
    format!("cannot access memory at {addr:#010x}")
}

fn units(m: &dyn Memory, ex: &Examine, addr: u32) -> (String, u32) {
    let size = ex.unit as u32;
    let mut out = String::new();
    let mut at = addr;
    for i in 0..ex.count {
        let mut b = [0u8; 8];
        if m.read(at, &mut b[..size as usize]) < size as usize {
            if !out.is_empty() {
                out.push('\n');
            }
            out.push_str(&cannot(at));
            return (out, at);
        }
        if i % ex.per_line() == 0 {
            if i > 0 {
                out.push('\n');
            }
            out.push_str(&label(m.symbols(), at));
        }
        let v = u64::from_le_bytes(b);
        out.push(' ');
        out.push_str(&value(m.symbols(), ex, v));
        at = at.wrapping_add(size);
    }
    (out, at)
}

/// One unit's value in the format asked for.
fn value(syms: &Symbols, ex: &Examine, v: u64) -> String {
    let bits = 8 * ex.unit as u32;
    let signed = (v << (64 - bits)) as i64 >> (64 - bits);
    match ex.format {
        'd' => signed.to_string(),
        'u' => v.to_string(),
        'o' => format!("{v:#o}"),
        't' => format!("{v:0width$b}", width = bits as usize),
        'c' => format!("{signed} '{}'", escape(&[v as u8])),
        'a' => match syms.known(v as u32) {
            Some(n) => format!("{v:#010x} <{n}>"),
            None => format!("{v:#010x}"),
        },
        _ => format!("0x{v:0width$x}", width = 2 * ex.unit as usize),
    }
}

fn strings(m: &dyn Memory, count: u32, addr: u32) -> (String, u32) {
    let mut out = String::new();
    let mut at = addr;
    for _ in 0..count {
        if !out.is_empty() {
            out.push('\n');
        }
        let mut buf = [0u8; MAX_STRING + 1];
        let n = m.read(at, &mut buf);
        if n == 0 {
            out.push_str(&cannot(at));
            return (out, at);
        }
        let line = label(m.symbols(), at);
        match buf[..n].iter().position(|&b| b == 0) {
            Some(len) => {
                let _ = write!(out, "{line} \"{}\"", escape(&buf[..len]));
                at = at.wrapping_add(len as u32 + 1);
            }
            None => {
                let len = n.min(MAX_STRING);
                let more = if n > MAX_STRING { "..." } else { "" };
                let _ = write!(out, "{line} \"{}\"{more}", escape(&buf[..len]));
                at = at.wrapping_add(len as u32);
                if n <= MAX_STRING {
                    // The string runs into memory that cannot be read.
                    let _ = write!(out, "\n{}", cannot(at));
                    return (out, at);
                }
            }
        }
    }
    (out, at)
}

fn instructions(m: &dyn Memory, count: u32, addr: u32) -> (String, u32) {
    let mut out = String::new();
    let mut at = addr;
    for _ in 0..count {
        if !out.is_empty() {
            out.push('\n');
        }
        if m.read(at, &mut [0u8]) == 0 {
            out.push_str(&cannot(at));
            return (out, at);
        }
        let (len, text) = m.instruction(at);
        out.push_str(&text);
        at = at.wrapping_add(len as u32);
    }
    (out, at)
}

/// Bytes as gdb prints a C string's: escapes for quotes, backslashes and
/// the usual controls, octal for the rest outside printable ASCII.
fn escape(bytes: &[u8]) -> String {
    let mut s = String::new();
    for &b in bytes {
        match b {
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            b'\n' => s.push_str("\\n"),
            b'\t' => s.push_str("\\t"),
            b'\r' => s.push_str("\\r"),
            0x1b => s.push_str("\\033"),
            0x20..=0x7e => s.push(b as char),
            _ => {
                let _ = write!(s, "\\{b:03o}");
            }
        }
    }
    s
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Sixteen readable bytes at 0x1000: "hi\n\0" then 0x11223344...
    struct Fake(Symbols);
    const AT: u32 = 0x1000;
    const BYTES: [u8; 16] = [
        b'h', b'i', b'\n', 0, 0x44, 0x33, 0x22, 0x11, 0xff, 0xff, 0xff, 0xff, b'x', b'y', b'z',
        b'!',
    ];
    impl Memory for Fake {
        fn read(&self, addr: u32, out: &mut [u8]) -> usize {
            let Some(off) = addr.checked_sub(AT).map(|o| o as usize) else {
                return 0;
            };
            let n = out.len().min(BYTES.len().saturating_sub(off));
            out[..n].copy_from_slice(&BYTES[off..off + n]);
            n
        }
        fn symbols(&self) -> &Symbols {
            &self.0
        }
        fn instruction(&self, _: u32) -> (usize, String) {
            (2, "nop".into())
        }
    }

    fn x(spec: &str, addr: u32) -> (String, u32) {
        let m = Fake(Symbols::from_elf(&[]));
        show(&m, &Examine::parse(spec).unwrap(), addr)
    }

    #[test]
    fn formats_and_units() {
        assert_eq!(
            x("2xw", AT + 4),
            ("0x00001004: 0x11223344 0xffffffff".into(), AT + 12)
        );
        assert_eq!(x("dw", AT + 8).0, "0x00001008: -1");
        assert_eq!(x("uw", AT + 8).0, "0x00001008: 4294967295");
        assert_eq!(x("2xb", AT + 4).0, "0x00001004: 0x44 0x33");
        assert_eq!(x("xh", AT + 4).0, "0x00001004: 0x3344");
        assert_eq!(x("xg", AT + 4).0, "0x00001004: 0xffffffff11223344");
        assert_eq!(x("c", AT).0, "0x00001000: 104 'h'");
        assert_eq!(x("tb", AT + 4).0, "0x00001004: 01000100");
        // Four words a line, eight bytes a line.
        assert_eq!(x("5xw", AT).0.lines().count(), 2);
        assert_eq!(x("9xb", AT).0.lines().nth(1), Some("0x00001008: 0xff"));
    }

    #[test]
    fn strings_escape_and_stop_at_the_nul() {
        assert_eq!(x("s", AT), ("0x00001000: \"hi\\n\"".into(), AT + 4));
        // Running off readable memory says so.
        let (text, _) = x("s", AT + 12);
        assert_eq!(
            text,
            "0x0000100c: \"xyz!\"\ncannot access memory at 0x00001010"
        );
        assert_eq!(escape(&[0xc3, b'"', 0x1b]), "\\303\\\"\\033");
    }

    #[test]
    fn unreadable_memory_stops_the_listing() {
        assert_eq!(
            x("4xw", 0),
            ("cannot access memory at 0x00000000".into(), 0)
        );
        let (text, next) = x("6xw", AT + 4);
        assert_eq!(next, AT + 16);
        assert!(
            text.ends_with("\ncannot access memory at 0x00001010"),
            "{text}"
        );
        assert_eq!(x("3i", AT + 12).0.lines().count(), 3);
        assert!(x("3i", AT + 14)
            .0
            .ends_with("cannot access memory at 0x00001010"));
    }

    #[test]
    fn specs_parse_and_print_back() {
        assert_eq!(Examine::parse("").unwrap().spec(), "1xw");
        assert_eq!(Examine::parse("4w").unwrap().spec(), "4xw");
        assert_eq!(Examine::parse("wx").unwrap().spec(), "1xw");
        assert_eq!(Examine::parse("8bx").unwrap().spec(), "8xb");
        assert_eq!(Examine::parse("s").unwrap().spec(), "1s");
        assert_eq!(Examine::parse("10i").unwrap().spec(), "10i");
        assert!(Examine::parse("4q").is_err());
        assert!(Examine::parse("0x").is_err());
        assert!(Examine::parse("99999999999999").is_err());
    }
}
