//! What several fuzz targets share: an in-memory sink and a pipe-like reader.
#![allow(dead_code)] // each target uses a part

use std::io::{self, Cursor, Read, Seek, SeekFrom, Write};
use std::sync::{Arc, Mutex};

/// A seekable in-memory sink whose bytes stay readable after the writer or
/// joiner that owns it is finished.
#[derive(Clone, Default)]
pub struct Shared(pub Arc<Mutex<Cursor<Vec<u8>>>>);

impl Read for Shared {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.0.lock().unwrap().read(buf)
    }
}
impl Write for Shared {
    fn write(&mut self, buf: &[u8]) -> io::Result<usize> {
        self.0.lock().unwrap().write(buf)
    }
    fn flush(&mut self) -> io::Result<()> {
        Ok(())
    }
}
impl Seek for Shared {
    fn seek(&mut self, pos: SeekFrom) -> io::Result<u64> {
        self.0.lock().unwrap().seek(pos)
    }
}

/// Hands out `data` in short reads of changing size, as a pipe does: read
/// `k` gives at most `1 + k * mul % modulus` bytes; with `eintr_every`, every
/// such read fails with EINTR instead.
pub struct Trickle {
    data: Vec<u8>,
    at: usize,
    reads: usize,
    mul: usize,
    modulus: usize,
    eintr_every: Option<usize>,
}

impl Trickle {
    pub fn new(data: &[u8], mul: usize, modulus: usize, eintr_every: Option<usize>) -> Self {
        Trickle {
            data: data.to_vec(),
            at: 0,
            reads: 0,
            mul,
            modulus,
            eintr_every,
        }
    }
}

impl Read for Trickle {
    fn read(&mut self, buf: &mut [u8]) -> io::Result<usize> {
        self.reads += 1;
        if self.eintr_every.is_some_and(|k| self.reads % k == 0) {
            return Err(io::ErrorKind::Interrupted.into());
        }
        let n = buf
            .len()
            .min(self.data.len() - self.at)
            .min(1 + self.reads * self.mul % self.modulus);
        buf[..n].copy_from_slice(&self.data[self.at..self.at + n]);
        self.at += n;
        Ok(n)
    }
}
