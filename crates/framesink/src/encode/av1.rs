//! AV1 with rav1e: 8-bit 4:2:0, constant quantiser, BT.709 (or BT.601)
//! limited range in the sequence header; odd heights as they are, widths
//! padded to a multiple of 8 (see [`coded_size`]).
//!
//! One rav1e context encodes the whole movie, its tiles on several threads
//! (rav1e's own parallelism; it measured as fast as one context per core on
//! alternate GOPs, with half the memory). It looks ahead and reorders, so
//! packets come out later than pictures go in, the last ones at
//! [`Encoder::flush`]. The writer's GOP starts are forced keyframes.

use rav1e::prelude::{
    ChromaSampling, ColorDescription, ColorPrimaries, Config, Context, EncoderConfig,
    EncoderStatus, FrameParameters, FrameType, FrameTypeOverride, MatrixCoefficients, PixelRange,
    Rational as RavRational, SpeedSettings, TransferCharacteristics,
};

use super::{CodecConfig, Encoded, Encoder};
use crate::color::Picture;
use crate::config::{ColorMatrix, Rational};
use crate::error::{Error, Result};

/// Largest picture side AV1 (and rav1e) take here: level 6.3's limit.
pub const MAX_DIMENSION: u32 = 16_384;

/// Shortest picture side rav1e takes.
pub const MIN_DIMENSION: u32 = 16;

/// The size to encode a `width` x `height` frame at. Heights (odd ones
/// too) are coded as they are. Widths are rounded up to a multiple of 8:
/// rav1e 0.8 damages the right edge of other widths in inter frames (161,
/// 162, 164 or 166 px wide at any speed: the last columns off by 10-25
/// levels, 35 dB instead of 39.5 dB; 160, 168, 176 clean); the padding
/// repeats the last column. Both sides are at least 16 pixels.
pub fn coded_size(width: u32, height: u32) -> (u32, u32) {
    (
        width.max(MIN_DIMENSION).next_multiple_of(8),
        height.max(MIN_DIMENSION),
    )
}

/// Settings for [`Av1Encoder::new`].
#[derive(Clone, Debug)]
pub struct Av1Settings {
    /// Picture width (any, odd allowed).
    pub width: u32,
    /// Picture height (any, odd allowed).
    pub height: u32,
    /// Frame rate.
    pub fps: Rational,
    /// rav1e quantiser, 0 (best) ..= 255.
    pub quantizer: u8,
    /// Target bit rate in bit/s instead of the quantiser.
    pub bitrate_bps: Option<u32>,
    /// rav1e speed preset, 0 (slowest) ..= 10 (fastest).
    pub speed: u8,
    /// Most frames between keyframes (a segment is never longer).
    pub keyframe_interval: u32,
    /// Threads for one rav1e context (its tiles are encoded in parallel).
    pub threads: usize,
    /// Tiles per picture (rav1e uses more than one thread only with two or more).
    pub tiles: usize,
    /// Colour tags.
    pub matrix: ColorMatrix,
}

/// The AV1 level (`seq_level_idx`) whose picture size and sample rate limits
/// fit a `width` x `height` movie at `fps`; 31 (no limit) above level 6.3.
pub fn level(width: u32, height: u32, fps: Rational) -> u8 {
    // (seq_level_idx, MaxPicSize, MaxHSize, MaxVSize, MaxDisplayRate) from
    // the AV1 specification, annex A.3.
    const LEVELS: [(u8, u64, u32, u32, u64); 14] = [
        (0, 147_456, 2048, 1152, 4_423_680),
        (1, 278_784, 2816, 1584, 8_363_520),
        (4, 665_856, 4352, 2448, 19_975_680),
        (5, 1_065_024, 5504, 3096, 31_950_720),
        (8, 2_359_296, 6144, 3456, 70_778_880),
        (9, 2_359_296, 6144, 3456, 141_557_760),
        (12, 8_912_896, 8192, 4352, 267_386_880),
        (13, 8_912_896, 8192, 4352, 534_773_760),
        (14, 8_912_896, 8192, 4352, 1_069_547_520),
        (15, 8_912_896, 8192, 4352, 1_069_547_520),
        (16, 35_651_584, 16384, 8704, 1_069_547_520),
        (17, 35_651_584, 16384, 8704, 2_139_095_040),
        (18, 35_651_584, 16384, 8704, 4_278_190_080),
        (19, 35_651_584, 16384, 8704, 4_278_190_080),
    ];
    let pic = width as u64 * height as u64;
    // Luma samples a second, rounded up.
    let rate = (pic as u128 * fps.num as u128).div_ceil(fps.den.max(1) as u128);
    LEVELS
        .iter()
        .find(|&&(_, max_pic, max_w, max_h, max_rate)| {
            pic <= max_pic && width <= max_w && height <= max_h && rate <= max_rate as u128
        })
        .map_or(31, |l| l.0)
}

/// Checks that AV1 can encode a `width` x `height` picture.
pub fn check_size(width: u32, height: u32) -> Result<()> {
    if width > MAX_DIMENSION || height > MAX_DIMENSION {
        return Err(Error::Unsupported(format!(
            "size {width}x{height} is larger than AV1 encodes here: at most {MAX_DIMENSION} pixels a side"
        )));
    }
    Ok(())
}

/// A rav1e encoder.
pub struct Av1Encoder {
    config: Config,
    context: Option<Context<u8>>,
    codec_config: Option<CodecConfig>,
    level: u8,
    width: usize,
    height: usize,
}

fn rav1e_error(what: &str, e: impl std::fmt::Display) -> Error {
    Error::Encoder(format!("rav1e {what}: {e}"))
}

impl Av1Encoder {
    /// Checks the settings with rav1e (so that a bad one fails at once).
    pub fn new(s: &Av1Settings) -> Result<Self> {
        check_size(s.width, s.height)?;
        let (primaries, transfer, matrix) = match s.matrix {
            ColorMatrix::Bt709 => (
                ColorPrimaries::BT709,
                TransferCharacteristics::BT709,
                MatrixCoefficients::BT709,
            ),
            ColorMatrix::Bt601 => (
                ColorPrimaries::BT601,
                TransferCharacteristics::BT601,
                MatrixCoefficients::BT601,
            ),
        };
        let level = level(s.width, s.height, s.fps);
        let mut speed_settings = SpeedSettings::from_preset(s.speed);
        // rav1e's RDO lookahead (10 frames at speed 10) measured as pure
        // cost here: 1 frame gave 0.1% fewer bytes at the same PSNR, 25% more
        // fps and 40% less memory (720p smooth content, speed 10; the same
        // bytes on noise).
        speed_settings.rdo_lookahead_frames = 1;
        let enc = EncoderConfig {
            width: s.width as usize,
            height: s.height as usize,
            time_base: RavRational::new(s.fps.den, s.fps.num),
            bit_depth: 8,
            chroma_sampling: ChromaSampling::Cs420,
            pixel_range: PixelRange::Limited,
            color_description: Some(ColorDescription {
                color_primaries: primaries,
                transfer_characteristics: transfer,
                matrix_coefficients: matrix,
            }),
            level_idx: Some(level),
            // Segments are cut by the writer; rav1e may add keyframes at
            // scene cuts inside one.
            min_key_frame_interval: 0,
            max_key_frame_interval: s.keyframe_interval.max(1) as u64,
            quantizer: s.quantizer as usize,
            bitrate: s.bitrate_bps.map_or(0, |b| b.min(i32::MAX as u32) as i32),
            tiles: s.tiles.max(1),
            speed_settings,
            ..EncoderConfig::with_speed_preset(s.speed)
        };
        let config = Config::new()
            .with_encoder_config(enc)
            .with_threads(s.threads.max(1));
        config
            .validate()
            .map_err(|e| rav1e_error("refused the settings", e))?;
        Ok(Av1Encoder {
            config,
            context: None,
            codec_config: None,
            level,
            width: s.width as usize,
            height: s.height as usize,
        })
    }

    /// Moves every packet rav1e has ready into `out`.
    fn drain(&mut self, out: &mut Vec<Encoded>) -> Result<()> {
        let Some(ctx) = self.context.as_mut() else {
            return Ok(());
        };
        loop {
            match ctx.receive_packet() {
                Ok(packet) => {
                    let keyframe = packet.frame_type == FrameType::KEY;
                    let data = strip_temporal_delimiters(&packet.data)?;
                    if keyframe && self.codec_config.is_none() {
                        let sequence_header = sequence_header_obu(&data)?.to_vec();
                        self.codec_config = Some(CodecConfig::Av1 {
                            level: self.level,
                            sequence_header,
                        });
                    }
                    out.push(Encoded {
                        data,
                        keyframe,
                        image: None,
                    });
                }
                Err(EncoderStatus::Encoded) => continue,
                Err(EncoderStatus::NeedMoreData | EncoderStatus::LimitReached) => return Ok(()),
                Err(e) => return Err(rav1e_error("failed", e)),
            }
        }
    }
}

impl Encoder for Av1Encoder {
    fn encode(&mut self, picture: &Picture, keyframe: bool, out: &mut Vec<Encoded>) -> Result<()> {
        let Picture::Yuv(p) = picture else {
            return Err(Error::Encoder("AV1 takes YUV pictures".into()));
        };
        if self.context.is_none() {
            self.context = Some(
                self.config
                    .new_context()
                    .map_err(|e| rav1e_error("refused the settings", e))?,
            );
        }
        let ctx = self.context.as_mut().expect("made above");
        let mut frame = ctx.new_frame();
        // The picture is padded to even sizes; rav1e's planes have the
        // movie's size (chroma rounded up), so the padding is left out.
        let luma_stride = p.width as usize;
        debug_assert!(luma_stride >= self.width && p.height as usize >= self.height);
        frame.planes[0].copy_from_raw_u8(&p.y, luma_stride, 1);
        frame.planes[1].copy_from_raw_u8(&p.u, luma_stride / 2, 1);
        frame.planes[2].copy_from_raw_u8(&p.v, luma_stride / 2, 1);
        // rav1e's planes are allocated to multiples of 8 and it codes whole
        // 4x4 blocks, but does not fill what lies past the picture: repeat
        // the edge there (left unset, it cost 5 dB on a 161x90 movie, the
        // right column off by 20 levels).
        for plane in &mut frame.planes {
            plane.pad(self.width, self.height);
        }
        let params = FrameParameters {
            frame_type_override: if keyframe {
                FrameTypeOverride::Key
            } else {
                FrameTypeOverride::No
            },
            ..FrameParameters::default()
        };
        ctx.send_frame((frame, params))
            .map_err(|e| rav1e_error("refused a frame", e))?;
        self.drain(out)
    }

    fn flush(&mut self, out: &mut Vec<Encoded>) -> Result<()> {
        if let Some(ctx) = self.context.as_mut() {
            ctx.flush();
            self.drain(out)?;
            self.context = None;
        }
        Ok(())
    }

    fn codec_config(&self) -> Option<&CodecConfig> {
        self.codec_config.as_ref()
    }
}

/// OBU types (AV1 specification 6.2.2).
const OBU_SEQUENCE_HEADER: u8 = 1;
const OBU_TEMPORAL_DELIMITER: u8 = 2;

/// The OBUs of a temporal unit: (type, the whole OBU's bytes).
fn obus(mut data: &[u8]) -> Result<Vec<(u8, &[u8])>> {
    let bad = || Error::Encoder("rav1e produced a malformed OBU".into());
    let mut list = Vec::new();
    while !data.is_empty() {
        let header = data[0];
        let kind = (header >> 3) & 0x0f;
        let extension = header & 0x04 != 0;
        if header & 0x02 == 0 {
            // No size field: the OBU runs to the end.
            list.push((kind, data));
            break;
        }
        let mut pos = 1 + usize::from(extension);
        let mut size = 0u64;
        for i in 0..8 {
            let b = *data.get(pos).ok_or_else(bad)?;
            pos += 1;
            size |= ((b & 0x7f) as u64) << (7 * i);
            if b & 0x80 == 0 {
                break;
            }
        }
        let end = pos
            .checked_add(usize::try_from(size).map_err(|_| bad())?)
            .filter(|&e| e <= data.len())
            .ok_or_else(bad)?;
        list.push((kind, &data[..end]));
        data = &data[end..];
    }
    Ok(list)
}

/// The packet without temporal delimiter OBUs, which MP4 samples must not
/// carry (AV1-ISOBMFF 2.4).
fn strip_temporal_delimiters(data: &[u8]) -> Result<Vec<u8>> {
    let list = obus(data)?;
    if list.iter().all(|&(k, _)| k != OBU_TEMPORAL_DELIMITER) {
        return Ok(data.to_vec());
    }
    Ok(list
        .into_iter()
        .filter(|&(k, _)| k != OBU_TEMPORAL_DELIMITER)
        .flat_map(|(_, o)| o.iter().copied())
        .collect())
}

/// The sequence header OBU of a keyframe's temporal unit (for `av1C`).
fn sequence_header_obu(data: &[u8]) -> Result<&[u8]> {
    obus(data)?
        .into_iter()
        .find(|&(k, _)| k == OBU_SEQUENCE_HEADER)
        .map(|(_, o)| o)
        .ok_or_else(|| Error::Encoder("rav1e's keyframe has no sequence header".into()))
}

/// rav1e must be built with its x86 assembly: its build script fails
/// without nasm, and this test calls a function only the assembly objects
/// have, so a build without them cannot link the tests.
#[cfg(all(test, target_arch = "x86_64"))]
mod assembly {
    unsafe extern "C" {
        // rav1e src/x86/sad_sse2.asm
        fn rav1e_sad16x16_sse2(src: *const u8, ss: isize, dst: *const u8, ds: isize) -> u32;
    }

    #[test]
    fn rav1e_was_built_with_its_assembly() {
        let a: Vec<u8> = (0..256).map(|i| (i * 7 % 256) as u8).collect();
        let b: Vec<u8> = a.iter().map(|&v| v ^ 0x55).collect();
        let expected: u32 = a.iter().zip(&b).map(|(&x, &y)| x.abs_diff(y) as u32).sum();
        // SAFETY: two 16x16 blocks with stride 16; the function only reads them.
        let sad = unsafe { rav1e_sad16x16_sse2(a.as_ptr(), 16, b.as_ptr(), 16) };
        assert_eq!(sad, expected);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_follow_the_specification() {
        let r = Rational::integer;
        assert_eq!(level(1280, 720, r(30)), 5); // 3.1
        assert_eq!(level(1920, 1080, r(30)), 8); // 4.0
        assert_eq!(level(1920, 1080, r(60)), 9); // 4.1
        assert_eq!(level(3840, 2160, r(30)), 12); // 5.0
        assert_eq!(level(320, 240, r(30)), 0); // 2.0
        assert_eq!(level(16384, 8704, r(120)), 31);
    }

    #[test]
    fn obus_are_split_and_delimiters_dropped() {
        // TD (empty), sequence header (2 bytes), frame (3 bytes).
        let tu = [0x12, 0x00, 0x0a, 0x02, 0xaa, 0xbb, 0x32, 0x03, 1, 2, 3];
        let stripped = strip_temporal_delimiters(&tu).unwrap();
        assert_eq!(stripped, &tu[2..]);
        assert_eq!(sequence_header_obu(&tu).unwrap(), &[0x0a, 0x02, 0xaa, 0xbb]);
        assert!(obus(&[0x0a, 0x05, 1]).is_err(), "size past the end");
    }
}
