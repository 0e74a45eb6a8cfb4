//! GIF output, checked by decoding with Debian's ffmpeg.

mod common;

use common::{decode_raw, decode_rgb, frame_infos, mean_psnr, pattern, probe, TestDir};
use framesink::{Codec, Frame, PixelLayout, Rational, VideoWriter, Warning, WriterConfig};

fn write_gif(
    path: &std::path::Path,
    frames: &[Vec<u8>],
    w: u32,
    h: u32,
    config: WriterConfig,
) -> framesink::Summary {
    let mut writer = VideoWriter::create(path, config).unwrap();
    for f in frames {
        writer
            .push_frame(Frame::new(f, w, h, PixelLayout::Rgb8))
            .unwrap();
    }
    writer.finish().unwrap()
}

#[test]
fn gif_has_every_frame_and_exact_average_timing() {
    let dir = TestDir::new("gif_timing");
    let (w, h) = (96, 64);
    let frames: Vec<Vec<u8>> = (0..30).map(|t| pattern(w, h, t)).collect();
    let path = dir.join("a.gif");
    let s = write_gif(&path, &frames, w, h, WriterConfig::default());
    assert_eq!((s.frames, s.frames_dropped, s.codec), (30, 0, Codec::Gif));
    let p = probe(&path);
    assert_eq!(
        (p.codec_name.as_str(), p.frames, p.width, p.height),
        ("gif", 30, w, h)
    );
    // 30 fps in centiseconds: 3, 4, 3, 3, 4, 3, ... (never truncated to 3)
    let times: Vec<f64> = frame_infos(&path).iter().map(|f| f.pts_time).collect();
    for (i, t) in times.iter().enumerate() {
        let exact = i as f64 / 30.0;
        assert!(
            (t - exact).abs() <= 0.005 + 1e-9,
            "frame {i} at {t}, exact {exact}"
        );
    }
    assert_eq!(p.format_duration.parse::<f64>().unwrap(), 1.0);
}

#[test]
fn gif_pictures_are_close_to_the_source() {
    let dir = TestDir::new("gif_psnr");
    let (w, h) = (160, 120);
    let frames: Vec<Vec<u8>> = (0..8).map(|t| pattern(w, h, t)).collect();
    for (dither, floor) in [(false, 30.0), (true, 27.0)] {
        let path = dir.join(&format!("d{dither}.gif"));
        write_gif(
            &path,
            &frames,
            w,
            h,
            WriterConfig::default().with_dither(dither),
        );
        let decoded = decode_rgb(&path);
        let psnr = mean_psnr(&decoded, &frames.concat(), (w * h * 3) as usize);
        assert!(psnr >= floor, "dither {dither}: {psnr:.2} dB < {floor}");
    }
}

#[test]
fn alpha_becomes_gif_transparency() {
    let dir = TestDir::new("gif_alpha");
    let (w, h) = (32u32, 16u32);
    // left half transparent, right half opaque red
    let rgba: Vec<u8> = (0..w * h)
        .flat_map(|i| {
            if i % w < w / 2 {
                [0, 0, 255, 0]
            } else {
                [255, 0, 0, 255]
            }
        })
        .collect();
    let path = dir.join("alpha.gif");
    let mut writer = VideoWriter::create(&path, WriterConfig::default()).unwrap();
    for _ in 0..2 {
        writer
            .push_frame(Frame::new(&rgba, w, h, PixelLayout::Rgba8))
            .unwrap();
    }
    writer.finish().unwrap();
    let out = decode_raw(&path, "rgba");
    let px = |x: u32, y: u32| &out[((y * w + x) * 4) as usize..((y * w + x) * 4 + 4) as usize];
    assert_eq!(px(2, 5)[3], 0, "left is transparent");
    assert_eq!(px(30, 5), &[255, 0, 0, 255], "right is opaque red");
}

#[test]
fn above_fifty_fps_frames_are_dropped_evenly_with_a_warning() {
    let dir = TestDir::new("gif_100fps");
    let (w, h) = (32, 32);
    let frames: Vec<Vec<u8>> = (0..100).map(|t| pattern(w, h, t)).collect();
    let path = dir.join("fast.gif");
    let config = WriterConfig::default().with_fps(Rational::integer(100));
    let mut writer = VideoWriter::create(&path, config).unwrap();
    let mut warned = 0;
    for f in &frames {
        writer
            .push_frame(Frame::new(f, w, h, PixelLayout::Rgb8))
            .unwrap();
        warned += writer
            .take_warnings()
            .iter()
            .filter(|w| matches!(w, Warning::FramesDropped { .. }))
            .count();
    }
    let s = writer.finish().unwrap();
    assert_eq!(warned, 1);
    assert_eq!((s.frames, s.frames_dropped), (50, 50));
    let times: Vec<f64> = frame_infos(&path).iter().map(|f| f.pts_time).collect();
    assert_eq!(times.len(), 50);
    assert!(
        times
            .windows(2)
            .all(|w| ((w[1] - w[0]) - 0.02).abs() < 1e-6),
        "{times:?}"
    );
    assert_eq!(probe(&path).format_duration.parse::<f64>().unwrap(), 1.0);
}

#[test]
fn gif_rejects_what_it_cannot_hold() {
    let dir = TestDir::new("gif_errors");
    let e = VideoWriter::create(
        dir.join("x.gif"),
        WriterConfig::default().with_codec(Codec::H264),
    )
    .err()
    .unwrap()
    .to_string();
    assert!(e.contains("h264") && e.contains("gif"), "{e}");
    let e = VideoWriter::create(
        dir.join("x.mp4"),
        WriterConfig::default().with_codec(Codec::Gif),
    )
    .err()
    .unwrap()
    .to_string();
    assert!(e.contains("gif") && e.contains("mp4"), "{e}");
}

#[test]
fn frames_of_few_colours_are_lossless() {
    let dir = TestDir::new("gif_exact");
    let (w, h) = (64u32, 40u32);
    // 200 distinct colours, as a plot or text frame might have
    let frame: Vec<u8> = (0..w * h)
        .flat_map(|i| {
            let c = (i * 7 % 200) as u8;
            [c, 255 - c, c / 2]
        })
        .collect();
    let path = dir.join("exact.gif");
    write_gif(
        &path,
        &[frame.clone(), frame.clone()],
        w,
        h,
        WriterConfig::default(),
    );
    assert_eq!(decode_rgb(&path), [frame.clone(), frame].concat());
}
