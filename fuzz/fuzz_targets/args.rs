//! The CLI's argument parsing and settings: the input is argv (after the
//! program name) as NUL-separated words, then optionally two NULs and the
//! first bytes of the command's input (for the Y4M header). Nothing is
//! opened or created. Settings that parse must be valid and make a writer.
#![no_main]

use std::ffi::OsString;
use std::io::Cursor;
use std::os::unix::ffi::OsStringExt;

use framesink::VideoWriter;
use framesink_cli::fuzzing::{frame_bytes, parse_args};
use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    let (args, input) = match data.windows(2).position(|w| w == [0, 0]) {
        Some(i) => (&data[..i], &data[i + 2..]),
        None => (data, &[][..]),
    };
    let mut argv = vec![OsString::from("framesink")];
    if !args.is_empty() {
        argv.extend(
            args.split(|&b| b == 0)
                .map(|w| OsString::from_vec(w.to_vec())),
        );
    }
    let Ok(Some(s)) = parse_args(argv, Box::new(Cursor::new(input.to_vec()))) else {
        return;
    };
    s.config.validate().expect("the CLI's settings are valid");
    assert_eq!(
        s.frame_bytes as u64,
        frame_bytes(s.width, s.height, s.layout)
    );
    assert!(s.frame_bytes <= 1 << 30);
    // No frame is pushed: no thread, no file (ffmpeg is only looked for
    // when a file is created).
    let _ = VideoWriter::new_stream(std::io::sink(), s.config);
});
