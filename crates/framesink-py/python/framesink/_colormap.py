"""Scalar (2-D) frames through a colormap, with vmin/vmax fixed for the movie.

The mapping runs in Rust (GIL released). Built in, without matplotlib: gray,
viridis, magma, inferno, plasma, cividis, coolwarm. Any other matplotlib
colormap, by name or object, when matplotlib is installed.

vmin and vmax are finite numbers with vmin <= vmax; vmin == vmax maps every
value to the colormap's first colour, as matplotlib's ``Normalize`` does (a
constant first frame gives that range), while vmin > vmax, NaN and infinities
are refused (matplotlib: "minvalue must be less than or equal to maxvalue").
"""

from __future__ import annotations

import math
import numbers
from typing import Any

import numpy as np

from . import _framesink
from ._args import CMAP_ALLOWED, show_number, wrong_type
from ._errors import InvalidConfigError, InvalidFrameError, UnsupportedError, warn

_RANGE_ALLOWED = "allowed: finite numbers with vmin <= vmax, or None (from the first frame)"


def _limit(name: str, value: Any) -> float | None:
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Real):
        raise wrong_type(name, value, "a number", _RANGE_ALLOWED.removeprefix("allowed: "))
    limit = float(value)
    if not math.isfinite(limit):
        raise InvalidConfigError(f"{name} {show_number(value)} is not finite; {_RANGE_ALLOWED}")
    return limit


def checked_range(vmin: Any, vmax: Any) -> tuple[float | None, float | None]:
    """vmin and vmax as floats (or None), or an InvalidConfigError naming them."""
    lo, hi = _limit("vmin", vmin), _limit("vmax", vmax)
    if lo is not None and hi is not None and lo > hi:
        raise InvalidConfigError(
            f"vmin {show_number(vmin)} is above vmax {show_number(vmax)}; {_RANGE_ALLOWED}"
        )
    return lo, hi


def auto_range(
    vmin: float | None, vmax: float | None, frame: Any, index: int
) -> tuple[float, float]:
    """vmin and vmax, the one(s) not given taken from frame ``index``'s finite
    values (once for the whole movie, with a warning saying so)."""
    data = np.asarray(frame)
    finite = data[np.isfinite(data)]
    lo, hi = (float(finite.min()), float(finite.max())) if finite.size else (0.0, 1.0)
    lo = lo if vmin is None else vmin
    hi = hi if vmax is None else vmax
    if lo > hi:
        taken = "vmax" if vmax is None else "vmin"
        raise InvalidConfigError(
            f"vmin {lo:g} is above vmax {hi:g} ({taken} taken from frame {index}'s values); "
            "allowed: vmin <= vmax: pass both vmin= and vmax="
        )
    warn(
        f"cmap: vmin={lo:g}, vmax={hi:g} taken from frame {index} and kept "
        "for the whole movie (pass vmin= and vmax= to choose)"
    )
    return lo, hi


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
        raise wrong_type("cmap", cmap, "a colormap", CMAP_ALLOWED)
    # Sample the 256 bins matplotlib itself uses for a 256-colour map.
    resampled = cmap.resampled(256) if hasattr(cmap, "resampled") else None
    if resampled is not None:
        rgba = np.asarray(resampled(np.arange(256)), dtype=np.float64)
    else:
        rgba = np.asarray(cmap((np.arange(256) + 0.5) / 256), dtype=np.float64)
    return (np.clip(rgba[:, :3], 0.0, 1.0) * 255.0 + 0.5).astype(np.uint8).tobytes()


class Colormap:
    """Maps 2-D frames to RGB with one fixed vmin/vmax for the whole movie."""

    def __init__(self, cmap: Any, vmin: Any, vmax: Any) -> None:
        self.vmin, self.vmax = checked_range(vmin, vmax)
        self.table = _table(cmap)

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
            self.vmin, self.vmax = auto_range(self.vmin, self.vmax, data, index)
        rgb, bad = _framesink.apply_colormap(data, self.table, self.vmin, self.vmax)
        if bad:
            raise InvalidFrameError(
                f"frame {index}: {bad} value(s) are NaN or infinite; colour-mapped frames must "
                "hold finite values"
            )
        return rgb  # type: ignore[no-any-return]
