//! Reads an MP4 (a part to join): its stream description and where each of
//! its samples lies (plain sample tables, fragments, or both), all checked
//! against the file's length before a byte of sample data is read. Boxes
//! are decoded by mp4-atom; every length read from the file is checked
//! against what remains before anything is allocated for it.

use std::io::{Read, Seek, SeekFrom};

use mp4_atom::{Codec as StsdCodec, Colr, Decode, FourCC, Moof, Moov, StszSamples};

// Kept reachable here, where it was first defined.
pub(crate) use super::Mode;
use super::{DemuxError, Demuxer, SampleEntry};
use crate::config::{Codec, ColorMatrix};
use crate::decode::ColorTags;
use crate::encode::{CodecConfig, Packet};
use crate::metadata::Metadata;
use crate::stream::StreamInfo;

/// The largest `moov` read (its sample table: about 12 bytes a frame).
const MAX_MOOV: u64 = 256 << 20;
/// The largest `moof` read.
const MAX_MOOF: u64 = 64 << 20;
/// The most samples a part may hold (about 3.8 days at 30 fps).
const MAX_SAMPLES: usize = 10_000_000;
/// ISO BMFF `sample_is_non_sync_sample`.
const NON_SYNC: u32 = 0x0001_0000;

#[derive(Clone, Copy, Debug)]
struct Sample {
    offset: u64,
    size: u32,
    duration: u32,
    keyframe: bool,
    /// Its presentation time minus its decoding time (B-frames), read
    /// only; then its presentation time from the first frame shown.
    pts: i64,
}

/// A top-level box: its type, where it starts, its whole length.
struct TopBox {
    kind: [u8; 4],
    start: u64,
    len: u64,
}

/// An MP4 whose boxes are read and checked: its samples, read one by one.
pub(crate) struct Mp4Demuxer<R> {
    reader: R,
    info: StreamInfo,
    /// The track's `colr` (nclx) tags, where it has them.
    colour: Option<ColorTags>,
    /// The tags as written (read mode).
    metadata: Metadata,
    samples: Vec<Sample>,
    /// The end of the last sample, in ticks.
    duration: u64,
    /// The next sample to read.
    next: usize,
    /// Why the file's end came early, when it did (read mode).
    cut: Option<String>,
    /// Where the reader is, when it is at the end of the sample read last
    /// (samples in a row are read without a seek).
    position: Option<u64>,
}

type Check<T> = std::result::Result<T, String>;

fn kind_name(kind: &[u8; 4]) -> String {
    String::from_utf8_lossy(kind).into_owned()
}

/// Lists the top-level boxes, checking that each lies within the file. In
/// read mode a box cut by the file's end (a movie whose writer died, a
/// download cut short) is listed as far as it goes and the cut returned.
fn top_boxes<R: Read + Seek>(
    r: &mut R,
    len: u64,
    mode: Mode,
) -> Check<(Vec<TopBox>, Option<String>)> {
    let mut boxes = Vec::new();
    let mut pos = 0u64;
    while pos < len {
        let left = len - pos;
        if left < 8 {
            let cut = format!(
                "it is truncated: {left} stray bytes at byte {pos}, too few for a box header"
            );
            if mode == Mode::Join {
                return Err(cut);
            }
            return Ok((boxes, Some(cut)));
        }
        let mut h = [0u8; 16];
        r.seek(SeekFrom::Start(pos)).map_err(|e| e.to_string())?;
        r.read_exact(&mut h[..8]).map_err(|e| e.to_string())?;
        let size32 = u32::from_be_bytes([h[0], h[1], h[2], h[3]]) as u64;
        let kind = [h[4], h[5], h[6], h[7]];
        let (size, header) = match size32 {
            0 => (left, 8),
            1 => {
                if left < 16 {
                    return Err(format!(
                        "it is truncated: box '{}' at byte {pos} has a 64-bit size but the file ends first",
                        kind_name(&kind)
                    ));
                }
                r.read_exact(&mut h[8..]).map_err(|e| e.to_string())?;
                (
                    u64::from_be_bytes([h[8], h[9], h[10], h[11], h[12], h[13], h[14], h[15]]),
                    16,
                )
            }
            s => (s, 8),
        };
        if !kind.iter().all(|c| c.is_ascii_graphic() || *c == b' ') {
            return Err(format!(
                "byte {pos} does not start a box (type bytes {kind:02x?}); the file is damaged"
            ));
        }
        if size < header {
            return Err(format!(
                "box '{}' at byte {pos} claims {size} bytes, less than its own header",
                kind_name(&kind)
            ));
        }
        if size > left {
            let cut = format!(
                "it is truncated: box '{}' at byte {pos} claims {size} bytes but only {left} remain",
                kind_name(&kind)
            );
            if mode == Mode::Join {
                return Err(cut);
            }
            boxes.push(TopBox {
                kind,
                start: pos,
                len: left,
            });
            return Ok((boxes, Some(cut)));
        }
        boxes.push(TopBox {
            kind,
            start: pos,
            len: size,
        });
        pos += size;
    }
    Ok((boxes, None))
}

/// The bytes of the top-level box `b`, header included (at most `max`).
fn box_bytes<R: Read + Seek>(r: &mut R, b: &TopBox, max: u64) -> Check<Vec<u8>> {
    if b.len > max {
        return Err(format!(
            "box '{}' at byte {} is {} bytes, more than the {max} framesink reads",
            kind_name(&b.kind),
            b.start,
            b.len
        ));
    }
    let mut buf = vec![0u8; b.len as usize];
    r.seek(SeekFrom::Start(b.start))
        .map_err(|e| e.to_string())?;
    r.read_exact(&mut buf).map_err(|e| e.to_string())?;
    Ok(buf)
}

fn read_box<R: Read + Seek, T: Decode>(r: &mut R, b: &TopBox, max: u64, mode: Mode) -> Check<T> {
    parse_box(box_bytes(r, b, max)?, b, mode)
}

/// Decodes the bytes `buf` of the top-level box `b`, with the boxes it
/// does not use blanked first (see [`blank_user_data`]).
fn parse_box<T: Decode>(mut buf: Vec<u8>, b: &TopBox, mode: Mode) -> Check<T> {
    if &b.kind == b"moov" {
        blank_user_data(&mut buf);
    }
    if mode == Mode::Read {
        blank_sample_groups(&mut buf);
    } else if let Some(at) = sample_group(&buf) {
        return Err(format!(
            "it has a sample group description ('sgpd' at byte {}); join takes framesink's parts, which have none",
            b.start + at as u64
        ));
    }
    T::decode(&mut &buf[..]).map_err(|e| {
        format!(
            "box '{}' at byte {} cannot be read: {e}",
            kind_name(&b.kind),
            b.start
        )
    })
}

/// Turns the `udta` and `meta` boxes of a `moov` into `free` boxes of the
/// same size with zeroed bodies, in place. Join ignores a part's metadata
/// (the joined movie carries the joiner's); its text must not be taken for
/// boxes (a title holding "sgpd"), nor its iTunes items (which mp4-atom
/// 0.17 does not all know) fail the part. Offsets stay as they were.
fn blank_user_data(moov: &mut [u8]) {
    let Some(&[a, b, c, d]) = moov.get(..4) else {
        return;
    };
    let mut at = if u32::from_be_bytes([a, b, c, d]) == 1 {
        16
    } else {
        8
    };
    while at + 8 <= moov.len() {
        let left = (moov.len() - at) as u64;
        let size32 = u32::from_be_bytes([moov[at], moov[at + 1], moov[at + 2], moov[at + 3]]);
        let (size, header) = match size32 {
            0 => (left, 8),
            1 => match moov.get(at + 8..at + 16) {
                Some(s) => (u64::from_be_bytes(s.try_into().expect("8 bytes")), 16),
                None => return,
            },
            s => (s as u64, 8),
        };
        if size < header as u64 || size > left {
            return; // damaged: left for the decoder to report
        }
        let end = at + size as usize;
        if matches!(&moov[at + 4..at + 8], b"udta" | b"meta") {
            moov[at + 4..at + 8].copy_from_slice(b"free");
            moov[at + header..end].fill(0);
        }
        at = end;
    }
}

/// Turns every sample group box (`sgpd`, `sbgp`) within the box `buf` into
/// a `free` box of the same size, walking the containers that hold them
/// (a movie's audio track carries AAC's 'roll' groups, which mp4-atom 0.17
/// can mistake for gigabytes of entries; the reader needs none of them).
fn blank_sample_groups(buf: &mut [u8]) {
    const CONTAINERS: [&[u8; 4]; 8] = [
        b"moov", b"trak", b"mdia", b"minf", b"stbl", b"moof", b"traf", b"mvex",
    ];
    let Some(kind) = buf.get(4..8) else {
        return;
    };
    if !CONTAINERS.iter().any(|c| &c[..] == kind) {
        return;
    }
    let mut at = 8;
    while at + 8 <= buf.len() {
        let size = u32::from_be_bytes([buf[at], buf[at + 1], buf[at + 2], buf[at + 3]]) as usize;
        if size < 8 || size > buf.len() - at {
            return; // damaged, or a 64-bit size: left for the decoder to report
        }
        let child = &mut buf[at..at + size];
        if matches!(&child[4..8], b"sgpd" | b"sbgp") {
            child[4..8].copy_from_slice(b"free");
            child[8..].fill(0);
        } else {
            blank_sample_groups(child);
        }
        at += size;
    }
}

/// Where an `sgpd` box starts in `buf`, if anywhere. mp4-atom 0.17 decodes
/// a version-0 `sgpd` of an unknown grouping type as a first entry that
/// takes the rest of the box and then entries of no bytes: its count (up to
/// 2^32) of them from a few bytes, gigabytes. framesink writes no sample
/// groups, so a box holding one is refused before it is decoded. A byte
/// search, as mp4-atom finds the box wherever its decoders look.
fn sample_group(buf: &[u8]) -> Option<usize> {
    // The type at i + 4, so the box (its size first) at i.
    buf.windows(4).skip(4).position(|w| w == b"sgpd")
}

/// The stream a `moov` describes, the default sample values of its
/// fragments (trex: duration, size, flags), and its track id.
/// A track's stream, its fragments' defaults (trex: duration, size, flags),
/// its track id, and its place among the `moov`'s tracks.
type Track = (StreamInfo, (u32, u32, u32), u32, usize);

fn stream_of(moov: &Moov, mode: Mode) -> Check<Track> {
    let vide = FourCC::new(b"vide");
    let (track, trak) = match (mode, &moov.trak[..]) {
        (Mode::Join, [trak]) => (0, trak),
        (Mode::Join, traks) => {
            return Err(format!(
                "it holds {} tracks; join takes MP4s with one video track, as framesink makes them",
                traks.len()
            ))
        }
        (Mode::Read, traks) => traks
            .iter()
            .enumerate()
            .find(|(_, t)| t.mdia.hdlr.handler == vide)
            .ok_or_else(|| {
                let kinds: Vec<String> = traks
                    .iter()
                    .map(|t| format!("'{}'", t.mdia.hdlr.handler))
                    .collect();
                format!(
                    "it has no video track (its tracks: {})",
                    if kinds.is_empty() {
                        "none".to_string()
                    } else {
                        kinds.join(", ")
                    }
                )
            })?,
    };
    let handler = trak.mdia.hdlr.handler;
    if handler != vide {
        return Err(format!("its track is '{handler}', not video ('vide')"));
    }
    let timescale = trak.mdia.mdhd.timescale;
    if timescale == 0 {
        return Err("its timescale is 0".into());
    }
    let stbl = &trak.mdia.minf.stbl;
    let entry = match (&stbl.stsd.codecs[..], mode) {
        ([entry], _) => entry,
        ([entry, ..], Mode::Read) => entry,
        (entries, _) => {
            return Err(format!(
                "it has {} sample descriptions; {} one",
                entries.len(),
                if mode == Mode::Join {
                    "join takes"
                } else {
                    "a movie needs at least"
                }
            ))
        }
    };
    let (codec, visual, colr, config) = match entry {
        StsdCodec::Avc1(a) => {
            let (sps, pps) = (
                &a.avcc.sequence_parameter_sets[..],
                &a.avcc.picture_parameter_sets[..],
            );
            if mode == Mode::Join && (sps.len(), pps.len()) != (1, 1) {
                return Err(format!(
                    "its avcC has {} SPS and {} PPS; join takes one of each",
                    a.avcc.sequence_parameter_sets.len(),
                    a.avcc.picture_parameter_sets.len()
                ));
            }
            let (Some(sps), Some(pps)) = (sps.first(), pps.first()) else {
                return Err(format!(
                    "its avcC has {} SPS and {} PPS; H.264 needs one of each",
                    sps.len(),
                    pps.len()
                ));
            };
            let config = CodecConfig::Avc {
                sps: sps.clone(),
                pps: pps.clone(),
            };
            (Codec::H264, &a.visual, &a.colr, config)
        }
        StsdCodec::Av01(a) => {
            let config = CodecConfig::Av1 {
                level: a.av1c.seq_level_idx_0,
                sequence_header: a.av1c.config_obus.clone(),
            };
            (Codec::Av1, &a.visual, &a.colr, config)
        }
        other => {
            return Err(match mode {
                Mode::Join => format!("its codec is {other:?}; join takes H.264 (avc1) and AV1 (av01)")
                    .chars()
                    .take(200)
                    .collect(),
                Mode::Read => format!(
                    "its video is {}, which framesink does not decode (it decodes H.264 and AV1 in MP4, GIF and APNG); read it through ffmpeg (imageio's pyav or ffmpeg plugin, or `ffmpeg -i FILE -f rawvideo -`)",
                    codec_name(other)
                ),
            })
        }
    };
    let matrix = match (mode, colr) {
        (Mode::Read, _) => ColorMatrix::Bt709, // the reader takes the tags from `colour`
        (Mode::Join, colr) => match colr {
            Some(Colr::Nclx {
                matrix_coefficients: 6 | 5,
                ..
            }) => ColorMatrix::Bt601,
            Some(Colr::Nclx {
                matrix_coefficients: 1,
                ..
            })
            | None => ColorMatrix::Bt709,
            Some(Colr::Nclx {
                matrix_coefficients: m,
                ..
            }) => {
                return Err(format!(
                    "its colour matrix is {m}; join takes BT.709 (1) and BT.601 (6)"
                ))
            }
            Some(_) => ColorMatrix::Bt709,
        },
    };
    let trex = moov
        .mvex
        .as_ref()
        .and_then(|m| m.trex.iter().find(|t| t.track_id == trak.tkhd.track_id))
        .map_or((0, 0, 0), |t| {
            (
                t.default_sample_duration,
                t.default_sample_size,
                t.default_sample_flags,
            )
        });
    let mut info = StreamInfo::new(
        codec,
        visual.width as u32,
        visual.height as u32,
        timescale,
        0,
    );
    info.matrix = matrix;
    // Checked here, as the joined movie repeats it: an MP4 compressor name
    // holds at most 31 bytes (a longer one is read from a damaged field).
    let encoder = visual.compressor.as_ref();
    if encoder.len() > 31 {
        return Err(format!(
            "its compressor name {:?} is {} bytes; an MP4 holds at most 31 (framesink writes e.g. \"framesink H.264 q58\")",
            encoder.chars().take(40).collect::<String>(),
            encoder.len()
        ));
    }
    info.encoder = encoder.to_string();
    info.config = Some(config);
    Ok((info, trex, trak.tkhd.track_id, track))
}

/// A sample description's codec, as a reader names it.
fn codec_name(codec: &StsdCodec) -> String {
    match codec {
        StsdCodec::Hev1(_) | StsdCodec::Hvc1(_) => "HEVC (H.265)".into(),
        StsdCodec::Vp08(_) => "VP8".into(),
        StsdCodec::Vp09(_) => "VP9".into(),
        StsdCodec::Avc3(_) => "H.264 with in-band parameter sets (avc3)".into(),
        StsdCodec::Jpeg(_) => "Motion JPEG".into(),
        other => {
            let debug = format!("{other:?}");
            let name: String = debug.chars().take_while(|c| c.is_alphanumeric()).collect();
            match name.as_str() {
                "Unknown" => {
                    let kind: String = debug
                        .chars()
                        .skip_while(|c| *c != '"')
                        .skip(1)
                        .take_while(|c| *c != '"')
                        .take(8)
                        .collect();
                    format!("'{kind}'")
                }
                _ => format!("'{}'", name.to_ascii_lowercase()),
            }
        }
    }
}

/// The `colr` (nclx) tags of the first sample description, if any.
fn colour_of(moov: &Moov, track: usize) -> Option<ColorTags> {
    let entry = moov.trak[track].mdia.minf.stbl.stsd.codecs.first()?;
    let colr = match entry {
        StsdCodec::Avc1(a) => a.colr.as_ref(),
        StsdCodec::Av01(a) => a.colr.as_ref(),
        _ => None,
    }?;
    match colr {
        Colr::Nclx {
            colour_primaries,
            transfer_characteristics,
            matrix_coefficients,
            full_range_flag,
        } => Some(ColorTags {
            primaries: u8::try_from(*colour_primaries).unwrap_or(2),
            transfer: u8::try_from(*transfer_characteristics).unwrap_or(2),
            matrix: u8::try_from(*matrix_coefficients).unwrap_or(2),
            full_range: *full_range_flag,
        }),
        _ => None,
    }
}

fn push(samples: &mut Vec<Sample>, s: Sample, len: u64) -> Check<()> {
    if samples.len() >= MAX_SAMPLES {
        return Err(format!(
            "it holds more than {MAX_SAMPLES} frames; split it into smaller parts"
        ));
    }
    let i = samples.len();
    if s.size == 0 {
        return Err(format!("frame {i} is empty (0 bytes)"));
    }
    if s.duration == 0 {
        return Err(format!("frame {i} lasts 0 ticks"));
    }
    if s.offset
        .checked_add(s.size as u64)
        .is_none_or(|end| end > len)
    {
        return Err(format!(
            "it is truncated or damaged: frame {i} ({} bytes at byte {}) lies past the end of the file ({len} bytes)",
            s.size, s.offset
        ));
    }
    samples.push(s);
    Ok(())
}

/// The samples of a plain (non-fragmented) sample table.
fn table_samples(
    moov: &Moov,
    track: usize,
    mode: Mode,
    len: u64,
    samples: &mut Vec<Sample>,
) -> Check<()> {
    let stbl = &moov.trak[track].mdia.minf.stbl;
    let (count, sizes): (usize, Box<dyn Fn(usize) -> u32>) = match &stbl.stsz.samples {
        StszSamples::Identical { count, size } => {
            let size = *size;
            (*count as usize, Box::new(move |_| size))
        }
        StszSamples::Different { sizes } => (sizes.len(), Box::new(|i| sizes[i])),
    };
    if count == 0 {
        return Ok(());
    }
    if count > MAX_SAMPLES || count as u64 > len {
        return Err(format!(
            "its sample table claims {count} frames, more than a file of {len} bytes can hold"
        ));
    }
    if stbl.ctts.is_some() && mode == Mode::Join {
        return Err(
            "its frames are reordered (ctts: B-frames); join takes framesink's streams, which have none"
                .into(),
        );
    }
    let mut offsets_ct = stbl.ctts.iter().flat_map(|c| {
        c.entries
            .iter()
            .flat_map(|e| std::iter::repeat_n(e.sample_offset, e.sample_count as usize))
    });
    let offsets: Vec<u64> = match (&stbl.stco, &stbl.co64) {
        (_, Some(c)) => c.entries.clone(),
        (Some(c), None) => c.entries.iter().map(|&o| o as u64).collect(),
        (None, None) => return Err("its sample table has no chunk offsets (stco/co64)".into()),
    };
    let mut durations = stbl
        .stts
        .entries
        .iter()
        .flat_map(|e| std::iter::repeat_n(e.sample_delta, e.sample_count as usize));
    let sync = stbl.stss.as_ref().map(|s| &s.entries);
    let mut next_sync = 0usize;
    let stsc = &stbl.stsc.entries;
    // Runs of chunks, in order (first_chunk counts from 1): walked once
    // beside the chunks, so a table of many runs costs no more than its
    // length.
    if let Some(w) = stsc
        .windows(2)
        .find(|w| w[1].first_chunk <= w[0].first_chunk)
    {
        return Err(format!(
            "its chunk table (stsc) is out of order (a run starts at chunk {} after one at chunk {}); runs must start at increasing chunks",
            w[1].first_chunk, w[0].first_chunk
        ));
    }
    let mut run = 0usize;
    let mut sample = 0usize;
    for (chunk, &chunk_offset) in offsets.iter().enumerate() {
        if sample >= count {
            break;
        }
        while run + 1 < stsc.len() && stsc[run + 1].first_chunk as usize <= chunk + 1 {
            run += 1;
        }
        let per_chunk = match stsc.get(run) {
            Some(e) if e.first_chunk as usize <= chunk + 1 => e.samples_per_chunk as usize,
            _ => 0,
        };
        let mut at = chunk_offset;
        for _ in 0..per_chunk {
            if sample >= count {
                break;
            }
            let size = sizes(sample);
            let duration = durations.next().ok_or_else(|| {
                format!("its time table (stts) covers fewer than its {count} frames")
            })?;
            let keyframe = match sync {
                None => true,
                Some(s) => {
                    while next_sync < s.len() && (s[next_sync] as usize) < sample + 1 {
                        next_sync += 1;
                    }
                    next_sync < s.len() && s[next_sync] as usize == sample + 1
                }
            };
            push(
                samples,
                Sample {
                    offset: at,
                    size,
                    duration,
                    keyframe,
                    pts: offsets_ct.next().unwrap_or(0),
                },
                len,
            )?;
            at += size as u64;
            sample += 1;
        }
    }
    if sample != count {
        return Err(format!(
            "its chunk table (stsc/stco) places {sample} of its {count} frames"
        ));
    }
    Ok(())
}

/// The samples of one `moof` that starts at `start`.
fn fragment_samples(
    moof: &Moof,
    start: u64,
    track_id: u32,
    trex: (u32, u32, u32),
    mode: Mode,
    len: u64,
    samples: &mut Vec<Sample>,
) -> Check<()> {
    for traf in &moof.traf {
        let t = &traf.tfhd;
        if t.track_id != track_id && mode == Mode::Read {
            continue; // another track's (audio)
        }
        if t.track_id != track_id {
            return Err(format!(
                "a fragment at byte {start} is for track {}, but the part's track is {track_id}",
                t.track_id
            ));
        }
        if t.sample_description_index.is_some_and(|i| i != 1) {
            return Err(format!(
                "a fragment at byte {start} uses sample description {}; join takes one",
                t.sample_description_index.unwrap_or(0)
            ));
        }
        let base = t.base_data_offset.unwrap_or(start);
        let duration = t.default_sample_duration.unwrap_or(trex.0);
        let size = t.default_sample_size.unwrap_or(trex.1);
        let flags = t.default_sample_flags.unwrap_or(trex.2);
        let mut at = base;
        for trun in &traf.trun {
            if let Some(off) = trun.data_offset {
                at = base.checked_add_signed(off as i64).ok_or_else(|| {
                    format!("a fragment at byte {start} points before the file's start")
                })?;
            }
            for e in trun.samples.iter() {
                if e.cts.is_some_and(|c| c != 0) && mode == Mode::Join {
                    return Err(
                        "its frames are reordered (composition offsets: B-frames); join takes framesink's streams, which have none"
                            .into(),
                    );
                }
                let sample_size = e.size.unwrap_or(size);
                let f = e.flags.unwrap_or(flags);
                push(
                    samples,
                    Sample {
                        offset: at,
                        size: sample_size,
                        duration: e.duration.unwrap_or(duration),
                        keyframe: f & NON_SYNC == 0,
                        pts: e.cts.unwrap_or(0),
                    },
                    len,
                )?;
                at += sample_size as u64;
            }
        }
    }
    Ok(())
}

impl<R: Read + Seek> Mp4Demuxer<R> {
    /// Reads the boxes of an MP4 of `len` bytes and its sample table.
    pub(crate) fn open(reader: R, len: u64) -> Result<Self, DemuxError> {
        Self::open_for(reader, len, Mode::Join)
    }

    /// Reads an MP4 of `len` bytes for `mode`.
    pub(crate) fn open_for(mut reader: R, len: u64, mode: Mode) -> Result<Self, DemuxError> {
        let r = &mut reader;
        let (boxes, mut cut) = top_boxes(r, len, mode)?;
        // Read mode checks the samples' ends after the tables are read, and
        // keeps those before the first that lies past the end.
        let limit = if mode == Mode::Join { len } else { u64::MAX };
        let mut moovs = boxes.iter().filter(|b| &b.kind == b"moov");
        let (Some(moov_box), None) = (moovs.next(), moovs.next()) else {
            let n = boxes.iter().filter(|b| &b.kind == b"moov").count();
            return Err(DemuxError::Invalid(if n == 0 {
                "it has no 'moov' box (the stream's description); it is not a whole MP4".into()
            } else {
                format!("it has {n} 'moov' boxes; an MP4 has one")
            }));
        };
        let moov_bytes = box_bytes(r, moov_box, MAX_MOOV)?;
        // The tags are read before parse_box blanks them (read mode only:
        // a joined movie carries the joiner's).
        let tags = (mode == Mode::Read).then(|| super::mp4_tags::tags(&moov_bytes));
        let moov: Moov = parse_box(moov_bytes, moov_box, mode)?;
        let (mut info, trex, track_id, track) = stream_of(&moov, mode)?;
        let colour = colour_of(&moov, track);
        let metadata = tags.map_or_else(Metadata::default, |t| {
            super::mp4_tags::metadata(t, moov.mvhd.creation_time)
        });
        let mut samples = Vec::new();
        table_samples(&moov, track, mode, limit, &mut samples)?;
        for b in boxes.iter().filter(|b| &b.kind == b"moof") {
            let moof: Moof = match read_box(r, b, MAX_MOOF, mode) {
                Ok(moof) => moof,
                // A fragment cut by the end holds no whole frame.
                Err(_) if cut.is_some() && b.start + b.len == len => break,
                Err(e) => return Err(e.into()),
            };
            fragment_samples(&moof, b.start, track_id, trex, mode, limit, &mut samples)?;
        }
        let whole = samples
            .iter()
            .position(|s| s.offset.saturating_add(s.size as u64) > len);
        if let Some(i) = whole {
            let s = samples[i];
            cut = Some(format!(
                "it is truncated at byte {len}: frame {i} of {} ({} bytes at byte {}) lies past its end; the {i} frames before it are read",
                samples.len(),
                s.size,
                s.offset
            ));
            samples.truncate(i);
        }
        // Presentation times: decoding time plus composition offset, from
        // the first frame shown (an edit list that skips B-frames' delay
        // moves them all alike).
        let mut dts = 0i64;
        for s in &mut samples {
            s.pts = dts.saturating_add(s.pts);
            dts = dts.saturating_add(s.duration as i64);
        }
        let first = samples.iter().map(|s| s.pts).min().unwrap_or(0);
        for s in &mut samples {
            s.pts -= first;
        }
        let Some(first) = samples.first() else {
            return Err(DemuxError::Invalid(
                cut.unwrap_or_else(|| "it holds no frames".into()),
            ));
        };
        if !first.keyframe {
            return Err(DemuxError::Invalid(
                "its first frame is not a keyframe; a part must start with one".into(),
            ));
        }
        // The nominal frame period: the most common frame duration.
        let mut durations: Vec<u32> = samples.iter().map(|s| s.duration).collect();
        durations.sort_unstable();
        let mut best = (0usize, 0u32);
        let mut run = (0usize, 0u32);
        for d in durations {
            run = if run.1 == d { (run.0 + 1, d) } else { (1, d) };
            if run.0 > best.0 {
                best = run;
            }
        }
        info.frame_ticks = best.1;
        let duration = samples.iter().map(|s| s.duration as u64).sum();
        Ok(Mp4Demuxer {
            reader,
            info,
            colour,
            metadata,
            samples,
            duration,
            next: 0,
            position: None,
            cut,
        })
    }

    /// The tags as written (read mode).
    pub(crate) fn metadata(&self) -> &Metadata {
        &self.metadata
    }

    /// Where the file was cut, when it is truncated (read mode).
    pub(crate) fn cut(&self) -> Option<&str> {
        self.cut.as_deref()
    }

    /// The track's `colr` tags, where it has them.
    pub(crate) fn colour(&self) -> Option<ColorTags> {
        self.colour
    }
}

impl<R: Read + Seek> Demuxer for Mp4Demuxer<R> {
    fn info(&self) -> &StreamInfo {
        &self.info
    }

    fn duration(&self) -> u64 {
        self.duration
    }

    fn next_packet(&mut self) -> Result<Option<Packet>, DemuxError> {
        let i = self.next;
        let Some(s) = self.samples.get(i) else {
            return Ok(None);
        };
        if self.position != Some(s.offset) {
            self.reader.seek(SeekFrom::Start(s.offset))?;
        }
        let mut data = vec![0u8; s.size as usize];
        self.reader
            .read_exact(&mut data)
            .map_err(|e| DemuxError::Invalid(format!("frame {i} cannot be read: {e}")))?;
        self.position = Some(s.offset + s.size as u64);
        let packet = Packet {
            data,
            keyframe: s.keyframe,
            index: i as u64,
            pts: s.pts as u64,
            image: None,
        };
        self.next += 1;
        Ok(Some(packet))
    }

    fn samples(&self) -> Vec<SampleEntry> {
        self.samples
            .iter()
            .map(|s| SampleEntry {
                pts: s.pts as u64,
                keyframe: s.keyframe,
            })
            .collect()
    }

    fn seek(&mut self, index: usize) -> Result<(), DemuxError> {
        self.next = index.min(self.samples.len());
        Ok(())
    }
}
