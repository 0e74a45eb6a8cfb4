"""PSNR of a movie against raw rgb24 source frames, decoded by Debian's ffmpeg.

Mean over frames of the per-frame RGB PSNR, as in ../shared/bench/baseline.md.
Usage: python bench/psnr.py MOVIE SOURCE.rgb WIDTH HEIGHT
"""
from __future__ import annotations

import subprocess
import sys

import numpy as np


def decode_rgb(path: str, width: int, height: int) -> np.ndarray:
    raw = subprocess.run(
        ["ffmpeg", "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", "rgb24", "-"],
        check=True, capture_output=True,
    ).stdout
    return np.frombuffer(raw, np.uint8).reshape(-1, height, width, 3)


def psnr(decoded: np.ndarray, source: np.ndarray) -> float:
    if decoded.shape != source.shape:
        raise ValueError(f"decoded {decoded.shape} != source {source.shape}")
    values = []
    for a, b in zip(decoded, source):
        mse = np.mean((a.astype(np.float64) - b.astype(np.float64)) ** 2)
        values.append(100.0 if mse == 0 else 10 * np.log10(255.0**2 / mse))
    return float(np.mean(values))


if __name__ == "__main__":
    movie, src, w, h = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
    source = np.fromfile(src, np.uint8).reshape(-1, h, w, 3)
    print(f"{psnr(decode_rgb(movie, w, h), source):.2f}")
