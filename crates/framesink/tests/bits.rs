//! More than 8 bits: 16-bit frames kept whole in PNG/APNG (proved by
//! decoding with Debian's ffmpeg), refused where they cannot be kept when
//! `lossless` is asked, and a warning when they are rounded unasked.

mod common;

use common::{decode_raw, probe, TestDir};
use framesink::{Codec, Frame, PixelLayout, VideoWriter, Warning, WriterConfig};

/// A camera-like frame: a bright disc moving over a gradient with
/// pixel-to-pixel noise, every sample below `max + 1` (4095: 12 bits;
/// 65535: 16). Frames differ where the disc moves and everywhere the
/// noise does, so the APNG holds real differences between frames.
fn camera(w: u32, h: u32, channels: usize, t: u32, max: u32) -> Vec<u16> {
    let mut state = 0x9e37_79b9u32 ^ t.wrapping_mul(0x85eb_ca6b);
    let (cx, cy) = (4 + 3 * t as i64, h as i64 / 2);
    let mut out = Vec::with_capacity((w * h) as usize * channels);
    for y in 0..h as i64 {
        for x in 0..w as i64 {
            let disc = (x - cx).pow(2) + (y - cy).pow(2) < 36;
            for c in 0..channels as u32 {
                state ^= state << 13;
                state ^= state >> 17;
                state ^= state << 5;
                let base = if disc {
                    max * 9 / 10
                } else {
                    (x as u32 * max / w + c * max / 7) % (max / 2)
                };
                let noise = state % 64;
                out.push((base + noise).min(max) as u16);
            }
        }
    }
    out
}

fn ne_bytes(samples: &[u16]) -> Vec<u8> {
    samples.iter().flat_map(|v| v.to_ne_bytes()).collect()
}

/// ffmpeg's little-endian 16-bit output as samples.
fn le_samples(bytes: &[u8]) -> Vec<u16> {
    bytes
        .chunks_exact(2)
        .map(|b| u16::from_le_bytes([b[0], b[1]]))
        .collect()
}

/// IHDR's bit depth and colour type (the chunk right after the signature).
fn ihdr_depth_and_colour(path: &std::path::Path) -> (u8, u8) {
    let bytes = std::fs::read(path).unwrap();
    assert_eq!(&bytes[12..16], b"IHDR");
    (bytes[24], bytes[25])
}

const LAYOUTS: [(PixelLayout, usize, &str, u8); 3] = [
    (PixelLayout::Gray16, 1, "gray16le", 0),
    (PixelLayout::Rgb16, 3, "rgb48le", 2),
    (PixelLayout::Rgba16, 4, "rgba64le", 6),
];

#[test]
fn twelve_and_sixteen_bit_frames_come_back_exactly_from_apng() {
    let dir = TestDir::new("bits_exact");
    let (w, h, n) = (40u32, 24u32, 6u32);
    for (max, config) in [
        // 12-bit camera values in uint16, the default depth (the input's)
        (4095, WriterConfig::default()),
        // full-range 16-bit values, 16 bits asked for, lossless
        (
            65535,
            WriterConfig::default()
                .with_bit_depth(16)
                .with_lossless(true),
        ),
    ] {
        for (layout, channels, pix_fmt, colour) in LAYOUTS {
            let frames: Vec<Vec<u16>> = (0..n).map(|t| camera(w, h, channels, t, max)).collect();
            assert_ne!(frames[0], frames[1], "the frames move");
            let path = dir.join(&format!("{pix_fmt}-{max}.apng"));
            let mut writer = VideoWriter::create(&path, config.clone()).unwrap();
            for f in &frames {
                writer
                    .push_frame(Frame::new(&ne_bytes(f), w, h, layout))
                    .unwrap();
            }
            let summary = writer.finish().unwrap();
            assert!(summary.warnings.is_empty(), "{:?}", summary.warnings);
            assert_eq!(summary.bit_depth, 16);
            assert_eq!(ihdr_depth_and_colour(&path), (16, colour), "{pix_fmt}");
            assert_eq!(probe(&path).frames, n as u64);
            let decoded = le_samples(&decode_raw(&path, pix_fmt));
            let frame_len = (w * h) as usize * channels;
            assert_eq!(decoded.len(), frame_len * n as usize, "{pix_fmt}");
            for (i, (got, want)) in decoded.chunks_exact(frame_len).zip(&frames).enumerate() {
                assert!(got == &want[..], "{pix_fmt} max {max}: frame {i} differs");
            }
        }
    }
}

#[test]
fn eight_bit_frames_at_bit_depth_16_are_widened_exactly() {
    let dir = TestDir::new("bits_widen");
    let (w, h) = (8u32, 4u32);
    let rgb: Vec<u8> = (0..w * h * 3).map(|i| (i * 37 % 256) as u8).collect();
    let path = dir.join("w.png");
    let mut writer =
        VideoWriter::create(&path, WriterConfig::default().with_bit_depth(16)).unwrap();
    for _ in 0..2 {
        writer
            .push_frame(Frame::new(&rgb, w, h, PixelLayout::Rgb8))
            .unwrap();
    }
    writer.finish().unwrap();
    assert_eq!(ihdr_depth_and_colour(&path), (16, 2));
    let want: Vec<u16> = rgb.iter().map(|&v| v as u16 * 257).collect();
    assert_eq!(le_samples(&decode_raw(&path, "rgb48le")), want.repeat(2));
}

#[test]
fn sixteen_bit_frames_at_bit_depth_8_are_rounded_without_a_warning() {
    let dir = TestDir::new("bits_eight");
    let (w, h) = (8u32, 4u32);
    let samples = camera(w, h, 1, 0, 65535);
    let path = dir.join("e.png");
    let mut writer = VideoWriter::create(&path, WriterConfig::default().with_bit_depth(8)).unwrap();
    writer
        .push_frame(Frame::new(&ne_bytes(&samples), w, h, PixelLayout::Gray16))
        .unwrap();
    let summary = writer.finish().unwrap();
    assert!(summary.warnings.is_empty(), "{:?}", summary.warnings);
    assert_eq!(summary.bit_depth, 8);
    assert_eq!(ihdr_depth_and_colour(&path), (8, 0));
    let want: Vec<u8> = samples
        .iter()
        .map(|&v| framesink::color::u16_to_u8(v))
        .collect();
    assert_eq!(decode_raw(&path, "gray"), want);
}

#[test]
fn rounding_sixteen_bits_unasked_warns_once_naming_the_codec() {
    let dir = TestDir::new("bits_warn");
    let (w, h) = (32u32, 32u32);
    for (name, codec) in [("w.mp4", "h264"), ("w.gif", "gif")] {
        let path = dir.join(name);
        let mut writer = VideoWriter::create(&path, WriterConfig::default()).unwrap();
        let mut given = Vec::new();
        for t in 0..3 {
            let f = ne_bytes(&camera(w, h, 3, t, 65535));
            writer
                .push_frame(Frame::new(&f, w, h, PixelLayout::Rgb16))
                .unwrap();
            given.extend(writer.take_warnings());
        }
        let summary = writer.finish().unwrap();
        let lost: Vec<&Warning> = given
            .iter()
            .filter(|w| matches!(w, Warning::BitsLost { .. }))
            .collect();
        assert_eq!(lost.len(), 1, "{name}: {given:?}");
        let text = lost[0].to_string();
        assert!(
            text.contains("16-bit") && text.contains(codec) && text.contains(".png/.apng"),
            "{text}"
        );
        assert_eq!(
            summary
                .warnings
                .iter()
                .filter(|w| matches!(w, Warning::BitsLost { .. }))
                .count(),
            1
        );
    }
    // An 8-bit APNG (its first frame was 8-bit) given a 16-bit frame later.
    let path = dir.join("w.apng");
    let mut writer = VideoWriter::create(&path, WriterConfig::default()).unwrap();
    writer
        .push_frame(Frame::new(&[0u8; 32 * 32], w, h, PixelLayout::Gray8))
        .unwrap();
    let f = ne_bytes(&camera(w, h, 1, 1, 65535));
    writer
        .push_frame(Frame::new(&f, w, h, PixelLayout::Gray16))
        .unwrap();
    let text: Vec<String> = writer
        .take_warnings()
        .iter()
        .map(|w| w.to_string())
        .collect();
    assert!(
        text.len() == 1 && text[0].contains("first frame") && text[0].contains("bit_depth 16"),
        "{text:?}"
    );
    writer.finish().unwrap();
}

#[test]
fn lossless_and_bit_depth_are_refused_where_they_cannot_be_kept() {
    let dir = TestDir::new("bits_refused");
    for (name, codec) in [("a.mp4", "h264"), ("a.gif", "gif"), ("b.mp4", "av1")] {
        let path = dir.join(name);
        let config = WriterConfig::default()
            .with_codec(codec.parse::<Codec>().unwrap())
            .with_lossless(true);
        let e = VideoWriter::create(&path, config).err().unwrap();
        assert!(matches!(e, framesink::Error::InvalidConfig(_)), "{e:?}");
        let e = e.to_string();
        assert!(
            e.contains("lossless") && e.contains(codec) && e.contains(".png/.apng"),
            "{e}"
        );
        let config = WriterConfig::default()
            .with_codec(codec.parse::<Codec>().unwrap())
            .with_bit_depth(16);
        let e = VideoWriter::create(&path, config)
            .err()
            .unwrap()
            .to_string();
        assert!(
            e.contains("bit_depth 16") && e.contains(codec) && e.contains(".png/.apng"),
            "{e}"
        );
        assert!(!path.exists(), "{name}: nothing is made");
    }
    let e = VideoWriter::create(
        dir.join("c.png"),
        WriterConfig::default().with_bit_depth(10),
    )
    .err()
    .unwrap()
    .to_string();
    assert!(
        e.contains("bit_depth 10") && e.contains("8") && e.contains("16"),
        "{e}"
    );
}

#[test]
fn lossless_refuses_frames_it_would_round() {
    let dir = TestDir::new("bits_lossless_frames");
    let (w, h) = (8u32, 4u32);
    let sixteen = ne_bytes(&camera(w, h, 1, 0, 65535));
    // bit_depth 8 asked for, then a 16-bit frame
    let config = WriterConfig::default()
        .with_lossless(true)
        .with_bit_depth(8);
    let mut writer = VideoWriter::create(dir.join("a.png"), config).unwrap();
    let e = writer
        .push_frame(Frame::new(&sixteen, w, h, PixelLayout::Gray16))
        .unwrap_err();
    assert!(matches!(e, framesink::Error::InvalidFrame { .. }), "{e:?}");
    let e = e.to_string();
    assert!(e.contains("gray16le") && e.contains("bit_depth 8"), "{e}");
    // The writer stays usable: an 8-bit frame is kept.
    writer
        .push_frame(Frame::new(&[7u8; 32], w, h, PixelLayout::Gray8))
        .unwrap();
    writer.finish().unwrap();
    // an 8-bit movie (its first frame) given a 16-bit frame
    let path = dir.join("b.png");
    let mut writer =
        VideoWriter::create(&path, WriterConfig::default().with_lossless(true)).unwrap();
    writer
        .push_frame(Frame::new(&[7u8; 32], w, h, PixelLayout::Gray8))
        .unwrap();
    let e = writer
        .push_frame(Frame::new(&sixteen, w, h, PixelLayout::Gray16))
        .unwrap_err()
        .to_string();
    assert!(e.contains("frame 1") && e.contains("first frame"), "{e}");
    writer.finish().unwrap();
    assert_eq!(decode_raw(&path, "gray"), vec![7u8; 32]);
}

#[test]
fn lossless_refuses_planar_yuv_frames() {
    let dir = TestDir::new("bits_lossless_yuv");
    let (w, h) = (8u32, 4u32);
    let yuv = vec![128u8; (w * h * 3 / 2) as usize];
    let path = dir.join("y.png");
    let mut writer =
        VideoWriter::create(&path, WriterConfig::default().with_lossless(true)).unwrap();
    let e = writer
        .push_frame(Frame::new(&yuv, w, h, PixelLayout::Yuv420p))
        .unwrap_err();
    assert!(matches!(e, framesink::Error::InvalidFrame { .. }), "{e:?}");
    let e = e.to_string();
    assert!(e.contains("yuv420p") && e.contains("not lossless"), "{e}");
    drop(writer);
    assert!(!path.exists(), "no frame: the empty file is removed");
}
