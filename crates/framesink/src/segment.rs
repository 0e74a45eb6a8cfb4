//! The unit of parallel work, and the one way such units become a movie. A
//! segment is a closed run of GOPs (its first frame is a keyframe) with the
//! description of the stream it belongs to; [`Joiner`] puts segments one after
//! another, copying their packets and continuing their times, whatever made
//! them: the writer's own encoder threads, other processes, other machines.
//!
//! On the wire a segment is an MP4 (fragmented or plain) or a GIF of its own:
//! standard files that play alone and that ffprobe reads. [`join`] takes such
//! parts and writes one movie without re-encoding.

use std::fmt;
use std::io::{Read, Seek, SeekFrom};

use crate::config::Codec;
#[cfg(feature = "gif")]
use crate::demux::gif::GifDemuxer;
use crate::demux::mp4::Mp4Demuxer;
use crate::demux::{DemuxError, Demuxer};
use crate::encode::Packet;
use crate::error::{Error, Result};
use crate::frame::Timestamp;
use crate::metadata::Metadata;
use crate::mux::mp4::Mp4Muxer;
use crate::mux::{Muxer, Output};
use crate::stream::Summary;
// Still public at `framesink::segment::StreamInfo`, where it was first.
pub use crate::stream::StreamInfo;

/// A closed run of GOPs held in memory: packets with times from 0, and the
/// time the segment ends (where the next one starts).
#[derive(Clone, Debug)]
pub struct Segment {
    /// The stream it belongs to.
    pub info: StreamInfo,
    /// Its packets in order, the first a keyframe, `pts` from 0.
    pub packets: Vec<Packet>,
    /// Its length in ticks: the end of its last frame.
    pub duration: u64,
}

/// Puts segments one after another into one movie: packets are copied as
/// they are and each segment starts where the one before ended.
///
/// A segment is given as [`begin`](Self::begin), its packets
/// ([`packet`](Self::packet), times from the segment's start) and
/// [`end`](Self::end), or whole ([`append`](Self::append)), or as a file
/// ([`append_part`](Self::append_part)). Every segment is checked against
/// the first: a difference is an [`Error::InvalidPart`] that names the part
/// and the field, before any of its packets is written.
///
/// The joined movie carries the metadata given to
/// [`with_metadata`](Self::with_metadata) (title, creation time, ...), and
/// none of the parts' own: parts are pieces of one movie, often made by
/// workers that know nothing of it, and the movie is described once, here.
pub struct Joiner {
    muxer: Option<Box<dyn Muxer>>,
    output: Option<Output>,
    info: Option<StreamInfo>,
    /// Where the current (or next) segment starts, in ticks.
    offset: u64,
    /// In a segment: the time of its last packet (relative), if any.
    last_pts: Option<u64>,
    in_segment: bool,
    part: String,
    parts: usize,
    frames: u64,
    metadata: Metadata,
}

impl Joiner {
    /// Joins into `output`; the container (MP4 or GIF) is the first part's.
    /// A seekable output gets a faststart MP4, a write-only one stays
    /// fragmented.
    pub fn new(output: Output) -> Self {
        Joiner {
            muxer: None,
            output: Some(output),
            info: None,
            offset: 0,
            last_pts: None,
            in_segment: false,
            part: String::new(),
            parts: 0,
            frames: 0,
            metadata: Metadata::default(),
        }
    }

    /// Writes `metadata` into the joined movie (MP4 tags and creation time,
    /// a GIF comment; see [`crate::metadata`]) instead of none. Check the
    /// pairs with [`Metadata::new`] before the output is made, so that a bad
    /// key leaves no file behind.
    pub fn with_metadata(mut self, metadata: Metadata) -> Self {
        self.metadata = metadata;
        self
    }

    /// Joins into a container writer that is already made for `info`.
    pub(crate) fn with_muxer(muxer: Box<dyn Muxer>) -> Self {
        let mut j = Joiner::new(Output::Stream(Box::new(std::io::sink())));
        j.output = None;
        j.muxer = Some(muxer);
        j
    }

    /// Where the next segment starts (the movie's length so far), in ticks.
    pub fn offset(&self) -> u64 {
        self.offset
    }

    /// Frames taken so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Frames whose data has reached the output so far (the rest wait in
    /// the fragment being made).
    pub fn frames_written(&self) -> u64 {
        self.muxer.as_ref().map_or(0, |m| m.frames_written())
    }

    /// Segments (parts) joined so far.
    pub fn parts(&self) -> usize {
        self.parts
    }

    /// The stream's description, once the first segment began.
    pub fn info(&self) -> Option<&StreamInfo> {
        self.info.as_ref()
    }

    fn part_error(&self, message: impl fmt::Display) -> Error {
        Error::InvalidPart {
            index: self.parts,
            name: self.part.clone(),
            message: message.to_string(),
        }
    }

    /// Starts the next segment, named `part` in errors (a path, "segment 3").
    pub fn begin(&mut self, info: &StreamInfo, part: &str) -> Result<()> {
        if self.in_segment {
            return Err(Error::Mux(format!(
                "segment {:?} began before {:?} ended",
                part, self.part
            )));
        }
        self.part = part.to_string();
        self.check(info)?;
        match &mut self.info {
            Some(first) => {
                if first.config.is_none() {
                    first.config = info.config.clone();
                }
            }
            None => self.info = Some(info.clone()),
        }
        if self.muxer.is_none() {
            let output = self
                .output
                .take()
                .expect("a joiner without a muxer has an output");
            self.muxer = Some(match info.codec {
                Codec::H264 | Codec::Av1 => Box::new(
                    Mp4Muxer::new(output, info.clone()).with_metadata(self.metadata.clone()),
                ),
                #[cfg(feature = "gif")]
                Codec::Gif => Box::new(
                    crate::mux::gif::GifMuxer::new(
                        output,
                        info.width,
                        info.height,
                        info.timescale,
                        info.loops,
                    )?
                    .with_metadata(&self.metadata)?,
                ),
                other => {
                    return Err(self.part_error(format!(
                        "{other} parts cannot be joined; join takes H.264 or AV1 MP4s and GIFs"
                    )))
                }
            });
        }
        self.in_segment = true;
        self.last_pts = None;
        Ok(())
    }

    /// Checks that a segment of `info` can follow the first one; the error
    /// names the part being begun.
    fn check(&self, info: &StreamInfo) -> Result<()> {
        let Some(first) = &self.info else {
            return Ok(());
        };
        match first.difference(info) {
            None => Ok(()),
            Some((field, a, b)) => Err(self.part_error(format!(
                "{field} differs from the first part's: {b} here, {a} there; every part of a movie must have the same {field}"
            ))),
        }
    }

    /// Adds a packet of the current segment; its `pts` counts from the
    /// segment's start and must increase.
    pub fn packet(&mut self, mut packet: Packet) -> Result<()> {
        if !self.in_segment {
            return Err(Error::Mux("a packet came outside a segment".into()));
        }
        match self.last_pts {
            None if !packet.keyframe => {
                return Err(self.part_error(
                    "its first frame is not a keyframe; a part must start with one (framesink makes every segment so)",
                ))
            }
            Some(last) if packet.pts <= last => {
                return Err(self.part_error(format!(
                    "frame {} is at {} ticks, not after the frame before it ({last} ticks)",
                    packet.index, packet.pts
                )))
            }
            _ => {}
        }
        let relative = packet.pts;
        packet.pts = self.offset.checked_add(packet.pts).ok_or_else(|| {
            self.part_error("its times overflow the movie's time range (2^64 ticks)")
        })?;
        packet.index = self.frames;
        // Borrowed, not cloned: this runs for every frame.
        let config = self.info.as_ref().and_then(|i| i.config.as_ref());
        self.muxer
            .as_mut()
            .expect("made by begin")
            .write_packet(packet, config)?;
        // Counted once written: a part whose first packet fails to write is
        // not a part joined.
        self.last_pts = Some(relative);
        self.frames += 1;
        Ok(())
    }

    /// Ends the current segment, `duration` ticks after its start (past its
    /// last frame's time).
    pub fn end(&mut self, duration: u64) -> Result<()> {
        if !self.in_segment {
            return Err(Error::Mux("a segment ended that did not begin".into()));
        }
        match self.last_pts {
            None => return Err(self.part_error("it holds no frames")),
            Some(last) if duration <= last => {
                return Err(self.part_error(format!(
                    "it ends at {duration} ticks, not after its last frame ({last} ticks)"
                )))
            }
            _ => {}
        }
        let end = self.offset.checked_add(duration).ok_or_else(|| {
            self.part_error("its times overflow the movie's time range (2^64 ticks)")
        })?;
        self.muxer
            .as_mut()
            .expect("made by begin")
            .end_fragment(end)?;
        self.offset = end;
        self.in_segment = false;
        self.parts += 1;
        Ok(())
    }

    /// Adds a whole segment held in memory.
    pub fn append(&mut self, segment: Segment, part: &str) -> Result<()> {
        self.begin(&segment.info, part)?;
        for p in segment.packets {
            self.packet(p)?;
        }
        self.end(segment.duration)
    }

    /// Adds a part read from a file (an MP4, plain or fragmented, or a GIF),
    /// named `part` in errors. The part is checked whole (its boxes, its
    /// sample table, its stream) before any of its packets is written, so a
    /// bad part leaves the movie as it was; only a read error while its
    /// frames are copied leaves the frames copied before it (the segment is
    /// ended there, so the movie can still be finished).
    pub fn append_part<R: Read + Seek>(&mut self, mut reader: R, part: &str) -> Result<()> {
        self.part = part.to_string();
        let mut magic = [0u8; 12];
        let len = reader.seek(SeekFrom::End(0))?;
        reader.seek(SeekFrom::Start(0))?;
        let n = read_up_to(&mut reader, &mut magic)?;
        reader.seek(SeekFrom::Start(0))?;
        let magic = &magic[..n];
        if magic.starts_with(b"GIF87a") || magic.starts_with(b"GIF89a") {
            #[cfg(feature = "gif")]
            return match GifDemuxer::open(reader) {
                Ok(gif) => self.copy(gif, part),
                Err(e) => Err(self.demux_error(e)),
            };
            #[cfg(not(feature = "gif"))]
            return Err(self.part_error("GIF is not in this build of framesink"));
        }
        if magic.starts_with(b"\x89PNG\r\n\x1a\n") {
            return Err(self.part_error(
                "it is a PNG/APNG; APNG parts cannot be joined (every chunk of an APNG is numbered through the whole file, so joining would rewrite each one): write the frames to one APNG, or join MP4 or GIF parts",
            ));
        }
        if n >= 8
            && matches!(
                &magic[4..8],
                b"ftyp" | b"styp" | b"moov" | b"moof" | b"free"
            )
        {
            let mp4 = Mp4Demuxer::open(reader, len).map_err(|e| self.demux_error(e))?;
            let copied = self.copy(mp4, part);
            if copied.is_err() {
                self.abort_segment();
            }
            return copied;
        }
        let shown: String = magic.iter().map(|b| format!("{b:02x}")).collect();
        Err(self.part_error(if n == 0 {
            "it is empty (0 bytes); a part is an MP4 or GIF that framesink made".to_string()
        } else {
            format!(
                "it is not an MP4 or a GIF (it starts with bytes {shown}; an MP4 has 'ftyp' at byte 4, a GIF starts with 'GIF89a')"
            )
        }))
    }

    /// After a part failed while it was copied (a read error): its frames
    /// copied so far stay, ending one frame period after the last, so the
    /// movie can still be finished.
    fn abort_segment(&mut self) {
        if !self.in_segment {
            return;
        }
        match (self.last_pts, &self.info) {
            (Some(last), Some(info)) => {
                let _ = self.end(last + info.frame_ticks.max(1) as u64);
            }
            _ => self.in_segment = false,
        }
        self.in_segment = false;
    }

    /// Copies what `demuxer` yields as the next segment, `part`. A GIF
    /// joins in the first GIF's ticks (its frame rate is free, not compared),
    /// which it is checked to fit before it begins.
    fn copy(&mut self, mut demuxer: impl Demuxer, part: &str) -> Result<()> {
        let mut info = demuxer.info().clone();
        let from = info.timescale;
        let to = match &self.info {
            Some(first) if first.codec == Codec::Gif && info.codec == Codec::Gif => first.timescale,
            _ => from,
        };
        // The identity when `to` is `from`: MP4 parts, and the first GIF.
        let rescale = |t: u64| {
            Timestamp {
                num: t,
                den: from as u64,
            }
            .to_ticks(to)
        };
        let overflow = |joiner: &Self| {
            joiner.part_error(format!(
                "its frame times overflow in the first part's time base ({to} ticks a second)"
            ))
        };
        // Its end is its latest time: if that fits, every time before it does.
        let end = rescale(demuxer.duration()).ok_or_else(|| overflow(self))?;
        info.timescale = to;
        self.begin(&info, part)?;
        while let Some(mut packet) = demuxer.next_packet().map_err(|e| self.demux_error(e))? {
            packet.pts = rescale(packet.pts).ok_or_else(|| overflow(self))?;
            self.packet(packet)?;
        }
        self.end(end)
    }

    /// A demuxer's error as this part's.
    fn demux_error(&self, e: DemuxError) -> Error {
        match e {
            DemuxError::Invalid(sentence) => self.part_error(sentence),
            DemuxError::Io(e) => Error::Io(e),
        }
    }

    /// Finishes the movie (index first on a seekable output) and reports it.
    pub fn finish(mut self) -> Result<Summary> {
        if self.in_segment {
            return Err(self.part_error("it did not end"));
        }
        let (Some(muxer), Some(info)) = (self.muxer.take(), self.info.take()) else {
            return Err(Error::Mux(
                "no parts were joined; a movie needs at least one".into(),
            ));
        };
        let bytes = muxer.finish()?;
        Ok(Summary::joined(&info, self.frames, self.offset, bytes))
    }

    /// Finishes the container writer only (the writer's own path).
    pub(crate) fn finish_bytes(mut self) -> Result<u64> {
        match self.muxer.take() {
            Some(m) => m.finish(),
            None => Err(Error::Mux("no frames were written".into())),
        }
    }
}

fn read_up_to<R: Read>(r: &mut R, buf: &mut [u8]) -> std::io::Result<usize> {
    let mut n = 0;
    while n < buf.len() {
        match r.read(&mut buf[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => return Err(e),
        }
    }
    Ok(n)
}

/// Joins MP4 or GIF parts, in order, into `output` without re-encoding.
/// Each part is `(name for errors, reader)`. A bad part is an error after
/// the parts before it were finished into `output` as a movie.
pub fn join<R, I>(output: Output, parts: I) -> Result<Summary>
where
    R: Read + Seek,
    I: IntoIterator<Item = (String, R)>,
{
    let mut joiner = Joiner::new(output);
    for (name, reader) in parts {
        if let Err(e) = joiner.append_part(reader, &name) {
            // Keep the parts joined before the bad one: a finished movie.
            if joiner.parts() > 0 {
                let _ = joiner.finish();
            }
            return Err(e);
        }
    }
    joiner.finish()
}
