//! The OOM killer's report: what the victim held when RAM ran out, in the
//! words of Linux's kernel log line
//! `Out of memory: Killed process PID (NAME) total-vm:..kB, anon-rss:..kB, ...`.
//!
//! Linux counts a private file page as anonymous once it has been written
//! (copy-on-write gave the process its own copy); here the PTE's dirty bit
//! says the same of an ELF page, and its `.bss` part is anonymous from the start.

use crate::address_space::AddressSpace;
use crate::layout::UID;
use crate::vma::Backing;
use std::fmt;
use toyemu_emulator::{Mmu, PteFlags, PAGE_SIZE};

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
    /// The process whose fault found no frame, when the OOM killer chose
    /// another (a bigger one) to kill.
    pub faulter: Option<u32>,
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

impl OomReport {
    /// Linux's `oom_badness` with oom_score_adj 0: resident pages plus page
    /// tables, in pages. The OOM killer kills the process with the most.
    pub fn badness(&self) -> u64 {
        (self.anon_rss_kb + self.file_rss_kb + self.pgtables_kb) / (PAGE_SIZE as u64 / 1024)
    }

    /// What process `pid` (`name`) holds in `mm` now, counted as Linux's
    /// OOM killer counts it.
    pub fn measure(pid: u32, name: &str, mm: &AddressSpace, mmu: &Mmu) -> OomReport {
        let kb = |pages: u64| pages * (PAGE_SIZE as u64 / 1024);
        let (mut anon, mut file, mut total_vm) = (0u64, 0u64, 0u64);
        for v in mm.vmas().iter() {
            total_vm += v.len() as u64 / 1024;
            // Linux counts a private file page as anonymous once written.
            let file_end = match &v.backing {
                Backing::File {
                    vaddr, file_len, ..
                } => vaddr.saturating_add(*file_len),
                Backing::Anon | Backing::SharedAnon => 0,
            };
            let mut at = v.start;
            while let Some((va, _, pte)) = mm.next_populated(mmu, at, v.end) {
                if va.0 < file_end && !pte.flags().contains(PteFlags::D) {
                    file += 1;
                } else {
                    anon += 1;
                }
                match va.checked_add(PAGE_SIZE) {
                    Some(next) => at = next,
                    None => break,
                }
            }
        }
        OomReport {
            pid,
            name: name.rsplit('/').next().unwrap_or_default().to_string(),
            total_vm_kb: total_vm,
            anon_rss_kb: kb(anon),
            file_rss_kb: kb(file),
            pgtables_kb: kb(mm.page_tables() as u64 + 1),
            uid: UID,
            faulter: None,
        }
    }
}
