//! Every way to get an error out of the library: the right variant, a
//! message that names the value given and what is allowed, nothing half
//! written, and a writer that stays usable after a rejected frame.

mod common;

use common::*;
use framesink::{
    Codec, Container, Error, Frame, PixelLayout, Rational, Timestamp, VideoWriter, WriterConfig,
};

/// Asserts that `msg` contains every one of `parts`.
#[track_caller]
fn assert_mentions(msg: &str, parts: &[&str]) {
    for p in parts {
        assert!(msg.contains(p), "message {msg:?} does not mention {p:?}");
    }
}

/// The error `VideoWriter::create` gives for `config`, checking that no file
/// was left behind.
#[track_caller]
fn create_error(dir: &TestDir, name: &str, config: WriterConfig) -> Error {
    let path = dir.join(name);
    let e = match VideoWriter::create(&path, config) {
        Ok(_) => panic!("{name}: accepted"),
        Err(e) => e,
    };
    assert!(
        !path.exists(),
        "{name}: a file was created for a refused config"
    );
    e
}

/// A config error: `InvalidConfig`, from `validate`, `create`, `new` and
/// `new_stream` alike, with a message mentioning `parts`.
#[track_caller]
fn check_config_error(dir: &TestDir, config: WriterConfig, parts: &[&str]) {
    let v = config.validate().expect_err("validate accepted it");
    assert!(matches!(v, Error::InvalidConfig(_)), "{v:?}");
    assert_mentions(&v.to_string(), parts);
    let c = create_error(dir, "out.mp4", config.clone());
    assert!(matches!(c, Error::InvalidConfig(_)), "{c:?}");
    assert_mentions(&c.to_string(), parts);
    let n = VideoWriter::new(SharedCursor::default(), config.clone())
        .err()
        .expect("new accepted it");
    assert_mentions(&n.to_string(), parts);
    let s = VideoWriter::new_stream(SharedVec::default(), config)
        .err()
        .expect("new_stream accepted it");
    assert_mentions(&s.to_string(), parts);
}

#[test]
fn fps_zero_is_refused() {
    let dir = TestDir::new("fps_zero");
    check_config_error(
        &dir,
        WriterConfig::default().with_fps(Rational::integer(0)),
        &["fps 0", "1/100", "1000"],
    );
}

#[test]
fn fps_above_1000_is_refused() {
    let dir = TestDir::new("fps_1001");
    check_config_error(
        &dir,
        WriterConfig::default().with_fps(Rational::integer(1001)),
        &["fps 1001", "1/100", "1000"],
    );
}

#[test]
fn fps_below_one_per_100_s_is_refused() {
    let dir = TestDir::new("fps_slow");
    check_config_error(
        &dir,
        WriterConfig::default().with_fps(Rational::new(1, 101)),
        &["1/101", "1/100", "1000"],
    );
}

#[test]
fn fps_with_zero_denominator_is_refused() {
    let dir = TestDir::new("fps_den0");
    check_config_error(
        &dir,
        WriterConfig::default().with_fps(Rational { num: 1, den: 0 }),
        &["fps 1/0", "1/100", "1000"],
    );
}

#[test]
fn fps_strings_that_are_not_rates_are_refused() {
    for (s, parts) in [
        ("fast", &["\"fast\"", "30000/1001"][..]),
        ("1/0", &["\"1/0\"", "zero denominator"]),
        ("-3", &["\"-3\""]),
        ("nan", &["\"nan\""]),
    ] {
        let e = s.parse::<Rational>().expect_err(s);
        assert!(matches!(e, Error::InvalidConfig(_)), "{s}: {e:?}");
        assert_mentions(&e.to_string(), parts);
    }
    assert_eq!(
        "29.97".parse::<Rational>().unwrap(),
        Rational::new(30000, 1001)
    );
}

#[test]
fn quality_above_100_is_refused() {
    let dir = TestDir::new("quality");
    check_config_error(
        &dir,
        WriterConfig::default().with_quality(101),
        &["quality 101", "0", "100"],
    );
}

#[test]
fn keyframe_interval_zero_is_refused() {
    let dir = TestDir::new("keyint");
    check_config_error(
        &dir,
        WriterConfig::default().with_keyframe_interval(0),
        &["keyframe interval 0", "1"],
    );
}

#[test]
fn bitrate_zero_and_huge_are_refused() {
    let dir = TestDir::new("bitrate");
    check_config_error(
        &dir,
        WriterConfig::default().with_bitrate_kbps(0),
        &["bitrate 0", "1 to 2000000"],
    );
    check_config_error(
        &dir,
        WriterConfig::default().with_bitrate_kbps(2_000_001),
        &["bitrate 2000001", "1 to 2000000"],
    );
}

#[test]
fn too_many_threads_are_refused() {
    let dir = TestDir::new("threads");
    check_config_error(
        &dir,
        WriterConfig::default().with_threads(300),
        &["threads 300", "256"],
    );
}

#[test]
fn unknown_extension_is_refused_without_creating_the_file() {
    let dir = TestDir::new("avi");
    let e = create_error(&dir, "out.avi", WriterConfig::default());
    assert!(matches!(e, Error::Unsupported(_)), "{e:?}");
    assert_mentions(&e.to_string(), &["out.avi", "\"avi\"", ".mp4", ".mov"]);
    // With the container set explicitly, the extension does not matter.
    let path = dir.join("explicit.avi");
    let mut w = VideoWriter::create(
        &path,
        WriterConfig::default().with_container(Container::Mp4),
    )
    .unwrap();
    let rgb = pattern(32, 32, 0);
    w.push_frame(Frame::new(&rgb, 32, 32, PixelLayout::Rgb8))
        .unwrap();
    w.finish().unwrap();
    assert_eq!(probe(&path).frames, 1);
}

#[test]
fn missing_extension_is_refused() {
    let dir = TestDir::new("noext");
    let e = create_error(&dir, "out", WriterConfig::default());
    assert!(matches!(e, Error::Unsupported(_)), "{e:?}");
    assert_mentions(&e.to_string(), &["out", "no extension", ".mp4"]);
}

#[test]
fn unknown_codec_and_container_names_are_refused() {
    let e = "x".parse::<Codec>().unwrap_err();
    assert!(matches!(e, Error::Unsupported(_)), "{e:?}");
    assert_mentions(&e.to_string(), &["codec \"x\"", "h264"]);
    let e = "vp9".parse::<Codec>().unwrap_err();
    assert_mentions(&e.to_string(), &["\"vp9\"", "h264"]);
    for ok in ["h264", "H264", "avc", "h.264"] {
        assert_eq!(ok.parse::<Codec>().unwrap(), Codec::H264, "{ok}");
    }
    let e = "mkv".parse::<Container>().unwrap_err();
    assert_mentions(&e.to_string(), &["\"mkv\"", "mp4"]);
}

#[test]
fn unknown_pixel_format_names_are_refused() {
    let e = "rgb99".parse::<PixelLayout>().unwrap_err();
    assert_mentions(
        &e.to_string(),
        &["\"rgb99\"", "rgb24", "gray16le", "yuv420p"],
    );
    for layout in PixelLayout::ALL {
        assert_eq!(layout.pix_fmt().parse::<PixelLayout>().unwrap(), layout);
    }
}

#[test]
fn create_in_a_missing_directory_names_the_path() {
    let dir = TestDir::new("nodir");
    let path = dir.join("no/such/dir/out.mp4");
    let e = VideoWriter::create(&path, WriterConfig::default())
        .err()
        .expect("created a file in a missing directory");
    assert!(matches!(e, Error::Io(_)), "{e:?}");
    assert_mentions(&e.to_string(), &[&path.display().to_string()]);
    // The system's error stays inside framesink's context: its errno and kind.
    assert_eq!(e.raw_os_error(), Some(2), "{e:?}");
    assert_eq!(e.path(), Some(path.as_path()));
    let Error::Io(io) = &e else { unreachable!() };
    assert_eq!(io.kind(), std::io::ErrorKind::NotFound);
}

#[test]
fn a_full_disk_keeps_its_errno_and_the_path() {
    // /dev/full fails every write with ENOSPC, as a full disk does.
    let path = std::path::Path::new("/dev/full");
    if !path.exists() {
        return;
    }
    let config = WriterConfig::default().with_container(Container::Mp4);
    let mut w = VideoWriter::create(path, config).unwrap();
    let pixels = pattern(32, 32, 0);
    let e = (0..200)
        .find_map(|_| {
            w.push_frame(Frame::new(&pixels, 32, 32, PixelLayout::Rgb8))
                .err()
        })
        .unwrap_or_else(|| w.finish().unwrap_err());
    assert_eq!(e.raw_os_error(), Some(28), "{e:?}");
    assert_eq!(e.path(), Some(path));
    assert_mentions(&e.to_string(), &["/dev/full", "No space left on device"]);
}

#[test]
fn a_frame_of_another_size_is_refused_and_the_writer_goes_on() {
    let dir = TestDir::new("size_change");
    let path = dir.join("out.mp4");
    let mut w = VideoWriter::create(&path, WriterConfig::default()).unwrap();
    let big = pattern(64, 48, 0);
    let small = pattern(32, 32, 0);
    w.push_frame(Frame::new(&big, 64, 48, PixelLayout::Rgb8))
        .unwrap();
    w.push_frame(Frame::new(&big, 64, 48, PixelLayout::Rgb8))
        .unwrap();
    let e = w
        .push_frame(Frame::new(&small, 32, 32, PixelLayout::Rgb8))
        .unwrap_err();
    match &e {
        Error::InvalidFrame { index, message } => {
            assert_eq!(*index, 2);
            assert_mentions(message, &["32x32", "64x48"]);
        }
        other => panic!("{other:?}"),
    }
    assert_mentions(&e.to_string(), &["frame 2", "32x32", "64x48"]);
    assert_eq!(w.frames(), 2);
    // Still usable: more frames of the first size go in.
    for _ in 0..3 {
        w.push_frame(Frame::new(&big, 64, 48, PixelLayout::Rgb8))
            .unwrap();
    }
    let s = w.finish().unwrap();
    assert_eq!(s.frames, 5);
    let p = probe(&path);
    assert_eq!((p.frames, p.width, p.height), (5, 64, 48));
}

#[test]
fn a_short_buffer_is_refused_naming_both_sizes() {
    let mut w = VideoWriter::new(SharedCursor::default(), WriterConfig::default()).unwrap();
    let data = vec![0u8; 100];
    let e = w
        .push_frame(Frame::new(&data, 64, 48, PixelLayout::Rgb8))
        .unwrap_err();
    assert!(matches!(e, Error::InvalidFrame { index: 0, .. }), "{e:?}");
    // 64 * 48 * 3 = 9216
    assert_mentions(&e.to_string(), &["100 bytes", "64x48", "rgb24", "9216"]);
    // A planar frame needs its chroma too: 64*48 * 3/2 = 4608.
    let data = vec![0u8; 64 * 48];
    let e = w
        .push_frame(Frame::new(&data, 64, 48, PixelLayout::Yuv420p))
        .unwrap_err();
    assert_mentions(&e.to_string(), &["3072 bytes", "yuv420p", "4608"]);
    assert_eq!(w.frames(), 0);
}

#[test]
fn a_too_small_stride_is_refused() {
    let mut w = VideoWriter::new(SharedCursor::default(), WriterConfig::default()).unwrap();
    let data = vec![0u8; 64 * 48 * 3];
    let e = w
        .push_frame(Frame::new(&data, 64, 48, PixelLayout::Rgb8).with_stride(100))
        .unwrap_err();
    assert!(matches!(e, Error::InvalidFrame { index: 0, .. }), "{e:?}");
    assert_mentions(&e.to_string(), &["stride 100", "192"]);
}

#[test]
fn an_odd_stride_for_sixteen_bit_samples_is_refused() {
    let mut w = VideoWriter::new(SharedCursor::default(), WriterConfig::default()).unwrap();
    let data = vec![0u8; 65 * 48 * 2];
    let e = w
        .push_frame(Frame::new(&data, 32, 48, PixelLayout::Gray16).with_stride(65))
        .unwrap_err();
    assert!(matches!(e, Error::InvalidFrame { .. }), "{e:?}");
    assert_mentions(&e.to_string(), &["stride 65", "odd", "gray16le"]);
}

#[test]
fn timestamps_must_increase_and_the_writer_goes_on() {
    let dir = TestDir::new("timestamps");
    let path = dir.join("out.mp4");
    let mut w = VideoWriter::create(&path, WriterConfig::default()).unwrap();
    let rgb = pattern(32, 32, 0);
    let at =
        |ms| Frame::new(&rgb, 32, 32, PixelLayout::Rgb8).with_timestamp(Timestamp::from_millis(ms));
    w.push_frame(at(1000)).unwrap();
    w.push_frame(at(1100)).unwrap();
    // Equal to the previous one.
    let e = w.push_frame(at(1100)).unwrap_err();
    assert!(matches!(e, Error::InvalidFrame { index: 2, .. }), "{e:?}");
    assert_mentions(&e.to_string(), &["1100/1000 s", "1.100000", "increase"]);
    // Before the previous one (but after the first).
    let e = w.push_frame(at(1050)).unwrap_err();
    assert_mentions(&e.to_string(), &["1050/1000 s", "increase"]);
    // Before the first frame.
    let e = w.push_frame(at(500)).unwrap_err();
    assert_mentions(&e.to_string(), &["500/1000 s", "first frame"]);
    // A zero denominator.
    let bad = Frame::new(&rgb, 32, 32, PixelLayout::Rgb8).with_timestamp(Timestamp::new(1, 0));
    let e = w.push_frame(bad).unwrap_err();
    assert_mentions(&e.to_string(), &["timestamp 1/0 s", "not a valid time"]);
    // Still usable.
    w.push_frame(at(1200)).unwrap();
    let s = w.finish().unwrap();
    assert_eq!(s.frames, 3);
    let pts: Vec<f64> = frame_infos(&path).iter().map(|f| f.pts_time).collect();
    assert_eq!(pts.len(), 3, "{pts:?}");
    for (got, want) in pts.iter().zip([0.0, 0.1, 0.2]) {
        assert!((got - want).abs() < 1e-4, "{pts:?}");
    }
}

#[test]
fn a_size_too_large_for_h264_is_refused_naming_it() {
    let mut w = VideoWriter::new(SharedCursor::default(), WriterConfig::default()).unwrap();
    // Gray8 so the buffer is 64 MiB (and zeroed lazily).
    let data = vec![0u8; 8192 * 8192];
    let e = w
        .push_frame(Frame::new(&data, 8192, 8192, PixelLayout::Gray8))
        .unwrap_err();
    assert!(matches!(e, Error::InvalidFrame { index: 0, .. }), "{e:?}");
    assert_mentions(&e.to_string(), &["8192x8192", "4096"]);
    // One side too long is enough.
    let data = vec![0u8; 8192 * 16];
    let e = w
        .push_frame(Frame::new(&data, 8192, 16, PixelLayout::Gray8))
        .unwrap_err();
    assert_mentions(&e.to_string(), &["8192x16", "4096"]);
    // The writer is still usable after a refused first frame.
    let ok = vec![0u8; 64 * 64];
    w.push_frame(Frame::new(&ok, 64, 64, PixelLayout::Gray8))
        .unwrap();
    assert_eq!(w.finish().unwrap().frames, 1);
}

#[test]
fn a_1x1_or_empty_frame_is_refused() {
    let mut w = VideoWriter::new(SharedCursor::default(), WriterConfig::default()).unwrap();
    let data = vec![0u8; 3];
    let e = w
        .push_frame(Frame::new(&data, 1, 1, PixelLayout::Rgb8))
        .unwrap_err();
    assert!(matches!(e, Error::InvalidFrame { index: 0, .. }), "{e:?}");
    assert_mentions(&e.to_string(), &["1x1", "at least 2"]);
    let e = w
        .push_frame(Frame::new(&data, 0, 4, PixelLayout::Rgb8))
        .unwrap_err();
    assert_mentions(&e.to_string(), &["0x4", "at least 2"]);
    let e = w
        .push_frame(Frame::new(&data, 1, 3, PixelLayout::Gray8))
        .unwrap_err();
    assert_mentions(&e.to_string(), &["1x3", "at least 2"]);
    assert_eq!(w.frames(), 0);
}

#[test]
fn finish_without_frames_is_an_error() {
    let e = VideoWriter::new(SharedCursor::default(), WriterConfig::default())
        .unwrap()
        .finish()
        .unwrap_err();
    assert_mentions(&e.to_string(), &["no frames"]);

    let sink = SharedVec::default();
    let e = VideoWriter::new_stream(sink.clone(), WriterConfig::default())
        .unwrap()
        .finish()
        .unwrap_err();
    assert_mentions(&e.to_string(), &["no frames"]);
    assert!(sink.bytes().is_empty(), "bytes written for no frames");

    let dir = TestDir::new("no_frames");
    let path = dir.join("out.mp4");
    let e = VideoWriter::create(&path, WriterConfig::default())
        .unwrap()
        .finish()
        .unwrap_err();
    assert_mentions(&e.to_string(), &["no frames"]);
    // Only rejected frames: still no frames.
    let path2 = dir.join("rejected.mp4");
    let mut w = VideoWriter::create(&path2, WriterConfig::default()).unwrap();
    assert!(w
        .push_frame(Frame::new(&[0u8; 3], 1, 1, PixelLayout::Rgb8))
        .is_err());
    assert_mentions(&w.finish().unwrap_err().to_string(), &["no frames"]);
}

#[test]
fn no_empty_file_is_left_when_no_frame_came() {
    let dir = TestDir::new("no_empty_file");
    let finished = dir.join("finished.mp4");
    let w = VideoWriter::create(&finished, WriterConfig::default()).unwrap();
    assert!(w.finish().is_err());
    assert!(
        !finished.exists(),
        "finish() with no frames left an empty {}",
        finished.display()
    );
    let dropped = dir.join("dropped.mp4");
    drop(VideoWriter::create(&dropped, WriterConfig::default()).unwrap());
    assert!(
        !dropped.exists(),
        "dropping a writer with no frames left an empty {}",
        dropped.display()
    );
}

#[test]
fn a_frame_rejected_after_five_good_ones_leaves_those_five() {
    let dir = TestDir::new("five");
    let (w, h) = (64u32, 48u32);
    let good = pattern(w, h, 0);
    let short = vec![0u8; 10];
    for ending in ["finish", "drop"] {
        let path = dir.join(&format!("{ending}.mp4"));
        let mut writer = VideoWriter::create(&path, WriterConfig::default()).unwrap();
        for _ in 0..5 {
            writer
                .push_frame(Frame::new(&good, w, h, PixelLayout::Rgb8))
                .unwrap();
        }
        let e = writer
            .push_frame(Frame::new(&short, w, h, PixelLayout::Rgb8))
            .unwrap_err();
        assert!(matches!(e, Error::InvalidFrame { index: 5, .. }), "{e:?}");
        assert_mentions(&e.to_string(), &["frame 5", "10 bytes"]);
        assert_eq!(writer.frames(), 5);
        if ending == "finish" {
            let s = writer.finish().unwrap();
            assert_eq!(s.frames, 5);
        } else {
            drop(writer);
        }
        let p = probe(&path);
        assert_eq!(p.frames, 5, "{ending}");
        assert_eq!(p.format_duration, format!("{:.6}", 5.0 / 30.0), "{ending}");
    }
}
