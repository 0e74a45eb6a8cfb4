//! The part reader of join (crates/framesink/src/demux/mp4.rs and gif.rs,
//! through Joiner::append_part and framesink::join): MP4 parts,
//! plain or fragmented, and GIF parts, chosen by their own first bytes. The
//! first input byte chooses how the part is joined. A joined movie must be a
//! part join reads again, with the same frames.
#![no_main]

use std::io::Cursor;

use framesink::mux::Output;
use framesink::Joiner;
use libfuzzer_sys::fuzz_target;

mod common;
use common::Shared;

fuzz_target!(|data: &[u8]| {
    let [mode, part @ ..] = data else {
        return;
    };
    match mode % 4 {
        // Once into a seekable output (faststart), then read back.
        0 | 1 => {
            let times = 1 + (mode % 4) as usize;
            let out = Shared::default();
            let mut joiner = Joiner::new(Output::Seekable(Box::new(out.clone())));
            for i in 0..times {
                if joiner
                    .append_part(Cursor::new(part), &format!("p{i}"))
                    .is_err()
                {
                    break;
                }
            }
            let joined = joiner.parts();
            let frames = joiner.frames();
            let finished = joiner.finish();
            if joined == 0 {
                assert!(finished.is_err(), "a movie of no parts finished");
                return;
            }
            let summary = finished.expect("the parts joined, the movie finishes");
            assert_eq!(summary.frames, frames);
            let bytes = out.0.lock().unwrap().get_ref().clone();
            let mut again = Joiner::new(Output::Stream(Box::new(std::io::sink())));
            again
                .append_part(Cursor::new(&bytes[..]), "joined")
                .expect("a joined movie is a part join reads");
            assert_eq!(again.frames(), frames, "the joined movie's frames");
        }
        // framesink::join to a write-only output (fragmented), twice.
        2 => {
            let parts = [
                ("a".to_string(), Cursor::new(part)),
                ("b".into(), Cursor::new(part)),
            ];
            let _ = framesink::join(Output::Stream(Box::new(std::io::sink())), parts);
        }
        // The part, then the part cut short: the second fails and the movie
        // of the first must still finish.
        _ => {
            let mut joiner = Joiner::new(Output::Stream(Box::new(std::io::sink())));
            if joiner.append_part(Cursor::new(part), "whole").is_err() {
                return;
            }
            let cut = &part[..part.len() / 2 + part.len() / 4];
            let _ = joiner.append_part(Cursor::new(cut), "cut");
            joiner
                .finish()
                .expect("a bad part leaves a movie that finishes");
        }
    }
});
