//! H.264 with OpenH264, driven through its raw parameters: High profile with
//! CABAC, constant QP (or a bit rate), no frame skipping, BT.709 in the VUI.

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

/// An OpenH264 encoder instance.
pub struct H264Encoder {
    raw: *mut sys::ISVCEncoder,
    info: Box<sys::SFrameBSInfo>,
    config: Option<CodecConfig>,
    width: u32,
    height: u32,
    qp: u8,
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

impl H264Encoder {
    /// Makes and initialises an encoder.
    pub fn new(s: &H264Settings) -> Result<Self> {
        check_size(s.width, s.height)?;
        let mut raw: *mut sys::ISVCEncoder = ptr::null_mut();
        // SAFETY: WelsCreateSVCEncoder writes a valid instance pointer or fails.
        check(
            unsafe { sys::source::APILoader::WelsCreateSVCEncoder(&mut raw) },
            "create",
        )?;
        if raw.is_null() {
            return Err(Error::Encoder("OpenH264 returned no encoder".into()));
        }
        let enc = H264Encoder {
            raw,
            info: Box::default(),
            config: None,
            width: s.width,
            height: s.height,
            qp: s.qp,
        };
        let mut p = sys::SEncParamExt::default();
        // SAFETY: raw is a live encoder; p is a valid out-parameter.
        check(
            unsafe { (enc.vtbl().GetDefaultParams.unwrap())(enc.raw, &mut p) },
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
        p.iEntropyCodingModeFlag = 1; // CABAC
        p.iTemporalLayerNum = 1;
        p.iSpatialLayerNum = 1;
        // Keyframes are placed by the writer (ForceIntraFrame), nowhere else,
        // so that GOPs line up with the segments given to each encoder.
        p.uiIntraPeriod = 0;
        p.bEnableSceneChangeDetect = false;
        p.eSpsPpsIdStrategy = sys::CONSTANT_ID;
        p.iMultipleThreadIdc = 1;
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
        p.iMinQp = 0;
        p.iMaxQp = 51;
        let l = &mut p.sSpatialLayers[0];
        l.iVideoWidth = s.width as c_int;
        l.iVideoHeight = s.height as c_int;
        l.fFrameRate = s.fps;
        l.iSpatialBitrate = p.iTargetBitrate;
        l.iMaxSpatialBitrate = p.iMaxBitrate;
        l.uiProfileIdc = sys::PRO_HIGH;
        l.uiLevelIdc = sys::LEVEL_UNKNOWN;
        l.iDLayerQp = s.qp as c_int;
        l.sSliceArgument.uiSliceMode = sys::SM_SINGLE_SLICE;
        l.sSliceArgument.uiSliceNum = 1;
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
            unsafe { (enc.vtbl().InitializeExt.unwrap())(enc.raw, &p) },
            "initialise",
        )?;
        let mut quiet: c_int = sys::WELS_LOG_QUIET as c_int;
        // SAFETY: TRACE_LEVEL takes a pointer to an int.
        unsafe {
            (enc.vtbl().SetOption.unwrap())(
                enc.raw,
                sys::ENCODER_OPTION_TRACE_LEVEL,
                (&mut quiet as *mut c_int).cast::<c_void>(),
            )
        };
        Ok(enc)
    }

    fn vtbl(&self) -> &sys::ISVCEncoderVtbl {
        // SAFETY: raw points at a live encoder whose first field is its vtable.
        unsafe { &**self.raw }
    }
}

impl Encoder for H264Encoder {
    fn encode(&mut self, picture: &Picture, keyframe: bool, out: &mut Vec<Encoded>) -> Result<()> {
        let Picture::Yuv(picture) = picture else {
            return Err(Error::Encoder("H.264 takes YUV pictures".into()));
        };
        if picture.width != self.width || picture.height != self.height {
            return Err(Error::Encoder(format!(
                "picture {}x{} does not match the encoder's {}x{}",
                picture.width, picture.height, self.width, self.height
            )));
        }
        if keyframe {
            // SAFETY: live encoder.
            unsafe { (self.vtbl().ForceIntraFrame.unwrap())(self.raw, true) };
        }
        let w = self.width as c_int;
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
            iPicHeight: self.height as c_int,
            uiTimeStamp: 0,
            bPsnrY: false,
            bPsnrU: false,
            bPsnrV: false,
        };
        // SAFETY: the planes hold width x height I420 samples (checked above)
        // and OpenH264 only reads them; info is a valid out-parameter.
        let rc = unsafe { (self.vtbl().EncodeFrame.unwrap())(self.raw, &src, &mut *self.info) };
        if rc == 3 {
            // cmInitParaError at this point: the frame did not fit OpenH264's
            // bitstream buffer (about 1.3x the raw picture), which happens on
            // noise-like content at high quality.
            return Err(Error::Encoder(format!(
                "OpenH264 could not fit this frame in its bitstream buffer (code 3): the picture is too detailed for QP {}; use a lower quality (or bitrate=), or codec av1",
                self.qp
            )));
        }
        check(rc, "encode")?;
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

impl Drop for H264Encoder {
    fn drop(&mut self) {
        // SAFETY: raw is live; it is uninitialised and destroyed exactly once.
        unsafe {
            (self.vtbl().Uninitialize.unwrap())(self.raw);
            sys::source::APILoader::WelsDestroySVCEncoder(self.raw);
        }
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
