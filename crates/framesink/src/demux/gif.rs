//! Reads a GIF: each frame's compressed (LZW) data, colour table,
//! transparency, rectangle, disposal and delay, without decoding a pixel.
//! A part to join holds whole frames, each with its own colour table, as
//! framesink makes them; a movie to read may hold any GIF's frames.

use std::io::{self, BufReader, Read, Seek, SeekFrom};
use std::ops::Range;

use super::{check_canvas, keyframes, DemuxError, Demuxer, Mode, SampleEntry};
use crate::config::Codec;
use crate::encode::{Blend, Dispose, ImageInfo, Packet, Rect};
use crate::gif_times::{gif_delay, Times, APPLICATION_LABEL, TIMES_APPLICATION};
use crate::stream::StreamInfo;

/// Centiseconds: GIF delays are in hundredths of a second.
const TIMESCALE: u32 = 100;

/// The most bytes of framesink's times extension that are read (a
/// constant frame rate takes a dozen).
const MAX_TIMES_BYTES: u64 = 1 << 24;

/// The most frames a GIF read may hold (a frame takes at least 12 bytes of
/// the file, and about 60 bytes here).
const MAX_FRAMES: usize = 10_000_000;

/// The Graphic Control Extension's label.
const CONTROL_LABEL: u8 = 0xF9;

/// A frame, without its pixels: where its data lies in
/// [`GifDemuxer::bytes`], and how it is drawn.
#[derive(Clone, Debug)]
struct GifFrame {
    /// The LZW code size, then the codes: joined, or as the file holds
    /// them (in sub-blocks, up to their terminator) when
    /// [`GifDemuxer::framed`].
    data: Range<usize>,
    /// Its own colour table; `None`: the global one.
    palette: Option<Range<usize>>,
    transparent: Option<u8>,
    rect: Rect,
    dispose: Dispose,
    interlaced: bool,
    /// As stored, in centiseconds.
    delay: u16,
    pts: u64,
    keyframe: bool,
}

/// A GIF read whole (and checked, so that a bad one is refused before any
/// of its frames is used): its frames, handed out in order.
pub(crate) struct GifDemuxer {
    info: StreamInfo,
    /// The end of the last frame, in ticks.
    duration: u64,
    /// Every frame's LZW data and colour table: the file itself when read,
    /// else one after another (one buffer rather than one for each frame,
    /// so that a GIF of many small frames takes little more than its size).
    bytes: Vec<u8>,
    /// Whether the frames' LZW data is still in sub-blocks.
    framed: bool,
    global: Option<Vec<u8>>,
    frames: Vec<GifFrame>,
    /// The next frame handed out.
    next: usize,
}

/// A frame's Graphic Control Extension: (packed flags, delay, transparent
/// index).
type Control = (u8, u16, u8);

impl GifDemuxer {
    /// Whether its frames can show transparency: a transparent index, or
    /// a canvas not wholly covered (it starts transparent, as browsers show
    /// it) or cleared to transparent (disposal "background").
    pub(crate) fn has_alpha(&self) -> bool {
        let (w, h) = (self.info.width, self.info.height);
        self.frames
            .iter()
            .any(|f| f.transparent.is_some() || f.dispose == Dispose::Background)
            || self.frames.first().is_some_and(|f| {
                (f.rect.left, f.rect.top, f.rect.width, f.rect.height) != (0, 0, w, h)
            })
    }

    /// Reads the whole GIF as a part to join.
    pub(crate) fn open<R: Read + Seek>(reader: R) -> Result<Self, DemuxError> {
        Self::open_for(reader, Mode::Join)
    }

    /// Reads the whole GIF for `mode`. Its times are framesink's exact ones
    /// where it holds them and its delays are theirs, rounded (in their
    /// ticks); else its delays, in centiseconds (to read, a delay of 0 or 1
    /// counts as 10, as browsers and ffmpeg show it; to join, only 0 does).
    ///
    /// To read, a frame is a keyframe (decoding can start at it) as
    /// [`keyframes`] says, a frame setting every pixel of its rectangle
    /// when it has no transparent index: the first frame, a frame that
    /// covers the whole screen with no transparent index (and is not
    /// restored after), a frame after one that cleared the whole screen
    /// (as framesink's frames with transparency do). To join, every frame
    /// is whole and each is a keyframe.
    pub(crate) fn open_for<R: Read + Seek>(reader: R, mode: Mode) -> Result<Self, DemuxError> {
        let mut gif = match mode {
            Mode::Join => Self::open_join(reader)?,
            Mode::Read => Self::open_read(reader)?,
        };
        if gif.frames.is_empty() {
            return Err(DemuxError::Invalid("it holds no frames".into()));
        }
        if mode == Mode::Read {
            let (width, height) = (gif.info.width, gif.info.height);
            let whole =
                |r: Rect| r.left == 0 && r.top == 0 && r.width >= width && r.height >= height;
            let what = gif
                .frames
                .iter()
                .map(|f| (whole(f.rect), f.transparent.is_none(), f.dispose));
            let keys = keyframes(what);
            for (f, keyframe) in gif.frames.iter_mut().zip(keys) {
                f.keyframe = keyframe;
            }
        }
        Ok(gif)
    }

    /// The gif crate reads the frames of a part to join and names what is
    /// wrong with a damaged one.
    fn open_join<R: Read + Seek>(mut reader: R) -> Result<Self, DemuxError> {
        let exact = find_times(&mut reader);
        reader.seek(SeekFrom::Start(0))?;
        let mut options = gif::DecodeOptions::new();
        options.skip_frame_decoding(true);
        options.set_memory_limit(gif::MemoryLimit::Bytes(
            std::num::NonZeroU64::new(1 << 30).expect("non-zero"),
        ));
        let mut decoder = options
            .read_info(BufReader::new(reader))
            .map_err(|e| format!("it is not a GIF framesink reads: {e}"))?;
        let (width, height) = (decoder.width() as u32, decoder.height() as u32);
        let global = decoder.global_palette().map(<[u8]>::to_vec);
        let mut bytes = Vec::new();
        let mut frames = Vec::new();
        loop {
            let frame = match decoder.read_next_frame() {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) => {
                    return Err(format!(
                        "frame {} cannot be read (truncated or damaged): {e}",
                        frames.len()
                    )
                    .into())
                }
            };
            let i = frames.len();
            if (
                frame.left,
                frame.top,
                frame.width as u32,
                frame.height as u32,
            ) != (0, 0, width, height)
            {
                return Err(format!(
                    "frame {i} covers {}x{} at ({}, {}) of the {width}x{height} screen; join takes GIFs of whole frames, as framesink makes them",
                    frame.width, frame.height, frame.left, frame.top
                ).into());
            }
            // The first byte is the LZW code size; a frame of pixels has codes
            // after it. One without (damaged) would be copied into a GIF that
            // the gif crate cannot read back.
            if frame.buffer.len() < 2 {
                return Err(format!("frame {i} has no image data (damaged)").into());
            }
            if frame.palette.is_none() && global.is_none() {
                return Err(format!("frame {i} has no colour table").into());
            }
            frames.push(GifFrame {
                data: append(&mut bytes, &frame.buffer),
                palette: frame.palette.as_ref().map(|p| append(&mut bytes, p)),
                transparent: frame.transparent,
                rect: Rect {
                    left: 0,
                    top: 0,
                    width,
                    height,
                },
                dispose: match frame.dispose {
                    gif::DisposalMethod::Background => Dispose::Background,
                    gif::DisposalMethod::Previous => Dispose::Previous,
                    _ => Dispose::Keep,
                },
                interlaced: frame.interlaced,
                delay: frame.delay,
                pts: 0,
                keyframe: true,
            });
        }
        let loops = match decoder.repeat() {
            gif::Repeat::Infinite => None,
            gif::Repeat::Finite(n) => Some(n.saturating_add(1)),
        };
        // A delay of 0 is shown by browsers as 10 cs: count it so.
        let shown = |delay: u16| if delay == 0 { 10 } else { delay as u64 };
        Ok(Self::timed(
            (width, height),
            global,
            bytes,
            frames,
            loops,
            exact,
            shown,
        ))
    }

    /// Walks the blocks of a GIF to read, in memory: any GIF that browsers
    /// show, less the damaged ones (a GIF cut short, even of its trailer
    /// only, is refused).
    fn open_read<R: Read + Seek>(mut reader: R) -> Result<Self, DemuxError> {
        reader.seek(SeekFrom::Start(0))?;
        let mut file = Vec::new();
        reader
            .read_to_end(&mut file)
            .map_err(|e| format!("it cannot be read: {e}"))?;
        let mut w = Walk {
            bytes: &file,
            at: 0,
        };
        let signature = w.take(6, || "its signature".into())?;
        if signature != b"GIF87a" && signature != b"GIF89a" {
            let shown: String = signature.iter().map(|b| format!("{b:02x}")).collect();
            return Err(format!(
                "it is not a GIF (it starts with bytes {shown}; a GIF starts with 'GIF87a' or 'GIF89a')"
            )
            .into());
        }
        let screen = w.take(7, || "its logical screen descriptor".into())?;
        let mut width = u16::from_le_bytes([screen[0], screen[1]]) as u32;
        let mut height = u16::from_le_bytes([screen[2], screen[3]]) as u32;
        let global = match table_len(screen[4]) {
            0 => None,
            n => Some(w.take(n, || "its global colour table".into())?.to_vec()),
        };
        let mut frames: Vec<GifFrame> = Vec::new();
        let mut control: Option<Control> = None;
        let mut loops = Some(1);
        let mut looped = false;
        let mut times = None;
        loop {
            let at = w.at;
            if at == file.len() {
                return Err(format!(
                    "it is truncated: it ends at byte {at}, after {} frames, without its trailer (0x3B)",
                    frames.len()
                )
                .into());
            }
            match w.byte(String::new)? {
                0x3B => break,
                0x21 => {
                    let label = w.byte(|| "an extension's label".into())?;
                    let what = || format!("the extension at byte {at}");
                    match label {
                        CONTROL_LABEL => {
                            let data = w.sub_blocks(what, 4)?;
                            // A short one is skipped, as browsers do.
                            if let [flags, lo, hi, transparent, ..] = data[..] {
                                control = Some((flags, u16::from_le_bytes([lo, hi]), transparent));
                            }
                        }
                        APPLICATION_LABEL => {
                            let n = w.byte(what)? as usize;
                            let id = w.take(n, what)?;
                            let keep = if id == TIMES_APPLICATION {
                                MAX_TIMES_BYTES as usize
                            } else {
                                16
                            };
                            let data = w.sub_blocks(what, keep)?;
                            let netscape = id == b"NETSCAPE2.0" || id == b"ANIMEXTS1.0";
                            if let ([1, lo, hi, ..], true, false) = (&data[..], netscape, looped) {
                                looped = true;
                                loops = match u16::from_le_bytes([*lo, *hi]) {
                                    0 => None,
                                    n => Some(n.saturating_add(1)),
                                };
                            } else if id == TIMES_APPLICATION {
                                times = Times::decode(&data);
                            }
                        }
                        _ => {
                            w.sub_blocks(what, 0)?;
                        }
                    }
                }
                0x2C => {
                    let i = frames.len();
                    if i == MAX_FRAMES {
                        return Err(format!(
                            "it holds more than {MAX_FRAMES} frames, the most framesink reads"
                        )
                        .into());
                    }
                    let d = w.take(9, || format!("frame {i}'s image descriptor"))?;
                    let le = |k: usize| u16::from_le_bytes([d[k], d[k + 1]]) as u32;
                    let rect = Rect {
                        left: le(0),
                        top: le(2),
                        width: le(4),
                        height: le(6),
                    };
                    let flags = d[8];
                    let table_at = w.at;
                    let palette = match table_len(flags) {
                        0 => None,
                        n => {
                            w.take(n, || format!("frame {i}'s colour table"))?;
                            Some(table_at..table_at + n)
                        }
                    };
                    if palette.is_none() && global.is_none() {
                        return Err(format!("frame {i} has no colour table").into());
                    }
                    let start = w.at;
                    let code_size = w.byte(|| format!("frame {i}'s LZW code size"))?;
                    if !(1..=11).contains(&code_size) {
                        return Err(format!(
                            "frame {i} has an LZW code size of {code_size}; GIF's are 1 to 11 (2 to 8 by the letter)"
                        )
                        .into());
                    }
                    w.sub_blocks(|| format!("frame {i}'s image data"), 0)?;
                    let (flags_gce, delay, transparent) = control.take().unwrap_or_default();
                    if i == 0 {
                        // Browsers show a first frame that overflows the
                        // screen by enlarging the screen (Chromium's rule).
                        width = width.max(rect.left + rect.width);
                        height = height.max(rect.top + rect.height);
                    }
                    frames.push(GifFrame {
                        data: start..w.at,
                        palette,
                        transparent: (flags_gce & 1 != 0).then_some(transparent),
                        rect,
                        dispose: match (flags_gce >> 2) & 7 {
                            2 => Dispose::Background,
                            3 | 4 => Dispose::Previous,
                            _ => Dispose::Keep,
                        },
                        interlaced: flags & 0x40 != 0,
                        delay,
                        pts: 0,
                        keyframe: false,
                    });
                }
                b => {
                    return Err(format!(
                        "byte {at} holds 0x{b:02x}, which starts no GIF block (0x21 an extension, 0x2C an image, 0x3B the trailer); the file is damaged"
                    )
                    .into())
                }
            }
        }
        check_canvas(width, height)?;
        // Browsers and ffmpeg show delays under 2 cs as 10 cs.
        let shown = |delay: u16| if delay < 2 { 10 } else { delay as u64 };
        let mut gif = Self::timed((width, height), global, file, frames, loops, times, shown);
        gif.framed = true;
        Ok(gif)
    }

    /// The demuxer of these frames, timed by `exact` times where they are
    /// the GIF's own, else by their delays as `shown`.
    fn timed(
        (width, height): (u32, u32),
        global: Option<Vec<u8>>,
        bytes: Vec<u8>,
        mut frames: Vec<GifFrame>,
        loops: Option<u16>,
        exact: Option<Times>,
        shown: impl Fn(u16) -> u64,
    ) -> Self {
        let delays: Vec<u16> = frames.iter().map(|f| f.delay).collect();
        let mut timescale = TIMESCALE;
        let mut at = 0u64;
        match exact.filter(|t| rounds_to(t, &delays)) {
            Some(times) => {
                for (f, step) in frames.iter_mut().zip(times.steps()) {
                    f.pts = at;
                    at += step;
                }
                timescale = times.timescale;
            }
            None => {
                for f in &mut frames {
                    f.pts = at;
                    at += shown(f.delay);
                }
            }
        }
        let mut info = StreamInfo::new(Codec::Gif, width, height, timescale, 0);
        info.loops = loops;
        GifDemuxer {
            info,
            duration: at,
            bytes,
            framed: false,
            global,
            frames,
            next: 0,
        }
    }

    /// Frame `index`'s packet.
    fn packet(&self, index: usize) -> Option<Packet> {
        let f = self.frames.get(index)?;
        let palette = match &f.palette {
            Some(r) => self.bytes[r.clone()].to_vec(),
            None => self.global.clone().unwrap_or_default(),
        };
        let data = &self.bytes[f.data.clone()];
        Some(Packet {
            data: if self.framed {
                unframe(data)
            } else {
                data.to_vec()
            },
            keyframe: f.keyframe,
            index: index as u64,
            pts: f.pts,
            image: Some(ImageInfo {
                palette,
                transparent: f.transparent,
                rect: Some(f.rect),
                dispose: f.dispose,
                blend: Blend::Over,
                interlaced: f.interlaced,
                delay: Some((f.delay, 100)),
                ..ImageInfo::default()
            }),
        })
    }
}

/// LZW data as a file holds it (the code size, then sub-blocks up to their
/// terminator), joined: the code size, then the codes.
fn unframe(framed: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(framed.len());
    out.extend(framed.first());
    let mut at = 1;
    while let Some(&n) = framed.get(at).filter(|&&n| n > 0) {
        let end = (at + 1 + n as usize).min(framed.len());
        out.extend_from_slice(&framed[at + 1..end]);
        at = end;
    }
    out
}

/// Appends `data` to `bytes`, returning where it lies.
fn append(bytes: &mut Vec<u8>, data: &[u8]) -> Range<usize> {
    let start = bytes.len();
    bytes.extend_from_slice(data);
    start..bytes.len()
}

/// The bytes of the colour table that a descriptor's packed byte announces.
fn table_len(packed: u8) -> usize {
    if packed & 0x80 == 0 {
        0
    } else {
        3 << ((packed & 7) + 1)
    }
}

/// A GIF in memory, read from the start; every length is checked against
/// what remains.
struct Walk<'a> {
    bytes: &'a [u8],
    at: usize,
}

impl<'a> Walk<'a> {
    /// The next `n` bytes, which are `what`.
    fn take(&mut self, n: usize, what: impl FnOnce() -> String) -> Result<&'a [u8], String> {
        let left = self.bytes.len() - self.at;
        if n > left {
            let what = what();
            let what = if what.is_empty() {
                "a block".into()
            } else {
                what
            };
            let plural = |n: usize| if n == 1 { "byte" } else { "bytes" };
            let ends = match left {
                0 => "there".to_string(),
                _ => format!("{left} {} later", plural(left)),
            };
            return Err(format!(
                "it is truncated: {what} at byte {} takes {n} {}, but the file ends {ends}",
                self.at,
                plural(n),
            ));
        }
        let data = &self.bytes[self.at..self.at + n];
        self.at += n;
        Ok(data)
    }

    fn byte(&mut self, what: impl FnOnce() -> String) -> Result<u8, String> {
        Ok(self.take(1, what)?[0])
    }

    /// Walks sub-blocks up to their terminator, returning the first `keep`
    /// bytes of their data.
    fn sub_blocks(&mut self, what: impl Fn() -> String, keep: usize) -> Result<Vec<u8>, String> {
        let mut data = Vec::new();
        loop {
            let n = self.byte(&what)? as usize;
            if n == 0 {
                return Ok(data);
            }
            let block = self.take(n, &what)?;
            let room = keep.saturating_sub(data.len()).min(n);
            data.extend_from_slice(&block[..room]);
        }
    }
}

impl Demuxer for GifDemuxer {
    fn info(&self) -> &StreamInfo {
        &self.info
    }

    fn duration(&self) -> u64 {
        self.duration
    }

    fn next_packet(&mut self) -> Result<Option<Packet>, DemuxError> {
        let packet = self.packet(self.next);
        self.next += packet.is_some() as usize;
        Ok(packet)
    }

    fn samples(&self) -> Vec<SampleEntry> {
        self.frames
            .iter()
            .map(|f| SampleEntry {
                pts: f.pts,
                keyframe: f.keyframe,
            })
            .collect()
    }

    fn seek(&mut self, index: usize) -> Result<(), DemuxError> {
        self.next = index.min(self.frames.len());
        Ok(())
    }
}

/// Whether `times` are the exact times of frames with these `delays`:
/// as many frames, each delay its times rounded to centiseconds (as the
/// writer makes them). A GIF edited after framesink wrote it keeps the
/// extension and loses this.
fn rounds_to(times: &Times, delays: &[u16]) -> bool {
    if times.frames() != delays.len() as u64 {
        return false;
    }
    // The writer rounds the times themselves, which need not start at 0.
    let mut at = times.first;
    for (&delay, step) in delays.iter().zip(times.steps()) {
        let Some(next) = at.checked_add(step) else {
            return false;
        };
        if step == 0 || gif_delay(at, next, times.timescale) != delay {
            return false;
        }
        at = next;
    }
    true
}

/// framesink's frame times ([`Times`]) in a GIF, if it holds them: its
/// blocks walked without decoding a pixel. Anything this walk does not
/// follow means none (the gif crate reads the frames and names what is
/// wrong with them).
fn find_times<R: Read>(reader: R) -> Option<Times> {
    let mut r = BufReader::new(reader);
    let mut screen = [0u8; 13]; // signature, logical screen descriptor
    r.read_exact(&mut screen).ok()?;
    skip_color_table(&mut r, screen[10])?;
    let mut found = None;
    loop {
        let mut block = [0u8; 1];
        match r.read_exact(&mut block) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::UnexpectedEof => return found,
            Err(_) => return None,
        }
        match block[0] {
            0x3B => return found, // the trailer
            0x21 => {
                let mut label = [0u8; 1];
                r.read_exact(&mut label).ok()?;
                let mut len = [0u8; 1];
                r.read_exact(&mut len).ok()?;
                if len[0] == 0 {
                    continue; // an extension without data
                }
                let mut first = vec![0u8; len[0] as usize];
                r.read_exact(&mut first).ok()?;
                let ours = label[0] == APPLICATION_LABEL && first == TIMES_APPLICATION;
                let data = sub_blocks(&mut r, ours)?;
                if ours {
                    found = Times::decode(&data);
                }
            }
            0x2C => {
                let mut descriptor = [0u8; 9];
                r.read_exact(&mut descriptor).ok()?;
                skip_color_table(&mut r, descriptor[8])?;
                let mut code_size = [0u8; 1];
                r.read_exact(&mut code_size).ok()?;
                sub_blocks(&mut r, false)?;
            }
            _ => return None,
        }
    }
}

/// Skips the colour table that a descriptor's packed byte announces.
fn skip_color_table<R: Read>(r: &mut R, packed: u8) -> Option<()> {
    if packed & 0x80 == 0 {
        return Some(());
    }
    skip(r, 3 << ((packed & 7) + 1))
}

/// Reads sub-blocks up to the terminator, keeping their bytes if `keep`
/// (up to [`MAX_TIMES_BYTES`]).
fn sub_blocks<R: Read>(r: &mut R, keep: bool) -> Option<Vec<u8>> {
    let mut data = Vec::new();
    loop {
        let mut len = [0u8; 1];
        r.read_exact(&mut len).ok()?;
        let n = len[0] as usize;
        if n == 0 {
            return Some(data);
        }
        if keep && (data.len() + n) as u64 <= MAX_TIMES_BYTES {
            let at = data.len();
            data.resize(at + n, 0);
            r.read_exact(&mut data[at..]).ok()?;
        } else if keep {
            return None;
        } else {
            skip(r, n as u64)?;
        }
    }
}

fn skip<R: Read>(r: &mut R, n: u64) -> Option<()> {
    (io::copy(&mut r.take(n), &mut io::sink()).ok()? == n).then_some(())
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use super::{rounds_to, GifDemuxer, Times};
    use crate::demux::testing::gif_file::{self, Frame};
    use crate::demux::{DemuxError, Demuxer, Mode};

    fn open(bytes: &[u8], mode: Mode) -> Result<GifDemuxer, String> {
        match GifDemuxer::open_for(Cursor::new(bytes), mode) {
            Ok(gif) => Ok(gif),
            Err(DemuxError::Invalid(why)) => Err(why),
            Err(DemuxError::Io(e)) => panic!("an I/O error from memory: {e}"),
        }
    }

    /// Two frames on a global table, the second on part of the screen.
    fn small() -> Vec<u8> {
        let colours = [[0, 0, 0], [255, 255, 255]];
        let mut gif = gif_file::header(3, 2, Some(&colours), 0);
        gif.extend(gif_file::looping(2));
        for (rect, indices) in [
            ((0, 0, 3, 2), &[0u8, 1, 0, 1, 0, 1][..]),
            ((1, 1, 2, 1), &[1, 1]),
        ] {
            gif.extend(gif_file::frame(&Frame {
                rect,
                local: None,
                control: Some((1, 7, None)),
                interlaced: false,
                indices,
            }));
        }
        gif.push(0x3B);
        gif
    }

    #[test]
    fn reads_partial_frames_and_the_global_table() {
        let mut gif = open(&small(), Mode::Read).unwrap();
        assert_eq!(gif.info().loops, Some(3));
        assert_eq!(gif.duration(), 14);
        let p = [
            gif.next_packet().unwrap().unwrap(),
            gif.next_packet().unwrap().unwrap(),
        ];
        assert!(gif.next_packet().unwrap().is_none());
        let image = p[1].image.clone().unwrap();
        assert_eq!(image.palette, [0, 0, 0, 255, 255, 255]);
        let rect = image.rect.unwrap();
        assert_eq!((rect.left, rect.top, rect.width, rect.height), (1, 1, 2, 1));
        assert_eq!(image.delay, Some((7, 100)));
        assert_eq!((p[1].pts, p[1].index, p[1].keyframe), (7, 1, false));
        // To join, the same file is refused, as before.
        let why = open(&small(), Mode::Join).err().unwrap();
        assert_eq!(why, "frame 1 covers 2x1 at (1, 1) of the 3x2 screen; join takes GIFs of whole frames, as framesink makes them");
    }

    #[test]
    fn every_truncation_is_refused_in_a_sentence() {
        let whole = small();
        for len in 0..whole.len() {
            let why = open(&whole[..len], Mode::Read)
                .err()
                .unwrap_or_else(|| panic!("{len} bytes read"));
            assert!(why.starts_with("it is truncated: "), "{len} bytes: {why}");
        }
        let why = open(&whole[..whole.len() - 1], Mode::Read).err().unwrap();
        assert_eq!(
            why,
            format!(
                "it is truncated: it ends at byte {}, after 2 frames, without its trailer (0x3B)",
                whole.len() - 1
            )
        );
        let why = open(&whole[..16], Mode::Read).err().unwrap();
        assert_eq!(why, "it is truncated: its global colour table at byte 13 takes 6 bytes, but the file ends 3 bytes later");
        let why = open(&whole[..20], Mode::Read).err().unwrap();
        assert_eq!(why, "it is truncated: an extension's label at byte 20 takes 1 byte, but the file ends there");
    }

    #[test]
    fn damaged_and_hostile_gifs_are_refused() {
        let why = |bytes: &[u8]| open(bytes, Mode::Read).err().unwrap();
        assert_eq!(why(b"GIF88a......."), "it is not a GIF (it starts with bytes 474946383861; a GIF starts with 'GIF87a' or 'GIF89a')");
        // 65535 x 65535 pixels: 16 GiB a frame.
        let mut huge = gif_file::header(65535, 65535, Some(&[[0, 0, 0]]), 0);
        huge.extend(gif_file::frame(&Frame {
            rect: (0, 0, 1, 1),
            local: None,
            control: None,
            interlaced: false,
            indices: &[0],
        }));
        huge.push(0x3B);
        assert_eq!(why(&huge), "its frames are 65535x65535 pixels, 17179344900 bytes each as RGBA; framesink reads frames of at most 1073741824 bytes (1 GiB)");
        let mut bad = small();
        let at = bad.len() - 1;
        bad.insert(at, 0x99);
        assert_eq!(why(&bad), format!("byte {at} holds 0x99, which starts no GIF block (0x21 an extension, 0x2C an image, 0x3B the trailer); the file is damaged"));
        // No colour table anywhere.
        let mut bare = gif_file::header(1, 1, None, 0);
        bare.extend(gif_file::frame(&Frame {
            rect: (0, 0, 1, 1),
            local: None,
            control: None,
            interlaced: false,
            indices: &[0],
        }));
        bare.push(0x3B);
        assert_eq!(why(&bare), "frame 0 has no colour table");
        let mut no_frames = gif_file::header(1, 1, None, 0);
        no_frames.push(0x3B);
        assert_eq!(why(&no_frames), "it holds no frames");
        // An LZW code size of 12 and more is no GIF's.
        let mut code = small();
        let at = code.iter().position(|&b| b == 0x2C).unwrap() + 10;
        assert_eq!(code[at], 8);
        code[at] = 12;
        assert_eq!(
            why(&code),
            "frame 0 has an LZW code size of 12; GIF's are 1 to 11 (2 to 8 by the letter)"
        );
    }

    /// Random bytes after a GIF's signature, and random changes to a GIF:
    /// refused or read, never a panic; what is read decodes.
    #[test]
    fn random_bytes_never_panic() {
        let mut next = crate::testing::xorshift(0x9e37_79b9_7f4a_7c15);
        let whole = small();
        for round in 0..3000 {
            let mut bytes = if round % 2 == 0 {
                let mut b = b"GIF89a".to_vec();
                b.extend((0..next() % 64).map(|_| next() as u8));
                b
            } else {
                whole.clone()
            };
            for _ in 0..1 + next() % 4 {
                let at = (next() % bytes.len() as u64) as usize;
                bytes[at] = next() as u8;
            }
            if let Ok(mut gif) = open(&bytes, Mode::Read) {
                crate::demux::testing::decode_all(&mut gif);
            }
            let _ = open(&bytes, Mode::Join);
        }
    }

    #[test]
    fn times_are_checked_against_the_delays_they_round() {
        // 30 fps in 90 kHz ticks from frame 7 (23.33 cs): the writer rounds
        // the times themselves (23, 27, 30, 33 cs), so the delays are 4, 3,
        // 3 cs, not the 3, 4, 3 of the same steps from 0.
        let times = Times {
            timescale: 90_000,
            first: 7 * 3000,
            runs: vec![(3000, 3)],
        };
        assert!(rounds_to(&times, &[4, 3, 3]));
        assert!(!rounds_to(&times, &[3, 4, 3]));
        // As many frames as delays, and no step of 0.
        assert!(!rounds_to(&times, &[4, 3]));
        let zero = Times {
            runs: vec![(0, 1)],
            ..times.clone()
        };
        assert!(!rounds_to(&zero, &[0]));
        // Times past 2^64 ticks are not followed.
        let huge = Times {
            first: u64::MAX - 1,
            ..times
        };
        assert!(!rounds_to(&huge, &[4, 3, 3]));
    }
}
