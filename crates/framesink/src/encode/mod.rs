//! Encoders behind one small interface: a YUV picture in, one compressed
//! packet out. Each codec sits in its own file behind its own cargo feature.

#[cfg(feature = "h264")]
pub mod h264;

use crate::color::YuvPicture;
use crate::error::Result;

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
}

/// What every encoder does.
pub trait Encoder: Send {
    /// Encodes one picture; `keyframe` forces a frame that starts a GOP.
    /// Exactly one packet comes out per picture (no frame skipping, no delay).
    fn encode(&mut self, picture: &YuvPicture, keyframe: bool) -> Result<(Vec<u8>, bool)>;
    /// The setup data, known after the first keyframe.
    fn codec_config(&self) -> Option<&CodecConfig>;
}
