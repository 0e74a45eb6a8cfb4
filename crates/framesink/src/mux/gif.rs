//! The GIF writer: frames in order, each with its own palette, delays in
//! centiseconds that add up to the exact times (30 fps: 3, 3, 4, ...).

use std::borrow::Cow;
use std::io::{self, Write};

use super::{Muxer, Output};
use crate::encode::{CodecConfig, Packet};
use crate::error::{Error, Result};
use crate::metadata::Metadata;

/// Counts what goes through to the sink.
struct Counted {
    out: Output,
    bytes: u64,
}

impl Write for Counted {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        let n = self.out.write(buf)?;
        self.bytes += n as u64;
        Ok(n)
    }
    fn flush(&mut self) -> io::Result<()> {
        self.out.flush()
    }
}

/// Writes GIF frames.
pub struct GifMuxer {
    encoder: gif::Encoder<Counted>,
    width: u16,
    height: u16,
    timescale: u32,
    pending: Option<Packet>,
    /// Frames written to the sink.
    written: u64,
    /// Their exact times, written at the end (see [`Times`]).
    times: Times,
}

fn gif_err(e: gif::EncodingError) -> Error {
    match e {
        gif::EncodingError::Io(e) => Error::Io(e),
        other => Error::Mux(format!("GIF writer: {other}")),
    }
}

/// The GIF89a Comment Extension's label.
const COMMENT_LABEL: u8 = 0xFE;
/// The GIF89a Application Extension's label.
pub(crate) const APPLICATION_LABEL: u8 = 0xFF;

/// The text of the one Comment Extension (ffprobe shows it as `comment`):
/// the `comment` as it is when it is the only key, else every key as a
/// `key: value` line, so a title or an artist is not lost. UTF-8 (GIF89a
/// asks for 7-bit ASCII; readers take UTF-8, as ffmpeg does).
pub fn comment_text(metadata: &Metadata) -> Option<String> {
    let entries: Vec<(&str, &str)> = metadata.entries().collect();
    match entries[..] {
        [] => None,
        [(key, value)] if key.eq_ignore_ascii_case("comment") => Some(value.to_string()),
        _ => Some(
            entries
                .iter()
                .map(|(k, v)| format!("{k}: {v}"))
                .collect::<Vec<_>>()
                .join("\n"),
        ),
    }
}

use super::gif_delay;

/// The identifier and authentication code of framesink's Application
/// Extension, which holds the frames' exact times ([`Times`]).
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
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub(crate) struct Times {
    /// Ticks per second.
    pub timescale: u32,
    /// The first frame's time, in ticks.
    pub first: u64,
    /// (step in ticks, how many frames in a row have it).
    pub runs: Vec<(u64, u64)>,
}

impl Times {
    fn new(timescale: u32) -> Self {
        Times {
            timescale,
            ..Times::default()
        }
    }

    /// The next frame, at `pts`, lasts until `end`.
    fn push(&mut self, pts: u64, end: u64) {
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

impl GifMuxer {
    /// A GIF of `width` x `height` that plays `loops` times (`None`: forever).
    pub fn new(
        out: Output,
        width: u32,
        height: u32,
        timescale: u32,
        loops: Option<u16>,
    ) -> Result<Self> {
        let (width, height) = (width as u16, height as u16);
        let mut encoder =
            gif::Encoder::new(Counted { out, bytes: 0 }, width, height, &[]).map_err(gif_err)?;
        let repeat = match loops {
            None => gif::Repeat::Infinite,
            Some(n) => gif::Repeat::Finite(n.saturating_sub(1)),
        };
        // Playing once needs no loop extension at all.
        if loops != Some(1) {
            encoder.set_repeat(repeat).map_err(gif_err)?;
        }
        Ok(GifMuxer {
            encoder,
            width,
            height,
            timescale,
            pending: None,
            written: 0,
            times: Times::new(timescale),
        })
    }

    /// Writes `metadata` as a Comment Extension before the first frame (see
    /// [`comment_text`]); nothing when there is none.
    pub fn with_metadata(mut self, metadata: &Metadata) -> Result<Self> {
        if let Some(text) = comment_text(metadata) {
            self.encoder
                .write_raw_extension(gif::AnyExtension(COMMENT_LABEL), &[text.as_bytes()])
                .map_err(gif_err)?;
        }
        Ok(self)
    }

    fn write_pending(&mut self, next_pts: u64) -> Result<()> {
        let Some(p) = self.pending.take() else {
            return Ok(());
        };
        let image = p
            .image
            .ok_or_else(|| Error::Mux("a GIF frame came without its palette".into()))?;
        let delay = gif_delay(p.pts, next_pts, self.timescale);
        let frame = gif::Frame {
            width: self.width,
            height: self.height,
            delay,
            // Each frame is whole: clear to transparent before the next one.
            dispose: if image.transparent.is_some() {
                gif::DisposalMethod::Background
            } else {
                gif::DisposalMethod::Keep
            },
            transparent: image.transparent,
            palette: Some(image.palette),
            buffer: Cow::Owned(p.data),
            ..gif::Frame::default()
        };
        self.encoder
            .write_lzw_pre_encoded_frame(&frame)
            .map_err(gif_err)?;
        self.encoder.get_mut().flush()?;
        self.written += 1;
        self.times.push(p.pts, next_pts);
        Ok(())
    }
}

impl Muxer for GifMuxer {
    fn write_packet(&mut self, packet: Packet, _config: Option<&CodecConfig>) -> Result<()> {
        if self.pending.is_some() {
            let next = packet.pts;
            self.write_pending(next)?;
        }
        self.pending = Some(packet);
        Ok(())
    }

    fn end_fragment(&mut self, next_pts: u64) -> Result<()> {
        self.write_pending(next_pts)
    }

    fn frames_written(&self) -> u64 {
        self.written
    }

    fn finish(self: Box<Self>) -> Result<u64> {
        if self.pending.is_some() {
            return Err(Error::Mux("the last GIF frame has no end time".into()));
        }
        let mut encoder = self.encoder;
        if self.written > 0 {
            encoder
                .write_raw_extension(
                    gif::AnyExtension(APPLICATION_LABEL),
                    &[TIMES_APPLICATION, &self.times.encode()],
                )
                .map_err(gif_err)?;
        }
        let mut out = encoder.into_inner().map_err(gif_err)?;
        out.flush()?;
        Ok(out.bytes)
    }
}

#[cfg(test)]
mod tests {
    use super::super::gif_centiseconds as centiseconds;
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
