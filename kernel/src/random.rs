//! The kernel's randomness: `getrandom`, `/dev/urandom` and AT_RANDOM.
//! Deterministic unless asked otherwise, so two runs of a program are the
//! same run; `RandomSource::Host` takes the host's entropy instead.

/// Where random bytes come from.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum RandomSource {
    /// A fixed seed: every run sees the same bytes.
    #[default]
    Fixed,
    /// The host's /dev/urandom.
    Host,
}

/// SplitMix64 for the fixed stream (small, fast, good enough to not look
/// like a pattern; nothing here is cryptographic).
pub struct Random {
    source: RandomSource,
    state: u64,
}

impl Random {
    pub fn new(source: RandomSource) -> Random {
        Random {
            source,
            state: 0x746f_7965_6d75_2121, // "toyemu!!"
        }
    }

    pub fn source(&self) -> RandomSource {
        self.source
    }

    fn next(&mut self) -> u64 {
        self.state = self.state.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.state;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// Fill `out` with random bytes.
    pub fn fill(&mut self, out: &mut [u8]) {
        if self.source == RandomSource::Host {
            use std::io::Read;
            if let Ok(mut f) = std::fs::File::open("/dev/urandom") {
                if f.read_exact(out).is_ok() {
                    return;
                }
            }
        }
        for chunk in out.chunks_mut(8) {
            let v = self.next().to_le_bytes();
            chunk.copy_from_slice(&v[..chunk.len()]);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_fixed_stream_is_the_same_every_run() {
        let (mut a, mut b) = (
            Random::new(RandomSource::Fixed),
            Random::new(RandomSource::Fixed),
        );
        let (mut x, mut y) = ([0u8; 37], [0u8; 37]);
        a.fill(&mut x);
        b.fill(&mut y);
        assert_eq!(x, y);
        assert_ne!(x[..8], x[8..16]);
    }
}
