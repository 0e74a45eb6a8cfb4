"""The table of bad inputs (docs/bad-inputs.md), the rows not checked elsewhere.

Each case gives one bad input and asserts the exception class (or the CLI's
exit status), that the message names the value given (and, where the table
says so, what is allowed), and what the target holds afterwards: no file, the
frames accepted before the bad one, or the target unchanged.

Rows marked WRONG in the table are asserted as they behave today, so that a
fix shows up here as a failing case to update together with the table.
"""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass, field
from fractions import Fraction
from pathlib import Path
from typing import Any, Callable

import framesink
import numpy as np
import pytest
from _media import decode_rgb, probe
from framesink import (
    FramesinkError,
    FramesinkIOError,
    InvalidConfigError,
    InvalidFrameError,
    InvalidPartError,
    InvalidTypeError,
    UnsupportedError,
)

# A read-only file even for root: permission bits do not stop root, the kernel does.
SYSFS_READ_ONLY = Path("/sys/kernel/address_bits")
# Opens for root, but refuses every write (EIO).
PROC_READ_ONLY = Path("/proc/version")
# /proc and /sys are Linux's: the release workflow runs this file on macOS and Windows too.
LINUX_ONLY = pytest.mark.skipif(sys.platform != "linux", reason="a Linux kernel file (/proc, /sys)")

NO_FILE = None  # the target must not exist afterwards
UNCHANGED = -1  # the target must hold the bytes it held before


def _gray(value: int = 100, h: int = 16, w: int = 16) -> np.ndarray:
    return np.full((h, w), value, np.uint8)


def _good(n: int) -> list[np.ndarray]:
    return [_gray(12 * i) for i in range(n)]


def _float_with(bad: float) -> np.ndarray:
    frame = np.full((16, 16), 0.5)
    frame[3, 4] = bad
    return frame


def _raises_after(n: int) -> Iterator[np.ndarray]:
    yield from _good(n)
    raise RuntimeError("sensor 7 failed")


def _assert_after(path: Path, after: int | None, before: bytes | None = None) -> None:
    """What the target holds: no file, `after` decoded frames, or its old bytes."""
    if after is NO_FILE:
        assert not path.exists(), f"{path} was left behind"
    elif after == UNCHANGED:
        assert before is not None
        assert path.read_bytes() == before, f"{path} changed"
    else:
        assert probe(path).frames == after


FRAMES_ALLOWED = ("allowed: an array (N, H, W) or (N, H, W, C)", "an iterable of", "a Dask array")
RANGE_ALLOWED = "allowed: finite numbers with vmin <= vmax, or None (from the first frame)"
TS_ALLOWED = "allowed: seconds as a real number >= 0 (1.5) or a fractions.Fraction"


def _assert_words(message: str, words: tuple[str, ...]) -> None:
    for word in words:
        assert word in message, f"{message!r} does not mention {word!r}"


# ---------------------------------------------------------------- write(): frames and options


@dataclass(frozen=True)
class WriteCase:
    """framesink.write(target, frames(), **options) raises `error` naming `words`."""

    id: str
    frames: Callable[[], Any]
    error: type[BaseException]
    words: tuple[str, ...]
    after: int | None = NO_FILE
    options: dict[str, Any] = field(default_factory=dict)
    target: str = "out.mp4"


WRITE_CASES = [
    # Shapes: a bad frame after two good ones leaves those two in a finished file.
    WriteCase(
        "1-D frame",
        lambda: [*_good(2), np.zeros(16, np.uint8)],
        InvalidFrameError,
        ("frame 2", "shape (16,) is not a frame", "(H, W) gray", "(H, W, 4) RGBA"),
        after=2,
    ),
    WriteCase(
        "5-D frame in a list",
        lambda: [*_good(2), np.zeros((2, 16, 16, 3, 1), np.uint8)],
        InvalidFrameError,
        ("frame 2", "shape (2, 16, 16, 3, 1) is not a frame", "(H, W, 3) RGB"),
        after=2,
    ),
    WriteCase(
        "5-D frames array",
        lambda: np.zeros((2, 16, 16, 3, 1), np.uint8),
        InvalidFrameError,
        ("shape (2, 16, 16, 3, 1)", "expected (N, H, W) or (N, H, W, C)"),
    ),
    WriteCase(
        "1-D frames array",
        lambda: np.zeros(16, np.uint8),
        InvalidFrameError,
        ("shape (16,)", "expected (N, H, W) or (N, H, W, C)"),
    ),
    WriteCase(
        "(H, W, 5) channels",
        lambda: [*_good(2), np.zeros((16, 16, 5), np.uint8)],
        InvalidFrameError,
        ("frame 2", "shape (16, 16, 5) is not a frame", "(H, W, 4) RGBA"),
        after=2,
    ),
    *(
        WriteCase(
            f"dtype {dtype}",
            lambda dtype=dtype: [*_good(2), np.zeros((16, 16, 3), dtype)],
            InvalidFrameError,
            ("frame 2", f"dtype {dtype} is not supported", "uint8, uint16, bool, float16"),
            after=2,
        )
        for dtype in ("int32", "int8", "complex128", "object")
    ),
    WriteCase(
        "nested lists of ints (int64)",
        lambda: [[[0] * 16] * 16],
        InvalidFrameError,
        ("frame 0", "dtype int64 is not supported", "uint8"),
    ),
    WriteCase(
        "zero-size (0, 16) frame",
        lambda: [*_good(2), np.zeros((0, 16), np.uint8)],
        InvalidFrameError,
        ("frame 2", "shape (0, 16) is empty", "at least 2"),
        after=2,
    ),
    WriteCase(
        "zero-size (16, 0, 3) frame",
        lambda: [np.zeros((16, 0, 3), np.uint8)],
        InvalidFrameError,
        ("frame 0", "shape (16, 0, 3) is empty", "at least 2"),
    ),
    WriteCase(
        "zero frames (0, 16, 16) array",
        lambda: np.zeros((0, 16, 16), np.uint8),
        FramesinkError,
        ("no frames were written", "at least one frame"),
    ),
    WriteCase(
        "1x16 frame",
        lambda: [np.zeros((16, 1), np.uint8)],
        InvalidFrameError,
        ("size 1x16 is too small", "at least 2"),
    ),
    # NaN and inf in float frames.
    *(
        WriteCase(
            f"float frame with {bad}",
            lambda bad=bad: [*_good(2), _float_with(bad)],
            InvalidFrameError,
            ("frame 2", "1 value(s) are NaN or infinite", "finite values in [0, 1]"),
            after=2,
        )
        for bad in (np.nan, np.inf, -np.inf)
    ),
    # Empty iterables and generators that raise.
    WriteCase(
        "empty list",
        lambda: [],
        FramesinkError,
        ("no frames were written", "at least one frame", "out.mp4 was removed"),
    ),
    WriteCase(
        "empty generator",
        lambda: (f for f in []),
        FramesinkError,
        ("no frames were written", "at least one frame"),
    ),
    *(
        WriteCase(
            f"empty list to a .{ext}",
            lambda: [],
            FramesinkError,
            ("movie writer error: no frames were written", f"out.{ext} was removed"),
            target=f"out.{ext}",
        )
        for ext in ("gif", "png")
    ),
    WriteCase(
        "generator raising after 3 frames",
        lambda: _raises_after(3),
        RuntimeError,
        ("sensor 7 failed",),
        after=3,
    ),
    WriteCase(
        "generator raising before any frame",
        lambda: _raises_after(0),
        RuntimeError,
        ("sensor 7 failed",),
    ),
    *(
        WriteCase(
            f"frames={name}",
            lambda value=value: value,
            TypeError,
            (f"frames {name} ({kind}) is not iterable", *FRAMES_ALLOWED),
        )
        for name, value, kind in (("None", None, "NoneType"), ("42", 42, "int"))
    ),
    WriteCase(
        "frames='movie.mp4' (the arguments swapped)",
        lambda: "movie.mp4",
        TypeError,
        ("frames 'movie.mp4' is a str, not frames", "the target comes first", *FRAMES_ALLOWED),
    ),
    # Sizes above the limits and size changes.
    WriteCase(
        "width 4097",
        lambda: [np.zeros((16, 4097), np.uint8)],
        InvalidFrameError,
        ("size 4097x16 (padded to 4098x16) is larger than H.264", "at most 4096 pixels a side"),
    ),
    WriteCase(
        "4096x4096: too many macroblocks",
        lambda: [np.zeros((4096, 4096), np.uint8)],
        InvalidFrameError,
        ("size 4096x4096", "36864 16x16 macroblocks"),
    ),
    WriteCase(
        "size change after 2 frames",
        lambda: [*_good(2), np.zeros((32, 16), np.uint8)],
        InvalidFrameError,
        ("frame 2", "size 16x32 differs from the first frame's 16x16"),
        after=2,
    ),
    # Frame rates.
    WriteCase(
        "fps 0",
        lambda: _good(1),
        InvalidConfigError,
        ("fps 0 must be positive", "1/100 to 1000"),
        options={"fps": 0},
    ),
    WriteCase(
        "fps -1",
        lambda: _good(1),
        InvalidConfigError,
        ("fps -1 must be positive", "1/100 to 1000"),
        options={"fps": -1},
    ),
    WriteCase(
        "fps -2.5",
        lambda: _good(1),
        InvalidConfigError,
        ('frame rate "-2.5" must be a positive finite number',),
        options={"fps": -2.5},
    ),
    WriteCase(
        "fps nan",
        lambda: _good(1),
        InvalidConfigError,
        ('frame rate "nan" must be a positive finite number',),
        options={"fps": float("nan")},
    ),
    WriteCase(
        "fps inf",
        lambda: _good(1),
        InvalidConfigError,
        ('frame rate "inf" must be a positive finite number',),
        options={"fps": float("inf")},
    ),
    WriteCase(
        "fps 1e9",
        lambda: _good(1),
        InvalidConfigError,
        ("fps 1000000000", "out of range", "1/100 to 1000"),
        options={"fps": 1e9},
    ),
    WriteCase(
        "fps 1e20",
        lambda: _good(1),
        InvalidConfigError,
        ('frame rate "1e+20" is out of range', "allowed: 1/100 to 1000 frames per second"),
        options={"fps": 1e20},
    ),
    WriteCase(
        "fps 1e-9",
        lambda: _good(1),
        InvalidConfigError,
        ('frame rate "1e-09" is out of range', "allowed: 1/100 to 1000 frames per second"),
        options={"fps": 1e-9},
    ),
    WriteCase(
        "fps 'fast'",
        lambda: _good(1),
        InvalidConfigError,
        ('frame rate "fast" is not a number', "30000/1001"),
        options={"fps": "fast"},
    ),
    WriteCase(
        "fps Fraction(-1)",
        lambda: _good(1),
        InvalidConfigError,
        ("fps -1 must be positive",),
        options={"fps": Fraction(-1)},
    ),
    # Options.
    WriteCase(
        # A TypeError, as Python's own for an unknown keyword, with the closest option.
        "unknown keyword qualty=50",
        lambda: _good(1),
        TypeError,
        (
            "write() got an unexpected keyword argument 'qualty'; did you mean 'quality'?",
            "Options: bit_depth, bitrate, channel_order,",
            "quality,",
        ),
        options={"qualty": 50},
    ),
    WriteCase(
        "unknown keyword with no close option",
        lambda: _good(1),
        TypeError,
        ("write() got an unexpected keyword argument 'zzz'; options: bit_depth, bitrate,",),
        options={"zzz": 1},
    ),
    WriteCase(
        "quality='high'",
        lambda: _good(1),
        InvalidTypeError,
        ("quality 'high' (str) is not a whole number", "0 to 100"),
        options={"quality": "high"},
    ),
    WriteCase(
        "quality=101",
        lambda: _good(1),
        InvalidConfigError,
        ("quality 101 is out of range", "0 to 100"),
        options={"quality": 101},
    ),
    WriteCase(
        "threads=-1",
        lambda: _good(1),
        InvalidConfigError,
        ("threads -1 is out of range", "0 to 256"),
        options={"threads": -1},
    ),
    WriteCase(
        "loops=0",
        lambda: _good(1),
        InvalidConfigError,
        ("loops 0 is out of range", "1 to 65535"),
        options={"loops": 0},
        target="out.gif",
    ),
    WriteCase(
        "speed=11",
        lambda: _good(1),
        InvalidConfigError,
        ("speed 11 is out of range", "0 to 10"),
        options={"speed": 11, "codec": "av1"},
    ),
    WriteCase(
        "bitrate=0",
        lambda: _good(1),
        InvalidConfigError,
        ("bitrate 0 is out of range", "1 to 2000000"),
        options={"bitrate": 0},
    ),
    WriteCase(
        "dither='yes'",
        lambda: _good(1),
        InvalidTypeError,
        ("dither 'yes' (str) is not a bool", "allowed: True", "or False"),
        options={"dither": "yes"},
        target="out.gif",
    ),
    WriteCase(
        "codec='vp9'",
        lambda: _good(1),
        UnsupportedError,
        ('codec "vp9" is not available', "h264 and av1"),
        options={"codec": "vp9"},
    ),
    # Colour maps.
    WriteCase(
        "cmap='no-such-map'",
        lambda: [np.zeros((16, 16))],
        UnsupportedError,
        ("cmap 'no-such-map' is not a matplotlib colormap name",),
        options={"cmap": "no-such-map"},
    ),
    WriteCase(
        "cmap=123",
        lambda: [np.zeros((16, 16))],
        InvalidTypeError,
        ("cmap 123 (int) is not a colormap", "allowed: a colormap name"),
        options={"cmap": 123},
    ),
    WriteCase(
        "vmin='abc'",
        lambda: [np.zeros((16, 16))],
        InvalidTypeError,
        ("vmin 'abc' (str) is not a number", RANGE_ALLOWED),
        options={"cmap": "viridis", "vmin": "abc", "vmax": 1},
    ),
    *(
        WriteCase(
            f"vmin={vmin}, vmax={vmax}",
            lambda: [np.zeros((16, 16))],
            InvalidConfigError,
            (words, RANGE_ALLOWED),
            options={"cmap": "viridis", "vmin": vmin, "vmax": vmax},
        )
        for vmin, vmax, words in (
            (float("nan"), 1.0, "vmin nan is not finite"),
            (1.0, 0.0, "vmin 1.0 is above vmax 0.0"),
            (0.0, float("inf"), "vmax inf is not finite"),
            (-float("inf"), 0.0, "vmin -inf is not finite"),
        )
    ),
    WriteCase(
        # vmax from the first frame (its largest value, 1), below the vmin given.
        "vmin=5 above the first frame's values",
        lambda: [np.ones((16, 16)), np.ones((16, 16))],
        InvalidConfigError,
        ("vmin 5 is above vmax 1 (vmax taken from frame 0's values)", "pass both vmin= and vmax="),
        options={"cmap": "viridis", "vmin": 5},
    ),
    # Targets.
    WriteCase(
        "directory that does not exist",
        lambda: _good(1),
        FramesinkIOError,
        ("cannot create", "no/such/dir/out.mp4", "No such file or directory"),
        target="no/such/dir/out.mp4",
    ),
]


@pytest.mark.parametrize("case", WRITE_CASES, ids=[c.id for c in WRITE_CASES])
def test_write_refuses(tmp_path: Path, case: WriteCase) -> None:
    target = tmp_path / case.target
    with pytest.raises(case.error) as info:
        framesink.write(target, case.frames(), **case.options)
    _assert_words(str(info.value), case.words)
    _assert_after(target, case.after)


@pytest.mark.parametrize("func", ["Writer", "write", "encode", "show"])
def test_an_unknown_keyword_names_the_closest_option(tmp_path: Path, func: str) -> None:
    target = tmp_path / "out.mp4"
    calls: dict[str, Callable[[], Any]] = {
        "Writer": lambda: framesink.Writer(target, qualty=50),
        "write": lambda: framesink.write(target, _good(1), qualty=50),
        "encode": lambda: framesink.encode(_good(1), qualty=50),
        "show": lambda: framesink.show(_good(1), directory=str(tmp_path), qualty=50),
    }
    with pytest.raises(TypeError) as info:
        calls[func]()
    _assert_words(
        str(info.value),
        (
            f"{func}() got an unexpected keyword argument 'qualty'; did you mean 'quality'?",
            "Options: bit_depth, bitrate, channel_order,",
            ", codec,",
            ", dither,",
            ", quality,",
        ),
    )
    assert not any(tmp_path.iterdir()), list(tmp_path.iterdir())


def test_negative_strides_are_fine() -> None:
    frame = np.zeros((32, 32, 3), np.uint8)
    frame[:16] = 255  # white on top
    flipped = frame[::-1, ::-1]  # negative strides: black on top
    assert flipped.strides[0] < 0 and flipped.strides[1] < 0
    decoded = decode_rgb(framesink.encode([flipped]))
    assert decoded[0, 4, 16].max() <= 5 and decoded[0, 28, 16].min() >= 250


# ---------------------------------------------------------------- cmap: vmin == vmax


@pytest.mark.parametrize("given", [True, False], ids=["given", "from a constant first frame"])
def test_vmin_equal_to_vmax_maps_everything_to_the_first_colour(given: bool) -> None:
    # As matplotlib's Normalize (vmin == vmax: every value to 0): not an error, since
    # a constant first frame (all zeros) gives that range when vmin/vmax are not given.
    frame = np.zeros((16, 32))
    frame[:, 16:] = 1.0
    if given:
        data = framesink.encode([frame], cmap="viridis", vmin=1.0, vmax=1.0)
    else:
        with pytest.warns(framesink.FramesinkWarning, match="vmin=0, vmax=0 taken from frame 0"):
            data = framesink.encode([np.zeros((16, 32)), frame], cmap="viridis")
    decoded = decode_rgb(data)[-1].astype(int)
    left, right = decoded[8, 4], decoded[8, 28]
    assert np.abs(left - right).max() <= 3, (left, right)
    assert np.abs(left - [68, 1, 84]).max() <= 4, left  # viridis' first colour


# ---------------------------------------------------------------- timestamps


@pytest.mark.parametrize(
    ("bad", "error", "words"),
    [
        (1.5, InvalidFrameError, ("frame 2", "1500000/1000000 s", "strictly increase")),
        (1.0, InvalidFrameError, ("frame 2", "1000000/1000000 s", "not after the previous")),
        (0.2, InvalidFrameError, ("frame 2", "200000/1000000 s", "before the first frame")),
        (float("nan"), InvalidFrameError, ("frame 2: timestamp nan is not finite", TS_ALLOWED)),
        (float("inf"), InvalidFrameError, ("frame 2: timestamp inf is not finite", TS_ALLOWED)),
        (-1, InvalidFrameError, ("frame 2: timestamp -1 is negative", TS_ALLOWED)),
        (Fraction(-1, 2), InvalidFrameError, ("timestamp -1/2 is negative", TS_ALLOWED)),
        ("abc", InvalidFrameError, ("frame 2: timestamp 'abc' is not a number", TS_ALLOWED)),
        ([1], InvalidFrameError, ("frame 2: timestamp [1] is not a number", TS_ALLOWED)),
        (True, InvalidFrameError, ("frame 2: timestamp True is not a number", TS_ALLOWED)),
        (
            1e300,
            InvalidFrameError,
            ("frame 2: timestamp 1e+300 is too large", ">= 0 up to about 1.8e13"),
        ),
        (10**30, InvalidFrameError, ("timestamp 1000000000000000000000000000000 is too large",)),
    ],
    ids=[
        "repeat",
        "back",
        "before first",
        "nan",
        "inf",
        "negative",
        "negative Fraction",
        "string",
        "list",
        "bool",
        "1e300",
        "10**30",
    ],
)
def test_bad_timestamps_leave_the_writer_usable(
    tmp_path: Path, bad: Any, error: type[BaseException], words: tuple[str, ...]
) -> None:
    path = tmp_path / "ts.mp4"
    with framesink.Writer(path) as w:
        w.write(_gray(), timestamp=0.5)
        w.write(_gray(), timestamp=1.5)
        with pytest.raises(error) as info:
            w.write(_gray(), timestamp=bad)
        assert w.frames == 2
        w.write(_gray(), timestamp=2.5)
    _assert_words(str(info.value), words)
    if error is InvalidFrameError:
        assert isinstance(info.value, ValueError)
    _assert_after(path, 3)


# ---------------------------------------------------------------- targets


@pytest.mark.parametrize("name", ["movie.mp4", "movies"], ids=["movie.mp4", "no extension"])
def test_a_target_that_is_a_directory(tmp_path: Path, name: str) -> None:
    # Without an extension too: refused as a directory, not for its name.
    target = tmp_path / name
    target.mkdir()
    with pytest.raises(IsADirectoryError) as info:
        framesink.write(target, _good(1))
    assert isinstance(info.value, FramesinkIOError)
    _assert_words(str(info.value), (f"cannot create {target}", "Is a directory"))
    assert target.is_dir() and not any(target.iterdir())


@LINUX_ONLY
def test_a_read_only_sysfs_file(tmp_path: Path) -> None:
    before = SYSFS_READ_ONLY.read_bytes()
    with pytest.raises(FramesinkIOError) as info:
        framesink.write(SYSFS_READ_ONLY, _good(1), format="mp4")
    _assert_words(str(info.value), (f"cannot create {SYSFS_READ_ONLY}", "Permission denied"))
    _assert_after(SYSFS_READ_ONLY, UNCHANGED, before)


@LINUX_ONLY
def test_a_proc_file_fails_on_write_naming_it() -> None:
    # Opens for root, the first write fails (EIO): on a write() once the muxer
    # thread has stopped, or at close(); the error names the file either way.
    before = PROC_READ_ONLY.read_bytes()
    with pytest.raises(FramesinkIOError) as info:
        framesink.write(PROC_READ_ONLY, [_gray()] * 200, format="mp4")
    _assert_words(
        str(info.value),
        (f"{PROC_READ_ONLY}: writing the movie failed at its first byte", "Input/output error"),
    )
    _assert_after(PROC_READ_ONLY, UNCHANGED, before)


@pytest.mark.skipif(not hasattr(os, "geteuid") or os.geteuid() != 0, reason="root only")
def test_a_chmod_444_file_is_overwritten_by_root(tmp_path: Path) -> None:
    # Not an error as root: permission bits do not stop root's writes.
    target = tmp_path / "ro.mp4"
    target.write_bytes(b"old")
    target.chmod(0o444)
    assert framesink.write(target, _good(2)).frames == 2
    _assert_after(target, 2)


# ---------------------------------------------------------------- join


def _parts(tmp_path: Path, **second: Any) -> tuple[Path, Path]:
    frames = _good(20)
    p0, p1 = tmp_path / "p0.mp4", tmp_path / "p1.mp4"
    framesink.write(p0, frames[:10], keyframe_interval=10)
    framesink.write(p1, frames[10:], keyframe_interval=10, **second)
    return p0, p1


def _lying_moov(data: bytes) -> bytes:
    at = data.index(b"moov") - 4
    return data[:at] + (0xFFFF_FFF0).to_bytes(4, "big") + data[at + 4 :]


@pytest.mark.parametrize(
    ("second", "error", "words"),
    [
        (
            lambda p1: b"hello world, not a movie",
            InvalidPartError,
            ("part 1 (bytes[1])", "not an MP4 or a GIF", "68656c6c6f"),
        ),
        (
            lambda p1: p1.read_bytes()[: p1.stat().st_size // 2],
            InvalidPartError,
            ("part 1 (bytes[1])", "truncated"),
        ),
        (
            lambda p1: _lying_moov(p1.read_bytes()),
            InvalidPartError,
            ("part 1 (bytes[1])", "moov", "claims"),
        ),
        (
            lambda p1: p1.parent / "missing.mp4",
            FramesinkIOError,
            ("cannot open part", "missing.mp4", "No such file"),
        ),
        (lambda p1: p1.parent, InvalidPartError, ("cannot join part 1", "is a directory")),
    ],
    ids=["not MP4", "truncated", "lying moov size", "missing file", "a directory"],
)
def test_join_refuses_a_bad_second_part_keeping_the_first(
    tmp_path: Path,
    second: Callable[[Path], Any],
    error: type[BaseException],
    words: tuple[str, ...],
) -> None:
    p0, p1 = _parts(tmp_path)
    target = tmp_path / "joined.mp4"
    with pytest.raises(error) as info:
        framesink.join(target, [p0, second(p1)])
    _assert_words(str(info.value), words)
    # The first part, as a finished movie.
    _assert_after(target, 10)


@pytest.mark.parametrize(
    ("second", "words"),
    [
        ({"quality": 70}, ("part 1", "p1.mp4", "encoder settings", "q70", "q58")),
        ({"fps": 25}, ("part 1", "p1.mp4", "frame rate", "25 here, 30 there")),
    ],
    ids=["quality", "fps"],
)
def test_join_refuses_a_part_with_other_settings(
    tmp_path: Path, second: dict[str, Any], words: tuple[str, ...]
) -> None:
    p0, p1 = _parts(tmp_path, **second)
    target = tmp_path / "joined.mp4"
    with pytest.raises(InvalidPartError) as info:
        framesink.join(target, [p0, p1])
    _assert_words(str(info.value), words)
    _assert_after(target, 10)


def test_join_of_a_bad_first_part_or_no_parts_leaves_no_file(tmp_path: Path) -> None:
    target = tmp_path / "joined.mp4"
    with pytest.raises(InvalidPartError) as info:
        framesink.join(target, [b"GIF87a nope"])
    _assert_words(str(info.value), ("part 0",))
    _assert_after(target, NO_FILE)
    with pytest.raises(InvalidConfigError) as config:
        framesink.join(target, [])
    _assert_words(str(config.value), ("parts is empty", "at least one part"))
    _assert_after(target, NO_FILE)


def test_join_into_one_of_its_parts_is_refused(tmp_path: Path) -> None:
    p0, p1 = _parts(tmp_path)
    before = p0.read_bytes()
    with pytest.raises(InvalidConfigError) as info:
        framesink.join(p0, [p0, p1])
    _assert_words(str(info.value), (f"the target {str(p0)!r} is also a part", "new file"))
    _assert_after(p0, UNCHANGED, before)


def test_join_with_a_string_for_parts_is_refused(tmp_path: Path) -> None:
    p0, _ = _parts(tmp_path)
    target = tmp_path / "joined.mp4"
    with pytest.raises(InvalidConfigError) as info:
        framesink.join(target, str(p0))
    _assert_words(str(info.value), ("parts is one path or bytes", "give a list of parts"))
    _assert_after(target, NO_FILE)


# ---------------------------------------------------------------- the command line


def _y4m(header: str, *frames: bytes) -> bytes:
    return header.encode() + b"\n" + b"".join(b"FRAME\n" + f for f in frames)


Y420_32 = bytes(32 * 32 * 3 // 2)  # one 32x32 4:2:0 frame
RAW_ARGS = ("--size", "32x32", "--pix-fmt", "rgb24", "--fps", "30")
RAW_FRAME = bytes(32 * 32 * 3)


@dataclass(frozen=True)
class CliCase:
    """`python -m framesink encode OUT ARGS` with `stdin` exits `code`, stderr naming `words`."""

    id: str
    args: tuple[str, ...]
    stdin: bytes
    code: int
    words: tuple[str, ...]
    after: int | None = NO_FILE
    output: str = "out.mp4"


CLI_CASES = [
    CliCase(
        "unknown option --qualty",
        (*RAW_ARGS, "--qualty", "50"),
        RAW_FRAME,
        2,
        ("unexpected argument '--qualty'", "a similar argument exists: '--quality'"),
    ),
    CliCase(
        "--quality high",
        (*RAW_ARGS, "--quality", "high"),
        RAW_FRAME,
        2,
        (
            "invalid value 'high' for '--quality <QUALITY>'",
            '"high" is not a whole number; allowed: 0 (smallest) to 100 (best)',
        ),
    ),
    CliCase(
        "--quality 300",
        (*RAW_ARGS, "--quality", "300"),
        RAW_FRAME,
        1,
        ("quality 300 is out of range", "0 (smallest) to 100 (best)"),
    ),
    CliCase(
        "--threads -1",
        (*RAW_ARGS, "--threads", "-1"),
        RAW_FRAME,
        2,
        (
            "invalid value '-1' for '--threads <THREADS>'",
            "-1 is negative; allowed: 0 (one per core) to 256",
        ),
    ),
    CliCase(
        "--threads=-1",
        (*RAW_ARGS, "--threads=-1"),
        RAW_FRAME,
        2,
        ("invalid value '-1' for '--threads <THREADS>'", "-1 is negative"),
    ),
    CliCase(
        "--speed 999",
        (*RAW_ARGS, "--speed", "999"),
        RAW_FRAME,
        2,
        ("'--speed <SPEED>'", "999 is too large; allowed: 0 (slowest, smallest file) to 10"),
    ),
    CliCase(
        "--fps -5",
        ("--size", "32x32", "--pix-fmt", "rgb24", "--fps", "-5"),
        RAW_FRAME,
        1,
        ('frame rate "-5" must be a positive finite number',),
    ),
    CliCase(
        "--fps=-5",
        ("--size", "32x32", "--pix-fmt", "rgb24", "--fps=-5"),
        RAW_FRAME,
        1,
        ('frame rate "-5" must be a positive finite number',),
    ),
    CliCase(
        "--fps nan",
        ("--size", "32x32", "--pix-fmt", "rgb24", "--fps", "nan"),
        RAW_FRAME,
        1,
        ('frame rate "nan" must be a positive finite number',),
    ),
    CliCase(
        "--fps inf",
        ("--size", "32x32", "--pix-fmt", "rgb24", "--fps", "inf"),
        RAW_FRAME,
        1,
        ('frame rate "inf" must be a positive finite number',),
    ),
    CliCase(
        "--fps 1e9",
        ("--size", "32x32", "--pix-fmt", "rgb24", "--fps", "1e9"),
        RAW_FRAME,
        1,
        ("fps 1000000000", "out of range", "1/100 to 1000"),
    ),
    CliCase(
        "--fps 1e10",
        ("--size", "32x32", "--pix-fmt", "rgb24", "--fps", "1e10"),
        RAW_FRAME,
        1,
        ('frame rate "1e10" is out of range', "allowed: 1/100 to 1000 frames per second"),
    ),
    CliCase(
        "--size 4097x16",
        ("--size", "4097x16", "--pix-fmt", "gray", "--fps", "30"),
        bytes(4097 * 16),
        1,
        ("size 4097x16 (padded to 4098x16) is larger than H.264", "at most 4096 pixels a side"),
    ),
    CliCase(
        "raw input shorter than one frame",
        RAW_ARGS,
        bytes(100),
        1,
        ("input ended inside frame 0: 100 of 3072 bytes", "nothing was written"),
    ),
    CliCase(
        "output is a directory",
        RAW_ARGS,
        RAW_FRAME,
        1,
        ("cannot create", "Is a directory"),
        after=UNCHANGED,
        output="dir.mp4",
    ),
    CliCase(
        "Y4M header cut before its newline",
        (),
        b"YUV4MPEG2 W32 H32",
        1,
        ("Y4M input ended inside a header line",),
    ),
    CliCase(
        "Y4M signature only",
        (),
        b"YUV4MPEG2",
        1,
        ("Y4M input ended inside its header",),
    ),
    CliCase(
        "Y4M signature and newline",
        (),
        b"YUV4MPEG2\n",
        1,
        ("Y4M header has no width (W)",),
    ),
    CliCase(
        "Y4M W0",
        (),
        _y4m("YUV4MPEG2 W0 H32 F30:1", b""),
        1,
        ("Y4M width 0 is empty; width and height must be at least 2",),
    ),
    CliCase(
        "Y4M W0 and no frame",
        (),
        _y4m("YUV4MPEG2 W0 H32 F30:1"),
        1,
        ("Y4M width 0 is empty",),
    ),
    CliCase(
        "Y4M Wabc",
        (),
        _y4m("YUV4MPEG2 Wabc H32 F30:1"),
        1,
        ('Y4M width "abc" is not a number',),
    ),
    CliCase(
        "Y4M unknown C tag",
        (),
        _y4m("YUV4MPEG2 W32 H32 F30:1 Cfoo", Y420_32),
        1,
        ("Y4M colour space Cfoo is not supported", "420jpeg", "444, mono"),
    ),
    CliCase(
        "Y4M C422",
        (),
        _y4m("YUV4MPEG2 W32 H32 F30:1 C422", bytes(2048)),
        1,
        ("Y4M colour space C422 is not supported",),
    ),
    CliCase(
        "Y4M interlaced It",
        (),
        _y4m("YUV4MPEG2 W32 H32 F30:1 It", Y420_32),
        1,
        ("Y4M interlacing It is not supported", "only progressive (Ip)"),
    ),
    CliCase(
        "Y4M F0:1",
        (),
        _y4m("YUV4MPEG2 W32 H32 F0:1", Y420_32),
        1,
        ('Y4M rate "0:1" is not a positive rate',),
    ),
    CliCase(
        "Y4M without F",
        (),
        _y4m("YUV4MPEG2 W32 H32", Y420_32),
        1,
        ("Y4M header has no frame rate (F)",),
    ),
    CliCase(
        "Y4M 100000x100000",
        (),
        _y4m("YUV4MPEG2 W100000 H100000 F30:1", bytes(100)),
        1,
        ("frame size 100000x100000 yuv420p is 15000000000 bytes", "at most 1073741824 bytes"),
    ),
    CliCase(
        "Y4M W5000",
        (),
        _y4m("YUV4MPEG2 W5000 H16 F30:1", bytes(5000 * 16 * 3 // 2)),
        1,
        ("size 5000x16 is larger than H.264", "at most 4096 pixels a side"),
    ),
    CliCase(
        "Y4M header over 4096 bytes",
        (),
        _y4m("YUV4MPEG2 W32 H32 F30:1 X" + "a" * 5000),
        1,
        ("Y4M header line is longer than 4096 bytes",),
    ),
    CliCase(
        "Y4M with --size",
        ("--size", "32x32"),
        _y4m("YUV4MPEG2 W32 H32 F30:1", Y420_32),
        1,
        ("the input is Y4M", "drop --size and --pix-fmt"),
    ),
    CliCase(
        "Y4M garbage instead of the second FRAME",
        (),
        _y4m("YUV4MPEG2 W32 H32 F30:1", Y420_32) + b"GARBAGE\n" + Y420_32,
        1,
        ('Y4M frame header expected, found "GARBAGE"',),
        after=1,
    ),
    CliCase(
        "Y4M second frame cut short",
        (),
        _y4m("YUV4MPEG2 W32 H32 F30:1", Y420_32) + b"FRAME\n" + bytes(100),
        1,
        ("input ended inside frame 1: 100 of 1536 bytes", "the 1 complete frames before it"),
        after=1,
    ),
]


def _cli(cwd: Path, args: list[str], stdin: bytes) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(
        [sys.executable, "-m", "framesink", *args],
        input=stdin,
        capture_output=True,
        cwd=cwd,
        timeout=120,
    )


@pytest.mark.parametrize("case", CLI_CASES, ids=[c.id for c in CLI_CASES])
def test_cli_refuses(tmp_path: Path, case: CliCase) -> None:
    output = tmp_path / case.output
    if case.after == UNCHANGED:
        output.mkdir()
    result = _cli(tmp_path, ["encode", case.output, *case.args, "-q"], case.stdin)
    stderr = result.stderr.decode(errors="replace")
    assert result.returncode == case.code, stderr
    assert "Traceback" not in stderr and "panicked" not in stderr, stderr
    _assert_words(stderr, case.words)
    if case.after == UNCHANGED:
        assert output.is_dir() and not any(output.iterdir())
    else:
        _assert_after(output, case.after)


@LINUX_ONLY
@pytest.mark.parametrize(
    ("target", "words"),
    [
        (SYSFS_READ_ONLY, (f"cannot create {SYSFS_READ_ONLY}", "Permission denied")),
        (
            PROC_READ_ONLY,
            (f"{PROC_READ_ONLY}: writing the movie failed at its first byte", "Input/output error"),
        ),
    ],
    ids=["sysfs", "proc"],
)
def test_cli_read_only_kernel_files(tmp_path: Path, target: Path, words: tuple[str, ...]) -> None:
    before = target.read_bytes()
    args = ["encode", str(target), "--format", "mp4", *RAW_ARGS]
    result = _cli(tmp_path, args, RAW_FRAME)
    stderr = result.stderr.decode(errors="replace")
    assert result.returncode == 1, stderr
    _assert_words(stderr, words)
    _assert_after(target, UNCHANGED, before)


def test_cli_loops_zero_is_refused(tmp_path: Path) -> None:
    result = _cli(tmp_path, ["encode", "l0.gif", *RAW_ARGS, "--loops", "0", "-q"], RAW_FRAME * 2)
    assert result.returncode == 1, result.stderr
    _assert_words(result.stderr.decode(errors="replace"), ("loops 0 is out of range", "1 to 65535"))
    _assert_after(tmp_path / "l0.gif", NO_FILE)
