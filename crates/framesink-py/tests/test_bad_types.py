"""Every parameter of every front given a value of the wrong type (docs/bad-inputs.md,
rows 160 to 199): write, Writer, encode, show, render, join, the matplotlib writer
and the imageio plugin.

Each refusal is a TypeError or an error of framesink's own (most are
``InvalidTypeError``, both), raised by the call that got the value, naming the
parameter, the value, its type and what is allowed; no file is left behind.
``test_every_parameter_has_a_case`` walks the fronts' signatures, so a new
parameter needs a case here (and a row in the table).
"""

from __future__ import annotations

import inspect
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable

import framesink
import numpy as np
import pytest
from framesink import (
    FramesinkError,
    InvalidConfigError,
    InvalidTypeError,
    UnsupportedError,
)

FRAMES = np.zeros((2, 16, 16), np.uint8)


def _frame(item: Any) -> np.ndarray:
    return FRAMES[0]


def _dask_frames() -> Any:
    da = pytest.importorskip("dask.array")
    return da.from_array(FRAMES, chunks=(1, 16, 16))


class _OnlyWrite:
    """Has write() and nothing else a file object has."""

    def write(self, data: bytes) -> int:
        return len(data)


@dataclass(frozen=True)
class Bad:
    """A wrong-type value for a parameter, and what its refusal says."""

    value: Any
    error: type[BaseException]
    words: tuple[str, ...]


# Writer's keyword options, taken alike by write, Writer, encode, show and render
# (render: not ffmpeg_args, progress is its own).
OPTIONS: dict[str, Bad] = {
    "fps": Bad(
        [30], InvalidTypeError, ("fps [30] (list) is not a number", "allowed: frames per second")
    ),
    "codec": Bad(
        5, InvalidTypeError, ("codec 5 (int) is not a str", "allowed: 'h264', 'av1', 'gif'")
    ),
    "quality": Bad(
        "high", InvalidTypeError, ("quality 'high' (str) is not a whole number", "0 to 100")
    ),
    "bitrate": Bad(2.5, InvalidTypeError, ("bitrate 2.5 (float) is not a whole number",)),
    "keyframe_interval": Bad(
        "30", InvalidTypeError, ("keyframe_interval '30' (str) is not a whole number",)
    ),
    "threads": Bad(
        True, InvalidTypeError, ("threads True (bool) is not a whole number", "0 to 256")
    ),
    "speed": Bad("fast", InvalidTypeError, ("speed 'fast' (str) is not a whole number", "0 to 10")),
    "dither": Bad("yes", InvalidTypeError, ("dither 'yes' (str) is not a bool", "allowed: True")),
    "loops": Bad("forever", InvalidTypeError, ("loops 'forever' (str) is not a whole number",)),
    "bit_depth": Bad(
        "16", InvalidTypeError, ("bit_depth '16' (str) is not a whole number", "16 (.png/.apng)")
    ),
    "lossless": Bad(
        1, InvalidTypeError, ("lossless 1 (int) is not a bool", "allowed: True (keep every bit")
    ),
    "ffmpeg_args": Bad(
        5, InvalidTypeError, ("ffmpeg_args 5 (int) is not a list of strings", "ffmpeg:<encoder>")
    ),
    "format": Bad(5, InvalidTypeError, ("format 5 (int) is not a str", "'mp4'", "'gif'")),
    "progress": Bad(
        "yes", InvalidTypeError, ("progress 'yes' (str) is not a bool", "progress(done, total)")
    ),
    "cmap": Bad(123, InvalidTypeError, ("cmap 123 (int) is not a colormap", "'viridis'")),
    "vmin": Bad("abc", InvalidTypeError, ("vmin 'abc' (str) is not a number", "vmin <= vmax")),
    "vmax": Bad("abc", InvalidTypeError, ("vmax 'abc' (str) is not a number", "vmin <= vmax")),
    "channel_order": Bad(
        5, InvalidTypeError, ("channel_order 5 (int) is not a str", "allowed: 'rgb' or 'bgr'")
    ),
    "metadata": Bad(5, InvalidTypeError, ("metadata 5 (int) is not a mapping", "allowed: a dict")),
    "total": Bad("x", InvalidTypeError, ("total 'x' (str) is not a whole number", "0 or more")),
    "client": Bad(
        5, InvalidTypeError, ("client 5 (int) is not a dask.distributed.Client", "or None")
    ),
    "segment_frames": Bad(
        "x",
        InvalidTypeError,
        ("segment_frames 'x' (str) is not a whole number", "multiple of the keyframe"),
    ),
}

TARGET = Bad(
    None,
    InvalidTypeError,
    ("target None (NoneType) is not a path or a file object", "allowed: a path (str or os"),
)
FRAMES_BAD = Bad(None, TypeError, ("frames None (NoneType) is not iterable", "allowed: an array"))

# Each front's own parameters (the options above aside).
OWN: dict[str, dict[str, Bad]] = {
    "write": {"target": TARGET, "frames": FRAMES_BAD},
    "Writer": {"target": TARGET},
    "encode": {"frames": FRAMES_BAD},
    "show": {
        "frames": FRAMES_BAD,
        "max_bytes": Bad("x", InvalidTypeError, ("max_bytes 'x' (str) is not a whole number",)),
        "directory": Bad(5, InvalidTypeError, ("directory 5 (int) is not a path",)),
        "width": Bad("x", InvalidTypeError, ("width 'x' (str) is not a whole number",)),
    },
    "render": {
        "target": TARGET,
        "frame_fn": Bad(
            5, InvalidTypeError, ("frame_fn 5 (int) is not callable", "frame_fn(item)")
        ),
        "items": Bad(5, InvalidTypeError, ("items 5 (int) is not a sequence with a length",)),
        "setup": Bad(5, InvalidTypeError, ("setup 5 (int) is not callable", "setup() -> state")),
        "executor": Bad(
            5, InvalidTypeError, ("executor 5 (int) is not an executor", "dask.distributed.Client")
        ),
        "fps": OPTIONS["fps"],
        "segment_frames": OPTIONS["segment_frames"],
        "progress": OPTIONS["progress"],
        "workers": Bad("2", InvalidTypeError, ("workers '2' (str) is not a whole number",)),
        "dpi": Bad("x", InvalidTypeError, ("dpi 'x' (str) is not a positive number",)),
        "savefig_kwargs": Bad(5, InvalidTypeError, ("savefig_kwargs 5 (int) is not a dict",)),
    },
    "join": {
        "target": TARGET,
        "parts": Bad(5, InvalidTypeError, ("parts 5 (int) is not a list of parts", "can seek")),
        "metadata": OPTIONS["metadata"],
    },
    "matplotlib": {
        "fps": OPTIONS["fps"],
        "codec": OPTIONS["codec"],
        "bitrate": Bad("x", InvalidTypeError, ("bitrate 'x' (str) is not a whole number", "-1")),
        "extra_args": Bad(5, InvalidTypeError, ("extra_args 5 (int) is not a list of strings",)),
        "metadata": OPTIONS["metadata"],
        "quality": OPTIONS["quality"],
        "keyframe_interval": OPTIONS["keyframe_interval"],
        "threads": OPTIONS["threads"],
        "speed": OPTIONS["speed"],
    },
    "matplotlib setup": {
        "outfile": Bad(None, InvalidTypeError, ("outfile None (NoneType) is not a path",)),
        "dpi": Bad("x", InvalidTypeError, ("dpi 'x' (str) is not a positive number",)),
    },
    # imageio's keywords; framesink's own are checked as Writer's (below).
    "imageio": {
        "fps": OPTIONS["fps"],
        "duration": Bad("40", InvalidTypeError, ("duration '40' (str) is not a number",)),
        "quality": Bad("high", InvalidConfigError, ("quality 'high' is not a number", "0 to 10")),
        "bitrate": Bad([8], InvalidConfigError, ("bitrate [8] is not a bit rate", "'8M'")),
        "codec": Bad(264, InvalidTypeError, ("codec 264 (int) is not a codec name", "libx264")),
        "macro_block_size": Bad(
            "16", InvalidConfigError, ("macro_block_size '16' is not allowed", "None, 1, 2, 4")
        ),
        "pixelformat": Bad(5, InvalidTypeError, ("pixelformat 5 (int) is not a str", "yuv420p")),
        "output_params": Bad(
            5, InvalidTypeError, ("output_params 5 (int) is not a list of strings",)
        ),
        "ffmpeg_params": Bad(
            5, InvalidTypeError, ("ffmpeg_params 5 (int) is not a list of strings",)
        ),
        "input_params": Bad(
            5, InvalidTypeError, ("input_params 5 (int) is not a list of strings",)
        ),
        "ffmpeg_log_level": Bad(
            5, InvalidTypeError, ("ffmpeg_log_level 5 (int) is not a str", "'warning'")
        ),
        "audio_path": Bad(5, UnsupportedError, ("audio_path 5 is not available", "allowed: None")),
        "audio_codec": Bad(5, UnsupportedError, ("audio_codec 5 is not available", "None")),
        "loop": Bad(2.5, InvalidConfigError, ("loop 2.5 is not a whole number", "allowed: 0")),
        "palettesize": Bad(
            "256", InvalidTypeError, ("palettesize '256' (str) is not a whole number", "256")
        ),
        "subrectangles": Bad(
            "yes", InvalidConfigError, ("subrectangles 'yes' is not a bool", "True or False")
        ),
        "is_batch": Bad("yes", InvalidConfigError, ("is_batch 'yes' is not a bool", "True")),
    },
}


def _options_of(front: str) -> list[str]:
    """The Writer options a front takes as keywords."""
    # imageio first: importing framesink._imageio imports it, and the plugin
    # registers when imageio's import ends.
    pytest.importorskip("imageio")
    from framesink import _WRITE_OPTIONS, _imageio, _render

    if front == "Writer":
        return [n for n in _parameters_of(framesink.Writer) if n != "target"]
    if front in ("write", "encode", "show"):
        return list(_WRITE_OPTIONS)
    if front == "render":
        return [*_render._OPTIONS, "metadata"]
    if front == "imageio":
        return list(_imageio._FRAMESINK_OPTIONS)
    return []


def _parameters_of(func: Callable[..., Any]) -> list[str]:
    skip = (inspect.Parameter.VAR_KEYWORD, inspect.Parameter.VAR_POSITIONAL)
    return [
        p.name
        for p in inspect.signature(func).parameters.values()
        if p.kind not in skip and p.name != "self"
    ]


def _cases() -> Iterator[Any]:
    for front, own in OWN.items():
        for param, bad in own.items():
            yield pytest.param(front, param, bad, id=f"{front}-{param}")
        for param in _options_of(front):
            if param not in own:
                yield pytest.param(front, param, OPTIONS[param], id=f"{front}-{param}")


def _call(front: str, param: str, value: Any, tmp_path: Path) -> Any:
    """Calls ``front`` with good arguments, and ``value`` for ``param``."""
    target = tmp_path / "out.mp4"
    frames: Any = _dask_frames() if param == "client" else FRAMES
    if front == "write":
        if param == "target":
            return framesink.write(value, frames)
        if param == "frames":
            return framesink.write(target, value)
        return framesink.write(target, frames, **{param: value})
    if front == "Writer":
        if param == "target":
            return framesink.Writer(value)
        return framesink.Writer(target, **{param: value})
    if front == "encode":
        if param == "frames":
            return framesink.encode(value)
        return framesink.encode(frames, **{param: value})
    if front == "show":
        options = {"directory": str(tmp_path), "max_bytes": 0}
        if param == "frames":
            return framesink.show(value, **options)
        return framesink.show(frames, **{**options, param: value})
    if front == "render":
        args: dict[str, Any] = {"target": target, "frame_fn": _frame, "items": range(2)}
        keywords: dict[str, Any] = {"workers": 1}
        (args if param in args else keywords)[param] = value
        return framesink.render(args["target"], args["frame_fn"], args["items"], **keywords)
    if front == "join":
        part = framesink.encode(FRAMES)
        if param == "target":
            return framesink.join(value, [part])
        if param == "parts":
            return framesink.join(target, value)
        return framesink.join(target, [part], **{param: value})
    if front == "matplotlib":
        from framesink.matplotlib import FramesinkWriter

        return FramesinkWriter(**{param: value})
    if front == "matplotlib setup":
        import matplotlib.pyplot as plt
        from framesink.matplotlib import FramesinkWriter

        fig = plt.figure(figsize=(1, 1))
        try:
            setup = {"outfile": target, "dpi": 32, param: value}
            return FramesinkWriter(fps=5).setup(fig, setup["outfile"], setup["dpi"])
        finally:
            plt.close(fig)
    if front == "imageio":
        iio = pytest.importorskip("imageio.v3")
        return iio.imwrite(target, FRAMES, plugin="framesink", **{param: value})
    raise AssertionError(front)


@pytest.mark.parametrize(("front", "param", "bad"), list(_cases()))
def test_a_wrong_type_is_refused_naming_it(
    tmp_path: Path, front: str, param: str, bad: Bad
) -> None:
    with pytest.raises(bad.error) as info:
        _call(front, param, bad.value, tmp_path)
    assert isinstance(info.value, (TypeError, FramesinkError))
    message = str(info.value)
    for word in bad.words:
        assert word in message, f"{message!r} does not mention {word!r}"
    assert not any(tmp_path.iterdir()), f"left behind: {sorted(tmp_path.iterdir())}"


def test_every_parameter_has_a_case() -> None:
    from framesink import _render, notebook
    from framesink.matplotlib import FramesinkWriter

    fronts: dict[str, Callable[..., Any]] = {
        "write": framesink.write,
        "Writer": framesink.Writer,
        "encode": framesink.encode,
        "show": notebook.show,
        "render": _render.render,
        "join": framesink.join,
        "matplotlib": FramesinkWriter,
        "matplotlib setup": FramesinkWriter.setup,
    }
    # matplotlib passes its own figure to setup.
    given = {(front, param) for front, param, _ in (c.values for c in _cases())}
    wanted = {
        (front, param)
        for front, func in fronts.items()
        for param in [*_parameters_of(func), *_options_of(front)]
        if (front, param) != ("matplotlib setup", "fig")
    }
    from framesink import _imageio

    wanted |= {("imageio", p) for p in _imageio.OPTIONS}
    assert wanted - given == set(), "parameters without a wrong-type case"


@pytest.mark.parametrize(
    "target",
    [5, b"out.mp4", io.StringIO(), _OnlyWrite(), object()],
    ids=["an int", "bytes", "a text file object", "an object with only write()", "an object"],
)
def test_a_target_of_the_wrong_type_is_refused(tmp_path: Path, target: Any) -> None:
    with pytest.raises(InvalidTypeError) as info:
        framesink.write(target, FRAMES, format="mp4")
    message = str(info.value)
    assert message.startswith("target "), message
    assert f"({type(target).__name__})" in message
    assert "allowed: a path (str or os.PathLike) or a binary file object" in message
    if isinstance(target, bytes):
        assert "framesink.encode(frames, ...) returns them" in message
    if isinstance(target, io.StringIO):
        assert "open the file with 'wb'" in message
    if isinstance(target, _OnlyWrite):
        assert "it has no flush(), seekable(), readable()" in message


def test_a_part_of_the_wrong_type_is_refused_before_the_target(tmp_path: Path) -> None:
    target = tmp_path / "joined.mp4"
    with pytest.raises(InvalidTypeError) as info:
        framesink.join(target, [framesink.encode(FRAMES), 42])
    assert "parts[1] 42 (int) is not a part; allowed: paths (str or os.PathLike), bytes" in str(
        info.value
    )
    assert not target.exists()


def test_ffmpeg_args_without_an_ffmpeg_codec_are_refused(tmp_path: Path) -> None:
    target = tmp_path / "out.mp4"
    with pytest.raises(InvalidConfigError) as info:
        framesink.write(target, FRAMES, ffmpeg_args=["-crf", "18"])
    message = str(info.value)
    assert "ffmpeg_args ['-crf', '18'] go to a system ffmpeg, and codec=None names no" in message
    assert "codec='ffmpeg:<encoder>'" in message
    assert not target.exists()


def test_numpy_scalars_are_taken_as_their_python_kind(tmp_path: Path) -> None:
    target = tmp_path / "out.gif"
    summary = framesink.write(
        target,
        FRAMES,
        fps=np.int64(10),
        quality=np.int32(50),
        loops=np.uint16(2),
        dither=np.bool_(True),
        progress=np.bool_(False),
    )
    assert summary.frames == 2
