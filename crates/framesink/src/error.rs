//! One error type for the whole crate, split by who is at fault, so a caller
//! can tell a bad frame (fix your input) from a full disk (fix your machine).

use std::fmt;

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
    /// The container writer failed.
    #[error("movie writer error: {0}")]
    Mux(String),
    /// The writer failed earlier (on another thread) and cannot accept frames.
    #[error("the writer failed earlier: {0}")]
    Failed(String),
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
