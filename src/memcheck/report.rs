//! What memcheck found, as values (`Summary`, `MemError`, `LossRecord`)
//! and as valgrind's memcheck prints it: `==PID==` lines, each error with
//! its stack, where its address lies, and the summaries at exit.

use super::blocks::{Stack, Whereabouts};
use crate::leaks::Kind as LeakKind;
use crate::symbols::Symbols;
use serde_json::{json, Value};
use std::fmt::Write;

/// The kinds of error, each named as valgrind heads it.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum ErrorKind {
    InvalidRead {
        size: u8,
    },
    InvalidWrite {
        size: u8,
    },
    /// free() or realloc() of an address no block starts at.
    InvalidFree,
    /// free() of a block already freed.
    DoubleFree,
    /// realloc() of a block already freed.
    ReallocFreed,
}

impl ErrorKind {
    /// valgrind's headline, with what it means when valgrind leaves that
    /// to the address line.
    pub fn headline(self) -> String {
        match self {
            ErrorKind::InvalidRead { size } => format!("Invalid read of size {size}"),
            ErrorKind::InvalidWrite { size } => format!("Invalid write of size {size}"),
            ErrorKind::InvalidFree => "Invalid free() / delete / delete[] / realloc()".into(),
            ErrorKind::DoubleFree => {
                "Invalid free() / delete / delete[] / realloc() (a double free)".into()
            }
            ErrorKind::ReallocFreed => {
                "Invalid free() / delete / delete[] / realloc() (realloc of a freed block)".into()
            }
        }
    }

    /// For JSON and tests: `invalid_read`, `double_free`, ...
    pub fn key(self) -> &'static str {
        match self {
            ErrorKind::InvalidRead { .. } => "invalid_read",
            ErrorKind::InvalidWrite { .. } => "invalid_write",
            ErrorKind::InvalidFree => "invalid_free",
            ErrorKind::DoubleFree => "double_free",
            ErrorKind::ReallocFreed => "realloc_freed",
        }
    }

    /// Bytes accessed, for reads and writes.
    pub fn size(self) -> Option<u8> {
        match self {
            ErrorKind::InvalidRead { size } | ErrorKind::InvalidWrite { size } => Some(size),
            _ => None,
        }
    }
}

/// One error context: its first occurrence, and how many there were.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct MemError {
    pub kind: ErrorKind,
    /// The address accessed or freed.
    pub addr: u32,
    /// Where it happened, innermost first.
    pub at: Stack,
    pub whereabouts: Whereabouts,
    /// Occurrences of this context (same kind at the same instruction).
    pub count: u64,
}

/// Blocks of one leak kind allocated from one place.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LossRecord {
    pub kind: LeakKind,
    pub bytes: u64,
    pub blocks: u64,
    pub alloc: Stack,
}

/// Everything memcheck has to say about a run.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    pub pid: u32,
    pub errors: Vec<MemError>,
    /// Loss records, in valgrind's order (by kind, then bytes).
    pub leaks: Vec<LossRecord>,
    /// (bytes, blocks) still allocated at exit.
    pub in_use: (u64, u64),
    pub allocs: u64,
    pub frees: u64,
    pub bytes_allocated: u64,
    /// Set once the leak check has run (at exit).
    pub leak_checked: bool,
}

impl Summary {
    /// (bytes, blocks) lost or held at exit, of one kind.
    pub fn of_kind(&self, kind: LeakKind) -> (u64, u64) {
        self.leaks
            .iter()
            .filter(|r| r.kind == kind)
            .fold((0, 0), |(b, n), r| (b + r.bytes, n + r.blocks))
    }

    /// Loss records that count as errors (valgrind's default
    /// `--errors-for-leak-kinds=definite,possible`).
    fn leak_errors(&self) -> impl Iterator<Item = &LossRecord> {
        self.leaks
            .iter()
            .filter(|r| matches!(r.kind, LeakKind::DefinitelyLost | LeakKind::PossiblyLost))
    }

    /// Errors, every occurrence counted, and contexts.
    pub fn error_counts(&self) -> (u64, u64) {
        let leaks = self.leak_errors().count() as u64;
        (
            self.errors.iter().map(|e| e.count).sum::<u64>() + leaks,
            self.errors.len() as u64 + leaks,
        )
    }
}

/// A stack as valgrind prints it: `at` the innermost frame, `by` each caller.
fn stack_lines(out: &mut String, pid: u32, stack: &Stack, syms: &Symbols) {
    for (i, &pc) in stack.iter().enumerate() {
        let (word, name) = match i {
            0 => ("at", syms.describe(pc)),
            _ => ("by", syms.describe_return(pc)),
        };
        let _ = writeln!(out, "=={pid}==    {word} {pc:#010x}: {name}");
    }
}

/// One error, as it is printed when it happens.
pub fn error_text(e: &MemError, pid: u32, syms: &Symbols) -> String {
    let mut out = String::new();
    let _ = writeln!(out, "=={pid}== {}", e.kind.headline());
    stack_lines(&mut out, pid, &e.at, syms);
    let addr = e.addr;
    if let Some(n) = e.whereabouts.near_block() {
        let done = if n.freed.is_some() {
            "free'd"
        } else {
            "alloc'd"
        };
        let _ = writeln!(
            out,
            "=={pid}==  Address {addr:#010x} is {} bytes {} a block of size {} {done}",
            n.off, n.relation, n.block.size
        );
        if let Some(freed) = n.freed {
            stack_lines(&mut out, pid, freed, syms);
            let _ = writeln!(out, "=={pid}==  Block was alloc'd at");
        }
        stack_lines(&mut out, pid, &n.block.alloc, syms);
    } else {
        let place = match &e.whereabouts {
            Whereabouts::Stack { below } => {
                format!("on thread 1's stack\n=={pid}==  {below} bytes below stack pointer")
            }
            Whereabouts::OnStack => "on thread 1's stack".into(),
            _ => "not stack'd, malloc'd or (recently) free'd".into(),
        };
        let _ = writeln!(out, "=={pid}==  Address {addr:#010x} is {place}");
    }
    let _ = writeln!(out, "=={pid}==");
    out
}

/// The caller of a stack taken at an allocator's entry (frame 1), or the
/// place itself, as a one-line trace names it.
fn site(stack: &Stack, syms: &Symbols) -> String {
    match stack.get(1) {
        Some(&ra) => syms.describe_return(ra),
        None => stack.first().map_or("?".into(), |&pc| syms.describe(pc)),
    }
}

/// One error on one line, as the trace shows it: `Invalid write of size 4
/// at main+0x2a (bug.c:12): 0x0804f028 is 0 bytes after a block of size 24
/// alloc'd at main+0x15 (bug.c:9)`.
pub fn error_line(e: &MemError, syms: &Symbols) -> String {
    let at = e.at.first().map_or("?".into(), |&pc| match e.at.get(1) {
        // A bad free is named by its call, not free's entry.
        Some(&ra) if e.kind.size().is_none() => syms.describe_return(ra),
        _ => syms.describe(pc),
    });
    let addr = e.addr;
    let place = match (e.whereabouts.near_block(), &e.whereabouts) {
        (Some(n), _) => {
            let (done, site_of) = match n.freed {
                Some(f) => ("free'd", f),
                None => ("alloc'd", &n.block.alloc),
            };
            format!(
                "{} bytes {} a block of size {} {done} at {}",
                n.off,
                n.relation,
                n.block.size,
                site(site_of, syms)
            )
        }
        (None, Whereabouts::Stack { below }) => format!("{below} bytes below the stack pointer"),
        (None, Whereabouts::OnStack) => "on the stack".into(),
        (None, _) => "not stack'd, malloc'd or (recently) free'd".into(),
    };
    format!("{} at {at}: {addr:#010x} is {place}", e.kind.headline())
}

fn plural(n: u64, one: &str) -> String {
    format!("{n} {one}{}", if n == 1 { "" } else { "s" })
}

/// The heap summary, the loss records, the leak summary and the error
/// summary: what valgrind prints at exit.
pub fn exit_text(s: &Summary, syms: &Symbols) -> String {
    let pid = s.pid;
    let mut out = String::new();
    let _ = writeln!(out, "=={pid}== HEAP SUMMARY:");
    let _ = writeln!(
        out,
        "=={pid}==     in use at exit: {} bytes in {}",
        s.in_use.0,
        plural(s.in_use.1, "block")
    );
    let _ = writeln!(
        out,
        "=={pid}==   total heap usage: {} allocs, {} frees, {} bytes allocated",
        s.allocs, s.frees, s.bytes_allocated
    );
    let _ = writeln!(out, "=={pid}==");
    if s.in_use.1 == 0 {
        let _ = writeln!(
            out,
            "=={pid}== All heap blocks were freed -- no leaks are possible"
        );
        let _ = writeln!(out, "=={pid}==");
    } else {
        let shown: Vec<&LossRecord> = s
            .leaks
            .iter()
            .filter(|r| r.kind != LeakKind::StillReachable)
            .collect();
        for (i, r) in shown.iter().enumerate() {
            let _ = writeln!(
                out,
                "=={pid}== {} bytes in {} are {} in loss record {} of {}",
                r.bytes,
                plural(r.blocks, "block"),
                r.kind.name(),
                i + 1,
                shown.len()
            );
            stack_lines(&mut out, pid, &r.alloc, syms);
            let _ = writeln!(out, "=={pid}==");
        }
        let _ = writeln!(out, "=={pid}== LEAK SUMMARY:");
        for kind in LeakKind::ALL {
            let (bytes, blocks) = s.of_kind(kind);
            let _ = writeln!(
                out,
                "=={pid}==    {:>15}: {bytes} bytes in {}",
                kind.name(),
                plural(blocks, "block")
            );
        }
        let _ = writeln!(out, "=={pid}==");
    }
    let (errors, contexts) = s.error_counts();
    let _ = writeln!(
        out,
        "=={pid}== ERROR SUMMARY: {} from {}",
        plural(errors, "error"),
        plural(contexts, "context")
    );
    out
}

/// The errors as one line each and the leak and error summary, for
/// `--report` (the `==PID==` text went to stderr as it happened).
pub fn summary_text(s: &Summary, syms: &Symbols) -> String {
    let mut out = String::new();
    for e in &s.errors {
        let times = if e.count > 1 {
            format!(" ({} times)", e.count)
        } else {
            String::new()
        };
        let _ = writeln!(out, "  {}{times}", error_line(e, syms));
    }
    for kind in LeakKind::ALL {
        let (bytes, blocks) = s.of_kind(kind);
        let _ = writeln!(
            out,
            "  {:>15}: {bytes} bytes in {}",
            kind.name(),
            plural(blocks, "block")
        );
    }
    let (errors, contexts) = s.error_counts();
    let _ = writeln!(
        out,
        "  ERROR SUMMARY: {} from {}",
        plural(errors, "error"),
        plural(contexts, "context")
    );
    out
}

fn stack_json(stack: &Stack, syms: &Symbols) -> Value {
    Value::Array(
        stack
            .iter()
            .enumerate()
            .map(|(i, &pc)| {
                let name = match i {
                    0 => syms.describe(pc),
                    _ => syms.describe_return(pc),
                };
                json!({ "pc": pc, "name": name })
            })
            .collect(),
    )
}

/// One error as JSON (the trace's `memcheck` event and the report's list).
pub fn error_json(e: &MemError, syms: &Symbols) -> Value {
    let (relation, offset, block, alloc, freed) = match (e.whereabouts.near_block(), &e.whereabouts)
    {
        (Some(n), _) => (
            if n.freed.is_some() {
                "inside_freed"
            } else {
                n.relation
            },
            n.off,
            Some(n.block.size),
            Some(&n.block.alloc),
            n.freed,
        ),
        (None, Whereabouts::Stack { below }) => ("below_stack_pointer", *below, None, None, None),
        (None, Whereabouts::OnStack) => ("on_stack", 0, None, None, None),
        (None, _) => ("unknown", 0, None, None, None),
    };
    json!({
        "kind": e.kind.key(),
        "what": e.kind.headline(),
        "size": e.kind.size(),
        "addr": e.addr,
        "count": e.count,
        "at": stack_json(&e.at, syms),
        "relation": relation,
        "offset": offset,
        "block_size": block,
        "alloc": alloc.map(|s| stack_json(s, syms)),
        "freed": freed.map(|s| stack_json(s, syms)),
    })
}

/// The whole summary as JSON, for `--report json`.
pub fn json(s: &Summary, syms: &Symbols) -> Value {
    let (errors, contexts) = s.error_counts();
    let mut leaks = serde_json::Map::new();
    for kind in LeakKind::ALL {
        let (bytes, blocks) = s.of_kind(kind);
        leaks.insert(kind.key(), json!({ "bytes": bytes, "blocks": blocks }));
    }
    json!({
        "errors": errors,
        "contexts": contexts,
        "error_list": s.errors.iter().map(|e| error_json(e, syms)).collect::<Vec<_>>(),
        "in_use": { "bytes": s.in_use.0, "blocks": s.in_use.1 },
        "allocs": s.allocs,
        "frees": s.frees,
        "bytes_allocated": s.bytes_allocated,
        "leaks": leaks,
        "loss_records": s.leaks.iter().map(|r| json!({
            "kind": r.kind.key(), "bytes": r.bytes, "blocks": r.blocks,
            "alloc": stack_json(&r.alloc, syms),
        })).collect::<Vec<_>>(),
    })
}

/// What the debuggers' `memcheck` command prints: every error context so
/// far in full, each headed with its count as valgrind's `-v` list heads
/// them, then the heap now and the errors so far — or, after exit, the
/// summaries `exit_text` printed then.
pub fn so_far_text(s: &Summary, syms: &Symbols) -> String {
    let pid = s.pid;
    let mut out = String::new();
    let n = s.errors.len();
    for (i, e) in s.errors.iter().enumerate() {
        let _ = writeln!(
            out,
            "=={pid}== {} in context {} of {n}:",
            plural(e.count, "error"),
            i + 1
        );
        out.push_str(&error_text(e, pid, syms));
    }
    if s.leak_checked {
        out.push_str(&exit_text(s, syms));
        return out;
    }
    let _ = writeln!(out, "=={pid}== HEAP SUMMARY so far:");
    let _ = writeln!(
        out,
        "=={pid}==     in use now: {} bytes in {}",
        s.in_use.0,
        plural(s.in_use.1, "block")
    );
    let _ = writeln!(
        out,
        "=={pid}==   total heap usage: {} allocs, {} frees, {} bytes allocated",
        s.allocs, s.frees, s.bytes_allocated
    );
    let _ = writeln!(out, "=={pid}==");
    let (errors, contexts) = s.error_counts();
    let _ = writeln!(
        out,
        "=={pid}== ERROR SUMMARY so far: {} from {} (leaks are checked at exit)",
        plural(errors, "error"),
        plural(contexts, "context")
    );
    out
}
