//! Physical RAM: one zeroed host allocation, committed by the host lazily.
//!
//! `vec![0; n]` asks the allocator for zeroed memory, which for large sizes
//! is a fresh anonymous mapping: the host backs a page only once it is
//! touched, so a guest that touches 1 MiB of a 3 GiB machine costs the host
//! about 1 MiB.
//!
//! RAM also remembers which frames hold decoded instructions ("code frames").
//! A write to such a frame by anyone but the CPU's fast path (which never has
//! write permission cached for a code frame) marks it stale and bumps the
//! code epoch, so the CPU drops what it decoded from there: self-modifying
//! code and reused frames run what is really in memory.

use crate::addr::{Frame, PhysAddr, PAGE_SIZE};
use std::fmt;

/// Largest RAM the machine supports: 3 GiB, the whole user half and more.
pub const MAX_MEM: u64 = 3 << 30;
/// Smallest useful RAM: enough for a page directory, a few tables and pages.
pub const MIN_MEM: u64 = 64 << 10;

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MemError {
    /// The size is not a multiple of 4 KiB, or outside MIN_MEM..=MAX_MEM.
    BadSize { bytes: u64 },
    /// The host refused the reservation.
    HostAlloc { bytes: u64 },
}

impl fmt::Display for MemError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            MemError::BadSize { bytes } => write!(
                f,
                "memory size {bytes} bytes is not a multiple of 4 KiB between {} KiB and {} GiB",
                MIN_MEM >> 10,
                MAX_MEM >> 30
            ),
            MemError::HostAlloc { bytes } => {
                write!(
                    f,
                    "the host could not reserve {} MiB for guest RAM",
                    bytes >> 20
                )
            }
        }
    }
}
impl std::error::Error for MemError {}

pub struct PhysMem {
    ram: Box<[u8]>,
    /// Instructions were decoded from this frame.
    code: FrameBits,
    /// Frames whose decoded instructions went stale since the CPU last looked.
    stale: Vec<Frame>,
    /// Bumped whenever `stale` gains a frame.
    code_epoch: u64,
    /// Written (or handed out) since the machine started. A frame that is
    /// not is still zero, and the host has not even committed it: zeroing
    /// it is free — which makes a first demand-zero fault cheap.
    written: FrameBits,
}

/// One bit per frame, all clear to begin with. It grows as bits are set,
/// so it costs what the frames in use need, not what the RAM's size does.
#[derive(Default)]
struct FrameBits(Vec<u64>);

impl FrameBits {
    #[inline(always)]
    fn get(&self, f: Frame) -> bool {
        self.0
            .get(f.index() / 64)
            .is_some_and(|w| w & (1 << (f.index() % 64)) != 0)
    }
    #[inline(always)]
    fn set(&mut self, f: Frame) {
        let w = f.index() / 64;
        if w >= self.0.len() {
            self.0.resize(w + 1, 0);
        }
        self.0[w] |= 1 << (f.index() % 64);
    }
    /// Clear the bit; returns whether it was set.
    #[inline(always)]
    fn take(&mut self, f: Frame) -> bool {
        let Some(w) = self.0.get_mut(f.index() / 64) else {
            return false;
        };
        let b = 1 << (f.index() % 64);
        let was = *w & b != 0;
        *w &= !b;
        was
    }
}

impl PhysMem {
    pub fn new(bytes: u64) -> Result<PhysMem, MemError> {
        if !bytes.is_multiple_of(PAGE_SIZE as u64) || !(MIN_MEM..=MAX_MEM).contains(&bytes) {
            return Err(MemError::BadSize { bytes });
        }
        // Probe first: `vec!` below would abort the host if the reservation failed.
        let mut v: Vec<u8> = Vec::new();
        v.try_reserve_exact(bytes as usize)
            .map_err(|_| MemError::HostAlloc { bytes })?;
        drop(v);
        // The real allocation: zeroed, so the host commits pages lazily.
        let ram = vec![0u8; bytes as usize].into_boxed_slice();
        Ok(PhysMem {
            ram,
            code: FrameBits::default(),
            stale: Vec::new(),
            code_epoch: 0,
            written: FrameBits::default(),
        })
    }

    /// The start of RAM, for the JIT's generated loads and stores (which
    /// reach only frames the TLB named, at offsets inside the frame).
    pub(crate) fn ram_ptr(&mut self) -> *mut u8 {
        self.ram.as_mut_ptr()
    }

    /// Number of 4 KiB frames.
    pub fn frames(&self) -> u32 {
        (self.ram.len() / PAGE_SIZE as usize) as u32
    }
    pub fn size(&self) -> u64 {
        self.ram.len() as u64
    }

    #[inline(always)]
    pub fn read_u8(&self, pa: PhysAddr) -> u8 {
        self.ram[pa.0 as usize]
    }
    #[inline(always)]
    pub fn read_u16(&self, pa: PhysAddr) -> u16 {
        let i = pa.0 as usize;
        u16::from_le_bytes(self.ram[i..i + 2].try_into().unwrap())
    }
    #[inline(always)]
    pub fn read_u32(&self, pa: PhysAddr) -> u32 {
        let i = pa.0 as usize;
        u32::from_le_bytes(self.ram[i..i + 4].try_into().unwrap())
    }

    /// Stores used by the CPU's fast path: the TLB only grants it write
    /// permission for frames that hold no decoded code, so no check here.
    #[inline(always)]
    pub fn write_u8_unchecked(&mut self, pa: PhysAddr, v: u8) {
        self.ram[pa.0 as usize] = v;
    }
    #[inline(always)]
    pub fn write_u16_unchecked(&mut self, pa: PhysAddr, v: u16) {
        let i = pa.0 as usize;
        self.ram[i..i + 2].copy_from_slice(&v.to_le_bytes());
    }
    #[inline(always)]
    pub fn write_u32_unchecked(&mut self, pa: PhysAddr, v: u32) {
        let i = pa.0 as usize;
        self.ram[i..i + 4].copy_from_slice(&v.to_le_bytes());
    }

    pub fn write_u8(&mut self, pa: PhysAddr, v: u8) {
        self.note_write(pa.frame());
        self.write_u8_unchecked(pa, v);
    }
    pub fn write_u16(&mut self, pa: PhysAddr, v: u16) {
        self.note_write(pa.frame());
        self.write_u16_unchecked(pa, v);
    }
    pub fn write_u32(&mut self, pa: PhysAddr, v: u32) {
        self.note_write(pa.frame());
        self.write_u32_unchecked(pa, v);
    }

    /// Copy out of RAM; the range must not cross a frame boundary.
    pub fn read_bytes(&self, pa: PhysAddr, out: &mut [u8]) {
        let i = pa.0 as usize;
        debug_assert!(pa.page_offset() as usize + out.len() <= PAGE_SIZE as usize);
        out.copy_from_slice(&self.ram[i..i + out.len()]);
    }
    /// Copy into RAM; the range must not cross a frame boundary.
    pub fn write_bytes(&mut self, pa: PhysAddr, data: &[u8]) {
        debug_assert!(pa.page_offset() as usize + data.len() <= PAGE_SIZE as usize);
        self.note_write(pa.frame());
        let i = pa.0 as usize;
        self.ram[i..i + data.len()].copy_from_slice(data);
    }
    /// Fill a frame with zeroes (skipped when it has never been written).
    pub fn zero_frame(&mut self, f: Frame) {
        if self.take_pristine(f) {
            return;
        }
        self.note_write(f);
        let i = f.base().0 as usize;
        self.ram[i..i + PAGE_SIZE as usize].fill(0);
    }

    /// Was `f` still pristine? It is not any more: the caller is about to
    /// hand it out, and from then on anyone may write it.
    fn take_pristine(&mut self, f: Frame) -> bool {
        let was = !self.written.get(f);
        self.written.set(f);
        was
    }
    /// The frame's bytes, to fill in place; decoded code there goes stale.
    pub fn frame_mut(&mut self, f: Frame) -> &mut [u8] {
        self.note_write(f);
        let i = f.base().0 as usize;
        &mut self.ram[i..i + PAGE_SIZE as usize]
    }
    /// Copy every byte of frame `from` into frame `to` (copy-on-write).
    pub fn copy_frame(&mut self, from: Frame, to: Frame) {
        self.note_write(to);
        let (src, dst) = (from.base().0 as usize, to.base().0 as usize);
        self.ram.copy_within(src..src + PAGE_SIZE as usize, dst);
    }
    pub fn frame_bytes(&self, f: Frame) -> &[u8] {
        let i = f.base().0 as usize;
        &self.ram[i..i + PAGE_SIZE as usize]
    }

    /// Instructions were decoded from `f`: later writes must make them stale.
    pub fn mark_code(&mut self, f: Frame) {
        self.code.set(f);
    }
    pub fn is_code(&self, f: Frame) -> bool {
        self.code.get(f)
    }
    /// `f` is about to be written: what was decoded from it is stale.
    #[inline(always)]
    pub fn note_write(&mut self, f: Frame) {
        self.written.set(f);
        if self.code.take(f) {
            self.stale.push(f);
            self.code_epoch += 1;
        }
    }
    /// Changes whenever decoded code went stale; cheap for the CPU to poll.
    #[inline(always)]
    pub fn code_epoch(&self) -> u64 {
        self.code_epoch
    }
    /// Hand the stale frames to the decode cache (and forget them).
    pub fn take_stale(&mut self, into: &mut Vec<Frame>) {
        into.append(&mut self.stale);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rejects_odd_sizes() {
        assert!(matches!(PhysMem::new(4097), Err(MemError::BadSize { .. })));
        assert!(matches!(
            PhysMem::new(4 << 30),
            Err(MemError::BadSize { .. })
        ));
    }

    #[test]
    fn little_endian_round_trip() {
        let mut m = PhysMem::new(1 << 20).unwrap();
        m.write_u32(PhysAddr(0x1000), 0x1122_3344);
        assert_eq!(m.read_u8(PhysAddr(0x1000)), 0x44);
        assert_eq!(m.read_u16(PhysAddr(0x1002)), 0x1122);
        assert_eq!(m.frames(), 256);
    }

    #[test]
    fn zeroing_skips_only_never_written_frames() {
        let mut m = PhysMem::new(1 << 20).unwrap();
        m.zero_frame(Frame(2)); // pristine: nothing to do, but no longer pristine
        m.write_u8_unchecked(PhysAddr(0x2010), 7); // a CPU store, unseen by PhysMem
        m.zero_frame(Frame(2));
        assert_eq!(m.read_u8(PhysAddr(0x2010)), 0);
        m.write_u32(PhysAddr(0x3000), 5); // checked store ends pristine state
        m.zero_frame(Frame(3));
        assert_eq!(m.read_u32(PhysAddr(0x3000)), 0);
    }

    #[test]
    fn the_frame_bits_follow_the_frames_touched_not_the_size_of_ram() {
        let mut m = PhysMem::new(MAX_MEM).unwrap();
        assert_eq!((m.code.0.len(), m.written.0.len()), (0, 0));
        m.write_u8(PhysAddr(0x5000), 1);
        m.mark_code(Frame(5));
        assert_eq!((m.code.0.len(), m.written.0.len()), (1, 1));
        let top = Frame(m.frames() - 1);
        assert!(!m.is_code(top));
        m.zero_frame(top); // never written: nothing to do
        assert_eq!(m.read_u8(top.base()), 0);
    }

    #[test]
    fn write_to_code_frame_makes_it_stale() {
        let mut m = PhysMem::new(1 << 20).unwrap();
        m.mark_code(Frame(3));
        let e = m.code_epoch();
        m.write_u8(PhysAddr(0x4000), 1); // frame 4: not code
        assert_eq!(m.code_epoch(), e);
        m.write_u8(PhysAddr(0x3004), 1);
        assert_eq!(m.code_epoch(), e + 1);
        let mut s = Vec::new();
        m.take_stale(&mut s);
        assert_eq!(s, vec![Frame(3)]);
        assert!(!m.is_code(Frame(3)));
    }
}
