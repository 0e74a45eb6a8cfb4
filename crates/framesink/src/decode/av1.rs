//! AV1 with rav1d (dav1d in Rust): the sequence header read and checked,
//! temporal units decoded to packed 8-bit 4:2:0 pictures.
//!
//! rav1d 1.1 has no released Rust API, only dav1d's C one (`dav1d_*`), so
//! this file wraps it: [`Context`], [`Data`] and [`Picture`] own what dav1d
//! hands out and give it back on drop; every `unsafe` block is in them or
//! says why it holds. One frame in flight (`max_frame_delay` 1): pictures
//! come out in presentation order, one per temporal unit, as soon as it is
//! decoded; threads, if more than one, work inside a frame.
//!
//! Not frame threading (two frame contexts), although it takes another
//! path on the damaged frame that aborts rav1d 1.1.0 here (docs/bad-inputs.md
//! row 444): with it, the damaged-packet test below hung in 27 runs of 30,
//! `drain_picture` waiting for a frame context that never finished.

use std::ffi::c_int;
use std::mem::MaybeUninit;
use std::ptr::NonNull;

use rav1d::include::dav1d::common::Dav1dDataProps;
use rav1d::include::dav1d::data::Dav1dData;
use rav1d::include::dav1d::dav1d::{Dav1dContext, Dav1dLogger, Dav1dSettings};
use rav1d::include::dav1d::headers::{
    Dav1dSequenceHeader, DAV1D_PIXEL_LAYOUT_I400, DAV1D_PIXEL_LAYOUT_I420, DAV1D_PIXEL_LAYOUT_I422,
    DAV1D_PIXEL_LAYOUT_I444,
};
use rav1d::include::dav1d::picture::Dav1dPicture;
use rav1d::src::lib::{
    dav1d_close, dav1d_data_create, dav1d_data_props_unref, dav1d_data_unref,
    dav1d_default_settings, dav1d_flush, dav1d_get_decode_error_data_props, dav1d_get_picture,
    dav1d_open, dav1d_parse_sequence_header, dav1d_picture_unref, dav1d_send_data,
};
use rav1d::Dav1dResult;

use super::copy_plane;

use super::{ColorTags, DecodeError, Decoder, Description, Image};
use crate::encode::{CodecConfig, Packet};
use crate::stream::StreamInfo;

/// Where to read what framesink does not decode.
const USE_FFMPEG: &str =
    "read it through ffmpeg (imageio's pyav or ffmpeg plugin, or `ffmpeg -i FILE -f rawvideo -`)";

/// The largest picture dav1d is let allocate, in pixels: framesink's own
/// largest (16384 x 16384), far above AV1's levels (8192 x 4352 at 6.x).
/// A damaged header asking for more is an error, not an allocation.
const MAX_PICTURE_PIXELS: u32 = 16_384 * 16_384;

/// The sample formats framesink turns into [`Image`]s. A new one (16-bit
/// planes for 10- and 12-bit) is a variant here, an arm in [`format`] and
/// one in [`Picture::image`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Format {
    /// 8-bit 4:2:0.
    Yuv420p8,
}

/// The format of a stream whose sequence header has `layout` and `bits`
/// per sample, or why framesink does not decode it.
fn format(layout: u32, bits: u8) -> Result<Format, String> {
    let sampling = match layout {
        DAV1D_PIXEL_LAYOUT_I420 => "4:2:0",
        DAV1D_PIXEL_LAYOUT_I422 => "4:2:2",
        DAV1D_PIXEL_LAYOUT_I444 => "4:4:4",
        DAV1D_PIXEL_LAYOUT_I400 => "monochrome",
        _ => "of an unknown chroma layout",
    };
    match (layout, bits) {
        (DAV1D_PIXEL_LAYOUT_I420, 8) => Ok(Format::Yuv420p8),
        _ => Err(format!(
            "its AV1 is {bits}-bit {sampling}; framesink decodes 8-bit 4:2:0 AV1 only (not yet 10-bit or 12-bit, 4:2:2, 4:4:4 or monochrome): {USE_FFMPEG}"
        )),
    }
}

/// dav1d's error codes are negative `errno` values.
fn is_again(r: Dav1dResult) -> bool {
    r.0 == -libc::EAGAIN
}

/// What a dav1d error code means, in words.
fn error_name(r: Dav1dResult) -> String {
    let e = -r.0;
    let what = match e {
        libc::EINVAL => "the data is invalid",
        libc::ENOMEM => "out of memory",
        libc::ENOPROTOOPT => "it uses a feature dav1d does not support",
        libc::ERANGE => "a picture is larger than 16384x16384 pixels, or a value out of range",
        libc::ENOENT => "it holds no sequence header",
        _ => "dav1d failed",
    };
    format!("{what} (dav1d error {})", r.0)
}

/// Reads an `av1C`'s sequence header: the profile, bit depth, largest frame
/// and colour tags; refuses what framesink does not decode.
pub(crate) fn describe(config: &CodecConfig) -> Result<Description, DecodeError> {
    let CodecConfig::Av1 {
        sequence_header, ..
    } = config
    else {
        return Err(DecodeError("its AV1 has no av1C configuration".into()));
    };
    let seq = parse_sequence_header(sequence_header)?;
    let bits = 8u8.saturating_add(seq.hbd.saturating_mul(2));
    format(seq.layout, bits)?;
    let profile = match seq.profile {
        0 => "Main".to_string(),
        1 => "High".to_string(),
        2 => "Professional".to_string(),
        p => format!("profile {p}"),
    };
    // AV1 codes the range whether or not it describes the colours: a full
    // range stream without a description is full range with unspecified
    // tags (decoded as BT.601, as ffmpeg does); a limited one without says
    // nothing the container's colr could not.
    let described = seq.color_description_present != 0;
    let tag = |code: u32| {
        if described {
            code.try_into().unwrap_or(2)
        } else {
            2
        }
    };
    let colour = (described || seq.color_range != 0).then(|| ColorTags {
        // H.273 code points, as AV1 codes them; all fit a byte.
        primaries: tag(seq.pri),
        transfer: tag(seq.trc),
        matrix: tag(seq.mtrx),
        full_range: seq.color_range != 0,
    });
    Ok(Description {
        profile,
        bit_depth: bits,
        coded_width: u32::try_from(seq.max_width).unwrap_or(0),
        coded_height: u32::try_from(seq.max_height).unwrap_or(0),
        colour,
    })
}

/// dav1d's reading of the sequence header OBU among `obus`.
fn parse_sequence_header(obus: &[u8]) -> Result<Dav1dSequenceHeader, DecodeError> {
    if obus.is_empty() {
        return Err(DecodeError(
            "its av1C holds no sequence header, which framesink reads the stream's format from"
                .into(),
        ));
    }
    let mut seq = MaybeUninit::<Dav1dSequenceHeader>::uninit();
    // SAFETY: `seq` is valid to write a `Dav1dSequenceHeader` to, and `obus`
    // is a live slice of `obus.len()` bytes; dav1d reads only within it.
    let r = unsafe {
        dav1d_parse_sequence_header(
            Some(NonNull::from(&mut seq).cast()),
            Some(NonNull::from(obus).cast()),
            obus.len(),
        )
    };
    if r.0 != 0 {
        return Err(DecodeError(format!(
            "its AV1 sequence header (in av1C) cannot be read: {}",
            error_name(r)
        )));
    }
    // SAFETY: dav1d returned 0, so it wrote the whole header (plain data:
    // integers and arrays of them).
    Ok(unsafe { seq.assume_init() })
}

/// A dav1d decoder context, closed on drop.
struct Context(Dav1dContext);

// SAFETY: a context is an `Arc` of rav1d's `Rav1dContext`, whose state sits
// behind mutexes and which rav1d's own worker threads already share (it is
// `Send + Sync`); dav1d lets any thread call it, one call at a time. Ours
// is only reached through `&mut Av1Decoder`, so calls never overlap.
unsafe impl Send for Context {}

impl Context {
    /// Opens a context with `threads` threads (1: decoded on the caller's),
    /// one frame in flight, no log.
    fn open(threads: usize) -> Result<Self, DecodeError> {
        let mut s = MaybeUninit::<Dav1dSettings>::uninit();
        // SAFETY: `s` is valid to write `Dav1dSettings` to; dav1d fills in
        // every field.
        let mut s = unsafe {
            dav1d_default_settings(NonNull::from(&mut s).cast());
            s.assume_init()
        };
        s.n_threads = threads.clamp(1, 256) as c_int;
        // One frame at a time: pictures leave in order, as soon as decoded.
        s.max_frame_delay = 1;
        // One picture per temporal unit (the highest spatial layer), as
        // ffmpeg and players show.
        s.all_layers = 0;
        s.frame_size_limit = MAX_PICTURE_PIXELS;
        // SAFETY: no callback, so nothing is ever called with the cookie.
        s.logger = unsafe { Dav1dLogger::new(None, None) };
        let mut c: Option<Dav1dContext> = None;
        // SAFETY: both pointers are to live locals of the right types;
        // dav1d reads the settings and writes the context (or `None`).
        let r = unsafe { dav1d_open(Some(NonNull::from(&mut c)), Some(NonNull::from(&mut s))) };
        match c {
            Some(c) if r.0 == 0 => Ok(Context(c)),
            _ => Err(DecodeError(format!(
                "its AV1 decoder (rav1d) could not be started: {}",
                error_name(r)
            ))),
        }
    }

    /// Hands `data` to dav1d. On success dav1d has taken all of it (left
    /// empty); on EAGAIN none, and pictures must be taken first.
    fn send(&mut self, data: &mut Data) -> Dav1dResult {
        // SAFETY: the context is open (closed only in drop); `data.0` is a
        // live `Dav1dData` from `dav1d_data_create` (or emptied by dav1d).
        unsafe { dav1d_send_data(Some(self.0), Some(NonNull::from(&mut data.0))) }
    }

    /// The next picture, or the error (EAGAIN: none ready).
    fn picture(&mut self) -> Result<Picture, Dav1dResult> {
        let mut p = Picture(Dav1dPicture::default());
        // SAFETY: the context is open; `p.0` is an empty picture, which
        // dav1d overwrites (and leaves empty on error).
        let r = unsafe { dav1d_get_picture(Some(self.0), Some(NonNull::from(&mut p.0))) };
        if r.0 == 0 {
            Ok(p)
        } else {
            Err(r)
        }
    }

    /// The packet index and presentation time of the data that failed last.
    fn error_origin(&mut self) -> Option<(u64, i64)> {
        let mut m = Dav1dDataProps::default();
        // SAFETY: the context is open; `m` is valid to write props to.
        let r =
            unsafe { dav1d_get_decode_error_data_props(Some(self.0), Some(NonNull::from(&mut m))) };
        let origin = (r.0 == 0)
            .then(|| Some((u64::try_from(m.offset).ok()?, m.timestamp)))
            .flatten();
        // SAFETY: `m` was written by dav1d (or is the empty default); its
        // user data reference, if any, is released once.
        unsafe { dav1d_data_props_unref(Some(NonNull::from(&mut m))) };
        origin
    }

    /// Drops every frame and reference: the next picture starts at a
    /// keyframe (after a sequence header).
    fn reset(&mut self) {
        // SAFETY: the context is open.
        unsafe { dav1d_flush(self.0) }
    }
}

impl Drop for Context {
    fn drop(&mut self) {
        let mut c = Some(self.0);
        // SAFETY: the context came from `dav1d_open` and is closed once,
        // here; dav1d sets `c` to `None`, and `self.0` is not used again.
        unsafe { dav1d_close(Some(NonNull::from(&mut c))) }
    }
}

/// Bytes for dav1d, in its own reference-counted buffer.
struct Data(Dav1dData);

impl Data {
    /// A copy of `bytes` (not empty), tagged with its packet `index` and
    /// presentation time `pts`, which come back on its picture.
    fn new(bytes: &[u8], index: u64, pts: i64) -> Option<Data> {
        if bytes.is_empty() {
            return None;
        }
        let mut data = Data(Dav1dData::default());
        // SAFETY: `data.0` is valid to write to; dav1d allocates `len`
        // bytes and returns them (or null).
        let buf = unsafe { dav1d_data_create(Some(NonNull::from(&mut data.0)), bytes.len()) };
        if buf.is_null() {
            return None;
        }
        // SAFETY: `buf` is dav1d's fresh allocation of `bytes.len()` bytes,
        // which nothing else refers to yet and which cannot overlap `bytes`.
        unsafe { std::ptr::copy_nonoverlapping(bytes.as_ptr(), buf, bytes.len()) };
        data.0.m.timestamp = pts;
        data.0.m.offset = index.try_into().unwrap_or(-1);
        Some(data)
    }

    /// Whether dav1d has taken it all.
    fn is_empty(&self) -> bool {
        self.0.sz == 0
    }
}

impl Drop for Data {
    fn drop(&mut self) {
        // SAFETY: `self.0` is from `dav1d_data_create` or emptied by dav1d;
        // unref releases what is left once and empties it.
        unsafe { dav1d_data_unref(Some(NonNull::from(&mut self.0))) }
    }
}

/// A decoded picture, still dav1d's; released on drop.
struct Picture(Dav1dPicture);

impl Picture {
    /// The packet index and presentation time its data was sent with.
    fn origin(&self) -> (u64, i64) {
        (
            u64::try_from(self.0.m.offset).unwrap_or(u64::MAX),
            self.0.m.timestamp,
        )
    }

    /// The picture copied out, rows packed; an error if it is not in a
    /// format framesink outputs (the stream changed mid-way).
    fn image(&self) -> Result<Image, String> {
        let p = &self.0.p;
        let bits = u8::try_from(p.bpc).unwrap_or(0);
        let (w, h) = (
            usize::try_from(p.w).unwrap_or(0),
            usize::try_from(p.h).unwrap_or(0),
        );
        let Format::Yuv420p8 = format(p.layout, bits)?;
        let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
        let planes = [
            (self.0.data[0], self.0.stride[0], w, h),
            (self.0.data[1], self.0.stride[1], cw, ch),
            (self.0.data[2], self.0.stride[1], cw, ch),
        ];
        let [y, u, v] = planes.map(|(base, stride, row, rows)| {
            let (Some(base), true) = (base, stride.unsigned_abs() >= row && w > 0 && h > 0) else {
                return None;
            };
            // SAFETY: dav1d's picture holds `rows` rows of at least `row`
            // samples (one byte each at 8 bits), `stride` bytes apart from
            // `base`, alive while `self` holds its reference.
            Some(unsafe { copy_plane(base.as_ptr().cast(), stride, row, rows) })
        });
        let (Some(y), Some(u), Some(v)) = (y, u, v) else {
            return Err(format!("its AV1 picture of {w}x{h} has no pixels"));
        };
        Ok(Image::Yuv420 {
            width: w as u32,
            height: h as u32,
            y,
            u,
            v,
        })
    }
}

impl Drop for Picture {
    fn drop(&mut self) {
        // SAFETY: `self.0` is from `dav1d_get_picture` or empty; unref
        // releases its references once and empties it.
        unsafe { dav1d_picture_unref(Some(NonNull::from(&mut self.0))) }
    }
}

/// Decodes AV1 temporal units as MP4 stores them, one picture each.
pub(crate) struct Av1Decoder {
    context: Context,
    /// The av1C's sequence header OBUs, sent first and after every reset
    /// (keyframes need not repeat it).
    config: Vec<u8>,
    /// Whether `config` has been sent since the last reset.
    primed: bool,
    /// The packet index and presentation time of the last picture given:
    /// the next must come later.
    last: Option<(u64, i64)>,
    /// The index of the packet sent last, blamed for an error dav1d does
    /// not attribute.
    sent: u64,
}

impl Av1Decoder {
    /// A decoder for `info`'s stream, on the caller's thread.
    pub(crate) fn new(info: &StreamInfo) -> Result<Self, DecodeError> {
        Self::with_threads(info, 1)
    }

    /// A decoder for `info`'s stream using `threads` threads inside each
    /// frame (1: the caller's own; the Reader runs one decoder per GOP on
    /// each core instead).
    pub(crate) fn with_threads(info: &StreamInfo, threads: usize) -> Result<Self, DecodeError> {
        let config = match &info.config {
            Some(
                config @ CodecConfig::Av1 {
                    sequence_header, ..
                },
            ) => {
                describe(config)?;
                sequence_header.clone()
            }
            // No av1C: keyframes must carry their sequence header.
            _ => Vec::new(),
        };
        Ok(Av1Decoder {
            context: Context::open(threads)?,
            primed: config.is_empty(),
            config,
            last: None,
            sent: 0,
        })
    }

    /// Sends `data` (of packet `index`) whole, moving the pictures it
    /// makes to `out`.
    fn send(
        &mut self,
        mut data: Data,
        index: u64,
        out: &mut Vec<Image>,
    ) -> Result<(), DecodeError> {
        self.sent = index;
        // EAGAIN: dav1d still holds data sent before, which taking pictures
        // works through. Turns that neither hand over data nor give a
        // picture would be a dav1d bug, not worth a hang.
        let mut idle = 0;
        loop {
            let r = self.context.send(&mut data);
            if r.0 != 0 && !is_again(r) {
                return Err(self.error(r));
            }
            let taken = self.take_pictures(out)?;
            if data.is_empty() {
                return Ok(());
            }
            idle = if taken == 0 { idle + 1 } else { 0 };
            if idle > 3 {
                return Err(DecodeError(format!(
                    "its AV1 packet {index} stalled the decoder (rav1d neither took it nor gave a picture)"
                )));
            }
        }
    }

    /// Moves every picture ready to `out`; how many there were.
    fn take_pictures(&mut self, out: &mut Vec<Image>) -> Result<usize, DecodeError> {
        let mut n = 0;
        loop {
            let picture = match self.context.picture() {
                Ok(p) => p,
                Err(r) if is_again(r) => return Ok(n),
                Err(r) => return Err(self.error(r)),
            };
            let (index, pts) = picture.origin();
            if let Some((last_index, last_pts)) = self.last {
                if pts <= last_pts {
                    return Err(DecodeError(format!(
                        "its AV1 packet {index} (time {pts}) gave a picture after packet {last_index}'s (time {last_pts}): out of presentation order"
                    )));
                }
            }
            let image = picture
                .image()
                .map_err(|e| DecodeError(format!("{e} (from AV1 packet {index})")))?;
            self.last = Some((index, pts));
            out.push(image);
            n += 1;
        }
    }

    /// The error `r` of dav1d as a sentence naming the packet it came from
    /// (dav1d's record of it, else the packet sent last).
    fn error(&mut self, r: Dav1dResult) -> DecodeError {
        let index = self.context.error_origin().map_or(self.sent, |(i, _)| i);
        DecodeError(format!(
            "its AV1 packet {index} cannot be decoded: {}",
            error_name(r)
        ))
    }
}

impl Decoder for Av1Decoder {
    fn decode(&mut self, packet: &Packet, out: &mut Vec<Image>) -> Result<(), DecodeError> {
        let (index, pts) = (packet.index, i64::try_from(packet.pts).unwrap_or(i64::MAX));
        if !self.primed {
            // The index and time of the packet it goes before: an error in
            // it names that packet, and it makes no picture.
            let config = Data::new(&self.config, index, pts).ok_or_else(|| {
                DecodeError("its AV1 sequence header cannot be copied for the decoder".into())
            })?;
            self.send(config, index, out)?;
            self.primed = true;
        }
        let data = Data::new(&packet.data, index, pts)
            .ok_or_else(|| DecodeError(format!("its AV1 packet {index} is empty")))?;
        self.send(data, index, out)
    }

    fn flush(&mut self, out: &mut Vec<Image>) -> Result<(), DecodeError> {
        // With nothing more sent, dav1d gives the pictures it still holds.
        let drained = self.take_pictures(out).map(|_| ());
        self.context.reset();
        self.primed = self.config.is_empty();
        self.last = None;
        drained
    }
}

#[cfg(test)]
mod tests {
    use std::fs::File;
    use std::path::Path;

    use super::*;
    use crate::demux::mp4::{Mode, Mp4Demuxer};
    use crate::demux::Demuxer;
    use crate::testing::{ffmpeg, ffmpeg_frames, yuv420p, yuv420p_bytes, TempDir};
    use crate::{Codec, Frame, PixelLayout, VideoWriter, WriterConfig};

    /// `frames` frames of moving gradients and a square, AV1 by framesink
    /// (rav1e at speed 10), a keyframe every `keyint`.
    fn write_framesink_av1(path: &Path, width: u32, height: u32, frames: u32, keyint: u32) {
        let config = WriterConfig::default()
            .with_codec(Codec::Av1)
            .with_speed(10)
            .with_keyframe_interval(keyint)
            .with_threads(1);
        let mut writer = VideoWriter::create(path, config).unwrap();
        let (w, h) = (width as usize, height as usize);
        for t in 0..frames as usize {
            let mut rgb = vec![0u8; w * h * 3];
            for y in 0..h {
                for x in 0..w {
                    let i = (y * w + x) * 3;
                    let square = (x + 2 * t) % w < w / 3 && (y + t) % h < h / 2;
                    rgb[i] = (x * 255 / w) as u8;
                    rgb[i + 1] = if square { 230 } else { (y * 255 / h) as u8 };
                    rgb[i + 2] = ((x + y + 7 * t) % 256) as u8;
                }
            }
            writer
                .push_frame(Frame::new(&rgb, width, height, PixelLayout::Rgb8))
                .unwrap();
        }
        writer.finish().unwrap();
    }

    /// libaom's AV1 of ffmpeg's testsrc2, `frames` frames of `size`, in
    /// `pix_fmt`.
    fn write_libaom_av1(path: &Path, size: &str, frames: u32, pix_fmt: &str) {
        let source = format!("testsrc2=size={size}:rate=10");
        let frames = frames.to_string();
        ffmpeg(&[
            "-f",
            "lavfi",
            "-i",
            &source,
            "-frames:v",
            &frames,
            "-c:v",
            "libaom-av1",
            "-cpu-used",
            "8",
            "-g",
            "5",
            "-pix_fmt",
            pix_fmt,
            path.to_str().unwrap(),
        ]);
    }

    fn open(path: &Path) -> Mp4Demuxer<File> {
        let file = File::open(path).unwrap();
        let len = file.metadata().unwrap().len();
        match Mp4Demuxer::open_for(file, len, Mode::Read) {
            Ok(d) => d,
            Err(e) => panic!("the MP4 demuxer refuses {}: {e:?}", path.display()),
        }
    }

    fn packets(path: &Path) -> (StreamInfo, Vec<Packet>) {
        let mut demuxer = open(path);
        let mut packets = Vec::new();
        while let Some(p) = demuxer.next_packet().unwrap() {
            packets.push(p);
        }
        (demuxer.info().clone(), packets)
    }

    /// Every packet through `decoder`, then a flush.
    fn decode_all(decoder: &mut Av1Decoder, packets: &[Packet]) -> Vec<Image> {
        let mut images = Vec::new();
        for p in packets {
            decoder.decode(p, &mut images).unwrap();
        }
        decoder.flush(&mut images).unwrap();
        images
    }

    /// Decodes `path` whole and checks it byte for byte against libaom.
    fn assert_exact(path: &Path, width: u32, height: u32, frames: usize) {
        let (info, packets) = packets(path);
        assert_eq!(packets.len(), frames);
        let description = super::super::describe(&info).unwrap();
        assert_eq!(
            (description.profile.as_str(), description.bit_depth),
            ("Main", 8)
        );
        let mut decoder = Av1Decoder::new(&info).unwrap();
        let images = decode_all(&mut decoder, &packets);
        assert_eq!(images.len(), frames, "one picture per packet");
        for image in &images {
            assert_eq!(image.size(), (width, height));
        }
        // Decoded by libaom through ffmpeg: an AV1 decoder apart from dav1d.
        let size = yuv420p_bytes(width, height);
        let expected = ffmpeg_frames(&["-c:v", "libaom-av1"], path, "yuv420p", size).concat();
        let got: Vec<u8> = images.iter().flat_map(yuv420p).collect();
        assert_eq!(got.len(), expected.len());
        if let Some(i) = got.iter().zip(&expected).position(|(a, b)| a != b) {
            let frame_bytes = got.len() / frames;
            panic!(
                "{}: byte {i} (frame {}) differs from libaom's",
                path.display(),
                i / frame_bytes
            );
        }
    }

    #[test]
    fn framesink_av1_decodes_exactly_as_libaom() {
        let dir = TempDir::new("av1-own");
        // 33 wide is coded (and shown) 40 wide: rav1e's widths are padded
        // to a multiple of 8; 17 rows stay odd.
        for (w, h, shown) in [(64, 48, (64, 48)), (33, 17, (40, 17))] {
            let path = dir.join(&format!("{w}x{h}.mp4"));
            write_framesink_av1(&path, w, h, 20, 8);
            assert_exact(&path, shown.0, shown.1, 20);
        }
    }

    #[test]
    fn libaom_av1_decodes_exactly_as_libaom() {
        let dir = TempDir::new("av1-libaom");
        let path = dir.join("testsrc2.mp4");
        write_libaom_av1(&path, "96x64", 12, "yuv420p");
        assert_exact(&path, 96, 64, 12);
    }

    #[test]
    fn describe_reads_the_sequence_header() {
        let dir = TempDir::new("av1-describe");
        let path = dir.join("own.mp4");
        write_framesink_av1(&path, 64, 48, 2, 8);
        let (info, _) = packets(&path);
        let d = describe(info.config.as_ref().unwrap()).unwrap();
        assert_eq!(
            d,
            Description {
                profile: "Main".into(),
                bit_depth: 8,
                coded_width: 64,
                coded_height: 48,
                // rav1e's tags for BT.709 limited range.
                colour: Some(ColorTags {
                    primaries: 1,
                    transfer: 1,
                    matrix: 1,
                    full_range: false
                }),
            }
        );
    }

    #[test]
    fn describe_refuses_what_framesink_does_not_output() {
        let dir = TempDir::new("av1-refuse");
        for (pix_fmt, said) in [
            ("yuv420p10le", "its AV1 is 10-bit 4:2:0;"),
            ("yuv444p", "its AV1 is 8-bit 4:4:4;"),
            ("yuv422p", "its AV1 is 8-bit 4:2:2;"),
            ("gray", "its AV1 is 8-bit monochrome;"),
        ] {
            let path = dir.join(&format!("{pix_fmt}.mp4"));
            write_libaom_av1(&path, "64x48", 1, pix_fmt);
            let (info, _) = packets(&path);
            let e = super::super::describe(&info).unwrap_err().0;
            assert!(e.starts_with(said), "{pix_fmt}: {e}");
            assert!(e.contains("framesink decodes 8-bit 4:2:0 AV1 only"), "{e}");
            assert!(e.contains("ffmpeg -i FILE"), "{e}");
            let Err(e) = Av1Decoder::new(&info) else {
                panic!("{pix_fmt}: a decoder was made")
            };
            assert!(e.0.starts_with(said), "{e:?}");
        }
    }

    #[test]
    fn describe_survives_damaged_configs() {
        let dir = TempDir::new("av1-configs");
        let path = dir.join("own.mp4");
        write_framesink_av1(&path, 64, 48, 1, 8);
        let (info, _) = packets(&path);
        let Some(CodecConfig::Av1 {
            sequence_header, ..
        }) = info.config
        else {
            panic!("no av1C")
        };
        let config = |obus: Vec<u8>| CodecConfig::Av1 {
            level: 0,
            sequence_header: obus,
        };
        // Every truncation, and every bit flipped.
        for n in 0..sequence_header.len() {
            let _ = describe(&config(sequence_header[..n].to_vec()));
        }
        for bit in 0..sequence_header.len() * 8 {
            let mut obus = sequence_header.clone();
            obus[bit / 8] ^= 1 << (bit % 8);
            let _ = describe(&config(obus));
        }
        let mut next = crate::testing::xorshift(0x2545_f491_4f6c_dd1d);
        for len in [1, 2, 3, 5, 8, 13, 40, 300] {
            let garbage: Vec<u8> = (0..len).map(|_| next() as u8).collect();
            let _ = describe(&config(garbage));
        }
        let e = describe(&config(Vec::new())).unwrap_err();
        assert!(e.0.contains("holds no sequence header"), "{e:?}");
        let e = describe(&config(vec![0x12, 0x00])).unwrap_err(); // a temporal delimiter
        assert!(e.0.contains("cannot be read"), "{e:?}");
    }

    #[test]
    fn damaged_packets_give_errors_and_a_flush_recovers() {
        let dir = TempDir::new("av1-damaged");
        let path = dir.join("own.mp4");
        write_framesink_av1(&path, 64, 48, 12, 6);
        let (info, packets) = packets(&path);
        let clean = decode_all(&mut Av1Decoder::new(&info).unwrap(), &packets);
        let mut decoder = Av1Decoder::new(&info).unwrap();
        let mut next = crate::testing::xorshift(0x9e37_79b9_7f4a_7c15);
        let mut errors = 0;
        for (k, p) in packets.iter().enumerate() {
            for damage in 0..4 {
                let mut bad = p.clone();
                match damage {
                    0 => bad.data.truncate(bad.data.len() / 2),
                    1 => bad.data.truncate(1),
                    2 => {
                        for b in bad.data.iter_mut().skip(k % 3) {
                            *b ^= next() as u8;
                        }
                    }
                    _ => {
                        let i = (k * 7) % bad.data.len();
                        bad.data[i] ^= 0x40;
                    }
                }
                let mut out = Vec::new();
                match decoder.decode(&bad, &mut out) {
                    Ok(()) => {}
                    Err(e) => {
                        errors += 1;
                        assert!(
                            e.0.starts_with(&format!("its AV1 packet {}", p.index)),
                            "{e:?}"
                        );
                    }
                }
                let _ = decoder.flush(&mut out);
            }
        }
        assert!(errors > 0, "no damage was noticed");
        // An empty packet is refused by name.
        let mut empty = packets[0].clone();
        empty.data.clear();
        let e = decoder.decode(&empty, &mut Vec::new()).unwrap_err();
        assert_eq!(e.0, "its AV1 packet 0 is empty");
        // After a flush, the same decoder decodes the clean stream again.
        decoder.flush(&mut Vec::new()).unwrap();
        assert_eq!(decode_all(&mut decoder, &packets), clean);
    }

    #[test]
    fn decoding_restarts_at_a_later_keyframe_after_a_flush() {
        let dir = TempDir::new("av1-restart");
        let path = dir.join("own.mp4");
        write_framesink_av1(&path, 64, 48, 14, 5);
        let (info, packets) = packets(&path);
        let whole = decode_all(&mut Av1Decoder::new(&info).unwrap(), &packets);
        let keyframes: Vec<usize> = (0..packets.len())
            .filter(|&i| packets[i].keyframe)
            .collect();
        assert!(keyframes.len() >= 3, "keyframes at {keyframes:?}");
        // One decoder, GOP after GOP in reverse, a flush between: as a
        // reader seeking back would.
        let mut decoder = Av1Decoder::new(&info).unwrap();
        for (n, &start) in keyframes.iter().enumerate().rev() {
            let end = keyframes.get(n + 1).copied().unwrap_or(packets.len());
            let images = decode_all(&mut decoder, &packets[start..end]);
            assert_eq!(images, whole[start..end], "GOP at {start}");
            assert_eq!(decoder.last, None, "the flush forgets the last picture");
        }
    }

    #[test]
    fn threads_give_the_same_pictures_in_order() {
        let dir = TempDir::new("av1-threads");
        let path = dir.join("own.mp4");
        write_framesink_av1(&path, 64, 48, 10, 4);
        let (info, packets) = packets(&path);
        let one = decode_all(&mut Av1Decoder::new(&info).unwrap(), &packets);
        let mut decoder = Av1Decoder::with_threads(&info, 3).unwrap();
        let mut images = Vec::new();
        for p in &packets {
            decoder.decode(p, &mut images).unwrap();
            // One frame in flight: each packet's picture is out at once.
            assert_eq!(images.len() as u64, p.index + 1);
            assert_eq!(decoder.last.map(|(i, _)| i), Some(p.index));
        }
        decoder.flush(&mut images).unwrap();
        assert_eq!(images, one);
    }

    #[test]
    fn the_decoder_can_move_to_another_thread() {
        fn is_send<T: Send>(_: &T) {}
        let dir = TempDir::new("av1-send");
        let path = dir.join("own.mp4");
        write_framesink_av1(&path, 64, 48, 3, 8);
        let (info, packets) = packets(&path);
        let decoder = Av1Decoder::new(&info).unwrap();
        is_send(&decoder);
        let images = std::thread::spawn(move || {
            let mut decoder = decoder;
            decode_all(&mut decoder, &packets)
        })
        .join()
        .unwrap();
        assert_eq!(images.len(), 3);
    }
}
