//! What the GIF and APNG tests share: scratch directories, ffmpeg's RGBA
//! decode (ffmpeg itself is run by `crate::testing`), every frame of a file
//! as framesink decodes it, and a comparison of pictures.

use std::path::{Path, PathBuf};

use super::Demuxer;
use crate::color::u16_to_u8;
use crate::decode::{self, Image};
use crate::testing::ffmpeg_frames;

/// A fresh, empty directory for one test's files.
pub(crate) fn scratch(test: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("framesink-unit-{}-{test}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).expect("scratch directory");
    dir
}

/// ffmpeg's decode of `path` as 8-bit RGBA pictures of `width` x `height`,
/// one for each frame in the file (none repeated or dropped).
pub(crate) fn ffmpeg_rgba(path: &Path, width: u32, height: u32) -> Vec<Vec<u8>> {
    ffmpeg_frames(&[], path, "rgba", (width * height * 4) as usize)
}

/// Every frame of `demuxer`'s stream, decoded by framesink, as 8-bit RGBA.
pub(crate) fn decode_all(demuxer: &mut dyn Demuxer) -> Vec<Vec<u8>> {
    let mut decoder = decode::decoder(demuxer.info()).expect("a decoder");
    let mut images = Vec::new();
    while let Some(packet) = demuxer.next_packet().expect("a packet") {
        decoder.decode(&packet, &mut images).expect("decoded");
    }
    decoder.flush(&mut images).expect("flushed");
    images
        .into_iter()
        .map(|image| match image {
            Image::Rgba { data, .. } => data,
            // As the reader gives them in 8-bit RGBA.
            Image::Rgba16 { data, .. } => data.iter().map(|&v| u16_to_u8(v)).collect(),
            other => panic!("not RGBA: {other:?}"),
        })
        .collect()
}

/// Asserts that two RGBA pictures are the same, pixel by pixel; a pixel
/// transparent in both is the same whatever its colour (ffmpeg gives some
/// transparent pixels a colour).
#[track_caller]
pub(crate) fn assert_same(ours: &[u8], theirs: &[u8], width: u32, what: &str) {
    assert_eq!(ours.len(), theirs.len(), "{what}: sizes differ");
    for (i, (a, b)) in ours.chunks(4).zip(theirs.chunks(4)).enumerate() {
        let same = a == b || (a[3] == 0 && b[3] == 0);
        let (x, y) = (i as u32 % width, i as u32 / width);
        assert!(same, "{what}: pixel ({x}, {y}) is {a:?}, not {b:?}");
    }
}

/// Decodes from frame `start` (a keyframe) to the end, after a seek and a
/// flush, as a reader that seeks does.
pub(crate) fn decode_from(demuxer: &mut dyn Demuxer, start: usize) -> Vec<Vec<u8>> {
    demuxer.seek(start).expect("seek");
    decode_all(demuxer)
}

/// Hand-made GIFs: every block written here, so that a test says exactly
/// what the file holds (partial frames, each disposal, interlace, palettes).
#[cfg(feature = "gif")]
pub(crate) mod gif_file {
    /// A frame to write. `indices` are in display order, row after row.
    pub(crate) struct Frame<'a> {
        /// left, top, width, height
        pub(crate) rect: (u16, u16, u16, u16),
        pub(crate) local: Option<&'a [[u8; 3]]>,
        /// Graphic Control Extension: (disposal method, delay, transparent).
        pub(crate) control: Option<(u8, u16, Option<u8>)>,
        pub(crate) interlaced: bool,
        pub(crate) indices: &'a [u8],
    }

    /// A colour table's packed bits (log2 of its entries, less 1) and its
    /// bytes, padded to a power of two of at least 2 entries.
    fn table(colours: &[[u8; 3]]) -> (u8, Vec<u8>) {
        let mut bits = 1u8;
        while (1usize << bits) < colours.len() {
            bits += 1;
        }
        let mut bytes: Vec<u8> = colours.iter().flatten().copied().collect();
        bytes.resize(3 << bits, 0);
        (bits - 1, bytes)
    }

    /// Data as sub-blocks of up to 255 bytes, and their terminator.
    pub(crate) fn sub_blocks(data: &[u8]) -> Vec<u8> {
        let mut out = Vec::new();
        for block in data.chunks(255) {
            out.push(block.len() as u8);
            out.extend_from_slice(block);
        }
        out.push(0);
        out
    }

    /// The signature, the logical screen descriptor and the global table.
    pub(crate) fn header(width: u16, height: u16, global: Option<&[[u8; 3]]>, bg: u8) -> Vec<u8> {
        let mut out = b"GIF89a".to_vec();
        out.extend_from_slice(&width.to_le_bytes());
        out.extend_from_slice(&height.to_le_bytes());
        match global {
            Some(colours) => {
                let (bits, bytes) = table(colours);
                out.extend_from_slice(&[0x80 | 0x70 | bits, bg, 0]);
                out.extend_from_slice(&bytes);
            }
            None => out.extend_from_slice(&[0, bg, 0]),
        }
        out
    }

    /// The NETSCAPE2.0 extension: repeat `count` times (0: forever).
    pub(crate) fn looping(count: u16) -> Vec<u8> {
        let mut out = vec![0x21, 0xFF, 11];
        out.extend_from_slice(b"NETSCAPE2.0");
        out.extend_from_slice(&[3, 1]);
        out.extend_from_slice(&count.to_le_bytes());
        out.push(0);
        out
    }

    /// A frame's blocks: its control extension, descriptor, table, data.
    pub(crate) fn frame(f: &Frame) -> Vec<u8> {
        let mut out = Vec::new();
        if let Some((disposal, delay, transparent)) = f.control {
            out.extend_from_slice(&[0x21, 0xF9, 4, (disposal << 2) | transparent.is_some() as u8]);
            out.extend_from_slice(&delay.to_le_bytes());
            out.extend_from_slice(&[transparent.unwrap_or(0), 0]);
        }
        let (left, top, width, height) = f.rect;
        out.push(0x2C);
        for v in [left, top, width, height] {
            out.extend_from_slice(&v.to_le_bytes());
        }
        let mut packed = if f.interlaced { 0x40 } else { 0 };
        let local = f.local.map(table);
        if let Some((bits, _)) = &local {
            packed |= 0x80 | bits;
        }
        out.push(packed);
        if let Some((_, bytes)) = &local {
            out.extend_from_slice(bytes);
        }
        let rows: Vec<&[u8]> = f.indices.chunks(width.max(1) as usize).collect();
        let ordered: Vec<u8> = if f.interlaced {
            [(0, 8), (4, 8), (2, 4), (1, 2)]
                .into_iter()
                .flat_map(|(first, step)| (first..rows.len()).step_by(step))
                .flat_map(|y| rows[y].iter().copied())
                .collect()
        } else {
            f.indices.to_vec()
        };
        let code_size = 8; // any index fits
        out.push(code_size);
        let lzw = weezl::encode::Encoder::new(weezl::BitOrder::Lsb, code_size)
            .encode(&ordered)
            .expect("LZW");
        out.extend_from_slice(&sub_blocks(&lzw));
        out
    }
}

/// Hand-made PNGs and APNGs: every chunk written here (the pixels
/// compressed by the png crate), so that a test says exactly what the file
/// holds: partial frames, each dispose_op and blend_op, a default image
/// outside the animation, palettes, grey, 16 bits.
#[cfg(feature = "apng")]
pub(crate) mod png_file {
    /// A chunk: length, type, data, CRC (written as the APNG muxer writes
    /// them).
    pub(crate) use crate::mux::apng::chunk;

    /// IHDR's data.
    pub(crate) fn ihdr(width: u32, height: u32, depth: u8, colour: u8) -> Vec<u8> {
        let mut d = width.to_be_bytes().to_vec();
        d.extend_from_slice(&height.to_be_bytes());
        d.extend_from_slice(&[depth, colour, 0, 0, 0]);
        d
    }

    /// The compressed data (IDAT payload) of `samples`, packed rows of a
    /// `width` x `height` image of `ihdr`'s depth and colour type.
    pub(crate) fn image_data(width: u32, height: u32, ihdr: &[u8], samples: &[u8]) -> Vec<u8> {
        let mut file = Vec::new();
        {
            let mut enc = png::Encoder::new(&mut file, width, height);
            enc.set_depth(png::BitDepth::from_u8(ihdr[8]).expect("depth"));
            enc.set_color(png::ColorType::from_u8(ihdr[9]).expect("colour type"));
            if ihdr[9] == 3 {
                enc.set_palette(vec![0; 3 << ihdr[8]]);
            }
            let mut writer = enc.write_header().expect("header");
            writer.write_image_data(samples).expect("pixels");
        }
        crate::encode::png::chunks(&file)
            .filter(|(kind, _)| kind == b"IDAT")
            .flat_map(|(_, data)| data.to_vec())
            .collect()
    }

    /// An APNG or PNG being written, chunk by chunk, numbering the
    /// animation's chunks.
    pub(crate) struct Apng {
        pub(crate) bytes: Vec<u8>,
        pub(crate) sequence: u32,
    }

    /// A frame: (left, top, width, height), (delay_num, delay_den),
    /// dispose_op, blend_op.
    pub(crate) type Control = ((u32, u32, u32, u32), (u16, u16), u8, u8);

    impl Apng {
        /// The signature and IHDR.
        pub(crate) fn new(ihdr: &[u8]) -> Self {
            let mut bytes = b"\x89PNG\r\n\x1a\n".to_vec();
            bytes.extend(chunk(b"IHDR", ihdr));
            Apng { bytes, sequence: 0 }
        }

        pub(crate) fn chunk(mut self, kind: &[u8; 4], data: &[u8]) -> Self {
            self.bytes.extend(chunk(kind, data));
            self
        }

        pub(crate) fn actl(self, frames: u32, plays: u32) -> Self {
            let data = [frames.to_be_bytes(), plays.to_be_bytes()].concat();
            self.chunk(b"acTL", &data)
        }

        pub(crate) fn fctl(mut self, ((x, y, w, h), (num, den), dispose, blend): Control) -> Self {
            let mut d = self.sequence.to_be_bytes().to_vec();
            for v in [w, h, x, y] {
                d.extend_from_slice(&v.to_be_bytes());
            }
            d.extend_from_slice(&num.to_be_bytes());
            d.extend_from_slice(&den.to_be_bytes());
            d.extend_from_slice(&[dispose, blend]);
            self.sequence += 1;
            self.chunk(b"fcTL", &d)
        }

        /// The data as fdAT chunks (split in two when it can be, to read
        /// frames of more than one chunk).
        pub(crate) fn fdat(mut self, data: &[u8]) -> Self {
            let half = data.len() / 2;
            for part in [&data[..half], &data[half..]] {
                if part.is_empty() {
                    continue;
                }
                let d = [&self.sequence.to_be_bytes()[..], part].concat();
                self.sequence += 1;
                self = self.chunk(b"fdAT", &d);
            }
            self
        }

        /// The data as IDAT chunks (split in two likewise).
        pub(crate) fn idat(mut self, data: &[u8]) -> Self {
            let half = data.len() / 2;
            self = self.chunk(b"IDAT", &data[..half]);
            self.chunk(b"IDAT", &data[half..])
        }

        pub(crate) fn end(self) -> Vec<u8> {
            self.chunk(b"IEND", &[]).bytes
        }
    }
}
