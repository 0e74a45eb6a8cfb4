"""framesink: numpy frames straight to a movie file, no ffmpeg needed.

>>> import numpy as np, framesink
>>> frames = np.random.rand(60, 240, 320)           # 60 gray frames, floats in [0, 1]
>>> framesink.write("noise.mp4", frames, fps=30)     # doctest: +SKIP

matplotlib: ``anim.save("x.mp4", writer="framesink")``; Jupyter:
``framesink.show(frames, fps=30)``.
"""

from __future__ import annotations

import inspect
import io
import numbers
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from fractions import Fraction
from typing import IO, Any, Callable, Optional, Union

import numpy as np

from . import _args, _framesink
from ._args import show_number
from ._colormap import Colormap, checked_range
from ._errors import (
    BitsLostWarning,
    EncoderError,
    FrameFunctionError,
    FramesinkError,
    FramesinkIOError,
    FramesinkWarning,
    InvalidConfigError,
    InvalidFrameError,
    InvalidMovieError,
    InvalidPartError,
    InvalidTypeError,
    UnsupportedError,
    check_keywords,
    unexpected_keyword,
    warn,
)
from ._frames import prepare, warn_clipped
from ._metadata import Metadata, metadata_pairs
from ._pool import Pool
from ._progress import make_progress
from ._read import Props, Reader, read

__all__ = [
    "BitsLostWarning",
    "EncoderError",
    "FrameFunctionError",
    "FramesinkError",
    "FramesinkIOError",
    "FramesinkWarning",
    "InvalidConfigError",
    "InvalidFrameError",
    "InvalidMovieError",
    "InvalidPartError",
    "InvalidTypeError",
    "Pool",
    "Props",
    "Reader",
    "Summary",
    "UnsupportedError",
    "Writer",
    "encode",
    "join",
    "read",
    "render",
    "show",
    "write",
]
__version__: str = _framesink.__version__

Target = Union[str, "os.PathLike[str]", IO[bytes]]
Rate = Union[int, float, str, Fraction]
Progress = Union[bool, Callable[[int, Optional[int]], Any]]


@dataclass(frozen=True)
class Summary:
    """What a finished movie holds."""

    frames: int
    duration: float
    bytes: int
    codec: str
    profile: str
    width: int
    height: int
    coded_width: int
    coded_height: int
    warnings: list[str] = field(default_factory=list)
    frames_dropped: int = 0
    bit_depth: int = 8  # 16 for a 16-bit .png/.apng


def _rate(fps: Rate) -> tuple[int, int]:
    """An exact (num, den) for fps: 30, 29.97 (= 30000/1001), '30000/1001', Fraction."""
    if isinstance(fps, (bool, np.bool_)):
        raise _args.wrong_type("fps", fps, "a number", _args.FPS_ALLOWED)
    if isinstance(fps, Fraction):
        if fps <= 0:
            raise InvalidConfigError(f"fps {fps} must be positive")
        return fps.numerator, fps.denominator
    if isinstance(fps, (int, np.integer)):
        if fps <= 0:
            raise InvalidConfigError(
                f"fps {fps} must be positive; allowed: 1/100 to 1000 frames per second"
            )
        return int(fps), 1
    if isinstance(fps, (float, np.floating, str)):
        return _framesink.parse_rate(str(fps) if not isinstance(fps, str) else fps)
    raise _args.wrong_type("fps", fps, "a number", _args.FPS_ALLOWED)


_TIMESTAMP_ALLOWED = (
    "allowed: seconds as a real number >= 0 (1.5) or a fractions.Fraction (Fraction(1001, 30000))"
)
# The native writer takes a timestamp as two unsigned 64-bit integers.
_U64_END = 2**64


def _timestamp(t: Any, index: int) -> tuple[int, int]:
    """An exact (num, den) of seconds for frame ``index``'s timestamp, or an
    InvalidFrameError naming it and what is allowed."""
    shown = show_number(t)
    if isinstance(t, (bool, np.bool_)) or not isinstance(t, (numbers.Real, Decimal)):
        raise InvalidFrameError(
            f"frame {index}: timestamp {shown} is not a number; {_TIMESTAMP_ALLOWED}"
        )
    if isinstance(t, (Fraction, numbers.Integral)):
        exact = Fraction(int(t)) if isinstance(t, numbers.Integral) else t
        if exact < 0:
            raise InvalidFrameError(
                f"frame {index}: timestamp {shown} is negative; {_TIMESTAMP_ALLOWED}"
            )
        if exact.denominator >= _U64_END:  # finer than anything a movie resolves
            exact = exact.limit_denominator(_U64_END - 1)
        num, den = exact.numerator, exact.denominator
    else:
        value = float(t)
        if not np.isfinite(value) or value < 0:
            what = "is negative" if value < 0 and value > -np.inf else "is not finite"
            raise InvalidFrameError(
                f"frame {index}: timestamp {shown} {what}; {_TIMESTAMP_ALLOWED}"
            )
        # (1e300 s is finite, but its microseconds do not fit in 64 bits)
        num = round(value * 1_000_000) if value * 1e6 < _U64_END else _U64_END
        den = 1_000_000
    if num >= _U64_END:
        raise InvalidFrameError(
            f"frame {index}: timestamp {shown} is too large; allowed: seconds as a real number "
            ">= 0 up to about 1.8e13 (half a million years), or a fractions.Fraction"
        )
    return num, den


class Writer:
    """Writes frames to a movie as they come.

    >>> with framesink.Writer("out.mp4", fps=30) as w:    # doctest: +SKIP
    ...     for frame in simulation():
    ...         w.write(frame)

    ``target`` is a path or a binary file object (an open file, ``BytesIO``, a
    socket's file); a file object that cannot seek gets a fragmented MP4.
    ``write`` returns once the frame is copied: encoding runs in the background
    on every core, with a bounded queue, so memory does not grow with the
    number of frames.
    """

    @check_keywords("Writer")
    def __init__(
        self,
        target: Target,
        *,
        fps: Rate = 30,
        codec: str | None = None,
        quality: int | None = None,
        bitrate: int | None = None,
        keyframe_interval: int | None = None,
        threads: int | None = None,
        speed: int | None = None,
        dither: bool = False,
        loops: int | None = None,
        bit_depth: int | None = None,
        lossless: bool = False,
        ffmpeg_args: Sequence[str] = (),
        format: str | None = None,
        progress: Progress = False,
        total: int | None = None,
        cmap: Any = None,
        vmin: float | None = None,
        vmax: float | None = None,
        channel_order: str = "rgb",
        metadata: Metadata | None = None,
    ) -> None:
        # The keywords as given, in the signature's order (nothing else is bound yet).
        options = {k: v for k, v in locals().items() if k not in ("self", "target")}
        self._native: _framesink.NativeWriter | None = None
        target = _args.target(target)
        _args.check_writer_options(options)
        if ffmpeg_args and not (isinstance(codec, str) and codec.startswith("ffmpeg:")):
            raise InvalidConfigError(
                f"ffmpeg_args {list(ffmpeg_args)!r} go to a system ffmpeg, and codec={codec!r} "
                "names no ffmpeg encoder (framesink's own encoders take keywords: quality=, "
                "bitrate=, keyframe_interval=); allowed: ffmpeg_args with "
                "codec='ffmpeg:<encoder>' (e.g. 'ffmpeg:libx264'), or none"
            )
        vmin, vmax = checked_range(vmin, vmax)
        num, den = _rate(fps)
        self._channel_order = channel_order
        self._colormap = Colormap(cmap, vmin, vmax) if cmap is not None else None
        self._warned_clip = False
        self._progress = make_progress(progress, total)
        self._native = _framesink.NativeWriter(
            target,
            fps_num=num,
            fps_den=den,
            codec=codec,
            container=format,
            quality=quality,
            bitrate=bitrate,
            keyframe_interval=keyframe_interval,
            threads=threads,
            dither=bool(dither),
            loops=loops,
            ffmpeg_args=list(ffmpeg_args or ()),
            speed=speed,
            metadata=metadata_pairs(metadata),
            bit_depth=bit_depth,
            lossless=bool(lossless),
        )
        self._summary: Summary | None = None

    @property
    def frames(self) -> int:
        """Frames accepted so far."""
        return self._native.frames() if self._native is not None else 0

    def write(self, frame: Any, timestamp: float | Fraction | None = None) -> None:
        """Adds one frame; ``timestamp`` (seconds) gives it its own time (variable rate)."""
        native = self._native
        if native is None or not native.is_open():
            raise FramesinkError("the writer is closed; make a new Writer to write more frames")
        index = native.frames()
        ts = None if timestamp is None else _timestamp(timestamp, index)
        arr, layout, clipped = prepare(frame, index, self._channel_order, self._colormap)
        if clipped and not self._warned_clip:
            self._warned_clip = True
            warn_clipped(index, clipped, arr.size)
        for kind, message in native.write(arr, layout, ts):
            warn(message, BitsLostWarning if kind == "bits_lost" else FramesinkWarning)
        if self._progress is not None:
            self._progress.update(native.frames())

    def close(self) -> Summary:
        """Finishes the movie and returns its :class:`Summary` (idempotent)."""
        if self._summary is not None:
            return self._summary
        if self._native is None:
            raise FramesinkError("the writer was never opened")
        try:
            info = self._native.close()
        finally:
            if self._progress is not None:
                self._progress.close()
        self._summary = Summary(**info)
        return self._summary

    def __enter__(self) -> Writer:
        return self

    def __exit__(self, exc_type: Any, exc: Any, tb: Any) -> None:
        if exc_type is None:
            self.close()
        elif self._native is not None:
            # keep what was written before the error, report the original error
            try:
                self._native.close()
            except FramesinkError:
                pass
            if self._progress is not None:
                self._progress.close()

    def abandon(self) -> None:
        """Finishes the file as well as it can, without reporting errors."""
        native = self._native
        if native is not None and native.is_open():
            native.abandon()
        if self._progress is not None:
            self._progress.close()

    def __del__(self) -> None:
        native = getattr(self, "_native", None)
        if native is not None and native.is_open():
            warn(
                "framesink.Writer was not closed; finishing the file now. Use `with` or close().",
                ResourceWarning,
            )
            native.abandon()


def _length(frames: Any) -> int | None:
    try:
        return len(frames)
    except TypeError:
        return None


_FRAMES_ALLOWED = (
    "allowed: an array (N, H, W) or (N, H, W, C), an iterable of (H, W) or (H, W, C) "
    "frames (a list, a generator), or a Dask array (N, H, W[, C])"
)


def _check_frames(frames: Any) -> None:
    """A TypeError naming ``frames`` when it cannot be frames at all (None, a number,
    a path); an iterable's items are checked frame by frame."""
    from . import _frames

    if isinstance(frames, (str, bytes, os.PathLike)):
        raise TypeError(
            f"frames {show_number(frames)} is a {type(frames).__name__}, not frames "
            f"(write(target, frames): the target comes first); {_FRAMES_ALLOWED}"
        )
    if _frames.is_pil(frames):
        raise TypeError(
            f"frames is one PIL image (mode {frames.mode!r}, {frames.width}x{frames.height}), "
            "not a movie; allowed: a list of PIL images ([image] for a one-frame movie), or "
            "PIL.ImageSequence.Iterator(image) for the frames of an animated image"
        )
    if _frames.is_xarray_dataset(frames):
        raise TypeError(
            "frames is an xarray.Dataset; pass one of its variables, a DataArray "
            "(N, H, W[, C]): write(target, ds['name'])"
        )
    kind = type(frames)
    if not (
        hasattr(kind, "__iter__") or hasattr(kind, "__getitem__") or _frames.is_array_like(frames)
    ):
        raise TypeError(
            f"frames {show_number(frames)} ({kind.__name__}) is not iterable; {_FRAMES_ALLOWED}"
        )


@check_keywords("write")
def write(
    target: Target,
    frames: np.ndarray | Iterable[Any],
    *,
    fps: Rate = 30,
    codec: str | None = None,
    quality: int | None = None,
    bitrate: int | None = None,
    keyframe_interval: int | None = None,
    threads: int | None = None,
    speed: int | None = None,
    dither: bool = False,
    loops: int | None = None,
    bit_depth: int | None = None,
    lossless: bool = False,
    ffmpeg_args: Sequence[str] = (),
    format: str | None = None,
    progress: Progress = False,
    cmap: Any = None,
    vmin: float | None = None,
    vmax: float | None = None,
    channel_order: str = "rgb",
    metadata: Metadata | None = None,
    client: Any = None,
    segment_frames: int | None = None,
) -> Summary:
    """Writes ``frames`` (an (N, H, W[, C]) array or any iterable of frames) to ``target``.

    target: a path (``.mp4 .m4v .mov`` H.264 or AV1, ``.gif``, ``.png``/``.apng``;
        any extension with ``codec="ffmpeg:..."``) or a binary file object.
    fps: frames per second, exact: ``30``, ``29.97`` (= 30000/1001), ``"30000/1001"``,
        a ``Fraction``.
    codec: ``"h264"``, ``"av1"`` (in MP4: about a quarter of the bytes, ten times
        slower to encode), ``"gif"``, ``"png"`` or ``"ffmpeg:<encoder>"``;
        default: the container's.
    quality: 0 (smallest) to 100 (best); default 58 (H.264 QP 21, AV1 quantizer 107).
    bitrate: kbit/s instead of constant quality (H.264, AV1).
    keyframe_interval: frames between keyframes (default about 2 s).
    threads: encoder threads (default: one per core).
    speed: AV1 speed preset, 0 (slowest, smallest) to 10 (fastest, the default).
    dither, loops: GIF dithering (default off) and play count (default forever).
    bit_depth: bits per sample in the movie: 8, or 16 for ``.png``/``.apng`` (every
        bit of uint16 frames kept; uint8 frames widened exactly). Default: the
        frames' own depth where the output keeps it (uint16 frames to ``.png`` stay
        16-bit), else 8, with a :class:`BitsLostWarning` once when uint16 frames are
        rounded.
    lossless: ``True`` to refuse any loss: only ``.png``/``.apng`` keep every bit, at
        the frames' depth; lossy codecs (h264, av1, gif) raise
        :class:`InvalidConfigError`.
    ffmpeg_args: more ffmpeg output options with ``codec="ffmpeg:..."``.
    format: the container when ``target`` has no telling extension.
    progress: ``True`` for a bar (tqdm if installed), or ``callable(done, total)``.
    cmap, vmin, vmax: map 2-D frames through a colormap; vmin/vmax fixed for the
        whole movie (default: the first frame's range).
    channel_order: ``"rgb"`` or ``"bgr"`` (OpenCV).
    metadata: tags for the file, as ffmpeg's ``-metadata``: ``{"title": ..., "artist":
        ..., "comment": ..., "genre": ..., "subject": ..., "copyright": ..., "date": ...,
        "creation_time": "2024-05-17T14:30:00Z"}`` (or a ``datetime``); shown by
        ``ffprobe -show_format``. GIF keeps them in a comment, APNG in text chunks.
    client, segment_frames: for a Dask array (or a Dask-backed ``xarray.DataArray``),
        the ``dask.distributed.Client`` whose workers compute and encode its blocks
        (default: the current client, if any; without one the blocks are computed in
        order here), and the frames per block (whole GOPs; default as in :func:`render`).
        Only compressed segments travel; vmin/vmax default to frame 0's range.
    """
    from ._render import is_dask_collection, write_dask

    # Writer's keywords, checked here for a Dask array too (its Writers are made
    # on the workers).
    options: dict[str, Any] = dict(
        codec=codec,
        quality=quality,
        bitrate=bitrate,
        keyframe_interval=keyframe_interval,
        threads=threads,
        speed=speed,
        dither=dither,
        loops=loops,
        bit_depth=bit_depth,
        lossless=lossless,
        ffmpeg_args=ffmpeg_args,
        format=format,
        cmap=cmap,
        vmin=vmin,
        vmax=vmax,
        channel_order=channel_order,
        metadata=metadata,
    )
    target = _args.target(target)
    _args.check_writer_options({"fps": fps, **options, "progress": progress})
    _args.whole("segment_frames", segment_frames, allowed=_args.SEGMENT_FRAMES_ALLOWED)
    if is_dask_collection(frames):
        return write_dask(  # type: ignore[no-any-return]
            target,
            frames,
            fps=fps,
            client=client,
            progress=progress,
            segment_frames=segment_frames,
            options={k: v for k, v in options.items() if v is not None and k != "ffmpeg_args"},
        )
    if client is not None or segment_frames is not None:
        raise InvalidConfigError(
            "client= and segment_frames= are for Dask arrays; "
            "use framesink.render(...) to draw frames in parallel"
        )
    _check_frames(frames)
    from ._frames import movie

    frames = movie(frames)  # the (N, H, W[, C]) check of an array of frames
    with Writer(target, fps=fps, progress=progress, total=_length(frames), **options) as w:
        for frame in frames:
            w.write(frame)
    return w.close()


# The keyword options write() (and so encode() and show()) takes.
_WRITE_OPTIONS = tuple(
    p.name for p in inspect.signature(write).parameters.values() if p.kind == p.KEYWORD_ONLY
)


def render(
    target: Target,
    frame_fn: Any,
    items: Sequence[Any] | None = None,
    *,
    fps: Rate | None = None,
    setup: Callable[[], Any] | None = None,
    executor: Any = None,
    workers: int | None = None,
    segment_frames: int | None = None,
    progress: Progress = False,
    **options: Any,
) -> Summary:
    """Draws and encodes frames on many processes (or a Dask cluster) and joins
    the compressed segments into ``target`` in order, without re-encoding.

    >>> def frame(t):                                   # doctest: +SKIP
    ...     return simulate(t)                          # any frame write() takes, or a Figure
    >>> framesink.render("movie.mp4", frame, range(3000), fps=30)   # doctest: +SKIP

    frame_fn: ``frame_fn(item) -> frame``; with ``setup``, ``state = setup()`` runs
        once per task on its worker and ``frame_fn(state, item)`` per frame (reuse
        one figure: making a figure costs more than drawing it). A matplotlib
        ``Figure`` is rasterised on the worker with one draw. Functions travel with
        cloudpickle: lambdas and closures work.
    items: a sequence of per-frame arguments (a range, a list, an array's first axis).
    executor: ``None`` for local worker processes (``workers``, default one per core;
        spawn-safe: they never re-run your script), kept up for the next render and
        started ahead of time by :class:`Pool`; a ``dask.distributed.Client``; or any
        ``concurrent.futures.Executor``.
    segment_frames: frames per task, a multiple of the keyframe interval (default:
        whole GOPs of about 2 s, more per task while every worker still gets four).
    options: as :func:`write` (codec, quality, cmap, metadata, ...); ``threads`` is per
        worker (default 1). ``metadata`` goes into the joined file.

    The result decodes to the same pixels as :func:`write` of the same frames
    (H.264). Segments are joined as they complete, so the file plays up to the
    last joined one if this process dies. A ``frame_fn`` that raises gives a
    :class:`FrameFunctionError` naming the item, with the worker's exception type,
    message and traceback; the segments before it are kept in ``target``.

    ``render(target, anim)`` for a matplotlib ``FuncAnimation`` draws it in forked
    copies of this process (POSIX), when each frame depends only on its frame
    argument; ``dpi=`` and ``savefig_kwargs=`` as ``anim.save``.
    """
    from ._render import render as _render

    return _render(  # type: ignore[no-any-return]
        target,
        frame_fn,
        items,
        fps=fps,
        setup=setup,
        executor=executor,
        workers=workers,
        segment_frames=segment_frames,
        progress=progress,
        **options,
    )


def join(target: Target, parts: Iterable[Any], *, metadata: Metadata | None = None) -> Summary:
    """Joins movie parts into one, without re-encoding: MP4s (H.264 or AV1, plain
    or fragmented) or GIFs that framesink made with the same settings.

    parts: paths, ``bytes``, or binary file objects that can seek, in order. Times
        continue from part to part. A part that differs from the first (size, frame
        rate, codec, quality, parameter sets) or is not a whole MP4/GIF raises
        :class:`InvalidPartError` naming the part and the field; the parts before
        it are kept in ``target`` as a finished movie.
    metadata: the joined movie's tags, as :func:`write`'s (the parts' own are not kept).
    """
    from ._render import join as _join

    return _join(target, parts, metadata)  # type: ignore[no-any-return]


def encode(frames: np.ndarray | Iterable[Any], **options: Any) -> bytes:
    """Like :func:`write`, returning the MP4 file as bytes."""
    for name in options:
        if name not in _WRITE_OPTIONS:
            raise unexpected_keyword("encode", name, _WRITE_OPTIONS)
    buf = io.BytesIO()
    options.setdefault("format", "mp4")
    write(buf, frames, **options)
    return buf.getvalue()


def show(frames: np.ndarray | Iterable[Any], **options: Any) -> Any:
    """A movie for Jupyter: ``framesink.show(frames, fps=30)`` (see :mod:`framesink.notebook`)."""
    from .notebook import show as _show

    return _show(frames, **options)


def _register_matplotlib() -> None:
    from .matplotlib import register

    register()


# Register the matplotlib writer when matplotlib.animation is (or gets)
# imported, without importing matplotlib here.
if "matplotlib.animation" in sys.modules:
    _register_matplotlib()
else:
    from ._hook import install as _install_hook

    _install_hook("matplotlib.animation", _register_matplotlib)


def _register_imageio() -> None:
    from ._imageio import register

    register()


# imageio's plugin "framesink" (imageio.v3.imwrite(..., plugin="framesink"),
# imageio.v2.get_writer(..., format="framesink")), without importing imageio here.
if "imageio" in sys.modules:
    _register_imageio()
else:
    from ._hook import install as _install_imageio_hook

    _install_imageio_hook("imageio", _register_imageio)
