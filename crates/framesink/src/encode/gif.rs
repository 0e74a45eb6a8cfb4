//! GIF frames: each picture gets its own palette from Wu's quantiser
//! (quantette, in Oklab), optional Floyd-Steinberg dithering, transparency
//! from alpha, and LZW compression here, so frames compress in parallel.

use std::borrow::Cow;

use quantette::deps::palette::Srgb;
use quantette::dither::FloydSteinberg;
use quantette::{ImageBuf, PaletteSize, Pipeline};

use super::{Encoded, Encoder, ImageInfo};
use crate::color::Picture;
use crate::error::{Error, Result};

/// Pixels with less alpha than this are transparent (GIF has 1-bit alpha).
const ALPHA_CUTOFF: u8 = 128;

/// A GIF frame encoder.
pub struct GifEncoder {
    dither: bool,
}

impl GifEncoder {
    /// An encoder; `dither` turns on Floyd-Steinberg dithering.
    pub fn new(dither: bool) -> Self {
        GifEncoder { dither }
    }
}

impl Encoder for GifEncoder {
    fn encode(&mut self, picture: &Picture, _keyframe: bool) -> Result<Encoded> {
        let Picture::Rgba(p) = picture else {
            return Err(Error::Encoder("GIF takes RGBA pictures".into()));
        };
        let transparent = p.data.chunks_exact(4).any(|px| px[3] < ALPHA_CUTOFF);
        let pixels: Vec<Srgb<u8>> = p
            .data
            .chunks_exact(4)
            .map(|px| Srgb::new(px[0], px[1], px[2]))
            .collect();
        let image = ImageBuf::new(p.width, p.height, pixels)
            .map_err(|e| Error::Encoder(format!("GIF quantiser: {e}")))?;
        // One palette entry is kept for "transparent" when there is alpha.
        let colours = if transparent { 255 } else { 256 };
        let indexed = Pipeline::new()
            .palette_size(PaletteSize::from_u16_clamped(colours))
            .ditherer(self.dither.then(FloydSteinberg::new))
            .input_image(image.as_ref())
            .output_srgb8_indexed_image();
        let (palette, mut indices) = indexed.into_parts();
        let mut palette: Vec<u8> = palette
            .iter()
            .flat_map(|c| [c.red, c.green, c.blue])
            .collect();
        let transparent_index = if transparent {
            let index = (palette.len() / 3) as u8;
            palette.extend_from_slice(&[0, 0, 0]);
            for (i, px) in indices.iter_mut().zip(p.data.chunks_exact(4)) {
                if px[3] < ALPHA_CUTOFF {
                    *i = index;
                }
            }
            Some(index)
        } else {
            None
        };
        let mut frame = gif::Frame {
            width: p.width as u16,
            height: p.height as u16,
            buffer: Cow::Owned(indices),
            ..gif::Frame::default()
        };
        frame.make_lzw_pre_encoded();
        Ok(Encoded {
            data: frame.buffer.into_owned(),
            keyframe: true,
            image: Some(ImageInfo {
                palette,
                transparent: transparent_index,
            }),
        })
    }

    fn codec_config(&self) -> Option<&super::CodecConfig> {
        None
    }
}
