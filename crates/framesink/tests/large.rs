//! A movie past 4 GiB: 64-bit chunk offsets (`co64`) and a 64-bit `mdat`
//! after faststart, checked with Debian's ffprobe (packet count, the boxes it
//! reads) and ffmpeg (the first and the last frame decode to the pixels of
//! the same packets in a tiny movie).
//!
//! Encoding 4 GiB of video would take far too long, so two 1080p noise
//! frames are encoded once as IDR frames and their packets are joined
//! alternately (consecutive IDRs keep different `idr_pic_id`s) until the
//! file passes 4.3 GiB.

mod common;

use std::fs::File;
use std::io::{Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::process::Command;

use common::{framemd5, run_tool};
use framesink::color::{Converter, Picture, YuvPicture};
use framesink::encode::{factory, Packet};
use framesink::mux::Output;
use framesink::{Codec, Frame, Joiner, PixelLayout, StreamInfo, WriterConfig};

const W: u32 = 1920;
const H: u32 = 1080;
/// Ticks a frame: 30 fps in a 90 kHz timescale.
const TICKS: u64 = 3000;
/// The movie's size must pass this.
const TARGET: u64 = 4_300 * 1024 * 1024 * 1024 / 1000; // 4.3 GiB

/// Removes a file when dropped, also when the test fails: 4 GiB must not be left behind.
struct RemoveOnDrop(PathBuf);

impl Drop for RemoveOnDrop {
    fn drop(&mut self) {
        let _ = std::fs::remove_file(&self.0);
    }
}

/// Packed RGB noise (xorshift), in 4x4 blocks with finer noise on top: it
/// compresses a little, like a noisy picture, not at all like a plot.
fn noise_frame(seed: u64) -> Vec<u8> {
    let mut s = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let mut next = move || {
        s ^= s << 13;
        s ^= s >> 7;
        s ^= s << 17;
        s
    };
    let (bw, bh) = (W as usize / 4, H as usize / 4);
    let blocks: Vec<[u8; 3]> = (0..bw * bh)
        .map(|_| {
            let r = next();
            [r as u8, (r >> 8) as u8, (r >> 16) as u8]
        })
        .collect();
    let mut out = Vec::with_capacity((W * H * 3) as usize);
    for y in 0..H as usize {
        for x in 0..W as usize {
            let b = blocks[(y / 4) * bw + x / 4];
            let fine = next();
            for (c, &v) in b.iter().enumerate() {
                let d = ((fine >> (8 * c)) as u8 % 32) as i16 - 16;
                out.push((v as i16 + d).clamp(0, 255) as u8);
            }
        }
    }
    out
}

/// Two different noise frames encoded by one H.264 encoder, each as an IDR
/// frame, with the stream description their packets belong to.
fn two_idr_packets() -> (StreamInfo, [Vec<u8>; 2]) {
    let config = WriterConfig::default().with_quality(80);
    let make = factory(Codec::H264, PixelLayout::Rgb8, &config, (W, H));
    let mut encoder = make().expect("encoder");
    let mut converter = Converter::new(config.matrix);
    let mut encoded = Vec::new();
    for seed in [1, 2] {
        let rgb = noise_frame(seed);
        let mut yuv = YuvPicture::default();
        converter
            .convert(&Frame::new(&rgb, W, H, PixelLayout::Rgb8), &mut yuv, (W, H))
            .expect("convert");
        encoder
            .encode(&Picture::Yuv(yuv), true, &mut encoded)
            .expect("encode");
    }
    encoder.flush(&mut encoded).expect("flush");
    assert_eq!(encoded.len(), 2, "one packet a picture");
    assert!(encoded.iter().all(|e| e.keyframe), "both are IDR frames");
    let mut info = StreamInfo::new(Codec::H264, W, H, 90_000, TICKS as u32);
    info.encoder = config.encoder_name(Codec::H264);
    info.config = encoder.codec_config().cloned();
    assert!(info.config.is_some(), "no SPS/PPS after a keyframe");
    let b = encoded.pop().unwrap().data;
    let a = encoded.pop().unwrap().data;
    (info, [a, b])
}

/// Joins `frames` packets, `packets[i % 2]` each, into a faststart MP4 at `path`.
fn write_movie(path: &Path, info: &StreamInfo, packets: &[Vec<u8>; 2], frames: u64) -> u64 {
    let file = File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .unwrap_or_else(|e| panic!("create {}: {e}", path.display()));
    let mut joiner = Joiner::new(Output::Seekable(Box::new(file)));
    // One segment per pair: each segment is a closed run of GOPs.
    for pair in 0..frames.div_ceil(2) {
        joiner.begin(info, &format!("pair {pair}")).unwrap();
        let n = (frames - 2 * pair).min(2);
        for i in 0..n {
            joiner
                .packet(Packet {
                    data: packets[i as usize].clone(),
                    keyframe: true,
                    index: i,
                    pts: i * TICKS,
                    image: None,
                })
                .unwrap_or_else(|e| panic!("frame {}: {e}", 2 * pair + i));
        }
        joiner.end(n * TICKS).unwrap();
    }
    let summary = joiner.finish().expect("finish");
    assert_eq!(summary.frames, frames);
    summary.bytes
}

/// Reads `len` bytes at `at`.
fn read_at(file: &mut File, at: u64, len: usize) -> Vec<u8> {
    let mut buf = vec![0u8; len];
    file.seek(SeekFrom::Start(at)).unwrap();
    file.read_exact(&mut buf).unwrap();
    buf
}

/// The top-level boxes of the file as (type, offset, header length, size),
/// from their headers only (a 4 GiB file is not read into memory).
fn top_level(file: &mut File) -> Vec<(String, u64, u64, u64)> {
    let len = file.metadata().unwrap().len();
    let mut out = Vec::new();
    let mut at = 0u64;
    while at < len {
        assert!(at + 8 <= len, "truncated box header at {at}");
        let h = read_at(file, at, 8);
        let kind = String::from_utf8_lossy(&h[4..8]).into_owned();
        let (size, header) = match u32::from_be_bytes(h[..4].try_into().unwrap()) {
            1 => {
                let big = read_at(file, at + 8, 8);
                (u64::from_be_bytes(big.try_into().unwrap()), 16)
            }
            0 => (len - at, 8),
            s => (s as u64, 8),
        };
        assert!(
            size >= header && at + size <= len,
            "box {kind} at {at}: size {size}"
        );
        out.push((kind, at, header, size));
        at += size;
    }
    out
}

/// The payloads of the child boxes of `data` (a box's payload), by type.
fn children(data: &[u8]) -> Vec<(String, &[u8])> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while at + 8 <= data.len() {
        let size = u32::from_be_bytes(data[at..at + 4].try_into().unwrap()) as usize;
        let kind = String::from_utf8_lossy(&data[at + 4..at + 8]).into_owned();
        assert!(
            size >= 8 && at + size <= data.len(),
            "box {kind}: size {size}"
        );
        out.push((kind, &data[at + 8..at + size]));
        at += size;
    }
    assert_eq!(at, data.len(), "trailing bytes after the boxes");
    out
}

fn child<'a>(data: &'a [u8], kind: &str) -> &'a [u8] {
    children(data)
        .into_iter()
        .find(|(k, _)| k == kind)
        .map(|(_, d)| d)
        .unwrap_or_else(|| panic!("no {kind} box"))
}

fn be32(b: &[u8], at: usize) -> u32 {
    u32::from_be_bytes(b[at..at + 4].try_into().unwrap())
}

fn be64(b: &[u8], at: usize) -> u64 {
    u64::from_be_bytes(b[at..at + 8].try_into().unwrap())
}

/// (time in seconds, md5) of every frame ffmpeg decodes with these input
/// options (`-sseof`, ...) from `path`, from its framemd5 output.
fn timed_md5(path: &Path, input_args: &[&str], output_args: &[&str]) -> Vec<(f64, String)> {
    let out = run_tool(
        Command::new("ffmpeg")
            .args(["-nostdin", "-v", "error"])
            .args(input_args)
            .arg("-i")
            .arg(path)
            .args(["-map", "0:v:0", "-fps_mode", "passthrough"])
            .args(output_args)
            .args(["-f", "framemd5", "-"]),
    );
    let text = String::from_utf8_lossy(&out);
    let tb = text
        .lines()
        .find_map(|l| l.strip_prefix("#tb 0:"))
        .map(|t| {
            let (n, d) = t.trim().split_once('/').expect("a time base n/d");
            n.parse::<f64>().unwrap() / d.parse::<f64>().unwrap()
        })
        .expect("framemd5 names its time base");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.trim().is_empty())
        .map(|l| {
            let f: Vec<&str> = l.split(',').map(str::trim).collect();
            (f[1].parse::<f64>().unwrap() * tb, f[5].to_string())
        })
        .collect()
}

#[test]
fn a_movie_past_4_gib_has_64_bit_offsets_and_its_last_frame_decodes() {
    // On /work (the target directory), not a possibly small /tmp.
    let dir =
        PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join(format!("large-{}", std::process::id()));
    std::fs::create_dir_all(&dir).unwrap();
    let big = RemoveOnDrop(dir.join("big.mp4"));
    let tiny = RemoveOnDrop(dir.join("tiny.mp4"));

    let (info, packets) = two_idr_packets();
    let pair = (packets[0].len() + packets[1].len()) as u64;

    // The same two packets alone: what each must decode to.
    write_movie(&tiny.0, &info, &packets, 2);
    let want = framemd5(&tiny.0);
    assert_eq!(want.len(), 2);
    assert_ne!(want[0], want[1], "the two frames differ");

    // An even count, so the last frame is the second packet.
    let frames = 2 * TARGET.div_ceil(pair);
    let bytes = write_movie(&big.0, &info, &packets, frames);
    let mut file = File::open(&big.0).unwrap();
    let len = file.metadata().unwrap().len();
    assert_eq!(bytes, len, "the summary's size is the file's");
    assert!(len > TARGET, "{len} bytes");

    // Faststart: ftyp, moov, (free), mdat with a 64-bit size, to the end.
    let boxes = top_level(&mut file);
    let kinds: Vec<&str> = boxes.iter().map(|b| b.0.as_str()).collect();
    assert!(
        kinds == ["ftyp", "moov", "mdat"] || kinds == ["ftyp", "moov", "free", "mdat"],
        "{kinds:?}"
    );
    let (_, mdat_at, mdat_header, mdat_size) = boxes.last().cloned().unwrap();
    assert_eq!(mdat_header, 16, "a 4 GiB mdat needs its 64-bit size");
    assert_eq!(mdat_at + mdat_size, len);
    let (_, moov_at, _, moov_size) = boxes[1].clone();
    let moov = read_at(&mut file, moov_at + 8, (moov_size - 8) as usize);
    let stbl = child(child(child(child(&moov, "trak"), "mdia"), "minf"), "stbl");
    let kinds: Vec<String> = children(stbl).into_iter().map(|(k, _)| k).collect();
    assert!(
        kinds.iter().any(|k| k == "co64") && !kinds.iter().any(|k| k == "stco"),
        "stbl holds {kinds:?}: 64-bit chunk offsets expected"
    );
    // Chunk offsets: from the mdat's data on, the last past 4 GiB and its
    // samples ending at the end of the file (stsz: every sample's size).
    let co64 = child(stbl, "co64");
    let chunks = be32(co64, 4) as usize;
    assert_eq!(co64.len(), 8 + 8 * chunks);
    let offsets: Vec<u64> = (0..chunks).map(|i| be64(co64, 8 + 8 * i)).collect();
    assert_eq!(offsets[0], mdat_at + mdat_header);
    assert!(offsets.windows(2).all(|w| w[0] < w[1]));
    assert!(*offsets.last().unwrap() > u32::MAX as u64);
    let stsz = child(stbl, "stsz");
    assert_eq!((be32(stsz, 4), be32(stsz, 8) as u64), (0, frames));
    let sizes: Vec<u64> = (0..frames as usize)
        .map(|i| be32(stsz, 12 + 4 * i) as u64)
        .collect();
    assert_eq!(sizes.iter().sum::<u64>(), mdat_size - mdat_header);
    assert_eq!(
        (sizes[0], sizes[frames as usize - 1]),
        (packets[0].len() as u64, packets[1].len() as u64)
    );
    drop(file);

    // ffprobe reads the 64-bit offsets (its trace names the boxes it parses)
    // and counts every packet.
    let trace = Command::new("ffprobe")
        .args(["-v", "trace", "-i"])
        .arg(&big.0)
        .output()
        .unwrap();
    assert!(trace.status.success());
    let trace = String::from_utf8_lossy(&trace.stderr);
    assert!(
        trace.contains("type:'co64'") && !trace.contains("type:'stco'"),
        "ffprobe's trace shows no co64 box"
    );
    let counts = run_tool(
        Command::new("ffprobe")
            .args([
                "-v",
                "error",
                "-count_packets",
                "-select_streams",
                "v:0",
                "-show_entries",
                "stream=nb_read_packets,nb_frames,width,height",
                "-of",
                "csv=p=0",
            ])
            .arg(&big.0),
    );
    assert_eq!(
        String::from_utf8_lossy(&counts).trim(),
        format!("{W},{H},{frames},{frames}"),
        "ffprobe: width, height, frames in the index, packets read"
    );

    // The first frame, and the last ones (seeking from the end: the last
    // second's frames, times kept), decode to the packets' own pixels.
    let first = timed_md5(&big.0, &[], &["-frames:v", "1"]);
    assert_eq!(first.len(), 1);
    assert_eq!(first[0].1, want[0], "frame 0");
    let last = timed_md5(&big.0, &["-copyts", "-sseof", "-1"], &[]);
    assert!(
        last.len() >= 2,
        "{} frames from the last second",
        last.len()
    );
    let end = last.len() - 1;
    assert_eq!(last[end].1, want[1], "the last frame ({frames} frames)");
    assert_eq!(last[end - 1].1, want[0], "the frame before the last");
    let t_last = (frames - 1) as f64 / 30.0;
    assert!(
        (last[end].0 - t_last).abs() < 1e-3,
        "the last frame is at {} s, not {t_last} s",
        last[end].0
    );
    drop((big, tiny));
    let _ = std::fs::remove_dir(&dir);
}
