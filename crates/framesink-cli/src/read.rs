//! `framesink probe` and `framesink decode`: the reading half, the inverse
//! of `encode`, so `framesink decode a.mp4 | analysis` needs no ffmpeg.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufWriter, IsTerminal, Write};
use std::path::Path;

use framesink::{PixelLayout, Props, Reader};

use crate::AnyResult;

/// A JSON string literal.
fn json_string(s: &str) -> String {
    let mut out = String::with_capacity(s.len() + 2);
    out.push('"');
    for c in s.chars() {
        match c {
            '"' => out.push_str("\\\""),
            '\\' => out.push_str("\\\\"),
            '\n' => out.push_str("\\n"),
            '\r' => out.push_str("\\r"),
            '\t' => out.push_str("\\t"),
            c if (c as u32) < 0x20 => {
                let _ = write!(out, "\\u{:04x}", c as u32);
            }
            c => out.push(c),
        }
    }
    out.push('"');
    out
}

/// The props as one JSON object, keys in a fixed order.
pub(crate) fn props_json(p: &Props, layout: PixelLayout) -> String {
    let opt = |v: Option<String>| v.unwrap_or_else(|| "null".into());
    let fps = p.fps.map(|f| json_string(&format!("{}/{}", f.num, f.den)));
    let pts: Vec<String> = p.timestamps.iter().map(u64::to_string).collect();
    let metadata: Vec<String> = p
        .metadata
        .entries()
        .map(|(k, v)| format!("{}: {}", json_string(k), json_string(v)))
        .collect();
    let c = p.color;
    let fields = [
        ("codec", json_string(p.codec.name())),
        ("profile", json_string(&p.profile)),
        ("bit_depth", p.bit_depth.to_string()),
        ("width", p.width.to_string()),
        ("height", p.height.to_string()),
        (
            "sample_aspect",
            opt(p
                .sample_aspect
                .map(|(w, h)| json_string(&format!("{w}:{h}")))),
        ),
        ("coded_width", p.coded_width.to_string()),
        ("coded_height", p.coded_height.to_string()),
        ("frames", p.frames.to_string()),
        ("fps", opt(fps)),
        ("duration", format!("{}", p.duration_secs())),
        ("timescale", p.timescale.to_string()),
        ("duration_ticks", p.duration.to_string()),
        ("pts", format!("[{}]", pts.join(", "))),
        (
            "color",
            format!(
                "{{\"primaries\": {}, \"transfer\": {}, \"matrix\": {}, \"range\": {}}}",
                c.primaries,
                c.transfer,
                c.matrix,
                json_string(if c.full_range { "full" } else { "limited" })
            ),
        ),
        ("metadata", format!("{{{}}}", metadata.join(", "))),
        ("loops", opt(p.loops.map(|n| n.to_string()))),
        ("alpha", p.alpha.to_string()),
        ("encoder", json_string(&p.encoder)),
        ("pix_fmt", json_string(layout.pix_fmt())),
        ("truncated", opt(p.truncated.as_deref().map(json_string))),
    ];
    let body: Vec<String> = fields
        .iter()
        .map(|(k, v)| format!("  {}: {v}", json_string(k)))
        .collect();
    format!("{{\n{}\n}}\n", body.join(",\n"))
}

/// `framesink probe FILE`: the props as JSON on stdout.
pub(crate) fn probe(file: &Path) -> AnyResult<()> {
    let reader = Reader::open(file)?;
    let json = props_json(reader.props(), reader.layout());
    io::stdout().lock().write_all(json.as_bytes())?;
    Ok(())
}

/// The Y4M stream header for frames of `reader` in `layout`.
fn y4m_header(p: &Props, layout: PixelLayout) -> AnyResult<String> {
    let colour = match layout {
        PixelLayout::Yuv420p => "C420jpeg",
        PixelLayout::Gray8 => "Cmono",
        other => {
            return Err(format!(
                "Y4M holds YUV or gray frames, not {other}; use --pix-fmt yuv420p or gray with --y4m, or drop --y4m for raw {other}"
            )
            .into())
        }
    };
    // A variable frame rate is given as its mean; the raw frames carry no times.
    let (num, den) = match p.fps {
        Some(f) => (f.num, f.den),
        None => (p.frames * p.timescale as u64, p.duration.max(1)),
    };
    let range = if p.color.full_range || layout == PixelLayout::Gray8 {
        "FULL"
    } else {
        "LIMITED"
    };
    Ok(format!(
        "YUV4MPEG2 W{} H{} F{num}:{den} Ip A1:1 {colour} XCOLORRANGE={range}\n",
        p.width, p.height
    ))
}

/// `framesink decode FILE [-o OUT] [--pix-fmt F] [--y4m]`: every frame,
/// raw (rows packed, frame after frame) or as Y4M.
pub(crate) fn decode(
    file: &Path,
    output: Option<&Path>,
    pix_fmt: Option<&str>,
    y4m: bool,
) -> AnyResult<()> {
    let mut reader = Reader::open(file)?;
    let layout = match pix_fmt {
        Some(f) => f.parse::<PixelLayout>()?,
        None if y4m => {
            if matches!(
                reader.props().codec,
                framesink::Codec::Gif | framesink::Codec::Png
            ) {
                PixelLayout::Gray8
            } else {
                PixelLayout::Yuv420p
            }
        }
        None => reader.layout(),
    };
    reader.set_layout(layout)?;
    let header = if y4m {
        Some(y4m_header(reader.props(), layout)?)
    } else {
        None
    };
    let mut out: Box<dyn Write> = match output {
        Some(p) if p.as_os_str() != "-" => Box::new(BufWriter::with_capacity(
            1 << 20,
            File::create(p).map_err(|e| format!("cannot create {}: {e}", p.display()))?,
        )),
        _ => {
            if io::stdout().is_terminal() {
                return Err(
                    "refusing to write raw frames to a terminal; redirect stdout, pipe it, or give -o FILE"
                        .into(),
                );
            }
            Box::new(BufWriter::with_capacity(1 << 20, io::stdout().lock()))
        }
    };
    if let Some(h) = header {
        out.write_all(h.as_bytes())?;
    }
    for frame in reader.by_ref() {
        let frame = frame?;
        if y4m {
            out.write_all(b"FRAME\n")?;
        }
        match out.write_all(&frame.data) {
            // The reader downstream stopped (`| head -c`): not an error.
            Err(e) if e.kind() == io::ErrorKind::BrokenPipe => return Ok(()),
            r => r?,
        }
    }
    match out.flush() {
        Err(e) if e.kind() == io::ErrorKind::BrokenPipe => Ok(()),
        r => Ok(r?),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_strings_escape_quotes_controls_and_backslashes() {
        assert_eq!(json_string("a\"b\\c\nd\u{1}"), "\"a\\\"b\\\\c\\nd\\u0001\"");
        assert_eq!(json_string("é"), "\"é\"");
    }
}
