//! What the unit tests of the decoders and demuxers share: a small random
//! generator, a directory of a test's own, and ffmpeg (Debian's, the independent reference) run and its
//! raw decode.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};

use crate::decode::Image;

/// A xorshift64 generator from `seed` (not 0): the same numbers every run,
/// for tests that feed the readers noise.
pub(crate) fn xorshift(mut seed: u64) -> impl FnMut() -> u64 {
    move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    }
}

/// A directory of the test's own, removed when dropped.
pub(crate) struct TempDir(PathBuf);

impl TempDir {
    /// A fresh, empty directory for the test `name`.
    pub(crate) fn new(name: &str) -> Self {
        let dir =
            std::env::temp_dir().join(format!("framesink-unit-{}-{name}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).expect("a test directory");
        TempDir(dir)
    }

    pub(crate) fn join(&self, file: &str) -> PathBuf {
        self.0.join(file)
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

/// Runs ffmpeg with `args`, quietly (overwriting any output); panics with
/// its stderr if it fails; gives its stdout.
pub(crate) fn ffmpeg(args: &[&str]) -> Vec<u8> {
    let out = Command::new("ffmpeg")
        .args(["-hide_banner", "-loglevel", "error", "-nostdin", "-y"])
        .args(args)
        .stdin(Stdio::null())
        .output()
        .unwrap_or_else(|e| panic!("cannot run ffmpeg, which these tests need: {e}"));
    assert!(
        out.status.success(),
        "ffmpeg {args:?} failed ({}):\n{}",
        out.status,
        String::from_utf8_lossy(&out.stderr)
    );
    out.stdout
}

/// ffmpeg's decode of `path` (after `input_options`, such as a decoder) as
/// pictures of `pix_fmt`, `size` bytes each, one for each frame in the file
/// (none repeated or dropped).
pub(crate) fn ffmpeg_frames(
    input_options: &[&str],
    path: &Path,
    pix_fmt: &str,
    size: usize,
) -> Vec<Vec<u8>> {
    let mut args = input_options.to_vec();
    args.extend([
        "-i",
        path.to_str().expect("UTF-8 path"),
        "-fps_mode",
        "passthrough",
        "-f",
        "rawvideo",
        "-pix_fmt",
        pix_fmt,
        "-",
    ]);
    let raw = ffmpeg(&args);
    assert_eq!(raw.len() % size, 0, "ffmpeg's frames are not {size} bytes");
    raw.chunks(size).map(<[u8]>::to_vec).collect()
}

/// The bytes of one `width` x `height` picture in ffmpeg's rawvideo yuv420p.
pub(crate) fn yuv420p_bytes(width: u32, height: u32) -> usize {
    let (w, h) = (width as usize, height as usize);
    w * h + 2 * w.div_ceil(2) * h.div_ceil(2)
}

/// A YUV 4:2:0 picture's planes, one after the other, as ffmpeg's rawvideo
/// yuv420p lays them.
pub(crate) fn yuv420p(image: &Image) -> Vec<u8> {
    match image {
        Image::Yuv420 { y, u, v, .. } => [&y[..], u, v].concat(),
        Image::Rgba { .. } | Image::Rgba16 { .. } => panic!("an RGBA picture, not YUV 4:2:0"),
    }
}
