//! Looking at a live process the way /proc and a page-table dump would show it:
//! shared by the report, the stepper and the gdb monitor commands.

use std::fmt::Write;
use toyemu_emulator::cpu::segment::{SegmentDescriptor, GDT_ENTRY_TLS_MAX, GDT_ENTRY_TLS_MIN};
use toyemu_emulator::paging::{describe, ENTRIES};
use toyemu_emulator::{PageTable, Pte, VirtAddr, PAGE_SIZE};
use toyemu_kernel::layout::USER_PDES;
use toyemu_kernel::vma::VmaKind;
use toyemu_kernel::{Cause, Kernel, Process, VmaSnapshot};

/// The name a report gives a mapping: the maps line's, except that the
/// program's own segments are named as it was given on the command line.
pub fn vma_name<'a>(v: &'a VmaSnapshot, program: &'a str) -> &'a str {
    match v.kind {
        VmaKind::ElfSegment(_) => program,
        _ => &v.name,
    }
}

/// `/proc/PID/maps` lines, each followed by what only toyemu knows:
/// resident pages and faults taken in that kind of mapping. The program's
/// own segments are named as it was given on the command line.
pub fn maps(vmas: &[VmaSnapshot], program: &str) -> String {
    let mut out = String::new();
    for v in vmas {
        let pages = (v.end.0 - v.start.0) / PAGE_SIZE;
        let name = vma_name(v, program);
        let (major, minor) = ((v.dev >> 8) & 0xfff, v.dev & 0xff);
        let _ = writeln!(
            out,
            "{:08x}-{:08x} {}p {:08x} {major:02x}:{minor:02x} {:<8} {:<24} resident {:>5}/{:<6} faults {}",
            v.start.0,
            v.end.0,
            v.prot.rwx(),
            v.offset,
            v.ino,
            name,
            v.resident,
            pages,
            v.faults
        );
    }
    out
}

/// The page walk for `va`: PDE and PTE with their bits, the frame, the TLB.
pub fn page_walk(k: &Kernel, va: VirtAddr) -> String {
    let w = k.machine().mmu().peek(va);
    let mut out = String::new();
    let _ = writeln!(
        out,
        "{va}: directory index {:#05x}, table index {:#05x}, offset {:#05x}",
        va.pd_index(),
        va.pt_index(),
        va.page_offset()
    );
    let _ = writeln!(
        out,
        "  PDE at {} = {:#010x} [{}]{}",
        w.pde_addr,
        w.pde.raw(),
        describe(w.pde.flags()),
        frame_of(w.pde)
    );
    match (w.pte_addr, w.pte) {
        (Some(a), Some(pte)) => {
            let _ = writeln!(
                out,
                "  PTE at {a} = {:#010x} [{}]{}",
                pte.raw(),
                describe(pte.flags()),
                frame_of(pte)
            );
            if pte.is_present() {
                let _ = writeln!(
                    out,
                    "  -> physical {:#010x}",
                    pte.frame().base().0 | va.page_offset()
                );
            } else if pte.raw() != 0 {
                let _ = writeln!(out, "  -> not present, frame kept (PROT_NONE)");
            } else {
                let _ = writeln!(out, "  -> not present: the next access faults");
            }
        }
        _ => {
            let _ = writeln!(out, "  no page table here: the next access faults");
        }
    }
    let _ = match k.machine().mmu().tlb().peek(va.vpn()) {
        Some(e) => writeln!(
            out,
            "  TLB: cached -> frame {:#x}{}",
            e.frame_base >> 12,
            if e.writable {
                ", writable"
            } else {
                ", read-only or clean"
            }
        ),
        None => writeln!(out, "  TLB: not cached"),
    };
    out
}

fn frame_of(e: Pte) -> String {
    if e.raw() == 0 {
        String::new()
    } else {
        format!(" frame {:#x}", e.frame().0)
    }
}

/// The frame allocator and what the process holds, by cause.
pub fn frames(k: &Kernel, p: &Process) -> String {
    let mut out = String::new();
    let f = &k.frames();
    let _ = writeln!(
        out,
        "frames: {} total ({} KiB each), {} free, {} in use",
        f.total_frames(),
        PAGE_SIZE / 1024,
        f.free_frames(),
        f.used_frames()
    );
    if let Some(mm) = p.mm() {
        let l = &mm.ledger();
        for c in Cause::ALL {
            let held = l.taken(c) - l.returned(c);
            let _ = writeln!(
                out,
                "  {:<12} held {:>6}  (taken {}, returned {})",
                c.name(),
                held,
                l.taken(c),
                l.returned(c)
            );
        }
    }
    out
}

/// Present page tables: directory index, the range they cover, their frame.
pub fn page_tables(k: &Kernel, p: &Process) -> Vec<(usize, u32, u32)> {
    let Some(mm) = p.mm() else {
        return Vec::new();
    };
    let phys = k.machine().mmu().phys();
    PageTable(mm.directory().0)
        .populated(phys, 0..USER_PDES)
        .filter(|(_, pde)| pde.is_present())
        .map(|(i, pde)| {
            let used = PageTable(pde.frame()).populated(phys, 0..ENTRIES).count();
            (i, pde.frame().0, used as u32)
        })
        .collect()
}

/// One page table: its directory entry and every entry in use (present,
/// or kept without P for a PROT_NONE page), by table index.
#[derive(Debug, Clone)]
pub struct TableEntries {
    pub pd_index: usize,
    pub pde: Pte,
    pub entries: Vec<(usize, Pte)>,
}

/// The page tables of `p` entry by entry, in directory order.
pub fn table_entries(k: &Kernel, p: &Process) -> Vec<TableEntries> {
    let Some(mm) = p.mm() else {
        return Vec::new();
    };
    let phys = k.machine().mmu().phys();
    PageTable(mm.directory().0)
        .populated(phys, 0..USER_PDES)
        .filter(|(_, pde)| pde.is_present())
        .map(|(pd_index, pde)| TableEntries {
            pd_index,
            pde,
            entries: PageTable(pde.frame()).populated(phys, 0..ENTRIES).collect(),
        })
        .collect()
}

/// One thread-local-storage entry of the GDT that the program filled with
/// set_thread_area, and the segment registers holding its selector.
#[derive(Debug, Clone)]
pub struct TlsSegment {
    pub entry: usize,
    pub desc: SegmentDescriptor,
    pub loaded_in: Vec<&'static str>,
}

impl TlsSegment {
    /// Its selector: GDT, RPL 3.
    pub fn selector(&self) -> u16 {
        (self.entry as u16) << 3 | 3
    }

    /// The last byte the segment reaches above its base.
    pub fn limit_bytes(&self) -> u32 {
        if self.desc.g {
            self.desc.limit << 12 | 0xfff
        } else {
            self.desc.limit
        }
    }
}

/// The TLS entries in use (GDT entries 6 to 8).
pub fn tls_segments(k: &Kernel) -> Vec<TlsSegment> {
    let cpu = k.machine().cpu();
    let sel = cpu.selectors();
    let regs = [
        ("%cs", sel.cs),
        ("%ss", sel.ss),
        ("%ds", sel.ds),
        ("%es", sel.es),
        ("%fs", sel.fs),
        ("%gs", sel.gs),
    ];
    (GDT_ENTRY_TLS_MIN..=GDT_ENTRY_TLS_MAX)
        .map(|entry| (entry, cpu.tls_descriptor(entry)))
        .filter(|(_, d)| *d != SegmentDescriptor::NULL)
        .map(|(entry, desc)| TlsSegment {
            entry,
            desc,
            // A selector names a GDT entry by its index (bits 3-15), TI 0.
            loaded_in: regs
                .iter()
                .filter(|(_, s)| *s as usize >> 3 == entry && s & 4 == 0)
                .map(|(r, _)| *r)
                .collect(),
        })
        .collect()
}

/// The TLS entries as the report shows them, each with the mapping its
/// base lies in (where the libc put its thread control block).
pub fn tls_text(segs: &[TlsSegment], vmas: &[VmaSnapshot], program: &str) -> String {
    if segs.is_empty() {
        return "none: the program never called set_thread_area\n".to_string();
    }
    let mut out = String::new();
    for s in segs {
        let d = &s.desc;
        let within = vmas
            .iter()
            .find(|v| v.start.0 <= d.base && d.base < v.end.0)
            .map_or("nothing mapped".to_string(), |v| {
                let name = vma_name(v, program);
                if name.is_empty() {
                    format!("an anonymous mapping at {:#010x}", v.start.0)
                } else {
                    name.to_string()
                }
            });
        let kind = if d.typ & SegmentDescriptor::CODE != 0 {
            "code"
        } else if d.typ & SegmentDescriptor::WRITABLE_OR_READABLE != 0 {
            "data rw"
        } else {
            "data r-"
        };
        let used = if s.loaded_in.is_empty() {
            "in no segment register".to_string()
        } else {
            format!("in {}", s.loaded_in.join(" "))
        };
        let _ = writeln!(
            out,
            "GDT entry {} (selector {:#06x}, {used}): base {:#010x} (in {within}), limit {:#010x}{}, {kind}{}",
            s.entry,
            s.selector(),
            d.base,
            s.limit_bytes(),
            if d.g { " (4 KiB units)" } else { "" },
            if d.present { "" } else { ", not present" }
        );
    }
    out
}
