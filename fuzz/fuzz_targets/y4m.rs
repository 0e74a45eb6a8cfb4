//! The CLI's Y4M reader (crates/framesink-cli/src/y4m.rs): any bytes are
//! sniffed and read frame by frame as `framesink encode` reads its input.
//! Checks what each whole frame must be: limited range after XCOLORRANGE=FULL,
//! neutral chroma for mono.
#![no_main]

use framesink_cli::fuzzing::{read_input, Chroma};
use libfuzzer_sys::fuzz_target;

mod common;
use common::Trickle;

/// Frames above this are refused before any allocation (the CLI's limit is
/// 1 GiB, too much for a fuzzer's memory limit).
const MAX_FRAME: u64 = 1 << 20;

fuzz_target!(|data: &[u8]| {
    let input = Box::new(Trickle::new(data, 7, 61, None));
    let mut frames = Vec::new();
    let Ok(reading) = read_input(input, 16, MAX_FRAME, |f| frames.push(f.to_vec())) else {
        return;
    };
    let Some(h) = reading.y4m else {
        return;
    };
    let luma = h.width as usize * h.height as usize;
    for f in &frames {
        let (y, c) = f.split_at(luma);
        if h.full_range {
            assert!(
                y.iter().all(|v| (16..=235).contains(v)),
                "luma out of range"
            );
            assert!(
                c.iter().all(|v| (16..=240).contains(v)),
                "chroma out of range"
            );
        }
        if h.chroma == Chroma::Mono {
            assert!(c.iter().all(|&v| v == 128), "mono chroma is not neutral");
        }
    }
});
