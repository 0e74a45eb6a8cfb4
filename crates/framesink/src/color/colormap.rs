//! Scalar fields to RGB through a 256-entry colormap, with one fixed
//! vmin/vmax for a whole movie (never rescaled per frame).

use super::colormap_data::BUILTIN;

/// A 256-colour lookup table.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Colormap {
    lut: Box<[[u8; 3]; 256]>,
}

impl Colormap {
    /// Names of the built-in colormaps (matplotlib's, sampled at 256 entries).
    pub fn builtin_names() -> impl Iterator<Item = &'static str> {
        BUILTIN.iter().map(|(n, _)| *n)
    }

    /// A built-in colormap by name (`"viridis"`, `"gray"`, ...; `"grey"` too).
    pub fn builtin(name: &str) -> Option<Self> {
        let name = if name.eq_ignore_ascii_case("grey") {
            "gray"
        } else {
            name
        };
        BUILTIN
            .iter()
            .find(|(n, _)| n.eq_ignore_ascii_case(name))
            .map(|(_, t)| Colormap { lut: Box::new(*t) })
    }

    /// A colormap from 256 RGB entries.
    pub fn from_lut(lut: [[u8; 3]; 256]) -> Self {
        Colormap { lut: Box::new(lut) }
    }

    /// Maps `values` (row-major, `width` per row, rows `stride` values apart)
    /// to packed RGB in `out` (`width * rows * 3` bytes), as matplotlib does:
    /// the index is floor(256 * (v - vmin) / (vmax - vmin)), clamped to 0..=255.
    /// Returns the number of NaN or infinite values (mapped to index 0).
    pub fn apply<T: Copy + Into<f64>>(
        &self,
        values: &[T],
        width: usize,
        stride: usize,
        vmin: f64,
        vmax: f64,
        out: &mut [u8],
    ) -> usize {
        let span = vmax - vmin;
        let scale = if span > 0.0 { 256.0 / span } else { 0.0 };
        let mut bad = 0;
        for (row, dst) in out.chunks_exact_mut(width * 3).enumerate() {
            let src = &values[row * stride..row * stride + width];
            for (&v, px) in src.iter().zip(dst.chunks_exact_mut(3)) {
                let v: f64 = v.into();
                let i = if v.is_finite() {
                    ((v - vmin) * scale).clamp(0.0, 255.0) as usize
                } else {
                    bad += 1;
                    0
                };
                px.copy_from_slice(&self.lut[i]);
            }
        }
        bad
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn builtins_exist_and_gray_is_a_ramp() {
        let names: Vec<_> = Colormap::builtin_names().collect();
        for n in [
            "gray", "viridis", "magma", "inferno", "plasma", "cividis", "coolwarm",
        ] {
            assert!(names.contains(&n), "{n}");
        }
        let g = Colormap::builtin("grey").unwrap();
        let mut out = vec![0u8; 3 * 3];
        let bad = g.apply(&[0.0f32, 0.5, 1.0], 3, 3, 0.0, 1.0, &mut out);
        assert_eq!(bad, 0);
        assert_eq!(out, [0, 0, 0, 128, 128, 128, 255, 255, 255]);
    }

    #[test]
    fn viridis_ends_are_matplotlibs() {
        let v = Colormap::builtin("viridis").unwrap();
        let mut out = vec![0u8; 6];
        v.apply(&[-5.0f64, 99.0], 2, 2, 0.0, 1.0, &mut out);
        // viridis(0) = #440154, viridis(1) = #fde725
        assert_eq!(&out[..3], &[0x44, 0x01, 0x54]);
        assert_eq!(&out[3..], &[0xfd, 0xe7, 0x25]);
    }

    #[test]
    fn non_finite_values_are_counted() {
        let g = Colormap::builtin("gray").unwrap();
        let mut out = vec![0u8; 9];
        assert_eq!(
            g.apply(&[f32::NAN, 0.2, f32::INFINITY], 3, 3, 0.0, 1.0, &mut out),
            2
        );
    }
}
