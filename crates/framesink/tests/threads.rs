//! Many writers at once in one process: eight `VideoWriter`s (H.264, GIF,
//! APNG, AV1) in eight threads, started together, each decode (Debian's
//! ffmpeg, framemd5) to exactly the pixels of the same movie written alone,
//! and are byte for byte the same file: no writer sees another's state.

mod common;

use std::path::Path;
use std::sync::{Arc, Barrier};

use common::*;
use framesink::{Codec, Frame, PixelLayout, Summary, VideoWriter, WriterConfig};

const W: u32 = 160;
const H: u32 = 120;
const FRAMES: u32 = 60;

/// One writer's movie: its file name (the container), its settings.
struct Job {
    file: &'static str,
    config: WriterConfig,
    codec: Codec,
}

/// The eight movies: three H.264 (default threads, one thread, short GOPs),
/// two GIF (one dithered), two APNG, one AV1 at speed 10.
fn jobs() -> Vec<Job> {
    let h264 = WriterConfig::default;
    vec![
        Job {
            file: "0.mp4",
            config: h264(),
            codec: Codec::H264,
        },
        Job {
            file: "1.gif",
            config: WriterConfig::default(),
            codec: Codec::Gif,
        },
        Job {
            file: "2.png",
            config: WriterConfig::default(),
            codec: Codec::Png,
        },
        Job {
            file: "3.mp4",
            config: WriterConfig::default()
                .with_codec(Codec::Av1)
                .with_speed(10),
            codec: Codec::Av1,
        },
        Job {
            file: "4.mp4",
            config: h264().with_threads(1),
            codec: Codec::H264,
        },
        Job {
            file: "5.gif",
            config: WriterConfig::default().with_dither(true),
            codec: Codec::Gif,
        },
        Job {
            file: "6.apng",
            config: WriterConfig::default(),
            codec: Codec::Png,
        },
        Job {
            file: "7.mp4",
            config: h264().with_keyframe_interval(10).with_quality(70),
            codec: Codec::H264,
        },
    ]
}

/// Frame `t` of writer `k`'s content: the test pattern, started at another
/// time and run at another speed for each writer.
fn content(k: u32, t: u32) -> Vec<u8> {
    pattern(W, H, 37 * k + t * (1 + k % 3))
}

/// Writes writer `k`'s movie to `path`; with a barrier, waits there first so
/// that all the writers start together.
fn write_movie(k: u32, job: &Job, path: &Path, start: Option<&Barrier>) -> Summary {
    let mut writer = VideoWriter::create(path, job.config.clone())
        .unwrap_or_else(|e| panic!("writer {k} ({}): create: {e}", job.file));
    if let Some(b) = start {
        b.wait();
    }
    for t in 0..FRAMES {
        let rgb = content(k, t);
        writer
            .push_frame(Frame::new(&rgb, W, H, PixelLayout::Rgb8))
            .unwrap_or_else(|e| panic!("writer {k} ({}): frame {t}: {e}", job.file));
    }
    writer
        .finish()
        .unwrap_or_else(|e| panic!("writer {k} ({}): finish: {e}", job.file))
}

#[test]
fn eight_writers_in_eight_threads_give_the_movies_each_gives_alone() {
    let dir = TestDir::new("threads_eight");
    let jobs = Arc::new(jobs());
    let n = jobs.len();

    // Alone: one after another on this thread.
    for (k, job) in jobs.iter().enumerate() {
        let s = write_movie(
            k as u32,
            job,
            &dir.join(&format!("alone-{}", job.file)),
            None,
        );
        assert_eq!(
            (s.codec, s.frames),
            (job.codec, FRAMES as u64),
            "{}",
            job.file
        );
    }

    // Together: eight threads, released at once.
    let start = Arc::new(Barrier::new(n));
    let handles: Vec<_> = (0..n)
        .map(|k| {
            let (jobs, start) = (Arc::clone(&jobs), Arc::clone(&start));
            let path = dir.join(&format!("together-{}", jobs[k].file));
            std::thread::Builder::new()
                .name(format!("writer-{k}"))
                .spawn(move || write_movie(k as u32, &jobs[k], &path, Some(&start)))
                .unwrap()
        })
        .collect();
    let summaries: Vec<Summary> = handles
        .into_iter()
        .enumerate()
        .map(|(k, h)| h.join().unwrap_or_else(|_| panic!("writer {k} panicked")))
        .collect();

    let mut all_md5 = Vec::new();
    for (k, job) in jobs.iter().enumerate() {
        let alone = dir.join(&format!("alone-{}", job.file));
        let together = dir.join(&format!("together-{}", job.file));
        let s = &summaries[k];
        assert_eq!(
            (s.codec, s.frames),
            (job.codec, FRAMES as u64),
            "{}",
            job.file
        );
        assert_eq!(s.bytes, std::fs::metadata(&together).unwrap().len());

        let p = probe(&together);
        let codec_name = match job.codec {
            Codec::H264 => "h264",
            Codec::Av1 => "av1",
            Codec::Gif => "gif",
            Codec::Png => "apng",
            other => panic!("{other:?} not in this test"),
        };
        assert_eq!(
            (p.codec_name.as_str(), p.frames, p.width, p.height),
            (codec_name, FRAMES as u64, W, H),
            "writer {k} ({}): what ffprobe sees",
            job.file
        );
        assert_eq!(probe(&alone).frames, FRAMES as u64, "alone {}", job.file);

        let (a, b) = (framemd5(&alone), framemd5(&together));
        assert_eq!(
            a.len(),
            FRAMES as usize,
            "alone {}: decoded frames",
            job.file
        );
        assert_eq!(
            a, b,
            "writer {k} ({}): the movie written beside seven others decodes to other pixels than the one written alone",
            job.file
        );
        // Every writer's settings and content are fixed, and segments go to
        // encoder threads in a fixed order: the files are the same bytes.
        assert!(
            std::fs::read(&alone).unwrap() == std::fs::read(&together).unwrap(),
            "writer {k} ({}): written alone and beside others, the files differ",
            job.file
        );
        all_md5.push(b);
    }
    // The writers really had different content (else mixing them up would pass).
    for i in 0..n {
        for j in i + 1..n {
            assert_ne!(all_md5[i], all_md5[j], "writers {i} and {j} decoded alike");
        }
    }
}
