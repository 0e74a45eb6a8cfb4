//! Encoders behind one small interface: pictures in, compressed packets out
//! in the same order (a codec that looks ahead, like AV1, gives them later).
//! Each codec sits in its own file behind its own cargo feature.

#[cfg(feature = "av1")]
pub mod av1;
#[cfg(feature = "gif")]
pub mod gif;
#[cfg(feature = "h264")]
pub mod h264;
#[cfg(feature = "apng")]
pub mod png;
#[cfg(feature = "ffmpeg")]
pub mod raw;

use crate::color::Picture;
use crate::config::{Codec, WriterConfig};
use crate::error::{Error, Result};

/// Codec-specific setup data the container stores once (H.264: SPS and PPS).
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum CodecConfig {
    /// H.264 parameter sets, without start codes.
    Avc {
        /// Sequence parameter set NAL unit.
        sps: Vec<u8>,
        /// Picture parameter set NAL unit.
        pps: Vec<u8>,
    },
    /// AV1: what `av1C` holds.
    Av1 {
        /// `seq_level_idx` of the (only) operating point.
        level: u8,
        /// The sequence header OBU, whole (header, size, payload).
        sequence_header: Vec<u8>,
    },
    /// PNG image header (IHDR chunk data).
    Png {
        /// The 13 bytes of IHDR.
        ihdr: Vec<u8>,
    },
}

/// One compressed frame.
#[derive(Clone, Debug)]
pub struct Packet {
    /// The bitstream in the container's form (H.264: 4-byte length prefixes).
    pub data: Vec<u8>,
    /// True for a frame that decodes on its own (IDR).
    pub keyframe: bool,
    /// Index of the frame in the movie.
    pub index: u64,
    /// Presentation time in track ticks.
    pub pts: u64,
    /// For palette images (GIF): the frame's colours.
    pub image: Option<ImageInfo>,
}

/// The colour table of a palette image (GIF) and, for a frame read from an
/// animation (GIF, APNG), where and how it is drawn onto the canvas.
/// framesink's encoders fill the colours only: their frames cover the
/// canvas, and the muxer chooses how each is disposed of.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct ImageInfo {
    /// RGB triplets: GIF's colour table (the frame's own, else the global
    /// one); APNG's PLTE chunk (empty when there is none).
    pub palette: Vec<u8>,
    /// GIF: the index that stands for "transparent", if any.
    pub transparent: Option<u8>,
    /// APNG: the tRNS chunk's data (an alpha per palette entry, or the grey
    /// or RGB sample values that are transparent); empty when there is none.
    pub trns: Vec<u8>,
    /// Where the frame lies on the canvas; `None`: it covers all of it.
    pub rect: Option<Rect>,
    /// What becomes of the frame's rectangle before the next frame is drawn.
    pub dispose: Dispose,
    /// How the frame's pixels meet what the canvas holds.
    pub blend: Blend,
    /// GIF: the frame's rows are stored interlaced (in four passes).
    pub interlaced: bool,
    /// The frame's delay as the file states it, in seconds as numerator and
    /// denominator: GIF's centiseconds over 100 (before 0 and 1 are shown
    /// as 10); APNG's `delay_num` and `delay_den` (a denominator of 0
    /// meaning 100). `None` for a frame that was not read from a file.
    pub delay: Option<(u16, u16)>,
}

/// A rectangle of the canvas, in pixels.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Rect {
    /// Its left column.
    pub left: u32,
    /// Its top row.
    pub top: u32,
    /// Its width.
    pub width: u32,
    /// Its height.
    pub height: u32,
}

/// What becomes of a frame's rectangle once the frame has been shown
/// (GIF's disposal method, APNG's `dispose_op`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Dispose {
    /// Left as drawn: GIF's 0 ("no disposal specified"), 1 ("do not
    /// dispose") and the undefined 5 to 7; APNG's `NONE`.
    #[default]
    Keep,
    /// Cleared to transparent black: GIF's 2 ("restore to background"),
    /// which browsers clear to transparent whatever the background colour;
    /// APNG's `BACKGROUND`.
    Background,
    /// Restored to what it held before the frame was drawn: GIF's 3, and 4
    /// as browsers read it; APNG's `PREVIOUS`. On the first frame this is
    /// the empty (transparent) canvas.
    Previous,
}

/// How a frame's pixels meet what the canvas holds (APNG's `blend_op`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Blend {
    /// They replace it, alpha included: APNG's `SOURCE`.
    #[default]
    Source,
    /// They are drawn over it by their alpha: APNG's `OVER`; every GIF
    /// frame, whose transparent index leaves the pixel under it.
    Over,
}

/// One picture, compressed.
#[derive(Clone, Debug)]
pub struct Encoded {
    /// The compressed picture (see [`Packet::data`]).
    pub data: Vec<u8>,
    /// Whether it decodes on its own.
    pub keyframe: bool,
    /// Its colour table, for palette images.
    pub image: Option<ImageInfo>,
}

/// What every encoder does.
pub trait Encoder: Send {
    /// Takes one picture; `keyframe` forces a frame that starts a GOP. The
    /// packets that are ready go to `out`, in picture order: one per picture
    /// in the end (no frame skipping), but an encoder that looks ahead gives
    /// them later, the last ones from [`flush`](Self::flush).
    fn encode(&mut self, picture: &Picture, keyframe: bool, out: &mut Vec<Encoded>) -> Result<()>;
    /// The end of the movie: every packet still held goes to `out`.
    fn flush(&mut self, out: &mut Vec<Encoded>) -> Result<()> {
        let _ = out;
        Ok(())
    }
    /// The setup data, known after the first keyframe.
    fn codec_config(&self) -> Option<&CodecConfig>;
}

/// The size a `width` x `height` frame is padded to for `codec`, before its
/// limits are checked.
pub fn padded_size(codec: Codec, width: u32, height: u32) -> (u32, u32) {
    match codec {
        #[cfg(feature = "h264")]
        Codec::H264 => h264::coded_size(width, height),
        #[cfg(feature = "av1")]
        Codec::Av1 => av1::coded_size(width, height),
        Codec::Ffmpeg => (width + (width & 1), height + (height & 1)),
        _ => (width, height),
    }
}

/// The picture size `codec` encodes a `width` x `height` frame at (padding
/// included), or why it cannot.
pub fn coded_size(codec: Codec, width: u32, height: u32) -> Result<(u32, u32)> {
    match codec {
        #[cfg(feature = "h264")]
        Codec::H264 => {
            let (w, h) = h264::coded_size(width, height);
            h264::check_size(w, h)?;
            Ok((w, h))
        }
        #[cfg(feature = "av1")]
        Codec::Av1 => {
            let (w, h) = av1::coded_size(width, height);
            av1::check_size(w, h)?;
            Ok((w, h))
        }
        #[cfg(feature = "apng")]
        Codec::Png => Ok((width, height)),
        #[cfg(feature = "ffmpeg")]
        Codec::Ffmpeg => Ok((width + (width & 1), height + (height & 1))),
        #[cfg(feature = "gif")]
        Codec::Gif => {
            if width > u16::MAX as u32 || height > u16::MAX as u32 {
                return Err(Error::Unsupported(format!(
                    "size {width}x{height} is larger than a GIF can hold (65535 pixels a side)"
                )));
            }
            Ok((width, height))
        }
        #[allow(unreachable_patterns)]
        other => Err(not_built(other)),
    }
}

fn not_built(codec: Codec) -> Error {
    Error::Unsupported(format!(
        "codec {codec} is not in this build of framesink (cargo feature missing)"
    ))
}

/// A function that makes a `codec` encoder for `config` at the coded size,
/// on any thread.
pub fn factory(
    codec: Codec,
    layout: crate::frame::PixelLayout,
    config: &WriterConfig,
    coded: (u32, u32),
) -> impl Fn() -> Result<Box<dyn Encoder>> + Send + Sync + Clone + 'static {
    let dither = config.dither;
    #[cfg(feature = "apng")]
    let png_color = png::PngColor::of(layout);
    #[cfg(not(feature = "apng"))]
    let _ = layout;
    #[cfg(feature = "h264")]
    let settings = h264::H264Settings {
        width: coded.0,
        height: coded.1,
        fps: config.fps.as_f64() as f32,
        qp: config.qp(),
        bitrate_bps: config.bitrate_kbps.map(|k| k.saturating_mul(1000)),
        matrix: config.matrix,
    };
    #[cfg(feature = "av1")]
    let av1_settings = av1::Av1Settings {
        width: coded.0,
        height: coded.1,
        fps: config.fps,
        quantizer: config.av1_quantizer(),
        bitrate_bps: config.bitrate_kbps.map(|k| k.saturating_mul(1000)),
        speed: config.effective_speed(),
        keyframe_interval: config.effective_keyframe_interval(),
        threads: config.effective_threads(),
        tiles: config.effective_threads(),
        matrix: config.matrix,
    };
    #[cfg(not(any(feature = "h264", feature = "av1")))]
    let _ = coded;
    move || -> Result<Box<dyn Encoder>> {
        match codec {
            #[cfg(feature = "h264")]
            Codec::H264 => Ok(Box::new(h264::H264Encoder::new(&settings)?)),
            #[cfg(feature = "av1")]
            Codec::Av1 => Ok(Box::new(av1::Av1Encoder::new(&av1_settings)?)),
            #[cfg(feature = "gif")]
            Codec::Gif => Ok(Box::new(gif::GifEncoder::new(dither))),
            #[cfg(feature = "apng")]
            Codec::Png => Ok(Box::new(png::PngEncoder::new(png_color))),
            #[cfg(feature = "ffmpeg")]
            Codec::Ffmpeg => Ok(Box::new(raw::RawYuv)),
            #[allow(unreachable_patterns)]
            other => Err(not_built(other)),
        }
    }
}
