//! Reads a PNG or an APNG: its chunks walked and checked (each length
//! against the file before anything is read or allocated for it, each CRC,
//! the animation's sequence numbers), and where each frame's compressed
//! data lies; a frame's data is read when its packet is asked for. A PNG
//! without an animation (no acTL) is a movie of one frame.

use std::io::{BufReader, Read, Seek, SeekFrom};
use std::ops::Range;

use super::{check_canvas, keyframes, DemuxError, Demuxer, SampleEntry};
use crate::config::Codec;
use crate::encode::{Blend, CodecConfig, Dispose, ImageInfo, Packet, Rect};
use crate::stream::StreamInfo;

const SIGNATURE: &[u8; 8] = b"\x89PNG\r\n\x1a\n";

/// The longest chunk PNG allows (2^31 - 1 bytes).
const MAX_CHUNK: u32 = i32::MAX as u32;

/// The most frames an APNG read may hold.
const MAX_FRAMES: u32 = 10_000_000;

/// The fewest bytes a frame takes in a file: its fcTL chunk (12 bytes of
/// chunk and 26 of data); its data chunk comes on top.
const FRAME_BYTES: u64 = 38;

/// The finest timescale used for delays of different denominators (their
/// least common multiple, when it is no larger); else milliseconds.
const MAX_TIMESCALE: u64 = u32::MAX as u64;

/// A frame: where its data lies in the file and how it is drawn.
#[derive(Clone, Debug)]
struct PngFrame {
    /// Its pieces (IDAT payloads, or fdAT payloads after their sequence
    /// numbers) in [`PngDemuxer::pieces`].
    pieces: Range<usize>,
    rect: Rect,
    /// As stored: `delay_num`, `delay_den`.
    delay: (u16, u16),
    dispose: Dispose,
    blend: Blend,
    pts: u64,
    keyframe: bool,
}

/// A PNG or APNG whose chunks are read and checked: its frames, each read
/// from the file when asked for.
pub(crate) struct PngDemuxer<R> {
    reader: R,
    info: StreamInfo,
    /// The end of the last frame, in ticks.
    duration: u64,
    /// PLTE's data (indexed colour only), tRNS's data (when it is valid).
    plte: Vec<u8>,
    trns: Vec<u8>,
    frames: Vec<PngFrame>,
    /// (offset in the file, length) of each piece of data.
    pieces: Vec<(u64, u32)>,
    /// The next frame handed out.
    next: usize,
}

type Check<T> = Result<T, String>;

/// A chunk's type as text.
fn name(kind: &[u8; 4]) -> String {
    String::from_utf8_lossy(kind).into_owned()
}

fn be32(b: &[u8]) -> u32 {
    u32::from_be_bytes([b[0], b[1], b[2], b[3]])
}

fn be16(b: &[u8]) -> u16 {
    u16::from_be_bytes([b[0], b[1]])
}

/// What the IHDR chunk says, checked.
struct Header {
    width: u32,
    height: u32,
    /// Bits per sample (checked here; the decoder reads it from IHDR).
    #[allow(dead_code)]
    depth: u8,
    colour: u8,
}

fn header(d: &[u8]) -> Check<Header> {
    if d.len() != 13 {
        return Err(format!(
            "its IHDR chunk holds {} bytes; it holds 13",
            d.len()
        ));
    }
    let (width, height, depth, colour) = (be32(&d[0..]), be32(&d[4..]), d[8], d[9]);
    if width > MAX_CHUNK || height > MAX_CHUNK {
        return Err(format!(
            "its IHDR says {width}x{height} pixels; PNG sizes are at most 2^31 - 1"
        ));
    }
    let depths: &[u8] = match colour {
        0 => &[1, 2, 4, 8, 16],
        3 => &[1, 2, 4, 8],
        2 | 4 | 6 => &[8, 16],
        _ => {
            return Err(format!(
                "its IHDR says colour type {colour}; PNG's are 0, 2, 3, 4 and 6"
            ))
        }
    };
    if !depths.contains(&depth) {
        return Err(format!(
            "its IHDR says bit depth {depth} for colour type {colour}, which allows {depths:?}"
        ));
    }
    if d[10] != 0 || d[11] != 0 || d[12] > 1 {
        return Err(format!(
            "its IHDR says compression {}, filter {}, interlace {}; PNG has compression 0, filter 0, interlace 0 or 1",
            d[10], d[11], d[12]
        ));
    }
    check_canvas(width, height)?;
    Ok(Header {
        width,
        height,
        depth,
        colour,
    })
}

/// An fcTL chunk (after its sequence number), checked against the canvas.
fn frame_control(d: &[u8], i: usize, canvas: (u32, u32), at: u64) -> Check<PngFrame> {
    let rect = Rect {
        width: be32(&d[0..]),
        height: be32(&d[4..]),
        left: be32(&d[8..]),
        top: be32(&d[12..]),
    };
    let (dispose, blend) = (d[20], d[21]);
    let what = format!("frame {i}'s fcTL chunk (at byte {at})");
    if rect.width == 0
        || rect.height == 0
        || rect.left as u64 + rect.width as u64 > canvas.0 as u64
        || rect.top as u64 + rect.height as u64 > canvas.1 as u64
    {
        return Err(format!(
            "{what} places {}x{} pixels at ({}, {}), which is not within the {}x{} canvas",
            rect.width, rect.height, rect.left, rect.top, canvas.0, canvas.1
        ));
    }
    if i == 0 && (rect.left, rect.top, rect.width, rect.height) != (0, 0, canvas.0, canvas.1) {
        return Err(format!(
            "{what} places {}x{} pixels at ({}, {}); the first frame covers the {}x{} canvas",
            rect.width, rect.height, rect.left, rect.top, canvas.0, canvas.1
        ));
    }
    let dispose = match dispose {
        0 => Dispose::Keep,
        1 => Dispose::Background,
        2 => Dispose::Previous,
        n => return Err(format!("{what} has dispose_op {n}; APNG's are 0, 1 and 2")),
    };
    let blend = match blend {
        0 => Blend::Source,
        1 => Blend::Over,
        n => return Err(format!("{what} has blend_op {n}; APNG's are 0 and 1")),
    };
    Ok(PngFrame {
        pieces: 0..0,
        rect,
        delay: (be16(&d[16..]), be16(&d[18..])),
        dispose,
        blend,
        pts: 0,
        keyframe: false,
    })
}

/// Reads chunk data through the CRC, keeping at most `keep` bytes.
fn read_data<R: Read>(
    r: &mut R,
    len: u32,
    keep: usize,
    crc: &mut crc32fast::Hasher,
) -> std::io::Result<Vec<u8>> {
    let mut kept = vec![0; keep.min(len as usize)];
    r.read_exact(&mut kept)?;
    crc.update(&kept);
    let mut left = len as usize - kept.len();
    let mut buf = [0u8; 1 << 16];
    while left > 0 {
        let n = left.min(buf.len());
        r.read_exact(&mut buf[..n])?;
        crc.update(&buf[..n]);
        left -= n;
    }
    Ok(kept)
}

/// Where the image data stands in the walk.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Idat {
    NotYet,
    /// The last chunk was IDAT.
    In,
    /// A chunk of another type came after IDAT.
    Done,
}

impl<R: Read + Seek> PngDemuxer<R> {
    /// Whether its frames can show transparency: an alpha channel (colour
    /// types 4 and 6), a tRNS chunk, or disposal to transparent black.
    pub(crate) fn has_alpha(&self) -> bool {
        let colour_type = match &self.info.config {
            Some(CodecConfig::Png { ihdr }) => ihdr.get(9).copied(),
            _ => None,
        };
        matches!(colour_type, Some(4 | 6))
            || !self.trns.is_empty()
            || self.frames.iter().any(|f| f.dispose == Dispose::Background)
    }

    /// Reads the chunks of a PNG or APNG, checking them all, before any
    /// frame is read.
    ///
    /// Times are the delays as stored (a delay of 0 is 0: "as quickly as
    /// possible"), exact: in ticks of the delays' common denominator (a
    /// `delay_den` of 0 meaning 100), or of their least common multiple
    /// when they differ, if it fits 32 bits and the times 64; else in
    /// milliseconds, rounded. A plain PNG is one frame at 0 that lasts 0.
    ///
    /// A frame is a keyframe as [`keyframes`] says, a frame setting every
    /// pixel of its rectangle when its blend_op is SOURCE: the first frame;
    /// a frame that covers the whole canvas with blend_op SOURCE (and is not
    /// restored after); a frame after one that cleared the whole canvas.
    pub(crate) fn open(mut reader: R) -> Result<Self, DemuxError> {
        let len = reader.seek(SeekFrom::End(0))?;
        reader.seek(SeekFrom::Start(0))?;
        let walk = Walk::run(&mut BufReader::new(&mut reader), len)?;
        let Walk {
            header: h,
            ihdr,
            plte,
            trns,
            actl,
            mut frames,
            default,
            pieces,
            ..
        } = walk;
        let (width, height) = (h.width, h.height);
        let loops = match actl {
            Some((count, plays)) => {
                if frames.len() as u64 != count as u64 {
                    return Err(format!(
                        "its acTL chunk says {count} frames, but it holds {} (fcTL chunks)",
                        frames.len()
                    )
                    .into());
                }
                match plays {
                    0 => None,
                    n => Some(n.min(u16::MAX as u32) as u16),
                }
            }
            None => {
                frames = vec![PngFrame {
                    pieces: default,
                    rect: Rect {
                        left: 0,
                        top: 0,
                        width,
                        height,
                    },
                    delay: (0, 1),
                    dispose: Dispose::Keep,
                    blend: Blend::Source,
                    pts: 0,
                    keyframe: true,
                }];
                Some(1)
            }
        };
        let whole = |r: Rect| (r.width, r.height) == (width, height);
        let what = frames
            .iter()
            .map(|f| (whole(f.rect), f.blend == Blend::Source, f.dispose));
        let keys = keyframes(what);
        for (f, keyframe) in frames.iter_mut().zip(keys) {
            f.keyframe = keyframe;
        }
        let (timescale, duration) = time(&mut frames);
        let mut info = StreamInfo::new(Codec::Png, width, height, timescale, 0);
        info.config = Some(CodecConfig::Png { ihdr });
        info.loops = loops;
        Ok(PngDemuxer {
            reader,
            info,
            duration,
            plte: if h.colour == 3 { plte } else { Vec::new() },
            trns,
            frames,
            pieces,
            next: 0,
        })
    }
}

/// Sets each frame's pts from the delays; returns (timescale, duration).
fn time(frames: &mut [PngFrame]) -> (u32, u64) {
    let den = |f: &PngFrame| match f.delay.1 {
        0 => 100,
        d => d as u64,
    };
    let mut scale = 1u64;
    for f in frames.iter() {
        let d = den(f);
        scale = scale / gcd(scale, d) * d;
        if scale > MAX_TIMESCALE {
            break;
        }
    }
    if scale <= MAX_TIMESCALE {
        let mut at = 0u64;
        let exact = frames.iter_mut().all(|f| {
            f.pts = at;
            let step = f.delay.0 as u64 * (scale / den(f));
            match at.checked_add(step) {
                Some(next) => {
                    at = next;
                    true
                }
                None => false,
            }
        });
        if exact {
            return (scale as u32, at);
        }
    }
    // Milliseconds: each time rounded from the running sum of the delays,
    // so that rounding errors do not add up.
    let mut seconds = 0f64;
    for f in frames.iter_mut() {
        f.pts = (seconds * 1000.0).round() as u64;
        seconds += f.delay.0 as f64 / den(f) as f64;
    }
    (1000, (seconds * 1000.0).round() as u64)
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

/// What a walk through the chunks found.
struct Walk {
    header: Header,
    ihdr: Vec<u8>,
    plte: Vec<u8>,
    trns: Vec<u8>,
    /// acTL: (num_frames, num_plays).
    actl: Option<(u32, u32)>,
    frames: Vec<PngFrame>,
    /// The IDAT pieces (the default image, whether or not it is frame 0).
    default: Range<usize>,
    pieces: Vec<(u64, u32)>,
    /// The next sequence number expected.
    sequence: u32,
    idat: Idat,
    /// Frame 0's data is the IDAT (its fcTL came first).
    idat_is_frame: bool,
}

impl Walk {
    /// Walks the chunks of a PNG of `len` bytes from its start, up to IEND.
    fn run<R: Read>(r: &mut R, len: u64) -> Check<Walk> {
        let io = |e: std::io::Error, at: u64| format!("it cannot be read at byte {at}: {e}");
        if len < 8 {
            return Err(format!(
                "it is truncated: {len} bytes, too few for a PNG's signature (8 bytes)"
            ));
        }
        let mut signature = [0u8; 8];
        r.read_exact(&mut signature).map_err(|e| io(e, 0))?;
        if &signature != SIGNATURE {
            let shown: String = signature.iter().map(|b| format!("{b:02x}")).collect();
            return Err(format!(
                "it is not a PNG (it starts with bytes {shown}; a PNG starts with 89504e470d0a1a0a)"
            ));
        }
        let mut walk: Option<Walk> = None;
        let mut at = 8u64;
        loop {
            let left = len - at;
            if left == 0 {
                return Err(format!(
                    "it is truncated: it ends at byte {at} without its IEND chunk"
                ));
            }
            if left < 12 {
                return Err(format!(
                    "it is truncated: {left} stray bytes at byte {at}, too few for a chunk (12 bytes at least)"
                ));
            }
            let mut head = [0u8; 8];
            r.read_exact(&mut head).map_err(|e| io(e, at))?;
            let n = be32(&head);
            let kind = [head[4], head[5], head[6], head[7]];
            if !kind.iter().all(u8::is_ascii_alphabetic) {
                return Err(format!(
                    "byte {at} does not start a chunk (type bytes {kind:02x?}); the file is damaged"
                ));
            }
            let chunk = name(&kind);
            if n > MAX_CHUNK {
                return Err(format!(
                    "chunk '{chunk}' at byte {at} claims {n} bytes; a PNG chunk holds at most 2^31 - 1"
                ));
            }
            if n as u64 + 12 > left {
                return Err(format!(
                    "it is truncated: chunk '{chunk}' at byte {at} claims {n} bytes, but the file ends {} bytes after its header",
                    left - 8
                ));
            }
            // The chunks whose data is read have their sizes checked first.
            let fixed = match &kind {
                b"IHDR" => Some(13),
                b"acTL" => Some(8),
                b"fcTL" => Some(26),
                _ => None,
            };
            if fixed.is_some_and(|f| f != n) {
                return Err(format!(
                    "its {chunk} chunk at byte {at} holds {n} bytes; it holds {}",
                    fixed.unwrap_or(0)
                ));
            }
            if &kind == b"PLTE" && (n == 0 || n > 768 || n % 3 != 0) {
                return Err(format!(
                    "its PLTE chunk at byte {at} holds {n} bytes, not 1 to 256 RGB triplets"
                ));
            }
            if &kind == b"fdAT" && n < 4 {
                return Err(format!(
                    "its fdAT chunk at byte {at} holds {n} bytes, too few for its sequence number"
                ));
            }
            let keep = match &kind {
                b"IHDR" | b"PLTE" | b"acTL" | b"fcTL" => n as usize,
                b"tRNS" if n <= 256 => n as usize,
                b"fdAT" => 4,
                _ => 0,
            };
            let mut crc = crc32fast::Hasher::new();
            crc.update(&kind);
            let data = read_data(r, n, keep, &mut crc).map_err(|e| io(e, at + 8))?;
            let mut stored = [0u8; 4];
            r.read_exact(&mut stored)
                .map_err(|e| io(e, at + 8 + n as u64))?;
            let (stored, computed) = (be32(&stored), crc.finalize());
            if stored != computed {
                return Err(format!(
                    "chunk '{chunk}' at byte {at} fails its CRC (it stores {stored:08x}, its bytes give {computed:08x}); the file is damaged"
                ));
            }
            let Some(w) = walk.as_mut() else {
                if &kind != b"IHDR" {
                    return Err(format!(
                        "its first chunk is '{chunk}'; a PNG starts with IHDR"
                    ));
                }
                walk = Some(Walk {
                    header: header(&data)?,
                    ihdr: data,
                    plte: Vec::new(),
                    trns: Vec::new(),
                    actl: None,
                    frames: Vec::new(),
                    default: 0..0,
                    pieces: Vec::new(),
                    sequence: 0,
                    idat: Idat::NotYet,
                    idat_is_frame: false,
                });
                at += 12 + n as u64;
                continue;
            };
            if &kind == b"IEND" {
                break;
            }
            w.chunk(&kind, &data, at, n, len)?;
            at += 12 + n as u64;
        }
        let w = walk.expect("IHDR came first");
        if w.idat == Idat::NotYet {
            return Err("it has no image data (IDAT chunk)".into());
        }
        if let Some(i) = w.frames.iter().position(|f| f.pieces.is_empty()) {
            return Err(format!("frame {i} has no image data (fdAT chunk)"));
        }
        Ok(w)
    }

    /// Takes the chunk `kind` at byte `at` of `n` bytes, whose first bytes
    /// are `data` (of a file of `len` bytes).
    fn chunk(&mut self, kind: &[u8; 4], data: &[u8], at: u64, n: u32, len: u64) -> Check<()> {
        let chunk = name(kind);
        if self.idat == Idat::In && kind != b"IDAT" {
            self.idat = Idat::Done;
        }
        let before_idat = |what: &str| {
            format!("its {what} chunk (at byte {at}) comes after the image data (IDAT); PNG puts it before")
        };
        match kind {
            b"IHDR" => return Err(format!("it has a second IHDR chunk (at byte {at})")),
            b"PLTE" => {
                if self.idat != Idat::NotYet {
                    return Err(before_idat("PLTE"));
                }
                if !self.plte.is_empty() {
                    return Err(format!("it has a second PLTE chunk (at byte {at})"));
                }
                self.plte = data.to_vec();
            }
            b"tRNS" => {
                if self.idat != Idat::NotYet {
                    return Err(before_idat("tRNS"));
                }
                // One that does not fit the colour type is ignored, as
                // libpng does.
                let fits = match self.header.colour {
                    0 => n == 2,
                    2 => n == 6,
                    3 => n as usize <= self.plte.len() / 3,
                    _ => false,
                };
                if fits {
                    self.trns = data.to_vec();
                }
            }
            b"acTL" => {
                if self.idat != Idat::NotYet {
                    return Err(before_idat("acTL"));
                }
                if self.actl.is_some() {
                    return Err(format!("it has a second acTL chunk (at byte {at})"));
                }
                let (frames, plays) = (be32(data), be32(&data[4..]));
                if frames == 0 {
                    return Err("its acTL chunk says 0 frames; an APNG has at least 1".into());
                }
                if frames > MAX_FRAMES {
                    return Err(format!(
                        "its acTL chunk says {frames} frames; framesink reads at most {MAX_FRAMES}"
                    ));
                }
                let most = len / FRAME_BYTES;
                if frames as u64 > most {
                    return Err(format!(
                        "it is truncated or damaged: its acTL chunk says {frames} frames, more than a file of {len} bytes holds (at most {most}: a frame takes at least {FRAME_BYTES} bytes)"
                    ));
                }
                self.actl = Some((frames, plays));
            }
            b"fcTL" => {
                let Some((count, _)) = self.actl else {
                    return Ok(()); // not an animation: ignored, as PNG viewers do
                };
                self.sequence(&chunk, data, at)?;
                let i = self.frames.len();
                if i as u64 == count as u64 {
                    return Err(format!(
                        "it holds more fcTL chunks than the {count} frames its acTL chunk says (one more at byte {at})"
                    ));
                }
                if self.frames.last().is_some_and(|f| f.pieces.is_empty()) {
                    return Err(format!(
                        "frame {} has no image data: the fcTL chunk at byte {at} follows its own",
                        i - 1
                    ));
                }
                let canvas = (self.header.width, self.header.height);
                let mut frame = frame_control(&data[4..], i, canvas, at)?;
                frame.pieces = self.pieces.len()..self.pieces.len();
                if i == 0 && self.idat == Idat::NotYet {
                    self.idat_is_frame = true;
                }
                self.frames.push(frame);
            }
            b"IDAT" => {
                if self.idat == Idat::Done {
                    return Err(format!(
                        "its IDAT chunks are not consecutive (one more at byte {at})"
                    ));
                }
                if self.header.colour == 3 && self.plte.is_empty() {
                    return Err(
                        "it is in indexed colour but has no palette (PLTE chunk) before its image data"
                            .into(),
                    );
                }
                if self.idat == Idat::NotYet {
                    self.default = self.pieces.len()..self.pieces.len();
                }
                self.idat = Idat::In;
                self.pieces.push((at + 8, n));
                self.default.end = self.pieces.len();
                if self.idat_is_frame {
                    self.frames[0].pieces = self.default.clone();
                }
            }
            b"fdAT" => {
                if self.actl.is_none() {
                    return Ok(()); // not an animation: ignored
                }
                self.sequence(&chunk, data, at)?;
                if self.idat == Idat::NotYet {
                    return Err(format!(
                        "its fdAT chunk at byte {at} comes before the image data (IDAT)"
                    ));
                }
                let i = self.frames.len();
                if i == 0 || (i == 1 && self.idat_is_frame) {
                    return Err(format!(
                        "its fdAT chunk at byte {at} belongs to no frame (no fcTL chunk since the IDAT chunks)"
                    ));
                }
                self.pieces.push((at + 12, n - 4));
                self.frames[i - 1].pieces.end = self.pieces.len();
            }
            _ if kind[0].is_ascii_uppercase() => {
                return Err(format!(
                    "it holds a '{chunk}' chunk (at byte {at}), which framesink does not know and cannot do without (its first letter is upper case: critical)"
                ));
            }
            _ => {} // ancillary: colour profiles, text, times...
        }
        Ok(())
    }

    /// Checks the sequence number at the start of an fcTL or fdAT chunk.
    fn sequence(&mut self, chunk: &str, data: &[u8], at: u64) -> Check<()> {
        let seq = be32(data);
        if seq != self.sequence {
            return Err(format!(
                "its {chunk} chunk at byte {at} has sequence number {seq}; {} was expected (the animation's chunks are numbered 0, 1, 2... in order)",
                self.sequence
            ));
        }
        self.sequence = seq.wrapping_add(1);
        Ok(())
    }
}

impl<R: Read + Seek> Demuxer for PngDemuxer<R> {
    fn info(&self) -> &StreamInfo {
        &self.info
    }

    fn duration(&self) -> u64 {
        self.duration
    }

    fn next_packet(&mut self) -> Result<Option<Packet>, DemuxError> {
        let Some(f) = self.frames.get(self.next) else {
            return Ok(None);
        };
        let pieces = &self.pieces[f.pieces.clone()];
        let size: u64 = pieces.iter().map(|p| p.1 as u64).sum();
        let mut data = Vec::with_capacity(size as usize);
        for &(offset, len) in pieces {
            self.reader.seek(SeekFrom::Start(offset))?;
            let at = data.len();
            data.resize(at + len as usize, 0);
            self.reader.read_exact(&mut data[at..]).map_err(|e| {
                format!(
                    "frame {}'s data cannot be read at byte {offset}: {e}",
                    self.next
                )
            })?;
        }
        let packet = Packet {
            data,
            keyframe: f.keyframe,
            index: self.next as u64,
            pts: f.pts,
            image: Some(ImageInfo {
                palette: self.plte.clone(),
                trns: self.trns.clone(),
                rect: Some(f.rect),
                dispose: f.dispose,
                blend: f.blend,
                delay: Some(f.delay),
                ..ImageInfo::default()
            }),
        };
        self.next += 1;
        Ok(Some(packet))
    }

    fn samples(&self) -> Vec<SampleEntry> {
        self.frames
            .iter()
            .map(|f| SampleEntry {
                pts: f.pts,
                keyframe: f.keyframe,
            })
            .collect()
    }

    fn seek(&mut self, index: usize) -> Result<(), DemuxError> {
        self.next = index.min(self.frames.len());
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::{time, PngDemuxer, PngFrame};
    use crate::demux::testing::png_file::{chunk, ihdr, image_data, Apng};
    use crate::demux::{DemuxError, Demuxer};
    use crate::encode::{Blend, CodecConfig, Dispose, Rect};

    type Demux = PngDemuxer<Cursor<Vec<u8>>>;

    fn open(bytes: &[u8]) -> Result<Demux, String> {
        match PngDemuxer::open(Cursor::new(bytes.to_vec())) {
            Ok(png) => Ok(png),
            Err(DemuxError::Invalid(why)) => Err(why),
            Err(DemuxError::Io(e)) => panic!("an I/O error from memory: {e}"),
        }
    }

    fn why(bytes: &[u8]) -> String {
        open(bytes).err().expect("refused")
    }

    /// Two frames of 2x2 grey: the IDAT is frame 0; frame 1 on a corner.
    fn small() -> Vec<u8> {
        let header = ihdr(2, 2, 8, 0);
        Apng::new(&header)
            .actl(2, 0)
            .fctl(((0, 0, 2, 2), (1, 10), 0, 0))
            .idat(&image_data(2, 2, &header, &[1, 2, 3, 4]))
            .fctl(((1, 1, 1, 1), (3, 100), 1, 1))
            .fdat(&image_data(1, 1, &header, &[9]))
            .end()
    }

    #[test]
    fn reads_frames_and_their_controls() {
        let mut png = open(&small()).unwrap();
        let info = png.info().clone();
        assert_eq!(
            info.config,
            Some(CodecConfig::Png {
                ihdr: ihdr(2, 2, 8, 0)
            })
        );
        assert_eq!((info.width, info.height, info.loops), (2, 2, None));
        assert_eq!(info.timescale, 100);
        assert_eq!(png.duration(), 13);
        let first = png.next_packet().unwrap().unwrap();
        let second = png.next_packet().unwrap().unwrap();
        assert!(png.next_packet().unwrap().is_none());
        assert_eq!(
            first.data,
            image_data(2, 2, &ihdr(2, 2, 8, 0), &[1, 2, 3, 4])
        );
        assert_eq!(second.data, image_data(1, 1, &ihdr(2, 2, 8, 0), &[9]));
        let image = second.image.unwrap();
        assert_eq!(
            image.rect,
            Some(Rect {
                left: 1,
                top: 1,
                width: 1,
                height: 1
            })
        );
        assert_eq!(
            (image.dispose, image.blend, image.delay),
            (Dispose::Background, Blend::Over, Some((3, 100)))
        );
        assert_eq!((second.pts, second.index, second.keyframe), (10, 1, false));
        png.seek(1).unwrap();
        assert_eq!(png.next_packet().unwrap().unwrap().pts, 10);
    }

    #[test]
    fn a_plain_png_is_one_frame() {
        let header = ihdr(3, 1, 8, 2);
        let bytes = Apng::new(&header)
            .chunk(b"tEXt", b"Comment\0hello")
            // Without acTL, fcTL and fdAT are unknown ancillary chunks.
            .fctl(((0, 0, 1, 1), (1, 10), 0, 0))
            .idat(&image_data(3, 1, &header, &[0; 9]))
            .end();
        let mut png = open(&bytes).unwrap();
        assert_eq!(png.samples().len(), 1);
        assert_eq!((png.duration(), png.info().loops), (0, Some(1)));
        assert!(png.next_packet().unwrap().unwrap().keyframe);
    }

    #[test]
    fn times_are_exact_in_a_common_timescale() {
        let frame = |num, den| PngFrame {
            pieces: 0..0,
            rect: Rect::default(),
            delay: (num, den),
            dispose: Dispose::Keep,
            blend: Blend::Source,
            pts: 0,
            keyframe: false,
        };
        let pts = |frames: &[PngFrame]| frames.iter().map(|f| f.pts).collect::<Vec<_>>();
        // One denominator: its ticks (0 means 100).
        let mut frames = [frame(1, 30), frame(2, 30), frame(0, 30)];
        assert_eq!(time(&mut frames), (30, 3));
        assert_eq!(pts(&frames), [0, 1, 3]);
        let mut frames = [frame(7, 0), frame(3, 100)];
        assert_eq!(time(&mut frames), (100, 10));
        // Several: their least common multiple.
        let mut frames = [frame(1, 30), frame(1, 25), frame(1001, 30000)];
        assert_eq!(time(&mut frames), (30000, 3201));
        assert_eq!(pts(&frames), [0, 1000, 2200]);
        // Past 32 bits: milliseconds, rounded from the exact sum.
        let primes = [65521u16, 65519, 65497];
        let mut frames = primes.map(|p| frame(p / 3, p));
        assert_eq!(time(&mut frames), (1000, 1000));
        assert_eq!(pts(&frames), [0, 333, 667]);
    }

    #[test]
    fn every_truncation_is_refused_in_a_sentence() {
        let whole = small();
        for len in 0..whole.len() {
            let why = why(&whole[..len]);
            assert!(why.starts_with("it is truncated"), "{len} bytes: {why}");
        }
        assert_eq!(
            why(&whole[..5]),
            "it is truncated: 5 bytes, too few for a PNG's signature (8 bytes)"
        );
        assert_eq!(
            why(&whole[..whole.len() - 12]),
            format!(
                "it is truncated: it ends at byte {} without its IEND chunk",
                whole.len() - 12
            )
        );
        assert_eq!(why(&whole[..20]), "it is truncated: chunk 'IHDR' at byte 8 claims 13 bytes, but the file ends 4 bytes after its header");
        assert_eq!(why(&whole[..whole.len() - 3]), format!("it is truncated: 9 stray bytes at byte {}, too few for a chunk (12 bytes at least)", whole.len() - 12));
    }

    #[test]
    fn damaged_and_hostile_pngs_are_refused() {
        let header = ihdr(2, 2, 8, 0);
        let data = image_data(2, 2, &header, &[1, 2, 3, 4]);
        assert_eq!(why(b"GIF89a\0\0\0\0"), "it is not a PNG (it starts with bytes 4749463839610000; a PNG starts with 89504e470d0a1a0a)");
        // A flipped bit.
        let mut bad = small();
        bad[30] ^= 1;
        assert!(
            why(&bad).starts_with("chunk 'IHDR' at byte 8 fails its CRC (it stores "),
            "{}",
            why(&bad)
        );
        // Sizes to allocate: refused before anything is.
        let huge = Apng::new(&ihdr(100_000, 100_000, 8, 6)).idat(&data).end();
        assert_eq!(why(&huge), "its frames are 100000x100000 pixels, 40000000000 bytes each as RGBA; framesink reads frames of at most 1073741824 bytes (1 GiB)");
        let many = Apng::new(&header).actl(1_000_000_000, 0).end();
        assert_eq!(
            why(&many),
            "its acTL chunk says 1000000000 frames; framesink reads at most 10000000"
        );
        let many = Apng::new(&header).actl(1_000_000, 0).end();
        assert_eq!(why(&many), "it is truncated or damaged: its acTL chunk says 1000000 frames, more than a file of 65 bytes holds (at most 1: a frame takes at least 38 bytes)");
        let none = Apng::new(&header).actl(0, 0).end();
        assert_eq!(
            why(&none),
            "its acTL chunk says 0 frames; an APNG has at least 1"
        );
        let mut long = Apng::new(&header).bytes;
        long.extend_from_slice(&[0x80, 0, 0, 0]);
        long.extend_from_slice(b"IDAT");
        long.extend_from_slice(&[0; 8]);
        assert_eq!(
            why(&long),
            "chunk 'IDAT' at byte 33 claims 2147483648 bytes; a PNG chunk holds at most 2^31 - 1"
        );
        let bad_header = Apng::new(&ihdr(2, 2, 3, 2)).idat(&data).end();
        assert_eq!(
            why(&bad_header),
            "its IHDR says bit depth 3 for colour type 2, which allows [8, 16]"
        );
        let zero = Apng::new(&ihdr(0, 2, 8, 0)).idat(&data).end();
        assert_eq!(
            why(&zero),
            "its frames are 0x2 pixels, which holds no pixel"
        );
        // The animation's structure.
        let control = ((0, 0, 2, 2), (1, 10), 0, 0);
        let mut skipped = Apng::new(&header).actl(2, 0).fctl(control).idat(&data);
        skipped.sequence += 1;
        let skipped = skipped
            .fctl(((0, 0, 1, 1), (1, 10), 0, 0))
            .fdat(&data)
            .end();
        assert_eq!(why(&skipped), "its fcTL chunk at byte 129 has sequence number 2; 1 was expected (the animation's chunks are numbered 0, 1, 2... in order)");
        let fewer = Apng::new(&header)
            .actl(3, 0)
            .fctl(control)
            .idat(&data)
            .end();
        assert_eq!(
            why(&fewer),
            "its acTL chunk says 3 frames, but it holds 1 (fcTL chunks)"
        );
        let more = Apng::new(&header)
            .actl(1, 0)
            .fctl(control)
            .idat(&data)
            .fctl(control)
            .fdat(&data)
            .end();
        assert_eq!(
            why(&more),
            "it holds more fcTL chunks than the 1 frames its acTL chunk says (one more at byte 129)"
        );
        let outside = Apng::new(&header)
            .actl(2, 0)
            .fctl(control)
            .idat(&data)
            .fctl(((1, 1, 2, 1), (1, 10), 0, 0))
            .fdat(&data)
            .end();
        assert_eq!(why(&outside), "frame 1's fcTL chunk (at byte 129) places 2x1 pixels at (1, 1), which is not within the 2x2 canvas");
        let first = Apng::new(&header)
            .actl(1, 0)
            .fctl(((0, 0, 1, 2), (1, 10), 0, 0))
            .idat(&data)
            .end();
        assert_eq!(why(&first), "frame 0's fcTL chunk (at byte 53) places 1x2 pixels at (0, 0); the first frame covers the 2x2 canvas");
        let op = Apng::new(&header)
            .actl(1, 0)
            .fctl(((0, 0, 2, 2), (1, 10), 3, 0))
            .idat(&data)
            .end();
        assert_eq!(
            why(&op),
            "frame 0's fcTL chunk (at byte 53) has dispose_op 3; APNG's are 0, 1 and 2"
        );
        let early = Apng::new(&header)
            .actl(2, 0)
            .fctl(control)
            .fdat(&data)
            .idat(&data)
            .end();
        assert!(
            why(&early).starts_with("its fdAT chunk at byte 91 comes before the image data (IDAT)")
        );
        let no_data = Apng::new(&header)
            .actl(2, 0)
            .fctl(control)
            .idat(&data)
            .fctl(control)
            .end();
        assert_eq!(why(&no_data), "frame 1 has no image data (fdAT chunk)");
        let late = Apng::new(&header).idat(&data).actl(1, 0).end();
        assert!(
            why(&late).starts_with("its acTL chunk (at byte "),
            "{}",
            why(&late)
        );
        let apart = Apng::new(&header)
            .chunk(b"IDAT", &data[..3])
            .chunk(b"tEXt", b"a\0b")
            .chunk(b"IDAT", &data[3..])
            .end();
        assert!(why(&apart).starts_with("its IDAT chunks are not consecutive"));
        let critical = Apng::new(&header).chunk(b"ABCD", &[]).idat(&data).end();
        assert_eq!(why(&critical), "it holds a 'ABCD' chunk (at byte 33), which framesink does not know and cannot do without (its first letter is upper case: critical)");
        let no_plte = Apng::new(&ihdr(2, 2, 8, 3)).idat(&data).end();
        assert_eq!(
            why(&no_plte),
            "it is in indexed colour but has no palette (PLTE chunk) before its image data"
        );
        let empty = Apng::new(&header).end();
        assert_eq!(why(&empty), "it has no image data (IDAT chunk)");
        let mut not_first = b"\x89PNG\r\n\x1a\n".to_vec();
        not_first.extend(chunk(b"tEXt", b"a\0b"));
        assert_eq!(
            why(&not_first),
            "its first chunk is 'tEXt'; a PNG starts with IHDR"
        );
    }

    /// Random bytes after a PNG's signature, and random changes to an
    /// APNG whose CRCs are then made right again: refused or read, never
    /// a panic; what is read decodes or is refused by the decoder.
    #[test]
    fn random_bytes_never_panic() {
        let mut next = crate::testing::xorshift(0x1234_5678_9abc_def1);
        let whole = small();
        for round in 0..3000 {
            let mut bytes = if round % 3 == 0 {
                let mut b = b"\x89PNG\r\n\x1a\n".to_vec();
                b.extend((0..next() % 80).map(|_| next() as u8));
                b
            } else {
                whole.clone()
            };
            for _ in 0..(1 + next() % 3) * (bytes.len() > 8) as u64 {
                let at = 8 + (next() % (bytes.len() as u64 - 8)) as usize;
                bytes[at] = next() as u8;
            }
            if round % 3 == 2 {
                fix_crcs(&mut bytes);
            }
            if let Ok(mut png) = open(&bytes) {
                let mut decoder = crate::decode::decoder(png.info()).unwrap();
                let mut out = Vec::new();
                while let Some(packet) = png.next_packet().unwrap() {
                    let _ = decoder.decode(&packet, &mut out);
                }
            }
        }
    }

    /// Recomputes the CRC of every whole chunk, so that damage reaches
    /// past the CRC check.
    fn fix_crcs(bytes: &mut [u8]) {
        let mut at = 8;
        while at + 12 <= bytes.len() {
            let len = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
            let Some(end) = (at + 8).checked_add(len).filter(|&e| e + 4 <= bytes.len()) else {
                return;
            };
            let crc = crc32fast::hash(&bytes[at + 4..end]);
            bytes[end..end + 4].copy_from_slice(&crc.to_be_bytes());
            at = end + 4;
        }
    }
}
