//! Containers: packets in, a file out.

#[cfg(feature = "apng")]
pub mod apng;
pub(crate) mod avc;
#[cfg(feature = "ffmpeg")]
pub mod ffmpeg;
#[cfg(feature = "gif")]
pub mod gif;
pub mod mp4;

use std::io::{self, Read, Seek, Write};

use crate::encode::{CodecConfig, Packet};
use crate::error::Result;
// Still public at `framesink::mux::gif_centiseconds`, where it was first.
pub use crate::gif_times::gif_centiseconds;

/// What every container writer does.
pub trait Muxer: Send {
    /// Adds the next packet, in presentation order; `config` is the codec's
    /// setup data once known.
    fn write_packet(&mut self, packet: Packet, config: Option<&CodecConfig>) -> Result<()>;
    /// The next packet (or the end of the movie) is at `next_pts`: what is
    /// pending can be written out.
    fn end_fragment(&mut self, next_pts: u64) -> Result<()>;
    /// Finishes the file; returns its size in bytes.
    fn finish(self: Box<Self>) -> Result<u64>;
    /// Frames whose data has been handed to the sink (to the OS, for a
    /// file): what a process killed now would keep.
    fn frames_written(&self) -> u64;
}

/// A sink that can be read back and rewritten: a file, a `Cursor<Vec<u8>>`.
/// The MP4 writer needs this to move its index to the front at the end.
pub trait SeekableSink: Read + Write + Seek + Send {}
impl<T: Read + Write + Seek + Send> SeekableSink for T {}

/// Where the container bytes go.
pub enum Output {
    /// Rewritable: recorded as fragments, finished as a plain faststart MP4.
    Seekable(Box<dyn SeekableSink>),
    /// Write-only (stdout, a pipe, a socket): stays fragmented.
    Stream(Box<dyn Write + Send>),
}

impl Write for Output {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        match self {
            Output::Seekable(s) => s.write(buf),
            Output::Stream(s) => s.write(buf),
        }
    }
    fn flush(&mut self) -> io::Result<()> {
        match self {
            Output::Seekable(s) => s.flush(),
            Output::Stream(s) => s.flush(),
        }
    }
}
