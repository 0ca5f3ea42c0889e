//! Writing SVG and HTML by hand: escaping, numbers, and the class each
//! kind of mapping, frame and tick is drawn with (the colours are in
//! `page.css`, one place).

use crate::leaks::Kind;
use toyemu_kernel::vma::{Prot, VmaKind};
use toyemu_kernel::Cause;

/// The width of every chart, its left margin for labels, and the plot
/// between (data x runs 0..[`PLOT`] before zooming).
pub const WIDTH: f64 = 1200.0;
pub const LEFT: f64 = 180.0;
pub const PLOT: f64 = 1000.0;

/// Text made safe for HTML content and attribute values (newlines kept
/// as `&#10;`, which a tooltip shows as line breaks).
pub fn esc(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 8);
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' => out.push_str("&quot;"),
            '\'' => out.push_str("&#39;"),
            '\n' => out.push_str("&#10;"),
            c if c.is_control() => out.push('\u{fffd}'),
            c => out.push(c),
        }
    }
    out
}

/// A coordinate with at most two decimals.
pub fn n(x: f64) -> String {
    let s = format!("{x:.2}");
    let s = s.trim_end_matches('0').trim_end_matches('.');
    match s {
        "-0" | "" => "0".into(),
        s => s.into(),
    }
}

/// `35,767`.
pub fn count(v: u64) -> String {
    let digits = v.to_string();
    let mut out = String::new();
    for (i, c) in digits.chars().enumerate() {
        if i > 0 && (digits.len() - i).is_multiple_of(3) {
            out.push(',');
        }
        out.push(c);
    }
    out
}

/// The class a mapping is drawn with: the ELF's segments by what they
/// hold (code, read-only data, data), the rest by kind.
pub fn vma_class(kind: VmaKind, prot: Prot) -> &'static str {
    match kind {
        _ if prot.is_empty() => "k-none",
        VmaKind::ElfSegment(_) if prot.contains(Prot::EXEC) => "k-code",
        VmaKind::ElfSegment(_) if prot.contains(Prot::WRITE) => "k-data",
        VmaKind::ElfSegment(_) => "k-rodata",
        VmaKind::Heap => "k-heap",
        VmaKind::Mmap => "k-mmap",
        VmaKind::Stack => "k-stack",
    }
}

/// A mapping as the axis names it: `elf 1 r-x`, `heap`, `mmap rw-`.
pub fn vma_label(kind: VmaKind, prot: Prot) -> String {
    match kind {
        VmaKind::ElfSegment(i) => format!("elf {i} {}", prot.rwx()),
        VmaKind::Mmap => format!("mmap {}", prot.rwx()),
        k => k.to_string(),
    }
}

/// The class a kind of frame is drawn with: `c-elf`, `c-page-tables`.
pub fn cause_class(c: Cause) -> String {
    format!("c-{}", c.name().replace(' ', "-"))
}

/// The class a block still in use at exit is drawn with.
pub fn leak_class(k: Kind) -> &'static str {
    match k {
        Kind::DefinitelyLost => "h-definitely",
        Kind::IndirectlyLost => "h-indirectly",
        Kind::PossiblyLost => "h-possibly",
        Kind::StillReachable => "h-reachable",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn text_from_the_guest_cannot_open_a_tag() {
        assert_eq!(
            esc("write(1, \"<script>\"..., 9) = 9\n'x'&"),
            "write(1, &quot;&lt;script&gt;&quot;..., 9) = 9&#10;&#39;x&#39;&amp;"
        );
        assert_eq!(esc("a\u{1b}b"), "a\u{fffd}b");
    }

    #[test]
    fn numbers_are_short() {
        assert_eq!(n(12.0), "12");
        assert_eq!(n(0.126), "0.13");
        assert_eq!(n(-0.001), "0");
        assert_eq!(count(35767), "35,767");
        assert_eq!(count(999), "999");
        assert_eq!(count(1_000_000), "1,000,000");
    }
}
