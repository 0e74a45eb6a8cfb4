//! `--metadata KEY=VALUE` on `encode`, `join` and `demo`: the tags ffprobe
//! reads back, and the refusals (a missing '=', a bad key or date) that
//! leave no file.

#[path = "../../framesink/tests/common/mod.rs"]
mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::{Command, Output};

use common::{assert_ok, output_with_stdin, pattern_frames, run_tool, stderr, TestDir};

const W: u32 = 32;
const H: u32 = 24;

fn framesink(args: &[&str], stdin: Option<Vec<u8>>) -> Output {
    output_with_stdin(
        Command::new(env!("CARGO_BIN_EXE_framesink")).args(args),
        stdin,
    )
}

/// The format tags ffprobe shows (single-line values only).
fn tags(path: &Path) -> BTreeMap<String, String> {
    let out = run_tool(
        Command::new("ffprobe")
            .args([
                "-v",
                "error",
                "-show_entries",
                "format_tags",
                "-of",
                "default=nw=1",
            ])
            .arg(path),
    );
    String::from_utf8(out)
        .unwrap()
        .lines()
        .filter_map(|l| l.strip_prefix("TAG:")?.split_once('='))
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect()
}

const META: &[&str] = &[
    "--metadata",
    "title=Café ☕",
    "--metadata",
    "comment=x=1, y=2",
    "--metadata",
    "subject=Flow",
    "--metadata",
    "creation_time=2024-05-17T16:30:00+02:00",
];

#[track_caller]
fn assert_meta(path: &Path) {
    let t = tags(path);
    let get = |k: &str| t.get(k).map(String::as_str);
    assert_eq!(get("title"), Some("Café ☕"), "{t:?}");
    assert_eq!(get("comment"), Some("x=1, y=2"), "the value keeps its '='");
    assert_eq!(get("subject"), Some("Flow"));
    assert_eq!(get("creation_time"), Some("2024-05-17T14:30:00.000000Z"));
}

fn encode_args<'a>(out: &'a str, extra: &[&'a str]) -> Vec<&'a str> {
    let mut a = vec![
        "encode",
        out,
        "--size",
        "32x24",
        "--pix-fmt",
        "rgb24",
        "--fps",
        "30",
        "-q",
    ];
    a.extend_from_slice(extra);
    a
}

#[test]
fn encode_writes_each_metadata_to_a_file_and_to_stdout() {
    let dir = TestDir::new("cli_meta_encode");
    let frames = pattern_frames(W, H, 5);
    let file = dir.join("a.mp4");
    let out = framesink(
        &encode_args(file.to_str().unwrap(), META),
        Some(frames.clone()),
    );
    assert_ok(&out);
    assert_meta(&file);

    let out = framesink(&encode_args("-", META), Some(frames));
    assert_ok(&out);
    let stream = dir.join("stream.mp4");
    std::fs::write(&stream, &out.stdout).unwrap();
    assert_meta(&stream);
}

#[test]
fn a_metadata_argument_without_equals_is_a_usage_error() {
    let dir = TestDir::new("cli_meta_noeq");
    let file = dir.join("a.mp4");
    let out = framesink(
        &encode_args(file.to_str().unwrap(), &["--metadata", "title"]),
        Some(pattern_frames(W, H, 2)),
    );
    assert_eq!(out.status.code(), Some(2), "{}", stderr(&out));
    let err = stderr(&out);
    assert!(
        err.contains("invalid value 'title' for '--metadata <KEY=VALUE>'")
            && err.contains("metadata \"title\" has no '='"),
        "{err}"
    );
    assert!(!file.exists());
}

#[test]
fn bad_metadata_is_refused_naming_it_and_leaves_no_file() {
    let dir = TestDir::new("cli_meta_bad");
    let file = dir.join("a.mp4");
    for (arg, words) in [
        (
            "creation_time=yesterday",
            &[
                "creation_time \"yesterday\" is not a date and time",
                "2024-05-17T14:30:00Z",
            ][..],
        ),
        ("=x", &["metadata key \"\" is empty"][..]),
        ("major_brand=qt", &["\"major_brand\" cannot be set"][..]),
    ] {
        let out = framesink(
            &encode_args(file.to_str().unwrap(), &["--metadata", arg]),
            Some(pattern_frames(W, H, 2)),
        );
        assert_eq!(out.status.code(), Some(1), "{arg}: {}", stderr(&out));
        let err = stderr(&out);
        for w in words {
            assert!(err.contains(w), "{arg}: {err}");
        }
        assert!(!file.exists(), "{arg}");
    }
}

#[test]
fn join_writes_its_own_metadata_not_the_parts() {
    let dir = TestDir::new("cli_meta_join");
    let frames = pattern_frames(W, H, 4);
    let parts: Vec<String> = (0..2)
        .map(|i| {
            let p = dir.join(&format!("p{i}.mp4")).display().to_string();
            let out = framesink(
                &encode_args(&p, &["--metadata", "title=part", "--metadata", "genre=x"]),
                Some(frames.clone()),
            );
            assert_ok(&out);
            p
        })
        .collect();
    let plain = dir.join("plain.mp4");
    assert_ok(&framesink(
        &["join", plain.to_str().unwrap(), &parts[0], &parts[1], "-q"],
        None,
    ));
    let t = tags(&plain);
    assert!(
        !t.contains_key("title") && !t.contains_key("genre"),
        "{t:?}"
    );

    let tagged = dir.join("tagged.mp4");
    let mut args = vec!["join", tagged.to_str().unwrap(), &parts[0], &parts[1], "-q"];
    args.extend_from_slice(META);
    assert_ok(&framesink(&args, None));
    assert_meta(&tagged);

    let bad = dir.join("bad.mp4");
    let out = framesink(
        &[
            "join",
            bad.to_str().unwrap(),
            &parts[0],
            "--metadata",
            "a=b=c",
            "--metadata",
            "A=d",
        ],
        None,
    );
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    assert!(
        stderr(&out).contains("\"A\" is given twice (also as \"a\")"),
        "{}",
        stderr(&out)
    );
    assert!(!bad.exists());
}

#[test]
fn demo_takes_metadata_too() {
    let dir = TestDir::new("cli_meta_demo");
    let file = dir.join("demo.mp4");
    let out = framesink(
        &[
            "demo",
            file.to_str().unwrap(),
            "--seconds",
            "1",
            "--metadata",
            "title=Demo",
        ],
        None,
    );
    assert_ok(&out);
    assert_eq!(tags(&file).get("title").map(String::as_str), Some("Demo"));
}
