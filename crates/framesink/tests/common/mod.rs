//! Helpers shared by the integration tests (also used by the CLI tests via
//! `#[path]`): ffprobe/ffmpeg wrappers, PSNR, a test pattern, pixel layout
//! builders, in-memory sinks and per-test temporary directories.
//!
//! Every test file uses a different subset of these, hence the `dead_code`.
#![allow(dead_code)]

use std::collections::HashMap;
use std::io::{self, Cursor, Read, Seek, SeekFrom, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::{Arc, Mutex};

use framesink::{Frame, PixelLayout, Summary, VideoWriter, WriterConfig};

// ---------------------------------------------------------------- ffprobe

/// What ffprobe says about the first video stream of a file.
#[derive(Clone, Debug, Default)]
pub struct Probe {
    /// Frames decoded (`-count_frames`, `nb_read_frames`).
    pub frames: u64,
    /// e.g. `"30000/1001"`.
    pub r_frame_rate: String,
    /// Stream duration, e.g. `"10.010000"`.
    pub stream_duration: String,
    /// Container duration, e.g. `"10.010000"`.
    pub format_duration: String,
    pub pix_fmt: String,
    pub profile: String,
    pub color_range: String,
    pub color_space: String,
    pub color_transfer: String,
    pub color_primaries: String,
    pub width: u32,
    pub height: u32,
    pub codec_name: String,
}

/// Runs a command and returns its stdout; panics with stderr if it fails.
pub fn run_tool(cmd: &mut Command) -> Vec<u8> {
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    assert!(
        out.status.success(),
        "{cmd:?} failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// The stderr of a finished command, as text.
pub fn stderr(out: &std::process::Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// Asserts that a finished command succeeded, showing its stderr if not.
#[track_caller]
pub fn assert_ok(out: &std::process::Output) {
    assert!(
        out.status.success(),
        "failed ({}):\n{}",
        out.status,
        stderr(out)
    );
}

/// Runs a command to its end, feeding it `stdin` (none: /dev/null) from a
/// thread while its stdout and stderr are collected; it may exit before
/// reading all of its input (a broken pipe is fine then).
pub fn output_with_stdin(cmd: &mut Command, stdin: Option<Vec<u8>>) -> std::process::Output {
    cmd.stdin(if stdin.is_some() {
        Stdio::piped()
    } else {
        Stdio::null()
    })
    .stdout(Stdio::piped())
    .stderr(Stdio::piped());
    let mut child = cmd
        .spawn()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let feeder = stdin.map(|data| {
        let mut pipe = child.stdin.take().expect("piped stdin");
        std::thread::spawn(move || {
            let _ = pipe.write_all(&data);
        })
    });
    let out = child
        .wait_with_output()
        .unwrap_or_else(|e| panic!("wait for {cmd:?}: {e}"));
    if let Some(f) = feeder {
        f.join().expect("stdin feeder");
    }
    out
}

/// Parses ffprobe's `-of flat` output into key -> unquoted value.
fn parse_flat(text: &str) -> HashMap<String, String> {
    text.lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().trim_matches('"').to_string()))
        .collect()
}

/// ffprobe the first video stream of `path` (decoding it to count frames).
pub fn probe(path: &Path) -> Probe {
    let out = run_tool(
        Command::new("ffprobe")
            .args([
                "-v",
                "error",
                "-count_frames",
                "-select_streams",
                "v:0",
                "-show_entries",
                "stream=nb_read_frames,r_frame_rate,duration,pix_fmt,profile,color_range,\
         color_space,color_transfer,color_primaries,width,height,codec_name:format=duration",
                "-of",
                "flat",
            ])
            .arg(path),
    );
    let m = parse_flat(&String::from_utf8_lossy(&out));
    let s = |k: &str| m.get(k).cloned().unwrap_or_default();
    let st = |k: &str| s(&format!("streams.stream.0.{k}"));
    Probe {
        frames: st("nb_read_frames")
            .parse()
            .unwrap_or_else(|_| panic!("no nb_read_frames for {}: {m:?}", path.display())),
        r_frame_rate: st("r_frame_rate"),
        stream_duration: st("duration"),
        format_duration: s("format.duration"),
        pix_fmt: st("pix_fmt"),
        profile: st("profile"),
        color_range: st("color_range"),
        color_space: st("color_space"),
        color_transfer: st("color_transfer"),
        color_primaries: st("color_primaries"),
        width: st("width").parse().unwrap_or(0),
        height: st("height").parse().unwrap_or(0),
        codec_name: st("codec_name"),
    }
}

/// One decoded frame as ffprobe reports it.
#[derive(Clone, Debug)]
pub struct FrameInfo {
    /// Presentation time in seconds.
    pub pts_time: f64,
    /// Whether the decoder flagged it a key frame.
    pub key_frame: bool,
}

/// Per-frame presentation times and key flags, in decode-output order.
pub fn frame_infos(path: &Path) -> Vec<FrameInfo> {
    let out = run_tool(
        Command::new("ffprobe")
            .args([
                "-v",
                "error",
                "-select_streams",
                "v:0",
                "-show_entries",
                "frame=pts_time,key_frame",
                "-of",
                "flat",
            ])
            .arg(path),
    );
    let m = parse_flat(&String::from_utf8_lossy(&out));
    let mut frames = Vec::new();
    for i in 0.. {
        let Some(t) = m.get(&format!("frames.frame.{i}.pts_time")) else {
            break;
        };
        frames.push(FrameInfo {
            pts_time: t
                .parse()
                .unwrap_or_else(|_| panic!("frame {i} pts_time {t:?}")),
            key_frame: m
                .get(&format!("frames.frame.{i}.key_frame"))
                .map(String::as_str)
                == Some("1"),
        });
    }
    frames
}

// ------------------------------------------------------------------ ffmpeg

/// Decodes every frame of `path` to packed rgb24, one output frame per coded
/// frame (`-fps_mode passthrough`: ffmpeg 5.1 has it; `-vsync` is deprecated
/// there). Colour tags in the file are honoured, as players do.
pub fn decode_rgb(path: &Path) -> Vec<u8> {
    decode_raw(path, "rgb24")
}

/// Decodes every frame of `path` to raw video in `pix_fmt` (no frames added or dropped).
pub fn decode_raw(path: &Path, pix_fmt: &str) -> Vec<u8> {
    run_tool(
        Command::new("ffmpeg")
            .args(["-nostdin", "-v", "error", "-i"])
            .arg(path)
            .args([
                "-fps_mode",
                "passthrough",
                "-f",
                "rawvideo",
                "-pix_fmt",
                pix_fmt,
                "-",
            ]),
    )
}

/// The MD5 of every decoded picture of `path`, in its decoder's own pixel
/// format (`ffmpeg -f framemd5`, the hash column only): equal lists mean the
/// same pixels, frame for frame, whatever the container around them.
pub fn framemd5(path: &Path) -> Vec<String> {
    framemd5_hashes(&run_tool(&mut framemd5_command(path)))
}

/// [`framemd5`] of a file that may be cut short, where a failing ffmpeg is
/// what is measured, not a panic: (ffmpeg exited 0, the hash of every frame
/// it printed, its stderr).
pub fn try_framemd5(path: &Path) -> (bool, Vec<String>, String) {
    let mut cmd = framemd5_command(path);
    let out = cmd
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run {cmd:?}: {e}"));
    let err = String::from_utf8_lossy(&out.stderr).into_owned();
    (out.status.success(), framemd5_hashes(&out.stdout), err)
}

/// ffmpeg printing the framemd5 of `path`'s first video stream, no frames
/// added or dropped.
fn framemd5_command(path: &Path) -> Command {
    let mut cmd = Command::new("ffmpeg");
    cmd.args(["-nostdin", "-v", "error", "-i"]).arg(path).args([
        "-map",
        "0:v:0",
        "-fps_mode",
        "passthrough",
        "-f",
        "framemd5",
        "-",
    ]);
    cmd
}

/// The `idr_pic_id` of every IDR slice of `path`'s H.264 stream, in
/// decoding order, as ffmpeg's `trace_headers` bitstream filter reads them.
pub fn idr_pic_ids(path: &Path) -> Vec<u32> {
    let out = Command::new("ffmpeg")
        .args(["-nostdin", "-hide_banner", "-i"])
        .arg(path)
        .args(["-map", "0:v:0", "-c", "copy", "-bsf:v", "trace_headers"])
        .args(["-f", "null", "-"])
        .stdin(Stdio::null())
        .output()
        .expect("cannot run ffmpeg");
    assert!(out.status.success(), "{}", stderr(&out));
    stderr(&out)
        .lines()
        .filter(|l| l.split_whitespace().nth(4) == Some("idr_pic_id"))
        .map(|l| l.rsplit(' ').next().unwrap().parse().unwrap())
        .collect()
}

/// The hash column of `ffmpeg -f framemd5` output.
fn framemd5_hashes(out: &[u8]) -> Vec<String> {
    String::from_utf8_lossy(out)
        .lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            l.rsplit(',')
                .next()
                .unwrap_or_else(|| panic!("framemd5 line {l:?}"))
                .trim()
                .to_string()
        })
        .collect()
}

// -------------------------------------------------------------------- PSNR

/// PSNR in dB between two equally long 8-bit buffers (100 dB if identical).
pub fn psnr(a: &[u8], b: &[u8]) -> f64 {
    assert_eq!(a.len(), b.len(), "PSNR of buffers of different lengths");
    assert!(!a.is_empty(), "PSNR of empty buffers");
    let sse: u64 = a
        .iter()
        .zip(b)
        .map(|(&x, &y)| {
            let d = x as i64 - y as i64;
            (d * d) as u64
        })
        .sum();
    if sse == 0 {
        return 100.0;
    }
    let mse = sse as f64 / a.len() as f64;
    10.0 * (255.0f64 * 255.0 / mse).log10()
}

/// Mean over frames of the per-frame PSNR; both buffers hold whole frames of
/// `frame_len` bytes and must hold the same number of them.
pub fn mean_psnr(a: &[u8], b: &[u8], frame_len: usize) -> f64 {
    assert_eq!(
        a.len(),
        b.len(),
        "different number of frames: {} vs {}",
        a.len() / frame_len,
        b.len() / frame_len
    );
    assert_eq!(a.len() % frame_len, 0, "not a whole number of frames");
    let n = a.len() / frame_len;
    assert!(n > 0, "no frames");
    a.chunks_exact(frame_len)
        .zip(b.chunks_exact(frame_len))
        .map(|(x, y)| psnr(x, y))
        .sum::<f64>()
        / n as f64
}

// ------------------------------------------------------------ test pattern

/// Frame `t` of a smooth, deterministic test pattern: moving colour
/// gradients plus a moving soft-edged disc, packed RGB (w * h * 3 bytes).
pub fn pattern(width: u32, height: u32, t: u32) -> Vec<u8> {
    // The geometry is that of a canvas at least 64 px each way, so that a
    // tiny frame shows a smooth piece of the pattern rather than all of it.
    let (w, h) = (width.max(64) as f64, height.max(64) as f64);
    let t = t as f64;
    let tau = std::f64::consts::TAU;
    let radius = 0.15 * w.min(h);
    let soft = (0.4 * radius).max(6.0);
    let cx = w * (0.5 + 0.3 * (tau * t / 60.0).sin());
    let cy = h * (0.5 + 0.25 * (tau * t / 45.0 + 0.4).cos());
    let mut out = Vec::with_capacity(width as usize * height as usize * 3);
    for y in 0..height {
        let fy = y as f64 / h;
        for x in 0..width {
            let fx = x as f64 / w;
            let mut r = 0.5 + 0.35 * (tau * (0.8 * fx + 0.01 * t)).sin() + 0.1 * (tau * fy).cos();
            let mut g = 0.5 + 0.35 * (tau * (0.7 * fy - 0.013 * t + 0.2)).sin();
            let mut b = 0.5 + 0.4 * (tau * (0.5 * fx + 0.4 * fy + 0.008 * t)).cos();
            let d = ((x as f64 + 0.5 - cx).powi(2) + (y as f64 + 0.5 - cy).powi(2)).sqrt();
            // A soft edge (at least 6 px), so 4:2:0 chroma loses little.
            let a = ((radius - d) / soft + 0.5).clamp(0.0, 1.0);
            r = r * (1.0 - a) + a * 0.95;
            g = g * (1.0 - a) + a * 0.80;
            b = b * (1.0 - a) + a * 0.15;
            for c in [r, g, b] {
                out.push((c.clamp(0.0, 1.0) * 255.0).round() as u8);
            }
        }
    }
    out
}

/// The pattern frames `0..n`, concatenated (the reference for PSNR).
pub fn pattern_frames(w: u32, h: u32, n: u32) -> Vec<u8> {
    (0..n).flat_map(|t| pattern(w, h, t)).collect()
}

/// Mean PSNR of the movie at `path`, decoded by ffmpeg, against pattern
/// frames `0..n` of `w` x `h`.
pub fn pattern_psnr(path: &Path, w: u32, h: u32, n: u32) -> f64 {
    mean_psnr(
        &decode_rgb(path),
        &pattern_frames(w, h, n),
        (w * h * 3) as usize,
    )
}

/// Encodes `n` frames of the test pattern to `path`.
pub fn encode_pattern(path: &Path, config: WriterConfig, w: u32, h: u32, n: u32) -> Summary {
    encode_pattern_range(path, config, w, h, 0..n)
}

/// Encodes pattern frames `frames` (e.g. `30..90`: a part that continues
/// another) to `path`.
pub fn encode_pattern_range(
    path: &Path,
    config: WriterConfig,
    w: u32,
    h: u32,
    frames: Range<u32>,
) -> Summary {
    let mut writer = VideoWriter::create(path, config).expect("create");
    push_pattern(&mut writer, w, h, frames);
    writer.finish().expect("finish")
}

/// Pushes pattern frames `frames` of `w` x `h` into `writer`.
pub fn push_pattern(writer: &mut VideoWriter, w: u32, h: u32, frames: Range<u32>) {
    for t in frames {
        let rgb = pattern(w, h, t);
        writer
            .push_frame(Frame::new(&rgb, w, h, PixelLayout::Rgb8))
            .unwrap_or_else(|e| panic!("frame {t}: {e}"));
    }
}

/// The indices of the frames ffprobe flags as key frames.
pub fn keyframes(path: &Path) -> Vec<usize> {
    frame_infos(path)
        .iter()
        .enumerate()
        .filter(|(_, f)| f.key_frame)
        .map(|(i, _)| i)
        .collect()
}

/// A frame that is pure red on the left half and pure blue on the right.
pub fn red_blue(width: u32, height: u32) -> Vec<u8> {
    let mut out = Vec::with_capacity(width as usize * height as usize * 3);
    for _ in 0..height {
        for x in 0..width {
            if x < width / 2 {
                out.extend_from_slice(&[255, 0, 0]);
            } else {
                out.extend_from_slice(&[0, 0, 255]);
            }
        }
    }
    out
}

// ---------------------------------------------------------- pixel layouts

/// BT.709 luma of an RGB pixel, full range, rounded: what a gray layout
/// holds for that colour in these tests.
pub fn gray_of(r: u8, g: u8, b: u8) -> u8 {
    (0.2126 * r as f64 + 0.7152 * g as f64 + 0.0722 * b as f64).round() as u8
}

/// Whether the layout has only luma (its decoded picture is gray).
pub fn is_gray(layout: PixelLayout) -> bool {
    matches!(
        layout,
        PixelLayout::Gray8 | PixelLayout::GrayAlpha8 | PixelLayout::Gray16
    )
}

/// The RGB picture a frame made by [`layout_bytes`] from `rgb` should decode
/// to: `rgb` itself, or its gray version for gray layouts.
pub fn expected_rgb(rgb: &[u8], layout: PixelLayout) -> Vec<u8> {
    if !is_gray(layout) {
        return rgb.to_vec();
    }
    rgb.chunks_exact(3)
        .flat_map(|p| {
            let g = gray_of(p[0], p[1], p[2]);
            [g, g, g]
        })
        .collect()
}

/// BT.709 limited-range YCbCr of one RGB pixel (unrounded).
pub fn ycbcr_709(r: u8, g: u8, b: u8) -> (f64, f64, f64) {
    let (kr, kb) = (0.2126, 0.0722);
    let (r, g, b) = (r as f64 / 255.0, g as f64 / 255.0, b as f64 / 255.0);
    let y = kr * r + (1.0 - kr - kb) * g + kb * b;
    let cb = (b - y) / (2.0 * (1.0 - kb));
    let cr = (r - y) / (2.0 * (1.0 - kr));
    (16.0 + 219.0 * y, 128.0 + 224.0 * cb, 128.0 + 224.0 * cr)
}

/// Byte that fills row padding, so that reading it shows.
pub const PAD_BYTE: u8 = 0xA7;

/// `rgb` (packed, w x h) in `layout`, rows `stride` bytes apart (`None`:
/// packed). Padding bytes are [`PAD_BYTE`]; alpha varies across the picture
/// (it must be ignored). 16-bit samples are native-endian `v * 257`.
pub fn layout_bytes(
    rgb: &[u8],
    w: u32,
    h: u32,
    layout: PixelLayout,
    stride: Option<usize>,
) -> Vec<u8> {
    let (wu, hu) = (w as usize, h as usize);
    assert_eq!(rgb.len(), wu * hu * 3);
    let px = |x: usize, y: usize| {
        let i = (y * wu + x) * 3;
        (rgb[i], rgb[i + 1], rgb[i + 2])
    };
    let alpha = |x: usize, y: usize| ((x * 37 + y * 11) % 256) as u8;
    if layout == PixelLayout::Yuv420p {
        let stride = stride.unwrap_or(wu);
        assert!(stride >= wu);
        let (cw, ch, cs) = (wu.div_ceil(2), hu.div_ceil(2), stride.div_ceil(2));
        let mut out = vec![PAD_BYTE; stride * hu + 2 * cs * ch];
        for y in 0..hu {
            for x in 0..wu {
                let (r, g, b) = px(x, y);
                out[y * stride + x] = ycbcr_709(r, g, b).0.round() as u8;
            }
        }
        let u0 = stride * hu;
        let v0 = u0 + cs * ch;
        for cy in 0..ch {
            for cx in 0..cw {
                let (mut su, mut sv, mut n) = (0.0, 0.0, 0.0);
                for y in 2 * cy..(2 * cy + 2).min(hu) {
                    for x in 2 * cx..(2 * cx + 2).min(wu) {
                        let (r, g, b) = px(x, y);
                        let (_, u, v) = ycbcr_709(r, g, b);
                        su += u;
                        sv += v;
                        n += 1.0;
                    }
                }
                out[u0 + cy * cs + cx] = (su / n).round() as u8;
                out[v0 + cy * cs + cx] = (sv / n).round() as u8;
            }
        }
        return out;
    }
    let row = wu * layout.bytes_per_pixel();
    let stride = stride.unwrap_or(row);
    assert!(stride >= row);
    let mut out = vec![PAD_BYTE; stride * hu];
    for y in 0..hu {
        let dst = &mut out[y * stride..y * stride + row];
        let mut at = 0;
        for x in 0..wu {
            let (r, g, b) = px(x, y);
            let gray = gray_of(r, g, b);
            let a = alpha(x, y);
            let samples: &[u8] = match layout {
                PixelLayout::Gray8 | PixelLayout::Gray16 => &[gray],
                PixelLayout::GrayAlpha8 => &[gray, a],
                PixelLayout::Rgb8 | PixelLayout::Rgb16 => &[r, g, b],
                PixelLayout::Rgba8 | PixelLayout::Rgba16 => &[r, g, b, a],
                PixelLayout::Bgr8 => &[b, g, r],
                PixelLayout::Bgra8 => &[b, g, r, a],
                other => panic!("layout {other:?} not handled"),
            };
            for &s in samples {
                if layout.bytes_per_sample() == 2 {
                    dst[at..at + 2].copy_from_slice(&(s as u16 * 257).to_ne_bytes());
                    at += 2;
                } else {
                    dst[at] = s;
                    at += 1;
                }
            }
        }
        assert_eq!(at, row);
    }
    out
}

/// Checks that decoded rgb24 (w x h) is within `tol` levels of `want`
/// everywhere at least `margin` pixels away from the vertical line x = w/2
/// (the red/blue boundary) and from the picture edges.
pub fn assert_close_away_from_middle(
    got: &[u8],
    want: &[u8],
    w: u32,
    h: u32,
    margin: u32,
    tol: u8,
    what: &str,
) {
    assert_eq!(got.len(), want.len(), "{what}: decoded size");
    for y in 0..h {
        for x in 0..w {
            if x.abs_diff(w / 2) < margin || x < margin / 2 || x + margin / 2 >= w {
                continue;
            }
            let i = ((y * w + x) * 3) as usize;
            let (g, e) = (&got[i..i + 3], &want[i..i + 3]);
            let ok = g.iter().zip(e).all(|(&a, &b)| a.abs_diff(b) <= tol);
            assert!(
                ok,
                "{what}: pixel ({x},{y}) decoded as {g:?}, expected {e:?} (within {tol})"
            );
        }
    }
}

// ------------------------------------------------------------- MP4 boxes

/// Top-level boxes of an MP4 as (type, size), from their 8-byte headers
/// (64-bit `largesize` and size 0 = "to the end" handled).
pub fn top_level_boxes(bytes: &[u8]) -> Vec<(String, u64)> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while at < bytes.len() {
        assert!(
            at + 8 <= bytes.len(),
            "truncated box header at {at} of {}",
            bytes.len()
        );
        let size32 = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as u64;
        let kind = String::from_utf8_lossy(&bytes[at + 4..at + 8]).into_owned();
        let size = match size32 {
            0 => (bytes.len() - at) as u64,
            1 => u64::from_be_bytes(bytes[at + 8..at + 16].try_into().unwrap()),
            s => s,
        };
        assert!(size >= 8, "box {kind:?} at {at} has size {size}");
        assert!(
            at as u64 + size <= bytes.len() as u64,
            "box {kind:?} at {at} (size {size}) runs past the end ({})",
            bytes.len()
        );
        out.push((kind, size));
        at += size as usize;
    }
    out
}

/// The fragments (a `moof` and the whole `mdat` after it) that a snapshot
/// of a movie still being written holds. The muxer thread writes a
/// fragment in more than one call, so the snapshot may end inside a box:
/// that box and what follows are not counted (where [`top_level_boxes`]
/// would take it for a broken file).
pub fn fragments_written(bytes: &[u8]) -> usize {
    let mut kinds = Vec::new();
    let mut at = 0usize;
    while at + 8 <= bytes.len() {
        let size = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        assert!(size >= 8, "box at {at} has size {size}");
        if at + size > bytes.len() {
            break;
        }
        kinds.push(&bytes[at + 4..at + 8]);
        at += size;
    }
    kinds
        .windows(2)
        .filter(|pair| pair[0] == b"moof" && pair[1] == b"mdat")
        .count()
}

/// Just the types of [`top_level_boxes`].
pub fn box_kinds(bytes: &[u8]) -> Vec<String> {
    top_level_boxes(bytes).into_iter().map(|(k, _)| k).collect()
}

// ------------------------------------------------------------------ sinks

/// A `Cursor<Vec<u8>>` the test can still read after the writer took it.
#[derive(Clone, Default)]
pub struct SharedCursor(pub Arc<Mutex<Cursor<Vec<u8>>>>);

impl SharedCursor {
    pub fn bytes(&self) -> Vec<u8> {
        self.0.lock().unwrap().get_ref().clone()
    }
}
impl Read for SharedCursor {
    fn read(&mut self, b: &mut [u8]) -> io::Result<usize> {
        self.0.lock().unwrap().read(b)
    }
}
impl Write for SharedCursor {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().write(b)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
impl Seek for SharedCursor {
    fn seek(&mut self, p: SeekFrom) -> io::Result<u64> {
        self.0.lock().unwrap().seek(p)
    }
}

/// A write-only `Vec<u8>` sink the test can still read after the writer took it.
#[derive(Clone, Default)]
pub struct SharedVec(pub Arc<Mutex<Vec<u8>>>);

impl SharedVec {
    pub fn bytes(&self) -> Vec<u8> {
        self.0.lock().unwrap().clone()
    }
}
impl Write for SharedVec {
    fn write(&mut self, b: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(b);
        Ok(b.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

// -------------------------------------------------------- temp directories

/// A fresh directory for one test: `$TMPDIR/framesink-test-<pid>-<name>`.
/// Removed when dropped, unless the test is panicking (kept for inspection).
pub struct TestDir {
    path: PathBuf,
}

impl TestDir {
    pub fn new(name: &str) -> Self {
        let path =
            std::env::temp_dir().join(format!("framesink-test-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&path);
        std::fs::create_dir_all(&path)
            .unwrap_or_else(|e| panic!("cannot create {}: {e}", path.display()));
        TestDir { path }
    }

    /// A path for `file` inside the directory.
    pub fn join(&self, file: &str) -> PathBuf {
        self.path.join(file)
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TestDir {
    fn drop(&mut self) {
        if std::thread::panicking() {
            eprintln!("keeping {} for inspection", self.path.display());
        } else {
            let _ = std::fs::remove_dir_all(&self.path);
        }
    }
}
