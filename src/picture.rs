//! A drawing of the 4 GiB address space with this process's real regions,
//! top (0xffffffff) to bottom (0). Heights grow with the logarithm of a
//! region's size; a gap too big to draw is a break line with its size.

use crate::inspect::vma_name;
use std::fmt::Write;
use toyemu_kernel::layout::{MMAP_MIN_ADDR, TASK_SIZE};
use toyemu_kernel::VmaSnapshot;

/// Human size: `4 KiB`, `1.5 MiB`, `1 GiB`.
pub fn size(bytes: u64) -> String {
    const UNITS: [(&str, u64); 3] = [("GiB", 1 << 30), ("MiB", 1 << 20), ("KiB", 1 << 10)];
    for (u, n) in UNITS {
        if bytes >= n {
            let v = bytes as f64 / n as f64;
            return if v.fract() == 0.0 {
                format!("{v:.0} {u}")
            } else {
                format!("{v:.1} {u}")
            };
        }
    }
    format!("{bytes} B")
}

/// One band of the picture, from `end` down to `start`.
struct Band {
    start: u64,
    end: u64,
    label: String,
    /// Unmapped space: drawn as a break when large.
    gap: bool,
}

fn rows(len: u64) -> usize {
    // 4 KiB → 1 row, 1 MiB → 2, 64 MiB → 3, 1 GiB → 4 …
    (((len.max(4096) as f64).log2() - 12.0) / 5.0).floor() as usize + 1
}

pub fn draw(vmas: &[VmaSnapshot], program: &str) -> String {
    let mut bands = vec![Band {
        start: TASK_SIZE.0 as u64,
        end: 1 << 32,
        label: "kernel space: any user access is SIGSEGV".into(),
        gap: false,
    }];
    let mut top = TASK_SIZE.0 as u64;
    for v in vmas.iter().rev() {
        let (s, e) = (v.start.0 as u64, v.end.0 as u64);
        if e < top {
            bands.push(Band {
                start: e,
                end: top,
                label: String::new(),
                gap: true,
            });
        }
        let name = match vma_name(v, program) {
            "" => String::from("[mmap]"),
            n if n == program => format!("{} ({})", v.kind, v.prot.rwx()),
            n => format!("{n} ({})", v.prot.rwx()),
        };
        let label = format!(
            "{name}, {} resident of {}",
            size(v.resident as u64 * 4096),
            size(e - s)
        );
        bands.push(Band {
            start: s,
            end: e,
            label,
            gap: false,
        });
        top = s;
    }
    if top > MMAP_MIN_ADDR.0 as u64 {
        bands.push(Band {
            start: MMAP_MIN_ADDR.0 as u64,
            end: top,
            label: String::new(),
            gap: true,
        });
    }
    bands.push(Band {
        start: 0,
        end: MMAP_MIN_ADDR.0 as u64,
        label: "null guard: never mapped".into(),
        gap: false,
    });

    let mut out = String::new();
    let width = 56;
    let _ = writeln!(out, "0x{:08x} +{}+", u32::MAX, "-".repeat(width));
    for b in &bands {
        let len = b.end - b.start;
        if b.gap {
            let _ = writeln!(out, "           |{:^width$}|", "");
            let _ = writeln!(
                out,
                "           ~{:^width$}~",
                format!("{} unmapped", size(len))
            );
            let _ = writeln!(out, "           |{:^width$}|", "");
        } else {
            let n = rows(len).min(4);
            for i in 0..n {
                let text = if i == n / 2 { b.label.as_str() } else { "" };
                let text: String = text.chars().take(width - 2).collect();
                let _ = writeln!(out, "           | {:<w$} |", text, w = width - 2);
            }
        }
        let _ = writeln!(out, "0x{:08x} +{}+", b.start, "-".repeat(width));
    }
    out
}

#[cfg(test)]
mod tests {
    use super::size;

    #[test]
    fn sizes_read_naturally() {
        assert_eq!(size(4096), "4 KiB");
        assert_eq!(size(135168), "132 KiB");
        assert_eq!(size(3 << 29), "1.5 GiB");
        assert_eq!(size(12), "12 B");
    }
}
