//! Faults inside the writer's own threads (injected through the test-only
//! `WriterConfig::faults`) and a sink that blocks: an error on the next
//! call, no abort, no hang, the fragments written before kept, and memory
//! bounded by back-pressure. Files are checked with ffprobe/ffmpeg.

mod common;

use std::io::{self, Write};
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use common::*;
use framesink::{Container, Error, Frame, PixelLayout, VideoWriter, WriterConfig};

const W: u32 = 64;
const H: u32 = 48;

/// Pushes frames until one is refused; returns how many were accepted and
/// the error. Panics if all `limit` are accepted.
fn push_until_error(writer: &mut VideoWriter, limit: u32) -> (u32, Error) {
    for t in 0..limit {
        let rgb = pattern(W, H, t);
        if let Err(e) = writer.push_frame(Frame::new(&rgb, W, H, PixelLayout::Rgb8)) {
            return (t, e);
        }
        // Give the threads time to reach the fault while frames still come.
        std::thread::sleep(Duration::from_millis(2));
    }
    panic!("all {limit} frames were accepted: the injected fault never showed");
}

fn config(keyint: u32, threads: usize) -> WriterConfig {
    WriterConfig::default()
        .with_keyframe_interval(keyint)
        .with_threads(threads)
}

#[test]
fn an_encoder_that_panics_fails_the_next_call_and_keeps_the_gops_before() {
    let dir = TestDir::new("encoder_panic");
    let path = dir.join("out.mp4");
    let mut cfg = config(10, 2);
    cfg.faults.encoder_panic_at = Some(40);
    let mut writer = VideoWriter::create(&path, cfg).unwrap();
    let (accepted, e) = push_until_error(&mut writer, 400);
    assert!(accepted > 40, "frame 40 was never handed over ({accepted})");
    let msg = e.to_string();
    assert!(
        matches!(e, Error::Encoder(_)) && msg.contains("panicked") && msg.contains("frame 40"),
        "{e:?}"
    );
    // The error stays: the next call and finish() give it again.
    let rgb = pattern(W, H, 0);
    let again = writer
        .push_frame(Frame::new(&rgb, W, H, PixelLayout::Rgb8))
        .unwrap_err();
    assert!(again.to_string().ends_with(&msg), "{again}");
    let at_finish = writer.finish().unwrap_err();
    assert!(at_finish.to_string().contains("panicked"), "{at_finish}");
    // GOPs 0..3 (frames 0..39) were complete before the fault: all in the
    // file, which decodes (left fragmented, or finished when no later GOP
    // was waiting: either way ffmpeg reads the 40 frames).
    assert_eq!(framemd5(&path).len(), 40);
}

#[test]
fn a_muxer_that_panics_fails_the_next_call_and_keeps_the_fragments_written() {
    let dir = TestDir::new("muxer_panic");
    let path = dir.join("out.mp4");
    // One encoder: fragments of 10 frames (a GOP), in order.
    let mut cfg = config(10, 1);
    cfg.faults.muxer_panic_at = Some(25);
    let mut writer = VideoWriter::create(&path, cfg).unwrap();
    let (accepted, e) = push_until_error(&mut writer, 400);
    assert!(accepted > 25, "frame 25 was never handed over ({accepted})");
    let msg = e.to_string();
    assert!(
        msg.contains("panicked") && msg.contains("frame 25"),
        "{e:?}"
    );
    assert!(writer.finish().is_err());
    // Frames 0..19 were in fragments when the muxer died at frame 25.
    assert_eq!(framemd5(&path).len(), 20);
}

#[test]
fn faults_of_one_writer_do_not_touch_another() {
    let dir = TestDir::new("fault_isolation");
    let (bad, good) = (dir.join("bad.mp4"), dir.join("good.mp4"));
    let mut cfg = config(10, 2);
    cfg.faults.encoder_panic_at = Some(5);
    let mut failing = VideoWriter::create(&bad, cfg).unwrap();
    let mut healthy = VideoWriter::create(&good, config(10, 2)).unwrap();
    let mut failed = false;
    for t in 0..60 {
        let rgb = pattern(W, H, t);
        failed |= failing
            .push_frame(Frame::new(&rgb, W, H, PixelLayout::Rgb8))
            .is_err();
        healthy
            .push_frame(Frame::new(&rgb, W, H, PixelLayout::Rgb8))
            .unwrap();
        std::thread::sleep(Duration::from_millis(1));
    }
    assert!(failed || failing.finish().is_err());
    assert_eq!(healthy.finish().unwrap().frames, 60);
    assert_eq!(probe(&good).frames, 60);
}

/// A write-only sink that blocks every write while `blocked` is set.
#[derive(Clone, Default)]
struct Gate {
    blocked: Arc<AtomicBool>,
    bytes: Arc<Mutex<Vec<u8>>>,
    writes: Arc<AtomicU64>,
}

impl Write for Gate {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        while self.blocked.load(Ordering::Acquire) {
            std::thread::sleep(Duration::from_millis(5));
        }
        self.writes.fetch_add(1, Ordering::Relaxed);
        self.bytes.lock().unwrap().extend_from_slice(buf);
        Ok(buf.len())
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}

#[test]
fn a_sink_that_blocks_stops_the_caller_within_a_bounded_number_of_frames() {
    let dir = TestDir::new("blocking_sink");
    let gate = Gate::default();
    gate.blocked.store(true, Ordering::Release);
    let writer =
        VideoWriter::new_stream(gate.clone(), config(30, 2).with_container(Container::Mp4))
            .unwrap();
    let accepted = Arc::new(AtomicU64::new(0));
    let total = 2000u32;
    let producer = {
        let accepted = Arc::clone(&accepted);
        std::thread::spawn(move || {
            let mut writer = writer;
            for t in 0..total {
                let rgb = pattern(W, H, t % 97);
                writer
                    .push_frame(Frame::new(&rgb, W, H, PixelLayout::Rgb8))
                    .unwrap();
                accepted.store(t as u64 + 1, Ordering::Release);
            }
            writer.finish().unwrap()
        })
    };
    // While the sink blocks, the caller must come to a stop: the count
    // settles (unchanged over 50 polls 10 ms apart) well below the total.
    // Polls are counted, no clock is read.
    let (mut last, mut same, mut polls) = (u64::MAX, 0, 0);
    let settled = loop {
        let now = accepted.load(Ordering::Acquire);
        if now == last {
            same += 1;
            if same == 50 {
                break now;
            }
        } else {
            (last, same) = (now, 0);
        }
        polls += 1;
        assert!(
            polls < 6000,
            "the caller never stopped: {now} frames accepted"
        );
        std::thread::sleep(Duration::from_millis(10));
    };
    // A picture pool, the packets queued to the muxer and the durability
    // bound: a few GOPs at most, never the whole input.
    assert!(
        settled < 400,
        "{settled} of {total} frames accepted while the sink blocked"
    );
    gate.blocked.store(false, Ordering::Release);
    let summary = producer.join().unwrap();
    assert_eq!(summary.frames, total as u64);
    let path = dir.join("out.mp4");
    std::fs::write(&path, &*gate.bytes.lock().unwrap()).unwrap();
    assert_eq!(probe(&path).frames, total as u64);
}

#[test]
fn frames_in_flight_stay_within_about_a_gop_of_the_sink() {
    // The file behind the caller: after every push, the frames accepted but
    // not yet in the sink stay within the durability bound (2 encoders,
    // GOP 30, fragments of 15: (2 - 1) * (30 - 15) + 15 + 3 = 33), read
    // here from the fragments the sink holds.
    let sink = SharedVec::default();
    let mut writer =
        VideoWriter::new_stream(sink.clone(), config(30, 2).with_container(Container::Mp4))
            .unwrap();
    let mut worst = 0u64;
    for t in 0..600u32 {
        let rgb = pattern(W, H, t % 97);
        writer
            .push_frame(Frame::new(&rgb, W, H, PixelLayout::Rgb8))
            .unwrap();
        if t % 25 == 0 {
            let fragments = fragments_written(&sink.bytes()) as u64;
            // Fragments hold 15 frames each here.
            worst = worst.max((t as u64 + 1).saturating_sub(fragments * 15));
        }
    }
    writer.finish().unwrap();
    // The caller also goes on when the encoders have taken every frame
    // (so an encoder that holds frames never stalls it): the muxer thread
    // may then be a few packets behind the bound.
    assert!(worst <= 45, "{worst} frames accepted but not in the sink");
}
