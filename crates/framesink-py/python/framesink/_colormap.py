"""Scalar (2-D) frames through a colormap, with vmin/vmax fixed for the movie.

The mapping runs in Rust (GIL released). Built in, without matplotlib: gray,
viridis, magma, inferno, plasma, cividis, coolwarm. Any other matplotlib
colormap, by name or object, when matplotlib is installed.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from . import _framesink
from ._errors import InvalidFrameError, UnsupportedError, warn

BUILTIN = frozenset(_framesink.colormap_names())


def _table(cmap: Any) -> str | bytes:
    """A built-in name, or the 256 x RGB table of a matplotlib colormap."""
    if isinstance(cmap, str):
        name = "gray" if cmap.lower() == "grey" else cmap
        if name in BUILTIN:
            return name
        try:
            import matplotlib
        except ImportError:
            raise UnsupportedError(
                f"cmap {cmap!r} needs matplotlib (pip install matplotlib); built in without it: "
                + ", ".join(sorted(BUILTIN))
            ) from None
        try:
            cmap = matplotlib.colormaps[cmap]
        except KeyError:
            raise UnsupportedError(f"cmap {cmap!r} is not a matplotlib colormap name") from None
    if not callable(cmap):
        raise UnsupportedError(f"cmap {cmap!r} is neither a colormap name nor a colormap")
    # Sample the 256 bins matplotlib itself uses for a 256-colour map.
    resampled = cmap.resampled(256) if hasattr(cmap, "resampled") else None
    if resampled is not None:
        rgba = np.asarray(resampled(np.arange(256)), dtype=np.float64)
    else:
        rgba = np.asarray(cmap((np.arange(256) + 0.5) / 256), dtype=np.float64)
    return (np.clip(rgba[:, :3], 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8).tobytes()


class Colormap:
    """Maps 2-D frames to RGB with one fixed vmin/vmax for the whole movie."""

    def __init__(self, cmap: Any, vmin: float | None, vmax: float | None) -> None:
        self.table = _table(cmap)
        self.vmin = vmin
        self.vmax = vmax

    def __call__(self, frame: np.ndarray, index: int) -> np.ndarray:
        data = np.asarray(frame)
        if data.dtype.kind not in "biuf":
            raise InvalidFrameError(
                f"frame {index}: dtype {data.dtype} cannot be colour-mapped; use numbers"
            )
        if data.dtype.kind != "f" or data.dtype.itemsize not in (4, 8):
            data = data.astype(np.float32)
        # Native byte order, C order and aligned, whatever the array came as (a
        # Dask compute, a FITS file, a slice of a record array).
        data = np.require(data, dtype=data.dtype.newbyteorder("="), requirements=["C", "A"])
        if self.vmin is None or self.vmax is None:
            finite = data[np.isfinite(data)]
            lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
            self.vmin = lo if self.vmin is None else self.vmin
            self.vmax = hi if self.vmax is None else self.vmax
            warn(
                f"cmap: vmin={self.vmin:g}, vmax={self.vmax:g} taken from frame {index} and kept "
                "for the whole movie (pass vmin= and vmax= to choose)"
            )
        rgb, bad = _framesink.apply_colormap(data, self.table, self.vmin, self.vmax)
        if bad:
            raise InvalidFrameError(
                f"frame {index}: {bad} value(s) are NaN or infinite; colour-mapped frames must "
                "hold finite values"
            )
        return rgb  # type: ignore[no-any-return]
