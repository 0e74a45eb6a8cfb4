//! GIF frames: each picture gets its own palette from Wu's quantiser
//! (quantette, in Oklab), optional Floyd-Steinberg dithering, transparency
//! from alpha, and LZW compression here, so frames compress in parallel.

use std::borrow::Cow;
use std::collections::HashMap;

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
    fn encode(&mut self, picture: &Picture, _keyframe: bool, out: &mut Vec<Encoded>) -> Result<()> {
        let Picture::Rgba(p) = picture else {
            return Err(Error::Encoder("GIF takes RGBA pictures".into()));
        };
        let transparent = p.data.chunks_exact(4).any(|px| px[3] < ALPHA_CUTOFF);
        // One palette entry is kept for "transparent" when there is alpha.
        let colours: usize = if transparent { 255 } else { 256 };
        let (mut palette, mut indices) = match exact_palette(&p.data, colours) {
            // Few colours (plots, text, pixel art): every one kept exactly.
            Some(exact) => exact,
            None => self.quantize(p, colours as u16)?,
        };
        let transparent_index = if transparent {
            let index = (palette.len() / 3) as u8;
            mark_transparent(&mut indices, index, &p.data);
            Some(index)
        } else {
            None
        };
        if transparent {
            palette.extend_from_slice(&[0, 0, 0]);
        }
        let mut frame = gif::Frame {
            width: p.width as u16,
            height: p.height as u16,
            buffer: Cow::Owned(indices),
            ..gif::Frame::default()
        };
        frame.make_lzw_pre_encoded();
        out.push(Encoded {
            data: frame.buffer.into_owned(),
            keyframe: true,
            image: Some(ImageInfo {
                palette,
                transparent: transparent_index,
                ..ImageInfo::default()
            }),
        });
        Ok(())
    }

    fn codec_config(&self) -> Option<&super::CodecConfig> {
        None
    }
}

/// Points transparent pixels at the transparent index.
fn mark_transparent(indices: &mut [u8], index: u8, rgba: &[u8]) {
    for (i, px) in indices.iter_mut().zip(rgba.chunks_exact(4)) {
        if px[3] < ALPHA_CUTOFF {
            *i = index;
        }
    }
}

/// The frame's own colours (opaque pixels) as palette and indices, when
/// there are at most `max` of them; `None` otherwise.
fn exact_palette(rgba: &[u8], max: usize) -> Option<(Vec<u8>, Vec<u8>)> {
    let mut index: HashMap<[u8; 3], u8> = HashMap::with_capacity(max);
    let mut palette = Vec::with_capacity(max * 3);
    let mut indices = Vec::with_capacity(rgba.len() / 4);
    let mut last: Option<([u8; 3], u8)> = None;
    for px in rgba.chunks_exact(4) {
        if px[3] < ALPHA_CUTOFF {
            indices.push(0);
            continue;
        }
        let c = [px[0], px[1], px[2]];
        // Runs of one colour are common: skip the lookup.
        if let Some((lc, li)) = last {
            if lc == c {
                indices.push(li);
                continue;
            }
        }
        let i = match index.get(&c) {
            Some(&i) => i,
            None => {
                if index.len() == max {
                    return None;
                }
                let i = index.len() as u8;
                index.insert(c, i);
                palette.extend_from_slice(&c);
                i
            }
        };
        last = Some((c, i));
        indices.push(i);
    }
    Some((palette, indices))
}

impl GifEncoder {
    /// Wu's quantiser (with optional dithering) for frames of many colours.
    fn quantize(&self, p: &crate::color::RgbaPicture, colours: u16) -> Result<(Vec<u8>, Vec<u8>)> {
        let pixels: Vec<Srgb<u8>> = p
            .data
            .chunks_exact(4)
            .map(|px| Srgb::new(px[0], px[1], px[2]))
            .collect();
        let image = ImageBuf::new(p.width, p.height, pixels)
            .map_err(|e| Error::Encoder(format!("GIF quantiser: {e}")))?;
        let indexed = Pipeline::new()
            .palette_size(PaletteSize::from_u16_clamped(colours))
            .ditherer(self.dither.then(FloydSteinberg::new))
            .input_image(image.as_ref())
            .output_srgb8_indexed_image();
        let (palette, indices) = indexed.into_parts();
        let palette = palette
            .iter()
            .flat_map(|c| [c.red, c.green, c.blue])
            .collect();
        Ok((palette, indices))
    }
}
