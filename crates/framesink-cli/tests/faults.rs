//! The `framesink` binary when things go wrong: interrupted by SIGINT or
//! SIGTERM (the file is finished), a file-size limit (EFBIG, named), sizes
//! too large to read, and a first frame cut short.

#[path = "../../framesink/tests/common/mod.rs"]
mod common;

use std::io::{Read, Write};
use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use common::*;

fn s(p: &Path) -> String {
    p.display().to_string()
}

/// Top-level MP4 box types, in order.
fn boxes(path: &Path) -> Vec<String> {
    let data = std::fs::read(path).unwrap();
    let mut out = Vec::new();
    let mut at = 0usize;
    while at + 8 <= data.len() {
        let size = u32::from_be_bytes(data[at..at + 4].try_into().unwrap()) as usize;
        out.push(String::from_utf8_lossy(&data[at + 4..at + 8]).into_owned());
        if size < 8 {
            break;
        }
        at += size;
    }
    out
}

/// Starts `framesink encode OUT` on raw 160x120 rgb24 frames fed by the test.
fn start(out: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_framesink"))
        .args([
            "encode",
            &s(out),
            "--size",
            "160x120",
            "--pix-fmt",
            "rgb24",
            "--fps",
            "30",
            "--keyint",
            "30",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("spawn framesink")
}

/// Feeds `n` frames, waits until they are read (the pipe stays open, as
/// with a live source), sends `signal` and returns (exit code, stderr).
fn interrupt(out: &Path, n: u32, signal: &str) -> (Option<i32>, String) {
    let mut child = start(out);
    let mut stdin = child.stdin.take().unwrap();
    for t in 0..n {
        stdin.write_all(&pattern(160, 120, t)).unwrap();
    }
    stdin.flush().unwrap();
    // The frames are in the pipe; give the reader time to take them all
    // (a pipe holds 64 KiB, less than one frame, so writes above returned
    // only once all but the last frame were read).
    std::thread::sleep(Duration::from_millis(500));
    assert!(
        child.try_wait().unwrap().is_none(),
        "exited before the signal"
    );
    let pid = child.id().to_string();
    let status = Command::new("kill")
        .args([signal, &pid])
        .status()
        .expect("run kill");
    assert!(status.success());
    let status = child.wait().unwrap();
    drop(stdin);
    let mut err = String::new();
    child
        .stderr
        .take()
        .unwrap()
        .read_to_string(&mut err)
        .unwrap();
    (status.code(), err)
}

#[test]
fn sigint_finishes_the_file_with_every_frame_read_and_exits_130() {
    let dir = TestDir::new("faults_sigint");
    let out = dir.join("int.mp4");
    let (code, err) = interrupt(&out, 75, "-INT");
    assert_eq!(code, Some(130), "stderr:\n{err}");
    assert!(err.contains("interrupted (signal 2)"), "{err}");
    assert!(err.contains("75 frames read so far"), "{err}");
    // Finished: a plain MP4 with its index first, every frame in it.
    let b = boxes(&out);
    assert_eq!(&b[..2], ["ftyp", "moov"], "{b:?}");
    assert!(!b.contains(&"moof".to_string()), "still fragmented: {b:?}");
    assert_eq!(probe(&out).frames, 75);
    assert_eq!(framemd5(&out).len(), 75);
}

#[test]
fn sigterm_finishes_the_file_and_exits_143() {
    let dir = TestDir::new("faults_sigterm");
    let out = dir.join("term.mp4");
    let (code, err) = interrupt(&out, 40, "-TERM");
    assert_eq!(code, Some(143), "stderr:\n{err}");
    assert!(err.contains("40 frames read so far"), "{err}");
    assert_eq!(probe(&out).frames, 40);
    assert!(!boxes(&out).contains(&"moof".to_string()));
}

#[test]
fn a_file_size_limit_is_an_error_naming_the_bytes_and_the_file_plays() {
    let dir = TestDir::new("faults_fsize");
    let out = dir.join("limited.mp4");
    let frames = pattern_frames(160, 120, 300);
    let mut child = Command::new("prlimit")
        .args(["--fsize=20000", env!("CARGO_BIN_EXE_framesink")])
        .args([
            "encode",
            &s(&out),
            "--size",
            "160x120",
            "--pix-fmt",
            "rgb24",
            "--fps",
            "30",
            "--keyint",
            "30",
        ])
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .expect("prlimit (util-linux)");
    let mut stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || {
        let _ = stdin.write_all(&frames);
    });
    let output = child.wait_with_output().unwrap();
    feeder.join().unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    // Not killed by SIGXFSZ: an exit status and a message.
    assert_eq!(output.status.code(), Some(1), "stderr:\n{err}");
    assert!(err.contains("File too large"), "{err}");
    assert!(
        err.contains("failed after") && err.contains("bytes"),
        "{err}"
    );
    let len = std::fs::metadata(&out).unwrap().len();
    assert!(len <= 20000, "{len}");
    // The fragments written before the limit decode.
    let p = probe(&out);
    assert!(p.frames >= 30 && p.frames < 300, "{} frames", p.frames);
}

#[test]
fn a_huge_size_is_refused_before_anything_is_allocated() {
    let dir = TestDir::new("faults_huge");
    let out = dir.join("huge.mp4");
    let output = Command::new(env!("CARGO_BIN_EXE_framesink"))
        .args([
            "encode",
            &s(&out),
            "--size",
            "99999x99999",
            "--pix-fmt",
            "rgb24",
            "--fps",
            "30",
        ])
        .stdin(Stdio::null())
        .output()
        .unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(
        err.contains("99999x99999") && err.contains("29999400003 bytes"),
        "{err}"
    );
    assert!(!out.exists(), "an empty file was left");
}

#[test]
fn a_first_frame_cut_short_names_its_byte_count() {
    let dir = TestDir::new("faults_short");
    let out = dir.join("short.mp4");
    let mut child = start(&out);
    let mut stdin = child.stdin.take().unwrap();
    stdin.write_all(&pattern(160, 120, 0)[..1000]).unwrap();
    drop(stdin);
    let output = child.wait_with_output().unwrap();
    let err = String::from_utf8_lossy(&output.stderr);
    assert_eq!(output.status.code(), Some(1), "{err}");
    assert!(err.contains("1000 of 57600 bytes"), "{err}");
    assert!(!out.exists(), "an empty file was left");
}
