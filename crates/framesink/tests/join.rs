//! Joining parts without re-encoding (`framesink::join`, `Joiner`), checked
//! with Debian's ffprobe and ffmpeg: the joined movie decodes to the pixels
//! of the parts (and of one encode of all the frames), its times run on
//! across the joins, and every bad part is refused naming it and the field,
//! leaving the parts before it as a finished movie.

mod common;

use std::fs::File;
use std::io::{BufReader, Cursor};
use std::panic::{catch_unwind, AssertUnwindSafe};
use std::path::{Path, PathBuf};

use common::*;
use framesink::color::{Converter, Picture, YuvPicture};
use framesink::encode::{factory, Packet};
use framesink::mux::Output;
use framesink::{
    join, Codec, ColorMatrix, Container, Error, Frame, Joiner, PixelLayout, Rational, Segment,
    StreamInfo, Summary, VideoWriter, WriterConfig,
};

const W: u32 = 160;
const H: u32 = 120;
/// Ticks a frame at 30 fps in the writer's 90 kHz timescale.
const TICKS: u64 = 3000;

/// H.264 at 30 fps with a keyframe every second.
fn h264() -> WriterConfig {
    WriterConfig::default().with_keyframe_interval(30)
}

/// Opens `parts` as join takes them: (name, reader), the name their path.
fn open_parts(parts: &[PathBuf]) -> Vec<(String, BufReader<File>)> {
    parts
        .iter()
        .map(|p| {
            let f = File::open(p).unwrap_or_else(|e| panic!("open {}: {e}", p.display()));
            (p.display().to_string(), BufReader::new(f))
        })
        .collect()
}

/// `framesink::join` of the files `parts` into the file `out`.
fn join_files(out: &Path, parts: &[PathBuf]) -> framesink::Result<Summary> {
    let file = File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(out)
        .unwrap();
    join(Output::Seekable(Box::new(file)), open_parts(parts))
}

/// `framesink::join` of in-memory parts into memory (a seekable sink).
fn join_bytes(parts: &[(&str, &[u8])]) -> (framesink::Result<Summary>, Vec<u8>) {
    let sink = SharedCursor::default();
    let parts = parts
        .iter()
        .map(|(name, bytes)| (name.to_string(), Cursor::new(bytes.to_vec())));
    let r = join(Output::Seekable(Box::new(sink.clone())), parts);
    (r, sink.bytes())
}

/// Writes pattern frames `frames` with `new_stream` (fragmented MP4) to `path`.
fn encode_fragmented(
    path: &Path,
    config: WriterConfig,
    w: u32,
    h: u32,
    frames: std::ops::Range<u32>,
) {
    let sink = SharedVec::default();
    let mut writer =
        VideoWriter::new_stream(sink.clone(), config.with_container(Container::Mp4)).unwrap();
    push_pattern(&mut writer, w, h, frames);
    writer.finish().unwrap();
    std::fs::write(path, sink.bytes()).unwrap();
}

/// Asserts the error is `InvalidPart` of part `index` named `name`, with a
/// message mentioning every one of `words`; returns the message.
#[track_caller]
fn assert_invalid_part<T: std::fmt::Debug>(
    r: framesink::Result<T>,
    index: usize,
    name: &str,
    words: &[&str],
) -> String {
    match r {
        Err(Error::InvalidPart {
            index: i,
            name: n,
            message,
        }) => {
            assert_eq!((i, n.as_str()), (index, name), "wrong part: {message}");
            for w in words {
                assert!(
                    message.contains(w),
                    "message {message:?} does not mention {w:?}"
                );
            }
            let shown = Error::InvalidPart {
                index: i,
                name: n,
                message: message.clone(),
            }
            .to_string();
            assert!(
                shown.contains(name) && shown.contains(&format!("part {index}")),
                "{shown}"
            );
            message
        }
        other => panic!("expected InvalidPart of part {index} ({name}), got {other:?}"),
    }
}

/// Asserts `path` has `n` frames at `i / fps` exactly (no gap, no
/// duplicate) and lasts `n / fps`.
#[track_caller]
fn assert_continuous(path: &Path, n: usize, fps: f64) {
    let p = probe(path);
    assert_eq!(p.frames, n as u64, "decoded frames");
    let times = frame_infos(path);
    assert_eq!(times.len(), n, "frames listed");
    for (i, f) in times.iter().enumerate() {
        let want = i as f64 / fps;
        assert!(
            (f.pts_time - want).abs() < 1e-5,
            "frame {i} at {} s, want {want} s (a gap or duplicate at a join)",
            f.pts_time
        );
    }
    assert_eq!(
        p.format_duration,
        format!("{:.6}", n as f64 / fps),
        "duration"
    );
    assert_eq!(
        p.stream_duration,
        format!("{:.6}", n as f64 / fps),
        "stream duration"
    );
}

/// Asserts `bytes` is a faststart MP4: the index before the data, no fragments.
#[track_caller]
fn assert_faststart(bytes: &[u8]) {
    let kinds = box_kinds(bytes);
    assert_eq!(&kinds[..2], ["ftyp", "moov"], "{kinds:?}");
    let mdat = kinds.iter().position(|k| k == "mdat").expect("an mdat");
    assert!(mdat > 1, "{kinds:?}");
    assert!(!kinds.iter().any(|k| k == "moof"), "fragmented: {kinds:?}");
}

/// The three H.264 parts (frames 0..30, 30..90, 90..150) and one encode of
/// all 150 frames, in `dir`; `fragmented[i]` writes part `i` with `new_stream`.
fn h264_parts(dir: &TestDir, fragmented: [bool; 3]) -> (Vec<PathBuf>, PathBuf) {
    let ranges = [0..30, 30..90, 90..150];
    let mut parts = Vec::new();
    for (i, r) in ranges.into_iter().enumerate() {
        let p = dir.join(&format!("part{i}.mp4"));
        if fragmented[i] {
            encode_fragmented(&p, h264(), W, H, r);
            assert!(
                box_kinds(&std::fs::read(&p).unwrap()).contains(&"moof".to_string()),
                "part {i} is not fragmented"
            );
        } else {
            encode_pattern_range(&p, h264(), W, H, r);
        }
        parts.push(p);
    }
    let whole = dir.join("whole.mp4");
    encode_pattern(&whole, h264(), W, H, 150);
    (parts, whole)
}

#[test]
fn h264_parts_join_to_the_pixels_of_one_encode() {
    let dir = TestDir::new("join_h264");
    let (parts, whole) = h264_parts(&dir, [false; 3]);
    let out = dir.join("joined.mp4");
    let s = join_files(&out, &parts).unwrap();
    assert_eq!(
        (s.frames, s.duration_ticks, s.timescale),
        (150, 150 * TICKS, 90_000)
    );
    assert_eq!(
        (s.codec, s.coded_width, s.coded_height),
        (Codec::H264, W, H)
    );
    let bytes = std::fs::read(&out).unwrap();
    assert_eq!(s.bytes, bytes.len() as u64, "summary size vs file size");
    assert_faststart(&bytes);

    let want = framemd5(&whole);
    assert_eq!(want.len(), 150);
    let got = framemd5(&out);
    assert_eq!(got.len(), 150, "joined frame count");
    if let Some(i) = (0..150).find(|&i| got[i] != want[i]) {
        panic!("frame {i} of the join differs from one encode of all the frames");
    }
    assert_continuous(&out, 150, 30.0);
    assert_eq!(keyframes(&out), [0, 30, 60, 90, 120]);
    let p = probe(&out);
    assert_eq!(
        (p.codec_name.as_str(), p.profile.as_str()),
        ("h264", "High")
    );
    assert_eq!((p.width, p.height, p.r_frame_rate.as_str()), (W, H, "30/1"));
    assert_eq!(
        [
            p.color_space,
            p.color_transfer,
            p.color_primaries,
            p.color_range
        ],
        ["bt709", "bt709", "bt709", "tv"]
    );
}

#[test]
fn fragmented_and_plain_parts_mix() {
    let dir = TestDir::new("join_mixed");
    let (parts, whole) = h264_parts(&dir, [false, true, true]);
    let want = framemd5(&whole);

    // Plain, fragmented, fragmented.
    let out = dir.join("mixed.mp4");
    assert_eq!(join_files(&out, &parts).unwrap().frames, 150);
    assert_faststart(&std::fs::read(&out).unwrap());
    assert_eq!(framemd5(&out), want);
    assert_continuous(&out, 150, 30.0);

    // Fragmented first, then plain.
    let reordered = [parts[1].clone(), parts[0].clone()];
    let out2 = dir.join("frag_first.mp4");
    assert_eq!(join_files(&out2, &reordered).unwrap().frames, 90);
    assert_faststart(&std::fs::read(&out2).unwrap());
    let mut expect = framemd5(&parts[1]);
    expect.extend(framemd5(&parts[0]));
    assert_eq!(framemd5(&out2), expect);
    assert_continuous(&out2, 90, 30.0);
}

#[test]
fn a_write_only_output_stays_fragmented() {
    let dir = TestDir::new("join_stream");
    let (parts, whole) = h264_parts(&dir, [true, false, true]);
    let sink = SharedVec::default();
    let s = join(Output::Stream(Box::new(sink.clone())), open_parts(&parts)).unwrap();
    assert_eq!((s.frames, s.duration_ticks), (150, 150 * TICKS));
    let bytes = sink.bytes();
    assert_eq!(s.bytes, bytes.len() as u64);
    let kinds = box_kinds(&bytes);
    assert_eq!(&kinds[..2], ["ftyp", "moov"], "{kinds:?}");
    assert!(
        kinds.iter().any(|k| k == "moof"),
        "not fragmented: {kinds:?}"
    );
    let out = dir.join("stream.mp4");
    std::fs::write(&out, &bytes).unwrap();
    assert_eq!(framemd5(&out), framemd5(&whole));
    assert_continuous(&out, 150, 30.0);
    assert_eq!(keyframes(&out), [0, 30, 60, 90, 120]);
}

#[test]
fn av1_parts_join_with_their_count_timing_and_pictures() {
    let dir = TestDir::new("join_av1");
    let (w, h) = (128, 96);
    let av1 = || {
        WriterConfig::default()
            .with_codec(Codec::Av1)
            .with_speed(10)
            .with_keyframe_interval(10)
    };
    let mut parts = Vec::new();
    for i in 0..3u32 {
        let p = dir.join(&format!("av1_{i}.mp4"));
        let frames = i * 20..(i + 1) * 20;
        if i == 1 {
            encode_fragmented(&p, av1(), w, h, frames);
        } else {
            encode_pattern_range(&p, av1(), w, h, frames);
        }
        parts.push(p);
    }
    let out = dir.join("joined.mp4");
    let s = join_files(&out, &parts).unwrap();
    assert_eq!(
        (s.frames, s.codec, s.duration_ticks),
        (60, Codec::Av1, 60 * TICKS)
    );
    assert_faststart(&std::fs::read(&out).unwrap());
    let p = probe(&out);
    assert_eq!((p.codec_name.as_str(), p.width, p.height), ("av1", w, h));
    assert_continuous(&out, 60, 30.0);
    let keys = keyframes(&out);
    for k in [0, 20, 40] {
        assert!(
            keys.contains(&k),
            "part start {k} is not a keyframe: {keys:?}"
        );
    }
    // The packets are copied: the join decodes to the parts' pictures.
    let want: Vec<String> = parts.iter().flat_map(|p| framemd5(p)).collect();
    assert_eq!(framemd5(&out), want);
    let db = pattern_psnr(&out, w, h, 60);
    assert!(db >= 35.0, "PSNR {db:.2} dB against the source");
}

/// GIF parts of `lengths` frames of the pattern at 30 fps, one after
/// another (the first loops 3 times, the others 7), and `whole.gif`: all
/// their frames in one write.
fn gif_parts(dir: &TestDir, lengths: &[u32]) -> (Vec<PathBuf>, PathBuf) {
    let (w, h) = (96, 64);
    let mut parts = Vec::new();
    let mut start = 0;
    for (i, n) in lengths.iter().enumerate() {
        let p = dir.join(&format!("part{i}.gif"));
        // The loop count is the first part's.
        let loops = if i == 0 { 3 } else { 7 };
        encode_pattern_range(
            &p,
            WriterConfig::default().with_loops(loops),
            w,
            h,
            start..start + n,
        );
        start += n;
        parts.push(p);
    }
    let whole = dir.join("whole.gif");
    encode_pattern_range(&whole, WriterConfig::default(), w, h, 0..start);
    (parts, whole)
}

fn frame_times(path: &Path) -> Vec<f64> {
    frame_infos(path).iter().map(|f| f.pts_time).collect()
}

#[test]
fn gif_parts_join_with_the_times_of_one_write() {
    // 10, 10 and 25 frames at 30 fps last 33.33, 33.33 and 83.33 cs: each
    // part's delays round its own times (33, 33 and 83 cs), but the joined
    // GIF continues each part where the one before really ended (framesink's
    // times extension), so its delays are those of one write of the 45
    // frames, 150 cs in all, not 149.
    let dir = TestDir::new("join_gif");
    let (parts, whole) = gif_parts(&dir, &[10, 10, 25]);
    let out = dir.join("joined.gif");
    let s = join_files(&out, &parts).unwrap();
    assert_eq!((s.frames, s.codec), (45, Codec::Gif));
    assert!((s.duration_secs() - 1.5).abs() < 1e-9, "summary {s:?}");

    let p = probe(&out);
    assert_eq!(
        (p.codec_name.as_str(), p.frames, p.width, p.height),
        ("gif", 45, 96, 64)
    );
    assert_eq!(p.format_duration, probe(&whole).format_duration);
    assert_eq!(frame_times(&out), frame_times(&whole));
    // The parts' own delays add up to 33 + 33 + 83 cs: the join is not
    // their sum, and the parts were rounded on their own.
    let sum: f64 = parts
        .iter()
        .map(|p| probe(p).format_duration.parse::<f64>().unwrap())
        .sum();
    assert!((sum - 1.49).abs() < 1e-9, "parts sum to {sum} s");
    // The pictures are the parts' own.
    let want: Vec<String> = parts.iter().flat_map(|p| framemd5(p)).collect();
    assert_eq!(framemd5(&out), want);
    // Loops: the first part's (3 plays: NETSCAPE2.0 repeat count 2).
    assert_eq!(gif_repeat(&std::fs::read(&out).unwrap()), Some(2));
    assert_eq!(gif_repeat(&std::fs::read(&parts[0]).unwrap()), Some(2));
    // The joined GIF holds the times too: joined again, after a part, it
    // keeps them.
    let again = dir.join("again.gif");
    join_files(&again, &[out.clone(), parts[0].clone()]).unwrap();
    let whole55 = dir.join("whole55.gif");
    encode_pattern_range(&whole55, WriterConfig::default(), 96, 64, 0..55);
    // Frames 45..55 are part 0's pictures again, at one write's times.
    assert_eq!(frame_times(&again), frame_times(&whole55));
}

/// `bytes` without framesink's times extension: a GIF as another program
/// would write it, with delays only.
fn without_times(bytes: &[u8]) -> Vec<u8> {
    let at = bytes
        .windows(11)
        .position(|w| w == b"FRAMESNK1.0")
        .expect("framesink's times extension");
    assert_eq!(
        bytes[at - 3..at],
        [0x21, 0xFF, 11],
        "an application extension"
    );
    let mut end = at + 11;
    while bytes[end] != 0 {
        end += 1 + bytes[end] as usize;
    }
    [&bytes[..at - 3], &bytes[end + 1..]].concat()
}

#[test]
fn gif_parts_without_times_join_with_the_sum_of_their_delays() {
    // GIFs from elsewhere (or edited after framesink wrote them: delays
    // that are no longer the rounded times) have only their delays: each
    // part starts where the delays before it end.
    let dir = TestDir::new("join_gif_delays");
    let (parts, whole) = gif_parts(&dir, &[10, 15, 20]);
    let foreign: Vec<PathBuf> = parts
        .iter()
        .enumerate()
        .map(|(i, p)| {
            let q = dir.join(&format!("foreign{i}.gif"));
            std::fs::write(&q, without_times(&std::fs::read(p).unwrap())).unwrap();
            q
        })
        .collect();
    // An edited part: its first delay (in the first Graphic Control
    // Extension) one centisecond longer, its times extension kept.
    let mut edited = std::fs::read(&parts[2]).unwrap();
    let gce = edited
        .windows(3)
        .position(|w| w == [0x21, 0xF9, 4])
        .unwrap();
    edited[gce + 4] += 1;
    let edited_path = dir.join("edited.gif");
    std::fs::write(&edited_path, &edited).unwrap();
    // Mixed: a foreign first part (its centiseconds are then the joined
    // GIF's ticks), framesink's second, the edited third.
    let inputs = [foreign[0].clone(), parts[1].clone(), edited_path.clone()];
    for (name, inputs) in [("foreign", &foreign[..]), ("mixed", &inputs[..])] {
        let out = dir.join(&format!("{name}.gif"));
        let s = join_files(&out, inputs).unwrap();
        assert_eq!(s.frames, 45, "{name}");
        let mut want = Vec::new();
        let mut offset = 0.0;
        for part in inputs {
            let times = frame_times(part);
            want.extend(times.iter().map(|t| t + offset));
            offset += probe(part).format_duration.parse::<f64>().unwrap();
        }
        let got = frame_times(&out);
        assert_eq!(got.len(), 45, "{name}");
        for (i, (a, b)) in got.iter().zip(&want).enumerate() {
            assert!(
                (a - b).abs() < 1e-6,
                "{name}: frame {i} at {a} s, want {b} s"
            );
        }
        assert!((s.duration_secs() - offset).abs() < 1e-6, "{name}: {s:?}");
        assert_ne!(got, frame_times(&whole), "{name}");
    }
}

#[test]
fn gif_parts_of_other_frame_rates_join() {
    // 30 fps (90000 ticks a second) and 7 fps (90006): the second part's
    // times are taken into the first's ticks.
    let dir = TestDir::new("join_gif_rates");
    let (a, b) = (dir.join("a.gif"), dir.join("b.gif"));
    encode_pattern_range(&a, WriterConfig::default(), 32, 32, 0..9);
    encode_pattern_range(
        &b,
        WriterConfig::default().with_fps(Rational::new(7, 1)),
        32,
        32,
        9..16,
    );
    let out = dir.join("joined.gif");
    let s = join_files(&out, &[a.clone(), b.clone()]).unwrap();
    assert_eq!(s.frames, 16);
    // 9 frames at 30 fps end at 0.3 s, then 7 at 7 fps: 1.3 s in all.
    assert!((s.duration_secs() - 1.3).abs() < 1e-4, "{s:?}");
    let got = frame_times(&out);
    let want: Vec<f64> = (0..9)
        .map(|i| (i as f64 / 30.0 * 100.0).round() / 100.0)
        .chain((0..7).map(|i| ((0.3 + i as f64 / 7.0) * 100.0).round() / 100.0))
        .collect();
    assert_eq!(got.len(), 16);
    for (i, (g, w)) in got.iter().zip(&want).enumerate() {
        assert!((g - w).abs() < 1e-6, "frame {i} at {g} s, want {w} s");
    }
}

/// The repeat count of a GIF's NETSCAPE2.0 loop extension.
fn gif_repeat(bytes: &[u8]) -> Option<u16> {
    let at = bytes.windows(11).position(|w| w == b"NETSCAPE2.0")?;
    let sub = &bytes[at + 11..at + 15];
    assert_eq!(&sub[..2], [3, 1], "loop sub-block");
    Some(u16::from_le_bytes([sub[2], sub[3]]))
}

/// Part 0 (frames 0..30) and part 1 (30..90) of the H.264 movie, then a
/// third part made with `config` at `w` x `h`: joining the three fails on
/// the third naming `words`, and the output holds the first two, finished.
fn check_mismatch(name: &str, config: WriterConfig, w: u32, h: u32, words: &[&str]) {
    let dir = TestDir::new(&format!("join_mismatch_{name}"));
    let p0 = dir.join("p0.mp4");
    let p1 = dir.join("p1.mp4");
    let bad = dir.join(&format!("bad_{name}.mp4"));
    encode_pattern_range(&p0, h264(), W, H, 0..30);
    encode_pattern_range(&p1, h264(), W, H, 30..90);
    encode_pattern_range(&bad, config, w, h, 90..120);
    let out = dir.join("out.mp4");
    let r = join_files(&out, &[p0.clone(), p1.clone(), bad.clone()]);
    let msg = assert_invalid_part(r, 2, &bad.display().to_string(), words);
    assert!(msg.contains("first part"), "{msg}");
    // The two parts before it, as a finished faststart movie.
    assert_faststart(&std::fs::read(&out).unwrap());
    assert_continuous(&out, 90, 30.0);
    let mut want = framemd5(&p0);
    want.extend(framemd5(&p1));
    assert_eq!(framemd5(&out), want);
}

#[test]
fn a_part_of_another_size_is_refused() {
    check_mismatch(
        "size",
        h264(),
        128,
        96,
        &["coded size", "160x120", "128x96"],
    );
}

#[test]
fn a_part_of_another_frame_rate_is_refused() {
    check_mismatch(
        "fps",
        h264().with_fps(Rational::integer(25)),
        W,
        H,
        &["frame rate", "25 here, 30 there"],
    );
}

#[test]
fn a_part_of_another_codec_is_refused() {
    check_mismatch(
        "codec",
        WriterConfig::default()
            .with_codec(Codec::Av1)
            .with_speed(10)
            .with_keyframe_interval(30),
        W,
        H,
        &["codec", "av1 here, h264 there"],
    );
}

#[test]
fn a_part_of_another_quality_is_refused() {
    check_mismatch(
        "quality",
        h264().with_quality(70),
        W,
        H,
        &["encoder settings", "q70", "q58"],
    );
}

#[test]
fn a_part_of_another_colour_matrix_is_refused() {
    let m = ColorMatrix::Bt601.name();
    check_mismatch(
        "matrix",
        h264().with_matrix(ColorMatrix::Bt601),
        W,
        H,
        &["colour matrix", m, ColorMatrix::Bt709.name()],
    );
}

#[test]
fn mp4_and_gif_parts_do_not_mix() {
    let dir = TestDir::new("join_mp4_gif");
    let mp4 = dir.join("p0.mp4");
    let gif = dir.join("p1.gif");
    encode_pattern_range(&mp4, h264(), W, H, 0..30);
    encode_pattern_range(&gif, WriterConfig::default(), W, H, 30..40);
    let out = dir.join("out.mp4");
    let r = join_files(&out, &[mp4.clone(), gif.clone()]);
    assert_invalid_part(
        r,
        1,
        &gif.display().to_string(),
        &["codec", "gif here, h264 there"],
    );
    assert_eq!(probe(&out).frames, 30);
    let out = dir.join("out.gif");
    let r = join_files(&out, &[gif.clone(), mp4.clone()]);
    assert_invalid_part(
        r,
        1,
        &mp4.display().to_string(),
        &["codec", "h264 here, gif there"],
    );
    assert_eq!(probe(&out).frames, 10);
}

/// A small valid H.264 part (frames 0..30) as bytes.
fn good_part(dir: &TestDir) -> Vec<u8> {
    let p = dir.join("good.mp4");
    encode_pattern_range(&p, h264(), W, H, 0..30);
    std::fs::read(&p).unwrap()
}

/// Writes `bytes` to `dir/name`, probes it: the frames ffprobe decodes.
fn probe_bytes(dir: &TestDir, name: &str, bytes: &[u8]) -> u64 {
    let p = dir.join(name);
    std::fs::write(&p, bytes).unwrap();
    probe(&p).frames
}

#[test]
fn parts_that_are_not_movies_are_refused_naming_them() {
    let dir = TestDir::new("join_not_movies");
    let good = good_part(&dir);
    // Deterministic noise (an LCG), not a box structure.
    let mut x = 0x1234_5678u32;
    let noise: Vec<u8> = (0..4096)
        .map(|_| {
            x = x.wrapping_mul(1_664_525).wrapping_add(1_013_904_223);
            (x >> 24) as u8
        })
        .collect();
    let text = b"frame 1: 0.5 0.25 0.125\nframe 2: 0.5 0.25 0.125\n".to_vec();
    let apng_path = dir.join("anim.png");
    encode_pattern(&apng_path, WriterConfig::default(), 32, 32, 3);
    let apng = std::fs::read(&apng_path).unwrap();
    let cases: [(&str, &[u8], &[&str]); 4] = [
        ("noise.bin", &noise, &["not an MP4 or a GIF", "ftyp"]),
        ("notes.txt", &text, &["not an MP4 or a GIF", "6672616d"]),
        ("empty.mp4", &[], &["empty", "0 bytes"]),
        ("anim.png", &apng, &["APNG"]),
    ];
    for (name, bytes, words) in cases {
        // As the second part: the first is kept, finished.
        let (r, out) = join_bytes(&[("good.mp4", &good), (name, bytes)]);
        assert_invalid_part(r, 1, name, words);
        assert_eq!(
            probe_bytes(&dir, "kept.mp4", &out),
            30,
            "{name}: part before"
        );
        // As the only part: refused, nothing written.
        let (r, out) = join_bytes(&[(name, bytes)]);
        assert_invalid_part(r, 0, name, words);
        assert!(out.is_empty(), "{name}: {} bytes written", out.len());
    }
}

#[test]
fn an_error_on_part_k_leaves_the_parts_before_as_a_movie() {
    let dir = TestDir::new("join_keep_before");
    let (parts, whole) = h264_parts(&dir, [false, true, false]);
    let text = dir.join("notes.txt");
    std::fs::write(&text, "not a movie\n").unwrap();
    let out = dir.join("out.mp4");
    let list = [
        parts[0].clone(),
        parts[1].clone(),
        text.clone(),
        parts[2].clone(),
    ];
    let r = join_files(&out, &list);
    assert_invalid_part(r, 2, &text.display().to_string(), &["not an MP4"]);
    assert_faststart(&std::fs::read(&out).unwrap());
    assert_continuous(&out, 90, 30.0);
    assert_eq!(framemd5(&out), framemd5(&whole)[..90]);

    // The same into a write-only sink: a finished fragmented movie.
    let sink = SharedVec::default();
    let r = join(Output::Stream(Box::new(sink.clone())), open_parts(&list));
    assert_invalid_part(r, 2, &text.display().to_string(), &["not an MP4"]);
    let stream = dir.join("stream.mp4");
    std::fs::write(&stream, sink.bytes()).unwrap();
    assert_continuous(&stream, 90, 30.0);
}

/// Joins `good` then `part`: must be a valid join or an `InvalidPart` of
/// part 1, never a panic; returns the frames joined (`None`: refused).
fn join_or_refuse(dir: &TestDir, good: &[u8], part: &[u8], what: &str) -> Option<u64> {
    let (r, out) = catch_unwind(AssertUnwindSafe(|| {
        join_bytes(&[("good.mp4", good), ("part.mp4", part)])
    }))
    .unwrap_or_else(|_| panic!("join panicked on {what}"));
    match r {
        Ok(s) => {
            assert!(s.frames > 30, "{what}: joined {} frames", s.frames);
            assert_eq!(
                probe_bytes(dir, "joined.mp4", &out),
                s.frames,
                "{what}: the join is not what it reports"
            );
            Some(s.frames)
        }
        Err(Error::InvalidPart { index: 1, name, .. }) if name == "part.mp4" => None,
        Err(e) => panic!("{what}: not an InvalidPart of part 1: {e:?}"),
    }
}

/// Lengths to cut a file of `len` bytes at: the first bytes, around every
/// top-level box boundary, and evenly through the rest.
fn cut_points(bytes: &[u8]) -> Vec<usize> {
    let len = bytes.len();
    let mut cuts: Vec<usize> = (0..=17).collect();
    let mut at = 0;
    for (_, size) in top_level_boxes(bytes) {
        at += size as usize;
        cuts.extend([at.saturating_sub(1), at, at + 1, at + 8, at + 9]);
    }
    cuts.extend((1..40).map(|i| len * i / 40));
    cuts.retain(|&c| c < len);
    cuts.sort_unstable();
    cuts.dedup();
    cuts
}

#[test]
fn truncated_parts_are_refused_or_joined_never_a_panic() {
    let dir = TestDir::new("join_truncated");
    let good = good_part(&dir);
    // A plain part: the samples end with the file, so every cut is refused.
    let plain_path = dir.join("plain.mp4");
    encode_pattern_range(&plain_path, h264(), W, H, 30..60);
    let plain = std::fs::read(&plain_path).unwrap();
    for cut in cut_points(&plain) {
        let what = format!("the plain part cut at {cut} of {} bytes", plain.len());
        assert_eq!(
            join_or_refuse(&dir, &good, &plain[..cut], &what),
            None,
            "{what}"
        );
    }
    let (r, _) = join_bytes(&[("good.mp4", &good), ("part.mp4", &plain[..plain.len() - 1])]);
    assert_invalid_part(r, 1, "part.mp4", &["truncated"]);
    // A fragmented part: a cut at a fragment's end is a shorter valid part.
    let frag_path = dir.join("frag.mp4");
    encode_fragmented(&frag_path, h264().with_keyframe_interval(10), W, H, 30..60);
    let frag = std::fs::read(&frag_path).unwrap();
    let mut joined = Vec::new();
    for cut in cut_points(&frag) {
        let what = format!("the fragmented part cut at {cut} of {} bytes", frag.len());
        if let Some(n) = join_or_refuse(&dir, &good, &frag[..cut], &what) {
            assert!(n < 60, "{what}: {n} frames from a cut part");
            joined.push(n);
        }
    }
    assert!(
        joined.contains(&40) && joined.contains(&50),
        "cuts at fragment ends did not join: {joined:?}"
    );
    assert_eq!(
        join_or_refuse(&dir, &good, &frag, "the whole fragmented part"),
        Some(60)
    );
}

/// Where box `kind` starts (its size field) in `bytes`, first occurrence.
fn find_box(bytes: &[u8], kind: &[u8; 4]) -> usize {
    bytes
        .windows(4)
        .position(|w| w == kind)
        .unwrap_or_else(|| panic!("no {} box", String::from_utf8_lossy(kind)))
        - 4
}

/// `bytes` with the big-endian u32 at `at` set to `value`.
fn patched(bytes: &[u8], at: usize, value: u32) -> Vec<u8> {
    let mut b = bytes.to_vec();
    b[at..at + 4].copy_from_slice(&value.to_be_bytes());
    b
}

#[test]
fn lying_box_sizes_are_refused() {
    let dir = TestDir::new("join_lying");
    let good = good_part(&dir);
    let part_path = dir.join("part.mp4");
    encode_pattern_range(&part_path, h264(), W, H, 30..60);
    let part = std::fs::read(&part_path).unwrap();
    let moov = find_box(&part, b"moov");
    let mdat = find_box(&part, b"mdat");
    for (at, value, words) in [
        (moov, 0xFFFF_FFF0, &["moov", "claims", "remain"][..]),
        (mdat, 0xFFFF_FFF0, &["mdat", "claims", "remain"][..]),
        (moov, 4, &["moov", "less than its own header"][..]),
        (moov, 7, &["moov", "less than its own header"][..]),
        (mdat, 1, &["mdat"][..]),
    ] {
        let bad = patched(&part, at, value);
        let (r, out) = join_bytes(&[("good.mp4", &good), ("part.mp4", &bad)]);
        assert_invalid_part(r, 1, "part.mp4", words);
        assert_eq!(
            probe_bytes(&dir, "kept.mp4", &out),
            30,
            "{words:?}: part before"
        );
    }
    // Boxes inside moov, and the counts they hold: any lie is refused or
    // still a valid join, never a panic or a huge allocation.
    for kind in [
        b"mvhd", b"trak", b"tkhd", b"mdia", b"mdhd", b"hdlr", b"minf", b"stbl", b"stsd", b"avc1",
        b"avcC", b"stts", b"stss", b"stsc", b"stsz", b"stco",
    ] {
        let at = find_box(&part, kind);
        let size = u32::from_be_bytes(part[at..at + 4].try_into().unwrap());
        let name = String::from_utf8_lossy(kind);
        for value in [0, 1, 7, 8, size - 1, size + 1, 0x7FFF_FFFF, u32::MAX] {
            let what = format!("'{name}' size {size} patched to {value}");
            join_or_refuse(&dir, &good, &patched(&part, at, value), &what);
        }
        // The first field after a full box's version and flags (an entry
        // count for the tables).
        if [b"stts", b"stss", b"stsc", b"stco", b"stsd"].contains(&kind) {
            for value in [0x7FFF_FFFF, u32::MAX] {
                let what = format!("'{name}' entry count patched to {value}");
                join_or_refuse(&dir, &good, &patched(&part, at + 12, value), &what);
            }
        }
        if kind == b"stsz" {
            for value in [0x7FFF_FFFF, u32::MAX] {
                let what = format!("'stsz' sample count patched to {value}");
                join_or_refuse(&dir, &good, &patched(&part, at + 16, value), &what);
            }
        }
    }
    // A fragmented part: its moof and trun.
    let frag_path = dir.join("frag.mp4");
    encode_fragmented(&frag_path, h264().with_keyframe_interval(10), W, H, 30..60);
    let frag = std::fs::read(&frag_path).unwrap();
    let moof = find_box(&frag, b"moof");
    let bad = patched(&frag, moof, 0xFFFF_FFF0);
    let (r, _) = join_bytes(&[("good.mp4", &good), ("part.mp4", &bad)]);
    assert_invalid_part(r, 1, "part.mp4", &["moof", "claims"]);
    for kind in [
        b"moof", b"traf", b"tfhd", b"tfdt", b"trun", b"mvex", b"trex",
    ] {
        let at = find_box(&frag, kind);
        let size = u32::from_be_bytes(frag[at..at + 4].try_into().unwrap());
        let name = String::from_utf8_lossy(kind);
        for value in [0, 7, 8, size - 1, size + 1, u32::MAX] {
            let what = format!("fragmented '{name}' size {size} patched to {value}");
            join_or_refuse(&dir, &good, &patched(&frag, at, value), &what);
        }
    }
    let trun = find_box(&frag, b"trun");
    for value in [0x7FFF_FFFF, u32::MAX] {
        let what = format!("'trun' sample count patched to {value}");
        join_or_refuse(&dir, &good, &patched(&frag, trun + 12, value), &what);
    }
}

// ------------------------------------------------------ Joiner in memory

/// `n` pattern frames from `first`, H.264-encoded in memory by framesink's
/// own encoder (a keyframe first): a segment of 128x96 at 30 fps.
fn h264_segment(config: &WriterConfig, first: u32, n: u32) -> Segment {
    let (w, h) = (128, 96);
    let make = factory(Codec::H264, PixelLayout::Rgb8, config, (w, h));
    let mut encoder = make().unwrap();
    let mut converter = Converter::new(config.matrix);
    let mut packets = Vec::new();
    let mut encoded = Vec::new();
    for (i, t) in (first..first + n).enumerate() {
        let rgb = pattern(w, h, t);
        let mut yuv = YuvPicture::default();
        converter
            .convert(&Frame::new(&rgb, w, h, PixelLayout::Rgb8), &mut yuv, (w, h))
            .unwrap();
        encoder
            .encode(&Picture::Yuv(yuv), i == 0, &mut encoded)
            .unwrap();
    }
    encoder.flush(&mut encoded).unwrap();
    for e in encoded {
        let k = packets.len() as u64;
        packets.push(Packet {
            data: e.data,
            keyframe: e.keyframe,
            index: k,
            pts: k * TICKS,
            image: None,
        });
    }
    assert_eq!(packets.len(), n as usize, "one packet a frame");
    assert!(packets[0].keyframe);
    let mut info = StreamInfo::new(Codec::H264, w, h, 90_000, TICKS as u32);
    info.encoder = config.encoder_name(Codec::H264);
    info.config = encoder.codec_config().cloned();
    assert!(info.config.is_some(), "no SPS/PPS after a keyframe");
    Segment {
        info,
        packets,
        duration: n as u64 * TICKS,
    }
}

#[test]
fn joiner_appends_segments_from_memory_and_refuses_a_mismatch_before_writing() {
    let dir = TestDir::new("joiner_memory");
    let config = h264();
    let sink = SharedCursor::default();
    let mut joiner = Joiner::new(Output::Seekable(Box::new(sink.clone())));
    assert!(joiner.info().is_none());
    joiner
        .append(h264_segment(&config, 0, 30), "segment 0")
        .unwrap();
    joiner
        .append(h264_segment(&config, 30, 30), "segment 1")
        .unwrap();
    assert_eq!(
        (joiner.parts(), joiner.frames(), joiner.offset()),
        (2, 60, 60 * TICKS)
    );
    assert_eq!(joiner.info().map(|i| (i.width, i.height)), Some((128, 96)));

    // Another size: refused at begin, naming it; nothing of it is written.
    let mut other = h264_segment(&config, 60, 1).info;
    other.width = 160;
    let r = joiner.begin(&other, "segment 2");
    assert_invalid_part(
        r,
        2,
        "segment 2",
        &["coded size", "160x96 here, 128x96 there"],
    );
    // Other encoder settings: refused too.
    let mut other = h264_segment(&config, 60, 1).info;
    other.encoder = h264().with_quality(90).encoder_name(Codec::H264);
    let r = joiner.begin(&other, "segment 2b");
    assert_invalid_part(r, 2, "segment 2b", &["encoder settings", "q90", "q58"]);
    assert_eq!(
        (joiner.parts(), joiner.frames(), joiner.offset()),
        (2, 60, 60 * TICKS)
    );

    // The joiner goes on: a third good segment, then the movie.
    joiner
        .append(h264_segment(&config, 60, 30), "segment 2")
        .unwrap();
    let s = joiner.finish().unwrap();
    assert_eq!((s.frames, s.duration_ticks), (90, 90 * TICKS));
    let bytes = sink.bytes();
    assert_faststart(&bytes);
    let out = dir.join("joined.mp4");
    std::fs::write(&out, &bytes).unwrap();
    assert_continuous(&out, 90, 30.0);
    assert_eq!(keyframes(&out), [0, 30, 60]);
    // The same pictures as the writer makes of those frames.
    let whole = dir.join("whole.mp4");
    encode_pattern(&whole, h264(), 128, 96, 90);
    assert_eq!(framemd5(&out), framemd5(&whole));
}

#[test]
fn joiner_refuses_segments_that_break_its_rules() {
    let config = h264();
    let seg = h264_segment(&config, 0, 3);
    let fresh = || Joiner::new(Output::Seekable(Box::new(SharedCursor::default())));

    // A segment must start with a keyframe.
    let mut j = fresh();
    j.begin(&seg.info, "seg").unwrap();
    let r = j.packet(seg.packets[1].clone());
    assert_invalid_part(r, 0, "seg", &["keyframe"]);

    // Times must increase.
    let mut j = fresh();
    j.begin(&seg.info, "seg").unwrap();
    j.packet(seg.packets[0].clone()).unwrap();
    let mut p = seg.packets[1].clone();
    p.pts = 0;
    assert_invalid_part(j.packet(p), 0, "seg", &["not after the frame before it"]);

    // It must end after its last frame, and hold one.
    let mut j = fresh();
    j.begin(&seg.info, "seg").unwrap();
    j.packet(seg.packets[0].clone()).unwrap();
    j.packet(seg.packets[1].clone()).unwrap();
    assert_invalid_part(j.end(TICKS), 0, "seg", &["not after its last frame"]);
    let mut j = fresh();
    j.begin(&seg.info, "empty").unwrap();
    assert_invalid_part(j.end(TICKS), 0, "empty", &["no frames"]);

    // A movie needs a part; a segment cannot begin inside another.
    assert!(matches!(fresh().finish(), Err(Error::Mux(_))));
    let mut j = fresh();
    j.begin(&seg.info, "a").unwrap();
    assert!(matches!(j.begin(&seg.info, "b"), Err(Error::Mux(_))));
}

/// A part whose reads fail past byte `fail_at` (a disk or network error,
/// or a file cut while it is joined), though its length says more.
struct FailingReader {
    inner: Cursor<Vec<u8>>,
    fail_at: u64,
}

impl std::io::Read for FailingReader {
    fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
        let pos = self.inner.position();
        if pos + buf.len() as u64 > self.fail_at {
            return Err(std::io::Error::other("simulated read error"));
        }
        self.inner.read(buf)
    }
}

impl std::io::Seek for FailingReader {
    fn seek(&mut self, p: std::io::SeekFrom) -> std::io::Result<u64> {
        self.inner.seek(p)
    }
}

#[test]
fn a_part_that_fails_while_copied_keeps_what_was_copied_as_a_movie() {
    let dir = TestDir::new("join_read_error");
    let good = good_part(&dir);
    let part_path = dir.join("part.mp4");
    encode_pattern_range(&part_path, h264(), W, H, 30..60);
    let part = std::fs::read(&part_path).unwrap();
    // The index reads fine; the frames' data fails half way through.
    let mdat = find_box(&part, b"mdat") as u64;
    let fail_at = mdat + (part.len() as u64 - mdat) / 2;
    let sink = SharedCursor::default();
    let parts: Vec<(String, Box<dyn ReadSeek>)> = vec![
        ("good.mp4".into(), Box::new(Cursor::new(good.clone()))),
        (
            "part.mp4".into(),
            Box::new(FailingReader {
                inner: Cursor::new(part),
                fail_at,
            }),
        ),
    ];
    let r = join(Output::Seekable(Box::new(sink.clone())), parts);
    assert_invalid_part(r, 1, "part.mp4", &["simulated read error"]);
    let bytes = sink.bytes();
    assert_faststart(&bytes);
    let out = dir.join("kept.mp4");
    std::fs::write(&out, bytes).unwrap();
    // The good part whole, then the frames of the failing part copied before
    // its read error (kept: they were accepted), with continuous times.
    let kept = framemd5(&out);
    let first = framemd5(&dir.join("good.mp4"));
    assert!(kept.len() > 30 && kept.len() < 60, "{} frames", kept.len());
    assert_eq!(&kept[..30], &first[..]);
    assert_eq!(&kept[30..], &framemd5(&part_path)[..kept.len() - 30]);
    assert_continuous(&out, kept.len(), 30.0);
}

trait ReadSeek: std::io::Read + std::io::Seek {}
impl<T: std::io::Read + std::io::Seek> ReadSeek for T {}

/// An output whose every write fails.
struct Broken;

impl std::io::Write for Broken {
    fn write(&mut self, _: &[u8]) -> std::io::Result<usize> {
        Err(std::io::Error::other("the disk is gone"))
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_part_whose_first_packet_cannot_be_written_is_not_counted() {
    let dir = TestDir::new("join_broken_output");
    let part = dir.join("p.mp4");
    encode_pattern(&part, h264().with_keyframe_interval(10), W, H, 20);
    let mut joiner = Joiner::new(Output::Stream(Box::new(Broken)));
    let e = joiner
        .append_part(BufReader::new(File::open(&part).unwrap()), "p.mp4")
        .unwrap_err();
    assert!(e.to_string().contains("the disk is gone"), "{e}");
    assert_eq!((joiner.parts(), joiner.frames()), (0, 0));
}

#[test]
fn a_chunk_table_out_of_order_is_refused() {
    // stsc runs must start at increasing chunks (ISO 14496-12); the reader
    // walks them once beside the chunks, so a table out of order is
    // refused, named, rather than read in some other order.
    let dir = TestDir::new("join_stsc");
    let good = good_part(&dir);
    let part_path = dir.join("part.mp4");
    // 25 frames in GOPs of 10: chunks of 10, 10 and 5 frames, two runs.
    encode_pattern_range(&part_path, h264(), W, H, 30..55);
    let part = std::fs::read(&part_path).unwrap();
    let stsc = find_box(&part, b"stsc");
    let be = |at: usize| u32::from_be_bytes(part[at..at + 4].try_into().unwrap());
    let runs = be(stsc + 12) as usize;
    assert!(
        runs >= 2,
        "the part has {runs} stsc run(s); the test needs two"
    );
    // The second run starts where the first does.
    let bad = patched(&part, stsc + 16 + 12, be(stsc + 16));
    let (r, out) = join_bytes(&[("good.mp4", &good), ("part.mp4", &bad)]);
    assert_invalid_part(r, 1, "part.mp4", &["stsc", "out of order", "chunk 1"]);
    assert_eq!(probe_bytes(&dir, "kept.mp4", &out), 30, "the part before");
}

/// Parts that end on an IDR picture, joined: the next part's first IDR had
/// the same idr_pic_id (each part numbers its own from 1); two IDR pictures
/// in a row must differ in it (H.264 7.4.3), so the join renumbers it.
#[test]
fn joined_idr_pictures_in_a_row_have_distinct_idr_pic_ids() {
    let dir = TestDir::new("join_idr_ids");
    let config = || {
        WriterConfig::default()
            .with_keyframe_interval(1)
            .with_threads(1)
    };
    let mut parts = Vec::new();
    for (i, range) in [0..1, 1..2, 2..5].into_iter().enumerate() {
        let p = dir.join(&format!("part{i}.mp4"));
        encode_pattern_range(&p, config(), W, H, range);
        parts.push(p);
    }
    let out = dir.join("joined.mp4");
    join_files(&out, &parts).unwrap();
    let before: Vec<u32> = parts.iter().flat_map(|p| idr_pic_ids(p)).collect();
    assert_eq!(before, [1, 1, 1, 2, 3]);
    assert_eq!(idr_pic_ids(&out), [1, 2, 1, 2, 3]);
    let want: Vec<String> = parts.iter().flat_map(|p| framemd5(p)).collect();
    assert_eq!(framemd5(&out), want);
}
