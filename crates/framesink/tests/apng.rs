//! APNG output: lossless, checked by decoding with Debian's ffmpeg.

mod common;

use common::{decode_raw, decode_rgb, frame_infos, pattern, probe, TestDir};
use framesink::{Codec, Frame, PixelLayout, Rational, VideoWriter, WriterConfig};

#[test]
fn apng_is_exact_with_every_frame_and_its_time() {
    let dir = TestDir::new("apng_exact");
    let (w, h) = (48u32, 30u32);
    let frames: Vec<Vec<u8>> = (0..12).map(|t| pattern(w, h, t)).collect();
    for name in ["a.apng", "a.png"] {
        let path = dir.join(name);
        let config = WriterConfig::default().with_fps(Rational::new(30000, 1001));
        let mut writer = VideoWriter::create(&path, config).unwrap();
        for f in &frames {
            writer
                .push_frame(Frame::new(f, w, h, PixelLayout::Rgb8))
                .unwrap();
        }
        let s = writer.finish().unwrap();
        assert_eq!((s.codec, s.frames), (Codec::Png, 12));
        let p = probe(&path);
        assert_eq!(
            (p.codec_name.as_str(), p.frames, p.width, p.height),
            ("apng", 12, w, h),
            "{name}"
        );
        assert_eq!(decode_rgb(&path), frames.concat(), "{name}: lossless");
        let times: Vec<f64> = frame_infos(&path).iter().map(|f| f.pts_time).collect();
        for (i, t) in times.iter().enumerate() {
            assert!(
                (t - i as f64 * 1001.0 / 30000.0).abs() < 1e-3,
                "{name} frame {i} at {t}"
            );
        }
    }
}

#[test]
fn apng_keeps_alpha_and_works_on_a_write_only_sink() {
    let dir = TestDir::new("apng_alpha");
    let (w, h) = (20u32, 10u32);
    let rgba: Vec<u8> = (0..w * h)
        .flat_map(|i| [(i % 256) as u8, 10, 200, (i * 3 % 256) as u8])
        .collect();
    // write-only: frames go through a temporary file until the count is known
    let path = dir.join("stream.apng");
    let file = std::fs::File::create(&path).unwrap();
    let config = WriterConfig::default().with_container(framesink::Container::Apng);
    let mut writer = VideoWriter::new_stream(file, config).unwrap();
    for _ in 0..3 {
        writer
            .push_frame(Frame::new(&rgba, w, h, PixelLayout::Rgba8))
            .unwrap();
    }
    writer.finish().unwrap();
    assert_eq!(probe(&path).frames, 3);
    assert_eq!(decode_raw(&path, "rgba"), rgba.repeat(3));
}

#[test]
fn apng_gray_stays_gray() {
    let dir = TestDir::new("apng_gray");
    let (w, h) = (16u32, 16u32);
    let gray: Vec<u8> = (0..w * h).map(|i| (i * 7 % 256) as u8).collect();
    let path = dir.join("g.apng");
    let mut writer = VideoWriter::create(&path, WriterConfig::default()).unwrap();
    for _ in 0..2 {
        writer
            .push_frame(Frame::new(&gray, w, h, PixelLayout::Gray8))
            .unwrap();
    }
    writer.finish().unwrap();
    assert_eq!(probe(&path).pix_fmt, "gray");
    assert_eq!(decode_raw(&path, "gray"), gray.repeat(2));
}

#[test]
fn a_frame_with_channels_the_png_does_not_store_is_refused() {
    // The colour type follows the first frame: a later frame that needs more
    // channels would lose them; it is refused and the movie stays whole.
    let dir = TestDir::new("apng_channels");
    let (w, h) = (8u32, 4u32);
    let gray = vec![100u8; (w * h) as usize];
    let rgb: Vec<u8> = (0..w * h * 3).map(|i| (i * 11 % 256) as u8).collect();
    let rgba: Vec<u8> = (0..w * h * 4).map(|i| (i * 5 % 256) as u8).collect();
    for (name, first, later, message) in [
        (
            "gray_then_rgb",
            Frame::new(&gray, w, h, PixelLayout::Gray8),
            Frame::new(&rgb, w, h, PixelLayout::Rgb8),
            "rgb24 frames would lose channels in this PNG, which stores gray as its first frame (gray) was; allowed: gray or gray16le frames",
        ),
        (
            "rgb_then_rgba",
            Frame::new(&rgb, w, h, PixelLayout::Rgb8),
            Frame::new(&rgba, w, h, PixelLayout::Rgba8),
            "rgba frames would lose channels in this PNG, which stores RGB as its first frame (rgb24) was",
        ),
    ] {
        let path = dir.join(&format!("{name}.apng"));
        let mut writer = VideoWriter::create(&path, WriterConfig::default()).unwrap();
        writer.push_frame(first).unwrap();
        let e = writer.push_frame(later).unwrap_err().to_string();
        assert!(e.contains("frame 1") && e.contains(message), "{name}: {e}");
        writer.push_frame(first).unwrap();
        writer.finish().unwrap();
        assert_eq!(probe(&path).frames, 2, "{name}");
        let pix_fmt = if name == "gray_then_rgb" { "gray" } else { "rgb24" };
        assert_eq!(decode_raw(&path, pix_fmt), first.data.repeat(2), "{name}");
    }
    // Fewer channels than stored are kept: gray into RGBA, RGB into RGBA.
    let path = dir.join("rgba_then_gray.apng");
    let mut writer = VideoWriter::create(&path, WriterConfig::default()).unwrap();
    writer
        .push_frame(Frame::new(&rgba, w, h, PixelLayout::Rgba8))
        .unwrap();
    writer
        .push_frame(Frame::new(&gray, w, h, PixelLayout::Gray8))
        .unwrap();
    writer
        .push_frame(Frame::new(&rgb, w, h, PixelLayout::Rgb8))
        .unwrap();
    writer.finish().unwrap();
    let got = decode_raw(&path, "rgba");
    let plane = (w * h * 4) as usize;
    assert_eq!(got[..plane], rgba[..]);
    assert!(got[plane..2 * plane]
        .chunks(4)
        .all(|p| p == [100, 100, 100, 255]));
    let opaque: Vec<u8> = rgb
        .chunks(3)
        .flat_map(|p| [p[0], p[1], p[2], 255])
        .collect();
    assert_eq!(got[2 * plane..], opaque[..]);
}

/// `n` native-endian 16-bit samples making a ramp that uses the low byte.
fn ramp16(n: usize, seed: u32) -> Vec<u8> {
    (0..n)
        .map(|i| ((i as u32 * 2654 + seed * 977) % 65536) as u16)
        .flat_map(u16::to_ne_bytes)
        .collect()
}

/// ffmpeg's little-endian 16-bit output as native-endian bytes.
fn le_to_ne(bytes: &[u8]) -> Vec<u8> {
    bytes
        .chunks_exact(2)
        .flat_map(|b| u16::from_le_bytes([b[0], b[1]]).to_ne_bytes())
        .collect()
}

#[test]
fn sixteen_bit_input_stays_sixteen_bit_and_exact() {
    let dir = TestDir::new("apng_16");
    let (w, h) = (24u32, 10u32);
    for (layout, channels, pix_fmt, name) in [
        (PixelLayout::Rgb16, 3usize, "rgb48le", "rgb16.png"),
        (PixelLayout::Rgba16, 4, "rgba64le", "rgba16.png"),
        (PixelLayout::Gray16, 1, "gray16le", "gray16.png"),
    ] {
        let frames: Vec<Vec<u8>> = (0..3)
            .map(|t| ramp16((w * h) as usize * channels, t))
            .collect();
        let path = dir.join(name);
        let mut writer = VideoWriter::create(&path, WriterConfig::default()).unwrap();
        for f in &frames {
            writer.push_frame(Frame::new(f, w, h, layout)).unwrap();
        }
        writer.finish().unwrap();
        // IHDR (right after the 8-byte signature and the chunk header): bit depth 16.
        let bytes = std::fs::read(&path).unwrap();
        assert_eq!(&bytes[12..16], b"IHDR");
        assert_eq!(bytes[24], 16, "{name}: bit depth");
        assert_eq!(
            le_to_ne(&decode_raw(&path, pix_fmt)),
            frames.concat(),
            "{name}: lossless at 16 bits"
        );
    }
}

#[test]
fn planar_yuv_input_becomes_rgb() {
    let dir = TestDir::new("apng_yuv");
    let (w, h) = (16u32, 8u32);
    // BT.709 limited range of RGB (200, 40, 90): Y 82.7, Cb 133.9, Cr 196.3.
    let mut yuv = vec![83u8; (w * h) as usize];
    yuv.extend(vec![134u8; (w * h / 4) as usize]);
    yuv.extend(vec![196u8; (w * h / 4) as usize]);
    for name in ["yuv.png", "yuv.gif"] {
        let path = dir.join(name);
        let mut writer = VideoWriter::create(&path, WriterConfig::default()).unwrap();
        writer
            .push_frame(Frame::new(&yuv, w, h, PixelLayout::Yuv420p))
            .unwrap();
        writer.finish().unwrap();
        let rgb = decode_rgb(&path);
        assert_eq!(rgb.len(), (w * h * 3) as usize, "{name}");
        for px in rgb.chunks_exact(3) {
            let close = px
                .iter()
                .zip([200u8, 40, 90])
                .all(|(&a, b)| a.abs_diff(b) <= 3);
            assert!(close, "{name}: {px:?} is not (200, 40, 90)");
        }
    }
}
