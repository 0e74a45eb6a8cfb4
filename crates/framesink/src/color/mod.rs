//! Pixel layouts to YUV 4:2:0: BT.709 coefficients, limited ("TV") range,
//! rounded; odd sizes padded by repeating the last column and row.

mod colormap;
mod colormap_data;
pub(crate) mod unpack;

pub use colormap::Colormap;

use yuvutils_rs::{
    BufferStoreMut, YuvConversionMode, YuvPlanarImage, YuvPlanarImageMut, YuvRange,
    YuvStandardMatrix,
};

use crate::config::ColorMatrix;
use crate::error::{Error, Result};
use crate::frame::{Frame, PixelLayout};

/// A converted picture, as an encoder takes it.
#[derive(Clone, Debug)]
pub enum Picture {
    /// For video codecs.
    Yuv(YuvPicture),
    /// For palette and lossless image codecs (GIF).
    Rgba(RgbaPicture),
}

/// Packed RGBA, 8-bit (`width * 4` bytes a row) or 16-bit big-endian
/// (`width * 8` bytes a row).
#[derive(Clone, Debug, Default)]
pub struct RgbaPicture {
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// 16-bit big-endian samples instead of 8-bit.
    pub sixteen: bool,
    /// The pixels.
    pub data: Vec<u8>,
}

/// A picture in planar YUV 4:2:0 (I420) with even dimensions.
#[derive(Clone, Debug, Default)]
pub struct YuvPicture {
    /// Width in pixels (even).
    pub width: u32,
    /// Height in pixels (even).
    pub height: u32,
    /// Luma plane, `width` bytes per row.
    pub y: Vec<u8>,
    /// Cb plane, `width / 2` bytes per row.
    pub u: Vec<u8>,
    /// Cr plane, `width / 2` bytes per row.
    pub v: Vec<u8>,
}

impl YuvPicture {
    /// Resizes the planes for a `width` x `height` picture (both even).
    pub fn reshape(&mut self, width: u32, height: u32) {
        debug_assert!(width % 2 == 0 && height % 2 == 0);
        self.width = width;
        self.height = height;
        let luma = width as usize * height as usize;
        self.y.resize(luma, 0);
        self.u.resize(luma / 4, 0);
        self.v.resize(luma / 4, 0);
    }
}

/// Rounds a size up to the next even number (4:2:0 needs even sizes).
pub const fn even(n: u32) -> u32 {
    n + (n & 1)
}

/// Converts frames to YUV, keeping scratch memory between frames.
#[derive(Default)]
pub struct Converter {
    scratch: Vec<u8>,
    tail: Vec<u8>,
    matrix: ColorMatrix,
}

/// Limited-range luma for a full-range gray level: round(16 + g * 219 / 255).
#[cfg(test)]
const fn gray_to_luma(g: u8) -> u8 {
    ((16 * 255 + g as u32 * 219 + 127) / 255) as u8
}

/// round(16 + g * 219 / 255) in fixed point: exact for all 256 levels (tested).
#[inline(always)]
fn gray_to_luma_fast(g: u8) -> u8 {
    ((g as u32 * 56_280 + 1_081_792) >> 16) as u8
}

/// 16 bits to 8, exactly rounded: round(v * 255 / 65535).
#[inline]
pub const fn u16_to_u8(v: u16) -> u8 {
    ((v as u32 * 255 + 32767) / 65535) as u8
}

impl Converter {
    /// A converter to YCbCr with `matrix` (RGB input; gray and planar YUV
    /// input do not depend on it).
    pub fn new(matrix: ColorMatrix) -> Self {
        Converter {
            matrix,
            ..Self::default()
        }
    }

    /// Converts `frame` into `out`, reshaped to `coded` (even, at least the
    /// frame's size: the rest is padding). `frame` must have passed `Frame::check`.
    pub fn convert(
        &mut self,
        frame: &Frame<'_>,
        out: &mut YuvPicture,
        coded: (u32, u32),
    ) -> Result<()> {
        let (w, h) = (frame.width, frame.height);
        debug_assert!(coded.0 >= even(w) && coded.1 >= even(h));
        out.reshape(coded.0, coded.1);
        // 16-bit input: to 8-bit first, packed, into scratch.
        let (data, stride, layout) = if frame.layout.bytes_per_sample() == 2 {
            let channels = frame.layout.channels();
            let row_out = w as usize * channels;
            self.scratch.resize(row_out * h as usize, 0);
            for (r, dst) in self.scratch.chunks_exact_mut(row_out).enumerate() {
                let src = &frame.data[r * frame.stride..r * frame.stride + row_out * 2];
                for (d, s) in dst.iter_mut().zip(src.chunks_exact(2)) {
                    *d = u16_to_u8(u16::from_ne_bytes([s[0], s[1]]));
                }
            }
            let layout = match frame.layout {
                PixelLayout::Gray16 => PixelLayout::Gray8,
                PixelLayout::Rgb16 => PixelLayout::Rgb8,
                _ => PixelLayout::Rgba8,
            };
            (&self.scratch[..], row_out, layout)
        } else {
            (frame.data, frame.stride, frame.layout)
        };
        match layout {
            PixelLayout::Yuv420p => copy_i420(data, stride, w, h, out),
            PixelLayout::Gray8 | PixelLayout::GrayAlpha8 => {
                let step = layout.channels();
                let ew = out.width as usize;
                for r in 0..h as usize {
                    let src = &data[r * stride..r * stride + w as usize * step];
                    let dst = &mut out.y[r * ew..r * ew + w as usize];
                    // Arithmetic rather than a table, so the gray case vectorises.
                    if step == 1 {
                        for (d, &g) in dst.iter_mut().zip(src) {
                            *d = gray_to_luma_fast(g);
                        }
                    } else {
                        for (d, px) in dst.iter_mut().zip(src.chunks_exact(step)) {
                            *d = gray_to_luma_fast(px[0]);
                        }
                    }
                }
                out.u.fill(128);
                out.v.fill(128);
            }
            _ => {
                let f = match layout {
                    PixelLayout::Rgb8 => yuvutils_rs::rgb_to_yuv420,
                    PixelLayout::Bgr8 => yuvutils_rs::bgr_to_yuv420,
                    PixelLayout::Rgba8 => yuvutils_rs::rgba_to_yuv420,
                    PixelLayout::Bgra8 => yuvutils_rs::bgra_to_yuv420,
                    _ => unreachable!("16-bit, gray and planar layouts handled above"),
                };
                let convert =
                    |out: &mut YuvPicture, src: &[u8], src_stride: usize, y0: u32, rows: u32| {
                        rgb_rows(out, f, src, src_stride, w, y0, rows, self.matrix)
                    };
                let (h, row) = (h as usize, w as usize * layout.channels());
                if data.len() >= stride * h {
                    convert(out, &data[..stride * h], stride, 0, h as u32)?;
                } else {
                    // The last row is short (a strided view ending at its last
                    // pixel). yuvutils reads rows in pairs of whole strides, so
                    // the last one or two rows go through a packed copy.
                    let k = (h - 1) & !1;
                    if k > 0 {
                        convert(out, &data[..stride * k], stride, 0, k as u32)?;
                    }
                    self.tail.clear();
                    for r in k..h {
                        self.tail
                            .extend_from_slice(&data[r * stride..r * stride + row]);
                    }
                    let tail = std::mem::take(&mut self.tail);
                    let done = convert(out, &tail, row, k as u32, (h - k) as u32);
                    self.tail = tail;
                    done?;
                }
            }
        }
        pad(out, w, h);
        Ok(())
    }
}

impl Converter {
    /// Converts `frame` to packed RGBA (alpha 255 where the layout has
    /// none; BGR reordered; planar YUV through this converter's matrix):
    /// 16-bit big-endian when `sixteen` is set (APNG at 16 bits: 16-bit
    /// samples copied as they are, never through 8 bits; 8-bit ones widened
    /// exactly, v * 257), else 8-bit (16-bit input rounded exactly).
    pub fn to_rgba(
        &mut self,
        frame: &Frame<'_>,
        out: &mut RgbaPicture,
        sixteen: bool,
    ) -> Result<()> {
        let (w, h) = (frame.width as usize, frame.height as usize);
        let layout = frame.layout;
        let (bps, ch) = (layout.bytes_per_sample(), layout.channels());
        out.width = frame.width;
        out.height = frame.height;
        out.sixteen = sixteen;
        let eight = w * h * 4;
        out.data.resize(if sixteen { 2 * eight } else { eight }, 0);
        if layout == PixelLayout::Yuv420p {
            yuv420_to_rgba(frame, &mut out.data[..eight], self.matrix)?;
            if sixteen {
                widen_in_place(&mut out.data, eight);
            }
            return Ok(());
        }
        if sixteen && bps == 2 {
            for (r, dst) in out.data.chunks_exact_mut(w * 8).enumerate() {
                let src = &frame.data[r * frame.stride..r * frame.stride + w * ch * 2];
                for (d, px) in dst.chunks_exact_mut(8).zip(src.chunks_exact(ch * 2)) {
                    let s = |c: usize| u16::from_ne_bytes([px[2 * c], px[2 * c + 1]]);
                    let rgba = match layout {
                        PixelLayout::Gray16 => [s(0), s(0), s(0), u16::MAX],
                        PixelLayout::Rgb16 => [s(0), s(1), s(2), u16::MAX],
                        _ => [s(0), s(1), s(2), s(3)],
                    };
                    for (k, v) in rgba.iter().enumerate() {
                        d[2 * k..2 * k + 2].copy_from_slice(&v.to_be_bytes());
                    }
                }
            }
            return Ok(());
        }
        for (r, dst) in out.data[..eight].chunks_exact_mut(w * 4).enumerate() {
            let src = &frame.data[r * frame.stride..r * frame.stride + w * ch * bps];
            let sample = |px: &[u8], c: usize| -> u8 {
                if bps == 1 {
                    px[c]
                } else {
                    u16_to_u8(u16::from_ne_bytes([px[2 * c], px[2 * c + 1]]))
                }
            };
            for (d, px) in dst.chunks_exact_mut(4).zip(src.chunks_exact(ch * bps)) {
                let rgba = match layout {
                    PixelLayout::Gray8 | PixelLayout::Gray16 => {
                        let g = sample(px, 0);
                        [g, g, g, 255]
                    }
                    PixelLayout::GrayAlpha8 => [px[0], px[0], px[0], px[1]],
                    PixelLayout::Rgb8 | PixelLayout::Rgb16 => {
                        [sample(px, 0), sample(px, 1), sample(px, 2), 255]
                    }
                    PixelLayout::Bgr8 => [px[2], px[1], px[0], 255],
                    PixelLayout::Bgra8 => [px[2], px[1], px[0], px[3]],
                    _ => [sample(px, 0), sample(px, 1), sample(px, 2), sample(px, 3)],
                };
                d.copy_from_slice(&rgba);
            }
        }
        if sixteen {
            widen_in_place(&mut out.data, eight);
        }
        Ok(())
    }
}

/// The first `n` bytes of `data` (8-bit samples) as 16-bit big-endian
/// samples filling `2 * n` bytes: v * 257, so 255 is 65535 and rounding
/// back gives v. From the end, so that no sample is overwritten unread.
fn widen_in_place(data: &mut [u8], n: usize) {
    debug_assert!(data.len() >= 2 * n);
    for i in (0..n).rev() {
        let v = data[i];
        data[2 * i] = v;
        data[2 * i + 1] = v;
    }
}

/// yuvutils' name for a matrix.
fn yuv_matrix(matrix: ColorMatrix) -> YuvStandardMatrix {
    match matrix {
        ColorMatrix::Bt709 => YuvStandardMatrix::Bt709,
        ColorMatrix::Bt601 => YuvStandardMatrix::Bt601,
    }
}

/// Planar 4:2:0 limited-range input to 8-bit RGBA (GIF, APNG).
fn yuv420_to_rgba(frame: &Frame<'_>, out: &mut [u8], matrix: ColorMatrix) -> Result<()> {
    let (ys, cs) = (frame.stride, frame.stride.div_ceil(2));
    let rows = frame.height.div_ceil(2) as usize;
    let u0 = ys * frame.height as usize;
    let v0 = u0 + cs * rows;
    let image = YuvPlanarImage {
        y_plane: &frame.data[..u0],
        y_stride: ys as u32,
        u_plane: &frame.data[u0..v0],
        u_stride: cs as u32,
        v_plane: &frame.data[v0..v0 + cs * rows],
        v_stride: cs as u32,
        width: frame.width,
        height: frame.height,
    };
    yuvutils_rs::yuv420_to_rgba(
        &image,
        out,
        frame.width * 4,
        YuvRange::Limited,
        yuv_matrix(matrix),
    )
    .map_err(|e| Error::Encoder(format!("colour conversion failed: {e}")))
}

/// Converts `rows` rows of packed 8-bit RGB(A)/BGR(A) (`src`, rows
/// `src_stride` bytes apart, exactly `rows` strides long) into `out` from
/// luma row `y0` (even) down.
#[allow(clippy::too_many_arguments)]
fn rgb_rows(
    out: &mut YuvPicture,
    f: RgbToYuv,
    src: &[u8],
    src_stride: usize,
    w: u32,
    y0: u32,
    rows: u32,
    matrix: ColorMatrix,
) -> Result<()> {
    debug_assert!(y0 % 2 == 0);
    let (ew, cw) = (out.width as usize, out.width as usize / 2);
    // yuvutils wants planes of exactly these rows (it finds an odd last row
    // as the remainder); the padding stays outside.
    let (y_start, y_len) = (y0 as usize * ew, rows as usize * ew);
    let (c_start, c_len) = (y0 as usize / 2 * cw, rows.div_ceil(2) as usize * cw);
    let mut image = YuvPlanarImageMut {
        y_plane: BufferStoreMut::Borrowed(&mut out.y[y_start..y_start + y_len]),
        y_stride: out.width,
        u_plane: BufferStoreMut::Borrowed(&mut out.u[c_start..c_start + c_len]),
        u_stride: cw as u32,
        v_plane: BufferStoreMut::Borrowed(&mut out.v[c_start..c_start + c_len]),
        v_stride: cw as u32,
        width: w,
        height: rows,
    };
    let m = yuv_matrix(matrix);
    f(
        &mut image,
        src,
        src_stride as u32,
        YuvRange::Limited,
        m,
        YuvConversionMode::Professional,
    )
    .map_err(|e| Error::Encoder(format!("colour conversion failed: {e}")))
}

type RgbToYuv = fn(
    &mut YuvPlanarImageMut<'_, u8>,
    &[u8],
    u32,
    YuvRange,
    YuvStandardMatrix,
    YuvConversionMode,
) -> std::result::Result<(), yuvutils_rs::YuvError>;

/// Copies planar 4:2:0 input (see [`PixelLayout::Yuv420p`]) into `out`.
fn copy_i420(data: &[u8], stride: usize, w: u32, h: u32, out: &mut YuvPicture) {
    let (w, h, ew) = (w as usize, h as usize, out.width as usize);
    for r in 0..h {
        out.y[r * ew..r * ew + w].copy_from_slice(&data[r * stride..r * stride + w]);
    }
    let (cw, ch, cs) = (w.div_ceil(2), h.div_ceil(2), stride.div_ceil(2));
    let ocs = ew / 2; // the picture's chroma rows (may be wider: padding)
    let u0 = stride * h;
    let v0 = u0 + cs * ch;
    for r in 0..ch {
        out.u[r * ocs..r * ocs + cw].copy_from_slice(&data[u0 + r * cs..u0 + r * cs + cw]);
        out.v[r * ocs..r * ocs + cw].copy_from_slice(&data[v0 + r * cs..v0 + r * cs + cw]);
    }
}

/// Fills the padding of every plane by repeating its last real column and
/// row (an odd edge's chroma already comes from the edge pixels alone).
fn pad(out: &mut YuvPicture, w: u32, h: u32) {
    let (cw, ch) = (out.width as usize, out.height as usize);
    pad_plane(&mut out.y, cw, w as usize, h as usize, ch);
    let (uw, uh) = (w.div_ceil(2) as usize, h.div_ceil(2) as usize);
    pad_plane(&mut out.u, cw / 2, uw, uh, ch / 2);
    pad_plane(&mut out.v, cw / 2, uw, uh, ch / 2);
}

/// Pads a `stride` x `rows` plane whose top-left `w` x `h` is real.
fn pad_plane(plane: &mut [u8], stride: usize, w: usize, h: usize, rows: usize) {
    if w < stride {
        for row in plane.chunks_exact_mut(stride).take(h) {
            let edge = row[w - 1];
            row[w..].fill(edge);
        }
    }
    let (top, bottom) = plane.split_at_mut(h * stride);
    let last = &top[(h - 1) * stride..];
    for row in bottom.chunks_exact_mut(stride).take(rows - h) {
        row.copy_from_slice(last);
    }
}

/// BT.709 limited-range YCbCr of one RGB pixel, in floating point: the
/// reference the fast path is checked against.
pub fn reference_ycbcr(r: u8, g: u8, b: u8) -> (f64, f64, f64) {
    let (kr, kb) = (0.2126, 0.0722);
    let (r, g, b) = (r as f64 / 255.0, g as f64 / 255.0, b as f64 / 255.0);
    let y = kr * r + (1.0 - kr - kb) * g + kb * b;
    let cb = (b - y) / (2.0 * (1.0 - kb));
    let cr = (r - y) / (2.0 * (1.0 - kr));
    (16.0 + 219.0 * y, 128.0 + 224.0 * cb, 128.0 + 224.0 * cr)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn convert(data: &[u8], w: u32, h: u32, layout: PixelLayout) -> YuvPicture {
        let mut out = YuvPicture::default();
        let frame = Frame::new(data, w, h, layout);
        frame.check(0).unwrap();
        Converter::default()
            .convert(&frame, &mut out, (even(w), even(h)))
            .unwrap();
        out
    }

    #[test]
    fn fast_gray_mapping_is_exact() {
        for g in 0..=255u8 {
            assert_eq!(gray_to_luma_fast(g), gray_to_luma(g), "level {g}");
        }
    }

    #[test]
    fn gray_levels_map_to_limited_range() {
        assert_eq!(gray_to_luma(0), 16);
        assert_eq!(gray_to_luma(255), 235);
        assert_eq!(gray_to_luma(128), 126);
    }

    #[test]
    fn sixteen_bit_rounds_exactly() {
        assert_eq!(u16_to_u8(0), 0);
        assert_eq!(u16_to_u8(65535), 255);
        assert_eq!(u16_to_u8(257 * 100), 100);
        assert_eq!(u16_to_u8(128), 0);
        assert_eq!(u16_to_u8(129), 1);
        for v in 0..=u16::MAX {
            let exact = v as f64 * 255.0 / 65535.0;
            assert_eq!(u16_to_u8(v), exact.round() as u8, "{v}");
        }
    }

    #[test]
    fn sixteen_bit_rgba_keeps_every_bit_and_widens_eight_bit_exactly() {
        let mut c = Converter::new(ColorMatrix::Bt709);
        let mut p = RgbaPicture::default();
        // 2x2 gray16: values that differ only in their low byte.
        let px: [u16; 4] = [0x1201, 0x1202, 0xfffe, 0x0001];
        let bytes: Vec<u8> = px.iter().flat_map(|v| v.to_ne_bytes()).collect();
        c.to_rgba(&Frame::new(&bytes, 2, 2, PixelLayout::Gray16), &mut p, true)
            .unwrap();
        assert!(p.sixteen);
        let got: Vec<u16> = p
            .data
            .chunks_exact(2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
            .collect();
        let want: Vec<u16> = px.iter().flat_map(|&v| [v, v, v, 65535]).collect();
        assert_eq!(got, want);
        // 8-bit RGB into a 16-bit picture: v * 257, alpha 65535.
        let rgb = [0u8, 1, 2, 127, 128, 255, 10, 20, 30, 40, 50, 60];
        c.to_rgba(&Frame::new(&rgb, 2, 2, PixelLayout::Rgb8), &mut p, true)
            .unwrap();
        let got: Vec<u16> = p
            .data
            .chunks_exact(2)
            .map(|b| u16::from_be_bytes([b[0], b[1]]))
            .collect();
        let want: Vec<u16> = rgb
            .chunks_exact(3)
            .flat_map(|px| [px[0], px[1], px[2], 255])
            .map(|v| v as u16 * 257)
            .collect();
        assert_eq!(got, want);
    }

    #[test]
    fn padding_to_a_larger_size_repeats_the_edge() {
        let data: Vec<u8> = (0..6).map(|i| i * 40).collect(); // 3x2 gray
        let frame = Frame::new(&data, 3, 2, PixelLayout::Gray8);
        let mut p = YuvPicture::default();
        Converter::default()
            .convert(&frame, &mut p, (16, 16))
            .unwrap();
        assert_eq!((p.y.len(), p.u.len()), (256, 64));
        for r in 0..16 {
            for c in 0..16 {
                assert_eq!(p.y[r * 16 + c], gray_to_luma(data[r.min(1) * 3 + c.min(2)]));
            }
        }
        assert!(p.u.iter().chain(&p.v).all(|&c| c == 128));
    }

    #[test]
    fn odd_sizes_repeat_the_edge() {
        // 3x3 gray ramp: padded to 4x4, column 3 = column 2, row 3 = row 2.
        let data: Vec<u8> = (0..9).map(|i| i * 20).collect();
        let p = convert(&data, 3, 3, PixelLayout::Gray8);
        assert_eq!((p.width, p.height), (4, 4));
        for r in 0..4 {
            let src_r = r.min(2);
            for c in 0..4 {
                let src_c = c.min(2);
                assert_eq!(p.y[r * 4 + c], gray_to_luma(data[src_r * 3 + src_c]));
            }
        }
    }

    proptest! {
        // A flat colour must come out within one level of the exact BT.709
        // limited-range value, in every 8-bit RGB layout.
        #[test]
        fn flat_colour_within_one_level(r: u8, g: u8, b: u8, w in 2u32..9, h in 2u32..9) {
            let (ey, ecb, ecr) = reference_ycbcr(r, g, b);
            for layout in [PixelLayout::Rgb8, PixelLayout::Bgr8, PixelLayout::Rgba8, PixelLayout::Bgra8] {
                let px: Vec<u8> = match layout {
                    PixelLayout::Rgb8 => vec![r, g, b],
                    PixelLayout::Bgr8 => vec![b, g, r],
                    PixelLayout::Rgba8 => vec![r, g, b, 7],
                    _ => vec![b, g, r, 7],
                };
                let data = px.repeat((w * h) as usize);
                let p = convert(&data, w, h, layout);
                for &y in &p.y { prop_assert!((y as f64 - ey).abs() <= 1.0, "{layout} Y {y} vs {ey}"); }
                for &u in &p.u { prop_assert!((u as f64 - ecb).abs() <= 1.0, "{layout} Cb {u} vs {ecb}"); }
                for &v in &p.v { prop_assert!((v as f64 - ecr).abs() <= 1.0, "{layout} Cr {v} vs {ecr}"); }
            }
        }

        // 16-bit input gives the same picture as its rounded 8-bit version.
        #[test]
        fn sixteen_bit_equals_rounded_eight_bit(px in proptest::collection::vec(any::<u16>(), 4 * 4 * 3)) {
            let bytes: Vec<u8> = px.iter().flat_map(|v| v.to_ne_bytes()).collect();
            let eight: Vec<u8> = px.iter().map(|&v| u16_to_u8(v)).collect();
            let a = convert(&bytes, 4, 4, PixelLayout::Rgb16);
            let b = convert(&eight, 4, 4, PixelLayout::Rgb8);
            prop_assert_eq!(a.y, b.y);
            prop_assert_eq!(a.u, b.u);
            prop_assert_eq!(a.v, b.v);
        }
    }
}
