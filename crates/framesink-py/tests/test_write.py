"""framesink.write / Writer / encode: what goes in, what ffprobe and ffmpeg see come out."""

from __future__ import annotations

import gc
import io
import os
import re
import subprocess
import sys
import warnings
from collections.abc import Iterator
from fractions import Fraction
from pathlib import Path
from typing import IO, Any, Callable, cast

import framesink
import numpy as np
import pytest
from _media import (
    FFMPEG,
    FFPROBE,
    decode_luma,
    decode_rgb,
    frame_times,
    probe,
    psnr,
    smooth_frames,
    top_level_boxes,
)
from framesink import (
    EncoderError,
    FramesinkError,
    FramesinkIOError,
    FramesinkWarning,
    InvalidConfigError,
    InvalidFrameError,
    UnsupportedError,
)
from hypothesis import given
from hypothesis import strategies as st

THIS_FILE = os.path.normcase(os.path.abspath(__file__))


def framesink_warnings(record: list[warnings.WarningMessage]) -> list[str]:
    return [str(w.message) for w in record if issubclass(w.category, FramesinkWarning)]


# ---------------------------------------------------------------- shapes and dtypes

KINDS = ("HW", "HW1", "HW2", "HW3", "HW4")
DTYPES = ("uint8", "uint16", "bool", "float16", "float32", "float64")


def make_frames(
    kind: str, dtype: str, n: int, h: int, w: int, seed: int
) -> tuple[np.ndarray, np.ndarray]:
    """(frames to write, the rgb24 picture they should decode to) for one shape and dtype."""
    base = smooth_frames(n, h, w, seed).astype(np.float64) / 255.0
    if dtype == "bool":
        # 8x8 blocks: hard edges, but on the codec's grid
        base = base[:, ::8, ::8].repeat(8, axis=1).repeat(8, axis=2)[:, :h, :w]
    gray = base.mean(axis=-1)
    alpha = 1.0 - base[..., 0]  # dropped by H.264: must not change the picture
    values = {
        "HW": gray,
        "HW1": gray[..., None],
        "HW2": np.stack([gray, alpha], axis=-1),
        "HW3": base,
        "HW4": np.concatenate([base, alpha[..., None]], axis=-1),
    }[kind]
    if dtype == "uint8":
        frames: np.ndarray = np.round(values * 255).astype(np.uint8)
        eight = frames
    elif dtype == "uint16":
        frames = np.round(values * 65535).astype(np.uint16)
        eight = ((frames.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
    elif dtype == "bool":
        frames = values > 0.5
        eight = frames.astype(np.uint8) * 255
    else:
        frames = values.astype(dtype)
        eight = np.round(np.clip(frames.astype(np.float64), 0, 1) * 255).astype(np.uint8)
    if kind == "HW":
        eight = eight[..., None]
    if eight.shape[-1] <= 2:  # gray (+ alpha): gray in all three channels
        expected = np.repeat(eight[..., :1], 3, axis=-1)
    else:
        expected = eight[..., :3]
    return frames, expected


def assert_picture(decoded: np.ndarray, expected: np.ndarray, hard_edges: bool = False) -> None:
    assert decoded.shape == expected.shape
    if hard_edges:
        # saturated colour edges ring under 4:2:0 and H.264, but every sample
        # must land on the right side
        right_side = (decoded > 127) == (expected > 127)
        assert right_side.mean() >= 0.98, f"only {right_side.mean():.3f} of samples right"
        assert psnr(decoded, expected) >= 20.0
    else:
        # 16x16 colour frames reach ~33 dB; a channel swap gives ~11 dB, values 10%
        # off ~25 dB
        assert psnr(decoded, expected) >= 30.0, f"PSNR {psnr(decoded, expected):.1f} dB"


@given(
    kind=st.sampled_from(KINDS),
    dtype=st.sampled_from(DTYPES),
    n=st.integers(1, 3),
    half_h=st.integers(8, 24),
    half_w=st.integers(8, 24),
    seed=st.integers(0, 1000),
)
def test_every_shape_and_dtype_decodes_to_the_right_picture(
    kind: str, dtype: str, n: int, half_h: int, half_w: int, seed: int
) -> None:
    h, w = 2 * half_h, 2 * half_w  # odd and tiny sizes have their own tests
    frames, expected = make_frames(kind, dtype, n, h, w, seed)
    with warnings.catch_warnings():
        warnings.simplefilter("error", FramesinkWarning)  # in-range values: no warning
        # but uint16 in H.264 is rounded to 8 bits, as test_bits.py checks
        warnings.simplefilter("ignore", framesink.BitsLostWarning)
        data = framesink.encode(frames)
    assert probe(data).frames == n
    assert_picture(decode_rgb(data), expected, hard_edges=dtype == "bool")


@pytest.mark.parametrize("kind", KINDS)
@pytest.mark.parametrize("dtype", DTYPES)
def test_every_shape_and_dtype_frame_by_frame(kind: str, dtype: str) -> None:
    """The same grid exhaustively (one small size), through Writer.write one frame at a time."""
    frames, expected = make_frames(kind, dtype, 2, 32, 48, seed=7)
    buf = io.BytesIO()
    with framesink.Writer(buf, format="mp4") as w:
        for frame in frames:
            w.write(frame)
    assert w.close().frames == 2
    assert_picture(decode_rgb(buf.getvalue()), expected, hard_edges=dtype == "bool")


def test_alpha_is_dropped_not_composited() -> None:
    rgb = smooth_frames(1, 32, 32, seed=1)
    transparent = np.concatenate([rgb, np.zeros((1, 32, 32, 1), np.uint8)], axis=-1)
    assert psnr(decode_rgb(framesink.encode(transparent)), rgb) >= 35.0


# ---------------------------------------------------------------- channel order


def red_blue_split(channels: int, dtype: str) -> np.ndarray:
    """Left half (255, 0, 0), right half (0, 0, 255) in RGB order, 32x64."""
    frame = np.zeros((32, 64, channels), np.float64)
    frame[:, :32, 0] = 1.0
    frame[:, 32:, 2] = 1.0
    if channels == 4:
        frame[..., 3] = 1.0
    if dtype == "uint8":
        return (frame * 255).astype(np.uint8)
    if dtype == "uint16":
        return (frame * 65535).astype(np.uint16)
    return frame.astype(dtype)


@pytest.mark.parametrize("channels", [3, 4])
@pytest.mark.parametrize("dtype", ["uint8", "uint16", "float32"])
def test_channel_order_bgr_swaps_red_and_blue(channels: int, dtype: str) -> None:
    frame = red_blue_split(channels, dtype)
    as_rgb = decode_rgb(framesink.encode([frame], channel_order="rgb"))[0]
    as_bgr = decode_rgb(framesink.encode([frame], channel_order="bgr"))[0]
    red, blue = np.array([255, 0, 0]), np.array([0, 0, 255])
    # sample away from the split, where chroma subsampling blurs
    assert np.abs(as_rgb[16, 8].astype(int) - red).max() <= 12
    assert np.abs(as_rgb[16, 56].astype(int) - blue).max() <= 12
    assert np.abs(as_bgr[16, 8].astype(int) - blue).max() <= 12
    assert np.abs(as_bgr[16, 56].astype(int) - red).max() <= 12


def test_channel_order_rejects_other_values() -> None:
    with pytest.raises(InvalidConfigError, match="'rgba'"):
        framesink.Writer(io.BytesIO(), format="mp4", channel_order="rgba")


# ---------------------------------------------------------------- memory layouts

RGB = smooth_frames(1, 64, 96, seed=11)[0]  # (64, 96, 3) uint8


def _layouts() -> Iterator[Any]:
    small = RGB[:32, :48]
    yield pytest.param(small[::-1], id="rows-reversed")
    yield pytest.param(small[:, ::-1], id="columns-reversed")
    yield pytest.param(small[..., ::-1], id="channels-reversed")
    yield pytest.param(np.asfortranarray(small), id="fortran-rgb")
    yield pytest.param(np.asfortranarray(small[..., 1]), id="fortran-gray")
    yield pytest.param(RGB[:32, ::2], id="every-other-column")
    yield pytest.param(RGB[::2, :48], id="every-other-row")
    yield pytest.param(RGB[8:40, 16:64], id="window-in-wider-array")
    gray = np.ascontiguousarray(RGB[..., 1])  # rows of 96 bytes
    yield pytest.param(gray[::2, :48], id="gray-every-other-row")
    yield pytest.param(gray[8:40, 16:64], id="gray-window-in-wider-array")
    yield pytest.param(gray[::-2, 8:56], id="gray-rows-reversed-window")
    yield pytest.param(RGB[::-2, ::-2], id="both-reversed-strided")
    yield pytest.param(small.astype(">u2") * 257, id="big-endian-uint16")
    yield pytest.param(small.astype(np.float32)[::-1, ::2] / 255, id="float32-strided")


@pytest.mark.parametrize("frame", list(_layouts()))
def test_any_memory_layout(frame: np.ndarray) -> None:
    before = frame.copy()
    flags = (frame.flags.c_contiguous, frame.strides)
    data = framesink.encode([frame, frame])
    np.testing.assert_array_equal(frame, before)  # the caller's array is left alone
    assert (frame.flags.c_contiguous, frame.strides) == flags
    contiguous = np.ascontiguousarray(frame)
    expected = framesink.encode([contiguous, contiguous])
    assert probe(data).frames == 2
    # exactly the same movie as from the contiguous copy
    np.testing.assert_array_equal(decode_rgb(data), decode_rgb(expected))
    if contiguous.dtype == np.uint8 and contiguous.ndim == 3:
        assert psnr(decode_rgb(data)[0], contiguous) >= 35.0


@pytest.mark.parametrize("channels", [3, 4])
def test_rows_further_apart_than_their_width(channels: int) -> None:
    """8-bit RGB(A) rows a stride apart, no copy: the last rows too (once garbage)."""
    colour = (200, 100, 50, 255)[:channels]
    big = np.zeros((64, 48, channels), np.uint8)
    big[::2] = colour  # the rows between (not part of the frame) are black
    frame = big[::2]
    assert frame.strides[0] == 2 * 48 * channels
    decoded = decode_rgb(framesink.encode([frame]))[0].astype(int)
    np.testing.assert_allclose(decoded[:, 24], np.tile(colour[:3], (32, 1)), atol=6)


def test_frame_buffer_may_be_reused_once_write_returns() -> None:
    rng = np.random.default_rng(0)
    frames = smooth_frames(4, 32, 48, seed=5)
    buf = io.BytesIO()
    scratch = np.empty((32, 48, 3), np.uint8)
    with framesink.Writer(buf, format="mp4") as w:
        for frame in frames:
            scratch[...] = frame
            w.write(scratch)
            scratch[...] = rng.integers(0, 256, scratch.shape, dtype=np.uint8)
    assert psnr(decode_rgb(buf.getvalue()), frames) >= 35.0


# ---------------------------------------------------------------- float values


def test_floats_outside_0_1_are_clipped_with_one_warning_saying_how_many() -> None:
    frames = np.full((3, 32, 32), 0.5)
    frames[1, :16, :] = 3.0  # 512 values above 1
    frames[1, 16:20, :] = -2.0  # 128 values below 0
    frames[2] = 7.0  # more clipping later: not reported again
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        summary = framesink.write(io.BytesIO(), frames, format="mp4")
    messages = framesink_warnings(record)
    assert len(messages) == 1, messages
    assert "frame 1" in messages[0]
    assert "640 of 1024" in messages[0]
    assert summary.frames == 3


def test_clipped_floats_decode_to_black_and_white() -> None:
    frames = np.full((1, 32, 32), 0.5)
    frames[0, :16] = 5.0
    frames[0, 16:] = -5.0
    with pytest.warns(FramesinkWarning, match="1024 of 1024"):
        data = framesink.encode(frames)
    decoded = decode_rgb(data)[0].astype(int)
    assert decoded[4:12].min() >= 250
    assert decoded[20:28].max() <= 5


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_nan_and_inf_raise_naming_frame_and_count(tmp_path: Path, bad: float) -> None:
    frames = np.full((3, 16, 16), 0.25, np.float32)
    frames[2, 0, :3] = bad
    frames[2, 5, 5] = np.nan
    path = tmp_path / "nan.mp4"
    with framesink.Writer(path) as w:
        w.write(frames[0])
        w.write(frames[1])
        with pytest.raises(InvalidFrameError, match=r"frame 2: 4 value\(s\) are NaN or infinite"):
            w.write(frames[2])
        assert w.frames == 2  # a rejected frame leaves the writer usable
        w.write(frames[0])
    assert probe(path).frames == 3


@pytest.mark.parametrize(
    "dtype", ["int32", "int8", "int64", "uint32", "complex128", "object", "datetime64[s]"]
)
def test_unsupported_dtypes_raise_naming_the_dtype(dtype: str) -> None:
    frame = np.zeros((16, 16, 3), dtype=dtype)
    message = f"frame 0: dtype {np.dtype(dtype)} is not supported"
    with pytest.raises(InvalidFrameError, match=re.escape(message)) as info:
        framesink.encode([frame])
    assert "uint8" in str(info.value)  # says what is allowed
    assert isinstance(info.value, ValueError)


@pytest.mark.parametrize(
    "shape",
    [
        (16,),
        (16, 16, 5),
        (16, 16, 3, 1),
        (2, 16, 16, 3, 1),
        (0, 16),
        (16, 0, 3),
    ],
)
def test_bad_frame_shapes_raise_invalid_frame_error(shape: tuple[int, ...]) -> None:
    with pytest.raises(InvalidFrameError, match=re.escape(str(shape))):
        framesink.encode([np.zeros(shape, np.uint8)])


# ---------------------------------------------------------------- sizes


# At QP 0 (quantiser step 0.625) OpenH264 reconstructs each luma sample within
# 1 level of its input (measured on these frames on x86_64): a padded pixel and
# the edge it copies are then at most 2 levels apart (met on arm64 too).
PADDED_EDGE_AT_QP0 = 2


@pytest.mark.parametrize("channels", [1, 3, 4])
@pytest.mark.parametrize(("h", "w"), [(34, 45), (33, 44), (33, 45)])
def test_odd_size_warns_once_and_pads_to_even(channels: int, h: int, w: int) -> None:
    rgb = smooth_frames(3, h, w, seed=2)
    frames = rgb[..., 0] if channels == 1 else rgb
    if channels == 4:
        frames = np.concatenate([rgb, np.full((3, h, w, 1), 255, np.uint8)], axis=-1)
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        data = framesink.encode(frames)
    messages = framesink_warnings(record)
    even_w, even_h = w + w % 2, h + h % 2
    assert len(messages) == 1, messages
    assert f"{w}x{h}" in messages[0] and f"{even_w}x{even_h}" in messages[0]
    info = probe(data)
    assert (info.width, info.height, info.frames) == (even_w, even_h, 3)
    decoded = decode_rgb(data)
    expected = rgb if channels > 1 else np.repeat(rgb[..., :1], 3, axis=-1)
    # the picture is not stretched: the original pixels are where they were
    assert psnr(np.ascontiguousarray(decoded[:, :h, :w]), expected) >= 35.0
    # and the padding repeats the last column / row (framesink copies the edge
    # exactly: color/mod.rs pad_plane). Checked on what the stream holds, its
    # luma with no colour conversion, at quality=100 (QP 0). The old check,
    # 12 levels in RGB at the default quality, measured the codec and the
    # converter, not the padding: the edge and its copy are each coded lossily
    # (up to 7 levels apart in luma here), and the RGB decode interpolates
    # chroma across the last rows, where this content changes by up to 15
    # levels a row (6 levels apart even at QP 0). x86 met 12 with no margin,
    # OpenH264's NEON code missed it by 1.
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", FramesinkWarning)
        luma = decode_luma(framesink.encode(frames, quality=100)).astype(int)
    if w % 2:
        assert np.abs(luma[:, :h, w] - luma[:, :h, w - 1]).max() <= PADDED_EDGE_AT_QP0
    if h % 2:
        assert np.abs(luma[:, h, :w] - luma[:, h - 1, :w]).max() <= PADDED_EDGE_AT_QP0


def test_odd_size_summary_reports_both_sizes() -> None:
    with pytest.warns(FramesinkWarning):
        summary = framesink.write(io.BytesIO(), np.zeros((2, 20, 31), np.uint8), format="mp4")
    assert (summary.width, summary.height) == (31, 20)
    assert (summary.coded_width, summary.coded_height) == (32, 20)
    assert len(summary.warnings) == 1 and "31x20" in summary.warnings[0]


@pytest.mark.parametrize(("h", "w"), [(8, 8), (16, 8), (2, 64), (6, 3)])
def test_small_frames_are_padded_to_16_with_one_warning(tmp_path: Path, h: int, w: int) -> None:
    """Below OpenH264's 16-pixel minimum, frames are padded (not stretched), like odd sizes."""
    rng = np.random.default_rng(h * 100 + w)
    frames = [np.full((h, w), v, np.uint8) for v in rng.integers(30, 220, 3)]
    path = tmp_path / "small.mp4"
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        with framesink.Writer(path) as writer:
            for frame in frames:
                writer.write(frame)
    padded_w, padded_h = max(16, w + w % 2), max(16, h + h % 2)
    messages = framesink_warnings(record)
    assert len(messages) == 1, messages
    assert f"{w}x{h}" in messages[0] and f"{padded_w}x{padded_h}" in messages[0]
    summary = writer.close()
    assert (summary.width, summary.height) == (w, h)
    assert (summary.coded_width, summary.coded_height) == (padded_w, padded_h)
    info = probe(path)
    assert (info.width, info.height, info.frames) == (padded_w, padded_h, 3)
    decoded = decode_rgb(path)[..., 0].astype(int)
    for i, frame in enumerate(frames):  # flat frames stay flat, padding included
        assert np.abs(decoded[i] - int(frame[0, 0])).max() <= 3


# ---------------------------------------------------------------- stream properties


@pytest.mark.parametrize(
    ("fps", "rate", "seconds_per_frame"),
    [
        (30, "30/1", Fraction(1, 30)),
        (29.97, "30000/1001", Fraction(1001, 30000)),
        ("30000/1001", "30000/1001", Fraction(1001, 30000)),
        (Fraction(30000, 1001), "30000/1001", Fraction(1001, 30000)),
        ("29.97", "30000/1001", Fraction(1001, 30000)),
        (59.94, "60000/1001", Fraction(1001, 60000)),
        (12.5, "25/2", Fraction(2, 25)),
        (np.int64(25), "25/1", Fraction(1, 25)),
    ],
)
def test_frame_rate_is_exact(fps: Any, rate: str, seconds_per_frame: Fraction) -> None:
    n = 7
    buf = io.BytesIO()
    summary = framesink.write(buf, smooth_frames(n, 32, 32), fps=fps, format="mp4")
    info = probe(buf.getvalue())
    assert info.r_frame_rate == rate
    assert info.avg_frame_rate == rate
    assert info.frames == n == summary.frames
    assert info.duration == pytest.approx(float(n * seconds_per_frame), abs=1e-3)
    assert summary.duration == pytest.approx(float(n * seconds_per_frame), abs=1e-6)
    assert frame_times(buf.getvalue()) == pytest.approx(
        [float(i * seconds_per_frame) for i in range(n)], abs=1e-4
    )


def test_stream_is_h264_high_yuv420p_bt709_limited(tmp_path: Path) -> None:
    path = tmp_path / "tags.mp4"
    summary = framesink.write(path, smooth_frames(5, 48, 64))
    info = probe(path)
    assert info.codec_name == "h264" and info.profile == "High"
    assert info.pix_fmt == "yuv420p"
    assert info.color_range == "tv"
    assert (info.color_space, info.color_transfer, info.color_primaries) == ("bt709",) * 3
    assert (info.width, info.height, info.frames) == (64, 48, 5)
    assert "mp4" in info.format_name
    assert summary == framesink.Summary(
        frames=5,
        duration=summary.duration,
        bytes=path.stat().st_size,
        codec="h264",
        profile="High",
        width=64,
        height=48,
        coded_width=64,
        coded_height=48,
        warnings=[],
    )
    assert summary.duration == pytest.approx(5 / 30)


def test_psnr_at_least_40_db_on_smooth_content_at_default_quality() -> None:
    frames = smooth_frames(20, 240, 320, seed=0)
    decoded = decode_rgb(framesink.encode(frames))
    assert decoded.shape == frames.shape
    assert psnr(decoded, frames) >= 40.0


def test_quality_trades_size_for_fidelity() -> None:
    frames = smooth_frames(10, 96, 128, seed=4)
    low, high = framesink.encode(frames, quality=10), framesink.encode(frames, quality=95)
    assert len(low) < len(high)
    assert psnr(decode_rgb(low), frames) < psnr(decode_rgb(high), frames)


def test_keyframe_interval() -> None:
    data = framesink.encode(smooth_frames(12, 32, 32), keyframe_interval=5)
    out = subprocess.run(
        [FFPROBE, "-v", "error", "-show_entries", "frame=key_frame", "-of", "csv=p=0", "-"],
        input=data,
        capture_output=True,
        check=True,
    ).stdout.split()
    assert len(out) == 12
    assert [i for i, k in enumerate(out) if k == b"1"] == [0, 5, 10]


# ---------------------------------------------------------------- frames from anywhere


def test_generator_of_frames() -> None:
    produced = []

    def frames() -> Iterator[np.ndarray]:
        for i in range(50):
            produced.append(i)
            yield np.full((32, 32), i * 5, np.uint8)

    buf = io.BytesIO()
    summary = framesink.write(buf, frames(), format="mp4")
    assert produced == list(range(50))
    assert summary.frames == 50
    info = probe(buf.getvalue())
    assert info.frames == 50
    decoded = decode_rgb(buf.getvalue())
    np.testing.assert_allclose(decoded[:, 16, 16, 0], np.arange(50) * 5, atol=4)


def test_list_of_frames_of_mixed_dtypes() -> None:
    frames: list[Any] = [
        np.zeros((16, 16), np.uint8),
        np.ones((16, 16), bool),
        np.full((16, 16, 3), 0.5, np.float32),
    ]
    decoded = decode_rgb(framesink.encode(frames))
    np.testing.assert_allclose(decoded[:, 8, 8, 1], [0, 255, 128], atol=3)


def test_frames_array_must_be_3d_or_4d() -> None:
    with pytest.raises(InvalidFrameError, match=r"\(16, 16\)"):
        framesink.write(io.BytesIO(), np.zeros((16, 16), np.uint8), format="mp4")


# ---------------------------------------------------------------- targets


def test_path_and_pathlike_targets(tmp_path: Path) -> None:
    frames = smooth_frames(3, 32, 32)
    framesink.write(tmp_path / "a.mp4", frames)
    framesink.write(str(tmp_path / "b.m4v"), frames)
    framesink.write(os.fsencode(tmp_path / "c.mov").decode(), frames)
    for name in ("a.mp4", "b.m4v", "c.mov"):
        assert probe(tmp_path / name).frames == 3


def test_bytesio_target_gets_a_faststart_mp4() -> None:
    buf = io.BytesIO()
    summary = framesink.write(buf, smooth_frames(6, 32, 48), format="mp4")
    data = buf.getvalue()
    assert summary.bytes == len(data)
    boxes = top_level_boxes(data)
    assert boxes[0] == "ftyp"
    assert boxes.index("moov") < boxes.index("mdat")  # index first
    assert "moof" not in boxes
    assert probe(data).frames == 6


def test_bytesio_target_without_format_defaults_to_mp4() -> None:
    buf = io.BytesIO()
    framesink.write(buf, smooth_frames(2, 32, 32))
    assert probe(buf.getvalue()).frames == 2


@pytest.mark.parametrize("mode", ["w+b", "wb"])
def test_open_file_target(tmp_path: Path, mode: str) -> None:
    path = tmp_path / "open.mp4"
    with open(path, mode) as f:
        summary = framesink.write(f, smooth_frames(5, 32, 48))
        assert not f.closed  # framesink does not close the caller's file
    assert summary.frames == 5
    assert path.stat().st_size == summary.bytes
    assert probe(path).frames == 5


class NonSeekable(io.RawIOBase):
    """A write-only stream that cannot seek (like a pipe or a socket)."""

    def __init__(self) -> None:
        self.chunks: list[bytes] = []

    def writable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return False

    def readable(self) -> bool:
        return False

    def write(self, b: Any) -> int:
        self.chunks.append(bytes(b))
        return len(b)

    def seek(self, *args: Any) -> int:
        raise io.UnsupportedOperation("seek")

    def tell(self) -> int:
        raise io.UnsupportedOperation("tell")


def test_non_seekable_target_gets_fragmented_mp4() -> None:
    sink = NonSeekable()
    target = cast("IO[bytes]", sink)  # framesink's Target type says IO[bytes]; any .write() works
    summary = framesink.write(target, smooth_frames(40, 32, 48), format="mp4", keyframe_interval=10)
    data = b"".join(sink.chunks)
    assert summary.frames == 40
    boxes = top_level_boxes(data)
    assert boxes[:2] == ["ftyp", "moov"]
    assert boxes.count("moof") >= 4  # one fragment per GOP at least
    assert probe(data).frames == 40
    assert psnr(decode_rgb(data), smooth_frames(40, 32, 48)) >= 35.0


def test_encode_returns_mp4_bytes() -> None:
    frames = smooth_frames(4, 32, 48)
    data = framesink.encode(frames)
    assert isinstance(data, bytes)
    assert data[4:8] == b"ftyp"
    assert probe(data).frames == 4
    assert psnr(decode_rgb(data), frames) >= 35.0


def test_encode_passes_options() -> None:
    data = framesink.encode(smooth_frames(3, 32, 32), fps=Fraction(24000, 1001))
    assert probe(data).r_frame_rate == "24000/1001"


# ---------------------------------------------------------------- Writer


def test_writer_timestamps_give_variable_frame_rate(tmp_path: Path) -> None:
    path = tmp_path / "vfr.mp4"
    times: list[Any] = [0, 0.1, 0.15, 0.5, Fraction(7, 10), np.float64(1.25)]
    frames = smooth_frames(len(times), 32, 32)
    with framesink.Writer(path, fps=30) as w:
        for frame, t in zip(frames, times):
            w.write(frame, timestamp=t)
        assert w.frames == len(times)
    assert frame_times(path) == pytest.approx([float(t) for t in times], abs=1e-3)
    assert probe(path).frames == len(times)


@pytest.mark.parametrize(
    ("first", "bad", "match"),
    [
        (0.5, 0.2, "before the first frame"),
        (0.5, 0.5, "strictly increase"),
        (0.0, -1.0, "negative|>= 0"),
        (0.0, float("nan"), "finite"),
        (0.0, float("inf"), "finite"),
    ],
)
def test_bad_timestamps_raise(tmp_path: Path, first: float, bad: float, match: str) -> None:
    frame = np.zeros((16, 16), np.uint8)
    path = tmp_path / "bad.mp4"
    with framesink.Writer(path) as w:
        w.write(frame, timestamp=first)
        with pytest.raises(InvalidFrameError, match=match):
            w.write(frame, timestamp=bad)
        w.write(frame, timestamp=first + 1)  # still usable
    # times count from the first frame's
    assert frame_times(path) == pytest.approx([0.0, 1.0], abs=1e-3)


def test_writer_counts_and_closes_once(tmp_path: Path) -> None:
    w = framesink.Writer(tmp_path / "w.mp4")
    assert w.frames == 0
    for frame in smooth_frames(3, 32, 32):
        w.write(frame)
    assert w.frames == 3
    summary = w.close()
    assert summary.frames == 3
    assert w.close() is summary  # idempotent


def test_writing_after_close_raises(tmp_path: Path) -> None:
    path = tmp_path / "closed.mp4"
    with framesink.Writer(path) as w:
        w.write(np.zeros((16, 16), np.uint8))
    with pytest.raises(FramesinkError, match="closed"):
        w.write(np.zeros((16, 16), np.uint8))
    assert probe(path).frames == 1


def test_error_inside_with_block_keeps_frames_written_before(tmp_path: Path) -> None:
    path = tmp_path / "partial.mp4"
    with pytest.raises(KeyError):
        with framesink.Writer(path) as w:
            for frame in smooth_frames(4, 32, 32):
                w.write(frame)
            raise KeyError("user code failed")
    assert probe(path).frames == 4


def test_unclosed_writer_warns_when_collected_and_leaves_a_movie(tmp_path: Path) -> None:
    path = tmp_path / "unclosed.mp4"

    def forget() -> None:
        w = framesink.Writer(path)
        for frame in smooth_frames(5, 32, 32):
            w.write(frame)

    with pytest.warns(ResourceWarning, match="not closed"):
        forget()
        gc.collect()
    assert probe(path).frames == 5


# ---------------------------------------------------------------- errors


def test_error_classes_are_builtin_subclasses() -> None:
    assert issubclass(InvalidFrameError, ValueError)
    assert issubclass(InvalidConfigError, ValueError)
    assert issubclass(UnsupportedError, ValueError)
    assert issubclass(EncoderError, RuntimeError)
    assert issubclass(FramesinkIOError, OSError)
    for cls in (
        InvalidFrameError,
        InvalidConfigError,
        UnsupportedError,
        EncoderError,
        FramesinkIOError,
    ):
        assert issubclass(cls, FramesinkError)
    assert issubclass(FramesinkWarning, UserWarning)


@pytest.mark.parametrize(
    ("options", "match"),
    [
        ({"fps": 0}, "fps 0"),
        ({"fps": -1}, "fps -1"),
        ({"fps": True}, "True"),
        ({"fps": "abc"}, '"abc"'),
        ({"fps": "nan"}, '"nan"'),
        ({"fps": "1/0"}, '"1/0"'),
        ({"fps": 1001}, "1001"),
        ({"fps": 0.001}, "1/1000"),
        ({"fps": [30]}, r"\[30\]"),
        ({"quality": 101}, "quality 101"),
        ({"quality": -1}, "quality -1"),
        ({"quality": 50.5}, "quality 50.5"),
        ({"threads": 1000}, "threads 1000"),
        ({"keyframe_interval": 0}, "keyframe_interval 0"),
        ({"bitrate": 0}, "bitrate 0"),
    ],
)
def test_bad_settings_raise_invalid_config_error(
    tmp_path: Path, options: dict[str, Any], match: str
) -> None:
    path = tmp_path / "cfg.mp4"
    with pytest.raises(InvalidConfigError, match=match) as info:
        framesink.write(path, smooth_frames(1, 16, 16), **options)
    assert isinstance(info.value, ValueError)
    assert not path.exists()


def test_unknown_extension_raises_unsupported_error(tmp_path: Path) -> None:
    path = tmp_path / "x.avi"
    with pytest.raises(UnsupportedError, match=r"\.avi|avi") as info:
        framesink.write(path, smooth_frames(1, 16, 16))
    assert ".mp4" in str(info.value)  # says what is supported
    assert isinstance(info.value, ValueError)
    assert not path.exists()


def test_unknown_codec_and_format_raise_unsupported_error() -> None:
    with pytest.raises(UnsupportedError):
        framesink.Writer(io.BytesIO(), codec="mpeg2video", format="mp4")
    with pytest.raises(UnsupportedError):
        framesink.Writer(io.BytesIO(), format="avi")


def test_frame_of_another_size_names_both_sizes(tmp_path: Path) -> None:
    path = tmp_path / "sizes.mp4"
    with framesink.Writer(path) as w:
        w.write(np.zeros((32, 48, 3), np.uint8))
        with pytest.raises(InvalidFrameError) as info:
            w.write(np.zeros((16, 48, 3), np.uint8))
        message = str(info.value)
        assert "48x16" in message and "48x32" in message and "frame 1" in message
        w.write(np.zeros((32, 48, 3), np.uint8))  # still usable
    assert probe(path).frames == 2


def test_directory_that_does_not_exist_raises_framesink_io_error(tmp_path: Path) -> None:
    path = tmp_path / "no" / "such" / "dir" / "x.mp4"
    with pytest.raises(FramesinkIOError) as info:
        framesink.write(path, smooth_frames(1, 16, 16))
    assert isinstance(info.value, OSError)
    assert str(tmp_path / "no") in str(info.value)
    with pytest.raises(OSError):  # what a plain Python user would catch
        framesink.Writer(path)


class FullNonSeekable(NonSeekable):
    def write(self, b: Any) -> int:
        raise OSError(28, "No space left on device")


class FullSeekable(io.BytesIO):
    def write(self, b: Any) -> int:
        raise OSError(28, "No space left on device")


@pytest.mark.parametrize("sink", [FullNonSeekable, FullSeekable])
def test_file_object_that_fails_raises_framesink_io_error(sink: Callable[[], Any]) -> None:
    with pytest.raises(FramesinkIOError, match="No space left on device") as info:
        framesink.write(sink(), smooth_frames(3, 16, 16), format="mp4")
    assert isinstance(info.value, OSError)


# ---------------------------------------------------------------- progress


def test_progress_callable_gets_done_and_total() -> None:
    calls: list[tuple[int, int | None]] = []
    framesink.encode(smooth_frames(5, 16, 16), progress=lambda d, t: calls.append((d, t)))
    assert calls == [(i, 5) for i in range(1, 6)]


def test_progress_callable_with_generator_has_no_total() -> None:
    calls: list[tuple[int, int | None]] = []
    framesink.encode(
        (f for f in smooth_frames(3, 16, 16)), progress=lambda d, t: calls.append((d, t))
    )
    assert calls == [(1, None), (2, None), (3, None)]


# ---------------------------------------------------------------- colormaps


def bands(values: list[float], h: int = 32, band: int = 16) -> np.ndarray:
    """A 2-D float frame of vertical bands, one per value."""
    return np.repeat(np.asarray(values, np.float64)[None, :], band, axis=1).repeat(h, axis=0)


def test_cmap_viridis_maps_2d_floats_to_rgb() -> None:
    import matplotlib

    viridis = matplotlib.colormaps["viridis"]
    first = bands([10.0, 13.0, 16.0, 20.0])  # vmin 10, vmax 20 from this frame
    second = bands([0.0, 15.0, 25.0, 20.0])  # outside: clipped to the first frame's range
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        data = framesink.encode([first, second], cmap="viridis")
    messages = framesink_warnings(record)
    assert len(messages) == 1, messages
    assert "vmin=10" in messages[0] and "vmax=20" in messages[0]
    decoded = decode_rgb(data).astype(int)
    assert decoded.shape == (2, 32, 64, 3)

    def expected(v: float) -> np.ndarray:
        t = min(max((v - 10.0) / 10.0, 0.0), 1.0)
        return np.round(np.asarray(viridis(t)[:3]) * 255).astype(int)

    for i, frame_values in enumerate([[10, 13, 16, 20], [0, 15, 25, 20]]):
        for band, v in enumerate(frame_values):
            pixel = decoded[i, 16, band * 16 + 8]
            assert np.abs(pixel - expected(v)).max() <= 8, (i, v, pixel, expected(v))
    # colour, not gray
    assert abs(decoded[0, 16, 8, 2] - decoded[0, 16, 8, 1]) > 40


def test_cmap_with_explicit_vmin_vmax_does_not_warn() -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error", FramesinkWarning)
        data = framesink.encode([bands([0.0, 5.0])], cmap="gray", vmin=0.0, vmax=10.0)
    decoded = decode_rgb(data)[0].astype(int)
    np.testing.assert_allclose(decoded[16, 8], [0, 0, 0], atol=3)
    np.testing.assert_allclose(decoded[16, 24], [128, 128, 128], atol=3)


def test_cmap_gray_uses_first_frame_range() -> None:
    with pytest.warns(FramesinkWarning, match="vmin=-1, vmax=1"):
        data = framesink.encode([bands([-1.0, 0.0, 1.0]), bands([0.5, 0.5, 0.5])], cmap="gray")
    decoded = decode_rgb(data).astype(int)
    np.testing.assert_allclose(decoded[0, 16, [8, 24, 40], 0], [0, 128, 255], atol=3)
    np.testing.assert_allclose(decoded[1, 16, [8, 24, 40], 0], [191, 191, 191], atol=3)


def test_cmap_accepts_a_colormap_object() -> None:
    import matplotlib

    data = framesink.encode(
        [bands([0.0, 1.0])], cmap=matplotlib.colormaps["RdBu"], vmin=0.0, vmax=1.0
    )
    decoded = decode_rgb(data)[0].astype(int)
    assert decoded[16, 8, 0] > decoded[16, 8, 2] + 60  # RdBu starts red
    assert decoded[16, 24, 2] > decoded[16, 24, 0] + 60  # and ends blue


def test_cmap_errors() -> None:
    with pytest.raises(UnsupportedError, match="no-such-map"):
        framesink.Writer(io.BytesIO(), format="mp4", cmap="no-such-map")
    with framesink.Writer(io.BytesIO(), format="mp4", cmap="gray", vmin=0, vmax=1) as w:
        with pytest.raises(InvalidFrameError, match="2-D"):
            w.write(np.zeros((16, 16, 3)))
        bad = np.zeros((16, 16))
        bad[3, 3] = np.nan
        with pytest.raises(InvalidFrameError, match=r"frame 0: 1 value\(s\) are NaN"):
            w.write(bad)
        with pytest.raises(InvalidFrameError, match="cannot be colour-mapped"):
            w.write(np.zeros((16, 16), complex))
        w.write(np.zeros((16, 16)))
    assert w.close().frames == 1


def test_cmap_gray_works_without_matplotlib(tmp_path: Path) -> None:
    code = (
        "import sys\n"
        "sys.modules['matplotlib'] = None  # import matplotlib now fails\n"
        "import numpy as np, framesink\n"
        "framesink.write(sys.argv[1], np.zeros((2, 16, 16)), cmap='gray', vmin=0, vmax=1)\n"
        "try:\n"
        "    framesink.write(sys.argv[1], np.zeros((2, 16, 16)), cmap='twilight', vmin=0, vmax=1)\n"
        "except framesink.UnsupportedError as e:\n"
        "    print('unsupported:', e)\n"
    )
    path = tmp_path / "gray.mp4"
    out = subprocess.run(
        [sys.executable, "-c", code, str(path)], capture_output=True, text=True, check=True
    ).stdout
    assert "unsupported:" in out and "matplotlib" in out
    assert probe(path).frames == 2


# ---------------------------------------------------------------- warnings point at the caller


def _warn_cases() -> Iterator[Any]:
    frames = {
        "clipped": (np.full((2, 16, 16), 2.0), {}),
        "odd-size": (np.zeros((2, 17, 16), np.uint8), {}),
        "cmap-range": (np.zeros((2, 16, 16)), {"cmap": "gray"}),
    }
    for kind, (arr, opts) in frames.items():
        for entry in ("write", "Writer.write"):
            yield pytest.param(arr, opts, entry, id=f"{kind}-{entry}")


def _call_write(frames: np.ndarray, opts: dict[str, Any]) -> None:
    framesink.write(io.BytesIO(), frames, format="mp4", **opts)  # the warning's line


def _call_writer_write(frames: np.ndarray, opts: dict[str, Any]) -> None:
    with framesink.Writer(io.BytesIO(), format="mp4", **opts) as w:
        for frame in frames:
            w.write(frame)  # the warning's line


@pytest.mark.parametrize(("frames", "opts", "entry"), list(_warn_cases()))
def test_warnings_point_at_the_callers_line(
    frames: np.ndarray, opts: dict[str, Any], entry: str
) -> None:
    call: Callable[[np.ndarray, dict[str, Any]], None] = (
        _call_write if entry == "write" else _call_writer_write
    )
    with warnings.catch_warnings(record=True) as record:
        warnings.simplefilter("always")
        call(frames, opts)
    ours = [w for w in record if issubclass(w.category, FramesinkWarning)]
    assert len(ours) == 1
    assert os.path.normcase(os.path.abspath(ours[0].filename)) == THIS_FILE
    code = call.__code__
    assert code.co_firstlineno < ours[0].lineno <= code.co_firstlineno + 4


# ---------------------------------------------------------------- import and command line


def test_import_framesink_does_not_import_matplotlib() -> None:
    code = (
        "import sys, framesink\n"
        "assert 'matplotlib' not in sys.modules, 'matplotlib imported'\n"
        "import matplotlib\n"
        "matplotlib.use('Agg')\n"
        "import matplotlib.animation as animation\n"
        "print('framesink' in animation.writers.list())\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "True"  # and the writer registers on first use


def test_python_m_framesink_encode_raw_stdin(tmp_path: Path) -> None:
    frames = smooth_frames(10, 48, 64, seed=9)
    path = tmp_path / "cli.mp4"
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "framesink",
            "encode",
            str(path),
            "--size",
            "64x48",
            "--pix-fmt",
            "rgb24",
            "--fps",
            "30000/1001",
        ],
        input=frames.tobytes(),
        capture_output=True,
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout == b""
    assert b"10 frames" in result.stderr  # the summary line
    info = probe(path)
    assert (info.width, info.height, info.frames) == (64, 48, 10)
    assert info.r_frame_rate == "30000/1001"
    assert psnr(decode_rgb(path), frames) >= 35.0


def test_python_m_framesink_encode_to_stdout_and_partial_frame() -> None:
    frames = smooth_frames(6, 32, 32, seed=3)
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "framesink",
            "encode",
            "-",
            "--size",
            "32x32",
            "--pix-fmt",
            "bgr24",
            "--fps",
            "25",
            "--format",
            "mp4",
        ],
        input=frames[..., ::-1].tobytes() + b"\x00" * 100,  # BGR, then a partial frame
        capture_output=True,
    )
    assert result.returncode != 0
    assert b"100 of 3072 bytes" in result.stderr
    assert "moof" in top_level_boxes(result.stdout)
    assert probe(result.stdout).frames == 6  # the complete frames were written
    assert psnr(decode_rgb(result.stdout), frames) >= 35.0


def test_python_m_framesink_bad_arguments_fail_cleanly(tmp_path: Path) -> None:
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "framesink",
            "encode",
            str(tmp_path / "x.mp4"),
            "--pix-fmt",
            "rgb24",
        ],
        input="",
        capture_output=True,
        text=True,
    )
    assert result.returncode != 0
    assert "size" in result.stderr.lower()
    assert "Traceback" not in result.stderr


# ---------------------------------------------------------------- GIF


def test_gif_from_numpy_frames(tmp_path: Path) -> None:
    frames = smooth_frames(12, 48, 64)
    summary = framesink.write(tmp_path / "a.gif", frames, fps=30)
    assert (summary.codec, summary.frames, summary.frames_dropped) == ("gif", 12, 0)
    info = probe(tmp_path / "a.gif")
    assert (info.codec_name, info.frames, info.width, info.height) == ("gif", 12, 64, 48)
    assert psnr(decode_rgb(tmp_path / "a.gif"), frames) >= 28.0


def test_gif_above_fifty_fps_drops_frames_with_a_warning(tmp_path: Path) -> None:
    frames = smooth_frames(20, 16, 16)
    with pytest.warns(framesink.FramesinkWarning, match="GIF"):
        summary = framesink.write(tmp_path / "fast.gif", frames, fps=100)
    assert (summary.frames, summary.frames_dropped) == (10, 10)
    assert probe(tmp_path / "fast.gif").frames == 10


def test_h264_in_a_gif_is_refused(tmp_path: Path) -> None:
    with pytest.raises(framesink.UnsupportedError, match="h264"):
        framesink.write(tmp_path / "x.gif", np.zeros((1, 16, 16), np.uint8), codec="h264")


# ---------------------------------------------------------------- AV1


def test_av1_from_numpy_frames(tmp_path: Path) -> None:
    frames = smooth_frames(20, 91, 160)  # odd height: coded as it is
    summary = framesink.write(tmp_path / "a.mp4", frames, fps=25, codec="av1", speed=10)
    assert (summary.codec, summary.frames) == ("av1", 20)
    assert (summary.coded_width, summary.coded_height) == (160, 91)
    info = probe(tmp_path / "a.mp4")
    assert (info.codec_name, info.frames, info.width, info.height) == ("av1", 20, 160, 91)
    assert info.color_space == "bt709"
    assert psnr(decode_rgb(tmp_path / "a.mp4"), frames) >= 38.0


def test_av1_width_not_a_multiple_of_8_is_padded_with_a_warning(tmp_path: Path) -> None:
    frames = smooth_frames(20, 90, 161)
    with pytest.warns(FramesinkWarning, match="multiple of 8"):
        summary = framesink.write(tmp_path / "a.mp4", frames, fps=25, codec="av1")
    assert (summary.coded_width, summary.coded_height) == (168, 90)
    decoded = decode_rgb(tmp_path / "a.mp4")
    assert decoded.shape == (20, 90, 168, 3)
    # the picture, its right edge included, is intact; the padding repeats the edge
    assert psnr(np.ascontiguousarray(decoded[:, :, :161]), frames) >= 38.0
    assert psnr(np.ascontiguousarray(decoded[:, :, 160:161]), frames[:, :, 160:161]) >= 35.0


def test_av1_is_smaller_than_h264_at_the_default_quality(tmp_path: Path) -> None:
    frames = smooth_frames(30, 144, 256)
    h264 = framesink.write(tmp_path / "h.mp4", frames, fps=30)
    av1 = framesink.write(tmp_path / "a.mp4", frames, fps=30, codec="av1")
    assert av1.bytes < h264.bytes
    assert psnr(decode_rgb(tmp_path / "a.mp4"), frames) >= 40.0


@pytest.mark.parametrize("speed", [-1, 11, 2.5, "fast"])
def test_av1_speed_out_of_range_is_refused(tmp_path: Path, speed: Any) -> None:
    with pytest.raises(InvalidConfigError, match="speed"):
        framesink.write(
            tmp_path / "x.mp4", np.zeros((1, 16, 16), np.uint8), codec="av1", speed=speed
        )
    assert not (tmp_path / "x.mp4").exists()


# ---------------------------------------------------------------- APNG, ffmpeg


def test_apng_is_lossless(tmp_path: Path) -> None:
    frames = smooth_frames(5, 24, 40)
    summary = framesink.write(tmp_path / "a.apng", frames, fps=10)
    assert (summary.codec, summary.frames) == ("png", 5)
    info = probe(tmp_path / "a.apng")
    assert (info.codec_name, info.frames) == ("apng", 5)
    assert np.array_equal(decode_rgb(tmp_path / "a.apng"), frames)


@pytest.mark.parametrize("channels", [1, 3, 4])
def test_apng_keeps_16_bit_frames_exact(tmp_path: Path, channels: int) -> None:
    rng = np.random.default_rng(channels)
    shape = (4, 12, 20) if channels == 1 else (4, 12, 20, channels)
    frames = rng.integers(0, 65536, size=shape, dtype=np.uint16)
    framesink.write(tmp_path / "deep.png", frames, fps=10)
    pix_fmt = {1: "gray16le", 3: "rgb48le", 4: "rgba64le"}[channels]
    decode = ["-f", "rawvideo", "-pix_fmt", pix_fmt, "-"]
    raw = subprocess.run(
        [FFMPEG, "-v", "error", "-i", str(tmp_path / "deep.png"), *decode],
        capture_output=True,
        check=True,
    ).stdout
    assert np.array_equal(np.frombuffer(raw, "<u2").reshape(shape), frames)


def test_gif_and_apng_from_planar_yuv_frames_via_the_cli(tmp_path: Path) -> None:
    # a flat BT.601 (the CLI's default for YUV input) limited-range colour
    w, h = 16, 8
    yuv = bytes([96] * (w * h) + [128] * (w * h // 4) + [192] * (w * h // 4))
    options = ["--size", f"{w}x{h}", "--pix-fmt", "yuv420p", "--fps", "10", "-q"]
    for name in ("y.gif", "y.png"):
        out = tmp_path / name
        done = subprocess.run(
            [sys.executable, "-m", "framesink", "encode", str(out), *options],
            input=yuv,
            capture_output=True,
            check=False,
        )
        assert done.returncode == 0, done.stderr.decode()
        rgb = decode_rgb(out)
        assert rgb.shape == (1, h, w, 3)
        # BT.601: R = 1.164 (Y-16) + 1.596 (Cr-128), G = 1.164 (Y-16) - 0.813 (Cr-128),
        # B = 1.164 (Y-16) (Cb is neutral)
        assert np.abs(rgb.astype(int) - [195, 41, 93]).max() <= 3, (name, rgb[0, 0, 0])


def test_any_codec_through_ffmpeg(tmp_path: Path) -> None:
    frames = smooth_frames(10, 48, 64)
    summary = framesink.write(
        tmp_path / "x.mkv",
        frames,
        fps=25,
        codec="ffmpeg:libx265",
        ffmpeg_args=["-preset", "ultrafast"],
    )
    assert summary.frames == 10
    info = probe(tmp_path / "x.mkv")
    assert (info.codec_name, info.frames) == ("hevc", 10)


def test_ffmpeg_failure_names_the_encoder_and_status(tmp_path: Path) -> None:
    with pytest.raises(framesink.EncoderError, match=r"no_such_enc(.|\n)*exit status"):
        framesink.write(
            tmp_path / "x.mkv", np.zeros((3, 16, 16), np.uint8), codec="ffmpeg:no_such_enc"
        )
