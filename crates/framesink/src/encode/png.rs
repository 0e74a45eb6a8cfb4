//! Lossless frames for APNG: each picture is compressed as a PNG by the png
//! crate (filters + deflate) in a worker, and its IDAT payload becomes the
//! frame's data; the muxer wraps it in fcTL/fdAT chunks. 16-bit input stays
//! 16-bit (big-endian samples, as PNG stores them; see
//! [`WriterConfig::bit_depth`](crate::WriterConfig::bit_depth)). Every frame
//! covers the whole canvas at either depth (no cropping to the changed
//! rectangle, no blending): each is compressed on its own, so frames go to
//! encoder threads in parallel.

use super::{CodecConfig, Encoded, Encoder};
use crate::color::Picture;
use crate::error::{Error, Result};
use crate::frame::PixelLayout;

/// The channels stored, chosen once from the first frame's layout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum PngColor {
    /// Luma.
    Gray,
    /// Luma and alpha.
    GrayAlpha,
    /// Red, green, blue.
    Rgb,
    /// Red, green, blue, alpha.
    Rgba,
}

impl PngColor {
    /// The colour type that stores every channel of `layout`.
    pub fn of(layout: PixelLayout) -> PngColor {
        match layout {
            PixelLayout::Gray8 | PixelLayout::Gray16 => PngColor::Gray,
            PixelLayout::GrayAlpha8 => PngColor::GrayAlpha,
            PixelLayout::Rgba8 | PixelLayout::Bgra8 | PixelLayout::Rgba16 => PngColor::Rgba,
            _ => PngColor::Rgb,
        }
    }

    /// Whether frames in `layout` lose no channel stored as this type.
    pub fn keeps(self, layout: PixelLayout) -> bool {
        use PngColor::*;
        matches!(
            (self, PngColor::of(layout)),
            (Rgba, _) | (Rgb, Gray | Rgb) | (GrayAlpha, Gray | GrayAlpha) | (Gray, Gray)
        )
    }

    /// Its name, and the frames it keeps.
    pub fn describe(self) -> (&'static str, &'static str) {
        match self {
            PngColor::Gray => ("gray", "gray or gray16le"),
            PngColor::GrayAlpha => ("gray with alpha", "gray, gray16le or ya8"),
            PngColor::Rgb => ("RGB", "RGB, BGR, gray or yuv420p, 8 or 16 bits"),
            PngColor::Rgba => ("RGBA", "any"),
        }
    }

    fn png(self) -> png::ColorType {
        match self {
            PngColor::Gray => png::ColorType::Grayscale,
            PngColor::GrayAlpha => png::ColorType::GrayscaleAlpha,
            PngColor::Rgb => png::ColorType::Rgb,
            PngColor::Rgba => png::ColorType::Rgba,
        }
    }

    /// RGBA pixels (4 samples of `bytes` bytes each) to this colour type's
    /// samples.
    fn pack(self, rgba: &[u8], bytes: usize) -> Vec<u8> {
        let keep: &[usize] = match self {
            PngColor::Rgba => return rgba.to_vec(),
            PngColor::Rgb => &[0, 1, 2],
            PngColor::Gray => &[0],
            PngColor::GrayAlpha => &[0, 3],
        };
        let mut out = Vec::with_capacity(rgba.len() / 4 * keep.len());
        for px in rgba.chunks_exact(4 * bytes) {
            for &c in keep {
                out.extend_from_slice(&px[c * bytes..(c + 1) * bytes]);
            }
        }
        out
    }
}

/// An APNG frame encoder.
pub struct PngEncoder {
    color: PngColor,
    config: Option<CodecConfig>,
}

impl PngEncoder {
    /// An encoder storing `color`.
    pub fn new(color: PngColor) -> Self {
        PngEncoder {
            color,
            config: None,
        }
    }
}

fn png_err(e: png::EncodingError) -> Error {
    Error::Encoder(format!("PNG encoder: {e}"))
}

/// The chunks of a PNG file: (type, data).
pub fn chunks(png: &[u8]) -> impl Iterator<Item = (&[u8], &[u8])> {
    let mut at = 8; // signature
    std::iter::from_fn(move || {
        if at + 12 > png.len() {
            return None;
        }
        let len = u32::from_be_bytes(png[at..at + 4].try_into().ok()?) as usize;
        let kind = &png[at + 4..at + 8];
        let data = png.get(at + 8..at + 8 + len)?;
        at += 12 + len;
        Some((kind, data))
    })
}

impl Encoder for PngEncoder {
    fn encode(&mut self, picture: &Picture, _keyframe: bool, out: &mut Vec<Encoded>) -> Result<()> {
        let Picture::Rgba(p) = picture else {
            return Err(Error::Encoder("PNG takes RGBA pictures".into()));
        };
        let mut file = Vec::with_capacity(p.data.len() / 2);
        {
            let mut enc = png::Encoder::new(&mut file, p.width, p.height);
            enc.set_color(self.color.png());
            enc.set_depth(if p.sixteen {
                png::BitDepth::Sixteen
            } else {
                png::BitDepth::Eight
            });
            let mut writer = enc.write_header().map_err(png_err)?;
            let bytes = if p.sixteen { 2 } else { 1 };
            writer
                .write_image_data(&self.color.pack(&p.data, bytes))
                .map_err(png_err)?;
            writer.finish().map_err(png_err)?;
        }
        let mut data = Vec::with_capacity(file.len());
        for (kind, body) in chunks(&file) {
            match kind {
                b"IHDR" => match &self.config {
                    Some(CodecConfig::Png { ihdr }) if ihdr != body => {
                        return Err(Error::Encoder(
                            "PNG frames changed their header (size or depth)".into(),
                        ))
                    }
                    Some(_) => {}
                    None => {
                        self.config = Some(CodecConfig::Png {
                            ihdr: body.to_vec(),
                        })
                    }
                },
                b"IDAT" => data.extend_from_slice(body),
                _ => {}
            }
        }
        out.push(Encoded {
            data,
            keyframe: true,
            image: None,
        });
        Ok(())
    }

    fn codec_config(&self) -> Option<&CodecConfig> {
        self.config.as_ref()
    }
}
