//! The CLI's raw-frame reader: the first 3 bytes choose the frame size
//! (1..=64 x 1..=64) and pixel format, the rest is the stream, read in short
//! reads with EINTR between them. Every whole frame must come out as it
//! went in, and the tail as a partial frame of the right length.
#![no_main]

use framesink::PixelLayout;
use framesink_cli::fuzzing::{frame_bytes, read_input, End};
use libfuzzer_sys::fuzz_target;

mod common;
use common::Trickle;

fuzz_target!(|data: &[u8]| {
    let [w, h, l, stream @ ..] = data else {
        return;
    };
    let (w, h) = (1 + *w as u32 % 64, 1 + *h as u32 % 64);
    let layout = PixelLayout::ALL[*l as usize % PixelLayout::ALL.len()];
    let fb = frame_bytes(w, h, layout) as usize;
    let input = Box::new(Trickle::new(stream, 13, 97, Some(5)));
    let mut seen = 0usize;
    let reading = read_input(input, fb, 1 << 22, |f| {
        if !looks_like_y4m(stream) {
            assert_eq!(
                f,
                &stream[seen * fb..(seen + 1) * fb],
                "frame {seen} differs"
            );
        }
        seen += 1;
    });
    if looks_like_y4m(stream) {
        return; // the Y4M target's
    }
    let reading = reading.expect("raw input is always readable");
    assert_eq!(reading.frames as usize, stream.len() / fb);
    match reading.end {
        End::Clean => assert_eq!(stream.len() % fb, 0),
        End::Partial { got, expected } => {
            assert_eq!((got, expected), (stream.len() % fb, fb));
        }
        End::Error(e) => panic!("raw read failed: {e}"),
    }
});

/// What the CLI takes for Y4M: its signature, then a space, a newline or the end.
fn looks_like_y4m(stream: &[u8]) -> bool {
    stream.starts_with(b"YUV4MPEG2") && matches!(stream.get(9), None | Some(b' ' | b'\n'))
}
