"""The question's savefig-to-a-pipe loop, rewritten with writer.saving + grab_frame.

Was:
    p = Popen(["ffmpeg", "-y", "-f", "image2pipe", "-vcodec", "mjpeg", "-r", "24",
               "-i", "-", ..., "video.avi"], stdin=PIPE)
    for i in range(10):
        plt.imshow(np.random.randn(100, 100))
        plt.savefig(p.stdin, format="jpeg")
    p.stdin.close(); p.wait()

Now the figure goes straight into an MP4, in-process: no ffmpeg, no JPEGs.

Usage: python examples/b_savefig_loop.py [OUT.mp4]   (default: video.mp4)
"""

from __future__ import annotations

import os
import sys

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from framesink.matplotlib import FramesinkWriter

matplotlib.use("Agg")


def main(path: str) -> int:
    fig = plt.figure()
    writer = FramesinkWriter(fps=24)
    frames = 0
    with writer.saving(fig, path, dpi=100):
        for _ in range(10):
            plt.clf()
            plt.imshow(np.random.randn(100, 100))
            writer.grab_frame()
            frames += 1
    plt.close(fig)
    return frames


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "video.mp4"
    n = main(out)
    print(f"{out}: {n} frames, 24 fps, {os.path.getsize(out)} bytes")
