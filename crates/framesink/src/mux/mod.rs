//! Containers: packets in, a file out.

pub mod mp4;

use std::io::{Read, Seek, Write};

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
