"""The question's FuncAnimation, saved with framesink instead of ffmpeg.

300 random 300x300 gray frames shown with imshow (cmap gray) in a 5x5 inch
figure at 100 dpi, saved at 30 fps to an MP4: no ffmpeg, no PNG files.

Usage: python examples/a_funcanimation.py [OUT.mp4]   (default: demo.mp4)
"""

from __future__ import annotations

import os
import sys

import framesink  # noqa: F401  (importing framesink registers writer="framesink")
import matplotlib
import matplotlib.pyplot as plt
import numpy as np
from matplotlib import animation
from matplotlib.image import AxesImage

matplotlib.use("Agg")

DPI = 100


def ani_frame(path: str) -> int:
    fig = plt.figure()
    ax = fig.add_subplot(111)
    ax.get_xaxis().set_visible(False)
    ax.get_yaxis().set_visible(False)

    rng = np.random.default_rng(0)
    im = ax.imshow(rng.random((300, 300)), cmap="gray", interpolation="nearest")
    im.set_clim((0, 1))
    fig.set_size_inches((5, 5))
    fig.tight_layout()

    def update_img(n: int) -> list[AxesImage]:
        im.set_data(rng.random((300, 300)))
        return [im]

    ani = animation.FuncAnimation(fig, update_img, 300, interval=30)
    saved = []
    # was: writer = animation.writers["ffmpeg"](fps=30)
    ani.save(
        path,
        writer="framesink",
        fps=30,
        dpi=DPI,
        progress_callback=lambda i, n: saved.append(i),
    )
    plt.close(fig)
    return len(saved)


if __name__ == "__main__":
    out = sys.argv[1] if len(sys.argv) > 1 else "demo.mp4"
    frames = ani_frame(out)
    print(f"{out}: {frames} frames, 500x500, 30 fps, {os.path.getsize(out)} bytes")
