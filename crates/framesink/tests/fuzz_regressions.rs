//! Inputs that the fuzz targets in `fuzz/` found to panic the library (or
//! to slip past a check): each is now refused with a message, and the
//! writer or joiner stays usable.

use std::io::Cursor;

use framesink::mux::Output;
use framesink::{
    Container, Error, Frame, Joiner, PixelLayout, Timestamp, VideoWriter, WriterConfig,
};

/// fuzz/frames: a stride so large that `stride * (height - 1) + row`
/// wrapped around (a panic with overflow checks, and without them a 6-byte
/// buffer passed for a 2x3 frame); the frame is refused, naming the stride.
#[test]
fn a_huge_stride_is_refused_not_wrapped() {
    for layout in [PixelLayout::Rgb8, PixelLayout::Yuv420p, PixelLayout::Gray16] {
        let config = WriterConfig::default()
            .with_container(Container::Mp4)
            .with_threads(1);
        let mut w = VideoWriter::new(Cursor::new(Vec::new()), config).unwrap();
        let data = [0u8; 64];
        let frame = Frame::new(&data, 2, 3, layout).with_stride(1 << 63);
        match w.push_frame(frame) {
            Err(Error::InvalidFrame { message, .. }) => {
                assert!(message.contains("stride 9223372036854775808"), "{message}");
            }
            other => panic!("{layout}: {other:?}"),
        }
        // Still usable.
        let ok = vec![0u8; 2 * 3 * layout.bytes_per_pixel() * 2];
        w.push_frame(Frame::new(&ok, 2, 3, layout)).unwrap();
        assert_eq!(w.finish().unwrap().frames, 1);
    }
}

/// A plain MP4 part of 3 frames of 16x16 gray, made here.
fn part() -> Vec<u8> {
    let out = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    struct Sink(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);
    impl std::io::Write for Sink {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().extend_from_slice(b);
            Ok(b.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let config = WriterConfig::default()
        .with_container(Container::Mp4)
        .with_threads(1);
    let mut w = VideoWriter::new_stream(Sink(out.clone()), config).unwrap();
    for i in 0..3u8 {
        w.push_frame(Frame::new(&[i * 40; 256], 16, 16, PixelLayout::Gray8))
            .unwrap();
    }
    w.finish().unwrap();
    let bytes = out.lock().unwrap().clone();
    bytes
}

/// fuzz/mp4_part: a compressor name field whose length byte is over 31 is
/// read as all 32 bytes, and bytes that are not UTF-8 as U+FFFD (3 bytes
/// each): a name the MP4 writer cannot write back. It was accepted, the
/// joined movie's writer then failed on its first frame, and the joiner
/// counted the part as joined with no frame in it (finish: "no frames were
/// written"). The part is now refused before anything is written.
#[test]
fn a_compressor_name_over_31_bytes_is_refused_up_front() {
    let mut bytes = part();
    let at = bytes
        .windows(15)
        .position(|w| w == b"framesink H.264")
        .expect("the compressor name")
        - 1;
    bytes[at..at + 32].fill(0xff);
    let mut joiner = Joiner::new(Output::Seekable(Box::new(Cursor::new(Vec::new()))));
    match joiner.append_part(Cursor::new(&bytes[..]), "long-name.mp4") {
        Err(Error::InvalidPart { message, .. }) => {
            assert!(
                message.contains("compressor name") && message.contains("96 bytes"),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
    assert_eq!((joiner.parts(), joiner.frames()), (0, 0));
    // A good part still joins after it.
    joiner.append_part(Cursor::new(part()), "good.mp4").unwrap();
    assert_eq!(joiner.finish().unwrap().frames, 3);
}

/// fuzz/mp4_part: a GIF part whose frame has an LZW code size but no codes
/// (a damaged frame) was joined into a GIF that could not be read back (the
/// gif crate reads an empty first sub-block past its end). It is refused.
#[test]
fn a_gif_frame_with_no_image_data_is_refused() {
    let mut gif = b"GIF89a\x10\x00\x10\x00\x80\x00\x00".to_vec();
    gif.extend_from_slice(&[0, 0, 0, 255, 255, 255]); // global palette
    gif.extend_from_slice(b"\x2c\x00\x00\x00\x00\x10\x00\x10\x00\x00"); // whole frame
    gif.extend_from_slice(b"\x05\x00\x00\x3b"); // code size 5, no codes; end
    let mut joiner = Joiner::new(Output::Stream(Box::new(std::io::sink())));
    match joiner.append_part(Cursor::new(&gif[..]), "empty-frame.gif") {
        Err(Error::InvalidPart { message, .. }) => {
            assert!(message.contains("frame 0 has no image data"), "{message}");
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(joiner.parts(), 0);
}

/// fuzz/frames: an APNG frame shown for years (timestamps far apart) is
/// some 1e16 ticks; in milliseconds that overflowed u64 (a panic on the
/// writer's thread with overflow checks, a wrapped delay without: here 0).
/// The delay is the longest APNG holds, 65.535 s.
#[test]
fn an_apng_delay_of_days_saturates() {
    let out = std::sync::Arc::new(std::sync::Mutex::new(Cursor::new(Vec::new())));
    #[derive(Clone)]
    struct Shared(std::sync::Arc<std::sync::Mutex<Cursor<Vec<u8>>>>);
    impl std::io::Read for Shared {
        fn read(&mut self, b: &mut [u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().read(b)
        }
    }
    impl std::io::Write for Shared {
        fn write(&mut self, b: &[u8]) -> std::io::Result<usize> {
            self.0.lock().unwrap().write(b)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    impl std::io::Seek for Shared {
        fn seek(&mut self, p: std::io::SeekFrom) -> std::io::Result<u64> {
            self.0.lock().unwrap().seek(p)
        }
    }
    let config = WriterConfig::default()
        .with_container(Container::Apng)
        .with_threads(1);
    let mut w = VideoWriter::new(Shared(out.clone()), config).unwrap();
    let px = [7u8; 2 * 2 * 3];
    // At 30 fps a tick is 1/90000 s: 2^64 / 1000 ticks, rounded up, so
    // that the milliseconds wrapped to 0.
    for t in [0u64, 18_446_744_073_709_552] {
        let frame =
            Frame::new(&px, 2, 2, PixelLayout::Rgb8).with_timestamp(Timestamp::new(t, 90_000));
        w.push_frame(frame).unwrap();
    }
    assert_eq!(w.finish().unwrap().frames, 2);
    let bytes = out.lock().unwrap().get_ref().clone();
    let fctl = bytes
        .windows(4)
        .position(|w| w == b"fcTL")
        .expect("a frame control chunk")
        + 4;
    let delay = |at: usize| u16::from_be_bytes([bytes[at], bytes[at + 1]]);
    assert_eq!((delay(fctl + 20), delay(fctl + 22)), (65535, 1000));
}

/// fuzz/mp4_part: a version-0 `sgpd` box (sample groups) of an unknown
/// grouping type claiming 2^32 - 1 entries made mp4-atom 0.17 build that
/// many empty entries from 21 bytes (gigabytes; the fuzzer's memory limit).
/// framesink writes no sample groups: such a part is refused.
#[test]
fn a_sample_group_box_is_refused_before_it_is_decoded() {
    let mut bytes = part();
    let sgpd = b"\x00\x00\x00\x15sgpd\x00\x00\x00\x00abcd\xff\xff\xff\xff\x00";
    // Put it at the end of stbl, growing stbl and every box around it.
    let find = |b: &[u8], kind: &[u8]| b.windows(4).position(|w| w == kind).unwrap() - 4;
    let stbl = find(&bytes, b"stbl");
    let stbl_end = stbl + u32::from_be_bytes(bytes[stbl..stbl + 4].try_into().unwrap()) as usize;
    for kind in [b"moov", b"trak", b"mdia", b"minf", b"stbl"] {
        let at = find(&bytes, kind);
        let size = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) + sgpd.len() as u32;
        bytes[at..at + 4].copy_from_slice(&size.to_be_bytes());
    }
    bytes.splice(stbl_end..stbl_end, sgpd.iter().copied());
    let mut joiner = Joiner::new(Output::Stream(Box::new(std::io::sink())));
    match joiner.append_part(Cursor::new(&bytes[..]), "sgpd.mp4") {
        Err(Error::InvalidPart { message, .. }) => {
            assert!(
                message.contains("sample group description ('sgpd' at byte"),
                "{message}"
            );
        }
        other => panic!("{other:?}"),
    }
}

/// fuzz/reader: an AV1 MP4 whose sample entry claims 65535x60952 pixels
/// (its sequence header: 32x24) made the reader allocate 12 GB for a frame.
/// An AV1 movie is the size its sequence header gives, and the size is
/// checked against framesink's limit before any frame is allocated.
#[cfg(feature = "av1")]
#[test]
fn an_av1_movie_is_the_size_its_sequence_header_gives() {
    let path = concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/../../fuzz/known/av1-huge-stsd-size.mp4"
    );
    let mut reader = framesink::Reader::from_bytes(std::fs::read(path).unwrap()).unwrap();
    let p = reader.props();
    assert_eq!((p.width, p.height, p.frames), (32, 24, 6));
    let frames = reader.by_ref().collect::<Result<Vec<_>, _>>().unwrap();
    assert_eq!(frames.len(), 6);
    assert!(frames.iter().all(|f| f.data.len() == 32 * 24 * 3));
}
