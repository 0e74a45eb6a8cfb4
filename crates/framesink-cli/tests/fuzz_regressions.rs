//! Inputs that the fuzz targets in `fuzz/` found to panic the CLI's readers
//! or argument handling: each is now read or refused with a message.

use std::io::Cursor;

use framesink_cli::fuzzing::{read_input, End, Reading};

/// Reads `data` as `framesink encode` reads its input (raw frames of 16 bytes).
fn read(data: &[u8]) -> Result<Reading, String> {
    read_input(Box::new(Cursor::new(data.to_vec())), 16, 1 << 22, |_| {})
}

/// fuzz/y4m: a header byte that is not UTF-8 at the start of a tag split a
/// replacement character in two (a panic); such a token is no tag, ignored.
#[test]
fn y4m_header_byte_that_is_not_utf8_is_no_tag() {
    let r = read(b"YUV4MPEG2 \xff W2 \xc3\xa9x H2 F30:1\nFRAME\n\0\0\0\0\0\0").unwrap();
    let h = r.y4m.expect("a Y4M header");
    assert_eq!((h.width, h.height), (2, 2));
    assert_eq!(r.frames, 1);
    assert!(matches!(r.end, End::Clean), "{:?}", r.end);
    // Not UTF-8 inside a value is still a bad value, named.
    let e = read(b"YUV4MPEG2 W2\xff H2 F30:1\n").unwrap_err();
    assert!(e.contains("width") && e.contains("not a number"), "{e}");
}
