//! H.264 with OpenH264, driven through its raw parameters: High profile with
//! CABAC (CAVLC below [`CABAC_MIN_QP`]), constant QP (or a bit rate), no
//! frame skipping, BT.709 in the VUI.

use std::os::raw::{c_int, c_void};
use std::ptr;

use openh264_sys2 as sys;

use super::{CodecConfig, Encoded, Encoder};
use crate::color::Picture;
use crate::error::{Error, Result};

/// Largest picture OpenH264 encodes: level 5.2's limit of 36864 macroblocks
/// (e.g. 4096x2304), and at most 4096 pixels... see [`check_size`].
pub const MAX_MACROBLOCKS: u32 = 36_864;

/// Checks that OpenH264 can encode a `width` x `height` picture (even sizes).
pub fn check_size(width: u32, height: u32) -> Result<()> {
    let mbs = width.div_ceil(16) as u64 * height.div_ceil(16) as u64;
    if mbs > MAX_MACROBLOCKS as u64 || width > MAX_DIMENSION || height > MAX_DIMENSION {
        return Err(Error::Unsupported(format!(
            "size {width}x{height} is larger than H.264 (OpenH264, level 5.2) can encode: at most {MAX_DIMENSION} pixels a side and {MAX_MACROBLOCKS} 16x16 macroblocks (e.g. 3840x2160, 4096x2304)",
        )));
    }
    Ok(())
}

/// Shortest side OpenH264 accepts (it refuses smaller pictures).
pub const MIN_DIMENSION: u32 = 16;

/// The size to encode a `width` x `height` frame at: even, and at least
/// [`MIN_DIMENSION`] each way; the difference is padding.
pub fn coded_size(width: u32, height: u32) -> (u32, u32) {
    let pad = |n: u32| (n + (n & 1)).max(MIN_DIMENSION);
    (pad(width), pad(height))
}

/// Longest side OpenH264 accepts.
pub const MAX_DIMENSION: u32 = 4096;

/// Settings for [`H264Encoder::new`].
#[derive(Clone, Debug)]
pub struct H264Settings {
    /// Coded width (even).
    pub width: u32,
    /// Coded height (even).
    pub height: u32,
    /// Frame rate, for rate control.
    pub fps: f32,
    /// Constant quantiser 0..=51, used when `bitrate_bps` is `None`.
    pub qp: u8,
    /// Target bit rate in bit/s.
    pub bitrate_bps: Option<u32>,
    /// Colour tags for the VUI.
    pub matrix: crate::config::ColorMatrix,
}

/// The lowest QP coded with CABAC; below it the encoder uses CAVLC.
///
/// OpenH264 writes a frame into a buffer sized from the picture, not the
/// QP: 1.5 bytes a pixel + 1600 (encoder_ext.cpp RequestMemorySvc), 3 + 2400
/// with `bUseLoadBalancing` off as here. Its CABAC writer never checks the
/// end (set_mb_syn_cabac.cpp keeps `m_pBufEnd` and never reads it, and
/// svc_set_mb_syn_cabac.cpp has no per-macroblock check), so noise-like
/// pictures at a low QP overran it: heap corruption, "double free or
/// corruption". Random 0/255 pixels make 717 bytes a macroblock at QP 0 and
/// 500 at QP 12, against 768 in the buffer: CABAC is kept from QP 12 up
/// (1.5x under), which includes every default. A frame of more than 512
/// bytes a macroblock (OpenH264 wants 1.5x its size free to add emulation
/// prevention bytes) fails cleanly with code 3 and is coded again at a
/// higher QP.
///
/// CAVLC codes are at most 28 bits (longer levels make OpenH264 code the
/// macroblock again at QP + 2), so a macroblock is at most about 1530 bytes
/// (12.2 kbit). Below QP 12 the slice is made "size-limited" with a limit of
/// 1536 bytes a macroblock that it never reaches: the buffers are then sized
/// from that limit (twice it), no frame can overrun them or fail to fit, and
/// the stream is the same as with one plain slice. The cost: about 20% more
/// bytes than CABAC, and 2 x 3 KB of buffers a macroblock (50 MB at 1080p).
///
/// The parameter sets hold the choice, so it is made once per stream, from
/// the QP asked for; with a bit rate it is CABAC and this is the rate
/// control's lowest QP.
pub const CABAC_MIN_QP: u8 = 12;

/// The CAVLC slice limit, a macroblock: over the most one can take (about
/// 1530 bytes, see [`CABAC_MIN_QP`]).
const CAVLC_SLICE_BYTES_PER_MB: u32 = 1536;

/// How much the QP goes up each time a frame does not fit (code 3).
const RETRY_QP_STEP: u8 = 4;

/// An OpenH264 encoder instance.
pub struct H264Encoder {
    /// `None` once OpenH264 failed.
    raw: Option<Raw>,
    info: Box<sys::SFrameBSInfo>,
    config: Option<CodecConfig>,
    settings: H264Settings,
    /// CABAC or CAVLC, for the whole stream (it is in the PPS).
    cabac: bool,
    /// The QP in use (with a bit rate: the rate control's lowest): the one
    /// asked for, or higher after a frame did not fit, until the next
    /// keyframe.
    qp: u8,
    /// The instance was made after the stream started (to raise the QP).
    fresh: bool,
    /// IDR pictures the instance has coded (`idr_pic_id` goes up by one each).
    idrs: u32,
    /// If the last packet was an IDR picture: its number in its instance.
    last_idr: Option<u32>,
}

// SAFETY: an OpenH264 encoder instance has no thread affinity; it is used by
// one thread at a time (`&mut self`).
unsafe impl Send for H264Encoder {}

fn check(rc: c_int, what: &str) -> Result<()> {
    if rc == 0 {
        Ok(())
    } else {
        Err(Error::Encoder(format!(
            "OpenH264 {what} failed with code {rc}"
        )))
    }
}

/// OpenH264's cmMallocMemeError from EncodeFrame: the frame did not fit its
/// bitstream buffer. The instance has freed its state and must be remade.
const CODE_DID_NOT_FIT: c_int = 3;

/// An OpenH264 instance that is destroyed when dropped.
struct Raw(*mut sys::ISVCEncoder);

impl Raw {
    fn vtbl(&self) -> &sys::ISVCEncoderVtbl {
        // SAFETY: the pointer is a live encoder whose first field is its vtable.
        unsafe { &**self.0 }
    }
}

impl Drop for Raw {
    fn drop(&mut self) {
        // SAFETY: live; uninitialised (a no-op if it never was) and destroyed once.
        unsafe {
            (self.vtbl().Uninitialize.unwrap())(self.0);
            sys::source::APILoader::WelsDestroySVCEncoder(self.0);
        }
    }
}

/// Makes the next picture an IDR.
fn force_idr(raw: &Raw) {
    // SAFETY: live encoder.
    unsafe { (raw.vtbl().ForceIntraFrame.unwrap())(raw.0, true) };
}

/// Makes and initialises an OpenH264 instance for `s`, with CABAC or CAVLC,
/// at constant QP `qp` (with a bit rate: `qp` is the lowest).
fn open(s: &H264Settings, cabac: bool, qp: u8) -> Result<Raw> {
    let mut ptr: *mut sys::ISVCEncoder = ptr::null_mut();
    // SAFETY: WelsCreateSVCEncoder writes a valid instance pointer or fails.
    check(
        unsafe { sys::source::APILoader::WelsCreateSVCEncoder(&mut ptr) },
        "create",
    )?;
    if ptr.is_null() {
        return Err(Error::Encoder("OpenH264 returned no encoder".into()));
    }
    let raw = Raw(ptr);
    let mut p = sys::SEncParamExt::default();
    // SAFETY: raw is a live encoder; p is a valid out-parameter.
    check(
        unsafe { (raw.vtbl().GetDefaultParams.unwrap())(raw.0, &mut p) },
        "defaults",
    )?;
    p.iUsageType = sys::CAMERA_VIDEO_REAL_TIME;
    p.iPicWidth = s.width as c_int;
    p.iPicHeight = s.height as c_int;
    p.fMaxFrameRate = s.fps;
    match s.bitrate_bps {
        Some(bps) => {
            p.iRCMode = sys::RC_BITRATE_MODE;
            p.iTargetBitrate = bps as c_int;
            p.iMaxBitrate = sys::UNSPECIFIED_BIT_RATE as c_int;
        }
        None => {
            p.iRCMode = sys::RC_OFF_MODE;
            p.iTargetBitrate = 0;
        }
    }
    // Every frame handed over must be in the file.
    p.bEnableFrameSkip = false;
    p.iEntropyCodingModeFlag = cabac as c_int;
    p.iTemporalLayerNum = 1;
    p.iSpatialLayerNum = 1;
    // Keyframes are placed by the writer (ForceIntraFrame), nowhere else,
    // so that GOPs line up with the segments given to each encoder.
    p.uiIntraPeriod = 0;
    p.bEnableSceneChangeDetect = false;
    p.eSpsPpsIdStrategy = sys::CONSTANT_ID;
    p.iMultipleThreadIdc = 1;
    // Load balancing is for threads; with one slice it only halves the
    // bitstream buffers (encoder_ext.cpp RequestMemorySvc: 1.5 instead of 3
    // bytes a pixel). Off, the stream is the same and twice as much fits.
    p.bUseLoadBalancing = false;
    p.bEnableDenoise = false;
    // Background detection skips "static" macroblocks and costs 0.7 dB
    // PSNR on slowly moving textures at the same size (measured on
    // smooth720): off.
    p.bEnableBackgroundDetection = false;
    p.bEnableAdaptiveQuant = true;
    p.bEnableLongTermReference = false;
    p.iNumRefFrame = 1;
    // Low complexity (a lighter mode decision) measured, one encoder at
    // QP 21: 720p smooth 86-102 fps vs 57-61 at medium, 1.2% fewer bytes,
    // -0.07 dB; 1080p 38 vs 29 fps, -2% bytes, -0.07 dB; 300x300 noise
    // 1.07x, +1% bytes, -0.14 dB.
    p.iComplexityMode = sys::LOW_COMPLEXITY;
    p.iLoopFilterDisableIdc = 0;
    p.bEnableFrameCroppingFlag = true;
    // With CABAC no macroblock goes under CABAC_MIN_QP (adaptive
    // quantisation moves P macroblocks a few steps either way).
    p.iMinQp = match (s.bitrate_bps, cabac) {
        (Some(_), _) => qp as c_int,
        (None, true) => CABAC_MIN_QP as c_int,
        (None, false) => 0,
    };
    p.iMaxQp = 51;
    let l = &mut p.sSpatialLayers[0];
    l.iVideoWidth = s.width as c_int;
    l.iVideoHeight = s.height as c_int;
    l.fFrameRate = s.fps;
    l.iSpatialBitrate = p.iTargetBitrate;
    l.iMaxSpatialBitrate = p.iMaxBitrate;
    l.uiProfileIdc = sys::PRO_HIGH;
    l.uiLevelIdc = sys::LEVEL_UNKNOWN;
    // With a bit rate the rate control picks the QP (`qp` is its lowest).
    l.iDLayerQp = match s.bitrate_bps {
        Some(_) => s.qp as c_int,
        None => qp as c_int,
    };
    l.sSliceArgument.uiSliceMode = sys::SM_SINGLE_SLICE;
    l.sSliceArgument.uiSliceNum = 1;
    if !cabac {
        // One slice still (no frame reaches the limit), but buffers of twice
        // the limit, more than CAVLC can write: see CABAC_MIN_QP.
        let mbs = s.width.div_ceil(16) * s.height.div_ceil(16);
        l.sSliceArgument.uiSliceMode = sys::SM_SIZELIMITED_SLICE;
        l.sSliceArgument.uiSliceSizeConstraint = CAVLC_SLICE_BYTES_PER_MB * mbs + 4096;
    }
    // Limited range, the colour tags (video_format 5 = unspecified).
    let (primaries, transfer, matrix) = s.matrix.code_points();
    l.bVideoSignalTypePresent = true;
    l.uiVideoFormat = 5;
    l.bFullRange = false;
    l.bColorDescriptionPresent = true;
    l.uiColorPrimaries = primaries;
    l.uiTransferCharacteristics = transfer;
    l.uiColorMatrix = matrix;
    // SAFETY: p is fully initialised from GetDefaultParams and edited above.
    check(
        unsafe { (raw.vtbl().InitializeExt.unwrap())(raw.0, &p) },
        "initialise",
    )?;
    let mut quiet: c_int = sys::WELS_LOG_QUIET as c_int;
    // SAFETY: TRACE_LEVEL takes a pointer to an int.
    unsafe {
        (raw.vtbl().SetOption.unwrap())(
            raw.0,
            sys::ENCODER_OPTION_TRACE_LEVEL,
            (&mut quiet as *mut c_int).cast::<c_void>(),
        )
    };
    Ok(raw)
}

impl H264Encoder {
    /// Makes and initialises an encoder.
    pub fn new(s: &H264Settings) -> Result<Self> {
        Self::with_entropy(s, s.bitrate_bps.is_some() || s.qp >= CABAC_MIN_QP)
    }

    /// An encoder with CABAC or CAVLC, whatever the QP (the tests force CABAC
    /// at a low QP to see a frame that does not fit).
    fn with_entropy(s: &H264Settings, cabac: bool) -> Result<Self> {
        check_size(s.width, s.height)?;
        let mut enc = H264Encoder {
            raw: None,
            info: Box::default(),
            config: None,
            settings: s.clone(),
            cabac,
            qp: 0,
            fresh: false,
            idrs: 0,
            last_idr: None,
        };
        enc.qp = enc.base_qp();
        enc.raw = Some(open(s, cabac, enc.qp)?);
        Ok(enc)
    }

    /// The QP asked for (with a bit rate: the lowest the rate control uses).
    fn base_qp(&self) -> u8 {
        match self.settings.bitrate_bps {
            Some(_) => CABAC_MIN_QP,
            None => self.settings.qp.min(51),
        }
    }

    /// Replaces the OpenH264 instance with a new one at QP `qp`; its first
    /// picture is an IDR.
    fn reopen(&mut self, qp: u8) -> Result<()> {
        // The old one goes first: after code 3 it holds nothing, and two at
        // 4K would be a lot of memory.
        self.raw = None;
        self.raw = Some(open(&self.settings, self.cabac, qp)?);
        self.qp = qp;
        self.fresh = true;
        self.idrs = 0;
        Ok(())
    }
}

impl Encoder for H264Encoder {
    fn encode(&mut self, picture: &Picture, keyframe: bool, out: &mut Vec<Encoded>) -> Result<()> {
        let Picture::Yuv(picture) = picture else {
            return Err(Error::Encoder("H.264 takes YUV pictures".into()));
        };
        let (width, height) = (self.settings.width, self.settings.height);
        if picture.width != width || picture.height != height {
            return Err(Error::Encoder(format!(
                "picture {}x{} does not match the encoder's {}x{}",
                picture.width, picture.height, width, height
            )));
        }
        if self.raw.is_none() {
            return Err(Error::Encoder(
                "OpenH264 failed on an earlier frame; the encoder is closed".into(),
            ));
        }
        if keyframe {
            if self.qp != self.base_qp() {
                // Back to the QP asked for: a new instance starts with an IDR.
                let qp = self.base_qp();
                self.reopen(qp)?;
            } else {
                force_idr(self.raw.as_ref().expect("checked above"));
            }
        }
        let w = width as c_int;
        let src = sys::SSourcePicture {
            iColorFormat: sys::videoFormatI420 as c_int,
            iStride: [w, w / 2, w / 2, 0],
            pData: [
                picture.y.as_ptr().cast_mut(),
                picture.u.as_ptr().cast_mut(),
                picture.v.as_ptr().cast_mut(),
                ptr::null_mut(),
            ],
            iPicWidth: w,
            iPicHeight: height as c_int,
            uiTimeStamp: 0,
            bPsnrY: false,
            bPsnrU: false,
            bPsnrV: false,
        };
        loop {
            // A new instance numbers its IDRs from the start again: two IDRs
            // in a row must not have the same idr_pic_id, so if the last
            // packet was its instance's first IDR, this instance's first is
            // coded and thrown away.
            let burn = self.fresh && self.last_idr == Some(0);
            if !burn {
                self.fresh = false;
            }
            // SAFETY: the planes hold width x height I420 samples (checked
            // above) and OpenH264 only reads them; info is a valid
            // out-parameter.
            let raw = self.raw.as_ref().expect("open");
            let rc = unsafe { (raw.vtbl().EncodeFrame.unwrap())(raw.0, &src, &mut *self.info) };
            if rc == CODE_DID_NOT_FIT {
                // Too many bytes for OpenH264's buffer (noise-like content at
                // a low QP): its instance is gone; again with a new one at a
                // higher QP, until the next keyframe.
                if self.qp >= 51 {
                    self.raw = None;
                    return Err(Error::Encoder(
                        "OpenH264 could not fit this frame in its bitstream buffer (code 3) even at QP 51".into(),
                    ));
                }
                let qp = (self.qp + RETRY_QP_STEP).min(51);
                self.reopen(qp)?;
                continue;
            }
            if rc != 0 {
                // The instance may be unusable: close it.
                self.raw = None;
                return check(rc, "encode");
            }
            if self.info.eFrameType == sys::videoFrameTypeIDR {
                self.idrs += 1;
            }
            if burn {
                self.fresh = false;
                force_idr(raw);
                continue;
            }
            break;
        }
        let info = &*self.info;
        let is_key = match info.eFrameType {
            sys::videoFrameTypeIDR => true,
            sys::videoFrameTypeI | sys::videoFrameTypeP => false,
            other => {
                return Err(Error::Encoder(format!(
                    "OpenH264 returned frame type {other} instead of a coded frame"
                )))
            }
        };
        let mut data = Vec::with_capacity(info.iFrameSizeInBytes.max(0) as usize + 16);
        let (mut sps, mut pps) = (None, None);
        for layer in &info.sLayerInfo[..info.iLayerNum as usize] {
            let mut offset = 0usize;
            for n in 0..layer.iNalCount as usize {
                // SAFETY: OpenH264 fills pNalLengthInByte with iNalCount sizes
                // of consecutive NAL units in pBsBuf.
                let nal = unsafe {
                    let len = *layer.pNalLengthInByte.add(n) as usize;
                    let s = std::slice::from_raw_parts(layer.pBsBuf.add(offset), len);
                    offset += len;
                    s
                };
                let body = strip_start_code(nal);
                if body.is_empty() {
                    continue;
                }
                match body[0] & 0x1f {
                    7 => sps = Some(body.to_vec()),
                    8 => pps = Some(body.to_vec()),
                    _ => {
                        data.extend_from_slice(&(body.len() as u32).to_be_bytes());
                        data.extend_from_slice(body);
                    }
                }
            }
        }
        if let (Some(sps), Some(pps)) = (sps, pps) {
            let new = CodecConfig::Avc { sps, pps };
            match &self.config {
                Some(old) if *old != new => {
                    return Err(Error::Encoder(
                        "OpenH264 changed its parameter sets mid-stream".into(),
                    ))
                }
                _ => self.config = Some(new),
            }
        }
        self.last_idr = is_key.then(|| self.idrs - 1);
        out.push(Encoded {
            data,
            keyframe: is_key,
            image: None,
        });
        Ok(())
    }

    fn codec_config(&self) -> Option<&CodecConfig> {
        self.config.as_ref()
    }
}

fn strip_start_code(nal: &[u8]) -> &[u8] {
    if nal.starts_with(&[0, 0, 0, 1]) {
        &nal[4..]
    } else if nal.starts_with(&[0, 0, 1]) {
        &nal[3..]
    } else {
        nal
    }
}

/// OpenH264 must be built with its x86 assembly (Debian's `nasm` present at
/// build time): without it openh264-sys2 falls back to C, silently, and runs
/// about 3x slower. This calls a function that exists only in the assembly
/// objects, so such a build fails to link the tests instead of passing slowly.
#[cfg(all(test, target_arch = "x86_64"))]
mod assembly {
    unsafe extern "C" {
        // codec/common/x86/satd_sad.asm
        fn WelsSampleSad16x16_sse2(a: *const u8, sa: i32, b: *const u8, sb: i32) -> i32;
    }

    #[test]
    fn openh264_was_built_with_its_assembly() {
        let a: Vec<u8> = (0..256).map(|i| (i % 251) as u8).collect();
        let b: Vec<u8> = a.iter().map(|&v| v.saturating_add(3)).collect();
        let expected: i32 = a
            .iter()
            .zip(&b)
            .map(|(&x, &y)| (y as i32 - x as i32).abs())
            .sum();
        // SAFETY: two 16x16 blocks with stride 16; the function only reads them.
        let sad = unsafe { WelsSampleSad16x16_sse2(a.as_ptr(), 16, b.as_ptr(), 16) };
        assert_eq!(sad, expected);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::color::YuvPicture;
    use crate::mux::avc::tests::idr_pic_ids;

    fn settings(width: u32, height: u32, qp: u8) -> H264Settings {
        H264Settings {
            width,
            height,
            fps: 30.0,
            qp,
            bitrate_bps: None,
            matrix: Default::default(),
        }
    }

    /// Worst cases for OpenH264's buffers: "noise" (uniform 0..=255 in every
    /// plane), "binary" (random 0 or 255), "checker" (0/255 1-pixel cells);
    /// "gradient" for ordinary content. `seed` varies the picture.
    fn picture(kind: &str, w: u32, h: u32, seed: u64) -> Picture {
        let mut state = (seed + 1).wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1;
        let mut next = move || {
            // xorshift64*
            state ^= state >> 12;
            state ^= state << 25;
            state ^= state >> 27;
            state.wrapping_mul(0x2545_f491_4f6c_dd1d)
        };
        let mut plane = |pw: u32, ph: u32, c: u32| -> Vec<u8> {
            let mut v = Vec::with_capacity((pw * ph) as usize);
            for y in 0..ph {
                for x in 0..pw {
                    v.push(match kind {
                        "noise" => (next() >> 56) as u8,
                        "binary" => ((next() >> 63) as u8).wrapping_neg(),
                        "checker" => (((x + y + c) % 2) as u8).wrapping_neg(),
                        "gradient" => {
                            let t = seed as u32 * 2 + c * 40;
                            (16 + (x * 3 + y * 2 + t) * 200 / (pw * 3 + ph * 2 + 1) % 220) as u8
                        }
                        _ => panic!("unknown picture {kind}"),
                    });
                }
            }
            v
        };
        let (y, u, v) = (
            plane(w, h, 0),
            plane(w / 2, h / 2, 1),
            plane(w / 2, h / 2, 2),
        );
        Picture::Yuv(YuvPicture {
            width: w,
            height: h,
            y,
            u,
            v,
        })
    }

    fn encode_all(enc: &mut H264Encoder, frames: &[(Picture, bool)]) -> Result<Vec<Encoded>> {
        let mut out = Vec::new();
        for (picture, key) in frames {
            enc.encode(picture, *key, &mut out)?;
        }
        Ok(out)
    }

    /// Noise-like pictures at high quality overran OpenH264's bitstream
    /// buffer with CABAC (heap corruption, "double free or corruption"), or
    /// failed with code 3. Each must now make a movie: a crash fails the
    /// whole test binary.
    #[test]
    fn worst_case_content_encodes_at_every_qp() {
        for (w, h) in [(320, 240), (64, 64), (1920, 1080)] {
            for kind in ["noise", "checker", "binary"] {
                for qp in [0, 1, 4, 8, 12, 20] {
                    let mut enc = H264Encoder::new(&settings(w, h, qp)).unwrap();
                    let frames = [
                        (picture(kind, w, h, 0), true),
                        (picture(kind, w, h, 1), false),
                    ];
                    let out = encode_all(&mut enc, &frames)
                        .unwrap_or_else(|e| panic!("{kind} {w}x{h} QP {qp}: {e}"));
                    assert_eq!(out.len(), 2, "{kind} {w}x{h} QP {qp}");
                    assert!(out[0].keyframe);
                    assert!(out.iter().all(|p| p.data.len() > 4));
                    // Below CABAC_MIN_QP nothing fails to fit, so the QP is
                    // the one asked for.
                    if qp < CABAC_MIN_QP {
                        assert_eq!(enc.qp, qp, "{kind} {w}x{h} QP {qp}");
                    }
                }
            }
        }
    }

    /// The fix leaves ordinary content at the default quality as it was:
    /// the total of the packet sizes from before it (openh264-sys2 0.9.9).
    #[test]
    fn default_quality_gradient_is_unchanged() {
        let qp = crate::config::WriterConfig::default().qp();
        let mut enc = H264Encoder::new(&settings(320, 240, qp)).unwrap();
        let frames: Vec<_> = (0..20)
            .map(|i| (picture("gradient", 320, 240, i), i == 0))
            .collect();
        let out = encode_all(&mut enc, &frames).unwrap();
        let total: usize = out.iter().map(|p| p.data.len()).sum();
        assert_eq!((qp, total), (21, 5044));
    }

    /// A frame that does not fit (code 3) is coded again by a new OpenH264
    /// instance at a higher QP, as an IDR whose idr_pic_id differs from the
    /// IDR just before; the next keyframe goes back to the QP asked for.
    #[test]
    fn a_frame_that_does_not_fit_is_coded_again_at_a_higher_qp() {
        // CABAC at QP 4: noise takes about 560 bytes a macroblock, over the
        // 512 that fit but under the 768 of the buffer (no overrun).
        let mut enc = H264Encoder::with_entropy(&settings(320, 240, 4), true).unwrap();
        let frames = [
            (picture("gradient", 320, 240, 0), true),
            (picture("noise", 320, 240, 0), false),
            (picture("noise", 320, 240, 1), false),
            (picture("gradient", 320, 240, 1), true),
        ];
        let mut out = Vec::new();
        for (i, (picture, key)) in frames.iter().enumerate() {
            enc.encode(picture, *key, &mut out).unwrap();
            let qp = enc.qp;
            match i {
                0 | 3 => assert_eq!(qp, 4),
                _ => assert!(qp > 4, "frame {i} at QP {qp}"),
            }
        }
        assert_eq!(out.len(), 4);
        let kinds: Vec<bool> = out.iter().map(|p| p.keyframe).collect();
        assert_eq!(kinds, [true, true, false, true]);
        let Some(CodecConfig::Avc { sps, .. }) = enc.codec_config().cloned() else {
            panic!("no parameter sets")
        };
        let first = idr_pic_ids(&sps, &out[0].data)[0];
        let second = idr_pic_ids(&sps, &out[1].data)[0];
        assert_ne!(first, second, "two IDRs in a row with idr_pic_id {first}");
    }
}
