//! The metadata of an MP4 as written: iTunes items in `moov/udta/meta/ilst`
//! (`©nam` is `title`, ...), `mdta` keys in `moov/meta` (ffmpeg's
//! `use_metadata_tags`), and `mvhd`'s creation time; the reverse of what
//! mux/mp4.rs writes, read by walking the boxes of a `moov` held in memory.

use crate::metadata::{format_utc, Metadata, MP4_EPOCH_OFFSET};
use crate::mux::mp4::ITUNES_ITEMS;

/// The children of a box body: (kind, body), up to the first damaged one.
fn children(body: &[u8]) -> Vec<([u8; 4], &[u8])> {
    let mut out = Vec::new();
    let mut at = 0usize;
    while at + 8 <= body.len() {
        let size = u32::from_be_bytes(body[at..at + 4].try_into().expect("4 bytes")) as usize;
        if size < 8 || size > body.len() - at {
            break;
        }
        let kind: [u8; 4] = body[at + 4..at + 8].try_into().expect("4 bytes");
        out.push((kind, &body[at + 8..at + size]));
        at += size;
    }
    out
}

fn child<'a>(body: &'a [u8], kind: &[u8; 4]) -> Option<&'a [u8]> {
    children(body)
        .into_iter()
        .find(|(k, _)| k == kind)
        .map(|(_, b)| b)
}

/// A `meta` box's children: its body starts with a full box's version and
/// flags (QuickTime's `meta` in `moov` has none: told by what follows).
fn meta_children(meta: &[u8]) -> &[u8] {
    match meta.get(4..8) {
        Some(b"hdlr") => meta,
        _ => meta.get(4..).unwrap_or_default(),
    }
}

/// The text of an item's `data` box (types 1, UTF-8, and 0, implicit).
fn item_text(item: &[u8]) -> Option<String> {
    let data = child(item, b"data")?;
    let (kind, text) = (data.get(..4)?, data.get(8..)?);
    matches!(kind, [0, 0, 0, 1] | [0, 0, 0, 0]).then(|| String::from_utf8_lossy(text).into_owned())
}

/// The tags (key, value) of the `moov` box `moov` (whole, header included).
pub(crate) fn tags(moov: &[u8]) -> Vec<(String, String)> {
    let mut pairs: Vec<(String, String)> = Vec::new();
    let body = moov.get(8..).unwrap_or_default();
    let udta_ilst = child(body, b"udta")
        .and_then(|u| child(u, b"meta"))
        .and_then(|m| child(meta_children(m), b"ilst"));
    for (kind, item) in udta_ilst.map(children).unwrap_or_default() {
        let Some(text) = item_text(item) else {
            continue;
        };
        let key = ITUNES_ITEMS
            .iter()
            .find(|(_, k)| **k == kind)
            .map(|(name, _)| name.to_string())
            .unwrap_or_else(|| String::from_utf8_lossy(&kind).into_owned());
        pairs.push((key, text));
    }
    if let Some(meta) = child(body, b"meta").map(meta_children) {
        let keys: Vec<String> = child(meta, b"keys")
            .and_then(|k| k.get(8..))
            .map(children)
            .unwrap_or_default()
            .into_iter()
            .map(|(_, name)| String::from_utf8_lossy(name).into_owned())
            .collect();
        for (kind, item) in child(meta, b"ilst").map(children).unwrap_or_default() {
            let index = u32::from_be_bytes(kind) as usize;
            if let (Some(key), Some(text)) = (keys.get(index.wrapping_sub(1)), item_text(item)) {
                pairs.push((key.clone(), text));
            }
        }
    }
    pairs
}

/// The metadata of `tags` and the movie's creation time (seconds since
/// 1904, 0 when unset).
pub(crate) fn metadata(mut tags: Vec<(String, String)>, creation_time: u64) -> Metadata {
    if creation_time > MP4_EPOCH_OFFSET {
        tags.push((
            "creation_time".into(),
            format_utc(creation_time - MP4_EPOCH_OFFSET),
        ));
    }
    Metadata::read(tags)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn damaged_boxes_end_the_walk_without_a_panic() {
        let moov = [
            0, 0, 0, 20, b'm', b'o', b'o', b'v', 0, 0, 0, 99, b'u', b'd', b't', b'a',
        ];
        for n in 0..=moov.len() {
            assert!(tags(&moov[..n]).is_empty());
        }
    }
}
