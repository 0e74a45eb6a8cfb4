//! Codecs through a system ffmpeg (Debian's, which the tests use anyway).

mod common;

use common::{decode_rgb, mean_psnr, pattern, probe, TestDir};
use framesink::{Frame, PixelLayout, VideoWriter, WriterConfig};

fn frames(w: u32, h: u32, n: u32) -> Vec<Vec<u8>> {
    (0..n).map(|t| pattern(w, h, t)).collect()
}

#[test]
fn hevc_in_matroska_through_ffmpeg() {
    let dir = TestDir::new("ffmpeg_hevc");
    let (w, h) = (160u32, 96u32);
    let src = frames(w, h, 20);
    let path = dir.join("x.mkv");
    let config =
        WriterConfig::default().with_ffmpeg("libx265", &["-preset", "ultrafast", "-crf", "20"]);
    let mut writer = VideoWriter::create(&path, config).unwrap();
    for f in &src {
        writer
            .push_frame(Frame::new(f, w, h, PixelLayout::Rgb8))
            .unwrap();
    }
    let s = writer.finish().unwrap();
    assert_eq!(s.frames, 20);
    assert_eq!(s.bytes, std::fs::metadata(&path).unwrap().len());
    let p = probe(&path);
    assert_eq!(
        (p.codec_name.as_str(), p.frames, p.width, p.height),
        ("hevc", 20, w, h)
    );
    assert_eq!(p.color_space, "bt709");
    let psnr = mean_psnr(&decode_rgb(&path), &src.concat(), (w * h * 3) as usize);
    assert!(psnr >= 35.0, "{psnr:.2} dB");
}

#[test]
fn ffmpeg_failure_reports_its_status_and_words() {
    let dir = TestDir::new("ffmpeg_fail");
    let (w, h) = (64u32, 32u32);
    let src = frames(w, h, 3);
    let config = WriterConfig::default().with_ffmpeg("no_such_encoder_x", &[]);
    let mut writer = VideoWriter::create(dir.join("x.mkv"), config).unwrap();
    let mut err = None;
    for f in &src {
        if let Err(e) = writer.push_frame(Frame::new(f, w, h, PixelLayout::Rgb8)) {
            err = Some(e);
            break;
        }
    }
    let e = match err {
        Some(e) => e,
        None => writer.finish().unwrap_err(),
    }
    .to_string();
    assert!(
        e.contains("no_such_encoder_x") && e.contains("exit status"),
        "{e}"
    );
    assert!(!e.contains("Broken pipe"), "{e}");
}

#[test]
fn lots_of_ffmpeg_output_cannot_hang_it() {
    let dir = TestDir::new("ffmpeg_chatty");
    let (w, h) = (64u32, 32u32);
    let src = frames(w, h, 30);
    // -loglevel debug prints a great deal on stderr for every frame
    let config = WriterConfig::default().with_ffmpeg("mpeg4", &["-loglevel", "debug"]);
    let mut writer = VideoWriter::create(dir.join("x.avi"), config).unwrap();
    for f in &src {
        writer
            .push_frame(Frame::new(f, w, h, PixelLayout::Rgb8))
            .unwrap();
    }
    assert_eq!(writer.finish().unwrap().frames, 30);
    assert_eq!(probe(&dir.join("x.avi")).frames, 30);
}

#[test]
fn ffmpeg_codecs_refuse_what_they_cannot_do() {
    let e = VideoWriter::new(
        std::io::Cursor::new(Vec::new()),
        WriterConfig::default().with_ffmpeg("libx265", &[]),
    )
    .err()
    .unwrap()
    .to_string();
    assert!(e.contains("file"), "{e}");
    let e = WriterConfig::default()
        .with_ffmpeg("-y", &[])
        .validate()
        .unwrap_err()
        .to_string();
    assert!(e.contains("\"-y\""), "{e}");
    let dir = TestDir::new("ffmpeg_vfr");
    let mut writer = VideoWriter::create(
        dir.join("x.mkv"),
        WriterConfig::default().with_ffmpeg("mpeg4", &[]),
    )
    .unwrap();
    let px = vec![0u8; 16 * 16 * 3];
    let e = writer
        .push_frame(
            Frame::new(&px, 16, 16, PixelLayout::Rgb8)
                .with_timestamp(framesink::Timestamp::new(1, 2)),
        )
        .unwrap_err()
        .to_string();
    assert!(e.contains("timestamps"), "{e}");
}
