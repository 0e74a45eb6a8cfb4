//! Decoders behind one small interface, the mirror of encode/: packets in
//! decoding order in, pictures in presentation order out. Each codec sits in
//! its own file behind the same cargo feature as its encoder.

// Each codec's module is declared here, with its arms in `describe` and
// `decoder` below: av1.rs, gif.rs, h264.rs, png.rs.
#[cfg(feature = "av1")]
pub(crate) mod av1;
#[cfg(feature = "gif")]
pub(crate) mod gif;
#[cfg(feature = "h264")]
pub(crate) mod h264;
#[cfg(feature = "apng")]
pub(crate) mod png;

use crate::config::Codec;
use crate::encode::{CodecConfig, Packet};
use crate::stream::StreamInfo;

/// A decoded picture, cropped to the displayed size, rows packed with no
/// padding.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) enum Image {
    /// Planar YUV 4:2:0, 8-bit: `y` is `width * height` bytes, `u` and `v`
    /// are `width.div_ceil(2) * height.div_ceil(2)` bytes each.
    Yuv420 {
        width: u32,
        height: u32,
        y: Vec<u8>,
        u: Vec<u8>,
        v: Vec<u8>,
    },
    /// Packed RGBA, 8-bit, `width * 4` bytes a row, straight (not
    /// premultiplied) alpha: what GIF and APNG decode to, composed onto the
    /// canvas (disposal and blending applied).
    Rgba {
        width: u32,
        height: u32,
        data: Vec<u8>,
    },
    /// Packed RGBA, 16-bit, as [`Image::Rgba`]: what a 16-bit PNG or APNG
    /// decodes to, kept at its depth.
    Rgba16 {
        width: u32,
        height: u32,
        data: Vec<u16>,
    },
}

impl Image {
    /// Width and height in pixels.
    pub(crate) fn size(&self) -> (u32, u32) {
        match self {
            Image::Yuv420 { width, height, .. }
            | Image::Rgba { width, height, .. }
            | Image::Rgba16 { width, height, .. } => (*width, *height),
        }
    }
}

/// How a stream's samples map to colours, as its own headers say (the
/// codec's VUI or sequence header; else the container's `colr`; else the
/// defaults a player assumes). Code points of ITU-T H.273.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ColorTags {
    /// Colour primaries (1: BT.709, 6: SMPTE 170M, 9: BT.2020, 2: unspecified).
    pub primaries: u8,
    /// Transfer characteristics (1: BT.709, 13: sRGB, 16: PQ, 18: HLG).
    pub transfer: u8,
    /// Matrix coefficients (1: BT.709, 5/6: BT.601, 9: BT.2020 NCL,
    /// 0: identity (RGB), 2: unspecified, decoded as BT.601).
    pub matrix: u8,
    /// Full ("PC", 0-255) range instead of limited ("TV", 16-235).
    pub full_range: bool,
}

impl Default for ColorTags {
    /// Untagged video: "unspecified" (2) everywhere, limited range.
    fn default() -> Self {
        ColorTags {
            primaries: 2,
            transfer: 2,
            matrix: 2,
            full_range: false,
        }
    }
}

/// What a codec's setup data says about its stream, read before any packet
/// is decoded, so that a stream framesink cannot decode is refused first.
#[derive(Clone, Debug, PartialEq, Eq)]
pub(crate) struct Description {
    /// The profile's name ("High", "Main").
    pub(crate) profile: String,
    /// Bits per sample.
    pub(crate) bit_depth: u8,
    /// The coded size (before cropping).
    pub(crate) coded_width: u32,
    pub(crate) coded_height: u32,
    /// The colour tags in the stream itself, where it has them.
    pub(crate) colour: Option<ColorTags>,
}

/// Why a stream cannot be decoded, as a sentence for the caller to put
/// after the file's name ("its H.264 is interlaced; ...").
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct DecodeError(pub(crate) String);

impl From<String> for DecodeError {
    fn from(sentence: String) -> Self {
        DecodeError(sentence)
    }
}

/// Copies `rows` rows of `row_bytes` bytes, `stride` bytes apart from `base`:
/// a plane of a codec library's picture, rows packed (H.264, AV1).
///
/// # Safety
///
/// Each of the rows must be readable: `base + r * stride .. + row_bytes`
/// for every `r < rows`, alive for the call.
#[cfg(any(feature = "h264", feature = "av1"))]
pub(crate) unsafe fn copy_plane(
    base: *const u8,
    stride: isize,
    row_bytes: usize,
    rows: usize,
) -> Vec<u8> {
    let mut out = Vec::with_capacity(row_bytes * rows);
    for r in 0..rows {
        // SAFETY: the caller vouches for row `r`.
        let row =
            unsafe { std::slice::from_raw_parts(base.offset(r as isize * stride), row_bytes) };
        out.extend_from_slice(row);
    }
    out
}

/// What every decoder does.
pub(crate) trait Decoder: Send {
    /// Takes the next packet in decoding order; the pictures that are ready
    /// go to `out`, in presentation order (a decoder that reorders gives
    /// them later, the last ones from [`flush`](Self::flush)).
    fn decode(&mut self, packet: &Packet, out: &mut Vec<Image>) -> Result<(), DecodeError>;
    /// The end of the stream (or of a run of packets before a seek): every
    /// picture still held goes to `out`, and the decoder is ready to start
    /// again at a keyframe.
    fn flush(&mut self, out: &mut Vec<Image>) -> Result<(), DecodeError>;
    /// Whether decoding can start at `packet`, a sync sample of the
    /// container (H.264: only at an IDR picture, not at an open GOP's
    /// recovery point).
    fn can_start(&self, packet: &Packet) -> bool {
        packet.keyframe
    }
}

/// Reads the setup data of `info`'s stream, refusing what cannot be decoded.
pub(crate) fn describe(info: &StreamInfo) -> Result<Description, DecodeError> {
    match (info.codec, &info.config) {
        #[cfg(feature = "h264")]
        (Codec::H264, Some(config @ CodecConfig::Avc { .. })) => h264::describe(config),
        #[cfg(feature = "av1")]
        (Codec::Av1, Some(config @ CodecConfig::Av1 { .. })) => av1::describe(config),
        (Codec::Gif | Codec::Png, config) => Ok(Description {
            profile: String::new(),
            // PNG: IHDR's bit depth (1 to 16) as stored; GIF: 8.
            bit_depth: match config {
                Some(CodecConfig::Png { ihdr }) => ihdr.get(8).copied().unwrap_or(8),
                _ => 8,
            },
            coded_width: info.width,
            coded_height: info.height,
            colour: None,
        }),
        (codec, _) => Err(DecodeError(format!(
            "its codec is {codec}, which this build of framesink does not decode"
        ))),
    }
}

/// A decoder for `info`'s stream.
pub(crate) fn decoder(info: &StreamInfo) -> Result<Box<dyn Decoder>, DecodeError> {
    Ok(match info.codec {
        #[cfg(feature = "h264")]
        Codec::H264 => Box::new(h264::H264Decoder::new(info)?),
        #[cfg(feature = "av1")]
        Codec::Av1 => Box::new(av1::Av1Decoder::new(info)?),
        #[cfg(feature = "gif")]
        Codec::Gif => Box::new(gif::GifDecoder::new(info)?),
        #[cfg(feature = "apng")]
        Codec::Png => Box::new(png::PngDecoder::new(info)?),
        codec => {
            return Err(DecodeError(format!(
                "its codec is {codec}, which this build of framesink does not decode"
            )))
        }
    })
}
