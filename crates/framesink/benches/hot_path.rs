//! Regression guard for the per-frame hot path at 1280x720: colour
//! conversion of each layout, and one encode of a smooth frame (OpenH264,
//! rav1e).
//! `cargo bench -p framesink`; comparisons with other tools live in bench/.

use criterion::{criterion_group, criterion_main, Criterion, Throughput};
use framesink::color::{Converter, Picture, YuvPicture};
use framesink::config::DEFAULT_AV1_SPEED;
use framesink::encode::av1::{Av1Encoder, Av1Settings};
use framesink::encode::h264::{H264Encoder, H264Settings};
use framesink::encode::Encoder;
use framesink::{Frame, PixelLayout, Rational, WriterConfig};

const W: u32 = 1280;
const H: u32 = 720;

/// A smooth, moving test picture (gradients), `t` selects the frame.
fn smooth_rgb(t: u32) -> Vec<u8> {
    let mut v = Vec::with_capacity((W * H * 3) as usize);
    for y in 0..H {
        for x in 0..W {
            v.push(((x + 2 * t) * 255 / W) as u8);
            v.push((y * 255 / H) as u8);
            v.push((((x + y + t) / 4) % 256) as u8);
        }
    }
    v
}

fn conversion(c: &mut Criterion) {
    let rgb = smooth_rgb(0);
    let rgba: Vec<u8> = rgb
        .chunks_exact(3)
        .flat_map(|p| [p[0], p[1], p[2], 255])
        .collect();
    let rgb16: Vec<u8> = rgb
        .iter()
        .flat_map(|&v| (v as u16 * 257).to_ne_bytes())
        .collect();
    let gray: Vec<u8> = rgb.chunks_exact(3).map(|p| p[1]).collect();
    let mut group = c.benchmark_group("convert_720p");
    group.throughput(Throughput::Elements(1));
    let cases: [(&str, &[u8], PixelLayout); 5] = [
        ("rgb8", &rgb, PixelLayout::Rgb8),
        ("bgra8", &rgba, PixelLayout::Bgra8),
        ("rgba8", &rgba, PixelLayout::Rgba8),
        ("rgb16", &rgb16, PixelLayout::Rgb16),
        ("gray8", &gray, PixelLayout::Gray8),
    ];
    for (name, data, layout) in cases {
        let mut conv = Converter::default();
        let mut out = YuvPicture::default();
        group.bench_function(name, |b| {
            b.iter(|| {
                conv.convert(&Frame::new(data, W, H, layout), &mut out, (W, H))
                    .unwrap()
            })
        });
    }
    group.finish();
}

fn encode(c: &mut Criterion) {
    let settings = H264Settings {
        width: W,
        height: H,
        fps: 30.0,
        qp: 21,
        bitrate_bps: None,
        matrix: Default::default(),
    };
    let mut enc = H264Encoder::new(&settings).unwrap();
    let mut conv = Converter::default();
    let pictures: Vec<Picture> = (0..8)
        .map(|t| {
            let mut p = YuvPicture::default();
            let rgb = smooth_rgb(t);
            conv.convert(&Frame::new(&rgb, W, H, PixelLayout::Rgb8), &mut p, (W, H))
                .unwrap();
            Picture::Yuv(p)
        })
        .collect();
    let mut group = c.benchmark_group("encode_720p");
    group.throughput(Throughput::Elements(1));
    group.sample_size(30);
    let mut i = 0usize;
    let mut out = Vec::with_capacity(1);
    group.bench_function("h264_p_frame", |b| {
        b.iter(|| {
            i += 1;
            out.clear();
            enc.encode(&pictures[i % pictures.len()], i == 1, &mut out)
                .unwrap();
            out.len()
        })
    });
    // AV1 at the default speed: rav1e gives packets a few frames late, so
    // this is its steady-state cost per frame.
    let mut av1 = Av1Encoder::new(&Av1Settings {
        width: W,
        height: H,
        fps: Rational::integer(30),
        quantizer: WriterConfig::default().av1_quantizer(),
        bitrate_bps: None,
        speed: DEFAULT_AV1_SPEED,
        keyframe_interval: 60,
        threads: 1,
        tiles: 1,
        matrix: Default::default(),
    })
    .unwrap();
    group.sample_size(10);
    group.measurement_time(std::time::Duration::from_secs(20));
    group.bench_function("av1_frame_1thread", |b| {
        b.iter(|| {
            i += 1;
            out.clear();
            av1.encode(&pictures[i % pictures.len()], false, &mut out)
                .unwrap();
            out.len()
        })
    });
    group.finish();
}

criterion_group!(benches, conversion, encode);
criterion_main!(benches);
