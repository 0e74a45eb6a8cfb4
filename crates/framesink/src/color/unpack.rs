//! Decoded pictures to the layouts a reader hands out: YUV 4:2:0 to RGB with
//! the stream's own matrix and range, rounded to nearest from 16.16 fixed
//! point (each chroma sample shared by its 2x2 block); RGBA to RGB or gray.
//! Not yuvutils-rs here: its 8-bit path lands up to 2 levels from the exact
//! conversion, green half a level high on average (measured on H.264
//! frames against ffmpeg's planes).

use super::u16_to_u8;
use crate::decode::{ColorTags, Image};
use crate::frame::PixelLayout;

/// The layouts a reader gives (the 16-bit ones for 16-bit pictures only).
pub(crate) const OUTPUT_LAYOUTS: [PixelLayout; 10] = [
    PixelLayout::Rgb8,
    PixelLayout::Rgba8,
    PixelLayout::Bgr8,
    PixelLayout::Bgra8,
    PixelLayout::Gray8,
    PixelLayout::GrayAlpha8,
    PixelLayout::Yuv420p,
    PixelLayout::Rgb16,
    PixelLayout::Rgba16,
    PixelLayout::Gray16,
];

/// Kr and Kb of the matrix a stream's tags name. Untagged video (2,
/// "unspecified") is taken as BT.601, as ffmpeg, OpenCV and imageio take
/// it; framesink's own movies are always tagged.
pub(crate) fn kr_kb(colour: ColorTags) -> (f64, f64) {
    match colour.matrix {
        1 => (0.2126, 0.0722),
        9 | 10 => (0.2627, 0.0593),
        4 => (0.30, 0.11),
        7 => (0.212, 0.087),
        _ => (0.299, 0.114),
    }
}

/// 16.16 fixed-point lookup tables of one matrix and range: each output is
/// `(y[Y] + r_v[V]) >> 16` and so on, exact to within 2^-15 of a level
/// before its rounding to nearest (the half is in `y`).
struct Tables {
    y: [i32; 256],
    r_v: [i32; 256],
    g_u: [i32; 256],
    g_v: [i32; 256],
    b_u: [i32; 256],
}

impl Tables {
    fn new(colour: ColorTags) -> Self {
        let (kr, kb) = kr_kb(colour);
        let kg = 1.0 - kr - kb;
        let (y0, ys, cs) = if colour.full_range {
            (0.0, 1.0, 1.0)
        } else {
            (16.0, 255.0 / 219.0, 255.0 / 224.0)
        };
        let one = 65536.0;
        let fixed = |f: f64| (f * one).round() as i32;
        let mut t = Tables {
            y: [0; 256],
            r_v: [0; 256],
            g_u: [0; 256],
            g_v: [0; 256],
            b_u: [0; 256],
        };
        for i in 0..256 {
            let c = (i as f64 - 128.0) * cs;
            t.y[i] = fixed((i as f64 - y0) * ys + 0.5);
            t.r_v[i] = fixed(2.0 * (1.0 - kr) * c);
            t.b_u[i] = fixed(2.0 * (1.0 - kb) * c);
            t.g_u[i] = fixed(-2.0 * (1.0 - kb) * kb / kg * c);
            t.g_v[i] = fixed(-2.0 * (1.0 - kr) * kr / kg * c);
        }
        t
    }
}

#[inline(always)]
fn level(v: i32) -> u8 {
    (v >> 16).clamp(0, 255) as u8
}

/// Planar 4:2:0 to packed RGB in `order` (plus opaque alpha), each chroma
/// sample for its 2x2 block. One kernel for each order and alpha, so that
/// the compiler sees the channel positions; on x86_64 it is compiled twice,
/// the second time for AVX2, taken when the CPU has it.
fn yuv420_to_rgb(
    t: &Tables,
    planes: (&[u8], &[u8], &[u8]),
    (w, h): (usize, usize),
    order: [usize; 3],
    alpha: bool,
    out: &mut [u8],
) {
    match (order[0], alpha) {
        (0, false) => convert::<0, 2, 3>(t, planes, (w, h), out),
        (0, true) => convert::<0, 2, 4>(t, planes, (w, h), out),
        (_, false) => convert::<2, 0, 3>(t, planes, (w, h), out),
        (_, true) => convert::<2, 0, 4>(t, planes, (w, h), out),
    }
}

/// [`rows`] on the best instruction set this CPU has.
fn convert<const R: usize, const B: usize, const N: usize>(
    t: &Tables,
    planes: (&[u8], &[u8], &[u8]),
    size: (usize, usize),
    out: &mut [u8],
) {
    #[cfg(target_arch = "x86_64")]
    if std::arch::is_x86_feature_detected!("avx2") {
        // SAFETY: the CPU has AVX2, as just checked; nothing else is
        // required of the caller.
        return unsafe { rows_avx2::<R, B, N>(t, planes, size, out) };
    }
    rows::<R, B, N>(t, planes, size, out);
}

#[cfg(target_arch = "x86_64")]
#[target_feature(enable = "avx2")]
unsafe fn rows_avx2<const R: usize, const B: usize, const N: usize>(
    t: &Tables,
    planes: (&[u8], &[u8], &[u8]),
    size: (usize, usize),
    out: &mut [u8],
) {
    rows::<R, B, N>(t, planes, size, out);
}

/// The conversion: the chroma terms of a row of 2x2 blocks are looked up
/// once for both of its luma rows, then each pixel adds its luma's.
/// `N` channels a pixel, red at `R`, green at 1, blue at `B`, alpha at 3.
#[inline(always)]
fn rows<const R: usize, const B: usize, const N: usize>(
    t: &Tables,
    (y, u, v): (&[u8], &[u8], &[u8]),
    (w, h): (usize, usize),
    out: &mut [u8],
) {
    let cw = w.div_ceil(2);
    let (mut red, mut green, mut blue) = (vec![0i32; cw], vec![0i32; cw], vec![0i32; cw]);
    let pixel = |o: &mut [u8], luma: u8, r: i32, g: i32, b: i32| {
        let l = t.y[luma as usize];
        o[R] = level(l + r);
        o[1] = level(l + g);
        o[B] = level(l + b);
        if N == 4 {
            o[3] = 255;
        }
    };
    let lines = out[..w * h * N].chunks_mut(2 * w * N);
    for (block, (pair, (cu, cv))) in lines
        .zip(u.chunks_exact(cw).zip(v.chunks_exact(cw)))
        .enumerate()
    {
        for (i, (&cu, &cv)) in cu.iter().zip(cv).enumerate() {
            red[i] = t.r_v[cv as usize];
            green[i] = t.g_u[cu as usize] + t.g_v[cv as usize];
            blue[i] = t.b_u[cu as usize];
        }
        for (k, line) in pair.chunks_mut(w * N).enumerate() {
            let luma = &y[(2 * block + k) * w..][..w];
            let two = line.chunks_exact_mut(2 * N).zip(luma.chunks_exact(2));
            for ((o, l), ((&r, &g), &b)) in two.zip(red.iter().zip(&green).zip(&blue)) {
                pixel(&mut o[..N], l[0], r, g, b);
                pixel(&mut o[N..], l[1], r, g, b);
            }
            if w % 2 == 1 {
                let i = cw - 1;
                pixel(
                    &mut line[(w - 1) * N..],
                    luma[w - 1],
                    red[i],
                    green[i],
                    blue[i],
                );
            }
        }
    }
}

/// Writes `image` into `out`, which holds exactly one frame in `layout`
/// (rows packed), so a reader writes straight into its caller's buffer.
/// `layout` is one of [`OUTPUT_LAYOUTS`]; YUV planes are given as they are,
/// only for YUV pictures.
pub(crate) fn unpack(
    image: &Image,
    colour: ColorTags,
    layout: PixelLayout,
    out: &mut [u8],
) -> Result<(), String> {
    let (w, h) = image.size();
    match image {
        Image::Yuv420 { y, u, v, .. } => match layout {
            PixelLayout::Yuv420p => {
                let (oy, rest) = out.split_at_mut(y.len());
                let (ou, ov) = rest.split_at_mut(u.len());
                oy.copy_from_slice(y);
                ou.copy_from_slice(u);
                ov.copy_from_slice(v);
            }
            PixelLayout::Gray8 => {
                for (o, &luma) in out.iter_mut().zip(y) {
                    *o = luma_to_gray(luma, colour.full_range);
                }
            }
            PixelLayout::GrayAlpha8 => {
                for (o, &luma) in out.chunks_exact_mut(2).zip(y) {
                    o.copy_from_slice(&[luma_to_gray(luma, colour.full_range), 255]);
                }
            }
            PixelLayout::Rgb8 | PixelLayout::Rgba8 | PixelLayout::Bgr8 | PixelLayout::Bgra8 => {
                let order = if matches!(layout, PixelLayout::Rgb8 | PixelLayout::Rgba8) {
                    [0, 1, 2]
                } else {
                    [2, 1, 0]
                };
                let alpha = layout.channels() == 4;
                let table = Tables::new(colour);
                yuv420_to_rgb(
                    &table,
                    (y, u, v),
                    (w as usize, h as usize),
                    order,
                    alpha,
                    out,
                );
            }
            other => return Err(format!("cannot give {other:?}")),
        },
        Image::Rgba16 { data, .. } => {
            let rgba = data.chunks_exact(4);
            let mut put = |values: &mut dyn Iterator<Item = u16>| {
                for (o, v) in out.chunks_exact_mut(2).zip(values) {
                    o.copy_from_slice(&v.to_le_bytes());
                }
            };
            match layout {
                PixelLayout::Rgba16 => put(&mut data.iter().copied()),
                PixelLayout::Rgb16 => put(&mut rgba.flat_map(|p| [p[0], p[1], p[2]])),
                PixelLayout::Gray16 => put(&mut rgba.map(|p| rgb16_to_gray(p[0], p[1], p[2]))),
                _ => {
                    // An 8-bit layout: each sample rounded to 8 bits, then as
                    // an 8-bit picture.
                    let (width, height) = (w, h);
                    let data = data.iter().map(|&v| u16_to_u8(v)).collect();
                    let narrowed = Image::Rgba {
                        width,
                        height,
                        data,
                    };
                    return unpack(&narrowed, colour, layout, out);
                }
            }
        }
        Image::Rgba { data, .. } => {
            let rgba = data.chunks_exact(4);
            match layout {
                PixelLayout::Rgba8 => out.copy_from_slice(data),
                PixelLayout::Rgb8 => {
                    for (o, p) in out.chunks_exact_mut(3).zip(rgba) {
                        o.copy_from_slice(&p[..3]);
                    }
                }
                PixelLayout::Bgr8 => {
                    for (o, p) in out.chunks_exact_mut(3).zip(rgba) {
                        o.copy_from_slice(&[p[2], p[1], p[0]]);
                    }
                }
                PixelLayout::Bgra8 => {
                    for (o, p) in out.chunks_exact_mut(4).zip(rgba) {
                        o.copy_from_slice(&[p[2], p[1], p[0], p[3]]);
                    }
                }
                PixelLayout::Gray8 => {
                    for (o, p) in out.iter_mut().zip(rgba) {
                        *o = rgb_to_gray(p[0], p[1], p[2]);
                    }
                }
                PixelLayout::GrayAlpha8 => {
                    for (o, p) in out.chunks_exact_mut(2).zip(rgba) {
                        o.copy_from_slice(&[rgb_to_gray(p[0], p[1], p[2]), p[3]]);
                    }
                }
                PixelLayout::Yuv420p => {
                    return Err(
                        "its frames are RGB(A) pictures (GIF, PNG), not YUV planes; ask for rgb24, rgba or gray"
                            .into(),
                    )
                }
                other => return Err(format!("cannot give {other:?}")),
            }
        }
    }
    Ok(())
}

/// A luma sample as a full-range gray level: limited range (16-235) is
/// stretched exactly, round((y - 16) * 255 / 219), clamped.
pub(crate) fn luma_to_gray(y: u8, full_range: bool) -> u8 {
    if full_range {
        return y;
    }
    let v = (y as i32 - 16) * 255;
    ((v + 109).div_euclid(219)).clamp(0, 255) as u8
}

/// Gray from 16-bit RGB with the weights of [`rgb_to_gray`], rounded.
pub(crate) fn rgb16_to_gray(r: u16, g: u16, b: u16) -> u16 {
    ((r as u64 * 299 + g as u64 * 587 + b as u64 * 114 + 500) / 1000) as u16
}

/// Gray from RGB with ITU-R BT.601 weights, as Pillow's "L" mode:
/// round(0.299 R + 0.587 G + 0.114 B).
pub(crate) fn rgb_to_gray(r: u8, g: u8, b: u8) -> u8 {
    ((r as u32 * 299 + g as u32 * 587 + b as u32 * 114 + 500) / 1000) as u8
}

#[cfg(test)]
mod tests {
    use super::*;

    fn colour(matrix: u8, full_range: bool) -> ColorTags {
        ColorTags {
            primaries: matrix,
            transfer: matrix,
            matrix,
            full_range,
        }
    }

    /// The exact conversion, in floating point.
    fn exact(y: u8, u: u8, v: u8, kr: f64, kb: f64, full: bool) -> [f64; 3] {
        let (yf, cf) = if full {
            (y as f64, (u as f64 - 128.0, v as f64 - 128.0))
        } else {
            (
                (y as f64 - 16.0) * 255.0 / 219.0,
                (
                    (u as f64 - 128.0) * 255.0 / 224.0,
                    (v as f64 - 128.0) * 255.0 / 224.0,
                ),
            )
        };
        let kg = 1.0 - kr - kb;
        let r = yf + 2.0 * (1.0 - kr) * cf.1;
        let b = yf + 2.0 * (1.0 - kb) * cf.0;
        let g = (yf - kr * r - kb * b) / kg;
        [r, g, b].map(|c| c.clamp(0.0, 255.0))
    }

    #[test]
    fn yuv_to_rgb_is_within_one_level_of_exact_for_each_matrix_and_range() {
        // A 64x64 picture whose every 2x2 block has its own chroma.
        let (w, h) = (64u32, 64u32);
        let y: Vec<u8> = (0..w * h).map(|i| (i * 7 % 256) as u8).collect();
        let u: Vec<u8> = (0..w * h / 4).map(|i| (i * 13 % 256) as u8).collect();
        let v: Vec<u8> = (0..w * h / 4).map(|i| (i * 29 % 256) as u8).collect();
        let image = Image::Yuv420 {
            width: w,
            height: h,
            y: y.clone(),
            u: u.clone(),
            v: v.clone(),
        };
        for (code, kr, kb) in [(1, 0.2126, 0.0722), (6, 0.299, 0.114), (9, 0.2627, 0.0593)] {
            for full in [false, true] {
                let mut out = vec![0u8; (w * h * 3) as usize];
                unpack(&image, colour(code, full), PixelLayout::Rgb8, &mut out).unwrap();
                let mut within = 0usize;
                for row in 0..h as usize {
                    for col in 0..w as usize {
                        let c = row / 2 * (w as usize / 2) + col / 2;
                        let e = exact(y[row * w as usize + col], u[c], v[c], kr, kb, full);
                        for k in 0..3 {
                            let got = out[(row * w as usize + col) * 3 + k] as f64;
                            assert!(
                                (got - e[k]).abs() <= 0.5001,
                                "matrix {code} full {full}: {got} against {}",
                                e[k]
                            );
                            within += ((got - e[k]).abs() <= 1.0) as usize;
                        }
                    }
                }
                let share = within as f64 / (w * h * 3) as f64;
                assert_eq!(share, 1.0, "matrix {code} full {full}");
            }
        }
    }

    #[test]
    fn every_order_and_odd_sizes_match_the_per_pixel_formula() {
        // Odd widths and heights have a last column or row that shares its
        // chroma with nothing; each layout puts the channels in its place.
        let c = colour(1, false);
        let t = Tables::new(c);
        for (w, h) in [(1usize, 1usize), (7, 5), (8, 3), (33, 17)] {
            let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
            let y: Vec<u8> = (0..w * h).map(|i| (i * 37 % 256) as u8).collect();
            let u: Vec<u8> = (0..cw * ch).map(|i| (i * 53 % 256) as u8).collect();
            let v: Vec<u8> = (0..cw * ch).map(|i| (i * 71 % 256) as u8).collect();
            let image = Image::Yuv420 {
                width: w as u32,
                height: h as u32,
                y: y.clone(),
                u: u.clone(),
                v: v.clone(),
            };
            for layout in [
                PixelLayout::Rgb8,
                PixelLayout::Rgba8,
                PixelLayout::Bgr8,
                PixelLayout::Bgra8,
            ] {
                let n = layout.channels();
                let mut out = vec![7u8; w * h * n];
                unpack(&image, c, layout, &mut out).unwrap();
                if layout == PixelLayout::Rgba8 {
                    // The kernel as compiled for any CPU, not only for AVX2.
                    let mut plain = vec![7u8; w * h * n];
                    rows::<0, 2, 4>(&t, (&y, &u, &v), (w, h), &mut plain);
                    assert_eq!(plain, out, "{w}x{h}");
                }
                for row in 0..h {
                    for col in 0..w {
                        let (l, k) = (y[row * w + col] as usize, row / 2 * cw + col / 2);
                        let (cu, cv) = (u[k] as usize, v[k] as usize);
                        let yy = t.y[l];
                        let rgb = [
                            level(yy + t.r_v[cv]),
                            level(yy + t.g_u[cu] + t.g_v[cv]),
                            level(yy + t.b_u[cu]),
                        ];
                        let mut want = match layout {
                            PixelLayout::Rgb8 | PixelLayout::Rgba8 => rgb.to_vec(),
                            _ => vec![rgb[2], rgb[1], rgb[0]],
                        };
                        if n == 4 {
                            want.push(255);
                        }
                        let at = (row * w + col) * n;
                        assert_eq!(
                            out[at..at + n],
                            want[..],
                            "{layout:?} {w}x{h} at {col},{row}"
                        );
                    }
                }
            }
        }
    }

    #[test]
    fn limited_luma_stretches_to_full_gray_exactly() {
        assert_eq!(luma_to_gray(16, false), 0);
        assert_eq!(luma_to_gray(235, false), 255);
        assert_eq!(luma_to_gray(0, false), 0);
        assert_eq!(luma_to_gray(255, false), 255);
        for y in 16..=235u8 {
            let e = ((y as f64 - 16.0) * 255.0 / 219.0).round() as u8;
            assert_eq!(luma_to_gray(y, false), e, "luma {y}");
        }
        assert_eq!(luma_to_gray(77, true), 77);
    }

    #[test]
    fn sixteen_bit_pictures_keep_their_bits_or_round_to_eight() {
        let image = Image::Rgba16 {
            width: 2,
            height: 1,
            data: vec![4095, 0, 65535, 1000, 257, 514, 771, 65535],
        };
        let c = ColorTags::default();
        let samples = |b: &[u8]| -> Vec<u16> {
            b.chunks(2)
                .map(|v| u16::from_le_bytes([v[0], v[1]]))
                .collect()
        };
        let mut out = [0u8; 12];
        unpack(&image, c, PixelLayout::Rgb16, &mut out).unwrap();
        assert_eq!(samples(&out), [4095, 0, 65535, 257, 514, 771]);
        let mut out = [0u8; 16];
        unpack(&image, c, PixelLayout::Rgba16, &mut out).unwrap();
        assert_eq!(samples(&out), [4095, 0, 65535, 1000, 257, 514, 771, 65535]);
        let mut out = [0u8; 4];
        unpack(&image, c, PixelLayout::Gray16, &mut out).unwrap();
        assert_eq!(samples(&out), [rgb16_to_gray(4095, 0, 65535), 466]);
        let mut out = [0u8; 8];
        unpack(&image, c, PixelLayout::Rgba8, &mut out).unwrap();
        assert_eq!(out, [16, 0, 255, 4, 1, 2, 3, 255]);
    }

    #[test]
    fn rgba_pictures_unpack_to_every_layout_but_yuv() {
        let image = Image::Rgba {
            width: 2,
            height: 1,
            data: vec![10, 20, 30, 255, 200, 100, 0, 0],
        };
        let c = ColorTags::default();
        let mut out = [0u8; 6];
        unpack(&image, c, PixelLayout::Rgb8, &mut out).unwrap();
        assert_eq!(out, [10, 20, 30, 200, 100, 0]);
        let mut out = [0u8; 8];
        unpack(&image, c, PixelLayout::Bgra8, &mut out).unwrap();
        assert_eq!(out, [30, 20, 10, 255, 0, 100, 200, 0]);
        let mut out = [0u8; 2];
        unpack(&image, c, PixelLayout::Gray8, &mut out).unwrap();
        assert_eq!(out, [rgb_to_gray(10, 20, 30), rgb_to_gray(200, 100, 0)]);
        let mut out = [0u8; 3];
        let e = unpack(&image, c, PixelLayout::Yuv420p, &mut out).unwrap_err();
        assert!(e.contains("not YUV planes"), "{e}");
    }
}
