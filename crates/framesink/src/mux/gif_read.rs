//! Reads a GIF part for joining: each frame's compressed (LZW) data, palette,
//! transparency and delay, without decoding a pixel. framesink's GIFs hold
//! whole frames, each with its own palette; so must a part.

use std::io::{BufReader, Read, Seek};

use crate::config::Codec;
use crate::encode::{ImageInfo, Packet};
use crate::error::Result;
use crate::segment::{Joiner, StreamInfo};

/// Centiseconds: GIF delays are in hundredths of a second.
const TIMESCALE: u32 = 100;

/// Reads the whole part (checked first, so a bad part writes nothing), then
/// copies its frames into `joiner` as one segment.
pub(crate) fn append<R: Read + Seek>(joiner: &mut Joiner, reader: R, part: &str) -> Result<()> {
    let bad = |joiner: &Joiner, m: String| joiner.fail_part(m);
    let mut options = gif::DecodeOptions::new();
    options.skip_frame_decoding(true);
    options.set_memory_limit(gif::MemoryLimit::Bytes(
        std::num::NonZeroU64::new(1 << 30).expect("non-zero"),
    ));
    let mut decoder = options
        .read_info(BufReader::new(reader))
        .map_err(|e| bad(joiner, format!("it is not a GIF framesink reads: {e}")))?;
    let (width, height) = (decoder.width() as u32, decoder.height() as u32);
    let global = decoder.global_palette().map(<[u8]>::to_vec);
    let mut packets = Vec::new();
    let mut pts = 0u64;
    loop {
        let frame = match decoder.read_next_frame() {
            Ok(Some(f)) => f,
            Ok(None) => break,
            Err(e) => {
                return Err(bad(
                    joiner,
                    format!(
                        "frame {} cannot be read (truncated or damaged): {e}",
                        packets.len()
                    ),
                ))
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
            return Err(bad(
                joiner,
                format!(
                    "frame {i} covers {}x{} at ({}, {}) of the {width}x{height} screen; join takes GIFs of whole frames, as framesink makes them",
                    frame.width, frame.height, frame.left, frame.top
                ),
            ));
        }
        // The first byte is the LZW code size; a frame of pixels has codes
        // after it. One without (damaged) would be copied into a GIF that
        // the gif crate cannot read back.
        if frame.buffer.len() < 2 {
            return Err(bad(
                joiner,
                format!("frame {i} has no image data (damaged)"),
            ));
        }
        let Some(palette) = frame.palette.clone().or_else(|| global.clone()) else {
            return Err(bad(joiner, format!("frame {i} has no colour table")));
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
        // A delay of 0 is shown by browsers as 10 cs: count it so.
        pts += if frame.delay == 0 {
            10
        } else {
            frame.delay as u64
        };
    }
    if packets.is_empty() {
        return Err(bad(joiner, "it holds no frames".into()));
    }
    let mut info = StreamInfo::new(Codec::Gif, width, height, TIMESCALE, 0);
    info.loops = match decoder.repeat() {
        gif::Repeat::Infinite => None,
        gif::Repeat::Finite(n) => Some(n.saturating_add(1)),
    };
    joiner.begin(&info, part)?;
    for p in packets {
        joiner.packet(p)?;
    }
    joiner.end(pts)
}
