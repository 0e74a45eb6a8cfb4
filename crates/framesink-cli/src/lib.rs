//! The `framesink` command: raw frames or Y4M from stdin or a file to a
//! movie, and a built-in demo. Errors print their chain and exit non-zero.
//! A library so that `python -m framesink` runs this same implementation.

mod demo;
mod read;
pub mod signals;
mod y4m;

use std::fs::File;
use std::io::{self, BufReader, IsTerminal, Read, Write};
use std::path::{Path, PathBuf};
use std::time::Instant;

use clap::{Parser, Subcommand};
use framesink::mux::Output;
use framesink::{
    Codec, ColorMatrix, Container, Frame, PixelLayout, Rational, Summary, VideoWriter, WriterConfig,
};
use indicatif::{ProgressBar, ProgressStyle};

#[derive(Parser)]
#[command(
    name = "framesink",
    version,
    about = "Frames to a movie, in-process: H.264 in MP4, no ffmpeg needed.",
    after_help = EXIT_STATUS
)]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The exit statuses, shown under every command's help.
const EXIT_STATUS: &str = "\
Exit status:
  0    the movie was written
  1    an error: a bad input or setting (the message names the value and what is
       allowed), or a failed write (the message names the file)
  2    a usage error: an unknown option, or a value that is not of the option's kind
  130  interrupted (SIGINT, Ctrl-C): the frames read before it were written and
       the movie finished
  143  terminated (SIGTERM): as for 130
  A second SIGINT or SIGTERM stops at once (128 + the signal); the movie then
  plays up to its last fragment.";

#[derive(Subcommand)]
enum Command {
    /// Encode raw frames (or Y4M) from stdin or a file.
    ///
    /// Example: `sim | framesink encode out.mp4 --size 640x480 --pix-fmt rgb24 --fps 30`
    #[command(after_help = EXIT_STATUS)]
    Encode(Box<EncodeArgs>),
    /// Join movies (parts) into one without re-encoding: MP4s (H.264 or AV1,
    /// plain or fragmented) or GIFs that framesink made with the same settings.
    ///
    /// Example: `framesink join movie.mp4 part-000.mp4 part-001.mp4 part-002.mp4`
    #[command(after_help = EXIT_STATUS)]
    Join {
        /// The movie to write (`-` for fragmented MP4 on stdout).
        output: PathBuf,
        /// The parts, in order.
        #[arg(required = true)]
        parts: Vec<PathBuf>,
        /// A tag of the joined movie, e.g. `--metadata title="Run 3"`
        /// (repeatable); the parts' own tags are not kept.
        #[arg(long = "metadata", value_name = "KEY=VALUE", value_parser = parse_key_value)]
        metadata: Vec<(String, String)>,
        /// No summary line.
        #[arg(long, short)]
        quiet: bool,
    },
    /// Print what a movie is (codec, size, frame count, exact fps, every
    /// frame's time, colour tags, metadata) as JSON.
    ///
    /// Example: `framesink probe movie.mp4`
    #[command(after_help = EXIT_STATUS)]
    Probe {
        /// The movie (.mp4/.mov with H.264 or AV1, .gif, .png/.apng).
        file: PathBuf,
    },
    /// Decode a movie to raw frames or Y4M: the inverse of `encode`.
    ///
    /// Example: `framesink decode movie.mp4 --pix-fmt gray | analysis`
    #[command(after_help = EXIT_STATUS)]
    Decode {
        /// The movie (.mp4/.mov with H.264 or AV1, .gif, .png/.apng).
        file: PathBuf,
        /// Where to write the frames (default, or `-`: stdout).
        #[arg(long, short = 'o')]
        output: Option<PathBuf>,
        /// Pixel format: rgb24 (default; rgba for movies with transparency),
        /// rgba, bgr24, bgra, gray, ya8, or yuv420p (the decoded planes as
        /// they are; H.264 and AV1); rgb48le, rgba64le or gray16le for 16-bit
        /// PNG and APNG (their default: every bit as stored).
        #[arg(long = "pix-fmt")]
        pix_fmt: Option<String>,
        /// YUV4MPEG2 (Y4M) instead of raw frames: a header with the size and
        /// rate, then FRAME lines; yuv420p by default.
        #[arg(long)]
        y4m: bool,
    },
    /// Write a 10 s 1280x720 animation, to try framesink with nothing else installed.
    #[command(after_help = EXIT_STATUS)]
    Demo {
        /// The movie to write (.mp4, .m4v, .mov; `-` for fragmented MP4 on stdout).
        output: PathBuf,
        /// Length in seconds.
        #[arg(long, default_value_t = 10)]
        seconds: u32,
        /// A tag of the movie, e.g. `--metadata title=Demo` (repeatable).
        #[arg(long = "metadata", value_name = "KEY=VALUE", value_parser = parse_key_value)]
        metadata: Vec<(String, String)>,
    },
}

#[derive(clap::Args)]
struct EncodeArgs {
    /// The movie to write (.mp4, .m4v, .mov, .gif, .png/.apng), or `-` for
    /// fragmented MP4 on stdout.
    output: PathBuf,
    /// Frame size WxH of raw input (Y4M input carries its own).
    #[arg(long, value_parser = parse_size)]
    size: Option<(u32, u32)>,
    /// Pixel format of raw input: gray, gray16le, ya8, rgb24, rgba, bgr24, bgra, rgb48le, rgba64le, yuv420p.
    #[arg(long = "pix-fmt")]
    pix_fmt: Option<String>,
    /// Frames per second: 30, 29.97 or 30000/1001 (Y4M input carries its own).
    #[arg(long, allow_negative_numbers = true)]
    fps: Option<String>,
    /// Read frames from this file instead of stdin (`-` is stdin).
    #[arg(long, short = 'i')]
    input: Option<PathBuf>,
    /// Quality, 0 (smallest) to 100 (best).
    #[arg(long, allow_negative_numbers = true, value_parser = whole::<u32>(QUALITY))]
    quality: Option<u32>,
    /// Target bit rate in kbit/s instead of constant quality.
    #[arg(long, allow_negative_numbers = true, value_parser = whole::<u32>(BITRATE))]
    bitrate: Option<u32>,
    /// Frames between keyframes (default: about 2 s).
    #[arg(long, allow_negative_numbers = true, value_parser = whole::<u32>(KEYINT))]
    keyint: Option<u32>,
    /// Codec: h264 or av1 (.mp4), gif (.gif), png (.png/.apng), or ffmpeg:ENCODER
    /// (e.g. ffmpeg:libx265) through a system ffmpeg, container from the extension.
    #[arg(long)]
    codec: Option<String>,
    /// More ffmpeg output options with --codec ffmpeg:ENCODER, e.g. "-crf 28".
    #[arg(long = "ffmpeg-args", allow_hyphen_values = true)]
    ffmpeg_args: Option<String>,
    /// Container when OUTPUT has no telling extension (e.g. `-`): mp4, gif or apng.
    #[arg(long)]
    format: Option<String>,
    /// Encoder threads (0: one per core).
    #[arg(long, allow_negative_numbers = true, value_parser = whole::<usize>(THREADS))]
    threads: Option<usize>,
    /// AV1: rav1e speed preset, 0 (slowest, smallest) to 10 (fastest; the default).
    #[arg(long, allow_negative_numbers = true, value_parser = whole::<u8>(SPEED))]
    speed: Option<u8>,
    /// GIF: Floyd-Steinberg dithering (no banding in gradients; about 3x the bytes).
    #[arg(long)]
    dither: bool,
    /// GIF: play this many times (default: loop forever).
    #[arg(long, allow_negative_numbers = true, value_parser = whole::<u16>(LOOPS))]
    loops: Option<u16>,
    /// Bits per sample in the movie: 8, or 16 for .png/.apng (default: the
    /// input's there, so gray16le/rgb48le/rgba64le keep every bit; 8 elsewhere).
    #[arg(long = "bit-depth", allow_negative_numbers = true, value_parser = whole::<u8>(BIT_DEPTH))]
    bit_depth: Option<u8>,
    /// Refuse any loss: only .png/.apng keep every bit (at the input's depth);
    /// lossy codecs (h264, av1, gif) are refused.
    #[arg(long)]
    lossless: bool,
    /// YCbCr matrix, tagged in the movie: bt709 or bt601. Default: bt709 for
    /// RGB and gray input; bt601 for Y4M and yuv420p input, which is what
    /// ffmpeg assumes for untagged YUV (so colours look the same as there).
    #[arg(long)]
    matrix: Option<String>,
    /// A tag of the movie (repeatable), as ffmpeg's `-metadata`: title,
    /// artist, comment, genre, copyright, date, creation_time (RFC 3339, e.g.
    /// 2024-05-17T14:30:00Z, or now), subject or any other key. The value may
    /// hold `=`: `--metadata comment="a=b"`.
    #[arg(long = "metadata", value_name = "KEY=VALUE", value_parser = parse_key_value)]
    metadata: Vec<(String, String)>,
    /// No progress bar and no summary line.
    #[arg(long, short)]
    quiet: bool,
}

/// `KEY=VALUE`, split at the first `=` (the value may hold more); the key
/// and value are checked by the library.
fn parse_key_value(s: &str) -> Result<(String, String), String> {
    match s.split_once('=') {
        Some((k, v)) => Ok((k.to_string(), v.to_string())),
        None => Err(format!(
            "metadata {s:?} has no '='; give KEY=VALUE, e.g. --metadata title=\"My movie\""
        )),
    }
}

// What each numeric option allows, as the library's range errors say it.
const QUALITY: &str = "0 (smallest) to 100 (best)";
const BITRATE: &str = "1 to 2000000 kbit/s";
const KEYINT: &str = "1 to 4294967295 frames";
const THREADS: &str = "0 (one per core) to 256";
const SPEED: &str = "0 (slowest, smallest file) to 10 (fastest)";
const LOOPS: &str = "1 to 65535 (default: loop forever)";
const BIT_DEPTH: &str = "8, or 16 for .png/.apng";

/// A parser of a whole number of type `T` that names what is allowed when the
/// text is not one, is negative or is too large for `T` (the library checks
/// the exact range of a value that fits).
fn whole<T>(allowed: &'static str) -> impl Fn(&str) -> Result<T, String> + Clone + Send + Sync
where
    T: TryFrom<i128>,
{
    move |text: &str| {
        let value: i128 = text
            .trim()
            .parse()
            .map_err(|_| format!("{text:?} is not a whole number; allowed: {allowed}"))?;
        if value < 0 {
            return Err(format!("{value} is negative; allowed: {allowed}"));
        }
        T::try_from(value).map_err(|_| format!("{value} is too large; allowed: {allowed}"))
    }
}

fn parse_size(s: &str) -> Result<(u32, u32), String> {
    let bad = || format!("size {s:?} is not WIDTHxHEIGHT (e.g. 1280x720)");
    let (w, h) = s.split_once(['x', 'X']).ok_or_else(bad)?;
    let w: u32 = w.trim().parse().map_err(|_| bad())?;
    let h: u32 = h.trim().parse().map_err(|_| bad())?;
    if w == 0 || h == 0 {
        return Err(format!(
            "size {s:?} is empty; width and height must be at least 2"
        ));
    }
    Ok((w, h))
}

/// The largest raw frame the CLI reads (bigger sizes are refused before
/// anything is allocated).
const MAX_FRAME_BYTES: u64 = 1 << 30;

type AnyResult<T> = Result<T, Box<dyn std::error::Error + Send + Sync>>;

/// Runs the command line `args` (program name first); returns the exit status.
pub fn run<I, T>(args: I) -> i32
where
    I: IntoIterator<Item = T>,
    T: Into<std::ffi::OsString> + Clone,
{
    let cli = match Cli::try_parse_from(args) {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return e.exit_code();
        }
    };
    let result = match cli.command {
        Command::Encode(args) => encode(*args),
        Command::Demo {
            output,
            seconds,
            metadata,
        } => demo::run(&output, seconds, metadata),
        Command::Join {
            output,
            parts,
            metadata,
            quiet,
        } => join(&output, &parts, metadata, quiet),
        Command::Probe { file } => read::probe(&file),
        Command::Decode {
            file,
            output,
            pix_fmt,
            y4m,
        } => read::decode(&file, output.as_deref(), pix_fmt.as_deref(), y4m),
    };
    match result {
        Ok(()) => match signals::stop_requested() {
            Some(sig) => 128 + sig,
            None => 0,
        },
        Err(e) => {
            let mut msg = format!("framesink: error: {e}");
            let mut source = e.source();
            while let Some(s) = source {
                // Errors that wrap another often repeat its text already.
                let text = s.to_string();
                if !msg.contains(&text) {
                    msg.push_str(&format!("\n  caused by: {text}"));
                }
                source = s.source();
            }
            eprintln!("{msg}");
            1
        }
    }
}

/// Opens the writer for OUTPUT: a file, or fragmented MP4 on stdout for `-`.
pub(crate) fn open_writer(output: &Path, config: WriterConfig) -> AnyResult<VideoWriter> {
    if output.as_os_str() == "-" {
        let config = match config.container {
            Some(_) => config,
            None => config.with_container(Container::Mp4),
        };
        let stdout = io::stdout();
        if stdout.is_terminal() {
            return Err(
                "refusing to write a movie to a terminal; redirect stdout or name a file".into(),
            );
        }
        Ok(VideoWriter::new_stream(StdoutSink, config)?)
    } else {
        Ok(VideoWriter::create(output, config)?)
    }
}

/// `framesink join OUTPUT PART...`: the parts are opened one at a time, as
/// they are joined; a bad part is reported after the parts before it were
/// finished into OUTPUT.
fn join(
    output: &Path,
    parts: &[PathBuf],
    metadata: Vec<(String, String)>,
    quiet: bool,
) -> AnyResult<()> {
    // Checked before the output is made, so a bad tag leaves no file.
    let metadata = framesink::Metadata::new(metadata)?;
    let progress = Progress::new(None, quiet);
    // The same file under another spelling (./x, an absolute path, a link)
    // would be truncated before it is read.
    let same = |a: &Path, b: &Path| match (std::fs::canonicalize(a), std::fs::canonicalize(b)) {
        (Ok(a), Ok(b)) => a == b,
        _ => a == b,
    };
    for p in parts {
        if output.as_os_str() != "-" && same(p, output) {
            return Err(format!(
                "the output {} is also a part ({}); write the joined movie to a new file",
                output.display(),
                p.display()
            )
            .into());
        }
    }
    let sink = if output.as_os_str() == "-" {
        if io::stdout().is_terminal() {
            return Err(
                "refusing to write a movie to a terminal; redirect stdout or name a file".into(),
            );
        }
        Output::Stream(Box::new(StdoutSink))
    } else {
        let file = File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(output)
            .map_err(|e| format!("cannot create {}: {e}", output.display()))?;
        Output::Seekable(Box::new(file))
    };
    let opened = parts.iter().enumerate().map(|(index, p)| {
        if p.is_dir() {
            let e = framesink::Error::InvalidPart {
                index,
                name: p.display().to_string(),
                message: "it is a directory, not a movie file".into(),
            };
            return (p.display().to_string(), Err(e));
        }
        let file = File::open(p).map_err(|e| {
            framesink::Error::Io(framesink::IoContext::wrap(
                e,
                format_args!("cannot open part {}", p.display()),
                Some(p),
            ))
        });
        (p.display().to_string(), file)
    });
    let mut joiner = framesink::Joiner::new(sink).with_metadata(metadata);
    let mut failed = None;
    for (name, file) in opened {
        let r = file.and_then(|f| joiner.append_part(BufReader::new(f), &name));
        if let Err(e) = r {
            failed = Some(e);
            break;
        }
    }
    if joiner.parts() == 0 {
        if output.as_os_str() != "-" {
            let _ = std::fs::remove_file(output);
        }
        return Err(failed.map_or_else(|| "no parts".into(), Into::into));
    }
    let parts_done = joiner.parts();
    let summary = joiner.finish()?;
    progress.done(&summary, output);
    match failed {
        Some(e) => Err(format!(
            "{e}\n  the {parts_done} part(s) before it were joined into {}",
            output.display()
        )
        .into()),
        None => Ok(()),
    }
}

/// Locks stdout per write, so the writer thread can own it.
struct StdoutSink;
impl Write for StdoutSink {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        io::stdout().lock().write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        io::stdout().lock().flush()
    }
}

/// Shows progress on a terminal and prints the summary line at the end.
pub(crate) struct Progress {
    bar: Option<ProgressBar>,
    start: Instant,
    quiet: bool,
}

impl Progress {
    pub(crate) fn new(total: Option<u64>, quiet: bool) -> Self {
        let bar = (!quiet && io::stderr().is_terminal()).then(|| {
            let bar = total.map_or_else(ProgressBar::new_spinner, ProgressBar::new);
            let template = if total.is_some() {
                "{bar:40} {pos}/{len} frames {per_sec} eta {eta}"
            } else {
                "{spinner} {pos} frames {per_sec}"
            };
            bar.set_style(ProgressStyle::with_template(template).expect("valid template"));
            bar
        });
        Progress {
            bar,
            start: Instant::now(),
            quiet,
        }
    }

    pub(crate) fn tick(&self) {
        if let Some(b) = &self.bar {
            b.inc(1);
        }
    }

    pub(crate) fn warn(&self, msg: &str) {
        match &self.bar {
            Some(b) => b.suspend(|| eprintln!("framesink: warning: {msg}")),
            None => eprintln!("framesink: warning: {msg}"),
        }
    }

    pub(crate) fn done(&self, s: &Summary, output: &Path) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
        if self.quiet {
            return;
        }
        let secs = self.start.elapsed().as_secs_f64();
        eprintln!(
            "framesink: wrote {} frames ({:.3} s of video, {}x{}, {} {}) to {}: {} bytes in {:.2} s ({:.1} fps)",
            s.frames,
            s.duration_secs(),
            s.coded_width,
            s.coded_height,
            s.codec,
            s.profile,
            output.display(),
            s.bytes,
            secs,
            s.frames as f64 / secs.max(1e-9)
        );
    }
}

/// Pushes one frame and prints any new warning.
pub(crate) fn push(
    writer: &mut VideoWriter,
    frame: Frame<'_>,
    progress: &Progress,
) -> AnyResult<()> {
    writer.push_frame(frame)?;
    for w in writer.take_warnings() {
        progress.warn(&w.to_string());
    }
    progress.tick();
    Ok(())
}

/// What `encode` makes of its arguments and the input's own header.
struct Settings {
    config: WriterConfig,
    width: u32,
    height: u32,
    layout: PixelLayout,
    frame_bytes: usize,
}

/// Bytes of one frame as the CLI reads it (Y4M input is read as yuv420p).
fn frame_bytes(width: u32, height: u32, layout: PixelLayout) -> u64 {
    if layout == PixelLayout::Yuv420p {
        let cw = width.div_ceil(2) as u64;
        width as u64 * height as u64 + 2 * cw * height.div_ceil(2) as u64
    } else {
        width as u64 * height as u64 * layout.bytes_per_pixel() as u64
    }
}

/// The writer's settings and the frame geometry from `args` and the sniffed
/// `input`, checked; opens nothing.
fn settings(args: &EncodeArgs, input: &y4m::Input) -> AnyResult<Settings> {
    let mut config = WriterConfig::default();
    if let Some(c) = &args.codec {
        config = match c.strip_prefix("ffmpeg:") {
            Some(encoder) => {
                let extra: Vec<&str> = args
                    .ffmpeg_args
                    .as_deref()
                    .unwrap_or("")
                    .split_whitespace()
                    .collect();
                config.with_ffmpeg(encoder, &extra)
            }
            None => config.with_codec(c.parse::<Codec>()?),
        };
    }
    if let Some(f) = &args.format {
        config = config.with_container(f.parse::<Container>()?);
    }
    if let Some(q) = args.quality {
        // Parsed wider than the setting so the error names the real range.
        let q = u8::try_from(q).ok().filter(|q| *q <= 100).ok_or_else(|| {
            format!("quality {q} is out of range; allowed: 0 (smallest) to 100 (best)")
        })?;
        config = config.with_quality(q);
    }
    if let Some(b) = args.bitrate {
        config = config.with_bitrate_kbps(b);
    }
    if let Some(k) = args.keyint {
        config = config.with_keyframe_interval(k);
    }
    if let Some(t) = args.threads {
        config = config.with_threads(t);
    }
    if let Some(sp) = args.speed {
        config = config.with_speed(sp);
    }
    if args.dither {
        config = config.with_dither(true);
    }
    if let Some(n) = args.loops {
        config = config.with_loops(n);
    }
    if let Some(bits) = args.bit_depth {
        config = config.with_bit_depth(bits);
    }
    config = config.with_lossless(args.lossless);
    config.metadata = args.metadata.clone();
    let fps: Option<Rational> = args.fps.as_deref().map(str::parse).transpose()?;
    let (width, height, layout, fps) = match input {
        y4m::Input::Y4m(h, _) => {
            if args.size.is_some() || args.pix_fmt.is_some() {
                return Err("the input is Y4M, which carries its own size and pixel format: drop --size and --pix-fmt".into());
            }
            (
                h.width,
                h.height,
                PixelLayout::Yuv420p,
                fps.unwrap_or(h.fps),
            )
        }
        y4m::Input::Raw(_) => {
            let (w, h) = args
                .size
                .ok_or("raw input needs --size WxH (e.g. --size 1280x720)")?;
            let pf = args.pix_fmt.as_deref().ok_or(
                "raw input needs --pix-fmt: gray, gray16le, ya8, rgb24, rgba, bgr24, bgra, rgb48le, rgba64le or yuv420p",
            )?;
            let fps = fps.ok_or("raw input needs --fps (e.g. 30, 29.97 or 30000/1001)")?;
            (w, h, pf.parse::<PixelLayout>()?, fps)
        }
    };
    let matrix = match &args.matrix {
        Some(m) => m.parse::<ColorMatrix>()?,
        None if layout == PixelLayout::Yuv420p => ColorMatrix::Bt601,
        None => ColorMatrix::Bt709,
    };
    config = config.with_fps(fps).with_matrix(matrix);
    config.validate()?;
    let frame_bytes = frame_bytes(width, height, layout);
    if frame_bytes > MAX_FRAME_BYTES {
        return Err(format!(
            "frame size {width}x{height} {layout} is {frame_bytes} bytes a frame; framesink reads frames of at most {MAX_FRAME_BYTES} bytes (1 GiB: 16384x16384 RGBA), and H.264 takes at most 4096 pixels a side"
        )
        .into());
    }
    Ok(Settings {
        config,
        width,
        height,
        layout,
        frame_bytes: frame_bytes as usize,
    })
}

fn encode(args: EncodeArgs) -> AnyResult<()> {
    let input: Box<dyn Read> = match &args.input {
        Some(p) if p.as_os_str() != "-" => Box::new(BufReader::with_capacity(
            1 << 20,
            File::open(p).map_err(|e| format!("cannot open input {}: {e}", p.display()))?,
        )),
        _ => Box::new(BufReader::with_capacity(1 << 20, io::stdin())),
    };
    let mut input = y4m::Input::sniff(input)?;
    let Settings {
        config,
        width,
        height,
        layout,
        frame_bytes,
    } = settings(&args, &input)?;
    let total = match &args.input {
        Some(p) if p.as_os_str() != "-" && matches!(input, y4m::Input::Raw(_)) => {
            std::fs::metadata(p)
                .ok()
                .map(|m| m.len() / frame_bytes as u64)
        }
        _ => None,
    };
    let mut writer = open_writer(&args.output, config)?;
    let progress = Progress::new(total, args.quiet);
    let mut buf = Vec::new();
    buf.try_reserve_exact(frame_bytes).map_err(|_| {
        format!("cannot allocate {frame_bytes} bytes for one {width}x{height} {layout} frame")
    })?;
    buf.resize(frame_bytes, 0);
    loop {
        if let Some(sig) = signals::stop_requested() {
            let n = writer.frames();
            if n == 0 {
                drop(writer);
                return Err(format!(
                    "interrupted by signal {sig} before any frame; nothing was written"
                )
                .into());
            }
            let summary = writer.finish()?;
            progress.done(&summary, &args.output);
            eprintln!(
                "framesink: interrupted (signal {sig}): finished {} with the {n} frames read so far",
                args.output.display()
            );
            return Ok(());
        }
        let read = match input.read_frame(&mut buf) {
            Err(_) if signals::stop_requested().is_some() => continue,
            r => r?,
        };
        let (got, expected) = match read {
            y4m::Read::End => break,
            y4m::Read::Frame => {
                push(
                    &mut writer,
                    Frame::new(&buf, width, height, layout),
                    &progress,
                )?;
                continue;
            }
            y4m::Read::Partial { got, expected } => (got, expected),
        };
        {
            // Keep what was complete, then report the tail.
            let n = writer.frames();
            if n == 0 {
                drop(writer);
                return Err(format!(
                    "input ended inside frame 0: {got} of {expected} bytes ({width}x{height} {layout}); no complete frame, nothing was written"
                )
                .into());
            }
            let summary = writer.finish()?;
            progress.done(&summary, &args.output);
            return Err(format!(
                "input ended inside frame {n}: {got} of {expected} bytes ({width}x{height} {layout}); the {n} complete frames before it were written"
            )
            .into());
        }
    }
    if writer.frames() == 0 {
        drop(writer);
        return Err("the input held no frames; nothing was written".into());
    }
    let summary = writer.finish()?;
    progress.done(&summary, &args.output);
    Ok(())
}

/// For the fuzz targets in `fuzz/` only, not an API (it may change at any
/// time): the CLI's input reading over any reader, and its argument parsing
/// and settings, without opening or creating a file.
#[doc(hidden)]
pub mod fuzzing {
    use std::ffi::OsString;
    use std::io::Read;

    use clap::Parser;
    use framesink::{PixelLayout, WriterConfig};

    pub use crate::y4m::{Chroma, Header};
    use crate::{y4m, Cli, Command};

    /// How a read of the whole input ended.
    #[derive(Debug)]
    pub enum End {
        /// Between frames.
        Clean,
        /// Inside a frame.
        Partial { got: usize, expected: usize },
        /// An error (its text).
        Error(String),
    }

    /// What [`read_input`] found.
    #[derive(Debug)]
    pub struct Reading {
        /// The stream header when the input is Y4M.
        pub y4m: Option<Header>,
        /// Whole frames read.
        pub frames: u64,
        /// How it ended.
        pub end: End,
    }

    /// Bytes of one frame as the CLI reads it (Y4M input as yuv420p).
    pub fn frame_bytes(width: u32, height: u32, layout: PixelLayout) -> u64 {
        crate::frame_bytes(width, height, layout)
    }

    /// Sniffs `input` and reads every frame as `framesink encode` does: Y4M
    /// by its signature, else raw frames of `raw_frame_bytes`. Y4M frames
    /// larger than `max_frame_bytes` (as stored, or as yuv420p) are refused
    /// before anything is allocated, as the CLI refuses frames above 1 GiB.
    /// `on_frame` gets each whole frame (yuv420p for Y4M).
    pub fn read_input(
        input: Box<dyn Read>,
        raw_frame_bytes: usize,
        max_frame_bytes: u64,
        mut on_frame: impl FnMut(&[u8]),
    ) -> Result<Reading, String> {
        let mut input = y4m::Input::sniff(input).map_err(|e| e.to_string())?;
        let (header, frame_bytes) = match &input {
            y4m::Input::Raw(_) => (None, raw_frame_bytes as u64),
            y4m::Input::Y4m(h, _) => {
                let yuv = frame_bytes(h.width, h.height, PixelLayout::Yuv420p);
                let stored = 3 * h.width as u64 * h.height as u64;
                if yuv.max(stored) > max_frame_bytes {
                    return Err(format!(
                        "Y4M frame {}x{} is above {max_frame_bytes} bytes",
                        h.width, h.height
                    ));
                }
                (Some(h.clone()), yuv)
            }
        };
        let mut buf = vec![0u8; frame_bytes as usize];
        let mut frames = 0;
        let end = loop {
            match input.read_frame(&mut buf) {
                Ok(y4m::Read::Frame) => {
                    frames += 1;
                    on_frame(&buf);
                }
                Ok(y4m::Read::End) => break End::Clean,
                Ok(y4m::Read::Partial { got, expected }) => break End::Partial { got, expected },
                Err(e) => break End::Error(e.to_string()),
            }
        };
        Ok(Reading {
            y4m: header,
            frames,
            end,
        })
    }

    /// What [`parse_args`] made of an `encode` command line.
    #[derive(Debug)]
    pub struct EncodeSettings {
        pub config: WriterConfig,
        pub width: u32,
        pub height: u32,
        pub layout: PixelLayout,
        pub frame_bytes: usize,
    }

    /// Parses `argv` (program name first) as the CLI does. For `encode`, also
    /// sniffs `input` (as if it were the command's input) and builds and
    /// checks the writer's settings; opens and creates no file. `Ok(None)`
    /// for the other commands, which are only parsed.
    pub fn parse_args(
        argv: Vec<OsString>,
        input: Box<dyn Read>,
    ) -> Result<Option<EncodeSettings>, String> {
        let cli = Cli::try_parse_from(argv).map_err(|e| e.render().to_string())?;
        let Command::Encode(args) = cli.command else {
            return Ok(None);
        };
        let input = y4m::Input::sniff(input).map_err(|e| e.to_string())?;
        let s = crate::settings(&args, &input).map_err(|e| e.to_string())?;
        Ok(Some(EncodeSettings {
            config: s.config,
            width: s.width,
            height: s.height,
            layout: s.layout,
            frame_bytes: s.frame_bytes,
        }))
    }
}
