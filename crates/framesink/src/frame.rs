//! A frame as the caller holds it: borrowed pixels plus the layout that says
//! how to read them. Nothing is copied until the writer converts it.

use std::fmt;
use std::str::FromStr;

use crate::config::Rational;
use crate::error::{Error, Result};

/// How the pixels of a [`Frame`] are laid out in memory.
///
/// 16-bit layouts are native-endian `u16` samples stored as bytes.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum PixelLayout {
    /// One 8-bit luma sample per pixel.
    Gray8,
    /// 8-bit luma then alpha (alpha is dropped by H.264).
    GrayAlpha8,
    /// 8-bit red, green, blue.
    Rgb8,
    /// 8-bit red, green, blue, alpha (alpha is dropped by H.264).
    Rgba8,
    /// 8-bit blue, green, red (OpenCV's order).
    Bgr8,
    /// 8-bit blue, green, red, alpha.
    Bgra8,
    /// One 16-bit luma sample per pixel.
    Gray16,
    /// 16-bit red, green, blue.
    Rgb16,
    /// 16-bit red, green, blue, alpha.
    Rgba16,
    /// Planar YUV 4:2:0, 8-bit, limited range (I420): a luma plane of
    /// `height` rows of `stride` bytes, then Cb and Cr planes of
    /// `ceil(height / 2)` rows of `ceil(stride / 2)` bytes. Passed through
    /// unchanged (Y4M input).
    Yuv420p,
}

impl PixelLayout {
    /// Every layout, for error messages and tests.
    pub const ALL: [PixelLayout; 10] = [
        PixelLayout::Gray8,
        PixelLayout::GrayAlpha8,
        PixelLayout::Rgb8,
        PixelLayout::Rgba8,
        PixelLayout::Bgr8,
        PixelLayout::Bgra8,
        PixelLayout::Gray16,
        PixelLayout::Rgb16,
        PixelLayout::Rgba16,
        PixelLayout::Yuv420p,
    ];

    /// Samples per pixel.
    pub const fn channels(self) -> usize {
        match self {
            PixelLayout::Gray8 | PixelLayout::Gray16 | PixelLayout::Yuv420p => 1,
            PixelLayout::GrayAlpha8 => 2,
            PixelLayout::Rgb8 | PixelLayout::Bgr8 | PixelLayout::Rgb16 => 3,
            PixelLayout::Rgba8 | PixelLayout::Bgra8 | PixelLayout::Rgba16 => 4,
        }
    }

    /// Bytes per sample (1 or 2).
    pub const fn bytes_per_sample(self) -> usize {
        match self {
            PixelLayout::Gray16 | PixelLayout::Rgb16 | PixelLayout::Rgba16 => 2,
            _ => 1,
        }
    }

    /// Bytes per pixel (of the luma plane for `Yuv420p`).
    pub const fn bytes_per_pixel(self) -> usize {
        self.channels() * self.bytes_per_sample()
    }

    /// The ffmpeg-style name used by the CLI (`rgb24`, `bgra`, `gray16le`, ...).
    pub fn pix_fmt(self) -> &'static str {
        match self {
            PixelLayout::Gray8 => "gray",
            PixelLayout::GrayAlpha8 => "ya8",
            PixelLayout::Rgb8 => "rgb24",
            PixelLayout::Rgba8 => "rgba",
            PixelLayout::Bgr8 => "bgr24",
            PixelLayout::Bgra8 => "bgra",
            PixelLayout::Gray16 => "gray16le",
            PixelLayout::Rgb16 => "rgb48le",
            PixelLayout::Rgba16 => "rgba64le",
            PixelLayout::Yuv420p => "yuv420p",
        }
    }
}

impl fmt::Display for PixelLayout {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.pix_fmt())
    }
}

impl FromStr for PixelLayout {
    type Err = Error;

    /// Parses an ffmpeg pixel format name. The 16-bit names are little-endian,
    /// as the raw data in a pipe is; on a big-endian machine they are refused.
    fn from_str(s: &str) -> Result<Self> {
        let all = PixelLayout::ALL.map(|l| l.pix_fmt()).join(", ");
        let layout = PixelLayout::ALL
            .into_iter()
            .find(|l| l.pix_fmt() == s.to_ascii_lowercase())
            .ok_or_else(|| {
                Error::config(format!("pixel format {s:?} is unknown; allowed: {all}"))
            })?;
        if layout.bytes_per_sample() == 2 && cfg!(target_endian = "big") {
            return Err(Error::Unsupported(format!(
                "pixel format {s} is little-endian and this machine is big-endian"
            )));
        }
        Ok(layout)
    }
}

/// A frame to encode: pixels borrowed from the caller.
#[derive(Clone, Copy, Debug)]
pub struct Frame<'a> {
    /// The pixel bytes: `height` rows of `stride` bytes (the last row may be
    /// just `width * bytes_per_pixel` long).
    pub data: &'a [u8],
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// Bytes from the start of one row to the next.
    pub stride: usize,
    /// How the bytes are read.
    pub layout: PixelLayout,
    /// When the frame is shown, in seconds on the caller's clock; the movie
    /// starts at the first frame's time (timestamps 5.0, 5.5 play at 0 and
    /// 0.5 s). They must strictly increase. `None` means one frame period
    /// (1/fps) after the previous frame.
    pub timestamp: Option<Timestamp>,
}

impl<'a> Frame<'a> {
    /// A tightly packed frame (`stride = width * bytes_per_pixel`).
    pub fn new(data: &'a [u8], width: u32, height: u32, layout: PixelLayout) -> Self {
        Frame {
            data,
            width,
            height,
            stride: width as usize * layout.bytes_per_pixel(),
            layout,
            timestamp: None,
        }
    }

    /// Sets the row stride in bytes.
    pub fn with_stride(mut self, stride: usize) -> Self {
        self.stride = stride;
        self
    }

    /// Sets the presentation timestamp (variable frame rate).
    pub fn with_timestamp(mut self, timestamp: Timestamp) -> Self {
        self.timestamp = Some(timestamp);
        self
    }

    /// Checks that the buffer holds the frame it claims to; `index` is for the message.
    pub(crate) fn check(&self, index: u64) -> Result<()> {
        let row = self.width as usize * self.layout.bytes_per_pixel();
        if self.width == 0 || self.height == 0 {
            return Err(Error::frame(
                index,
                format!(
                    "size {}x{} is empty; width and height must be at least 2",
                    self.width, self.height
                ),
            ));
        }
        if self.stride < row {
            return Err(Error::frame(
                index,
                format!(
                    "stride {} bytes is shorter than a row of {} {} pixels ({row} bytes)",
                    self.stride, self.width, self.layout
                ),
            ));
        }
        if self.layout.bytes_per_sample() == 2 && self.stride % 2 != 0 {
            return Err(Error::frame(
                index,
                format!(
                    "stride {} bytes is odd; {} rows must start on a 16-bit sample",
                    self.stride, self.layout
                ),
            ));
        }
        // Checked: a huge stride must not wrap around to a small need.
        let h = self.height as usize;
        let need = if self.layout == PixelLayout::Yuv420p {
            let chroma = self.stride.div_ceil(2).checked_mul(h.div_ceil(2));
            chroma
                .and_then(|c| c.checked_mul(2))
                .and_then(|c| self.stride.checked_mul(h)?.checked_add(c))
        } else {
            self.stride
                .checked_mul(h - 1)
                .and_then(|n| n.checked_add(row))
        };
        if need.is_none_or(|need| self.data.len() < need) {
            let need = need.map_or_else(|| "more bytes than memory has".into(), |n| n.to_string());
            return Err(Error::frame(
                index,
                format!(
                    "buffer has {} bytes; a {}x{} {} frame with stride {} needs {need}",
                    self.data.len(),
                    self.width,
                    self.height,
                    self.layout,
                    self.stride
                ),
            ));
        }
        Ok(())
    }
}

/// A presentation time in exact seconds: `num / den`, `num >= 0`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Timestamp {
    /// Numerator (seconds times `den`).
    pub num: u64,
    /// Denominator, not 0.
    pub den: u64,
}

impl Timestamp {
    /// `num / den` seconds.
    pub const fn new(num: u64, den: u64) -> Self {
        Timestamp { num, den }
    }

    /// Whole milliseconds.
    pub const fn from_millis(ms: u64) -> Self {
        Timestamp { num: ms, den: 1000 }
    }

    /// A time from float seconds, to the microsecond. `None` for negative,
    /// NaN or infinite values.
    pub fn from_secs_f64(secs: f64) -> Option<Self> {
        if !(0.0..=1e12).contains(&secs) {
            return None;
        }
        Some(Timestamp {
            num: (secs * 1e6).round() as u64,
            den: 1_000_000,
        })
    }

    /// The time in ticks of `timescale` per second, rounded to nearest.
    pub(crate) fn to_ticks(self, timescale: u32) -> Option<u64> {
        if self.den == 0 {
            return None;
        }
        let t =
            (self.num as u128 * timescale as u128 * 2 + self.den as u128) / (2 * self.den as u128);
        u64::try_from(t).ok()
    }
}

impl From<Rational> for Timestamp {
    fn from(r: Rational) -> Self {
        Timestamp {
            num: r.num,
            den: r.den,
        }
    }
}

impl fmt::Display for Timestamp {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.den == 1 {
            write!(f, "{} s", self.num)
        } else {
            write!(f, "{}/{} s", self.num, self.den)
        }
    }
}
