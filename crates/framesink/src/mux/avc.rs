//! H.264 slice headers as far as `idr_pic_id`, so that two IDR pictures in a
//! row never share one.
//!
//! H.264 7.4.3: "If two consecutive access units in decoding order are both
//! IDR access units, the value of idr_pic_id in the slices of the first such
//! IDR access unit shall differ from the idr_pic_id in the second". Each
//! OpenH264 instance numbers its own IDRs (1, 2, 3, ...), so the GOPs of two
//! encoders in turn, with a keyframe interval of 1, came out as 1, 1, 2, 2,
//! ...; so did joined parts whose first part ended on an IDR. The MP4 writer
//! sees the packets in their order and renumbers an IDR that repeats the one
//! before: it flips the last bit of the `ue(v)` code, which gives another
//! number of the same length (1 <-> 2, 3 <-> 4, ...), so no other bit of the
//! slice moves and the pictures decode the same.

use crate::encode::Packet;

/// The NAL unit type of an IDR picture's slice.
const IDR_SLICE: u8 = 5;

/// Bytes of a slice NAL unit that hold its header up to `idr_pic_id`, and
/// more: five codes of at most 63 bits and 16 bits of frame_num, escaped.
const HEADER_BYTES: usize = 64;

/// Reads an RBSP bit by bit, most significant first.
struct Bits<'a> {
    data: &'a [u8],
    /// The next bit.
    at: usize,
}

impl<'a> Bits<'a> {
    fn new(data: &'a [u8]) -> Self {
        Bits { data, at: 0 }
    }

    fn bit(&mut self) -> Option<u32> {
        let byte = *self.data.get(self.at / 8)?;
        let bit = (byte >> (7 - self.at % 8)) & 1;
        self.at += 1;
        Some(bit as u32)
    }

    fn bits(&mut self, n: u32) -> Option<u32> {
        (0..n).try_fold(0u32, |v, _| Some((v << 1) | self.bit()?))
    }

    /// An Exp-Golomb code, `ue(v)`; `None` past 32 bits.
    fn ue(&mut self) -> Option<u32> {
        let mut zeros = 0;
        while self.bit()? == 0 {
            zeros += 1;
            if zeros > 31 {
                return None;
            }
        }
        Some(((1u64 << zeros) - 1 + self.bits(zeros)? as u64) as u32)
    }

    /// A signed Exp-Golomb code, `se(v)`: only skipped here.
    fn se(&mut self) -> Option<()> {
        self.ue().map(drop)
    }
}

/// What the start of a slice header depends on in the SPS: the fields
/// before `idr_pic_id` (7.3.3).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SliceLayout {
    /// Bits of `frame_num`.
    frame_num_bits: u32,
    /// `colour_plane_id` is there (4:4:4 coded as three planes).
    colour_plane: bool,
    /// `field_pic_flag` is there (not frame_mbs_only).
    field_flags: bool,
}

impl SliceLayout {
    /// From an SPS NAL unit (its header byte first); `None` for one this
    /// does not follow (the IDs are then left as they are).
    pub(crate) fn from_sps(sps: &[u8]) -> Option<Self> {
        let rbsp = unescape(sps.get(1..)?);
        let mut b = Bits::new(&rbsp);
        let profile = b.bits(8)?;
        b.bits(16)?; // constraint flags, level
        b.ue()?; // seq_parameter_set_id
        let mut colour_plane = false;
        if matches!(
            profile,
            100 | 110 | 122 | 244 | 44 | 83 | 86 | 118 | 128 | 138 | 139 | 134 | 135
        ) {
            let chroma_format = b.ue()?;
            if chroma_format == 3 {
                colour_plane = b.bit()? == 1;
            }
            b.ue()?; // bit_depth_luma_minus8
            b.ue()?; // bit_depth_chroma_minus8
            b.bit()?; // qpprime_y_zero_transform_bypass_flag
            if b.bit()? == 1 {
                // seq_scaling_matrix_present_flag: the lists (7.3.2.1.1.1).
                let lists = if chroma_format == 3 { 12 } else { 8 };
                for i in 0..lists {
                    if b.bit()? == 1 {
                        let size = if i < 6 { 16 } else { 64 };
                        let (mut last, mut next) = (8i64, 8i64);
                        for _ in 0..size {
                            if next != 0 {
                                let code = b.ue()? as i64;
                                let delta = if code % 2 == 1 {
                                    (code + 1) / 2
                                } else {
                                    -(code / 2)
                                };
                                next = (last + delta + 256) % 256;
                            }
                            if next != 0 {
                                last = next;
                            }
                        }
                    }
                }
            }
        }
        let frame_num_bits = b.ue()?.checked_add(4).filter(|&n| n <= 16)?;
        match b.ue()? {
            0 => {
                b.ue()?; // log2_max_pic_order_cnt_lsb_minus4
            }
            1 => {
                b.bit()?; // delta_pic_order_always_zero_flag
                b.se()?; // offset_for_non_ref_pic
                b.se()?; // offset_for_top_to_bottom_field
                let cycle = b.ue()?;
                if cycle > 255 {
                    return None;
                }
                for _ in 0..cycle {
                    b.se()?;
                }
            }
            2 => {}
            _ => return None,
        }
        b.ue()?; // max_num_ref_frames
        b.bit()?; // gaps_in_frame_num_value_allowed_flag
        b.ue()?; // pic_width_in_mbs_minus1
        b.ue()?; // pic_height_in_map_units_minus1
        let frame_mbs_only = b.bit()? == 1;
        Some(SliceLayout {
            frame_num_bits,
            colour_plane,
            field_flags: !frame_mbs_only,
        })
    }

    /// `idr_pic_id` of an IDR slice's RBSP (after the NAL header byte), and
    /// the bit just after its code.
    fn idr_pic_id(&self, rbsp: &[u8]) -> Option<(u32, usize)> {
        let mut b = Bits::new(rbsp);
        b.ue()?; // first_mb_in_slice
        b.ue()?; // slice_type
        b.ue()?; // pic_parameter_set_id
        if self.colour_plane {
            b.bits(2)?;
        }
        b.bits(self.frame_num_bits)?;
        if self.field_flags && b.bit()? == 1 {
            b.bit()?; // bottom_field_flag
        }
        let id = b.ue()?;
        Some((id, b.at))
    }
}

/// The RBSP of a NAL unit's payload: its emulation prevention bytes (the 3
/// of 00 00 03) taken out.
pub(crate) fn unescape(nal: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(nal.len());
    let mut zeros = 0;
    for &byte in nal {
        if zeros >= 2 && byte == 3 {
            zeros = 0;
            continue;
        }
        zeros = if byte == 0 { zeros + 1 } else { 0 };
        out.push(byte);
    }
    out
}

/// A NAL unit's payload from its RBSP: a 3 after every 00 00 that comes
/// before a byte of 3 or less, or at the end (7.4.1).
fn escape(rbsp: &[u8]) -> Vec<u8> {
    let mut out = Vec::with_capacity(rbsp.len() + rbsp.len() / 64);
    let mut zeros = 0;
    for &byte in rbsp {
        if zeros >= 2 && byte <= 3 {
            out.push(3);
            zeros = 0;
        }
        zeros = if byte == 0 { zeros + 1 } else { 0 };
        out.push(byte);
    }
    if zeros >= 2 {
        out.push(3);
    }
    out
}

/// The largest `idr_pic_id` (7.4.3).
const MAX_IDR_PIC_ID: u64 = 65535;

/// The other `idr_pic_id` whose code is as long as `id`'s: the last bit of
/// the code flipped (1 <-> 2, 3 <-> 4, ...). 0 has none (its code is 1 bit),
/// nor has 65535 (its other, 65536, is out of range).
fn same_length_other(id: u32) -> Option<u32> {
    if id == 0 {
        return None;
    }
    let other = ((id as u64 + 1) ^ 1) - 1;
    (other <= MAX_IDR_PIC_ID).then_some(other as u32)
}

/// The NAL units of a packet (4-byte lengths): (start of the unit, its
/// length); `None` if the lengths do not add up to the packet.
fn nal_units(data: &[u8]) -> Option<Vec<(usize, usize)>> {
    let mut units = Vec::new();
    let mut at = 0usize;
    while at < data.len() {
        let len = u32::from_be_bytes(data.get(at..at + 4)?.try_into().ok()?) as usize;
        let start = at + 4;
        let end = start.checked_add(len)?;
        if len == 0 || end > data.len() {
            return None;
        }
        units.push((start, len));
        at = end;
    }
    Some(units)
}

/// Keeps `idr_pic_id` distinct between IDR pictures in a row, packet by
/// packet in decoding order (see the module's text).
#[derive(Debug)]
pub(crate) struct IdrPicIds {
    layout: Option<SliceLayout>,
    /// The last packet's `idr_pic_id`, if it was an IDR picture.
    last: Option<u32>,
}

impl IdrPicIds {
    /// For a stream with this SPS NAL unit.
    pub(crate) fn new(sps: &[u8]) -> Self {
        IdrPicIds {
            layout: SliceLayout::from_sps(sps),
            last: None,
        }
    }

    /// Takes the next packet; gives it another `idr_pic_id` if it is an IDR
    /// picture with the one of the IDR picture just before. A packet this
    /// does not follow is left as it is.
    pub(crate) fn fix(&mut self, packet: &mut Packet) {
        let last = self.last.take();
        let Some(layout) = self.layout.filter(|_| packet.keyframe) else {
            return; // an IDR picture is a keyframe
        };
        let Some(units) = nal_units(&packet.data) else {
            return;
        };
        let idr = |&(start, _): &(usize, usize)| packet.data[start] & 0x1F == IDR_SLICE;
        let Some(&(start, len)) = units.iter().find(|u| idr(u)) else {
            return;
        };
        // The header up to idr_pic_id is a few bytes (HEADER_BYTES at most).
        let head = &packet.data[start + 1..start + len.min(HEADER_BYTES)];
        let Some((id, _)) = layout.idr_pic_id(&unescape(head)) else {
            return;
        };
        self.last = Some(id);
        if last != Some(id) {
            return;
        }
        let Some(other) = same_length_other(id) else {
            return; // 0 after 0: renumbering would move the slice's bits
        };
        // Every slice of the picture gets the new number; the packet is
        // rebuilt only if each one can be.
        let mut out = Vec::with_capacity(packet.data.len() + 8);
        for unit @ &(start, len) in &units {
            let nal = &packet.data[start..start + len];
            let mut payload = nal[1..].to_vec();
            if idr(unit) {
                let rbsp = unescape(&nal[1..]);
                if escape(&rbsp) != nal[1..] {
                    return; // not escaped as the standard does: left alone
                }
                let Some((this, end)) = layout.idr_pic_id(&rbsp) else {
                    return;
                };
                if this != id {
                    return;
                }
                let mut rbsp = rbsp;
                let bit = end - 1;
                rbsp[bit / 8] ^= 0x80 >> (bit % 8);
                payload = escape(&rbsp);
            }
            out.extend_from_slice(&(payload.len() as u32 + 1).to_be_bytes());
            out.push(nal[0]);
            out.extend_from_slice(&payload);
        }
        packet.data = out;
        self.last = Some(other);
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    /// `idr_pic_id` of each IDR slice in a packet (for the encoder's tests).
    pub(crate) fn idr_pic_ids(sps: &[u8], data: &[u8]) -> Vec<u32> {
        let layout = SliceLayout::from_sps(sps).expect("an SPS this follows");
        nal_units(data)
            .expect("4-byte lengths")
            .into_iter()
            .filter(|&(start, _)| data[start] & 0x1F == IDR_SLICE)
            .map(|(start, len)| {
                layout
                    .idr_pic_id(&unescape(&data[start + 1..start + len]))
                    .expect("an IDR slice header")
                    .0
            })
            .collect()
    }

    #[test]
    fn escaping_round_trips_and_adds_threes_where_the_standard_does() {
        for (rbsp, nal) in [
            (&[0u8, 0, 1][..], &[0u8, 0, 3, 1][..]),
            (&[0, 0, 0, 0], &[0, 0, 3, 0, 0, 3]),
            (&[0, 0, 4, 0, 0, 3], &[0, 0, 4, 0, 0, 3, 3]),
            (&[1, 0, 2, 0, 0], &[1, 0, 2, 0, 0, 3]),
            (&[5, 6], &[5, 6]),
        ] {
            assert_eq!(escape(rbsp), nal, "{rbsp:?}");
            assert_eq!(unescape(nal), rbsp, "{nal:?}");
        }
    }

    #[test]
    fn the_other_number_has_a_code_as_long() {
        let pairs: Vec<_> = (0..8).map(same_length_other).collect();
        assert_eq!(
            pairs,
            [
                None,
                Some(2),
                Some(1),
                Some(4),
                Some(3),
                Some(6),
                Some(5),
                Some(8)
            ]
        );
        assert_eq!(same_length_other(65534), Some(65533));
        assert_eq!(same_length_other(65535), None);
        assert_eq!(same_length_other(u32::MAX), None);
    }

    /// An SPS of the shape OpenH264 writes (High, 4:2:0, frame_num of 4 +
    /// `log2` bits, POC type 2) and an IDR slice of `id`, with bytes that
    /// need escaping after the header.
    fn stream(frame_num_log2: u32, id: u32) -> (Vec<u8>, Vec<u8>) {
        fn put(bits: &mut Vec<bool>, v: u64, n: u32) {
            bits.extend((0..n).rev().map(|i| v >> i & 1 == 1));
        }
        fn ue(bits: &mut Vec<bool>, v: u32) {
            let code = v as u64 + 1;
            let n = 64 - code.leading_zeros();
            put(bits, 0, n - 1);
            put(bits, code, n);
        }
        fn bytes(mut bits: Vec<bool>) -> Vec<u8> {
            bits.push(true); // rbsp_stop_one_bit
            while bits.len() % 8 != 0 {
                bits.push(false);
            }
            bits.chunks(8)
                .map(|c| c.iter().fold(0u8, |a, &b| a << 1 | b as u8))
                .collect()
        }
        let mut s = Vec::new();
        put(&mut s, 100, 8);
        put(&mut s, 0x0028, 16);
        ue(&mut s, 0); // sps id
        ue(&mut s, 1); // 4:2:0
        ue(&mut s, 0);
        ue(&mut s, 0);
        put(&mut s, 0, 1);
        put(&mut s, 0, 1); // no scaling matrices
        ue(&mut s, frame_num_log2);
        ue(&mut s, 2); // POC type 2
        ue(&mut s, 1);
        put(&mut s, 0, 1);
        ue(&mut s, 19);
        ue(&mut s, 14);
        put(&mut s, 1, 1); // frame_mbs_only
        let sps = [&[0x67][..], &escape(&bytes(s))].concat();
        let mut h = Vec::new();
        ue(&mut h, 0);
        ue(&mut h, 7); // I
        ue(&mut h, 0);
        put(&mut h, 0, frame_num_log2 + 4);
        ue(&mut h, id);
        put(&mut h, 0, 40); // zeros: escaped
        put(&mut h, 0x0102, 16);
        let nal = [&[0x65][..], &escape(&bytes(h))].concat();
        let packet = [&(nal.len() as u32).to_be_bytes()[..], &nal].concat();
        (sps, packet)
    }

    fn packet(data: Vec<u8>) -> Packet {
        Packet {
            data,
            keyframe: true,
            index: 0,
            pts: 0,
            image: None,
        }
    }

    #[test]
    fn an_idr_that_repeats_the_one_before_is_renumbered() {
        for log2 in [0, 5, 12] {
            let (sps, _) = stream(log2, 1);
            let mut ids = IdrPicIds::new(&sps);
            assert!(ids.layout.is_some());
            let mut seen = Vec::new();
            for id in [1, 1, 2, 2, 3, 3, 7] {
                let mut p = packet(stream(log2, id).1);
                ids.fix(&mut p);
                seen.push(idr_pic_ids(&sps, &p.data)[0]);
                // Only the one bit differs: the bytes after the header stay.
                let rbsp = unescape(&p.data[5..]);
                let want = unescape(&stream(log2, seen[seen.len() - 1]).1[5..]);
                assert_eq!(rbsp, want, "log2 {log2}, id {id}");
            }
            assert_eq!(seen, [1, 2, 1, 2, 3, 4, 7], "log2 {log2}");
            // A picture of two slices: both get the new number.
            let two = |id| [stream(log2, id).1, stream(log2, id).1].concat();
            let mut p = packet(two(7));
            ids.fix(&mut p);
            assert_eq!(p.data, two(8), "log2 {log2}");
        }
    }

    #[test]
    fn packets_it_does_not_follow_are_left_alone() {
        let (sps, idr) = stream(0, 0);
        let mut ids = IdrPicIds::new(&sps);
        // 0 after 0 cannot be renumbered in place.
        for _ in 0..2 {
            let mut p = packet(idr.clone());
            ids.fix(&mut p);
            assert_eq!(p.data, idr);
        }
        // Lengths that do not add up, an empty unit, a cut header, noise.
        for data in [
            vec![0, 0, 0, 9, 0x65, 1],
            vec![0, 0, 0, 0],
            vec![0, 0, 0, 1, 0x65],
            vec![0xFF; 7],
            Vec::new(),
        ] {
            let mut p = packet(data.clone());
            ids.fix(&mut p);
            assert_eq!(p.data, data);
        }
        // An SPS this does not follow: nothing is changed.
        let mut none = IdrPicIds::new(&[0x67, 0xFF]);
        let (_, one) = stream(0, 1);
        for _ in 0..2 {
            let mut p = packet(one.clone());
            none.fix(&mut p);
            assert_eq!(p.data, one);
        }
    }
}
