//! Resident pages over time: for each address bucket (one page to begin
//! with) and the class its mapping is drawn with (`k-heap`...), how many
//! of its pages held a frame, as a
//! list of steps, one per window in which that changed. A step keeps the
//! most pages resident during its window and the number at its end, so
//! pages that come and go inside one window still show. Buckets grow
//! twofold whenever there are more than [`MAX_STEPS`] steps.

use std::collections::HashMap;

/// Steps kept at most.
pub const MAX_STEPS: usize = 10_000;

/// A change of a bucket's resident pages, in window `win`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Step {
    pub win: u32,
    /// The most pages resident during the window, and at its end.
    pub max: u32,
    pub end: u32,
}

/// A stretch of windows `[from, to)` in which `level` of the bucket's
/// `2^shift` pages from `vpn` were resident.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Span {
    pub vpn: u32,
    pub class: &'static str,
    pub from: u32,
    pub to: u32,
    pub level: u32,
}

#[derive(Clone, Debug, Default)]
struct Track {
    now: u32,
    steps: Vec<Step>,
}

/// Every bucket's steps.
#[derive(Clone, Debug, Default)]
pub struct Residency {
    shift: u32,
    tracks: HashMap<(u32, &'static str), Track>,
    steps: usize,
}

impl Residency {
    /// Pages per bucket, as a power of two.
    pub fn shift(&self) -> u32 {
        self.shift
    }

    /// Page `vpn` of a mapping drawn as `class` got a frame (`up`) or
    /// gave it back, in window `win`.
    pub fn change(&mut self, win: usize, vpn: u32, class: &'static str, up: bool) {
        let win = win as u32;
        let t = self.tracks.entry((vpn >> self.shift, class)).or_default();
        let before = t.now;
        t.now = match up {
            true => t.now + 1,
            false => t.now.saturating_sub(1),
        };
        match t.steps.last_mut() {
            Some(s) if s.win == win => {
                s.max = s.max.max(t.now);
                s.end = t.now;
            }
            _ => {
                t.steps.push(Step {
                    win,
                    max: before.max(t.now),
                    end: t.now,
                });
                self.steps += 1;
                // 20 is a bucket of the whole 4 GiB: only time is left.
                if self.steps > MAX_STEPS && self.shift < 20 {
                    self.rekey(0, 1);
                }
            }
        }
    }

    /// The windows doubled `times` times: fold the steps to match.
    pub fn windows_doubled(&mut self, times: u32) {
        if times > 0 {
            self.rekey(times, 0);
        }
    }

    fn rekey(&mut self, window_shift: u32, bucket_shift: u32) {
        self.shift += bucket_shift;
        let mut groups: HashMap<(u32, &'static str), Vec<Track>> = HashMap::new();
        for ((b, class), t) in std::mem::take(&mut self.tracks) {
            groups
                .entry((b >> bucket_shift, class))
                .or_default()
                .push(fold_time(t, window_shift));
        }
        self.tracks = groups.into_iter().map(|(k, ts)| (k, sum(ts))).collect();
        self.steps = self.tracks.values().map(|t| t.steps.len()).sum();
    }

    /// The stretches to shade, up to window `windows` (the end of the run).
    pub fn spans(&self, windows: u32) -> Vec<Span> {
        let mut out: Vec<Span> = Vec::new();
        for (&(b, class), t) in &self.tracks {
            let vpn = b << self.shift;
            let mut push = |from: u32, to: u32, level: u32| {
                if level == 0 || to <= from {
                    return;
                }
                match out.last_mut() {
                    Some(l)
                        if l.vpn == vpn && l.class == class && l.to == from && l.level == level =>
                    {
                        l.to = to
                    }
                    _ => out.push(Span {
                        vpn,
                        class,
                        from,
                        to,
                        level,
                    }),
                }
            };
            for (i, s) in t.steps.iter().enumerate() {
                let next = t.steps.get(i + 1).map_or(windows.max(s.win + 1), |n| n.win);
                if s.max == s.end {
                    push(s.win, next, s.end);
                } else {
                    push(s.win, s.win + 1, s.max);
                    push(s.win + 1, next, s.end);
                }
            }
        }
        out.sort_by_key(|s| (s.from, s.vpn));
        out
    }
}

/// One track with its windows folded `window_shift` times.
fn fold_time(t: Track, window_shift: u32) -> Track {
    let mut steps: Vec<Step> = Vec::with_capacity(t.steps.len());
    for mut s in t.steps {
        s.win >>= window_shift;
        match steps.last_mut() {
            Some(a) if a.win == s.win => {
                a.max = a.max.max(s.max);
                a.end = s.end;
            }
            _ => steps.push(s),
        }
    }
    Track { now: t.now, steps }
}

/// Tracks of neighbouring buckets as one: at each window where any of
/// them changed, the sum of their levels (a bucket with no step there
/// counts its level carried from before).
fn sum(tracks: Vec<Track>) -> Track {
    if tracks.len() == 1 {
        return tracks.into_iter().next().unwrap_or_default();
    }
    let mut wins: Vec<u32> = tracks
        .iter()
        .flat_map(|t| t.steps.iter().map(|s| s.win))
        .collect();
    wins.sort_unstable();
    wins.dedup();
    let mut at = vec![0usize; tracks.len()];
    let mut level = vec![0u32; tracks.len()];
    let mut steps = Vec::with_capacity(wins.len());
    for w in wins {
        let (mut max, mut end) = (0, 0);
        for (i, t) in tracks.iter().enumerate() {
            match t.steps.get(at[i]) {
                Some(s) if s.win == w => {
                    max += s.max;
                    end += s.end;
                    level[i] = s.end;
                    at[i] += 1;
                }
                _ => {
                    max += level[i];
                    end += level[i];
                }
            }
        }
        steps.push(Step { win: w, max, end });
    }
    Track {
        now: tracks.iter().map(|t| t.now).sum(),
        steps,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    /// Through the window of its free: it held a frame for part of it.
    fn a_page_is_shaded_from_its_fault_to_its_free() {
        let mut r = Residency::default();
        r.change(3, 0xb7fbf, "k-heap", true);
        r.change(9, 0xb7fbf, "k-heap", false);
        assert_eq!(
            r.spans(12),
            [Span {
                vpn: 0xb7fbf,
                class: "k-heap",
                from: 3,
                to: 10,
                level: 1
            }]
        );
    }

    #[test]
    fn a_page_mapped_and_freed_in_one_window_still_shows() {
        let mut r = Residency::default();
        r.change(4, 0x8051, "k-heap", true);
        r.change(4, 0x8051, "k-heap", false);
        assert_eq!(
            r.spans(10),
            [Span {
                vpn: 0x8051,
                class: "k-heap",
                from: 4,
                to: 5,
                level: 1
            }]
        );
    }

    #[test]
    fn coarser_buckets_add_their_pages_up() {
        let mut r = Residency::default();
        r.change(1, 0x10, "k-heap", true);
        r.change(2, 0x11, "k-heap", true);
        r.change(5, 0x10, "k-heap", false);
        r.rekey(0, 1);
        assert_eq!(r.shift(), 1);
        let levels: Vec<(u32, u32, u32)> =
            r.spans(8).iter().map(|s| (s.from, s.to, s.level)).collect();
        assert_eq!(levels, [(1, 2, 1), (2, 6, 2), (6, 8, 1)]);
    }

    #[test]
    fn many_pages_stay_within_the_step_budget() {
        let mut r = Residency::default();
        for i in 0..200_000u32 {
            r.change((i / 100) as usize, 0x40000 + i, "k-mmap", true);
        }
        r.windows_doubled(1);
        assert!(r.steps <= MAX_STEPS);
        assert!(r.shift() > 0);
        let last = r.spans(2000).iter().map(|s| s.to).max();
        assert_eq!(last, Some(2000));
    }
}
