//! APNG frames to RGBA pictures of the whole canvas: each frame's data is
//! inflated by the png crate (as a small PNG of the frame's own size), then
//! composed onto the canvas with APNG's dispose_op and blend_op.
//!
//! The canvas keeps the stream's depth (8 or 16 bits a sample) and is handed
//! out at it: a 16-bit stream gives 16-bit pictures, which the reader
//! narrows only for an 8-bit layout.

use std::io::Cursor;

use super::{DecodeError, Decoder, Image};
use crate::demux::check_canvas;
use crate::encode::{Blend, CodecConfig, Dispose, ImageInfo, Packet, Rect};
use crate::mux::apng::push_chunk;
use crate::stream::StreamInfo;

const SIGNATURE: &[u8; 8] = b"\x89PNG\r\n\x1a\n";

/// The most data one IDAT chunk of the PNG made for a frame holds (PNG
/// allows 2^31 - 1 bytes).
const MAX_IDAT: usize = 1 << 30;

/// A sample of the canvas: 8 or 16 bits.
trait Sample: Copy + Default + Into<u64> {
    /// The largest value (opaque, full intensity).
    const MAX: u64;
    /// A value known to be at most [`Sample::MAX`].
    fn from_u64(v: u64) -> Self;
}

impl Sample for u8 {
    const MAX: u64 = 255;
    fn from_u64(v: u64) -> Self {
        v as u8
    }
}

impl Sample for u16 {
    const MAX: u64 = 65535;
    fn from_u64(v: u64) -> Self {
        v as u16
    }
}

/// Draws `src` over `dst` (RGBA, straight alpha) by APNG's OVER: the
/// exact result of "over" (as in the APNG specification's formula),
/// rounded to the nearest sample value.
fn over<T: Sample>(dst: &mut [T], src: &[T]) {
    let m = T::MAX;
    let sa: u64 = src[3].into();
    if sa == m {
        dst.copy_from_slice(src);
        return;
    }
    if sa == 0 {
        return;
    }
    let da: u64 = dst[3].into();
    // Weights of the source and of what is under it, times MAX: their sum
    // is the alpha of the result, times MAX.
    let u = sa * m;
    let v = (m - sa) * da;
    let al = u + v;
    for c in 0..3 {
        let (s, d): (u64, u64) = (src[c].into(), dst[c].into());
        dst[c] = T::from_u64((s * u + d * v + al / 2) / al);
    }
    dst[3] = T::from_u64((al + m / 2) / m);
}

/// The canvas at the stream's depth, and what the last frame left to do.
struct Canvas<T> {
    width: u32,
    /// RGBA samples, row after row.
    pixels: Vec<T>,
    /// The last frame's rectangle and what becomes of it before the next
    /// frame is drawn.
    pending: Option<(Rect, Dispose)>,
    /// That rectangle's samples before the frame was drawn, when it is to
    /// be restored.
    saved: Vec<T>,
}

impl<T: Sample> Canvas<T> {
    fn new(width: u32, height: u32) -> Self {
        Canvas {
            width,
            pixels: vec![T::default(); width as usize * height as usize * 4],
            pending: None,
            saved: Vec::new(),
        }
    }

    /// The samples of row `y` of `r`.
    fn span(&self, r: Rect, y: u32) -> std::ops::Range<usize> {
        let at = ((r.top + y) as usize * self.width as usize + r.left as usize) * 4;
        at..at + r.width as usize * 4
    }

    /// Draws a frame (RGBA samples of `rect`) after the last frame's
    /// disposal.
    fn draw(&mut self, frame: &[T], rect: Rect, dispose: Dispose, blend: Blend) {
        if let Some((r, d)) = self.pending.take() {
            for y in 0..r.height {
                let span = self.span(r, y);
                match d {
                    Dispose::Keep => break,
                    Dispose::Background => self.pixels[span].fill(T::default()),
                    Dispose::Previous => {
                        let n = span.len();
                        let k = y as usize * n;
                        self.pixels[span].copy_from_slice(&self.saved[k..k + n]);
                    }
                }
            }
        }
        if dispose == Dispose::Previous {
            self.saved.clear();
            for y in 0..rect.height {
                let span = self.span(rect, y);
                self.saved.extend_from_slice(&self.pixels[span]);
            }
        }
        let row = rect.width as usize * 4;
        for y in 0..rect.height {
            let span = self.span(rect, y);
            let src = &frame[y as usize * row..][..row];
            let dst = &mut self.pixels[span];
            match blend {
                Blend::Source => dst.copy_from_slice(src),
                Blend::Over => {
                    for (d, s) in dst.chunks_exact_mut(4).zip(src.chunks_exact(4)) {
                        over(d, s);
                    }
                }
            }
        }
        self.pending = Some((rect, dispose));
    }

    fn reset(&mut self) {
        self.pixels.fill(T::default());
        self.pending = None;
    }
}

/// The canvas, at the stream's depth.
enum Depth {
    Eight(Canvas<u8>),
    Sixteen(Canvas<u16>),
}

/// Decodes the frames of one APNG (or PNG), in order, onto its canvas.
pub(crate) struct PngDecoder {
    width: u32,
    height: u32,
    /// The stream's IHDR chunk data; each frame's PNG takes it with the
    /// frame's own size.
    ihdr: Vec<u8>,
    canvas: Depth,
}

impl PngDecoder {
    /// A decoder for `info`'s stream (its IHDR in `info.config`), refused
    /// when its frames would be larger than framesink reads.
    pub(crate) fn new(info: &StreamInfo) -> Result<Self, DecodeError> {
        let Some(CodecConfig::Png { ihdr }) = &info.config else {
            return Err(DecodeError(
                "its APNG stream has no PNG header (IHDR)".into(),
            ));
        };
        if ihdr.len() != 13 {
            return Err(DecodeError(format!(
                "its PNG header (IHDR) holds {} bytes; it holds 13",
                ihdr.len()
            )));
        }
        check_canvas(info.width, info.height)?;
        let (width, height) = (info.width, info.height);
        let canvas = if ihdr[8] == 16 {
            Depth::Sixteen(Canvas::new(width, height))
        } else {
            Depth::Eight(Canvas::new(width, height))
        };
        Ok(PngDecoder {
            width,
            height,
            ihdr: ihdr.clone(),
            canvas,
        })
    }

    /// A PNG of the frame alone: the stream's header with the frame's size,
    /// its palette and transparency, its data as IDAT.
    fn frame_png(&self, rect: Rect, image: &ImageInfo, data: &[u8]) -> Vec<u8> {
        let mut png = Vec::with_capacity(data.len() + 1024);
        png.extend_from_slice(SIGNATURE);
        let mut ihdr = self.ihdr.clone();
        ihdr[0..4].copy_from_slice(&rect.width.to_be_bytes());
        ihdr[4..8].copy_from_slice(&rect.height.to_be_bytes());
        push_chunk(&mut png, b"IHDR", &ihdr);
        if !image.palette.is_empty() {
            push_chunk(&mut png, b"PLTE", &image.palette);
        }
        if !image.trns.is_empty() {
            push_chunk(&mut png, b"tRNS", &image.trns);
        }
        for part in data.chunks(MAX_IDAT) {
            push_chunk(&mut png, b"IDAT", part);
        }
        if data.is_empty() {
            push_chunk(&mut png, b"IDAT", &[]);
        }
        push_chunk(&mut png, b"IEND", &[]);
        png
    }

    fn picture(&self) -> Image {
        let (width, height) = (self.width, self.height);
        match &self.canvas {
            Depth::Eight(c) => Image::Rgba {
                width,
                height,
                data: c.pixels.clone(),
            },
            Depth::Sixteen(c) => Image::Rgba16 {
                width,
                height,
                data: c.pixels.clone(),
            },
        }
    }
}

/// Decoded samples (palette and low-bit grey expanded, tRNS made alpha) of
/// `color` to RGBA.
fn to_rgba<T: Sample>(samples: &[T], color: png::ColorType) -> Vec<T> {
    let opaque = T::from_u64(T::MAX);
    let channels = color.samples();
    let mut out = Vec::with_capacity(samples.len() / channels * 4);
    for px in samples.chunks_exact(channels) {
        match *px {
            [g] => out.extend_from_slice(&[g, g, g, opaque]),
            [g, a] => out.extend_from_slice(&[g, g, g, a]),
            [r, g, b] => out.extend_from_slice(&[r, g, b, opaque]),
            [r, g, b, a] => out.extend_from_slice(&[r, g, b, a]),
            _ => unreachable!("PNG pixels have 1 to 4 samples"),
        }
    }
    out
}

impl Decoder for PngDecoder {
    fn decode(&mut self, packet: &Packet, out: &mut Vec<Image>) -> Result<(), DecodeError> {
        let n = packet.index;
        let default = ImageInfo::default();
        let image = packet.image.as_ref().unwrap_or(&default);
        let rect = image.rect.unwrap_or(Rect {
            left: 0,
            top: 0,
            width: self.width,
            height: self.height,
        });
        if rect.width == 0
            || rect.height == 0
            || rect.left as u64 + rect.width as u64 > self.width as u64
            || rect.top as u64 + rect.height as u64 > self.height as u64
        {
            return Err(DecodeError(format!(
                "APNG frame {n} places {}x{} pixels at ({}, {}), which is not within the {}x{} canvas",
                rect.width, rect.height, rect.left, rect.top, self.width, self.height
            )));
        }
        let file = self.frame_png(rect, image, &packet.data);
        let bad =
            |e: png::DecodingError| DecodeError(format!("APNG frame {n} cannot be decoded: {e}"));
        // Its size is within the canvas, already checked: no other limit.
        let limits = png::Limits { bytes: usize::MAX };
        let mut decoder = png::Decoder::new_with_limits(Cursor::new(&file[..]), limits);
        decoder.set_transformations(png::Transformations::EXPAND);
        let mut reader = decoder.read_info().map_err(bad)?;
        let size = reader
            .output_buffer_size()
            .ok_or_else(|| DecodeError(format!("APNG frame {n} is too large to decode")))?;
        let mut buf = vec![0u8; size];
        reader.next_frame(&mut buf).map_err(bad)?;
        let (color, depth) = reader.output_color_type();
        match (&mut self.canvas, depth) {
            (Depth::Eight(c), png::BitDepth::Eight) => {
                c.draw(&to_rgba(&buf, color), rect, image.dispose, image.blend)
            }
            (Depth::Sixteen(c), png::BitDepth::Sixteen) => {
                let samples: Vec<u16> = buf
                    .chunks_exact(2)
                    .map(|b| u16::from_be_bytes([b[0], b[1]]))
                    .collect();
                c.draw(&to_rgba(&samples, color), rect, image.dispose, image.blend)
            }
            (_, depth) => {
                return Err(DecodeError(format!(
                    "APNG frame {n} decodes to {depth:?} samples, not the stream's depth"
                )))
            }
        }
        out.push(self.picture());
        Ok(())
    }

    fn flush(&mut self, _out: &mut Vec<Image>) -> Result<(), DecodeError> {
        // Ready to start again at a keyframe: on the empty canvas.
        match &mut self.canvas {
            Depth::Eight(c) => c.reset(),
            Depth::Sixteen(c) => c.reset(),
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::fs::File;
    use std::path::Path;

    use super::over;
    use crate::color::u16_to_u8 as narrow;
    use crate::demux::png::PngDemuxer;
    use crate::demux::testing::png_file::{ihdr, image_data, Apng, Control};
    use crate::demux::testing::{assert_same, decode_all, decode_from, ffmpeg_rgba, scratch};
    use crate::demux::Demuxer;
    use crate::testing::{ffmpeg, ffmpeg_frames};
    use crate::{PixelLayout, VideoWriter, WriterConfig};

    fn open(path: &Path) -> PngDemuxer<File> {
        PngDemuxer::open(File::open(path).unwrap()).expect("a PNG to read")
    }

    /// RGBA samples of a `w` x `h` picture, each a function of (x, y).
    fn rgba(w: u32, h: u32, f: impl Fn(u32, u32) -> [u8; 4]) -> Vec<u8> {
        (0..w * h).flat_map(|i| f(i % w, i / w)).collect()
    }

    /// Reads `bytes` (written to `name` in `dir`) with framesink and with
    /// ffmpeg; asserts that they agree, frame by frame.
    fn matches_ffmpeg(dir: &Path, name: &str, bytes: &[u8]) -> Vec<Vec<u8>> {
        let path = dir.join(name);
        std::fs::write(&path, bytes).unwrap();
        let mut png = open(&path);
        let (w, h) = (png.info().width, png.info().height);
        let ours = decode_all(&mut png);
        let theirs = ffmpeg_rgba(&path, w, h);
        assert_eq!(ours.len(), theirs.len(), "{name}: frames");
        for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
            assert_same(a, b, w, &format!("{name}, frame {i}"));
        }
        ours
    }

    /// Partial frames with each dispose_op and blend_op, OVER onto opaque
    /// and onto empty pixels (where ffmpeg rounds as the formula does).
    #[test]
    fn partial_frames_match_ffmpeg() {
        let dir = scratch("apng-partial");
        let header = ihdr(6, 5, 8, 6);
        let frame =
            |w, h, f: &dyn Fn(u32, u32) -> [u8; 4]| image_data(w, h, &header, &rgba(w, h, f));
        let alphas = [0u8, 128, 255, 64, 200, 1];
        let frames: Vec<(Control, Vec<u8>)> = vec![
            (
                ((0, 0, 6, 5), (1, 10), 0, 0),
                frame(6, 5, &|x, y| [x as u8 * 40, y as u8 * 50, 90, 255]),
            ),
            (
                ((1, 1, 3, 2), (1, 20), 0, 1),
                frame(3, 2, &|x, y| [250, 10, 100, alphas[(y * 3 + x) as usize]]),
            ),
            (
                ((2, 0, 3, 3), (3, 100), 2, 0),
                frame(3, 3, &|x, y| [7, 200, 30, (x * 60 + y * 20) as u8]),
            ),
            (
                ((0, 2, 4, 3), (1, 10), 1, 0),
                frame(4, 3, &|x, _| [x as u8 * 60, 255, 255, 255]),
            ),
            (
                ((2, 1, 4, 4), (0, 0), 0, 1),
                frame(4, 4, &|x, y| [90, 90, x as u8 * 80, (y * 80) as u8 | 1]),
            ),
        ];
        let mut apng = Apng::new(&header).actl(5, 0);
        for (i, (control, data)) in frames.iter().enumerate() {
            apng = apng.fctl(*control);
            apng = if i == 0 {
                apng.idat(data)
            } else {
                apng.fdat(data)
            };
        }
        let bytes = apng.end();
        let ours = matches_ffmpeg(&dir, "partial.png", &bytes);
        assert_eq!(ours.len(), 5);
        let png = open(&dir.join("partial.png"));
        // Delays of 1/10, 1/20, 3/100, 1/10, 0: in 100ths exactly.
        assert_eq!(png.info().timescale, 100);
        let pts: Vec<u64> = png.samples().iter().map(|s| s.pts).collect();
        assert_eq!(pts, [0, 10, 15, 18, 28]);
        assert_eq!(png.duration(), 28);
        assert_eq!(png.info().loops, None);
        let _ = std::fs::remove_dir_all(dir);
    }

    /// OVER onto a pixel that is neither empty nor opaque: the formula's
    /// exact value, rounded; ffmpeg's differs (it divides by the rounded
    /// alpha, and truncates).
    #[test]
    fn over_rounds_the_exact_result() {
        let mut dst = [10u8, 20, 30, 100];
        over(&mut dst, &[200, 100, 50, 128]);
        assert_eq!(dst, [147, 78, 44, 178]);
        let dir = scratch("apng-over");
        let header = ihdr(1, 1, 8, 6);
        let bytes = Apng::new(&header)
            .actl(2, 0)
            .fctl(((0, 0, 1, 1), (1, 10), 0, 0))
            .idat(&image_data(1, 1, &header, &[10, 20, 30, 100]))
            .fctl(((0, 0, 1, 1), (1, 10), 0, 1))
            .fdat(&image_data(1, 1, &header, &[200, 100, 50, 128]))
            .end();
        let path = dir.join("over.png");
        std::fs::write(&path, &bytes).unwrap();
        assert_eq!(decode_all(&mut open(&path))[1], [147, 78, 44, 178]);
        assert_eq!(ffmpeg_rgba(&path, 1, 1)[1], [146, 77, 44, 178]);
        // The extremes, 8 and 16 bits: onto empty is the source itself;
        // onto opaque stays opaque.
        let mut onto_empty = [1u16, 2, 3, 0];
        over(&mut onto_empty, &[40000, 50000, 60000, 12345]);
        assert_eq!(onto_empty, [40000, 50000, 60000, 12345]);
        let mut onto_opaque = [0u8, 0, 0, 255];
        over(&mut onto_opaque, &[255, 255, 255, 128]);
        assert_eq!(onto_opaque, [128, 128, 128, 255]);
        let _ = std::fs::remove_dir_all(dir);
    }

    /// An IDAT before the first fcTL is the default image, not a frame.
    #[test]
    fn the_default_image_is_not_a_frame() {
        let dir = scratch("apng-default");
        let header = ihdr(2, 2, 8, 2);
        let solid = |c: [u8; 3]| image_data(2, 2, &header, &c.repeat(4));
        let bytes = Apng::new(&header)
            .actl(2, 3)
            .idat(&solid([255, 0, 0]))
            .fctl(((0, 0, 2, 2), (1, 4), 0, 0))
            .fdat(&solid([0, 255, 0]))
            .fctl(((1, 1, 1, 1), (1, 4), 0, 0))
            .fdat(&image_data(1, 1, &header, &[0, 0, 255]))
            .end();
        let path = dir.join("default.png");
        std::fs::write(&path, &bytes).unwrap();
        let mut png = open(&path);
        assert_eq!(png.info().loops, Some(3));
        assert_eq!(png.info().timescale, 4);
        let ours = decode_all(&mut png);
        let (g, b) = ([0u8, 255, 0, 255], [0u8, 0, 255, 255]);
        assert_eq!(ours, [[g, g, g, g].concat(), [g, g, g, b].concat()]);
        let theirs = ffmpeg_rgba(&path, 2, 2);
        assert_eq!(theirs.len(), 2, "ffmpeg shows the default image as a frame");
        for (a, b) in ours.iter().zip(&theirs) {
            assert_same(a, b, 2, "default");
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    /// Palettes with transparency, low-bit grey, grey with a transparent
    /// value, 16-bit samples, a plain PNG: all to 8-bit RGBA as ffmpeg.
    #[test]
    fn colour_types_and_depths_match_ffmpeg() {
        let dir = scratch("apng-colours");
        // Indexed, tRNS for the first entries, a frame on part of the
        // canvas: 8 bits a pixel, and 4 (packed, two pixels a byte).
        let palette: Vec<u8> = (0..16u8)
            .flat_map(|i| [i * 16, 255 - i * 16, i * 7])
            .collect();
        let trns = [0u8, 80, 160, 255, 30];
        let pack = |depth: u8, w: u32, h: u32, f: &dyn Fn(u32, u32) -> u8| {
            let per_byte = 8 / depth as u32;
            let mut rows = Vec::new();
            for y in 0..h {
                let mut row = vec![0u8; w.div_ceil(per_byte) as usize];
                for x in 0..w {
                    let shift = 8 - depth as u32 * (x % per_byte + 1);
                    row[(x / per_byte) as usize] |= f(x, y) << shift;
                }
                rows.extend(row);
            }
            rows
        };
        let indexed = |depth: u8, blend: u8| {
            let header = ihdr(5, 3, depth, 3);
            let first = pack(depth, 5, 3, &|x, y| ((x + y) % 16) as u8);
            let second = pack(depth, 3, 3, &|x, y| ((x * 3 + y) % 6) as u8);
            Apng::new(&header)
                .chunk(b"PLTE", &palette)
                .chunk(b"tRNS", &trns)
                .actl(2, 1)
                .fctl(((0, 0, 5, 3), (1, 10), 0, 0))
                .idat(&image_data(5, 3, &header, &first))
                .fctl(((1, 0, 3, 3), (1, 10), 0, blend))
                .fdat(&image_data(3, 3, &header, &second))
                .end()
        };
        let source = matches_ffmpeg(&dir, "indexed.png", &indexed(8, 0));
        // ffmpeg (5.1) does not blend indexed frames OVER ("not
        // implemented"), and misplaces the pixels of frames of 4 bits or
        // less on part of the canvas: checked here against the palette.
        let entry = |i: u32| {
            let i = i as usize;
            [
                palette[i * 3],
                palette[i * 3 + 1],
                palette[i * 3 + 2],
                trns.get(i).copied().unwrap_or(255),
            ]
        };
        for (blend, name) in [(0, "indexed4.png"), (1, "indexed4-over.png")] {
            let path = dir.join(name);
            std::fs::write(&path, indexed(4, blend)).unwrap();
            let ours = decode_all(&mut open(&path));
            assert_eq!(ours[0], source[0], "{name}");
            for (x, y) in (0..5).flat_map(|x| (0..3).map(move |y| (x, y))) {
                let mut expected = entry((x + y) % 16);
                if (1..4).contains(&x) {
                    let drawn = entry(((x - 1) * 3 + y) % 6);
                    match blend {
                        0 => expected = drawn,
                        _ => over(&mut expected, &drawn),
                    }
                }
                let at = ((y * 5 + x) * 4) as usize;
                assert_eq!(ours[1][at..at + 4], expected, "{name} ({x}, {y})");
            }
        }
        // Grey, 1 bit, a plain PNG: one frame.
        let header = ihdr(9, 2, 1, 0);
        let bytes = Apng::new(&header)
            .idat(&image_data(
                9,
                2,
                &header,
                &[0b1010_1100, 0b1000_0000, 0b0111_0001, 0],
            ))
            .end();
        let ours = matches_ffmpeg(&dir, "grey1.png", &bytes);
        assert_eq!(ours.len(), 1);
        assert_eq!(ours[0][..8], [255, 255, 255, 255, 0, 0, 0, 255]);
        // Grey, 8 bits, value 7 transparent.
        let header = ihdr(4, 1, 8, 0);
        let bytes = Apng::new(&header)
            .chunk(b"tRNS", &[0, 7])
            .idat(&image_data(4, 1, &header, &[7, 8, 200, 7]))
            .end();
        let ours = matches_ffmpeg(&dir, "grey-trns.png", &bytes);
        // A transparent pixel keeps its grey, as SOURCE copies it.
        assert_eq!(
            ours[0],
            [7, 7, 7, 0, 8, 8, 8, 255, 200, 200, 200, 255, 7, 7, 7, 0]
        );
        // 16-bit RGBA, composed at 16 bits. ffmpeg's own conversion to 8
        // bits does not round (51400, 200 x 257, becomes 201): its 16-bit
        // pictures are narrowed here by the formula. (It does not blend
        // 16-bit frames OVER: SOURCE only.)
        let header = ihdr(3, 2, 16, 6);
        let wide = |w: u32, h: u32, f: &dyn Fn(u32, u32) -> [u16; 4]| {
            let samples: Vec<u8> = (0..w * h)
                .flat_map(|i| f(i % w, i / w))
                .flat_map(u16::to_be_bytes)
                .collect();
            image_data(w, h, &header, &samples)
        };
        let bytes = Apng::new(&header)
            .actl(2, 0)
            .fctl(((0, 0, 3, 2), (1, 10), 0, 0))
            .idat(&wide(3, 2, &|x, y| {
                [x as u16 * 25700, y as u16 * 40000 + 128, 7, 65535]
            }))
            .fctl(((1, 0, 2, 2), (1, 10), 2, 0))
            .fdat(&wide(2, 2, &|x, y| {
                [1, 2 + y as u16 * 30000, 32895, x as u16 * 33000]
            }))
            .end();
        let path = dir.join("rgba16.png");
        std::fs::write(&path, &bytes).unwrap();
        let ours = decode_all(&mut open(&path));
        let theirs = ffmpeg_frames(&[], &path, "rgba64le", 3 * 2 * 8);
        assert_eq!((ours.len(), theirs.len()), (2, 2));
        for (a, b) in ours.iter().zip(&theirs) {
            let b: Vec<u8> = b
                .chunks(2)
                .map(|v| narrow(u16::from_le_bytes([v[0], v[1]])))
                .collect();
            assert_same(a, &b, 3, "rgba16.png");
        }
        assert_eq!(ours[0][8..12], [200, 0, 0, 255]); // 51400 and 7 of 65535
        let _ = std::fs::remove_dir_all(dir);
    }

    /// ffmpeg's APNGs choose each frame's rectangle, dispose_op and
    /// blend_op to be small: opaque and with alpha.
    #[test]
    fn ffmpeg_apngs_match_ffmpeg() {
        let dir = scratch("apng-ffmpeg");
        for (name, format) in [("rgb24.png", "rgb24"), ("rgba.png", "rgba")] {
            let path = dir.join(name);
            let source = format!(
                "testsrc2=size=64x48:rate=10:duration=0.8,format=rgba,geq=r='r(X,Y)':g='g(X,Y)':b='b(X,Y)':a='if(lt(X,20+T*40),255,90)',format={format}"
            );
            ffmpeg(&[
                "-f",
                "lavfi",
                "-i",
                &source,
                "-f",
                "apng",
                "-plays",
                "0",
                path.to_str().unwrap(),
            ]);
            let mut png = open(&path);
            let (mut partial, mut over) = (0, 0);
            while let Some(p) = png.next_packet().unwrap() {
                let image = p.image.unwrap();
                partial += (image.rect.unwrap().width < 64) as u32;
                over += (image.blend == crate::encode::Blend::Over) as u32;
            }
            assert!(partial > 0, "{name}: ffmpeg made no partial frames");
            if format == "rgba" {
                assert!(over > 0, "{name}: ffmpeg made no frames to blend");
            }
            let bytes = std::fs::read(&path).unwrap();
            assert_eq!(matches_ffmpeg(&dir, name, &bytes).len(), 8);
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    /// framesink's APNGs read back as written: 8 bits exactly, 16 bits
    /// rounded to 8.
    #[test]
    fn framesink_apngs_read_back() {
        let dir = scratch("apng-own");
        let (w, h) = (20u32, 12u32);
        for sixteen in [false, true] {
            let path = dir.join(format!("own-{sixteen}.png"));
            let mut writer = VideoWriter::create(&path, WriterConfig::default()).unwrap();
            let mut expected = Vec::new();
            for t in 0..4u32 {
                let samples: Vec<u16> = (0..w * h)
                    .flat_map(|i| {
                        let (x, y) = (i % w, i / w);
                        [x * 3000 + t, y * 5000 + 77, t * 9000, 65535 - x * 1000]
                    })
                    .map(|v| v as u16)
                    .collect();
                let (bytes, layout): (Vec<u8>, _) = if sixteen {
                    let b = samples.iter().flat_map(|v| v.to_ne_bytes()).collect();
                    (b, PixelLayout::Rgba16)
                } else {
                    (
                        samples.iter().map(|&v| (v >> 8) as u8).collect(),
                        PixelLayout::Rgba8,
                    )
                };
                writer
                    .push_frame(crate::Frame::new(&bytes, w, h, layout))
                    .unwrap();
                expected.push(if sixteen {
                    samples.iter().map(|&v| narrow(v)).collect::<Vec<u8>>()
                } else {
                    bytes
                });
            }
            writer.finish().unwrap();
            let mut png = open(&path);
            assert!(png.samples().iter().all(|s| s.keyframe));
            assert_eq!(decode_all(&mut png), expected, "16 bits: {sixteen}");
            if !sixteen {
                let bytes = std::fs::read(&path).unwrap();
                matches_ffmpeg(&dir, "own.png", &bytes);
            }
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    /// Keyframes are where decoding can start.
    #[test]
    fn decoding_from_a_keyframe_gives_the_same_pictures() {
        let dir = scratch("apng-keys");
        let header = ihdr(4, 3, 8, 6);
        let data = |w, h, a: u8| {
            image_data(
                w,
                h,
                &header,
                &rgba(w, h, |x, y| [x as u8 * 60, y as u8 * 90, a, a]),
            )
        };
        let controls: [Control; 8] = [
            ((0, 0, 4, 3), (1, 10), 0, 0), // the first
            ((1, 1, 2, 2), (1, 10), 0, 1),
            ((0, 0, 4, 3), (1, 10), 1, 1), // OVER, cleared after
            ((1, 0, 2, 2), (1, 10), 0, 1), // on the empty canvas
            ((0, 0, 4, 3), (1, 10), 2, 0), // SOURCE, restored after
            ((0, 1, 2, 2), (1, 10), 0, 0),
            ((0, 0, 4, 3), (1, 10), 0, 0), // SOURCE, kept
            ((0, 0, 4, 3), (1, 10), 0, 1), // OVER
        ];
        let mut apng = Apng::new(&header).actl(8, 0);
        for (i, c) in controls.iter().enumerate() {
            let ((_, _, w, h), ..) = *c;
            apng = apng.fctl(*c);
            let d = data(w, h, 100 + i as u8 * 20);
            apng = if i == 0 { apng.idat(&d) } else { apng.fdat(&d) };
        }
        let path = dir.join("keys.png");
        std::fs::write(&path, apng.end()).unwrap();
        let mut png = open(&path);
        let keys: Vec<bool> = png.samples().iter().map(|s| s.keyframe).collect();
        assert_eq!(keys, [true, false, false, true, false, false, true, false]);
        let all = decode_all(&mut png);
        for start in [3, 6] {
            assert_eq!(decode_from(&mut png, start), all[start..], "from {start}");
        }
        let _ = std::fs::remove_dir_all(dir);
    }
}
