//! The `framesink` binary end to end: raw and Y4M input from stdin or a file,
//! every pixel format, stdout output, error messages, the demo, and a file
//! that survives `kill -9`.

#[path = "../../framesink/tests/common/mod.rs"]
mod common;

use std::ffi::OsStr;
use std::io::Write;
use std::path::Path;
use std::process::{Command, ExitStatus, Stdio};
use std::time::Duration;

use common::*;
use framesink::PixelLayout;

/// What a run of the binary gave.
struct Run {
    status: ExitStatus,
    stdout: Vec<u8>,
    stderr: String,
}

impl Run {
    #[track_caller]
    fn ok(self) -> Self {
        assert!(
            self.status.success(),
            "framesink failed ({}):\n{}",
            self.status,
            self.stderr
        );
        self
    }

    /// Asserts a non-zero exit and a message mentioning every one of `parts`.
    #[track_caller]
    fn fails_mentioning(self, parts: &[&str]) -> Self {
        assert!(
            !self.status.success(),
            "framesink succeeded but should not have; stderr:\n{}",
            self.stderr
        );
        assert_ne!(self.status.code(), Some(0));
        for p in parts {
            assert!(
                self.stderr.contains(p),
                "stderr does not mention {p:?}:\n{}",
                self.stderr
            );
        }
        self
    }
}

/// Runs `framesink ARGS`, feeding `stdin` (none: /dev/null).
fn run<S: AsRef<OsStr>>(args: &[S], stdin: Option<Vec<u8>>) -> Run {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_framesink"));
    cmd.args(args)
        .stdin(if stdin.is_some() {
            Stdio::piped()
        } else {
            Stdio::null()
        })
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn framesink");
    let feeder = stdin.map(|data| {
        let mut pipe = child.stdin.take().unwrap();
        // The binary may exit early (errors): a broken pipe is fine then.
        std::thread::spawn(move || {
            let _ = pipe.write_all(&data);
        })
    });
    let out = child.wait_with_output().expect("wait for framesink");
    if let Some(f) = feeder {
        f.join().unwrap();
    }
    Run {
        status: out.status,
        stdout: out.stdout,
        stderr: String::from_utf8_lossy(&out.stderr).into_owned(),
    }
}

/// `n` pattern frames of `w` x `h` rgb24, concatenated.
fn rgb_frames(w: u32, h: u32, n: u32) -> Vec<u8> {
    (0..n).flat_map(|t| pattern(w, h, t)).collect()
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

#[test]
fn raw_rgb24_on_stdin_gives_every_frame() {
    let dir = TestDir::new("cli_stdin");
    let out = dir.join("out.mp4");
    let (w, h, n) = (160, 96, 20);
    let r = run(
        &[
            "encode",
            &s(&out),
            "--size",
            "160x96",
            "--pix-fmt",
            "rgb24",
            "--fps",
            "30",
            "--quality",
            "90",
        ],
        Some(rgb_frames(w, h, n)),
    )
    .ok();
    assert!(
        r.stderr.contains("wrote 20 frames"),
        "no summary line:\n{}",
        r.stderr
    );
    assert!(r.stdout.is_empty(), "stdout used while writing a file");
    let p = probe(&out);
    assert_eq!(p.frames, n as u64);
    assert_eq!((p.width, p.height), (w, h));
    assert_eq!(p.r_frame_rate, "30/1");
    assert_eq!(p.format_duration, "0.666667");
    assert_eq!(
        (p.codec_name.as_str(), p.profile.as_str()),
        ("h264", "High")
    );
    assert_eq!(p.pix_fmt, "yuv420p");
    assert_eq!(
        [
            p.color_space,
            p.color_transfer,
            p.color_primaries,
            p.color_range
        ],
        ["bt709", "bt709", "bt709", "tv"]
    );
    let db = pattern_psnr(&out, w, h, n);
    assert!(db >= 35.0, "PSNR {db:.2} dB");
}

#[test]
fn codec_av1_writes_av1_at_an_odd_height() {
    let dir = TestDir::new("cli_av1");
    let out = dir.join("out.mp4");
    let (w, h, n) = (160, 91, 10);
    let r = run(
        &[
            "encode",
            &s(&out),
            "--size",
            "160x91",
            "--pix-fmt",
            "rgb24",
            "--fps",
            "25",
            "--codec",
            "av1",
            "--speed",
            "10",
        ],
        Some(rgb_frames(w, h, n)),
    )
    .ok();
    assert!(r.stderr.contains("av1"), "summary line:\n{}", r.stderr);
    let p = probe(&out);
    assert_eq!((p.codec_name.as_str(), p.frames), ("av1", n as u64));
    assert_eq!((p.width, p.height), (w, h));
    assert_eq!(p.format_duration, "0.400000");
    let db = pattern_psnr(&out, w, h, n);
    assert!(db >= 35.0, "PSNR {db:.2} dB");
}

#[test]
fn quiet_prints_nothing_on_success() {
    let dir = TestDir::new("cli_quiet");
    let out = dir.join("out.mp4");
    let r = run(
        &[
            "encode",
            &s(&out),
            "--size",
            "32x32",
            "--pix-fmt",
            "gray",
            "--fps",
            "10",
            "-q",
        ],
        Some(vec![128u8; 32 * 32 * 3]),
    )
    .ok();
    assert!(r.stderr.is_empty(), "{}", r.stderr);
    assert_eq!(probe(&out).frames, 3);
}

#[test]
fn ntsc_rate_as_decimal_or_fraction_is_30000_over_1001() {
    let dir = TestDir::new("cli_ntsc");
    for fps in ["29.97", "30000/1001"] {
        let out = dir.join(&format!("{}.mp4", fps.replace('/', "_")));
        run(
            &[
                "encode",
                &s(&out),
                "--size",
                "64x48",
                "--pix-fmt",
                "rgb24",
                "--fps",
                fps,
                "-q",
            ],
            Some(rgb_frames(64, 48, 10)),
        )
        .ok();
        let p = probe(&out);
        assert_eq!(p.r_frame_rate, "30000/1001", "--fps {fps}");
        assert_eq!(p.frames, 10);
        // 10 * 1001 / 30000 s
        assert_eq!(p.stream_duration, "0.333667", "--fps {fps}");
    }
}

#[test]
fn input_file_and_dash_for_stdin() {
    let dir = TestDir::new("cli_input");
    let raw = dir.join("frames.rgb");
    std::fs::write(&raw, rgb_frames(96, 64, 12)).unwrap();
    let out = dir.join("file.mp4");
    run(
        &[
            "encode",
            &s(&out),
            "--input",
            &s(&raw),
            "--size",
            "96x64",
            "--pix-fmt",
            "rgb24",
            "--fps",
            "24",
            "-q",
        ],
        None,
    )
    .ok();
    let p = probe(&out);
    assert_eq!((p.frames, p.r_frame_rate.as_str()), (12, "24/1"));

    let out2 = dir.join("dash.mp4");
    run(
        &[
            "encode",
            &s(&out2),
            "-i",
            "-",
            "--size",
            "96x64",
            "--pix-fmt",
            "rgb24",
            "--fps",
            "24",
            "-q",
        ],
        Some(rgb_frames(96, 64, 7)),
    )
    .ok();
    assert_eq!(probe(&out2).frames, 7);
}

#[test]
fn every_pix_fmt_gives_the_right_colours() {
    let dir = TestDir::new("cli_pix_fmts");
    let (w, h) = (64u32, 32u32);
    let rgb = red_blue(w, h);
    for layout in PixelLayout::ALL {
        let name = layout.pix_fmt();
        let frame = layout_bytes(&rgb, w, h, layout, None);
        let out = dir.join(&format!("{name}.mp4"));
        // layout_bytes makes BT.709 YUV; raw yuv420p is read as BT.601
        // unless told (ffmpeg's reading of untagged YUV).
        let out_s = s(&out);
        let mut args = vec![
            "encode",
            &out_s,
            "--size",
            "64x32",
            "--pix-fmt",
            name,
            "--fps",
            "30",
            "-q",
        ];
        if layout == PixelLayout::Yuv420p {
            args.extend(["--matrix", "bt709"]);
        }
        run(&args, Some([frame.clone(), frame].concat())).ok();
        let p = probe(&out);
        assert_eq!((p.frames, p.width, p.height), (2, w, h), "{name}");
        let decoded = decode_rgb(&out);
        let want = expected_rgb(&rgb, layout);
        let len = (w * h * 3) as usize;
        for f in 0..2 {
            assert_close_away_from_middle(
                &decoded[f * len..(f + 1) * len],
                &want,
                w,
                h,
                8,
                10,
                &format!("--pix-fmt {name} frame {f}"),
            );
        }
    }
}

/// Makes `frames` frames of ffmpeg's testsrc2 at 320x240, 25 fps, as Y4M.
fn make_y4m(path: &Path, pix_fmt: &str, frames: u32) {
    run_tool(
        Command::new("ffmpeg")
            .args([
                "-nostdin",
                "-v",
                "error",
                "-y",
                "-f",
                "lavfi",
                "-i",
                "testsrc2=size=320x240:rate=25",
                "-frames:v",
                &frames.to_string(),
                "-pix_fmt",
                pix_fmt,
            ])
            .arg(path),
    );
}

/// 4:4:4 planes (Y, Cb, Cr of w x h each, per frame) to 4:2:0 by 2x2
/// averaging: what framesink promises to do with C444 Y4M input.
fn box_420(yuv444: &[u8], w: usize, h: usize) -> Vec<u8> {
    let luma = w * h;
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    let mut out = Vec::new();
    for frame in yuv444.chunks_exact(3 * luma) {
        out.extend_from_slice(&frame[..luma]);
        for plane in 1..3 {
            let p = &frame[plane * luma..(plane + 1) * luma];
            for y in 0..ch {
                for x in 0..cw {
                    let (x1, y1) = ((2 * x + 1).min(w - 1), (2 * y + 1).min(h - 1));
                    let sum = p[2 * y * w + 2 * x] as u32
                        + p[2 * y * w + x1] as u32
                        + p[y1 * w + 2 * x] as u32
                        + p[y1 * w + x1] as u32;
                    out.push(((sum + 2) / 4) as u8);
                }
            }
        }
    }
    out
}

#[test]
fn y4m_420_file_keeps_its_size_rate_and_samples() {
    let dir = TestDir::new("cli_y4m420");
    let y4m = dir.join("x.y4m");
    make_y4m(&y4m, "yuv420p", 20);
    let out = dir.join("out.mp4");
    run(&["encode", &s(&out), "--input", &s(&y4m), "-q"], None).ok();
    let p = probe(&out);
    assert_eq!((p.frames, p.width, p.height), (20, 320, 240));
    assert_eq!(p.r_frame_rate, "25/1");
    assert_eq!(p.format_duration, "0.800000");
    // The 4:2:0 samples go through unchanged (up to coding loss).
    let want = decode_raw(&y4m, "yuv420p");
    let got = decode_raw(&out, "yuv420p");
    let db = mean_psnr(&got, &want, 320 * 240 * 3 / 2);
    assert!(db >= 38.0, "YUV PSNR {db:.2} dB against the Y4M's samples");
}

#[test]
fn y4m_444_file_is_averaged_to_420() {
    let dir = TestDir::new("cli_y4m444");
    let y4m = dir.join("x444.y4m");
    make_y4m(&y4m, "yuv444p", 20);
    let out = dir.join("out.mp4");
    run(&["encode", &s(&out), "--input", &s(&y4m), "-q"], None).ok();
    let p = probe(&out);
    assert_eq!((p.frames, p.width, p.height), (20, 320, 240));
    assert_eq!(p.r_frame_rate, "25/1");
    let want = box_420(&decode_raw(&y4m, "yuv444p"), 320, 240);
    let got = decode_raw(&out, "yuv420p");
    let db = mean_psnr(&got, &want, 320 * 240 * 3 / 2);
    assert!(
        db >= 38.0,
        "YUV PSNR {db:.2} dB against 2x2-averaged chroma"
    );
}

#[test]
fn y4m_on_stdin_is_detected_by_its_signature() {
    let dir = TestDir::new("cli_y4m_stdin");
    let y4m = dir.join("x.y4m");
    make_y4m(&y4m, "yuv420p", 8);
    let out = dir.join("out.mp4");
    run(
        &["encode", &s(&out), "-q"],
        Some(std::fs::read(&y4m).unwrap()),
    )
    .ok();
    let p = probe(&out);
    assert_eq!((p.frames, p.width, p.height), (8, 320, 240));
    assert_eq!(p.r_frame_rate, "25/1");
    // --fps overrides the Y4M's rate.
    let out2 = dir.join("fps.mp4");
    run(
        &["encode", &s(&out2), "--fps", "50", "-q"],
        Some(std::fs::read(&y4m).unwrap()),
    )
    .ok();
    assert_eq!(probe(&out2).r_frame_rate, "50/1");
    // --size with Y4M is refused.
    run(
        &["encode", &s(&dir.join("bad.mp4")), "--size", "320x240"],
        Some(std::fs::read(&y4m).unwrap()),
    )
    .fails_mentioning(&["Y4M", "--size"]);
}

#[test]
fn a_y4m_field_given_twice_is_refused_naming_both_values() {
    let dir = TestDir::new("cli_y4m_twice");
    let frame = vec![128u8; 64 * 32 * 3 / 2];
    for (header, words) in [
        ("W64 H32 F30:1 W32", ["width (W) twice: W64 and W32"]),
        (
            "W64 H32 F30:1 F25:1",
            ["frame rate (F) twice: F30:1 and F25:1"],
        ),
    ] {
        let out = dir.join("twice.mp4");
        let mut input = format!("YUV4MPEG2 {header}\nFRAME\n").into_bytes();
        input.extend_from_slice(&frame);
        run(&["encode", &s(&out), "-q"], Some(input)).fails_mentioning(&words);
        assert!(!out.exists(), "{} was left behind", out.display());
    }
}

#[test]
fn y4m_looks_like_ffmpegs_decode_of_it() {
    let dir = TestDir::new("cli_y4m_rgb");
    let mut results = Vec::new();
    for pix_fmt in ["yuv420p", "yuv444p"] {
        let y4m = dir.join(&format!("{pix_fmt}.y4m"));
        make_y4m(&y4m, pix_fmt, 20);
        let out = dir.join(&format!("{pix_fmt}.mp4"));
        run(&["encode", &s(&out), "--input", &s(&y4m), "-q"], None).ok();
        // The reference: how ffmpeg shows the Y4M. For 4:4:4 input, as
        // ffmpeg shows it once reduced to 4:2:0 (the MP4 is 4:2:0; the
        // 4:4:4 original itself is out of reach, ~31 dB on testsrc2).
        let want = if pix_fmt == "yuv444p" {
            run_tool(
                Command::new("ffmpeg")
                    .args(["-nostdin", "-v", "error", "-i"])
                    .arg(&y4m)
                    .args([
                        "-vf",
                        "format=yuv420p",
                        "-f",
                        "rawvideo",
                        "-pix_fmt",
                        "rgb24",
                        "-",
                    ]),
            )
        } else {
            decode_rgb(&y4m)
        };
        let got = decode_rgb(&out);
        results.push((pix_fmt, mean_psnr(&got, &want, 320 * 240 * 3)));
    }
    assert!(
        results.iter().all(|(_, db)| *db >= 38.0),
        "RGB PSNR against ffmpeg's decode of the Y4M (want >= 38 dB): {results:.2?}"
    );
}

#[test]
fn dash_writes_fragmented_mp4_to_stdout() {
    let dir = TestDir::new("cli_stdout");
    let r = run(
        &[
            "encode",
            "-",
            "--size",
            "96x64",
            "--pix-fmt",
            "rgb24",
            "--fps",
            "30",
            "--keyint",
            "10",
            "-q",
        ],
        Some(rgb_frames(96, 64, 25)),
    )
    .ok();
    let kinds = box_kinds(&r.stdout);
    assert_eq!(&kinds[..2], ["ftyp", "moov"], "{kinds:?}");
    assert_eq!(
        kinds.iter().filter(|k| *k == "moof").count(),
        3,
        "a fragment per 10-frame GOP: {kinds:?}"
    );
    for pair in kinds[2..].chunks(2) {
        assert_eq!(pair, ["moof", "mdat"], "{kinds:?}");
    }
    let out = dir.join("piped.mp4");
    std::fs::write(&out, &r.stdout).unwrap();
    let p = probe(&out);
    assert_eq!(p.frames, 25);
    assert_eq!(p.r_frame_rate, "30/1");
}

#[test]
fn a_trailing_partial_frame_fails_but_keeps_the_complete_frames() {
    let dir = TestDir::new("cli_partial");
    let out = dir.join("out.mp4");
    let mut input = rgb_frames(64, 48, 5);
    input.extend_from_slice(&[7u8; 1000]);
    run(
        &[
            "encode",
            &s(&out),
            "--size",
            "64x48",
            "--pix-fmt",
            "rgb24",
            "--fps",
            "30",
            "-q",
        ],
        Some(input),
    )
    // 64 * 48 * 3 = 9216 bytes a frame
    .fails_mentioning(&["1000", "9216", "frame 5", "5 complete frames"]);
    let p = probe(&out);
    assert_eq!(p.frames, 5);
    assert_eq!(p.format_duration, format!("{:.6}", 5.0 / 30.0));
}

/// Args for a valid raw encode to `out`, with `extra` appended.
fn raw_args(out: &Path, extra: &[&str]) -> Vec<String> {
    let mut a: Vec<String> = [
        "encode",
        &s(out),
        "--size",
        "32x32",
        "--pix-fmt",
        "rgb24",
        "--fps",
        "30",
    ]
    .iter()
    .map(|x| x.to_string())
    .collect();
    a.extend(extra.iter().map(|x| x.to_string()));
    a
}

/// Runs a raw encode of two 32x32 frames with `args`, expecting failure
/// naming `parts`, and no output file left behind.
#[track_caller]
fn check_cli_error(dir: &TestDir, args: &[String], out: &Path, parts: &[&str]) {
    let frames = vec![100u8; 32 * 32 * 3 * 2];
    run(args, Some(frames)).fails_mentioning(parts);
    assert!(!out.exists(), "{} left behind by {args:?}", out.display());
    let _ = dir;
}

#[test]
fn missing_raw_options_are_named() {
    let dir = TestDir::new("cli_missing");
    let out = dir.join("out.mp4");
    let all = raw_args(&out, &[]);
    // Drop one option (and its value) at a time.
    for (opt, parts) in [
        ("--size", &["--size", "WxH"][..]),
        ("--pix-fmt", &["--pix-fmt", "rgb24"]),
        ("--fps", &["--fps", "30000/1001"]),
    ] {
        let i = all.iter().position(|a| a == opt).unwrap();
        let mut args = all.clone();
        args.drain(i..i + 2);
        check_cli_error(&dir, &args, &out, parts);
    }
}

#[test]
fn bad_option_values_are_named() {
    let dir = TestDir::new("cli_bad_values");
    let out = dir.join("out.mp4");
    let cases: &[(&str, &str, &[&str])] = &[
        ("--size", "12by3", &["12by3", "WIDTHxHEIGHT"]),
        ("--size", "0x10", &["0x10", "at least 2"]),
        ("--pix-fmt", "rgb99", &["rgb99", "rgb24", "yuv420p"]),
        ("--fps", "fast", &["fast", "30000/1001"]),
        ("--fps", "0", &["fps 0", "1/100", "1000"]),
        ("--fps", "5000", &["fps 5000", "1000"]),
        ("--fps", "1/0", &["1/0", "zero denominator"]),
        ("--quality", "101", &["quality 101", "100"]),
        ("--quality", "300", &["300"]),
        ("--keyint", "0", &["keyframe interval 0"]),
        ("--bitrate", "0", &["bitrate 0"]),
        ("--codec", "vp9", &["vp9", "h264"]),
        ("--format", "mkv", &["mkv", "mp4"]),
        ("--threads", "999", &["threads 999", "256"]),
        ("--speed", "11", &["speed 11", "10"]),
    ];
    for (opt, value, parts) in cases {
        let mut args = raw_args(&out, &[]);
        match args.iter().position(|a| a == opt) {
            Some(i) => args[i + 1] = value.to_string(),
            None => args.extend([opt.to_string(), value.to_string()]),
        }
        check_cli_error(&dir, &args, &out, parts);
    }
}

#[test]
fn unwritable_outputs_are_named() {
    let dir = TestDir::new("cli_unwritable");
    let missing = dir.join("no/such/dir/out.mp4");
    check_cli_error(&dir, &raw_args(&missing, &[]), &missing, &[&s(&missing)]);
    // A parent that is a file (root can write anywhere, but not through a file).
    let file = dir.join("plain");
    std::fs::write(&file, b"x").unwrap();
    let under_file = file.join("out.mp4");
    check_cli_error(
        &dir,
        &raw_args(&under_file, &[]),
        &under_file,
        &[&s(&under_file)],
    );
    let avi = dir.join("out.avi");
    check_cli_error(&dir, &raw_args(&avi, &[]), &avi, &["out.avi", ".mp4"]);
    // A directory is refused as one, with or without an extension.
    for name in ["movie.mp4", "movies"] {
        let target = dir.join(name);
        std::fs::create_dir(&target).unwrap();
        run(&raw_args(&target, &[]), Some(vec![0; 32 * 32 * 3]))
            .fails_mentioning(&[&format!("cannot create {}", s(&target)), "Is a directory"]);
        assert!(target.is_dir() && std::fs::read_dir(&target).unwrap().next().is_none());
    }
}

#[test]
fn missing_input_file_is_named() {
    let dir = TestDir::new("cli_no_input");
    let out = dir.join("out.mp4");
    let input = dir.join("nope.rgb");
    check_cli_error(
        &dir,
        &raw_args(&out, &["--input", &s(&input)]),
        &out,
        &[&s(&input)],
    );
}

#[test]
fn empty_input_fails() {
    let dir = TestDir::new("cli_empty");
    let out = dir.join("out.mp4");
    run(&raw_args(&out, &[]), Some(Vec::new())).fails_mentioning(&["no frames"]);
    run(&raw_args(&out, &[]), None).fails_mentioning(&["no frames"]);
    let stdout = run(
        &[
            "encode",
            "-",
            "--size",
            "32x32",
            "--pix-fmt",
            "rgb24",
            "--fps",
            "30",
        ],
        Some(Vec::new()),
    )
    .fails_mentioning(&["no frames"]);
    assert!(stdout.stdout.is_empty(), "bytes on stdout for no frames");
}

#[test]
fn empty_input_leaves_no_file() {
    let dir = TestDir::new("cli_empty_file");
    let out = dir.join("out.mp4");
    run(&raw_args(&out, &[]), Some(Vec::new())).fails_mentioning(&["no frames"]);
    assert!(!out.exists(), "an empty {} was left", out.display());
}

#[test]
fn demo_one_second_is_30_frames_of_720p() {
    let dir = TestDir::new("cli_demo");
    let out = dir.join("demo.mp4");
    run(&["demo", &s(&out), "--seconds", "1"], None).ok();
    let p = probe(&out);
    assert_eq!((p.frames, p.width, p.height), (30, 1280, 720));
    assert_eq!(p.r_frame_rate, "30/1");
    assert_eq!(p.format_duration, "1.000000");
    assert_eq!(p.profile, "High");
}

#[test]
fn kill_9_leaves_a_playable_file_missing_at_most_one_gop() {
    let dir = TestDir::new("cli_kill");
    let out = dir.join("live.mp4");
    let (w, h) = (640u32, 360u32);
    let frames: Vec<Vec<u8>> = (0..30).map(|t| pattern(w, h, t)).collect();
    let mut child = Command::new(env!("CARGO_BIN_EXE_framesink"))
        .args([
            "encode",
            &s(&out),
            "--size",
            "640x360",
            "--pix-fmt",
            "rgb24",
            "--fps",
            "30",
            "--keyint",
            "30",
            "-q",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let mut stdin = child.stdin.take().unwrap();
    // Feed 150 frames at about 30 fps, as a live source would (paced by
    // sleeping; nothing here reads or asserts on a clock).
    let sent = 150usize;
    for i in 0..sent {
        std::thread::sleep(Duration::from_millis(33));
        stdin.write_all(&frames[i % frames.len()]).unwrap();
    }
    stdin.flush().unwrap();
    // Give it a second with the pipe still open (no EOF, so no finish()).
    std::thread::sleep(Duration::from_secs(1));
    assert!(
        child.try_wait().unwrap().is_none(),
        "framesink exited before it was killed"
    );
    child.kill().unwrap(); // SIGKILL on Unix
    let status = child.wait().unwrap();
    assert!(!status.success());
    drop(stdin);

    let p = probe(&out);
    let min = sent as u64 - 31;
    assert!(
        p.frames >= min,
        "after kill -9 with {sent} frames sent, the file has {} frames; expected at least {min} \
         (at most one 1 s GOP lost)",
        p.frames
    );
    assert!(p.frames <= sent as u64);
    assert_eq!((p.width, p.height), (w, h));
}

#[test]
fn ffmpeg_codecs_say_how_to_get_ffmpeg_when_there_is_none() {
    let dir = TestDir::new("cli_no_ffmpeg");
    let out = dir.join("x.mkv");
    let bin = env!("CARGO_BIN_EXE_framesink");
    let run_with = |envs: &[(&str, &str)]| {
        let mut cmd = std::process::Command::new(bin);
        cmd.args([
            "encode",
            &s(&out),
            "--size",
            "16x16",
            "--pix-fmt",
            "gray",
            "--fps",
            "10",
            "--codec",
            "ffmpeg:libx265",
        ])
        .env_remove("FRAMESINK_FFMPEG")
        .stdin(std::process::Stdio::null());
        for (k, v) in envs {
            cmd.env(k, v);
        }
        let o = cmd.output().unwrap();
        assert!(!o.status.success());
        String::from_utf8_lossy(&o.stderr).into_owned()
    };
    let e = run_with(&[("PATH", "/nonexistent")]);
    assert!(
        e.contains("apt-get install ffmpeg") && e.contains("h264"),
        "{e}"
    );
    let e = run_with(&[("FRAMESINK_FFMPEG", "/no/such/ffmpeg")]);
    assert!(e.contains("/no/such/ffmpeg"), "{e}");
}

#[test]
fn version_is_the_crates() {
    let r = run(&["--version"], None).ok();
    let out = String::from_utf8(r.stdout).unwrap();
    assert_eq!(
        out.trim(),
        format!("framesink {}", env!("CARGO_PKG_VERSION"))
    );
}

#[test]
fn encode_help_lists_every_pixel_format_codec_and_format_and_the_exit_statuses() {
    let r = run(&["encode", "--help"], None).ok();
    let help = String::from_utf8(r.stdout).unwrap();
    for layout in PixelLayout::ALL {
        assert!(
            help.contains(layout.pix_fmt()),
            "{} not in:\n{help}",
            layout.pix_fmt()
        );
    }
    for codec in ["h264", "av1", "gif", "png", "ffmpeg:ENCODER"] {
        assert!(help.contains(codec), "codec {codec} not in:\n{help}");
    }
    assert!(help.contains("mp4, gif or apng"), "{help}");
    for status in ["0 ", "1 ", "2 ", "130 ", "143 "] {
        assert!(
            help.contains(&format!("\n  {status}")),
            "exit status {status}not in:\n{help}"
        );
    }
    // The statuses the help promises are the ones given (130 and 143 are in faults.rs).
    let dir = TestDir::new("cli_statuses");
    let out = dir.join("out.mp4");
    let usage = run(&["encode", &s(&out), "--qualty", "5"], None);
    assert_eq!(usage.status.code(), Some(2), "{}", usage.stderr);
    let error = run(
        &["encode", &s(&out), "--size", "32x32", "--pix-fmt", "rgb24"],
        None,
    );
    assert_eq!(error.status.code(), Some(1), "{}", error.stderr);
    for cmd in ["join", "demo"] {
        let r = run(&[cmd, "--help"], None).ok();
        assert!(
            String::from_utf8(r.stdout)
                .unwrap()
                .contains("Exit status:"),
            "{cmd}"
        );
    }
}

/// `n` frames of 12-bit samples in little-endian u16 (raw gray16le,
/// rgb48le or rgba64le input), moving from frame to frame.
fn deep_frames(w: u32, h: u32, channels: u32, n: u32) -> Vec<u8> {
    (0..w * h * channels * n)
        .map(|i| ((i.wrapping_mul(2_654_435_761) >> 7) ^ (i / (w * channels))) % 4096)
        .flat_map(|v| (v as u16).to_le_bytes())
        .collect()
}

#[test]
fn raw_sixteen_bit_input_keeps_every_bit_in_apng() {
    let dir = TestDir::new("cli_bits");
    let (w, h, n) = (20u32, 12u32, 4u32);
    for (pix_fmt, channels, extra) in [
        ("gray16le", 1, &[][..]),
        ("rgb48le", 3, &["--lossless"][..]),
        ("rgba64le", 4, &["--bit-depth", "16", "--lossless"][..]),
    ] {
        let out = dir.join(&format!("{pix_fmt}.apng"));
        let input = deep_frames(w, h, channels, n);
        let mut args = vec![
            "encode".to_string(),
            s(&out),
            "--size".into(),
            format!("{w}x{h}"),
            "--pix-fmt".into(),
            pix_fmt.into(),
            "--fps".into(),
            "10".into(),
        ];
        args.extend(extra.iter().map(|a| a.to_string()));
        let r = run(&args, Some(input.clone())).ok();
        assert!(!r.stderr.contains("warning"), "{}", r.stderr);
        assert_eq!(decode_raw(&out, pix_fmt), input, "{pix_fmt}");
    }
}

#[test]
fn bits_lost_are_warned_and_bits_refused_are_named() {
    let dir = TestDir::new("cli_bits_refused");
    let input = deep_frames(16, 16, 3, 2);
    let args = |out: &Path, extra: &[&str]| {
        let mut a: Vec<String> = [
            "encode",
            &s(out),
            "--size",
            "16x16",
            "--pix-fmt",
            "rgb48le",
            "--fps",
            "10",
        ]
        .iter()
        .map(|a| a.to_string())
        .collect();
        a.extend(extra.iter().map(|a| a.to_string()));
        a
    };
    let out = dir.join("w.mp4");
    let r = run(&args(&out, &[]), Some(input.clone())).ok();
    assert_eq!(r.stderr.matches("16-bit frames").count(), 1, "{}", r.stderr);
    assert!(r.stderr.contains("h264") && r.stderr.contains(".png/.apng"));
    run(
        &args(&dir.join("l.mp4"), &["--lossless"]),
        Some(input.clone()),
    )
    .fails_mentioning(&["lossless", "h264", ".png/.apng"]);
    run(
        &args(&dir.join("b.gif"), &["--bit-depth", "16"]),
        Some(input.clone()),
    )
    .fails_mentioning(&["bit_depth 16", "gif", ".png/.apng"]);
    run(
        &args(&dir.join("c.png"), &["--bit-depth", "12"]),
        Some(input),
    )
    .fails_mentioning(&["bit_depth 12", "allowed: 8"]);
    assert!(!dir.join("l.mp4").exists() && !dir.join("b.gif").exists());
}
