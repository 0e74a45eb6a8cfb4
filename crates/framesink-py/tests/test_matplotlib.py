"""framesink as a matplotlib movie writer, with ffmpeg hidden while saving.

Every save below runs inside ``ffmpeg_hidden()`` (conftest): ffmpeg is off
PATH and no subprocess may start, so each test also proves that framesink
needs no ffmpeg. The checks afterwards use ffprobe/ffmpeg again.
"""

from __future__ import annotations

import base64
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any, Callable

import framesink
import matplotlib
import matplotlib.animation as animation
import matplotlib.pyplot as plt
import numpy as np
import pytest
from _media import decode_rgb, probe, psnr, smooth_frames
from framesink import FramesinkWarning, InvalidFrameError
from framesink.matplotlib import FramesinkWriter
from matplotlib.figure import Figure

matplotlib.use("Agg")
assert framesink.__version__  # importing framesink registered writer="framesink"

Hide = Callable[[], Any]
N = 6  # frames per animation


class Movie:
    """A small FuncAnimation of smooth images, and what each frame looks like."""

    def __init__(self, figsize: tuple[float, float] = (2.4, 1.6), dpi: float = 100) -> None:
        self.images = smooth_frames(N, 12, 16, seed=6)
        self.fig: Figure = plt.figure(figsize=figsize, dpi=dpi)
        ax = self.fig.add_axes((0.1, 0.1, 0.8, 0.8))
        ax.set_axis_off()
        self.im = ax.imshow(self.images[0], interpolation="nearest", aspect="auto")
        self.anim = animation.FuncAnimation(self.fig, self.update, frames=N, interval=40)
        self.draws = 0
        self.fig.canvas.mpl_connect("draw_event", self._count)

    def _count(self, event: Any) -> None:
        self.draws += 1

    def update(self, i: int) -> list[Any]:
        self.im.set_data(self.images[i])
        return [self.im]

    def reference(self) -> np.ndarray:
        """Each frame as the figure's own canvas renders it: (N, H, W, 3) uint8."""
        frames = []
        for i in range(N):
            self.update(i)
            self.fig.canvas.draw()
            frames.append(np.asarray(self.fig.canvas.buffer_rgba())[..., :3].copy())  # type: ignore[attr-defined]
        return np.stack(frames)


@pytest.fixture
def movie() -> Iterator[Movie]:
    m = Movie()
    yield m
    plt.close(m.fig)


def test_ffmpeg_really_is_hidden(ffmpeg_hidden: Hide) -> None:
    assert animation.writers.is_available("ffmpeg")  # Debian's ffmpeg, normally
    with ffmpeg_hidden():
        assert not animation.writers.is_available("ffmpeg")
        assert animation.writers.is_available("framesink")
    assert animation.writers.is_available("ffmpeg")


def test_writer_is_registered() -> None:
    assert "framesink" in animation.writers.list()
    assert animation.writers["framesink"] is FramesinkWriter
    assert FramesinkWriter.isAvailable()


def test_anim_save_with_writer_name(movie: Movie, tmp_path: Path, ffmpeg_hidden: Hide) -> None:
    path = tmp_path / "x.mp4"
    with ffmpeg_hidden():
        movie.anim.save(str(path), writer="framesink", fps=30, dpi=100)
    info = probe(path)
    assert (info.width, info.height, info.frames) == (240, 160, N)
    assert info.r_frame_rate == "30/1"
    assert (info.codec_name, info.profile, info.pix_fmt) == ("h264", "High", "yuv420p")
    # every frame, in order, as matplotlib draws it
    decoded, reference = decode_rgb(path), movie.reference()
    assert psnr(decoded, reference) >= 35.0
    assert psnr(decoded[1:], reference[:-1]) < psnr(decoded, reference) - 5


def test_anim_save_with_writer_instance(movie: Movie, tmp_path: Path, ffmpeg_hidden: Hide) -> None:
    good, small = tmp_path / "q70.mp4", tmp_path / "q5.mp4"
    with ffmpeg_hidden():
        movie.anim.save(str(good), writer=FramesinkWriter(fps=30, quality=70))
        movie.anim.save(str(small), writer=FramesinkWriter(fps=30, quality=5))
    for path in (good, small):
        info = probe(path)
        assert (info.width, info.height, info.frames) == (240, 160, N)
    reference = movie.reference()
    assert small.stat().st_size < good.stat().st_size  # quality= reaches the encoder
    assert psnr(decode_rgb(good), reference) > psnr(decode_rgb(small), reference)


def test_anim_save_other_dpi_rescales(movie: Movie, tmp_path: Path, ffmpeg_hidden: Hide) -> None:
    path = tmp_path / "dpi50.mp4"
    with ffmpeg_hidden():
        movie.anim.save(str(path), writer="framesink", fps=30, dpi=50)
    info = probe(path)
    assert (info.width, info.height, info.frames) == (120, 80, N)


def test_saving_and_grab_frame_loop(tmp_path: Path, ffmpeg_hidden: Hide) -> None:
    fig, ax = plt.subplots(figsize=(3.2, 2.4), dpi=100)
    try:
        x = np.linspace(0, 2 * np.pi, 100)
        (line,) = ax.plot(x, np.sin(x), lw=4)
        ax.set_ylim(-1.2, 1.2)
        draws: list[int] = []
        fig.canvas.mpl_connect("draw_event", lambda event: draws.append(1))
        writer = FramesinkWriter(fps=15)
        path = tmp_path / "loop.mp4"
        with ffmpeg_hidden():
            with writer.saving(fig, str(path), 100):
                for i in range(8):
                    line.set_ydata(np.sin(x + i / 2))
                    writer.grab_frame()
        assert len(draws) == 8  # the stale figure is drawn once per grab
    finally:
        plt.close(fig)
    info = probe(path)
    assert (info.width, info.height, info.frames) == (320, 240, 8)
    assert info.r_frame_rate == "15/1"
    decoded = decode_rgb(path)
    assert not np.array_equal(decoded[0], decoded[4])  # the line moved


def test_grab_frame_rejects_a_resized_figure(tmp_path: Path, ffmpeg_hidden: Hide) -> None:
    fig = plt.figure(figsize=(2, 2), dpi=100)
    try:
        writer = FramesinkWriter(fps=10)
        with ffmpeg_hidden():
            with pytest.raises(InvalidFrameError, match="200x200") as info:
                with writer.saving(fig, str(tmp_path / "resized.mp4"), 100):
                    writer.grab_frame()
                    fig.set_size_inches(3, 2)
                    writer.grab_frame()
        assert "300x200" in str(info.value)
    finally:
        plt.close(fig)
    assert probe(tmp_path / "resized.mp4").frames == 1  # the frame before is kept


def test_to_html5_video_with_rcparams_writer(movie: Movie, ffmpeg_hidden: Hide) -> None:
    with matplotlib.rc_context({"animation.writer": "framesink"}), ffmpeg_hidden():
        html = movie.anim.to_html5_video()
    assert html.lstrip().startswith("<video")
    match = re.search(r'src="data:video/mp4;base64,([^"]+)"', html)
    assert match, html[:200]
    data = base64.b64decode(match.group(1))
    info = probe(data)
    assert (info.width, info.height, info.frames) == (240, 160, N)
    assert info.r_frame_rate == "25/1"  # 1000 / interval=40 ms


def test_savefig_facecolor_is_honoured(movie: Movie, tmp_path: Path, ffmpeg_hidden: Hide) -> None:
    path = tmp_path / "red.mp4"
    with ffmpeg_hidden():
        movie.anim.save(str(path), writer="framesink", fps=30, savefig_kwargs={"facecolor": "red"})
    decoded = decode_rgb(path).astype(int)
    assert decoded.shape == (N, 160, 240, 3)
    # the border around the axes (10% of the figure) is red in every frame
    for corner in (decoded[:, 4, 4], decoded[:, -5, -5], decoded[:, 80, 6]):
        np.testing.assert_allclose(corner, np.tile([255, 0, 0], (N, 1)), atol=12)


@pytest.mark.parametrize(
    ("figsize", "pixels", "coded"),
    [
        pytest.param((3.01, 3.0), (301, 300), (302, 300), id="odd-width"),
        pytest.param((3.01, 3.01), (301, 301), (302, 302), id="odd-width-and-height"),
        pytest.param((3.0, 3.01), (300, 301), (300, 302), id="odd-height"),
    ],
)
def test_odd_pixel_size_is_padded_not_resized(
    tmp_path: Path,
    ffmpeg_hidden: Hide,
    figsize: tuple[float, float],
    pixels: tuple[int, int],
    coded: tuple[int, int],
) -> None:
    m = Movie(figsize=figsize, dpi=100)
    try:
        assert m.fig.canvas.get_width_height() == pixels
        path = tmp_path / "odd.mp4"
        with ffmpeg_hidden(), pytest.warns(FramesinkWarning, match="odd") as record:
            m.anim.save(str(path), writer="framesink", fps=30, dpi=100)
        assert len([w for w in record if w.category is FramesinkWarning]) == 1
        info = probe(path)
        assert (info.width, info.height, info.frames) == (*coded, N)
        w, h = pixels
        decoded = decode_rgb(path)
        # not resized: the figure's pixels are where matplotlib drew them
        assert psnr(np.ascontiguousarray(decoded[:, :h, :w]), m.reference()) >= 35.0
    finally:
        plt.close(m.fig)


def test_one_rasterisation_per_frame_at_the_figures_dpi(
    movie: Movie, tmp_path: Path, ffmpeg_hidden: Hide
) -> None:
    with ffmpeg_hidden():
        movie.anim.save(str(tmp_path / "draws.mp4"), writer="framesink", fps=30, dpi=100)
    assert probe(tmp_path / "draws.mp4").frames == N
    assert movie.draws == N, f"{movie.draws} draws for {N} frames"


def test_codec_other_than_h264_or_av1_is_refused() -> None:
    with pytest.raises(ValueError, match="mpeg4"):
        FramesinkWriter(fps=30, codec="mpeg4")
    FramesinkWriter(fps=30, codec="libx264")  # matplotlib's usual name is fine


def test_av1_by_codec_name(movie: Movie, tmp_path: Path, ffmpeg_hidden: Hide) -> None:
    with ffmpeg_hidden():
        movie.anim.save(str(tmp_path / "a.mp4"), writer="framesink", fps=30, codec="av1")
    info = probe(tmp_path / "a.mp4")
    assert (info.codec_name, info.frames) == ("av1", N)
    assert psnr(decode_rgb(tmp_path / "a.mp4"), movie.reference()) >= 35.0


# matplotlib's writer contract, as its own writers (3.8+) keep it.


@pytest.mark.parametrize("key", ["dpi", "bbox_inches", "format"])
def test_grab_frame_refuses_what_matplotlibs_writers_refuse(tmp_path: Path, key: str) -> None:
    fig = plt.figure(figsize=(1, 1), dpi=32)
    value = {"dpi": 50, "bbox_inches": "tight", "format": "png"}[key]
    ours = FramesinkWriter(fps=10)
    with ours.saving(fig, str(tmp_path / "ours.mp4"), dpi=32):
        ours.grab_frame()
        with pytest.raises(TypeError) as info:
            ours.grab_frame(**{key: value})
        ours.grab_frame()  # the writer goes on
    theirs = animation.PillowWriter(fps=10)
    with theirs.saving(fig, str(tmp_path / "theirs.gif"), dpi=32):
        with pytest.raises(TypeError) as own:
            theirs.grab_frame(**{key: value})
        theirs.grab_frame()
    plt.close(fig)
    assert (
        str(info.value)
        == str(own.value)
        == (f"grab_frame got an unexpected keyword argument {key!r}")
    )
    assert probe(tmp_path / "ours.mp4").frames == 2


def test_grab_frame_refuses_a_tight_bbox_rcparam(tmp_path: Path) -> None:
    fig = plt.figure(figsize=(1, 1), dpi=32)
    ours = FramesinkWriter(fps=10)
    with ours.saving(fig, str(tmp_path / "tight.mp4"), dpi=32):
        ours.grab_frame()
        with matplotlib.rc_context({"savefig.bbox": "tight"}):
            with pytest.raises(ValueError, match="must not be 'tight'"):
                ours.grab_frame()
    plt.close(fig)
    assert probe(tmp_path / "tight.mp4").frames == 1


def test_extra_args_are_refused_pointing_to_an_ffmpeg_codec() -> None:
    with pytest.raises(ValueError) as info:
        FramesinkWriter(fps=30, extra_args=["-crf", "18"])
    message = str(info.value)
    for words in ("['-crf', '18']", "ffmpeg command-line arguments", "codec='ffmpeg:libx264'"):
        assert words in message, message
    FramesinkWriter(fps=30, extra_args=[])  # nothing to pass is fine
    FramesinkWriter(fps=30, extra_args=None)


def test_extra_args_go_to_an_ffmpeg_codec(movie: Movie, tmp_path: Path) -> None:
    path = tmp_path / "x264.mp4"
    writer = FramesinkWriter(fps=30, codec="ffmpeg:libx264", extra_args=["-crf", "0"])
    movie.anim.save(str(path), writer=writer)
    info = probe(path)
    assert (info.codec_name, info.frames) == ("h264", N)
    # x264 writes its settings into the stream (an SEI): -crf 0 reached it.
    # (-crf 0 is x264's lossless constant QP 0)
    options = path.read_bytes()
    assert b"x264 - core" in options and b" rc=cqp " in options and b" qp=0" in options


def test_bitrate_is_in_kbit_per_second(tmp_path: Path, ffmpeg_hidden: Hide) -> None:
    # As matplotlib's FFMpegWriter (-b kbit/s): 10 s of noise at 400 kbit/s.
    fig = plt.figure(figsize=(3.2, 2.4), dpi=100)
    ax = fig.add_axes((0, 0, 1, 1))
    ax.set_axis_off()
    rng = np.random.default_rng(3)
    im = ax.imshow(rng.random((60, 80)), interpolation="nearest", aspect="auto")

    def update(i: int) -> list[Any]:
        im.set_data(rng.random((60, 80)))
        return [im]

    anim = animation.FuncAnimation(fig, update, frames=100)
    path = tmp_path / "rate.mp4"
    with ffmpeg_hidden():
        anim.save(str(path), writer="framesink", fps=10, bitrate=400)
    plt.close(fig)
    bits_per_second = path.stat().st_size * 8 / 10
    assert 200_000 < bits_per_second < 600_000, bits_per_second


def test_grab_frame_savefig_kwargs_reach_an_apng(tmp_path: Path, ffmpeg_hidden: Hide) -> None:
    fig = plt.figure(figsize=(0.5, 0.5), dpi=40)
    ax = fig.add_axes((0.25, 0.25, 0.5, 0.5))
    ax.set_axis_off()
    ax.add_patch(plt.Rectangle((0, 0), 1, 1, color="blue"))
    path = tmp_path / "clear.png"
    # (Animation.save forces transparent=False, for every writer: grab_frame here)
    writer = FramesinkWriter(fps=5)
    with ffmpeg_hidden(), writer.saving(fig, str(path), dpi=40):
        writer.grab_frame(transparent=True)
        writer.grab_frame(transparent=True)
    plt.close(fig)
    import subprocess

    from _media import FFMPEG

    raw = subprocess.run(
        [
            FFMPEG,
            "-v",
            "error",
            "-i",
            str(path),
            "-fps_mode",
            "passthrough",
            "-f",
            "rawvideo",
            "-pix_fmt",
            "rgba",
            "-",
        ],
        capture_output=True,
        check=True,
    ).stdout
    frames = np.frombuffer(raw, np.uint8).reshape(-1, 20, 20, 4)
    assert frames.shape[0] == 2
    assert (frames[:, 1, 1, 3] == 0).all()  # the figure's background is see-through
    assert (frames[:, 10, 10] == [0, 0, 255, 255]).all()  # the axes' patch is not
