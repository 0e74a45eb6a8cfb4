"""framesink as an imageio plugin, registered as ``"framesink"``: it writes and reads.

framesink never imports imageio: when imageio is imported (before or after
framesink), :func:`register` adds ``"framesink"`` to
``imageio.config.known_plugins``. Then::

    imageio.v3.imwrite("m.mp4", frames, plugin="framesink", fps=30)
    with imageio.v3.imopen("m.mp4", "w", plugin="framesink") as f:
        f.write(batch, is_batch=True, fps=30)     # (N, H, W[, C]) or a list of frames
        f.write(frame, is_batch=False, fps=30)    # appends: one movie
    with imageio.v2.get_writer("m.mp4", format="framesink", fps=30) as w:
        w.append_data(frame)
    imageio.v2.mimwrite("m.gif", frames, format="framesink", duration=40)

The format follows the extension: ``.mp4 .m4v .mov`` (H.264, or AV1), ``.gif``,
``.png .apng``; another video container of ffmpeg's (``.mkv``, ``.webm``, ...)
with ``codec="ffmpeg:<encoder>"``. A file object or ``"<bytes>"`` needs
imageio's ``extension=".mp4"``; ``"<bytes>"`` gets the movie back from the first
write, which finishes it.

Reading (MP4/MOV with H.264 or AV1, GIF, PNG/APNG; no ffmpeg), as imageio's
pyav plugin reads::

    frames = imageio.v3.imread("m.mp4", plugin="framesink")            # (N, H, W, 3)
    frame = imageio.v3.imread("m.mp4", plugin="framesink", index=10)  # (H, W, 3)
    for frame in imageio.v3.imiter("m.mp4", plugin="framesink"): ...
    imageio.v3.improps("m.mp4", plugin="framesink").shape          # no decoding
    imageio.v3.immeta("m.mp4", plugin="framesink")["fps"]
    reader = imageio.v2.get_reader("m.mp4", format="framesink")    # get_data(i), len()

``index``: ``...`` (or None) for every frame stacked, an int for one.
``format`` (pyav's name; imageio-ffmpeg's ``pixelformat`` too): ``"rgb24"``
(the default; ``"rgba"`` for movies with transparency), ``"rgba"``, ``"gray"``,
``"bgr24"``, ``"bgra"``, ``"ya8"``. The metadata has ``fps`` (a float; None for
a variable frame rate), ``duration`` (s), ``codec``, ``profile``, ``bit_depth``,
``size`` (width, height), ``n_frames``, ``loop`` (GIF/APNG), ``time_base``, the
movie's tags (``title``, ...), and for one frame its ``time`` (s).

The keywords are imageio's (imageio-ffmpeg's and its pillow plugin's), mapped
to framesink's, and framesink's own:

- ``fps``: frames per second (default 10, imageio-ffmpeg's), as framesink's.
- ``duration``: milliseconds per frame instead of ``fps`` (imageio's pillow
  plugin: 40 is 25 fps); one number, not a list.
- ``quality``: imageio-ffmpeg's 0-10 scale (default 5); framesink's quality is
  ``round(10 * quality)``, 0-100 (5 -> 50, 5.8 -> framesink's default 58). For
  H.264 that is QP ``round(51 * (1 - quality / 10))``: the number
  imageio-ffmpeg gives libx264 as ``-crf`` (within 1), on the same 0-51 scale.
- ``bitrate``: bits per second, as imageio-ffmpeg hands it to ``ffmpeg -b:v``:
  a number (``8000000``) or a string with ffmpeg's suffix ``k``, ``M`` or ``G``
  (``"8M"``); framesink takes it in whole kbit/s. It wins over ``quality``.
- ``codec``: ``libx264``, ``libopenh264``, ``h264``, ``avc`` -> H.264;
  ``libaom-av1``, ``librav1e``, ``libsvtav1``, ``av1`` -> AV1; ``gif``;
  ``png``/``apng``; ``ffmpeg:<encoder>`` as framesink's. Others are refused,
  naming these.
- ``macro_block_size``: imageio-ffmpeg scales frames up to a multiple of it
  (16 by default: 100x58 becomes 112x64). framesink never scales: H.264 codes
  whole 16x16 macroblocks and crops back, so 100x58 stays 100x58; an odd size,
  which 4:2:0 cannot hold, gets one repeated last column or row (101x57 is
  102x58, with a warning), as does an AV1 width up to a multiple of 8; GIF
  and APNG keep any size. ``None``, 1, 2, 4, 8 and 16 (imageio's default) are
  all accepted and all mean that; others are refused.
- ``pixelformat``: ``"yuv420p"`` (what framesink writes H.264 and AV1 as) or
  ``None``; others are refused.
- ``output_params``/``ffmpeg_params``: with ``codec="ffmpeg:<encoder>"`` they go
  to ffmpeg (framesink's ``ffmpeg_args``). Otherwise only ``-metadata
  key=value`` pairs are taken (napari-animation passes a title): they become
  framesink's ``metadata`` (with ``metadata=`` given too, a key in both must
  have one value); any other option is refused. ``input_params``,
  ``audio_path`` and ``audio_codec`` are refused.
- ``ffmpeg_log_level``: accepted and ignored (framesink runs no ffmpeg).
- ``loop`` (GIF, APNG; imageio's pillow plugin): 0 (the default) loops
  forever; ``N`` is the loop count Pillow writes (for a GIF ``N`` repeats, so
  framesink's ``loops=N + 1`` plays; for an APNG ``N`` plays); ``None`` plays
  once. ``palettesize``: 256 (framesink's palettes: up to 256 colours per
  frame); ``subrectangles``: accepted and ignored (framesink writes whole
  frames).
- framesink's own: ``keyframe_interval``, ``threads``, ``speed``, ``dither``,
  ``loops``, ``bit_depth``, ``lossless`` (uint16 frames keep all 16 bits in
  ``.png``/``.apng``), ``cmap``, ``vmin``, ``vmax``, ``channel_order``, ``progress``,
  ``ffmpeg_args``, ``metadata``.

``is_batch`` (per write): ``True`` for a batch (an array's first axis, or a list
of frames), ``False`` for one frame; ``None`` (the default) guesses as imageio's
pillow plugin does: a list or tuple is a batch, an array of 2 dimensions is one
frame, of 3 is one frame if its last axis is 1 to 4 long (channels) and a batch
otherwise, of 4 or more a batch. Pass it for gray batches of frames 4 or fewer
pixels wide. Settings are fixed by the first write: later writes may repeat
them or leave them out.
"""

from __future__ import annotations

import io
import math
import numbers
import re
from collections.abc import Iterable, Mapping
from fractions import Fraction
from typing import Any

import numpy as np
from imageio.config import PluginConfig, known_plugins, video_extensions
from imageio.core.request import URI_BYTES, URI_FILENAME, InitializationError, IOMode, Request
from imageio.core.v3_plugin_api import PluginV3

from . import Summary, Writer, _args
from ._errors import (
    FramesinkError,
    InvalidConfigError,
    UnsupportedError,
    unexpected_keyword,
)
from ._read import FORMATS, Reader

NAME = "framesink"

# framesink's own containers, by extension (the names its format= takes).
_CONTAINERS = {
    ".mp4": "mp4",
    ".m4v": "mp4",
    ".mov": "mp4",
    ".gif": "gif",
    ".png": "apng",
    ".apng": "apng",
}
_NATIVE_EXTENSIONS = ".mp4 .m4v .mov (H.264, AV1), .gif, .png/.apng"

# imageio-ffmpeg's (ffmpeg's) encoder names for the codecs framesink writes.
_CODECS = {
    "h264": "h264",
    "libx264": "h264",
    "libopenh264": "h264",
    "avc": "h264",
    "av1": "av1",
    "libaom-av1": "av1",
    "librav1e": "av1",
    "libsvtav1": "av1",
    "gif": "gif",
    "png": "png",
    "apng": "png",
}
_CODECS_ALLOWED = (
    "libx264, libopenh264, h264 or avc (H.264); libaom-av1, librav1e, libsvtav1 or av1 "
    "(AV1); gif; png or apng"
)

DEFAULT_FPS = 10  # imageio-ffmpeg's
DEFAULT_QUALITY = 5  # imageio-ffmpeg's
_MACRO_BLOCK_SIZES = (None, 1, 2, 4, 8, 16)

# imageio's names (imageio-ffmpeg, the pillow plugin), then framesink's own.
_IMAGEIO_OPTIONS = (
    "fps",
    "duration",
    "quality",
    "bitrate",
    "codec",
    "macro_block_size",
    "pixelformat",
    "output_params",
    "ffmpeg_params",
    "input_params",
    "ffmpeg_log_level",
    "audio_path",
    "audio_codec",
    "loop",
    "palettesize",
    "subrectangles",
)
_FRAMESINK_OPTIONS = (
    "keyframe_interval",
    "threads",
    "speed",
    "dither",
    "loops",
    "bit_depth",
    "lossless",
    "cmap",
    "vmin",
    "vmax",
    "channel_order",
    "progress",
    "ffmpeg_args",
    "metadata",
)
OPTIONS = (*_IMAGEIO_OPTIONS, *_FRAMESINK_OPTIONS, "is_batch")

_BITRATE = re.compile(r"\s*(\d+(?:\.\d*)?|\.\d+)\s*([kKMG]?)\s*\Z")
_BITRATE_UNITS = {"": 1, "k": 1_000, "K": 1_000, "M": 1_000_000, "G": 1_000_000_000}
_BITRATE_ALLOWED = (
    "allowed: bits per second, as imageio-ffmpeg gives ffmpeg -b:v: a number from 1000 "
    "to 2000000000, or a string with ffmpeg's suffix k, M or G ('800k', '8M')"
)


def quality(value: Any) -> int:
    """framesink's quality (0-100) for imageio's (0-10, imageio-ffmpeg's scale)."""
    if value is None:
        value = DEFAULT_QUALITY
    if not _args.is_real(value) or not 0 <= float(value) <= 10:
        what = "is out of range" if _args.is_real(value) else "is not a number"
        raise InvalidConfigError(
            f"quality {value!r} {what}; allowed: 0 to 10, imageio-ffmpeg's scale (default 5); "
            "framesink's quality is 10 times it (5.8 is framesink's default 58)"
        )
    return math.floor(float(value) * 10 + 0.5)


def bitrate_kbps(value: Any) -> int | None:
    """framesink's bitrate (kbit/s) for imageio-ffmpeg's (bit/s, as ffmpeg -b:v takes it)."""
    if value is None:
        return None
    if isinstance(value, str):
        match = _BITRATE.match(value)
        if match is None:
            raise InvalidConfigError(f"bitrate {value!r} is not a bit rate; {_BITRATE_ALLOWED}")
        bits = float(match[1]) * _BITRATE_UNITS[match[2]]
    elif _args.is_real(value):
        bits = float(value)
    else:
        raise InvalidConfigError(f"bitrate {value!r} is not a bit rate; {_BITRATE_ALLOWED}")
    if not (math.isfinite(bits) and 1_000 <= bits <= 2_000_000_000):
        raise InvalidConfigError(
            f"bitrate {value!r} ({bits:g} bit/s) is out of range; {_BITRATE_ALLOWED}"
        )
    return max(1, math.floor(bits / 1_000 + 0.5))


def codec(value: Any) -> str | None:
    """framesink's codec for imageio-ffmpeg's encoder name."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise _args.wrong_type(
            "codec",
            value,
            "a codec name",
            f"{_CODECS_ALLOWED}; or 'ffmpeg:<encoder>' for a system ffmpeg's encoder",
        )
    if value.lower().startswith("ffmpeg:"):
        return value
    name = _CODECS.get(value.lower())
    if name is None:
        raise UnsupportedError(
            f"codec {value!r} is not one framesink writes; allowed: {_CODECS_ALLOWED}; or "
            f"codec='ffmpeg:{value}' to have a system ffmpeg encode with it"
        )
    return name


def _fps(fps: Any, duration: Any) -> Any:
    """framesink's fps for imageio's fps or duration (ms per frame)."""
    if duration is None:
        return DEFAULT_FPS if fps is None else fps
    if fps is not None:
        raise InvalidConfigError(
            f"fps {fps!r} and duration {duration!r} both set the frame rate; give one: fps "
            "(frames per second) or duration (milliseconds per frame)"
        )
    if isinstance(duration, (list, tuple, np.ndarray)):
        raise InvalidConfigError(
            f"duration {duration!r} gives frames their own times; allowed: one number, the "
            "milliseconds per frame (for times per frame: framesink.Writer's "
            "write(frame, timestamp=seconds))"
        )
    allowed = "milliseconds per frame, 1 to 100000 (40 is 25 fps)"
    if not _args.is_real(duration):
        raise _args.wrong_type("duration", duration, "a number", allowed)
    if not 1 <= float(duration) <= 100_000:
        raise InvalidConfigError(f"duration {duration!r} is out of range; allowed: {allowed}")
    # 1000 / 30 ms is 100/3 ms: 30 fps exactly, not 29.999999999999996
    return Fraction(1000) / Fraction(float(duration)).limit_denominator(1000)


def _params(name: str, value: Any) -> list[str]:
    return _args.strings(
        name, value, "a list of strings, ffmpeg command-line arguments (['-crf', '18']), or None"
    )


def _metadata_pairs(params: list[str]) -> dict[str, str] | None:
    """``{key: value}`` for ffmpeg's ``-metadata key=value ...``, or None for other options."""
    pairs = list(zip(params[::2], params[1::2]))
    if len(params) % 2 or not all(flag == "-metadata" and "=" in kv for flag, kv in pairs):
        return None
    return dict(kv.split("=", 1) for _, kv in pairs)


def _loops(loop: Any, container: str | None) -> int | None:
    """framesink's loops (times played; None: forever) for Pillow's loop."""
    if loop is None:
        return 1  # Pillow: no loop
    top = 65534 if container == "gif" else 65535
    whole = isinstance(loop, numbers.Integral) and not isinstance(loop, (bool, np.bool_))
    if not whole or not 0 <= int(loop) <= top:
        raise InvalidConfigError(
            f"loop {loop!r} {'is out of range' if whole else 'is not a whole number'}; allowed: "
            f"0 (loop forever, the default), 1 to {top} (the loop count Pillow writes), or "
            "None (play once)"
        )
    if int(loop) == 0:
        return None
    # A GIF's loop count is the repeats after the first play; an APNG's the plays.
    return int(loop) + 1 if container == "gif" else int(loop)


def writer_options(options: dict[str, Any], container: str | None) -> dict[str, Any]:
    """framesink.Writer's keywords for a write()'s imageio keywords (see the module doc)."""
    for name in options:
        if name not in OPTIONS:
            raise unexpected_keyword("FramesinkPlugin.write", name, OPTIONS)
    get = options.get
    out: dict[str, Any] = {name: options[name] for name in _FRAMESINK_OPTIONS if name in options}
    out["fps"] = _fps(get("fps"), get("duration"))
    out["codec"] = codec(get("codec"))
    kbps = bitrate_kbps(get("bitrate"))
    if kbps is None:
        out["quality"] = quality(get("quality"))
    else:
        out["bitrate"] = kbps
        if get("quality") is not None:
            quality(get("quality"))  # still checked; the bitrate wins, as in imageio-ffmpeg
    size = get("macro_block_size")
    if isinstance(size, (bool, np.bool_)) or size not in _MACRO_BLOCK_SIZES:
        raise InvalidConfigError(
            f"macro_block_size {size!r} is not allowed: imageio-ffmpeg scales frames up to a "
            "multiple of it, and framesink never scales frames (H.264 is coded in whole "
            "macroblocks and cropped back to the frames' size); allowed: None, 1, 2, 4, 8 or 16 "
            "(imageio's default), which all mean that"
        )
    fmt = _args.text("pixelformat", get("pixelformat"), "'yuv420p' or None")
    if fmt is not None and fmt.lower() != "yuv420p":
        raise UnsupportedError(
            f"pixelformat {fmt!r} is not available: framesink writes H.264 and AV1 as yuv420p "
            "(BT.709, limited range), GIF and APNG as their frames are; allowed: 'yuv420p' "
            "or None"
        )
    if _params("input_params", get("input_params")):
        raise UnsupportedError(
            f"input_params {get('input_params')!r} are not available: they are options of the "
            "raw input imageio-ffmpeg pipes to ffmpeg, and framesink takes the frames itself; "
            "allowed: None"
        )
    for name in ("audio_path", "audio_codec"):
        if get(name) is not None:
            raise UnsupportedError(
                f"{name} {get(name)!r} is not available: framesink writes video only, no sound; "
                "allowed: None"
            )
    through_ffmpeg = isinstance(out["codec"], str) and out["codec"].lower().startswith("ffmpeg:")
    for name in ("output_params", "ffmpeg_params"):
        params = _params(name, get(name))
        if not params:
            continue
        if through_ffmpeg:
            out["ffmpeg_args"] = [*out.get("ffmpeg_args", ()), *params]
            continue
        tags = _metadata_pairs(params)
        if tags is not None:
            given = out.get("metadata") or {}
            if not isinstance(given, Mapping):
                continue  # framesink refuses it, naming what is allowed
            for key, value in tags.items():
                if key in given and given[key] != value:
                    raise InvalidConfigError(
                        f"{name} sets the metadata {key!r} to {value!r}, and metadata= to "
                        f"{given[key]!r}; give it once"
                    )
            out["metadata"] = {**tags, **given}
        else:
            raise UnsupportedError(
                f"{name} {params!r} are ffmpeg command-line options, and framesink encodes "
                "without ffmpeg; to have a system ffmpeg encode, pass codec='ffmpeg:<encoder>' "
                "(e.g. 'ffmpeg:libx264'), and they go to it (framesink's ffmpeg_args); "
                "without it only -metadata key=value pairs are taken"
            )
    if "loop" in options:
        if "loops" in options:
            raise InvalidConfigError(
                f"loop {get('loop')!r} (imageio's) and loops {get('loops')!r} (framesink's) "
                "both set how the animation repeats; give one"
            )
        out["loops"] = _loops(get("loop"), container)
    _args.text(
        "ffmpeg_log_level",
        get("ffmpeg_log_level"),
        "an ffmpeg log level ('warning', 'error', ...; ignored: framesink runs no ffmpeg), or None",
    )
    palette = _args.whole("palettesize", get("palettesize"), 1, allowed="256 (imageio's default)")
    if palette is not None and palette != 256:
        raise InvalidConfigError(
            f"palettesize {palette!r} is not available: framesink gives each GIF frame its own "
            "palette of up to 256 colours; allowed: 256 (imageio's default) or None"
        )
    subrectangles = get("subrectangles")
    if subrectangles is not None and not isinstance(subrectangles, (bool, np.bool_)):
        raise InvalidConfigError(
            f"subrectangles {subrectangles!r} is not a bool; allowed: True or False "
            "(both write whole frames)"
        )
    if container is not None:
        out["format"] = container
    return out


def _looks_like_batch(ndimage: Any) -> bool:
    """imageio's pillow plugin's guess, with framesink's 1 to 4 channels."""
    if isinstance(ndimage, (list, tuple)):
        return True
    ndim = getattr(ndimage, "ndim", None)
    if isinstance(ndim, int):
        if ndim <= 2:
            return False
        if ndim == 3:
            return int(ndimage.shape[-1]) not in (1, 2, 3, 4)
        return True
    if type(ndimage).__module__.startswith("PIL."):
        return False
    return True  # another iterable: a generator of frames


def _same(a: Any, b: Any) -> bool:
    if a is b:
        return True
    try:
        return bool(a == b)
    except (TypeError, ValueError):  # arrays: elementwise ==
        try:
            return bool(np.array_equal(a, b))
        except (TypeError, ValueError):
            return False


class FramesinkPlugin(PluginV3):
    """imageio's v3 plugin ``"framesink"`` (write only): see :mod:`framesink._imageio`."""

    def __init__(self, request: Request, **options: Any) -> None:
        super().__init__(request)
        self._writer: Writer | None = None
        self._closed = False
        self._defaults = options  # checked at the first write, with its keywords
        self._settings: dict[str, Any] = {}
        self.summary: Summary | None = None
        """What the finished movie holds (after close(), or a ``"<bytes>"`` write)."""
        self._reader: Reader | None = None
        if request.mode.io_mode == IOMode.read:
            self._closed = True  # nothing to finish
            self._reader = Reader(
                request.filename if request._uri_type == URI_FILENAME else request.get_file()
            )
            return
        extension = (request.extension or "").lower()
        self._container = _CONTAINERS.get(extension)
        if self._container is None:
            ffmpeg_extensions = {e.extension.lower() for e in video_extensions}
            if not extension:
                raise InitializationError(
                    "framesink takes the format from the extension, and this target has "
                    f"none; pass imageio's extension= ({_NATIVE_EXTENSIONS})"
                )
            if extension not in ffmpeg_extensions:
                raise InitializationError(
                    f"framesink does not write {extension!r} files; it writes "
                    f"{_NATIVE_EXTENSIONS}, or a video container of ffmpeg's (.mkv, .webm, "
                    ".avi, ...) with codec='ffmpeg:<encoder>'"
                )

    def write(self, ndimage: Any, *, is_batch: bool | None = None, **options: Any) -> bytes | None:
        """Adds a frame or a batch of frames (``is_batch``, see the module doc) to the
        movie; returns the movie's bytes for a ``"<bytes>"`` target (and finishes it)."""
        if self._closed:
            raise FramesinkError(
                "this imageio framesink writer is finished (closed, or a '<bytes>' target "
                "that a write returned); open a new one to write another movie"
            )
        if is_batch is not None and not isinstance(is_batch, (bool, np.bool_)):
            raise InvalidConfigError(
                f"is_batch {is_batch!r} is not a bool; allowed: True (a batch of frames), "
                "False (one frame) or None (guess from the shape)"
            )
        if self._writer is None:
            settings = {**self._defaults, **options}
            self._writer = Writer(self._target(), **writer_options(settings, self._container))
            self._settings = settings
        else:
            for name, value in options.items():
                first = self._settings.get(name)
                if name not in self._settings or not _same(value, first):
                    raise InvalidConfigError(
                        f"{name}={value!r} differs from the first write's "
                        f"({'not given' if name not in self._settings else repr(first)}); a "
                        "movie's settings are fixed by its first write (later writes may "
                        "repeat them or leave them out)"
                    )
        frames: Iterable[Any]
        batch = _looks_like_batch(ndimage) if is_batch is None else bool(is_batch)
        frames = ndimage if batch else (ndimage,)
        writer = self._writer
        for frame in frames:
            writer.write(frame)
        if self.request._uri_type == URI_BYTES:
            self._finish()
            buffer = self.request.get_file()
            assert isinstance(buffer, io.BytesIO)  # imageio's for "<bytes>"
            return buffer.getvalue()
        return None

    def _opened(self, format: str | None) -> Reader:
        if self._reader is None:
            raise InvalidConfigError(
                "this imageio framesink plugin was opened to write; open the file with "
                "mode 'r' to read it"
            )
        if format is not None:
            fmt = _args.text("format", format, ", ".join(map(repr, FORMATS)))
            if fmt not in FORMATS:
                raise InvalidConfigError(
                    f"format {format!r} is not one framesink reads to; allowed: "
                    + ", ".join(map(repr, FORMATS))
                )
            if fmt != self._reader._format:
                self._reader.close()
                self._reader = Reader(self._source(), format=fmt)
        return self._reader

    def _source(self) -> Any:
        request = self.request
        if request._uri_type == URI_FILENAME:
            return request.filename
        file = request.get_file()
        file.seek(0)
        return file

    def read(
        self,
        *,
        index: Any = ...,
        format: str | None = None,
        pixelformat: str | None = None,
        **options: Any,
    ) -> np.ndarray:
        """Every frame stacked (``index=...``, the default, or None), or frame
        ``index``; ``format``: see the module doc."""
        if options:
            raise unexpected_keyword(
                "read", next(iter(options)), ("index", "format", "pixelformat")
            )
        reader = self._opened(format if format is not None else pixelformat)
        if index is ... or index is None:
            return reader[:]
        return reader[index]

    def iter(self, *, format: str | None = None, pixelformat: str | None = None) -> Any:
        """Every frame in order, one at a time (memory stays flat)."""
        reader = self._opened(format if format is not None else pixelformat)
        return iter(reader)

    def properties(
        self, index: Any = ..., *, format: str | None = None, pixelformat: str | None = None
    ) -> Any:
        """The shape and dtype ``read`` gives, from the headers (nothing decoded)."""
        from imageio.core.v3_plugin_api import ImageProperties

        props = self._opened(format if format is not None else pixelformat).props
        batch = index is ... or index is None
        shape = props.shape if batch else props.shape[1:]
        return ImageProperties(
            shape=shape, dtype=props.dtype, n_images=props.n_frames, is_batch=batch
        )

    def metadata(self, index: Any = ..., exclude_applied: bool = True) -> dict[str, Any]:
        """The movie's description and tags (see the module doc)."""
        props = self._opened(None).props
        meta: dict[str, Any] = dict(props.metadata)
        meta.update(
            fps=float(props.fps) if props.fps is not None else None,
            duration=props.duration,
            codec=props.codec,
            profile=props.profile,
            bit_depth=props.bit_depth,
            size=props.size,
            n_frames=props.n_frames,
            time_base=props.time_base,
        )
        if props.loops is not None or props.codec in ("gif", "png"):
            # Pillow's convention: 0 loops forever.
            meta["loop"] = 0 if props.loops is None else props.loops
        if index is not ... and index is not None:
            i = self._opened(None)._check(index)
            meta["time"] = float(props.timestamps[i])
        return meta

    def _target(self) -> Any:
        request = self.request
        if request._uri_type == URI_FILENAME:
            return request.filename
        return request.get_file()

    def _finish(self) -> None:
        self._closed = True
        writer, self._writer = self._writer, None
        if writer is not None:
            self.summary = writer.close()

    def close(self) -> None:
        """Finishes the movie (with the frames written so far) and the request."""
        if getattr(self, "_reader", None) is not None:
            assert self._reader is not None
            self._reader.close()
        try:
            if not getattr(self, "_closed", True):
                self._finish()
        finally:
            self.request.finish()

    def __exit__(self, type: Any, value: Any, traceback: Any) -> None:
        if type is None:
            self.close()
            return
        try:  # keep what was written; report the original error
            self.close()
        except FramesinkError:
            pass


def register() -> None:
    """Adds ``"framesink"`` to imageio's plugins (done when imageio is imported)."""
    known_plugins[NAME] = PluginConfig(
        name=NAME, class_name="FramesinkPlugin", module_name="framesink._imageio"
    )
