//! The pieces every trace line is made of, as strace prints them: numbers
//! and pointers, flag words by name, quoted guest bytes and strings.

use crate::kernel::Kernel;
use crate::process::Process;

/// `A|B|0x40` for a flag word; `zero` when no bit is set.
pub fn flag_names(v: u32, table: &[(u32, &str)], zero: &str) -> String {
    let mut parts: Vec<String> = Vec::new();
    let mut rest = v;
    for (bit, name) in table {
        if *bit != 0 && v & bit == *bit && rest & bit != 0 {
            parts.push((*name).to_string());
            rest &= !bit;
        }
    }
    if rest != 0 {
        parts.push(format!("{rest:#x}"));
    }
    if parts.is_empty() {
        zero.to_string()
    } else {
        parts.join("|")
    }
}

/// The name of `v` in `table`, else the number.
pub fn one_of(v: u32, table: &[(u32, &str)]) -> String {
    table
        .iter()
        .find(|(n, _)| *n == v)
        .map_or_else(|| (v as i32).to_string(), |(_, s)| (*s).to_string())
}

/// strace prints offsets as `0` or in hex.
pub fn hex_or_zero(v: u32) -> String {
    if v == 0 {
        "0".to_string()
    } else {
        format!("{v:#x}")
    }
}

pub fn ptr(v: u32) -> String {
    if v == 0 {
        "NULL".to_string()
    } else {
        format!("{v:#x}")
    }
}

/// Bytes as strace quotes them: C escapes, `...` after when cut short.
pub fn quote(bytes: &[u8], truncated: bool) -> String {
    let mut s = String::from("\"");
    for &b in bytes {
        match b {
            b'\n' => s.push_str("\\n"),
            b'\t' => s.push_str("\\t"),
            b'\r' => s.push_str("\\r"),
            b'"' => s.push_str("\\\""),
            b'\\' => s.push_str("\\\\"),
            0x20..=0x7e => s.push(b as char),
            _ => s.push_str(&format!("\\{b:o}")),
        }
    }
    s.push('"');
    if truncated {
        s.push_str("...");
    }
    s
}

/// How much of a buffer a trace shows (strace's default -s 32).
pub const SHOWN: u32 = 32;
/// Longest path a trace reads.
const PATH_MAX: u32 = 4096;

impl Kernel {
    /// A user buffer shown as strace would, or its address if unreadable.
    pub(crate) fn buffer_text(&self, p: &Process, va: u32, len: u32) -> String {
        let n = len.min(SHOWN);
        match self.peek_user_bytes(p, va, n) {
            Some(b) => quote(&b, len > SHOWN),
            None => ptr(va),
        }
    }

    /// A NUL-terminated user string, quoted, or its address if unreadable.
    pub(crate) fn string_text(&self, p: &Process, va: u32) -> String {
        match self.peek_user_string(p, va, PATH_MAX) {
            Some((s, _)) if va != 0 => quote(&s, false),
            _ => ptr(va),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bytes_and_flags_read_like_strace() {
        assert_eq!(quote(b"hi\n\x01", false), "\"hi\\n\\1\"");
        assert_eq!(quote(b"abc", true), "\"abc\"...");
        assert_eq!(flag_names(5, &[(1, "A"), (4, "C")], "0"), "A|C");
        assert_eq!(flag_names(0x11, &[(1, "A")], "0"), "A|0x10");
        assert_eq!(
            (ptr(0), hex_or_zero(0), ptr(0x10)),
            ("NULL".into(), "0".into(), "0x10".into())
        );
    }
}
