"""framesink as imageio's plugin "framesink": v3 imwrite/imopen, v2 get_writer/mimwrite.

The writes run inside ``ffmpeg_hidden()`` (conftest: no ffmpeg on PATH, no
subprocess), so they also prove that no ffmpeg is needed; ffprobe/ffmpeg then
check the movies. Where imageio's keywords map to framesink's, the movie is
compared with ``framesink.write`` given the mapped values (the encoders are
deterministic: same settings, same bytes).
"""

from __future__ import annotations

import io
import json
import math
import subprocess
import sys
import textwrap
import warnings
from pathlib import Path
from typing import Any, Callable

import framesink
import numpy as np
import pytest
from _media import FFPROBE, decode_rgb, framemd5, probe, psnr, smooth_frames
from framesink import (
    FramesinkError,
    FramesinkWarning,
    InvalidConfigError,
    InvalidTypeError,
    UnsupportedError,
)

imageio = pytest.importorskip("imageio", minversion="2.28")
import imageio.v2 as iio2  # noqa: E402
import imageio.v3 as iio  # noqa: E402
from framesink import _imageio  # noqa: E402
from imageio.core.request import InitializationError  # noqa: E402
from PIL import Image  # noqa: E402

Hide = Callable[[], Any]


def palette_frames(n: int, height: int, width: int, seed: int = 0) -> np.ndarray:
    """(n, height, width, 3) uint8 frames of 8 colours: a GIF holds them exactly."""
    rng = np.random.default_rng(seed)
    colours = rng.integers(0, 256, (8, 3), dtype=np.uint8)
    return colours[rng.integers(0, 8, (n, height, width))]


def gif_info(path: Path) -> tuple[Any, list[int]]:
    """Pillow's view of a GIF or APNG: its loop field (None if absent) and frame delays (ms)."""
    with Image.open(path) as im:
        loop = im.info.get("loop")
        delays = []
        for i in range(getattr(im, "n_frames", 1)):
            im.seek(i)
            delays.append(int(im.info.get("duration", 0)))
    return loop, delays


def test_registered_as_a_plugin() -> None:
    config = imageio.config.known_plugins["framesink"]
    assert config.plugin_class is _imageio.FramesinkPlugin
    assert not config.is_legacy


def test_v3_imwrite_writes_an_h264_mp4(tmp_path: Path, ffmpeg_hidden: Hide) -> None:
    frames = smooth_frames(12, 48, 64)
    path = tmp_path / "m.mp4"
    with ffmpeg_hidden():
        assert iio.imwrite(path, frames, plugin="framesink", fps=30) is None
    info = probe(path)
    assert (info.codec_name, info.width, info.height, info.frames) == ("h264", 64, 48, 12)
    assert info.r_frame_rate == "30/1"
    assert info.pix_fmt == "yuv420p"
    assert psnr(decode_rgb(path), frames) > 30  # quality 5: framesink's 50, QP 26


def test_imopen_appends_batches_and_single_frames(tmp_path: Path, ffmpeg_hidden: Hide) -> None:
    frames = smooth_frames(9, 32, 48, seed=1)
    path = tmp_path / "m.mp4"
    with ffmpeg_hidden():
        with iio.imopen(path, "w", plugin="framesink") as f:
            f.write(frames[:4], is_batch=True, fps=24)  # a batch: the first axis
            f.write(frames[4], is_batch=False)  # one frame
            f.write(list(frames[5:7]))  # a list is a batch
            f.write(frames[7])  # (H, W, 3): one frame, guessed
            f.write(frames[8:], fps=24)  # (1, H, W, 3): a batch, guessed
        summary = f.summary
        framesink.write(tmp_path / "ref.mp4", frames, fps=24, quality=50)
    assert summary is not None and summary.frames == 9
    info = probe(path)
    assert (info.frames, info.r_frame_rate) == (9, "24/1")
    assert framemd5(path) == framemd5(tmp_path / "ref.mp4")


def test_imopen_takes_settings_too(tmp_path: Path, ffmpeg_hidden: Hide) -> None:
    """Keywords given to imopen are the writes' defaults (checked at the first write)."""
    frames = smooth_frames(3, 16, 16, seed=20)
    with ffmpeg_hidden():
        with iio.imopen(tmp_path / "o.mp4", "w", plugin="framesink", fps=24) as f:
            f.write(frames, ffmpeg_log_level="quiet")  # accepted, and nothing to log
        with iio.imopen(tmp_path / "t.mp4", "w", plugin="framesink", qualty=5) as f:
            with pytest.raises(TypeError, match="did you mean 'quality'"):
                f.write(frames)
    assert probe(tmp_path / "o.mp4").r_frame_rate == "24/1"
    assert not (tmp_path / "t.mp4").exists()


def test_a_gray_batch_is_guessed_from_its_shape(tmp_path: Path, ffmpeg_hidden: Hide) -> None:
    gray = smooth_frames(5, 24, 32, seed=2)[..., 0]  # (5, 24, 32): a batch (32 > 4)
    with ffmpeg_hidden():
        iio.imwrite(tmp_path / "g.png", gray, plugin="framesink", fps=10)
        # (N, H, 3) would be one RGB frame: is_batch=True says it is 6 gray frames
        narrow = gray[:, :, :3].copy()
        iio.imwrite(tmp_path / "n.png", narrow, plugin="framesink", is_batch=True)
    assert probe(tmp_path / "g.png").frames == 5
    info = probe(tmp_path / "n.png")
    assert (info.frames, info.width, info.height) == (5, 3, 24)
    decoded = decode_rgb(tmp_path / "g.png")
    assert (decoded == gray[..., None]).all()  # APNG: lossless


def test_v2_get_writer_append_data_and_close(tmp_path: Path, ffmpeg_hidden: Hide) -> None:
    frames = smooth_frames(8, 32, 48, seed=3)
    with ffmpeg_hidden():
        writer = iio2.get_writer(tmp_path / "a.mp4", format="framesink", fps=30)
        for frame in frames:
            writer.append_data(frame)
        writer.close()
        with iio2.get_writer(tmp_path / "b.mp4", format="framesink", fps=30) as w:
            for frame in frames:
                w.append_data(frame)
        framesink.write(tmp_path / "ref.mp4", frames, fps=30, quality=50)
    for name in ("a.mp4", "b.mp4"):
        info = probe(tmp_path / name)
        assert (info.frames, info.width, info.height, info.r_frame_rate) == (8, 48, 32, "30/1")
        assert framemd5(tmp_path / name) == framemd5(tmp_path / "ref.mp4")


def test_v2_mimwrite_mp4_gif_and_apng(tmp_path: Path, ffmpeg_hidden: Hide) -> None:
    frames = palette_frames(5, 20, 30)
    with ffmpeg_hidden():
        for name in ("m.mp4", "m.gif", "m.png"):
            iio2.mimwrite(tmp_path / name, frames, format="framesink", fps=25)
            iio2.mimwrite(tmp_path / ("list-" + name), list(frames), format="framesink", fps=25)
    assert probe(tmp_path / "m.mp4").frames == 5
    for name in ("m.gif", "m.png", "list-m.gif", "list-m.png"):
        assert (decode_rgb(tmp_path / name) == frames).all(), name  # exact
    assert gif_info(tmp_path / "m.gif")[1] == [40] * 5


@pytest.mark.parametrize("macro_block_size", [None, 1, 16, "default"])
def test_odd_and_unaligned_sizes_are_never_stretched(
    tmp_path: Path, ffmpeg_hidden: Hide, macro_block_size: Any
) -> None:
    """imageio-ffmpeg would scale 101x57 and 100x58 to 112x64 (macro_block_size 16)."""
    extra = {} if macro_block_size == "default" else {"macro_block_size": macro_block_size}
    odd = palette_frames(4, 57, 101, seed=4)
    smooth = smooth_frames(4, 57, 101, seed=4)
    with ffmpeg_hidden():
        for name in ("odd.gif", "odd.png"):
            with iio2.get_writer(tmp_path / name, format="framesink", fps=10, **extra) as w:
                for frame in odd:
                    w.append_data(frame)
        with pytest.warns(FramesinkWarning, match="101x57 is odd.*not stretched"):
            iio.imwrite(tmp_path / "odd.mp4", smooth, plugin="framesink", quality=9, **extra)
        iio.imwrite(
            tmp_path / "even.mp4", smooth[:, 1:, :100], plugin="framesink", quality=9, **extra
        )
    for name in ("odd.gif", "odd.png"):
        info = probe(tmp_path / name)
        assert (info.width, info.height) == (101, 57), name
        assert (decode_rgb(tmp_path / name) == odd).all(), name
    # H.264 4:2:0 holds no odd size: one last column and row repeated, nothing scaled
    info = probe(tmp_path / "odd.mp4")
    assert (info.width, info.height, info.frames) == (102, 58, 4)
    decoded = decode_rgb(tmp_path / "odd.mp4")
    assert psnr(decoded[:, :57, :101], smooth) > 40  # quality 9: QP 5
    assert psnr(decoded[:, :57, 101:], smooth[:, :, 100:]) > 35  # the last column, again
    info = probe(tmp_path / "even.mp4")
    assert (info.width, info.height) == (100, 56)
    assert psnr(decode_rgb(tmp_path / "even.mp4"), smooth[:, 1:, :100]) > 40


@pytest.mark.parametrize("imageio_quality", [0, 2.5, 5, 7, 10, None, "omitted"])
def test_quality_is_imageio_ffmpegs_scale_times_ten(
    tmp_path: Path, ffmpeg_hidden: Hide, imageio_quality: Any
) -> None:
    frames = smooth_frames(4, 32, 32, seed=5)
    extra = {} if imageio_quality == "omitted" else {"quality": imageio_quality}
    expected = 50 if imageio_quality in (None, "omitted") else round(imageio_quality * 10)
    with ffmpeg_hidden():
        iio.imwrite(tmp_path / "io.mp4", frames, plugin="framesink", fps=30, **extra)
        framesink.write(tmp_path / "fs.mp4", frames, fps=30, quality=expected)
    assert (tmp_path / "io.mp4").read_bytes() == (tmp_path / "fs.mp4").read_bytes()


def test_quality_mapping_values() -> None:
    assert _imageio.quality(None) == 50
    assert _imageio.quality(5.8) == 58  # framesink's default
    assert _imageio.quality(np.float32(7.25)) == 73  # half up
    assert [_imageio.quality(q) for q in range(11)] == list(range(0, 101, 10))


@pytest.mark.parametrize("bitrate", [800_000, 800_000.0, "800k", "800K", "0.8M", " 800000 "])
def test_bitrate_is_bits_per_second(tmp_path: Path, ffmpeg_hidden: Hide, bitrate: Any) -> None:
    frames = smooth_frames(4, 32, 32, seed=6)
    with ffmpeg_hidden():
        # quality=5 (as pyvista always passes) is checked, and the bitrate wins
        iio.imwrite(tmp_path / "io.mp4", frames, plugin="framesink", bitrate=bitrate, quality=5)
        framesink.write(tmp_path / "fs.mp4", frames, fps=10, bitrate=800)
    assert (tmp_path / "io.mp4").read_bytes() == (tmp_path / "fs.mp4").read_bytes()
    assert _imageio.bitrate_kbps("8M") == 8000
    assert _imageio.bitrate_kbps("1.5G") == 1_500_000
    assert _imageio.bitrate_kbps(1499) == 1  # whole kbit/s, rounded


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("libx264", "h264"),
        ("libopenh264", "h264"),
        ("h264", "h264"),
        ("avc", "h264"),
        ("libaom-av1", "av1"),
        ("librav1e", "av1"),
        ("libsvtav1", "av1"),
        ("AV1", "av1"),
    ],
)
def test_codec_names_map(tmp_path: Path, ffmpeg_hidden: Hide, name: str, expected: str) -> None:
    frames = smooth_frames(3, 32, 32, seed=7)
    with ffmpeg_hidden():
        iio.imwrite(tmp_path / "c.mp4", frames, plugin="framesink", codec=name)
    assert probe(tmp_path / "c.mp4").codec_name == expected


def test_codec_gif_and_png(tmp_path: Path, ffmpeg_hidden: Hide) -> None:
    frames = palette_frames(3, 16, 16, seed=8)
    with ffmpeg_hidden():
        iio.imwrite(tmp_path / "c.gif", frames, plugin="framesink", codec="gif")
        iio.imwrite(tmp_path / "c.png", frames, plugin="framesink", codec="apng")
    assert probe(tmp_path / "c.gif").codec_name == "gif"
    assert probe(tmp_path / "c.png").codec_name == "apng"


def test_codec_ffmpeg_takes_output_params(tmp_path: Path) -> None:
    """With a system ffmpeg's encoder, imageio-ffmpeg's output_params go to it."""
    frames = smooth_frames(5, 32, 32, seed=9)
    path = tmp_path / "f.mkv"
    iio.imwrite(
        path,
        frames,
        plugin="framesink",
        codec="ffmpeg:libx264",
        output_params=["-metadata", "title=from imageio"],
        fps=25,
    )
    out = subprocess.run(
        [FFPROBE, "-v", "error", "-show_entries", "format_tags=title", "-of", "csv=p=0", path],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    assert out.strip() == "from imageio"
    info = probe(path)
    assert (info.codec_name, info.frames, info.r_frame_rate) == ("h264", 5, "25/1")


def test_gif_duration_and_loop_as_pillow_writes_them(tmp_path: Path, ffmpeg_hidden: Hide) -> None:
    frames = palette_frames(4, 16, 16, seed=10)
    with ffmpeg_hidden():
        for loop in (0, 1, 2, None):
            for plugin, ext in (("framesink", "gif"), ("framesink", "png"), ("pillow", "gif")):
                name = f"{plugin}-{loop}.{ext}"
                iio.imwrite(tmp_path / name, frames, plugin=plugin, duration=40, loop=loop)
            if loop is not None:  # (Pillow's APNG writer fails on loop=None)
                name = f"pillow-{loop}.png"
                iio.imwrite(tmp_path / name, frames, plugin="pillow", duration=40, loop=loop)
        iio.imwrite(tmp_path / "default.gif", frames, plugin="framesink", duration=40)
    for loop in (0, 1, 2, None):
        for ext in ("gif", "png"):
            ours = gif_info(tmp_path / f"framesink-{loop}.{ext}")
            if loop is not None or ext == "gif":
                assert ours == gif_info(tmp_path / f"pillow-{loop}.{ext}"), (loop, ext)
            assert ours[1] == [40] * 4
    assert gif_info(tmp_path / "framesink-None.gif")[0] is None  # no loop field: plays once
    assert gif_info(tmp_path / "framesink-None.png")[0] == 1  # plays once
    assert gif_info(tmp_path / "default.gif")[0] == 0  # forever, the default
    assert framesink.write(tmp_path / "fs.gif", frames, fps=25, loops=3)
    assert gif_info(tmp_path / "fs.gif") == gif_info(tmp_path / "framesink-2.gif")


@pytest.mark.parametrize(
    ("duration", "fps"),
    [(40, 25), (1000 / 30, 30), (1000 / 60, 60), (33, "1000/33"), (100, 10)],
)
def test_duration_is_milliseconds_per_frame(
    tmp_path: Path, ffmpeg_hidden: Hide, duration: float, fps: Any
) -> None:
    frames = smooth_frames(6, 16, 16, seed=11)
    with ffmpeg_hidden():
        with iio.imopen(tmp_path / "d.mp4", "w", plugin="framesink") as f:
            f.write(frames, duration=duration)
        ref = framesink.write(tmp_path / "ref.mp4", frames, fps=fps, quality=50)
    assert f.summary == ref
    assert (tmp_path / "d.mp4").read_bytes() == (tmp_path / "ref.mp4").read_bytes()


def test_framesink_keywords_pass_through(tmp_path: Path, ffmpeg_hidden: Hide) -> None:
    gray = np.linspace(0.0, 1.0, 4 * 16 * 24).reshape(4, 16, 24)
    options: dict[str, Any] = dict(cmap="viridis", vmin=0.0, vmax=1.0, keyframe_interval=2)
    bgr = smooth_frames(4, 16, 24, seed=12)
    with ffmpeg_hidden():
        with iio2.get_writer(tmp_path / "c.mp4", format="framesink", fps=30, **options) as w:
            for frame in gray:
                w.append_data(frame)
        framesink.write(tmp_path / "ref.mp4", gray, fps=30, quality=50, **options)
        iio.imwrite(tmp_path / "bgr.png", bgr, plugin="framesink", channel_order="bgr")
    assert framemd5(tmp_path / "c.mp4") == framemd5(tmp_path / "ref.mp4")
    assert (decode_rgb(tmp_path / "bgr.png") == bgr[..., ::-1]).all()


def test_bytes_and_file_object_targets(tmp_path: Path, ffmpeg_hidden: Hide) -> None:
    frames = palette_frames(3, 16, 16, seed=13)
    buffer = io.BytesIO()
    with ffmpeg_hidden():
        data = iio.imwrite("<bytes>", frames, plugin="framesink", extension=".mp4", fps=30)
        iio.imwrite(buffer, frames, plugin="framesink", extension=".gif")
        with iio.imopen("<bytes>", "w", plugin="framesink", extension=".png") as f:
            png = f.write(frames)
            with pytest.raises(FramesinkError, match="finished"):
                f.write(frames)
    assert isinstance(data, bytes) and probe(data).frames == 3
    (tmp_path / "b.gif").write_bytes(buffer.getvalue())
    (tmp_path / "b.png").write_bytes(png or b"")
    assert (decode_rgb(tmp_path / "b.gif") == frames).all()
    assert (decode_rgb(tmp_path / "b.png") == frames).all()


def format_tags(path: Path) -> dict[str, str]:
    out = subprocess.run(
        [FFPROBE, "-v", "error", "-show_entries", "format_tags", "-of", "json", path],
        capture_output=True,
        check=True,
        text=True,
    ).stdout
    tags: dict[str, str] = json.loads(out).get("format", {}).get("tags", {})
    return tags


def test_napari_animation_call(tmp_path: Path, ffmpeg_hidden: Hide) -> None:
    """Animation.animate(path, fps=20, quality=5, file_format="framesink"), as it calls
    imageio: its ffmpeg -metadata title becomes framesink's metadata."""
    frames = smooth_frames(6, 32, 48, seed=14)
    title = '"napari version 0.5.0 https://napari.org/"'  # quotes and all, as ffmpeg keeps them
    with ffmpeg_hidden(), warnings.catch_warnings():
        warnings.simplefilter("error")
        writer = iio2.get_writer(
            tmp_path / "n.mp4",
            fps=20,
            quality=5,
            format="framesink",
            output_params=["-metadata", f"title={title}"],
        )
        for frame in frames:
            writer.append_data(frame)
        writer.close()
        writer = iio2.get_writer(tmp_path / "n.gif", duration=1000 / 20, format="framesink")
        for frame in frames:
            writer.append_data(frame)
        writer.close()
        framesink.write(tmp_path / "ref.mp4", frames, fps=20, quality=50, metadata={"title": title})
    info = probe(tmp_path / "n.mp4")
    assert (info.frames, info.r_frame_rate, info.width, info.height) == (6, "20/1", 48, 32)
    assert format_tags(tmp_path / "n.mp4")["title"] == title
    assert (tmp_path / "n.mp4").read_bytes() == (tmp_path / "ref.mp4").read_bytes()
    assert gif_info(tmp_path / "n.gif") == (0, [50] * 6)


def test_metadata_pairs_and_metadata_merge(tmp_path: Path, ffmpeg_hidden: Hide) -> None:
    frames = smooth_frames(2, 16, 16, seed=21)
    with ffmpeg_hidden():
        iio.imwrite(
            tmp_path / "m.mp4",
            frames,
            plugin="framesink",
            output_params=["-metadata", "title=a=b", "-metadata", "artist=lab"],
            ffmpeg_params=["-metadata", "comment=run 7"],
            metadata={"artist": "lab", "genre": "science"},
        )
    tags = format_tags(tmp_path / "m.mp4")
    assert (tags["title"], tags["artist"], tags["comment"], tags["genre"]) == (
        "a=b",
        "lab",
        "run 7",
        "science",
    )


def test_pyvista_itself(tmp_path: Path, ffmpeg_hidden: Hide) -> None:
    """pyvista from PyPI (VTK rendering off screen), its own open_movie/open_gif with
    format="framesink": a turning sphere and cube, written with no ffmpeg."""
    pv = pytest.importorskip("pyvista")
    # The plotters are made first: pyvista runs `xset -q` to see if there is a
    # display. From open_movie on, no subprocess may start.
    sphere = pv.Plotter(off_screen=True, window_size=(320, 240))
    sphere.set_background("white")
    sphere.add_mesh(pv.Sphere(), color="tan")
    cube = pv.Plotter(off_screen=True, window_size=(160, 120))
    cube.set_background("white")
    cube.add_mesh(pv.Cube(), color="red")
    with ffmpeg_hidden():
        sphere.open_movie(str(tmp_path / "sphere.mp4"), framerate=24, format="framesink")
        for i in range(48):
            sphere.camera.azimuth = i * 7.5
            sphere.write_frame()
        sphere.close()
        cube.open_gif(str(tmp_path / "cube.gif"), fps=10, format="framesink")
        for i in range(20):
            cube.camera.azimuth = i * 18
            cube.write_frame()
        cube.close()
    mp4 = probe(tmp_path / "sphere.mp4")
    assert (mp4.codec_name, mp4.pix_fmt, mp4.r_frame_rate) == ("h264", "yuv420p", "24/1")
    assert (mp4.width, mp4.height, mp4.frames) == (320, 240, 48)
    gif = probe(tmp_path / "cube.gif")
    assert (gif.codec_name, gif.width, gif.height, gif.frames) == ("gif", 160, 120, 20)
    # What VTK drew: a tan sphere in the middle of a white window.
    frame = decode_rgb(tmp_path / "sphere.mp4", limit=1)[0].astype(int)
    assert np.all(frame[5, 5] > 235), frame[5, 5]
    red, green, blue = frame[120, 160]
    assert red > green > blue and red - blue > 40, frame[120, 160]
    # The cube turns: its frames differ.
    assert len(set(framemd5(tmp_path / "cube.gif"))) > 1


def test_pyvista_open_movie_and_open_gif_calls(tmp_path: Path, ffmpeg_hidden: Hide) -> None:
    """Plotter.open_movie(path, framerate=24, quality=5, format="framesink") and
    open_gif(path, fps=10, format="framesink"), then write_frame() and close(),
    as pyvista calls imageio (its images: (H, W, 3), or (H, W, 4) with a
    transparent background)."""
    rgb = smooth_frames(5, 45, 61, seed=15)  # an odd window
    rgba = np.concatenate([rgb, np.full((5, 45, 61, 1), 255, np.uint8)], axis=-1)
    with ffmpeg_hidden(), warnings.catch_warnings():
        warnings.simplefilter("ignore", FramesinkWarning)  # odd size padded
        for name, images in (("rgb.mp4", rgb), ("rgba.mp4", rgba)):
            mwriter = iio2.get_writer(tmp_path / name, fps=24, quality=5, format="framesink")
            for image in images:
                mwriter.append_data(image)
            mwriter.close()
        kwargs: dict[str, Any] = {
            "mode": "I",
            "loop": 0,
            "palettesize": 256,
            "subrectangles": False,
            "duration": 1000 * 1 / 10,
            "format": "framesink",
        }
        mwriter = iio2.get_writer(tmp_path / "p.gif", **kwargs)
        for image in rgb:
            mwriter.append_data(image)
        mwriter.close()
    for name in ("rgb.mp4", "rgba.mp4"):
        info = probe(tmp_path / name)
        assert (info.frames, info.r_frame_rate, info.width, info.height) == (5, "24/1", 62, 46)
        assert psnr(decode_rgb(tmp_path / name)[:, :45, :61], rgb) > 30
    info = probe(tmp_path / "p.gif")
    assert (info.frames, info.width, info.height) == (5, 61, 45)
    assert gif_info(tmp_path / "p.gif") == (0, [100] * 5)


def test_settings_are_fixed_by_the_first_write(tmp_path: Path, ffmpeg_hidden: Hide) -> None:
    frames = smooth_frames(4, 16, 16, seed=16)
    with ffmpeg_hidden():
        with iio.imopen(tmp_path / "s.mp4", "w", plugin="framesink") as f:
            f.write(frames[0], fps=30, quality=7)
            with pytest.raises(InvalidConfigError, match=r"fps=25 differs from the first write's"):
                f.write(frames[1], fps=25)
            with pytest.raises(InvalidConfigError, match=r"codec='av1' differs .*\(not given\)"):
                f.write(frames[1], codec="av1")
            f.write(frames[1])
            f.write(frames[2], fps=30)
            f.write(frames[3], quality=7, fps=30)
    assert f.summary is not None and f.summary.frames == 4
    with pytest.raises(FramesinkError, match="finished"):
        f.write(frames[0])


def test_a_bad_frame_leaves_the_writer_usable(tmp_path: Path, ffmpeg_hidden: Hide) -> None:
    frames = smooth_frames(3, 16, 16, seed=17)
    with ffmpeg_hidden():
        with iio2.get_writer(tmp_path / "b.mp4", format="framesink", fps=30) as w:
            w.append_data(frames[0])
            with pytest.raises(framesink.InvalidFrameError, match="differs from the first"):
                w.append_data(np.zeros((32, 32, 3), np.uint8))
            w.append_data(frames[1])
    assert probe(tmp_path / "b.mp4").frames == 2


def test_an_error_in_the_with_block_keeps_the_frames_before(
    tmp_path: Path, ffmpeg_hidden: Hide
) -> None:
    frames = smooth_frames(3, 16, 16, seed=18)
    with ffmpeg_hidden(), pytest.raises(RuntimeError, match="simulation diverged"):
        with iio.imopen(tmp_path / "e.mp4", "w", plugin="framesink") as f:
            f.write(frames)
            raise RuntimeError("simulation diverged")
    assert probe(tmp_path / "e.mp4").frames == 3


# (keywords, exception, message part): each refusal names the value and what is allowed.
REFUSALS: dict[str, tuple[dict[str, Any], type[Exception], str]] = {
    "quality 58 (framesink's scale)": (
        {"quality": 58},
        InvalidConfigError,
        "quality 58 is out of range; allowed: 0 to 10, imageio-ffmpeg's scale (default 5); "
        "framesink's quality is 10 times it (5.8 is framesink's default 58)",
    ),
    "quality -1": ({"quality": -1}, InvalidConfigError, "quality -1 is out of range"),
    "quality nan": ({"quality": math.nan}, InvalidConfigError, "quality nan is out of range"),
    "quality 'high'": (
        {"quality": "high"},
        InvalidConfigError,
        "quality 'high' is not a number; allowed: 0 to 10",
    ),
    "quality True": ({"quality": True}, InvalidConfigError, "quality True is not a number"),
    "bitrate 'fast'": (
        {"bitrate": "fast"},
        InvalidConfigError,
        "bitrate 'fast' is not a bit rate; allowed: bits per second, as imageio-ffmpeg gives "
        "ffmpeg -b:v: a number from 1000 to 2000000000, or a string with ffmpeg's suffix k, M "
        "or G ('800k', '8M')",
    ),
    "bitrate '8 Mbps'": ({"bitrate": "8 Mbps"}, InvalidConfigError, "is not a bit rate"),
    "bitrate 500 (bit/s)": (
        {"bitrate": 500},
        InvalidConfigError,
        "bitrate 500 (500 bit/s) is out of range; allowed: bits per second",
    ),
    "bitrate '3G'": ({"bitrate": "3G"}, InvalidConfigError, "(3e+09 bit/s) is out of range"),
    "codec libx265": (
        {"codec": "libx265"},
        UnsupportedError,
        "codec 'libx265' is not one framesink writes; allowed: libx264, libopenh264, h264 or "
        "avc (H.264); libaom-av1, librav1e, libsvtav1 or av1 (AV1); gif; png or apng; or "
        "codec='ffmpeg:libx265' to have a system ffmpeg encode with it",
    ),
    "codec h264_nvenc": ({"codec": "h264_nvenc"}, UnsupportedError, "codec 'h264_nvenc' is not"),
    "codec mpeg4": ({"codec": "mpeg4"}, UnsupportedError, "codec='ffmpeg:mpeg4'"),
    "codec 264": (
        {"codec": 264},
        InvalidTypeError,
        "codec 264 (int) is not a codec name; allowed: libx264,",
    ),
    "macro_block_size 32": (
        {"macro_block_size": 32},
        InvalidConfigError,
        "macro_block_size 32 is not allowed: imageio-ffmpeg scales frames up to a multiple of "
        "it, and framesink never scales frames (H.264 is coded in whole macroblocks and "
        "cropped back to the frames' size); allowed: None, 1, 2, 4, 8 or 16 (imageio's "
        "default), which all mean that",
    ),
    "macro_block_size 3": ({"macro_block_size": 3}, InvalidConfigError, "macro_block_size 3 is"),
    "macro_block_size 0": ({"macro_block_size": 0}, InvalidConfigError, "macro_block_size 0 is"),
    "macro_block_size '16'": (
        {"macro_block_size": "16"},
        InvalidConfigError,
        "macro_block_size '16' is not allowed",
    ),
    "pixelformat yuv444p": (
        {"pixelformat": "yuv444p"},
        UnsupportedError,
        "pixelformat 'yuv444p' is not available: framesink writes H.264 and AV1 as yuv420p "
        "(BT.709, limited range), GIF and APNG as their frames are; allowed: 'yuv420p' or None",
    ),
    "pixelformat rgb24": ({"pixelformat": "rgb24"}, UnsupportedError, "pixelformat 'rgb24' is"),
    "output_params": (
        {"output_params": ["-crf", "18"]},
        UnsupportedError,
        "output_params ['-crf', '18'] are ffmpeg command-line options, and framesink encodes "
        "without ffmpeg; to have a system ffmpeg encode, pass codec='ffmpeg:<encoder>' (e.g. "
        "'ffmpeg:libx264'), and they go to it (framesink's ffmpeg_args); without it only "
        "-metadata key=value pairs are taken",
    ),
    "ffmpeg_params": (
        {"ffmpeg_params": ["-preset", "slow"]},
        UnsupportedError,
        "ffmpeg_params ['-preset', 'slow'] are ffmpeg command-line options",
    ),
    "output_params metadata and metadata= disagree": (
        {"output_params": ["-metadata", "title=A"], "metadata": {"title": "B"}},
        InvalidConfigError,
        "output_params sets the metadata 'title' to 'A', and metadata= to 'B'; give it once",
    ),
    "output_params a string": (
        {"output_params": "-crf 18"},
        InvalidConfigError,
        "output_params '-crf 18' (str) is not a list of strings; allowed: a list of strings, "
        "ffmpeg command-line arguments",
    ),
    "input_params": (
        {"input_params": ["-framerate", "30"]},
        UnsupportedError,
        "input_params ['-framerate', '30'] are not available: they are options of the raw "
        "input imageio-ffmpeg pipes to ffmpeg, and framesink takes the frames itself; "
        "allowed: None",
    ),
    "audio_path": (
        {"audio_path": "sound.wav"},
        UnsupportedError,
        "audio_path 'sound.wav' is not available: framesink writes video only, no sound; "
        "allowed: None",
    ),
    "audio_codec": ({"audio_codec": "aac"}, UnsupportedError, "audio_codec 'aac' is not"),
    "fps and duration": (
        {"fps": 30, "duration": 40},
        InvalidConfigError,
        "fps 30 and duration 40 both set the frame rate; give one: fps (frames per second) or "
        "duration (milliseconds per frame)",
    ),
    "duration a list": (
        {"duration": [40, 80]},
        InvalidConfigError,
        "duration [40, 80] gives frames their own times; allowed: one number, the "
        "milliseconds per frame (for times per frame: framesink.Writer's "
        "write(frame, timestamp=seconds))",
    ),
    "duration 0": (
        {"duration": 0},
        InvalidConfigError,
        "duration 0 is out of range; allowed: milliseconds per frame, 1 to 100000 (40 is 25 fps)",
    ),
    "duration -40": ({"duration": -40}, InvalidConfigError, "duration -40 is out of range"),
    "loop -1": (
        {"loop": -1},
        InvalidConfigError,
        "loop -1 is out of range; allowed: 0 (loop forever, the default), 1 to 65534 (the loop "
        "count Pillow writes), or None (play once)",
    ),
    "loop 2.5": (
        {"loop": 2.5},
        InvalidConfigError,
        "loop 2.5 is not a whole number; allowed: 0 (loop forever",
    ),
    "loop and loops": (
        {"loop": 0, "loops": 2},
        InvalidConfigError,
        "loop 0 (imageio's) and loops 2 (framesink's) both set how the animation repeats; give one",
    ),
    "palettesize 64": (
        {"palettesize": 64},
        InvalidConfigError,
        "palettesize 64 is not available: framesink gives each GIF frame its own palette of "
        "up to 256 colours; allowed: 256 (imageio's default) or None",
    ),
    "subrectangles 'yes'": (
        {"subrectangles": "yes"},
        InvalidConfigError,
        "subrectangles 'yes' is not a bool; allowed: True or False (both write whole frames)",
    ),
    "is_batch 'yes'": (
        {"is_batch": "yes"},
        InvalidConfigError,
        "is_batch 'yes' is not a bool; allowed: True (a batch of frames), False (one frame) or "
        "None (guess from the shape)",
    ),
    "a typo: qualty": (
        {"qualty": 5},
        TypeError,
        "FramesinkPlugin.write() got an unexpected keyword argument 'qualty'; did you mean "
        "'quality'? Options: audio_codec, audio_path, bit_depth, bitrate,",
    ),
    "pillow's quantizer": (
        {"quantizer": "nq"},
        TypeError,
        "unexpected keyword argument 'quantizer'; options: ",
    ),
}


@pytest.mark.parametrize("case", list(REFUSALS), ids=list(REFUSALS))
def test_refusals(tmp_path: Path, case: str) -> None:
    options, error, message = REFUSALS[case]
    frames = smooth_frames(2, 16, 16, seed=19)
    target = tmp_path / "r.gif"
    with pytest.raises(error) as v3_info:
        iio.imwrite(target, frames, plugin="framesink", **options)
    assert message in str(v3_info.value)
    assert not target.exists()  # refused before any file was made
    # the same through imageio's v2 API: at the first append_data
    writer = iio2.get_writer(target, format="framesink", **options)
    with pytest.raises(error) as v2_info:
        writer.append_data(frames[0])
    writer.close()
    assert str(v2_info.value) == str(v3_info.value)
    assert not target.exists()


def test_reading_goes_through_the_plugin(tmp_path: Path) -> None:
    """Every way imageio reads reaches framesink's Reader (test_read.py checks the
    pixels against ffmpeg); a file that is not a movie is refused by name."""
    path = tmp_path / "m.mp4"
    framesink.write(path, smooth_frames(3, 16, 16), fps=10)
    every = framesink.read(path)
    assert np.array_equal(iio.imread(path, plugin="framesink"), every)
    assert np.array_equal(np.stack(list(iio.imiter(path, plugin="framesink"))), every)
    assert iio.improps(path, plugin="framesink").shape == (3, 16, 16, 3)
    with iio.imopen(path, "r", plugin="framesink") as f:
        assert np.array_equal(f.read(index=2), every[2])
        assert f.metadata(index=1)["time"] == pytest.approx(0.1)
    with iio2.get_reader(path, format="framesink") as r:
        assert len(r) == 3 and np.array_equal(r.get_data(1), every[1])
    assert np.array_equal(iio2.mimread(path, format="framesink"), every)
    with pytest.raises(framesink.InvalidConfigError, match="opened to write"):
        iio.imopen(tmp_path / "w.mp4", "w", plugin="framesink").read()
    junk = tmp_path / "junk.mp4"
    junk.write_bytes(b"not a movie at all")
    # imageio turns an error in a plugin's opening into an OSError; ours is its cause.
    with pytest.raises(OSError) as info:
        iio.imread(junk, plugin="framesink")
    assert isinstance(info.value.__cause__, framesink.InvalidMovieError)
    assert "not a movie framesink reads" in str(info.value.__cause__)


@pytest.mark.parametrize(
    ("target", "extension", "message"),
    [
        (
            "x.webp",
            None,
            "framesink does not write '.webp' files; it writes .mp4 .m4v .mov (H.264, AV1), "
            ".gif, .png/.apng, or a video container of ffmpeg's (.mkv, .webm, .avi, ...) with "
            "codec='ffmpeg:<encoder>'",
        ),
        (
            "<file object>",
            None,
            "framesink takes the format from the extension, and this target has none; pass "
            "imageio's extension= (.mp4 .m4v .mov (H.264, AV1), .gif, .png/.apng)",
        ),
        ("<bytes>", None, "this target has none; pass imageio's extension="),
        ("x.mp4", ".tiff", "framesink does not write '.tiff' files"),
    ],
    ids=["a .webp path", "a file object", "<bytes>", "extension='.tiff'"],
)
def test_a_format_framesink_does_not_write_is_refused(
    tmp_path: Path, target: str, extension: str | None, message: str
) -> None:
    uri: Any = io.BytesIO() if target == "<file object>" else target
    if target.startswith("x."):
        uri = tmp_path / target
    with pytest.raises(OSError, match="`framesink` can not handle the given uri") as info:
        iio.imwrite(uri, np.zeros((2, 16, 16)), plugin="framesink", extension=extension)
    assert isinstance(info.value.__cause__, InitializationError)
    assert message in str(info.value.__cause__)


@pytest.mark.filterwarnings("ignore::DeprecationWarning")  # imageio's, trying its plugins
def test_imageio_without_the_plugin_name_is_unchanged(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """framesink is only used when named: imageio's choice by extension, and its
    error for a format nothing writes, stay imageio's."""
    writes: list[Any] = []
    monkeypatch.setattr(
        _imageio.FramesinkPlugin, "write", lambda self, *a, **k: writes.append(a) or None
    )
    frame = palette_frames(1, 16, 16)[0]
    iio.imwrite(tmp_path / "x.png", frame)
    iio.imwrite(tmp_path / "x.gif", palette_frames(2, 16, 16), duration=40)
    assert (iio.imread(tmp_path / "x.png") == frame).all()
    with pytest.raises(OSError, match="Could not find a backend") as info:
        iio.imwrite(tmp_path / "x.xyz", frame)
    assert "framesink" not in str(info.value)
    assert writes == []


IMPORT_ORDERS = {
    "framesink, then imageio": """
        import sys
        import framesink
        assert "imageio" not in sys.modules, "importing framesink imported imageio"
        assert "framesink._imageio" not in sys.modules
        import imageio
    """,
    "imageio, then framesink": """
        import imageio
        import framesink
    """,
    "framesink, then imageio.v3": """
        import framesink
        import imageio.v3
        import imageio
    """,
    "framesink, then from imageio import v2": """
        import framesink
        from imageio import v2
        import imageio
    """,
}


@pytest.mark.parametrize("order", list(IMPORT_ORDERS), ids=list(IMPORT_ORDERS))
def test_registration_in_either_import_order(tmp_path: Path, order: str) -> None:
    script = textwrap.dedent(IMPORT_ORDERS[order]) + textwrap.dedent(
        """
        import numpy as np
        assert "framesink" in imageio.config.known_plugins
        frames = np.zeros((3, 16, 16, 3), np.uint8)
        imageio.v3.imwrite("a.mp4", frames, plugin="framesink", fps=30)
        with imageio.v2.get_writer("b.gif", format="framesink", fps=30) as w:
            w.append_data(frames[0])
        print("ok")
        """
    )
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True, check=False
    )
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok"
    assert probe(tmp_path / "a.mp4").frames == 3
    assert probe(tmp_path / "b.gif").frames == 1
