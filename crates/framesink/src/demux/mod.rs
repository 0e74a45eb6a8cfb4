//! Containers read: a file in, its stream's description and its packets out,
//! in decoding order; the mirror of mux/. Join copies what a demuxer yields.

#[cfg(feature = "gif")]
pub(crate) mod gif;
pub(crate) mod mp4;
mod mp4_tags;
#[cfg(feature = "apng")]
pub(crate) mod png;
#[cfg(all(test, any(feature = "gif", feature = "apng")))]
pub(crate) mod testing;

use std::io;

use crate::decode::ColorTags;
#[cfg(any(feature = "gif", feature = "apng"))]
use crate::encode::Dispose;
use crate::encode::Packet;
use crate::metadata::Metadata;
use crate::reader::Source;
use crate::stream::StreamInfo;

/// The most bytes a frame takes as 8-bit RGBA in what framesink reads
/// (1 GiB): a file's claimed canvas is checked against it before anything
/// is allocated for it.
pub(crate) const MAX_RGBA_BYTES: u64 = 1 << 30;

/// Refuses a canvas of `width` x `height` pixels that holds none, or whose
/// frames would take more than [`MAX_RGBA_BYTES`] as RGBA.
pub(crate) fn check_canvas(width: u32, height: u32) -> Result<(), String> {
    let bytes = width as u64 * height as u64 * 4;
    if width == 0 || height == 0 {
        Err(format!(
            "its frames are {width}x{height} pixels, which holds no pixel"
        ))
    } else if bytes > MAX_RGBA_BYTES {
        Err(format!(
            "its frames are {width}x{height} pixels, {bytes} bytes each as RGBA; framesink reads frames of at most {MAX_RGBA_BYTES} bytes (1 GiB)"
        ))
    } else {
        Ok(())
    }
}

#[cfg(any(feature = "gif", feature = "apng"))]
/// Which frames of an animation (GIF, APNG) decoding can start at, from
/// what each frame is: (it covers the whole canvas, it sets every pixel of
/// its rectangle whatever was under it, its disposal). A frame is one when
/// the canvas under it is known without decoding a frame before it (the
/// first frame's, empty; one that earlier frames cleared, disposal
/// "background" of the whole canvas), or does not matter: it covers the
/// whole canvas, sets every pixel, and is not restored afterwards
/// (disposal "previous" would bring back the canvas from before it).
pub(crate) fn keyframes(frames: impl Iterator<Item = (bool, bool, Dispose)>) -> Vec<bool> {
    let mut empty = true; // the canvas before the first frame
    frames
        .map(|(whole, sets, dispose)| {
            let keyframe = empty || (whole && sets && dispose != Dispose::Previous);
            empty = match dispose {
                Dispose::Keep => false,
                Dispose::Background => empty || whole,
                // The canvas comes back as it was before the frame.
                Dispose::Previous => empty,
            };
            keyframe
        })
        .collect()
}

/// What a file is opened for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
    /// A part to join, as framesink writes it: MP4, one video track (no
    /// reordered frames, one sample description, no sample groups); GIF,
    /// whole frames, each with its colour table.
    Join,
    /// A movie to read, whatever else it holds: MP4, its first video track;
    /// GIF, frames on part of the screen, any disposal, a global palette.
    Read,
}

/// What every container reader does, once it has read the file's
/// description (and checked it, so that a bad file is refused before any of
/// its packets is used).
pub(crate) trait Demuxer {
    /// The stream: codec, size, timescale, colour tags, setup data.
    fn info(&self) -> &StreamInfo;
    /// Where the stream ends (the end of its last frame), in ticks of
    /// `info().timescale` from its start.
    fn duration(&self) -> u64;
    /// The next packet in decoding order: `pts` in ticks from the stream's
    /// start, `keyframe` its sync flag, `index` its place in the file;
    /// `None` after the last.
    fn next_packet(&mut self) -> Result<Option<Packet>, DemuxError>;
    /// Every sample, in decoding order: what a reader seeks by.
    fn samples(&self) -> Vec<SampleEntry>;
    /// Makes sample `index` (in decoding order) the next that
    /// [`next_packet`](Self::next_packet) gives.
    fn seek(&mut self, index: usize) -> Result<(), DemuxError>;
}

/// Where a sample stands: its presentation time (ticks from the first
/// frame shown) and whether decoding can start at it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SampleEntry {
    pub(crate) pts: u64,
    pub(crate) keyframe: bool,
}

/// Why a demuxer stops.
#[derive(Debug)]
pub(crate) enum DemuxError {
    /// The file is damaged, or not one this demuxer reads: a sentence about
    /// it ("its timescale is 0") for the caller to put after the file's name.
    Invalid(String),
    /// Seeking in the file failed (a read that fails is `Invalid`, naming
    /// what it was reading).
    Io(io::Error),
}

impl From<String> for DemuxError {
    fn from(sentence: String) -> Self {
        DemuxError::Invalid(sentence)
    }
}

impl From<io::Error> for DemuxError {
    fn from(e: io::Error) -> Self {
        DemuxError::Io(e)
    }
}

/// A movie opened for reading: its demuxer and what the container says
/// about the stream beyond [`StreamInfo`].
pub(crate) struct Opened {
    pub(crate) demuxer: Box<dyn Demuxer + Send>,
    /// The container's colour tags (MP4 `colr`), where it has them.
    pub(crate) colour: Option<ColorTags>,
    /// Whether the pictures have transparency.
    pub(crate) alpha: bool,
    /// The metadata as written.
    pub(crate) metadata: Metadata,
    /// Where the file was cut, when it is truncated.
    pub(crate) cut: Option<String>,
}

/// Opens the movie `source` of `len` bytes for reading, by what its first
/// bytes say it is.
pub(crate) fn open_movie(mut source: Box<dyn Source>, len: u64) -> Result<Opened, DemuxError> {
    let mut magic = [0u8; 16];
    let mut n = 0;
    while n < magic.len() {
        match source.read(&mut magic[n..]) {
            Ok(0) => break,
            Ok(k) => n += k,
            Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
            Err(e) => return Err(DemuxError::Io(e)),
        }
    }
    source.seek(io::SeekFrom::Start(0))?;
    let magic = &magic[..n];
    let plain = |demuxer: Box<dyn Demuxer + Send>| Opened {
        demuxer,
        colour: None,
        alpha: false,
        metadata: Metadata::default(),
        cut: None,
    };
    if magic.starts_with(b"GIF87a") || magic.starts_with(b"GIF89a") {
        #[cfg(feature = "gif")]
        {
            let gif = gif::GifDemuxer::open_for(source, Mode::Read)?;
            let alpha = gif.has_alpha();
            let mut opened = plain(Box::new(gif));
            opened.alpha = alpha;
            return Ok(opened);
        }
        #[cfg(not(feature = "gif"))]
        return Err("it is a GIF, and GIF is not in this build of framesink"
            .to_string()
            .into());
    }
    if magic.starts_with(b"\x89PNG\r\n\x1a\n") {
        #[cfg(feature = "apng")]
        {
            let png = png::PngDemuxer::open(source)?;
            let alpha = png.has_alpha();
            let mut opened = plain(Box::new(png));
            opened.alpha = alpha;
            return Ok(opened);
        }
        #[cfg(not(feature = "apng"))]
        return Err("it is a PNG, and PNG is not in this build of framesink"
            .to_string()
            .into());
    }
    if n >= 8
        && matches!(
            &magic[4..8],
            b"ftyp" | b"styp" | b"moov" | b"moof" | b"free" | b"mdat" | b"wide" | b"skip"
        )
    {
        let mp4 = mp4::Mp4Demuxer::open_for(source, len, Mode::Read)?;
        let colour = mp4.colour();
        let cut = mp4.cut().map(str::to_string);
        let metadata = mp4.metadata().clone();
        let mut opened = plain(Box::new(mp4));
        opened.metadata = metadata;
        opened.colour = colour;
        opened.cut = cut;
        return Ok(opened);
    }
    Err(not_a_movie(magic).into())
}

/// Why bytes that start with `magic` are not a movie framesink reads,
/// naming what they are where that is known.
fn not_a_movie(magic: &[u8]) -> String {
    const READS: &str = "framesink reads MP4/MOV (H.264, AV1), GIF and PNG/APNG";
    let known: &[(&[u8], usize, &str)] = &[
        (b"\x1a\x45\xdf\xa3", 0, "Matroska/WebM"),
        (b"RIFF", 0, "RIFF (AVI or WAV)"),
        (b"\xff\xd8\xff", 0, "a JPEG image"),
        (b"OggS", 0, "Ogg"),
        (b"FLV", 0, "FLV"),
        (b"\x00\x00\x01\xba", 0, "MPEG program stream"),
        (b"\x00\x00\x00\x01", 0, "a raw H.264/HEVC stream (Annex B)"),
        (
            b"YUV4MPEG2",
            0,
            "Y4M (raw video: read it with numpy, or `framesink encode` it)",
        ),
        (b"BM", 0, "a BMP image"),
        (b"II*\x00", 0, "a TIFF image"),
        (b"MM\x00*", 0, "a TIFF image"),
    ];
    if magic.is_empty() {
        return format!("it is empty (0 bytes); {READS}");
    }
    for (sig, at, name) in known {
        if magic.len() >= at + sig.len() && &magic[*at..at + sig.len()] == *sig {
            return format!(
                "it is {name}, which framesink does not read; {READS}; read other formats through ffmpeg (imageio's pyav plugin, or `ffmpeg -i FILE -f rawvideo -`)"
            );
        }
    }
    if magic[0] == 0x47 {
        return format!(
            "it looks like an MPEG transport stream, which framesink does not read; {READS}; read it through ffmpeg"
        );
    }
    let shown: String = magic.iter().take(12).map(|b| format!("{b:02x}")).collect();
    format!("it is not a movie framesink reads (it starts with bytes {shown}); {READS}")
}
