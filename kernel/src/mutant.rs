//! The one seam for deliberately broken kernels: with a `mutant-*` feature
//! on, the kernel does one thing wrong on purpose, so the property tests can
//! be shown to catch it (`cargo test -p toyemu-kernel --test model
//! --features mutant-skip-invlpg` must fail). Without the features each
//! answer is a constant `false` and the check compiles away.

/// Whether mprotect forgets to invalidate the PTEs it rewrote.
pub(crate) fn skips_invlpg_after_protect() -> bool {
    cfg!(feature = "mutant-skip-invlpg")
}

/// Whether unmapping loses the frames of a VMA piece that a split cut off.
pub(crate) fn loses_frames_of_split_piece() -> bool {
    cfg!(feature = "mutant-leak-on-split")
}
