//! Rows of docs/bad-inputs.md that crates/framesink/tests/errors.rs does not
//! already check: targets that are directories or read-only kernel files,
//! sizes at the H.264 and AV1 limits, AV1 speed, GIF/APNG loop counts, frame
//! rates written with exponents, and timestamps too large to count.
//!
//! Rows marked WRONG in the table are asserted as they behave today, so that
//! a fix shows up here as a failing test to update with the table.

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

/// The error of pushing one `w` x `h` gray frame into a fresh in-memory writer.
fn gray_frame_error(config: WriterConfig, w: u32, h: u32) -> Error {
    let mut writer = VideoWriter::new(SharedCursor::default(), config).unwrap();
    let data = vec![0u8; w as usize * h as usize];
    let e = writer
        .push_frame(Frame::new(&data, w, h, PixelLayout::Gray8))
        .expect_err("accepted");
    assert_eq!(writer.frames(), 0);
    e
}

#[test]
fn a_target_that_is_a_directory_is_refused_naming_it() {
    let dir = TestDir::new("bad_dir_target");
    // Without an extension too: the error is that it is a directory, not
    // that its name tells no format.
    for name in ["movie.mp4", "movies", "movie.avi"] {
        let target = dir.join(name);
        std::fs::create_dir(&target).unwrap();
        let e = VideoWriter::create(&target, WriterConfig::default())
            .err()
            .expect("created a movie over a directory");
        let Error::Io(io) = &e else {
            panic!("{name}: {e:?}")
        };
        let (inner, _) = framesink::error::innermost_io(io);
        assert_eq!(inner.kind(), std::io::ErrorKind::IsADirectory, "{name}");
        assert_mentions(
            &e.to_string(),
            &[
                &format!("cannot create {}", target.display()),
                "Is a directory",
            ],
        );
        // The directory is still there, and still empty.
        assert!(target.is_dir());
        assert_eq!(std::fs::read_dir(&target).unwrap().count(), 0);
    }
}

/// Root ignores permission bits (a chmod 0o444 file is written anyway), so
/// the read-only target is a sysfs file: the kernel refuses even root.
#[test]
fn a_read_only_sysfs_file_is_refused_naming_it() {
    let target = std::path::Path::new("/sys/kernel/address_bits");
    let before = std::fs::read(target).expect("read /sys/kernel/address_bits");
    let e = VideoWriter::create(
        target,
        WriterConfig::default().with_container(Container::Mp4),
    )
    .err()
    .expect("opened a read-only sysfs file");
    assert!(matches!(e, Error::Io(_)), "{e:?}");
    assert_mentions(
        &e.to_string(),
        &["/sys/kernel/address_bits", "Permission denied"],
    );
    assert_eq!(std::fs::read(target).unwrap(), before, "changed");
}

/// /proc/version opens for root and its first write fails with EIO: the
/// error names the target and says that nothing was written; it comes on
/// a push (the muxer thread stopped) or at finish(), never silently.
#[test]
fn a_proc_file_target_fails_on_write_naming_it() {
    let target = std::path::Path::new("/proc/version");
    let before = std::fs::read(target).expect("read /proc/version");
    let mut w = VideoWriter::create(
        target,
        WriterConfig::default().with_container(Container::Mp4),
    )
    .expect("create /proc/version (root may open it)");
    let rgb = pattern(32, 32, 0);
    let mut e = None;
    for _ in 0..200 {
        if let Err(err) = w.push_frame(Frame::new(&rgb, 32, 32, PixelLayout::Rgb8)) {
            e = Some(err);
            break;
        }
    }
    let e = e
        .or_else(|| w.finish().err())
        .expect("a movie was written to /proc/version");
    assert!(matches!(e, Error::Io(_)), "{e:?}");
    assert_mentions(
        &e.to_string(),
        &["/proc/version", "at its first byte", "Input/output error"],
    );
    assert_eq!(std::fs::read(target).unwrap(), before, "changed");
}

/// The limit is checked on the padded (even) size; the message names the
/// width given and the padding.
#[test]
fn a_width_of_4097_is_refused_naming_4097_and_its_padding() {
    let e = gray_frame_error(WriterConfig::default(), 4097, 16);
    assert!(matches!(e, Error::InvalidFrame { index: 0, .. }), "{e:?}");
    let msg = e.to_string();
    assert_mentions(
        &msg,
        &[
            "size 4097x16 (padded to 4098x16)",
            "at most 4096 pixels a side",
        ],
    );
}

#[test]
fn a_height_of_4100_is_refused_naming_it() {
    let e = gray_frame_error(WriterConfig::default(), 16, 4100);
    assert!(matches!(e, Error::InvalidFrame { index: 0, .. }), "{e:?}");
    assert_mentions(&e.to_string(), &["16x4100", "4096 pixels a side"]);
}

#[test]
fn too_many_macroblocks_for_h264_are_refused_naming_the_size() {
    // 4096 a side, but 65536 macroblocks.
    let e = gray_frame_error(WriterConfig::default(), 4096, 4096);
    assert!(matches!(e, Error::InvalidFrame { index: 0, .. }), "{e:?}");
    assert_mentions(&e.to_string(), &["4096x4096", "36864", "macroblocks"]);
}

#[test]
fn a_size_over_16384_for_av1_is_refused_naming_it() {
    let config = WriterConfig::default()
        .with_codec(Codec::Av1)
        .with_speed(10);
    let e = gray_frame_error(config, 16400, 16);
    assert!(matches!(e, Error::InvalidFrame { index: 0, .. }), "{e:?}");
    assert_mentions(&e.to_string(), &["16400x16", "AV1", "16384"]);
}

#[test]
fn av1_speed_above_10_is_refused() {
    let config = WriterConfig::default()
        .with_codec(Codec::Av1)
        .with_speed(11);
    let e = config.validate().expect_err("speed 11 accepted");
    assert!(matches!(e, Error::InvalidConfig(_)), "{e:?}");
    assert_mentions(&e.to_string(), &["speed 11", "0", "10"]);
    let dir = TestDir::new("bad_speed");
    let path = dir.join("out.mp4");
    assert!(VideoWriter::create(&path, config).is_err());
    assert!(!path.exists(), "a file was left for a refused config");
}

#[test]
fn a_huge_integer_fps_is_refused() {
    let e = WriterConfig::default()
        .with_fps(Rational::integer(1_000_000_000))
        .validate()
        .unwrap_err();
    assert!(matches!(e, Error::InvalidConfig(_)), "{e:?}");
    assert_mentions(&e.to_string(), &["fps 1000000000", "1/100", "1000"]);
    let e = "1000000000"
        .parse::<Rational>()
        .map(|r| WriterConfig::default().with_fps(r).validate().unwrap_err());
    assert_mentions(&e.unwrap().to_string(), &["fps 1000000000"]);
}

/// "1e10" and "1e-9" are positive and finite but out of range: the
/// message gives the range; "inf" is not finite.
#[test]
fn fps_strings_with_exponents_name_the_range() {
    for (s, want) in [
        (
            "1e10",
            "is out of range; allowed: 1/100 to 1000 frames per second",
        ),
        (
            "1e-9",
            "is out of range; allowed: 1/100 to 1000 frames per second",
        ),
        ("inf", "must be a positive finite number"),
    ] {
        let e = s.parse::<Rational>().expect_err(s);
        assert!(matches!(e, Error::InvalidConfig(_)), "{s}: {e:?}");
        assert_mentions(&e.to_string(), &[&format!("{s:?}"), want]);
    }
}

#[test]
fn a_timestamp_too_large_to_count_is_refused_and_the_writer_goes_on() {
    let dir = TestDir::new("bad_ts_huge");
    let path = dir.join("out.mp4");
    let mut w = VideoWriter::create(&path, WriterConfig::default()).unwrap();
    let rgb = pattern(32, 32, 0);
    let at = |t: Timestamp| Frame::new(&rgb, 32, 32, PixelLayout::Rgb8).with_timestamp(t);
    w.push_frame(at(Timestamp::from_millis(0))).unwrap();
    let e = w.push_frame(at(Timestamp::new(u64::MAX, 1))).unwrap_err();
    assert!(matches!(e, Error::InvalidFrame { index: 1, .. }), "{e:?}");
    assert_mentions(
        &e.to_string(),
        &["18446744073709551615 s", "not a valid time", "too large"],
    );
    w.push_frame(at(Timestamp::from_millis(100))).unwrap();
    assert_eq!(w.finish().unwrap().frames, 2);
    assert_eq!(probe(&path).frames, 2);
}

/// The loop count a GIF's NETSCAPE2.0 block holds (`None`: no block, plays once).
fn gif_loop_block(bytes: &[u8]) -> Option<u16> {
    let at = bytes.windows(11).position(|w| w == b"NETSCAPE2.0")?;
    Some(u16::from_le_bytes([bytes[at + 13], bytes[at + 14]]))
}

/// loops 0 is refused, as in Python: it meant "once" for a GIF and
/// "forever" for an APNG. loops 1 plays once (no loop block), 2 loops once.
#[test]
fn loops_zero_is_refused_and_loops_one_plays_once() {
    let dir = TestDir::new("bad_loops0");
    for name in ["loops0.gif", "loops0.png"] {
        let path = dir.join(name);
        let e = VideoWriter::create(&path, WriterConfig::default().with_loops(0))
            .err()
            .expect("loops 0 is refused");
        assert!(matches!(e, Error::InvalidConfig(_)), "{e:?}");
        let m = e.to_string();
        assert!(m.contains("loops 0") && m.contains("1 to 65535"), "{m}");
        assert!(!path.exists(), "{name} was created");
    }
    let gif1 = dir.join("loops1.gif");
    let gif2 = dir.join("loops2.gif");
    encode_pattern(&gif1, WriterConfig::default().with_loops(1), 32, 32, 3);
    encode_pattern(&gif2, WriterConfig::default().with_loops(2), 32, 32, 3);
    assert_eq!(gif_loop_block(&std::fs::read(&gif1).unwrap()), None);
    assert_eq!(gif_loop_block(&std::fs::read(&gif2).unwrap()), Some(1));
    assert_eq!(probe(&gif1).frames, 3);
}
