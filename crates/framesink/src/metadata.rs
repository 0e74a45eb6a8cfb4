//! Movie metadata (title, artist, comment, creation time, any other key):
//! checked once, before anything is written; each container writes it its own way.
//!
//! Keys follow ffmpeg's `-metadata key=value` names, so that what a user
//! passes to matplotlib's `FFMpegWriter` means the same here and ffprobe
//! shows it back under the same name:
//!
//! | key | MP4 | GIF | APNG |
//! | --- | --- | --- | --- |
//! | `title`, `artist`, `comment`, `genre`, `copyright`, `date`, `album`, `album_artist`, `composer`, `grouping`, `lyrics`, `description`, `synopsis`, `show`, `episode_id`, `network`, `keywords` | iTunes item (`©nam`, `©ART`, `©cmt`, `©gen`, `cprt`, `©day`, ...) in `moov/udta/meta/ilst`, as ffmpeg writes them | a line of the Comment Extension | a text chunk: `Title`, `Author` (artist), `Comment`, `Copyright`, `Description`; others by their own name |
//! | `encoder` (or `encoding_tool`) | `©too` (default `framesink <version>` once any metadata is given) | a line | `Software` (same default) |
//! | `creation_time` | the `mvhd`, `tkhd` and `mdhd` creation and modification times (ffprobe shows `creation_time`) | a line | `Creation Time` |
//! | anything else (`subject`, `srcform`, ...) | an `mdta` key in `moov/meta`, as ffmpeg's `-movflags use_metadata_tags` writes it (ffprobe shows it by its name) | a line | a text chunk of that name |
//!
//! A GIF has one Comment Extension (ffprobe shows one, as `comment`): the
//! `comment` alone is written as it is; with other keys, every key is a
//! `key: value` line. An APNG text chunk is `tEXt` when its value is Latin-1
//! and `iTXt` (UTF-8) otherwise; ffprobe shows none of them in
//! `-show_format`, and ffmpeg 5.1 shows the `tEXt` ones as the first frame's
//! tags (`-show_entries frame_tags`). So every key given is in every
//! built-in format; nothing is dropped, and there is no warning to give.
//! With an ffmpeg codec, each key goes to ffmpeg as `-metadata key=value`
//! and ffmpeg's container keeps what it can.

use std::fmt;

use crate::error::{Error, Result};

/// The longest key: a PNG keyword's limit (79 bytes).
pub const MAX_KEY_BYTES: usize = 79;
/// The longest value (1 MiB), so that a header stays small enough to rewrite.
pub const MAX_VALUE_BYTES: usize = 1 << 20;
/// The most keys.
pub const MAX_KEYS: usize = 256;

/// Seconds from 1904-01-01 (MP4's epoch) to 1970-01-01.
pub(crate) const MP4_EPOCH_OFFSET: u64 = 2_082_844_800;

/// Keys that describe the file itself: ffprobe shows them from the MP4
/// `ftyp` box, so a tag of that name would contradict the file.
const RESERVED: &[&str] = &["major_brand", "minor_version", "compatible_brands"];

/// Checked metadata: keys and values in the order given, with empty values
/// left out (as ffmpeg's `-metadata key=` writes no tag) and the creation
/// time in UTC. Made by [`Metadata::new`]; the writer makes one from
/// [`WriterConfig::metadata`](crate::WriterConfig::metadata).
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Metadata {
    entries: Vec<(String, String)>,
    /// `creation_time` in seconds since 1970-01-01 UTC, when given.
    creation_time: Option<u64>,
}

impl Metadata {
    /// Checks `pairs` (key, value) and keeps them in order.
    ///
    /// A key is 1 to 79 printable ASCII characters (single inner spaces
    /// allowed) without `=`, given once (keys compare without regard to
    /// case: `Title` is `title`), and not `major_brand`, `minor_version` or
    /// `compatible_brands` (those come from the file's type). A value is
    /// UTF-8 text of at most 1 MiB without control characters other than tab
    /// and line breaks; an empty value writes no tag. `creation_time` is an
    /// RFC 3339 / ISO 8601 date and time (`2024-05-17T14:30:00Z`,
    /// `2024-05-17T16:30:00+02:00`, `2024-05-17 14:30:00`, `2024-05-17`;
    /// without an offset it is taken as UTC), or `now`, between the years
    /// 1970 and 9999; fractions of a second are dropped (MP4 keeps whole
    /// seconds). Anything else is an [`Error::InvalidConfig`] that names the
    /// key and the value.
    pub fn new<I, K, V>(pairs: I) -> Result<Self>
    where
        I: IntoIterator<Item = (K, V)>,
        K: AsRef<str>,
        V: AsRef<str>,
    {
        let mut entries: Vec<(String, String)> = Vec::new();
        let mut seen: Vec<String> = Vec::new();
        let mut creation_time = None;
        for (key, value) in pairs {
            let (key, value) = (key.as_ref(), value.as_ref());
            check_key(key)?;
            let lower = key.to_ascii_lowercase();
            if let Some(i) = seen
                .iter()
                .position(|k| canonical(k).eq_ignore_ascii_case(canonical(key)))
            {
                return Err(Error::config(format!(
                    "metadata key {key:?} is given twice (also as {:?}); give each key once",
                    seen[i]
                )));
            }
            if seen.len() == MAX_KEYS {
                return Err(Error::config(format!(
                    "metadata key {key:?} is one too many; at most {MAX_KEYS} keys are allowed"
                )));
            }
            seen.push(key.to_string());
            check_value(key, value)?;
            if value.is_empty() {
                continue;
            }
            let value = if lower == "creation_time" {
                let secs = parse_creation_time(value).ok_or_else(|| {
                    Error::config(format!(
                        "metadata creation_time {value:?} is not a date and time; allowed: RFC 3339 / ISO 8601 such as 2024-05-17T14:30:00Z, 2024-05-17T16:30:00+02:00, 2024-05-17 14:30:00 (UTC) or 2024-05-17 (midnight UTC), or now; years 1970 to 9999"
                    ))
                })?;
                creation_time = Some(secs);
                format_utc(secs)
            } else {
                value.to_string()
            };
            entries.push((key.to_string(), value));
        }
        Ok(Metadata {
            entries,
            creation_time,
        })
    }

    /// Tags as a file holds them, unchecked (a reader shows what is there):
    /// empty values and repeated keys are left out.
    pub(crate) fn read(pairs: Vec<(String, String)>) -> Self {
        let mut entries: Vec<(String, String)> = Vec::new();
        for (key, value) in pairs {
            if !value.is_empty() && !entries.iter().any(|(k, _)| k.eq_ignore_ascii_case(&key)) {
                entries.push((key, value));
            }
        }
        let creation_time = entries
            .iter()
            .find(|(k, _)| k == "creation_time")
            .and_then(|(_, v)| parse_creation_time(v));
        Metadata {
            entries,
            creation_time,
        }
    }

    /// True when there is nothing to write.
    pub fn is_empty(&self) -> bool {
        self.entries.is_empty()
    }

    /// The keys (as given) and values, in order; `creation_time` as
    /// `YYYY-MM-DDTHH:MM:SSZ` in UTC.
    pub fn entries(&self) -> impl Iterator<Item = (&str, &str)> {
        self.entries.iter().map(|(k, v)| (k.as_str(), v.as_str()))
    }

    /// The value of `key` (any case), if given.
    pub fn get(&self, key: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(k, _)| k.eq_ignore_ascii_case(key))
            .map(|(_, v)| v.as_str())
    }

    /// `creation_time` in seconds since 1970-01-01 UTC.
    pub fn creation_time(&self) -> Option<u64> {
        self.creation_time
    }

    /// `creation_time` in seconds since 1904-01-01 (MP4's clock); 0 (unset)
    /// when not given.
    pub(crate) fn mp4_time(&self) -> u64 {
        self.creation_time.map_or(0, |t| t + MP4_EPOCH_OFFSET)
    }

    /// What the `encoder` tag says: the one given, else `framesink <version>`.
    pub(crate) fn encoder(&self) -> String {
        match self.get("encoder").or_else(|| self.get("encoding_tool")) {
            Some(e) => e.to_string(),
            None => format!("framesink {}", env!("CARGO_PKG_VERSION")),
        }
    }
}

impl fmt::Display for Metadata {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        for (i, (k, v)) in self.entries().enumerate() {
            if i > 0 {
                f.write_str(", ")?;
            }
            write!(f, "{k}={v:?}")?;
        }
        Ok(())
    }
}

/// One name for keys that mean the same (ffmpeg writes `encoding_tool` and
/// reads it back as `encoder`).
fn canonical(key: &str) -> &str {
    if key.eq_ignore_ascii_case("encoding_tool") {
        "encoder"
    } else {
        key
    }
}

fn check_key(key: &str) -> Result<()> {
    const ALLOWED: &str = "a key is 1 to 79 printable ASCII characters (letters, digits, punctuation, single spaces between words), without '='";
    let long = format!("is {} bytes long", key.len());
    let why = if key.is_empty() {
        Some("is empty")
    } else if key.len() > MAX_KEY_BYTES {
        Some(long.as_str())
    } else if key.contains('=') {
        Some("contains '='")
    } else if key.chars().any(|c| c.is_control()) {
        Some("contains a control character")
    } else if !key.chars().all(|c| c == ' ' || c.is_ascii_graphic()) {
        Some("contains a character that is not printable ASCII")
    } else if key.starts_with(' ') || key.ends_with(' ') || key.contains("  ") {
        Some("has a space at its start or end, or two in a row")
    } else {
        None
    };
    if let Some(why) = why {
        return Err(Error::config(format!(
            "metadata key {key:?} {why}; {ALLOWED}"
        )));
    }
    if let Some(r) = RESERVED.iter().find(|r| r.eq_ignore_ascii_case(key)) {
        return Err(Error::config(format!(
            "metadata key {key:?} cannot be set: {r} describes the file's type, which framesink writes (ffprobe shows it from the MP4 'ftyp' box); use another key"
        )));
    }
    Ok(())
}

fn check_value(key: &str, value: &str) -> Result<()> {
    if value.len() > MAX_VALUE_BYTES {
        let shown: String = value.chars().take(40).collect();
        return Err(Error::config(format!(
            "metadata {key} value {shown:?}... is {} bytes; a value holds at most {MAX_VALUE_BYTES} bytes (1 MiB)",
            value.len()
        )));
    }
    if let Some(c) = value
        .chars()
        .find(|c| c.is_control() && !matches!(c, '\t' | '\n' | '\r'))
    {
        return Err(Error::config(format!(
            "metadata {key} value {value:?} contains the control character {:?} (U+{:04X}); allowed: text with tabs and line breaks but no other control characters",
            c, c as u32
        )));
    }
    Ok(())
}

/// Days from 1970-01-01 to a date of the proleptic Gregorian calendar
/// (Howard Hinnant's `days_from_civil`).
fn days_from_civil(y: i64, m: u32, d: u32) -> i64 {
    let y = if m <= 2 { y - 1 } else { y };
    let era = y.div_euclid(400);
    let yoe = y - era * 400;
    let mp = (m as i64 + 9) % 12;
    let doy = (153 * mp + 2) / 5 + d as i64 - 1;
    let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
    era * 146_097 + doe - 719_468
}

/// The date of a day counted from 1970-01-01 (the inverse of the above).
fn civil_from_days(z: i64) -> (i64, u32, u32) {
    let z = z + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    (yoe + era * 400 + i64::from(m <= 2), m, d)
}

fn days_in_month(y: i64, m: u32) -> u32 {
    match m {
        1 | 3 | 5 | 7 | 8 | 10 | 12 => 31,
        4 | 6 | 9 | 11 => 30,
        _ if (y % 4 == 0 && y % 100 != 0) || y % 400 == 0 => 29,
        _ => 28,
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ`.
pub(crate) fn format_utc(secs: u64) -> String {
    let days = (secs / 86_400) as i64;
    let rem = secs % 86_400;
    let (y, m, d) = civil_from_days(days);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        rem / 3600,
        rem / 60 % 60,
        rem % 60
    )
}

/// Seconds since 1970-01-01 UTC of an RFC 3339 / ISO 8601 date and time
/// (extended format), or `now`.
fn parse_creation_time(text: &str) -> Option<u64> {
    if text.eq_ignore_ascii_case("now") {
        let now = std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .ok()?;
        return Some(now.as_secs());
    }
    let b = text.as_bytes();
    let num = |from: usize, len: usize| -> Option<u32> {
        let digits = b.get(from..from + len)?;
        digits
            .iter()
            .all(u8::is_ascii_digit)
            .then(|| digits.iter().fold(0u32, |n, d| n * 10 + (d - b'0') as u32))
    };
    let year = num(0, 4)? as i64;
    if b.get(4) != Some(&b'-') || b.get(7) != Some(&b'-') {
        return None;
    }
    let (month, day) = (num(5, 2)?, num(8, 2)?);
    if !(1970..=9999).contains(&year)
        || !(1..=12).contains(&month)
        || day == 0
        || day > days_in_month(year, month)
    {
        return None;
    }
    let mut secs = days_from_civil(year, month, day) * 86_400;
    let mut at = 10;
    if at < b.len() {
        if !matches!(b[at], b'T' | b't' | b' ') {
            return None;
        }
        let (hour, minute) = (num(at + 1, 2)?, num(at + 4, 2)?);
        if b.get(at + 3) != Some(&b':') || hour > 23 || minute > 59 {
            return None;
        }
        at += 6;
        let mut second = 0;
        if b.get(at) == Some(&b':') {
            second = num(at + 1, 2)?;
            // 60: a leap second, counted into the next minute.
            if second > 60 {
                return None;
            }
            at += 3;
            if matches!(b.get(at), Some(b'.' | b',')) {
                let digits = b[at + 1..]
                    .iter()
                    .take_while(|c| c.is_ascii_digit())
                    .count();
                if digits == 0 {
                    return None;
                }
                at += 1 + digits;
            }
        }
        secs += (hour * 3600 + minute * 60 + second) as i64;
        match b.get(at) {
            None => {}
            Some(b'Z' | b'z') if at + 1 == b.len() => {}
            Some(&sign @ (b'+' | b'-')) => {
                let oh = num(at + 1, 2)?;
                let om = match b.len() - (at + 3) {
                    0 => 0,
                    3 if b[at + 3] == b':' => num(at + 4, 2)?,
                    2 => num(at + 3, 2)?,
                    _ => return None,
                };
                if oh > 23 || om > 59 {
                    return None;
                }
                let offset = (oh * 3600 + om * 60) as i64;
                secs -= if sign == b'+' { offset } else { -offset };
            }
            _ => return None,
        }
    }
    u64::try_from(secs).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ct(s: &str) -> Option<String> {
        parse_creation_time(s).map(format_utc)
    }

    #[test]
    fn creation_times_in_rfc_3339_and_iso_8601_forms() {
        let want = Some("2024-05-17T14:30:00Z".to_string());
        assert_eq!(ct("2024-05-17T14:30:00Z"), want);
        assert_eq!(ct("2024-05-17t14:30:00z"), want);
        assert_eq!(ct("2024-05-17T16:30:00+02:00"), want);
        assert_eq!(ct("2024-05-17T12:00:00-02:30"), want);
        assert_eq!(ct("2024-05-17T16:30+0200"), want);
        assert_eq!(ct("2024-05-17 14:30:00"), want);
        assert_eq!(ct("2024-05-17T14:30:00.999999Z"), want);
        assert_eq!(ct("2024-05-17T14:30"), want);
        assert_eq!(ct("2024-05-17"), Some("2024-05-17T00:00:00Z".into()));
        assert_eq!(ct("2024-02-29"), Some("2024-02-29T00:00:00Z".into()));
        assert_eq!(
            ct("1970-01-01T00:00:00Z"),
            Some("1970-01-01T00:00:00Z".into())
        );
        assert_eq!(
            ct("9999-12-31T23:59:59Z"),
            Some("9999-12-31T23:59:59Z".into())
        );
        assert_eq!(
            parse_creation_time("2000-01-01T00:00:00Z"),
            Some(946_684_800)
        );
        assert!(parse_creation_time("now").is_some());
        for bad in [
            "",
            "yesterday",
            "2024",
            "2024-5-17",
            "2024-13-01",
            "2023-02-29",
            "2024-05-17T24:00:00Z",
            "2024-05-17T14:60Z",
            "2024-05-17T14:30:00+25:00",
            "2024-05-17T14:30:00Zjunk",
            "2024-05-17T14:30:00.Z",
            "2024-05-17X14:30",
            "1969-12-31T23:59:59Z",
            "1970-01-01T00:00:00+01:00",
            "17/05/2024",
        ] {
            assert_eq!(ct(bad), None, "{bad:?}");
        }
    }

    #[test]
    fn dates_round_trip_through_day_counts() {
        for days in [0, 1, 59, 60, 365, 10_957, 19_860, 2_932_896] {
            let (y, m, d) = civil_from_days(days);
            assert_eq!(days_from_civil(y, m, d), days);
        }
    }

    #[test]
    fn keys_and_values_are_checked_naming_them() {
        let err = |pairs: &[(&str, &str)]| {
            Metadata::new(pairs.iter().copied())
                .unwrap_err()
                .to_string()
        };
        assert!(err(&[("", "x")]).contains("key \"\" is empty"));
        assert!(err(&[("a=b", "x")]).contains("\"a=b\" contains '='"));
        assert!(err(&[("ti\ntle", "x")]).contains("control character"));
        assert!(err(&[("tïtle", "x")]).contains("not printable ASCII"));
        assert!(err(&[(" title", "x")]).contains("space"));
        assert!(err(&[("major_brand", "x")]).contains("file's type"));
        assert!(err(&[("title", "a"), ("Title", "b")]).contains("given twice"));
        let e = err(&[("comment", "a\0b")]);
        assert!(e.contains("comment") && e.contains("U+0000"), "{e}");
        let e = err(&[("creation_time", "yesterday")]);
        assert!(e.contains("\"yesterday\"") && e.contains("RFC 3339"), "{e}");
        let m = Metadata::new([
            ("title", "Café ☕"),
            ("artist", ""),
            ("creation_time", "2024-05-17T16:30:00+02:00"),
            ("comment", "two\nlines\tand a tab"),
        ])
        .unwrap();
        let got: Vec<_> = m.entries().collect();
        assert_eq!(
            got,
            [
                ("title", "Café ☕"),
                ("creation_time", "2024-05-17T14:30:00Z"),
                ("comment", "two\nlines\tand a tab")
            ]
        );
        assert_eq!(m.mp4_time(), 1_715_956_200 + MP4_EPOCH_OFFSET);
        assert!(m.encoder().starts_with("framesink "));
    }
}
