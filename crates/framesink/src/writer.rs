//! The streaming writer: validates and converts each frame on the caller's
//! thread, then hands it over a bounded queue to encoder threads (one per
//! GOP, so that OpenH264, which does not scale across cores, does), whose
//! packets a muxer thread puts back in order and writes.

use std::collections::{BTreeMap, VecDeque};
use std::fs::File;
use std::io::{Read, Seek, Write};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::mpsc::{self, Receiver, RecvTimeoutError, Sender, SyncSender};
use std::sync::{Arc, Condvar, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::color::{Converter, Picture, RgbaPicture, YuvPicture};
use crate::config::{Codec, Container, Faults, WriterConfig};
use crate::encode::{self, CodecConfig, Encoded, Encoder, Packet};
use crate::error::{Error, IoContext, Result};
use crate::frame::{Frame, PixelLayout};
use crate::metadata::Metadata;
use crate::mux::mp4::Mp4Muxer;
use crate::mux::{Muxer, Output};
use crate::segment::Joiner;
use crate::stream::{profile, StreamInfo, Summary, Warning};

enum Job {
    Frame {
        picture: Picture,
        index: u64,
        segment: u64,
        pts: u64,
        keyframe: bool,
    },
    /// The segment (GOP) with this number is complete; the next frame (or
    /// the end of the movie) is at `end_pts`.
    EndSegment { number: u64, end_pts: u64 },
}

/// From an encoder to the muxer: packets as they are made, so a fragment
/// reaches the file as soon as its GOP (or second) is complete.
enum MuxMsg {
    Packet {
        segment: u64,
        packet: Packet,
        config: Option<CodecConfig>,
    },
    End {
        segment: u64,
        end_pts: u64,
    },
}

/// How far the threads have got, for the caller's durability bound.
#[derive(Default)]
struct Progress {
    /// How many frames the encoders have taken in (encoded, or held inside
    /// them): a count, not the highest index, since encoders on other GOPs
    /// take frames out of order.
    consumed: AtomicU64,
    /// Frames whose data the muxer has handed to the sink.
    written: AtomicU64,
    /// Messages the encoders have sent the muxer, and those it has handled.
    posted: AtomicU64,
    handled: AtomicU64,
    /// Woken when either grows.
    lock: Mutex<()>,
    moved: Condvar,
}

impl Progress {
    fn took_frame(&self) {
        self.consumed.fetch_add(1, Ordering::AcqRel);
        self.wake();
    }

    fn wake(&self) {
        let _guard = self.lock.lock().unwrap_or_else(|p| p.into_inner());
        self.moved.notify_all();
    }
}

struct Pipeline {
    workers: Vec<(Sender<Job>, JoinHandle<Result<()>>)>,
    muxer: JoinHandle<Result<u64>>,
    progress: Arc<Progress>,
    /// Frames accepted but not yet in the sink, at most (while the encoders
    /// still have frames to take): what a killed process can lose.
    unwritten: u64,
    /// Pictures the encoders are done with, to be filled again.
    recycled: Receiver<Picture>,
    /// Pictures made so far, and at most (the bound on queued frames).
    pictures: usize,
    budget: usize,
    /// A picture taken but not sent (its frame failed to convert).
    spare: Option<Picture>,
}

impl Pipeline {
    /// True once an encoder or the muxer has stopped (only on failure
    /// before the end).
    fn stopped(&self) -> bool {
        self.workers.iter().any(|(_, h)| h.is_finished()) || self.muxer.is_finished()
    }

    /// Waits while frame `index` would leave more than `unwritten` frames
    /// accepted but not in the sink, as long as the encoders still have
    /// frames to take (so that an encoder holding frames inside it, or the
    /// fragment being made, never stalls the movie). False if a thread
    /// stopped.
    fn wait_for_sink(&self, index: u64) -> bool {
        let p = &*self.progress;
        let mut guard = p.lock.lock().unwrap_or_else(|e| e.into_inner());
        loop {
            let behind = index.saturating_sub(p.written.load(Ordering::Acquire));
            // Past the bound only when every frame is inside an encoder and
            // the muxer has handled all it was sent (a slow muxer thread
            // must not let the caller run ahead).
            let idle = p.consumed.load(Ordering::Acquire) >= index
                && p.handled.load(Ordering::Acquire) >= p.posted.load(Ordering::Acquire);
            if behind < self.unwritten || idle {
                return true;
            }
            if self.stopped() {
                return false;
            }
            guard = p
                .moved
                .wait_timeout(guard, Duration::from_millis(50))
                .unwrap_or_else(|e| e.into_inner())
                .0;
        }
    }
}

/// Writes frames to a movie as they come. See the crate docs for an example.
pub struct VideoWriter {
    config: WriterConfig,
    container: Container,
    codec: Codec,
    /// Frames not written because a GIF cannot show them (above 50 fps).
    dropped: u64,
    /// Centiseconds of the last frame kept (GIF).
    last_kept_cs: Option<u64>,
    output: Option<Output>,
    pipeline: Option<Pipeline>,
    failed: Option<Error>,
    converter: Converter,
    size: Option<(u32, u32)>,
    coded: (u32, u32),
    frames: u64,
    timescale: u32,
    frame_ticks: u32,
    keyint: u64,
    /// Ticks of the first frame's own timestamp (subtracted from all).
    origin: Option<u64>,
    last_pts: Option<u64>,
    new_warnings: Vec<Warning>,
    warnings: Vec<Warning>,
    /// The file `create` made: removed again if no frame ever comes.
    created: Option<PathBuf>,
    /// The path given to `create`, named in I/O errors.
    path: Option<PathBuf>,
    /// With an ffmpeg codec: the program and the file it writes.
    ffmpeg: Option<(PathBuf, PathBuf)>,
    /// The config's metadata, checked.
    metadata: Metadata,
    /// The movie keeps 16 bits a sample (APNG), decided at the first frame.
    sixteen: bool,
    /// [`Warning::BitsLost`] was given.
    warned_bits: bool,
    /// The first frame's layout, which an APNG's colour type follows.
    first_layout: Option<PixelLayout>,
}

/// Creates (or truncates) the movie file at `path`, read-write (the MP4 index
/// is read back to move it to the front).
fn open_target(path: &Path) -> Result<File> {
    File::options()
        .read(true)
        .write(true)
        .create(true)
        .truncate(true)
        .open(path)
        .map_err(|e| {
            Error::Io(IoContext::wrap(
                e,
                format_args!("cannot create {}", path.display()),
                Some(path),
            ))
        })
}

impl VideoWriter {
    /// Creates (or truncates) the file at `path` and writes a movie to it.
    /// The container comes from the extension unless the config sets one.
    pub fn create(path: impl AsRef<Path>, config: WriterConfig) -> Result<Self> {
        let path = path.as_ref();
        config.validate()?;
        let container = match config.container {
            Some(c) => c,
            None if config.codec == Some(Codec::Ffmpeg) => Container::Ffmpeg,
            None => match Container::from_path(path) {
                Ok(c) => c,
                // A directory is refused as one (as `dir.mp4` is below), not
                // for its name.
                Err(e) if path.is_dir() => return Err(open_target(path).err().unwrap_or(e)),
                Err(e) => return Err(e),
            },
        };
        // Before the file is made: a refused setting leaves nothing behind.
        config.check_bits(container.codec(config.codec)?)?;
        #[cfg(feature = "ffmpeg")]
        if container == Container::Ffmpeg {
            // ffmpeg makes the file itself, when the first frame comes.
            let program = crate::mux::ffmpeg::find_ffmpeg()?;
            let mut writer =
                Self::with_output(Output::Stream(Box::new(std::io::sink())), config, container)?;
            writer.ffmpeg = Some((program, path.to_path_buf()));
            return Ok(writer);
        }
        let file = open_target(path)?;
        let mut writer = Self::with_output(Output::Seekable(Box::new(file)), config, container)?;
        writer.created = Some(path.to_path_buf());
        writer.path = Some(path.to_path_buf());
        Ok(writer)
    }

    /// Writes a movie to a seekable sink that can be read back (a `File`, a
    /// `Cursor<Vec<u8>>`): for MP4, a plain MP4 with its index first. The
    /// container is the config's, MP4 when it names none.
    pub fn new<S: Read + Write + Seek + Send + 'static>(
        sink: S,
        config: WriterConfig,
    ) -> Result<Self> {
        config.validate()?;
        let container = sink_container(&config)?;
        Self::with_output(Output::Seekable(Box::new(sink)), config, container)
    }

    /// Writes a fragmented MP4 (moov first, then a fragment per GOP or second)
    /// to a write-only sink: stdout, a pipe, a socket.
    pub fn new_stream<S: Write + Send + 'static>(sink: S, config: WriterConfig) -> Result<Self> {
        config.validate()?;
        let container = sink_container(&config)?;
        Self::with_output(Output::Stream(Box::new(sink)), config, container)
    }

    fn with_output(output: Output, config: WriterConfig, container: Container) -> Result<Self> {
        let codec = container.codec(config.codec)?;
        config.check_bits(codec)?;
        let fps = config.fps;
        // Ticks per second: a multiple of the rate's numerator near 90 kHz,
        // so that one frame is a whole number of ticks (30000/1001 -> 3003
        // of 90000) and timestamps get fine resolution.
        let k = 90_000u64.div_ceil(fps.num).max(1);
        let timescale = u32::try_from(fps.num * k)
            .map_err(|_| Error::config(format!("fps {fps} needs too fine a time base")))?;
        let matrix = config.matrix;
        let frame_ticks = u32::try_from(fps.den * k)
            .map_err(|_| Error::config(format!("fps {fps} has too long a frame period")))?;
        let metadata = config.checked_metadata()?;
        Ok(VideoWriter {
            // GIF frames stand alone: each is its own segment, so frames
            // are quantised in parallel.
            keyint: match codec {
                Codec::Gif | Codec::Png | Codec::Ffmpeg => 1,
                _ => config.effective_keyframe_interval() as u64,
            },
            config,
            container,
            codec,
            dropped: 0,
            last_kept_cs: None,
            output: Some(output),
            pipeline: None,
            failed: None,
            converter: Converter::new(matrix),
            size: None,
            coded: (0, 0),
            frames: 0,
            timescale,
            frame_ticks,
            origin: None,
            last_pts: None,
            new_warnings: Vec::new(),
            warnings: Vec::new(),
            created: None,
            path: None,
            ffmpeg: None,
            metadata,
            sixteen: false,
            warned_bits: false,
            first_layout: None,
        })
    }

    /// Number of frames accepted so far.
    pub fn frames(&self) -> u64 {
        self.frames
    }

    /// Warnings given since the last call (each is given once).
    pub fn take_warnings(&mut self) -> Vec<Warning> {
        std::mem::take(&mut self.new_warnings)
    }

    fn warn(&mut self, w: Warning) {
        self.new_warnings.push(w.clone());
        self.warnings.push(w);
    }

    /// Adds a frame. It is checked and converted before this returns (so the
    /// caller may reuse its buffer at once), then encoded in the background.
    ///
    /// A frame that is rejected (wrong size, short buffer, timestamp not
    /// increasing) gives [`Error::InvalidFrame`] and changes nothing: the
    /// writer stays usable. Encoder and I/O failures from the background show
    /// up here or in [`finish`](Self::finish).
    pub fn push_frame(&mut self, frame: Frame<'_>) -> Result<()> {
        if let Some(e) = &self.failed {
            return Err(e.replay());
        }
        // A thread that stopped (an I/O error, a panic) fails this call,
        // not some later one.
        if self.pipeline.as_ref().is_some_and(Pipeline::stopped) {
            return Err(self.fail());
        }
        // Pipeline index; errors name the frame as the caller counts.
        let index = self.frames;
        let shown = self.frames + self.dropped;
        frame.check(shown)?;
        if let Some((w, h)) = self.size {
            if (frame.width, frame.height) != (w, h) {
                return Err(Error::frame(
                    shown,
                    format!(
                        "size {}x{} differs from the first frame's {w}x{h}; every frame of a movie has one size",
                        frame.width, frame.height
                    ),
                ));
            }
        } else {
            if frame.width < 2 || frame.height < 2 {
                return Err(Error::frame(
                    shown,
                    format!(
                        "size {}x{} is too small; width and height must be at least 2",
                        frame.width, frame.height
                    ),
                ));
            }
            self.coded =
                encode::coded_size(self.codec, frame.width, frame.height).map_err(|e| {
                    let message = e.to_string();
                    let message = message.trim_start_matches("unsupported: ");
                    // The limit is checked on the padded size; name the given one.
                    let (w, h) = (frame.width, frame.height);
                    let (pw, ph) = encode::padded_size(self.codec, w, h);
                    let message = if (pw, ph) != (w, h) {
                        message.replacen(
                            &format!("size {pw}x{ph}"),
                            &format!("size {w}x{h} (padded to {pw}x{ph})"),
                            1,
                        )
                    } else {
                        message.to_string()
                    };
                    Error::frame(shown, message)
                })?;
        }
        if self.codec == Codec::Ffmpeg && frame.timestamp.is_some() {
            return Err(Error::frame(
                shown,
                "per-frame timestamps are not available with ffmpeg codecs (frames go to ffmpeg at the constant fps); use a built-in codec for variable frame rate",
            ));
        }
        let pts = self.next_pts(&frame, shown)?;
        if self.origin.is_none() {
            self.origin = Some(
                frame
                    .timestamp
                    .map_or(0, |t| t.to_ticks(self.timescale).unwrap_or(0)),
            );
        }
        // A GIF shows each frame for whole centiseconds, at least 2 (browsers
        // show less as 10): frames closer than that are dropped, evenly.
        let cs = crate::gif_times::gif_centiseconds(pts, self.timescale);
        if self.codec == Codec::Gif && self.last_kept_cs.is_some_and(|last| cs < last + 2) {
            if self.dropped == 0 {
                self.warn(Warning::FramesDropped {
                    fps: self.config.fps,
                });
            }
            self.dropped += 1;
            self.last_pts = Some(pts);
            return Ok(());
        }

        let sixteen = if self.pipeline.is_none() {
            self.config.keeps_sixteen(self.codec, frame.layout)
        } else {
            self.sixteen
        };
        self.check_bits(&frame, shown, sixteen)?;
        self.check_channels(&frame, shown)?;

        // Accepted from here on.
        if self.pipeline.is_none() {
            self.first_layout = Some(frame.layout);
            self.sixteen = sixteen;
            self.start(frame.width, frame.height, frame.layout)?;
        }
        let Some(mut picture) = self.take_picture() else {
            return Err(self.fail());
        };
        let converted = match &mut picture {
            // AV1 codes odd heights: the picture is still padded to even
            // sizes for 4:2:0, and the encoder leaves the padding out.
            Picture::Yuv(p) => self.converter.convert(
                &frame,
                p,
                (
                    crate::color::even(self.coded.0),
                    crate::color::even(self.coded.1),
                ),
            ),
            // APNG keeps 16-bit input; GIF has 8-bit palettes.
            Picture::Rgba(p) => self.converter.to_rgba(&frame, p, self.sixteen),
        };
        let pipeline = self.pipeline.as_mut().expect("started above");
        if let Err(e) = converted {
            pipeline.spare = Some(picture);
            return Err(e);
        }
        let segment = index / self.keyint;
        let keyframe = index % self.keyint == 0;
        let n = pipeline.workers.len() as u64;
        // Close the previous segment on its worker, wait until the file is
        // close enough behind, then hand this frame over.
        let closed = !(keyframe && index > 0) || {
            let prev = &pipeline.workers[((segment - 1) % n) as usize].0;
            prev.send(Job::EndSegment {
                number: segment - 1,
                end_pts: pts,
            })
            .is_ok()
        };
        let worker = &pipeline.workers[(segment % n) as usize].0;
        let sent = closed
            && pipeline.wait_for_sink(index)
            && worker
                .send(Job::Frame {
                    picture,
                    index,
                    segment,
                    pts,
                    keyframe,
                })
                .is_ok();
        if !sent {
            return Err(self.fail());
        }
        self.last_kept_cs = Some(cs);
        self.last_pts = Some(pts);
        self.frames += 1;
        Ok(())
    }

    /// Refuses a frame that a lossless movie cannot keep exactly, and warns
    /// (once) when 16-bit frames are rounded to 8 bits unasked. `sixteen`:
    /// the movie keeps 16 bits.
    fn check_bits(&mut self, frame: &Frame<'_>, shown: u64, sixteen: bool) -> Result<()> {
        let layout = frame.layout;
        let rounded = layout.bytes_per_sample() == 2 && !sixteen;
        if self.config.lossless {
            if layout == PixelLayout::Yuv420p {
                return Err(Error::frame(
                    shown,
                    "planar YUV (yuv420p) frames are converted to RGB for PNG, which is not lossless; allowed with lossless: gray, gray+alpha, RGB or RGBA frames, 8 or 16 bits",
                ));
            }
            if rounded {
                let why = match self.config.bit_depth {
                    Some(bits) => format!("bit_depth {bits} was asked for"),
                    None => "the movie is 8-bit, as its first frame was".into(),
                };
                return Err(Error::frame(
                    shown,
                    format!(
                        "16-bit frames ({layout}) cannot be kept losslessly: {why}; allowed with lossless: bit_depth 16 or none, with frames of one depth"
                    ),
                ));
            }
        }
        if rounded && self.config.bit_depth.is_none() && !self.warned_bits {
            self.warned_bits = true;
            self.warn(Warning::BitsLost {
                codec: self.codec,
                layout,
            });
        }
        Ok(())
    }

    /// Refuses a frame with channels an APNG does not store: its colour
    /// type follows the first frame (gray stays gray, RGB has no alpha).
    fn check_channels(&self, frame: &Frame<'_>, shown: u64) -> Result<()> {
        #[cfg(feature = "apng")]
        if let (Codec::Png, Some(first)) = (self.codec, self.first_layout) {
            let stored = crate::encode::png::PngColor::of(first);
            if !stored.keeps(frame.layout) {
                let (name, allowed) = stored.describe();
                return Err(Error::frame(
                    shown,
                    format!(
                        "{} frames would lose channels in this PNG, which stores {name} as its first frame ({first}) was; allowed: {allowed} frames (give the first frame every channel the movie needs)",
                        frame.layout
                    ),
                ));
            }
        }
        #[cfg(not(feature = "apng"))]
        let _ = (frame, shown);
        Ok(())
    }

    /// A picture to convert the next frame into: one the encoders are done
    /// with, or a new one while fewer than the budget exist, or else the next
    /// one an encoder gives back (waiting). The budget, not the queues,
    /// bounds memory, so a worker starts on its GOP as soon as the caller
    /// gets there. `None` when an encoder thread has stopped.
    fn take_picture(&mut self) -> Option<Picture> {
        let codec = self.codec;
        let p = self.pipeline.as_mut()?;
        if let Some(picture) = p.spare.take() {
            return Some(picture);
        }
        if let Ok(picture) = p.recycled.try_recv() {
            return Some(picture);
        }
        if p.pictures < p.budget {
            p.pictures += 1;
            return Some(match codec {
                Codec::Gif | Codec::Png => Picture::Rgba(RgbaPicture::default()),
                _ => Picture::Yuv(YuvPicture::default()),
            });
        }
        loop {
            match p.recycled.recv_timeout(Duration::from_millis(50)) {
                Ok(picture) => return Some(picture),
                Err(RecvTimeoutError::Timeout) => {
                    if p.workers.iter().any(|(_, h)| h.is_finished()) || p.muxer.is_finished() {
                        return None;
                    }
                }
                Err(RecvTimeoutError::Disconnected) => return None,
            }
        }
    }

    /// The frame's time in track ticks, checked to increase.
    fn next_pts(&self, frame: &Frame<'_>, index: u64) -> Result<u64> {
        let period = self.frame_ticks as u64;
        // Every frame ends a period after its start: that must fit in 64 bits.
        let fits = |pts: u64| {
            pts.checked_add(period).map(|_| pts).ok_or_else(|| {
                Error::frame(
                    index,
                    format!(
                        "the movie would last past 2^64 ticks of 1/{} s; timestamps must stay below that",
                        self.timescale
                    ),
                )
            })
        };
        let Some(ts) = frame.timestamp else {
            return fits(self.last_pts.map_or(0, |p| p + period));
        };
        let ticks = ts.to_ticks(self.timescale).ok_or_else(|| {
            Error::frame(
                index,
                format!("timestamp {ts} is not a valid time (zero denominator or too large)"),
            )
        })?;
        let origin = self.origin.unwrap_or(ticks);
        if ticks < origin {
            return Err(Error::frame(
                index,
                format!("timestamp {ts} is before the first frame's; timestamps must increase"),
            ));
        }
        let pts = ticks - origin;
        if let Some(last) = self.last_pts {
            if pts <= last {
                return Err(Error::frame(
                    index,
                    format!(
                        "timestamp {ts} is not after the previous frame's ({:.6} s); timestamps must strictly increase (resolution 1/{} s)",
                        (last + origin) as f64 / self.timescale as f64,
                        self.timescale
                    ),
                ));
            }
        }
        fits(pts)
    }

    fn start(&mut self, width: u32, height: u32, layout: PixelLayout) -> Result<()> {
        let (cw, ch) = self.coded;
        // The first encoder is made here, so that a setting the encoder
        // refuses fails this call rather than a later one.
        let make = encode::factory(self.codec, layout, &self.config, self.coded);
        let first = make()?;
        self.size = Some((width, height));
        if (cw, ch) != (width, height) {
            self.warn(Warning::Padded {
                codec: self.codec,
                width,
                height,
                coded_width: cw,
                coded_height: ch,
            });
        }
        let output = self.output.take().expect("output is taken once");
        let mut info = StreamInfo::new(self.codec, cw, ch, self.timescale, self.frame_ticks);
        info.matrix = self.config.matrix;
        info.encoder = self.config.encoder_name(self.codec);
        info.loops = self.config.loops;
        // A GOP is written in equal fragments of at most half a second, so
        // that the frames a kill can take stay near one GOP while two
        // encoders still alternate (see `unwritten` below).
        let half_second = self.config.fps.num.div_ceil(2 * self.config.fps.den).max(1);
        let fragment = self.keyint.div_ceil(self.keyint.div_ceil(half_second));
        let muxer: Box<dyn Muxer> = match self.container {
            Container::Mp4 => Box::new(
                Mp4Muxer::new(output, info.clone())
                    .with_fragment_frames(fragment as usize)
                    .with_metadata(self.metadata.clone()),
            ),
            #[cfg(feature = "gif")]
            Container::Gif => Box::new(
                crate::mux::gif::GifMuxer::new(output, cw, ch, self.timescale, self.config.loops)?
                    .with_metadata(&self.metadata)?,
            ),
            #[cfg(feature = "ffmpeg")]
            Container::Ffmpeg => {
                let (program, path) = self.ffmpeg.as_ref().ok_or_else(|| {
                    Error::Unsupported(
                        "ffmpeg codecs write to a file: use VideoWriter::create(path, config)"
                            .into(),
                    )
                })?;
                Box::new(crate::mux::ffmpeg::FfmpegMuxer::spawn(
                    &crate::mux::ffmpeg::FfmpegJob {
                        program,
                        path,
                        width: cw,
                        height: ch,
                        fps: self.config.fps,
                        encoder: self.config.ffmpeg_encoder.as_deref().unwrap_or_default(),
                        args: &self.config.ffmpeg_args,
                        matrix: self.config.matrix,
                        metadata: &self.metadata,
                    },
                )?)
            }
            #[cfg(feature = "apng")]
            Container::Apng => Box::new(
                crate::mux::apng::ApngMuxer::new(output, cw, ch, self.timescale, self.config.loops)
                    .with_metadata(&self.metadata),
            ),
            #[allow(unreachable_patterns)]
            other => {
                return Err(Error::Unsupported(format!(
                    "{} is not in this build of framesink",
                    other.name()
                )))
            }
        };
        // rav1e threads itself (tiles); the other codecs get a worker a core.
        let threads = match self.codec {
            Codec::Av1 => 1,
            _ => self.config.effective_threads(),
        };
        let frame_bytes = cw as usize * ch as usize * 3 / 2;
        // Pictures in flight (converted, queued, being encoded): with N
        // workers on whole GOPs, about (N - 1) GOPs keep all of them busy
        // (720p, 2 s GOP, 2 workers: 67 pictures, 92 MB), within 384 MB.
        // The caller hands each worker its GOP without waiting for the one
        // before to drain, so all workers start at once.
        let depth = if threads == 1 {
            3
        } else {
            let keyint = self.keyint as usize;
            let enough = (keyint * (threads - 1)).div_ceil(threads) + 2;
            enough.min((384usize << 20) / (threads * frame_bytes).max(1))
        }
        .clamp(2, self.keyint.max(2) as usize);
        let budget = threads * (depth + 1) + 1;
        // Frames accepted but not in the sink: with N encoders on whole
        // GOPs of G frames and fragments of F, (N - 1) * (G - F) + F keeps
        // them all busy (simulated: 2 encoders, G 60, F 15: 1.95x one
        // encoder) and bounds what a kill -9 loses to about a GOP.
        let n = threads as u64;
        let unwritten = (n - 1) * self.keyint.saturating_sub(fragment) + fragment + n + 1;
        // Packets to the muxer are bounded too: a sink that blocks stops
        // the encoders, then the caller (memory stays bounded).
        let (seg_tx, seg_rx) = mpsc::sync_channel::<MuxMsg>(budget + 2 * threads);
        let (recycle_tx, recycled) = mpsc::channel::<Picture>();
        let progress = Arc::new(Progress::default());
        let faults = self.config.faults;
        let muxer = {
            let progress = Arc::clone(&progress);
            std::thread::Builder::new()
                .name("framesink-mux".into())
                .spawn(move || {
                    mux_loop(Joiner::with_muxer(muxer), info, seg_rx, &progress, faults)
                })?
        };
        let mut workers = Vec::with_capacity(threads);
        let mut first = Some(first);
        for i in 0..threads {
            let (tx, rx) = mpsc::channel::<Job>();
            let (make, first) = (make.clone(), first.take());
            let seg_tx = seg_tx.clone();
            let recycle_tx = recycle_tx.clone();
            let progress = Arc::clone(&progress);
            let handle = std::thread::Builder::new()
                .name(format!("framesink-enc{i}"))
                .spawn(move || {
                    encode_loop(first, make, rx, seg_tx, recycle_tx, &progress, faults)
                })?;
            workers.push((tx, handle));
        }
        self.pipeline = Some(Pipeline {
            workers,
            muxer,
            progress,
            unwritten,
            recycled,
            pictures: 0,
            budget,
            spare: None,
        });
        Ok(())
    }

    /// Stops the threads after a failure and keeps the first real error.
    fn fail(&mut self) -> Error {
        let e = match self.shutdown() {
            Err(e) => self.naming_path(e),
            Ok(_) => Error::Failed("the encoder stopped unexpectedly".into()),
        };
        self.failed = Some(e.replay());
        e
    }

    /// An I/O error, with the file's path in front when the writer has one.
    fn naming_path(&self, e: Error) -> Error {
        match (e, &self.path) {
            (Error::Io(io), Some(path)) => {
                Error::Io(IoContext::wrap(io, path.display(), Some(path)))
            }
            (e, _) => e,
        }
    }

    /// Closes the queues and waits for the threads; the file size on success.
    fn shutdown(&mut self) -> Result<u64> {
        let Some(p) = self.pipeline.take() else {
            let mut msg = "no frames were written; a movie needs at least one frame".to_string();
            // Never leave an empty file behind.
            if let Some(path) = self.created.take() {
                drop(self.output.take());
                if std::fs::remove_file(&path).is_ok() {
                    msg.push_str(&format!(" (the empty {} was removed)", path.display()));
                }
            }
            return Err(Error::Mux(msg));
        };
        let last_segment = self.frames.saturating_sub(1) / self.keyint;
        let n = p.workers.len() as u64;
        let mut first_err: Option<Error> = None;
        let mut keep = |r: Result<()>| {
            if let Err(e) = r {
                if first_err.is_none() || matches!(first_err, Some(Error::Failed(_))) {
                    first_err = Some(e);
                }
            }
        };
        let (senders, handles): (Vec<_>, Vec<_>) = p.workers.into_iter().unzip();
        let end = Job::EndSegment {
            number: last_segment,
            end_pts: self.last_pts.map_or(0, |p| p + self.frame_ticks as u64),
        };
        let _ = senders[(last_segment % n) as usize].send(end);
        drop(senders);
        for h in handles {
            keep(h.join().unwrap_or_else(|panic| {
                Err(Error::Encoder(format!(
                    "an encoder thread panicked ({}); the fragments written before stay playable",
                    panic_message(&*panic)
                )))
            }));
        }
        let muxed = p.muxer.join().unwrap_or_else(|panic| {
            Err(Error::Mux(format!(
                "the muxer thread panicked ({}); the fragments written before stay playable",
                panic_message(&*panic)
            )))
        });
        match (muxed, first_err) {
            (Err(e), Some(Error::Failed(_)) | None) => Err(e),
            (_, Some(e)) => Err(e),
            (Ok(size), None) => Ok(size),
        }
    }

    /// Encodes what is queued, finishes the file (index first on a seekable
    /// sink) and reports what was written.
    pub fn finish(mut self) -> Result<Summary> {
        if let Some(e) = self.failed.take() {
            return Err(e);
        }
        let bytes = self.shutdown().map_err(|e| self.naming_path(e))?;
        let (width, height) = self.size.unwrap_or((0, 0));
        Ok(Summary {
            frames: self.frames,
            duration_ticks: self.last_pts.map_or(0, |p| p + self.frame_ticks as u64),
            timescale: self.timescale,
            bytes,
            codec: self.codec,
            profile: profile(self.codec),
            frames_dropped: self.dropped,
            width,
            height,
            coded_width: self.coded.0,
            coded_height: self.coded.1,
            warnings: std::mem::take(&mut self.warnings),
            bit_depth: if self.sixteen { 16 } else { 8 },
        })
    }
}

impl Drop for VideoWriter {
    /// Finishes the file as well as it can; errors are dropped (call
    /// [`finish`](Self::finish) to see them).
    fn drop(&mut self) {
        if self.pipeline.is_some() || self.created.is_some() && self.frames == 0 {
            let _ = self.shutdown();
        }
    }
}

/// The message a thread panicked with.
fn panic_message(panic: &(dyn std::any::Any + Send)) -> String {
    match (panic.downcast_ref::<&str>(), panic.downcast_ref::<String>()) {
        (Some(s), _) => s.to_string(),
        (_, Some(s)) => s.clone(),
        _ => "no message".into(),
    }
}

/// The container for a sink without a path: the config's, else MP4.
fn sink_container(config: &WriterConfig) -> Result<Container> {
    match config.container {
        Some(Container::Ffmpeg) => Err(Error::Unsupported(
            "ffmpeg codecs write to a file: use VideoWriter::create(path, config)".into(),
        )),
        Some(c) => Ok(c),
        None => Ok(Container::Mp4),
    }
}

fn encode_loop(
    mut encoder: Option<Box<dyn Encoder>>,
    make: impl Fn() -> Result<Box<dyn Encoder>>,
    jobs: Receiver<Job>,
    mux: SyncSender<MuxMsg>,
    recycle: Sender<Picture>,
    progress: &Progress,
    faults: Faults,
) -> Result<()> {
    let mut out = Outbox {
        mux,
        progress,
        segment: None,
        waiting: VecDeque::new(),
        ends: VecDeque::new(),
        encoded: Vec::new(),
    };
    for job in jobs {
        match job {
            Job::Frame {
                picture,
                index,
                segment,
                pts,
                keyframe,
            } => {
                if encoder.is_none() {
                    encoder = Some(make()?);
                }
                if faults.encoder_panic_at == Some(index) {
                    panic!("injected fault: the encoder panics at frame {index}");
                }
                let enc = encoder.as_mut().expect("made above");
                out.waiting.push_back(Waiting {
                    index,
                    pts,
                    keyframe,
                    segment,
                });
                enc.encode(&picture, keyframe, &mut out.encoded)?;
                let _ = recycle.send(picture);
                progress.took_frame();
                out.send(enc.as_ref())?;
            }
            Job::EndSegment { number, end_pts } => {
                out.ends.push_back((number, end_pts));
                out.send_ends()?;
            }
        }
    }
    if let Some(enc) = encoder.as_mut() {
        enc.flush(&mut out.encoded)?;
        out.send(enc.as_ref())?;
    }
    if let Some(w) = out.waiting.front() {
        return Err(Error::Encoder(format!(
            "the encoder gave no packet for frame {}",
            w.index
        )));
    }
    Ok(())
}

/// A frame given to an encoder whose packet has not come out yet.
struct Waiting {
    index: u64,
    pts: u64,
    keyframe: bool,
    segment: u64,
}

/// An encoder thread's side of the way to the muxer. Packets come out of an
/// encoder in frame order but possibly later (AV1 looks ahead), so a segment
/// is reported ended only once its last packet has gone.
struct Outbox<'a> {
    mux: SyncSender<MuxMsg>,
    progress: &'a Progress,
    /// The segment of the last packet sent.
    segment: Option<u64>,
    waiting: VecDeque<Waiting>,
    ends: VecDeque<(u64, u64)>,
    encoded: Vec<Encoded>,
}

impl Outbox<'_> {
    fn post(&self, msg: MuxMsg) -> Result<()> {
        self.progress.posted.fetch_add(1, Ordering::AcqRel);
        self.mux
            .send(msg)
            .map_err(|_| Error::Failed("the MP4 writer stopped".into()))
    }

    /// Pairs the encoder's new packets with their frames and sends them.
    fn send(&mut self, enc: &dyn Encoder) -> Result<()> {
        // Taken out and put back, so its allocation serves every frame.
        let mut encoded = std::mem::take(&mut self.encoded);
        for e in encoded.drain(..) {
            let w = self.waiting.pop_front().ok_or_else(|| {
                Error::Encoder("the encoder gave more packets than it was given frames".into())
            })?;
            if w.keyframe && !e.keyframe {
                return Err(Error::Encoder(format!(
                    "frame {} should be a keyframe but is not",
                    w.index
                )));
            }
            // The codec's setup data go with each segment's first packet:
            // the joiner checks every segment's against the first's.
            let config = if self.segment == Some(w.segment) {
                None
            } else {
                enc.codec_config().cloned()
            };
            self.segment = Some(w.segment);
            let packet = Packet {
                data: e.data,
                keyframe: e.keyframe,
                index: w.index,
                pts: w.pts,
                image: e.image,
            };
            self.post(MuxMsg::Packet {
                segment: w.segment,
                packet,
                config,
            })?;
        }
        self.encoded = encoded;
        self.send_ends()
    }

    /// Reports the ended segments none of whose frames still wait for a packet.
    fn send_ends(&mut self) -> Result<()> {
        while let Some(&(segment, end_pts)) = self.ends.front() {
            if self.waiting.front().is_some_and(|w| w.segment <= segment) {
                break;
            }
            self.ends.pop_front();
            self.post(MuxMsg::End { segment, end_pts })?;
        }
        Ok(())
    }
}

/// Writes packets in movie order through the joiner, one segment after
/// another: those of the segment being written go straight on, those of
/// later segments wait.
fn mux_loop(
    mut joiner: Joiner,
    info: StreamInfo,
    msgs: Receiver<MuxMsg>,
    progress: &Progress,
    faults: Faults,
) -> Result<u64> {
    #[derive(Default)]
    struct Waiting {
        config: Option<CodecConfig>,
        packets: Vec<Packet>,
        end: Option<u64>,
    }
    let begin = |joiner: &mut Joiner, segment: u64, config: Option<CodecConfig>| {
        let mut info = info.clone();
        info.config = config.or_else(|| joiner.info().and_then(|i| i.config.clone()));
        joiner.begin(&info, &format!("segment {segment}"))
    };
    // Packets come with times on the movie's clock; the joiner counts from
    // each segment's start, which is where the one before ended.
    let rebase = |joiner: &Joiner, mut p: Packet| {
        p.pts -= joiner.offset();
        p
    };
    let mut waiting: BTreeMap<u64, Waiting> = BTreeMap::new();
    let mut next = 0u64;
    let mut started = false;
    for msg in msgs {
        match msg {
            MuxMsg::Packet {
                segment,
                packet,
                config,
            } => {
                if faults.muxer_panic_at == Some(packet.index) {
                    panic!("injected fault: the muxer panics at frame {}", packet.index);
                }
                if segment == next {
                    if !started {
                        begin(&mut joiner, segment, config)?;
                        started = true;
                    }
                    joiner.packet(rebase(&joiner, packet))?;
                } else {
                    let w = waiting.entry(segment).or_default();
                    if w.packets.is_empty() {
                        w.config = config;
                    }
                    w.packets.push(packet);
                }
            }
            MuxMsg::End { segment, end_pts } => {
                waiting.entry(segment).or_default().end = Some(end_pts);
                // Write every segment that is now complete, in order.
                while let Some(end) = waiting.get(&next).and_then(|w| w.end) {
                    let w = waiting.remove(&next).expect("looked up above");
                    if !started {
                        begin(&mut joiner, next, w.config)?;
                    }
                    for p in w.packets {
                        joiner.packet(rebase(&joiner, p))?;
                    }
                    joiner.end(end - joiner.offset())?;
                    next += 1;
                    started = false;
                    if let Some(w) = waiting.get_mut(&next) {
                        if !w.packets.is_empty() {
                            begin(&mut joiner, next, w.config.take())?;
                            started = true;
                            for p in std::mem::take(&mut w.packets) {
                                joiner.packet(rebase(&joiner, p))?;
                            }
                        }
                    }
                }
            }
        }
        progress.handled.fetch_add(1, Ordering::AcqRel);
        progress
            .written
            .fetch_max(joiner.frames_written(), Ordering::AcqRel);
        progress.wake();
    }
    if let Some((n, _)) = waiting.iter().find(|(_, w)| !w.packets.is_empty()) {
        return Err(Error::Mux(format!(
            "segment {next} is missing before segment {n}"
        )));
    }
    joiner.finish_bytes()
}
