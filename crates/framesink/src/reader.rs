//! Reading a movie back, the mirror of [`VideoWriter`](crate::VideoWriter):
//! demux/ gives packets in decoding order, decode/ pictures in presentation
//! order, color/ the layout asked for.
//!
//! ```no_run
//! use framesink::{PixelLayout, Reader};
//!
//! let mut reader = Reader::open("movie.mp4")?;
//! println!("{} frames at {:?} fps", reader.props().frames, reader.props().fps);
//! let tenth = reader.frame(10)?; // seeks to the keyframe before it
//! assert_eq!(tenth.layout, PixelLayout::Rgb8);
//! for frame in reader.by_ref() {
//!     let frame = frame?;
//!     println!("{} at {:.3} s", frame.index, frame.seconds());
//! }
//! # Ok::<(), framesink::Error>(())
//! ```

use std::collections::VecDeque;
use std::fs::File;
use std::io::{BufReader, Cursor, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};
use std::sync::Arc;

use crate::color::unpack::{unpack, OUTPUT_LAYOUTS};
use crate::config::{Codec, Rational};
use crate::decode::{self, ColorTags, Decoder, Image};
use crate::demux::{self, DemuxError, Demuxer, SampleEntry};
use crate::error::{Error, IoContext, Result};
use crate::frame::{PixelLayout, Timestamp};
use crate::metadata::Metadata;

/// What a movie is: the stream's description, read before any frame is
/// decoded.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct Props {
    /// The codec.
    pub codec: Codec,
    /// The codec's profile ("High", "Main"); empty for GIF and PNG.
    pub profile: String,
    /// Bits per sample as stored.
    pub bit_depth: u8,
    /// Displayed width.
    pub width: u32,
    /// Displayed height.
    pub height: u32,
    /// The shape of a pixel (width, height) where the stream gives it:
    /// (1, 1) square; another for anamorphic video, shown stretched.
    pub sample_aspect: Option<(u16, u16)>,
    /// Coded width (the codec's, before cropping).
    pub coded_width: u32,
    /// Coded height.
    pub coded_height: u32,
    /// How many frames it holds (read; for a truncated file, those before
    /// the cut).
    pub frames: u64,
    /// Ticks per second of the timestamps.
    pub timescale: u32,
    /// The frame rate, exact, when every frame lasts as long as the others;
    /// `None` for a variable frame rate (see `timestamps`).
    pub fps: Option<Rational>,
    /// Every frame's presentation time, in ticks, in presentation order.
    pub timestamps: Vec<u64>,
    /// Where the last frame ends, in ticks.
    pub duration: u64,
    /// The colour tags the pixels are decoded with (H.273 code points).
    pub color: ColorTags,
    /// The metadata as written (title, ...).
    pub metadata: Metadata,
    /// GIF and APNG: how many times the animation plays (`None`: forever).
    pub loops: Option<u16>,
    /// Whether the frames have transparency (GIF, APNG).
    pub alpha: bool,
    /// The encoder's name as the file gives it (MP4's compressor name).
    pub encoder: String,
    /// Where the file was cut, when it is truncated: the frames before the
    /// cut are read.
    pub truncated: Option<String>,
}

impl Props {
    /// The duration in seconds.
    pub fn duration_secs(&self) -> f64 {
        self.duration as f64 / self.timescale as f64
    }
}

/// One decoded frame.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct DecodedFrame {
    /// Its place in presentation order, from 0.
    pub index: u64,
    /// Its presentation time in [`Props::timescale`] ticks.
    pub pts: u64,
    /// Ticks per second of `pts`.
    pub timescale: u32,
    /// Whether decoding can start at it.
    pub keyframe: bool,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
    /// The layout of `data`.
    pub layout: PixelLayout,
    /// The pixels, rows packed: `width * layout.bytes_per_pixel()` bytes a
    /// row; for `Yuv420p`, the Y plane then U and V of
    /// `width.div_ceil(2) * height.div_ceil(2)` bytes each.
    pub data: Vec<u8>,
}

impl DecodedFrame {
    /// Its presentation time in seconds.
    pub fn seconds(&self) -> f64 {
        self.pts as f64 / self.timescale as f64
    }

    /// Its presentation time, exact.
    pub fn timestamp(&self) -> Timestamp {
        Timestamp::new(self.pts, self.timescale as u64)
    }
}

/// How a reader's movie can be opened again.
enum Reopen {
    Path(PathBuf),
    Bytes(Arc<[u8]>),
    No,
}

/// Bytes shared between the readers of one movie.
struct Shared(Arc<[u8]>);

impl AsRef<[u8]> for Shared {
    fn as_ref(&self) -> &[u8] {
        &self.0
    }
}

/// Anything a movie can be read from.
pub trait Source: Read + Seek + Send {}
impl<T: Read + Seek + Send> Source for T {}

/// Reads a movie's frames in presentation order, or any one of them.
pub struct Reader {
    name: String,
    demuxer: Box<dyn Demuxer + Send>,
    decoder: Box<dyn Decoder>,
    props: Props,
    layout: PixelLayout,
    /// Every sample in decoding order.
    samples: Vec<SampleEntry>,
    /// The decoding index of each presentation index, and the reverse.
    order: Vec<usize>,
    rank: Vec<usize>,
    /// Pictures decoded and not yet handed out; the first is presentation
    /// index `next`.
    pending: VecDeque<Image>,
    next: usize,
    /// The next sample to decode, in decoding order.
    fed: usize,
    /// How to open the movie again, for more decoding threads.
    reopen: Reopen,
    /// The decoder has been flushed at the end of the stream.
    ended: bool,
    scratch: Vec<Image>,
}

impl std::fmt::Debug for Reader {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Reader")
            .field("name", &self.name)
            .field("props", &self.props)
            .field("layout", &self.layout)
            .field("next", &self.next)
            .finish_non_exhaustive()
    }
}

impl Reader {
    /// Opens the movie at `path` (MP4/MOV, GIF, PNG/APNG): its description
    /// is read and checked, no frame is decoded yet.
    pub fn open(path: impl AsRef<Path>) -> Result<Reader> {
        let path = path.as_ref();
        let file = File::open(path).map_err(|e| {
            Error::Io(IoContext::wrap(
                e,
                format_args!("cannot open {}", path.display()),
                Some(path),
            ))
        })?;
        if file.metadata().is_ok_and(|m| m.is_dir()) {
            return Err(Error::InvalidMovie {
                name: path.display().to_string(),
                message: "it is a directory, not a movie file".into(),
            });
        }
        let mut reader =
            Self::from_source(Box::new(BufReader::new(file)), &path.display().to_string())?;
        reader.reopen = Reopen::Path(path.to_path_buf());
        Ok(reader)
    }

    /// Reads a movie held in memory.
    pub fn from_bytes(bytes: Vec<u8>) -> Result<Reader> {
        Self::from_shared(Arc::from(bytes), "the movie's bytes")
    }

    fn from_shared(bytes: Arc<[u8]>, name: &str) -> Result<Reader> {
        let mut reader = Self::from_source(Box::new(Cursor::new(Shared(bytes.clone()))), name)?;
        reader.reopen = Reopen::Bytes(bytes);
        Ok(reader)
    }

    /// Reads a movie from any `Read + Seek`, called `name` in errors.
    pub fn from_reader<R: Source + 'static>(reader: R, name: &str) -> Result<Reader> {
        Self::from_source(Box::new(reader), name)
    }

    /// Another reader of the same movie, in the same layout, when it can be
    /// opened again (a path, bytes; not an arbitrary `Read + Seek`).
    fn again(&self) -> Option<Result<Reader>> {
        let reader = match &self.reopen {
            Reopen::Path(p) => Reader::open(p),
            Reopen::Bytes(b) => Self::from_shared(b.clone(), &self.name),
            Reopen::No => return None,
        };
        Some(reader.and_then(|mut r| {
            r.set_layout(self.layout)?;
            Ok(r)
        }))
    }

    /// The bytes one frame takes in the current layout.
    pub fn frame_bytes(&self) -> usize {
        let (w, h) = (self.props.width as usize, self.props.height as usize);
        match self.layout {
            PixelLayout::Yuv420p => w * h + 2 * w.div_ceil(2) * h.div_ceil(2),
            l => w * h * l.bytes_per_pixel(),
        }
    }

    /// Frames `first` to `first + out.len() / frame_bytes()` (presentation
    /// order) into `out`, one after another, decoded on up to `threads`
    /// threads: the range is cut at keyframes into runs of GOPs, each run
    /// decoded by its own reader (a movie opened from a path or bytes; one
    /// from any other `Read + Seek` is decoded here, in order).
    pub fn read_into(&mut self, first: u64, out: &mut [u8], threads: usize) -> Result<()> {
        let size = self.frame_bytes();
        let count = (out.len() / size.max(1)) as u64;
        let n = self.props.frames;
        if out.len() % size.max(1) != 0 || first.checked_add(count).is_none_or(|end| end > n) {
            return Err(Error::config(format!(
                "read_into: {} bytes from frame {first} is not a whole number of the movie's frames ({size} bytes each, {n} frames)",
                out.len()
            )));
        }
        let cuts = self.runs(first, count, threads.max(1));
        if cuts.len() <= 2 || matches!(self.reopen, Reopen::No) {
            return self.read_run(first, out);
        }
        std::thread::scope(|scope| {
            let mut rest = &mut out[..];
            let mut workers = Vec::new();
            for w in cuts.windows(2) {
                let (part, tail) = rest.split_at_mut((w[1] - w[0]) as usize * size);
                rest = tail;
                let mine = self.again();
                let start = w[0];
                workers.push(scope.spawn(move || mine.expect("reopened")?.read_run(start, part)));
            }
            workers
                .into_iter()
                .map(|w| w.join().expect("a decoding thread panicked"))
                .collect::<Result<Vec<()>>>()
        })?;
        Ok(())
    }

    /// Where `threads` runs of whole GOPs over frames `first..first + count`
    /// start, and the end: cut at the keyframes nearest to equal shares.
    fn runs(&self, first: u64, count: u64, threads: usize) -> Vec<u64> {
        let end = first + count;
        let starts: Vec<u64> = (first + 1..end)
            .filter(|&p| self.samples[self.order[p as usize]].keyframe)
            .collect();
        let mut cuts = vec![first];
        for k in 1..threads as u64 {
            let ideal = first + count * k / threads as u64;
            let at = starts.partition_point(|&s| s < ideal);
            if let Some(&s) = starts.get(at) {
                if s > *cuts.last().expect("first") {
                    cuts.push(s);
                }
            }
        }
        cuts.push(end);
        cuts
    }

    /// Frames from `first` on into `out`, in order, by this reader.
    fn read_run(&mut self, first: u64, out: &mut [u8]) -> Result<()> {
        let size = self.frame_bytes();
        for (k, slot) in out.chunks_exact_mut(size).enumerate() {
            let index = first as usize + k;
            if k == 0 {
                self.seek(index)?;
            }
            let image = self.take()?;
            self.unpack_into(index, &image, slot)?;
        }
        Ok(())
    }

    fn from_source(mut source: Box<dyn Source>, name: &str) -> Result<Reader> {
        let invalid = |message: String| Error::InvalidMovie {
            name: name.to_string(),
            message,
        };
        let len = source.seek(SeekFrom::End(0))?;
        source.seek(SeekFrom::Start(0))?;
        let opened = demux::open_movie(source, len).map_err(|e| match e {
            DemuxError::Invalid(m) => invalid(m),
            DemuxError::Io(e) => Error::Io(e),
        })?;
        let demuxer = opened.demuxer;
        let info = demuxer.info().clone();
        let description = decode::describe(&info).map_err(|e| invalid(e.0))?;
        // The pictures' size is the codec's (after its cropping; AV1's
        // largest frame, which its frames are unless scaled); the
        // container's may differ (a wrong or anamorphic tkhd). It is checked
        // before any frame is allocated.
        let (width, height) = display_size(&info)
            .or_else(|| {
                (info.codec == Codec::Av1 && description.coded_width > 0)
                    .then_some((description.coded_width, description.coded_height))
            })
            .unwrap_or((info.width, info.height));
        demux::check_canvas(width, height).map_err(invalid)?;
        let decoder = decode::decoder(&info).map_err(|e| invalid(e.0))?;
        let samples = demuxer.samples();
        let mut order: Vec<usize> = (0..samples.len()).collect();
        order.sort_by_key(|&d| (samples[d].pts, d));
        let mut rank = vec![0; samples.len()];
        for (p, &d) in order.iter().enumerate() {
            rank[d] = p;
        }
        let timestamps: Vec<u64> = order.iter().map(|&d| samples[d].pts).collect();
        if let Some(w) = timestamps.windows(2).position(|w| w[0] == w[1]) {
            return Err(invalid(format!(
                "frames {w} and {} are both shown at tick {} (of {} a second); a frame's time must be its own",
                w + 1,
                timestamps[w],
                info.timescale
            )));
        }
        let duration = demuxer.duration().max(
            timestamps
                .last()
                .map_or(0, |&t| t + info.frame_ticks.max(1) as u64),
        );
        let fps = constant_period(&timestamps, duration)
            .map(|period| Rational::new(info.timescale as u64, period));
        let color = description.colour.or(opened.colour).unwrap_or_default();
        // 16-bit pictures (PNG, APNG) come at their depth by default.
        let layout = match (
            opened.alpha,
            description.bit_depth > 8 && is_rgba(info.codec),
        ) {
            (true, false) => PixelLayout::Rgba8,
            (false, false) => PixelLayout::Rgb8,
            (true, true) => PixelLayout::Rgba16,
            (false, true) => PixelLayout::Rgb16,
        };
        let props = Props {
            codec: info.codec,
            profile: description.profile,
            bit_depth: description.bit_depth,
            width,
            height,
            sample_aspect: sample_aspect(&info),
            coded_width: description.coded_width,
            coded_height: description.coded_height,
            frames: samples.len() as u64,
            timescale: info.timescale,
            fps,
            timestamps,
            duration,
            color,
            metadata: opened.metadata,
            loops: info.loops,
            alpha: opened.alpha,
            encoder: info.encoder.clone(),
            truncated: opened.cut,
        };
        Ok(Reader {
            name: name.to_string(),
            demuxer,
            decoder,
            props,
            layout,
            samples,
            order,
            rank,
            pending: VecDeque::new(),
            next: 0,
            fed: 0,
            reopen: Reopen::No,
            ended: false,
            scratch: Vec::new(),
        })
    }

    /// The movie's description.
    pub fn props(&self) -> &Props {
        &self.props
    }

    /// How many frames it holds.
    pub fn len(&self) -> u64 {
        self.props.frames
    }

    /// Whether it holds no frames (never: a movie without frames is refused).
    pub fn is_empty(&self) -> bool {
        self.props.frames == 0
    }

    /// The layout frames are given in: RGB by default, RGBA for a movie
    /// with transparency.
    pub fn layout(&self) -> PixelLayout {
        self.layout
    }

    /// Gives frames in `layout` from now on: rgb24, rgba, bgr24, bgra, gray,
    /// ya8, or yuv420p (the decoded planes as they are, for YUV codecs).
    pub fn set_layout(&mut self, layout: PixelLayout) -> Result<()> {
        if !OUTPUT_LAYOUTS.contains(&layout) {
            let allowed: Vec<&str> = OUTPUT_LAYOUTS.iter().map(|l| l.pix_fmt()).collect();
            return Err(Error::config(format!(
                "a reader cannot give {layout} frames; allowed: {}",
                allowed.join(", ")
            )));
        }
        if layout.bytes_per_sample() == 2
            && !(self.props.bit_depth > 8 && is_rgba(self.props.codec))
        {
            return Err(Error::config(format!(
                "{} holds {}-bit {} pictures; {layout} is for 16-bit PNG and APNG; ask for rgb24, rgba or gray",
                self.name,
                self.props.bit_depth,
                self.props.codec.name().to_uppercase()
            )));
        }
        if layout == PixelLayout::Yuv420p && is_rgba(self.props.codec) {
            return Err(Error::config(format!(
                "{} holds {} pictures, which are RGB(A), not YUV planes; ask for rgb24, rgba or gray",
                self.name,
                self.props.codec.name().to_uppercase()
            )));
        }
        self.layout = layout;
        Ok(())
    }

    /// The next frame in presentation order, or `None` after the last.
    pub fn next_frame(&mut self) -> Result<Option<DecodedFrame>> {
        if self.next >= self.order.len() {
            return Ok(None);
        }
        let image = self.take()?;
        Ok(Some(self.deliver(self.next - 1, &image)?))
    }

    /// Frame `index` (in presentation order): decoding starts at the
    /// keyframe before it, never at the start of the file, unless the frames
    /// read last lead to it.
    pub fn frame(&mut self, index: u64) -> Result<DecodedFrame> {
        let n = self.order.len() as u64;
        if index >= n {
            return Err(Error::config(format!(
                "frame {index} is past the end of {}, which has {n} frames (0 to {})",
                self.name,
                n.saturating_sub(1)
            )));
        }
        self.seek(index as usize)?;
        let image = self.take()?;
        self.deliver(index as usize, &image)
    }

    /// The frame shown at `seconds` from the start.
    pub fn frame_at(&mut self, seconds: f64) -> Result<DecodedFrame> {
        let index = self.index_at(seconds)?;
        self.frame(index)
    }

    /// The index of the frame shown at `seconds` from the start.
    pub fn index_at(&self, seconds: f64) -> Result<u64> {
        let end = self.props.duration_secs();
        if !(seconds.is_finite() && seconds >= 0.0 && seconds < end) {
            return Err(Error::config(format!(
                "time {seconds} s is outside {}, which lasts {end} s; allowed: 0 <= time < {end}",
                self.name
            )));
        }
        Ok(self.index_of(seconds))
    }

    /// The index of the frame shown at `seconds` (checked by the caller).
    fn index_of(&self, seconds: f64) -> u64 {
        // The tick is rounded to the nearest microsecond's tick first, so a
        // time printed from a timestamp finds that frame.
        let ticks = (seconds * self.props.timescale as f64 + 1e-6).floor() as u64;
        let after = self.props.timestamps.partition_point(|&t| t <= ticks);
        after.saturating_sub(1) as u64
    }

    /// Positions the reader so that the next picture taken is `index`.
    fn seek(&mut self, index: usize) -> Result<()> {
        let target = self.order[index];
        // The last sync sample at or before the target: frames asked for in
        // order (r[i] after r[i - 1]) decode on with no packet read to check.
        let sync = self.samples[..=target]
            .iter()
            .rposition(|s| s.keyframe)
            .unwrap_or(0);
        // Onward from here when decoding can start no later than the next
        // picture: checked by the sync flags first, by the packets (an IDR?)
        // only when a sync sample lies between.
        let reaches =
            |reader: &Self, key: usize| index >= reader.next && reader.rank[key] <= reader.next;
        if !reaches(self, sync) {
            let key = self.start_before(target)?;
            if !reaches(self, key) {
                let mut discard = Vec::new();
                self.decoder
                    .flush(&mut discard)
                    .map_err(|e| self.decode_error(e.0))?;
                self.demuxer.seek(key).map_err(|e| self.demux_error(e))?;
                self.fed = key;
                self.pending.clear();
                self.ended = false;
                self.next = self.rank[key];
            }
        }
        while self.next < index {
            self.take()?;
        }
        Ok(())
    }

    /// The latest sample at or before `target` (in decoding order) at which
    /// the decoder can start: a sync sample it takes (an IDR picture for
    /// H.264), else the first sample.
    fn start_before(&mut self, target: usize) -> Result<usize> {
        let mut candidates = self.samples[..=target]
            .iter()
            .enumerate()
            .rev()
            .filter(|(_, s)| s.keyframe)
            .map(|(i, _)| i);
        let key = loop {
            let Some(k) = candidates.next() else {
                break 0;
            };
            if k == 0 {
                break 0;
            }
            self.demuxer.seek(k).map_err(|e| self.demux_error(e))?;
            match self
                .demuxer
                .next_packet()
                .map_err(|e| self.demux_error(e))?
            {
                Some(p) if self.decoder.can_start(&p) => break k,
                _ => {}
            }
        };
        // Back where the demuxer was, for a reader that decodes on from there.
        self.demuxer
            .seek(self.fed)
            .map_err(|e| self.demux_error(e))?;
        Ok(key)
    }

    /// The next picture (presentation index `self.next`), decoding as many
    /// packets as it takes.
    fn take(&mut self) -> Result<Image> {
        while self.pending.is_empty() {
            if self.ended {
                let n = self.order.len();
                return Err(self.decode_error(format!(
                    "the decoder gave {} pictures for its {n} frames; frame {} is missing",
                    self.next, self.next
                )));
            }
            let mut out = std::mem::take(&mut self.scratch);
            match self
                .demuxer
                .next_packet()
                .map_err(|e| self.demux_error(e))?
            {
                Some(packet) => {
                    self.fed += 1;
                    self.decoder.decode(&packet, &mut out)
                }
                None => {
                    self.ended = true;
                    self.decoder.flush(&mut out)
                }
            }
            .map_err(|e| self.decode_error(e.0))?;
            self.pending.extend(out.drain(..));
            self.scratch = out;
        }
        let image = self.pending.pop_front().expect("not empty");
        self.next += 1;
        Ok(image)
    }

    fn deliver(&self, index: usize, image: &Image) -> Result<DecodedFrame> {
        let mut data = vec![0u8; self.frame_bytes()];
        self.unpack_into(index, image, &mut data)?;
        let d = self.order[index];
        Ok(DecodedFrame {
            index: index as u64,
            pts: self.props.timestamps[index],
            timescale: self.props.timescale,
            keyframe: self.samples[d].keyframe,
            width: self.props.width,
            height: self.props.height,
            layout: self.layout,
            data,
        })
    }

    /// Picture `index` in the reader's layout into `out` (one frame's bytes).
    fn unpack_into(&self, index: usize, image: &Image, out: &mut [u8]) -> Result<()> {
        let (width, height) = image.size();
        if (width, height) != (self.props.width, self.props.height) {
            return Err(self.decode_error(format!(
                "frame {index} decodes to {width}x{height}, but the movie is {}x{}; framesink reads streams of one size",
                self.props.width, self.props.height
            )));
        }
        unpack(image, self.props.color, self.layout, out).map_err(|e| self.decode_error(e))
    }

    fn decode_error(&self, message: String) -> Error {
        Error::InvalidMovie {
            name: self.name.clone(),
            message,
        }
    }

    fn demux_error(&self, e: DemuxError) -> Error {
        match e {
            DemuxError::Invalid(m) => self.decode_error(m),
            DemuxError::Io(e) => Error::Io(e),
        }
    }
}

impl Iterator for Reader {
    type Item = Result<DecodedFrame>;

    fn next(&mut self) -> Option<Self::Item> {
        self.next_frame().transpose()
    }
}

/// The size of the pictures as the codec's own header gives it.
fn display_size(info: &crate::stream::StreamInfo) -> Option<(u32, u32)> {
    match (info.codec, &info.config) {
        #[cfg(feature = "h264")]
        (Codec::H264, Some(config)) => decode::h264::display_size(config),
        _ => None,
    }
}

/// Whether `codec`'s pictures are RGBA (GIF, PNG), not YUV planes.
fn is_rgba(codec: Codec) -> bool {
    matches!(codec, Codec::Gif | Codec::Png)
}

/// The pixels' aspect ratio as the codec's own header gives it.
fn sample_aspect(info: &crate::stream::StreamInfo) -> Option<(u16, u16)> {
    match (info.codec, &info.config) {
        #[cfg(feature = "h264")]
        (Codec::H264, Some(config)) => decode::h264::sample_aspect(config),
        _ => None,
    }
}

/// The frame period when every frame lasts as long (the last one until
/// `duration`), else `None`.
fn constant_period(timestamps: &[u64], duration: u64) -> Option<u64> {
    let period = match timestamps {
        [] => return None,
        [only] => return duration.checked_sub(*only).filter(|&p| p > 0),
        [a, b, ..] => b - a,
    };
    let steady = timestamps.windows(2).all(|w| w[1] - w[0] == period);
    let last = duration.checked_sub(*timestamps.last()?)?;
    (steady && period > 0 && last == period).then_some(period)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::{Frame, VideoWriter, WriterConfig};

    /// A movie of `n` frames of `w` x `h` moving gradients, in memory.
    fn movie(n: u32, w: u32, h: u32, config: WriterConfig, ext: &str) -> Vec<u8> {
        let dir =
            std::env::temp_dir().join(format!("framesink-reader-{}-{n}-{ext}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join(format!("m.{ext}"));
        let mut writer = VideoWriter::create(&path, config).unwrap();
        for t in 0..n {
            let rgb: Vec<u8> = (0..w * h)
                .flat_map(|i| {
                    let (x, y) = (i % w, i / w);
                    [
                        (x * 4 + t * 9) as u8,
                        (y * 5 + t * 3) as u8,
                        (x + y + t * 17) as u8,
                    ]
                })
                .collect();
            writer
                .push_frame(Frame::new(&rgb, w, h, PixelLayout::Rgb8))
                .unwrap();
        }
        writer.finish().unwrap();
        let bytes = std::fs::read(&path).unwrap();
        std::fs::remove_dir_all(&dir).unwrap();
        bytes
    }

    #[test]
    fn every_frame_by_index_equals_the_frame_read_in_order() {
        for (ext, config) in [
            ("mp4", WriterConfig::default().with_keyframe_interval(12)),
            ("gif", WriterConfig::default()),
            ("png", WriterConfig::default()),
        ] {
            let bytes = movie(30, 32, 24, config.with_fps(Rational::new(30, 1)), ext);
            let every: Vec<DecodedFrame> = Reader::from_bytes(bytes.clone())
                .unwrap()
                .map(|f| f.unwrap())
                .collect();
            assert_eq!(every.len(), 30, "{ext}");
            let mut reader = Reader::from_bytes(bytes).unwrap();
            for i in (0..30).chain([29, 0, 13, 12, 11, 25, 24, 5]) {
                let f = reader.frame(i).unwrap();
                assert_eq!(f.index, i, "{ext}");
                assert!(
                    f.data == every[i as usize].data,
                    "{ext}: frame {i} by index"
                );
            }
            let at = reader.frame_at(0.5).unwrap();
            assert_eq!(at.index, 15, "{ext}");
            // Runs of GOPs on several threads, a part of the movie and all of it.
            let size = reader.frame_bytes();
            for (first, count, threads) in
                [(0u64, 30u64, 2usize), (5, 20, 3), (13, 1, 2), (0, 30, 1)]
            {
                let mut out = vec![0u8; count as usize * size];
                reader.read_into(first, &mut out, threads).unwrap();
                for (k, frame) in out.chunks(size).enumerate() {
                    let i = first as usize + k;
                    assert!(
                        frame == every[i].data,
                        "{ext}: frame {i} of a run from {first} on {threads} threads"
                    );
                }
            }
            let mut odd = vec![0u8; size + 1];
            assert!(reader.read_into(0, &mut odd, 2).is_err());
        }
    }

    #[test]
    fn a_constant_period_needs_every_frame_alike_the_last_included() {
        assert_eq!(constant_period(&[0, 10, 20], 30), Some(10));
        assert_eq!(constant_period(&[0, 10, 20], 25), None);
        assert_eq!(constant_period(&[0, 10, 25], 35), None);
        assert_eq!(constant_period(&[5], 12), Some(7));
        assert_eq!(constant_period(&[], 12), None);
    }
}
