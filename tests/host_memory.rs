//! What a guest costs the host: guest RAM is committed lazily, so a run
//! that touched N pages grows the host's resident set by about N × 4 KiB
//! plus a fixed overhead, whatever `--mem` says.
//!
//! Resident-set sizes are per process, so this file holds one test: no
//! other test runs beside it in this binary to disturb the figures.

mod common;

use common::*;
use toyemu::compile::Opt;
use toyemu::{host_rss_kib, Options};

/// What the emulator itself may add on top of the guest's pages: page
/// tables, decoded code, the frame allocator, the host's own allocations.
const OVERHEAD_KIB: u64 = 24 << 10;

/// Run `touch MIB` on a machine of `mem` bytes; (RSS growth, pages touched).
fn growth(mem: u64, mib: u64) -> (u64, u64) {
    let exe = build("tests/hostile/touch.c", Opt::O2);
    let opts = Options {
        mem_bytes: mem,
        keep_events: false,
        ..Options::default()
    };
    let before = host_rss_kib().expect("this test needs /proc/self/status");
    let c = run_with(&exe, &[&mib.to_string()], &opts);
    assert_eq!(c.report.status.code(), 0);
    assert_all_reclaimed(&c);
    let at_exit = c
        .report
        .host_rss_kib
        .expect("the report carries the host RSS");
    let touched = c.report.stats.zero_fills + c.report.stats.file_fills;
    (at_exit.saturating_sub(before), touched)
}

#[test]
fn host_memory_follows_touched_pages_not_guest_ram() {
    // Warm up: the first run pays for the libc build and the host's own
    // one-time allocations.
    growth(64 << 20, 1);
    for (mem, mib) in [(3u64 << 30, 1u64), (1 << 30, 64), (3 << 30, 256)] {
        let (grew, touched) = growth(mem, mib);
        let pages_kib = touched * 4;
        eprintln!(
            "guest RAM {} MiB, {touched} pages touched ({} KiB): host RSS grew {grew} KiB",
            mem >> 20,
            pages_kib
        );
        assert!(touched >= mib * 256, "the guest touched what it said");
        assert!(
            grew <= pages_kib + OVERHEAD_KIB,
            "{} MiB guest, {mib} MiB touched: host grew {grew} KiB, more than {pages_kib} KiB + {OVERHEAD_KIB} KiB",
            mem >> 20
        );
        // And the pages really are held by the host while the guest has them.
        assert!(
            grew + OVERHEAD_KIB >= pages_kib,
            "host grew only {grew} KiB for {pages_kib} KiB of touched pages: is RSS measured?"
        );
    }
}
