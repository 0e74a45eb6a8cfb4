"""Numpy frames to the layouts the native writer takes.

The mapping of values to 8 bits is fixed, never rescaled per frame: uint8 as
is, uint16 full range (rounded in Rust), bool to 0/255, floats in [0, 1] to
round(255 * x) with values outside clipped (and counted).
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ._errors import InvalidFrameError, warn

_LAYOUTS = {
    ("rgb", 1): "gray",
    ("rgb", 2): "grayalpha",
    ("rgb", 3): "rgb",
    ("rgb", 4): "rgba",
    ("bgr", 1): "gray",
    ("bgr", 2): "grayalpha",
    ("bgr", 3): "bgr",
    ("bgr", 4): "bgra",
}
ACCEPTED_DTYPES = "uint8, uint16, bool, float16, float32, float64"


def prepare(
    frame: Any, index: int, channel_order: str, colormap: Any | None = None
) -> tuple[np.ndarray, str, int]:
    """Returns (array, native layout name, clipped value count) for one frame."""
    arr = np.asarray(frame)
    if colormap is not None:
        if arr.ndim != 2:
            raise InvalidFrameError(
                f"frame {index}: cmap= needs 2-D frames (H, W); got shape {arr.shape}"
            )
        arr = colormap(arr, index)
    if arr.ndim in (2, 3) and 0 in arr.shape[:2]:
        raise InvalidFrameError(
            f"frame {index}: shape {arr.shape} is empty; width and height must be at least 2"
        )
    if arr.ndim == 2:
        channels = 1
    elif arr.ndim == 3 and arr.shape[2] in (1, 2, 3, 4):
        channels = arr.shape[2]
    else:
        raise InvalidFrameError(
            f"frame {index}: shape {arr.shape} is not a frame; allowed: (H, W) gray, (H, W, 1), "
            "(H, W, 2) gray+alpha, (H, W, 3) RGB, (H, W, 4) RGBA"
        )
    clipped = 0
    kind = arr.dtype.kind
    if arr.dtype == np.uint8:
        bits = 8
    elif arr.dtype == np.uint16:
        bits = 16
    elif kind == "b":
        arr = arr.view(np.uint8) * np.uint8(255)
        bits = 8
    elif kind == "f":
        finite = np.isfinite(arr)
        if not finite.all():
            bad = int(arr.size - np.count_nonzero(finite))
            raise InvalidFrameError(
                f"frame {index}: {bad} value(s) are NaN or infinite; float frames must hold "
                "finite values in [0, 1]"
            )
        outside = (arr < 0) | (arr > 1)
        clipped = int(np.count_nonzero(outside))
        work = arr.astype(np.float32, copy=True)
        if clipped:
            np.clip(work, 0.0, 1.0, out=work)
        work *= 255.0
        work += 0.5
        arr = work.astype(np.uint8)
        bits = 8
    else:
        raise InvalidFrameError(
            f"frame {index}: dtype {arr.dtype} is not supported; allowed: {ACCEPTED_DTYPES}"
        )
    if channels == 1 and arr.ndim == 3:
        arr = arr[:, :, 0]
    order = channel_order.lower()
    if order not in ("rgb", "bgr"):
        raise ValueError(f"channel_order {channel_order!r} is not 'rgb' or 'bgr'")
    layout = _LAYOUTS[(order, channels)]
    if bits == 16:
        if channels == 2 or layout.startswith("bgr"):
            # no native 16-bit layout: round to 8 bits here, exactly as Rust does
            arr = ((arr.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
            bits = 8
        elif arr.dtype.byteorder == (">" if np.little_endian else "<"):
            arr = arr.astype(arr.dtype.newbyteorder("="))
    layout += str(bits)
    # Rows must be contiguous; any row stride (positive) is fine.
    item = arr.itemsize
    row_ok = arr.strides[-1] == item and (arr.ndim == 2 or arr.strides[1] == item * arr.shape[2])
    if not row_ok or arr.strides[0] <= 0:
        arr = np.ascontiguousarray(arr)
    return arr, layout, clipped


def warn_clipped(index: int, clipped: int, total: int) -> None:
    warn(
        f"frame {index}: {clipped} of {total} float values were outside [0, 1] and were clipped "
        "(float frames map 0..1 to 0..255, never rescaled per frame); "
        "further clipping is not reported"
    )
