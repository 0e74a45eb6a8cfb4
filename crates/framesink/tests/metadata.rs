//! Movie metadata (title, artist, creation time, any key): what ffprobe
//! reads back from MP4 (plain, fragmented, AV1), GIF and APNG, what join
//! does with it, and the refusals.

mod common;

use std::collections::BTreeMap;
use std::path::Path;
use std::process::Command;

use common::{box_kinds, decode_rgb, framemd5, probe, push_pattern, run_tool, SharedVec, TestDir};
use framesink::mux::Output;
use framesink::{Codec, Container, Error, Joiner, Metadata, VideoWriter, WriterConfig};

const W: u32 = 48;
const H: u32 = 32;

/// What matplotlib's `FFMpegWriter` passes, and more: non-ASCII, a value
/// holding '=' and a line break, keys ffmpeg's MP4 writer would drop.
fn tags() -> Vec<(&'static str, &'static str)> {
    vec![
        ("title", "Café ☕ — flow"),
        ("artist", "Ann Lab"),
        ("comment", "a=b\nsecond line"),
        ("genre", "Simulation"),
        ("subject", "Kármán vortex street"),
        ("copyright", "(c) 2026 Lab"),
        ("creation_time", "2024-05-17T16:30:00+02:00"),
        ("date", "2024"),
        ("srcform", "run.py"),
    ]
}

fn config_with(tags: &[(&str, &str)]) -> WriterConfig {
    tags.iter()
        .fold(WriterConfig::default(), |c, (k, v)| c.with_metadata(*k, *v))
}

/// The JSON string starting at `s` (after its opening quote): its value
/// and the rest after its closing quote.
fn json_string(s: &str) -> (String, &str) {
    let mut out = String::new();
    let mut chars = s.char_indices();
    while let Some((i, c)) = chars.next() {
        match c {
            '"' => return (out, &s[i + 1..]),
            '\\' => match chars.next().map(|(_, e)| e) {
                Some('n') => out.push('\n'),
                Some('t') => out.push('\t'),
                Some('r') => out.push('\r'),
                Some('b') => out.push('\u{8}'),
                Some('f') => out.push('\u{c}'),
                Some('u') => {
                    let hex: String = (0..4)
                        .filter_map(|_| chars.next().map(|(_, h)| h))
                        .collect();
                    let code = u32::from_str_radix(&hex, 16).expect("\\u escape");
                    out.push(char::from_u32(code).expect("a BMP character"));
                }
                Some(other) => out.push(other),
                None => panic!("dangling escape"),
            },
            c => out.push(c),
        }
    }
    panic!("unterminated JSON string")
}

/// The `"tags"` objects of ffprobe's JSON, in order (format first, then
/// streams or frames), each as key -> value.
fn json_tags(json: &str) -> Vec<BTreeMap<String, String>> {
    let mut all = Vec::new();
    let mut rest = json;
    while let Some(at) = rest.find("\"tags\": {") {
        rest = &rest[at + "\"tags\": {".len()..];
        let mut tags = BTreeMap::new();
        loop {
            rest = rest.trim_start_matches(|c: char| c.is_whitespace() || c == ',');
            if let Some(r) = rest.strip_prefix('}') {
                rest = r;
                break;
            }
            let r = rest.strip_prefix('"').expect("a key");
            let (key, r) = json_string(r);
            let r = r.trim_start().strip_prefix(':').expect("':'").trim_start();
            let (value, r) = json_string(r.strip_prefix('"').expect("a string value"));
            tags.insert(key, value);
            rest = r;
        }
        all.push(tags);
    }
    all
}

/// `ffprobe -show_format -of json`: the format's tags.
fn format_tags(path: &Path) -> BTreeMap<String, String> {
    let out = run_tool(
        Command::new("ffprobe")
            .args(["-v", "error", "-show_format", "-of", "json"])
            .arg(path),
    );
    let json = String::from_utf8(out).expect("ffprobe prints UTF-8");
    json_tags(&json).into_iter().next().unwrap_or_default()
}

/// What every MP4 with [`tags`] shows: each tag as given, `creation_time`
/// in UTC to the second (as ffprobe prints MP4 times), and the encoder.
fn assert_mp4_tags(path: &Path) {
    let got = format_tags(path);
    for (k, v) in tags() {
        let want = if k == "creation_time" {
            "2024-05-17T14:30:00.000000Z"
        } else {
            v
        };
        assert_eq!(
            got.get(k).map(String::as_str),
            Some(want),
            "{}: {k} in {got:?}",
            path.display()
        );
    }
    assert_eq!(
        got.get("encoder").map(String::as_str),
        Some(format!("framesink {}", env!("CARGO_PKG_VERSION")).as_str())
    );
    assert_eq!(got.get("major_brand").map(String::as_str), Some("isom"));
}

#[test]
fn plain_mp4_carries_every_tag_as_ffprobe_shows_it() {
    let dir = TestDir::new("meta_plain");
    let path = dir.join("a.mp4");
    let mut w = VideoWriter::create(&path, config_with(&tags())).unwrap();
    push_pattern(&mut w, W, H, 0..10);
    w.finish().unwrap();
    assert_mp4_tags(&path);
    assert_eq!(probe(&path).frames, 10);
    // The creation time is the track's too (tkhd/mdhd), as ffmpeg writes it.
    let out = run_tool(
        Command::new("ffprobe")
            .args(["-v", "error", "-show_streams", "-of", "json"])
            .arg(&path),
    );
    let streams = json_tags(&String::from_utf8(out).unwrap());
    assert_eq!(
        streams[0].get("creation_time").map(String::as_str),
        Some("2024-05-17T14:30:00.000000Z")
    );
}

#[test]
fn fragmented_mp4_on_a_write_only_sink_carries_every_tag() {
    let dir = TestDir::new("meta_stream");
    let sink = SharedVec::default();
    let mut w = VideoWriter::new_stream(sink.clone(), config_with(&tags())).unwrap();
    push_pattern(&mut w, W, H, 0..70);
    w.finish().unwrap();
    let bytes = sink.bytes();
    let kinds = box_kinds(&bytes);
    assert_eq!(&kinds[..3], ["ftyp", "moov", "moof"], "{kinds:?}");
    let path = dir.join("stream.mp4");
    std::fs::write(&path, &bytes).unwrap();
    assert_mp4_tags(&path);
    assert_eq!(probe(&path).frames, 70);
}

#[test]
fn av1_mp4_carries_every_tag() {
    let dir = TestDir::new("meta_av1");
    let path = dir.join("a.mp4");
    let config = config_with(&tags()).with_codec(Codec::Av1);
    let mut w = VideoWriter::create(&path, config).unwrap();
    push_pattern(&mut w, 64, 48, 0..6);
    w.finish().unwrap();
    assert_mp4_tags(&path);
    let p = probe(&path);
    assert_eq!((p.codec_name.as_str(), p.frames), ("av1", 6));
}

#[test]
fn mp4_boxes_are_where_ffmpeg_puts_them() {
    let dir = TestDir::new("meta_boxes");
    let path = dir.join("a.mp4");
    let mut w = VideoWriter::create(&path, config_with(&tags())).unwrap();
    push_pattern(&mut w, W, H, 0..3);
    w.finish().unwrap();
    let bytes = std::fs::read(&path).unwrap();
    let find = |needle: &[u8]| bytes.windows(needle.len()).position(|w| w == needle);
    // udta/meta with the iTunes handler, then the items in ffmpeg's order
    let mdir = find(b"mdirappl").expect("the iTunes handler");
    let order: Vec<usize> = [
        &b"\xa9nam"[..],
        b"\xa9ART",
        b"\xa9day",
        b"\xa9too",
        b"\xa9cmt",
        b"\xa9gen",
        b"cprt",
    ]
    .iter()
    .map(|k| find(k).unwrap_or_else(|| panic!("{k:?}")))
    .collect();
    assert!(
        mdir < order[0] && order.windows(2).all(|w| w[0] < w[1]),
        "{order:?}"
    );
    // the other keys as mdta keys, named as given
    assert!(find(b"mdtasubject").is_some() && find(b"mdtasrcform").is_some());
    // mvhd is version 1: its creation time is the 8 bytes after the version
    // and flags (seconds since 1904)
    let mvhd = find(b"mvhd").unwrap() + 8;
    let t = u64::from_be_bytes(bytes[mvhd..mvhd + 8].try_into().unwrap());
    assert_eq!(t, 1_715_956_200 + 2_082_844_800);
}

#[test]
fn without_metadata_nothing_changes() {
    let dir = TestDir::new("meta_none");
    let (a, b) = (dir.join("a.mp4"), dir.join("b.mp4"));
    let mut w = VideoWriter::create(&a, WriterConfig::default()).unwrap();
    push_pattern(&mut w, W, H, 0..5);
    w.finish().unwrap();
    // empty values write no tag, as ffmpeg's `-metadata title=`
    let config = WriterConfig::default().with_metadata("title", "");
    let mut w = VideoWriter::create(&b, config).unwrap();
    push_pattern(&mut w, W, H, 0..5);
    w.finish().unwrap();
    let (a, b) = (std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    assert_eq!(a, b);
    assert!(!a.windows(4).any(|w| w == b"udta" || w == b"meta"));
}

#[test]
fn creation_time_now_is_written() {
    let dir = TestDir::new("meta_now");
    let path = dir.join("a.mp4");
    let config = WriterConfig::default().with_metadata("creation_time", "now");
    let mut w = VideoWriter::create(&path, config).unwrap();
    push_pattern(&mut w, W, H, 0..2);
    w.finish().unwrap();
    let t = format_tags(&path)
        .remove("creation_time")
        .expect("creation_time");
    assert!(t.ends_with(".000000Z") && t.len() == 27, "{t}");
}

#[test]
fn gif_comment_extension_holds_the_comment_or_every_key() {
    let dir = TestDir::new("meta_gif");
    let alone = dir.join("alone.gif");
    let config = WriterConfig::default().with_metadata("comment", "Café ☕ run 3");
    let mut w = VideoWriter::create(&alone, config).unwrap();
    push_pattern(&mut w, W, H, 0..4);
    w.finish().unwrap();
    let bytes = std::fs::read(&alone).unwrap();
    let mut ext = vec![0x21, 0xFE, "Café ☕ run 3".len() as u8];
    ext.extend_from_slice("Café ☕ run 3".as_bytes());
    ext.push(0);
    assert!(
        bytes.windows(ext.len()).any(|w| w == ext),
        "comment extension"
    );
    assert_eq!(
        format_tags(&alone).get("comment").map(String::as_str),
        Some("Café ☕ run 3")
    );
    assert_eq!(framemd5(&alone).len(), 4, "still decodes");

    let all = dir.join("all.gif");
    let mut w = VideoWriter::create(&all, config_with(&tags())).unwrap();
    push_pattern(&mut w, W, H, 0..4);
    w.finish().unwrap();
    let comment = format_tags(&all).remove("comment").unwrap();
    assert_eq!(
        comment,
        "title: Café ☕ — flow\nartist: Ann Lab\ncomment: a=b\nsecond line\ngenre: Simulation\nsubject: Kármán vortex street\ncopyright: (c) 2026 Lab\ncreation_time: 2024-05-17T14:30:00Z\ndate: 2024\nsrcform: run.py"
    );
    assert_eq!(decode_rgb(&all), decode_rgb(&alone), "same pictures");
}

/// The PNG text chunks of a file: (type, keyword, text).
fn png_text(bytes: &[u8]) -> Vec<(String, String, String)> {
    let mut out = Vec::new();
    let mut at = 8;
    while at + 12 <= bytes.len() {
        let len = u32::from_be_bytes(bytes[at..at + 4].try_into().unwrap()) as usize;
        let kind = String::from_utf8_lossy(&bytes[at + 4..at + 8]).into_owned();
        let data = &bytes[at + 8..at + 8 + len];
        let crc = u32::from_be_bytes(bytes[at + 8 + len..at + 12 + len].try_into().unwrap());
        assert_eq!(crc32(&bytes[at + 4..at + 8 + len]), crc, "CRC of {kind}");
        if kind == "tEXt" || kind == "iTXt" {
            let nul = data.iter().position(|&b| b == 0).unwrap();
            let keyword = String::from_utf8(data[..nul].to_vec()).unwrap();
            let text = if kind == "tEXt" {
                data[nul + 1..].iter().map(|&b| b as char).collect() // Latin-1
            } else {
                assert_eq!(
                    &data[nul + 1..nul + 5],
                    [0, 0, 0, 0],
                    "uncompressed, no language"
                );
                String::from_utf8(data[nul + 5..].to_vec()).unwrap()
            };
            out.push((kind, keyword, text));
        }
        at += 12 + len;
    }
    out
}

/// CRC-32 (PNG's), bit by bit: the test's own, not the writer's.
fn crc32(data: &[u8]) -> u32 {
    let mut c = 0xFFFF_FFFFu32;
    for &b in data {
        c ^= b as u32;
        for _ in 0..8 {
            c = if c & 1 != 0 {
                0xEDB8_8320 ^ (c >> 1)
            } else {
                c >> 1
            };
        }
    }
    !c
}

#[test]
fn apng_text_chunks_use_the_png_keywords() {
    let dir = TestDir::new("meta_apng");
    for (name, stream) in [("a.png", false), ("stream.apng", true)] {
        let path = dir.join(name);
        let config = config_with(&tags()).with_container(Container::Apng);
        let mut w = if stream {
            VideoWriter::new_stream(std::fs::File::create(&path).unwrap(), config).unwrap()
        } else {
            VideoWriter::create(&path, config).unwrap()
        };
        push_pattern(&mut w, W, H, 0..4);
        w.finish().unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let text = png_text(&bytes);
        let want = [
            ("iTXt", "Title", "Café ☕ — flow"),
            ("tEXt", "Author", "Ann Lab"),
            ("tEXt", "Comment", "a=b\nsecond line"),
            ("tEXt", "genre", "Simulation"),
            ("tEXt", "subject", "Kármán vortex street"),
            ("tEXt", "Copyright", "(c) 2026 Lab"),
            ("tEXt", "Creation Time", "2024-05-17T14:30:00Z"),
            ("tEXt", "date", "2024"),
            ("tEXt", "srcform", "run.py"),
        ];
        let software = format!("framesink {}", env!("CARGO_PKG_VERSION"));
        let mut want: Vec<(String, String, String)> = want
            .iter()
            .map(|(a, b, c)| (a.to_string(), b.to_string(), c.to_string()))
            .collect();
        want.push(("tEXt".into(), "Software".into(), software.clone()));
        assert_eq!(text, want, "{name}");
        // before the first frame, after acTL
        let at = |k: &[u8]| bytes.windows(4).position(|w| w == k).unwrap();
        assert!(
            at(b"acTL") < at(b"iTXt") && at(b"tEXt") < at(b"fcTL"),
            "{name}"
        );
        // ffmpeg 5.1's PNG decoder shows tEXt (not iTXt) as the first frame's tags
        let out = run_tool(
            Command::new("ffprobe")
                .args(["-v", "error", "-show_entries", "frame_tags", "-of", "json"])
                .arg(&path),
        );
        let frames = json_tags(&String::from_utf8(out).unwrap());
        let first = &frames[0];
        assert_eq!(
            first.get("Author").map(String::as_str),
            Some("Ann Lab"),
            "{name}"
        );
        assert_eq!(
            first.get("subject").map(String::as_str),
            Some("Kármán vortex street")
        );
        assert_eq!(first.get("Software"), Some(&software));
        assert_eq!(probe(&path).frames, 4, "{name} decodes");
    }
}

#[test]
fn join_writes_the_joiners_metadata_and_none_of_the_parts() {
    let dir = TestDir::new("meta_join");
    let parts: Vec<_> = (0..2)
        .map(|i| {
            let p = dir.join(&format!("p{i}.mp4"));
            // the part's own tags, and one whose text looks like a box type
            let config = config_with(&[("title", "part"), ("subject", "sgpd moov")]);
            let mut w = VideoWriter::create(&p, config).unwrap();
            push_pattern(&mut w, W, H, i * 30..i * 30 + 30);
            w.finish().unwrap();
            p
        })
        .collect();
    let plain: Vec<_> = (0..2)
        .map(|i| {
            let p = dir.join(&format!("q{i}.mp4"));
            let mut w = VideoWriter::create(&p, WriterConfig::default()).unwrap();
            push_pattern(&mut w, W, H, i * 30..i * 30 + 30);
            w.finish().unwrap();
            p
        })
        .collect();
    let join = |out: &Path, parts: &[std::path::PathBuf], meta: Metadata| {
        let file = std::fs::File::options()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(out)
            .unwrap();
        let mut j = Joiner::new(Output::Seekable(Box::new(file))).with_metadata(meta);
        for p in parts {
            j.append_part(std::fs::File::open(p).unwrap(), &p.display().to_string())
                .unwrap();
        }
        j.finish().unwrap()
    };
    // the parts' tags are not kept: the same bytes as parts without any
    let (a, b) = (dir.join("a.mp4"), dir.join("b.mp4"));
    join(&a, &parts, Metadata::default());
    join(&b, &plain, Metadata::default());
    assert_eq!(std::fs::read(&a).unwrap(), std::fs::read(&b).unwrap());
    assert!(!format_tags(&a).contains_key("title"));
    // the joiner's are
    let c = dir.join("c.mp4");
    let s = join(&c, &parts, Metadata::new(tags()).unwrap());
    assert_eq!(s.frames, 60);
    assert_mp4_tags(&c);
    assert_eq!(probe(&c).frames, 60);
    // and a GIF join gets the comment
    let g: Vec<_> = (0..2)
        .map(|i| {
            let p = dir.join(&format!("g{i}.gif"));
            let mut w = VideoWriter::create(&p, WriterConfig::default()).unwrap();
            push_pattern(&mut w, W, H, 0..3);
            w.finish().unwrap();
            p
        })
        .collect();
    let gj = dir.join("j.gif");
    join(&gj, &g, Metadata::new([("comment", "joined")]).unwrap());
    assert_eq!(
        format_tags(&gj).get("comment").map(String::as_str),
        Some("joined")
    );
    assert_eq!(framemd5(&gj).len(), 6);
}

#[test]
fn the_ffmpeg_backend_passes_each_tag() {
    let dir = TestDir::new("meta_ffmpeg");
    let path = dir.join("a.mkv");
    let config =
        config_with(&[("title", "Café ☕"), ("subject", "Flow")]).with_ffmpeg("mpeg4", &[]);
    let mut w = VideoWriter::create(&path, config).unwrap();
    push_pattern(&mut w, W, H, 0..3);
    w.finish().unwrap();
    let got = format_tags(&path);
    assert_eq!(got.get("title").map(String::as_str), Some("Café ☕"));
    // Matroska upper-cases the keys it has no name of its own for
    assert_eq!(got.get("SUBJECT").map(String::as_str), Some("Flow"));
}

/// The error of a writer made with `tags`; no file may be left.
fn refused(tags: &[(&str, &str)]) -> String {
    let dir = TestDir::new("meta_refused");
    let path = dir.join("a.mp4");
    let e = match VideoWriter::create(&path, config_with(tags)) {
        Err(e) => e,
        Ok(_) => panic!("{tags:?} was accepted"),
    };
    assert!(matches!(e, Error::InvalidConfig(_)), "{e:?}");
    assert!(!path.exists(), "no file for {tags:?}");
    assert!(config_with(tags).validate().is_err());
    e.to_string()
}

#[test]
fn bad_keys_and_values_are_refused_naming_them() {
    let e = refused(&[("creation_time", "yesterday")]);
    assert!(
        e.contains("creation_time \"yesterday\" is not a date and time")
            && e.contains("2024-05-17T14:30:00Z"),
        "{e}"
    );
    let e = refused(&[("creation_time", "2024-02-30T00:00:00Z")]);
    assert!(e.contains("2024-02-30"), "{e}");
    let e = refused(&[("", "x")]);
    assert!(
        e.contains("metadata key \"\" is empty") && e.contains("1 to 79 printable ASCII"),
        "{e}"
    );
    let e = refused(&[("a=b", "x")]);
    assert!(e.contains("\"a=b\" contains '='"), "{e}");
    let e = refused(&[("ti\ttle", "x")]);
    assert!(
        e.contains("\"ti\\ttle\" contains a control character"),
        "{e}"
    );
    let e = refused(&[("titré", "x")]);
    assert!(e.contains("not printable ASCII"), "{e}");
    let e = refused(&[("title", "nul\0here")]);
    assert!(
        e.contains("title value \"nul\\0here\"") && e.contains("U+0000"),
        "{e}"
    );
    let e = refused(&[("title", "a"), ("Title", "b")]);
    assert!(
        e.contains("\"Title\" is given twice (also as \"title\")"),
        "{e}"
    );
    let e = refused(&[("encoder", "a"), ("encoding_tool", "b")]);
    assert!(e.contains("given twice"), "{e}");
    let e = refused(&[("major_brand", "qt  ")]);
    assert!(e.contains("\"major_brand\" cannot be set"), "{e}");
    let long = "x".repeat(80);
    let e = refused(&[(long.as_str(), "v")]);
    assert!(
        e.contains("is 80 bytes long") && e.contains("1 to 79"),
        "{e}"
    );
    let big = "v".repeat((1 << 20) + 1);
    let e = refused(&[("comment", big.as_str())]);
    assert!(
        e.contains("1048577 bytes") && e.contains("at most 1048576"),
        "{e}"
    );
    // the joiner's metadata is checked the same way, before any output
    let e = Metadata::new([("creation_time", "soon")]).unwrap_err();
    assert!(matches!(e, Error::InvalidConfig(_)) && e.to_string().contains("\"soon\""));
}
