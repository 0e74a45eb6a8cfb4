"""framesink.show(): a movie for Jupyter, embedded or (when large) written next to it."""

from __future__ import annotations

import base64
import html
import os
import re
from pathlib import Path

import framesink
import numpy as np
import pytest
from _media import decode_rgb, probe, psnr, smooth_frames

VIDEO_TAG = re.compile(r"<video\b([^>]*)>(.*?)</video>", re.S)
SOURCE_SRC = re.compile(r'<source\b[^>]*\bsrc="([^"]+)"')


def video_attributes(markup: str) -> set[str]:
    match = VIDEO_TAG.search(markup)
    assert match, markup[:300]
    return {a.split("=")[0] for a in match.group(1).split()}


def test_show_embeds_base64_mp4_that_decodes() -> None:
    frames = smooth_frames(12, 48, 64, seed=8)
    movie = framesink.show(frames, fps=24)
    markup = movie._repr_html_()
    assert {"controls", "autoplay", "loop", "muted"} <= video_attributes(markup)
    src = SOURCE_SRC.search(markup)
    assert src and src.group(1).startswith("data:video/mp4;base64,")
    data = base64.b64decode(src.group(1).split(",", 1)[1], validate=True)
    assert data == movie.data
    info = probe(data)
    assert (info.width, info.height, info.frames) == (64, 48, 12)  # no frame dropped
    assert info.r_frame_rate == "24/1"
    assert psnr(decode_rgb(data), frames) >= 35.0
    assert "embedded" in repr(movie)


def test_show_passes_write_options() -> None:
    gray = np.linspace(0.0, 1.0, 32 * 32).reshape(1, 32, 32).repeat(3, axis=0)
    movie = framesink.show(gray, fps="30000/1001", cmap="gray", vmin=0.0, vmax=1.0, width=320)
    markup = movie._repr_html_()
    assert 'width="320"' in markup
    info = probe(movie.data)
    assert info.r_frame_rate == "30000/1001" and info.frames == 3


def test_show_above_max_bytes_writes_a_file_and_links_it(tmp_path: Path) -> None:
    frames = smooth_frames(30, 64, 96, seed=2)
    movie = framesink.show(frames, fps=30, max_bytes=1000, directory=str(tmp_path))
    assert movie.path is not None
    written = Path(movie.path)
    assert written.parent == tmp_path and written.suffix == ".mp4"
    assert written.read_bytes() == movie.data
    assert len(movie.data) > 1000
    markup = movie._repr_html_()
    assert "base64" not in markup  # not embedded
    assert {"controls", "autoplay", "loop", "muted"} <= video_attributes(markup)
    src = SOURCE_SRC.search(markup)
    assert src and html.unescape(src.group(1)) == movie.path
    links = re.findall(r'<a\b[^>]*href="([^"]+)"', markup)
    assert [html.unescape(link) for link in links] == [movie.path]
    info = probe(written)
    assert info.frames == 30  # the whole movie, nothing dropped to make it fit
    assert psnr(decode_rgb(written), frames) >= 35.0


def test_show_in_current_directory_links_a_relative_path(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(tmp_path)
    movie = framesink.show(smooth_frames(10, 32, 32), max_bytes=10)
    assert movie.path is not None and not os.path.isabs(movie.path)
    assert (tmp_path / movie.path).read_bytes() == movie.data
    assert f'href="{html.escape(movie.path)}"' in movie._repr_html_()


def test_show_max_bytes_boundary_is_inclusive(tmp_path: Path) -> None:
    frames = smooth_frames(5, 32, 32, seed=1)
    size = len(framesink.encode(frames))
    assert framesink.show(frames, max_bytes=size, directory=str(tmp_path)).path is None
    assert framesink.show(frames, max_bytes=size - 1, directory=str(tmp_path)).path is not None
    assert len(list(tmp_path.iterdir())) == 1


def test_show_from_a_generator() -> None:
    movie = framesink.show((np.full((32, 32), i * 20, np.uint8) for i in range(10)), fps=10)
    assert probe(movie.data).frames == 10
