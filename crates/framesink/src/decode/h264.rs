//! H.264 decoding: the SPS read by a small parser of our own, so that a stream
//! OpenH264 cannot decode is refused by name before any packet, then OpenH264
//! fed one Annex B access unit per packet, its pictures given out in
//! presentation order, cropped, rows packed.

use std::mem::size_of;
use std::os::raw::{c_int, c_uint, c_void};
use std::ptr;

use openh264_sys2 as sys;

use super::{copy_plane, ColorTags, DecodeError, Decoder, Description, Image};
use crate::encode::{CodecConfig, Packet};
use crate::mux::avc::unescape;
use crate::stream::StreamInfo;

/// What a refusal tells the caller to do instead.
const THROUGH_FFMPEG: &str =
    "read it through ffmpeg (imageio's pyav or ffmpeg plugin, or `ffmpeg -i FILE -f rawvideo -`)";

/// The longest side read, in pixels: sizes are checked against it as soon
/// as they are read, before any arithmetic or allocation depends on them.
const MAX_SIDE: u64 = 16_384;

/// The most 16x16 macroblocks a picture OpenH264 decodes may have: level
/// 5.2's frame size (au_parser.cpp refuses larger SPSs).
const MAX_MACROBLOCKS: u64 = 36_864;

/// The `level_idc` values OpenH264 knows (GetLevelLimits): it refuses an SPS
/// of any other level, 6 and above included.
const LEVELS: [u8; 17] = [
    9, 10, 11, 12, 13, 20, 21, 22, 30, 31, 32, 40, 41, 42, 50, 51, 52,
];

/// The profiles OpenH264 decodes from a plain SPS (`profile_idc`):
/// Baseline (and Constrained Baseline), Main, Extended, High.
const DECODED_PROFILES: [u8; 4] = [66, 77, 88, 100];

/// The profiles whose SPS carries chroma format, bit depths and scaling
/// lists (H.264 7.3.2.1.1).
const HIGH_SYNTAX_PROFILES: [u8; 13] =
    [100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135];

/// How many decode calls a packet may wait for its picture. OpenH264 holds
/// at most 16 pictures for reordering (m_sPictInfoList) and H.264 reorders
/// at most 16 frames, so a picture that has not come out after this many
/// more packets never will (OpenH264 dropped it).
const MAX_DELAY: u64 = 40;

// ------------------------------------------------------------------- SPS

/// The fields of a sequence parameter set that say what the stream is.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Sps {
    profile_idc: u8,
    /// constraint_set0_flag..constraint_set5_flag and the two reserved bits,
    /// as in the byte.
    constraints: u8,
    level_idc: u8,
    chroma_format_idc: u32,
    separate_colour_plane: bool,
    bit_depth_luma: u32,
    bit_depth_chroma: u32,
    frame_mbs_only: bool,
    mb_adaptive_frame_field: bool,
    /// pic_width_in_mbs
    width_mbs: u32,
    /// pic_height_in_map_units
    height_map_units: u32,
    /// frame_crop_{left, right, top, bottom}_offset, in crop units.
    crop: [u32; 4],
    /// The sample aspect ratio (width, height), where the VUI gives it.
    sample_aspect: Option<(u16, u16)>,
    /// The VUI's video signal type, where it has one.
    colour: Option<ColorTags>,
}

/// An SPS that ends or holds a value H.264 does not allow.
fn damaged(what: impl std::fmt::Display) -> DecodeError {
    DecodeError(format!(
        "its H.264 sequence parameter set (SPS) is damaged: {what}"
    ))
}

/// Reads the bits of an RBSP (emulation-prevention bytes removed).
struct Bits<'a> {
    data: &'a [u8],
    /// The next bit, counted from the first byte's most significant bit.
    pos: usize,
}

impl Bits<'_> {
    fn bit(&mut self, what: &str) -> Result<u32, DecodeError> {
        let byte = self
            .data
            .get(self.pos / 8)
            .ok_or_else(|| damaged(format!("it ends inside {what}")))?;
        let bit = (byte >> (7 - self.pos % 8)) & 1;
        self.pos += 1;
        Ok(bit as u32)
    }

    /// `n` bits (at most 32), most significant first.
    fn bits(&mut self, n: u32, what: &str) -> Result<u32, DecodeError> {
        debug_assert!(n <= 32);
        let mut v = 0u32;
        for _ in 0..n {
            v = (v << 1) | self.bit(what)?;
        }
        Ok(v)
    }

    fn flag(&mut self, what: &str) -> Result<bool, DecodeError> {
        Ok(self.bit(what)? == 1)
    }

    /// ue(v): exp-Golomb, at most 32 bits of value.
    fn ue(&mut self, what: &str) -> Result<u32, DecodeError> {
        let mut zeros = 0u32;
        while self.bit(what)? == 0 {
            zeros += 1;
            if zeros > 31 {
                return Err(damaged(format!(
                    "its {what} is an exp-Golomb code longer than 32 bits"
                )));
            }
        }
        let rest = self.bits(zeros, what)? as u64;
        // zeros <= 31, so the value is at most 2^32 - 2.
        Ok(((1u64 << zeros) - 1 + rest) as u32)
    }

    /// ue(v) that must be at most `max`.
    fn ue_max(&mut self, what: &str, max: u32) -> Result<u32, DecodeError> {
        let v = self.ue(what)?;
        if v > max {
            return Err(damaged(format!(
                "its {what} is {v}; H.264 allows 0 to {max}"
            )));
        }
        Ok(v)
    }

    /// se(v).
    fn se(&mut self, what: &str) -> Result<i64, DecodeError> {
        let k = self.ue(what)? as i64;
        Ok(if k % 2 == 1 { (k + 1) / 2 } else { -(k / 2) })
    }
}

/// Skips a scaling_list() of `size` coefficients (H.264 7.3.2.1.1.1): only
/// its deltas are coded, and a next scale of 0 ends it early.
fn skip_scaling_list(r: &mut Bits<'_>, size: usize) -> Result<(), DecodeError> {
    let (mut last, mut next) = (8i64, 8i64);
    for _ in 0..size {
        if next != 0 {
            let delta = r.se("a scaling list's delta_scale")?;
            if !(-128..=127).contains(&delta) {
                return Err(damaged(format!(
                    "a scaling list's delta_scale is {delta}; H.264 allows -128 to 127"
                )));
            }
            next = (last + delta + 256).rem_euclid(256);
        }
        if next != 0 {
            last = next;
        }
    }
    Ok(())
}

/// Sample aspect ratios of `aspect_ratio_idc` 1 to 16 (H.264 Table E-1).
const SAMPLE_ASPECTS: [(u16, u16); 16] = [
    (1, 1),
    (12, 11),
    (10, 11),
    (16, 11),
    (40, 33),
    (24, 11),
    (20, 11),
    (32, 11),
    (80, 33),
    (18, 11),
    (15, 11),
    (64, 33),
    (160, 99),
    (4, 3),
    (3, 2),
    (2, 1),
];

impl Sps {
    /// Reads an SPS NAL unit (header byte included, no start code or length).
    fn parse(nal: &[u8]) -> Result<Sps, DecodeError> {
        let Some((&header, payload)) = nal.split_first() else {
            return Err(damaged("it is empty"));
        };
        if header & 0x80 != 0 || header & 0x1f != 7 {
            return Err(damaged(format!(
                "its NAL unit header is 0x{header:02x}, not that of an SPS (type 7)"
            )));
        }
        let rbsp = unescape(payload);
        let r = &mut Bits {
            data: &rbsp,
            pos: 0,
        };
        let profile_idc = r.bits(8, "profile_idc")? as u8;
        let constraints = r.bits(8, "the constraint flags")? as u8;
        let level_idc = r.bits(8, "level_idc")? as u8;
        r.ue_max("seq_parameter_set_id", 31)?;
        let mut sps = Sps {
            profile_idc,
            constraints,
            level_idc,
            chroma_format_idc: 1,
            separate_colour_plane: false,
            bit_depth_luma: 8,
            bit_depth_chroma: 8,
            frame_mbs_only: true,
            mb_adaptive_frame_field: false,
            width_mbs: 0,
            height_map_units: 0,
            crop: [0; 4],
            sample_aspect: None,
            colour: None,
        };
        if HIGH_SYNTAX_PROFILES.contains(&profile_idc) {
            sps.chroma_format_idc = r.ue_max("chroma_format_idc", 3)?;
            if sps.chroma_format_idc == 3 {
                sps.separate_colour_plane = r.flag("separate_colour_plane_flag")?;
            }
            sps.bit_depth_luma = 8 + r.ue_max("bit_depth_luma_minus8", 6)?;
            sps.bit_depth_chroma = 8 + r.ue_max("bit_depth_chroma_minus8", 6)?;
            r.flag("qpprime_y_zero_transform_bypass_flag")?;
            if r.flag("seq_scaling_matrix_present_flag")? {
                // Six 4x4 lists, then two 8x8 lists (six in 4:4:4).
                let lists = if sps.chroma_format_idc == 3 { 12 } else { 8 };
                for i in 0..lists {
                    if r.flag("seq_scaling_list_present_flag")? {
                        skip_scaling_list(r, if i < 6 { 16 } else { 64 })?;
                    }
                }
            }
        }
        r.ue_max("log2_max_frame_num_minus4", 12)?;
        match r.ue_max("pic_order_cnt_type", 2)? {
            0 => {
                r.ue_max("log2_max_pic_order_cnt_lsb_minus4", 12)?;
            }
            1 => {
                r.flag("delta_pic_order_always_zero_flag")?;
                r.se("offset_for_non_ref_pic")?;
                r.se("offset_for_top_to_bottom_field")?;
                let n = r.ue_max("num_ref_frames_in_pic_order_cnt_cycle", 255)?;
                for _ in 0..n {
                    r.se("offset_for_ref_frame")?;
                }
            }
            _ => {}
        }
        r.ue_max("max_num_ref_frames", 16)?;
        r.flag("gaps_in_frame_num_value_allowed_flag")?;
        let width_mbs = r.ue("pic_width_in_mbs_minus1")? as u64 + 1;
        let height_map_units = r.ue("pic_height_in_map_units_minus1")? as u64 + 1;
        sps.frame_mbs_only = r.flag("frame_mbs_only_flag")?;
        if !sps.frame_mbs_only {
            sps.mb_adaptive_frame_field = r.flag("mb_adaptive_frame_field_flag")?;
        }
        let field_factor = if sps.frame_mbs_only { 1 } else { 2 };
        let (width, height) = (width_mbs * 16, height_map_units * 16 * field_factor);
        if width > MAX_SIDE || height > MAX_SIDE {
            return Err(DecodeError(format!(
                "its H.264 picture is {width}x{height}; framesink reads pictures of at most {MAX_SIDE} pixels a side"
            )));
        }
        // Both at most 1024 now.
        sps.width_mbs = width_mbs as u32;
        sps.height_map_units = height_map_units as u32;
        r.flag("direct_8x8_inference_flag")?;
        if r.flag("frame_cropping_flag")? {
            for (i, what) in [
                "frame_crop_left_offset",
                "frame_crop_right_offset",
                "frame_crop_top_offset",
                "frame_crop_bottom_offset",
            ]
            .into_iter()
            .enumerate()
            {
                sps.crop[i] = r.ue(what)?;
            }
            let (ux, uy) = sps.crop_units();
            let [left, right, top, bottom] = sps.crop.map(u64::from);
            if ux * (left + right) >= width || uy * (top + bottom) >= height {
                return Err(damaged(format!(
                    "its frame cropping (left {left}, right {right}, top {top}, bottom {bottom}, in units of {ux}x{uy} pixels) leaves nothing of its {width}x{height} picture"
                )));
            }
        }
        if r.flag("vui_parameters_present_flag")? {
            sps.parse_vui(r)?;
        }
        Ok(sps)
    }

    /// The start of vui_parameters() (H.264 E.1.1), as far as the colour tags.
    fn parse_vui(&mut self, r: &mut Bits<'_>) -> Result<(), DecodeError> {
        if r.flag("aspect_ratio_info_present_flag")? {
            let idc = r.bits(8, "aspect_ratio_idc")?;
            self.sample_aspect = match idc {
                255 => {
                    let w = r.bits(16, "sar_width")? as u16;
                    let h = r.bits(16, "sar_height")? as u16;
                    (w != 0 && h != 0).then_some((w, h))
                }
                // 0 is "unspecified", 17..=254 reserved.
                _ => SAMPLE_ASPECTS.get((idc as usize).wrapping_sub(1)).copied(),
            };
        }
        if r.flag("overscan_info_present_flag")? {
            r.flag("overscan_appropriate_flag")?;
        }
        if r.flag("video_signal_type_present_flag")? {
            r.bits(3, "video_format")?;
            let full_range = r.flag("video_full_range_flag")?;
            let mut colour = ColorTags {
                full_range,
                ..ColorTags::default()
            };
            if r.flag("colour_description_present_flag")? {
                colour.primaries = r.bits(8, "colour_primaries")? as u8;
                colour.transfer = r.bits(8, "transfer_characteristics")? as u8;
                colour.matrix = r.bits(8, "matrix_coefficients")? as u8;
            }
            self.colour = Some(colour);
        }
        Ok(())
    }

    /// CropUnitX and CropUnitY (H.264 7.4.2.1.1): chroma samples in
    /// 4:2:0 and 4:2:2, field pairs when interlaced.
    fn crop_units(&self) -> (u64, u64) {
        let field_factor = if self.frame_mbs_only { 1 } else { 2 };
        let (sub_w, sub_h) = match self.chroma_format_idc {
            1 => (2, 2),
            2 => (2, 1),
            _ => (1, 1), // 4:0:0, 4:4:4 (in separate planes or not)
        };
        (sub_w, sub_h * field_factor)
    }

    /// The coded size (whole macroblocks, both fields).
    fn coded_size(&self) -> (u32, u32) {
        let field_factor = if self.frame_mbs_only { 1 } else { 2 };
        // At most 16384 each (checked when read).
        (
            self.width_mbs * 16,
            self.height_map_units * 16 * field_factor,
        )
    }

    /// The size after the SPS's cropping: the size of the pictures decoded.
    fn display_size(&self) -> (u32, u32) {
        let (w, h) = self.coded_size();
        let (ux, uy) = self.crop_units();
        let [left, right, top, bottom] = self.crop.map(u64::from);
        // Cropping leaves at least one pixel each way (checked when read).
        (
            (w as u64 - ux * (left + right)) as u32,
            (h as u64 - uy * (top + bottom)) as u32,
        )
    }

    fn constraint(&self, n: u8) -> bool {
        self.constraints & (0x80 >> n) != 0
    }

    /// The profile's name, as ffprobe gives it where it has one.
    fn profile_name(&self) -> String {
        let intra = self.constraint(3);
        let name = match self.profile_idc {
            66 if self.constraint(1) => "Constrained Baseline",
            66 => "Baseline",
            77 => "Main",
            88 => "Extended",
            100 => "High",
            110 if intra => "High 10 Intra",
            110 => "High 10",
            122 if intra => "High 4:2:2 Intra",
            122 => "High 4:2:2",
            244 if intra => "High 4:4:4 Intra",
            244 => "High 4:4:4 Predictive",
            44 => "CAVLC 4:4:4 Intra",
            83 => "Scalable Baseline",
            86 => "Scalable High",
            118 => "Multiview High",
            128 => "Stereo High",
            134 => "MFC High",
            135 => "MFC Depth High",
            138 => "Multiview Depth High",
            139 => "Enhanced Multiview Depth High",
            idc => return format!("profile_idc {idc}"),
        };
        name.to_string()
    }

    /// The level as written ("3.1", "1b").
    fn level_name(&self) -> String {
        let level = self.level_idc;
        // Level 1b: level_idc 9, or 11 with constraint_set3_flag in the
        // profiles that predate it.
        if level == 9
            || (level == 11 && self.constraint(3) && matches!(self.profile_idc, 66 | 77 | 88))
        {
            "1b".into()
        } else {
            format!("{}.{}", level / 10, level % 10)
        }
    }

    /// Refuses what OpenH264 cannot decode, naming it.
    fn check(&self) -> Result<(), DecodeError> {
        let profile = self.profile_name();
        if self.bit_depth_luma != 8 || self.bit_depth_chroma != 8 {
            let depth = if self.bit_depth_luma == self.bit_depth_chroma {
                format!("{}-bit", self.bit_depth_luma)
            } else {
                format!(
                    "{}-bit luma, {}-bit chroma",
                    self.bit_depth_luma, self.bit_depth_chroma
                )
            };
            return Err(DecodeError(format!(
                "its H.264 is {profile} ({depth}); framesink decodes 8-bit H.264 (OpenH264); {THROUGH_FFMPEG}"
            )));
        }
        if self.chroma_format_idc != 1 {
            let format = match (self.chroma_format_idc, self.separate_colour_plane) {
                (0, _) => "4:0:0 (monochrome)",
                (2, _) => "4:2:2",
                (3, false) => "4:4:4",
                _ => "4:4:4 in separate colour planes",
            };
            return Err(DecodeError(format!(
                "its H.264 is {profile} in {format} (chroma_format_idc {}); framesink decodes 4:2:0 H.264 (OpenH264); {THROUGH_FFMPEG}",
                self.chroma_format_idc
            )));
        }
        if !self.frame_mbs_only {
            let how = if self.mb_adaptive_frame_field {
                "field or MBAFF pictures"
            } else {
                "field pictures"
            };
            return Err(DecodeError(format!(
                "its H.264 is interlaced (frame_mbs_only_flag 0: {how}); framesink decodes progressive H.264 (OpenH264); {THROUGH_FFMPEG}"
            )));
        }
        if !DECODED_PROFILES.contains(&self.profile_idc) {
            let idc = format!("profile_idc {}", self.profile_idc);
            let named = if profile == idc {
                idc
            } else {
                format!("{profile} ({idc})")
            };
            return Err(DecodeError(format!(
                "its H.264 profile is {named}; framesink decodes the Constrained Baseline, Baseline, Main, Extended and High profiles (OpenH264); {THROUGH_FFMPEG}"
            )));
        }
        if !LEVELS.contains(&self.level_idc) {
            return Err(DecodeError(format!(
                "its H.264 is level {} (level_idc {}); framesink decodes levels 1 to 5.2 (OpenH264); {THROUGH_FFMPEG}",
                self.level_name(),
                self.level_idc
            )));
        }
        let (w, h) = self.coded_size();
        let mbs = self.width_mbs as u64 * self.height_map_units as u64;
        if mbs > MAX_MACROBLOCKS {
            return Err(DecodeError(format!(
                "its H.264 picture is {w}x{h} ({mbs} macroblocks of 16x16); framesink decodes at most {MAX_MACROBLOCKS} (level 5.2, e.g. 4096x2304: OpenH264); {THROUGH_FFMPEG}"
            )));
        }
        Ok(())
    }
}

/// The SPS of `config`, checked: what OpenH264 cannot decode is refused.
fn checked_sps(config: &CodecConfig) -> Result<Sps, DecodeError> {
    let CodecConfig::Avc { sps, pps } = config else {
        return Err(DecodeError(
            "its H.264 has no parameter sets (an avcC with its SPS and PPS)".into(),
        ));
    };
    let sps = Sps::parse(sps)?;
    sps.check()?;
    match pps.first() {
        Some(&header) if header & 0x80 == 0 && header & 0x1f == 8 => {}
        Some(&header) => {
            return Err(DecodeError(format!(
                "its H.264 picture parameter set (PPS) is damaged: its NAL unit header is 0x{header:02x}, not that of a PPS (type 8)"
            )))
        }
        None => {
            return Err(DecodeError(
                "its H.264 picture parameter set (PPS) is empty".into(),
            ))
        }
    }
    Ok(sps)
}

/// Reads an H.264 stream's SPS: its profile, coded size and colour tags, or
/// why framesink cannot decode it (bit depth above 8, other chroma formats
/// than 4:2:0, interlacing, profiles and levels OpenH264 does not decode, a
/// damaged SPS).
pub(crate) fn describe(config: &CodecConfig) -> Result<Description, DecodeError> {
    let sps = checked_sps(config)?;
    let (coded_width, coded_height) = sps.coded_size();
    Ok(Description {
        profile: sps.profile_name(),
        bit_depth: sps.bit_depth_luma as u8,
        coded_width,
        coded_height,
        colour: sps.colour,
    })
}

/// The size of the pictures the decoder gives: the coded size less the
/// SPS's cropping (what the MP4 sample entry's width and height should say;
/// framesink's own odd sizes are padded to even ones in both). `None` if the
/// SPS is damaged.
pub(crate) fn display_size(config: &CodecConfig) -> Option<(u32, u32)> {
    match config {
        CodecConfig::Avc { sps, .. } => Sps::parse(sps).ok().map(|s| s.display_size()),
        _ => None,
    }
}

/// The sample aspect ratio (width, height) the SPS's VUI gives, if any.
pub(crate) fn sample_aspect(config: &CodecConfig) -> Option<(u16, u16)> {
    match config {
        CodecConfig::Avc { sps, .. } => Sps::parse(sps).ok()?.sample_aspect,
        _ => None,
    }
}

// ------------------------------------------------------------- decoding

/// An OpenH264 decoder instance, destroyed when dropped.
struct Raw(*mut sys::ISVCDecoder);

impl Raw {
    /// Makes a quiet, single-threaded decoder with no error concealment (a
    /// damaged frame is an error, not a guess).
    fn new() -> Result<Raw, DecodeError> {
        let mut ptr: *mut sys::ISVCDecoder = ptr::null_mut();
        // SAFETY: WelsCreateDecoder writes a valid instance pointer or fails.
        let rc = unsafe { sys::source::APILoader::WelsCreateDecoder(&mut ptr) };
        if rc != 0 || ptr.is_null() {
            return Err(DecodeError(format!(
                "OpenH264 could not make a decoder (code {rc})"
            )));
        }
        let raw = Raw(ptr);
        let mut quiet = sys::WELS_LOG_QUIET as c_int;
        // SAFETY: live decoder; TRACE_LEVEL takes a pointer to an int, and
        // is accepted before Initialize.
        unsafe {
            (raw.vtbl().SetOption.unwrap())(
                raw.0,
                sys::DECODER_OPTION_TRACE_LEVEL,
                (&mut quiet as *mut c_int).cast::<c_void>(),
            )
        };
        let param = sys::SDecodingParam {
            // Every layer (there is one in AVC), as OpenH264's own console
            // decoder asks.
            uiTargetDqLayer: u8::MAX,
            eEcActiveIdc: sys::ERROR_CON_DISABLE,
            sVideoProperty: sys::SVideoProperty {
                size: size_of::<sys::SVideoProperty>() as c_uint,
                eVideoBsType: sys::VIDEO_BITSTREAM_AVC,
            },
            ..Default::default()
        };
        // SAFETY: live decoder; param is fully initialised (zeroed, then set).
        let rc = unsafe { (raw.vtbl().Initialize.unwrap())(raw.0, &param) };
        if rc != 0 {
            return Err(DecodeError(format!(
                "OpenH264 could not initialise a decoder (code {rc})"
            )));
        }
        Ok(raw)
    }

    fn vtbl(&self) -> &sys::ISVCDecoderVtbl {
        // SAFETY: the pointer is a live decoder whose first field is its vtable.
        unsafe { &**self.0 }
    }
}

impl Drop for Raw {
    fn drop(&mut self) {
        // SAFETY: live, destroyed once (its destructor uninitialises it).
        unsafe { sys::source::APILoader::WelsDestroyDecoder(self.0) };
    }
}

/// A packet given to OpenH264 whose picture has not come out yet.
#[derive(Clone, Copy, Debug)]
struct Fed {
    /// The time stamp OpenH264 carries from packet to picture: the number of
    /// packets fed before it.
    stamp: u64,
    pts: u64,
    index: u64,
}

/// H.264 through OpenH264.
///
/// Packets go in one at a time with no flush after each (flushing after
/// every packet, as the openh264 crate does by default, loses pictures of
/// streams with B-frames), and the pictures OpenH264 still holds come out
/// at [`flush`](Decoder::flush), which also ends the instance: the next
/// packet, an IDR picture, starts a new one. Each
/// picture is matched to its packet by the time stamp OpenH264 carries
/// through, and given out in presentation time order whatever order OpenH264
/// releases them in (its reordering guesses from POC LSBs, which wrap).
pub(crate) struct H264Decoder {
    /// `None` after a flush: a new one is made at the next packet.
    raw: Option<Raw>,
    /// SPS and PPS with start codes, fed with the first packet of each
    /// instance (so that decoding can start at any IDR picture).
    headers: Vec<u8>,
    /// The instance has had its headers.
    primed: bool,
    /// The size of every picture (the SPS's cropping applied).
    size: (u32, u32),
    /// Packets fed whose pictures have not come out, in decoding order.
    waiting: Vec<Fed>,
    /// Pictures out of OpenH264 not yet given, with their (pts, index).
    ready: Vec<((u64, u64), Image)>,
    /// Packets fed so far (the next time stamp).
    fed: u64,
    /// The access unit being fed, in Annex B form (kept to reuse its memory).
    annex_b: Vec<u8>,
}

// SAFETY: an OpenH264 decoder instance has no thread affinity (single
// threaded: no decoding threads are started), and it is used by one thread
// at a time (`&mut self`); the pointers it returns are copied from before
// the next call.
unsafe impl Send for H264Decoder {}

impl H264Decoder {
    /// A decoder for `info`'s stream, whose SPS is checked first (see
    /// [`describe`]).
    pub(crate) fn new(info: &StreamInfo) -> Result<Self, DecodeError> {
        let Some(config @ CodecConfig::Avc { sps: sps_nal, pps }) = &info.config else {
            return Err(DecodeError(
                "its H.264 has no parameter sets (an avcC with its SPS and PPS)".into(),
            ));
        };
        let sps = checked_sps(config)?;
        let mut headers = Vec::with_capacity(sps_nal.len() + pps.len() + 8);
        for nal in [sps_nal, pps] {
            headers.extend_from_slice(&[0, 0, 0, 1]);
            headers.extend_from_slice(nal);
        }
        Ok(H264Decoder {
            raw: Some(Raw::new()?),
            headers,
            primed: false,
            size: sps.display_size(),
            waiting: Vec::new(),
            ready: Vec::new(),
            fed: 0,
            annex_b: Vec::new(),
        })
    }

    /// Files a picture OpenH264 gave out under its packet's presentation time.
    ///
    /// # Safety
    ///
    /// `dst` and `info` are what OpenH264 gave with `iBufferStatus` 1, and no
    /// call into it has been made since.
    unsafe fn take(
        &mut self,
        dst: &[*mut u8; 3],
        info: &sys::SBufferInfo,
    ) -> Result<(), DecodeError> {
        let stamp = info.uiOutYuvTimeStamp;
        let Some(at) = self.waiting.iter().position(|f| f.stamp == stamp) else {
            // A packet already reported as failed, or given out already:
            // one picture a packet.
            return Ok(());
        };
        let fed = self.waiting.remove(at);
        // SAFETY: as this function's contract.
        let image = unsafe { copy_picture(dst, info, self.size) }
            .map_err(|e| DecodeError(format!("its frame {}: {e}", fed.index)))?;
        let key = (fed.pts, fed.index);
        let at = self.ready.partition_point(|(k, _)| *k < key);
        self.ready.insert(at, (key, image));
        Ok(())
    }

    /// Gives out, in presentation order, every ready picture that no packet
    /// still waiting comes before (all of them with `all`).
    fn release(&mut self, out: &mut Vec<Image>, all: bool) {
        let first_waiting = self.waiting.iter().map(|f| (f.pts, f.index)).min();
        let n = match (all, first_waiting) {
            (false, Some(key)) => self.ready.partition_point(|(k, _)| *k < key),
            _ => self.ready.len(),
        };
        out.extend(self.ready.drain(..n).map(|(_, image)| image));
    }
}

/// The NAL units of an MP4 sample, each after a 4-byte big-endian length;
/// an error names what is wrong and ends it.
struct NalUnits<'a> {
    rest: &'a [u8],
}

impl<'a> Iterator for NalUnits<'a> {
    type Item = Result<&'a [u8], String>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.rest.is_empty() {
            return None;
        }
        let Some((len, tail)) = self.rest.split_first_chunk::<4>() else {
            let n = self.rest.len();
            self.rest = &[];
            return Some(Err(format!(
                "it ends with {n} bytes, too few for a NAL unit's length (4)"
            )));
        };
        let len = u32::from_be_bytes(*len) as usize;
        if len > tail.len() {
            self.rest = &[];
            return Some(Err(format!(
                "a NAL unit of {len} bytes is longer than the {} bytes left",
                tail.len()
            )));
        }
        let (nal, next) = tail.split_at(len);
        self.rest = next;
        Some(Ok(nal))
    }
}

/// H.264's nal_unit_type of an IDR picture's slices.
const NAL_IDR_SLICE: u8 = 5;

/// Whether an MP4 sample of H.264 holds an IDR picture: where decoding can
/// start. An MP4 marks other pictures as sync samples too (the recovery
/// points of open GOPs), and OpenH264 decodes nothing from those until the
/// next IDR picture (it reports lost references and parameter sets).
pub(crate) fn is_idr(sample: &[u8]) -> bool {
    NalUnits { rest: sample }
        .map_while(Result::ok)
        .any(|nal| nal.first().is_some_and(|h| h & 0x1f == NAL_IDR_SLICE))
}

/// Appends the NAL units of an MP4 sample to `out`, each after a start code
/// (Annex B); whether one was an IDR slice.
fn append_annex_b(sample: &[u8], out: &mut Vec<u8>) -> Result<bool, String> {
    let mut idr = false;
    for nal in (NalUnits { rest: sample }) {
        let nal = nal?;
        if let Some(header) = nal.first() {
            idr |= header & 0x1f == NAL_IDR_SLICE;
            out.extend_from_slice(&[0, 0, 0, 1]);
            out.extend_from_slice(nal);
        }
    }
    Ok(idr)
}

/// What OpenH264's decoding state flags say, as words.
fn state_words(state: c_int) -> String {
    let words: Vec<&str> = [
        (sys::dsFramePending, "an incomplete picture"),
        (sys::dsRefLost, "a lost reference picture"),
        (sys::dsBitstreamError, "a damaged bitstream"),
        (sys::dsDepLayerLost, "a lost layer"),
        (
            sys::dsNoParamSets,
            "no parameter sets for it (after a frame fails, OpenH264 takes none until the next IDR picture)",
        ),
        (sys::dsDataErrorConcealed, "concealed errors"),
        (sys::dsRefListNullPtrs, "an incomplete reference list"),
        (sys::dsInvalidArgument, "an invalid argument"),
        (sys::dsInitialOptExpected, "an uninitialised decoder"),
        (
            sys::dsOutOfMemory,
            "no memory for it (or a frame over its 7 MB limit)",
        ),
        (sys::dsDstBufNeedExpan, "a picture larger than its buffer"),
    ]
    .into_iter()
    .filter(|(bit, _)| state & bit != 0)
    .map(|(_, word)| word)
    .collect();
    if words.is_empty() {
        "an error".into()
    } else {
        words.join(" and ")
    }
}

/// Copies a picture out of OpenH264's buffers, rows packed.
///
/// # Safety
///
/// `dst` and `info` are what OpenH264 gave with `iBufferStatus` 1, and no
/// call into it has been made since.
unsafe fn copy_picture(
    dst: &[*mut u8; 3],
    info: &sys::SBufferInfo,
    expected: (u32, u32),
) -> Result<Image, String> {
    // SAFETY: the system buffer is the union's only member.
    let b = unsafe { info.UsrData.sSystemBuffer };
    if b.iFormat != sys::videoFormatI420 as c_int {
        return Err(format!(
            "OpenH264 gave a picture in format {}, not I420",
            b.iFormat
        ));
    }
    if (b.iWidth as i64, b.iHeight as i64) != (expected.0 as i64, expected.1 as i64) {
        return Err(format!(
            "OpenH264 gave a {}x{} picture; the SPS says {}x{}",
            b.iWidth, b.iHeight, expected.0, expected.1
        ));
    }
    let (w, h) = (expected.0 as usize, expected.1 as usize);
    let (cw, ch) = (w.div_ceil(2), h.div_ceil(2));
    let (y_stride, c_stride) = (b.iStride[0], b.iStride[1]);
    if dst.iter().any(|p| p.is_null())
        || y_stride < 0
        || c_stride < 0
        || (y_stride as usize) < w
        || (c_stride as usize) < cw
    {
        return Err(format!(
            "OpenH264 gave a picture with no buffer or strides ({y_stride}, {c_stride}) narrower than it"
        ));
    }
    let (y_stride, c_stride) = (y_stride as isize, c_stride as isize);
    // SAFETY: each of OpenH264's planes holds its rows (`h`, or `ch` for
    // chroma) of at least `w` (`cw`) bytes, its stride apart, from `dst[i]`
    // (its picture buffer, cropping applied), valid until the next call
    // into it.
    let [y, u, v] = unsafe {
        [
            copy_plane(dst[0], y_stride, w, h),
            copy_plane(dst[1], c_stride, cw, ch),
            copy_plane(dst[2], c_stride, cw, ch),
        ]
    };
    Ok(Image::Yuv420 {
        width: expected.0,
        height: expected.1,
        y,
        u,
        v,
    })
}

impl Decoder for H264Decoder {
    fn can_start(&self, packet: &Packet) -> bool {
        packet.keyframe && is_idr(&packet.data)
    }

    fn decode(&mut self, packet: &Packet, out: &mut Vec<Image>) -> Result<(), DecodeError> {
        let index = packet.index;
        if self.raw.is_none() {
            self.raw = Some(Raw::new()?);
            self.primed = false;
        }
        self.annex_b.clear();
        if !self.primed {
            self.annex_b.extend_from_slice(&self.headers);
        }
        let start = self.annex_b.len();
        let idr = append_annex_b(&packet.data, &mut self.annex_b)
            .map_err(|e| DecodeError(format!("its frame {index} is damaged: {e}")))?;
        if self.annex_b.len() == start {
            // No NAL unit: nothing to decode, no picture to wait for.
            return Ok(());
        }
        if !self.primed && !idr {
            return Err(DecodeError(if packet.keyframe {
                format!("its frame {index} cannot start decoding: it is a keyframe but not an IDR picture (a recovery point of an open GOP), and OpenH264 starts only at IDR pictures")
            } else {
                format!("its frame {index} cannot start decoding: it is not a keyframe (decoding starts at an IDR picture)")
            }));
        }
        let len = c_int::try_from(self.annex_b.len()).map_err(|_| {
            DecodeError(format!(
                "its frame {index} is {} bytes, more than OpenH264 takes",
                packet.data.len()
            ))
        })?;
        let stamp = self.fed;
        self.fed += 1;
        self.waiting.push(Fed {
            stamp,
            pts: packet.pts,
            index,
        });
        let mut dst = [ptr::null_mut::<u8>(); 3];
        let mut info = sys::SBufferInfo {
            uiInBsTimeStamp: stamp,
            ..Default::default()
        };
        let raw = self.raw.as_ref().expect("made above");
        // SAFETY: live decoder; the input is `len` readable bytes, dst and
        // info are valid out-parameters.
        let state = unsafe {
            (raw.vtbl().DecodeFrameNoDelay.unwrap())(
                raw.0,
                self.annex_b.as_ptr(),
                len,
                dst.as_mut_ptr(),
                &mut info,
            )
        };
        self.primed = true;
        if state != sys::dsErrorFree {
            // This packet gives no picture (OpenH264 conceals nothing); a
            // picture of it that still comes out is dropped in `take`.
            self.waiting.retain(|f| f.stamp != stamp);
            return Err(DecodeError(format!(
                "its frame {index} cannot be decoded: OpenH264 reports {} (code {state:#x})",
                state_words(state)
            )));
        }
        if info.iBufferStatus == 1 {
            // SAFETY: just returned with status 1, no call since.
            unsafe { self.take(&dst, &info)? };
        }
        if let Some(at) = self
            .waiting
            .iter()
            .position(|f| f.stamp + MAX_DELAY < self.fed)
        {
            let lost = self.waiting.remove(at);
            return Err(DecodeError(format!(
                "its frame {} gave no picture: OpenH264 still held none for it {MAX_DELAY} frames later",
                lost.index
            )));
        }
        self.release(out, false);
        Ok(())
    }

    fn flush(&mut self, out: &mut Vec<Image>) -> Result<(), DecodeError> {
        let mut result = Ok(());
        if let Some(raw) = self.raw.take() {
            // One picture a call; OpenH264 holds at most 16.
            for _ in 0..=MAX_DELAY {
                let mut dst = [ptr::null_mut::<u8>(); 3];
                let mut info = sys::SBufferInfo::default();
                // SAFETY: live decoder; dst and info are valid out-parameters.
                let state =
                    unsafe { (raw.vtbl().FlushFrame.unwrap())(raw.0, dst.as_mut_ptr(), &mut info) };
                if state != sys::dsErrorFree {
                    result = Err(DecodeError(format!(
                        "its last frames cannot be decoded: OpenH264 reports {} (code {state:#x})",
                        state_words(state)
                    )));
                    break;
                }
                if info.iBufferStatus != 1 {
                    break;
                }
                // SAFETY: just returned with status 1, no call since.
                if let Err(e) = unsafe { self.take(&dst, &info) } {
                    result = Err(e);
                    break;
                }
            }
            // The instance goes (dropped here); the next packet makes a new
            // one, fed the parameter sets first.
        }
        if result.is_ok() {
            if let Some(lost) = self.waiting.first() {
                result = Err(DecodeError(format!(
                    "its frame {} gave no picture (OpenH264 dropped it)",
                    lost.index
                )));
            }
        }
        self.release(out, true);
        self.waiting.clear();
        result
    }
}

#[cfg(test)]
mod tests {
    use std::fs::{self, File};
    use std::path::Path;

    use proptest::prelude::*;

    use super::*;
    use crate::demux::mp4::{Mode, Mp4Demuxer};
    use crate::demux::Demuxer;
    use crate::testing::{ffmpeg_frames, yuv420p, yuv420p_bytes, TempDir};
    use crate::{Frame, PixelLayout, Rational, VideoWriter, WriterConfig};

    // ------------------------------------------------------------ helpers

    /// Runs ffmpeg (Debian's, with libx264, which these tests need):
    /// `input_options` (words) and `-i input`, then `options` (words) and
    /// `output` (stdout if `None`); gives its stdout.
    fn ffmpeg(input_options: &str, input: &str, options: &str, output: Option<&Path>) -> Vec<u8> {
        let args: Vec<&str> = input_options
            .split_whitespace()
            .chain(["-i", input])
            .chain(options.split_whitespace())
            .chain([output.map_or("-", path_str)])
            .collect();
        crate::testing::ffmpeg(&args)
    }

    fn path_str(path: &Path) -> &str {
        path.to_str().unwrap()
    }

    /// ffmpeg's decode of every picture of `path` (yuv420p, planes packed),
    /// one vector a picture.
    fn ffmpeg_pictures(path: &Path, (w, h): (u32, u32)) -> Vec<Vec<u8>> {
        ffmpeg_frames(&[], path, "yuv420p", yuv420p_bytes(w, h))
    }

    fn open(path: &Path) -> Mp4Demuxer<File> {
        let file = File::open(path).unwrap();
        let len = file.metadata().unwrap().len();
        Mp4Demuxer::open_for(file, len, Mode::Read)
            .unwrap_or_else(|e| panic!("the demuxer cannot read {}: {e:?}", path.display()))
    }

    /// Decodes `count` packets from sample `from` (a keyframe) on, then
    /// flushes; also gives the packets, in decoding order.
    fn decode_run(
        demuxer: &mut Mp4Demuxer<File>,
        decoder: &mut dyn Decoder,
        from: usize,
        count: usize,
    ) -> (Vec<Image>, Vec<Packet>) {
        demuxer.seek(from).unwrap();
        let (mut images, mut packets) = (Vec::new(), Vec::new());
        for _ in 0..count {
            let packet = demuxer.next_packet().unwrap().expect("a packet");
            decoder
                .decode(&packet, &mut images)
                .unwrap_or_else(|e| panic!("{}", e.0));
            packets.push(packet);
        }
        decoder
            .flush(&mut images)
            .unwrap_or_else(|e| panic!("{}", e.0));
        (images, packets)
    }

    /// Mean squared error of two planes.
    fn mse(a: &[u8], b: &[u8]) -> f64 {
        assert_eq!(a.len(), b.len());
        let sum: f64 = a
            .iter()
            .zip(b)
            .map(|(&x, &y)| (x as f64 - y as f64).powi(2))
            .sum();
        sum / a.len() as f64
    }

    fn psnr(mse: f64) -> f64 {
        if mse == 0.0 {
            f64::INFINITY
        } else {
            10.0 * (255.0f64 * 255.0 / mse).log10()
        }
    }

    /// The ranges of the Y, U and V planes in a packed picture.
    fn plane_ranges(w: u32, h: u32) -> [std::ops::Range<usize>; 3] {
        let (w, h) = (w as usize, h as usize);
        let (l, c) = (w * h, w.div_ceil(2) * h.div_ceil(2));
        [0..l, l..l + c, l + c..l + 2 * c]
    }

    // ------------------------------------------- framesink's own stream

    /// A moving ramp, different in every frame.
    fn ramp(w: u32, h: u32, i: u32) -> Vec<u8> {
        let mut rgb = Vec::with_capacity((w * h * 3) as usize);
        for y in 0..h {
            for x in 0..w {
                rgb.push((x * 4 + i * 3) as u8);
                rgb.push((y * 5 + i * 2) as u8);
                rgb.push(((x + y) * 2 + i * 7) as u8);
            }
        }
        rgb
    }

    #[test]
    fn framesink_streams_decode_exactly_as_ffmpeg_decodes_them() {
        let dir = TempDir::new("h264-own");
        // (frame size, coded size in the SPS, picture size after cropping)
        for ((w, h), coded, shown) in [
            ((64, 48), (64, 48), (64, 48)),
            ((33, 17), (48, 32), (34, 18)),
        ] {
            let path = dir.join(&format!("own-{w}x{h}.mp4"));
            let config = WriterConfig::default()
                .with_fps(Rational::integer(24))
                .with_keyframe_interval(12);
            let mut writer = VideoWriter::create(&path, config).unwrap();
            for i in 0..48 {
                let rgb = ramp(w, h, i);
                writer
                    .push_frame(Frame::new(&rgb, w, h, PixelLayout::Rgb8))
                    .unwrap();
            }
            writer.finish().unwrap();

            let mut demuxer = open(&path);
            let info = demuxer.info().clone();
            let description = crate::decode::describe(&info).unwrap();
            assert_eq!(description.profile, "High");
            assert_eq!(description.bit_depth, 8);
            assert_eq!((description.coded_width, description.coded_height), coded);
            let bt709 = ColorTags {
                primaries: 1,
                transfer: 1,
                matrix: 1,
                full_range: false,
            };
            assert_eq!(description.colour, Some(bt709));
            let config = info.config.as_ref().unwrap();
            assert_eq!(display_size(config), Some(shown));

            let reference = ffmpeg_pictures(&path, shown);
            assert_eq!(reference.len(), 48);
            let mut decoder = crate::decode::decoder(&info).unwrap();
            let (images, _) = decode_run(&mut demuxer, &mut *decoder, 0, 48);
            assert_eq!(images.len(), 48, "{w}x{h}: pictures decoded");
            for (i, (image, want)) in images.iter().zip(&reference).enumerate() {
                assert_eq!(image.size(), shown, "{w}x{h} picture {i}");
                assert!(
                    yuv420p(image) == *want,
                    "{w}x{h} picture {i} differs from ffmpeg's"
                );
            }

            // After a flush the same decoder starts again at any keyframe:
            // a later GOP, then an earlier one.
            for from in [24, 12] {
                let (images, _) = decode_run(&mut demuxer, &mut *decoder, from, 12);
                assert_eq!(images.len(), 12);
                for (i, image) in images.iter().enumerate() {
                    assert!(
                        yuv420p(image) == reference[from + i],
                        "{w}x{h} picture {} decoded from keyframe {from} differs",
                        from + i
                    );
                }
            }
        }
    }

    // ------------------------------------------ x264 with B-frames

    #[test]
    fn x264_with_b_frames_decodes_whole_in_presentation_order() {
        let dir = TempDir::new("h264-x264");
        let (w, h, n) = (312u32, 236u32, 60usize);
        // ffmpeg's moving test pattern, every frame unlike the others.
        let src = dir.join("src.yuv");
        ffmpeg(
            "-f lavfi",
            "testsrc2=size=312x236:rate=25",
            "-frames:v 60 -f rawvideo -pix_fmt yuv420p",
            Some(&src),
        );
        let sources: Vec<Vec<u8>> = fs::read(&src)
            .unwrap()
            .chunks(yuv420p_bytes(w, h))
            .map(<[u8]>::to_vec)
            .collect();
        assert_eq!(sources.len(), n);
        let path = dir.join("b.mp4");
        // Three B-frames between references (b-adapt=0: always), the middle
        // one a reference (pyramid), two GOPs.
        ffmpeg(
            "-f rawvideo -pix_fmt yuv420p -s 312x236 -r 25",
            path_str(&src),
            "-c:v libx264 -profile:v high -pix_fmt yuv420p -bf 3 -b-pyramid normal \
             -x264-params b-adapt=0 -g 30",
            Some(&path),
        );

        let mut demuxer = open(&path);
        let info = demuxer.info().clone();
        let description = crate::decode::describe(&info).unwrap();
        assert_eq!(description.profile, "High");
        assert_eq!(
            (description.coded_width, description.coded_height),
            (320, 240)
        );
        assert_eq!(display_size(info.config.as_ref().unwrap()), Some((w, h)));
        let mut decoder = crate::decode::decoder(&info).unwrap();
        let (images, packets) = decode_run(&mut demuxer, &mut *decoder, 0, n);
        assert!(
            packets.windows(2).any(|p| p[1].pts < p[0].pts),
            "x264 made no reordered frames"
        );
        assert_eq!(images.len(), n, "pictures decoded from {n} packets");

        // In presentation order: each picture is nearest its own source of
        // those up to 8 frames either way (B-frames move a picture by a few
        // places at most).
        let luma = plane_ranges(w, h)[0].clone();
        for (i, image) in images.iter().enumerate() {
            let y = &yuv420p(image)[luma.clone()];
            let nearest = (i.saturating_sub(8)..(i + 9).min(n))
                .min_by_key(|&j| {
                    // Every fourth sample is plenty, and quick.
                    y.iter()
                        .zip(&sources[j][luma.clone()])
                        .step_by(4)
                        .map(|(&a, &b)| a.abs_diff(b) as u64)
                        .sum::<u64>()
                })
                .unwrap();
            assert_eq!(nearest, i, "picture {i} looks like source frame {nearest}");
        }

        // Close to ffmpeg's decode, plane by plane, not equal: OpenH264
        // deblocks some edges in B-slices otherwise than ffmpeg (x264's
        // streams decode bit-exact with deblocking off, or with no
        // B-frames), and the differences carry on through references.
        let reference = ffmpeg_pictures(&path, (w, h));
        assert_eq!(reference.len(), n);
        let mut total = [0.0f64; 3];
        let mut worst = [f64::INFINITY; 3];
        let mut exact = 0;
        for (image, want) in images.iter().zip(&reference) {
            let got = yuv420p(image);
            exact += usize::from(got == *want);
            for (p, range) in plane_ranges(w, h).into_iter().enumerate() {
                let e = mse(&got[range.clone()], &want[range]);
                total[p] += e;
                worst[p] = worst[p].min(psnr(e));
            }
        }
        let mean = total.map(|t| psnr(t / n as f64));
        println!(
            "x264 High, 3 B-frames, b-pyramid: {exact} of {n} pictures as ffmpeg's; PSNR against ffmpeg's decode: Y {:.1} U {:.1} V {:.1} dB overall, worst picture Y {:.1} U {:.1} V {:.1} dB",
            mean[0], mean[1], mean[2], worst[0], worst[1], worst[2]
        );
        for p in 0..3 {
            assert!(mean[p] >= 40.0, "plane {p}: {:.1} dB overall", mean[p]);
            assert!(
                worst[p] >= 35.0,
                "plane {p}: {:.1} dB in its worst picture",
                worst[p]
            );
        }
    }

    // ----------------------------------------------------------- refusals

    /// Encodes two 64x48 frames with ffmpeg's libx264 and `args` (words), and gives
    /// what describe() and decoder() say of the file.
    fn x264_verdict(dir: &TempDir, name: &str, args: &str) -> (String, String) {
        let path = dir.join(&format!("{name}.mp4"));
        ffmpeg(
            "-f lavfi",
            "testsrc2=size=64x48:rate=25",
            &format!("-frames:v 2 -c:v libx264 {args}"),
            Some(&path),
        );
        let info = open(&path).info().clone();
        let described = crate::decode::describe(&info).expect_err(name).0;
        let made = crate::decode::decoder(&info).err().expect(name).0;
        (described, made)
    }

    #[test]
    fn describe_refuses_what_openh264_cannot_decode_by_name() {
        let dir = TempDir::new("h264-refusals");
        for (name, args, words) in [
            (
                "high10",
                "-pix_fmt yuv420p10le",
                "its H.264 is High 10 (10-bit); framesink decodes 8-bit H.264 (OpenH264); read it through ffmpeg",
            ),
            (
                "high444",
                "-pix_fmt yuv444p -profile:v high444",
                "its H.264 is High 4:4:4 Predictive in 4:4:4 (chroma_format_idc 3); framesink decodes 4:2:0 H.264",
            ),
            (
                "high422",
                "-pix_fmt yuv422p",
                "its H.264 is High 4:2:2 in 4:2:2 (chroma_format_idc 2)",
            ),
            (
                "interlaced",
                "-pix_fmt yuv420p -flags +ildct+ilme -x264-params interlaced=1",
                "its H.264 is interlaced (frame_mbs_only_flag 0: field or MBAFF pictures); framesink decodes progressive H.264",
            ),
            (
                "level61",
                "-pix_fmt yuv420p -level:v 6.1",
                "its H.264 is level 6.1 (level_idc 61); framesink decodes levels 1 to 5.2",
            ),
            (
                "lossless",
                "-pix_fmt yuv420p -qp 0",
                "its H.264 profile is High 4:4:4 Predictive (profile_idc 244); framesink decodes the Constrained Baseline, Baseline, Main, Extended and High profiles",
            ),
        ] {
            let (described, made) = x264_verdict(&dir, name, args);
            println!("{name}: {described}");
            assert!(described.starts_with(words), "{name}: {described}");
            assert!(described.ends_with(THROUGH_FFMPEG), "{name}: {described}");
            assert_eq!(made, described, "{name}: the decoder refuses it as describe() does");
        }
    }

    // ------------------------------------------------ SPSs made to order

    /// Writes the bits of an RBSP.
    #[derive(Default)]
    struct BitWriter {
        bytes: Vec<u8>,
        bits: usize,
    }

    impl BitWriter {
        fn u(&mut self, n: u32, v: u64) {
            for i in (0..n).rev() {
                if self.bits % 8 == 0 {
                    self.bytes.push(0);
                }
                let bit = ((v >> i) & 1) as u8;
                *self.bytes.last_mut().unwrap() |= bit << (7 - self.bits % 8);
                self.bits += 1;
            }
        }

        fn flag(&mut self, b: bool) {
            self.u(1, b as u64);
        }

        fn ue(&mut self, v: u64) {
            let n = 64 - (v + 1).leading_zeros();
            self.u(n - 1, 0);
            self.u(n, v + 1);
        }

        fn se(&mut self, v: i64) {
            self.ue(if v > 0 {
                2 * v as u64 - 1
            } else {
                2 * v.unsigned_abs()
            });
        }

        /// The NAL unit: header, then the RBSP with its stop bit and
        /// emulation-prevention bytes.
        fn nal(mut self, header: u8) -> Vec<u8> {
            self.flag(true);
            let mut out = vec![header];
            let mut zeros = 0;
            for b in self.bytes {
                if zeros >= 2 && b <= 3 {
                    out.push(3);
                    zeros = 0;
                }
                zeros = if b == 0 { zeros + 1 } else { 0 };
                out.push(b);
            }
            out
        }
    }

    /// How pictures are ordered: pic_order_cnt_type 0, 1 or 2.
    #[derive(Clone, Debug)]
    enum Poc {
        Lsb,
        Cycle(Vec<i64>),
        Frames,
    }

    /// colour_primaries, transfer_characteristics, matrix_coefficients.
    type Tags = (u8, u8, u8);

    /// The fields of an SPS to write; `Default` is 320x240 High 4:2:0
    /// 8-bit, level 3.0.
    #[derive(Clone, Debug)]
    struct SpsFields {
        profile_idc: u8,
        constraints: u8,
        level_idc: u8,
        chroma_format_idc: u64,
        separate_colour_plane: bool,
        bit_depth_minus8: (u64, u64),
        /// Each list: absent, or its deltas.
        scaling_lists: Option<Vec<Option<Vec<i64>>>>,
        poc: Poc,
        width_mbs: u64,
        height_map_units: u64,
        frame_mbs_only: bool,
        mbaff: bool,
        crop: Option<[u64; 4]>,
        /// aspect_ratio_idc (and sar_width, sar_height for 255).
        aspect: Option<(u8, u16, u16)>,
        overscan: Option<bool>,
        /// video_format, video_full_range_flag, colour description.
        signal: Option<(u8, bool, Option<Tags>)>,
    }

    impl Default for SpsFields {
        fn default() -> Self {
            SpsFields {
                profile_idc: 100,
                constraints: 0,
                level_idc: 30,
                chroma_format_idc: 1,
                separate_colour_plane: false,
                bit_depth_minus8: (0, 0),
                scaling_lists: None,
                poc: Poc::Lsb,
                width_mbs: 20,
                height_map_units: 15,
                frame_mbs_only: true,
                mbaff: false,
                crop: None,
                aspect: None,
                overscan: None,
                signal: None,
            }
        }
    }

    impl SpsFields {
        fn nal(&self) -> Vec<u8> {
            let mut bits = BitWriter::default();
            let w = &mut bits;
            w.u(8, self.profile_idc as u64);
            w.u(8, self.constraints as u64);
            w.u(8, self.level_idc as u64);
            w.ue(0);
            if HIGH_SYNTAX_PROFILES.contains(&self.profile_idc) {
                w.ue(self.chroma_format_idc);
                if self.chroma_format_idc == 3 {
                    w.flag(self.separate_colour_plane);
                }
                w.ue(self.bit_depth_minus8.0);
                w.ue(self.bit_depth_minus8.1);
                w.flag(false);
                w.flag(self.scaling_lists.is_some());
                for (i, list) in self.scaling_lists.iter().flatten().enumerate() {
                    w.flag(list.is_some());
                    let Some(deltas) = list else { continue };
                    let (mut last, mut next, mut k) = (8i64, 8i64, 0);
                    for _ in 0..if i < 6 { 16 } else { 64 } {
                        if next != 0 {
                            // Out of deltas: the list is cut short (a
                            // damaged SPS, for the refusal tests).
                            let Some(&d) = deltas.get(k) else { break };
                            k += 1;
                            w.se(d);
                            next = (last + d + 256).rem_euclid(256);
                        }
                        if next != 0 {
                            last = next;
                        }
                    }
                    assert_eq!(k, deltas.len(), "scaling list {i} has deltas left over");
                }
            }
            w.ue(0); // log2_max_frame_num_minus4
            match &self.poc {
                Poc::Lsb => {
                    w.ue(0);
                    w.ue(2);
                }
                Poc::Cycle(offsets) => {
                    w.ue(1);
                    w.flag(false);
                    w.se(-1);
                    w.se(2);
                    w.ue(offsets.len() as u64);
                    for &o in offsets {
                        w.se(o);
                    }
                }
                Poc::Frames => w.ue(2),
            }
            w.ue(4); // max_num_ref_frames
            w.flag(false);
            w.ue(self.width_mbs - 1);
            w.ue(self.height_map_units - 1);
            w.flag(self.frame_mbs_only);
            if !self.frame_mbs_only {
                w.flag(self.mbaff);
            }
            w.flag(true); // direct_8x8_inference_flag
            w.flag(self.crop.is_some());
            for &c in self.crop.iter().flatten() {
                w.ue(c);
            }
            let vui = self.aspect.is_some() || self.overscan.is_some() || self.signal.is_some();
            w.flag(vui);
            if vui {
                w.flag(self.aspect.is_some());
                if let Some((idc, sw, sh)) = self.aspect {
                    w.u(8, idc as u64);
                    if idc == 255 {
                        w.u(16, sw as u64);
                        w.u(16, sh as u64);
                    }
                }
                w.flag(self.overscan.is_some());
                if let Some(o) = self.overscan {
                    w.flag(o);
                }
                w.flag(self.signal.is_some());
                if let Some((format, full, description)) = self.signal {
                    w.u(3, format as u64);
                    w.flag(full);
                    w.flag(description.is_some());
                    if let Some((p, t, m)) = description {
                        w.u(8, p as u64);
                        w.u(8, t as u64);
                        w.u(8, m as u64);
                    }
                }
                // chroma_loc_info_present_flag, timing_info_present_flag,
                // the HRDs, pic_struct_present_flag,
                // bitstream_restriction_flag.
                w.u(6, 0);
            }
            bits.nal(0x67)
        }

        fn config(&self) -> CodecConfig {
            CodecConfig::Avc {
                sps: self.nal(),
                pps: vec![0x68, 0xee, 0x3c, 0x80],
            }
        }

        fn describe(&self) -> Result<Description, String> {
            describe(&self.config()).map_err(|e| e.0)
        }
    }

    /// The SPS of x264's 120x68 High stream (with `-x264-params cqm=jvt`,
    /// SAR 4:3, BT.709 tags) and of framesink's own 64x48 and 33x17.
    const REAL_SPSS: [&str; 3] = [
        "6764000aacd9420be59f0e6a020202800000030080000019078912cb",
        "67640c0aac18d08e4d40404041e1108d40",
        "67640c0aac18d1ab11113501010107844235",
    ];

    fn unhex(s: &str) -> Vec<u8> {
        (0..s.len())
            .step_by(2)
            .map(|i| u8::from_str_radix(&s[i..i + 2], 16).unwrap())
            .collect()
    }

    #[test]
    fn real_spss_are_read() {
        let [x264, own64, own33] = REAL_SPSS.map(|s| Sps::parse(&unhex(s)).unwrap());
        assert_eq!(
            (x264.coded_size(), x264.display_size()),
            ((128, 80), (120, 68))
        );
        assert_eq!(x264.sample_aspect, Some((4, 3)));
        assert_eq!(x264.profile_name(), "High");
        let bt709 = ColorTags {
            primaries: 1,
            transfer: 1,
            matrix: 1,
            full_range: false,
        };
        assert_eq!(x264.colour, Some(bt709));
        // OpenH264 sets constraint_set4 and 5 (Constrained High); ffprobe
        // says "High", and so does framesink.
        assert_eq!(own64.profile_name(), "High");
        assert_eq!(
            (own64.coded_size(), own64.display_size()),
            ((64, 48), (64, 48))
        );
        assert_eq!(
            (own33.coded_size(), own33.display_size()),
            ((48, 32), (34, 18))
        );
        assert_eq!(own33.colour, Some(bt709));
    }

    #[test]
    fn every_branch_of_the_sps_is_read() {
        // 4:2:0 with all eight scaling lists in their three forms (absent,
        // "use the default" by a first delta to 0, explicit with an early
        // end), POC type 1 with a cycle of offsets long enough to need
        // emulation-prevention bytes, cropping, an Extended SAR, overscan,
        // full-range BT.2020 PQ.
        let fields = SpsFields {
            scaling_lists: Some(vec![
                None,
                Some(vec![-8]),
                Some(vec![2, 3, -13]),
                Some(vec![0; 16]),
                None,
                None,
                Some(vec![1; 64]),
                Some(vec![-8]),
            ]),
            poc: Poc::Cycle(vec![-(1 << 29), 3, 70_000]),
            width_mbs: 120,
            height_map_units: 68,
            crop: Some([0, 0, 0, 4]),
            aspect: Some((255, 64, 45)),
            overscan: Some(true),
            signal: Some((5, true, Some((9, 16, 9)))),
            level_idc: 40,
            ..Default::default()
        };
        let nal = fields.nal();
        assert!(
            nal.windows(3).any(|w| w == [0, 0, 3]),
            "the SPS needs emulation prevention: {nal:02x?}"
        );
        let sps = Sps::parse(&nal).unwrap();
        assert_eq!(
            (sps.coded_size(), sps.display_size()),
            ((1920, 1088), (1920, 1080))
        );
        assert_eq!(sps.sample_aspect, Some((64, 45)));
        let d = fields.describe().unwrap();
        assert_eq!(
            d,
            Description {
                profile: "High".into(),
                bit_depth: 8,
                coded_width: 1920,
                coded_height: 1088,
                colour: Some(ColorTags {
                    primaries: 9,
                    transfer: 16,
                    matrix: 9,
                    full_range: true,
                }),
            }
        );
        assert_eq!(display_size(&fields.config()), Some((1920, 1080)));
        assert_eq!(sample_aspect(&fields.config()), Some((64, 45)));

        // A video signal type with no colour description: unspecified tags.
        let plain = SpsFields {
            signal: Some((5, false, None)),
            aspect: Some((14, 0, 0)),
            poc: Poc::Frames,
            ..Default::default()
        };
        assert_eq!(plain.describe().unwrap().colour, Some(ColorTags::default()));
        assert_eq!(sample_aspect(&plain.config()), Some((4, 3)));
        assert_eq!(SpsFields::default().describe().unwrap().colour, None);

        // Baseline, Main and Extended have no chroma format or scaling lists.
        for (idc, constraints, name) in [
            (66, 0x40, "Constrained Baseline"),
            (66, 0, "Baseline"),
            (77, 0, "Main"),
            (88, 0, "Extended"),
        ] {
            let fields = SpsFields {
                profile_idc: idc,
                constraints,
                crop: Some([1, 3, 2, 0]),
                ..Default::default()
            };
            let d = fields.describe().unwrap();
            assert_eq!(d.profile, name);
            assert_eq!((d.coded_width, d.coded_height), (320, 240));
            assert_eq!(display_size(&fields.config()), Some((312, 236)));
        }

        // 4:4:4 has twelve scaling lists; separate planes crop by luma samples.
        let planes = SpsFields {
            profile_idc: 244,
            chroma_format_idc: 3,
            separate_colour_plane: true,
            scaling_lists: Some(vec![Some(vec![-8]); 12]),
            crop: Some([1, 0, 0, 1]),
            ..Default::default()
        };
        let sps = Sps::parse(&planes.nal()).unwrap();
        assert!(sps.separate_colour_plane);
        assert_eq!(sps.display_size(), (319, 239));
        assert!(planes
            .describe()
            .unwrap_err()
            .starts_with("its H.264 is High 4:4:4 Predictive in 4:4:4 in separate colour planes (chroma_format_idc 3)"));
    }

    #[test]
    fn made_up_spss_are_refused_by_name() {
        let refused = |fields: SpsFields, words: &str| {
            let e = fields.describe().unwrap_err();
            assert!(e.starts_with(words), "{e}\n does not start with\n{words}");
        };
        refused(
            SpsFields {
                chroma_format_idc: 0,
                ..Default::default()
            },
            "its H.264 is High in 4:0:0 (monochrome) (chroma_format_idc 0)",
        );
        refused(
            SpsFields {
                profile_idc: 110,
                bit_depth_minus8: (2, 0),
                ..Default::default()
            },
            "its H.264 is High 10 (10-bit luma, 8-bit chroma); framesink decodes 8-bit H.264",
        );
        refused(
            SpsFields {
                profile_idc: 110,
                constraints: 0x10,
                ..Default::default()
            },
            "its H.264 profile is High 10 Intra (profile_idc 110)",
        );
        // Interlaced: the map units are field pairs, cropping is by two rows.
        let mbaff = SpsFields {
            frame_mbs_only: false,
            mbaff: true,
            height_map_units: 8,
            crop: Some([0, 0, 0, 2]),
            ..Default::default()
        };
        let sps = Sps::parse(&mbaff.nal()).unwrap();
        assert_eq!(
            (sps.coded_size(), sps.display_size()),
            ((320, 256), (320, 248))
        );
        refused(
            mbaff,
            "its H.264 is interlaced (frame_mbs_only_flag 0: field or MBAFF pictures)",
        );
        refused(
            SpsFields {
                frame_mbs_only: false,
                ..Default::default()
            },
            "its H.264 is interlaced (frame_mbs_only_flag 0: field pictures)",
        );
        refused(
            SpsFields {
                profile_idc: 123,
                ..Default::default()
            },
            "its H.264 profile is profile_idc 123; framesink decodes the Constrained",
        );
        refused(
            SpsFields {
                level_idc: 62,
                ..Default::default()
            },
            "its H.264 is level 6.2 (level_idc 62); framesink decodes levels 1 to 5.2",
        );
        assert!(SpsFields {
            level_idc: 9,
            ..Default::default()
        }
        .describe()
        .is_ok());
        refused(
            SpsFields {
                width_mbs: 512,
                height_map_units: 80,
                level_idc: 52,
                ..Default::default()
            },
            "its H.264 picture is 8192x1280 (40960 macroblocks of 16x16); framesink decodes at most 36864",
        );
        refused(
            SpsFields {
                width_mbs: 1025,
                height_map_units: 1,
                ..Default::default()
            },
            "its H.264 picture is 16400x16; framesink reads pictures of at most 16384 pixels a side",
        );
        refused(
            SpsFields {
                crop: Some([80, 80, 0, 0]),
                ..Default::default()
            },
            "its H.264 sequence parameter set (SPS) is damaged: its frame cropping (left 80, right 80, top 0, bottom 0, in units of 2x2 pixels) leaves nothing of its 320x240 picture",
        );
        refused(
            SpsFields {
                chroma_format_idc: 4,
                ..Default::default()
            },
            "its H.264 sequence parameter set (SPS) is damaged: its chroma_format_idc is 4; H.264 allows 0 to 3",
        );
        refused(
            SpsFields {
                scaling_lists: Some(vec![Some(vec![200])]),
                ..Default::default()
            },
            "its H.264 sequence parameter set (SPS) is damaged: a scaling list's delta_scale is 200; H.264 allows -128 to 127",
        );
        let config = |sps: Vec<u8>, pps: Vec<u8>| CodecConfig::Avc { sps, pps };
        let good = SpsFields::default().nal();
        for (config, words) in [
            (
                config(vec![], vec![0x68]),
                "its H.264 sequence parameter set (SPS) is damaged: it is empty",
            ),
            (
                config(vec![0x68, 0x64], vec![0x68]),
                "its H.264 sequence parameter set (SPS) is damaged: its NAL unit header is 0x68, not that of an SPS (type 7)",
            ),
            (
                config(good[..6].to_vec(), vec![0x68]),
                "its H.264 sequence parameter set (SPS) is damaged: it ends inside",
            ),
            (
                config(good.clone(), vec![]),
                "its H.264 picture parameter set (PPS) is empty",
            ),
            (
                config(good.clone(), vec![0x67]),
                "its H.264 picture parameter set (PPS) is damaged: its NAL unit header is 0x67, not that of a PPS (type 8)",
            ),
            (
                config(vec![0x67, 0x64, 0, 0x1e, 0, 0, 0, 0, 0x80], vec![0x68]),
                "its H.264 sequence parameter set (SPS) is damaged: its seq_parameter_set_id is an exp-Golomb code longer than 32 bits",
            ),
        ] {
            let e = describe(&config).unwrap_err().0;
            assert!(e.starts_with(words), "{e}\n does not start with\n{words}");
        }
        let av1 = CodecConfig::Av1 {
            level: 0,
            sequence_header: vec![],
        };
        assert!(describe(&av1).is_err());
        assert_eq!(display_size(&av1), None);
    }

    /// Every SPS the tests know: real ones and made-up ones of every branch.
    fn known_spss() -> Vec<Vec<u8>> {
        let mut all: Vec<Vec<u8>> = REAL_SPSS.iter().map(|s| unhex(s)).collect();
        for fields in [
            SpsFields {
                scaling_lists: Some(vec![
                    Some(vec![2, 3, -13]),
                    None,
                    Some(vec![1; 16]),
                    None,
                    None,
                    None,
                    Some(vec![-8]),
                    Some(vec![3; 64]),
                ]),
                poc: Poc::Cycle(vec![5, -6, 70_000]),
                crop: Some([1, 2, 3, 4]),
                aspect: Some((255, 64, 45)),
                overscan: Some(false),
                signal: Some((5, false, Some((1, 1, 1)))),
                ..Default::default()
            },
            SpsFields {
                profile_idc: 244,
                chroma_format_idc: 3,
                separate_colour_plane: true,
                scaling_lists: Some(vec![Some(vec![-8]); 12]),
                frame_mbs_only: false,
                mbaff: true,
                ..Default::default()
            },
            SpsFields {
                profile_idc: 66,
                poc: Poc::Frames,
                aspect: Some((3, 0, 0)),
                ..Default::default()
            },
        ] {
            all.push(fields.nal());
        }
        all
    }

    #[test]
    fn damaged_spss_never_panic() {
        for sps in known_spss() {
            // Every truncation, and every single bit flipped.
            for end in 0..=sps.len() {
                let _ = describe(&CodecConfig::Avc {
                    sps: sps[..end].to_vec(),
                    pps: vec![0x68, 0xee, 0x3c, 0x80],
                });
            }
            for bit in 0..sps.len() * 8 {
                let mut damaged = sps.clone();
                damaged[bit / 8] ^= 0x80 >> (bit % 8);
                let config = CodecConfig::Avc {
                    sps: damaged,
                    pps: vec![0x68, 0xee, 0x3c, 0x80],
                };
                if let Ok(d) = describe(&config) {
                    assert!(d.coded_width <= 16384 && d.coded_height <= 16384);
                }
                let _ = display_size(&config);
                let _ = sample_aspect(&config);
            }
        }
    }

    proptest! {
        // Random bytes after an SPS header: refused or read, never a panic,
        // never a size over the limit.
        #[test]
        fn random_spss_never_panic(body in proptest::collection::vec(any::<u8>(), 0..64)) {
            let sps = [&[0x67][..], &body].concat();
            let config = CodecConfig::Avc { sps, pps: vec![0x68, 0xee, 0x3c, 0x80] };
            if let Ok(d) = describe(&config) {
                prop_assert!(d.coded_width <= 16384 && d.coded_height <= 16384);
            }
            let _ = display_size(&config);
        }

        // Random samples: NAL units read or refused, never a panic.
        #[test]
        fn random_samples_never_panic(sample in proptest::collection::vec(any::<u8>(), 0..64)) {
            let mut out = Vec::new();
            if append_annex_b(&sample, &mut out).is_ok() {
                prop_assert!(out.len() <= sample.len());
            }
            let _ = is_idr(&sample);
        }
    }

    // ------------------------------------------- damaged and odd packets

    /// Writes a framesink movie of `frames` 64x48 frames, a keyframe every
    /// 12, and gives its stream and packets.
    fn own_packets(dir: &TempDir, frames: u32) -> (StreamInfo, Vec<Packet>) {
        let path = dir.join("own.mp4");
        let config = WriterConfig::default().with_keyframe_interval(12);
        let mut writer = VideoWriter::create(&path, config).unwrap();
        for i in 0..frames {
            let rgb = ramp(64, 48, i);
            writer
                .push_frame(Frame::new(&rgb, 64, 48, PixelLayout::Rgb8))
                .unwrap();
        }
        writer.finish().unwrap();
        let mut demuxer = open(&path);
        let mut packets = Vec::new();
        while let Some(p) = demuxer.next_packet().unwrap() {
            packets.push(p);
        }
        (demuxer.info().clone(), packets)
    }

    fn decode_packets(decoder: &mut dyn Decoder, packets: &[Packet]) -> Vec<Vec<u8>> {
        let mut images = Vec::new();
        for p in packets {
            decoder
                .decode(p, &mut images)
                .unwrap_or_else(|e| panic!("{}", e.0));
        }
        decoder
            .flush(&mut images)
            .unwrap_or_else(|e| panic!("{}", e.0));
        images.iter().map(yuv420p).collect()
    }

    #[test]
    fn damaged_packets_are_errors_that_name_the_frame_and_a_flush_recovers() {
        let dir = TempDir::new("h264-damaged");
        let (info, packets) = own_packets(&dir, 24);
        let mut decoder = H264Decoder::new(&info).unwrap();
        let clean = decode_packets(&mut decoder, &packets);
        assert_eq!(clean.len(), 24);
        let mut out = Vec::new();

        // A NAL unit longer than the sample, a length cut short.
        let mut long = packets[0].clone();
        long.data[3] = long.data[3].wrapping_add(1);
        let e = decoder.decode(&long, &mut out).unwrap_err().0;
        assert!(
            e.starts_with("its frame 0 is damaged: a NAL unit of ") && e.ends_with(" bytes left"),
            "{e}"
        );
        let mut short = packets[0].clone();
        short.data.extend_from_slice(&[0, 0]);
        let e = decoder.decode(&short, &mut out).unwrap_err().0;
        assert_eq!(
            e,
            "its frame 0 is damaged: it ends with 2 bytes, too few for a NAL unit's length (4)"
        );

        // Decoding starts at an IDR picture, nowhere else.
        let e = decoder.decode(&packets[1], &mut out).unwrap_err().0;
        assert_eq!(
            e,
            "its frame 1 cannot start decoding: it is not a keyframe (decoding starts at an IDR picture)"
        );
        assert!(is_idr(&packets[0].data) && is_idr(&packets[12].data));
        assert!(!is_idr(&packets[1].data));

        // A sample with no NAL unit gives no picture and waits for none.
        let mut empty = packets[0].clone();
        empty.data.clear();
        decoder.decode(&empty, &mut out).unwrap();
        decoder.flush(&mut out).unwrap();
        assert!(out.is_empty());

        // Noise in the slice data of one frame of the first GOP, each frame
        // in turn: an error naming it or a picture, never a panic; the
        // pictures before it are intact, and after a flush the decoder
        // decodes the clean stream as before.
        let mut noise = crate::testing::xorshift(0x2545_f491_4f6c_dd1d);
        let mut errors = 0;
        for trial in 0..36 {
            let k = trial % 12;
            let mut bad = packets[k].clone();
            // Past the length, the NAL header and the start of the slice
            // header.
            let from = 8.min(bad.data.len());
            for _ in 0..1 + noise() % 8 {
                let at = from + (noise() as usize) % (bad.data.len() - from).max(1);
                if let Some(b) = bad.data.get_mut(at) {
                    *b ^= noise() as u8 | 1;
                }
            }
            for p in packets[..k].iter().chain([&bad]).chain(&packets[k + 1..12]) {
                if let Err(e) = decoder.decode(p, &mut out) {
                    errors += 1;
                    assert!(
                        e.0.starts_with(&format!("its frame {} ", p.index)),
                        "{}",
                        e.0
                    );
                }
            }
            let _ = decoder.flush(&mut out);
            assert!(out.len() >= k, "frame {k} damaged: {} pictures", out.len());
            for (i, image) in out.iter().enumerate() {
                assert_eq!(image.size(), (64, 48));
                if i < k {
                    assert!(
                        yuv420p(image) == clean[i],
                        "frame {k} damaged: picture {i} differs"
                    );
                }
            }
            out.clear();
        }
        assert!(errors > 0, "OpenH264 took every damaged frame");
        assert_eq!(decode_packets(&mut decoder, &packets), clean);
    }

    #[test]
    fn open_gop_recovery_points_decode_in_the_stream_but_do_not_start_it() {
        let dir = TempDir::new("h264-open-gop");
        let path = dir.join("open.mp4");
        ffmpeg(
            "-f lavfi",
            "testsrc2=size=64x48:rate=25",
            "-frames:v 50 -c:v libx264 -pix_fmt yuv420p -bf 3 -g 20 -x264-params open-gop=1",
            Some(&path),
        );
        let mut demuxer = open(&path);
        let info = demuxer.info().clone();
        let mut packets = Vec::new();
        while let Some(p) = demuxer.next_packet().unwrap() {
            packets.push(p);
        }
        let recovery: Vec<usize> = (1..packets.len())
            .filter(|&i| packets[i].keyframe && !is_idr(&packets[i].data))
            .collect();
        assert!(!recovery.is_empty(), "x264 made no open GOP");
        assert!(is_idr(&packets[0].data));

        // From the start, every picture comes out, as ffmpeg decodes them.
        let mut decoder = H264Decoder::new(&info).unwrap();
        let all = decode_packets(&mut decoder, &packets);
        let reference = ffmpeg_pictures(&path, (64, 48));
        assert_eq!(all.len(), packets.len());
        assert_eq!(all, reference);

        // From a recovery point: refused, and the decoder still starts at
        // the IDR picture after it.
        let at = recovery[0];
        let mut out = Vec::new();
        let e = decoder.decode(&packets[at], &mut out).unwrap_err().0;
        assert_eq!(
            e,
            format!("its frame {at} cannot start decoding: it is a keyframe but not an IDR picture (a recovery point of an open GOP), and OpenH264 starts only at IDR pictures")
        );
        assert_eq!(decode_packets(&mut decoder, &packets), reference);
    }
}
