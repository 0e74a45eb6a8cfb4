"""Test helpers: ffprobe/ffmpeg wrappers, PSNR, deterministic smooth content.

ffmpeg and ffprobe are only used to *check* what framesink wrote; their paths
are resolved once here, so tests may hide them from PATH while framesink runs.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Callable, Union

import numpy as np

FFMPEG: str = shutil.which("ffmpeg") or "/usr/bin/ffmpeg"
FFPROBE: str = shutil.which("ffprobe") or "/usr/bin/ffprobe"

Media = Union[str, "os.PathLike[str]", bytes]


@contextmanager
def _as_path(media: Media) -> Iterator[str]:
    """A file path for `media`: itself, or a temporary file holding the bytes."""
    if isinstance(media, (bytes, bytearray)):
        fd, name = tempfile.mkstemp(suffix=".mp4", prefix="framesink-test-")
        try:
            with os.fdopen(fd, "wb") as f:
                f.write(media)
            yield name
        finally:
            os.unlink(name)
    else:
        yield os.fspath(media)


def _run(args: list[str]) -> bytes:
    result = subprocess.run(args, capture_output=True, check=False)
    if result.returncode != 0:
        raise AssertionError(
            f"{' '.join(args)} failed ({result.returncode}): "
            f"{result.stderr.decode(errors='replace')[-2000:]}"
        )
    return result.stdout


@dataclass(frozen=True)
class StreamInfo:
    """What ffprobe says about the first video stream (and the container)."""

    codec_name: str
    profile: str
    width: int
    height: int
    pix_fmt: str
    r_frame_rate: str
    avg_frame_rate: str
    color_range: str
    color_space: str
    color_transfer: str
    color_primaries: str
    frames: int  # decoded frames, from -count_frames
    duration: float  # container duration, seconds
    format_name: str


def probe(media: Media) -> StreamInfo:
    """ffprobe with -count_frames: every frame is decoded and counted."""
    with _as_path(media) as path:
        out = _run(
            [
                FFPROBE,
                "-v",
                "error",
                "-count_frames",
                "-select_streams",
                "v:0",
                "-show_entries",
                "stream=codec_name,profile,width,height,pix_fmt,r_frame_rate,avg_frame_rate,"
                "color_range,color_space,color_transfer,color_primaries,nb_read_frames"
                ":format=duration,format_name",
                "-of",
                "json",
                path,
            ]
        )
    data: dict[str, Any] = json.loads(out)
    streams = data.get("streams") or []
    assert streams, f"ffprobe found no video stream: {data}"
    s = streams[0]
    fmt = data.get("format", {})
    return StreamInfo(
        codec_name=s.get("codec_name", ""),
        profile=s.get("profile", ""),
        width=int(s["width"]),
        height=int(s["height"]),
        pix_fmt=s.get("pix_fmt", ""),
        r_frame_rate=s.get("r_frame_rate", ""),
        avg_frame_rate=s.get("avg_frame_rate", ""),
        color_range=s.get("color_range", ""),
        color_space=s.get("color_space", ""),
        color_transfer=s.get("color_transfer", ""),
        color_primaries=s.get("color_primaries", ""),
        frames=int(s.get("nb_read_frames", 0)),
        duration=float(fmt.get("duration", "nan")),
        format_name=fmt.get("format_name", ""),
    )


def frame_times(media: Media) -> list[float]:
    """Presentation time (seconds) of every decoded frame, in display order."""
    with _as_path(media) as path:
        out = _run(
            [
                FFPROBE,
                "-v",
                "error",
                "-select_streams",
                "v:0",
                "-show_entries",
                "frame=best_effort_timestamp_time",
                "-of",
                "json",
                path,
            ]
        )
    frames = json.loads(out).get("frames", [])
    return [float(f["best_effort_timestamp_time"]) for f in frames]


def _decode_raw(
    media: Media, pix_fmt: str, frame_bytes: Callable[[int, int], int], args: list[str]
) -> tuple[np.ndarray, int, int]:
    """Every frame decoded by ffmpeg to raw `pix_fmt`: (N, bytes a frame), width, height."""
    with _as_path(media) as path:
        width, height = _size(path)
        raw = _run(
            [
                FFMPEG,
                "-v",
                "error",
                "-i",
                path,
                *args,
                "-f",
                "rawvideo",
                "-pix_fmt",
                pix_fmt,
                "-fps_mode",
                "passthrough",
                "-",
            ]
        )
    size = frame_bytes(width, height)
    assert len(raw) % size == 0, f"{len(raw)} bytes is not a whole number of frames"
    return np.frombuffer(raw, np.uint8).reshape(-1, size), width, height


def decode_rgb(media: Media, limit: int | None = None) -> np.ndarray:
    """Every frame (or the first `limit`) decoded by ffmpeg to rgb24: (N, H, W, 3) uint8.

    ffmpeg converts with the stream's own tags (BT.709, limited range), so a
    correctly tagged movie decodes to the colours that were written; chroma is
    interpolated (bicubic, accurate rounding) rather than ffmpeg's fast default,
    so the measurement reflects the movie rather than the converter.
    """
    frames, width, height = _decode_raw(
        media,
        "rgb24",
        lambda w, h: w * h * 3,
        [
            "-vf",
            "scale=flags=bicubic+accurate_rnd+full_chroma_int",
            *([] if limit is None else ["-frames:v", str(limit)]),
        ],
    )
    return frames.reshape(-1, height, width, 3)


def decode_luma(media: Media) -> np.ndarray:
    """The Y plane of every frame as ffmpeg decodes it, untouched: (N, H, W) uint8.

    No colour conversion and no chroma interpolation (both of which mix a pixel
    with its neighbours): what the stream holds, for checks of single pixels.
    The stream's own yuv420p is copied, not converted.
    """
    frames, width, height = _decode_raw(
        media, "yuv420p", lambda w, h: w * h + 2 * ((w + 1) // 2) * ((h + 1) // 2), []
    )
    return frames[:, : width * height].reshape(-1, height, width)


def framemd5(media: Media) -> list[str]:
    """The md5 of every decoded frame of the first video stream, in order (ffmpeg's
    framemd5, in the stream's own pixel format: exact, no colour conversion)."""
    with _as_path(media) as path:
        out = _run(
            [
                FFMPEG,
                "-v",
                "error",
                "-i",
                path,
                "-map",
                "0:v:0",
                "-fps_mode",
                "passthrough",
                "-f",
                "framemd5",
                "-",
            ]
        )
    return [
        line.rsplit(",", 1)[1].strip()
        for line in out.decode().splitlines()
        if line.strip() and not line.startswith("#")
    ]


def _size(path: str) -> tuple[int, int]:
    """(width, height) of the first video stream, without decoding it."""
    out = _run(
        [
            FFPROBE,
            "-v",
            "error",
            "-select_streams",
            "v:0",
            "-show_entries",
            "stream=width,height",
            "-of",
            "json",
            path,
        ]
    )
    stream = json.loads(out)["streams"][0]
    return int(stream["width"]), int(stream["height"])


def psnr(decoded: np.ndarray, source: np.ndarray) -> float:
    """Mean over frames of the per-frame PSNR (dB) of 8-bit pictures."""
    assert decoded.shape == source.shape, f"decoded {decoded.shape} != source {source.shape}"
    a = decoded.reshape(decoded.shape[0], -1).astype(np.float64)
    b = source.reshape(source.shape[0], -1).astype(np.float64)
    mse = np.mean((a - b) ** 2, axis=1)
    per_frame = np.where(mse == 0, 100.0, 10.0 * np.log10(255.0**2 / np.maximum(mse, 1e-12)))
    return float(np.mean(per_frame))


def smooth_frames(n: int, height: int, width: int, seed: int = 0) -> np.ndarray:
    """(n, height, width, 3) uint8 frames: moving colour gradients and a moving disc.

    Deterministic for a given seed; smooth enough that H.264 at default quality
    reproduces it closely (the disc's edge is soft, the chroma changes slowly).
    """
    rng = np.random.default_rng(seed)
    phase = rng.uniform(0.0, 2.0 * np.pi, size=3)
    y = np.linspace(0.0, 1.0, height, dtype=np.float64)[:, None]
    x = np.linspace(0.0, 1.0, width, dtype=np.float64)[None, :]
    out = np.empty((n, height, width, 3), np.uint8)
    radius = 0.2 * min(height, width)
    for t in range(n):
        s = t / max(n, 1)
        r = 0.5 + 0.3 * np.sin(2.0 * np.pi * (x + s) + phase[0]) * np.ones_like(y)
        g = 0.5 + 0.3 * np.cos(2.0 * np.pi * (y - s) + phase[1]) * np.ones_like(x)
        b = 0.5 + 0.3 * np.sin(np.pi * (x + y + 2 * s) + phase[2])
        cy = height * (0.5 + 0.25 * np.sin(2 * np.pi * s))
        cx = width * (0.5 + 0.25 * np.cos(2 * np.pi * s))
        dist = np.hypot((y * (height - 1) - cy), (x * (width - 1) - cx))
        disc = np.clip((radius - dist) / 3.0, 0.0, 1.0)  # 1 inside, 3-pixel soft edge
        rgb = np.stack([r, g, b], axis=-1)
        rgb = rgb * (1 - disc[..., None]) + np.array([0.9, 0.85, 0.4]) * disc[..., None]
        out[t] = np.round(np.clip(rgb, 0.0, 1.0) * 255.0).astype(np.uint8)
    return out


def top_level_boxes(data: bytes) -> list[str]:
    """The types of the top-level MP4 boxes, in file order."""
    boxes: list[str] = []
    pos = 0
    while pos + 8 <= len(data):
        size = int.from_bytes(data[pos : pos + 4], "big")
        kind = data[pos + 4 : pos + 8].decode("latin-1")
        if size == 1:
            size = int.from_bytes(data[pos + 8 : pos + 16], "big")
        elif size == 0:
            size = len(data) - pos
        assert size >= 8, f"bad box size {size} at {pos}"
        boxes.append(kind)
        pos += size
    return boxes


def path_without(*programs: str) -> str:
    """A PATH made of the current PATH's directories that hold none of `programs`."""
    keep = []
    for entry in os.environ.get("PATH", "").split(os.pathsep):
        if entry and not any((Path(entry) / p).exists() for p in programs):
            keep.append(entry)
    return os.pathsep.join(keep)
