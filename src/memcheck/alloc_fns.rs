//! The allocator's entry points, found by symbol in any static program:
//! toyemu's libc, glibc and musl name them alike (with `__libc_` aliases,
//! which sit at the same address or call the plain name).

use crate::symbols::Symbols;

/// What a hooked function does to the heap.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum AllocFn {
    Malloc,
    Calloc,
    Realloc,
    Free,
    /// memalign(align, size) and aligned_alloc(align, size).
    Memalign,
    /// posix_memalign(&ptr, align, size): the block comes back through ptr.
    PosixMemalign,
    Valloc,
    Pvalloc,
    /// The allocator's own inspection and tuning (malloc_usable_size,
    /// malloc_stats, ...): they read headers, so checks are off while they
    /// run, and nothing changes hands.
    Internal,
}

impl AllocFn {
    pub fn name(self) -> &'static str {
        match self {
            AllocFn::Malloc => "malloc",
            AllocFn::Calloc => "calloc",
            AllocFn::Realloc => "realloc",
            AllocFn::Free => "free",
            AllocFn::Memalign => "memalign",
            AllocFn::PosixMemalign => "posix_memalign",
            AllocFn::Valloc => "valloc",
            AllocFn::Pvalloc => "pvalloc",
            AllocFn::Internal => "malloc internals",
        }
    }
}

/// Symbol names and what they are. Where two names share an address the
/// first listed wins (they are the same function).
const NAMES: &[(&str, AllocFn)] = &[
    ("malloc", AllocFn::Malloc),
    ("__libc_malloc", AllocFn::Malloc),
    ("__libc_malloc_impl", AllocFn::Malloc),
    ("calloc", AllocFn::Calloc),
    ("__libc_calloc", AllocFn::Calloc),
    ("realloc", AllocFn::Realloc),
    ("__libc_realloc", AllocFn::Realloc),
    ("free", AllocFn::Free),
    ("__libc_free", AllocFn::Free),
    ("cfree", AllocFn::Free),
    ("memalign", AllocFn::Memalign),
    ("__libc_memalign", AllocFn::Memalign),
    ("aligned_alloc", AllocFn::Memalign),
    ("posix_memalign", AllocFn::PosixMemalign),
    ("valloc", AllocFn::Valloc),
    ("__libc_valloc", AllocFn::Valloc),
    ("pvalloc", AllocFn::Pvalloc),
    ("__libc_pvalloc", AllocFn::Pvalloc),
    ("malloc_usable_size", AllocFn::Internal),
    ("__malloc_usable_size", AllocFn::Internal),
    ("malloc_trim", AllocFn::Internal),
    ("__malloc_trim", AllocFn::Internal),
    ("malloc_stats", AllocFn::Internal),
    ("__malloc_stats", AllocFn::Internal),
    ("mallinfo", AllocFn::Internal),
    ("mallinfo2", AllocFn::Internal),
    ("mallopt", AllocFn::Internal),
    ("malloc_info", AllocFn::Internal),
    ("malloc_dump", AllocFn::Internal),
    // glibc: a thread's end gives its tcache (allocated inside malloc,
    // never seen returned by a hooked call) back to its arena.
    ("__malloc_arena_thread_freeres", AllocFn::Internal),
];

/// Why memcheck cannot run on a program.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Unhookable {
    /// No symbol table at all.
    Stripped,
}

/// The entry address of each allocator function the program has. A
/// program with symbols but no malloc (freestanding code) gets none: its
/// stack is still checked.
pub fn find(syms: &Symbols) -> Result<Vec<(u32, AllocFn)>, Unhookable> {
    if syms.is_empty() {
        return Err(Unhookable::Stripped);
    }
    let mut out: Vec<(u32, AllocFn)> = Vec::new();
    for &(name, f) in NAMES {
        if let Some(addr) = syms.function_entry(name) {
            if !out.iter().any(|&(a, _)| a == addr) {
                out.push((addr, f));
            }
        }
    }
    Ok(out)
}
