"""Reading movies back into numpy: ``framesink.read`` and ``framesink.Reader``.

The native reader demuxes and decodes (H.264 and AV1 in MP4/MOV, GIF, APNG);
this module turns its frames into arrays and answers Python's indexing.
"""

from __future__ import annotations

import math
import mmap
import os
import sys
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from fractions import Fraction
from types import TracebackType
from typing import IO, Any, Union

import numpy as np

from . import _args, _framesink
from ._errors import InvalidConfigError

Source = Union[str, "os.PathLike[str]", bytes, bytearray, memoryview, IO[bytes]]
Index = Union[int, slice, Sequence[int], None]

#: The layouts a reader gives, and the channels each has (1: a 2-D frame).
FORMATS = {
    "rgb24": 3,
    "rgba": 4,
    "bgr24": 3,
    "bgra": 4,
    "gray": 1,
    "ya8": 2,
    "rgb48le": 3,
    "rgba64le": 4,
    "gray16le": 1,
}
#: The layouts of 16-bit samples (uint16 arrays), for 16-bit PNG and APNG.
WIDE = ("rgb48le", "rgba64le", "gray16le")


@dataclass(frozen=True)
class Props:
    """What a movie is, read from its headers before any frame is decoded."""

    #: Frames it holds (for a truncated file: those before the cut).
    n_frames: int
    #: The frame rate, exact; ``None`` when frames last differently (VFR).
    fps: Fraction | None
    #: Seconds from the first frame's start to the last one's end.
    duration: float
    #: (width, height) in pixels, as displayed.
    size: tuple[int, int]
    #: The shape :func:`framesink.read` gives for the whole movie.
    shape: tuple[int, ...]
    #: The dtype of its frames: uint8, or uint16 for a 16-bit PNG or APNG (or when
    #: asked for ``"rgb48le"``, ``"rgba64le"`` or ``"gray16le"``).
    dtype: np.dtype
    #: "h264", "av1", "gif" or "png".
    codec: str
    #: The codec's profile ("High", "Main"); "" for GIF and PNG.
    profile: str
    #: Bits per sample as stored.
    bit_depth: int
    #: Every frame's presentation time in seconds, in order.
    timestamps: np.ndarray = field(repr=False)
    #: Seconds per tick of the file's own timestamps.
    time_base: Fraction
    #: H.273 colour tags: primaries, transfer, matrix (1 is BT.709), full_range.
    color: dict[str, Any]
    #: The metadata as written (title, ...).
    metadata: dict[str, str]
    #: GIF and APNG: how many times the animation plays (None: forever).
    loops: int | None
    #: Whether the frames have transparency (then frames are RGBA by default).
    alpha: bool
    #: The encoder named in the file.
    encoder: str
    #: Where the file was cut, when it is truncated; else None.
    truncated: str | None
    #: The coded size (before cropping).
    coded_size: tuple[int, int]
    #: The shape of a pixel (width, height) where the stream gives it; None if not.
    sample_aspect: tuple[int, int] | None


def _props(native: dict[str, Any], pix_fmt: str) -> Props:
    timescale = native["timescale"]
    pts = np.asarray(native["pts"], dtype=np.uint64)
    n, w, h = native["n_frames"], native["width"], native["height"]
    channels = FORMATS[pix_fmt]
    shape: tuple[int, ...] = (n, h, w) if channels == 1 else (n, h, w, channels)
    fps = native["fps"]
    primaries, transfer, matrix, full_range = native["color"]
    return Props(
        n_frames=n,
        fps=Fraction(*fps) if fps is not None else None,
        duration=native["duration_ticks"] / timescale,
        size=(w, h),
        shape=shape,
        dtype=np.dtype("<u2" if pix_fmt in WIDE else np.uint8),
        codec=native["codec"],
        profile=native["profile"],
        bit_depth=native["bit_depth"],
        timestamps=pts.astype(np.float64) / timescale,
        time_base=Fraction(1, timescale),
        color={
            "primaries": primaries,
            "transfer": transfer,
            "matrix": matrix,
            "full_range": full_range,
        },
        metadata=dict(native["metadata"]),
        loops=native["loops"],
        alpha=native["alpha"],
        encoder=native["encoder"],
        truncated=native["truncated"],
        coded_size=(native["coded_width"], native["coded_height"]),
        sample_aspect=native["sample_aspect"],
    )


def _source(src: Any) -> Any:
    if isinstance(src, (bytearray, memoryview)):
        return bytes(src)
    if isinstance(src, (str, bytes, os.PathLike)) or (
        hasattr(src, "read") and hasattr(src, "seek")
    ):
        return src
    raise _args.wrong_type(
        "src",
        src,
        "a movie",
        "a path (str or os.PathLike), bytes, or a binary file object that can seek",
    )


class Reader:
    """A movie opened for reading: frames as numpy arrays, in presentation order.

    >>> with framesink.Reader("movie.mp4") as r:        # doctest: +SKIP
    ...     print(len(r), r.props.fps, r.props.size)
    ...     first, last = r[0], r[-1]                    # seeks to the keyframe before
    ...     clip = r[10:20]                              # (10, H, W, 3)
    ...     frame = r.at(1.5)                            # the frame shown at 1.5 s
    ...     for frame in r: ...                          # every frame, memory stays flat

    ``src`` is a path, bytes, or a binary file object that can seek.
    ``format`` is the pixel format of the arrays: ``"rgb24"`` (H, W, 3) by default,
    ``"rgba"`` (H, W, 4) for movies with transparency; also ``"gray"`` (H, W),
    ``"bgr24"``, ``"bgra"`` and ``"ya8"``. YUV is converted with the movie's own
    colour matrix and range (untagged video as BT.601, as ffmpeg does). A 16-bit PNG
    or APNG gives uint16 frames, ``"rgb48le"`` (or ``"rgba64le"``, ``"gray16le"``)
    by default, every bit as stored; an 8-bit format rounds them.
    """

    def __init__(self, src: Source, *, format: str | None = None) -> None:
        self._native = _framesink.NativeReader(_source(src))
        native = self._native.props()
        if format is not None:
            fmt = _args.text("format", format, _FORMAT_ALLOWED)
            if fmt not in FORMATS:
                raise InvalidConfigError(
                    f"format {format!r} is not one a reader gives; allowed: {_FORMAT_ALLOWED}"
                )
            self._native.set_pix_fmt(fmt)
            native = self._native.props()
        self._format: str = native["pix_fmt"]
        self.props: Props = _props(native, self._format)
        self._frame_shape = self.props.shape[1:]

    def __len__(self) -> int:
        return self.props.n_frames

    def __enter__(self) -> Reader:
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()

    def close(self) -> None:
        """Releases the file; the reader cannot be used afterwards."""
        self._native.close()

    def _empty(self, n: int | None = None) -> np.ndarray:
        shape = self._frame_shape if n is None else (n, *self._frame_shape)
        dtype = self.props.dtype
        size = math.prod(shape) * dtype.itemsize
        if size < _HUGE_PAGES_FROM or not sys.platform.startswith("linux"):
            return np.empty(shape, dtype=dtype)
        # Many frames on Linux: zeroed 4 KiB pages of a private anonymous
        # mapping, not numpy's own memory, for which numpy asks the kernel for
        # transparent huge pages from 4 MiB on. The decoding threads fault
        # those in as they first write them, and on a virtual machine a fresh
        # huge page can cost far more than its 512 small ones: reading 300
        # frames of 720p (830 MB) took 1.2-1.9 s of system time in two runs
        # of three, against 0.3-0.5 s on small pages
        # (bench/results/2026-12-08-read-2.md).
        flags = mmap.MAP_PRIVATE | mmap.MAP_ANONYMOUS
        return np.frombuffer(mmap.mmap(-1, size, flags=flags), dtype=dtype).reshape(shape)

    def __iter__(self) -> Iterator[np.ndarray]:
        """Every frame from the first, decoding one at a time (memory stays flat)."""
        for i in range(len(self)):
            out = self._empty()
            self._frame(i, out)  # in order: decodes on, no seek
            yield out

    def _frame(self, index: int, out: np.ndarray) -> None:
        self._native.read_into(index, _bytes(out))

    def _check(self, index: Any) -> int:
        if isinstance(index, (bool, np.bool_)) or not isinstance(index, (int, np.integer)):
            raise _args.wrong_type("index", index, "a frame index", _INDEX_ALLOWED)
        n = len(self)
        i = int(index)
        if not -n <= i < n:
            raise IndexError(
                f"frame index {i} is out of range for a movie of {n} frames "
                f"(allowed: {-n} to {n - 1})"
            )
        return i % n

    def __getitem__(self, index: int | slice | Sequence[int]) -> np.ndarray:
        """``r[i]`` is one frame; ``r[a:b:c]`` and ``r[[i, j, ...]]`` stack frames."""
        if isinstance(index, slice):
            span = range(*index.indices(len(self)))
            if span.step == 1 and len(span) > 1:
                out = self._empty(len(span))
                self._native.read_into(span.start, _bytes(out))
                return out
            indices: Sequence[int] = span
        elif isinstance(index, (int, np.integer)) and not isinstance(index, (bool, np.bool_)):
            out = self._empty()
            self._frame(self._check(index), out)
            return out
        elif isinstance(index, (Sequence, np.ndarray)) and not isinstance(index, (str, bytes)):
            indices = [self._check(i) for i in index]
        else:
            raise _args.wrong_type("index", index, "a frame index", _INDEX_ALLOWED)
        out = self._empty(len(indices))
        for k, i in enumerate(indices):
            self._frame(i, out[k])
        return out

    def at(self, seconds: float) -> np.ndarray:
        """The frame shown ``seconds`` after the start."""
        if isinstance(seconds, bool) or not _args.is_real(seconds):
            raise _args.wrong_type(
                "seconds", seconds, "a time", "a number of seconds, 0 <= t < duration"
            )
        return self[int(self._native.index_at(float(seconds)))]

    def __repr__(self) -> str:
        p = self.props
        return (
            f"<framesink.Reader {p.codec} {p.size[0]}x{p.size[1]} {p.n_frames} frames fps={p.fps}>"
        )


_HUGE_PAGES_FROM = 1 << 22


def _bytes(out: np.ndarray) -> np.ndarray:
    """A C-contiguous array as the flat bytes the native reader writes."""
    return out.reshape(-1).view(np.uint8)


_FORMAT_ALLOWED = ", ".join(repr(f) for f in FORMATS)
_INDEX_ALLOWED = "an int, a slice, or a list of ints"


def read(src: Source, *, index: Index = None, format: str | None = None) -> np.ndarray:
    """Reads a movie (or some of its frames) into one array.

    ``index`` None gives every frame, (N, H, W, C); an int gives that frame,
    (H, W, C); a slice or a list of ints gives those frames stacked. Formats as
    :class:`Reader`'s. A movie from a path or bytes is decoded on every core,
    each taking its own run of GOPs (keyframe to keyframe).

    >>> frames = framesink.read("movie.mp4")            # doctest: +SKIP
    >>> frames.shape                                     # doctest: +SKIP
    (300, 720, 1280, 3)
    """
    with Reader(src, format=format) as r:
        return r[:] if index is None else r[index]
