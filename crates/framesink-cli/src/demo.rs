//! `framesink demo`: a 1280x720 animation drawn here (moving colour
//! gradients and a disc), so a movie can be made with nothing else installed.

use std::path::Path;

use framesink::{Frame, PixelLayout, Rational, WriterConfig};

use crate::{open_writer, push, AnyResult, Progress};

/// Draws frame `t` of the demo into `rgb` (width * height * 3 bytes).
pub fn draw(rgb: &mut [u8], width: u32, height: u32, t: u32) {
    let (w, h) = (width as f32, height as f32);
    let t = t as f32;
    let tau = std::f32::consts::TAU;
    let radius = 0.12 * w.min(h);
    let cy = h * (0.5 + 0.30 * (tau * t / 97.0).sin());
    let cx = w * (0.5 + 0.35 * (tau * t / 151.0 + 0.7).sin());
    for (y, row) in rgb.chunks_exact_mut(width as usize * 3).enumerate() {
        let fy = y as f32 / h;
        let gy = (tau * (0.9 * fy - 0.007 * t)).cos();
        let g2 = (tau * (0.8 * fy + 0.013 * t + 0.25)).sin();
        for (x, px) in row.chunks_exact_mut(3).enumerate() {
            let fx = x as f32 / w;
            let mut r = 0.5 + 0.25 * (tau * (1.3 * fx + 0.011 * t)).sin() + 0.20 * gy;
            let mut g = 0.5 + 0.30 * g2 - 0.15 * (tau * (0.6 * fx - 0.005 * t)).cos();
            let mut b = 0.5 + 0.40 * (tau * (0.7 * fx + 0.009 * t + 0.5 * fy)).sin();
            let d = ((x as f32 - cx).powi(2) + (y as f32 - cy).powi(2)).sqrt();
            let a = (radius - d + 0.5).clamp(0.0, 1.0);
            r = r * (1.0 - a) + a * 0.95;
            g = g * (1.0 - a) + a * 0.85;
            b = b * (1.0 - a) + a * 0.20;
            px[0] = (r.clamp(0.0, 1.0) * 255.0 + 0.5) as u8;
            px[1] = (g.clamp(0.0, 1.0) * 255.0 + 0.5) as u8;
            px[2] = (b.clamp(0.0, 1.0) * 255.0 + 0.5) as u8;
        }
    }
}

pub fn run(output: &Path, seconds: u32, metadata: Vec<(String, String)>) -> AnyResult<()> {
    let (w, h, fps) = (1280u32, 720u32, 30u32);
    let mut config = WriterConfig::default().with_fps(Rational::integer(fps as u64));
    config.metadata = metadata;
    let mut writer = open_writer(output, config)?;
    let total = seconds * fps;
    let progress = Progress::new(Some(total as u64), false);
    let mut rgb = vec![0u8; (w * h * 3) as usize];
    for t in 0..total {
        draw(&mut rgb, w, h, t);
        push(
            &mut writer,
            Frame::new(&rgb, w, h, PixelLayout::Rgb8),
            &progress,
        )?;
    }
    let summary = writer.finish()?;
    progress.done(&summary, output);
    Ok(())
}
