//! The GIF writer: frames in order, each with its own palette, delays in
//! centiseconds that add up to the exact times (30 fps: 3, 3, 4, ...).

use std::borrow::Cow;
use std::io::{self, Write};

use super::{Muxer, Output};
use crate::encode::{CodecConfig, Packet};
use crate::error::{Error, Result};
use crate::gif_times::{gif_delay, Times, APPLICATION_LABEL, TIMES_APPLICATION};
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
            // A part joined may store its rows interlaced.
            interlaced: image.interlaced,
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
