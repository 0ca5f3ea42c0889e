//! The OOM killer's report: what the victim held when RAM ran out, in the
//! words of Linux's kernel log line
//! `Out of memory: Killed process PID (NAME) total-vm:..kB, anon-rss:..kB, ...`.
//!
//! Linux counts a private file page as anonymous once it has been written
//! (copy-on-write gave the process its own copy); here the PTE's dirty bit
//! says the same of an ELF page, and its `.bss` part is anonymous from the start.

use crate::kernel::Kernel;
use crate::process::Process;
use crate::signal::Death;
use crate::vma::{Backing, VmaKind};
use std::fmt;
use toyemu_emulator::{PteFlags, VirtAddr, PAGE_SIZE};

/// The victim's memory at the moment of the kill, in KiB as Linux prints it.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct OomReport {
    pub pid: u32,
    pub name: String,
    /// Everything mapped, populated or not.
    pub total_vm_kb: u64,
    /// Heap, mmap, stack and written or `.bss` ELF pages.
    pub anon_rss_kb: u64,
    /// ELF pages still as the file has them.
    pub file_rss_kb: u64,
    /// Page tables and the page directory.
    pub pgtables_kb: u64,
    pub uid: u32,
}

impl fmt::Display for OomReport {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "Killed process {} ({}) total-vm:{}kB, anon-rss:{}kB, file-rss:{}kB, \
             shmem-rss:0kB, UID:{} pgtables:{}kB oom_score_adj:0",
            self.pid,
            self.name,
            self.total_vm_kb,
            self.anon_rss_kb,
            self.file_rss_kb,
            self.uid,
            self.pgtables_kb
        )
    }
}

impl Kernel {
    /// The death of `p`, out of frames while making `addr` accessible at `eip`.
    pub fn oom_death(&self, p: &Process, addr: VirtAddr, eip: VirtAddr) -> Death {
        Death::OutOfMemory {
            addr,
            eip,
            report: Box::new(self.oom_report(p)),
        }
    }

    /// Fill in the report of an OOM death built without access to the process.
    pub(crate) fn complete_oom_report(&self, p: &Process, death: Death) -> Death {
        match death {
            Death::OutOfMemory { addr, eip, .. } => self.oom_death(p, addr, eip),
            other => other,
        }
    }

    /// What `p` holds now, counted as Linux's OOM killer counts it.
    pub fn oom_report(&self, p: &Process) -> OomReport {
        let kb = |pages: u64| pages * (PAGE_SIZE as u64 / 1024);
        let mut r = OomReport {
            pid: p.pid,
            name: p.name.rsplit('/').next().unwrap_or_default().to_string(),
            uid: crate::stack::UID,
            ..OomReport::default()
        };
        let Some(mm) = p.mm.as_ref() else { return r };
        let mmu = self.machine.mmu();
        let (mut anon, mut file) = (0u64, 0u64);
        for v in mm.vmas.iter() {
            r.total_vm_kb += v.len() as u64 / 1024;
            let (
                VmaKind::ElfSegment(_),
                Backing::Image {
                    vaddr, file_len, ..
                },
            ) = (v.kind, v.backing)
            else {
                anon += mm.resident_in(mmu, v.start, v.end) as u64;
                continue;
            };
            for va in (v.start.0..v.end.0).step_by(PAGE_SIZE as usize) {
                let pte = mm.pte(mmu, VirtAddr(va));
                if !pte.is_present() && !pte.flags().contains(crate::address_space::PTE_PROTNONE) {
                    continue;
                }
                let from_file = va < vaddr.saturating_add(file_len);
                if from_file && !pte.flags().contains(PteFlags::D) {
                    file += 1;
                } else {
                    anon += 1;
                }
            }
        }
        r.anon_rss_kb = kb(anon);
        r.file_rss_kb = kb(file);
        r.pgtables_kb = kb(mm.page_tables(mmu) as u64 + 1);
        r
    }
}
