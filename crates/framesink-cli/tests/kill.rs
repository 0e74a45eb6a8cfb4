//! `framesink encode` killed with SIGKILL at seeded random moments while it
//! reads frames from a pipe: every file decodes up to its last fragment, to
//! the same frames as a finished encode, and loses at most the writer's bound.
//!
//! Run with `--nocapture` to see every kill: frames fed, decoded and lost.

#[path = "../../framesink/tests/common/mod.rs"]
mod common;

use std::io::Write;
use std::os::unix::process::ExitStatusExt;
use std::path::Path;
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::Mutex;
use std::time::Duration;

use common::*;

const W: u32 = 320;
const H: u32 = 240;
const FPS: u64 = 30;
/// Bytes of one rgb24 frame: 225 KiB, more than a pipe holds (64 KiB).
const FRAME: usize = (W * H * 3) as usize;
/// Distinct pictures the frames cycle through (each also carries its number).
const CYCLE: u32 = 32;

/// Frames the CLI may have been fed but not accepted: the last frame the test
/// wrote is partly still in the pipe or in the CLI's read buffer (a pipe read
/// gives at most 64 KiB, less than a frame, so the CLI's 1 MiB BufReader never
/// holds a whole frame more).
const PIPE_SLACK: u64 = 1;

/// The kills run one at a time: each has both cores to itself, as it would.
static SERIAL: Mutex<()> = Mutex::new(());

/// One encoder configuration to kill.
struct Case {
    name: &'static str,
    ext: &'static str,
    args: &'static [&'static str],
    /// Frames per segment (GOP), G.
    keyint: u64,
    /// Encoder threads, N.
    threads: u64,
    /// Frames an encoder may hold inside it beyond the bound (the writer lets
    /// the caller on when the encoders have taken every frame).
    held: u64,
    kills: usize,
    seed: u64,
}

impl Case {
    /// Frames per fragment, F: a GOP cut in equal parts of at most half a second.
    fn fragment(&self) -> u64 {
        let half_second = FPS.div_ceil(2);
        self.keyint.div_ceil(self.keyint.div_ceil(half_second))
    }

    /// Frames accepted but not yet in the file, at most: (N-1)(G-F) + F + N + 1.
    fn bound(&self) -> u64 {
        let (n, g, f) = (self.threads, self.keyint, self.fragment());
        (n - 1) * (g - f) + f + n + 1
    }
}

fn cores() -> u64 {
    std::thread::available_parallelism().map_or(1, |n| n.get() as u64)
}

/// A small xorshift64*: the kill moments are the same on every run.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    /// Uniform in `lo..hi` milliseconds.
    fn millis(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.next() % (hi - lo)
    }
}

/// Writes frames `0..limit` (or until the pipe breaks) to `stdin`: pattern
/// frames cycling through [`CYCLE`] pictures with the frame number drawn as
/// 20 black/white 16x16 blocks along the bottom, so no two frames are alike.
/// Returns the frames whose bytes all went into the pipe.
fn feed(mut stdin: ChildStdin, limit: Option<u64>) -> u64 {
    let base: Vec<Vec<u8>> = (0..CYCLE).map(|t| pattern(W, H, t)).collect();
    let mut frame = vec![0u8; FRAME];
    let mut fed = 0u64;
    while limit.is_none_or(|l| fed < l) {
        frame.copy_from_slice(&base[(fed % CYCLE as u64) as usize]);
        for y in H - 16..H {
            for x in 0..W {
                let bit = (fed >> (x / 16)) & 1;
                let i = ((y * W + x) * 3) as usize;
                frame[i..i + 3].fill(if bit == 1 { 235 } else { 16 });
            }
        }
        if stdin.write_all(&frame).is_err() {
            break;
        }
        fed += 1;
    }
    fed
}

fn spawn(case: &Case, out: &Path) -> Child {
    Command::new(env!("CARGO_BIN_EXE_framesink"))
        .arg("encode")
        .arg(out)
        .args(["--input", "-", "--size", "320x240", "--pix-fmt", "rgb24"])
        .args(["--fps", "30", "-q"])
        .args(case.args)
        .stdin(Stdio::piped())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("spawn framesink")
}

/// Bytes of `data` made of whole units: top-level MP4 boxes up to the last
/// whole mdat, or GIF blocks up to the last whole image; and the frames in
/// them. A unit the kill cut short is not counted.
fn whole_units(data: &[u8], ext: &str) -> (usize, u64) {
    if ext == "gif" {
        return whole_gif_images(data);
    }
    let (mut at, mut end, mut frames) = (0usize, 0usize, 0u64);
    let mut moof_samples = 0u64;
    while at + 8 <= data.len() {
        let size = u32::from_be_bytes(data[at..at + 4].try_into().unwrap()) as usize;
        let kind = &data[at + 4..at + 8];
        if size < 8 || at + size > data.len() {
            break;
        }
        match kind {
            b"moof" => moof_samples = trun_samples(&data[at..at + size]),
            b"mdat" => {
                frames += moof_samples;
                moof_samples = 0;
                end = at + size;
            }
            _ => end = at + size,
        }
        at += size;
    }
    (end, frames)
}

/// Samples in a moof: the sample_count of its trun (found by its type; the
/// writer puts one trun in one traf).
fn trun_samples(moof: &[u8]) -> u64 {
    let at = moof
        .windows(4)
        .position(|w| w == b"trun")
        .expect("moof without trun");
    // type, version+flags, sample_count.
    u32::from_be_bytes(moof[at + 8..at + 12].try_into().unwrap()) as u64
}

/// Bytes of a GIF up to the end of its last whole image, and its images.
fn whole_gif_images(d: &[u8]) -> (usize, u64) {
    // Skips data sub-blocks from `at`; the position after the terminator.
    fn sub_blocks(d: &[u8], mut at: usize) -> Option<usize> {
        loop {
            let n = *d.get(at)? as usize;
            at += 1 + n;
            if n == 0 {
                return (at <= d.len()).then_some(at);
            }
        }
    }
    if d.len() < 13 {
        return (0, 0);
    }
    // Bytes of the colour table a packed-fields byte announces.
    let table = |flags: u8| ((flags >> 7) as usize * 3) << ((flags & 7) + 1);
    let mut at = 13 + table(d[10]);
    let (mut end, mut images) = (0usize, 0u64);
    while let Some(&b) = d.get(at) {
        let next = match b {
            0x21 => sub_blocks(d, at + 2),
            0x2C => d
                .get(at + 9)
                .and_then(|&f| sub_blocks(d, at + 10 + table(f) + 1)),
            _ => None,
        };
        let Some(next) = next else { break };
        if b == 0x2C {
            images += 1;
            end = next;
        }
        at = next;
    }
    (end, images)
}

/// One kill, as measured.
struct Kill {
    at_ms: u64,
    fed: u64,
    /// Frames in the whole fragments (or GIF images), all decoded.
    decoded: u64,
    /// Frames ffmpeg showed beyond them, from a fragment the kill cut short.
    extra: u64,
    /// Bytes after the last whole fragment.
    tail: usize,
    md5: Vec<String>,
    problems: Vec<String>,
}

/// Runs the CLI, kills it `at_ms` after the start, and decodes what is left.
fn kill_once(case: &Case, dir: &TestDir, i: usize, at_ms: u64) -> Kill {
    let out = dir.join(&format!("{}-{i}.{}", case.name, case.ext));
    let mut child = spawn(case, &out);
    let stdin = child.stdin.take().unwrap();
    let feeder = std::thread::spawn(move || feed(stdin, None));
    std::thread::sleep(Duration::from_millis(at_ms));
    child.kill().expect("SIGKILL");
    let status = child.wait().unwrap();
    let fed = feeder.join().unwrap();
    let mut problems = Vec::new();
    if status.signal() != Some(9) {
        problems.push(format!("not killed by SIGKILL: {status}"));
    }
    let data = std::fs::read(&out).unwrap_or_default();
    let (whole, decoded) = whole_units(&data, case.ext);
    let tail = data.len() - whole;
    let mut md5 = Vec::new();
    let mut extra = 0;
    if decoded > 0 {
        // The whole fragments alone decode without a single message.
        let prefix = if tail == 0 {
            out.clone()
        } else {
            let p = dir.join(&format!("{}-{i}-whole.{}", case.name, case.ext));
            std::fs::write(&p, &data[..whole]).unwrap();
            p
        };
        let (ok, m, err) = try_framemd5(&prefix);
        if !ok || !err.is_empty() || m.len() as u64 != decoded {
            problems.push(format!(
                "the {decoded} frames of whole fragments: ffmpeg ok {ok}, {} frames, stderr:\n{err}",
                m.len()
            ));
        }
        md5 = m;
        // The file as left: a cut fragment at its end may draw messages about
        // that fragment, but ffmpeg must still succeed with the same frames.
        if tail > 0 {
            let (ok, m, err) = try_framemd5(&out);
            let same = m.len() >= md5.len() && m[..md5.len()] == md5[..];
            if !ok || !same {
                problems.push(format!(
                    "the file as left ({tail} bytes after the last whole fragment): ffmpeg ok {ok}, {} frames, the same first {}: {same}, stderr:\n{err}",
                    m.len(),
                    md5.len()
                ));
            }
            extra = (m.len() as u64).saturating_sub(decoded);
        }
    }
    let allowed = case.bound() + PIPE_SLACK + case.held;
    if fed.saturating_sub(decoded) > allowed {
        problems.push(format!(
            "lost {} of {fed} frames fed, more than bound {} + slack {}",
            fed - decoded,
            case.bound(),
            PIPE_SLACK + case.held
        ));
    }
    Kill {
        at_ms,
        fed,
        decoded,
        extra,
        tail,
        md5,
        problems,
    }
}

/// framemd5 of frames `0..n` encoded to the end (stdin closed, file finished).
fn reference(case: &Case, dir: &TestDir, n: u64) -> Vec<String> {
    let out = dir.join(&format!("{}-reference.{}", case.name, case.ext));
    let mut child = spawn(case, &out);
    let stdin = child.stdin.take().unwrap();
    let fed = std::thread::spawn(move || feed(stdin, Some(n)))
        .join()
        .unwrap();
    assert_eq!(fed, n);
    assert!(child.wait().unwrap().success(), "reference encode failed");
    framemd5(&out)
}

fn run(case: Case) {
    let _serial = SERIAL.lock().unwrap_or_else(|p| p.into_inner());
    let dir = TestDir::new(&format!("kill_{}", case.name));
    let mut rng = Rng(case.seed);
    let kills: Vec<Kill> = (0..case.kills)
        .map(|i| kill_once(&case, &dir, i, rng.millis(200, 3000)))
        .collect();
    // Whole GOPs past the longest prefix, so the reference encodes every
    // GOP seen as the killed runs did (not as the end of a stream).
    let longest = kills.iter().map(|k| k.decoded).max().unwrap_or(0);
    let want = reference(&case, &dir, (longest / case.keyint + 2) * case.keyint);
    let (bound, slack) = (case.bound(), PIPE_SLACK + case.held);
    let mut failed = Vec::new();
    for (i, k) in kills.iter().enumerate() {
        let lost = k.fed.saturating_sub(k.decoded);
        eprintln!(
            "kill {:<14} #{i} at {:>4} ms: fed {:>4}, decoded {:>4} (+{} from a cut fragment, {} bytes), lost {:>3} = {:.2} s (bound {bound} + {slack})",
            case.name,
            k.at_ms,
            k.fed,
            k.decoded,
            k.extra,
            k.tail,
            lost,
            lost as f64 / FPS as f64
        );
        let mut problems = k.problems.clone();
        if let Some(first) = (0..k.md5.len()).find(|&j| want.get(j) != Some(&k.md5[j])) {
            problems.push(format!(
                "decoded frame {first} differs from the finished encode"
            ));
        }
        if !problems.is_empty() {
            failed.push(format!(
                "{} kill #{i} at {} ms (seed {}; files in {}):\n  {}",
                case.name,
                k.at_ms,
                case.seed,
                dir.path().display(),
                problems.join("\n  ")
            ));
        }
    }
    assert!(failed.is_empty(), "{}", failed.join("\n"));
}

#[test]
fn h264_killed_keeps_all_but_the_bound() {
    run(Case {
        name: "h264",
        ext: "mp4",
        args: &[],
        keyint: 2 * FPS,
        threads: cores(),
        held: 0,
        kills: 5,
        seed: 0x1234_5678_9ABC_DEF1,
    });
}

#[test]
fn h264_keyint_30_killed_keeps_all_but_the_bound() {
    run(Case {
        name: "h264-keyint30",
        ext: "mp4",
        args: &["--keyint", "30"],
        keyint: 30,
        threads: cores(),
        held: 0,
        kills: 5,
        seed: 0x0F1E_2D3C_4B5A_6978,
    });
}

#[test]
fn av1_killed_keeps_all_but_the_bound() {
    run(Case {
        name: "av1",
        ext: "mp4",
        args: &["--codec", "av1", "--speed", "10"],
        keyint: 2 * FPS,
        // One rav1e context (it threads itself).
        threads: 1,
        // rav1e reorders groups of 4 frames and looks ahead for keyframes:
        // fed one frame at a time, the first fragment (15 frames) comes out
        // once 28 frames are in, the next ones 10 to 12 frames late.
        held: 13,
        kills: 5,
        seed: 0x5EED_0000_0000_0A01,
    });
}

#[test]
fn gif_killed_keeps_all_but_the_bound() {
    run(Case {
        name: "gif",
        ext: "gif",
        args: &[],
        // Every GIF frame is its own segment and fragment.
        keyint: 1,
        threads: cores(),
        held: 0,
        kills: 5,
        seed: 0x6A1F_6A1F_6A1F_6A1F,
    });
}
