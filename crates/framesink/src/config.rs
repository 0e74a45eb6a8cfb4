//! What the caller can choose about the movie, validated once when the writer
//! is made so that a bad setting fails before any frame is accepted.

use std::fmt;
use std::path::Path;
use std::str::FromStr;

use crate::error::{Error, Result};
use crate::metadata::Metadata;

/// An exact positive rational number: frame rates and timestamps.
///
/// `30000/1001` stays `30000/1001`; nothing is rounded to a float.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Rational {
    /// Numerator.
    pub num: u64,
    /// Denominator, never 0 in a value that passed validation.
    pub den: u64,
}

impl Rational {
    /// `num / den`, reduced.
    pub const fn new(num: u64, den: u64) -> Self {
        let g = gcd(num, den);
        match (num.checked_div(g), den.checked_div(g)) {
            (Some(num), Some(den)) => Rational { num, den },
            _ => Rational { num, den }, // 0/0: left for validate() to refuse
        }
    }

    /// A whole number.
    pub const fn integer(n: u64) -> Self {
        Rational { num: n, den: 1 }
    }

    /// The value as a float (for display only).
    pub fn as_f64(self) -> f64 {
        self.num as f64 / self.den as f64
    }

    /// The closest rational with a small denominator to a decimal frame rate.
    ///
    /// NTSC rates written as decimals (`29.97`, `23.976`, `59.94`) mean
    /// `30000/1001` and friends, as in ffmpeg; any other value is taken exactly
    /// to 1/1000.
    pub fn from_f64(value: f64) -> Option<Self> {
        if !value.is_finite() || value <= 0.0 || value > 1e9 {
            return None;
        }
        for base in [24u64, 30, 48, 60, 120, 240] {
            let ntsc = base as f64 * 1000.0 / 1001.0;
            if (value - ntsc).abs() < 0.006 && (value - base as f64).abs() > 0.006 {
                return Some(Rational::new(base * 1000, 1001));
            }
        }
        let scaled = (value * 1000.0).round() as u64;
        if scaled == 0 {
            return None;
        }
        Some(Rational::new(scaled, 1000))
    }
}

const fn gcd(mut a: u64, mut b: u64) -> u64 {
    while b != 0 {
        let t = a % b;
        a = b;
        b = t;
    }
    a
}

impl fmt::Display for Rational {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        if self.den == 1 {
            write!(f, "{}", self.num)
        } else {
            write!(f, "{}/{}", self.num, self.den)
        }
    }
}

impl FromStr for Rational {
    type Err = Error;

    /// Parses `30`, `29.97` or `30000/1001`.
    fn from_str(s: &str) -> Result<Self> {
        let bad = || {
            Error::config(format!(
                "frame rate {s:?} is not a number: use an integer (30), a decimal (29.97) or a fraction (30000/1001)"
            ))
        };
        let s = s.trim();
        if let Some((n, d)) = s.split_once('/') {
            let num: u64 = n.trim().parse().map_err(|_| bad())?;
            let den: u64 = d.trim().parse().map_err(|_| bad())?;
            if den == 0 {
                return Err(Error::config(format!(
                    "frame rate {s:?} has a zero denominator"
                )));
            }
            return Ok(Rational::new(num, den));
        }
        if let Ok(n) = s.parse::<u64>() {
            return Ok(Rational::integer(n));
        }
        let v: f64 = s.parse().map_err(|_| bad())?;
        Rational::from_f64(v).ok_or_else(|| {
            if v.is_finite() && v > 0.0 {
                return Error::config(format!(
                    "frame rate {s:?} is out of range; allowed: {MIN_FPS} to {MAX_FPS} frames per second"
                ));
            }
            Error::config(format!("frame rate {s:?} must be a positive finite number"))
        })
    }
}

/// The video codec.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum Codec {
    /// H.264 (AVC) High profile with OpenH264: plays everywhere.
    #[default]
    H264,
    /// AV1 with rav1e: about a quarter of H.264's bytes at the same quality,
    /// slower to encode; plays in current browsers.
    Av1,
    /// GIF: 256 colours a frame (Wu's quantiser, per-frame palette).
    Gif,
    /// PNG frames (APNG): lossless.
    Png,
    /// Any encoder of a system ffmpeg ([`WriterConfig::with_ffmpeg`]).
    Ffmpeg,
}

impl Codec {
    /// The lower-case name used by the CLI and Python (`"h264"`).
    pub fn name(self) -> &'static str {
        match self {
            Codec::H264 => "h264",
            Codec::Av1 => "av1",
            Codec::Gif => "gif",
            Codec::Png => "png",
            Codec::Ffmpeg => "ffmpeg",
        }
    }
}

impl fmt::Display for Codec {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name())
    }
}

impl FromStr for Codec {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "h264" | "avc" | "h.264" => Ok(Codec::H264),
            "av1" | "av01" => Ok(Codec::Av1),
            "gif" => Ok(Codec::Gif),
            "png" | "apng" => Ok(Codec::Png),
            s if s.starts_with("ffmpeg") => Err(Error::Unsupported(format!(
                "codec {s:?} names an ffmpeg encoder: use WriterConfig::with_ffmpeg(\"libx265\", args) (\"ffmpeg:libx265\" in the CLI and Python)"
            ))),
            _ => Err(Error::Unsupported(format!(
                "codec {s:?} is not available; built-in codecs: h264 and av1 (.mp4/.m4v/.mov), gif (.gif), png (.png/.apng)"
            ))),
        }
    }
}

/// How colours are coded as YCbCr, and tagged in the movie so that players
/// decode them back the same way.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Default)]
#[non_exhaustive]
pub enum ColorMatrix {
    /// ITU-R BT.709 (HD): what browsers and QuickTime assume for HD video.
    #[default]
    Bt709,
    /// ITU-R BT.601 (SMPTE 170M): what ffmpeg assumes for untagged YUV,
    /// so the default for planar YUV and Y4M input in the CLI.
    Bt601,
}

impl ColorMatrix {
    /// The lower-case name (`"bt709"`).
    pub fn name(self) -> &'static str {
        match self {
            ColorMatrix::Bt709 => "bt709",
            ColorMatrix::Bt601 => "bt601",
        }
    }

    /// H.273 code points (colour primaries, transfer, matrix) for the tags.
    pub fn code_points(self) -> (u8, u8, u8) {
        match self {
            ColorMatrix::Bt709 => (1, 1, 1),
            ColorMatrix::Bt601 => (6, 6, 6),
        }
    }
}

impl FromStr for ColorMatrix {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "bt709" | "709" => Ok(ColorMatrix::Bt709),
            "bt601" | "601" | "smpte170m" => Ok(ColorMatrix::Bt601),
            _ => Err(Error::config(format!(
                "colour matrix {s:?} is unknown; allowed: bt709, bt601"
            ))),
        }
    }
}

/// The file format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum Container {
    /// ISO base media file format (`.mp4`, `.m4v`, `.mov`).
    Mp4,
    /// GIF (`.gif`).
    Gif,
    /// Animated PNG (`.png`, `.apng`).
    Apng,
    /// Whatever a system ffmpeg writes for the file's extension.
    Ffmpeg,
}

impl Container {
    /// The container for a file name's extension, if framesink writes it.
    pub fn from_path(path: &Path) -> Result<Self> {
        let ext = path
            .extension()
            .and_then(|e| e.to_str())
            .map(str::to_ascii_lowercase);
        match ext.as_deref() {
            Some("mp4" | "m4v" | "mov") => Ok(Container::Mp4),
            Some("gif") => Ok(Container::Gif),
            Some("png" | "apng") => Ok(Container::Apng),
            Some(e) => Err(Error::Unsupported(format!(
                "cannot tell the format of {:?} from its extension {e:?}; supported: .mp4, .m4v, .mov, .gif, .png, .apng (or set the container explicitly)",
                path.display()
            ))),
            None => Err(Error::Unsupported(format!(
                "{:?} has no extension to tell the format by; use .mp4, .m4v, .mov, .gif, .png or .apng (or set the container explicitly)",
                path.display()
            ))),
        }
    }

    /// The lower-case name (`"mp4"`).
    pub fn name(self) -> &'static str {
        match self {
            Container::Mp4 => "mp4",
            Container::Gif => "gif",
            Container::Apng => "apng",
            Container::Ffmpeg => "ffmpeg",
        }
    }

    /// The codec this container holds when none is asked for, or whether
    /// the asked one fits.
    pub fn codec(self, asked: Option<Codec>) -> Result<Codec> {
        match (self, asked) {
            (Container::Mp4, None | Some(Codec::H264)) => Ok(Codec::H264),
            (Container::Mp4, Some(Codec::Av1)) => Ok(Codec::Av1),
            (Container::Gif, None | Some(Codec::Gif)) => Ok(Codec::Gif),
            (Container::Apng, None | Some(Codec::Png)) => Ok(Codec::Png),
            (Container::Ffmpeg, None | Some(Codec::Ffmpeg)) => Ok(Codec::Ffmpeg),
            (c, Some(codec)) => Err(Error::Unsupported(format!(
                "codec {codec} cannot be stored in {}; {} holds {}",
                c.name(),
                c.name(),
                if c == Container::Mp4 {
                    "h264 or av1"
                } else {
                    c.codec(None).map_or("nothing", |d| d.name())
                }
            ))),
        }
    }
}

impl FromStr for Container {
    type Err = Error;
    fn from_str(s: &str) -> Result<Self> {
        match s.to_ascii_lowercase().as_str() {
            "mp4" | "m4v" | "mov" => Ok(Container::Mp4),
            "gif" => Ok(Container::Gif),
            "png" | "apng" => Ok(Container::Apng),
            _ => Err(Error::Unsupported(format!(
                "format {s:?} is not available; supported: mp4, gif, apng"
            ))),
        }
    }
}

/// Lowest accepted frame rate: one frame every 100 s.
pub const MIN_FPS: Rational = Rational { num: 1, den: 100 };
/// Highest accepted frame rate.
pub const MAX_FPS: Rational = Rational { num: 1000, den: 1 };
/// rav1e speed preset used when none is set (see [`WriterConfig::speed`]).
pub const DEFAULT_AV1_SPEED: u8 = 10;
/// Default quality (see [`WriterConfig::quality`]).
pub const DEFAULT_QUALITY: u8 = 58;

/// How the movie is encoded. Build with `WriterConfig::default()` and the
/// `with_*` setters; it is checked when the writer is made.
#[derive(Clone, Debug)]
#[non_exhaustive]
pub struct WriterConfig {
    /// Container; `None` means from the file extension (required for sinks
    /// without a path, where it defaults to MP4). Default: `None`.
    pub container: Option<Container>,
    /// Codec; `None` means the container's (H.264 for MP4, GIF for GIF).
    /// Default: `None`.
    pub codec: Option<Codec>,
    /// Frames per second, exact. Frames without their own timestamp are shown
    /// at `i / fps`. Between 1/100 and 1000. Default: 30.
    pub fps: Rational,
    /// Quality from 0 (smallest file) to 100 (best picture). For H.264 this
    /// sets a constant quantiser, QP = round(51 * (100 - quality) / 100)
    /// (see [`qp`](Self::qp)); the default 58 is QP 21: 41.7 dB RGB PSNR and
    /// 1 MB per 100 frames on smooth 1280x720 content (bench/). For AV1, the
    /// rav1e quantiser round(255 * (100 - quality) / 100) (see
    /// [`av1_quantizer`](Self::av1_quantizer)). Ignored when `bitrate_kbps`
    /// is set. Default: 58.
    pub quality: u8,
    /// Target bit rate in kbit/s instead of constant quality. Default: `None`.
    pub bitrate_kbps: Option<u32>,
    /// Frames between keyframes (IDR), at least 1. `None` means about 2 s at
    /// `fps`. Default: `None`.
    pub keyframe_interval: Option<u32>,
    /// Encoder threads. 0 means one per available core. Default: 0.
    pub threads: usize,
    /// AV1: rav1e's speed preset, 0 (slowest, smallest) to 10 (fastest).
    /// `None` means [`DEFAULT_AV1_SPEED`], the fastest (measured, 60 frames
    /// of smooth 720p on 2 cores, default quality: speed 10 7.4 fps 116 kB,
    /// 9 3.6 fps 109 kB, 8 4.8 fps 82 kB, 6 3.7 fps 82 kB, all 42.2 dB).
    /// Default: `None`.
    pub speed: Option<u8>,
    /// YCbCr matrix of the movie (tagged in it). Default: BT.709.
    pub matrix: ColorMatrix,
    /// GIF: Floyd-Steinberg dithering: no banding in gradients, but about 3x
    /// the bytes and a lower PSNR (measured on smooth 500x500 content:
    /// 29.5 MB / 28.4 dB dithered vs 10.4 MB / 31.3 dB). Default: false.
    pub dither: bool,
    /// GIF and APNG: how many times the animation plays; `None` loops forever.
    /// Default: `None`.
    pub loops: Option<u16>,
    /// With [`Codec::Ffmpeg`]: the ffmpeg encoder (`"libx265"`, `"prores_ks"`).
    /// Default: `None`.
    pub ffmpeg_encoder: Option<String>,
    /// With [`Codec::Ffmpeg`]: more ffmpeg output options (`["-crf", "28"]`).
    /// Default: none.
    pub ffmpeg_args: Vec<String>,
    /// Movie metadata as (key, value) pairs, in order: `title`, `artist`,
    /// `comment`, `genre`, `copyright`, `date`, `creation_time` (RFC 3339,
    /// e.g. `2024-05-17T14:30:00Z`), `subject` or any other key, named as in
    /// ffmpeg's `-metadata key=value`. Checked by [`Metadata::new`] when the
    /// writer is made; how each format stores them is in
    /// [`metadata`](crate::metadata). Default: none.
    pub metadata: Vec<(String, String)>,
    /// Bits per sample in the movie: 8, or 16 for PNG/APNG (gray, RGB and
    /// RGBA at 16 bits, every bit of 16-bit frames kept; 8-bit frames are
    /// widened exactly, v * 257). `None` means the frames' own depth where
    /// the codec keeps it (16-bit frames to PNG stay 16-bit), else 8; the
    /// writer then warns once ([`Warning::BitsLost`](crate::Warning::BitsLost))
    /// when 16-bit frames are rounded. A depth asked for is never warned
    /// about. Checked against the codec when the writer is made (AV1's 10
    /// bits will be one more value here). Default: `None`.
    pub bit_depth: Option<u8>,
    /// Refuse any loss: only PNG/APNG keeps every bit, at the frames' depth
    /// (16-bit frames stay 16-bit, 8-bit ones 8-bit). Lossy codecs (H.264,
    /// AV1, GIF's palettes, ffmpeg encoders) are refused when the writer is
    /// made, and a frame that could not be kept exactly (16-bit frames into
    /// an 8-bit movie, planar YUV, which PNG stores as RGB) is refused.
    /// Default: false.
    pub lossless: bool,
    /// For tests only: makes the writer's own threads fail on purpose.
    #[doc(hidden)]
    pub faults: Faults,
}

/// The bit depths [`WriterConfig::bit_depth`] takes, for messages.
const BIT_DEPTHS_ALLOWED: &str =
    "allowed: 8 (every codec) or 16 (png: .png/.apng), or none for the frames' own depth";

/// Faults a test can inject into a writer's threads (each writer its own:
/// no global state). Not for use outside tests.
#[doc(hidden)]
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Faults {
    /// The encoder thread given this frame (counted from 0) panics.
    pub encoder_panic_at: Option<u64>,
    /// The muxer thread panics when this frame's packet comes.
    pub muxer_panic_at: Option<u64>,
}

impl Default for WriterConfig {
    fn default() -> Self {
        WriterConfig {
            container: None,
            codec: None,
            fps: Rational::integer(30),
            quality: DEFAULT_QUALITY,
            bitrate_kbps: None,
            keyframe_interval: None,
            threads: 0,
            speed: None,
            matrix: ColorMatrix::Bt709,
            dither: false,
            loops: None,
            ffmpeg_encoder: None,
            ffmpeg_args: Vec::new(),
            metadata: Vec::new(),
            bit_depth: None,
            lossless: false,
            faults: Faults::default(),
        }
    }
}

impl WriterConfig {
    /// Sets [`container`](Self::container).
    pub fn with_container(mut self, container: Container) -> Self {
        self.container = Some(container);
        self
    }
    /// Sets [`codec`](Self::codec).
    pub fn with_codec(mut self, codec: Codec) -> Self {
        self.codec = Some(codec);
        self
    }
    /// Sets [`fps`](Self::fps).
    pub fn with_fps(mut self, fps: Rational) -> Self {
        self.fps = fps;
        self
    }
    /// Sets [`quality`](Self::quality).
    pub fn with_quality(mut self, quality: u8) -> Self {
        self.quality = quality;
        self
    }
    /// Sets [`bitrate_kbps`](Self::bitrate_kbps).
    pub fn with_bitrate_kbps(mut self, kbps: u32) -> Self {
        self.bitrate_kbps = Some(kbps);
        self
    }
    /// Sets [`keyframe_interval`](Self::keyframe_interval).
    pub fn with_keyframe_interval(mut self, frames: u32) -> Self {
        self.keyframe_interval = Some(frames);
        self
    }
    /// Sets [`speed`](Self::speed).
    pub fn with_speed(mut self, speed: u8) -> Self {
        self.speed = Some(speed);
        self
    }
    /// Sets [`matrix`](Self::matrix).
    pub fn with_matrix(mut self, matrix: ColorMatrix) -> Self {
        self.matrix = matrix;
        self
    }
    /// Sets [`dither`](Self::dither).
    pub fn with_dither(mut self, dither: bool) -> Self {
        self.dither = dither;
        self
    }
    /// Sets [`loops`](Self::loops).
    pub fn with_loops(mut self, loops: u16) -> Self {
        self.loops = Some(loops);
        self
    }
    /// Encodes with a system ffmpeg's `encoder` (any it has: `"libx265"`,
    /// `"libvpx-vp9"`, `"prores_ks"`, ...) and output options `args`; the
    /// container follows the file's extension. ffmpeg is found on `PATH`,
    /// or named by the `FRAMESINK_FFMPEG` environment variable.
    pub fn with_ffmpeg(mut self, encoder: &str, args: &[&str]) -> Self {
        self.codec = Some(Codec::Ffmpeg);
        self.container = Some(Container::Ffmpeg);
        self.ffmpeg_encoder = Some(encoder.to_string());
        self.ffmpeg_args = args.iter().map(|a| a.to_string()).collect();
        self
    }
    /// Sets [`threads`](Self::threads).
    pub fn with_threads(mut self, threads: usize) -> Self {
        self.threads = threads;
        self
    }
    /// Sets [`bit_depth`](Self::bit_depth).
    pub fn with_bit_depth(mut self, bits: u8) -> Self {
        self.bit_depth = Some(bits);
        self
    }
    /// Sets [`lossless`](Self::lossless).
    pub fn with_lossless(mut self, lossless: bool) -> Self {
        self.lossless = lossless;
        self
    }
    /// Adds `key` = `value` to [`metadata`](Self::metadata):
    /// `.with_metadata("title", "Flow").with_metadata("artist", "Lab")`.
    pub fn with_metadata(mut self, key: impl Into<String>, value: impl Into<String>) -> Self {
        self.metadata.push((key.into(), value.into()));
        self
    }

    /// Checks every field; the writer calls this before writing anything.
    pub fn validate(&self) -> Result<()> {
        let Rational { num, den } = self.fps;
        if den == 0 || num == 0 {
            return Err(Error::config(format!(
                "fps {num}/{den} is not a positive number; allowed: {MIN_FPS} to {MAX_FPS} frames per second"
            )));
        }
        // num/den < 1/100  <=>  100 num < den (u128: no overflow)
        if (num as u128) * (MIN_FPS.den as u128) < (MIN_FPS.num as u128) * (den as u128)
            || (num as u128) * (MAX_FPS.den as u128) > (MAX_FPS.num as u128) * (den as u128)
        {
            return Err(Error::config(format!(
                "fps {} (= {:.6}) is out of range; allowed: {MIN_FPS} to {MAX_FPS} frames per second",
                self.fps,
                self.fps.as_f64()
            )));
        }
        if num > u32::MAX as u64 || den > u32::MAX as u64 {
            return Err(Error::config(format!(
                "fps {} has a numerator or denominator above {}; use a simpler fraction",
                self.fps,
                u32::MAX
            )));
        }
        if self.quality > 100 {
            return Err(Error::config(format!(
                "quality {} is out of range; allowed: 0 (smallest) to 100 (best)",
                self.quality
            )));
        }
        if let Some(kbps) = self.bitrate_kbps {
            if !(1..=2_000_000).contains(&kbps) {
                return Err(Error::config(format!(
                    "bitrate {kbps} kbit/s is out of range; allowed: 1 to 2000000 kbit/s"
                )));
            }
        }
        if let Some(k) = self.keyframe_interval {
            if k == 0 {
                return Err(Error::config(
                    "keyframe interval 0 is not allowed; use 1 (every frame a keyframe) or more",
                ));
            }
        }
        if self.codec == Some(Codec::Ffmpeg) {
            match self.ffmpeg_encoder.as_deref() {
                Some(e) if !e.is_empty() && !e.contains(char::is_whitespace) && !e.starts_with('-') => {}
                other => {
                    return Err(Error::config(format!(
                        "ffmpeg encoder {other:?} is not an encoder name; give one such as \"libx265\" (ffmpeg -encoders lists them)"
                    )))
                }
            }
        }
        if let Some(speed) = self.speed {
            if speed > 10 {
                return Err(Error::config(format!(
                    "speed {speed} is out of range; allowed: 0 (slowest, smallest file) to 10 (fastest)"
                )));
            }
        }
        if self.loops == Some(0) {
            return Err(Error::config(
                "loops 0 is out of range; allowed: 1 to 65535 (how many times the animation plays), or none to loop forever",
            ));
        }
        if let Some(bits) = self.bit_depth {
            if bits != 8 && bits != 16 {
                return Err(Error::config(format!(
                    "bit_depth {bits} is not available; {BIT_DEPTHS_ALLOWED}"
                )));
            }
        }
        self.checked_metadata()?;
        if self.threads > 256 {
            return Err(Error::config(format!(
                "threads {} is out of range; allowed: 0 (one per core) to 256",
                self.threads
            )));
        }
        Ok(())
    }

    /// Checks [`bit_depth`](Self::bit_depth) and [`lossless`](Self::lossless)
    /// against the codec the movie will have.
    pub fn check_bits(&self, codec: Codec) -> Result<()> {
        if self.lossless && codec != Codec::Png {
            let why = match codec {
                Codec::Gif => "lossy: 256 colours a frame",
                Codec::Ffmpeg => "an ffmpeg encoder, which framesink cannot vouch for",
                _ => "lossy",
            };
            return Err(Error::config(format!(
                "lossless cannot be kept by codec {codec} ({why}); lossless outputs: .png/.apng (codec png)"
            )));
        }
        match self.bit_depth {
            Some(bits) if bits > 8 && codec != Codec::Png => Err(Error::config(format!(
                "bit_depth {bits} cannot be kept by codec {codec} (8 bits only); {BIT_DEPTHS_ALLOWED}"
            ))),
            _ => Ok(()),
        }
    }

    /// Whether the movie keeps 16 bits a sample, for frames of `layout`.
    pub fn keeps_sixteen(&self, codec: Codec, layout: crate::frame::PixelLayout) -> bool {
        codec == Codec::Png
            && match self.bit_depth {
                Some(bits) => bits == 16,
                None => layout.bytes_per_sample() == 2,
            }
    }

    /// [`metadata`](Self::metadata), checked.
    pub fn checked_metadata(&self) -> Result<Metadata> {
        Metadata::new(self.metadata.iter().map(|(k, v)| (k, v)))
    }

    /// The keyframe interval in frames that will be used.
    pub fn effective_keyframe_interval(&self) -> u32 {
        self.keyframe_interval.unwrap_or_else(|| {
            // about 2 s, at least 1 frame
            let two_s = (2 * self.fps.num).div_ceil(self.fps.den.max(1));
            two_s.clamp(1, 600) as u32
        })
    }

    /// The number of encoder threads that will be used.
    pub fn effective_threads(&self) -> usize {
        if self.threads == 0 {
            std::thread::available_parallelism().map_or(1, |n| n.get())
        } else {
            self.threads
        }
    }

    /// The encoder and its settings as the movie names them (the MP4
    /// compressor name, at most 31 bytes): parts made with other settings
    /// are refused by join.
    pub fn encoder_name(&self, codec: Codec) -> String {
        let rate = match self.bitrate_kbps {
            Some(k) => format!("{k}k"),
            None => format!("q{}", self.quality),
        };
        match codec {
            Codec::H264 => format!("framesink H.264 {rate}"),
            Codec::Av1 => format!("framesink AV1 {rate} s{}", self.effective_speed()),
            other => format!("framesink {other}"),
        }
    }

    /// The AV1 speed preset that will be used.
    pub fn effective_speed(&self) -> u8 {
        self.speed.unwrap_or(DEFAULT_AV1_SPEED)
    }

    /// The rav1e quantiser for [`quality`](Self::quality): 0 -> 255, 100 -> 0.
    pub fn av1_quantizer(&self) -> u8 {
        ((255 * (100 - self.quality.min(100) as u32) + 50) / 100) as u8
    }

    /// The H.264 quantiser for [`quality`](Self::quality): 0 -> 51, 100 -> 0.
    pub fn qp(&self) -> u8 {
        ((51 * (100 - self.quality.min(100) as u32) + 50) / 100) as u8
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_rates() {
        assert_eq!("30".parse::<Rational>().unwrap(), Rational::integer(30));
        assert_eq!(
            "30000/1001".parse::<Rational>().unwrap(),
            Rational::new(30000, 1001)
        );
        assert_eq!(
            "29.97".parse::<Rational>().unwrap(),
            Rational::new(30000, 1001)
        );
        assert_eq!("12.5".parse::<Rational>().unwrap(), Rational::new(25, 2));
        assert!("abc".parse::<Rational>().is_err());
        assert!("1/0".parse::<Rational>().is_err());
        assert!("-3".parse::<Rational>().is_err());
        assert!("nan".parse::<Rational>().is_err());
    }

    #[test]
    fn validates_fps_range() {
        let ok = |r| WriterConfig::default().with_fps(r).validate().is_ok();
        assert!(ok(Rational::new(30000, 1001)));
        assert!(ok(Rational::new(1, 100)));
        assert!(ok(Rational::integer(1000)));
        assert!(!ok(Rational::new(1, 101)));
        assert!(!ok(Rational::integer(1001)));
        assert!(!ok(Rational { num: 0, den: 1 }));
        assert!(!ok(Rational { num: 1, den: 0 }));
        let e = WriterConfig::default()
            .with_fps(Rational::integer(5000))
            .validate()
            .unwrap_err()
            .to_string();
        assert!(e.contains("5000") && e.contains("1000"), "{e}");
    }

    #[test]
    fn bit_depths_and_lossless_are_checked_per_codec() {
        let c = WriterConfig::default().with_bit_depth(12);
        let e = c.validate().unwrap_err().to_string();
        assert!(
            e.contains("bit_depth 12") && e.contains("8") && e.contains("16"),
            "{e}"
        );
        let c = WriterConfig::default().with_bit_depth(16);
        c.validate().unwrap();
        c.check_bits(Codec::Png).unwrap();
        let e = c.check_bits(Codec::H264).unwrap_err().to_string();
        assert!(
            e.contains("bit_depth 16") && e.contains("h264") && e.contains(".png"),
            "{e}"
        );
        let c = WriterConfig::default().with_lossless(true);
        c.check_bits(Codec::Png).unwrap();
        for codec in [Codec::H264, Codec::Av1, Codec::Gif, Codec::Ffmpeg] {
            let e = c.check_bits(codec).unwrap_err().to_string();
            assert!(
                e.contains("lossless") && e.contains(codec.name()) && e.contains(".png/.apng"),
                "{e}"
            );
        }
        WriterConfig::default()
            .with_bit_depth(8)
            .check_bits(Codec::Gif)
            .unwrap();
    }

    #[test]
    fn keyframe_interval_is_about_two_seconds() {
        let c = WriterConfig::default().with_fps(Rational::new(30000, 1001));
        assert_eq!(c.effective_keyframe_interval(), 60);
        let c = WriterConfig::default().with_fps(Rational::new(1, 10));
        assert_eq!(c.effective_keyframe_interval(), 1);
    }
}
