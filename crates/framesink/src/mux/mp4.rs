//! The MP4 writer on top of mp4-atom's boxes. While recording, the file is a
//! fragmented MP4 (ftyp, moov, then moof+mdat per GOP or second), so a killed
//! process leaves a playable file; `finish` rewrites it in place as a plain MP4
//! with the index first (faststart). A write-only sink stays fragmented.

use std::io::{self, Read, Seek, SeekFrom, Write};

use mp4_atom::{
    Av01, Av1c, Avc1, Avcc, AvccExt, Co64, Codec as StsdCodec, Colr, Dinf, Dref, Encode, FourCC,
    Ftyp, Hdlr, Mdhd, Mdia, Mfhd, Minf, Moof, Moov, Mvex, Mvhd, Pasp, Stbl, Stco, Stsc, StscEntry,
    Stsd, Stss, Stsz, StszSamples, Stts, SttsEntry, Tfdt, Tfhd, Tkhd, Traf, Trak, Trex, Trun,
    TrunEntry, TrunSamples, Url, Visual, Vmhd,
};

use super::avc::IdrPicIds;
use super::{Muxer, Output};
use crate::encode::{CodecConfig, Packet};
use crate::error::{Error, IoContext, Result};
use crate::metadata::Metadata;
use crate::stream::StreamInfo;

const SYNC_FLAGS: u32 = 0x0200_0000; // depends on nothing
const NON_SYNC_FLAGS: u32 = 0x0101_0000; // depends on others, not a sync sample
/// A fragment is closed at a keyframe or after about this many seconds.
const FRAGMENT_SECONDS: u64 = 1;

/// A run of samples written as one fragment (one chunk in the final file).
#[derive(Clone, Copy, Debug)]
struct Chunk {
    /// Where its sample data starts in the file now.
    offset: u64,
    /// Bytes of sample data.
    len: u64,
    /// Samples in it.
    samples: u32,
}

/// Writes H.264 or AV1 packets into an MP4.
pub struct Mp4Muxer {
    out: Output,
    track: StreamInfo,
    config: Option<CodecConfig>,
    pending: Vec<Packet>,
    /// Bytes written so far (the current end of the file).
    pos: u64,
    sequence: u32,
    ftyp_len: u64,
    chunks: Vec<Chunk>,
    sizes: Vec<u32>,
    durations: Vec<u32>,
    sync: Vec<u32>,
    /// A fragment is written as soon as it holds this many frames.
    fragment_frames: Option<usize>,
    /// The last sample written was given `frame_ticks` as its duration
    /// before the next frame came (a fragment written early): its pts.
    guessed: Option<u64>,
    /// Tags and creation time; none by default (and then no `udta` at all).
    metadata: Metadata,
    /// H.264: keeps IDR pictures in a row from sharing an `idr_pic_id`.
    idr_ids: Option<IdrPicIds>,
}

fn ftyp(config: Option<&CodecConfig>) -> Ftyp {
    let codec_brand = match config {
        Some(CodecConfig::Av1 { .. }) => b"av01",
        _ => b"avc1",
    };
    Ftyp {
        major_brand: FourCC::new(b"isom"),
        minor_version: 0x200,
        compatible_brands: [b"isom", b"iso2", codec_brand, b"mp41"]
            .into_iter()
            .map(FourCC::new)
            .collect(),
    }
}

fn encode_box<T: Encode>(b: &T) -> Result<Vec<u8>> {
    let mut buf = Vec::new();
    b.encode(&mut buf)?;
    Ok(buf)
}

fn mdat_header(len: u64) -> Vec<u8> {
    if len + 8 <= u32::MAX as u64 {
        let mut h = ((len + 8) as u32).to_be_bytes().to_vec();
        h.extend_from_slice(b"mdat");
        h
    } else {
        let mut h = 1u32.to_be_bytes().to_vec();
        h.extend_from_slice(b"mdat");
        h.extend_from_slice(&(len + 16).to_be_bytes());
        h
    }
}

impl Mp4Muxer {
    /// A muxer writing to `out`. Nothing is written until the first packet.
    pub fn new(out: Output, track: StreamInfo) -> Self {
        Mp4Muxer {
            out,
            config: track.config.clone(),
            track,
            pending: Vec::new(),
            pos: 0,
            sequence: 0,
            ftyp_len: 0,
            chunks: Vec::new(),
            sizes: Vec::new(),
            durations: Vec::new(),
            sync: Vec::new(),
            fragment_frames: None,
            guessed: None,
            metadata: Metadata::default(),
            idr_ids: None,
        }
    }

    /// Writes `metadata` into the movie header: iTunes items in
    /// `moov/udta/meta/ilst` and `mdta` keys in `moov/meta` (see
    /// [`crate::metadata`]), and `creation_time` into `mvhd`, `tkhd` and
    /// `mdhd`.
    pub fn with_metadata(mut self, metadata: Metadata) -> Self {
        self.metadata = metadata;
        self
    }

    /// Writes each fragment as soon as it holds `frames` frames, instead of
    /// when the frame after it comes: the writer's durability bound counts
    /// on it. The last frame's duration is then taken to be one frame
    /// period, and corrected in the final index if the next frame comes at
    /// another time (variable frame rate).
    pub fn with_fragment_frames(mut self, frames: usize) -> Self {
        self.fragment_frames = Some(frames.max(1));
        self
    }

    /// The next frame (or the end) is at `next_pts`: corrects the duration
    /// of a sample that was written with a guessed one.
    fn settle(&mut self, next_pts: u64) -> Result<()> {
        if let Some(pts) = self.guessed.take() {
            let ticks = next_pts.checked_sub(pts).ok_or_else(|| {
                Error::Mux(format!(
                    "a frame at {next_pts} ticks came before the one at {pts} ticks"
                ))
            })?;
            let duration = u32::try_from(ticks)
                .map_err(|_| Error::Mux(format!("a frame lasts too long ({ticks} ticks)")))?;
            if let Some(last) = self.durations.last_mut() {
                *last = duration;
            }
        }
        Ok(())
    }

    fn write_all(&mut self, bytes: &[u8]) -> Result<()> {
        let written = match &mut self.out {
            Output::Seekable(s) => s.write_all(bytes),
            Output::Stream(s) => s.write_all(bytes),
        };
        written.map_err(|e| {
            // Say how far the file got: it plays up to its last whole fragment.
            let how_far = match self.pos {
                0 => "at its first byte".to_string(),
                n => format!("after {n} bytes (the fragments before stay playable)"),
            };
            Error::Io(IoContext::wrap(
                e,
                format_args!("writing the movie failed {how_far}"),
                None,
            ))
        })?;
        self.pos += bytes.len() as u64;
        Ok(())
    }

    fn flush_sink(&mut self) -> Result<()> {
        match &mut self.out {
            Output::Seekable(s) => s.flush()?,
            Output::Stream(s) => s.flush()?,
        }
        Ok(())
    }

    /// Adds the next packet (in presentation order, `pts` increasing).
    pub fn write_packet(&mut self, mut packet: Packet, config: Option<&CodecConfig>) -> Result<()> {
        if self.pos == 0 {
            if let Some(c) = config {
                self.config = Some(c.clone());
            }
            if self.config.is_none() {
                return Err(Error::Mux(
                    "the first packet came without codec parameters".into(),
                ));
            }
            if let Some(CodecConfig::Avc { sps, .. }) = &self.config {
                self.idr_ids = Some(IdrPicIds::new(sps));
            }
            self.write_init()?;
        }
        if let Some(ids) = &mut self.idr_ids {
            ids.fix(&mut packet);
        }
        self.settle(packet.pts)?;
        if let Some(first) = self.pending.first() {
            let long = packet.pts - first.pts >= FRAGMENT_SECONDS * self.track.timescale as u64;
            if packet.keyframe || long {
                let next = packet.pts;
                self.write_fragment(next)?;
            }
        }
        if self.pending.is_empty() && !packet.keyframe && self.sizes.is_empty() {
            return Err(Error::Mux("the first frame is not a keyframe".into()));
        }
        self.pending.push(packet);
        if self
            .fragment_frames
            .is_some_and(|n| self.pending.len() >= n)
        {
            let last = self.pending.last().expect("pushed above").pts;
            let end = last
                .checked_add(self.track.frame_ticks as u64)
                .ok_or_else(|| Error::Mux("frame times overflow (2^64 ticks)".into()))?;
            self.write_fragment(end)?;
            self.guessed = Some(last);
        }
        Ok(())
    }

    fn write_init(&mut self) -> Result<()> {
        let f = encode_box(&ftyp(self.config.as_ref()))?;
        self.ftyp_len = f.len() as u64;
        let moov = self.moov_bytes(None)?;
        self.write_all(&f)?;
        self.write_all(&moov)?;
        self.flush_sink()
    }

    /// Writes the pending samples as one moof+mdat; `next_pts` ends the last one.
    fn write_fragment(&mut self, next_pts: u64) -> Result<()> {
        if self.pending.is_empty() {
            return self.settle(next_pts);
        }
        let pending = std::mem::take(&mut self.pending);
        let mut entries = Vec::with_capacity(pending.len());
        let mut len = 0u64;
        for (i, p) in pending.iter().enumerate() {
            let end = pending.get(i + 1).map_or(next_pts, |n| n.pts);
            let duration = u32::try_from(end - p.pts).map_err(|_| {
                Error::Mux(format!(
                    "frame {} lasts too long ({} ticks)",
                    p.index,
                    end - p.pts
                ))
            })?;
            let size = u32::try_from(p.data.len()).map_err(|_| {
                Error::Mux(format!(
                    "frame {} is {} bytes; an MP4 sample holds at most 4 GiB",
                    p.index,
                    p.data.len()
                ))
            })?;
            len += size as u64;
            if p.keyframe {
                let number = u32::try_from(self.sizes.len() + 1)
                    .map_err(|_| Error::Mux("an MP4 track holds at most 2^32 - 1 frames".into()))?;
                self.sync.push(number);
            }
            self.sizes.push(size);
            self.durations.push(duration);
            entries.push(TrunEntry {
                duration: Some(duration),
                size: Some(size),
                flags: Some(if p.keyframe {
                    SYNC_FLAGS
                } else {
                    NON_SYNC_FLAGS
                }),
                cts: None,
            });
        }
        self.sequence += 1;
        let mut moof = Moof {
            mfhd: Mfhd {
                sequence_number: self.sequence,
            },
            traf: vec![Traf {
                tfhd: Tfhd {
                    track_id: 1,
                    default_base_is_moof: true,
                    ..Default::default()
                },
                tfdt: Some(Tfdt {
                    base_media_decode_time: pending[0].pts,
                }),
                trun: vec![Trun {
                    data_offset: Some(0),
                    samples: TrunSamples::Explicit(entries),
                }],
                ..Default::default()
            }],
        };
        let header = mdat_header(len);
        let moof_len = encode_box(&moof)?.len();
        let offset = i32::try_from(moof_len + header.len()).map_err(|_| {
            Error::Mux(format!(
                "a fragment of {} frames is too long",
                pending.len()
            ))
        })?;
        moof.traf[0].trun[0].data_offset = Some(offset);
        let moof_bytes = encode_box(&moof)?;
        let start = self.pos;
        let written = self.write_fragment_bytes(&moof_bytes, &header, &pending, len);
        if written.is_err() {
            self.void_from(start);
        }
        written
    }

    fn write_fragment_bytes(
        &mut self,
        moof: &[u8],
        mdat_header: &[u8],
        pending: &[Packet],
        len: u64,
    ) -> Result<()> {
        self.write_all(moof)?;
        self.write_all(mdat_header)?;
        self.chunks.push(Chunk {
            offset: self.pos,
            len,
            samples: pending.len() as u32,
        });
        for p in pending {
            self.write_all(&p.data)?;
        }
        // Hand the fragment to the OS: a killed process keeps it.
        self.flush_sink()
    }

    /// After a fragment failed part way (a full disk, a file-size limit):
    /// turns what of it reached a seekable file into a `free` box, so that
    /// readers see the fragments before it and nothing broken after them.
    /// Best effort: the fault that stopped the fragment may stop this too.
    fn void_from(&mut self, start: u64) {
        let Output::Seekable(s) = &mut self.out else {
            return;
        };
        let Ok(end) = s.seek(SeekFrom::End(0)) else {
            return;
        };
        let len = end.saturating_sub(start);
        if (8..=u32::MAX as u64).contains(&len) && s.seek(SeekFrom::Start(start)).is_ok() {
            let mut free = (len as u32).to_be_bytes().to_vec();
            free.extend_from_slice(b"free");
            let _ = s.write_all(&free).and_then(|()| s.flush());
        }
        let _ = s.seek(SeekFrom::End(0));
    }

    /// Builds the moov: empty with `mvex` while fragmented (`None`), or the
    /// full index with these chunk offsets.
    fn moov(&self, chunk_offsets: Option<&[u64]>) -> Result<Moov> {
        let t = &self.track;
        let (colour_primaries, transfer_characteristics, matrix_coefficients) =
            t.matrix.code_points();
        let duration: u64 = if chunk_offsets.is_some() {
            self.durations.iter().map(|&d| d as u64).sum()
        } else {
            0
        };
        // Seconds since 1904, as ffmpeg writes `creation_time`; 0: unknown.
        let time = self.metadata.mp4_time();
        let default_name = match &self.config {
            Some(CodecConfig::Av1 { .. }) => "framesink AV1",
            _ => "framesink H.264",
        };
        let name = if t.encoder.is_empty() {
            default_name
        } else {
            &t.encoder
        };
        let visual = |_: &str| Visual {
            data_reference_index: 1,
            width: t.width as u16,
            height: t.height as u16,
            horizresolution: 72.into(),
            vertresolution: 72.into(),
            frame_count: 1,
            // The encoder and its settings (31 bytes at most), which join compares.
            compressor: name.chars().take(31).collect::<String>().into(),
            depth: 24,
        };
        let colr = Some(Colr::Nclx {
            colour_primaries: colour_primaries as u16,
            transfer_characteristics: transfer_characteristics as u16,
            matrix_coefficients: matrix_coefficients as u16,
            full_range_flag: false,
        });
        let pasp = Some(Pasp {
            h_spacing: 1,
            v_spacing: 1,
        });
        let sample_entry = match &self.config {
            Some(CodecConfig::Avc { sps, pps }) => StsdCodec::from(Avc1 {
                visual: visual("framesink H.264"),
                avcc: Avcc {
                    configuration_version: 1,
                    avc_profile_indication: sps.get(1).copied().unwrap_or(100),
                    profile_compatibility: sps.get(2).copied().unwrap_or(0),
                    avc_level_indication: sps.get(3).copied().unwrap_or(0),
                    length_size: 4,
                    sequence_parameter_sets: vec![sps.clone()],
                    picture_parameter_sets: vec![pps.clone()],
                    ext: Some(AvccExt {
                        chroma_format: 1,
                        bit_depth_luma: 8,
                        bit_depth_chroma: 8,
                        sequence_parameter_sets_ext: vec![],
                    }),
                },
                btrt: None,
                colr,
                pasp,
                taic: None,
                fiel: None,
                spatial: None,
            }),
            // 8-bit 4:2:0 Main profile, as the encoder is set up.
            Some(CodecConfig::Av1 {
                level,
                sequence_header,
            }) => StsdCodec::from(Av01 {
                visual: visual("framesink AV1"),
                av1c: Av1c {
                    seq_profile: 0,
                    seq_level_idx_0: *level,
                    seq_tier_0: false,
                    high_bitdepth: false,
                    twelve_bit: false,
                    monochrome: false,
                    chroma_subsampling_x: true,
                    chroma_subsampling_y: true,
                    chroma_sample_position: 0,
                    initial_presentation_delay: None,
                    config_obus: sequence_header.clone(),
                },
                btrt: None,
                ccst: None,
                colr,
                pasp,
                taic: None,
                spatial: None,
            }),
            _ => return Err(Error::Mux("no codec parameters".into())),
        };
        let mut stbl = Stbl {
            stsd: Stsd {
                codecs: vec![sample_entry],
            },
            stco: Some(Stco::default()),
            ..Default::default()
        };
        if let Some(offsets) = chunk_offsets {
            stbl.stts = Stts {
                entries: run_lengths(&self.durations),
            };
            stbl.stss = Some(Stss {
                entries: self.sync.clone(),
            });
            stbl.stsc = Stsc {
                entries: chunk_runs(&self.chunks),
            };
            stbl.stsz = Stsz {
                samples: StszSamples::Different {
                    sizes: self.sizes.clone(),
                },
            };
            if offsets.last().is_some_and(|&o| o > u32::MAX as u64) {
                stbl.stco = None;
                stbl.co64 = Some(Co64 {
                    entries: offsets.to_vec(),
                });
            } else {
                stbl.stco = Some(Stco {
                    entries: offsets.iter().map(|&o| o as u32).collect(),
                });
            }
        }
        Ok(Moov {
            mvhd: Mvhd {
                creation_time: time,
                modification_time: time,
                timescale: t.timescale,
                duration,
                rate: 1.into(),
                volume: 1.into(),
                next_track_id: 2,
                ..Default::default()
            },
            mvex: chunk_offsets.is_none().then(|| Mvex {
                mehd: None,
                trex: vec![Trex {
                    track_id: 1,
                    default_sample_description_index: 1,
                    ..Default::default()
                }],
            }),
            trak: vec![Trak {
                tkhd: Tkhd {
                    creation_time: time,
                    modification_time: time,
                    track_id: 1,
                    duration,
                    enabled: true,
                    in_movie: true,
                    width: (t.width as u16).into(),
                    height: (t.height as u16).into(),
                    ..Default::default()
                },
                mdia: Mdia {
                    mdhd: Mdhd {
                        creation_time: time,
                        modification_time: time,
                        timescale: t.timescale,
                        duration,
                        language: "und".into(),
                    },
                    hdlr: Hdlr {
                        handler: FourCC::new(b"vide"),
                        name: "VideoHandler".into(),
                    },
                    minf: Minf {
                        vmhd: Some(Vmhd::default()),
                        dinf: Dinf {
                            dref: Dref {
                                entries: vec![Url::default().into()],
                            },
                        },
                        stbl,
                        ..Default::default()
                    },
                },
                ..Default::default()
            }],
            ..Default::default()
        })
    }

    /// The `moov` box with the metadata boxes at its end, after the track,
    /// where ffmpeg puts `udta`.
    fn moov_bytes(&self, chunk_offsets: Option<&[u64]>) -> Result<Vec<u8>> {
        let mut moov = encode_box(&self.moov(chunk_offsets)?)?;
        if self.metadata.is_empty() {
            return Ok(moov);
        }
        moov.extend_from_slice(&udta(&self.metadata));
        if let Some(meta) = mdta_meta(&self.metadata) {
            moov.extend_from_slice(&meta);
        }
        let len = u32::try_from(moov.len()).map_err(|_| {
            Error::Mux(format!(
                "the movie header is {} bytes, over 4 GiB",
                moov.len()
            ))
        })?;
        moov[..4].copy_from_slice(&len.to_be_bytes());
        Ok(moov)
    }

    /// Writes what is pending and, on a seekable sink, rewrites the file as a
    /// plain MP4 with `moov` first. Returns the file size.
    pub fn finish(mut self) -> Result<u64> {
        if self.pos == 0 {
            return Err(Error::Mux("no frames were written".into()));
        }
        if let Some(last) = self.pending.last() {
            let end = last
                .pts
                .checked_add(self.track.frame_ticks as u64)
                .ok_or_else(|| Error::Mux("frame times overflow (2^64 ticks)".into()))?;
            self.write_fragment(end)?;
        }
        let size = if matches!(self.out, Output::Seekable(_)) {
            self.faststart()?
        } else {
            self.pos
        };
        self.flush_sink()?;
        Ok(size)
    }

    /// Moves every chunk's data to its place after a new `moov` and writes
    /// the header, in place. Chunks that move right are moved last-first and
    /// those that move left first-last, so none overwrites unmoved data.
    fn faststart(&mut self) -> Result<u64> {
        let total: u64 = self.chunks.iter().map(|c| c.len).sum();
        let ftyp = encode_box(&ftyp(self.config.as_ref()))?;
        let mdat = mdat_header(total);
        // The moov size depends on the offsets only through stco vs co64.
        let mut header_len = ftyp.len() as u64 + mdat.len() as u64;
        let mut moov;
        let mut offsets;
        loop {
            let moov_len = self.moov_bytes(Some(&self.layout(header_len)))?.len() as u64;
            offsets = self.layout(ftyp.len() as u64 + moov_len + mdat.len() as u64);
            moov = self.moov_bytes(Some(&offsets))?;
            if moov.len() as u64 == moov_len {
                break;
            }
            header_len = ftyp.len() as u64 + mdat.len() as u64 + moov.len() as u64 - moov_len;
        }
        // Pad with a free box so the new file is never shorter than the old
        // one: no stale bytes are left past its end.
        let new_len = ftyp.len() as u64 + moov.len() as u64 + mdat.len() as u64 + total;
        let pad = match self.pos.saturating_sub(new_len) {
            0 => 0,
            gap if gap >= 8 => gap,
            gap => gap + 8,
        };
        if pad > 0 {
            offsets = self.layout(ftyp.len() as u64 + moov.len() as u64 + pad + mdat.len() as u64);
            moov = self.moov_bytes(Some(&offsets))?;
        }
        let Output::Seekable(sink) = &mut self.out else {
            unreachable!("faststart is only called on seekable sinks")
        };
        let moves: Vec<(Chunk, u64)> = self
            .chunks
            .iter()
            .copied()
            .zip(offsets.iter().copied())
            .collect();
        let mut buf = vec![0u8; 1 << 20];
        for &(c, to) in moves.iter().rev().filter(|(c, to)| *to > c.offset) {
            move_bytes(sink, c.offset, to, c.len, true, &mut buf)?;
        }
        for &(c, to) in moves.iter().filter(|(c, to)| *to < c.offset) {
            move_bytes(sink, c.offset, to, c.len, false, &mut buf)?;
        }
        sink.seek(SeekFrom::Start(0))?;
        sink.write_all(&ftyp)?;
        sink.write_all(&moov)?;
        if pad > 0 {
            let mut free = (pad as u32).to_be_bytes().to_vec();
            free.extend_from_slice(b"free");
            free.resize(pad as usize, 0);
            sink.write_all(&free)?;
        }
        sink.write_all(&mdat)?;
        let end = ftyp.len() as u64 + moov.len() as u64 + pad + mdat.len() as u64 + total;
        sink.seek(SeekFrom::Start(end))?;
        Ok(end)
    }

    /// Chunk offsets when the sample data starts at `data_start`, contiguous.
    fn layout(&self, data_start: u64) -> Vec<u64> {
        let mut at = data_start;
        self.chunks
            .iter()
            .map(|c| {
                let o = at;
                at += c.len;
                o
            })
            .collect()
    }
}

impl Muxer for Mp4Muxer {
    fn write_packet(&mut self, packet: Packet, config: Option<&CodecConfig>) -> Result<()> {
        Mp4Muxer::write_packet(self, packet, config)
    }

    /// Ends the current fragment (also ended at every keyframe and after
    /// about a second).
    fn end_fragment(&mut self, next_pts: u64) -> Result<()> {
        self.write_fragment(next_pts)
    }

    fn finish(self: Box<Self>) -> Result<u64> {
        Mp4Muxer::finish(*self)
    }

    fn frames_written(&self) -> u64 {
        self.sizes.len() as u64
    }
}

/// Copies `len` bytes from `from` to `to` within the sink, block by block,
/// from the end backwards when `backwards` (so an overlapping move right is safe).
fn move_bytes(
    sink: &mut Box<dyn super::SeekableSink>,
    from: u64,
    to: u64,
    len: u64,
    backwards: bool,
    buf: &mut [u8],
) -> io::Result<()> {
    let block = buf.len() as u64;
    let mut done = 0u64;
    while done < len {
        let n = block.min(len - done);
        let at = if backwards { len - done - n } else { done };
        let b = &mut buf[..n as usize];
        sink.seek(SeekFrom::Start(from + at))?;
        sink.read_exact(b)?;
        sink.seek(SeekFrom::Start(to + at))?;
        sink.write_all(b)?;
        done += n;
    }
    Ok(())
}

/// The keys ffmpeg writes as iTunes items (`mov_write_ilst_tag`), in its
/// order, and the item each goes in. `encoder` is `©too`, always written
/// (`framesink <version>` unless given), as ffmpeg writes `Lavf...`.
pub(crate) const ITUNES_ITEMS: &[(&str, &[u8; 4])] = &[
    ("title", b"\xa9nam"),
    ("artist", b"\xa9ART"),
    ("album_artist", b"aART"),
    ("composer", b"\xa9wrt"),
    ("album", b"\xa9alb"),
    ("date", b"\xa9day"),
    ("encoder", b"\xa9too"),
    ("comment", b"\xa9cmt"),
    ("genre", b"\xa9gen"),
    ("copyright", b"cprt"),
    ("grouping", b"\xa9grp"),
    ("lyrics", b"\xa9lyr"),
    ("description", b"desc"),
    ("synopsis", b"ldes"),
    ("show", b"tvsh"),
    ("episode_id", b"tven"),
    ("network", b"tvnn"),
    ("keywords", b"keyw"),
];

/// A box of `kind` around `body`.
fn boxed(kind: &[u8; 4], body: &[u8]) -> Vec<u8> {
    let mut b = Vec::with_capacity(body.len() + 8);
    b.extend_from_slice(&(body.len() as u32 + 8).to_be_bytes());
    b.extend_from_slice(kind);
    b.extend_from_slice(body);
    b
}

/// An `ilst` item: a `data` box of UTF-8 text (type 1, no locale).
fn text_item(kind: &[u8; 4], text: &str) -> Vec<u8> {
    let mut data = vec![0, 0, 0, 1, 0, 0, 0, 0];
    data.extend_from_slice(text.as_bytes());
    boxed(kind, &boxed(b"data", &data))
}

/// A `meta` box (full box) whose handler is `handler`, holding `children`.
fn meta_box(handler: &[u8; 4], manufacturer: &[u8; 4], children: &[u8]) -> Vec<u8> {
    let mut hdlr = vec![0u8; 8]; // version, flags, pre_defined
    hdlr.extend_from_slice(handler);
    hdlr.extend_from_slice(manufacturer);
    hdlr.extend_from_slice(&[0; 8]); // reserved
    hdlr.push(0); // empty name
    let mut body = vec![0u8; 4];
    body.extend_from_slice(&boxed(b"hdlr", &hdlr));
    body.extend_from_slice(children);
    boxed(b"meta", &body)
}

fn is_itunes_key(key: &str) -> bool {
    key.eq_ignore_ascii_case("encoding_tool")
        || ITUNES_ITEMS
            .iter()
            .any(|(k, _)| k.eq_ignore_ascii_case(key))
}

/// `udta/meta(mdir)/ilst` with the iTunes items, as ffmpeg writes them.
fn udta(metadata: &Metadata) -> Vec<u8> {
    let mut ilst = Vec::new();
    for (key, kind) in ITUNES_ITEMS {
        let value = match *key {
            "encoder" => Some(metadata.encoder()),
            k => metadata.get(k).map(str::to_string),
        };
        if let Some(v) = value {
            ilst.extend_from_slice(&text_item(kind, &v));
        }
    }
    boxed(b"udta", &meta_box(b"mdir", b"appl", &boxed(b"ilst", &ilst)))
}

/// `meta(mdta)` with `keys` and `ilst` for the keys that have no iTunes
/// item (`subject`, ...), as ffmpeg's `-movflags use_metadata_tags` writes
/// them (each item named by its 1-based index into `keys`); `None` if none.
fn mdta_meta(metadata: &Metadata) -> Option<Vec<u8>> {
    let own: Vec<(&str, &str)> = metadata
        .entries()
        .filter(|(k, _)| !k.eq_ignore_ascii_case("creation_time") && !is_itunes_key(k))
        .collect();
    if own.is_empty() {
        return None;
    }
    let mut keys = vec![0u8; 4];
    keys.extend_from_slice(&(own.len() as u32).to_be_bytes());
    let mut ilst = Vec::new();
    for (i, (key, value)) in own.iter().enumerate() {
        keys.extend_from_slice(&boxed(b"mdta", key.as_bytes()));
        ilst.extend_from_slice(&text_item(&(i as u32 + 1).to_be_bytes(), value));
    }
    let mut children = boxed(b"keys", &keys);
    children.extend_from_slice(&boxed(b"ilst", &ilst));
    Some(meta_box(b"mdta", &[0; 4], &children))
}

fn run_lengths(durations: &[u32]) -> Vec<SttsEntry> {
    let mut out: Vec<SttsEntry> = Vec::new();
    for &d in durations {
        match out.last_mut() {
            Some(e) if e.sample_delta == d => e.sample_count += 1,
            _ => out.push(SttsEntry {
                sample_count: 1,
                sample_delta: d,
            }),
        }
    }
    out
}

fn chunk_runs(chunks: &[Chunk]) -> Vec<StscEntry> {
    let mut out: Vec<StscEntry> = Vec::new();
    for (i, c) in chunks.iter().enumerate() {
        if out.last().is_some_and(|e| e.samples_per_chunk == c.samples) {
            continue;
        }
        out.push(StscEntry {
            first_chunk: i as u32 + 1,
            samples_per_chunk: c.samples,
            sample_description_index: 1,
        });
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use mp4_atom::Decode;
    use std::io::Cursor;
    use std::sync::{Arc, Mutex};

    /// A Cursor the test can look into after the muxer took it.
    #[derive(Clone, Default)]
    struct Shared(Arc<Mutex<Cursor<Vec<u8>>>>);
    impl Read for Shared {
        fn read(&mut self, b: &mut [u8]) -> io::Result<usize> {
            self.0.lock().unwrap().read(b)
        }
    }
    impl Write for Shared {
        fn write(&mut self, b: &[u8]) -> io::Result<usize> {
            self.0.lock().unwrap().write(b)
        }
        fn flush(&mut self) -> io::Result<()> {
            Ok(())
        }
    }
    impl Seek for Shared {
        fn seek(&mut self, p: SeekFrom) -> io::Result<u64> {
            self.0.lock().unwrap().seek(p)
        }
    }

    fn packets(n: u64, gop: u64) -> Vec<Packet> {
        (0..n)
            .map(|i| Packet {
                // distinct, recognisable payloads of varying size
                data: vec![(i % 251) as u8; 10 + (i as usize * 37) % 300],
                keyframe: i % gop == 0,
                index: i,
                pts: i * 1001,
                image: None,
            })
            .collect()
    }

    fn config() -> CodecConfig {
        CodecConfig::Avc {
            sps: vec![0x67, 100, 0, 31, 1, 2, 3],
            pps: vec![0x68, 1, 2],
        }
    }

    fn track() -> StreamInfo {
        StreamInfo::new(crate::Codec::H264, 64, 48, 30000, 1001)
    }

    #[test]
    fn faststart_keeps_every_sample_byte_in_order() {
        let sink = Shared::default();
        let mut m = Mp4Muxer::new(Output::Seekable(Box::new(sink.clone())), track());
        let pk = packets(200, 45);
        for p in pk.clone() {
            m.write_packet(p, Some(&config())).unwrap();
        }
        let size = m.finish().unwrap();
        let bytes = sink.0.lock().unwrap().get_ref().clone();
        assert_eq!(size as usize, bytes.len());
        // Top level: ftyp, moov, [free], mdat; moov parses, and its index
        // points at every payload in order.
        let mut r = &bytes[..];
        let mut kinds = Vec::new();
        let mut moov = None;
        while !r.is_empty() {
            let any = mp4_atom::Any::decode(&mut r).unwrap();
            kinds.push(any.kind());
            if let mp4_atom::Any::Moov(m) = any {
                moov = Some(m);
            }
        }
        assert_eq!(kinds.first(), Some(&FourCC::new(b"ftyp")));
        assert_eq!(kinds.get(1), Some(&FourCC::new(b"moov")));
        assert_eq!(kinds.last(), Some(&FourCC::new(b"mdat")));
        let moov = moov.unwrap();
        let stbl = &moov.trak[0].mdia.minf.stbl;
        let offsets = &stbl.stco.as_ref().unwrap().entries;
        let StszSamples::Different { sizes } = &stbl.stsz.samples else {
            panic!("sizes")
        };
        assert_eq!(sizes.len(), 200);
        assert_eq!(moov.mvhd.duration, 200 * 1001);
        let per_chunk: Vec<u32> = {
            let e = &stbl.stsc.entries;
            (0..offsets.len())
                .map(|c| {
                    e.iter()
                        .rev()
                        .find(|x| x.first_chunk as usize <= c + 1)
                        .unwrap()
                        .samples_per_chunk
                })
                .collect()
        };
        let mut sample = 0usize;
        for (c, &off) in offsets.iter().enumerate() {
            let mut at = off as usize;
            for _ in 0..per_chunk[c] {
                let want = &pk[sample].data;
                assert_eq!(&bytes[at..at + want.len()], &want[..], "sample {sample}");
                at += want.len();
                sample += 1;
            }
        }
        assert_eq!(sample, 200);
        let sync = &stbl.stss.as_ref().unwrap().entries;
        assert_eq!(sync, &vec![1, 46, 91, 136, 181]);
    }

    #[test]
    fn stream_output_starts_with_moov_and_fragments() {
        let sink = Shared::default();
        let mut m = Mp4Muxer::new(Output::Stream(Box::new(sink.clone())), track());
        for p in packets(100, 30) {
            m.write_packet(p, Some(&config())).unwrap();
        }
        m.finish().unwrap();
        let bytes = sink.0.lock().unwrap().get_ref().clone();
        let mut r = &bytes[..];
        let mut kinds = Vec::new();
        while !r.is_empty() {
            kinds.push(mp4_atom::Any::decode(&mut r).unwrap().kind());
        }
        assert_eq!(&kinds[..2], &[FourCC::new(b"ftyp"), FourCC::new(b"moov")]);
        // 100 frames, keyframe every 30 (1001/30000 s each: a fragment per GOP)
        let moofs = kinds.iter().filter(|k| **k == FourCC::new(b"moof")).count();
        assert_eq!(moofs, 4);
    }

    #[test]
    fn durations_run_length_encode() {
        let e = run_lengths(&[3, 3, 3, 5, 3]);
        assert_eq!(e.len(), 3);
        assert_eq!((e[0].sample_count, e[0].sample_delta), (3, 3));
    }
}
