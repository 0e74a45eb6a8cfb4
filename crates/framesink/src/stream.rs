//! What a stream is, whichever way it goes: the description every part of a
//! movie shares ([`StreamInfo`]) and the report on a finished one ([`Summary`]).
//!
//! Below mux/, demux/, segment.rs and the writer, so that each of them takes
//! these from here and none imports another to get them.

use std::fmt;

use crate::config::{Codec, ColorMatrix, Rational};
use crate::encode::CodecConfig;
use crate::frame::PixelLayout;

/// What every segment of one movie must share.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct StreamInfo {
    /// The codec of the packets.
    pub codec: Codec,
    /// Coded (and displayed) width.
    pub width: u32,
    /// Coded (and displayed) height.
    pub height: u32,
    /// Ticks per second of the track.
    pub timescale: u32,
    /// One frame period in ticks: the nominal frame rate is
    /// `timescale / frame_ticks`.
    pub frame_ticks: u32,
    /// Colour tags (MP4 `colr`).
    pub matrix: ColorMatrix,
    /// The encoder and its settings as the MP4 sample entry names them
    /// (its compressor name: `"framesink H.264 q58"`); empty when unknown.
    pub encoder: String,
    /// The codec's setup data (H.264 SPS/PPS, the AV1 sequence header);
    /// `None` for GIF, or until an encoder has made it.
    pub config: Option<CodecConfig>,
    /// GIF and APNG: how many times the animation plays (`None`: forever).
    /// Taken from the first part; not compared.
    pub loops: Option<u16>,
}

impl StreamInfo {
    /// A stream of `codec` pictures of `width` x `height` at `frame_ticks`
    /// of `timescale` ticks a frame, BT.709, no setup data yet.
    pub fn new(codec: Codec, width: u32, height: u32, timescale: u32, frame_ticks: u32) -> Self {
        StreamInfo {
            codec,
            width,
            height,
            timescale,
            frame_ticks,
            matrix: ColorMatrix::Bt709,
            encoder: String::new(),
            config: None,
            loops: None,
        }
    }

    /// The nominal frame rate, exact.
    pub fn fps(&self) -> Rational {
        Rational::new(self.timescale as u64, self.frame_ticks.max(1) as u64)
    }

    /// The first field in which `other` differs from `self` that a joined
    /// movie cannot hold: (field, this value, the other value).
    pub fn difference(&self, other: &StreamInfo) -> Option<(&'static str, String, String)> {
        let pair = |a: &dyn fmt::Display, b: &dyn fmt::Display| (a.to_string(), b.to_string());
        let (field, (a, b)) = if self.codec != other.codec {
            ("codec", pair(&self.codec, &other.codec))
        } else if (self.width, self.height) != (other.width, other.height) {
            (
                "coded size",
                (
                    format!("{}x{}", self.width, self.height),
                    format!("{}x{}", other.width, other.height),
                ),
            )
        } else if self.timescale != other.timescale {
            ("timescale", pair(&self.timescale, &other.timescale))
        } else if self.codec != Codec::Gif && self.frame_ticks != other.frame_ticks {
            ("frame rate", pair(&self.fps(), &other.fps()))
        } else if self.matrix != other.matrix {
            (
                "colour matrix",
                pair(&self.matrix.name(), &other.matrix.name()),
            )
        } else if !self.encoder.is_empty()
            && !other.encoder.is_empty()
            && self.encoder != other.encoder
        {
            (
                "encoder settings (quality, bitrate, speed)",
                (
                    format!("{:?}", self.encoder),
                    format!("{:?}", other.encoder),
                ),
            )
        } else if let (Some(a), Some(b)) = (&self.config, &other.config) {
            if a == b {
                return None;
            }
            let field = match a {
                CodecConfig::Avc { sps, .. } => match b {
                    CodecConfig::Avc { sps: s2, .. } if sps == s2 => "picture parameter set (PPS)",
                    _ => "sequence parameter set (SPS)",
                },
                CodecConfig::Av1 { .. } => "AV1 sequence header",
                CodecConfig::Png { ihdr } => match b {
                    // IHDR: width, height (4 bytes each), then the bit depth.
                    CodecConfig::Png { ihdr: other } if ihdr.get(8) != other.get(8) => {
                        let depth = |h: &[u8]| h.get(8).map_or("?".into(), |d| d.to_string());
                        return Some(("bit depth", depth(ihdr), depth(other)));
                    }
                    _ => "PNG header",
                },
            };
            (field, (config_hex(a), config_hex(b)))
        } else {
            return None;
        };
        Some((field, a, b))
    }
}

fn config_hex(c: &CodecConfig) -> String {
    let bytes: Vec<u8> = match c {
        CodecConfig::Avc { sps, pps } => sps.iter().chain(pps).copied().collect(),
        CodecConfig::Av1 {
            sequence_header, ..
        } => sequence_header.clone(),
        CodecConfig::Png { ihdr } => ihdr.clone(),
    };
    let hex: String = bytes.iter().take(24).map(|b| format!("{b:02x}")).collect();
    if bytes.len() > 24 {
        format!("{hex}... ({} bytes)", bytes.len())
    } else {
        hex
    }
}

/// Something the caller should know that is not an error.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum Warning {
    /// The frame size is odd (H.264), not a multiple of 8 wide (AV1), or
    /// below the encoder's minimum (16 pixels for H.264 and AV1); frames are
    /// padded by repeating the last column and/or row. Never stretched.
    Padded {
        /// The codec that needs it.
        codec: Codec,
        /// Size of the frames given.
        width: u32,
        /// Size of the frames given.
        height: u32,
        /// Size in the movie.
        coded_width: u32,
        /// Size in the movie.
        coded_height: u32,
    },
    /// The frame rate is above what a GIF can show (50 fps); frames are
    /// dropped evenly (counted in [`Summary::frames_dropped`]).
    FramesDropped {
        /// The rate asked for.
        fps: Rational,
    },
    /// 16-bit frames are rounded to 8 bits, and no bit depth was asked
    /// for ([`WriterConfig::bit_depth`](crate::WriterConfig::bit_depth)):
    /// given once per writer, at the first such frame.
    BitsLost {
        /// The codec that keeps 8 bits.
        codec: Codec,
        /// The frames' layout (`gray16le`, `rgb48le`, `rgba64le`).
        layout: PixelLayout,
    },
}

impl fmt::Display for Warning {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Warning::Padded {
                codec,
                width,
                height,
                coded_width,
                coded_height,
            } => {
                let (what, need) = match codec {
                    Codec::Av1 if width < coded_width && *width >= 16 => (
                        "not a multiple of 8 wide",
                        "rav1e damages the right edge of such widths",
                    ),
                    Codec::Av1 => ("too small", "AV1 (rav1e) needs sizes of at least 16"),
                    Codec::H264 => (
                        if width % 2 == 1 || height % 2 == 1 { "odd" } else { "too small" },
                        "H.264 needs even sizes of at least 16",
                    ),
                    _ => ("odd", "the encoder needs even sizes"),
                };
                write!(
                    f,
                    "frame size {width}x{height} is {what}; {need}, so frames are padded to {coded_width}x{coded_height} by repeating the last column/row (not stretched)"
                )
            }
            Warning::BitsLost {
                codec: Codec::Png,
                layout,
            } => write!(
                f,
                "16-bit frames ({layout}) are rounded to 8 bits: this APNG is 8-bit, as its first frame was; bit_depth 16 keeps every bit"
            ),
            Warning::BitsLost { codec, layout } => write!(
                f,
                "16-bit frames ({layout}) are rounded to 8 bits by {codec}; outputs that keep them: .png/.apng (16 bits there by default, or with bit_depth 16)"
            ),
            Warning::FramesDropped { fps } => write!(
                f,
                "fps {fps} is more than a GIF can show (at most 50: browsers show delays under 2/100 s as 10/100 s); frames are dropped evenly so the timing stays right"
            ),
        }
    }
}

/// What [`VideoWriter::finish`](crate::VideoWriter::finish) and
/// [`Joiner::finish`](crate::Joiner::finish) report.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct Summary {
    /// Frames in the file.
    pub frames: u64,
    /// Duration in ticks of `timescale`.
    pub duration_ticks: u64,
    /// Ticks per second of the track.
    pub timescale: u32,
    /// Size of the file in bytes.
    pub bytes: u64,
    /// Codec used.
    pub codec: Codec,
    /// Codec profile (`"High"`; `"GIF89a"`).
    pub profile: &'static str,
    /// Size of the frames given.
    pub width: u32,
    /// Size of the frames given.
    pub height: u32,
    /// Size of the coded (and displayed) picture.
    pub coded_width: u32,
    /// Size of the coded (and displayed) picture.
    pub coded_height: u32,
    /// Every warning given while writing.
    pub warnings: Vec<Warning>,
    /// Frames given but not in the file: a GIF cannot show more than 50
    /// frames a second (see [`Warning::FramesDropped`]).
    pub frames_dropped: u64,
    /// Bits per sample in the file: 16 for a 16-bit PNG/APNG
    /// ([`WriterConfig::bit_depth`](crate::WriterConfig::bit_depth)), else 8.
    pub bit_depth: u8,
}

impl Summary {
    /// The summary of a joined movie.
    pub(crate) fn joined(info: &StreamInfo, frames: u64, duration_ticks: u64, bytes: u64) -> Self {
        Summary {
            frames,
            duration_ticks,
            timescale: info.timescale,
            bytes,
            codec: info.codec,
            profile: profile(info.codec),
            width: info.width,
            height: info.height,
            coded_width: info.width,
            coded_height: info.height,
            warnings: Vec::new(),
            frames_dropped: 0,
            // Joined parts are MP4 or GIF, which framesink writes at 8 bits.
            bit_depth: 8,
        }
    }

    /// Duration in seconds.
    pub fn duration_secs(&self) -> f64 {
        self.duration_ticks as f64 / self.timescale as f64
    }
}

/// The profile a [`Summary`] names for `codec`.
pub(crate) fn profile(codec: Codec) -> &'static str {
    match codec {
        Codec::H264 => "High",
        Codec::Av1 => "Main",
        Codec::Gif => "GIF89a",
        Codec::Png => "APNG",
        Codec::Ffmpeg => "external",
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn png_headers_of_other_depths_differ_in_bit_depth() {
        let ihdr = |depth: u8| {
            let mut h = [0u8; 13];
            h[3] = 16; // width 16
            h[7] = 8; // height 8
            h[8] = depth;
            h[9] = 2; // RGB
            h.to_vec()
        };
        let info = |depth| {
            let mut i = StreamInfo::new(Codec::Png, 16, 8, 90_000, 3000);
            i.config = Some(CodecConfig::Png { ihdr: ihdr(depth) });
            i
        };
        assert_eq!(
            info(16).difference(&info(8)),
            Some(("bit depth", "16".into(), "8".into()))
        );
        assert_eq!(info(16).difference(&info(16)), None);
    }
}
