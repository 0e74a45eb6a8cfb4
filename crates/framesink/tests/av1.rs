//! AV1 (rav1e) in MP4, checked with Debian's ffmpeg/ffprobe (libdav1d):
//! frame count, exact timing, keyframes, colour tags, PSNR at the default
//! quality, odd sizes coded as they are, `av1C`, streaming output, errors.

mod common;

use common::*;
use framesink::{Codec, Error, Frame, PixelLayout, Rational, Timestamp, VideoWriter, WriterConfig};

fn av1() -> WriterConfig {
    WriterConfig::default().with_codec(Codec::Av1)
}

/// The payload of the first box of type `kind` anywhere in `bytes` (a plain
/// byte search for the type; fine for the small boxes looked for here).
fn find_box<'a>(bytes: &'a [u8], kind: &[u8; 4]) -> &'a [u8] {
    let at = bytes
        .windows(4)
        .position(|w| w == kind)
        .unwrap_or_else(|| panic!("no {} box", String::from_utf8_lossy(kind)));
    let size = u32::from_be_bytes(bytes[at - 4..at].try_into().unwrap()) as usize;
    &bytes[at + 4..at - 4 + size]
}

#[test]
fn default_quality_av1_has_exact_count_timing_keyframes_tags_and_40_db() {
    let dir = TestDir::new("av1_default");
    let path = dir.join("out.mp4");
    let (w, h, n) = (640u32, 360u32, 50u32);
    let s = encode_pattern(
        &path,
        av1()
            .with_fps(Rational::new(30000, 1001))
            .with_keyframe_interval(20),
        w,
        h,
        n,
    );
    assert_eq!(s.frames, n as u64);
    assert_eq!(s.codec, Codec::Av1);
    assert_eq!(s.profile, "Main");
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    assert_eq!(s.bytes, std::fs::metadata(&path).unwrap().len());

    let p = probe(&path);
    assert_eq!(p.codec_name, "av1");
    assert_eq!(p.frames, n as u64);
    assert_eq!((p.width, p.height), (w, h));
    assert_eq!(p.r_frame_rate, "30000/1001");
    assert_eq!(p.format_duration, "1.668333");
    assert_eq!(p.pix_fmt, "yuv420p");
    assert_eq!(p.profile, "Main");
    assert_eq!(p.color_range, "tv");
    assert_eq!(p.color_space, "bt709");
    assert_eq!(p.color_transfer, "bt709");
    assert_eq!(p.color_primaries, "bt709");

    // Packets come out of rav1e late (it looks ahead); each still carries
    // its own frame's time.
    let frames = frame_infos(&path);
    assert_eq!(frames.len(), n as usize);
    for (i, f) in frames.iter().enumerate() {
        let want = i as f64 * 1001.0 / 30000.0;
        assert!(
            (f.pts_time - want).abs() < 1e-5,
            "frame {i} at {}",
            f.pts_time
        );
    }
    assert_eq!(keyframes(&path), [0, 20, 40]);

    let db = pattern_psnr(&path, w, h, n);
    assert!(db >= 40.0, "mean PSNR {db:.2} dB < 40 dB");
}

#[test]
fn av1c_carries_the_sequence_header_obu_and_a_level_for_the_size() {
    let sink = SharedCursor::default();
    let mut writer = VideoWriter::new(sink.clone(), av1()).unwrap();
    let rgb = pattern(1280, 720, 0);
    for _ in 0..3 {
        writer
            .push_frame(Frame::new(&rgb, 1280, 720, PixelLayout::Rgb8))
            .unwrap();
    }
    writer.finish().unwrap();
    let bytes = sink.bytes();
    let ftyp = find_box(&bytes, b"ftyp");
    assert!(
        ftyp.windows(4).any(|b| b == b"av01"),
        "ftyp brands {ftyp:?}"
    );
    let av1c = find_box(&bytes, b"av1C");
    assert_eq!(av1c[0], 0x81, "marker and version 1");
    // seq_profile 0 (Main), seq_level_idx_0 5 (level 3.1 fits 720p30).
    assert_eq!(av1c[1], 5, "profile 0, level 5");
    // tier 0, 8 bit, not monochrome, 4:2:0 subsampling, sample position 0.
    assert_eq!(av1c[2], 0b0000_1100);
    // configOBUs: one sequence header OBU (type 1, with a size field).
    let obus = &av1c[4..];
    assert!(!obus.is_empty(), "no configOBUs");
    assert_eq!(obus[0], 0x0a, "OBU header of a sequence header with size");
    assert_eq!(obus.len(), 2 + obus[1] as usize, "one whole OBU");
    // The same header opens the first sample (keyframes repeat it) and no
    // temporal delimiter (type 2, 0x12) is in the samples.
    assert!(bytes.windows(obus.len()).filter(|w| *w == obus).count() >= 2);
    let mdat = find_box(&bytes, b"mdat");
    assert_ne!(
        mdat[0], 0x12,
        "a temporal delimiter starts the first sample"
    );
}

/// The left `w` columns of `cw`-wide rgb24 frames.
fn crop_width(frames: &[u8], cw: u32, w: u32) -> Vec<u8> {
    frames
        .chunks_exact(cw as usize * 3)
        .flat_map(|row| &row[..w as usize * 3])
        .copied()
        .collect()
}

#[test]
fn odd_heights_are_kept_and_widths_padded_to_a_multiple_of_8() {
    let dir = TestDir::new("av1_odd");
    for (w, h, cw) in [(641u32, 359u32, 648u32), (33, 17, 40), (48, 99, 48)] {
        let path = dir.join(&format!("{w}x{h}.mp4"));
        let n = 12;
        let s = encode_pattern(&path, av1(), w, h, n);
        assert_eq!((s.coded_width, s.coded_height), (cw, h));
        if cw == w {
            assert!(s.warnings.is_empty(), "{w}x{h}: {:?}", s.warnings);
        } else {
            assert_eq!(s.warnings.len(), 1, "{w}x{h}: {:?}", s.warnings);
            let msg = s.warnings[0].to_string();
            assert!(
                msg.contains("multiple of 8") && msg.contains(&format!("{cw}x{h}")),
                "{msg}"
            );
        }
        let p = probe(&path);
        assert_eq!((p.width, p.height), (cw, h));
        assert_eq!(p.frames, n as u64);
        let decoded = decode_rgb(&path);
        let db = mean_psnr(
            &crop_width(&decoded, cw, w),
            &pattern_frames(w, h, n),
            (w * h * 3) as usize,
        );
        // The right edge is as good as the rest (rav1e damaged it at
        // widths that are not multiples of 8: 35 dB on such a movie).
        // Tiny pictures show a busy piece of the pattern: lower PSNR.
        let floor = if w >= 64 { 38.0 } else { 33.0 };
        assert!(db >= floor, "{w}x{h}: PSNR {db:.2} dB");
        let edge = |x: u32| -> Vec<u8> {
            let mut v = Vec::new();
            for row in decoded.chunks_exact(cw as usize * 3) {
                v.extend_from_slice(&row[x as usize * 3..x as usize * 3 + 3]);
            }
            v
        };
        let last: Vec<u8> = pattern_frames(w, h, n)
            .chunks_exact(w as usize * 3)
            .flat_map(|row| row[(w as usize - 1) * 3..].to_vec())
            .collect();
        let edge_db = psnr(&edge(w - 1), &last);
        assert!(
            edge_db >= floor - 3.0,
            "{w}x{h}: last column {edge_db:.2} dB"
        );
    }
}

#[test]
fn sizes_below_16_are_padded_to_16_with_a_warning() {
    let dir = TestDir::new("av1_tiny");
    let path = dir.join("tiny.mp4");
    let s = encode_pattern(&path, av1(), 5, 21, 3);
    assert_eq!((s.coded_width, s.coded_height), (16, 21));
    assert!(s.warnings[0].to_string().contains("too small"));
    assert_eq!(s.warnings.len(), 1, "{:?}", s.warnings);
    let msg = s.warnings[0].to_string();
    assert!(
        msg.contains("5x21") && msg.contains("16x21") && msg.contains("AV1"),
        "{msg}"
    );
    let p = probe(&path);
    assert_eq!((p.width, p.height, p.frames), (16, 21, 3));
}

#[test]
fn variable_timestamps_stay_with_their_frames_through_the_lookahead() {
    let dir = TestDir::new("av1_vfr");
    let path = dir.join("out.mp4");
    let (w, h) = (96, 64);
    let times = [0u64, 100, 350, 400, 1000, 1010, 1500, 2600];
    let mut writer = VideoWriter::create(&path, av1()).unwrap();
    for (i, ms) in times.iter().enumerate() {
        let rgb = pattern(w, h, i as u32 * 5);
        writer
            .push_frame(
                Frame::new(&rgb, w, h, PixelLayout::Rgb8)
                    .with_timestamp(Timestamp::from_millis(*ms)),
            )
            .unwrap();
    }
    writer.finish().unwrap();
    let pts: Vec<f64> = frame_infos(&path).iter().map(|f| f.pts_time).collect();
    assert_eq!(pts.len(), times.len(), "{pts:?}");
    for (got, ms) in pts.iter().zip(times) {
        assert!((got - ms as f64 / 1000.0).abs() < 1e-4, "pts {pts:?}");
    }
}

#[test]
fn gray_input_keeps_its_level() {
    let dir = TestDir::new("av1_gray");
    let (w, h) = (64u32, 48u32);
    // A flat mid-gray: luma 126 (limited range), chroma neutral.
    let gray = vec![128u8; (w * h) as usize];
    let path = dir.join("gray.mp4");
    let mut writer = VideoWriter::create(&path, av1()).unwrap();
    for _ in 0..3 {
        writer
            .push_frame(Frame::new(&gray, w, h, PixelLayout::Gray8))
            .unwrap();
    }
    writer.finish().unwrap();
    let rgb = decode_rgb(&path);
    assert_eq!(rgb.len(), (w * h * 3 * 3) as usize);
    assert!(rgb.iter().all(|&v| v.abs_diff(128) <= 2), "gray drifted");
}

#[test]
fn speed_out_of_range_is_refused_naming_it() {
    let e = av1().with_speed(11).validate().unwrap_err();
    assert!(matches!(e, Error::InvalidConfig(_)), "{e:?}");
    let msg = e.to_string();
    assert!(
        msg.contains("11") && msg.contains("0") && msg.contains("10"),
        "{msg}"
    );
    let dir = TestDir::new("av1_speed");
    let path = dir.join("x.mp4");
    assert!(VideoWriter::create(&path, av1().with_speed(200)).is_err());
    assert!(!path.exists());
}

#[test]
fn av1_in_a_gif_is_refused_and_mp4_is_named() {
    let dir = TestDir::new("av1_gif");
    let path = dir.join("x.gif");
    let e = VideoWriter::create(&path, av1()).err().expect("accepted");
    assert!(matches!(e, Error::Unsupported(_)), "{e:?}");
    let msg = e.to_string();
    assert!(msg.contains("av1") && msg.contains("gif"), "{msg}");
    assert!(!path.exists());
    // And the name parses both ways.
    assert_eq!("av1".parse::<Codec>().unwrap(), Codec::Av1);
    assert_eq!("AV01".parse::<Codec>().unwrap(), Codec::Av1);
}
