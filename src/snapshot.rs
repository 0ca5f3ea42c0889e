//! `--snapshot-each=syscall`: the address space after every syscall, as text
//! made to be diffed — VMAs, then every page-table entry in use.

use crate::inspect::{maps, page_tables};
use std::fmt::Write as _;
use std::io::Write as _;
use std::path::{Path, PathBuf};
use toyemu_emulator::paging::{describe, ENTRIES};
use toyemu_emulator::{Frame, PageTable};
use toyemu_kernel::kernel::SyscallHook;
use toyemu_kernel::syscall::name_of;
use toyemu_kernel::{Kernel, Process};

/// The address space of `p` now.
pub fn text(k: &Kernel, p: &Process, program: &str) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "# vmas");
    out.push_str(&maps(&k.vma_snapshots(p), program));
    if let Some(mm) = p.mm() {
        let _ = writeln!(
            out,
            "# brk {:#010x} (start {:#010x})",
            mm.brk_range().1 .0,
            mm.brk_range().0 .0
        );
        let _ = writeln!(out, "# page directory: frame {:#x}", mm.directory().0 .0);
    }
    for (pdi, frame, used) in page_tables(k, p) {
        let _ = writeln!(
            out,
            "PDE {pdi:#05x} -> table frame {frame:#x} ({used} entries)"
        );
        let table = PageTable(Frame(frame));
        for (pti, pte) in table.populated(k.machine().mmu().phys(), 0..ENTRIES) {
            {
                let va = ((pdi as u32) << 22) | ((pti as u32) << 12);
                let _ = writeln!(
                    out,
                    "  {va:#010x} PTE {:#010x} [{}] frame {:#x}",
                    pte.raw(),
                    describe(pte.flags()),
                    pte.frame().0
                );
            }
        }
    }
    out
}

/// A hook that writes `DIR/NNNN-name.txt` after each syscall. The first
/// file that cannot be written is named on stderr and ends the snapshots
/// (the program runs on: its run is not the snapshots' to spoil).
pub fn writer(dir: &Path, program: String) -> std::io::Result<SyscallHook> {
    std::fs::create_dir_all(dir)?;
    let dir: PathBuf = dir.to_path_buf();
    let mut n = 0u32;
    let mut failed = false;
    Ok(Box::new(move |k: &Kernel, p: &Process, nr: u32| {
        if failed {
            return;
        }
        n += 1;
        let path = dir.join(format!("{n:04}-{}.txt", name_of(nr)));
        if let Err(e) = std::fs::write(&path, text(k, p, &program)) {
            failed = true;
            let _ = writeln!(
                std::io::stderr(),
                "toyemu: cannot write {}: {e} (no more snapshots)",
                path.display()
            );
        }
    }))
}
