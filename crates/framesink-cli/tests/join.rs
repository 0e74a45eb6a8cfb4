//! `framesink join OUT PART...` end to end: parts made by `framesink encode`
//! join to the frames of one encode of all the frames (to a file or to
//! stdout), and bad parts, missing parts and an output that is a part are
//! refused naming them, keeping what was joined before.

#[path = "../../framesink/tests/common/mod.rs"]
mod common;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use common::*;

const W: u32 = 160;
const H: u32 = 120;
/// Bytes of one rgb24 frame.
const FRAME: usize = (W * H * 3) as usize;

/// Runs `framesink ARGS` in `cwd` (none: the test's), feeding `stdin`.
fn framesink(cwd: Option<&Path>, args: &[&str], stdin: Option<Vec<u8>>) -> Output {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_framesink"));
    cmd.args(args);
    if let Some(d) = cwd {
        cmd.current_dir(d);
    }
    output_with_stdin(&mut cmd, stdin)
}

/// Asserts exit status 1 and a stderr that mentions every one of `words`.
#[track_caller]
fn assert_fails_mentioning(out: &Output, words: &[&str]) {
    let err = stderr(out);
    assert_eq!(out.status.code(), Some(1), "exit status; stderr:\n{err}");
    for w in words {
        assert!(err.contains(w), "stderr does not mention {w:?}:\n{err}");
    }
}

fn s(p: &Path) -> String {
    p.display().to_string()
}

/// `framesink encode OUT` of pattern frames `frames` (rgb24 on stdin) at
/// 30 fps (unless `extra` sets `--fps`), a keyframe every 30 frames, plus
/// `extra` options.
fn encode(out: &Path, all: &[u8], frames: std::ops::Range<usize>, extra: &[&str]) {
    let mut args = vec![
        "encode".to_string(),
        s(out),
        "--size".into(),
        format!("{W}x{H}"),
        "--pix-fmt".into(),
        "rgb24".into(),
        "--keyint".into(),
        "30".into(),
        "-q".into(),
    ];
    if !extra.contains(&"--fps") {
        args.extend(["--fps".to_string(), "30".to_string()]);
    }
    args.extend(extra.iter().map(|a| a.to_string()));
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    let stdin = all[frames.start * FRAME..frames.end * FRAME].to_vec();
    assert_ok(&framesink(None, &args, Some(stdin)));
}

/// Parts p0 (frames 0..30), p1 (30..90), p2 (90..150) and one encode of
/// all 150 frames, by `framesink encode`.
fn parts(dir: &TestDir) -> (Vec<PathBuf>, PathBuf) {
    let all = pattern_frames(W, H, 150);
    let mut parts = Vec::new();
    for (i, r) in [0..30, 30..90, 90..150].into_iter().enumerate() {
        let p = dir.join(&format!("p{i}.mp4"));
        encode(&p, &all, r, &[]);
        parts.push(p);
    }
    let whole = dir.join("whole.mp4");
    encode(&whole, &all, 0..150, &[]);
    (parts, whole)
}

/// Asserts `path` has `n` frames at `i / 30` s and lasts `n / 30` s.
#[track_caller]
fn assert_continuous(path: &Path, n: usize) {
    let p = probe(path);
    assert_eq!(p.frames, n as u64, "decoded frames");
    let times = frame_infos(path);
    assert_eq!(times.len(), n);
    for (i, f) in times.iter().enumerate() {
        let want = i as f64 / 30.0;
        assert!(
            (f.pts_time - want).abs() < 1e-5,
            "frame {i} at {} s, want {want} s",
            f.pts_time
        );
    }
    assert_eq!(p.format_duration, format!("{:.6}", n as f64 / 30.0));
}

#[test]
fn join_of_encoded_parts_gives_the_frames_of_one_encode() {
    let dir = TestDir::new("cli_join");
    let (parts, whole) = parts(&dir);
    let out = dir.join("joined.mp4");
    let r = framesink(
        None,
        &[
            "join",
            &s(&out),
            &s(&parts[0]),
            &s(&parts[1]),
            &s(&parts[2]),
        ],
        None,
    );
    assert_ok(&r);
    let err = stderr(&r);
    assert!(
        err.contains("wrote 150 frames") && err.contains("5.000 s"),
        "summary line:\n{err}"
    );
    assert!(r.stdout.is_empty(), "stdout used while writing a file");
    let kinds = box_kinds(&std::fs::read(&out).unwrap());
    assert_eq!(&kinds[..2], ["ftyp", "moov"], "not faststart: {kinds:?}");
    assert!(!kinds.iter().any(|k| k == "moof"), "{kinds:?}");
    let want = framemd5(&whole);
    assert_eq!(want.len(), 150);
    assert_eq!(framemd5(&out), want);
    assert_continuous(&out, 150);
    assert_eq!(keyframes(&out), [0, 30, 60, 90, 120]);

    // --quiet: no summary line.
    let r = framesink(None, &["join", &s(&out), &s(&parts[0]), "-q"], None);
    assert_ok(&r);
    assert!(stderr(&r).is_empty(), "{}", stderr(&r));
    assert_eq!(probe(&out).frames, 30);
}

#[test]
fn join_to_stdout_writes_fragmented_mp4() {
    let dir = TestDir::new("cli_join_stdout");
    let (parts, whole) = parts(&dir);
    let r = framesink(
        None,
        &["join", "-", &s(&parts[0]), &s(&parts[1]), &s(&parts[2])],
        None,
    );
    assert_ok(&r);
    assert!(stderr(&r).contains("wrote 150 frames"), "{}", stderr(&r));
    let kinds = box_kinds(&r.stdout);
    assert_eq!(&kinds[..2], ["ftyp", "moov"], "{kinds:?}");
    assert!(
        kinds.iter().any(|k| k == "moof"),
        "not fragmented: {kinds:?}"
    );
    let out = dir.join("stdout.mp4");
    std::fs::write(&out, &r.stdout).unwrap();
    assert_eq!(framemd5(&out), framemd5(&whole));
    assert_continuous(&out, 150);
}

#[test]
fn a_mismatching_part_fails_naming_it_and_keeps_the_parts_before() {
    let dir = TestDir::new("cli_join_mismatch");
    let (parts, _) = parts(&dir);
    let all = pattern_frames(W, H, 120);
    let out = dir.join("out.mp4");
    let mut before = framemd5(&parts[0]);
    before.extend(framemd5(&parts[1]));
    for (name, extra, words) in [
        (
            "q70",
            &["--quality", "70"][..],
            &["encoder settings", "q70", "q58"][..],
        ),
        (
            "fps25",
            &["--fps", "25"][..],
            &["frame rate", "25", "30"][..],
        ),
        (
            "av1",
            &["--codec", "av1"][..],
            &["codec", "av1", "h264"][..],
        ),
    ] {
        let bad = dir.join(&format!("bad_{name}.mp4"));
        encode(&bad, &all, 90..120, extra);
        let r = framesink(
            None,
            &["join", &s(&out), &s(&parts[0]), &s(&parts[1]), &s(&bad)],
            None,
        );
        assert_fails_mentioning(&r, &[&s(&bad), "part 2"]);
        assert_fails_mentioning(&r, words);
        assert_fails_mentioning(&r, &["2 part(s) before it were joined"]);
        // The file holds the two parts before, finished.
        assert_eq!(
            box_kinds(&std::fs::read(&out).unwrap())[..2],
            ["ftyp", "moov"]
        );
        assert_eq!(framemd5(&out), before, "{name}");
        assert_continuous(&out, 90);
    }
}

#[test]
fn a_missing_part_is_named() {
    let dir = TestDir::new("cli_join_missing");
    let all = pattern_frames(W, H, 30);
    let p0 = dir.join("p0.mp4");
    encode(&p0, &all, 0..30, &[]);
    let missing = dir.join("missing.mp4");
    let out = dir.join("out.mp4");
    let r = framesink(None, &["join", &s(&out), &s(&p0), &s(&missing)], None);
    assert_fails_mentioning(&r, &[&s(&missing), "cannot open part"]);
    assert_eq!(framemd5(&out), framemd5(&p0), "the part before is kept");
    // Missing first: nothing joined, no file left.
    let out2 = dir.join("out2.mp4");
    let r = framesink(None, &["join", &s(&out2), &s(&missing), &s(&p0)], None);
    assert_fails_mentioning(&r, &[&s(&missing)]);
    assert!(!out2.exists(), "a file was left with no part joined");
    // No parts at all: a usage error.
    let r = framesink(None, &["join", &s(&out2)], None);
    assert!(!r.status.success());
    assert!(!out2.exists());
}

/// Joins into `output` (as spelled, run in `dir`) the parts `list`, one of
/// which is the output: refused, and the parts `p0.mp4` and `p1.mp4` in
/// `dir` are untouched.
#[track_caller]
fn check_output_is_a_part(dir: &TestDir, output: &str, list: &[&str]) {
    let files = [dir.join("p0.mp4"), dir.join("p1.mp4")];
    let before: Vec<Vec<u8>> = files.iter().map(|f| std::fs::read(f).unwrap()).collect();
    let mut args = vec!["join", output];
    args.extend(list);
    let r = framesink(Some(dir.path()), &args, None);
    let mut changed = Vec::new();
    for (f, b) in files.iter().zip(&before) {
        if std::fs::read(f).ok().as_ref() != Some(b) {
            changed.push(s(f));
            // Put it back for the next case.
            std::fs::write(f, b).unwrap();
        }
    }
    assert!(
        changed.is_empty(),
        "join {output} {list:?} changed or removed the parts {changed:?}; stderr:\n{}",
        stderr(&r)
    );
    assert_fails_mentioning(&r, &["also a part"]);
}

#[test]
fn an_output_that_is_a_part_is_refused() {
    let dir = TestDir::new("cli_join_self");
    let all = pattern_frames(W, H, 60);
    encode(&dir.join("p0.mp4"), &all, 0..30, &[]);
    encode(&dir.join("p1.mp4"), &all, 30..60, &[]);
    check_output_is_a_part(&dir, "p0.mp4", &["p0.mp4", "p1.mp4"]);
    check_output_is_a_part(&dir, "p0.mp4", &["p1.mp4", "p0.mp4"]);
    let abs = s(&dir.join("p0.mp4"));
    check_output_is_a_part(&dir, &abs, &["p1.mp4", &abs]);
}

#[test]
fn an_output_that_is_a_part_spelled_otherwise_is_refused() {
    let dir = TestDir::new("cli_join_self_spelled");
    let all = pattern_frames(W, H, 60);
    encode(&dir.join("p0.mp4"), &all, 0..30, &[]);
    encode(&dir.join("p1.mp4"), &all, 30..60, &[]);
    let abs = s(&dir.join("p0.mp4"));
    check_output_is_a_part(&dir, "p0.mp4", &["./p0.mp4", "p1.mp4"]);
    check_output_is_a_part(&dir, &abs, &["p0.mp4", "p1.mp4"]);
    check_output_is_a_part(&dir, "p1.mp4", &["p0.mp4", "./p1.mp4"]);
}
