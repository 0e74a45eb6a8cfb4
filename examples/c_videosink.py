"""The question's mencoder VideoSink, rewritten as a tiny class around framesink.Writer.

Was: a subprocess.Popen of mencoder reading raw BGRA frames on stdin
(`-demuxer rawvideo -rawvideo w=...:h=...:fps=...:format=bgra`).
Now: the same run(image)/close() interface, in-process, no mencoder.

Usage: python examples/c_videosink.py [OUT.mp4]   (default: output.mp4)
"""

from __future__ import annotations

import sys

import framesink
import numpy as np


class VideoSink:
    """Takes (height, width, 4) uint8 BGRA images, one per run(); close() finishes the movie."""

    def __init__(self, size: tuple[int, int], filename: str, rate: int = 10) -> None:
        self.size = size
        self.writer = framesink.Writer(filename, fps=rate, channel_order="bgr")

    def run(self, image: np.ndarray) -> None:
        assert image.shape[:2] == self.size, f"{image.shape} is not {self.size}"
        self.writer.write(image)

    def close(self) -> framesink.Summary:
        return self.writer.close()


def main(path: str) -> framesink.Summary:
    height, width = 240, 320
    sink = VideoSink((height, width), filename=path, rate=30)
    y, x = np.mgrid[0:height, 0:width]
    for i in range(60):
        bgra = np.empty((height, width, 4), np.uint8)
        bgra[..., 0] = (x + 4 * i) % 256  # blue: moves right
        bgra[..., 1] = (y + 2 * i) % 256  # green: moves down
        bgra[..., 2] = 128  # red: constant
        bgra[..., 3] = 255  # alpha: dropped
        sink.run(bgra)
    return sink.close()


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "output.mp4"
    s = main(out)
    size = f"{s.width}x{s.height}"
    print(f"{out}: {s.frames} frames, {size}, {s.duration:.2f} s, {s.bytes} bytes")
