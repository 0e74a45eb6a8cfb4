//! GIF frames to RGBA pictures of the whole screen: each frame's LZW codes
//! decoded (weezl), its rows put in order, and drawn with GIF's disposal
//! methods as browsers show them.
//!
//! Where ffmpeg (5.1) shows a GIF otherwise, this follows browsers: the
//! screen starts transparent, and disposal "restore to background" clears
//! to transparent, where ffmpeg fills the background colour of the global
//! table (unless the frame's transparent index is the background's).

use weezl::{decode::Decoder as Lzw, BitOrder, LzwStatus};

use super::{DecodeError, Decoder, Image};
use crate::demux::check_canvas;
use crate::encode::{Dispose, Packet, Rect};
use crate::stream::StreamInfo;

/// The rows of an interlaced frame, pass by pass: (first row, step).
const PASSES: [(u32, u32); 4] = [(0, 8), (4, 8), (2, 4), (1, 2)];

/// Decodes the frames of one GIF, in order, onto its screen.
pub(crate) struct GifDecoder {
    width: u32,
    height: u32,
    /// The screen as the last frame left it (before its disposal).
    canvas: Vec<u8>,
    /// The last frame's rectangle (within the screen) and what becomes of
    /// it before the next frame is drawn.
    pending: Option<(Rect, Dispose)>,
    /// That rectangle's pixels before the frame was drawn, row after row,
    /// when it is to be restored.
    saved: Vec<u8>,
}

impl GifDecoder {
    /// A decoder for `info`'s screen, refused when its frames would be
    /// larger than framesink reads.
    pub(crate) fn new(info: &StreamInfo) -> Result<Self, DecodeError> {
        check_canvas(info.width, info.height)?;
        Ok(GifDecoder {
            width: info.width,
            height: info.height,
            canvas: vec![0; info.width as usize * info.height as usize * 4],
            pending: None,
            saved: Vec::new(),
        })
    }

    /// Applies the last frame's disposal to the canvas.
    fn dispose(&mut self) {
        let Some((r, dispose)) = self.pending.take().filter(|p| p.1 != Dispose::Keep) else {
            return;
        };
        let stride = self.width as usize * 4;
        let span = r.width as usize * 4;
        for (k, y) in (r.top..r.top + r.height).enumerate() {
            let at = y as usize * stride + r.left as usize * 4;
            let row = &mut self.canvas[at..at + span];
            match dispose {
                Dispose::Keep => {}
                Dispose::Background => row.fill(0),
                Dispose::Previous => row.copy_from_slice(&self.saved[k * span..(k + 1) * span]),
            }
        }
    }
}

/// The part of `r` on a `width` x `height` screen.
fn clip(r: Rect, width: u32, height: u32) -> Rect {
    let left = r.left.min(width);
    let top = r.top.min(height);
    Rect {
        left,
        top,
        width: r.width.min(width - left),
        height: r.height.min(height - top),
    }
}

/// The row of the frame (from its top) that its `n`th row in the data is.
fn rows(height: u32, interlaced: bool) -> Box<dyn Iterator<Item = u32>> {
    if interlaced {
        Box::new(
            PASSES
                .into_iter()
                .flat_map(move |(first, step)| (first..height).step_by(step as usize)),
        )
    } else {
        Box::new(0..height)
    }
}

impl Decoder for GifDecoder {
    fn decode(&mut self, packet: &Packet, out: &mut Vec<Image>) -> Result<(), DecodeError> {
        let n = packet.index;
        let image = packet
            .image
            .as_ref()
            .ok_or_else(|| format!("GIF frame {n} came without its colour table"))?;
        let whole = Rect {
            left: 0,
            top: 0,
            width: self.width,
            height: self.height,
        };
        let rect = image.rect.unwrap_or(whole);
        if rect.width > u16::MAX as u32 || rect.height > u16::MAX as u32 {
            return Err(DecodeError(format!(
                "GIF frame {n} is {}x{} pixels; a GIF frame is at most 65535 a side",
                rect.width, rect.height
            )));
        }
        let code_size = match packet.data.first() {
            Some(&c @ 1..=11) => c,
            Some(&c) => {
                return Err(DecodeError(format!(
                    "GIF frame {n} has an LZW code size of {c}; GIF's are 1 to 11"
                )))
            }
            None => {
                return Err(DecodeError(format!(
                    "GIF frame {n} has no image data, not even its LZW code size"
                )))
            }
        };
        self.dispose();
        let shown = clip(rect, self.width, self.height);
        let stride = self.width as usize * 4;
        if image.dispose == Dispose::Previous {
            self.saved.clear();
            for y in shown.top..shown.top + shown.height {
                let at = y as usize * stride + shown.left as usize * 4;
                self.saved
                    .extend_from_slice(&self.canvas[at..at + shown.width as usize * 4]);
            }
        }
        self.pending = Some((shown, image.dispose));

        // Rows after the last one on the screen (in the data's order) need
        // not be decoded: a frame far larger than the screen costs no more.
        let on_screen = |y: u32| (rect.top as u64 + y as u64) < self.height as u64;
        let last = rows(rect.height, image.interlaced)
            .enumerate()
            .filter(|&(_, y)| on_screen(y))
            .map(|(k, _)| k + 1)
            .last()
            .unwrap_or(0);
        if shown.width == 0 || shown.height == 0 {
            out.push(self.picture());
            return Ok(());
        }
        let mut lzw = Lzw::new(BitOrder::Lsb, code_size);
        let mut input = &packet.data[1..];
        let mut row = vec![0u8; rect.width as usize];
        let mut ended = false;
        let palette = &image.palette;
        // A damaged frame shows the rows decoded before the damage, as
        // browsers and ffmpeg show it; a row cut short is not drawn.
        for y in rows(rect.height, image.interlaced).take(last) {
            let mut filled = 0;
            while filled < row.len() && !ended {
                let r = lzw.decode_bytes(input, &mut row[filled..]);
                input = &input[r.consumed_in..];
                filled += r.consumed_out;
                ended = match r.status {
                    Ok(LzwStatus::Ok) => r.consumed_in == 0 && r.consumed_out == 0,
                    Ok(LzwStatus::Done | LzwStatus::NoProgress) | Err(_) => true,
                };
            }
            if filled < row.len() {
                break;
            }
            if !on_screen(y) {
                continue;
            }
            let at = (rect.top + y) as usize * stride + shown.left as usize * 4;
            let pixels = &mut self.canvas[at..at + shown.width as usize * 4];
            // `shown` starts where the frame does (it has pixels on the screen).
            let indices = &row[..shown.width as usize];
            for (px, &i) in pixels.chunks_exact_mut(4).zip(indices) {
                // An index past the colour table has no colour: like the
                // transparent one, it leaves the pixel under it.
                if Some(i) == image.transparent {
                    continue;
                }
                if let Some(rgb) = palette.get(i as usize * 3..i as usize * 3 + 3) {
                    px[..3].copy_from_slice(rgb);
                    px[3] = 255;
                }
            }
        }
        out.push(self.picture());
        Ok(())
    }

    fn flush(&mut self, _out: &mut Vec<Image>) -> Result<(), DecodeError> {
        // Ready to start again at a keyframe: on the empty screen.
        self.canvas.fill(0);
        self.pending = None;
        Ok(())
    }
}

impl GifDecoder {
    fn picture(&self) -> Image {
        Image::Rgba {
            width: self.width,
            height: self.height,
            data: self.canvas.clone(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::io::Cursor;

    use crate::demux::gif::GifDemuxer;
    use crate::demux::testing::gif_file::{self, Frame};
    use crate::demux::testing::{assert_same, decode_all, decode_from, ffmpeg_rgba, scratch};
    use crate::demux::{Demuxer, Mode};
    use crate::testing::ffmpeg;
    use crate::{PixelLayout, VideoWriter, WriterConfig};

    const RGBK: [[u8; 3]; 4] = [[0, 0, 0], [255, 0, 0], [0, 255, 0], [0, 0, 255]];
    const LOCAL: [[u8; 3]; 6] = [
        [255, 255, 255],
        [255, 255, 0],
        [0, 255, 255],
        [255, 0, 255],
        [128, 128, 128],
        [255, 128, 0],
    ];

    fn read(bytes: &[u8]) -> GifDemuxer {
        GifDemuxer::open_for(Cursor::new(bytes), Mode::Read).expect("a GIF to read")
    }

    fn pattern(n: usize, step: usize, colours: usize) -> Vec<u8> {
        (0..n).map(|i| ((i * step) % colours) as u8).collect()
    }

    /// Partial frames with each disposal, a transparent index, a local
    /// table, an interlaced frame and a frame without control extension:
    /// what ffmpeg and browsers show alike.
    fn partial_frames() -> Vec<u8> {
        let f0: Vec<u8> = (0..48).map(|i| ((i % 8 + i / 8) % 4) as u8).collect();
        let mut gif = gif_file::header(8, 6, Some(&RGBK), 3);
        gif.extend(gif_file::looping(0));
        let frames = [
            Frame {
                rect: (0, 0, 8, 6),
                local: None,
                control: Some((1, 10, None)),
                interlaced: false,
                indices: &f0,
            },
            Frame {
                rect: (2, 1, 4, 3),
                local: None,
                control: Some((1, 20, Some(0))),
                interlaced: false,
                indices: &pattern(12, 1, 4),
            },
            Frame {
                rect: (1, 2, 3, 3),
                local: Some(&LOCAL),
                control: Some((3, 10, None)),
                interlaced: false,
                indices: &pattern(9, 5, 6),
            },
            // Cleared to transparent after: ffmpeg agrees only when the
            // transparent index is the background's.
            Frame {
                rect: (0, 0, 5, 5),
                local: None,
                control: Some((2, 10, Some(3))),
                interlaced: true,
                indices: &pattern(25, 7, 4),
            },
            Frame {
                rect: (3, 0, 5, 6),
                local: None,
                control: None,
                interlaced: false,
                indices: &pattern(30, 3, 4),
            },
            Frame {
                rect: (0, 3, 8, 3),
                local: None,
                control: Some((0, 1, Some(1))),
                interlaced: false,
                indices: &pattern(24, 1, 4),
            },
        ];
        for f in &frames {
            gif.extend(gif_file::frame(f));
        }
        gif.push(0x3B);
        gif
    }

    #[test]
    fn partial_frames_match_ffmpeg() {
        let dir = scratch("gif-partial");
        let path = dir.join("partial.gif");
        let bytes = partial_frames();
        std::fs::write(&path, &bytes).unwrap();
        let mut gif = read(&bytes);
        assert_eq!((gif.info().width, gif.info().height), (8, 6));
        assert_eq!(gif.info().loops, None);
        // Delays of 0 and 1 cs are shown as 10.
        let pts: Vec<u64> = gif.samples().iter().map(|s| s.pts).collect();
        assert_eq!(pts, [0, 10, 30, 40, 50, 60]);
        assert_eq!(gif.duration(), 70);
        let ours = decode_all(&mut gif);
        let theirs = ffmpeg_rgba(&path, 8, 6);
        assert_eq!(ours.len(), 6);
        assert_eq!(theirs.len(), 6);
        for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
            assert_same(a, b, 8, &format!("frame {i}"));
        }
        // Spot checks: frame 1's transparent pixels show frame 0; frame 3
        // draws on what frame 2 restored; frame 4 on what frame 3 cleared.
        let px = |f: usize, x: usize, y: usize| ours[f][(y * 8 + x) * 4..][..4].to_vec();
        assert_eq!(px(1, 2, 1), [0, 0, 255, 255]); // frame 0's index 3
        assert_eq!(px(4, 0, 0), [0, 0, 0, 0]);
        let _ = std::fs::remove_dir_all(dir);
    }

    /// Where browsers and ffmpeg (5.1) part: the screen before the first
    /// frame, disposal "restore to background", disposal 4. framesink
    /// follows browsers; ffmpeg's pictures are checked too, so that a
    /// change in Debian's ffmpeg is seen.
    #[test]
    fn background_and_disposal_four_follow_browsers() {
        let dir = scratch("gif-browsers");
        let path = dir.join("differ.gif");
        let mut bytes = gif_file::header(4, 2, Some(&RGBK), 2);
        let frames = [
            // On part of the screen, no transparency: the rest is empty
            // (ffmpeg: the background colour, green).
            Frame {
                rect: (0, 0, 2, 2),
                local: None,
                control: Some((2, 10, None)),
                interlaced: false,
                indices: &[1, 1, 1, 1],
            },
            // Frame 0 cleared to transparent (ffmpeg: to green).
            Frame {
                rect: (2, 0, 2, 2),
                local: None,
                control: Some((4, 10, None)),
                interlaced: false,
                indices: &[3, 3, 3, 3],
            },
            // Disposal 4 is "previous" to browsers: frame 1 is gone (ffmpeg
            // keeps it).
            Frame {
                rect: (0, 1, 1, 1),
                local: None,
                control: Some((1, 10, None)),
                interlaced: false,
                indices: &[0],
            },
        ];
        for f in &frames {
            bytes.extend(gif_file::frame(f));
        }
        bytes.push(0x3B);
        std::fs::write(&path, &bytes).unwrap();
        let ours = decode_all(&mut read(&bytes));
        let (t, r, g, b, k) = (
            [0u8, 0, 0, 0],
            [255u8, 0, 0, 255],
            [0u8, 255, 0, 255],
            [0u8, 0, 255, 255],
            [0u8, 0, 0, 255],
        );
        let rows = |p: [[u8; 4]; 8]| p.concat();
        assert_eq!(ours[0], rows([r, r, t, t, r, r, t, t]));
        assert_eq!(ours[1], rows([t, t, b, b, t, t, b, b]));
        assert_eq!(ours[2], rows([t, t, t, t, k, t, t, t]));
        let theirs = ffmpeg_rgba(&path, 4, 2);
        assert_eq!(theirs[0], rows([r, r, g, g, r, r, g, g]));
        assert_eq!(theirs[1], rows([g, g, b, b, g, g, b, b]));
        assert_eq!(theirs[2], rows([g, g, b, b, k, g, b, b]));
        let _ = std::fs::remove_dir_all(dir);
    }

    /// Keyframes are where decoding can start: decoding from each one
    /// gives the pictures that decoding from the start gives.
    #[test]
    fn decoding_from_a_keyframe_gives_the_same_pictures() {
        let whole: Vec<u8> = pattern(48, 3, 4);
        let part = pattern(6, 1, 4);
        let f = |rect, control, indices| Frame {
            rect,
            local: None,
            control: Some(control),
            interlaced: false,
            indices,
        };
        let frames = [
            f((0, 0, 8, 6), (1, 10, None), &whole[..]), // the first
            f((1, 1, 3, 2), (1, 10, None), &part[..]),
            f((0, 0, 8, 6), (2, 10, Some(0)), &whole[..]), // cleared after
            f((1, 1, 3, 2), (1, 10, None), &part[..]),     // on the empty screen
            f((0, 0, 8, 6), (3, 10, None), &whole[..]),    // restored after
            f((2, 2, 3, 2), (1, 10, None), &part[..]),
            f((0, 0, 8, 6), (1, 10, None), &whole[..]), // whole and opaque
            f((0, 0, 8, 6), (1, 10, Some(1)), &whole[..]), // transparency
        ];
        let mut bytes = gif_file::header(8, 6, Some(&RGBK), 0);
        for frame in &frames {
            bytes.extend(gif_file::frame(frame));
        }
        bytes.push(0x3B);
        let mut gif = read(&bytes);
        let keys: Vec<bool> = gif.samples().iter().map(|s| s.keyframe).collect();
        assert_eq!(keys, [true, false, false, true, false, false, true, false]);
        let all = decode_all(&mut gif);
        for start in [3, 6] {
            assert_eq!(decode_from(&mut gif, start), all[start..], "from {start}");
        }
    }

    /// ffmpeg's own GIFs: frames cropped to what changed, unchanged pixels
    /// transparent (`-gifflags +transdiff`), one global palette.
    #[test]
    fn ffmpeg_gifs_of_partial_frames_match_ffmpeg() {
        let dir = scratch("gif-ffmpeg");
        let path = dir.join("ffmpeg.gif");
        let p = path.to_str().unwrap();
        ffmpeg(&[
            "-f",
            "lavfi",
            "-i",
            "testsrc2=size=64x48:rate=10:duration=0.8",
            "-vf",
            "split[a][b];[a]palettegen=max_colors=32[p];[b][p]paletteuse",
            "-gifflags",
            "+transdiff+offsetting",
            p,
        ]);
        let mut gif = read(&std::fs::read(&path).unwrap());
        assert_eq!(gif.info().timescale, 100);
        let mut partial = 0;
        while let Some(p) = gif.next_packet().unwrap() {
            let image = p.image.unwrap();
            let rect = image.rect.unwrap();
            partial +=
                ((rect.width, rect.height) != (64, 48) && image.transparent.is_some()) as u32;
        }
        assert!(
            partial > 0,
            "ffmpeg made no partial frames with transparency"
        );
        gif.seek(0).unwrap();
        let pts: Vec<u64> = gif.samples().iter().map(|s| s.pts).collect();
        assert_eq!(pts, [0, 10, 20, 30, 40, 50, 60, 70]);
        let ours = decode_all(&mut gif);
        let theirs = ffmpeg_rgba(&path, 64, 48);
        assert_eq!((ours.len(), theirs.len()), (8, 8));
        for (i, (a, b)) in ours.iter().zip(&theirs).enumerate() {
            assert_same(a, b, 64, &format!("frame {i}"));
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    /// framesink's GIFs read back as written, in either mode: with alpha
    /// (each frame cleared after) and opaque (each kept).
    #[test]
    fn framesink_gifs_read_back_in_both_modes() {
        let dir = scratch("gif-own");
        let (w, h) = (24u32, 16u32);
        for alpha in [false, true] {
            let path = dir.join(format!("own-{alpha}.gif"));
            let config = WriterConfig::default().with_loops(3);
            let mut writer = VideoWriter::create(&path, config).unwrap();
            let mut frames = Vec::new();
            for t in 0..5u32 {
                let rgba: Vec<u8> = (0..w * h)
                    .flat_map(|i| {
                        let (x, y) = (i % w, i / w);
                        let a = if alpha && (x + t) % 5 == 0 { 0 } else { 255 };
                        // 32 colours a frame: kept exactly.
                        [(x % 8 * 30) as u8, (y % 4 * 60) as u8, (t * 50) as u8, a]
                    })
                    .collect();
                writer
                    .push_frame(crate::Frame::new(&rgba, w, h, PixelLayout::Rgba8))
                    .unwrap();
                frames.push(rgba);
            }
            writer.finish().unwrap();
            let bytes = std::fs::read(&path).unwrap();
            let mut joined = GifDemuxer::open(Cursor::new(&bytes)).unwrap();
            let mut gif = read(&bytes);
            assert_eq!(gif.info().loops, Some(3));
            assert_eq!(gif.info().timescale, joined.info().timescale);
            assert_eq!(gif.samples(), joined.samples());
            assert!(gif.samples().iter().all(|s| s.keyframe));
            // The same packets: LZW data out of its sub-blocks, palettes.
            while let Some(p) = gif.next_packet().unwrap() {
                let q = joined.next_packet().unwrap().unwrap();
                assert_eq!((&p.data, p.pts), (&q.data, q.pts));
                let (a, b) = (p.image.unwrap(), q.image.unwrap());
                assert_eq!((a.palette, a.transparent), (b.palette, b.transparent));
            }
            gif.seek(0).unwrap();
            joined.seek(0).unwrap();
            let ours = decode_all(&mut gif);
            assert_eq!(ours, decode_all(&mut joined));
            let theirs = ffmpeg_rgba(&path, w, h);
            for (i, ((a, b), given)) in ours.iter().zip(&theirs).zip(&frames).enumerate() {
                assert_same(a, b, w, &format!("frame {i}"));
                // Few colours: kept exactly; transparent pixels are empty.
                let given: Vec<u8> = given
                    .chunks(4)
                    .flat_map(|p| {
                        if p[3] == 0 {
                            [0; 4]
                        } else {
                            [p[0], p[1], p[2], p[3]]
                        }
                    })
                    .collect();
                assert_eq!(a, &given, "frame {i}");
            }
        }
        let _ = std::fs::remove_dir_all(dir);
    }

    /// A first frame larger than the screen enlarges it (as Chromium
    /// shows it); later frames are cut to it. No frame is decoded past
    /// the screen's last row.
    #[test]
    fn frames_past_the_screen_are_cut() {
        let mut bytes = gif_file::header(2, 2, Some(&RGBK), 0);
        let frames = [
            Frame {
                rect: (0, 0, 3, 2),
                local: None,
                control: None,
                interlaced: false,
                indices: &[1, 2, 3, 1, 2, 3],
            },
            Frame {
                rect: (2, 1, 4, 3),
                local: None,
                control: None,
                interlaced: true,
                indices: &pattern(12, 1, 4),
            },
            Frame {
                rect: (5, 5, 1, 1),
                local: None,
                control: None,
                interlaced: false,
                indices: &[1],
            },
        ];
        for f in &frames {
            bytes.extend(gif_file::frame(f));
        }
        bytes.push(0x3B);
        let mut gif = read(&bytes);
        assert_eq!((gif.info().width, gif.info().height), (3, 2));
        let ours = decode_all(&mut gif);
        let (r, g, b, k) = (
            [255u8, 0, 0, 255],
            [0u8, 255, 0, 255],
            [0u8, 0, 255, 255],
            [0u8, 0, 0, 255],
        );
        assert_eq!(ours[0], [r, g, b, r, g, b].concat());
        // Frame 1's first row (index 0, black) lands on row 1, column 2.
        assert_eq!(ours[1], [r, g, b, r, g, k].concat());
        assert_eq!(ours[2], ours[1]);
    }

    /// Damaged LZW data shows the rows before the damage; never a panic.
    #[test]
    fn damaged_image_data_is_drawn_up_to_the_damage() {
        let mut bytes = gif_file::header(4, 4, Some(&RGBK), 0);
        bytes.extend(gif_file::frame(&Frame {
            rect: (0, 0, 4, 4),
            local: None,
            control: None,
            interlaced: false,
            indices: &[1; 16],
        }));
        bytes.push(0x3B);
        let mut gif = read(&bytes);
        let mut packet = gif.next_packet().unwrap().unwrap();
        let mut decoder = super::GifDecoder::new(gif.info()).unwrap();
        use super::Decoder as _;
        let mut out = Vec::new();
        // Cut short: fewer rows, each whole row drawn.
        let whole = packet.data.clone();
        for cut in 1..whole.len() {
            packet.data = whole[..cut].to_vec();
            decoder.flush(&mut out).unwrap();
            decoder.decode(&packet, &mut out).unwrap();
        }
        // Noise, with each code size.
        let mut next = crate::testing::xorshift(0x2545_f491_4f6c_dd1d);
        for size in 0..=12u8 {
            for len in [0usize, 1, 2, 7, 64, 600] {
                let noise: Vec<u8> = (0..len).map(|_| next() as u8).collect();
                packet.data = [&[size][..], &noise].concat();
                let result = decoder.decode(&packet, &mut out);
                assert_eq!(result.is_ok(), (1..=11).contains(&size), "code size {size}");
            }
        }
    }

    /// Join copies a frame's LZW data as it is: an interlaced frame stays
    /// interlaced (its rows were scrambled before ImageInfo said so).
    #[test]
    fn joined_interlaced_frames_keep_their_rows() {
        let dir = scratch("gif-join-interlaced");
        let mut bytes = gif_file::header(5, 11, Some(&RGBK), 0);
        for step in [1, 3] {
            bytes.extend(gif_file::frame(&Frame {
                rect: (0, 0, 5, 11),
                local: Some(&LOCAL),
                control: Some((1, 10, None)),
                interlaced: true,
                indices: &pattern(55, step, 6),
            }));
        }
        bytes.push(0x3B);
        let out = dir.join("joined.gif");
        let file = std::fs::File::create(&out).unwrap();
        let parts = [("part".to_string(), Cursor::new(bytes.clone()))];
        crate::join(crate::mux::Output::Seekable(Box::new(file)), parts).unwrap();
        let joined = decode_all(&mut read(&std::fs::read(&out).unwrap()));
        assert_eq!(joined, decode_all(&mut read(&bytes)));
        let _ = std::fs::remove_dir_all(dir);
    }
}
