//! The APNG writer. APNG states its frame count before the first frame; on
//! a seekable sink the count is written at the end in place, and on a
//! write-only sink the frames wait in a temporary file (never in memory).

use std::fs::File;
use std::io::{self, Seek, SeekFrom, Write};
use std::path::PathBuf;

use super::{Muxer, Output};
use crate::encode::{CodecConfig, Packet};
use crate::error::{Error, IoContext, Result};
use crate::metadata::Metadata;

const SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Where the frames go until the count is known.
enum Body {
    /// Straight to the sink; the acTL chunk (rewritten at the end) starts at `actl_at`.
    Direct { out: Output, actl_at: u64 },
    /// A temporary file, copied to the stream at the end.
    Spool {
        out: Output,
        file: File,
        path: PathBuf,
    },
}

/// Writes APNG frames.
pub struct ApngMuxer {
    body: Option<Body>,
    pending_out: Option<Output>,
    width: u32,
    height: u32,
    timescale: u32,
    loops: Option<u16>,
    pending: Option<Packet>,
    frames: u32,
    sequence: u32,
    bytes: u64,
    ihdr: Option<Vec<u8>>,
    /// The metadata's text chunks, written after acTL.
    text: Vec<u8>,
}

/// A chunk: length, type, data, CRC.
pub(crate) fn chunk(kind: &[u8; 4], data: &[u8]) -> Vec<u8> {
    let mut c = Vec::with_capacity(data.len() + 12);
    push_chunk(&mut c, kind, data);
    c
}

/// Appends a chunk (length, type, data, CRC) to `png`.
pub(crate) fn push_chunk(png: &mut Vec<u8>, kind: &[u8; 4], data: &[u8]) {
    png.extend_from_slice(&(data.len() as u32).to_be_bytes());
    png.extend_from_slice(kind);
    png.extend_from_slice(data);
    let mut crc = crc32fast::Hasher::new();
    crc.update(kind);
    crc.update(data);
    png.extend_from_slice(&crc.finalize().to_be_bytes());
}

fn actl(frames: u32, plays: u32) -> Vec<u8> {
    let mut d = frames.to_be_bytes().to_vec();
    d.extend_from_slice(&plays.to_be_bytes());
    chunk(b"acTL", &d)
}

/// A frame's display time as a fraction that fits APNG's 16-bit fields:
/// exact when it can be, else in milliseconds.
fn delay(ticks: u64, timescale: u32) -> (u16, u16) {
    let g = gcd(ticks, timescale as u64).max(1);
    let (n, d) = (ticks / g, timescale as u64 / g);
    if n <= u16::MAX as u64 && d <= u16::MAX as u64 {
        return (n as u16, d as u16);
    }
    // u128: a delay of days in fine ticks overflows u64 once in ms.
    let ms = (ticks as u128 * 1000 + timescale as u128 / 2) / timescale as u128;
    (ms.min(u16::MAX as u128) as u16, 1000)
}

/// The PNG keyword for a metadata key: the standard one where there is
/// one (PNG 3rd edition, 11.3.3.2), else the key itself (PNG allows any
/// keyword of 1 to 79 Latin-1 characters, as metadata keys are).
fn keyword(key: &str) -> &str {
    const STANDARD: &[(&str, &str)] = &[
        ("title", "Title"),
        ("artist", "Author"),
        ("description", "Description"),
        ("copyright", "Copyright"),
        ("creation_time", "Creation Time"),
        ("encoder", "Software"),
        ("encoding_tool", "Software"),
        ("comment", "Comment"),
    ];
    STANDARD
        .iter()
        .find(|(k, _)| k.eq_ignore_ascii_case(key))
        .map_or(key, |(_, kw)| kw)
}

/// One text chunk a key: `tEXt` (Latin-1, which ffmpeg's PNG decoder
/// shows as frame tags) when the value is Latin-1, else `iTXt` (UTF-8).
/// `Software` is `framesink <version>` unless `encoder` is given, as in MP4.
pub fn text_chunks(metadata: &Metadata) -> Vec<u8> {
    if metadata.is_empty() {
        return Vec::new();
    }
    let software = metadata.encoder();
    let given = metadata.entries().filter(|(k, _)| {
        !k.eq_ignore_ascii_case("encoder") && !k.eq_ignore_ascii_case("encoding_tool")
    });
    let mut out = Vec::new();
    for (key, value) in given.chain([("encoder", software.as_str())]) {
        let mut data = keyword(key).as_bytes().to_vec();
        data.push(0);
        let latin1: Option<Vec<u8>> = value.chars().map(|c| u8::try_from(c as u32).ok()).collect();
        match latin1 {
            Some(bytes) => {
                data.extend_from_slice(&bytes);
                out.extend_from_slice(&chunk(b"tEXt", &data));
            }
            None => {
                // uncompressed, no language tag, no translated keyword
                data.extend_from_slice(&[0, 0, 0, 0]);
                data.extend_from_slice(value.as_bytes());
                out.extend_from_slice(&chunk(b"iTXt", &data));
            }
        }
    }
    out
}

fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        (a, b) = (b, a % b);
    }
    a
}

impl ApngMuxer {
    /// An APNG of `width` x `height` that plays `loops` times (`None`: forever).
    pub fn new(out: Output, width: u32, height: u32, timescale: u32, loops: Option<u16>) -> Self {
        ApngMuxer {
            body: None,
            pending_out: Some(out),
            width,
            height,
            timescale,
            loops,
            pending: None,
            frames: 0,
            sequence: 0,
            bytes: 0,
            ihdr: None,
            text: Vec::new(),
        }
    }

    /// Writes `metadata` as text chunks before the first frame (see
    /// [`text_chunks`]).
    pub fn with_metadata(mut self, metadata: &Metadata) -> Self {
        self.text = text_chunks(metadata);
        self
    }

    fn plays(&self) -> u32 {
        self.loops.map_or(0, u32::from)
    }

    /// Signature, IHDR and a provisional acTL.
    fn start(&mut self, ihdr: &[u8]) -> Result<()> {
        let mut out = self.pending_out.take().expect("started once");
        let mut head = SIGNATURE.to_vec();
        head.extend_from_slice(&chunk(b"IHDR", ihdr));
        let actl_at = head.len() as u64; // where the acTL chunk starts
        head.extend_from_slice(&actl(0, self.plays()));
        head.extend_from_slice(&self.text);
        self.ihdr = Some(ihdr.to_vec());
        self.body = Some(match out {
            Output::Seekable(_) => {
                out.write_all(&head)?;
                self.bytes = head.len() as u64;
                Body::Direct { out, actl_at }
            }
            Output::Stream(_) => {
                let path = std::env::temp_dir().join(format!(
                    "framesink-{}-{:p}.apng.part",
                    std::process::id(),
                    self as *const Self
                ));
                let file = File::options()
                    .read(true)
                    .write(true)
                    .create_new(true)
                    .open(&path)
                    .map_err(|e| {
                        Error::Io(IoContext::wrap(
                            e,
                            format_args!("cannot create the temporary file {}", path.display()),
                            Some(&path),
                        ))
                    })?;
                Body::Spool { out, file, path }
            }
        });
        Ok(())
    }

    fn write(&mut self, bytes: &[u8]) -> Result<()> {
        match self.body.as_mut().expect("started") {
            Body::Direct { out, .. } => out.write_all(bytes)?,
            Body::Spool { file, .. } => file.write_all(bytes)?,
        }
        self.bytes += bytes.len() as u64;
        Ok(())
    }

    fn write_pending(&mut self, next_pts: u64) -> Result<()> {
        let Some(p) = self.pending.take() else {
            return Ok(());
        };
        let (num, den) = delay(next_pts - p.pts, self.timescale);
        let mut fctl = self.sequence.to_be_bytes().to_vec();
        self.sequence += 1;
        for v in [self.width, self.height, 0, 0] {
            fctl.extend_from_slice(&v.to_be_bytes());
        }
        fctl.extend_from_slice(&num.to_be_bytes());
        fctl.extend_from_slice(&den.to_be_bytes());
        fctl.extend_from_slice(&[0, 0]); // dispose none, blend source
        self.write(&chunk(b"fcTL", &fctl))?;
        if self.frames == 0 {
            // The first frame is also the default image, for plain PNG viewers.
            self.write(&chunk(b"IDAT", &p.data))?;
        } else {
            let mut fdat = self.sequence.to_be_bytes().to_vec();
            self.sequence += 1;
            fdat.extend_from_slice(&p.data);
            self.write(&chunk(b"fdAT", &fdat))?;
        }
        self.frames += 1;
        Ok(())
    }
}

impl Muxer for ApngMuxer {
    fn write_packet(&mut self, packet: Packet, config: Option<&CodecConfig>) -> Result<()> {
        if self.body.is_none() {
            let Some(CodecConfig::Png { ihdr }) = config else {
                return Err(Error::Mux(
                    "the first APNG frame came without its header".into(),
                ));
            };
            let ihdr = ihdr.clone();
            self.start(&ihdr)?;
        }
        if self.pending.is_some() {
            self.write_pending(packet.pts)?;
        }
        self.pending = Some(packet);
        Ok(())
    }

    fn end_fragment(&mut self, next_pts: u64) -> Result<()> {
        self.write_pending(next_pts)
    }

    fn frames_written(&self) -> u64 {
        self.frames as u64
    }

    fn finish(mut self: Box<Self>) -> Result<u64> {
        if self.pending.is_some() {
            return Err(Error::Mux("the last APNG frame has no end time".into()));
        }
        let Some(body) = self.body.take() else {
            return Err(Error::Mux("no frames were written".into()));
        };
        let iend = chunk(b"IEND", &[]);
        let count = actl(self.frames, self.plays());
        match body {
            Body::Direct { mut out, actl_at } => {
                out.write_all(&iend)?;
                let Output::Seekable(sink) = &mut out else {
                    unreachable!("direct APNG output is seekable")
                };
                let end = sink.stream_position()?;
                sink.seek(SeekFrom::Start(actl_at))?;
                sink.write_all(&count)?;
                sink.seek(SeekFrom::Start(end))?;
                sink.flush()?;
                Ok(end)
            }
            Body::Spool {
                mut out,
                mut file,
                path,
            } => {
                let ihdr = self.ihdr.take().unwrap_or_default();
                let mut head = SIGNATURE.to_vec();
                head.extend_from_slice(&chunk(b"IHDR", &ihdr));
                head.extend_from_slice(&count);
                head.extend_from_slice(&self.text);
                out.write_all(&head)?;
                file.seek(SeekFrom::Start(0))?;
                let copied = io::copy(&mut file, &mut out)?;
                drop(file);
                let _ = std::fs::remove_file(&path);
                out.write_all(&iend)?;
                out.flush()?;
                Ok(head.len() as u64 + copied + iend.len() as u64)
            }
        }
    }
}

impl Drop for ApngMuxer {
    fn drop(&mut self) {
        if let Some(Body::Spool { path, .. }) = &self.body {
            let _ = std::fs::remove_file(path);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::delay;

    #[test]
    fn delays_are_exact_fractions_when_they_fit() {
        assert_eq!(delay(3003, 90_000), (1001, 30_000));
        assert_eq!(delay(3000, 90_000), (1, 30));
        // 12857/90000 s has no 16-bit form: milliseconds
        assert_eq!(delay(12_857, 90_000), (143, 1000));
    }
}
