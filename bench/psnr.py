"""PSNR of a movie against raw rgb24 source frames, decoded by Debian's ffmpeg.

Mean over frames of the per-frame RGB PSNR, as in ../shared/bench/baseline.md.
Usage: python bench/psnr.py MOVIE SOURCE.rgb WIDTH HEIGHT
"""

from __future__ import annotations

import subprocess
import sys
from collections.abc import Callable, Iterator

import numpy as np

FFMPEG = "/usr/bin/ffmpeg"


def decode_rgb(path: str, width: int, height: int) -> np.ndarray:
    raw = subprocess.run(
        [FFMPEG, "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        check=True,
        capture_output=True,
    ).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, height, width, 3)


def decode_frames(
    path: str, width: int, height: int, fit: str | None = None
) -> Iterator[np.ndarray]:
    """Decoded rgb24 frames one at a time (constant memory).

    ``fit``: for a movie of another size, ``"scale"`` scales the decoded picture
    to width x height (ffmpeg's default bicubic), for tools that resized it;
    ``"crop"`` keeps its top-left width x height, for padded movies (framesink
    pads by repeating the edge).
    """
    cmd = [FFMPEG, "-v", "error", "-nostdin", "-i", path]
    if fit == "scale":
        cmd += ["-vf", f"scale={width}:{height}"]
    elif fit == "crop":
        cmd += ["-vf", f"crop={width}:{height}:0:0"]
    cmd += ["-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
    size = width * height * 3
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    assert proc.stdout is not None and proc.stderr is not None
    try:
        while True:
            buf = proc.stdout.read(size)
            if len(buf) < size:
                break
            yield np.frombuffer(buf, np.uint8).reshape(height, width, 3)
    finally:
        proc.stdout.close()
        err = proc.stderr.read().decode(errors="replace")
        proc.stderr.close()
        if proc.wait() != 0:
            raise RuntimeError(f"ffmpeg could not decode {path}: {err.strip()[-500:]}")


def frame_psnr(a: np.ndarray, b: np.ndarray) -> float:
    """RGB PSNR of one frame in dB; 100 for identical frames."""
    d = a.astype(np.int32) - b.astype(np.int32)
    mse = float(np.mean(d * d))
    return 100.0 if mse == 0 else float(10 * np.log10(255.0**2 / mse))


def psnr(decoded: np.ndarray, source: np.ndarray) -> float:
    if decoded.shape != source.shape:
        raise ValueError(f"decoded {decoded.shape} != source {source.shape}")
    return float(np.mean([frame_psnr(a, b) for a, b in zip(decoded, source)]))


def psnr_stream(
    path: str,
    source: Callable[[int], np.ndarray],
    count: int,
    width: int,
    height: int,
    fit: str | None = None,
) -> tuple[float, int]:
    """(mean per-frame PSNR, frames decoded) of a movie against ``source(i)``, i < count.

    Frames decoded beyond ``count`` are counted but not compared.
    """
    values = []
    decoded = 0
    for i, frame in enumerate(decode_frames(path, width, height, fit)):
        decoded += 1
        if i < count:
            values.append(frame_psnr(frame, source(i)))
    if not values:
        raise RuntimeError(f"{path}: no frame decoded")
    return float(np.mean(values)), decoded


if __name__ == "__main__":
    movie, src, w, h = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    source = np.fromfile(src, np.uint8).reshape(-1, h, w, 3)
    print(f"{psnr(decode_rgb(movie, w, h), source):.2f}")
