//! Any codec ffmpeg has, through a system ffmpeg: frames go to its stdin as
//! raw yuv420p (converted here: half the bytes of rgb24), stderr is drained
//! on a thread so no amount of output can block it, and a failure reports
//! ffmpeg's exit status and last lines, never a bare broken pipe.

use std::collections::VecDeque;
use std::ffi::OsString;
use std::io::{BufRead, BufReader, Write};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdin, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use super::Muxer;
use crate::config::{ColorMatrix, Rational};
use crate::encode::{CodecConfig, Packet};
use crate::error::{Error, Result};
use crate::metadata::Metadata;

/// Lines of ffmpeg's stderr kept for error messages.
const TAIL: usize = 15;

/// The ffmpeg program: `FRAMESINK_FFMPEG`, else `ffmpeg` on `PATH`.
pub fn find_ffmpeg() -> Result<PathBuf> {
    if let Some(p) = std::env::var_os("FRAMESINK_FFMPEG") {
        let p = PathBuf::from(p);
        return if p.is_file() {
            Ok(p)
        } else {
            Err(Error::Unsupported(format!(
                "FRAMESINK_FFMPEG names {}, which is not a file",
                p.display()
            )))
        };
    }
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .map(|dir| dir.join("ffmpeg"))
        .find(|p| p.is_file())
        .ok_or_else(|| {
            Error::Unsupported(
                "ffmpeg codecs need an ffmpeg program, and there is none on PATH (nor named by \
                 FRAMESINK_FFMPEG): install one (Debian: apt-get install ffmpeg), or use a \
                 built-in codec, which needs none: h264 (.mp4), gif (.gif), png (.png/.apng)"
                    .into(),
            )
        })
}

/// Feeds frames to an ffmpeg process that writes the file.
pub struct FfmpegMuxer {
    child: Child,
    stdin: Option<ChildStdin>,
    stderr: Option<JoinHandle<()>>,
    tail: Arc<Mutex<VecDeque<String>>>,
    encoder: String,
    path: PathBuf,
    /// Frames handed to ffmpeg.
    written: u64,
}

/// What to run.
pub struct FfmpegJob<'a> {
    /// The ffmpeg program.
    pub program: &'a Path,
    /// The movie to write.
    pub path: &'a Path,
    /// Frame size (even).
    pub width: u32,
    /// Frame size (even).
    pub height: u32,
    /// Frame rate.
    pub fps: Rational,
    /// Encoder name.
    pub encoder: &'a str,
    /// More output options.
    pub args: &'a [String],
    /// Colour tags of the frames.
    pub matrix: ColorMatrix,
    /// Passed as `-metadata key=value` each; ffmpeg's container keeps what
    /// it can (its MP4 writer drops keys it has no item for, such as
    /// `subject`, unless `-movflags use_metadata_tags` is in `args`).
    pub metadata: &'a Metadata,
}

impl FfmpegMuxer {
    /// Starts ffmpeg.
    pub fn spawn(job: &FfmpegJob<'_>) -> Result<Self> {
        let (space, trc) = match job.matrix {
            ColorMatrix::Bt709 => ("bt709", "bt709"),
            ColorMatrix::Bt601 => ("smpte170m", "smpte170m"),
        };
        let mut args: Vec<OsString> = [
            "-hide_banner",
            "-nostdin",
            "-loglevel",
            "error",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "yuv420p",
            "-color_range",
            "tv",
            "-colorspace",
            space,
            "-color_primaries",
            space,
            "-color_trc",
            trc,
            "-s",
            &format!("{}x{}", job.width, job.height),
            "-framerate",
            &format!("{}/{}", job.fps.num, job.fps.den),
            "-i",
            "pipe:0",
            "-c:v",
            job.encoder,
        ]
        .iter()
        .map(OsString::from)
        .collect();
        // Before the caller's options, so that theirs win.
        for (key, value) in job.metadata.entries() {
            args.push("-metadata".into());
            args.push(format!("{key}={value}").into());
        }
        args.extend(job.args.iter().map(OsString::from));
        args.extend(["-y".into(), job.path.as_os_str().to_owned()]);
        let mut child = Command::new(job.program)
            .args(&args)
            .stdin(Stdio::piped())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .map_err(|e| Error::Encoder(format!("cannot start {}: {e}", job.program.display())))?;
        let tail = Arc::new(Mutex::new(VecDeque::new()));
        let stderr = child.stderr.take().map(|err| {
            let tail = Arc::clone(&tail);
            std::thread::spawn(move || {
                for line in BufReader::new(err).lines().map_while(|l| l.ok()) {
                    let mut t = tail.lock().unwrap_or_else(|p| p.into_inner());
                    if t.len() == TAIL {
                        t.pop_front();
                    }
                    t.push_back(line);
                }
            })
        });
        Ok(FfmpegMuxer {
            stdin: child.stdin.take(),
            child,
            stderr,
            tail,
            encoder: job.encoder.to_string(),
            path: job.path.to_path_buf(),
            written: 0,
        })
    }

    /// Waits for ffmpeg; an error with its status and last lines if it failed.
    fn wait(&mut self) -> Result<()> {
        drop(self.stdin.take());
        let status = self.child.wait()?;
        if let Some(h) = self.stderr.take() {
            let _ = h.join();
        }
        if status.success() {
            return Ok(());
        }
        let tail = self.tail.lock().unwrap_or_else(|p| p.into_inner());
        let lines: Vec<&str> = tail.iter().map(String::as_str).collect();
        Err(Error::Encoder(format!(
            "ffmpeg (encoder {}) failed with {status}{}{}",
            self.encoder,
            if lines.is_empty() { "" } else { ":\n  " },
            lines.join("\n  ")
        )))
    }
}

impl Muxer for FfmpegMuxer {
    fn write_packet(&mut self, packet: Packet, _config: Option<&CodecConfig>) -> Result<()> {
        let stdin = self.stdin.as_mut().expect("open until finish");
        if let Err(e) = stdin.write_all(&packet.data) {
            // ffmpeg stopped: its own words say why better than EPIPE.
            return Err(match self.wait() {
                Err(failed) => failed,
                Ok(()) => Error::Encoder(format!("ffmpeg stopped reading frames: {e}")),
            });
        }
        self.written += 1;
        Ok(())
    }

    fn end_fragment(&mut self, _next_pts: u64) -> Result<()> {
        Ok(())
    }

    fn frames_written(&self) -> u64 {
        self.written
    }

    fn finish(mut self: Box<Self>) -> Result<u64> {
        self.wait()?;
        Ok(std::fs::metadata(&self.path)?.len())
    }
}

impl Drop for FfmpegMuxer {
    fn drop(&mut self) {
        if self.stdin.is_some() {
            let _ = self.wait();
        }
    }
}
