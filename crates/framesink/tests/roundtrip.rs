//! Frames through the library, back out through ffmpeg/ffprobe: counts,
//! timing, tags, picture quality, every pixel layout, odd sizes, sinks.

mod common;

use common::*;
use framesink::{
    Container, Frame, PixelLayout, Rational, Timestamp, VideoWriter, Warning, WriterConfig,
};

#[test]
fn thirty_fps_count_rate_duration_and_tags_are_exact() {
    let dir = TestDir::new("thirty_fps");
    let path = dir.join("out.mp4");
    let s = encode_pattern(
        &path,
        WriterConfig::default().with_fps(Rational::integer(30)),
        160,
        96,
        45,
    );
    assert_eq!(s.frames, 45);
    assert_eq!(
        (s.width, s.height, s.coded_width, s.coded_height),
        (160, 96, 160, 96)
    );
    assert_eq!(s.duration_ticks, 45 * s.timescale as u64 / 30);
    assert!((s.duration_secs() - 1.5).abs() < 1e-12);
    assert_eq!(s.profile, "High");
    assert!(s.warnings.is_empty(), "{:?}", s.warnings);
    assert_eq!(s.bytes, std::fs::metadata(&path).unwrap().len());

    let p = probe(&path);
    assert_eq!(p.frames, 45);
    assert_eq!(p.codec_name, "h264");
    assert_eq!((p.width, p.height), (160, 96));
    assert_eq!(p.r_frame_rate, "30/1");
    assert_eq!(p.stream_duration, "1.500000");
    assert_eq!(p.format_duration, "1.500000");
    assert_eq!(p.pix_fmt, "yuv420p");
    assert_eq!(p.profile, "High");
    assert_eq!(p.color_range, "tv");
    assert_eq!(p.color_space, "bt709");
    assert_eq!(p.color_transfer, "bt709");
    assert_eq!(p.color_primaries, "bt709");
}

#[test]
fn ntsc_rate_is_exact_300_frames_last_10_01_s() {
    let dir = TestDir::new("ntsc");
    let path = dir.join("out.mp4");
    let s = encode_pattern(
        &path,
        WriterConfig::default().with_fps(Rational::new(30000, 1001)),
        64,
        48,
        300,
    );
    assert_eq!(s.frames, 300);
    // 300 * 1001 / 30000 = 10.01 s exactly, in whole ticks.
    assert_eq!(
        s.duration_ticks as u128 * 30000,
        300 * 1001 * s.timescale as u128
    );
    let p = probe(&path);
    assert_eq!(p.frames, 300);
    assert_eq!(p.r_frame_rate, "30000/1001");
    assert_eq!(p.stream_duration, "10.010000");
    assert_eq!(p.format_duration, "10.010000");
    // Every frame at exactly i * 1001/30000 s.
    let frames = frame_infos(&path);
    assert_eq!(frames.len(), 300);
    for (i, f) in frames.iter().enumerate() {
        let want = i as f64 * 1001.0 / 30000.0;
        assert!(
            (f.pts_time - want).abs() < 1e-5,
            "frame {i} at {} s, expected {want}",
            f.pts_time
        );
    }
}

#[test]
fn default_quality_psnr_is_at_least_40_db_at_640x360() {
    let dir = TestDir::new("psnr");
    let path = dir.join("out.mp4");
    let (w, h, n) = (640, 360, 20);
    encode_pattern(&path, WriterConfig::default(), w, h, n);
    let decoded = decode_rgb(&path);
    let reference = pattern_frames(w, h, n);
    let db = mean_psnr(&decoded, &reference, (w * h * 3) as usize);
    assert!(db >= 40.0, "mean PSNR {db:.2} dB < 40 dB");
}

/// Encodes one red-left/blue-right picture (twice: an I and a P frame) in
/// `layout` with the given stride and returns the decoded rgb24 frames.
fn encode_red_blue(
    dir: &TestDir,
    layout: PixelLayout,
    w: u32,
    h: u32,
    stride: Option<usize>,
) -> (Vec<u8>, Vec<u8>) {
    let rgb = red_blue(w, h);
    let data = layout_bytes(&rgb, w, h, layout, stride);
    let path = dir.join(&format!("{layout}-{}.mp4", stride.unwrap_or(0)));
    let mut writer = VideoWriter::create(&path, WriterConfig::default()).unwrap();
    for _ in 0..2 {
        let mut frame = Frame::new(&data, w, h, layout);
        if let Some(s) = stride {
            frame = frame.with_stride(s);
        }
        writer
            .push_frame(frame)
            .unwrap_or_else(|e| panic!("{layout}: {e}"));
    }
    let s = writer.finish().unwrap();
    assert_eq!(s.frames, 2, "{layout}");
    let p = probe(&path);
    assert_eq!((p.frames, p.width, p.height), (2, w, h), "{layout}");
    (decode_rgb(&path), expected_rgb(&rgb, layout))
}

#[test]
fn every_layout_decodes_to_the_right_colours_in_the_right_order() {
    let dir = TestDir::new("layouts");
    let (w, h) = (64, 32);
    for layout in PixelLayout::ALL {
        let (decoded, want) = encode_red_blue(&dir, layout, w, h, None);
        let frame = (w * h * 3) as usize;
        for f in 0..2 {
            assert_close_away_from_middle(
                &decoded[f * frame..(f + 1) * frame],
                &want,
                w,
                h,
                8,
                10,
                &format!("{layout} frame {f}"),
            );
        }
    }
}

#[test]
fn sixteen_bit_layouts_are_native_endian_and_scaled() {
    // Mid levels (not 0 or 65535) so that swapped bytes or a shift instead of
    // a scale would show: 0x6000 -> 96, 0xC000 -> 191 (0x0060 -> 0 if swapped).
    let dir = TestDir::new("sixteen");
    let (w, h) = (32, 16);
    for (layout, channels) in [
        (PixelLayout::Gray16, 1usize),
        (PixelLayout::Rgb16, 3),
        (PixelLayout::Rgba16, 4),
    ] {
        let mut data = Vec::new();
        for _ in 0..h {
            for x in 0..w {
                let v: u16 = if x < w / 2 { 0x6000 } else { 0xC000 };
                for c in 0..channels {
                    let s = if c == 3 { 0x1234 } else { v };
                    data.extend_from_slice(&s.to_ne_bytes());
                }
            }
        }
        let path = dir.join(&format!("{layout}.mp4"));
        let mut writer = VideoWriter::create(&path, WriterConfig::default()).unwrap();
        writer.push_frame(Frame::new(&data, w, h, layout)).unwrap();
        writer.finish().unwrap();
        let decoded = decode_rgb(&path);
        let left = &decoded[((h / 2 * w + 4) * 3) as usize..][..3];
        let right = &decoded[((h / 2 * w + w - 4) * 3) as usize..][..3];
        for (got, want) in [(left, 96u8), (right, 191u8)] {
            assert!(
                got.iter().all(|&c| c.abs_diff(want) <= 4),
                "{layout}: decoded {got:?}, expected gray {want}"
            );
        }
    }
}

/// Encodes the red/blue picture in `layout` packed and with padded rows and
/// checks both decode to the same, right picture.
fn check_padded_stride(dir: &TestDir, layout: PixelLayout) {
    let (w, h) = (64, 32);
    let row = if layout == PixelLayout::Yuv420p {
        w as usize
    } else {
        w as usize * layout.bytes_per_pixel()
    };
    // Padding of 2 x 17 bytes: rows do not start where packed rows would.
    let stride = row + 34;
    let (packed, want) = encode_red_blue(dir, layout, w, h, None);
    let (padded, _) = encode_red_blue(dir, layout, w, h, Some(stride));
    let frame = (w * h * 3) as usize;
    for (name, decoded) in [("packed", &packed), ("padded", &padded)] {
        assert_close_away_from_middle(
            &decoded[..frame],
            &want,
            w,
            h,
            8,
            10,
            &format!("{layout} {name} (stride {stride})"),
        );
    }
    assert!(
        packed == padded,
        "{layout}: stride {stride} decodes differently from packed rows"
    );
}

#[test]
fn padded_stride_works_for_gray_sixteen_bit_and_planar_layouts() {
    let dir = TestDir::new("stride_other");
    for layout in [
        PixelLayout::Gray8,
        PixelLayout::GrayAlpha8,
        PixelLayout::Gray16,
        PixelLayout::Rgb16,
        PixelLayout::Rgba16,
        PixelLayout::Yuv420p,
    ] {
        check_padded_stride(&dir, layout);
    }
}

#[test]
fn padded_stride_works_for_eight_bit_rgb_layouts() {
    let dir = TestDir::new("stride_rgb");
    for layout in [
        PixelLayout::Rgb8,
        PixelLayout::Rgba8,
        PixelLayout::Bgr8,
        PixelLayout::Bgra8,
    ] {
        check_padded_stride(&dir, layout);
    }
}

/// The size H.264 output has for a `w` x `h` input: even, and at least 16
/// each way (OpenH264's minimum); the rest is padding.
fn coded_size(w: u32, h: u32) -> (u32, u32) {
    ((w + w % 2).max(16), (h + h % 2).max(16))
}

/// Encodes `n` pattern frames of a size that needs padding and checks the
/// warning (once), the coded size and that the padding repeats the edge.
fn check_padded_size(dir: &TestDir, w: u32, h: u32, n: u32, layout: PixelLayout) {
    let (cw, ch) = coded_size(w, h);
    assert!((cw, ch) != (w, h), "{w}x{h} needs no padding");
    let path = dir.join(&format!("{w}x{h}-{layout}.mp4"));
    let mut writer = VideoWriter::create(&path, WriterConfig::default().with_quality(90)).unwrap();
    let mut warnings = Vec::new();
    for t in 0..n {
        let rgb = pattern(w, h, t);
        let data = layout_bytes(&rgb, w, h, layout, None);
        writer
            .push_frame(Frame::new(&data, w, h, layout))
            .unwrap_or_else(|e| panic!("{w}x{h} {layout}: {e}"));
        // 16-bit layouts are also rounded to 8 bits (tests/bits.rs): not
        // what this test is about.
        let new: Vec<Warning> = writer
            .take_warnings()
            .into_iter()
            .filter(|w| !matches!(w, Warning::BitsLost { .. }))
            .collect();
        if t == 0 {
            assert_eq!(new.len(), 1, "{w}x{h}: one warning on the first frame");
        } else {
            assert!(new.is_empty(), "{w}x{h}: warning repeated: {new:?}");
        }
        warnings.extend(new);
    }
    let expected = Warning::Padded {
        codec: framesink::Codec::H264,
        width: w,
        height: h,
        coded_width: cw,
        coded_height: ch,
    };
    assert_eq!(warnings, vec![expected.clone()]);
    let text = expected.to_string();
    assert!(
        text.contains(&format!("{w}x{h}")) && text.contains(&format!("{cw}x{ch}")),
        "{text}"
    );
    let s = writer.finish().unwrap();
    let padded: Vec<&Warning> = s
        .warnings
        .iter()
        .filter(|w| !matches!(w, Warning::BitsLost { .. }))
        .collect();
    assert_eq!(padded, vec![&expected], "summary warnings");
    assert_eq!(
        (s.width, s.height, s.coded_width, s.coded_height),
        (w, h, cw, ch)
    );
    assert!(cw % 2 == 0 && ch % 2 == 0);
    let p = probe(&path);
    assert_eq!((p.frames, p.width, p.height), (n as u64, cw, ch));

    // Every padding column/row repeats the last real one, roughly (the
    // encoder is lossy).
    let decoded = decode_rgb(&path);
    let frame = (cw * ch * 3) as usize;
    assert_eq!(decoded.len(), frame * n as usize);
    let at = |f: usize, x: u32, y: u32, c: usize| {
        decoded[f * frame + ((y * cw + x) * 3) as usize + c] as i32
    };
    for f in 0..n as usize {
        for x in w..cw {
            let diff = (0..h)
                .flat_map(|y| (0..3).map(move |c| (y, c)))
                .map(|(y, c)| (at(f, x, y, c) - at(f, w - 1, y, c)).abs())
                .max()
                .unwrap();
            assert!(
                diff <= 12,
                "{w}x{h} {layout} frame {f}: padding column {x} differs from column {} by up to {diff}",
                w - 1
            );
        }
        for y in h..ch {
            let diff = (0..w)
                .flat_map(|x| (0..3).map(move |c| (x, c)))
                .map(|(x, c)| (at(f, x, y, c) - at(f, x, h - 1, c)).abs())
                .max()
                .unwrap();
            assert!(
                diff <= 12,
                "{w}x{h} {layout} frame {f}: padding row {y} differs from row {} by up to {diff}",
                h - 1
            );
        }
    }
    // And the real picture is intact.
    let cropped: Vec<u8> = (0..n as usize)
        .flat_map(|f| {
            let d = &decoded;
            (0..h).flat_map(move |y| {
                let start = f * frame + (y * cw * 3) as usize;
                d[start..start + (w * 3) as usize].iter().copied()
            })
        })
        .collect();
    let reference: Vec<u8> = (0..n)
        .flat_map(|t| expected_rgb(&pattern(w, h, t), layout))
        .collect();
    let db = mean_psnr(&cropped, &reference, (w * h * 3) as usize);
    let min_db = if w >= 16 && h >= 16 { 38.0 } else { 30.0 };
    assert!(db >= min_db, "{w}x{h} {layout}: PSNR {db:.2} dB < {min_db}");
}

#[test]
fn odd_size_641x359_is_padded_once_by_repeating_the_edge() {
    let dir = TestDir::new("odd_large");
    check_padded_size(&dir, 641, 359, 3, PixelLayout::Rgb8);
}

#[test]
fn odd_size_3x5_is_padded_once_by_repeating_the_edge() {
    let dir = TestDir::new("odd_tiny");
    check_padded_size(&dir, 3, 5, 3, PixelLayout::Rgb8);
}

#[test]
fn odd_width_641x360_rgb_is_padded_once_by_repeating_the_edge() {
    let dir = TestDir::new("odd_width");
    check_padded_size(&dir, 641, 360, 3, PixelLayout::Rgb8);
}

#[test]
fn sizes_below_16_are_padded_to_16_by_repeating_the_edge() {
    let dir = TestDir::new("tiny_even");
    check_padded_size(&dir, 4, 6, 2, PixelLayout::Rgb8);
    check_padded_size(&dir, 2, 2, 2, PixelLayout::Bgra8);
    check_padded_size(&dir, 40, 8, 2, PixelLayout::Rgb8);
}

#[test]
fn odd_sizes_in_gray_and_planar_layouts_repeat_the_edge() {
    let dir = TestDir::new("odd_gray");
    for layout in [
        PixelLayout::Gray8,
        PixelLayout::Gray16,
        PixelLayout::Yuv420p,
    ] {
        check_padded_size(&dir, 33, 17, 2, layout);
    }
    check_padded_size(&dir, 3, 5, 2, PixelLayout::Gray8);
    check_padded_size(&dir, 40, 9, 2, PixelLayout::Yuv420p);
}

#[test]
fn yuv420p_frames_narrower_than_16_keep_their_colours() {
    let dir = TestDir::new("tiny_yuv");
    check_padded_size(&dir, 10, 20, 2, PixelLayout::Yuv420p);
    check_padded_size(&dir, 3, 5, 2, PixelLayout::Yuv420p);
}

#[test]
fn odd_heights_in_rgb_layouts_repeat_the_edge() {
    let dir = TestDir::new("odd_rgb_layouts");
    for layout in [PixelLayout::Bgra8, PixelLayout::Rgb16] {
        check_padded_size(&dir, 33, 17, 2, layout);
    }
}

#[test]
fn variable_frame_rate_timestamps_are_kept() {
    let dir = TestDir::new("vfr");
    let (w, h) = (64, 48);
    let rgb = pattern(w, h, 0);
    // Starting at 0 and starting later (times are relative to the first frame).
    for (start_ms, name) in [(0u64, "zero"), (2000, "late")] {
        let path = dir.join(&format!("{name}.mp4"));
        let mut writer = VideoWriter::create(&path, WriterConfig::default()).unwrap();
        for ms in [0u64, 100, 350, 400] {
            writer
                .push_frame(
                    Frame::new(&rgb, w, h, PixelLayout::Rgb8)
                        .with_timestamp(Timestamp::from_millis(start_ms + ms)),
                )
                .unwrap();
        }
        let s = writer.finish().unwrap();
        assert_eq!(s.frames, 4);
        // The last frame lasts one frame period (1/30 s).
        assert!(
            (s.duration_secs() - (0.4 + 1.0 / 30.0)).abs() < 1e-4,
            "{}",
            s.duration_secs()
        );
        let frames = frame_infos(&path);
        let pts: Vec<f64> = frames.iter().map(|f| f.pts_time).collect();
        assert_eq!(pts.len(), 4, "{name}: {pts:?}");
        for (got, want) in pts.iter().zip([0.0, 0.1, 0.35, 0.4]) {
            assert!((got - want).abs() < 1e-4, "{name}: pts {pts:?}");
        }
        assert_eq!(probe(&path).frames, 4);
    }
}

#[test]
fn frames_without_timestamps_follow_the_previous_one_by_a_period() {
    let dir = TestDir::new("mixed_ts");
    let path = dir.join("out.mp4");
    let (w, h) = (64, 48);
    let rgb = pattern(w, h, 0);
    let mut writer = VideoWriter::create(
        &path,
        WriterConfig::default().with_fps(Rational::integer(10)),
    )
    .unwrap();
    let f = || Frame::new(&rgb, w, h, PixelLayout::Rgb8);
    writer.push_frame(f()).unwrap(); // 0
    writer
        .push_frame(f().with_timestamp(Timestamp::new(1, 2)))
        .unwrap(); // 0.5
    writer.push_frame(f()).unwrap(); // 0.6
    writer.finish().unwrap();
    let pts: Vec<f64> = frame_infos(&path).iter().map(|f| f.pts_time).collect();
    assert_eq!(pts.len(), 3, "{pts:?}");
    for (got, want) in pts.iter().zip([0.0, 0.5, 0.6]) {
        assert!((got - want).abs() < 1e-4, "{pts:?}");
    }
}

#[test]
fn cursor_sink_gives_a_faststart_mp4() {
    let dir = TestDir::new("cursor");
    let sink = SharedCursor::default();
    let (w, h, n) = (96, 64, 40);
    let mut writer = VideoWriter::new(
        sink.clone(),
        WriterConfig::default()
            .with_container(Container::Mp4)
            .with_keyframe_interval(10)
            .with_quality(90),
    )
    .unwrap();
    for t in 0..n {
        writer
            .push_frame(Frame::new(&pattern(w, h, t), w, h, PixelLayout::Rgb8))
            .unwrap();
    }
    let s = writer.finish().unwrap();
    let bytes = sink.bytes();
    assert_eq!(s.bytes, bytes.len() as u64, "summary size vs sink size");
    let kinds = box_kinds(&bytes);
    assert_eq!(&kinds[..2], ["ftyp", "moov"], "{kinds:?}");
    let moov = kinds.iter().position(|k| k == "moov").unwrap();
    let mdat = kinds.iter().position(|k| k == "mdat").expect("an mdat");
    assert!(moov < mdat, "moov after mdat: {kinds:?}");
    assert!(
        !kinds.iter().any(|k| k == "moof"),
        "still fragmented: {kinds:?}"
    );
    assert!(
        kinds
            .iter()
            .all(|k| ["ftyp", "moov", "free", "mdat"].contains(&k.as_str())),
        "{kinds:?}"
    );
    let path = dir.join("cursor.mp4");
    std::fs::write(&path, &bytes).unwrap();
    let p = probe(&path);
    assert_eq!(p.frames, n as u64);
    assert_eq!(p.format_duration, format!("{:.6}", n as f64 / 30.0));
    let db = pattern_psnr(&path, w, h, n);
    assert!(db >= 35.0, "PSNR {db:.2}");
}

#[test]
fn cursor_sink_without_container_defaults_to_mp4() {
    // "None means from the file extension (required for sinks without a path,
    // where it defaults to MP4)".
    let sink = SharedCursor::default();
    let mut writer = VideoWriter::new(sink.clone(), WriterConfig::default()).unwrap();
    let rgb = pattern(32, 32, 0);
    writer
        .push_frame(Frame::new(&rgb, 32, 32, PixelLayout::Rgb8))
        .unwrap();
    writer.finish().unwrap();
    assert_eq!(&box_kinds(&sink.bytes())[..2], ["ftyp", "moov"]);
}

#[test]
fn create_overwrites_a_longer_existing_file() {
    let dir = TestDir::new("overwrite");
    let path = dir.join("out.mp4");
    std::fs::write(&path, vec![0xEEu8; 1 << 20]).unwrap();
    let s = encode_pattern(&path, WriterConfig::default(), 64, 48, 5);
    let bytes = std::fs::read(&path).unwrap();
    assert_eq!(bytes.len() as u64, s.bytes);
    assert_eq!(box_kinds(&bytes)[..2], ["ftyp", "moov"]);
    assert_eq!(probe(&path).frames, 5);
}

#[test]
fn stream_sink_is_ftyp_moov_then_moof_mdat_pairs() {
    // H.264, and AV1 whose packets come out of rav1e's lookahead late.
    for codec in [framesink::Codec::H264, framesink::Codec::Av1] {
        let dir = TestDir::new(&format!("stream_{codec}"));
        let sink = SharedVec::default();
        let (w, h, n) = (96, 64, 35u32);
        let mut writer = VideoWriter::new_stream(
            sink.clone(),
            WriterConfig::default()
                .with_codec(codec)
                .with_container(Container::Mp4)
                .with_keyframe_interval(10),
        )
        .unwrap();
        for t in 0..n {
            writer
                .push_frame(Frame::new(&pattern(w, h, t), w, h, PixelLayout::Rgb8))
                .unwrap();
        }
        let s = writer.finish().unwrap();
        let bytes = sink.bytes();
        assert_eq!(s.bytes, bytes.len() as u64);
        let kinds = box_kinds(&bytes);
        assert_eq!(&kinds[..2], ["ftyp", "moov"], "{codec}: {kinds:?}");
        let rest = &kinds[2..];
        assert!(!rest.is_empty() && rest.len() % 2 == 0, "{kinds:?}");
        for pair in rest.chunks(2) {
            assert_eq!(pair, ["moof", "mdat"], "{codec}: {kinds:?}");
        }
        // A fragment per GOP of 10 frames (each 1/3 s, under the 1 s limit).
        assert_eq!(rest.len() / 2, 4, "{codec}: {kinds:?}");
        let path = dir.join("stream.mp4");
        std::fs::write(&path, &bytes).unwrap();
        let p = probe(&path);
        assert_eq!(p.frames, n as u64, "{codec}");
        assert_eq!(keyframes(&path), [0, 10, 20, 30], "{codec}");
    }
}

#[test]
fn stream_output_lags_at_most_one_gop_behind_the_frames_pushed() {
    let sink = SharedVec::default();
    let (w, h) = (64u32, 48u32);
    let mut writer = VideoWriter::new_stream(
        sink.clone(),
        WriterConfig::default()
            .with_container(Container::Mp4)
            .with_keyframe_interval(30),
    )
    .unwrap();
    let rgb = pattern(w, h, 0);
    for _ in 0..150 {
        writer
            .push_frame(Frame::new(&rgb, w, h, PixelLayout::Rgb8))
            .unwrap();
    }
    // Frames 0..120 (four whole GOPs, written as fragments of 15 frames,
    // half a second) should reach the sink without more frames or
    // finish(). The background threads get up to 3000 polls of 20 ms (a
    // loaded machine can hold them back); no time is asserted.
    let mut moofs = 0;
    for _ in 0..3000 {
        moofs = fragments_written(&sink.bytes());
        if moofs >= 8 {
            break;
        }
        std::thread::sleep(std::time::Duration::from_millis(20));
    }
    assert!(
        moofs >= 8,
        "150 frames pushed (keyint 30), only {moofs} fragments ({} frames) written",
        moofs * 15
    );
    writer.finish().unwrap();
    assert_eq!(
        box_kinds(&sink.bytes())
            .iter()
            .filter(|k| *k == "moof")
            .count(),
        10
    );
}

#[test]
fn keyframes_are_exactly_every_interval_with_one_and_two_threads() {
    let dir = TestDir::new("keyint");
    for threads in [1usize, 2] {
        let path = dir.join(&format!("t{threads}.mp4"));
        let s = encode_pattern(
            &path,
            WriterConfig::default()
                .with_keyframe_interval(10)
                .with_threads(threads),
            96,
            64,
            35,
        );
        assert_eq!(s.frames, 35);
        let frames = frame_infos(&path);
        assert_eq!(frames.len(), 35, "threads {threads}");
        let key: Vec<usize> = frames
            .iter()
            .enumerate()
            .filter(|(_, f)| f.key_frame)
            .map(|(i, _)| i)
            .collect();
        assert_eq!(key, [0, 10, 20, 30], "threads {threads}");
        // Presentation order is preserved across the GOP-parallel encoders.
        for (i, f) in frames.iter().enumerate() {
            assert!(
                (f.pts_time - i as f64 / 30.0).abs() < 1e-4,
                "frame {i}: {}",
                f.pts_time
            );
        }
    }
}

#[test]
fn default_keyframe_interval_is_about_two_seconds() {
    let dir = TestDir::new("default_keyint");
    let path = dir.join("out.mp4");
    encode_pattern(
        &path,
        WriterConfig::default().with_fps(Rational::integer(10)),
        64,
        48,
        45,
    );
    assert_eq!(keyframes(&path), [0, 20, 40]);
}

#[test]
fn one_and_two_threads_give_all_frames_at_40_db() {
    let dir = TestDir::new("threads");
    // Default quality: the 40 dB promise is for smooth content at 640x360.
    let (w, h, n) = (640u32, 360u32, 30u32);
    let reference = pattern_frames(w, h, n);
    for threads in [1usize, 2] {
        let path = dir.join(&format!("t{threads}.mp4"));
        encode_pattern(
            &path,
            WriterConfig::default()
                .with_threads(threads)
                .with_keyframe_interval(10),
            w,
            h,
            n,
        );
        let p = probe(&path);
        assert_eq!(p.frames, n as u64, "threads {threads}");
        let decoded = decode_rgb(&path);
        let db = mean_psnr(&decoded, &reference, (w * h * 3) as usize);
        assert!(db >= 40.0, "threads {threads}: PSNR {db:.2} dB");
    }
}

#[test]
fn bitrate_mode_lands_within_a_factor_of_two_of_the_target() {
    let dir = TestDir::new("bitrate");
    let path = dir.join("out.mp4");
    let (w, h, n) = (320u32, 180u32, 90u32); // 3 s at 30 fps
    let kbps = 400u32;
    let s = encode_pattern(
        &path,
        WriterConfig::default().with_bitrate_kbps(kbps),
        w,
        h,
        n,
    );
    let target = kbps as f64 * 1000.0 / 8.0 * 3.0;
    let size = s.bytes as f64;
    assert!(
        size >= target / 2.0 && size <= target * 2.0,
        "{} bytes for a target of {target} bytes ({kbps} kbit/s for 3 s)",
        s.bytes
    );
    assert_eq!(probe(&path).frames, n as u64);
    // And the rate really is what limits the size: constant quality 100 is bigger.
    let q = encode_pattern(
        &dir.join("q100.mp4"),
        WriterConfig::default().with_quality(100),
        w,
        h,
        n,
    );
    assert!(
        q.bytes as f64 > size * 1.5,
        "quality 100: {} vs bitrate: {size}",
        q.bytes
    );
}

#[test]
fn quality_setting_orders_file_sizes() {
    let dir = TestDir::new("quality");
    let sizes: Vec<u64> = [20u8, 75, 95]
        .iter()
        .map(|&q| {
            encode_pattern(
                &dir.join(&format!("q{q}.mp4")),
                WriterConfig::default().with_quality(q),
                160,
                96,
                10,
            )
            .bytes
        })
        .collect();
    assert!(sizes[0] < sizes[1] && sizes[1] < sizes[2], "{sizes:?}");
}

#[test]
fn writer_reports_accepted_frames_and_drop_finishes_the_file() {
    let dir = TestDir::new("drop");
    let path = dir.join("out.mp4");
    {
        let mut writer = VideoWriter::create(&path, WriterConfig::default()).unwrap();
        let rgb = pattern(64, 48, 0);
        for i in 0..7 {
            assert_eq!(writer.frames(), i);
            writer
                .push_frame(Frame::new(&rgb, 64, 48, PixelLayout::Rgb8))
                .unwrap();
        }
        assert_eq!(writer.frames(), 7);
        // dropped without finish()
    }
    assert_eq!(probe(&path).frames, 7);
}

#[test]
fn reusing_the_caller_buffer_after_push_is_safe() {
    // push_frame converts before returning, so the buffer can be overwritten.
    let dir = TestDir::new("reuse");
    let path = dir.join("out.mp4");
    let (w, h, n) = (96u32, 64u32, 12u32);
    let mut buf = vec![0u8; (w * h * 3) as usize];
    let mut writer = VideoWriter::create(&path, WriterConfig::default().with_quality(90)).unwrap();
    for t in 0..n {
        buf.copy_from_slice(&pattern(w, h, t));
        writer
            .push_frame(Frame::new(&buf, w, h, PixelLayout::Rgb8))
            .unwrap();
        buf.fill(0);
    }
    writer.finish().unwrap();
    let db = pattern_psnr(&path, w, h, n);
    assert!(db >= 35.0, "PSNR {db:.2}");
}

/// Every frame a keyframe, two or three encoders in turn: each OpenH264
/// instance numbers its own IDRs (1, 1, 2, 2, ... came out), but two IDR
/// pictures in a row must differ in idr_pic_id (H.264 7.4.3). The writer
/// renumbers the repeats; the pictures are those of one encoder.
#[test]
fn idr_pictures_in_a_row_have_distinct_idr_pic_ids() {
    let dir = TestDir::new("idr_ids");
    let all_intra = |threads| {
        WriterConfig::default()
            .with_keyframe_interval(1)
            .with_threads(threads)
    };
    let one = dir.join("one.mp4");
    encode_pattern(&one, all_intra(1), 64, 48, 12);
    assert_eq!(idr_pic_ids(&one), (1..=12).collect::<Vec<_>>());
    for threads in [2, 3] {
        let path = dir.join(&format!("threads{threads}.mp4"));
        encode_pattern(&path, all_intra(threads), 64, 48, 12);
        let ids = idr_pic_ids(&path);
        assert_eq!(ids.len(), 12, "threads {threads}: {ids:?}");
        assert!(
            ids.windows(2).all(|w| w[0] != w[1]),
            "threads {threads}: {ids:?}"
        );
        assert_eq!(framemd5(&path), framemd5(&one), "threads {threads}");
    }
}
