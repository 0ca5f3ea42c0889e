//! The EFLAGS register's bits (Intel SDM Vol. 1 §3.4.3, Figure 3-8): what
//! the lazy flags compute, `pushf` shows and the debugger prints.

pub const CF: u32 = 1 << 0;
pub const PF: u32 = 1 << 2;
pub const AF: u32 = 1 << 4;
pub const ZF: u32 = 1 << 6;
pub const SF: u32 = 1 << 7;
pub const TF: u32 = 1 << 8;
pub const IF: u32 = 1 << 9;
pub const DF: u32 = 1 << 10;
pub const OF: u32 = 1 << 11;
pub const AC: u32 = 1 << 18;
pub const ID: u32 = 1 << 21;
/// Bit 1 reads as 1 on every IA-32 processor.
pub const RESERVED1: u32 = 1 << 1;

/// The six status flags.
pub const STATUS: u32 = CF | PF | AF | ZF | SF | OF;
/// What `popf` (CPL 3, IOPL 0) and `set_eflags` may change. IF is silently
/// kept (§4.3 POPF); TF is not writable because single-step is not modelled;
/// AC and ID toggle (ID is how old code detects `cpuid`) with no other effect.
pub const USER_WRITABLE: u32 = STATUS | DF | AC | ID;
