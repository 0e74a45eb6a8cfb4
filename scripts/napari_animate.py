"""napari-animation's own ``Animation.animate(..., file_format="framesink")``.

Run by scripts/napari_animation.sh in a venv with napari, napari-animation and
the framesink wheel, no imageio-ffmpeg and no ffmpeg on PATH. It animates a
white square that moves right across 10 time points, 30 frames at 20 fps, to
OUT_DIR/napari.mp4 and OUT_DIR/napari.gif.
"""

from __future__ import annotations

import shutil
import sys
from pathlib import Path

import framesink  # noqa: F401  (registers imageio's "framesink" plugin)
import napari
import numpy as np
from napari_animation import Animation

out = Path(sys.argv[1])
assert shutil.which("ffmpeg") is None, "ffmpeg is on PATH"
try:
    import imageio_ffmpeg  # noqa: F401
except ImportError:
    pass
else:
    raise SystemExit("imageio-ffmpeg is installed: it brings an ffmpeg of its own")

# show=True: with show=False napari's own screenshots come out black here.
viewer = napari.Viewer(show=True)
data = np.zeros((10, 64, 64), np.uint8)
for t in range(10):
    data[t, 10:30, 5 + 5 * t : 25 + 5 * t] = 255
viewer.add_image(data, name="square")
animation = Animation(viewer)
viewer.dims.current_step = (0, 0, 0)
animation.capture_keyframe()
viewer.dims.current_step = (9, 0, 0)
animation.capture_keyframe(steps=29)
for name in ("napari.mp4", "napari.gif"):
    animation.animate(
        str(out / name), fps=20, quality=5, file_format="framesink", canvas_only=True
    )
    assert (out / name).is_file(), (
        f"{name} was not written (napari-animation fell back to PNGs?)"
    )
viewer.close()
