"""16-bit lossless APNG: bytes and encode speed against the raw frames.

Frames come from /work/shared/bench/frames.py (as bench/read.py's do), made
deep in two ways:

- smooth: frames.smooth scaled to 12 bits (v * 4095 / 255) plus camera-like
  sensor noise (Gaussian, sigma 2 LSB): what a 12-bit camera or a simulation
  stored in uint16 gives;
- noisy: frames.noise scaled to 16 bits with a random low byte: incompressible,
  the worst case.

Each is written by framesink.write as RGB48 (H, W, 3 uint16) and as gray16
(the first channel) to .apng with lossless=True, and decoded back by ffmpeg to
check that every sample came back (the run stops otherwise). For scale, the
same frames rounded to 8 bits are written as an 8-bit APNG. Each encode is
timed in this process (frames already in memory), the median of --reps.

    python3 bench/bits.py                       # 60 frames of 640x360, 5 reps
    python3 bench/bits.py --frames 5 --reps 1   # a smoke test
"""

from __future__ import annotations

import argparse
import datetime
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

FRAMES_DIR = Path("/work/shared/bench")
FFMPEG = "/usr/bin/ffmpeg"
FPS = 30


def deep_frames(kind: str, n: int, h: int, w: int) -> np.ndarray:
    """(n, h, w, 3) uint16 frames of ``kind`` ('smooth' or 'noisy')."""
    sys.path.insert(0, str(FRAMES_DIR))
    import frames  # type: ignore[import-not-found]

    rng = np.random.default_rng(12)
    if kind == "smooth":
        base = frames.smooth(n, h, w).astype(np.float32) * (4095 / 255)
        noisy = base + rng.normal(0.0, 2.0, size=base.shape).astype(np.float32)
        return np.clip(np.rint(noisy), 0, 4095).astype(np.uint16)
    high = frames.noise(n, h, w).astype(np.uint16) << 8
    return high | rng.integers(0, 256, size=high.shape, dtype=np.uint16)


def decode16(path: str, pix_fmt: str) -> np.ndarray:
    raw = subprocess.run(
        [FFMPEG, "-v", "error", "-i", path, "-f", "rawvideo", "-pix_fmt", pix_fmt, "-"],
        capture_output=True,
        check=True,
    ).stdout
    return np.frombuffer(raw, "<u2")


def timed_write(path: str, frames: np.ndarray, reps: int, **options: object) -> list[float]:
    import framesink

    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        framesink.write(path, frames, fps=FPS, **options)
        times.append(time.perf_counter() - t0)
    return times


def main() -> None:
    ap = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    ap.add_argument("--frames", type=int, default=60)
    ap.add_argument("--size", default="640x360")
    ap.add_argument("--reps", type=int, default=5)
    ap.add_argument("--out", type=Path, help="write the Markdown table here too")
    args = ap.parse_args()
    w, h = (int(v) for v in args.size.split("x"))
    import framesink

    rows = []
    load_before = os.getloadavg()
    with tempfile.TemporaryDirectory(prefix="framesink-bits-") as tmp:
        for kind in ("smooth", "noisy"):
            rgb = deep_frames(kind, args.frames, h, w)
            cases = [
                ("rgb48, 16-bit APNG", rgb, "rgb48le", {"lossless": True}),
                (
                    "gray16, 16-bit APNG",
                    np.ascontiguousarray(rgb[..., 0]),
                    "gray16le",
                    {"lossless": True},
                ),
            ]
            for name, frames, pix_fmt, options in cases:
                path = os.path.join(tmp, f"{kind}-{pix_fmt}.apng")
                times = timed_write(path, frames, args.reps, **options)
                decoded = decode16(path, pix_fmt)
                if not np.array_equal(decoded, frames.reshape(-1)):
                    raise SystemExit(f"{kind} {name}: ffmpeg did not decode the input back")
                rows.append((kind, name, frames.nbytes, os.path.getsize(path), times))
            eight = ((rgb.astype(np.uint32) * 255 + 32767) // 65535).astype(np.uint8)
            if kind == "smooth":  # 12-bit values: round from 4095, not 65535
                eight = ((rgb.astype(np.uint32) * 255 + 2047) // 4095).astype(np.uint8)
            path = os.path.join(tmp, f"{kind}-rgb24.apng")
            times = timed_write(path, eight, args.reps)
            rows.append(
                (kind, "rgb24 (rounded), 8-bit APNG", eight.nbytes, os.path.getsize(path), times)
            )
    load = os.getloadavg()
    lines = [
        f"# 16-bit lossless APNG ({datetime.date.today()})",
        "",
        (
            f"{args.frames} frames of {w}x{h}, {args.reps} reps, median encode fps "
            f"[min-max] of framesink.write (frames in memory); framesink "
            f"{framesink.__version__}; {platform.machine()}, {os.cpu_count()} cores, "
            f"load average before {load_before[0]:.2f} {load_before[1]:.2f} "
            f"{load_before[2]:.2f}, after {load[0]:.2f} {load[1]:.2f} {load[2]:.2f}. Every "
            "16-bit file was decoded by ffmpeg back to exactly its input."
        ),
        "",
        "| content | output | raw MB | file MB | file / raw | fps |",
        "|---|---|---|---|---|---|",
    ]
    for kind, name, raw, size, times in rows:
        fps = [args.frames / t for t in times]
        lines.append(
            f"| {kind} | {name} | {raw / 1e6:.2f} | {size / 1e6:.2f} | {size / raw:.3f} | "
            f"{statistics.median(fps):.1f} [{min(fps):.1f}-{max(fps):.1f}] |"
        )
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        args.out.write_text(text)


if __name__ == "__main__":
    main()
