//! The frame front door: frames of every layout, size, stride, buffer length
//! and timestamp (none, float seconds including NaN and negative, exact,
//! going back), pushed into a VideoWriter for tiny H.264, GIF or APNG movies
//! in memory, then finish(). Nothing may panic; a rejected frame changes
//! nothing; a finished H.264 or GIF movie must be a part join reads, with
//! the frames the writer counted.
#![no_main]

use std::io::{Cursor, Write};
use std::sync::{Arc, Mutex};

use arbitrary::Arbitrary;
use framesink::mux::Output;
use framesink::{
    ColorMatrix, Container, Error, Frame, PixelLayout, Rational, Timestamp, VideoWriter,
    WriterConfig,
};
use libfuzzer_sys::fuzz_target;

mod common;
use common::Shared;

#[derive(Arbitrary, Debug, Clone, Copy, PartialEq)]
enum Kind {
    H264,
    H264Stream,
    Gif,
    GifStream,
    Apng,
}

#[derive(Arbitrary, Debug)]
enum Stride {
    Packed,
    Padded(u8),
    Short(u8),
    Any(u64),
}

#[derive(Arbitrary, Debug)]
enum Time {
    Next,
    Secs(f64),
    Millis(u32),
    Exact(u64, u64),
    /// Milliseconds before the previous frame's.
    Back(u16),
}

#[derive(Arbitrary, Debug)]
struct FrameSpec {
    /// Another size than the first frame's.
    resize: Option<(u8, u8)>,
    layout: u8,
    stride: Stride,
    /// Bytes more (or fewer) than the frame needs.
    len_delta: i16,
    time: Time,
    seed: u8,
}

#[derive(Arbitrary, Debug)]
struct Movie {
    kind: Kind,
    width: u8,
    height: u8,
    fps: (u16, u16),
    keyint: Option<u8>,
    quality: u8,
    two_threads: bool,
    dither: bool,
    loops: Option<u16>,
    bt601: bool,
    frames: Vec<FrameSpec>,
}

/// Bytes a frame needs (as `Frame::check` counts them), if that fits.
fn need(layout: PixelLayout, w: u32, h: u32, stride: usize) -> Option<usize> {
    let row = w as usize * layout.bytes_per_pixel();
    if layout == PixelLayout::Yuv420p {
        let chroma = stride.div_ceil(2).checked_mul(h.div_ceil(2) as usize)?;
        stride
            .checked_mul(h as usize)?
            .checked_add(chroma.checked_mul(2)?)
    } else {
        stride
            .checked_mul((h as usize).saturating_sub(1))?
            .checked_add(row)
    }
}

/// The most bytes one frame buffer gets.
const MAX_BUF: usize = 64 << 10;

fuzz_target!(|movie: Movie| {
    let mut config = WriterConfig::default()
        .with_fps(Rational::new(movie.fps.0 as u64, movie.fps.1 as u64))
        .with_quality(movie.quality % 101)
        .with_threads(1 + movie.two_threads as usize)
        .with_dither(movie.dither)
        .with_matrix(if movie.bt601 {
            ColorMatrix::Bt601
        } else {
            ColorMatrix::Bt709
        })
        .with_container(match movie.kind {
            Kind::H264 | Kind::H264Stream => Container::Mp4,
            Kind::Gif | Kind::GifStream => Container::Gif,
            Kind::Apng => Container::Apng,
        });
    if let Some(k) = movie.keyint {
        config = config.with_keyframe_interval(k as u32);
    }
    if let Some(n) = movie.loops {
        config = config.with_loops(n);
    }
    let out = Shared::default();
    let streamed = Arc::new(Mutex::new(Vec::new()));
    let writer = match movie.kind {
        // A write-only APNG waits in a temporary file: not here.
        Kind::H264Stream | Kind::GifStream => {
            VideoWriter::new_stream(SharedVec(streamed.clone()), config)
        }
        _ => VideoWriter::new(out.clone(), config),
    };
    let Ok(mut writer) = writer else {
        return;
    };
    let (w0, h0) = (movie.width as u32 % 40, movie.height as u32 % 40);
    let mut accepted = 0u64;
    let mut last_ms: u64 = 0;
    let mut pixels = Vec::new();
    for spec in movie.frames.iter().take(10) {
        let (w, h) = spec
            .resize
            .map_or((w0, h0), |(w, h)| (w as u32 % 40, h as u32 % 40));
        let layout = PixelLayout::ALL[spec.layout as usize % PixelLayout::ALL.len()];
        let row = w as usize * layout.bytes_per_pixel();
        let stride = match spec.stride {
            Stride::Packed => row,
            Stride::Padded(n) => row + n as usize,
            Stride::Short(n) => row.saturating_sub(1 + n as usize),
            Stride::Any(s) => s as usize,
        };
        let len = match need(layout, w, h, stride) {
            Some(n) if n <= MAX_BUF => n.saturating_add_signed(spec.len_delta as isize),
            _ => (spec.len_delta as usize) % MAX_BUF,
        }
        .min(MAX_BUF);
        pixels.clear();
        pixels.extend((0..len).map(|i| (i as u8).wrapping_mul(spec.seed) ^ (i >> 7) as u8));
        let mut frame = Frame::new(&pixels, w, h, layout).with_stride(stride);
        let ts = match spec.time {
            Time::Next => None,
            Time::Secs(s) => Timestamp::from_secs_f64(s),
            Time::Millis(ms) => Some(Timestamp::from_millis(ms as u64)),
            // Any: up to 2^64 ticks, where the writer must refuse, not wrap.
            Time::Exact(n, d) => Some(Timestamp::new(n, d)),
            Time::Back(ms) => Some(Timestamp::from_millis(last_ms.saturating_sub(ms as u64))),
        };
        if let Some(t) = ts {
            frame = frame.with_timestamp(t);
            if t.den != 0 {
                last_ms = (t.num as u128 * 1000 / t.den as u128).min(u64::MAX as u128) as u64;
            }
        }
        match writer.push_frame(frame) {
            Ok(()) => accepted += 1,
            // Rejected, and the writer goes on.
            Err(Error::InvalidFrame { .. }) => {}
            Err(_) => break,
        }
        let _ = writer.take_warnings();
    }
    let Ok(summary) = writer.finish() else {
        return;
    };
    assert_eq!(summary.frames + summary.frames_dropped, accepted);
    let bytes = match movie.kind {
        Kind::H264Stream | Kind::GifStream => streamed.lock().unwrap().clone(),
        Kind::Apng => return,
        _ => out.0.lock().unwrap().get_ref().clone(),
    };
    assert_eq!(bytes.len() as u64, summary.bytes, "the bytes written");
    let joined = framesink::join(
        Output::Stream(Box::new(std::io::sink())),
        [("written".to_string(), Cursor::new(&bytes[..]))],
    )
    .expect("a movie framesink wrote is a part join reads");
    assert_eq!(joined.frames, summary.frames, "frames in the written movie");
});

/// A write-only in-memory sink.
struct SharedVec(Arc<Mutex<Vec<u8>>>);

impl Write for SharedVec {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}
