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
