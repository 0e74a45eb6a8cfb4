//! One error type for the whole crate, split by who is at fault, so a caller
//! can tell a bad frame (fix your input) from a full disk (fix your machine).

use std::fmt;
use std::io;
use std::path::{Path, PathBuf};

/// Everything that can go wrong while writing a movie.
///
/// Messages name the value that was given and what is allowed.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Reading or writing the sink failed.
    #[error("I/O error: {0}")]
    Io(#[from] std::io::Error),
    /// The [`WriterConfig`](crate::WriterConfig) cannot be used.
    #[error("invalid configuration: {0}")]
    InvalidConfig(String),
    /// A frame passed to [`push_frame`](crate::VideoWriter::push_frame) was rejected;
    /// the writer is still usable and nothing written before is lost.
    #[error("invalid frame {index}: {message}")]
    InvalidFrame {
        /// Index the frame would have had (the number of frames accepted before it).
        index: u64,
        /// What is wrong with it.
        message: String,
    },
    /// A request this build or this codec cannot do.
    #[error("unsupported: {0}")]
    Unsupported(String),
    /// The encoder failed.
    #[error("encoder error: {0}")]
    Encoder(String),
    /// A part given to [`join`](crate::segment::join) cannot be joined: not a
    /// movie framesink reads, damaged, or unlike the first part.
    #[error("cannot join part {index} ({name}): {message}")]
    InvalidPart {
        /// Its position among the parts, from 0.
        index: usize,
        /// Its name (the path, or what the caller called it).
        name: String,
        /// What is wrong with it.
        message: String,
    },
    /// A movie given to a [`Reader`](crate::Reader) cannot be read: not a
    /// movie, a codec framesink does not decode, or damaged.
    #[error("cannot read {name}: {message}")]
    InvalidMovie {
        /// Its path, or what the caller called it.
        name: String,
        /// What is wrong with it.
        message: String,
    },
    /// The container writer failed.
    #[error("movie writer error: {0}")]
    Mux(String),
    /// The writer failed earlier (on another thread) and cannot accept frames.
    #[error("the writer failed earlier: {0}")]
    Failed(String),
}

/// What framesink was doing when an I/O call failed, and on which file: the
/// payload of the `io::Error`s that framesink makes from the system's. The
/// system's error stays inside, with its `raw_os_error()`.
#[derive(Debug)]
pub struct IoContext {
    message: String,
    path: Option<PathBuf>,
    source: io::Error,
}

impl IoContext {
    /// An `io::Error` of `source`'s kind that reads "`message`: `source`".
    pub fn wrap(source: io::Error, message: impl fmt::Display, path: Option<&Path>) -> io::Error {
        io::Error::new(
            source.kind(),
            IoContext {
                message: message.to_string(),
                path: path.map(Path::to_path_buf),
                source,
            },
        )
    }
    /// The file framesink was writing or reading, when it has a path.
    pub fn path(&self) -> Option<&Path> {
        self.path.as_deref()
    }
    /// The error framesink got (from the system, or from a sink's `write`).
    pub fn io_error(&self) -> &io::Error {
        &self.source
    }
}

impl fmt::Display for IoContext {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}: {}", self.message, self.source)
    }
}

impl std::error::Error for IoContext {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        Some(&self.source)
    }
}

/// The innermost `io::Error` under framesink's [`IoContext`]s, and the first
/// path found on the way in.
pub fn innermost_io(e: &io::Error) -> (&io::Error, Option<&Path>) {
    let mut e = e;
    let mut path = None;
    while let Some(ctx) = e
        .get_ref()
        .and_then(|inner| inner.downcast_ref::<IoContext>())
    {
        path = path.or(ctx.path());
        e = ctx.io_error();
    }
    (e, path)
}

/// Result alias for this crate.
pub type Result<T, E = Error> = std::result::Result<T, E>;

impl Error {
    pub(crate) fn config(msg: impl fmt::Display) -> Self {
        Error::InvalidConfig(msg.to_string())
    }
    pub(crate) fn frame(index: u64, msg: impl fmt::Display) -> Self {
        Error::InvalidFrame {
            index,
            message: msg.to_string(),
        }
    }
    /// The operating system's error number (errno) behind an [`Error::Io`],
    /// such as 28 for a full disk (`ENOSPC`).
    pub fn raw_os_error(&self) -> Option<i32> {
        match self {
            Error::Io(e) => innermost_io(e).0.raw_os_error(),
            _ => None,
        }
    }
    /// The file an [`Error::Io`] happened on, when framesink knows its path.
    pub fn path(&self) -> Option<&Path> {
        match self {
            Error::Io(e) => innermost_io(e).1,
            _ => None,
        }
    }
    /// A copy for reporting the same failure again on later calls.
    pub(crate) fn replay(&self) -> Self {
        match self {
            Error::Failed(s) => Error::Failed(s.clone()),
            other => Error::Failed(other.to_string()),
        }
    }
}

impl From<mp4_atom::Error> for Error {
    fn from(e: mp4_atom::Error) -> Self {
        Error::Mux(e.to_string())
    }
}
