"""framesink's movies play in a browser: Debian's Chromium, headless.

Each movie is loaded in a <video>, seeked, drawn to a canvas and a pixel read
back: the browser must find it ready and seekable, at its size and duration,
with the colours that went in.
"""

from __future__ import annotations

import html
import json
import re
import shutil
import subprocess
import warnings
from pathlib import Path
from typing import Any

import framesink
import numpy as np
import pytest

PAGE = """<!doctype html><html><body>
<video id="v" muted preload="auto" src="{src}"></video><canvas id="c"></canvas>
<pre id="out">pending</pre>
<script>
const v = document.getElementById('v'), out = document.getElementById('out');
v.addEventListener('error', () => {{ out.textContent = 'error ' + (v.error && v.error.code); }});
v.addEventListener('loadeddata', () => {{ v.currentTime = {seek}; }});
v.addEventListener('seeked', () => {{
  const c = document.getElementById('c');
  c.width = v.videoWidth; c.height = v.videoHeight;
  const g = c.getContext('2d'); g.drawImage(v, 0, 0);
  const px = Array.from(g.getImageData({x}, {y}, 1, 1).data);
  out.textContent = JSON.stringify({{w: v.videoWidth, h: v.videoHeight, duration: v.duration,
    seekable: v.seekable.length ? v.seekable.end(0) : 0, ready: v.readyState, px: px}});
}});
</script></body></html>"""


def chromium() -> str:
    for name in ("chromium", "chromium-browser", "google-chrome"):
        path = shutil.which(name)
        if path:
            return path
    raise AssertionError("no Chromium: scripts/setup.sh installs Debian's chromium")


def play(tmp_path: Path, movie: Path, x: int, y: int, seek: float) -> dict[str, Any]:
    page = tmp_path / "page.html"
    page.write_text(PAGE.format(src=movie.name, seek=seek, x=x, y=y))
    return _result(page)


def _result(page: Path) -> dict[str, Any]:
    """What `page` writes into its <pre id="out">, as JSON."""
    # Headless Chromium may dump the page before the media pipeline has
    # answered ("pending": it runs on real time, the page on virtual time);
    # ask again then. An error or a wrong result is never retried.
    for _ in range(8):
        text = _dump(page)
        if text != "pending":
            break
    assert text.startswith("{"), f"Chromium says: {text}"
    return json.loads(text)  # type: ignore[no-any-return]


def _dump(page: Path) -> str:
    result = subprocess.run(
        [
            chromium(),
            "--headless",
            "--no-sandbox",
            "--disable-gpu",
            "--allow-file-access-from-files",
            "--virtual-time-budget=20000",
            "--dump-dom",
            page.as_uri(),
        ],
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    found = re.search(r'<pre id="out">(.*?)</pre>', result.stdout, re.S)
    assert found, f"no result from Chromium: {result.stdout[-500:]} {result.stderr[-1500:]}"
    return html.unescape(found.group(1))


COLOUR = (200, 40, 90)


def frames(n: int, h: int, w: int) -> np.ndarray:
    f = np.zeros((n, h, w, 3), np.uint8)
    f[..., 2] = np.linspace(0, 255, w, dtype=np.uint8)  # a gradient on the right
    f[:, : h // 2, : w // 2] = COLOUR  # a flat patch top-left
    return f


def write_warned(movie: Path, h: int, w: int, padded: bool, **options: Any) -> None:
    """framesink.write of 45 frames, which warns once that it padded them if `padded`."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        framesink.write(movie, frames(45, h, w), fps=30, **options)
    said = [str(c.message) for c in caught]
    want = 1 if padded else 0
    assert len(said) == want and all("padded" in m and f"{w}x{h}" in m for m in said), said


@pytest.mark.parametrize("size", [(96, 128), (91, 125)])  # even, and odd (padded)
def test_h264_mp4_plays_in_chromium(tmp_path: Path, size: tuple[int, int]) -> None:
    h, w = size
    movie = tmp_path / "movie.mp4"
    write_warned(movie, h, w, padded=w % 2 == 1 or h % 2 == 1)
    got = play(tmp_path, movie, x=w // 4, y=h // 4, seek=1.0)
    assert (got["w"], got["h"]) == (w + w % 2, h + h % 2)
    assert got["ready"] >= 2
    assert abs(got["duration"] - 1.5) < 1e-3
    assert got["seekable"] >= 1.4
    assert all(abs(a - b) <= 6 for a, b in zip(got["px"][:3], COLOUR)), got["px"]


# even, and odd (the height coded as it is, the width padded to a multiple of 8)
@pytest.mark.parametrize("size", [(96, 128), (91, 125)])
def test_av1_mp4_plays_in_chromium(tmp_path: Path, size: tuple[int, int]) -> None:
    h, w = size
    movie = tmp_path / "movie.mp4"
    write_warned(movie, h, w, padded=w % 8 != 0, codec="av1")
    got = play(tmp_path, movie, x=w // 4, y=h // 4, seek=1.0)
    assert (got["w"], got["h"]) == (-(-w // 8) * 8, h)
    assert got["ready"] >= 2
    assert abs(got["duration"] - 1.5) < 1e-3
    assert got["seekable"] >= 1.4
    assert all(abs(a - b) <= 6 for a, b in zip(got["px"][:3], COLOUR)), got["px"]


def test_fragmented_stream_plays_in_chromium(tmp_path: Path) -> None:
    class Pipe:
        def __init__(self, f: Any) -> None:
            self.f = f

        def write(self, b: bytes) -> int:
            return int(self.f.write(b))

        def flush(self) -> None:
            self.f.flush()

        def seekable(self) -> bool:
            return False

        def readable(self) -> bool:
            return False

    movie = tmp_path / "live.mp4"
    with movie.open("wb") as f:
        framesink.write(Pipe(f), frames(60, 64, 64), fps=30, format="mp4")
    got = play(tmp_path, movie, x=8, y=8, seek=1.5)
    assert (got["w"], got["h"]) == (64, 64)
    assert all(abs(a - b) <= 6 for a, b in zip(got["px"][:3], COLOUR)), got["px"]


# Chromium's own image decoder (WebCodecs ImageDecoder): every frame of a GIF, and
# how long it shows, as the browser will play it.
GIF_PAGE = """<!doctype html><html><body><canvas id="c"></canvas><pre id="out">pending</pre>
<script>
const out = document.getElementById('out');
const xhr = new XMLHttpRequest();
xhr.open('GET', '{src}');
xhr.responseType = 'arraybuffer';
xhr.onerror = () => {{ out.textContent = 'error loading {src}'; }};
xhr.onload = async () => {{
  try {{
    const d = new ImageDecoder({{data: xhr.response, type: 'image/gif'}});
    await d.tracks.ready;
    await d.completed;
    const track = d.tracks.selectedTrack, durations = [];
    // Every frame asked for at once: one wait, not one a frame (headless
    // Chromium's virtual time runs on while the decoder works).
    const all = await Promise.all(Array.from({{length: track.frameCount}},
      (_, i) => d.decode({{frameIndex: i}})));
    let px = null, w = 0, h = 0;
    for (let i = 0; i < track.frameCount; i++) {{
      const r = all[i];
      durations.push(r.image.duration);
      if (i === 0) {{
        const c = document.getElementById('c');
        w = c.width = r.image.displayWidth; h = c.height = r.image.displayHeight;
        const g = c.getContext('2d'); g.drawImage(r.image, 0, 0);
        px = Array.from(g.getImageData({x}, {y}, 1, 1).data);
      }}
      r.image.close();
    }}
    out.textContent = JSON.stringify({{frames: track.frameCount, w: w, h: h, px: px,
      loops: track.repetitionCount === Infinity ? 'forever' : track.repetitionCount,
      durations: durations}});
  }} catch (e) {{ out.textContent = 'error ' + e; }}
}};
xhr.send();
</script></body></html>"""


def decode_gif(tmp_path: Path, gif: Path, x: int, y: int) -> dict[str, Any]:
    page = tmp_path / "gif.html"
    page.write_text(GIF_PAGE.format(src=gif.name, x=x, y=y))
    return _result(page)


def test_gif_and_joined_gif_play_in_chromium(tmp_path: Path) -> None:
    """framesink's GIFs carry an application extension of their own (the frames' exact
    times, for join): Chromium skips it and shows every frame for its delay."""
    h, w = 48, 64
    one = tmp_path / "one.gif"
    framesink.write(one, frames(30, h, w), fps=30)
    assert b"FRAMESNK1.0" in one.read_bytes()
    got = decode_gif(tmp_path, one, x=w // 4, y=h // 4)
    assert (got["frames"], got["w"], got["h"], got["loops"]) == (30, w, h, "forever")
    # 30 fps in centiseconds: 3, 4, 3, 3, 4, 3, ... (microseconds here), 1 s in all.
    assert set(got["durations"]) == {30_000, 40_000}, got["durations"]
    assert sum(got["durations"]) == 1_000_000
    assert all(abs(a - b) <= 8 for a, b in zip(got["px"][:3], COLOUR)), got["px"]
    # Two parts of 20 frames joined: 40 frames in 4/3 s, as one write of them.
    parts = [tmp_path / "a.gif", tmp_path / "b.gif"]
    for part in parts:
        framesink.write(part, frames(20, h, w), fps=30)
    joined = tmp_path / "joined.gif"
    framesink.join(joined, parts)
    whole = tmp_path / "whole.gif"
    framesink.write(whole, frames(40, h, w), fps=30)
    got_joined = decode_gif(tmp_path, joined, x=w // 4, y=h // 4)
    assert got_joined["frames"] == 40
    assert got_joined["durations"] == decode_gif(tmp_path, whole, 0, 0)["durations"]
    assert sum(got_joined["durations"]) == 1_330_000
