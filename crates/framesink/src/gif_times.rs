//! GIF timing, shared by the writer (mux/gif.rs) and the reader (demux/gif.rs):
//! delays in whole centiseconds, and framesink's extension with the exact times.

/// Rounded centiseconds of a time in ticks (GIF delays are differences of these).
pub fn gif_centiseconds(pts: u64, timescale: u32) -> u64 {
    (pts as u128 * 200 / timescale as u128).div_ceil(2) as u64
}

/// The GIF delay of a frame from `pts` to `next` (ticks): the difference of
/// their rounded centiseconds, so rounding errors never add up; at most
/// 65535 cs, the field's limit.
#[cfg(feature = "gif")]
pub(crate) fn gif_delay(pts: u64, next: u64, timescale: u32) -> u16 {
    let cs = gif_centiseconds(next, timescale) - gif_centiseconds(pts, timescale);
    cs.min(u16::MAX as u64) as u16
}

/// The GIF89a Application Extension's label.
#[cfg(feature = "gif")]
pub(crate) const APPLICATION_LABEL: u8 = 0xFF;

/// The identifier and authentication code of framesink's Application
/// Extension, which holds the frames' exact times ([`Times`]).
#[cfg(feature = "gif")]
pub(crate) const TIMES_APPLICATION: &[u8; 11] = b"FRAMESNK1.0";

/// The exact times of a GIF's frames, which its delays (whole centiseconds)
/// round. framesink writes them in an Application Extension before the
/// trailer (decoders skip extensions they do not know), so that `join`
/// continues each part where the one before really ended: parts of 20
/// frames at 30 fps last 66.67 cs, not the 67 their delays add up to.
///
/// Kept as the first frame's time and runs of equal steps (a step is a
/// frame's duration; the last one ends the GIF): a few bytes at a constant
/// frame rate, whatever the length.
#[cfg(feature = "gif")]
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Times {
    /// Ticks per second.
    pub timescale: u32,
    /// The first frame's time, in ticks.
    pub first: u64,
    /// (step in ticks, how many frames in a row have it).
    pub runs: Vec<(u64, u64)>,
}

#[cfg(feature = "gif")]
impl Times {
    pub fn new(timescale: u32) -> Self {
        Times {
            timescale,
            ..Times::default()
        }
    }

    /// The next frame, at `pts`, lasts until `end`.
    pub fn push(&mut self, pts: u64, end: u64) {
        if self.runs.is_empty() {
            self.first = pts;
        }
        let step = end.saturating_sub(pts);
        match self.runs.last_mut() {
            Some((s, n)) if *s == step => *n += 1,
            _ => self.runs.push((step, 1)),
        }
    }

    /// Each frame's step, in order.
    pub fn steps(&self) -> impl Iterator<Item = u64> + '_ {
        self.runs
            .iter()
            .flat_map(|&(step, n)| (0..n).map(move |_| step))
    }

    /// How many frames the runs cover (saturating).
    pub fn frames(&self) -> u64 {
        self.runs
            .iter()
            .fold(0u64, |a, &(_, n)| a.saturating_add(n))
    }

    /// The payload: a version byte (1), then LEB128 numbers: the timescale,
    /// the first time, the number of runs, and each run's step and count.
    pub fn encode(&self) -> Vec<u8> {
        let mut out = vec![1u8];
        let mut put = |mut v: u64| loop {
            let byte = (v & 0x7F) as u8;
            v >>= 7;
            if v == 0 {
                out.push(byte);
                break;
            }
            out.push(byte | 0x80);
        };
        put(self.timescale as u64);
        put(self.first);
        put(self.runs.len() as u64);
        for &(step, n) in &self.runs {
            put(step);
            put(n);
        }
        out
    }

    /// Reads [`encode`](Self::encode)'s payload; `None` for anything else
    /// (another version, a number cut short or too large, bytes left over).
    pub fn decode(data: &[u8]) -> Option<Times> {
        let (&version, mut rest) = data.split_first()?;
        if version != 1 {
            return None;
        }
        let mut get = || -> Option<u64> {
            let mut v = 0u64;
            for shift in (0..64).step_by(7) {
                let (&byte, tail) = rest.split_first()?;
                rest = tail;
                if shift == 63 && byte & 0x7E != 0 {
                    return None; // past 64 bits
                }
                v |= ((byte & 0x7F) as u64) << shift;
                if byte & 0x80 == 0 {
                    return Some(v);
                }
            }
            None
        };
        let timescale = u32::try_from(get()?).ok().filter(|&t| t > 0)?;
        let first = get()?;
        let count = get()?;
        let mut runs = Vec::new();
        for _ in 0..count {
            // Each run takes at least two bytes: a count past them is a lie.
            runs.push((get()?, get()?));
        }
        rest.is_empty().then_some(Times {
            timescale,
            first,
            runs,
        })
    }
}

#[cfg(all(test, feature = "gif"))]
mod tests {
    use super::gif_centiseconds as centiseconds;
    use super::Times;

    #[test]
    fn times_round_trip_and_refuse_anything_else() {
        let mut t = Times::new(90_000);
        for i in 0..300u64 {
            t.push(i * 3000, (i + 1) * 3000);
        }
        t.push(300 * 3000, 300 * 3000 + 7);
        assert_eq!(t.runs, [(3000, 300), (7, 1)]);
        assert_eq!(t.frames(), 301);
        let bytes = t.encode();
        assert!(bytes.len() < 16, "{} bytes", bytes.len());
        assert_eq!(Times::decode(&bytes), Some(t.clone()));
        // Cut short, one byte more, another version, a zero timescale, a
        // number of 64 bits and more, a run count past the bytes.
        assert_eq!(Times::decode(&bytes[..bytes.len() - 1]), None);
        assert_eq!(Times::decode(&[&bytes[..], &[0]].concat()), None);
        assert_eq!(Times::decode(&[&[2], &bytes[1..]].concat()), None);
        assert_eq!(Times::decode(&[1, 0, 0, 0]), None);
        assert_eq!(Times::decode(&[&[1][..], &[0xFF; 10], &[1]].concat()), None);
        assert_eq!(Times::decode(&[1, 100, 0, 0x7F]), None);
        assert_eq!(Times::decode(&[]), None);
    }

    #[test]
    fn thirty_fps_delays_carry_the_rounding() {
        // 30 fps in ticks of 90 kHz: 3000 ticks a frame.
        let cs: Vec<u64> = (0..=6).map(|i| centiseconds(i * 3000, 90_000)).collect();
        let delays: Vec<u64> = cs.windows(2).map(|w| w[1] - w[0]).collect();
        assert_eq!(delays, [3, 4, 3, 3, 4, 3]);
        assert_eq!(delays.iter().sum::<u64>(), 20); // 6 frames = exactly 0.2 s
    }
}
