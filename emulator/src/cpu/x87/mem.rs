//! Moving x87 operands between memory and bytes: several accesses of at
//! most four bytes, a store probed first so it is all or nothing.

use crate::addr::VirtAddr;
use crate::cpu::state::Stop;
use crate::mmu::Mmu;

/// Read `N` bytes at `addr` (one access per 4 bytes or fewer).
pub(super) fn read_bytes<const N: usize>(mmu: &mut Mmu, addr: u32) -> Result<[u8; N], Stop> {
    let mut b = [0u8; N];
    let mut i = 0;
    while i < N {
        let a = VirtAddr(addr.wrapping_add(i as u32));
        if N - i >= 4 {
            b[i..i + 4].copy_from_slice(&mmu.read_u32(a)?.to_le_bytes());
            i += 4;
        } else if N - i >= 2 {
            b[i..i + 2].copy_from_slice(&mmu.read_u16(a)?.to_le_bytes());
            i += 2;
        } else {
            b[i] = mmu.read_u8(a)?;
            i += 1;
        }
    }
    Ok(b)
}

/// Write `bytes` at `addr`, which `probe_write` has already checked.
pub(super) fn write_bytes(mmu: &mut Mmu, addr: u32, bytes: &[u8]) -> Result<(), Stop> {
    let mut i = 0;
    while i < bytes.len() {
        let a = VirtAddr(addr.wrapping_add(i as u32));
        let rest = bytes.len() - i;
        if rest >= 4 {
            mmu.write_u32(a, u32::from_le_bytes(bytes[i..i + 4].try_into().unwrap()))?;
            i += 4;
        } else if rest >= 2 {
            mmu.write_u16(a, u16::from_le_bytes([bytes[i], bytes[i + 1]]))?;
            i += 2;
        } else {
            mmu.write_u8(a, bytes[i])?;
            i += 1;
        }
    }
    Ok(())
}

/// Probe, then write: all or nothing.
pub(super) fn store_bytes(mmu: &mut Mmu, addr: u32, bytes: &[u8]) -> Result<(), Stop> {
    mmu.probe_write(VirtAddr(addr), bytes.len() as u32)?;
    write_bytes(mmu, addr, bytes)
}
