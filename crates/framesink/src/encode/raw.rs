//! Raw planar YUV 4:2:0 "packets", for encoders outside the process (ffmpeg).

use super::{CodecConfig, Encoded, Encoder};
use crate::color::Picture;
use crate::error::{Error, Result};

/// Serialises YUV pictures as yuv420p bytes.
pub struct RawYuv;

impl Encoder for RawYuv {
    fn encode(&mut self, picture: &Picture, _keyframe: bool, out: &mut Vec<Encoded>) -> Result<()> {
        let Picture::Yuv(p) = picture else {
            return Err(Error::Encoder("raw YUV takes YUV pictures".into()));
        };
        let mut data = Vec::with_capacity(p.y.len() + p.u.len() + p.v.len());
        data.extend_from_slice(&p.y);
        data.extend_from_slice(&p.u);
        data.extend_from_slice(&p.v);
        out.push(Encoded {
            data,
            keyframe: true,
            image: None,
        });
        Ok(())
    }

    fn codec_config(&self) -> Option<&CodecConfig> {
        None
    }
}
