//! Reads a GIF (a part to join): each frame's compressed (LZW) data, palette,
//! transparency and delay, without decoding a pixel. framesink's GIFs hold
//! whole frames, each with its own palette; so must a part.

use std::io::{self, BufReader, Read, Seek, SeekFrom};

use super::{DemuxError, Demuxer, SampleEntry};
use crate::config::Codec;
use crate::encode::{ImageInfo, Packet};
use crate::gif_times::{gif_delay, Times, APPLICATION_LABEL, TIMES_APPLICATION};
use crate::stream::StreamInfo;

/// Centiseconds: GIF delays are in hundredths of a second.
const TIMESCALE: u32 = 100;

/// The most bytes of framesink's times extension that are read (a
/// constant frame rate takes a dozen).
const MAX_TIMES_BYTES: u64 = 1 << 24;

/// A GIF read whole (and checked, so that a bad one is refused before any
/// of its frames is used): its frames, handed out in order.
pub(crate) struct GifDemuxer {
    info: StreamInfo,
    /// The end of the last frame, in ticks.
    duration: u64,
    packets: Vec<Packet>,
    /// The next packet handed out.
    next: usize,
}

impl GifDemuxer {
    /// Reads the whole GIF. Its times are framesink's exact ones where it
    /// holds them and its delays are theirs, rounded (in their ticks); else
    /// its delays (in centiseconds).
    pub(crate) fn open<R: Read + Seek>(mut reader: R) -> Result<Self, DemuxError> {
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
        let mut packets = Vec::new();
        let mut delays = Vec::new();
        let mut pts = 0u64;
        loop {
            let frame = match decoder.read_next_frame() {
                Ok(Some(f)) => f,
                Ok(None) => break,
                Err(e) => {
                    return Err(format!(
                        "frame {} cannot be read (truncated or damaged): {e}",
                        packets.len()
                    )
                    .into())
                }
            };
            let i = packets.len();
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
            let Some(palette) = frame.palette.clone().or_else(|| global.clone()) else {
                return Err(format!("frame {i} has no colour table").into());
            };
            packets.push(Packet {
                data: frame.buffer.to_vec(),
                keyframe: true,
                index: i as u64,
                pts,
                image: Some(ImageInfo {
                    palette,
                    transparent: frame.transparent,
                }),
            });
            delays.push(frame.delay);
            // A delay of 0 is shown by browsers as 10 cs: count it so.
            pts += if frame.delay == 0 {
                10
            } else {
                frame.delay as u64
            };
        }
        if packets.is_empty() {
            return Err(DemuxError::Invalid("it holds no frames".into()));
        }
        let (mut timescale, mut duration) = (TIMESCALE, pts);
        if let Some(times) = exact.filter(|t| rounds_to(t, &delays)) {
            let mut at = 0u64;
            for (packet, step) in packets.iter_mut().zip(times.steps()) {
                packet.pts = at;
                at += step;
            }
            (timescale, duration) = (times.timescale, at);
        }
        let mut info = StreamInfo::new(Codec::Gif, width, height, timescale, 0);
        info.loops = match decoder.repeat() {
            gif::Repeat::Infinite => None,
            gif::Repeat::Finite(n) => Some(n.saturating_add(1)),
        };
        Ok(GifDemuxer {
            info,
            duration,
            packets,
            next: 0,
        })
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
        let packet = self.packets.get(self.next).cloned();
        self.next += packet.is_some() as usize;
        Ok(packet)
    }

    fn samples(&self) -> Vec<SampleEntry> {
        self.packets
            .iter()
            .map(|p| SampleEntry {
                pts: p.pts,
                keyframe: p.keyframe,
            })
            .collect()
    }

    fn seek(&mut self, index: usize) -> Result<(), DemuxError> {
        self.next = index.min(self.packets.len());
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
    use super::{rounds_to, Times};

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
