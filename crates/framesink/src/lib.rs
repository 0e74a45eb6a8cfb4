//! framesink: frames held in memory straight into a movie file, in-process.
//!
//! ```no_run
//! use framesink::{Frame, PixelLayout, Rational, VideoWriter, WriterConfig};
//!
//! let config = WriterConfig::default().with_fps(Rational::new(30000, 1001));
//! let mut writer = VideoWriter::create("out.mp4", config)?;
//! let pixels = vec![0u8; 640 * 480 * 3];
//! for _ in 0..90 {
//!     writer.push_frame(Frame::new(&pixels, 640, 480, PixelLayout::Rgb8))?;
//! }
//! let summary = writer.finish()?;
//! println!("{} frames, {} bytes", summary.frames, summary.bytes);
//! # Ok::<(), framesink::Error>(())
//! ```
//!
//! H.264 output is High profile, 4:2:0, BT.709 limited range and tagged as
//! such, so browsers, QuickTime and PowerPoint show the colours that went in.

pub mod color;
pub mod config;
mod decode;
mod demux;
pub mod encode;
pub mod error;
pub mod frame;
mod gif_times;
pub mod metadata;
pub mod mux;
mod reader;
pub mod segment;
mod stream;
#[cfg(test)]
pub(crate) mod testing;
mod writer;

pub use config::{Codec, ColorMatrix, Container, Rational, WriterConfig};
pub use decode::ColorTags;
pub use error::{Error, IoContext, Result};
pub use frame::{Frame, PixelLayout, Timestamp};
pub use metadata::Metadata;
pub use reader::{DecodedFrame, Props, Reader, Source};
pub use segment::{join, Joiner, Segment};
pub use stream::{StreamInfo, Summary, Warning};
pub use writer::VideoWriter;
