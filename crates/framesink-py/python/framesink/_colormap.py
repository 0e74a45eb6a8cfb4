"""Scalar (2-D) frames through a colormap, with vmin/vmax fixed for the movie.

Any matplotlib colormap (name or object) works when matplotlib is installed;
"gray" works without it.
"""

from __future__ import annotations

import warnings
from typing import Any

import numpy as np

from ._errors import FramesinkWarning, InvalidFrameError, UnsupportedError


def _lut(cmap: Any) -> np.ndarray:
    """A (256, 3) uint8 table for a colormap name or object."""
    if isinstance(cmap, str) and cmap.lower() in ("gray", "grey"):
        ramp = np.arange(256, dtype=np.uint8)
        return np.stack([ramp, ramp, ramp], axis=1)
    if isinstance(cmap, str):
        try:
            import matplotlib
        except ImportError:
            raise UnsupportedError(
                f"cmap {cmap!r} needs matplotlib (pip install matplotlib); "
                "without it the built-in colormap is 'gray'"
            ) from None
        try:
            cmap = matplotlib.colormaps[cmap]
        except KeyError:
            raise UnsupportedError(f"cmap {cmap!r} is not a matplotlib colormap name") from None
    if not callable(cmap):
        raise UnsupportedError(f"cmap {cmap!r} is neither a colormap name nor a colormap")
    rgba = np.asarray(cmap(np.linspace(0.0, 1.0, 256)), dtype=np.float64)
    return (np.clip(rgba[:, :3], 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8)


class Colormap:
    """Maps 2-D frames to RGB with one fixed vmin/vmax for the whole movie."""

    def __init__(self, cmap: Any, vmin: float | None, vmax: float | None) -> None:
        self.lut = _lut(cmap)
        self.vmin = vmin
        self.vmax = vmax

    def __call__(self, frame: np.ndarray, index: int) -> np.ndarray:
        data = np.asarray(frame)
        if data.dtype.kind not in "biuf":
            raise InvalidFrameError(
                f"frame {index}: dtype {data.dtype} cannot be colour-mapped; use numbers"
            )
        values = data.astype(np.float64, copy=False)
        if data.dtype.kind == "f" and not np.isfinite(values).all():
            bad = int(values.size - np.count_nonzero(np.isfinite(values)))
            raise InvalidFrameError(f"frame {index}: {bad} value(s) are NaN or infinite")
        if self.vmin is None or self.vmax is None:
            lo, hi = float(values.min()), float(values.max())
            self.vmin = lo if self.vmin is None else self.vmin
            self.vmax = hi if self.vmax is None else self.vmax
            warnings.warn(
                f"cmap: vmin={self.vmin:g}, vmax={self.vmax:g} taken from frame {index} and kept "
                "for the whole movie (pass vmin= and vmax= to choose)",
                FramesinkWarning,
                stacklevel=5,
            )
        span = self.vmax - self.vmin
        scale = 255.0 / span if span > 0 else 0.0
        idx = np.clip((values - self.vmin) * scale + 0.5, 0, 255).astype(np.uint8)
        return self.lut[idx]
