"""More than 8 bits: uint16 frames kept whole in .png/.apng (decoded back by
Debian's ffmpeg), bit_depth= and lossless= on every front, refused where an
output cannot keep them, and a BitsLostWarning when bits are rounded unasked."""

from __future__ import annotations

import io
import subprocess
import warnings
from pathlib import Path
from typing import Any

import framesink
import numpy as np
import pytest
from _media import FFMPEG, probe
from framesink import BitsLostWarning, InvalidConfigError, InvalidFrameError, InvalidTypeError

_PIX_FMT = {1: "gray16le", 3: "rgb48le", 4: "rgba64le"}
_COLOUR_TYPE = {1: 0, 3: 2, 4: 6}


def camera(n: int, height: int, width: int, channels: int, top: int, seed: int = 0) -> np.ndarray:
    """``n`` camera-like uint16 frames with values 0..top: a gradient, a bright disc
    that moves three pixels a frame, and sensor noise (so every frame differs)."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width]
    frames = []
    for t in range(n):
        base = (x * (top // 2) // width).astype(np.int64)
        base[(x - 4 - 3 * t) ** 2 + (y - height // 2) ** 2 < 36] = top * 9 // 10
        planes = [base + rng.integers(0, 64, size=base.shape) for _ in range(channels)]
        frame = np.stack(planes, axis=-1) if channels > 1 else planes[0]
        frames.append(np.clip(frame, 0, top).astype(np.uint16))
    return np.stack(frames)


def decode16(path: Path, channels: int, shape: tuple[int, ...]) -> np.ndarray:
    args = ["-f", "rawvideo", "-pix_fmt", _PIX_FMT[channels], "-fps_mode", "passthrough", "-"]
    raw = subprocess.run(
        [FFMPEG, "-v", "error", "-i", str(path), *args], capture_output=True, check=True
    ).stdout
    return np.frombuffer(raw, "<u2").reshape(shape)


def ihdr(path: Path) -> tuple[int, int]:
    """The file's IHDR bit depth and colour type."""
    data = path.read_bytes()
    assert data[12:16] == b"IHDR"
    return data[24], data[25]


@pytest.mark.parametrize("channels", [1, 3, 4])
@pytest.mark.parametrize(
    ("top", "options"),
    [(4095, {}), (4095, {"lossless": True}), (65535, {"bit_depth": 16, "lossless": True})],
)
def test_twelve_and_sixteen_bit_frames_come_back_exactly(
    tmp_path: Path, channels: int, top: int, options: dict[str, Any]
) -> None:
    frames = camera(6, 24, 40, channels, top, seed=channels)
    assert not np.array_equal(frames[0], frames[1])
    path = tmp_path / "deep.apng"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no warning: nothing is lost
        summary = framesink.write(path, frames, fps=10, **options)
    assert (summary.codec, summary.frames, summary.bit_depth) == ("png", 6, 16)
    assert ihdr(path) == (16, _COLOUR_TYPE[channels])
    assert probe(path).frames == 6
    decoded = decode16(path, channels, frames.shape)
    for i in range(len(frames)):
        assert np.array_equal(decoded[i], frames[i]), f"frame {i} differs"


def test_writer_and_imageio_keep_sixteen_bits(tmp_path: Path) -> None:
    frames = camera(3, 16, 24, 3, 4095)
    with framesink.Writer(tmp_path / "w.png", fps=5, lossless=True) as w:
        for f in frames:
            w.write(f)
    assert np.array_equal(decode16(tmp_path / "w.png", 3, frames.shape), frames)

    import imageio.v3 as iio

    iio.imwrite(tmp_path / "i.apng", frames, plugin="framesink", fps=5, bit_depth=16)
    assert ihdr(tmp_path / "i.apng") == (16, 2)
    assert np.array_equal(decode16(tmp_path / "i.apng", 3, frames.shape), frames)


def test_eight_bit_frames_at_bit_depth_16_are_widened_exactly(tmp_path: Path) -> None:
    frames = np.random.default_rng(1).integers(0, 256, size=(2, 8, 10), dtype=np.uint8)
    framesink.write(tmp_path / "w.png", frames, fps=5, bit_depth=16)
    assert ihdr(tmp_path / "w.png") == (16, 0)
    assert np.array_equal(decode16(tmp_path / "w.png", 1, frames.shape), frames * np.uint16(257))


def test_eight_bit_frames_with_lossless_stay_eight_bit(tmp_path: Path) -> None:
    frames = np.random.default_rng(2).integers(0, 256, size=(3, 8, 10, 3), dtype=np.uint8)
    summary = framesink.write(tmp_path / "e.apng", frames, fps=5, lossless=True)
    assert ihdr(tmp_path / "e.apng") == (8, 2)
    assert summary.bit_depth == 8


def test_rounding_sixteen_bits_unasked_warns_once(tmp_path: Path) -> None:
    frames = camera(4, 32, 32, 3, 65535)
    with pytest.warns(BitsLostWarning) as caught:
        framesink.write(tmp_path / "w.mp4", frames, fps=10)
    lost = [w for w in caught if issubclass(w.category, BitsLostWarning)]
    assert len(lost) == 1
    message = str(lost[0].message)
    assert "16-bit" in message and "h264" in message and ".png/.apng" in message
    assert issubclass(BitsLostWarning, framesink.FramesinkWarning)
    assert issubclass(BitsLostWarning, UserWarning)
    # asked for 8 bits: no warning
    with warnings.catch_warnings():
        warnings.simplefilter("error", BitsLostWarning)
        framesink.write(tmp_path / "e.png", frames, fps=10, bit_depth=8)
    assert ihdr(tmp_path / "e.png") == (8, 2)


@pytest.mark.parametrize(("name", "codec"), [("a.mp4", "h264"), ("b.mp4", "av1"), ("c.gif", "gif")])
def test_lossless_and_bit_depth_16_are_refused_by_lossy_outputs(
    tmp_path: Path, name: str, codec: str
) -> None:
    frames = camera(1, 16, 16, 1, 4095)
    with pytest.raises(InvalidConfigError, match=rf"lossless.*{codec}.*\.png/\.apng"):
        framesink.write(tmp_path / name, frames, fps=10, codec=codec, lossless=True)
    with pytest.raises(InvalidConfigError, match=rf"bit_depth 16.*{codec}.*\.png/\.apng"):
        framesink.write(tmp_path / name, frames, fps=10, codec=codec, bit_depth=16)
    assert not (tmp_path / name).exists()


def test_render_refuses_lossless_before_any_worker(tmp_path: Path) -> None:
    with pytest.raises(InvalidConfigError, match=r"lossless.*h264.*\.png/\.apng"):
        framesink.render(
            tmp_path / "r.mp4", lambda t: np.zeros((16, 16), np.uint8), range(2), lossless=True
        )
    with pytest.raises(InvalidConfigError, match=r"bit_depth 16.*gif"):
        framesink.render(
            tmp_path / "r.gif", lambda t: np.zeros((16, 16), np.uint8), range(2), bit_depth=16
        )


def test_lossless_refuses_a_frame_it_would_round(tmp_path: Path) -> None:
    with framesink.Writer(tmp_path / "a.png", fps=5, lossless=True) as w:
        w.write(np.zeros((8, 8), np.uint8))
        with pytest.raises(InvalidFrameError, match=r"frame 1.*gray16le.*first frame"):
            w.write(np.zeros((8, 8), np.uint16))
        w.write(np.ones((8, 8), np.uint8))
    assert w.close().frames == 2


@pytest.mark.parametrize("value", [10, 12, 0, 32, -8])
def test_bit_depth_out_of_range(tmp_path: Path, value: int) -> None:
    with pytest.raises(InvalidConfigError, match=rf"bit_depth {value}.*8.*16"):
        framesink.write(tmp_path / "a.png", np.zeros((1, 8, 8), np.uint8), bit_depth=value)


@pytest.mark.parametrize(
    ("name", "value"),
    [
        ("bit_depth", "16"),
        ("bit_depth", 16.0),
        ("bit_depth", True),
        ("lossless", 1),
        ("lossless", "yes"),
    ],
)
def test_wrong_types_name_the_parameter(tmp_path: Path, name: str, value: Any) -> None:
    with pytest.raises(InvalidTypeError, match=rf"^{name} .*allowed:"):
        framesink.write(tmp_path / "a.png", np.zeros((1, 8, 8), np.uint8), **{name: value})
    with pytest.raises(TypeError, match=rf"^{name} "):
        framesink.Writer(io.BytesIO(), format="apng", **{name: value})
