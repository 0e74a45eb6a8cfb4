"""The types each front's arguments take (write, Writer, encode, show, render, join,
the matplotlib writer, the imageio plugin), checked by the call that got them.

A wrong type is an :class:`InvalidTypeError` naming the argument, the value, its
type and what is allowed, raised before any file is made.
"""

from __future__ import annotations

import io
import numbers
import os
import reprlib
from collections.abc import Mapping
from typing import Any, Callable

import numpy as np

from ._errors import InvalidConfigError, InvalidTypeError


def show_number(value: Any) -> str:
    """A value as a message names it: 1.5, nan, 1e+300, 7, 'abc', [1] (numpy
    scalars as plain numbers, long values shortened)."""
    if isinstance(value, (bool, np.bool_)):
        return repr(bool(value))
    if isinstance(value, numbers.Integral):
        return str(int(value))
    if isinstance(value, numbers.Rational):  # a Fraction: 1/3
        return str(value)
    if isinstance(value, float) or (isinstance(value, numbers.Real) and hasattr(value, "dtype")):
        return repr(float(value))
    return reprlib.repr(value)


def wrong_type(name: str, value: Any, expected: str, allowed: str) -> InvalidTypeError:
    """``codec 5 (int) is not a str; allowed: ...``."""
    return InvalidTypeError(
        f"{name} {show_number(value)} ({type(value).__name__}) is not {expected}; "
        f"allowed: {allowed}"
    )


def is_whole(value: Any) -> bool:
    """An int (or numpy integer), not a bool."""
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def is_real(value: Any) -> bool:
    """A real number, not a bool."""
    return isinstance(value, numbers.Real) and not isinstance(value, (bool, np.bool_))


def text(name: str, value: Any, allowed: str) -> str | None:
    """A str, or None."""
    if value is None or isinstance(value, str):
        return value
    raise wrong_type(name, value, "a str", allowed)


def whole(
    name: str,
    value: Any,
    lo: int | None = None,
    hi: int | None = None,
    allowed: str = "",
    optional: bool = True,
) -> int | None:
    """A whole number from ``lo`` to ``hi`` (no end where None: the caller checks the
    range), or None when ``optional``."""
    if value is None and optional:
        return None
    span = allowed or (f"{lo} to {hi}" if hi is not None else f"{lo} or more")
    if not is_whole(value):
        raise wrong_type(name, value, "a whole number", f"{span}, or None" if optional else span)
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise InvalidConfigError(f"{name} {show_number(value)} is out of range; allowed: {span}")
    return int(value)


def dpi(value: Any) -> None:
    """A positive number, or None (render's and the matplotlib writer's ``dpi``)."""
    if not (value is None or (is_real(value) and value > 0)):
        raise wrong_type("dpi", value, "a positive number", "dots per inch, or None (the figure's)")


def flag(name: str, value: Any, allowed: str) -> bool:
    """A bool (numpy's too)."""
    if not isinstance(value, (bool, np.bool_)):
        raise wrong_type(name, value, "a bool", allowed)
    return bool(value)


def strings(name: str, value: Any, allowed: str) -> list[str]:
    """A list (any iterable but a str) of strings; None is none."""
    if value is None:
        return []
    if isinstance(value, (str, bytes)) or not hasattr(type(value), "__iter__"):
        raise wrong_type(name, value, "a list of strings", allowed)
    items = list(value)
    if not all(isinstance(item, str) for item in items):
        raise wrong_type(name, value, "a list of strings", allowed)
    return items


TARGET_ALLOWED = (
    "a path (str or os.PathLike) or a binary file object (an open file, io.BytesIO: "
    "write(), flush(), seekable() and readable())"
)
_FILE_METHODS = ("write", "flush", "seekable", "readable")


def target(value: Any, name: str = "target") -> Any:
    """A path (as a str) or a binary file object: what the native writer and
    joiner take."""
    if isinstance(value, str):
        return value
    if isinstance(value, os.PathLike):
        return os.fsdecode(os.fspath(value))
    if isinstance(value, (bytes, bytearray, memoryview)):
        raise wrong_type(
            name,
            value,
            "a path or a file object",
            f"{TARGET_ALLOWED}; for the movie as bytes, framesink.encode(frames, ...) returns them",
        )
    if isinstance(value, io.TextIOBase):
        raise wrong_type(
            name, value, "a binary file object", f"{TARGET_ALLOWED}; open the file with 'wb'"
        )
    missing = [m for m in _FILE_METHODS if not callable(getattr(value, m, None))]
    if "write" in missing:
        raise wrong_type(name, value, "a path or a file object", TARGET_ALLOWED)
    if missing:
        lacks = ", ".join(f"{m}()" for m in missing)
        raise wrong_type(name, value, f"a binary file object (it has no {lacks})", TARGET_ALLOWED)
    return value


PROGRESS_ALLOWED = (
    "True (a progress bar), False or None (none), or a function progress(done, total)"
)


def progress(value: Any) -> Any:
    """False, True, None or a callable."""
    if value is None or callable(value):
        return value
    return flag("progress", value, PROGRESS_ALLOWED)


FPS_ALLOWED = (
    "frames per second, 1/100 to 1000: an int (30), a float (29.97), a str "
    "('30000/1001') or a fractions.Fraction"
)
CODEC_ALLOWED = (
    "'h264', 'av1', 'gif', 'png', 'ffmpeg:<encoder>' (a system ffmpeg's encoder), "
    "or None (the container's)"
)
FORMAT_ALLOWED = (
    "'mp4' (also 'm4v', 'mov'), 'gif', 'apng' (also 'png'), or None (from the extension)"
)
CHANNEL_ORDER_ALLOWED = "'rgb' or 'bgr' (OpenCV's)"
DITHER_ALLOWED = "True (dither a GIF's colours) or False (the default)"
LOSSLESS_ALLOWED = (
    "True (keep every bit: .png/.apng only, at the frames' depth) or False (the default)"
)
BIT_DEPTH_ALLOWED = (
    "8 (every codec) or 16 (.png/.apng), or None for the frames' own depth "
    "(16-bit frames stay 16-bit in .png/.apng; 8 bits elsewhere)"
)
FFMPEG_ARGS_ALLOWED = (
    "a list of strings, ffmpeg output options (e.g. ['-crf', '20']), with codec='ffmpeg:<encoder>'"
)
CMAP_ALLOWED = (
    "a colormap name ('viridis', 'gray', or any of matplotlib's), a matplotlib Colormap, "
    "or None (no colormap)"
)

# Writer's whole-number options: the lowest and highest allowed.
_WHOLE = {
    "quality": (0, 100),
    "bitrate": (1, 2_000_000),
    "keyframe_interval": (1, 2**32 - 1),
    "threads": (0, 256),
    "speed": (0, 10),
    "loops": (1, 65535),
    "total": (0, None),
}
SEGMENT_FRAMES_ALLOWED = "a positive multiple of the keyframe interval"


def channel_order(value: Any) -> str:
    if not isinstance(value, str):
        raise wrong_type("channel_order", value, "a str", CHANNEL_ORDER_ALLOWED)
    if value.lower() not in ("rgb", "bgr"):
        raise InvalidConfigError(f"channel_order {value!r} is not allowed; use 'rgb' or 'bgr'")
    return value


def cmap(value: Any) -> Any:
    """None, a name, or a colormap (callable); which names exist is checked with the
    colormap."""
    if value is None or isinstance(value, str) or callable(value):
        return value
    raise wrong_type("cmap", value, "a colormap", CMAP_ALLOWED)


def bit_depth(value: Any) -> int | None:
    """8, 16 or None; which codec keeps which depth is checked by the writer."""
    if value is None:
        return None
    if not is_whole(value):
        raise wrong_type("bit_depth", value, "a whole number", BIT_DEPTH_ALLOWED)
    if value not in (8, 16):
        raise InvalidConfigError(
            f"bit_depth {show_number(value)} is not available; allowed: {BIT_DEPTH_ALLOWED}"
        )
    return int(value)


def fps(value: Any) -> tuple[int, int]:
    from . import _rate

    return _rate(value)


def _metadata(value: Any) -> Any:
    from ._metadata import metadata_pairs

    return metadata_pairs(value)


def _range(name: str, value: Any) -> Any:
    from ._colormap import _limit

    return _limit(name, value)


_CHECKS: dict[str, Callable[[Any], Any]] = {
    "fps": fps,
    "codec": lambda v: text("codec", v, CODEC_ALLOWED),
    "format": lambda v: text("format", v, FORMAT_ALLOWED),
    "dither": lambda v: flag("dither", v, DITHER_ALLOWED),
    "lossless": lambda v: flag("lossless", v, LOSSLESS_ALLOWED),
    "bit_depth": bit_depth,
    "ffmpeg_args": lambda v: strings("ffmpeg_args", v, FFMPEG_ARGS_ALLOWED),
    "progress": progress,
    "cmap": cmap,
    "vmin": lambda v: _range("vmin", v),
    "vmax": lambda v: _range("vmax", v),
    "channel_order": channel_order,
    "metadata": _metadata,
}


def check_writer_options(options: Mapping[str, Any]) -> None:
    """Checks the type (and range) of each of Writer's keyword options given, in
    their order; other names are left to their function."""
    for name, value in options.items():
        if name in _WHOLE:
            whole(name, value, *_WHOLE[name])
        elif name in _CHECKS:
            _CHECKS[name](value)
