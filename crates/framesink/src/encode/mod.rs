//! Encoders behind one small interface: a YUV picture in, one compressed
//! packet out. Each codec sits in its own file behind its own cargo feature.

#[cfg(feature = "h264")]
pub mod h264;

use crate::color::YuvPicture;
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
        #[allow(unreachable_patterns)]
        other => Err(not_built(other)),
    }
}

fn not_built(codec: Codec) -> Error {
    Error::Unsupported(format!(
        "codec {codec} is not in this build of framesink (cargo feature missing)"
    ))
}

/// A function that makes an encoder for `config` at the coded size, on any thread.
pub fn factory(
    config: &WriterConfig,
    coded: (u32, u32),
) -> impl Fn() -> Result<Box<dyn Encoder>> + Send + Sync + Clone + 'static {
    let codec = config.codec;
    #[cfg(feature = "h264")]
    let settings = h264::H264Settings {
        width: coded.0,
        height: coded.1,
        fps: config.fps.as_f64() as f32,
        qp: config.qp(),
        bitrate_bps: config.bitrate_kbps.map(|k| k.saturating_mul(1000)),
        matrix: config.matrix,
    };
    #[cfg(not(feature = "h264"))]
    let _ = coded;
    move || -> Result<Box<dyn Encoder>> {
        match codec {
            #[cfg(feature = "h264")]
            Codec::H264 => Ok(Box::new(h264::H264Encoder::new(&settings)?)),
            #[allow(unreachable_patterns)]
            other => Err(not_built(other)),
        }
    }
}
