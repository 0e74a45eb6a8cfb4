//! Containers read: a file in, its stream's description and its packets out,
//! in decoding order; the mirror of mux/. Join copies what a demuxer yields.

#[cfg(feature = "gif")]
pub(crate) mod gif;
pub(crate) mod mp4;

use std::io;

use crate::encode::Packet;
use crate::stream::StreamInfo;

/// What every container reader does, once it has read the file's
/// description (and checked it, so that a bad file is refused before any of
/// its packets is used).
pub(crate) trait Demuxer {
    /// The stream: codec, size, timescale, colour tags, setup data.
    fn info(&self) -> &StreamInfo;
    /// Where the stream ends (the end of its last frame), in ticks of
    /// `info().timescale` from its start.
    fn duration(&self) -> u64;
    /// The next packet in decoding order: `pts` in ticks from the stream's
    /// start, `keyframe` its sync flag, `index` its place in the file;
    /// `None` after the last.
    fn next_packet(&mut self) -> Result<Option<Packet>, DemuxError>;
    /// Every sample, in decoding order: what a reader seeks by.
    fn samples(&self) -> Vec<SampleEntry>;
    /// Makes sample `index` (in decoding order) the next that
    /// [`next_packet`](Self::next_packet) gives.
    fn seek(&mut self, index: usize) -> Result<(), DemuxError>;
}

/// Where a sample stands: its presentation time (ticks from the first
/// frame shown) and whether decoding can start at it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SampleEntry {
    pub(crate) pts: u64,
    pub(crate) keyframe: bool,
}

/// Why a demuxer stops.
#[derive(Debug)]
pub(crate) enum DemuxError {
    /// The file is damaged, or not one this demuxer reads: a sentence about
    /// it ("its timescale is 0") for the caller to put after the file's name.
    Invalid(String),
    /// Seeking in the file failed (a read that fails is `Invalid`, naming
    /// what it was reading).
    Io(io::Error),
}

impl From<String> for DemuxError {
    fn from(sentence: String) -> Self {
        DemuxError::Invalid(sentence)
    }
}

impl From<io::Error> for DemuxError {
    fn from(e: io::Error) -> Self {
        DemuxError::Io(e)
    }
}
