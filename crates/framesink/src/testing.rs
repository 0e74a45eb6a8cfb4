//! What the unit tests of the decoders and demuxers share.

/// A xorshift64 generator from `seed` (not 0): the same numbers every run,
/// for tests that feed the readers noise.
pub(crate) fn xorshift(mut seed: u64) -> impl FnMut() -> u64 {
    move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    }
}
