"""Faults seen from Python: KeyboardInterrupt keeps every accepted frame in a
finished file, a sink that runs out of space gives a named error and a
playable prefix, and a non-blocking file object that cannot take bytes yet is
waited for, never counted as written."""

from __future__ import annotations

import errno
import io
from collections.abc import Iterator
from pathlib import Path

import framesink
import numpy as np
import pytest
from _media import probe, top_level_boxes


def _frame(t: int) -> np.ndarray:
    y, x = np.mgrid[0:64, 0:96]
    return ((x * 2 + y + 3 * t) % 256).astype(np.uint8)


def test_keyboard_interrupt_inside_writer_leaves_a_finished_file(tmp_path: Path) -> None:
    out = tmp_path / "ctrl_c.mp4"
    with pytest.raises(KeyboardInterrupt):
        with framesink.Writer(out, fps=30, keyframe_interval=30) as w:
            for t in range(200):
                if t == 77:
                    raise KeyboardInterrupt
                w.write(_frame(t))
    boxes = top_level_boxes(out.read_bytes())
    assert boxes[:2] == ["ftyp", "moov"] and "moof" not in boxes, boxes
    assert probe(out).frames == 77


def test_keyboard_interrupt_inside_write_leaves_a_finished_file(tmp_path: Path) -> None:
    out = tmp_path / "ctrl_c_write.mp4"

    def frames() -> Iterator[np.ndarray]:
        for t in range(200):
            if t == 45:
                raise KeyboardInterrupt
            yield _frame(t)

    with pytest.raises(KeyboardInterrupt):
        framesink.write(out, frames(), fps=30)
    assert "moof" not in top_level_boxes(out.read_bytes())
    assert probe(out).frames == 45


class _Full(io.RawIOBase):
    """A write-only sink that fails with ENOSPC after `limit` bytes."""

    def __init__(self, limit: int) -> None:
        self.data = bytearray()
        self.limit = limit

    def writable(self) -> bool:
        return True

    def write(self, b: object) -> int:
        chunk = bytes(b)  # type: ignore[call-overload]
        room = self.limit - len(self.data)
        if room <= 0:
            raise OSError(errno.ENOSPC, "No space left on device")
        self.data += chunk[:room]
        return min(room, len(chunk))


def test_a_sink_out_of_space_gives_a_named_error_and_a_playable_prefix() -> None:
    sink = _Full(200_000)
    with pytest.raises(framesink.FramesinkIOError) as info:
        with framesink.Writer(sink, fps=30, keyframe_interval=15) as w:
            for t in range(600):
                w.write(np.random.default_rng(t).integers(0, 256, (64, 96), np.uint8))
    message = str(info.value)
    assert "No space left on device" in message
    assert "failed after" in message and "bytes" in message, message
    assert len(sink.data) == 200_000
    # Fragments written before the sink filled up decode.
    frames = probe(bytes(sink.data)).frames
    assert 15 <= frames < 600, frames


class _WouldBlock(io.RawIOBase):
    """A non-blocking raw sink: every other write takes nothing (returns None)."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.calls = 0

    def writable(self) -> bool:
        return True

    def write(self, b: object) -> int | None:
        self.calls += 1
        if self.calls % 2:
            return None
        chunk = bytes(b)  # type: ignore[call-overload]
        self.data += chunk[:1000]
        return min(1000, len(chunk))


def test_a_write_that_would_block_is_retried_not_counted() -> None:
    sink = _WouldBlock()
    summary = framesink.write(sink, [_frame(t) for t in range(40)], fps=30)
    assert summary.bytes == len(sink.data)
    assert probe(bytes(sink.data)).frames == 40


def test_a_file_size_limit_gives_efbig_naming_the_bytes_and_a_playable_prefix(
    tmp_path: Path,
) -> None:
    # RLIMIT_FSIZE in a child process: writes past it fail with EFBIG
    # (CPython ignores SIGXFSZ, so the process is not killed).
    import subprocess
    import sys

    out = tmp_path / "limited.mp4"
    code = f"""
import resource, numpy as np, framesink
resource.setrlimit(resource.RLIMIT_FSIZE, (3_000_000, 3_000_000))
rng = np.random.default_rng(1)
frames = (rng.integers(0, 256, (240, 320, 3), np.uint8) for _ in range(10_000))
try:
    framesink.write({str(out)!r}, frames, fps=30, keyframe_interval=15)
except framesink.FramesinkIOError as e:
    print("ERR", e.errno, type(e).__mro__[1:3], e)
else:
    print("NO ERROR")
"""
    run = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=False
    )
    assert run.returncode == 0, run.stderr
    line = run.stdout.strip()
    assert line.startswith("ERR 27 "), line  # EFBIG keeps its errno
    assert "File too large" in line and "bytes" in line and str(out) in line, line
    size = out.stat().st_size
    assert 0 < size <= 3_000_000
    # The fragments written before the limit decode, and nothing after them
    # is broken: the cut fragment was turned into a `free` box.
    # (noise at 320x240: about 1 MB a fragment of 15 frames; 2 fit.)
    decoded = probe(out).frames
    assert decoded >= 15 and decoded % 15 == 0, decoded
    assert top_level_boxes(out.read_bytes())[-1] == "free"
    check = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", str(out), "-f", "null", "-"],
        capture_output=True,
        text=True,
        check=False,
    )
    assert check.returncode == 0 and check.stderr == "", check.stderr
