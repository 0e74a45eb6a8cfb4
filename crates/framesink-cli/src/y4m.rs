//! Input framing: raw frames, or YUV4MPEG2 (Y4M) detected by its signature.
//! Y4M frames are turned into limited-range planar 4:2:0 for the writer.

use std::io::{self, Read as IoRead};

use framesink::Rational;

use crate::AnyResult;

const SIGNATURE: &[u8] = b"YUV4MPEG2";

/// Chroma layouts of Y4M input that framesink reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Chroma {
    /// 4:2:0 (any siting).
    C420,
    /// 4:4:4, averaged to 4:2:0.
    C444,
    /// Luma only.
    Mono,
}

/// A Y4M stream header.
#[derive(Clone, Debug)]
pub struct Header {
    pub width: u32,
    pub height: u32,
    pub fps: Rational,
    pub chroma: Chroma,
    pub full_range: bool,
}

/// What [`Input::read_frame`] found.
pub enum Read {
    /// A whole frame.
    Frame,
    /// The end of the input, between frames.
    End,
    /// The input ended inside a frame.
    Partial { got: usize, expected: usize },
}

/// Where frames come from.
pub enum Input {
    Raw(Prefixed),
    Y4m(Header, Prefixed),
}

/// A reader with some already-read bytes in front.
pub struct Prefixed {
    head: Vec<u8>,
    at: usize,
    rest: Box<dyn IoRead>,
}

impl IoRead for Prefixed {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        if self.at < self.head.len() {
            let n = buf.len().min(self.head.len() - self.at);
            buf[..n].copy_from_slice(&self.head[self.at..self.at + n]);
            self.at += n;
            return Ok(n);
        }
        self.rest.read(buf)
    }
}

/// Reads until `buf` is full or the input ends; returns the bytes read.
fn read_full(r: &mut impl IoRead, buf: &mut [u8]) -> io::Result<usize> {
    let mut got = 0;
    while got < buf.len() {
        match r.read(&mut buf[got..]) {
            Ok(0) => break,
            Ok(n) => got += n,
            // Interrupted by a stop request: the caller finishes the file.
            Err(e)
                if e.kind() == io::ErrorKind::Interrupted
                    && crate::signals::stop_requested().is_none() => {}
            Err(e) => return Err(e),
        }
    }
    Ok(got)
}

fn read_line(r: &mut impl IoRead, what: &str) -> AnyResult<Option<Vec<u8>>> {
    let mut line = Vec::new();
    let mut b = [0u8; 1];
    loop {
        if r.read(&mut b)? == 0 {
            if line.is_empty() {
                return Ok(None);
            }
            return Err(format!("Y4M input ended inside a {what} line").into());
        }
        if b[0] == b'\n' {
            return Ok(Some(line));
        }
        line.push(b[0]);
        if line.len() > 4096 {
            return Err(format!("Y4M {what} line is longer than 4096 bytes").into());
        }
    }
}

impl Header {
    fn parse(line: &[u8]) -> AnyResult<Header> {
        let text = String::from_utf8_lossy(line);
        let (mut w, mut h, mut fps) = (None, None, None);
        let mut chroma = Chroma::C420;
        let mut full_range = false;
        // The token that gave each field: a field given twice is refused, not
        // taken from its last value (a damaged or hand-edited header).
        let mut given: Vec<(&str, &str)> = Vec::new();
        for tok in text.split(' ').skip(1).filter(|t| !t.is_empty()) {
            // A tag is one ASCII letter and its value; a token that starts
            // otherwise (e.g. bytes that are not UTF-8) is no tag we know.
            let Some((k, v)) = tok.split_at_checked(1) else {
                continue;
            };
            let field = match k {
                "W" => Some("width (W)"),
                "H" => Some("height (H)"),
                "F" => Some("frame rate (F)"),
                "C" => Some("colour space (C)"),
                "I" => Some("interlacing (I)"),
                "A" => Some("pixel aspect ratio (A)"),
                "X" if v.starts_with("COLORRANGE=") => Some("colour range (XCOLORRANGE)"),
                _ => None, // other X tags may repeat; unknown tags are skipped
            };
            if let Some(field) = field {
                if let Some((_, first)) = given.iter().find(|(f, _)| *f == field) {
                    return Err(format!(
                        "Y4M header gives the {field} twice: {first} and {tok}; give each field once"
                    )
                    .into());
                }
                given.push((field, tok));
            }
            match k {
                "W" => w = Some(v.parse::<u32>().map_err(|_| format!("Y4M width {v:?} is not a number"))?),
                "H" => h = Some(v.parse::<u32>().map_err(|_| format!("Y4M height {v:?} is not a number"))?),
                "F" => {
                    let (n, d) = v.split_once(':').ok_or_else(|| format!("Y4M rate {v:?} is not N:D"))?;
                    let n: u64 = n.parse().map_err(|_| format!("Y4M rate {v:?} is not N:D"))?;
                    let d: u64 = d.parse().map_err(|_| format!("Y4M rate {v:?} is not N:D"))?;
                    if n == 0 || d == 0 {
                        return Err(format!("Y4M rate {v:?} is not a positive rate").into());
                    }
                    fps = Some(Rational::new(n, d));
                }
                "C" => {
                    chroma = match v {
                        "420" | "420jpeg" | "420mpeg2" | "420paldv" => Chroma::C420,
                        "444" => Chroma::C444,
                        "mono" => Chroma::Mono,
                        other => {
                            return Err(format!(
                                "Y4M colour space C{other} is not supported; supported: 420jpeg, 420mpeg2, 420paldv, 420, 444, mono (8-bit)"
                            )
                            .into())
                        }
                    }
                }
                "I" if !matches!(v, "p" | "?") => {
                    return Err(format!(
                        "Y4M interlacing I{v} is not supported; only progressive (Ip)"
                    )
                    .into());
                }
                "X" => {
                    if let Some(r) = v.strip_prefix("COLORRANGE=") {
                        full_range = r.eq_ignore_ascii_case("FULL");
                    }
                }
                _ => {} // aspect (A) and unknown tags do not change the pixels
            }
        }
        let width = w.ok_or("Y4M header has no width (W)")?;
        let height = h.ok_or("Y4M header has no height (H)")?;
        for (what, v) in [("width", width), ("height", height)] {
            // The library refuses 1 too, naming the frame size.
            if v == 0 {
                return Err(
                    format!("Y4M {what} 0 is empty; width and height must be at least 2").into(),
                );
            }
        }
        let fps = fps.ok_or("Y4M header has no frame rate (F)")?;
        Ok(Header {
            width,
            height,
            fps,
            chroma,
            full_range,
        })
    }

    /// Bytes of one frame as stored in the stream.
    fn stored_bytes(&self) -> usize {
        let luma = self.width as usize * self.height as usize;
        match self.chroma {
            Chroma::C420 => luma + 2 * self.chroma_len(),
            Chroma::C444 => 3 * luma,
            Chroma::Mono => luma,
        }
    }

    fn chroma_len(&self) -> usize {
        self.width.div_ceil(2) as usize * self.height.div_ceil(2) as usize
    }
}

impl Input {
    /// Looks at the first bytes: Y4M if they are its signature, raw otherwise.
    pub fn sniff(mut r: Box<dyn IoRead>) -> AnyResult<Input> {
        // The signature, then a space, the header's newline or the end.
        let mut head = vec![0u8; SIGNATURE.len() + 1];
        let n = read_full(&mut r, &mut head)?;
        head.truncate(n);
        let after = head.get(SIGNATURE.len()).copied();
        if !head.starts_with(SIGNATURE) || !matches!(after, None | Some(b' ' | b'\n')) {
            return Ok(Input::Raw(Prefixed {
                head,
                at: 0,
                rest: r,
            }));
        }
        let mut line = head;
        match after {
            None => return Err("Y4M input ended inside its header".into()),
            Some(b'\n') => {
                line.pop();
            }
            _ => {
                let mut rest =
                    read_line(&mut r, "header")?.ok_or("Y4M input ended inside its header")?;
                line.append(&mut rest);
            }
        }
        let header = Header::parse(&line)?;
        Ok(Input::Y4m(
            header,
            Prefixed {
                head: Vec::new(),
                at: 0,
                rest: r,
            },
        ))
    }

    /// Fills `buf` with the next frame (yuv420p for Y4M).
    pub fn read_frame(&mut self, buf: &mut [u8]) -> AnyResult<Read> {
        match self {
            Input::Raw(r) => Ok(match read_full(r, buf)? {
                0 => Read::End,
                n if n == buf.len() => Read::Frame,
                got => Read::Partial {
                    got,
                    expected: buf.len(),
                },
            }),
            Input::Y4m(h, r) => {
                let Some(line) = read_line(r, "FRAME")? else {
                    return Ok(Read::End);
                };
                if !line.starts_with(b"FRAME") {
                    return Err(format!(
                        "Y4M frame header expected, found {:?}",
                        String::from_utf8_lossy(&line[..line.len().min(16)])
                    )
                    .into());
                }
                let mut stored = vec![0u8; h.stored_bytes()];
                let got = read_full(r, &mut stored)?;
                if got < stored.len() {
                    return Ok(Read::Partial {
                        got,
                        expected: stored.len(),
                    });
                }
                to_i420(h, &stored, buf);
                Ok(Read::Frame)
            }
        }
    }
}

/// Stored Y4M samples to limited-range planar 4:2:0.
fn to_i420(h: &Header, stored: &[u8], out: &mut [u8]) {
    let luma = h.width as usize * h.height as usize;
    let clen = h.chroma_len();
    match h.chroma {
        Chroma::C420 => out.copy_from_slice(stored),
        Chroma::Mono => {
            out[..luma].copy_from_slice(&stored[..luma]);
            out[luma..].fill(128);
        }
        Chroma::C444 => {
            out[..luma].copy_from_slice(&stored[..luma]);
            let (w, hh) = (h.width as usize, h.height as usize);
            let (cw, ch) = (w.div_ceil(2), hh.div_ceil(2));
            for plane in 0..2 {
                let src = &stored[luma * (plane + 1)..luma * (plane + 2)];
                let dst = &mut out[luma + plane * clen..luma + (plane + 1) * clen];
                for y in 0..ch {
                    for x in 0..cw {
                        let (x0, y0) = (2 * x, 2 * y);
                        let (x1, y1) = ((x0 + 1).min(w - 1), (y0 + 1).min(hh - 1));
                        let s = src[y0 * w + x0] as u32
                            + src[y0 * w + x1] as u32
                            + src[y1 * w + x0] as u32
                            + src[y1 * w + x1] as u32;
                        dst[y * cw + x] = ((s + 2) / 4) as u8;
                    }
                }
            }
        }
    }
    if h.full_range {
        let (y, c) = out.split_at_mut(luma);
        for v in y {
            *v = ((16 * 255 + *v as u32 * 219 + 127) / 255) as u8;
        }
        for v in c {
            *v = ((128 * 255 * 2 + (*v as i32 - 128) * 224 * 2 + 255) / (2 * 255)) as u8;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_header() {
        let h = Header::parse(b"YUV4MPEG2 W640 H481 F30000:1001 Ip A1:1 C444 XCOLORRANGE=FULL")
            .unwrap();
        assert_eq!((h.width, h.height), (640, 481));
        assert_eq!(h.fps, Rational::new(30000, 1001));
        assert_eq!(h.chroma, Chroma::C444);
        assert!(h.full_range);
        let e = Header::parse(b"YUV4MPEG2 W640 H480 F30:1 C422")
            .unwrap_err()
            .to_string();
        assert!(e.contains("C422") && e.contains("420jpeg"), "{e}");
    }

    #[test]
    fn a_field_given_twice_is_refused_naming_both() {
        for (header, words) in [
            ("W64 H32 F30:1 W32", ["width (W) twice", "W64 and W32"]),
            ("W64 H32 H32 F30:1", ["height (H) twice", "H32 and H32"]),
            (
                "W64 H32 F30:1 F25:1",
                ["frame rate (F) twice", "F30:1 and F25:1"],
            ),
            (
                "W64 H32 F30:1 C420 Cmono",
                ["colour space (C) twice", "C420 and Cmono"],
            ),
            (
                "W64 H32 F30:1 Ip I?",
                ["interlacing (I) twice", "Ip and I?"],
            ),
            (
                "W64 H32 F30:1 A1:1 A0:0",
                ["aspect ratio (A) twice", "A1:1 and A0:0"],
            ),
            (
                "W64 H32 F30:1 XCOLORRANGE=FULL XCOLORRANGE=LIMITED",
                [
                    "colour range (XCOLORRANGE) twice",
                    "XCOLORRANGE=FULL and XCOLORRANGE=LIMITED",
                ],
            ),
        ] {
            let line = format!("YUV4MPEG2 {header}");
            let e = Header::parse(line.as_bytes()).unwrap_err().to_string();
            for w in words {
                assert!(e.contains(w), "{header}: {e}");
            }
        }
        // Other X tags may repeat.
        Header::parse(b"YUV4MPEG2 W64 H32 F30:1 XYSCSS=420 XYSCSS=420").unwrap();
    }

    #[test]
    fn full_range_maps_to_limited() {
        let h = Header {
            width: 2,
            height: 2,
            fps: Rational::integer(1),
            chroma: Chroma::C420,
            full_range: true,
        };
        let mut out = [0u8; 6];
        to_i420(&h, &[0, 255, 128, 0, 0, 255], &mut out);
        assert_eq!(out, [16, 235, 126, 16, 16, 240]);
    }
}
